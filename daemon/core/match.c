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

/* Defaults, chosen for UK agency extracts and tuned on the synthetic
 * population in tests/synth.c: m is how often the level is seen when two
 * records are one person, u how often when they are two. */
static const struct {
    const char *name;
    double m, u;
} s_levels[CL_W_COUNT] = {
    [CL_W_FAMILY_EXACT] = {"family.exact", 0.90, 0.002},
    [CL_W_FAMILY_PART] = {"family.part", 0.03, 0.001},
    [CL_W_FAMILY_CLOSE] = {"family.close", 0.04, 0.002},
    [CL_W_FAMILY_SOUNDEX] = {"family.soundex", 0.01, 0.005},
    [CL_W_FAMILY_DIFFERENT] = {"family.different", 0.02, 0.991},
    [CL_W_GIVEN_EXACT] = {"given.exact", 0.85, 0.004},
    [CL_W_GIVEN_NICKNAME] = {"given.nickname", 0.08, 0.002},
    [CL_W_GIVEN_CLOSE] = {"given.close", 0.04, 0.003},
    [CL_W_GIVEN_INITIAL] = {"given.initial", 0.02, 0.05},
    [CL_W_GIVEN_DIFFERENT] = {"given.different", 0.01, 0.941},
    [CL_W_NAMES_SWAPPED] = {"names.swapped", 0.005, 0.00002},
    [CL_W_DOB_EXACT] = {"dob.exact", 0.92, 0.00004},
    [CL_W_DOB_SWAPPED] = {"dob.swapped", 0.02, 0.00004},
    [CL_W_DOB_ONE_PART] = {"dob.one_part", 0.04, 0.0015},
    [CL_W_DOB_DIFFERENT] = {"dob.different", 0.02, 0.9985},
    [CL_W_SEX_SAME] = {"sex.same", 0.97, 0.5},
    [CL_W_SEX_DIFFERENT] = {"sex.different", 0.03, 0.5},
    [CL_W_POSTCODE_UNIT] = {"postcode.unit", 0.65, 0.0003},
    [CL_W_POSTCODE_SECTOR] = {"postcode.sector", 0.08, 0.004},
    [CL_W_POSTCODE_DISTRICT] = {"postcode.district", 0.05, 0.03},
    [CL_W_POSTCODE_DIFFERENT] = {"postcode.different", 0.22, 0.966},
    [CL_W_ADDRESS_SAME] = {"address.same", 0.55, 0.002},
    [CL_W_ADDRESS_DIFFERENT] = {"address.different", 0.45, 0.998},
    [CL_W_TOWN_SAME] = {"town.same", 0.85, 0.2},
    [CL_W_TOWN_DIFFERENT] = {"town.different", 0.15, 0.8},
    [CL_W_UPRN_SAME] = {"uprn.same", 0.6, 0.0002},
    [CL_W_UPRN_DIFFERENT] = {"uprn.different", 0.4, 0.9998},
};

void cl_match_config_defaults(cl_match_config *mc)
{
    mc->upper = CL_MATCH_UPPER_DEFAULT;
    mc->lower = CL_MATCH_LOWER_DEFAULT;
    mc->prior = CL_MATCH_PRIOR_DEFAULT;
    for (int i = 0; i < CL_W_COUNT; i++) {
        mc->m[i] = s_levels[i].m;
        mc->u[i] = s_levels[i].u;
    }
}

double cl_match_probability(const cl_match_config *mc, double w)
{
    double prior = mc && mc->prior > 0 && mc->prior < 1
                       ? mc->prior
                       : CL_MATCH_PRIOR_DEFAULT;
    return 1.0 / (1.0 + exp2(-(w + log2(prior / (1.0 - prior)))));
}

bool cl_match_weight_set(cl_match_config *mc, const char *name, double m,
                         double u)
{
    if (!(m > 0 && m < 1 && u > 0 && u < 1))
        return false;
    for (int i = 0; i < CL_W_COUNT; i++)
        if (strcmp(s_levels[i].name, name) == 0) {
            mc->m[i] = m;
            mc->u[i] = u;
            return true;
        }
    return false;
}

const char *cl_match_weight_name(cl_weight_id id)
{
    return (unsigned)id < CL_W_COUNT ? s_levels[id].name : "?";
}

/* Weight of level id. A zero m or u (a config struct not set up with
 * cl_match_config_defaults) falls back to the default. */
static double s_w(const cl_match_config *mc, cl_weight_id id)
{
    double m = mc && mc->m[id] > 0 ? mc->m[id] : s_levels[id].m;
    double u = mc && mc->u[id] > 0 ? mc->u[id] : s_levels[id].u;
    return log2(m / u);
}

