/*
 * store: LMDB environment, sealed values, blind indexes, master key file.
 *
 * Keys: the master key is never kept. From it are derived, with
 * crypto_kdf (BLAKE2b), a data key per key version (context "cl-data_") and
 * one index key (context "cl-index"). All derived keys live in one
 * sodium_malloc'd block (guarded, locked, wiped on free).
 *
 * Writes seal straight into LMDB's page with MDB_RESERVE, so no plaintext or
 * ciphertext copy lingers in the heap.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "store_int.h"

/* --- transactions --------------------------------------------------------- */

int cl_store_begin(cl_txn **out, cl_store *s, cl_txn *parent, bool write)
{
    /* with the log on, the writer's nest in the held one (hold.c) */
    MDB_txn *mp = parent ? parent->txn : NULL;
    int rc = !parent && write ? cl_store__log_parent(s, &mp) : CL_OK;
    if (rc != CL_OK)
        return rc;
    cl_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return CL_ERR_NOMEM;
    rc = mdb_txn_begin(s->env, mp, write ? 0 : MDB_RDONLY, &t->txn);
    if (rc != MDB_SUCCESS) {
        free(t);
        return cl_store__mdb_err(rc);
    }
    t->store = s;
    t->parent = parent;
    t->write = write;
    t->held = !parent && mp;
    t->serial = cl_store__vc_serial(t); /* after the held batches' */
    if (parent) {
        t->cap = parent->cap;
        if (t->cap) {
            t->cap_mark = t->cap->len;
            t->cap_count = t->cap->count;
        }
    } else if (write && (s->capture || t->held)) {
        if ((rc = cl_store__capture_new(&t->cap)) != CL_OK) {
            mdb_txn_abort(t->txn);
            free(t);
            return rc;
        }
    }
    *out = t;
    return CL_OK;
}

cl_store *cl_store_of(cl_txn *t)
{
    return t->store;
}

/* Free a transaction's own state once LMDB's is ended. */
static void s_txn_free(cl_txn *t)
{
    if (!t->parent) {
        cl_store__capture_free(&t->cap);
        cl_store__vc_free(&t->vc);
    }
    cl_store__dc_free(&t->dc);
    free(t);
}

int cl_store_commit(cl_txn **tp)
{
    cl_txn *t = *tp;
    *tp = NULL;
    /* The outermost transaction writes its changed digests; a nested one
     * hands them to its parent (room made first, so the hand-over after
     * LMDB's commit cannot fail). */
    int frc = t->parent ? cl_store__dc_reserve(&t->parent->dc,
                                               t->parent->dc.n + t->dc.n)
                        : cl_store__digest_flush(t);
    if (frc != CL_OK) {
        cl_store_abort(&t);
        return frc;
    }
    if (t->held && (frc = cl_store__log_seal(t)) != CL_OK) {
        mdb_txn_abort(t->txn); /* not in the log: not kept */
        cl_store__keys_settle(t, false);
        cl_store__vc_undo(t);
        s_txn_free(t);
        return frc;
    }
    if (!t->parent && t->cap && t->cap->count && !t->sequenced) {
        /* Captured changes that were never given a place in the log: a
         * writer that bypassed replication. Refuse, keep nothing. */
        mdb_txn_abort(t->txn);
        cl_store__keys_settle(t, false);
        s_txn_free(t);
        return CL_ERR_INTERNAL;
    }
    /* an LMDB transaction of its own: synced before it is done, even
     * with LMDB's sync behind the writer (mdbsync.c) */
    int rc = t->parent || t->held || !t->write
                 ? mdb_txn_commit(t->txn)
                 : cl_store__mdb_commit(t->store, t->txn);
    cl_store__keys_settle(t, rc == MDB_SUCCESS);
    if (rc == MDB_SUCCESS) {
        /* Key changes take effect with the outermost commit. */
        cl_txn *p = t->parent;
        if (p) {
            if (cl_store__dc_merge(&p->dc, &t->dc) != CL_OK)
                rc = ENOMEM; /* reserved above: not reached */
            if (t->key_version)
                p->key_version = t->key_version;
            if (t->retired)
                p->retired = t->retired;
        } else {
            if (t->applied) /* rows written behind the caches */
                cl_store__ds_free(t->store);
            else
                cl_store__ds_publish(t->store, &t->dc);
            if (t->key_version)
                t->store->key_version = t->key_version;
            if (t->retired) /* readers' threads read it */
                __atomic_store_n(&t->store->retired, t->retired,
                                 __ATOMIC_RELAXED);
        }
    } else if (t->parent || t->held) {
        /* its changes are gone */
        if (t->parent && t->cap)
            cl_store__capture_truncate(t);
        cl_store__vc_undo(t);
    }
    if (t->held)
        cl_store__log_done(t, rc == MDB_SUCCESS);
    cl_store *s = t->store;
    s_txn_free(t);
    return cl_store__commit_err(s, rc);
}

void cl_store_abort(cl_txn **tp)
{
    if (!tp || !*tp)
        return;
    cl_txn *t = *tp;
    mdb_txn_abort(t->txn);
    cl_store__keys_settle(t, false);
    if (t->parent)
        cl_store__capture_truncate(t);
    if (t->parent || t->held) /* a top's own cache goes with it */
        cl_store__vc_undo(t);
    s_txn_free(t);
    *tp = NULL;
}

/* --- values --------------------------------------------------------------- */

/* The version new values are sealed with inside t: a rotation in t or an
 * enclosing transaction applies at once there. */
uint32_t cl_store__txn_version(const cl_txn *t)
{
    for (const cl_txn *p = t; p; p = p->parent)
        if (p->key_version)
            return p->key_version;
    return t->store->key_version;
}

