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

static int s_disc_opt(cl_request *req, const char *o, const char *v)
{
    cl_discussion *d = &req->u.discussion;
    if (!strcmp(o, "--id"))
        return cli_ok(CL_COPY(d->person_id, v));
    if (!strcmp(o, "--summary"))
        return cli_ok(CL_COPY(d->summary, v));
    if (!strcmp(o, "--decisions"))
        return cli_ok(CL_COPY(d->decisions, v));
    return CLI_EXIT_USAGE;
}

int cli_mdt_discuss(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    int status;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_RECORD_DISCUSSION;
    if (argc < 1 || !CL_COPY(req->u.discussion.review_id, argv[0]) ||
        cli_opts(cn, req, argc, argv, 1, s_disc_opt) != 0)
        status = s_usage_of("usage: caselink mdt discuss MDT-ID --id P "
                            "--summary TEXT [--decisions TEXT]\n");
    else
        status = s_simple(cn, req, "discussion recorded for");
    free(req);
    return status;
}

/* --- actions ---------------------------------------------------------------
 */

static int s_action_opt(cl_request *req, const char *o, const char *v)
{
    cl_action *a = &req->u.action;
    if (!strcmp(o, "--id"))
        return cli_ok(CL_COPY(a->person_id, v));
    if (!strcmp(o, "--text"))
        return cli_ok(CL_COPY(a->text, v));
    if (!strcmp(o, "--owner"))
        return cli_ok(CL_COPY(a->owner_name, v));
    if (!strcmp(o, "--owner-agency"))
        return cli_ok(CL_COPY(a->owner_agency, v));
    if (!strcmp(o, "--due"))
        return cli_ok(cli_date_opt(a->due, v, "--due"));
    return CLI_EXIT_USAGE;
}

static int s_note_opt(cl_request *req, const char *o, const char *v)
{
    return cli_ok(!strcmp(o, "--note") &&
                  CL_COPY(req->u.action_update.note, v));
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
        printf("No actions%s%s%s%s%s. Actions are agreed at a review; the "
               "coordinator adds them (caselink action add MDT-ID --id P "
               "...), and each reaches the agency that owns it\n",
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
            !cli_opts(cn, req, argc, argv, 2, s_action_opt)) {
            status = s_simple(cn, req, "action added");
            goto out;
        }
    } else if ((st = !strcmp(sub, "done")     ? CL_ACTION_DONE
                     : !strcmp(sub, "cancel") ? CL_ACTION_CANCELLED
                     : !strcmp(sub, "reopen") ? CL_ACTION_OPEN
                     : !strcmp(sub, "block")  ? CL_ACTION_BLOCKED
                                              : -1) >= 0 &&
               argc >= 2) {
        cl_action_update *u = &req->u.action_update;
        req->kind = CL_REQ_UPDATE_ACTION;
        u->status = (uint8_t)st;
        if (CL_COPY(u->action_id, argv[1]) &&
            !cli_opts(cn, req, argc, argv, 2, s_note_opt)) {
            status = s_simple(cn, req, cl_action_status_name((unsigned)st));
            goto out;
        }
    }
    status = s_usage_of(
        "usage: caselink action add MDT-ID --id P --text TEXT --owner NAME\n"
        "           --owner-agency AGENCY --due DATE\n"
        "       caselink action done|cancel|reopen ACT-ID [--note TEXT]\n"
        "       caselink action block ACT-ID --note TEXT\n");
out:
    free(req);
    return status;
}

static const cli_jrow s_action_jrows[] = {
    CLI_JS(cl_action, "action_id", action_id),
    CLI_JS(cl_action, "review_id", review_id),
    CLI_JS(cl_action, "person_id", person_id),
    CLI_JS(cl_action, "text", text),
    CLI_JS(cl_action, "owner_name", owner_name),
    CLI_JS(cl_action, "owner_agency", owner_agency),
    CLI_JS(cl_action, "due", due),
    CLI_JN(cl_action, "status", status, cl_action_status_name),
    CLI_JB(cl_action, "overdue", overdue),
    CLI_JS(cl_action, "note", note),
    CLI_JEND,
};
static const cli_jrow s_actions_jrows[] = {
    CLI_JAP(cl_actions, "actions", v, n, s_action_jrows),
    CLI_JEND,
};

typedef struct s_actions_ctx {
    cl_action_query *q;
    const char *csv; /* --csv FILE */
} s_actions_ctx;

