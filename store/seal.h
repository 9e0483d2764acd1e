/*
 * seal: the sealed-value format of the store.
 *
 *   byte 0      format version (1)
 *   bytes 1-4   data key version, big-endian
 *   bytes 5-28  XChaCha20-Poly1305 nonce (random per value)
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

#include "cl_error.h"

#define CL_SEAL_FORMAT   1
#define CL_SEAL_NONCE    24
#define CL_SEAL_HEADER   (1 + 4 + CL_SEAL_NONCE)
#define CL_SEAL_OVERHEAD (CL_SEAL_HEADER + 16)
#define CL_KEY_LEN       32

/*
 * Seal pt into out, which must hold pt_len + CL_SEAL_OVERHEAD bytes.
 * nonce may be NULL (a random one is drawn); tests pass a fixed one to pin
 * the format with golden vectors.
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
