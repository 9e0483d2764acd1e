/*
 * test_flag: the front-line flag on the real daemon (issue 21). A police
 * officer or GP dealing with an adult learns, in a fixed minimal shape,
 * that a linked child is on a plan and whom to call; the authority is
 * told; everything is audited; nothing else leaks.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <zmq.h>

#include "harness.h"
#include "wire.h"

static const char *NHS_CHILD = "0830166130";
static const char *NHS_MUM = "1860913903";
static const char *NHS_CARER = "6281948211";
static const char *NHS_HH = "9935181901";
static const char *NHS_OTHER = "9960308243";   /* known, no plan */
static const char *NHS_UNKNOWN = "9378657974"; /* known to nobody */
static const char *NHS_PREG = "5432319489";    /* an expectant mother */
static const char *NHS_CHILD2 = "2527601898";
static const char *CHILDRENS = "Northshire Children's Services";

static void s_date_offset(char out[CL_DATE_SZ], int days)
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    strftime(out, CL_DATE_SZ, "%Y-%m-%d", gmtime_r(&t, &tm));
}

static int s_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int s_call(cl_client *c, cl_request *q, cl_reply *rep)
{
    memset(q->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(c, q, rep), CL_OK);
    return (int)rep->status;
}

/* Publish q (freed here) as c, answered OK: how many flags its reply
 * carries. */
static size_t s_publish_flags(cl_client *c, cl_request *q)
{
    cl_reply rep;
    assert_int_equal(s_call(c, q, &rep), CL_STATUS_OK);
    size_t n = rep.u.publish.flag.n;
    cl_reply_clear(&rep);
    free(q);
    return n;
}

/* The child's plan, naming the mother (parent), a carer and a household
 * member; end: "" or a date. */
static void s_plan(cl_client *ch, const char *ref, const char *end)
{
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_PUBLISH_PLAN;
    cl_plan *p = &q->u.plan;
    CL_COPY(p->agency_ref, ref);
    CL_COPY(p->child.nhs, NHS_CHILD);
    CL_COPY(p->child.given, "Lily");
    CL_COPY(p->child.family, "Brown");
    CL_COPY(p->child.dob, "2019-06-01");
    p->type = CL_PLAN_CPP;
    p->category = 1;
    s_date_offset(p->start, -800);
    if (end)
        CL_COPY(p->end, end);
    s_date_offset(p->review, 40);
    CL_COPY(p->authority, CHILDRENS);
    CL_COPY(p->legal_basis, "Children Act 1989 s47");
    p->basis = 1;
    const char *nhs[] = {NHS_MUM, NHS_CARER, NHS_HH};
    const char *given[] = {"Kerry", "Dawn", "Lee"};
    const uint8_t rel[] = {CL_REL_PARENT, CL_REL_CARER, CL_REL_HOUSEHOLD};
    p->n_adults = 3;
    for (int i = 0; i < 3; i++) {
        p->adults[i].rel = rel[i];
        CL_COPY(p->adults[i].person.nhs, nhs[i]);
        CL_COPY(p->adults[i].person.given, given[i]);
        CL_COPY(p->adults[i].person.family, "Brown");
        CL_COPY(p->adults[i].person.dob, "1990-02-03");
    }
    if (s_call(ch, q, &rep) != CL_STATUS_OK)
        fail_msg("plan refused: %s", rep.error);
    cl_reply_clear(&rep);
    free(q);
}

