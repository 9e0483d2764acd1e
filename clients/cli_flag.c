/*
 * cli_flag: the front-line flag in the caselink tool: "flag check" for
 * front-line systems, the flag on a publish reply, "plan withdraw" for the
 * plan authority, "audit flags" for the information-governance auditor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_json.h"

static const cli_jrow s_disclosure_rows[] = {
    CLI_JT(cl_flag_disclosure, "at", at),
    CLI_JS(cl_flag_disclosure, "agency", agency),
    CLI_JS(cl_flag_disclosure, "client", client),
    CLI_JS(cl_flag_disclosure, "user_id", user_id),
    CLI_JS(cl_flag_disclosure, "user_name", user_name),
    CLI_JS(cl_flag_disclosure, "context", context),
    CLI_JS(cl_flag_disclosure, "person_id", person_pid),
    CLI_JS(cl_flag_disclosure, "child_person_id", child_pid),
    CLI_JS(cl_flag_disclosure, "plan_id", plan_id),
    CLI_JS(cl_flag_disclosure, "authority", authority),
    CLI_JEND,
};

static const cli_jrow s_disclosures_rows[] = {
    CLI_JAP(cl_flag_disclosures, "disclosures", v, n, s_disclosure_rows),
    CLI_JEND,
};

void cli_print_flags(const cli_conn *cn, const cl_flag_result *f)
{
    for (uint32_t i = 0; i < f->n; i++) {
        const cl_flag *g = &f->v[i];
        char day[CL_WHEN_SHOW_SZ];
        if (!strcmp(g->person_is, "the child"))
            printf("FLAG: this person is a child on a %s", g->plan_type);
        else if (!strcmp(g->person_is, "expectant mother"))
            printf("FLAG: this person is the expectant mother on an %s",
                   g->plan_type);
        else
            printf("FLAG: this person is a %s of a child on a %s", g->person_is,
                   g->plan_type);
        cli_dob(cn, day, g->ended);
        if (g->ended[0])
            printf(" (ended %s)", day);
        printf("\n  responsible authority: %s\n", g->authority);
        printf("  call: %s, %s (%s)\n", g->duty.name[0] ? g->duty.name : "-",
               g->duty.phone[0] ? g->duty.phone : "-",
               g->duty.hours[0] ? g->duty.hours : "hours not given");
        printf("  secure email: %s\n", g->duty.email[0] ? g->duty.email : "-");
        cli_dob(cn, day, g->next_review);
        if (g->next_review[0])
            printf("  next review of the plan: %s\n", day);
    }
    if (f->n)
        printf("The authority has been told that you were shown this flag.\n");
}

static int s_usage_flag(void)
{
    fprintf(stderr,
            "usage: caselink flag check (--nhs N | --chi N | --local-id ID)\n"
            "  the person in front of you, by NHS or CHI number or your own\n"
            "  agency's id: never by name or date of birth\n");
    return CLI_EXIT_USAGE;
}

typedef struct s_flag_ctx {
    cl_flag_by by;  /* 0 until --nhs, --chi or --local-id */
    const char *id; /* its value */
} s_flag_ctx;

/* flag check: exactly one identifier; a name or date of birth is refused
 * with the reason (the row lists them so that the refusal can say it). */
static int s_flag_opt(void *ctx, const char *o, char **v)
{
    s_flag_ctx *x = ctx;
    static const struct {
        const char *opt;
        cl_flag_by by;
    } ids[] = {{"--nhs", CL_FLAG_BY_NHS},
               {"--chi", CL_FLAG_BY_CHI},
               {"--local-id", CL_FLAG_BY_LOCAL_ID}};
    for (size_t k = 0; o && k < sizeof(ids) / sizeof(*ids); k++)
        if (!strcmp(o, ids[k].opt)) {
            if (x->by)
                return s_usage_flag();
            x->by = ids[k].by;
            x->id = v[0];
            return 0;
        }
    if (o)
        fprintf(stderr,
                "caselink flag check: a flag check is never by name, date of "
                "birth or address (%s): it is for the person in front of "
                "you, not a search\n",
                o);
    return s_usage_flag();
}

