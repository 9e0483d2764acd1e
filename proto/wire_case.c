/*
 * wire_case: replies of the case family, protobuf <-> model: person
 * views (records, referral views, related people), audit entries, the
 * review queue, imports, case finding, candidates, links and referral rows.
 * Encoding points into the model (wire_int.h); decoding copies, truncating
 * over-long strings (replies come from the daemon, which stores only
 * validated values).
 */
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Caselink__Referrer *cl_wire_referrer_out(cl_wire_scratch *s, const char *name,
                                         const char *role)
{
    Caselink__Referrer *rr = cl_wire_alloc(s, sizeof(*rr));
    if (!rr)
        return NULL;
    caselink__referrer__init(rr);
    rr->name = S_S(name);
    rr->role = S_S(role);
    return rr;
}

Caselink__ReferralView *cl_wire_referral_view_out(cl_wire_scratch *s,
                                                  const cl_referral_view *r)
{
    Caselink__ReferralView *rv = cl_wire_alloc(s, sizeof(*rv));
    if (!rv)
        return NULL;
    caselink__referral_view__init(rv);
    rv->reference = S_S(r->reference);
    rv->agency = S_S(r->agency);
    rv->agency_reference = S_S(r->agency_ref);
    rv->category = (Caselink__Category)r->category;
    rv->risk = (Caselink__Risk)r->risk;
    rv->concern = S_S(r->concern ? r->concern : "");
    rv->occurred_at = r->occurred_at;
    rv->received_at = r->received_at;
    rv->referrer = cl_wire_referrer_out(s, r->referrer_name, r->referrer_role);
    rv->lawful_basis = (Caselink__LawfulBasis)r->basis;
    rv->consent = (Caselink__Consent)r->consent;
    rv->consent_note = S_S(r->consent_note ? r->consent_note : "");
    rv->withdrawn = r->withdrawn;
    rv->version = r->version;
    rv->status = (Caselink__ReferralStatus)r->status;
    rv->status_reason = S_S(r->status_reason);
    rv->outcome = (Caselink__Outcome)r->outcome;
    rv->status_at = r->status_at;
    rv->status_by = S_S(r->status_by);
    return rv;
}

Caselink__AuditEntry **cl_wire_entries_out(cl_wire_scratch *s,
                                           const cl_audit_entries *e)
{
    Caselink__AuditEntry **v = cl_wire_alloc(s, e->n * sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < e->n; i++) {
        const cl_audit_entry *a = &e->v[i];
        Caselink__AuditEntry *ae = cl_wire_alloc(s, sizeof(*ae));
        char **ids = cl_wire_alloc(s, a->n_persons * sizeof(char *));
        if (!ae || !ids)
            return NULL;
        caselink__audit_entry__init(ae);
        ae->seq = a->seq;
        ae->at = a->at;
        ae->client = S_S(a->client);
        ae->agency = S_S(a->agency);
        ae->kind = S_S(a->kind);
        for (uint32_t k = 0; k < a->n_persons && k < CL_AUDIT_PERSONS; k++)
            ids[ae->n_person_ids++] = S_S(a->person_ids[k]);
        ae->person_ids = ids;
        ae->purpose = S_S(a->purpose);
        ae->break_glass = a->break_glass;
        ae->outcome = (Caselink__Status)a->outcome;
        ae->detail = S_S(a->detail);
        if (cl_user_named(&a->user)) {
            Caselink__ActingUser *u = cl_wire_alloc(s, sizeof(*u));
            if (!u)
                return NULL;
            caselink__acting_user__init(u);
            u->user_id = S_S(a->user.id);
            u->display_name = S_S(a->user.name);
            u->role = S_S(a->user.role);
            ae->user = u;
        }
        v[i] = ae;
    }
    return v;
}

