/*
 * refindex: find a referral by the agency's own reference.
 *
 * Agencies know their referrals by their own reference (agency_reference,
 * "GP-2026-0113"); caselink's id (CL-00000042) is what the daemon handed
 * back. This index maps (agency, agency_reference) to caselink's referral
 * id without either appearing in an LMDB key: the key is a blind index
 * (keyed BLAKE2b, domain "aref", under the store's index key) and the
 * value, the referral id, is sealed with the key as associated data, so a
 * row cannot be copied under another agency's key or edited unnoticed.
 *
 * How to use it (all inside the caller's transaction):
 *   - cl_refindex_find(t, agency, agency_ref, &id): CL_OK and the referral
 *     id, or CL_ERR_NOT_FOUND. agency is always the CALLER's registered
 *     agency (cl_caller.agency), never a name from the message, so one
 *     agency can never reach another's referrals through this index.
 *     Natural idempotency: a publish whose (agency, agency_reference) is
 *     found is the same referral again.
 *   - cl_refindex_add(t, agency, agency_ref, id): once, when the referral
 *     is stored. CL_ERR_EXISTS if that reference already names a referral
 *     (the first one keeps it).
 *   - cl_refindex_remove(t, agency, agency_ref): when the referral is
 *     purged. Absent is not an error.
 *   - cl_refindex_set_hash / cl_refindex_find_hash: the content hash of
 *     the publish that created the row (the request's idempotency hash),
 *     so that a second publish of the reference can be told apart: the
 *     same content again, or different content (see natural.h).
 * It owns only its own sub-database (CL_DB_AGENCY_REF) and never logs.
 */
#ifndef CL_REFINDEX_H
#define CL_REFINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

CL_NODISCARD int cl_refindex_find(cl_txn *t, const char *agency,
                                  const char *agency_ref,
                                  uint64_t *referral_id);

#define CL_REFINDEX_HASH 16

/* As cl_refindex_find; hash (may be NULL) receives the stored content
 * hash and *has_hash (may be NULL) says whether the row has one. */
CL_NODISCARD int cl_refindex_find_hash(cl_txn *t, const char *agency,
                                       const char *agency_ref,
                                       uint64_t *referral_id,
                                       uint8_t hash[CL_REFINDEX_HASH],
                                       bool *has_hash);

/* Record the content hash on an existing row; CL_ERR_NOT_FOUND if none. */
CL_NODISCARD int cl_refindex_set_hash(cl_txn *t, const char *agency,
                                      const char *agency_ref,
                                      const uint8_t hash[CL_REFINDEX_HASH]);

CL_NODISCARD int cl_refindex_add(cl_txn *t, const char *agency,
                                 const char *agency_ref, uint64_t referral_id);

CL_NODISCARD int cl_refindex_remove(cl_txn *t, const char *agency,
                                    const char *agency_ref);

/*
 * One publish's row, blinded once. A publish looks its reference up
 * (natural idempotency), adds the row and records its content hash: three
 * blind computations and three reads of one key until this, which
 * carries the key from the lookup to the write and writes the hash with
 * the row. A zeroed key is not blinded yet: the first call blinds it.
 */
typedef struct cl_refindex_key {
    uint8_t k[CL_BLIND_LEN];
    bool blinded;        /* k is the blind of (agency, agency_ref) */
    bool absent;         /* a lookup in this transaction found no row */
    bool hashed;         /* the row was added with hash */
    const uint8_t *hash; /* borrowed: the content hash to write with the
                          * row (NULL: none yet, cl_refindex_set_hash) */
} cl_refindex_key;

/* cl_refindex_find_hash through key (blinded here if not yet). */
CL_NODISCARD int
cl_refindex_find_key(cl_txn *t, cl_refindex_key *key, const char *agency,
                     const char *agency_ref, uint64_t *referral_id,
                     uint8_t hash[CL_REFINDEX_HASH], bool *has_hash);

/* cl_refindex_add through key, writing key->hash with the row; a row
 * the lookup found absent in this transaction is not read again. */
CL_NODISCARD int cl_refindex_add_key(cl_txn *t, cl_refindex_key *key,
                                     const char *agency, const char *agency_ref,
                                     uint64_t referral_id);

/* Decode one stored plaintext value (fuzzing): CL_OK or CL_ERR_CORRUPT. */
CL_NODISCARD int cl_refindex_decode_check(const uint8_t *buf, size_t len);

#endif
