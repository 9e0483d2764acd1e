/*
 * open: opening and closing a store: the LMDB environment and its
 * sub-databases, the keys derived from the master key, the key check, the
 * one-time upgrades and the id floor. Above the transaction code
 * (store.c) and the id floor (idfloor.c); nothing below calls it.
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

/* --- open / close --------------------------------------------------------- */

/* Open every sub-database, find the root key and check (or plant) the
 * key check value. */
static int s_init_dbs(cl_store *s, const uint8_t master[CL_MASTER_KEY_LEN])
{
    cl_txn *t = NULL;
    size_t len;
    int rc = cl_store_begin(&t, s, NULL, true);
    if (rc != CL_OK)
        return rc;
    for (int i = 0; i < CL_DB_COUNT; i++) {
        if (!cl_store__dbs[i].name) { /* a programming error: refuse to run */
            rc = CL_ERR_INTERNAL;
            goto out;
        }
        int mrc =
            mdb_dbi_open(t->txn, cl_store__dbs[i].name, MDB_CREATE, &s->dbi[i]);
        if (mrc != MDB_SUCCESS) {
            rc = cl_store__mdb_err(mrc);
            goto out;
        }
    }
    if ((rc = cl_store__keyring_open(s, t, master)) != CL_OK)
        goto out;
    if ((rc = cl_store__key_state(t, &s->key_version, &s->retired)) != CL_OK)
        goto out;
    for (uint32_t v = CL_STORE__FLOOR(s->retired); v <= s->key_version; v++)
        cl_store__data_key_set(s, v);
    /* The key check lives in the idempotency db under a reserved key so
     * that it is sealed like any value; the store's anchor follows it
     * (store.c). A store from before the anchor gets one, once. */
    uint8_t *kc = malloc(CL_STORE__ANCHOR_MAX);
    rc = kc ? cl_store_get(t, CL_DB_IDEMPOTENCY, (const uint8_t *)"keycheck", 8,
                           kc, CL_STORE__ANCHOR_MAX, &len)
            : CL_ERR_NOMEM;
    bool v1 = rc == CL_OK && len == sizeof(CL_STORE__KEYCHECK_V1) &&
              !memcmp(kc, CL_STORE__KEYCHECK_V1, len);
    bool v2 = rc == CL_OK && len >= sizeof(CL_STORE__KEYCHECK) &&
              !memcmp(kc, CL_STORE__KEYCHECK, sizeof(CL_STORE__KEYCHECK));
    free(kc);
    if (rc == CL_ERR_NOT_FOUND)
        rc = cl_store_put(t, CL_DB_IDEMPOTENCY, (const uint8_t *)"keycheck", 8,
                          (const uint8_t *)CL_STORE__KEYCHECK,
                          sizeof(CL_STORE__KEYCHECK));
    else if (v1)
        rc = cl_store__anchor_init(t);
    else if (rc == CL_ERR_CORRUPT || (rc == CL_OK && !v2)) {
        rc = CL_ERR_KEY;
        goto out;
    }
    if (rc == CL_OK)
        rc = cl_store__ix_upgrade(t);
    if (rc == CL_OK)
        rc = cl_store__ix_regroup(t);
    if (rc == CL_OK)
        rc = cl_store__floor_apply(s, t);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
out:
    cl_store_abort(&t);
    return rc;
}

int cl_store_open(cl_store **out, const char *dir,
                  const uint8_t master[CL_MASTER_KEY_LEN], size_t map_bytes)
{
    int rc;
    int dead = 0;
    cl_store *s = calloc(1, sizeof(*s));
    if (!s)
        return CL_ERR_NOMEM;
    cl_seal_nonces_init(&s->nonces);
    if ((rc = cl_store__derive(s, master)) != CL_OK)
        goto fail;
    rc = mdb_env_create(&s->env);
    if (rc != MDB_SUCCESS) {
        rc = cl_store__mdb_err(rc);
        goto fail;
    }
    s->map_bytes = map_bytes;
    mdb_env_set_maxdbs(s->env, CL_DB_COUNT + 4);
    mdb_env_set_mapsize(s->env, map_bytes);
    mdb_env_set_maxreaders(s->env, 126);
    /* a commit whose sync a power cut may have cut off: the one before */
    if ((rc = cl_store__mdb_fallback(dir)) != CL_OK)
        goto fail;
    rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
    if (rc != MDB_SUCCESS) {
        rc = rc == EACCES || rc == EROFS || rc == EPERM ? CL_ERR_PERM
             : rc == ENOENT                             ? CL_ERR_IO
                                                        : cl_store__mdb_err(rc);
        goto fail;
    }
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) == MDB_SUCCESS &&
        info.me_mapsize > s->map_bytes)
        s->map_bytes = info.me_mapsize;
    mdb_reader_check(s->env, &dead);
    if ((rc = cl_store__floor_load(s, dir)) != CL_OK)
        goto fail;
    if ((rc = s_init_dbs(s, master)) != CL_OK)
        goto fail;
    if ((rc = cl_store__log_open_replay(s, dir)) != CL_OK)
        goto fail; /* acknowledged batches LMDB does not hold yet */
    *out = s;
    return CL_OK;
fail:
    cl_store_close(&s);
    return rc;
}

void cl_store_close(cl_store **sp)
{
    if (!sp || !*sp)
        return;
    cl_store *s = *sp;
    cl_store__log_close(s);
    cl_store__vc_spare_free(s); /* after the held cache's, given back */
    if (s->env)
        mdb_env_close(s->env);
    sodium_free(s->keys_was);
    sodium_free(s->keys);
    cl_store__replay_free(s);
    cl_store__ds_free(s);
    free(s);
    *sp = NULL;
}

int cl_store_open_keyfile(cl_store **out, const char *dir, const char *path,
                          size_t map_bytes, bool *from_next, char *err,
                          size_t err_len)
{
    char next[4200];
    uint8_t *key = sodium_malloc(CL_MASTER_KEY_LEN);
    *from_next = false;
    err[0] = '\0';
    if (!key)
        return CL_ERR_NOMEM;
    int rc = cl_store_key_load(key, path, err, err_len);
    if (rc == CL_OK)
        rc = cl_store_open(out, dir, key, map_bytes);
    snprintf(next, sizeof(next), "%s.next", path);
    if (rc == CL_ERR_KEY && access(next, F_OK) == 0) {
        /* replaced (admin rotate-master) but the file not moved yet */
        char e2[512];
        int r2 = cl_store_key_load(key, next, e2, sizeof(e2));
        if (r2 == CL_OK)
            r2 = cl_store_open(out, dir, key, map_bytes);
        if (r2 == CL_OK) {
            *from_next = true;
            rc = CL_OK;
        }
    }
    sodium_free(key);
    return rc;
}
