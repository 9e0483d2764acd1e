/*
 * link: weights learned from the store's own records, their acceptance,
 * and the background rerun that relinks stored records with them (see
 * link.h). It reads records only to count comparison levels; what it
 * stores and returns is numbers per level, never personal data.
 *
 * Stored (sealed, CL_DB_LINKING):
 *   "weights.proposed", "weights.accepted" -> v2, trained at, accepted at,
 *       prior, sampled, random pairs, blocked pairs, n, n x (level name,
 *       m, u, trained), families share (v2)
 *   "rerun" -> v1, running, cursor (last record id), total, done, merged,
 *       queued, started
 *   "places.rerun" -> v1, started, cursor: the rerun's start and where
 *       this version's last step left it, so it counts places (a row of
 *       its own, so that an earlier version still reads "rerun")
 *   "places.counted" (linkfind_cand.c) -> v1, at
 */
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "link.h"
#include "linkfind.h"
#include "match.h"
#include "records.h"

#define S_VERSION 1 /* of the rerun state */
/* of the weights (1: without families share) */
#define S_WEIGHTS_VERSION 2
#define S_SAMPLE          20000
#define S_SAMPLE_MAX      100000
#define S_RANDOM_PAIRS    300000
#define S_BLOCK_GROUP     40 /* records of one block compared pairwise */
#define S_EM_ITERATIONS   40
/* A level's weight is learned only from enough of it: seen at least
 * S_LEVEL_SEEN times among the random pairs (u) and S_LEVEL_MATCHES
 * times among the matches EM expects (m). A rarer level keeps its
 * documented m and u: a given name's initial seen twice in 300,000
 * random pairs and never among matches is no evidence of +13 bits. */
#define S_LEVEL_SEEN    10
#define S_LEVEL_MATCHES 5.0
/* S_KIN_PAIRS: how many pairs of one family name that are plainly two
 * people must be seen before training says whether the store's families
 * live apart (CL_LINK_FAMILIES_APART, s_families_share). */
#define S_KIN_PAIRS 500
/* the places: levels lv[S_PLACE0 ..] of cl_match_levels (postcode,
 * address, UPRN, town) */
#define S_PLACE0 4
#define S_PLACES 4

typedef struct s_weights {
    int64_t trained_at, accepted_at;
    double prior;
    uint64_t sampled, random_pairs, blocked_pairs;
    double m[CL_W_COUNT], u[CL_W_COUNT];
    bool trained[CL_W_COUNT];
    /* how many times as often two people of one family name share a
     * place as any two (s_train_kin_share; 0: not measured) */
    double families_share;
} s_weights;

static const char *const s_key_proposed = "weights.proposed";
static const char *const s_key_accepted = "weights.accepted";
static const char *const s_key_rerun = "rerun";

static void s_weights_enc(cl_enc *e, const s_weights *w)
{
    cl_enc_u8(e, S_WEIGHTS_VERSION);
    cl_enc_i64(e, w->trained_at);
    cl_enc_i64(e, w->accepted_at);
    cl_enc_f64(e, w->prior);
    cl_enc_u64(e, w->sampled);
    cl_enc_u64(e, w->random_pairs);
    cl_enc_u64(e, w->blocked_pairs);
    cl_enc_u32(e, CL_W_COUNT);
    for (int i = 0; i < CL_W_COUNT; i++) {
        cl_enc_str(e, cl_match_weight_name((cl_weight_id)i));
        cl_enc_f64(e, w->m[i]);
        cl_enc_f64(e, w->u[i]);
        cl_enc_u8(e, w->trained[i]);
    }
    cl_enc_f64(e, w->families_share);
}

/* Levels are stored by name, so a level added later keeps its default and
 * one removed is ignored. */
static void s_weights_dec(cl_dec *d, s_weights *w)
{
    memset(w, 0, sizeof(*w));
    uint8_t v = cl_dec_u8(d);
    if (v != 1 && v != S_WEIGHTS_VERSION)
        d->bad = true;
    w->trained_at = cl_dec_i64(d);
    w->accepted_at = cl_dec_i64(d);
    w->prior = cl_dec_f64(d);
    w->sampled = cl_dec_u64(d);
    w->random_pairs = cl_dec_u64(d);
    w->blocked_pairs = cl_dec_u64(d);
    uint32_t n = cl_dec_u32(d);
    if (n > 256)
        d->bad = true;
    for (uint32_t i = 0; i < n && !d->bad; i++) {
        char name[32];
        CL_DEC_STR(d, name);
        double m = cl_dec_f64(d), u = cl_dec_f64(d);
        uint8_t tr = cl_dec_u8(d);
        int id = cl_match_level_find(name);
        if (id >= 0 && m > 0 && m < 1 && u > 0 && u < 1) {
            w->m[id] = m;
            w->u[id] = u;
            w->trained[id] = tr != 0;
        }
    }
    if (v >= 2)
        w->families_share = cl_dec_f64(d);
    if (!(w->prior >= 0 && w->prior < 1) || !(w->families_share >= 0))
        d->bad = true;
}

