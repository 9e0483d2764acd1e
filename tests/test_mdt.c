/*
 * test_mdt: the extended MDT's work on the real daemon, one behaviour per
 * test: discussion, actions (overdue), RAG ratings and their history,
 * outcome measures, the report's figures and small-count suppression at
 * the threshold, the audited agenda pack, and names chosen from lists.
 * The same logic without sockets is in test_mdt_unit.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "harness.h"

/* Valid NHS numbers (modulus 11). */
static const char *const NHS[] = {"6281948211", "9935181901", "9378657974",
                                  "0830166130", "1860913903", "9960308243"};

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, sizeof(req->msgid));
    assert_int_equal(cl_client_call(c, req, rep), CL_OK);
    return rep->status;
}

/* A simple write; returns its status (reply cleared). */
static int s_do(cl_client *c, cl_request *req, char *ref_out)
{
    cl_reply rep;
    int st = s_call(c, req, &rep);
    if (ref_out)
        cl_copy(ref_out, CL_REF_SZ, rep.u.publish.reference);
    cl_reply_clear(&rep);
    return st;
}

static void s_pub(cl_client *c, const char *ref, const char *nhs,
                  const char *given)
{
    char r[CL_REF_SZ];
    cl_request *q = th_referral(ref, given, "Testperson", "1980-01-01", nhs);
    CL_COPY(q->u.publish.subject.postcode, "ZZ9 9ZZ");
    assert_int_equal(th_publish(c, q, r), CL_STATUS_OK);
    free(q);
}

static void s_review(cl_client *co, char id[CL_REF_SZ])
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, "2026-11-20");
    CL_COPY(q->u.review_new.title, "Extended MDT north");
    q->u.review_new.n_agencies = 1;
    CL_COPY(q->u.review_new.agencies[0], "Oakfield Surgery");
    assert_int_equal(s_do(co, q, id), CL_STATUS_OK);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(q->u.agenda.review_id, id);
    CL_COPY(q->u.agenda.who.person_id, "P00000001");
    q->u.agenda.reason = 1;
    CL_COPY(q->u.agenda.note, "GP worried about frequent A&E visits");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    free(q);
}

/* The clients and the review most tests start from: Ann (P00000001) on
 * the agenda of mdt, Bob (P00000002) referred but not on it. */
typedef struct s_meet {
    cl_client *gp, *co;
    char mdt[CL_REF_SZ];
    cl_request *q; /* scratch */
    cl_reply rep;
} s_meet;

static void s_meet_open(th_daemon *d, s_meet *m)
{
    memset(m, 0, sizeof(*m));
    m->gp = th_client(d, "gp");
    m->co = th_client(d, "coordinator");
    s_pub(m->gp, "G1", NHS[0], "Ann");
    s_pub(m->gp, "G2", NHS[1], "Bob"); /* P00000002: not on the agenda */
    s_review(m->co, m->mdt);
    m->q = calloc(1, sizeof(*m->q));
}

static void s_meet_close(s_meet *m)
{
    free(m->q);
    cl_client_close(&m->gp);
    cl_client_close(&m->co);
}

/* The request scratch, cleared and of this kind. */
static cl_request *s_req(s_meet *m, cl_req_kind kind)
{
    memset(m->q, 0, sizeof(*m->q));
    m->q->kind = kind;
    return m->q;
}

static cl_request *s_discussion(s_meet *m, const char *pid, const char *summary)
{
    cl_request *q = s_req(m, CL_REQ_RECORD_DISCUSSION);
    CL_COPY(q->u.discussion.review_id, m->mdt);
    CL_COPY(q->u.discussion.person_id, pid);
    CL_COPY(q->u.discussion.summary, summary);
    return q;
}

static cl_request *s_action(s_meet *m, const char *text, const char *agency,
                            const char *due)
{
    cl_request *q = s_req(m, CL_REQ_ADD_ACTION);
    CL_COPY(q->u.action.review_id, m->mdt);
    CL_COPY(q->u.action.person_id, "P00000001");
    CL_COPY(q->u.action.text, text);
    CL_COPY(q->u.action.owner_name, "Dr A Patel");
    CL_COPY(q->u.action.owner_agency, agency);
    CL_COPY(q->u.action.due, due);
    return q;
}

