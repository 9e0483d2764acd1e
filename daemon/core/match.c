/*
 * match: comparison functions and the Fellegi-Sunter weight of two person
 * descriptions. Pure functions over caller-owned strings; no store access.
 *
 * Each field compares at a few levels (exact, close, partial, disagree);
 * each level has m (probability of that level when the records are the same
 * person) and u (when they are not). The weight of a level is log2(m/u).
 * A field missing on either side adds nothing.
 */
#include "core.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lower-case letters only, for name comparison. */
static void s_fold(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalpha(c))
            out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
}

/* First word (up to space or hyphen), folded. */
static void s_first_word(const char *s, char *out, size_t cap)
{
    char tmp[CL_NAME_SZ];
    size_t n = 0;
    while (*s == ' ')
        s++;
    while (*s && *s != ' ' && *s != '-' && n + 1 < sizeof(tmp))
        tmp[n++] = *s++;
    tmp[n] = '\0';
    s_fold(tmp, out, cap);
}

double cl_match_jaro_winkler(const char *a0, const char *b0)
{
    char a[CL_NAME_SZ], b[CL_NAME_SZ];
    s_fold(a0, a, sizeof(a));
    s_fold(b0, b, sizeof(b));
    size_t la = strlen(a), lb = strlen(b);
    if (la == 0 || lb == 0)
        return 0.0;
    if (strcmp(a, b) == 0)
        return 1.0;
    size_t range = (la > lb ? la : lb) / 2;
    range = range > 0 ? range - 1 : 0;
    bool ma[CL_NAME_SZ] = {false}, mb[CL_NAME_SZ] = {false};
    size_t m = 0;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > range ? i - range : 0;
        size_t hi = i + range + 1 < lb ? i + range + 1 : lb;
        for (size_t j = lo; j < hi; j++) {
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = true;
                m++;
                break;
            }
        }
    }
    if (m == 0)
        return 0.0;
    size_t t = 0, k = 0;
    for (size_t i = 0; i < la; i++) {
        if (!ma[i])
            continue;
        while (!mb[k])
            k++;
        if (a[i] != b[k])
            t++;
        k++;
    }
    double md = (double)m;
    double jaro =
        (md / (double)la + md / (double)lb + (md - (double)t / 2.0) / md) / 3.0;
    size_t prefix = 0;
    while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
        prefix++;
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

void cl_match_soundex(const char *s, char out[5])
{
    static const char codes[] = "01230120022455012623010202";
    char w[CL_NAME_SZ];
    s_first_word(s, w, sizeof(w));
    out[0] = '\0';
    if (!w[0])
        return;
    out[0] = (char)toupper((unsigned char)w[0]);
    char last = codes[w[0] - 'a'];
    int n = 1;
    for (size_t i = 1; w[i] && n < 4; i++) {
        char c = codes[w[i] - 'a'];
        if (c != '0' && c != last)
            out[n++] = c;
        if (w[i] != 'h' && w[i] != 'w')
            last = c;
    }
    while (n < 4)
        out[n++] = '0';
    out[4] = '\0';
}

