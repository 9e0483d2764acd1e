/*
 * test_audit: access rules, the tamper-evident audit log, rectification,
 * subject access and retention, on the real daemon and its real LMDB file.
 * Tampering is done behind the daemon's back, both by flipping bytes (no
 * key) and by re-sealing edited entries with the master key.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sodium.h>

#include "codec.h"
#include "harness.h"
#include "store.h"

static const char *NHS = "9434765919";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

/* Publish, view twice (break-glass), and one denied attempt: 4 entries. */
static void s_activity(th_daemon *d)
{
    cl_client *gp = th_client(d, "gp");
    cl_reply rep;
    assert_int_equal(th_publish_and_view(d, "GP-A1", NHS, 2), CL_STATUS_OK);
    assert_int_equal(th_view_nhs(gp, NHS, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
}

static cl_audit_verify_result s_verify(th_daemon *d, const char *cp)
{
    int st;
    cl_audit_verify_result v = th_audit_verify(d, cp, &st);
    assert_int_equal(st, CL_STATUS_OK);
    return v;
}

static void s_checkpoint(th_daemon *d, char out[CL_CHECKPOINT_SZ])
{
    cl_client *au = th_client(d, "auditor");
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_AUDIT_CHECKPOINT;
    assert_int_equal(s_call(au, &req, &rep), CL_STATUS_OK);
    strcpy(out, rep.u.checkpoint);
    cl_reply_clear(&rep);
    cl_client_close(&au);
}

static void test_entries_and_break_glass(void **state)
{
    th_daemon *d = *state;
    s_activity(d);
    cl_client *au = th_client(d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    /* publish and two views name the person; the denied try names no one */
    assert_int_equal(rep.u.entries.n, 3);
    assert_string_equal(rep.u.entries.v[0].kind, "publish_referral");
    assert_string_equal(rep.u.entries.v[0].client, "gp");
    assert_string_equal(rep.u.entries.v[1].kind, "get_person");
    assert_true(rep.u.entries.v[1].break_glass);
    assert_string_equal(rep.u.entries.v[1].purpose,
                        "mdt_preparation: test: checking the case");
    cl_reply_clear(&rep);
    /* a review purpose for a review the person is not on: refused, and
     * audited */
    cl_client *co = th_client(d, "coordinator");
    req->kind = CL_REQ_GET_PERSON;
    memset(&req->u, 0, sizeof(req->u));
    CL_COPY(req->u.get_person.match.nhs, NHS);
    CL_COPY(req->u.get_person.review_id, "MDT-00000099");
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    /* only auditors may search the audit */
    req->kind = CL_REQ_AUDIT_SEARCH;
    memset(&req->u, 0, sizeof(req->u));
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    /* the auditor's own first search is audited too */
    assert_int_equal(rep.u.entries.n, 5);
    assert_string_equal(rep.u.entries.v[3].kind, "audit_search");
    assert_string_equal(rep.u.entries.v[3].client, "auditor");
    assert_string_equal(rep.u.entries.v[4].purpose, "review MDT-00000099");
    assert_false(rep.u.entries.v[4].break_glass);
    assert_int_equal(rep.u.entries.v[4].outcome, CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_client_close(&au);
    free(req);
    cl_audit_verify_result v = s_verify(d, NULL);
    assert_true(v.intact);
    if (v.entries < 8)
        fail_msg("only %llu entries", (unsigned long long)v.entries);
}

/* Open the stopped daemon's store with its master key. */
static cl_store *s_open_store(th_daemon *d)
{
    char path[300], err[256], state[300];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    snprintf(path, sizeof(path), "%s/master.key", d->dir);
    snprintf(state, sizeof(state), "%s/state", d->dir);
    assert_int_equal(cl_store_key_load(mk, path, err, sizeof(err)), CL_OK);
    assert_int_equal(cl_store_open(&s, state, mk, 64u << 20), CL_OK);
    sodium_memzero(mk, sizeof(mk));
    return s;
}

static void s_flip_raw(th_daemon *d, uint64_t seq)
{
    char state[300];
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t k[8];
    cl_be64_put(k, seq);
    MDB_val key = {8, k}, v;
    snprintf(state, sizeof(state), "%s/state", d->dir);
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    assert_int_equal(mdb_env_open(env, state, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "audit", 0, &dbi), 0);
    assert_int_equal(mdb_get(txn, dbi, &key, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[v.mv_size / 2] ^= 0x20;
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_put(txn, dbi, &key, &nv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(copy);
}

/* A case opened for a review the person is on is not break-glass. */
static void test_review_purpose(void **state)
{
    th_daemon *d = *state;
    s_activity(d);
    cl_client *co = th_client(d, "coordinator");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    char mdt[CL_REF_SZ];
    req->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(req->u.review_new.date, "2026-12-01");
    CL_COPY(req->u.review_new.title, "Extended MDT, North locality");
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    strcpy(mdt, rep.u.publish.reference);
    cl_reply_clear(&rep);
    /* not on the agenda yet: refused */
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.match.nhs, NHS);
    CL_COPY(req->u.get_person.review_id, mdt);
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_NOT_FOUND);
    assert_non_null(strstr(rep.error, "not on the agenda"));
    cl_reply_clear(&rep);
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(req->u.agenda.review_id, mdt);
    CL_COPY(req->u.agenda.who.match.nhs, NHS);
    req->u.agenda.reason = 1;
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.match.nhs, NHS);
    CL_COPY(req->u.get_person.review_id, mdt);
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_client *au = th_client(d, "auditor");
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    const cl_audit_entry *last = &rep.u.entries.v[rep.u.entries.n - 1];
    assert_string_equal(last->kind, "get_person");
    assert_false(last->break_glass);
    assert_int_equal(last->outcome, CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&au);
    free(req);
}

static void test_tamper_without_key(void **state)
{
    th_daemon *d = *state;
    s_activity(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    s_flip_raw(d, 2);
    th_start(d, NULL);
    cl_audit_verify_result v = s_verify(d, NULL);
    assert_false(v.intact);
    assert_int_equal(v.first_bad_seq, 2);
    assert_non_null(strstr(v.problem, "altered"));
}

/* Someone with the master key edits entry 2 and re-seals it. */
static void test_tamper_with_key_and_checkpoint(void **state)
{
    th_daemon *d = *state;
    char cp[CL_CHECKPOINT_SZ];
    s_activity(d);
    s_checkpoint(d, cp);
    assert_true(s_verify(d, cp).intact);
    assert_true(s_verify(d, cp).checkpoint_ok);
    /* a forged checkpoint (seq changed) fails its signature */
    char forged[CL_CHECKPOINT_SZ];
    strcpy(forged, cp);
    char *seq = strstr(forged, "seq: ");
    seq[5] = seq[5] == '9' ? '8' : (char)(seq[5] + 1);
    cl_client *au = th_client(d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_AUDIT_VERIFY;
    CL_COPY(req->u.checkpoint, forged);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "signature"));
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);

    assert_int_equal(th_stop(d, SIGTERM), 0);
    cl_store *s = s_open_store(d);
    cl_txn *t = NULL;
    uint8_t k[8], buf[4096];
    size_t len;
    cl_be64_put(k, 2);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_AUDIT, k, 8, buf, sizeof(buf), &len),
                     CL_OK);
    buf[len - 3] ^= 0x01; /* edit the plaintext, then re-seal properly */
    assert_int_equal(cl_store_put(t, CL_DB_AUDIT, k, 8, buf, len), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    th_start(d, NULL);
    cl_audit_verify_result v = s_verify(d, NULL);
    assert_false(v.intact);
    assert_int_equal(v.first_bad_seq, 3); /* 3 no longer follows 2 */
    v = s_verify(d, cp);
    assert_false(v.intact);
    assert_false(v.checkpoint_ok);
}

static void test_removed_and_reordered(void **state)
{
    th_daemon *d = *state;
    s_activity(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    cl_store *s = s_open_store(d);
    cl_txn *t = NULL;
    uint8_t k2[8], k3[8], b2[4096], b3[4096];
    size_t l2, l3;
    cl_be64_put(k2, 2);
    cl_be64_put(k3, 3);
    /* swap entries 2 and 3, re-sealed under each other's keys */
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_AUDIT, k2, 8, b2, sizeof(b2), &l2),
                     CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_AUDIT, k3, 8, b3, sizeof(b3), &l3),
                     CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_AUDIT, k2, 8, b3, l3), CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_AUDIT, k3, 8, b2, l2), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    th_start(d, NULL);
    cl_audit_verify_result v = s_verify(d, NULL);
    assert_false(v.intact);
    assert_int_equal(v.first_bad_seq, 2);
    assert_non_null(strstr(v.problem, "reordered"));

    assert_int_equal(th_stop(d, SIGTERM), 0);
    s = s_open_store(d);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_del(t, CL_DB_AUDIT, k2, 8), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    th_start(d, NULL);
    v = s_verify(d, NULL);
    assert_false(v.intact);
    assert_int_equal(v.first_bad_seq, 2);
    assert_non_null(strstr(v.problem, "missing"));
}

