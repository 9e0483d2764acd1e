/*
 * pack: the agenda pack as a printable document (HTML with print CSS: a
 * page per person, the review and page number at the top of every page,
 * the confidentiality statement at the foot), as PDF made from it by
 * headless Chromium, and as CSV for the minute-taker; and the meeting
 * record (caselink mdt record). The pack holds personal data: the HTML
 * for a PDF is written to a private temporary folder and removed.
 */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "report.h"
#include "texts.h"
#include "when.h"
#include "words.h"

#define H(s) cl_html_write(f, (s))

/* A string as a CSS string literal's content (for @page margin boxes). */
static void s_css_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fputc(' ', f);
        else if (c == '<')
            fputs("\\3c ", f); /* no "</style>" from data */
        else
            fputc(c, f);
    }
}

/* A YYYY-MM-DD date as the pack's reader reads it ("8 Dec 2026"). */
static void s_day(FILE *f, const char *iso)
{
    char out[CL_WHEN_SHOW_SZ];
    cl_when_show_date(out, iso, false);
    H(out);
}

/* Text the daemon wrote (an agenda note), machine names as words. */
static void s_said(FILE *f, const char *text)
{
    char out[2 * CL_NOTE_SZ];
    cl_words_say(out, sizeof(out), text);
    H(out);
}

static void s_person_name(FILE *f, const cl_pack_item *it)
{
    const cl_person *p =
        it->person.n_records ? &it->person.records[0].person : NULL;
    if (p && (p->given[0] || p->family[0])) {
        H(p->given);
        fputc(' ', f);
        H(p->family);
    } else {
        H(it->person.person_id);
    }
}

