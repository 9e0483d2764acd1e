/*
 * test_dp: data-protection duties on the real daemon and its real LMDB
 * file: subject access whatever happened to a referral (status changes,
 * corrections, withdrawals), rectification as a patch naming the referral
 * by the agency's own reference or caselink's id, and the blind index of
 * agency references; a person who went through every request kind there
 * is, exported by subject access and checked against every sub-database.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "core.h"
#include "dp_util.h"
#include "harness.h"
#include "refindex.h"
#include "store.h"
#include "wire.h"

#ifndef CL_CASELINK_CLI
#error "CL_CASELINK_CLI must name the caselink binary"
#endif

static const char *NHS = DP_NHS;

static const cl_referral_version *s_change(const cl_subject_access *sa,
                                           const char *ref, const char *change)
{
    for (size_t i = 0; i < sa->n_history; i++)
        if (!strcmp(sa->history[i].reference, ref) &&
            !strcmp(sa->history[i].change, change))
            return &sa->history[i];
    return NULL;
}

/* The report: after `referral status ... accepted` subject access
 * failed ("stored data failed authentication"). Every status a referral
 * can take, then the export. */
static void test_subject_access_after_status_changes(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    cl_request *q = th_referral("GP-S1", "Jane", "Smith", "1985-04-12", NHS);
    char r1[CL_REF_SZ], r2[CL_REF_SZ];
    assert_int_equal(th_publish(gp, q, r1), CL_STATUS_OK);
    randombytes_buf(q->msgid, CL_MSGID_LEN);
    CL_COPY(q->u.publish.agency_ref, "GP-S2");
    assert_int_equal(th_publish(gp, q, r2), CL_STATUS_OK);
    assert_int_equal(dp_status(co, r1, CL_REFSTAT_ACCEPTED, "", 0),
                     CL_STATUS_OK);
    assert_int_equal(dp_status(co, r1, CL_REFSTAT_CLOSED, "", 1), CL_STATUS_OK);
    assert_int_equal(dp_status(co, r2, CL_REFSTAT_DECLINED,
                               "threshold not met for adult services", 0),
                     CL_STATUS_OK);

    cl_reply rep;
    assert_int_equal(dp_sar(d, &rep), CL_STATUS_OK);
    const cl_subject_access *sa = &rep.u.subject;
    assert_int_equal(sa->person.n_referrals, 2);
    assert_int_equal(sa->n_history, 3);
    const cl_referral_version *acc = s_change(sa, r1, "status: accepted");
    const cl_referral_version *clo = s_change(sa, r1, "status: closed");
    const cl_referral_version *dec = s_change(sa, r2, "status: declined");
    if (!acc || !clo || !dec)
        fail_msg("a status change is missing from the history");
    assert_string_equal(dec->reason, "threshold not met for adult services");
    assert_non_null(strstr(acc->by, "coordinator"));
    assert_int_equal(acc->referral.status, CL_REFSTAT_RECEIVED);
    assert_int_equal(clo->referral.status, CL_REFSTAT_ACCEPTED);
    cl_reply_clear(&rep);
    /* nothing in the log suggests tampering */
    assert_false(th_file_contains(d->log, "failed authentication"));
    free(q);
    cl_client_close(&gp);
    cl_client_close(&co);
}

static void s_view(cl_client *co, cl_reply *rep)
{
    assert_int_equal(th_view_nhs(co, NHS, rep), CL_STATUS_OK);
    assert_int_equal(rep->u.person.n_referrals, 1);
}

/* Another agency naming the GP's own reference, or its id, is told "not
 * found", in the same words as for a reference nobody used; no reference
 * at all is refused. r is a correction request the test goes on using. */
