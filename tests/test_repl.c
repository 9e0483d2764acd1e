/*
 * test_repl: replication through NATS JetStream with real processes on
 * loopback: three nats-server nodes with JetStream file storage in a
 * temporary folder (free ports chosen at start), an active caselinkd and a
 * standby, clients of libcaselink given both endpoints.
 *
 *   - kill -9 the active at random points while agencies publish (the
 *     count is CL_REPL_KILLS, 20 by default; the long run sets more), then
 *     promote the standby: every acknowledged referral is there exactly
 *     once, the audit chain verifies, the plan agency's mailbox holds an
 *     alert for every acknowledged referral about the child;
 *   - a crash between the append and the commit loses nothing and applies
 *     nothing twice;
 *   - one NATS node of three killed: writes continue, none lost; two: BUSY,
 *     and nothing acknowledged that is not in the stream;
 *   - split brain: a second active on the same stream is fenced, exactly
 *     one keeps writing (a fresh stream, a running one, a promotion);
 *   - a standby killed mid-stream, restarted, and one started from an
 *     online backup, catch up and end with the same decrypted content as
 *     the active (every sub-database compared);
 *   - re-indexing (caselinkd --rekey-indexes) reaches a standby seeded
 *     again from a backup; one left on the old index generation, and a
 *     batch forged with the first master key's replication key, are
 *     refused.
 *
 * Every process is started and stopped by the test; every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "harness.h"
#include "store.h"
#include "th_nats.h"

#ifndef CL_CASELINKD
#error "CL_CASELINKD must name the daemon binary"
#endif

static const char *NHS_CHILD = "0830166130";

/* --- processes ------------------------------------------------------------ */

static th_nats s_cluster;

static uint64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void s_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Every child started, so that a failed test leaves nothing running. */
static pid_t s_children[512];
static size_t s_n_children;

static pid_t s_spawn(const char *log, char *const argv[], const char *env)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0 && s_n_children < sizeof(s_children) / sizeof(s_children[0]))
        s_children[s_n_children++] = pid;
    if (pid == 0) {
        th_child_guard(parent);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (env)
            putenv((char *)env);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* A caselinkd node: A made by --dev, the others copies of its keys,
 * registry and master key with a state directory of their own. */
typedef struct s_node {
    th_daemon d; /* dir, log, pid (for the harness's clients) */
    char name[16];
    char stream[32];
} s_node;

static void s_node_conf(s_node *n, const s_node *keys_from)
{
    char conf[300], servers[256];
    if (!keys_from) {
        th_tmpdir(n->d.dir, sizeof(n->d.dir));
        assert_int_equal(th_sh("%s --dev %s --check-config >/dev/null 2>&1",
                               CL_CASELINKD, n->d.dir),
                         0);
    } else {
        th_tmpdir(n->d.dir, sizeof(n->d.dir));
        assert_int_equal(th_sh("cp -a %s/keys %s/clients.conf %s/master.key "
                               "%s/ && mkdir -m 700 %s/state",
                               keys_from->d.dir, keys_from->d.dir,
                               keys_from->d.dir, n->d.dir, n->d.dir),
                         0);
    }
    snprintf(n->d.log, sizeof(n->d.log), "%s/daemon.log", n->d.dir);
    snprintf(conf, sizeof(conf), "%s/caselinkd.conf", n->d.dir);
    th_nats_servers(&s_cluster, servers, sizeof(servers));
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\nendpoint = ipc://%s/caselinkd.sock\n"
            "state_directory = %s/state\nregistry = %s/clients.conf\n"
            "server_key = %s/keys/server.key\nmaster_key = %s/master.key\n"
            "[replication]\nservers = %s\nstream = %s\nnode = %s\n"
            "publish_timeout_ms = 1000\n",
            n->d.dir, n->d.dir, n->d.dir, n->d.dir, n->d.dir, servers,
            n->stream, n->name);
    fclose(f);
}

static void s_node_new(s_node *n, const char *name, const char *stream,
                       const s_node *keys_from)
{
    memset(n, 0, sizeof(*n));
    snprintf(n->name, sizeof(n->name), "%s", name);
    snprintf(n->stream, sizeof(n->stream), "%s", stream);
    s_node_conf(n, keys_from);
}

static int s_health_role(const s_node *n, char role[16]);

/* Start, wait until it answers health (the cluster may still be electing
 * its leaders: an early exit is retried). */
static void s_node_start_env(s_node *n, bool standby, const char *env)
{
    char conf[300];
    snprintf(conf, sizeof(conf), "%s/caselinkd.conf", n->d.dir);
    char *argv[] = {(char *)CL_CASELINKD, "--config", conf,
                    standby ? "--standby" : NULL, NULL};
    uint64_t until = s_ms() + 30000;
    while (s_ms() < until) {
        n->d.pid = s_spawn(n->d.log, argv, env);
        /* "nothing listening" comes back at once: wait by the clock */
        for (uint64_t t = s_ms() + 10000; s_ms() < t; s_sleep_ms(50)) {
            char role[16];
            if (s_health_role(n, role) == CL_OK)
                return;
            int st;
            if (waitpid(n->d.pid, &st, WNOHANG) == n->d.pid) {
                n->d.pid = 0;
                break;
            }
        }
        if (n->d.pid) {
            kill(n->d.pid, SIGKILL);
            waitpid(n->d.pid, NULL, 0);
            n->d.pid = 0;
        }
        s_sleep_ms(300);
    }
    fprintf(stderr, "test_repl: node %s did not start; log %s:\n", n->name,
            n->d.log);
    th_sh("tail -20 %s >&2", n->d.log);
    fail();
}

