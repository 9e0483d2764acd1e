/*
 * bench: caselink's benchmark. Starts a real caselinkd (development mode,
 * CURVE on, durable commits) in a fresh folder, loads a store of --people
 * people and --referrals referrals straight through the domain library
 * (the same linking code the daemon runs), and prints issue 17's table:
 *
 *   - one client sending one request at a time (rate, ack p50/p99);
 *   - 8 and 32 clients, each keeping 64 requests in flight;
 *   - acknowledgement latency at 1,000 / 5,000 / 10,000 offered per s
 *     ("saturated" when under 90% of the offered rate is acknowledged);
 *   - the linked case view (p50/p99);
 *   - per load, what the daemon did per acknowledged referral, from
 *     /proc: 4 KiB pages it wrote (wchar / 4096), its CPU, and its
 *     writer thread's CPU - figures that hold on a shared machine;
 *   - the daemon's resident memory;
 *   - "figure NAME VALUE" lines that tests/peers/run reads.
 *
 *   caselink-bench [--people N] [--referrals N] [--seconds S]
 *                  [--rss-minutes M] [--loads one,w8,w32,r1000,...,case]
 *
 * Defaults: 1,000,000 people, 5,000,000 referrals, 5 s per load. The small
 * store of the issue is --people 20000 --referrals 50000.
 *
 * --rss-minutes runs a sustained ingest for M minutes and samples the
 * daemon's resident memory every 10 s (memory flat = no leak).
 *
 *   caselink-bench --writer-cost N
 *
 * publishes N referrals in-process in the daemon's batch shape and prints
 * the CPU and pages written per referral (the writer's share alone).
 *
 *   caselink-bench --replication [--seconds S]
 *
 * measures durable ingest and acknowledgement latency twice in one run:
 * replication off (one node) and on (every batch also appended to a
 * three-replica JetStream stream on three local nats-server nodes).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "core.h"
#include "harness.h"
#include "store.h"
#include "synth.h"
#include "th_nats.h"

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A valid NHS number from a serial, a different one for every serial
 * (below 450,000,000): nine digits plus check digit. The nine digits are
 * 100000000 + 2 * serial, or one more when that has no valid check digit
 * (check 10): the last digit is even, so one more carries nowhere, and it
 * moves the weighted sum by 2, giving check 8. Numbers that skipped ahead
 * to the next serial's, as before, gave one person in eleven another's
 * number: their referrals linked to one record, rewriting its details and
 * blocking keys on every referral. */
static void s_nhs(char out[CL_ID_SZ], uint64_t serial)
{
    for (uint64_t v = 100000000u + 2 * (serial % 449999999u);; v++) {
        char d[10];
        snprintf(d, sizeof(d), "%09" PRIu64, v);
        int sum = 0;
        for (int i = 0; i < 9; i++)
            sum += (d[i] - '0') * (10 - i);
        int c = 11 - sum % 11;
        if (c == 11)
            c = 0;
        if (c != 10) {
            snprintf(out, CL_ID_SZ, "%s%d", d, c);
            return;
        }
    }
}

static const char *const s_given[] = {
    "Oliver",   "Amelia", "George", "Isla",  "Harry",   "Ava",     "Noah",
    "Mia",      "Jack",   "Ivy",    "Leo",   "Lily",    "Arthur",  "Sophia",
    "Muhammad", "Grace",  "Oscar",  "Freya", "Charlie", "Emily",   "Jacob",
    "Ella",     "Thomas", "Poppy",  "Henry", "Evie",    "William", "Ruby"};
static const char *const s_family[] = {
    "Smith",   "Jones",   "Taylor", "Brown",    "Williams", "Wilson",
    "Johnson", "Davies",  "Patel",  "Robinson", "Wright",   "Thompson",
    "Evans",   "Walker",  "White",  "Roberts",  "Green",    "Hall",
    "Wood",    "Jackson", "Clarke", "Khan",     "Lewis",    "Hughes",
    "Edwards", "Turner",  "Hill",   "Moore"};

/* A deterministic synthetic person for serial i. */
static void s_person(cl_person *p, uint64_t i)
{
    memset(p, 0, sizeof(*p));
    s_nhs(p->nhs, i);
    uint64_t h = i * 0x9E3779B97F4A7C15ull;
    cl_copy(p->given, sizeof(p->given), s_given[h % 28]);
    snprintf(p->family, sizeof(p->family), "%s%c", s_family[(h >> 8) % 28],
             (char)('a' + (h >> 16) % 26));
    snprintf(p->dob, sizeof(p->dob), "%04d-%02d-%02d",
             1930 + (int)((h >> 24) % 90), 1 + (int)((h >> 32) % 12),
             1 + (int)((h >> 40) % 28));
    p->sex = (uint8_t)(1 + (h >> 48) % 2);
    snprintf(p->postcode, sizeof(p->postcode), "LS%d %d%c%c",
             1 + (int)((h >> 50) % 28), (int)((h >> 54) % 10),
             'A' + (int)((h >> 56) % 26), 'A' + (int)((h >> 60) % 16));
}

void bench_referral(cl_referral *r, uint64_t person, uint64_t n)
{
    memset(r, 0, sizeof(*r));
    s_person(&r->subject, person);
    snprintf(r->agency_ref, sizeof(r->agency_ref), "B-%" PRIu64, n);
    r->category = (uint8_t)(1 + n % 12);
    r->risk = (uint8_t)(1 + n % 4);
    r->basis = 1;
    r->consent = 1;
    cl_copy(r->concern, sizeof(r->concern),
            "Concern raised at a routine contact; follow-up requested.");
    /* before the bench clock (1700000000), whatever n: a referral dated
     * more than a day ahead is refused, which stopped the default load
     * (1M people, 5M referrals) at referral 86,401 */
    r->occurred_at = 1700000000 - (int64_t)(n % 50000000u);
}

