/*
 * referral: what an agency may change about its own referral after
 * publishing it: correction (each earlier version kept as history) and
 * withdrawal, and the coordinator's status as a referral moves on. Calls
 * records, linkfind and alerts' retraction, never a file above it.
 */
#include "referral.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "linkfind.h"
#include "mailbox.h"
#include "match.h"
#include "overlay.h"
#include "records.h"
#include "refs.h"
#include "refindex.h"

/* A referral of the caller's agency named by caselink's id (CL-00000042)
 * or by the agency's own reference. Another agency's is CL_ERR_NOT_FOUND:
 * its existence is never revealed. */
static int s_own_referral(cl_txn *t, const cl_caller *caller, const char *ref,
                          uint64_t *ref_id, cl_records_referral *s,
                          char err[CL_ERROR_SZ])
{
    int rc = CL_ERR_NOT_FOUND;
    if (!ref[0]) {
        snprintf(err, CL_ERROR_SZ,
                 "reference is required: caselink's id (CL-00000042) or "
                 "your own agency_reference");
        return CL_ERR_INVALID;
    }
    if (cl_records_parse_ref(ref, ref_id)) {
        rc = cl_records_referral_get(t, *ref_id, s);
        if (rc == CL_OK && strcmp(s->agency, caller->agency) != 0)
            rc = CL_ERR_NOT_FOUND;
    }
    if (rc == CL_ERR_NOT_FOUND) {
        rc = cl_refindex_find(t, caller->agency, ref, ref_id);
        if (rc == CL_OK)
            rc = cl_records_referral_get(t, *ref_id, s);
        if (rc == CL_OK && strcmp(s->agency, caller->agency) != 0)
            rc = CL_ERR_CORRUPT; /* the index names another agency's */
    }
    if (rc == CL_ERR_NOT_FOUND)
        snprintf(err, CL_ERROR_SZ,
                 "no referral %.64s from your agency (give caselink's id "
                 "CL-00000042 or your own agency_reference)",
                 ref);
    return rc;
}

/* Apply a correction to the stored content: only the fields given change
 * (non-empty text, non-zero values); the subject's given fields are laid
 * over the record's. *subject_changed says whether any subject field was given.
 * CL_ERR_INVALID (with err) when nothing is given. */
static const cl_overlay_field s_correctable[] = {
    CL_OVERLAY_TEXT(cl_referral, agency_ref),
    CL_OVERLAY_NUM(cl_referral, category),
    CL_OVERLAY_NUM(cl_referral, risk),
    CL_OVERLAY_TEXT(cl_referral, concern),
    CL_OVERLAY_NUM(cl_referral, occurred_at),
    CL_OVERLAY_TEXT(cl_referral, referrer_name),
    CL_OVERLAY_TEXT(cl_referral, referrer_role),
    CL_OVERLAY_NUM(cl_referral, basis),
    CL_OVERLAY_NUM(cl_referral, consent),
    CL_OVERLAY_TEXT(cl_referral, consent_note),
};

static int s_patch(cl_referral *m, const cl_referral *p, bool *subject_changed,
                   char err[CL_ERROR_SZ])
{
    size_t given = cl_overlay_fields(
        m, p, s_correctable, sizeof(s_correctable) / sizeof(s_correctable[0]));
    cl_person none;
    memset(&none, 0, sizeof(none));
    *subject_changed = memcmp(&p->subject, &none, sizeof(none)) != 0;
    if (*subject_changed) {
        (void)cl_overlay_person(&m->subject, &p->subject);
        given++;
    }
    m->n_related = p->n_related;
    memcpy(m->related, p->related, sizeof(m->related[0]) * p->n_related);
    given += p->n_related > 0;
    if (!given) {
        snprintf(err, CL_ERROR_SZ,
                 "a correction needs at least one field to change (only the "
                 "fields given change; the rest stay)");
        return CL_ERR_INVALID;
    }
    return CL_OK;
}

/* The agency's own reference itself corrected (from old to new): the
 * index follows, unless the new one names another referral. */
static int s_reindex(cl_txn *t, const cl_caller *caller, uint64_t ref_id,
                     const char *old, const char *new_ref,
                     char err[CL_ERROR_SZ])
{
    uint64_t other = 0, mine = 0;
    int rc = cl_refindex_find(t, caller->agency, new_ref, &other);
    if (rc == CL_OK && other != ref_id) {
        snprintf(err, CL_ERROR_SZ,
                 "agency_reference %.64s already names another of "
                 "your referrals",
                 new_ref);
        return CL_ERR_INVALID;
    }
    if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
        return rc;
    rc = cl_refindex_find(t, caller->agency, old, &mine);
    if (rc == CL_OK && mine == ref_id)
        rc = cl_refindex_remove(t, caller->agency, old);
    if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
        return rc;
    rc = cl_refindex_add(t, caller->agency, new_ref, ref_id);
    return rc == CL_ERR_EXISTS ? CL_OK : rc;
}