static void s_unborn_plan(cl_client *ch)
{
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_PUBLISH_PLAN;
    cl_plan *p = &q->u.plan;
    CL_COPY(p->agency_ref, "UCP-9");
    p->type = CL_PLAN_UNBORN;
    s_date_offset(p->start, -20);
    CL_COPY(p->authority, CHILDRENS);
    p->basis = 1;
    p->n_adults = 1;
    p->adults[0].rel = CL_REL_PARENT;
    CL_COPY(p->adults[0].person.nhs, NHS_PREG);
    CL_COPY(p->adults[0].person.given, "Mia");
    CL_COPY(p->adults[0].person.family, "Green");
    assert_int_equal(s_call(ch, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
}

static void s_referral(cl_client *c, const char *ref, const char *nhs,
                       cl_reply *rep)
{
    cl_request *q = th_referral(ref, "Sam", "Jones", "1980-01-01", nhs);
    CL_COPY(q->u.publish.referrer_name, "PC 123 Jones");
    assert_int_equal(s_call(c, q, rep), CL_STATUS_OK);
    free(q);
}

/* A flag check through libcaselink; returns its result code. */
static int s_check(cl_client *c, cl_flag_by by, const char *id,
                   cl_flag_result *out, char *err)
{
    char e[CL_ERROR_SZ];
    int rc = cl_client_flag_check(c, by, id, out, err ? err : e, CL_ERROR_SZ);
    return rc;
}

/* Deliveries of one kind waiting in an agency's mailbox; caller clears. */
static void s_inbox(cl_client *c, cl_reply *rep)
{
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(cl_client_call(c, &req, rep), CL_OK);
    assert_int_equal(rep->status, CL_STATUS_OK);
}

static size_t s_count(const cl_reply *rep, cl_dlv_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < rep->u.deliveries.n; i++)
        n += rep->u.deliveries.v[i].kind == kind;
    return n;
}

static const cl_flag_notice *s_notice(const cl_reply *rep, size_t nth)
{
    for (size_t i = 0; i < rep->u.deliveries.n; i++)
        if (rep->u.deliveries.v[i].kind == CL_DLV_FLAG && nth-- == 0)
            return &rep->u.deliveries.v[i].u.flag;
    return NULL;
}

/* The parent, carer and household member of a child on a plan, the child
 * and the expectant mother on an unborn plan each carry a flag, with the
 * minimal fields only. */
static void test_flag_parent_carer_household_unborn(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *police = th_client(d, "police");
    cl_flag_result f;
    s_plan(ch, "CP-1", NULL);
    s_unborn_plan(ch);
    const char *who[] = {NHS_MUM, NHS_CARER, NHS_HH, NHS_CHILD, NHS_PREG};
    const char *is[] = {"parent", "carer", "household member", "the child",
                        "expectant mother"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(s_check(police, CL_FLAG_BY_NHS, who[i], &f, NULL),
                         CL_OK);
        assert_int_equal(f.n, 1);
        assert_string_equal(f.v[0].person_is, is[i]);
        assert_string_equal(f.v[0].authority, CHILDRENS);
        assert_string_equal(f.v[0].duty.name,
                            "Children's Services duty and assessment team");
        assert_string_equal(f.v[0].duty.phone, "01632 960 000");
        assert_string_equal(f.v[0].duty.email,
                            "cs.duty@northshire.gov.uk.cjsm.net");
        assert_string_equal(f.v[0].duty.hours,
                            "24 hours (out of hours: emergency duty team)");
        assert_string_equal(f.v[0].ended, "");
        assert_string_equal(f.v[0].plan_type,
                            i == 4 ? "unborn child protection plan"
                                   : "child protection plan");
        if (i < 4) {
            char review[CL_DATE_SZ];
            s_date_offset(review, 40);
            assert_string_equal(f.v[0].next_review, review);
        }
    }
    /* nothing else crosses: no child's name, NHS number, category or
     * plan reference anywhere in the reply's bytes */
    void *ctx = zmq_ctx_new();
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/police.key", d->dir);
    void *s = th_raw_socket(d, ctx, key, 5000);
    cl_request *q = calloc(1, sizeof(*q));
    q->version = CL_PROTOCOL_VERSION;
    q->kind = CL_REQ_FLAG_CHECK;
    CL_COPY(q->u.flag.person.nhs, NHS_MUM);
    memset(q->msgid, 7, CL_MSGID_LEN);
    uint8_t *out = NULL, buf[65536];
    size_t len = 0;
    assert_int_equal(cl_wire_encode_request(&out, &len, q), CL_OK);
    assert_true(zmq_send(s, out, len, 0) == (int)len);
    free(out);
    int n = zmq_recv(s, buf, sizeof(buf), 0);
    assert_true(n > 0);
    const char *never[] = {"Lily",     NHS_CHILD, "CP-1",
                           "physical", "Brown",   "P0000"};
    for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++)
        assert_null(memmem(buf, (size_t)n, never[i], strlen(never[i])));
    assert_non_null(memmem(buf, (size_t)n, "01632 960 000", 13));
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(q);
    cl_client_close(&ch);
    cl_client_close(&police);
}

/* One raw flag check by NHS number; reply bytes into buf. */
static size_t s_raw_check(void *s, const char *nhs, uint8_t id, uint8_t *buf,
                          size_t cap)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->version = CL_PROTOCOL_VERSION;
    q->kind = CL_REQ_FLAG_CHECK;
    CL_COPY(q->u.flag.person.nhs, nhs);
    memset(q->msgid, id, CL_MSGID_LEN);
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(cl_wire_encode_request(&out, &len, q), CL_OK);
    assert_true(zmq_send(s, out, len, 0) == (int)len);
    free(out);
    free(q);
    int n = zmq_recv(s, buf, cap, 0);
    assert_true(n > 0);
    return (size_t)n;
}

/* "No flag" is the same bytes (but for the message id) whether the
 * person is unknown to everyone, known to another agency without a plan,
 * or known to the caller without a plan. */
