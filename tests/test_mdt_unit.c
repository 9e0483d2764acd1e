/*
 * test_mdt_unit: the extended MDT's logic over a real store, without
 * sockets: discussion, actions (owners, notices, changes kept, overdue),
 * RAG history, measures and the report's suppression, the meeting record
 * and the pack, and the MDT's part of retention and subject access. The
 * daemon-level scenarios are in test_mdt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core.h"
#include "harness.h"
#include "th_core.h"

#define NOW 1700000000 /* 2023-11-14 */

static const char *const GP = "Oakfield Surgery";
static const char *const POLICE = "Northshire Police";
static const char *const MDT = "Northshire Extended MDT";

typedef struct s_fx {
    th_core core;
    cl_txn *t; /* core.t: the test's write transaction */
    cl_route_config rc;
    cl_match_config mc;
    cl_caller gp, police, co;
    char review[CL_REF_SZ]; /* P00000001 is on its agenda */
} s_fx;

static void s_person(s_fx *f, const char *ref, const char *given,
                     const char *nhs)
{
    cl_publish_result out;
    th_core_publish(&f->core, &f->mc, &f->gp, ref, given, nhs, NOW, &out);
}

static void s_review(s_fx *f, const char *date, char id[CL_REF_SZ])
{
    cl_review_new r;
    cl_publish_result out;
    char err[CL_ERROR_SZ] = "";
    memset(&r, 0, sizeof(r));
    memset(&out, 0, sizeof(out));
    CL_COPY(r.date, date);
    CL_COPY(r.title, "Extended MDT north");
    CL_COPY(r.agencies[r.n_agencies++], GP);
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_review_create, &r, &out),
        CL_OK);
    cl_copy(id, CL_REF_SZ, out.reference);
}

static void s_agenda(s_fx *f, const char *review, const char *pid)
{
    cl_agenda_add a;
    cl_publish_result out;
    char err[CL_ERROR_SZ] = "";
    memset(&a, 0, sizeof(a));
    memset(&out, 0, sizeof(out));
    CL_COPY(a.review_id, review);
    CL_COPY(a.who.person_id, pid);
    a.reason = 1;
    CL_COPY(a.note, "GP worried about frequent A&E visits");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_review_agenda_add, &a, &out),
        CL_OK);
}

static int s_setup(void **state)
{
    s_fx *f = calloc(1, sizeof(*f));
    if (!f || th_core_open(&f->core, 5) != 0)
        return -1;
    f->t = f->core.t;
    cl_route_config_defaults(&f->rc);
    cl_match_config_defaults(&f->mc);
    const char *all[] = {GP, POLICE, MDT};
    for (uint32_t i = 0; i < 3; i++)
        CL_COPY(f->rc.agencies[f->rc.n_agencies++], all[i]);
    CL_COPY(f->rc.coord[f->rc.n_coord++], MDT);
    /* the publishing systems: they answer requests, their kinds count */
    CL_COPY(f->rc.answer[f->rc.n_answer++], GP);
    CL_COPY(f->rc.answer[f->rc.n_answer++], POLICE);
    CL_COPY(f->rc.kinds[f->rc.n_kinds++], "gp");
    CL_COPY(f->rc.kinds[f->rc.n_kinds++], "police");
    th_core_caller(&f->gp, "gp", GP, "gp", CL_ROLE_PUBLISHER);
    th_core_caller(&f->police, "police", POLICE, "police", CL_ROLE_PUBLISHER);
    th_core_caller(&f->co, "coordinator", MDT, "mdt", CL_ROLE_COORDINATOR);
    s_person(f, "G1", "Ann", "6281948211"); /* P00000001 */
    s_person(f, "G2", "Bob", "9935181901"); /* P00000002, not on it */
    s_review(f, "2023-11-20", f->review);
    s_agenda(f, f->review, "P00000001");
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fx *f = *state;
    th_core_close(&f->core);
    free(f);
    return 0;
}

