/*
 * match_bench: the cost of matching one new referral against a large
 * store, measured at sizes the full linkage benchmark (caselink-bench
 * --linkage, which links every record on the way in) cannot reach in
 * minutes. The population (tests/synth.c) is stored as already linked:
 * each record under its true person, with the same sealed record, person
 * and blocking index rows the daemon writes (no matching on the way in),
 * in batches without a durable commit. Then 2,000 referrals about people
 * not yet known, without an NHS number, are matched with the daemon's
 * code (cl_linkfind_match_one) and timed, and their candidates counted.
 *
 *   caselink-match-bench --people N [--keep]
 *
 * Prints the load time, the match latency (p50, p90, p99) and the
 * candidate records compared per referral.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "harness.h"
#include "store.h"
#include "synth.h"

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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

/* Store record p of agency a under person pid (0: a new one, into *pid),
 * as cl_linkfind_person does for a record it has linked. */
static int s_put(cl_txn *t, const cl_store *st, const char *agency,
                 const cl_person *p, uint64_t *pid, int64_t now)
{
    cl_records_record rec;
    cl_records_blinds b = {0};
    uint64_t rid = 0;
    uint8_t k[16];
    int rc = CL_OK;
    if (!*pid && ((rc = cl_store_next_id(t, "person", pid)) != CL_OK ||
                  (rc = cl_records_person_put(t, *pid, now, now)) != CL_OK ||
                  (rc = cl_records_activity(t, *pid, now, true)) != CL_OK))
        return rc;
    memset(&rec, 0, sizeof(rec));
    CL_COPY(rec.agency, agency);
    CL_COPY(rec.kind, "gp");
    rec.p = *p;
    rec.person_id = *pid;
    rec.link_reason = CL_LINK_SCORE;
    rec.created = rec.updated = now;
    rec.subject = 1;
    if ((rc = cl_store_next_id(t, "record", &rid)) != CL_OK)
        return rc;
    cl_records_key(k, *pid);
    cl_records_key(k + 8, rid);
    if ((rc = cl_store_put_raw(t, CL_DB_PERSON_RECORDS, k, 16, NULL, 0)) !=
            CL_OK ||
        (rc = cl_records_record_put(t, rid, &rec)) != CL_OK)
        return rc;
    cl_records_ident_blinds(st, agency, &rec.p, &b);
    cl_records_blocking(st, &rec.p, &b);
    for (size_t i = 0; i < b.n && rc == CL_OK; i++)
        rc = cl_records_blinds_put(t, &b, i, rid);
    sodium_memzero(&rec, sizeof(rec));
    return rc;
}

int main(int argc, char **argv)
{
    size_t people = 0;
    bool keep = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--people") && i + 1 < argc)
            people = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
    }
    if (!people || sodium_init() < 0) {
        fprintf(stderr, "usage: caselink-match-bench --people N [--keep]\n");
        return 2;
    }
    static const char *const agency[4] = {
        "Oakfield Surgery", "Northshire Police",
        "Northshire Children's Services", "Northshire Adult Social Care"};
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    memset(mk, 5, sizeof(mk));
    if (cl_store_open(&s, dir, mk, 64ull << 30) != CL_OK)
        return 1;
    synth_pop pop;
    fprintf(stderr, "generating %zu people ...\n", people);
    synth_generate(&pop, people, 1);
    uint64_t *pid = calloc(pop.n_people + 1, sizeof(uint64_t));
    uint64_t t0 = s_now_ns();
    for (size_t i = 0; i < pop.n_records; i++) {
        const synth_record *r = &pop.records[i];
        cl_person p = r->person;
        p.nhs[0] = '\0'; /* as the new referrals: the scores alone */
        if (!t && cl_store_begin(&t, s, NULL, true) != CL_OK)
            return 1;
        if (s_put(t, cl_store_of(t), agency[r->agency], &p, &pid[r->truth],
                  1700000000) != CL_OK)
            return 1;
        if (i % 50000 == 49999 && cl_store_commit(&t) != CL_OK)
            return 1;
    }
    if (t && cl_store_commit(&t) != CL_OK)
        return 1;
    double load = (double)(s_now_ns() - t0) / 1e9;

    cl_match_config mc;
    cl_match_config_defaults(&mc);
    cl_caller who;
    memset(&who, 0, sizeof(who));
    CL_COPY(who.name, "police");
    CL_COPY(who.agency, agency[1]);
    who.roles = CL_ROLE_PUBLISHER;
    synth_pop fresh;
    synth_generate(&fresh, 3000, 77);
    enum { M = 2000 };
    uint64_t lat[M], cand[M];
    size_t n = 0;
    if (cl_store_begin(&t, s, NULL, true) != CL_OK)
        return 1;
    for (size_t i = 0; i < fresh.n_records && n < M; i++) {
        cl_person p = fresh.records[i].person;
        p.nhs[0] = p.chi[0] = p.local_id[0] = '\0';
        uint64_t got = 0, a = s_now_ns();
        double w = 0;
        size_t c = 0;
        if (cl_linkfind_match_one(t, &mc, &who, &p, &got, &w) != CL_OK)
            return 1;
        lat[n] = s_now_ns() - a;
        if (cl_linkfind_candidate_count(t, &p, &c) != CL_OK)
            return 1;
        cand[n++] = c;
    }
    cl_store_abort(&t);
    qsort(lat, n, sizeof(uint64_t), s_cmp_u64);
    qsort(cand, n, sizeof(uint64_t), s_cmp_u64);
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += (double)cand[i] / (double)n;
    printf("caselink match benchmark (in-process, the daemon's matching "
           "code)\n\n");
    printf("%-44s %zu people, %zu agency records, stored in %.0f s\n",
           "population (stored as linked)", pop.n_people, pop.n_records, load);
    printf("%-44s p50 %.0f us, p90 %.0f us, p99 %.0f us\n",
           "match one new referral (no NHS number)", s_pct(lat, n, 0.5) / 1e3,
           s_pct(lat, n, 0.9) / 1e3, s_pct(lat, n, 0.99) / 1e3);
    printf("%-44s mean %.1f, p50 %.0f, p99 %.0f, max %" PRIu64 "\n",
           "candidate records compared per referral", mean, s_pct(cand, n, 0.5),
           s_pct(cand, n, 0.99), n ? cand[n - 1] : 0);
    free(pid);
    synth_free(&pop);
    synth_free(&fresh);
    cl_store_close(&s);
    if (!keep)
        th_sh("rm -rf %s", dir);
    else
        fprintf(stderr, "kept %s\n", dir);
    return 0;
}
