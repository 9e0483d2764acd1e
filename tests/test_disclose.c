/*
 * test_disclose: every person whose personal data leaves the daemon in a
 * reply is named in the audit. Each test makes the real daemon disclose
 * people (subject access, case finding past 20 people, the links export,
 * a review pack) and then asks, as the auditor, an audit search on each
 * disclosed person: the access must be there. (Case views:
 * test_security test_case_view_names_related.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

static const char *NHS = "9434765919";
static const char *NHS_KID = "4010232137";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

/* The police refer a mother; her child is only mentioned (no referral). */
static void s_mother_and_child(th_daemon *d)
{
    assert_int_equal(th_mother_and_child(d, "POL-D1", NHS, NHS_KID),
                     CL_STATUS_OK);
}

/* How many entries of kind an audit search on a person finds (by person
 * id, or by NHS number when pid is NULL). */
static size_t s_audited(th_daemon *d, const char *pid, const char *nhs,
                        const char *kind)
{
    cl_client *au = th_client(d, "auditor");
    long n = th_audited(au, pid, nhs, kind);
    cl_client_close(&au);
    assert_true(n >= 0);
    return (size_t)n;
}

/* Each of the n people in pids, listed by a request of kind, is found by
 * exactly one audit entry of that kind on them. */
static void s_each_audited(th_daemon *d, char (*pids)[CL_PID_SZ], size_t n,
                           const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (s_audited(d, pids[i], NULL, kind) != 1)
            fail_msg("%s listed %s (%zu of %zu) but an audit search on "
                     "them does not find it",
                     kind, pids[i], i + 1, n);
}

/* Subject access on the mother discloses her child (related people, with
 * names and date of birth): an audit search on the child finds it. */
static void test_subject_access_names_related(void **state)
{
    th_daemon *d = *state;
    cl_client *au = th_client(d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    s_mother_and_child(d);
    req->kind = CL_REQ_SUBJECT_ACCESS;
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_true(rep.u.subject.person.n_related >= 1);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);
    assert_int_equal(s_audited(d, NULL, NHS, "subject_access"), 1);
    assert_int_equal(s_audited(d, NULL, NHS_KID, "subject_access"), 1);
}

/* A family name, given name and date of birth for person i of 25, none
 * alike enough to be linked. */
static const char *const s_families[] = {
    "Adams",   "Baker", "Clarke", "Davies",   "Evans", "Fisher", "Green",
    "Hughes",  "Irwin", "Jones",  "Kaur",     "Lewis", "Morris", "Nolan",
    "Owen",    "Price", "Quinn",  "Reed",     "Shaw",  "Turner", "Upton",
    "Vaughan", "Walsh", "Yates",  "Zielinski"};
static const char *const s_givens[] = {
    "Alice", "Bruno", "Chloe", "Dmitri", "Esme",   "Farid",  "Gwen",
    "Hamza", "Ines",  "Jonah", "Keira",  "Lorcan", "Maya",   "Nikhil",
    "Olga",  "Piotr", "Qadir", "Rosa",   "Sven",   "Tamsin", "Umar",
    "Vera",  "Wyatt", "Xenia", "Yusuf"};
#define S_MANY (sizeof(s_families) / sizeof(s_families[0]))

/* S_MANY people, one GP referral each (no NHS number). */
static void s_many(th_daemon *d)
{
    cl_client *gp = th_client(d, "gp");
    for (size_t i = 0; i < S_MANY; i++) {
        char ref[16], dob[16];
        snprintf(ref, sizeof(ref), "GP-M%02zu", i);
        snprintf(dob, sizeof(dob), "19%02zu-%02zu-%02zu", 40 + i, 1 + i % 12,
                 1 + i);
        cl_request *q = th_referral(ref, s_givens[i], s_families[i], dob, NULL);
        assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
        free(q);
    }
    cl_client_close(&gp);
}

/* case_finding named 20 of the 41 people it returned: every person it
 * returns is found by an audit search on them. */
