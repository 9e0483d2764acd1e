/*
 * dispatch: one request from its frames to its reply. Read the frames,
 * decode (wire), check the caller's roles, named user and names against
 * the access rules, apply per-client limits, then run the request in the
 * batch's transaction (a write in a nested one of its own, with its
 * idempotency record) and audit it. Replies are sent by the loop after
 * the commit (item.c). No business rules: those are core's.
 */
#include "dispatch.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "backup.h"
#include "flag.h"
#include "intake.h"
#include "item.h"
#include "lists.h"
#include "log.h"
#include "names.h"
#include "natural.h"
#include "rate.h"
#include "replica.h"

/*
 * The named user ("Systems and users"): validated, required where the
 * access rules say so, and on the client's permitted list when the
 * registry has one. A user that passes validation is kept on the caller
 * even when refused, so the audit of the refused attempt names them.
 */
static void s_check_user(cl_server *s, s_item *it)
{
    char err[CL_ERROR_SZ];
    const cl_user *u = &it->req.on_behalf_of;
    int rc = cl_user_validate(u, err);
    if (rc != CL_OK) {
        it->early = rc;
        cl_item_fail(it, rc, err);
        return;
    }
    it->caller.user = *u;
    if (!cl_user_named(u)) {
        if (cl_core_user_required(it->who, it->req.kind)) {
            it->early = CL_ERR_DENIED;
            snprintf(err, sizeof(err),
                     "%s needs on_behalf_of: the user id, display name and "
                     "role of the person client %s acts for",
                     cl_wire_kind_name(it->req.kind), it->who->name);
            cl_item_fail(it, CL_ERR_DENIED, err);
        }
        return;
    }
    if (!cl_registry_permits(s->registry, it->key, u->id)) {
        it->early = CL_ERR_DENIED;
        /* The reply goes to the log too: it names no user. */
        snprintf(err, sizeof(err),
                 "the user in on_behalf_of is not permitted for client %s: "
                 "its user_id is not on the client's users list in the "
                 "registry",
                 it->who->name);
        cl_item_fail(it, CL_ERR_DENIED, err);
    }
}

/* Names a person types that must be chosen from a list: registered
 * agencies, and the workstreams [report] workstreams lists (when it lists
 * any). A name in another case becomes the listed one; a near miss is
 * refused with "did you mean". One row per request field. */
static void s_check_names(cl_server *s, s_item *it)
{
    char err[CL_ERROR_SZ];
    const cl_route_config *rc = &s->cfg.route;
    cl_request *q = &it->req;
    char *one[2] = {NULL, NULL};
    char(*many)[CL_AGENCY_SZ] = NULL;
    uint32_t n_many = 0;
    switch (q->kind) {
    case CL_REQ_CASE_FINDING:
        one[0] = q->u.finding.agency;
        break;
    case CL_REQ_CREATE_REVIEW:
        many = q->u.review_new.agencies;
        n_many = q->u.review_new.n_agencies;
        break;
    case CL_REQ_ADD_ACTION:
        one[0] = q->u.action.owner_agency;
        break;
    case CL_REQ_INFO_REQUEST:
        many = q->u.info.agencies;
        n_many = q->u.info.n_agencies;
        break;
    case CL_REQ_IMPORT_PERSON:
        one[0] = q->u.import.agency;
        break;
    default:
        break;
    }
    int r = CL_OK;
    for (int i = 0; i < 2 && r == CL_OK && rc->n_agencies; i++)
        if (one[i] && one[i][0])
            r = cl_names_resolve(one[i], CL_AGENCY_SZ, rc->agencies[0],
                                 rc->n_agencies, CL_AGENCY_SZ, "agency",
                                 "registered agency", err);
    for (uint32_t i = 0; i < n_many && r == CL_OK && rc->n_agencies; i++)
        if (many[i][0])
            r = cl_names_resolve(many[i], CL_AGENCY_SZ, rc->agencies[0],
                                 rc->n_agencies, CL_AGENCY_SZ, "agency",
                                 "registered agency", err);
    if (r == CL_OK && s->cfg.n_workstreams &&
        (q->kind == CL_REQ_SET_RAG || q->kind == CL_REQ_RAG_HISTORY) &&
        q->u.rag.workstream[0])
        r = cl_names_resolve(q->u.rag.workstream, CL_NAME_SZ,
                             s->cfg.workstreams[0], s->cfg.n_workstreams,
                             CL_NAME_SZ, "workstream", "listed workstream",
                             err);
    if (r != CL_OK) {
        it->early = r;
        cl_item_fail(it, r, err);
    }
}

/* Read one request's frames. Returns false when nothing is waiting.
 * Accepted shapes after the routing id: [payload] (DEALER) or
 * [empty][payload] (REQ). */
