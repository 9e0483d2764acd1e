/*
 * dispatch: decoding, authorizing and applying a batch's requests (see
 * dispatch.c), by the rows of cl_requests.def.
 */
#ifndef CL_DISPATCH_H
#define CL_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server_int.h"

/* Read one request's frames into it, then cl_dispatch_admit. Returns
 * false when nothing is waiting. */
bool cl_dispatch_recv(cl_server *s, s_item *it);

/* For a slot started with cl_item_begin and it->key set: find the caller
 * registered for the key (it->who, NULL if none) and decode data (NULL:
 * not one frame). it->early says why not, with the reply filled. */
void cl_dispatch_decode(cl_server *s, s_item *it, const uint8_t *data,
                        size_t bytes);

/* Check a decoded request against the access rules, the named user and
 * the lists of names (nothing if it->early is already set). */
void cl_dispatch_check(cl_server *s, s_item *it);

/* Decode, check, and log a refusal. */
void cl_dispatch_admit(cl_server *s, s_item *it, const uint8_t *data,
                       size_t bytes);

/* Per-client limits within one batch: beyond a client's share, BUSY. */
void cl_dispatch_limits(cl_server *s, s_item *items, size_t n);

/* Run one admitted request in the batch's transaction t by its row (a
 * refused one: only its audit entry, if it tried personal data). Returns
 * CL_OK or an error that must fail the whole batch. */
CL_NODISCARD int cl_dispatch_one(cl_server *s, cl_txn *t, s_item *it);

/* Apply every good request of the batch in one transaction and commit. */
CL_NODISCARD int cl_dispatch_apply(cl_server *s, s_item *items, size_t n);

/* After the batch committed: move a request it->offload marks to a reader
 * thread (true: the slot keeps nothing to send; false: it is answered
 * BUSY, sent as usual). */
bool cl_dispatch_offload(cl_server *s, s_item *it);

/* Whether an admitted request must wait for a commit: it changes the
 * store or is audited (busy: a batch is on the writer meanwhile, so
 * only what reads nothing a batch changes may go). Those that need not
 * may still wait for an earlier request on their connection: the
 * caller's to see. */
bool cl_dispatch_waits(cl_server *s, const s_item *it, bool busy);

/* Whether a request answered before any commit reads what was
 * acknowledged (so the sequential log's held transaction is committed
 * first): all do but a health that shows no counts, which reads nothing
 * from the store. */
bool cl_dispatch_reads_acked(const s_item *it);

/* Answer, before any commit, a request cl_dispatch_waits lets go: run
 * it in *t (a read transaction of the last committed state, begun here
 * when NULL; the caller aborts it), send or hold its reply (after an
 * earlier one still being read) and release the slot (it->answered).
 * False if the store could not be read: it goes with the batch. */
bool cl_dispatch_now(cl_server *s, cl_txn **t, s_item *it);

#endif
