/*
 * server: the main loop (see server.h).
 *
 * Order of start-up matters: the ZAP handler socket is bound before the
 * CURVE ROUTER socket exists, so no handshake can ever complete unchecked.
 * Each loop turn:
 *   1. answer pending ZAP requests (registered keys only);
 *   2. read up to batch_max requests without blocking;
 *   3. decode, authorize, and apply them all in one LMDB write transaction,
 *      each write in a nested transaction so that one failing request
 *      leaves no trace while the others stand;
 *   4. commit once (durable), and only then send every reply.
 * If the commit fails because the map is full, the map grows and the batch
 * is applied again; if it fails otherwise, every request in the batch is
 * answered "busy" or "internal" and nothing was acknowledged.
 */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "core.h"
#include "log.h"
#include "registry.h"
#include "store.h"
#include "wire.h"

#define S_ZAP_DOMAIN "caselink"
#define S_VERSION    "0.1.0"

typedef struct s_item {
    zmq_msg_t route;         /* routing id frame */
    bool has_delim;          /* REQ-style empty delimiter frame */
    char key[CL_Z85_KEY_SZ]; /* sender's public key (ZAP User-Id) */
    const cl_caller *who;    /* registry entry, NULL if revoked */
    cl_request req;          /* decoded request */
    int early;               /* CL_OK, or an error found before the store */
    cl_reply rep;            /* reply being built */
    uint8_t *out;            /* encoded reply (malloc'd) */
    size_t out_len;
} s_item;

struct cl_server {
    cl_config cfg;          /* immutable copy */
    void *zctx;             /* ZeroMQ context */
    void *zap;              /* REP on inproc://zeromq.zap.01 */
    void *router;           /* CURVE ROUTER */
    int sigfd;              /* signalfd for TERM, INT, HUP */
    cl_registry *registry;  /* current client registry */
    cl_store *store;        /* the encrypted store */
    s_item *items;          /* batch_max slots */
    int64_t started;        /* unix seconds */
    bool stopping;          /* SIGTERM seen */
    uint64_t watchdog_usec; /* 0 if no watchdog */
    uint64_t requests;      /* counters for the log and health */
    uint64_t commits;
    uint64_t next_purge_us;      /* monotonic time of the next retention run */
    uint64_t next_checkpoint_us; /* ... and of the next audit checkpoint */
};

static int64_t s_now(void)
{
    return (int64_t)time(NULL);
}

static uint64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- ZAP ----------------------------------------------------------------- */

