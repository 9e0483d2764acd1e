/*
 * synth: a generator of synthetic populations for linkage evaluation.
 *
 * Families live in households (postcode, UPRN); each person has a true id.
 * Four agencies (GP, police, children's and adult services) each hold
 * records about a subset of people, copied with the errors real extracts
 * have: typos, nicknames, initials, swapped day and month, one date part
 * wrong, married-name changes, double-barrelled names, moves, missing NHS
 * numbers and other missing fields. The truth is kept aside, and the
 * pairwise precision and recall of any assignment of records to people is
 * computed against it. Deterministic for a given seed.
 */
#ifndef CL_SYNTH_H
#define CL_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_model.h"

typedef struct synth_record {
    int agency;       /* 0 gp, 1 police, 2 children's, 3 adults' */
    uint32_t truth;   /* true person id */
    cl_person person; /* the agency's (noisy) view */
} synth_record;

typedef struct synth_pop {
    size_t n_people;
    size_t n_records;
    synth_record *records;
} synth_pop;

/* Generate about n_people people and their agency records. */
void synth_generate(synth_pop *out, size_t n_people, uint64_t seed);

/* The same; with hard, records also carry the errors labelled data from
 * outside showed (swapped names, a missing name or date, a mistyped or
 * unusable date, a split surname, a second typo). */
void synth_generate_ex(synth_pop *out, size_t n_people, uint64_t seed,
                       bool hard);
void synth_free(synth_pop *p);

typedef struct synth_score {
    double precision, recall, f1;
    uint64_t true_pairs, predicted_pairs, correct_pairs;
} synth_score;

/* Pairwise precision/recall of assigned[i] (a person id per record). */
synth_score synth_evaluate(const synth_pop *p, const uint64_t *assigned);

extern const char *const synth_agency_names[4];

#endif
