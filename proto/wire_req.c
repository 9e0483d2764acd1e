/*
 * wire_req: requests, protobuf <-> model, from tables.
 *
 * Which Envelope body a kind travels in comes from cl_requests.def; how
 * each body's fields map onto cl_request is one table of rows per kind
 * below (wire_map.c's engine copies them both ways, checking each limit
 * and naming the field's path in a refusal). A few kinds add a check or
 * a conversion the rows cannot say (a required sub-message, a range, a
 * status spelled as a word): those are the pre/post/out hooks.
 *
 * Decoding uses a bump allocator over one block whose size is a fixed
 * multiple of the frame length, so unpacking can never allocate more than
 * that whatever the frame claims. Before unpacking, pbcheck walks the
 * frame against the schema's descriptors: unknown fields, wrong wire
 * types, invalid UTF-8 and NUL bytes are refused with the field's path,
 * and every encoding the protobuf specification allows is accepted and
 * normalized for protobuf-c. The idempotency hash is taken over the
 * decoded request re-encoded by caselink, never over the client's bytes.
 */
#include "wire.h"
#include "wire_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pbcheck.h"

/* --- bounded allocator ---------------------------------------------------- */

typedef struct s_arena {
    uint8_t *base; /* block, malloc'd */
    size_t cap;    /* its size */
    size_t used;   /* bytes handed out */
} s_arena;

static void *s_arena_alloc(void *data, size_t size)
{
    s_arena *a = data;
    size_t off = (a->used + 15u) & ~(size_t)15u;
    if (off > a->cap || size > a->cap - off)
        return NULL;
    a->used = off + size;
    return a->base + off;
}

static void s_arena_free(void *data, void *ptr)
{
    (void)data; /* released all at once */
    (void)ptr;
}

/* --- the rows ------------------------------------------------------------- */

/* Rows are relative to the whole cl_request: m is a path inside its u. */
#define S_STR_(name, m)         CL_WF_STR_(cl_request, name, u.m)
#define S_NUM_(name, m)         CL_WF_NUM_(cl_request, name, u.m)
#define S_BOOL_(name, m)        CL_WF_BOOL_(cl_request, name, u.m)
#define S_DBL_(name, m)         CL_WF_DBL_(cl_request, name, u.m)
#define S_ENUM_(name, m, max)   CL_WF_ENUM_(cl_request, name, u.m, max)
#define S_STRS_(name, m, n)     CL_WF_STRS_(cl_request, name, u.m, u.n)
#define S_U64S_(name, m, n)     CL_WF_U64S_(cl_request, name, u.m, u.n)
#define S_PERSON_(name, m)      CL_WF_NESTED_(cl_request, name, u.m, &cl_wire_person)
#define S_NESTED_(name, m, how) CL_WF_NESTED_(cl_request, name, u.m, how)

static const cl_wire_field s_publish[] = {
    S_NESTED_("referral", publish, &cl_wire_referral),
    CL_WF_END_,
};

static const cl_wire_field s_get_person_purpose[] = {
    S_STR_("review_id", get_person.review_id),
    S_STR_("justification", get_person.justification),
    S_ENUM_("access_reason", get_person.access_reason, CL_ACCESS_MAX),
    CL_WF_END_,
};

static const cl_wire_field s_get_person[] = {
    S_STR_("person_id", get_person.person_id),
    S_PERSON_("match", get_person.match),
    CL_WF_SUB_("purpose", s_get_person_purpose),
    CL_WF_END_,
};

static const cl_wire_field s_correct[] = {
    S_STR_("reference", rectify.reference),
    S_STR_("reason", rectify.reason),
    S_NESTED_("referral", rectify.referral, &cl_wire_referral),
    CL_WF_END_,
};

static const cl_wire_field s_withdraw[] = {
    S_STR_("reference", rectify.reference),
    S_STR_("reason", rectify.reason),
    CL_WF_END_,
};

static const cl_wire_field s_audit_verify[] = {
    S_STR_("checkpoint", checkpoint),
    CL_WF_END_,
};

static const cl_wire_field s_audit_search[] = {
    S_STR_("person_id", person_ref.person_id),
    S_PERSON_("match", person_ref.match),
    S_NUM_("limit", person_ref.limit),
    S_STR_("user_id", person_ref.user_id),
    S_BOOL_("break_glass_only", person_ref.filter.break_glass_only),
    S_BOOL_("flagged_only", person_ref.filter.flagged_only),
    S_NUM_("from", person_ref.filter.from),
    S_NUM_("to", person_ref.filter.to),
    S_STR_("client", person_ref.filter.client),
    CL_WF_END_,
};