/* An agency's record of a person, and a candidate with its best record. */
static const cl_wire_field s_record_rows[] = {
    CL_WF_STR_(cl_agency_record, "agency", agency),
    CL_WF_STR_(cl_agency_record, "agency_kind", kind),
    CL_WF_NESTED_(cl_agency_record, "person", person, &cl_wire_person),
    CL_WF_ENUM_(cl_agency_record, "link_reason", link_reason, UINT8_MAX),
    CL_WF_DBL_(cl_agency_record, "link_score", link_score),
    CL_WF_STR_(cl_agency_record, "record_id", record_id),
    CL_WF_END_,
};

static const cl_wire_field s_candidate_rows[] = {
    CL_WF_STR_(cl_candidate, "person_id", person_id),
    CL_WF_DBL_(cl_candidate, "score", score),
    CL_WF_ENUM_(cl_candidate, "how", how, UINT8_MAX),
    CL_WF_SUBAT_(cl_candidate, "best", best, s_record_rows),
    CL_WF_END_,
};

static Caselink__AgencyRecord *s_record_out(cl_wire_scratch *s,
                                            const cl_agency_record *a)
{
    return (Caselink__AgencyRecord *)cl_wire_msg_out(
        s, &caselink__agency_record__descriptor, a, s_record_rows);
}

Caselink__PersonView *cl_wire_view_out(cl_wire_scratch *s,
                                       const cl_person_view *v)
{
    Caselink__PersonView *pv = cl_wire_alloc(s, sizeof(*pv));
    if (!pv)
        return NULL;
    caselink__person_view__init(pv);
    pv->person_id = S_S(v->person_id);
    pv->records = cl_wire_alloc(s, v->n_records * sizeof(void *));
    pv->referrals = cl_wire_alloc(s, v->n_referrals * sizeof(void *));
    pv->related = cl_wire_alloc(s, v->n_related * sizeof(void *));
    pv->known_to = cl_wire_alloc(s, v->n_known * sizeof(char *));
    if (!pv->records || !pv->referrals || !pv->related || !pv->known_to)
        return NULL;
    for (size_t i = 0; i < v->n_records; i++) {
        Caselink__AgencyRecord *ar = s_record_out(s, &v->records[i]);
        if (!ar)
            return NULL;
        pv->records[pv->n_records++] = ar;
    }
    for (size_t i = 0; i < v->n_referrals; i++) {
        Caselink__ReferralView *rv =
            cl_wire_referral_view_out(s, &v->referrals[i]);
        if (!rv)
            return NULL;
        pv->referrals[pv->n_referrals++] = rv;
    }
    for (size_t i = 0; i < v->n_related; i++) {
        const cl_related_view *r = &v->related[i];
        Caselink__RelatedView *rv = cl_wire_alloc(s, sizeof(*rv));
        if (!rv)
            return NULL;
        caselink__related_view__init(rv);
        rv->person_id = S_S(r->person_id);
        rv->relationship = (Caselink__Relationship)r->rel;
        rv->given_names = S_S(r->given);
        rv->family_name = S_S(r->family);
        rv->date_of_birth = S_S(r->dob);
        rv->asserted_by = S_S(r->asserted_by);
        rv->depth = r->depth;
        rv->via_person_id = S_S(r->via_pid);
        rv->inferred = r->inferred;
        rv->known_to = cl_wire_alloc(s, CL_KNOWN_MAX * sizeof(char *));
        for (uint32_t k = 0; rv->known_to && k < r->n_known && k < CL_KNOWN_MAX;
             k++)
            rv->known_to[rv->n_known_to++] = S_S(r->known_to[k]);
        rv->mentioned_by = cl_wire_alloc(s, CL_KNOWN_MAX * sizeof(char *));
        for (uint32_t k = 0;
             rv->mentioned_by && k < r->n_mentioned && k < CL_KNOWN_MAX; k++)
            rv->mentioned_by[rv->n_mentioned_by++] = S_S(r->mentioned_by[k]);
        pv->related[pv->n_related++] = rv;
    }
    for (size_t i = 0; i < v->n_known; i++)
        pv->known_to[pv->n_known_to++] = S_S(v->known_to[i]);
    pv->mentioned_by = cl_wire_alloc(s, (v->n_mentioned + 1) * sizeof(char *));
    if (!pv->mentioned_by)
        return NULL;
    for (size_t i = 0; i < v->n_mentioned; i++)
        pv->mentioned_by[pv->n_mentioned_by++] = S_S(v->mentioned_by[i]);
    pv->plans = cl_wire_alloc(s, (v->n_plans + 1) * sizeof(void *));
    if (!pv->plans)
        return NULL;
    for (size_t i = 0; i < v->n_plans; i++) {
        const cl_plan_flag *f = &v->plans[i];
        Caselink__PlanFlag *pf = cl_wire_alloc(s, sizeof(*pf));
        if (!pf)
            return NULL;
        caselink__plan_flag__init(pf);
        pf->child_person_id = S_S(f->child_pid);
        pf->child_given_names = S_S(f->given);
        pf->child_family_name = S_S(f->family);
        pf->via = S_S(f->via);
        pf->type = (Caselink__PlanType)f->type;
        pf->category = (Caselink__PlanCategory)f->category;
        pf->start_date = S_S(f->start);
        pf->end_date = S_S(f->end);
        pf->responsible_authority = S_S(f->authority);
        pf->active = f->active;
        pf->next_review_date = S_S(f->review);
        pf->legal_basis = S_S(f->legal_basis);
        pv->plans[pv->n_plans++] = pf;
    }
    return pv;
}

