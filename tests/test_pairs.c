/*
 * test_pairs: the pairwise figures of a linkage (clients/pairs.c), which
 * `caselink link evaluate` prints and the synthetic-population tests
 * hold linking to: counted by hand on small populations, whatever order
 * the records come in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pairs.h"

/* truth {1,1,1,2,2,3}, linked {7,7,8,8,8,9}: true pairs 3 + 1 = 4,
 * linked 1 + 3 = 4, correct (1,7) and (2,8) = 2. */
static const uint64_t s_truth[] = {1, 1, 1, 2, 2, 3};
static const uint64_t s_linked[] = {7, 7, 8, 8, 8, 9};

static cl_pairs_score s_score(const size_t *order, size_t n)
{
    cl_pair v[6];
    for (size_t i = 0; i < n; i++)
        v[i] = (cl_pair){s_truth[order[i]], s_linked[order[i]]};
    return cl_pairs_score_of(v, n);
}

static void test_counted_by_hand(void **state)
{
    (void)state;
    static const size_t in_order[] = {0, 1, 2, 3, 4, 5};
    static const size_t shuffled[] = {4, 0, 5, 2, 3, 1};
    for (int k = 0; k < 2; k++) {
        cl_pairs_score s = s_score(k ? shuffled : in_order, 6);
        assert_int_equal(s.truth, 4);
        assert_int_equal(s.linked, 4);
        assert_int_equal(s.correct, 2);
        assert_true(s.precision == 0.5 && s.recall == 0.5 && s.f1 == 0.5);
    }
}

static void test_exact_and_lumped(void **state)
{
    (void)state;
    /* one person linked exactly, and everyone put on one person */
    cl_pair exact[] = {{5, 1}, {5, 1}, {6, 2}};
    cl_pairs_score s = cl_pairs_score_of(exact, 3);
    assert_int_equal(s.truth, 1);
    assert_int_equal(s.linked, 1);
    assert_int_equal(s.correct, 1);
    assert_true(s.precision == 1.0 && s.recall == 1.0 && s.f1 == 1.0);
    cl_pair lumped[] = {{1, 9}, {2, 9}, {3, 9}, {3, 9}};
    s = cl_pairs_score_of(lumped, 4);
    assert_int_equal(s.truth, 1);
    assert_int_equal(s.linked, 6);
    assert_int_equal(s.correct, 1);
    assert_true(s.precision == 1.0 / 6.0 && s.recall == 1.0);
}

static void test_nothing_to_count(void **state)
{
    (void)state;
    /* no pairs at all: nothing wrong was linked, nothing missed */
    cl_pair alone[] = {{1, 1}, {2, 2}};
    cl_pairs_score s = cl_pairs_score_of(alone, 2);
    assert_int_equal(s.truth + s.linked + s.correct, 0);
    assert_true(s.precision == 1.0 && s.recall == 1.0);
    s = cl_pairs_score_of(NULL, 0);
    assert_int_equal(s.truth + s.linked + s.correct, 0);
    /* all split: every true pair missed */
    cl_pair split[] = {{1, 1}, {1, 2}, {1, 3}};
    s = cl_pairs_score_of(split, 3);
    assert_int_equal(s.truth, 3);
    assert_int_equal(s.linked, 0);
    assert_true(s.precision == 1.0 && s.recall == 0.0 && s.f1 == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counted_by_hand),
        cmocka_unit_test(test_exact_and_lumped),
        cmocka_unit_test(test_nothing_to_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
