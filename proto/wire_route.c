/*
 * wire_route: replies of the routing family, protobuf <-> model:
 * deliveries, information requests, feeds, intake items, flags.
 * Encoding points into the model (wire_int.h); decoding copies, truncating
 * over-long strings (replies come from the daemon, which stores only
 * validated values).
 */
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        const cl_request_state *qa = &q->agencies[j];
        a->earlier = cl_wire_alloc(s, (qa->n_earlier + 1) * sizeof(void *));
        for (uint32_t k = 0; a->earlier && k < qa->n_earlier; k++)
            if ((a->earlier[a->n_earlier] =
                     s_response_out(s, &qa->earlier[k])) != NULL)
                a->n_earlier++;
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

static void s_response_in(cl_info_response *x,
                          const Caselink__InformationResponse *r);

/* --- deliveries ----------------------------------------------------------- */

/* Rows are relative to the whole cl_delivery: m is a path inside its u. */
#define D_STR(name, m)       CL_WF_STR_(cl_delivery, name, u.m)
#define D_NUM(name, m)       CL_WF_NUM_(cl_delivery, name, u.m)
#define D_BOOL(name, m)      CL_WF_BOOL_(cl_delivery, name, u.m)
#define D_ENUM(name, m, max) CL_WF_ENUM_(cl_delivery, name, u.m, max)

static const cl_wire_field s_alert_referrer[] = {
    D_STR("name", alert.referrer_name),
    D_STR("role", alert.referrer_role),
    CL_WF_END_,
};

static const cl_wire_field s_alert[] = {
    D_STR("reference", alert.reference),
    D_STR("plan_reference", alert.plan_ref),
    D_STR("child_person_id", alert.child_pid),
    D_STR("child_given_names", alert.child_given),
    D_STR("child_family_name", alert.child_family),
    D_STR("child_date_of_birth", alert.child_dob),
    D_STR("subject_is", alert.subject_is),
    D_STR("subject_person_id", alert.subject_pid),
    D_STR("subject_given_names", alert.subject_given),
    D_STR("subject_family_name", alert.subject_family),
    D_STR("subject_date_of_birth", alert.subject_dob),
    D_BOOL("flag_shown", alert.flag_shown),
    D_STR("reporting_agency", alert.agency),
    CL_WF_SUB_("referrer", s_alert_referrer),
    D_ENUM("category", alert.category, CL_CAT_MAX),
    D_ENUM("risk", alert.risk, CL_RISK_MAX),
    D_STR("concern", alert.concern),
    D_NUM("occurred_at", alert.occurred_at),
    D_NUM("received_at", alert.received_at),
    D_ENUM("plan_type", alert.plan_type, CL_PLAN_TYPE_MAX),
    CL_WF_END_,
};

static const cl_wire_field s_request_msg[] = {
    D_STR("request_id", request.request_id),
    D_STR("from_agency", request.from_agency),
    D_STR("person_id", request.person_id),
    CL_WF_NESTED_(cl_delivery, "person", u.request.person, &cl_wire_person),
    D_STR("due_date", request.due),
    D_STR("question", request.question),
    D_STR("review_id", request.review_id),
    CL_WF_END_,
};

static const cl_wire_field s_status_msg[] = {
    D_STR("reference", status.reference),
    D_STR("agency_reference", status.agency_ref),
    D_ENUM("status", status.status, CL_REFSTAT_MAX),
    D_STR("reason", status.reason),
    D_ENUM("outcome", status.outcome, CL_OUTCOME_MAX),
    D_STR("by", status.by),
    D_NUM("at", status.at),
    CL_WF_END_,
};

static const cl_wire_field s_action_msg[] = {
    D_STR("event", action.event),
    D_STR("action_id", action.action_id),
    D_STR("review_id", action.review_id),
    D_STR("person_id", action.person_id),
    D_STR("given_names", action.given),
    D_STR("family_name", action.family),
    D_STR("date_of_birth", action.dob),
    D_STR("text", action.text),
    D_STR("owner_name", action.owner_name),
    D_STR("owner_agency", action.owner_agency),
    D_STR("due_date", action.due),
    D_ENUM("status", action.status, CL_ACTION_STATUS_MAX),
    D_STR("note", action.note),
    D_STR("by_agency", action.by_agency),
    D_STR("by_user", action.by_user),
    CL_WF_END_,
};

