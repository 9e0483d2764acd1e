/*
 * block: blind blocking keys of a person description (see block.c).
 */
#ifndef CL_BLOCK_H
#define CL_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_model.h"
#include "store.h"

/* Most keys one description has. */
#define CL_BLOCK_MAX 24

/* A key shared by more records than this is skipped when looking for
 * candidates: it says too little to be worth comparing them all. */
#define CL_BLOCK_CAP 200

/* Fill out with p's blocking keys (at most max, distinct); returns how
 * many. No personal data leaves except as keyed hashes. */
size_t cl_block_keys(const cl_store *st, const cl_person *p,
                     uint8_t out[][CL_BLIND_LEN], size_t max);

/* The same keys, in the same order; bit i of *names_only is set when
 * key i holds names alone (nn: no date, place or address), a key whose
 * candidates are wanted only when the others found nobody. */
size_t cl_block_keys_tiered(const cl_store *st, const cl_person *p,
                            uint8_t out[][CL_BLIND_LEN], size_t max,
                            uint32_t *names_only);

/* The keys of one tier alone, in the same order: those holding names
 * alone (names_only) or the others. A match looks the names-only keys up
 * only when the others found nobody, so they are not hashed until then
 * (keys of the two tiers have different domains: never one another's
 * duplicates). */
size_t cl_block_keys_tier(const cl_store *st, const cl_person *p,
                          uint8_t out[][CL_BLIND_LEN], size_t max,
                          bool names_only);

/* The same, and each key's kind (its domain, "blk-nd" ...: a static
 * string) into kind[i], for measuring which keys bring which blocks. */
size_t cl_block_keys_kinds(const cl_store *st, const cl_person *p,
                           uint8_t out[][CL_BLIND_LEN], size_t max,
                           uint32_t *names_only, const char **kind);

/* The keys whose posting lists count how many records carry p's family
 * name and given name (term frequency): out[0] family, out[1] given; and
 * p's postcode (out[2]) and address's words (out[3], as the comparison
 * takes them); an empty field gives no key (*has[i] false). Never looked
 * up as blocks. */
#define CL_BLOCK_TF_KEYS 4
void cl_block_tf_keys(const cl_store *st, const cl_person *p,
                      uint8_t out[CL_BLOCK_TF_KEYS][CL_BLIND_LEN],
                      bool has[CL_BLOCK_TF_KEYS]);

/* The blocking key of p's family name's code and postcode (op), whose
 * rows are the records of p's family name at p's postcode: how many of a
 * place's records are not the family's; false without either. */
bool cl_block_family_place_key(const cl_store *st, const cl_person *p,
                               uint8_t out[CL_BLIND_LEN]);

/* One of the places' keys: the records giving p's address's words
 * (address) or p's postcode; false (out untouched) when p gives none. */
bool cl_block_place_key(const cl_store *st, const cl_person *p, bool address,
                        uint8_t out[CL_BLIND_LEN]);

/* One of them: the key counting the records that carry name as their
 * given name (given) or as their family name; false (out untouched) for
 * a name without letters. */
bool cl_block_tf_key(const cl_store *st, const char *name, bool given,
                     uint8_t out[CL_BLIND_LEN]);

#endif
