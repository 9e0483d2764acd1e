/*
 * wire: replies, protobuf <-> model, dispatched by cl_requests.def.
 *
 * Which Reply result a kind's reply carries is the def's RESULT column;
 * each result has one builder (cl_wire_out_<RESULT>) and one reader
 * (cl_wire_in_<RESULT>); the publish result of every write and the
 * subject access export (which gathers every family's) come last.
 * Requests are wire_req.c's; the field-table engine and the nested
 * messages are wire_map.c's.
 */
#include "wire.h"
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

static Caselink__AgencyRecord *s_record_out(cl_wire_scratch *s,
                                            const cl_agency_record *a)
{
    Caselink__AgencyRecord *ar = cl_wire_alloc(s, sizeof(*ar));
    if (!ar)
        return NULL;
    caselink__agency_record__init(ar);
    ar->agency = S_S(a->agency);
    ar->agency_kind = S_S(a->kind);
    ar->person = cl_wire_person_out(s, &a->person);
    ar->link_reason = (Caselink__LinkReason)a->link_reason;
    ar->link_score = a->link_score;
    ar->record_id = S_S(a->record_id);
    return ar;
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

Caselink__ReferralRow *cl_wire_row_out(cl_wire_scratch *s,
                                       const cl_referral_row *m)
{
    Caselink__ReferralRow *x = cl_wire_alloc(s, sizeof(*x));
    if (!x)
        return NULL;
    caselink__referral_row__init(x);
    x->reference = S_S(m->reference);
    x->agency = S_S(m->agency);
    x->agency_reference = S_S(m->agency_ref);
    x->person_id = S_S(m->person_id);
    x->given_names = S_S(m->given);
    x->family_name = S_S(m->family);
    x->date_of_birth = S_S(m->dob);
    x->category = (Caselink__Category)m->category;
    x->risk = (Caselink__Risk)m->risk;
    x->status = (Caselink__ReferralStatus)m->status;
    x->occurred_at = m->occurred_at;
    x->received_at = m->received_at;
    return x;
}

void cl_wire_row_in(cl_referral_row *m, const Caselink__ReferralRow *x)
{
    memset(m, 0, sizeof(*m));
    CL_COPY(m->reference, x->reference);
    CL_COPY(m->agency, x->agency);
    CL_COPY(m->agency_ref, x->agency_reference);
    CL_COPY(m->person_id, x->person_id);
    CL_COPY(m->given, x->given_names);
    CL_COPY(m->family, x->family_name);
    CL_COPY(m->dob, x->date_of_birth);
    m->category = (uint8_t)x->category;
    m->risk = (uint8_t)x->risk;
    m->status = (uint8_t)x->status;
    m->occurred_at = x->occurred_at;
    m->received_at = x->received_at;
}

/* --- reply decoding (client side) ----------------------------------------- */

void cl_wire_person_copy_in(cl_person *p, const Caselink__PersonDetails *pd)
{
    char err[CL_ERROR_SZ];
    /* Replies come from the daemon, which only stores validated values;
     * over-long strings are truncated rather than refused. */
    if (!cl_wire_person_at(p, pd, "", "person", -1, err) && pd) {
        memset(p, 0, sizeof(*p));
        cl_copy(p->family, sizeof(p->family),
                pd->family_name ? pd->family_name : "");
    }
}

static void s_record_in(cl_agency_record *a, const Caselink__AgencyRecord *ar)
{
    memset(a, 0, sizeof(*a));
    if (!ar)
        return;
    CL_COPY(a->record_id, ar->record_id);
    CL_COPY(a->agency, ar->agency);
    CL_COPY(a->kind, ar->agency_kind);
    cl_wire_person_copy_in(&a->person, ar->person);
    a->link_reason = (uint8_t)ar->link_reason;
    a->link_score = ar->link_score;
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
ProtobufCMessage *cl_wire_out_REFERRAL_ROWS(cl_wire_scratch *s,
                                            const cl_reply *rep)
{
    Caselink__ReferralRows *rrows = cl_wire_alloc(s, sizeof(*rrows));
    if (!rrows)
        return NULL;
    caselink__referral_rows__init(rrows);
    const cl_referral_rows *rr = &rep->u.ref_rows;
    rrows->referrals = cl_wire_alloc(s, (rr->n + 1) * sizeof(void *));
    for (size_t i = 0; rrows->referrals && i < rr->n; i++) {
        const cl_referral_row *m = &rr->v[i];
        Caselink__ReferralRow *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            break;
        caselink__referral_row__init(x);
        x->reference = S_S(m->reference);
        x->agency = S_S(m->agency);
        x->agency_reference = S_S(m->agency_ref);
        x->person_id = S_S(m->person_id);
        x->given_names = S_S(m->given);
        x->family_name = S_S(m->family);
        x->date_of_birth = S_S(m->dob);
        x->category = (Caselink__Category)m->category;
        x->risk = (Caselink__Risk)m->risk;
        x->status = (Caselink__ReferralStatus)m->status;
        x->occurred_at = m->occurred_at;
        x->received_at = m->received_at;
        rrows->referrals[rrows->n_referrals++] = x;
    }
    rrows->next = S_S(rr->next);
    return &rrows->base;
}

/* Reply.person for get_person. */
ProtobufCMessage *cl_wire_out_PERSON(cl_wire_scratch *s, const cl_reply *rep)
{
    return (ProtobufCMessage *)cl_wire_view_out(s, &rep->u.person);
}

/* Reply.audit_verify for audit_verify. */
ProtobufCMessage *cl_wire_out_AUDIT_VERIFY(cl_wire_scratch *s,
                                           const cl_reply *rep)
{
    Caselink__AuditVerifyResult *verify = cl_wire_alloc(s, sizeof(*verify));
    if (!verify)
        return NULL;
    caselink__audit_verify_result__init(verify);
    verify->intact = rep->u.verify.intact;
    verify->entries = rep->u.verify.entries;
    verify->first_bad_seq = rep->u.verify.first_bad_seq;
    verify->problem = S_S(rep->u.verify.problem);
    verify->checkpoint_checked = rep->u.verify.checkpoint_checked;
    verify->checkpoint_ok = rep->u.verify.checkpoint_ok;
    return &verify->base;
}

/* Reply.checkpoint for audit_checkpoint. */
ProtobufCMessage *cl_wire_out_CHECKPOINT(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    Caselink__CheckpointResult *cp = cl_wire_alloc(s, sizeof(*cp));
    if (!cp)
        return NULL;
    caselink__checkpoint_result__init(cp);
    cp->text = S_S(rep->u.checkpoint);
    return &cp->base;
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
ProtobufCMessage *cl_wire_out_CASE_FINDING(cl_wire_scratch *s,
                                           const cl_reply *rep)
{
    Caselink__CaseFindingResult *cfr = cl_wire_alloc(s, sizeof(*cfr));
    if (!cfr)
        return NULL;
    caselink__case_finding_result__init(cfr);
    const cl_case_finding_result *cf = &rep->u.finding;
    cfr->users = cl_wire_alloc(s, (cf->n_users + 1) * sizeof(void *));
    cfr->overlap = cl_wire_alloc(s, (cf->n_overlap + 1) * sizeof(void *));
    for (size_t i = 0; cfr->users && i < cf->n_users; i++) {
        Caselink__HighLevelUser *u = cl_wire_alloc(s, sizeof(*u));
        char **k = cl_wire_alloc(s, CL_KNOWN_MAX * sizeof(char *));
        char **m = cl_wire_alloc(s, CL_KNOWN_MAX * sizeof(char *));
        if (!u || !k || !m)
            break;
        const cl_hlu *h = &cf->users[i];
        caselink__high_level_user__init(u);
        u->person_id = S_S(h->person_id);
        u->contacts = h->contacts;
        for (uint32_t j = 0; j < h->n_known && j < CL_KNOWN_MAX; j++)
            k[u->n_known_to++] = S_S(h->known_to[j]);
        u->known_to = k;
        for (uint32_t j = 0; j < h->n_mentioned && j < CL_KNOWN_MAX; j++)
            m[u->n_mentioned_by++] = S_S(h->mentioned_by[j]);
        u->mentioned_by = m;
        u->given_names = S_S(h->given);
        u->family_name = S_S(h->family);
        u->date_of_birth = S_S(h->dob);
        cfr->users[cfr->n_users++] = u;
    }
    for (size_t i = 0; cfr->overlap && i < cf->n_overlap; i++) {
        Caselink__AgencyOverlap *o = cl_wire_alloc(s, sizeof(*o));
        if (!o)
            break;
        caselink__agency_overlap__init(o);
        o->agency_a = S_S(cf->overlap[i].a);
        o->agency_b = S_S(cf->overlap[i].b);
        o->people = cf->overlap[i].people;
        o->people_as_subject = cf->overlap[i].subjects;
        cfr->overlap[cfr->n_overlap++] = o;
    }
    cfr->suppress_below = cf->suppress_below;
    return &cfr->base;
}

/* Reply.candidates for find_person. */
ProtobufCMessage *cl_wire_out_CANDIDATES(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    Caselink__Candidates *cands = cl_wire_alloc(s, sizeof(*cands));
    if (!cands)
        return NULL;
    caselink__candidates__init(cands);
    const cl_candidates *cs = &rep->u.candidates;
    cands->candidates = cl_wire_alloc(s, (cs->n + 1) * sizeof(void *));
    for (size_t i = 0; cands->candidates && i < cs->n; i++) {
        Caselink__Candidate *cd = cl_wire_alloc(s, sizeof(*cd));
        if (!cd)
            break;
        caselink__candidate__init(cd);
        cd->person_id = S_S(cs->v[i].person_id);
        cd->score = cs->v[i].score;
        cd->how = (Caselink__LinkReason)cs->v[i].how;
        cd->best = s_record_out(s, &cs->v[i].best);
        cands->candidates[cands->n_candidates++] = cd;
    }
    return &cands->base;
}

/* Reply.links for links_export. */
ProtobufCMessage *cl_wire_out_LINKS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__LinksPage *links = cl_wire_alloc(s, sizeof(*links));
    if (!links)
        return NULL;
    caselink__links_page__init(links);
    const cl_links_page *lp = &rep->u.links;
    links->rows = cl_wire_alloc(s, (lp->n + 1) * sizeof(void *));
    for (size_t i = 0; links->rows && i < lp->n; i++) {
        Caselink__LinkRow *row = cl_wire_alloc(s, sizeof(*row));
        if (!row)
            break;
        caselink__link_row__init(row);
        row->record_id = S_S(lp->v[i].record_id);
        row->agency = S_S(lp->v[i].agency);
        row->local_id = S_S(lp->v[i].local_id);
        row->person_id = S_S(lp->v[i].person_id);
        row->link_reason = (Caselink__LinkReason)lp->v[i].link_reason;
        row->link_score = lp->v[i].link_score;
        links->rows[links->n_rows++] = row;
    }
    links->next_after = S_S(lp->next);
    links->last_record_number = lp->last_id;
    return &links->base;
}

/* Reply.referral_rows into the model. */
int cl_wire_in_REFERRAL_ROWS(cl_reply *out, const Caselink__Reply *r)
{
    cl_referral_rows *o = &out->u.ref_rows;
    const Caselink__ReferralRows *rr = r->referral_rows;
    out->kind = CL_REQ_REFERRAL_LIST;
    if (!(o->v = calloc(rr->n_referrals + 1, sizeof(*o->v)))) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < rr->n_referrals; i++) {
        const Caselink__ReferralRow *x = rr->referrals[i];
        cl_referral_row *m = &o->v[o->n++];
        CL_COPY(m->reference, x->reference);
        CL_COPY(m->agency, x->agency);
        CL_COPY(m->agency_ref, x->agency_reference);
        CL_COPY(m->person_id, x->person_id);
        CL_COPY(m->given, x->given_names);
        CL_COPY(m->family, x->family_name);
        CL_COPY(m->dob, x->date_of_birth);
        m->category = (uint8_t)x->category;
        m->risk = (uint8_t)x->risk;
        m->status = (uint8_t)x->status;
        m->occurred_at = x->occurred_at;
        m->received_at = x->received_at;
    }
    CL_COPY(o->next, rr->next);
    return CL_OK;
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
    out->u.verify.intact = r->audit_verify->intact;
    out->u.verify.entries = r->audit_verify->entries;
    out->u.verify.first_bad_seq = r->audit_verify->first_bad_seq;
    CL_COPY(out->u.verify.problem, r->audit_verify->problem);
    out->u.verify.checkpoint_checked = r->audit_verify->checkpoint_checked;
    out->u.verify.checkpoint_ok = r->audit_verify->checkpoint_ok;
    return CL_OK;
}

/* Reply.checkpoint into the model. */
int cl_wire_in_CHECKPOINT(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_AUDIT_CHECKPOINT;
    CL_COPY(out->u.checkpoint, r->checkpoint->text);
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
    const Caselink__CaseFindingResult *cf = r->case_finding;
    cl_case_finding_result *o = &out->u.finding;
    out->kind = CL_REQ_CASE_FINDING;
    o->users = calloc(cf->n_users + 1, sizeof(*o->users));
    o->overlap = calloc(cf->n_overlap + 1, sizeof(*o->overlap));
    if (!o->users || !o->overlap) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < cf->n_users; i++) {
        cl_hlu *u = &o->users[o->n_users++];
        CL_COPY(u->person_id, cf->users[i]->person_id);
        u->contacts = cf->users[i]->contacts;
        for (size_t j = 0; j < cf->users[i]->n_known_to && j < CL_KNOWN_MAX;
             j++)
            CL_COPY(u->known_to[u->n_known++], cf->users[i]->known_to[j]);
        const Caselink__HighLevelUser *h = cf->users[i];
        for (size_t j = 0; j < h->n_mentioned_by && j < CL_KNOWN_MAX; j++)
            CL_COPY(u->mentioned_by[u->n_mentioned++], h->mentioned_by[j]);
        CL_COPY(u->given, h->given_names);
        CL_COPY(u->family, h->family_name);
        CL_COPY(u->dob, h->date_of_birth);
    }
    for (size_t i = 0; i < cf->n_overlap; i++) {
        cl_overlap *x = &o->overlap[o->n_overlap++];
        CL_COPY(x->a, cf->overlap[i]->agency_a);
        CL_COPY(x->b, cf->overlap[i]->agency_b);
        x->people = cf->overlap[i]->people;
        x->subjects = cf->overlap[i]->people_as_subject;
    }
    o->suppress_below = cf->suppress_below;
    return CL_OK;
}

