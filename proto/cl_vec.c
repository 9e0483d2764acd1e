/*
 * cl_vec: growing an array's allocation (see cl_vec.h). Owns nothing: the
 * caller owns the array before and after.
 */
#include "cl_vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_FIRST 8 /* elements in a first allocation */

int cl_vec_reserve(void *arrp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return CL_OK;
    if (!size)
        return CL_ERR_INVALID;
    size_t ncap = *cap ? *cap : S_FIRST;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return CL_ERR_NOMEM;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / size)
        return CL_ERR_NOMEM;
    void *old; /* the caller's T *, copied so no T ** is read as void ** */
    memcpy(&old, arrp, sizeof(old));
    void *nv = realloc(old, ncap * size);
    if (!nv)
        return CL_ERR_NOMEM;
    memcpy(arrp, &nv, sizeof(nv));
    *cap = ncap;
    return CL_OK;
}
