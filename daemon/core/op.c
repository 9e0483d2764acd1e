/*
 * op: the operation context (op.h). Owns the note's memory past
 * CL_AUDIT_PERSONS, nothing else.
 */
#include "op.h"

#include <string.h>

void cl_op_init(cl_op *op, cl_txn *t, const cl_caller *who, int64_t now)
{
    memset(op, 0, sizeof(*op));
    op->t = t;
    op->who = who;
    op->now = now;
}

void cl_op_done(cl_op *op)
{
    if (op)
        cl_audit_note_free(&op->note);
}

void cl_op_sub(cl_op *sub, const cl_op *op)
{
    cl_op_init(sub, op->t, op->who, op->now);
    sub->srv = op->srv;
    sub->it = op->it;
    sub->cfg = op->cfg;
}

int cl_op_result(cl_op *op, int rc, char *err)
{
    if (err && op->err[0])
        memcpy(err, op->err, CL_ERROR_SZ);
    cl_op_done(op);
    return rc;
}