/* Nickname -> usual full form. Both sides are folded before look-up. */
static const char *const s_nicknames[][2] = {
    {"abby", "abigail"},        {"alex", "alexander"},  {"andy", "andrew"},
    {"becky", "rebecca"},       {"ben", "benjamin"},    {"beth", "elizabeth"},
    {"betty", "elizabeth"},     {"bill", "william"},    {"billy", "william"},
    {"bob", "robert"},          {"bobby", "robert"},    {"charlie", "charles"},
    {"chris", "christopher"},   {"dan", "daniel"},      {"danny", "daniel"},
    {"dave", "david"},          {"debbie", "deborah"},  {"dick", "richard"},
    {"don", "donald"},          {"ed", "edward"},       {"eddie", "edward"},
    {"ellie", "eleanor"},       {"fred", "frederick"},  {"greg", "gregory"},
    {"harry", "henry"},         {"jack", "john"},       {"jim", "james"},
    {"jimmy", "james"},         {"jess", "jessica"},    {"jenny", "jennifer"},
    {"jo", "joanne"},           {"joe", "joseph"},      {"jon", "jonathan"},
    {"kate", "katherine"},      {"katie", "katherine"}, {"kathy", "katherine"},
    {"catherine", "katherine"}, {"liz", "elizabeth"},   {"lizzie", "elizabeth"},
    {"liam", "william"},        {"maggie", "margaret"}, {"mandy", "amanda"},
    {"matt", "matthew"},        {"meg", "margaret"},    {"mike", "michael"},
    {"mick", "michael"},        {"nick", "nicholas"},   {"nicky", "nicola"},
    {"pat", "patricia"},        {"peggy", "margaret"},  {"phil", "philip"},
    {"ray", "raymond"},         {"rick", "richard"},    {"rob", "robert"},
    {"ron", "ronald"},          {"sam", "samuel"},      {"steve", "stephen"},
    {"steven", "stephen"},      {"sue", "susan"},       {"ted", "edward"},
    {"terry", "terence"},       {"tim", "timothy"},     {"tom", "thomas"},
    {"tommy", "thomas"},        {"tony", "anthony"},    {"vicky", "victoria"},
    {"will", "william"},
};

void cl_match_canonical_given(const char *s, char *out, size_t cap)
{
    s_first_word(s, out, cap);
    for (size_t i = 0; i < sizeof(s_nicknames) / sizeof(s_nicknames[0]); i++)
        if (strcmp(out, s_nicknames[i][0]) == 0) {
            cl_copy(out, cap, s_nicknames[i][1]);
            return;
        }
}

static double s_w(double m, double u)
{
    return log2(m / u);
}

static double s_family(const char *a, const char *b, const char **level)
{
    char fa[CL_NAME_SZ], fb[CL_NAME_SZ], sa[5], sb[5];
    s_fold(a, fa, sizeof(fa));
    s_fold(b, fb, sizeof(fb));
    *level = "exact";
    if (strcmp(fa, fb) == 0)
        return s_w(0.90, 0.002);
    *level = "part of the other";
    /* Double-barrelled: one side's name is a part of the other's. */
    if ((strlen(fb) >= 3 && strstr(fa, fb)) ||
        (strlen(fa) >= 3 && strstr(fb, fa)))
        return s_w(0.03, 0.001);
    double jw = cl_match_jaro_winkler(a, b);
    *level = "close spelling";
    if (jw >= 0.92)
        return s_w(0.04, 0.002);
    cl_match_soundex(a, sa);
    cl_match_soundex(b, sb);
    *level = "sounds alike";
    if (strcmp(sa, sb) == 0)
        return s_w(0.01, 0.005);
    *level = "different";
    return s_w(0.02, 0.991);
}

/* Returns the weight; *plain_disagree when the names are unrelated. */
static double s_given(const char *a, const char *b, bool *plain_disagree,
                      const char **level)
{
    char ca[CL_NAME_SZ], cb[CL_NAME_SZ], fa[CL_NAME_SZ], fb[CL_NAME_SZ];
    *plain_disagree = false;
    s_fold(a, fa, sizeof(fa));
    s_fold(b, fb, sizeof(fb));
    *level = "exact";
    if (strcmp(fa, fb) == 0)
        return s_w(0.85, 0.004);
    cl_match_canonical_given(a, ca, sizeof(ca));
    cl_match_canonical_given(b, cb, sizeof(cb));
    *level = "nickname or first name";
    if (strcmp(ca, cb) == 0)
        return s_w(0.08, 0.002);
    *level = "close spelling";
    if (cl_match_jaro_winkler(ca, cb) >= 0.90)
        return s_w(0.04, 0.003);
    *level = "initial";
    if (ca[0] && cb[0] && (strlen(ca) == 1 || strlen(cb) == 1) &&
        ca[0] == cb[0])
        return s_w(0.02, 0.05);
    *plain_disagree = true;
    *level = "different";
    return s_w(0.01, 0.941);
}

/* Returns the weight; *plain_disagree when the dates share at most one
 * part and are not a day/month swap. */
