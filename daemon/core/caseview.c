/*
 * caseview: the linked case view (a person, their records, referrals,
 * relations and the plans that reach them, to depth 2), for a coordinator
 * and for subject access (dp.c), and the auditor's search by person, each
 * naming in the audit note every person it shows. Calls records, plan,
 * audit and purpose, never a file above it.
 */
#include "caseview.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "names.h"
#include "rechist.h"
#include "plan.h"
#include "purpose.h"
#include "records.h"

/* --- linked case view ----------------------------------------------------- */

static int s_cmp_referral(const void *a, const void *b)
{
    const cl_referral_view *x = a, *y = b;
    int64_t tx = x->occurred_at ? x->occurred_at : x->received_at;
    int64_t ty = y->occurred_at ? y->occurred_at : y->received_at;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return strcmp(x->reference, y->reference);
}

static int s_referral_view(cl_referral_view *v, const cl_records_referral *sr)
{
    CL_COPY(v->reference, sr->reference);
    CL_COPY(v->agency, sr->agency);
    CL_COPY(v->agency_ref, sr->r.agency_ref);
    v->category = sr->r.category;
    v->risk = sr->r.risk;

    v->occurred_at = sr->r.occurred_at;
    v->received_at = sr->received;
    CL_COPY(v->referrer_name, sr->r.referrer_name);
    CL_COPY(v->referrer_role, sr->r.referrer_role);
    v->basis = sr->r.basis;
    v->consent = sr->r.consent;
    v->withdrawn = sr->withdrawn != 0;
    v->version = sr->version;
    v->status = sr->status;
    v->outcome = sr->outcome;
    v->status_at = sr->status_at;
    CL_COPY(v->status_by, sr->status_by);
    CL_COPY(v->status_reason, sr->status_reason);
    return cl_referral_view_texts(v, sr->r.concern, sr->r.consent_note)
               ? CL_OK
               : CL_ERR_NOMEM;
}

typedef struct s_hist_ctx {
    cl_txn *t;
    cl_subject_access *out;
    size_t cap;
} s_hist_ctx;

static int s_hist_one(void *ctx, const uint8_t *key, size_t len)
{
    s_hist_ctx *h = ctx;
    size_t vlen = 0;
    int rc;
    uint8_t *buf = malloc(CL_RECORDS_HIST_BUF);
    cl_records_referral *sr = calloc(1, sizeof(*sr));
    if (!buf || !sr) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    rc = cl_store_get(h->t, CL_DB_HISTORY, key, len, buf, CL_RECORDS_HIST_BUF,
                      &vlen);
    if (rc != CL_OK)
        goto out;
    cl_referral_version *v =
        CL_VEC_ADD(h->out->history, h->out->n_history, h->cap);
    if (!v) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    cl_dec d = cl_dec_init(buf, vlen);
    cl_records_history_dec(&d, v, sr);
    if (!cl_dec_ok(&d)) {
        rc = CL_ERR_CORRUPT;
        goto out;
    }
    CL_COPY(v->reference, sr->reference);
    v->version = sr->version;
    rc = s_referral_view(&v->referral, sr);
out:
    if (buf)
        sodium_memzero(buf, vlen);
    if (sr)
        sodium_memzero(sr, sizeof(*sr));
    free(buf);
    free(sr);
    return rc;
}

/* Note that agency knows a person (subject: as the subject of a record),
 * in fixed lists of CL_KNOWN_MAX: an agency stays in mentioned only while
 * every record it holds on the person merely mentions them. */
