/*
 * pairs: pairwise precision and recall of a linkage (see pairs.h). The
 * pairs are counted from sorted runs, C(k,2) for a run of k records, so a
 * million records cost a sort, not a million squared.
 */
#include "pairs.h"

#include <stdbool.h>
#include <stdlib.h>

int cl_pair_cmp(const void *x, const void *y)
{
    const cl_pair *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* Sum of C(k,2) over runs of equal a (both: of equal a and b) in sorted
 * v. */
static uint64_t s_runs(const cl_pair *v, size_t n, bool both)
{
    uint64_t total = 0, run = 1;
    for (size_t i = 1; i <= n; i++) {
        bool same =
            i < n && v[i].a == v[i - 1].a && (!both || v[i].b == v[i - 1].b);
        if (same) {
            run++;
        } else {
            total += run * (run - 1) / 2;
            run = 1;
        }
    }
    return total;
}

cl_pairs_score cl_pairs_score_of(cl_pair *v, size_t n)
{
    cl_pairs_score s = {0};
    /* fewer than two records hold no pair (and qsort takes no NULL) */
    if (n >= 2) {
        /* by truth: the true pairs, and the correct ones (both equal) */
        qsort(v, n, sizeof(*v), cl_pair_cmp);
        s.truth = s_runs(v, n, false);
        s.correct = s_runs(v, n, true);
        /* by the linked person: the linked pairs */
        for (size_t i = 0; i < n; i++)
            v[i] = (cl_pair){v[i].b, v[i].a};
        qsort(v, n, sizeof(*v), cl_pair_cmp);
        s.linked = s_runs(v, n, false);
    }
    s.precision = s.linked ? (double)s.correct / (double)s.linked : 1.0;
    s.recall = s.truth ? (double)s.correct / (double)s.truth : 1.0;
    s.f1 = s.precision + s.recall > 0
               ? 2 * s.precision * s.recall / (s.precision + s.recall)
               : 0;
    return s;
}
