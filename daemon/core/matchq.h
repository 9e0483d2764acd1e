/*
 * matchq: the match-review queue (pairs a coordinator decides), merging
 * people and splitting records off. Calls records, never linkfind.
 */
#ifndef CL_MATCHQ_H
#define CL_MATCHQ_H

#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "codec.h"
#include "match.h"
#include "op.h"
#include "store.h"

CL_NODISCARD int cl_matchq_review_add(cl_txn *t, uint64_t incoming,
                                      uint64_t candidate, double score,
                                      int64_t now);

/* Whether any record of person pid was decided on by a coordinator, or
 * waits for one: held between two people who are still apart
 * (cl_matchq_hold). Either way the linker merges the person with no
 * other; a coordinator decides. */
CL_NODISCARD int cl_matchq_person_decided(cl_txn *t, const cl_store *st,
                                          uint64_t pid, bool *decided);

/* Merge person `from` into person `to`: records, relationships, plans. */
CL_NODISCARD int cl_matchq_merge_people(cl_txn *t, uint64_t from, uint64_t to,
                                        int64_t now, uint8_t reason);

/* Queue a split proposal: record rid no longer holds together with the
 * other records of its person; closest is the one it is most like, at
 * weight score. Nothing moves until a coordinator decides. */
CL_NODISCARD int cl_matchq_split_add(cl_txn *t, uint64_t rid, uint64_t closest,
                                     double score, int64_t now);

/* Move record id off its person `old` to a new person of its own (*fresh),
 * linked as new: the linker's, when the record fits two people held apart
 * alike; nothing is marked decided. */
CL_NODISCARD int cl_matchq_detach(cl_txn *t, uint64_t id, uint64_t old,
                                  int64_t now, uint64_t *fresh);

/* Move record id from person `from` to person `to`, linked for reason
 * (the linker's: nothing is marked decided). */
CL_NODISCARD int cl_matchq_move(cl_txn *t, uint64_t id, uint64_t from,
                                uint64_t to, uint8_t reason);

/* Hold record rid, moved to a person of its own because it fits the
 * people of records a and b alike (cl_linkfind_relink_detach), for a
 * coordinator: while those two records are on two people and no
 * coordinator decided on rid, its person counts as decided
 * (cl_matchq_person_decided), so no rerun or later record merges it
 * into either side; its pairs with both wait in the review queue. The
 * mark shares rid's row with the coordinator's decision, which replaces
 * it (and retention's purge removes both). */
CL_NODISCARD int cl_matchq_hold(cl_txn *t, uint64_t rid, uint64_t a,
                                uint64_t b);

/* Whether a coordinator decided where record rid belongs. */
CL_NODISCARD int cl_matchq_record_decided(cl_txn *t, uint64_t rid,
                                          bool *decided);

typedef struct cl_matchq_review {
    uint64_t incoming, candidate;
    double score;
    uint8_t status;
    int64_t created, decided;
    char by[64];
    char reason[CL_NOTE_SZ];
    bool split; /* a split proposal: both records are on one person */
} cl_matchq_review;

CL_NODISCARD int cl_matchq_review_get(cl_txn *t, uint64_t id,
                                      cl_matchq_review *r);

/* The index row that says a coordinator decided where record rid
 * belongs (accepted or rejected a match with it, or split it off). */
void cl_matchq_decided_key(const cl_store *st, uint64_t rid,
                           uint8_t k[CL_BLIND_LEN + 8]);

/* The stored review-queue pair's format (cl_records_dec_fn). */
void cl_matchq_review_dec(cl_dec *d, void *out);

/* The open match-review queue, with each pair side by side and the weight
 * of every compared field (coordinator). */
CL_NODISCARD int cl_matchq_review_list(cl_op *op, const cl_match_config *mc,
                                       const cl_review_query *q,
                                       cl_review_items *out);

/* Accept (merge the incoming record's person into the candidate's) or
 * reject a queued pair; or split a record off to a new person. out's
 * reference names the person the record now belongs to. */
CL_NODISCARD int cl_matchq_link_change(cl_op *op, cl_req_kind kind,
                                       const cl_link_change *c,
                                       cl_publish_result *out);

#endif