static const cl_wire_field s_legal_hold[] = {
    S_STR_("person_id", hold.who.person_id),
    S_PERSON_("match", hold.who.match),
    S_STR_("reason", hold.reason),
    S_BOOL_("release", hold.release),
    CL_WF_END_,
};

static const cl_wire_field s_subject_access[] = {
    S_STR_("person_id", person_ref.person_id),
    S_PERSON_("match", person_ref.match),
    CL_WF_END_,
};

static const cl_wire_field s_case_finding[] = {
    S_NUM_("min_contacts", finding.min_contacts),
    S_NUM_("from", finding.from),
    S_NUM_("to", finding.to),
    S_STR_("agency", finding.agency),
    S_STR_("justification", finding.justification),
    S_ENUM_("access_reason", finding.access_reason, CL_ACCESS_MAX),
    S_STRS_("not_known_to", finding.not_known_to, finding.n_not_known),
    CL_WF_END_,
};

static const cl_wire_field s_create_review[] = {
    S_STRS_("agencies", review_new.agencies, review_new.n_agencies),
    S_STR_("date", review_new.date),
    S_STR_("title", review_new.title),
    CL_WF_END_,
};

static const cl_wire_field s_add_to_agenda[] = {
    S_STR_("review_id", agenda.review_id),
    S_STR_("person_id", agenda.who.person_id),
    S_PERSON_("match", agenda.who.match),
    S_ENUM_("reason", agenda.reason, CL_AGENDA_MAX),
    S_STR_("note", agenda.note),
    S_ENUM_("access_reason", agenda.access_reason, CL_ACCESS_MAX),
    S_STR_("justification", agenda.justification),
    CL_WF_END_,
};

static const cl_wire_field s_find_purpose[] = {
    S_STR_("justification", find.justification),
    S_ENUM_("access_reason", find.access_reason, CL_ACCESS_MAX),
    CL_WF_END_,
};

static const cl_wire_field s_find_person[] = {
    S_NUM_("limit", find.limit),
    S_PERSON_("match", find.match),
    CL_WF_SUB_("purpose", s_find_purpose),
    CL_WF_END_,
};

static const cl_wire_field s_import_person[] = {
    S_PERSON_("person", import.person),
    S_STR_("agency", import.agency),
    CL_WF_END_,
};

static const cl_wire_field s_links_export[] = {
    S_NUM_("limit", links.limit),
    S_STR_("after_record_id", links.after),
    CL_WF_END_,
};

static const cl_wire_field s_review_list[] = {
    S_NUM_("limit", review_q.limit),
    S_NUM_("page", review_q.page),
    S_DBL_("min_probability", review_q.min_p),
    S_DBL_("max_probability", review_q.max_p),
    S_STR_("after_review_id", review_q.after),
    S_STR_("agency", review_q.agency),
    CL_WF_END_,
};

static const cl_wire_field s_review_decide[] = {
    S_BOOL_("accept", link.accept),
    S_STR_("review_id", link.id),
    S_STR_("reason", link.reason),
    CL_WF_END_,
};

static const cl_wire_field s_split_record[] = {
    S_STR_("record_id", link.id),
    S_STR_("reason", link.reason),
    CL_WF_END_,
};

static const cl_wire_field s_publish_plan[] = {
    S_NESTED_("plan", plan, &cl_wire_plan),
    CL_WF_END_,
};

static const cl_wire_field s_withdraw_plan[] = {
    S_STR_("agency_reference", plan_withdraw.agency_ref),
    S_STR_("reason", plan_withdraw.reason),
    CL_WF_END_,
};

static const cl_wire_field s_flag_check[] = {
    S_PERSON_("person", flag.person),
    S_STR_("agency", flag.agency),
    CL_WF_END_,
};

static const cl_wire_field s_flag_disclosures[] = {
    S_NUM_("limit", flag_log.limit),
    S_STR_("agency", flag_log.agency),
    S_STR_("from", flag_log.from),
    S_STR_("to", flag_log.to),
    CL_WF_END_,
};

static const cl_wire_field s_admin_backup[] = {
    S_STR_("name", backup_name),
    CL_WF_END_,
};

static const cl_wire_field s_admin_retire_key[] = {
    S_NUM_("version", key_version),
    CL_WF_END_,
};

