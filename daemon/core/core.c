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

#include "block.h"
#include "codec.h"
#include "alerts.h"
#include "caseview.h"
#include "core_int.h"
#include "flag.h"
#include "intake.h"
#include "linkfind.h"
#include "matchq.h"
#include "plan.h"
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
    int rc = cl_store_counter(t, "person", persons);
    if (rc == CL_OK)
        rc = cl_store_counter(t, "referral", referrals);
    return rc;
}

int cl_core_decode_check(cl_db db, const uint8_t *buf, size_t len)
{
    cl_dec d = cl_dec_init(buf, len);
    int rc = CL_OK;
    switch (db) {
    case CL_DB_RECORD: {
        cl_records_record r;
        cl_records_record_dec(&d, &r);
        break;
    }
    case CL_DB_REFERRAL:
    case CL_DB_HISTORY: {
        cl_records_referral *r = calloc(1, sizeof(*r));
        if (!r)
            return CL_ERR_NOMEM;
        cl_referral_version *v = calloc(1, sizeof(*v));
        if (!v) {
            free(r);
            return CL_ERR_NOMEM;
        }
        if (db == CL_DB_HISTORY)
            cl_records_history_dec(&d, v, r);
        else
            cl_records_referral_dec(&d, r);
        free(v);
        free(r);
        break;
    }
    case CL_DB_PERSON:
        (void)cl_dec_u8(&d);
        (void)cl_dec_i64(&d);
        (void)cl_dec_i64(&d);
        break;
    case CL_DB_RELATION: {
        char agency[CL_AGENCY_SZ];
        (void)cl_dec_u8(&d);
        (void)cl_dec_u8(&d);
        CL_DEC_STR(&d, agency);
        (void)cl_dec_u8(&d);
        break;
    }
    case CL_DB_PLAN: {
        cl_records_plan *r = malloc(sizeof(*r));
        if (!r)
            return CL_ERR_NOMEM;
        cl_records_plan_dec(&d, r);
        free(r);
        break;
    }
    case CL_DB_AUDIT:
        return cl_audit_decode_check(buf, len);
    case CL_DB_FLAG_LOG:
        return cl_flag_decode_check(buf, len);
    case CL_DB_AGENCY_REF:
        return cl_refindex_decode_check(buf, len);
    case CL_DB_HOLD:
        return cl_core__hold_decode_check(buf, len);
    case CL_DB_ALERTED: {
        char agency[CL_AGENCY_SZ], ref[CL_REF_SZ];
        if (cl_dec_u8(&d) != CL_RECORDS_VERSION)
            d.bad = true;
        CL_DEC_STR(&d, agency);
        CL_DEC_STR(&d, ref);
        (void)cl_dec_i64(&d);
        break;
    }
    case CL_DB_INTAKE:
        return cl_intake_decode_check(buf, len);
    case CL_DB_LINKING:
        return cl_link_decode_check(buf, len);
    case CL_DB_MAILBOX:
    case CL_DB_INFOREQ:
    case CL_DB_FEED:
        return cl_core__route_decode_check(db, buf, len);
    case CL_DB_ACTION:
    case CL_DB_RAG:
    case CL_DB_DISCUSSION:
    case CL_DB_MEASURE_DEF:
    case CL_DB_MEASURE:
    case CL_DB_MEETING:
        return cl_core__mdt_decode_check(db, buf, len);
    default:
        rc = CL_ERR_INVALID;
    }
    if (rc == CL_OK && !cl_dec_ok(&d))
        rc = CL_ERR_CORRUPT;
    return rc;
}
