/*
 * dp: data-protection duties that hold across every sub-database.
 *
 * The subject-access table says, for every sub-database, whether a subject
 * access export carries what it holds about the person, whether it is an
 * index holding only ids and blind hashes (what it points to is exported),
 * or why it is deliberately left out. The table is indexed by cl_db, so a
 * new sub-database without a row is caught by test_dp, which also checks
 * every row against a person who went through every request kind.
 *
 * Subject access (cl_dp_subject_access) is gathered here, above every
 * module it asks: the auditor's case view (caseview.c), the audit entries,
 * the MDT's records (mdt_dp.c), information requests, intake items and
 * the legal hold.
 *
 * Retention is a policy (see dp.h): cl_dp_purge asks each module which
 * people its records keep live, removes the idle people nothing keeps,
 * module by module, and audits each removal.
 *
 * Stored: hold  person id -> v1, at, by (client (agency)), reason
 *
 * This module never logs and never touches LMDB other than through store/.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "caseview.h"
#include "codec.h"
#include "dp.h"
#include "flag.h"
#include "idset.h"
#include "inforeq.h"
#include "intake.h"
#include "mdt_dp.h"
#include "purpose.h"
#include "records.h"
#include "retention.h"

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
    [CL_DB_HOLD] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_LINKING] = {CL_SAR_LEFT_OUT,
                       "linking weights per comparison level and relinking "
                       "progress: no personal data"},
    [CL_DB_BLOCK] = {CL_SAR_INDEX, NULL}, /* blocking keys, name counts */
    [CL_DB_FLAG_LOG] = {CL_SAR_LEFT_OUT,
                        "which agency was shown the person's front-line "
                        "flag, and when: person ids only, and each one is "
                        "in the audit entries exported (flag_check, "
                        "flag_disclosure)"},
    [CL_DB_ALERTED] = {CL_SAR_LEFT_OUT,
                       "which agencies a referral alerted (agency names and "
                       "their plan references), kept to send retractions; "
                       "each alert is in the audit entries"},
    [CL_DB_MEETING] = {CL_SAR_LEFT_OUT,
                       "who chaired and attended a review: members of "
                       "staff, not the people discussed"},
    [CL_DB_RECORD_HISTORY] = {CL_SAR_EXPORTED, NULL},
    [CL_DB_REPLAY] = {CL_SAR_LEFT_OUT,
                      "the reply each write got (a reference and warnings), "
                      "kept for the replay window so that a resent message "
                      "gets the same answer; it repeats what the export "
                      "holds"},
};

cl_sar_cover cl_dp_sar_cover(cl_db db, const char **why)
{
    if (why)
        *why = (unsigned)db < CL_DB_COUNT ? s_sar[db].why : NULL;
    return (unsigned)db < CL_DB_COUNT ? s_sar[db].cover : CL_SAR_NONE;
}

int cl_dp_subject_access(cl_op *op, const cl_person_ref *q,
                         cl_subject_access *out)
{
    uint64_t pid = 0;
    memset(out, 0, sizeof(*out));
    int rc = cl_caseview_auditor(op->t, op->who, "subject access", q, &op->note,
                                 &pid, op->err);
    if (rc != CL_OK)
        return rc;
    rc = cl_caseview_build(op->t, pid, true, &out->person, out);
    if (rc == CL_OK) {
        cl_audit_note_view(&op->note, &out->person); /* and the people around */
        rc =
            cl_audit_entries_for(op->t, pid, NULL, CL_AUDIT_LIMIT, &out->audit);
    }
    if (rc == CL_OK)
        rc = cl_mdt_dp_subject(op->t, pid, (int64_t)time(NULL), out);
    if (rc == CL_OK)
        rc = cl_inforeq_of(op->t, pid, (int64_t)time(NULL), &out->requests);
    if (rc == CL_OK)
        rc = cl_intake_of_person(op->t, pid, &out->intake);
    if (rc == CL_OK)
        rc = cl_dp_hold_of(op->t, pid, out);
    if (rc != CL_OK) {
        cl_subject_access_clear(out);
        snprintf(op->err, CL_ERROR_SZ, "subject access failed: %s",
                 cl_strerror(rc));
    }
    return rc;
}

void cl_purge_result_clear(cl_purge_result *r)
{
    if (!r)
        return;
    free(r->names);
    memset(r, 0, sizeof(*r));
}

/* --- legal hold ------------------------------------------------------------
 */