static const cl_wire_field s_set_status[] = {
    S_STR_("reference", set_status.reference),
    S_ENUM_("status", set_status.status, CL_REFSTAT_MAX),
    S_STR_("reason", set_status.reason),
    S_ENUM_("outcome", set_status.outcome, CL_OUTCOME_MAX),
    CL_WF_END_,
};

static const cl_wire_field s_inbox_receive[] = {
    S_NUM_("after_seq", inbox.after),
    S_NUM_("limit", inbox.limit),
    S_NUM_("wait_ms", inbox.wait_ms),
    CL_WF_END_,
};

static const cl_wire_field s_inbox_ack[] = {
    S_U64S_("seqs", ack.seqs, ack.n),
    CL_WF_END_,
};

static const cl_wire_field s_info_request[] = {
    S_STRS_("agencies", info.agencies, info.n_agencies),
    S_STR_("person_id", info.who.person_id),
    S_PERSON_("match", info.who.match),
    S_STR_("due_date", info.due),
    S_STR_("question", info.question),
    S_STR_("review_id", info.review_id),
    CL_WF_END_,
};

static const cl_wire_field s_info_respond[] = {
    S_STR_("request_id", respond.request_id),
    S_STR_("summary", respond.summary),
    S_ENUM_("risk", respond.risk, CL_RISK_MAX),
    S_ENUM_("involvement", respond.involvement, CL_INVOLVE_MAX),
    S_STR_("contact", respond.contact),
    CL_WF_END_,
};

static const cl_wire_field s_record_discussion[] = {
    S_STR_("review_id", discussion.review_id),
    S_STR_("person_id", discussion.person_id),
    S_STR_("summary", discussion.summary),
    S_STR_("decisions", discussion.decisions),
    CL_WF_END_,
};

static const cl_wire_field s_add_action[] = {
    S_STR_("review_id", action.review_id),
    S_STR_("person_id", action.person_id),
    S_STR_("text", action.text),
    S_STR_("owner_name", action.owner_name),
    S_STR_("owner_agency", action.owner_agency),
    S_STR_("due_date", action.due),
    CL_WF_END_,
};

static const cl_wire_field s_update_action[] = {
    S_STR_("action_id", action_update.action_id),
    S_ENUM_("status", action_update.status, CL_ACTION_STATUS_MAX),
    S_STR_("note", action_update.note),
    CL_WF_END_,
};

static const cl_wire_field s_list_actions[] = {
    S_BOOL_("overdue_only", action_query.overdue_only),
    S_BOOL_("open_only", action_query.open_only),
    S_STR_("review_id", action_query.review_id),
    S_STR_("person_id", action_query.person_id),
    CL_WF_END_,
};

static const cl_wire_field s_set_rag[] = {
    S_STR_("person_id", rag.person_id),
    S_STR_("workstream", rag.workstream),
    S_ENUM_("rating", rag.rating, CL_RAG_MAX),
    S_STR_("note", rag.note),
    CL_WF_END_,
};

static const cl_wire_field s_rag_history[] = {
    S_STR_("person_id", rag.person_id),
    S_STR_("workstream", rag.workstream),
    CL_WF_END_,
};

static const cl_wire_field s_define_measure[] = {
    S_STR_("name", measure_def.name),
    S_STR_("baseline_from", measure_def.from),
    S_STR_("baseline_to", measure_def.to),
    S_STR_("source", measure_def.source),
    S_STR_("agency_kind", measure_def.agency_kind),
    S_ENUM_("category", measure_def.category, CL_CAT_MAX),
    CL_WF_END_,
};

static const cl_wire_field s_record_measure[] = {
    S_DBL_("value", measure.value),
    S_STR_("name", measure.name),
    S_STR_("person_id", measure.person_id),
    S_STR_("period", measure.period),
    CL_WF_END_,
};

static const cl_wire_field s_report[] = {
    S_STR_("from", report.from),
    S_STR_("to", report.to),
    CL_WF_END_,
};

static const cl_wire_field s_referral_list[] = {
    S_STR_("agency", ref_query.agency),
    S_ENUM_("category", ref_query.category, CL_CAT_MAX),
    S_STR_("from", ref_query.from),
    S_STR_("to", ref_query.to),
    S_STR_("person_id", ref_query.who.person_id),
    S_PERSON_("match", ref_query.who.match),
    S_STR_("after", ref_query.after),
    S_NUM_("limit", ref_query.limit),
    CL_WF_END_,
};

