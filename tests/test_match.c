/*
 * test_match: the matching functions (daemon/core/match.c) against
 * reference values: Jaro-Winkler and Soundex, nicknames, and the weight of
 * each comparison level. No store, no sockets.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"
#include "harness.h"

static void test_jaro_winkler(void **state)
{
    (void)state;
    assert_true(fabs(cl_match_jaro_winkler("MARTHA", "MARHTA") - 0.961) <
                0.001);
    assert_true(fabs(cl_match_jaro_winkler("DWAYNE", "DUANE") - 0.840) < 0.001);
    assert_true(fabs(cl_match_jaro_winkler("DIXON", "DICKSONX") - 0.813) <
                0.001);
    assert_true(cl_match_jaro_winkler("smith", "SMITH") == 1.0);
    assert_true(cl_match_jaro_winkler("", "x") == 0.0);
}

static void test_soundex(void **state)
{
    (void)state;
    char c[5];
    cl_match_soundex("Robert", c);
    assert_string_equal(c, "R163");
    cl_match_soundex("Rupert", c);
    assert_string_equal(c, "R163");
    cl_match_soundex("Tymczak", c);
    assert_string_equal(c, "T522");
    cl_match_soundex("Ashcraft", c);
    assert_string_equal(c, "A261");
    cl_match_soundex("Pfister", c);
    assert_string_equal(c, "P236");
    cl_match_soundex("", c);
    assert_string_equal(c, "");
}

static void test_nicknames(void **state)
{
    (void)state;
    char a[64];
    cl_match_canonical_given("Bob", a, sizeof(a));
    assert_string_equal(a, "robert");
    cl_match_canonical_given("Liz Anne", a, sizeof(a));
    assert_string_equal(a, "elizabeth");
    cl_match_canonical_given("Zebedee", a, sizeof(a));
    assert_string_equal(a, "zebedee");
    /* the short forms British records hold, one full name each */
    static const char *const pairs[][2] = {
        {"Becca", "rebecca"},    {"Trish", "patricia"},
        {"Margie", "margaret"},  {"Lottie", "charlotte"},
        {"Tilly", "matilda"},    {"Ollie", "oliver"},
        {"Rebecca", "rebecca"},  {"Sam", "samuel"},
        {"Samantha", "samantha"}};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        cl_match_canonical_given(pairs[i][0], a, sizeof(a));
        assert_string_equal(a, pairs[i][1]);
    }
}

