/*
 * dp_util: helpers the data-protection tests share (test_dp.c,
 * test_retention.c): requests to a real daemon through the client
 * library, failing the calling cmocka test on anything unexpected.
 */
#ifndef CL_DP_UTIL_H
#define CL_DP_UTIL_H

#include <stdint.h>

#include "harness.h"
#include "store.h"

/* Jane Smith's NHS number, the person these tests follow. */
#define DP_NHS "9434765919"

/* Send req with a fresh message id; rep is the caller's to clear.
 * Returns the reply's status. */
int dp_call(cl_client *c, cl_request *req, cl_reply *rep);

/* A coordinator's set_status on referral ref; returns the status. */
int dp_status(cl_client *co, const char *ref, uint8_t status,
              const char *reason, uint8_t outcome);

/* The auditor's export of the person with DP_NHS; caller clears rep. */
int dp_sar(th_daemon *d, cl_reply *rep);

/* A zeroed request of kind (calloc'd: dp_ok frees it). */
cl_request *dp_req(cl_req_kind kind);

/* Send r and expect OK; frees r; the reply is cleared unless keep. */
void dp_ok(cl_client *c, cl_request *r, cl_reply *keep);

/* Jane Smith: DP_NHS, name, date of birth, a marked address. */
void dp_jane(cl_person *p);

/* Open the stopped daemon's store with its master key and begin a read
 * transaction; the caller aborts *t and closes *st. */
void dp_store_read(const th_daemon *d, cl_store **st, cl_txn **t);

#endif
