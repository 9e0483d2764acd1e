/*
 * wire: replies, protobuf <-> model, dispatched by cl_requests.def.
 *
 * Which Reply result a kind's reply carries is the def's RESULT column;
 * each result has one builder (cl_wire_out_<RESULT>) and one reader
 * (cl_wire_in_<RESULT>), in the file of its family: wire_case.c,
 * wire_mdt.c, wire_route.c, wire_admin.c; here the two every family
 * shares (the publish result of every write, and the subject access
 * export, which gathers all of them).
 * Requests are wire_req.c's; the field-table engine and the nested
 * messages are wire_map.c's.
 */
#include "wire.h"
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    sar->record_history = cl_wire_record_versions_out(
        s, sa->record_history, sa->n_record_history, &sar->n_record_history);
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
    if (!o->history)
        return CL_ERR_NOMEM;
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
    if (!o->agenda || !o->measures || !o->rag.v || !o->requests.v)
        return CL_ERR_NOMEM;
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
    if (!(o->intake.v = calloc(sa->n_intake + 1, sizeof(*o->intake.v))))
        return CL_ERR_NOMEM;
    for (size_t i = 0; i < sa->n_intake; i++)
        cl_wire_intake_in(&o->intake.v[o->intake.n++], sa->intake[i]);
    if ((rc = cl_wire_record_versions_in(
             &o->record_history, &o->n_record_history, sa->record_history,
             sa->n_record_history)) != CL_OK)
        return rc;
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
    case CL_ERR_NOSPACE:
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
