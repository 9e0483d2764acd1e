/*
 * server: the main loop (see server.h).
 *
 * Order of start-up matters: the ZAP handler socket is bound before the
 * CURVE ROUTER socket exists, so no handshake can ever complete unchecked.
 * Each loop turn:
 *   1. answer pending ZAP requests (registered keys only);
 *   2. read up to batch_max requests without blocking;
 *   3. decode, authorize, and apply them all in one LMDB write transaction
 *      (a write refused after it wrote sends the batch round again with
 *      that write in a nested transaction, so that it leaves no trace
 *      while the others stand: dispatch.c);
 *   4. commit once (durable), and only then send every reply.
 * If the commit fails because the map is full, the map grows and the batch
 * is applied again; if it fails otherwise, every request in the batch is
 * answered "busy" or "internal" and nothing was acknowledged.
 *
 * With [replication], the log is the truth and LMDB the view: step 4
 * becomes "append the batch's physical changes to the JetStream stream
 * (expecting the last sequence this store holds), then commit LMDB with the
 * new sequence, then reply". A refused append means the stream moved on:
 * the node catches up from it, and if another process wrote there, it is
 * fenced out and accepts no more writes. A standby (--standby) only applies
 * what the stream holds, in order, and answers health and stats.
 */
#include "server.h"
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sodium.h>
#include <stdio.h> /* renameat2, RENAME_EXCHANGE (_GNU_SOURCE) */
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cl_vec.h"
#include "cl_version.h"
#include "names.h"
#include "core.h"
#include "intake.h"
#include "lists.h"
#include "flag.h"
#include "log.h"
#include "natural.h"
#include "registry.h"
#include "repl.h"
#include "store.h"
#include "wire.h"
#include "witness.h"
#include "backup.h"
#include "check.h"
#include "dispatch.h"
#include "item.h"
#include "park.h"
#include "reader.h"
#include "replica.h"
#include "writer.h"
#include "zap.h"

/* Tests: batches wait before their commit until this file exists. */
#define S_COMMIT_GATE_ENV "CASELINKD_FAULT_COMMIT_GATE"

/* --- signals and registry ------------------------------------------------- */

static void s_reload(cl_server *s)
{
    char err[512];
    cl_registry *r = NULL;
    if (cl_registry_load(&r, s->cfg.registry, err, sizeof(err)) != CL_OK) {
        cl_log_err("registry reload failed, keeping the old one: %s", err);
        return;
    }
    cl_reader_pause(s->readers); /* they read the configuration */
    cl_registry_destroy(&s->registry);
    s->registry = r;
    cl_registry_agencies(r, &s->cfg.route);
    cl_registry_duty(r, &s->cfg.flag);
    cl_reader_resume(s->readers);
    cl_log_info("registry reloaded: %zu clients", cl_registry_count(r));
    sd_notifyf(0, "STATUS=serving, %zu clients registered",
               cl_registry_count(r));
}

static void s_signals(cl_server *s)
{
    struct signalfd_siginfo si;
    while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            sd_notify(0, "RELOADING=1");
            s_reload(s);
            sd_notify(0, "READY=1");
        } else {
            cl_log_info("signal %u: stopping intake", si.ssi_signo);
            s->stopping = true;
        }
    }
}

/* Whether an earlier request on its connection is still unanswered:
 * among items[0..n). */
static bool s_behind(s_item *it, s_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (&items[i] != it && !items[i].answered &&
            s_same_route(&items[i].route, &it->route))
            return true;
    return false;
}

/* While the writer commits the batch items[0..n): read what arrives into
 * the next batch's slots, and answer at once what needs no commit and
 * waits for nothing on its connection. */
static void s_aside(cl_server *s, s_item *items, size_t n)
{
    cl_txn *t = NULL;
    while (!s->stopping && s->n_spare < s->cfg.batch_max) {
        s_item *it = &s->spare[s->n_spare];
        if (!cl_dispatch_recv(s, it))
            break;
        if (cl_dispatch_waits(s, it, true) || s_behind(it, items, n) ||
            s_behind(it, s->spare, s->n_spare) || !cl_dispatch_now(s, &t, it))
            s->n_spare++;
    }
    cl_store_abort(&t);
}

/* One attempt at the batch: on the writer thread, the socket served
 * meanwhile (s_aside), and new connections admitted (ZAP). */
static int s_attempt(cl_server *s, s_item *items, size_t n)
{
    int rc = CL_OK;
    cl_writer_run(s->writer, items, n);
    while (!cl_writer_done(s->writer, &rc)) {
        zmq_pollitem_t p[3] = {{NULL, cl_writer_fd(s->writer), ZMQ_POLLIN, 0},
                               {s->zap, 0, ZMQ_POLLIN, 0},
                               {s->router, 0, ZMQ_POLLIN, 0}};
        int np = !s->stopping && s->n_spare < s->cfg.batch_max ? 3 : 2;
        if (zmq_poll(p, np, 1000) < 0 && errno != EINTR)
            cl_log_err("zmq_poll: %s", zmq_strerror(errno));
        if (p[1].revents & ZMQ_POLLIN)
            cl_zap_drain(s);
        if (np == 3 && (p[2].revents & ZMQ_POLLIN))
            s_aside(s, items, n);
    }
    return rc;
}

/* Apply the batch, retrying while the map grows or the stream moves on;
 * the commit's latency for admin stats. */