static void s_not_yours(cl_client *gp, cl_client *police, cl_request *r,
                        const char *ref)
{
    cl_reply rep;
    memset(&r->u.rectify.referral, 0, sizeof(r->u.rectify.referral));
    r->u.rectify.referral.risk = 1;
    CL_COPY(r->u.rectify.reference, "GP-P1");
    assert_int_equal(dp_call(police, r, &rep), CL_STATUS_NOT_FOUND);
    char other[CL_ERROR_SZ];
    CL_COPY(other, rep.error);
    cl_reply_clear(&rep);
    CL_COPY(r->u.rectify.reference, "GP-NEVER");
    assert_int_equal(dp_call(police, r, &rep), CL_STATUS_NOT_FOUND);
    assert_non_null(strstr(other, "from your agency"));
    assert_non_null(strstr(rep.error, "from your agency"));
    cl_reply_clear(&rep);
    CL_COPY(r->u.rectify.reference, ref);
    r->kind = CL_REQ_WITHDRAW_REFERRAL;
    assert_int_equal(dp_call(police, r, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    /* no reference at all */
    r->u.rectify.reference[0] = '\0';
    assert_int_equal(dp_call(gp, r, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "reference is required"));
    cl_reply_clear(&rep);
}

/* Every earlier version of ref kept, with who, when and why. */
static void s_history_kept(th_daemon *d, const char *ref)
{
    cl_reply rep;
    assert_int_equal(dp_sar(d, &rep), CL_STATUS_OK);
    const cl_subject_access *sa = &rep.u.subject;
    assert_int_equal(sa->n_history, 3);
    const cl_referral_version *c1 = s_change(sa, ref, "corrected");
    const cl_referral_version *w = s_change(sa, ref, "withdrawn");
    if (!c1 || !w)
        fail_msg("a correction or the withdrawal is missing");
    assert_int_equal(c1->version, 1);
    assert_int_equal(c1->referral.category, 4);
    assert_string_equal(c1->reason, "category was wrong");
    assert_string_equal(c1->by, "gp (Oakfield Surgery)");
    assert_true(c1->replaced_at > 0);
    assert_string_equal(w->reason, "sent in error");
    assert_int_equal(w->referral.category, 6);
    cl_reply_clear(&rep);
}

/* The report: correcting only the category left risk
 * `unspecified` and dropped the concern and the referrer. A correction
 * is a patch; the referral is named by the agency's own reference too. */
static void test_correct_is_a_patch(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police"),
              *co = th_client(d, "coordinator");
    cl_request *q = th_referral("GP-P1", "Jane", "Smith", "1985-04-12", NHS);
    CL_COPY(q->u.publish.referrer_name, "Dr A Patel");
    CL_COPY(q->u.publish.referrer_role, "GP");
    CL_COPY(q->u.publish.subject.postcode, "LS1 4AB");
    q->u.publish.risk = 3;
    char ref[CL_REF_SZ];
    assert_int_equal(th_publish(gp, q, ref), CL_STATUS_OK);

    cl_request *r = calloc(1, sizeof(*r));
    cl_reply rep;
    r->kind = CL_REQ_CORRECT_REFERRAL;
    CL_COPY(r->u.rectify.reference, "GP-P1"); /* the agency's own */
    CL_COPY(r->u.rectify.reason, "category was wrong");
    r->u.rectify.referral.category = 6;
    assert_int_equal(dp_call(gp, r, &rep), CL_STATUS_OK);
    assert_string_equal(rep.u.publish.reference, ref);
    cl_reply_clear(&rep);

    s_view(co, &rep);
    const cl_referral_view *v = &rep.u.person.referrals[0];
    assert_int_equal(v->category, 6);
    assert_int_equal(v->risk, 3);
    assert_string_equal(v->concern, "Concern raised in a test");
    assert_string_equal(v->referrer_name, "Dr A Patel");
    assert_string_equal(v->referrer_role, "GP");
    assert_int_equal(v->basis, 1);
    assert_int_equal(v->version, 2);
    assert_string_equal(rep.u.person.records[0].person.given, "Jane");
    cl_reply_clear(&rep);

    /* the subject's postcode alone, by caselink's id */
    memset(&r->u.rectify.referral, 0, sizeof(r->u.rectify.referral));
    CL_COPY(r->u.rectify.reference, ref);
    CL_COPY(r->u.rectify.reason, "moved");
    CL_COPY(r->u.rectify.referral.subject.postcode, "ls2 7xx");
    assert_int_equal(dp_call(gp, r, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    s_view(co, &rep);
    assert_int_equal(rep.u.person.n_records, 1);
    assert_string_equal(rep.u.person.records[0].person.postcode, "LS2 7XX");
    assert_string_equal(rep.u.person.records[0].person.family, "Smith");
    assert_string_equal(rep.u.person.records[0].person.nhs, NHS);
    assert_int_equal(rep.u.person.referrals[0].category, 6);
    cl_reply_clear(&rep);

    /* nothing given: refused, and nothing changes */
    memset(&r->u.rectify.referral, 0, sizeof(r->u.rectify.referral));
    assert_int_equal(dp_call(gp, r, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "at least one field"));
    cl_reply_clear(&rep);
    /* a patch that would make the referral invalid: refused whole */
    r->u.rectify.referral.consent = 3; /* refused, without a note */
    r->u.rectify.referral.risk = 1;
    assert_int_equal(dp_call(gp, r, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "consent_note"));
    cl_reply_clear(&rep);
    s_view(co, &rep);
    assert_int_equal(rep.u.person.referrals[0].risk, 3);
    assert_int_equal(rep.u.person.referrals[0].version, 3);
    cl_reply_clear(&rep);

    s_not_yours(gp, police, r, ref);

    /* withdrawn by the agency's own reference */
    CL_COPY(r->u.rectify.reference, "GP-P1");
    CL_COPY(r->u.rectify.reason, "sent in error");
    assert_int_equal(dp_call(gp, r, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);

    s_history_kept(d, ref);

    /* the agency reference is no plaintext in the file */
    char path[400];
    snprintf(path, sizeof(path), "%s/state/data.mdb", d->dir);
    assert_false(th_file_contains(path, "GP-P1"));
    free(q);
    free(r);
    cl_client_close(&gp);
    cl_client_close(&police);
    cl_client_close(&co);
}

/* The index itself, through the function other code calls. */
static void test_refindex(void **state)
{
    (void)state;
    char dir[64];
    uint8_t master[CL_MASTER_KEY_LEN];
    cl_store *st = NULL;
    cl_txn *t = NULL;
    uint64_t id = 0;
    th_tmpdir(dir, sizeof(dir));
    randombytes_buf(master, sizeof(master));
    assert_int_equal(cl_store_open(&st, dir, master, 1 << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    assert_int_equal(cl_refindex_add(t, "Oakfield Surgery", "R-1", 7), CL_OK);
    assert_int_equal(cl_refindex_add(t, "Oakfield Surgery", "R-1", 8),
                     CL_ERR_EXISTS);
    assert_int_equal(cl_refindex_find(t, "Oakfield Surgery", "R-1", &id),
                     CL_OK);
    assert_int_equal(id, 7);
    /* the same reference at another agency is another referral */
    assert_int_equal(cl_refindex_find(t, "Northshire Police", "R-1", &id),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(cl_refindex_add(t, "Northshire Police", "R-1", 9), CL_OK);
    assert_int_equal(cl_refindex_find(t, "Northshire Police", "R-1", &id),
                     CL_OK);
    assert_int_equal(id, 9);
    /* empty names nothing */
    assert_int_equal(cl_refindex_find(t, "Oakfield Surgery", "", &id),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(cl_refindex_add(t, "", "R-1", 3), CL_ERR_INVALID);
    assert_int_equal(cl_refindex_remove(t, "Oakfield Surgery", "R-1"), CL_OK);
    assert_int_equal(cl_refindex_remove(t, "Oakfield Surgery", "R-1"), CL_OK);
    assert_int_equal(cl_refindex_find(t, "Oakfield Surgery", "R-1", &id),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&st);
    sodium_memzero(master, sizeof(master));
    assert_int_equal(th_sh("rm -rf %s", dir), 0);
}

/* --- a person through every request kind ---------------------------------
 *
 * Every request kind that touches personal data (cl_access_personal, from
 * the access table) must have a row below; a kind without one fails the
 * test. Each row sends that kind about Jane Smith, planting a marker
 * ("MK-...") in every free-text field it takes. Afterwards every
 * sub-database is read (sealed values opened with the master key), and
 * every marker found in one must be in the auditor's export unless the
 * sub-database's row in cl_dp_sar_cover (daemon/core/dp.c) says why it
 * is left out. So a new kind that stores something, or a new
 * sub-database, fails here until subject access covers it.
 */

typedef struct s_world {
    th_daemon *d;
    cl_client *gp, *police, *childrens, *adults, *co, *au;
    char pid[CL_PID_SZ];
    char ref1[CL_REF_SZ], ref2[CL_REF_SZ];
    char mdt[CL_REF_SZ], req[CL_REF_SZ], act[CL_REF_SZ];
    char queued[CL_REF_SZ], split_rid[CL_REF_SZ];
} s_world;

static void k_publish(s_world *w)
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_PUBLISH_REFERRAL);
    CL_COPY(r->u.publish.agency_ref, "GP-MK-1");
    dp_jane(&r->u.publish.subject);
    r->u.publish.category = 4;
    r->u.publish.risk = 2;
    r->u.publish.basis = 1;
    r->u.publish.consent = 3;
    CL_COPY(r->u.publish.consent_note, "MK-consent-note");
    CL_COPY(r->u.publish.concern, "MK-concern-first");
    CL_COPY(r->u.publish.referrer_name, "MK-referrer");
    CL_COPY(r->u.publish.referrer_role, "MK-referrer-role");
    r->u.publish.n_related = 1;
    r->u.publish.related[0].rel = 2; /* child */
    CL_COPY(r->u.publish.related[0].person.given, "Amy");
    CL_COPY(r->u.publish.related[0].person.family, "Smith");
    CL_COPY(r->u.publish.related[0].person.dob, "2015-06-01");
    dp_ok(w->gp, r, &rep);
    CL_COPY(w->ref1, rep.u.publish.reference);
    cl_reply_clear(&rep);
}

static void k_plan(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_PUBLISH_PLAN);
    cl_plan *p = &r->u.plan;
    CL_COPY(p->agency_ref, "CP-MK-1");
    p->type = 1;
    p->category = 2;
    p->basis = 1;
    CL_COPY(p->start, "2026-01-05");
    CL_COPY(p->authority, "Northshire Children's Services");
    CL_COPY(p->legal_basis, "MK-legal-basis");
    CL_COPY(p->child.given, "Amy");
    CL_COPY(p->child.family, "Smith");
    CL_COPY(p->child.dob, "2015-06-01");
    p->n_adults = 1;
    p->adults[0].rel = 1; /* parent */
    dp_jane(&p->adults[0].person);
    dp_ok(w->childrens, r, NULL);
    /* a second referral about Jane now alerts children's services */
    cl_reply rep;
    r = dp_req(CL_REQ_PUBLISH_REFERRAL);
    CL_COPY(r->u.publish.agency_ref, "GP-MK-2");
    dp_jane(&r->u.publish.subject);
    r->u.publish.category = 4;
    r->u.publish.basis = 1;
    r->u.publish.consent = 1;
    CL_COPY(r->u.publish.concern, "MK-concern-second");
    dp_ok(w->gp, r, &rep);
    CL_COPY(w->ref2, rep.u.publish.reference);
    cl_reply_clear(&rep);
}

static void k_import(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_IMPORT_PERSON);
    dp_jane(&r->u.import.person);
    CL_COPY(r->u.import.person.local_id, "MK-ASC-LOCAL");
    CL_COPY(r->u.import.person.town, "MK-town");
    CL_COPY(r->u.import.agency, "Northshire Adult Social Care");
    dp_ok(w->adults, r, NULL);
}

static void k_find(s_world *w)
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_FIND_PERSON);
    CL_COPY(r->u.find.match.given, "Jane");
    CL_COPY(r->u.find.match.family, "Smith");
    CL_COPY(r->u.find.match.dob, "1985-04-12");
    CL_COPY(r->u.find.justification, "MK-find-why: checking who this is");
    r->u.find.access_reason = 5;
    r->u.find.limit = 5;
    dp_ok(w->co, r, &rep);
    assert_true(rep.u.candidates.n >= 1);
    CL_COPY(w->pid, rep.u.candidates.v[0].person_id);
    cl_reply_clear(&rep);
}

static void k_review(s_world *w)
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_CREATE_REVIEW);
    CL_COPY(r->u.review_new.date, "2030-01-15");
    CL_COPY(r->u.review_new.title, "MK-review-title");
    r->u.review_new.n_agencies = 1;
    CL_COPY(r->u.review_new.agencies[0], "Oakfield Surgery");
    dp_ok(w->co, r, &rep);
    CL_COPY(w->mdt, rep.u.publish.reference);
    cl_reply_clear(&rep);
    r = dp_req(CL_REQ_ADD_TO_AGENDA);
    CL_COPY(r->u.agenda.review_id, w->mdt);
    CL_COPY(r->u.agenda.who.person_id, w->pid);
    r->u.agenda.reason = 1;
    CL_COPY(r->u.agenda.note, "MK-agenda-note");
    dp_ok(w->co, r, NULL);
}

static void k_get(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_GET_PERSON);
    CL_COPY(r->u.get_person.person_id, w->pid);
    CL_COPY(r->u.get_person.review_id, w->mdt);
    dp_ok(w->co, r, NULL);
}

