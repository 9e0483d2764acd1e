/*
 * block: the blind blocking keys of a person description. Two records are
 * compared only when they share a key, so the keys decide which true
 * matches can ever be found; each is a keyed hash (store/'s blind index),
 * never the values themselves.
 *
 * The keys are chosen so that two records agreeing on most fields share at
 * least one even when some of these happened: a typo in one or both names,
 * given and family names swapped between the fields, one name missing, a
 * surname split in two or double-barrelled, a date of birth missing, not a
 * real date, mistyped or with day and month swapped, a move. Names enter
 * as Soundex codes of the whole folded name and of each of its words, put
 * in order so that a swap between the fields gives the same key:
 *
 *   nd  date of birth (day/month unordered) + one name word's code, for
 *       each word of a name of several: a split or double-barrelled name
 *   ny  both names' codes (unordered) + birth year: day or month wrong
 *   nn  one name as written + the other's code (unordered), both ways:
 *       the date missing or wrong and the place missing, moved or
 *       mistyped, a typo in either name (codes alone would make blocks
 *       over the cap among millions)
 *   di  one name's first letter + date of birth: one name wrong,
 *       missing or swapped, the other mistyped or not
 *   ns  both names' codes (unordered) + postcode sector: date missing or
 *       wrong, perhaps a move nearby
 *   nt  both names' codes (unordered) + town: date missing, no postcode
 *   dp  date of birth + postcode: both names wrong
 *   dt  date of birth + town: both names wrong, no postcode
 *   op  one name's code + postcode: the other name and the date wrong
 *       (and so both names' codes with the postcode: the date wrong)
 *   o2  one name's code + town: the same without a postcode
 *   ha  house number + street's code + one name's code: the other name,
 *       the date and the postcode wrong
 *   hp  house number + street's code + postcode (or town): both names
 *       wrong or missing and the date mistyped; a household's block
 *
 * A town enters as its first three letters, so that a typo further on
 * ("Bundaberg", "Bundabrg") still meets.
 *
 * A key that would only repeat another (the whole name's code with the
 * date is one of di's blocks; both codes with the postcode one of op's)
 * is left out: each costs a look-up on every match.
 *
 * Each key holds a handful of people even among millions; a key that
 * turns out to hold many (a common name in a city) is skipped by the
 * caller (CL_BLOCK_CAP), since it says little.
 *
 * nn, names alone, is the weakest: its blocks are a few times bigger
 * than the others' and a record it finds is nearly always found by
 * another key too. Every key is stored, but nn's candidates are looked
 * up only when the other keys found nobody (cl_block_keys_tiered marks
 * them), so a new record is compared with a handful of people, not a
 * common name's whole block.
 */
#include "block.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "match.h"

/* Folded (letters only, lower case) copy of s. */
static void s_fold(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (isalpha((unsigned char)*s))
            out[n++] = (char)tolower((unsigned char)*s);
    out[n] = '\0';
}

typedef struct s_keys {
    const cl_store *st;
    uint8_t (*k)[CL_BLIND_LEN];
    size_t n, max;
    bool names_only;   /* the keys being added hold names alone */
    int tier;          /* -1: every key; else only names alone (1) or not (0) */
    uint32_t weak;     /* bit i: key i holds names alone */
    const char **kind; /* may be NULL: key i's domain ("blk-nd" ...) */
} s_keys;

static void s_add(s_keys *ks, const char *domain, const char *a, const char *b,
                  const char *c)
{
    char buf[256];
    const char *part[3] = {a, b ? b : "", c ? c : ""};
    size_t n = 0;
    if (ks->n >= ks->max || (ks->tier >= 0 && ks->tier != ks->names_only))
        return; /* the other tier's keys are not even hashed */
    /* a NUL b NUL c, as snprintf("%s%c%s%c%s") wrote it */
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(part[i]);
        if (n + l + (i < 2) >= sizeof(buf))
            return;
        memcpy(buf + n, part[i], l);
        n += l;
        if (i < 2)
            buf[n++] = '\0';
    }
    uint8_t k[CL_BLIND_LEN];
    cl_store_blind(ks->st, k, domain, (const uint8_t *)buf, n);
    sodium_memzero(buf, sizeof(buf));
    for (size_t i = 0; i < ks->n; i++)
        if (memcmp(ks->k[i], k, CL_BLIND_LEN) == 0)
            return;
    if (ks->names_only)
        ks->weak |= UINT32_C(1) << ks->n;
    if (ks->kind)
        ks->kind[ks->n] = domain;
    memcpy(ks->k[ks->n++], k, CL_BLIND_LEN);
}

/* Soundex codes of a name: the whole folded name, then each word when it
 * has several ("Smith-Jones", "Mc Carthy", "Mary Ann"). */