/* Associated data: sub-database name, a zero byte, then the record key. */
static int s_ad(uint8_t *ad, size_t cap, size_t *ad_len, cl_db db,
                const uint8_t *key, size_t key_len)
{
    size_t n = strlen(cl_store__dbs[db].name);
    if (n + 1 + key_len > cap)
        return CL_ERR_INVALID;
    memcpy(ad, cl_store__dbs[db].name, n);
    ad[n] = 0;
    memcpy(ad + n + 1, key, key_len);
    *ad_len = n + 1 + key_len;
    return CL_OK;
}

/* --- authenticated rows ----------------------------------------------------
 *
 * Index rows (every unsealed sub-database but meta) are stored as
 *
 *   tag (16 bytes) || value XOR XChaCha20(ix_enc, nonce = tag || 0^8)
 *
 * with tag = BLAKE2b-128 keyed with ix_mac over the sub-database name, the
 * key and the value: a deterministic authenticated cipher (SIV). What a
 * row says (an agenda reason, how a plan names a person) cannot be read
 * from the file, and a row whose key or value was edited fails on read
 * with CL_ERR_CORRUPT. Deterministic, so that replicas hold equal bytes.
 *
 * A deleted row is not an edited one, so the rows of the sub-databases
 * that decide what a user sees are also counted per group (the key prefix
 * cl_store__dbs[].group long: a person id, a blind index) and per sub-database:
 * ixdigest[name NUL prefix] and ixdigest[name NUL] hold, sealed, the count
 * and the XOR of the rows' tags (for a sealed sub-database, a tag over the
 * sealed bytes). Reading a group — a scan of its prefix, or a get that
 * finds nothing — first checks its digest, so a deleted, added or replayed
 * row is reported as tampering (CL_ERR_CORRUPT) instead of being obeyed;
 * cl_store_verify checks every sub-database's total (a group deleted with
 * its digest row). One mechanism, inside put/get/del/scan: callers and
 * the change capture see plain index values and stored bytes as before.
 */
#define S_TAG        CL_STORE__TAG
#define S_DIGEST_LEN (8 + S_TAG)
#define S_IX_MAX     CL_STORE__IX_MAX

bool cl_store__authed(cl_db db)
{
    return db != CL_DB_META && !cl_store__dbs[db].sealed;
}

/* The tag a stored row contributes to its group's digest. */
static void s_row_tag(const cl_store *s, cl_db db, const MDB_val *k,
                      const MDB_val *v, uint8_t tag[S_TAG])
{
    if (cl_store__authed(db) && v->mv_size >= S_TAG)
        memcpy(tag, v->mv_data, S_TAG);
    else
        cl_store__ix_tag(s, db, k->mv_data, k->mv_size, v->mv_data, v->mv_size,
                         tag);
}

/* ixdigest key: name NUL prefix (prefix_len 0: the sub-database total). */
static size_t s_digest_key(uint8_t *out, cl_db db, const uint8_t *prefix,
                           size_t prefix_len)
{
    size_t n = strlen(cl_store__dbs[db].name) + 1;
    memcpy(out, cl_store__dbs[db].name, n);
    if (prefix_len)
        memcpy(out + n, prefix, prefix_len);
    return n + prefix_len;
}

/* A digest row as stored in t's LMDB view, not its cache (none: 0). */
static int s_digest_stored(cl_txn *t, const uint8_t *dk, size_t dk_len,
                           uint64_t *count, uint8_t x[S_TAG])
{
    uint8_t buf[S_DIGEST_LEN];
    size_t len = 0;
    int rc =
        cl_store_get(t, CL_DB_IXDIGEST, dk, dk_len, buf, sizeof(buf), &len);
    *count = 0;
    memset(x, 0, S_TAG);
    if (rc == CL_ERR_NOT_FOUND)
        return CL_OK;
    if (rc == CL_OK && len != S_DIGEST_LEN)
        rc = CL_ERR_CORRUPT;
    for (int i = 0; rc == CL_OK && i < 8; i++)
        *count = *count << 8 | buf[i];
    if (rc == CL_OK)
        memcpy(x, buf + 8, S_TAG);
    return rc;
}

/* A digest as t sees it: the nearest transaction's changed value, else
 * the stored row (none: count 0). */
static int s_digest_get_h(cl_txn *t, const uint8_t *dk, size_t dk_len,
                          uint64_t h, uint64_t *count, uint8_t x[S_TAG])
{
    const cl_txn *root = t;
    for (cl_txn *p = t; p; p = p->parent) {
        const cl_store__dent *e = cl_store__dc_find_h(&p->dc, dk, dk_len, h);
        if (e) {
            *count = e->count;
            memcpy(x, e->x, S_TAG);
            return CL_OK;
        }
        root = p;
    }
    /* not changed here: as committed, which the writer may know */
    bool seen = t->write && !root->applied;
    const cl_store__dent *e =
        seen ? cl_store__ds_find_h(t->store, dk, dk_len, h) : NULL;
    if (e) {
        *count = e->count;
        memcpy(x, e->x, S_TAG);
        return CL_OK;
    }
    int rc = s_digest_stored(t, dk, dk_len, count, x);
    if (rc == CL_OK && seen)
        cl_store__ds_set_h(t->store, dk, dk_len, h, *count, x);
    return rc;
}

static int s_digest_get(cl_txn *t, const uint8_t *dk, size_t dk_len,
                        uint64_t *count, uint8_t x[S_TAG])
{
    return s_digest_get_h(t, dk, dk_len, cl_store__dkey_hash(dk, dk_len), count,
                          x);
}

/* Take old (if not NULL) out of a digest and put new (if not NULL) in:
 * in t's digest cache, written by cl_store__digest_flush. */
