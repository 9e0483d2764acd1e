/*
 * th_core: what the unit tests over the domain library share: a real
 * LMDB store in a temporary folder with one write transaction open (the
 * test's work, aborted at the end), callers, and a referral about a
 * person described by name, date of birth and NHS number.
 */
#ifndef TH_CORE_H
#define TH_CORE_H

#include "core.h"

typedef struct th_core {
    char dir[256];
    cl_store *s;
    cl_txn *t;
} th_core;

/* Open a store under a master key of key_byte bytes, and begin a write
 * transaction; 0, or -1 if either failed. */
int th_core_open(th_core *c, uint8_t key_byte);

/* Abort the transaction and close the store. */
void th_core_close(th_core *c);

/* A caller of agency (kind) with roles, acting for a named user. */
void th_core_caller(cl_caller *c, const char *name, const char *agency,
                    const char *kind, uint32_t roles);

/* Publish agency_ref from caller about given Testperson, born 1980-01-01,
 * NHS number nhs, at unix time now (validated first); out gets the
 * reply. */
void th_core_publish(th_core *c, const cl_match_config *mc,
                     const cl_caller *caller, const char *agency_ref,
                     const char *given, const char *nhs, int64_t now,
                     cl_publish_result *out);

/* Run the domain operation fn(op, ...) as who at now inside t, in a fresh
 * context: fn's result, any error text it wrote copied into err
 * (CL_ERROR_SZ bytes, or NULL) and its audit note freed (cl_op_result).
 * One at a time. */
#define TH_CORE_OP(err, t, who, now, fn, ...)                                  \
    th_core_op_end(fn(th_core_op(t, who, now), __VA_ARGS__), err)

/* The context of TH_CORE_OP (cl_op_init on one held by th_core.c). */
cl_op *th_core_op(cl_txn *t, const cl_caller *who, int64_t now);

/* cl_op_result on the context of TH_CORE_OP. */
CL_NODISCARD int th_core_op_end(int rc, char err[CL_ERROR_SZ]);

#endif
