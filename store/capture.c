/*
 * capture: each write transaction's physical changes as one batch
 * (replication), and applying a batch exactly once by its sequence.
 * Never sees plaintext: values are recorded as LMDB holds them.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl_vec.h"
#include "seal.h"
#include "store_int.h"
#include "wal.h"

/* --- change capture: helpers ---------------------------------------------
 *
 * A batch is "CLB1", a record count (u32, big-endian), the sequence it
 * must follow in the log (u64), then per record:
 *   op (1: put, 2: delete), sub-database name length (u8) and name,
 *   key length (u16) and key, and for a put the value length (u32) and the
 *   value exactly as LMDB holds it (sealed for sealed sub-databases);
 * last a 32-byte BLAKE2b MAC of all that under a key derived from the
 * master key ("cl-repl_"). Whoever may publish to the stream but holds no
 * master key can neither forge a batch (index rows and counters are not
 * sealed) nor replay a genuine one at another place in the log.
 * Sub-databases are named, not numbered, so a batch means the same to a
 * build that added sub-databases in another order.
 */

static const char s_applied_key[] = "repl:applied";

void cl_store_capture(cl_store *s, bool on)
{
    s->capture = on;
}

int cl_store_changes(cl_txn *t, uint64_t prev, const uint8_t **batch,
                     size_t *len, size_t *count)
{
    cl_store__capture *c = t->cap;
    if (t->parent || !t->write || !c)
        return CL_ERR_INVALID;
    int rc = cl_store__digest_flush(t); /* digests are changes too */
    if (rc != CL_OK)
        return rc;
    if (c->err)
        return c->err;
    *count = c->count;
    return cl_store__capture_finish(t, prev, batch, len);
}

int cl_store_applied(cl_txn *t, uint64_t *seq)
{
    return cl_store__seq_get(t, s_applied_key, seq);
}

int cl_store_set_applied(cl_txn *t, uint64_t seq)
{
    return cl_store__seq_set(t, s_applied_key, seq);
}

static int s_db_by_name(const uint8_t *name, size_t len)
{
    for (int i = 0; i < CL_DB_COUNT; i++)
        if (strlen(cl_store__dbs[i].name) == len &&
            !memcmp(cl_store__dbs[i].name, name, len))
            return i;
    return -1;
}

/* Apply one batch's records with raw LMDB calls (sealed values go in as
 * they are: the same master key opens them), bypassing the capture. */
static int s_apply_records(cl_txn *t, const uint8_t *b, size_t len,
                           uint64_t seq)
{
    uint8_t mac[CL_CAP_BATCH_MAC];
    uint64_t prev = 0;
    if (len < CL_CAP_BATCH_HEADER + CL_CAP_BATCH_MAC ||
        memcmp(b, CL_CAP_BATCH_MAGIC, 4))
        return CL_ERR_CORRUPT;
    len -= CL_CAP_BATCH_MAC;
    crypto_generichash(mac, sizeof(mac), b, len, t->store->keys->repl,
                       CL_KEY_LEN);
    if (crypto_verify_32(mac, b + len) != 0)
        return CL_ERR_CORRUPT; /* forged, damaged, or another master key */
    for (int i = 0; i < 8; i++)
        prev = prev << 8 | b[8 + i];
    if (prev + 1 != seq)
        return CL_ERR_CORRUPT; /* a genuine batch replayed elsewhere */
    uint32_t n = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
                 (uint32_t)b[6] << 8 | b[7];
    size_t off = CL_CAP_BATCH_HEADER;
    for (uint32_t i = 0; i < n; i++) {
        if (len - off < 2)
            return CL_ERR_CORRUPT;
        int op = b[off];
        size_t name_len = b[off + 1];
        off += 2;
        if ((op != CL_STORE_OP_PUT && op != CL_STORE_OP_DEL) ||
            len - off < name_len + 2)
            return CL_ERR_CORRUPT;
        int db = s_db_by_name(b + off, name_len);
        if (db < 0)
            return CL_ERR_CORRUPT; /* a sub-database this build lacks */
        off += name_len;
        size_t key_len = (size_t)b[off] << 8 | b[off + 1];
        off += 2;
        if (key_len == 0 || key_len > CL_CAP_KEY_MAX || len - off < key_len)
            return CL_ERR_CORRUPT;
        MDB_val k = {key_len, (void *)(b + off)};
        off += key_len;
        int mrc;
        if (op == CL_STORE_OP_PUT) {
            if (len - off < 4)
                return CL_ERR_CORRUPT;
            size_t vl = (size_t)b[off] << 24 | (size_t)b[off + 1] << 16 |
                        (size_t)b[off + 2] << 8 | b[off + 3];
            off += 4;
            if (vl > CL_STORE_MAX_VALUE + CL_SEAL_OVERHEAD || len - off < vl)
                return CL_ERR_CORRUPT;
            MDB_val v = {vl, (void *)(b + off)};
            off += vl;
            mrc = mdb_put(t->txn, t->store->dbi[db], &k, &v, 0);
        } else {
            mrc = mdb_del(t->txn, t->store->dbi[db], &k, NULL);
            if (mrc == MDB_NOTFOUND)
                mrc = MDB_SUCCESS;
        }
        if (mrc != MDB_SUCCESS)
            return cl_store__mdb_err(mrc);
    }
    return off == len ? CL_OK : CL_ERR_CORRUPT;
}