/* A referral row (referral_list, and a review item's referrals since). */
static const cl_wire_field s_row_rows[] = {
    CL_WF_STR_(cl_referral_row, "reference", reference),
    CL_WF_STR_(cl_referral_row, "agency", agency),
    CL_WF_STR_(cl_referral_row, "agency_reference", agency_ref),
    CL_WF_STR_(cl_referral_row, "person_id", person_id),
    CL_WF_STR_(cl_referral_row, "given_names", given),
    CL_WF_STR_(cl_referral_row, "family_name", family),
    CL_WF_STR_(cl_referral_row, "date_of_birth", dob),
    CL_WF_ENUM_(cl_referral_row, "category", category, UINT8_MAX),
    CL_WF_ENUM_(cl_referral_row, "risk", risk, UINT8_MAX),
    CL_WF_ENUM_(cl_referral_row, "status", status, UINT8_MAX),
    CL_WF_NUM_(cl_referral_row, "occurred_at", occurred_at),
    CL_WF_NUM_(cl_referral_row, "received_at", received_at),
    CL_WF_END_,
};

Caselink__ReferralRow *cl_wire_row_out(cl_wire_scratch *s,
                                       const cl_referral_row *m)
{
    return (Caselink__ReferralRow *)cl_wire_msg_out(
        s, &caselink__referral_row__descriptor, m, s_row_rows);
}

void cl_wire_row_in(cl_referral_row *m, const Caselink__ReferralRow *x)
{
    memset(m, 0, sizeof(*m));
    (void)cl_wire_fields_copy(m, &x->base, s_row_rows);
}

/* --- reply decoding (client side) ----------------------------------------- */

static void s_record_in(cl_agency_record *a, const Caselink__AgencyRecord *ar)
{
    memset(a, 0, sizeof(*a));
    if (ar)
        (void)cl_wire_fields_copy(a, &ar->base, s_record_rows);
}

