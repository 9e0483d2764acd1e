/*
 * test_mdt: the extended MDT's work on the real daemon: discussion,
 * actions (overdue), RAG ratings and their history, outcome measures, the
 * report's figures and small-count suppression at the threshold, and the
 * audited agenda pack.
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

static void test_discussion_actions_rag(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    char mdt[CL_REF_SZ], a1[CL_REF_SZ], a2[CL_REF_SZ];
    cl_reply rep;
    s_pub(gp, "G1", NHS[0], "Ann");
    s_pub(gp, "G2", NHS[1], "Bob"); /* P00000002: not on the agenda */
    s_review(co, mdt);
    cl_request *q = calloc(1, sizeof(*q));

    /* discussion: only for someone on the agenda, with a summary */
    q->kind = CL_REQ_RECORD_DISCUSSION;
    CL_COPY(q->u.discussion.review_id, mdt);
    CL_COPY(q->u.discussion.person_id, "P00000002");
    CL_COPY(q->u.discussion.summary, "Discussed");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_NOT_FOUND);
    CL_COPY(q->u.discussion.person_id, "P00000001");
    q->u.discussion.summary[0] = '\0';
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID);
    CL_COPY(q->u.discussion.summary, "Frequent A&E attendance, low mood");
    CL_COPY(q->u.discussion.decisions, "GP to review medication");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    assert_int_equal(s_do(gp, q, NULL), CL_STATUS_DENIED);

    /* actions: owner at a registered agency, a real due date */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_ADD_ACTION;
    CL_COPY(q->u.action.review_id, mdt);
    CL_COPY(q->u.action.person_id, "P00000001");
    CL_COPY(q->u.action.text, "Medication review");
    CL_COPY(q->u.action.owner_name, "Dr A Patel");
    CL_COPY(q->u.action.owner_agency, "Nowhere Agency");
    CL_COPY(q->u.action.due, "2020-01-31");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID);
    CL_COPY(q->u.action.owner_agency, "Oakfield Surgery");
    CL_COPY(q->u.action.due, "2020-02-30");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID);
    CL_COPY(q->u.action.due, "2020-01-31"); /* long past: overdue */
    assert_int_equal(s_do(co, q, a1), CL_STATUS_OK);
    CL_COPY(q->u.action.text, "Housing assessment");
    CL_COPY(q->u.action.due, "2099-01-31");
    assert_int_equal(s_do(co, q, a2), CL_STATUS_OK);

    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_LIST_ACTIONS;
    q->u.action_query.overdue_only = true;
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.actions.n, 1);
    assert_string_equal(rep.u.actions.v[0].action_id, a1);
    assert_true(rep.u.actions.v[0].overdue);
    assert_string_equal(rep.u.actions.v[0].owner_name, "Dr A Patel");
    cl_reply_clear(&rep);
    /* done: no longer overdue */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_UPDATE_ACTION;
    CL_COPY(q->u.action_update.action_id, a1);
    q->u.action_update.status = CL_ACTION_DONE;
    CL_COPY(q->u.action_update.note, "Reviewed 2020-02-02");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    CL_COPY(q->u.action_update.action_id, "ACT-00000099");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_NOT_FOUND);
    CL_COPY(q->u.action_update.action_id, "A1; DROP");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID);
    memset(q, 0, sizeof(*q)); /* listing: a malformed person, no review */
    q->kind = CL_REQ_LIST_ACTIONS;
    CL_COPY(q->u.action_query.person_id, "Ann Testperson");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_LIST_ACTIONS;
    CL_COPY(q->u.action_query.review_id, "MDT-00000099");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    /* a publisher lists its own agency's actions only (test_workspace);
     * here, of a review that does not exist: none */
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_LIST_ACTIONS;
    q->u.action_query.overdue_only = true;
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.actions.n, 0);
    cl_reply_clear(&rep);
    q->u.action_query.overdue_only = false;
    CL_COPY(q->u.action_query.review_id, mdt);
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.actions.n, 2);
    cl_reply_clear(&rep);

    /* RAG: person and workstream, with history */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_SET_RAG;
    CL_COPY(q->u.rag.person_id, "P00000001");
    q->u.rag.rating = CL_RAG_RED;
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID); /* no note */
    CL_COPY(q->u.rag.note, "Escalating");
    q->u.rag.rating = 0;
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID); /* no rating */
    q->u.rag.rating = CL_RAG_RED;
    CL_COPY(q->u.rag.person_id, "P00000099");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_NOT_FOUND);
    CL_COPY(q->u.rag.person_id, "P00000001");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    q->u.rag.rating = CL_RAG_AMBER;
    CL_COPY(q->u.rag.note, "Engaging with services");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    CL_COPY(q->u.rag.workstream, "Frequent attenders");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID); /* both */
    q->u.rag.person_id[0] = '\0';
    q->u.rag.rating = CL_RAG_GREEN;
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    CL_COPY(q->u.rag.workstream, "Frequent attenders team");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_RAG_HISTORY;
    CL_COPY(q->u.rag.person_id, "P00000001");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.rags.n, 2);
    assert_int_equal(rep.u.rags.v[0].rating, CL_RAG_RED);
    assert_int_equal(rep.u.rags.v[1].rating, CL_RAG_AMBER);
    assert_string_equal(rep.u.rags.v[1].by, "Northshire Extended MDT");
    cl_reply_clear(&rep);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_RAG_HISTORY;
    CL_COPY(q->u.rag.workstream, "Frequent attenders"); /* not "... team" */
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.rags.n, 1);
    cl_reply_clear(&rep);
    q->u.rag.workstream[0] = '\0'; /* neither a person nor a workstream */
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);

    /* the agenda pack: case, open actions, discussion, RAG; audited */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_REVIEW_PACK;
    CL_COPY(q->u.pack_review, mdt);
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    const cl_review_pack *p = &rep.u.pack;
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
    cl_reply_clear(&rep);
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    CL_COPY(q->u.pack_review, "MDT-00000077");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    cl_client *au = th_client(d, "auditor");
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(q->u.person_ref.person_id, "P00000001");
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    bool packed = false;
    for (size_t i = 0; i < rep.u.entries.n; i++)
        packed |= !strcmp(rep.u.entries.v[i].kind, "review_pack") &&
                  strstr(rep.u.entries.v[i].purpose, mdt) != NULL;
    assert_true(packed);
    cl_reply_clear(&rep);
    cl_client_close(&au);
    free(q);
    cl_client_close(&gp);
    cl_client_close(&co);
}

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