static size_t s_codes(const char *name, bool canonical, char codes[4][5])
{
    char w[CL_NAME_SZ], f[CL_NAME_SZ];
    size_t n = 0;
    if (canonical)
        cl_match_canonical_given(name, w, sizeof(w));
    else
        s_fold(name, w, sizeof(w));
    cl_match_soundex(w, codes[n]);
    if (codes[n][0])
        n++;
    /* words */
    const char *s = name;
    while (*s && n < 4) {
        while (*s && !isalpha((unsigned char)*s))
            s++;
        size_t k = 0;
        while (*s && (isalpha((unsigned char)*s) || *s == '\'') &&
               k + 1 < sizeof(f))
            f[k++] = *s++;
        f[k] = '\0';
        if (!k)
            break;
        char c[5];
        cl_match_soundex(f, c);
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(codes[i], c) == 0;
        if (c[0] && !dup && strlen(f) >= 2)
            memcpy(codes[n++], c, 5);
    }
    return n;
}

/* The date of birth of a valid YYYY-MM-DD with its month and day in
 * order (a day/month swap gives the same keys), and its year: copied,
 * not printed, since every match builds them. */
static void s_dob_parts(const char *d, char dob[16], char year[8])
{
    const char *mm = d + 5, *dd = d + 8;
    bool swap = memcmp(mm, dd, 2) > 0;
    memcpy(dob, d, 4);
    memcpy(dob + 4, swap ? dd : mm, 2);
    memcpy(dob + 6, swap ? mm : dd, 2);
    dob[8] = '\0';
    memcpy(year, d, 4);
    year[4] = '\0';
}

/* The keys of p (tier: -1 all, 0 all but names alone, 1 names alone). */
static size_t s_keys_of(const cl_store *st, const cl_person *p,
                        uint8_t out[][CL_BLIND_LEN], size_t max,
                        uint32_t *names_only, const char **kind, int tier)
{
    s_keys ks = {st, out, 0, max < 32 ? max : 32, false, tier, 0, kind};
    char fam[4][5], giv[4][5], dob[16] = "", year[8] = "";
    char pair[16] = "", ini[2][2] = {"", ""}, town[CL_TOWN_SZ];
    char sector[CL_POSTCODE_SZ];
    size_t nf = s_codes(p->family, false, fam);
    size_t ng = s_codes(p->given, true, giv);
    if (p->dob[0] && cl_date_valid(p->dob))
        s_dob_parts(p->dob, dob, year);
    if (nf && ng) { /* two Soundex codes of four characters, copied */
        bool lt = strcmp(fam[0], giv[0]) < 0;
        memcpy(pair, lt ? fam[0] : giv[0], 4);
        memcpy(pair + 4, lt ? giv[0] : fam[0], 5);
    }
    if (nf)
        ini[0][0] = fam[0][0];
    if (ng)
        ini[1][0] = giv[0][0];
    s_fold(p->town, town, sizeof(town));
    if (strlen(town) > 3)
        town[3] = '\0';
    /* the house number and the first street word's code */
    char house[16] = "", street[5] = "", word[CL_ADDR_SZ];
    for (const char *a = p->address; *a;) {
        while (*a && !isalnum((unsigned char)*a))
            a++;
        size_t k = 0;
        while (*a && isalnum((unsigned char)*a) && k + 1 < sizeof(word))
            word[k++] = *a++;
        word[k] = '\0';
        if (!k)
            break;
        if (isdigit((unsigned char)word[0])) {
            if (!house[0])
                snprintf(house, sizeof(house), "%.15s", word);
        } else if (house[0] && strlen(word) >= 3) {
            cl_match_soundex(word, street);
            break;
        }
    }
    sector[0] = '\0';
    const char *sp = strchr(p->postcode, ' ');
    if (sp && sp[1])
        snprintf(sector, sizeof(sector), "%.*s", (int)(sp - p->postcode) + 2,
                 p->postcode);
    if (dob[0]) {
        /* the whole names' codes are covered by di (their initials) */
        for (size_t i = 1; i < nf; i++)
            s_add(&ks, "blk-nd", dob, fam[i], NULL);
        for (size_t i = 1; i < ng; i++)
            s_add(&ks, "blk-nd", dob, giv[i], NULL);
    }
    if (pair[0] && year[0])
        s_add(&ks, "blk-ny", pair, year, NULL);
    if (nf && ng) {
        /* one name as written, the other's code: a typo in either */
        char ff[CL_NAME_SZ], fg[CL_NAME_SZ];
        s_fold(p->family, ff, sizeof(ff));
        cl_match_canonical_given(p->given, fg, sizeof(fg));
        const char *x[2][2] = {{ff, giv[0]}, {fam[0], fg}};
        ks.names_only = true;
        for (int i = 0; i < 2; i++) {
            bool lt = strcmp(x[i][0], x[i][1]) < 0;
            s_add(&ks, "blk-nn", lt ? x[i][0] : x[i][1], lt ? x[i][1] : x[i][0],
                  NULL);
        }
        ks.names_only = false;
        sodium_memzero(ff, sizeof(ff));
        sodium_memzero(fg, sizeof(fg));
    }
    for (int i = 0; i < 2 && dob[0]; i++)
        if (ini[i][0])
            s_add(&ks, "blk-di", ini[i], dob, NULL);
    if (pair[0] && sector[0])
        s_add(&ks, "blk-ns", pair, sector, NULL);
    if (pair[0] && town[0])
        s_add(&ks, "blk-nt", pair, town, NULL);
    if (dob[0] && p->postcode[0])
        s_add(&ks, "blk-dp", dob, p->postcode, NULL);
    if (dob[0] && town[0])
        s_add(&ks, "blk-dt", dob, town, NULL);
    if (p->postcode[0]) {
        for (size_t i = 0; i < nf && i < 2; i++)
            s_add(&ks, "blk-op", fam[i], p->postcode, NULL);
        for (size_t i = 0; i < ng && i < 2; i++)
            s_add(&ks, "blk-op", giv[i], p->postcode, NULL);
    }
    if (town[0]) {
        /* no decade: the other name and the date both wrong; a common
         * name in a big town makes a block too big to use (skipped) */
        if (nf)
            s_add(&ks, "blk-o2", fam[0], town, NULL);
        if (ng)
            s_add(&ks, "blk-o2", giv[0], town, NULL);
    }
    if (house[0] && street[0]) {
        if (p->postcode[0] || town[0])
            s_add(&ks, "blk-hp", house, street,
                  p->postcode[0] ? p->postcode : town);
        if (nf)
            s_add(&ks, "blk-ha", house, street, fam[0]);
        if (ng)
            s_add(&ks, "blk-ha", house, street, giv[0]);
    }
    sodium_memzero(town, sizeof(town));
    sodium_memzero(dob, sizeof(dob));
    *names_only = ks.weak;
    return ks.n;
}

