/*
 * item: one request's slot in a batch, from its reply being built to its
 * frames going back out on the ROUTER socket. Every reply the daemon
 * sends, in the batch or later (a backup, a parked receive), is counted
 * for admin stats and sent here.
 */
#include "item.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "ids.h"

/* Start a slot afresh for the next request. A slot is reused: nothing of
 * its last request may act on this one (a refused frame after a parked
 * receive must not be parked, nor one after a backup start a backup or a
 * promotion, nor repeat a feed gap). */
void cl_item_begin(s_item *it)
{
    /* A slot's request and reply are all zero between requests: the
     * slots are calloc'd and cl_item_release wipes both, so neither is
     * cleared again here (each is cleared once per request, and only as
     * far as its kind can have written: these checks hold it to that). */
    assert(sodium_is_zero((const unsigned char *)&it->req, sizeof(it->req)));
    assert(sodium_is_zero((const unsigned char *)&it->rep, sizeof(it->rep)));
    it->out = NULL;
    it->out_len = 0;
    it->has_delim = false;
    it->deferred = it->park = it->promote = it->no_user = false;
    it->flat = it->logged = it->validated = false;
    it->vrc = CL_OK;
    it->verr[0] = '\0';
    it->kept = NULL;
    it->kept_n = 0;
    it->early = CL_OK;
    it->key[0] = '\0';
    memset(&it->gap, 0, sizeof(it->gap));
}

void cl_item_reset(s_item *it)
{
    cl_reply_clear(&it->rep);
    free(it->out);
    it->out = NULL;
    it->out_len = 0;
}

void cl_item_release(s_item *it)
{
    cl_item_reset(it);
    zmq_msg_close(&it->route);
    cl_request_wipe(&it->req);
    if (it->kept) /* a warning may quote what was sent */
        sodium_memzero(it->kept, it->kept_n * sizeof(*it->kept));
    free(it->kept);
    it->kept = NULL;
    it->kept_n = 0;
    sodium_memzero(it->verr, sizeof(it->verr)); /* may quote a value too */
}

void cl_item_fail(s_item *it, int err, const char *msg)
{
    /* A request refused early never reached a handler: its reply is
     * still as cl_item_release left it, all zero. */
    if (it->early == CL_OK)
        cl_item_reset(it);
    memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    it->rep.msgid_unread = !it->req.msgid_read;
    it->rep.status = cl_wire_status(err);
    cl_copy(it->rep.error, sizeof(it->rep.error),
            msg && msg[0] ? msg : cl_strerror(err));
}

/*
 * A reply not delivered: said at most once a second, with how many since
 * (a client that never reads its replies would otherwise fill the log).
 */
static void s_not_delivered(const char *what, const char *client, int err)
{
    static uint64_t last_us, missed;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
    if (last_us && now - last_us < 1000000u) {
        missed++;
        return;
    }
    cl_log_warn("%s reply not delivered (client=%s): %s; a resend of the "
                "same message id gets the original outcome (%" PRIu64
                " more not delivered in the last second)",
                what, client, zmq_strerror(err), missed);
    last_us = now;
    missed = 0;
}

/*
 * [route][empty, for REQ][payload], never waiting: a client whose queue
 * is full (it does not read its replies) or that has gone loses this
 * reply at once (EAGAIN, EHOSTUNREACH), so one client can never hold up
 * the loop that serves every other. The payload is bytes, or msg if set.
 */