static void k_discuss(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_RECORD_DISCUSSION);
    CL_COPY(r->u.discussion.review_id, w->mdt);
    CL_COPY(r->u.discussion.person_id, w->pid);
    CL_COPY(r->u.discussion.summary, "MK-discussion");
    CL_COPY(r->u.discussion.decisions, "MK-decisions");
    dp_ok(w->co, r, NULL);
}

static void k_action(s_world *w)
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_ADD_ACTION);
    CL_COPY(r->u.action.review_id, w->mdt);
    CL_COPY(r->u.action.person_id, w->pid);
    CL_COPY(r->u.action.text, "MK-action-text");
    CL_COPY(r->u.action.owner_name, "MK-owner");
    CL_COPY(r->u.action.owner_agency, "Oakfield Surgery");
    CL_COPY(r->u.action.due, "2030-02-01");
    dp_ok(w->co, r, &rep);
    CL_COPY(w->act, rep.u.publish.reference);
    cl_reply_clear(&rep);
}

static void k_action_update(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_UPDATE_ACTION);
    CL_COPY(r->u.action_update.action_id, w->act);
    r->u.action_update.status = CL_ACTION_DONE;
    CL_COPY(r->u.action_update.note, "MK-action-note");
    dp_ok(w->co, r, NULL);
}

