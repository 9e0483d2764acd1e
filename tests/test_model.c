/*
 * test_model: validation rules of the plain C model (check digits, dates,
 * postcodes, referral rules).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cl_model.h"

static void test_nhs_check_digit(void **state)
{
    (void)state;
    assert_true(cl_nhs_valid("9434765919"));
    assert_true(cl_nhs_valid("4010232137"));
    assert_false(cl_nhs_valid("9434765918")); /* wrong check digit */
    assert_false(cl_nhs_valid("0000000000")); /* placeholders pass mod 11 */
    assert_false(cl_nhs_valid("1111111111"));
    assert_false(cl_chi_valid("1111111111"));  /* 11/11/11, mod 11 too */
    assert_false(cl_nhs_valid("9434765"));     /* short */
    assert_false(cl_nhs_valid("94347659190")); /* long */
    assert_false(cl_nhs_valid("94347A5919"));
    /* check digit would be 10: never valid */
    assert_false(cl_nhs_valid("1000000010"));
    assert_true(cl_nhs_valid("1000000060"));
}

/* Break-glass wants a reason and words that say why: text of no real
 * words (spaces of any kind, punctuation, single letters) is refused. */
static void test_break_glass_justification(void **state)
{
    (void)state;
    char err[CL_ERROR_SZ];
    const char *bad[] = {
        "                        ",
        "\xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0 "
        "\xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0",
        ". . .....................",
        "x y zzzzzzzzzzzzzzzzzz",
        "\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b ab cd efghijklmnopq",
        "too short",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(cl_break_glass_check(1, bad[i], "justification", err));
        assert_non_null(strstr(err, "justification: "));
    }
    assert_true(cl_break_glass_check(
        1, "child seen with bruising at school today", "justification", err));
    assert_true(cl_break_glass_check(1, "enfant vu à l'école avec des bleus",
                                     "justification", err));
    assert_false(cl_break_glass_check(0, "child seen with bruising at school",
                                      "justification", err));
}

static void test_chi(void **state)
{
    (void)state;
    /* 010185 + 123 + check: 0*10+1*9+0*8+1*7+8*6+5*5+1*4+2*3+3*2 = 105,
     * 105 % 11 = 6, check 5 */
    assert_true(cl_chi_valid("0101851235"));
    assert_false(cl_chi_valid("0101851234"));
    assert_false(cl_chi_valid("3202851230")); /* 32 February */
}

static void test_dates(void **state)
{
    (void)state;
    assert_true(cl_date_valid("1985-04-12"));
    assert_true(cl_date_valid("2000-02-29"));
    assert_false(cl_date_valid("1900-02-29"));
    assert_false(cl_date_valid("1985-13-01"));
    assert_false(cl_date_valid("1985-4-12"));
    assert_false(cl_date_valid("12/04/1985"));
    assert_false(cl_date_valid("1700-01-01"));
}

static void test_postcode(void **state)
{
    (void)state;
    char a[CL_POSTCODE_SZ] = "ls14ab", b[CL_POSTCODE_SZ] = " sw1a 1aa ";
    char c[CL_POSTCODE_SZ] = "75001";
    cl_postcode_normalise(a);
    cl_postcode_normalise(b);
    cl_postcode_normalise(c);
    assert_string_equal(a, "LS1 4AB");
    assert_string_equal(b, "SW1A 1AA");
    assert_string_equal(c, "75001");
}

static cl_referral *s_good(void)
{
    cl_referral *r = calloc(1, sizeof(*r));
    CL_COPY(r->agency_ref, "REF-1");
    CL_COPY(r->subject.family, "Smith");
    CL_COPY(r->subject.given, "Jane");
    r->category = 4;
    r->basis = 1;
    return r;
}

