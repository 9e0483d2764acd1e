/*
 * alerts: routing after a publish: the safeguarding alerts other agencies
 * get when a referral concerns a person linked to a child's plan, and
 * their retraction. Calls records and plan, never the files above it.
 */
#ifndef CL_ALERTS_H
#define CL_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "core.h"
#include "records.h"

/* Forget which agencies a referral alerted (retention). */
CL_NODISCARD int cl_alerts_alerted_purge(cl_txn *t, uint64_t ref_id);

/* Who was alerted about a referral: referral id || blind(agency) ->
 * v1, agency, the plan's reference, when. */
typedef struct cl_alerts_alerted {
    char agency[CL_AGENCY_SZ];
    char plan_ref[CL_REF_SZ];
    int64_t at;
} cl_alerts_alerted;

/* The alerted record's format (cl_records_dec_fn). */
void cl_alerts_alerted_dec(cl_dec *d, void *out);

#endif