static const cl_wire_field s_record_meeting[] = {
    S_STR_("review_id", meeting.review_id),
    S_STR_("chair", meeting.chair),
    S_STR_("confidentiality", meeting.confidentiality),
    CL_WF_END_,
};

static const cl_wire_field s_mdt_list[] = {
    S_BOOL_("upcoming", mdt_query.upcoming),
    S_BOOL_("past", mdt_query.past),
    CL_WF_END_,
};

static const cl_wire_field s_intake_list[] = {
    S_BOOL_("all", intake_all),
    CL_WF_END_,
};

static const cl_wire_field s_intake_decide[] = {
    S_STR_("intake_id", intake_decide.intake_id),
    S_ENUM_("decision", intake_decide.decision, CL_INTAKE_STATE_MAX),
    S_STR_("review_id", intake_decide.review_id),
    S_ENUM_("agenda_reason", intake_decide.agenda_reason, CL_AGENDA_MAX),
    S_STR_("reason", intake_decide.reason),
    S_STR_("until", intake_decide.until),
    CL_WF_END_,
};

static const cl_wire_field s_link_admin[] = {
    S_ENUM_("action", link_admin.action, CL_LINK_ACTION_MAX),
    S_NUM_("sample", link_admin.sample),
    CL_WF_END_,
};

static const cl_wire_field s_review_pack[] = {
    S_STR_("review_id", pack_review),
    CL_WF_END_,
};

static const cl_wire_field s_request_list[] = {
    S_BOOL_("open_only", req_list.open_only),
    S_STR_("person_id", req_list.person_id),
    CL_WF_END_,
};

/* --- what the rows cannot say --------------------------------------------- */

typedef bool (*s_check)(cl_request *q, const ProtobufCMessage *body,
                        const char *pfx, char err[CL_ERROR_SZ]);
typedef void (*s_out)(cl_wire_scratch *s, ProtobufCMessage *body,
                      const cl_request *q);

static bool s_correct_pre(cl_request *q, const ProtobufCMessage *body,
                          const char *pfx, char err[CL_ERROR_SZ])
{
    (void)q;
    (void)pfx;
    if (((const Caselink__CorrectReferral *)body)->referral)
        return true;
    snprintf(err, CL_ERROR_SZ,
             "correct_referral.referral: the corrected referral, in full, is "
             "required");
    return false;
}

static bool s_flag_pre(cl_request *q, const ProtobufCMessage *body,
                       const char *pfx, char err[CL_ERROR_SZ])
{
    (void)q;
    (void)pfx;
    if (((const Caselink__FlagCheck *)body)->person)
        return true;
    snprintf(err, CL_ERROR_SZ,
             "flag_check needs person (nhs_number, chi_number or local_id)");
    return false;
}

static bool s_review_list_post(cl_request *q, const ProtobufCMessage *body,
                               const char *pfx, char err[CL_ERROR_SZ])
{
    const cl_review_query *r = &q->u.review_q;
    (void)body;
    if (r->limit > CL_REVIEW_PAGE_MAX) {
        snprintf(err, CL_ERROR_SZ,
                 "%s.limit: at most %d pairs a page; page on with "
                 "after_review_id",
                 pfx, CL_REVIEW_PAGE_MAX);
        return false;
    }
    if (!(r->min_p >= 0 && r->min_p <= 1) ||
        !(r->max_p >= 0 && r->max_p <= 1)) {
        snprintf(err, CL_ERROR_SZ, "%s.%s: must be in 0..1", pfx,
                 !(r->min_p >= 0 && r->min_p <= 1) ? "min_probability"
                                                   : "max_probability");
        return false;
    }
    return true;
}

static bool s_link_admin_post(cl_request *q, const ProtobufCMessage *body,
                              const char *pfx, char err[CL_ERROR_SZ])
{
    (void)body;
    (void)pfx;
    if (q->u.link_admin.sample <= 200000)
        return true;
    snprintf(err, CL_ERROR_SZ,
             "sample: at most 200000 records (0 for the default)");
    return false;
}

/* ReferralList.status is a word ("accepted"); empty means any. */
static bool s_referral_list_post(cl_request *q, const ProtobufCMessage *body,
                                 const char *pfx, char err[CL_ERROR_SZ])
{
    const Caselink__ReferralList *b = (const Caselink__ReferralList *)body;
    cl_referral_query *x = &q->u.ref_query;
    char st[16];
    if (!S_STR(st, b->status, "status"))
        return false;
    x->status = st[0] ? (int8_t)cl_refstat_parse(st) : -1;
    if (st[0] && x->status < 0) {
        snprintf(err, CL_ERROR_SZ,
                 "%s.status: '%s' is not received, accepted, declined or "
                 "closed",
                 pfx, st);
        return false;
    }
    return true;
}

