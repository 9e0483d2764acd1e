/*
 * handle: one handler per row of cl_requests.def (its handler column), all
 * with one signature over one operation context, cl_op. dispatch.c
 * derives its table of rows from the same .def and runs each class's
 * common path around the handler: a WRITE's idempotency record, nested
 * transaction and audit entry; a READ's audit entry whatever the outcome;
 * an ADMIN handler does its own (handle_admin.c).
 */
#ifndef CL_HANDLE_H
#define CL_HANDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"
#include "server_int.h"

/* A handler: run q as op->who inside op->t and fill rep (validation may
 * normalise q in place). Returns CL_OK, or an error whose text is in
 * op->err (empty: cl_strerror's). ADMIN handlers answer the item
 * themselves and return only errors that must fail the whole batch. */
typedef int (*cl_handler)(cl_op *op, cl_request *q, cl_reply *rep);

/* One handler per distinct stem of the .def's handler column. */
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    CL_NODISCARD int cl_handle_##handler(cl_op *op, cl_request *q,             \
                                         cl_reply *rep);
#include "cl_requests.def"
#undef CL_REQ

/* op for item it in t: the caller, one clock reading, the configuration. */
void cl_handle_op_init(cl_op *op, cl_server *s, s_item *it, cl_txn *t);

/* True for errors that must fail (or retry) the whole batch. */
bool cl_handle_fatal(int rc);

/* Whether health shows who the store's counts and sizes (the roles that
 * see the store); to anyone else it reads nothing from the store. */
bool cl_handle_health_counts(const cl_caller *who);

/* The answer to a request a fatal rc stopped (cl_handle_fatal): stored
 * data that failed authentication is named as tampering, with where to
 * look (`audit verify`), and is not worth retrying; anything else is
 * "retry later". stored: the request was a write (nothing was stored). */
const char *cl_handle_fatal_why(int rc, bool stored);

#endif