static void test_case_finding_names_everyone(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    s_many(d);
    req->kind = CL_REQ_CASE_FINDING;
    CL_COPY(req->u.finding.agency, "Oakfield Surgery");
    req->u.finding.min_contacts = 1;
    req->u.finding.access_reason = 3;
    CL_COPY(req->u.finding.justification, "test: the partnership's review");
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.finding.n_users, S_MANY);
    char pids[S_MANY][CL_PID_SZ];
    for (size_t i = 0; i < S_MANY; i++)
        CL_COPY(pids[i], rep.u.finding.users[i].person_id);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&co);
    s_each_audited(d, pids, S_MANY, "case_finding");
}

/* links_export named nobody: every person whose record it lists is found
 * by an audit search on them. */
static void test_links_export_names_everyone(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    s_many(d);
    req->kind = CL_REQ_LINKS_EXPORT;
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.links.n, S_MANY);
    char pids[S_MANY][CL_PID_SZ];
    for (size_t i = 0; i < S_MANY; i++)
        CL_COPY(pids[i], rep.u.links.v[i].person_id);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&co);
    s_each_audited(d, pids, S_MANY, "links_export");
}

/* A links export's page is at most CL_LINKS_PAGE_MAX records: a limit
 * over it is refused, naming the field and how to page, where it was
 * quietly taken for the default; 0 is the default. */
static void test_links_export_limit(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    s_many(d);
    static const struct {
        uint32_t limit;
        int status;
    } v[] = {{0, CL_STATUS_OK},
             {CL_LINKS_PAGE_MAX, CL_STATUS_OK},
             {CL_LINKS_PAGE_MAX + 1, CL_STATUS_INVALID},
             {UINT32_MAX, CL_STATUS_INVALID}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        memset(req, 0, sizeof(*req));
        req->kind = CL_REQ_LINKS_EXPORT;
        req->u.links.limit = v[i].limit;
        assert_int_equal(s_call(co, req, &rep), v[i].status);
        if (v[i].status == CL_STATUS_OK)
            assert_int_equal(rep.u.links.n, S_MANY);
        else
            assert_non_null(strstr(rep.error, "links_export.limit: at most "
                                              "20000 records a page"));
        cl_reply_clear(&rep);
    }
    memset(req, 0, sizeof(*req));
    req->kind = CL_REQ_LINKS_EXPORT;
    CL_COPY(req->u.links.after, "X12");
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "links_export.after_record_id: must look "
                                      "like R00000042"));
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&co);
}

/* A review of the coordinator's own, with the mother on its agenda (her
 * referral behind her). */
static void s_review(cl_client *co, char mdt[CL_REF_SZ])
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(req->u.review_new.date, "2026-12-01");
    CL_COPY(req->u.review_new.title, "The family's review");
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    cl_copy(mdt, CL_REF_SZ, rep.u.publish.reference);
    cl_reply_clear(&rep);
    free(req);
}

static void s_agenda(cl_client *co, const char *mdt)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(req->u.agenda.review_id, mdt);
    CL_COPY(req->u.agenda.who.match.nhs, NHS);
    req->u.agenda.reason = 1;
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(req);
}

/* A review pack shows each agenda person's case, with the child on it:
 * an audit search on the child finds the pack. */
static void test_review_pack_names_case_people(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    char mdt[CL_REF_SZ];
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    s_mother_and_child(d);
    s_review(co, mdt);
    s_agenda(co, mdt);
    req->kind = CL_REQ_REVIEW_PACK;
    CL_COPY(req->u.pack_review, mdt);
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.pack.n, 1);
    assert_true(rep.u.pack.v[0].person.n_related >= 1);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&co);
    assert_int_equal(s_audited(d, NULL, NHS, "review_pack"), 1);
    assert_int_equal(s_audited(d, NULL, NHS_KID, "review_pack"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subject_access_names_related,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_case_finding_names_everyone,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_links_export_names_everyone,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_links_export_limit,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_review_pack_names_case_people,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