static int s_apply(cl_server *s, s_item *items, size_t n)
{
    int rc = CL_OK;
    uint64_t t0 = s_mono_us();
    /* The stream may hold batches this store lacks (a lost
     * acknowledgement, a failed commit): apply them first. */
    if (s->repl && s->role == S_ACTIVE && s->behind)
        rc = cl_replica_catch_up(s, true);
    bool again = rc == CL_OK;
    for (int attempt = 0; again && attempt < 8; attempt++) {
        again = false;
        for (size_t i = 0; attempt && i < n; i++)
            if (items[i].early == CL_OK && !items[i].answered &&
                !items[i].after)
                cl_item_reset(&items[i]); /* the last attempt's reply */
        rc = s_attempt(s, items, n);
        if (rc == CL_ERR_EXISTS && s->repl) {
            /* the stream moved on: catch up (or be fenced), again */
            int crc = cl_replica_catch_up(s, true);
            if (crc != CL_OK) {
                rc = crc;
                break;
            }
            again = true;
            continue;
        }
        if (rc != CL_ERR_FULL)
            break;
        /* nor while the writer holds a transaction: committed first (if
         * that fails too, nothing is held and the log rebuilds it) */
        if (cl_writer_settle(s) != CL_OK)
            cl_log_warn("store full: growing the map before the log's "
                        "batches are committed");
        /* LMDB may not be resized while the backup thread reads. */
        if (s->backup_running) {
            pthread_join(s->backup_thread, NULL);
            cl_backup_finish_joined(s);
        }
        /* ... nor while a reader thread has a transaction open */
        if (cl_reader_grow(s) != CL_OK)
            break;
        cl_store_stats st;
        if (cl_store_stats_get(s->store, &st) == CL_OK)
            cl_log_info("store map grown to %llu MiB",
                        (unsigned long long)(st.map_bytes >> 20));
        again = true;
    }
    uint64_t us = s_mono_us() - t0;
    uint64_t ms = us / 1000;
    s->commit_us[s->commits % S_COMMIT_RING] = us;
    s->commits++;
    s->batch_sum += n;
    if (n > s->batch_max)
        s->batch_max = n;
    if (ms >= s->cfg.slow_commit_ms)
        cl_log_warn("slow commit: %llu ms for %zu requests",
                    (unsigned long long)ms, n);
    return rc;
}

/* The batch did not commit (rc): every good request is answered with
 * status *as and msg, and nothing was acknowledged. */
static void s_failed(cl_server *s, s_item *items, size_t n, int rc, int *as,
                     char *msg, size_t msg_len)
{
    *as = rc == CL_ERR_FULL ? CL_ERR_BUSY : rc;
    msg[0] = '\0';
    if (rc == CL_ERR_INACTIVE)
        cl_replica_not_active(s, msg, msg_len);
    else if (s->repl &&
             (rc == CL_ERR_BUSY || rc == CL_ERR_EXISTS || s->repl_why[0])) {
        *as = CL_ERR_BUSY;
        snprintf(msg, msg_len,
                 "not confirmed by the replication log (%.60s): it may "
                 "still be stored once the log recovers; send it again "
                 "with the same message id (answered 'already accepted' "
                 "if it was)",
                 s->repl_why[0] ? s->repl_why : cl_strerror(rc));
    }
    cl_log_err("batch of %zu requests not committed: %s", n,
               msg[0] ? msg : cl_strerror(rc));
    snprintf(s->write_error, sizeof(s->write_error), "%s",
             msg[0] ? msg : cl_strerror(rc));
    s->write_error_at = (int64_t)time(NULL);
    s->write_errors++;
    if (!msg[0])
        snprintf(msg, msg_len, "%s", cl_handle_fatal_why(rc, true));
    for (size_t i = 0; i < n; i++)
        if (items[i].early == CL_OK && !items[i].answered && !items[i].after)
            cl_item_fail(&items[i], *as, msg);
}

/* After the commit (rc): what each request starts, logs, and its reply. */
static void s_answer(cl_server *s, s_item *it, int rc)
{
    if (it->answered)
        return; /* before the commit, released then */
    if (it->after && it->early == CL_OK) {
        /* needed no commit, but waited behind an earlier request */
        cl_txn *snap = NULL;
        bool done = cl_dispatch_now(s, &snap, it);
        cl_store_abort(&snap);
        if (done)
            return;
        cl_item_fail(it, CL_ERR_INTERNAL,
                     "not read: the store could not be read; retry later");
    }
    if (it->deferred && rc == CL_OK)
        cl_backup_start(s, it);
    else if (it->deferred)
        it->deferred = false; /* answered with the batch error */
    if (rc == CL_OK && it->promote)
        cl_replica_promote(s, it);
    if (rc == CL_OK && it->gap.msg.problem[0]) {
        /* the feed's name is the client's text: logged as a digest the
         * agency's own notice can be matched with, never as sent */
        uint8_t h[4];
        crypto_generichash(h, sizeof(h), (const uint8_t *)it->gap.msg.feed,
                           strlen(it->gap.msg.feed), NULL, 0);
        cl_log_warn("feed gap: agency=%s feed=#%02x%02x%02x%02x expected "
                    "%" PRIu64 " but %" PRIu64 " arrived",
                    it->gap.msg.agency, h[0], h[1], h[2], h[3],
                    it->gap.msg.expected, it->gap.msg.received);
    }
    if (rc == CL_OK && it->break_glass_seq)
        cl_log_warn("break-glass: client=%s kind=%s audit entry %" PRIu64
                    " (auditors told)",
                    it->who ? it->who->name : "?",
                    cl_wire_kind_name(it->req.kind), it->break_glass_seq);
    if (rc == CL_OK && it->offload && cl_dispatch_offload(s, it))
        ; /* a reader answers it */
    else if (!(rc == CL_OK && it->park && cl_park_add(s, it)) &&
             !cl_reader_hold(s->readers, it))
        cl_item_send(s, it);
    it->offload = false;
    cl_item_release(it);
}

