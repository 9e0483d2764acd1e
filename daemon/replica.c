/*
 * replica: this node's place in replication (see server.c's opening
 * comment): the role, committing a batch through the stream, catching
 * up, following as a standby, being fenced out, and promotion.
 *
 * Everything here is a no-op with s->repl NULL: the single node commits
 * as it always did. It never decodes a request or touches the sockets.
 */
#include "replica.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "item.h"
#include "log.h"
#include "reader.h"

bool cl_replica_writable(const cl_server *s)
{
    return s->role == S_SINGLE || s->role == S_ACTIVE;
}

/* What a standby or fenced node answers to anything but health, stats and
 * promote. */
void cl_replica_not_active(const cl_server *s, char *out, size_t len)
{
    snprintf(out, len,
             "not active: this node (%.40s) is %s; the active is %.80s. "
             "Send to the active node",
             s->cfg.repl.node,
             s->role == S_FENCED ? "fenced out of the stream" : "a standby",
             s->active[0] ? s->active : "not known yet");
}

static void s_note_writer(cl_server *s, const cl_repl_msg *m)
{
    if (m->node[0])
        snprintf(s->active, sizeof(s->active), "%.63s at %.511s", m->node,
                 m->endpoint[0] ? m->endpoint : "(no endpoint)");
}

/* Another process appended to the stream: stop writing, at once. */
static void s_fence(cl_server *s, const cl_repl_msg *m)
{
    s->role = S_FENCED;
    s_note_writer(s, m);
    snprintf(s->problem, sizeof(s->problem),
             "fenced out: node %.64s appended sequence %" PRIu64
             " to stream %.64s; this node accepts no writes (restart it "
             "with --standby to follow, or promote it)",
             m->node[0] ? m->node : "?", m->seq, s->cfg.repl.stream);
    cl_log_err("%s", s->problem);
    sd_notifyf(0, "STATUS=fenced out by %s: refusing writes", s->active);
}

/* The active replaced its master key (admin rotate-master) and t applied
 * the keyring wrapped under the new one: take it with this node's own
 * copy of that key, at its key file's path with ".next" appended, where
 * the runbook puts it on every node. Without it nothing applied from now
 * on would open: refuse, naming the file. */
static int s_ring_adopt(cl_server *s, cl_txn *t)
{
    char next[CL_PATH_SZ + 8], why[512];
    uint8_t *key = sodium_malloc(CL_MASTER_KEY_LEN);
    snprintf(next, sizeof(next), "%s.next", s->cfg.master_key);
    int rc =
        key ? cl_store_key_load(key, next, why, sizeof(why)) : CL_ERR_NOMEM;
    if (rc == CL_OK && (rc = cl_store_ring_adopt(t, key)) == CL_ERR_KEY)
        snprintf(why, sizeof(why), "%.200s is not the key it was replaced with",
                 next);
    if (rc == CL_OK)
        cl_log_info("replication: adopted the active's new master key from "
                    "%.200s (move it over the key file before the next "
                    "restart)",
                    next);
    else
        cl_log_err("replication: the active replaced its master key; this "
                   "node needs it at %.200s (%.200s): put it there, then "
                   "restart this standby",
                   next, why);
    sodium_free(key);
    return rc == CL_OK ? CL_OK : CL_ERR_KEY;
}

/* Apply stream messages to the store in one transaction (those already
 * applied are skipped: exactly once). */
static int s_apply_msgs(cl_server *s, const cl_repl_msg *m, size_t n)
{
    int rc = CL_OK;
    for (int attempt = 0; attempt < 8; attempt++) {
        cl_txn *t = NULL;
        rc = cl_store_begin(&t, s->store, NULL, true);
        for (size_t i = 0; i < n && rc == CL_OK; i++) {
            rc = cl_store_apply(t, m[i].data, m[i].len, m[i].seq);
            if (rc == CL_ERR_EXISTS)
                rc = CL_OK;
            else if (rc == CL_OK && cl_store_ring_moved(t))
                rc = s_ring_adopt(s, t);
        }
        if (rc == CL_OK)
            rc = cl_store_commit(&t);
        cl_store_abort(&t);
        if (rc != CL_ERR_FULL || s->backup_running ||
            cl_reader_grow(s) != CL_OK)
            break;
    }
    if (rc != CL_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (m[i].seq > s->applied)
            s->applied = m[i].seq;
        s_note_writer(s, &m[i]);
    }
    return CL_OK;
}