static void k_actions(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_LIST_ACTIONS);
    CL_COPY(r->u.action_query.person_id, w->pid);
    dp_ok(w->co, r, NULL);
}

static void k_rag(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_SET_RAG);
    CL_COPY(r->u.rag.person_id, w->pid);
    r->u.rag.rating = CL_RAG_AMBER;
    CL_COPY(r->u.rag.note, "MK-rag-note");
    dp_ok(w->co, r, NULL);
}

static void k_rag_history(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_RAG_HISTORY);
    CL_COPY(r->u.rag.person_id, w->pid);
    dp_ok(w->co, r, NULL);
}

static void k_measure(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_DEFINE_MEASURE);
    CL_COPY(r->u.measure_def.name, "MK-measure");
    CL_COPY(r->u.measure_def.from, "2026-01");
    CL_COPY(r->u.measure_def.to, "2026-06");
    dp_ok(w->co, r, NULL);
    r = dp_req(CL_REQ_RECORD_MEASURE);
    CL_COPY(r->u.measure.name, "MK-measure");
    CL_COPY(r->u.measure.person_id, w->pid);
    CL_COPY(r->u.measure.period, "2026-03");
    r->u.measure.value = 3;
    dp_ok(w->co, r, NULL);
}

static void k_info(s_world *w)
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_INFO_REQUEST);
    CL_COPY(r->u.info.who.person_id, w->pid);
    r->u.info.n_agencies = 1;
    CL_COPY(r->u.info.agencies[0], "Northshire Police");
    CL_COPY(r->u.info.due, "2030-01-10");
    CL_COPY(r->u.info.question, "MK-question");
    CL_COPY(r->u.info.review_id, w->mdt);
    dp_ok(w->co, r, &rep);
    CL_COPY(w->req, rep.u.publish.reference);
    cl_reply_clear(&rep);
}

static void k_respond(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_INFO_RESPOND);
    CL_COPY(r->u.respond.request_id, w->req);
    CL_COPY(r->u.respond.summary, "MK-answer");
    r->u.respond.involvement = CL_INVOLVE_PAST;
    r->u.respond.risk = 2;
    CL_COPY(r->u.respond.contact, "MK-contact");
    dp_ok(w->police, r, NULL);
}

static void k_requests(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_REQUEST_LIST);
    CL_COPY(r->u.req_list.person_id, w->pid);
    dp_ok(w->co, r, NULL);
}