bool cl_dispatch_recv(cl_server *s, s_item *it)
{
    zmq_msg_t f[3];
    size_t nf = 0, total = 0;
    char err[CL_ERROR_SZ];
    zmq_msg_init(&it->route);
    if (zmq_msg_recv(&it->route, s->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&it->route);
        return false;
    }
    it->req.kind = CL_REQ_NONE; /* the decoder clears the rest */
    memset(it->req.msgid, 0, CL_MSGID_LEN);
    it->req.msgid_read = false;
    memset(&it->rep, 0, sizeof(it->rep));
    it->out = NULL;
    it->out_len = 0;
    it->has_delim = false;
    /* A slot is reused: nothing of its last request may act on this one
     * (a refused request must not start a backup or a promotion). */
    it->deferred = it->park = it->promote = false;
    it->early = CL_OK;
    it->key[0] = '\0';
    /* nothing of the slot's previous request may carry over: a refused
     * frame after a parked receive must not be parked, nor one after a
     * backup start a backup, nor repeat a feed gap */
    it->deferred = false;
    it->park = false;
    memset(&it->gap, 0, sizeof(it->gap));
    bool more = zmq_msg_more(&it->route);
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->router, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        total++;
        if (nf < 3)
            f[nf++] = m;
        else
            zmq_msg_close(&m);
    }
    s->requests++;
    zmq_msg_t *payload = NULL;
    if (total == 1)
        payload = &f[0];
    else if (total == 2 && zmq_msg_size(&f[0]) == 0) {
        payload = &f[1];
        it->has_delim = true;
    }
    const char *uid = nf ? zmq_msg_gets(&f[nf - 1], "User-Id") : NULL;
    if (uid)
        CL_COPY(it->key, uid);
    const cl_caller *reg = cl_registry_find(s->registry, it->key);
    it->who = NULL;
    if (reg) {
        it->caller = *reg;
        memset(&it->caller.user, 0, sizeof(it->caller.user));
        it->who = &it->caller;
    }
    size_t bytes = payload ? zmq_msg_size(payload) : 0;
    if (!payload) {
        it->early = CL_ERR_INVALID;
        cl_item_fail(it, CL_ERR_INVALID,
                     "expected one frame holding an Envelope");
    } else if (!it->who) {
        it->req.msgid_read = cl_wire_peek_msgid(
            it->req.msgid, zmq_msg_data(payload), zmq_msg_size(payload));
        it->early = CL_ERR_DENIED;
        cl_item_fail(it, CL_ERR_DENIED, "client key is no longer registered");
    } else {
        int rc =
            cl_wire_decode_request(&it->req, zmq_msg_data(payload), bytes, err);
        if (rc != CL_OK) {
            it->early = rc;
            cl_item_fail(it, rc, err);
        } else if (!cl_core_allowed(it->who->roles, it->req.kind)) {
            it->early = CL_ERR_DENIED;
            snprintf(err, sizeof(err), "%s is not allowed for client %s",
                     cl_wire_kind_name(it->req.kind), it->who->name);
            cl_item_fail(it, CL_ERR_DENIED, err);
        } else {
            s_check_user(s, it);
            if (it->early == CL_OK)
                s_check_names(s, it);
        }
    }
    if (it->early != CL_OK) {
        char why[CL_ERROR_SZ];
        cl_log_mask(why, sizeof(why), it->rep.error);
        cl_log_refusal(it->who ? it->who->name : it->key,
                       "request refused: client=%s bytes=%zu status=%s: %s",
                       it->who ? it->who->name : "(revoked)", bytes,
                       cl_status_name(it->rep.status), why);
    }
    for (size_t i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return true;
}

/* True for errors that must fail (or retry) the whole batch. */
static bool s_fatal(int rc)
{
    return rc == CL_ERR_FULL || rc == CL_ERR_NOMEM || rc == CL_ERR_IO ||
           rc == CL_ERR_BUSY || rc == CL_ERR_CORRUPT || rc == CL_ERR_INTERNAL;
}

/*
 * A write (publish, correct, withdraw): idempotency check, then the change
 * and its audit entry in a nested transaction, then the reply remembered
 * under the message id. Stored idempotency value: 16-byte body hash, then
 * the encoded reply.
 */

