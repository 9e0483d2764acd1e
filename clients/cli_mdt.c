/*
 * cli_mdt: the caselink tool's extended MDT commands: discussion, actions,
 * RAG ratings, outcome measures, the executive report, the agenda pack.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "csv.h"
#include "pack.h"
#include "report.h"

/* Options as --name value pairs from argv[first]; calls set for each. */
typedef bool (*s_opt_fn)(cl_request *req, const char *o, const char *v);

static bool s_opts(cl_request *req, int argc, char **argv, int first,
                   s_opt_fn set)
{
    for (int i = first; i < argc; i += 2)
        if (i + 1 >= argc || strncmp(argv[i], "--", 2) != 0 ||
            !set(req, argv[i], argv[i + 1]))
            return false;
    return true;
}

/* Send and print "what: reference"; 0 or the exit status. */
static int s_simple(cli_conn *cn, cl_request *req, const char *what)
{
    cl_reply rep;
    int status = cli_call(cn, "coordinator", req, &rep);
    if (status)
        return status;
    printf("%s: %s\n", what, rep.u.publish.reference);
    cl_reply_clear(&rep);
    return 0;
}

static int s_usage_of(const char *text)
{
    fputs(text, stderr);
    return CLI_EXIT_USAGE;
}

/* --- discussion ------------------------------------------------------------
 */

static bool s_disc_opt(cl_request *req, const char *o, const char *v)
{
    cl_discussion *d = &req->u.discussion;
    if (!strcmp(o, "--id"))
        return CL_COPY(d->person_id, v);
    if (!strcmp(o, "--summary"))
        return CL_COPY(d->summary, v);
    if (!strcmp(o, "--decisions"))
        return CL_COPY(d->decisions, v);
    return false;
}

int cli_mdt_discuss(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    int status;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_RECORD_DISCUSSION;
    if (argc < 1 || !CL_COPY(req->u.discussion.review_id, argv[0]) ||
        !s_opts(req, argc, argv, 1, s_disc_opt))
        status = s_usage_of("usage: caselink mdt discuss MDT-ID --id P "
                            "--summary TEXT [--decisions TEXT]\n");
    else
        status = s_simple(cn, req, "discussion recorded for");
    free(req);
    return status;
}

/* --- actions ---------------------------------------------------------------
 */

static bool s_action_opt(cl_request *req, const char *o, const char *v)
{
    cl_action *a = &req->u.action;
    if (!strcmp(o, "--id"))
        return CL_COPY(a->person_id, v);
    if (!strcmp(o, "--text"))
        return CL_COPY(a->text, v);
    if (!strcmp(o, "--owner"))
        return CL_COPY(a->owner_name, v);
    if (!strcmp(o, "--owner-agency"))
        return CL_COPY(a->owner_agency, v);
    if (!strcmp(o, "--due"))
        return cli_date_opt(a->due, v, "--due");
    return false;
}

static void s_print_actions(const cli_conn *cn, const cl_actions *as,
                            const cl_action_query *q)
{
    for (size_t i = 0; i < as->n; i++) {
        const cl_action *a = &as->v[i];
        char due[CL_WHEN_SHOW_SZ];
        cli_dob(cn, due, a->due);
        printf("%s  %s  %s  due %s  %s%s\n    %s\n    owner: %s, %s\n",
               a->action_id, a->review_id, a->person_id, due,
               cl_words(CL_W_ACTION, a->status), a->overdue ? "  OVERDUE" : "",
               a->text, a->owner_name, a->owner_agency);
        if (a->note[0])
            printf("    note: %s\n", a->note);
        for (uint32_t k = 0; k < a->n_changes; k++) {
            const cl_action_change *c = &a->changes[k];
            char at[CL_WHEN_SHOW_SZ];
            cli_time(cn, at, c->at);
            printf("    %s  %s by %s%s%s%s%s\n", at,
                   k ? cl_words(CL_W_ACTION, c->status) : "agreed",
                   c->user[0] ? c->user : "", c->user[0] ? ", " : "", c->agency,
                   c->note[0] ? ": " : "", c->note);
        }
    }
    printf("%zu action%s\n", as->n, as->n == 1 ? "" : "s");
    if (!as->n && q)
        printf("No actions%s%s%s%s%s. Actions are agreed at a review: "
               "caselink action add MDT-ID --id P ...\n",
               q->overdue_only ? " overdue"
               : q->open_only  ? " open"
                               : "",
               q->review_id[0] ? " for " : "", q->review_id,
               q->person_id[0] ? " about " : "", q->person_id);
}

