/*
 * idset: a set of ids (people, referrals) and a list of names, gathered
 * across modules by retention, subject access and erasure (dp.c asks each
 * module). Pure functions over memory: no store, no I/O.
 */
#ifndef CL_IDSET_H
#define CL_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_error.h"

/* A set of ids (people, referrals): add, then done to sort and dedupe,
 * then has. Owned array, freed with cl_idset_free. */
typedef struct cl_ids {
    uint64_t *v;
    size_t n, cap;
} cl_ids;
CL_NODISCARD int cl_idset_add(cl_ids *s, uint64_t id);

/* Sort the n ids at v and drop duplicates (*n becomes the new count): what
 * done does, for any array of ids (records.h's too). */
void cl_idset_unique(uint64_t *v, size_t *n);
void cl_idset_done(cl_ids *s);
bool cl_idset_has(const cl_ids *s, uint64_t id);
void cl_idset_free(cl_ids *s);

/* A list of names, NUL-separated, that purged records named (ids a stored
 * reply may carry). Owned buffer, freed by the caller. */
typedef struct cl_names {
    char *buf; /* "CL-00000001\0REQ-00000002\0..." */
    size_t len, cap;
} cl_names;
CL_NODISCARD int cl_idset_names_add(cl_names *n, const char *s);

#endif
