/*
 * reindex: moving a store's index keys (the blind index permutation, the
 * index-row MAC and cipher keys, the replication key) to a new
 * generation, offline, in one write transaction (see cl_store_reindex).
 *
 * Why one transaction, and offline: LMDB commits a write transaction
 * whole or not at all, so a kill -9 or a power cut at any point leaves
 * the store on the old generation, complete, or on the new one,
 * complete; there is no half-moved state to resume and no marker to
 * trust. The cost is that nothing else may use the store meanwhile: the
 * daemon's readers hold one set of index keys for every snapshot, so a
 * reader of an older snapshot would check its rows with keys it was not
 * written with. Hence the daemon is stopped (`caselinkd --rekey-indexes`)
 * and a standby is seeded again from a backup made after it (README).
 *
 * Where blind indexes sit in keys is the table below: a sub-database
 * whose keys hold one (written with cl_store_blind) must have its row
 * here, or its rows are left under the old generation, where no lookup
 * finds them (test_rekey checks every kind a daemon writes).
 */
#include "store.h"

#include <lmdb.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"
#include "store_int.h"

typedef struct s_blind_at {
    cl_db db;
    const char *prefix; /* only keys that begin so (NULL: every key) */
    uint8_t key_len;    /* only keys this long (0: any) */
    uint8_t at;         /* where the blind index starts */
} s_blind_at;

static const s_blind_at s_blinds[] = {
    {CL_DB_BLIND, NULL, 0, 0},      /* identifiers, decided records */
    {CL_DB_BLOCK, NULL, 0, 0},      /* blocking keys, queued pairs */
    {CL_DB_MAILBOX, NULL, 0, 0},    /* blind(agency) || seq */
    {CL_DB_AUDIT_USER, NULL, 0, 0}, /* blind(user id) || seq */
    {CL_DB_AGENCY_REF, NULL, CL_BLIND_LEN, 0},
    {CL_DB_IDEMPOTENCY, NULL, CL_BLIND_LEN, 0},  /* not keycheck, audit-head */
    {CL_DB_ALERTED, NULL, 8 + CL_BLIND_LEN, 8},  /* referral id || agency */
    {CL_DB_REPLAY, NULL, 4 + CL_BLIND_LEN, 4},   /* second || client, msgid */
    {CL_DB_META, "flagn:", 6 + CL_BLIND_LEN, 6}, /* flag notice windows */
};

#define S_TMP       "reindex" /* the rows being moved, inside the txn */
#define S_IX_MAX    256       /* largest index value (store.c) */
#define S_KEY_MAX   CL_CAP_KEY_MAX
#define S_PROGRESS  1000
#define S_DIGEST_SZ (8 + CL_STORE__TAG)

typedef struct s_ctx {
    cl_txn *t;
    const cl_store__keys *old; /* the generation being left */
    const cl_store__keys *now; /* the new one (t's store's keys) */
    MDB_dbi tmp;
    uint8_t *plain; /* CL_STORE_MAX_VALUE */
    uint8_t *buf;   /* CL_STORE_MAX_VALUE + CL_SEAL_OVERHEAD */
    cl_store_progress_fn progress;
    void *pctx;
    cl_store_reindex_stats st;
    /* the group digest being built (s_digests) */
    uint8_t group[S_KEY_MAX];
    uint8_t x[CL_STORE__TAG], tx[CL_STORE__TAG];
    uint64_t n, total;
} s_ctx;

static bool s_authed(cl_db db)
{
    return db != CL_DB_META && !cl_store__dbs[db].sealed;
}

/* Where key holds a blind index in db, or -1. */
static int s_blind_in(cl_db db, const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < sizeof(s_blinds) / sizeof(*s_blinds); i++) {
        const s_blind_at *b = &s_blinds[i];
        size_t pl = b->prefix ? strlen(b->prefix) : 0;
        if (b->db == db && (!b->key_len || len == b->key_len) &&
            len >= (size_t)b->at + CL_BLIND_LEN &&
            (!pl || !memcmp(key, b->prefix, pl)))
            return b->at;
    }
    return -1;
}

static bool s_has_blinds(cl_db db)
{
    for (size_t i = 0; i < sizeof(s_blinds) / sizeof(*s_blinds); i++)
        if (s_blinds[i].db == db)
            return true;
    return false;
}

static void s_tick(s_ctx *c)
{
    if (++c->st.rows % S_PROGRESS == 0 && c->progress)
        c->progress(c->pctx, c->st.rows);
}