int cli_flag(cli_conn *cn, int argc, char **argv)
{
    s_flag_ctx x = {0};
    if (argc < 1 || strcmp(argv[0], "check") != 0)
        return s_usage_flag();
    int st = cli_each(cn, argc, argv, 1, s_flag_opt, &x);
    if (st)
        return st;
    if (!x.by)
        return s_usage_flag();
    cl_flag_by by = x.by;
    const char *id = x.id;
    cl_client *c = NULL;
    cl_flag_result *f = calloc(1, sizeof(*f));
    char err[CL_ERROR_SZ] = "";
    int status = f ? cli_connect(cn, "police", &c) : CLI_EXIT_FAILED;
    if (status)
        goto out;
    int rc = cl_client_flag_check(c, by, id, f, err, sizeof(err));
    if (rc != CL_OK && err[0]) {
        fprintf(stderr, "caselink flag check: %s\n", err);
        status = CLI_EXIT_FAILED;
    } else if (rc != CL_OK) {
        status = cli_transport(rc, cn);
    } else if (!f->n) {
        printf("no flag\n");
    } else {
        cli_print_flags(cn, f);
    }
out:
    free(f);
    cl_client_close(&c);
    return status;
}

static int s_withdraw_opt(cl_request *req, const char *o, const char *v)
{
    return cli_ok(!strcmp(o, "--reason") &&
                  CL_COPY(req->u.plan_withdraw.reason, v));
}

int cli_plan_cmd(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = req ? 0 : CLI_EXIT_FAILED;
    if (status)
        return status;
    req->kind = CL_REQ_WITHDRAW_PLAN;
    if (argc < 2 || strcmp(argv[0], "withdraw") ||
        !CL_COPY(req->u.plan_withdraw.agency_ref, argv[1]) ||
        cli_opts(cn, req, argc, argv, 2, s_withdraw_opt) != 0 ||
        !req->u.plan_withdraw.reason[0]) {
        fprintf(stderr, "usage: caselink plan withdraw YOUR-REF --reason "
                        "TEXT   (a plan recorded in error)\n");
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if ((status = cli_call(cn, "childrens", req, &rep)) != 0)
        goto out;
    printf("withdrawn: %s; it no longer shows on any case, alert or flag\n",
           rep.u.publish.reference);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

static int s_flag_log_opt(cl_request *req, const char *o, const char *v)
{
    cl_flag_log_query *q = &req->u.flag_log;
    if (!strcmp(o, "--agency"))
        CL_COPY(q->agency, v);
    else if (!strcmp(o, "--from"))
        return cli_ok(cli_date_opt(q->from, v, "--from"));
    else if (!strcmp(o, "--to"))
        return cli_ok(cli_date_opt(q->to, v, "--to"));
    else if (!strcmp(o, "--limit"))
        return cli_ok(cli_num_opt(&q->limit, v, "--limit", 1));
    else
        return CLI_EXIT_USAGE;
    return 0;
}

int cli_audit_flags(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = req ? 0 : CLI_EXIT_FAILED;
    if (status)
        return status;
    req->kind = CL_REQ_FLAG_DISCLOSURES;
    status = cli_opts(cn, req, argc, argv, 1, s_flag_log_opt);
    if (status) {
        fprintf(stderr, "usage: caselink audit flags [--agency NAME] "
                        "[--from DATE] [--to DATE] [--limit N]\n");
        goto out;
    }
    if ((status = cli_call(cn, "auditor", req, &rep)) != 0)
        goto out;
    const cl_flag_disclosures *l = &rep.u.flag_log;
    if (cn->json) {
        cli_json_obj(l, s_disclosures_rows);
        putchar('\n');
        goto done;
    }
    for (size_t i = 0; i < l->n; i++) {
        char at[CL_WHEN_SHOW_SZ];
        const cl_flag_disclosure *x = &l->v[i];
        cli_time(cn, at, x->at);
        printf("%s  %s (%s%s%s) shown the flag of %s (%s, child %s) about "
               "%s, %s\n",
               at, x->agency, x->client, x->user_name[0] ? ", " : "",
               x->user_name, x->plan_id, x->authority,
               x->child_pid[0] ? x->child_pid : "unborn", x->person_pid,
               !strcmp(x->context, "publish") ? "on a publish reply"
                                              : "by a flag check");
    }
    printf("%zu flag disclosure%s\n", l->n, l->n == 1 ? "" : "s");
    const cl_flag_log_query *q = &req->u.flag_log;
    bool narrowed = q->agency[0] || q->from[0] || q->to[0];
    if (!l->n)
        printf("No front-line flag was shown%s%s%s.\nOne is shown when a "
               "front-line agency checks a person linked to a plan\n"
               "(caselink flag check) or refers them%s.\n",
               q->agency[0] ? " to " : "", q->agency,
               q->from[0] || q->to[0] ? " in these dates" : "",
               narrowed ? "; leave out --agency or widen --from/--to" : "");
done:
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}
