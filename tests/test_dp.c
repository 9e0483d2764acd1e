/*
 * test_dp: data-protection duties on the real daemon and its real LMDB
 * file: subject access whatever happened to a referral (status changes,
 * corrections, withdrawals), rectification as a patch naming the referral
 * by the agency's own reference or caselink's id, and the blind index of
 * agency references.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "harness.h"
#include "refindex.h"
#include "store.h"

static const char *NHS = "9434765919";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    randombytes_buf(req->msgid, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

static int s_status(cl_client *co, const char *ref, uint8_t status,
                    const char *reason, uint8_t outcome)
{
    cl_request *r = calloc(1, sizeof(*r));
    cl_reply rep;
    r->kind = CL_REQ_SET_STATUS;
    CL_COPY(r->u.set_status.reference, ref);
    r->u.set_status.status = status;
    CL_COPY(r->u.set_status.reason, reason);
    r->u.set_status.outcome = outcome;
    int st = s_call(co, r, &rep);
    cl_reply_clear(&rep);
    free(r);
    return st;
}

/* The auditor's export of the person with NHS; caller clears rep. */
static int s_sar(th_daemon *d, cl_reply *rep)
{
    cl_client *au = th_client(d, "auditor");
    cl_request *r = calloc(1, sizeof(*r));
    r->kind = CL_REQ_SUBJECT_ACCESS;
    CL_COPY(r->u.person_ref.match.nhs, NHS);
    int st = s_call(au, r, rep);
    free(r);
    cl_client_close(&au);
    return st;
}

static const cl_referral_version *s_change(const cl_subject_access *sa,
                                           const char *ref, const char *change)
{
    for (size_t i = 0; i < sa->n_history; i++)
        if (!strcmp(sa->history[i].reference, ref) &&
            !strcmp(sa->history[i].change, change))
            return &sa->history[i];
    return NULL;
}

/* The report: after `referral status ... accepted` subject access
 * failed ("stored data failed authentication"). Every status a referral
 * can take, then the export. */
static void test_subject_access_after_status_changes(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    cl_request *q = th_referral("GP-S1", "Jane", "Smith", "1985-04-12", NHS);
    char r1[CL_REF_SZ], r2[CL_REF_SZ];
    assert_int_equal(th_publish(gp, q, r1), CL_STATUS_OK);
    randombytes_buf(q->msgid, CL_MSGID_LEN);
    CL_COPY(q->u.publish.agency_ref, "GP-S2");
    assert_int_equal(th_publish(gp, q, r2), CL_STATUS_OK);
    assert_int_equal(s_status(co, r1, CL_REFSTAT_ACCEPTED, "", 0),
                     CL_STATUS_OK);
    assert_int_equal(s_status(co, r1, CL_REFSTAT_CLOSED, "", 1), CL_STATUS_OK);
    assert_int_equal(s_status(co, r2, CL_REFSTAT_DECLINED,
                              "threshold not met for adult services", 0),
                     CL_STATUS_OK);

    cl_reply rep;
    assert_int_equal(s_sar(d, &rep), CL_STATUS_OK);
    const cl_subject_access *sa = &rep.u.subject;
    assert_int_equal(sa->person.n_referrals, 2);
    assert_int_equal(sa->n_history, 3);
    const cl_referral_version *acc = s_change(sa, r1, "status: accepted");
    const cl_referral_version *clo = s_change(sa, r1, "status: closed");
    const cl_referral_version *dec = s_change(sa, r2, "status: declined");
    if (!acc || !clo || !dec)
        fail_msg("a status change is missing from the history");
    assert_string_equal(dec->reason, "threshold not met for adult services");
    assert_non_null(strstr(acc->by, "coordinator"));
    assert_int_equal(acc->referral.status, CL_REFSTAT_RECEIVED);
    assert_int_equal(clo->referral.status, CL_REFSTAT_ACCEPTED);
    cl_reply_clear(&rep);
    /* nothing in the log suggests tampering */
    assert_false(th_file_contains(d->log, "failed authentication"));
    free(q);
    cl_client_close(&gp);
    cl_client_close(&co);
}

