/*
 * test_overlay: given fields laid over stored ones (daemon/core/
 * overlay.h): a text is given when not empty, a number of any width when
 * not zero, and what is not given stays as it was; the count says how
 * many were given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "overlay.h"

typedef struct s_row {
    char name[16];
    uint8_t small;
    int64_t wide;
    char note[8];
} s_row;

static const cl_overlay_field s_fields[] = {
    CL_OVERLAY_TEXT(s_row, name),
    CL_OVERLAY_NUM(s_row, small),
    CL_OVERLAY_NUM(s_row, wide),
    CL_OVERLAY_TEXT(s_row, note),
};

static void t_given_only(void **state)
{
    (void)state;
    s_row dst = {"stored", 7, 1700000000, "kept"}, src;
    memset(&src, 0, sizeof(src));
    assert_int_equal(cl_overlay_fields(&dst, &src, s_fields, 4), 0);
    assert_string_equal(dst.name, "stored");
    assert_int_equal(dst.small, 7);
    assert_true(dst.wide == 1700000000);
    assert_string_equal(dst.note, "kept");
    strcpy(src.name, "new");
    src.wide = (int64_t)1 << 40; /* only a high byte set: still given */
    assert_int_equal(cl_overlay_fields(&dst, &src, s_fields, 4), 2);
    assert_string_equal(dst.name, "new");
    assert_int_equal(dst.small, 7);
    assert_true(dst.wide == (int64_t)1 << 40);
    assert_string_equal(dst.note, "kept");
    src.small = 1;
    src.wide = -1;
    assert_int_equal(cl_overlay_fields(&dst, &src, s_fields, 4), 3);
    assert_int_equal(dst.small, 1);
    assert_true(dst.wide == -1);
}

static void t_person(void **state)
{
    (void)state;
    cl_person dst, src;
    memset(&dst, 0, sizeof(dst));
    memset(&src, 0, sizeof(src));
    strcpy(dst.given, "Ann");
    strcpy(dst.family, "Smith");
    strcpy(dst.nhs, "9434765919");
    dst.sex = 2;
    strcpy(src.family, "Jones");
    strcpy(src.postcode, "AB1 2CD");
    assert_int_equal(cl_overlay_person(&dst, &src), 2);
    assert_string_equal(dst.given, "Ann");
    assert_string_equal(dst.family, "Jones");
    assert_string_equal(dst.postcode, "AB1 2CD");
    assert_string_equal(dst.nhs, "9434765919");
    assert_int_equal(dst.sex, 2);
    src.sex = 1;
    strcpy(src.uprn, "100023336956");
    strcpy(src.chi, "0101011234");
    strcpy(src.local_id, "L1");
    strcpy(src.dob, "2001-02-03");
    strcpy(src.address, "1 High St");
    strcpy(src.town, "Leeds");
    strcpy(src.given, "Anne");
    strcpy(src.nhs, "9434765870");
    assert_int_equal(cl_overlay_person(&dst, &src), 11); /* every field */
    assert_memory_equal(&dst, &src, sizeof(dst));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_given_only),
        cmocka_unit_test(t_person),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