static int s_digest_move(cl_txn *t, const uint8_t *dk, size_t dk_len,
                         const uint8_t *old, const uint8_t *new_tag)
{
    uint8_t x[S_TAG];
    uint64_t count, h = cl_store__dkey_hash(dk, dk_len);
    if (!t->write)
        return CL_ERR_INVALID;
    int rc = s_digest_get_h(t, dk, dk_len, h, &count, x);
    if (rc != CL_OK)
        return rc;
    if (old) {
        if (count == 0)
            return CL_ERR_CORRUPT;
        count--;
        for (int i = 0; i < S_TAG; i++)
            x[i] ^= old[i];
    }
    if (new_tag) {
        count++;
        for (int i = 0; i < S_TAG; i++)
            x[i] ^= new_tag[i];
    }
    return cl_store__dc_set_h(&t->dc, dk, dk_len, h, count, x, true);
}

/* --- the anchor (anchor.c) ------------------------------------------------ */

#define S_KC_KEY ((const uint8_t *)"keycheck")

static int s_anchor_load(cl_txn *t, cl_store__anchor *a)
{
    size_t len = 0;
    if (a->loaded)
        return CL_OK;
    int rc = cl_store_get(t, CL_DB_IDEMPOTENCY, S_KC_KEY, 8, a->buf,
                          sizeof(a->buf), &len);
    if (rc == CL_OK || rc == CL_ERR_NOT_FOUND)
        rc = cl_store__anchor_parse(a, rc == CL_OK ? len : 0);
    return rc;
}

static int s_anchor_save(cl_txn *t, const cl_store__anchor *a)
{
    return a->moved
               ? cl_store_put(t, CL_DB_IDEMPOTENCY, S_KC_KEY, 8, a->buf, a->len)
               : CL_OK;
}

/* Write one digest into t's LMDB view (count 0: no row); a total moves
 * its anchor entry with it. */
static int s_digest_write(cl_txn *t, const cl_store__dent *e,
                          cl_store__anchor *a)
{
    uint8_t buf[S_DIGEST_LEN], x0[S_TAG];
    uint64_t c0 = 0;
    int rc = CL_OK;
    bool total = cl_store__is_total(e->key, e->key_len);
    if (total &&
        (rc = s_digest_stored(t, e->key, e->key_len, &c0, x0)) == CL_OK)
        rc = s_anchor_load(t, a);
    if (rc == CL_OK && e->count == 0) {
        rc = cl_store_del(t, CL_DB_IXDIGEST, e->key, e->key_len);
        rc = rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
    } else if (rc == CL_OK) {
        for (int i = 0; i < 8; i++)
            buf[i] = (uint8_t)(e->count >> (8 * (7 - i)));
        memcpy(buf + 8, e->x, S_TAG);
        rc = cl_store_put(t, CL_DB_IXDIGEST, e->key, e->key_len, buf,
                          sizeof(buf));
    }
    if (rc == CL_OK && total)
        rc = cl_store__anchor_move(a, (const char *)e->key, c0, x0, e->count,
                                   e->x);
    return rc;
}

/* Is e (held by an enclosing transaction of t) hidden by a nearer one? */
static bool s_digest_shadowed(cl_txn *t, const cl_txn *holder,
                              const cl_store__dent *e)
{
    for (cl_txn *p = t; p != holder; p = p->parent)
        if (cl_store__dc_find(&p->dc, e->key, e->key_len))
            return true;
    return false;
}

int cl_store__digest_flush(cl_txn *t)
{
    int rc = CL_OK;
    cl_store__anchor a;
    a.loaded = a.moved = false;
    if (!t->write)
        return CL_OK;
    /* An enclosing transaction's changes first, recorded here as written
     * (an abort of t leaves them changed there). */
    for (cl_txn *p = t->parent; p && rc == CL_OK; p = p->parent)
        for (size_t i = 0; i < p->dc.cap && rc == CL_OK; i++) {
            cl_store__dent e = p->dc.v[i];
            if (!e.used || !e.dirty || s_digest_shadowed(t, p, &e))
                continue;
            if ((rc = s_digest_write(t, &e, &a)) == CL_OK)
                rc = cl_store__dc_set(&t->dc, e.key, e.key_len, e.count, e.x,
                                      false);
        }
    for (size_t i = 0; i < t->dc.cap && rc == CL_OK; i++) {
        cl_store__dent *e = &t->dc.v[i];
        if (e->used && e->dirty && (rc = s_digest_write(t, e, &a)) == CL_OK)
            e->dirty = false;
    }
    return rc == CL_OK ? s_anchor_save(t, &a) : rc;
}

/* A row of a grouped sub-database changed: its group's digest and the
 * sub-database's total follow. */
static int s_digest_update(cl_txn *t, cl_db db, const uint8_t *key,
                           size_t key_len, const uint8_t *old,
                           const uint8_t *new_tag)
{
    uint8_t dk[64 + 256];
    size_t g = cl_store__dbs[db].group;
    if (!g)
        return CL_OK;
    if (key_len < g)
        return CL_ERR_INVALID;
    int rc = s_digest_move(t, dk, s_digest_key(dk, db, key, g), old, new_tag);
    if (rc == CL_OK)
        rc = s_digest_move(t, dk, s_digest_key(dk, db, NULL, 0), old, new_tag);
    return rc;
}

/* Count and digest the stored rows of one group and compare with its
 * digest row: CL_ERR_CORRUPT if a row was deleted, added or replayed;
 * each (if not NULL) sees every row as it is walked. */
