/*
 * test_when: dates and times as people type and read them (clients/when.c)
 * and the wording table (clients/words.c): UK and ISO forms, offsets and
 * Z, London wall-clock time across both clock changes, and the labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cl_model.h"
#include "fields.h"
#include "when.h"
#include "words.h"

static void s_date_ok(const char *in, const char *want)
{
    char out[11], err[256];
    assert_true(cl_when_date(out, in, "date", err, sizeof(err)));
    assert_string_equal(out, want);
}

static void s_date_bad(const char *in)
{
    char out[11] = "", err[256] = "";
    assert_false(cl_when_date(out, in, "date_of_birth", err, sizeof(err)));
    assert_non_null(strstr(err, "date_of_birth"));
    assert_non_null(strstr(err, "24/12/1980"));
}

static void test_dates(void **state)
{
    (void)state;
    s_date_ok("1980-12-24", "1980-12-24");
    s_date_ok("24/12/1980", "1980-12-24");
    s_date_ok("4/2/1980", "1980-02-04"); /* day first: 4 Feb */
    s_date_ok("24-12-1980", "1980-12-24");
    s_date_ok("24.12.1980", "1980-12-24");
    s_date_ok("24 Dec 1980", "1980-12-24");
    s_date_ok("24 december 1980", "1980-12-24");
    s_date_ok(" 29/02/2024 ", "2024-02-29");
    s_date_bad("29/02/2023");
    s_date_bad("31/04/2020");
    s_date_bad("12/24/1980"); /* US order is not a date here */
    s_date_bad("24/12/80");   /* two-digit years are refused */
    s_date_bad("1980-13-01");
    s_date_bad("tomorrow");
    s_date_bad("");
    s_date_bad("24/12/1980x");
}

static void test_months(void **state)
{
    (void)state;
    char out[8], err[256];
    assert_true(cl_when_month(out, "2026-12", "m", err, sizeof(err)));
    assert_string_equal(out, "2026-12");
    assert_true(cl_when_month(out, "3/2026", "m", err, sizeof(err)));
    assert_string_equal(out, "2026-03");
    assert_true(cl_when_month(out, "Sept 2026", "m", err, sizeof(err)));
    assert_string_equal(out, "2026-09");
    assert_false(cl_when_month(out, "13/2026", "m", err, sizeof(err)));
    assert_false(cl_when_month(out, "2026", "m", err, sizeof(err)));
}

static int64_t s_t(const char *in)
{
    int64_t t = -1;
    char err[256];
    assert_true(cl_when_time(&t, in, "occurred_at", err, sizeof(err)));
    return t;
}

static void test_times(void **state)
{
    (void)state;
    /* 2026-06-01T13:05:00Z is 1780319100 */
    assert_int_equal(s_t("2026-06-01T13:05Z"), 1780319100);
    assert_int_equal(s_t("2026-06-01T14:05+01:00"), 1780319100);
    assert_int_equal(s_t("2026-06-01T14:05+0100"), 1780319100);
    assert_int_equal(s_t("2026-06-01T09:05-04"), 1780319100);
    assert_int_equal(s_t("2026-06-01 14:05"), 1780319100); /* London: BST */
    assert_int_equal(s_t("01/06/2026 14:05"), 1780319100);
    assert_int_equal(s_t("2026-06-01T14:05:00 BST"), 1780319100);
    assert_int_equal(s_t("2026-06-01T13:05:00.250Z"), 1780319100);
    /* winter: London is UTC */
    assert_int_equal(s_t("2026-12-01T14:05"), s_t("2026-12-01T14:05Z"));
    /* a date alone is London midnight */
    assert_int_equal(s_t("2026-06-01"), s_t("2026-05-31T23:00Z"));
    assert_int_equal(s_t("1780319100"), 1780319100);
    int64_t t;
    char err[256];
    assert_false(
        cl_when_time(&t, "2026-06-01T25:00", "occurred_at", err, sizeof(err)));
    assert_non_null(strstr(err, "occurred_at"));
    assert_false(
        cl_when_time(&t, "2026-06-01T14:05+25:00", "x", err, sizeof(err)));
    assert_false(
        cl_when_time(&t, "2026-06-01T14:05 PST", "x", err, sizeof(err)));
}