static const cl_wire_field s_feed_msg[] = {
    D_STR("agency", feed.agency),
    D_STR("feed", feed.feed),
    D_STR("problem", feed.problem),
    D_NUM("expected_seq", feed.expected),
    D_NUM("received_seq", feed.received),
    D_NUM("last_at", feed.last_at),
    CL_WF_END_,
};

static const cl_wire_field s_retraction_msg[] = {
    D_STR("reference", retraction.reference),
    D_STR("agency", retraction.agency),
    D_STR("plan_reference", retraction.plan_ref),
    D_STR("reason", retraction.reason),
    D_NUM("withdrawn_at", retraction.at),
    CL_WF_END_,
};

static const cl_wire_field s_governance_msg[] = {
    D_STR("event", governance.event),
    D_STR("agency", governance.agency),
    D_STR("client", governance.client),
    D_STR("reference", governance.reference),
    D_STR("person_id", governance.person_id),
    D_STR("detail", governance.detail),
    D_NUM("at", governance.at),
    CL_WF_END_,
};

static const cl_wire_field s_flag_msg[] = {
    D_STR("plan_id", flag.plan_id),
    D_STR("plan_reference", flag.plan_ref),
    D_STR("child_person_id", flag.child_pid),
    D_STR("child_given_names", flag.child_given),
    D_STR("child_family_name", flag.child_family),
    D_STR("person_id", flag.person_pid),
    D_STR("person_is", flag.person_is),
    D_STR("agency", flag.agency),
    D_STR("client", flag.client),
    D_STR("user_id", flag.user_id),
    D_STR("user_name", flag.user_name),
    D_STR("user_role", flag.user_role),
    D_STR("context", flag.context),
    D_NUM("count", flag.count),
    D_NUM("first_at", flag.first_at),
    D_NUM("last_at", flag.last_at),
    CL_WF_END_,
};

/* The two items with a mapping of their own elsewhere. */
static ProtobufCMessage *s_response_item_out(cl_wire_scratch *s,
                                             const void *model)
{
    return (ProtobufCMessage *)s_response_out(s, model);
}

static void s_response_item_in(void *model, const ProtobufCMessage *m)
{
    s_response_in(model, (const Caselink__InformationResponse *)m);
}

static ProtobufCMessage *s_intake_item_out(cl_wire_scratch *s,
                                           const void *model)
{
    return (ProtobufCMessage *)cl_wire_intake_out(s, model);
}

static void s_intake_item_in(void *model, const ProtobufCMessage *m)
{
    cl_wire_intake_in(model, (const Caselink__IntakeItem *)m);
}

static const cl_wire_nested s_response_item = {NULL, s_response_item_out,
                                               s_response_item_in};
static const cl_wire_nested s_intake_item = {NULL, s_intake_item_out,
                                             s_intake_item_in};

/* One row per kind of delivery: its Delivery item, and its fields' rows
 * (or a whole-item mapping). */
static const struct {
    uint8_t kind;                      /* CL_DLV_* */
    Caselink__Delivery__ItemCase item; /* which item it travels as */
    const cl_wire_field *rows;
    const cl_wire_nested *whole; /* the item mapped by hand, at u */
} s_items[] = {
    {CL_DLV_ALERT, CASELINK__DELIVERY__ITEM_ALERT, s_alert, NULL},
    {CL_DLV_REQUEST, CASELINK__DELIVERY__ITEM_REQUEST, s_request_msg, NULL},
    {CL_DLV_RESPONSE, CASELINK__DELIVERY__ITEM_RESPONSE, NULL,
     &s_response_item},
    {CL_DLV_STATUS, CASELINK__DELIVERY__ITEM_STATUS, s_status_msg, NULL},
    {CL_DLV_INTAKE, CASELINK__DELIVERY__ITEM_INTAKE, NULL, &s_intake_item},
    {CL_DLV_ACTION, CASELINK__DELIVERY__ITEM_ACTION, s_action_msg, NULL},
    {CL_DLV_FEED, CASELINK__DELIVERY__ITEM_FEED, s_feed_msg, NULL},
    {CL_DLV_RETRACTION, CASELINK__DELIVERY__ITEM_RETRACTION, s_retraction_msg,
     NULL},
    {CL_DLV_GOVERNANCE, CASELINK__DELIVERY__ITEM_GOVERNANCE, s_governance_msg,
     NULL},
    {CL_DLV_FLAG, CASELINK__DELIVERY__ITEM_FLAG, s_flag_msg, NULL},
};