/* --- bulk load through the domain library --------------------------------- */

/* Publish r from who inside t at the fixed bench clock (the daemon's
 * cl_linkfind_publish in a context of its own): *pid the subject's
 * person (may be NULL), err why it failed. */
static int s_publish(cl_txn *t, const cl_match_config *mc, const cl_caller *who,
                     const cl_referral *r, cl_publish_result *out,
                     uint64_t *pid, char err[CL_ERROR_SZ])
{
    cl_op op;
    cl_op_init(&op, t, who, 1700000000);
    int rc = cl_linkfind_publish(&op, mc, r, out);
    if (pid)
        *pid = op.note.persons[0];
    return cl_op_result(&op, rc, err);
}

static void s_bulk_load(const th_daemon *d, uint64_t people, uint64_t referrals)
{
    char path[300], err[256], state[300];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    cl_caller who;
    cl_referral *r = calloc(1, sizeof(*r));
    memset(&who, 0, sizeof(who));
    CL_COPY(who.name, "gp");
    CL_COPY(who.agency, "Oakfield Surgery");
    CL_COPY(who.kind, "gp");
    who.roles = CL_ROLE_PUBLISHER;
    snprintf(path, sizeof(path), "%s/master.key", d->dir);
    snprintf(state, sizeof(state), "%s/state", d->dir);
    if (cl_store_key_load(mk, path, err, sizeof(err)) != CL_OK ||
        cl_store_open(&s, state, mk, 64ull << 30) != CL_OK) {
        fprintf(stderr, "bench: cannot open the store: %s\n", err);
        exit(1);
    }
    uint64_t t0 = s_now_ns();
    for (uint64_t n = 0; n < referrals; n++) {
        if (!t && cl_store_begin(&t, s, NULL, true) != CL_OK)
            exit(1);
        cl_publish_result out;
        char e[CL_ERROR_SZ] = "";
        memset(&out, 0, sizeof(out));
        /* the first `people` referrals create everyone; the rest spread
         * over them */
        uint64_t person = n < people ? n : (n * 2654435761u) % people;
        bench_referral(r, person, n);
        if (s_publish(t, &mc, &who, r, &out, NULL, e) != CL_OK) {
            fprintf(stderr, "bench: load failed at %" PRIu64 ": %s\n", n, e);
            exit(1);
        }
        if (n % 20000 == 19999 || n + 1 == referrals) {
            if (cl_store_commit(&t) != CL_OK)
                exit(1);
            if (n % 500000 == 499999)
                fprintf(stderr, "  loaded %" PRIu64 " referrals\n", n + 1);
        }
    }
    double secs = (double)(s_now_ns() - t0) / 1e9;
    fprintf(stderr,
            "  loaded %" PRIu64 " people, %" PRIu64
            " referrals in %.0f s (%.0f referrals/s linked, in-process)\n",
            people, referrals, secs, (double)referrals / secs);
    cl_store_close(&s);
    free(r);
}

/* --- ingest ----------------------------------------------------------------
 */

typedef struct s_worker {
    const th_daemon *d;
    int id;
    int window;     /* requests in flight */
    double seconds; /* run this long */
    double rate;    /* open loop: per-worker offered rate, or 0 */
    uint64_t acked;
    uint64_t refused;      /* replies other than OK */
    char why[CL_ERROR_SZ]; /* ... the first one's error */
    uint64_t *lat_ns;      /* latencies of the acknowledgements */
    size_t n_lat, cap_lat;
    atomic_ulong *serial; /* shared agency reference counter */
    uint64_t people;      /* referrals are about people already held */
} s_worker;

#define S_WINDOW 64

static void *s_ingest(void *arg)
{
    s_worker *w = arg;
    cl_client *c = th_client(w->d, "gp");
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_PUBLISH_REFERRAL;
    uint64_t sent_at[S_WINDOW * 4];
    uint8_t ids[S_WINDOW * 4][CL_MSGID_LEN];
    int inflight = 0;
    uint64_t start = s_now_ns(), end = start + (uint64_t)(w->seconds * 1e9);
    uint64_t next = start, sent = 0;
    while (s_now_ns() < end || inflight) {
        bool may_send = s_now_ns() < end && inflight < w->window;
        if (may_send && w->rate > 0 && s_now_ns() < next)
            may_send = false;
        if (may_send) {
            uint64_t n = atomic_fetch_add(w->serial, 1);
            bench_referral(&q->u.publish, n % w->people, n);
            memset(q->msgid, 0, CL_MSGID_LEN);
            if (cl_client_send(c, q) != CL_OK)
                break;
            int slot = (int)(sent % (S_WINDOW * 4));
            memcpy(ids[slot], q->msgid, CL_MSGID_LEN);
            sent_at[slot] = s_now_ns();
            sent++;
            inflight++;
            next += w->rate > 0 ? (uint64_t)(1e9 / w->rate) : 0;
            continue;
        }
        cl_reply rep;
        int wait_ms = 1000;
        if (w->rate > 0 && s_now_ns() < end) {
            /* Never spin: on two cores a spinning driver starves the
             * daemon it measures. */
            uint64_t now = s_now_ns();
            wait_ms = next > now ? 1 + (int)((next - now) / 1000000) : 1;
            if (inflight == 0 && next > now) {
                struct timespec ts = {0, (long)(next - now)};
                nanosleep(&ts, NULL);
                continue;
            }
        }
        int rc = cl_client_recv(c, &rep, wait_ms);
        if (rc == CL_ERR_TIMEOUT)
            continue;
        if (rc != CL_OK)
            break;
        uint64_t now = s_now_ns();
        if (rep.status == CL_STATUS_OK)
            w->acked++;
        else if (!w->refused++)
            CL_COPY(w->why, rep.error);
        for (int k = 0;
             k < S_WINDOW * 4 && w->lat_ns && rep.status == CL_STATUS_OK; k++)
            if (!memcmp(ids[k], rep.msgid, CL_MSGID_LEN)) {
                if (w->n_lat < w->cap_lat)
                    w->lat_ns[w->n_lat++] = now - sent_at[k];
                break;
            }
        cl_reply_clear(&rep);
        inflight--;
    }
    free(q);
    cl_client_close(&c);
    return NULL;
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double s_pct(uint64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1));
    return (double)v[i] / 1000.0; /* microseconds */
}

