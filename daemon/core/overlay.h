/*
 * overlay: lay the fields a later message gives over what is stored,
 * field by field from a table: a text is given when it is not empty, a
 * number when it is not zero; what is not given stays. A correction of a
 * referral, and a later description of an agency's record, are both
 * overlays. Pure functions: no store, no I/O.
 */
#ifndef CL_OVERLAY_H
#define CL_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "cl_model.h"

/* One field of a plain model struct: size bytes at off, a NUL-terminated
 * text or a number. */
typedef struct cl_overlay_field {
    size_t off, size;
    bool text;
} cl_overlay_field;

#define CL_OVERLAY_TEXT(T, m)                                                  \
    {                                                                          \
        offsetof(T, m), sizeof(((T *)0)->m), true                              \
    }
#define CL_OVERLAY_NUM(T, m)                                                   \
    {                                                                          \
        offsetof(T, m), sizeof(((T *)0)->m), false                             \
    }

/* Copy each of the n fields that src gives over dst (both structs of the
 * type the table describes); returns how many src gave. */
size_t cl_overlay_fields(void *dst, const void *src, const cl_overlay_field *f,
                         size_t n);

/* The fields of person src that are given, laid over dst; how many. */
size_t cl_overlay_person(cl_person *dst, const cl_person *src);

#endif