/* Associated data of a sealed value (as store.c makes it). */
static size_t s_ad(uint8_t *ad, cl_db db, const uint8_t *key, size_t len)
{
    size_t n = strlen(cl_store__dbs[db].name) + 1;
    memcpy(ad, cl_store__dbs[db].name, n);
    memcpy(ad + n, key, len);
    return n + len;
}

/* One row of db as the new generation stores it, at key nk (the old key
 * k with its blind index moved, or k): an index row opened under the old
 * keys and sealed under the new; a sealed value whose key moved opened
 * and sealed again for it (same data key version); any other row as it
 * was. *nv points into c's buffers or at v. */
static int s_row(s_ctx *c, cl_db db, const MDB_val *k, const MDB_val *v,
                 const uint8_t *nk, MDB_val *nv)
{
    uint8_t ad[CL_SEAL_AD_MAX], ad2[CL_SEAL_AD_MAX], tag[CL_STORE__TAG];
    size_t n = 0;
    *nv = *v;
    if (s_authed(db)) {
        int rc = cl_store__ixk_open(c->old, db, k->mv_data, k->mv_size, v,
                                    c->plain, S_IX_MAX, &n);
        if (rc != CL_OK)
            return rc;
        cl_store__ixk_tag(c->now, db, nk, k->mv_size, c->plain, n, tag);
        memcpy(c->buf, tag, CL_STORE__TAG);
        cl_store__ixk_stream(c->now, tag, c->buf + CL_STORE__TAG, c->plain, n);
        sodium_memzero(c->plain, n);
        nv->mv_size = CL_STORE__TAG + n;
        nv->mv_data = c->buf;
        return CL_OK;
    }
    if (!cl_store__dbs[db].sealed || !memcmp(nk, k->mv_data, k->mv_size))
        return CL_OK;
    uint32_t ver;
    if (k->mv_size + strlen(cl_store__dbs[db].name) + 1 > sizeof(ad) ||
        cl_seal_version(&ver, v->mv_data, v->mv_size) != CL_OK)
        return CL_ERR_CORRUPT;
    const uint8_t *dk = c->now->data[ver % CL_STORE_KEY_VERSIONS];
    size_t al = s_ad(ad, db, k->mv_data, k->mv_size);
    int rc = cl_seal_open(c->plain, CL_STORE_MAX_VALUE, &n, dk, ad, al,
                          v->mv_data, v->mv_size);
    uint8_t nonce[CL_SEAL_NONCE];
    cl_seal_nonce(&c->t->store->nonces, nonce);
    if (rc == CL_OK)
        rc = cl_seal(c->buf, dk, ver, nonce, ad2, s_ad(ad2, db, nk, k->mv_size),
                     c->plain, n);
    sodium_memzero(c->plain, n);
    nv->mv_size = n + CL_SEAL_OVERHEAD;
    nv->mv_data = c->buf;
    return rc;
}

/* Call fn for every row of dbi (table db's rows, or the scratch table
 * holding them) in key order, with the cursor, until it fails. */
typedef int (*s_row_fn)(s_ctx *c, cl_db db, MDB_cursor *cur, MDB_val *k,
                        MDB_val *v);
static int s_each(s_ctx *c, cl_db db, MDB_dbi dbi, s_row_fn fn)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc = CL_OK;
    int mrc = mdb_cursor_open(c->t->txn, dbi, &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         mrc == MDB_SUCCESS && rc == CL_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        rc = fn(c, db, cur, &k, &v);
    mdb_cursor_close(cur);
    if (rc == CL_OK && mrc != MDB_NOTFOUND)
        rc = cl_store__mdb_err(mrc);
    return rc;
}

/* A row of a table whose keys do not move, rewritten where it is (an
 * index row keeps its length). */
static int s_in_place(s_ctx *c, cl_db db, MDB_cursor *cur, MDB_val *k,
                      MDB_val *v)
{
    MDB_val nv;
    int rc = s_row(c, db, k, v, k->mv_data, &nv);
    if (rc == CL_OK)
        rc = cl_store__mdb_err(mdb_cursor_put(cur, k, &nv, MDB_CURRENT));
    s_tick(c);
    return rc;
}

/* A row of db that holds a blind index (any row of an index table) into
 * the scratch table. */
static int s_copy_out(s_ctx *c, cl_db db, MDB_cursor *cur, MDB_val *k,
                      MDB_val *v)
{
    (void)cur;
    if (!s_authed(db) && s_blind_in(db, k->mv_data, k->mv_size) < 0)
        return CL_OK;
    return cl_store__mdb_err(mdb_put(c->t->txn, c->tmp, k, v, 0));
}