static void test_no_flag_is_the_same_bytes(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp"),
              *police = th_client(d, "police");
    cl_reply rep;
    s_plan(ch, "CP-1", NULL);
    s_referral(gp, "GP-1", NHS_OTHER, &rep); /* known to the GP only */
    cl_reply_clear(&rep);
    s_referral(police, "POL-1", NHS_CHILD2, &rep); /* the police's own */
    cl_reply_clear(&rep);

    void *ctx = zmq_ctx_new();
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/police.key", d->dir);
    void *s = th_raw_socket(d, ctx, key, 5000);
    uint8_t a[4096], b[4096], c[4096], m[4096];
    size_t na = s_raw_check(s, NHS_UNKNOWN, 1, a, sizeof(a));
    size_t nb = s_raw_check(s, NHS_OTHER, 2, b, sizeof(b));
    size_t nc = s_raw_check(s, NHS_CHILD2, 3, c, sizeof(c));
    size_t nm = s_raw_check(s, NHS_MUM, 4, m, sizeof(m));
    /* the message id is the only difference: put it back and compare */
    assert_int_equal(na, nb);
    assert_int_equal(na, nc);
    uint8_t *ida = memmem(
        a, na, (uint8_t[16]){1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        16);
    assert_non_null(ida);
    size_t off = (size_t)(ida - a);
    memset(b + off, 1, 16);
    memset(c + off, 1, 16);
    assert_memory_equal(a, b, na);
    assert_memory_equal(a, c, na);
    /* and a flag does differ */
    assert_true(nm > na);
    cl_reply r;
    assert_int_equal(cl_wire_decode_reply(&r, a, na), CL_OK);
    assert_int_equal(r.status, CL_STATUS_OK);
    assert_int_equal(r.kind, CL_REQ_FLAG_CHECK);
    assert_int_equal(r.u.flag.n, 0);
    assert_string_equal(r.error, "");
    cl_reply_clear(&r);
    zmq_close(s);
    zmq_ctx_term(ctx);
    cl_client_close(&ch);
    cl_client_close(&gp);
    cl_client_close(&police);
}

/* Every flag shown is told to the authority: which agency, when, which
 * child's plan; repeated checks by the same system within the window are
 * counted into one notice; another agency's get their own; a flag on a
 * publish reply is told too. */
static void test_authority_told_and_coalesced(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *police = th_client(d, "police"),
              *gp = th_client(d, "gp");
    cl_flag_result f;
    cl_reply rep;
    s_plan(ch, "CP-1", NULL);
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_FLAG), 0);
    cl_reply_clear(&rep);

    int64_t before = (int64_t)time(NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL),
                         CL_OK);
    assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL), CL_OK);
    /* no flag, no notice */
    assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_UNKNOWN, &f, NULL), CL_OK);
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_FLAG), 2);
    const cl_flag_notice *a = s_notice(&rep, 0), *b = s_notice(&rep, 1);
    assert_string_equal(a->agency, "Northshire Police");
    assert_string_equal(a->client, "police");
    /* which of its users: the one the request named (on_behalf_of) */
    assert_string_equal(a->user_id, "pc4471");
    assert_string_equal(a->user_name, "PC Sam Hughes");
    assert_string_equal(a->user_role, "Vulnerability hub officer");
    assert_string_equal(a->context, "flag_check");
    assert_string_equal(a->plan_ref, "CP-1");
    assert_string_equal(a->child_given, "Lily");
    assert_string_equal(a->person_is, "parent");
    assert_true(a->child_pid[0] == 'P' && a->person_pid[0] == 'P');
    assert_int_equal(a->count, 3);
    assert_true(a->first_at >= before && a->last_at >= a->first_at);
    assert_string_equal(b->agency, "Oakfield Surgery");
    assert_int_equal(b->count, 1);
    cl_reply_clear(&rep);
    /* another officer on the same system: a notice of their own */
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/police.key", d->dir);
    cl_user pc2 = {.id = "pc5102", .name = "PC Jo Reid", .role = "Response"};
    cl_client *police2 = th_client_user(d, key, 5000, &pc2);
    assert_int_equal(s_check(police2, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL),
                     CL_OK);
    cl_client_close(&police2);
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_FLAG), 3);
    assert_string_equal(s_notice(&rep, 2)->user_name, "PC Jo Reid");
    assert_int_equal(s_notice(&rep, 2)->count, 1);
    cl_reply_clear(&rep);

    /* the police record a referral about the mother: the reply carries
     * the flag, and the safeguarding alert the referral raises tells the
     * authority the flag was shown (one delivery, not two) */
    cl_reply pub;
    char ref[CL_REF_SZ];
    s_referral(police, "POL-7", NHS_MUM, &pub);
    assert_int_equal(pub.u.publish.flag.n, 1);
    assert_string_equal(pub.u.publish.flag.v[0].person_is, "parent");
    assert_string_equal(pub.u.publish.flag.v[0].duty.phone, "01632 960 000");
    CL_COPY(ref, pub.u.publish.reference);
    cl_reply_clear(&pub);
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_FLAG), 3);
    assert_int_equal(s_count(&rep, CL_DLV_ALERT), 1);
    for (size_t i = 0; i < rep.u.deliveries.n; i++)
        if (rep.u.deliveries.v[i].kind == CL_DLV_ALERT) {
            assert_string_equal(rep.u.deliveries.v[i].u.alert.reference, ref);
            assert_true(rep.u.deliveries.v[i].u.alert.flag_shown);
        }
    cl_reply_clear(&rep);
    /* an agency whose publish flags are off raises an alert without it */
    cl_client *adults0 = th_client(d, "adults");
    s_referral(adults0, "ASC-0", NHS_MUM, &pub);
    cl_reply_clear(&pub);
    cl_client_close(&adults0);
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_ALERT), 2);
    const cl_delivery *last = &rep.u.deliveries.v[rep.u.deliveries.n - 1];
    assert_int_equal(last->kind, CL_DLV_ALERT);
    assert_false(last->u.alert.flag_shown);
    cl_reply_clear(&rep);
    /* a kind not configured for publish flags hears nothing on publish */
    cl_client *adults = th_client(d, "adults");
    s_referral(adults, "ASC-1", NHS_MUM, &pub);
    assert_int_equal(pub.u.publish.flag.n, 0);
    cl_reply_clear(&pub);
    cl_client_close(&adults);
    /* nothing about an unflagged person on publish */
    s_referral(police, "POL-8", NHS_OTHER, &pub);
    assert_int_equal(pub.u.publish.flag.n, 0);
    cl_reply_clear(&pub);
    cl_client_close(&ch);
    cl_client_close(&police);
    cl_client_close(&gp);
}