static void k_status(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_SET_STATUS);
    CL_COPY(r->u.set_status.reference, w->ref1);
    r->u.set_status.status = CL_REFSTAT_ACCEPTED;
    CL_COPY(r->u.set_status.reason, "MK-status-reason");
    dp_ok(w->co, r, NULL);
}

static void k_correct(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_CORRECT_REFERRAL);
    CL_COPY(r->u.rectify.reference, "GP-MK-1");
    CL_COPY(r->u.rectify.reason, "MK-correct-reason");
    CL_COPY(r->u.rectify.referral.concern, "MK-concern-corrected");
    dp_ok(w->gp, r, NULL);
}

static void k_withdraw(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_WITHDRAW_REFERRAL);
    CL_COPY(r->u.rectify.reference, w->ref2);
    CL_COPY(r->u.rectify.reason, "MK-withdraw-reason");
    dp_ok(w->gp, r, NULL);
}

/* A police record plausible enough to be queued for review (no NHS
 * number, a nickname, the same date of birth and postcode). */
static void k_review_list(s_world *w)
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_PUBLISH_REFERRAL);
    CL_COPY(r->u.publish.agency_ref, "NP-MK-1");
    CL_COPY(r->u.publish.subject.given, "Jayne");
    CL_COPY(r->u.publish.subject.family, "Smyth");
    CL_COPY(r->u.publish.subject.dob, "1985-04-12");
    r->u.publish.category = 1;
    r->u.publish.basis = 1;
    r->u.publish.consent = 1;
    dp_ok(w->police, r, NULL);
    r = dp_req(CL_REQ_REVIEW_LIST);
    r->u.review_q.limit = 10;
    dp_ok(w->co, r, &rep);
    if (rep.u.reviews.n != 1)
        fail_msg("expected one queued pair, got %zu", rep.u.reviews.n);
    CL_COPY(w->queued, rep.u.reviews.v[0].id);
    CL_COPY(w->split_rid, rep.u.reviews.v[0].incoming.record_id);
    cl_reply_clear(&rep);
}

static void k_review_decide(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_REVIEW_DECIDE);
    CL_COPY(r->u.link.id, w->queued);
    r->u.link.accept = true;
    CL_COPY(r->u.link.reason, "MK-merge-reason");
    dp_ok(w->co, r, NULL);
}

static void k_split(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_SPLIT_RECORD);
    CL_COPY(r->u.link.id, w->split_rid);
    CL_COPY(r->u.link.reason, "MK-split-reason");
    dp_ok(w->co, r, NULL);
}

static void k_links(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_LINKS_EXPORT);
    r->u.links.limit = 100;
    dp_ok(w->co, r, NULL);
}

static void k_case_finding(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_CASE_FINDING);
    CL_COPY(r->u.finding.agency, "Oakfield Surgery");
    r->u.finding.min_contacts = 1;
    CL_COPY(r->u.finding.justification,
            "MK-casefind-why: quarterly high-level users");
    r->u.finding.access_reason = 3;
    dp_ok(w->co, r, NULL);
}

static void k_pack(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_REVIEW_PACK);
    CL_COPY(r->u.pack_review, w->mdt);
    dp_ok(w->co, r, NULL);
}

/* A referral asking for the MDT raises an intake item; the queue names
 * Jane; deferring it keeps a reason about her. */
static void k_intake_list(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_PUBLISH_REFERRAL);
    CL_COPY(r->u.publish.agency_ref, "GP-MK-3");
    dp_jane(&r->u.publish.subject);
    r->u.publish.category = 4;
    r->u.publish.basis = 1;
    r->u.publish.ask_mdt = true;
    dp_ok(w->gp, r, NULL);
    dp_ok(w->co, dp_req(CL_REQ_INTAKE_LIST), NULL);
}

static void k_intake_decide(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_INTAKE_DECIDE);
    CL_COPY(r->u.intake_decide.intake_id, "IN-00000001");
    r->u.intake_decide.decision = CL_INTAKE_DEFERRED;
    CL_COPY(r->u.intake_decide.reason, "MK-intake-reason");
    dp_ok(w->co, r, NULL);
}

static void k_referral_list(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_REFERRAL_LIST);
    r->u.ref_query.status = -1;
    CL_COPY(r->u.ref_query.who.person_id, w->pid);
    dp_ok(w->co, r, NULL);
}

static void k_audit_search(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_AUDIT_SEARCH);
    CL_COPY(r->u.person_ref.person_id, w->pid);
    dp_ok(w->au, r, NULL);
}

static void k_hold(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_LEGAL_HOLD);
    CL_COPY(r->u.hold.who.person_id, w->pid);
    CL_COPY(r->u.hold.reason, "MK-hold-reason");
    dp_ok(w->co, r, NULL);
}

static void k_flag_check(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_FLAG_CHECK);
    cl_reply rep;
    CL_COPY(r->u.flag.person.nhs, NHS);
    dp_ok(w->police, r, &rep);
    assert_int_equal(rep.u.flag.n, 1); /* Jane, parent of Amy on a plan */
    cl_reply_clear(&rep);
}

static void k_flag_list(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_FLAG_DISCLOSURES);
    cl_reply rep;
    dp_ok(w->au, r, &rep);
    assert_true(rep.u.flag_log.n >= 1);
    cl_reply_clear(&rep);
}