/* Receive all frames of one ZAP request, answer it. */
static void s_zap_handle(cl_server *s)
{
    zmq_msg_t f[7];
    int n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < 7)
            f[n++] = m;
        else
            zmq_msg_close(&m);
    }
    if (n < 6) {
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        return;
    }
    const char *status = "400", *text = "not registered";
    char key[CL_Z85_KEY_SZ] = "";
    const char *mech = zmq_msg_data(&f[5]);
    size_t mech_len = zmq_msg_size(&f[5]);
    bool domain_ok =
        zmq_msg_size(&f[2]) == strlen(S_ZAP_DOMAIN) &&
        memcmp(zmq_msg_data(&f[2]), S_ZAP_DOMAIN, strlen(S_ZAP_DOMAIN)) == 0;
    char addr[64] = "";
    size_t alen = zmq_msg_size(&f[3]) < sizeof(addr) - 1 ? zmq_msg_size(&f[3])
                                                         : sizeof(addr) - 1;
    memcpy(addr, zmq_msg_data(&f[3]), alen);
    addr[alen] = '\0';
    if (!domain_ok) {
        text = "wrong ZAP domain";
    } else if (mech_len != 5 || memcmp(mech, "CURVE", 5) != 0 || n < 7 ||
               zmq_msg_size(&f[6]) != 32) {
        text = "CURVE required";
    } else {
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        const cl_caller *who = cl_registry_find(s->registry, key);
        if (who) {
            status = "200";
            text = "OK";
            cl_log_debug("admitted client=%s addr=%s", who->name, addr);
        }
    }
    if (status[0] != '2')
        cl_log_warn("refused connection: %s key=%.8s... addr=%s", text,
                    key[0] ? key : "-", addr);
    /* version, request id, status code, status text, user id, metadata */
    zmq_send(s->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(s->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
    zmq_send(s->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(s->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(s->zap, key, status[0] == '2' ? strlen(key) : 0, ZMQ_SNDMORE);
    zmq_send(s->zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void s_zap_drain(cl_server *s)
{
    int events = 0;
    size_t len = sizeof(events);
    while (zmq_getsockopt(s->zap, ZMQ_EVENTS, &events, &len) == 0 &&
           (events & ZMQ_POLLIN))
        s_zap_handle(s);
}

/* --- signals and registry ------------------------------------------------- */

static void s_reload(cl_server *s)
{
    char err[512];
    cl_registry *r = NULL;
    if (cl_registry_load(&r, s->cfg.registry, err, sizeof(err)) != CL_OK) {
        cl_log_err("registry reload failed, keeping the old one: %s", err);
        return;
    }
    cl_registry_destroy(&s->registry);
    s->registry = r;
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

/* --- requests ------------------------------------------------------------- */

static void s_item_reset(s_item *it)
{
    cl_reply_clear(&it->rep);
    free(it->out);
    it->out = NULL;
    it->out_len = 0;
}

static void s_item_release(s_item *it)
{
    s_item_reset(it);
    zmq_msg_close(&it->route);
    sodium_memzero(&it->req, sizeof(it->req));
}

static void s_fail(s_item *it, int err, const char *msg)
{
    cl_reply_clear(&it->rep);
    memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    it->rep.status = cl_wire_status(err);
    cl_copy(it->rep.error, sizeof(it->rep.error),
            msg && msg[0] ? msg : cl_strerror(err));
}

/* Read one request's frames. Returns false when nothing is waiting.
 * Accepted shapes after the routing id: [payload] (DEALER) or
 * [empty][payload] (REQ). */
static bool s_recv(cl_server *s, s_item *it)
{
    zmq_msg_t f[3];
    size_t nf = 0, total = 0;
    char err[CL_ERROR_SZ];
    zmq_msg_init(&it->route);
    if (zmq_msg_recv(&it->route, s->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&it->route);
        return false;
    }
    memset(&it->req, 0, sizeof(it->req));
    memset(&it->rep, 0, sizeof(it->rep));
    it->out = NULL;
    it->out_len = 0;
    it->has_delim = false;
    it->early = CL_OK;
    it->key[0] = '\0';
    bool more = zmq_msg_more(&it->route);
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->router, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        total++;
        if (nf < 3)
            f[nf++] = m;
        else
            zmq_msg_close(&m);
    }
    s->requests++;
    zmq_msg_t *payload = NULL;
    if (total == 1)
        payload = &f[0];
    else if (total == 2 && zmq_msg_size(&f[0]) == 0) {
        payload = &f[1];
        it->has_delim = true;
    }
    const char *uid = nf ? zmq_msg_gets(&f[nf - 1], "User-Id") : NULL;
    if (uid)
        CL_COPY(it->key, uid);
    it->who = cl_registry_find(s->registry, it->key);
    size_t bytes = payload ? zmq_msg_size(payload) : 0;
    if (!payload) {
        it->early = CL_ERR_INVALID;
        s_fail(it, CL_ERR_INVALID, "expected one frame holding an Envelope");
    } else if (!it->who) {
        it->early = CL_ERR_DENIED;
        s_fail(it, CL_ERR_DENIED, "client key is no longer registered");
    } else {
        int rc =
            cl_wire_decode_request(&it->req, zmq_msg_data(payload), bytes, err);
        if (rc != CL_OK) {
            it->early = rc;
            s_fail(it, rc, err);
        } else if (!cl_core_allowed(it->who->roles, it->req.kind)) {
            it->early = CL_ERR_DENIED;
            snprintf(err, sizeof(err), "%s is not allowed for client %s",
                     cl_wire_kind_name(it->req.kind), it->who->name);
            s_fail(it, CL_ERR_DENIED, err);
        }
    }
    if (it->early != CL_OK)
        cl_log_warn("request refused: client=%s bytes=%zu status=%s: %s",
                    it->who ? it->who->name : "(revoked)", bytes,
                    cl_status_name(it->rep.status), it->rep.error);
    for (size_t i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return true;
}

/* Append the audit entry for an item; the caller picks the transaction
 * (the request's own for success, the batch's for a refusal). */
static int s_audit(cl_txn *t, const s_item *it, const cl_audit_note *note)
{
    return cl_audit_append(t, it->who, cl_wire_kind_name(it->req.kind), note,
                           (uint8_t)it->rep.status, s_now());
}

/* True for errors that must fail (or retry) the whole batch. */
static bool s_fatal(int rc)
{
    return rc == CL_ERR_FULL || rc == CL_ERR_NOMEM || rc == CL_ERR_IO ||
           rc == CL_ERR_BUSY || rc == CL_ERR_CORRUPT || rc == CL_ERR_INTERNAL;
}

/*
 * A write (publish, correct, withdraw): idempotency check, then the change
 * and its audit entry in a nested transaction, then the reply remembered
 * under the message id. Stored idempotency value: 16-byte body hash, then
 * the encoded reply.
 */
static int s_write(cl_server *s, cl_txn *parent, s_item *it)
{
    uint8_t ik[CL_BLIND_LEN], idem[CL_MSGID_LEN + CL_Z85_KEY_SZ];
    uint8_t *stored = NULL;
    size_t stored_len = 0;
    cl_txn *t = NULL;
    cl_audit_note note;
    char err[CL_ERROR_SZ] = "";
    int rc;

    memset(&note, 0, sizeof(note));
    memcpy(idem, it->key, CL_Z85_KEY_SZ);
    memcpy(idem + CL_Z85_KEY_SZ, it->req.msgid, CL_MSGID_LEN);
    cl_store_blind(s->store, ik, "idem", idem, sizeof(idem));
    stored = malloc(CL_STORE_MAX_VALUE);
    if (!stored)
        return CL_ERR_NOMEM;
    rc = cl_store_get(parent, CL_DB_IDEMPOTENCY, ik, sizeof(ik), stored,
                      CL_STORE_MAX_VALUE, &stored_len);
    if (rc == CL_OK) {
        if (stored_len < 16 || sodium_memcmp(stored, it->req.body_hash, 16)) {
            s_fail(it, CL_ERR_INVALID,
                   "message id already used for a different request");
        } else {
            rc = cl_wire_reply_as_duplicate(&it->out, &it->out_len, stored + 16,
                                            stored_len - 16);
            if (rc != CL_OK)
                goto out;
        }
        rc = CL_OK;
        goto out;
    }
    if (rc != CL_ERR_NOT_FOUND)
        goto out;

    it->rep.kind = it->req.kind;
    cl_referral *content =
        it->req.kind == CL_REQ_PUBLISH_REFERRAL   ? &it->req.u.publish
        : it->req.kind == CL_REQ_CORRECT_REFERRAL ? &it->req.u.rectify.referral
                                                  : NULL;
    if (content) {
        rc = cl_referral_validate(content, err, &it->rep.u.publish);
        if (rc != CL_OK) {
            s_fail(it, rc, err);
            rc = s_audit(parent, it, &note);
            goto out;
        }
    }
    if ((rc = cl_store_begin(&t, s->store, parent, true)) != CL_OK)
        goto out;
    if (it->req.kind == CL_REQ_PUBLISH_REFERRAL)
        rc = cl_core_publish(t, &s->cfg.match, it->who, content, s_now(),
                             &it->rep.u.publish, &note, err);
    else
        rc = cl_core_rectify(t, &s->cfg.match, it->who, it->req.kind,
                             &it->req.u.rectify, s_now(), &it->rep.u.publish,
                             &note, err);
    if (s_fatal(rc))
        goto out; /* the whole batch must fail or retry */
    if (rc != CL_OK) {
        cl_store_abort(&t);
        s_fail(it, rc, err);
        rc = s_audit(parent, it, &note);
        goto out;
    }
    memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    it->rep.status = CL_STATUS_OK;
    /* Fail closed: no audit entry, no change. */
    if ((rc = s_audit(t, it, &note)) != CL_OK)
        goto out;
    if ((rc = cl_wire_encode_reply(&it->out, &it->out_len, &it->rep)) != CL_OK)
        goto out;
    if (it->out_len + 16 > CL_STORE_MAX_VALUE) {
        rc = CL_ERR_INTERNAL;
        goto out;
    }
    memcpy(stored, it->req.body_hash, 16);
    memcpy(stored + 16, it->out, it->out_len);
    rc = cl_store_put(t, CL_DB_IDEMPOTENCY, ik, sizeof(ik), stored,
                      it->out_len + 16);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
out:
    cl_store_abort(&t);
    free(stored);
    return rc;
}

/* A read of personal data: run it, then audit it in the batch's
 * transaction whatever the outcome. */
static int s_read(cl_server *s, cl_txn *t, s_item *it)
{
    char err[CL_ERROR_SZ] = "";
    cl_audit_note note;
    int rc;
    (void)s;
    memset(&note, 0, sizeof(note));
    it->rep.kind = it->req.kind;
    switch (it->req.kind) {
    case CL_REQ_GET_PERSON:
        rc = cl_core_person_view(t, it->who, &it->req.u.get_person,
                                 &it->rep.u.person, &note, err);
        break;
    case CL_REQ_SUBJECT_ACCESS:
        rc = cl_core_subject_access(t, it->who, &it->req.u.person_ref,
                                    &it->rep.u.subject, &note, err);
        break;
    case CL_REQ_AUDIT_SEARCH:
        rc = cl_core_audit_search(t, it->who, &it->req.u.person_ref,
                                  &it->rep.u.entries, &note, err);
        break;
    default:
        rc = CL_ERR_INTERNAL;
    }
    if (s_fatal(rc))
        return rc;
    if (rc != CL_OK)
        s_fail(it, rc, err);
    return s_audit(t, it, &note);
}

static int s_health(cl_server *s, cl_txn *t, s_item *it)
{
    cl_store_stats st;
    it->rep.kind = CL_REQ_HEALTH;
    cl_health *h = &it->rep.u.health;
    CL_COPY(h->version, S_VERSION);
    h->uptime_s = (uint64_t)(s_now() - s->started);
    int rc = cl_core_counts(t, &h->persons, &h->referrals);
    if (rc == CL_OK && cl_store_stats_get(s->store, &st) == CL_OK)
        h->store_bytes = st.used_bytes;
    if (rc != CL_OK)
        s_fail(it, rc, NULL);
    return CL_OK;
}

static int s_audit_admin(cl_txn *t, s_item *it)
{
    int rc;
    it->rep.kind = it->req.kind;
    if (it->req.kind == CL_REQ_AUDIT_CHECKPOINT)
        return cl_audit_checkpoint(t, s_now(), it->rep.u.checkpoint);
    rc = cl_audit_verify(t, it->req.u.checkpoint, &it->rep.u.verify);
    if (rc == CL_ERR_INVALID) {
        char why[CL_ERROR_SZ];
        CL_COPY(why, it->rep.u.verify.problem);
        s_fail(it, rc, why);
        return CL_OK;
    }
    return rc;
}

/* Apply every good request of the batch in one transaction and commit. */
static int s_apply(cl_server *s, s_item *items, size_t n)
{
    cl_txn *t = NULL;
    int rc = cl_store_begin(&t, s->store, NULL, true);
    for (size_t i = 0; i < n && rc == CL_OK; i++) {
        s_item *it = &items[i];
        if (it->early != CL_OK) {
            /* An attempt on personal data by a role without the right is
             * itself worth an audit entry. */
            if (it->early == CL_ERR_DENIED && it->who &&
                cl_core_personal(it->req.kind))
                rc = s_audit(t, it, NULL);
            continue;
        }
        s_item_reset(it);
        switch (it->req.kind) {
        case CL_REQ_PUBLISH_REFERRAL:
        case CL_REQ_CORRECT_REFERRAL:
        case CL_REQ_WITHDRAW_REFERRAL:
            rc = s_write(s, t, it);
            break;
        case CL_REQ_GET_PERSON:
        case CL_REQ_SUBJECT_ACCESS:
        case CL_REQ_AUDIT_SEARCH:
            rc = s_read(s, t, it);
            break;
        case CL_REQ_AUDIT_VERIFY:
        case CL_REQ_AUDIT_CHECKPOINT:
            rc = s_audit_admin(t, it);
            break;
        case CL_REQ_HEALTH:
            rc = s_health(s, t, it);
            break;
        default:
            s_fail(it, CL_ERR_INVALID, "unsupported request");
        }
        if (rc == CL_OK && it->rep.status != CL_STATUS_OK && !it->out)
            cl_log_warn("request refused: client=%s kind=%s status=%s: %s",
                        it->who->name, cl_wire_kind_name(it->req.kind),
                        cl_status_name(it->rep.status), it->rep.error);
    }
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    return rc;
}

static void s_send(cl_server *s, s_item *it)
{
    if (!it->out) {
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
        if (cl_wire_encode_reply(&it->out, &it->out_len, &it->rep) != CL_OK) {
            cl_log_err("cannot encode a reply: out of memory");
            return;
        }
    }
    int rc = zmq_msg_send(&it->route, s->router, ZMQ_SNDMORE);
    if (rc >= 0 && it->has_delim)
        rc = zmq_send(s->router, "", 0, ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send(s->router, it->out, it->out_len, 0);
    if (rc < 0)
        cl_log_warn("reply not delivered (client=%s): %s; a resend of the "
                    "same message id gets the original outcome",
                    it->who ? it->who->name : "-", zmq_strerror(errno));
}

static void s_batch(cl_server *s)
{
    s_item *items = s->items;
    size_t n = 0;
    while (n < s->cfg.batch_max && s_recv(s, &items[n]))
        n++;
    if (n == 0)
        return;
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= items[i].early == CL_OK ||
               (items[i].early == CL_ERR_DENIED && items[i].who &&
                cl_core_personal(items[i].req.kind));
    int rc = CL_OK;
    if (any) {
        uint64_t t0 = s_mono_us();
        for (int attempt = 0; attempt < 8; attempt++) {
            rc = s_apply(s, items, n);
            if (rc != CL_ERR_FULL)
                break;
            if (cl_store_grow(s->store, s->cfg.map_max_bytes) != CL_OK)
                break;
            cl_store_stats st;
            if (cl_store_stats_get(s->store, &st) == CL_OK)
                cl_log_info("store map grown to %llu MiB",
                            (unsigned long long)(st.map_bytes >> 20));
        }
        uint64_t ms = (s_mono_us() - t0) / 1000;
        s->commits++;
        if (ms >= s->cfg.slow_commit_ms)
            cl_log_warn("slow commit: %llu ms for %zu requests",
                        (unsigned long long)ms, n);
    }
    if (rc != CL_OK) {
        cl_log_err("batch of %zu requests not committed: %s", n,
                   cl_strerror(rc));
        for (size_t i = 0; i < n; i++)
            if (items[i].early == CL_OK) {
                s_item_reset(&items[i]);
                s_fail(&items[i], rc == CL_ERR_FULL ? CL_ERR_BUSY : rc,
                       rc == CL_ERR_FULL || rc == CL_ERR_BUSY
                           ? "store full: not stored, retry later"
                           : "not stored: internal error, retry later");
            }
    }
    for (size_t i = 0; i < n; i++) {
        s_send(s, &items[i]);
        s_item_release(&items[i]);
    }
}

/* --- housekeeping --------------------------------------------------------- */

/* Retention: remove people idle for longer than the configured period, a
 * bounded batch at a time. */
static void s_retention(cl_server *s)
{
    cl_txn *t = NULL;
    size_t purged = 0;
    int64_t cutoff = s_now() - (int64_t)(s->cfg.retention_days * 86400.0);
    int rc = cl_store_begin(&t, s->store, NULL, true);
    if (rc == CL_OK)
        rc = cl_core_purge(t, cutoff, s->cfg.purge_batch, s_now(), &purged);
    if (rc == CL_OK && purged)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    if (rc != CL_OK)
        cl_log_err("retention run failed: %s", cl_strerror(rc));
    else if (purged)
        cl_log_info("retention: removed %zu people idle for over %g days",
                    purged, s->cfg.retention_days);
}

/* Sign a checkpoint of the audit chain; log it and append it to a file in
 * the state directory, for shipping elsewhere. */
static void s_checkpoint(cl_server *s)
{
    cl_txn *t = NULL;
    char text[CL_CHECKPOINT_SZ], path[CL_PATH_SZ + 32];
    int rc = cl_store_begin(&t, s->store, NULL, false);
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
    char *nl;
    char one[CL_CHECKPOINT_SZ];
    CL_COPY(one, text);
    while ((nl = strchr(one, '\n')))
        *nl = ' ';
    cl_log_info("audit checkpoint: %s", one);
}

static void s_housekeeping(cl_server *s)
{
    uint64_t now = s_mono_us();
    if (s->cfg.retention_days > 0 && now >= s->next_purge_us) {
        s_retention(s);
        s->next_purge_us = now + s->cfg.retention_check_s * 1000000ull;
    }
    if (now >= s->next_checkpoint_us) {
        if (s->next_checkpoint_us)
            s_checkpoint(s);
        s->next_checkpoint_us = now + s->cfg.checkpoint_interval_s * 1000000ull;
    }
}

/* --- lifecycle ------------------------------------------------------------ */

static int s_sockopt(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof(v));
}

int cl_server_open(cl_server **out, const cl_config *cfg, char *err,
                   size_t err_len)
{
    int rc = CL_ERR_INTERNAL;
    char pub[CL_Z85_KEY_SZ], sec[CL_Z85_KEY_SZ];
    uint8_t *master = NULL;
    cl_server *s = calloc(1, sizeof(*s));
    if (!s)
        return CL_ERR_NOMEM;
    s->cfg = *cfg;
    s->sigfd = -1;
    s->started = s_now();

    rc = cl_registry_load(&s->registry, cfg->registry, err, err_len);
    if (rc != CL_OK)
        goto fail;
    rc = cl_keyfile_read(cfg->server_key, pub, sec, err, err_len);
    if (rc != CL_OK)
        goto fail;
    master = sodium_malloc(CL_MASTER_KEY_LEN);
    if (!master) {
        rc = CL_ERR_NOMEM;
        goto fail;
    }
    rc = cl_store_key_load(master, cfg->master_key, err, err_len);
    if (rc != CL_OK)
        goto fail;
    rc = cl_store_open(&s->store, cfg->state_dir, master, cfg->map_bytes);
    sodium_free(master);
    master = NULL;
    if (rc != CL_OK) {
        snprintf(err, err_len, "store %s: %s", cfg->state_dir,
                 rc == CL_ERR_KEY ? "the master key does not open this store"
                                  : cl_strerror(rc));
        goto fail;
    }
    s->items = calloc(cfg->batch_max, sizeof(*s->items));
    if (!s->items) {
        rc = CL_ERR_NOMEM;
        goto fail;
    }

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

    rc = CL_ERR_IO;
    s->zctx = zmq_ctx_new();
    if (!s->zctx) {
        snprintf(err, err_len, "zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    /* ZAP first: no CURVE handshake may ever complete without it. */
    s->zap = zmq_socket(s->zctx, ZMQ_REP);
    if (!s->zap || zmq_bind(s->zap, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, err_len, "ZAP handler: %s", zmq_strerror(errno));
        goto fail;
    }
    s->router = zmq_socket(s->zctx, ZMQ_ROUTER);
    if (!s->router) {
        snprintf(err, err_len, "ROUTER: %s", zmq_strerror(errno));
        goto fail;
    }
    int64_t maxmsg = cfg->max_message_bytes;
    if (s_sockopt(s->router, ZMQ_CURVE_SERVER, 1) ||
        zmq_setsockopt(s->router, ZMQ_CURVE_SECRETKEY, sec, 40) ||
        zmq_setsockopt(s->router, ZMQ_ZAP_DOMAIN, S_ZAP_DOMAIN,
                       strlen(S_ZAP_DOMAIN)) ||
        zmq_setsockopt(s->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) ||
        s_sockopt(s->router, ZMQ_HANDSHAKE_IVL,
                  (int)cfg->handshake_timeout_ms) ||
        s_sockopt(s->router, ZMQ_RCVHWM, (int)cfg->queue_depth) ||
        s_sockopt(s->router, ZMQ_SNDHWM, (int)cfg->queue_depth) ||
        s_sockopt(s->router, ZMQ_ROUTER_MANDATORY, 1) ||
        s_sockopt(s->router, ZMQ_SNDTIMEO, (int)cfg->send_timeout_ms) ||
        s_sockopt(s->router, ZMQ_LINGER, 1000)) {
        snprintf(err, err_len, "ROUTER options: %s", zmq_strerror(errno));
        goto fail;
    }
    sodium_memzero(sec, sizeof(sec));
    if (zmq_bind(s->router, cfg->endpoint) != 0) {
        snprintf(err, err_len, "cannot bind %s: %s", cfg->endpoint,
                 zmq_strerror(errno));
        goto fail;
    }
    uint64_t wd = 0;
    if (sd_watchdog_enabled(0, &wd) > 0)
        s->watchdog_usec = wd;
    *out = s;
    return CL_OK;
fail:
    sodium_memzero(sec, sizeof(sec));
    sodium_free(master);
    cl_server_close(&s);
    return rc;
}

int cl_server_run(cl_server *s)
{
    uint64_t last_wd = s_mono_us();
    sd_notifyf(0, "READY=1\nSTATUS=serving on %s, %zu clients registered",
               s->cfg.endpoint, cl_registry_count(s->registry));
    cl_log_info("caselinkd %s serving on %s (%zu clients registered)",
                S_VERSION, s->cfg.endpoint, cl_registry_count(s->registry));
    while (!s->stopping) {
        zmq_pollitem_t items[3] = {
            {s->router, 0, ZMQ_POLLIN, 0},
            {s->zap, 0, ZMQ_POLLIN, 0},
            {NULL, s->sigfd, ZMQ_POLLIN, 0},
        };
        long timeout = 500;
        if (s->watchdog_usec)
            timeout = (long)(s->watchdog_usec / 4000);
        if (zmq_poll(items, 3, timeout) < 0 && errno != EINTR) {
            cl_log_err("zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        if (items[2].revents & ZMQ_POLLIN)
            s_signals(s);
        if (items[1].revents & ZMQ_POLLIN)
            s_zap_drain(s);
        if (items[0].revents & ZMQ_POLLIN)
            s_batch(s);
        s_housekeeping(s);
        if (s->watchdog_usec && s_mono_us() - last_wd > s->watchdog_usec / 2) {
            sd_notify(0, "WATCHDOG=1");
            last_wd = s_mono_us();
        }
    }
    /* Finish what has already arrived: it was sent to us in good faith. */
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
    s_batch(s);
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
    if (s->router)
        zmq_close(s->router);
    if (s->zap)
        zmq_close(s->zap);
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    if (s->sigfd >= 0)
        close(s->sigfd);
    free(s->items);
    cl_store_close(&s->store);
    cl_registry_destroy(&s->registry);
    free(s);
    *sp = NULL;
}
