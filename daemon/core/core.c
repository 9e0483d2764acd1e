/*
 * core: the access table, stored record formats, linking, publishing and
 * the linked case view.
 *
 * Stored records (plaintext before sealing, see store/codec.h), each
 * starting with a format version byte:
 *   person   id            -> v1, created_at
 *   record   id            -> v1, agency, kind, person fields, person id,
 *                             link reason, link score, created, updated
 *   referral id            -> v1, record id, agency, kind, client, reference,
 *                             agency ref, category, risk, concern, occurred,
 *                             received, referrer name, role, basis, consent,
 *                             consent note, feed, feed seq
 *   relation pid_a||pid_b  -> v1, what b is to a, asserting agency, inferred
 * Index keys hold only ids and blind indexes.
 */
#include "core.h"

#include <assert.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alerts.h"
#include "audit.h"
#include "codec.h"
#include "dp.h"
#include "flag.h"
#include "inforeq.h"
#include "intake.h"
#include "link.h"
#include "matchq.h"
#include "mdt_dp.h"
#include "mdt_review.h"
#include "rechist.h"
#include "records.h"
#include "refindex.h"

/* --- protection plans -------------------------------------------------------
 *
 * plan id -> v2, child pid (0 if unborn), agency, agency ref, type,
 *            category, start, end, authority, legal basis, review, basis,
 *            created, updated, withdrawn (v1: without it; the reason
 *            for a withdrawal is in its audit entry)
 * person_plans: person id || plan id -> 1 byte: 0 the child's own plan,
 *            1 an unborn child's plan held on the expectant mother
 */

/* --- MDT reviews ------------------------------------------------------------
 * mdt id -> v1, date, title, agencies (joined by newlines), created by,
 *           created at
 * agenda: mdt id || person id -> reason byte
 */

int cl_core_counts(cl_txn *t, uint64_t *persons, uint64_t *referrals)
{
    /* what is held, not the id counters: merges, retention and a restore
     * (whose counters move past every id handed out) part the two */
    int rc = cl_store_entries(t, CL_DB_PERSON, persons);
    if (rc == CL_OK)
        rc = cl_store_entries(t, CL_DB_REFERRAL, referrals);
    return rc;
}

/* Which module's decoder reads each sealed sub-database: the same one its
 * reads use, so that fuzz_stored exercises the real thing. A row names a
 * check that knows the sub-database, one that needs only the bytes, or a
 * stored format (decoder and the size of what it fills). */
static const struct {
    int (*by_db)(cl_db db, const uint8_t *buf, size_t len);
    int (*bytes)(const uint8_t *buf, size_t len);
    cl_records_dec_fn dec;
    size_t size;
} s_checks[CL_DB_COUNT] = {
    [CL_DB_RECORD] = {.by_db = cl_records_decode_check},
    [CL_DB_REFERRAL] = {.by_db = cl_records_decode_check},
    [CL_DB_HISTORY] = {.by_db = cl_records_decode_check},
    [CL_DB_PERSON] = {.by_db = cl_records_decode_check},
    [CL_DB_RELATION] = {.by_db = cl_records_decode_check},
    [CL_DB_PLAN] = {.by_db = cl_records_decode_check},
    [CL_DB_REVIEW] = {.dec = cl_matchq_review_dec,
                      .size = sizeof(cl_matchq_review)},
    [CL_DB_MDT] = {.dec = cl_mdt_review_dec, .size = sizeof(cl_review_new)},
    [CL_DB_ALERTED] = {.dec = cl_alerts_alerted_dec,
                       .size = sizeof(cl_alerts_alerted)},
    [CL_DB_AUDIT] = {.bytes = cl_audit_decode_check},
    [CL_DB_FLAG_LOG] = {.bytes = cl_flag_decode_check},
    [CL_DB_AGENCY_REF] = {.bytes = cl_refindex_decode_check},
    [CL_DB_HOLD] = {.bytes = cl_dp_hold_decode_check},
    [CL_DB_INTAKE] = {.bytes = cl_intake_decode_check},
    [CL_DB_LINKING] = {.bytes = cl_link_decode_check},
    [CL_DB_MAILBOX] = {.by_db = cl_inforeq_route_decode_check},
    [CL_DB_INFOREQ] = {.by_db = cl_inforeq_route_decode_check},
    [CL_DB_FEED] = {.by_db = cl_inforeq_route_decode_check},
    [CL_DB_ACTION] = {.by_db = cl_mdt_dp_decode_check},
    [CL_DB_RAG] = {.by_db = cl_mdt_dp_decode_check},
    [CL_DB_DISCUSSION] = {.by_db = cl_mdt_dp_decode_check},
    [CL_DB_MEASURE_DEF] = {.by_db = cl_mdt_dp_decode_check},
    [CL_DB_MEASURE] = {.by_db = cl_mdt_dp_decode_check},
    [CL_DB_MEETING] = {.by_db = cl_mdt_dp_decode_check},
    [CL_DB_RECORD_HISTORY] = {.dec = cl_rechist_dec,
                              .size = sizeof(cl_record_version)},
};

int cl_core_decode_check(cl_db db, const uint8_t *buf, size_t len)
{
    if ((unsigned)db >= CL_DB_COUNT)
        return CL_ERR_INVALID;
    if (s_checks[db].by_db)
        return s_checks[db].by_db(db, buf, len);
    if (s_checks[db].bytes)
        return s_checks[db].bytes(buf, len);
    if (s_checks[db].dec)
        return cl_records_check(buf, len, s_checks[db].dec, s_checks[db].size);
    return CL_ERR_INVALID;
}