static void s_view(cl_client *co, cl_reply *rep)
{
    assert_int_equal(th_view_nhs(co, NHS, rep), CL_STATUS_OK);
    assert_int_equal(rep->u.person.n_referrals, 1);
}

/* The report: correcting only the category left risk
 * `unspecified` and dropped the concern and the referrer. A correction
 * is a patch; the referral is named by the agency's own reference too. */
static void test_correct_is_a_patch(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police"),
              *co = th_client(d, "coordinator");
    cl_request *q = th_referral("GP-P1", "Jane", "Smith", "1985-04-12", NHS);
    CL_COPY(q->u.publish.referrer_name, "Dr A Patel");
    CL_COPY(q->u.publish.referrer_role, "GP");
    CL_COPY(q->u.publish.subject.postcode, "LS1 4AB");
    q->u.publish.risk = 3;
    char ref[CL_REF_SZ];
    assert_int_equal(th_publish(gp, q, ref), CL_STATUS_OK);

    cl_request *r = calloc(1, sizeof(*r));
    cl_reply rep;
    r->kind = CL_REQ_CORRECT_REFERRAL;
    CL_COPY(r->u.rectify.reference, "GP-P1"); /* the agency's own */
    CL_COPY(r->u.rectify.reason, "category was wrong");
    r->u.rectify.referral.category = 6;
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_OK);
    assert_string_equal(rep.u.publish.reference, ref);
    cl_reply_clear(&rep);

    s_view(co, &rep);
    const cl_referral_view *v = &rep.u.person.referrals[0];
    assert_int_equal(v->category, 6);
    assert_int_equal(v->risk, 3);
    assert_string_equal(v->concern, "Concern raised in a test");
    assert_string_equal(v->referrer_name, "Dr A Patel");
    assert_string_equal(v->referrer_role, "GP");
    assert_int_equal(v->basis, 1);
    assert_int_equal(v->version, 2);
    assert_string_equal(rep.u.person.records[0].person.given, "Jane");
    cl_reply_clear(&rep);

    /* the subject's postcode alone, by caselink's id */
    memset(&r->u.rectify.referral, 0, sizeof(r->u.rectify.referral));
    CL_COPY(r->u.rectify.reference, ref);
    CL_COPY(r->u.rectify.reason, "moved");
    CL_COPY(r->u.rectify.referral.subject.postcode, "ls2 7xx");
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    s_view(co, &rep);
    assert_int_equal(rep.u.person.n_records, 1);
    assert_string_equal(rep.u.person.records[0].person.postcode, "LS2 7XX");
    assert_string_equal(rep.u.person.records[0].person.family, "Smith");
    assert_string_equal(rep.u.person.records[0].person.nhs, NHS);
    assert_int_equal(rep.u.person.referrals[0].category, 6);
    cl_reply_clear(&rep);

    /* nothing given: refused, and nothing changes */
    memset(&r->u.rectify.referral, 0, sizeof(r->u.rectify.referral));
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "at least one field"));
    cl_reply_clear(&rep);
    /* a patch that would make the referral invalid: refused whole */
    r->u.rectify.referral.consent = 3; /* refused, without a note */
    r->u.rectify.referral.risk = 1;
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "consent_note"));
    cl_reply_clear(&rep);
    s_view(co, &rep);
    assert_int_equal(rep.u.person.referrals[0].risk, 3);
    assert_int_equal(rep.u.person.referrals[0].version, 3);
    cl_reply_clear(&rep);

    /* another agency naming the GP's own reference, or its id: not found,
     * in the same words as a reference nobody used */
    memset(&r->u.rectify.referral, 0, sizeof(r->u.rectify.referral));
    r->u.rectify.referral.risk = 1;
    CL_COPY(r->u.rectify.reference, "GP-P1");
    assert_int_equal(s_call(police, r, &rep), CL_STATUS_NOT_FOUND);
    char other[CL_ERROR_SZ];
    CL_COPY(other, rep.error);
    cl_reply_clear(&rep);
    CL_COPY(r->u.rectify.reference, "GP-NEVER");
    assert_int_equal(s_call(police, r, &rep), CL_STATUS_NOT_FOUND);
    assert_non_null(strstr(other, "from your agency"));
    assert_non_null(strstr(rep.error, "from your agency"));
    cl_reply_clear(&rep);
    CL_COPY(r->u.rectify.reference, ref);
    r->kind = CL_REQ_WITHDRAW_REFERRAL;
    assert_int_equal(s_call(police, r, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    /* no reference at all */
    r->u.rectify.reference[0] = '\0';
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "reference is required"));
    cl_reply_clear(&rep);

    /* withdrawn by the agency's own reference */
    CL_COPY(r->u.rectify.reference, "GP-P1");
    CL_COPY(r->u.rectify.reason, "sent in error");
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);

    /* every earlier version kept, with who, when and why */
    assert_int_equal(s_sar(d, &rep), CL_STATUS_OK);
    const cl_subject_access *sa = &rep.u.subject;
    assert_int_equal(sa->n_history, 3);
    const cl_referral_version *c1 = s_change(sa, ref, "corrected");
    const cl_referral_version *w = s_change(sa, ref, "withdrawn");
    if (!c1 || !w)
        fail_msg("a correction or the withdrawal is missing");
    assert_int_equal(c1->version, 1);
    assert_int_equal(c1->referral.category, 4);
    assert_string_equal(c1->reason, "category was wrong");
    assert_string_equal(c1->by, "gp (Oakfield Surgery)");
    assert_true(c1->replaced_at > 0);
    assert_string_equal(w->reason, "sent in error");
    assert_int_equal(w->referral.category, 6);
    cl_reply_clear(&rep);

    /* the agency reference is no plaintext in the file */
    char path[400];
    snprintf(path, sizeof(path), "%s/state/data.mdb", d->dir);
    assert_false(th_file_contains(path, "GP-P1"));
    free(q);
    free(r);
    cl_client_close(&gp);
    cl_client_close(&police);
    cl_client_close(&co);
}

