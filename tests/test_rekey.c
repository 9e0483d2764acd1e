/*
 * test_rekey: replacing the master key (caselink admin rotate-master) on
 * the real daemon and a real store: bad input refused naming the fix; the
 * old key refused after; every value, index row and audit entry readable
 * with the new one; a crash after the commit but before the operator moved
 * the key file leaves the one usable key where the daemon looks; a
 * replacement that never committed leaves the old one; re-sealing moves
 * every value to the data key drawn from fresh randomness, and the
 * versions before it can be retired.
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

#include "harness.h"
#include "store.h"

#ifndef CL_CASELINKD_PATH
#error "CL_CASELINKD_PATH must name the daemon binary"
#endif

static const char *NHS = "9434765919";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(c, req, rep), CL_OK);
    return (int)rep->status;
}

/* admin rotate-master (or key-status) as client name; the reply kept. */
static int s_admin(th_daemon *d, const char *name, cl_req_kind kind,
                   cl_reply *rep)
{
    cl_client *c = th_client(d, name);
    cl_request *req = calloc(1, sizeof(*req));
    req->kind = kind;
    int st = s_call(c, req, rep);
    free(req);
    cl_client_close(&c);
    return st;
}

/* A new random master key at path (64 hex digits, mode 0600). */
static void s_new_key(const char *path)
{
    unlink(path);
    assert_int_equal(cl_store_key_generate(path), CL_OK);
}

/* The person's case opens with her referral, and the audit verifies. */
static void s_all_there(th_daemon *d)
{
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_referrals, 2);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_client *au = th_client(d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    req->kind = CL_REQ_AUDIT_VERIFY;
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_true(rep.u.verify.intact);
    assert_true(rep.u.verify.entries >= 3);
    cl_reply_clear(&rep);
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_true(rep.u.entries.n >= 3); /* two publishes and a view */
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);
}

static int s_count(void *ctx, const uint8_t *key, size_t len)
{
    (void)key;
    (void)len;
    (*(size_t *)ctx)++;
    return CL_OK;
}

/* Open the stopped daemon's store with the key in key_file: CL_ERR_KEY,
 * or CL_OK with every value of every sealed sub-database opened, every
 * index row authenticated (cl_store_verify), *old_values counting those
 * still sealed under a version below `current`. */
static int s_open_all(const th_daemon *d, const char *key_file,
                      uint32_t current, uint64_t *old_values)
{
    char state[300], why[256];
    uint8_t key[CL_MASTER_KEY_LEN];
    cl_store *st = NULL;
    cl_txn *t = NULL;
    snprintf(state, sizeof(state), "%s/state", d->dir);
    assert_int_equal(cl_store_key_load(key, key_file, why, sizeof(why)), CL_OK);
    int rc = cl_store_open(&st, state, key, 64u << 20);
    sodium_memzero(key, sizeof(key));
    if (rc != CL_OK)
        return rc;
    assert_int_equal(cl_store_begin(&t, st, NULL, false), CL_OK);
    assert_int_equal(cl_store_verify(t, why, sizeof(why)), CL_OK);
    cl_store_key_use use[CL_STORE_KEY_VERSIONS];
    size_t n_use = 0;
    assert_int_equal(cl_store_key_usage(t, use, &n_use), CL_OK);
    *old_values = 0;
    for (size_t i = 0; i < n_use; i++)
        if (use[i].version < current)
            *old_values += use[i].values;
    size_t n = 0;
    assert_int_equal(cl_store_scan(t, CL_DB_REFERRAL, NULL, 0, s_count, &n),
                     CL_OK);
    assert_int_equal(n, 2);
    cl_store_abort(&t);
    cl_store_close(&st);
    return CL_OK;
}

/* Start the daemon on d's folder as it is; its exit status within 10 s
 * (124: still running, the store opened). */
static int s_start_fails(th_daemon *d, const char *out)
{
    return th_sh("timeout 10 %s --dev %s > %s 2>&1", CL_CASELINKD_PATH, d->dir,
                 out);
}

static void s_publish(th_daemon *d, const char *ref)
{
    cl_client *gp = th_client(d, "gp");
    cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", NHS);
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&gp);
}

/* Refused, each with the fix: no new key yet, the new key being the one
 * in use, a role other than the operator's. Nothing changes. */