/* A scratch row's key out of db. */
static int s_del_in(s_ctx *c, cl_db db, MDB_cursor *cur, MDB_val *k, MDB_val *v)
{
    (void)cur;
    (void)v;
    return cl_store__mdb_err(mdb_del(c->t->txn, c->t->store->dbi[db], k, NULL));
}

/* A scratch row back into db at its new key. */
static int s_put_back(s_ctx *c, cl_db db, MDB_cursor *cur, MDB_val *k,
                      MDB_val *v)
{
    uint8_t nk[S_KEY_MAX];
    MDB_val nv, nkv = {k->mv_size, nk};
    (void)cur;
    if (k->mv_size > sizeof(nk))
        return CL_ERR_CORRUPT;
    memcpy(nk, k->mv_data, k->mv_size);
    int at = s_blind_in(db, k->mv_data, k->mv_size);
    if (at >= 0) {
        cl_store__blind_move(c->old, c->now, nk + at);
        c->st.blinds++;
    }
    int rc = s_row(c, db, k, v, nk, &nv);
    if (rc == CL_OK)
        rc = cl_store__mdb_err(
            mdb_put(c->t->txn, c->t->store->dbi[db], &nkv, &nv, 0));
    s_tick(c);
    return rc;
}

/* The rows of db that hold a blind index (every row of an index table)
 * through the scratch table, back at their new keys: the new keys sort
 * elsewhere, so they are never met again on the way. */
static int s_move(s_ctx *c, cl_db db)
{
    MDB_dbi dbi = c->t->store->dbi[db];
    int rc = s_each(c, db, dbi, s_copy_out);
    if (rc == CL_OK)
        rc = s_authed(db) ? cl_store__mdb_err(mdb_drop(c->t->txn, dbi, 0))
                          : s_each(c, db, c->tmp, s_del_in);
    if (rc == CL_OK)
        rc = s_each(c, db, c->tmp, s_put_back);
    return rc == CL_OK ? cl_store__mdb_err(mdb_drop(c->t->txn, c->tmp, 0)) : rc;
}

/* Write one digest row (ixdigest key name NUL prefix). */
static int s_digest_put(s_ctx *c, cl_db db, const uint8_t *prefix, size_t pl,
                        uint64_t count, const uint8_t x[CL_STORE__TAG])
{
    uint8_t dk[64 + S_KEY_MAX], val[S_DIGEST_SZ];
    size_t n = strlen(cl_store__dbs[db].name) + 1;
    memcpy(dk, cl_store__dbs[db].name, n);
    if (pl) /* a group's digest, not the total */
        memcpy(dk + n, prefix, pl);
    for (int i = 0; i < 8; i++)
        val[i] = (uint8_t)(count >> (8 * (7 - i)));
    memcpy(val + 8, x, CL_STORE__TAG);
    c->st.digests++;
    return cl_store_put(c->t, CL_DB_IXDIGEST, dk, n + pl, val, sizeof(val));
}

/* A row of grouped db into its group's digest and the total; a group
 * ends where the next begins (a group's rows are adjacent in key order,
 * so memory does not grow with the store). */
static int s_digest_row(s_ctx *c, cl_db db, MDB_cursor *cur, MDB_val *k,
                        MDB_val *v)
{
    size_t g = cl_store__dbs[db].group;
    uint8_t tag[CL_STORE__TAG];
    int rc = CL_OK;
    (void)cur;
    if (k->mv_size < g)
        return CL_ERR_CORRUPT;
    if (c->n && memcmp(c->group, k->mv_data, g)) {
        rc = s_digest_put(c, db, c->group, g, c->n, c->x);
        c->n = 0;
        memset(c->x, 0, sizeof(c->x));
    }
    memcpy(c->group, k->mv_data, g);
    if (s_authed(db))
        memcpy(tag, v->mv_data, CL_STORE__TAG);
    else
        cl_store__ixk_tag(c->now, db, k->mv_data, k->mv_size, v->mv_data,
                          v->mv_size, tag);
    for (int i = 0; i < CL_STORE__TAG; i++) {
        c->x[i] ^= tag[i];
        c->tx[i] ^= tag[i];
    }
    c->n++;
    c->total++;
    return rc;
}

static int s_digests(s_ctx *c, cl_db db)
{
    c->n = c->total = 0;
    memset(c->x, 0, sizeof(c->x));
    memset(c->tx, 0, sizeof(c->tx));
    int rc = s_each(c, db, c->t->store->dbi[db], s_digest_row);
    if (rc == CL_OK && c->n)
        rc = s_digest_put(c, db, c->group, cl_store__dbs[db].group, c->n, c->x);
    if (rc == CL_OK && c->total)
        rc = s_digest_put(c, db, NULL, 0, c->total, c->tx);
    return rc;
}