/* A system with no users list names whatever user ids it likes: a new
 * one on every check must not raise a notice on every check (the plan
 * authority's mailbox would fill with them). Its checks are counted into
 * one notice per system; the notice names the first check's user. A
 * system whose users the registry lists (the police) keeps one per user:
 * test_authority_told_and_coalesced. */
static void test_notices_coalesced_by_system(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens");
    cl_flag_result f;
    cl_reply rep;
    char key[300];
    s_plan(ch, "CP-1", NULL);
    snprintf(key, sizeof(key), "%s/keys/gp.key", d->dir);
    for (int i = 0; i < 12; i++) {
        cl_user u;
        memset(&u, 0, sizeof(u));
        snprintf(u.id, sizeof(u.id), "made-up-%02d", i);
        CL_COPY(u.name, "Anyone At All");
        CL_COPY(u.role, "Receptionist");
        cl_client *gp = th_client_user(d, key, 5000, &u);
        assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL), CL_OK);
        assert_int_equal(f.n, 1);
        cl_client_close(&gp);
    }
    cl_client *gp = th_client(d, "gp"); /* its own user, and none at all */
    assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL), CL_OK);
    cl_client_close(&gp);
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_FLAG), 1);
    const cl_flag_notice *a = s_notice(&rep, 0);
    assert_string_equal(a->client, "gp");
    assert_string_equal(a->user_id, "made-up-00");
    assert_int_equal(a->count, 13);
    cl_reply_clear(&rep);
    cl_client_close(&ch);
}

/* A window of 0 tells every check; publish flags can be switched off for
 * a kind. */