static void s_known_add(char known[][CL_AGENCY_SZ], uint32_t *n_known,
                        char mentioned[][CL_AGENCY_SZ], uint32_t *n_mentioned,
                        const char *agency, bool subject)
{
    uint32_t k = 0, m = 0;
    while (k < *n_known && strcmp(known[k], agency))
        k++;
    while (m < *n_mentioned && strcmp(mentioned[m], agency))
        m++;
    if (k == *n_known) {
        if (*n_known == CL_KNOWN_MAX)
            return;
        CL_COPY(known[(*n_known)++], agency);
        if (!subject && *n_mentioned < CL_KNOWN_MAX)
            CL_COPY(mentioned[(*n_mentioned)++], agency);
    } else if (subject && m < *n_mentioned) {
        memmove(mentioned[m], mentioned[m + 1],
                (*n_mentioned - m - 1) * CL_AGENCY_SZ);
        (*n_mentioned)--;
    }
}

/* Names (from the first record) and the agencies that know person pid. */
static int s_related_fill(cl_txn *t, uint64_t pid, cl_related_view *v)
{
    cl_records_ids recs = {.max = 32};
    cl_records_record rec;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        if ((rc = cl_records_record_get(t, recs.v[i], &rec)) != CL_OK)
            break;
        if (i == 0) {
            CL_COPY(v->given, rec.p.given);
            CL_COPY(v->family, rec.p.family);
            CL_COPY(v->dob, rec.p.dob);
        }
        s_known_add(v->known_to, &v->n_known, v->mentioned_by, &v->n_mentioned,
                    rec.agency, rec.subject != CL_RECORDS_MENTION);
    }
    sodium_memzero(&rec, sizeof(rec));
    free(recs.v);
    return rc;
}

/* Build the case view of pid. With audit_view, withdrawn referrals and
 * their history are included (subject access). */
/* Person pid's records, the agencies that know them (or only mention
 * them) and every referral on those records (withdrawn ones only for an
 * audit view; with sa, each earlier version too). */
static int s_view_records(cl_txn *t, uint64_t pid, bool audit_view,
                          cl_person_view *out, cl_subject_access *sa)
{
    cl_records_ids recs = {.max = SIZE_MAX}, refs = {.max = SIZE_MAX};
    cl_records_record rec;
    cl_records_referral *sr = NULL;
    size_t cap_rec = 0, cap_ref = 0, cap_known = 0, cap_mentioned = 0,
           cap_hist = 0;
    int rc = CL_OK;

    memset(&rec, 0, sizeof(rec));
    if ((rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs)) !=
        CL_OK)
        goto out;
    for (size_t i = 0; i < recs.n; i++) {
        if ((rc = cl_records_record_get(t, recs.v[i], &rec)) != CL_OK)
            goto out;
        cl_agency_record *a = CL_VEC_ADD(out->records, out->n_records, cap_rec);
        if (!a) {
            rc = CL_ERR_NOMEM;
            goto out;
        }
        cl_records_record_view(a, recs.v[i], &rec);
        size_t kn = 0, mn = 0;
        while (kn < out->n_known && strcmp(out->known_to[kn], rec.agency))
            kn++;
        while (mn < out->n_mentioned &&
               strcmp(out->mentioned_by[mn], rec.agency))
            mn++;
        if (kn == out->n_known) {
            char(*slot)[CL_AGENCY_SZ] =
                CL_VEC_ADD(out->known_to, out->n_known, cap_known);
            if (!slot) {
                rc = CL_ERR_NOMEM;
                goto out;
            }
            CL_COPY(*slot, rec.agency);
            if (rec.subject == CL_RECORDS_MENTION) {
                char(*ms)[CL_AGENCY_SZ] = CL_VEC_ADD(
                    out->mentioned_by, out->n_mentioned, cap_mentioned);
                if (!ms) {
                    rc = CL_ERR_NOMEM;
                    goto out;
                }
                CL_COPY(*ms, rec.agency);
            }
        } else if (rec.subject != CL_RECORDS_MENTION && mn < out->n_mentioned) {
            memmove(out->mentioned_by[mn], out->mentioned_by[mn + 1],
                    (out->n_mentioned - mn - 1) * CL_AGENCY_SZ);
            out->n_mentioned--;
        }
        if (sa &&
            (rc = cl_rechist_of(t, recs.v[i], &sa->record_history,
                                &sa->n_record_history, &cap_hist)) != CL_OK)
            goto out;
        refs.n = 0;
        if ((rc = cl_records_children(t, CL_DB_RECORD_REFERRALS, recs.v[i],
                                      &refs)) != CL_OK)
            goto out;
        if (!sr && !(sr = calloc(1, sizeof(*sr)))) {
            rc = CL_ERR_NOMEM;
            goto out;
        }
        for (size_t j = 0; j < refs.n; j++) {
            if ((rc = cl_records_referral_get(t, refs.v[j], sr)) != CL_OK)
                goto out;
            if (sr->withdrawn && !audit_view)
                continue;
            cl_referral_view *v =
                CL_VEC_ADD(out->referrals, out->n_referrals, cap_ref);
            if (!v) {
                rc = CL_ERR_NOMEM;
                goto out;
            }
            if ((rc = s_referral_view(v, sr)) != CL_OK)
                goto out;
            if (sa && sr->version > 1) {
                s_hist_ctx h = {t, sa, sa->n_history};
                uint8_t hk[8];
                cl_be64_put(hk, refs.v[j]);
                if ((rc = cl_store_scan(t, CL_DB_HISTORY, hk, 8, s_hist_one,
                                        &h)) != CL_OK)
                    goto out;
            }
        }
    }
