/*
 * test_tamper: whoever holds the data file without the master key deletes
 * or rolls back sealed value rows (a flag check in the flag log, a
 * delivery in a mailbox, a withdrawn plan brought back from an older copy
 * of the file) with the daemon stopped. Each must be reported as
 * tampering, not obeyed: on the read path where the store checks the
 * row's group, by `audit verify`, and in the daemon's log at start
 * (naming the table, never a person). And after `caselinkd
 * --rekey-indexes` every lookup through a blind index finds what it did.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sodium.h>

#include "harness.h"
#include "store.h"

#ifndef CL_CASELINKD_PATH
#error "CL_CASELINKD_PATH must name the daemon binary"
#endif

static const char *NHS_CHILD = "0830166130";
static const char *NHS_MUM = "1860913903";
static const char *TAMPER = "failed authentication (corrupted or tampered)";

static int s_call(cl_client *c, cl_request *q, cl_reply *rep)
{
    memset(q->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(c, q, rep), CL_OK);
    return (int)rep->status;
}

/* Children's services' plan for Lily, naming her mother. */
static void s_plan(th_daemon *d)
{
    cl_client *ch = th_client(d, "childrens");
    cl_request *q = th_plan("CP-T1", NHS_CHILD, NHS_MUM);
    assert_int_equal(th_publish(ch, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&ch);
}

static void s_withdraw(th_daemon *d)
{
    cl_client *ch = th_client(d, "childrens");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_WITHDRAW_PLAN;
    CL_COPY(q->u.plan_withdraw.agency_ref, "CP-T1");
    CL_COPY(q->u.plan_withdraw.reason, "recorded against the wrong child");
    assert_int_equal(s_call(ch, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&ch);
}

/* The police's flag check on the mother: CL_OK with *n flags, or the
 * failure. */
static int s_flags(th_daemon *d, size_t *n)
{
    cl_client *police = th_client(d, "police");
    cl_flag_result f;
    char err[CL_ERROR_SZ];
    memset(&f, 0, sizeof(f));
    int rc = cl_client_flag_check(police, CL_FLAG_BY_NHS, NHS_MUM, &f, err,
                                  sizeof(err));
    *n = f.n;
    cl_client_close(&police);
    return rc;
}

/* The refusal text of the last s_view. */
static char s_view_err[CL_ERROR_SZ];

/* The coordinator's view of the mother: its status, and the plans shown. */
static int s_view(th_daemon *d, size_t *n_plans)
{
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    int st = th_view_nhs(co, NHS_MUM, &rep);
    *n_plans = st == CL_STATUS_OK ? rep.u.person.n_plans : 0;
    cl_copy(s_view_err, sizeof(s_view_err), st >= 0 ? rep.error : "");
    cl_reply_clear(&rep);
    cl_client_close(&co);
    return st;
}

/* A refusal over data that failed authentication says so, and where to
 * look: not "retry later", not "not stored". */
static void s_says_tampered(const char *err)
{
    if (!strstr(err, "tampered") || !strstr(err, "audit verify") ||
        strstr(err, "retry later"))
        fail_msg("not answered as tampering: '%s'", err);
}

static cl_audit_verify_result s_verify(th_daemon *d)
{
    int st;
    cl_audit_verify_result v = th_audit_verify(d, NULL, &st);
    assert_int_equal(st, CL_STATUS_OK);
    return v;
}

/* The stopped daemon's LMDB file, opened without any key. */
typedef struct s_raw {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
} s_raw;

static int s_raw_open(s_raw *r, const char *state, const char *db)
{
    assert_int_equal(mdb_env_create(&r->env), 0);
    mdb_env_set_maxdbs(r->env, 128);
    assert_int_equal(mdb_env_open(r->env, state, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
    int rc = mdb_dbi_open(r->txn, db, 0, &r->dbi);
    if (rc != 0) {
        mdb_txn_abort(r->txn);
        mdb_env_close(r->env);
    }
    return rc;
}

static void s_raw_close(s_raw *r)
{
    assert_int_equal(mdb_txn_commit(r->txn), 0);
    mdb_env_close(r->env);
}

/* Delete row number `at` (in key order) of db; false if it has fewer. */
static bool s_raw_delete(const char *state, const char *db, int at)
{
    s_raw r;
    MDB_cursor *cur;
    MDB_val k, v;
    if (s_raw_open(&r, state, db) != 0)
        return false;
    assert_int_equal(mdb_cursor_open(r.txn, r.dbi, &cur), 0);
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (int i = 0; rc == 0 && i < at; i++)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    if (rc == 0)
        assert_int_equal(mdb_cursor_del(cur, 0), 0);
    mdb_cursor_close(cur);
    s_raw_close(&r);
    return rc == 0;
}

/* Put every row of db in the older copy `from` back into `to` (same keys,
 * the older sealed values); returns how many. */
static size_t s_raw_roll_back(const char *from, const char *to, const char *db)
{
    s_raw a, b;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t n = 0;
    assert_int_equal(s_raw_open(&a, from, db), 0);
    assert_int_equal(s_raw_open(&b, to, db), 0);
    assert_int_equal(mdb_cursor_open(a.txn, a.dbi, &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++)
        assert_int_equal(mdb_put(b.txn, b.dbi, &k, &v, 0), 0);
    mdb_cursor_close(cur);
    mdb_txn_abort(a.txn);
    mdb_env_close(a.env);
    s_raw_close(&b);
    return n;
}

/* The start after tampering logs it once, naming the table, no person. */
static void s_start_log_says(th_daemon *d, const char *table)
{
    char want[160];
    snprintf(want, sizeof(want), "index %s:", table);
    if (!th_file_contains(d->log, TAMPER) || !th_file_contains(d->log, want)) {
        th_sh("tail -5 %s >&2", d->log);
        fail_msg("no tampering line naming %s in the log at start", table);
    }
    assert_false(th_file_contains(d->log, NHS_MUM));
    assert_false(th_file_contains(d->log, "Kerry"));
}

/* Everything a user could be shown about Lily and her mother: a plan, a
 * flag check (logged, and told to children's services), a police referral
 * on the mother (a safeguarding alert in children's mailbox), her view. */
static void s_scene(th_daemon *d)
{
    size_t n;
    s_plan(d);
    assert_int_equal(s_flags(d, &n), CL_OK);
    assert_int_equal(n, 1);
    cl_client *police = th_client(d, "police");
    cl_request *q =
        th_referral("POL-T1", "Kerry", "Brown", "1990-02-03", NHS_MUM);
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&police);
    assert_int_equal(s_view(d, &n), CL_STATUS_OK);
    assert_int_equal(n, 1);
    assert_true(s_verify(d).intact);
}

/* The sealed value tables that decide what users see, each with a row in
 * the scene above (those marked `must`). */
static const struct {
    const char *db;
    bool must;
} s_tables[] = {
    {"flag_log", true}, {"mailbox", true},  {"plan", true},
    {"referral", true}, {"record", true},   {"person", true},
    {"relation", true}, {"hold", false},    {"review", false},
    {"mdt", false},     {"meeting", false}, {"intake", false},
    {"history", false}, {"inforeq", false}, {"action", false},
};

/* One sealed row deleted from each table in turn, on a copy of the scene:
 * audit verify names the table, and the start said so in the log. */
static void test_deleted_value_rows_detected(void **state)
{
    th_daemon *d = *state;
    char live[320], orig[320];
    s_scene(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    snprintf(live, sizeof(live), "%s/state", d->dir);
    snprintf(orig, sizeof(orig), "%s/state.orig", d->dir);
    assert_int_equal(th_sh("cp -a '%s' '%s'", live, orig), 0);
    for (size_t i = 0; i < sizeof(s_tables) / sizeof(s_tables[0]); i++) {
        const char *db = s_tables[i].db;
        assert_int_equal(th_sh("rm -rf '%s' && cp -a '%s' '%s' && : > '%s'",
                               live, orig, live, d->log),
                         0);
        if (!s_raw_delete(live, db, 0)) {
            if (s_tables[i].must)
                fail_msg("the scene left %s empty", db);
            continue;
        }
        th_start(d, NULL);
        s_start_log_says(d, db);
        cl_audit_verify_result v = s_verify(d);
        if (v.intact || !strstr(v.problem, db))
            fail_msg("%s: a deleted row not reported (%s)", db,
                     v.intact ? "intact" : v.problem);
        if (!strcmp(db, "plan")) {
            /* on the read path: the case view and the flag check fail
             * rather than show her without the plan */
            size_t n;
            int st = s_view(d, &n);
            if (st == CL_STATUS_OK)
                fail_msg("case view without the plan: %zu plans", n);
            assert_int_equal(st, CL_STATUS_INTERNAL);
            s_says_tampered(s_view_err);
            assert_int_not_equal(s_flags(d, &n), CL_OK);
        }
        assert_int_equal(th_stop(d, SIGTERM), 0);
    }
}

/* Start d again on its rolled-back file (the log emptied first): the
 * start names the plan table; the flag check and the case view are
 * refused, never showing the withdrawn plan (put back `how`) again; audit
 * verify is not intact and names the plan table. */
static void s_plan_rollback_refused(th_daemon *d, const char *how)
{
    size_t n;
    assert_int_equal(th_sh(": > '%s'", d->log), 0);
    th_start(d, NULL);
    s_start_log_says(d, "plan");
    int rc = s_flags(d, &n);
    if (rc == CL_OK && n)
        fail_msg("the withdrawn plan%s flags the mother again", how);
    assert_int_not_equal(rc, CL_OK);
    int st = s_view(d, &n);
    if (st == CL_STATUS_OK && n)
        fail_msg("the withdrawn plan is back in the case view");
    assert_int_equal(st, CL_STATUS_INTERNAL);
    s_says_tampered(s_view_err);
    cl_audit_verify_result v = s_verify(d);
    assert_false(v.intact);
    assert_non_null(strstr(v.problem, "plan"));
}

/* A withdrawn plan brought back: the plan row from a copy of the file
 * taken while the plan was in force, put back after the withdrawal. The
 * police must not see a flag, the case view must not show the plan, and
 * verification and the start must report it. */
static void test_rolled_back_plan_detected(void **state)
{
    th_daemon *d = *state;
    char live[320], old[320];
    size_t n;
    s_scene(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    snprintf(live, sizeof(live), "%s/state", d->dir);
    snprintf(old, sizeof(old), "%s/state.old", d->dir);
    assert_int_equal(th_sh("cp -a '%s' '%s'", live, old), 0);
    th_start(d, NULL);
    s_withdraw(d);
    assert_int_equal(s_flags(d, &n), CL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_int_equal(s_raw_roll_back(old, live, "plan"), 1);
    s_plan_rollback_refused(d, "");
}

/* --- a group rolled back whole ------------------------------------------ */

/* Put every row of db in `from` whose key starts with prefix back into
 * `to`; returns how many. */
static size_t s_raw_roll_back_prefix(const char *from, const char *to,
                                     const char *db, const void *prefix,
                                     size_t plen)
{
    s_raw a, b;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t n = 0;
    assert_int_equal(s_raw_open(&a, from, db), 0);
    assert_int_equal(s_raw_open(&b, to, db), 0);
    assert_int_equal(mdb_cursor_open(a.txn, a.dbi, &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if (k.mv_size >= plen && !memcmp(k.mv_data, prefix, plen)) {
            assert_int_equal(mdb_put(b.txn, b.dbi, &k, &v, 0), 0);
            n++;
        }
    mdb_cursor_close(cur);
    mdb_txn_abort(a.txn);
    mdb_env_close(a.env);
    s_raw_close(&b);
    return n;
}

/* The withdrawn plan put back with everything that counts it: its row,
 * its group's digest row and the plan table's total, all from one copy
 * of the file taken while it was in force. The table adds up, so before
 * the anchor nothing noticed (the flag showed again, `audit verify` said
 * intact). Now the anchor keeps the total the store last wrote: the
 * start names the table, the flag check and the case view are refused,
 * verify is not intact. Putting the anchor back from the same copy too
 * leaves the audit log's total (and every table changed since) apart
 * from it: still reported. */
static void test_consistent_rollback_detected(void **state)
{
    th_daemon *d = *state;
    char live[320], old[320], kept[320];
    size_t n;
    s_scene(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    snprintf(live, sizeof(live), "%s/state", d->dir);
    snprintf(old, sizeof(old), "%s/state.old", d->dir);
    snprintf(kept, sizeof(kept), "%s/state.withdrawn", d->dir);
    assert_int_equal(th_sh("cp -a '%s' '%s'", live, old), 0);
    th_start(d, NULL);
    s_withdraw(d);
    assert_int_equal(s_flags(d, &n), CL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_int_equal(th_sh("cp -a '%s' '%s'", live, kept), 0);
    assert_int_equal(s_raw_roll_back(old, live, "plan"), 1);
    assert_true(s_raw_roll_back_prefix(old, live, "ixdigest", "plan", 5) >= 2);
    s_plan_rollback_refused(d, ", put back whole,");
    assert_int_equal(th_stop(d, SIGTERM), 0);

    /* the anchor (the key check row) put back from the copy as well */
    assert_int_equal(th_sh("rm -rf '%s' && cp -a '%s' '%s'", live, kept, live),
                     0);
    assert_int_equal(s_raw_roll_back(old, live, "plan"), 1);
    assert_true(s_raw_roll_back_prefix(old, live, "ixdigest", "plan", 5) >= 2);
    assert_int_equal(
        s_raw_roll_back_prefix(old, live, "idempotency", "keycheck", 8), 1);
    assert_int_equal(th_sh(": > '%s'", d->log), 0);
    th_start(d, NULL);
    assert_true(th_file_contains(d->log, TAMPER));
    assert_true(th_file_contains(d->log, "the anchor"));
    cl_audit_verify_result v = s_verify(d);
    if (v.intact)
        fail_msg("plan and anchor put back together: verify says intact");
    assert_non_null(strstr(v.problem, "anchor"));
}

/* --- the mailboxes' counters -------------------------------------------- */

#define CHILDRENS "Northshire Children's Services"

/* Children's services' mailbox: its status, and on CL_STATUS_OK the
 * deliveries (*n, the highest seq) and the depth it reports. */
static int s_box(th_daemon *d, size_t *n, uint64_t *top, uint64_t *depth)
{
    cl_client *ch = th_client(d, "childrens");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_INBOX_RECEIVE;
    q->u.inbox.limit = 100;
    int st = s_call(ch, q, &rep);
    *n = 0;
    *top = 0;
    *depth = 0;
    if (st == CL_STATUS_OK) {
        *n = rep.u.deliveries.n;
        *depth = rep.u.deliveries.depth;
        for (size_t i = 0; i < rep.u.deliveries.n; i++)
            if (rep.u.deliveries.v[i].seq > *top)
                *top = rep.u.deliveries.v[i].seq;
    }
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&ch);
    return st;
}

static void s_police_refers(th_daemon *d, const char *ref)
{
    cl_client *police = th_client(d, "police");
    cl_request *q = th_referral(ref, "Kerry", "Brown", "1990-02-03", NHS_MUM);
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&police);
}

/* Every row of the mailbox table whose seq (the last 8 bytes) is 0: the
 * counters of each mailbox. Deleted (to NULL) or copied from `from`. */
static size_t s_raw_counters(const char *from, const char *to)
{
    s_raw a, b;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t n = 0;
    static const uint8_t zero[8];
    assert_int_equal(s_raw_open(&a, from ? from : to, "mailbox"), 0);
    uint8_t keys[16][24], vals[16][64];
    size_t vlen[16];
    assert_int_equal(mdb_cursor_open(a.txn, a.dbi, &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < 16;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if (k.mv_size == 24 && !memcmp((uint8_t *)k.mv_data + 16, zero, 8) &&
            v.mv_size <= sizeof(vals[0])) {
            memcpy(keys[n], k.mv_data, 24);
            memcpy(vals[n], v.mv_data, v.mv_size);
            vlen[n++] = v.mv_size;
        }
    mdb_cursor_close(cur);
    if (from) {
        mdb_txn_abort(a.txn);
        mdb_env_close(a.env);
        assert_int_equal(s_raw_open(&b, to, "mailbox"), 0);
    } else {
        b = a;
    }
    for (size_t i = 0; i < n; i++) {
        MDB_val key = {24, keys[i]}, val = {vlen[i], vals[i]};
        if (from)
            assert_int_equal(mdb_put(b.txn, b.dbi, &key, &val, 0), 0);
        else
            assert_int_equal(mdb_del(b.txn, b.dbi, &key, NULL), 0);
    }
    s_raw_close(&b);
    return n;
}

/* A mailbox's counters (the next seq, how many wait, how many the daemon
 * raised) were unsealed in the metadata table: putting next back and the
 * depth up made the next alert overwrite a waiting delivery and the
 * mailbox look full. Now they are sealed and counted with the mailbox's
 * deliveries and the depth is the group's count: the forged metadata row
 * changes nothing; the counters deleted, or put back from an older copy,
 * are reported as tampering (a read that meets the deletion refused). */
static void test_mailbox_counters_authenticated(void **state)
{
    th_daemon *d = *state;
    char live[320], old[320];
    size_t n0, n;
    uint64_t top0, top, depth;
    s_scene(d);
    assert_int_equal(s_box(d, &n0, &top0, &depth), CL_STATUS_OK);
    assert_true(n0 >= 2);
    assert_int_equal(depth, n0);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    snprintf(live, sizeof(live), "%s/state", d->dir);
    snprintf(old, sizeof(old), "%s/state.old", d->dir);

    /* (a) the metadata row forged as the old format: next 0, depth 10^6 */
    s_raw r;
    uint8_t forged[24] = {0};
    forged[8 + 5] = 0x0f; /* depth 0x0f0000: about a million */
    MDB_val mk = {strlen("mbox:" CHILDRENS), "mbox:" CHILDRENS};
    MDB_val mv = {24, forged};
    assert_int_equal(s_raw_open(&r, live, "meta"), 0);
    assert_int_equal(mdb_put(r.txn, r.dbi, &mk, &mv, 0), 0);
    s_raw_close(&r);
    th_start(d, NULL);
    s_police_refers(d, "POL-T2");
    assert_int_equal(s_box(d, &n, &top, &depth), CL_STATUS_OK);
    if (n != n0 + 1)
        fail_msg("%zu deliveries after one more alert, where %zu were "
                 "(one overwritten)",
                 n, n0);
    assert_true(top > top0);
    assert_int_equal(depth, n);
    assert_true(s_verify(d).intact);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_int_equal(th_sh("rm -rf '%s' && cp -a '%s' '%s'", old, live, old),
                     0);

    /* (b) the counters put back from that copy after one more delivery
     * and all acknowledged: next would be handed out again */
    th_start(d, NULL);
    s_police_refers(d, "POL-T3");
    assert_int_equal(s_box(d, &n, &top, &depth), CL_STATUS_OK);
    cl_client *ch = th_client(d, "childrens");
    for (uint64_t seq = 1; seq <= top; seq++) {
        cl_request q;
        cl_reply rep;
        memset(&q, 0, sizeof(q));
        q.kind = CL_REQ_INBOX_ACK;
        q.u.ack.n = 1;
        q.u.ack.seqs[0] = seq;
        assert_int_equal(s_call(ch, &q, &rep), CL_STATUS_OK);
        cl_reply_clear(&rep);
    }
    cl_client_close(&ch);
    assert_int_equal(s_box(d, &n, &top, &depth), CL_STATUS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(depth, 0);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_true(s_raw_counters(old, live) >= 1);
    assert_int_equal(th_sh(": > '%s'", d->log), 0);
    th_start(d, NULL);
    s_start_log_says(d, "mailbox");
    cl_audit_verify_result v = s_verify(d);
    assert_false(v.intact);
    assert_non_null(strstr(v.problem, "mailbox"));
    assert_int_equal(th_stop(d, SIGTERM), 0);

    /* (c) the counters deleted: refused, not begun again from zero */
    assert_int_equal(th_sh("rm -rf '%s' && cp -a '%s' '%s'", live, old, live),
                     0);
    assert_true(s_raw_counters(NULL, live) >= 1);
    assert_int_equal(th_sh(": > '%s'", d->log), 0);
    th_start(d, NULL);
    s_start_log_says(d, "mailbox");
    assert_int_equal(s_box(d, &n, &top, &depth), CL_STATUS_INTERNAL);
    v = s_verify(d);
    assert_false(v.intact);
    assert_non_null(strstr(v.problem, "mailbox"));
}

/* --- every counted table, on a store of its own -------------------------- */

/* Each sealed value table that decides what users see, with a key as the
 * daemon writes it (the length, and where two rows of one group differ). */
static const struct {
    cl_db db;
    const char *name;
    size_t key_len;
    bool own_group; /* each row its own group: checked on every get */
} s_counted[] = {
    {CL_DB_PERSON, "person", 8, false},
    {CL_DB_RECORD, "record", 8, false},
    {CL_DB_REFERRAL, "referral", 8, false},
    {CL_DB_RELATION, "relation", 16, false},
    {CL_DB_HISTORY, "history", 12, false},
    {CL_DB_PLAN, "plan", 8, true},
    {CL_DB_REVIEW, "review", 8, false},
    {CL_DB_MDT, "mdt", 8, false},
    {CL_DB_MAILBOX, "mailbox", 24, false},
    {CL_DB_INFOREQ, "inforeq", 8, false},
    {CL_DB_DISCUSSION, "discussion", 16, false},
    {CL_DB_ACTION, "action", 8, false},
    {CL_DB_RAG, "rag", 17, false},
    {CL_DB_MEASURE_DEF, "measure_def", 8, false},
    {CL_DB_AGENDA_NOTE, "agenda_note", 16, false},
    {CL_DB_HOLD, "hold", 8, true},
    {CL_DB_INTAKE, "intake", 8, false},
    {CL_DB_LINKING, "linking", 8, false},
    {CL_DB_FLAG_LOG, "flag_log", 16, false},
    {CL_DB_MEETING, "meeting", 8, false},
    {CL_DB_RECORD_HISTORY, "record_history", 12, false},
};

/* Row i's key: the last byte counts rows, so rows 1..3 share every group
 * prefix up to the key's length - 1. */
static void s_counted_key(uint8_t *k, size_t len, uint8_t i)
{
    memset(k, 'k', len);
    k[len - 1] = i;
}

static int s_counted_put(cl_store *s, cl_db db, size_t len, uint8_t i,
                         const char *what)
{
    cl_txn *t = NULL;
    uint8_t k[32];
    s_counted_key(k, len, i);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    int rc =
        cl_store_put(t, db, k, len, (const uint8_t *)what, strlen(what) + 1);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    return rc;
}

static int s_counted_get(cl_store *s, cl_db db, size_t len, uint8_t i)
{
    cl_txn *t = NULL;
    uint8_t k[32], buf[64];
    size_t n;
    s_counted_key(k, len, i);
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    int rc = cl_store_get(t, db, k, len, buf, sizeof(buf), &n);
    cl_store_abort(&t);
    return rc;
}

static int s_counted_verify(cl_store *s, char *why, size_t cap)
{
    cl_txn *t = NULL;
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    int rc = cl_store_verify(t, why, cap);
    cl_store_abort(&t);
    return rc;
}

/* For every table: three rows written, a copy of the file kept, row 2
 * rewritten; then (a) row 2 put back from the copy, (b) row 2 deleted,
 * each on a fresh copy: verify names the table, and a get of the row
 * fails where it is its own group (and a get that finds nothing fails
 * where the deletion emptied its place). */
static void test_every_counted_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_counted) / sizeof(s_counted[0]); i++) {
        cl_db db = s_counted[i].db;
        size_t len = s_counted[i].key_len;
        char dir[256], live[300], old[300], fresh[300], why[256];
        uint8_t mk[CL_MASTER_KEY_LEN], k[32];
        cl_store *s = NULL;
        th_tmpdir(dir, sizeof(dir));
        snprintf(live, sizeof(live), "%s/live", dir);
        snprintf(old, sizeof(old), "%s/old", dir);
        snprintf(fresh, sizeof(fresh), "%s/fresh", dir);
        memset(mk, 5, sizeof(mk));
        assert_int_equal(th_sh("mkdir '%s'", fresh), 0);
        assert_int_equal(cl_store_open(&s, fresh, mk, 1 << 22), CL_OK);
        for (uint8_t r = 1; r <= 3; r++)
            assert_int_equal(s_counted_put(s, db, len, r, "in force"), CL_OK);
        cl_store_close(&s);
        assert_int_equal(th_sh("cp -a '%s' '%s'", fresh, old), 0);
        assert_int_equal(cl_store_open(&s, fresh, mk, 1 << 22), CL_OK);
        assert_int_equal(s_counted_put(s, db, len, 2, "withdrawn"), CL_OK);
        assert_int_equal(s_counted_verify(s, why, sizeof(why)), CL_OK);
        cl_store_close(&s);
        for (int how = 0; how < 2; how++) {
            assert_int_equal(
                th_sh("rm -rf '%s' && cp -a '%s' '%s'", live, fresh, live), 0);
            s_counted_key(k, len, 2);
            if (how == 0) {
                assert_int_equal(s_raw_roll_back(old, live, s_counted[i].name),
                                 3);
            } else {
                s_raw r;
                MDB_val key = {len, k};
                assert_int_equal(s_raw_open(&r, live, s_counted[i].name), 0);
                assert_int_equal(mdb_del(r.txn, r.dbi, &key, NULL), 0);
                s_raw_close(&r);
            }
            assert_int_equal(cl_store_open(&s, live, mk, 1 << 22), CL_OK);
            why[0] = '\0';
            if (s_counted_verify(s, why, sizeof(why)) != CL_ERR_CORRUPT ||
                !strstr(why, s_counted[i].name))
                fail_msg("%s: %s not reported by verify (%s)",
                         s_counted[i].name,
                         how ? "a deleted row" : "a rollback", why);
            if (how == 1 || s_counted[i].own_group)
                assert_int_equal(s_counted_get(s, db, len, 2), CL_ERR_CORRUPT);
            cl_store_close(&s);
        }
        th_sh("rm -rf '%s'", dir);
    }
}

/* The regroup at open builds a table's digests from its rows when the
 * store's mark (meta "ixgroups", plain) says it was not grouped: whoever
 * edits the mark after deleting a row must not have the deletion
 * forgiven. */
static void test_group_mark_edited(void **state)
{
    (void)state;
    char dir[256], why[256];
    uint8_t mk[CL_MASTER_KEY_LEN], k[32], mark[2048];
    cl_store *s = NULL;
    th_tmpdir(dir, sizeof(dir));
    memset(mk, 6, sizeof(mk));
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    for (uint8_t r = 1; r <= 3; r++)
        assert_int_equal(s_counted_put(s, CL_DB_FLAG_LOG, 16, r, "shown"),
                         CL_OK);
    cl_store_close(&s);
    s_raw r;
    MDB_val key = {16, k}, mk_key = {8, "ixgroups"}, v;
    s_counted_key(k, 16, 2);
    assert_int_equal(s_raw_open(&r, dir, "flag_log"), 0);
    assert_int_equal(mdb_del(r.txn, r.dbi, &key, NULL), 0);
    s_raw_close(&r);
    assert_int_equal(s_raw_open(&r, dir, "meta"), 0);
    assert_int_equal(mdb_get(r.txn, r.dbi, &mk_key, &v), 0);
    assert_true(v.mv_size < sizeof(mark));
    memcpy(mark, v.mv_data, v.mv_size);
    mark[v.mv_size] = '\0';
    char *at = strstr((char *)mark, "flag_log=6;");
    assert_non_null(at);
    memmove(at, at + 11, strlen(at + 11) + 1);
    v.mv_size = strlen((char *)mark);
    v.mv_data = mark;
    assert_int_equal(mdb_put(r.txn, r.dbi, &mk_key, &v, 0), 0);
    s_raw_close(&r);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    why[0] = '\0';
    assert_int_equal(s_counted_verify(s, why, sizeof(why)), CL_ERR_CORRUPT);
    assert_non_null(strstr(why, "flag_log"));
    cl_store_close(&s);
    th_sh("rm -rf '%s'", dir);
}

/* What users are shown of the scene, each through a blind index: the
 * police's flag check (NHS numbers), the mother's view with its plan,
 * children's services' mailbox (keyed by its agency's blind index), the
 * coordinator's audit trail by named user. */
typedef struct s_seen {
    size_t flags, plans, inbox, by_user;
} s_seen;

static s_seen s_look(th_daemon *d)
{
    s_seen w;
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    cl_user u;
    assert_int_equal(s_flags(d, &w.flags), CL_OK);
    assert_int_equal(s_view(d, &w.plans), CL_STATUS_OK);
    cl_client *ch = th_client(d, "childrens");
    q->kind = CL_REQ_INBOX_RECEIVE;
    q->u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(s_call(ch, q, &rep), CL_STATUS_OK);
    w.inbox = rep.u.deliveries.n;
    cl_reply_clear(&rep);
    cl_client_close(&ch);
    assert_true(th_user(d, "coordinator", &u));
    cl_client *au = th_client(d, "auditor");
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(q->u.person_ref.user_id, u.id);
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    w.by_user = rep.u.entries.n;
    cl_reply_clear(&rep);
    cl_client_close(&au);
    free(q);
    return w;
}

/* The referrals on the mother's case. */
static size_t s_referrals(th_daemon *d)
{
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS_MUM, &rep), CL_STATUS_OK);
    size_t n = rep.u.person.n_referrals;
    cl_reply_clear(&rep);
    cl_client_close(&co);
    return n;
}

/* The police publish ref under POL-T2's message id: the status. */
static int s_publish_fixed(th_daemon *d, const char *ref)
{
    cl_client *police = th_client(d, "police");
    cl_request *q = th_referral(ref, "Kerry", "Brown", "1990-02-03", NHS_MUM);
    cl_client_msgid_from(q->msgid, "test_tamper", "POL-T2");
    int st = th_publish(police, q, NULL);
    free(q);
    cl_client_close(&police);
    return st;
}

/* `caselinkd --rekey-indexes` moves every blind index the scene wrote
 * (identifiers, blocking keys, the mailbox's agency, the audit's users,
 * agency references, alerted agencies, replay records, flag notice
 * windows): after it every lookup finds what it found before, a resent
 * message id is answered as the same message, the plan is withdrawn by
 * its reference, and the store verifies (test_rekey has the attacks). */
static void test_lookups_after_rekey(void **state)
{
    th_daemon *d = *state;
    char out[320];
    s_scene(d);
    assert_int_equal(s_publish_fixed(d, "POL-T2"), CL_STATUS_OK);
    s_seen before = s_look(d);
    assert_true(before.flags == 1 && before.plans == 1 && before.inbox >= 2 &&
                before.by_user >= 1);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    snprintf(out, sizeof(out), "%s/rekey.txt", d->dir);
    assert_int_equal(th_sh("%s --dev %s --rekey-indexes > %s 2>&1",
                           CL_CASELINKD_PATH, d->dir, out),
                     0);
    th_start(d, NULL);
    s_seen after = s_look(d);
    assert_int_equal(after.flags, before.flags);
    assert_int_equal(after.plans, before.plans);
    /* the flag check's notice window is found again: no second notice */
    assert_int_equal(after.inbox, before.inbox);
    assert_true(after.by_user > before.by_user); /* one more view */
    /* the replay record is found under the moved blind index: the same
     * message is the same, another under its id is refused */
    assert_int_equal(s_publish_fixed(d, "POL-T2"), CL_STATUS_DUPLICATE);
    assert_int_equal(s_publish_fixed(d, "POL-T3"), CL_STATUS_INVALID);
    /* the agency reference: POL-T1 published again under a new message
     * id is known as the same referral */
    cl_client *police = th_client(d, "police");
    cl_request *q1 =
        th_referral("POL-T1", "Kerry", "Brown", "1990-02-03", NHS_MUM);
    assert_int_equal(th_publish(police, q1, NULL), CL_STATUS_DUPLICATE);
    free(q1);
    cl_client_close(&police);
    /* the blocking keys: a GP referral without an NHS number is matched
     * to her by name and date of birth */
    assert_int_equal(s_referrals(d), 2);
    cl_client *gp = th_client(d, "gp");
    cl_request *q = th_referral("GP-T4", "Kerry", "Brown", "1990-02-03", NULL);
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&gp);
    assert_int_equal(s_referrals(d), 3);
    s_withdraw(d);
    size_t n = 9;
    assert_int_equal(s_flags(d, &n), CL_OK);
    assert_int_equal(n, 0);
    assert_true(s_verify(d).intact);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_counted_table),
        cmocka_unit_test(test_group_mark_edited),
        cmocka_unit_test_setup_teardown(test_deleted_value_rows_detected,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_rolled_back_plan_detected,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_consistent_rollback_detected,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_mailbox_counters_authenticated,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_lookups_after_rekey,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