static void test_referral_rules(void **state)
{
    (void)state;
    char err[CL_ERROR_SZ];
    cl_publish_result w = {0};
    cl_referral *r = s_good();
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);

    r->basis = 0;
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "lawful_basis"));
    r->basis = 1;

    r->consent = CL_CONSENT_NOT_SOUGHT;
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "consent_note"));
    CL_COPY(r->consent_note, "immediate risk");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);

    CL_COPY(r->subject.dob, "1985-02-30");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    r->subject.dob[0] = '\0';

    /* one event, one reference: no spaces at the ends, no controls */
    char ref[CL_REF_SZ];
    CL_COPY(ref, r->agency_ref);
    const char *refs[] = {"GP-1 ", " GP-1", "GP-1\t", "GP\n1",
                          "GP-\xe2\x80\xae"
                          "1"};
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        CL_COPY(r->agency_ref, refs[i]);
        assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
        assert_non_null(strstr(err, "agency_reference"));
    }
    CL_COPY(r->agency_ref, ref);
    cl_user u = {.id = "cjones",
                 .name = "Chris \xe2\x80\xaeJones",
                 .role = "coordinator"};
    assert_int_equal(cl_user_validate(&u, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "display_name"));

    /* invalid NHS number: warned, cleared, not fatal */
    CL_COPY(r->subject.nhs, "943 476 5918");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    assert_string_equal(r->subject.nhs, "");
    assert_int_equal(w.n_warnings, 1);
    /* spaced valid number is normalised */
    CL_COPY(r->subject.nhs, "943 476 5919");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    assert_string_equal(r->subject.nhs, "9434765919");

    /* no way to identify the subject */
    memset(&r->subject, 0, sizeof(r->subject));
    CL_COPY(r->subject.family, "Smith");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);

    /* related people need a relationship */
    CL_COPY(r->subject.local_id, "X1");
    r->n_related = 1;
    CL_COPY(r->related[0].person.family, "Smith");
    CL_COPY(r->related[0].person.given, "Amy");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    r->related[0].rel = CL_REL_CHILD;
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    r->n_related = CL_RELATED_MAX + 1;
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    r->n_related = 1;

    r->category = 99;
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    r->category = 0;
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    free(r);
}

/* A person's text as a partner system may send it: blanks are no name,
 * an invisible direction mark or zero-width space is taken out with a
 * warning (the name still links), a control character is refused, and a
 * UPRN is digits: "-1" (a placeholder for "unknown") is no property 1. */
static void test_person_text(void **state)
{
    (void)state;
    char err[CL_ERROR_SZ];
    cl_publish_result w = {0};
    cl_referral *r = s_good();
    memset(&r->subject, 0, sizeof(r->subject));
    CL_COPY(r->subject.given, "  ");
    CL_COPY(r->subject.family, " \t ");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "subject: give an NHS or CHI number"));
    CL_COPY(r->subject.given, " Amy ");
    CL_COPY(r->subject.family, "Smith\xe2\x80\x8bson\xe2\x80\xae");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    assert_string_equal(r->subject.given, "Amy");
    assert_string_equal(r->subject.family, "Smithson");
    assert_int_equal(w.n_warnings, 1);
    assert_non_null(strstr(w.warnings[0], "subject.family_name"));
    CL_COPY(r->subject.town, "Leeds\r");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "subject.town holds a control character"));
    r->subject.town[0] = '\0';
    const char *bad[] = {"-1", "--1", "-12345", "+1", "1e3", " "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CL_COPY(r->subject.uprn, bad[i]);
        assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
        assert_non_null(strstr(err, "subject.uprn: must be digits"));
    }
    CL_COPY(r->subject.uprn, "100 2345");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    assert_string_equal(r->subject.uprn, "1002345");
    /* 0001 is property 1; all zeros is none, with a warning */
    CL_COPY(r->subject.uprn, "0001");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    assert_string_equal(r->subject.uprn, "1");
    w.n_warnings = 0;
    CL_COPY(r->subject.uprn, "0 00");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    assert_string_equal(r->subject.uprn, "");
    assert_non_null(strstr(w.warnings[0], "subject.uprn: all zeros"));

    /* names of other blanks are no names either: no-break, ideographic
     * and em spaces, word joiner, byte-order mark, soft hyphen, Hangul
     * filler, Braille blank, line separator, a combining mark alone */
    static const char *const blanks[] = {
        "\xc2\xa0",     "\xe3\x80\x80", "\xe2\x80\x83", "\xe2\x81\xa0",
        "\xef\xbb\xbf", "\xc2\xad",     "\xe3\x85\xa4", "\xe2\xa0\x80",
        "\xe2\x80\xa8", "\xcc\x81",     "\xd8\x9c"};
    for (size_t i = 0; i < sizeof(blanks) / sizeof(blanks[0]); i++) {
        memset(&r->subject, 0, sizeof(r->subject));
        CL_COPY(r->subject.given, blanks[i]);
        CL_COPY(r->subject.family, blanks[i]);
        if (cl_referral_validate(r, err, &w) != CL_ERR_INVALID)
            fail_msg("blank %zu accepted as a name", i);
    }
    memset(&r->subject, 0, sizeof(r->subject));
    CL_COPY(r->subject.given, "Jane\tAnn\xc2\xa0 Marie");
    CL_COPY(r->subject.family, "Smith");
    assert_int_equal(cl_referral_validate(r, err, &w), CL_OK);
    assert_string_equal(r->subject.given, "Jane Ann Marie");

    /* a local id is compared as sent: never changed, so never stripped
     * into another's (PN-1 and PN-1 with a zero-width space), and an id
     * of spaces is none */
    static const char *const ids[] = {" ", "   ", "PN-1\xe2\x80\x8b",
                                      "PN\xc2\xa0"
                                      "1",
                                      "PN-1\t"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        CL_COPY(r->subject.local_id, ids[i]);
        assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
        assert_non_null(strstr(err, "subject.local_id"));
    }
    free(r);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(cl_category_parse("domestic-abuse"), 3);
    assert_int_equal(cl_category_parse("DOMESTIC_ABUSE"), 3);
    assert_int_equal(cl_category_parse("nonsense"), -1);
    assert_string_equal(cl_category_name(3), "domestic_abuse");
    assert_string_equal(cl_category_name(200), "unknown");
    assert_int_equal(cl_basis_parse("dpa_safeguarding"), 3);
    assert_int_equal(cl_rel_parse("parent"), CL_REL_PARENT);
    /* sex as agency systems write it: names, letters, NHS codes */
    assert_int_equal(cl_sex_parse("female"), 1);
    assert_int_equal(cl_sex_parse("M"), 2);
    assert_int_equal(cl_sex_parse("f"), 1);
    assert_int_equal(cl_sex_parse("1"), 2);
    assert_int_equal(cl_sex_parse("2"), 1);
    assert_int_equal(cl_sex_parse("9"), 0);
    assert_int_equal(cl_sex_parse("X"), 0);
    assert_int_equal(cl_sex_parse("Not known"), 0);
    assert_int_equal(cl_sex_parse("mf"), -1);
    assert_int_equal(cl_sex_parse("3"), -1);
    /* spaces around the value are not part of it */
    assert_int_equal(cl_sex_parse(" X"), 0);
    assert_int_equal(cl_sex_parse("M "), 2);
    assert_int_equal(cl_sex_parse("\tfemale\r"), 1);
    assert_int_equal(cl_sex_parse(" 2 "), 1);
    assert_int_equal(cl_sex_parse(" m f "), -1);
}