static void test_rectify_and_subject_access(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police"),
              *co = th_client(d, "coordinator"), *au = th_client(d, "auditor");
    cl_request *q = th_referral("GP-R1", "Jane", "Smith", "1985-04-12", NHS);
    cl_request *r = calloc(1, sizeof(*r));
    cl_reply rep;
    char ref1[CL_REF_SZ], ref2[CL_REF_SZ];
    assert_int_equal(th_publish(gp, q, ref1), CL_STATUS_OK);
    memset(q->msgid, 0, CL_MSGID_LEN);
    CL_COPY(q->u.publish.agency_ref, "GP-R2");
    assert_int_equal(th_publish(gp, q, ref2), CL_STATUS_OK);

    /* correct ref1: new category; history keeps the old one */
    r->kind = CL_REQ_CORRECT_REFERRAL;
    CL_COPY(r->u.rectify.reference, ref1);
    CL_COPY(r->u.rectify.reason, "category was wrong");
    r->u.rectify.referral = q->u.publish;
    r->u.rectify.referral.category = 6;
    /* q's agency reference is now ref2's: renaming ref1 to it is refused */
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "already names another"));
    cl_reply_clear(&rep);
    r->u.rectify.referral.agency_ref[0] = '\0'; /* a patch: keep ref1's */
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    /* no reason: refused */
    r->u.rectify.reason[0] = '\0';
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    /* another agency cannot see or change it */
    r->kind = CL_REQ_WITHDRAW_REFERRAL;
    CL_COPY(r->u.rectify.reference, ref2);
    CL_COPY(r->u.rectify.reason, "sent in error");
    assert_int_equal(s_call(police, r, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(gp, r, &rep), CL_STATUS_INVALID); /* again */
    cl_reply_clear(&rep);

    /* the coordinator sees the corrected one only */
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_referrals, 1);
    assert_string_equal(rep.u.person.referrals[0].reference, ref1);
    assert_int_equal(rep.u.person.referrals[0].category, 6);
    assert_int_equal(rep.u.person.referrals[0].version, 2);
    cl_reply_clear(&rep);

    /* the auditor's export holds both, the history and the audit */
    r->kind = CL_REQ_SUBJECT_ACCESS;
    memset(&r->u, 0, sizeof(r->u));
    CL_COPY(r->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(co, r, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(au, r, &rep), CL_STATUS_OK);
    cl_subject_access *sa = &rep.u.subject;
    assert_int_equal(sa->person.n_referrals, 2);
    assert_int_equal(sa->n_history, 2);
    bool corrected = false, withdrawn = false;
    for (size_t i = 0; i < sa->n_history; i++) {
        corrected |= !strcmp(sa->history[i].change, "corrected") &&
                     sa->history[i].referral.category == 4;
        withdrawn |= !strcmp(sa->history[i].change, "withdrawn") &&
                     !strcmp(sa->history[i].reason, "sent in error");
    }
    assert_true(corrected && withdrawn);
    assert_true(sa->audit.n >= 5);
    cl_reply_clear(&rep);
    free(q);
    free(r);
    cl_client_close(&gp);
    cl_client_close(&police);
    cl_client_close(&co);
    cl_client_close(&au);
}

