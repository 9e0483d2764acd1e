/*
 * test_security: attacks on the real daemon's boundaries, each performed
 * as an outsider would (a publisher's key, a coordinator's, whoever holds
 * the data file without the master key) and each asserting the safe
 * outcome. One test per finding; the README's threat model names them.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sodium.h>

#include "harness.h"

#ifndef CL_CASELINK_CLI
#error "CL_CASELINK_CLI must name the caselink binary"
#endif

static const char *NHS = "9434765919";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

/* A publish and a break-glass view of the same person. */
static void s_publish_and_view(th_daemon *d, const char *ref)
{
    assert_int_equal(th_publish_and_view(d, ref, NHS, 1), CL_STATUS_OK);
}

static cl_audit_verify_result s_verify(th_daemon *d, const char *cp)
{
    int st;
    cl_audit_verify_result v = th_audit_verify(d, cp, &st);
    assert_int_equal(st, CL_STATUS_OK);
    return v;
}

/* The stopped daemon's LMDB file opened without any key: what whoever
 * holds the data file can do. */
typedef struct s_raw {
    MDB_env *env;
    MDB_txn *txn;
} s_raw;

static MDB_dbi s_raw_open(s_raw *r, th_daemon *d, const char *db)
{
    char state[300];
    MDB_dbi dbi;
    snprintf(state, sizeof(state), "%s/state", d->dir);
    assert_int_equal(mdb_env_create(&r->env), 0);
    mdb_env_set_maxdbs(r->env, 64);
    assert_int_equal(mdb_env_open(r->env, state, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
    assert_int_equal(mdb_dbi_open(r->txn, db, 0, &dbi), 0);
    return dbi;
}

static void s_raw_close(s_raw *r)
{
    assert_int_equal(mdb_txn_commit(r->txn), 0);
    mdb_env_close(r->env);
}

/* Delete every row of db whose key starts with the first row's first
 * prefix bytes; returns how many. */
static size_t s_raw_delete_first_group(th_daemon *d, const char *db,
                                       size_t prefix)
{
    s_raw r;
    MDB_dbi dbi = s_raw_open(&r, d, db);
    MDB_cursor *cur;
    MDB_val k, v;
    uint8_t first[64];
    size_t n = 0;
    assert_int_equal(mdb_cursor_open(r.txn, dbi, &cur), 0);
    assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
    assert_true(k.mv_size >= prefix && prefix <= sizeof(first));
    memcpy(first, k.mv_data, prefix);
    int rc = 0;
    while (rc == 0 && k.mv_size >= prefix &&
           memcmp(k.mv_data, first, prefix) == 0) {
        assert_int_equal(mdb_cursor_del(cur, 0), 0);
        n++;
        rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
    }
    mdb_cursor_close(cur);
    s_raw_close(&r);
    return n;
}

/* --- audit integrity ------------------------------------------------------ */

/* Whoever holds the data file (no master key) deletes the audit index rows
 * of a person: the search finds nothing, and verification must say so. */
static void test_audit_index_rows_verified(void **state)
{
    th_daemon *d = *state;
    s_publish_and_view(d, "GP-S1");
    assert_true(s_verify(d, NULL).intact);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_true(s_raw_delete_first_group(d, "audit_person", 8) >= 2);
    th_start(d, NULL);
    cl_audit_verify_result v = s_verify(d, NULL);
    assert_false(v.intact);
    assert_non_null(strstr(v.problem, "index"));
}

/* The same for the index of entries by named user (audit search --user):
 * deleting a user's rows hides what that member of staff looked at. */
static void test_audit_user_index_rows_verified(void **state)
{
    th_daemon *d = *state;
    s_publish_and_view(d, "GP-S4"); /* the coordinator's view names a user */
    assert_true(s_verify(d, NULL).intact);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_true(s_raw_delete_first_group(d, "audit_user", 16) >= 1);
    th_start(d, NULL);
    cl_audit_verify_result v = s_verify(d, NULL);
    assert_false(v.intact);
    assert_non_null(strstr(v.problem, "user index has no row"));
    assert_true(v.first_bad_seq >= 1);
}

/* An audit search by named user (auditor): its status and how many
 * entries it found. */
static int s_user_search(th_daemon *d, const char *user_id, size_t *n)
{
    cl_client *au = th_client(d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.user_id, user_id);
    int st = s_call(au, req, &rep);
    *n = rep.u.entries.n;
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);
    return st;
}

/* The same deletion on the read path: `audit search --user` must report
 * it as tampering, never answer without the hidden entries. */
static void test_audit_user_rows_checked_on_read(void **state)
{
    th_daemon *d = *state;
    const char *who[] = {"gp", "coordinator", "auditor"}; /* every user */
    cl_user u[3];
    size_t before[3], after;
    s_publish_and_view(d, "GP-S6");
    for (int i = 0; i < 3; i++) {
        assert_true(th_user(d, who[i], &u[i]));
        assert_int_equal(s_user_search(d, u[i].id, &before[i]), CL_STATUS_OK);
        assert_true(before[i] >= 1);
    }
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_true(s_raw_delete_first_group(d, "audit_user", 16) >= 1);
    th_start(d, NULL);
    int refused = 0;
    for (int i = 0; i < 3; i++) {
        int st = s_user_search(d, u[i].id, &after);
        if (st == CL_STATUS_OK && after < before[i])
            fail_msg("audit search --user %s: %zu entries where %zu were "
                     "(rows deleted, not detected)",
                     who[i], after, before[i]);
        if (st != CL_STATUS_OK)
            assert_int_equal(st, CL_STATUS_INTERNAL);
        refused += st != CL_STATUS_OK;
    }
    assert_int_equal(refused, 1);
}

/* "P-1" parsed as a person id (strtoull forgives signs and spaces): ids
 * in requests take the one strict parser, so a sign, a space, trailing
 * bytes or a wrapped value are refused naming the field, and only the
 * exact form (leading zeros allowed) opens the case. */
static void test_person_id_strict(void **state)
{
    th_daemon *d = *state;
    s_publish_and_view(d, "GP-S5"); /* Jane is P00000001 */
    cl_client *co = th_client(d, "coordinator");
    const char *bad[] = {
        "P+1", "P-1", "P 1", "P1 ", "P01x", "P18446744073709551617", "p1", "P"};
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.justification, "test: checking the case");
    req->u.get_person.access_reason = 3;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CL_COPY(req->u.get_person.person_id, bad[i]);
        int st = s_call(co, req, &rep);
        if (st != CL_STATUS_INVALID || !strstr(rep.error, "person_id"))
            fail_msg("person_id '%s': status %d (%s)", bad[i], st, rep.error);
        cl_reply_clear(&rep);
    }
    const char *good[] = {"P00000001", "P1"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CL_COPY(req->u.get_person.person_id, good[i]);
        assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
        assert_string_equal(rep.u.person.person_id, "P00000001");
        cl_reply_clear(&rep);
    }
    free(req);
    cl_client_close(&co);
}