static int s_discuss(s_fx *f, const cl_caller *c, const char *pid,
                     const char *summary, char err[CL_ERROR_SZ])
{
    cl_discussion d;
    cl_publish_result out;
    memset(&d, 0, sizeof(d));
    memset(&out, 0, sizeof(out));
    CL_COPY(d.review_id, f->review);
    CL_COPY(d.person_id, pid);
    CL_COPY(d.summary, summary);
    CL_COPY(d.decisions, "GP to review medication");
    return TH_CORE_OP(err, f->t, c, NOW, cl_mdt_record_discussion, &d, &out);
}

static int s_action(s_fx *f, const char *owner_agency, const char *due,
                    char id[CL_REF_SZ], char err[CL_ERROR_SZ])
{
    cl_action a;
    cl_publish_result out;
    memset(&a, 0, sizeof(a));
    memset(&out, 0, sizeof(out));
    CL_COPY(a.review_id, f->review);
    CL_COPY(a.person_id, "P00000001");
    CL_COPY(a.text, "Medication review");
    CL_COPY(a.owner_name, "Dr A Patel");
    CL_COPY(a.owner_agency, owner_agency);
    CL_COPY(a.due, due);
    int rc =
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_action_add, &f->rc, &a, &out);
    if (id)
        cl_copy(id, CL_REF_SZ, out.reference);
    return rc;
}

static int s_update(s_fx *f, const cl_caller *c, const char *id, uint8_t status,
                    const char *note, char err[CL_ERROR_SZ])
{
    cl_action_update u;
    cl_publish_result out;
    memset(&u, 0, sizeof(u));
    memset(&out, 0, sizeof(out));
    CL_COPY(u.action_id, id);
    u.status = status;
    CL_COPY(u.note, note);
    return TH_CORE_OP(err, f->t, c, NOW, cl_mdt_action_update, &f->rc, &u,
                      &out);
}

static void s_actions(s_fx *f, const cl_caller *c, bool overdue_only,
                      int64_t now, cl_actions *out)
{
    cl_action_query q;
    char err[CL_ERROR_SZ] = "";
    memset(&q, 0, sizeof(q));
    q.overdue_only = overdue_only;
    assert_int_equal(TH_CORE_OP(err, f->t, c, now, cl_mdt_action_list, &q, out),
                     CL_OK);
}

/* The deliveries of one kind in agency's mailbox. */
static size_t s_box(s_fx *f, const char *agency, cl_dlv_kind kind,
                    cl_delivery *last)
{
    cl_caller c;
    cl_deliveries in;
    cl_inbox_query q = {0};
    char err[CL_ERROR_SZ] = "";
    th_core_caller(&c, "reader", agency, "any", CL_ROLE_PUBLISHER);
    assert_int_equal(cl_mailbox_inbox_receive(f->t, &c, &q, &in, err), CL_OK);
    size_t n = 0;
    for (size_t i = 0; i < in.n; i++)
        if (in.v[i].kind == kind) {
            n++;
            if (last)
                *last = in.v[i];
        }
    free(in.v);
    return n;
}

static void s_subject(s_fx *f, uint64_t pid, cl_subject_access *out)
{
    memset(out, 0, sizeof(*out));
    assert_int_equal(cl_mdt_dp_subject(f->t, pid, NOW, out), CL_OK);
}

/* --- discussion ----------------------------------------------------------- */

static void test_discussion_kept_for_agenda_person(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_subject_access sa;
    assert_int_equal(s_discuss(f, &f->co, "P00000001", "Low mood", err), CL_OK);
    s_subject(f, 1, &sa);
    assert_int_equal(sa.n_agenda, 1);
    assert_string_equal(sa.agenda[0].review_id, f->review);
    assert_string_equal(sa.agenda[0].note,
                        "GP worried about frequent A&E visits");
    assert_string_equal(sa.agenda[0].discussion, "Low mood");
    assert_string_equal(sa.agenda[0].decisions, "GP to review medication");
    assert_string_equal(sa.agenda[0].discussed_by, MDT);
    assert_int_equal(sa.agenda[0].discussed_at, NOW);
    cl_subject_access_clear(&sa);
}