static void test_coalesce_window_configured(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[flag]\ncoalesce_s = 0\non_publish_kinds = gp\n"
                 "rate_per_minute = 100000\n");
    cl_client *ch = th_client(&d, "childrens"),
              *police = th_client(&d, "police");
    cl_flag_result f;
    cl_reply rep;
    s_plan(ch, "CP-1", NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL),
                         CL_OK);
    s_referral(police, "POL-1", NHS_MUM, &rep);
    assert_int_equal(rep.u.publish.flag.n, 0); /* police: off */
    cl_reply_clear(&rep);
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_FLAG), 3);
    cl_reply_clear(&rep);
    /* how long a check takes, one at a time (each is a durable commit:
     * audit entry, notice, log), flag and no flag */
    enum { N = 200 };
    static double ms[3][N];
    const char *who[3] = {NHS_MUM, NHS_OTHER, NHS_UNKNOWN};
    const char *what[3] = {"flag shown, authority told",
                           "no flag, known without a plan", "no flag, unknown"};
    s_referral(police, "POL-K", NHS_OTHER, &rep);
    cl_reply_clear(&rep);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < N; i++) {
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            assert_int_equal(s_check(police, CL_FLAG_BY_NHS, who[k], &f, NULL),
                             CL_OK);
            clock_gettime(CLOCK_MONOTONIC, &b);
            ms[k][i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
                       (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        }
    for (int k = 0; k < 3; k++) {
        qsort(ms[k], N, sizeof(double), s_dbl_cmp);
        printf("flag check (%s), %d one at a time: p50 %.2f ms, p99 %.2f ms\n",
               what[k], N, ms[k][N / 2], ms[k][N * 99 / 100]);
    }
    cl_client_close(&ch);
    cl_client_close(&police);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf '%s'", d.dir);
}

/* Plans that ended more than the window ago flag nobody; recently ended
 * ones say when; a withdrawn or corrected plan changes every flag at
 * once. */
static void test_ended_withdrawn_corrected(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *police = th_client(d, "police");
    cl_flag_result f;
    char end[CL_DATE_SZ];
    /* ended 100 days ago: still a flag (12 months by default), with when */
    s_date_offset(end, -100);
    s_plan(ch, "CP-1", end);
    assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL), CL_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.v[0].ended, end);
    /* an ended plan raises no alert, so a flag shown on a publish reply is
     * told to the authority as a notice of its own */
    cl_client *gp = th_client(d, "gp");
    cl_reply pub;
    s_referral(gp, "GP-E1", NHS_MUM, &pub);
    assert_int_equal(pub.u.publish.flag.n, 1);
    assert_string_equal(pub.u.publish.flag.v[0].ended, end);
    cl_reply_clear(&pub);
    cl_client_close(&gp);
    s_inbox(ch, &pub);
    assert_int_equal(s_count(&pub, CL_DLV_ALERT), 0);
    assert_int_equal(s_count(&pub, CL_DLV_FLAG), 2);
    assert_string_equal(s_notice(&pub, 1)->context, "publish");
    assert_string_equal(s_notice(&pub, 1)->agency, "Oakfield Surgery");
    cl_reply_clear(&pub);
    /* corrected: it ended 400 days ago: no flag for anyone, at once */
    s_date_offset(end, -400);
    s_plan(ch, "CP-1", end);
    const char *who[] = {NHS_MUM, NHS_CARER, NHS_HH, NHS_CHILD};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s_check(police, CL_FLAG_BY_NHS, who[i], &f, NULL),
                         CL_OK);
        assert_int_equal(f.n, 0);
    }
    /* corrected again: in force */
    s_plan(ch, "CP-1", NULL);
    assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_CARER, &f, NULL),
                     CL_OK);
    assert_int_equal(f.n, 1);
    /* withdrawn (recorded in error): gone from every flag */
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_WITHDRAW_PLAN;
    CL_COPY(q->u.plan_withdraw.agency_ref, "CP-1");
    assert_int_equal(s_call(ch, q, &rep), CL_STATUS_INVALID); /* no reason */
    cl_reply_clear(&rep);
    CL_COPY(q->u.plan_withdraw.reason, "recorded against the wrong child");
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_DENIED); /* not its */
    cl_reply_clear(&rep);
    assert_int_equal(s_call(ch, q, &rep), CL_STATUS_OK);
    assert_string_equal(rep.u.publish.reference, "PLAN-00000001");
    cl_reply_clear(&rep);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s_check(police, CL_FLAG_BY_NHS, who[i], &f, NULL),
                         CL_OK);
        assert_int_equal(f.n, 0);
    }
    /* and from the case view and alerts */
    cl_client *co = th_client(d, "coordinator");
    assert_int_equal(th_view_nhs(co, NHS_MUM, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_plans, 0);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    CL_COPY(q->u.plan_withdraw.agency_ref, "CP-NONE");
    assert_int_equal(s_call(ch, q, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&ch);
    cl_client_close(&police);

    /* a shorter window, configured */
    th_daemon d2;
    memset(&d2, 0, sizeof(d2));
    th_start(&d2, "[flag]\nended_within_days = 30\n");
    ch = th_client(&d2, "childrens");
    police = th_client(&d2, "police");
    s_date_offset(end, -100);
    s_plan(ch, "CP-1", end);
    assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL), CL_OK);
    assert_int_equal(f.n, 0);
    cl_client_close(&ch);
    cl_client_close(&police);
    assert_int_equal(th_stop(&d2, SIGTERM), 0);
    th_sh("rm -rf '%s'", d2.dir);
}

/* Demographics, another agency's local id, kinds and roles not configured:
 * refused with a sentence saying why; bad numbers refused. */