static atomic_ulong s_serial = 1;

static uint64_t s_people = 1;

/* --- what the daemon did, from /proc ------------------------------------ */

/* Counters of the daemon process: bytes it passed to write calls (wchar:
 * LMDB writes whole 4 KiB pages with pwrite, so wchar / 4096 is the pages
 * written; log lines add a few bytes; ZeroMQ sends do not count), CPU of
 * the whole process and of its writer thread (the one that applies and
 * commits). write_bytes is not used: on this kernel it counts about ten
 * times the pages LMDB writes. */
typedef struct s_counts {
    uint64_t wchar;
    double cpu_s;
    double writer_s;
    double serve_s; /* the main thread: the serving loop (server.c) */
} s_counts;

static double s_stat_cpu(const char *path)
{
    char buf[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
                     "%llu",
                     &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static s_counts s_counts_now(pid_t pid)
{
    s_counts c = {0};
    char path[64], line[128];
    snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "wchar:", 6))
            c.wchar = strtoull(line + 6, NULL, 10);
    if (f)
        fclose(f);
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    c.cpu_s = s_stat_cpu(path);
    /* the writer is the thread named cl-writer (daemon/writer.c); in a
     * daemon from before it, the main thread */
    long tid = (long)pid;
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    for (struct dirent *e; dir && (e = readdir(dir));) {
        char comm[384], name[32] = "";
        snprintf(comm, sizeof(comm), "%s/%s/comm", path, e->d_name);
        f = e->d_name[0] != '.' ? fopen(comm, "r") : NULL;
        if (f && fgets(name, sizeof(name), f) && !strcmp(name, "cl-writer\n"))
            tid = atol(e->d_name);
        if (f)
            fclose(f);
    }
    if (dir)
        closedir(dir);
    snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", (int)pid, tid);
    c.writer_s = s_stat_cpu(path);
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
    c.serve_s = s_stat_cpu(path);
    return c;
}

/* One load's figures. */
typedef struct s_result {
    double rate;           /* acknowledged per second */
    double p50, p99, p999; /* ack latency, microseconds */
    double pages;          /* pages written per acknowledged referral */
    double cpu_us;         /* daemon CPU per acknowledged referral */
    double writer_us;      /* of which its writer thread */
    double serve_us;       /* ... and its serving (main) thread */
    uint64_t refused;      /* replies other than OK: not in the figures */
    char why[CL_ERROR_SZ]; /* ... the first one's error */
} s_result;

/*
 * Run clients workers, each keeping window requests in flight, for seconds;
 * with offered > 0 the workers together offer that many per second (open
 * loop). Latencies are from just before the send to the reply.
 */
static s_result s_load(const th_daemon *d, int clients, int window,
                       double offered, double seconds)
{
    pthread_t th[64];
    s_worker w[64];
    double est = offered > 0 ? offered : 60000;
    size_t cap = (size_t)(est * seconds / clients) + 1000;
    s_counts c0 = s_counts_now(d->pid);
    for (int i = 0; i < clients; i++) {
        w[i] = (s_worker){.d = d,
                          .id = i,
                          .window = window,
                          .seconds = seconds,
                          .rate = offered > 0 ? offered / clients : 0,
                          .serial = &s_serial,
                          .people = s_people,
                          .lat_ns = calloc(cap, sizeof(uint64_t)),
                          .cap_lat = cap};
        pthread_create(&th[i], NULL, s_ingest, &w[i]);
    }
    uint64_t *all = calloc(cap * (size_t)clients, sizeof(uint64_t));
    size_t n = 0;
    uint64_t acked = 0, refused = 0;
    char why[CL_ERROR_SZ] = "";
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        refused += w[i].refused;
        if (!why[0])
            CL_COPY(why, w[i].why);
        memcpy(all + n, w[i].lat_ns, w[i].n_lat * sizeof(uint64_t));
        n += w[i].n_lat;
        acked += w[i].acked;
        free(w[i].lat_ns);
    }
    s_counts c1 = s_counts_now(d->pid);
    qsort(all, n, sizeof(uint64_t), s_cmp_u64);
    s_result r = {.rate = (double)acked / seconds,
                  .p50 = s_pct(all, n, 0.50),
                  .p99 = s_pct(all, n, 0.99),
                  .p999 = s_pct(all, n, 0.999),
                  .refused = refused};
    CL_COPY(r.why, why);
    if (acked) {
        r.pages = (double)(c1.wchar - c0.wchar) / 4096.0 / (double)acked;
        r.cpu_us = (c1.cpu_s - c0.cpu_s) * 1e6 / (double)acked;
        r.writer_us = (c1.writer_s - c0.writer_s) * 1e6 / (double)acked;
        r.serve_us = (c1.serve_s - c0.serve_s) * 1e6 / (double)acked;
    }
    if (getenv("BENCH_DEBUG"))
        fprintf(stderr,
                "  %d clients x %d, offered %.0f/s: %zu acks in %.0f s\n",
                clients, window, offered, n, seconds);
    free(all);
    return r;
}

