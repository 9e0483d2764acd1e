/*
 * seal: the sealed-value format of the store.
 *
 *   byte 0      format version (1)
 *   bytes 1-4   data key version, big-endian
 *   bytes 5-28  XChaCha20-Poly1305 nonce (unique per value)
 *   bytes 29-   ciphertext followed by the 16-byte tag
 *
 * The associated data binds the value to its sub-database and record key
 * (see store.c), so a value moved to another record fails to open. This
 * module only transforms bytes: it owns no keys and no storage.
 */
#ifndef CL_SEAL_H
#define CL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <stdatomic.h>

#include "cl_error.h"

#define CL_SEAL_FORMAT 1
/* format byte and key version: the prefix the associated data repeats */
#define CL_SEAL_PREFIX   (1 + 4)
#define CL_SEAL_NONCE    24 /* crypto_aead_xchacha20poly1305_ietf_NPUBBYTES */
#define CL_SEAL_TAG      16 /* crypto_aead_xchacha20poly1305_ietf_ABYTES */
#define CL_SEAL_HEADER   (CL_SEAL_PREFIX + CL_SEAL_NONCE)
#define CL_SEAL_OVERHEAD (CL_SEAL_HEADER + CL_SEAL_TAG)
#define CL_KEY_LEN       32
/* Longest associated data (sub-database name, NUL, record key). */
#define CL_SEAL_AD_MAX 507

/*
 * Nonces without a system call each. A nonce is a 16-byte prefix drawn
 * from the kernel's generator once per store opening, followed by a 64-bit
 * counter (big-endian). XChaCha20-Poly1305 needs only that a nonce never
 * repeats under one key: within one opening the counter never repeats
 * (2^64 values), and two openings share a prefix with probability 2^-128
 * per pair. Before this, every sealed value cost one getrandom(2). A
 * process that forks must not seal with its parent's generator (LMDB
 * forbids using an environment after fork anyway).
 */
#define CL_SEAL_NONCE_PREFIX 16
typedef struct cl_seal_nonces {
    uint8_t prefix[CL_SEAL_NONCE_PREFIX]; /* random per opening */
    atomic_uint_fast64_t next;            /* counter for the next nonce */
} cl_seal_nonces;

/* Draw a fresh prefix and start the counter at zero. */
void cl_seal_nonces_init(cl_seal_nonces *g);

/* The next unique nonce. Safe from several threads at once. */
void cl_seal_nonce(cl_seal_nonces *g, uint8_t out[CL_SEAL_NONCE]);

/*
 * Seal pt into out, which must hold pt_len + CL_SEAL_OVERHEAD bytes.
 * nonce may be NULL (a random one is drawn, one system call); the store
 * passes one from cl_seal_nonce, tests a fixed one to pin the format with
 * golden vectors.
 */
CL_NODISCARD int cl_seal(uint8_t *out, const uint8_t key[CL_KEY_LEN],
                         uint32_t key_version,
                         const uint8_t nonce[CL_SEAL_NONCE], const uint8_t *ad,
                         size_t ad_len, const uint8_t *pt, size_t pt_len);

/* The key version a sealed value names; CL_ERR_CORRUPT if it is no sealed
 * value at all. */
CL_NODISCARD int cl_seal_version(uint32_t *out, const uint8_t *sealed,
                                 size_t len);

/*
 * Open a sealed value into pt (capacity cap). Writes *pt_len on success.
 * CL_ERR_CORRUPT if the tag does not verify (tampered, moved or wrong key);
 * CL_ERR_INVALID if cap is too small.
 */
CL_NODISCARD int cl_seal_open(uint8_t *pt, size_t cap, size_t *pt_len,
                              const uint8_t key[CL_KEY_LEN], const uint8_t *ad,
                              size_t ad_len, const uint8_t *sealed, size_t len);

#endif
