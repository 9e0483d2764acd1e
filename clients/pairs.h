/*
 * pairs: the pairwise figures of a linkage against the truth, as FEBRL
 * and the record-linkage literature count them: every two records of one
 * true person are a true pair, every two records a linkage puts on one
 * person a linked pair, and a pair both is correct. The CLI's `link
 * evaluate` and the tests' synthetic populations count with it. No I/O.
 */
#ifndef CL_PAIRS_H
#define CL_PAIRS_H

#include <stddef.h>
#include <stdint.h>

/* Two ids of one record: a is its true person, b the linkage's person. */
typedef struct cl_pair {
    uint64_t a, b;
} cl_pair;

/* Order by a, then by b (for qsort). */
int cl_pair_cmp(const void *x, const void *y);

typedef struct cl_pairs_score {
    uint64_t truth, linked, correct; /* pairs */
    double precision, recall, f1;    /* 1.0 when nothing to count */
} cl_pairs_score;

/* The pairwise figures of n records, v[i] = {truth, linked person} (v is
 * reordered: it comes back sorted by the linked person, then truth). */
cl_pairs_score cl_pairs_score_of(cl_pair *v, size_t n);

#endif