int cl_store__group_check(cl_txn *t, cl_db db, const uint8_t *prefix,
                          cl_store__row_fn each, void *ctx)
{
    size_t g = cl_store__dbs[db].group;
    uint8_t dk[64 + 256], want[S_TAG], got[S_TAG] = {0}, tag[S_TAG];
    uint64_t want_n, got_n = 0;
    MDB_cursor *cur = NULL;
    MDB_val k = {g, (void *)prefix}, v;
    if ((__atomic_load_n(&t->store->tainted, __ATOMIC_RELAXED) >> db) & 1)
        return CL_ERR_CORRUPT; /* its total is not the anchor's */
    int rc =
        s_digest_get(t, dk, s_digest_key(dk, db, prefix, g), &want_n, want);
    if (rc != CL_OK)
        return rc;
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         mrc == MDB_SUCCESS && k.mv_size >= g && !memcmp(k.mv_data, prefix, g);
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        s_row_tag(t->store, db, &k, &v, tag);
        for (int i = 0; i < S_TAG; i++)
            got[i] ^= tag[i];
        got_n++;
        if (each && (rc = each(ctx, t, db, &k, &v)) != CL_OK)
            break;
    }
    mdb_cursor_close(cur);
    if (rc != CL_OK)
        return rc;
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        return cl_store__mdb_err(mrc);
    return got_n == want_n && sodium_memcmp(got, want, S_TAG) == 0
               ? CL_OK
               : CL_ERR_CORRUPT;
}

/* The tag of the row stored at key now (*had false if none). */
static int s_old_tag(cl_txn *t, cl_db db, const MDB_val *k, uint8_t tag[S_TAG],
                     bool *had)
{
    MDB_val v;
    int rc = mdb_get(t->txn, t->store->dbi[db], (MDB_val *)k, &v);
    *had = rc == MDB_SUCCESS;
    if (rc == MDB_NOTFOUND)
        return CL_OK;
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    if (cl_store__authed(db) && v.mv_size < S_TAG)
        return CL_ERR_CORRUPT;
    s_row_tag(t->store, db, k, &v, tag);
    return CL_OK;
}

/* Make room for key k's new value of v->mv_size bytes (v->mv_data then
 * points at it); in a grouped sub-database, the tag of the row it
 * replaces into old (*had false if none). Most rows a write puts are new:
 * putting without overwriting first finds the key in the one descent the
 * put makes, and hands back the row there if there is one, which is then
 * overwritten. */
static int s_reserve(cl_txn *t, cl_db db, const MDB_val *k, MDB_val *v,
                     uint8_t old[S_TAG], bool *had)
{
    MDB_dbi dbi = t->store->dbi[db];
    size_t want = v->mv_size;
    *had = false;
    if (!cl_store__dbs[db].group)
        return cl_store__mdb_err(
            mdb_put(t->txn, dbi, (MDB_val *)k, v, MDB_RESERVE));
    int rc =
        mdb_put(t->txn, dbi, (MDB_val *)k, v, MDB_RESERVE | MDB_NOOVERWRITE);
    if (rc != MDB_KEYEXIST)
        return cl_store__mdb_err(rc);
    if (cl_store__authed(db) && v->mv_size < S_TAG)
        return CL_ERR_CORRUPT;
    s_row_tag(t->store, db, k, v, old); /* v: the row there */
    *had = true;
    v->mv_size = want;
    v->mv_data = NULL;
    return cl_store__mdb_err(
        mdb_put(t->txn, dbi, (MDB_val *)k, v, MDB_RESERVE));
}

int cl_store_put(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                 const uint8_t *val, size_t val_len)
{
    uint8_t ad[400], old[S_TAG], tag[S_TAG];
    size_t ad_len;
    bool had = false;
    int rc;
    if (db >= CL_DB_COUNT || !cl_store__dbs[db].sealed || !t->write ||
        val_len > CL_STORE_MAX_VALUE)
        return CL_ERR_INVALID;
    if ((rc = s_ad(ad, sizeof(ad), &ad_len, db, key, key_len)) != CL_OK)
        return rc;
    MDB_val k = {key_len, (void *)key};
    MDB_val v = {val_len + CL_SEAL_OVERHEAD, NULL};
    cl_store__vc_del(t, db, key, key_len);
    if (db == CL_DB_IXDIGEST)
        cl_store__ds_forget(t->store, key, key_len);
    if ((rc = s_reserve(t, db, &k, &v, old, &had)) != CL_OK)
        return rc;
    uint32_t ver = cl_store__txn_version(t);
    uint8_t nonce[CL_SEAL_NONCE];
    cl_seal_nonce(&t->store->nonces, nonce);
    rc = cl_seal(v.mv_data, t->store->keys->data[ver % CL_STORE_KEY_VERSIONS],
                 ver, nonce, ad, ad_len, val, val_len);
    if (rc != CL_OK)
        return rc;
    cl_store__capture_add(t, CL_STORE_OP_PUT, db, key, key_len, v.mv_data,
                          v.mv_size);
    cl_store__vc_put(t, db, key, key_len, val, val_len);
    if (!cl_store__dbs[db].group)
        return CL_OK;
    s_row_tag(t->store, db, &k, &v, tag);
    return s_digest_update(t, db, key, key_len, had ? old : NULL, tag);
}