/* Reply.candidates into the model. */
int cl_wire_in_CANDIDATES(cl_reply *out, const Caselink__Reply *r)
{
    cl_candidates *o = &out->u.candidates;
    out->kind = CL_REQ_FIND_PERSON;
    o->v = calloc(r->candidates->n_candidates + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->candidates->n_candidates; i++) {
        const Caselink__Candidate *cd = r->candidates->candidates[i];
        cl_candidate *x = &o->v[o->n++];
        CL_COPY(x->person_id, cd->person_id);
        x->score = cd->score;
        x->how = (uint8_t)cd->how;
        s_record_in(&x->best, cd->best);
    }
    return CL_OK;
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
    cl_links_page *o = &out->u.links;
    out->kind = CL_REQ_LINKS_EXPORT;
    o->v = calloc(r->links->n_rows + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->links->n_rows; i++) {
        const Caselink__LinkRow *row = r->links->rows[i];
        cl_link_row *x = &o->v[o->n++];
        CL_COPY(x->record_id, row->record_id);
        CL_COPY(x->agency, row->agency);
        CL_COPY(x->local_id, row->local_id);
        CL_COPY(x->person_id, row->person_id);
        x->link_reason = (uint8_t)row->link_reason;
        x->link_score = row->link_score;
    }
    CL_COPY(o->next, r->links->next_after);
    o->last_id = r->links->last_record_number;
    return CL_OK;
}

/* Reply.review_items into the model. */
int cl_wire_in_REVIEW_ITEMS(cl_reply *out, const Caselink__Reply *r)
{
    const Caselink__ReviewItems *ri = r->review_items;
    cl_review_items *o = &out->u.reviews;
    out->kind = CL_REQ_REVIEW_LIST;
    o->v = calloc(ri->n_items + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
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

static Caselink__ActionView *s_action_out(cl_wire_scratch *s,
                                          const cl_action *a)
{
    Caselink__ActionView *x = cl_wire_alloc(s, sizeof(*x));
    if (!x)
        return NULL;
    caselink__action_view__init(x);
    x->action_id = S_S(a->action_id);
    x->review_id = S_S(a->review_id);
    x->person_id = S_S(a->person_id);
    x->text = S_S(a->text);
    x->owner_name = S_S(a->owner_name);
    x->owner_agency = S_S(a->owner_agency);
    x->due_date = S_S(a->due);
    x->status = (Caselink__ActionStatus)a->status;
    x->overdue = a->overdue;
    x->created_at = a->created_at;
    x->updated_at = a->updated_at;
    x->note = S_S(a->note);
    x->changes = cl_wire_alloc(s, (a->n_changes + 1) * sizeof(void *));
    for (uint32_t i = 0;
         x->changes && i < a->n_changes && i < CL_ACTION_UPDATES; i++) {
        const cl_action_change *c = &a->changes[i];
        Caselink__ActionChange *y = cl_wire_alloc(s, sizeof(*y));
        if (!y)
            return NULL;
        caselink__action_change__init(y);
        y->at = c->at;
        y->agency = S_S(c->agency);
        y->user = S_S(c->user);
        y->status = (Caselink__ActionStatus)c->status;
        y->note = S_S(c->note);
        x->changes[x->n_changes++] = y;
    }
    return x;
}

Caselink__ActionView **cl_wire_actions_out(cl_wire_scratch *s,
                                           const cl_actions *a, size_t *n)
{
    Caselink__ActionView **v = cl_wire_alloc(s, (a->n + 1) * sizeof(*v));
    *n = 0;
    for (size_t i = 0; v && i < a->n; i++)
        if ((v[*n] = s_action_out(s, &a->v[i])) != NULL)
            (*n)++;
    return v;
}

Caselink__RagEntry *cl_wire_rag_out(cl_wire_scratch *s, const cl_rag_entry *e)
{
    Caselink__RagEntry *x = cl_wire_alloc(s, sizeof(*x));
    if (!x)
        return NULL;
    caselink__rag_entry__init(x);
    x->subject = S_S(e->subject);
    x->rating = (Caselink__Rag)e->rating;
    x->note = S_S(e->note);
    x->at = e->at;
    x->by = S_S(e->by);
    return x;
}

static Caselink__MeasureSummary *s_measure_out(cl_wire_scratch *s,
                                               const cl_measure_summary *ms)
{
    Caselink__MeasureSummary *m = cl_wire_alloc(s, sizeof(*m));
    Caselink__PeriodValue **pv =
        cl_wire_alloc(s, (ms->n_periods + 1) * sizeof(void *));
    if (!m || !pv)
        return NULL;
    caselink__measure_summary__init(m);
    m->name = S_S(ms->name);
    m->baseline_from = S_S(ms->from);
    m->baseline_to = S_S(ms->to);
    m->baseline_monthly = ms->baseline_monthly;
    m->baseline_people = ms->baseline_people;
    m->has_values = ms->has_values;
    m->source = S_S(ms->source);
    m->category = (Caselink__Category)ms->category;
    m->agency_kind = S_S(ms->agency_kind);
    for (uint32_t j = 0; j < ms->n_periods && j < CL_PERIODS_MAX; j++) {
        Caselink__PeriodValue *p = cl_wire_alloc(s, sizeof(*p));
        if (!p)
            return NULL;
        caselink__period_value__init(p);
        p->period = S_S(ms->periods[j].period);
        p->total = ms->periods[j].total;
        p->people = ms->periods[j].people;
        pv[m->n_periods++] = p;
    }
    m->periods = pv;
    return m;
}

static Caselink__ReportResult *s_report_out(cl_wire_scratch *s,
                                            const cl_report *r)
{
    Caselink__ReportResult *x = cl_wire_alloc(s, sizeof(*x));
    if (!x)
        return NULL;
    caselink__report_result__init(x);
    x->from = S_S(r->from);
    x->to = S_S(r->to);
    x->made_at = r->made_at;
    x->suppress_below = r->suppress_below;
    x->referrals = cl_wire_alloc(s, (r->n_referrals + 1) * sizeof(void *));
    for (size_t i = 0; x->referrals && i < r->n_referrals; i++) {
        Caselink__AgencyMonth *m = cl_wire_alloc(s, sizeof(*m));
        if (!m)
            return NULL;
        caselink__agency_month__init(m);
        m->agency = S_S(r->referrals[i].agency);
        m->month = S_S(r->referrals[i].month);
        m->referrals = r->referrals[i].referrals;
        x->referrals[x->n_referrals++] = m;
    }
    x->referrals_arrived =
        cl_wire_alloc(s, (r->n_arrived + 1) * sizeof(void *));
    for (size_t i = 0; x->referrals_arrived && i < r->n_arrived; i++) {
        Caselink__AgencyMonth *m = cl_wire_alloc(s, sizeof(*m));
        if (!m)
            return NULL;
        caselink__agency_month__init(m);
        m->agency = S_S(r->arrived[i].agency);
        m->month = S_S(r->arrived[i].month);
        m->referrals = r->arrived[i].referrals;
        x->referrals_arrived[x->n_referrals_arrived++] = m;
    }
    x->caseload = r->caseload;
    x->reviews_held = r->reviews_held;
    x->actions_open = r->actions_open;
    x->actions_overdue = r->actions_overdue;
    x->actions_done = r->actions_done;
    x->actions_cancelled = r->actions_cancelled;
    x->rag = cl_wire_alloc(s, (CL_RAG_MAX + 1) * sizeof(void *));
    for (unsigned g = 1; x->rag && g <= CL_RAG_MAX; g++) {
        Caselink__RagCount *c = cl_wire_alloc(s, sizeof(*c));
        if (!c)
            return NULL;
        caselink__rag_count__init(c);
        c->rating = (Caselink__Rag)g;
        c->cases = r->rag[g];
        x->rag[x->n_rag++] = c;
    }
    x->rag_changes = r->rag_changes;
    x->workstreams = cl_wire_alloc(s, (r->n_workstreams + 1) * sizeof(void *));
    for (size_t i = 0; x->workstreams && i < r->n_workstreams; i++)
        if ((x->workstreams[x->n_workstreams] =
                 cl_wire_rag_out(s, &r->workstreams[i])) != NULL)
            x->n_workstreams++;
    x->measures = cl_wire_alloc(s, (r->n_measures + 1) * sizeof(void *));
    for (size_t i = 0; x->measures && i < r->n_measures; i++)
        if ((x->measures[x->n_measures] = s_measure_out(s, &r->measures[i])))
            x->n_measures++;
    x->overlap = cl_wire_alloc(s, (r->n_overlap + 1) * sizeof(void *));
    for (size_t i = 0; x->overlap && i < r->n_overlap; i++) {
        Caselink__AgencyOverlap *o = cl_wire_alloc(s, sizeof(*o));
        if (!o)
            return NULL;
        caselink__agency_overlap__init(o);
        o->agency_a = S_S(r->overlap[i].a);
        o->agency_b = S_S(r->overlap[i].b);
        o->people = r->overlap[i].people;
        o->people_as_subject = r->overlap[i].subjects;
        x->overlap[x->n_overlap++] = o;
    }
    return x;
}

static Caselink__ReviewPackResult *s_pack_out(cl_wire_scratch *s,
                                              const cl_review_pack *p)
{
    Caselink__ReviewPackResult *x = cl_wire_alloc(s, sizeof(*x));
    char **ag = cl_wire_alloc(s, (CL_REVIEW_AGENCIES + 1) * sizeof(char *));
    if (!x || !ag)
        return NULL;
    caselink__review_pack_result__init(x);
    x->review_id = S_S(p->review_id);
    x->date = S_S(p->review.date);
    x->title = S_S(p->review.title);
    for (uint32_t i = 0; i < p->review.n_agencies && i < CL_REVIEW_AGENCIES;
         i++)
        ag[x->n_agencies++] = S_S(p->review.agencies[i]);
    x->agencies = ag;
    x->purged = p->purged;
    x->items = cl_wire_alloc(s, (p->n + 1) * sizeof(void *));
    for (size_t i = 0; x->items && i < p->n; i++) {
        const cl_pack_item *it = &p->v[i];
        Caselink__PackItem *pi = cl_wire_alloc(s, sizeof(*pi));
        Caselink__RequestSummary **rq =
            cl_wire_alloc(s, (it->requests.n + 1) * sizeof(void *));
        if (!pi || !rq)
            return NULL;
        caselink__pack_item__init(pi);
        pi->person = cl_wire_view_out(s, &it->person);
        pi->reason = (Caselink__AgendaReason)it->reason;
        pi->note = S_S(it->note);
        pi->discussion = S_S(it->discussion);
        pi->decisions = S_S(it->decisions);
        pi->actions = cl_wire_actions_out(s, &it->actions, &pi->n_actions);
        for (size_t j = 0; j < it->requests.n; j++)
            if ((rq[pi->n_requests] =
                     cl_wire_summary_out(s, &it->requests.v[j])))
                pi->n_requests++;
        pi->requests = rq;
        if (it->rated)
            pi->rag = cl_wire_rag_out(s, &it->rag);
        pi->measures = cl_wire_alloc(s, (it->n_measures + 1) * sizeof(void *));
        for (uint32_t j = 0; pi->measures && j < it->n_measures && j < 8; j++)
            if ((pi->measures[pi->n_measures] =
                     s_measure_out(s, &it->measures[j])) != NULL)
                pi->n_measures++;
        pi->prior = cl_wire_alloc(s, (it->n_prior + 1) * sizeof(void *));
        for (uint32_t j = 0; pi->prior && j < it->n_prior && j < CL_PRIOR_MAX;
             j++) {
            Caselink__PriorReview *pr = cl_wire_alloc(s, sizeof(*pr));
            if (!pr)
                return NULL;
            caselink__prior_review__init(pr);
            pr->review_id = S_S(it->prior[j].review_id);
            pr->date = S_S(it->prior[j].date);
            pr->discussion = S_S(it->prior[j].discussion);
            pr->decisions = S_S(it->prior[j].decisions);
            pi->prior[pi->n_prior++] = pr;
        }
        pi->earlier_actions =
            cl_wire_actions_out(s, &it->earlier, &pi->n_earlier_actions);
        Caselink__SinceLast *sl = cl_wire_alloc(s, sizeof(*sl));
        if (!sl)
            return NULL;
        caselink__since_last__init(sl);
        sl->referrals = cl_wire_alloc(s, (it->n_since + 1) * sizeof(void *));
        for (uint32_t j = 0;
             sl->referrals && j < it->n_since && j < CL_SINCE_MAX; j++)
            if ((sl->referrals[sl->n_referrals] =
                     cl_wire_row_out(s, &it->since[j])))
                sl->n_referrals++;
        sl->alerts = it->since_alerts;
        sl->answered = it->since_answered;
        sl->overdue = it->since_overdue;
        pi->since = sl;
        x->items[x->n_items++] = pi;
    }
    x->chair = S_S(p->meeting.chair);
    x->attendees = cl_wire_attendees_out(
        s, p->meeting.attendees, p->meeting.n_attendees, &x->n_attendees);
    x->apologies = cl_wire_attendees_out(
        s, p->meeting.apologies, p->meeting.n_apologies, &x->n_apologies);
    x->confidentiality = S_S(p->meeting.confidentiality);
    x->previous_review_id = S_S(p->previous_id);
    x->previous_date = S_S(p->previous_date);
    return x;
}

static void s_action_in(cl_action *a, const Caselink__ActionView *x)
{
    memset(a, 0, sizeof(*a));
    CL_COPY(a->action_id, x->action_id);
    CL_COPY(a->review_id, x->review_id);
    CL_COPY(a->person_id, x->person_id);
    CL_COPY(a->text, x->text);
    CL_COPY(a->owner_name, x->owner_name);
    CL_COPY(a->owner_agency, x->owner_agency);
    CL_COPY(a->due, x->due_date);
    a->status = (uint8_t)x->status;
    a->overdue = x->overdue;
    a->created_at = x->created_at;
    a->updated_at = x->updated_at;
    CL_COPY(a->note, x->note);
    for (size_t i = 0; i < x->n_changes && i < CL_ACTION_UPDATES; i++) {
        cl_action_change *c = &a->changes[a->n_changes++];
        c->at = x->changes[i]->at;
        CL_COPY(c->agency, x->changes[i]->agency);
        CL_COPY(c->user, x->changes[i]->user);
        c->status = (uint8_t)x->changes[i]->status;
        CL_COPY(c->note, x->changes[i]->note);
    }
}

int cl_wire_actions_in(cl_actions *o, Caselink__ActionView **v, size_t n)
{
    o->n = 0;
    o->v = calloc(n + 1, sizeof(*o->v));
    if (!o->v)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        s_action_in(&o->v[o->n++], v[i]);
    return CL_OK;
}

void cl_wire_rag_in(cl_rag_entry *e, const Caselink__RagEntry *x)
{
    memset(e, 0, sizeof(*e));
    if (!x)
        return;
    CL_COPY(e->subject, x->subject);
    e->rating = (uint8_t)x->rating;
    CL_COPY(e->note, x->note);
    e->at = x->at;
    CL_COPY(e->by, x->by);
}

static void s_measure_in(cl_measure_summary *ms,
                         const Caselink__MeasureSummary *m)
{
    memset(ms, 0, sizeof(*ms));
    CL_COPY(ms->name, m->name);
    CL_COPY(ms->from, m->baseline_from);
    CL_COPY(ms->to, m->baseline_to);
    ms->baseline_monthly = m->baseline_monthly;
    ms->baseline_people = m->baseline_people;
    ms->has_values = m->has_values;
    CL_COPY(ms->source, m->source);
    ms->category = (uint8_t)m->category;
    CL_COPY(ms->agency_kind, m->agency_kind);
    for (size_t j = 0; j < m->n_periods && j < CL_PERIODS_MAX; j++) {
        cl_period_value *p = &ms->periods[ms->n_periods++];
        CL_COPY(p->period, m->periods[j]->period);
        p->total = m->periods[j]->total;
        p->people = m->periods[j]->people;
    }
}

static int s_report_in(cl_report *o, const Caselink__ReportResult *x)
{
    CL_COPY(o->from, x->from);
    CL_COPY(o->to, x->to);
    o->made_at = x->made_at;
    o->suppress_below = x->suppress_below;
    o->referrals = calloc(x->n_referrals + 1, sizeof(*o->referrals));
    o->workstreams = calloc(x->n_workstreams + 1, sizeof(*o->workstreams));
    o->measures = calloc(x->n_measures + 1, sizeof(*o->measures));
    o->overlap = calloc(x->n_overlap + 1, sizeof(*o->overlap));
    if (!o->referrals || !o->workstreams || !o->measures || !o->overlap)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < x->n_referrals; i++) {
        cl_agency_month *m = &o->referrals[o->n_referrals++];
        CL_COPY(m->agency, x->referrals[i]->agency);
        CL_COPY(m->month, x->referrals[i]->month);
        m->referrals = x->referrals[i]->referrals;
    }
    o->arrived = calloc(x->n_referrals_arrived + 1, sizeof(*o->arrived));
    if (!o->arrived)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < x->n_referrals_arrived; i++) {
        cl_agency_month *m = &o->arrived[o->n_arrived++];
        CL_COPY(m->agency, x->referrals_arrived[i]->agency);
        CL_COPY(m->month, x->referrals_arrived[i]->month);
        m->referrals = x->referrals_arrived[i]->referrals;
    }
    o->caseload = x->caseload;
    o->reviews_held = x->reviews_held;
    o->actions_open = x->actions_open;
    o->actions_overdue = x->actions_overdue;
    o->actions_done = x->actions_done;
    o->actions_cancelled = x->actions_cancelled;
    for (size_t i = 0; i < x->n_rag; i++)
        if ((int)x->rag[i]->rating >= 1 && (int)x->rag[i]->rating <= CL_RAG_MAX)
            o->rag[(int)x->rag[i]->rating] = x->rag[i]->cases;
    o->rag_changes = x->rag_changes;
    for (size_t i = 0; i < x->n_workstreams; i++)
        cl_wire_rag_in(&o->workstreams[o->n_workstreams++], x->workstreams[i]);
    for (size_t i = 0; i < x->n_measures; i++)
        s_measure_in(&o->measures[o->n_measures++], x->measures[i]);
    for (size_t i = 0; i < x->n_overlap; i++) {
        cl_overlap *ov = &o->overlap[o->n_overlap++];
        CL_COPY(ov->a, x->overlap[i]->agency_a);
        CL_COPY(ov->b, x->overlap[i]->agency_b);
        ov->people = x->overlap[i]->people;
        ov->subjects = x->overlap[i]->people_as_subject;
    }
    return CL_OK;
}

