/*
 * cli_case: the caselink tool's case commands: person show, find, split,
 * hold and release, case finding, referral correct and withdraw, and the
 * linked case view as text and as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_json.h"
#include "fields.h"

static void s_json_casefind(const cl_case_finding_result *r);

typedef struct s_casefind_ctx {
    cl_case_finding *f;
    char *err; /* [256]: why a time was refused */
} s_casefind_ctx;

static int s_casefind_opt(void *ctx, const char *o, char **val)
{
    s_casefind_ctx *x = ctx;
    cl_case_finding *f = x->f;
    const char *v = val ? val[0] : NULL;
    if (!o || !v)
        return CLI_EXIT_USAGE;
    if (!strcmp(o, "--agency"))
        return cli_ok(CL_COPY(f->agency, v));
    if (!strcmp(o, "--purpose"))
        return cli_ok(CL_COPY(f->justification, v));
    if (!strcmp(o, "--access-reason"))
        return cli_ok(cli_access_reason(&f->access_reason, v));
    if (!strcmp(o, "--min"))
        return cli_ok(cli_num_opt(&f->min_contacts, v, "--min", 1));
    if (!strcmp(o, "--since"))
        return cli_ok(cl_when_time(&f->from, v, "--since", x->err, 256));
    if (!strcmp(o, "--until"))
        return cli_ok(cl_when_time(&f->to, v, "--until", x->err, 256));
    if (!strcmp(o, "--not-known-to") && f->n_not_known < CL_NOT_KNOWN_MAX)
        return cli_ok(CL_COPY(f->not_known_to[f->n_not_known++], v));
    return CLI_EXIT_USAGE;
}