/* A correction applied: re-link a corrected subject (person pid so far),
 * move the referral to the record it now belongs to, and link the people
 * named as related; s then holds the corrected content m. */
static int s_relink(cl_op *op, const cl_match_config *mc, uint64_t ref_id,
                    uint64_t pid, cl_records_referral *s, const cl_referral *m,
                    bool subject_changed)
{
    const cl_store *st = cl_store_of(op->t);
    uint64_t rid = s->record_id;
    uint8_t k[16];
    int rc;
    if (subject_changed &&
        (rc = cl_linkfind_person(op->t, st, mc, op->who, &m->subject, op->now,
                                 &pid, &rid)) != CL_OK)
        return rc;
    if ((rc = cl_records_record_subject(op->t, rid)) != CL_OK)
        return rc;
    cl_records_note_person(&op->note, pid);
    if (rid != s->record_id) {
        cl_records_key(k, s->record_id);
        cl_records_key(k + 8, ref_id);
        if ((rc = cl_store_del(op->t, CL_DB_RECORD_REFERRALS, k, 16)) != CL_OK)
            return rc;
        cl_records_key(k, rid);
        if ((rc = cl_store_put_raw(op->t, CL_DB_RECORD_REFERRALS, k, 16, NULL,
                                   0)) != CL_OK)
            return rc;
        s->record_id = rid;
    }
    if ((rc = cl_linkfind_relate(op->t, st, mc, op->who, pid, m->related,
                                 m->n_related, op->now, &op->note)) != CL_OK)
        return rc;
    memcpy(&s->r, m, sizeof(s->r));
    return CL_OK;
}

int cl_referral_rectify(cl_op *op, const cl_match_config *mc, cl_req_kind kind,
                        const cl_rectify *r, cl_publish_result *out)
{
    uint64_t ref_id = 0;
    cl_records_referral *s = calloc(1, sizeof(*s));
    cl_referral *m = calloc(1, sizeof(*m));
    cl_records_record rec;
    bool subject_changed = false;
    int rc;
    memset(&rec, 0, sizeof(rec));
    if (!s || !m) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    if (!(op->who->roles & CL_ROLE_PUBLISHER)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "changing a referral needs the publisher "
                 "role");
        rc = CL_ERR_DENIED;
        goto out;
    }
    if (!r->reason[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "reason: required: say why the referral is changed");
        rc = CL_ERR_INVALID;
        goto out;
    }
    if ((rc = s_own_referral(op->t, op->who, r->reference, &ref_id, s,
                             op->err)) != CL_OK)
        goto out;
    if (s->withdrawn) {
        snprintf(op->err, CL_ERROR_SZ, "%s was withdrawn already",
                 s->reference);
        rc = CL_ERR_INVALID;
        goto out;
    }
    if ((rc = cl_records_record_get(op->t, s->record_id, &rec)) != CL_OK)
        goto out;
    cl_records_note_person(&op->note, rec.person_id);
    CL_COPY(op->note.detail, s->reference);
    if (kind == CL_REQ_CORRECT_REFERRAL) {
        /* the stored content with the given fields laid over it, then
         * checked as a whole like a new referral */
        *m = s->r;
        m->subject = rec.p;
        m->n_related = 0;
        if ((rc = s_patch(m, &r->referral, &subject_changed, op->err)) != CL_OK)
            goto out;
        if ((rc = cl_refs_check_occurred(
                 r->referral.occurred_at, op->now,
                 "correct_referral.referral.occurred_at", op->err)) != CL_OK)
            goto out;
        if ((rc = cl_referral_validate(m, op->err, out)) != CL_OK) {
            cl_model_refusal_at(op->err, "correct_referral.referral");
            goto out;
        }
        if (strcmp(m->agency_ref, s->r.agency_ref) != 0 &&
            (rc = s_reindex(op->t, op->who, ref_id, s->r.agency_ref,
                            m->agency_ref, op->err)) != CL_OK)
            goto out;
    }
    rc = cl_records_history_put(op->t, ref_id, s,
                                kind == CL_REQ_WITHDRAW_REFERRAL ? "withdrawn"
                                                                 : "corrected",
                                r->reason, op->who, op->now);
    if (rc != CL_OK)
        goto out;
    s->version++;
    if (kind == CL_REQ_WITHDRAW_REFERRAL) {
        s->withdrawn = 1;
    } else if ((rc = s_relink(op, mc, ref_id, rec.person_id, s, m,
                              subject_changed)) != CL_OK) {
        goto out;
    }
    if ((rc = cl_records_touch(op->t, rec.person_id, op->now)) != CL_OK)
        goto out;
    if ((rc = cl_records_referral_put(op->t, ref_id, s)) != CL_OK)
        goto out;
    CL_COPY(out->reference, s->reference);
