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

#include "core.h"
#include "records.h"

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

#endif
