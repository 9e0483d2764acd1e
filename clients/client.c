/*
 * libcaselink: one CURVE DEALER socket per client, plus a socket monitor
 * that turns what happens to the connection into clear errors at once
 * instead of a silent timeout: the daemon refusing our key at the
 * handshake (CL_ERR_DENIED), a handshake that fails because the server key
 * is not the daemon's (CL_ERR_SERVER_KEY), and nothing listening at the
 * endpoint (CL_ERR_UNREACHABLE, only before the first connection: once
 * connected, a daemon restarting is waited for and resent to).
 *
 * Several endpoints (a replicated deployment: an active and standbys) are
 * given as one comma-separated list. The client talks to one at a time;
 * on a "not active" reply, a timeout or nothing listening it moves to the
 * next endpoint and resends the very same bytes (same message id), so the
 * node that is active applies the request at most once and a resend after
 * a failover is answered with the original outcome.
 */
#include "caselink.h"

#include <errno.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "keyfile.h"
#include "wire.h"

#define S_ENDPOINTS_MAX  8
#define S_ROUND_PAUSE_MS 250 /* between rounds when no endpoint is active */

/* Key material kept (locked) to reconnect on a failover. */
typedef struct s_keys {
    char spub[CL_Z85_KEY_SZ], pub[CL_Z85_KEY_SZ], sec[CL_Z85_KEY_SZ];
} s_keys;

struct cl_client {
    void *ctx;            /* ZeroMQ context */
    void *sock;           /* DEALER to the current endpoint */
    void *monitor;        /* PAIR receiving the DEALER's events */
    int timeout_ms;       /* per attempt */
    int attempts;         /* sends per call (per endpoint) */
    bool auth_failed;     /* the daemon refused our key */
    bool key_failed;      /* a handshake failed other than by refusal */
    bool connected;       /* a connection was made once */
    bool handshaken;      /* a handshake succeeded once */
    bool retried;         /* a connection attempt failed */
    cl_user user;         /* stamped on requests that name nobody */
    uint64_t monitor_id;  /* for a unique inproc name */
    unsigned monitor_gen; /* ... one per socket */
    s_keys *keys;         /* sodium_malloc'd */
    char endpoints[S_ENDPOINTS_MAX][512];
    int n_endpoints;
    int current; /* index of the endpoint in use */
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Close the current socket and its monitor; forget what they saw. */
static void s_sock_close(cl_client *c)
{
    int zero = 0;
    /* Stop the monitor before closing either end: events still queued
     * between the two inproc ends are otherwise never freed by libzmq. */
    if (c->sock)
        (void)zmq_socket_monitor(c->sock, NULL, 0);
    if (c->sock) {
        (void)zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
        zmq_close(c->sock);
    }
    if (c->monitor) {
        for (;;) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            int got = zmq_msg_recv(&m, c->monitor, ZMQ_DONTWAIT);
            zmq_msg_close(&m);
            if (got < 0)
                break;
        }
        (void)zmq_setsockopt(c->monitor, ZMQ_LINGER, &zero, sizeof(zero));
        zmq_close(c->monitor);
    }
    c->monitor = NULL;
    c->sock = NULL;
    c->auth_failed = c->key_failed = false;
    c->connected = c->handshaken = c->retried = false;
}