static int s_count(const char *path, const char *needle)
{
    FILE *f = fopen(path, "re");
    char line[512];
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Wait (up to 5 s) for the shipped file to hold n checkpoints. */
static void s_wait_shipped(const char *path, int n)
{
    for (int i = 0; i < 500 && s_count(path, "signature: ") < n; i++)
        usleep(10000);
    assert_int_equal(s_count(path, "signature: "), n);
}

/* A checkpoint at start and at clean stop, each shipped off the host by
 * the configured command as it is made; a rolled-back copy of the data
 * file is then caught by `caselink audit verify --checkpoint FILE`, which
 * compares against the newest shipped checkpoint. */
static void test_checkpoints_shipped_rollback_caught(void **state)
{
    (void)state;
    th_daemon d = {0};
    char conf[1024], shipped[300], out[300];
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(shipped, sizeof(shipped), "%s/witness.txt", d.dir);
    snprintf(out, sizeof(out), "%s/verify.out", d.dir);
    snprintf(conf, sizeof(conf), "[audit]\ncheckpoint_command = cat >> %s\n",
             shipped);
    th_start(&d, conf);
    s_wait_shipped(shipped, 1); /* at start */
    s_publish_and_view(&d, "GP-S2");
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    s_wait_shipped(shipped, 2); /* at clean stop */
    /* the operator's older copy of the data file */
    assert_int_equal(th_sh("cp %s/state/data.mdb %s/old.mdb", d.dir, d.dir), 0);
    th_start(&d, NULL);
    s_wait_shipped(shipped, 3);
    s_publish_and_view(&d, "GP-S3"); /* a break-glass view to hide */
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    s_wait_shipped(shipped, 4);
    /* roll back: the older file, sealed head and all */
    assert_int_equal(th_sh("cp %s/old.mdb %s/state/data.mdb && rm -f "
                           "%s/state/lock.mdb",
                           d.dir, d.dir, d.dir),
                     0);
    th_start(&d, NULL);
    s_wait_shipped(shipped, 5); /* the rolled-back start ships one too */
    assert_true(s_verify(&d, NULL).intact); /* on its own it looks fine */
    assert_int_equal(th_sh("%s --dev %s --as auditor audit verify "
                           "--checkpoint %s >%s 2>&1",
                           CL_CASELINK_CLI, d.dir, shipped, out),
                     1);
    assert_true(th_file_contains(out, "BROKEN"));
    assert_true(th_file_contains(out, "removed"));
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* A shipping command that hangs (a curl with no time limit to a witness
 * that is down) is stopped after [audit] checkpoint_timeout_s, with what
 * it started, and logged as not shipped; the next checkpoints still ship,
 * the one made at stop too, and nothing is left running after the stop. */
static void test_checkpoint_command_hung_is_stopped(void **state)
{
    (void)state;
    th_daemon d = {0};
    char conf[1024], shipped[300];
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(shipped, sizeof(shipped), "%s/witness.txt", d.dir);
    char nap[32]; /* unique to this run: another's may be sleeping too */
    snprintf(nap, sizeof(nap), "611.%u", (unsigned)getpid());
    snprintf(conf, sizeof(conf),
             "[audit]\ncheckpoint_interval_s = 1\ncheckpoint_timeout_s = 1\n"
             "checkpoint_command = cat >> %s; exec sleep %s\n",
             shipped, nap);
    th_start(&d, conf);
    s_wait_shipped(shipped, 1);
    for (int i = 0; i < 500 && !th_file_contains(d.log, "ran over"); i++)
        usleep(10000);
    assert_true(th_file_contains(d.log, "audit checkpoint NOT shipped: "
                                        "checkpoint_command ran over [audit] "
                                        "checkpoint_timeout_s"));
    int before = s_count(shipped, "signature: ");
    for (int i = 0; i < 500 && s_count(shipped, "signature: ") < before + 2;
         i++)
        usleep(10000);
    assert_true(s_count(shipped, "signature: ") >= before + 2);
    before = s_count(shipped, "signature: ");
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_true(s_count(shipped, "signature: ") > before); /* at stop */
    assert_int_not_equal(th_sh("pgrep -xf 'sleep %s' >/dev/null", nap), 0);
    th_sh("rm -rf %s", d.dir);
}

/* --- membership oracles --------------------------------------------------- */

static cl_import_result s_import(cl_client *c, const char *local,
                                 const char *nhs, const char *given)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_IMPORT_PERSON;
    CL_COPY(req->u.import.person.local_id, local);
    CL_COPY(req->u.import.person.nhs, nhs);
    CL_COPY(req->u.import.person.given, given);
    CL_COPY(req->u.import.person.family, "Smith");
    CL_COPY(req->u.import.person.dob, "1985-04-12");
    assert_int_equal(s_call(c, req, &rep), CL_STATUS_OK);
    cl_import_result r = rep.u.import;
    cl_reply_clear(&rep);
    free(req);
    return r;
}

/* A GP imports a caseload row whose NHS number the police know and one
 * nobody knows: the two replies must be the same. */
static void test_import_reply_is_no_oracle(void **state)
{
    th_daemon *d = *state;
    cl_client *police = th_client(d, "police"), *gp = th_client(d, "gp");
    cl_request *q = th_referral("POL-O1", "Jane", "Smith", "1985-04-12", NHS);
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
    cl_import_result known = s_import(gp, "GPL-1", NHS, "Jane");
    cl_import_result unknown = s_import(gp, "GPL-2", "4010232137", "Mary");
    assert_int_equal(known.link_reason, unknown.link_reason);
    assert_int_equal(known.queued, unknown.queued);
    assert_int_equal(known.n_warnings, unknown.n_warnings);
    /* the agency's own record again is its own knowledge: it may be told */
    cl_import_result again = s_import(gp, "GPL-1", NHS, "Jane");
    assert_int_equal(again.link_reason, CL_LINK_LOCAL_ID);
    free(q);
    cl_client_close(&police);
    cl_client_close(&gp);
}

static cl_health s_health(cl_client *c)
{
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    assert_int_equal(s_call(c, &req, &rep), CL_STATUS_OK);
    cl_health h = rep.u.health;
    cl_reply_clear(&rep);
    return h;
}

/* health must not move for a publisher when someone else's referral adds
 * a person; an operator still sees the counts. */
static void test_health_is_no_oracle_for_publishers(void **state)
{
    th_daemon *d = *state;
    cl_client *police = th_client(d, "police"), *gp = th_client(d, "gp"),
              *op = th_client(d, "operator");
    cl_health before = s_health(gp), op_before = s_health(op);
    cl_request *q = th_referral("POL-O2", "Jane", "Smith", "1985-04-12", NHS);
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
    cl_health after = s_health(gp), op_after = s_health(op);
    assert_int_equal(before.persons, after.persons);
    assert_int_equal(before.referrals, after.referrals);
    assert_int_equal(before.store_bytes, after.store_bytes);
    assert_int_equal(after.persons, 0);
    assert_int_equal(op_after.persons, op_before.persons + 1);
    assert_int_equal(op_after.referrals, op_before.referrals + 1);
    free(q);
    cl_client_close(&police);
    cl_client_close(&gp);
    cl_client_close(&op);
}

/* A coordinator names a review and an NHS number without break-glass: a
 * known person not on the agenda and an unknown number get one answer. */
static void test_coordinator_existence_test(void **state)
{
    th_daemon *d = *state;
    cl_client *police = th_client(d, "police"),
              *co = th_client(d, "coordinator");
    cl_request *q = th_referral("POL-O3", "Jane", "Smith", "1985-04-12", NHS);
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    char mdt[CL_REF_SZ], err_known[CL_ERROR_SZ];
    req->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(req->u.review_new.date, "2026-12-01");
    CL_COPY(req->u.review_new.title, "Extended MDT");
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    strcpy(mdt, rep.u.publish.reference);
    cl_reply_clear(&rep);
    memset(req, 0, sizeof(*req));
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.review_id, mdt);
    CL_COPY(req->u.get_person.match.nhs, NHS);
    int st_known = s_call(co, req, &rep);
    strcpy(err_known, rep.error);
    cl_reply_clear(&rep);
    CL_COPY(req->u.get_person.match.nhs, "4010232137");
    int st_unknown = s_call(co, req, &rep);
    assert_int_equal(st_known, st_unknown);
    assert_string_equal(err_known, rep.error);
    cl_reply_clear(&rep);
    free(req);
    free(q);
    cl_client_close(&police);
    cl_client_close(&co);
}

