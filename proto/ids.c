/*
 * ids: public identifiers, formatted and parsed from one prefix table (see
 * ids.h). Owns nothing; must never accept what strtoull would forgive (a
 * sign, spaces, trailing bytes, a wrapped value).
 */
#include "ids.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct s_kind {
    const char *prefix; /* "P", "CL-" */
    const char *what;   /* "person" */
} s_kind;

static const s_kind s_kinds[CL_ID_KIND_COUNT] = {
#define S_ROW(name, prefix, what) [CL_ID_##name] = {prefix, what},
    CL_ID_KINDS(S_ROW)
#undef S_ROW
};

static bool s_valid(cl_id_kind kind)
{
    return (unsigned)kind < CL_ID_KIND_COUNT;
}

const char *cl_id_prefix(cl_id_kind kind)
{
    return s_valid(kind) ? s_kinds[kind].prefix : "";
}

const char *cl_id_what(cl_id_kind kind)
{
    return s_valid(kind) ? s_kinds[kind].what : "";
}

bool cl_id_format(char *out, size_t cap, cl_id_kind kind, uint64_t n)
{
    if (!cap)
        return false;
    int w = s_valid(kind)
                ? snprintf(out, cap, "%s%08" PRIu64, s_kinds[kind].prefix, n)
                : -1;
    if (w < 0 || (size_t)w >= cap) {
        out[0] = '\0';
        return false;
    }
    return true;
}

/* Digits only, at least one, the value 1..UINT64_MAX, nothing after. */
static int s_number(uint64_t *out, const char *s)
{
    uint64_t v = 0;
    if (!*s)
        return CL_ERR_INVALID;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return CL_ERR_INVALID;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return CL_ERR_INVALID; /* would wrap */
        v = v * 10 + d;
    }
    if (v == 0)
        return CL_ERR_INVALID;
    *out = v;
    return CL_OK;
}

int cl_id_parse(uint64_t *out, cl_id_kind kind, const char *s)
{
    if (!s || !s_valid(kind))
        return CL_ERR_INVALID;
    size_t n = strlen(s_kinds[kind].prefix);
    if (strncmp(s, s_kinds[kind].prefix, n) != 0)
        return CL_ERR_INVALID;
    return s_number(out, s + n);
}

int cl_id_parse_any(cl_id_kind *kind, uint64_t *out, const char *s)
{
    for (unsigned k = 0; k < CL_ID_KIND_COUNT; k++) {
        uint64_t v;
        if (cl_id_parse(&v, (cl_id_kind)k, s) == CL_OK) {
            *kind = (cl_id_kind)k;
            *out = v;
            return CL_OK;
        }
    }
    return CL_ERR_INVALID;
}
