/*
 * ixseal: the sealing of index rows (see "authenticated rows" in
 * store.c): the tag over a row's sub-database, key and value under the
 * index-row MAC key, the value cipher keyed by the tag, and the opening
 * of a stored row. Pure byte work under a set of the store's keys (the
 * store's own, or, while re-indexing, the generation being left).
 */
#include "store_int.h"

#include <sodium.h>
#include <string.h>

void cl_store__ixk_hashes(cl_store__keys *k)
{
    crypto_generichash_init(&k->blind_st, k->index, CL_KEY_LEN, CL_BLIND_LEN);
    crypto_generichash_init(&k->ixmac_st, k->ix_mac, CL_KEY_LEN, CL_STORE__TAG);
}

void cl_store__ixk_tag(const cl_store__keys *k, cl_db db, const uint8_t *key,
                       size_t key_len, const uint8_t *val, size_t val_len,
                       uint8_t tag[CL_STORE__TAG])
{
    crypto_generichash_state st;
    uint8_t kl[4] = {(uint8_t)(key_len >> 24), (uint8_t)(key_len >> 16),
                     (uint8_t)(key_len >> 8), (uint8_t)key_len};
    memcpy(&st, &k->ixmac_st, sizeof(st));
    crypto_generichash_update(&st, (const uint8_t *)cl_store__dbs[db].name,
                              strlen(cl_store__dbs[db].name) + 1);
    crypto_generichash_update(&st, kl, 4);
    crypto_generichash_update(&st, key, key_len);
    crypto_generichash_update(&st, val, val_len);
    crypto_generichash_final(&st, tag, CL_STORE__TAG);
    sodium_memzero(&st, sizeof(st));
}

void cl_store__ix_tag(const cl_store *s, cl_db db, const uint8_t *key,
                      size_t key_len, const uint8_t *val, size_t val_len,
                      uint8_t tag[CL_STORE__TAG])
{
    cl_store__ixk_tag(s->keys, db, key, key_len, val, val_len, tag);
}

void cl_store__ixk_stream(const cl_store__keys *k,
                          const uint8_t tag[CL_STORE__TAG], uint8_t *out,
                          const uint8_t *in, size_t len)
{
    uint8_t nonce[crypto_stream_xchacha20_NONCEBYTES] = {0};
    if (!len)
        return; /* most index rows (blind, block, activity): key only */
    memcpy(nonce, tag, CL_STORE__TAG);
    crypto_stream_xchacha20_xor(out, in, len, nonce, k->ix_enc);
}

void cl_store__ix_stream(const cl_store *s, const uint8_t tag[CL_STORE__TAG],
                         uint8_t *out, const uint8_t *in, size_t len)
{
    cl_store__ixk_stream(s->keys, tag, out, in, len);
}

/* Open a stored index row into out (capacity cap). */
int cl_store__ixk_open(const cl_store__keys *k, cl_db db, const uint8_t *key,
                       size_t key_len, const MDB_val *v, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    uint8_t tag[CL_STORE__TAG];
    if (v->mv_size < CL_STORE__TAG || v->mv_size - CL_STORE__TAG > cap)
        return CL_ERR_CORRUPT;
    size_t n = v->mv_size - CL_STORE__TAG;
    const uint8_t *stored = v->mv_data;
    cl_store__ixk_stream(k, stored, out, stored + CL_STORE__TAG, n);
    cl_store__ixk_tag(k, db, key, key_len, out, n, tag);
    if (sodium_memcmp(tag, stored, CL_STORE__TAG) != 0) {
        sodium_memzero(out, n);
        return CL_ERR_CORRUPT;
    }
    *out_len = n;
    return CL_OK;
}

int cl_store__ix_open(const cl_store *s, cl_db db, const uint8_t *key,
                      size_t key_len, const MDB_val *v, uint8_t *out,
                      size_t cap, size_t *out_len)
{
    return cl_store__ixk_open(s->keys, db, key, key_len, v, out, cap, out_len);
}
