/*
 * kinds: the agency kinds caselink knows, one table for the registry's
 * check, keygen's list, the [flag] kinds and what "health" covers. A
 * partnership's own kind is written local_NAME (local_fire_service): it
 * matches nothing by meaning, only by its name. Anything else is refused,
 * a near miss with "did you mean", so that a misspelt kind never silently
 * takes a rule away from an agency (the flag checks, a case finding's
 * exclusions). No I/O.
 */
#ifndef CL_KINDS_H
#define CL_KINDS_H

#include <stdbool.h>
#include <stddef.h>

/* The known kinds, in the order lists show them: cl_kind_at(0 ..
 * cl_n_kinds - 1), NULL past the end. */
extern const size_t cl_n_kinds;
const char *cl_kind_at(size_t i);

/* Whether kind is a known kind or local_ followed by 1+ letters, digits
 * or underscores. Case matters (kinds are written lower case). */
bool cl_kind_valid(const char *kind);

/* Whether kind is one "health" covers (GP practices and NHS trusts). */
bool cl_kind_health(const char *kind);

/* For a refused kind: "WHAT 'KIND' is not an agency kind: did you mean
 * 'police'?" or "...: one of gp, police, ... or local_NAME". */
void cl_kind_explain(char *out, size_t cap, const char *what, const char *kind);

#endif
