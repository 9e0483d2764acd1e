/*
 * report: the outcomes report in HTML (inline SVG), JSON and CSV.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"

/* --- shared ----------------------------------------------------------------
 */

static void s_html(FILE *f, const char *s)
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
    if (v < 0)
        fprintf(f, html ? "&lt;%u" : "<%u", thr);
    else
        fprintf(f, "%" PRId64, v);
}

static void s_when(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm))
        snprintf(out, 32, "-");
    else
        strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

/* Distinct months and agencies of the referral figures, in order. */
typedef struct s_axes {
    char months[CL_PERIODS_MAX * 4][CL_MONTH_SZ];
    size_t n_months;
    const char *agencies[64];
    size_t n_agencies;
} s_axes;

static void s_axes_of(const cl_report *r, s_axes *a)
{
    memset(a, 0, sizeof(*a));
    for (size_t i = 0; i < r->n_referrals; i++) {
        const cl_agency_month *m = &r->referrals[i];
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

static int64_t s_cell(const cl_report *r, const char *agency, const char *month,
                      bool *present)
{
    for (size_t i = 0; i < r->n_referrals; i++)
        if (!strcmp(r->referrals[i].agency, agency) &&
            !strcmp(r->referrals[i].month, month)) {
            *present = true;
            return r->referrals[i].referrals;
        }
    *present = false;
    return 0;
}

/* --- HTML ------------------------------------------------------------------
 */

/* A horizontal bar chart; suppressed values (-1) draw no bar. */
static void s_svg_bars(FILE *f, const char *title, const char *const *labels,
                       const int64_t *v, const char *const *colours, size_t n,
                       uint32_t thr)
{
    int64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (v[i] > max)
            max = v[i];
    int h = (int)n * 28 + 10;
    fprintf(f,
            "<svg role=\"img\" aria-label=\"%s\" width=\"500\" height=\"%d\" "
            "viewBox=\"0 0 500 %d\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            title, h, h);
    for (size_t i = 0; i < n; i++) {
        int y = (int)i * 28 + 5;
        int w = v[i] > 0 ? (int)(250 * v[i] / max) : 0;
        fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 15);
        s_html(f, labels[i]);
        fprintf(f,
                "</text><rect x=\"210\" y=\"%d\" width=\"%d\" height=\"20\" "
                "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">",
                y, w, colours ? colours[i] : "#3b6ea8", 216 + w, y + 15);
        s_count(f, v[i], thr, true);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}

static void s_html_referrals(FILE *f, const cl_report *r, const s_axes *a)
{
    fputs("<h2>Referrals per agency per month</h2>\n<div class=\"pair\">\n", f);
    int64_t totals[64] = {0};
    bool hidden[64] = {false}, any_hidden = false;
    fputs("<table><tr><th>Agency</th>", f);
    for (size_t m = 0; m < a->n_months; m++)
        fprintf(f, "<th>%s</th>", a->months[m]);
    fputs("</tr>\n", f);
    for (size_t g = 0; g < a->n_agencies; g++) {
        fputs("<tr><td>", f);
        s_html(f, a->agencies[g]);
        fputs("</td>", f);
        for (size_t m = 0; m < a->n_months; m++) {
            bool present;
            int64_t v = s_cell(r, a->agencies[g], a->months[m], &present);
            fputs("<td class=\"n\">", f);
            if (!present)
                fputs("0", f);
            else
                s_count(f, v, r->suppress_below, true);
            fputs("</td>", f);
            if (v > 0)
                totals[g] += v;
            hidden[g] |= v < 0;
            any_hidden |= v < 0;
        }
        if (!totals[g] && hidden[g])
            totals[g] = -1; /* only small months: show "<N", not 0 */
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (a->n_agencies)
        s_svg_bars(f, "Referrals in the period by agency", a->agencies, totals,
                   NULL, a->n_agencies, r->suppress_below);
    else
        fputs("<p>No referrals in the period.</p>\n", f);
    fputs("</div>\n", f);
    if (any_hidden)
        fprintf(f,
                "<p class=\"note\">Bars count the months shown as numbers; "
                "months with fewer than %u referrals are not added in.</p>\n",
                r->suppress_below);
}

static void s_html_work(FILE *f, const cl_report *r)
{
    fputs("<h2>Caseload, reviews and actions</h2>\n<div class=\"pair\">\n"
          "<table>\n",
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
        fprintf(f, "<tr><td>%s</td><td class=\"n\">", names[i]);
        s_count(f, v[i], r->suppress_below, true);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    const char *colours[] = {"#3b6ea8", "#c0392b", "#2e8b57", "#888888"};
    s_svg_bars(f, "Actions by state", names + 2, v + 2, colours, 4,
               r->suppress_below);
    fputs("</div>\n", f);
}

static void s_html_rag(FILE *f, const cl_report *r)
{
    const char *names[] = {"Red", "Amber", "Green"};
    const char *colours[] = {"#c0392b", "#e0a020", "#2e8b57"};
    fputs("<h2>RAG ratings</h2>\n<div class=\"pair\">\n<table>\n"
          "<tr><th>Current rating of cases</th><th>Cases</th></tr>\n",
          f);
    for (int g = 1; g <= CL_RAG_MAX; g++) {
        fprintf(f,
                "<tr><td><span class=\"dot\" style=\"background:%s\"></span>"
                "%s</td><td class=\"n\">",
                colours[g - 1], names[g - 1]);
        s_count(f, r->rag[g], r->suppress_below, true);
        fputs("</td></tr>\n", f);
    }
    fputs("<tr><td>Rating changes in the period</td><td class=\"n\">", f);
    s_count(f, r->rag_changes, r->suppress_below, true);
    fputs("</td></tr>\n</table>\n", f);
    s_svg_bars(f, "Cases by current RAG rating", names, r->rag + 1, colours, 3,
               r->suppress_below);
    fputs("</div>\n", f);
    if (r->n_workstreams) {
        fputs("<h3>Workstreams</h3>\n<table><tr><th>Workstream</th>"
              "<th>Rating</th><th>Since</th></tr>\n",
              f);
        for (size_t i = 0; i < r->n_workstreams; i++) {
            const cl_rag_entry *w = &r->workstreams[i];
            char when[32];
            s_when(when, w->at);
            fputs("<tr><td>", f);
            s_html(f, w->subject);
            fprintf(f,
                    "</td><td><span class=\"dot\" style=\"background:%s\">"
                    "</span>%s</td><td>%.10s</td></tr>\n",
                    w->rating >= 1 && w->rating <= 3 ? colours[w->rating - 1]
                                                     : "#888",
                    cl_rag_name(w->rating), when);
        }
        fputs("</table>\n", f);
    }
}

/* Monthly totals as columns with the baseline as a dashed line. */
static void s_svg_measure(FILE *f, const cl_measure_summary *m)
{
    double max = m->baseline_monthly > 0 ? m->baseline_monthly : 1;
    for (uint32_t i = 0; i < m->n_periods; i++)
        if (m->periods[i].total > max)
            max = m->periods[i].total;
    int n = (int)m->n_periods, bw = n ? 400 / (n > 0 ? n : 1) : 400;
    if (bw > 40)
        bw = 40;
    fputs(
        "<svg role=\"img\" aria-label=\"monthly values against the "
        "baseline\" width=\"460\" height=\"190\" viewBox=\"0 0 460 190\" "
        "xmlns=\"http://www.w3.org/2000/svg\">\n"
        "<line x1=\"40\" y1=\"160\" x2=\"450\" y2=\"160\" stroke=\"#444\"/>\n",
        f);
    for (int i = 0; i < n; i++) {
        const cl_period_value *p = &m->periods[i];
        int x = 44 + i * bw;
        if (p->total >= 0) {
            int h = (int)(140 * p->total / max);
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"#3b6ea8\"/>\n",
                    x, 160 - h, bw - 4, h);
        } else {
            fprintf(f, "<text x=\"%d\" y=\"155\" font-size=\"9\">&lt;</text>\n",
                    x + 2);
        }
        if (n <= 12 || i % 3 == 0)
            fprintf(f, "<text x=\"%d\" y=\"175\" font-size=\"9\">%.7s</text>\n",
                    x, p->period);
    }
    if (m->baseline_monthly >= 0) {
        int y = 160 - (int)(140 * m->baseline_monthly / max);
        fprintf(
            f,
            "<line x1=\"40\" y1=\"%d\" x2=\"450\" y2=\"%d\" stroke=\"#c0392b\" "
            "stroke-dasharray=\"6 4\"/>\n<text x=\"0\" y=\"%d\" "
            "font-size=\"10\" fill=\"#c0392b\">base</text>\n",
            y, y, y + 4);
    }
    fputs("</svg>\n", f);
}

static void s_html_measures(FILE *f, const cl_report *r)
{
    fputs("<h2>Outcome measures against baseline</h2>\n", f);
    if (!r->n_measures)
        fputs("<p>No outcome measures defined.</p>\n", f);
    for (size_t i = 0; i < r->n_measures; i++) {
        const cl_measure_summary *m = &r->measures[i];
        fputs("<h3>", f);
        s_html(f, m->name);
        fprintf(f, "</h3>\n<p>Baseline %s to %s: ", m->from, m->to);
        if (m->baseline_monthly < 0)
            fprintf(f, "fewer than %u people, not shown", r->suppress_below);
        else
            fprintf(f, "%.1f a month across %" PRId64 " people",
                    m->baseline_monthly, m->baseline_people);
        fputs(".</p>\n<div class=\"pair\">\n<table><tr><th>Month</th>"
              "<th>Total</th><th>People</th><th>Against baseline</th></tr>\n",
              f);
        for (uint32_t j = 0; j < m->n_periods; j++) {
            const cl_period_value *p = &m->periods[j];
            fprintf(f, "<tr><td>%s</td><td class=\"n\">", p->period);
            if (p->total < 0)
                fprintf(f, "&lt;%u people", r->suppress_below);
            else
                fprintf(f, "%.1f", p->total);
            fputs("</td><td class=\"n\">", f);
            s_count(f, p->people, r->suppress_below, true);
            fputs("</td><td class=\"n\">", f);
            if (p->total >= 0 && m->baseline_monthly > 0)
                fprintf(f, "%+.0f%%",
                        100.0 * (p->total - m->baseline_monthly) /
                            m->baseline_monthly);
            else
                fputs("-", f);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
        s_svg_measure(f, m);
        fputs("</div>\n", f);
    }
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
    fputs("<h2>Agency overlap</h2>\n<p>People known to both agencies.</p>\n",
          f);
    if (!n) {
        fputs("<p>Fewer than two agencies hold records.</p>\n", f);
        return;
    }
    fputs("<table class=\"matrix\"><tr><th></th>", f);
    for (size_t j = 0; j < n; j++) {
        fputs("<th>", f);
        s_html(f, ag[j]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><th>", f);
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
                    v = r->overlap[k].people;
            fprintf(f, "<td class=\"n%s\">", v >= 0 ? " hot" : "");
            s_count(f, v < -1 ? -1 : v, r->suppress_below, true);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

void cl_report_html(FILE *f, const cl_report *r)
{
    char made[32];
    s_axes *a = calloc(1, sizeof(*a));
    if (!a)
        return;
    s_axes_of(r, a);
    s_when(made, r->made_at);
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
            "charset=\"utf-8\">\n"
            "<title>Extended MDT outcomes report %s to %s</title>\n"
            "<style>\n"
            "body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px;"
            "color:#222;max-width:1100px}\n"
            "h1{font-size:22px}h2{font-size:18px;margin-top:28px;"
            "border-bottom:1px solid #ccc}h3{font-size:15px}\n"
            "table{border-collapse:collapse;margin:6px 16px 6px 0}"
            "td,th{border:1px solid #bbb;padding:3px 7px;font-size:12px}"
            "th{background:#eef}td.n{text-align:right}\n"
            ".pair{display:flex;flex-wrap:wrap;align-items:flex-start}\n"
            ".note{font-size:12px;color:#555}.dot{display:inline-block;"
            "width:10px;height:10px;border-radius:5px;margin-right:5px}\n"
            "td.hot{background:#dde8f6}td.self{background:#eee}\n"
            "</style>\n</head>\n<body>\n"
            "<h1>Extended MDT outcomes report</h1>\n"
            "<p>Period: <b>%s</b> to <b>%s</b>. Made %s by caselink.</p>\n"
            "<p class=\"note\">No personal data: counts only. Any count below "
            "%u is shown as &lt;%u.</p>\n",
            r->from, r->to, r->from, r->to, made, r->suppress_below,
            r->suppress_below);
    s_html_referrals(f, r, a);
    s_html_work(f, r);
    s_html_rag(f, r);
    s_html_measures(f, r);
    s_html_overlap(f, r);
    fputs("</body>\n</html>\n", f);
    free(a);
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

void cl_report_json(FILE *f, const cl_report *r)
{
    fputs("{\"report\":\"caselink extended MDT outcomes\",\"from\":", f);
    cl_json_str_write(f, r->from);
    fputs(",\"to\":", f);
    cl_json_str_write(f, r->to);
    fprintf(f, ",\"made_at\":%" PRId64 ",\"suppress_below\":%u", r->made_at,
            r->suppress_below);
    fputs(",\"suppressed_as\":null,\"referrals\":[", f);
    for (size_t i = 0; i < r->n_referrals; i++) {
        fputs(i ? ",{\"agency\":" : "{\"agency\":", f);
        cl_json_str_write(f, r->referrals[i].agency);
        fputs(",\"month\":", f);
        cl_json_str_write(f, r->referrals[i].month);
        fputs(",\"referrals\":", f);
        s_json_count(f, r->referrals[i].referrals);
        fputc('}', f);
    }
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
    for (size_t i = 0; i < r->n_referrals; i++)
        s_row(f, "referrals", r->referrals[i].agency, r->referrals[i].month,
              r->referrals[i].referrals, t);
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
    }
}
