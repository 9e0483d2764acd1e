/*
 * handle: the domain handlers, one per stem of cl_requests.def's handler
 * column for the WRITE and READ classes (see handle.h). Each calls the
 * domain's one operation for its kind with the request's context; the
 * class's common path (idempotency, transactions, audit, the reply's
 * status) is dispatch.c's, and the rules are core's. ADMIN handlers are in
 * handle_admin.c.
 */
#include "handle.h"

#include <string.h>

#include "flag.h"
#include "intake.h"
#include "lists.h"
#include "natural.h"
#include "rate.h"

/* The context a handler runs in: one clock reading for the request. */
void cl_handle_op_init(cl_op *op, cl_server *s, s_item *it, cl_txn *t)
{
    cl_op_init(op, t, it->who, s_now());
    op->srv = s;
    op->it = it;
    op->cfg = &s->cfg;
}

bool cl_handle_fatal(int rc)
{
    return rc == CL_ERR_FULL || rc == CL_ERR_NOMEM || rc == CL_ERR_IO ||
           rc == CL_ERR_BUSY || rc == CL_ERR_CORRUPT || rc == CL_ERR_INTERNAL ||
           rc == CL_ERR_NOSPACE;
}

/* --- writes --------------------------------------------------------------- */

/* q's validation as it was admitted (dispatch.c: the outcome, the
 * refusal, the warnings into warn), or now for a slot admitted without
 * it. */
static int s_validate(cl_op *op, cl_request *q, cl_publish_result *warn)
{
    const s_item *it = op->it;
    if (!it || !it->validated || &it->req != q)
        return cl_request_validate(q, op->err, warn);
    for (uint32_t i = 0; i < it->kept_n && warn->n_warnings < CL_WARNINGS_MAX;
         i++)
        memcpy(warn->warnings[warn->n_warnings++], it->kept[i],
               sizeof(it->kept[i]));
    if (it->vrc != CL_OK)
        memcpy(op->err, it->verr, sizeof(op->err));
    return it->vrc;
}

/* A flag shown on a publish reply counts against the same per-client rate
 * as a check: a flood of publishes is no way round the limit (the
 * referral is stored all the same). */
static int s_publish_flag(cl_op *op, cl_publish_result *out, int rc)
{
    s_rate *fr = cl_rate_slot(op->srv, op->who->name);
    if (rc != CL_OK)
        return rc;
    if (fr->used >= op->cfg->flag.rate_per_minute) {
        fr->refused++;
        return CL_OK;
    }
    rc = cl_flag_on_publish(op, &op->cfg->flag, &op->cfg->route, out->reference,
                            &out->flag);
    if (rc == CL_OK && out->flag.n)
        fr->used++;
    return rc;
}

int cl_handle_publish_referral(cl_op *op, cl_request *q, cl_reply *rep)
{
    cl_referral *content = &q->u.publish;
    cl_publish_result *out = &rep->u.publish;
    int rc = s_validate(op, q, out); /* names the full path */
    if (rc != CL_OK)
        return rc;
    rc = cl_natural_check(op->t, op->who, content, q->body_hash, &op->aref, out,
                          op->err);
    op->again = rc == CL_OK; /* the agency's reference published before */
    if (rc != CL_ERR_NOT_FOUND)
        return rc;
    rc = cl_linkfind_publish(op, &op->cfg->match, content, out);
    if (rc == CL_OK)
        rc = cl_alerts_route_publish(op->t, &op->cfg->route, op->who, content,
                                     op->now, out, &op->it->gap);
    if (rc == CL_OK)
        rc =
            cl_natural_record(op->t, op->who, content, q->body_hash, &op->aref);
    if (rc == CL_OK)
        rc = cl_intake_on_publish(op->t, &op->cfg->intake, &op->cfg->route,
                                  content, out->reference, op->now);
    return s_publish_flag(op, out, rc);
}

/* Correct and withdraw: a correction is a patch that core checks laid over
 * the stored referral; a withdrawal also retracts what was routed. */
int cl_handle_rectify(cl_op *op, cl_request *q, cl_reply *rep)
{
    uint32_t sent = 0;
    int rc = cl_referral_rectify(op, &op->cfg->match, q->kind, &q->u.rectify,
                                 &rep->u.publish);
    if (rc == CL_OK && q->kind == CL_REQ_WITHDRAW_REFERRAL)
        rc = cl_alerts_retract(op->t, &op->cfg->route, rep->u.publish.reference,
                               q->u.rectify.reason, op->now, &sent);
    return rc;
}

int cl_handle_publish_plan(cl_op *op, cl_request *q, cl_reply *rep)
{
    int rc = cl_plan_authority(op->who, op->err);
    if (rc == CL_OK)
        rc = s_validate(op, q, &rep->u.publish);
    if (rc == CL_OK)
        rc = cl_plan_publish_plan(op, &op->cfg->match, &op->cfg->route,
                                  &q->u.plan, &rep->u.publish);
    return rc;
}

