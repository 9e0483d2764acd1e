/*
 * match_bench: the cost of matching one new referral against a large
 * store, measured at sizes the full linkage benchmark (caselink-bench
 * --linkage, which links every record on the way in) cannot reach in
 * minutes. The population (tests/synth.c) is stored as already linked:
 * each record under its true person, with the same sealed record, person
 * and blind index rows (and their group digests) the daemon writes, but
 * no matching on the way in. The records go in first, in id order; the
 * index rows are then sorted and put in key order, which builds the
 * same B-trees as the daemon's one-by-one puts at a fraction of the page
 * work (a 1,000,000-person store in a few minutes).
 *
 * Then two sets of referrals without an NHS number are matched with the
 * daemon's code (cl_linkfind_match_one) inside one write transaction, as
 * the writer does, twice (the first pass fills the process's map of the
 * file, as a running daemon has it), and the second timed (wall clock
 * and thread CPU):
 *   new    2,000 people not in the store (another seed);
 *   known  up to 2,000 records held back from the store, each about a
 *          person another agency's record is stored for: the share whose
 *          true person is among the candidates is the blocking's recall
 *          at this size, and the share linked to the true person (or to
 *          someone else) what the scores make of it.
 *
 *   caselink-match-bench --people N [--store DIR] [--keep] [--keys] [--check]
 *
 * --store DIR builds the store in DIR, or reuses the one there when it
 * was built by this program for the same N and the same blocking keys
 * (DIR/bench.stamp); --keep keeps a temporary store; --keys adds a
 * table of the blocking keys, kind by kind (how big their blocks are,
 * how often they hold the true person, and alone); --check exits 1
 * unless the true person is among the candidates of 99% of the known
 * referrals and under 0.2% link to someone else (ctest's
 * test_match_bench, at 20,000 people). The store's map is 8 KiB a person
 * (at least 1 GiB), so that the program also runs under valgrind
 * (callgrind: instructions per match, which the machine's load does not
 * move). Prints the load
 * average, the build time, and per set the latency (p50, p90, p99), the
 * CPU per match and the candidate records compared per referral.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cl_vec.h"
#include "codec.h"
#include "core.h"
#include "harness.h"
#include "store.h"
#include "synth.h"

/* The stamp's format: bump when what is stored changes. */
#define S_STAMP_VERSION 2
#define S_QUERIES       2000
#define S_SEED          1
#define S_NOW           1700000000

static const char *const s_agency[4] = {"Oakfield Surgery", "Northshire Police",
                                        "Northshire Children's Services",
                                        "Northshire Adult Social Care"};

static uint64_t s_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double s_pct(const uint64_t *v, size_t n, double p)
{
    return n ? (double)v[(size_t)(p * (double)(n - 1))] : 0;
}

/* One blind index row: key (blind || record id) and its sub-database. */
typedef struct s_row {
    uint8_t k[CL_BLIND_LEN];
    uint8_t rid[8];
    uint8_t block;
} s_row;

static int s_row_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(s_row));
}

typedef struct s_build {
    synth_pop pop;
    bool *held;      /* record i is a "known" query, not stored */
    uint64_t *pid;   /* person id of truth t (0: none yet) */
    uint32_t *truth; /* truth of record id r */
    size_t n_stored; /* records stored (ids 1..n_stored) */
    s_row *rows;     /* index rows, filled while storing */
    size_t n_rows, cap_rows;
} s_build;

/* Hold back up to S_QUERIES records spread over the population, each
 * about a person with another record that is stored. */
static void s_hold(s_build *b)
{
    const synth_pop *pop = &b->pop;
    uint32_t *count = calloc(pop->n_people + 1, sizeof(uint32_t));
    bool *taken = calloc(pop->n_people + 1, sizeof(bool));
    b->held = calloc(pop->n_records, sizeof(bool));
    for (size_t i = 0; i < pop->n_records; i++)
        count[pop->records[i].truth]++;
    size_t step = pop->n_records / S_QUERIES + 1, n = 0;
    for (size_t i = 0; i < pop->n_records && n < S_QUERIES; i += step) {
        size_t j = i;
        while (
            j < pop->n_records && j < i + step &&
            (count[pop->records[j].truth] < 2 || taken[pop->records[j].truth]))
            j++;
        if (j < pop->n_records && j < i + step) {
            b->held[j] = taken[pop->records[j].truth] = true;
            n++;
        }
    }
    free(count);
    free(taken);
}