static void test_discussion_refused(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(s_discuss(f, &f->co, "P00000002", "Discussed", err),
                     CL_ERR_NOT_FOUND); /* not on the agenda */
    assert_int_equal(s_discuss(f, &f->co, "P00000001", "", err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "summary is required"));
    assert_int_equal(s_discuss(f, &f->co, "Ann", "Discussed", err),
                     CL_ERR_INVALID);
    assert_int_equal(s_discuss(f, &f->gp, "P00000001", "Discussed", err),
                     CL_ERR_DENIED);
    assert_non_null(strstr(err, "coordinator role"));
}

/* --- actions -------------------------------------------------------------- */

static void test_action_reaches_its_owner(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_delivery d;
    assert_int_equal(s_action(f, GP, "2023-12-01", id, err), CL_OK);
    assert_string_equal(id, "ACT-00000001");
    assert_int_equal(s_box(f, GP, CL_DLV_ACTION, &d), 1);
    assert_string_equal(d.u.action.event, "assigned");
    assert_string_equal(d.u.action.action_id, id);
    assert_string_equal(d.u.action.given, "Ann"); /* as the GP knows her */
    assert_string_equal(d.u.action.owner_name, "Dr A Patel");
    assert_int_equal(s_box(f, POLICE, CL_DLV_ACTION, NULL), 0);
}

static void test_action_bad_input(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(s_action(f, "Nowhere Agency", "2023-12-01", NULL, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "owner_agency must be a registered agency"));
    assert_int_equal(s_action(f, GP, "2023-02-30", NULL, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "due date"));
    assert_int_equal(
        s_update(f, &f->co, "ACT-00000099", CL_ACTION_DONE, "", err),
        CL_ERR_NOT_FOUND);
    assert_int_equal(s_update(f, &f->co, "A1; DROP", CL_ACTION_DONE, "", err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "ACT-00000042"));
}

static void test_owner_updates_its_own_actions_only(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    assert_int_equal(s_action(f, GP, "2023-12-01", id, err), CL_OK);
    /* another agency's action is answered as a missing one, word for
     * word: a publisher cannot tell which action ids exist */
    char missing[CL_ERROR_SZ] = "";
    assert_int_equal(s_update(f, &f->police, id, CL_ACTION_DONE, "", err),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(
        s_update(f, &f->police, "ACT-00000099", CL_ACTION_DONE, "", missing),
        CL_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "among your agency's actions"));
    char *at = strstr(err, id);
    assert_non_null(at);
    assert_int_equal(strncmp(err, missing, (size_t)(at - err)), 0);
    assert_string_equal(at + strlen(id), strstr(missing, "ACT-00000099") + 12);
    assert_int_equal(s_update(f, &f->gp, id, CL_ACTION_CANCELLED, "", err),
                     CL_ERR_DENIED);
    assert_non_null(strstr(err, "cancelling is the coordinator's"));
    assert_int_equal(s_update(f, &f->gp, id, CL_ACTION_BLOCKED, "", err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "blocked action needs a note"));
}

static void test_owner_update_told_and_kept(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_delivery d;
    cl_actions all;
    assert_int_equal(s_action(f, GP, "2023-12-01", id, err), CL_OK);
    assert_int_equal(s_update(f, &f->gp, id, CL_ACTION_BLOCKED,
                              "waiting for the patient", err),
                     CL_OK);
    assert_int_equal(s_update(f, &f->gp, id, CL_ACTION_DONE, "reviewed", err),
                     CL_OK);
    /* the coordinators hear of each change the owner made */
    assert_int_equal(s_box(f, MDT, CL_DLV_ACTION, &d), 2);
    assert_string_equal(d.u.action.event, "updated");
    assert_int_equal(d.u.action.status, CL_ACTION_DONE);
    assert_string_equal(d.u.action.by_agency, GP);
    s_actions(f, &f->co, false, NOW, &all);
    assert_int_equal(all.n, 1);
    assert_int_equal(all.v[0].status, CL_ACTION_DONE);
    assert_int_equal(all.v[0].n_changes, 3); /* assigned, blocked, done */
    assert_int_equal(all.v[0].changes[1].status, CL_ACTION_BLOCKED);
    assert_string_equal(all.v[0].changes[1].note, "waiting for the patient");
    assert_string_equal(all.v[0].changes[1].agency, GP);
    free(all.v);
}