/* After the commit: what reads the committed state next (a request
 * answered after another, a reader thread's, a backup) finds it holding
 * every batch acknowledged (the sequential log's held transaction
 * committed first); if it cannot, each is refused, not answered stale. */
static bool s_reads_after(const s_item *it)
{
    return !it->answered &&
           ((it->after && it->early == CL_OK && cl_dispatch_reads_acked(it)) ||
            it->offload || it->deferred);
}

static void s_settle_for(cl_server *s, s_item *items, size_t n)
{
    bool reads = false;
    for (size_t i = 0; i < n; i++)
        reads |= s_reads_after(&items[i]);
    if (!reads || cl_writer_settle(s) == CL_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        s_item *it = &items[i];
        if (!s_reads_after(it))
            continue;
        it->after = it->offload = it->deferred = false;
        cl_item_fail(it, CL_ERR_BUSY,
                     "not read: the store is catching up with its log; "
                     "retry shortly");
    }
}

/* One group commit: the requests waiting (none when intake is false,
 * at stop) and the audit entries of the reads the readers have done. */
static void s_batch(cl_server *s, bool intake)
{
    size_t n = 0, done = 0;
    if (s->n_spare) { /* what arrived during the last commit comes first */
        s_item *t = s->items;
        s->items = s->spare;
        s->spare = t;
        n = s->n_spare;
        s->n_spare = 0;
    }
    s_item *items = s->items;
    while (intake && n < s->cfg.batch_max && cl_dispatch_recv(s, &items[n]))
        n++;
    bool any = cl_reader_collect(s->readers, &done) > 0;
    if (n == 0 && done == 0 && !any)
        return;
    cl_dispatch_limits(s, items, n);
    /* What needs no commit is answered first, from the last committed
     * state, unless it must wait behind an earlier request of its
     * connection; what remains is applied, committed, then answered. */
    cl_txn *snap = NULL;
    bool now = false;
    for (size_t i = 0; i < n; i++)
        now |= items[i].early == CL_OK && cl_dispatch_reads_acked(&items[i]) &&
               !cl_dispatch_waits(s, &items[i], false);
    /* the state they read is what was acknowledged: committed first (not
     * for a health that reads nothing from the store: it would only stall
     * the writer); a health is answered all the same when that fails (a
     * full disk), from what LMDB holds, its last write error saying why */
    bool settled = !now || cl_writer_settle(s) == CL_OK;
    for (size_t i = 0; i < n; i++)
        if (!cl_dispatch_waits(s, &items[i], false))
            items[i].after = s_behind(&items[i], items, i) ||
                             (!settled && items[i].req.kind != CL_REQ_HEALTH) ||
                             !cl_dispatch_now(s, &snap, &items[i]);
    cl_store_abort(&snap);
    for (size_t i = 0; i < n; i++)
        any |= cl_dispatch_waits(s, &items[i], false);
    int rc = any ? s_apply(s, items, n) : CL_OK;
    char msg[CL_ERROR_SZ] = "";
    int as = CL_OK;
    if (rc != CL_OK)
        s_failed(s, items, n, rc, &as, msg, sizeof(msg));
    if (rc == CL_OK)
        s_settle_for(s, items, n);
    /* the readers' replies first: they were asked for earlier */
    cl_reader_settle(s->readers, rc, as, msg);
    for (size_t i = 0; i < n; i++)
        s_answer(s, &items[i], rc);
    /* mail for a parked receive (the writer looked, in the batch): the
     * held transaction committed, then the mail read; else only the
     * waits that are over end */
    if (any && rc == CL_OK && s->n_parks && !s->park_mail)
        cl_park_service(s, false);
    else if (any && rc == CL_OK && s->n_parks && cl_writer_settle(s) == CL_OK)
        cl_park_service(s, true);
}

/* --- housekeeping --------------------------------------------------------- */

/* A remembered reply (idempotency: body hash, then the encoded reply)
 * that names an id retention removed is redacted to the hash and an empty
 * reply: a resent message id still answers DUPLICATE and applies nothing
 * again, but no longer says what it created. */
typedef struct s_redact {
    cl_txn *t;
    cl_db db; /* idempotency (records from before replay), replay */
    const cl_purge_result *pr;
    uint8_t *buf;
    uint8_t (*keys)[4 + CL_BLIND_LEN];
    size_t n, cap;
} s_redact;

static int s_redact_one(void *ctx, const uint8_t *key, size_t len)
{
    s_redact *r = ctx;
    size_t vlen = 0;
    if (len != (r->db == CL_DB_REPLAY ? 4 + CL_BLIND_LEN : CL_BLIND_LEN))
        return CL_OK; /* the key check and other reserved rows */
    int rc =
        cl_store_get(r->t, r->db, key, len, r->buf, CL_STORE_MAX_VALUE, &vlen);
    if (rc != CL_OK)
        return rc;
    bool hit = false;
    for (size_t i = 0; i < r->pr->names_len && !hit;) {
        const char *n = r->pr->names + i;
        size_t nl = strlen(n);
        hit = vlen > S_BODY_HASH_LEN && nl &&
              memmem(r->buf + S_BODY_HASH_LEN, vlen - S_BODY_HASH_LEN, n, nl);
        i += nl + 1;
    }
    sodium_memzero(r->buf + S_BODY_HASH_LEN,
                   vlen > S_BODY_HASH_LEN ? vlen - S_BODY_HASH_LEN : 0);
    if (!hit)
        return CL_OK;
    if (CL_VEC_GROW(r->keys, r->n, r->cap) != CL_OK)
        return CL_ERR_NOMEM;
    memcpy(r->keys[r->n++], key, len);
    return CL_OK;
}

