/*
 * linkfind_relink: a stored record weighed again under today's weights
 * and keys, and the record an identifier pairs it with.
 */
#ifndef CL_LINKFIND_RELINK_H
#define CL_LINKFIND_RELINK_H

#include <stdint.h>

#include "cl_model.h"
#include "match.h"
#include "store.h"

/* Re-evaluate one stored record with mc (link.c: rerun): index it under
 * today's blocking keys; if it no longer holds together with its own
 * person, queue a split proposal (*what 3); if another person now matches
 * it above the upper threshold, the two fit and neither holds a
 * coordinator's decision, merge them (*what 1); else if above the lower
 * threshold queue the pair (*what 2, or 3 with a split proposed). */
CL_NODISCARD int cl_linkfind_relink(cl_txn *t, const cl_match_config *mc,
                                    uint64_t rid, int64_t now, int *what);

/* Another record carrying the same NHS or CHI number as record rid's
 * description p (link.c: pairs known to be one person, to learn m from);
 * CL_ERR_NOT_FOUND if none. */
CL_NODISCARD int cl_linkfind_ident_partner(cl_txn *t, uint64_t rid,
                                           const cl_person *p, cl_person *out);

#endif
