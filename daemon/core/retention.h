/*
 * retention: core's part of retention (the policy is dp.c's): what keeps
 * a person's records live, and purging everything that names or
 * describes a person. Calls records, matchq and alerts, never a file
 * above it.
 */
#ifndef CL_RETENTION_H
#define CL_RETENTION_H

#include "cl_model.h"
#include "idset.h"
#include "ids.h"
#include "store.h"

/* Retention: the people each module's records keep live (dp.c asks;
 * mdt_dp.h and inforeq.h have theirs). Here: holders of a plan in force
 * or ended on or after `since` (YYYY-MM-DD), and the people linked to
 * them. */
CL_NODISCARD int cl_retention_plans_live(cl_txn *t, const char *since,
                                         cl_ids *keep);

/* Purge, module by module, everything that names or describes person pid
 * (refs: the person's referral ids, for deliveries that name them). Each
 * adds the ids it removes that a stored reply may carry ("REQ-...") to
 * names (NUL-separated, see idset.h). */
CL_NODISCARD int cl_retention_referrals_of(cl_txn *t, uint64_t pid,
                                           cl_ids *refs);

/* Erasure (dp.c), after the MDT's and the requests' own: the person, their
 * records, referrals, relations, plans and index rows. */
CL_NODISCARD int cl_retention_person_purge(cl_txn *t, uint64_t pid,
                                           cl_names *names);

/* Erasure of what one module keeps about person pid under an index
 * (index: person id || id -> "", db: id -> record): every such id goes
 * from both, and is added to names as an id of kind ("REQ-00000002"). */
CL_NODISCARD int cl_retention_purge_indexed(cl_txn *t, cl_db index, cl_db db,
                                            uint64_t pid, cl_id_kind kind,
                                            cl_names *names);

#endif