int cl_store_get(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                 uint8_t *buf, size_t cap, size_t *val_len)
{
    uint8_t ad[400];
    size_t ad_len;
    uint32_t ver;
    int rc;
    if (db >= CL_DB_COUNT || !cl_store__dbs[db].sealed)
        return CL_ERR_INVALID;
    /* put or read by this write transaction (vcache.c): as it was put,
     * or as it authenticated when read */
    if (t->write && cl_store__vc_get(t, db, key, key_len, buf, cap, val_len))
        return CL_OK;
    if ((rc = s_ad(ad, sizeof(ad), &ad_len, db, key, key_len)) != CL_OK)
        return rc;
    MDB_val k = {key_len, (void *)key}, v;
    rc = mdb_get(t->txn, t->store->dbi[db], &k, &v);
    if (rc == MDB_NOTFOUND && cl_store__dbs[db].group &&
        key_len >= cl_store__dbs[db].group)
        return (rc = cl_store__group_check(t, db, key, NULL, NULL)) == CL_OK
                   ? CL_ERR_NOT_FOUND
                   : rc;
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    /* a row that is its whole group (a plan, a hold): a copy rolled back
     * from an older file is caught here, not only by verify */
    if (cl_store__dbs[db].group && key_len == cl_store__dbs[db].group &&
        (rc = cl_store__group_check(t, db, key, NULL, NULL)) != CL_OK)
        return rc;
    if ((rc = cl_seal_version(&ver, v.mv_data, v.mv_size)) != CL_OK)
        return rc;
    uint64_t r = cl_store__txn_retired(t);
    if (cl_store__is_retired(r, ver) ||
        ver - CL_STORE__FLOOR(r) >= CL_STORE_KEY_VERSIONS)
        return CL_ERR_CORRUPT; /* retired, or no live version at all */
    rc = cl_seal_open(buf, cap, val_len,
                      t->store->keys->data[ver % CL_STORE_KEY_VERSIONS], ad,
                      ad_len, v.mv_data, v.mv_size);
    if (rc == CL_OK && t->write) /* authenticated: read again from there */
        cl_store__vc_put(t, db, key, key_len, buf, *val_len);
    return rc;
}

int cl_store_put_raw(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                     const uint8_t *val, size_t val_len)
{
    uint8_t old[S_TAG], tag[S_TAG];
    bool had = false;
    if (db >= CL_DB_COUNT || cl_store__dbs[db].sealed || !t->write)
        return CL_ERR_INVALID;
    if (!val)
        val = (const uint8_t *)"";
    MDB_val k = {key_len, (void *)key};
    if (!cl_store__authed(db)) {
        MDB_val v = {val_len, (void *)val};
        int rc =
            cl_store__mdb_err(mdb_put(t->txn, t->store->dbi[db], &k, &v, 0));
        if (rc == CL_OK)
            cl_store__capture_add(t, CL_STORE_OP_PUT, db, key, key_len, val,
                                  val_len);
        return rc;
    }
    if (val_len > S_IX_MAX)
        return CL_ERR_INVALID;
    cl_store__ix_tag(t->store, db, key, key_len, val, val_len, tag);
    MDB_val v = {S_TAG + val_len, NULL};
    int rc = s_reserve(t, db, &k, &v, old, &had);
    if (rc != CL_OK)
        return rc;
    uint8_t *stored = v.mv_data;
    memcpy(stored, tag, S_TAG);
    cl_store__ix_stream(t->store, tag, stored + S_TAG, val, val_len);
    cl_store__capture_add(t, CL_STORE_OP_PUT, db, key, key_len, stored,
                          v.mv_size);
    return s_digest_update(t, db, key, key_len, had ? old : NULL, tag);
}

int cl_store_get_raw(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                     uint8_t *buf, size_t cap, size_t *val_len)
{
    if (db >= CL_DB_COUNT || cl_store__dbs[db].sealed)
        return CL_ERR_INVALID;
    MDB_val k = {key_len, (void *)key}, v;
    int rc = mdb_get(t->txn, t->store->dbi[db], &k, &v);
    if (rc == MDB_NOTFOUND && cl_store__dbs[db].group &&
        key_len >= cl_store__dbs[db].group)
        return (rc = cl_store__group_check(t, db, key, NULL, NULL)) == CL_OK
                   ? CL_ERR_NOT_FOUND
                   : rc;
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    if (cl_store__authed(db))
        return cl_store__ix_open(t->store, db, key, key_len, &v, buf, cap,
                                 val_len);
    if (v.mv_size > cap)
        return CL_ERR_CORRUPT;
    memcpy(buf, v.mv_data, v.mv_size);
    *val_len = v.mv_size;
    return CL_OK;
}

int cl_store_del(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len)
{
    uint8_t old[S_TAG];
    bool had = false;
    if (db >= CL_DB_COUNT || !t->write)
        return CL_ERR_INVALID;
    MDB_val k = {key_len, (void *)key};
    int rc;
    if (cl_store__dbs[db].group &&
        (rc = s_old_tag(t, db, &k, old, &had)) != CL_OK)
        return rc;
    cl_store__vc_del(t, db, key, key_len);
    if (db == CL_DB_IXDIGEST)
        cl_store__ds_forget(t->store, key, key_len);
    rc = cl_store__mdb_err(mdb_del(t->txn, t->store->dbi[db], &k, NULL));
    if (rc != CL_OK)
        return rc;
    cl_store__capture_add(t, CL_STORE_OP_DEL, db, key, key_len, NULL, 0);
    return had ? s_digest_update(t, db, key, key_len, old, NULL) : CL_OK;
}

/* Check one row read by a scan: an index row must authenticate. */
int cl_store__row_check(cl_txn *t, cl_db db, const MDB_val *k, const MDB_val *v)
{
    uint8_t plain[S_IX_MAX];
    size_t n;
    if (!cl_store__authed(db))
        return CL_OK;
    int rc = cl_store__ix_open(t->store, db, k->mv_data, k->mv_size, v, plain,
                               sizeof(plain), &n);
    sodium_memzero(plain, sizeof(plain));
    return rc;
}

/* The count and XOR of the tags of every row of db; CL_ERR_CORRUPT if an
 * index row does not authenticate. */