static double s_run_ingest(const th_daemon *d, int clients, double seconds)
{
    return s_load(d, clients, S_WINDOW, 0, seconds).rate;
}

static void s_run_latency(const th_daemon *d, double rate, double seconds,
                          double out[3])
{
    s_result r = s_load(d, 4, S_WINDOW, rate, seconds);
    out[0] = r.p50;
    out[1] = r.p99;
    out[2] = r.p999;
}

/* Linked case views by NHS number: p50, p99 (us) and pages written per
 * view (each view commits its own audit entry) into out. */
static void s_run_queries(const th_daemon *d, uint64_t people, int n,
                          double out[3])
{
    cl_client *co = th_client(d, "coordinator");
    s_counts c0 = s_counts_now(d->pid);
    uint64_t *lat = calloc((size_t)n, sizeof(uint64_t));
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_GET_PERSON;
    CL_COPY(q->u.get_person.justification, "benchmark: timing a case view");
    q->u.get_person.access_reason = 5; /* data_quality */
    uint64_t h = 12345;
    for (int i = 0; i < n; i++) {
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        s_nhs(q->u.get_person.match.nhs, (h >> 20) % people);
        memset(q->msgid, 0, CL_MSGID_LEN);
        cl_reply rep;
        uint64_t t0 = s_now_ns();
        if (cl_client_call(co, q, &rep) != CL_OK ||
            rep.status != CL_STATUS_OK) {
            fprintf(stderr, "bench: query failed: %s\n", rep.error);
            exit(1);
        }
        lat[i] = s_now_ns() - t0;
        cl_reply_clear(&rep);
    }
    s_counts c1 = s_counts_now(d->pid);
    qsort(lat, (size_t)n, sizeof(uint64_t), s_cmp_u64);
    out[0] = s_pct(lat, (size_t)n, 0.50);
    out[1] = s_pct(lat, (size_t)n, 0.99);
    out[2] = (double)(c1.wchar - c0.wchar) / 4096.0 / n;
    free(lat);
    free(q);
    cl_client_close(&co);
}

static long s_rss_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    long v = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, field, strlen(field)))
            v = atol(line + strlen(field) + 1);
    fclose(f);
    return v;
}

/* The second half of --linkage: 2,000 new referrals about people not yet
 * known, matched (the decision alone) and then stored, timed. */
static int s_linkage_match(cl_store *s, const cl_match_config *mc,
                           const cl_caller *who, cl_referral *r,
                           size_t n_people)
{
    cl_txn *t = NULL;
    /* new referrals about people not yet known, no NHS number: the
     * probabilistic path every time */
    synth_pop fresh;
    synth_generate(&fresh, 3000, 77);
    enum { M = 2000 };
    uint64_t *lat = calloc(M, sizeof(uint64_t));
    uint64_t *cand = calloc(M, sizeof(uint64_t));
    uint64_t *pub = calloc(M, sizeof(uint64_t));
    size_t n = 0;
    if (cl_store_begin(&t, s, NULL, true) != CL_OK)
        return 1;
    for (size_t i = 0; i < fresh.n_records && n < M; i++) {
        char err[CL_ERROR_SZ] = "";
        cl_publish_result out;
        memset(r, 0, sizeof(*r));
        snprintf(r->agency_ref, sizeof(r->agency_ref), "N-%zu", i);
        r->subject = fresh.records[i].person;
        r->subject.nhs[0] = r->subject.chi[0] = r->subject.local_id[0] = '\0';
        r->category = 12;
        r->basis = 1;
        if (cl_referral_validate(r, err, &out) != CL_OK)
            continue;
        uint64_t pid = 0, a = s_now_ns();
        double w = 0;
        if (cl_linkfind_match_one(t, mc, &who[1], &r->subject, &pid, &w) !=
            CL_OK)
            return 1;
        lat[n] = s_now_ns() - a;
        a = s_now_ns();
        if (s_publish(t, mc, &who[1], r, &out, NULL, err) != CL_OK)
            return 1;
        pub[n] = s_now_ns() - a;
        size_t c = 0;
        if (cl_linkfind_candidate_count(t, &r->subject, &c) != CL_OK)
            return 1;
        cand[n++] = c;
    }
    qsort(cand, n, sizeof(uint64_t), s_cmp_u64);
    double cmean = 0;
    for (size_t i = 0; i < n; i++)
        cmean += (double)cand[i] / (double)n;
    cl_store_abort(&t);
    qsort(lat, n, sizeof(uint64_t), s_cmp_u64);
    char label[96];
    snprintf(label, sizeof(label), "match one new referral vs %zu people",
             n_people);
    printf("%-48s p50 %.0f us, p99 %.0f us\n", label, s_pct(lat, n, 0.5),
           s_pct(lat, n, 0.99));
    qsort(pub, n, sizeof(uint64_t), s_cmp_u64);
    printf("%-48s p50 %.0f us, p99 %.0f us\n",
           "store it too (record, index rows, referral)", s_pct(pub, n, 0.5),
           s_pct(pub, n, 0.99));
    free(pub);
    printf("%-48s mean %.1f, p50 %.0f, p99 %.0f, max %llu\n",
           "candidate records compared per new referral", cmean,
           s_pct(cand, n, 0.5) * 1000.0, s_pct(cand, n, 0.99) * 1000.0,
           (unsigned long long)(n ? cand[n - 1] : 0));
    free(lat);
    free(cand);
    synth_free(&fresh);
    return 0;
}