/* cl_store_apply, the sequence kept in meta row name. */
static int s_apply_as(cl_txn *t, const uint8_t *batch, size_t len, uint64_t seq,
                      const char *name)
{
    uint64_t applied;
    if (t->parent || !t->write || seq == 0)
        return CL_ERR_INVALID;
    int rc = cl_store__seq_get(t, name, &applied);
    if (rc != CL_OK)
        return rc;
    if (seq <= applied)
        return CL_ERR_EXISTS;
    /* the batch writes rows behind the caches */
    cl_store__vc_clear(cl_store__vc_of(t));
    cl_store__ds_free(t->store);
    t->applied = true;
    if ((rc = s_apply_records(t, batch, len, seq)) != CL_OK)
        return rc;
    cl_store__replay_forget(t->store); /* replay rows came with it */
    /* A rotation or retirement in the batch takes effect with the commit,
     * as it did where it was made. */
    uint32_t v;
    uint64_t r;
    if ((rc = cl_store__key_state(t, &v, &r)) != CL_OK)
        return rc;
    if (v != t->store->key_version) {
        cl_store__data_key_set(t->store, v);
        t->key_version = v;
    }
    if (r != __atomic_load_n(&t->store->retired, __ATOMIC_RELAXED))
        t->retired = r;
    return cl_store__seq_set(t, name, seq);
}

int cl_store_apply(cl_txn *t, const uint8_t *batch, size_t len, uint64_t seq)
{
    return s_apply_as(t, batch, len, seq, s_applied_key);
}

/* --- the sequential log, replayed (see hold.c) ----------------------------
 *
 * The log's batches after "log:applied" are applied as the stream's are
 * (exact bytes, each under its sequence, so applying one twice changes
 * nothing) in a transaction of LMDB's own, committed, then the log is
 * cut: at open, before anything reads the store, and in the writer after
 * the held transaction was lost.
 */

/* Where a replay applies: one transaction for all (t), or, each, one
 * per batch (each then as large as when it was made, so what fitted
 * the map then fits again: a held transaction the map could not take
 * is replayed so). */
typedef struct s_replay_to {
    cl_store *s;
    cl_txn *t;
    bool each;
} s_replay_to;

static int s_log_begin(cl_store *s, cl_txn **t)
{
    s->log_direct = true; /* LMDB's own, not nested in a held one */
    int rc = cl_store_begin(t, s, NULL, true);
    s->log_direct = false;
    return rc;
}

