/*
 * cl_vec: the one growable-array helper. An array is three fields the
 * caller already has, a pointer, a count and a capacity (size_t); the
 * helper only grows the allocation, so every array keeps its own element
 * type and the compiler checks what is stored:
 *
 *     uint64_t *v = NULL;  size_t n = 0, cap = 0;
 *     if (CL_VEC_PUSH(v, n, cap, id) != CL_OK)
 *         return CL_ERR_NOMEM;             // v, n, cap as they were
 *     ...
 *     free(v);                             // the caller owns v
 *
 * Capacity doubles (from 8), so n pushes cost O(n); sizes that would
 * overflow size_t are refused as CL_ERR_NOMEM. Never frees, never zeroes
 * what it does not add: wiping secrets before free() stays the owner's job.
 */
#ifndef CL_VEC_H
#define CL_VEC_H

#include <stddef.h>
#include <string.h>

#include "cl_error.h"

/*
 * Make room for at least need elements of size bytes in the array whose
 * pointer is at arrp (a T **, passed as void *) with capacity *cap. On
 * success *arrp and *cap may change and CL_OK is returned; on failure
 * CL_ERR_NOMEM and nothing changes (the old array stays valid).
 */
CL_NODISCARD int cl_vec_reserve(void *arrp, size_t *cap, size_t need,
                                size_t size);

/* Room for one more element after n: CL_OK or CL_ERR_NOMEM. */
#define CL_VEC_GROW(v, n, cap)                                                 \
    cl_vec_reserve(&(v), &(cap), (n) + 1, sizeof(*(v)))

/* Append value (type-checked against *v): CL_OK or CL_ERR_NOMEM. */
#define CL_VEC_PUSH(v, n, cap, value)                                          \
    (CL_VEC_GROW(v, n, cap) != CL_OK ? CL_ERR_NOMEM                            \
                                     : ((v)[(n)++] = (value), CL_OK))

/* Append one zeroed element and return it (a void *, for a T *), or NULL
 * with v, n and cap as they were. */
#define CL_VEC_ADD(v, n, cap)                                                  \
    (CL_VEC_GROW(v, n, cap) != CL_OK ? NULL                                    \
                                     : memset(&(v)[(n)++], 0, sizeof(*(v))))

#endif
