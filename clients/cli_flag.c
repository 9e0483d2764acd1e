/*
 * cli_flag: the front-line flag in the caselink tool: "flag check" for
 * front-line systems, the flag on a publish reply, "plan withdraw" for the
 * plan authority, "audit flags" for the information-governance auditor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_print_flags(const cl_flag_result *f)
{
    for (uint32_t i = 0; i < f->n; i++) {
        const cl_flag *g = &f->v[i];
        if (!strcmp(g->person_is, "the child"))
            printf("FLAG: this person is a child on a %s", g->plan_type);
        else if (!strcmp(g->person_is, "expectant mother"))
            printf("FLAG: this person is the expectant mother on an %s",
                   g->plan_type);
        else
            printf("FLAG: this person is a %s of a child on a %s", g->person_is,
                   g->plan_type);
        if (g->ended[0])
            printf(" (ended %s)", g->ended);
        printf("\n  responsible authority: %s\n", g->authority);
        printf("  call: %s, %s (%s)\n", g->duty.name[0] ? g->duty.name : "-",
               g->duty.phone[0] ? g->duty.phone : "-",
               g->duty.hours[0] ? g->duty.hours : "hours not given");
        printf("  secure email: %s\n", g->duty.email[0] ? g->duty.email : "-");
        if (g->next_review[0])
            printf("  next review of the plan: %s\n", g->next_review);
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

int cli_flag(cli_conn *cn, int argc, char **argv)
{
    cl_flag_by by = 0;
    const char *id = NULL;
    static const char *const demographic[] = {
        "--given",   "--family",   "--dob",  "--sex",
        "--address", "--postcode", "--town", "--uprn"};
    for (int i = 1; i < argc; i++)
        for (size_t k = 0; k < sizeof(demographic) / sizeof(*demographic); k++)
            if (!strcmp(argv[i], demographic[k])) {
                fprintf(stderr,
                        "caselink flag check: a flag check is never by name, "
                        "date of birth or address (%s): it is for the person "
                        "in front of you, not a search\n",
                        argv[i]);
                return s_usage_flag();
            }
    if (argc != 3 || strcmp(argv[0], "check") != 0)
        return s_usage_flag();
    if (!strcmp(argv[1], "--nhs"))
        by = CL_FLAG_BY_NHS;
    else if (!strcmp(argv[1], "--chi"))
        by = CL_FLAG_BY_CHI;
    else if (!strcmp(argv[1], "--local-id"))
        by = CL_FLAG_BY_LOCAL_ID;
    else
        return s_usage_flag();
    id = argv[2];
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
        cli_print_flags(f);
    }
out:
    free(f);
    cl_client_close(&c);
    return status;
}

int cli_plan_cmd(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = req ? 0 : CLI_EXIT_FAILED;
    if (status)
        return status;
    req->kind = CL_REQ_WITHDRAW_PLAN;
    if (argc == 4 && !strcmp(argv[0], "withdraw") &&
        !strcmp(argv[2], "--reason")) {
        CL_COPY(req->u.plan_withdraw.agency_ref, argv[1]);
        CL_COPY(req->u.plan_withdraw.reason, argv[3]);
    } else {
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

int cli_audit_flags(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = req ? 0 : CLI_EXIT_FAILED;
    if (status)
        return status;
    req->kind = CL_REQ_FLAG_DISCLOSURES;
    cl_flag_log_query *q = &req->u.flag_log;
    for (int i = 1; i < argc && status == 0; i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            status = CLI_EXIT_USAGE;
        else if (!strcmp(o, "--agency"))
            CL_COPY(q->agency, v);
        else if (!strcmp(o, "--from"))
            status = cli_date_opt(q->from, v, "--from") ? 0 : CLI_EXIT_USAGE;
        else if (!strcmp(o, "--to"))
            status = cli_date_opt(q->to, v, "--to") ? 0 : CLI_EXIT_USAGE;
        else if (!strcmp(o, "--limit"))
            q->limit = (uint32_t)atoi(v);
        else
            status = CLI_EXIT_USAGE;
    }
    if (status) {
        fprintf(stderr, "usage: caselink audit flags [--agency NAME] "
                        "[--from DATE] [--to DATE] [--limit N]\n");
        goto out;
    }
    if ((status = cli_call(cn, "auditor", req, &rep)) != 0)
        goto out;
    const cl_flag_disclosures *l = &rep.u.flag_log;
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
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}