static void test_rotate_master_bad_input(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char key[300], next[320];
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(next, sizeof(next), "%s.next", key);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, next));
    assert_non_null(strstr(rep.error, "put the new master key there"));
    cl_reply_clear(&rep);
    assert_int_equal(th_sh("cp -p %s %s", key, next), 0);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "is the key in use"));
    cl_reply_clear(&rep);
    s_new_key(next);
    assert_int_equal(
        s_admin(d, "coordinator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
        CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_KEY_STATUS, &rep),
                     CL_STATUS_OK);
    assert_int_equal(rep.u.key_status.current, 1);
    cl_reply_clear(&rep);
    /* still the old key */
    assert_int_equal(th_stop(d, SIGTERM), 0);
    unlink(next);
    th_start(d, NULL);
}

static void test_rotate_master(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char key[300], next[320], old[320], out[320];
    uint64_t old_values = 0;
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(next, sizeof(next), "%s.next", key);
    snprintf(old, sizeof(old), "%s.old", key);
    snprintf(out, sizeof(out), "%s/start.txt", d->dir);
    s_publish(d, "GP-K1");
    s_publish(d, "GP-K2");
    s_all_there(d);
    assert_int_equal(th_sh("cp -p %s %s", key, old), 0);
    s_new_key(next);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_OK);
    assert_int_equal(rep.u.key_status.current, 2);
    cl_reply_clear(&rep);
    assert_true(th_file_contains(d->log, "master key replaced"));
    /* a second one before the file was moved is refused */
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "not finished"));
    cl_reply_clear(&rep);
    /* re-sealing in the background moves every value to version 2 */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_KEY_STATUS, &rep),
                         CL_STATUS_OK);
        uint64_t pending = rep.u.key_status.pending;
        cl_reply_clear(&rep);
        if (!pending)
            break;
        usleep(50000);
    }
    s_all_there(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);

    /* the crash before the operator moved the file: master.key holds the
     * old key, .next the new; the daemon opens with .next and says so */
    assert_int_equal(s_open_all(d, key, 2, &old_values), CL_ERR_KEY);
    assert_int_equal(s_open_all(d, next, 2, &old_values), CL_OK);
    assert_int_equal(old_values, 0);
    th_start(d, NULL);
    assert_true(th_file_contains(d->log, "no longer opens the store"));
    s_all_there(d);
    /* the versions before the new one hold nothing: retire them */
    cl_client *op = th_client(d, "operator");
    cl_request *req = calloc(1, sizeof(*req));
    req->kind = CL_REQ_ADMIN_RETIRE_KEY;
    req->u.key_version = 1;
    assert_int_equal(s_call(op, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&op);
    assert_int_equal(th_stop(d, SIGTERM), 0);

    /* the operator moves the file: the new key opens it, the old never */
    assert_int_equal(th_sh("mv %s %s", next, key), 0);
    th_start(d, NULL);
    s_all_there(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_int_equal(th_sh("cp -p %s %s", old, key), 0);
    int st = s_start_fails(d, out);
    assert_true(st != 0 && st != 124);
    assert_true(th_file_contains(out, "the master key does not open"));
    assert_int_equal(th_sh("cp -p %s %s", old, next), 0); /* nor as .next */
    st = s_start_fails(d, out);
    assert_true(st != 0 && st != 124);
    assert_int_equal(s_open_all(d, old, 2, &old_values), CL_ERR_KEY);
}

/* Wait for re-sealing to leave nothing under older versions, then retire
 * every older version from *from on; the reply's current version (and
 * *from becomes it). Key status lists a version with no values only when
 * it is current or retired, so the caller keeps count. */
static uint32_t s_reseal_and_retire(th_daemon *d, uint32_t *from)
{
    cl_reply rep;
    uint64_t pending = 1;
    for (int i = 0; i < 400 && pending; i++) {
        assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_KEY_STATUS, &rep),
                         CL_STATUS_OK);
        pending = rep.u.key_status.pending;
        if (pending) {
            cl_reply_clear(&rep);
            usleep(20000);
        }
    }
    assert_int_equal(pending, 0);
    uint32_t current = rep.u.key_status.current;
    cl_reply_clear(&rep);
    cl_client *op = th_client(d, "operator");
    cl_request *req = calloc(1, sizeof(*req));
    for (uint32_t v = *from; v < current; v++) {
        req->kind = CL_REQ_ADMIN_RETIRE_KEY;
        req->u.key_version = v;
        assert_int_equal(s_call(op, req, &rep), CL_STATUS_OK);
        cl_reply_clear(&rep);
    }
    *from = current;
    free(req);
    cl_client_close(&op);
    return current;
}