static void test_score_levels(void **state)
{
    (void)state;
    cl_person a = th_person("Robert", "Jones", "1980-03-04", 2, "LS1 4AB");
    cl_person same = a;
    cl_person nick = th_person("Bob", "Jones", "1980-03-04", 2, "LS1 4AB");
    cl_person swapped =
        th_person("Robert", "Jones", "1980-04-03", 2, "LS1 4AB");
    cl_person typo = th_person("Robert", "Jomes", "1980-03-04", 2, "LS1 4AB");
    cl_person sector = th_person("Robert", "Jones", "1980-03-04", 2, "LS1 4ZZ");
    cl_person other = th_person("Karen", "Brown", "1962-11-30", 1, "M1 1AA");
    cl_person twin = th_person("Richard", "Jones", "1980-03-04", 2, "LS1 4AB");
    double w_same = cl_match_score(NULL, &a, &same);
    double w_nick = cl_match_score(NULL, &a, &nick);
    double w_swap = cl_match_score(NULL, &a, &swapped);
    double w_typo = cl_match_score(NULL, &a, &typo);
    double w_sector = cl_match_score(NULL, &a, &sector);
    double w_other = cl_match_score(NULL, &a, &other);
    double w_twin = cl_match_score(NULL, &a, &twin);
    /* given names plainly differ: never auto-linked, on the weights */
    assert_true(w_twin < CL_MATCH_UPPER_DEFAULT);
    assert_true(w_same > w_nick);
    assert_true(w_nick > CL_MATCH_UPPER_DEFAULT);
    assert_true(w_swap > CL_MATCH_UPPER_DEFAULT && w_swap < w_same);
    assert_true(w_typo > CL_MATCH_UPPER_DEFAULT && w_typo < w_same);
    assert_true(w_sector > CL_MATCH_UPPER_DEFAULT && w_sector < w_same);
    assert_true(w_other < CL_MATCH_LOWER_DEFAULT);
    /* missing fields add nothing */
    /* names entered the wrong way round */
    cl_person flipped =
        th_person("Jones", "Robert", "1980-03-04", 2, "LS1 4AB");
    double w_flip = cl_match_score(NULL, &a, &flipped);
    assert_true(w_flip > CL_MATCH_UPPER_DEFAULT);
    /* addresses token by token: abbreviations and a typo agree, another
     * house number does not */
    cl_person h1 = th_person("Ann", "Lee", "", 0, ""), h2 = h1, h3 = h1;
    CL_COPY(h1.address, "14 Mill Road");
    CL_COPY(h2.address, "14 Mil Rd");
    CL_COPY(h3.address, "16 Mill Road");
    double w_h2 = cl_match_score(NULL, &h1, &h2);
    double w_h3 = cl_match_score(NULL, &h1, &h3);
    assert_true(w_h2 > w_h3 + 8);
    CL_COPY(h2.town, "Northshire");
    CL_COPY(h3.town, "NORTHSHIRE");
    double w_t = cl_match_score(NULL, &h2, &h3);
    CL_COPY(h3.town, "Southport");
    assert_true(w_t > cl_match_score(NULL, &h2, &h3));
    /* weights are configurable */
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    assert_true(cl_match_weight_set(&mc, "dob.exact", 0.5, 0.5));
    assert_false(cl_match_weight_set(&mc, "dob.nonsense", 0.5, 0.5));
    assert_false(cl_match_weight_set(&mc, "dob.exact", 0, 0.5));
    assert_true(cl_match_score(&mc, &a, &same) < w_same - 10);
    cl_person bare = th_person("Robert", "Jones", "", 0, "");
    double w_bare = cl_match_score(NULL, &a, &bare);
    assert_true(w_bare < w_same && w_bare > 0);
}

/* The date of birth's level, as cl_match_levels gives it. */
static int s_dob_level(const char *a, const char *b)
{
    cl_person x = th_person("Harper", "Smith", a, 0, "");
    cl_person y = th_person("Harper", "Smith", b, 0, "");
    int lv[CL_MATCH_NFIELDS];
    (void)cl_match_levels(NULL, &x, &y, lv);
    return lv[2];
}

/* A mother and the daughter of her name born on one day of the year a
 * generation apart are a generation apart, not one part of one date
 * wrong: the no-bridge rule and the weights then keep them apart. A
 * mistyped year is one digit, or two neighbours swapped. */
static void test_dob_levels(void **state)
{
    (void)state;
    assert_int_equal(s_dob_level("1964-07-01", "1988-07-01"),
                     CL_W_DOB_GENERATION);
    assert_int_equal(s_dob_level("1964-07-01", "1970-07-01"),
                     CL_W_DOB_ONE_PART);
    assert_int_equal(s_dob_level("1964-07-01", "1964-07-15"),
                     CL_W_DOB_ONE_PART);
    assert_int_equal(s_dob_level("1964-07-01", "1968-07-01"), CL_W_DOB_TYPO);
    assert_int_equal(s_dob_level("1964-07-01", "1946-07-01"), CL_W_DOB_TYPO);
    assert_int_equal(s_dob_level("1964-07-01", "1964-01-07"), CL_W_DOB_SWAPPED);
    assert_int_equal(s_dob_level("1964-07-01", "1991-03-12"),
                     CL_W_DOB_GENERATION);
    assert_int_equal(s_dob_level("1964-07-01", "1966-03-12"),
                     CL_W_DOB_DIFFERENT);
}

/* The name fields' levels (family, given), as cl_match_levels gives
 * them. */
static void s_name_levels(const char *ga, const char *fa, const char *gb,
                          const char *fb, int *family, int *given)
{
    cl_person x = th_person(ga, fa, "", 0, "");
    cl_person y = th_person(gb, fb, "", 0, "");
    int lv[CL_MATCH_NFIELDS];
    (void)cl_match_levels(NULL, &x, &y, lv);
    *family = lv[0];
    *given = lv[1];
}