static int s_write(cl_server *s, cl_txn *parent, s_item *it)
{
    uint8_t ik[CL_BLIND_LEN], idem[CL_MSGID_LEN + CL_Z85_KEY_SZ];
    /* A write's reply is a reference and a few warnings: small. */
    uint8_t stored[16 + 8192];
    size_t stored_len = 0;
    cl_txn *t = NULL;
    cl_audit_note note;
    char err[CL_ERROR_SZ] = "";
    int rc;

    memset(&note, 0, sizeof(note));
    memcpy(idem, it->key, CL_Z85_KEY_SZ);
    memcpy(idem + CL_Z85_KEY_SZ, it->req.msgid, CL_MSGID_LEN);
    cl_store_blind(s->store, ik, "idem", idem, sizeof(idem));
    rc = cl_store_get(parent, CL_DB_IDEMPOTENCY, ik, sizeof(ik), stored,
                      sizeof(stored), &stored_len);
    if (rc == CL_OK) {
        if (stored_len < 16 || sodium_memcmp(stored, it->req.body_hash, 16)) {
            cl_item_fail(it, CL_ERR_INVALID,
                         "message id already used for a different request");
        } else {
            rc = cl_wire_reply_as_duplicate(&it->out, &it->out_len, stored + 16,
                                            stored_len - 16);
            if (rc != CL_OK)
                goto out;
        }
        rc = CL_OK;
        goto out;
    }
    if (rc != CL_ERR_NOT_FOUND)
        goto out;

    it->rep.kind = it->req.kind;
    /* A correction is a patch: core checks it laid over the stored one. */
    cl_referral *content =
        it->req.kind == CL_REQ_PUBLISH_REFERRAL ? &it->req.u.publish : NULL;
    cl_publish_result import_warn;
    memset(&import_warn, 0, sizeof(import_warn));
    if (it->req.kind == CL_REQ_IMPORT_PERSON) {
        rc = cl_import_validate(&it->req.u.import, err, &import_warn);
        it->rep.u.import.n_warnings = import_warn.n_warnings;
        memcpy(it->rep.u.import.warnings, import_warn.warnings,
               sizeof(import_warn.warnings));
        if (rc != CL_OK) {
            cl_item_fail(it, rc, err);
            rc = cl_item_audit(s, parent, it, &note);
            goto out;
        }
    }
    if (it->req.kind == CL_REQ_PUBLISH_PLAN &&
        (rc = cl_core_plan_authority(it->who, err)) != CL_OK) {
        cl_item_fail(it, rc, err);
        rc = cl_item_audit(s, parent, it, &note);
        goto out;
    }
    if (content || it->req.kind == CL_REQ_PUBLISH_PLAN) {
        rc = content
                 ? cl_referral_validate(content, err, &it->rep.u.publish)
                 : cl_plan_validate(&it->req.u.plan, err, &it->rep.u.publish);
        if (rc != CL_OK) {
            cl_item_fail(it, rc, err);
            rc = cl_item_audit(s, parent, it, &note);
            goto out;
        }
    }
    if ((rc = cl_store_begin(&t, s->store, parent, true)) != CL_OK)
        goto out;
    bool again = false; /* the agency's reference published before */
    if (it->req.kind == CL_REQ_PUBLISH_REFERRAL) {
        rc = cl_natural_check(t, it->who, content, it->req.body_hash,
                              &it->rep.u.publish, err);
        again = rc == CL_OK;
        if (rc == CL_ERR_NOT_FOUND)
            rc = cl_core_publish(t, &s->cfg.match, it->who, content, s_now(),
                                 &it->rep.u.publish, &note, err);
        else
            goto publish_done;
        if (rc == CL_OK)
            rc = cl_core_route_publish(t, &s->cfg.route, it->who, content,
                                       s_now(), &it->rep.u.publish, &it->gap);
        if (rc == CL_OK)
            rc = cl_natural_record(t, it->who, content, it->req.body_hash);
        if (rc == CL_OK)
            rc = cl_intake_on_publish(t, &s->cfg.intake, &s->cfg.route, content,
                                      it->rep.u.publish.reference, s_now());
        /* a flag shown on a publish reply counts against the same
         * per-client rate as a check: a flood of publishes is no way
         * round the limit (the referral is stored all the same) */
        s_rate *fr = cl_rate_slot(s, it->who->name);
        if (rc == CL_OK && fr->used >= s->cfg.flag.rate_per_minute)
            fr->refused++;
        else if (rc == CL_OK &&
                 (rc = cl_flag_on_publish(t, &s->cfg.flag, &s->cfg.route,
                                          it->who, it->rep.u.publish.reference,
                                          s_now(), &it->rep.u.publish.flag)) ==
                     CL_OK &&
                 it->rep.u.publish.flag.n)
            fr->used++;
    } else if (it->req.kind == CL_REQ_RECORD_MEETING)
        rc = cl_core_record_meeting(t, it->who, &it->req.u.meeting, s_now(),
                                    &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_INTAKE_DECIDE)
        rc = cl_intake_decide(t, &s->cfg.route, it->who,
                              &it->req.u.intake_decide, s_now(),
                              &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_FLAG_CHECK)
        rc = cl_flag_check(t, &s->cfg.flag, &s->cfg.route, it->who,
                           &it->req.u.flag, s_now(), &it->rep.u.flag, &note,
                           err);
    else if (it->req.kind == CL_REQ_WITHDRAW_PLAN)
        rc = cl_core_withdraw_plan(t, &s->cfg.route, it->who,
                                   &it->req.u.plan_withdraw, s_now(),
                                   &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_SET_STATUS)
        rc =
            cl_core_set_status(t, &s->cfg.route, it->who, &it->req.u.set_status,
                               s_now(), &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_INFO_REQUEST)
        rc = cl_core_info_request(t, &s->cfg.route, it->who, &it->req.u.info,
                                  s_now(), &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_INFO_RESPOND)
        rc = cl_core_info_respond(t, &s->cfg.route, it->who, &it->req.u.respond,
                                  s_now(), &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_RECORD_DISCUSSION)
        rc = cl_core_record_discussion(t, it->who, &it->req.u.discussion,
                                       s_now(), &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_ADD_ACTION)
        rc = cl_core_add_action(t, &s->cfg.route, it->who, &it->req.u.action,
                                s_now(), &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_UPDATE_ACTION)
        rc = cl_core_update_action(t, &s->cfg.route, it->who,
                                   &it->req.u.action_update, s_now(),
                                   &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_SET_RAG)
        rc = cl_core_set_rag(t, it->who, &it->req.u.rag, s_now(),
                             &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_DEFINE_MEASURE)
        rc = cl_core_define_measure(t, it->who, &it->req.u.measure_def, s_now(),
                                    &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_RECORD_MEASURE)
        rc = cl_core_record_measure(t, it->who, &it->req.u.measure, s_now(),
                                    &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_LEGAL_HOLD)
        rc = cl_core_legal_hold(t, it->who, &it->req.u.hold, s_now(),
                                &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_PUBLISH_PLAN)
        rc = cl_core_publish_plan(t, &s->cfg.match, &s->cfg.route, it->who,
                                  &it->req.u.plan, s_now(), &it->rep.u.publish,
                                  &note, err);
    else if (it->req.kind == CL_REQ_CREATE_REVIEW)
        rc = cl_core_create_review(t, it->who, &it->req.u.review_new, s_now(),
                                   &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_ADD_TO_AGENDA)
        rc = cl_core_add_to_agenda(t, it->who, &it->req.u.agenda, s_now(),
                                   &it->rep.u.publish, &note, err);
    else if (it->req.kind == CL_REQ_IMPORT_PERSON)
        rc = cl_core_import_person(t, &s->cfg.match, it->who, &it->req.u.import,
                                   s_now(), &it->rep.u.import, &note, err);
    else if (it->req.kind == CL_REQ_REVIEW_DECIDE ||
             it->req.kind == CL_REQ_SPLIT_RECORD)
        rc = cl_core_link_change(t, it->who, it->req.kind, &it->req.u.link,
                                 s_now(), &it->rep.u.publish, &note, err);
    else {
        rc = cl_core_rectify(t, &s->cfg.match, it->who, it->req.kind,
                             &it->req.u.rectify, s_now(), &it->rep.u.publish,
                             &note, err);
        uint32_t sent = 0;
        if (rc == CL_OK && it->req.kind == CL_REQ_WITHDRAW_REFERRAL)
            rc = cl_core_retract(t, &s->cfg.route, it->rep.u.publish.reference,
                                 it->req.u.rectify.reason, s_now(), &sent);
    }
publish_done:
    if (s_fatal(rc))
        goto out; /* the whole batch must fail or retry */
    if (rc != CL_OK) {
        cl_store_abort(&t);
        cl_item_fail(it, rc, err);
        rc = cl_item_audit(s, parent, it, &note);
        goto out;
    }
    if (again) {
        /* Natural idempotency: the same referral under a new message id.
         * Nothing is written; the answer names the original. */
        cl_store_abort(&t);
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
        it->rep.status = CL_STATUS_DUPLICATE;
        it->rep.original_status = CL_STATUS_OK;
        rc = cl_wire_encode_reply(&it->out, &it->out_len, &it->rep);
        goto out;
    }
    memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    it->rep.status = CL_STATUS_OK;
    /* Fail closed: no audit entry, no change. */
    if ((rc = cl_item_audit(s, t, it, &note)) != CL_OK)
        goto out;
    if ((rc = cl_wire_encode_reply(&it->out, &it->out_len, &it->rep)) != CL_OK)
        goto out;
    if (it->out_len + 16 > sizeof(stored)) {
        rc = CL_ERR_INTERNAL;
        goto out;
    }
    memcpy(stored, it->req.body_hash, 16);
    memcpy(stored + 16, it->out, it->out_len);
    rc = cl_store_put(t, CL_DB_IDEMPOTENCY, ik, sizeof(ik), stored,
                      it->out_len + 16);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
out:
    cl_store_abort(&t);
    return rc;
}