static int s_redact_in(cl_txn *t, cl_db db, const cl_purge_result *pr)
{
    s_redact r = {t, db, pr, malloc(CL_STORE_MAX_VALUE), NULL, 0, 0};
    if (!r.buf)
        return CL_ERR_NOMEM;
    int rc = cl_store_scan(t, db, NULL, 0, s_redact_one, &r);
    for (size_t i = 0; i < r.n && rc == CL_OK; i++) {
        size_t vlen = 0,
               kl = db == CL_DB_REPLAY ? 4 + CL_BLIND_LEN : CL_BLIND_LEN;
        rc = cl_store_get(t, db, r.keys[i], kl, r.buf, CL_STORE_MAX_VALUE,
                          &vlen);
        if (rc == CL_OK)
            rc = cl_store_put(t, db, r.keys[i], kl, r.buf,
                              vlen < S_BODY_HASH_LEN ? vlen : S_BODY_HASH_LEN);
        sodium_memzero(r.buf, vlen);
    }
    free(r.buf);
    free(r.keys);
    return rc;
}

static int s_redact_replies(cl_txn *t, const cl_purge_result *pr)
{
    int rc = s_redact_in(t, CL_DB_IDEMPOTENCY, pr);
    return rc == CL_OK ? s_redact_in(t, CL_DB_REPLAY, pr) : rc;
}

/* Retention: one run of the policy (cl_dp_purge), a bounded batch. */
static void s_retention(cl_server *s)
{
    cl_txn *t = NULL;
    cl_purge_result pr;
    memset(&pr, 0, sizeof(pr));
    cl_retention pol = {.inactive_days = s->cfg.retention_days,
                        .plan_ended_days = s->cfg.plan_ended_days,
                        .review_days = s->cfg.review_days,
                        .batch = s->cfg.purge_batch};
    /* on what was acknowledged, with LMDB's writer lock free */
    int rc = cl_writer_settle(s);
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s->store, NULL, true);
    if (rc == CL_OK)
        rc = cl_dp_purge(t, &pol, s_now(), &pr);
    if (rc == CL_OK && pr.purged)
        rc = s_redact_replies(t, &pr);
    if (rc == CL_OK && pr.purged)
        rc = cl_replica_commit(s, &t);
    cl_store_abort(&t);
    if (rc != CL_OK)
        cl_log_err("retention run failed: %s", cl_strerror(rc));
    else if (pr.purged)
        cl_log_info("retention: removed %zu people idle for over %g days "
                    "(idle but kept: %zu legal hold, %zu plan, %zu agenda, "
                    "%zu open action, %zu open request)",
                    pr.purged, s->cfg.retention_days, pr.kept_hold,
                    pr.kept_plan, pr.kept_agenda, pr.kept_action,
                    pr.kept_request);
    cl_purge_result_clear(&pr);
}

/* Sign a checkpoint of the audit chain; log it, append it to a file in
 * the state directory and ship it with [audit] checkpoint_command. */
static void s_checkpoint(cl_server *s)
{
    cl_txn *t = NULL;
    char text[CL_CHECKPOINT_SZ], path[CL_PATH_SZ + 32];
    /* on what was acknowledged, with LMDB's writer lock free */
    int rc = cl_writer_settle(s);
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s->store, NULL, false);
    if (rc == CL_OK)
        rc = cl_audit_checkpoint(t, s_now(), text);
    cl_store_abort(&t);
    if (rc != CL_OK) {
        cl_log_err("audit checkpoint failed: %s", cl_strerror(rc));
        return;
    }
    snprintf(path, sizeof(path), "%s/audit-checkpoints.txt", s->cfg.state_dir);
    FILE *f = fopen(path, "ae");
    if (f) {
        fputs(text, f);
        fputs("\n", f);
        fclose(f);
    }
    cl_witness_ship(s->witness, text);
    char *nl;
    char one[CL_CHECKPOINT_SZ];
    CL_COPY(one, text);
    while ((nl = strchr(one, '\n')))
        *nl = ' ';
    cl_log_info("audit checkpoint: %s", one);
}

/* After a rotation: re-seal a bounded batch of old values. */
static void s_reseal(cl_server *s)
{
    cl_txn *t = NULL;
    size_t done = 0;
    /* on what was acknowledged, with LMDB's writer lock free */
    int rc = cl_writer_settle(s);
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s->store, NULL, true);
    if (rc == CL_OK)
        rc = cl_store_reseal(t, &s->reseal, s->cfg.reseal_batch, &done);
    if (rc == CL_OK)
        rc = cl_replica_commit(s, &t);
    cl_store_abort(&t);
    if (rc == CL_ERR_FULL && !s->backup_running && cl_reader_grow(s) == CL_OK)
        return; /* try again next time round */
    if (rc != CL_OK) {
        cl_log_err("re-seal failed, will retry: %s", cl_strerror(rc));
        return;
    }
    if (s->reseal.db >= CL_DB_COUNT) {
        s->resealing = false;
        cl_log_info("re-seal done: every value uses key version %u",
                    cl_store_key_version(s->store));
    }
}