/* "An operator used them all in a loop": the master key replaced 40
 * times over on a store with referrals, each time re-sealed, the older
 * versions retired and the key file moved, with restarts along the way;
 * every read, the audit chain and every index row hold throughout, the
 * 41st key alone opens the store and none of the 40 before it does. 16
 * replacements without retiring are refused with the fix, and go on once
 * the operator retires. */
static void test_rotate_master_loop(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char key[300], next[320], kept[340];
    uint64_t old_values = 1;
    uint32_t from = 1;
    enum { ROUNDS = 40 };
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(next, sizeof(next), "%s.next", key);
    s_publish(d, "GP-L1");
    s_publish(d, "GP-L2");
    s_all_there(d);
    for (int r = 1; r <= ROUNDS; r++) {
        snprintf(kept, sizeof(kept), "%s.%d", key, r);
        assert_int_equal(th_sh("cp -p %s %s", key, kept), 0);
        s_new_key(next);
        int st = s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep);
        if (st != CL_STATUS_OK)
            fail_msg("round %d: %s", r, rep.error);
        assert_int_equal(rep.u.key_status.current, (uint32_t)r + 1);
        cl_reply_clear(&rep);
        assert_int_equal(s_reseal_and_retire(d, &from), (uint32_t)r + 1);
        assert_int_equal(th_sh("mv %s %s", next, key), 0);
        if (r % 10 == 0) { /* a restart now and then, and the reads */
            assert_int_equal(th_stop(d, SIGTERM), 0);
            th_start(d, NULL);
            s_all_there(d);
        }
    }
    s_all_there(d);
    /* without retiring, 16 versions live at most: the 16th is refused
     * naming the version to retire, and goes once it is */
    for (int i = 0; i < CL_STORE_KEY_VERSIONS - 1; i++) {
        cl_client *op = th_client(d, "operator");
        cl_request *req = calloc(1, sizeof(*req));
        req->kind = CL_REQ_ADMIN_ROTATE_KEY;
        assert_int_equal(s_call(op, req, &rep), CL_STATUS_OK);
        cl_reply_clear(&rep);
        free(req);
        cl_client_close(&op);
    }
    s_new_key(next);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_INVALID);
    char want[64];
    snprintf(want, sizeof(want), "retire version %d first", ROUNDS + 1);
    assert_non_null(strstr(rep.error, want));
    cl_reply_clear(&rep);
    uint32_t cur = s_reseal_and_retire(d, &from);
    assert_int_equal(cur, ROUNDS + CL_STORE_KEY_VERSIONS);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_OK);
    assert_int_equal(rep.u.key_status.current, cur + 1);
    cl_reply_clear(&rep);
    assert_int_equal(s_reseal_and_retire(d, &from), cur + 1);
    assert_int_equal(th_sh("mv %s %s", next, key), 0);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, NULL);
    s_all_there(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_int_equal(s_open_all(d, key, cur + 1, &old_values), CL_OK);
    assert_int_equal(old_values, 0);
    for (int r = 1; r <= ROUNDS; r++) {
        snprintf(kept, sizeof(kept), "%s.%d", key, r);
        assert_int_equal(s_open_all(d, kept, cur + 1, &old_values), CL_ERR_KEY);
    }
    th_start(d, NULL);
}

/* The first checkpoint in a witness file (through its signature line),
 * and the hex public key of the last one; how many there are. */
static int s_checkpoints(const char *path, char *first, size_t cap,
                         char last_key[65])
{
    FILE *f = fopen(path, "r");
    char line[512];
    size_t used = 0;
    int n = 0;
    first[0] = last_key[0] = '\0';
    while (f && fgets(line, sizeof(line), f)) {
        if (n == 0 && used + strlen(line) < cap) {
            memcpy(first + used, line, strlen(line) + 1);
            used += strlen(line);
        }
        if (!strncmp(line, "key: ", 5))
            snprintf(last_key, 65, "%.64s", line + 5);
        n += !strncmp(line, "signature: ", 11);
    }
    if (f)
        fclose(f);
    return n;
}

