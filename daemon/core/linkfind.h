/*
 * linkfind: finding the person a description is about (identifiers, then
 * blocking and weights), attaching records to people, publishing
 * referrals and importing caseloads. Its parts: linkfind_cand.h (the
 * candidates), linkfind_fit.h (what fits one person), linkfind_relink.h
 * (a stored record weighed again), included here for its callers. Calls
 * records and matchq, never the files above it.
 */
#ifndef CL_LINKFIND_H
#define CL_LINKFIND_H

#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "linkfind_cand.h"
#include "linkfind_fit.h"
#include "linkfind_relink.h"
#include "match.h"
#include "op.h"
#include "records.h"
#include "store.h"

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
    size_t compared; /* candidate records read (cl_linkfind_cand_looks) */
} cl_linkfind_link;

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

/*
 * Publish a referral from op's caller inside its write transaction: link the
 * subject and related people, store the referral and relationships, and
 * fill out (reference, warnings). The referral must have passed
 * cl_referral_validate.
 */
CL_NODISCARD int cl_linkfind_publish(cl_op *op, const cl_match_config *mc,
                                     const cl_referral *r,
                                     cl_publish_result *out);

/* Link one person from an agency's caseload extract (publisher; the
 * agency named must be the caller's own). */
CL_NODISCARD int cl_linkfind_import_person(cl_op *op, const cl_match_config *mc,
                                           const cl_import *im,
                                           cl_import_result *out);

/* A page of every agency record and its person (coordinator). */
CL_NODISCARD int cl_linkfind_links_export(cl_op *op, const cl_links_query *q,
                                          cl_links_page *out);

/* The linking decision for description p from caller, without storing
 * anything: *person_id the person it would join (0: a new person) and the
 * weight (benchmarks: the match of one new referral). */
CL_NODISCARD int cl_linkfind_match_one(cl_txn *t, const cl_match_config *mc,
                                       const cl_caller *caller,
                                       const cl_person *p, uint64_t *person_id,
                                       double *score);

/* The same decision, whole, into out (benchmarks, tests: how many
 * candidate records it read). */
CL_NODISCARD int cl_linkfind_match_link(cl_txn *t, const cl_match_config *mc,
                                        const cl_caller *caller,
                                        const cl_person *p,
                                        cl_linkfind_link *out);

#endif