/* The actions tracker for the minute-taker: one row per action, with the
 * latest change (who, when). "-" writes to standard output. */
static int s_actions_csv(const char *path, const cl_actions *as)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    fputs("action_id,review_id,person_id,text,owner_name,owner_agency,due,"
          "status,overdue,note,updated_at,updated_by,updated_user\n",
          f);
    for (size_t i = 0; i < as->n; i++) {
        const cl_action *a = &as->v[i];
        const cl_action_change *c =
            a->n_changes ? &a->changes[a->n_changes - 1] : NULL;
        char at[32] = "";
        if (a->updated_at) {
            time_t tt = (time_t)a->updated_at;
            struct tm tm;
            strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
        }
        const char *cells[] = {a->action_id,
                               a->review_id,
                               a->person_id,
                               a->text,
                               a->owner_name,
                               a->owner_agency,
                               a->due,
                               cl_action_status_name(a->status),
                               a->overdue ? "yes" : "no",
                               a->note,
                               at,
                               c ? c->agency : "",
                               c ? c->user : ""};
        for (size_t k = 0; k < sizeof(cells) / sizeof(cells[0]); k++) {
            if (k)
                fputc(',', f);
            cl_csv_field_write(f, cells[k]);
        }
        fputc('\n', f);
    }
    if (f != stdout && fclose(f) != 0) {
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    if (f != stdout)
        printf("wrote %zu action%s to %s\n", as->n, as->n == 1 ? "" : "s",
               path);
    return 0;
}

int cli_action(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    const char *sub = argc ? argv[0] : "";
    int status, st = -1;
    if (!req)
        return CLI_EXIT_FAILED;
    if (!strcmp(sub, "add") && argc >= 2) {
        req->kind = CL_REQ_ADD_ACTION;
        if (CL_COPY(req->u.action.review_id, argv[1]) &&
            s_opts(req, argc, argv, 2, s_action_opt)) {
            status = s_simple(cn, req, "action added");
            goto out;
        }
    } else if ((st = !strcmp(sub, "done")     ? CL_ACTION_DONE
                     : !strcmp(sub, "cancel") ? CL_ACTION_CANCELLED
                     : !strcmp(sub, "reopen") ? CL_ACTION_OPEN
                     : !strcmp(sub, "block")  ? CL_ACTION_BLOCKED
                                              : -1) >= 0 &&
               (argc == 2 || (argc == 4 && !strcmp(argv[2], "--note")))) {
        cl_action_update *u = &req->u.action_update;
        req->kind = CL_REQ_UPDATE_ACTION;
        u->status = (uint8_t)st;
        if (CL_COPY(u->action_id, argv[1]) &&
            (argc == 2 || CL_COPY(u->note, argv[3]))) {
            status = s_simple(cn, req, cl_action_status_name((unsigned)st));
            goto out;
        }
    }
    status = s_usage_of(
        "usage: caselink action add MDT-ID --id P --text TEXT --owner NAME\n"
        "           --owner-agency AGENCY --due YYYY-MM-DD\n"
        "       caselink action done|cancel|reopen ACT-ID [--note TEXT]\n"
        "       caselink action block ACT-ID --note TEXT\n");
out:
    free(req);
    return status;
}

static void s_json_actions(const cl_actions *as)
{
    printf("{\"actions\":[");
    for (size_t i = 0; i < as->n; i++) {
        const cl_action *a = &as->v[i];
        printf("%s{", i ? "," : "");
        cli_jkv("action_id", a->action_id, true);
        cli_jkv("review_id", a->review_id, true);
        cli_jkv("person_id", a->person_id, true);
        cli_jkv("text", a->text, true);
        cli_jkv("owner_name", a->owner_name, true);
        cli_jkv("owner_agency", a->owner_agency, true);
        cli_jkv("due", a->due, true);
        cli_jkv("status", cl_action_status_name(a->status), true);
        printf("\"overdue\":%s,", a->overdue ? "true" : "false");
        cli_jkv("note", a->note, false);
        printf("}");
    }
    printf("]}\n");
}

