/*
 * handle_admin: the handlers of the ADMIN class of cl_requests.def (see
 * handle.h): the caller's mailbox, feeds, the audit chain, health,
 * statistics, data keys, backup, linking administration and promotion.
 * Each answers its item itself (no idempotency record; link_admin writes
 * its own audit entry) and returns only errors that fail the batch.
 */
#include "handle.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "item.h"
#include "log.h"
#include "replica.h"

/* The caller's own mailbox: receive (parking an empty one that may wait)
 * or acknowledge. What a mailbox holds was audited when it was routed. */
int cl_handle_inbox(cl_op *op, cl_request *q, cl_reply *rep)
{
    char err[CL_ERROR_SZ] = "";
    int rc;
    rep->kind = q->kind;
    if (q->kind == CL_REQ_INBOX_RECEIVE) {
        rc = cl_mailbox_inbox_receive(op->t, op->who, &q->u.inbox,
                                      &rep->u.deliveries, err);
        op->it->park =
            rc == CL_OK && rep->u.deliveries.n == 0 && q->u.inbox.wait_ms > 0;
    } else {
        rc = cl_mailbox_inbox_ack(op->t, op->who, &q->u.ack, &rep->u.ack, err);
    }
    if (cl_handle_fatal(rc))
        return rc;
    if (rc != CL_OK)
        cl_item_fail(op->it, rc, err);
    return CL_OK;
}

int cl_handle_feeds(cl_op *op, cl_request *q, cl_reply *rep)
{
    (void)q;
    rep->kind = CL_REQ_ADMIN_FEEDS;
    int rc = cl_feed_health(op->t, &op->cfg->route, op->now, &rep->u.feeds);
    if (cl_handle_fatal(rc))
        return rc;
    if (rc != CL_OK)
        cl_item_fail(op->it, rc, NULL);
    return CL_OK;
}

/* Counts and sizes move with what other agencies send: a publisher (or
 * an unregistered key) watching them would learn whether a person it
 * names was known. Only the roles that see the store get them. */
bool cl_handle_health_counts(const cl_caller *who)
{
    const uint32_t sees =
        CL_ROLE_COORDINATOR | CL_ROLE_OPERATOR | CL_ROLE_AUDITOR;
    return who && (who->roles & sees);
}

int cl_handle_health(cl_op *op, cl_request *q, cl_reply *rep)
{
    cl_server *s = op->srv;
    (void)q;
    cl_store_stats st;
    rep->kind = CL_REQ_HEALTH;
    cl_health *h = &rep->u.health;
    CL_COPY(h->version, S_VERSION);
    h->uptime_s = (uint64_t)(op->now - s->started);
    if (!cl_handle_health_counts(op->who))
        return CL_OK;
    int rc = cl_core_counts(op->t, &h->persons, &h->referrals);
    if (rc == CL_OK && cl_store_stats_get(s->store, &st) == CL_OK)
        h->store_bytes = st.used_bytes;
    cl_replica_fill(s, &h->repl);
    CL_COPY(h->write_error, s->write_error);
    h->write_error_at = (uint64_t)s->write_error_at;
    h->write_errors = s->write_errors;
    if (rc != CL_OK)
        cl_item_fail(op->it, rc, NULL);
    return CL_OK;
}

int cl_handle_audit_admin(cl_op *op, cl_request *q, cl_reply *rep)
{
    int rc;
    rep->kind = q->kind;
    if (q->kind == CL_REQ_AUDIT_CHECKPOINT)
        return cl_audit_checkpoint(op->t, op->now, rep->u.checkpoint);
    rc = cl_audit_verify(op->t, q->u.checkpoint, &rep->u.verify);
    if (rc == CL_ERR_INVALID) {
        char why[CL_ERROR_SZ];
        CL_COPY(why, rep->u.verify.problem);
        cl_item_fail(op->it, rc, why);
        return CL_OK;
    }
    return rc;
}