/* The checkpoint signing key a master key derives, before any
 * replacement: hex public key. */
static void s_derived_pk(const char *key_file, char hex[65])
{
    uint8_t mk[CL_MASTER_KEY_LEN], seed[crypto_sign_SEEDBYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char why[256];
    assert_int_equal(cl_store_key_load(mk, key_file, why, sizeof(why)), CL_OK);
    crypto_kdf_derive_from_key(seed, sizeof(seed), 1, "cl-audit", mk);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_bin2hex(hex, 65, pk, sizeof(pk));
    sodium_memzero(mk, sizeof(mk));
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(sk, sizeof(sk));
}

/* A replacement draws a new checkpoint signing key: the key a former
 * master key derives signs nothing from then on (whoever holds it cannot
 * forge a checkpoint of today's log), while a checkpoint shipped before
 * the replacement still verifies against the log. */
static void test_signing_key_replaced(void **state)
{
    (void)state;
    th_daemon d = {0};
    char conf[512], shipped[300], key[300], next[320], old[320];
    char first[2048], last[65], derived[65];
    cl_reply rep;
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(shipped, sizeof(shipped), "%s/witness.txt", d.dir);
    snprintf(conf, sizeof(conf), "[audit]\ncheckpoint_command = cat >> %s\n",
             shipped);
    th_start(&d, conf);
    snprintf(key, sizeof(key), "%s/master.key", d.dir);
    snprintf(next, sizeof(next), "%s.next", key);
    snprintf(old, sizeof(old), "%s.old", key);
    for (int i = 0;
         i < 500 && s_checkpoints(shipped, first, sizeof(first), last) < 1; i++)
        usleep(10000);
    s_publish(&d, "GP-C1");
    s_derived_pk(key, derived);
    assert_int_equal(s_checkpoints(shipped, first, sizeof(first), last), 1);
    assert_string_equal(last, derived); /* before: the derived key */
    assert_int_equal(th_sh("cp -p %s %s", key, old), 0);
    s_new_key(next);
    assert_int_equal(s_admin(&d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_OK);
    cl_reply_clear(&rep);
    assert_int_equal(th_sh("mv %s %s", next, key), 0);
    s_publish(&d, "GP-C2");
    assert_int_equal(th_stop(&d, SIGTERM), 0); /* ships one at stop */
    th_start(&d, NULL);
    for (int i = 0;
         i < 500 && s_checkpoints(shipped, first, sizeof(first), last) < 3; i++)
        usleep(10000);
    assert_int_equal(s_checkpoints(shipped, first, sizeof(first), last), 3);
    if (!strcmp(last, derived))
        fail_msg("checkpoints after the replacement are still signed with "
                 "the key the former master key derives");
    /* the one shipped before still verifies: a former key of this store */
    cl_client *au = th_client(&d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    req->kind = CL_REQ_AUDIT_VERIFY;
    CL_COPY(req->u.checkpoint, first);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    if (!rep.u.verify.intact)
        fail_msg("a checkpoint from before the replacement: %s",
                 rep.u.verify.problem);
    assert_true(rep.u.verify.checkpoint_ok);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* A replacement whose transaction never committed (the daemon died, or
 * the batch failed): the store opens with the old key only, and the keys
 * in memory are as before, so what is written next stays readable. */
static void test_rekey_not_committed(void **state)
{
    (void)state;
    char dir[256];
    uint8_t k1[CL_MASTER_KEY_LEN], k2[CL_MASTER_KEY_LEN], v[8];
    size_t len;
    uint32_t ver;
    cl_store *st = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    randombytes_buf(k1, sizeof(k1));
    randombytes_buf(k2, sizeof(k2));
    assert_int_equal(cl_store_open(&st, dir, k1, 16u << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    assert_int_equal(cl_store_rekey(t, k2, &ver), CL_OK);
    assert_int_equal(ver, 2);
    assert_int_equal(cl_store_rekey(t, k2, &ver), CL_ERR_EXISTS);
    cl_store_abort(&t);
    /* written after the abort: under the old keys */
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_PERSON, (const uint8_t *)"person01",
                                  8, (const uint8_t *)"value", 5),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(cl_store_key_version(st), 1);
    cl_store_close(&st);
    assert_int_equal(cl_store_open(&st, dir, k2, 16u << 20), CL_ERR_KEY);
    assert_int_equal(cl_store_open(&st, dir, k1, 16u << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, st, NULL, false), CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_PERSON, (const uint8_t *)"person01",
                                  8, v, sizeof(v), &len),
                     CL_OK);
    cl_store_abort(&t);
    /* and committed: the new key only, the value still there */
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    assert_int_equal(cl_store_rekey(t, k2, &ver), CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_PERSON, (const uint8_t *)"person02",
                                  8, (const uint8_t *)"value", 5),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&st);
    assert_int_equal(cl_store_open(&st, dir, k1, 16u << 20), CL_ERR_KEY);
    assert_int_equal(cl_store_open(&st, dir, k2, 16u << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, st, NULL, false), CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_PERSON, (const uint8_t *)"person01",
                                  8, v, sizeof(v), &len),
                     CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_PERSON, (const uint8_t *)"person02",
                                  8, v, sizeof(v), &len),
                     CL_OK);
    cl_store_abort(&t);
    assert_int_equal(cl_store_key_version(st), 2);
    cl_store_close(&st);
    sodium_memzero(k1, sizeof(k1));
    sodium_memzero(k2, sizeof(k2));
    th_sh("rm -rf %s", dir);
}

/* --- re-indexing (caselinkd --rekey-indexes) ----------------------------- */

/* The blind index of NHS that whoever holds the key in key_file and the
 * store in state (a copy of the file from before) computes: the index
 * key and the generation that copy of the file opens with it. */
static void s_blind_of(const char *state, const char *key_file,
                       uint8_t out[CL_BLIND_LEN])
{
    char why[256];
    char v[16];
    uint8_t key[CL_MASTER_KEY_LEN];
    cl_store *st = NULL;
    assert_int_equal(cl_store_key_load(key, key_file, why, sizeof(why)), CL_OK);
    assert_int_equal(cl_store_open(&st, state, key, 64u << 20), CL_OK);
    sodium_memzero(key, sizeof(key));
    int n = snprintf(v, sizeof(v), "%s%c", NHS, 0);
    cl_store_blind(st, out, "nhs", (const uint8_t *)v, (size_t)n);
    cl_store_close(&st);
}

/* How many blind index rows the stopped daemon's store holds under b
 * (opened with key_file); *gen its index generation. */
static size_t s_rows_under(const th_daemon *d, const char *key_file,
                           const uint8_t b[CL_BLIND_LEN], uint32_t *gen)
{
    char state[300], why[256];
    uint8_t key[CL_MASTER_KEY_LEN];
    cl_store *st = NULL;
    cl_txn *t = NULL;
    size_t n = 0;
    bool current = false;
    snprintf(state, sizeof(state), "%s/state", d->dir);
    assert_int_equal(cl_store_key_load(key, key_file, why, sizeof(why)), CL_OK);
    assert_int_equal(cl_store_open(&st, state, key, 64u << 20), CL_OK);
    sodium_memzero(key, sizeof(key));
    assert_int_equal(cl_store_begin(&t, st, NULL, false), CL_OK);
    if (cl_store_verify(t, why, sizeof(why)) != CL_OK)
        fail_msg("the store does not verify: %s", why);
    assert_int_equal(
        cl_store_scan(t, CL_DB_BLIND, b, CL_BLIND_LEN, s_count, &n), CL_OK);
    cl_store_abort(&t);
    *gen = cl_store_index_generation(st, &current);
    cl_store_close(&st);
    return n;
}

/* caselinkd --dev d->dir --rekey-indexes (the daemon stopped), its output
 * in out; the exit status. env: variables to set first ("" for none). */
static int s_rekey(const th_daemon *d, const char *env, const char *out)
{
    return th_sh("%s timeout 60 %s --dev %s --rekey-indexes > %s 2>&1", env,
                 CL_CASELINKD_PATH, d->dir, out);
}

/* One master key replacement on the running daemon, re-sealed, version
 * *from and later retired, the key file moved; the former key kept at
 * kept. */
static void s_replace(th_daemon *d, uint32_t *from, const char *kept)
{
    char key[300], next[320];
    cl_reply rep;
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(next, sizeof(next), "%s.next", key);
    assert_int_equal(th_sh("cp -p %s %s", key, kept), 0);
    s_new_key(next);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_OK);
    cl_reply_clear(&rep);
    (void)s_reseal_and_retire(d, from);
    assert_int_equal(th_sh("mv %s %s", next, key), 0);
}