/* Ids as the store would give them, walking the records in order: needed
 * whether the store is built now or reused. */
static void s_assign(s_build *b)
{
    uint64_t next_pid = 0;
    b->pid = calloc(b->pop.n_people + 1, sizeof(uint64_t));
    b->truth = calloc(b->pop.n_records + 1, sizeof(uint32_t));
    b->n_stored = 0;
    for (size_t i = 0; i < b->pop.n_records; i++) {
        if (b->held[i])
            continue;
        uint32_t tr = b->pop.records[i].truth;
        if (!b->pid[tr])
            b->pid[tr] = ++next_pid;
        b->truth[++b->n_stored] = tr;
    }
}

static void s_stored_person(const synth_record *r, cl_person *p)
{
    *p = r->person;
    p->nhs[0] = '\0'; /* as the queries: the scores alone */
}

/* Store record rid (of record r) under person pid, as cl_linkfind_person
 * does for a record it has linked; its index rows go to b->rows. */
static int s_put(cl_txn *t, s_build *b, const synth_record *r, uint64_t rid,
                 bool new_person)
{
    const cl_store *st = cl_store_of(t);
    uint64_t pid = b->pid[r->truth], got = 0;
    cl_records_record rec;
    cl_records_blinds bl = {0};
    uint8_t k[16];
    int rc = CL_OK;
    if (new_person &&
        ((rc = cl_store_next_id(t, "person", &got)) != CL_OK ||
         (rc = got == pid ? CL_OK : CL_ERR_CORRUPT) != CL_OK ||
         (rc = cl_records_person_put(t, pid, S_NOW, S_NOW)) != CL_OK ||
         (rc = cl_records_activity(t, pid, S_NOW, true)) != CL_OK))
        return rc;
    memset(&rec, 0, sizeof(rec));
    CL_COPY(rec.agency, s_agency[r->agency]);
    CL_COPY(rec.kind, "gp");
    s_stored_person(r, &rec.p);
    rec.person_id = pid;
    rec.link_reason = CL_LINK_SCORE;
    rec.created = rec.updated = S_NOW;
    rec.subject = 1;
    if ((rc = cl_store_next_id(t, "record", &got)) != CL_OK)
        return rc;
    if (got != rid)
        return CL_ERR_CORRUPT;
    cl_records_key(k, pid);
    cl_records_key(k + 8, rid);
    if ((rc = cl_store_put_raw(t, CL_DB_PERSON_RECORDS, k, 16, NULL, 0)) !=
            CL_OK ||
        (rc = cl_records_record_put(t, rid, &rec)) != CL_OK)
        return rc;
    cl_records_ident_blinds(st, rec.agency, &rec.p, &bl);
    cl_records_blocking(st, &rec.p, &bl);
    for (size_t i = 0; i < bl.n; i++) {
        s_row *w = CL_VEC_ADD(b->rows, b->n_rows, b->cap_rows);
        if (!w)
            return CL_ERR_NOMEM;
        memcpy(w->k, bl.k[i], CL_BLIND_LEN);
        cl_records_key(w->rid, rid);
        w->block = bl.block[i];
    }
    sodium_memzero(&rec, sizeof(rec));
    sodium_memzero(&bl, sizeof(bl));
    return rc;
}

/* The index rows, sorted, in key order (the daemon's cl_records_blinds_put
 * for each). */
static int s_put_rows(cl_store *s, s_build *b)
{
    cl_txn *t = NULL;
    cl_records_blinds one = {.n = 1};
    int rc = CL_OK;
    qsort(b->rows, b->n_rows, sizeof(s_row), s_row_cmp);
    for (size_t i = 0; i < b->n_rows && rc == CL_OK; i++) {
        if (!t && (rc = cl_store_begin(&t, s, NULL, true)) != CL_OK)
            break;
        memcpy(one.k[0], b->rows[i].k, CL_BLIND_LEN);
        one.block[0] = b->rows[i].block;
        rc = cl_records_blinds_put(t, &one, 0, cl_be64_get(b->rows[i].rid));
        if (rc == CL_OK && i % 500000 == 499999)
            rc = cl_store_commit(&t);
    }
    if (t && rc == CL_OK)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    free(b->rows);
    b->rows = NULL;
    return rc;
}