/* --linkage N: quality and speed of linking on a generated population of
 * N people (in-process, the daemon's linking code), then the time to match
 * one new referral against it. */
static int s_linkage(size_t people)
{
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    static const char *const agency[4] = {
        "Oakfield Surgery", "Northshire Police",
        "Northshire Children's Services", "Northshire Adult Social Care"};
    cl_caller who[4];
    cl_referral *r = calloc(1, sizeof(*r));
    synth_pop pop;
    th_tmpdir(dir, sizeof(dir));
    memset(mk, 5, sizeof(mk));
    if (cl_store_open(&s, dir, mk, 64ull << 30) != CL_OK)
        return 1;
    for (int a = 0; a < 4; a++) {
        memset(&who[a], 0, sizeof(who[a]));
        CL_COPY(who[a].name, synth_agency_names[a]);
        CL_COPY(who[a].agency, agency[a]);
        who[a].roles = CL_ROLE_PUBLISHER;
    }
    fprintf(stderr, "generating %zu people ...\n", people);
    synth_generate(&pop, people, 1);
    uint64_t *assigned = calloc(pop.n_records, sizeof(uint64_t));
    uint64_t t0 = s_now_ns();
    for (size_t i = 0; i < pop.n_records; i++) {
        char err[CL_ERROR_SZ] = "";
        cl_publish_result out;
        memset(r, 0, sizeof(*r));
        snprintf(r->agency_ref, sizeof(r->agency_ref), "S-%zu", i);
        r->subject = pop.records[i].person;
        r->category = 12;
        r->basis = 1;
        if (cl_referral_validate(r, err, &out) != CL_OK)
            continue;
        if (!t && cl_store_begin(&t, s, NULL, true) != CL_OK)
            return 1;
        if (s_publish(t, &mc, &who[pop.records[i].agency], r, &out,
                      &assigned[i], err) != CL_OK)
            return 1;
        if (i % 20000 == 19999 && cl_store_commit(&t) != CL_OK)
            return 1;
    }
    if (t && cl_store_commit(&t) != CL_OK)
        return 1;
    double secs = (double)(s_now_ns() - t0) / 1e9;
    synth_score sc = synth_evaluate(&pop, assigned);
    printf("caselink linkage benchmark (in-process, the daemon's linking "
           "code)\n\n");
    printf("%-48s %s\n", "measure", "result");
    printf("%-48s %zu people, %zu agency records\n", "generated population",
           pop.n_people, pop.n_records);
    printf("%-48s %.4f / %.4f / %.4f\n", "precision / recall / F1",
           sc.precision, sc.recall, sc.f1);
    printf("%-48s %.0f records/s\n", "records linked (durable batches)",
           (double)pop.n_records / secs);
    fflush(stdout);
    if (s_linkage_match(s, &mc, who, r, pop.n_people) != 0)
        return 1;
    free(assigned);
    free(r);
    synth_free(&pop);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
    return 0;
}

/* --blind-cost N: what brute-forcing NHS numbers costs whoever holds the
 * index key (derived from the master key): N blind indexes computed the
 * way the store computes them, extrapolated to every number with a valid
 * check digit (about 9.1e8). */
static int s_blind_cost(uint64_t n)
{
    char dir[256], num[16];
    uint8_t mk[CL_MASTER_KEY_LEN] = {7}, out[CL_BLIND_LEN];
    cl_store *s = NULL;
    th_tmpdir(dir, sizeof(dir));
    if (cl_store_open(&s, dir, mk, 1 << 20) != CL_OK)
        return 1;
    uint64_t t0 = s_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        int len = snprintf(num, sizeof(num), "%010" PRIu64, 4000000000u + i);
        cl_store_blind(s, out, "nhs", (const uint8_t *)num, (size_t)len);
    }
    double per_s = (double)n * 1e9 / (double)(s_now_ns() - t0);
    printf("blind index: %.0f per second per core; all 9.1e8 valid NHS "
           "numbers: %.1f core-minutes\n",
           per_s, 9.1e8 / per_s / 60);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
    return 0;
}