void cl_wire_referral_view_in(cl_referral_view *r,
                              const Caselink__ReferralView *rv)
{
    memset(r, 0, sizeof(*r));
    if (!rv)
        return;
    CL_COPY(r->reference, rv->reference);
    CL_COPY(r->agency, rv->agency);
    CL_COPY(r->agency_ref, rv->agency_reference);
    r->category = (uint8_t)rv->category;
    r->risk = (uint8_t)rv->risk;

    r->occurred_at = rv->occurred_at;
    r->received_at = rv->received_at;
    if (rv->referrer) {
        CL_COPY(r->referrer_name, rv->referrer->name);
        CL_COPY(r->referrer_role, rv->referrer->role);
    }
    r->basis = (uint8_t)rv->lawful_basis;
    r->consent = (uint8_t)rv->consent;
    r->withdrawn = rv->withdrawn;
    (void)cl_referral_view_texts(r, rv->concern, rv->consent_note);
    r->version = rv->version;
    r->status = (uint8_t)rv->status;
    CL_COPY(r->status_reason, rv->status_reason);
    r->outcome = (uint8_t)rv->outcome;
    r->status_at = rv->status_at;
    CL_COPY(r->status_by, rv->status_by);
}

int cl_wire_entries_in(cl_audit_entries *e, Caselink__AuditEntry **v, size_t n)
{
    memset(e, 0, sizeof(*e));
    e->v = calloc(n + 1, sizeof(*e->v));
    if (!e->v)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        cl_audit_entry *a = &e->v[e->n++];
        a->seq = v[i]->seq;
        a->at = v[i]->at;
        CL_COPY(a->client, v[i]->client);
        CL_COPY(a->agency, v[i]->agency);
        CL_COPY(a->kind, v[i]->kind);
        for (size_t k = 0; k < v[i]->n_person_ids && k < CL_AUDIT_PERSONS; k++)
            CL_COPY(a->person_ids[a->n_persons++], v[i]->person_ids[k]);
        CL_COPY(a->purpose, v[i]->purpose);
        a->break_glass = v[i]->break_glass;
        a->outcome = (uint8_t)v[i]->outcome;
        CL_COPY(a->detail, v[i]->detail);
        if (v[i]->user) {
            CL_COPY(a->user.id, v[i]->user->user_id);
            CL_COPY(a->user.name, v[i]->user->display_name);
            CL_COPY(a->user.role, v[i]->user->role);
        }
    }
    return CL_OK;
}

int cl_wire_view_in(cl_person_view *v, const Caselink__PersonView *pv)
{
    memset(v, 0, sizeof(*v));
    CL_COPY(v->person_id, pv->person_id ? pv->person_id : "");
    v->records = calloc(pv->n_records + 1, sizeof(*v->records));
    v->referrals = calloc(pv->n_referrals + 1, sizeof(*v->referrals));
    v->related = calloc(pv->n_related + 1, sizeof(*v->related));
    v->known_to = calloc(pv->n_known_to + 1, sizeof(*v->known_to));
    if (!v->records || !v->referrals || !v->related || !v->known_to) {
        cl_person_view_clear(v);
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < pv->n_records; i++)
        s_record_in(&v->records[v->n_records++], pv->records[i]);
    for (size_t i = 0; i < pv->n_referrals; i++)
        cl_wire_referral_view_in(&v->referrals[v->n_referrals++],
                                 pv->referrals[i]);
    for (size_t i = 0; i < pv->n_related; i++) {
        const Caselink__RelatedView *rv = pv->related[i];
        cl_related_view *r = &v->related[v->n_related++];
        CL_COPY(r->person_id, rv->person_id);
        r->rel = (uint8_t)rv->relationship;
        CL_COPY(r->given, rv->given_names);
        CL_COPY(r->family, rv->family_name);
        CL_COPY(r->dob, rv->date_of_birth);
        CL_COPY(r->asserted_by, rv->asserted_by);
        r->depth = rv->depth;
        CL_COPY(r->via_pid, rv->via_person_id);
        r->inferred = rv->inferred;
        for (size_t k = 0; k < rv->n_known_to && k < CL_KNOWN_MAX; k++)
            CL_COPY(r->known_to[r->n_known++], rv->known_to[k]);
        for (size_t k = 0; k < rv->n_mentioned_by && k < CL_KNOWN_MAX; k++)
            CL_COPY(r->mentioned_by[r->n_mentioned++], rv->mentioned_by[k]);
    }
    for (size_t i = 0; i < pv->n_known_to; i++)
        CL_COPY(v->known_to[v->n_known++], pv->known_to[i]);
    v->mentioned_by = calloc(pv->n_mentioned_by + 1, sizeof(*v->mentioned_by));
    if (!v->mentioned_by) {
        cl_person_view_clear(v);
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < pv->n_mentioned_by; i++)
        CL_COPY(v->mentioned_by[v->n_mentioned++], pv->mentioned_by[i]);
    v->plans = calloc(pv->n_plans + 1, sizeof(*v->plans));
    if (!v->plans) {
        cl_person_view_clear(v);
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < pv->n_plans; i++) {
        const Caselink__PlanFlag *pf = pv->plans[i];
        cl_plan_flag *f = &v->plans[v->n_plans++];
        CL_COPY(f->child_pid, pf->child_person_id);
        CL_COPY(f->given, pf->child_given_names);
        CL_COPY(f->family, pf->child_family_name);
        CL_COPY(f->via, pf->via);
        f->type = (uint8_t)pf->type;
        f->category = (uint8_t)pf->category;
        CL_COPY(f->start, pf->start_date);
        CL_COPY(f->end, pf->end_date);
        CL_COPY(f->authority, pf->responsible_authority);
        f->active = pf->active;
        CL_COPY(f->review, pf->next_review_date);
        CL_COPY(f->legal_basis, pf->legal_basis);
    }
    return CL_OK;
}