/* The weights in use: the configured ones with any accepted learned ones
 * over them; and whether a rerun is under way. */
static void s_relink_reload(cl_server *s)
{
    cl_txn *t = NULL;
    cl_match_config mc = s->base_match;
    bool accepted = false, running = false;
    /* on what was acknowledged, with LMDB's writer lock free */
    int rc = cl_writer_settle(s);
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s->store, NULL, false);
    if (rc == CL_OK)
        rc = cl_link_weights_load(t, &mc, &accepted);
    cl_link_info li;
    char err[CL_ERROR_SZ] = "";
    cl_caller who = {.roles = CL_ROLE_OPERATOR};
    cl_op op;
    cl_op_init(&op, t, &who, s_now());
    if (rc == CL_OK &&
        (rc = cl_op_result(
             &op, cl_link_admin(&op, &s->base_match, &(cl_link_req){0}, &li),
             err)) == CL_OK)
        running = li.rerun_running;
    cl_store_abort(&t);
    s->relink_pending = false;
    if (rc != CL_OK) {
        cl_log_err("linking weights cannot be read, keeping those in use: %s",
                   cl_strerror(rc));
        return;
    }
    cl_reader_pause(s->readers); /* find and review lists read it */
    s->cfg.match = mc;
    cl_reader_resume(s->readers);
    if (running && !s->relinking)
        cl_log_info("relinking: re-evaluating %" PRIu64 " records",
                    li.rerun_total);
    s->relinking = running;
    if (li.rerun_needed && !running)
        cl_log_warn("linking: records stored before this version are not "
                    "counted at their places, so a postcode or address many "
                    "of them share keeps its full weight: run caselink link "
                    "rerun once");
    cl_log_info("linking weights: %s; upper %.1f, lower %.1f",
                accepted ? "learned, accepted" : "configured defaults",
                mc.upper, mc.lower);
}

/* A rerun: relink a bounded batch of stored records. */
static void s_relink(cl_server *s)
{
    cl_txn *t = NULL;
    bool running = false;
    /* on what was acknowledged, with LMDB's writer lock free */
    int rc = cl_writer_settle(s);
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s->store, NULL, true);
    if (rc == CL_OK)
        rc = cl_link_rerun_step(t, &s->cfg.match, 200, s_now(), &running);
    if (rc == CL_OK)
        rc = cl_replica_commit(s, &t);
    cl_store_abort(&t);
    if (rc == CL_ERR_FULL && !s->backup_running && cl_reader_grow(s) == CL_OK)
        return; /* try again next time round */
    if (rc != CL_OK) {
        cl_log_err("relinking failed, will retry: %s", cl_strerror(rc));
        return;
    }
    if (!running) {
        s->relinking = false;
        cl_log_info("relinking done");
    }
}

/* Feeds silent for longer than their interval: tell the coordinators. */
static void s_feed_check(cl_server *s)
{
    cl_txn *t = NULL;
    cl_feed_event ev[16];
    size_t n = 0;
    /* on what was acknowledged, with LMDB's writer lock free */
    int rc = cl_writer_settle(s);
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s->store, NULL, true);
    if (rc == CL_OK)
        rc = cl_feed_check_silent(t, &s->cfg.route, s_now(), ev, 16, &n);
    if (rc == CL_OK && n)
        rc = cl_replica_commit(s, &t);
    cl_store_abort(&t);
    if (rc != CL_OK) {
        cl_log_err("feed check failed: %s", cl_strerror(rc));
        return;
    }
    for (size_t i = 0; i < n; i++)
        cl_log_warn("feed silent: agency=%s feed=%s nothing since %" PRId64
                    " (unix time); coordinators told",
                    ev[i].msg.agency, ev[i].msg.feed, ev[i].msg.last_at);
    if (n)
        cl_park_service(s, true);
}

/* The daily intake pass: triggers over everyone recently active, actions
 * overdue. */
static void s_intake_pass(cl_server *s)
{
    cl_txn *t = NULL;
    uint32_t raised = 0;
    /* on what was acknowledged, with LMDB's writer lock free */
    int rc = cl_writer_settle(s);
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s->store, NULL, true);
    if (rc == CL_OK)
        rc = cl_intake_housekeeping(t, &s->cfg.intake, &s->cfg.route, s_now(),
                                    &raised);
    if (rc == CL_OK && raised)
        rc = cl_replica_commit(s, &t);
    cl_store_abort(&t);
    if (rc != CL_OK) {
        cl_log_err("intake pass failed: %s", cl_strerror(rc));
        return;
    }
    cl_log_info("intake pass: %u item%s raised", raised,
                raised == 1 ? "" : "s");
    if (raised)
        cl_park_service(s, true);
}