static int s_log_apply_one(void *ctx, uint64_t seq, const uint8_t *body,
                           size_t len)
{
    s_replay_to *to = ctx;
    int rc = to->each ? s_log_begin(to->s, &to->t) : CL_OK;
    if (rc == CL_OK)
        rc = s_apply_as(to->t, body, len, seq, CL_STORE__LOG_SEQ);
    if (rc == CL_OK && to->each)
        rc = cl_store_commit(&to->t);
    if (to->each)
        cl_store_abort(&to->t);
    return rc;
}

/* Replay the log's two files (hold.c: the held commit's batches and the
 * one's before it, until that one's sync) in the order of their first
 * records: their runs of sequences follow on, one file's after the
 * other's. */
static int s_wal_replay2(cl_wal *w[2], uint64_t after, s_replay_to *to,
                         uint64_t *last)
{
    uint64_t f0 = 0, f1 = 0, tail = 0;
    bool h0 = w[0] && cl_wal_first(w[0], &f0);
    bool h1 = w[1] && cl_wal_first(w[1], &f1);
    int first = h1 && (!h0 || f1 < f0);
    *last = after;
    int rc = CL_OK;
    for (int i = 0; i < 2 && rc == CL_OK; i++) {
        cl_wal *x = w[i ? !first : first];
        if (x)
            rc = cl_wal_replay(x, *last, s_log_apply_one, to, last, &tail);
    }
    return rc;
}

/* Apply the log's batches to s, committed (each in its own transaction if
 * each); the log cut. *last: the last sequence s holds, *n: batches
 * applied (by this call, when it fails part way). */
static int s_log_replay(cl_store *s, cl_wal *w[2], bool each, uint64_t *last,
                        uint64_t *n)
{
    s_replay_to to = {.s = s, .each = each};
    uint64_t after = 0;
    int rc = s_log_begin(s, &to.t);
    if (rc == CL_OK)
        rc = cl_store__log_seq(to.t, &after);
    if (rc == CL_OK && each)
        cl_store_abort(&to.t); /* it only read where LMDB is */
    if (rc == CL_OK)
        rc = s_wal_replay2(w, after, &to, last);
    if (rc == CL_OK && !each)
        rc = cl_store_commit(&to.t);
    cl_store_abort(&to.t);
    *n = rc == CL_OK || each ? *last - after : 0;
    for (int i = 0; i < 2 && rc == CL_OK; i++)
        if (w[i] && cl_wal_cut(w[i]) != CL_OK)
            s->log_stats.uncut++; /* replay skips what LMDB holds */
    return rc;
}

/* Replay the log: in one transaction, or if the map cannot take that, one
 * per batch, the map grown as far as grow allows while even that fails. */
static int s_log_replay_fit(cl_store *s, cl_wal *w[2], bool grow,
                            uint64_t *last, uint64_t *n)
{
    int rc = s_log_replay(s, w, false, last, n);
    for (int attempt = 0; rc == CL_ERR_FULL && attempt < 8; attempt++) {
        uint64_t part = 0;
        if (attempt && (!grow || cl_store_grow(s, s->map_bytes * 2) != CL_OK))
            break;
        rc = s_log_replay(s, w, true, last, &part);
        *n += part;
    }
    return rc;
}

/* The log's two files: data.wal and data.wal2. */
static void s_log_path(char *out, size_t len, const char *dir, int i)
{
    snprintf(out, len, "%s/data.wal%s", dir, i ? "2" : "");
}

static int s_log_open2(cl_wal *w[2], const char *dir, bool create)
{
    char path[4200];
    w[0] = w[1] = NULL;
    for (int i = 0; i < 2; i++) {
        s_log_path(path, sizeof(path), dir, i);
        if (!create && access(path, F_OK) != 0)
            continue; /* never ran with it */
        int rc = cl_wal_open(&w[i], path);
        if (rc != CL_OK) {
            cl_wal_close(&w[0]);
            return rc;
        }
    }
    return CL_OK;
}

