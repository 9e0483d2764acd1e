/*
 * idset: sets of ids (people, referrals) and NUL-separated name lists,
 * what retention, subject access and erasure gather across modules (see
 * idset.h). Pure functions over memory: no store, no I/O.
 */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#include "cl_vec.h"

int cl_idset_add(cl_ids *s, uint64_t id)
{
    return CL_VEC_PUSH(s->v, s->n, s->cap, id);
}

static int s_u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void cl_idset_unique(uint64_t *v, size_t *n)
{
    if (*n < 2)
        return;
    qsort(v, *n, sizeof(*v), s_u64cmp);
    size_t o = 1;
    for (size_t i = 1; i < *n; i++)
        if (v[i] != v[o - 1])
            v[o++] = v[i];
    *n = o;
}

void cl_idset_done(cl_ids *s)
{
    cl_idset_unique(s->v, &s->n);
}

bool cl_idset_has(const cl_ids *s, uint64_t id)
{
    return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), s_u64cmp) != NULL;
}

void cl_idset_free(cl_ids *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

int cl_idset_names_add(cl_names *n, const char *str)
{
    size_t l = strlen(str) + 1;
    if (cl_vec_reserve(&n->buf, &n->cap, n->len + l, 1) != CL_OK)
        return CL_ERR_NOMEM;
    memcpy(n->buf + n->len, str, l);
    n->len += l;
    return CL_OK;
}