static cl_weight_id s_family(const char *a, const char *b)
{
    char fa[CL_NAME_SZ], fb[CL_NAME_SZ], sa[5], sb[5];
    s_fold(a, fa, sizeof(fa));
    s_fold(b, fb, sizeof(fb));
    if (strcmp(fa, fb) == 0)
        return CL_W_FAMILY_EXACT;
    /* Double-barrelled: one side's name is a part of the other's. */
    if ((strlen(fb) >= 3 && strstr(fa, fb)) ||
        (strlen(fa) >= 3 && strstr(fb, fa)))
        return CL_W_FAMILY_PART;
    if (cl_match_jaro_winkler(a, b) >= 0.92)
        return CL_W_FAMILY_CLOSE;
    cl_match_soundex(a, sa);
    cl_match_soundex(b, sb);
    if (strcmp(sa, sb) == 0)
        return CL_W_FAMILY_SOUNDEX;
    return CL_W_FAMILY_DIFFERENT;
}

static cl_weight_id s_given(const char *a, const char *b)
{
    char ca[CL_NAME_SZ], cb[CL_NAME_SZ], fa[CL_NAME_SZ], fb[CL_NAME_SZ];
    s_fold(a, fa, sizeof(fa));
    s_fold(b, fb, sizeof(fb));
    if (strcmp(fa, fb) == 0)
        return CL_W_GIVEN_EXACT;
    cl_match_canonical_given(a, ca, sizeof(ca));
    cl_match_canonical_given(b, cb, sizeof(cb));
    if (strcmp(ca, cb) == 0)
        return CL_W_GIVEN_NICKNAME;
    if (cl_match_jaro_winkler(ca, cb) >= 0.90)
        return CL_W_GIVEN_CLOSE;
    if (ca[0] && cb[0] && (strlen(ca) == 1 || strlen(cb) == 1) &&
        ca[0] == cb[0])
        return CL_W_GIVEN_INITIAL;
    return CL_W_GIVEN_DIFFERENT;
}

static cl_weight_id s_dob(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return CL_W_DOB_EXACT;
    /* YYYY-MM-DD: swapped day and month */
    if (memcmp(a, b, 4) == 0 && memcmp(a + 5, b + 8, 2) == 0 &&
        memcmp(a + 8, b + 5, 2) == 0)
        return CL_W_DOB_SWAPPED;
    int same = (memcmp(a, b, 4) == 0) + (memcmp(a + 5, b + 5, 2) == 0) +
               (memcmp(a + 8, b + 8, 2) == 0);
    return same == 2 ? CL_W_DOB_ONE_PART : CL_W_DOB_DIFFERENT;
}

/* Postcodes are normalised "OUT IN". Unit, sector, district. */
static cl_weight_id s_postcode(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return CL_W_POSTCODE_UNIT;
    const char *sa = strchr(a, ' '), *sb = strchr(b, ' ');
    if (!sa || !sb) /* not UK: exact only */
        return CL_W_POSTCODE_DIFFERENT;
    size_t oa = (size_t)(sa - a), ob = (size_t)(sb - b);
    if (oa == ob && memcmp(a, b, oa) == 0)
        return sa[1] == sb[1] ? CL_W_POSTCODE_SECTOR : CL_W_POSTCODE_DISTRICT;
    return CL_W_POSTCODE_DIFFERENT;
}

/* Address tokens, lower case, common abbreviations expanded. */
#define S_TOKENS 12
static size_t s_tokens(const char *s, char out[S_TOKENS][32])
{
    static const char *const abbrev[][2] = {
        {"rd", "road"},     {"st", "street"},     {"ave", "avenue"},
        {"av", "avenue"},   {"ln", "lane"},       {"cl", "close"},
        {"dr", "drive"},    {"cres", "crescent"}, {"ct", "court"},
        {"pl", "place"},    {"gdns", "gardens"},  {"sq", "square"},
        {"tce", "terrace"}, {"gr", "grove"},      {"hse", "house"},
        {"flt", "flat"}};
    size_t n = 0;
    while (*s && n < S_TOKENS) {
        while (*s && !isalnum((unsigned char)*s))
            s++;
        size_t k = 0;
        while (*s && isalnum((unsigned char)*s) && k < 31)
            out[n][k++] = (char)tolower((unsigned char)*s++);
        while (*s && isalnum((unsigned char)*s))
            s++;
        if (!k)
            break;
        out[n][k] = '\0';
        for (size_t i = 0; i < sizeof(abbrev) / sizeof(abbrev[0]); i++)
            if (!strcmp(out[n], abbrev[i][0]))
                cl_copy(out[n], 32, abbrev[i][1]);
        n++;
    }
    return n;
}