/* Two actions for Ann: a1 long overdue, a2 due in 2099. */
static void s_two_actions(s_meet *m, char a1[CL_REF_SZ], char a2[CL_REF_SZ])
{
    s_action(m, "Medication review", "Oakfield Surgery", "2020-01-31");
    assert_int_equal(s_do(m->co, m->q, a1), CL_STATUS_OK);
    s_action(m, "Housing assessment", "Oakfield Surgery", "2099-01-31");
    assert_int_equal(s_do(m->co, m->q, a2), CL_STATUS_OK);
}

static cl_request *s_update(s_meet *m, const char *id, uint8_t status,
                            const char *note)
{
    cl_request *q = s_req(m, CL_REQ_UPDATE_ACTION);
    CL_COPY(q->u.action_update.action_id, id);
    q->u.action_update.status = status;
    CL_COPY(q->u.action_update.note, note);
    return q;
}

static cl_request *s_rag(s_meet *m, const char *pid, const char *ws,
                         uint8_t rating, const char *note)
{
    cl_request *q = s_req(m, CL_REQ_SET_RAG);
    CL_COPY(q->u.rag.person_id, pid);
    CL_COPY(q->u.rag.workstream, ws);
    q->u.rag.rating = rating;
    CL_COPY(q->u.rag.note, note);
    return q;
}

static cl_request *s_rag_history(s_meet *m, const char *pid, const char *ws)
{
    cl_request *q = s_req(m, CL_REQ_RAG_HISTORY);
    CL_COPY(q->u.rag.person_id, pid);
    CL_COPY(q->u.rag.workstream, ws);
    return q;
}

/* --- discussion ----------------------------------------------------------- */

static void test_discussion_needs_agenda_place(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    s_discussion(&m, "P00000002", "Discussed");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_NOT_FOUND);
    s_meet_close(&m);
}

static void test_discussion_needs_summary(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    s_discussion(&m, "P00000001", "");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_INVALID);
    s_meet_close(&m);
}

static void test_discussion_is_the_coordinators(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    cl_request *q =
        s_discussion(&m, "P00000001", "Frequent A&E attendance, low mood");
    CL_COPY(q->u.discussion.decisions, "GP to review medication");
    assert_int_equal(s_do(m.co, q, NULL), CL_STATUS_OK);
    assert_int_equal(s_do(m.gp, q, NULL), CL_STATUS_DENIED);
    s_meet_close(&m);
}

/* --- actions -------------------------------------------------------------- */

static void test_action_owner_must_be_registered(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    s_action(&m, "Medication review", "Nowhere Agency", "2020-01-31");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_INVALID);
    s_meet_close(&m);
}

static void test_action_due_must_be_a_date(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    s_action(&m, "Medication review", "Oakfield Surgery", "2020-02-30");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_INVALID);
    s_meet_close(&m);
}

static void test_overdue_action_listed(void **state)
{
    s_meet m;
    char a1[CL_REF_SZ], a2[CL_REF_SZ];
    s_meet_open(*state, &m);
    s_two_actions(&m, a1, a2);
    s_req(&m, CL_REQ_LIST_ACTIONS)->u.action_query.overdue_only = true;
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_OK);
    assert_int_equal(m.rep.u.actions.n, 1);
    assert_string_equal(m.rep.u.actions.v[0].action_id, a1);
    assert_true(m.rep.u.actions.v[0].overdue);
    assert_string_equal(m.rep.u.actions.v[0].owner_name, "Dr A Patel");
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

static void test_done_action_no_longer_overdue(void **state)
{
    s_meet m;
    char a1[CL_REF_SZ], a2[CL_REF_SZ];
    s_meet_open(*state, &m);
    s_two_actions(&m, a1, a2);
    s_update(&m, a1, CL_ACTION_DONE, "Reviewed 2020-02-02");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_req(&m, CL_REQ_LIST_ACTIONS)->u.action_query.overdue_only = true;
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_OK);
    assert_int_equal(m.rep.u.actions.n, 0);
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

