/*
 * overlay: given fields laid over stored ones, from field tables (see
 * overlay.h).
 */
#include "overlay.h"

#include <string.h>

/* Whether a number of size bytes is zero, whatever its width. */
static bool s_zero(const unsigned char *p, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (p[i])
            return false;
    return true;
}

size_t cl_overlay_fields(void *dst, const void *src, const cl_overlay_field *f,
                         size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t given = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *from = s + f[i].off;
        if (f[i].text ? !from[0] : s_zero(from, f[i].size))
            continue;
        memcpy(d + f[i].off, from, f[i].size);
        given++;
    }
    return given;
}

/* What a later description of a person can say about them. */
static const cl_overlay_field s_person[] = {
    CL_OVERLAY_TEXT(cl_person, nhs),      CL_OVERLAY_TEXT(cl_person, chi),
    CL_OVERLAY_TEXT(cl_person, local_id), CL_OVERLAY_TEXT(cl_person, given),
    CL_OVERLAY_TEXT(cl_person, family),   CL_OVERLAY_TEXT(cl_person, dob),
    CL_OVERLAY_TEXT(cl_person, address),  CL_OVERLAY_TEXT(cl_person, town),
    CL_OVERLAY_TEXT(cl_person, postcode), CL_OVERLAY_TEXT(cl_person, uprn),
    CL_OVERLAY_NUM(cl_person, sex),
};

size_t cl_overlay_person(cl_person *dst, const cl_person *src)
{
    return cl_overlay_fields(dst, src, s_person,
                             sizeof(s_person) / sizeof(s_person[0]));
}