out:
    if (sr) {
        sodium_memzero(sr, sizeof(*sr));
        free(sr);
    }
    sodium_memzero(&rec, sizeof(rec));
    free(recs.v);
    free(refs.v);
    return rc;
}

/* The people related to pid (depth 1), and the plans of a linked child. */
static int s_view_related(cl_txn *t, uint64_t pid, const cl_records_ids *rels,
                          cl_person_view *out, size_t *cap_rel,
                          size_t *cap_plans)
{
    int rc = CL_OK;
    for (size_t i = 0; i < rels->n && rc == CL_OK; i++) {
        cl_records_relation rel;
        if ((rc = cl_records_relation_get(t, pid, rels->v[i], &rel)) != CL_OK)
            break;
        cl_related_view *v = CL_VEC_ADD(out->related, out->n_related, *cap_rel);
        if (!v)
            return CL_ERR_NOMEM;
        v->rel = rel.rel;
        CL_COPY(v->asserted_by, rel.agency);
        v->inferred = rel.inferred;
        v->depth = 1;
        cl_audit_pid_str(v->person_id, rels->v[i]);
        if ((rc = s_related_fill(t, rels->v[i], v)) != CL_OK)
            break;
        /* a linked child's plan shows on this person's case */
        cl_person names;
        memset(&names, 0, sizeof(names));
        CL_COPY(names.given, v->given);
        CL_COPY(names.family, v->family);
        rc = cl_plan_plans_of(t, rels->v[i], cl_rel_name(v->rel), &names, out,
                              cap_plans, false);
    }
    return rc;
}

/* Depth 2: the people linked to those people (at most 100 in all). */
static int s_view_second(cl_txn *t, uint64_t pid, const cl_records_ids *rels,
                         cl_person_view *out, size_t *cap_rel)
{
    int rc = CL_OK;
    size_t first_level = out->n_related;
    for (size_t i = 0; i < first_level && rc == CL_OK; i++) {
        cl_records_ids second = {.max = 50};
        uint64_t via = rels->v[i];
        if ((rc = cl_records_children(t, CL_DB_RELATION, via, &second)) !=
            CL_OK)
            break;
        for (size_t j = 0; j < second.n && rc == CL_OK; j++) {
            uint64_t o = second.v[j];
            bool seen = o == pid;
            for (size_t x = 0; x < rels->n && !seen; x++)
                seen = rels->v[x] == o;
            char opid[CL_PID_SZ];
            cl_audit_pid_str(opid, o);
            for (size_t x = first_level; x < out->n_related && !seen; x++)
                seen = !strcmp(out->related[x].person_id, opid);
            if (seen || out->n_related >= 100)
                continue;
            cl_records_relation rel;
            if ((rc = cl_records_relation_get(t, via, o, &rel)) != CL_OK)
                break;
            cl_related_view *v =
                CL_VEC_ADD(out->related, out->n_related, *cap_rel);
            if (!v) {
                rc = CL_ERR_NOMEM;
                break;
            }
            v->rel = rel.rel;
            CL_COPY(v->asserted_by, rel.agency);
            v->inferred = rel.inferred;
            v->depth = 2;
            CL_COPY(v->person_id, opid);
            cl_audit_pid_str(v->via_pid, via);
            rc = s_related_fill(t, o, v);
        }
        free(second.v);
    }
    return rc;
}