static int s_db_sum(cl_txn *t, cl_db db, uint64_t *n, uint8_t x[S_TAG])
{
    uint8_t tag[S_TAG];
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc = CL_OK;
    *n = 0;
    memset(x, 0, S_TAG);
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         mrc == MDB_SUCCESS && rc == CL_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        rc = cl_store__row_check(t, db, &k, &v);
        s_row_tag(t->store, db, &k, &v, tag);
        for (int j = 0; j < S_TAG; j++)
            x[j] ^= tag[j];
        (*n)++;
    }
    mdb_cursor_close(cur);
    if (rc == CL_OK && mrc != MDB_NOTFOUND)
        rc = cl_store__mdb_err(mrc);
    return rc;
}

/* Every counted table's total, as stored, against its anchor entry
 * (problem set: CL_ERR_CORRUPT); or, with problem NULL, the anchor of a
 * store from before it, made from the totals as they stand. */
static int s_anchor_totals(cl_txn *t, char *problem, size_t problem_len)
{
    cl_store__anchor *a = malloc(sizeof(*a));
    int rc = a ? CL_OK : CL_ERR_NOMEM, bad = 0;
    if (a) {
        a->loaded = a->moved = false;
        rc = problem ? s_anchor_load(t, a) : cl_store__anchor_parse(a, 0);
    }
    for (int i = 0; i < CL_DB_COUNT && rc == CL_OK; i++) {
        uint8_t dk[80], x[S_TAG], ax[S_TAG], zero[S_TAG] = {0};
        uint64_t c, ac;
        const char *name = cl_store__dbs[i].name;
        if (!cl_store__dbs[i].group ||
            (rc = s_digest_stored(t, dk, s_digest_key(dk, (cl_db)i, NULL, 0),
                                  &c, x)) != CL_OK)
            continue;
        cl_store__anchor_entry(a, name, &ac, ax);
        if (!problem && c)
            rc = cl_store__anchor_move(a, name, 0, zero, c, x);
        else if (problem && (c != ac || sodium_memcmp(x, ax, S_TAG) != 0)) {
            /* its group reads fail from now on (s_group_check) */
            __atomic_fetch_or(&t->store->tainted, 1ull << i, __ATOMIC_RELAXED);
            if (!bad++)
                snprintf(problem, problem_len,
                         "index %s: its total is not the one the store last "
                         "wrote (the anchor): the table was put back from an "
                         "older copy of the file",
                         name);
        }
    }
    if (rc == CL_OK && !problem)
        rc = s_anchor_save(t, a);
    free(a);
    return rc == CL_OK && bad ? CL_ERR_CORRUPT : rc;
}

int cl_store__anchor_init(cl_txn *t)
{
    return s_anchor_totals(t, NULL, 0);
}

/* Every authenticated sub-database: each row authenticates and the rows of
 * each grouped one add up to its total. */
int cl_store_verify(cl_txn *t, char *problem, size_t problem_len)
{
    /* the anchor first: it marks the tables put back, whose reads fail */
    int arc = s_anchor_totals(t, problem, problem_len);
    if (arc != CL_OK && arc != CL_ERR_CORRUPT)
        return arc;
    for (int i = 0; i < CL_DB_COUNT; i++) {
        cl_db db = (cl_db)i;
        if (!cl_store__authed(db) && !cl_store__dbs[db].group)
            continue;
        uint8_t dk[80], want[S_TAG], got[S_TAG];
        uint64_t want_n = 0, got_n = 0;
        int rc = CL_OK;
        if (cl_store__dbs[db].group &&
            (rc = s_digest_get(t, dk, s_digest_key(dk, db, NULL, 0), &want_n,
                               want)) != CL_OK)
            return rc;
        rc = s_db_sum(t, db, &got_n, got);
        if (rc == CL_ERR_CORRUPT) {
            snprintf(problem, problem_len,
                     "index %s: a row was altered (does not authenticate)",
                     cl_store__dbs[db].name);
            return CL_ERR_CORRUPT;
        }
        if (rc != CL_OK)
            return rc;
        if (cl_store__dbs[db].group && got_n == want_n &&
            sodium_memcmp(got, want, S_TAG) != 0)
            snprintf(problem, problem_len,
                     "index %s: holds the %" PRIu64 " rows written, but "
                     "one or more were replaced (an older copy put back)",
                     cl_store__dbs[db].name, got_n);
        else if (cl_store__dbs[db].group && got_n != want_n)
            snprintf(problem, problem_len,
                     "index %s: holds %" PRIu64 " rows where %" PRIu64
                     " were written (rows removed, added or replayed)",
                     cl_store__dbs[db].name, got_n, want_n);
        else
            continue;
        return CL_ERR_CORRUPT;
    }
    return arc;
}

/* Every row of db: rewritten as an authenticated row (rewrite), or added
 * to its group's digest and the total (the digest rows must be empty). */
static int s_ix_rows(cl_txn *t, cl_db db, bool rewrite)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint8_t key[512], val[S_IX_MAX];
    int rc = CL_OK;
    /* Collect first, rewrite after: puts move the cursor's pages. */
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    mdb_cursor_close(cur);
    while (mrc == MDB_SUCCESS) {
        uint8_t tag[S_TAG];
        if (k.mv_size > sizeof(key) || (rewrite && v.mv_size > sizeof(val)))
            return CL_ERR_CORRUPT;
        size_t kl = k.mv_size, vl = rewrite ? v.mv_size : 0;
        memcpy(key, k.mv_data, kl);
        memcpy(val, v.mv_data, vl);
        if (!rewrite) /* before any write moves the value's page */
            s_row_tag(t->store, db, &k, &v, tag);
        if (rewrite) {
            /* rewrite as an authenticated row; the digest follows */
            MDB_val dk = {kl, key};
            if ((mrc = mdb_del(t->txn, t->store->dbi[db], &dk, NULL)))
                return cl_store__mdb_err(mrc);
            rc = cl_store_put_raw(t, db, key, kl, val, vl);
        } else {
            rc = s_digest_update(t, db, key, kl, NULL, tag);
        }
        if (rc != CL_OK)
            return rc;
        /* the next key after this one */
        if ((mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur)))
            return cl_store__mdb_err(mrc);
        k.mv_size = kl;
        k.mv_data = key;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (mrc == MDB_SUCCESS)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        mdb_cursor_close(cur);
    }
    return mrc == MDB_NOTFOUND ? CL_OK : cl_store__mdb_err(mrc);
}