/*
 * Apply everything the stream holds after this store's sequence. With
 * fence, a message written by another process fences this one out
 * (CL_ERR_INACTIVE) instead; messages of our own process (an append
 * whose acknowledgement was lost) are applied.
 */
int cl_replica_catch_up(cl_server *s, bool fence)
{
    uint64_t first = 0, last = 0;
    cl_repl_msg m[S_APPLY_MAX];
    int rc = cl_repl_bounds(s->repl, &first, &last);
    if (rc != CL_OK) {
        snprintf(s->repl_why, sizeof(s->repl_why),
                 "the stream cannot be read (no quorum or unreachable)");
        return CL_ERR_BUSY;
    }
    if (last < s->applied) {
        snprintf(s->problem, sizeof(s->problem),
                 "the store holds stream sequence %" PRIu64
                 " but stream %s ends at %" PRIu64
                 ": wrong stream, or the stream was recreated",
                 s->applied, s->cfg.repl.stream, last);
        return CL_ERR_CORRUPT;
    }
    if (last > s->applied && first > s->applied + 1) {
        snprintf(s->problem, sizeof(s->problem),
                 "stream %s no longer holds sequence %" PRIu64
                 " (it starts at %" PRIu64
                 "): start this node from a newer backup",
                 s->cfg.repl.stream, s->applied + 1, first);
        return CL_ERR_NOT_FOUND;
    }
    while (s->applied < last) {
        size_t n = 0;
        rc = CL_OK;
        while (n < S_APPLY_MAX && s->applied + n < last) {
            rc = cl_repl_get(s->repl, s->applied + n + 1, &m[n]);
            if (rc != CL_OK)
                break;
            if (fence && strcmp(m[n].instance, cl_repl_instance(s->repl))) {
                s_fence(s, &m[n]);
                rc = CL_ERR_INACTIVE;
                cl_repl_msg_release(&m[n], false);
                break;
            }
            n++;
        }
        int arc = n ? s_apply_msgs(s, m, n) : CL_OK;
        for (size_t i = 0; i < n; i++)
            cl_repl_msg_release(&m[i], false);
        if (rc == CL_OK)
            rc = arc;
        if (rc != CL_OK) {
            if (rc == CL_ERR_BUSY)
                snprintf(s->repl_why, sizeof(s->repl_why),
                         "the stream cannot be read (no quorum or "
                         "unreachable)");
            return rc;
        }
    }
    s->behind = false;
    return CL_OK;
}

/*
 * Commit a top-level write transaction. Replicated: append its changes to
 * the stream first (expecting the sequence this store holds), then commit
 * with the new sequence. CL_ERR_EXISTS: the stream moved on (catch up and
 * try again); CL_ERR_BUSY: not confirmed (s->repl_why says why);
 * CL_ERR_INACTIVE: a standby or fenced node never writes. t is always
 * ended.
 */
int cl_replica_commit(cl_server *s, cl_txn **t)
{
    const uint8_t *b;
    size_t len, n;
    uint64_t seq = 0;
    if (!s->repl)
        return cl_store_commit(t);
    int rc = cl_store_changes(*t, s->applied, &b, &len, &n);
    if (rc != CL_OK || n == 0) {
        cl_store_abort(t); /* nothing changed: nothing to keep */
        return rc;
    }
    if (!cl_replica_writable(s)) {
        cl_store_abort(t);
        return CL_ERR_INACTIVE;
    }
    s->repl_why[0] = '\0';
    rc = cl_repl_publish(s->repl, b, len, s->applied, false, &seq, s->repl_why,
                         sizeof(s->repl_why));
    if (rc != CL_OK) {
        /* Maybe stored after all (a lost acknowledgement): look first. */
        s->behind = true;
        cl_store_abort(t);
        if (rc == CL_ERR_BUSY)
            cl_log_warn("replication: batch of %zu changes not confirmed by "
                        "stream %s: %s",
                        n, s->cfg.repl.stream, s->repl_why);
        return rc;
    }
    if (s->crash_after_append) {
        /* The worst moment to die: in the log, not in LMDB, no reply. */
        cl_log_err("fault injection: exiting between append and commit");
        _exit(99);
    }
    rc = cl_store_set_applied(*t, seq);
    if (rc == CL_OK)
        rc = cl_store_commit(t);
    cl_store_abort(t);
    if (rc == CL_OK)
        s->applied = seq;
    else
        s->behind = true; /* in the stream, not here: replayed next */
    return rc;
}