static int s_percentile_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int cl_handle_stats(cl_op *op, cl_request *q, cl_reply *rep)
{
    cl_server *s = op->srv;
    (void)q;
    cl_stats *st = &rep->u.stats;
    cl_store_stats ss;
    rep->kind = CL_REQ_ADMIN_STATS;
    st->uptime_s = (uint64_t)(op->now - s->started);
    for (int k = 0; k < CL_REQ_KIND_COUNT; k++)
        for (int c = 0; c <= CL_STATUS_NOT_ACTIVE; c++)
            if (s->counts[k][c] && st->n_counts < CL_STATS_MAX) {
                cl_kind_count *kc = &st->counts[st->n_counts++];
                CL_COPY(kc->kind, cl_wire_kind_name((cl_req_kind)k));
                kc->status = (uint8_t)c;
                kc->count = s->counts[k][c];
            }
    st->commits = s->commits;
    st->batch_mean_x100 = s->commits ? s->batch_sum * 100 / s->commits : 0;
    st->batch_max = s->batch_max;
    st->batches_redone = __atomic_load_n(&s->redone, __ATOMIC_RELAXED);
    size_t n = s->commits < S_COMMIT_RING ? (size_t)s->commits : S_COMMIT_RING;
    if (n) {
        uint64_t sorted[S_COMMIT_RING];
        memcpy(sorted, s->commit_us, n * sizeof(uint64_t));
        qsort(sorted, n, sizeof(uint64_t), s_percentile_cmp);
        st->commit_p50_us = sorted[n / 2];
        st->commit_p99_us = sorted[(n * 99) / 100];
        st->commit_max_us = sorted[n - 1];
    }
    if (cl_store_stats_get(s->store, &ss) == CL_OK) {
        st->store_bytes = ss.used_bytes;
        st->map_bytes = ss.map_bytes;
    }
    st->key_version = cl_store_key_version(s->store);
    st->refused_connections = s->refused;
    cl_backup_progress(s, st);
    cl_replica_fill(s, &st->repl);
    int rc = cl_core_counts(op->t, &st->persons, &st->referrals);
    cl_link_info li;
    cl_op in;
    cl_op_sub(&in, op);
    if (rc == CL_OK &&
        (rc = cl_op_result(
             &in, cl_link_admin(&in, &s->base_match, &(cl_link_req){0}, &li),
             rep->error)) == CL_OK) {
        st->relink_running = li.rerun_running;
        st->relink_done = li.rerun_done;
        st->relink_total = li.rerun_total;
        st->relink_merged = li.rerun_merged;
        st->relink_queued = li.rerun_queued;
        st->weights_trained = li.accepted;
        st->relink_needed = li.rerun_needed;
    }
    if (rc == CL_OK)
        rc = cl_audit_count(op->t, &st->audit_entries);
    if (rc == CL_OK)
        rc = cl_mailbox_depths(op->t, st);
    for (size_t i = 0;
         i < s->n_rates && st->n_rate_limited < CL_RATE_LIMITED_MAX; i++)
        if (s->rates[i].refused) {
            cl_rate_limited *x = &st->rate_limited[st->n_rate_limited++];
            CL_COPY(x->client, s->rates[i].client);
            CL_COPY(x->kind, "flag_check");
            x->refused = s->rates[i].refused;
        }
    return rc;
}

/* Linking weights and relinking: audited (who trained, accepted, reran),
 * though the answer holds no personal data. */
int cl_handle_link_admin(cl_op *op, cl_request *q, cl_reply *rep)
{
    cl_server *s = op->srv;
    cl_op in; /* its note is audited here, as an admin request's */
    cl_op_sub(&in, op);
    rep->kind = CL_REQ_LINK_ADMIN;
    int rc =
        cl_link_admin(&in, &s->base_match, &q->u.link_admin, &rep->u.link_info);
    if (rc != CL_OK && !cl_handle_fatal(rc)) {
        cl_item_fail(op->it, rc, in.err);
        rc = CL_OK;
    } else if (rc == CL_OK) {
        uint8_t a = q->u.link_admin.action;
        s->relink_pending |= a == CL_LINK_ACCEPT || a == CL_LINK_RERUN;
    }
    if (rc == CL_OK)
        rc = cl_item_audit(s, op->t, op->it, &in.note);
    cl_op_done(&in);
    return rc;
}

/* The key status reply: current is the version new values take. */
static int s_key_status(cl_op *op, uint32_t current, cl_key_status *ks)
{
    cl_store_key_use use[CL_STORE_KEY_VERSIONS];
    size_t n = 0;
    int rc = cl_store_key_usage(op->t, use, &n);
    if (rc != CL_OK)
        return rc;
    ks->current = current;
    for (size_t i = 0; i < n && ks->n_versions < CL_KEY_VERSIONS_MAX; i++) {
        ks->versions[ks->n_versions].version = use[i].version;
        ks->versions[ks->n_versions].values = use[i].values;
        ks->versions[ks->n_versions++].retired = use[i].retired;
        if (use[i].version != current)
            ks->pending += use[i].values;
    }
    return CL_OK;
}

int cl_handle_key_admin(cl_op *op, cl_request *q, cl_reply *rep)
{
    cl_server *s = op->srv;
    uint32_t v = 0;
    cl_key_status *ks = &rep->u.key_status;
    char msg[CL_ERROR_SZ];
    int rc = CL_OK;
    rep->kind = q->kind;
    if (q->kind == CL_REQ_ADMIN_ROTATE_KEY) {
        rc = cl_store_rotate(op->t, &v);
        if (rc == CL_ERR_FULL) {
            snprintf(msg, sizeof(msg),
                     "%u data key versions are live: retire version %u "
                     "first (when key-status shows it holds no values)",
                     (unsigned)CL_STORE_KEY_VERSIONS,
                     cl_store_key_floor(op->t));
            cl_item_fail(op->it, CL_ERR_INVALID, msg);
            return CL_OK;
        }
        if (rc != CL_OK)
            return rc;
        memset(&s->reseal, 0, sizeof(s->reseal));
        s->resealing = true;
        cl_log_info("data key rotated to version %u; re-sealing in the "
                    "background",
                    v);
    } else if (q->kind == CL_REQ_ADMIN_RETIRE_KEY) {
        v = q->u.key_version;
        rc = cl_store_retire(op->t, v);
        if (rc == CL_ERR_INVALID || rc == CL_ERR_EXISTS) {
            snprintf(msg, sizeof(msg),
                     rc == CL_ERR_EXISTS
                         ? "key version %u is still in use; wait for the "
                           "re-seal to finish"
                         : "key version %u cannot be retired (current or "
                           "out of range)",
                     v);
            cl_item_fail(op->it, CL_ERR_INVALID, msg);
            return CL_OK;
        }
        if (rc != CL_OK)
            return rc;
        cl_log_info("data key version %u retired", v);
    }
    return s_key_status(op,
                        v && q->kind == CL_REQ_ADMIN_ROTATE_KEY
                            ? v
                            : cl_store_key_version(s->store),
                        ks);
}