/* The person's id, as the coordinator's view by NHS number shows it. */
static void s_person_id(th_daemon *d, char *id, size_t cap, size_t *n_refs)
{
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_OK);
    snprintf(id, cap, "%s", rep.u.person.person_id);
    *n_refs = rep.u.person.n_referrals;
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

/* After a master key replacement the former key, with a copy of the
 * file from before it, still finds the person's NHS number in the blind
 * indexes of the current file (the brute force of the threat model) until
 * `caselinkd --rekey-indexes` moves the index keys to a generation it
 * cannot derive; then it finds nothing, while the daemon still finds,
 * links and shows everything as before and the audit verifies. Twice:
 * from generation 0 (keys from the root) and from generation 1 (the
 * permutation undone and redone). */
static void test_rekey_indexes(void **state)
{
    th_daemon *d = *state;
    char key[300], kept[320], before[320], out[320], id0[64], id1[64];
    uint8_t b[CL_BLIND_LEN];
    uint32_t from = 1, gen = 9;
    size_t refs = 0;
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(out, sizeof(out), "%s/rekey.txt", d->dir);
    s_publish(d, "GP-X1");
    s_publish(d, "GP-X2");
    s_all_there(d);
    s_person_id(d, id0, sizeof(id0), &refs);
    for (uint32_t round = 1; round <= 2; round++) {
        /* what a former key's holder kept: the key and a copy of the file */
        snprintf(kept, sizeof(kept), "%s.old%u", key, round);
        snprintf(before, sizeof(before), "%s/state.before%u", d->dir, round);
        assert_int_equal(th_stop(d, SIGTERM), 0);
        assert_int_equal(th_sh("cp -a %s/state %s", d->dir, before), 0);
        th_start(d, NULL);
        s_replace(d, &from, kept);
        assert_int_equal(th_stop(d, SIGTERM), 0);
        s_blind_of(before, kept, b);
        /* the gap: the replacement alone leaves the index keys as they were */
        assert_int_equal(s_rows_under(d, key, b, &gen), 1);
        assert_int_equal(gen, round - 1);
        assert_int_equal(s_rekey(d, "", out), 0);
        assert_true(th_file_contains(out, "rekey-indexes: done"));
        assert_int_equal(s_rows_under(d, key, b, &gen), 0);
        assert_int_equal(gen, round);
        th_start(d, NULL);
        s_all_there(d);
        s_person_id(d, id1, sizeof(id1), &refs);
        assert_string_equal(id1, id0);
        assert_int_equal(refs, 2);
    }
    /* a new referral with the number links to her through the moved index */
    s_publish(d, "GP-X3");
    s_person_id(d, id1, sizeof(id1), &refs);
    assert_string_equal(id1, id0);
    assert_int_equal(refs, 3);
}

