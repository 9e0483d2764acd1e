/*
 * seal: XChaCha20-Poly1305 sealing of stored values (libsodium).
 * Pure byte transforms; keys are borrowed from the caller.
 */
#include "seal.h"

#include <sodium.h>
#include <string.h>

_Static_assert(CL_SEAL_NONCE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "nonce length");
_Static_assert(CL_SEAL_TAG == crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "tag length");
_Static_assert(CL_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
               "key length");
_Static_assert(CL_SEAL_NONCE_PREFIX + 8 == CL_SEAL_NONCE, "nonce layout");

void cl_seal_nonces_init(cl_seal_nonces *g)
{
    randombytes_buf(g->prefix, sizeof(g->prefix));
    atomic_init(&g->next, 0);
}

void cl_seal_nonce(cl_seal_nonces *g, uint8_t out[CL_SEAL_NONCE])
{
    uint64_t n = atomic_fetch_add_explicit(&g->next, 1, memory_order_relaxed);
    memcpy(out, g->prefix, CL_SEAL_NONCE_PREFIX);
    for (int i = 0; i < 8; i++)
        out[CL_SEAL_NONCE_PREFIX + i] = (uint8_t)(n >> (56 - 8 * i));
}

int cl_seal(uint8_t *out, const uint8_t key[CL_KEY_LEN], uint32_t key_version,
            const uint8_t nonce[CL_SEAL_NONCE], const uint8_t *ad,
            size_t ad_len, const uint8_t *pt, size_t pt_len)
{
    unsigned long long clen = 0;
    out[0] = CL_SEAL_FORMAT;
    out[1] = (uint8_t)(key_version >> 24);
    out[2] = (uint8_t)(key_version >> 16);
    out[3] = (uint8_t)(key_version >> 8);
    out[4] = (uint8_t)key_version;
    if (nonce)
        memcpy(out + CL_SEAL_PREFIX, nonce, CL_SEAL_NONCE);
    else
        randombytes_buf(out + CL_SEAL_PREFIX, CL_SEAL_NONCE);
    /* The header is authenticated too: it is part of the associated data
     * through the nonce and, for the version bytes, by prefixing them. */
    uint8_t adbuf[CL_SEAL_PREFIX + CL_SEAL_AD_MAX];
    if (ad_len > CL_SEAL_AD_MAX)
        return CL_ERR_INVALID;
    memcpy(adbuf, out, CL_SEAL_PREFIX);
    memcpy(adbuf + CL_SEAL_PREFIX, ad, ad_len);
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(
            out + CL_SEAL_HEADER, &clen, pt, pt_len, adbuf,
            ad_len + CL_SEAL_PREFIX, NULL, out + CL_SEAL_PREFIX, key) != 0)
        return CL_ERR_INTERNAL;
    return CL_OK;
}

int cl_seal_version(uint32_t *out, const uint8_t *sealed, size_t len)
{
    if (len < CL_SEAL_OVERHEAD || sealed[0] != CL_SEAL_FORMAT)
        return CL_ERR_CORRUPT;
    *out = (uint32_t)sealed[1] << 24 | (uint32_t)sealed[2] << 16 |
           (uint32_t)sealed[3] << 8 | (uint32_t)sealed[4];
    return CL_OK;
}

int cl_seal_open(uint8_t *pt, size_t cap, size_t *pt_len,
                 const uint8_t key[CL_KEY_LEN], const uint8_t *ad,
                 size_t ad_len, const uint8_t *sealed, size_t len)
{
    unsigned long long plen = 0;
    if (len < CL_SEAL_OVERHEAD || sealed[0] != CL_SEAL_FORMAT)
        return CL_ERR_CORRUPT;
    if (len - CL_SEAL_OVERHEAD > cap)
        return CL_ERR_INVALID;
    uint8_t adbuf[CL_SEAL_PREFIX + CL_SEAL_AD_MAX];
    if (ad_len > CL_SEAL_AD_MAX)
        return CL_ERR_INVALID;
    memcpy(adbuf, sealed, CL_SEAL_PREFIX);
    memcpy(adbuf + CL_SEAL_PREFIX, ad, ad_len);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            pt, &plen, NULL, sealed + CL_SEAL_HEADER, len - CL_SEAL_HEADER,
            adbuf, ad_len + CL_SEAL_PREFIX, sealed + CL_SEAL_PREFIX, key) != 0)
        return CL_ERR_CORRUPT;
    *pt_len = (size_t)plen;
    return CL_OK;
}