/* The index itself, through the function other code calls. */
static void test_refindex(void **state)
{
    (void)state;
    char dir[64];
    uint8_t master[CL_MASTER_KEY_LEN];
    cl_store *st = NULL;
    cl_txn *t = NULL;
    uint64_t id = 0;
    th_tmpdir(dir, sizeof(dir));
    randombytes_buf(master, sizeof(master));
    assert_int_equal(cl_store_open(&st, dir, master, 1 << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    assert_int_equal(cl_refindex_add(t, "Oakfield Surgery", "R-1", 7), CL_OK);
    assert_int_equal(cl_refindex_add(t, "Oakfield Surgery", "R-1", 8),
                     CL_ERR_EXISTS);
    assert_int_equal(cl_refindex_find(t, "Oakfield Surgery", "R-1", &id),
                     CL_OK);
    assert_int_equal(id, 7);
    /* the same reference at another agency is another referral */
    assert_int_equal(cl_refindex_find(t, "Northshire Police", "R-1", &id),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(cl_refindex_add(t, "Northshire Police", "R-1", 9), CL_OK);
    assert_int_equal(cl_refindex_find(t, "Northshire Police", "R-1", &id),
                     CL_OK);
    assert_int_equal(id, 9);
    /* empty names nothing */
    assert_int_equal(cl_refindex_find(t, "Oakfield Surgery", "", &id),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(cl_refindex_add(t, "", "R-1", 3), CL_ERR_INVALID);
    assert_int_equal(cl_refindex_remove(t, "Oakfield Surgery", "R-1"), CL_OK);
    assert_int_equal(cl_refindex_remove(t, "Oakfield Surgery", "R-1"), CL_OK);
    assert_int_equal(cl_refindex_find(t, "Oakfield Surgery", "R-1", &id),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&st);
    sodium_memzero(master, sizeof(master));
    assert_int_equal(th_sh("rm -rf %s", dir), 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_subject_access_after_status_changes, th_setup_daemon,
            th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_correct_is_a_patch,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_refindex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