static int s_pack_in(cl_review_pack *o, const Caselink__ReviewPackResult *x)
{
    int rc;
    CL_COPY(o->review_id, x->review_id);
    CL_COPY(o->review.date, x->date);
    CL_COPY(o->review.title, x->title);
    o->purged = x->purged;
    for (size_t i = 0; i < x->n_agencies && i < CL_REVIEW_AGENCIES; i++)
        CL_COPY(o->review.agencies[o->review.n_agencies++], x->agencies[i]);
    o->v = calloc(x->n_items + 1, sizeof(*o->v));
    if (!o->v)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < x->n_items; i++) {
        const Caselink__PackItem *pi = x->items[i];
        cl_pack_item *it = &o->v[o->n++];
        if (pi->person &&
            (rc = cl_wire_view_in(&it->person, pi->person)) != CL_OK)
            return rc;
        it->reason = (uint8_t)pi->reason;
        CL_COPY(it->note, pi->note);
        CL_COPY(it->discussion, pi->discussion);
        CL_COPY(it->decisions, pi->decisions);
        if ((rc = cl_wire_actions_in(&it->actions, pi->actions,
                                     pi->n_actions)) != CL_OK)
            return rc;
        it->requests.v = calloc(pi->n_requests + 1, sizeof(*it->requests.v));
        if (!it->requests.v)
            return CL_ERR_NOMEM;
        for (size_t j = 0; j < pi->n_requests; j++)
            cl_wire_summary_in(&it->requests.v[it->requests.n++],
                               pi->requests[j]);
        it->rated = pi->rag != NULL;
        cl_wire_rag_in(&it->rag, pi->rag);
        for (size_t j = 0; j < pi->n_measures && j < 8; j++)
            s_measure_in(&it->measures[it->n_measures++], pi->measures[j]);
        for (size_t j = 0; j < pi->n_prior && j < CL_PRIOR_MAX; j++) {
            cl_prior_review *pr = &it->prior[it->n_prior++];
            CL_COPY(pr->review_id, pi->prior[j]->review_id);
            CL_COPY(pr->date, pi->prior[j]->date);
            CL_COPY(pr->discussion, pi->prior[j]->discussion);
            CL_COPY(pr->decisions, pi->prior[j]->decisions);
        }
        if ((rc = cl_wire_actions_in(&it->earlier, pi->earlier_actions,
                                     pi->n_earlier_actions)) != CL_OK)
            return rc;
        if (pi->since) {
            for (size_t j = 0; j < pi->since->n_referrals && j < CL_SINCE_MAX;
                 j++)
                cl_wire_row_in(&it->since[it->n_since++],
                               pi->since->referrals[j]);
            it->since_alerts = pi->since->alerts;
            it->since_answered = pi->since->answered;
            it->since_overdue = pi->since->overdue;
        }
    }
    CL_COPY(o->meeting.review_id, x->review_id);
    CL_COPY(o->meeting.chair, x->chair);
    cl_wire_attendees_in(o->meeting.attendees, &o->meeting.n_attendees,
                         x->attendees, x->n_attendees);
    cl_wire_attendees_in(o->meeting.apologies, &o->meeting.n_apologies,
                         x->apologies, x->n_apologies);
    CL_COPY(o->meeting.confidentiality, x->confidentiality);
    CL_COPY(o->previous_id, x->previous_review_id);
    CL_COPY(o->previous_date, x->previous_date);
    return CL_OK;
}

/* Reply.actions for list_actions. */
ProtobufCMessage *cl_wire_out_ACTIONS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__Actions *acts = cl_wire_alloc(s, sizeof(*acts));
    if (!acts)
        return NULL;
    caselink__actions__init(acts);
    acts->actions = cl_wire_actions_out(s, &rep->u.actions, &acts->n_actions);
    return &acts->base;
}

/* Reply.rag_entries for rag_history. */
ProtobufCMessage *cl_wire_out_RAG_ENTRIES(cl_wire_scratch *s,
                                          const cl_reply *rep)
{
    Caselink__RagEntries *rags = cl_wire_alloc(s, sizeof(*rags));
    if (!rags)
        return NULL;
    caselink__rag_entries__init(rags);
    rags->entries = cl_wire_alloc(s, (rep->u.rags.n + 1) * sizeof(void *));
    for (size_t i = 0; rags->entries && i < rep->u.rags.n; i++)
        if ((rags->entries[rags->n_entries] =
                 cl_wire_rag_out(s, &rep->u.rags.v[i])) != NULL)
            rags->n_entries++;
    return &rags->base;
}

/* Reply.report for report. */
ProtobufCMessage *cl_wire_out_REPORT(cl_wire_scratch *s, const cl_reply *rep)
{
    return (ProtobufCMessage *)s_report_out(s, &rep->u.report);
}

/* Reply.review_pack for review_pack. */
ProtobufCMessage *cl_wire_out_REVIEW_PACK(cl_wire_scratch *s,
                                          const cl_reply *rep)
{
    return (ProtobufCMessage *)s_pack_out(s, &rep->u.pack);
}

/* Reply.mdt_rows for mdt_list. */
ProtobufCMessage *cl_wire_out_MDT_ROWS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__MdtRows *mrows = cl_wire_alloc(s, sizeof(*mrows));
    if (!mrows)
        return NULL;
    caselink__mdt_rows__init(mrows);
    const cl_mdt_rows *mr = &rep->u.mdt_rows;
    mrows->reviews = cl_wire_alloc(s, (mr->n + 1) * sizeof(void *));
    for (size_t i = 0; mrows->reviews && i < mr->n; i++) {
        const cl_mdt_row *m = &mr->v[i];
        Caselink__MdtRow *x = cl_wire_alloc(s, sizeof(*x));
        char **ag = cl_wire_alloc(s, (m->n_agencies + 1) * sizeof(char *));
        if (!x || !ag)
            break;
        caselink__mdt_row__init(x);
        x->review_id = S_S(m->review_id);
        x->date = S_S(m->date);
        x->title = S_S(m->title);
        for (uint32_t k = 0; k < m->n_agencies && k < CL_REVIEW_AGENCIES; k++)
            ag[x->n_agencies++] = S_S(m->agencies[k]);
        x->agencies = ag;
        x->people = m->people;
        x->discussed = m->discussed;
        x->actions_open = m->actions_open;
        x->actions_overdue = m->actions_overdue;
        x->actions_closed = m->actions_closed;
        mrows->reviews[mrows->n_reviews++] = x;
    }
    return &mrows->base;
}

