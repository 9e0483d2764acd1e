/*
 * inforeq: information requests. A coordinator asks named agencies what
 * they know of a person (a question and a due date, perhaps for a
 * review); each agency's system answers through its mailbox and the
 * answer goes to the asking agency's. Owns the stored request with its
 * answers and the index of requests per person; delivers through
 * mailbox.c only. Never decides anything about linking or access beyond
 * "only the agencies asked may answer".
 */
#ifndef CL_INFOREQ_H
#define CL_INFOREQ_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "idset.h"
#include "mailbox.h"
#include "op.h"
#include "store.h"

/* Decode check of a stored information request (fuzzing). */
CL_NODISCARD int cl_inforeq_decode_check(const uint8_t *buf, size_t len);

/* Send an information request to agencies (coordinator). */
CL_NODISCARD int cl_inforeq_request(cl_op *op, const cl_route_config *rc,
                                    const cl_info_request *q,
                                    cl_publish_result *out);

/* An asked agency answers (publisher); the answer goes to the asker. */
CL_NODISCARD int cl_inforeq_respond(cl_op *op, const cl_route_config *rc,
                                    const cl_info_response *x,
                                    cl_publish_result *out);

/* Requests and each agency's answer or lateness (coordinator). */
CL_NODISCARD int cl_inforeq_list(cl_op *op, const cl_request_list *q,
                                 cl_request_summaries *out);

/* Decode check for the stored requests and answers (fuzzing). */
CL_NODISCARD int cl_inforeq_route_decode_check(cl_db db, const uint8_t *buf,
                                               size_t len);

/* Every information request about person pid, with every answer
 * (subject access, dp.c); out->v is malloc'd. */
CL_NODISCARD int cl_inforeq_of(cl_txn *t, uint64_t pid, int64_t now,
                               cl_request_summaries *out);

/* Retention (dp.c asks): people an information request not yet fully
 * answered is about. */
CL_NODISCARD int cl_inforeq_live(cl_txn *t, cl_ids *keep);

/* Erasure (dp.c): remove every request about person pid and every
 * delivery naming them or one of refs (their referral ids), adding the
 * ids a stored reply may carry to names (see retention.h). */
CL_NODISCARD int cl_inforeq_route_purge(cl_txn *t, uint64_t pid,
                                        const cl_ids *refs, cl_names *names);

#endif