static void s_referral_list_out(cl_wire_scratch *s, ProtobufCMessage *body,
                                const cl_request *q)
{
    (void)s;
    int8_t st = q->u.ref_query.status;
    ((Caselink__ReferralList *)body)->status =
        st >= 0 ? S_S(cl_refstat_name((unsigned)st)) : S_S("");
}

static bool s_meeting_pre(cl_request *q, const ProtobufCMessage *body,
                          const char *pfx, char err[CL_ERROR_SZ])
{
    const Caselink__RecordMeeting *b = (const Caselink__RecordMeeting *)body;
    (void)q;
    if (b->n_attendees > CL_ATTENDEES_MAX ||
        b->n_apologies > CL_ATTENDEES_MAX) {
        snprintf(err, CL_ERROR_SZ, "%s: at most %d attendees and %d apologies",
                 pfx, CL_ATTENDEES_MAX, CL_ATTENDEES_MAX);
        return false;
    }
    return true;
}

static bool s_meeting_post(cl_request *q, const ProtobufCMessage *body,
                           const char *pfx, char err[CL_ERROR_SZ])
{
    const Caselink__RecordMeeting *b = (const Caselink__RecordMeeting *)body;
    cl_meeting *m = &q->u.meeting;
    for (size_t i = 0; i < b->n_attendees + b->n_apologies; i++) {
        bool ap = i >= b->n_attendees;
        const Caselink__Attendee *a =
            ap ? b->apologies[i - b->n_attendees] : b->attendees[i];
        cl_attendee *x = ap ? &m->apologies[m->n_apologies++]
                            : &m->attendees[m->n_attendees++];
        if (!S_STR(x->name, a->name,
                   ap ? "apologies.name" : "attendees.name") ||
            !S_STR(x->agency, a->agency,
                   ap ? "apologies.agency" : "attendees.agency") ||
            !S_STR(x->role, a->role, ap ? "apologies.role" : "attendees.role"))
            return false;
    }
    return true;
}

static void s_meeting_out(cl_wire_scratch *s, ProtobufCMessage *body,
                          const cl_request *q)
{
    Caselink__RecordMeeting *b = (Caselink__RecordMeeting *)body;
    const cl_meeting *m = &q->u.meeting;
    b->attendees =
        cl_wire_attendees_out(s, m->attendees, m->n_attendees, &b->n_attendees);
    b->apologies =
        cl_wire_attendees_out(s, m->apologies, m->n_apologies, &b->n_apologies);
}

/* --- one entry per kind --------------------------------------------------- */