static void test_refusals(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *police = th_client(d, "police"),
              *gp = th_client(d, "gp");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    cl_flag_result f;
    char err[CL_ERROR_SZ];
    s_plan(ch, "CP-1", NULL);
    q->kind = CL_REQ_FLAG_CHECK;
    /* by demographics alone */
    CL_COPY(q->u.flag.person.given, "Kerry");
    CL_COPY(q->u.flag.person.family, "Brown");
    CL_COPY(q->u.flag.person.dob, "1990-02-03");
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "person.given_names: "));
    assert_non_null(strstr(rep.error, "never by name, date of birth"));
    cl_reply_clear(&rep);
    /* an NHS number with a name: still no searching by name */
    CL_COPY(q->u.flag.person.nhs, NHS_MUM);
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    /* by address alone */
    memset(&q->u.flag, 0, sizeof(q->u.flag));
    CL_COPY(q->u.flag.person.postcode, "NR1 1AA");
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "person.postcode: "));
    cl_reply_clear(&rep);
    /* another agency's local id */
    memset(&q->u.flag, 0, sizeof(q->u.flag));
    CL_COPY(q->u.flag.person.local_id, "CS-1");
    CL_COPY(q->u.flag.agency, CHILDRENS);
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_DENIED);
    assert_non_null(strstr(rep.error, "your own agency's records"));
    cl_reply_clear(&rep);
    /* nothing, or two ids */
    memset(&q->u.flag, 0, sizeof(q->u.flag));
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    CL_COPY(q->u.flag.person.nhs, NHS_MUM);
    CL_COPY(q->u.flag.person.local_id, "X");
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "exactly one"));
    cl_reply_clear(&rep);
    free(q);
    /* a bad check digit is not "no flag" */
    assert_int_equal(s_check(police, CL_FLAG_BY_NHS, "1860913904", &f, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "check digit"));
    assert_int_equal(s_check(police, CL_FLAG_BY_CHI, "3213213213", &f, err),
                     CL_ERR_INVALID);
    /* its own local id of a person it has no record of */
    assert_int_equal(s_check(police, CL_FLAG_BY_LOCAL_ID, "NICHE-9", &f, err),
                     CL_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "none of your agency's records"));
    /* kinds not configured: children's services, adult social care */
    cl_client *adults = th_client(d, "adults");
    assert_int_equal(s_check(adults, CL_FLAG_BY_NHS, NHS_MUM, &f, err),
                     CL_ERR_DENIED);
    assert_non_null(strstr(err, "check_kinds"));
    assert_non_null(strstr(err, "adult_services"));
    assert_int_equal(s_check(ch, CL_FLAG_BY_NHS, NHS_MUM, &f, err),
                     CL_ERR_DENIED);
    /* roles: a coordinator or auditor is not a front-line system */
    const char *roles[] = {"coordinator", "auditor", "operator"};
    for (int i = 0; i < 3; i++) {
        cl_client *c = th_client(d, roles[i]);
        assert_int_equal(s_check(c, CL_FLAG_BY_NHS, NHS_MUM, &f, err),
                         CL_ERR_DENIED);
        cl_client_close(&c);
    }
    /* no refusal disclosed a flag or told the authority */
    s_inbox(ch, &rep);
    assert_int_equal(s_count(&rep, CL_DLV_FLAG), 0);
    cl_reply_clear(&rep);
    /* by CHI number (Scotland's), of a child the police hold it for */
    cl_request *cq =
        th_referral("POL-CHI", "Lily", "Brown", "2019-06-01", NHS_CHILD);
    CL_COPY(cq->u.publish.subject.chi, "0106191233");
    assert_int_equal(th_publish(police, cq, NULL), CL_STATUS_OK);
    free(cq);
    assert_int_equal(s_check(police, CL_FLAG_BY_CHI, "010619 1233", &f, err),
                     CL_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.v[0].person_is, "the child");
    assert_int_equal(s_check(police, CL_FLAG_BY_CHI, "0106191241", &f, err),
                     CL_OK);
    assert_int_equal(f.n, 0); /* a valid CHI number nobody holds */
    /* the log names no NHS number */
    assert_false(th_file_contains(d->log, NHS_MUM));
    cl_client_close(&adults);
    cl_client_close(&ch);
    cl_client_close(&police);
    cl_client_close(&gp);
}

/* A caller's own local id works; a relationship it asserted itself about
 * a child it named only by name and date of birth does not flag (that
 * would be a demographic search by another road); nor does a household
 * inferred from a shared UPRN; another agency's statement does. */
static void test_local_id_and_crafted_links(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *police = th_client(d, "police"),
              *gp = th_client(d, "gp");
    cl_flag_result f;
    cl_reply rep;
    s_plan(ch, "CP-1", NULL);
    /* the GP knows an adult by its own id, and claims the child (named by
     * name and date of birth only) is theirs */
    cl_request *q = th_referral("GP-9", "Rick", "Hale", "1979-09-09", NULL);
    CL_COPY(q->u.publish.subject.local_id, "EMIS-42");
    q->u.publish.n_related = 1;
    q->u.publish.related[0].rel = CL_REL_CHILD;
    CL_COPY(q->u.publish.related[0].person.given, "Lily");
    CL_COPY(q->u.publish.related[0].person.family, "Brown");
    CL_COPY(q->u.publish.related[0].person.dob, "2019-06-01");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.publish.flag.n, 0); /* not on its publish... */
    cl_reply_clear(&rep);
    assert_int_equal(s_check(gp, CL_FLAG_BY_LOCAL_ID, "EMIS-42", &f, NULL),
                     CL_OK);
    assert_int_equal(f.n, 0); /* ...nor on its check */
    /* the police have no EMIS ids */
    assert_int_equal(s_check(police, CL_FLAG_BY_LOCAL_ID, "EMIS-42", &f, NULL),
                     CL_ERR_NOT_FOUND);
    /* naming the child by NHS number is a check it could make anyway */
    CL_COPY(q->u.publish.agency_ref, "GP-10");
    CL_COPY(q->u.publish.related[0].person.nhs, NHS_CHILD);
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.publish.flag.n, 1);
    cl_reply_clear(&rep);
    free(q);
    /* a shared UPRN is not a household for the flag */
    q = th_referral("POL-U1", "Ann", "Hale", "1970-01-01", NULL);
    CL_COPY(q->u.publish.subject.uprn, "100023336956");
    CL_COPY(q->u.publish.subject.local_id, "NICHE-1");
    (void)s_publish_flags(police, q);
    q = th_referral("POL-U2", "Lily", "Brown", "2019-06-01", NHS_CHILD);
    CL_COPY(q->u.publish.subject.uprn, "100023336956");
    assert_int_equal(s_publish_flags(police, q), 1); /* the child herself */
    assert_int_equal(s_check(police, CL_FLAG_BY_LOCAL_ID, "NICHE-1", &f, NULL),
                     CL_OK);
    assert_int_equal(f.n, 0);
    cl_client_close(&ch);
    cl_client_close(&police);
    cl_client_close(&gp);
}