static void test_coordinator_update_not_echoed(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    assert_int_equal(s_action(f, GP, "2023-12-01", id, err), CL_OK);
    assert_int_equal(s_update(f, &f->co, id, CL_ACTION_CANCELLED, "", err),
                     CL_OK);
    assert_int_equal(s_box(f, MDT, CL_DLV_ACTION, NULL), 0);
}

static void test_overdue_while_open_past_due(void **state)
{
    s_fx *f = *state;
    char a1[CL_REF_SZ], a2[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_actions out;
    assert_int_equal(s_action(f, GP, "2023-11-20", a1, err), CL_OK);
    assert_int_equal(s_action(f, GP, "2023-12-31", a2, err), CL_OK);
    s_actions(f, &f->co, true, NOW, &out);
    assert_int_equal(out.n, 0);
    free(out.v);
    s_actions(f, &f->co, true, NOW + 10 * 86400, &out); /* 2023-11-24 */
    assert_int_equal(out.n, 1);
    assert_string_equal(out.v[0].action_id, a1);
    assert_true(out.v[0].overdue);
    free(out.v);
    assert_int_equal(s_update(f, &f->co, a1, CL_ACTION_DONE, "", err), CL_OK);
    s_actions(f, &f->co, true, NOW + 10 * 86400, &out);
    assert_int_equal(out.n, 0);
    free(out.v);
}

static void test_publisher_lists_its_own_actions(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_actions out;
    assert_int_equal(s_action(f, GP, "2023-12-01", NULL, err), CL_OK);
    assert_int_equal(s_action(f, POLICE, "2023-12-01", NULL, err), CL_OK);
    s_actions(f, &f->police, false, NOW, &out);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.v[0].owner_agency, POLICE);
    free(out.v);
    s_actions(f, &f->co, false, NOW, &out);
    assert_int_equal(out.n, 2);
    free(out.v);
}

/* --- RAG ratings ---------------------------------------------------------- */

static int s_rag(s_fx *f, const char *pid, const char *ws, uint8_t rating,
                 const char *note, char err[CL_ERROR_SZ])
{
    cl_rag_set r;
    cl_publish_result out;
    memset(&r, 0, sizeof(r));
    memset(&out, 0, sizeof(out));
    CL_COPY(r.person_id, pid);
    CL_COPY(r.workstream, ws);
    r.rating = rating;
    CL_COPY(r.note, note);
    return TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_set_rag, &r, &out);
}

static void test_rag_history_oldest_first(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_rag_set q;
    cl_rag_entries h;
    assert_int_equal(s_rag(f, "P00000001", "", CL_RAG_RED, "Escalating", err),
                     CL_OK);
    assert_int_equal(s_rag(f, "P00000001", "", CL_RAG_AMBER, "Engaging", err),
                     CL_OK);
    assert_int_equal(
        s_rag(f, "", "Frequent attenders", CL_RAG_GREEN, "ok", err), CL_OK);
    memset(&q, 0, sizeof(q));
    CL_COPY(q.person_id, "P00000001");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, 0, cl_mdt_rag_history, &q, &h), CL_OK);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.v[0].rating, CL_RAG_RED);
    assert_int_equal(h.v[1].rating, CL_RAG_AMBER);
    assert_string_equal(h.v[1].by, MDT);
    free(h.v);
}

static void test_rag_refused(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(s_rag(f, "P00000001", "", CL_RAG_RED, "", err),
                     CL_ERR_INVALID);
    assert_int_equal(s_rag(f, "P00000001", "", 0, "note", err), CL_ERR_INVALID);
    assert_int_equal(s_rag(f, "P00000099", "", CL_RAG_RED, "note", err),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(
        s_rag(f, "P00000001", "Frequent attenders", CL_RAG_RED, "note", err),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "(one)"));
    assert_int_equal(s_rag(f, "", "", CL_RAG_RED, "note", err), CL_ERR_INVALID);
}

/* --- measures and the report ---------------------------------------------- */