/* --- authenticated index rows --------------------------------------------- */

static const char *NHS_CHILD = "0830166130";
static const char *NHS_MUM = "1860913903";

static void s_plan(th_daemon *d)
{
    cl_client *ch = th_client(d, "childrens");
    cl_request *q = th_plan("CP-S1", NHS_CHILD, NHS_MUM);
    assert_int_equal(th_publish(ch, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&ch);
}

/* Whoever holds the data file deletes the child's person_plans row: her
 * plan would vanish from her mother's case view and the alert for the
 * mother's next referral would not be raised. It must be detected, not
 * obeyed: the case view fails, and audit verify names the index. */
static void test_deleted_plan_row_detected(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    s_plan(d);
    assert_int_equal(th_view_nhs(co, NHS_MUM, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_plans, 1);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    /* the child is the first person with plan rows; she has one */
    assert_int_equal(s_raw_delete_first_group(d, "person_plans", 8), 1);
    th_start(d, NULL);
    co = th_client(d, "coordinator");
    int st = th_view_nhs(co, NHS_MUM, &rep);
    if (st == CL_STATUS_OK)
        assert_int_equal(rep.u.person.n_plans, 1); /* never plan-less */
    else
        assert_int_equal(st, CL_STATUS_INTERNAL);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_audit_verify_result v = s_verify(d, NULL);
    assert_false(v.intact);
    assert_non_null(strstr(v.problem, "person_plans"));
}

/* --- break-glass ---------------------------------------------------------- */

static const char *NHS_KID = "4010232137";

/* The police refer a mother; her child is only mentioned (no referral). */
static void s_mother_and_child(th_daemon *d)
{
    assert_int_equal(th_mother_and_child(d, "POL-B1", NHS, NHS_KID),
                     CL_STATUS_OK);
}

static void s_review(cl_client *co, char mdt[CL_REF_SZ])
{
    assert_int_equal(th_review(co, "2026-12-01", "A review of my own", mdt),
                     CL_STATUS_OK);
}

static int s_agenda(cl_client *co, const char *mdt, const char *nhs,
                    uint8_t reason, const char *note, uint8_t access,
                    const char *why, char err[CL_ERROR_SZ])
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(req->u.agenda.review_id, mdt);
    CL_COPY(req->u.agenda.who.match.nhs, nhs);
    req->u.agenda.reason = reason;
    CL_COPY(req->u.agenda.note, note);
    req->u.agenda.access_reason = access;
    CL_COPY(req->u.agenda.justification, why);
    int st = s_call(co, req, &rep);
    strcpy(err, rep.error);
    cl_reply_clear(&rep);
    free(req);
    return st;
}

static int s_view_why(cl_client *co, const char *nhs, uint8_t access,
                      const char *why)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.match.nhs, nhs);
    req->u.get_person.access_reason = access;
    CL_COPY(req->u.get_person.justification, why);
    int st = s_call(co, req, &rep);
    cl_reply_clear(&rep);
    free(req);
    return st;
}