static void test_clock_changes(void **state)
{
    (void)state;
    /* 2026: BST from 29 Mar 01:00 UTC to 25 Oct 01:00 UTC */
    int64_t on = s_t("2026-03-29T01:00Z"), off = s_t("2026-10-25T01:00Z");
    assert_false(cl_when_bst(on - 1));
    assert_true(cl_when_bst(on));
    assert_true(cl_when_bst(off - 1));
    assert_false(cl_when_bst(off));
    char out[CL_WHEN_SHOW_SZ];
    cl_when_show_time(out, on - 60, false);
    assert_string_equal(out, "29 Mar 2026 00:59 GMT");
    cl_when_show_time(out, on, false);
    assert_string_equal(out, "29 Mar 2026 02:00 BST");
    /* 01:30 London happens twice on 25 Oct: the first (BST) is taken */
    assert_int_equal(s_t("25/10/2026 01:30"), s_t("2026-10-25T00:30Z"));
    cl_when_show_time(out, s_t("2026-10-25T01:30Z"), false);
    assert_string_equal(out, "25 Oct 2026 01:30 GMT");
    /* a leap year's last Sunday of March: 2024-03-31 */
    assert_true(cl_when_bst(s_t("2024-03-31T01:00Z")));
    assert_false(cl_when_bst(s_t("2024-03-31T00:59Z")));
}

static void test_show(void **state)
{
    (void)state;
    char out[CL_WHEN_SHOW_SZ];
    cl_when_show_date(out, "1980-12-24", false);
    assert_string_equal(out, "24 Dec 1980");
    cl_when_show_date(out, "1980-12-24", true);
    assert_string_equal(out, "1980-12-24");
    cl_when_show_date(out, "", false);
    assert_string_equal(out, "not given");
    cl_when_show_time(out, 1780319100, false);
    assert_string_equal(out, "1 Jun 2026 14:05 BST");
    cl_when_show_time(out, 1780319100, true);
    assert_string_equal(out, "2026-06-01T13:05:00Z");
    cl_when_show_time(out, 0, false);
    assert_string_equal(out, "not given");
    /* 23:30 UTC on 31 May is 1 Jun in London */
    cl_when_show_day(out, s_t("2026-05-31T23:30Z"), false);
    assert_string_equal(out, "1 Jun 2026");
    cl_when_show_month(out, "2026-12", false);
    assert_string_equal(out, "Dec 2026");
}

static void test_words(void **state)
{
    (void)state;
    assert_string_equal(cl_words(CL_W_LINK, CL_LINK_NEW),
                        "first record of this person");
    assert_string_equal(cl_words(CL_W_INVOLVE, 1), "no involvement");
    assert_string_equal(cl_words(CL_W_RISK, 0), "risk not stated");
    assert_string_equal(cl_words(CL_W_PLAN_TYPE, 1), "child protection plan");
    assert_string_equal(cl_words(CL_W_CATEGORY, 4), "mental health");
    /* every label differs from the machine name's underscores */
    for (unsigned v = 0; v < 13; v++)
        assert_null(strchr(cl_words(CL_W_CATEGORY, v), '_'));
    for (unsigned v = 0; v < 7; v++)
        assert_null(strchr(cl_words(CL_W_BASIS, v), '_'));
    for (unsigned v = 0; v < 6; v++)
        assert_null(strchr(cl_words(CL_W_OUTCOME, v), '_'));
}

/* The documented field lists and the setters agree: every name and alias
 * documented is taken (whatever it says of the value), an undocumented
 * one is refused as unknown. */
static void test_field_docs(void **state)
{
    (void)state;
    char err[512];
    const cl_field_doc *lists[] = {cl_referral_field_docs, cl_person_field_docs,
                                   cl_plan_field_docs};
    for (int l = 0; l < 3; l++)
        for (const cl_field_doc *d = lists[l]; d->name; d++)
            for (int k = 0; k < 2; k++) {
                const char *n = k ? d->alias : d->name;
                if (!n)
                    continue;
                static cl_referral r;
                static cl_plan p;
                memset(&r, 0, sizeof(r));
                memset(&p, 0, sizeof(p));
                err[0] = '\0';
                if (l < 2)
                    (void)cl_fields_set(&r, n, "x", err, sizeof(err));
                else
                    (void)cl_plan_fields_set(&p, n, "x", err, sizeof(err));
                if (strstr(err, "unknown field"))
                    fail_msg("documented field %s refused: %s", n, err);
                assert_true(cl_fields_known(lists[l], n));
            }
    static cl_referral r;
    assert_false(cl_fields_set(&r, "colour", "x", err, sizeof(err)));
    assert_non_null(strstr(err, "unknown field"));
    assert_false(cl_fields_known(cl_referral_field_docs, "colour"));
    assert_true(cl_fields_known(cl_referral_field_docs, "date-of-birth"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),      cmocka_unit_test(test_months),
        cmocka_unit_test(test_times),      cmocka_unit_test(test_clock_changes),
        cmocka_unit_test(test_show),       cmocka_unit_test(test_words),
        cmocka_unit_test(test_field_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