/* A read of personal data: run it, then audit it in the batch's
 * transaction whatever the outcome. */
static int s_read(cl_server *s, cl_txn *t, s_item *it)
{
    char err[CL_ERROR_SZ] = "";
    cl_audit_note note;
    int rc;
    (void)s;
    memset(&note, 0, sizeof(note));
    it->rep.kind = it->req.kind;
    switch (it->req.kind) {
    case CL_REQ_GET_PERSON:
        rc = cl_core_person_view(t, it->who, &it->req.u.get_person,
                                 &it->rep.u.person, &note, err);
        break;
    case CL_REQ_SUBJECT_ACCESS:
        rc = cl_core_subject_access(t, it->who, &it->req.u.person_ref,
                                    &it->rep.u.subject, &note, err);
        break;
    case CL_REQ_AUDIT_SEARCH:
        rc = cl_core_audit_search(t, it->who, &it->req.u.person_ref,
                                  &it->rep.u.entries, &note, err);
        break;
    case CL_REQ_REVIEW_LIST:
        rc = cl_core_review_list(t, &s->cfg.match, it->who, &it->req.u.review_q,
                                 &it->rep.u.reviews, &note, err);
        break;
    case CL_REQ_LINKS_EXPORT:
        rc = cl_core_links_export(t, it->who, &it->req.u.links,
                                  &it->rep.u.links, &note, err);
        break;
    case CL_REQ_CASE_FINDING:
        rc = cl_core_case_finding(t, it->who, &it->req.u.finding, s_now(),
                                  &it->rep.u.finding, &note, err);
        break;
    case CL_REQ_FIND_PERSON:
        rc = cl_core_find(t, &s->cfg.match, it->who, &it->req.u.find,
                          &it->rep.u.candidates, &note, err);
        break;
    case CL_REQ_REQUEST_LIST:
        rc = cl_core_request_list(t, it->who, &it->req.u.req_list, s_now(),
                                  &it->rep.u.requests, &note, err);
        break;
    case CL_REQ_LIST_ACTIONS:
        rc = cl_core_list_actions(t, it->who, &it->req.u.action_query, s_now(),
                                  &it->rep.u.actions, &note, err);
        break;
    case CL_REQ_RAG_HISTORY:
        rc = cl_core_rag_history(t, it->who, &it->req.u.rag, &it->rep.u.rags,
                                 &note, err);
        break;
    case CL_REQ_REPORT:
        rc = cl_core_report(t, it->who, &it->req.u.report, s_now(),
                            s->cfg.suppress_below, &it->rep.u.report, &note,
                            err);
        break;
    case CL_REQ_REVIEW_PACK:
        rc = cl_core_review_pack(t, it->who, it->req.u.pack_review, s_now(),
                                 &it->rep.u.pack, &note, err);
        break;
    case CL_REQ_INTAKE_LIST:
        rc = cl_intake_list(t, it->who, it->req.u.intake_all, s_now(),
                            &it->rep.u.intake, &note, err);
        break;
    case CL_REQ_REFERRAL_LIST:
        rc = cl_lists_referrals(t, it->who, &it->req.u.ref_query, s_now(),
                                &it->rep.u.ref_rows, &note, err);
        break;
    case CL_REQ_MDT_LIST:
        rc = cl_lists_reviews(t, it->who, &it->req.u.mdt_query, s_now(),
                              &it->rep.u.mdt_rows, err);
        break;
    case CL_REQ_FLAG_DISCLOSURES:
        rc = cl_flag_list(t, it->who, &it->req.u.flag_log, &it->rep.u.flag_log,
                          &note, err);
        break;
    default:
        rc = CL_ERR_INTERNAL;
    }
    if (s_fatal(rc))
        return rc;
    if (rc != CL_OK)
        cl_item_fail(it, rc, err);
    return cl_item_audit(s, t, it, &note);
}