/* The loophole: a review of one's own, anyone added with reason "other"
 * and no note, then the case opened "for that review". And a justification
 * of " ". Each must be refused or flagged. */
static void test_break_glass_not_avoidable(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    char mdt[CL_REF_SZ], err[CL_ERROR_SZ];
    s_mother_and_child(d);
    s_review(co, mdt);
    /* reason other needs a note */
    assert_int_equal(s_agenda(co, mdt, NHS_KID, 5, "", 0, "", err),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(err, "note"));
    /* nobody referred the child: listing her is break-glass */
    assert_int_equal(
        s_agenda(co, mdt, NHS_KID, 5, "worried about her", 0, "", err),
        CL_STATUS_INVALID);
    assert_non_null(strstr(err, "access_reason"));
    assert_int_equal(
        s_agenda(co, mdt, NHS_KID, 5, "worried about her", 3, "   ", err),
        CL_STATUS_INVALID);
    assert_non_null(strstr(err, "justification"));
    /* an unknown number gets the same answer: no existence test */
    char err2[CL_ERROR_SZ];
    assert_int_equal(
        s_agenda(co, mdt, NHS_KID, 5, "worried about her", 0, "", err),
        CL_STATUS_INVALID);
    assert_int_equal(
        s_agenda(co, mdt, "6434765916", 5, "worried about her", 0, "", err2),
        CL_STATUS_INVALID);
    assert_string_equal(err, err2);
    assert_int_equal(s_agenda(co, mdt, NHS_KID, 5, "worried about her", 3,
                              "mother's referral mentions neglect", err),
                     CL_STATUS_OK);
    /* the mother has a referral behind her: an ordinary agenda place */
    assert_int_equal(s_agenda(co, mdt, NHS, 1, "", 0, "", err), CL_STATUS_OK);
    /* break-glass views: " " and no reason code are no justification */
    assert_int_equal(s_view_why(co, NHS, 3, " "), CL_STATUS_INVALID);
    assert_int_equal(s_view_why(co, NHS, 0, "a perfectly long reason here"),
                     CL_STATUS_INVALID);
    assert_int_equal(s_view_why(co, NHS, 9, "a perfectly long reason here"),
                     CL_STATUS_INVALID);
    cl_client_close(&co);
    /* the auditor sees the agenda addition flagged as break-glass */
    cl_client *au = th_client(d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.match.nhs, NHS_KID);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    bool flagged = false;
    for (size_t i = 0; i < rep.u.entries.n; i++)
        if (!strcmp(rep.u.entries.v[i].kind, "add_to_agenda") &&
            rep.u.entries.v[i].outcome == CL_STATUS_OK)
            flagged = rep.u.entries.v[i].break_glass &&
                      strstr(rep.u.entries.v[i].purpose, "mdt_preparation");
    assert_true(flagged);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);
}