/* Reply.actions into the model. */
int cl_wire_in_ACTIONS(cl_reply *out, const Caselink__Reply *r)
{
    int rc;
    out->kind = CL_REQ_LIST_ACTIONS;
    if ((rc = cl_wire_actions_in(&out->u.actions, r->actions->actions,
                                 r->actions->n_actions)) != CL_OK)
        return rc;
    return CL_OK;
}

/* Reply.rag_entries into the model. */
int cl_wire_in_RAG_ENTRIES(cl_reply *out, const Caselink__Reply *r)
{
    cl_rag_entries *o = &out->u.rags;
    out->kind = CL_REQ_RAG_HISTORY;
    o->v = calloc(r->rag_entries->n_entries + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->rag_entries->n_entries; i++)
        cl_wire_rag_in(&o->v[o->n++], r->rag_entries->entries[i]);
    return CL_OK;
}

/* Reply.report into the model. */
int cl_wire_in_REPORT(cl_reply *out, const Caselink__Reply *r)
{
    int rc;
    out->kind = CL_REQ_REPORT;
    if ((rc = s_report_in(&out->u.report, r->report)) != CL_OK)
        return rc;
    return CL_OK;
}

/* Reply.review_pack into the model. */
int cl_wire_in_REVIEW_PACK(cl_reply *out, const Caselink__Reply *r)
{
    int rc;
    out->kind = CL_REQ_REVIEW_PACK;
    if ((rc = s_pack_in(&out->u.pack, r->review_pack)) != CL_OK)
        return rc;
    return CL_OK;
}

/* Reply.mdt_rows into the model. */
int cl_wire_in_MDT_ROWS(cl_reply *out, const Caselink__Reply *r)
{
    cl_mdt_rows *o = &out->u.mdt_rows;
    const Caselink__MdtRows *mr = r->mdt_rows;
    out->kind = CL_REQ_MDT_LIST;
    if (!(o->v = calloc(mr->n_reviews + 1, sizeof(*o->v)))) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < mr->n_reviews; i++) {
        const Caselink__MdtRow *x = mr->reviews[i];
        cl_mdt_row *m = &o->v[o->n++];
        CL_COPY(m->review_id, x->review_id);
        CL_COPY(m->date, x->date);
        CL_COPY(m->title, x->title);
        for (size_t k = 0; k < x->n_agencies && k < CL_REVIEW_AGENCIES; k++)
            CL_COPY(m->agencies[m->n_agencies++], x->agencies[k]);
        m->people = x->people;
        m->discussed = x->discussed;
        m->actions_open = x->actions_open;
        m->actions_overdue = x->actions_overdue;
        m->actions_closed = x->actions_closed;
    }
    return CL_OK;
}

static Caselink__InformationResponse *s_response_out(cl_wire_scratch *s,
                                                     const cl_info_response *x)
{
    Caselink__InformationResponse *p = cl_wire_alloc(s, sizeof(*p));
    if (!p)
        return NULL;
    caselink__information_response__init(p);
    p->request_id = S_S(x->request_id);
    p->agency = S_S(x->agency);
    p->person_id = S_S(x->person_id);
    p->summary = S_S(x->summary);
    p->risk = (Caselink__Risk)x->risk;
    p->involvement = (Caselink__Involvement)x->involvement;
    p->contact = S_S(x->contact);
    p->answered_at = x->answered_at;
    return p;
}

Caselink__RequestSummary *cl_wire_summary_out(cl_wire_scratch *s,
                                              const cl_request_summary *q)
{
    Caselink__RequestSummary *x = cl_wire_alloc(s, sizeof(*x));
    Caselink__RequestState **st =
        cl_wire_alloc(s, (q->n_agencies + 1) * sizeof(void *));
    if (!x || !st)
        return NULL;
    caselink__request_summary__init(x);
    x->request_id = S_S(q->request_id);
    x->person_id = S_S(q->person_id);
    x->due_date = S_S(q->due);
    x->question = S_S(q->question);
    x->review_id = S_S(q->review_id);
    x->created_at = q->created_at;
    for (uint32_t j = 0; j < q->n_agencies && j < CL_REVIEW_AGENCIES; j++) {
        Caselink__RequestState *a = cl_wire_alloc(s, sizeof(*a));
        if (!a)
            return NULL;
        caselink__request_state__init(a);
        a->agency = S_S(q->agencies[j].agency);
        a->answered = q->agencies[j].answered;
        a->overdue = q->agencies[j].overdue;
        if (a->answered)
            a->response = s_response_out(s, &q->agencies[j].response);
        st[x->n_agencies++] = a;
    }
    x->agencies = st;
    return x;
}

Caselink__IntakeItem *cl_wire_intake_out(cl_wire_scratch *s,
                                         const cl_intake_item *m)
{
    Caselink__IntakeItem *x = cl_wire_alloc(s, sizeof(*x));
    char **ag = cl_wire_alloc(s, (m->n_on_agenda + 1) * sizeof(char *));
    if (!x || !ag)
        return NULL;
    caselink__intake_item__init(x);
    x->intake_id = S_S(m->intake_id);
    x->rule = S_S(m->rule);
    x->why = S_S(m->why);
    x->person_id = S_S(m->person_id);
    x->given_names = S_S(m->given);
    x->family_name = S_S(m->family);
    x->date_of_birth = S_S(m->dob);
    x->agency = S_S(m->agency);
    x->agency_kind = S_S(m->agency_kind);
    x->reference = S_S(m->reference);
    x->category = (Caselink__Category)m->category;
    x->risk = (Caselink__Risk)m->risk;
    x->occurred_at = m->occurred_at;
    x->received_at = m->received_at;
    x->raised_at = m->raised_at;
    x->hits = m->hits;
    for (uint32_t i = 0; i < m->n_on_agenda && i < CL_ON_AGENDA_MAX; i++)
        ag[x->n_on_agenda++] = S_S(m->on_agenda[i]);
    x->on_agenda = ag;
    x->state = (Caselink__IntakeState)m->state;
    x->decided_at = m->decided_at;
    x->decided_by = S_S(m->decided_by);
    x->decided_user = S_S(m->decided_user);
    x->reason = S_S(m->reason);
    x->review_id = S_S(m->review_id);
    x->defer_until = S_S(m->until);
    x->action_id = S_S(m->action_id);
    return x;
}

void cl_wire_intake_in(cl_intake_item *m, const Caselink__IntakeItem *x)
{
    memset(m, 0, sizeof(*m));
    CL_COPY(m->intake_id, x->intake_id);
    CL_COPY(m->rule, x->rule);
    CL_COPY(m->why, x->why);
    CL_COPY(m->person_id, x->person_id);
    CL_COPY(m->given, x->given_names);
    CL_COPY(m->family, x->family_name);
    CL_COPY(m->dob, x->date_of_birth);
    CL_COPY(m->agency, x->agency);
    CL_COPY(m->agency_kind, x->agency_kind);
    CL_COPY(m->reference, x->reference);
    m->category = (uint8_t)x->category;
    m->risk = (uint8_t)x->risk;
    m->occurred_at = x->occurred_at;
    m->received_at = x->received_at;
    m->raised_at = x->raised_at;
    m->hits = x->hits;
    for (size_t i = 0; i < x->n_on_agenda && i < CL_ON_AGENDA_MAX; i++)
        CL_COPY(m->on_agenda[m->n_on_agenda++], x->on_agenda[i]);
    m->state = (uint8_t)x->state;
    m->decided_at = x->decided_at;
    CL_COPY(m->decided_by, x->decided_by);
    CL_COPY(m->decided_user, x->decided_user);
    CL_COPY(m->reason, x->reason);
    CL_COPY(m->review_id, x->review_id);
    CL_COPY(m->until, x->defer_until);
    CL_COPY(m->action_id, x->action_id);
}

/* A flag result: an empty message when there is no flag, so that every
 * "no flag" is the same bytes. */
Caselink__FlagResult *cl_wire_flag_result_out(cl_wire_scratch *s,
                                              const cl_flag_result *f)
{
    Caselink__FlagResult *x = cl_wire_alloc(s, sizeof(*x));
    if (!x)
        return NULL;
    caselink__flag_result__init(x);
    uint32_t n = f->n < CL_FLAGS_MAX ? f->n : CL_FLAGS_MAX;
    if (!n)
        return x;
    x->flagged = true;
    x->flags = cl_wire_alloc(s, n * sizeof(void *));
    for (uint32_t i = 0; x->flags && i < n; i++) {
        const cl_flag *g = &f->v[i];
        Caselink__Flag *y = cl_wire_alloc(s, sizeof(*y));
        Caselink__DutyContact *dc = cl_wire_alloc(s, sizeof(*dc));
        if (!y || !dc)
            return NULL;
        caselink__flag__init(y);
        caselink__duty_contact__init(dc);
        y->person_is = S_S(g->person_is);
        y->plan_type = S_S(g->plan_type);
        y->responsible_authority = S_S(g->authority);
        dc->name = S_S(g->duty.name);
        dc->telephone = S_S(g->duty.phone);
        dc->secure_email = S_S(g->duty.email);
        dc->hours = S_S(g->duty.hours);
        y->duty_contact = dc;
        y->next_review_date = S_S(g->next_review);
        y->ended_on = S_S(g->ended);
        x->flags[x->n_flags++] = y;
    }
    return x;
}

void cl_wire_flag_result_in(cl_flag_result *o, const Caselink__FlagResult *x)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; x && i < x->n_flags && o->n < CL_FLAGS_MAX; i++) {
        const Caselink__Flag *y = x->flags[i];
        cl_flag *g = &o->v[o->n++];
        CL_COPY(g->person_is, y->person_is);
        CL_COPY(g->plan_type, y->plan_type);
        CL_COPY(g->authority, y->responsible_authority);
        if (y->duty_contact) {
            CL_COPY(g->duty.name, y->duty_contact->name);
            CL_COPY(g->duty.phone, y->duty_contact->telephone);
            CL_COPY(g->duty.email, y->duty_contact->secure_email);
            CL_COPY(g->duty.hours, y->duty_contact->hours);
        }
        CL_COPY(g->next_review, y->next_review_date);
        CL_COPY(g->ended, y->ended_on);
    }
}