/* A refusal of a decoded request names the field's full path in the
 * Envelope, whatever struct the check ran over. */
static void test_request_refusals_name_the_path(void **state)
{
    (void)state;
    char err[CL_ERROR_SZ];
    cl_publish_result w = {0};
    cl_request *q = calloc(1, sizeof(*q));
    cl_referral *r = s_good();

    q->kind = CL_REQ_PUBLISH_REFERRAL;
    q->u.publish = *r;
    assert_int_equal(cl_request_validate(q, err, &w), CL_OK);
    q->u.publish.basis = 0;
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "publish_referral.referral.lawful_basis is "
                                "required"));
    q->u.publish = *r;
    q->u.publish.n_related = 2;
    q->u.publish.related[0].rel = CL_REL_CHILD;
    CL_COPY(q->u.publish.related[0].person.local_id, "C1");
    CL_COPY(q->u.publish.related[1].person.local_id, "C2");
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_string_equal(
        err, "publish_referral.referral.related[1].relationship is required");
    q->u.publish.related[1].rel = CL_REL_CHILD;
    CL_COPY(q->u.publish.related[1].person.dob, "2020-02-30");
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "publish_referral.referral.related[1].person."
                                "date_of_birth: must be a real date"));
    q->u.publish = *r;
    q->u.publish.risk = 9;
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_non_null(
        strstr(err, "publish_referral.referral.risk: out of range"));

    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_IMPORT_PERSON;
    CL_COPY(q->u.import.person.family, "Smith");
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_string_equal(err, "import_person.person.local_id is required");

    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_PUBLISH_PLAN;
    q->u.plan.basis = 1;
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "publish_plan.plan.type: plan type is "
                                "required"));

    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_CASE_FINDING;
    q->u.finding.from = 1780000000;
    q->u.finding.to = 1770000000;
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "case_finding.to: the period ends before"));
    q->u.finding.to = 0; /* open-ended */
    assert_int_equal(cl_request_validate(q, err, &w), CL_OK);

    /* the named user, whatever the kind */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_HEALTH;
    CL_COPY(q->on_behalf_of.id, "u1");
    assert_int_equal(cl_request_validate(q, err, &w), CL_ERR_INVALID);
    assert_non_null(strstr(err, "on_behalf_of.display_name is required"));

    /* a validator on its own names the field from its struct (the CLI) */
    r->basis = 0;
    assert_int_equal(cl_referral_validate(r, err, &w), CL_ERR_INVALID);
    assert_int_equal(strncmp(err, "lawful_basis is required", 24), 0);
    cl_model_refusal_at(err, "correct_referral.referral");
    assert_int_equal(
        strncmp(err, "correct_referral.referral.lawful_basis is required", 50),
        0);
    free(r);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nhs_check_digit),
        cmocka_unit_test(test_chi),
        cmocka_unit_test(test_break_glass_justification),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_postcode),
        cmocka_unit_test(test_referral_rules),
        cmocka_unit_test(test_person_text),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_request_refusals_name_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