static void s_node_start(s_node *n, bool standby)
{
    s_node_start_env(n, standby, NULL);
}

static int s_node_stop(s_node *n, int sig)
{
    return n->d.pid ? th_stop(&n->d, sig) : 0;
}

static void s_node_rm(s_node *n)
{
    s_node_stop(n, SIGKILL);
    th_sh("rm -rf %s", n->d.dir);
}

/* --- clients -------------------------------------------------------------- */

/* A client of both nodes (failover), as agency name. */
static cl_client *s_client2(const s_node *a, const s_node *b, const char *name,
                            int timeout_ms, int attempts)
{
    char ep[700], spub[300], key[300], err[512];
    if (b)
        snprintf(ep, sizeof(ep),
                 "ipc://%s/caselinkd.sock,ipc://%s/"
                 "caselinkd.sock",
                 a->d.dir, b->d.dir);
    else
        snprintf(ep, sizeof(ep), "ipc://%s/caselinkd.sock", a->d.dir);
    snprintf(spub, sizeof(spub), "%s/keys/server.pub", a->d.dir);
    snprintf(key, sizeof(key), "%s/keys/%s.key", a->d.dir, name);
    cl_user u; /* the named user of that client, as the harness's */
    bool named = th_user(&a->d, name, &u);
    cl_client_options o = {.endpoint = ep,
                           .server_key = spub,
                           .client_key = key,
                           .timeout_ms = timeout_ms,
                           .attempts = attempts,
                           .user = named ? &u : NULL};
    cl_client *c = NULL;
    if (cl_client_open(&c, &o, err, sizeof(err)) != CL_OK) {
        fprintf(stderr, "test_repl: %s\n", err);
        fail();
    }
    return c;
}

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    int rc = cl_client_call(c, req, rep);
    return rc == CL_OK ? (int)cl_reply_status(rep) : -100 + rc;
}

static int s_health_role(const s_node *n, char role[16])
{
    cl_client *c = th_client_keys(&n->d, NULL, 200);
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    int rc = cl_client_call(c, &req, &rep);
    if (rc == CL_OK)
        snprintf(role, 16, "%s", rep.u.health.repl.role);
    cl_reply_clear(&rep);
    cl_client_close(&c);
    return rc;
}

/* admin stats on one node (operator); caller reads st. */
static void s_stats(const s_node *n, cl_stats *st)
{
    cl_client *c = s_client2(n, NULL, "operator", 3000, 2);
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_STATS;
    assert_int_equal(s_call(c, &req, &rep), CL_STATUS_OK);
    *st = rep.u.stats;
    cl_reply_clear(&rep);
    cl_client_close(&c);
}

/* Wait until the standby has applied everything in the stream. */
static void s_wait_caught_up(const s_node *n)
{
    cl_stats st;
    uint64_t until = s_ms() + 20000;
    do {
        s_stats(n, &st);
        if (st.repl.lag_messages == 0 && st.repl.stream_last_seq &&
            st.repl.applied_seq == st.repl.stream_last_seq)
            return;
        s_sleep_ms(50);
    } while (s_ms() < until);
    fprintf(stderr, "test_repl: %s still %llu behind\n", n->name,
            (unsigned long long)st.repl.lag_messages);
    fail();
}

static int s_promote(const s_node *n, cl_reply *rep)
{
    cl_client *c = s_client2(n, NULL, "operator", 10000, 1);
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_PROMOTE;
    int st = s_call(c, &req, rep);
    cl_client_close(&c);
    return st;
}

/* A valid NHS number (modulus 11) from a counter. */
static void s_nhs(char out[16], unsigned i)
{
    for (unsigned base = 400000000u + i * 7u;; base++) {
        char d[10];
        snprintf(d, sizeof(d), "%09u", base);
        int sum = 0;
        for (int k = 0; k < 9; k++)
            sum += (d[k] - '0') * (10 - k);
        int check = 11 - sum % 11;
        if (check == 11)
            check = 0;
        if (check == 10)
            continue;
        snprintf(out, 16, "%s%d", d, check);
        return;
    }
}

/* Referral number i: every fifth about the child on the plan. */
static cl_request *s_referral(unsigned i, char nhs[16])
{
    char ref[32], given[32];
    snprintf(ref, sizeof(ref), "K-%u", i);
    if (i % 5 == 0) {
        snprintf(nhs, 16, "%s", NHS_CHILD);
        cl_request *q = th_referral(ref, "Lily", "Brown", "2019-06-01", nhs);
        cl_client_msgid_from(q->msgid, "test_repl", ref);
        return q;
    }
    s_nhs(nhs, i);
    snprintf(given, sizeof(given), "Person%u", i);
    cl_request *q = th_referral(ref, given, "Tester", "1980-01-01", nhs);
    cl_client_msgid_from(q->msgid, "test_repl", ref);
    return q;
}