int cl_caseview_build(cl_txn *t, uint64_t pid, bool audit_view,
                      cl_person_view *out, cl_subject_access *sa)
{
    cl_records_ids rels = {.max = SIZE_MAX};
    size_t cap_rel = 0, cap_plans = 0;
    cl_audit_pid_str(out->person_id, pid);
    int rc = s_view_records(t, pid, audit_view, out, sa);
    if (rc == CL_OK && out->n_referrals > 1)
        qsort(out->referrals, out->n_referrals, sizeof(*out->referrals),
              s_cmp_referral);
    /* the person's own plans (and an unborn child's, on the mother) */
    if (rc == CL_OK && out->n_records)
        rc = cl_plan_plans_of(t, pid, "self", &out->records[0].person, out,
                              &cap_plans, audit_view);
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_RELATION, pid, &rels);
    if (rc == CL_OK)
        rc = s_view_related(t, pid, &rels, out, &cap_rel, &cap_plans);
    if (rc == CL_OK)
        rc = s_view_second(t, pid, &rels, out, &cap_rel);
    free(rels.v);
    return rc;
}

int cl_caseview_person_view(cl_op *op, const cl_get_person *q,
                            cl_person_view *out)
{
    uint64_t pid = 0;
    int rc;
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "opening a case needs the coordinator role");
        return CL_ERR_DENIED;
    }
    if (q->review_id[0])
        snprintf(op->note.purpose, sizeof(op->note.purpose), "review %s",
                 q->review_id);
    if (!q->review_id[0] && !q->justification[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "a purpose is required: the review the person is on, or a "
                 "break-glass access_reason and justification");
        return CL_ERR_INVALID;
    }
    if (!q->review_id[0] &&
        !cl_caseview_break_glass(&op->note, q->access_reason, q->justification,
                                 "purpose", op->err))
        return CL_ERR_INVALID;
    rc = cl_records_resolve(op->t, q->person_id, &q->match, &pid, op->err);
    if (rc == CL_OK)
        cl_records_note_person(&op->note, pid);
    if (q->review_id[0] && (rc == CL_OK || rc == CL_ERR_NOT_FOUND)) {
        /* For a review purpose, an unknown number answers exactly as a
         * known person not on the agenda: without break-glass the
         * coordinator learns nothing about who exists. */
        uint64_t mdt;
        int rrc = cl_records_mdt_id(op->t, q->review_id, &mdt, op->err);
        if (rrc != CL_OK)
            return rrc;
        if (rc == CL_ERR_NOT_FOUND)
            cl_caseview_not_on_agenda(op->err, q->review_id);
    }
    if (rc != CL_OK)
        return rc;
    if (q->review_id[0] &&
        (rc = cl_purpose_review(op->t, q->review_id, pid, op->err)) != CL_OK)
        return rc;
    rc = cl_caseview_build(op->t, pid, false, out, NULL);
    if (rc != CL_OK) {
        cl_person_view_clear(out);
        snprintf(op->err, CL_ERROR_SZ, "case view failed: %s", cl_strerror(rc));
        return rc;
    }
    /* Everyone whose details the view discloses is named in its audit
     * entry: the related people and the children whose plans it shows. */
    cl_audit_note_view(&op->note, out);
    return rc;
}