/* One keystroke (a letter changed, added, dropped, or two neighbours
 * swapped) that Jaro-Winkler does not call close: in a given name of four
 * letters or more ("jarod"/"jatod", "emma"/"emmk", but also "mark"/"mary")
 * it is given.typo; in a family name under six letters that sounds
 * different after it ("frew"/"freq", "hope"/"hopd"; "smith"/"smyth" and
 * "hall"/"hill" share a Soundex code and stay at that level) it is
 * family.typo. Each is a level of its own whose weight training learns,
 * and a given name one keystroke from another in one family is the
 * family pattern (Mark and Mary Smith at one address). */
static void test_one_keystroke_levels(void **state)
{
    (void)state;
    int f, g;
    s_name_levels("Jarod", "Mccarthy", "Jatod", "Mccarthy", &f, &g);
    assert_int_equal(g, CL_W_GIVEN_TYPO);
    s_name_levels("Emma", "Louca", "Emmk", "Louca", &f, &g);
    assert_int_equal(g, CL_W_GIVEN_TYPO);
    s_name_levels("Alfie", "Williams", "Flfie", "Williams", &f, &g);
    assert_int_equal(g, CL_W_GIVEN_TYPO);
    /* close by Jaro-Winkler stays close */
    s_name_levels("Gabriel", "Moulton", "Gabrniel", "Moulton", &f, &g);
    assert_int_equal(g, CL_W_GIVEN_CLOSE);
    /* two keystrokes, or a short name: still different */
    s_name_levels("Ella", "Louca", "Emma", "Louca", &f, &g);
    assert_int_equal(g, CL_W_GIVEN_DIFFERENT);
    s_name_levels("Amy", "Louca", "Ada", "Louca", &f, &g);
    assert_int_equal(g, CL_W_GIVEN_DIFFERENT);
    s_name_levels("Kiara", "Everett", "Kieran", "Everett", &f, &g);
    assert_int_equal(g, CL_W_GIVEN_DIFFERENT);
    /* family names */
    s_name_levels("Riley", "Frew", "Riley", "Freq", &f, &g);
    assert_int_equal(f, CL_W_FAMILY_TYPO);
    s_name_levels("Zachary", "Hope", "Zachary", "Hopd", &f, &g);
    assert_int_equal(f, CL_W_FAMILY_TYPO);
    s_name_levels("Ann", "Hall", "Ann", "Hill", &f, &g);
    assert_int_equal(f, CL_W_FAMILY_SOUNDEX);
    s_name_levels("Ann", "Crouch", "Ann", "Crluch", &f, &g);
    assert_int_equal(f, CL_W_FAMILY_CLOSE);
    s_name_levels("Ann", "Lee", "Ann", "Lea", &f, &g);
    assert_int_equal(f, CL_W_FAMILY_SOUNDEX);
    s_name_levels("Ann", "Webb", "Ann", "Wood", &f, &g);
    assert_int_equal(f, CL_W_FAMILY_DIFFERENT);
    /* each typo level weighs less than close and more than different */
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    static const cl_weight_id lv3[2][3] = {
        {CL_W_FAMILY_CLOSE, CL_W_FAMILY_TYPO, CL_W_FAMILY_DIFFERENT},
        {CL_W_GIVEN_CLOSE, CL_W_GIVEN_TYPO, CL_W_GIVEN_DIFFERENT}};
    for (int i = 0; i < 2; i++) {
        double typo = cl_match_level_weight(&mc, lv3[i][1]);
        assert_true(typo < cl_match_level_weight(&mc, lv3[i][0]));
        assert_true(typo > cl_match_level_weight(&mc, lv3[i][2]));
    }
    assert_string_equal(cl_match_weight_name(CL_W_FAMILY_TYPO), "family.typo");
    assert_string_equal(cl_match_weight_name(CL_W_GIVEN_TYPO), "given.typo");
    /* a family typo agrees (the family pattern applies to other given
     * names); a given typo in one family is that pattern: Mark and Mary
     * Smith at one address count their home once */
    int lv[CL_MATCH_NFIELDS];
    cl_person x = th_person("Ann", "Frew", "1980-01-02", 0, "LS1 4AB");
    cl_person y = th_person("Beth", "Freq", "2010-05-06", 0, "LS1 4AB");
    (void)cl_match_levels(NULL, &x, &y, lv);
    assert_true(cl_match_kin(lv));
    cl_person mark = th_person("Mark", "Smith", "", 0, "LS3 1XE");
    cl_person mary = th_person("Mary", "Smith", "", 0, "LS3 1XE");
    CL_COPY(mark.address, "188 Mill Street");
    CL_COPY(mary.address, "188 Mill Street");
    (void)cl_match_levels(NULL, &mark, &mary, lv);
    assert_int_equal(lv[1], CL_W_GIVEN_TYPO);
    assert_true(cl_match_kin(lv));
    cl_field_weight out[CL_MATCH_FIELDS];
    uint32_t n = 0;
    (void)cl_match_explain(&mc, &mark, &mary, NULL, out, &n);
    bool household = false;
    for (uint32_t i = 0; i < n; i++)
        household |= strcmp(out[i].field, "household") == 0;
    assert_true(household);
}

