/*
 * test_reader: heavy reads run on reader threads (daemon/reader.c), on
 * the real daemon. The daemon runs with CASELINKD_FAULT_READER_GATE
 * naming a file that does not exist yet: its readers take no job until
 * the test creates it, so "a heavy read is still in flight" is a state
 * the test holds, not a race it hopes to win. With the reads held:
 * other clients' health and publishes are answered, the reading client's
 * own later reply waits behind its heavy one (order per client), the
 * daemon stops only after answering them, the map grows, and beyond the
 * job slots a heavy read is refused BUSY, and the watchdog keeps being
 * pinged. Once released, every read is answered and its audit entry is
 * in the chain before the reply.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "harness.h"

#define NHS "9434765919"

static char s_gate[300];

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A daemon whose readers wait at the gate (closed). */
static void s_start(th_daemon *d, const char *extra)
{
    memset(d, 0, sizeof(*d));
    th_tmpdir(d->dir, sizeof(d->dir));
    snprintf(s_gate, sizeof(s_gate), "%s/gate", d->dir);
    setenv("CASELINKD_FAULT_READER_GATE", s_gate, 1);
    th_start(d, extra);
    unsetenv("CASELINKD_FAULT_READER_GATE");
}

static void s_open_gate(void)
{
    FILE *f = fopen(s_gate, "w");
    assert_non_null(f);
    fclose(f);
}

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(c, req, rep), CL_OK);
    return (int)rep->status;
}

static void s_publish(cl_client *c, const char *ref, const char *nhs)
{
    cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", nhs);
    assert_int_equal(th_publish(c, q, NULL), CL_STATUS_OK);
    free(q);
}

/* Send a request without waiting; its message id into id. */
static void s_send(cl_client *c, cl_request *q, uint8_t id[CL_MSGID_LEN])
{
    memset(q->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_send(c, q), CL_OK);
    memcpy(id, q->msgid, CL_MSGID_LEN);
}

static cl_request *s_case_finding(void)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_CASE_FINDING;
    CL_COPY(q->u.finding.agency, "Northshire Police");
    q->u.finding.min_contacts = 1;
    q->u.finding.access_reason = 3;
    CL_COPY(q->u.finding.justification, "quarterly high-level users review");
    return q;
}

/* Admin stats: audit entries, or (commits) group commits made. */
static uint64_t s_stat(cl_client *op, bool commits)
{
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_STATS;
    assert_int_equal(s_call(op, &req, &rep), CL_STATUS_OK);
    uint64_t n = commits ? rep.u.stats.commits : rep.u.stats.audit_entries;
    cl_reply_clear(&rep);
    return n;
}

static uint64_t s_audit_entries(cl_client *op)
{
    return s_stat(op, false);
}

/* The next reply on c: its status, with its message id checked. */
static int s_next(cl_client *c, const uint8_t id[CL_MSGID_LEN], int wait_ms)
{
    cl_reply rep;
    assert_int_equal(cl_client_recv(c, &rep, wait_ms), CL_OK);
    assert_memory_equal(rep.msgid, id, CL_MSGID_LEN);
    int st = (int)rep.status;
    cl_reply_clear(&rep);
    return st;
}

/* Held reads: others are served, the reader's own later reply waits, and
 * once released each read is answered after its audit entry. */
