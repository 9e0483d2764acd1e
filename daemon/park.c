/*
 * park: mailbox receives that wait for mail (long poll). An empty receive
 * with wait_ms is kept here, its route taken from the batch, until mail
 * for its agency is committed or its wait ends; then it is answered. One
 * client holds at most client_parked_max of the slots.
 */
#include "park.h"

#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "item.h"

/* Keep an empty receive until mail arrives or its wait ends. False if
 * there is no room: it is answered (empty) at once. */
bool cl_park_add(cl_server *s, s_item *it)
{
    if (s->n_parks == S_PARK_MAX)
        return false;
    /* One client cannot hold every slot: beyond its share it is told to
     * come back, not answered empty (which would make it spin). */
    uint32_t mine = 0;
    for (size_t i = 0; i < s->n_parks; i++)
        mine += strcmp(s->parks[i].key, it->key) == 0;
    if (mine >= s->cfg.client_parked_max) {
        char msg[CL_ERROR_SZ];
        snprintf(msg, sizeof(msg),
                 "this client already has %u receives waiting for mail (at "
                 "most %u); wait for one to be answered",
                 (unsigned)mine, (unsigned)s->cfg.client_parked_max);
        cl_item_fail(it, CL_ERR_BUSY, msg);
        return false;
    }
    s_park *p = &s->parks[s->n_parks++];
    zmq_msg_init(&p->route);
    zmq_msg_move(&p->route, &it->route);
    p->delim = it->has_delim;
    memcpy(p->msgid, it->req.msgid, CL_MSGID_LEN);
    p->who = *it->who;
    CL_COPY(p->key, it->key);
    p->q = it->req.u.inbox;
    p->deadline_us = s_mono_us() + (uint64_t)p->q.wait_ms * 1000u;
    return true;
}

/* Answer parked receives whose agency has mail (when mail may have come)
 * or whose wait is over. */
void cl_park_service(cl_server *s, bool mail)
{
    cl_txn *t = NULL;
    uint64_t now = s_mono_us();
    if (!s->n_parks)
        return;
    if (mail && cl_store_begin(&t, s->store, NULL, false) != CL_OK)
        mail = false;
    for (size_t i = 0; i < s->n_parks;) {
        s_park *p = &s->parks[i];
        bool waiting = false;
        if (mail && cl_mailbox_inbox_waiting(t, p->who.agency, p->q.after,
                                             &waiting) != CL_OK)
            waiting = false;
        if (!waiting && now < p->deadline_us) {
            i++;
            continue;
        }
        cl_reply rep;
        char err[CL_ERROR_SZ] = "";
        memset(&rep, 0, sizeof(rep));
        memcpy(rep.msgid, p->msgid, CL_MSGID_LEN);
        rep.kind = CL_REQ_INBOX_RECEIVE;
        if (waiting && !cl_registry_find(s->registry, p->key)) {
            /* revoked (SIGHUP) while it waited: nothing more for it */
            rep.kind = CL_REQ_NONE;
            rep.status = CL_STATUS_DENIED;
            CL_COPY(rep.error, "client key is no longer registered");
        } else if (waiting) {
            int rc = cl_mailbox_inbox_receive(t, &p->who, &p->q,
                                              &rep.u.deliveries, err);
            if (rc != CL_OK) {
                cl_reply_clear(&rep);
                memcpy(rep.msgid, p->msgid, CL_MSGID_LEN);
                rep.status = cl_wire_status(rc);
                CL_COPY(rep.error, err[0] ? err : cl_strerror(rc));
            }
        }
        cl_item_reply_to(s, &p->route, p->delim, &rep);
        cl_reply_clear(&rep);
        zmq_msg_close(&p->route);
        s->parks[i] = s->parks[--s->n_parks];
    }
    cl_store_abort(&t);
}

/* Whether agency's mailbox holds mail after `after` in t; true when it
 * cannot be read (then the caller looks again from the committed state,
 * as if there were). */
static bool s_mail_for(cl_txn *t, const char *agency, uint64_t after)
{
    bool waiting = false;
    return cl_mailbox_inbox_waiting(t, agency, after, &waiting) != CL_OK ||
           waiting;
}

bool cl_park_mail(cl_server *s, cl_txn *t, const s_item *items, size_t n)
{
    for (size_t i = 0; i < s->n_parks; i++) {
        const s_park *p = &s->parks[i];
        bool seen = false; /* an earlier one of its agency from as early */
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(s->parks[j].who.agency, p->who.agency) &&
                   s->parks[j].q.after <= p->q.after;
        if (!seen && s_mail_for(t, p->who.agency, p->q.after))
            return true;
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].park && items[i].who &&
            s_mail_for(t, items[i].who->agency, items[i].req.u.inbox.after))
            return true;
    return false;
}
