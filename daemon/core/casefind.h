/*
 * casefind: finding people for a coordinator: ranked candidates for a
 * description, and case finding (high-level users of one agency known to
 * few others), with aggregate counts under the threshold suppressed.
 * Calls records, linkfind and caseview's break-glass check only.
 */
#ifndef CL_CASEFIND_H
#define CL_CASEFIND_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "match.h"
#include "op.h"
#include "store.h"

/* Ranked candidates for a description (coordinator; justification
 * required and recorded as break-glass). */
CL_NODISCARD int cl_casefind_find(cl_op *op, const cl_match_config *mc,
                                  const cl_find *q, cl_candidates *out);

/* Counts under this are reported as "<5" (-1) in aggregate figures. */
#define CL_SUPPRESS_BELOW 5

/* The coordinator's case finding: high-level users of one agency in a
 * period and who else knows them, and every pair of agencies' overlap
 * (small counts suppressed). Walks the whole store. */
CL_NODISCARD int cl_casefind_case_finding(cl_op *op, const cl_case_finding *q,
                                          cl_case_finding_result *out);

/* Agency overlap over everyone, counts under thr as -1 (out->overlap). */
CL_NODISCARD int cl_casefind_overlap(cl_txn *t, int64_t now, uint32_t thr,
                                     cl_case_finding_result *out);

#endif