static int s_define(s_fx *f, const char *name, const char *from, const char *to,
                    const char *source, char err[CL_ERROR_SZ])
{
    cl_measure_def m;
    cl_publish_result out;
    memset(&m, 0, sizeof(m));
    memset(&out, 0, sizeof(out));
    CL_COPY(m.name, name);
    CL_COPY(m.from, from);
    CL_COPY(m.to, to);
    CL_COPY(m.source, source);
    return TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_report_define_measure,
                      &f->rc, &m, &out);
}

static int s_value(s_fx *f, const char *name, const char *pid,
                   const char *month, double v, char err[CL_ERROR_SZ])
{
    cl_measure_value m;
    cl_publish_result out;
    memset(&m, 0, sizeof(m));
    memset(&out, 0, sizeof(out));
    CL_COPY(m.name, name);
    CL_COPY(m.person_id, pid);
    CL_COPY(m.period, month);
    m.value = v;
    return TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_report_record_measure, &m,
                      &out);
}

static void s_report(s_fx *f, uint32_t thr, cl_report *r)
{
    cl_report_query q;
    char err[CL_ERROR_SZ] = "";
    memset(&q, 0, sizeof(q));
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_report_figures, thr, &q, r),
        CL_OK);
}

static void test_measure_refused(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(s_define(f, "contacts", "2023-06", "2023-05", "", err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "in order"));
    assert_int_equal(
        s_define(f, "contacts", "2023-01", "2023-02", "tweets", err),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "referrals, attendances or alerts"));
    assert_int_equal(s_value(f, "unknown", "P00000001", "2023-01", 1, err),
                     CL_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "define it"));
    assert_int_equal(s_define(f, "contacts", "2023-01", "2023-02", "", err),
                     CL_OK);
    assert_int_equal(s_value(f, "contacts", "P00000001", "2023-01", -3, err),
                     CL_ERR_INVALID);
    assert_int_equal(s_value(f, "contacts", "P00000001", "2023-13", 1, err),
                     CL_ERR_INVALID);
    assert_int_equal(
        s_define(f, "refs", "2023-01", "2023-02", "referrals", err), CL_OK);
    assert_int_equal(s_value(f, "refs", "P00000001", "2023-01", 1, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "takes no values"));
}

static void test_measure_baseline_in_report(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_report r;
    assert_int_equal(s_define(f, "contacts", "2023-01", "2023-02", "", err),
                     CL_OK);
    assert_int_equal(s_value(f, "contacts", "P00000001", "2023-01", 4, err),
                     CL_OK);
    assert_int_equal(s_value(f, "contacts", "P00000002", "2023-02", 2, err),
                     CL_OK);
    assert_int_equal(s_value(f, "contacts", "P00000001", "2023-11", 1, err),
                     CL_OK);
    s_report(f, 1, &r);
    assert_int_equal(r.n_measures, 1);
    assert_int_equal(r.measures[0].baseline_people, 2);
    assert_true(r.measures[0].baseline_monthly > 2.99 &&
                r.measures[0].baseline_monthly < 3.01); /* 6 over 2 months */
    const cl_period_value *last =
        &r.measures[0].periods[r.measures[0].n_periods - 1];
    assert_string_equal(last->period, "2023-11");
    assert_int_equal(last->people, 1);
    cl_report_clear(&r);
    s_report(f, 5, &r); /* two people and one: suppressed */
    assert_int_equal(r.measures[0].baseline_people, -1);
    assert_true(r.measures[0].baseline_monthly < 0);
    cl_report_clear(&r);
}

static void test_report_suppresses_people_not_work(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_report r;
    assert_int_equal(s_action(f, GP, "2023-12-01", NULL, err), CL_OK);
    assert_int_equal(s_rag(f, "P00000001", "", CL_RAG_RED, "Escalating", err),
                     CL_OK);
    s_report(f, 5, &r);
    assert_int_equal(r.caseload, -1); /* one person: suppressed */
    assert_int_equal(r.rag[CL_RAG_RED], -1);
    assert_int_equal(r.actions_open, 1); /* work done: shown */
    assert_int_equal(r.rag_changes, 1);
    cl_report_clear(&r);
    s_report(f, 1, &r);
    assert_int_equal(r.caseload, 1);
    assert_int_equal(r.rag[CL_RAG_RED], 1);
    cl_report_clear(&r);
}