static void k_plan_withdraw(s_world *w)
{
    /* a second plan, recorded against the wrong child, withdrawn */
    cl_request *p = dp_req(CL_REQ_PUBLISH_PLAN);
    CL_COPY(p->u.plan.agency_ref, "CP-MK-2");
    p->u.plan.type = 1;
    p->u.plan.category = 1;
    p->u.plan.basis = 1;
    CL_COPY(p->u.plan.start, "2026-02-01");
    CL_COPY(p->u.plan.authority, "Northshire Children's Services");
    CL_COPY(p->u.plan.child.given, "Ben");
    CL_COPY(p->u.plan.child.family, "Smith");
    CL_COPY(p->u.plan.child.dob, "2017-03-03");
    p->u.plan.n_adults = 1;
    p->u.plan.adults[0].rel = 1;
    dp_jane(&p->u.plan.adults[0].person);
    dp_ok(w->childrens, p, NULL);
    cl_request *r = dp_req(CL_REQ_WITHDRAW_PLAN);
    CL_COPY(r->u.plan_withdraw.agency_ref, "CP-MK-2");
    CL_COPY(r->u.plan_withdraw.reason, "recorded against the wrong child");
    dp_ok(w->childrens, r, NULL);
}

static void k_subject_access(s_world *w)
{
    cl_request *r = dp_req(CL_REQ_SUBJECT_ACCESS);
    CL_COPY(r->u.person_ref.person_id, w->pid);
    dp_ok(w->au, r, NULL);
}

/* In the order a case goes. names: the audit entry of this kind names
 * Jane (else `why` says why not). */
static const struct {
    cl_req_kind kind;
    void (*step)(s_world *);
    bool names;
    const char *why; /* when not names */
} s_steps[] = {
    {CL_REQ_PUBLISH_REFERRAL, k_publish, true, NULL},
    {CL_REQ_PUBLISH_PLAN, k_plan, true, NULL},
    {CL_REQ_IMPORT_PERSON, k_import, true, NULL},
    {CL_REQ_FIND_PERSON, k_find, true, NULL},
    {CL_REQ_ADD_TO_AGENDA, k_review, true, NULL},
    {CL_REQ_GET_PERSON, k_get, true, NULL},
    {CL_REQ_RECORD_DISCUSSION, k_discuss, true, NULL},
    {CL_REQ_ADD_ACTION, k_action, true, NULL},
    {CL_REQ_UPDATE_ACTION, k_action_update, true, NULL},
    {CL_REQ_LIST_ACTIONS, k_actions, true, NULL},
    {CL_REQ_SET_RAG, k_rag, true, NULL},
    {CL_REQ_RAG_HISTORY, k_rag_history, true, NULL},
    {CL_REQ_RECORD_MEASURE, k_measure, true, NULL},
    {CL_REQ_INFO_REQUEST, k_info, true, NULL},
    {CL_REQ_INFO_RESPOND, k_respond, true, NULL},
    {CL_REQ_REQUEST_LIST, k_requests, true, NULL},
    {CL_REQ_SET_STATUS, k_status, true, NULL},
    {CL_REQ_CORRECT_REFERRAL, k_correct, true, NULL},
    {CL_REQ_WITHDRAW_REFERRAL, k_withdraw, true, NULL},
    {CL_REQ_REVIEW_LIST, k_review_list, true, NULL},
    {CL_REQ_REVIEW_DECIDE, k_review_decide, true, NULL},
    {CL_REQ_SPLIT_RECORD, k_split, true, NULL},
    {CL_REQ_LINKS_EXPORT, k_links, false,
     "a page of every record and its person id: the entry names no one"},
    {CL_REQ_CASE_FINDING, k_case_finding, true, NULL},
    {CL_REQ_REVIEW_PACK, k_pack, true, NULL},
    {CL_REQ_INTAKE_LIST, k_intake_list, true, NULL},
    {CL_REQ_REFERRAL_LIST, k_referral_list, true, NULL},
    {CL_REQ_INTAKE_DECIDE, k_intake_decide, true, NULL},
    {CL_REQ_LEGAL_HOLD, k_hold, true, NULL},
    {CL_REQ_FLAG_CHECK, k_flag_check, true, NULL},
    {CL_REQ_FLAG_DISCLOSURES, k_flag_list, true, NULL},
    {CL_REQ_AUDIT_SEARCH, k_audit_search, true, NULL},
    {CL_REQ_SUBJECT_ACCESS, k_subject_access, true, NULL},
    {CL_REQ_WITHDRAW_PLAN, k_plan_withdraw, false,
     "the entry names the person the plan is held on (the child), not the "
     "adults it named"},
};
#define S_STEPS (sizeof(s_steps) / sizeof(s_steps[0]))

/* Markers planted above; each must be found in the store somewhere, and
 * in the export wherever the store's row says it is exported. */
