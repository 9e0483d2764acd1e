/*
 * item: one request's slot in a batch, from its reply being built to its
 * frames going back out on the ROUTER socket. Every reply the daemon
 * sends, in the batch or later (a backup, a parked receive), is counted
 * for admin stats and sent here.
 */
#include "item.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"

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
    sodium_memzero(&it->req, sizeof(it->req));
}

void cl_item_fail(s_item *it, int err, const char *msg)
{
    cl_reply_clear(&it->rep);
    memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    it->rep.msgid_unread = !it->req.msgid_read;
    it->rep.status = cl_wire_status(err);
    cl_copy(it->rep.error, sizeof(it->rep.error),
            msg && msg[0] ? msg : cl_strerror(err));
}

/* Answer a request whose reply was deferred (backup, parked receive). */
void cl_item_reply_to(cl_server *s, zmq_msg_t *route, bool delim, cl_reply *rep)
{
    uint8_t *out = NULL;
    size_t len = 0;
    s->counts[rep->kind < CL_REQ_KIND_COUNT ? rep->kind : 0]
             [rep->status <= CL_STATUS_NOT_ACTIVE ? rep->status
                                                  : CL_STATUS_INTERNAL]++;
    if (cl_wire_encode_reply(&out, &len, rep) != CL_OK) {
        cl_log_err("cannot encode a reply: out of memory");
        return;
    }
    int rc = zmq_msg_send(route, s->router, ZMQ_SNDMORE);
    if (rc >= 0 && delim)
        rc = zmq_send(s->router, "", 0, ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send(s->router, out, len, 0);
    if (rc < 0)
        cl_log_warn("deferred %s reply not delivered: %s",
                    cl_wire_kind_name(rep->kind), zmq_strerror(errno));
    free(out);
}

void cl_item_send(cl_server *s, s_item *it)
{
    if (it->deferred)
        return;
    s->counts[it->req.kind < CL_REQ_KIND_COUNT ? it->req.kind : 0]
             [it->rep.status <= CL_STATUS_NOT_ACTIVE ? it->rep.status
                                                     : CL_STATUS_INTERNAL]++;
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
