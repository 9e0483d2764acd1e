/*
 * kinds: the agency kinds caselink knows (see kinds.h).
 */
#include "kinds.h"

#include <stdio.h>
#include <string.h>

#include "cl_distance.h"

#define S_LOCAL "local_"

static const struct {
    const char *name;
    bool health; /* a GP practice or an NHS trust */
} s_kinds[] = {
    {"gp", true},
    {"police", false},
    {"childrens_services", false},
    {"adult_services", false},
    {"mental_health", true},
    {"acute_trust", true},
    {"ambulance", true},
    {"housing", false},
    {"education", false},
    {"probation", false},
    {"youth_justice", false},
    {"mdt", false},
    {"operations", false},
    {"governance", false},
};

#define S_N (sizeof(s_kinds) / sizeof(s_kinds[0]))

const size_t cl_n_kinds = S_N;

const char *cl_kind_at(size_t i)
{
    return i < S_N ? s_kinds[i].name : NULL;
}

static int s_find(const char *kind)
{
    for (size_t i = 0; i < S_N; i++)
        if (!strcmp(s_kinds[i].name, kind))
            return (int)i;
    return -1;
}

static bool s_local(const char *kind)
{
    size_t n = strlen(S_LOCAL);
    if (strncmp(kind, S_LOCAL, n) != 0 || !kind[n])
        return false;
    for (const char *p = kind + n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

bool cl_kind_valid(const char *kind)
{
    return s_find(kind) >= 0 || s_local(kind);
}

bool cl_kind_health(const char *kind)
{
    int i = s_find(kind);
    return i >= 0 && s_kinds[i].health;
}

void cl_kind_explain(char *out, size_t cap, const char *what, const char *kind)
{
    size_t best = CL_DISTANCE_FAR, at = 0, kl = strlen(kind);
    for (size_t i = 0; i < S_N; i++) {
        const char *n = s_kinds[i].name;
        size_t d = cl_distance(kind, kl, n, strlen(n), true);
        if (d < best) {
            best = d;
            at = i;
        }
    }
    if (best <= 2 || (kl > 8 && best <= 3)) {
        snprintf(out, cap,
                 "%s '%.40s' is not an agency kind: did you mean "
                 "'%s'?",
                 what, kind, s_kinds[at].name);
        return;
    }
    int w = snprintf(out, cap, "%s '%.40s' is not an agency kind: one of", what,
                     kind);
    for (size_t i = 0; i < S_N && w >= 0 && (size_t)w < cap; i++)
        w += snprintf(out + w, cap - (size_t)w, " %s", s_kinds[i].name);
    if (w >= 0 && (size_t)w < cap)
        snprintf(out + w, cap - (size_t)w,
                 ", or local_NAME for a kind of the partnership's own");
}