static void test_report_bad_period(void **state)
{
    s_fx *f = *state;
    cl_report_query q;
    cl_report r;
    char err[CL_ERROR_SZ] = "";
    memset(&q, 0, sizeof(q));
    CL_COPY(q.from, "2023-13-01");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_report_figures, 5, &q, &r),
        CL_ERR_INVALID);
    CL_COPY(q.from, "2023-06-01");
    CL_COPY(q.to, "2023-01-01");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_report_figures, 5, &q, &r),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "to: before from"));
    memset(&q, 0, sizeof(q));
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->gp, NOW, cl_mdt_report_figures, 5, &q, &r),
        CL_ERR_DENIED);
}

/* --- the meeting record and the pack ---------------------------------------
 */

/* A referral about Ann (P00000001) from c, routed as the daemon does. */
static void s_referral_about_ann(s_fx *f, const cl_caller *c, const char *ref)
{
    cl_referral *r = calloc(1, sizeof(*r));
    cl_publish_result out;
    cl_feed_event ev;
    char err[CL_ERROR_SZ] = "";
    memset(&out, 0, sizeof(out));
    CL_COPY(r->agency_ref, ref);
    CL_COPY(r->subject.given, "Ann");
    CL_COPY(r->subject.family, "Testperson");
    CL_COPY(r->subject.dob, "1980-01-01");
    CL_COPY(r->subject.nhs, "6281948211");
    CL_COPY(r->concern, "found at the station at night");
    r->category = 4;
    r->basis = 1;
    assert_int_equal(cl_referral_validate(r, err, &out), CL_OK);
    assert_int_equal(
        TH_CORE_OP(err, f->t, c, NOW, cl_linkfind_publish, &f->mc, r, &out),
        CL_OK);
    assert_int_equal(
        cl_alerts_route_publish(f->t, &f->rc, c, r, NOW, &out, &ev), CL_OK);
    free(r);
}

/* A child protection plan on a child of Ann's, from children's services. */
static void s_plan_for_child_of_ann(s_fx *f, const char *ref, const char *child,
                                    const char *dob)
{
    cl_caller cs;
    cl_plan *p = calloc(1, sizeof(*p));
    cl_publish_result out;
    char err[CL_ERROR_SZ] = "";
    memset(&out, 0, sizeof(out));
    th_core_caller(&cs, "childrens", "Northshire Children's Services",
                   "childrens_services", CL_ROLE_PUBLISHER);
    cs.plans = true;
    CL_COPY(p->agency_ref, ref);
    p->type = CL_PLAN_CPP;
    p->category = 3;
    p->basis = 1;
    CL_COPY(p->start, "2023-10-01");
    CL_COPY(p->authority, "Northshire Children's Services");
    CL_COPY(p->child.given, child);
    CL_COPY(p->child.family, "Testperson");
    CL_COPY(p->child.dob, dob);
    p->n_adults = 1;
    p->adults[0].rel = CL_REL_PARENT;
    CL_COPY(p->adults[0].person.given, "Ann");
    CL_COPY(p->adults[0].person.family, "Testperson");
    CL_COPY(p->adults[0].person.dob, "1980-01-01");
    CL_COPY(p->adults[0].person.nhs, "6281948211");
    if (cl_plan_validate(p, err, &out) != CL_OK)
        fail_msg("plan invalid: %s", err);
    assert_int_equal(TH_CORE_OP(err, f->t, &cs, NOW, cl_plan_publish_plan,
                                &f->mc, &f->rc, p, &out),
                     CL_OK);
    free(p);
}

static void s_pack(s_fx *f, const char *review, cl_review_pack *p)
{
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_pack_build, review, p),
        CL_OK);
}

