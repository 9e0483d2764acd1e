/*
 * stall_bench: does a heavy read hold other clients up? Starts a real
 * caselinkd (development mode, CURVE on, durable commits), has the
 * police publish --people referrals about as many people through it, then
 * measures, for --seconds each:
 *
 *   health            a GP sending health, one request at a time
 *                     (latency p50 / p99 / max): no disk in its path;
 *   health + heavy    the same while a coordinator keeps two case
 *                     findings and an auditor two audit verifies in
 *                     flight all the time (client_heavy_max), with how
 *                     many of those completed and their mean time;
 *   health + publish  and the police publishing one at a time (each
 *                     reply after a durable commit);
 *   ... + heavy       and the heavy clients again;
 * each with the daemon's commit latencies from admin stats.
 *
 * The loads run twice, with the daemon restarted in between on the same
 * store: `[limits] readers = 0` (heavy reads in the batch, as before the
 * reader threads) and `readers = R`. Issue 17's target: no request
 * stalls others by more than 10 ms.
 *
 *   caselink-stall-bench [--people N] [--seconds S] [--readers R]
 *
 * Defaults: 20,000 people, 5 s per load, 2 readers.
 *
 *   caselink-stall-bench --start --people N
 *
 * measures start-up instead: publishes N referrals about N people (four
 * clients, 64 in flight each: the real path, audit entries and all),
 * restarts the daemon on that store and prints how long until it answered
 * and until its check of every counted table and index was done (the
 * daemon's log line), with the data file's size.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *const s_given[] = {
    "Oliver", "Amelia", "George", "Isla",  "Harry", "Ava",    "Noah",
    "Mia",    "Jack",   "Ivy",    "Leo",   "Lily",  "Arthur", "Sophia",
    "Grace",  "Oscar",  "Freya",  "Henry", "Evie",  "Ruby"};

/* Referral n, about person n % people: a distinct name and birth date. */
static cl_request *s_referral(uint64_t n, uint64_t people)
{
    uint64_t p = n % people;
    char ref[32], family[16], dob[16];
    snprintf(ref, sizeof(ref), "STALL-%" PRIu64, n);
    snprintf(family, sizeof(family), "Fam%c%c%c%c", 'a' + (int)(p % 26),
             'a' + (int)(p / 26 % 26), 'a' + (int)(p / 676 % 26),
             'a' + (int)(p / 17576 % 26));
    snprintf(dob, sizeof(dob), "%04d-%02d-%02d", 1940 + (int)(p % 70),
             1 + (int)(p / 70 % 12), 1 + (int)(p / 840 % 28));
    return th_referral(ref, s_given[p % 20], family, dob, NULL);
}

/* Publish referrals [from, to) with 64 in flight. */
static void s_load(const th_daemon *d, uint64_t from, uint64_t to,
                   uint64_t people)
{
    cl_client *c = th_client(d, "police");
    uint64_t sent = from, got = from;
    while (got < to) {
        while (sent < to && sent - got < 64) {
            cl_request *q = s_referral(sent++, people);
            if (cl_client_send(c, q) != CL_OK)
                exit(1);
            free(q);
        }
        cl_reply rep;
        if (cl_client_recv(c, &rep, 30000) != CL_OK) {
            fprintf(stderr, "stall_bench: no reply while loading\n");
            exit(1);
        }
        if (rep.status != CL_STATUS_OK) {
            fprintf(stderr, "stall_bench: load refused: %s\n", rep.error);
            exit(1);
        }
        cl_reply_clear(&rep);
        got++;
    }
    cl_client_close(&c);
}

/* --- the clients ---------------------------------------------------------- */

typedef struct s_worker {
    const th_daemon *d;
    const char *client;
    cl_req_kind kind;
    atomic_bool *stop;
    uint64_t people;
    atomic_ulong *serial; /* publish: the next referral */
    uint64_t *lat_us;     /* light: each request's latency */
    size_t n, cap;
    uint64_t done, busy, sum_us; /* heavy: completed, refused, their time */
} s_worker;

static void s_request(s_worker *w, cl_request *q)
{
    memset(q, 0, sizeof(*q));
    q->kind = w->kind;
    if (w->kind == CL_REQ_CASE_FINDING) {
        CL_COPY(q->u.finding.agency, "Northshire Police");
        q->u.finding.min_contacts = 1;
        q->u.finding.access_reason = 3;
        CL_COPY(q->u.finding.justification, "stall benchmark review");
    }
}

