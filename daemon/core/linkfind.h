/*
 * linkfind: finding the person a description is about (identifiers, then
 * blocking and weights), attaching records to people, publishing
 * referrals and importing caseloads. Calls records and matchq, never the
 * files above it.
 */
#ifndef CL_LINKFIND_H
#define CL_LINKFIND_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "records.h"

/* Most candidate records one description is compared with. */
#define CL_LINKFIND_CANDIDATES_MAX 1000

#define CL_LINKFIND_MORE 4 /* other people a new record can bring together */

typedef struct cl_linkfind_link {
    uint64_t person_id;
    uint64_t record_id; /* 0: create a new record */
    uint8_t reason;
    double score;
    uint64_t review_rid; /* a candidate to queue for review, or 0 */
    /* other people the record matched: at or above the upper threshold
     * they are merged into person_id (or the pair is queued when either
     * holds a coordinator's decision); between the thresholds the pair is
     * queued */
    size_t n_more;
    uint64_t more_pid[CL_LINKFIND_MORE], more_rid[CL_LINKFIND_MORE];
    double more_score[CL_LINKFIND_MORE];
} cl_linkfind_link;

/* Record ids sharing a blocking key with p (each key at most
 * CL_BLOCK_CAP records: a bigger block is skipped; the names-only keys
 * only when the others found nobody). */
CL_NODISCARD int cl_linkfind_block_candidates(cl_txn *t, const cl_store *st,
                                              const cl_person *p,
                                              cl_records_ids *ids);

/* Merge new non-empty fields into a stored record's person. */
void cl_linkfind_merge(cl_person *dst, const cl_person *src);

CL_NODISCARD int cl_linkfind_person(cl_txn *t, const cl_store *st,
                                    const cl_match_config *mc,
                                    const cl_caller *c, const cl_person *p,
                                    int64_t now, uint64_t *person_id,
                                    uint64_t *record_id);

/* Link each related person and record how they relate to person pid. */
CL_NODISCARD int cl_linkfind_relate(cl_txn *t, const cl_store *st,
                                    const cl_match_config *mc,
                                    const cl_caller *caller, uint64_t pid,
                                    const cl_related *related, uint32_t n,
                                    int64_t now, cl_audit_note *note);

#endif