static int s_actions_opt(void *ctx, const char *o, char **v)
{
    s_actions_ctx *x = ctx;
    if (!o)
        return CLI_EXIT_USAGE;
    if (!strcmp(o, "--csv"))
        x->csv = v[0];
    else if (!strcmp(o, "--overdue"))
        x->q->overdue_only = true;
    else if (!strcmp(o, "--open"))
        x->q->open_only = true;
    else if (!strcmp(o, "--review"))
        return cli_ok(CL_COPY(x->q->review_id, v[0]));
    else if (!strcmp(o, "--id"))
        return cli_ok(CL_COPY(x->q->person_id, v[0]));
    else
        return CLI_EXIT_USAGE;
    return 0;
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
    s_actions_ctx x = {.q = q};
    status = cli_each(cn, argc, argv, 0, s_actions_opt, &x);
    const char *csv = x.csv;
    if (status)
        status = s_usage_of("usage: caselink actions [--overdue] [--open] "
                            "[--review MDT-ID] [--id P] [--csv FILE]\n");
    else if ((status = cli_call(cn, "coordinator", req, &rep)) == 0) {
        if (csv)
            status = s_actions_csv(csv, &rep.u.actions);
        else if (cn->json)
            cli_json_line(&rep.u.actions, s_actions_jrows);
        else
            s_print_actions(cn, &rep.u.actions, q);
        cl_reply_clear(&rep);
    }
    free(req);
    return status;
}

/* --- RAG -------------------------------------------------------------------
 */

static const cli_jrow s_rag_jrows[] = {
    CLI_JN(cl_rag_entry, "rating", rating, cl_rag_name),
    CLI_JS(cl_rag_entry, "note", note),
    CLI_JS(cl_rag_entry, "by", by),
    CLI_JS(cl_rag_entry, "by_user", by_user),
    CLI_JT(cl_rag_entry, "at", at),
    CLI_JEND,
};
static const cli_jrow s_rags_jrows[] = {
    CLI_JAP(cl_rag_entries, "ratings", v, n, s_rag_jrows),
    CLI_JEND,
};

/* rag set|history: --id or --workstream, the rating (a word), --note. */
static int s_rag_opt(void *ctx, const char *o, char **val)
{
    cl_rag_set *r = ctx;
    const char *v = val[0];
    int g;
    if (!o && !r->rating &&
        (g = cli_enum("rating", v, cl_rag_parse, CL_W_RAG, 1)) > 0)
        r->rating = (uint8_t)g;
    else if (!o)
        return CLI_EXIT_USAGE;
    else if (!strcmp(o, "--id") && !r->person_id[0])
        return cli_ok(CL_COPY(r->person_id, v));
    else if (!strcmp(o, "--workstream") && !r->workstream[0])
        return cli_ok(CL_COPY(r->workstream, v));
    else if (!strcmp(o, "--note"))
        return cli_ok(CL_COPY(r->note, v));
    else
        return CLI_EXIT_USAGE;
    return 0;
}

