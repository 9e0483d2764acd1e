/*
 * cl_distance: the edit distance behind every "did you mean" (the
 * daemon's names from a list, the CLI's values, commands and options).
 * No I/O, no allocation.
 */
#ifndef CL_DISTANCE_H
#define CL_DISTANCE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest text compared, in bytes, and the distance of a longer one:
 * above any threshold a suggestion is made under. */
#define CL_DISTANCE_MAX 127
#define CL_DISTANCE_FAR 999

/* Levenshtein distance between a (la bytes) and b (lb bytes): the fewest
 * single-byte insertions, deletions and substitutions from one to the
 * other, ASCII letters compared without case when fold.
 * CL_DISTANCE_FAR when either is longer than CL_DISTANCE_MAX. */
size_t cl_distance(const char *a, size_t la, const char *b, size_t lb,
                   bool fold);

#endif
