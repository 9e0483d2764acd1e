/*
 * fuzz_envelope: any bytes as a request frame, through the wire decoder,
 * the model's validation and the domain operations on a real store (in a
 * transaction that is then aborted), and back through the reply encoder.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "intake.h"
#include "lists.h"
#include "flag.h"
#include "store.h"
#include "wire.h"

static cl_store *s_store;
static cl_caller s_who;
static cl_route_config s_route;
static cl_intake_config s_intake;
static cl_flag_config s_flag;

static void s_init(void)
{
    char dir[] = "/tmp/cl-fuzz-envelope.XXXXXX";
    uint8_t mk[CL_MASTER_KEY_LEN];
    if (sodium_init() < 0 || !mkdtemp(dir))
        abort();
    memset(mk, 0x42, sizeof(mk));
    if (cl_store_open(&s_store, dir, mk, 256u << 20) != CL_OK)
        abort();
    cl_copy(s_who.name, sizeof(s_who.name), "fuzz");
    cl_copy(s_who.agency, sizeof(s_who.agency), "Fuzz Agency");
    cl_copy(s_who.kind, sizeof(s_who.kind), "gp");
    s_who.roles = CL_ROLE_PUBLISHER | CL_ROLE_COORDINATOR | CL_ROLE_AUDITOR |
                  CL_ROLE_OPERATOR;
    s_who.plans = true;
    cl_route_config_defaults(&s_route);
    cl_intake_config_defaults(&s_intake);
    char why[CL_ERROR_SZ];
    if (cl_intake_rule_add(&s_intake, "gp-concerns", "kind=gp", why,
                           sizeof(why)) != CL_OK ||
        cl_intake_rule_add(&s_intake, "repeat", "contacts>=2 within=90d", why,
                           sizeof(why)) != CL_OK ||
        cl_intake_rule_add(&s_intake, "plan", "plan_linked", why,
                           sizeof(why)) != CL_OK)
        abort();
    cl_flag_config_defaults(&s_flag);
    s_route.n_agencies = s_route.n_coord = s_route.n_audit = 1;
    cl_copy(s_route.agencies[0], CL_AGENCY_SZ, "Fuzz Agency");
    cl_copy(s_route.coord[0], CL_AGENCY_SZ, "Fuzz Agency");
    cl_copy(s_route.audit[0], CL_AGENCY_SZ, "Fuzz Agency");
    /* one person to find */
    cl_txn *t = NULL;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_publish_result out;
    char err[CL_ERROR_SZ];
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    cl_copy(r->agency_ref, sizeof(r->agency_ref), "SEED-1");
    cl_copy(r->subject.nhs, sizeof(r->subject.nhs), "9434765919");
    cl_copy(r->subject.family, sizeof(r->subject.family), "Smith");
    cl_copy(r->subject.given, sizeof(r->subject.given), "Jane");
    r->category = 1;
    r->basis = 1;
    if (cl_store_begin(&t, s_store, NULL, true) != CL_OK ||
        cl_core_publish(t, &mc, &s_who, r, 1700000000, &out, NULL, err) !=
            CL_OK ||
        cl_store_commit(&t) != CL_OK)
        abort();
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cl_request *req;
    static cl_reply rep;
    char err[CL_ERROR_SZ] = "";
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    if (!s_store)
        s_init();
    if (!req && !(req = malloc(sizeof(*req))))
        abort();
    if (cl_wire_decode_request(req, data, size, err) != CL_OK)
        return 0;
    cl_txn *t = NULL;
    if (cl_store_begin(&t, s_store, NULL, true) != CL_OK)
        abort();
    memset(&rep, 0, sizeof(rep));
    rep.kind = req->kind;
    cl_audit_note note;
    memset(&note, 0, sizeof(note));
    int rc = CL_OK;
    switch (req->kind) {
    case CL_REQ_PUBLISH_REFERRAL:
        if (cl_referral_validate(&req->u.publish, err, &rep.u.publish) == CL_OK)
            rc = cl_core_publish(t, &mc, &s_who, &req->u.publish, 1700000001,
                                 &rep.u.publish, &note, err);
        if (rc == CL_OK) {
            cl_feed_event ev;
            rc = cl_core_route_publish(t, &s_route, &s_who, &req->u.publish,
                                       1700000001, &rep.u.publish, &ev);
        }
        if (rc == CL_OK && rep.u.publish.reference[0])
            rc = cl_intake_on_publish(t, &s_intake, &s_route, &req->u.publish,
                                      rep.u.publish.reference, 1700000001);
        if (rc == CL_OK && rep.u.publish.reference[0])
            rc = cl_flag_on_publish(t, &s_flag, &s_route, &s_who,
                                    rep.u.publish.reference, 1700000001,
                                    &rep.u.publish.flag);
        break;
    case CL_REQ_CORRECT_REFERRAL:
        if (cl_referral_validate(&req->u.rectify.referral, err,
                                 &rep.u.publish) != CL_OK)
            break;
        /* fall through */
    case CL_REQ_WITHDRAW_REFERRAL:
        rc = cl_core_rectify(t, &mc, &s_who, req->kind, &req->u.rectify,
                             1700000002, &rep.u.publish, &note, err);
        break;
    case CL_REQ_GET_PERSON:
        rc = cl_core_person_view(t, &s_who, &req->u.get_person, &rep.u.person,
                                 &note, err);
        break;
    case CL_REQ_SUBJECT_ACCESS:
        rc = cl_core_subject_access(t, &s_who, &req->u.person_ref,
                                    &rep.u.subject, &note, err);
        break;
    case CL_REQ_AUDIT_SEARCH:
        rc = cl_core_audit_search(t, &s_who, &req->u.person_ref, &rep.u.entries,
                                  &note, err);
        break;
    case CL_REQ_PUBLISH_PLAN:
        if (cl_plan_validate(&req->u.plan, err, &rep.u.publish) == CL_OK)
            rc = cl_core_publish_plan(t, &mc, &s_route, &s_who, &req->u.plan,
                                      1700000004, &rep.u.publish, &note, err);
        break;
    case CL_REQ_IMPORT_PERSON:
        if (cl_import_validate(&req->u.import, err, NULL) == CL_OK)
            rc = cl_core_import_person(t, &mc, &s_who, &req->u.import,
                                       1700000005, &rep.u.import, &note, err);
        break;
    case CL_REQ_FIND_PERSON:
        rc = cl_core_find(t, &mc, &s_who, &req->u.find, &rep.u.candidates,
                          &note, err);
        break;
    case CL_REQ_REVIEW_LIST:
        rc = cl_core_review_list(t, &mc, &s_who, &req->u.review_q,
                                 &rep.u.reviews, &note, err);
        break;
    case CL_REQ_REVIEW_DECIDE:
    case CL_REQ_SPLIT_RECORD:
        rc = cl_core_link_change(t, &s_who, req->kind, &req->u.link, 1700000006,
                                 &rep.u.publish, &note, err);
        break;
    case CL_REQ_LINKS_EXPORT:
        rc = cl_core_links_export(t, &s_who, &req->u.links, &rep.u.links, &note,
                                  err);
        break;
    case CL_REQ_CREATE_REVIEW:
        rc = cl_core_create_review(t, &s_who, &req->u.review_new, 1700000007,
                                   &rep.u.publish, &note, err);
        break;
    case CL_REQ_ADD_TO_AGENDA:
        rc = cl_core_add_to_agenda(t, &s_who, &req->u.agenda, 1700000008,
                                   &rep.u.publish, &note, err);
        break;
    case CL_REQ_CASE_FINDING:
        rc = cl_core_case_finding(t, &s_who, &req->u.finding, 1700000009,
                                  &rep.u.finding, &note, err);
        break;
    case CL_REQ_AUDIT_VERIFY:
        rc = cl_audit_verify(t, req->u.checkpoint, &rep.u.verify);
        break;
    case CL_REQ_SET_STATUS:
        rc = cl_core_set_status(t, &s_route, &s_who, &req->u.set_status,
                                1700000010, &rep.u.publish, &note, err);
        break;
    case CL_REQ_INBOX_RECEIVE:
        rc = cl_core_inbox_receive(t, &s_who, &req->u.inbox, &rep.u.deliveries,
                                   err);
        break;
    case CL_REQ_INBOX_ACK:
        rc = cl_core_inbox_ack(t, &s_who, &req->u.ack, &rep.u.ack, err);
        break;
    case CL_REQ_INFO_REQUEST:
        rc = cl_core_info_request(t, &s_route, &s_who, &req->u.info, 1700000011,
                                  &rep.u.publish, &note, err);
        break;
    case CL_REQ_INFO_RESPOND:
        rc = cl_core_info_respond(t, &s_route, &s_who, &req->u.respond,
                                  1700000012, &rep.u.publish, &note, err);
        break;
    case CL_REQ_REQUEST_LIST:
        rc = cl_core_request_list(t, &s_who, &req->u.req_list, 1700000013,
                                  &rep.u.requests, &note, err);
        break;
    case CL_REQ_ADMIN_FEEDS:
        rc = cl_core_feeds(t, &s_route, 1700000014, &rep.u.feeds);
        break;
    case CL_REQ_ADMIN_PROMOTE:
        break; /* the server's: it touches the stream, not the domain */
    case CL_REQ_RECORD_DISCUSSION:
        rc = cl_core_record_discussion(t, &s_who, &req->u.discussion,
                                       1700000015, &rep.u.publish, &note, err);
        break;
    case CL_REQ_ADD_ACTION:
        rc = cl_core_add_action(t, &s_route, &s_who, &req->u.action, 1700000016,
                                &rep.u.publish, &note, err);
        break;
    case CL_REQ_UPDATE_ACTION:
        rc = cl_core_update_action(t, &s_route, &s_who, &req->u.action_update,
                                   1700000017, &rep.u.publish, &note, err);
        break;
    case CL_REQ_LIST_ACTIONS:
        rc = cl_core_list_actions(t, &s_who, &req->u.action_query, 1700000018,
                                  &rep.u.actions, &note, err);
        break;
    case CL_REQ_SET_RAG:
        rc = cl_core_set_rag(t, &s_who, &req->u.rag, 1700000019, &rep.u.publish,
                             &note, err);
        break;
    case CL_REQ_RAG_HISTORY:
        rc = cl_core_rag_history(t, &s_who, &req->u.rag, &rep.u.rags, &note,
                                 err);
        break;
    case CL_REQ_DEFINE_MEASURE:
        rc = cl_core_define_measure(t, &s_who, &req->u.measure_def, 1700000020,
                                    &rep.u.publish, &note, err);
        break;
    case CL_REQ_RECORD_MEASURE:
        rc = cl_core_record_measure(t, &s_who, &req->u.measure, 1700000021,
                                    &rep.u.publish, &note, err);
        break;
    case CL_REQ_REPORT:
        rc = cl_core_report(t, &s_who, &req->u.report, 1700000022, 5,
                            &rep.u.report, &note, err);
        break;
    case CL_REQ_REVIEW_PACK:
        rc = cl_core_review_pack(t, &s_who, req->u.pack_review, 1700000023,
                                 &rep.u.pack, &note, err);
        break;
    case CL_REQ_INTAKE_LIST: {
        uint32_t raised;
        rc =
            cl_intake_housekeeping(t, &s_intake, &s_route, 1700000024, &raised);
        if (rc == CL_OK)
            rc = cl_intake_list(t, &s_who, req->u.intake_all, 1700000024,
                                &rep.u.intake, &note, err);
        break;
    }
    case CL_REQ_REFERRAL_LIST:
        rc = cl_lists_referrals(t, &s_who, &req->u.ref_query, 1700000026,
                                &rep.u.ref_rows, &note, err);
        break;
    case CL_REQ_MDT_LIST:
        rc = cl_lists_reviews(t, &s_who, &req->u.mdt_query, 1700000027,
                              &rep.u.mdt_rows, err);
        break;
    case CL_REQ_RECORD_MEETING:
        rc = cl_core_record_meeting(t, &s_who, &req->u.meeting, 1700000028,
                                    &rep.u.publish, &note, err);
        break;
    case CL_REQ_INTAKE_DECIDE:
        rc = cl_intake_decide(t, &s_route, &s_who, &req->u.intake_decide,
                              1700000025, &rep.u.publish, &note, err);
        break;
    case CL_REQ_LEGAL_HOLD:
        rc = cl_core_legal_hold(t, &s_who, &req->u.hold, 1700000026,
                                &rep.u.publish, &note, err);
        break;
    case CL_REQ_LINK_ADMIN:
        rc = cl_link_admin(t, &mc, &s_who, &req->u.link_admin, 1700000024,
                           &rep.u.link_info, &note, err);
        break;
    case CL_REQ_FLAG_CHECK:
        rc = cl_flag_check(t, &s_flag, &s_route, &s_who, &req->u.flag,
                           1700000024, &rep.u.flag, &note, err);
        break;
    case CL_REQ_FLAG_DISCLOSURES:
        rc = cl_flag_list(t, &s_who, &req->u.flag_log, &rep.u.flag_log, &note,
                          err);
        break;
    case CL_REQ_WITHDRAW_PLAN:
        rc = cl_core_withdraw_plan(t, &s_route, &s_who, &req->u.plan_withdraw,
                                   1700000025, &rep.u.publish, &note, err);
        break;
    default:
        break;
    }
    if (rc == CL_OK)
        if (cl_audit_append(t, &s_who, cl_wire_kind_name(req->kind), &note, 0,
                            1700000003) != CL_OK) {
            /* refusals are expected */
        }
    cl_store_abort(&t);
    uint8_t *out = NULL;
    size_t len = 0;
    if (cl_wire_encode_reply(&out, &len, &rep) == CL_OK) {
        cl_reply back;
        if (cl_wire_decode_reply(&back, out, len) == CL_OK)
            cl_reply_clear(&back);
        free(out);
    }
    cl_reply_clear(&rep);
    return 0;
}