static void s_housekeeping(cl_server *s)
{
    uint64_t now = s_mono_us();
    if (cl_store_log_due(s->store) && cl_writer_settle(s) != CL_OK) {
        /* logged by the writer; tried again next time round */
    }
    if (cl_replica_writable(s) && now >= s->next_intake_us) {
        uint64_t every = s->cfg.intake.housekeeping_s * 1000000ull;
        if (s->next_intake_us)
            s_intake_pass(s);
        /* the first pass a few minutes after start, then at the interval,
         * so a daemon restarted daily still makes its pass */
        s->next_intake_us =
            now +
            (s->next_intake_us || every < 300000000ull ? every : 300000000ull);
    }
    cl_park_service(s, false);
    if (s->repl && s->role == S_ACTIVE && now >= s->next_fence_check_us) {
        /* once a second; while the stream cannot be read, every 5 s, so
         * that the loop is not held up waiting for it */
        bool ok = cl_replica_fence_check(s);
        s->next_fence_check_us = s_mono_us() + (ok ? 1000000u : 5000000u);
        if (s->role == S_ACTIVE && s->behind &&
            cl_replica_catch_up(s, true) != CL_OK)
            cl_log_warn("replication: cannot catch up yet: %s",
                        s->problem[0] ? s->problem : s->repl_why);
    }
    if (s->repl)
        cl_replica_standby_check(s);
    if (!cl_replica_writable(s))
        return; /* a standby's store changes only from the stream */
    if (now >= s->next_feed_check_us) {
        if (s->next_feed_check_us)
            s_feed_check(s);
        s->next_feed_check_us = now + s->cfg.feed_check_s * 1000000ull;
    }
    cl_witness_reap(s->witness, 0);
    (void)cl_check_running(s); /* joined once it has ended */
    if (s->resealing)
        s_reseal(s);
    if (s->relink_pending)
        s_relink_reload(s);
    if (s->relinking)
        s_relink(s);
    if (s->cfg.retention_days > 0 && now >= s->next_purge_us) {
        s_retention(s);
        s->next_purge_us = now + s->cfg.retention_check_s * 1000000ull;
    }
    if (now >= s->next_checkpoint_us) {
        s_checkpoint(s);
        s->next_checkpoint_us = now + s->cfg.checkpoint_interval_s * 1000000ull;
    }
}

/* --- lifecycle ------------------------------------------------------------ */

/* Replies not yet sent when the socket closes: dropped after a second. */
#define S_LINGER_MS 1000

#define S_IO_THREADS 2 /* ZeroMQ's, for the CURVE encryption of replies */

static int s_sockopt(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof(v));
}

/* ZAP first (no CURVE handshake may ever complete without it), then the
 * CURVE ROUTER with its options, bound to the endpoint. sec is the
 * server's secret key in Z85. */
static int s_sockets(cl_server *s, const cl_config *cfg, const char *sec,
                     char *err, size_t err_len)
{
    s->zctx = zmq_ctx_new();
    if (!s->zctx) {
        snprintf(err, err_len, "zmq_ctx_new: %s", zmq_strerror(errno));
        return CL_ERR_IO;
    }
    /* Two I/O threads: while one encrypts a large reply (a case finding,
     * an export), the connections on the other are answered meanwhile. */
    (void)zmq_ctx_set(s->zctx, ZMQ_IO_THREADS, S_IO_THREADS);
    s->zap = zmq_socket(s->zctx, ZMQ_REP);
    if (!s->zap || zmq_bind(s->zap, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, err_len, "ZAP handler: %s", zmq_strerror(errno));
        return CL_ERR_IO;
    }
    s->router = zmq_socket(s->zctx, ZMQ_ROUTER);
    if (!s->router) {
        snprintf(err, err_len, "ROUTER: %s", zmq_strerror(errno));
        return CL_ERR_IO;
    }
    /* a frame over the limit is answered (cl_dispatch_decode); only one
     * over what the answer could not be read for is dropped by libzmq */
    int64_t maxmsg = (int64_t)cfg->max_message_bytes + CL_WIRE_CURVE_OVERHEAD;
    if (s_sockopt(s->router, ZMQ_CURVE_SERVER, 1) ||
        zmq_setsockopt(s->router, ZMQ_CURVE_SECRETKEY, sec,
                       CL_Z85_KEY_SZ - 1) ||
        zmq_setsockopt(s->router, ZMQ_ZAP_DOMAIN, S_ZAP_DOMAIN,
                       strlen(S_ZAP_DOMAIN)) ||
        zmq_setsockopt(s->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) ||
        s_sockopt(s->router, ZMQ_HANDSHAKE_IVL,
                  (int)cfg->handshake_timeout_ms) ||
        s_sockopt(s->router, ZMQ_RCVHWM, (int)cfg->queue_depth) ||
        s_sockopt(s->router, ZMQ_SNDHWM, (int)cfg->queue_depth) ||
        s_sockopt(s->router, ZMQ_ROUTER_MANDATORY, 1) ||
        s_sockopt(s->router, ZMQ_LINGER, S_LINGER_MS)) {
        snprintf(err, err_len, "ROUTER options: %s", zmq_strerror(errno));
        return CL_ERR_IO;
    }
    if (zmq_bind(s->router, cfg->endpoint) != 0) {
        snprintf(err, err_len, "cannot bind %s: %s", cfg->endpoint,
                 zmq_strerror(errno));
        return CL_ERR_IO;
    }
    return CL_OK;
}

/* The sequential log ([store] log): batches the last run acknowledged
 * were applied at open; with it on, from now on too. */
static int s_log_start(cl_server *s, char *err, size_t err_len)
{
    cl_store_log_stats st;
    cl_store_log_stats_get(s->store, &st);
    if (st.replayed)
        cl_log_info("store: %llu batches from the log (data.wal) applied",
                    (unsigned long long)st.replayed);
    if (!s->cfg.log_on)
        return CL_OK;
    if (s->repl) {
        cl_log_warn("[store] log = on is not used with [replication]: the "
                    "stream is the log");
        return CL_OK;
    }
    int rc = cl_store_log_start(s->store, s->cfg.state_dir,
                                s->cfg.log_commit_bytes, s->cfg.log_commit_ms);
    if (rc != CL_OK)
        snprintf(err, err_len, "store %s: the log (data.wal): %s",
                 s->cfg.state_dir, cl_strerror(rc));
    else
        cl_log_info("store: sequential log on (LMDB commits every %u ms or "
                    "%llu MiB of log)",
                    s->cfg.log_commit_ms,
                    (unsigned long long)(s->cfg.log_commit_bytes >> 20));
    return rc;
}

