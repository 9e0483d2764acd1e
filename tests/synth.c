/*
 * synth: synthetic populations with realistic errors (see synth.h).
 */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairs.h"

const char *const synth_agency_names[4] = {"gp", "police", "childrens",
                                           "adults"};

typedef struct s_rng {
    uint64_t s;
} s_rng;

static uint64_t s_next(s_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static double s_u(s_rng *r)
{
    return (double)(s_next(r) >> 11) / 9007199254740992.0;
}

static int s_int(s_rng *r, int n)
{
    return (int)(s_next(r) % (uint64_t)n);
}

static const char *const s_female[] = {
    "Olivia",    "Amelia",   "Isla",     "Ava",       "Mia",       "Ivy",
    "Lily",      "Isabella", "Rosie",    "Sophia",    "Grace",     "Freya",
    "Evie",      "Ella",     "Florence", "Poppy",     "Charlotte", "Sienna",
    "Elizabeth", "Margaret", "Susan",    "Patricia",  "Deborah",   "Jennifer",
    "Rebecca",   "Victoria", "Amanda",   "Katherine", "Jessica",   "Abigail",
    "Eleanor",   "Samantha", "Nicola",   "Joanne",    "Karen",     "Sarah",
    "Emma",      "Laura",    "Hannah",   "Chloe",     "Megan",     "Zara",
    "Aisha",     "Fatima",   "Priya",    "Mariam",    "Ruby",      "Jasmine"};
static const char *const s_male[] = {
    "Oliver",   "George",   "Noah",     "Arthur",  "Leo",     "Oscar",
    "Harry",    "Jack",     "Muhammad", "Henry",   "Charlie", "Freddie",
    "Theo",     "Alfie",    "Archie",   "Thomas",  "William", "Robert",
    "James",    "Michael",  "David",    "Richard", "Joseph",  "Christopher",
    "Daniel",   "Matthew",  "Anthony",  "Andrew",  "Stephen", "Edward",
    "Benjamin", "Samuel",   "Nicholas", "Timothy", "Philip",  "Raymond",
    "Gregory",  "Jonathan", "Adam",     "Ryan",    "Liam",    "Mohammed",
    "Ali",      "Kieran",   "Connor",   "Ethan",   "Lewis",   "Tyler"};
static const char *const s_family[] = {
    "Smith",    "Jones",      "Taylor",       "Brown",    "Williams",
    "Wilson",   "Johnson",    "Davies",       "Patel",    "Robinson",
    "Wright",   "Thompson",   "Evans",        "Walker",   "White",
    "Roberts",  "Green",      "Hall",         "Wood",     "Jackson",
    "Clarke",   "Khan",       "Lewis",        "Hughes",   "Edwards",
    "Turner",   "Hill",       "Moore",        "Cooper",   "Ward",
    "Morris",   "King",       "Watson",       "Harris",   "Baker",
    "Young",    "Allen",      "Mitchell",     "Anderson", "Scott",
    "Campbell", "Stewart",    "Kelly",        "Murphy",   "Ahmed",
    "Hussain",  "Begum",      "Ali",          "Shah",     "Bailey",
    "Parker",   "Phillips",   "Bennett",      "Carter",   "Price",
    "Bell",     "Collins",    "Marshall",     "Owen",     "Holmes",
    "Fletcher", "Ramsbottom", "Featherstone", "Okafor",   "Nowak",
    "Kowalski", "Singh",      "Kaur",         "Chaudhry", "Reid",
    "Fraser",   "Graham"};
/* Endings that turn the common names above into the long tail real
 * registers have (Ash -> Ashworth, Hall -> Hallam ...). */
static const char *const s_tails[] = {
    "",     "",      "",      "",     "",      "",      "",     "",
    "ley",  "ton",   "field", "wood", "worth", "ham",   "by",   "well",
    "ford", "son",   "ridge", "lock", "stone", "hurst", "dale", "ington",
    "more", "combe", "wick",  "shaw", "croft", "brook", "mere", "ett",
    "ock",  "ing",   "ard",   "er",   "an",    "ell",   "ison", "am"};
static const char *const s_nick[][2] = {
    {"Elizabeth", "Liz"},     {"Margaret", "Maggie"}, {"Robert", "Bob"},
    {"William", "Bill"},      {"Richard", "Rick"},    {"James", "Jim"},
    {"Michael", "Mike"},      {"Katherine", "Kate"},  {"Thomas", "Tom"},
    {"Samuel", "Sam"},        {"Daniel", "Dan"},      {"Jennifer", "Jenny"},
    {"Rebecca", "Becky"},     {"Victoria", "Vicky"},  {"Edward", "Ted"},
    {"Christopher", "Chris"}, {"Nicholas", "Nick"},   {"Anthony", "Tony"},
    {"Abigail", "Abby"},      {"Joseph", "Joe"},      {"Matthew", "Matt"}};
static const char *const s_streets[] = {
    "Mill Lane",   "Church Road",     "High Street", "Station Road",
    "Park Avenue", "Victoria Street", "Queens Road", "Manor Way",
    "Oak Close",   "Elm Grove"};

#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

typedef struct s_truth {
    char given[CL_NAME_SZ], family[CL_NAME_SZ], dob[CL_DATE_SZ];
    uint8_t sex;
    char nhs[CL_ID_SZ], postcode[CL_POSTCODE_SZ], address[CL_ADDR_SZ];
    char uprn[CL_UPRN_SZ];
    bool child;
} s_truth;

/* A valid NHS number unique to serial i: nine digits from a range of its
 * own, the first with a valid check digit. */
static void s_nhs(uint64_t i, char out[CL_ID_SZ])
{
    for (uint64_t k = 0; k < 11; k++) {
        char d[16];
        snprintf(d, sizeof(d), "%09llu",
                 (unsigned long long)(100000000 + (i * 11 + k) % 899999999));
        int sum = 0;
        for (int j = 0; j < 9; j++)
            sum += (d[j] - '0') * (10 - j);
        int c = 11 - sum % 11;
        if (c == 11)
            c = 0;
        if (c != 10) {
            snprintf(out, CL_ID_SZ, "%.9s%d", d, c);
            return;
        }
    }
}

/* A random Leeds-like postcode, "LS12 3AB". */
static void s_postcode_make(s_rng *r, char out[CL_POSTCODE_SZ])
{
    unsigned d = 1u + (unsigned)s_int(r, 28), s = (unsigned)s_int(r, 10);
    out[0] = 'L';
    out[1] = 'S';
    size_t n = 2;
    if (d >= 10)
        out[n++] = (char)('0' + d / 10);
    out[n++] = (char)('0' + d % 10);
    out[n++] = ' ';
    out[n++] = (char)('0' + s);
    out[n++] = (char)('A' + s_int(r, 26));
    out[n++] = (char)('A' + s_int(r, 26));
    out[n] = '\0';
}

static void s_typo(s_rng *r, char *s)
{
    size_t n = strlen(s);
    if (n < 4)
        return;
    size_t i = 1 + (size_t)s_int(r, (int)n - 2);
    switch (s_int(r, 3)) {
    case 0: /* transpose */ {
        char c = s[i];
        s[i] = s[i + 1];
        s[i + 1] = c;
        break;
    }
    case 1: /* substitute */
        s[i] = (char)('a' + s_int(r, 26));
        break;
    default: /* drop */
        memmove(s + i, s + i + 1, n - i);
    }
}

static void s_date(s_rng *r, char out[CL_DATE_SZ], int y0, int y1)
{
    unsigned y = (unsigned)(y0 + s_int(r, y1 - y0 + 1)) % 10000u;
    unsigned m = 1u + (unsigned)s_int(r, 12), d = 1u + (unsigned)s_int(r, 28);
    snprintf(out, CL_DATE_SZ, "%04u-%02u-%02u", y, m % 100u, d % 100u);
}

/* A noisy copy of a true person, as agency a would hold it. */
static void s_view(s_rng *r, const s_truth *t, int a, cl_person *p)
{
    static const double nhs_p[4] = {0.97, 0.15, 0.70, 0.80};
    memset(p, 0, sizeof(*p));
    if (s_u(r) < nhs_p[a])
        CL_COPY(p->nhs, t->nhs);
    CL_COPY(p->given, t->given);
    CL_COPY(p->family, t->family);
    CL_COPY(p->dob, t->dob);
    p->sex = t->sex;
    CL_COPY(p->postcode, t->postcode);
    CL_COPY(p->address, t->address);
    if (s_u(r) < 0.5)
        CL_COPY(p->uprn, t->uprn);
    double e = s_u(r);
    if (e < 0.05) {
        s_typo(r, p->given);
    } else if (e < 0.10) {
        for (int i = 0; i < N(s_nick); i++)
            if (!strcmp(t->given, s_nick[i][0]))
                CL_COPY(p->given, s_nick[i][1]);
    } else if (e < 0.12) {
        p->given[1] = '\0'; /* initial only */
    }
    e = s_u(r);
    if (e < 0.04) {
        s_typo(r, p->family);
    } else if (e < 0.07 && !t->child && t->sex == 1) {
        /* married name */
        CL_COPY(p->family, s_family[s_int(r, N(s_family))]);
    } else if (e < 0.08) {
        char db[2 * CL_NAME_SZ + 2];
        snprintf(db, sizeof(db), "%s-%s", t->family,
                 s_family[s_int(r, N(s_family))]);
        cl_copy(p->family, sizeof(p->family), db);
    }
    e = s_u(r);
    if (e < 0.03 && atoi(t->dob + 8) <= 12) { /* day and month swapped */
        snprintf(p->dob, sizeof(p->dob), "%.4s-%.2s-%.2s", t->dob, t->dob + 8,
                 t->dob + 5);
    } else if (e < 0.06) { /* one part wrong */
        int part = s_int(r, 3);
        unsigned y = (unsigned)atoi(t->dob), m = (unsigned)atoi(t->dob + 5),
                 d = (unsigned)atoi(t->dob + 8);
        if (part == 0)
            y = s_int(r, 2) ? y + 1 : y - 1;
        else if (part == 1)
            m = m % 12 + 1;
        else
            d = d % 28 + 1;
        snprintf(p->dob, sizeof(p->dob), "%04u-%02u-%02u", y % 10000u, m % 100u,
                 d % 100u);
    } else if (e < 0.10) {
        p->dob[0] = '\0';
    }
    e = s_u(r);
    if (e < 0.06) { /* moved */
        s_postcode_make(r, p->postcode);
        p->address[0] = p->uprn[0] = '\0';
    } else if (e < 0.14) {
        p->postcode[0] = '\0';
    }
    if (s_u(r) < 0.10)
        p->sex = 0;
}

/* The errors outside labelled data showed the linker missing (see
 * synth.h): names swapped between the fields, a name missing, a date
 * missing or unusable, a surname split in two, and several errors at
 * once. Applied on top of s_view to a share of records. */
static void s_hard(s_rng *r, cl_person *p)
{
    double e = s_u(r);
    if (e < 0.04) { /* given and family names swapped */
        char tmp[CL_NAME_SZ];
        CL_COPY(tmp, p->given);
        CL_COPY(p->given, p->family);
        CL_COPY(p->family, tmp);
    } else if (e < 0.06 && p->dob[0]) {
        p->given[0] = '\0'; /* given name missing */
    } else if (e < 0.07 && p->nhs[0]) {
        p->family[0] = '\0'; /* family name missing */
    } else if (e < 0.09 && strlen(p->family) >= 6) {
        /* split in two: "Ramsbottom" -> "Rams Bottom" */
        char sp[CL_NAME_SZ + 2];
        size_t cut = 2 + (size_t)s_int(r, (int)strlen(p->family) - 3);
        snprintf(sp, sizeof(sp), "%.*s %s", (int)cut, p->family,
                 p->family + cut);
        cl_copy(p->family, sizeof(p->family), sp);
    }
    e = s_u(r);
    if (e < 0.03 && p->dob[0]) {
        /* a digit mistyped (kept only if still a real date: an unreal
         * one is dropped at import, as a missing date) */
        char d[CL_DATE_SZ];
        CL_COPY(d, p->dob);
        int pos = "01235689"[s_int(r, 8)] - '0';
        d[pos] = (char)('0' + s_int(r, 10));
        if (cl_date_valid(d))
            CL_COPY(p->dob, d);
        else
            p->dob[0] = '\0';
    }
    /* repeated corruption: a second typo in a name */
    if (s_u(r) < 0.05)
        s_typo(r, s_u(r) < 0.5 ? p->given : p->family);
}

void synth_generate(synth_pop *out, size_t n_people, uint64_t seed)
{
    synth_generate_ex(out, n_people, seed, false);
}

void synth_generate_ex(synth_pop *out, size_t n_people, uint64_t seed,
                       bool hard)
{
    s_rng r = {seed * 2654435761u + 88172645463325252ull};
    s_truth *t = calloc(n_people + 8, sizeof(*t));
    size_t n = 0;
    while (n < n_people) {
        /* a household: one or two adults, up to three children */
        char postcode[CL_POSTCODE_SZ], address[CL_ADDR_SZ], uprn[CL_UPRN_SZ];
        s_postcode_make(&r, postcode);
        snprintf(address, sizeof(address), "%d %s", 1 + s_int(&r, 200),
                 s_streets[s_int(&r, N(s_streets))]);
        snprintf(uprn, sizeof(uprn), "%llu",
                 (unsigned long long)(100000000000ull +
                                      s_next(&r) % 900000000000ull));
        char family[CL_NAME_SZ];
        snprintf(family, sizeof(family), "%s%s",
                 s_family[s_int(&r, N(s_family))],
                 s_tails[s_int(&r, N(s_tails))]);
        int adults = 1 + (s_u(&r) < 0.6), children = s_int(&r, 4);
        for (int i = 0; i < adults + children && n < n_people; i++) {
            s_truth *p = &t[n++];
            p->child = i >= adults;
            p->sex = (uint8_t)(i == 0 ? 1 : 1 + s_int(&r, 2));
            CL_COPY(p->given, p->sex == 1 ? s_female[s_int(&r, N(s_female))]
                                          : s_male[s_int(&r, N(s_male))]);
            CL_COPY(p->family, i == 1 && s_u(&r) < 0.3
                                   ? s_family[s_int(&r, N(s_family))]
                                   : family);
            if (p->child)
                s_date(&r, p->dob, 2008, 2025);
            else
                s_date(&r, p->dob, 1950, 2000);
            s_nhs(n, p->nhs);
            CL_COPY(p->postcode, postcode);
            CL_COPY(p->address, address);
            CL_COPY(p->uprn, uprn);
        }
    }
    /* who each agency knows */
    size_t cap = n * 3 + 16;
    out->records = calloc(cap, sizeof(*out->records));
    out->n_records = 0;
    out->n_people = n;
    for (size_t i = 0; i < n; i++) {
        const double know[4] = {0.85, 0.20, t[i].child ? 0.45 : 0.08,
                                t[i].child ? 0.0 : 0.18};
        for (int a = 0; a < 4; a++) {
            int copies = s_u(&r) < know[a] ? 1 + (s_u(&r) < 0.15) : 0;
            for (int c = 0; c < copies && out->n_records < cap; c++) {
                synth_record *rec = &out->records[out->n_records++];
                rec->agency = a;
                rec->truth = (uint32_t)i;
                s_view(&r, &t[i], a, &rec->person);
                if (hard)
                    s_hard(&r, &rec->person);
                /* most extracts carry the agency's own id */
                if (s_u(&r) < 0.7)
                    snprintf(rec->person.local_id, sizeof(rec->person.local_id),
                             "%c%06zu", "GPCA"[a], i);
            }
        }
    }
    /* shuffle, so agencies' records arrive interleaved */
    for (size_t i = out->n_records; i > 1; i--) {
        size_t j = (size_t)(s_next(&r) % i);
        synth_record tmp = out->records[i - 1];
        out->records[i - 1] = out->records[j];
        out->records[j] = tmp;
    }
    free(t);
}

void synth_free(synth_pop *p)
{
    free(p->records);
    memset(p, 0, sizeof(*p));
}

synth_score synth_evaluate(const synth_pop *p, const uint64_t *assigned)
{
    synth_score s;
    memset(&s, 0, sizeof(s));
    cl_pair *v = calloc(p->n_records + 1, sizeof(*v));
    if (!v)
        return s;
    for (size_t i = 0; i < p->n_records; i++)
        v[i] = (cl_pair){p->records[i].truth, assigned[i]};
    cl_pairs_score ps = cl_pairs_score_of(v, p->n_records);
    free(v);
    s.true_pairs = ps.truth;
    s.predicted_pairs = ps.linked;
    s.correct_pairs = ps.correct;
    s.precision = ps.precision;
    s.recall = ps.recall;
    s.f1 = ps.f1;
    return s;
}