static void test_action_update_names_a_real_action(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    s_update(&m, "ACT-00000099", CL_ACTION_DONE, "Reviewed");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_NOT_FOUND);
    s_update(&m, "A1; DROP", CL_ACTION_DONE, "Reviewed");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_INVALID);
    s_meet_close(&m);
}

static void test_action_list_bad_filters(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    /* a malformed person */
    CL_COPY(s_req(&m, CL_REQ_LIST_ACTIONS)->u.action_query.person_id,
            "Ann Testperson");
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_INVALID);
    cl_reply_clear(&m.rep);
    /* no such review */
    CL_COPY(s_req(&m, CL_REQ_LIST_ACTIONS)->u.action_query.review_id,
            "MDT-00000099");
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&m.rep);
    /* a publisher lists its own agency's actions only (test_workspace);
     * here, of a review that does not exist: none, answered as for a
     * review it owns nothing in (a publisher is not told which review
     * ids exist) */
    assert_int_equal(s_call(m.gp, m.q, &m.rep), CL_STATUS_OK);
    assert_int_equal(m.rep.u.actions.n, 0);
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

static void test_actions_listed_by_review(void **state)
{
    s_meet m;
    char a1[CL_REF_SZ], a2[CL_REF_SZ];
    s_meet_open(*state, &m);
    s_two_actions(&m, a1, a2);
    CL_COPY(s_req(&m, CL_REQ_LIST_ACTIONS)->u.action_query.review_id, m.mdt);
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_OK);
    assert_int_equal(m.rep.u.actions.n, 2);
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

/* --- RAG ratings ---------------------------------------------------------- */

static void test_rag_needs_note_rating_and_person(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    s_rag(&m, "P00000001", "", CL_RAG_RED, ""); /* no note */
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_INVALID);
    s_rag(&m, "P00000001", "", 0, "Escalating"); /* no rating */
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_INVALID);
    s_rag(&m, "P00000099", "", CL_RAG_RED, "Escalating");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_NOT_FOUND);
    s_rag(&m, "P00000001", "Frequent attenders", CL_RAG_AMBER,
          "Engaging with services"); /* both */
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_INVALID);
    s_meet_close(&m);
}

static void test_rag_history_of_a_person(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    s_rag(&m, "P00000001", "", CL_RAG_RED, "Escalating");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_rag(&m, "P00000001", "", CL_RAG_AMBER, "Engaging with services");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_rag_history(&m, "P00000001", "");
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_OK);
    assert_int_equal(m.rep.u.rags.n, 2);
    assert_int_equal(m.rep.u.rags.v[0].rating, CL_RAG_RED);
    assert_int_equal(m.rep.u.rags.v[1].rating, CL_RAG_AMBER);
    assert_string_equal(m.rep.u.rags.v[1].by, "Northshire Extended MDT");
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

static void test_rag_history_of_a_workstream(void **state)
{
    s_meet m;
    th_daemon *d = *state;
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, "[report]\nworkstreams = Frequent attenders; Frequent "
                "attenders team\n");
    s_meet_open(*state, &m);
    s_rag(&m, "", "Frequent attenders", CL_RAG_GREEN, "Engaging");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_rag(&m, "", "Frequent attenders team", CL_RAG_GREEN, "Engaging");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_rag_history(&m, "", "Frequent attenders"); /* not "... team" */
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_OK);
    assert_int_equal(m.rep.u.rags.n, 1);
    cl_reply_clear(&m.rep);
    s_rag_history(&m, "", ""); /* neither a person nor a workstream */
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_INVALID);
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

/* --- the agenda pack ------------------------------------------------------ */