#define S_N_ITEMS (sizeof(s_items) / sizeof(s_items[0]))

/* The item's slot in a Delivery. */
static const ProtobufCFieldDescriptor *s_item_field(size_t i)
{
    return protobuf_c_message_descriptor_get_field(
        &caselink__delivery__descriptor, (unsigned)s_items[i].item);
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
    for (size_t i = 0; i < S_N_ITEMS; i++) {
        const ProtobufCFieldDescriptor *fd = s_item_field(i);
        if (s_items[i].kind != d->kind || !fd)
            continue;
        ProtobufCMessage *m =
            s_items[i].whole
                ? s_items[i].whole->out(s, &d->u)
                : cl_wire_msg_out(s, fd->descriptor, d, s_items[i].rows);
        if (!m)
            return NULL;
        *(ProtobufCMessage **)((uint8_t *)p + fd->offset) = m;
        p->item_case = s_items[i].item;
        break;
    }
    return p;
}

static void s_delivery_in(cl_delivery *d, const Caselink__Delivery *p)
{
    memset(d, 0, sizeof(*d));
    d->seq = p->seq;
    d->at = p->created_at;
    for (size_t i = 0; i < S_N_ITEMS; i++) {
        const ProtobufCFieldDescriptor *fd = s_item_field(i);
        if (s_items[i].item != p->item_case || !fd)
            continue;
        const ProtobufCMessage *m =
            *(ProtobufCMessage *const *)((const uint8_t *)p + fd->offset);
        d->kind = s_items[i].kind;
        if (s_items[i].whole)
            s_items[i].whole->copy(&d->u, m);
        else
            cl_wire_fields_copy(d, m, s_items[i].rows);
        break;
    }
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
        size_t ne = x->agencies[j]->n_earlier;
        if (ne && (a->earlier = calloc(ne, sizeof(*a->earlier))) != NULL)
            for (size_t k = 0; k < ne; k++)
                s_response_in(&a->earlier[a->n_earlier++],
                              x->agencies[j]->earlier[k]);
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
static const cl_wire_field s_ack_rows[] = {
    CL_WF_NUM_(cl_reply, "removed", u.ack.removed),
    CL_WF_NUM_(cl_reply, "depth", u.ack.depth),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_ACK(cl_wire_scratch *s, const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__ack_result__descriptor, rep,
                           s_ack_rows);
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
    if (!o->v)
        return CL_ERR_NOMEM;
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
    if (!o->v)
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < r->deliveries->n_deliveries; i++)
        s_delivery_in(&o->v[o->n++], r->deliveries->deliveries[i]);
    o->depth = r->deliveries->depth;
    return CL_OK;
}

/* Reply.ack into the model. */
int cl_wire_in_ACK(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_INBOX_ACK;
    cl_wire_fields_copy(out, &r->ack->base, s_ack_rows);
    return CL_OK;
}

/* Reply.requests into the model. */
int cl_wire_in_REQUESTS(cl_reply *out, const Caselink__Reply *r)
{
    cl_request_summaries *o = &out->u.requests;
    out->kind = CL_REQ_REQUEST_LIST;
    o->v = calloc(r->requests->n_requests + 1, sizeof(*o->v));
    if (!o->v)
        return CL_ERR_NOMEM;
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
    if (!o->v)
        return CL_ERR_NOMEM;
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
    if (!o->v)
        return CL_ERR_NOMEM;
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