static Caselink__Delivery *s_delivery_out(cl_wire_scratch *s,
                                          const cl_delivery *d)
{
    Caselink__Delivery *p = cl_wire_alloc(s, sizeof(*p));
    if (!p)
        return NULL;
    caselink__delivery__init(p);
    p->seq = d->seq;
    p->created_at = d->at;
    switch (d->kind) {
    case CL_DLV_ALERT: {
        const cl_alert *a = &d->u.alert;
        Caselink__SafeguardingAlert *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__safeguarding_alert__init(x);
        x->reference = S_S(a->reference);
        x->plan_reference = S_S(a->plan_ref);
        x->child_person_id = S_S(a->child_pid);
        x->child_given_names = S_S(a->child_given);
        x->child_family_name = S_S(a->child_family);
        x->child_date_of_birth = S_S(a->child_dob);
        x->subject_is = S_S(a->subject_is);
        x->subject_person_id = S_S(a->subject_pid);
        x->subject_given_names = S_S(a->subject_given);
        x->subject_family_name = S_S(a->subject_family);
        x->subject_date_of_birth = S_S(a->subject_dob);
        x->flag_shown = a->flag_shown;
        x->reporting_agency = S_S(a->agency);
        x->referrer =
            cl_wire_referrer_out(s, a->referrer_name, a->referrer_role);
        x->category = (Caselink__Category)a->category;
        x->risk = (Caselink__Risk)a->risk;
        x->concern = S_S(a->concern);
        x->occurred_at = a->occurred_at;
        x->received_at = a->received_at;
        x->plan_type = (Caselink__PlanType)a->plan_type;
        p->item_case = CASELINK__DELIVERY__ITEM_ALERT;
        p->alert = x;
        break;
    }
    case CL_DLV_REQUEST: {
        const cl_info_msg *m = &d->u.request;
        Caselink__InformationRequest *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__information_request__init(x);
        x->request_id = S_S(m->request_id);
        x->from_agency = S_S(m->from_agency);
        x->person_id = S_S(m->person_id);
        x->person = cl_wire_person_out(s, &m->person);
        x->due_date = S_S(m->due);
        x->question = S_S(m->question);
        x->review_id = S_S(m->review_id);
        p->item_case = CASELINK__DELIVERY__ITEM_REQUEST;
        p->request = x;
        break;
    }
    case CL_DLV_RESPONSE:
        p->item_case = CASELINK__DELIVERY__ITEM_RESPONSE;
        p->response = s_response_out(s, &d->u.response);
        break;
    case CL_DLV_STATUS: {
        const cl_status_msg *m = &d->u.status;
        Caselink__StatusChange *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__status_change__init(x);
        x->reference = S_S(m->reference);
        x->agency_reference = S_S(m->agency_ref);
        x->status = (Caselink__ReferralStatus)m->status;
        x->reason = S_S(m->reason);
        x->outcome = (Caselink__Outcome)m->outcome;
        x->by = S_S(m->by);
        x->at = m->at;
        p->item_case = CASELINK__DELIVERY__ITEM_STATUS;
        p->status = x;
        break;
    }
    case CL_DLV_INTAKE:
        if (!(p->intake = cl_wire_intake_out(s, &d->u.intake)))
            return NULL;
        p->item_case = CASELINK__DELIVERY__ITEM_INTAKE;
        break;
    case CL_DLV_ACTION: {
        const cl_action_msg *m = &d->u.action;
        Caselink__ActionNotice *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__action_notice__init(x);
        x->event = S_S(m->event);
        x->action_id = S_S(m->action_id);
        x->review_id = S_S(m->review_id);
        x->person_id = S_S(m->person_id);
        x->given_names = S_S(m->given);
        x->family_name = S_S(m->family);
        x->date_of_birth = S_S(m->dob);
        x->text = S_S(m->text);
        x->owner_name = S_S(m->owner_name);
        x->owner_agency = S_S(m->owner_agency);
        x->due_date = S_S(m->due);
        x->status = (Caselink__ActionStatus)m->status;
        x->note = S_S(m->note);
        x->by_agency = S_S(m->by_agency);
        x->by_user = S_S(m->by_user);
        p->item_case = CASELINK__DELIVERY__ITEM_ACTION;
        p->action = x;
        break;
    }
    case CL_DLV_FEED: {
        const cl_feed_msg *m = &d->u.feed;
        Caselink__FeedProblem *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__feed_problem__init(x);
        x->agency = S_S(m->agency);
        x->feed = S_S(m->feed);
        x->problem = S_S(m->problem);
        x->expected_seq = m->expected;
        x->received_seq = m->received;
        x->last_at = m->last_at;
        p->item_case = CASELINK__DELIVERY__ITEM_FEED;
        p->feed = x;
        break;
    }
    case CL_DLV_RETRACTION: {
        const cl_retraction_msg *m = &d->u.retraction;
        Caselink__RetractionNotice *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__retraction_notice__init(x);
        x->reference = S_S(m->reference);
        x->agency = S_S(m->agency);
        x->plan_reference = S_S(m->plan_ref);
        x->reason = S_S(m->reason);
        x->withdrawn_at = m->at;
        p->item_case = CASELINK__DELIVERY__ITEM_RETRACTION;
        p->retraction = x;
        break;
    }
    case CL_DLV_GOVERNANCE: {
        const cl_governance_msg *m = &d->u.governance;
        Caselink__GovernanceNotice *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__governance_notice__init(x);
        x->event = S_S(m->event);
        x->agency = S_S(m->agency);
        x->client = S_S(m->client);
        x->reference = S_S(m->reference);
        x->person_id = S_S(m->person_id);
        x->detail = S_S(m->detail);
        x->at = m->at;
        p->item_case = CASELINK__DELIVERY__ITEM_GOVERNANCE;
        p->governance = x;
        break;
    }
    case CL_DLV_FLAG: {
        const cl_flag_notice *m = &d->u.flag;
        Caselink__FlagNotice *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__flag_notice__init(x);
        x->plan_id = S_S(m->plan_id);
        x->plan_reference = S_S(m->plan_ref);
        x->child_person_id = S_S(m->child_pid);
        x->child_given_names = S_S(m->child_given);
        x->child_family_name = S_S(m->child_family);
        x->person_id = S_S(m->person_pid);
        x->person_is = S_S(m->person_is);
        x->agency = S_S(m->agency);
        x->client = S_S(m->client);
        x->user_id = S_S(m->user_id);
        x->user_name = S_S(m->user_name);
        x->user_role = S_S(m->user_role);
        x->context = S_S(m->context);
        x->count = m->count;
        x->first_at = m->first_at;
        x->last_at = m->last_at;
        p->item_case = CASELINK__DELIVERY__ITEM_FLAG;
        p->flag = x;
        break;
    }
    default:
        break;
    }
    return p;
}

static void s_response_in(cl_info_response *x,
                          const Caselink__InformationResponse *p)
{
    memset(x, 0, sizeof(*x));
    if (!p)
        return;
    CL_COPY(x->request_id, p->request_id);
    CL_COPY(x->agency, p->agency);
    CL_COPY(x->person_id, p->person_id);
    CL_COPY(x->summary, p->summary);
    x->risk = (uint8_t)p->risk;
    x->involvement = (uint8_t)p->involvement;
    CL_COPY(x->contact, p->contact);
    x->answered_at = p->answered_at;
}

static void s_delivery_in(cl_delivery *d, const Caselink__Delivery *p)
{
    memset(d, 0, sizeof(*d));
    d->seq = p->seq;
    d->at = p->created_at;
    switch (p->item_case) {
    case CASELINK__DELIVERY__ITEM_ALERT: {
        const Caselink__SafeguardingAlert *x = p->alert;
        cl_alert *a = &d->u.alert;
        d->kind = CL_DLV_ALERT;
        CL_COPY(a->reference, x->reference);
        CL_COPY(a->plan_ref, x->plan_reference);
        CL_COPY(a->child_pid, x->child_person_id);
        CL_COPY(a->child_given, x->child_given_names);
        CL_COPY(a->child_family, x->child_family_name);
        CL_COPY(a->child_dob, x->child_date_of_birth);
        CL_COPY(a->subject_is, x->subject_is);
        CL_COPY(a->subject_pid, x->subject_person_id);
        CL_COPY(a->subject_given, x->subject_given_names);
        CL_COPY(a->subject_family, x->subject_family_name);
        CL_COPY(a->subject_dob, x->subject_date_of_birth);
        a->flag_shown = x->flag_shown;
        CL_COPY(a->agency, x->reporting_agency);
        if (x->referrer) {
            CL_COPY(a->referrer_name, x->referrer->name);
            CL_COPY(a->referrer_role, x->referrer->role);
        }
        a->category = (uint8_t)x->category;
        a->risk = (uint8_t)x->risk;
        CL_COPY(a->concern, x->concern);
        a->occurred_at = x->occurred_at;
        a->received_at = x->received_at;
        a->plan_type = (uint8_t)x->plan_type;
        break;
    }
    case CASELINK__DELIVERY__ITEM_REQUEST: {
        const Caselink__InformationRequest *x = p->request;
        cl_info_msg *m = &d->u.request;
        d->kind = CL_DLV_REQUEST;
        CL_COPY(m->request_id, x->request_id);
        CL_COPY(m->from_agency, x->from_agency);
        CL_COPY(m->person_id, x->person_id);
        cl_wire_person_copy_in(&m->person, x->person);
        CL_COPY(m->due, x->due_date);
        CL_COPY(m->question, x->question);
        CL_COPY(m->review_id, x->review_id);
        break;
    }
    case CASELINK__DELIVERY__ITEM_RESPONSE:
        d->kind = CL_DLV_RESPONSE;
        s_response_in(&d->u.response, p->response);
        break;
    case CASELINK__DELIVERY__ITEM_STATUS: {
        const Caselink__StatusChange *x = p->status;
        cl_status_msg *m = &d->u.status;
        d->kind = CL_DLV_STATUS;
        CL_COPY(m->reference, x->reference);
        CL_COPY(m->agency_ref, x->agency_reference);
        m->status = (uint8_t)x->status;
        CL_COPY(m->reason, x->reason);
        m->outcome = (uint8_t)x->outcome;
        CL_COPY(m->by, x->by);
        m->at = x->at;
        break;
    }
    case CASELINK__DELIVERY__ITEM_INTAKE:
        d->kind = CL_DLV_INTAKE;
        cl_wire_intake_in(&d->u.intake, p->intake);
        break;
    case CASELINK__DELIVERY__ITEM_ACTION: {
        const Caselink__ActionNotice *x = p->action;
        cl_action_msg *m = &d->u.action;
        d->kind = CL_DLV_ACTION;
        CL_COPY(m->event, x->event);
        CL_COPY(m->action_id, x->action_id);
        CL_COPY(m->review_id, x->review_id);
        CL_COPY(m->person_id, x->person_id);
        CL_COPY(m->given, x->given_names);
        CL_COPY(m->family, x->family_name);
        CL_COPY(m->dob, x->date_of_birth);
        CL_COPY(m->text, x->text);
        CL_COPY(m->owner_name, x->owner_name);
        CL_COPY(m->owner_agency, x->owner_agency);
        CL_COPY(m->due, x->due_date);
        m->status = (uint8_t)x->status;
        CL_COPY(m->note, x->note);
        CL_COPY(m->by_agency, x->by_agency);
        CL_COPY(m->by_user, x->by_user);
        break;
    }
    case CASELINK__DELIVERY__ITEM_FEED: {
        const Caselink__FeedProblem *x = p->feed;
        cl_feed_msg *m = &d->u.feed;
        d->kind = CL_DLV_FEED;
        CL_COPY(m->agency, x->agency);
        CL_COPY(m->feed, x->feed);
        CL_COPY(m->problem, x->problem);
        m->expected = x->expected_seq;
        m->received = x->received_seq;
        m->last_at = x->last_at;
        break;
    }
    case CASELINK__DELIVERY__ITEM_RETRACTION: {
        const Caselink__RetractionNotice *x = p->retraction;
        cl_retraction_msg *m = &d->u.retraction;
        d->kind = CL_DLV_RETRACTION;
        CL_COPY(m->reference, x->reference);
        CL_COPY(m->agency, x->agency);
        CL_COPY(m->plan_ref, x->plan_reference);
        CL_COPY(m->reason, x->reason);
        m->at = x->withdrawn_at;
        break;
    }
    case CASELINK__DELIVERY__ITEM_GOVERNANCE: {
        const Caselink__GovernanceNotice *x = p->governance;
        cl_governance_msg *m = &d->u.governance;
        d->kind = CL_DLV_GOVERNANCE;
        CL_COPY(m->event, x->event);
        CL_COPY(m->agency, x->agency);
        CL_COPY(m->client, x->client);
        CL_COPY(m->reference, x->reference);
        CL_COPY(m->person_id, x->person_id);
        CL_COPY(m->detail, x->detail);
        m->at = x->at;
        break;
    }
    case CASELINK__DELIVERY__ITEM_FLAG: {
        const Caselink__FlagNotice *x = p->flag;
        cl_flag_notice *m = &d->u.flag;
        d->kind = CL_DLV_FLAG;
        CL_COPY(m->plan_id, x->plan_id);
        CL_COPY(m->plan_ref, x->plan_reference);
        CL_COPY(m->child_pid, x->child_person_id);
        CL_COPY(m->child_given, x->child_given_names);
        CL_COPY(m->child_family, x->child_family_name);
        CL_COPY(m->person_pid, x->person_id);
        CL_COPY(m->person_is, x->person_is);
        CL_COPY(m->agency, x->agency);
        CL_COPY(m->client, x->client);
        CL_COPY(m->user_id, x->user_id);
        CL_COPY(m->user_name, x->user_name);
        CL_COPY(m->user_role, x->user_role);
        CL_COPY(m->context, x->context);
        m->count = x->count;
        m->first_at = x->first_at;
        m->last_at = x->last_at;
        break;
    }
    default:
        break;
    }
}

void cl_wire_summary_in(cl_request_summary *q,
                        const Caselink__RequestSummary *x)
{
    memset(q, 0, sizeof(*q));
    CL_COPY(q->request_id, x->request_id);
    CL_COPY(q->person_id, x->person_id);
    CL_COPY(q->due, x->due_date);
    CL_COPY(q->question, x->question);
    CL_COPY(q->review_id, x->review_id);
    q->created_at = x->created_at;
    for (size_t j = 0; j < x->n_agencies && j < CL_REVIEW_AGENCIES; j++) {
        cl_request_state *a = &q->agencies[q->n_agencies++];
        CL_COPY(a->agency, x->agencies[j]->agency);
        a->answered = x->agencies[j]->answered;
        a->overdue = x->agencies[j]->overdue;
        s_response_in(&a->response, x->agencies[j]->response);
    }
}

/* Reply.flag for flag_check. */
ProtobufCMessage *cl_wire_out_FLAG(cl_wire_scratch *s, const cl_reply *rep)
{
    return (ProtobufCMessage *)cl_wire_flag_result_out(s, &rep->u.flag);
}