static void test_pack_holds_the_meetings_work(void **state)
{
    s_meet m;
    char a1[CL_REF_SZ], a2[CL_REF_SZ];
    s_meet_open(*state, &m);
    s_discussion(&m, "P00000001", "Frequent A&E attendance, low mood");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_two_actions(&m, a1, a2);
    s_update(&m, a1, CL_ACTION_DONE, "Reviewed 2020-02-02");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_rag(&m, "P00000001", "", CL_RAG_RED, "Escalating");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    s_rag(&m, "P00000001", "", CL_RAG_AMBER, "Engaging with services");
    assert_int_equal(s_do(m.co, m.q, NULL), CL_STATUS_OK);
    CL_COPY(s_req(&m, CL_REQ_REVIEW_PACK)->u.pack_review, m.mdt);
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_OK);
    const cl_review_pack *p = &m.rep.u.pack;
    assert_string_equal(p->review.title, "Extended MDT north");
    assert_int_equal(p->n, 1);
    assert_string_equal(p->v[0].person.person_id, "P00000001");
    assert_string_equal(p->v[0].note, "GP worried about frequent A&E visits");
    assert_int_equal(p->v[0].person.n_referrals, 1);
    assert_int_equal(p->v[0].actions.n, 1); /* the open one */
    assert_string_equal(p->v[0].actions.v[0].action_id, a2);
    assert_string_equal(p->v[0].discussion,
                        "Frequent A&E attendance, low mood");
    assert_true(p->v[0].rated);
    assert_int_equal(p->v[0].rag.rating, CL_RAG_AMBER);
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

static void test_pack_is_the_coordinators(void **state)
{
    s_meet m;
    s_meet_open(*state, &m);
    CL_COPY(s_req(&m, CL_REQ_REVIEW_PACK)->u.pack_review, m.mdt);
    assert_int_equal(s_call(m.gp, m.q, &m.rep), CL_STATUS_DENIED);
    cl_reply_clear(&m.rep);
    CL_COPY(m.q->u.pack_review, "MDT-00000077");
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&m.rep);
    s_meet_close(&m);
}

static void test_pack_audited(void **state)
{
    th_daemon *d = *state;
    s_meet m;
    s_meet_open(d, &m);
    CL_COPY(s_req(&m, CL_REQ_REVIEW_PACK)->u.pack_review, m.mdt);
    assert_int_equal(s_call(m.co, m.q, &m.rep), CL_STATUS_OK);
    cl_reply_clear(&m.rep);
    cl_client *au = th_client(d, "auditor");
    CL_COPY(s_req(&m, CL_REQ_AUDIT_SEARCH)->u.person_ref.person_id,
            "P00000001");
    assert_int_equal(s_call(au, m.q, &m.rep), CL_STATUS_OK);
    bool packed = false;
    for (size_t i = 0; i < m.rep.u.entries.n; i++)
        packed |= !strcmp(m.rep.u.entries.v[i].kind, "review_pack") &&
                  strstr(m.rep.u.entries.v[i].purpose, m.mdt) != NULL;
    assert_true(packed);
    cl_reply_clear(&m.rep);
    cl_client_close(&au);
    s_meet_close(&m);
}

/* --- the report ----------------------------------------------------------- */

static cl_report *s_report(cl_client *co, cl_reply *rep)
{
    cl_request q;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_REPORT;
    assert_int_equal(s_call(co, &q, rep), CL_STATUS_OK);
    return &rep->u.report;
}

static int64_t s_refs(const cl_report *r, const char *agency)
{
    for (size_t i = 0; i < r->n_referrals; i++)
        if (!strcmp(r->referrals[i].agency, agency))
            return r->referrals[i].referrals;
    return -99;
}

/* GP: 5 referrals this month; police: 4, about the same people. */
static void s_nine_referrals(th_daemon *d)
{
    cl_client *gp = th_client(d, "gp"), *po = th_client(d, "police");
    char ref[16];
    for (int i = 0; i < 5; i++) {
        snprintf(ref, sizeof(ref), "G%d", i);
        s_pub(gp, ref, NHS[i], "Ann");
    }
    for (int i = 0; i < 4; i++) {
        snprintf(ref, sizeof(ref), "P%d", i);
        s_pub(po, ref, NHS[i], "Ann");
    }
    cl_client_close(&gp);
    cl_client_close(&po);
}