int cli_casefind(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    char err[256] = "";
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_CASE_FINDING;
    cl_case_finding *f = &req->u.finding;
    s_casefind_ctx x = {.f = f, .err = err};
    status = cli_each(cn, argc, argv, 0, s_casefind_opt, &x);
    if (status || !f->agency[0] || !f->justification[0]) {
        if (err[0])
            fprintf(stderr, "caselink casefind: %s\n", err);
        fprintf(stderr, "usage: caselink casefind --agency NAME [--min N] "
                        "[--since DATE] [--until DATE]\n"
                        "           [--not-known-to AGENCY|KIND|health]... "
                        "--access-reason CODE --purpose TEXT\n");
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0)
        goto out;
    const cl_case_finding_result *r = &rep.u.finding;
    if (cn->json) {
        s_json_casefind(r);
        cl_reply_clear(&rep);
        goto out;
    }
    unsigned min = f->min_contacts ? f->min_contacts : 3;
    /* the agency as registered, whatever case it was typed in */
    const char *agency = r->agency[0] ? r->agency : f->agency;
    char since[CL_WHEN_SHOW_SZ], until[CL_WHEN_SHOW_SZ], notk[256] = "";
    cli_day(cn, since, f->from);
    cli_day(cn, until, f->to);
    for (uint32_t k = 0; k < f->n_not_known; k++)
        snprintf(notk + strlen(notk), sizeof(notk) - strlen(notk), "%s%s",
                 k ? ", " : ", not known to ", f->not_known_to[k]);
    printf("%zu %s with at least %u contact%s from %s%s%s%s%s%s%s\n",
           r->n_users, r->n_users == 1 ? "person" : "people", min,
           min == 1 ? "" : "s", agency, f->from ? " since " : "",
           f->from ? since : "", f->to ? " until " : "", f->to ? until : "",
           notk, r->n_users > 1 ? "; most contacts first" : "");
    if (!r->n_users)
        printf("  Nobody matched. Try a lower --min (now %u)%s%s, or check "
               "that %s publishes referrals about these people.\n",
               min, f->from ? ", an earlier --since" : "",
               f->n_not_known ? ", fewer --not-known-to" : "", agency);
    for (size_t i = 0; i < r->n_users; i++) {
        const cl_hlu *u = &r->users[i];
        char nm[2 * CL_NAME_SZ + 2], born[CL_WHEN_SHOW_SZ];
        cli_dob(cn, born, u->dob);
        printf("  %s  %-28s %s%-12s %3u contact%s\n", u->person_id,
               cli_person_name(nm, u->given, u->family),
               u->dob[0] ? "born " : "", u->dob[0] ? born : "", u->contacts,
               u->contacts == 1 ? "" : "s");
        printf("      also known to");
        if (!u->n_known)
            printf(": no other agency");
        else
            cli_print_known(": about them: ", ": ", u->n_known,
                            (const char(*)[CL_AGENCY_SZ])u->known_to,
                            u->n_mentioned,
                            (const char(*)[CL_AGENCY_SZ])u->mentioned_by);
        printf("\n");
    }
    printf("\nPeople known to both agencies: by any record, and by records "
           "about them\n(a record that only mentions someone, such as a "
           "child named in a parent's\nreferral, counts in the first "
           "column only; counts under %u are shown as <%u)\n",
           r->suppress_below, r->suppress_below);
    printf("  %-36s %-36s %7s %7s\n", "agency", "agency", "any", "about");
    for (size_t i = 0; i < r->n_overlap; i++) {
        char any[24], sub[24];
        const cl_overlap *o = &r->overlap[i];
        if (o->people < 0)
            snprintf(any, sizeof(any), "<%u", r->suppress_below);
        else
            snprintf(any, sizeof(any), "%lld", (long long)o->people);
        if (o->subjects < 0)
            snprintf(sub, sizeof(sub), "<%u", r->suppress_below);
        else
            snprintf(sub, sizeof(sub), "%lld", (long long)o->subjects);
        printf("  %-36.36s %-36.36s %7s %7s\n", o->a, o->b, any, sub);
    }
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

/* Why a search found nobody, and what to add. */
static void s_find_none(const cl_person *m)
{
    bool ident = m->nhs[0] || m->chi[0] || m->local_id[0];
    bool names = m->given[0] || m->family[0];
    if (ident)
        printf("  No record holds that number. Check it, or search by name "
               "with --dob or --postcode.\n");
    else if (names && !m->dob[0] && !m->postcode[0])
        printf("  A name alone is not enough to search on: add a date of "
               "birth (--dob 24/12/1980)\n  or a postcode (--postcode), or "
               "search by --nhs.\n");
    else if (!m->given[0] || !m->family[0])
        printf("  Nobody matched. Add both names (--given, --family) as "
               "well as the date of birth\n  or postcode.\n");
    else
        printf("  Nobody matched these details. Try the postcode instead of "
               "the date of birth (or\n  the other way round): a search "
               "compares people who share one of them.\n");
}

static void s_json_candidates(const cl_candidates *c);

typedef struct s_find_ctx {
    cl_request *req;
    cl_referral *tmp; /* the details searched for, as referral fields */
} s_find_ctx;

static int s_find_opt(void *ctx, const char *o, char **v)
{
    s_find_ctx *x = ctx;
    cl_find *q = &x->req->u.find;
    char err[512];
    bool ok = o && v;
    if (ok && !strcmp(o, "--purpose"))
        ok = CL_COPY(q->justification, v[0]);
    else if (ok && !strcmp(o, "--access-reason"))
        ok = cli_access_reason(&q->access_reason, v[0]);
    else if (ok && !strcmp(o, "--limit"))
        return cli_ok(cli_num_opt(&q->limit, v[0], "--limit", 1));
    else if (ok && !cl_fields_set(x->tmp, o + 2, v[0], err, sizeof(err))) {
        fprintf(stderr, "caselink person find: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (!ok)
        fprintf(stderr, "caselink person find: bad option '%s'\n",
                o ? o : v[0]);
    return cli_ok(ok);
}

static int s_find(cli_conn *cn, int argc, char **argv)
{
    cl_referral *tmp = calloc(1, sizeof(*tmp));
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0;
    if (!tmp || !req) {
        status = CLI_EXIT_FAILED;
        goto out;
    }
    req->kind = CL_REQ_FIND_PERSON;
    s_find_ctx x = {.req = req, .tmp = tmp};
    if ((status = cli_each(cn, argc, argv, 0, s_find_opt, &x)) != 0)
        goto out;
    req->u.find.match = tmp->subject;
    if (!req->u.find.justification[0]) {
        fprintf(stderr, "caselink person find: --access-reason CODE and "
                        "--purpose TEXT are required (break-glass: the "
                        "auditors are told)\n");
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0)
        goto out;
    if (cn->json) {
        s_json_candidates(&rep.u.candidates);
        cl_reply_clear(&rep);
        goto out;
    }
    printf("%zu candidate%s\n", rep.u.candidates.n,
           rep.u.candidates.n == 1 ? "" : "s");
    for (size_t i = 0; i < rep.u.candidates.n; i++) {
        const cl_candidate *cd = &rep.u.candidates.v[i];
        const cl_person *p = &cd->best.person;
        char nm[2 * CL_NAME_SZ + 2], born[CL_WHEN_SHOW_SZ];
        cli_dob(cn, born, p->dob);
        printf("  %s  score %6.1f  %s, born %s, %s (%s; %s)\n", cd->person_id,
               cd->score, cli_person_name(nm, p->given, p->family),
               p->dob[0] ? born : "?", p->postcode[0] ? p->postcode : "?",
               cd->best.agency, cl_words(CL_W_LINK, cd->how));
    }
    if (!rep.u.candidates.n)
        s_find_none(&req->u.find.match);
    cl_reply_clear(&rep);
out:
    free(tmp);
    free(req);
    return status;
}

static int s_hold_opt(cl_request *req, const char *o, const char *v)
{
    cl_hold *h = &req->u.hold;
    bool ok = v != NULL;
    if (ok && !strcmp(o, "--nhs"))
        ok = CL_COPY(h->who.match.nhs, v);
    else if (ok && !strcmp(o, "--chi"))
        ok = CL_COPY(h->who.match.chi, v);
    else if (ok && !strcmp(o, "--id"))
        ok = CL_COPY(h->who.person_id, v);
    else if (ok && !strcmp(o, "--reason"))
        ok = CL_COPY(h->reason, v);
    else
        ok = false;
    if (!ok)
        fprintf(stderr, "caselink person %s: bad option '%s'\n",
                h->release ? "release" : "hold", o);
    return cli_ok(ok);
}

/* person hold|release (--nhs N | --chi N | --id P) --reason TEXT */
static int s_hold(cli_conn *cn, bool release, int argc, char **argv)
{
    const char *verb = release ? "release" : "hold";
    cl_reply rep;
    int status = 0;
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_LEGAL_HOLD;
    cl_hold *h = &req->u.hold;
    h->release = release;
    if (cli_opts(cn, req, argc, argv, 0, s_hold_opt) != 0) {
        fprintf(stderr,
                "usage: caselink person %s (--nhs N | --chi N | --id "
                "P...) --reason TEXT\n",
                verb);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if (!h->reason[0]) {
        fprintf(stderr,
                "caselink person %s: --reason TEXT is required (kept for "
                "the auditor)\n",
                verb);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0)
        goto out;
    printf(release ? "%s: legal hold released; retention applies again\n"
                   : "%s: on legal hold; retention will not remove them "
                     "until it is released\n",
           rep.u.publish.reference);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

static int s_show_opt(cl_request *req, const char *o, const char *v)
{
    cl_get_person *g = &req->u.get_person;
    bool ok = v != NULL;
    if (ok && !strcmp(o, "--nhs"))
        ok = CL_COPY(g->match.nhs, v);
    else if (ok && !strcmp(o, "--chi"))
        ok = CL_COPY(g->match.chi, v);
    else if (ok && !strcmp(o, "--id"))
        ok = CL_COPY(g->person_id, v);
    else if (ok && !strcmp(o, "--purpose"))
        ok = CL_COPY(g->justification, v);
    else if (ok && !strcmp(o, "--access-reason"))
        ok = cli_access_reason(&g->access_reason, v);
    else if (ok && !strcmp(o, "--review"))
        ok = CL_COPY(g->review_id, v);
    else
        ok = false;
    if (!ok)
        fprintf(stderr, "caselink person show: bad option '%s'\n", o);
    return cli_ok(ok);
}

int cli_person(cli_conn *cn, int argc, char **argv)
{
    if (argc >= 1 && (!strcmp(argv[0], "hold") || !strcmp(argv[0], "release")))
        return s_hold(cn, !strcmp(argv[0], "release"), argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "find"))
        return s_find(cn, argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[0], "split"))
        return cli_link_change(cn, CL_REQ_SPLIT_RECORD, argv[1], false,
                               argc - 2, argv + 2);
    cl_reply rep;
    int status = 0;
    if (argc < 1 || strcmp(argv[0], "show") != 0) {
        fprintf(stderr, "usage: caselink person show (--nhs N | --chi N | "
                        "--id P...) (--purpose TEXT | --review ID)\n"
                        "       caselink person hold|release (--nhs N | "
                        "--chi N | --id P...) --reason TEXT\n");
        return CLI_EXIT_USAGE;
    }
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_GET_PERSON;
    cl_get_person *g = &req->u.get_person;
    if ((status = cli_opts(cn, req, argc, argv, 1, s_show_opt)) != 0)
        goto out;
    if (!g->justification[0] && !g->review_id[0]) {
        fprintf(stderr, "caselink person show: say why you open this case: "
                        "--review ID, or break-glass --access-reason CODE "
                        "--purpose TEXT (the auditors are told)\n");
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0)
        goto out;
    if (cn->json)
        cli_json_view(&rep.u.person);
    else
        cli_print_view(cn, &rep.u.person);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

/* --- rectification --------------------------------------------------- */

/* referral correct|withdraw REF: --reason and (correct) the fields. */
static int s_rectify_opt(void *ctx, const char *o, char **val)
{
    cl_request *req = ctx;
    cl_rectify *r = &req->u.rectify;
    bool withdraw = req->kind == CL_REQ_WITHDRAW_REFERRAL;
    char err[512];
    const char *v = val ? val[0] : NULL;
    if (!o || !v) {
        fprintf(stderr, "caselink referral: expected --FIELD VALUE, got '%s'\n",
                o ? o : v);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(o, "--reason")) {
        if (!CL_COPY(r->reason, v)) {
            fprintf(stderr, "caselink referral: reason too long\n");
            return CLI_EXIT_USAGE;
        }
    } else if (withdraw ||
               !cl_fields_set(&r->referral, o + 2, v, err, sizeof(err))) {
        fprintf(stderr, "caselink referral: %s\n",
                withdraw ? "withdraw takes only --reason" : err);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_referral(cli_conn *cn, int argc, char **argv)
{
    cl_reply rep;
    int status = 0;
    bool withdraw = argc >= 1 && !strcmp(argv[0], "withdraw");
    if (argc >= 1 && !strcmp(argv[0], "status"))
        return cli_referral_status(cn, argc - 1, argv + 1);
    if (argc < 2 || (!withdraw && strcmp(argv[0], "correct") != 0)) {
        fprintf(stderr, "usage: caselink referral correct REF --reason TEXT "
                        "FIELDS...\n"
                        "       caselink referral withdraw REF --reason "
                        "TEXT\n"
                        "       caselink referral status REF accepted|"
                        "declined|closed\n"
                        "           [--reason TEXT] [--outcome OUTCOME]\n");
        return CLI_EXIT_USAGE;
    }
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = withdraw ? CL_REQ_WITHDRAW_REFERRAL : CL_REQ_CORRECT_REFERRAL;
    cl_rectify *r = &req->u.rectify;
    CL_COPY(r->reference, argv[1]);
    if ((status = cli_each(cn, argc, argv, 2, s_rectify_opt, req)) != 0)
        goto out;
    if (!r->reason[0]) {
        fprintf(stderr, "caselink referral: --reason is required (kept for "
                        "the auditor)\n");
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if (!withdraw && argc < 6) {
        /* REF --reason TEXT and at least one --FIELD VALUE */
        fprintf(stderr, "caselink referral correct: give the fields that "
                        "change (only those change; the rest stay)\n");
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if ((status = cli_call(cn, NULL, req, &rep)) != 0)
        goto out;
    printf("%s: %s\n", withdraw ? "withdrawn" : "corrected",
           rep.u.publish.reference);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

/* A count the daemon suppressed (-1) as null. */
static void s_json_count(const void *obj, const void *m)
{
    (void)obj;
    int64_t v;
    memcpy(&v, m, sizeof(v));
    if (v < 0)
        fputs("null", stdout);
    else
        printf("%lld", (long long)v);
}

static const cli_jrow s_hlu_rows[] = {
    CLI_JS(cl_hlu, "person_id", person_id),
    CLI_JS(cl_hlu, "given_names", given),
    CLI_JS(cl_hlu, "family_name", family),
    CLI_JS(cl_hlu, "date_of_birth", dob),
    CLI_JU(cl_hlu, "contacts", contacts),
    CLI_JL(cl_hlu, "known_to", known_to, n_known),
    CLI_JL(cl_hlu, "mentioned_by", mentioned_by, n_mentioned),
    CLI_JEND,
};

static const cli_jrow s_overlap_rows[] = {
    CLI_JS(cl_overlap, "agency_a", a),
    CLI_JS(cl_overlap, "agency_b", b),
    CLI_JF(cl_overlap, "people", people, s_json_count),
    CLI_JF(cl_overlap, "people_as_subject", subjects, s_json_count),
    CLI_JEND,
};

static const cli_jrow s_casefind_rows[] = {
    CLI_JAP(cl_case_finding_result, "people", users, n_users, s_hlu_rows),
    CLI_JAP(cl_case_finding_result, "overlap", overlap, n_overlap,
            s_overlap_rows),
    CLI_JU(cl_case_finding_result, "suppress_below", suppress_below),
    CLI_JS(cl_case_finding_result, "agency", agency),
    CLI_JEND,
};

static void s_json_casefind(const cl_case_finding_result *r)
{
    cli_json_obj(r, s_casefind_rows);
    putchar('\n');
}

static void s_json_candidates(const cl_candidates *c)
{
    printf("{\"candidates\":[");
    for (size_t i = 0; i < c->n; i++) {
        const cl_candidate *cd = &c->v[i];
        printf("%s{", i ? "," : "");
        cli_jkv("person_id", cd->person_id, true);
        printf("\"score\":%.2f,", cd->score);
        cli_jkv("how", cl_link_name(cd->how), true);
        cli_jkv("agency", cd->best.agency, true);
        printf("\"person\":");
        cli_json_person(&cd->best.person);
        printf("}");
    }
    printf("]}\n");
}