/* Reply.referral_rows for referral_list. */
static const cl_wire_field s_ref_rows_rows[] = {
    CL_WF_OWNED_(cl_reply, "referrals", u.ref_rows.v, u.ref_rows.n, s_row_rows),
    CL_WF_STR_(cl_reply, "next", u.ref_rows.next),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_REFERRAL_ROWS(cl_wire_scratch *s,
                                            const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__referral_rows__descriptor, rep,
                           s_ref_rows_rows);
}

/* Reply.person for get_person. */
ProtobufCMessage *cl_wire_out_PERSON(cl_wire_scratch *s, const cl_reply *rep)
{
    return (ProtobufCMessage *)cl_wire_view_out(s, &rep->u.person);
}

/* Reply.audit_verify for audit_verify. */
static const cl_wire_field s_verify_rows[] = {
    CL_WF_BOOL_(cl_reply, "intact", u.verify.intact),
    CL_WF_NUM_(cl_reply, "entries", u.verify.entries),
    CL_WF_NUM_(cl_reply, "first_bad_seq", u.verify.first_bad_seq),
    CL_WF_STR_(cl_reply, "problem", u.verify.problem),
    CL_WF_BOOL_(cl_reply, "checkpoint_checked", u.verify.checkpoint_checked),
    CL_WF_BOOL_(cl_reply, "checkpoint_ok", u.verify.checkpoint_ok),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_AUDIT_VERIFY(cl_wire_scratch *s,
                                           const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__audit_verify_result__descriptor, rep,
                           s_verify_rows);
}

/* Reply.checkpoint for audit_checkpoint. */
static const cl_wire_field s_checkpoint_rows[] = {
    CL_WF_STR_(cl_reply, "text", u.checkpoint),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_CHECKPOINT(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__checkpoint_result__descriptor, rep,
                           s_checkpoint_rows);
}

/* Reply.audit_entries for audit_search. */
ProtobufCMessage *cl_wire_out_AUDIT_ENTRIES(cl_wire_scratch *s,
                                            const cl_reply *rep)
{
    Caselink__AuditEntries *entries = cl_wire_alloc(s, sizeof(*entries));
    if (!entries)
        return NULL;
    caselink__audit_entries__init(entries);
    entries->entries = cl_wire_entries_out(s, &rep->u.entries);
    entries->n_entries = rep->u.entries.n;
    return &entries->base;
}

