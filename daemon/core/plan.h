/*
 * plan: child protection plans (publishing, withdrawing, who holds them,
 * what they mean for a person linked to the child). Calls records and
 * linkfind, never the files above it.
 */
#ifndef CL_PLAN_H
#define CL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "mailbox.h"
#include "match.h"
#include "op.h"
#include "store.h"

/* An active plan that concerns the subject of a referral. */
typedef struct cl_plan_alert {
    uint64_t plan_id;
    uint64_t child; /* person holding the plan */
    uint8_t rel;    /* what the child is to the subject; 0: the subject */
} cl_plan_alert;

typedef struct cl_plan_ap_ctx {
    cl_txn *t;
    uint64_t holder;
    uint8_t rel;
    const char *today;
    cl_plan_alert v[16];
    size_t n;
} cl_plan_ap_ctx;

/* Plans held on person pid, shown on the case being built; with all,
 * plans that ended over a year ago too (subject access). */
CL_NODISCARD int cl_plan_plans_of(cl_txn *t, uint64_t pid, const char *via,
                                  const cl_person *names, cl_person_view *out,
                                  size_t *cap, bool all);

CL_NODISCARD int cl_plan_ap_one(void *ctx, const uint8_t *key, size_t len);

/*
 * Publish (or update, by the same agency reference) a child protection
 * plan: link the child and the adults named, record how they relate, and
 * keep the plan so that it shows on the case view of the child and of
 * every person linked to the child. Only a plan authority (caller->plans)
 * may; the plan must have passed cl_plan_validate (a child under 18, or an
 * unborn plan on the expectant mother, identified well enough). The
 * child's UPRN is not kept: households are never inferred from a plan. A
 * new plan is told to information governance (rc->audit; rc may be NULL
 * in tests), marked when it is the first from its agency.
 */
/* CL_OK if caller is a plan authority; CL_ERR_DENIED with err saying why
 * otherwise (checked before a plan's content, so that a non-authority
 * learns nothing from validation). */
CL_NODISCARD int cl_plan_authority(const cl_caller *caller,
                                   char err[CL_ERROR_SZ]);

CL_NODISCARD int cl_plan_publish_plan(cl_op *op, const cl_match_config *mc,
                                      const cl_route_config *rc,
                                      const cl_plan *p, cl_publish_result *out);

/* Withdraw a plan recorded in error (its authority, by its own
 * reference): it stops showing on case views, raising alerts and raising
 * front-line flags at once; the record is kept for the auditor and
 * information governance is told. */
CL_NODISCARD int cl_plan_withdraw_plan(cl_op *op, const cl_route_config *rc,
                                       const cl_plan_withdraw *w,
                                       cl_publish_result *out);
/* A protection plan as the flag needs it (no names, no category). */
typedef struct cl_plan_stored {
    uint64_t id;
    uint64_t child;             /* 0 for an unborn plan */
    char agency[CL_AGENCY_SZ];  /* the plan authority that published it */
    char agency_ref[CL_REF_SZ]; /* its own reference */
    uint8_t type;               /* CL_PLAN_* */
    char end[CL_DATE_SZ];       /* "" while in force */
    char review[CL_DATE_SZ];    /* next review, or "" */
    bool withdrawn;             /* recorded in error */
} cl_plan_stored;

CL_NODISCARD int cl_plan_get(cl_txn *t, uint64_t plan_id, cl_plan_stored *out);

/* The person a plan is held on (person_plans), 0 if none. */
CL_NODISCARD int cl_plan_holder(cl_txn *t, uint64_t plan_id, uint64_t *holder);

/* Each plan held on person pid with how it is held (0 the child's own,
 * 1 an unborn child's on the expectant mother); fn returns CL_OK to go
 * on, non-zero to stop (returned). */
CL_NODISCARD int cl_plan_held(cl_txn *t, uint64_t pid,
                              int (*fn)(void *ctx, const cl_plan_stored *p,
                                        uint8_t how),
                              void *ctx);

/* True if pid has an active plan or is linked to a child who has one. */
CL_NODISCARD int cl_plan_linked(cl_txn *t, uint64_t pid, int64_t now,
                                bool *linked);

#endif