/* This node's place in replication, for health, stats and promote. */
void cl_replica_fill(cl_server *s, cl_repl_state *st)
{
    uint64_t first = 0, last = 0;
    cl_repl_msg m;
    memset(st, 0, sizeof(*st));
    CL_COPY(st->role, s_roles[s->role]);
    if (!s->repl)
        return;
    CL_COPY(st->node, s->cfg.repl.node);
    CL_COPY(st->active, s->role == S_ACTIVE ? "this node" : s->active);
    st->applied_seq = s->applied;
    CL_COPY(st->problem, s->problem);
    if (!st->problem[0] && s->role == S_STANDBY)
        cl_repl_follow_problem(s->repl, st->problem, sizeof(st->problem));
    if (cl_repl_bounds(s->repl, &first, &last) != CL_OK) {
        if (!st->problem[0])
            CL_COPY(st->problem, "the stream cannot be read (no quorum or "
                                 "unreachable)");
        return;
    }
    st->stream_last_seq = last;
    st->lag_messages = last > s->applied ? last - s->applied : 0;
    if (st->lag_messages && cl_repl_get(s->repl, s->applied + 1, &m) == CL_OK) {
        int64_t age = s_now() - m.time_ns / 1000000000LL;
        st->lag_seconds = age > 0 ? (uint64_t)age : 0;
        cl_repl_msg_release(&m, false);
    }
}

/* How many of m, in delivery order, can be applied now: each either
 * applied already or the very next sequence. */
static size_t s_in_order(const cl_repl_msg *m, size_t n, uint64_t applied)
{
    size_t k = 0;
    for (; k < n && m[k].seq <= applied + 1; k++)
        if (m[k].seq == applied + 1)
            applied++;
    return k;
}

/*
 * Standby: apply what the follower has fetched, in stream order, then
 * acknowledge it. The consumer can skip a message (a delivery lost when a
 * broker fails is sent again only after the ack wait); applying what comes
 * after it would skip that batch for ever, so a gap is filled straight
 * from the stream first, and what still cannot follow on is left
 * unacknowledged (sent again, and skipped once applied).
 */
void cl_replica_follow(cl_server *s)
{
    uint64_t v;
    cl_repl_msg m[S_APPLY_MAX];
    size_t n;
    if (read(s->follow_efd, &v, sizeof(v)) != sizeof(v)) {
        /* nothing counted: take what is queued anyway */
    }
    while (s->role == S_STANDBY &&
           (n = cl_repl_follow_take(s->repl, m, S_APPLY_MAX)) > 0) {
        size_t k = s_in_order(m, n, s->applied);
        if (k < n && cl_replica_catch_up(s, false) == CL_OK)
            k = s_in_order(m, n, s->applied);
        int rc = k ? s_apply_msgs(s, m, k) : CL_OK;
        for (size_t i = 0; i < n; i++)
            cl_repl_msg_release(&m[i], rc == CL_OK && i < k);
        if (rc != CL_OK) {
            snprintf(s->problem, sizeof(s->problem),
                     "cannot apply stream sequence %" PRIu64
                     ": %s; following stopped%s",
                     m[0].seq, cl_strerror(rc),
                     rc == CL_ERR_CORRUPT
                         ? " (a batch that does not authenticate under this "
                           "node's replication key: if the active was "
                           "re-indexed, caselinkd --rekey-indexes, seed this "
                           "standby again from a backup made after it; do "
                           "not promote it)"
                         : "");
            cl_log_err("%s", s->problem);
            cl_repl_follow_stop(s->repl);
            return;
        }
    }
}

/*
 * Standby, every two seconds: if the stream held batches this store lacks
 * at the last look too, and none has been applied since (the consumer lost
 * its deliveries or its leader when a broker failed), read them straight
 * from the stream, then follow again from there.
 */