/* Reply.review_items for review_list. */
ProtobufCMessage *cl_wire_out_REVIEW_ITEMS(cl_wire_scratch *s,
                                           const cl_reply *rep)
{
    Caselink__ReviewItems *items = cl_wire_alloc(s, sizeof(*items));
    if (!items)
        return NULL;
    caselink__review_items__init(items);
    const cl_review_items *ri = &rep->u.reviews;
    items->items = cl_wire_alloc(s, (ri->n + 1) * sizeof(void *));
    for (size_t i = 0; items->items && i < ri->n; i++) {
        const cl_review_item *it = &ri->v[i];
        Caselink__ReviewItem *pi = cl_wire_alloc(s, sizeof(*pi));
        Caselink__FieldWeight **fw =
            cl_wire_alloc(s, (it->n_fields + 1) * sizeof(void *));
        if (!pi || !fw)
            break;
        caselink__review_item__init(pi);
        pi->review_id = S_S(it->id);
        pi->score = it->score;
        pi->incoming = s_record_out(s, &it->incoming);
        pi->incoming_person_id = S_S(it->incoming_pid);
        pi->candidate = s_record_out(s, &it->candidate);
        pi->candidate_person_id = S_S(it->candidate_pid);
        pi->created_at = it->created;
        pi->probability = it->probability;
        pi->held = (Caselink__HeldReason)it->held;
        pi->held_with_person_id = S_S(it->held_with);
        for (uint32_t k = 0; k < it->n_fields && k < CL_MATCH_FIELDS; k++) {
            Caselink__FieldWeight *f = cl_wire_alloc(s, sizeof(*f));
            if (!f)
                break;
            caselink__field_weight__init(f);
            f->field = S_S(it->fields[k].field);
            f->level = S_S(it->fields[k].level);
            f->weight = it->fields[k].weight;
            fw[pi->n_fields++] = f;
        }
        pi->fields = fw;
        items->items[items->n_items++] = pi;
    }
    items->next_after = S_S(ri->next);
    items->total = ri->total;
    return &items->base;
}

/* Reply.import for import_person. */
ProtobufCMessage *cl_wire_out_IMPORT(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__ImportResult *impr = cl_wire_alloc(s, sizeof(*impr));
    if (!impr)
        return NULL;
    caselink__import_result__init(impr);
    char **warnings = cl_wire_alloc(s, CL_WARNINGS_MAX * sizeof(char *));
    if (!warnings)
        return NULL;
    impr->link_reason = (Caselink__LinkReason)rep->u.import.link_reason;
    impr->queued_for_review = rep->u.import.queued;
    impr->n_warnings = rep->u.import.n_warnings < CL_WARNINGS_MAX
                           ? rep->u.import.n_warnings
                           : CL_WARNINGS_MAX;
    for (size_t i = 0; i < impr->n_warnings; i++)
        warnings[i] = S_S(rep->u.import.warnings[i]);
    impr->warnings = warnings;
    return &impr->base;
}

/* Reply.case_finding for case_finding. */
static const cl_wire_field s_hlu_rows[] = {
    CL_WF_STR_(cl_hlu, "person_id", person_id),
    CL_WF_NUM_(cl_hlu, "contacts", contacts),
    CL_WF_STRS_(cl_hlu, "known_to", known_to, n_known),
    CL_WF_STRS_(cl_hlu, "mentioned_by", mentioned_by, n_mentioned),
    CL_WF_STR_(cl_hlu, "given_names", given),
    CL_WF_STR_(cl_hlu, "family_name", family),
    CL_WF_STR_(cl_hlu, "date_of_birth", dob),
    CL_WF_END_,
};