int cl_handle_import_person(cl_op *op, cl_request *q, cl_reply *rep)
{
    cl_publish_result warn;
    memset(&warn, 0, sizeof(warn));
    int rc = s_validate(op, q, &warn);
    rep->u.import.n_warnings = warn.n_warnings;
    memcpy(rep->u.import.warnings, warn.warnings, sizeof(warn.warnings));
    if (rc == CL_OK)
        rc = cl_linkfind_import_person(op, &op->cfg->match, &q->u.import,
                                       &rep->u.import);
    return rc;
}

int cl_handle_link_change(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_matchq_link_change(op, q->kind, &q->u.link, &rep->u.publish);
}

int cl_handle_record_meeting(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_record_meeting(op, &q->u.meeting, &rep->u.publish);
}

int cl_handle_intake_decide(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_intake_decide(op, &op->cfg->route, &q->u.intake_decide,
                            &rep->u.publish);
}

int cl_handle_flag_check(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_flag_check(op, &op->cfg->flag, &op->cfg->route, &q->u.flag,
                         &rep->u.flag);
}

int cl_handle_withdraw_plan(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_plan_withdraw_plan(op, &op->cfg->route, &q->u.plan_withdraw,
                                 &rep->u.publish);
}

int cl_handle_set_status(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_referral_set_status(op, &op->cfg->route, &q->u.set_status,
                                  &rep->u.publish);
}

int cl_handle_info_request(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_inforeq_request(op, &op->cfg->route, &q->u.info, &rep->u.publish);
}

int cl_handle_info_respond(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_inforeq_respond(op, &op->cfg->route, &q->u.respond,
                              &rep->u.publish);
}

int cl_handle_record_discussion(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_record_discussion(op, &q->u.discussion, &rep->u.publish);
}

int cl_handle_add_action(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_action_add(op, &op->cfg->route, &q->u.action,
                             &rep->u.publish);
}

int cl_handle_update_action(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_action_update(op, &op->cfg->route, &q->u.action_update,
                                &rep->u.publish);
}

int cl_handle_set_rag(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_set_rag(op, &q->u.rag, &rep->u.publish);
}

int cl_handle_define_measure(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_report_define_measure(op, &op->cfg->route, &q->u.measure_def,
                                        &rep->u.publish);
}

int cl_handle_record_measure(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_report_record_measure(op, &q->u.measure, &rep->u.publish);
}

int cl_handle_legal_hold(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_dp_legal_hold(op, &q->u.hold, &rep->u.publish);
}

int cl_handle_create_review(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_review_create(op, &q->u.review_new, &rep->u.publish);
}

int cl_handle_add_to_agenda(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_review_agenda_add(op, &q->u.agenda, &rep->u.publish);
}

/* --- reads of personal data ----------------------------------------------- */

int cl_handle_get_person(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_caseview_person_view(op, &q->u.get_person, &rep->u.person);
}

int cl_handle_subject_access(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_dp_subject_access(op, &q->u.person_ref, &rep->u.subject);
}

int cl_handle_audit_search(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_caseview_audit_search(op, &op->cfg->route, &q->u.person_ref,
                                    &rep->u.entries);
}

int cl_handle_review_list(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_matchq_review_list(op, &op->cfg->match, &q->u.review_q,
                                 &rep->u.reviews);
}

int cl_handle_links_export(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_linkfind_links_export(op, &q->u.links, &rep->u.links);
}

int cl_handle_case_finding(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_casefind_case_finding(op, &q->u.finding, &rep->u.finding);
}

int cl_handle_find_person(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_casefind_find(op, &op->cfg->match, &q->u.find,
                            &rep->u.candidates);
}

int cl_handle_request_list(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_inforeq_list(op, &q->u.req_list, &rep->u.requests);
}

int cl_handle_list_actions(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_action_list(op, &q->u.action_query, &rep->u.actions);
}

int cl_handle_rag_history(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_rag_history(op, &q->u.rag, &rep->u.rags);
}

int cl_handle_report(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_report_figures(op, op->cfg->suppress_below, &q->u.report,
                                 &rep->u.report);
}

int cl_handle_review_pack(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_mdt_pack_build(op, q->u.pack_review, &rep->u.pack);
}

int cl_handle_intake_list(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_intake_list(op, q->u.intake_all, &rep->u.intake);
}

int cl_handle_referral_list(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_lists_referrals(op, &q->u.ref_query, &rep->u.ref_rows);
}

int cl_handle_mdt_list(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_lists_reviews(op, &q->u.mdt_query, &rep->u.mdt_rows);
}

int cl_handle_flag_disclosures(cl_op *op, cl_request *q, cl_reply *rep)
{
    return cl_flag_list(op, &q->u.flag_log, &rep->u.flag_log);
}

const char *cl_handle_fatal_why(int rc, bool stored)
{
    if (rc == CL_ERR_CORRUPT)
        return "integrity: stored data failed authentication (tampered "
               "or damaged), so the request was not carried out (nothing "
               "stored, nothing shown); retrying will not help: an "
               "auditor's `audit verify` names what failed";
    if (stored && rc == CL_ERR_NOSPACE)
        return "disk full on the daemon's host: not stored; retry later "
               "(its operator must free space)";
    if (stored)
        return rc == CL_ERR_FULL || rc == CL_ERR_BUSY
                   ? "store full: not stored, retry later"
                   : "not stored: internal error, retry later";
    return "not read: the store could not be read (busy or an "
           "internal error); retry later";
}
