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

#include "core.h"
#include "records.h"

/* Forget which agencies a referral alerted (retention). */
CL_NODISCARD int cl_alerts_alerted_purge(cl_txn *t, uint64_t ref_id);

#endif