int cli_rag(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    const char *sub = argc ? argv[0] : "";
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    cl_rag_set *r = &req->u.rag;
    bool set = !strcmp(sub, "set"), hist = !strcmp(sub, "history");
    req->kind = set ? CL_REQ_SET_RAG : CL_REQ_RAG_HISTORY;
    if (!set && !hist)
        status = CLI_EXIT_USAGE;
    else
        status = cli_each(cn, argc, argv, 1, s_rag_opt, r);
    /* one of --id and --workstream; set: a rating and a note */
    if (!status && (!r->person_id[0] == !r->workstream[0] ||
                    (set && (!r->rating || !r->note[0])) ||
                    (hist && (r->rating || r->note[0]))))
        status = CLI_EXIT_USAGE;
    if (status) {
        status = s_usage_of("usage: caselink rag set (--id P | --workstream "
                            "NAME) red|amber|green --note TEXT\n"
                            "       caselink rag history (--id P | "
                            "--workstream NAME)\n");
    } else if (set) {
        status = s_simple(cn, req, "rated");
    } else if ((status = cli_call(cn, "coordinator", req, &rep)) == 0 &&
               cn->json) {
        cli_json_line(&rep.u.rags, s_rags_jrows);
        cl_reply_clear(&rep);
    } else if (status == 0) {
        for (size_t k = 0; k < rep.u.rags.n; k++) {
            char when[CL_WHEN_SHOW_SZ];
            cli_time(cn, when, rep.u.rags.v[k].at);
            const cl_rag_entry *e = &rep.u.rags.v[k];
            printf("%s  %-5s  %s  (%s%s%s)\n", when, cl_rag_name(e->rating),
                   e->note, e->by_user, e->by_user[0] ? ", " : "", e->by);
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

/* measure define NAME --baseline FROM TO [--count ...]. */
static int s_measure_def_opt(cl_request *req, const char *o, const char *v)
{
    cl_measure_def *md = &req->u.measure_def;
    int c;
    if (!strcmp(o, "--count"))
        return cli_ok(CL_COPY(md->source, v));
    if (!strcmp(o, "--category") &&
        (c = cli_enum(o, v, cl_category_parse, CL_W_CATEGORY, 1)) > 0) {
        md->category = (uint8_t)c;
        return 0;
    }
    if (!strcmp(o, "--agency-kind"))
        return cli_ok(CL_COPY(md->agency_kind, v));
    return CLI_EXIT_USAGE;
}

typedef struct s_measure_ctx {
    cl_request *req;
    bool named, from, period, value; /* what was given */
} s_measure_ctx;

static int s_measure_opt(void *ctx, const char *o, char **v)
{
    s_measure_ctx *x = ctx;
    cl_measure_def *md = &x->req->u.measure_def;
    cl_measure_value *m = &x->req->u.measure;
    bool def = x->req->kind == CL_REQ_DEFINE_MEASURE;
    if (!o && !x->named) /* NAME */
        return cli_ok((x->named = true) &&
                      (def ? CL_COPY(md->name, v[0]) : CL_COPY(m->name, v[0])));
    if (!o)
        return CLI_EXIT_USAGE;
    if (def && !strcmp(o, "--baseline"))
        return cli_ok((x->from = true) &&
                      cli_month_opt(md->from, v[0], "--baseline") &&
                      cli_month_opt(md->to, v[1], "--baseline"));
    if (def)
        return s_measure_def_opt(x->req, o, v[0]);
    if (!strcmp(o, "--id"))
        return cli_ok(CL_COPY(m->person_id, v[0]));
    if (!strcmp(o, "--period"))
        return cli_ok((x->period = true) &&
                      cli_month_opt(m->period, v[0], "--period"));
    if (!strcmp(o, "--value")) {
        char *end = NULL;
        errno = 0;
        m->value = strtod(v[0], &end);
        x->value = true;
        return cli_ok(!errno && *v[0] && !*end);
    }
    return CLI_EXIT_USAGE;
}

int cli_measure(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    const char *sub = argc ? argv[0] : "";
    int status = CLI_EXIT_USAGE;
    if (!req)
        return CLI_EXIT_FAILED;
    s_measure_ctx x = {.req = req};
    bool def = !strcmp(sub, "define");
    if (def || !strcmp(sub, "record")) {
        req->kind = def ? CL_REQ_DEFINE_MEASURE : CL_REQ_RECORD_MEASURE;
        status = cli_each(cn, argc, argv, 1, s_measure_opt, &x);
        if (!status &&
            (!x.named || (def && !x.from) ||
             (!def && (!req->u.measure.person_id[0] || !x.period || !x.value))))
            status = CLI_EXIT_USAGE;
    }
    if (status)
        status = s_usage_of(
            "usage: caselink measure define NAME --baseline MONTH MONTH\n"
            "           [--count referrals [--category CATEGORY] "
            "[--agency-kind KIND] | --count attendances | --count alerts]\n"
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

typedef struct s_report_ctx {
    cl_request *req;
    const char *fmt, *path; /* html, json or csv, and where */
} s_report_ctx;

static int s_report_opt(void *ctx, const char *o, char **v)
{
    s_report_ctx *x = ctx;
    if (!o)
        return CLI_EXIT_USAGE;
    if (!strcmp(o, "--html") || !strcmp(o, "--json") || !strcmp(o, "--csv")) {
        if (x->fmt)
            return CLI_EXIT_USAGE;
        x->fmt = o + 2;
        x->path = v[0];
        return 0;
    }
    if (!strcmp(o, "--from"))
        return cli_ok(cli_date_opt(x->req->u.report.from, v[0], "--from"));
    if (!strcmp(o, "--to"))
        return cli_ok(cli_date_opt(x->req->u.report.to, v[0], "--to"));
    return CLI_EXIT_USAGE;
}

int cli_report(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    const char *fmt = NULL, *path = NULL;
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_REPORT;
    s_report_ctx x = {.req = req};
    status = cli_each(cn, argc, argv, 0, s_report_opt, &x);
    fmt = x.fmt;
    path = x.path;
    if (status || !fmt) {
        free(req);
        return s_usage_of("usage: caselink report (--html FILE | --json FILE "
                          "| --csv FILE) [--from DATE] [--to "
                          "DATE]\n       (FILE - for standard output)\n");
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
            char from[CL_WHEN_SHOW_SZ], to[CL_WHEN_SHOW_SZ];
            cli_dob(cn, from, rep.u.report.from);
            cli_dob(cn, to, rep.u.report.to);
            fprintf(stderr, "report for %s to %s written to %s\n", from, to,
                    path);
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

static const char *const s_pack_how[3] = {"--html", "--csv", "--pdf"};

/* mdt show's --html, --csv, --pdf FILE into out[0..2]. */
static int s_pack_opt(void *ctx, const char *o, char **v)
{
    const char **out = ctx;
    for (int k = 0; o && k < 3; k++)
        if (!strcmp(o, s_pack_how[k])) {
            out[k] = v[0];
            return 0;
        }
    return CLI_EXIT_USAGE;
}

/* The pack's cover on a terminal: the meeting and since the last one. */
static void s_print_pack_cover(const cli_conn *cn, const cl_review_pack *p)
{
    char day[CL_WHEN_SHOW_SZ];
    cli_dob(cn, day, p->review.date);
    printf("AGENDA PACK  %s  %s  %s\n", p->review_id, day, p->review.title);
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
    if (!p->n)
        printf("Put someone on it with caselink mdt add %s (--nhs N | --id "
               "P) --reason REASON,\nor accept an intake item onto it "
               "(caselink intake accept IN-ID --review %s).\n",
               p->review_id, p->review_id);
    if (p->purged)
        printf("%u %s on this agenda %s since been removed under the "
               "retention policy;\nwhat the meeting recorded about them was "
               "removed with them.\n",
               p->purged, p->purged == 1 ? "person" : "people",
               p->purged == 1 ? "has" : "have");
    cli_dob(cn, day, p->previous_date);
    printf("\nSince the last meeting%s%s%s%s%s:\n",
           p->previous_id[0] ? " (" : "", p->previous_id,
           p->previous_id[0] ? ", " : "", p->previous_id[0] ? day : "",
           p->previous_id[0] ? ")" : "");
    for (size_t i = 0; i < p->n; i++)
        printf("  %s: %u new referral%s, %u safeguarding alert%s, %u "
               "answer%s, %u overdue action%s\n",
               p->v[i].person.person_id, p->v[i].n_since,
               p->v[i].n_since == 1 ? "" : "s", p->v[i].since_alerts,
               p->v[i].since_alerts == 1 ? "" : "s", p->v[i].since_answered,
               p->v[i].since_answered == 1 ? "" : "s", p->v[i].since_overdue,
               p->v[i].since_overdue == 1 ? "" : "s");
}

/* Item i of the pack on a terminal: the case, actions, requests, history
 * and measures. */
static void s_print_pack_item(const cli_conn *cn, size_t i,
                              const cl_pack_item *it)
{
    char day[CL_WHEN_SHOW_SZ], nm[2 * CL_NAME_SZ + 2];
    const cl_person_view *v = &it->person;
    const cl_person *who = v->n_records ? &v->records[0].person : NULL;
    printf("\n======== %zu. %s%s%s  (on the agenda for: %s)\n", i + 1,
           v->person_id, who ? " " : "",
           who ? cli_person_name(nm, who->given, who->family) : "",
           cl_words(CL_W_AGENDA, it->reason));
    char why[2 * CL_NOTE_SZ];
    cl_words_say(why, sizeof(why), it->note);
    if (it->note[0])
        printf("Why: %s\n", why);
    if (it->rated)
        printf("RAG: %s  (%s)\n", cl_words(CL_W_RAG, it->rag.rating),
               it->rag.note);
    cli_print_view(cn, &it->person);
    printf("\nOpen actions (%zu)\n", it->actions.n);
    for (size_t j = 0; j < it->actions.n; j++) {
        const cl_action *a = &it->actions.v[j];
        cli_dob(cn, day, a->due);
        printf("  %s due %s%s: %s (%s, %s)\n", a->action_id, day,
               a->overdue ? " OVERDUE" : "", a->text, a->owner_name,
               a->owner_agency);
    }
    printf("\nInformation requests (%zu)\n", it->requests.n);
    for (size_t j = 0; j < it->requests.n; j++) {
        const cl_request_summary *q = &it->requests.v[j];
        cli_dob(cn, day, q->due);
        printf("  %s due %s: %s\n", q->request_id, day, q->question);
        for (uint32_t k = 0; k < q->n_agencies; k++) {
            const cl_request_state *a = &q->agencies[k];
            if (a->answered)
                printf("    %s (%s, %s): %s\n", a->agency,
                       cl_words(CL_W_INVOLVE, a->response.involvement),
                       cl_words(CL_W_RISK, a->response.risk),
                       a->response.summary);
            else
                printf("    %s: %s\n", a->agency,
                       a->overdue ? "OVERDUE, no answer" : "no answer yet");
        }
    }
    for (uint32_t j = 0; j < it->n_prior; j++) {
        cli_dob(cn, day, it->prior[j].date);
        printf("%s  %s %s: %s%s%s\n", j ? "" : "\nEarlier reviews\n",
               it->prior[j].review_id, day,
               it->prior[j].discussion[0] ? it->prior[j].discussion
                                          : "(no discussion recorded)",
               it->prior[j].decisions[0] ? " Decided: " : "",
               it->prior[j].decisions);
    }
    for (size_t j = 0; j < it->earlier.n; j++) {
        const cl_action *a = &it->earlier.v[j];
        bool open =
            a->status == CL_ACTION_OPEN || a->status == CL_ACTION_BLOCKED;
        printf("%s  %s (%s)%s: %s%s: %s\n",
               j ? "" : "\nActions from earlier reviews\n", a->action_id,
               a->review_id, open ? " STILL OPEN" : "",
               cl_words(CL_W_ACTION, a->status), a->overdue ? " OVERDUE" : "",
               a->text);
    }
    if (it->discussion[0])
        printf("\nDiscussion: %s\nDecisions: %s\n", it->discussion,
               it->decisions[0] ? it->decisions : "-");
    for (uint32_t j = 0; j < it->n_measures; j++) {
        const cl_measure_summary *m = &it->measures[j];
        char from[CL_WHEN_SHOW_SZ], to[CL_WHEN_SHOW_SZ];
        cl_when_show_month(from, m->from, cn->iso);
        cl_when_show_month(to, m->to, cn->iso);
        printf("%s%s: baseline %s to %s %.1f a month; since:",
               j ? "" : "\nOutcome measures\n", m->name, from, to,
               m->baseline_monthly);
        for (uint32_t k = 0; k < m->n_periods; k++) {
            cl_when_show_month(from, m->periods[k].period, cn->iso);
            printf(" %s %.1f", from, m->periods[k].total);
        }
        printf("%s\n", m->n_periods ? "" : " nothing recorded yet");
    }
}

int cli_review_show(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status;
    const char *out[3] = {NULL, NULL, NULL}; /* --html, --csv, --pdf */
    const char *const *how = s_pack_how;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_REVIEW_PACK;
    bool ok = argc >= 1 && CL_COPY(req->u.pack_review, argv[0]) &&
              cli_each(cn, argc, argv, 1, s_pack_opt, out) == 0;
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
    s_print_pack_cover(cn, p);
    for (size_t i = 0; i < p->n; i++)
        s_print_pack_item(cn, i, &p->v[i]);
    cl_reply_clear(&rep);
    free(req);
    return 0;
}

/* mdt create: --date, --title, --agency (repeatable). */
static int s_create_opt(cl_request *req, const char *o, const char *v)
{
    cl_review_new *rn = &req->u.review_new;
    if (!strcmp(o, "--date"))
        return cli_ok(cli_date_opt(rn->date, v, "--date"));
    if (!strcmp(o, "--title"))
        return cli_ok(CL_COPY(rn->title, v));
    if (!strcmp(o, "--agency") && rn->n_agencies < CL_REVIEW_AGENCIES)
        return cli_ok(CL_COPY(rn->agencies[rn->n_agencies++], v));
    return CLI_EXIT_USAGE;
}

/* mdt add: who, why, and break-glass for someone nobody referred. */
static int s_agenda_opt(cl_request *req, const char *o, const char *v)
{
    cl_agenda_add *ag = &req->u.agenda;
    if (!strcmp(o, "--nhs"))
        return cli_ok(CL_COPY(ag->who.match.nhs, v));
    if (!strcmp(o, "--id"))
        return cli_ok(CL_COPY(ag->who.person_id, v));
    if (!strcmp(o, "--note"))
        return cli_ok(CL_COPY(ag->note, v));
    if (!strcmp(o, "--access-reason"))
        return cli_ok(cli_access_reason(&ag->access_reason, v));
    if (!strcmp(o, "--purpose"))
        return cli_ok(CL_COPY(ag->justification, v));
    if (!strcmp(o, "--reason")) {
        int r = cli_enum(o, v, cl_agenda_parse, CL_W_AGENDA, 1);
        ag->reason = (uint8_t)(r > 0 ? r : 0);
        return cli_ok(r > 0);
    }
    return CLI_EXIT_USAGE;
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
    if (!status)
        status = cli_opts(cn, req, argc, argv, first,
                          req->kind == CL_REQ_CREATE_REVIEW ? s_create_opt
                                                            : s_agenda_opt);
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