static const struct {
    const cl_wire_field *rows; /* NULL: the body has no fields */
    s_check pre, post;         /* before and after the rows, if any */
    s_out out;                 /* after the rows, encoding */
} s_kinds[CL_REQ_KIND_COUNT] = {
    [CL_REQ_PUBLISH_REFERRAL] = {.rows = s_publish},
    [CL_REQ_GET_PERSON] = {.rows = s_get_person},
    [CL_REQ_CORRECT_REFERRAL] = {.rows = s_correct, .pre = s_correct_pre},
    [CL_REQ_WITHDRAW_REFERRAL] = {.rows = s_withdraw},
    [CL_REQ_AUDIT_VERIFY] = {.rows = s_audit_verify},
    [CL_REQ_AUDIT_SEARCH] = {.rows = s_audit_search},
    [CL_REQ_SUBJECT_ACCESS] = {.rows = s_subject_access},
    [CL_REQ_ADMIN_BACKUP] = {.rows = s_admin_backup},
    [CL_REQ_ADMIN_RETIRE_KEY] = {.rows = s_admin_retire_key},
    [CL_REQ_PUBLISH_PLAN] = {.rows = s_publish_plan},
    [CL_REQ_REVIEW_LIST] = {.rows = s_review_list, .post = s_review_list_post},
    [CL_REQ_REVIEW_DECIDE] = {.rows = s_review_decide},
    [CL_REQ_SPLIT_RECORD] = {.rows = s_split_record},
    [CL_REQ_IMPORT_PERSON] = {.rows = s_import_person},
    [CL_REQ_LINKS_EXPORT] = {.rows = s_links_export},
    [CL_REQ_FIND_PERSON] = {.rows = s_find_person},
    [CL_REQ_CREATE_REVIEW] = {.rows = s_create_review},
    [CL_REQ_ADD_TO_AGENDA] = {.rows = s_add_to_agenda},
    [CL_REQ_CASE_FINDING] = {.rows = s_case_finding},
    [CL_REQ_SET_STATUS] = {.rows = s_set_status},
    [CL_REQ_INBOX_RECEIVE] = {.rows = s_inbox_receive},
    [CL_REQ_INBOX_ACK] = {.rows = s_inbox_ack},
    [CL_REQ_INFO_REQUEST] = {.rows = s_info_request},
    [CL_REQ_INFO_RESPOND] = {.rows = s_info_respond},
    [CL_REQ_REQUEST_LIST] = {.rows = s_request_list},
    [CL_REQ_RECORD_DISCUSSION] = {.rows = s_record_discussion},
    [CL_REQ_ADD_ACTION] = {.rows = s_add_action},
    [CL_REQ_UPDATE_ACTION] = {.rows = s_update_action},
    [CL_REQ_LIST_ACTIONS] = {.rows = s_list_actions},
    [CL_REQ_SET_RAG] = {.rows = s_set_rag},
    [CL_REQ_RAG_HISTORY] = {.rows = s_rag_history},
    [CL_REQ_DEFINE_MEASURE] = {.rows = s_define_measure},
    [CL_REQ_RECORD_MEASURE] = {.rows = s_record_measure},
    [CL_REQ_REPORT] = {.rows = s_report},
    [CL_REQ_REVIEW_PACK] = {.rows = s_review_pack},
    [CL_REQ_INTAKE_LIST] = {.rows = s_intake_list},
    [CL_REQ_INTAKE_DECIDE] = {.rows = s_intake_decide},
    [CL_REQ_REFERRAL_LIST] = {.rows = s_referral_list,
                              .post = s_referral_list_post,
                              .out = s_referral_list_out},
    [CL_REQ_MDT_LIST] = {.rows = s_mdt_list},
    [CL_REQ_LEGAL_HOLD] = {.rows = s_legal_hold},
    [CL_REQ_LINK_ADMIN] = {.rows = s_link_admin, .post = s_link_admin_post},
    [CL_REQ_FLAG_CHECK] = {.rows = s_flag_check, .pre = s_flag_pre},
    [CL_REQ_FLAG_DISCLOSURES] = {.rows = s_flag_disclosures},
    [CL_REQ_WITHDRAW_PLAN] = {.rows = s_withdraw_plan},
    [CL_REQ_RECORD_MEETING] = {.rows = s_record_meeting,
                               .pre = s_meeting_pre,
                               .post = s_meeting_post,
                               .out = s_meeting_out},
};

/* The Envelope body each kind travels in, from cl_requests.def. */
static const Caselink__Envelope__BodyCase s_body[CL_REQ_KIND_COUNT] = {
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = CASELINK__ENVELOPE__BODY_##BODY,
#include "cl_requests.def"
#undef CL_REQ
};

static cl_req_kind s_kind_of(Caselink__Envelope__BodyCase body)
{
    for (int k = CL_REQ_NONE + 1; k < CL_REQ_KIND_COUNT; k++)
        if (body && s_body[k] == body)
            return (cl_req_kind)k;
    return CL_REQ_NONE;
}

/* The body message's slot in the envelope. */
static const ProtobufCFieldDescriptor *
s_body_field(Caselink__Envelope__BodyCase body)
{
    return protobuf_c_message_descriptor_get_field(
        &caselink__envelope__descriptor, (unsigned)body);
}

/* --- decoding ------------------------------------------------------------- */

static const cl_wire_field s_user_rows[] = {
    CL_WF_STR_(cl_user, "user_id", id),
    CL_WF_STR_(cl_user, "display_name", name),
    CL_WF_STR_(cl_user, "role", role),
    CL_WF_END_,
};

