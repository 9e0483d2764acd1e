/*
 * referral: what an agency may change about its own referral after
 * publishing it: correction (each earlier version kept as history) and
 * withdrawal, and the coordinator's status as a referral moves on. Calls
 * records, linkfind and alerts' retraction, never a file above it.
 */
#ifndef CL_REFERRAL_H
#define CL_REFERRAL_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "mailbox.h"
#include "match.h"
#include "op.h"
#include "store.h"

/*
 * Correct (kind CL_REQ_CORRECT_REFERRAL, with validated new content) or
 * withdraw (CL_REQ_WITHDRAW_REFERRAL) a referral the caller's agency sent.
 * Another agency's reference is CL_ERR_NOT_FOUND: its existence is not
 * revealed. The version before the change is kept for the auditor.
 */
CL_NODISCARD int cl_referral_rectify(cl_op *op, const cl_match_config *mc,
                                     cl_req_kind kind, const cl_rectify *r,
                                     cl_publish_result *out);

/* A coordinator moves a referral on; the referring agency is told. */
CL_NODISCARD int cl_referral_set_status(cl_op *op, const cl_route_config *rc,
                                        const cl_set_status *ss,
                                        cl_publish_result *out);

#endif