static void test_light_requests_pass_heavy_reads(void **state)
{
    (void)state;
    th_daemon d;
    s_start(&d, NULL);
    cl_client *police = th_client(&d, "police"), *gp = th_client(&d, "gp"),
              *co = th_client(&d, "coordinator"),
              *au = th_client(&d, "auditor"), *op = th_client(&d, "operator");
    char ref[32];
    for (int i = 0; i < 20; i++) {
        snprintf(ref, sizeof(ref), "POL-R%d", i);
        s_publish(police, ref, i ? NULL : NHS);
    }
    uint64_t audits = s_audit_entries(op);
    /* the coordinator: a case finding, then a health behind it */
    uint8_t cf_id[CL_MSGID_LEN], h_id[CL_MSGID_LEN], as_id[CL_MSGID_LEN],
        v_id[CL_MSGID_LEN];
    cl_request *cf = s_case_finding();
    s_send(co, cf, cf_id);
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    s_send(co, &req, h_id);
    /* the auditor: a search (audited) and a verify (not) */
    cl_request *as = calloc(1, sizeof(*as));
    as->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(as->u.person_ref.match.nhs, NHS);
    s_send(au, as, as_id);
    cl_request vr;
    memset(&vr, 0, sizeof(vr));
    vr.kind = CL_REQ_AUDIT_VERIFY;
    s_send(au, &vr, v_id);
    /* everyone else is served meanwhile */
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    assert_int_equal(s_call(gp, &req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    s_publish(police, "POL-R-DURING", NULL);
    assert_true(s_audit_entries(op) > audits); /* that publish */
    /* nothing for the readers' clients yet, not even the coordinator's
     * health: it waits behind the case finding */
    assert_int_equal(cl_client_recv(co, &rep, 300), CL_ERR_TIMEOUT);
    assert_int_equal(cl_client_recv(au, &rep, 10), CL_ERR_TIMEOUT);
    s_open_gate();
    assert_int_equal(s_next(co, cf_id, 10000), CL_STATUS_OK);
    assert_int_equal(s_next(co, h_id, 10000), CL_STATUS_OK);
    assert_int_equal(cl_client_recv(au, &rep, 10000), CL_OK);
    assert_memory_equal(rep.msgid, as_id, CL_MSGID_LEN);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_true(rep.u.entries.n >= 1);
    assert_string_equal(rep.u.entries.v[0].kind, "publish_referral");
    cl_reply_clear(&rep);
    assert_int_equal(s_next(au, v_id, 10000), CL_STATUS_OK);
    /* both audited reads are in the chain (verify has no entry), and
     * the chain holds */
    assert_true(s_audit_entries(op) >= audits + 3);
    as->u.person_ref.limit = 0;
    assert_int_equal(s_call(au, as, &rep), CL_STATUS_OK);
    bool found = false;
    for (size_t i = 0; i < rep.u.entries.n; i++)
        found |= !strcmp(rep.u.entries.v[i].kind, "audit_search") &&
                 !strcmp(rep.u.entries.v[i].client, "auditor");
    assert_true(found);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(au, &vr, &rep), CL_STATUS_OK);
    assert_true(rep.u.verify.intact);
    cl_reply_clear(&rep);
    free(cf);
    free(as);
    cl_client_close(&police);
    cl_client_close(&gp);
    cl_client_close(&co);
    cl_client_close(&au);
    cl_client_close(&op);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* SIGTERM with a read in flight: answered (and audited) before exit. */
static void test_stop_answers_reads_in_flight(void **state)
{
    (void)state;
    th_daemon d;
    s_start(&d, NULL);
    cl_client *police = th_client(&d, "police"),
              *co = th_client(&d, "coordinator");
    s_publish(police, "POL-S1", NHS);
    uint8_t id[CL_MSGID_LEN];
    cl_request *cf = s_case_finding();
    s_send(co, cf, id);
    cl_reply rep;
    assert_int_equal(cl_client_recv(co, &rep, 200), CL_ERR_TIMEOUT);
    assert_int_equal(kill(d.pid, SIGTERM), 0);
    usleep(300 * 1000);
    s_open_gate();
    assert_int_equal(s_next(co, id, 10000), CL_STATUS_OK);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    free(cf);
    cl_client_close(&police);
    cl_client_close(&co);
    /* its audit entry was committed: the next start finds it */
    th_start(&d, NULL);
    cl_client *au = th_client(&d, "auditor");
    assert_true(th_audited(au, NULL, NHS, "case_finding") > 0);
    cl_client_close(&au);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* The map grows (no read transaction may be open) while reads wait; a
 * client beyond the job slots is refused BUSY at once; every accepted
 * read is answered, in the order sent. */
static void test_slots_and_growth(void **state)
{
    (void)state;
    th_daemon d;
    s_start(&d, "[store]\nmap_size_mb = 1\n[limits]\nclient_heavy_max = 64\n");
    cl_client *police = th_client(&d, "police"),
              *co = th_client(&d, "coordinator");
    s_publish(police, "POL-G0", NHS);
    enum { N = 40 };
    uint8_t ids[N][CL_MSGID_LEN];
    cl_request *cf = s_case_finding();
    for (int i = 0; i < N; i++)
        s_send(co, cf, ids[i]);
    /* the slots beyond 32 are refused at once, in order with the rest:
     * so nothing comes before the held ones are released */
    cl_reply rep;
    assert_int_equal(cl_client_recv(co, &rep, 200), CL_ERR_TIMEOUT);
    char ref[32];
    for (int i = 1; i <= 2000; i += 50) { /* well past 1 MiB */
        uint8_t pid[CL_MSGID_LEN];
        for (int k = 0; k < 50; k++) {
            snprintf(ref, sizeof(ref), "POL-G%d", i + k);
            cl_request *q =
                th_referral(ref, "Jane", "Smith", "1985-04-12", NULL);
            s_send(police, q, pid);
            free(q);
        }
        for (int k = 0; k < 50; k++) {
            assert_int_equal(cl_client_recv(police, &rep, 20000), CL_OK);
            assert_int_equal(rep.status, CL_STATUS_OK);
            cl_reply_clear(&rep);
        }
    }
    assert_int_equal(th_sh("grep -q 'store map grown' %s", d.log), 0);
    s_open_gate();
    int ok = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(cl_client_recv(co, &rep, 20000), CL_OK);
        assert_memory_equal(rep.msgid, ids[i], CL_MSGID_LEN);
        if (rep.status == CL_STATUS_OK)
            ok++;
        else if (rep.status == CL_STATUS_BUSY &&
                 strstr(rep.error, "other scans or reports"))
            busy++;
        cl_reply_clear(&rep);
    }
    assert_int_equal(ok, 32);
    assert_int_equal(busy, N - 32);
    free(cf);
    cl_client_close(&police);
    cl_client_close(&co);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* The watchdog (1 s here) keeps being pinged while reads are held in
 * flight: the serving thread never waits for one. */
static void test_watchdog_while_reads_held(void **state)
{
    (void)state;
    th_daemon d;
    char sock[300];
    memset(&d, 0, sizeof(d));
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(sock, sizeof(sock), "%s/notify", d.dir);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    snprintf(s_gate, sizeof(s_gate), "%s/gate", d.dir);
    setenv("CASELINKD_FAULT_READER_GATE", s_gate, 1);
    setenv("NOTIFY_SOCKET", sock, 1);
    setenv("WATCHDOG_USEC", "1000000", 1);
    th_start(&d, NULL);
    unsetenv("CASELINKD_FAULT_READER_GATE");
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    cl_client *police = th_client(&d, "police"),
              *co = th_client(&d, "coordinator");
    s_publish(police, "POL-W1", NHS);
    uint8_t id[CL_MSGID_LEN];
    cl_request *cf = s_case_finding();
    s_send(co, cf, id);
    char buf[256];
    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ; /* the pings so far */
    uint64_t start = s_now_ms(), last = 0, gap = 0;
    int pings = 0;
    /* 2 s with the read held: a ping at least every second */
    while (s_now_ms() - start < 2000) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 1000), 1); /* never a second without */
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        assert_true(n > 0);
        buf[n] = 0;
        if (!strstr(buf, "WATCHDOG=1"))
            continue;
        uint64_t now = s_now_ms();
        if (last && now - last > gap)
            gap = now - last;
        last = now;
        pings++;
    }
    print_message("%d watchdog pings in 2 s with a read held, largest gap "
                  "%llu ms\n",
                  pings, (unsigned long long)gap);
    cl_reply rep;
    assert_int_equal(cl_client_recv(co, &rep, 0), CL_ERR_TIMEOUT);
    assert_true(pings >= 2);
    assert_true(gap < 1000); /* WATCHDOG_USEC: systemd would not kill it */
    s_open_gate();
    assert_int_equal(s_next(co, id, 10000), CL_STATUS_OK);
    free(cf);
    close(fd);
    cl_client_close(&police);
    cl_client_close(&co);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* A batch held before its commit (CASELINKD_FAULT_COMMIT_GATE names a
 * file the test removes and creates): the publish in it, and a heavy
 * read held at the readers' gate, are in flight, unanswered. Meanwhile
 * other clients' health is answered, from what is committed (the held
 * referral is not counted), and so is a refusal that writes no audit
 * entry; the publisher's own health waits behind its publish, and once
 * the commit goes both are answered in the order sent. */