static void test_report_bad_periods(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    cl_reply rep;
    cl_request bad;
    memset(&bad, 0, sizeof(bad));
    bad.kind = CL_REQ_REPORT;
    CL_COPY(bad.u.report.from, "2026-13-01");
    assert_int_equal(s_call(co, &bad, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    CL_COPY(bad.u.report.from, "2026-06-01");
    CL_COPY(bad.u.report.to, "2026-01-01");
    assert_int_equal(s_call(co, &bad, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(gp, &bad, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&co);
}

/* Counts under the threshold (5) are suppressed; at it they show. */
static void test_report_suppression_at_threshold(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    s_nine_referrals(d);
    cl_client *co = th_client(d, "coordinator");
    cl_report *r = s_report(co, &rep);
    assert_int_equal(r->suppress_below, 5);
    assert_int_equal(s_refs(r, "Oakfield Surgery"), 5);
    assert_int_equal(s_refs(r, "Northshire Police"), -1);
    assert_int_equal(r->n_overlap, 1);
    assert_int_equal(r->overlap[0].people, -1); /* 4 people known to both */
    /* nobody on an agenda: 0 picks nobody out, so it is shown (only 1 to
     * 4 people are suppressed) */
    assert_int_equal(r->caseload, 0);
    cl_reply_clear(&rep);
    /* a fifth shared person: the overlap reaches the threshold */
    cl_client *po = th_client(d, "police");
    s_pub(po, "P4", NHS[4], "Ann");
    r = s_report(co, &rep);
    assert_int_equal(s_refs(r, "Northshire Police"), 5);
    assert_int_equal(r->overlap[0].people, 5);
    cl_reply_clear(&rep);
    cl_client_close(&po);
    cl_client_close(&co);
}

static void test_report_threshold_configurable(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    s_nine_referrals(d);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, "[report]\nsuppress_below = 6\n");
    cl_client *co = th_client(d, "coordinator");
    cl_report *r = s_report(co, &rep);
    assert_int_equal(r->suppress_below, 6);
    assert_int_equal(s_refs(r, "Oakfield Surgery"), -1);
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

/* --- outcome measures ----------------------------------------------------- */

static cl_request *s_measure_def(cl_request *q, const char *from,
                                 const char *to)
{
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_DEFINE_MEASURE;
    CL_COPY(q->u.measure_def.name, "police contacts");
    CL_COPY(q->u.measure_def.from, from);
    CL_COPY(q->u.measure_def.to, to);
    return q;
}

static cl_request *s_measure(cl_request *q, const char *name, int pid,
                             const char *month, double v)
{
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_RECORD_MEASURE;
    CL_COPY(q->u.measure.name, name);
    snprintf(q->u.measure.person_id, CL_PID_SZ, "P%08d", pid);
    CL_COPY(q->u.measure.period, month);
    q->u.measure.value = v;
    return q;
}

static void test_measure_bad_input(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    cl_request *q = calloc(1, sizeof(*q));
    s_pub(gp, "G1", NHS[0], "Ann");
    s_measure_def(q, "2026-06", "2026-05"); /* backwards */
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID);
    s_measure_def(q, "2026-01", "2026-02");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    s_measure(q, "unknown measure", 1, "2026-01", 1);
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_NOT_FOUND);
    s_measure(q, "police contacts", 1, "2026-01", -3);
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID);
    free(q);
    cl_client_close(&gp);
    cl_client_close(&co);
}

/* Five people, 4 each in the baseline's January, 1 each this month. */
static void s_five_measured(th_daemon *d, char month[8])
{
    cl_client *co = th_client(d, "coordinator");
    cl_request *q = calloc(1, sizeof(*q));
    time_t now = time(NULL);
    struct tm tm;
    strftime(month, 8, "%Y-%m", gmtime_r(&now, &tm));
    s_measure_def(q, "2026-01", "2026-02");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    for (int i = 0; i < 5; i++) {
        s_measure(q, "police contacts", i + 1, "2026-01", 4);
        assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
        s_measure(q, "police contacts", i + 1, month, 1);
        assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    }
    free(q);
    cl_client_close(&co);
}

static void test_measures_in_the_report(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char month[8];
    s_nine_referrals(d);
    s_five_measured(d, month);
    cl_client *co = th_client(d, "coordinator");
    cl_report *r = s_report(co, &rep);
    assert_int_equal(r->n_measures, 1);
    const cl_measure_summary *m = &r->measures[0];
    assert_int_equal(m->baseline_people, 5);
    assert_true(m->baseline_monthly > 9.99 && m->baseline_monthly < 10.01);
    const cl_period_value *last = &m->periods[m->n_periods - 1];
    assert_string_equal(last->period, month);
    assert_int_equal(last->people, 5);
    assert_true(last->total > 4.99 && last->total < 5.01);
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

static void test_persons_measures_on_the_pack(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char month[8], mdt[CL_REF_SZ];
    s_nine_referrals(d);
    s_five_measured(d, month);
    cl_client *co = th_client(d, "coordinator");
    s_review(co, mdt);
    cl_request pk;
    memset(&pk, 0, sizeof(pk));
    pk.kind = CL_REQ_REVIEW_PACK;
    CL_COPY(pk.u.pack_review, mdt);
    assert_int_equal(s_call(co, &pk, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.pack.n, 1);
    assert_int_equal(rep.u.pack.v[0].n_measures, 1);
    const cl_measure_summary *own = &rep.u.pack.v[0].measures[0];
    assert_true(own->baseline_monthly > 1.99 && own->baseline_monthly < 2.01);
    assert_int_equal(own->n_periods, 1);
    assert_string_equal(own->periods[0].period, month);
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

/* --- names chosen from lists ------------------------------------------------
 *
 * Agency and workstream names are chosen from the registry and the
 * configured list: any case is the listed name, a near miss is refused
 * with "did you mean", and a name far from all of them says where names
 * come from. */

static void test_workstream_names_from_the_list(void **state)
{
    th_daemon *d = *state;
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, "[report]\nworkstreams = Building community capacity; "
                "Establishing the single frontline; Enhanced "
                "multi-disciplinary approaches\n");
    cl_client *co = th_client(d, "coordinator");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_SET_RAG;
    CL_COPY(q->u.rag.workstream, "enhanced MULTI-disciplinary approaches");
    q->u.rag.rating = 2;
    CL_COPY(q->u.rag.note, "recruiting");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    CL_COPY(q->u.rag.workstream, "Enhanced Multi-disciplinary approach");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "did you mean 'Enhanced "
                                      "multi-disciplinary approaches'?"));
    cl_reply_clear(&rep);
    /* the history is under the listed name, whatever case was typed */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_RAG_HISTORY;
    CL_COPY(q->u.rag.workstream, "Enhanced multi-disciplinary approaches");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.rags.n, 1);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&co);
}

