/*
 * cli_intake: the coordinator's intake queue (caselink intake ...).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int s_intake_usage(void)
{
    fputs("usage: caselink intake [list] [--all]\n"
          "       caselink intake accept IN-ID --review MDT-ID "
          "[--reason gp_concern|police_high_level_user|\n"
          "                              child_protection|case_finding|other]\n"
          "       caselink intake decline IN-ID --reason TEXT\n"
          "       caselink intake defer IN-ID [--until DATE] [--reason TEXT]\n",
          stderr);
    return CLI_EXIT_USAGE;
}

/* One item, as the coordinator reads it. */
void cli_print_intake(const cli_conn *cn, const cl_intake_item *x)
{
    char raised[CL_WHEN_SHOW_SZ], when[CL_WHEN_SHOW_SZ], dob[CL_WHEN_SHOW_SZ];
    cli_time(cn, raised, x->raised_at);
    printf("%s  %s  rule %s  %s%s\n", x->intake_id, raised, x->rule,
           cl_words(CL_W_INTAKE, x->state),
           x->hits > 1 ? "  (raised again since)" : "");
    if (x->dob[0])
        cli_dob(cn, dob, x->dob);
    printf("  %s %s%s%s (%s)\n", x->given[0] ? x->given : "(no given name)",
           x->family, x->dob[0] ? ", born " : "", x->dob[0] ? dob : "",
           x->person_id);
    if (x->reference[0]) {
        cli_time(cn, when, x->occurred_at ? x->occurred_at : x->received_at);
        printf("  from %s (%s): %s, %s, %s, %s\n", x->agency,
               cl_words_agency_kind(x->agency_kind),
               cl_words(CL_W_CATEGORY, x->category),
               cl_words(CL_W_RISK, x->risk), x->reference, when);
    }
    if (x->action_id[0])
        printf("  action %s\n", x->action_id);
    char why[2 * CL_WHY_SZ];
    cl_words_say(why, sizeof(why), x->why);
    printf("  why: %s\n", why);
    if (x->n_on_agenda) {
        printf("  already on the agenda of");
        for (uint32_t i = 0; i < x->n_on_agenda; i++)
            printf("%s %s", i ? "," : "", x->on_agenda[i]);
        printf("\n");
    } else {
        printf("  not on any agenda\n");
    }
    if (x->state != CL_INTAKE_OPEN) {
        cli_time(cn, when, x->decided_at);
        printf("  %s %s by %s%s%s%s%s%s%s\n", cl_words(CL_W_INTAKE, x->state),
               when, x->decided_user[0] ? x->decided_user : "",
               x->decided_user[0] ? ", " : "", x->decided_by,
               x->review_id[0] ? ": onto " : "", x->review_id,
               x->reason[0] ? ": " : "", x->reason);
        cli_dob(cn, dob, x->until);
        if (x->until[0])
            printf("  deferred until %s\n", dob);
    }
}

static int s_intake_list_opt(cl_request *req, const char *o, const char *v)
{
    (void)v;
    return cli_ok(!strcmp(o, "--all") && (req->u.intake_all = true));
}

const cli_jrow cli_intake_decision_jrows[] = {
    CLI_JN(cl_intake_item, "state", state, cl_intake_state_name),
    CLI_JS(cl_intake_item, "decided_by", decided_by),
    CLI_JS(cl_intake_item, "decided_user", decided_user),
    CLI_JS(cl_intake_item, "review_id", review_id),
    CLI_JS(cl_intake_item, "until", until),
    CLI_JS(cl_intake_item, "reason", reason),
    CLI_JEND,
};