size_t cl_block_keys_kinds(const cl_store *st, const cl_person *p,
                           uint8_t out[][CL_BLIND_LEN], size_t max,
                           uint32_t *names_only, const char **kind)
{
    return s_keys_of(st, p, out, max, names_only, kind, -1);
}

size_t cl_block_keys_tiered(const cl_store *st, const cl_person *p,
                            uint8_t out[][CL_BLIND_LEN], size_t max,
                            uint32_t *names_only)
{
    return s_keys_of(st, p, out, max, names_only, NULL, -1);
}

size_t cl_block_keys_tier(const cl_store *st, const cl_person *p,
                          uint8_t out[][CL_BLIND_LEN], size_t max,
                          bool names_only)
{
    uint32_t weak;
    return s_keys_of(st, p, out, max, &weak, NULL, names_only ? 1 : 0);
}

size_t cl_block_keys(const cl_store *st, const cl_person *p,
                     uint8_t out[][CL_BLIND_LEN], size_t max)
{
    uint32_t names_only;
    return cl_block_keys_tiered(st, p, out, max, &names_only);
}

bool cl_block_tf_key(const cl_store *st, const char *name, bool given,
                     uint8_t out[CL_BLIND_LEN])
{
    char f[CL_NAME_SZ];
    s_fold(name, f, sizeof(f));
    bool has = f[0] != '\0';
    if (has)
        cl_store_blind(st, out, given ? "tf-giv" : "tf-fam", (const uint8_t *)f,
                       strlen(f));
    sodium_memzero(f, sizeof(f));
    return has;
}

bool cl_block_family_place_key(const cl_store *st, const cl_person *p,
                               uint8_t out[CL_BLIND_LEN])
{
    char fam[4][5];
    uint8_t k[1][CL_BLIND_LEN];
    s_keys ks = {st, k, 0, 1, false, -1, 0, NULL};
    if (p->postcode[0] && s_codes(p->family, false, fam))
        s_add(&ks, "blk-op", fam[0], p->postcode, NULL);
    if (ks.n)
        memcpy(out, k[0], CL_BLIND_LEN);
    return ks.n > 0;
}

bool cl_block_place_key(const cl_store *st, const cl_person *p, bool address,
                        uint8_t out[CL_BLIND_LEN])
{
    char w[CL_ADDR_SZ + CL_MATCH_TOKENS * 8];
    size_t n = 0;
    if (address)
        n = cl_match_address_words(p->address, w, sizeof(w));
    else if (p->postcode[0])
        n = (size_t)snprintf(w, sizeof(w), "%s", p->postcode);
    if (n)
        cl_store_blind(st, out, address ? "tf-adr" : "tf-pc",
                       (const uint8_t *)w, n < sizeof(w) ? n : sizeof(w) - 1);
    sodium_memzero(w, sizeof(w));
    return n > 0;
}

void cl_block_tf_keys(const cl_store *st, const cl_person *p,
                      uint8_t out[CL_BLOCK_TF_KEYS][CL_BLIND_LEN],
                      bool has[CL_BLOCK_TF_KEYS])
{
    has[0] = cl_block_tf_key(st, p->family, false, out[0]);
    has[1] = cl_block_tf_key(st, p->given, true, out[1]);
    has[2] = cl_block_place_key(st, p, false, out[2]);
    has[3] = cl_block_place_key(st, p, true, out[3]);
}