int cl_caseview_auditor(cl_txn *t, const cl_caller *caller, const char *what,
                        const cl_person_ref *q, cl_audit_note *note,
                        uint64_t *pid, char err[CL_ERROR_SZ])
{
    if (!(caller->roles & CL_ROLE_AUDITOR)) {
        snprintf(err, CL_ERROR_SZ, "%s needs the auditor role", what);
        return CL_ERR_DENIED;
    }
    if (note)
        CL_COPY(note->purpose, what);
    int rc = cl_records_resolve(t, q->person_id, &q->match, pid, err);
    if (rc == CL_OK)
        cl_records_note_person(note, *pid);
    return rc;
}

/* The filter's client as the registry spells it; *unknown (and why in
 * err) when no registered client has that name and all are listed. */
static void s_filter_client(const cl_route_config *rc, cl_audit_filter *f,
                            bool *unknown, char err[CL_ERROR_SZ])
{
    uint32_t n =
        rc->n_clients < CL_ROUTE_CLIENTS ? rc->n_clients : CL_ROUTE_CLIENTS;
    *unknown = false;
    if (!f->client[0] ||
        cl_names_resolve(f->client, sizeof(f->client), rc->clients[0], n,
                         CL_CLIENT_SZ, "audit_search.filter.client",
                         "registered client", err) == CL_OK)
        return;
    *unknown = rc->n_clients <= CL_ROUTE_CLIENTS;
}

int cl_caseview_audit_search(cl_op *op, const cl_route_config *rcfg,
                             const cl_person_ref *q, cl_audit_entries *out)
{
    uint64_t pid = 0;
    int rc;
    bool unknown;
    char why[CL_ERROR_SZ] = "";
    cl_audit_filter f = q->filter;
    memset(out, 0, sizeof(*out));
    s_filter_client(rcfg, &f, &unknown, why);
    bool by_person = q->person_id[0] || q->match.nhs[0] || q->match.chi[0];
    bool filtered = cl_audit_filter_any(&f);
    if (!by_person && (q->user_id[0] || filtered)) {
        /* Everything one named user did, or every flagged access by date
         * and client: no person is resolved. */
        if (!(op->who->roles & CL_ROLE_AUDITOR)) {
            snprintf(op->err, CL_ERROR_SZ,
                     "audit search needs the auditor role");
            return CL_ERR_DENIED;
        }
        snprintf(op->note.purpose, sizeof(op->note.purpose),
                 "audit search by %s", filtered ? "filter" : "user");
        rc = filtered
                 ? cl_audit_search(op->t, 0, &f, q->user_id, q->limit, out,
                                   op->err)
                 : cl_audit_entries_of_user(op->t, q->user_id, q->limit, out);
    } else {
        rc = cl_caseview_auditor(op->t, op->who, "audit search", q, &op->note,
                                 &pid, op->err);
        if (rc != CL_OK)
            return rc;
        /* This search is itself audited after it runs, so it does not
         * list itself. */
        rc = filtered
                 ? cl_audit_search(op->t, pid, &f, q->user_id, q->limit, out,
                                   op->err)
                 : cl_audit_entries_for(op->t, pid, q->user_id, q->limit, out);
    }
    /* nobody of that name registered and nothing by it: a slip, not a
     * client that did nothing */
    if (rc == CL_OK && unknown && out->n == 0) {
        cl_audit_entries_clear(out);
        snprintf(op->err, CL_ERROR_SZ, "%.200s; no entry names it either", why);
        return CL_ERR_INVALID;
    }
    if (rc != CL_OK && rc != CL_ERR_INVALID)
        snprintf(op->err, CL_ERROR_SZ, "audit search failed: %s",
                 cl_strerror(rc));
    return rc;
}