/* The attack found from outside: a referral that names a child (or her
 * mother) by name and date of birth alone is linked to the real person by
 * matching; neither its publish reply nor a check by the bait's local id
 * may then tell whether she is on a plan. */
static void test_bait_by_demographics(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    cl_flag_result f;
    cl_reply rep;
    s_plan(ch, "CP-1", NULL);
    const char *given[] = {"Lily", "Kerry"},
               *dob[] = {"2019-06-01", "1990-02-03"};
    const char *local[] = {"BAIT-1", "BAIT-2"}, *ref[] = {"GPB-1", "GPB-2"};
    for (int i = 0; i < 2; i++) {
        cl_request *q = th_referral(ref[i], given[i], "Brown", dob[i], NULL);
        CL_COPY(q->u.publish.subject.local_id, local[i]);
        assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
        assert_int_equal(rep.u.publish.flag.n, 0);
        cl_reply_clear(&rep);
        free(q);
        assert_int_equal(s_check(gp, CL_FLAG_BY_LOCAL_ID, local[i], &f, NULL),
                         CL_OK);
        assert_int_equal(f.n, 0);
    }
    /* by the real number the child is flagged, as before */
    assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_CHILD, &f, NULL), CL_OK);
    assert_int_equal(f.n, 1);
    /* a police record of the mother without a number is flagged where its
     * postcode is the one children's services recorded for her */
    cl_request *q =
        th_referral("CSC-K", "Kerry", "Brown", "1990-02-03", NHS_MUM);
    CL_COPY(q->u.publish.subject.postcode, "LS1 4AB");
    (void)s_publish_flags(ch, q);
    cl_client *police = th_client(d, "police");
    q = th_referral("POL-K1", "Kerry", "Brown", "1990-02-03", NULL);
    CL_COPY(q->u.publish.subject.local_id, "NICHE-K");
    CL_COPY(q->u.publish.subject.postcode, "LS1 4AB");
    assert_int_equal(s_publish_flags(police, q), 1);
    assert_int_equal(s_check(police, CL_FLAG_BY_LOCAL_ID, "NICHE-K", &f, NULL),
                     CL_OK);
    assert_int_equal(f.n, 1);
    cl_client_close(&police);
    cl_client_close(&ch);
    cl_client_close(&gp);
}

/* Police records of a child on a plan and of her mother, with no number
 * but a postcode, linked to them by matching: no flag until children's
 * services' own records of them carry the same postcode, and a flag on
 * the next publish and check once they do. Whether the caller's records
 * are corroborated is worked out only when a plan could flag (flag.c,
 * s_person_ok), so it must see the records that arrived after the
 * caller's. */
static void test_corroborated_after_records_arrive(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *police = th_client(d, "police");
    cl_flag_result f;
    cl_reply rep;
    s_plan(ch, "CP-1", NULL);
    const char *given[] = {"Lily", "Kerry"},
               *dob[] = {"2019-06-01", "1990-02-03"};
    const char *nhs[] = {NHS_CHILD, NHS_MUM}, *pc[] = {"LS2 9ZZ", "LS1 4AB"};
    const char *local[] = {"NICHE-L", "NICHE-K"};
    const char *is[] = {"the child", "parent"};
    for (int i = 0; i < 2; i++) {
        for (int round = 0; round < 2; round++) {
            char ref[32];
            snprintf(ref, sizeof(ref), "POL-%d-%d", i, round);
            cl_request *q = th_referral(ref, given[i], "Brown", dob[i], NULL);
            CL_COPY(q->u.publish.subject.local_id, local[i]);
            CL_COPY(q->u.publish.subject.postcode, pc[i]);
            assert_int_equal(s_call(police, q, &rep), CL_STATUS_OK);
            free(q);
            assert_int_equal(rep.u.publish.flag.n, round);
            if (round)
                assert_string_equal(rep.u.publish.flag.v[0].person_is, is[i]);
            cl_reply_clear(&rep);
            assert_int_equal(
                s_check(police, CL_FLAG_BY_LOCAL_ID, local[i], &f, NULL),
                CL_OK);
            assert_int_equal(f.n, round);
            if (round)
                continue;
            /* children's services' own record of the same person, with
             * the postcode, after the police's */
            snprintf(ref, sizeof(ref), "CSC-%d", i);
            q = th_referral(ref, given[i], "Brown", dob[i], nhs[i]);
            CL_COPY(q->u.publish.subject.postcode, pc[i]);
            (void)s_publish_flags(ch, q);
        }
    }
    cl_client_close(&ch);
    cl_client_close(&police);
}

/* Each check is audited naming the adult and the child; the auditor lists
 * flag disclosures by agency and date. */
