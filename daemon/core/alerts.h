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

#include "access.h"
#include "cl_model.h"
#include "codec.h"
#include "feed.h"
#include "mailbox.h"
#include "records.h"
#include "store.h"

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

/* After a referral was withdrawn (same transaction): every agency its
 * safeguarding alerts went to gets a retraction notice in its mailbox
 * (never refused, like the alert). *sent: how many. */
CL_NODISCARD int cl_alerts_retract(cl_txn *t, const cl_route_config *cfg,
                                   const char *reference, const char *reason,
                                   int64_t now, uint32_t *sent);

/* After a referral was stored (same transaction): alert the agencies
 * responsible for any active protection plan of the subject or of a child
 * linked to the subject; say known_to_mdt if the policy allows; note the
 * feed sequence (*ev reports a gap). */
CL_NODISCARD int cl_alerts_route_publish(cl_txn *t, const cl_route_config *rc,
                                         const cl_caller *caller,
                                         const cl_referral *r, int64_t now,
                                         cl_publish_result *out,
                                         cl_feed_event *ev);

/* Called per alert delivered: the referral that raised it (borrowed) and
 * when it was delivered. CL_OK to go on; anything else stops the walk. */
typedef int (*cl_alerts_fn)(void *ctx, const cl_refs_ref *r, int64_t at);

/* Every safeguarding alert delivered about a referral whose subject is
 * pid, from the audit (each delivery is audited as it is made, one per
 * plan and agency alerted, acknowledged or not), oldest first; referrals
 * withdrawn or purged since are left out. The agenda pack and the
 * report's derived measures count through this one rule. */
CL_NODISCARD int cl_alerts_each_delivered(cl_txn *t, uint64_t pid,
                                          cl_alerts_fn fn, void *ctx);

#endif