static const cli_jrow s_intake_jrows[] = {
    CLI_JS(cl_intake_item, "intake_id", intake_id),
    CLI_JS(cl_intake_item, "rule", rule),
    CLI_JS(cl_intake_item, "why", why),
    CLI_JS(cl_intake_item, "person_id", person_id),
    CLI_JS(cl_intake_item, "given_names", given),
    CLI_JS(cl_intake_item, "family_name", family),
    CLI_JS(cl_intake_item, "date_of_birth", dob),
    CLI_JS(cl_intake_item, "agency", agency),
    CLI_JS(cl_intake_item, "agency_kind", agency_kind),
    CLI_JS(cl_intake_item, "referral_id", reference),
    CLI_JS(cl_intake_item, "action_id", action_id),
    CLI_JN(cl_intake_item, "category", category, cl_category_name),
    CLI_JN(cl_intake_item, "risk", risk, cl_risk_name),
    CLI_JT(cl_intake_item, "occurred_at", occurred_at),
    CLI_JT(cl_intake_item, "received_at", received_at),
    CLI_JT(cl_intake_item, "raised_at", raised_at),
    CLI_JU(cl_intake_item, "hits", hits),
    CLI_JL(cl_intake_item, "on_agenda", on_agenda, n_on_agenda),
    CLI_JT(cl_intake_item, "decided_at", decided_at),
    CLI_JSUB(cli_intake_decision_jrows),
    CLI_JEND,
};
static const cli_jrow s_intake_list_jrows[] = {
    CLI_JAP(cl_intake_items, "items", v, n, s_intake_jrows),
    CLI_JEND,
};

static int s_intake_list(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_INTAKE_LIST;
    if (cli_opts(cn, req, argc, argv, 0, s_intake_list_opt) != 0) {
        free(req);
        return s_intake_usage();
    }
    int status = cli_call(cn, "coordinator", req, &rep);
    bool all = req->u.intake_all;
    free(req);
    if (status)
        return status;
    const cl_intake_items *it = &rep.u.intake;
    if (cn->json) {
        cli_json_line(it, s_intake_list_jrows);
        cl_reply_clear(&rep);
        return 0;
    }
    printf("%zu intake item%s%s. Opening the queue is audited.\n", it->n,
           it->n == 1 ? "" : "s", rep.u.intake.n && !argc ? " waiting" : "");
    if (!it->n)
        printf("%s: an item arrives when a referral asks for the MDT "
               "(ask_mdt yes)\nor meets a rule of the daemon's [intake] "
               "section%s.\n",
               all ? "Nothing in the queue" : "Nothing waits",
               all ? "" : "; --all shows decided and deferred items too");
    for (size_t i = 0; i < it->n; i++) {
        printf("\n");
        cli_print_intake(cn, &it->v[i]);
    }
    cl_reply_clear(&rep);
    return 0;
}

/* intake accept|decline|defer: --review, --reason, --until. */
static int s_decide_opt(cl_request *req, const char *o, const char *v)
{
    cl_intake_decision *d = &req->u.intake_decide;
    if (!strcmp(o, "--review") && d->decision == CL_INTAKE_ACCEPTED)
        return cli_ok(CL_COPY(d->review_id, v));
    if (!strcmp(o, "--reason") && d->decision == CL_INTAKE_ACCEPTED) {
        int r = cli_enum("--reason", v, cl_agenda_parse, CL_W_AGENDA, 1);
        if (r < 0)
            return CLI_EXIT_USAGE;
        d->agenda_reason = (uint8_t)r;
        return 0;
    }
    if (!strcmp(o, "--reason"))
        return cli_ok(CL_COPY(d->reason, v));
    if (!strcmp(o, "--until") && d->decision == CL_INTAKE_DEFERRED)
        return cli_ok(cli_date_opt(d->until, v, "--until"));
    return CLI_EXIT_USAGE;
}

static int s_intake_decide(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_INTAKE_DECIDE;
    cl_intake_decision *d = &req->u.intake_decide;
    const char *verb = argv[0];
    d->decision = !strcmp(verb, "accept")    ? CL_INTAKE_ACCEPTED
                  : !strcmp(verb, "decline") ? CL_INTAKE_DECLINED
                                             : CL_INTAKE_DEFERRED;
    if (argc < 2 || !CL_COPY(d->intake_id, argv[1]))
        status = CLI_EXIT_USAGE;
    else
        status = cli_opts(cn, req, argc, argv, 2, s_decide_opt);
    if (status) {
        free(req);
        return s_intake_usage();
    }
    status = cli_call(cn, "coordinator", req, &rep);
    if (!status) {
        printf("%s %s%s%s\n", d->intake_id, cl_words(CL_W_INTAKE, d->decision),
               d->review_id[0] ? ": on the agenda of " : "", d->review_id);
        cl_reply_clear(&rep);
    }
    free(req);
    return status;
}

/* --- lists ------------------------------------------------------------- */