int cli_actions(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_LIST_ACTIONS;
    cl_action_query *q = &req->u.action_query;
    const char *csv = NULL;
    for (int i = 0; i < argc && !status; i++) {
        if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (!strcmp(argv[i], "--overdue"))
            q->overdue_only = true;
        else if (!strcmp(argv[i], "--open"))
            q->open_only = true;
        else if (!strcmp(argv[i], "--review") && i + 1 < argc)
            status = CL_COPY(q->review_id, argv[++i]) ? 0 : CLI_EXIT_USAGE;
        else if (!strcmp(argv[i], "--id") && i + 1 < argc)
            status = CL_COPY(q->person_id, argv[++i]) ? 0 : CLI_EXIT_USAGE;
        else
            status = CLI_EXIT_USAGE;
    }
    if (status)
        status = s_usage_of("usage: caselink actions [--overdue] [--open] "
                            "[--review MDT-ID] [--id P] [--csv FILE]\n");
    else if ((status = cli_call(cn, "coordinator", req, &rep)) == 0) {
        if (csv)
            status = s_actions_csv(csv, &rep.u.actions);
        else if (cn->json)
            s_json_actions(&rep.u.actions);
        else
            s_print_actions(cn, &rep.u.actions, q);
        cl_reply_clear(&rep);
    }
    free(req);
    return status;
}

/* --- RAG -------------------------------------------------------------------
 */

int cli_rag(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    const char *sub = argc ? argv[0] : "";
    int status = 0, g = -1;
    if (!req)
        return CLI_EXIT_FAILED;
    cl_rag_set *r = &req->u.rag;
    bool set = !strcmp(sub, "set"), hist = !strcmp(sub, "history");
    req->kind = set ? CL_REQ_SET_RAG : CL_REQ_RAG_HISTORY;
    int i = 1;
    if (argc >= 3 && (set || hist)) {
        if (!strcmp(argv[1], "--id"))
            status = CL_COPY(r->person_id, argv[2]) ? 0 : CLI_EXIT_USAGE;
        else if (!strcmp(argv[1], "--workstream"))
            status = CL_COPY(r->workstream, argv[2]) ? 0 : CLI_EXIT_USAGE;
        else
            status = CLI_EXIT_USAGE;
        i = 3;
    } else {
        status = CLI_EXIT_USAGE;
    }
    if (!status && set) {
        if (i < argc && (g = cl_rag_parse(argv[i])) > 0)
            r->rating = (uint8_t)g;
        else
            status = CLI_EXIT_USAGE;
        if (!status && (i + 3 != argc || strcmp(argv[i + 1], "--note") ||
                        !CL_COPY(r->note, argv[i + 2])))
            status = CLI_EXIT_USAGE;
    } else if (!status && i != argc) {
        status = CLI_EXIT_USAGE;
    }
    if (status) {
        status = s_usage_of("usage: caselink rag set (--id P | --workstream "
                            "NAME) red|amber|green --note TEXT\n"
                            "       caselink rag history (--id P | "
                            "--workstream NAME)\n");
    } else if (set) {
        status = s_simple(cn, req, "rated");
    } else if ((status = cli_call(cn, "coordinator", req, &rep)) == 0 &&
               cn->json) {
        printf("{\"ratings\":[");
        for (size_t k = 0; k < rep.u.rags.n; k++) {
            const cl_rag_entry *e = &rep.u.rags.v[k];
            printf("%s{", k ? "," : "");
            cli_jkv("rating", cl_rag_name(e->rating), true);
            cli_jkv("note", e->note, true);
            cli_jkv("by", e->by, true);
            cli_jtime("at", e->at, false);
            printf("}");
        }
        printf("]}\n");
        cl_reply_clear(&rep);
    } else if (status == 0) {
        for (size_t k = 0; k < rep.u.rags.n; k++) {
            char when[CL_WHEN_SHOW_SZ];
            cli_time(cn, when, rep.u.rags.v[k].at);
            printf("%s  %-5s  %s  (%s)\n", when,
                   cl_rag_name(rep.u.rags.v[k].rating), rep.u.rags.v[k].note,
                   rep.u.rags.v[k].by);
        }
        if (!rep.u.rags.n)
            printf("not rated yet: rate it with caselink rag set ... "
                   "red|amber|green --note TEXT\n");
        cl_reply_clear(&rep);
    }
    free(req);
    return status;
}