/* Reply.flag_disclosures for flag_disclosures. */
ProtobufCMessage *cl_wire_out_FLAG_DISCLOSURES(cl_wire_scratch *s,
                                               const cl_reply *rep)
{
    const cl_flag_disclosures *fd = &rep->u.flag_log;
    Caselink__FlagDisclosureList *l = cl_wire_alloc(s, sizeof(*l));
    if (!l)
        return NULL;
    caselink__flag_disclosure_list__init(l);
    l->disclosures = cl_wire_alloc(s, (fd->n + 1) * sizeof(void *));
    for (size_t i = 0; l->disclosures && i < fd->n; i++) {
        const cl_flag_disclosure *a = &fd->v[i];
        Caselink__FlagDisclosure *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__flag_disclosure__init(x);
        x->at = a->at;
        x->agency = S_S(a->agency);
        x->client = S_S(a->client);
        x->user_id = S_S(a->user_id);
        x->user_name = S_S(a->user_name);
        x->context = S_S(a->context);
        x->person_id = S_S(a->person_pid);
        x->child_person_id = S_S(a->child_pid);
        x->plan_id = S_S(a->plan_id);
        x->responsible_authority = S_S(a->authority);
        l->disclosures[l->n_disclosures++] = x;
    }
    return (ProtobufCMessage *)l;
}

/* Reply.deliveries for inbox_receive. */
ProtobufCMessage *cl_wire_out_DELIVERIES(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    Caselink__Deliveries *dlv = cl_wire_alloc(s, sizeof(*dlv));
    if (!dlv)
        return NULL;
    caselink__deliveries__init(dlv);
    const cl_deliveries *ds = &rep->u.deliveries;
    dlv->deliveries = cl_wire_alloc(s, (ds->n + 1) * sizeof(void *));
    for (size_t i = 0; dlv->deliveries && i < ds->n; i++) {
        Caselink__Delivery *d = s_delivery_out(s, &ds->v[i]);
        if (!d)
            break;
        dlv->deliveries[dlv->n_deliveries++] = d;
    }
    dlv->depth = ds->depth;
    return &dlv->base;
}

/* Reply.ack for inbox_ack. */
ProtobufCMessage *cl_wire_out_ACK(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__AckResult *ackr = cl_wire_alloc(s, sizeof(*ackr));
    if (!ackr)
        return NULL;
    caselink__ack_result__init(ackr);
    ackr->removed = rep->u.ack.removed;
    ackr->depth = rep->u.ack.depth;
    return &ackr->base;
}

/* Reply.requests for request_list. */
ProtobufCMessage *cl_wire_out_REQUESTS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__RequestSummaries *rqs = cl_wire_alloc(s, sizeof(*rqs));
    if (!rqs)
        return NULL;
    caselink__request_summaries__init(rqs);
    const cl_request_summaries *rs = &rep->u.requests;
    rqs->requests = cl_wire_alloc(s, (rs->n + 1) * sizeof(void *));
    for (size_t i = 0; rqs->requests && i < rs->n; i++) {
        Caselink__RequestSummary *x = cl_wire_summary_out(s, &rs->v[i]);
        if (!x)
            break;
        rqs->requests[rqs->n_requests++] = x;
    }
    return &rqs->base;
}

/* Reply.intake_items for intake_list. */
ProtobufCMessage *cl_wire_out_INTAKE_ITEMS(cl_wire_scratch *s,
                                           const cl_reply *rep)
{
    Caselink__IntakeItems *intakes = cl_wire_alloc(s, sizeof(*intakes));
    if (!intakes)
        return NULL;
    caselink__intake_items__init(intakes);
    intakes->items = cl_wire_alloc(s, (rep->u.intake.n + 1) * sizeof(void *));
    for (size_t i = 0; intakes->items && i < rep->u.intake.n; i++)
        intakes->items[intakes->n_items++] =
            cl_wire_intake_out(s, &rep->u.intake.v[i]);
    return &intakes->base;
}

/* Reply.feeds for admin_feeds. */
ProtobufCMessage *cl_wire_out_FEEDS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__Feeds *feeds = cl_wire_alloc(s, sizeof(*feeds));
    if (!feeds)
        return NULL;
    caselink__feeds__init(feeds);
    const cl_feeds *fs = &rep->u.feeds;
    feeds->feeds = cl_wire_alloc(s, (fs->n + 1) * sizeof(void *));
    for (size_t i = 0; feeds->feeds && i < fs->n; i++) {
        const cl_feed_state *f = &fs->v[i];
        Caselink__FeedState *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            break;
        caselink__feed_state__init(x);
        x->agency = S_S(f->agency);
        x->feed = S_S(f->feed);
        x->last_seq = f->last_seq;
        x->first_at = f->first_at;
        x->last_at = f->last_at;
        x->messages = f->messages;
        x->missing = f->missing;
        x->gap_from = f->gap_from;
        x->gap_to = f->gap_to;
        x->silent = f->silent;
        x->silence_after_s = f->silence_after_s;
        feeds->feeds[feeds->n_feeds++] = x;
    }
    return &feeds->base;
}

/* Reply.flag into the model. */
int cl_wire_in_FLAG(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_FLAG_CHECK;
    cl_wire_flag_result_in(&out->u.flag, r->flag);
    return CL_OK;
}

/* Reply.flag_disclosures into the model. */
int cl_wire_in_FLAG_DISCLOSURES(cl_reply *out, const Caselink__Reply *r)
{
    const Caselink__FlagDisclosureList *l = r->flag_disclosures;
    cl_flag_disclosures *o = &out->u.flag_log;
    out->kind = CL_REQ_FLAG_DISCLOSURES;
    o->v = calloc(l->n_disclosures + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < l->n_disclosures; i++) {
        const Caselink__FlagDisclosure *x = l->disclosures[i];
        cl_flag_disclosure *a = &o->v[o->n++];
        a->at = x->at;
        CL_COPY(a->agency, x->agency);
        CL_COPY(a->client, x->client);
        CL_COPY(a->user_id, x->user_id);
        CL_COPY(a->user_name, x->user_name);
        CL_COPY(a->context, x->context);
        CL_COPY(a->person_pid, x->person_id);
        CL_COPY(a->child_pid, x->child_person_id);
        CL_COPY(a->plan_id, x->plan_id);
        CL_COPY(a->authority, x->responsible_authority);
    }
    return CL_OK;
}

/* Reply.deliveries into the model. */
int cl_wire_in_DELIVERIES(cl_reply *out, const Caselink__Reply *r)
{
    cl_deliveries *o = &out->u.deliveries;
    out->kind = CL_REQ_INBOX_RECEIVE;
    o->v = calloc(r->deliveries->n_deliveries + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->deliveries->n_deliveries; i++)
        s_delivery_in(&o->v[o->n++], r->deliveries->deliveries[i]);
    o->depth = r->deliveries->depth;
    return CL_OK;
}

/* Reply.ack into the model. */
int cl_wire_in_ACK(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_INBOX_ACK;
    out->u.ack.removed = r->ack->removed;
    out->u.ack.depth = r->ack->depth;
    return CL_OK;
}

/* Reply.requests into the model. */
int cl_wire_in_REQUESTS(cl_reply *out, const Caselink__Reply *r)
{
    cl_request_summaries *o = &out->u.requests;
    out->kind = CL_REQ_REQUEST_LIST;
    o->v = calloc(r->requests->n_requests + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->requests->n_requests; i++) {
        cl_wire_summary_in(&o->v[o->n++], r->requests->requests[i]);
    }
    return CL_OK;
}

/* Reply.intake_items into the model. */
int cl_wire_in_INTAKE_ITEMS(cl_reply *out, const Caselink__Reply *r)
{
    cl_intake_items *o = &out->u.intake;
    out->kind = CL_REQ_INTAKE_LIST;
    o->v = calloc(r->intake_items->n_items + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->intake_items->n_items; i++)
        cl_wire_intake_in(&o->v[o->n++], r->intake_items->items[i]);
    return CL_OK;
}

/* Reply.feeds into the model. */
int cl_wire_in_FEEDS(cl_reply *out, const Caselink__Reply *r)
{
    cl_feeds *o = &out->u.feeds;
    out->kind = CL_REQ_ADMIN_FEEDS;
    o->v = calloc(r->feeds->n_feeds + 1, sizeof(*o->v));
    if (!o->v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->feeds->n_feeds; i++) {
        const Caselink__FeedState *x = r->feeds->feeds[i];
        cl_feed_state *f = &o->v[o->n++];
        CL_COPY(f->agency, x->agency);
        CL_COPY(f->feed, x->feed);
        f->last_seq = x->last_seq;
        f->first_at = x->first_at;
        f->last_at = x->last_at;
        f->messages = x->messages;
        f->missing = x->missing;
        f->gap_from = x->gap_from;
        f->gap_to = x->gap_to;
        f->silent = x->silent;
        f->silence_after_s = x->silence_after_s;
    }
    return CL_OK;
}

static Caselink__ReplicationState *s_repl_out(cl_wire_scratch *s,
                                              const cl_repl_state *st)
{
    if (!st->role[0] || !strcmp(st->role, "single"))
        return NULL;
    Caselink__ReplicationState *x = cl_wire_alloc(s, sizeof(*x));
    if (!x)
        return NULL;
    caselink__replication_state__init(x);
    x->role = S_S(st->role);
    x->node = S_S(st->node);
    x->active = S_S(st->active);
    x->applied_sequence = st->applied_seq;
    x->stream_last_sequence = st->stream_last_seq;
    x->lag_messages = st->lag_messages;
    x->lag_seconds = st->lag_seconds;
    x->problem = S_S(st->problem);
    return x;
}

static void s_repl_in(cl_repl_state *o, const Caselink__ReplicationState *x)
{
    if (!x) {
        CL_COPY(o->role, "single");
        return;
    }
    CL_COPY(o->role, x->role);
    CL_COPY(o->node, x->node);
    CL_COPY(o->active, x->active);
    o->applied_seq = x->applied_sequence;
    o->stream_last_seq = x->stream_last_sequence;
    o->lag_messages = x->lag_messages;
    o->lag_seconds = x->lag_seconds;
    CL_COPY(o->problem, x->problem);
}

static Caselink__LinkInfo *s_link_info_out(cl_wire_scratch *s,
                                           const cl_link_info *li)
{
    Caselink__LinkInfo *x = cl_wire_alloc(s, sizeof(*x));
    Caselink__LevelWeight **lv =
        cl_wire_alloc(s, (li->n_levels + 1) * sizeof(void *));
    if (!x || !lv)
        return NULL;
    caselink__link_info__init(x);
    x->levels = lv;
    for (uint32_t i = 0; i < li->n_levels && i < CL_LEVELS_MAX; i++) {
        const cl_level_info *l = &li->levels[i];
        Caselink__LevelWeight *w = cl_wire_alloc(s, sizeof(*w));
        if (!w)
            return NULL;
        caselink__level_weight__init(w);
        w->level = S_S(l->name);
        w->m = l->m;
        w->u = l->u;
        w->weight = l->weight;
        w->proposed_m = l->pm;
        w->proposed_u = l->pu;
        w->proposed_weight = l->pweight;
        w->trained = l->trained;
        lv[x->n_levels++] = w;
    }
    x->prior = li->prior;
    x->proposed_prior = li->pprior;
    x->upper_weight = li->upper;
    x->lower_weight = li->lower;
    x->upper_probability = li->upper_p;
    x->lower_probability = li->lower_p;
    x->proposed_upper_probability = li->pupper_p;
    x->proposed_lower_probability = li->plower_p;
    x->accepted = li->accepted;
    x->proposed = li->proposed;
    x->trained_at = li->trained_at;
    x->accepted_at = li->accepted_at;
    x->records_sampled = li->sampled;
    x->random_pairs = li->random_pairs;
    x->blocked_pairs = li->blocked_pairs;
    x->rerun_running = li->rerun_running;
    x->rerun_done = li->rerun_done;
    x->rerun_total = li->rerun_total;
    x->rerun_merged = li->rerun_merged;
    x->rerun_queued = li->rerun_queued;
    return x;
}

static void s_link_info_in(cl_link_info *o, const Caselink__LinkInfo *x)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < x->n_levels && i < CL_LEVELS_MAX; i++) {
        const Caselink__LevelWeight *w = x->levels[i];
        cl_level_info *l = &o->levels[o->n_levels++];
        CL_COPY(l->name, w->level);
        l->m = w->m;
        l->u = w->u;
        l->weight = w->weight;
        l->pm = w->proposed_m;
        l->pu = w->proposed_u;
        l->pweight = w->proposed_weight;
        l->trained = w->trained;
    }
    o->prior = x->prior;
    o->pprior = x->proposed_prior;
    o->upper = x->upper_weight;
    o->lower = x->lower_weight;
    o->upper_p = x->upper_probability;
    o->lower_p = x->lower_probability;
    o->pupper_p = x->proposed_upper_probability;
    o->plower_p = x->proposed_lower_probability;
    o->accepted = x->accepted;
    o->proposed = x->proposed;
    o->trained_at = x->trained_at;
    o->accepted_at = x->accepted_at;
    o->sampled = x->records_sampled;
    o->random_pairs = x->random_pairs;
    o->blocked_pairs = x->blocked_pairs;
    o->rerun_running = x->rerun_running;
    o->rerun_done = x->rerun_done;
    o->rerun_total = x->rerun_total;
    o->rerun_merged = x->rerun_merged;
    o->rerun_queued = x->rerun_queued;
}

/* Reply.link_info for link_admin. */
ProtobufCMessage *cl_wire_out_LINK_INFO(cl_wire_scratch *s, const cl_reply *rep)
{
    return (ProtobufCMessage *)s_link_info_out(s, &rep->u.link_info);
}