/* A DEALER (with its monitor) connected to endpoint i. */
static int s_sock_open(cl_client *c, int i, char *err, size_t err_len)
{
    char mon[80];
    int linger = 0, hs = 5000;
    int64_t maxmsg = CL_WIRE_MAX_REPLY + CL_WIRE_CURVE_OVERHEAD;
    s_sock_close(c);
    c->current = i;
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!c->sock) {
        snprintf(err, err_len, "zmq: %s", zmq_strerror(errno));
        return CL_ERR_IO;
    }
    if (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, c->keys->spub, 40) ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, c->keys->pub, 40) ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, c->keys->sec, 40) ||
        zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof(linger)) ||
        zmq_setsockopt(c->sock, ZMQ_HANDSHAKE_IVL, &hs, sizeof(hs)) ||
        zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg))) {
        snprintf(err, err_len, "zmq options: %s", zmq_strerror(errno));
        return CL_ERR_IO;
    }
    snprintf(mon, sizeof(mon), "inproc://cl-monitor-%016llx-%u",
             (unsigned long long)c->monitor_id, c->monitor_gen++);
    if (zmq_socket_monitor(c->sock, mon,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_CONNECTED |
                               ZMQ_EVENT_CONNECT_RETRIED) != 0 ||
        !(c->monitor = zmq_socket(c->ctx, ZMQ_PAIR)) ||
        zmq_connect(c->monitor, mon) != 0) {
        snprintf(err, err_len, "zmq monitor: %s", zmq_strerror(errno));
        return CL_ERR_IO;
    }
    if (zmq_connect(c->sock, c->endpoints[i]) != 0) {
        snprintf(err, err_len, "cannot connect to %s: %s", c->endpoints[i],
                 zmq_strerror(errno));
        return CL_ERR_IO;
    }
    return CL_OK;
}

/* Split "tcp://a:1,tcp://b:2" into c->endpoints. */
static int s_endpoints(cl_client *c, const char *list, char *err,
                       size_t err_len)
{
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, ", ");
        if (c->n_endpoints == S_ENDPOINTS_MAX || n >= sizeof(c->endpoints[0])) {
            snprintf(err, err_len,
                     "endpoint: at most %d, each under %zu characters",
                     S_ENDPOINTS_MAX, sizeof(c->endpoints[0]));
            return CL_ERR_INVALID;
        }
        memcpy(c->endpoints[c->n_endpoints], p, n);
        c->endpoints[c->n_endpoints++][n] = '\0';
        p += n;
    }
    if (!c->n_endpoints) {
        snprintf(err, err_len, "endpoint: none given");
        return CL_ERR_INVALID;
    }
    return CL_OK;
}

int cl_client_open(cl_client **out, const cl_client_options *o, char *err,
                   size_t err_len)
{
    int rc;
    if (sodium_init() < 0)
        return CL_ERR_INTERNAL;
    if (!o->endpoint || !o->server_key || !o->client_key) {
        snprintf(err, err_len, "endpoint, server key and client key needed");
        return CL_ERR_INVALID;
    }
    cl_client *c = calloc(1, sizeof(*c));
    if (!c)
        return CL_ERR_NOMEM;
    c->keys = sodium_malloc(sizeof(*c->keys));
    if (!c->keys) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    if ((rc = s_endpoints(c, o->endpoint, err, err_len)) != CL_OK)
        goto out;
    rc = cl_keyfile_read(o->server_key, c->keys->spub, NULL, err, err_len);
    if (rc != CL_OK)
        goto out;
    rc = cl_keyfile_read(o->client_key, c->keys->pub, c->keys->sec, err,
                         err_len);
    if (rc != CL_OK)
        goto out;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    if (o->user)
        c->user = *o->user;
    c->attempts = o->attempts > 0 ? o->attempts : 3;
    randombytes_buf(&c->monitor_id, sizeof(c->monitor_id));
    c->ctx = zmq_ctx_new();
    if (!c->ctx) {
        snprintf(err, err_len, "zmq_ctx_new: %s", zmq_strerror(errno));
        rc = CL_ERR_IO;
        goto out;
    }
    if ((rc = s_sock_open(c, 0, err, err_len)) != CL_OK)
        goto out;
    *out = c;
    c = NULL;
out:
    cl_client_close(&c);
    return rc;
}

void cl_client_close(cl_client **cp)
{
    if (!cp || !*cp)
        return;
    cl_client *c = *cp;
    s_sock_close(c);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    sodium_free(c->keys); /* wiped */
    free(c);
    *cp = NULL;
}

const char *cl_client_endpoint(const cl_client *c)
{
    return c->endpoints[c->current];
}

/* Move to the next endpoint (a failover). False with only one. */
static bool s_failover(cl_client *c)
{
    char err[256];
    if (c->n_endpoints < 2)
        return false;
    return s_sock_open(c, (c->current + 1) % c->n_endpoints, err,
                       sizeof(err)) == CL_OK;
}