static void test_audited_and_listed(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *police = th_client(d, "police"),
              *gp = th_client(d, "gp"), *au = th_client(d, "auditor");
    cl_flag_result f;
    cl_reply rep;
    cl_request *q = calloc(1, sizeof(*q));
    s_plan(ch, "CP-1", NULL);
    assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_MUM, &f, NULL), CL_OK);
    assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_CARER, &f, NULL), CL_OK);
    assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_OTHER, &f, NULL), CL_OK);

    /* the mother's audit names the check, her and the child */
    q->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(q->u.person_ref.match.nhs, NHS_MUM);
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    int found = 0;
    for (size_t i = 0; i < rep.u.entries.n; i++) {
        const cl_audit_entry *e = &rep.u.entries.v[i];
        if (strcmp(e->kind, "flag_check") != 0)
            continue;
        found++;
        assert_string_equal(e->agency, "Northshire Police");
        assert_int_equal(e->n_persons, 2);
        assert_non_null(strstr(e->purpose, "front-line flag shown"));
    }
    assert_int_equal(found, 1);
    cl_reply_clear(&rep);
    /* and the child's audit shows both disclosures of her plan */
    CL_COPY(q->u.person_ref.match.nhs, NHS_CHILD);
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    found = 0;
    for (size_t i = 0; i < rep.u.entries.n; i++)
        found += !strcmp(rep.u.entries.v[i].kind, "flag_check");
    assert_int_equal(found, 2);
    cl_reply_clear(&rep);

    /* the auditor's list: by agency, by date */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_FLAG_DISCLOSURES;
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.flag_log.n, 2); /* "no flag" is not a disclosure */
    cl_reply_clear(&rep);
    CL_COPY(q->u.flag_log.agency, "Oakfield Surgery");
    s_date_offset(q->u.flag_log.from, 0);
    s_date_offset(q->u.flag_log.to, 0);
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.flag_log.n, 1);
    const cl_flag_disclosure *x = &rep.u.flag_log.v[0];
    assert_string_equal(x->agency, "Oakfield Surgery");
    assert_string_equal(x->client, "gp");
    assert_string_equal(x->user_id, "apatel");
    assert_string_equal(x->user_name, "Dr Anita Patel");
    assert_string_equal(x->context, "flag_check");
    assert_string_equal(x->authority, CHILDRENS);
    assert_string_equal(x->plan_id, "PLAN-00000001");
    assert_true(x->person_pid[0] == 'P' && x->child_pid[0] == 'P');
    cl_reply_clear(&rep);
    s_date_offset(q->u.flag_log.from, -30);
    s_date_offset(q->u.flag_log.to, -1);
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.flag_log.n, 0);
    cl_reply_clear(&rep);
    /* bad dates; not for publishers */
    CL_COPY(q->u.flag_log.from, "yesterday");
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&ch);
    cl_client_close(&police);
    cl_client_close(&gp);
    cl_client_close(&au);
}

/* A publisher flooding checks is refused BUSY past the configured rate,
 * and the operator sees it in admin stats. */
static void test_rate_limited(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[flag]\nrate_per_minute = 3\n");
    cl_client *police = th_client(&d, "police"), *gp = th_client(&d, "gp"),
              *op = th_client(&d, "operator");
    cl_flag_result f;
    char err[CL_ERROR_SZ];
    for (int i = 0; i < 3; i++)
        assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_OTHER, &f, err),
                         CL_OK);
    assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_OTHER, &f, err),
                     CL_ERR_BUSY);
    assert_non_null(strstr(err, "rate_per_minute"));
    assert_int_equal(s_check(police, CL_FLAG_BY_NHS, NHS_MUM, &f, err),
                     CL_ERR_BUSY);
    /* nor is a flood of publishes a way round the limit: the referral
     * about a flagged mother is stored, its reply carries no flag */
    cl_client *ch = th_client(&d, "childrens");
    cl_reply rep;
    s_plan(ch, "CP-R", NULL);
    cl_client_close(&ch);
    s_referral(police, "POL-R1", NHS_MUM, &rep);
    assert_true(rep.u.publish.reference[0]);
    assert_int_equal(rep.u.publish.flag.n, 0);
    cl_reply_clear(&rep);
    /* another client is not held up */
    assert_int_equal(s_check(gp, CL_FLAG_BY_NHS, NHS_OTHER, &f, err), CL_OK);
    s_referral(gp, "GP-R1", NHS_MUM, &rep);
    assert_int_equal(rep.u.publish.flag.n, 1);
    cl_reply_clear(&rep);
    cl_request q;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_ADMIN_STATS;
    assert_int_equal(cl_client_call(op, &q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.stats.n_rate_limited, 1);
    assert_string_equal(rep.u.stats.rate_limited[0].client, "police");
    assert_string_equal(rep.u.stats.rate_limited[0].kind, "flag_check");
    assert_int_equal(rep.u.stats.rate_limited[0].refused, 3);
    cl_reply_clear(&rep);
    cl_client_close(&police);
    cl_client_close(&gp);
    cl_client_close(&op);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf '%s'", d.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flag_parent_carer_household_unborn,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_no_flag_is_the_same_bytes,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_authority_told_and_coalesced,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_notices_coalesced_by_system,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_coalesce_window_configured),
        cmocka_unit_test_setup_teardown(test_ended_withdrawn_corrected,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_refusals, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_local_id_and_crafted_links,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_bait_by_demographics,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_corroborated_after_records_arrive,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_audited_and_listed,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_rate_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