/* What the start log says about the store just opened: keys due for
 * re-indexing, counters moved up after a restore, a lost id floor. */
static void s_store_warnings(cl_server *s, const cl_config *cfg)
{
    bool ix_current = true;
    (void)cl_store_index_generation(s->store, &ix_current);
    if (!ix_current)
        cl_log_warn("store: its index keys derive from a former master key "
                    "(admin rotate-master was not followed by re-indexing): "
                    "stop the daemon and run caselinkd --rekey-indexes");
    if (cl_store_ids_raised(s->store))
        cl_log_warn("store: %u id counters were behind %s/id-floor (the data "
                    "file was restored from an older copy?): they continue "
                    "after the last id that may have been handed out, so no "
                    "id is used twice",
                    cl_store_ids_raised(s->store), cfg->state_dir);
    if (cl_store_floor_lost(s->store))
        cl_log_warn("store: %s/id-floor is missing, but this data file ran "
                    "beside one: if it was restored from a backup, ids "
                    "handed out since that backup may be handed out again; "
                    "put the id-floor of the node it came from back beside "
                    "it before serving (README, Restore)",
                    cfg->state_dir);
}

int cl_server_open(cl_server **out, const cl_config *cfg, char *err,
                   size_t err_len)
{
    int rc = CL_ERR_INTERNAL;
    char pub[CL_Z85_KEY_SZ], sec[CL_Z85_KEY_SZ];
    cl_server *s = calloc(1, sizeof(*s));
    if (!s)
        return CL_ERR_NOMEM;
    s->cfg = *cfg;
    s->base_match = cfg->match;
    s->relink_pending = true; /* learned weights, an unfinished rerun */
    s->sigfd = -1;
    s->backup_efd = -1;
    s->follow_efd = -1;
    s->started = s_now();
    s->witness =
        cl_witness_new(s->cfg.checkpoint_command, s->cfg.checkpoint_timeout_s);
    if (!s->witness) {
        rc = CL_ERR_NOMEM;
        goto fail;
    }

    rc = cl_registry_load(&s->registry, cfg->registry, err, err_len);
    if (rc != CL_OK)
        goto fail;
    cl_registry_agencies(s->registry, &s->cfg.route);
    cl_registry_duty(s->registry, &s->cfg.flag);
    rc = cl_keyfile_read(cfg->server_key, pub, sec, err, err_len);
    if (rc != CL_OK)
        goto fail;
    bool from_next = false;
    rc = cl_store_open_keyfile(&s->store, cfg->state_dir, cfg->master_key,
                               cfg->map_bytes, &from_next, err, err_len);
    if (rc != CL_OK && err[0])
        goto fail; /* the key file: err says why */
    if (from_next)
        cl_log_warn("%s no longer opens the store and %s.next does: the master "
                    "key was replaced (admin rotate-master); move %s.next to "
                    "%s",
                    cfg->master_key, cfg->master_key, cfg->master_key,
                    cfg->master_key);
    if (rc != CL_OK) {
        snprintf(err, err_len, "store %s: %s", cfg->state_dir,
                 rc == CL_ERR_KEY ? "the master key does not open this store"
                 : rc == CL_ERR_PERM
                     ? "cannot write there (permissions, or a read-only file "
                       "system); nothing can be stored"
                 : rc == CL_ERR_IO
                     ? "cannot open it (does the directory exist?)"
                     : cl_strerror(rc));
        goto fail;
    }
    s_store_warnings(s, cfg);
    if (cfg->check_only) { /* no NATS, no threads, no socket (main.c) */
        sodium_memzero(sec, sizeof(sec));
        *out = s;
        return CL_OK;
    }
    if (cfg->repl.servers[0] &&
        (rc = cl_replica_start(s, err, err_len)) != CL_OK)
        goto fail;
    if ((rc = s_log_start(s, err, err_len)) != CL_OK)
        goto fail;
    s->items = calloc(cfg->batch_max, sizeof(*s->items));
    s->spare = calloc(cfg->batch_max, sizeof(*s->spare));
    if (!s->items || !s->spare) {
        rc = CL_ERR_NOMEM;
        goto fail;
    }
    const char *gate = getenv(S_COMMIT_GATE_ENV);
    if (gate)
        CL_COPY(s->commit_gate, gate);
    if ((rc = cl_writer_start(&s->writer, s, err, err_len)) != CL_OK)
        goto fail;
    if ((rc = cl_reader_start(&s->readers, s, err, err_len)) != CL_OK)
        goto fail;

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s->sigfd < 0) {
        snprintf(err, err_len, "signalfd: %s", strerror(errno));
        rc = CL_ERR_IO;
        goto fail;
    }

    s->backup_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->backup_efd < 0) {
        snprintf(err, err_len, "eventfd: %s", strerror(errno));
        rc = CL_ERR_IO;
        goto fail;
    }
    rc = s_sockets(s, cfg, sec, err, err_len);
    sodium_memzero(sec, sizeof(sec));
    if (rc != CL_OK)
        goto fail;
    uint64_t wd = 0;
    if (sd_watchdog_enabled(0, &wd) > 0)
        s->watchdog_usec = wd;
    *out = s;
    return CL_OK;
fail:
    sodium_memzero(sec, sizeof(sec));
    cl_server_close(&s);
    return rc;
}