/* Names past 64 letters (the matcher keeps its matched letters as bits,
 * two words of them): the same values as the textbook algorithm gives,
 * transpositions and a change on either side of the 64th letter. */
static void test_jaro_winkler_long(void **state)
{
    (void)state;
    static const char al[] = "abcdefghijklmnopqrstuvwxyz";
    char a[CL_NAME_SZ], b[CL_NAME_SZ], c[CL_NAME_SZ], d[CL_NAME_SZ];
    for (int i = 0; i < 90; i++)
        a[i] = al[(i * 7) % 26];
    a[90] = '\0';
    for (int i = 0; i < 100; i++)
        c[i] = al[(i * 5 + 3) % 26];
    c[100] = '\0';
    memcpy(b, a, sizeof(b));
    b[70] = a[71];
    b[71] = a[70];
    b[85] = 'q';
    memcpy(d, c, sizeof(d));
    d[99] = '\0';
    d[63] = 'z';
    d[64] = 'a';
    assert_true(fabs(cl_match_jaro_winkler(a, b) - 0.99330836454431959) <
                1e-12);
    assert_true(fabs(cl_match_jaro_winkler(a, c) - 0.78592592592592592) <
                1e-12);
    assert_true(fabs(cl_match_jaro_winkler(c, d) - 0.9796503176090805) < 1e-12);
}

/* Twins who do not live together (one twin's record without an address,
 * one in foster care in another town) share a family name and a date
 * of birth, their given names apart: under the weights a store of
 * households trains (dob.exact as rare as chance, household.dob as often
 * as twins: the outside review's store, 1,500 synthetic people) they are
 * two people, the date weighing household.dob wherever each lives; a
 * typo in one person's name there is queued, not linked, and the same
 * person with a given name the same still links. */
static void test_twins_apart(void **state)
{
    (void)state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    assert_true(cl_match_weight_set(&mc, "dob.exact", 0.84, 0.000040));
    assert_true(cl_match_weight_set(&mc, "household.dob", 0.84, 0.006684));
    mc.upper = 14.42;
    cl_person jack = th_person("Jack", "Fernsby", "2015-03-02", 1, "WF10 4LT");
    CL_COPY(jack.town, "Castleford");
    cl_person harry = th_person("Harry", "Fernsby", "2015-03-02", 1, "");
    cl_person foster =
        th_person("Harry", "Fernsby", "2015-03-02", 1, "LS9 8AB");
    CL_COPY(foster.town, "Leeds");
    cl_person mary = th_person("Mary", "Fernsby", "2015-03-02", 2, "");
    cl_person mark = th_person("Mark", "Fernsby", "2015-03-02", 1, "");
    const cl_person *apart[][2] = {
        {&jack, &harry}, {&jack, &foster}, {&mark, &mary}};
    for (size_t i = 0; i < sizeof(apart) / sizeof(*apart); i++) {
        cl_field_weight fw[CL_MATCH_NFIELDS + 4];
        uint32_t n = 0;
        int lv[CL_MATCH_NFIELDS];
        double w =
            cl_match_weigh(&mc, apart[i][0], apart[i][1], NULL, fw, &n, lv);
        if (w >= mc.upper)
            fail_msg("twins %s and %s apart weigh %.2f, over the upper "
                     "threshold %.2f",
                     apart[i][0]->given, apart[i][1]->given, w, mc.upper);
    }
    cl_person again = th_person("Jack", "Fernsby", "2015-03-02", 1, "");
    assert_true(cl_match_score(&mc, &jack, &again) >= mc.upper);
}

