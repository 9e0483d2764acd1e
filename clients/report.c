/*
 * report: the outcomes report in HTML (inline SVG), JSON and CSV.
 *
 * The page is meant to be read by an executive, on screen or printed, and
 * to pass an accessibility check: every table has a caption and header
 * cells with scope, every chart is an image with a title and a text
 * alternative beside it (its table), the base size is 16px and every
 * text colour has a contrast of at least 4.5:1 on its background
 * (test_report checks all of this on the page Chromium rendered).
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "when.h"
#include "words.h"

/* The rule, as the page, the JSON and the CSV state it. */
#define S_RULE                                                                 \
    "Counts of people (the caseload, cases by RAG rating, people in an "       \
    "outcome measure, the agency overlap) and counts of referrals (each is "   \
    "about a person) from 1 to %u are shown as \"fewer than %u\" (<%u), so "   \
    "that nobody can be picked out; 0 is shown. Counts of meetings, actions "  \
    "and rating changes are about the work, not about who it was for, and "    \
    "are shown as they are."

/* --- shared ----------------------------------------------------------------
 */

static void s_html(FILE *f, const char *s)
{
    cl_html_write(f, s);
}

void cl_html_write(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* A count as shown: "<N" when suppressed. */
static void s_count(FILE *f, int64_t v, uint32_t thr, bool html)
{
    if (v < 0 && html)
        fprintf(f, "<abbr title=\"fewer than %u\">&lt;%u</abbr>", thr, thr);
    else if (v < 0)
        fprintf(f, "<%u", thr);
    else
        fprintf(f, "%" PRId64, v);
}

/* "Dec 2026" from "2026-12". */
static void s_month(char out[16], const char *ym)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int m = strlen(ym) == 7 ? atoi(ym + 5) : 0;
    if (m >= 1 && m <= 12)
        snprintf(out, 16, "%s %.4s", mon[m - 1], ym);
    else
        snprintf(out, 16, "%.15s", ym);
}

/* Distinct months and agencies of some agency-month figures, in order. */
typedef struct s_axes {
    char months[CL_PERIODS_MAX * 4][CL_MONTH_SZ];
    size_t n_months;
    const char *agencies[64];
    size_t n_agencies;
} s_axes;

static void s_axes_of(const cl_agency_month *v, size_t n, s_axes *a)
{
    memset(a, 0, sizeof(*a));
    for (size_t i = 0; i < n; i++) {
        const cl_agency_month *m = &v[i];
        size_t j;
        for (j = 0; j < a->n_months && strcmp(a->months[j], m->month); j++)
            ;
        if (j == a->n_months && a->n_months < CL_PERIODS_MAX * 4)
            CL_COPY(a->months[a->n_months++], m->month);
        for (j = 0; j < a->n_agencies && strcmp(a->agencies[j], m->agency); j++)
            ;
        if (j == a->n_agencies && a->n_agencies < 64)
            a->agencies[a->n_agencies++] = m->agency;
    }
    /* months sort as text */
    for (size_t i = 1; i < a->n_months; i++)
        for (size_t j = i; j > 0 && strcmp(a->months[j - 1], a->months[j]) > 0;
             j--) {
            char t[CL_MONTH_SZ];
            memcpy(t, a->months[j], CL_MONTH_SZ);
            memcpy(a->months[j], a->months[j - 1], CL_MONTH_SZ);
            memcpy(a->months[j - 1], t, CL_MONTH_SZ);
        }
}

static int64_t s_cell(const cl_agency_month *v, size_t n, const char *agency,
                      const char *month, bool *present)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].agency, agency) && !strcmp(v[i].month, month)) {
            *present = true;
            return v[i].referrals;
        }
    *present = false;
    return 0;
}

/* --- HTML ------------------------------------------------------------------
 */

#define S_INK   "#1a1a1a" /* text: 17:1 on white */
#define S_QUIET "#4d4d4d" /* notes: 8.5:1 on white */
#define S_BLUE  "#2f5f91" /* bars */
#define S_RED   "#a93226" /* 6.9:1 on white */

/* A horizontal bar chart; a suppressed value (-1) draws an outlined bar
 * saying "fewer than N", so the chart reads without the table. */