static int s_weights_get(cl_txn *t, const char *key, s_weights *w)
{
    uint8_t buf[8192];
    size_t len = 0;
    int rc = cl_store_get(t, CL_DB_LINKING, (const uint8_t *)key, strlen(key),
                          buf, sizeof(buf), &len);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(buf, len);
    s_weights_dec(&d, w);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

static int s_weights_put(cl_txn *t, const char *key, const s_weights *w)
{
    uint8_t buf[8192];
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    s_weights_enc(&e, w);
    return cl_enc_ok(&e) ? cl_store_put(t, CL_DB_LINKING, (const uint8_t *)key,
                                        strlen(key), buf, e.len)
                         : CL_ERR_INTERNAL;
}

/* --- rerun state ---------------------------------------------------------- */

typedef struct s_rerun {
    uint8_t running;
    uint64_t cursor, total, done, merged, queued;
    int64_t started;
} s_rerun;

static int s_rerun_get(cl_txn *t, s_rerun *r)
{
    uint8_t buf[128];
    size_t len = 0;
    memset(r, 0, sizeof(*r));
    int rc = cl_store_get(t, CL_DB_LINKING, (const uint8_t *)s_key_rerun,
                          strlen(s_key_rerun), buf, sizeof(buf), &len);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(buf, len);
    if (cl_dec_u8(&d) != S_VERSION)
        return CL_ERR_CORRUPT;
    r->running = cl_dec_u8(&d);
    r->cursor = cl_dec_u64(&d);
    r->total = cl_dec_u64(&d);
    r->done = cl_dec_u64(&d);
    r->merged = cl_dec_u64(&d);
    r->queued = cl_dec_u64(&d);
    r->started = cl_dec_i64(&d);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

static int s_rerun_put(cl_txn *t, const s_rerun *r)
{
    uint8_t buf[128];
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, S_VERSION);
    cl_enc_u8(&e, r->running);
    cl_enc_u64(&e, r->cursor);
    cl_enc_u64(&e, r->total);
    cl_enc_u64(&e, r->done);
    cl_enc_u64(&e, r->merged);
    cl_enc_u64(&e, r->queued);
    cl_enc_i64(&e, r->started);
    return cl_enc_ok(&e)
               ? cl_store_put(t, CL_DB_LINKING, (const uint8_t *)s_key_rerun,
                              strlen(s_key_rerun), buf, e.len)
               : CL_ERR_INTERNAL;
}

/* Whether rerun r has been this version's at every step: begun by it,
 * and every step since its own, which indexes each record it goes
 * through under the places' keys. The row holds the rerun's start and
 * the cursor this version's last step left; an earlier version's rerun,
 * or steps an earlier version took on this one's (a rollback), leave
 * it behind, and the rerun starts again from the first record. */
static const char *const s_key_counting = "places.rerun";

static int s_counting_get(cl_txn *t, const s_rerun *r, bool *counting)
{
    int64_t v[2] = {0, 0};
    int rc = cl_records_stamp_get(t, CL_DB_LINKING, s_key_counting, v, 2);
    *counting = rc == CL_OK && v[0] == r->started && v[1] == (int64_t)r->cursor;
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

static int s_counting_put(cl_txn *t, const s_rerun *r)
{
    int64_t v[2] = {r->started, (int64_t)r->cursor};
    return cl_records_stamp_put(t, CL_DB_LINKING, s_key_counting, v, 2);
}

int cl_link_decode_check(const uint8_t *buf, size_t len)
{
    cl_dec d = cl_dec_init(buf, len);
    s_weights w;
    s_weights_dec(&d, &w);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

/* --- weights in use ------------------------------------------------------- */

static void s_overlay(cl_match_config *mc, const s_weights *w)
{
    for (int i = 0; i < CL_W_COUNT; i++)
        if (w->m[i] > 0 && w->u[i] > 0) {
            mc->m[i] = w->m[i];
            mc->u[i] = w->u[i];
        }
    if (w->prior > 0)
        mc->prior = w->prior;
    mc->place_also = w->trained[CL_W_PLACE_ALSO];
    mc->families_apart =
        w->families_share > 0 && w->families_share <= CL_LINK_FAMILIES_APART;
    cl_match_thresholds_update(mc);
}

int cl_link_weights_load(cl_txn *t, cl_match_config *mc, bool *accepted)
{
    s_weights w;
    *accepted = false;
    int rc = s_weights_get(t, s_key_accepted, &w);
    if (rc == CL_ERR_NOT_FOUND)
        return CL_OK;
    if (rc != CL_OK)
        return rc;
    s_overlay(mc, &w);
    *accepted = true;
    return CL_OK;
}

/* --- training ------------------------------------------------------------- */

typedef struct s_sample {
    cl_person *p;
    uint64_t *pid, *rid;
    size_t n, cap;
    uint64_t seen, stride;
    cl_txn *t;
} s_sample;

static int s_sample_one(void *ctx, const uint8_t *key, size_t len)
{
    s_sample *s = ctx;
    if (len != 8)
        return CL_ERR_CORRUPT;
    if (s->seen++ % s->stride != 0)
        return CL_OK;
    if (s->n >= s->cap)
        return 1;
    s->rid[s->n] = cl_be64_get(key);
    int rc =
        cl_records_record_read(s->t, s->rid[s->n], &s->p[s->n], &s->pid[s->n]);
    if (rc == CL_OK)
        s->n++;
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

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

/* A pair's levels, compactly: one level id per field (-1 none). */
typedef struct s_gamma {
    int8_t lv[CL_MATCH_NFIELDS];
    int8_t hh;   /* family pattern: 0 no, 1 places disagree, 2 one agrees */
    int8_t also; /* cl_match_place_also */
} s_gamma;

/* The fields training estimates (the household and agency levels keep
 * their documented values). */
#define S_FIELDS 8

static int s_str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Blocking key of record i for pass k into out ("" when it has none). */
static void s_pass_key(const cl_person *p, int pass, char *out, size_t cap)
{
    char a[5], b[5], w[CL_NAME_SZ];
    out[0] = '\0';
    if (pass == 0) {
        if (p->dob[0])
            snprintf(out, cap, "%s", p->dob);
    } else if (pass == 1) {
        cl_match_soundex(p->family, a);
        cl_match_canonical_given(p->given, w, sizeof(w));
        cl_match_soundex(w, b);
        if (a[0] && b[0])
            snprintf(out, cap, "%s%s", strcmp(a, b) < 0 ? a : b,
                     strcmp(a, b) < 0 ? b : a);
    } else {
        cl_match_soundex(p->family, a);
        const char *place = p->postcode[0] ? p->postcode : p->town;
        if (place[0] && a[0])
            snprintf(out, cap, "%.40s|%c", place, a[0]);
    }
}

/* The fields a pass blocked on: not estimated from its pairs. */
static bool s_pass_excludes(int pass, int field)
{
    static const bool ex[3][S_FIELDS] = {
        {false, false, true, false, false, false, false, false},
        {true, true, false, false, false, false, false, false},
        {false, false, false, false, true, false, false, true},
    };
    return field < S_FIELDS ? ex[pass][field] : true;
}

/* Pairs sharing pass k's key (each block's first S_BLOCK_GROUP records). */
static int s_pass_pairs(const s_sample *s, int pass, const cl_match_config *mc,
                        s_gamma **out, size_t *n_out)
{
    char **keys = calloc(s->n + 1, sizeof(char *));
    size_t cap = 0, n = 0;
    s_gamma *g = NULL;
    int rc = CL_OK;
    if (!keys)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < s->n && rc == CL_OK; i++) {
        char k[64];
        s_pass_key(&s->p[i], pass, k, sizeof(k));
        /* "key\x1fINDEX" so that sorting keeps each record's index */
        char *v = malloc(strlen(k) + 24);
        if (!v) {
            rc = CL_ERR_NOMEM;
            break;
        }
        snprintf(v, strlen(k) + 24, "%s\x1f%zu", k[0] ? k : "", i);
        keys[i] = v;
    }
    if (rc == CL_OK)
        qsort(keys, s->n, sizeof(char *), s_str_cmp);
    for (size_t i = 0; i < s->n && rc == CL_OK;) {
        const char *sep = strchr(keys[i], '\x1f');
        size_t kl = (size_t)(sep - keys[i]), j = i;
        while (j < s->n && !strncmp(keys[j], keys[i], kl + 1))
            j++;
        if (kl > 0) {
            size_t end = j - i > S_BLOCK_GROUP ? i + S_BLOCK_GROUP : j;
            for (size_t a = i; a < end && rc == CL_OK; a++)
                for (size_t b = a + 1; b < end && rc == CL_OK; b++) {
                    size_t x = strtoull(strchr(keys[a], '\x1f') + 1, NULL, 10),
                           y = strtoull(strchr(keys[b], '\x1f') + 1, NULL, 10);
                    if (CL_VEC_GROW(g, n, cap) != CL_OK) {
                        rc = CL_ERR_NOMEM;
                        break;
                    }
                    int lv[CL_MATCH_NFIELDS];
                    (void)cl_match_levels(mc, &s->p[x], &s->p[y], lv);
                    for (int f = 0; f < CL_MATCH_NFIELDS; f++)
                        g[n].lv[f] = (int8_t)lv[f];
                    g[n].hh = cl_match_kin(lv) ? (int8_t)cl_match_place(lv) : 0;
                    g[n].also = (int8_t)cl_match_place_also(mc, lv);
                    n++;
                }
        }
        i = j;
    }
    for (size_t i = 0; i < s->n; i++)
        free(keys[i]);
    free(keys);
    if (rc != CL_OK) {
        free(g);
        return rc;
    }
    *out = g;
    *n_out = n;
    return CL_OK;
}

/* EM over one pass's pairs with u fixed: m of the fields not blocked on
 * (sums into msum, weighted by the expected matches) and the expected
 * number of matches (*matches). */
static void s_em(const s_gamma *g, size_t n, int pass, const double *u,
                 const double *m0, bool fixed_m, double msum[CL_W_COUNT],
                 double mden[CL_W_COUNT], double *matches, double hh[2],
                 double also[2])
{
    double m[CL_W_COUNT], lambda = 0.05;
    double *p = malloc((n + 1) * sizeof(double));
    *matches = 0;
    if (!p || n == 0) {
        free(p);
        return;
    }
    memcpy(m, m0, sizeof(m));
    for (int it = 0; it < S_EM_ITERATIONS; it++) {
        double num[CL_W_COUNT] = {0}, den[S_FIELDS] = {0}, sp = 0;
        for (size_t i = 0; i < n; i++) {
            double lm = log(lambda), lu = log(1 - lambda);
            for (int f = 0; f < S_FIELDS; f++) {
                int l = g[i].lv[f];
                if (l < 0 || s_pass_excludes(pass, f))
                    continue;
                lm += log(m[l]);
                lu += log(u[l]);
            }
            double d = lu - lm;
            p[i] = d > 50 ? 0 : 1.0 / (1.0 + exp(d));
            sp += p[i];
            for (int f = 0; f < S_FIELDS; f++) {
                int l = g[i].lv[f];
                if (l < 0 || s_pass_excludes(pass, f))
                    continue;
                num[l] += p[i];
                den[f] += p[i];
            }
        }
        lambda = sp / (double)n;
        if (lambda < 1e-6)
            lambda = 1e-6;
        if (lambda > 1 - 1e-6)
            lambda = 1 - 1e-6;
        for (int l = 0; l < CL_W_COUNT && !fixed_m; l++) {
            int f = cl_match_level_field((cl_weight_id)l);
            if (f < 0 || f >= S_FIELDS || s_pass_excludes(pass, f) ||
                den[f] <= 0)
                continue;
            /* a little of the prior guess keeps unseen levels possible */
            m[l] = (num[l] + 0.5 * m0[l]) / (den[f] + 0.5);
            if (m[l] < 1e-5)
                m[l] = 1e-5;
            if (m[l] > 1 - 1e-5)
                m[l] = 1 - 1e-5;
        }
        *matches = sp;
    }
    for (int l = 0; l < CL_W_COUNT; l++) {
        int f = cl_match_level_field((cl_weight_id)l);
        if (f < 0 || f >= S_FIELDS || s_pass_excludes(pass, f))
            continue;
        msum[l] += m[l] * *matches;
        mden[l] += *matches;
    }
    /* matches in the family pattern: how often their places agree; and
     * when one place agrees, how often another does too */
    for (size_t i = 0; i < n && !s_pass_excludes(pass, 4); i++) {
        if (g[i].hh) {
            hh[0] += p[i] * (g[i].hh == 2);
            hh[1] += p[i];
        }
        if (g[i].also >= 0) {
            also[0] += p[i] * g[i].also;
            also[1] += p[i];
        }
    }
    free(p);
}

/* Whether, of the family name, the given name and the date of birth,
 * the two other than f are compared and plainly different: two people,
 * unless both of those were replaced.
 *
 * The random pairs of a store not yet linked well hold the true matches
 * it missed (in FEBRL's third set, after import, one random pair in
 * 5,000), and those agree on nearly everything: counted, they made a
 * date of birth agreeing look four times as common among two people as
 * it is, and took 2 bits from dob.exact. So the date's levels are
 * counted only among pairs whose names both plainly differ, where the
 * date is about independent of the rest. The names' are counted among
 * every pair: counted the same way their u fell too (family.soundex,
 * given.exact), and on the held-out households that linked a common
 * name's namesakes across a town (seeds 301-304 without address lost
 * 0.001-0.004 of precision for 1-5 points of recall): the names of one
 * town's people are not independent of one another as their dates are. */
static bool s_others_apart(const int lv[CL_MATCH_NFIELDS], int f)
{
    bool apart[3] = {
        lv[0] == CL_W_FAMILY_DIFFERENT, lv[1] == CL_W_GIVEN_DIFFERENT,
        lv[2] == CL_W_DOB_DIFFERENT || lv[2] == CL_W_DOB_GENERATION};
    for (int g = 0; g < 3; g++)
        if (g != f && !apart[g])
            return false;
    return true;
}

/* Whether the store's families live together, measured where it shows,
 * place by place (postcode, address, UPRN, town: S_PLACES): among every
 * pair of the sample's records of one family name (each name's first
 * S_BLOCK_GROUP records) that the given name and the date of birth both
 * say are two people, how often each place agrees where both give it
 * (kin[k][0] of kin[k][1]); and among the random pairs, how often it
 * agrees (any[k][0] of any[k][1]). The random pairs alone hold too few of
 * one family name to tell (in FEBRL's sets, two or three sharing a
 * town): these are every such pair the sample has. Place by place,
 * because a town is shared by any two often where the towns are few: a
 * store of five towns whose families all live together shares a town
 * among kin at most five times as often as among any two, its addresses
 * hundreds of times (the outside evaluation's households). */
static int s_family_cmp(const void *a, const void *b, void *ctx)
{
    const cl_person *p = ctx;
    return strcasecmp(p[*(const size_t *)a].family,
                      p[*(const size_t *)b].family);
}

static void s_place_count(const int lv[CL_MATCH_NFIELDS],
                          double cnt[S_PLACES][2])
{
    for (int k = 0; k < S_PLACES; k++)
        if (lv[S_PLACE0 + k] >= 0) {
            cnt[k][0] += cl_match_place_agrees(lv[S_PLACE0 + k]);
            cnt[k][1]++;
        }
}

static int s_train_kin_share(const s_sample *s, const cl_match_config *mc,
                             double kin[S_PLACES][2])
{
    size_t *ix = malloc((s->n + 1) * sizeof(*ix));
    if (!ix)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < s->n; i++)
        ix[i] = i;
    qsort_r(ix, s->n, sizeof(*ix), s_family_cmp, s->p);
    for (size_t i = 0, j; i < s->n; i = j) {
        for (j = i + 1; j < s->n && s_family_cmp(&ix[i], &ix[j], s->p) == 0;)
            j++;
        size_t end = j - i > S_BLOCK_GROUP ? i + S_BLOCK_GROUP : j;
        for (size_t a = i; a < end && s->p[ix[i]].family[0]; a++)
            for (size_t b = a + 1; b < end; b++) {
                int lv[CL_MATCH_NFIELDS];
                if (s->pid[ix[a]] == s->pid[ix[b]])
                    continue;
                (void)cl_match_levels(mc, &s->p[ix[a]], &s->p[ix[b]], lv);
                if (lv[0] != CL_W_FAMILY_EXACT || !s_others_apart(lv, 0))
                    continue;
                s_place_count(lv, kin);
            }
    }
    free(ix);
    return CL_OK;
}

/* kin and any (s_train_kin_share) as one figure: how many times as
 * often two people of one family name share a place as any two, the
 * most of any place that was seen shared often enough to tell, by kin or
 * by any two (the held-out households: 10-17; FEBRL's independent
 * records: 0.3-3.4); 0 when no place tells (the family pattern is then
 * held back, as by default). */
static double s_families_share(double kin[S_PLACES][2], double any[S_PLACES][2])
{
    double most = 0;
    bool home = false;
    for (int k = 0; k < S_PLACES; k++) {
        if (kin[k][1] < S_KIN_PAIRS || any[k][1] < 1000 ||
            (kin[k][0] < S_LEVEL_SEEN && any[k][0] < S_LEVEL_SEEN))
            continue;
        double r = ((kin[k][0] + 0.5) / (kin[k][1] + 1.0)) /
                   ((any[k][0] + 0.5) / (any[k][1] + 1.0));
        most = r > most ? r : most;
        home |= k < S_PLACES - 1; /* a postcode, address or UPRN told */
    }
    /* a town alone never says families live apart: where towns are few
     * any two share one often, and a store trained on town-only records
     * would keep the decision when addresses arrive (the review) */
    return home ? most : 0;
}

/* u from random pairs of records not already known to be one person
 * (pairs: how many the sample has), the date of birth's among those whose
 * names say two people (s_others_apart); hh_u: how often two people of
 * one name share a place (in a real population, families live together),
 * and ([2] of [3]) how often two of them sharing a place share a date of
 * birth too (twins). */
static void s_train_u(const s_sample *s, const cl_match_config *mc,
                      uint64_t pairs, s_weights *w, double u[CL_W_COUNT],
                      double hh_u[4], double also_u[2],
                      double any_u[S_PLACES][2])
{
    double cnt[CL_W_COUNT] = {0}, tot[S_FIELDS] = {0};
    /* a fixed seed: the same store trains to the same weights, so that a
     * partnership measuring its own sample gets the same figures twice */
    s_rng r = {0x9e3779b97f4a7c15ull};
    uint64_t want_pairs = pairs < S_RANDOM_PAIRS ? pairs : S_RANDOM_PAIRS;
    for (uint64_t k = 0; k < want_pairs; k++) {
        size_t a = (size_t)(s_next(&r) % s->n), b = (size_t)(s_next(&r) % s->n);
        if (a == b || s->pid[a] == s->pid[b])
            continue;
        int lv[CL_MATCH_NFIELDS];
        (void)cl_match_levels(mc, &s->p[a], &s->p[b], lv);
        for (int f = 0; f < S_FIELDS; f++)
            if (lv[f] >= 0 && (f != 2 || s_others_apart(lv, 2))) {
                cnt[lv[f]]++;
                tot[f]++;
            }
        int place = cl_match_kin(lv) ? cl_match_place(lv) : 0;
        /* whether the store's families live together is counted among
         * pairs of one family name that the given name and the date of
         * birth both say are two people: where families are few (a set
         * of independent records), such pairs share a place no more
         * often than any two, where a true match missed, its given name
         * mistyped, would have counted as a family sharing a home */
        if (place && s_others_apart(lv, 0)) {
            hh_u[0] += place == 2;
            hh_u[1]++;
        }
        if (place == 2 && lv[2] >= 0) {
            hh_u[2] += lv[2] == CL_W_DOB_EXACT;
            hh_u[3]++;
        }
        s_place_count(lv, any_u);
        int also = cl_match_place_also(mc, lv);
        if (also >= 0) {
            also_u[0] += also;
            also_u[1]++;
        }
        w->random_pairs++;
    }
    for (int l = 0; l < CL_W_COUNT; l++) {
        int f = cl_match_level_field((cl_weight_id)l);
        u[l] = mc->u[l];
        if (f < 0 || f >= S_FIELDS || tot[f] < 1000 || cnt[l] < S_LEVEL_SEEN)
            continue;
        u[l] = (cnt[l] + 0.5) / (tot[f] + 1.0);
        w->u[l] = u[l];
    }
}

/* m0, the m that EM starts from (or keeps, *use_labels): from pairs the
 * store knows are one person by an identifier that says nothing about the
 * other fields (the same NHS or CHI number). Where there are enough of
 * them they are a better teacher than EM, which can take the members of
 * one household for one person. */
static int s_train_labels(cl_txn *t, const s_sample *s,
                          const cl_match_config *mc, double m0[CL_W_COUNT],
                          double hh_lab[2], bool *use_labels)
{
    double lab[CL_W_COUNT] = {0}, labtot[S_FIELDS] = {0};
    size_t labelled = 0;
    for (int l = 0; l < CL_W_COUNT; l++)
        m0[l] = mc->m[l];
    for (size_t i = 0; i < s->n; i++) {
        cl_person other;
        if (!s->p[i].nhs[0] && !s->p[i].chi[0])
            continue;
        int rc = cl_linkfind_ident_partner(t, s->rid[i], &s->p[i], &other);
        if (rc == CL_ERR_NOT_FOUND)
            continue;
        if (rc != CL_OK)
            return rc;
        int lv[CL_MATCH_NFIELDS];
        (void)cl_match_levels(mc, &s->p[i], &other, lv);
        sodium_memzero(&other, sizeof(other));
        for (int f = 0; f < S_FIELDS; f++)
            if (lv[f] >= 0) {
                lab[lv[f]]++;
                labtot[f]++;
            }
        int place = cl_match_kin(lv) ? cl_match_place(lv) : 0;
        if (place) {
            hh_lab[0] += place == 2;
            hh_lab[1]++;
        }
        labelled++;
    }
    *use_labels = labelled >= 200;
    for (int l = 0; *use_labels && l < CL_W_COUNT; l++) {
        int f = cl_match_level_field((cl_weight_id)l);
        if (f < 0 || f >= S_FIELDS || labtot[f] < 50)
            continue;
        m0[l] = (lab[l] + 0.5 * mc->m[l]) / (labtot[f] + 0.5);
    }
    return CL_OK;
}

/* m: EM over each blocking pass, into w; *dob_matches: the matches the
 * first pass (same date of birth) estimates. */
/* The places' m from anchor pairs: pairs of the names' and the date's
 * passes whose family name, given name and date of birth are all the
 * same (one person, but for a namesake born the same day). EM takes
 * their places' m from the pairs it already believes, and a move changes
 * every place at once, so it learns that one person's records disagree
 * on a place far less often than they do (held-out seed 932: town,
 * postcode and address different 0.026, 0.027 and 0.032 by EM, 0.079,
 * 0.071 and 0.108 from anchors); among the anchors a move shows as
 * often as it happens. A level EM did not train keeps its documented
 * m, and so does a place seen in fewer than S_ANCHORS anchor pairs. */
#define S_ANCHORS 200
static void s_anchor_count(const s_gamma *g, size_t n,
                           double anchor[CL_W_COUNT], double tot[S_FIELDS])
{
    for (size_t i = 0; i < n; i++) {
        if (g[i].lv[0] != CL_W_FAMILY_EXACT || g[i].lv[1] != CL_W_GIVEN_EXACT ||
            g[i].lv[2] != CL_W_DOB_EXACT)
            continue;
        for (int f = S_PLACE0; f < S_PLACE0 + S_PLACES; f++)
            if (g[i].lv[f] >= 0) {
                anchor[g[i].lv[f]]++;
                tot[f]++;
            }
    }
}

static void s_anchor_places(const double anchor[CL_W_COUNT],
                            const double tot[S_FIELDS], s_weights *w)
{
    for (int l = 0; l < CL_W_COUNT; l++) {
        int f = cl_match_level_field((cl_weight_id)l);
        if (f < S_PLACE0 || f >= S_PLACE0 + S_PLACES || tot[f] < S_ANCHORS ||
            !w->trained[l])
            continue;
        w->m[l] = (anchor[l] + 0.5) / (tot[f] + 1.0);
    }
}

static int s_train_em(const s_sample *s, const cl_match_config *mc,
                      const double u[CL_W_COUNT], const double m0[CL_W_COUNT],
                      bool use_labels, s_weights *w, double hh_m[2],
                      double also_m[2], double *dob_matches)
{
    double msum[CL_W_COUNT] = {0}, mden[CL_W_COUNT] = {0};
    double anchor[CL_W_COUNT] = {0}, anchor_tot[S_FIELDS] = {0};
    for (int pass = 0; pass < 3; pass++) {
        s_gamma *g = NULL;
        size_t n = 0;
        double matches = 0;
        int rc = s_pass_pairs(s, pass, mc, &g, &n);
        if (rc != CL_OK) {
            free(g);
            return rc;
        }
        w->blocked_pairs += n;
        if (pass < 2)
            s_anchor_count(g, n, anchor, anchor_tot);
        s_em(g, n, pass, u, m0, use_labels, msum, mden, &matches, hh_m, also_m);
        if (pass == 0)
            *dob_matches = matches;
        free(g);
    }
    for (int l = 0; l < CL_W_COUNT; l++) {
        int f = cl_match_level_field((cl_weight_id)l);
        if (f < 0 || f >= S_FIELDS || mden[l] < 5 || w->u[l] <= 0 ||
            msum[l] < S_LEVEL_MATCHES)
            continue;
        w->m[l] = msum[l] / mden[l];
        w->trained[l] = true;
    }
    s_anchor_places(anchor, anchor_tot, w);
    return CL_OK;
}

/* EM finds two classes among the candidate pairs; where families are
 * many (a parent and child, siblings: one family name, one town), the
 * class it finds can be "the same family" rather than "the same person",
 * and then a name or a date of birth plainly different looks common
 * among matches. A field whose estimate says its true matches disagree
 * plainly at least as often as they agree exactly (the documented m
 * standing in for a level not estimated) is not identified: its
 * documented m are kept. So is a date of birth plainly different in
 * more than S_DOB_APART of a person's records: a keyboard's slips are
 * a digit, two swapped, or one part, and agencies verify the date; a
 * tenth of one person's records with another date is a family's members
 * taken for one person. */
#define S_DOB_APART 0.1
static void s_train_identified(const double *m0, s_weights *w)
{
    static const struct {
        cl_weight_id agree, differ, differ2;
        double most; /* the most of a person's records plainly different */
    } f[] = {
        {CL_W_FAMILY_EXACT, CL_W_FAMILY_DIFFERENT, CL_W_FAMILY_DIFFERENT, 1},
        {CL_W_GIVEN_EXACT, CL_W_GIVEN_DIFFERENT, CL_W_GIVEN_DIFFERENT, 1},
        {CL_W_DOB_EXACT, CL_W_DOB_DIFFERENT, CL_W_DOB_GENERATION, S_DOB_APART},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        int field = cl_match_level_field(f[i].agree);
        bool any = false;
        double m[CL_W_COUNT];
        for (int l = 0; l < CL_W_COUNT; l++) {
            any |=
                cl_match_level_field((cl_weight_id)l) == field && w->trained[l];
            m[l] = w->trained[l] ? w->m[l] : m0[l];
        }
        double differ = m[f[i].differ] +
                        (f[i].differ2 != f[i].differ ? m[f[i].differ2] : 0);
        if (!any || (m[f[i].agree] > differ && differ <= f[i].most))
            continue;
        for (int l = 0; l < CL_W_COUNT; l++)
            if (cl_match_level_field((cl_weight_id)l) == field) {
                w->m[l] = m0[l];
                w->trained[l] = false;
            }
    }
}

/* household.dob: a true pair's date of birth is the same as often in one
 * home as anywhere (dob.exact's m), but two people of one home share one
 * far more often than two picked at random (twins): u from the random
 * pairs in the family pattern that share a place, when there are enough
 * of them, and never below dob.exact's; else dob.exact's m and u. */
#define S_HOUSEHOLD_PAIRS 100
static void s_train_household_dob(const cl_match_config *mc,
                                  const double hh_u[4], s_weights *w)
{
    bool trained = w->trained[CL_W_DOB_EXACT];
    double m = trained ? w->m[CL_W_DOB_EXACT] : mc->m[CL_W_DOB_EXACT];
    double u =
        w->u[CL_W_DOB_EXACT] > 0 ? w->u[CL_W_DOB_EXACT] : mc->u[CL_W_DOB_EXACT];
    if (hh_u[3] >= S_HOUSEHOLD_PAIRS) {
        double twins = (hh_u[2] + 0.5) / (hh_u[3] + 1.0);
        u = twins > u ? twins : u;
        trained = true;
    }
    w->m[CL_W_HOUSEHOLD_DOB] = m;
    w->u[CL_W_HOUSEHOLD_DOB] = u;
    w->trained[CL_W_HOUSEHOLD_DOB] = trained;
}

/* What EM left: the levels of one field share out m (normalise what was
 * estimated), household.shared, and the prior. */
static void s_train_finish(const cl_match_config *mc, const double *m0,
                           bool use_labels, const double hh_lab[2],
                           double hh_m[2], const double hh_u[4],
                           double dob_matches, uint64_t pairs, s_weights *w)
{
    for (int f = 0; f < S_FIELDS; f++) {
        double sum = 0;
        bool any = false;
        for (int l = 0; l < CL_W_COUNT; l++)
            if (cl_match_level_field((cl_weight_id)l) == f) {
                sum += w->trained[l] ? w->m[l] : m0[l];
                any |= w->trained[l];
            }
        for (int l = 0; any && l < CL_W_COUNT; l++)
            if (cl_match_level_field((cl_weight_id)l) == f && w->trained[l])
                w->m[l] /= sum;
    }
    s_train_identified(m0, w);
    /* household.shared: a place agreeing in the family pattern */
    if (use_labels && hh_lab[1] >= 20) {
        hh_m[0] = hh_lab[0];
        hh_m[1] = hh_lab[1];
    }
    if (hh_u[1] >= 30 && hh_m[1] >= 5) {
        w->u[CL_W_HOUSEHOLD_SHARED] = (hh_u[0] + 0.5) / (hh_u[1] + 1.0);
        w->m[CL_W_HOUSEHOLD_SHARED] = (hh_m[0] + 0.5) / (hh_m[1] + 1.0);
        w->trained[CL_W_HOUSEHOLD_SHARED] = true;
    }
    s_train_household_dob(mc, hh_u, w);
    /* the prior: matches that share a date of birth, over the share of
     * true matches that do, among every pair of the sample */
    double m_dob = w->trained[CL_W_DOB_EXACT] ? w->m[CL_W_DOB_EXACT]
                                              : mc->m[CL_W_DOB_EXACT];
    if (dob_matches > 0 && m_dob > 0.05 && pairs > 0)
        w->prior = dob_matches / m_dob / (double)pairs;
    if (!(w->prior > 0 && w->prior < 0.5))
        w->prior = 0; /* not estimable: keep the prior in use */
}

/* place.also: where one place agrees, how often another compared place
 * agrees too, among random pairs (also_u) and among the matches EM found
 * (also_m). Learned only from enough of both; then (s_overlay) the places
 * beyond the strongest that agrees count once, as this level, instead of
 * each by its own weight: where the store's people live in households,
 * an address, its postcode and its town agree together for two people
 * of one home (u near m), and counting each would take a household for
 * one person. Where places are independent, u stays small and the level
 * weighs about what the places did. */
#define S_ALSO_RANDOM  100
#define S_ALSO_MATCHES 20
static void s_train_place_also(const double also_u[2], const double also_m[2],
                               s_weights *w)
{
    if (also_u[1] < S_ALSO_RANDOM || also_m[1] < S_ALSO_MATCHES)
        return;
    w->u[CL_W_PLACE_ALSO] = (also_u[0] + 0.5) / (also_u[1] + 1.0);
    w->m[CL_W_PLACE_ALSO] = (also_m[0] + 0.5) / (also_m[1] + 1.0);
    w->trained[CL_W_PLACE_ALSO] = true;
}

static int s_train(cl_txn *t, const cl_match_config *mc, uint32_t want,
                   int64_t now, s_weights *w)
{
    uint64_t records = 0;
    s_sample s = {0};
    int rc = cl_store_counter(t, "record", &records);
    memset(w, 0, sizeof(*w));
    w->trained_at = now;
    if (rc != CL_OK)
        return rc;
    s.cap = want ? (want < S_SAMPLE_MAX ? want : S_SAMPLE_MAX) : S_SAMPLE;
    s.stride = records > s.cap ? (records + s.cap - 1) / s.cap : 1;
    s.t = t;
    s.p = calloc(s.cap + 1, sizeof(cl_person));
    s.pid = calloc(s.cap + 1, sizeof(uint64_t));
    s.rid = calloc(s.cap + 1, sizeof(uint64_t));
    if (!s.p || !s.pid || !s.rid) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    rc = cl_store_scan(t, CL_DB_RECORD, NULL, 0, s_sample_one, &s);
    if (rc > 0)
        rc = CL_OK;
    if (rc != CL_OK)
        goto out;
    w->sampled = s.n;
    if (s.n < 50) {
        rc = CL_ERR_INVALID; /* too few records to learn from */
        goto out;
    }
    uint64_t pairs = (uint64_t)s.n * (s.n - 1) / 2;
    double u[CL_W_COUNT], m0[CL_W_COUNT], dob_matches = 0;
    double hh_u[4] = {0}, hh_lab[2] = {0}, hh_m[2] = {0};
    double also_u[2] = {0}, also_m[2] = {0};
    bool use_labels = false;
    double any_u[S_PLACES][2] = {{0}}, kin[S_PLACES][2] = {{0}};
    s_train_u(&s, mc, pairs, w, u, hh_u, also_u, any_u);
    if ((rc = s_train_kin_share(&s, mc, kin)) != CL_OK)
        goto out;
    w->families_share = s_families_share(kin, any_u);
    if ((rc = s_train_labels(t, &s, mc, m0, hh_lab, &use_labels)) != CL_OK ||
        (rc = s_train_em(&s, mc, u, m0, use_labels, w, hh_m, also_m,
                         &dob_matches)) != CL_OK)
        goto out;
    s_train_finish(mc, m0, use_labels, hh_lab, hh_m, hh_u, dob_matches, pairs,
                   w);
    s_train_place_also(also_u, also_m, w);
out:
    if (s.p)
        sodium_memzero(s.p, (s.cap + 1) * sizeof(cl_person));
    free(s.p);
    free(s.pid);
    free(s.rid);
    return rc;
}

/* --- the answer ------------------------------------------------------------
 */

/* The audit's detail of weights trained or accepted: what they say of
 * the store's families, the one learned decision that is not a level's
 * weight (no personal data: a ratio over the whole sample). */
static void s_families_detail(cl_audit_note *n, const s_weights *w)
{
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    s_overlay(&mc, w);
    if (w->families_share > 0)
        snprintf(n->detail, sizeof(n->detail),
                 "families share a place x%.2f: %s", w->families_share,
                 mc.families_apart ? "apart" : "together");
    else
        snprintf(n->detail, sizeof(n->detail),
                 "families share a place: not measured");
}

static int s_info(cl_txn *t, const cl_match_config *mc, cl_link_info *out)
{
    s_weights acc, prop;
    s_rerun rr;
    cl_match_config use = *mc, pmc;
    memset(out, 0, sizeof(*out));
    int rc = s_weights_get(t, s_key_accepted, &acc);
    if (rc == CL_OK) {
        s_overlay(&use, &acc);
        out->accepted = true;
        out->accepted_at = acc.accepted_at;
        out->families_share = acc.families_share;
    } else if (rc != CL_ERR_NOT_FOUND) {
        return rc;
    }
    rc = s_weights_get(t, s_key_proposed, &prop);
    if (rc == CL_OK) {
        out->proposed = true;
        out->trained_at = prop.trained_at;
        out->sampled = prop.sampled;
        out->random_pairs = prop.random_pairs;
        out->blocked_pairs = prop.blocked_pairs;
        pmc = *mc;
        s_overlay(&pmc, &prop);
        out->pfamilies_share = prop.families_share;
        out->pfamilies_apart = pmc.families_apart;
    } else if (rc != CL_ERR_NOT_FOUND) {
        return rc;
    }
    for (int i = 0; i < CL_W_COUNT && i < CL_LEVELS_MAX; i++) {
        cl_level_info *l = &out->levels[out->n_levels++];
        CL_COPY(l->name, cl_match_weight_name((cl_weight_id)i));
        l->m = use.m[i];
        l->u = use.u[i];
        l->weight = cl_match_level_weight(&use, (cl_weight_id)i);
        if (out->proposed) {
            l->pm = pmc.m[i];
            l->pu = pmc.u[i];
            l->pweight = cl_match_level_weight(&pmc, (cl_weight_id)i);
            l->trained = prop.trained[i];
        }
    }
    out->families_apart = use.families_apart;
    out->prior = use.prior;
    out->upper = use.upper;
    out->lower = use.lower;
    out->upper_p = cl_match_probability(&use, use.upper);
    out->lower_p = cl_match_probability(&use, use.lower);
    if (out->proposed) {
        out->pprior = pmc.prior;
        out->pupper_p = cl_match_probability(&pmc, pmc.upper);
        out->plower_p = cl_match_probability(&pmc, pmc.lower);
    }
    bool counted = false;
    rc = cl_linkfind_cand_places_counted(t, &counted);
    out->rerun_needed = !counted;
    if (rc == CL_OK)
        rc = s_rerun_get(t, &rr);
    if (rc == CL_ERR_NOT_FOUND)
        return CL_OK;
    if (rc == CL_OK) {
        out->rerun_running = rr.running;
        out->rerun_done = rr.done;
        out->rerun_total = rr.total;
        out->rerun_merged = rr.merged;
        out->rerun_queued = rr.queued;
    }
    return rc;
}

int cl_link_admin(cl_op *op, const cl_match_config *mc, const cl_link_req *q,
                  cl_link_info *out)
{
    cl_txn *t = op->t;
    const cl_caller *caller = op->who;
    int64_t now = op->now;
    char *err = op->err;
    static const char *const purpose[] = {
        "linking weights shown", "linking weights trained",
        "linking weights accepted", "relinking started"};
    int rc = CL_OK;
    memset(out, 0, sizeof(*out));
    if (!(caller->roles & (CL_ROLE_COORDINATOR | CL_ROLE_OPERATOR))) {
        snprintf(err, CL_ERROR_SZ,
                 "linking weights need the coordinator or operator role");
        return CL_ERR_DENIED;
    }
    if (q->action > CL_LINK_ACTION_MAX) {
        snprintf(err, CL_ERROR_SZ, "action: show, train, accept or rerun");
        return CL_ERR_INVALID;
    }
    CL_COPY(op->note.purpose, purpose[q->action]);
    if (q->action == CL_LINK_TRAIN) {
        s_weights w;
        rc = s_train(t, mc, q->sample, now, &w);
        if (rc == CL_ERR_INVALID)
            snprintf(err, CL_ERROR_SZ,
                     "too few records to learn weights from (at least 50)");
        if (rc == CL_OK) {
            s_families_detail(&op->note, &w);
            rc = s_weights_put(t, s_key_proposed, &w);
        }
    } else if (q->action == CL_LINK_ACCEPT) {
        s_weights w;
        rc = s_weights_get(t, s_key_proposed, &w);
        if (rc == CL_ERR_NOT_FOUND) {
            snprintf(err, CL_ERROR_SZ,
                     "nothing to accept: run caselink link train first");
            return CL_ERR_INVALID;
        }
        w.accepted_at = now;
        if (rc == CL_OK) {
            s_families_detail(&op->note, &w);
            rc = s_weights_put(t, s_key_accepted, &w);
        }
        if (rc == CL_OK)
            rc = cl_store_del(t, CL_DB_LINKING, (const uint8_t *)s_key_proposed,
                              strlen(s_key_proposed));
    } else if (q->action == CL_LINK_RERUN) {
        s_rerun r = {0};
        r.running = 1;
        r.started = now;
        rc = cl_store_counter(t, "record", &r.total);
        if (rc == CL_OK)
            rc = s_counting_put(t, &r);
        if (rc == CL_OK)
            rc = s_rerun_put(t, &r);
    }
    if (rc == CL_OK)
        rc = s_info(t, mc, out);
    if (rc != CL_OK && !err[0])
        snprintf(err, CL_ERROR_SZ, "linking weights: %s", cl_strerror(rc));
    return rc;
}

/* --- rerun ------------------------------------------------------------------
 */

typedef struct s_batch {
    uint64_t ids[1024];
    size_t n, max;
} s_batch;

static int s_batch_one(void *ctx, const uint8_t *key, size_t len)
{
    s_batch *b = ctx;
    if (len != 8)
        return CL_ERR_CORRUPT;
    if (b->n >= b->max)
        return 1;
    b->ids[b->n++] = cl_be64_get(key);
    return CL_OK;
}

int cl_link_rerun_step(cl_txn *t, const cl_match_config *mc, size_t max,
                       int64_t now, bool *running)
{
    s_rerun r;
    s_batch b;
    uint8_t k[8];
    *running = false;
    int rc = s_rerun_get(t, &r);
    if (rc == CL_ERR_NOT_FOUND)
        return CL_OK;
    if (rc != CL_OK || !r.running)
        return rc;
    /* one an earlier version began or stepped: from the first record */
    bool counting = false;
    if ((rc = s_counting_get(t, &r, &counting)) != CL_OK)
        return rc;
    if (!counting)
        r.cursor = r.done = r.merged = r.queued = 0;
    b.n = 0;
    b.max = max < 1024 ? max : 1024;
    cl_be64_put(k, r.cursor + 1);
    rc = cl_store_scan_from(t, CL_DB_RECORD, k, 8, s_batch_one, &b);
    if (rc > 0)
        rc = CL_OK;
    /* pairs queued: the queue's new rows (a merge to review or a split
     * proposed), not the records that ended at a pair, which may have
     * been asked about before and are not asked again */
    uint64_t q0 = 0, q1 = 0;
    if (rc == CL_OK)
        rc = cl_store_counter(t, "review", &q0);
    for (size_t i = 0; i < b.n && rc == CL_OK; i++) {
        int what = 0;
        rc = cl_linkfind_relink(t, mc, b.ids[i], now, &what);
        if (rc == CL_ERR_NOT_FOUND) {
            rc = CL_OK; /* merged or purged meanwhile */
            continue;
        }
        r.merged += what == 1;
        r.done++;
        r.cursor = b.ids[i];
    }
    if (rc == CL_OK && (rc = cl_store_counter(t, "review", &q1)) == CL_OK)
        r.queued += q1 - q0;
    if (rc != CL_OK)
        return rc;
    /* through every record: each is counted at its places now */
    if (b.n < b.max) {
        r.running = 0;
        rc = cl_linkfind_cand_places_mark(t, now);
    }
    *running = r.running;
    if (rc == CL_OK)
        rc = s_counting_put(t, &r);
    return rc == CL_OK ? s_rerun_put(t, &r) : rc;
}