/* The caller's own mailbox: receive (parking an empty one that may wait)
 * or acknowledge. What a mailbox holds was audited when it was routed. */
static int s_inbox(cl_txn *t, s_item *it)
{
    char err[CL_ERROR_SZ] = "";
    int rc;
    it->rep.kind = it->req.kind;
    if (it->req.kind == CL_REQ_INBOX_RECEIVE) {
        rc = cl_core_inbox_receive(t, it->who, &it->req.u.inbox,
                                   &it->rep.u.deliveries, err);
        it->park = rc == CL_OK && it->rep.u.deliveries.n == 0 &&
                   it->req.u.inbox.wait_ms > 0;
    } else {
        rc = cl_core_inbox_ack(t, it->who, &it->req.u.ack, &it->rep.u.ack, err);
    }
    if (s_fatal(rc))
        return rc;
    if (rc != CL_OK)
        cl_item_fail(it, rc, err);
    return CL_OK;
}

static int s_feeds(cl_server *s, cl_txn *t, s_item *it)
{
    it->rep.kind = CL_REQ_ADMIN_FEEDS;
    int rc = cl_core_feeds(t, &s->cfg.route, s_now(), &it->rep.u.feeds);
    if (s_fatal(rc))
        return rc;
    if (rc != CL_OK)
        cl_item_fail(it, rc, NULL);
    return CL_OK;
}

