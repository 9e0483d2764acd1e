/*
 * test_distance: the one edit distance (proto/cl_distance.c) that the
 * daemon's "did you mean" for names and the CLI's for values, commands
 * and options both use: distances counted by hand, case folded or not,
 * and texts too long to compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cl_distance.h"

static size_t s_d(const char *a, const char *b, bool fold)
{
    size_t x = cl_distance(a, strlen(a), b, strlen(b), fold);
    /* the same either way round */
    assert_int_equal(x, cl_distance(b, strlen(b), a, strlen(a), fold));
    return x;
}

static void test_counted_by_hand(void **state)
{
    (void)state;
    assert_int_equal(s_d("", "", false), 0);
    assert_int_equal(s_d("", "amber", false), 5);
    assert_int_equal(s_d("orang", "orange", false), 1);   /* insertion */
    assert_int_equal(s_d("kitten", "sitting", false), 3); /* the classic */
    assert_int_equal(s_d("publsh", "publish", false), 1);
    assert_int_equal(s_d("--agnecy", "--agency", false), 2); /* swap: two */
    assert_int_equal(s_d("red", "green", false), 3);
    /* a prefix of the length given only */
    assert_int_equal(cl_distance("amberx", 5, "amber", 5, false), 0);
}

static void test_case(void **state)
{
    (void)state;
    assert_int_equal(s_d("Oakfield Surgery", "oakfield surgery", true), 0);
    assert_int_equal(s_d("Oakfield", "oakfield", false), 1);
    assert_int_equal(s_d("AMBER", "amber", false), 5);
    assert_int_equal(s_d("Ambr", "amber", true), 1);
}

static void test_too_long(void **state)
{
    (void)state;
    char longest[CL_DISTANCE_MAX + 2];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    /* CL_DISTANCE_MAX bytes compare; one more is far */
    assert_int_equal(cl_distance(longest, CL_DISTANCE_MAX, "a", 1, false),
                     CL_DISTANCE_MAX - 1);
    assert_int_equal(s_d(longest, "a", false), CL_DISTANCE_FAR);
    assert_int_equal(s_d(longest, longest, true), CL_DISTANCE_FAR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counted_by_hand),
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
