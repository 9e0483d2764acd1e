/*
 * refindex: (agency, agency_reference) -> referral id, as a blind index
 * with a sealed value. See refindex.h for how to use it.
 *
 * Stored: agency_ref  blind("aref", agency NUL agency_ref) -> v1, id
 *                                                      or v2, id, hash
 * (v2 once the publish's content hash is recorded: natural idempotency).
 */
#include "refindex.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

#define S_VERSION      1
#define S_VERSION_HASH 2

static int s_key(cl_txn *t, uint8_t k[CL_BLIND_LEN], const char *agency,
                 const char *agency_ref)
{
    char buf[512];
    if (!agency[0] || !agency_ref[0])
        return CL_ERR_INVALID;
    int n = snprintf(buf, sizeof(buf), "%s%c%s", agency, 0, agency_ref);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return CL_ERR_INVALID;
    cl_store_blind(cl_store_of(t), k, "aref", (const uint8_t *)buf, (size_t)n);
    sodium_memzero(buf, sizeof(buf));
    return CL_OK;
}

static int s_dec(const uint8_t *buf, size_t len, uint64_t *id,
                 uint8_t hash[CL_REFINDEX_HASH], bool *has_hash)
{
    cl_dec d = cl_dec_init(buf, len);
    uint8_t v = cl_dec_u8(&d);
    if (v != S_VERSION && v != S_VERSION_HASH)
        d.bad = true;
    *id = cl_dec_u64(&d);
    *has_hash = v == S_VERSION_HASH;
    for (size_t i = 0; *has_hash && i < CL_REFINDEX_HASH; i++)
        hash[i] = cl_dec_u8(&d);
    return cl_dec_ok(&d) && *id != 0 ? CL_OK : CL_ERR_CORRUPT;
}

int cl_refindex_decode_check(const uint8_t *buf, size_t len)
{
    uint64_t id;
    uint8_t hash[CL_REFINDEX_HASH];
    bool has;
    return s_dec(buf, len, &id, hash, &has);
}

/* The row at blind key k, if any. */
static int s_get(cl_txn *t, const uint8_t k[CL_BLIND_LEN], uint64_t *id,
                 uint8_t hash[CL_REFINDEX_HASH], bool *has_hash)
{
    uint8_t buf[32];
    size_t len = 0;
    int rc = cl_store_get(t, CL_DB_AGENCY_REF, k, CL_BLIND_LEN, buf,
                          sizeof(buf), &len);
    return rc == CL_OK ? s_dec(buf, len, id, hash, has_hash) : rc;
}

static int s_put(cl_txn *t, const uint8_t k[CL_BLIND_LEN], uint64_t id,
                 const uint8_t *hash)
{
    uint8_t buf[32];
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, hash ? S_VERSION_HASH : S_VERSION);
    cl_enc_u64(&e, id);
    for (size_t i = 0; hash && i < CL_REFINDEX_HASH; i++)
        cl_enc_u8(&e, hash[i]);
    return cl_store_put(t, CL_DB_AGENCY_REF, k, CL_BLIND_LEN, buf, e.len);
}

/* key->k blinded from (agency, agency_ref) unless it is already. */
static int s_keyed(cl_txn *t, cl_refindex_key *key, const char *agency,
                   const char *agency_ref)
{
    if (key->blinded)
        return CL_OK;
    int rc = s_key(t, key->k, agency, agency_ref);
    key->blinded = rc == CL_OK;
    return rc;
}

int cl_refindex_find_key(cl_txn *t, cl_refindex_key *key, const char *agency,
                         const char *agency_ref, uint64_t *referral_id,
                         uint8_t hash[CL_REFINDEX_HASH], bool *has_hash)
{
    uint8_t h[CL_REFINDEX_HASH];
    uint64_t id;
    bool has;
    int rc = s_keyed(t, key, agency, agency_ref);
    if (rc == CL_ERR_INVALID)
        return CL_ERR_NOT_FOUND;
    if (rc == CL_OK && (rc = s_get(t, key->k, &id, h, &has)) == CL_OK) {
        *referral_id = id;
        if (hash && has)
            memcpy(hash, h, sizeof(h));
        if (has_hash)
            *has_hash = has;
    }
    key->absent = rc == CL_ERR_NOT_FOUND;
    return rc;
}

int cl_refindex_find_hash(cl_txn *t, const char *agency, const char *agency_ref,
                          uint64_t *referral_id, uint8_t hash[CL_REFINDEX_HASH],
                          bool *has_hash)
{
    cl_refindex_key key = {0};
    return cl_refindex_find_key(t, &key, agency, agency_ref, referral_id, hash,
                                has_hash);
}

int cl_refindex_find(cl_txn *t, const char *agency, const char *agency_ref,
                     uint64_t *referral_id)
{
    return cl_refindex_find_hash(t, agency, agency_ref, referral_id, NULL,
                                 NULL);
}

int cl_refindex_set_hash(cl_txn *t, const char *agency, const char *agency_ref,
                         const uint8_t hash[CL_REFINDEX_HASH])
{
    uint8_t k[CL_BLIND_LEN], h[CL_REFINDEX_HASH];
    uint64_t id;
    bool has;
    int rc = s_key(t, k, agency, agency_ref);
    if (rc == CL_ERR_INVALID)
        return CL_ERR_NOT_FOUND;
    if (rc == CL_OK && (rc = s_get(t, k, &id, h, &has)) == CL_OK)
        rc = s_put(t, k, id, hash);
    return rc;
}

int cl_refindex_add_key(cl_txn *t, cl_refindex_key *key, const char *agency,
                        const char *agency_ref, uint64_t referral_id)
{
    uint8_t h[CL_REFINDEX_HASH];
    uint64_t old;
    bool has;
    int rc = s_keyed(t, key, agency, agency_ref);
    if (rc != CL_OK)
        return rc;
    rc = key->absent ? CL_ERR_NOT_FOUND : s_get(t, key->k, &old, h, &has);
    if (rc == CL_OK)
        return CL_ERR_EXISTS;
    if (rc != CL_ERR_NOT_FOUND)
        return rc;
    if ((rc = s_put(t, key->k, referral_id, key->hash)) == CL_OK) {
        key->absent = false;
        key->hashed = key->hash != NULL;
    }
    return rc;
}

int cl_refindex_add(cl_txn *t, const char *agency, const char *agency_ref,
                    uint64_t referral_id)
{
    cl_refindex_key key = {0};
    return cl_refindex_add_key(t, &key, agency, agency_ref, referral_id);
}

int cl_refindex_remove(cl_txn *t, const char *agency, const char *agency_ref)
{
    uint8_t k[CL_BLIND_LEN];
    int rc = s_key(t, k, agency, agency_ref);
    if (rc == CL_ERR_INVALID)
        return CL_OK;
    if (rc == CL_OK)
        rc = cl_store_del(t, CL_DB_AGENCY_REF, k, sizeof(k));
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}