static void s_svg_bars(FILE *f, const char *title, const char *const *labels,
                       const int64_t *v, const char *const *colours, size_t n,
                       uint32_t thr)
{
    int64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (v[i] > max)
            max = v[i];
    int h = (int)n * 30 + 10;
    fputs("<svg role=\"img\" aria-label=\"", f);
    s_html(f, title);
    fprintf(f,
            "\" width=\"560\" height=\"%d\" viewBox=\"0 0 560 %d\" "
            "xmlns=\"http://www.w3.org/2000/svg\">\n<title>",
            h, h);
    s_html(f, title);
    fputs("</title>\n", f);
    for (size_t i = 0; i < n; i++) {
        int y = (int)i * 30 + 5;
        fprintf(f,
                "<text x=\"0\" y=\"%d\" font-size=\"14\" fill=\"" S_INK "\">",
                y + 16);
        s_html(f, labels[i]);
        fputs("</text>", f);
        if (v[i] < 0) {
            int w = (int)(250 * (int64_t)(thr > 1 ? thr - 1 : 1) / max);
            if (w < 24)
                w = 24;
            fprintf(f,
                    "<rect x=\"220\" y=\"%d\" width=\"%d\" height=\"22\" "
                    "fill=\"#ededed\" stroke=\"" S_QUIET
                    "\" stroke-dasharray=\"4 3\"/>"
                    "<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"" S_INK
                    "\">fewer than %u</text>\n",
                    y, w, 226 + w, y + 16, thr);
            continue;
        }
        int w = v[i] > 0 ? (int)(250 * v[i] / max) : 0;
        fprintf(f,
                "<rect x=\"220\" y=\"%d\" width=\"%d\" height=\"22\" "
                "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"14\" "
                "fill=\"" S_INK "\">%" PRId64 "</text>\n",
                y, w, colours ? colours[i] : S_BLUE, 226 + w, y + 16, v[i]);
    }
    fputs("</svg>\n", f);
}

/* A table of agency-month counts; returns each agency's total (-1: only
 * suppressed months) in totals. */
