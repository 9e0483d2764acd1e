/*
 * test_vec: the growable-array helper (proto/cl_vec.h): typed pushes,
 * growth keeps every element, sizes that would overflow are refused and
 * leave the array as it was; an added element starts zeroed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cl_vec.h"

typedef struct s_pair {
    uint64_t id;
    char tag[12];
} s_pair;

static void t_push_many(void **state)
{
    (void)state;
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;
    for (uint64_t i = 0; i < 100000; i++)
        assert_int_equal(CL_VEC_PUSH(v, n, cap, i * 3), CL_OK);
    assert_int_equal(n, 100000);
    assert_true(cap >= n && cap < 2 * n);
    for (size_t i = 0; i < n; i++)
        assert_true(v[i] == i * 3);
    free(v);
}

static void t_struct(void **state)
{
    (void)state;
    s_pair *v = NULL;
    size_t n = 0, cap = 0;
    for (unsigned i = 0; i < 50; i++) {
        s_pair p = {.id = i};
        memcpy(p.tag, "tag", 4);
        assert_int_equal(CL_VEC_PUSH(v, n, cap, p), CL_OK);
    }
    assert_int_equal(cap, 64); /* 8, 16, 32, 64 */
    assert_true(v[49].id == 49);
    assert_string_equal(v[0].tag, "tag");
    free(v);
}

static void t_reserve(void **state)
{
    (void)state;
    char *v = NULL;
    size_t cap = 0;
    assert_int_equal(cl_vec_reserve(&v, &cap, 0, 1), CL_OK);
    assert_null(v); /* nothing asked, nothing allocated */
    assert_int_equal(cl_vec_reserve(&v, &cap, 1000, 1), CL_OK);
    assert_int_equal(cap, 1024);
    char *before = v;
    assert_int_equal(cl_vec_reserve(&v, &cap, 1024, 1), CL_OK);
    assert_ptr_equal(v, before); /* enough room: untouched */
    memset(v, 'x', 1024);
    free(v);
}

static void t_overflow(void **state)
{
    (void)state;
    s_pair *v = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(CL_VEC_PUSH(v, n, cap, (s_pair){.id = 7}), CL_OK);
    s_pair *before = v;
    size_t cap_before = cap;
    /* elements * size would overflow size_t: refused before realloc */
    assert_int_equal(cl_vec_reserve(&v, &cap, SIZE_MAX / 8, sizeof(*v)),
                     CL_ERR_NOMEM);
    assert_int_equal(cl_vec_reserve(&v, &cap, SIZE_MAX, sizeof(*v)),
                     CL_ERR_NOMEM);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, cap_before);
    assert_true(v[0].id == 7);
    assert_int_equal(cl_vec_reserve(&v, &cap, 100, 0), CL_ERR_INVALID);
    free(v);
}

static void t_add_zeroed(void **state)
{
    (void)state;
    s_pair *v = NULL;
    size_t n = 0, cap = 0;
    for (unsigned i = 0; i < 20; i++) {
        s_pair *p = CL_VEC_ADD(v, n, cap);
        assert_non_null(p);
        assert_ptr_equal(p, &v[i]);
        assert_true(p->id == 0 && p->tag[0] == '\0' && p->tag[11] == '\0');
        p->id = i + 1;
        memset(p->tag, 'x', sizeof(p->tag));
        memset(v + n, 0xa5, (cap - n) * sizeof(*v)); /* dirty spare room */
    }
    assert_int_equal(n, 20);
    assert_true(v[19].id == 20 && v[0].id == 1);
    /* a size that cannot grow: NULL, and v, n, cap as they were */
    s_pair *before = v;
    size_t big = SIZE_MAX / 2 + 1, nb = big, capb = big;
    assert_null(CL_VEC_ADD(v, nb, capb));
    assert_ptr_equal(v, before);
    assert_true(nb == big && capb == big);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_push_many),  cmocka_unit_test(t_struct),
        cmocka_unit_test(t_reserve),    cmocka_unit_test(t_overflow),
        cmocka_unit_test(t_add_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