static int s_store_all(cl_store *s, s_build *b)
{
    cl_txn *t = NULL;
    uint64_t rid = 0;
    int rc = CL_OK;
    bool *seen = calloc(b->pop.n_people + 1, sizeof(bool));
    for (size_t i = 0; i < b->pop.n_records && rc == CL_OK; i++) {
        const synth_record *r = &b->pop.records[i];
        if (b->held[i])
            continue;
        if (!t && (rc = cl_store_begin(&t, s, NULL, true)) != CL_OK)
            break;
        rc = s_put(t, b, r, ++rid, !seen[r->truth]);
        seen[r->truth] = true;
        if (rc == CL_OK && rid % 20000 == 0)
            rc = cl_store_commit(&t);
    }
    if (t && rc == CL_OK)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    free(seen);
    return rc == CL_OK ? s_put_rows(s, b) : rc;
}

/* What the stored store must match: N, the format, and the blocking keys
 * of the first records (a change in block.c changes them). */
static void s_fingerprint(const cl_store *st, const s_build *b, char *out,
                          size_t cap)
{
    crypto_generichash_state h;
    uint8_t d[16];
    crypto_generichash_init(&h, NULL, 0, sizeof(d));
    for (size_t i = 0; i < b->pop.n_records && i < 200; i++) {
        cl_records_blinds bl = {0};
        cl_person p;
        s_stored_person(&b->pop.records[i], &p);
        cl_records_ident_blinds(st, s_agency[b->pop.records[i].agency], &p,
                                &bl);
        cl_records_blocking(st, &p, &bl);
        crypto_generichash_update(&h, (const uint8_t *)bl.k,
                                  bl.n * CL_BLIND_LEN);
    }
    crypto_generichash_final(&h, d, sizeof(d));
    int n = snprintf(out, cap, "v%d people %zu stored %zu keys ",
                     S_STAMP_VERSION, b->pop.n_people, b->n_stored);
    for (size_t i = 0; i < sizeof(d) && n > 0 && (size_t)n + 3 < cap; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", d[i]);
}

/* The stamp in dir: its first line (the fingerprint) and the build time. */
static bool s_stamp_read(const char *dir, const char *want, double *built)
{
    char path[300], line[256];
    snprintf(path, sizeof(path), "%s/bench.stamp", dir);
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(line, sizeof(line), f) &&
              strncmp(line, want, strlen(want)) == 0 &&
              line[strlen(want)] == '\n' && fscanf(f, "%lf", built) == 1;
    if (f)
        fclose(f);
    return ok;
}

static void s_stamp_write(const char *dir, const char *fp, double built)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/bench.stamp", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%s\n%.1f\n", fp, built);
        fclose(f);
    }
}

/* One set of queries' figures. */
typedef struct s_set {
    uint64_t lat[S_QUERIES], cpu[S_QUERIES], cand[S_QUERIES];
    size_t n, found, linked_true, linked_other;
} s_set;

/* Match p (about truth tr, or none: UINT32_MAX) and count. */
static int s_query(cl_txn *t, const cl_match_config *mc, const cl_caller *who,
                   const s_build *b, cl_person p, uint32_t tr, s_set *out)
{
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    cl_linkfind_link l;
    uint64_t a, c;
    p.nhs[0] = p.chi[0] = p.local_id[0] = '\0';
    a = s_ns(CLOCK_MONOTONIC);
    c = s_ns(CLOCK_THREAD_CPUTIME_ID);
    int rc = cl_linkfind_match_link(t, mc, who, &p, &l);
    out->cpu[out->n] = s_ns(CLOCK_THREAD_CPUTIME_ID) - c;
    out->lat[out->n] = s_ns(CLOCK_MONOTONIC) - a;
    uint64_t got = rc == CL_OK ? l.person_id : 0;
    /* the budget's candidates: those the match may read */
    if (rc == CL_OK)
        rc = cl_linkfind_match_candidates(t, &p, &ids);
    out->cand[out->n++] = rc == CL_OK ? l.compared : 0;
    bool found = false;
    for (size_t i = 0; i < ids.n && tr != UINT32_MAX; i++)
        found |= ids.v[i] <= b->n_stored && b->truth[ids.v[i]] == tr;
    free(ids.v);
    if (tr != UINT32_MAX) {
        out->found += found;
        out->linked_true += got && got == b->pid[tr];
        out->linked_other += got && got != b->pid[tr];
    }
    sodium_memzero(&p, sizeof(p));
    return rc;
}

