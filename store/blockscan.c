/*
 * blockscan: bounded reads of an index sub-database's rows under
 * prefixes, for the blocking index: a count that opens no row, and a
 * scan of several prefixes, each read only when it holds at most so
 * many rows, whose rows the caller chooses among by their keys before
 * any is opened. Every row a scan passes on is authenticated, as
 * cl_store_scan's are; the others are never opened.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cl_vec.h"

/* An authenticated index sub-database without group digests. */
static bool s_plain_index(cl_db db)
{
    return db < CL_DB_COUNT && db != CL_DB_META && !cl_store__dbs[db].sealed &&
           !cl_store__dbs[db].group;
}

int cl_store_count(cl_txn *t, cl_db db, const uint8_t *prefix,
                   size_t prefix_len, size_t max, size_t *n)
{
    MDB_cursor *cur = NULL;
    MDB_val k = {prefix_len, (void *)prefix}, v;
    *n = 0;
    if (!s_plain_index(db) || !prefix_len)
        return CL_ERR_INVALID;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == MDB_SUCCESS && *n < max && k.mv_size >= prefix_len &&
         memcmp(k.mv_data, prefix, prefix_len) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        (*n)++;
    mdb_cursor_close(cur);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? CL_OK
                                                   : cl_store__mdb_err(rc);
}

/* The rows of one prefix (at most max, else none: *n unchanged) onto
 * *row and *val, with cursor cur. */
static int s_gather(MDB_cursor *cur, const uint8_t *pre, size_t prefix_len,
                    size_t p, size_t max, cl_store_row **row, MDB_val **val,
                    size_t *n, size_t *cap)
{
    MDB_val k = {prefix_len, (void *)pre}, v;
    size_t first = *n;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         mrc == MDB_SUCCESS && *n - first <= max && k.mv_size >= prefix_len &&
         memcmp(k.mv_data, pre, prefix_len) == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        /* both arrays hold at least *cap: val grows first on a copy of
         * cap, so a failure leaves *cap true for both */
        size_t vcap = *cap;
        if (cl_vec_reserve(val, &vcap, *n + 1, sizeof(**val)) != CL_OK ||
            cl_vec_reserve(row, cap, *n + 1, sizeof(**row)) != CL_OK)
            return CL_ERR_NOMEM;
        (*row)[*n] = (cl_store_row){p, k.mv_data, k.mv_size};
        (*val)[(*n)++] = v;
    }
    if (*n - first > max)
        *n = first; /* over: skipped unread */
    return mrc == MDB_SUCCESS || mrc == MDB_NOTFOUND ? CL_OK
                                                     : cl_store__mdb_err(mrc);
}

int cl_store_scan_pick(cl_txn *t, cl_db db, const uint8_t *prefixes,
                       size_t prefix_len, size_t n_prefixes, size_t max,
                       cl_store_pick_fn pick, cl_store_scan_fn fn, void *ctx)
{
    cl_store_row *row = NULL;
    MDB_val *val = NULL;
    MDB_cursor *cur = NULL;
    bool *keep = NULL;
    size_t n = 0, cap = 0, len;
    uint8_t plain[256];
    if (!s_plain_index(db) || !prefix_len || max > CL_STORE_SCAN_UPTO)
        return CL_ERR_INVALID;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    /* the rows' views stay valid: nothing writes until the end */
    for (size_t p = 0; p < n_prefixes && rc == CL_OK; p++)
        rc = s_gather(cur, prefixes + p * prefix_len, prefix_len, p, max, &row,
                      &val, &n, &cap);
    mdb_cursor_close(cur);
    if (rc == CL_OK && n && !(keep = calloc(n, sizeof(*keep))))
        rc = CL_ERR_NOMEM;
    if (rc == CL_OK && n)
        rc = pick(ctx, row, n, keep);
    for (size_t i = 0; i < n && rc == CL_OK; i++) {
        if (!keep[i])
            continue;
        rc = cl_store__ix_open(t->store, db, row[i].key, row[i].key_len,
                               &val[i], plain, sizeof(plain), &len);
        if (rc == CL_OK)
            rc = fn(ctx, row[i].key, row[i].key_len);
    }
    sodium_memzero(plain, sizeof(plain));
    free(row);
    free(val);
    free(keep);
    return rc > 0 ? CL_OK : rc;
}
