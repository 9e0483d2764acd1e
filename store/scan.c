/*
 * scan: the rows under a key prefix, or from a key on, in key order: a
 * scan of a grouped sub-database's group first checks the group against
 * its digest (cl_store__group_check, "authenticated rows" in store.c),
 * and every index row it hands on must authenticate. A scan of exactly
 * one group (a person's relations, a blind index's records) keeps the
 * keys its check walked, each row authenticated, and hands them on from
 * there, instead of a second cursor and descent over the same rows.
 */
#include <lmdb.h>
#include <sodium.h>
#include <string.h>

#include "store_int.h"

/* What a scan of one whole group keeps from its check's walk: each
 * row's key, its length first (2 bytes), while they fit. */
#define S_WALK_KEEP 2048
typedef struct s_walk {
    uint8_t buf[S_WALK_KEEP];
    size_t len;
    bool whole; /* every row walked is in buf, authenticated */
} s_walk;

/* cl_store__row_fn: keep row k, authenticated, or give up keeping. */
static int s_walk_keep(void *ctx, cl_txn *t, cl_db db, const MDB_val *k,
                       const MDB_val *v)
{
    s_walk *w = ctx;
    if (!w->whole)
        return CL_OK;
    if (w->len + 2 + k->mv_size > sizeof(w->buf)) {
        w->whole = false; /* a big group: its rows are read again */
        return CL_OK;
    }
    int rc = cl_store__row_check(t, db, k, v);
    if (rc != CL_OK)
        return rc;
    w->buf[w->len] = (uint8_t)(k->mv_size >> 8);
    w->buf[w->len + 1] = (uint8_t)k->mv_size;
    memcpy(w->buf + w->len + 2, k->mv_data, k->mv_size);
    w->len += 2 + k->mv_size;
    return CL_OK;
}

/* fn for each key w kept, in order (copies: fn may write). */
static int s_walk_scan(const s_walk *w, cl_store_scan_fn fn, void *ctx)
{
    for (size_t at = 0; at < w->len;) {
        size_t n = (size_t)w->buf[at] << 8 | w->buf[at + 1];
        int r = fn(ctx, w->buf + at + 2, n);
        if (r != CL_OK)
            return r > 0 ? CL_OK : r;
        at += 2 + n;
    }
    return CL_OK;
}

int cl_store_scan(cl_txn *t, cl_db db, const uint8_t *prefix, size_t prefix_len,
                  cl_store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur = NULL;
    MDB_val k = {prefix_len, (void *)prefix}, v;
    if (db >= CL_DB_COUNT)
        return CL_ERR_INVALID;
    int rc;
    size_t g = cl_store__dbs[db].group;
    if (g && prefix_len >= g) {
        /* one whole group (most scans): its check's walk is the scan,
         * and fn sees no row until every row passed */
        s_walk w;
        w.len = 0;
        w.whole = prefix_len == g;
        if ((rc = cl_store__group_check(
                 t, db, prefix, w.whole ? s_walk_keep : NULL, &w)) != CL_OK)
            return rc;
        if (w.whole)
            return s_walk_scan(&w, fn, ctx);
    }
    rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    rc = mdb_cursor_get(cur, &k, &v, prefix_len ? MDB_SET_RANGE : MDB_FIRST);
    int out = CL_OK;
    while (rc == MDB_SUCCESS) {
        if (prefix_len &&
            (k.mv_size < prefix_len || memcmp(k.mv_data, prefix, prefix_len)))
            break;
        int r = cl_store__row_check(t, db, &k, &v);
        if (r == CL_OK)
            r = fn(ctx, k.mv_data, k.mv_size);
        if (r != CL_OK) {
            out = r > 0 ? CL_OK : r;
            break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        out = cl_store__mdb_err(rc);
    mdb_cursor_close(cur);
    return out;
}

int cl_store_scan_from(cl_txn *t, cl_db db, const uint8_t *start,
                       size_t start_len, cl_store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur = NULL;
    MDB_val k = {start_len, (void *)start}, v;
    if (db >= CL_DB_COUNT)
        return CL_ERR_INVALID;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    int out = CL_OK;
    for (rc =
             mdb_cursor_get(cur, &k, &v, start_len ? MDB_SET_RANGE : MDB_FIRST);
         rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int r = cl_store__row_check(t, db, &k, &v);
        if (r == CL_OK)
            r = fn(ctx, k.mv_data, k.mv_size);
        if (r != CL_OK) {
            out = r > 0 ? CL_OK : r;
            break;
        }
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        out = cl_store__mdb_err(rc);
    mdb_cursor_close(cur);
    return out;
}