static void s_plan(cl_client *childrens)
{
    cl_request *q = th_plan("CP-77", NHS_CHILD, NULL); /* naming no adult */
    cl_reply rep;
    cl_client_msgid_from(q->msgid, "test_repl", "plan");
    assert_int_equal(s_call(childrens, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
}

/* --- the publisher: an agency system that keeps sending ------------------ */

#define S_MAX_REFS 4096

typedef struct s_pub {
    const s_node *a, *b;
    volatile int stop;
    unsigned next;          /* referrals attempted */
    bool acked[S_MAX_REFS]; /* acknowledged (OK, or a duplicate of OK) */
    unsigned n_acked, busy, not_active, timeouts;
} s_pub;

static void *s_pub_main(void *arg)
{
    s_pub *p = arg;
    cl_client *gp = s_client2(p->a, p->b, "gp", 400, 25);
    while (!p->stop && p->next < S_MAX_REFS) {
        unsigned i = p->next++;
        char nhs[16];
        cl_request *q = s_referral(i, nhs);
        /* As an agency system would: the same message id until it is
         * acknowledged (a few tries; the rest is counted as lost). */
        for (int tries = 0; tries < 20 && !p->acked[i]; tries++) {
            cl_reply rep;
            int st = s_call(gp, q, &rep);
            cl_reply_clear(&rep);
            if (st == CL_STATUS_OK) {
                p->acked[i] = true;
                __atomic_add_fetch(&p->n_acked, 1, __ATOMIC_RELEASE);
            } else if (st == CL_STATUS_BUSY)
                p->busy++;
            else if (st == CL_STATUS_NOT_ACTIVE)
                p->not_active++;
            else
                p->timeouts++;
        }
        free(q);
    }
    cl_client_close(&gp);
    return NULL;
}

/* Every acknowledged referral present exactly once on n, and nothing
 * else; returns how many of them were about the child. */
static unsigned s_check_referrals(const s_node *n, const s_pub *p)
{
    cl_client *co = s_client2(n, NULL, "coordinator", 5000, 2);
    unsigned child = 0;
    for (unsigned i = 0; i < p->next; i++) {
        char nhs[16], ref[32];
        cl_request *q = s_referral(i, nhs);
        free(q);
        if (!p->acked[i])
            continue;
        if (i % 5 == 0) {
            child++;
            continue; /* all on one person: counted below */
        }
        snprintf(ref, sizeof(ref), "K-%u", i);
        cl_reply rep;
        assert_int_equal(th_view_nhs(co, nhs, &rep), CL_STATUS_OK);
        unsigned found = 0;
        for (size_t k = 0; k < rep.u.person.n_referrals; k++)
            found += !strcmp(rep.u.person.referrals[k].agency_ref, ref);
        if (found != 1)
            fprintf(stderr, "test_repl: %s found %u times\n", ref, found);
        assert_int_equal(found, 1);
        cl_reply_clear(&rep);
    }
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS_CHILD, &rep), CL_STATUS_OK);
    for (unsigned i = 0; i < p->next; i += 5) {
        char ref[32];
        unsigned found = 0;
        snprintf(ref, sizeof(ref), "K-%u", i);
        for (size_t k = 0; k < rep.u.person.n_referrals; k++)
            found += !strcmp(rep.u.person.referrals[k].agency_ref, ref);
        assert_int_equal(found, p->acked[i] ? 1u : found);
        assert_true(found <= 1);
    }
    cl_reply_clear(&rep);
    cl_client_close(&co);
    return child;
}

static void s_audit_intact(const s_node *n)
{
    cl_client *au = s_client2(n, NULL, "auditor", 10000, 1);
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    assert_non_null(req);
    req->kind = CL_REQ_AUDIT_VERIFY;
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_true(rep.u.verify.intact);
    assert_true(rep.u.verify.entries > 0);
    cl_reply_clear(&rep);
    free(req);
    cl_client_close(&au);
}

/* The plan agency's mailbox: one alert per acknowledged referral about
 * the child, none twice. */
static void s_mailbox_complete(const s_node *n, const s_pub *p)
{
    cl_client *ch = s_client2(n, NULL, "childrens", 5000, 2);
    cl_client *co = s_client2(n, NULL, "coordinator", 5000, 2);
    unsigned seen[S_MAX_REFS / 5 + 1];
    memset(seen, 0, sizeof(seen));
    uint64_t after = 0;
    /* the child's referrals: caselink reference -> agency reference */
    cl_reply view;
    assert_int_equal(th_view_nhs(co, NHS_CHILD, &view), CL_STATUS_OK);
    cl_client_close(&co);
    for (;;) {
        cl_request req;
        cl_reply rep;
        memset(&req, 0, sizeof(req));
        req.kind = CL_REQ_INBOX_RECEIVE;
        req.u.inbox.after = after;
        req.u.inbox.limit = CL_INBOX_MAX;
        assert_int_equal(s_call(ch, &req, &rep), CL_STATUS_OK);
        size_t got = rep.u.deliveries.n;
        for (size_t k = 0; k < got; k++) {
            const cl_delivery *d = &rep.u.deliveries.v[k];
            after = d->seq;
            if (d->kind != CL_DLV_ALERT)
                continue;
            unsigned i;
            for (size_t r = 0; r < view.u.person.n_referrals; r++)
                if (!strcmp(view.u.person.referrals[r].reference,
                            d->u.alert.reference) &&
                    sscanf(view.u.person.referrals[r].agency_ref, "K-%u", &i) ==
                        1 &&
                    i / 5 < sizeof(seen) / sizeof(seen[0]))
                    seen[i / 5]++;
        }
        cl_reply_clear(&rep);
        if (got == 0)
            break;
    }
    for (unsigned i = 0; i < p->next; i += 5) {
        if (p->acked[i] && seen[i / 5] != 1)
            fprintf(stderr, "test_repl: alert for K-%u seen %u times\n", i,
                    seen[i / 5]);
        assert_true(seen[i / 5] <= 1);
        if (p->acked[i])
            assert_int_equal(seen[i / 5], 1);
    }
    cl_reply_clear(&view);
    cl_client_close(&ch);
}