static int s_health(cl_server *s, cl_txn *t, s_item *it)
{
    cl_store_stats st;
    it->rep.kind = CL_REQ_HEALTH;
    cl_health *h = &it->rep.u.health;
    CL_COPY(h->version, S_VERSION);
    h->uptime_s = (uint64_t)(s_now() - s->started);
    /* Counts and sizes move with what other agencies send: a publisher
     * (or an unregistered key) watching them would learn whether a person
     * it names was known. Only the roles that see the store get them. */
    const uint32_t sees =
        CL_ROLE_COORDINATOR | CL_ROLE_OPERATOR | CL_ROLE_AUDITOR;
    if (!it->who || !(it->who->roles & sees))
        return CL_OK;
    int rc = cl_core_counts(t, &h->persons, &h->referrals);
    if (rc == CL_OK && cl_store_stats_get(s->store, &st) == CL_OK)
        h->store_bytes = st.used_bytes;
    cl_replica_fill(s, &h->repl);
    if (rc != CL_OK)
        cl_item_fail(it, rc, NULL);
    return CL_OK;
}

static int s_audit_admin(cl_txn *t, s_item *it)
{
    int rc;
    it->rep.kind = it->req.kind;
    if (it->req.kind == CL_REQ_AUDIT_CHECKPOINT)
        return cl_audit_checkpoint(t, s_now(), it->rep.u.checkpoint);
    rc = cl_audit_verify(t, it->req.u.checkpoint, &it->rep.u.verify);
    if (rc == CL_ERR_INVALID) {
        char why[CL_ERROR_SZ];
        CL_COPY(why, it->rep.u.verify.problem);
        cl_item_fail(it, rc, why);
        return CL_OK;
    }
    return rc;
}

static int s_percentile_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int s_stats(cl_server *s, cl_txn *t, s_item *it)
{
    cl_stats *st = &it->rep.u.stats;
    cl_store_stats ss;
    it->rep.kind = CL_REQ_ADMIN_STATS;
    st->uptime_s = (uint64_t)(s_now() - s->started);
    for (int k = 0; k < CL_REQ_KIND_COUNT; k++)
        for (int c = 0; c <= CL_STATUS_NOT_ACTIVE; c++)
            if (s->counts[k][c] && st->n_counts < CL_STATS_MAX) {
                cl_kind_count *kc = &st->counts[st->n_counts++];
                CL_COPY(kc->kind, cl_wire_kind_name((cl_req_kind)k));
                kc->status = (uint8_t)c;
                kc->count = s->counts[k][c];
            }
    st->commits = s->commits;
    st->batch_mean_x100 = s->commits ? s->batch_sum * 100 / s->commits : 0;
    st->batch_max = s->batch_max;
    size_t n = s->commits < 1024 ? (size_t)s->commits : 1024;
    if (n) {
        uint64_t sorted[1024];
        memcpy(sorted, s->commit_us, n * sizeof(uint64_t));
        qsort(sorted, n, sizeof(uint64_t), s_percentile_cmp);
        st->commit_p50_us = sorted[n / 2];
        st->commit_p99_us = sorted[(n * 99) / 100];
        st->commit_max_us = sorted[n - 1];
    }
    if (cl_store_stats_get(s->store, &ss) == CL_OK) {
        st->store_bytes = ss.used_bytes;
        st->map_bytes = ss.map_bytes;
    }
    st->key_version = cl_store_key_version(s->store);
    st->refused_connections = s->refused;
    cl_replica_fill(s, &st->repl);
    int rc = cl_core_counts(t, &st->persons, &st->referrals);
    cl_link_info li;
    if (rc == CL_OK &&
        (rc = cl_link_admin(t, &s->base_match, it->who, &(cl_link_req){0},
                            s_now(), &li, NULL, it->rep.error)) == CL_OK) {
        st->relink_running = li.rerun_running;
        st->relink_done = li.rerun_done;
        st->relink_total = li.rerun_total;
        st->relink_merged = li.rerun_merged;
        st->relink_queued = li.rerun_queued;
        st->weights_trained = li.accepted;
    }
    if (rc == CL_OK)
        rc = cl_audit_count(t, &st->audit_entries);
    if (rc == CL_OK)
        rc = cl_core_mailbox_depths(t, st);
    for (size_t i = 0;
         i < s->n_rates && st->n_rate_limited < CL_RATE_LIMITED_MAX; i++)
        if (s->rates[i].refused) {
            cl_rate_limited *x = &st->rate_limited[st->n_rate_limited++];
            CL_COPY(x->client, s->rates[i].client);
            CL_COPY(x->kind, "flag_check");
            x->refused = s->rates[i].refused;
        }
    return rc;
}

/* Linking weights and relinking: audited (who trained, accepted, reran),
 * though the answer holds no personal data. */
static int s_link_admin(cl_server *s, cl_txn *t, s_item *it)
{
    char err[CL_ERROR_SZ] = "";
    cl_audit_note note;
    memset(&note, 0, sizeof(note));
    it->rep.kind = CL_REQ_LINK_ADMIN;
    int rc = cl_link_admin(t, &s->base_match, it->who, &it->req.u.link_admin,
                           s_now(), &it->rep.u.link_info, &note, err);
    if (rc != CL_OK && !s_fatal(rc)) {
        cl_item_fail(it, rc, err);
        rc = CL_OK;
    } else if (rc == CL_OK) {
        uint8_t a = it->req.u.link_admin.action;
        s->relink_pending |= a == CL_LINK_ACCEPT || a == CL_LINK_RERUN;
    }
    if (rc == CL_OK)
        rc = cl_item_audit(s, t, it, &note);
    return rc;
}