static void test_meeting_record_refused(void **state)
{
    s_fx *f = *state;
    cl_meeting *m = calloc(1, sizeof(*m));
    cl_publish_result out;
    char err[CL_ERROR_SZ] = "";
    CL_COPY(m->review_id, f->review);
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_record_meeting, m, &out),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "chair"));
    CL_COPY(m->chair, "J Chair");
    m->n_apologies = 1;
    CL_COPY(m->apologies[0].name, "R Absent");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_record_meeting, m, &out),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "apologies 1: a name and an agency"));
    CL_COPY(m->review_id, "MDT-00000099");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_record_meeting, m, &out),
        CL_ERR_NOT_FOUND);
    free(m);
}

static void test_pack_holds_the_meetings_work(void **state)
{
    s_fx *f = *state;
    char a1[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_review_pack p;
    assert_int_equal(s_discuss(f, &f->co, "P00000001", "Low mood", err), CL_OK);
    assert_int_equal(s_action(f, GP, "2023-12-01", a1, err), CL_OK);
    assert_int_equal(s_action(f, GP, "2023-12-02", NULL, err), CL_OK);
    assert_int_equal(s_update(f, &f->co, a1, CL_ACTION_DONE, "", err), CL_OK);
    assert_int_equal(s_rag(f, "P00000001", "", CL_RAG_AMBER, "Engaging", err),
                     CL_OK);
    s_pack(f, f->review, &p);
    assert_string_equal(p.review.title, "Extended MDT north");
    assert_string_equal(p.meeting.confidentiality, CL_CONFIDENTIALITY_DEFAULT);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.v[0].person.person_id, "P00000001");
    assert_string_equal(p.v[0].note, "GP worried about frequent A&E visits");
    assert_string_equal(p.v[0].discussion, "Low mood");
    assert_int_equal(p.v[0].actions.n, 1); /* the open one */
    assert_int_equal(p.v[0].earlier.n, 0); /* both agreed at this review */
    assert_true(p.v[0].rated);
    assert_int_equal(p.v[0].rag.rating, CL_RAG_AMBER);
    cl_review_pack_clear(&p);
}

static void test_pack_carries_earlier_reviews(void **state)
{
    s_fx *f = *state;
    char next[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_review_pack p;
    assert_int_equal(s_discuss(f, &f->co, "P00000001", "Low mood", err), CL_OK);
    assert_int_equal(s_action(f, GP, "2023-12-01", NULL, err), CL_OK);
    s_review(f, "2023-12-18", next);
    s_agenda(f, next, "P00000001");
    s_pack(f, next, &p);
    assert_string_equal(p.previous_id, f->review);
    assert_string_equal(p.previous_date, "2023-11-20");
    assert_int_equal(p.v[0].n_prior, 1);
    assert_string_equal(p.v[0].prior[0].discussion, "Low mood");
    assert_int_equal(p.v[0].earlier.n, 1); /* agreed at the first one */
    assert_int_equal(p.v[0].actions.n, 1); /* still open */
    cl_review_pack_clear(&p);
}

static void test_pack_counts_alert_deliveries(void **state)
{
    s_fx *f = *state;
    cl_review_pack p;
    /* before any plan: a referral that alerted nobody */
    s_referral_about_ann(f, &f->gp, "G3");
    /* two of Ann's children on plans of the same authority: a referral
     * about her is delivered as an alert for each plan */
    s_plan_for_child_of_ann(f, "CP-1", "Amy", "2015-06-01");
    s_plan_for_child_of_ann(f, "CP-2", "Ben", "2017-03-01");
    s_referral_about_ann(f, &f->police, "P1");
    assert_int_equal(
        s_box(f, "Northshire Children's Services", CL_DLV_ALERT, NULL), 2);
    s_pack(f, f->review, &p);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.v[0].n_since, 3); /* G1, G3, P1 */
    assert_int_equal(p.v[0].since_alerts, 2);
    cl_review_pack_clear(&p);
}

static void test_pack_refused(void **state)
{
    s_fx *f = *state;
    cl_review_pack p;
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->gp, NOW, cl_mdt_pack_build, f->review, &p),
        CL_ERR_DENIED);
    assert_int_equal(TH_CORE_OP(err, f->t, &f->co, NOW, cl_mdt_pack_build,
                                "MDT-00000077", &p),
                     CL_ERR_NOT_FOUND);
}

/* --- retention and subject access ------------------------------------------
 */