void cl_client_set_user(cl_client *c, const cl_user *u)
{
    if (u)
        c->user = *u;
    else
        memset(&c->user, 0, sizeof(c->user));
}

/* Trim spaces and the line end from both ends of s, in place. */
static char *s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                 s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int cl_user_load(cl_user *out, const char *path, char *err, size_t err_len)
{
    static const struct {
        const char *key;
        size_t off, cap;
    } keys[] = {
        {"user_id", offsetof(cl_user, id), CL_USER_ID_SZ},
        {"display_name", offsetof(cl_user, name), CL_NAME_SZ},
        {"role", offsetof(cl_user, role), CL_USER_ROLE_SZ},
    };
    char line[512], why[CL_ERROR_SZ];
    cl_user u;
    int rc = CL_OK, lineno = 0;
    memset(&u, 0, sizeof(u));
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return CL_ERR_IO;
    }
    while (rc == CL_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        char *l = s_trim(line), *eq = strchr(l, '=');
        if (!l[0] || l[0] == '#' || l[0] == ';')
            continue;
        size_t k = sizeof(keys) / sizeof(keys[0]);
        if (eq) {
            *eq = '\0';
            char *name = s_trim(l);
            for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                if (strcmp(name, keys[k].key) == 0)
                    break;
        }
        if (k == sizeof(keys) / sizeof(keys[0])) {
            snprintf(err, err_len,
                     "%s:%d: expected user_id = ..., display_name = ... or "
                     "role = ...",
                     path, lineno);
            rc = CL_ERR_INVALID;
        } else if (!cl_copy((char *)&u + keys[k].off, keys[k].cap,
                            s_trim(eq + 1))) {
            snprintf(err, err_len, "%s:%d: %s is longer than %zu bytes", path,
                     lineno, keys[k].key, keys[k].cap - 1);
            rc = CL_ERR_INVALID;
        }
    }
    fclose(f);
    if (rc == CL_OK && !cl_user_named(&u)) {
        snprintf(err, err_len, "%s: names no user", path);
        rc = CL_ERR_INVALID;
    }
    if (rc == CL_OK && cl_user_validate(&u, why) != CL_OK) {
        snprintf(err, err_len, "%s: %s", path, why);
        rc = CL_ERR_INVALID;
    }
    if (rc == CL_OK)
        *out = u;
    return rc;
}

/* Read monitor events; note what they say about the connection. */
static void s_monitor_drain(cl_client *c)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        if (zmq_msg_size(&m) >= 2) {
            uint16_t ev;
            memcpy(&ev, zmq_msg_data(&m), 2);
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                c->auth_failed = true;
            else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                     ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
                c->key_failed = true;
            else if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                c->handshaken = true;
            else if (ev == ZMQ_EVENT_CONNECTED)
                c->connected = true;
            else if (ev == ZMQ_EVENT_CONNECT_RETRIED)
                c->retried = true;
        }
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        while (more) { /* second frame: the endpoint */
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, c->monitor, 0) < 0) {
                zmq_msg_close(&m);
                break;
            }
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
    }
}

static bool s_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static int s_encode(const cl_client *c, cl_request *req, uint8_t **buf,
                    size_t *len)
{
    /* The client's user goes on the wire, not into the caller's request:
     * a request reused on another client must not carry this one's. */
    bool stamp = !cl_user_named(&req->on_behalf_of);
    if (stamp)
        req->on_behalf_of = c->user;
    if (s_zero(req->msgid, CL_MSGID_LEN))
        randombytes_buf(req->msgid, CL_MSGID_LEN);
    req->version = CL_PROTOCOL_VERSION;
    req->sent_ms = s_now_ms();
    int rc = cl_wire_encode_request(buf, len, req);
    if (stamp)
        memset(&req->on_behalf_of, 0, sizeof(req->on_behalf_of));
    return rc;
}

int cl_client_send(cl_client *c, cl_request *req)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = s_encode(c, req, &buf, &len);
    if (rc != CL_OK)
        return rc;
    if (zmq_send(c->sock, buf, len, 0) < 0)
        rc = CL_ERR_IO;
    free(buf);
    return rc;
}