void cl_replica_standby_check(cl_server *s)
{
    uint64_t first, last, now = s_mono_us();
    if (s->role != S_STANDBY || now < s->next_follow_check_us)
        return;
    s->next_follow_check_us = now + 2000000u;
    if (cl_repl_bounds(s->repl, &first, &last) != CL_OK || last <= s->applied) {
        s->lag_seen = false;
        return;
    }
    if (!s->lag_seen || s->lag_applied != s->applied) {
        s->lag_seen = true; /* behind: moving, or not yet looked twice */
        s->lag_applied = s->applied;
        return;
    }
    uint64_t was = s->applied;
    if (cl_replica_catch_up(s, false) != CL_OK) {
        cl_log_warn("standby: cannot read the stream yet: %s",
                    s->problem[0] ? s->problem : s->repl_why);
        return;
    }
    char why[256] = "";
    cl_repl_follow_stop(s->repl);
    if (cl_repl_follow_start(s->repl, s->applied + 1, s->follow_efd, why,
                             sizeof(why)) != CL_OK)
        cl_log_warn("standby: cannot follow again yet: %s", why);
    cl_log_warn("standby: the stream's deliveries stalled; read %" PRIu64
                " batches from it directly, now at sequence %" PRIu64,
                s->applied - was, s->applied);
    s->lag_seen = false;
}

/* Active: has anyone else written to the stream? Checked once a second,
 * so a fenced node says so even before its next write. False if the
 * stream could not be read. */
bool cl_replica_fence_check(cl_server *s)
{
    uint64_t first, last;
    cl_repl_msg m;
    if (cl_repl_bounds(s->repl, &first, &last) != CL_OK)
        return false;
    if (last <= s->applied)
        return true;
    if (cl_repl_get(s->repl, s->applied + 1, &m) != CL_OK)
        return false;
    if (strcmp(m.instance, cl_repl_instance(s->repl)))
        s_fence(s, &m);
    else
        s->behind = true; /* ours, its acknowledgement lost: catch up */
    cl_repl_msg_release(&m, false);
    return true;
}

/* Open the stream and find this node's role: replay what the store lacks,
 * then follow (standby) or write (active, unless another node wrote the
 * stream last: then fenced until promoted). */
int cl_replica_start(cl_server *s, char *err, size_t err_len)
{
    cl_txn *t = NULL;
    uint64_t first = 0, last = 0;
    int rc = cl_repl_open(&s->repl, &s->cfg.repl, err, err_len);
    if (rc != CL_OK)
        return rc;
    cl_store_capture(s->store, true);
    /* Fault injection for the replication tests: die right after the
     * next append, before its commit. Never set in production. */
    s->crash_after_append = getenv("CASELINKD_FAULT_AFTER_APPEND") != NULL;
    if ((rc = cl_store_begin(&t, s->store, NULL, false)) == CL_OK)
        rc = cl_store_applied(t, &s->applied);
    cl_store_abort(&t);
    if (rc != CL_OK) {
        snprintf(err, err_len, "store: %s", cl_strerror(rc));
        return rc;
    }
    if (s->cfg.standby) {
        s->role = S_STANDBY;
        if (cl_repl_bounds(s->repl, &first, &last) == CL_OK && last &&
            last > s->applied && first > s->applied + 1) {
            snprintf(err, err_len,
                     "stream %s no longer holds sequence %" PRIu64
                     " (it starts at %" PRIu64
                     "): start this standby from a newer backup",
                     s->cfg.repl.stream, s->applied + 1, first);
            return CL_ERR_NOT_FOUND;
        }
        s->follow_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->follow_efd < 0) {
            snprintf(err, err_len, "eventfd: %s", strerror(errno));
            return CL_ERR_IO;
        }
        rc = cl_repl_follow_start(s->repl, s->applied + 1, s->follow_efd, err,
                                  err_len);
        if (rc == CL_OK)
            cl_log_info("standby %s: following stream %s from sequence "
                        "%" PRIu64,
                        s->cfg.repl.node, s->cfg.repl.stream, s->applied + 1);
        return rc;
    }
    s->role = S_ACTIVE;
    uint64_t from = s->applied;
    if ((rc = cl_replica_catch_up(s, false)) != CL_OK) {
        snprintf(err, err_len, "replaying stream %s: %s", s->cfg.repl.stream,
                 s->problem[0] ? s->problem : s->repl_why);
        return rc;
    }
    cl_repl_msg m;
    if (s->applied && cl_repl_get(s->repl, s->applied, &m) == CL_OK) {
        s_note_writer(s, &m);
        if (strcmp(m.node, s->cfg.repl.node)) {
            s->role = S_FENCED;
            snprintf(s->problem, sizeof(s->problem),
                     "node %s wrote stream %s last (sequence %" PRIu64
                     "): this node starts fenced; run it with --standby, or "
                     "promote it",
                     m.node, s->cfg.repl.stream, m.seq);
            cl_log_err("%s", s->problem);
        }
        cl_repl_msg_release(&m, false);
    }
    cl_log_info("replication: stream %s, %" PRIu64
                " batches replayed, at sequence %" PRIu64 ", %s",
                s->cfg.repl.stream, s->applied - from, s->applied,
                s_roles[s->role]);
    return CL_OK;
}