/* Counts under the threshold (5) are suppressed; at it they show. */
static void test_report_suppression_at_threshold(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *po = th_client(d, "police"),
              *co = th_client(d, "coordinator");
    cl_reply rep;
    char ref[16];
    for (int i = 0; i < 5; i++) { /* GP: 5 referrals this month */
        snprintf(ref, sizeof(ref), "G%d", i);
        s_pub(gp, ref, NHS[i], "Ann");
    }
    for (int i = 0; i < 4; i++) { /* police: 4, about the same people */
        snprintf(ref, sizeof(ref), "P%d", i);
        s_pub(po, ref, NHS[i], "Ann");
    }
    /* bad periods */
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
    s_pub(po, "P4", NHS[4], "Ann");
    r = s_report(co, &rep);
    assert_int_equal(s_refs(r, "Northshire Police"), 5);
    assert_int_equal(r->overlap[0].people, 5);
    cl_reply_clear(&rep);

    /* outcome measures against a baseline: five people, so shown */
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_DEFINE_MEASURE;
    CL_COPY(q->u.measure_def.name, "police contacts");
    CL_COPY(q->u.measure_def.from, "2026-06");
    CL_COPY(q->u.measure_def.to, "2026-05");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID); /* backwards */
    CL_COPY(q->u.measure_def.from, "2026-01");
    CL_COPY(q->u.measure_def.to, "2026-02");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_RECORD_MEASURE;
    CL_COPY(q->u.measure.name, "unknown measure");
    CL_COPY(q->u.measure.person_id, "P00000001");
    CL_COPY(q->u.measure.period, "2026-01");
    q->u.measure.value = 1;
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_NOT_FOUND);
    CL_COPY(q->u.measure.name, "police contacts");
    q->u.measure.value = -3;
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_INVALID);
    char month[8];
    time_t now = time(NULL);
    struct tm tm;
    strftime(month, sizeof(month), "%Y-%m", gmtime_r(&now, &tm));
    for (int i = 0; i < 5; i++) {
        snprintf(q->u.measure.person_id, CL_PID_SZ, "P%08d", i + 1);
        CL_COPY(q->u.measure.period, "2026-01");
        q->u.measure.value = 4; /* baseline: 4 each in January */
        assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
        CL_COPY(q->u.measure.period, month);
        q->u.measure.value = 1; /* now: 1 each */
        assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    }
    free(q);
    /* the person's own measures are on the agenda pack */
    char mdt[CL_REF_SZ];
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
    r = s_report(co, &rep);
    assert_int_equal(r->n_measures, 1);
    const cl_measure_summary *m = &r->measures[0];
    assert_int_equal(m->baseline_people, 5);
    assert_true(m->baseline_monthly > 9.99 && m->baseline_monthly < 10.01);
    const cl_period_value *last = &m->periods[m->n_periods - 1];
    assert_string_equal(last->period, month);
    assert_int_equal(last->people, 5);
    assert_true(last->total > 4.99 && last->total < 5.01);
    cl_reply_clear(&rep);

    /* configurable threshold */
    cl_client_close(&gp);
    cl_client_close(&po);
    cl_client_close(&co);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, "[report]\nsuppress_below = 6\n");
    co = th_client(d, "coordinator");
    r = s_report(co, &rep);
    assert_int_equal(r->suppress_below, 6);
    assert_int_equal(s_refs(r, "Oakfield Surgery"), -1);
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

/* Agency and workstream names are chosen from the registry and the
 * configured list: any case is the listed name, a near miss is refused
 * with "did you mean", and a name far from all of them says where names
 * come from. */
static void test_names_from_lists(void **state)
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
    /* agencies: attending a review, owning an action, case finding */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, "2026-11-20");
    CL_COPY(q->u.review_new.title, "Extended MDT");
    q->u.review_new.n_agencies = 1;
    CL_COPY(q->u.review_new.agencies[0], "Oakfeild Surgery");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error,
                           "agency: no registered agency 'Oakfeild Surgery'; "
                           "did you mean 'Oakfield Surgery'?"));
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
    free(q);
    cl_client_close(&co);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_discussion_actions_rag,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_report_suppression_at_threshold,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_names_from_lists, th_setup_daemon,
                                        th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