/* --- measures ---------------------------------------------------------------
 */

int cli_measure(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    const char *sub = argc ? argv[0] : "";
    int status = CLI_EXIT_USAGE;
    if (!req)
        return CLI_EXIT_FAILED;
    if (!strcmp(sub, "define") && argc >= 5 && !strcmp(argv[2], "--baseline")) {
        cl_measure_def *md = &req->u.measure_def;
        req->kind = CL_REQ_DEFINE_MEASURE;
        if (CL_COPY(md->name, argv[1]) &&
            cli_month_opt(md->from, argv[3], "--baseline") &&
            cli_month_opt(md->to, argv[4], "--baseline"))
            status = 0;
        for (int i = 5; i < argc && !status; i += 2) {
            const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
            int c;
            if (v && !strcmp(o, "--count"))
                status = CL_COPY(md->source, v) ? 0 : CLI_EXIT_USAGE;
            else if (v && !strcmp(o, "--category") &&
                     (c = cl_category_parse(v)) > 0)
                md->category = (uint8_t)c;
            else if (v && !strcmp(o, "--agency-kind"))
                status = CL_COPY(md->agency_kind, v) ? 0 : CLI_EXIT_USAGE;
            else
                status = CLI_EXIT_USAGE;
        }
    } else if (!strcmp(sub, "record") && argc == 8) {
        cl_measure_value *m = &req->u.measure;
        req->kind = CL_REQ_RECORD_MEASURE;
        status = CL_COPY(m->name, argv[1]) ? 0 : CLI_EXIT_USAGE;
        for (int i = 2; i + 1 < argc && !status; i += 2) {
            char *end = NULL;
            if (!strcmp(argv[i], "--id"))
                status =
                    CL_COPY(m->person_id, argv[i + 1]) ? 0 : CLI_EXIT_USAGE;
            else if (!strcmp(argv[i], "--period"))
                status = cli_month_opt(m->period, argv[i + 1], "--period")
                             ? 0
                             : CLI_EXIT_USAGE;
            else if (!strcmp(argv[i], "--value")) {
                errno = 0;
                m->value = strtod(argv[i + 1], &end);
                status = errno || !*argv[i + 1] || *end ? CLI_EXIT_USAGE : 0;
            } else
                status = CLI_EXIT_USAGE;
        }
    }
    if (status)
        status = s_usage_of(
            "usage: caselink measure define NAME --baseline MONTH MONTH\n"
            "           [--count referrals [--category CATEGORY] "
            "[--agency-kind KIND] | --count attendances]\n"
            "       caselink measure record NAME --id P --period YYYY-MM "
            "--value N\n");
    else
        status =
            s_simple(cn, req,
                     req->kind == CL_REQ_DEFINE_MEASURE ? "measure defined"
                                                        : "value recorded for");
    free(req);
    return status;
}

/* --- the report --------------------------------------------------------------
 */