static const char *const s_markers[] = {
    "MK-address",
    "MK-consent-note",
    "MK-concern-first",
    "MK-referrer",
    "MK-referrer-role",
    "MK-legal-basis",
    "MK-concern-second",
    "MK-ASC-LOCAL",
    "MK-town",
    "MK-find-why",
    "MK-review-title",
    "MK-agenda-note",
    "MK-discussion",
    "MK-decisions",
    "MK-action-text",
    "MK-owner",
    "MK-action-note",
    "MK-rag-note",
    "MK-measure",
    "MK-question",
    "MK-answer",
    "MK-contact",
    "MK-status-reason",
    "MK-correct-reason",
    "MK-concern-corrected",
    "MK-withdraw-reason",
    "MK-merge-reason",
    "MK-split-reason",
    "MK-casefind-why",
    "MK-intake-reason",
    "MK-hold-reason",
};
#define S_MARKERS (sizeof(s_markers) / sizeof(s_markers[0]))

typedef struct s_scan {
    cl_txn *t;
    cl_db db;
    uint8_t *buf;
    bool found[S_MARKERS];
} s_scan;

static void s_look(s_scan *c, const uint8_t *p, size_t n)
{
    for (size_t m = 0; m < S_MARKERS; m++)
        if (memmem(p, n, s_markers[m], strlen(s_markers[m])))
            c->found[m] = true;
}

static int s_scan_one(void *ctx, const uint8_t *key, size_t len)
{
    s_scan *c = ctx;
    size_t vlen = 0;
    s_look(c, key, len);
    int rc =
        cl_store_get(c->t, c->db, key, len, c->buf, CL_STORE_MAX_VALUE, &vlen);
    if (rc == CL_ERR_INVALID) /* an unsealed sub-database */
        rc = cl_store_get_raw(c->t, c->db, key, len, c->buf, CL_STORE_MAX_VALUE,
                              &vlen);
    if (rc != CL_OK)
        return rc;
    s_look(c, c->buf, vlen);
    return CL_OK;
}

/* Which markers each sub-database holds: found[db][marker]. */
static void s_scan_store(const th_daemon *d, bool found[][S_MARKERS])
{
    cl_store *st = NULL;
    cl_txn *t = NULL;
    dp_store_read(d, &st, &t);
    s_scan c = {.t = t, .buf = malloc(CL_STORE_MAX_VALUE)};
    assert_non_null(c.buf);
    for (int db = 0; db < CL_DB_COUNT; db++) {
        memset(c.found, 0, sizeof(c.found));
        c.db = (cl_db)db;
        assert_int_equal(cl_store_scan(t, c.db, NULL, 0, s_scan_one, &c),
                         CL_OK);
        memcpy(found[db], c.found, sizeof(c.found));
    }
    free(c.buf);
    cl_store_abort(&t);
    cl_store_close(&st);
}

static void test_subject_access_every_kind(void **state)
{
    th_daemon *d = *state;
    s_world w = {.d = d};
    w.gp = th_client(d, "gp");
    w.police = th_client(d, "police");
    w.childrens = th_client(d, "childrens");
    w.adults = th_client(d, "adults");
    w.co = th_client(d, "coordinator");
    w.au = th_client(d, "auditor");

    /* every kind that touches personal data has its row */
    for (int k = 1; k < CL_REQ_KIND_COUNT; k++) {
        bool row = false;
        for (size_t i = 0; i < S_STEPS; i++)
            row |= s_steps[i].kind == (cl_req_kind)k;
        if (cl_access_personal((cl_req_kind)k) && !row)
            fail_msg("request kind %s touches personal data but has no row "
                     "in test_dp's s_steps: add one that sends it about the "
                     "person (markers in its free text) and make subject "
                     "access export what it stores",
                     cl_wire_kind_name((cl_req_kind)k));
    }
    /* every sub-database has a subject-access row */
    for (int db = 0; db < CL_DB_COUNT; db++) {
        const char *why = NULL;
        cl_sar_cover cv = cl_dp_sar_cover((cl_db)db, &why);
        if (cv == CL_SAR_NONE || (cv == CL_SAR_LEFT_OUT && !why))
            fail_msg("sub-database %s has no subject-access row in "
                     "daemon/core/dp.c: say whether the export carries it "
                     "or why not",
                     cl_store_db_name((cl_db)db));
    }

    for (size_t i = 0; i < S_STEPS; i++)
        s_steps[i].step(&w);

    /* the export, as the auditor's CLI writes it */
    char out[400];
    snprintf(out, sizeof(out), "%s/sar.json", d->dir);
    assert_int_equal(th_sh("%s --dev %s --as auditor audit subject-access "
                           "--nhs %s > %s",
                           CL_CASELINK_CLI, d->dir, NHS, out),
                     0);
    /* and the same through the library, for the audit entries */
    cl_reply rep;
    assert_int_equal(dp_sar(d, &rep), CL_STATUS_OK);
    const cl_subject_access *sa = &rep.u.subject;
    for (size_t i = 0; i < S_STEPS; i++) {
        if (!s_steps[i].names)
            continue;
        const char *kind = cl_wire_kind_name(s_steps[i].kind);
        bool seen = false;
        for (size_t j = 0; j < sa->audit.n && !seen; j++)
            seen = !strcmp(sa->audit.v[j].kind, kind);
        if (!seen)
            fail_msg("no audit entry of kind %s names the person", kind);
    }
    assert_true(sa->n_agenda == 1 && sa->actions.n == 1 && sa->rag.n == 1 &&
                sa->n_measures == 1 && sa->requests.n == 1);
    assert_true(sa->requests.v[0].agencies[0].answered);
    assert_true(sa->person.n_plans >= 1);
    cl_reply_clear(&rep);

    cl_client_close(&w.gp);
    cl_client_close(&w.police);
    cl_client_close(&w.childrens);
    cl_client_close(&w.adults);
    cl_client_close(&w.co);
    cl_client_close(&w.au);
    assert_int_equal(th_stop(d, SIGTERM), 0);

    static bool found[CL_DB_COUNT][S_MARKERS];
    s_scan_store(d, found);
    for (size_t m = 0; m < S_MARKERS; m++) {
        bool anywhere = false;
        for (int db = 0; db < CL_DB_COUNT; db++) {
            if (!found[db][m])
                continue;
            anywhere = true;
            const char *why = NULL;
            cl_sar_cover cv = cl_dp_sar_cover((cl_db)db, &why);
            if (cv == CL_SAR_INDEX)
                fail_msg("index sub-database %s holds text (%s)",
                         cl_store_db_name((cl_db)db), s_markers[m]);
            if (cv == CL_SAR_EXPORTED && !th_file_contains(out, s_markers[m]))
                fail_msg("%s is stored in %s but not in the subject access "
                         "export",
                         s_markers[m], cl_store_db_name((cl_db)db));
        }
        if (!anywhere)
            fail_msg("marker %s was stored nowhere: the test is not testing",
                     s_markers[m]);
    }
    th_start(d, NULL); /* for the teardown's clean stop */
}