/* Open a stopped node's store and digest its decrypted content. */
static void s_digest(const s_node *n, uint8_t out[CL_STORE_DIGEST_LEN])
{
    char key[300], path[300], err[256];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    bool from_next = false; /* after a replacement: as the daemon opens */
    snprintf(key, sizeof(key), "%s/master.key", n->d.dir);
    snprintf(path, sizeof(path), "%s/state", n->d.dir);
    assert_int_equal(cl_store_open_keyfile(&s, path, key, 1 << 20, &from_next,
                                           err, sizeof(err)),
                     CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    assert_int_equal(cl_store_digest(t, out), CL_OK);
    cl_store_abort(&t);
    cl_store_close(&s);
}

static void s_assert_same_content(s_node *a, s_node *b)
{
    uint8_t da[CL_STORE_DIGEST_LEN], db[CL_STORE_DIGEST_LEN];
    assert_int_equal(s_node_stop(a, SIGTERM), 0);
    assert_int_equal(s_node_stop(b, SIGTERM), 0);
    s_digest(a, da);
    s_digest(b, db);
    assert_memory_equal(da, db, sizeof(da));
}

/* --- the tests ------------------------------------------------------------ */

static int s_kills(void)
{
    const char *e = getenv("CL_REPL_KILLS");
    int n = e ? atoi(e) : 20;
    return n > 0 ? n : 20;
}

static void test_kill9_active_then_promote(void **state)
{
    (void)state;
    s_node a, b;
    s_pub *p = calloc(1, sizeof(*p));
    pthread_t th;
    assert_non_null(p);
    s_node_new(&a, "alpha", "KILL9", NULL);
    s_node_new(&b, "beta", "KILL9", &a);
    s_node_start(&a, false);
    s_node_start(&b, true);
    cl_client *ch = s_client2(&a, &b, "childrens", 2000, 5);
    s_plan(ch);
    cl_client_close(&ch);

    p->a = &a;
    p->b = &b;
    assert_int_equal(pthread_create(&th, NULL, s_pub_main, p), 0);
    unsigned seed = (unsigned)time(NULL);
    int kills = s_kills();
    fprintf(stderr, "test_repl: %d kills, seed %u\n", kills, seed);
    srand(seed);
    for (int k = 0; k < kills; k++) {
        /* kill at a random moment, but only once the last restart has
         * acknowledged something: ingest must go on after every crash,
         * however slow the machine (no rate is assumed) */
        unsigned before = __atomic_load_n(&p->n_acked, __ATOMIC_ACQUIRE);
        s_sleep_ms(30 + (unsigned)rand() % 250);
        uint64_t until = s_ms() + 20000;
        while (__atomic_load_n(&p->n_acked, __ATOMIC_ACQUIRE) == before &&
               s_ms() < until)
            s_sleep_ms(10);
        assert_true(__atomic_load_n(&p->n_acked, __ATOMIC_ACQUIRE) > before);
        assert_int_equal(s_node_stop(&a, SIGKILL), 128 + SIGKILL);
        s_node_start(&a, false); /* replays what the stream holds */
    }
    s_sleep_ms(200);
    p->stop = 1;
    pthread_join(th, NULL);
    fprintf(stderr,
            "test_repl: %u referrals sent, %u acknowledged; %u busy, %u not "
            "active, %u timed out (then resent)\n",
            p->next, p->n_acked, p->busy, p->not_active, p->timeouts);
    /* Ingest went on through every crash (checked after each restart
     * above): the client failed over and resent, never left with "no
     * node is active". */
    assert_true(p->n_acked >= (unsigned)kills);
    assert_true(p->n_acked >= p->next - 1); /* the last may be cut off */
    assert_int_equal(p->not_active, 0);

    /* Unplanned failover: the active dies for good; promote. */
    s_wait_caught_up(&b);
    assert_int_equal(s_node_stop(&a, SIGKILL), 128 + SIGKILL);
    cl_reply rep;
    assert_int_equal(s_promote(&b, &rep), CL_STATUS_OK);
    assert_string_equal(rep.u.promote.role, "active");
    cl_reply_clear(&rep);

    unsigned child = s_check_referrals(&b, p);
    cl_stats st;
    s_stats(&b, &st);
    unsigned sent_child = 0;
    for (unsigned i = 0; i < p->next; i += 5)
        sent_child += p->acked[i];
    assert_int_equal(child, sent_child);
    /* nothing applied twice: the count is the number acknowledged (a
     * referral never acknowledged may or may not have been stored) */
    assert_true(st.referrals >= p->n_acked);
    assert_true(st.referrals <= p->next);
    s_audit_intact(&b);
    s_mailbox_complete(&b, p);

    /* The old active comes back as a standby and ends identical. */
    s_node_start(&a, true);
    s_wait_caught_up(&a);
    s_assert_same_content(&a, &b);
    s_node_rm(&a);
    s_node_rm(&b);
    free(p);
}

/* Die after the append, before the commit: the restart replays the batch;
 * the resend is answered as a duplicate; the referral is there once. */
static void test_crash_between_append_and_commit(void **state)
{
    (void)state;
    s_node a;
    char nhs[16];
    cl_reply rep;
    s_node_new(&a, "alpha", "CRASH", NULL);
    s_node_start(&a, false);
    s_node_stop(&a, SIGTERM);
    s_node_start_env(&a, false, "CASELINKD_FAULT_AFTER_APPEND=1");
    cl_client *gp = s_client2(&a, NULL, "gp", 1500, 1);
    cl_request *q = s_referral(1, nhs);
    assert_int_equal(s_call(gp, q, &rep), -100 + CL_ERR_TIMEOUT);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    int st;
    assert_int_equal(waitpid(a.d.pid, &st, 0), a.d.pid);
    a.d.pid = 0;
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 99);
    assert_true(th_file_contains(a.d.log, "between append and commit"));

    s_node_start(&a, false);
    assert_true(th_file_contains(a.d.log, "1 batches replayed"));
    gp = s_client2(&a, NULL, "gp", 3000, 2);
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.status, CL_STATUS_DUPLICATE);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    free(q);
    cl_stats sts;
    s_stats(&a, &sts);
    assert_int_equal(sts.referrals, 1);
    s_node_stop(&a, SIGTERM);
    /* and a third start replays nothing */
    s_node_start(&a, false);
    assert_true(th_file_contains(a.d.log, "0 batches replayed"));
    s_stats(&a, &sts);
    assert_int_equal(sts.referrals, 1);
    s_node_rm(&a);
}