/* Replication off, then on, with the same daemon settings and load. */
static int s_replication(double seconds)
{
    th_nats n;
    char servers[256], conf[1024];
    double ingest[2], lat[2][2][3];
    const double rates[2] = {100, 1000};
    if (!th_nats_up(&n)) {
        fprintf(stderr, "the NATS cluster did not elect a leader\n");
        th_nats_down(&n);
        return 1;
    }
    th_nats_servers(&n, servers, sizeof(servers));
    s_people = 20000;
    for (int on = 0; on < 2; on++) {
        th_daemon d;
        memset(&d, 0, sizeof(d));
        snprintf(conf, sizeof(conf),
                 "[limits]\nbatch_max = 1024\nqueue_depth = 10000\n%s%s%s",
                 on ? "[replication]\nservers = " : "", on ? servers : "",
                 on ? "\nstream = BENCH\nnode = bench\n" : "");
        th_start(&d, conf);
        ingest[on] = s_run_ingest(&d, 8, seconds);
        for (int r = 0; r < 2; r++)
            s_run_latency(&d, rates[r], seconds, lat[on][r]);
        th_stop(&d, SIGTERM);
        th_sh("rm -rf %s", d.dir);
    }
    th_nats_down(&n);
    printf("caselink replication benchmark (%ld cores; CURVE on; every ack "
           "after a durable LMDB commit;\n  on: each batch first appended to "
           "a 3-replica JetStream stream, 3 nats-server nodes\n  on this "
           "machine, file storage)\n\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("%-40s %-24s %s\n", "measure", "replication off", "replication on");
    printf("%-40s %-24.0f %.0f referrals/s\n", "durable ingest, 8 clients",
           ingest[0], ingest[1]);
    for (int r = 0; r < 2; r++) {
        char label[64], off[64];
        snprintf(label, sizeof(label), "ack latency at %.0f/s (p50 / p99)",
                 rates[r]);
        snprintf(off, sizeof(off), "%.1f / %.1f ms", lat[0][r][0] / 1000,
                 lat[0][r][1] / 1000);
        printf("%-40s %-24s %.1f / %.1f ms\n", label, off, lat[1][r][0] / 1000,
               lat[1][r][1] / 1000);
    }
    return 0;
}

/* Wait for the daemon's start-up check (daemon/check.c) to end: on a
 * store over 64 MiB it reads the whole store beside the serving loop in
 * one read transaction, and while that is open no commit can reuse the
 * pages earlier commits freed, so every commit writes to new pages at the
 * end of the file. That is start-up's cost (caselink-stall-bench --start
 * measures it), not ingest's. */
static void s_wait_check(const th_daemon *d)
{
    uint64_t t0 = s_now_ns();
    for (int i = 0; i < 6000; i++) {
        char line[512];
        bool done = false;
        FILE *f = fopen(d->log, "r");
        while (f && !done && fgets(line, sizeof(line), f))
            done = strstr(line, "store: every index and counted table") ||
                   strstr(line, "(reads that meet it are refused");
        if (f)
            fclose(f);
        if (done) {
            fprintf(stderr, "  start-up check over after %.1f s\n",
                    (double)(s_now_ns() - t0) / 1e9);
            return;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "bench: the start-up check did not end in 5 minutes\n");
}

/* The figures for tests/peers/run, printed after the table as
 * "figure NAME VALUE" lines. */
static char s_figs[8192];
static size_t s_figs_len;

__attribute__((format(printf, 1, 2))) static void s_fig(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n =
        vsnprintf(s_figs + s_figs_len, sizeof(s_figs) - s_figs_len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(s_figs) - s_figs_len)
        s_figs_len += (size_t)n;
}

/* --loads one,w8,...: only those rows (the names of the figures; "case"
 * for the case view), to profile one load. */
static const char *s_loads;

static bool s_wanted(const char *name)
{
    if (!s_loads)
        return true;
    size_t n = strlen(name);
    for (const char *p = s_loads; (p = strstr(p, name)); p += n)
        if ((p == s_loads || p[-1] == ',') && (!p[n] || p[n] == ','))
            return true;
    return false;
}

/* One row of the table, and its figures for tests/peers/run. */
static void s_row(const char *label, const char *name, const s_result *r,
                  double offered)
{
    char lat[64];
    snprintf(lat, sizeof(lat), "%.2f / %.2f%s", r->p50 / 1000, r->p99 / 1000,
             offered > 0 && r->rate < 0.9 * offered ? " saturated" : "");
    printf("| %-34s | %8.0f/s | %15s | %6.2f | %7.1f | %7.1f | %7.1f |\n",
           label, r->rate, lat, r->pages, r->cpu_us, r->writer_us, r->serve_us);
    if (r->refused) /* the figures are per acknowledgement: say so */
        printf("  (%s: %" PRIu64 " refused, not counted; the first: %s)\n",
               name, r->refused, r->why);
    s_fig("figure %s_refused %" PRIu64 "\n", name, r->refused);
    s_fig("figure %s_rate %.1f\nfigure %s_p50_ms %.3f\nfigure %s_p99_ms %.3f\n"
          "figure %s_pages %.3f\nfigure %s_cpu_us %.2f\nfigure %s_writer_us "
          "%.2f\nfigure %s_serve_us %.2f\n",
          name, r->rate, name, r->p50 / 1000, name, r->p99 / 1000, name,
          r->pages, name, r->cpu_us, name, r->writer_us, name, r->serve_us);
    fflush(stdout);
}

/*
 * The issue-17 table: one client one request at a time, 8 and 32 clients
 * windowed, acknowledgement latency at offered rates, the linked case
 * view; per load the pages the daemon wrote, its CPU and its writer
 * thread's CPU per acknowledged referral (relative figures that hold on
 * a shared machine, where throughput does not). The "figure" lines are
 * for tests/peers/run.
 */
static void s_table(const th_daemon *d, uint64_t people, uint64_t referrals,
                    double seconds)
{
    printf("caselink benchmark: %ld cores, CURVE on, every ack after a "
           "durable commit;\nstore of %" PRIu64 " people and %" PRIu64
           " referrals; %.0f s per load; %s\n\n",
           sysconf(_SC_NPROCESSORS_ONLN), people, referrals, seconds,
           "p50/p99 of the acknowledgement, from send to reply");
    printf("| %-34s | %10s | %15s | %6s | %7s | %7s | %7s |\n", "load",
           "referrals", "ack p50/p99 ms", "pages", "CPU us", "writer",
           "serving");
    printf("|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------",
           "------------", "-----------------", "--------", "---------",
           "---------", "---------");
    s_result r;
    if (s_wanted("one")) {
        r = s_load(d, 1, 1, 0, seconds);
        s_row("1 client, one request at a time", "one", &r, 0);
    }
    if (s_wanted("w8")) {
        r = s_load(d, 8, S_WINDOW, 0, seconds);
        s_row("8 clients, window 64", "w8", &r, 0);
    }
    if (s_wanted("w32")) {
        r = s_load(d, 32, S_WINDOW, 0, seconds);
        s_row("32 clients, window 64", "w32", &r, 0);
    }
    const double rates[] = {1000, 5000, 10000};
    for (size_t i = 0; i < 3; i++) {
        char label[64], name[16];
        snprintf(label, sizeof(label), "offered %.0f/s (4 clients)", rates[i]);
        snprintf(name, sizeof(name), "r%.0f", rates[i]);
        if (!s_wanted(name))
            continue;
        r = s_load(d, 4, S_WINDOW, rates[i], seconds);
        s_row(label, name, &r, rates[i]);
    }
    if (!s_wanted("case"))
        return;
    double q[3];
    s_run_queries(d, people, 2000, q);
    char ql[64];
    snprintf(ql, sizeof(ql), "%.2f / %.2f", q[0] / 1000, q[1] / 1000);
    printf("| %-34s | %10s | %15s | %6.2f | %7s | %7s | %7s |\n",
           "linked case view, one at a time", "", ql, q[2], "", "", "");
    s_fig("figure case_p50_ms %.3f\nfigure case_p99_ms %.3f\nfigure "
          "case_pages %.3f\n",
          q[0] / 1000, q[1] / 1000, q[2]);
    printf("\nlinked case view at %" PRIu64 " people: p50 %.2f ms, p99 %.2f "
           "ms\n",
           people, q[0] / 1000, q[1] / 1000);
    printf("daemon resident memory: %ld MiB (peak %ld MiB)\n",
           s_rss_kib(d->pid, "VmRSS") / 1024,
           s_rss_kib(d->pid, "VmHWM") / 1024);
    printf("pages: 4 KiB pages the daemon wrote (/proc/PID/io wchar / 4096) "
           "per acknowledged referral;\nCPU us: the daemon's CPU per "
           "acknowledged referral; writer: its writer thread's, which applies "
           "and commits;\nserving: its serving thread's, which reads, decodes, "
           "checks and replies\n\n%s",
           s_figs);
    fflush(stdout);
}

/* --parked: children's services keeps a receive parked for its mailbox
 * (a long poll, renewed every 5 s) while the loads run, as an agency
 * system on libcaselink's receive loop does; the GP's referrals are
 * about people no plan names, so no mail comes for it. */
typedef struct s_parker {
    const th_daemon *d;
    atomic_bool stop;
    uint64_t answered; /* receives answered (each at the end of its wait) */
} s_parker;

static void *s_park_loop(void *arg)
{
    s_parker *p = arg;
    cl_client *c = th_client(p->d, "childrens");
    cl_request q;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_INBOX_RECEIVE;
    q.u.inbox.wait_ms = 5000;
    while (!atomic_load(&p->stop)) {
        cl_reply rep;
        memset(q.msgid, 0, CL_MSGID_LEN);
        if (cl_client_call(c, &q, &rep) != CL_OK)
            break;
        p->answered++;
        cl_reply_clear(&rep);
    }
    cl_client_close(&c);
    return NULL;
}

/* The command line, as a table: each option's name, what its value is,
 * and where it goes. Anything else is refused with the usage line, so a
 * mistyped option never starts the default 1M-person load. */
static struct {
    uint64_t people, referrals, rss_minutes, blind_cost, writer_cost, linkage,
        replication, log_commit_ms, parked;
    double seconds;
    const char *log; /* [store] log: on or off; NULL for the default */
} s_args = {.people = 1000000, .referrals = 5000000, .seconds = 5};

typedef enum { S_FLAG, S_COUNT, S_SECONDS, S_LOG, S_LOADS } s_kind;

static const struct {
    const char *name;
    s_kind kind;
    void *to;
} s_opts[] = {
    {"--people", S_COUNT, &s_args.people},
    {"--referrals", S_COUNT, &s_args.referrals},
    {"--seconds", S_SECONDS, &s_args.seconds},
    {"--rss-minutes", S_COUNT, &s_args.rss_minutes},
    {"--loads", S_LOADS, &s_loads},
    {"--log", S_LOG, &s_args.log},
    {"--log-commit-ms", S_COUNT, &s_args.log_commit_ms},
    {"--parked", S_FLAG, &s_args.parked},
    {"--replication", S_FLAG, &s_args.replication},
    {"--blind-cost", S_COUNT, &s_args.blind_cost},
    {"--writer-cost", S_COUNT, &s_args.writer_cost},
    {"--linkage", S_COUNT, &s_args.linkage},
};

static const char *const s_load_names[] = {"one",   "w8",     "w32", "r1000",
                                           "r5000", "r10000", "case"};

static const char s_usage[] =
    "usage: caselink-bench [--people N] [--referrals N] [--seconds S]\n"
    "                      [--rss-minutes M] [--log on|off]\n"
    "                      [--log-commit-ms MS] [--parked]\n"
    "                      [--loads one,w8,w32,r1000,r5000,r10000,case]\n"
    "       caselink-bench --writer-cost N | --blind-cost N | --linkage N\n"
    "       caselink-bench --replication [--seconds S]\n";

/* Every name in a --loads list is one of the table's rows. */
static bool s_loads_known(const char *list)
{
    for (const char *p = list;; p++) {
        size_t n = strcspn(p, ","), k = 0;
        while (k < sizeof(s_load_names) / sizeof(*s_load_names) &&
               (strlen(s_load_names[k]) != n || strncmp(p, s_load_names[k], n)))
            k++;
        if (k == sizeof(s_load_names) / sizeof(*s_load_names))
            return false;
        p += n;
        if (!*p)
            return true;
    }
}

/* One value of kind k into *to; false when it is not one. */
static bool s_value(s_kind k, const char *v, void *to)
{
    char *end = NULL;
    errno = 0;
    if (k == S_COUNT) {
        *(uint64_t *)to = strtoull(v, &end, 10);
        return *v >= '0' && *v <= '9' && !*end && !errno;
    }
    if (k == S_SECONDS) {
        *(double *)to = strtod(v, &end);
        return end != v && !*end && *(double *)to > 0 && *(double *)to < 3600;
    }
    if (k == S_LOG) {
        *(const char **)to = !strcmp(v, "on") ? "on" : "off";
        return !strcmp(v, "on") || !strcmp(v, "off");
    }
    *(const char **)to = v;
    return s_loads_known(v);
}

/* Parses argv into s_args; false (after the usage line) on anything that
 * is not an option of the table with a valid value. */
static bool s_parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            fputs(s_usage, stdout);
            exit(0);
        }
        size_t o = 0;
        while (o < sizeof(s_opts) / sizeof(*s_opts) &&
               strcmp(argv[i], s_opts[o].name))
            o++;
        if (o == sizeof(s_opts) / sizeof(*s_opts)) {
            fprintf(stderr, "caselink-bench: unknown option %s\n%s", argv[i],
                    s_usage);
            return false;
        }
        if (s_opts[o].kind == S_FLAG) {
            *(uint64_t *)s_opts[o].to = 1;
            continue;
        }
        if (i + 1 == argc ||
            !s_value(s_opts[o].kind, argv[i + 1], s_opts[o].to)) {
            fprintf(stderr, "caselink-bench: %s needs %s\n%s", argv[i],
                    i + 1 == argc ? "a value" : "a valid value", s_usage);
            return false;
        }
        i++;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (!s_parse(argc, argv))
        return 2;
    uint64_t people = s_args.people, referrals = s_args.referrals;
    double seconds = s_args.seconds;
    int rss_minutes = (int)s_args.rss_minutes;
    const char *log = s_args.log;
    char conf[320], every[48] = "";
    if (sodium_init() < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    if (s_args.replication)
        return s_replication(seconds);
    if (s_args.blind_cost)
        return s_blind_cost(s_args.blind_cost);
    if (s_args.writer_cost)
        return bench_writer_cost(s_args.writer_cost);
    if (s_args.linkage)
        return s_linkage((size_t)s_args.linkage);
    if (referrals < people)
        referrals = people;
    s_people = people;

    th_daemon d;
    memset(&d, 0, sizeof(d));
    /* Every client thread is the one "gp" key, standing for 8 or 32
     * agency systems: [limits] client_inflight_max (256 a key by default)
     * would refuse half of 8 x 64 in flight BUSY, and the figures would
     * count their work but not them. */
    if (s_args.log_commit_ms) /* [store] log_commit_ms; else its default */
        snprintf(every, sizeof(every), "log_commit_ms = %" PRIu64 "\n",
                 s_args.log_commit_ms);
    snprintf(conf, sizeof(conf),
             "[store]\nmap_size_mb = 65536\n%s%s%s%s[limits]\nbatch_max = "
             "1024\nqueue_depth = 10000\nclient_inflight_max = 4096\n",
             log ? "log = " : "", log ? log : "", log ? "\n" : "", every);
    th_start(&d, conf);
    th_stop(&d, SIGTERM); /* keys and config made; load the store offline */
    fprintf(stderr,
            "loading %" PRIu64 " people and %" PRIu64 " referrals ...\n",
            people, referrals);
    s_bulk_load(&d, people, referrals);
    atomic_store(&s_serial, referrals + 1); /* agency references unused */
    th_start(&d, NULL);
    s_wait_check(&d);
    s_parker parker = {.d = &d};
    pthread_t park_th;
    if (s_args.parked) {
        pthread_create(&park_th, NULL, s_park_loop, &parker);
        usleep(300 * 1000); /* parked before the first load */
    }

    s_table(&d, people, referrals, seconds);
    if (s_args.parked) {
        atomic_store(&parker.stop, true);
        pthread_join(park_th, NULL);
    }

    if (rss_minutes > 0) {
        printf("\nsustained ingest, 8 clients, %d min: resident memory every "
               "10 s (MiB)\n",
               rss_minutes);
        for (int i = 0; i < rss_minutes * 6; i++) {
            s_run_ingest(&d, 8, 10);
            printf("%ld%s", s_rss_kib(d.pid, "VmRSS") / 1024,
                   (i + 1) % 12 ? " " : "\n");
            fflush(stdout);
        }
        printf("\n");
    }
    th_stop(&d, SIGTERM);
    /* what held the writer up over all the loads (writer.c, at stop) */
    th_sh("grep -ho 'store: [0-9]* held commits.*' %s | sed 's/^/daemon: /'",
          d.log);
    th_sh("rm -rf %s", d.dir);
    return 0;
}
