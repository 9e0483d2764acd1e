/*
 * scan: the rows under a key prefix, or from a key on, in key order: a
 * scan of a grouped sub-database's group first checks the group against
 * its digest (cl_store__group_check, "authenticated rows" in store.c),
 * and every index row it hands on must authenticate.
 */
#include <lmdb.h>
#include <sodium.h>
#include <string.h>

#include "store_int.h"

int cl_store_scan(cl_txn *t, cl_db db, const uint8_t *prefix, size_t prefix_len,
                  cl_store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur = NULL;
    MDB_val k = {prefix_len, (void *)prefix}, v;
    if (db >= CL_DB_COUNT)
        return CL_ERR_INVALID;
    int rc;
    if (cl_store__dbs[db].group && prefix_len >= cl_store__dbs[db].group &&
        (rc = cl_store__group_check(t, db, prefix)) != CL_OK)
        return rc;
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