static int s_key_admin(cl_server *s, cl_txn *t, s_item *it)
{
    uint64_t counts[CL_STORE_KEY_VERSIONS + 1];
    uint32_t retired, v = 0;
    cl_key_status *ks = &it->rep.u.key_status;
    char msg[CL_ERROR_SZ];
    int rc = CL_OK;
    it->rep.kind = it->req.kind;
    if (it->req.kind == CL_REQ_ADMIN_ROTATE_KEY) {
        rc = cl_store_rotate(t, &v);
        if (rc == CL_ERR_FULL) {
            cl_item_fail(it, CL_ERR_INVALID,
                         "all 16 data key versions are used");
            return CL_OK;
        }
        if (rc != CL_OK)
            return rc;
        memset(&s->reseal, 0, sizeof(s->reseal));
        s->resealing = true;
        cl_log_info("data key rotated to version %u; re-sealing in the "
                    "background",
                    v);
    } else if (it->req.kind == CL_REQ_ADMIN_RETIRE_KEY) {
        v = it->req.u.key_version;
        rc = cl_store_retire(t, v);
        if (rc == CL_ERR_INVALID || rc == CL_ERR_EXISTS) {
            snprintf(msg, sizeof(msg),
                     rc == CL_ERR_EXISTS
                         ? "key version %u is still in use; wait for the "
                           "re-seal to finish"
                         : "key version %u cannot be retired (current or "
                           "out of range)",
                     v);
            cl_item_fail(it, CL_ERR_INVALID, msg);
            return CL_OK;
        }
        if (rc != CL_OK)
            return rc;
        cl_log_info("data key version %u retired", v);
    }
    if ((rc = cl_store_key_usage(t, counts, &retired)) != CL_OK)
        return rc;
    uint32_t current = v && it->req.kind == CL_REQ_ADMIN_ROTATE_KEY
                           ? v
                           : cl_store_key_version(s->store);
    ks->current = current;
    for (uint32_t i = 1; i <= CL_STORE_KEY_VERSIONS; i++) {
        bool ret = (retired >> i) & 1;
        if (!counts[i] && !ret && i != current)
            continue;
        ks->versions[ks->n_versions].version = i;
        ks->versions[ks->n_versions].values = counts[i];
        ks->versions[ks->n_versions++].retired = ret;
        if (i != current)
            ks->pending += counts[i];
    }
    return CL_OK;
}

/* Per-client limits within one batch: requests and heavy requests beyond
 * a client's share are refused BUSY before any work, so one client
 * pipelining scans cannot hold another's health behind them. */
void cl_dispatch_limits(cl_server *s, s_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_item *it = &items[i];
        if (it->early != CL_OK)
            continue;
        uint32_t all = 0, heavy = 0;
        for (size_t j = 0; j < i; j++) {
            if (items[j].early != CL_OK || strcmp(items[j].key, it->key))
                continue;
            all++;
            heavy += cl_core_heavy(items[j].req.kind);
        }
        char msg[CL_ERROR_SZ];
        if (all >= s->cfg.client_inflight_max)
            snprintf(msg, sizeof(msg),
                     "too many requests in flight from this client (at most "
                     "%u at once): retry when some are answered",
                     (unsigned)s->cfg.client_inflight_max);
        else if (cl_core_heavy(it->req.kind) &&
                 heavy >= s->cfg.client_heavy_max)
            snprintf(msg, sizeof(msg),
                     "too many %s-like requests from this client at once (at "
                     "most %u scans or reports in flight): retry shortly",
                     cl_wire_kind_name(it->req.kind),
                     (unsigned)s->cfg.client_heavy_max);
        else
            continue;
        it->early = CL_ERR_BUSY;
        cl_item_fail(it, CL_ERR_BUSY, msg);
    }
}

