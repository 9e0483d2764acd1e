/*
 * rotate: data key versions: rotation, usage counts, retirement and
 * re-sealing in bounded batches.
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

#include "seal.h"
#include "store_int.h"

/* --- key rotation --------------------------------------------------------- */

static int s_meta_u32(cl_txn *t, const char *name, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)name, strlen(name),
                            b, 4);
}

uint32_t cl_store_key_version(const cl_store *s)
{
    return s->key_version;
}

int cl_store_rotate(cl_txn *t, uint32_t *new_version)
{
    uint32_t v = cl_store__txn_version(t) + 1;
    if (v > CL_STORE_KEY_VERSIONS)
        return CL_ERR_FULL;
    int rc = s_meta_u32(t, "keyversion", v);
    if (rc == CL_OK) {
        t->key_version = v;
        *new_version = v;
    }
    return rc;
}

int cl_store_key_usage(cl_txn *t, uint64_t counts[CL_STORE_KEY_VERSIONS + 1],
                       uint32_t *retired)
{
    memset(counts, 0, sizeof(uint64_t) * (CL_STORE_KEY_VERSIONS + 1));
    *retired = t->store->retired | t->retired;
    for (int db = 0; db < CL_DB_COUNT; db++) {
        if (!cl_store__dbs[db].sealed)
            continue;
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
        if (rc != MDB_SUCCESS)
            return cl_store__mdb_err(rc);
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint32_t ver;
            if (cl_seal_version(&ver, v.mv_data, v.mv_size) == CL_OK &&
                ver >= 1 && ver <= CL_STORE_KEY_VERSIONS)
                counts[ver]++;
        }
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND)
            return cl_store__mdb_err(rc);
    }
    return CL_OK;
}

int cl_store_retire(cl_txn *t, uint32_t v)
{
    uint64_t counts[CL_STORE_KEY_VERSIONS + 1];
    uint32_t retired;
    if (v == 0 || v > CL_STORE_KEY_VERSIONS || v == cl_store__txn_version(t))
        return CL_ERR_INVALID;
    int rc = cl_store_key_usage(t, counts, &retired);
    if (rc != CL_OK)
        return rc;
    if (counts[v])
        return CL_ERR_EXISTS;
    retired |= 1u << v;
    rc = s_meta_u32(t, "retired", retired);
    if (rc == CL_OK)
        t->retired |= 1u << v;
    return rc;
}

int cl_store_reseal(cl_txn *t, cl_reseal_pos *pos, size_t max, size_t *done)
{
    uint32_t cur_ver = cl_store__txn_version(t);
    uint8_t *plain = NULL;
    int rc = CL_OK;
    *done = 0;
    plain = malloc(CL_STORE_MAX_VALUE);
    if (!plain)
        return CL_ERR_NOMEM;
    while (pos->db < CL_DB_COUNT && *done < max && rc == CL_OK) {
        if (!cl_store__dbs[pos->db].sealed) {
            pos->db++;
            pos->key_len = 0;
            continue;
        }
        /* Find the next value sealed with another version. */
        MDB_cursor *cur = NULL;
        MDB_val k = {pos->key_len, pos->key}, v;
        int mrc = mdb_cursor_open(t->txn, t->store->dbi[pos->db], &cur);
        if (mrc != MDB_SUCCESS) {
            rc = cl_store__mdb_err(mrc);
            break;
        }
        mrc = mdb_cursor_get(cur, &k, &v,
                             pos->key_len ? MDB_SET_RANGE : MDB_FIRST);
        bool found = false;
        while (mrc == MDB_SUCCESS) {
            uint32_t ver;
            if (cl_seal_version(&ver, v.mv_data, v.mv_size) == CL_OK &&
                ver != cur_ver && k.mv_size <= sizeof(pos->key)) {
                found = true;
                memcpy(pos->key, k.mv_data, k.mv_size);
                pos->key_len = k.mv_size;
                break;
            }
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(cur);
        if (!found) {
            if (mrc != MDB_NOTFOUND && mrc != MDB_SUCCESS) {
                rc = cl_store__mdb_err(mrc);
                break;
            }
            pos->db++;
            pos->key_len = 0;
            continue;
        }
        size_t len = 0;
        rc = cl_store_get(t, (cl_db)pos->db, pos->key, pos->key_len, plain,
                          CL_STORE_MAX_VALUE, &len);
        if (rc == CL_OK)
            rc = cl_store_put(t, (cl_db)pos->db, pos->key, pos->key_len, plain,
                              len);
        sodium_memzero(plain, len);
        if (rc == CL_OK)
            (*done)++;
        /* next key: this one + a zero byte sorts right after it */
        if (pos->key_len < sizeof(pos->key))
            pos->key[pos->key_len++] = 0;
    }
    free(plain);
    return rc;
}

/* --- replacing the master key (see keyfile.c's keyring) ------------------- */

int cl_store_rekey(cl_txn *t, const uint8_t next[CL_MASTER_KEY_LEN],
                   uint32_t *new_version)
{
    cl_store *s = t->store;
    uint32_t v = cl_store__txn_version(t) + 1;
    if (cl_store_key_opens(s, next))
        return CL_ERR_EXISTS;
    if (!t->write || s->keys_was)
        return CL_ERR_INVALID; /* one at a time, in a write transaction */
    if (v > CL_STORE_KEY_VERSIONS)
        return CL_ERR_FULL;
    /* the keys as they are, put back if t aborts (cl_store__keys_settle) */
    if (!(s->keys_was = sodium_malloc(sizeof(*s->keys))))
        return CL_ERR_NOMEM;
    memcpy(s->keys_was, s->keys, sizeof(*s->keys));
    sodium_mprotect_readonly(s->keys_was);
    s->keys_txn = t;
    int rc = cl_store__epoch_add(s, v, next);
    if (rc == CL_OK)
        rc = cl_store__ring_put(t, next);
    if (rc == CL_OK)
        rc = cl_store_rotate(t, new_version);
    return rc; /* on failure the caller aborts t, which puts keys back */
}