static size_t s_entries(MDB_txn *txn, const char *name)
{
    MDB_dbi dbi;
    MDB_stat st;
    if (mdb_dbi_open(txn, name, 0, &dbi) != 0)
        return 0;
    mdb_stat(txn, dbi, &st);
    return st.ms_entries;
}

static void test_retention_leaves_no_trace(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[retention]\ninactive_days = 0.00001\n"
                 "check_interval_s = 1\n");
    cl_client *gp = th_client(&d, "gp");
    cl_request *q = th_referral("GP-T1", "Jane", "Smith", "1985-04-12", NHS);
    q->u.publish.n_related = 1;
    q->u.publish.related[0].rel = 2;
    CL_COPY(q->u.publish.related[0].person.given, "Amy");
    CL_COPY(q->u.publish.related[0].person.family, "Smith");
    CL_COPY(q->u.publish.related[0].person.dob, "2015-06-01");
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    cl_client_close(&gp);
    free(q);
    /* and a plan on the child, ended years ago: it keeps nobody (a plan
     * in force keeps the family: test_dp) */
    cl_client *cs = th_client(&d, "childrens");
    cl_request *pr = calloc(1, sizeof(*pr));
    pr->kind = CL_REQ_PUBLISH_PLAN;
    CL_COPY(pr->u.plan.agency_ref, "CP-T1");
    pr->u.plan.type = CL_PLAN_CPP;
    pr->u.plan.category = 1;
    pr->u.plan.basis = 1;
    CL_COPY(pr->u.plan.start, "2019-01-01");
    CL_COPY(pr->u.plan.end, "2020-01-01");
    CL_COPY(pr->u.plan.authority, "Northshire Children's Services");
    CL_COPY(pr->u.plan.child.given, "Amy");
    CL_COPY(pr->u.plan.child.family, "Smith");
    CL_COPY(pr->u.plan.child.dob, "2015-06-01");
    cl_reply prep;
    assert_int_equal(cl_client_call(cs, pr, &prep), CL_OK);
    assert_int_equal(prep.status, CL_STATUS_OK);
    cl_reply_clear(&prep);
    free(pr);
    cl_client_close(&cs);
    for (int i = 0; i < 50 && !th_file_contains(d.log, "retention: removed");
         i++)
        usleep(100000);
    assert_true(th_file_contains(d.log, "retention: removed 2 people"));
    assert_int_equal(th_stop(&d, SIGTERM), 0);

    char state_dir[300];
    MDB_env *env;
    MDB_txn *txn;
    snprintf(state_dir, sizeof(state_dir), "%s/state", d.dir);
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    assert_int_equal(mdb_env_open(env, state_dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    const char *gone[] = {"person",   "record",         "referral",
                          "blind",    "person_records", "record_referrals",
                          "relation", "history",        "activity"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        if (s_entries(txn, gone[i]) != 0)
            fail_msg("sub-database %s still holds data", gone[i]);
    }
    /* the audit keeps the publish, the plan and one purge per person */
    assert_int_equal(s_entries(txn, "audit"), 4);
    mdb_txn_abort(txn);
    mdb_env_close(env);

    th_start(&d, NULL);
    cl_audit_verify_result v = s_verify(&d, NULL);
    assert_true(v.intact);
    cl_client *au = th_client(&d, "auditor");
    cl_request *r = calloc(1, sizeof(*r));
    cl_reply rep;
    r->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(r->u.person_ref.person_id, "P00000001");
    /* the person is gone: found by nobody, not even the auditor */
    assert_int_equal(s_call(au, r, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    free(r);
    cl_client_close(&au);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entries_and_break_glass,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_review_purpose, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_tamper_without_key,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_tamper_with_key_and_checkpoint,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_removed_and_reordered,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_rectify_and_subject_access,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_retention_leaves_no_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