/* A store written before rows were authenticated: authenticate every
 * index row and build the digests, once, in transaction t. */
int cl_store__ix_upgrade(cl_txn *t)
{
    uint8_t mark[1];
    size_t len;
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"ixauth", 6, mark,
                              sizeof(mark), &len);
    if (rc != CL_ERR_NOT_FOUND)
        return rc;
    rc = CL_OK;
    for (int i = 0; i < CL_DB_COUNT && rc == CL_OK; i++) {
        cl_db db = (cl_db)i;
        if (cl_store__authed(db) || cl_store__dbs[db].group)
            rc = s_ix_rows(t, db, cl_store__authed(db));
    }
    if (rc != CL_OK)
        return rc;
    return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)"ixauth", 6,
                            (const uint8_t *)"1", 1);
}

int cl_store_counter(cl_txn *t, const char *counter, uint64_t *out)
{
    char key[64];
    uint8_t buf[8];
    size_t len;
    int n = snprintf(key, sizeof(key), "counter:%s", counter);
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n,
                              buf, sizeof(buf), &len);
    if (rc == CL_ERR_NOT_FOUND) {
        *out = 0;
        return CL_OK;
    }
    if (rc != CL_OK)
        return rc;
    if (len != 8)
        return CL_ERR_CORRUPT;
    *out = (uint64_t)buf[0] << 56 | (uint64_t)buf[1] << 48 |
           (uint64_t)buf[2] << 40 | (uint64_t)buf[3] << 32 |
           (uint64_t)buf[4] << 24 | (uint64_t)buf[5] << 16 |
           (uint64_t)buf[6] << 8 | buf[7];
    return CL_OK;
}

int cl_store_grow(cl_store *s, size_t max_bytes)
{
    if (s->map_bytes >= max_bytes)
        return CL_ERR_FULL;
    size_t next = s->map_bytes * 2;
    if (next > max_bytes)
        next = max_bytes;
    int rc = mdb_env_set_mapsize(s->env, next);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    s->map_bytes = next;
    return CL_OK;
}

int cl_store_stats_get(cl_store *s, cl_store_stats *out)
{
    MDB_envinfo info;
    MDB_stat st;
    MDB_txn *txn = NULL;
    memset(out, 0, sizeof(*out));
    if (mdb_env_info(s->env, &info) != MDB_SUCCESS ||
        mdb_env_stat(s->env, &st) != MDB_SUCCESS)
        return CL_ERR_INTERNAL;
    out->map_bytes = info.me_mapsize;
    out->used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS)
        return CL_ERR_INTERNAL;
    for (int i = 0; i < CL_DB_COUNT; i++)
        if (mdb_stat(txn, s->dbi[i], &st) == MDB_SUCCESS)
            out->entries[i] = st.ms_entries;
    mdb_txn_abort(txn);
    return CL_OK;
}

int cl_store_entries(cl_txn *t, cl_db db, uint64_t *out)
{
    MDB_stat st;
    if (db >= CL_DB_COUNT)
        return CL_ERR_INVALID;
    int rc = mdb_stat(t->txn, t->store->dbi[db], &st);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    *out = st.ms_entries;
    return CL_OK;
}

const char *cl_store_db_name(cl_db db)
{
    return db < CL_DB_COUNT ? cl_store__dbs[db].name : "?";
}

int cl_store_backup(cl_store *s, const char *dir, uint64_t *bytes)
{
    char path[4200];
    struct stat st;
    int rc = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT);
    if (rc != MDB_SUCCESS)
        return rc == EEXIST ? CL_ERR_EXISTS : cl_store__mdb_err(rc);
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    *bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    return CL_OK;
}

/* --- groups added later ---------------------------------------------------
 * meta "ixgroups" names every grouped sub-database with its prefix length
 * as its digests were built ("audit_user=16;agenda=8;..."). A sub-database
 * grouped since (or with another length) gets its digests built from its
 * rows once, at open; rows deleted while it had no digests are not
 * caught, as for the first upgrade. A store without the mark was written
 * when s_grouped_later were the only ones without digests.
 */
static const cl_db s_grouped_later[] = {CL_DB_AUDIT_USER, CL_DB_PERSON_INTAKE};

/* "name=len;" of db as the current table groups it (empty: not grouped). */
static void s_group_word(char *out, size_t cap, cl_db db)
{
    out[0] = '\0';
    if (cl_store__dbs[db].group)
        snprintf(out, cap, "%s=%u;", cl_store__dbs[db].name,
                 (unsigned)cl_store__dbs[db].group);
}

/* The total about to be deleted with db's digest rows (dk, pl: its key)
 * leaves the anchor with it, as a write of count 0 would; the digests
 * built again put it back as they are written. */
static int s_regroup_anchor(cl_txn *t, const uint8_t *dk, size_t pl)
{
    uint8_t x[S_TAG], zero[S_TAG] = {0};
    uint64_t c;
    cl_store__anchor *a = malloc(sizeof(*a));
    int rc = a ? s_digest_stored(t, dk, pl, &c, x) : CL_ERR_NOMEM;
    if (rc == CL_OK) {
        a->loaded = a->moved = false;
        rc = s_anchor_load(t, a);
    }
    if (rc == CL_OK && c)
        rc = cl_store__anchor_move(a, (const char *)dk, c, x, 0, zero);
    if (rc == CL_OK)
        rc = s_anchor_save(t, a);
    free(a);
    return rc;
}