/* referral list: the filters. */
static int s_ref_list_opt(cl_request *req, const char *o, const char *v)
{
    cl_referral_query *q = &req->u.ref_query;
    int x;
    if (!strcmp(o, "--agency"))
        return cli_ok(CL_COPY(q->agency, v));
    if (!strcmp(o, "--category")) {
        x = cli_enum("--category", v, cl_category_parse, CL_W_CATEGORY, 1);
        q->category = (uint8_t)(x > 0 ? x : 0);
        return cli_ok(x > 0);
    }
    if (!strcmp(o, "--status")) {
        q->status = (int8_t)(x = cli_enum("--status", v, cl_refstat_parse,
                                          CL_W_REFSTAT, 0));
        return cli_ok(x >= 0);
    }
    if (!strcmp(o, "--from"))
        return cli_ok(cli_date_opt(q->from, v, "--from"));
    if (!strcmp(o, "--to"))
        return cli_ok(cli_date_opt(q->to, v, "--to"));
    if (!strcmp(o, "--id"))
        return cli_ok(CL_COPY(q->who.person_id, v));
    if (!strcmp(o, "--nhs"))
        return cli_ok(CL_COPY(q->who.match.nhs, v));
    if (!strcmp(o, "--limit"))
        return cli_ok(cli_num_opt(&q->limit, v, "--limit", 1));
    else if (!strcmp(o, "--after"))
        return cli_ok(CL_COPY(q->after, v));
    else
        return CLI_EXIT_USAGE;
    return 0;
}

static int s_mdt_list_opt(cl_request *req, const char *o, const char *v)
{
    (void)v;
    if (!strcmp(o, "--upcoming"))
        req->u.mdt_query.upcoming = true;
    else if (!strcmp(o, "--past"))
        req->u.mdt_query.past = true;
    else
        return CLI_EXIT_USAGE;
    return 0;
}

static const cli_jrow s_referral_row_jrows[] = {
    CLI_JS(cl_referral_row, "referral_id", reference),
    CLI_JS(cl_referral_row, "agency", agency),
    CLI_JS(cl_referral_row, "agency_reference", agency_ref),
    CLI_JS(cl_referral_row, "person_id", person_id),
    CLI_JS(cl_referral_row, "given_names", given),
    CLI_JS(cl_referral_row, "family_name", family),
    CLI_JS(cl_referral_row, "date_of_birth", dob),
    CLI_JN(cl_referral_row, "category", category, cl_category_name),
    CLI_JN(cl_referral_row, "risk", risk, cl_risk_name),
    CLI_JN(cl_referral_row, "status", status, cl_refstat_name),
    CLI_JT(cl_referral_row, "occurred_at", occurred_at),
    CLI_JT(cl_referral_row, "received_at", received_at),
    CLI_JEND,
};
static const cli_jrow s_referral_rows_jrows[] = {
    CLI_JAP(cl_referral_rows, "referrals", v, n, s_referral_row_jrows),
    CLI_JS(cl_referral_rows, "next", next),
    CLI_JEND,
};

/* Why the referral list is empty, and what would fill it. */
static void s_referrals_none(const cl_referral_query *q)
{
    if (q->after[0])
        printf("Nothing after %s: that was the last page (leave out "
               "--after).\n",
               q->after);
    else if (q->agency[0] || q->category || q->status >= 0 || q->from[0] ||
             q->to[0] || q->who.person_id[0] || q->who.match.nhs[0])
        printf("No referral matches every filter given (--agency, "
               "--category, --status,\n--from/--to: when received, --id or "
               "--nhs); leave one out to widen the list.\n");
    else
        printf("No referrals yet: agencies send them with caselink publish "
               "referral, or from\ntheir own systems.\n");
}