/* A place's weight: the level's own until the others' records (not of
 * the family concerned) pass a home's worth (16), then a bit less for
 * each doubling of them, never below 0. */
static void test_place_weight(void **state)
{
    (void)state;
    double full = log2(0.65 / 0.0003);
    assert_true(cl_match_place_weight(0.65, 0.0003, 1, 0) == full);
    assert_true(cl_match_place_weight(0.65, 0.0003, 16, 0) == full);
    /* a family's 500 records at its home, 10 others */
    assert_true(cl_match_place_weight(0.65, 0.0003, 510, 500) == full);
    assert_true(fabs(cl_match_place_weight(0.65, 0.0003, 34, 2) - (full - 1)) <
                1e-9);
    assert_true(
        fabs(cl_match_place_weight(0.65, 0.0003, 1024, 0) - (full - 6)) < 1e-9);
    /* a level weighing little already: at most down to nothing */
    assert_true(cl_match_place_weight(0.5, 0.05, 1024, 0) == 0);
}

/* A partial agreement never outweighs the exact one of its field, even
 * where learned weights would put it above: "chris" and "christopher"
 * count for no more than "christopher" twice. */
static void test_partial_never_outweighs_exact(void **state)
{
    (void)state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    /* as a store of few prefixes among random pairs could train them */
    assert_true(cl_match_weight_set(&mc, "given.prefix", 0.5, 0.0001));
    assert_true(cl_match_weight_set(&mc, "postcode.sector", 0.5, 0.00001));
    assert_true(log2(0.5 / 0.0001) >
                cl_match_level_weight(&mc, CL_W_GIVEN_EXACT));
    assert_true(fabs(cl_match_level_weight(&mc, CL_W_GIVEN_PREFIX) -
                     cl_match_level_weight(&mc, CL_W_GIVEN_EXACT)) < 1e-9);
    assert_true(fabs(cl_match_level_weight(&mc, CL_W_POSTCODE_SECTOR) -
                     cl_match_level_weight(&mc, CL_W_POSTCODE_UNIT)) < 1e-9);
    cl_person a;
    memset(&a, 0, sizeof(a));
    CL_COPY(a.given, "Zebedee");
    CL_COPY(a.family, "Featherstone");
    CL_COPY(a.dob, "1979-11-23");
    cl_person b = a;
    CL_COPY(b.given, "Ze");
    cl_field_weight fw[CL_MATCH_FIELDS];
    uint32_t n = 0;
    double w = cl_match_explain(&mc, &a, &b, NULL, fw, &n);
    bool prefix = false;
    for (uint32_t i = 0; i < n; i++)
        prefix |= !strcmp(fw[i].field, "given names") &&
                  !strcmp(fw[i].level, "prefix");
    assert_true(prefix);
    assert_true(w <= cl_match_score(&mc, &a, &a) + 1e-9);
    /* below its ceiling a level keeps its own weight */
    assert_true(cl_match_weight_set(&mc, "given.prefix", 0.02, 0.003));
    assert_true(fabs(cl_match_level_weight(&mc, CL_W_GIVEN_PREFIX) -
                     log2(0.02 / 0.003)) < 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jaro_winkler),
        cmocka_unit_test(test_jaro_winkler_long),
        cmocka_unit_test(test_soundex),
        cmocka_unit_test(test_nicknames),
        cmocka_unit_test(test_score_levels),
        cmocka_unit_test(test_dob_levels),
        cmocka_unit_test(test_one_keystroke_levels),
        cmocka_unit_test(test_twins_apart),
        cmocka_unit_test(test_place_weight),
        cmocka_unit_test(test_partial_never_outweighs_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