/* Every break-glass use reaches the auditors' mailbox at once and the log,
 * and the auditor lists them by date, client and named user. */
static void test_break_glass_told_and_listed(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator"), *au = th_client(d, "auditor");
    cl_reply rep;
    s_mother_and_child(d);
    assert_int_equal(
        s_view_why(co, NHS, 1, "police say she is at risk tonight"),
        CL_STATUS_OK);
    assert_int_equal(s_view_why(co, NHS, 5, "checking the link is right"),
                     CL_STATUS_OK);
    /* the auditors' mailbox */
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(s_call(au, &req, &rep), CL_STATUS_OK);
    int told = 0;
    for (size_t i = 0; i < rep.u.deliveries.n; i++) {
        const cl_delivery *dv = &rep.u.deliveries.v[i];
        if (dv->kind == CL_DLV_GOVERNANCE &&
            !strcmp(dv->u.governance.event, "break_glass")) {
            told++;
            assert_string_equal(dv->u.governance.client, "coordinator");
            assert_non_null(strstr(dv->u.governance.reference, "AUDIT-"));
            assert_non_null(strstr(dv->u.governance.detail, "get_person"));
        }
    }
    assert_int_equal(told, 2);
    cl_reply_clear(&rep);
    /* the log says so, without the justification */
    assert_true(th_file_contains(d->log, "break-glass: client=coordinator"));
    assert_false(th_file_contains(d->log, "at risk tonight"));
    /* search by filter: no person named */
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_AUDIT_SEARCH;
    q->u.person_ref.filter.break_glass_only = true;
    q->u.person_ref.filter.from = time(NULL) - 3600;
    q->u.person_ref.filter.to = time(NULL) + 3600;
    CL_COPY(q->u.person_ref.filter.client, "coordinator");
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 2);
    assert_true(rep.u.entries.v[0].break_glass);
    assert_non_null(strstr(rep.u.entries.v[0].purpose, "immediate_risk"));
    assert_non_null(strstr(rep.u.entries.v[1].purpose, "data_quality"));
    cl_reply_clear(&rep);
    CL_COPY(q->u.person_ref.filter.client, "police");
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 0);
    cl_reply_clear(&rep);
    q->u.person_ref.filter.from = time(NULL) + 60;
    q->u.person_ref.filter.client[0] = '\0';
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 0);
    cl_reply_clear(&rep);
    /* by named user: the coordinator's own, and somebody else */
    cl_user me;
    assert_true(th_user(d, "coordinator", &me));
    q->u.person_ref.filter.from = 0;
    CL_COPY(q->u.person_ref.user_id, me.id);
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 2);
    assert_string_equal(rep.u.entries.v[0].user.id, me.id);
    cl_reply_clear(&rep);
    CL_COPY(q->u.person_ref.user_id, "nobody-here");
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 0);
    cl_reply_clear(&rep);
    /* only auditors */
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    free(q);
    /* and from the command line */
    char out[300];
    snprintf(out, sizeof(out), "%s/search.out", d->dir);
    assert_int_equal(th_sh("%s --dev %s audit search --break-glass --from "
                           "2026-01-01 --to 2099-01-01 --client coordinator "
                           ">%s 2>&1",
                           CL_CASELINK_CLI, d->dir, out),
                     0);
    assert_true(th_file_contains(out, "2 entries"));
    assert_true(th_file_contains(out, "BREAK-GLASS"));
    cl_client_close(&co);
    cl_client_close(&au);
}

/* --- daemon notices ------------------------------------------------------- */

static void s_feed_pub(cl_client *c, const char *ref, const char *feed,
                       uint64_t seq)
{
    cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", NHS);
    CL_COPY(q->u.publish.feed, feed);
    q->u.publish.feed_seq = seq;
    assert_int_equal(th_publish(c, q, NULL), CL_STATUS_OK);
    free(q);
}

/* Feed notices waiting in an agency's mailbox (a page at a time). */
static size_t s_feed_notices(cl_client *c, size_t *all)
{
    cl_request req;
    cl_reply rep;
    size_t n = 0;
    uint64_t after = 0;
    *all = 0;
    for (;;) {
        memset(&req, 0, sizeof(req));
        req.kind = CL_REQ_INBOX_RECEIVE;
        req.u.inbox.after = after;
        req.u.inbox.limit = CL_INBOX_MAX;
        assert_int_equal(s_call(c, &req, &rep), CL_STATUS_OK);
        size_t got = rep.u.deliveries.n;
        for (size_t i = 0; i < got; i++) {
            n += rep.u.deliveries.v[i].kind == CL_DLV_FEED;
            after = rep.u.deliveries.v[i].seq;
        }
        *all += got;
        cl_reply_clear(&rep);
        if (!got)
            return n;
    }
}

