/*
 * match: comparison functions and the Fellegi-Sunter weight of two person
 * descriptions. Pure functions over caller-owned strings; no store access.
 *
 * Each field compares at a few levels (exact, close, partial, disagree);
 * each level has m (probability of that level when the records are the same
 * person) and u (when they are not). The weight of a level is log2(m/u).
 * A field missing on either side adds nothing.
 */

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "match.h"

/* Lower-case letters only, for name comparison: A-Z and a-z, which is
 * what isalpha and tolower know in the C locale the daemon runs in (it
 * never calls setlocale), without a call per character. */
static void s_fold(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s | 0x20; /* A-Z to a-z */
        if (c >= 'a' && c <= 'z')
            out[n++] = (char)c;
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

/* Jaro-Winkler of two folded strings (each shorter than CL_NAME_SZ:
 * names, towns, address words). The characters matched are kept as bits,
 * 128 of them, so that nothing is cleared per call: a match compares
 * names and address words many times. */
static double s_jw(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == 0 || lb == 0)
        return 0.0;
    if (strcmp(a, b) == 0)
        return 1.0;
    la = la < 128 ? la : 128;
    lb = lb < 128 ? lb : 128;
    size_t range = (la > lb ? la : lb) / 2;
    range = range > 0 ? range - 1 : 0;
    uint64_t ma[2] = {0, 0}, mb[2] = {0, 0};
    size_t m = 0;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > range ? i - range : 0;
        size_t hi = i + range + 1 < lb ? i + range + 1 : lb;
        for (size_t j = lo; j < hi; j++) {
            if (!(mb[j / 64] >> (j % 64) & 1) && a[i] == b[j]) {
                ma[i / 64] |= UINT64_C(1) << (i % 64);
                mb[j / 64] |= UINT64_C(1) << (j % 64);
                m++;
                break;
            }
        }
    }
    if (m == 0)
        return 0.0;
    /* the matched characters in order on both sides */
    size_t t = 0;
    for (int wa = 0, wb = 0; wa < 2; wa++)
        for (; ma[wa]; ma[wa] &= ma[wa] - 1) {
            while (!mb[wb])
                wb++;
            t += a[wa * 64 + __builtin_ctzll(ma[wa])] !=
                 b[wb * 64 + __builtin_ctzll(mb[wb])];
            mb[wb] &= mb[wb] - 1;
        }
    double md = (double)m;
    double jaro =
        (md / (double)la + md / (double)lb + (md - (double)t / 2.0) / md) / 3.0;
    size_t prefix = 0;
    while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
        prefix++;
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

double cl_match_jaro_winkler(const char *a0, const char *b0)
{
    char a[CL_NAME_SZ], b[CL_NAME_SZ];
    s_fold(a0, a, sizeof(a));
    s_fold(b0, b, sizeof(b));
    return s_jw(a, b);
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

/* Nickname -> usual full form (nicknames.def). Both sides are folded
 * before look-up. */
static const char *const s_nicknames[][2] = {
#define CL_NICK(short_form, full) {short_form, full},
#include "nicknames.def"
#undef CL_NICK
};

#define S_NICKNAMES (sizeof(s_nicknames) / sizeof(s_nicknames[0]))

/* The nicknames' places in s_nicknames in the order of the names, sorted
 * once: a look-up is a binary search, not a pass over the table (every
 * description a match prepares looks its given name up), and the table
 * stays in whatever order it is written. */
static uint8_t s_nick_order[S_NICKNAMES];
static pthread_once_t s_nick_once = PTHREAD_ONCE_INIT;

static int s_nick_cmp(const void *a, const void *b)
{
    return strcmp(s_nicknames[*(const uint8_t *)a][0],
                  s_nicknames[*(const uint8_t *)b][0]);
}

static void s_nick_sort(void)
{
    _Static_assert(S_NICKNAMES <= 256, "s_nick_order holds bytes");
    for (size_t i = 0; i < S_NICKNAMES; i++)
        s_nick_order[i] = (uint8_t)i;
    qsort(s_nick_order, S_NICKNAMES, 1, s_nick_cmp);
}

void cl_match_canonical_given(const char *s, char *out, size_t cap)
{
    s_first_word(s, out, cap);
    if (!out[0])
        return;
    (void)pthread_once(&s_nick_once, s_nick_sort);
    size_t lo = 0, hi = S_NICKNAMES; /* to the first name not below out */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s_nicknames[s_nick_order[mid]][0], out) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* the first listed of equal nicknames, as a pass over the table
     * would find it */
    size_t best = S_NICKNAMES;
    for (;
         lo < S_NICKNAMES && strcmp(s_nicknames[s_nick_order[lo]][0], out) == 0;
         lo++)
        best = s_nick_order[lo] < best ? s_nick_order[lo] : best;
    if (best < S_NICKNAMES)
        cl_copy(out, cap, s_nicknames[best][1]);
}

/* Defaults, used until weights learned from the store's own records are
 * accepted (caselink link train, link weights --accept): m is how often
 * the level is seen when two records are one person, u how often when
 * they are two (u from the frequency of each value among random pairs of
 * UK records; m from the error rates agency extracts are known to have).
 * Each level belongs to one comparison (field); a field missing on either
 * side adds nothing. */