/* Refused, each with the fix: while the daemon runs (the store open in
 * another process), and while a replacement is not finished (.next not
 * moved over the key file). Nothing changes. rotate-master's log line and
 * the start log say the step is due, until it is done. */
static void test_rekey_refused(void **state)
{
    th_daemon *d = *state;
    char key[300], next[320], out[320];
    cl_reply rep;
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(next, sizeof(next), "%s.next", key);
    snprintf(out, sizeof(out), "%s/rekey.txt", d->dir);
    s_publish(d, "GP-R1");
    assert_int_equal(s_rekey(d, "", out), 1);
    assert_true(th_file_contains(out, "caselinkd is running"));
    s_new_key(next);
    assert_int_equal(s_admin(d, "operator", CL_REQ_ADMIN_ROTATE_MASTER, &rep),
                     CL_STATUS_OK);
    cl_reply_clear(&rep);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_int_equal(s_rekey(d, "", out), 1);
    assert_true(th_file_contains(out, "replacement is not finished"));
    assert_true(th_file_contains(d->log, "run caselinkd --rekey-indexes"));
    /* the start log says the step is due, until it is done */
    assert_int_equal(th_sh("mv %s %s", next, key), 0);
    th_start(d, NULL);
    assert_true(th_file_contains(d->log, "derive from a former master key"));
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_int_equal(s_rekey(d, "", out), 0);
    assert_int_equal(th_sh(": > %s", d->log), 0);
    th_start(d, NULL);
    assert_false(th_file_contains(d->log, "derive from a former master key"));
}