static void s_report(const char *what, s_set *s, bool known)
{
    double mean = 0, cpu = 0;
    qsort(s->lat, s->n, sizeof(uint64_t), s_cmp_u64);
    qsort(s->cand, s->n, sizeof(uint64_t), s_cmp_u64);
    for (size_t i = 0; i < s->n; i++) {
        mean += (double)s->cand[i] / (double)s->n;
        cpu += (double)s->cpu[i] / (double)s->n;
    }
    qsort(s->cpu, s->n, sizeof(uint64_t), s_cmp_u64);
    printf("%s (%zu referrals, no NHS number)\n", what, s->n);
    printf("  %-40s p50 %.0f us, p90 %.0f us, p99 %.0f us\n",
           "match wall clock", s_pct(s->lat, s->n, 0.5) / 1e3,
           s_pct(s->lat, s->n, 0.9) / 1e3, s_pct(s->lat, s->n, 0.99) / 1e3);
    printf("  %-40s mean %.0f us, p50 %.0f us, p99 %.0f us\n",
           "match CPU (thread)", cpu / 1e3, s_pct(s->cpu, s->n, 0.5) / 1e3,
           s_pct(s->cpu, s->n, 0.99) / 1e3);
    printf("  %-40s mean %.1f, p50 %.0f, p99 %.0f, max %" PRIu64 "\n",
           "candidate records compared", mean, s_pct(s->cand, s->n, 0.5),
           s_pct(s->cand, s->n, 0.99), s->n ? s->cand[s->n - 1] : 0);
    if (known && s->n)
        printf("  %-40s %.4f; linked to them %.4f, to another %.4f\n",
               "true person among the candidates",
               (double)s->found / (double)s->n,
               (double)s->linked_true / (double)s->n,
               (double)s->linked_other / (double)s->n);
}

/* Blocking-rule analysis (--keys): for each kind of key, over the known
 * queries, how often it is there, how big its blocks are, how often it
 * holds the true person, and how often it alone does (among keys within
 * the cap). */
enum { S_KINDS = 16, S_BIG = 5000 };
typedef struct s_kind {
    const char *name;
    size_t n, over, has_true, only;
    double rows;
} s_kind;

static s_kind *s_kind_of(s_kind *k, const char *name)
{
    for (int i = 0; i < S_KINDS; i++)
        if (!k[i].name || !strcmp(k[i].name, name)) {
            k[i].name = name;
            return &k[i];
        }
    return &k[S_KINDS - 1];
}

static int s_key_one(cl_txn *t, const s_build *b, const uint8_t *key,
                     uint32_t tr, size_t *rows, bool *has)
{
    cl_records_ids ids = {.max = CL_BLOCK_CAP + 1};
    int rc = cl_store_count(t, CL_DB_BLOCK, key, CL_BLIND_LEN, S_BIG, rows);
    *has = false;
    if (rc == CL_OK && *rows <= CL_BLOCK_CAP)
        rc = cl_records_lookup_block(t, key, &ids);
    for (size_t i = 0; i < ids.n; i++)
        *has |= ids.v[i] <= b->n_stored && b->truth[ids.v[i]] == tr;
    free(ids.v);
    return rc > 0 ? CL_OK : rc;
}

