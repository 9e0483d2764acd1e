/*
 * link: weights learned from the store's own records, their acceptance,
 * and the background rerun that relinks stored records with them.
 */
#ifndef CL_LINK_H
#define CL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "match.h"
#include "op.h"
#include "store.h"

/* --- learned weights and relinking ---------------------------------------
 *
 * `caselink link train` estimates every comparison level's m and u and the
 * prior from the store's own records: u from random pairs of sampled
 * records (pairs already linked to one person left out), m by
 * expectation-maximisation over candidate pairs found by three blocking
 * passes (date of birth; both names' codes; postcode or town), each pass
 * estimating only the fields it did not block on; the prior from the
 * expected matches among pairs that share a date of birth, scaled by how
 * often true matches do. The result is a proposal; the daemon keeps its
 * documented defaults (or the weights accepted before) until a
 * coordinator or operator accepts it. No personal data is in the result.
 */

/* The store's families live apart (cl_match_config.families_apart) when
 * two people of one family name share a place at most this many times as
 * often as any two (measured place by place: the most of any place that
 * tells). Households measure 10-17 (the held-out population) or hundreds
 * (addresses of the outside evaluation's); FEBRL's independent records
 * 0.3-3.4, the most where many duplicates of one person have their given
 * name and date both replaced (set 3). */
#define CL_LINK_FAMILIES_APART 5.0

/* Overlay the accepted weights (if any) on mc and update its thresholds;
 * *accepted tells whether there were any. */
CL_NODISCARD int cl_link_weights_load(cl_txn *t, cl_match_config *mc,
                                      bool *accepted);

/* Show, train, accept or start a rerun (q->action); out describes the
 * weights in use and proposed afterwards. mc is the configuration in use
 * (the defaults the weights overlay). */
CL_NODISCARD int cl_link_admin(cl_op *op, const cl_match_config *mc,
                               const cl_link_req *q, cl_link_info *out);

/* Advance a rerun by up to max records (write transaction); *running is
 * false once it is done (or none was asked for). */
CL_NODISCARD int cl_link_rerun_step(cl_txn *t, const cl_match_config *mc,
                                    size_t max, int64_t now, bool *running);

/* Decode check for link.c's stored values (fuzzing). */
CL_NODISCARD int cl_link_decode_check(const uint8_t *buf, size_t len);

#endif