/* Reply.promote for admin_promote. */
ProtobufCMessage *cl_wire_out_PROMOTE(cl_wire_scratch *s, const cl_reply *rep)
{
    /* NULL (no result) for a single node */
    return (ProtobufCMessage *)s_repl_out(s, &rep->u.promote);
}

/* Reply.health for health. */
ProtobufCMessage *cl_wire_out_HEALTH(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__HealthResult *health = cl_wire_alloc(s, sizeof(*health));
    if (!health)
        return NULL;
    caselink__health_result__init(health);
    health->version = S_S(rep->u.health.version);
    health->uptime_seconds = rep->u.health.uptime_s;
    health->persons = rep->u.health.persons;
    health->referrals = rep->u.health.referrals;
    health->store_bytes = rep->u.health.store_bytes;
    health->replication = s_repl_out(s, &rep->u.health.repl);
    return &health->base;
}

/* Reply.stats for admin_stats. */
ProtobufCMessage *cl_wire_out_STATS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__StatsResult *statsr = cl_wire_alloc(s, sizeof(*statsr));
    if (!statsr)
        return NULL;
    caselink__stats_result__init(statsr);
    const cl_stats *st = &rep->u.stats;
    Caselink__KindCount **kc = cl_wire_alloc(s, st->n_counts * sizeof(*kc));
    for (uint32_t i = 0; kc && i < st->n_counts && i < CL_STATS_MAX; i++) {
        Caselink__KindCount *c = cl_wire_alloc(s, sizeof(*c));
        if (!c)
            break;
        caselink__kind_count__init(c);
        c->kind = S_S(st->counts[i].kind);
        c->status = (Caselink__Status)st->counts[i].status;
        c->count = st->counts[i].count;
        kc[statsr->n_requests++] = c;
    }
    statsr->requests = kc;
    statsr->uptime_seconds = st->uptime_s;
    statsr->commits = st->commits;
    statsr->batch_mean_x100 = st->batch_mean_x100;
    statsr->batch_max = st->batch_max;
    statsr->commit_p50_us = st->commit_p50_us;
    statsr->commit_p99_us = st->commit_p99_us;
    statsr->commit_max_us = st->commit_max_us;
    statsr->store_bytes = st->store_bytes;
    statsr->map_bytes = st->map_bytes;
    statsr->persons = st->persons;
    statsr->referrals = st->referrals;
    statsr->audit_entries = st->audit_entries;
    statsr->key_version = st->key_version;
    statsr->refused_connections = st->refused_connections;
    statsr->relink_running = st->relink_running;
    statsr->relink_done = st->relink_done;
    statsr->relink_total = st->relink_total;
    statsr->relink_merged = st->relink_merged;
    statsr->relink_queued = st->relink_queued;
    statsr->weights_trained = st->weights_trained;
    statsr->mailboxes =
        cl_wire_alloc(s, (st->n_mailboxes + 1) * sizeof(*statsr->mailboxes));
    for (uint32_t i = 0;
         statsr->mailboxes && i < st->n_mailboxes && i < CL_MAILBOXES_MAX;
         i++) {
        Caselink__MailboxDepth *m = cl_wire_alloc(s, sizeof(*m));
        if (!m)
            break;
        caselink__mailbox_depth__init(m);
        m->agency = S_S(st->mailboxes[i].agency);
        m->depth = st->mailboxes[i].depth;
        statsr->mailboxes[statsr->n_mailboxes++] = m;
    }
    statsr->rate_limited = cl_wire_alloc(s, (st->n_rate_limited + 1) *
                                                sizeof(*statsr->rate_limited));
    for (uint32_t i = 0; statsr->rate_limited && i < st->n_rate_limited &&
                         i < CL_RATE_LIMITED_MAX;
         i++) {
        Caselink__RateLimited *m = cl_wire_alloc(s, sizeof(*m));
        if (!m)
            break;
        caselink__rate_limited__init(m);
        m->client = S_S(st->rate_limited[i].client);
        m->kind = S_S(st->rate_limited[i].kind);
        m->refused = st->rate_limited[i].refused;
        statsr->rate_limited[statsr->n_rate_limited++] = m;
    }
    statsr->replication = s_repl_out(s, &st->repl);
    return &statsr->base;
}

/* Reply.backup for admin_backup. */
ProtobufCMessage *cl_wire_out_BACKUP(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__BackupResult *backupr = cl_wire_alloc(s, sizeof(*backupr));
    if (!backupr)
        return NULL;
    caselink__backup_result__init(backupr);
    backupr->path = S_S(rep->u.backup.path);
    backupr->bytes = rep->u.backup.bytes;
    return &backupr->base;
}

/* Reply.key_status for admin_rotate_key, admin_key_status, admin_retire_key. */
ProtobufCMessage *cl_wire_out_KEY_STATUS(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    Caselink__KeyStatusResult *keyr = cl_wire_alloc(s, sizeof(*keyr));
    if (!keyr)
        return NULL;
    caselink__key_status_result__init(keyr);
    const cl_key_status *ks = &rep->u.key_status;
    Caselink__KeyVersionCount **kv =
        cl_wire_alloc(s, CL_KEY_VERSIONS_MAX * sizeof(*kv));
    for (uint32_t i = 0; kv && i < ks->n_versions && i < CL_KEY_VERSIONS_MAX;
         i++) {
        Caselink__KeyVersionCount *c = cl_wire_alloc(s, sizeof(*c));
        if (!c)
            break;
        caselink__key_version_count__init(c);
        c->version = ks->versions[i].version;
        c->values = ks->versions[i].values;
        c->retired = ks->versions[i].retired;
        kv[keyr->n_versions++] = c;
    }
    keyr->versions = kv;
    keyr->current = ks->current;
    keyr->pending = ks->pending;
    return &keyr->base;
}

/* Reply.link_info into the model. */
int cl_wire_in_LINK_INFO(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_LINK_ADMIN;
    s_link_info_in(&out->u.link_info, r->link_info);
    return CL_OK;
}

/* Reply.stats into the model. */
int cl_wire_in_STATS(cl_reply *out, const Caselink__Reply *r)
{
    const Caselink__StatsResult *st = r->stats;
    cl_stats *o = &out->u.stats;
    out->kind = CL_REQ_ADMIN_STATS;
    for (size_t i = 0; i < st->n_requests && i < CL_STATS_MAX; i++) {
        CL_COPY(o->counts[o->n_counts].kind, st->requests[i]->kind);
        o->counts[o->n_counts].status = (uint8_t)st->requests[i]->status;
        o->counts[o->n_counts++].count = st->requests[i]->count;
    }
    o->uptime_s = st->uptime_seconds;
    o->commits = st->commits;
    o->batch_mean_x100 = st->batch_mean_x100;
    o->batch_max = st->batch_max;
    o->commit_p50_us = st->commit_p50_us;
    o->commit_p99_us = st->commit_p99_us;
    o->commit_max_us = st->commit_max_us;
    o->store_bytes = st->store_bytes;
    o->map_bytes = st->map_bytes;
    o->persons = st->persons;
    o->referrals = st->referrals;
    o->audit_entries = st->audit_entries;
    o->key_version = st->key_version;
    o->refused_connections = st->refused_connections;
    o->relink_running = st->relink_running;
    o->relink_done = st->relink_done;
    o->relink_total = st->relink_total;
    o->relink_merged = st->relink_merged;
    o->relink_queued = st->relink_queued;
    o->weights_trained = st->weights_trained;
    for (size_t i = 0; i < st->n_mailboxes && i < CL_MAILBOXES_MAX; i++) {
        CL_COPY(o->mailboxes[o->n_mailboxes].agency, st->mailboxes[i]->agency);
        o->mailboxes[o->n_mailboxes++].depth = st->mailboxes[i]->depth;
    }
    for (size_t i = 0; i < st->n_rate_limited && i < CL_RATE_LIMITED_MAX; i++) {
        cl_rate_limited *x = &o->rate_limited[o->n_rate_limited++];
        CL_COPY(x->client, st->rate_limited[i]->client);
        CL_COPY(x->kind, st->rate_limited[i]->kind);
        x->refused = st->rate_limited[i]->refused;
    }
    s_repl_in(&o->repl, st->replication);
    return CL_OK;
}

/* Reply.promote into the model. */
int cl_wire_in_PROMOTE(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_ADMIN_PROMOTE;
    s_repl_in(&out->u.promote, r->promote);
    return CL_OK;
}

/* Reply.backup into the model. */
int cl_wire_in_BACKUP(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_ADMIN_BACKUP;
    CL_COPY(out->u.backup.path, r->backup->path);
    out->u.backup.bytes = r->backup->bytes;
    return CL_OK;
}

/* Reply.key_status into the model. */
int cl_wire_in_KEY_STATUS(cl_reply *out, const Caselink__Reply *r)
{
    const Caselink__KeyStatusResult *ks = r->key_status;
    cl_key_status *o = &out->u.key_status;
    out->kind = CL_REQ_ADMIN_KEY_STATUS;
    o->current = ks->current;
    o->pending = ks->pending;
    for (size_t i = 0; i < ks->n_versions && i < CL_KEY_VERSIONS_MAX; i++) {
        o->versions[o->n_versions].version = ks->versions[i]->version;
        o->versions[o->n_versions].values = ks->versions[i]->values;
        o->versions[o->n_versions++].retired = ks->versions[i]->retired;
    }
    return CL_OK;
}

/* Reply.health into the model. */
int cl_wire_in_HEALTH(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_HEALTH;
    CL_COPY(out->u.health.version, r->health->version);
    out->u.health.uptime_s = r->health->uptime_seconds;
    out->u.health.persons = r->health->persons;
    out->u.health.referrals = r->health->referrals;
    out->u.health.store_bytes = r->health->store_bytes;
    s_repl_in(&out->u.health.repl, r->health->replication);
    return CL_OK;
}

/* --- the id a write returns ---------------------------------------------- */

/* Which PublishResult field names the id each kind returns (the def's id
 * column; "none": only the deprecated reference, which carries the same
 * value for protocol version 1). */
static const char *const s_created[CL_REQ_KIND_COUNT] = {
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = #id,
#include "cl_requests.def"
#undef CL_REQ
};

/* The id's own field for kind, or NULL. */
static const ProtobufCFieldDescriptor *s_created_field(cl_req_kind kind)
{
    if ((unsigned)kind >= CL_REQ_KIND_COUNT || !s_created[kind] ||
        !strcmp(s_created[kind], "none"))
        return NULL;
    return protobuf_c_message_descriptor_get_field_by_name(
        &caselink__publish_result__descriptor, s_created[kind]);
}

static void s_created_out(Caselink__PublishResult *pub, cl_req_kind kind,
                          const char *id)
{
    const ProtobufCFieldDescriptor *fd = s_created_field(kind);
    pub->reference = S_S(id);
    if (fd)
        *(char **)((uint8_t *)pub + fd->offset) = S_S(id);
}

/* True if some kind returns its id in PublishResult field name. */
static bool s_created_named(const char *name)
{
    for (int k = CL_REQ_NONE + 1; k < CL_REQ_KIND_COUNT; k++)
        if (!strcmp(s_created[k], name))
            return true;
    return false;
}

/* The id a reply names: its named field (the first set, in the schema's
 * order), or the deprecated reference from a daemon older than the named
 * fields. */
static const char *s_created_in(const Caselink__PublishResult *pub)
{
    const ProtobufCMessageDescriptor *d = pub->base.descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        if (fd->type != PROTOBUF_C_TYPE_STRING ||
            fd->label == PROTOBUF_C_LABEL_REPEATED ||
            !s_created_named(fd->name))
            continue;
        const char *v = *(char *const *)((const uint8_t *)pub + fd->offset);
        if (v && v[0])
            return v;
    }
    return pub->reference ? pub->reference : "";
}

/* --- the two results every family shares ---------------------------------- */

/* Reply.publish for every write: the id it made or changed in its own
 * field (s_created) and in the deprecated reference; warnings, the
 * "known to an MDT" note and a flag only ever come with a publish. */
ProtobufCMessage *cl_wire_out_PUBLISH(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__PublishResult *pub = cl_wire_alloc(s, sizeof(*pub));
    if (!pub)
        return NULL;
    caselink__publish_result__init(pub);
    char **warnings = cl_wire_alloc(s, CL_WARNINGS_MAX * sizeof(char *));
    if (!warnings)
        return NULL;
    s_created_out(pub, rep->kind, rep->u.publish.reference);
    pub->n_warnings = rep->u.publish.n_warnings < CL_WARNINGS_MAX
                          ? rep->u.publish.n_warnings
                          : CL_WARNINGS_MAX;
    for (size_t i = 0; i < pub->n_warnings; i++)
        warnings[i] = S_S(rep->u.publish.warnings[i]);
    pub->warnings = warnings;
    pub->known_to_mdt = rep->u.publish.known_to_mdt;
    if (rep->u.publish.flag.n &&
        !(pub->flag = cl_wire_flag_result_out(s, &rep->u.publish.flag)))
        return NULL;
    return &pub->base;
}