/* Same house number and most street words alike (typos allowed). */
static cl_weight_id s_address(const char *a, const char *b)
{
    char ta[S_TOKENS][32], tb[S_TOKENS][32];
    size_t na = s_tokens(a, ta), nb = s_tokens(b, tb), hit = 0;
    if (!na || !nb)
        return CL_W_ADDRESS_DIFFERENT;
    for (size_t i = 0; i < na; i++) {
        bool num = isdigit((unsigned char)ta[i][0]);
        for (size_t j = 0; j < nb; j++) {
            bool same = num ? strcmp(ta[i], tb[j]) == 0
                            : cl_match_jaro_winkler(ta[i], tb[j]) >= 0.9;
            if (same) {
                hit++;
                break;
            }
        }
        if (num && hit < i + 1)
            return CL_W_ADDRESS_DIFFERENT; /* another house number */
    }
    size_t most = na > nb ? na : nb;
    return hit * 4 >= most * 3 ? CL_W_ADDRESS_SAME : CL_W_ADDRESS_DIFFERENT;
}

static void s_add(const cl_match_config *mc, cl_field_weight *out, uint32_t *n,
                  const char *field, cl_weight_id id, double *w)
{
    double f = s_w(mc, id);
    *w += f;
    if (!out || *n >= CL_MATCH_FIELDS)
        return;
    const char *name = s_levels[id].name, *dot = strchr(name, '.');
    cl_copy(out[*n].field, sizeof(out[*n].field), field);
    cl_copy(out[*n].level, sizeof(out[*n].level), dot ? dot + 1 : name);
    out[*n].weight = f;
    (*n)++;
}

double cl_match_explain(const cl_match_config *mc, const cl_person *a,
                        const cl_person *b, bool *veto, cl_field_weight *out,
                        uint32_t *n_out)
{
    double w = 0.0;
    uint32_t n = 0;
    char af[CL_NAME_SZ], ag[CL_NAME_SZ], bf[CL_NAME_SZ], bg[CL_NAME_SZ];
    *veto = false;
    s_fold(a->family, af, sizeof(af));
    s_fold(a->given, ag, sizeof(ag));
    s_fold(b->family, bf, sizeof(bf));
    s_fold(b->given, bg, sizeof(bg));
    bool swapped = af[0] && ag[0] && strcmp(af, ag) != 0 &&
                   strcmp(af, bg) == 0 && strcmp(ag, bf) == 0;
    if (swapped) {
        /* given and family names entered the wrong way round */
        s_add(mc, out, &n, "names", CL_W_NAMES_SWAPPED, &w);
    } else {
        if (a->family[0] && b->family[0])
            s_add(mc, out, &n, "family name", s_family(a->family, b->family),
                  &w);
        if (a->given[0] && b->given[0]) {
            cl_weight_id g = s_given(a->given, b->given);
            *veto = g == CL_W_GIVEN_DIFFERENT;
            s_add(mc, out, &n, "given names", g, &w);
        }
    }
    if (a->dob[0] && b->dob[0]) {
        /* parent and child often share names and an address; plainly
         * different dates of birth are different people */
        cl_weight_id d = s_dob(a->dob, b->dob);
        *veto = *veto || d == CL_W_DOB_DIFFERENT;
        s_add(mc, out, &n, "date of birth", d, &w);
    }
    if (a->sex && b->sex)
        s_add(mc, out, &n, "sex",
              a->sex == b->sex ? CL_W_SEX_SAME : CL_W_SEX_DIFFERENT, &w);
    if (a->postcode[0] && b->postcode[0])
        s_add(mc, out, &n, "postcode", s_postcode(a->postcode, b->postcode),
              &w);
    if (a->uprn[0] && b->uprn[0]) {
        s_add(mc, out, &n, "UPRN",
              strcmp(a->uprn, b->uprn) == 0 ? CL_W_UPRN_SAME
                                            : CL_W_UPRN_DIFFERENT,
              &w);
    } else if (a->address[0] && b->address[0]) {
        /* the UPRN says it better when both have one */
        s_add(mc, out, &n, "address", s_address(a->address, b->address), &w);
    }
    if (a->town[0] && b->town[0]) {
        char ta[CL_TOWN_SZ], tb[CL_TOWN_SZ];
        s_fold(a->town, ta, sizeof(ta));
        s_fold(b->town, tb, sizeof(tb));
        s_add(mc, out, &n, "town",
              strcmp(ta, tb) == 0 ? CL_W_TOWN_SAME : CL_W_TOWN_DIFFERENT, &w);
    }
    if (n_out)
        *n_out = n;
    return w;
}

double cl_match_score(const cl_match_config *mc, const cl_person *a,
                      const cl_person *b, bool *veto)
{
    return cl_match_explain(mc, a, b, veto, NULL, NULL);
}
