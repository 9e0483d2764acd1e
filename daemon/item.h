/*
 * item: a request's slot in the batch and sending replies (see item.c).
 */
#ifndef CL_ITEM_H
#define CL_ITEM_H

#include <stdbool.h>
#include <zmq.h>

#include "server_int.h"

/* Start a slot afresh for the next request (its route is the caller's). */
void cl_item_begin(s_item *it);

/* Drop the reply built so far (its encoding too); the request stays. */
void cl_item_reset(s_item *it);

/* Free everything the slot holds and wipe the decoded request. */
void cl_item_release(s_item *it);

/* Make the reply an error: err's status, msg (or err's text when msg is
 * NULL or empty). */
void cl_item_fail(s_item *it, int err, const char *msg);

/* Answer a request whose reply was deferred (backup, parked receive). */
void cl_item_reply_to(cl_server *s, zmq_msg_t *route, bool delim,
                      cl_reply *rep);

/* Send an item's reply (encoding it if not done yet), unless deferred. */
void cl_item_send(cl_server *s, s_item *it);

/* Send a reply encoded earlier and kept back (reader.c). route is
 * consumed as by zmq_msg_send; out (malloc'd) is the caller's no more. */
void cl_item_send_encoded(cl_server *s, zmq_msg_t *route, bool delim,
                          cl_req_kind kind, uint8_t status, uint8_t *out,
                          size_t len);

/* Append the audit entry for an item; the caller picks the transaction
 * (the request's own for success, the batch's for a refusal). A
 * break-glass use also tells the auditors (it->break_glass_seq). */
CL_NODISCARD int cl_item_audit(cl_server *s, cl_txn *t, s_item *it,
                               const cl_audit_note *note);

/* A handler's INVALID refusal named by its path from the Envelope, as
 * the wire layer's are: a message that begins with a field of the
 * request's body ("wait_ms: ...") gets the body's name before it
 * ("inbox_receive.wait_ms: ..."), one that names none the body's name
 * and a colon; one that begins with the body's name, or with a field of
 * the Envelope itself (message_id, on_behalf_of), is left. */
void cl_item_refusal_path(s_item *it);

#endif