/* Prepared in the batch; the copy starts after the commit (backup.c). */
int cl_handle_backup(cl_op *op, cl_request *q, cl_reply *rep)
{
    (void)q;
    (void)rep;
    return cl_backup_prepare(op->srv, op->it);
}

int cl_handle_promote(cl_op *op, cl_request *q, cl_reply *rep)
{
    (void)q;
    rep->kind = CL_REQ_ADMIN_PROMOTE;
    op->it->promote = true; /* after the commit: it appends itself */
    return CL_OK;
}

/* Whether path is in systemd's credentials directory (master_key =
 * credential:NAME), where the operator cannot put a file. */
static bool s_credential(const char *path)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    size_t n = dir ? strlen(dir) : 0;
    return n && !strncmp(path, dir, n) && path[n] == '/';
}

/*
 * Replace the master key (admin rotate-master): the new key is read from
 * the master key file's path with ".next" appended, where the operator put
 * it. In this batch the store is wrapped under it, the data key rotated to
 * a version drawn from fresh randomness and re-sealing started; from the
 * commit only the new key opens the store. The daemon opens with PATH.next
 * when PATH no longer does (cl_store_open_keyfile), so a crash before the
 * operator moves the file leaves the one usable key where it looks.
 */
int cl_handle_rotate_master(cl_op *op, cl_request *q, cl_reply *rep)
{
    cl_server *s = op->srv;
    const char *path = op->cfg->master_key;
    char next[4200], msg[CL_ERROR_SZ] = "", why[512];
    uint8_t *cur = sodium_malloc(CL_MASTER_KEY_LEN);
    uint8_t *key = sodium_malloc(CL_MASTER_KEY_LEN);
    uint32_t v = 0;
    int rc = cur && key ? CL_OK : CL_ERR_NOMEM;
    (void)q;
    rep->kind = CL_REQ_ADMIN_ROTATE_MASTER;
    snprintf(next, sizeof(next), "%s.next", path);
    if (rc != CL_OK)
        goto out;
    if (cl_store_key_load(key, next, why, sizeof(why)) != CL_OK)
        snprintf(msg, sizeof(msg),
                 s_credential(path)
                     ? "%.140s; the new master key is a credential too: "
                       "install the drop-in caselinkd-rotate.conf.sample "
                       "(LoadCredential=master.key.next:...), restart, ask "
                       "again"
                     : "%.140s; put the new master key there first (64 hex "
                       "digits, mode 0600)",
                 why);
    else if (cl_store_key_load(cur, path, why, sizeof(why)) != CL_OK ||
             !cl_store_key_opens(s->store, cur))
        snprintf(msg, sizeof(msg),
                 "%.60s does not hold the key in use (the last replacement "
                 "is not finished): move %.65s over it, then ask again",
                 path, next);
    else if ((rc = cl_store_rekey(op->t, key, &v)) == CL_ERR_EXISTS)
        snprintf(msg, sizeof(msg),
                 "%.180s is the key in use: put a new one there", next);
    else if (rc == CL_ERR_FULL)
        snprintf(msg, sizeof(msg),
                 "%u data key versions are live: retire version %u first "
                 "(when key-status shows it holds no values), then ask "
                 "again",
                 (unsigned)CL_STORE_KEY_VERSIONS, cl_store_key_floor(op->t));
    if (msg[0]) {
        cl_item_fail(op->it, CL_ERR_INVALID, msg);
        rc = CL_OK;
        goto out;
    }
    if (rc != CL_OK)
        goto out; /* the batch fails: its abort puts the keys back */
    memset(&s->reseal, 0, sizeof(s->reseal));
    s->resealing = true;
    cl_audit_note note;
    memset(&note, 0, sizeof(note));
    snprintf(note.purpose, sizeof(note.purpose),
             "master key replaced; data key version %u from fresh "
             "randomness, re-sealing",
             v);
    if ((rc = cl_item_audit(s, op->t, op->it, &note)) != CL_OK)
        goto out;
    cl_log_warn("master key replaced: from now on only %s opens the store "
                "(move it to %s); data key version %u, re-sealing in the "
                "background; the index keys are still the former key's: "
                "once it is moved, stop the daemon and run caselinkd "
                "--rekey-indexes",
                next, path, v);
    rc = s_key_status(op, v, &rep->u.key_status);
out:
    sodium_free(cur);
    sodium_free(key);
    return rc;
}
