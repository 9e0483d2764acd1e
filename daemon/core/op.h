/*
 * op: the context one request's domain operation runs in: its
 * transaction, its caller, one clock reading, the audit note of whom it
 * disclosed and the text of why it was refused. The daemon's handlers
 * (daemon/handle.h) and the domain operations in this library take the
 * same cl_op, so an operation's parameters are the context, its
 * configuration, its request and its result, in that order.
 *
 * Owns nothing but the note's memory past CL_AUDIT_PERSONS
 * (cl_op_done). Never reads the daemon's fields (srv, it, cfg): they are
 * the handlers'.
 */
#ifndef CL_OP_H
#define CL_OP_H

#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "refindex.h"
#include "store.h"

struct cl_server;
struct s_item;
struct cl_config;

typedef struct cl_op {
    struct cl_server *srv;       /* the daemon's server (handlers only) */
    struct s_item *it;           /* the request's slot (handlers only) */
    cl_txn *t;                   /* the request's transaction */
    const cl_caller *who;        /* the caller, with the named user */
    int64_t now;                 /* unix seconds, one clock for the request */
    const struct cl_config *cfg; /* the daemon's configuration (handlers) */
    cl_audit_note note;          /* who the request disclosed, for its audit */
    char err[CL_ERROR_SZ];       /* why it was refused, for the reply */
    bool again; /* a WRITE found the same referral stored before: nothing
                 * is written and the reply is DUPLICATE */
    cl_refindex_key aref; /* a publish's own agency reference row (the
                           * caller's agency, the referral's reference),
                           * blinded once (cl_natural_check) */
} cl_op;

/* A context for t, who and now with an empty note and error. */
void cl_op_init(cl_op *op, cl_txn *t, const cl_caller *who, int64_t now);

/* Free what op's note holds (cl_audit_note_free). Safe on NULL. */
void cl_op_done(cl_op *op);

/* A context for an operation run inside op's: the same transaction,
 * caller, clock and configuration, a note and an error of its own. */
void cl_op_sub(cl_op *sub, const cl_op *op);

/* End an operation run in its own context: rc, with op's error text
 * copied into err if it wrote any (err may be NULL) and op's note freed
 * (cl_op_done). */
CL_NODISCARD int cl_op_result(cl_op *op, int rc, char *err);

#endif