static const struct {
    const char *name;
    double m, u;
    int field;
} s_levels[CL_W_COUNT] = {
    [CL_W_FAMILY_EXACT] = {"family.exact", 0.88, 0.002, 0},
    [CL_W_FAMILY_PART] = {"family.part", 0.02, 0.001, 0},
    [CL_W_FAMILY_CLOSE] = {"family.close", 0.05, 0.002, 0},
    [CL_W_FAMILY_SOUNDEX] = {"family.soundex", 0.01, 0.005, 0},
    [CL_W_FAMILY_DIFFERENT] = {"family.different", 0.02, 0.99, 0},
    [CL_W_NAMES_SWAPPED] = {"names.swapped", 0.02, 0.00001, 0},
    [CL_W_GIVEN_EXACT] = {"given.exact", 0.84, 0.004, 1},
    [CL_W_GIVEN_NICKNAME] = {"given.nickname", 0.05, 0.002, 1},
    [CL_W_GIVEN_CLOSE] = {"given.close", 0.06, 0.004, 1},
    [CL_W_GIVEN_PREFIX] = {"given.prefix", 0.02, 0.003, 1},
    [CL_W_GIVEN_INITIAL] = {"given.initial", 0.02, 0.05, 1},
    [CL_W_GIVEN_DIFFERENT] = {"given.different", 0.01, 0.94, 1},
    [CL_W_DOB_EXACT] = {"dob.exact", 0.84, 0.00004, 2},
    [CL_W_DOB_SWAPPED] = {"dob.swapped", 0.01, 0.00004, 2},
    [CL_W_DOB_TYPO] = {"dob.typo", 0.07, 0.0008, 2},
    [CL_W_DOB_ONE_PART] = {"dob.one_part", 0.04, 0.004, 2},
    [CL_W_DOB_GENERATION] = {"dob.generation", 0.002, 0.6, 2},
    [CL_W_DOB_DIFFERENT] = {"dob.different", 0.038, 0.395, 2},
    [CL_W_SEX_SAME] = {"sex.same", 0.97, 0.5, 3},
    [CL_W_SEX_DIFFERENT] = {"sex.different", 0.03, 0.5, 3},
    [CL_W_POSTCODE_UNIT] = {"postcode.unit", 0.65, 0.0003, 4},
    [CL_W_POSTCODE_SECTOR] = {"postcode.sector", 0.08, 0.004, 4},
    [CL_W_POSTCODE_DISTRICT] = {"postcode.district", 0.05, 0.03, 4},
    [CL_W_POSTCODE_DIFFERENT] = {"postcode.different", 0.22, 0.966, 4},
    [CL_W_ADDRESS_SAME] = {"address.same", 0.55, 0.002, 5},
    [CL_W_ADDRESS_CLOSE] = {"address.close", 0.1, 0.0005, 5},
    [CL_W_ADDRESS_DIFFERENT] = {"address.different", 0.35, 0.9975, 5},
    [CL_W_UPRN_SAME] = {"uprn.same", 0.6, 0.0002, 6},
    [CL_W_UPRN_DIFFERENT] = {"uprn.different", 0.4, 0.9998, 6},
    [CL_W_TOWN_SAME] = {"town.same", 0.85, 0.2, 7},
    [CL_W_TOWN_CLOSE] = {"town.close", 0.04, 0.01, 7},
    [CL_W_TOWN_DIFFERENT] = {"town.different", 0.11, 0.79, 7},
    [CL_W_HOUSEHOLD_SHARED] = {"household.shared", 0.5, 0.05, 8},
    [CL_W_AGENCY_OTHER_RECORD] = {"agency.other_record", 0.05, 0.95, 8},
    /* used only when learned (cl_match_config.place_also) */
    [CL_W_PLACE_ALSO] = {"place.also", 0.9, 0.5, 8},
    /* a date of birth the same in the family pattern with a place
     * agreeing: u is how often two people of one home share one (twins),
     * learned by training; until then dob.exact's */
    [CL_W_HOUSEHOLD_DOB] = {"household.dob", 0.84, 0.00004, 8},
    /* one keystroke apart in a short family name, sounding different
     * ("frew", "freq", but also "lane", "lang"): as often another
     * family's name as a typo, so a level of its own, weighed by
     * training */
    [CL_W_FAMILY_TYPO] = {"family.typo", 0.01, 0.002, 0},
    /* one keystroke apart in a given name of four letters or more that
     * Jaro-Winkler does not call close ("jarod", "jatod"; but also
     * "mark", "mary"): its own level, weighed by training, and in one
     * family the family pattern (cl_match_kin) */
    [CL_W_GIVEN_TYPO] = {"given.typo", 0.03, 0.003, 1},
};

const char *const cl_match_fields[CL_MATCH_NFIELDS] = {
    "family name", "given names", "date of birth", "sex",      "postcode",
    "address",     "UPRN",        "town",          "household"};

int cl_match_level_field(cl_weight_id id)
{
    return (unsigned)id < CL_W_COUNT ? s_levels[id].field : -1;
}

int cl_match_level_find(const char *name)
{
    for (int i = 0; i < CL_W_COUNT; i++)
        if (strcmp(s_levels[i].name, name) == 0)
            return i;
    return -1;
}