/* Reply.subject_access for subject_access. */
ProtobufCMessage *cl_wire_out_SUBJECT_ACCESS(cl_wire_scratch *s,
                                             const cl_reply *rep)
{
    Caselink__SubjectAccessResult *sar = cl_wire_alloc(s, sizeof(*sar));
    if (!sar)
        return NULL;
    caselink__subject_access_result__init(sar);
    const cl_subject_access *sa = &rep->u.subject;
    sar->person = cl_wire_view_out(s, &sa->person);
    sar->audit = cl_wire_entries_out(s, &sa->audit);
    sar->n_audit = sa->audit.n;
    sar->history = cl_wire_alloc(s, sa->n_history * sizeof(void *));
    for (size_t i = 0; sar->history && i < sa->n_history; i++) {
        const cl_referral_version *h = &sa->history[i];
        Caselink__ReferralVersion *hv = cl_wire_alloc(s, sizeof(*hv));
        if (!hv)
            break;
        caselink__referral_version__init(hv);
        hv->reference = S_S(h->reference);
        hv->version = h->version;
        hv->replaced_at = h->replaced_at;
        hv->change = S_S(h->change);
        hv->reason = S_S(h->reason);
        hv->by = S_S(h->by);
        hv->referral = cl_wire_referral_view_out(s, &h->referral);
        sar->history[sar->n_history++] = hv;
    }
    sar->agenda = cl_wire_alloc(s, (sa->n_agenda + 1) * sizeof(void *));
    for (size_t i = 0; sar->agenda && i < sa->n_agenda; i++) {
        const cl_sar_agenda *a = &sa->agenda[i];
        Caselink__AgendaPlace *ap = cl_wire_alloc(s, sizeof(*ap));
        if (!ap)
            break;
        caselink__agenda_place__init(ap);
        ap->review_id = S_S(a->review_id);
        ap->date = S_S(a->date);
        ap->title = S_S(a->title);
        ap->reason = (Caselink__AgendaReason)a->reason;
        ap->note = S_S(a->note);
        ap->discussion = S_S(a->discussion);
        ap->decisions = S_S(a->decisions);
        ap->discussed_at = a->discussed_at;
        ap->discussed_by = S_S(a->discussed_by);
        sar->agenda[sar->n_agenda++] = ap;
    }
    sar->actions = cl_wire_actions_out(s, &sa->actions, &sar->n_actions);
    sar->rag = cl_wire_alloc(s, (sa->rag.n + 1) * sizeof(void *));
    for (size_t i = 0; sar->rag && i < sa->rag.n; i++)
        if ((sar->rag[sar->n_rag] = cl_wire_rag_out(s, &sa->rag.v[i])) != NULL)
            sar->n_rag++;
    sar->measures = cl_wire_alloc(s, (sa->n_measures + 1) * sizeof(void *));
    for (size_t i = 0; sar->measures && i < sa->n_measures; i++) {
        Caselink__MeasureValue *mv = cl_wire_alloc(s, sizeof(*mv));
        if (!mv)
            break;
        caselink__measure_value__init(mv);
        mv->name = S_S(sa->measures[i].name);
        mv->period = S_S(sa->measures[i].period);
        mv->value = sa->measures[i].value;
        sar->measures[sar->n_measures++] = mv;
    }
    sar->requests = cl_wire_alloc(s, (sa->requests.n + 1) * sizeof(void *));
    for (size_t i = 0; sar->requests && i < sa->requests.n; i++)
        if ((sar->requests[sar->n_requests] =
                 cl_wire_summary_out(s, &sa->requests.v[i])) != NULL)
            sar->n_requests++;
    sar->intake = cl_wire_alloc(s, (sa->intake.n + 1) * sizeof(void *));
    for (size_t i = 0; sar->intake && i < sa->intake.n; i++)
        if ((sar->intake[sar->n_intake] =
                 cl_wire_intake_out(s, &sa->intake.v[i])) != NULL)
            sar->n_intake++;
    if (sa->held) {
        Caselink__HoldState *hs = cl_wire_alloc(s, sizeof(*hs));
        if (hs) {
            caselink__hold_state__init(hs);
            hs->at = sa->hold_at;
            hs->by = S_S(sa->hold_by);
            hs->reason = S_S(sa->hold_reason);
            sar->hold = hs;
        }
    }
    return &sar->base;
}

/* Reply.publish into the model. */
int cl_wire_in_PUBLISH(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_PUBLISH_REFERRAL;
    CL_COPY(out->u.publish.reference, s_created_in(r->publish));
    for (size_t i = 0; i < r->publish->n_warnings && i < CL_WARNINGS_MAX; i++)
        CL_COPY(out->u.publish.warnings[out->u.publish.n_warnings++],
                r->publish->warnings[i]);
    out->u.publish.known_to_mdt = r->publish->known_to_mdt;
    cl_wire_flag_result_in(&out->u.publish.flag, r->publish->flag);
    return CL_OK;
}

/* Reply.subject_access into the model. */
int cl_wire_in_SUBJECT_ACCESS(cl_reply *out, const Caselink__Reply *r)
{
    int rc;
    const Caselink__SubjectAccessResult *sa = r->subject_access;
    cl_subject_access *o = &out->u.subject;
    out->kind = CL_REQ_SUBJECT_ACCESS;
    o->history = calloc(sa->n_history + 1, sizeof(*o->history));
    if (!o->history) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < sa->n_history; i++) {
        cl_referral_version *h = &o->history[o->n_history++];
        CL_COPY(h->reference, sa->history[i]->reference);
        h->version = sa->history[i]->version;
        h->replaced_at = sa->history[i]->replaced_at;
        CL_COPY(h->change, sa->history[i]->change);
        CL_COPY(h->reason, sa->history[i]->reason);
        CL_COPY(h->by, sa->history[i]->by);
        cl_wire_referral_view_in(&h->referral, sa->history[i]->referral);
    }
    if (sa->person && (rc = cl_wire_view_in(&o->person, sa->person)) != CL_OK)
        return rc;
    if ((rc = cl_wire_entries_in(&o->audit, sa->audit, sa->n_audit)) != CL_OK)
        return rc;
    o->agenda = calloc(sa->n_agenda + 1, sizeof(*o->agenda));
    o->measures = calloc(sa->n_measures + 1, sizeof(*o->measures));
    o->rag.v = calloc(sa->n_rag + 1, sizeof(*o->rag.v));
    o->requests.v = calloc(sa->n_requests + 1, sizeof(*o->requests.v));
    if (!o->agenda || !o->measures || !o->rag.v || !o->requests.v) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < sa->n_agenda; i++) {
        const Caselink__AgendaPlace *ap = sa->agenda[i];
        cl_sar_agenda *a = &o->agenda[o->n_agenda++];
        CL_COPY(a->review_id, ap->review_id);
        CL_COPY(a->date, ap->date);
        CL_COPY(a->title, ap->title);
        a->reason = (uint8_t)ap->reason;
        CL_COPY(a->note, ap->note);
        CL_COPY(a->discussion, ap->discussion);
        CL_COPY(a->decisions, ap->decisions);
        a->discussed_at = ap->discussed_at;
        CL_COPY(a->discussed_by, ap->discussed_by);
    }
    if ((rc = cl_wire_actions_in(&o->actions, sa->actions, sa->n_actions)) !=
        CL_OK)
        return rc;
    for (size_t i = 0; i < sa->n_rag; i++)
        cl_wire_rag_in(&o->rag.v[o->rag.n++], sa->rag[i]);
    for (size_t i = 0; i < sa->n_measures; i++) {
        cl_measure_value *m = &o->measures[o->n_measures++];
        CL_COPY(m->name, sa->measures[i]->name);
        CL_COPY(m->period, sa->measures[i]->period);
        m->value = sa->measures[i]->value;
    }
    for (size_t i = 0; i < sa->n_requests; i++)
        cl_wire_summary_in(&o->requests.v[o->requests.n++], sa->requests[i]);
    if (!(o->intake.v = calloc(sa->n_intake + 1, sizeof(*o->intake.v)))) {
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < sa->n_intake; i++)
        cl_wire_intake_in(&o->intake.v[o->intake.n++], sa->intake[i]);
    if (sa->hold) {
        o->held = true;
        o->hold_at = sa->hold->at;
        CL_COPY(o->hold_by, sa->hold->by);
        CL_COPY(o->hold_reason, sa->hold->reason);
    }
    return CL_OK;
}
/* --- dispatch ------------------------------------------------------------- */

/* Each kind's Reply result, its builder and its reader. */
static const struct {
    Caselink__Reply__ResultCase result;
    ProtobufCMessage *(*out)(cl_wire_scratch *s, const cl_reply *rep);
    int (*in)(cl_reply *out, const Caselink__Reply *r);
} s_results[CL_REQ_KIND_COUNT] = {
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = {CASELINK__REPLY__RESULT_##RESULT, cl_wire_out_##RESULT, \
                       cl_wire_in_##RESULT},
#include "cl_requests.def"
#undef CL_REQ
};

int cl_wire_encode_reply(uint8_t **out, size_t *out_len, const cl_reply *rep)
{
    int rc = CL_ERR_NOMEM;
    cl_wire_scratch s = {0};
    Caselink__Reply r = CASELINK__REPLY__INIT;

    r.message_id.data = (uint8_t *)rep->msgid;
    r.message_id.len = rep->msgid_unread ? 0 : CL_MSGID_LEN;
    r.status = (Caselink__Status)rep->status;
    r.original_status = (Caselink__Status)rep->original_status;
    r.error = S_S(rep->error);
    if ((unsigned)rep->kind < CL_REQ_KIND_COUNT && rep->kind != CL_REQ_NONE) {
        Caselink__Reply__ResultCase rc_ = s_results[rep->kind].result;
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field(
                &caselink__reply__descriptor, (unsigned)rc_);
        ProtobufCMessage *m = s_results[rep->kind].out(&s, rep);
        if (m && fd) { /* NULL: no result (a single node's promote) */
            r.result_case = rc_;
            *(ProtobufCMessage **)((uint8_t *)&r + fd->offset) = m;
        }
    }
    if (s.failed)
        goto out;
    rc = cl_wire_pack(out, out_len, &r.base);
out:
    cl_wire_scratch_free(&s);
    return rc;
}

int cl_wire_decode_reply(cl_reply *out, const uint8_t *buf, size_t len)
{
    int rc = CL_ERR_PROTOCOL;
    Caselink__Reply *r = NULL;

    memset(out, 0, sizeof(*out));
    if (len > CL_WIRE_MAX_REPLY)
        return CL_ERR_PROTOCOL;
    r = caselink__reply__unpack(NULL, len, buf);
    if (!r)
        return CL_ERR_PROTOCOL;
    if (r->message_id.len == CL_MSGID_LEN)
        memcpy(out->msgid, r->message_id.data, CL_MSGID_LEN);
    else
        out->msgid_unread = true;
    out->status = (cl_status)r->status;
    out->original_status = (cl_status)r->original_status;
    CL_COPY(out->error, r->error);
    rc = CL_OK;
    for (int k = CL_REQ_NONE + 1; k < CL_REQ_KIND_COUNT; k++)
        if (r->result_case && s_results[k].result == r->result_case) {
            rc = s_results[k].in(out, r);
            break;
        }
    if (rc != CL_OK)
        cl_reply_clear(out);
    caselink__reply__free_unpacked(r, NULL);
    return rc;
}

int cl_wire_reply_as_duplicate(uint8_t **out, size_t *out_len,
                               const uint8_t *stored, size_t stored_len)
{
    Caselink__Reply *r = caselink__reply__unpack(NULL, stored_len, stored);
    if (!r)
        return CL_ERR_CORRUPT;
    r->original_status = r->status;
    r->status = CASELINK__STATUS__STATUS_DUPLICATE;
    int rc = cl_wire_pack(out, out_len, &r->base);
    caselink__reply__free_unpacked(r, NULL);
    return rc;
}

cl_status cl_wire_status(int err)
{
    switch (err) {
    case CL_OK:
        return CL_STATUS_OK;
    case CL_ERR_INVALID:
    case CL_ERR_PROTOCOL:
        return CL_STATUS_INVALID;
    case CL_ERR_DENIED:
        return CL_STATUS_DENIED;
    case CL_ERR_NOT_FOUND:
        return CL_STATUS_NOT_FOUND;
    case CL_ERR_BUSY:
    case CL_ERR_FULL:
    case CL_ERR_MAILBOX:
        return CL_STATUS_BUSY;
    case CL_ERR_INACTIVE:
        return CL_STATUS_NOT_ACTIVE;
    default:
        return CL_STATUS_INTERNAL;
    }
}

/* Each kind's name, from its row of cl_requests.def. */
static const char *const s_kind_names[CL_REQ_KIND_COUNT] = {
    [CL_REQ_NONE] = "none",
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = #name,
#include "cl_requests.def"
#undef CL_REQ
};

const char *cl_wire_kind_name(cl_req_kind kind)
{
    return (unsigned)kind < CL_REQ_KIND_COUNT ? s_kind_names[kind] : "none";
}