int cli_report(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    const char *fmt = NULL, *path = NULL;
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_REPORT;
    for (int i = 0; i < argc && !status; i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            status = CLI_EXIT_USAGE;
        else if (!strcmp(o, "--html") || !strcmp(o, "--json") ||
                 !strcmp(o, "--csv")) {
            status = fmt ? CLI_EXIT_USAGE : 0;
            fmt = o + 2;
            path = v;
        } else if (!strcmp(o, "--from"))
            status = cli_date_opt(req->u.report.from, v, "--from")
                         ? 0
                         : CLI_EXIT_USAGE;
        else if (!strcmp(o, "--to"))
            status =
                cli_date_opt(req->u.report.to, v, "--to") ? 0 : CLI_EXIT_USAGE;
        else
            status = CLI_EXIT_USAGE;
    }
    if (status || !fmt) {
        free(req);
        return s_usage_of("usage: caselink report (--html FILE | --json FILE "
                          "| --csv FILE) [--from YYYY-MM-DD] [--to "
                          "YYYY-MM-DD]\n       (FILE - for standard output)\n");
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0) {
        free(req);
        return status;
    }
    FILE *f = strcmp(path, "-") ? fopen(path, "we") : stdout;
    if (!f) {
        fprintf(stderr, "caselink report: %s: %s\n", path, strerror(errno));
        status = CLI_EXIT_FAILED;
    } else {
        if (!strcmp(fmt, "html"))
            cl_report_html(f, &rep.u.report);
        else if (!strcmp(fmt, "json"))
            cl_report_json(f, &rep.u.report);
        else
            cl_report_csv(f, &rep.u.report);
        if (f != stdout && fclose(f) != 0) {
            fprintf(stderr, "caselink report: %s: %s\n", path, strerror(errno));
            status = CLI_EXIT_FAILED;
        } else if (f != stdout) {
            fprintf(stderr, "report for %s to %s written to %s\n",
                    rep.u.report.from, rep.u.report.to, path);
        }
    }
    cl_reply_clear(&rep);
    free(req);
    return status;
}

/* --- the agenda pack
 * ----------------------------------------------------------- */