int cl_client_recv(cl_client *c, cl_reply *rep, int timeout_ms)
{
    int64_t deadline = s_mono_ms() + timeout_ms;
    for (;;) {
        zmq_pollitem_t items[2] = {{c->sock, 0, ZMQ_POLLIN, 0},
                                   {c->monitor, 0, ZMQ_POLLIN, 0}};
        int64_t left = deadline - s_mono_ms();
        if (left < 0)
            left = 0;
        if (zmq_poll(items, 2, (long)left) < 0 && errno != EINTR)
            return CL_ERR_IO;
        if (items[1].revents & ZMQ_POLLIN)
            s_monitor_drain(c);
        if (items[0].revents & ZMQ_POLLIN) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, c->sock, 0) < 0) {
                zmq_msg_close(&m);
                return CL_ERR_IO;
            }
            int rc =
                cl_wire_decode_reply(rep, zmq_msg_data(&m), zmq_msg_size(&m));
            zmq_msg_close(&m);
            return rc;
        }
        if (c->auth_failed)
            return CL_ERR_DENIED;
        if (c->key_failed && !c->handshaken)
            return CL_ERR_SERVER_KEY;
        if (c->retried && !c->connected)
            return CL_ERR_UNREACHABLE;
        if (s_mono_ms() >= deadline)
            return CL_ERR_TIMEOUT;
    }
}

/*
 * Send and wait, resending the same bytes on timeout; extra_ms is added to
 * each wait (a mailbox receive may be held that long by the daemon). With
 * several endpoints, a timeout, nothing listening or a "not active" reply
 * moves on to the next endpoint; each endpoint gets c->attempts tries in
 * all. The last "not active" reply is returned if no endpoint is active.
 */
static int s_call(cl_client *c, cl_request *req, cl_reply *rep, int extra_ms)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = s_encode(c, req, &buf, &len);
    if (rc != CL_OK)
        return rc;
    memset(rep, 0, sizeof(*rep));
    int tries = c->attempts * c->n_endpoints;
    for (int attempt = 0; attempt < tries; attempt++) {
        if (attempt && c->n_endpoints > 1 && attempt % c->n_endpoints == 0)
            zmq_poll(NULL, 0, S_ROUND_PAUSE_MS); /* a promotion under way */
        if (zmq_send(c->sock, buf, len, 0) < 0) {
            rc = CL_ERR_IO;
            break;
        }
        int64_t deadline = s_mono_ms() + c->timeout_ms + extra_ms;
        for (;;) {
            int left = (int)(deadline - s_mono_ms());
            rc = cl_client_recv(c, rep, left > 0 ? left : 0);
            if (rc != CL_OK)
                break;
            if (memcmp(rep->msgid, req->msgid, CL_MSGID_LEN) == 0 ||
                rep->msgid_unread || s_zero(rep->msgid, CL_MSGID_LEN))
                break; /* ours, or an error about an undecodable frame */
            cl_reply_clear(rep); /* a late reply to an earlier request */
        }
        if (rc == CL_OK && rep->status == CL_STATUS_NOT_ACTIVE &&
            attempt + 1 < tries && s_failover(c)) {
            cl_reply_clear(rep);
            continue;
        }
        if (rc != CL_ERR_TIMEOUT &&
            !(rc == CL_ERR_UNREACHABLE && c->n_endpoints > 1))
            break;
        if (!s_failover(c) && rc == CL_ERR_UNREACHABLE)
            break;
    }
    free(buf);
    return rc;
}

int cl_client_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    return s_call(c, req, rep, 0);
}

static int s_refusal(const cl_reply *rep)
{
    switch (rep->status) {
    case CL_STATUS_DENIED:
        return CL_ERR_DENIED;
    case CL_STATUS_INVALID:
        return CL_ERR_INVALID;
    case CL_STATUS_BUSY:
        return CL_ERR_BUSY;
    case CL_STATUS_NOT_FOUND:
        return CL_ERR_NOT_FOUND;
    case CL_STATUS_NOT_ACTIVE:
        return CL_ERR_INACTIVE;
    default:
        return CL_ERR_INTERNAL;
    }
}