/* Legal hold and RAG reach only people the partnership works on: a
 * person known only as someone's relative answers exactly as nobody does
 * (they were an existence test, with the person id in the reply); the
 * referred person is held and rated. */
static void test_hold_and_rag_are_no_oracles(void **state)
{
    th_daemon *d = *state;
    static const char *TIM = "9876543210"; /* a relative, never referred */
    cl_client *gp = th_client(d, "gp");
    cl_client *co = th_client(d, "coordinator");
    cl_request *q = th_referral("GP-H1", "Bob", "Jones", "1980-02-02", NHS);
    q->u.publish.n_related = 1;
    q->u.publish.related[0].rel = 2;
    CL_COPY(q->u.publish.related[0].person.given, "Tim");
    CL_COPY(q->u.publish.related[0].person.family, "Jones");
    CL_COPY(q->u.publish.related[0].person.dob, "2016-03-03");
    CL_COPY(q->u.publish.related[0].person.nhs, TIM);
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    char err[2][CL_ERROR_SZ];
    cl_reply rep;
    const char *who[2] = {TIM, "4505577104"}; /* the relative, and nobody */
    for (int i = 0; i < 2; i++) {
        cl_request *r = dp_req(CL_REQ_LEGAL_HOLD);
        CL_COPY(r->u.hold.who.match.nhs, who[i]);
        CL_COPY(r->u.hold.reason, "civil claim pending");
        assert_int_equal(dp_call(co, r, &rep), CL_STATUS_NOT_FOUND);
        assert_string_equal(rep.u.publish.reference, "");
        CL_COPY(err[i], rep.error);
        cl_reply_clear(&rep);
        free(r);
    }
    assert_string_equal(err[0], err[1]);
    /* by person id: the relative (P00000002) and an id nobody has */
    const char *pids[2] = {"P00000002", "P00000099"};
    for (int i = 0; i < 2; i++) {
        cl_request *r = dp_req(CL_REQ_SET_RAG);
        CL_COPY(r->u.rag.person_id, pids[i]);
        r->u.rag.rating = CL_RAG_RED;
        CL_COPY(r->u.rag.note, "probe");
        assert_int_equal(dp_call(co, r, &rep), CL_STATUS_NOT_FOUND);
        CL_COPY(err[i], rep.error);
        cl_reply_clear(&rep);
        free(r);
    }
    assert_string_equal(err[0], err[1]);
    /* a measure recorded about them: the same */
    cl_request *m = dp_req(CL_REQ_DEFINE_MEASURE);
    CL_COPY(m->u.measure_def.name, "wellbeing");
    CL_COPY(m->u.measure_def.from, "2026-01");
    CL_COPY(m->u.measure_def.to, "2026-06");
    dp_ok(co, m, NULL);
    for (int i = 0; i < 2; i++) {
        cl_request *v = dp_req(CL_REQ_RECORD_MEASURE);
        CL_COPY(v->u.measure.name, "wellbeing");
        CL_COPY(v->u.measure.person_id, pids[i]);
        CL_COPY(v->u.measure.period, "2026-07");
        v->u.measure.value = 3;
        assert_int_equal(dp_call(co, v, &rep), CL_STATUS_NOT_FOUND);
        CL_COPY(err[i], rep.error);
        cl_reply_clear(&rep);
        free(v);
    }
    assert_string_equal(err[0], err[1]);
    /* the referred person: held */
    cl_request *r = dp_req(CL_REQ_LEGAL_HOLD);
    CL_COPY(r->u.hold.who.match.nhs, NHS);
    CL_COPY(r->u.hold.reason, "civil claim pending");
    dp_ok(co, r, NULL);
    cl_client_close(&gp);
    cl_client_close(&co);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_subject_access_after_status_changes, th_setup_daemon,
            th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_correct_is_a_patch,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_refindex),
        cmocka_unit_test_setup_teardown(test_hold_and_rag_are_no_oracles,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_subject_access_every_kind,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
