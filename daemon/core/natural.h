/*
 * natural: natural idempotency for published referrals.
 *
 * An agency's agency_reference names one referral (per agency: the
 * refindex row). Publishing that reference again, whatever the message
 * id, is either the same referral sent again (the same content: the same
 * idempotency hash of the decoded request) or a change, which must go
 * through correct_referral so that the earlier version is kept for the
 * auditor. Uses refindex; owns nothing of its own and never logs.
 */
#ifndef CL_NATURAL_H
#define CL_NATURAL_H

#include <stdint.h>

#include "access.h"
#include "cl_model.h"
#include "refindex.h"
#include "store.h"

/*
 * Before publishing r for caller (inside the write transaction):
 *   CL_ERR_NOT_FOUND  the reference is new: publish it, then call
 *                     cl_natural_record;
 *   CL_OK             the same referral again: out->reference is the
 *                     original caselink reference (answer DUPLICATE);
 *   CL_ERR_INVALID    the reference names a referral with other content:
 *                     err says so and points at correct_referral.
 * hash is the request's idempotency hash (cl_request.body_hash); key
 * (zeroed by the caller) keeps the reference's blind index and, for a new
 * reference, hash, so that cl_refindex_add_key writes the row with its
 * hash at once: the publish's one blind computation and one read of it.
 */
CL_NODISCARD int cl_natural_check(cl_txn *t, const cl_caller *caller,
                                  const cl_referral *r,
                                  const uint8_t hash[CL_REFINDEX_HASH],
                                  cl_refindex_key *key, cl_publish_result *out,
                                  char err[CL_ERROR_SZ]);

/* After a successful publish: remember its content hash (nothing to do
 * when the row was added through key with it). */
CL_NODISCARD int cl_natural_record(cl_txn *t, const cl_caller *caller,
                                   const cl_referral *r,
                                   const uint8_t hash[CL_REFINDEX_HASH],
                                   const cl_refindex_key *key);

#endif