/* With no list (dev mode writes one: emptied here), rating a workstream
 * is refused saying where the list goes (a misspelt name would start a
 * second workstream); its history still reads what is stored. */
static void test_workstream_needs_the_list(void **state)
{
    th_daemon *d = *state;
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, "[report]\nworkstreams =\n"); /* dev mode lists some */
    cl_client *co = th_client(d, "coordinator");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_SET_RAG;
    CL_COPY(q->u.rag.workstream, "High intensity users");
    q->u.rag.rating = 2;
    CL_COPY(q->u.rag.note, "recruiting");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "workstream: none are listed, so "
                                      "'High intensity users' cannot be "
                                      "rated"));
    assert_non_null(strstr(rep.error, "[report] workstreams = High "
                                      "intensity users; ..."));
    cl_reply_clear(&rep);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_RAG_HISTORY;
    CL_COPY(q->u.rag.workstream, "High intensity users");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.rags.n, 0);
    cl_reply_clear(&rep);
    /* with the list, a name far from every listed one is refused with
     * the list and where a new one goes */
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, "[report]\nworkstreams = Building community capacity; "
                "High intensity users\n");
    cl_client_close(&co);
    co = th_client(d, "coordinator");
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_SET_RAG;
    CL_COPY(q->u.rag.workstream, "Frequent flyers");
    q->u.rag.rating = 2;
    CL_COPY(q->u.rag.note, "recruiting");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_string_equal(rep.error,
                        "set_rag.workstream: no listed workstream 'Frequent "
                        "flyers' "
                        "(a new one goes in [report] workstreams); listed: "
                        "'Building community capacity', 'High intensity "
                        "users'");
    cl_reply_clear(&rep);
    CL_COPY(q->u.rag.workstream, "high INTENSITY users");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&co);
}