void cl_match_config_defaults(cl_match_config *mc)
{
    mc->upper = CL_MATCH_UPPER_DEFAULT;
    mc->lower = CL_MATCH_LOWER_DEFAULT;
    mc->prior = CL_MATCH_PRIOR_DEFAULT;
    mc->place_also = false;     /* each place adds its weight until learned */
    mc->families_apart = false; /* a household's members until learned */
    /* the thresholds mean these probabilities: under the default prior
     * they are the documented weights, and they follow a learned prior */
    mc->upper_p = cl_match_probability(mc, CL_MATCH_UPPER_DEFAULT);
    mc->lower_p = cl_match_probability(mc, CL_MATCH_LOWER_DEFAULT);
    cl_match_thresholds_update(mc);
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

double cl_match_weight_for(const cl_match_config *mc, double p)
{
    double prior = mc && mc->prior > 0 && mc->prior < 1
                       ? mc->prior
                       : CL_MATCH_PRIOR_DEFAULT;
    return log2(p / (1.0 - p)) - log2(prior / (1.0 - prior));
}

void cl_match_thresholds_update(cl_match_config *mc)
{
    if (mc->upper_p > 0 && mc->upper_p < 1)
        mc->upper = cl_match_weight_for(mc, mc->upper_p);
    if (mc->lower_p > 0 && mc->lower_p < 1)
        mc->lower = cl_match_weight_for(mc, mc->lower_p);
}

bool cl_match_weight_set(cl_match_config *mc, const char *name, double m,
                         double u)
{
    int i = cl_match_level_find(name);
    if (!(m > 0 && m < 1 && u > 0 && u < 1) || i < 0)
        return false;
    mc->m[i] = m;
    mc->u[i] = u;
    if (i == CL_W_PLACE_ALSO)
        mc->place_also = true;
    return true;
}

const char *cl_match_weight_name(cl_weight_id id)
{
    return (unsigned)id < CL_W_COUNT ? s_levels[id].name : "?";
}

/* The level a part of a value may never outweigh: its field's exact
 * agreement. Learned weights can put such a level above the exact one
 * (a prefix of a given name is rare among random pairs, so its u is
 * small), and then "ze" and "zebedee" would count for more than
 * "zebedee" twice. Stored as the ceiling's id + 1; 0: none. A name
 * misspelt, sounding alike or in another form has none: it is the same
 * name, weighed against that name's own exact weight, which the name's
 * frequency sets (s_w_tf; a rare name's far above the average that
 * family.exact's u gives: on FEBRL's set 2 without address the learned
 * family.close is 9.3 against an average exact 7.3, and held to 7.3
 * it links 11 fewer of 1,934 true pairs). */
#define S_UNDER(id) ((uint8_t)((id) + 1))
static const uint8_t s_ceiling[CL_W_COUNT] = {
    [CL_W_FAMILY_PART] = S_UNDER(CL_W_FAMILY_EXACT),
    [CL_W_GIVEN_PREFIX] = S_UNDER(CL_W_GIVEN_EXACT),
    [CL_W_GIVEN_INITIAL] = S_UNDER(CL_W_GIVEN_EXACT),
    [CL_W_DOB_SWAPPED] = S_UNDER(CL_W_DOB_EXACT),
    [CL_W_DOB_TYPO] = S_UNDER(CL_W_DOB_EXACT),
    [CL_W_DOB_ONE_PART] = S_UNDER(CL_W_DOB_EXACT),
    [CL_W_POSTCODE_SECTOR] = S_UNDER(CL_W_POSTCODE_UNIT),
    [CL_W_POSTCODE_DISTRICT] = S_UNDER(CL_W_POSTCODE_UNIT),
    [CL_W_ADDRESS_CLOSE] = S_UNDER(CL_W_ADDRESS_SAME),
    [CL_W_TOWN_CLOSE] = S_UNDER(CL_W_TOWN_SAME),
};

/* log2(m/u) of level id as configured. A zero m or u (a config struct
 * not set up with cl_match_config_defaults) falls back to the default. */
static double s_w_raw(const cl_match_config *mc, cl_weight_id id)
{
    double m = mc && mc->m[id] > 0 ? mc->m[id] : s_levels[id].m;
    double u = mc && mc->u[id] > 0 ? mc->u[id] : s_levels[id].u;
    return log2(m / u);
}

/* Weight of level id: at most its ceiling's (s_ceiling). */
static double s_w(const cl_match_config *mc, cl_weight_id id)
{
    double w = s_w_raw(mc, id);
    if (s_ceiling[id]) {
        double top = s_w_raw(mc, (cl_weight_id)(s_ceiling[id] - 1));
        w = w < top ? w : top;
    }
    return w;
}

double cl_match_level_weight(const cl_match_config *mc, cl_weight_id id)
{
    return (unsigned)id < CL_W_COUNT ? s_w(mc, id) : 0.0;
}

/* One keystroke apart: a letter changed, added, dropped, or two
 * neighbours swapped ("crouch" and "crluch", "wilkins" and "wilknis"). */
static bool s_one_edit(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i = 0;
    if (la < lb) {
        const char *t = a;
        a = b;
        b = t;
        size_t tl = la;
        la = lb;
        lb = tl;
    }
    if (la - lb > 1)
        return false;
    while (i < lb && a[i] == b[i])
        i++;
    if (la != lb) /* one letter more in a */
        return strcmp(a + i + 1, b + i) == 0;
    if (i == la)
        return true;
    if (strcmp(a + i + 1, b + i + 1) == 0)
        return true;
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           strcmp(a + i + 2, b + i + 2) == 0;
}

/* jw: the folded names' Jaro-Winkler similarity (s_levels_of has it). */
static cl_weight_id s_family(const cl_match_prep *a, const cl_match_prep *b,
                             double jw)
{
    const char *fa = a->family, *fb = b->family;
    if (strcmp(fa, fb) == 0)
        return CL_W_FAMILY_EXACT;
    /* Double-barrelled: one side's name is a part of the other's. */
    if ((strlen(fb) >= 3 && strstr(fa, fb)) ||
        (strlen(fa) >= 3 && strstr(fb, fa)))
        return CL_W_FAMILY_PART;
    /* one keystroke in a long name; in a short one ("smith", "smyth")
     * it is as often another family's spelling */
    if (jw >= 0.92 ||
        (strlen(fa) >= 6 && strlen(fb) >= 6 && s_one_edit(fa, fb)))
        return CL_W_FAMILY_CLOSE;
    if (strcmp(a->soundex, b->soundex) == 0)
        return CL_W_FAMILY_SOUNDEX;
    /* one keystroke in a short name that changes its sound ("frew",
     * "freq"): its own level, weighed by training */
    if (strlen(fa) >= 4 && strlen(fb) >= 4 && s_one_edit(fa, fb))
        return CL_W_FAMILY_TYPO;
    return CL_W_FAMILY_DIFFERENT;
}

/* jw: the folded names' Jaro-Winkler similarity (s_levels_of has it). */
static cl_weight_id s_given(const cl_match_prep *a, const cl_match_prep *b,
                            double jw)
{
    const char *fa = a->given, *fb = b->given, *ca = a->canon, *cb = b->canon;
    if (strcmp(fa, fb) == 0)
        return CL_W_GIVEN_EXACT;
    if (strcmp(ca, cb) == 0)
        return CL_W_GIVEN_NICKNAME;
    /* "joel" and "joe": close as written, though joe's full form is
     * joseph; so both the written and the full forms are compared */
    if (s_jw(ca, cb) >= 0.90 || jw >= 0.90)
        return CL_W_GIVEN_CLOSE;
    size_t la = strlen(fa), lb = strlen(fb);
    if (la >= 4 && lb >= 4 && s_one_edit(fa, fb))
        return CL_W_GIVEN_TYPO;
    const char *sh = la < lb ? fa : fb, *lo = la < lb ? fb : fa;
    size_t ls = la < lb ? la : lb;
    if (ls >= 2 && strncmp(sh, lo, ls) == 0)
        return CL_W_GIVEN_PREFIX; /* "chris", "christopher" */
    if (ls == 1 && sh[0] == lo[0])
        return CL_W_GIVEN_INITIAL;
    return CL_W_GIVEN_DIFFERENT;
}

/* Digits of a YYYY-MM-DD date as YYYYMMDD; false if not that form. */
static bool s_digits8(const char *d, char out[9])
{
    if (strlen(d) != 10)
        return false;
    memcpy(out, d, 4);
    memcpy(out + 4, d + 5, 2);
    memcpy(out + 6, d + 8, 2);
    out[8] = '\0';
    for (int i = 0; i < 8; i++)
        if (out[i] < '0' || out[i] > '9')
            return false;
    return true;
}

static cl_weight_id s_dob(const char *a, const char *b)
{
    char x[9], y[9];
    if (strcmp(a, b) == 0)
        return CL_W_DOB_EXACT;
    if (!s_digits8(a, x) || !s_digits8(b, y))
        return CL_W_DOB_DIFFERENT;
    /* day and month swapped */
    if (memcmp(x, y, 4) == 0 && memcmp(x + 4, y + 6, 2) == 0 &&
        memcmp(x + 6, y + 4, 2) == 0)
        return CL_W_DOB_SWAPPED;
    /* one digit mistyped, or two neighbours swapped */
    int diff = 0, first = -1;
    for (int i = 0; i < 8; i++)
        if (x[i] != y[i]) {
            if (first < 0)
                first = i;
            diff++;
        }
    if (diff == 1 || (diff == 2 && first < 7 && x[first] == y[first + 1] &&
                      x[first + 1] == y[first]))
        return CL_W_DOB_TYPO;
    int same = (memcmp(x, y, 4) == 0) + (memcmp(x + 4, y + 4, 2) == 0) +
               (memcmp(x + 6, y + 6, 2) == 0);
    /* a generation apart: parent and child, even on one birthday (a
     * mistyped year is one digit, or two neighbours swapped: above) */
    int ya = atoi(a), yb = atoi(b);
    if (abs(ya - yb) >= 12)
        return CL_W_DOB_GENERATION;
    if (same == 2)
        return CL_W_DOB_ONE_PART;
    return CL_W_DOB_DIFFERENT;
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
#define S_TOKENS CL_MATCH_TOKENS
static size_t s_tokens_upto(const char *s, char out[][32], size_t max)
{
    static const char *const abbrev[][2] = {
        {"rd", "road"},     {"st", "street"},     {"ave", "avenue"},
        {"av", "avenue"},   {"ln", "lane"},       {"cl", "close"},
        {"dr", "drive"},    {"cres", "crescent"}, {"ct", "court"},
        {"pl", "place"},    {"gdns", "gardens"},  {"sq", "square"},
        {"tce", "terrace"}, {"gr", "grove"},      {"hse", "house"},
        {"flt", "flat"}};
    size_t n = 0;
    while (*s && n < max) {
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
            if (out[n][0] == abbrev[i][0][0] && !strcmp(out[n], abbrev[i][0]))
                cl_copy(out[n], 32, abbrev[i][1]);
        n++;
    }
    return n;
}

static size_t s_tokens(const char *s, char out[S_TOKENS][32])
{
    return s_tokens_upto(s, out, S_TOKENS);
}

size_t cl_match_address_words(const char *address, char *out, size_t cap)
{
    char t[S_TOKENS][32];
    size_t n = s_tokens(address, t), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(t[i]);
        if (len + l + 2 > cap)
            break;
        if (len)
            out[len++] = ' ';
        memcpy(out + len, t[i], l + 1);
        len += l;
    }
    sodium_memzero(t, sizeof(t));
    return len;
}

/* Words that say what kind of street, not which one. */
static bool s_street_kind(const char *w)
{
    static const char *const kinds[] = {
        "road",  "street", "avenue",  "lane",    "close", "drive",
        "court", "place",  "gardens", "square",  "way",   "terrace",
        "grove", "house",  "flat",    "crescent"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (w[0] == kinds[i][0] && !strcmp(w, kinds[i]))
            return true;
    return false;
}

/* Same house number and most street words alike (typos allowed): same;
 * the same house number and a street or building name alike, the rest
 * missing or mistyped on one side ("24 Farrer Place" and "24 Farrer Pl,
 * Hillside"): close. */
static cl_weight_id s_address(const cl_match_prep *a, const cl_match_prep *b)
{
    const char(*ta)[32] = a->tokens, (*tb)[32] = b->tokens;
    size_t na = a->n_tokens, nb = b->n_tokens, hit = 0, named = 0;
    if (!na || !nb)
        return CL_W_ADDRESS_DIFFERENT;
    for (size_t i = 0; i < na; i++) {
        bool num = isdigit((unsigned char)ta[i][0]);
        for (size_t j = 0; j < nb; j++) {
            bool same =
                num ? strcmp(ta[i], tb[j]) == 0 : s_jw(ta[i], tb[j]) >= 0.9;
            if (same) {
                hit++;
                named += !num && !s_street_kind(ta[i]);
                break;
            }
        }
        if (num && hit < i + 1)
            return CL_W_ADDRESS_DIFFERENT; /* another house number */
    }
    size_t most = na > nb ? na : nb;
    if (hit * 4 >= most * 3)
        return CL_W_ADDRESS_SAME;
    bool numbered = isdigit((unsigned char)ta[0][0]);
    return numbered && named ? CL_W_ADDRESS_CLOSE : CL_W_ADDRESS_DIFFERENT;
}

double cl_match_place_weight(double m, double u, uint32_t n, uint32_t family_n)
{
    /* the others: a family's own records at its home share nothing */
    double others = family_n < n ? (double)(n - family_n) : 0;
    double f = u * others / CL_MATCH_HOME_ROWS;
    double w = log2(m / (f > u ? f : u));
    return w > 0 || log2(m / u) <= 0 ? w : 0;
}

/* How many records give the place of level id, from tf (0: not
 * counted, or not a place level). */
static uint32_t s_place_n(const cl_match_tf *tf, cl_weight_id id)
{
    if (!tf || !tf->records)
        return 0;
    if (id == CL_W_POSTCODE_UNIT)
        return tf->postcode_n;
    if (id == CL_W_ADDRESS_SAME || id == CL_W_ADDRESS_CLOSE)
        return tf->address_n;
    return 0;
}

/* The weight of level id, with tf's frequencies where they apply. */
static double s_w_tf(const cl_match_config *mc, const cl_match_tf *tf,
                     cl_weight_id id)
{
    /* an exact match on a name as rare (or common) as this one */
    double freq = !tf                       ? 0
                  : id == CL_W_FAMILY_EXACT ? tf->family
                  : id == CL_W_GIVEN_EXACT  ? tf->given
                                            : 0;
    double m = mc && mc->m[id] > 0 ? mc->m[id] : s_levels[id].m;
    if (freq > 0)
        return log2(m / (freq > 1e-7 ? freq : 1e-7));
    /* and on a place as many records share as this one */
    uint32_t places = s_place_n(tf, id);
    if (places) {
        double u = mc && mc->u[id] > 0 ? mc->u[id] : s_levels[id].u;
        double w = cl_match_place_weight(m, u, places, tf->family_n);
        if (s_ceiling[id]) {
            double top = s_w_tf(mc, tf, (cl_weight_id)(s_ceiling[id] - 1));
            w = w < top ? w : top;
        }
        return w;
    }
    return s_w(mc, id);
}

static void s_add(const cl_match_config *mc, const cl_match_tf *tf,
                  cl_field_weight *out, uint32_t *n, const char *field,
                  cl_weight_id id, double *w)
{
    double f = s_w_tf(mc, tf, id);
    *w += f;
    if (!out || *n >= CL_MATCH_FIELDS)
        return;
    const char *name = s_levels[id].name, *dot = strchr(name, '.');
    cl_copy(out[*n].field, sizeof(out[*n].field), field);
    cl_copy(out[*n].level, sizeof(out[*n].level), dot ? dot + 1 : name);
    out[*n].weight = f;
    (*n)++;
}

/* Names alike enough to count as the same name crosswise: Jaro-Winkler
 * at 0.92 or more (s_jw gives 1 when they are the same, 0 when either is
 * missing). */
static bool s_alike(const char *a, const char *b)
{
    return s_jw(a, b) >= 0.92;
}

void cl_match_prepare(cl_match_prep *out, const cl_person *p)
{
    out->p = p;
    s_fold(p->family, out->family, sizeof(out->family));
    s_fold(p->given, out->given, sizeof(out->given));
    cl_match_canonical_given(p->given, out->canon, sizeof(out->canon));
    cl_match_soundex(p->family, out->soundex);
    s_fold(p->town, out->town, sizeof(out->town));
    out->n_tokens = s_tokens(p->address, out->tokens);
}

/* The first of address's words is w: most candidates' addresses differ
 * there (the house number), before the rest is cut into words. */
static bool s_first_word_is(const char *address, const char *w)
{
    char first[1][32];
    bool is = s_tokens_upto(address, first, 1) && strcmp(first[0], w) == 0;
    sodium_memzero(first, sizeof(first));
    return is;
}

/* The same address words, in the same order (none: not the same). */
static bool s_words_same(size_t na, const char (*ta)[32], size_t nb,
                         const char (*tb)[32])
{
    if (!na || na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(ta[i], tb[i]) != 0)
            return false;
    return true;
}

unsigned cl_match_tf_wants(const cl_match_prep *a, const cl_person *b)
{
    char f[CL_NAME_SZ];
    unsigned want = 0;
    if (a->p->postcode[0] && strcmp(a->p->postcode, b->postcode) == 0)
        want |= CL_MATCH_TF_POSTCODE;
    if (a->n_tokens && s_first_word_is(b->address, a->tokens[0])) {
        char tb[S_TOKENS][32];
        size_t nb = s_tokens(b->address, tb);
        if (s_words_same(a->n_tokens, a->tokens, nb, (const char(*)[32])tb))
            want |= CL_MATCH_TF_ADDRESS;
        sodium_memzero(tb, sizeof(tb));
    }
    s_fold(b->family, f, sizeof(f));
    if (a->family[0] && strcmp(a->family, f) == 0)
        want |= CL_MATCH_TF_FAMILY;
    s_fold(b->given, f, sizeof(f));
    if (a->given[0] && strcmp(a->given, f) == 0)
        want |= CL_MATCH_TF_GIVEN;
    sodium_memzero(f, sizeof(f));
    return want;
}

/* The level of every field (-1: not compared), before the household
 * rule; the weight of what was compared is the return value. */
static void s_levels_of(const cl_match_prep *pa, const cl_match_prep *pb,
                        int lv[CL_MATCH_NFIELDS])
{
    const cl_person *a = pa->p, *b = pb->p;
    const char *af = pa->family, *ag = pa->given, *bf = pb->family,
               *bg = pb->given;
    for (int i = 0; i < CL_MATCH_NFIELDS; i++)
        lv[i] = -1;
    /* each pair of names is compared once: the same figures say whether
     * they are the wrong way round and how alike they are */
    double jf = s_jw(af, bf), jg = s_jw(ag, bg);
    /* given and family names entered the wrong way round: each side's
     * family name is (nearly) the other's given name */
    bool straight = jf >= 0.92 && jg >= 0.92;
    if (!straight && strcmp(af, ag) != 0 && s_alike(af, bg) &&
        s_alike(ag, bf)) {
        lv[0] = CL_W_NAMES_SWAPPED;
    } else {
        if (af[0] && bf[0])
            lv[0] = (int)s_family(pa, pb, jf);
        if (ag[0] && bg[0])
            lv[1] = (int)s_given(pa, pb, jg);
    }
    if (a->dob[0] && b->dob[0])
        lv[2] = (int)s_dob(a->dob, b->dob);
    if (a->sex && b->sex)
        lv[3] = a->sex == b->sex ? CL_W_SEX_SAME : CL_W_SEX_DIFFERENT;
    if (a->postcode[0] && b->postcode[0])
        lv[4] = (int)s_postcode(a->postcode, b->postcode);
    if (a->uprn[0] && b->uprn[0])
        lv[6] = strcmp(a->uprn, b->uprn) == 0 ? CL_W_UPRN_SAME
                                              : CL_W_UPRN_DIFFERENT;
    else if (a->address[0] && b->address[0])
        /* the UPRN says it better when both have one */
        lv[5] = (int)s_address(pa, pb);
    if (a->town[0] && b->town[0]) {
        double jw = s_jw(pa->town, pb->town);
        lv[7] = jw >= 0.94   ? CL_W_TOWN_SAME
                : jw >= 0.88 ? CL_W_TOWN_CLOSE
                             : CL_W_TOWN_DIFFERENT;
    }
}

/* Levels that say "where they live" agree. */
static bool s_place_agrees(int id)
{
    return id == CL_W_POSTCODE_UNIT || id == CL_W_POSTCODE_SECTOR ||
           id == CL_W_ADDRESS_SAME || id == CL_W_ADDRESS_CLOSE ||
           id == CL_W_UPRN_SAME || id == CL_W_TOWN_SAME ||
           id == CL_W_TOWN_CLOSE;
}

/* The family names agree. */
static bool s_family_agrees(const int lv[CL_MATCH_NFIELDS])
{
    return lv[0] == CL_W_FAMILY_EXACT || lv[0] == CL_W_FAMILY_PART ||
           lv[0] == CL_W_FAMILY_CLOSE || lv[0] == CL_W_FAMILY_SOUNDEX ||
           lv[0] == CL_W_FAMILY_TYPO || lv[0] == CL_W_NAMES_SWAPPED;
}

/* A given name that tells members of a family apart: compared, and by
 * more than its initial unless a date of birth is compared too ("N
 * Clarke" without a date beside "Noah Clarke" says no more of which of
 * the family it is than a record without a given name does). */
static bool s_given_told(const int lv[CL_MATCH_NFIELDS])
{
    return lv[1] >= 0 && (lv[1] != CL_W_GIVEN_INITIAL || lv[2] >= 0);
}

unsigned cl_match_discerns(const int lv[CL_MATCH_NFIELDS])
{
    bool family = s_family_agrees(lv);
    /* a family name missing on one side does not say "another family" */
    bool kin = family || lv[0] < 0;
    return (s_given_told(lv) ? CL_MATCH_HAS_GIVEN : 0u) |
           (lv[2] >= 0 ? CL_MATCH_HAS_DOB : 0u) |
           (family && lv[1] == CL_W_GIVEN_DIFFERENT ? CL_MATCH_OTHER_GIVEN
                                                    : 0u) |
           (kin && (lv[2] == CL_W_DOB_DIFFERENT || lv[2] == CL_W_DOB_GENERATION)
                ? CL_MATCH_OTHER_DOB
                : 0u);
}

bool cl_match_bridged(unsigned via, unsigned other)
{
    return ((other & CL_MATCH_OTHER_GIVEN) && !(via & CL_MATCH_HAS_GIVEN)) ||
           ((other & CL_MATCH_OTHER_DOB) && !(via & CL_MATCH_HAS_DOB));
}

bool cl_match_kin(const int lv[CL_MATCH_NFIELDS])
{
    /* two of one family name whose sex plainly differs are two of the
     * family (a father and daughter, twins of each sex); nor can a pair
     * that compares neither a given name nor a date of birth tell one
     * member of a family from another; and where one side has no family
     * name, the home they share is all that ties them */
    return ((s_family_agrees(lv) || lv[0] < 0) &&
            (lv[1] == CL_W_GIVEN_DIFFERENT || lv[1] == CL_W_GIVEN_TYPO ||
             lv[2] == CL_W_DOB_DIFFERENT || lv[2] == CL_W_DOB_GENERATION ||
             lv[3] == CL_W_SEX_DIFFERENT || (lv[1] < 0 && lv[2] < 0))) ||
           lv[8] == CL_W_NAMES_SWAPPED;
}

bool cl_match_names_differ(const int lv[CL_MATCH_NFIELDS])
{
    return lv[0] == CL_W_FAMILY_DIFFERENT && lv[1] == CL_W_GIVEN_DIFFERENT;
}

/* Levels that say "the same home": a postcode unit, an address, a UPRN. */
static bool s_home_agrees(int id)
{
    return id == CL_W_POSTCODE_UNIT || id == CL_W_ADDRESS_SAME ||
           id == CL_W_ADDRESS_CLOSE || id == CL_W_UPRN_SAME;
}

/* The field that says "the same home" with the most weight under mc, or
 * -1: the place the others that agree with it count beside once. */
static int s_place_strongest(const cl_match_config *mc,
                             const int lv[CL_MATCH_NFIELDS])
{
    int best = -1;
    for (int i = 4; i <= 7; i++)
        if (lv[i] >= 0 && s_home_agrees(lv[i]) &&
            (best < 0 ||
             s_w(mc, (cl_weight_id)lv[i]) > s_w(mc, (cl_weight_id)lv[best])))
            best = i;
    return best;
}

int cl_match_place_also(const cl_match_config *mc,
                        const int lv[CL_MATCH_NFIELDS])
{
    int best = s_place_strongest(mc, lv), also = -1;
    if (best < 0 || cl_match_kin(lv))
        return -1;
    for (int i = 4; i <= 7; i++)
        if (i != best && lv[i] >= 0)
            also = also == 1 || s_place_agrees(lv[i]);
    return also;
}

bool cl_match_place_agrees(int level)
{
    return s_place_agrees(level);
}

int cl_match_place(const int lv[CL_MATCH_NFIELDS])
{
    int compared = 0;
    for (int i = 4; i <= 7; i++) {
        if (lv[i] < 0)
            continue;
        if (s_place_agrees(lv[i]))
            return 2;
        compared = 1;
    }
    return compared;
}

double cl_match_levels(const cl_match_config *mc, const cl_person *a,
                       const cl_person *b, int lv[CL_MATCH_NFIELDS])
{
    double w = 0;
    cl_match_prep pa, pb;
    cl_match_prepare(&pa, a);
    cl_match_prepare(&pb, b);
    s_levels_of(&pa, &pb, lv);
    for (int i = 0; i < CL_MATCH_NFIELDS; i++)
        if (lv[i] >= 0)
            w += s_w(mc, (cl_weight_id)lv[i]);
    return w;
}

double cl_match_explain(const cl_match_config *mc, const cl_person *a,
                        const cl_person *b, const cl_match_tf *tf,
                        cl_field_weight *out, uint32_t *n_out)
{
    int lv[CL_MATCH_NFIELDS];
    return cl_match_weigh(mc, a, b, tf, out, n_out, lv);
}

double cl_match_weigh(const cl_match_config *mc, const cl_person *a,
                      const cl_person *b, const cl_match_tf *tf,
                      cl_field_weight *out, uint32_t *n_out,
                      int lv[CL_MATCH_NFIELDS])
{
    cl_match_prep pa, pb;
    cl_match_prepare(&pa, a);
    cl_match_prepare(&pb, b);
    return cl_match_weigh_prepared(mc, &pa, &pb, tf, out, n_out, lv);
}

/* What a place's count takes off its level's weight (0: none). */
static double s_place_cut(const cl_match_config *mc, const cl_match_tf *tf,
                          cl_weight_id id)
{
    return s_w(mc, id) - s_w_tf(mc, tf, id);
}

/* household.shared into w (and out), less home_cut, what the counts of
 * the home's places took off them: a home many people's records give (a
 * hostel) ties a family no more than it ties anyone; never below 0. */
static void s_add_household(const cl_match_config *mc, cl_field_weight *out,
                            uint32_t *n, double *w, double home_cut)
{
    double before = *w;
    uint32_t listed = *n;
    s_add(mc, NULL, out, n, "household", CL_W_HOUSEHOLD_SHARED, w);
    double hs = *w - before, cut = home_cut > hs ? hs : home_cut;
    if (cut > 0) {
        *w -= cut;
        if (*n > listed)
            out[listed].weight -= cut;
    }
}

double cl_match_weigh_prepared(const cl_match_config *mc,
                               const cl_match_prep *a, const cl_match_prep *b,
                               const cl_match_tf *tf, cl_field_weight *out,
                               uint32_t *n_out, int lv[CL_MATCH_NFIELDS])
{
    double w = 0.0;
    uint32_t n = 0;
    s_levels_of(a, b, lv);
    /* an address's count weighs only the same words (cl_match_tf_wants) */
    cl_match_tf ptf;
    if (tf && tf->address_n &&
        !s_words_same(a->n_tokens, a->tokens, b->n_tokens, b->tokens)) {
        ptf = *tf;
        ptf.address_n = 0;
        tf = &ptf;
    }
    /* Both records with their names the wrong way round: the given names
     * agree, but the name is one the store's records far more often
     * carry as a family name, and the family names (the people's own
     * names) plainly differ or one side has none, with no date of birth
     * to tell them by: two
     * members of one family, not one person (a name term frequencies
     * alone can tell; tf NULL: never) */
    if (tf && tf->given_as_family_n > tf->given_n &&
        lv[1] == CL_W_GIVEN_EXACT &&
        (lv[0] == CL_W_FAMILY_DIFFERENT || lv[0] < 0) &&
        (lv[2] < 0 || lv[2] == CL_W_DOB_DIFFERENT ||
         lv[2] == CL_W_DOB_GENERATION))
        lv[8] = CL_W_NAMES_SWAPPED;
    /* Members of one family share a family name and, often, every field
     * that says where they live, so when the family names agree but the
     * given names or the dates of birth plainly do not (a parent and
     * child, twins, siblings), the places that agree are one piece of
     * evidence, household.shared, not four. */
    bool pattern = cl_match_kin(lv);
    /* where training found the store's families living apart, the
     * pattern is what a missed match looks like far more often than two
     * of one household: its evidence weighs as any pair's */
    bool kin = pattern && !(mc && mc->families_apart);
    bool shared = false, also = false;
    double home_cut = -1; /* what the places' counts take off (below) */
    /* in the family pattern a rare family name says "one family", not
     * "one person": it weighs what the level does, not more */
    cl_match_tf ktf;
    if (kin && tf) {
        ktf = *tf;
        ktf.family = 0;
        if (lv[8] == CL_W_NAMES_SWAPPED)
            ktf.given = 0; /* the family's name, in the given's place */
        tf = &ktf;
    }
    /* Where someone lives can be one fact however many fields say it:
     * when training found the store's addresses, postcodes and towns
     * agreeing together (place_also), the places that agree beside the
     * strongest that says "the same home" count once, as place.also,
     * and are shown at 0. */
    int strongest = mc && mc->place_also ? s_place_strongest(mc, lv) : -1;
    /* and in one home the same date of birth says "twins" about as often
     * as "one person": it weighs household.dob; so does one family name
     * and one date with given names that differ, wherever each lives
     * (twins apart: a record without an address, one in foster care in
     * another town) */
    bool home = pattern && cl_match_place(lv) == 2;
    bool twins =
        home || (pattern && s_family_agrees(lv) &&
                 lv[8] != CL_W_NAMES_SWAPPED && lv[2] == CL_W_DOB_EXACT &&
                 (lv[1] == CL_W_GIVEN_DIFFERENT || lv[1] == CL_W_GIVEN_TYPO));
    for (int i = 0; i < CL_MATCH_NFIELDS - 1; i++) { /* not the marker */
        if (lv[i] < 0)
            continue;
        if (kin && s_place_agrees(lv[i])) {
            shared = true;
            if (s_home_agrees(lv[i])) {
                double cut = s_place_cut(mc, tf, (cl_weight_id)lv[i]);
                home_cut = home_cut < 0 || cut < home_cut ? cut : home_cut;
            }
            continue;
        }
        if (twins && lv[i] == CL_W_DOB_EXACT) {
            s_add(mc, NULL, out, &n, cl_match_fields[i], CL_W_HOUSEHOLD_DOB,
                  &w);
            continue;
        }
        /* and twins are often named one keystroke apart (Mark and Mary,
         * Dean and Sean): there the given names weigh as different, and a
         * typo of one person's name goes to review */
        if (twins && lv[i] == CL_W_GIVEN_TYPO && lv[2] == CL_W_DOB_EXACT) {
            s_add(mc, NULL, out, &n, cl_match_fields[i], CL_W_GIVEN_DIFFERENT,
                  &w);
            continue;
        }
        bool once =
            !kin && strongest >= 0 && i != strongest && s_place_agrees(lv[i]);
        double before = w;
        uint32_t listed = n;
        s_add(mc, tf, out, &n,
              lv[i] == CL_W_NAMES_SWAPPED ? "names" : cl_match_fields[i],
              (cl_weight_id)lv[i], &w);
        if (once) {
            also = true;
            w = before;
            if (n > listed)
                out[listed].weight = 0;
        }
    }
    if (shared)
        s_add_household(mc, out, &n, &w, home_cut);
    if (also)
        s_add(mc, NULL, out, &n, "places", CL_W_PLACE_ALSO, &w);
    if (n_out)
        *n_out = n;
    return w;
}

double cl_match_score(const cl_match_config *mc, const cl_person *a,
                      const cl_person *b)
{
    return cl_match_explain(mc, a, b, NULL, NULL, NULL);
}