static void test_split_brain(void **state)
{
    (void)state;
    s_node a, b, c;
    cl_reply rep;
    char nhs[16], role[16];
    /* A fresh stream, two actives: the first append wins. */
    s_node_new(&a, "alpha", "SPLIT", NULL);
    s_node_new(&b, "beta", "SPLIT", &a);
    s_node_start(&a, false);
    s_node_start(&b, false);
    cl_client *ga = s_client2(&a, NULL, "gp", 3000, 1);
    cl_client *gb = s_client2(&b, NULL, "gp", 3000, 1);
    cl_request *q = s_referral(1, nhs);
    assert_int_equal(s_call(ga, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    q = s_referral(2, nhs);
    assert_int_equal(s_call(gb, q, &rep), CL_STATUS_NOT_ACTIVE);
    assert_non_null(strstr(rep.error, "alpha"));
    cl_reply_clear(&rep);
    free(q);
    assert_int_equal(s_health_role(&b, role), CL_OK);
    assert_string_equal(role, "fenced");
    assert_true(th_file_contains(b.d.log, "fenced out"));

    /* A third started as active on a stream alpha wrote: fenced at once. */
    s_node_new(&c, "gamma", "SPLIT", &a);
    s_node_start(&c, false);
    assert_int_equal(s_health_role(&c, role), CL_OK);
    assert_string_equal(role, "fenced");
    cl_client *gc = s_client2(&c, NULL, "gp", 3000, 1);

    /* Promote gamma while alpha still runs: from then on only gamma
     * writes; alpha is refused at its next append and says so. */
    assert_int_equal(s_promote(&c, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    unsigned ok_a = 0, ok_c = 0;
    for (unsigned i = 10; i < 30; i++) {
        q = s_referral(i, nhs);
        cl_client *who = i % 2 ? ga : gc;
        int st = s_call(who, q, &rep);
        if (st == CL_STATUS_OK)
            *(who == ga ? &ok_a : &ok_c) += 1;
        else
            assert_int_equal(st, CL_STATUS_NOT_ACTIVE);
        cl_reply_clear(&rep);
        free(q);
    }
    assert_int_equal(ok_a, 0);
    assert_int_equal(ok_c, 10);
    assert_int_equal(s_health_role(&a, role), CL_OK);
    assert_string_equal(role, "fenced");
    cl_client_close(&ga);
    cl_client_close(&gb);
    cl_client_close(&gc);
    s_node_rm(&a);
    s_node_rm(&b);
    s_node_rm(&c);
}

static void test_standby_restart_and_backup(void **state)
{
    (void)state;
    s_node a, b, c;
    cl_reply rep;
    char nhs[16];
    s_node_new(&a, "alpha", "FOLLOW", NULL);
    s_node_new(&b, "beta", "FOLLOW", &a);
    s_node_start(&a, false);
    s_node_start(&b, true);
    cl_client *gp = s_client2(&a, NULL, "gp", 3000, 2);
    for (unsigned i = 0; i < 150; i++) {
        if (i == 60)
            assert_int_equal(s_node_stop(&b, SIGKILL), 128 + SIGKILL);
        if (i == 110)
            s_node_start(&b, true); /* mid-stream, behind */
        cl_request *q = s_referral(i, nhs);
        assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
        cl_reply_clear(&rep);
        free(q);
    }
    s_wait_caught_up(&b);
    cl_stats st;
    s_stats(&b, &st);
    assert_string_equal(st.repl.role, "standby");
    assert_non_null(strstr(st.repl.active, "alpha"));
    assert_int_equal(st.repl.lag_messages, 0);
    assert_int_equal(st.repl.lag_seconds, 0);
    assert_int_equal(st.referrals, 150);

    /* A new standby from an online backup: it starts where the backup
     * stands and catches up. */
    cl_client *op = s_client2(&a, NULL, "operator", 10000, 1);
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_BACKUP;
    CL_COPY(req.u.backup_name, "for-standby");
    assert_int_equal(s_call(op, &req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&op);
    for (unsigned i = 150; i < 180; i++) {
        cl_request *q = s_referral(i, nhs);
        assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
        cl_reply_clear(&rep);
        free(q);
    }
    s_node_new(&c, "gamma", "FOLLOW", &a);
    assert_int_equal(th_sh("cp %s/state/backups/for-standby/data.mdb "
                           "%s/state/",
                           a.d.dir, c.d.dir),
                     0);
    s_node_start(&c, true);
    assert_false(th_file_contains(c.d.log, "from sequence 1\n"));
    s_wait_caught_up(&c);
    s_stats(&c, &st);
    assert_int_equal(st.referrals, 180);
    cl_client_close(&gp);

    /* Both standbys end with the active's content, decrypted and compared
     * over every sub-database. */
    s_wait_caught_up(&b);
    uint8_t da[CL_STORE_DIGEST_LEN], dc[CL_STORE_DIGEST_LEN];
    assert_int_equal(s_node_stop(&c, SIGTERM), 0);
    s_assert_same_content(&a, &b);
    s_digest(&a, da);
    s_digest(&c, dc);
    assert_memory_equal(da, dc, sizeof(da));
    s_node_rm(&a);
    s_node_rm(&b);
    s_node_rm(&c);
}

/* Runs last: it takes NATS nodes down (and brings them back). */
static void test_nats_nodes_lost(void **state)
{
    (void)state;
    s_node a, b;
    cl_reply rep;
    char nhs[16];
    s_node_new(&a, "alpha", "QUORUM", NULL);
    s_node_new(&b, "beta", "QUORUM", &a);
    s_node_start(&a, false);
    s_node_start(&b, true);
    /* an append waits up to publish_timeout_ms for a quorum that is gone */
    cl_client *gp = s_client2(&a, NULL, "gp", 10000, 1);
    bool acked[200] = {false};
    unsigned i = 0;
    for (; i < 40; i++) {
        cl_request *q = s_referral(i, nhs);
        assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
        acked[i] = true;
        cl_reply_clear(&rep);
        free(q);
    }
    /* One node of three: writes go on (after a leader election, BUSY at
     * most for a moment, which a client retries). */
    th_nats_kill(&s_cluster, 0, SIGKILL);
    for (; i < 80; i++) {
        cl_request *q = s_referral(i, nhs);
        uint64_t until = s_ms() + 15000;
        int st;
        while ((st = s_call(gp, q, &rep)) == CL_STATUS_BUSY && s_ms() < until) {
            cl_reply_clear(&rep);
            s_sleep_ms(100);
        }
        assert_int_equal(st, CL_STATUS_OK);
        acked[i] = true;
        cl_reply_clear(&rep);
        free(q);
    }
    /* Two of three: no quorum, every write refused BUSY. */
    th_nats_kill(&s_cluster, 1, SIGKILL);
    unsigned busy = 0;
    for (unsigned k = 0; k < 5; k++, i++) {
        cl_request *q = s_referral(i, nhs);
        int st = s_call(gp, q, &rep);
        assert_int_equal(st, CL_STATUS_BUSY);
        assert_non_null(strstr(rep.error, "replication"));
        busy++;
        cl_reply_clear(&rep);
        free(q);
    }
    assert_int_equal(busy, 5);
    /* Quorum back: writes resume; every acknowledged one is on the
     * standby, and the refused ones were never acknowledged. */
    th_nats_start(&s_cluster, 0);
    th_nats_start(&s_cluster, 1);
    for (unsigned k = 0; k < 10; k++, i++) {
        cl_request *q = s_referral(i, nhs);
        uint64_t until = s_ms() + 30000;
        int st;
        while ((st = s_call(gp, q, &rep)) != CL_STATUS_OK && s_ms() < until) {
            cl_reply_clear(&rep);
            s_sleep_ms(200);
        }
        assert_int_equal(st, CL_STATUS_OK);
        acked[i] = true;
        cl_reply_clear(&rep);
        free(q);
    }
    cl_client_close(&gp);
    s_wait_caught_up(&b);
    cl_client *co = s_client2(&b, NULL, "coordinator", 5000, 1);
    (void)co;
    cl_client_close(&co);
    /* the standby holds exactly what the active holds */
    cl_stats sa, sb;
    s_stats(&a, &sa);
    s_stats(&b, &sb);
    assert_int_equal(sa.referrals, sb.referrals);
    unsigned n_acked = 0;
    for (unsigned k = 0; k < i; k++)
        n_acked += acked[k];
    assert_true(sb.referrals >= n_acked);
    s_assert_same_content(&a, &b);
    s_node_rm(&a);
    s_node_rm(&b);
}

/* The standby's durable consumer is lost (deleted on the brokers, as a
 * broker failure or an operator can): the standby notices it is behind and
 * not moving, reads the batches straight from the stream and follows
 * again; nothing acknowledged on the active is missing from it. */
static void test_standby_consumer_lost(void **state)
{
    (void)state;
    s_node a, b;
    cl_reply rep;
    char nhs[16];
    s_node_new(&a, "alpha", "LOSTC", NULL);
    s_node_new(&b, "beta", "LOSTC", &a);
    s_node_start(&a, false);
    s_node_start(&b, true);
    cl_client *gp = s_client2(&a, NULL, "gp", 10000, 1);
    for (unsigned i = 0; i < 40; i++) {
        if (i == 20) {
            s_wait_caught_up(&b);
            assert_true(
                th_nats_drop_consumer(&s_cluster, "LOSTC", "caselink-beta"));
        }
        cl_request *q = s_referral(1000 + i, nhs);
        assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
        cl_reply_clear(&rep);
        free(q);
    }
    cl_client_close(&gp);
    s_wait_caught_up(&b);
    assert_true(th_file_contains(b.d.log, "deliveries stalled"));
    cl_stats sa, sb;
    s_stats(&a, &sa);
    s_stats(&b, &sb);
    assert_int_equal(sa.referrals, 40);
    assert_int_equal(sb.referrals, 40);
    s_assert_same_content(&a, &b);
    s_node_rm(&a);
    s_node_rm(&b);
}

/* admin rotate-master (or backup NAME) on node n, as the operator. */
static void s_admin_on(const s_node *n, cl_req_kind kind, const char *name)
{
    cl_client *op = s_client2(n, NULL, "operator", 10000, 1);
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = kind;
    if (name)
        CL_COPY(req.u.backup_name, name);
    int st = s_call(op, &req, &rep);
    if (st != CL_STATUS_OK)
        fail_msg("admin request on %s: %s", n->name, rep.error);
    cl_reply_clear(&rep);
    cl_client_close(&op);
}

static void s_publish_range(cl_client *gp, unsigned from, unsigned to)
{
    char nhs[16];
    cl_reply rep;
    for (unsigned i = from; i < to; i++) {
        cl_request *q = s_referral(i, nhs);
        assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
        cl_reply_clear(&rep);
        free(q);
    }
}

/* Wait (bounded) until n's log says it stopped following. */
static bool s_stopped_following(const s_node *n)
{
    for (uint64_t t = s_ms() + 20000; s_ms() < t; s_sleep_ms(50))
        if (th_file_contains(n->d.log, "following stopped"))
            return true;
    return false;
}

/* A batch appended to the stream after sequence prev by whoever holds the
 * first master key (in key_file): one put, MAC'd with the replication key
 * that key derives, as the store made them before re-indexing. */
static void s_forge_batch(const s_node *n, const char *key_file, uint64_t prev)
{
    uint8_t b[96], mk[CL_MASTER_KEY_LEN], rk[32];
    char why[256], subject[64];
    size_t len = 16;
    memcpy(b, "CLB1\0\0\0\1", 8);
    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(prev >> (8 * (7 - i)));
    memcpy(b + len, "\1\4meta\0\6forged\0\0\0\1x", 19); /* put meta */
    len += 19;
    assert_int_equal(cl_store_key_load(mk, key_file, why, sizeof(why)), CL_OK);
    crypto_kdf_derive_from_key(rk, sizeof(rk), 1, "cl-repl_", mk);
    crypto_generichash(b + len, 32, b, len, rk, sizeof(rk));
    sodium_memzero(mk, sizeof(mk));
    snprintf(subject, sizeof(subject), "caselink.%s", n->stream);
    assert_true(th_nats_publish(&s_cluster, subject, b, len + 32));
}

/* Re-indexing reaches a standby as the runbook says: the master key
 * replaced on the active (the same .next beside both nodes' key files),
 * both stopped, the active re-indexed (caselinkd --rekey-indexes) and
 * started, the standby seeded again from a backup made after it. Left
 * on the old index generation, the standby refuses the active's next
 * batch (another replication key) and stops following; seeded again it
 * follows and ends with the active's content; and a batch forged with
 * the replication key the store's first master key derives is refused by
 * it (before re-indexing that key still authenticated batches). */
static void test_standby_after_rekey(void **state)
{
    (void)state;
    s_node a, b;
    cl_stats st;
    char first[320], next[320];
    s_node_new(&a, "alpha", "REKEY", NULL);
    s_node_new(&b, "beta", "REKEY", &a);
    snprintf(first, sizeof(first), "%s/master.key.first", a.d.dir);
    snprintf(next, sizeof(next), "%s/master.key.next", a.d.dir);
    assert_int_equal(th_sh("cp -p %s/master.key %s", a.d.dir, first), 0);
    s_node_start(&a, false);
    s_node_start(&b, true);
    cl_client *gp = s_client2(&a, NULL, "gp", 3000, 2);
    s_publish_range(gp, 0, 10);
    assert_int_equal(cl_store_key_generate(next), CL_OK);
    assert_int_equal(th_sh("cp -p %s %s/", next, b.d.dir), 0);
    s_admin_on(&a, CL_REQ_ADMIN_ROTATE_MASTER, NULL);
    s_publish_range(gp, 10, 15);
    /* restarted, the standby opens with .next (runbook) */
    assert_int_equal(s_node_stop(&b, SIGTERM), 0);
    s_node_start(&b, true);
    s_wait_caught_up(&b);
    assert_int_equal(s_node_stop(&a, SIGTERM), 0);
    assert_int_equal(s_node_stop(&b, SIGTERM), 0);
    assert_int_equal(th_sh("mv %s %s/master.key && mv %s/master.key.next "
                           "%s/master.key",
                           next, a.d.dir, b.d.dir, b.d.dir),
                     0);
    assert_int_equal(th_sh("%s --config %s/caselinkd.conf --rekey-indexes "
                           ">> %s 2>&1",
                           CL_CASELINKD, a.d.dir, a.d.log),
                     0);
    s_node_start(&a, false);
    s_publish_range(gp, 15, 20);
    /* left on the old generation: the new batches do not authenticate */
    s_node_start(&b, true);
    assert_true(s_stopped_following(&b));
    assert_int_equal(s_node_stop(&b, SIGTERM), 0);
    /* seeded again from a backup of the re-indexed active */
    s_admin_on(&a, CL_REQ_ADMIN_BACKUP, "after-rekey");
    assert_int_equal(th_sh("rm -rf %s/state && mkdir -m 700 %s/state && cp "
                           "%s/state/backups/after-rekey/data.mdb %s/state/ "
                           "&& : > %s",
                           b.d.dir, b.d.dir, a.d.dir, b.d.dir, b.d.log),
                     0);
    s_node_start(&b, true);
    s_publish_range(gp, 20, 25);
    s_wait_caught_up(&b);
    s_stats(&b, &st);
    assert_int_equal(st.referrals, 25);
    /* a batch with the first master key's replication key: refused */
    s_forge_batch(&b, first, st.repl.applied_seq);
    assert_true(s_stopped_following(&b));
    assert_true(th_file_contains(b.d.log, "cannot apply stream sequence"));
    cl_client_close(&gp);
    s_assert_same_content(&a, &b); /* the forged change applied nowhere */
    s_node_rm(&a);
    s_node_rm(&b);
}

/* A standby that keeps running while the active replaces its master key
 * (admin rotate-master with master.key.next beside both nodes' key
 * files, as the runbook says) opens what it applies from then on: it
 * adopts the replicated keyring with its own .next, so its stats answer
 * and, promoted without a restart, a referral sealed under the new data
 * key reads back and the audit chain verifies. A third node without the
 * .next stops following and says which file it needs, instead of
 * applying what it cannot read. */
static void test_standby_follows_rotate_master(void **state)
{
    (void)state;
    s_node a, b, c;
    char next[320], nhs[16];
    cl_reply rep;
    s_node_new(&a, "alpha", "ROT", NULL);
    s_node_new(&b, "beta", "ROT", &a);
    s_node_new(&c, "gamma", "ROT", &a);
    snprintf(next, sizeof(next), "%s/master.key.next", a.d.dir);
    s_node_start(&a, false);
    s_node_start(&b, true);
    s_node_start(&c, true);
    cl_client *gp = s_client2(&a, NULL, "gp", 3000, 2);
    s_publish_range(gp, 1, 5);
    s_wait_caught_up(&b);
    assert_int_equal(cl_store_key_generate(next), CL_OK);
    assert_int_equal(th_sh("cp -p %s %s/", next, b.d.dir), 0);
    s_admin_on(&a, CL_REQ_ADMIN_ROTATE_MASTER, NULL);
    s_publish_range(gp, 6, 9);
    cl_client_close(&gp);
    s_wait_caught_up(&b); /* its stats answer: not INTERNAL */
    assert_true(th_file_contains(b.d.log, "adopted the active's new master"));
    /* gamma has no master.key.next: it stops following and names it */
    assert_true(s_stopped_following(&c));
    assert_true(th_file_contains(c.d.log, "master.key.next"));
    assert_int_equal(s_node_stop(&c, SIGTERM), 0);
    /* promoted without a restart, beta reads what came after */
    assert_int_equal(s_node_stop(&a, SIGTERM), 0);
    assert_int_equal(s_promote(&b, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client *co = s_client2(&b, NULL, "coordinator", 5000, 1);
    cl_request *q = s_referral(7, nhs);
    free(q);
    assert_int_equal(th_view_nhs(co, nhs, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_referrals, 1);
    assert_string_equal(rep.u.person.referrals[0].agency_ref, "K-7");
    cl_reply_clear(&rep);
    cl_client_close(&co);
    s_audit_intact(&b);
    s_node_rm(&a);
    s_node_rm(&b);
    s_node_rm(&c);
}

static int s_group_setup(void **state)
{
    (void)state;
    if (!th_nats_up(&s_cluster)) {
        fprintf(stderr, "test_repl: the NATS cluster elected no leader\n");
        th_nats_down(&s_cluster);
        return -1;
    }
    return 0;
}

static int s_group_teardown(void **state)
{
    (void)state;
    th_nats_down(&s_cluster);
    for (size_t i = 0; i < s_n_children; i++)
        if (waitpid(s_children[i], NULL, WNOHANG) == 0) {
            kill(s_children[i], SIGKILL); /* left by a failed test */
            waitpid(s_children[i], NULL, 0);
        }
    return 0;
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    if (th_sh("command -v nats-server >/dev/null") != 0) {
        fprintf(stderr, "test_repl: nats-server is not installed "
                        "(scripts/deps installs it)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_between_append_and_commit),
        cmocka_unit_test(test_split_brain),
        cmocka_unit_test(test_standby_restart_and_backup),
        cmocka_unit_test(test_standby_after_rekey),
        cmocka_unit_test(test_standby_follows_rotate_master),
        cmocka_unit_test(test_kill9_active_then_promote),
        cmocka_unit_test(test_nats_nodes_lost),
        cmocka_unit_test(test_standby_consumer_lost),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