static double s_dob(const char *a, const char *b, bool *plain_disagree,
                    const char **level)
{
    *plain_disagree = false;
    *level = "exact";
    if (strcmp(a, b) == 0)
        return s_w(0.92, 0.00004);
    *level = "day and month swapped";
    /* YYYY-MM-DD: swapped day and month */
    if (memcmp(a, b, 4) == 0 && memcmp(a + 5, b + 8, 2) == 0 &&
        memcmp(a + 8, b + 5, 2) == 0)
        return s_w(0.02, 0.00004);
    int same = (memcmp(a, b, 4) == 0) + (memcmp(a + 5, b + 5, 2) == 0) +
               (memcmp(a + 8, b + 8, 2) == 0);
    *level = "one part different";
    if (same == 2)
        return s_w(0.04, 0.0015);
    *level = "different";
    *plain_disagree = true;
    return s_w(0.02, 0.9985);
}

/* Postcodes are normalised "OUT IN". Unit, sector, district. */
static double s_postcode(const char *a, const char *b, const char **level)
{
    *level = "same unit";
    if (strcmp(a, b) == 0)
        return s_w(0.65, 0.0003);
    const char *sa = strchr(a, ' '), *sb = strchr(b, ' ');
    *level = "different";
    if (!sa || !sb) /* not UK: exact only */
        return s_w(0.30, 0.97);
    size_t oa = (size_t)(sa - a), ob = (size_t)(sb - b);
    if (oa == ob && memcmp(a, b, oa) == 0) {
        *level = "same sector";
        if (sa[1] == sb[1])
            return s_w(0.08, 0.004);
        *level = "same district";
        return s_w(0.05, 0.03);
    }
    return s_w(0.22, 0.966);
}

static void s_add(cl_field_weight *out, uint32_t *n, const char *field,
                  const char *level, double w)
{
    if (!out || *n >= CL_MATCH_FIELDS)
        return;
    cl_copy(out[*n].field, sizeof(out[*n].field), field);
    cl_copy(out[*n].level, sizeof(out[*n].level), level);
    out[*n].weight = w;
    (*n)++;
}

double cl_match_explain(const cl_person *a, const cl_person *b, bool *veto,
                        cl_field_weight *out, uint32_t *n_out)
{
    double w = 0.0, f;
    bool disagree = false;
    const char *level = "";
    uint32_t n = 0;
    *veto = false;
    if (a->family[0] && b->family[0]) {
        w += f = s_family(a->family, b->family, &level);
        s_add(out, &n, "family name", level, f);
    }
    if (a->given[0] && b->given[0]) {
        w += f = s_given(a->given, b->given, &disagree, &level);
        *veto = disagree;
        s_add(out, &n, "given names", level, f);
    }
    if (a->dob[0] && b->dob[0]) {
        /* parent and child often share names and an address; plainly
         * different dates of birth are different people */
        bool dob_disagree;
        w += f = s_dob(a->dob, b->dob, &dob_disagree, &level);
        *veto = *veto || dob_disagree;
        s_add(out, &n, "date of birth", level, f);
    }
    if (a->sex && b->sex) {
        w += f = a->sex == b->sex ? s_w(0.97, 0.5) : s_w(0.03, 0.5);
        s_add(out, &n, "sex", a->sex == b->sex ? "same" : "different", f);
    }
    if (a->postcode[0] && b->postcode[0]) {
        w += f = s_postcode(a->postcode, b->postcode, &level);
        s_add(out, &n, "postcode", level, f);
    }
    if (a->uprn[0] && b->uprn[0]) {
        bool same = strcmp(a->uprn, b->uprn) == 0;
        w += f = same ? s_w(0.6, 0.0002) : s_w(0.4, 0.9998);
        s_add(out, &n, "UPRN", same ? "same" : "different", f);
    }
    if (n_out)
        *n_out = n;
    return w;
}

double cl_match_score(const cl_person *a, const cl_person *b, bool *veto)
{
    return cl_match_explain(a, b, veto, NULL, NULL);
}
