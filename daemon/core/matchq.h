/*
 * matchq: the match-review queue (pairs a coordinator decides), merging
 * people and splitting records off. Calls records, never linkfind.
 */
#ifndef CL_MATCHQ_H
#define CL_MATCHQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "records.h"

CL_NODISCARD int cl_matchq_review_add(cl_txn *t, uint64_t incoming,
                                      uint64_t candidate, double score,
                                      int64_t now);

/* Whether any record of person pid was decided on by a coordinator. */
CL_NODISCARD int cl_matchq_person_decided(cl_txn *t, const cl_store *st,
                                          uint64_t pid, bool *decided);

/* Merge person `from` into person `to`: records, relationships, plans. */
CL_NODISCARD int cl_matchq_merge_people(cl_txn *t, uint64_t from, uint64_t to,
                                        int64_t now, uint8_t reason);

typedef struct cl_matchq_review {
    uint64_t incoming, candidate;
    double score;
    uint8_t status;
    int64_t created, decided;
    char by[64];
    char reason[CL_NOTE_SZ];
} cl_matchq_review;

CL_NODISCARD int cl_matchq_review_get(cl_txn *t, uint64_t id,
                                      cl_matchq_review *r);

/* The index row that says a coordinator decided where record rid
 * belongs (accepted or rejected a match with it, or split it off). */
void cl_matchq_decided_key(const cl_store *st, uint64_t rid,
                           uint8_t k[CL_BLIND_LEN + 8]);

/* The stored review-queue pair's format (cl_records_dec_fn). */
void cl_matchq_review_dec(cl_dec *d, void *out);

#endif
