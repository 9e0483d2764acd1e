/*
 * test_ids: the one id format and strict parser (proto/ids.c). The
 * refusals are the ones strtoull forgave ("P-1" parsed as a person id,
 * issue 15), plus overflow, trailing bytes and every prefix confusion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ids.h"

static void t_round_trip(void **state)
{
    (void)state;
    const uint64_t ns[] = {1, 42, 99999999, 100000000, UINT64_MAX};
    for (unsigned k = 0; k < CL_ID_KIND_COUNT; k++) {
        assert_true(cl_id_prefix((cl_id_kind)k)[0]);
        assert_true(cl_id_what((cl_id_kind)k)[0]);
        for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
            char id[CL_IDS_SZ];
            uint64_t v = 0;
            cl_id_kind got = CL_ID_KIND_COUNT;
            assert_true(cl_id_format(id, sizeof(id), (cl_id_kind)k, ns[i]));
            assert_int_equal(cl_id_parse(&v, (cl_id_kind)k, id), CL_OK);
            assert_true(v == ns[i]);
            assert_int_equal(cl_id_parse_any(&got, &v, id), CL_OK);
            assert_int_equal(got, k);
            /* no other kind takes it */
            for (unsigned o = 0; o < CL_ID_KIND_COUNT; o++)
                if (o != k)
                    assert_int_equal(cl_id_parse(&v, (cl_id_kind)o, id),
                                     CL_ERR_INVALID);
        }
    }
}

static void t_format(void **state)
{
    (void)state;
    char id[CL_IDS_SZ];
    assert_true(cl_id_format(id, sizeof(id), CL_ID_PERSON, 42));
    assert_string_equal(id, "P00000042");
    assert_true(cl_id_format(id, sizeof(id), CL_ID_REFERRAL, 7));
    assert_string_equal(id, "CL-00000007");
    assert_true(cl_id_format(id, sizeof(id), CL_ID_REVIEW, 123456789));
    assert_string_equal(id, "MDT-123456789");
    assert_true(cl_id_format(id, sizeof(id), CL_ID_AUDIT, UINT64_MAX));
    assert_string_equal(id, "AUDIT-18446744073709551615");
    /* too small: refused and empty, never truncated */
    char small[9];
    assert_false(cl_id_format(small, sizeof(small), CL_ID_PERSON, 42));
    assert_string_equal(small, "");
    assert_false(cl_id_format(id, sizeof(id), CL_ID_KIND_COUNT, 1));
    assert_string_equal(cl_id_prefix(CL_ID_KIND_COUNT), "");
}

static void t_strict(void **state)
{
    (void)state;
    const char *bad[] = {
        "P-1",
        "P 7",
        "P+1",
        "P",
        "P0",
        "P00000000",
        "P1x",
        "P1 ",
        " P1",
        "p1",
        "P0x10",
        "P1.0",
        "P１",
        "P\t1",
        "P1\n",
        "",
        "P18446744073709551616",  /* UINT64_MAX + 1 */
        "P99999999999999999999",  /* wraps to something else */
        "P184467440737095516150", /* one digit too many */
        "CL-",
        "CL-+5",
        "CL--5",
        "CL5",
        "MDT-1-2",
        "ACT- 3",
        "PLAN-",
        "REQ-0",
        "IN--1",
        "Q-1",
        "R 1",
        "AUDIT-",
        "X1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 77;
        cl_id_kind k = CL_ID_KIND_COUNT;
        if (cl_id_parse_any(&k, &v, bad[i]) != CL_ERR_INVALID)
            fail_msg("'%s' parsed as %s %llu", bad[i], cl_id_what(k),
                     (unsigned long long)v);
        assert_true(v == 77); /* untouched */
        for (unsigned o = 0; o < CL_ID_KIND_COUNT; o++)
            assert_int_equal(cl_id_parse(&v, (cl_id_kind)o, bad[i]),
                             CL_ERR_INVALID);
    }
    uint64_t v = 0;
    assert_int_equal(cl_id_parse(&v, CL_ID_PERSON, NULL), CL_ERR_INVALID);
    assert_int_equal(cl_id_parse(&v, CL_ID_KIND_COUNT, "P1"), CL_ERR_INVALID);
}

static void t_accepted(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(cl_id_parse(&v, CL_ID_PERSON, "P1"), CL_OK);
    assert_true(v == 1);
    assert_int_equal(cl_id_parse(&v, CL_ID_PERSON, "P0000000000000000000042"),
                     CL_OK);
    assert_true(v == 42);
    assert_int_equal(cl_id_parse(&v, CL_ID_PERSON, "P18446744073709551615"),
                     CL_OK);
    assert_true(v == UINT64_MAX);
    /* "P" and "PLAN-", "R" and "REQ-": the digits decide */
    cl_id_kind k = CL_ID_KIND_COUNT;
    assert_int_equal(cl_id_parse_any(&k, &v, "PLAN-00000003"), CL_OK);
    assert_int_equal(k, CL_ID_PLAN);
    assert_int_equal(cl_id_parse_any(&k, &v, "REQ-9"), CL_OK);
    assert_int_equal(k, CL_ID_REQUEST);
    assert_true(v == 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_round_trip),
        cmocka_unit_test(t_format),
        cmocka_unit_test(t_strict),
        cmocka_unit_test(t_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