/* A publisher numbering its feed 1, 3, 5, ... (a gap every time) with
 * mailbox_max = 100: the coordinators hear of it once per episode, and an
 * agency's answer to them is never refused because of notices. */
static void test_feed_notices_coalesced(void **state)
{
    (void)state;
    th_daemon d = {0};
    th_start(&d, "[routing]\nmailbox_max = 100\nnotice_max = 20\n");
    cl_client *police = th_client(&d, "police"),
              *co = th_client(&d, "coordinator");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    char ref[32], req_id[CL_REF_SZ];
    s_feed_pub(police, "POL-F0", "niche", 1);
    q->kind = CL_REQ_INFO_REQUEST;
    CL_COPY(q->u.info.who.match.nhs, NHS);
    CL_COPY(q->u.info.agencies[q->u.info.n_agencies++], "Northshire Police");
    CL_COPY(q->u.info.due, "2099-01-01");
    CL_COPY(q->u.info.question, "What is your involvement?");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    strcpy(req_id, rep.u.publish.reference);
    cl_reply_clear(&rep);
    for (int i = 1; i <= 150; i++) {
        snprintf(ref, sizeof(ref), "POL-F%d", i);
        s_feed_pub(police, ref, "niche", 1 + 2 * (uint64_t)i);
    }
    /* and 50 feeds of its own invention, each with a gap */
    for (int i = 0; i < 50; i++) {
        char feed[32];
        snprintf(ref, sizeof(ref), "POL-G%d", i);
        snprintf(feed, sizeof(feed), "invented-%d", i);
        s_feed_pub(police, ref, feed, 5);
    }
    size_t all, feed = s_feed_notices(co, &all);
    assert_true(feed >= 1);
    assert_true(feed <= 20); /* notice_max */
    /* the police's answer still reaches the coordinator */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_INFO_RESPOND;
    CL_COPY(q->u.respond.request_id, req_id);
    CL_COPY(q->u.respond.summary, "Known to us: two call-outs");
    q->u.respond.involvement = CL_INVOLVE_CURRENT;
    q->u.respond.risk = 2;
    CL_COPY(q->u.respond.contact, "PC Jones, 01234 567890");
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&police);
    cl_client_close(&co);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* A client's string with a newline and a journald priority must not forge
 * a log line (found from outside, through the feed name of a gap). */
static void test_log_lines_not_forged(void **state)
{
    th_daemon *d = *state;
    cl_client *police = th_client(d, "police");
    s_feed_pub(police, "POL-L1", "f\n<2>audit chain BROKEN at 1", 1);
    s_feed_pub(police, "POL-L2", "f\n<2>audit chain BROKEN at 1", 3);
    assert_true(th_file_contains(d->log, "feed gap"));
    assert_false(th_file_contains(d->log, "\n<2>audit chain"));
    cl_client_close(&police);
}

/* feed_seq 2^64-1 must not wrap the count of missing numbers. */
static void test_feed_seq_no_wrap(void **state)
{
    th_daemon *d = *state;
    cl_client *police = th_client(d, "police"), *op = th_client(d, "operator");
    s_feed_pub(police, "POL-W1", "wrap", 1);
    s_feed_pub(police, "POL-W2", "wrap", UINT64_MAX);
    s_feed_pub(police, "POL-W3", "wrap", 3); /* a late one */
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_FEEDS;
    assert_int_equal(s_call(op, &req, &rep), CL_STATUS_OK);
    bool seen = false;
    for (size_t i = 0; i < rep.u.feeds.n; i++) {
        const cl_feed_state *f = &rep.u.feeds.v[i];
        if (strcmp(f->feed, "wrap"))
            continue;
        seen = true;
        assert_true(f->last_seq == UINT64_MAX);
        assert_true(f->missing == UINT64_MAX - 3);
    }
    assert_true(seen);
    cl_reply_clear(&rep);
    cl_client_close(&police);
    cl_client_close(&op);
}

/* --- per-client limits and the watchdog ----------------------------------- */

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Collect WATCHDOG=1 datagrams: the largest gap between two, in ms. */
static uint64_t s_wd_drain(int fd, uint64_t *last, uint64_t *max_gap,
                           int *pings)
{
    char buf[256];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
        buf[n] = 0;
        if (!strstr(buf, "WATCHDOG=1"))
            continue;
        uint64_t now = s_now_ms();
        if (*last && now - *last > *max_gap)
            *max_gap = now - *last;
        *last = now;
        (*pings)++;
    }
    return *max_gap;
}

/* A coordinator pipelines 80 case-finding requests: the GP's health is
 * answered within a bound, the coordinator's excess is refused BUSY at
 * once, and the watchdog (1 s here) keeps being pinged throughout. The
 * same for long polls: one client cannot hold every parked slot. */