/* Everything in transaction c->t, whose store holds the new keys. */
static int s_rewrite(s_ctx *c)
{
    MDB_txn *txn = c->t->txn;
    cl_store *s = c->t->store;
    int rc = cl_store__mdb_err(mdb_dbi_open(txn, S_TMP, MDB_CREATE, &c->tmp));
    if (rc == CL_OK)
        rc = cl_store__mdb_err(mdb_drop(txn, c->tmp, 0));
    for (int i = 0; i < CL_DB_COUNT && rc == CL_OK; i++) {
        cl_db db = (cl_db)i;
        if (db == CL_DB_IXDIGEST)
            continue; /* rebuilt below */
        if (s_has_blinds(db))
            rc = s_move(c, db);
        else if (s_authed(db))
            rc = s_each(c, db, s->dbi[db], s_in_place);
    }
    if (rc == CL_OK)
        rc = cl_store__mdb_err(mdb_drop(txn, c->tmp, 1));
    /* the digests and the anchor, from the rows as they now are */
    if (rc == CL_OK)
        rc = cl_store__mdb_err(mdb_drop(txn, s->dbi[CL_DB_IXDIGEST], 0));
    cl_store__ds_free(s);
    cl_store__vc_clear(cl_store__vc_of(c->t)); /* rows moved behind it */
    for (int i = 0; i < CL_DB_COUNT && rc == CL_OK; i++)
        if (cl_store__dbs[i].group)
            rc = s_digests(c, (cl_db)i);
    if (rc == CL_OK)
        rc = cl_store_put(c->t, CL_DB_IDEMPOTENCY, (const uint8_t *)"keycheck",
                          8, (const uint8_t *)CL_STORE__KEYCHECK,
                          sizeof(CL_STORE__KEYCHECK));
    if (rc == CL_OK)
        rc = cl_store__anchor_init(c->t);
    return rc;
}

int cl_store_reindex(cl_store *s, const uint8_t master[CL_MASTER_KEY_LEN],
                     cl_store_progress_fn progress, void *ctx,
                     cl_store_reindex_stats *out, char *problem,
                     size_t problem_len)
{
    s_ctx c;
    memset(&c, 0, sizeof(c));
    c.progress = progress;
    c.pctx = ctx;
    problem[0] = '\0';
    if (!cl_store_key_opens(s, master))
        return CL_ERR_KEY;
    if (s->keys_was)
        return CL_ERR_INVALID; /* a replacement not committed */
    c.plain = malloc(CL_STORE_MAX_VALUE);
    c.buf = malloc(CL_STORE_MAX_VALUE + CL_SEAL_OVERHEAD);
    int rc =
        c.plain && c.buf ? cl_store_begin(&c.t, s, NULL, true) : CL_ERR_NOMEM;
    /* never launder tampering into rows the new keys vouch for */
    if (rc == CL_OK)
        rc = cl_store_verify(c.t, problem, problem_len);
    /* the keys as they are, put back if the transaction aborts
     * (cl_store__keys_settle) */
    if (rc == CL_OK && !(s->keys_was = sodium_malloc(sizeof(*s->keys))))
        rc = CL_ERR_NOMEM;
    if (rc == CL_OK) {
        memcpy(s->keys_was, s->keys, sizeof(*s->keys));
        sodium_mprotect_readonly(s->keys_was);
        s->keys_txn = c.t;
        c.old = s->keys_was;
        c.now = s->keys;
        rc = cl_store__ixgen_next(s, master);
    }
    if (rc == CL_OK)
        rc = s_rewrite(&c);
    if (rc == CL_OK)
        rc = cl_store__ring_put(c.t, master);
    if (rc == CL_OK &&
        (rc = cl_store_verify(c.t, problem, problem_len)) == CL_ERR_CORRUPT)
        rc = CL_ERR_INTERNAL; /* our own rows: refuse to commit them */
    if (rc == CL_OK && progress)
        progress(ctx, UINT64_MAX); /* about to commit */
    if (rc == CL_OK)
        rc = cl_store_commit(&c.t);
    cl_store_abort(&c.t);
    cl_store__ds_free(s);
    cl_store__replay_forget(s);
    if (c.plain)
        sodium_memzero(c.plain, CL_STORE_MAX_VALUE);
    free(c.plain);
    free(c.buf);
    c.st.generation = s->keys->ixgen;
    if (rc == CL_OK && out)
        *out = c.st;
    return rc;
}