static void test_light_requests_pass_commits(void **state)
{
    (void)state;
    th_daemon d;
    char commit_gate[300];
    memset(&d, 0, sizeof(d));
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(s_gate, sizeof(s_gate), "%s/gate", d.dir);
    snprintf(commit_gate, sizeof(commit_gate), "%s/commit-gate", d.dir);
    assert_int_equal(th_sh("touch %s", commit_gate), 0); /* open */
    setenv("CASELINKD_FAULT_READER_GATE", s_gate, 1);
    setenv("CASELINKD_FAULT_COMMIT_GATE", commit_gate, 1);
    th_start(&d, NULL);
    unsetenv("CASELINKD_FAULT_READER_GATE");
    unsetenv("CASELINKD_FAULT_COMMIT_GATE");
    cl_client *police = th_client(&d, "police"), *gp = th_client(&d, "gp"),
              *co = th_client(&d, "coordinator"),
              *op = th_client(&d, "operator");
    char ref[32];
    for (int i = 0; i < 5; i++) {
        snprintf(ref, sizeof(ref), "POL-C%d", i);
        s_publish(police, ref, i ? NULL : NHS);
    }
    uint8_t cf_id[CL_MSGID_LEN], p_id[CL_MSGID_LEN], h_id[CL_MSGID_LEN];
    cl_request *cf = s_case_finding();
    s_send(co, cf, cf_id); /* committed, then held at the readers' gate */
    cl_request health;
    memset(&health, 0, sizeof(health));
    health.kind = CL_REQ_HEALTH;
    cl_reply rep;
    /* the five are acknowledged; with the sequential log LMDB commits
     * them within log_commit_ms, and health counts what LMDB holds */
    uint64_t held = 0;
    for (int i = 0; i < 3000 && held != 5; i++) { /* 30 s at most */
        assert_int_equal(s_call(op, &health, &rep), CL_STATUS_OK);
        held = rep.u.health.referrals;
        cl_reply_clear(&rep);
        if (held != 5)
            usleep(10 * 1000);
    }
    assert_int_equal(held, 5);
    /* close the commit gate: the next batch is applied and held */
    assert_int_equal(unlink(commit_gate), 0);
    cl_request *pub =
        th_referral("POL-C-HELD", "Jane", "Smith", "1985-04-12", NULL);
    s_send(police, pub, p_id);
    s_send(police, &health, h_id); /* behind the publish on its connection */
    /* let the publish reach the writer; whatever the order, it cannot be
     * answered, and the assertions below hold either way */
    usleep(200 * 1000);
    assert_int_equal(s_call(gp, &health, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client *late = th_client(&d, "adults"); /* a new connection: admitted */
    assert_int_equal(s_call(late, &health, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&late);
    assert_int_equal(s_call(op, &health, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.health.referrals, 5); /* committed ones only */
    cl_reply_clear(&rep);
    cl_request stats;
    memset(&stats, 0, sizeof(stats));
    stats.kind = CL_REQ_ADMIN_STATS; /* not a GP's: refused, not audited */
    assert_int_equal(s_call(gp, &stats, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    assert_int_equal(cl_client_recv(police, &rep, 300), CL_ERR_TIMEOUT);
    assert_int_equal(cl_client_recv(co, &rep, 10), CL_ERR_TIMEOUT);
    assert_int_equal(th_sh("touch %s", commit_gate), 0);
    assert_int_equal(s_next(police, p_id, 10000), CL_STATUS_OK);
    assert_int_equal(s_next(police, h_id, 10000), CL_STATUS_OK);
    assert_int_equal(s_call(op, &health, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.health.referrals, 6);
    cl_reply_clear(&rep);
    assert_int_equal(cl_client_recv(co, &rep, 10), CL_ERR_TIMEOUT);
    s_open_gate();
    assert_int_equal(s_next(co, cf_id, 10000), CL_STATUS_OK);
    free(cf);
    free(pub);
    cl_client_close(&police);
    cl_client_close(&gp);
    cl_client_close(&co);
    cl_client_close(&op);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* A case finding naming 450 people needs 23 audit entries: they go in
 * over more than one group commit (reader.c: at most 8 continued entries
 * in each, so 3 here), the reply only after the last, and the chain
 * holds. */
static void test_large_read_audited_over_commits(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(s_gate, sizeof(s_gate), "%s/gate", d.dir);
    s_open_gate();
    setenv("CASELINKD_FAULT_READER_GATE", s_gate, 1);
    th_start(&d, NULL);
    unsetenv("CASELINKD_FAULT_READER_GATE");
    cl_client *police = th_client(&d, "police"),
              *co = th_client(&d, "coordinator"),
              *au = th_client(&d, "auditor"), *op = th_client(&d, "operator");
    enum { PEOPLE = 450 };
    char ref[32], family[16], dob[16];
    cl_reply rep;
    for (int i = 0; i < PEOPLE; i += 50) {
        uint8_t id[CL_MSGID_LEN];
        for (int k = i; k < i + 50; k++) {
            snprintf(ref, sizeof(ref), "POL-L%d", k);
            snprintf(family, sizeof(family), "Fam%c%c", 'a' + k % 26,
                     'a' + k / 26 % 26);
            snprintf(dob, sizeof(dob), "%04d-%02d-%02d", 1940 + k % 60,
                     1 + k / 60 % 12, 1 + k % 28);
            cl_request *q = th_referral(ref, "Robin", family, dob, NULL);
            s_send(police, q, id);
            free(q);
        }
        for (int k = 0; k < 50; k++) {
            assert_int_equal(cl_client_recv(police, &rep, 20000), CL_OK);
            assert_int_equal(rep.status, CL_STATUS_OK);
            cl_reply_clear(&rep);
        }
    }
    uint64_t audits = s_audit_entries(op), commits = s_stat(op, true);
    cl_request *cf = s_case_finding();
    assert_int_equal(s_call(co, cf, &rep), CL_STATUS_OK);
    size_t named = rep.u.finding.n_users;
    cl_reply_clear(&rep);
    print_message("case finding named %zu people\n", named);
    assert_true(named > 20 + 8 * 20); /* more than one commit's worth */
    size_t entries = 1 + (named - 20 + 19) / 20;
    assert_true(s_audit_entries(op) >= audits + entries);
    /* its own batch, then at least two for its entries */
    assert_true(s_stat(op, true) >= commits + 3);
    cl_request vr;
    memset(&vr, 0, sizeof(vr));
    vr.kind = CL_REQ_AUDIT_VERIFY;
    assert_int_equal(s_call(au, &vr, &rep), CL_STATUS_OK);
    assert_true(rep.u.verify.intact);
    cl_reply_clear(&rep);
    free(cf);
    cl_client_close(&police);
    cl_client_close(&co);
    cl_client_close(&au);
    cl_client_close(&op);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

/* Delete the first row of db in the stopped daemon's state directory,
 * with LMDB itself (what whoever holds the file could do). */
static void s_raw_delete_first(const char *state, const char *db)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 128);
    assert_int_equal(mdb_env_open(env, state, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
    assert_int_equal(mdb_cursor_del(cur, 0), 0);
    mdb_cursor_close(cur);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* The start-up check beside serving: with it held at its gate
 * (CASELINKD_FAULT_CHECK_GATE; a store this small is otherwise checked
 * before serving), the daemon answers before the check has run; a
 * referral row deleted while it was stopped is reported once the check
 * has run, naming the table and no person; a stop while the check is
 * still held does not wait for it. */
static void test_start_check_while_serving(void **state)
{
    (void)state;
    th_daemon d;
    char gate[300], dir[300];
    memset(&d, 0, sizeof(d));
    th_tmpdir(d.dir, sizeof(d.dir));
    snprintf(gate, sizeof(gate), "%s/check-gate", d.dir);
    snprintf(dir, sizeof(dir), "%s/state", d.dir);
    th_start(&d, NULL);
    assert_true(th_file_contains(d.log, "counted table checked in"));
    cl_client *police = th_client(&d, "police");
    s_publish(police, "POL-K1", NHS);
    s_publish(police, "POL-K2", NULL);
    cl_client_close(&police);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    s_raw_delete_first(dir, "referral");
    assert_int_equal(th_sh(": > %s", d.log), 0);
    setenv("CASELINKD_FAULT_CHECK_GATE", gate, 1);
    th_start(&d, NULL); /* answered: the check has not begun */
    unsetenv("CASELINKD_FAULT_CHECK_GATE");
    assert_true(th_file_contains(d.log, "checking every index and counted "
                                        "table while serving"));
    assert_false(th_file_contains(d.log, "failed authentication"));
    cl_client *op = th_client(&d, "operator");
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    assert_int_equal(s_call(op, &req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    assert_int_equal(th_sh("touch %s", gate), 0);
    bool told = false;
    for (int i = 0; i < 400 && !told; i++) {
        told = th_file_contains(d.log, "failed authentication") &&
               th_file_contains(d.log, "index referral:");
        if (!told)
            usleep(50 * 1000);
    }
    assert_true(told);
    assert_false(th_file_contains(d.log, NHS));
    cl_client_close(&op);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    /* held at the gate at stop: dropped, the stop does not wait */
    assert_int_equal(unlink(gate), 0);
    setenv("CASELINKD_FAULT_CHECK_GATE", gate, 1);
    th_start(&d, NULL);
    unsetenv("CASELINKD_FAULT_CHECK_GATE");
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_light_requests_pass_heavy_reads),
        cmocka_unit_test(test_stop_answers_reads_in_flight),
        cmocka_unit_test(test_slots_and_growth),
        cmocka_unit_test(test_watchdog_while_reads_held),
        cmocka_unit_test(test_light_requests_pass_commits),
        cmocka_unit_test(test_large_read_audited_over_commits),
        cmocka_unit_test(test_start_check_while_serving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