static void test_heavy_client_cannot_starve(void **state)
{
    (void)state;
    th_daemon d = {0};
    char sock[300];
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(sock, sizeof(sock), "%s/notify", d.dir);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setenv("NOTIFY_SOCKET", sock, 1);
    setenv("WATCHDOG_USEC", "1000000", 1);
    th_start(&d, NULL);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    cl_client *police = th_client(&d, "police"), *gp = th_client(&d, "gp"),
              *co = th_client(&d, "coordinator");
    char ref[32];
    for (int i = 0; i < 200; i++) {
        char nhs[16];
        snprintf(ref, sizeof(ref), "POL-H%d", i);
        cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", NULL);
        snprintf(q->u.publish.subject.local_id,
                 sizeof(q->u.publish.subject.local_id), "NICHE-%d", i % 40);
        (void)nhs;
        assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
        free(q);
    }
    uint64_t last = 0, gap = 0;
    int pings = 0;
    s_wd_drain(fd, &last, &gap, &pings);
    cl_request *cf = calloc(1, sizeof(*cf));
    cf->kind = CL_REQ_CASE_FINDING;
    CL_COPY(cf->u.finding.agency, "Northshire Police");
    cf->u.finding.min_contacts = 1;
    cf->u.finding.access_reason = 3;
    CL_COPY(cf->u.finding.justification, "quarterly high-level users review");
    for (int i = 0; i < 80; i++) {
        randombytes_buf(cf->msgid, CL_MSGID_LEN);
        assert_int_equal(cl_client_send(co, cf), CL_OK);
    }
    uint64_t t0 = s_now_ms();
    cl_health h = s_health(gp);
    uint64_t health_ms = s_now_ms() - t0;
    (void)h;
    int ok = 0, busy = 0;
    for (int i = 0; i < 80; i++) {
        cl_reply rep;
        assert_int_equal(cl_client_recv(co, &rep, 60000), CL_OK);
        if (rep.status == CL_STATUS_OK)
            ok++;
        else if (rep.status == CL_STATUS_BUSY &&
                 strstr(rep.error, "scans or reports"))
            busy++;
        cl_reply_clear(&rep);
        s_wd_drain(fd, &last, &gap, &pings);
    }
    print_message("health %llu ms behind 80 case findings; %d done, %d busy; "
                  "%d watchdog pings, largest gap %llu ms\n",
                  (unsigned long long)health_ms, ok, busy, pings,
                  (unsigned long long)gap);
    assert_true(ok >= 2);
    assert_true(busy > 0);
    assert_int_equal(ok + busy, 80);
    assert_true(health_ms < 5000);
    usleep(600 * 1000);
    s_wd_drain(fd, &last, &gap, &pings);
    assert_true(pings >= 2);
    assert_true(gap < 1000); /* WATCHDOG_USEC: systemd would not kill it */
    free(cf);
    /* parked long polls: at most client_parked_max (4) per client */
    cl_request rx;
    memset(&rx, 0, sizeof(rx));
    rx.kind = CL_REQ_INBOX_RECEIVE;
    rx.u.inbox.limit = 10;
    rx.u.inbox.after = 1000000; /* nothing after it: each one waits */
    rx.u.inbox.wait_ms = 3000;
    for (int i = 0; i < 6; i++) {
        randombytes_buf(rx.msgid, CL_MSGID_LEN);
        assert_int_equal(cl_client_send(gp, &rx), CL_OK);
    }
    int refused = 0, answered = 0;
    for (int i = 0; i < 6; i++) {
        cl_reply rep;
        assert_int_equal(cl_client_recv(gp, &rep, 10000), CL_OK);
        if (rep.status == CL_STATUS_BUSY &&
            strstr(rep.error, "waiting for mail"))
            refused++;
        else if (rep.status == CL_STATUS_OK)
            answered++;
        cl_reply_clear(&rep);
    }
    assert_int_equal(refused, 2);
    assert_int_equal(answered, 4);
    cl_client_close(&police);
    cl_client_close(&gp);
    cl_client_close(&co);
    close(fd); /* or the daemon's notifications would fill its buffer */
    unlink(sock);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* --- the log -------------------------------------------------------------- */

/* A client string with a newline and "<0>" must not forge an emergency
 * line, an NHS number it carries must not reach the log, and a flood of
 * refusals is logged at most CL_LOG_REFUSALS (20) times per 10 s. */
static void test_log_escaped_masked_limited(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_INFO_REQUEST;
    CL_COPY(q->u.info.who.match.nhs, NHS);
    CL_COPY(q->u.info.agencies[q->u.info.n_agencies++],
            "Nobody\n<0>EMERGENCY 9434765919 'Jane Smith'");
    CL_COPY(q->u.info.due, "2099-01-01");
    CL_COPY(q->u.info.question, "What is your involvement?");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    for (int i = 0; i < 100; i++) {
        memset(q, 0, sizeof(*q));
        q->kind = CL_REQ_GET_PERSON;
        CL_COPY(q->u.get_person.match.nhs, NHS); /* no purpose: refused */
        assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
        cl_reply_clear(&rep);
    }
    free(q);
    cl_client_close(&co);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    FILE *f = fopen(d->log, "re");
    char line[2048];
    int refusals = 0;
    bool forged = false, escaped = true;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        forged |= strncmp(line, "<0>", 3) == 0;
        /* the wire may refuse the newline before any echo; if the text
         * reaches the log at all, it is escaped */
        escaped &= !strstr(line, "EMERGENCY") ||
                   strstr(line, "\\x0a<0>EMERGENCY") != NULL;
        refusals += strstr(line, "request refused: client=coordinator") != NULL;
    }
    fclose(f);
    assert_false(forged);
    assert_true(escaped);
    assert_false(th_file_contains(d->log, "9434765919"));
    assert_false(th_file_contains(d->log, "Jane Smith"));
    assert_true(refusals <= 20);
    assert_true(refusals >= 2);
    th_start(d, NULL); /* for the teardown */
}