/* Apply every good request of the batch in one transaction and commit. */
int cl_dispatch_apply(cl_server *s, s_item *items, size_t n)
{
    cl_txn *t = NULL;
    int rc = cl_store_begin(&t, s->store, NULL, true);
    for (size_t i = 0; i < n && rc == CL_OK; i++) {
        s_item *it = &items[i];
        s_watchdog(s);
        it->break_glass_seq = 0;
        if (it->early != CL_OK) {
            /* An attempt on personal data by a role without the right is
             * itself worth an audit entry. */
            if (it->early == CL_ERR_DENIED && it->who &&
                cl_core_personal(it->req.kind) && cl_replica_writable(s))
                rc = cl_item_audit(s, t, it, NULL);
            continue;
        }
        cl_item_reset(it);
        it->deferred = false;
        it->park = false;
        it->promote = false;
        memset(&it->gap, 0, sizeof(it->gap));
        if (!cl_replica_writable(s) && it->req.kind != CL_REQ_HEALTH &&
            it->req.kind != CL_REQ_ADMIN_STATS &&
            it->req.kind != CL_REQ_ADMIN_PROMOTE) {
            char msg[CL_ERROR_SZ];
            cl_replica_not_active(s, msg, sizeof(msg));
            cl_item_fail(it, CL_ERR_INACTIVE, msg);
            cl_log_info("request refused: client=%s kind=%s status=%s "
                        "(this node is %s)",
                        it->who->name, cl_wire_kind_name(it->req.kind),
                        cl_status_name(it->rep.status), s_roles[s->role]);
            continue;
        }
        switch (it->req.kind) {
        case CL_REQ_PUBLISH_REFERRAL:
        case CL_REQ_CORRECT_REFERRAL:
        case CL_REQ_WITHDRAW_REFERRAL:
        case CL_REQ_PUBLISH_PLAN:
        case CL_REQ_REVIEW_DECIDE:
        case CL_REQ_SPLIT_RECORD:
        case CL_REQ_IMPORT_PERSON:
        case CL_REQ_CREATE_REVIEW:
        case CL_REQ_ADD_TO_AGENDA:
        case CL_REQ_SET_STATUS:
        case CL_REQ_INFO_REQUEST:
        case CL_REQ_INFO_RESPOND:
        case CL_REQ_RECORD_DISCUSSION:
        case CL_REQ_ADD_ACTION:
        case CL_REQ_UPDATE_ACTION:
        case CL_REQ_SET_RAG:
        case CL_REQ_DEFINE_MEASURE:
        case CL_REQ_RECORD_MEASURE:
        case CL_REQ_INTAKE_DECIDE:
        case CL_REQ_LEGAL_HOLD:
        case CL_REQ_WITHDRAW_PLAN:
        case CL_REQ_RECORD_MEETING:
            rc = s_write(s, t, it);
            break;
        case CL_REQ_FLAG_CHECK:
            /* a publisher flooding checks is fishing, or broken */
            rc = cl_rate_ok(s, it) ? s_write(s, t, it)
                                   : cl_item_audit(s, t, it, NULL);
            break;
        case CL_REQ_INBOX_RECEIVE:
        case CL_REQ_INBOX_ACK:
            rc = s_inbox(t, it);
            break;
        case CL_REQ_ADMIN_FEEDS:
            rc = s_feeds(s, t, it);
            break;
        case CL_REQ_GET_PERSON:
        case CL_REQ_SUBJECT_ACCESS:
        case CL_REQ_AUDIT_SEARCH:
        case CL_REQ_REVIEW_LIST:
        case CL_REQ_LINKS_EXPORT:
        case CL_REQ_FIND_PERSON:
        case CL_REQ_CASE_FINDING:
        case CL_REQ_REQUEST_LIST:
        case CL_REQ_LIST_ACTIONS:
        case CL_REQ_RAG_HISTORY:
        case CL_REQ_REPORT:
        case CL_REQ_REVIEW_PACK:
        case CL_REQ_INTAKE_LIST:
        case CL_REQ_REFERRAL_LIST:
        case CL_REQ_MDT_LIST:
        case CL_REQ_FLAG_DISCLOSURES:
            rc = s_read(s, t, it);
            break;
        case CL_REQ_AUDIT_VERIFY:
        case CL_REQ_AUDIT_CHECKPOINT:
            rc = s_audit_admin(t, it);
            break;
        case CL_REQ_HEALTH:
            rc = s_health(s, t, it);
            break;
        case CL_REQ_ADMIN_STATS:
            rc = s_stats(s, t, it);
            break;
        case CL_REQ_ADMIN_ROTATE_KEY:
        case CL_REQ_ADMIN_KEY_STATUS:
        case CL_REQ_ADMIN_RETIRE_KEY:
            rc = s_key_admin(s, t, it);
            break;
        case CL_REQ_ADMIN_BACKUP:
            rc = cl_backup_prepare(s, it);
            break;
        case CL_REQ_LINK_ADMIN:
            rc = s_link_admin(s, t, it);
            break;
        case CL_REQ_ADMIN_PROMOTE:
            it->rep.kind = CL_REQ_ADMIN_PROMOTE;
            it->promote = true; /* after the commit: it appends itself */
            break;
        default:
            cl_item_fail(it, CL_ERR_INVALID, "unsupported request");
        }
        if (rc == CL_OK && it->rep.status != CL_STATUS_OK && !it->out) {
            char why[CL_ERROR_SZ];
            cl_log_mask(why, sizeof(why), it->rep.error);
            cl_log_refusal(it->who->name,
                           "request refused: client=%s kind=%s status=%s: %s",
                           it->who->name, cl_wire_kind_name(it->req.kind),
                           cl_status_name(it->rep.status), why);
        }
    }
    if (rc == CL_OK)
        rc = cl_replica_commit(s, &t);
    cl_store_abort(&t);
    return rc;
}