/* Drop db's digest rows (ixdigest[name NUL ...]) and build them anew.
 * The total does not depend on the grouping: if db has one and its rows
 * no longer add up to it, rows were removed or put back while the daemon
 * was stopped (and the mark edited to have them forgiven): the digests are
 * kept, for verify and the reads to report. */
static int s_regroup(cl_txn *t, cl_db db)
{
    uint8_t dk[64 + 256], want[S_TAG], got[S_TAG];
    size_t pl = s_digest_key(dk, db, NULL, 0), n = 0;
    uint64_t want_n, got_n;
    MDB_cursor *cur = NULL;
    MDB_val k = {pl, dk}, v;
    int mrc, src = s_digest_get(t, dk, pl, &want_n, want);
    if (src == CL_OK && want_n && cl_store__dbs[db].group)
        src = s_db_sum(t, db, &got_n, got);
    if (src != CL_OK)
        return src;
    if (want_n && cl_store__dbs[db].group &&
        (got_n != want_n || sodium_memcmp(got, want, S_TAG) != 0))
        return CL_OK;
    if ((src = s_regroup_anchor(t, dk, pl)) != CL_OK)
        return src;
    do { /* one row at a time: a delete moves the cursor's pages */
        if ((mrc =
                 mdb_cursor_open(t->txn, t->store->dbi[CL_DB_IXDIGEST], &cur)))
            return cl_store__mdb_err(mrc);
        k.mv_size = pl;
        k.mv_data = dk;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        bool ours = mrc == MDB_SUCCESS && k.mv_size >= pl &&
                    k.mv_size <= sizeof(dk) && !memcmp(k.mv_data, dk, pl);
        uint8_t key[sizeof(dk)];
        if (ours) {
            n = k.mv_size;
            memcpy(key, k.mv_data, n);
        }
        mdb_cursor_close(cur);
        if (!ours)
            break;
        int rc = cl_store_del(t, CL_DB_IXDIGEST, key, n);
        if (rc != CL_OK)
            return rc;
    } while (mrc == MDB_SUCCESS);
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        return cl_store__mdb_err(mrc);
    return cl_store__dbs[db].group ? s_ix_rows(t, db, false) : CL_OK;
}

int cl_store__ix_regroup(cl_txn *t)
{
    char had[2048] = "", now[2048] = "", w[96];
    size_t len = 0, used = 0;
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"ixgroups", 8,
                              (uint8_t *)had, sizeof(had) - 1, &len);
    bool marked = rc == CL_OK;
    if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
        return rc;
    had[marked ? len : 0] = '\0';
    rc = CL_OK;
    for (int i = 0; i < CL_DB_COUNT && rc == CL_OK; i++) {
        cl_db db = (cl_db)i;
        s_group_word(w, sizeof(w), db);
        size_t wl = strlen(w);
        if (used + wl >= sizeof(now))
            return CL_ERR_INTERNAL;
        memcpy(now + used, w, wl + 1);
        used += wl;
        bool redo = false;
        if (marked) {
            /* regrouped: this db's word changed (added, dropped, length) */
            char name[80];
            snprintf(name, sizeof(name), ";%s=", cl_store__dbs[db].name);
            char padded[sizeof(had) + 1];
            snprintf(padded, sizeof(padded), ";%s", had);
            const char *at = strstr(padded, name);
            redo = wl ? !at || strncmp(at + 1, w, wl) != 0 : at != NULL;
        } else {
            for (size_t j = 0;
                 j < sizeof(s_grouped_later) / sizeof(*s_grouped_later); j++)
                redo |= s_grouped_later[j] == db;
        }
        if (redo)
            rc = s_regroup(t, db);
    }
    if (rc != CL_OK || (marked && !strcmp(had, now)))
        return rc;
    return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)"ixgroups", 8,
                            (const uint8_t *)now, used);
}

int cl_store_backup_size(cl_store *s, uint64_t *bytes)
{
    MDB_txn *txn = NULL;
    MDB_dbi main_dbi;
    MDB_stat st;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    uint64_t pages = 2, psize = 0; /* the meta pages */
    for (int i = -1; rc == MDB_SUCCESS && i < CL_DB_COUNT; i++) {
        rc = mdb_stat(txn, i < 0 ? main_dbi : s->dbi[i], &st);
        pages += rc == MDB_SUCCESS ? st.ms_branch_pages + st.ms_leaf_pages +
                                         st.ms_overflow_pages
                                   : 0;
        psize = st.ms_psize;
    }
    mdb_txn_abort(txn);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    *bytes = pages * psize;
    return CL_OK;
}

void cl_store__keys_settle(cl_txn *t, bool committed)
{
    cl_store *s = t->store;
    if (!s->keys_was || s->keys_txn != t)
        return;
    if (committed && t->parent) {
        s->keys_txn = t->parent; /* the parent decides */
        return;
    }
    if (!committed) {
        sodium_mprotect_readwrite(s->keys);
        memcpy(s->keys, s->keys_was, sizeof(*s->keys));
        sodium_mprotect_readonly(s->keys);
    }
    sodium_free(s->keys_was);
    s->keys_was = NULL;
    s->keys_txn = NULL;
}

int cl_store_group_count(cl_txn *t, cl_db db, const uint8_t *prefix,
                         uint64_t *count)
{
    uint8_t dk[64 + 256], x[S_TAG];
    if (db >= CL_DB_COUNT || !cl_store__dbs[db].group)
        return CL_ERR_INVALID;
    return s_digest_get(
        t, dk, s_digest_key(dk, db, prefix, cl_store__dbs[db].group), count, x);
}