/* The body into out by its kind's rows and hooks. */
static bool s_body_in(cl_request *out, const Caselink__Envelope *env,
                      char err[CL_ERROR_SZ])
{
    out->kind = s_kind_of(env->body_case);
    const ProtobufCFieldDescriptor *bf = s_body_field(env->body_case);
    if (out->kind == CL_REQ_NONE || !bf) {
        out->kind = CL_REQ_NONE;
        snprintf(err, CL_ERROR_SZ,
                 "body: the envelope carries no request (or one this daemon "
                 "does not know)");
        return false;
    }
    const ProtobufCMessage *body =
        *(ProtobufCMessage *const *)((const uint8_t *)env + bf->offset);
    const char *pfx = bf->name;
    if (!body) { /* protobuf-c unpacks a set oneof member always */
        snprintf(err, CL_ERROR_SZ, "%s: missing", pfx);
        return false;
    }
    return (!s_kinds[out->kind].pre ||
            s_kinds[out->kind].pre(out, body, pfx, err)) &&
           cl_wire_fields_in(out, body, s_kinds[out->kind].rows, pfx, err) &&
           (!s_kinds[out->kind].post ||
            s_kinds[out->kind].post(out, body, pfx, err));
}

/* Checks the envelope's own fields after unpacking. */
static bool s_envelope_in(cl_request *out, const Caselink__Envelope *env,
                          char err[CL_ERROR_SZ])
{
    out->version = env->version;
    out->sent_ms = env->sent_at;
    if (env->version != CL_PROTOCOL_VERSION) {
        snprintf(err, CL_ERROR_SZ,
                 "version: protocol version %u not supported (this daemon "
                 "speaks %u)",
                 env->version, CL_PROTOCOL_VERSION);
        return false;
    }
    if (env->message_id.len != CL_MSGID_LEN) {
        snprintf(err, CL_ERROR_SZ,
                 "message_id: %zu bytes, must be %d (see \"Message ids\" in "
                 "caselink.proto)",
                 env->message_id.len, CL_MSGID_LEN);
        return false;
    }
    return !env->on_behalf_of ||
           cl_wire_fields_in(&out->on_behalf_of, &env->on_behalf_of->base,
                             s_user_rows, "on_behalf_of", err);
}

/* The bodies a frame carries (every whole length-delimited top-level
 * field that is a body's: a conforming client sends one), distinct, in
 * order. */
typedef struct s_bodies {
    cl_req_kind *out;
    size_t n, max;
} s_bodies;

static void s_peek_body(void *ctx, uint32_t number, uint32_t wt,
                        const uint8_t *v, size_t len, bool whole)
{
    (void)v;
    (void)len;
    s_bodies *b = ctx;
    cl_req_kind k = number <= INT32_MAX && wt == 2 /* a message */ && whole
                        ? s_kind_of((Caselink__Envelope__BodyCase)number)
                        : CL_REQ_NONE;
    for (size_t i = 0; i < b->n; i++)
        if (b->out[i] == k)
            return;
    if (k != CL_REQ_NONE && b->n < b->max)
        b->out[b->n++] = k;
}

size_t cl_wire_peek_kinds(const uint8_t *buf, size_t len, cl_req_kind *out,
                          size_t max)
{
    s_bodies b = {out, 0, max};
    (void)cl_pbcheck_top_fields(buf, len, s_peek_body, &b);
    return b.n;
}

/* A refusal of a frame whose message id could not be read says so first. */
static void s_unread_prefix(char err[CL_ERROR_SZ])
{
    static const char pre[] = "message id could not be read; ";
    size_t n = strnlen(err, CL_ERROR_SZ - 1);
    if (n > CL_ERROR_SZ - sizeof(pre))
        n = CL_ERROR_SZ - sizeof(pre); /* the end of a long reason */
    memmove(err + sizeof(pre) - 1, err, n);
    memcpy(err, pre, sizeof(pre) - 1);
    err[sizeof(pre) - 1 + n] = '\0';
}

int cl_wire_decode_request(cl_request *out, const uint8_t *buf, size_t len,
                           char err[CL_ERROR_SZ])
{
    memset(out, 0, sizeof(*out));
    return cl_wire_decode_request_zeroed(out, buf, len, err);
}