out:
    if (s)
        sodium_memzero(s, sizeof(*s));
    if (m)
        sodium_memzero(m, sizeof(*m));
    free(s);
    free(m);
    sodium_memzero(&rec, sizeof(rec));
    if (rc != CL_OK && !op->err[0])
        snprintf(op->err, CL_ERROR_SZ, "change failed: %s", cl_strerror(rc));
    return rc;
}

/* --- referral status --------------------------------------------------------
 */

int cl_referral_set_status(cl_op *op, const cl_route_config *cfg,
                           const cl_set_status *ss, cl_publish_result *out)
{
    uint64_t ref_id = 0;
    cl_records_record rec;
    char change[64];
    int rc;
    memset(&rec, 0, sizeof(rec));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "referral status needs the coordinator role");
        return CL_ERR_DENIED;
    }
    if (!cl_records_parse_ref(ss->reference, &ref_id)) {
        snprintf(op->err, CL_ERROR_SZ, "reference must look like CL-00000042");
        return CL_ERR_INVALID;
    }
    if (ss->status == CL_REFSTAT_DECLINED && !ss->reason[0]) {
        snprintf(op->err, CL_ERROR_SZ, "declining a referral needs a reason");
        return CL_ERR_INVALID;
    }
    if (ss->status == CL_REFSTAT_CLOSED && !ss->outcome) {
        snprintf(op->err, CL_ERROR_SZ,
                 "closing a referral needs an outcome (services_provided, "
                 "client_refused, unable_to_contact, ...)");
        return CL_ERR_INVALID;
    }
    if (ss->status != CL_REFSTAT_CLOSED && ss->outcome) {
        snprintf(op->err, CL_ERROR_SZ, "an outcome is given only when closing");
        return CL_ERR_INVALID;
    }
    cl_records_referral *s = calloc(1, sizeof(*s));
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!s || !d) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    if ((rc = cl_records_referral_get(op->t, ref_id, s)) == CL_ERR_NOT_FOUND) {
        snprintf(op->err, CL_ERROR_SZ, "no referral %.32s", ss->reference);
        goto out;
    }
    if (rc != CL_OK)
        goto out;
    /* received -> accepted | declined; accepted -> closed */
    bool ok =
        (s->status == CL_REFSTAT_RECEIVED &&
         (ss->status == CL_REFSTAT_ACCEPTED ||
          ss->status == CL_REFSTAT_DECLINED)) ||
        (s->status == CL_REFSTAT_ACCEPTED && ss->status == CL_REFSTAT_CLOSED);
    if (s->withdrawn || !ok) {
        snprintf(op->err, CL_ERROR_SZ,
                 "%.32s is %s%s: it cannot be %s (received -> accepted or "
                 "declined; accepted -> closed)",
                 ss->reference, s->withdrawn ? "withdrawn, " : "",
                 cl_refstat_name(s->status), cl_refstat_name(ss->status));
        rc = CL_ERR_INVALID;
        goto out;
    }
    if ((rc = cl_records_record_get(op->t, s->record_id, &rec)) != CL_OK)
        goto out;
    snprintf(change, sizeof(change), "status: %s", cl_refstat_name(ss->status));
    if ((rc = cl_records_history_put(op->t, ref_id, s, change, ss->reason,
                                     op->who, op->now)) != CL_OK)
        goto out;
    s->version++;
    s->status = ss->status;
    s->outcome = ss->outcome;
    s->status_at = op->now;
    CL_COPY(s->status_by, op->who->agency);
    CL_COPY(s->status_reason, ss->reason);
    if ((rc = cl_records_referral_put(op->t, ref_id, s)) != CL_OK)
        goto out;
    /* back to the referring agency's mailbox */
    d->kind = CL_DLV_STATUS;
    cl_status_msg *m = &d->u.status;
    CL_COPY(m->reference, s->reference);
    CL_COPY(m->agency_ref, s->r.agency_ref);
    m->status = s->status;
    CL_COPY(m->reason, s->status_reason);
    m->outcome = s->outcome;
    CL_COPY(m->by, op->who->agency);
    m->at = op->now;
    if ((rc = cl_mailbox_put(op->t, cfg, s->agency, d, false, op->now,
                             op->err)) != CL_OK)
        goto out;
    cl_records_note_person(&op->note, rec.person_id);
    CL_COPY(out->reference, s->reference);
    CL_COPY(op->note.detail, s->reference);
    snprintf(op->note.purpose, sizeof(op->note.purpose), "%s%s%s", change,
             ss->outcome ? ": " : "",
             ss->outcome ? cl_outcome_name(ss->outcome) : "");
out:
    if (s)
        sodium_memzero(s, sizeof(*s));
    if (d)
        sodium_memzero(d, sizeof(*d));
    free(s);
    free(d);
    sodium_memzero(&rec, sizeof(rec));
    return rc;
}