/* --- reads name every disclosed person ------------------------------------ */

/* Opening the mother's case shows her child: an audit search on the child
 * must find that view. */
static void test_case_view_names_related(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator"), *au = th_client(d, "auditor");
    cl_reply rep;
    s_mother_and_child(d);
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_OK);
    assert_true(rep.u.person.n_related >= 1);
    cl_reply_clear(&rep);
    assert_true(th_audited(au, NULL, NHS_KID, "get_person") > 0);
    cl_client_close(&co);
    cl_client_close(&au);
}

/* Two people with different NHS numbers stay two when a third agency's
 * record without one matches both: a publisher cannot merge them. */
static void s_alike(cl_client *c, const char *ref, const char *nhs)
{
    cl_request *q = th_referral(ref, "Alice", "Bridgewater", "1980-01-01", nhs);
    q->u.publish.subject.sex = 1;
    CL_COPY(q->u.publish.subject.postcode, "NS1 4AB");
    CL_COPY(q->u.publish.subject.address, "12 Mill Lane, Northtown");
    assert_int_equal(th_publish(c, q, NULL), CL_STATUS_OK);
    free(q);
}

static void s_person_of(cl_client *co, const char *nhs, char pid[CL_REF_SZ])
{
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, nhs, &rep), CL_STATUS_OK);
    cl_copy(pid, CL_REF_SZ, rep.u.person.person_id);
    cl_reply_clear(&rep);
}

static void test_no_merge_across_nhs_numbers(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *po = th_client(d, "police"),
              *ad = th_client(d, "adults"), *co = th_client(d, "coordinator");
    char a[CL_REF_SZ], b[CL_REF_SZ];
    s_alike(gp, "BR-1", NHS);
    s_alike(po, "BR-2", NHS_KID);
    s_person_of(co, NHS, a);
    s_person_of(co, NHS_KID, b);
    assert_string_not_equal(a, b);
    s_alike(ad, "BR-3", NULL); /* no NHS number: it matches both */
    s_alike(ad, "BR-4", NULL);
    s_person_of(co, NHS, a);
    s_person_of(co, NHS_KID, b);
    assert_string_not_equal(a, b);
    cl_client_close(&gp);
    cl_client_close(&po);
    cl_client_close(&ad);
    cl_client_close(&co);
}

/* Found from outside (a father and son of one name at one home): the
 * son's GP record holds one NHS number, a police record of the name with
 * no date joins him, then the father's record with another NHS number
 * matches that police record. It must not join the son's person through
 * it: a person holding one NHS number takes no record with another. */
static void s_cox(cl_client *c, const char *ref, const char *dob,
                  const char *nhs)
{
    cl_request *q = th_referral(ref, "William", "Cox", dob, nhs);
    q->u.publish.subject.sex = 1;
    CL_COPY(q->u.publish.subject.postcode, "NS1 4AB");
    CL_COPY(q->u.publish.subject.address, "12 Mill Lane, Northtown");
    assert_int_equal(th_publish(c, q, NULL), CL_STATUS_OK);
    free(q);
}

static void test_no_link_across_nhs_numbers(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *po = th_client(d, "police"),
              *ad = th_client(d, "adults"), *co = th_client(d, "coordinator");
    char son[CL_REF_SZ], father[CL_REF_SZ];
    s_cox(gp, "COX-1", "2011-05-02", NHS_KID);
    s_cox(po, "COX-2", "", NULL);
    s_cox(ad, "COX-3", "1986-03-04", NHS);
    s_person_of(co, NHS_KID, son);
    s_person_of(co, NHS, father);
    assert_string_not_equal(son, father);
    cl_client_close(&gp);
    cl_client_close(&po);
    cl_client_close(&ad);
    cl_client_close(&co);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_index_rows_verified,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_audit_user_index_rows_verified,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_audit_user_rows_checked_on_read,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_person_id_strict, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test(test_checkpoints_shipped_rollback_caught),
        cmocka_unit_test(test_checkpoint_command_hung_is_stopped),
        cmocka_unit_test_setup_teardown(test_import_reply_is_no_oracle,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_health_is_no_oracle_for_publishers,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_coordinator_existence_test,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_deleted_plan_row_detected,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_log_escaped_masked_limited,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_feed_notices_coalesced),
        cmocka_unit_test(test_heavy_client_cannot_starve),
        cmocka_unit_test_setup_teardown(test_log_lines_not_forged,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_feed_seq_no_wrap, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_no_merge_across_nhs_numbers,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_no_link_across_nhs_numbers,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_case_view_names_related,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_break_glass_not_avoidable,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_break_glass_told_and_listed,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
