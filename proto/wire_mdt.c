/*
 * wire_mdt: replies of the MDT family, protobuf <-> model: actions,
 * RAG ratings, derived measures, the report and the review pack.
 * Encoding points into the model (wire_int.h); decoding copies, truncating
 * over-long strings (replies come from the daemon, which stores only
 * validated values).
 */
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cl_wire_field s_change_rows[] = {
    CL_WF_NUM_(cl_action_change, "at", at),
    CL_WF_STR_(cl_action_change, "agency", agency),
    CL_WF_STR_(cl_action_change, "user", user),
    CL_WF_ENUM_(cl_action_change, "status", status, UINT8_MAX),
    CL_WF_STR_(cl_action_change, "note", note),
    CL_WF_END_,
};

static const cl_wire_field s_action_rows[] = {
    CL_WF_STR_(cl_action, "action_id", action_id),
    CL_WF_STR_(cl_action, "review_id", review_id),
    CL_WF_STR_(cl_action, "person_id", person_id),
    CL_WF_STR_(cl_action, "text", text),
    CL_WF_STR_(cl_action, "owner_name", owner_name),
    CL_WF_STR_(cl_action, "owner_agency", owner_agency),
    CL_WF_STR_(cl_action, "due_date", due),
    CL_WF_ENUM_(cl_action, "status", status, UINT8_MAX),
    CL_WF_BOOL_(cl_action, "overdue", overdue),
    CL_WF_NUM_(cl_action, "created_at", created_at),
    CL_WF_NUM_(cl_action, "updated_at", updated_at),
    CL_WF_STR_(cl_action, "note", note),
    CL_WF_LIST_(cl_action, "changes", changes, n_changes, s_change_rows),
    CL_WF_END_,
};

static Caselink__ActionView *s_action_out(cl_wire_scratch *s,
                                          const cl_action *a)
{
    return (Caselink__ActionView *)cl_wire_msg_out(
        s, &caselink__action_view__descriptor, a, s_action_rows);
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

static const cl_wire_field s_rag_rows[] = {
    CL_WF_STR_(cl_rag_entry, "subject", subject),
    CL_WF_ENUM_(cl_rag_entry, "rating", rating, UINT8_MAX),
    CL_WF_STR_(cl_rag_entry, "note", note),
    CL_WF_NUM_(cl_rag_entry, "at", at),
    CL_WF_STR_(cl_rag_entry, "by", by),
    CL_WF_STR_(cl_rag_entry, "by_user", by_user),
    CL_WF_END_,
};

Caselink__RagEntry *cl_wire_rag_out(cl_wire_scratch *s, const cl_rag_entry *e)
{
    return (Caselink__RagEntry *)cl_wire_msg_out(
        s, &caselink__rag_entry__descriptor, e, s_rag_rows);
}

static const cl_wire_field s_period_rows[] = {
    CL_WF_STR_(cl_period_value, "period", period),
    CL_WF_DBL_(cl_period_value, "total", total),
    CL_WF_NUM_(cl_period_value, "people", people),
    CL_WF_END_,
};

static const cl_wire_field s_measure_rows[] = {
    CL_WF_STR_(cl_measure_summary, "name", name),
    CL_WF_STR_(cl_measure_summary, "baseline_from", from),
    CL_WF_STR_(cl_measure_summary, "baseline_to", to),
    CL_WF_DBL_(cl_measure_summary, "baseline_monthly", baseline_monthly),
    CL_WF_NUM_(cl_measure_summary, "baseline_people", baseline_people),
    CL_WF_LIST_(cl_measure_summary, "periods", periods, n_periods,
                s_period_rows),
    CL_WF_BOOL_(cl_measure_summary, "has_values", has_values),
    CL_WF_STR_(cl_measure_summary, "source", source),
    CL_WF_ENUM_(cl_measure_summary, "category", category, UINT8_MAX),
    CL_WF_STR_(cl_measure_summary, "agency_kind", agency_kind),
    CL_WF_END_,
};

static Caselink__MeasureSummary *s_measure_out(cl_wire_scratch *s,
                                               const cl_measure_summary *ms)
{
    return (Caselink__MeasureSummary *)cl_wire_msg_out(
        s, &caselink__measure_summary__descriptor, ms, s_measure_rows);
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
    (void)cl_wire_fields_copy(a, &x->base, s_action_rows);
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
    if (x)
        (void)cl_wire_fields_copy(e, &x->base, s_rag_rows);
}

static void s_measure_in(cl_measure_summary *ms,
                         const Caselink__MeasureSummary *m)
{
    memset(ms, 0, sizeof(*ms));
    (void)cl_wire_fields_copy(ms, &m->base, s_measure_rows);
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
static const cl_wire_field s_mdt_row_rows[] = {
    CL_WF_STR_(cl_mdt_row, "review_id", review_id),
    CL_WF_STR_(cl_mdt_row, "date", date),
    CL_WF_STR_(cl_mdt_row, "title", title),
    CL_WF_STRS_(cl_mdt_row, "agencies", agencies, n_agencies),
    CL_WF_NUM_(cl_mdt_row, "people", people),
    CL_WF_NUM_(cl_mdt_row, "discussed", discussed),
    CL_WF_NUM_(cl_mdt_row, "actions_open", actions_open),
    CL_WF_NUM_(cl_mdt_row, "actions_overdue", actions_overdue),
    CL_WF_NUM_(cl_mdt_row, "actions_closed", actions_closed),
    CL_WF_END_,
};

static const cl_wire_field s_mdt_rows_rows[] = {
    CL_WF_OWNED_(cl_reply, "reviews", u.mdt_rows.v, u.mdt_rows.n,
                 s_mdt_row_rows),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_MDT_ROWS(cl_wire_scratch *s, const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__mdt_rows__descriptor, rep,
                           s_mdt_rows_rows);
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
    if (!o->v)
        return CL_ERR_NOMEM;
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
    out->kind = CL_REQ_MDT_LIST;
    return cl_wire_fields_copy(out, &r->mdt_rows->base, s_mdt_rows_rows);
}