int cl_wire_decode_request_zeroed(cl_request *out, const uint8_t *buf,
                                  size_t len, char err[CL_ERROR_SZ])
{
    int rc = CL_ERR_INVALID;
    s_arena arena = {0};
    Caselink__Envelope *env = NULL;
    uint8_t *norm;
    size_t norm_len = 0;

    assert(sodium_is_zero((const unsigned char *)out, sizeof(*out)));
    err[0] = '\0';
    if (len > CL_WIRE_MAX_FRAME) {
        snprintf(err, CL_ERROR_SZ, "frame of %zu bytes exceeds %d", len,
                 CL_WIRE_MAX_FRAME);
        goto out;
    }
    /* Read first, so that any refusal can still be matched by the client. */
    out->msgid_read = cl_wire_peek_msgid(out->msgid, buf, len);
    arena.cap = 17 * len + 64 * 1024;
    arena.base = malloc(arena.cap);
    if (!arena.base) {
        rc = CL_ERR_NOMEM;
        snprintf(err, CL_ERROR_SZ, "out of memory");
        goto out;
    }
    norm = s_arena_alloc(&arena, len ? len : 1);
    if ((rc = cl_pbcheck_normalize(norm, &norm_len,
                                   &caselink__envelope__descriptor, buf, len,
                                   err)) != CL_OK)
        goto out;
    rc = CL_ERR_INVALID;
    ProtobufCAllocator alloc = {s_arena_alloc, s_arena_free, &arena};
    env = caselink__envelope__unpack(&alloc, norm_len, norm);
    if (!env) {
        snprintf(err, CL_ERROR_SZ,
                 "Envelope: too complex to unpack within %zu bytes of memory",
                 arena.cap);
        goto out;
    }
    if (!s_envelope_in(out, env, err) || !s_body_in(out, env, err))
        goto out;
    if ((rc = cl_wire_request_hash(out->body_hash, out)) != CL_OK) {
        snprintf(err, CL_ERROR_SZ, "out of memory");
        goto out;
    }
    rc = CL_OK;
out:
    if (arena.base) /* env lives inside the arena: the request, decoded */
        sodium_memzero(arena.base, arena.used);
    free(arena.base);
    if (rc != CL_OK && !out->msgid_read)
        s_unread_prefix(err);
    return rc;
}

/* --- encoding ------------------------------------------------------------- */

/* With body_only, the envelope's own fields (version, message id, sent_at)
 * are left out: what remains is the request itself. */
static int s_encode_request(uint8_t **out, size_t *out_len,
                            const cl_request *req, bool body_only)
{
    int rc = CL_ERR_INVALID;
    cl_wire_scratch s = {0};
    Caselink__Envelope env = CASELINK__ENVELOPE__INIT;
    Caselink__ActingUser obo = CASELINK__ACTING_USER__INIT;

    if ((unsigned)req->kind >= CL_REQ_KIND_COUNT || req->kind == CL_REQ_NONE)
        return CL_ERR_INVALID;
    if (!body_only) {
        env.version = req->version;
        env.message_id.data = (uint8_t *)req->msgid;
        env.message_id.len = CL_MSGID_LEN;
        env.sent_at = req->sent_ms;
        if (cl_user_named(&req->on_behalf_of)) {
            cl_wire_fields_out(&s, &obo.base, &req->on_behalf_of, s_user_rows);
            env.on_behalf_of = &obo;
        }
    }
    const ProtobufCFieldDescriptor *bf = s_body_field(s_body[req->kind]);
    if (!bf)
        goto out;
    ProtobufCMessage *body =
        cl_wire_msg_out(&s, bf->descriptor, req, s_kinds[req->kind].rows);
    if (body && s_kinds[req->kind].out)
        s_kinds[req->kind].out(&s, body, req);
    env.body_case = s_body[req->kind];
    *(ProtobufCMessage **)((uint8_t *)&env + bf->offset) = body;
    rc = CL_ERR_NOMEM;
    if (s.failed)
        goto out;
    rc = cl_wire_pack(out, out_len, &env.base);
out:
    cl_wire_scratch_free(&s);
    return rc;
}

bool cl_wire_peek_msgid(uint8_t msgid[CL_MSGID_LEN], const uint8_t *buf,
                        size_t len)
{
    return cl_pbcheck_peek(msgid, CL_MSGID_LEN, 2 /* Envelope.message_id */,
                           buf, len);
}

int cl_wire_encode_request(uint8_t **out, size_t *out_len,
                           const cl_request *req)
{
    return s_encode_request(out, out_len, req, false);
}

int cl_wire_request_hash(uint8_t hash[16], const cl_request *req)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = s_encode_request(&buf, &len, req, true);
    if (rc != CL_OK)
        return rc;
    /* The envelope holds only the body now: skip its tag and length, so
     * the hash is over the body message, as it always was. */
    size_t off = 0;
    for (int v = 0; v < 2; v++)
        while (off < len && (buf[off++] & 0x80))
            ;
    crypto_generichash(hash, 16, buf + off, len - off, NULL, 0);
    sodium_memzero(buf, len);
    free(buf);
    return CL_OK;
}