int cl_client_flag_check(cl_client *c, cl_flag_by by, const char *id,
                         cl_flag_result *out, char *err, size_t err_len)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int rc;
    memset(out, 0, sizeof(*out));
    memset(&rep, 0, sizeof(rep));
    if (err && err_len)
        err[0] = '\0';
    if (!req)
        return CL_ERR_NOMEM;
    req->kind = CL_REQ_FLAG_CHECK;
    cl_person *p = &req->u.flag.person;
    bool fits = id && (by == CL_FLAG_BY_NHS        ? CL_COPY(p->nhs, id)
                       : by == CL_FLAG_BY_CHI      ? CL_COPY(p->chi, id)
                       : by == CL_FLAG_BY_LOCAL_ID ? CL_COPY(p->local_id, id)
                                                   : false);
    if (!fits) {
        if (err && err_len)
            snprintf(err, err_len,
                     "give an NHS or CHI number or your own local id (at "
                     "most %d bytes)",
                     CL_LOCAL_ID_SZ - 1);
        rc = CL_ERR_INVALID;
        goto out;
    }
    if ((rc = cl_client_call(c, req, &rep)) != CL_OK)
        goto out;
    if (!cl_reply_ok(&rep)) {
        rc = s_refusal(&rep);
        if (err && err_len)
            snprintf(err, err_len, "%s", rep.error);
        goto out;
    }
    *out = rep.u.flag;
out:
    cl_reply_clear(&rep);
    sodium_memzero(req, sizeof(*req));
    free(req);
    return rc;
}

int cl_client_receive_loop(cl_client *c, const cl_receive_options *o,
                           cl_delivery_fn fn, void *ctx)
{
    int wait = o && o->wait_ms > 0 ? o->wait_ms : 25000;
    int redeliver = o && o->redeliver_ms > 0 ? o->redeliver_ms : 60000;
    int64_t end = o && o->run_ms > 0 ? s_mono_ms() + o->run_ms : INT64_MAX;
    int64_t retry_at = 0; /* when to go back for unacknowledged ones */
    uint64_t after = 0;
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int rc = req ? CL_OK : CL_ERR_NOMEM;
    memset(&rep, 0, sizeof(rep));
    while (rc == CL_OK && !(o && o->stop && *o->stop)) {
        int64_t now = s_mono_ms();
        if (now >= end)
            break;
        if (retry_at && now >= retry_at) {
            after = 0; /* from the oldest still waiting */
            retry_at = 0;
        }
        memset(req, 0, sizeof(*req));
        req->kind = CL_REQ_INBOX_RECEIVE;
        req->u.inbox.after = after;
        req->u.inbox.limit = o && o->limit ? o->limit : 50;
        int64_t left = end - now;
        req->u.inbox.wait_ms = (uint32_t)(left < wait ? left : wait);
        if ((rc = s_call(c, req, &rep, (int)req->u.inbox.wait_ms)) != CL_OK)
            break;
        if (rep.status != CL_STATUS_OK) {
            rc = s_refusal(&rep);
            break;
        }
        cl_inbox_ack ack = {0};
        for (size_t i = 0; i < rep.u.deliveries.n; i++) {
            const cl_delivery *d = &rep.u.deliveries.v[i];
            if (fn(ctx, d) == 0)
                ack.seqs[ack.n++] = d->seq;
            else if (!retry_at)
                retry_at = s_mono_ms() + redeliver;
            if (d->seq > after)
                after = d->seq;
        }
        cl_reply_clear(&rep);
        if (ack.n) {
            memset(req, 0, sizeof(*req));
            req->kind = CL_REQ_INBOX_ACK;
            req->u.ack = ack;
            if ((rc = s_call(c, req, &rep, 0)) == CL_OK &&
                rep.status != CL_STATUS_OK)
                rc = s_refusal(&rep);
            cl_reply_clear(&rep);
        }
    }
    free(req);
    return rc;
}

void cl_client_msgid_from(uint8_t msgid[CL_MSGID_LEN], const char *domain,
                          const char *stable)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, CL_MSGID_LEN);
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const uint8_t *)stable, strlen(stable));
    crypto_generichash_final(&st, msgid, CL_MSGID_LEN);
}