static int s_frames(cl_server *s, zmq_msg_t *route, bool delim,
                    const uint8_t *bytes, size_t len, zmq_msg_t *msg)
{
    int rc = zmq_msg_send(route, s->router, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0 && delim)
        rc = zmq_send(s->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = msg ? zmq_msg_send(msg, s->router, ZMQ_DONTWAIT)
                 : zmq_send(s->router, bytes, len, ZMQ_DONTWAIT);
    return rc < 0 ? CL_ERR_IO : CL_OK;
}

/* Count a reply for admin stats, encode it unless *out holds it
 * already, and send it. CL_ERR_IO (errno set) if the frames did not go. */
static int s_send(cl_server *s, zmq_msg_t *route, bool delim, cl_req_kind kind,
                  const cl_reply *rep, uint8_t **out, size_t *out_len)
{
    s->counts[kind < CL_REQ_KIND_COUNT ? kind : 0]
             [rep->status <= CL_STATUS_NOT_ACTIVE ? rep->status
                                                  : CL_STATUS_INTERNAL]++;
    if (!*out && cl_wire_encode_reply(out, out_len, rep) != CL_OK) {
        cl_log_err("cannot encode a reply: out of memory");
        return CL_ERR_NOMEM;
    }
    return s_frames(s, route, delim, *out, *out_len, NULL);
}

/* Answer a request whose reply was deferred (backup, parked receive). */
void cl_item_reply_to(cl_server *s, zmq_msg_t *route, bool delim, cl_reply *rep)
{
    uint8_t *out = NULL;
    size_t len = 0;
    if (s_send(s, route, delim, rep->kind, rep, &out, &len) == CL_ERR_IO)
        s_not_delivered(cl_wire_kind_name(rep->kind), "-", errno);
    free(out);
}

void cl_item_send(cl_server *s, s_item *it)
{
    if (it->deferred)
        return;
    if (!it->out)
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    if (s_send(s, &it->route, it->has_delim, it->req.kind, &it->rep, &it->out,
               &it->out_len) == CL_ERR_IO)
        s_not_delivered(cl_wire_kind_name(it->req.kind),
                        it->who ? it->who->name : "-", errno);
}

/* Append the audit entry for an item; the caller picks the transaction
 * (the request's own for success, the batch's for a refusal). */
int cl_item_audit(cl_server *s, cl_txn *t, s_item *it,
                  const cl_audit_note *note)
{
    const char *kind = cl_wire_kind_name(it->req.kind);
    int rc = cl_audit_append(t, it->who, kind, note, (uint8_t)it->rep.status,
                             s_now());
    /* Every break-glass use (refusals for a missing reason are not uses)
     * goes to the auditors' mailbox in the same transaction, and to the
     * log once committed. */
    if (rc != CL_OK || !note || !note->break_glass || !it->who ||
        (it->rep.status != CL_STATUS_OK &&
         it->rep.status != CL_STATUS_NOT_FOUND))
        return rc;
    uint64_t seq = 0;
    cl_governance_msg g;
    memset(&g, 0, sizeof(g));
    if ((rc = cl_audit_count(t, &seq)) != CL_OK)
        return rc;
    CL_COPY(g.event, "break_glass");
    CL_COPY(g.agency, it->who->agency);
    CL_COPY(g.client, it->who->name);
    (void)cl_id_format(g.reference, sizeof(g.reference), CL_ID_AUDIT, seq);
    if (note->n_persons)
        cl_audit_pid_str(g.person_id, note->persons[0]);
    snprintf(g.detail, sizeof(g.detail), "%s, %u %s: %.90s", kind,
             (unsigned)note->n_persons,
             note->n_persons == 1 ? "person" : "people", note->purpose);
    rc = cl_feed_governance_notice(t, &s->cfg.route, &g, s_now());
    if (rc == CL_OK)
        it->break_glass_seq = seq;
    return rc;
}

static void s_free_bytes(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Send a reply encoded earlier and kept back behind an earlier reply to
 * the same connection (reader.c), counted for admin stats as any other.
 * The bytes (malloc'd) are handed to ZeroMQ, not copied: a large result
 * costs the serving thread nothing. */
void cl_item_send_encoded(cl_server *s, zmq_msg_t *route, bool delim,
                          cl_req_kind kind, uint8_t status, uint8_t *out,
                          size_t len)
{
    zmq_msg_t m;
    s->counts[kind < CL_REQ_KIND_COUNT ? kind : 0]
             [status <= CL_STATUS_NOT_ACTIVE ? status : CL_STATUS_INTERNAL]++;
    if (zmq_msg_init_data(&m, out, len, s_free_bytes, NULL) != 0) {
        free(out);
        cl_log_err("cannot send a reply: out of memory");
        return;
    }
    if (s_frames(s, route, delim, NULL, 0, &m) != CL_OK)
        s_not_delivered(cl_wire_kind_name(kind), "-", errno);
    zmq_msg_close(&m);
}

void cl_item_refusal_path(s_item *it)
{
    if (it->rep.status != CL_STATUS_INVALID)
        return;
    char *e = it->rep.error, tmp[CL_ERROR_SZ];
    const char *body = cl_wire_kind_name(it->req.kind);
    size_t n = strlen(body),
           f = strspn(e, "abcdefghijklmnopqrstuvwxyz_.[]0123456789");
    static const char *const envelope[] = {"message_id", "on_behalf_of",
                                           "version", "Envelope"};
    if (!e[0] || (!strncmp(e, body, n) && (e[n] == '.' || e[n] == ':')))
        return;
    for (size_t i = 0; i < sizeof(envelope) / sizeof(envelope[0]); i++)
        if (!strncmp(e, envelope[i], strlen(envelope[i])))
            return; /* the Envelope's own field: its path already */
    snprintf(tmp, sizeof(tmp), f && e[f] == ':' ? "%s.%s" : "%s: %s", body, e);
    memcpy(e, tmp, sizeof(tmp));
}
