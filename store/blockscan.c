/*
 * blockscan: bounded reads of an index sub-database's rows under a
 * prefix, for the blocking index: a count that opens no row, and a scan
 * that reads a prefix only when it holds at most so many rows, in one
 * descent of the tree. Every row a scan passes on is authenticated, as
 * cl_store_scan's are.
 */
#include "store_int.h"

#include <sodium.h>
#include <string.h>

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

int cl_store_scan_upto(cl_txn *t, cl_db db, const uint8_t *prefix,
                       size_t prefix_len, size_t max, cl_store_scan_fn fn,
                       void *ctx, bool *over)
{
    MDB_cursor *cur = NULL;
    MDB_val k = {prefix_len, (void *)prefix}, v;
    MDB_val row[2][CL_STORE_SCAN_UPTO + 1];
    uint8_t plain[256];
    size_t n = 0, len;
    *over = false;
    if (!s_plain_index(db) || !prefix_len || max > CL_STORE_SCAN_UPTO)
        return CL_ERR_INVALID;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    /* the rows' views stay valid: nothing writes until the end */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == MDB_SUCCESS && n <= max && k.mv_size >= prefix_len &&
         memcmp(k.mv_data, prefix, prefix_len) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        row[0][n] = k;
        row[1][n++] = v;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return cl_store__mdb_err(rc);
    *over = n > max;
    int out = CL_OK;
    for (size_t i = 0; i < n && !*over && out == CL_OK; i++) {
        out = cl_store__ix_open(t->store, db, row[0][i].mv_data,
                                row[0][i].mv_size, &row[1][i], plain,
                                sizeof(plain), &len);
        if (out == CL_OK)
            out = fn(ctx, row[0][i].mv_data, row[0][i].mv_size);
    }
    sodium_memzero(plain, sizeof(plain));
    return out > 0 ? CL_OK : out;
}