static int s_keys_report(cl_store *s, const s_build *b)
{
    static s_kind k[S_KINDS];
    cl_txn *t = NULL;
    size_t q = 0;
    int rc = cl_store_begin(&t, s, NULL, false);
    for (size_t j = 0; j < b->pop.n_records && rc == CL_OK; j++) {
        cl_records_blinds bl = {0};
        const char *kind[CL_BLOCK_MAX];
        uint32_t weak;
        bool has[CL_BLOCK_MAX];
        size_t holders = 0, holder = 0;
        if (!b->held[j])
            continue;
        cl_person p = b->pop.records[j].person;
        bl.n = cl_block_keys_kinds(cl_store_of(t), &p, bl.k, CL_BLOCK_MAX,
                                   &weak, kind);
        q++;
        for (size_t i = 0; i < bl.n && rc == CL_OK; i++) {
            size_t rows = 0;
            s_kind *e = s_kind_of(k, kind[i]);
            rc = s_key_one(t, b, bl.k[i], b->pop.records[j].truth, &rows,
                           &has[i]);
            e->n++;
            e->rows += (double)rows;
            e->over += rows > CL_BLOCK_CAP;
            e->has_true += has[i];
            holders += has[i];
            holder = has[i] ? i : holder;
        }
        if (holders == 1)
            s_kind_of(k, kind[holder])->only++;
        sodium_memzero(&p, sizeof(p));
    }
    cl_store_abort(&t);
    printf("\nblocking keys over %zu known referrals (cap %d; rows counted "
           "to %d)\n",
           q, CL_BLOCK_CAP, S_BIG);
    printf("  %-7s %8s %10s %9s %10s %10s\n", "key", "present", "mean rows",
           "over cap", "true there", "true only");
    for (int i = 0; i < S_KINDS && k[i].name; i++)
        printf("  %-7s %8zu %10.1f %9zu %10zu %10zu\n", k[i].name + 4, k[i].n,
               k[i].n ? k[i].rows / (double)k[i].n : 0, k[i].over,
               k[i].has_true, k[i].only);
    return rc;
}

/* Each set's referrals matched once, interleaved, so that the load of
 * the moment weighs on both. */
static int s_pass(cl_txn *t, const cl_match_config *mc, const cl_caller *who,
                  const s_build *b, const synth_pop *fresh, s_set q[2])
{
    int rc = CL_OK;
    size_t i = 0, j = 0;
    memset(q, 0, 2 * sizeof(*q));
    for (bool more = true; rc == CL_OK && more;) {
        more = false;
        if (i < fresh->n_records && q[0].n < S_QUERIES) {
            rc = s_query(t, mc, who, b, fresh->records[i++].person, UINT32_MAX,
                         &q[0]);
            more = true;
        }
        while (j < b->pop.n_records && !b->held[j])
            j++;
        if (rc == CL_OK && j < b->pop.n_records) {
            rc = s_query(t, mc, who, b, b->pop.records[j].person,
                         b->pop.records[j].truth, &q[1]);
            j++;
            more = true;
        }
    }
    return rc;
}

/* Two passes over the same referrals: the first fills the process's map
 * of the file, as a daemon that has been running has it, and is shown
 * as a median only; the second is measured. */
/* --check: the floors the known referrals must reach (test_match_bench):
 * the blocking's recall, and no link to the wrong person. */
#define S_FLOOR_FOUND 0.99
#define S_CEIL_WRONG  0.002

static int s_measure(cl_store *s, const s_build *b, bool check)
{
    cl_match_config mc;
    cl_caller who;
    cl_txn *t = NULL;
    synth_pop fresh;
    static s_set q[2];
    int rc = CL_OK;
    cl_match_config_defaults(&mc);
    memset(&who, 0, sizeof(who));
    CL_COPY(who.name, "police");
    CL_COPY(who.agency, s_agency[1]);
    who.roles = CL_ROLE_PUBLISHER;
    synth_generate(&fresh, 3000, 77);
    if ((rc = cl_store_begin(&t, s, NULL, true)) != CL_OK)
        return rc;
    rc = s_pass(t, &mc, &who, b, &fresh, q);
    if (rc == CL_OK) {
        for (int k = 0; k < 2; k++) {
            qsort(q[k].lat, q[k].n, sizeof(uint64_t), s_cmp_u64);
            qsort(q[k].cpu, q[k].n, sizeof(uint64_t), s_cmp_u64);
        }
        printf("first pass (the map of the file still filling): new p50 %.0f "
               "us wall, %.0f us CPU; known p50 %.0f us wall, %.0f us CPU\n\n",
               s_pct(q[0].lat, q[0].n, 0.5) / 1e3,
               s_pct(q[0].cpu, q[0].n, 0.5) / 1e3,
               s_pct(q[1].lat, q[1].n, 0.5) / 1e3,
               s_pct(q[1].cpu, q[1].n, 0.5) / 1e3);
        rc = s_pass(t, &mc, &who, b, &fresh, q);
    }
    cl_store_abort(&t);
    synth_free(&fresh);
    if (rc == CL_OK) {
        s_report("new people", &q[0], false);
        s_report("known people (another agency's record is stored)", &q[1],
                 true);
    }
    double n = q[1].n ? (double)q[1].n : 1;
    if (rc == CL_OK && check &&
        ((double)q[1].found / n < S_FLOOR_FOUND ||
         (double)q[1].linked_other / n > S_CEIL_WRONG)) {
        printf("CHECK FAILED: the true person among the candidates under %.2f "
               "or links to another over %.3f\n",
               S_FLOOR_FOUND, S_CEIL_WRONG);
        rc = CL_ERR_INVALID;
    }
    return rc;
}