int cl_server_run(cl_server *s)
{
    uint64_t last_wd = s_mono_us();
    s->last_wd_us = last_wd;
    cl_check_start(s); /* a large store: checked while serving */
    s_checkpoint(s);   /* the log as it stands at start, shipped at once */
    s->next_checkpoint_us = last_wd + s->cfg.checkpoint_interval_s * 1000000ull;
    s_relink_reload(s);
    sd_notifyf(0, "READY=1\nSTATUS=serving on %s, %zu clients registered",
               s->cfg.endpoint, cl_registry_count(s->registry));
    cl_log_info("caselinkd %s serving on %s (%zu clients registered)%s%s",
                S_VERSION, s->cfg.endpoint, cl_registry_count(s->registry),
                s->repl ? " as " : "", s->repl ? s_roles[s->role] : "");
    while (!s->stopping) {
        zmq_pollitem_t items[6] = {
            {s->router, 0, ZMQ_POLLIN, 0},
            {s->zap, 0, ZMQ_POLLIN, 0},
            {NULL, s->sigfd, ZMQ_POLLIN, 0},
            {NULL, s->backup_efd, ZMQ_POLLIN, 0},
            {NULL, cl_reader_fd(s->readers), ZMQ_POLLIN, 0},
            {NULL, s->follow_efd, ZMQ_POLLIN, 0},
        };
        int n_items = s->follow_efd >= 0 ? 6 : 5;
        long timeout = s->resealing || s->relinking ? 0 : 500;
        if (s->watchdog_usec)
            timeout = (long)(s->watchdog_usec / 4000);
        /* requests read during the last commit wait, or a read's audit
         * entries are still being committed */
        bool again = s->n_spare || cl_reader_auditing(s->readers);
        if (again)
            timeout = 0;
        if (zmq_poll(items, n_items, timeout) < 0 && errno != EINTR) {
            cl_log_err("zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        if (items[2].revents & ZMQ_POLLIN)
            s_signals(s);
        if (items[1].revents & ZMQ_POLLIN)
            cl_zap_drain(s);
        if (items[4].revents & ZMQ_POLLIN)
            cl_reader_wake(s->readers); /* before: a later one wakes again */
        if (((items[0].revents | items[4].revents) & ZMQ_POLLIN) || again)
            s_batch(s, true);
        /* its end writes (the id floor's generation): nothing held */
        if ((items[3].revents & ZMQ_POLLIN) && cl_writer_settle(s) == CL_OK)
            cl_backup_finish(s);
        if (n_items == 6 && (items[5].revents & ZMQ_POLLIN))
            cl_replica_follow(s);
        s_housekeeping(s);
        s_watchdog(s);
    }
    /* Finish what has already arrived: it was sent to us in good faith. */
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
    s_batch(s, true);
    /* ... and the reads under way: audited, committed and answered */
    while (cl_reader_pending(s->readers)) {
        zmq_pollitem_t w = {NULL, cl_reader_fd(s->readers), ZMQ_POLLIN, 0};
        long wait = cl_reader_auditing(s->readers) ? 0 : 100;
        if (zmq_poll(&w, 1, wait) < 0 && errno != EINTR)
            break;
        cl_reader_wake(s->readers);
        s_batch(s, false);
        s_watchdog(s);
    }
    /* LMDB holds every batch acknowledged before what follows writes */
    if (cl_writer_settle(s) != CL_OK)
        cl_log_err("stopping with batches only in the log: they are applied "
                   "at the next start");
    for (size_t i = 0; i < s->n_parks; i++)
        s->parks[i].deadline_us = 0; /* answer waiting receives: empty */
    cl_park_service(s, false);
    cl_backup_finish(s); /* waits for a backup in progress */
    s_checkpoint(s);     /* the log as it stands at a clean stop */
    /* a copy of data.mdb made before now is one generation behind: put
     * back, its id counters move past every id handed out */
    if (cl_store_generation_bump(s->store) != CL_OK)
        cl_log_warn("store: cannot move the id floor's generation on (%s)",
                    cl_strerror(CL_ERR_IO));
    cl_witness_reap(s->witness, 10000);
    cl_log_info("stopped: %llu requests, %llu commits",
                (unsigned long long)s->requests,
                (unsigned long long)s->commits);
    return CL_OK;
}

void cl_server_close(cl_server **sp)
{
    if (!sp || !*sp)
        return;
    cl_server *s = *sp;
    cl_writer_stop(&s->writer);  /* idle: every batch was answered */
    cl_check_stop(s);            /* before the store closes */
    cl_reader_stop(&s->readers); /* before the store and the socket */
    if (s->router)
        zmq_close(s->router);
    if (s->zap)
        zmq_close(s->zap);
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    for (size_t i = 0; i < s->n_parks; i++)
        zmq_msg_close(&s->parks[i].route);
    s->n_parks = 0;
    if (s->backup_running) {
        pthread_join(s->backup_thread, NULL);
        zmq_msg_close(&s->backup_route);
    }
    if (s->sigfd >= 0)
        close(s->sigfd);
    if (s->backup_efd >= 0)
        close(s->backup_efd);
    for (size_t i = 0; i < s->n_spare; i++)
        cl_item_release(&s->spare[i]); /* only if the loop never ran */
    free(s->items);
    free(s->spare);
    cl_repl_close(&s->repl); /* the follower stops before the store closes */
    if (s->follow_efd >= 0)
        close(s->follow_efd);
    cl_store_close(&s->store);
    cl_registry_destroy(&s->registry);
    cl_witness_destroy(&s->witness);
    free(s);
    *sp = NULL;
}