static int s_hold_dec(const uint8_t *buf, size_t len, int64_t *at,
                      char by[CL_BY_SZ], char reason[CL_NOTE_SZ])
{
    cl_dec d = cl_dec_init(buf, len);
    if (cl_dec_u8(&d) != 1)
        d.bad = true;
    *at = cl_dec_i64(&d);
    cl_dec_str(&d, by, CL_BY_SZ);
    cl_dec_str(&d, reason, CL_NOTE_SZ);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

int cl_dp_hold_decode_check(const uint8_t *buf, size_t len)
{
    char by[CL_BY_SZ], reason[CL_NOTE_SZ];
    int64_t at;
    return s_hold_dec(buf, len, &at, by, reason);
}

static int s_hold_get(cl_txn *t, uint64_t pid, int64_t *at, char by[CL_BY_SZ],
                      char reason[CL_NOTE_SZ])
{
    uint8_t k[8], buf[CL_BY_SZ + CL_NOTE_SZ + 32];
    size_t len = 0;
    cl_be64_put(k, pid);
    int rc = cl_store_get(t, CL_DB_HOLD, k, 8, buf, sizeof(buf), &len);
    if (rc != CL_OK)
        return rc;
    rc = s_hold_dec(buf, len, at, by, reason);
    sodium_memzero(buf, len);
    return rc;
}

int cl_dp_hold_of(cl_txn *t, uint64_t pid, cl_subject_access *out)
{
    int rc = s_hold_get(t, pid, &out->hold_at, out->hold_by, out->hold_reason);
    out->held = rc == CL_OK;
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

int cl_dp_legal_hold(cl_op *op, const cl_hold *h, cl_publish_result *out)
{
    char pid_s[CL_PID_SZ], by[CL_BY_SZ], reason[CL_NOTE_SZ], day[CL_DATE_SZ];
    uint8_t k[8], buf[CL_BY_SZ + CL_NOTE_SZ + 32];
    uint64_t pid = 0;
    int64_t at = 0;
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "a legal hold needs the coordinator role");
        return CL_ERR_DENIED;
    }
    if (!h->reason[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "reason is required: say why the person must be kept (or "
                 "why the hold ends), for the auditor");
        return CL_ERR_INVALID;
    }
    /* only a person the partnership works on: no existence test */
    cl_purpose_ask a = {&h->who, NULL, true, "legal_hold"};
    int rc = cl_purpose_person(op->t, &a, &pid, &op->note, op->err);
    if (rc != CL_OK)
        return rc;
    cl_audit_pid_str(pid_s, pid);
    snprintf(op->note.purpose, sizeof(op->note.purpose),
             "legal hold %s: %.900s", h->release ? "released" : "set",
             h->reason);
    CL_COPY(op->note.detail, pid_s);
    rc = s_hold_get(op->t, pid, &at, by, reason);
    sodium_memzero(reason, sizeof(reason));
    if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
        return rc;
    cl_records_date(at, day);
    if (h->release) {
        if (rc == CL_ERR_NOT_FOUND) {
            snprintf(op->err, CL_ERROR_SZ, "%s is not on legal hold", pid_s);
            return CL_ERR_INVALID;
        }
        cl_be64_put(k, pid);
        if ((rc = cl_store_del(op->t, CL_DB_HOLD, k, 8)) != CL_OK)
            return rc;
    } else {
        if (rc == CL_OK) {
            snprintf(op->err, CL_ERROR_SZ,
                     "%s is on legal hold already (since %s, by %.64s); "
                     "release it first to change the reason",
                     pid_s, day, by);
            return CL_ERR_INVALID;
        }
        snprintf(by, sizeof(by), "%.63s (%.90s)", op->who->name,
                 op->who->agency);
        cl_enc e = cl_enc_init(buf, sizeof(buf));
        cl_enc_u8(&e, 1);
        cl_enc_i64(&e, op->now);
        cl_enc_str(&e, by);
        cl_enc_str(&e, h->reason);
        cl_be64_put(k, pid);
        rc = cl_enc_ok(&e) ? cl_store_put(op->t, CL_DB_HOLD, k, 8, buf, e.len)
                           : CL_ERR_INTERNAL;
        sodium_memzero(buf, sizeof(buf));
        if (rc != CL_OK)
            return rc;
    }
    CL_COPY(out->reference, pid_s);
    return CL_OK;
}

typedef struct s_holds {
    cl_ids *keep;
} s_holds;

static int s_hold_one(void *ctx, const uint8_t *key, size_t len)
{
    if (len != 8)
        return CL_ERR_CORRUPT;
    return cl_idset_add(((s_holds *)ctx)->keep, cl_be64_get(key));
}

/* --- the retention run -----------------------------------------------------
 */