/* Write the pack to path as HTML, CSV or PDF ("-": standard output). */
static int s_pack_out(const cl_review_pack *p, const char *how,
                      const char *path)
{
    if (!strcmp(how, "--pdf"))
        return cli_pack_pdf(p, path) == 0 ? 0 : CLI_EXIT_FAILED;
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    int bad = 0;
    if (!strcmp(how, "--html"))
        cli_pack_html(f, p);
    else
        bad = cli_pack_csv(f, p);
    if (f != stdout && fclose(f) != 0)
        bad = -1;
    if (bad) {
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    return 0;
}

int cli_review_show(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status;
    const char *out[3] = {NULL, NULL, NULL}; /* --html, --csv, --pdf */
    static const char *const how[3] = {"--html", "--csv", "--pdf"};
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_REVIEW_PACK;
    bool ok = argc >= 1 && CL_COPY(req->u.pack_review, argv[0]);
    for (int i = 1; ok && i < argc; i += 2) {
        int k = 0;
        while (k < 3 && strcmp(argv[i], how[k]))
            k++;
        ok = k < 3 && i + 1 < argc;
        if (ok)
            out[k] = argv[i + 1];
    }
    if (!ok) {
        free(req);
        return s_usage_of("usage: caselink mdt show MDT-ID [--html FILE] "
                          "[--pdf FILE] [--csv FILE]\n");
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0) {
        free(req);
        return status;
    }
    const cl_review_pack *p = &rep.u.pack;
    if (out[0] || out[1] || out[2]) {
        for (int k = 0; k < 3 && !status; k++)
            if (out[k] && (status = s_pack_out(p, how[k], out[k])) == 0 &&
                strcmp(out[k], "-"))
                printf("wrote %s (%s, %zu %s; opening the pack is audited)\n",
                       out[k], how[k] + 2, p->n,
                       p->n == 1 ? "person" : "people");
        cl_reply_clear(&rep);
        free(req);
        return status;
    }
    printf("AGENDA PACK  %s  %s  %s\n", p->review_id, p->review.date,
           p->review.title);
    printf("Agencies attending:");
    for (uint32_t i = 0; i < p->review.n_agencies; i++)
        printf("%s %s", i ? "," : "", p->review.agencies[i]);
    printf("\nChair: %s\n",
           p->meeting.chair[0] ? p->meeting.chair : "(not recorded)");
    for (uint32_t i = 0; i < p->meeting.n_attendees; i++)
        printf("%s %s (%s%s%s)",
               i ? "," : "Attendees:", p->meeting.attendees[i].name,
               p->meeting.attendees[i].agency,
               p->meeting.attendees[i].role[0] ? ", " : "",
               p->meeting.attendees[i].role);
    for (uint32_t i = 0; i < p->meeting.n_apologies; i++)
        printf("%s %s (%s)",
               i ? "," : "\nApologies:", p->meeting.apologies[i].name,
               p->meeting.apologies[i].agency);
    printf("\n%s\n", p->meeting.confidentiality);
    printf("\n%zu %s on the agenda. Opening this pack is audited.\n", p->n,
           p->n == 1 ? "person" : "people");
    if (p->purged)
        printf("%u %s on this agenda %s since been removed under the "
               "retention policy;\nwhat the meeting recorded about them was "
               "removed with them.\n",
               p->purged, p->purged == 1 ? "person" : "people",
               p->purged == 1 ? "has" : "have");
    printf("\nSince the last meeting%s%s%s%s%s:\n",
           p->previous_id[0] ? " (" : "", p->previous_id,
           p->previous_id[0] ? ", " : "",
           p->previous_id[0] ? p->previous_date : "",
           p->previous_id[0] ? ")" : "");
    for (size_t i = 0; i < p->n; i++)
        printf("  %s: %u new referral%s, %u safeguarding alert%s, %u "
               "answer%s, %u overdue action%s\n",
               p->v[i].person.person_id, p->v[i].n_since,
               p->v[i].n_since == 1 ? "" : "s", p->v[i].since_alerts,
               p->v[i].since_alerts == 1 ? "" : "s", p->v[i].since_answered,
               p->v[i].since_answered == 1 ? "" : "s", p->v[i].since_overdue,
               p->v[i].since_overdue == 1 ? "" : "s");
    for (size_t i = 0; i < p->n; i++) {
        const cl_pack_item *it = &p->v[i];
        printf("\n======== %zu. %s  (on the agenda for: %s)\n", i + 1,
               it->person.person_id, cl_agenda_name(it->reason));
        if (it->note[0])
            printf("Why: %s\n", it->note);
        if (it->rated)
            printf("RAG: %s  (%s)\n", cl_rag_name(it->rag.rating),
                   it->rag.note);
        cli_print_view(cn, &it->person);
        printf("\nOpen actions (%zu)\n", it->actions.n);
        for (size_t j = 0; j < it->actions.n; j++) {
            const cl_action *a = &it->actions.v[j];
            printf("  %s due %s%s: %s (%s, %s)\n", a->action_id, a->due,
                   a->overdue ? " OVERDUE" : "", a->text, a->owner_name,
                   a->owner_agency);
        }
        printf("\nInformation requests (%zu)\n", it->requests.n);
        for (size_t j = 0; j < it->requests.n; j++) {
            const cl_request_summary *q = &it->requests.v[j];
            printf("  %s due %s: %s\n", q->request_id, q->due, q->question);
            for (uint32_t k = 0; k < q->n_agencies; k++) {
                const cl_request_state *a = &q->agencies[k];
                if (a->answered)
                    printf("    %s (%s involvement, %s risk): %s\n", a->agency,
                           cl_involve_name(a->response.involvement),
                           cl_risk_name(a->response.risk), a->response.summary);
                else
                    printf("    %s: %s\n", a->agency,
                           a->overdue ? "OVERDUE, no answer" : "no answer yet");
            }
        }
        for (uint32_t j = 0; j < it->n_prior; j++)
            printf("%s  %s %s: %s%s%s\n", j ? "" : "\nEarlier reviews\n",
                   it->prior[j].review_id, it->prior[j].date,
                   it->prior[j].discussion[0] ? it->prior[j].discussion
                                              : "(no discussion recorded)",
                   it->prior[j].decisions[0] ? "; decided: " : "",
                   it->prior[j].decisions);
        for (size_t j = 0; j < it->earlier.n; j++) {
            const cl_action *a = &it->earlier.v[j];
            bool open =
                a->status == CL_ACTION_OPEN || a->status == CL_ACTION_BLOCKED;
            printf("%s  %s (%s) %s: %s%s\n",
                   j ? "" : "\nActions from earlier reviews\n", a->action_id,
                   a->review_id, open ? "STILL OPEN" : "",
                   cl_words(CL_W_ACTION, a->status),
                   a->overdue ? " OVERDUE" : "");
        }
        if (it->discussion[0])
            printf("\nDiscussion: %s\nDecisions: %s\n", it->discussion,
                   it->decisions[0] ? it->decisions : "-");
        for (uint32_t j = 0; j < it->n_measures; j++) {
            const cl_measure_summary *m = &it->measures[j];
            printf("%s%s: baseline %s to %s %.1f a month; since:",
                   j ? "" : "\nOutcome measures\n", m->name, m->from, m->to,
                   m->baseline_monthly);
            for (uint32_t k = 0; k < m->n_periods; k++)
                printf(" %s %.1f", m->periods[k].period, m->periods[k].total);
            printf("%s\n", m->n_periods ? "" : " nothing recorded yet");
        }
    }
    cl_reply_clear(&rep);
    free(req);
    return 0;
}

int cli_mdt(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0, first;
    if (!req)
        return CLI_EXIT_FAILED;
    if (argc >= 1 && !strcmp(argv[0], "discuss")) {
        free(req);
        return cli_mdt_discuss(cn, argc - 1, argv + 1);
    }
    if (argc >= 2 && !strcmp(argv[0], "show")) {
        free(req);
        return cli_review_show(cn, argc - 1, argv + 1);
    }
    if (argc >= 1 && !strcmp(argv[0], "record")) {
        free(req);
        return cli_mdt_record(cn, argc - 1, argv + 1);
    }
    if (argc >= 1 && !strcmp(argv[0], "create")) {
        req->kind = CL_REQ_CREATE_REVIEW;
        first = 1;
    } else if (argc >= 2 && !strcmp(argv[0], "add")) {
        req->kind = CL_REQ_ADD_TO_AGENDA;
        CL_COPY(req->u.agenda.review_id, argv[1]);
        first = 2;
    } else {
        status = CLI_EXIT_USAGE;
        first = argc;
    }
    for (int i = first; i < argc && !status; i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = v != NULL;
        cl_review_new *rn = &req->u.review_new;
        cl_agenda_add *ag = &req->u.agenda;
        if (!ok)
            ;
        else if (req->kind == CL_REQ_CREATE_REVIEW && !strcmp(o, "--date"))
            ok = cli_date_opt(rn->date, v, "--date");
        else if (req->kind == CL_REQ_CREATE_REVIEW && !strcmp(o, "--title"))
            ok = CL_COPY(rn->title, v);
        else if (req->kind == CL_REQ_CREATE_REVIEW && !strcmp(o, "--agency") &&
                 rn->n_agencies < CL_REVIEW_AGENCIES)
            ok = CL_COPY(rn->agencies[rn->n_agencies++], v);
        else if (req->kind == CL_REQ_ADD_TO_AGENDA && !strcmp(o, "--nhs"))
            ok = CL_COPY(ag->who.match.nhs, v);
        else if (req->kind == CL_REQ_ADD_TO_AGENDA && !strcmp(o, "--id"))
            ok = CL_COPY(ag->who.person_id, v);
        else if (req->kind == CL_REQ_ADD_TO_AGENDA && !strcmp(o, "--note"))
            ok = CL_COPY(ag->note, v);
        else if (req->kind == CL_REQ_ADD_TO_AGENDA &&
                 !strcmp(o, "--access-reason"))
            ok = cli_access_reason(&ag->access_reason, v);
        else if (req->kind == CL_REQ_ADD_TO_AGENDA && !strcmp(o, "--purpose"))
            ok = CL_COPY(ag->justification, v);
        else if (req->kind == CL_REQ_ADD_TO_AGENDA && !strcmp(o, "--reason")) {
            int r = cl_agenda_parse(v);
            ok = r > 0;
            ag->reason = (uint8_t)(r > 0 ? r : 0);
        } else
            ok = false;
        if (!ok)
            status = CLI_EXIT_USAGE;
    }
    if (status) {
        fprintf(stderr,
                "usage: caselink mdt create --date DATE --title TEXT "
                "[--agency NAME]...\n"
                "       caselink mdt show MDT-ID   (the agenda pack)\n"
                "       caselink mdt add MDT-ID (--nhs N | --id P) --reason "
                "REASON [--note TEXT]\n"
                "           [--access-reason CODE --purpose TEXT]   (someone "
                "no agency referred)\n");
        goto out;
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0)
        goto out;
    if (req->kind == CL_REQ_CREATE_REVIEW)
        printf("review created: %s\n", rep.u.publish.reference);
    else
        printf("%s is on the agenda of %s\n", rep.u.publish.reference,
               req->u.agenda.review_id);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}