/* kill -9 in the middle of the rewrite, at several points (after the
 * first row, further in, just before the commit): each time the store
 * opens with the old generation complete (it verifies, the old blind
 * index finds the person); then a run to the end moves it. */
static void test_rekey_killed(void **state)
{
    th_daemon *d = *state;
    static const char *const at[] = {"1", "7", "40", "commit"};
    char key[300], out[320], env[128], pidf[320], state_dir[300];
    uint8_t b[CL_BLIND_LEN];
    uint32_t gen = 9;
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(out, sizeof(out), "%s/rekey.txt", d->dir);
    snprintf(pidf, sizeof(pidf), "%s/rekey.pid", d->dir);
    snprintf(state_dir, sizeof(state_dir), "%s/state", d->dir);
    s_publish(d, "GP-D1");
    s_publish(d, "GP-D2");
    s_all_there(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    s_blind_of(state_dir, key, b);
    for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
        snprintf(env, sizeof(env), "CASELINKD_FAULT_REKEY_STALL=%s", at[i]);
        unlink(out); /* never the line of the run before */
        assert_int_equal(th_sh("%s %s --dev %s --rekey-indexes > %s 2>&1 & "
                               "echo $! > %s",
                               env, CL_CASELINKD_PATH, d->dir, out, pidf),
                         0);
        for (int w = 0; w < 6000 && !th_file_contains(out, "stalled at"); w++)
            usleep(10000);
        if (!th_file_contains(out, "stalled at")) {
            th_sh("kill -9 $(cat %s); cat %s >&2", pidf, out);
            fail_msg("kill point %s: not reached in 60 s", at[i]);
        }
        assert_int_equal(th_sh("kill -9 $(cat %s)", pidf), 0);
        for (int w = 0;
             w < 500 && th_sh("kill -0 $(cat %s) 2>/dev/null", pidf) == 0; w++)
            usleep(10000);
        assert_int_equal(s_rows_under(d, key, b, &gen), 1);
        assert_int_equal(gen, 0);
    }
    assert_int_equal(s_rekey(d, "", out), 0);
    assert_int_equal(s_rows_under(d, key, b, &gen), 0);
    assert_int_equal(gen, 1);
    th_start(d, NULL);
    s_all_there(d);
}

/* Put (val not NULL) or delete a row straight in the stopped daemon's
 * LMDB file, as whoever holds the file can. */