/* Operator, on a standby (or a fenced node): catch up to the end of the
 * stream and append a claim expecting that end, so any other writer is
 * fenced out by its next append. */
void cl_replica_promote(cl_server *s, s_item *it)
{
    uint8_t empty[128];
    char why[256] = "";
    int rc = CL_OK;
    it->rep.kind = CL_REQ_ADMIN_PROMOTE;
    if (!s->repl) {
        cl_item_fail(
            it, CL_ERR_INVALID,
            "replication is not configured: this node is the only one");
        return;
    }
    if (s->role == S_ACTIVE) {
        cl_replica_fill(s, &it->rep.u.promote);
        return;
    }
    cl_repl_follow_stop(s->repl);
    for (int attempt = 0; attempt < 10; attempt++) {
        uint64_t seq = 0;
        if ((rc = cl_replica_catch_up(s, false)) != CL_OK)
            break;
        /* the claim: an empty batch, authenticated for the next place */
        cl_txn *t = NULL;
        const uint8_t *b;
        size_t len = 0, n;
        if ((rc = cl_store_begin(&t, s->store, NULL, true)) == CL_OK)
            rc = cl_store_changes(t, s->applied, &b, &len, &n);
        if (rc == CL_OK && len <= sizeof(empty))
            memcpy(empty, b, len);
        cl_store_abort(&t);
        if (rc != CL_OK || len > sizeof(empty))
            break;
        rc = cl_repl_publish(s->repl, empty, len, s->applied, true, &seq, why,
                             sizeof(why));
        if (rc == CL_ERR_EXISTS)
            continue; /* the old active appended meanwhile: again */
        if (rc != CL_OK)
            break;
        cl_repl_msg m = {.seq = seq, .data = empty, .len = len};
        CL_COPY(m.node, s->cfg.repl.node);
        CL_COPY(m.endpoint, s->cfg.repl.advertise);
        rc = s_apply_msgs(s, &m, 1);
        break;
    }
    if (rc != CL_OK) {
        char msg[CL_ERROR_SZ];
        snprintf(msg, sizeof(msg),
                 "not promoted: %.150s; still %s. Check the NATS cluster "
                 "and try again",
                 why[0]           ? why
                 : s->problem[0]  ? s->problem
                 : s->repl_why[0] ? s->repl_why
                                  : cl_strerror(rc),
                 s_roles[s->role]);
        cl_log_err("%s", msg);
        if (s->role == S_STANDBY &&
            cl_repl_follow_start(s->repl, s->applied + 1, s->follow_efd, why,
                                 sizeof(why)) != CL_OK)
            cl_log_err("cannot follow again: %s", why);
        cl_item_fail(it, rc == CL_ERR_NOT_FOUND ? CL_ERR_INVALID : CL_ERR_BUSY,
                     msg);
        return;
    }
    s->role = S_ACTIVE;
    s->problem[0] = '\0';
    s->behind = false;
    s->relink_pending = true; /* weights learned on the old active */
    cl_log_info("promoted: node %s is now the active at stream sequence "
                "%" PRIu64,
                s->cfg.repl.node, s->applied);
    sd_notifyf(0, "STATUS=active (promoted) on %s", s->cfg.endpoint);
    cl_replica_fill(s, &it->rep.u.promote);
}