static void s_people(FILE *f, const char *title, const cl_attendee *a,
                     uint32_t n)
{
    fprintf(f, "<h3>%s</h3>\n", title);
    if (!n) {
        fputs("<p>None recorded.</p>\n", f);
        return;
    }
    fputs("<table><tr><th>Name</th><th>Agency</th><th>Role</th></tr>\n", f);
    for (uint32_t i = 0; i < n; i++) {
        fputs("<tr><td>", f);
        H(a[i].name);
        fputs("</td><td>", f);
        H(a[i].agency);
        fputs("</td><td>", f);
        H(a[i].role);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void s_action_rows(FILE *f, const cl_actions *as, bool show_review)
{
    fputs("<table><tr><th>Action</th>", f);
    if (show_review)
        fputs("<th>Review</th>", f);
    fputs("<th>What</th><th>Owner</th><th>Due</th><th>Status</th></tr>\n", f);
    for (size_t i = 0; i < as->n; i++) {
        const cl_action *a = &as->v[i];
        bool open =
            a->status == CL_ACTION_OPEN || a->status == CL_ACTION_BLOCKED;
        fprintf(f, "<tr%s><td>", open ? " class=\"open\"" : "");
        H(a->action_id);
        if (show_review) {
            fputs("</td><td>", f);
            H(a->review_id);
        }
        fputs("</td><td>", f);
        H(a->text);
        fputs("</td><td>", f);
        H(a->owner_name);
        fputs(", ", f);
        H(a->owner_agency);
        fputs("</td><td>", f);
        s_day(f, a->due);
        fprintf(f, "</td><td>%s%s%s",
                open ? "<strong>STILL OPEN</strong> " : "",
                cl_words(CL_W_ACTION, a->status),
                a->overdue ? " <strong>OVERDUE</strong>" : "");
        if (a->note[0]) {
            fputs(": ", f);
            H(a->note);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The document's head: its title and the print style, with the review and
 * page number at the top of every page and the confidentiality statement
 * at the foot. */
static void s_html_head(FILE *f, const cl_review_pack *p)
{
    const cl_meeting *m = &p->meeting;
    fputs("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
          "<title>",
          f);
    H(p->review_id);
    fputs(" agenda pack</title>\n<style>\n@page { size: A4; margin: 24mm 16mm "
          "26mm 16mm;\n  @top-left { content: \"",
          f);
    s_css_str(f, p->review.title);
    fputs(" \\2014  ", f);
    s_css_str(f, p->review_id);
    char day[CL_WHEN_SHOW_SZ];
    cl_when_show_date(day, p->review.date, false);
    fputs(", ", f);
    s_css_str(f, day);
    fputs("\"; font: 9pt sans-serif; color: #333; }\n  @top-right { content: "
          "\"Page \" counter(page) \" of \" counter(pages); font: 9pt "
          "sans-serif; color: #333; }\n  @bottom-center { content: \"",
          f);
    s_css_str(f, m->confidentiality);
    fputs("\"; font: 7.5pt sans-serif; color: #333; }\n}\n", f);
    fputs(cl_text_pack_css, f); /* text/pack.css */
    fputs("</style></head><body>\n", f);
}

/* The cover: the meeting, "since the last meeting" and the agenda. */
static void s_html_cover(FILE *f, const cl_review_pack *p)
{
    const cl_meeting *m = &p->meeting;
    fputs("<header><h1>Extended MDT review: ", f);
    H(p->review.title);
    fputs("</h1>\n<p>", f);
    H(p->review_id);
    fputs(", ", f);
    s_day(f, p->review.date);
    fputs("</p></header>\n<p class=\"confidential\">", f);
    H(m->confidentiality);
    fputs("</p>\n<h3>Chair</h3>\n<p>", f);
    H(m->chair[0] ? m->chair : "Not recorded.");
    fputs("</p>\n", f);
    s_people(f, "Attendees", m->attendees, m->n_attendees);
    s_people(f, "Apologies", m->apologies, m->n_apologies);
    fputs("<h2>Since the last meeting</h2>\n<p>", f);
    if (p->previous_id[0]) {
        fputs("Since ", f);
        H(p->previous_id);
        fputs(" on ", f);
        s_day(f, p->previous_date);
        fputs(".", f);
    } else {
        fputs("No earlier meeting: everything so far.", f);
    }
    fputs("</p>\n<table><tr><th>#</th><th>Person</th><th>New referrals</th>"
          "<th>Safeguarding alerts</th><th>Answers to requests</th>"
          "<th>Overdue actions</th></tr>\n",
          f);
    for (size_t i = 0; i < p->n; i++) {
        const cl_pack_item *it = &p->v[i];
        fprintf(f, "<tr><td>%zu</td><td>", i + 1);
        s_person_name(f, it);
        fprintf(f,
                " (%s)</td><td>%u</td><td>%u</td><td>%u</td><td>%u</td></tr>\n",
                it->person.person_id, it->n_since, it->since_alerts,
                it->since_answered, it->since_overdue);
    }
    fputs("</table>\n<h2>Agenda</h2>\n<ol>\n", f);
    for (size_t i = 0; i < p->n; i++) {
        fputs("<li>", f);
        s_person_name(f, &p->v[i]);
        fprintf(f, " &mdash; %s</li>\n", cl_words(CL_W_AGENDA, p->v[i].reason));
    }
    fputs("</ol>\n", f);
}

/* What happened since the last meeting, and the earlier reviews. */
static void s_html_history(FILE *f, const cl_pack_item *it)
{
    fputs("<h3>Since the last meeting</h3>\n", f);
    if (!it->n_since)
        fputs("<p>No new referrals.</p>\n", f);
    else {
        fputs("<table><tr><th>Referral</th><th>From</th><th>What</th>"
              "<th>Received</th><th>Status</th></tr>\n",
              f);
        for (uint32_t j = 0; j < it->n_since; j++) {
            const cl_referral_row *r = &it->since[j];
            char when[CL_WHEN_SHOW_SZ];
            cl_when_show_day(when, r->received_at, false);
            fputs("<tr><td>", f);
            H(r->reference);
            fputs("</td><td>", f);
            H(r->agency);
            fprintf(f, "</td><td>%s, %s</td><td>%s</td><td>%s</td></tr>\n",
                    cl_words(CL_W_CATEGORY, r->category),
                    cl_words(CL_W_RISK, r->risk), when,
                    cl_words(CL_W_REFSTAT, r->status));
        }
        fputs("</table>\n", f);
    }
    fprintf(f,
            "<p>Safeguarding alerts raised: %u. Answers to information "
            "requests: %u. Overdue actions: %u.</p>\n",
            it->since_alerts, it->since_answered, it->since_overdue);
    fputs("<h3>Earlier reviews</h3>\n", f);
    if (!it->n_prior)
        fputs("<p>First time on an agenda.</p>\n", f);
    for (uint32_t j = 0; j < it->n_prior; j++) {
        const cl_prior_review *pr = &it->prior[j];
        fputs("<div class=\"keep\"><p><strong>", f);
        H(pr->review_id);
        fputs(", ", f);
        s_day(f, pr->date);
        fputs("</strong>: ", f);
        H(pr->discussion[0] ? pr->discussion : "no discussion recorded");
        if (pr->decisions[0]) {
            fputs("<br>Decisions: ", f);
            H(pr->decisions);
        }
        fputs("</p></div>\n", f);
    }
}

/* Information requests about the person and each agency's answer. */
static void s_html_requests(FILE *f, const cl_pack_item *it)
{
    if (it->requests.n) {
        fputs("<h3>Information requests</h3>\n<table><tr><th>Request</th>"
              "<th>Agency</th><th>Answer</th></tr>\n",
              f);
        for (size_t j = 0; j < it->requests.n; j++) {
            const cl_request_summary *q = &it->requests.v[j];
            for (uint32_t k = 0; k < q->n_agencies; k++) {
                const cl_request_state *a = &q->agencies[k];
                fputs("<tr><td>", f);
                H(q->request_id);
                fputs(": ", f);
                H(q->question);
                fputs("</td><td>", f);
                H(a->agency);
                fputs("</td><td>", f);
                if (a->answered) {
                    fprintf(f, "%s, %s: ",
                            cl_words(CL_W_INVOLVE, a->response.involvement),
                            cl_words(CL_W_RISK, a->response.risk));
                    H(a->response.summary);
                } else {
                    fputs(a->overdue ? "<strong>OVERDUE</strong>" : "waiting",
                          f);
                }
                fputs("</td></tr>\n", f);
            }
        }
        fputs("</table>\n", f);
    }
}

/* Who knows the person, and the referrals (the table is left open). */
static void s_html_known(FILE *f, const cl_person_view *v)
{
    fputs("<h3>Known to</h3>\n<table><tr><th>Agency</th><th>Record</th>"
          "</tr>\n",
          f);
    for (size_t j = 0; j < v->n_records; j++) {
        const cl_agency_record *r = &v->records[j];
        fputs("<tr><td>", f);
        H(r->agency);
        fputs("</td><td>", f);
        H(r->person.given);
        fputs(" ", f);
        H(r->person.family);
        if (r->person.postcode[0]) {
            fputs(", ", f);
            H(r->person.postcode);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<h3>Referrals</h3>\n<table><tr><th>Referral</th>"
          "<th>From</th><th>What</th><th>Concern</th></tr>\n",
          f);
    for (size_t j = 0; j < v->n_referrals; j++) {
        const cl_referral_view *r = &v->referrals[j];
        fputs("<tr><td>", f);
        H(r->reference);
        fputs("</td><td>", f);
        H(r->agency);
        fprintf(f, "</td><td>%s, %s</td><td>",
                cl_words(CL_W_CATEGORY, r->category),
                cl_words(CL_W_RISK, r->risk));
        H(r->concern);
        fputs("</td></tr>\n", f);
    }
}

/* One person's page (item i of the agenda). */
static void s_html_person(FILE *f, size_t i, const cl_pack_item *it)
{
    const cl_person_view *v = &it->person;
    fprintf(f, "<section class=\"person\" id=\"p%zu\">\n<h2>%zu. ", i + 1,
            i + 1);
    s_person_name(f, it);
    fprintf(f, " <small>(%s)</small></h2>\n<p>", v->person_id);
    if (v->n_records && v->records[0].person.dob[0]) {
        fputs("Born ", f);
        s_day(f, v->records[0].person.dob);
        fputs(". ", f);
    }
    fprintf(f, "On the agenda for: %s.", cl_words(CL_W_AGENDA, it->reason));
    if (it->note[0]) {
        fputs(" ", f);
        s_said(f, it->note);
        if (it->note[strlen(it->note) - 1] != '.')
            fputc('.', f);
    }
    if (it->rated) {
        fprintf(f, " RAG: <strong>%s</strong> (",
                cl_words(CL_W_RAG, it->rag.rating));
        H(it->rag.note);
        fputs(").", f);
    }
    fputs("</p>\n", f);
    for (size_t j = 0; j < v->n_plans; j++) {
        fputs("<p class=\"confidential\">Child protection: ", f);
        H(cl_words(CL_W_PLAN_TYPE, v->plans[j].type));
        fputs(" (", f);
        H(v->plans[j].authority);
        fputs(")</p>\n", f);
    }
    s_html_history(f, it);
    if (it->earlier.n) {
        fputs("<h3>Actions from earlier reviews</h3>\n", f);
        s_action_rows(f, &it->earlier, true);
    }
    fputs("<h3>Open actions</h3>\n", f);
    if (it->actions.n)
        s_action_rows(f, &it->actions, true);
    else
        fputs("<p>None.</p>\n", f);
    s_html_requests(f, it);
    s_html_known(f, v);
    fputs("</table>\n<h3>This meeting</h3>\n<p>", f);
    H(it->discussion[0] ? it->discussion
                        : "Discussion: (for the minute-taker)");
    if (it->decisions[0]) {
        fputs("<br>Decisions: ", f);
        H(it->decisions);
    }
    fputs("</p>\n</section>\n", f);
}

void cli_pack_html(FILE *f, const cl_review_pack *p)
{
    s_html_head(f, p);
    s_html_cover(f, p);
    for (size_t i = 0; i < p->n; i++) /* a page per person */
        s_html_person(f, i, &p->v[i]);
    fputs("</body></html>\n", f);
}

int cli_pack_csv(FILE *f, const cl_review_pack *p)
{
    fputs("review_id,date,item,person_id,given_names,family_name,"
          "date_of_birth,reason,note,rag,open_actions,overdue_actions,"
          "referrals_since,alerts_since,answers_since,earlier_reviews,"
          "discussion,decisions\n",
          f);
    for (size_t i = 0; i < p->n; i++) {
        const cl_pack_item *it = &p->v[i];
        const cl_person *r =
            it->person.n_records ? &it->person.records[0].person : NULL;
        char item[24], n[6][24];
        snprintf(item, sizeof(item), "%zu", i + 1);
        snprintf(n[0], sizeof(n[0]), "%zu", it->actions.n);
        snprintf(n[1], sizeof(n[1]), "%u", it->since_overdue);
        snprintf(n[2], sizeof(n[2]), "%u", it->n_since);
        snprintf(n[3], sizeof(n[3]), "%u", it->since_alerts);
        snprintf(n[4], sizeof(n[4]), "%u", it->since_answered);
        snprintf(n[5], sizeof(n[5]), "%u", it->n_prior);
        const char *cells[] = {p->review_id,
                               p->review.date,
                               item,
                               it->person.person_id,
                               r ? r->given : "",
                               r ? r->family : "",
                               r ? r->dob : "",
                               cl_agenda_name(it->reason),
                               it->note,
                               it->rated ? cl_rag_name(it->rag.rating) : "",
                               n[0],
                               n[1],
                               n[2],
                               n[3],
                               n[4],
                               n[5],
                               it->discussion,
                               it->decisions};
        for (size_t k = 0; k < sizeof(cells) / sizeof(cells[0]); k++) {
            if (k)
                fputc(',', f);
            cl_csv_field_write(f, cells[k]);
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

/* Run Chromium headless, offline, to print html (a path) to pdf. */
static int s_chromium_pdf(const char *html, const char *pdf, const char *tmp)
{
    const char *chrome = getenv("CASELINK_CHROMIUM");
    char profile[PATH_MAX + 32], out_arg[PATH_MAX + 32], url[PATH_MAX + 16];
    char abs_pdf[PATH_MAX];
    if (!chrome || !chrome[0])
        chrome = "chromium";
    if (pdf[0] != '/') {
        if (!getcwd(abs_pdf, sizeof(abs_pdf)) ||
            strlen(abs_pdf) + strlen(pdf) + 2 > sizeof(abs_pdf))
            return -1;
        strcat(abs_pdf, "/");
        strcat(abs_pdf, pdf);
    } else {
        cl_copy(abs_pdf, sizeof(abs_pdf), pdf);
    }
    snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile", tmp);
    snprintf(out_arg, sizeof(out_arg), "--print-to-pdf=%s", abs_pdf);
    snprintf(url, sizeof(url), "file://%s", html);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp(chrome, chrome, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions",
               "--no-pdf-header-footer", profile, out_arg, url, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        fprintf(stderr,
                "caselink: cannot run %s (install chromium, or set "
                "CASELINK_CHROMIUM)\n",
                chrome);
        return -1;
    }
    struct stat sb;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 && stat(abs_pdf, &sb) == 0 &&
                   sb.st_size > 0
               ? 0
               : -1;
}

int cli_pack_pdf(const cl_review_pack *p, const char *pdf)
{
    char tmp[] = "/tmp/caselink-pack.XXXXXX", html[sizeof(tmp) + 16];
    int rc = -1;
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "caselink: temporary folder: %s\n", strerror(errno));
        return -1;
    }
    snprintf(html, sizeof(html), "%s/pack.html", tmp);
    FILE *f = fopen(html, "w");
    if (f) {
        cli_pack_html(f, p);
        rc = fclose(f) == 0 ? 0 : -1;
    }
    if (rc == 0)
        rc = s_chromium_pdf(html, pdf, tmp);
    /* the HTML holds personal data: overwrite, then remove everything */
    FILE *w = fopen(html, "r+");
    if (w) {
        fseek(w, 0, SEEK_END);
        long n = ftell(w);
        rewind(w);
        for (long i = 0; i < n; i++)
            fputc(0, w);
        fclose(w);
    }
    char cmd[sizeof(tmp) + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "caselink: could not remove %s\n", tmp);
    if (rc != 0)
        fprintf(stderr, "caselink: Chromium did not print %s\n", pdf);
    return rc;
}

/* caselink mdt record MDT-ID --chair NAME [--attendee "Name|Agency|Role"]...
 * [--apology "Name|Agency|Role"]... [--confidentiality TEXT] */
static bool s_person_arg(cl_attendee *a, const char *o, const char *v)
{
    char buf[512];
    if (!cl_copy(buf, sizeof(buf), v)) {
        fprintf(stderr, "caselink: %s: too long\n", o);
        return false;
    }
    char *agency = strchr(buf, '|'), *role = NULL;
    if (!agency) {
        fprintf(stderr,
                "caselink: %s '%s': give the name and the agency, and the "
                "role if you like, between bars: \"Jo Bloggs|Northshire "
                "Police|DS\"\n",
                o, v);
        return false;
    }
    *agency++ = '\0';
    if ((role = strchr(agency, '|')))
        *role++ = '\0';
    return CL_COPY(a->name, buf) && CL_COPY(a->agency, agency) &&
           CL_COPY(a->role, role ? role : "");
}

/* mdt record: --chair, --attendee and --apology (repeatable),
 * --confidentiality. */
static int s_meeting_opt(cl_request *req, const char *o, const char *v)
{
    cl_meeting *m = &req->u.meeting;
    if (!strcmp(o, "--chair"))
        return cli_ok(CL_COPY(m->chair, v));
    if (!strcmp(o, "--attendee") && m->n_attendees < CL_ATTENDEES_MAX)
        return cli_ok(s_person_arg(&m->attendees[m->n_attendees++], o, v));
    if (!strcmp(o, "--apology") && m->n_apologies < CL_ATTENDEES_MAX)
        return cli_ok(s_person_arg(&m->apologies[m->n_apologies++], o, v));
    if (!strcmp(o, "--confidentiality"))
        return cli_ok(CL_COPY(m->confidentiality, v));
    return CLI_EXIT_USAGE;
}

int cli_mdt_record(cli_conn *cn, int argc, char **argv)
{
    cl_reply rep;
    cl_request *req = cli_req_on_id(cn, CL_REQ_RECORD_MEETING,
                                    offsetof(cl_request, u.meeting.review_id),
                                    CL_REF_SZ, argc, argv, s_meeting_opt);
    if (!req)
        return cli_usage(cn, "mdt record");
    const cl_meeting *m = &req->u.meeting;
    int status = cli_call(cn, "coordinator", req, &rep);
    if (!status) {
        printf("meeting recorded: %s (%u attending, %u apologies)\n",
               rep.u.publish.reference, m->n_attendees, m->n_apologies);
        cl_reply_clear(&rep);
    }
    free(req);
    return status;
}