static void s_raw(const th_daemon *d, const char *db, const uint8_t *key,
                  size_t key_len, const uint8_t *val, size_t val_len)
{
    char state[300];
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    snprintf(state, sizeof(state), "%s/state", d->dir);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 64), 0);
    assert_int_equal(mdb_env_set_mapsize(env, 64u << 20), 0);
    assert_int_equal(mdb_env_open(env, state, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {key_len, (void *)key}, v = {val_len, (void *)val};
    assert_int_equal(
        val ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* A key derived from the first master key (the store's root) the way the
 * store derives its generation-0 keys. */
static void s_root_key(const char *key_file, const char *ctx, uint8_t out[32])
{
    uint8_t mk[CL_MASTER_KEY_LEN];
    char why[256];
    assert_int_equal(cl_store_key_load(mk, key_file, why, sizeof(why)), CL_OK);
    crypto_kdf_derive_from_key(out, 32, 1, ctx, mk);
    sodium_memzero(mk, sizeof(mk));
}

/* The activity row (last activity 1 || person 1) whoever holds the first
 * master key forges: key only, so its stored bytes are its tag. */
static const uint8_t S_FORGED[16] = {0, 0, 0, 0, 0, 0, 0, 1,
                                     0, 0, 0, 0, 0, 0, 0, 1};
static void s_forge_row(const th_daemon *d, const char *first)
{
    uint8_t mac[32], tag[16], kl[4] = {0, 0, 0, sizeof(S_FORGED)};
    crypto_generichash_state st;
    s_root_key(first, "cl-ixmac", mac);
    crypto_generichash_init(&st, mac, sizeof(mac), sizeof(tag));
    crypto_generichash_update(&st, (const uint8_t *)"activity", 9);
    crypto_generichash_update(&st, kl, 4);
    crypto_generichash_update(&st, S_FORGED, sizeof(S_FORGED));
    crypto_generichash_final(&st, tag, sizeof(tag));
    s_raw(d, "activity", S_FORGED, sizeof(S_FORGED), tag, sizeof(tag));
}

/* A replication batch whoever holds the first master key forges: it
 * puts the forged activity row, at the next place in the log, MAC'd with
 * the replication key that key derives. Applied to the stopped daemon's
 * store (opened with key_file): the outcome. */
static int s_forged_batch_applies(const th_daemon *d, const char *first,
                                  const char *key_file)
{
    char state[300], why[256];
    uint8_t rk[32], b[128], key[CL_MASTER_KEY_LEN];
    size_t n = 0;
    uint64_t seq = 0;
    cl_store *st = NULL;
    cl_txn *t = NULL;
    memcpy(b, "CLB1\0\0\0\1", 8); /* one record */
    n = 16;                       /* prev: below */
    b[n++] = 1;                   /* put */
    b[n++] = 8;
    memcpy(b + n, "activity", 8);
    n += 8;
    b[n++] = 0;
    b[n++] = sizeof(S_FORGED);
    memcpy(b + n, S_FORGED, sizeof(S_FORGED));
    n += sizeof(S_FORGED);
    memcpy(b + n, "\0\0\0\0", 4); /* an empty value */
    n += 4;
    snprintf(state, sizeof(state), "%s/state", d->dir);
    assert_int_equal(cl_store_key_load(key, key_file, why, sizeof(why)), CL_OK);
    assert_int_equal(cl_store_open(&st, state, key, 64u << 20), CL_OK);
    sodium_memzero(key, sizeof(key));
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    assert_int_equal(cl_store_applied(t, &seq), CL_OK);
    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(seq >> (8 * (7 - i)));
    s_root_key(first, "cl-repl_", rk);
    crypto_generichash(b + n, 32, b, n, rk, sizeof(rk));
    int rc = cl_store_apply(t, b, n + 32, seq + 1);
    cl_store_abort(&t); /* never kept */
    cl_store_close(&st);
    return rc;
}

/* Whoever holds the store's first master key (replaced since) forges an
 * index row and a replication batch with the keys it derives: after the
 * replacement alone both are taken as genuine (the row authenticates,
 * verify says intact; the batch applies); after `caselinkd
 * --rekey-indexes` the row is reported as tampering, by the store and by
 * the daemon's `audit verify`, and the batch is refused. */
static void test_old_keys_forge_nothing(void **state)
{
    th_daemon *d = *state;
    char key[300], first[320], out[320], why[256];
    uint8_t b[CL_BLIND_LEN] = {0};
    uint32_t from = 1, gen = 0;
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    snprintf(first, sizeof(first), "%s.first", key);
    snprintf(out, sizeof(out), "%s/rekey.txt", d->dir);
    s_publish(d, "GP-F1");
    s_publish(d, "GP-F2");
    s_replace(d, &from, first);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    /* the gap, before re-indexing */
    s_forge_row(d, first);
    (void)s_rows_under(d, key, b, &gen); /* verifies: the row passes */
    s_raw(d, "activity", S_FORGED, sizeof(S_FORGED), NULL, 0);
    assert_int_equal(s_forged_batch_applies(d, first, key), CL_OK);
    assert_int_equal(s_rekey(d, "", out), 0);
    assert_int_equal(s_forged_batch_applies(d, first, key), CL_ERR_CORRUPT);
    s_forge_row(d, first);
    th_start(d, NULL);
    cl_client *au = th_client(d, "auditor");
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    req->kind = CL_REQ_AUDIT_VERIFY;
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_false(rep.u.verify.intact);
    snprintf(why, sizeof(why), "%s", rep.u.verify.problem);
    if (!strstr(why, "activity"))
        fail_msg("verify: %s", why);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    s_raw(d, "activity", S_FORGED, sizeof(S_FORGED), NULL, 0);
    th_start(d, NULL);
    s_all_there(d);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rotate_master_bad_input,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_rotate_master, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_rotate_master_loop,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_signing_key_replaced),
        cmocka_unit_test(test_rekey_not_committed),
        cmocka_unit_test_setup_teardown(test_rekey_indexes, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_rekey_refused, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_rekey_killed, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_old_keys_forge_nothing,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