static void test_agency_names_from_the_registry(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    /* agencies: attending a review, owning an action, case finding */
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, "2026-11-20");
    CL_COPY(q->u.review_new.title, "Extended MDT");
    q->u.review_new.n_agencies = 1;
    CL_COPY(q->u.review_new.agencies[0], "Oakfeild Surgery");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error,
                           "create_review.agencies[0]: no registered agency "
                           "'Oakfeild Surgery'; did you mean 'Oakfield "
                           "Surgery'?"));
    cl_reply_clear(&rep);
    CL_COPY(q->u.review_new.agencies[0], "Frobnicators Ltd");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "chosen from the registered list"));
    cl_reply_clear(&rep);
    CL_COPY(q->u.review_new.agencies[0], "oakfield surgery");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_CASE_FINDING;
    CL_COPY(q->u.finding.agency, "Northshire Polic");
    CL_COPY(q->u.finding.justification,
            "quarterly high-level users for the MDT");
    q->u.finding.access_reason = 4;
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "did you mean 'Northshire Police'?"));
    cl_reply_clear(&rep);
    /* an exclusion misspelt would leave nobody out: refused, naming it */
    CL_COPY(q->u.finding.agency, "Northshire Police");
    q->u.finding.n_not_known = 2;
    CL_COPY(q->u.finding.not_known_to[0], "GP");
    CL_COPY(q->u.finding.not_known_to[1], "Oakfeild Surgery");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "case_finding.not_known_to[1]"));
    assert_non_null(strstr(rep.error, "did you mean 'Oakfield Surgery'?"));
    cl_reply_clear(&rep);
    CL_COPY(q->u.finding.not_known_to[1], "LOGX Quux");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "agency kind"));
    cl_reply_clear(&rep);
    CL_COPY(q->u.finding.not_known_to[1], "health");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&co);
}

int main(void)
{
#define T(name)                                                                \
    cmocka_unit_test_setup_teardown(name, th_setup_daemon, th_teardown_daemon)
    const struct CMUnitTest tests[] = {
        T(test_discussion_needs_agenda_place),
        T(test_discussion_needs_summary),
        T(test_discussion_is_the_coordinators),
        T(test_action_owner_must_be_registered),
        T(test_action_due_must_be_a_date),
        T(test_overdue_action_listed),
        T(test_done_action_no_longer_overdue),
        T(test_action_update_names_a_real_action),
        T(test_action_list_bad_filters),
        T(test_actions_listed_by_review),
        T(test_rag_needs_note_rating_and_person),
        T(test_rag_history_of_a_person),
        T(test_rag_history_of_a_workstream),
        T(test_pack_holds_the_meetings_work),
        T(test_pack_is_the_coordinators),
        T(test_pack_audited),
        T(test_report_bad_periods),
        T(test_report_suppression_at_threshold),
        T(test_report_threshold_configurable),
        T(test_measure_bad_input),
        T(test_measures_in_the_report),
        T(test_persons_measures_on_the_pack),
        T(test_workstream_names_from_the_list),
        T(test_workstream_needs_the_list),
        T(test_agency_names_from_the_registry),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
