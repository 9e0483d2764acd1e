/*
 * idset: sets of ids (people, referrals) and NUL-separated name lists,
 * what retention, subject access and erasure gather across modules (see
 * idset.h). Pure functions over memory: no store, no I/O.
 */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

int cl_core__ids_add(cl_ids *s, uint64_t id)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 32;
        uint64_t *nv = realloc(s->v, ncap * sizeof(*nv));
        if (!nv)
            return CL_ERR_NOMEM;
        s->v = nv;
        s->cap = ncap;
    }
    s->v[s->n++] = id;
    return CL_OK;
}

static int s_u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void cl_core__ids_done(cl_ids *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof(*s->v), s_u64cmp);
    size_t o = 1;
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i] != s->v[o - 1])
            s->v[o++] = s->v[i];
    s->n = o;
}

bool cl_core__ids_has(const cl_ids *s, uint64_t id)
{
    return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), s_u64cmp) != NULL;
}

void cl_core__ids_free(cl_ids *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

int cl_core__names_add(cl_names *n, const char *str)
{
    size_t l = strlen(str) + 1;
    if (n->len + l > n->cap) {
        size_t ncap = n->cap ? 2 * n->cap + l : 256 + l;
        char *nb = realloc(n->buf, ncap);
        if (!nb)
            return CL_ERR_NOMEM;
        n->buf = nb;
        n->cap = ncap;
    }
    memcpy(n->buf + n->len, str, l);
    n->len += l;
    return CL_OK;
}