/* What keeps people live, one set per rule, in the order a kept person is
 * counted under. */
enum { S_HOLD, S_PLAN, S_AGENDA, S_ACTION, S_REQUEST, S_RULES };

typedef struct s_run {
    const cl_retention *pol;
    int64_t cutoff;
    cl_ids keep[S_RULES];
    cl_ids purge;
    size_t kept[S_RULES];
} s_run;

/* activity: last activity || person id, oldest first */
static int s_idle_one(void *ctx, const uint8_t *key, size_t len)
{
    s_run *r = ctx;
    if (len != 16)
        return CL_ERR_CORRUPT;
    if ((int64_t)cl_be64_get(key) >= r->cutoff || r->purge.n >= r->pol->batch)
        return 1; /* in time order: the rest are newer */
    uint64_t pid = cl_be64_get(key + 8);
    for (int i = 0; i < S_RULES; i++)
        if (cl_idset_has(&r->keep[i], pid)) {
            r->kept[i]++;
            return CL_OK;
        }
    return cl_idset_add(&r->purge, pid);
}

static void s_day(int64_t at, char out[CL_DATE_SZ])
{
    cl_records_date(at, out);
}

int cl_dp_purge(cl_txn *t, const cl_retention *pol, int64_t now,
                cl_purge_result *out)
{
    char plan_since[CL_DATE_SZ], review_since[CL_DATE_SZ];
    s_run r = {.pol = pol,
               .cutoff = now - (int64_t)(pol->inactive_days * 86400.0)};
    cl_names names = {0};
    memset(out, 0, sizeof(*out));
    if (pol->inactive_days <= 0 || pol->batch == 0)
        return CL_OK;
    s_day(now - (int64_t)pol->plan_ended_days * 86400, plan_since);
    s_day(now - (int64_t)pol->review_days * 86400, review_since);
    s_holds h = {&r.keep[S_HOLD]};
    int rc = cl_store_scan(t, CL_DB_HOLD, NULL, 0, s_hold_one, &h);
    if (rc == CL_OK)
        rc = cl_retention_plans_live(t, plan_since, &r.keep[S_PLAN]);
    if (rc == CL_OK)
        rc = cl_mdt_dp_live(t, review_since, &r.keep[S_ACTION],
                            &r.keep[S_AGENDA]);
    if (rc == CL_OK)
        rc = cl_inforeq_live(t, &r.keep[S_REQUEST]);
    for (int i = 0; i < S_RULES; i++)
        cl_idset_done(&r.keep[i]);
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_ACTIVITY, NULL, 0, s_idle_one, &r);
    for (size_t i = 0; i < r.purge.n && rc == CL_OK; i++) {
        uint64_t pid = r.purge.v[i];
        cl_ids refs = {0};
        cl_audit_note note;
        memset(&note, 0, sizeof(note));
        cl_records_note_person(&note, pid);
        snprintf(note.purpose, sizeof(note.purpose),
                 "retention: no activity for %g days; no legal hold, plan, "
                 "agenda place, open action or open request keeps them",
                 pol->inactive_days);
        rc = cl_retention_referrals_of(t, pid, &refs);
        if (rc == CL_OK)
            rc = cl_inforeq_route_purge(t, pid, &refs, &names);
        if (rc == CL_OK)
            rc = cl_mdt_dp_purge(t, pid, &names);
        if (rc == CL_OK)
            rc =
                cl_retention_purge_indexed(t, CL_DB_PERSON_INTAKE, CL_DB_INTAKE,
                                           pid, CL_ID_INTAKE, &names);
        if (rc == CL_OK)
            rc = cl_retention_person_purge(t, pid, &names);
        if (rc == CL_OK)
            rc = cl_audit_append(t, NULL, "purge", &note, CL_STATUS_OK, now);
        cl_idset_free(&refs);
        if (rc == CL_OK)
            out->purged++;
    }
    if (rc == CL_OK)
        rc = cl_flag_purge(t, r.purge.v, r.purge.n);
    out->kept_hold = r.kept[S_HOLD];
    out->kept_plan = r.kept[S_PLAN];
    out->kept_agenda = r.kept[S_AGENDA];
    out->kept_action = r.kept[S_ACTION];
    out->kept_request = r.kept[S_REQUEST];
    for (int i = 0; i < S_RULES; i++)
        cl_idset_free(&r.keep[i]);
    cl_idset_free(&r.purge);
    if (rc == CL_OK) {
        out->names = names.buf;
        out->names_len = names.len;
    } else {
        free(names.buf);
        out->purged = 0;
    }
    return rc;
}