static const cl_wire_field s_overlap_rows[] = {
    CL_WF_STR_(cl_overlap, "agency_a", a),
    CL_WF_STR_(cl_overlap, "agency_b", b),
    CL_WF_NUM_(cl_overlap, "people", people),
    CL_WF_NUM_(cl_overlap, "people_as_subject", subjects),
    CL_WF_END_,
};

static const cl_wire_field s_finding_rows[] = {
    CL_WF_OWNED_(cl_reply, "users", u.finding.users, u.finding.n_users,
                 s_hlu_rows),
    CL_WF_OWNED_(cl_reply, "overlap", u.finding.overlap, u.finding.n_overlap,
                 s_overlap_rows),
    CL_WF_NUM_(cl_reply, "suppress_below", u.finding.suppress_below),
    CL_WF_STR_(cl_reply, "agency", u.finding.agency),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_CASE_FINDING(cl_wire_scratch *s,
                                           const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__case_finding_result__descriptor, rep,
                           s_finding_rows);
}

/* Reply.candidates for find_person. */
static const cl_wire_field s_candidates_rows[] = {
    CL_WF_OWNED_(cl_reply, "candidates", u.candidates.v, u.candidates.n,
                 s_candidate_rows),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_CANDIDATES(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__candidates__descriptor, rep,
                           s_candidates_rows);
}

/* Reply.links for links_export. */
static const cl_wire_field s_link_row_rows[] = {
    CL_WF_STR_(cl_link_row, "record_id", record_id),
    CL_WF_STR_(cl_link_row, "agency", agency),
    CL_WF_STR_(cl_link_row, "local_id", local_id),
    CL_WF_STR_(cl_link_row, "person_id", person_id),
    CL_WF_ENUM_(cl_link_row, "link_reason", link_reason, UINT8_MAX),
    CL_WF_DBL_(cl_link_row, "link_score", link_score),
    CL_WF_END_,
};

static const cl_wire_field s_links_rows[] = {
    CL_WF_OWNED_(cl_reply, "rows", u.links.v, u.links.n, s_link_row_rows),
    CL_WF_STR_(cl_reply, "next_after", u.links.next),
    CL_WF_NUM_(cl_reply, "last_record_number", u.links.last_id),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_LINKS(cl_wire_scratch *s, const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__links_page__descriptor, rep,
                           s_links_rows);
}

/* Reply.referral_rows into the model. */
int cl_wire_in_REFERRAL_ROWS(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_REFERRAL_LIST;
    return cl_wire_fields_copy(out, &r->referral_rows->base, s_ref_rows_rows);
}

/* Reply.person into the model. */
int cl_wire_in_PERSON(cl_reply *out, const Caselink__Reply *r)
{
    int rc;
    out->kind = CL_REQ_GET_PERSON;
    if ((rc = cl_wire_view_in(&out->u.person, r->person)) != CL_OK)
        return rc;
    return CL_OK;
}

/* Reply.audit_verify into the model. */
int cl_wire_in_AUDIT_VERIFY(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_AUDIT_VERIFY;
    cl_wire_fields_copy(out, &r->audit_verify->base, s_verify_rows);
    return CL_OK;
}

/* Reply.checkpoint into the model. */
int cl_wire_in_CHECKPOINT(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_AUDIT_CHECKPOINT;
    cl_wire_fields_copy(out, &r->checkpoint->base, s_checkpoint_rows);
    return CL_OK;
}

/* Reply.audit_entries into the model. */
int cl_wire_in_AUDIT_ENTRIES(cl_reply *out, const Caselink__Reply *r)
{
    int rc;
    out->kind = CL_REQ_AUDIT_SEARCH;
    rc = cl_wire_entries_in(&out->u.entries, r->audit_entries->entries,
                            r->audit_entries->n_entries);
    if (rc != CL_OK)
        return rc;
    return CL_OK;
}

/* Reply.case_finding into the model. */
int cl_wire_in_CASE_FINDING(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_CASE_FINDING;
    return cl_wire_fields_copy(out, &r->case_finding->base, s_finding_rows);
}

