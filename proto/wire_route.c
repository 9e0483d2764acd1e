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

static const cl_wire_field s_response_rows[] = {
    CL_WF_STR_(cl_info_response, "request_id", request_id),
    CL_WF_STR_(cl_info_response, "agency", agency),
    CL_WF_STR_(cl_info_response, "person_id", person_id),
    CL_WF_STR_(cl_info_response, "summary", summary),
    CL_WF_ENUM_(cl_info_response, "risk", risk, UINT8_MAX),
    CL_WF_ENUM_(cl_info_response, "involvement", involvement, UINT8_MAX),
    CL_WF_STR_(cl_info_response, "contact", contact),
    CL_WF_NUM_(cl_info_response, "answered_at", answered_at),
    CL_WF_END_,
};

static Caselink__InformationResponse *s_response_out(cl_wire_scratch *s,
                                                     const cl_info_response *x)
{
    return (Caselink__InformationResponse *)cl_wire_msg_out(
        s, &caselink__information_response__descriptor, x, s_response_rows);
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

static const cl_wire_field s_intake_rows[] = {
    CL_WF_STR_(cl_intake_item, "intake_id", intake_id),
    CL_WF_STR_(cl_intake_item, "rule", rule),
    CL_WF_STR_(cl_intake_item, "why", why),
    CL_WF_STR_(cl_intake_item, "person_id", person_id),
    CL_WF_STR_(cl_intake_item, "given_names", given),
    CL_WF_STR_(cl_intake_item, "family_name", family),
    CL_WF_STR_(cl_intake_item, "date_of_birth", dob),
    CL_WF_STR_(cl_intake_item, "agency", agency),
    CL_WF_STR_(cl_intake_item, "agency_kind", agency_kind),
    CL_WF_STR_(cl_intake_item, "reference", reference),
    CL_WF_ENUM_(cl_intake_item, "category", category, UINT8_MAX),
    CL_WF_ENUM_(cl_intake_item, "risk", risk, UINT8_MAX),
    CL_WF_NUM_(cl_intake_item, "occurred_at", occurred_at),
    CL_WF_NUM_(cl_intake_item, "received_at", received_at),
    CL_WF_NUM_(cl_intake_item, "raised_at", raised_at),
    CL_WF_NUM_(cl_intake_item, "hits", hits),
    CL_WF_STRS_(cl_intake_item, "on_agenda", on_agenda, n_on_agenda),
    CL_WF_ENUM_(cl_intake_item, "state", state, UINT8_MAX),
    CL_WF_NUM_(cl_intake_item, "decided_at", decided_at),
    CL_WF_STR_(cl_intake_item, "decided_by", decided_by),
    CL_WF_STR_(cl_intake_item, "decided_user", decided_user),
    CL_WF_STR_(cl_intake_item, "reason", reason),
    CL_WF_STR_(cl_intake_item, "review_id", review_id),
    CL_WF_STR_(cl_intake_item, "defer_until", until),
    CL_WF_STR_(cl_intake_item, "action_id", action_id),
    CL_WF_END_,
};

Caselink__IntakeItem *cl_wire_intake_out(cl_wire_scratch *s,
                                         const cl_intake_item *m)
{
    return (Caselink__IntakeItem *)cl_wire_msg_out(
        s, &caselink__intake_item__descriptor, m, s_intake_rows);
}

void cl_wire_intake_in(cl_intake_item *m, const Caselink__IntakeItem *x)
{
    memset(m, 0, sizeof(*m));
    (void)cl_wire_fields_copy(m, &x->base, s_intake_rows);
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
    if (p)
        (void)cl_wire_fields_copy(x, &p->base, s_response_rows);
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
static const cl_wire_field s_disclosure_rows[] = {
    CL_WF_NUM_(cl_flag_disclosure, "at", at),
    CL_WF_STR_(cl_flag_disclosure, "agency", agency),
    CL_WF_STR_(cl_flag_disclosure, "client", client),
    CL_WF_STR_(cl_flag_disclosure, "user_id", user_id),
    CL_WF_STR_(cl_flag_disclosure, "user_name", user_name),
    CL_WF_STR_(cl_flag_disclosure, "context", context),
    CL_WF_STR_(cl_flag_disclosure, "person_id", person_pid),
    CL_WF_STR_(cl_flag_disclosure, "child_person_id", child_pid),
    CL_WF_STR_(cl_flag_disclosure, "plan_id", plan_id),
    CL_WF_STR_(cl_flag_disclosure, "responsible_authority", authority),
    CL_WF_END_,
};

static const cl_wire_field s_disclosures_rows[] = {
    CL_WF_OWNED_(cl_reply, "disclosures", u.flag_log.v, u.flag_log.n,
                 s_disclosure_rows),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_FLAG_DISCLOSURES(cl_wire_scratch *s,
                                               const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__flag_disclosure_list__descriptor, rep,
                           s_disclosures_rows);
}

/* Reply.deliveries for inbox_receive, and Reply.requests for request_list:
 * lists whose entries are mapped by hand. */
static ProtobufCMessage *s_delivery_item_out(cl_wire_scratch *s,
                                             const void *model)
{
    return (ProtobufCMessage *)s_delivery_out(s, model);
}

static void s_delivery_item_in(void *model, const ProtobufCMessage *m)
{
    s_delivery_in(model, (const Caselink__Delivery *)m);
}

static ProtobufCMessage *s_summary_item_out(cl_wire_scratch *s,
                                            const void *model)
{
    return (ProtobufCMessage *)cl_wire_summary_out(s, model);
}

static void s_summary_item_in(void *model, const ProtobufCMessage *m)
{
    cl_wire_summary_in(model, (const Caselink__RequestSummary *)m);
}

static const cl_wire_nested s_delivery_item = {NULL, s_delivery_item_out,
                                               s_delivery_item_in};
static const cl_wire_nested s_summary_item = {NULL, s_summary_item_out,
                                              s_summary_item_in};

static const cl_wire_field s_deliveries_rows[] = {
    CL_WF_OWNED_BY_(cl_reply, "deliveries", u.deliveries.v, u.deliveries.n,
                    &s_delivery_item),
    CL_WF_NUM_(cl_reply, "depth", u.deliveries.depth),
    CL_WF_END_,
};

static const cl_wire_field s_requests_rows[] = {
    CL_WF_OWNED_BY_(cl_reply, "requests", u.requests.v, u.requests.n,
                    &s_summary_item),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_DELIVERIES(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__deliveries__descriptor, rep,
                           s_deliveries_rows);
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
    return cl_wire_msg_out(s, &caselink__request_summaries__descriptor, rep,
                           s_requests_rows);
}

/* Reply.intake_items for intake_list. */
static const cl_wire_field s_intake_items_rows[] = {
    CL_WF_OWNED_(cl_reply, "items", u.intake.v, u.intake.n, s_intake_rows),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_INTAKE_ITEMS(cl_wire_scratch *s,
                                           const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__intake_items__descriptor, rep,
                           s_intake_items_rows);
}

/* Reply.feeds for admin_feeds. */
static const cl_wire_field s_feed_rows[] = {
    CL_WF_STR_(cl_feed_state, "agency", agency),
    CL_WF_STR_(cl_feed_state, "feed", feed),
    CL_WF_NUM_(cl_feed_state, "last_seq", last_seq),
    CL_WF_NUM_(cl_feed_state, "first_at", first_at),
    CL_WF_NUM_(cl_feed_state, "last_at", last_at),
    CL_WF_NUM_(cl_feed_state, "messages", messages),
    CL_WF_NUM_(cl_feed_state, "missing", missing),
    CL_WF_NUM_(cl_feed_state, "gap_from", gap_from),
    CL_WF_NUM_(cl_feed_state, "gap_to", gap_to),
    CL_WF_BOOL_(cl_feed_state, "silent", silent),
    CL_WF_NUM_(cl_feed_state, "silence_after_s", silence_after_s),
    CL_WF_END_,
};

static const cl_wire_field s_feeds_rows[] = {
    CL_WF_OWNED_(cl_reply, "feeds", u.feeds.v, u.feeds.n, s_feed_rows),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_FEEDS(cl_wire_scratch *s, const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__feeds__descriptor, rep, s_feeds_rows);
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
    out->kind = CL_REQ_FLAG_DISCLOSURES;
    return cl_wire_fields_copy(out, &r->flag_disclosures->base,
                               s_disclosures_rows);
}

/* Reply.deliveries into the model. */
int cl_wire_in_DELIVERIES(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_INBOX_RECEIVE;
    return cl_wire_fields_copy(out, &r->deliveries->base, s_deliveries_rows);
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
    out->kind = CL_REQ_REQUEST_LIST;
    return cl_wire_fields_copy(out, &r->requests->base, s_requests_rows);
}

/* Reply.intake_items into the model. */
int cl_wire_in_INTAKE_ITEMS(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_INTAKE_LIST;
    return cl_wire_fields_copy(out, &r->intake_items->base,
                               s_intake_items_rows);
}

/* Reply.feeds into the model. */
int cl_wire_in_FEEDS(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_ADMIN_FEEDS;
    return cl_wire_fields_copy(out, &r->feeds->base, s_feeds_rows);
}