int cli_referral_list(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_REFERRAL_LIST;
    cl_referral_query *q = &req->u.ref_query;
    q->status = -1;
    int i = argc && !strcmp(argv[0], "list") ? 1 : 0;
    status = cli_opts(cn, req, argc, argv, i, s_ref_list_opt);
    if (status) {
        free(req);
        fputs("usage: caselink referral list [--agency NAME] [--category C] "
              "[--status S]\n"
              "       [--from DATE] [--to DATE] [--id P | --nhs N] [--limit N] "
              "[--after REF]\n",
              stderr);
        return CLI_EXIT_USAGE;
    }
    status = cli_call(cn, "coordinator", req, &rep);
    cl_referral_query asked = *q;
    free(req);
    if (status)
        return status;
    const cl_referral_rows *rr = &rep.u.ref_rows;
    if (cn->json) {
        cli_json_line(rr, s_referral_rows_jrows);
        cl_reply_clear(&rep);
        return 0;
    }
    for (size_t k = 0; k < rr->n; k++) {
        const cl_referral_row *r = &rr->v[k];
        char when[CL_WHEN_SHOW_SZ], dob[CL_WHEN_SHOW_SZ] = "";
        cli_time(cn, when, r->received_at);
        if (r->dob[0])
            cli_dob(cn, dob, r->dob);
        printf("%s  %s  %s (%s)  %s %s%s%s (%s)  %s, %s  %s\n", r->reference,
               when, r->agency, r->agency_ref, r->given, r->family,
               dob[0] ? ", born " : "", dob, r->person_id,
               cl_words(CL_W_CATEGORY, r->category),
               cl_words(CL_W_RISK, r->risk), cl_words(CL_W_REFSTAT, r->status));
    }
    printf("%zu referral%s%s%s. Listing them is audited.\n", rr->n,
           rr->n == 1 ? "" : "s", rr->next[0] ? "; more after " : "", rr->next);
    if (!rr->n)
        s_referrals_none(&asked);
    cl_reply_clear(&rep);
    return 0;
}

static const cli_jrow s_mdt_row_jrows[] = {
    CLI_JS(cl_mdt_row, "review_id", review_id),
    CLI_JS(cl_mdt_row, "date", date),
    CLI_JS(cl_mdt_row, "title", title),
    CLI_JL(cl_mdt_row, "agencies", agencies, n_agencies),
    CLI_JU(cl_mdt_row, "on_agenda", people),
    CLI_JU(cl_mdt_row, "discussed", discussed),
    CLI_JU(cl_mdt_row, "actions_open", actions_open),
    CLI_JU(cl_mdt_row, "actions_overdue", actions_overdue),
    CLI_JU(cl_mdt_row, "actions_closed", actions_closed),
    CLI_JEND,
};
static const cli_jrow s_mdt_rows_jrows[] = {
    CLI_JAP(cl_mdt_rows, "reviews", v, n, s_mdt_row_jrows),
    CLI_JEND,
};

int cli_mdt_list(cli_conn *cn, int argc, char **argv)
{
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_MDT_LIST;
    int i = argc && !strcmp(argv[0], "list") ? 1 : 0;
    if (cli_opts(cn, &req, argc, argv, i, s_mdt_list_opt) != 0) {
        fputs("usage: caselink mdt list [--upcoming | --past]\n", stderr);
        return CLI_EXIT_USAGE;
    }
    int status = cli_call(cn, "coordinator", &req, &rep);
    if (status)
        return status;
    if (cn->json) {
        cli_json_line(&rep.u.mdt_rows, s_mdt_rows_jrows);
        cl_reply_clear(&rep);
        return 0;
    }
    for (size_t k = 0; k < rep.u.mdt_rows.n; k++) {
        const cl_mdt_row *m = &rep.u.mdt_rows.v[k];
        char day[CL_WHEN_SHOW_SZ];
        cli_dob(cn, day, m->date);
        printf("%s  %s  %s\n    %u on the agenda, %u discussed; actions: %u "
               "open (%u overdue), %u closed\n",
               m->review_id, day, m->title, m->people, m->discussed,
               m->actions_open, m->actions_overdue, m->actions_closed);
    }
    printf("%zu review%s\n", rep.u.mdt_rows.n,
           rep.u.mdt_rows.n == 1 ? "" : "s");
    if (!rep.u.mdt_rows.n)
        printf("%s; create one with caselink mdt create --date DATE --title "
               "TEXT\n",
               req.u.mdt_query.upcoming ? "No review is dated today or later"
               : req.u.mdt_query.past   ? "No review is dated before today"
                                        : "No reviews yet");
    cl_reply_clear(&rep);
    return 0;
}

int cli_intake(cli_conn *cn, int argc, char **argv)
{
    const char *sub = argc ? argv[0] : "list";
    if (!strcmp(sub, "list"))
        return s_intake_list(cn, argc ? argc - 1 : 0, argv + (argc ? 1 : 0));
    if (!strncmp(sub, "--", 2))
        return s_intake_list(cn, argc, argv);
    if (!strcmp(sub, "accept") || !strcmp(sub, "decline") ||
        !strcmp(sub, "defer"))
        return s_intake_decide(cn, argc, argv);
    return s_intake_usage();
}