/* Reply.candidates into the model. */
int cl_wire_in_CANDIDATES(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_FIND_PERSON;
    return cl_wire_fields_copy(out, &r->candidates->base, s_candidates_rows);
}

/* Reply.import into the model. */
int cl_wire_in_IMPORT(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_IMPORT_PERSON;
    out->u.import.link_reason = (uint8_t)r->import->link_reason;
    out->u.import.queued = r->import->queued_for_review;
    for (size_t i = 0; i < r->import->n_warnings && i < CL_WARNINGS_MAX; i++)
        CL_COPY(out->u.import.warnings[out->u.import.n_warnings++],
                r->import->warnings[i]);
    return CL_OK;
}

/* Reply.links into the model. */
int cl_wire_in_LINKS(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_LINKS_EXPORT;
    return cl_wire_fields_copy(out, &r->links->base, s_links_rows);
}

/* Reply.review_items into the model. */
int cl_wire_in_REVIEW_ITEMS(cl_reply *out, const Caselink__Reply *r)
{
    const Caselink__ReviewItems *ri = r->review_items;
    cl_review_items *o = &out->u.reviews;
    out->kind = CL_REQ_REVIEW_LIST;
    o->v = calloc(ri->n_items + 1, sizeof(*o->v));
    if (!o->v)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < ri->n_items; i++) {
        const Caselink__ReviewItem *pi = ri->items[i];
        cl_review_item *it = &o->v[o->n++];
        CL_COPY(it->id, pi->review_id);
        it->score = pi->score;
        s_record_in(&it->incoming, pi->incoming);
        CL_COPY(it->incoming_pid, pi->incoming_person_id);
        s_record_in(&it->candidate, pi->candidate);
        CL_COPY(it->candidate_pid, pi->candidate_person_id);
        it->created = pi->created_at;
        it->probability = pi->probability;
        it->held = (unsigned)pi->held <= CL_HELD_APART ? (uint8_t)pi->held : 0;
        CL_COPY(it->held_with, pi->held_with_person_id);
        for (size_t k = 0; k < pi->n_fields && k < CL_MATCH_FIELDS; k++) {
            CL_COPY(it->fields[k].field, pi->fields[k]->field);
            CL_COPY(it->fields[k].level, pi->fields[k]->level);
            it->fields[k].weight = pi->fields[k]->weight;
            it->n_fields++;
        }
    }
    CL_COPY(o->next, ri->next_after);
    o->total = ri->total;
    return CL_OK;
}

/* SubjectAccessResult.record_history: agencies' earlier record details. */
Caselink__RecordVersion **
cl_wire_record_versions_out(cl_wire_scratch *s, const cl_record_version *v,
                            size_t n, size_t *n_out)
{
    Caselink__RecordVersion **out = cl_wire_alloc(s, (n + 1) * sizeof(*out));
    *n_out = 0;
    for (size_t i = 0; out && i < n; i++) {
        Caselink__RecordVersion *rv = cl_wire_alloc(s, sizeof(*rv));
        if (!rv)
            break;
        caselink__record_version__init(rv);
        rv->record = s_record_out(s, &v[i].record);
        rv->recorded_at = v[i].recorded_at;
        rv->replaced_at = v[i].replaced_at;
        rv->by = S_S(v[i].by);
        out[(*n_out)++] = rv;
    }
    return out;
}

int cl_wire_record_versions_in(cl_record_version **v, size_t *n,
                               Caselink__RecordVersion **x, size_t nx)
{
    *n = 0;
    if (!(*v = calloc(nx + 1, sizeof(**v))))
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < nx; i++) {
        cl_record_version *o = &(*v)[(*n)++];
        s_record_in(&o->record, x[i]->record);
        o->recorded_at = x[i]->recorded_at;
        o->replaced_at = x[i]->replaced_at;
        CL_COPY(o->by, x[i]->by);
    }
    return CL_OK;
}
