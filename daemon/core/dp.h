/*
 * dp: data-protection duties that hold across every sub-database:
 * subject access (gathered from every module), how it covers each
 * sub-database, the retention policy and its runs, legal holds.
 */
#ifndef CL_DP_H
#define CL_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "op.h"
#include "store.h"

/* Everything held about one person, for an auditor: the case view with
 * withdrawn referrals, the history of changes, and who looked. */
CL_NODISCARD int cl_dp_subject_access(cl_op *op, const cl_person_ref *q,
                                      cl_subject_access *out);

/* How subject access covers each sub-database (dp.c): its content is in
 * the export, it is an index of ids and blind hashes only (what it points
 * to is exported), or it is left out for the reason *why gives. NONE: the
 * sub-database has no row, a defect test_dp reports. */
typedef enum {
    CL_SAR_NONE = 0,
    CL_SAR_EXPORTED,
    CL_SAR_INDEX,
    CL_SAR_LEFT_OUT
} cl_sar_cover;

cl_sar_cover cl_dp_sar_cover(cl_db db, const char **why);

/*
 * Retention (dp.c) is a policy, not a timer: a person with no activity
 * for inactive_days is removed unless something still makes them live -
 * a legal hold, a protection plan in force or ended within
 * plan_ended_days (them and the people linked to them), a place on the
 * agenda of a review dated within review_days or to come, an open action,
 * an information request not yet answered by every agency asked. The
 * removal takes everything that names or describes them out of every
 * sub-database (see cl_dp_purge) and is audited; the audit log keeps
 * only opaque ids.
 */
typedef struct cl_retention {
    double inactive_days;     /* 0: retention off */
    uint32_t plan_ended_days; /* the 12-month rule: 365 */
    uint32_t review_days;     /* 365 */
    uint32_t batch;           /* people removed per run at most */
} cl_retention;

#define CL_RETENTION_PLAN_DAYS   365
#define CL_RETENTION_REVIEW_DAYS 365

typedef struct cl_purge_result {
    size_t purged;
    /* idle people kept, by the first rule that kept them */
    size_t kept_hold, kept_plan, kept_agenda, kept_action, kept_request;
    /* every id a stored reply may carry that is now gone ("CL-...",
     * "P...", "REQ-...", "ACT-...", "PLAN-..."), NUL-separated: the
     * daemon redacts its remembered replies (idempotency) with them */
    char *names;
    size_t names_len;
} cl_purge_result;

void cl_purge_result_clear(cl_purge_result *r);

/* One retention run at now: up to pol->batch people removed. */
CL_NODISCARD int cl_dp_purge(cl_txn *t, const cl_retention *pol, int64_t now,
                             cl_purge_result *out);

/* Set (or with h->release, end) a legal hold on a person (coordinator;
 * a reason either way). out's reference is the person id. */
CL_NODISCARD int cl_dp_legal_hold(cl_op *op, const cl_hold *h,
                                  cl_publish_result *out);

/* Decode check of a stored legal hold (fuzzing). */
CL_NODISCARD int cl_dp_hold_decode_check(const uint8_t *buf, size_t len);

/* Subject access: the legal hold on pid, if any (dp.c). */
CL_NODISCARD int cl_dp_hold_of(cl_txn *t, uint64_t pid, cl_subject_access *out);

#endif