static void test_open_action_and_recent_agenda_keep_a_person(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_ids actions = {0}, agenda = {0};
    assert_int_equal(s_action(f, GP, "2023-12-01", NULL, err), CL_OK);
    assert_int_equal(cl_mdt_dp_live(f->t, "2023-11-01", &actions, &agenda),
                     CL_OK);
    assert_int_equal(actions.n, 1);
    assert_int_equal(actions.v[0], 1);
    assert_int_equal(agenda.n, 1);
    cl_idset_free(&actions);
    cl_idset_free(&agenda);
    /* a review older than the window keeps nobody */
    assert_int_equal(cl_mdt_dp_live(f->t, "2023-12-01", &actions, &agenda),
                     CL_OK);
    assert_int_equal(agenda.n, 0);
    cl_idset_free(&actions);
    cl_idset_free(&agenda);
}

static void test_purge_leaves_nothing_and_pack_says_so(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_names names = {0};
    cl_subject_access sa;
    cl_review_pack p;
    assert_int_equal(s_discuss(f, &f->co, "P00000001", "Low mood", err), CL_OK);
    assert_int_equal(s_action(f, GP, "2023-12-01", NULL, err), CL_OK);
    assert_int_equal(s_rag(f, "P00000001", "", CL_RAG_RED, "Escalating", err),
                     CL_OK);
    assert_int_equal(s_define(f, "contacts", "2023-01", "2023-02", "", err),
                     CL_OK);
    assert_int_equal(s_value(f, "contacts", "P00000001", "2023-01", 4, err),
                     CL_OK);
    s_subject(f, 1, &sa);
    assert_int_equal(sa.n_agenda, 1);
    assert_int_equal(sa.actions.n, 1);
    assert_int_equal(sa.rag.n, 1);
    assert_int_equal(sa.n_measures, 1);
    cl_subject_access_clear(&sa);
    assert_int_equal(cl_mdt_dp_purge(f->t, 1, &names), CL_OK);
    assert_non_null(names.buf);
    assert_string_equal(names.buf, "ACT-00000001");
    free(names.buf);
    s_subject(f, 1, &sa);
    assert_int_equal(sa.n_agenda, 0);
    assert_int_equal(sa.actions.n, 0);
    assert_int_equal(sa.rag.n, 0);
    assert_int_equal(sa.n_measures, 0);
    cl_subject_access_clear(&sa);
    s_pack(f, f->review, &p);
    assert_int_equal(p.n, 0);
    assert_int_equal(p.purged, 1);
    cl_review_pack_clear(&p);
}

static void test_stored_mdt_records_checked(void **state)
{
    (void)state;
    static const uint8_t junk[] = {9, 1, 2, 3};
    static const cl_db dbs[] = {CL_DB_ACTION,      CL_DB_RAG,
                                CL_DB_MEETING,     CL_DB_DISCUSSION,
                                CL_DB_MEASURE_DEF, CL_DB_MEASURE};
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
        assert_int_equal(cl_mdt_dp_decode_check(dbs[i], junk, sizeof(junk)),
                         CL_ERR_CORRUPT);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_discussion_kept_for_agenda_person),
        T(test_discussion_refused),
        T(test_action_reaches_its_owner),
        T(test_action_bad_input),
        T(test_owner_updates_its_own_actions_only),
        T(test_owner_update_told_and_kept),
        T(test_coordinator_update_not_echoed),
        T(test_overdue_while_open_past_due),
        T(test_publisher_lists_its_own_actions),
        T(test_rag_history_oldest_first),
        T(test_rag_refused),
        T(test_measure_refused),
        T(test_measure_baseline_in_report),
        T(test_report_suppresses_people_not_work),
        T(test_report_bad_period),
        T(test_meeting_record_refused),
        T(test_pack_holds_the_meetings_work),
        T(test_pack_carries_earlier_reviews),
        T(test_pack_counts_alert_deliveries),
        T(test_pack_refused),
        T(test_open_action_and_recent_agenda_keep_a_person),
        T(test_purge_leaves_nothing_and_pack_says_so),
        T(test_stored_mdt_records_checked),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
