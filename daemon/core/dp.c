/*
 * dp: data-protection duties that hold across every sub-database.
 *
 * The subject-access table says, for every sub-database, whether a subject
 * access export carries what it holds about the person, whether it is an
 * index holding only ids and blind hashes (what it points to is exported),
 * or why it is deliberately left out. The table is indexed by cl_db, so a
 * new sub-database without a row is caught by test_dp, which also checks
 * every row against a person who went through every request kind.
 * This module never logs and never touches LMDB other than through store/.
 */
#include <stddef.h>

#include "core.h"

static const struct {
    cl_sar_cover cover;
    const char *why; /* for CL_SAR_LEFT_OUT: the reason, as the README */
} s_sar[CL_DB_COUNT] = {
    [CL_DB_META] = {CL_SAR_LEFT_OUT,
                    "counters, key versions and mailbox depths: no personal "
                    "data"},
    [CL_DB_PERSON] = {CL_SAR_LEFT_OUT,
                      "when the person was first and last seen, kept for "
                      "retention; the person id is in the export"},
    [CL_DB_RECORD] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_REFERRAL] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_BLIND] = {CL_SAR_INDEX, NULL},
    [CL_DB_PERSON_RECORDS] = {CL_SAR_INDEX, NULL},
    [CL_DB_RECORD_REFERRALS] = {CL_SAR_INDEX, NULL},
    [CL_DB_RELATION] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_IDEMPOTENCY] = {CL_SAR_LEFT_OUT,
                           "the reply each write got (a reference and "
                           "warnings), kept so that a resent message gets "
                           "the same answer; it repeats what the export "
                           "holds"},
    [CL_DB_AUDIT] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_AUDIT_PERSON] = {CL_SAR_INDEX, NULL},
    [CL_DB_HISTORY] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_ACTIVITY] = {CL_SAR_INDEX, NULL},
    [CL_DB_PLAN] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_PERSON_PLANS] = {CL_SAR_INDEX, NULL},
    [CL_DB_REVIEW] = {CL_SAR_LEFT_OUT,
                      "a match-review entry: two record ids, a score and "
                      "the coordinator's decision; both records are in the "
                      "export"},
    [CL_DB_MDT] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_AGENDA] = {CL_SAR_INDEX, NULL},
    [CL_DB_MAILBOX] = {CL_SAR_LEFT_OUT,
                       "a delivery is a copy, in an agency's mailbox, of a "
                       "referral, status change, request or answer that is "
                       "in the export; who it went to is in the audit "
                       "entries (safeguarding_alert, ...); it is deleted "
                       "when the agency acknowledges it"},
    [CL_DB_INFOREQ] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_PERSON_REQUESTS] = {CL_SAR_INDEX, NULL},
    [CL_DB_FEED] = {CL_SAR_LEFT_OUT,
                    "the health of each agency feed (sequence numbers and "
                    "times): no personal data"},
    [CL_DB_PERSON_AGENDA] = {CL_SAR_INDEX, NULL},
    [CL_DB_DISCUSSION] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_ACTION] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_RAG] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_MEASURE_DEF] = {CL_SAR_LEFT_OUT,
                           "measure names and baseline periods: no personal "
                           "data"},
    [CL_DB_MEASURE] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_AGENDA_NOTE] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_AGENCY_REF] = {CL_SAR_INDEX, NULL},
    [CL_DB_IXDIGEST] = {CL_SAR_INDEX, NULL},   /* counts and digests of rows */
    [CL_DB_AUDIT_USER] = {CL_SAR_INDEX, NULL}, /* staff user -> audit seq */
    [CL_DB_INTAKE] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_PERSON_INTAKE] = {CL_SAR_INDEX, NULL},
};

cl_sar_cover cl_core_sar_cover(cl_db db, const char **why)
{
    if (why)
        *why = (unsigned)db < CL_DB_COUNT ? s_sar[db].why : NULL;
    return (unsigned)db < CL_DB_COUNT ? s_sar[db].cover : CL_SAR_NONE;
}