/* One request at a time, each one timed. */
static void *s_light(void *arg)
{
    s_worker *w = arg;
    cl_client *c = th_client(w->d, w->client);
    cl_request *q = calloc(1, sizeof(*q));
    while (!atomic_load(w->stop) && w->n < w->cap) {
        if (w->kind == CL_REQ_PUBLISH_REFERRAL) {
            cl_request *r =
                s_referral(atomic_fetch_add(w->serial, 1), w->people);
            memcpy(q, r, sizeof(*q));
            free(r);
        } else {
            s_request(w, q);
        }
        cl_reply rep;
        uint64_t t0 = s_now_us();
        if (cl_client_call(c, q, &rep) != CL_OK)
            break;
        w->lat_us[w->n++] = s_now_us() - t0;
        cl_reply_clear(&rep);
        struct timespec ts = {0, 2000000}; /* 2 ms between: ~500/s */
        nanosleep(&ts, NULL);
    }
    free(q);
    cl_client_close(&c);
    return NULL;
}

/* Two in flight all the time. */
static void *s_heavy(void *arg)
{
    s_worker *w = arg;
    cl_client *c = th_client(w->d, w->client);
    cl_request *q = calloc(1, sizeof(*q));
    uint64_t sent_at[2] = {0, 0};
    uint8_t ids[2][CL_MSGID_LEN];
    int inflight = 0;
    while (!atomic_load(w->stop) || inflight) {
        for (int k = 0; k < 2 && !atomic_load(w->stop); k++) {
            if (sent_at[k])
                continue;
            s_request(w, q);
            if (cl_client_send(c, q) != CL_OK)
                goto out;
            memcpy(ids[k], q->msgid, CL_MSGID_LEN);
            sent_at[k] = s_now_us();
            inflight++;
        }
        cl_reply rep;
        if (cl_client_recv(c, &rep, 60000) != CL_OK)
            break;
        for (int k = 0; k < 2; k++)
            if (sent_at[k] && !memcmp(ids[k], rep.msgid, CL_MSGID_LEN)) {
                if (rep.status == CL_STATUS_OK) {
                    w->done++;
                    w->sum_us += s_now_us() - sent_at[k];
                } else {
                    w->busy++;
                }
                sent_at[k] = 0;
                inflight--;
            }
        cl_reply_clear(&rep);
    }
out:
    free(q);
    cl_client_close(&c);
    return NULL;
}

static int s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void s_print_lat(const char *what, s_worker *w)
{
    if (!w->n) {
        printf("  %-8s no replies\n", what);
        return;
    }
    qsort(w->lat_us, w->n, sizeof(uint64_t), s_cmp);
    printf("  %-8s %6zu requests  p50 %7.2f ms  p99 %8.2f ms  max %8.2f ms\n",
           what, w->n, (double)w->lat_us[w->n / 2] / 1000.0,
           (double)w->lat_us[w->n * 99 / 100] / 1000.0,
           (double)w->lat_us[w->n - 1] / 1000.0);
}

static atomic_ulong s_serial;

/* The data file's size in bytes (it grows when commits cannot reuse
 * pages a reader's snapshot still holds). */
static uint64_t s_file_bytes(const th_daemon *d)
{
    char path[400];
    struct stat st;
    snprintf(path, sizeof(path), "%s/state/data.mdb", d->dir);
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The daemon's commit latencies over its last 1,024 commits (admin
 * stats): is a slow reply a slow commit? */
static void s_print_commits(const th_daemon *d)
{
    cl_client *op = th_client(d, "operator");
    cl_request q;
    cl_reply rep;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_ADMIN_STATS;
    if (cl_client_call(op, &q, &rep) == CL_OK && rep.status == CL_STATUS_OK)
        printf("  commits  p50 %7.2f ms  p99 %8.2f ms  max %8.2f ms (last "
               "1,024)\n",
               (double)rep.u.stats.commit_p50_us / 1000.0,
               (double)rep.u.stats.commit_p99_us / 1000.0,
               (double)rep.u.stats.commit_max_us / 1000.0);
    cl_reply_clear(&rep);
    cl_client_close(&op);
}

/* One load of seconds: the GP's health, the police's publishes when
 * publish, the heavy clients when heavy. */
