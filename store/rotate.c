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

/*
 * Versions are a 32-bit counter with no table behind it: the store keeps
 * the data keys of the live versions only, those from the floor (every
 * version below it is retired) to the current one, fewer than
 * CL_STORE_KEY_VERSIONS of them, each in slot v % CL_STORE_KEY_VERSIONS.
 * Retiring the oldest live version moves the floor on, so rotations (and
 * master key replacements) go on for as long as the operator retires what
 * re-sealing has emptied.
 */
static int s_meta_u32_get(cl_txn *t, const char *name, uint32_t *v)
{
    uint8_t b[8];
    size_t len = 0;
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)name,
                              strlen(name), b, sizeof(b), &len);
    if (rc == CL_OK && len != 4)
        return CL_ERR_CORRUPT;
    if (rc == CL_OK)
        *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
             b[3];
    return rc;
}

int cl_store__key_state(cl_txn *t, uint32_t *version, uint64_t *retired)
{
    uint32_t v = 1, floor = 1, mask = 0;
    int rc = s_meta_u32_get(t, "keyversion", &v);
    if (rc == CL_OK || rc == CL_ERR_NOT_FOUND)
        rc = s_meta_u32_get(t, "retired", &mask);
    if (rc == CL_OK || rc == CL_ERR_NOT_FOUND)
        rc = s_meta_u32_get(t, "keyfloor", &floor);
    if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
        return rc;
    if (v == 0 || floor == 0 || floor > v || v - floor >= CL_STORE_KEY_VERSIONS)
        return CL_ERR_CORRUPT;
    mask &= ~1u;
    while (mask & 2u && floor < v) { /* as cl_store_retire leaves it */
        floor++;
        mask = (mask >> 1) & ~1u;
    }
    *version = v;
    *retired = CL_STORE__RETIRED(floor, mask);
    return CL_OK;
}

void cl_store__data_key_set(cl_store *s, uint32_t v)
{
    sodium_mprotect_readwrite(s->keys);
    cl_store__data_key(s->keys, v);
    sodium_mprotect_readonly(s->keys);
}

int cl_store_rotate(cl_txn *t, uint32_t *new_version)
{
    uint32_t v = cl_store__txn_version(t) + 1;
    uint32_t floor = CL_STORE__FLOOR(cl_store__txn_retired(t));
    if (v == 0 || v - floor >= CL_STORE_KEY_VERSIONS)
        return CL_ERR_FULL; /* retire the oldest versions first */
    int rc = s_meta_u32(t, "keyversion", v);
    if (rc == CL_OK) {
        /* the slot held a version below the floor: retired, unused */
        cl_store__data_key_set(t->store, v);
        t->key_version = v;
        *new_version = v;
    }
    return rc;
}

uint32_t cl_store_key_floor(cl_txn *t)
{
    return CL_STORE__FLOOR(cl_store__txn_retired(t));
}

int cl_store_key_usage(cl_txn *t, cl_store_key_use out[CL_STORE_KEY_VERSIONS],
                       size_t *n)
{
    uint32_t cur = cl_store__txn_version(t);
    uint64_t r = cl_store__txn_retired(t);
    uint32_t lo =
        cur >= CL_STORE_KEY_VERSIONS ? cur - CL_STORE_KEY_VERSIONS + 1 : 1;
    *n = cur - lo + 1;
    for (uint32_t v = lo; v <= cur; v++) {
        out[v - lo].version = v;
        out[v - lo].values = 0;
        out[v - lo].retired = cl_store__is_retired(r, v);
    }
    for (int db = 0; db < CL_DB_COUNT; db++) {
        if (!cl_store__dbs[db].sealed)
            continue;
        MDB_cursor *cur_ = NULL;
        MDB_val k, v;
        int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur_);
        if (rc != MDB_SUCCESS)
            return cl_store__mdb_err(rc);
        for (rc = mdb_cursor_get(cur_, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
             rc = mdb_cursor_get(cur_, &k, &v, MDB_NEXT)) {
            uint32_t ver;
            if (cl_seal_version(&ver, v.mv_data, v.mv_size) == CL_OK &&
                ver >= lo && ver <= cur)
                out[ver - lo].values++;
        }
        mdb_cursor_close(cur_);
        if (rc != MDB_NOTFOUND)
            return cl_store__mdb_err(rc);
    }
    return CL_OK;
}

int cl_store_retire(cl_txn *t, uint32_t v)
{
    cl_store_key_use use[CL_STORE_KEY_VERSIONS];
    size_t n = 0;
    uint32_t cur = cl_store__txn_version(t);
    uint64_t r = cl_store__txn_retired(t);
    uint32_t floor = CL_STORE__FLOOR(r), mask = CL_STORE__MASK(r);
    if (v == 0 || v >= cur)
        return CL_ERR_INVALID;
    if (v < floor)
        return CL_OK; /* retired already */
    int rc = cl_store_key_usage(t, use, &n);
    if (rc != CL_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (use[i].version == v && use[i].values)
            return CL_ERR_EXISTS;
    mask |= 1u << (v - floor + 1);
    while (mask & 2u) { /* the oldest live one: the floor moves on */
        floor++;
        mask = (mask >> 1) & ~1u;
    }
    rc = s_meta_u32(t, "retired", mask);
    if (rc == CL_OK)
        rc = s_meta_u32(t, "keyfloor", floor);
    if (rc == CL_OK)
        t->retired = CL_STORE__RETIRED(floor, mask);
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

/* Keep s's keys as they are, put back if t aborts (cl_store__keys_settle):
 * for a change of keys that t's commit makes good. */
static int s_keys_hold(cl_txn *t)
{
    cl_store *s = t->store;
    if (!(s->keys_was = sodium_malloc(sizeof(*s->keys))))
        return CL_ERR_NOMEM;
    memcpy(s->keys_was, s->keys, sizeof(*s->keys));
    sodium_mprotect_readonly(s->keys_was);
    s->keys_txn = t;
    return CL_OK;
}

int cl_store_rekey(cl_txn *t, const uint8_t next[CL_MASTER_KEY_LEN],
                   uint32_t *new_version)
{
    cl_store *s = t->store;
    uint32_t v = cl_store__txn_version(t) + 1;
    uint32_t floor = CL_STORE__FLOOR(cl_store__txn_retired(t));
    if (cl_store_key_opens(s, next))
        return CL_ERR_EXISTS;
    if (!t->write || s->keys_was)
        return CL_ERR_INVALID; /* one at a time, in a write transaction */
    if (v == 0 || v - floor >= CL_STORE_KEY_VERSIONS)
        return CL_ERR_FULL;
    int rc = s_keys_hold(t);
    if (rc == CL_OK)
        rc = cl_store__epoch_add(s, v, floor, next);
    if (rc == CL_OK)
        rc = cl_store__ring_put(t, next);
    if (rc == CL_OK)
        rc = cl_store_rotate(t, new_version);
    return rc; /* on failure the caller aborts t, which puts keys back */
}

int cl_store_ring_adopt(cl_txn *t, const uint8_t next[CL_MASTER_KEY_LEN])
{
    cl_store *s = t->store;
    if (!t->write || t->parent || s->keys_was)
        return CL_ERR_INVALID;
    int rc = s_keys_hold(t);
    if (rc == CL_OK)
        rc = cl_store__keyring_open(s, t, next);
    uint32_t top = cl_store__txn_version(t);
    for (uint32_t v = CL_STORE__FLOOR(cl_store__txn_retired(t));
         rc == CL_OK && v <= top; v++)
        cl_store__data_key_set(s, v);
    return rc; /* on failure the caller aborts t, which puts keys back */
}
