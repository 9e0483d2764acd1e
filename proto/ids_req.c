/*
 * ids_req: one row per id field of a request (see ids_req.h). A new
 * request kind with an id field adds its row here.
 */
#include "ids_req.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ids.h"

typedef struct s_id_field {
    cl_req_kind kind;
    size_t off, cap; /* the field inside cl_request */
    cl_id_kind id;
} s_id_field;

#define S_ID(k, member, idk)                                                   \
    {                                                                          \
        CL_REQ_##k, offsetof(cl_request, u.member),                            \
            sizeof(((cl_request *)0)->u.member), CL_ID_##idk                   \
    }

static const s_id_field s_fields[] = {
    S_ID(GET_PERSON, get_person.person_id, PERSON),
    S_ID(GET_PERSON, get_person.review_id, REVIEW),
    S_ID(AUDIT_SEARCH, person_ref.person_id, PERSON),
    S_ID(SUBJECT_ACCESS, person_ref.person_id, PERSON),
    S_ID(REVIEW_LIST, review_q.after, QUEUE),
    S_ID(LINKS_EXPORT, links.after, RECORD),
    S_ID(ADD_TO_AGENDA, agenda.review_id, REVIEW),
    S_ID(ADD_TO_AGENDA, agenda.who.person_id, PERSON),
    S_ID(INFO_REQUEST, info.who.person_id, PERSON),
    S_ID(INFO_REQUEST, info.review_id, REVIEW),
    S_ID(INFO_RESPOND, respond.request_id, REQUEST),
    S_ID(INFO_RESPOND, respond.person_id, PERSON),
    S_ID(REQUEST_LIST, req_list.person_id, PERSON),
    S_ID(RECORD_DISCUSSION, discussion.review_id, REVIEW),
    S_ID(RECORD_DISCUSSION, discussion.person_id, PERSON),
    S_ID(ADD_ACTION, action.review_id, REVIEW),
    S_ID(ADD_ACTION, action.person_id, PERSON),
    S_ID(UPDATE_ACTION, action_update.action_id, ACTION),
    S_ID(LIST_ACTIONS, action_query.review_id, REVIEW),
    S_ID(LIST_ACTIONS, action_query.person_id, PERSON),
    S_ID(SET_RAG, rag.person_id, PERSON),
    S_ID(RAG_HISTORY, rag.person_id, PERSON),
    S_ID(RECORD_MEASURE, measure.person_id, PERSON),
    S_ID(REVIEW_PACK, pack_review, REVIEW),
    S_ID(INTAKE_DECIDE, intake_decide.intake_id, INTAKE),
    S_ID(INTAKE_DECIDE, intake_decide.review_id, REVIEW),
    S_ID(REFERRAL_LIST, ref_query.who.person_id, PERSON),
    S_ID(LEGAL_HOLD, hold.who.person_id, PERSON),
    S_ID(RECORD_MEETING, meeting.review_id, REVIEW),
};

void cl_ids_req_canon(cl_request *q)
{
    for (size_t i = 0; i < sizeof(s_fields) / sizeof(s_fields[0]); i++) {
        const s_id_field *f = &s_fields[i];
        char *s = (char *)q + f->off;
        uint64_t v;
        char canon[CL_REF_SZ];
        if (f->kind != q->kind || !s[0] || cl_id_parse(&v, f->id, s) != CL_OK ||
            !cl_id_format(canon, sizeof(canon), f->id, v) ||
            strlen(canon) >= f->cap)
            continue;
        memcpy(s, canon, strlen(canon) + 1);
    }
}