static void s_run(const th_daemon *d, uint64_t people, double seconds,
                  bool publish, bool heavy)
{
    atomic_bool stop = false;
    size_t cap = (size_t)(seconds * 1000) + 16;
    s_worker w[4] = {
        {d, "gp", CL_REQ_HEALTH, &stop, people, &s_serial, NULL, 0, cap, 0, 0,
         0},
        {d, "police", CL_REQ_PUBLISH_REFERRAL, &stop, people, &s_serial, NULL,
         0, cap, 0, 0, 0},
        {d, "coordinator", CL_REQ_CASE_FINDING, &stop, people, &s_serial, NULL,
         0, 0, 0, 0, 0},
        {d, "auditor", CL_REQ_AUDIT_VERIFY, &stop, people, &s_serial, NULL, 0,
         0, 0, 0, 0},
    };
    pthread_t th[4];
    bool on[4] = {true, publish, heavy, heavy};
    uint64_t bytes = s_file_bytes(d);
    for (int i = 0; i < 2; i++)
        w[i].lat_us = calloc(cap, sizeof(uint64_t));
    for (int i = 0; i < 4; i++)
        if (on[i])
            pthread_create(&th[i], NULL, i < 2 ? s_light : s_heavy, &w[i]);
    struct timespec ts = {(time_t)seconds,
                          (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++)
        if (on[i])
            pthread_join(th[i], NULL);
    s_print_lat("health", &w[0]);
    if (publish)
        s_print_lat("publish", &w[1]);
    s_print_commits(d);
    printf("  data file grew %.1f MiB\n",
           (double)(s_file_bytes(d) - bytes) / 1048576.0);
    for (int i = 2; heavy && i < 4; i++)
        printf(
            "  %-12s %" PRIu64 " done (mean %.0f ms), %" PRIu64
            " refused busy\n",
            w[i].kind == CL_REQ_CASE_FINDING ? "case_finding" : "audit_verify",
            w[i].done,
            w[i].done ? (double)w[i].sum_us / (double)w[i].done / 1000.0 : 0.0,
            w[i].busy);
    free(w[0].lat_us);
    free(w[1].lat_us);
}

typedef struct s_range {
    const th_daemon *d;
    uint64_t from, to, people;
} s_range;

static void *s_load_range(void *arg)
{
    s_range *r = arg;
    s_load(r->d, r->from, r->to, r->people);
    return NULL;
}

/* The daemon's "checked in N ms" once its start-up check is done (-1
 * if it did not finish within a minute of asking). */
static long s_checked_ms(const th_daemon *d)
{
    for (int i = 0; i < 600; i++) {
        FILE *f = fopen(d->log, "r");
        char line[512];
        long ms = -1;
        while (f && fgets(line, sizeof(line), f)) {
            const char *p = strstr(line, "checked in ");
            if (p)
                ms = atol(p + strlen("checked in "));
        }
        if (f)
            fclose(f);
        if (ms >= 0)
            return ms;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* --start: time to the first answer and to the end of the check. */
static void s_start_time(th_daemon *d, uint64_t people)
{
    enum { CLIENTS = 4 };
    pthread_t th[CLIENTS];
    s_range r[CLIENTS];
    uint64_t t0 = s_now_us();
    for (int i = 0; i < CLIENTS; i++) {
        r[i] = (s_range){d, people * (uint64_t)i / CLIENTS,
                         people * (uint64_t)(i + 1) / CLIENTS, people};
        pthread_create(&th[i], NULL, s_load_range, &r[i]);
    }
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);
    fprintf(stderr, "loaded %" PRIu64 " referrals in %.1f s\n", people,
            (double)(s_now_us() - t0) / 1e6);
    th_stop(d, SIGTERM);
    th_sh("sync");
    th_sh(": > %s", d->log);
    t0 = s_now_us();
    th_start(d, NULL);
    uint64_t answered = s_now_us() - t0;
    long checked = s_checked_ms(d);
    printf("start-up on %" PRIu64 " people (data file %.0f MiB): first "
           "answer after %.2f s; every counted table and index checked in "
           "%ld ms\n",
           people, (double)s_file_bytes(d) / 1048576.0, (double)answered / 1e6,
           checked);
    th_stop(d, SIGTERM);
}

int main(int argc, char **argv)
{
    uint64_t people = 20000;
    double seconds = 5;
    int readers = 2;
    bool start = false;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--start")) {
            start = true;
            i--;
        } else if (i + 1 >= argc)
            break;
        else if (!strcmp(argv[i], "--people"))
            people = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--readers"))
            readers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
    }
    if (sodium_init() < 0 || people == 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    th_daemon d;
    memset(&d, 0, sizeof(d));
    if (start) {
        th_start(&d, "[store]\nmap_size_mb = 16384\n");
        s_start_time(&d, people);
        th_sh("rm -rf %s", d.dir);
        return 0;
    }
    th_start(&d, "[store]\nmap_size_mb = 4096\n[limits]\nreaders = 0\n");
    uint64_t t0 = s_now_us();
    s_load(&d, 0, people, people);
    fprintf(stderr, "loaded %" PRIu64 " referrals in %.1f s\n", people,
            (double)(s_now_us() - t0) / 1e6);
    atomic_store(&s_serial, people);
    for (int run = 0; run < 2; run++) {
        int r = run ? readers : 0;
        if (run) {
            char conf[64];
            snprintf(conf, sizeof(conf), "[limits]\nreaders = %d\n", r);
            th_stop(&d, SIGTERM);
            th_start(&d, conf);
        }
        printf("readers = %d, %" PRIu64 " people, %.0f s per load\n", r, people,
               seconds);
        printf(" health\n");
        s_run(&d, people, seconds, false, false);
        printf(" health + heavy\n");
        s_run(&d, people, seconds, false, true);
        printf(" health + publish\n");
        s_run(&d, people, seconds, true, false);
        printf(" health + publish + heavy\n");
        s_run(&d, people, seconds, true, true);
        fflush(stdout);
    }
    th_stop(&d, SIGTERM);
    th_sh("rm -rf %s", d.dir);
    return 0;
}