int cl_store__log_open_replay(cl_store *s, const char *dir)
{
    cl_wal *w[2];
    uint64_t last = 0, n = 0;
    int rc = s_log_open2(w, dir, false);
    /* acknowledged before the crash: the map grows to take it if need be */
    if (rc == CL_OK && (w[0] || w[1]))
        rc = s_log_replay_fit(s, w, true, &last, &n);
    s->log_stats.replayed = n;
    cl_wal_close(&w[0]);
    cl_wal_close(&w[1]);
    return rc;
}

int cl_store_log_start(cl_store *s, const char *dir, uint64_t max_bytes,
                       uint32_t max_ms)
{
    cl_wal *w[2];
    uint64_t last = 0, n = 0;
    int rc = s_log_open2(w, dir, true);
    if (rc == CL_OK) /* replayed at open: finds where it ends */
        rc = s_log_replay_fit(s, w, false, &last, &n);
    s->log = w[0];
    s->log_prev = w[1];
    if (rc == CL_OK) /* LMDB's sync behind the writer from here */
        rc = cl_store__msync_start(s, dir);
    if (rc != CL_OK) {
        cl_wal_close(&s->log);
        cl_wal_close(&s->log_prev);
        return rc;
    }
    s->log_seq = last;
    s->log_max_bytes = max_bytes;
    s->log_max_us = (uint64_t)max_ms * 1000u;
    return CL_OK;
}

int cl_store_log_recover(cl_store *s)
{
    uint64_t last = 0, n = 0;
    if (!cl_store_log_lost(s))
        return CL_OK;
    cl_wal *w[2] = {s->log, s->log_prev};
    int rc = s_log_replay_fit(s, w, false, &last, &n);
    if (rc == CL_OK)
        cl_store__log_recovered(s, last);
    return rc;
}

int cl_store_digest(cl_txn *t, uint8_t out[CL_STORE_DIGEST_LEN])
{
    crypto_generichash_state st;
    int rc = cl_store__digest_flush(t); /* what t holds, digests too */
    if (rc != CL_OK)
        return rc;
    uint8_t *plain = malloc(CL_STORE_MAX_VALUE);
    if (!plain)
        return CL_ERR_NOMEM;
    crypto_generichash_init(&st, NULL, 0, CL_STORE_DIGEST_LEN);
    for (int db = 0; db < CL_DB_COUNT && rc == CL_OK; db++) {
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
        if (mrc != MDB_SUCCESS) {
            rc = cl_store__mdb_err(mrc);
            break;
        }
        crypto_generichash_update(&st, (const uint8_t *)cl_store__dbs[db].name,
                                  strlen(cl_store__dbs[db].name) + 1);
        for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == MDB_SUCCESS;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint8_t lens[8];
            size_t plen = v.mv_size;
            const uint8_t *val = v.mv_data;
            if (db == CL_DB_META && k.mv_size == 16 &&
                !memcmp(k.mv_data, "floor-generation", 16))
                continue; /* the node's own (cl_store_generation_bump) */
            if (cl_store__dbs[db].sealed) {
                rc = cl_store_get(t, (cl_db)db, k.mv_data, k.mv_size, plain,
                                  CL_STORE_MAX_VALUE, &plen);
                if (rc != CL_OK)
                    break;
                val = plain;
            }
            for (int i = 0; i < 4; i++) {
                lens[i] = (uint8_t)(k.mv_size >> (8 * (3 - i)));
                lens[4 + i] = (uint8_t)(plen >> (8 * (3 - i)));
            }
            crypto_generichash_update(&st, lens, 8);
            crypto_generichash_update(&st, k.mv_data, k.mv_size);
            crypto_generichash_update(&st, val, plen);
            sodium_memzero(plain, plen);
        }
        mdb_cursor_close(cur);
        if (rc == CL_OK && mrc != MDB_NOTFOUND)
            rc = cl_store__mdb_err(mrc);
    }
    crypto_generichash_final(&st, out, CL_STORE_DIGEST_LEN);
    free(plain);
    return rc;
}