/* The most the store may grow to: 8 KiB a person (a 1,000,000-person
 * store is 3 GB), at least 1 GiB; small enough for valgrind's address
 * space. */
static size_t s_map_size(size_t people)
{
    size_t m = people * (size_t)8192;
    return m > ((size_t)1 << 30) ? m : (size_t)1 << 30;
}

int main(int argc, char **argv)
{
    size_t people = 0;
    bool keep = false, keys = false, check = false;
    const char *store_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--people") && i + 1 < argc)
            people = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--store") && i + 1 < argc)
            store_dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else if (!strcmp(argv[i], "--keys"))
            keys = true;
        else if (!strcmp(argv[i], "--check"))
            check = true;
        else
            people = 0;
    }
    if (!people || sodium_init() < 0) {
        fprintf(stderr, "usage: caselink-match-bench --people N "
                        "[--store DIR] [--keep] [--keys] [--check]\n");
        return 2;
    }
    char dir[256], fp[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    double la[3] = {0};
    if (store_dir) {
        snprintf(dir, sizeof(dir), "%s", store_dir);
        mkdir(dir, 0700);
    } else {
        th_tmpdir(dir, sizeof(dir));
    }
    memset(mk, 5, sizeof(mk));
    if (cl_store_open(&s, dir, mk, s_map_size(people)) != CL_OK) {
        fprintf(stderr, "cannot open a store in %s\n", dir);
        return 1;
    }
    getloadavg(la, 3);
    printf("caselink match benchmark (in-process, the daemon's matching "
           "code); load average %.2f %.2f %.2f\n\n",
           la[0], la[1], la[2]);
    s_build b;
    memset(&b, 0, sizeof(b));
    fprintf(stderr, "generating %zu people ...\n", people);
    synth_generate(&b.pop, people, S_SEED);
    s_hold(&b);
    s_assign(&b);
    s_fingerprint(s, &b, fp, sizeof(fp));
    double built = 0;
    uint64_t records = 0;
    cl_txn *t = NULL;
    bool reuse = store_dir && s_stamp_read(dir, fp, &built);
    if (reuse && cl_store_begin(&t, s, NULL, false) == CL_OK) {
        reuse = cl_store_counter(t, "record", &records) == CL_OK &&
                records == b.n_stored;
        cl_store_abort(&t);
    }
    if (!reuse) {
        cl_store_close(&s);
        th_sh("rm -f %s/*.mdb %s/*.mdb-lock %s/bench.stamp", dir, dir, dir);
        if (cl_store_open(&s, dir, mk, s_map_size(people)) != CL_OK)
            return 1;
        fprintf(stderr, "storing %zu records ...\n", b.n_stored);
        uint64_t t0 = s_ns(CLOCK_MONOTONIC);
        if (s_store_all(s, &b) != CL_OK) {
            fprintf(stderr, "storing the population failed\n");
            return 1;
        }
        built = (double)(s_ns(CLOCK_MONOTONIC) - t0) / 1e9;
        if (store_dir)
            s_stamp_write(dir, fp, built);
    }
    printf("%-44s %zu people, %zu agency records, stored in %.0f s%s\n\n",
           "population (stored as linked)", b.pop.n_people, b.n_stored, built,
           reuse ? " (reused)" : "");
    int rc = s_measure(s, &b, check);
    if (rc == CL_OK && keys)
        rc = s_keys_report(s, &b);
    getloadavg(la, 3);
    printf("\nload average at the end %.2f %.2f %.2f\n", la[0], la[1], la[2]);
    free(b.pid);
    free(b.truth);
    free(b.held);
    synth_free(&b.pop);
    cl_store_close(&s);
    if (!keep && !store_dir)
        th_sh("rm -rf %s", dir);
    else
        fprintf(stderr, "store in %s\n", dir);
    return rc == CL_OK ? 0 : 1;
}
