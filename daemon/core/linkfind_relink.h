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
 * today's blocking keys; if its person holds two people's records by
 * their confirmed dates of birth (cl_linkfind_fit_two_dates), part them,
 * the second date's records to a person of their own, and queue the pair
 * (*what 2); if it no longer holds together with its own
 * person, queue a split proposal (*what 3); if another person now matches
 * it above the upper threshold, the two fit and neither holds a
 * coordinator's decision, merge them (*what 1); else if above the lower
 * threshold queue the pair (*what 2, or 3 with a split proposed). */
CL_NODISCARD int cl_linkfind_relink(cl_txn *t, const cl_match_config *mc,
                                    uint64_t rid, int64_t now, int *what);

/* Whether record rid, linked by score (not by an identifier, nor where a
 * coordinator decided), and weighed against record qrid of another person
 * without a given name or a date of birth (cl_match_discerns), reaches
 * the upper threshold against both its own person and qrid's, neither
 * clearly better (CL_LINKFIND_CLEARLY), while qrid fits none of its
 * person's other records but as one family's other member
 * (cl_linkfind_fit_person): then it fits two people held apart alike,
 * so it is moved to a person of its own, both pairs are queued and it is
 * held for a coordinator (cl_matchq_hold: no rerun or later record merges
 * it into either while the two are apart) (*detached), as when it
 * arrives after both (cl_linkfind_fit_ambiguous).
 * A record without a date that went to a father before his son of one
 * name was held leaves him once the son is. tf may be NULL. */
CL_NODISCARD int cl_linkfind_relink_detach(cl_txn *t, const cl_match_config *mc,
                                           const cl_match_tf *tf, uint64_t rid,
                                           uint64_t qrid, int64_t now,
                                           bool *detached);

/* Another record carrying the same NHS or CHI number as record rid's
 * description p (link.c: pairs known to be one person, to learn m from);
 * CL_ERR_NOT_FOUND if none. */
CL_NODISCARD int cl_linkfind_ident_partner(cl_txn *t, uint64_t rid,
                                           const cl_person *p, cl_person *out);

#endif