static void s_html_agency_months(FILE *f, const char *caption,
                                 const cl_agency_month *v, size_t n,
                                 uint32_t thr, const s_axes *a, int64_t *totals,
                                 bool *any_hidden)
{
    char mon[16];
    fputs("<table><caption>", f);
    s_html(f, caption);
    fputs("</caption>\n<tr><th scope=\"col\">Agency</th>", f);
    for (size_t m = 0; m < a->n_months; m++) {
        s_month(mon, a->months[m]);
        fprintf(f, "<th scope=\"col\">%s</th>", mon);
    }
    fputs("</tr>\n", f);
    for (size_t g = 0; g < a->n_agencies; g++) {
        bool hidden = false;
        totals[g] = 0;
        fputs("<tr><th scope=\"row\">", f);
        s_html(f, a->agencies[g]);
        fputs("</th>", f);
        for (size_t m = 0; m < a->n_months; m++) {
            bool present;
            int64_t c = s_cell(v, n, a->agencies[g], a->months[m], &present);
            fputs("<td class=\"n\">", f);
            if (!present)
                fputs("0", f);
            else
                s_count(f, c, thr, true);
            fputs("</td>", f);
            if (c > 0)
                totals[g] += c;
            hidden |= c < 0;
        }
        *any_hidden |= hidden;
        if (!totals[g] && hidden)
            totals[g] = -1; /* only small months: "fewer than", not 0 */
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void s_html_referrals(FILE *f, const cl_report *r)
{
    s_axes *a = calloc(1, sizeof(*a));
    int64_t totals[64];
    bool any_hidden = false;
    if (!a)
        return;
    fputs("<h2>Referrals per agency per month, by when they happened</h2>\n"
          "<p class=\"note\">Each referral is counted in the month it says "
          "it happened (the time its agency gave for the event); one that does "
          "not say is counted "
          "in the month it arrived. The second table counts by arrival, so "
          "a caseload sent in one batch shows where it was recorded.</p>\n"
          "<div class=\"pair\">\n",
          f);
    s_axes_of(r->referrals, r->n_referrals, a);
    s_html_agency_months(f, "Referrals by the month they happened",
                         r->referrals, r->n_referrals, r->suppress_below, a,
                         totals, &any_hidden);
    if (a->n_agencies)
        s_svg_bars(f,
                   "Referrals in the period by agency, by when they "
                   "happened",
                   a->agencies, totals, NULL, a->n_agencies, r->suppress_below);
    else
        fputs("<p>No referrals happened in the period.</p>\n", f);
    fputs("</div>\n", f);
    if (any_hidden)
        fprintf(f,
                "<p class=\"note\">Bars add up the months shown as numbers; "
                "months with fewer than %u referrals are not added in.</p>\n",
                r->suppress_below);
    s_axes_of(r->arrived, r->n_arrived, a);
    fputs("<h3>Referrals by when they arrived</h3>\n", f);
    if (a->n_agencies)
        s_html_agency_months(f, "Referrals by the month they arrived",
                             r->arrived, r->n_arrived, r->suppress_below, a,
                             totals, &any_hidden);
    else
        fputs("<p>No referrals arrived in the period.</p>\n", f);
    free(a);
}

static void s_html_work(FILE *f, const cl_report *r)
{
    fputs("<h2>Caseload, reviews and actions</h2>\n<div class=\"pair\">\n"
          "<table><caption>The MDT's caseload and work</caption>\n"
          "<tr><th scope=\"col\">Measure</th><th scope=\"col\">Count</th>"
          "</tr>\n",
          f);
    const char *names[] = {"People on the MDT caseload",
                           "Reviews held",
                           "Actions open",
                           "Actions overdue",
                           "Actions done",
                           "Actions cancelled"};
    int64_t v[] = {r->caseload,        r->reviews_held, r->actions_open,
                   r->actions_overdue, r->actions_done, r->actions_cancelled};
    for (size_t i = 0; i < 6; i++) {
        fprintf(f, "<tr><th scope=\"row\">%s</th><td class=\"n\">", names[i]);
        s_count(f, v[i], r->suppress_below, true);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    const char *colours[] = {S_BLUE, S_RED, "#2e7d4f", "#6b6b6b"};
    s_svg_bars(f, "Actions by state", names + 2, v + 2, colours, 4,
               r->suppress_below);
    fputs("</div>\n", f);
}

static void s_html_rag(FILE *f, const cl_report *r)
{
    const char *names[] = {"Red", "Amber", "Green"};
    const char *colours[] = {"#c0392b", "#d4900f", "#2e7d4f"};
    fputs("<h2>RAG ratings</h2>\n<div class=\"pair\">\n<table>"
          "<caption>Cases by their current rating</caption>\n"
          "<tr><th scope=\"col\">Current rating of cases</th>"
          "<th scope=\"col\">Cases</th></tr>\n",
          f);
    for (int g = 1; g <= CL_RAG_MAX; g++) {
        fprintf(f,
                "<tr><th scope=\"row\"><span class=\"dot\" "
                "style=\"background:%s\"></span>%s</th><td class=\"n\">",
                colours[g - 1], names[g - 1]);
        s_count(f, r->rag[g], r->suppress_below, true);
        fputs("</td></tr>\n", f);
    }
    fputs("<tr><th scope=\"row\">Rating changes in the period</th>"
          "<td class=\"n\">",
          f);
    s_count(f, r->rag_changes, r->suppress_below, true);
    fputs("</td></tr>\n</table>\n", f);
    s_svg_bars(f, "Cases by current RAG rating", names, r->rag + 1, colours, 3,
               r->suppress_below);
    fputs("</div>\n", f);
    if (r->n_workstreams) {
        fputs("<h3>Workstreams</h3>\n<table><caption>Each workstream's "
              "current rating</caption><tr><th scope=\"col\">Workstream</th>"
              "<th scope=\"col\">Rating</th><th scope=\"col\">Since</th>"
              "</tr>\n",
              f);
        for (size_t i = 0; i < r->n_workstreams; i++) {
            const cl_rag_entry *w = &r->workstreams[i];
            char when[CL_WHEN_SHOW_SZ];
            cl_when_show_day(when, w->at, false);
            fputs("<tr><th scope=\"row\">", f);
            s_html(f, w->subject);
            fprintf(f,
                    "</th><td><span class=\"dot\" style=\"background:%s\">"
                    "</span>%s</td><td>%s</td></tr>\n",
                    w->rating >= 1 && w->rating <= 3 ? colours[w->rating - 1]
                                                     : "#888",
                    cl_rag_name(w->rating), when);
        }
        fputs("</table>\n", f);
    }
}

/* Monthly totals as columns with the baseline as a dashed line; a
 * suppressed month is an outlined column marked "<N", a month with no
 * values says so. */
static void s_svg_measure(FILE *f, const cl_measure_summary *m, uint32_t thr)
{
    double max = m->baseline_monthly > 0 ? m->baseline_monthly : 1;
    for (uint32_t i = 0; i < m->n_periods; i++)
        if (m->periods[i].total > max)
            max = m->periods[i].total;
    int n = (int)m->n_periods, bw = n ? 440 / (n > 0 ? n : 1) : 440;
    if (bw > 44)
        bw = 44;
    fputs("<svg role=\"img\" aria-label=\"", f);
    s_html(f, m->name);
    fputs(": monthly values against the baseline\" width=\"520\" "
          "height=\"210\" viewBox=\"0 0 520 210\" "
          "xmlns=\"http://www.w3.org/2000/svg\">\n<title>",
          f);
    s_html(f, m->name);
    fputs(": monthly values against the baseline</title>\n"
          "<line x1=\"60\" y1=\"170\" x2=\"510\" y2=\"170\" stroke=\"" S_QUIET
          "\"/>\n",
          f);
    for (int i = 0; i < n; i++) {
        const cl_period_value *p = &m->periods[i];
        int x = 64 + i * bw;
        if (p->people == 0 && p->total <= 0) {
            fprintf(f,
                    "<text x=\"%d\" y=\"165\" font-size=\"11\" fill=\"" S_QUIET
                    "\">none</text>\n",
                    x);
        } else if (p->total >= 0) {
            int h = (int)(140 * p->total / max);
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"" S_BLUE "\"/>\n",
                    x, 170 - h, bw - 4, h);
        } else {
            fprintf(f,
                    "<rect x=\"%d\" y=\"130\" width=\"%d\" height=\"40\" "
                    "fill=\"#ededed\" stroke=\"" S_QUIET
                    "\" stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"155\" "
                    "font-size=\"12\" fill=\"" S_INK "\">&lt;%u</text>\n",
                    x, bw - 4, x + 3, thr);
        }
        if (n <= 12 || i % 3 == 0) {
            char mon[16];
            s_month(mon, p->period);
            fprintf(f,
                    "<text x=\"%d\" y=\"188\" font-size=\"11\" fill=\"" S_INK
                    "\">%.3s</text>\n",
                    x, mon);
        }
    }
    if (m->baseline_monthly >= 0) {
        int y = 170 - (int)(140 * m->baseline_monthly / max);
        fprintf(f,
                "<line x1=\"60\" y1=\"%d\" x2=\"510\" y2=\"%d\" stroke=\"" S_RED
                "\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n<text "
                "x=\"0\" y=\"%d\" font-size=\"12\" fill=\"" S_RED
                "\">baseline</text>\n",
                y, y, y + 4);
    }
    fputs("</svg>\n", f);
}

/* What a derived measure counts, in words. */
static void s_html_source(FILE *f, const cl_measure_summary *m)
{
    if (!m->source[0])
        return;
    fputs("<p class=\"note\">Counted by caselink from what it holds: ", f);
    if (!strcmp(m->source, "attendances"))
        fputs("places on review agendas, by the review's date", f);
    else if (!strcmp(m->source, "alerts"))
        fputs("safeguarding alerts delivered to the agencies responsible for "
              "a child's plan about referrals on the person, by when the "
              "referral's event happened",
              f);
    else {
        fprintf(f, "referrals%s%s", m->category ? " about " : "",
                m->category ? cl_words(CL_W_CATEGORY, m->category) : "");
        if (m->agency_kind[0]) {
            fputs(" from ", f);
            s_html(f, cl_words_agency_kind(m->agency_kind));
            fputs(" agencies", f);
        }
        fputs(", by when they happened", f);
    }
    fputs(", for each person on the MDT caseload per month; the baseline is "
          "counted the same way.</p>\n",
          f);
}

static void s_html_measures(FILE *f, const cl_report *r)
{
    char mon[16], m2[16];
    fputs("<h2>Outcome measures against baseline</h2>\n", f);
    if (!r->n_measures)
        fputs("<p>No outcome measures defined.</p>\n", f);
    for (size_t i = 0; i < r->n_measures; i++) {
        const cl_measure_summary *m = &r->measures[i];
        fputs("<h3>", f);
        s_html(f, m->name);
        fputs("</h3>\n", f);
        s_html_source(f, m);
        if (!m->has_values) {
            fputs("<p><strong>No data:</strong> nothing has been recorded "
                  "for this measure yet.</p>\n",
                  f);
            continue;
        }
        s_month(mon, m->from);
        s_month(m2, m->to);
        fprintf(f, "<p>Baseline %s to %s: ", mon, m2);
        if (m->baseline_monthly < 0)
            fprintf(f, "fewer than %u people, not shown", r->suppress_below);
        else if (m->baseline_people == 0)
            fputs("no data for those months", f);
        else
            fprintf(f, "%.1f a month across %" PRId64 " people",
                    m->baseline_monthly, m->baseline_people);
        fputs(".</p>\n<div class=\"pair\">\n<table><caption>", f);
        s_html(f, m->name);
        fputs(" by month</caption><tr><th scope=\"col\">Month</th>"
              "<th scope=\"col\">Total</th><th scope=\"col\">People</th>"
              "<th scope=\"col\">Against baseline</th></tr>\n",
              f);
        for (uint32_t j = 0; j < m->n_periods; j++) {
            const cl_period_value *p = &m->periods[j];
            s_month(mon, p->period);
            fprintf(f, "<tr><th scope=\"row\">%s</th><td class=\"n\">", mon);
            bool none = p->people == 0 && p->total <= 0 && !m->source[0];
            if (none)
                fputs("no data", f);
            else if (p->total < 0)
                fprintf(f, "&lt;%u people", r->suppress_below);
            else
                fprintf(f, "%.1f", p->total);
            fputs("</td><td class=\"n\">", f);
            if (!none)
                s_count(f, p->people, r->suppress_below, true);
            fputs("</td><td class=\"n\">", f);
            if (!none && p->total >= 0 && m->baseline_monthly > 0)
                fprintf(f, "%+.0f%%",
                        100.0 * (p->total - m->baseline_monthly) /
                            m->baseline_monthly);
            else
                fputs("-", f);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
        s_svg_measure(f, m, r->suppress_below);
        fputs("</div>\n", f);
    }
}

/* One overlap matrix: subjects picks people_as_subject over people. */
static void s_html_matrix(FILE *f, const cl_report *r, const char **ag,
                          size_t n, bool subjects, const char *caption)
{
    fputs("<table class=\"matrix\"><caption>", f);
    s_html(f, caption);
    fputs("</caption><tr><td class=\"self\"></td>", f);
    for (size_t j = 0; j < n; j++) {
        fputs("<th scope=\"col\">", f);
        s_html(f, ag[j]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><th scope=\"row\">", f);
        s_html(f, ag[i]);
        fputs("</th>", f);
        for (size_t j = 0; j < n; j++) {
            if (i == j) {
                fputs("<td class=\"self\"></td>", f);
                continue;
            }
            int64_t v = -2;
            for (size_t k = 0; k < r->n_overlap && v == -2; k++)
                if ((!strcmp(r->overlap[k].a, ag[i]) &&
                     !strcmp(r->overlap[k].b, ag[j])) ||
                    (!strcmp(r->overlap[k].a, ag[j]) &&
                     !strcmp(r->overlap[k].b, ag[i])))
                    v = subjects ? r->overlap[k].subjects
                                 : r->overlap[k].people;
            fprintf(f, "<td class=\"n%s\">", v > 0 ? " hot" : "");
            s_count(f, v < -1 ? 0 : v, r->suppress_below, true);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void s_html_overlap(FILE *f, const cl_report *r)
{
    const char *ag[64];
    size_t n = 0;
    for (size_t i = 0; i < r->n_overlap; i++)
        for (int k = 0; k < 2; k++) {
            const char *x = k ? r->overlap[i].b : r->overlap[i].a;
            size_t j;
            for (j = 0; j < n && strcmp(ag[j], x); j++)
                ;
            if (j == n && n < 64)
                ag[n++] = x;
        }
    fputs("<h2>Agency overlap</h2>\n<p>People known to both agencies, "
          "counted two ways. <strong>About them at both</strong>: both "
          "agencies hold a record about the person (a referral's subject, a "
          "caseload record, a plan's child). <strong>Known to both in any "
          "way</strong> also counts a person an agency only mentioned, such "
          "as a child named in a parent's referral.</p>\n",
          f);
    if (!n) {
        fputs("<p>Fewer than two agencies hold records.</p>\n", f);
        return;
    }
    fputs("<div class=\"pair\">\n", f);
    s_html_matrix(f, r, ag, n, true, "About them at both agencies");
    s_html_matrix(f, r, ag, n, false, "Known to both in any way");
    fputs("</div>\n", f);
}

void cl_report_html(FILE *f, const cl_report *r)
{
    char made[CL_WHEN_SHOW_SZ], from[CL_WHEN_SHOW_SZ], to[CL_WHEN_SHOW_SZ];
    unsigned t = r->suppress_below;
    cl_when_show_time(made, r->made_at, false);
    cl_when_show_date(from, r->from, false);
    cl_when_show_date(to, r->to, false);
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
            "charset=\"utf-8\">\n<meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\">\n"
            "<title>Extended MDT outcomes report %s to %s</title>\n"
            "<style>\n"
            "body{font-family:DejaVu Sans,Arial,sans-serif;font-size:16px;"
            "line-height:1.45;margin:24px;color:" S_INK
            ";background:#fff;max-width:1180px}\n"
            "h1{font-size:28px}h2{font-size:22px;margin-top:32px;"
            "border-bottom:1px solid #8c8c8c}h3{font-size:18px}\n"
            "table{border-collapse:collapse;margin:6px 16px 12px 0}"
            "caption{text-align:left;font-weight:bold;padding:4px 0}"
            "td,th{border:1px solid #8c8c8c;padding:4px 8px;font-size:16px;"
            "color:" S_INK "}th{background:#e6ebf3;text-align:left}"
            "td.n{text-align:right}\n"
            ".pair{display:flex;flex-wrap:wrap;align-items:flex-start;"
            "gap:12px}\n"
            ".note{color:" S_QUIET "}.dot{display:inline-block;"
            "width:12px;height:12px;border-radius:6px;margin-right:6px;"
            "border:1px solid " S_INK "}\n"
            "td.hot{background:#dde8f6}td.self{background:#ededed;border-"
            "color:#8c8c8c}abbr{text-decoration:none}\n"
            "@media print{body{margin:0}h2{break-after:avoid}"
            ".pair{break-inside:avoid}}\n"
            "</style>\n</head>\n<body>\n<main>\n"
            "<h1>Extended MDT outcomes report</h1>\n"
            "<p>Period: <strong>%s</strong> to <strong>%s</strong>. Made %s "
            "by caselink.</p>\n"
            "<p class=\"note\">No personal data: counts only. " S_RULE "</p>\n",
            from, to, from, to, made, t - 1, t, t);
    s_html_referrals(f, r);
    s_html_work(f, r);
    s_html_rag(f, r);
    s_html_measures(f, r);
    s_html_overlap(f, r);
    fputs("</main>\n</body>\n</html>\n", f);
}

/* --- JSON ------------------------------------------------------------------
 */

static void s_json_count(FILE *f, int64_t v)
{
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%" PRId64, v);
}

/* Referrals by agency and month, as JSON objects, comma-separated. */
static void s_json_agency_months(FILE *f, const cl_agency_month *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",{\"agency\":" : "{\"agency\":", f);
        cl_json_str_write(f, v[i].agency);
        fputs(",\"month\":", f);
        cl_json_str_write(f, v[i].month);
        fputs(",\"referrals\":", f);
        s_json_count(f, v[i].referrals);
        fputc('}', f);
    }
}

void cl_report_json(FILE *f, const cl_report *r)
{
    fputs("{\"report\":\"caselink extended MDT outcomes\",\"from\":", f);
    cl_json_str_write(f, r->from);
    fputs(",\"to\":", f);
    cl_json_str_write(f, r->to);
    char made[CL_WHEN_SHOW_SZ];
    cl_when_show_time(made, r->made_at, true); /* ISO, as all JSON times */
    fputs(",\"made_at\":", f);
    cl_json_str_write(f, made);
    fprintf(f, ",\"suppress_below\":%u", r->suppress_below);
    {
        char rule[1024];
        unsigned t = r->suppress_below;
        snprintf(rule, sizeof(rule), S_RULE, t - 1, t, t);
        fputs(",\"suppression_rule\":", f);
        cl_json_str_write(f, rule);
    }
    fputs(",\"referrals_counted_by\":\"when they happened (occurred_at, "
          "else when they arrived)\"",
          f);
    fputs(",\"referrals_arrived\":[", f);
    s_json_agency_months(f, r->arrived, r->n_arrived);
    fputs("]", f);
    fputs(",\"suppressed_as\":null,\"referrals\":[", f);
    s_json_agency_months(f, r->referrals, r->n_referrals);
    const char *names[] = {
        "caseload",     "reviews_held",      "actions_open", "actions_overdue",
        "actions_done", "actions_cancelled", "rag_red",      "rag_amber",
        "rag_green",    "rag_changes"};
    int64_t v[] = {r->caseload,        r->reviews_held, r->actions_open,
                   r->actions_overdue, r->actions_done, r->actions_cancelled,
                   r->rag[1],          r->rag[2],       r->rag[3],
                   r->rag_changes};
    fputs("]", f);
    for (size_t i = 0; i < 10; i++) {
        fprintf(f, ",\"%s\":", names[i]);
        s_json_count(f, v[i]);
    }
    fputs(",\"workstreams\":[", f);
    for (size_t i = 0; i < r->n_workstreams; i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", f);
        cl_json_str_write(f, r->workstreams[i].subject);
        fprintf(f, ",\"rating\":\"%s\",\"since\":%" PRId64 "}",
                cl_rag_name(r->workstreams[i].rating), r->workstreams[i].at);
    }
    fputs("],\"measures\":[", f);
    for (size_t i = 0; i < r->n_measures; i++) {
        const cl_measure_summary *m = &r->measures[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", f);
        cl_json_str_write(f, m->name);
        fprintf(f, ",\"baseline_from\":\"%s\",\"baseline_to\":\"%s\"", m->from,
                m->to);
        fprintf(f, ",\"has_values\":%s,\"source\":",
                m->has_values ? "true" : "false");
        cl_json_str_write(f, m->source);
        fprintf(f, ",\"category\":\"%s\",\"agency_kind\":",
                m->category ? cl_category_name(m->category) : "");
        cl_json_str_write(f, m->agency_kind);
        if (m->baseline_monthly < 0)
            fputs(",\"baseline_monthly\":null", f);
        else
            fprintf(f, ",\"baseline_monthly\":%.3f", m->baseline_monthly);
        fputs(",\"baseline_people\":", f);
        s_json_count(f, m->baseline_people);
        fputs(",\"periods\":[", f);
        for (uint32_t j = 0; j < m->n_periods; j++) {
            const cl_period_value *p = &m->periods[j];
            fprintf(f, "%s{\"period\":\"%s\",\"total\":", j ? "," : "",
                    p->period);
            if (p->total < 0)
                fputs("null", f);
            else
                fprintf(f, "%.3f", p->total);
            fputs(",\"people\":", f);
            s_json_count(f, p->people);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("],\"overlap\":[", f);
    for (size_t i = 0; i < r->n_overlap; i++) {
        fputs(i ? ",{\"a\":" : "{\"a\":", f);
        cl_json_str_write(f, r->overlap[i].a);
        fputs(",\"b\":", f);
        cl_json_str_write(f, r->overlap[i].b);
        fputs(",\"people\":", f);
        s_json_count(f, r->overlap[i].people);
        fputs(",\"people_as_subject\":", f);
        s_json_count(f, r->overlap[i].subjects);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

/* --- CSV -------------------------------------------------------------------
 */

/* One row: section, name, period, value. */
static void s_row(FILE *f, const char *section, const char *name,
                  const char *period, int64_t v, uint32_t thr)
{
    fprintf(f, "%s,", section);
    cl_csv_field_write(f, name);
    fprintf(f, ",%s,", period);
    s_count(f, v, thr, false);
    fputc('\n', f);
}

void cl_report_csv(FILE *f, const cl_report *r)
{
    uint32_t t = r->suppress_below;
    fprintf(f, "section,name,period,value\n");
    fprintf(f, "report,period,%s to %s,\n", r->from, r->to);
    {
        char rule[1024];
        snprintf(rule, sizeof(rule), S_RULE, t - 1, t, t);
        fputs("report,suppression,,", f);
        cl_csv_field_write(f, rule);
        fputs("\nreport,referrals counted by,,when they happened "
              "(occurred_at; else when they arrived)\n",
              f);
    }
    for (size_t i = 0; i < r->n_referrals; i++)
        s_row(f, "referrals", r->referrals[i].agency, r->referrals[i].month,
              r->referrals[i].referrals, t);
    for (size_t i = 0; i < r->n_arrived; i++)
        s_row(f, "referrals_arrived", r->arrived[i].agency, r->arrived[i].month,
              r->arrived[i].referrals, t);
    s_row(f, "caseload", "people", "", r->caseload, t);
    s_row(f, "reviews", "held", "", r->reviews_held, t);
    s_row(f, "actions", "open", "", r->actions_open, t);
    s_row(f, "actions", "overdue", "", r->actions_overdue, t);
    s_row(f, "actions", "done", "", r->actions_done, t);
    s_row(f, "actions", "cancelled", "", r->actions_cancelled, t);
    for (int g = 1; g <= CL_RAG_MAX; g++)
        s_row(f, "rag", cl_rag_name((unsigned)g), "", r->rag[g], t);
    s_row(f, "rag", "changes", "", r->rag_changes, t);
    for (size_t i = 0; i < r->n_workstreams; i++) {
        fputs("workstream,", f);
        cl_csv_field_write(f, r->workstreams[i].subject);
        fprintf(f, ",,%s\n", cl_rag_name(r->workstreams[i].rating));
    }
    for (size_t i = 0; i < r->n_measures; i++) {
        const cl_measure_summary *m = &r->measures[i];
        fputs("measure_baseline,", f);
        cl_csv_field_write(f, m->name);
        if (!m->has_values) {
            fprintf(f, ",%s to %s,no data\n", m->from, m->to);
            continue;
        }
        if (m->baseline_monthly < 0)
            fprintf(f, ",%s to %s,<%u\n", m->from, m->to, t);
        else
            fprintf(f, ",%s to %s,%.3f\n", m->from, m->to, m->baseline_monthly);
        for (uint32_t j = 0; j < m->n_periods; j++) {
            fputs("measure,", f);
            cl_csv_field_write(f, m->name);
            if (m->periods[j].total < 0)
                fprintf(f, ",%s,<%u\n", m->periods[j].period, t);
            else
                fprintf(f, ",%s,%.3f\n", m->periods[j].period,
                        m->periods[j].total);
        }
    }
    for (size_t i = 0; i < r->n_overlap; i++) {
        char pair[2 * CL_AGENCY_SZ + 8];
        snprintf(pair, sizeof(pair), "%s & %s", r->overlap[i].a,
                 r->overlap[i].b);
        s_row(f, "overlap", pair, "", r->overlap[i].people, t);
        s_row(f, "overlap_as_subject", pair, "", r->overlap[i].subjects, t);
    }
}
