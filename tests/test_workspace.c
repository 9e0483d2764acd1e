/*
 * test_workspace: the coordinator's lists and actions owned by agencies,
 * on the real daemon. Referral list (filters, pages, bad input, audited,
 * coordinators only), review list with counts; an action reaches its
 * owner's mailbox naming the person as the owner holds them, the owner
 * lists its own actions only and marks them done or blocked with a note,
 * another agency is DENIED, the coordinators hear of each change and see
 * who changed what and when.
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
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#define NHS_A "9434765919"
#define NHS_B "4010232137"

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

static int s_do(cl_client *c, cl_request *req, char *ref_out, char *err)
{
    cl_reply rep;
    int st = s_call(c, req, &rep);
    if (ref_out)
        cl_copy(ref_out, CL_REF_SZ, rep.u.publish.reference);
    if (err)
        strcpy(err, rep.error);
    cl_reply_clear(&rep);
    return st;
}

static void s_refer(th_daemon *d, const char *who, const char *ref,
                    const char *given, const char *nhs, int category)
{
    cl_client *c = th_client(d, who);
    cl_request *q = th_referral(ref, given, "Smith", "1985-04-12", nhs);
    q->u.publish.category = (uint8_t)category;
    assert_int_equal(th_publish(c, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&c);
}

static cl_request *s_rl(void)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_REFERRAL_LIST;
    q->u.ref_query.status = -1;
    return q;
}

static void test_referral_list(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char err[CL_ERROR_SZ];
    s_refer(d, "gp", "GP-1", "Jane", NHS_A, 4);
    s_refer(d, "police", "POL-1", "Jane", NHS_A, 3);
    s_refer(d, "police", "POL-2", "Ann", NHS_B, 8);
    cl_client *co = th_client(d, "coordinator");
    cl_request *q = s_rl();
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 3);
    assert_string_equal(rep.u.ref_rows.v[0].reference, "CL-00000001");
    assert_string_equal(rep.u.ref_rows.v[0].given, "Jane");
    assert_string_equal(rep.u.ref_rows.v[0].dob, "1985-04-12");
    assert_string_equal(rep.u.ref_rows.v[0].agency_ref, "GP-1");
    assert_string_equal(rep.u.ref_rows.v[2].given, "Ann");
    cl_reply_clear(&rep);
    /* by agency, category, person */
    CL_COPY(q->u.ref_query.agency, "Northshire Police");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 2);
    cl_reply_clear(&rep);
    q->u.ref_query.category = 8;
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 1);
    assert_string_equal(rep.u.ref_rows.v[0].agency_ref, "POL-2");
    cl_reply_clear(&rep);
    free(q);
    q = s_rl();
    CL_COPY(q->u.ref_query.who.match.nhs, NHS_A);
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 2);
    cl_reply_clear(&rep);
    /* by status and date */
    free(q);
    q = s_rl();
    q->u.ref_query.status = CL_REFSTAT_ACCEPTED;
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 0);
    cl_reply_clear(&rep);
    q->u.ref_query.status = -1;
    CL_COPY(q->u.ref_query.to, "2020-01-01");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 0);
    cl_reply_clear(&rep);
    /* pages */
    free(q);
    q = s_rl();
    q->u.ref_query.limit = 2;
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 2);
    assert_string_equal(rep.u.ref_rows.next, "CL-00000002");
    cl_reply_clear(&rep);
    CL_COPY(q->u.ref_query.after, "CL-00000002");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.ref_rows.n, 1);
    assert_string_equal(rep.u.ref_rows.v[0].reference, "CL-00000003");
    assert_string_equal(rep.u.ref_rows.next, "");
    cl_reply_clear(&rep);
    /* bad input */
    free(q);
    q = s_rl();
    CL_COPY(q->u.ref_query.from, "2026-02-30");
    assert_int_equal(s_do(co, q, NULL, err), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "from and to"));
    memset(q->u.ref_query.from, 0, sizeof(q->u.ref_query.from));
    CL_COPY(q->u.ref_query.after, "CL-x");
    assert_int_equal(s_do(co, q, NULL, err), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "after"));
    memset(q->u.ref_query.after, 0, sizeof(q->u.ref_query.after));
    q->u.ref_query.limit = 999999;
    assert_int_equal(s_do(co, q, NULL, err), CL_STATUS_INVALID);
    q->u.ref_query.limit = 0;
    CL_COPY(q->u.ref_query.who.person_id, "P00000099");
    assert_int_equal(s_do(co, q, NULL, err), CL_STATUS_NOT_FOUND);
    cl_client_close(&co);
    /* only coordinators */
    cl_client *gp = th_client(d, "gp");
    memset(q->u.ref_query.who.person_id, 0, CL_PID_SZ);
    assert_int_equal(s_do(gp, q, NULL, NULL), CL_STATUS_DENIED);
    cl_client_close(&gp);
    free(q);
    /* audited, naming the people listed */
    cl_client *au = th_client(d, "auditor");
    assert_true(th_audited(au, NULL, NHS_B, "referral_list") > 0);
    cl_client_close(&au);
}

static void s_review(cl_client *co, const char *date, char id[CL_REF_SZ])
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, date);
    CL_COPY(q->u.review_new.title, "Extended MDT");
    assert_int_equal(s_do(co, q, id, NULL), CL_STATUS_OK);
    free(q);
}

static void s_agenda(cl_client *co, const char *mdt, const char *nhs)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(q->u.agenda.review_id, mdt);
    CL_COPY(q->u.agenda.who.match.nhs, nhs);
    q->u.agenda.reason = 1;
    assert_int_equal(s_do(co, q, NULL, NULL), CL_STATUS_OK);
    free(q);
}

static void s_add_action(cl_client *co, const char *mdt, const char *pid,
                         const char *agency, const char *due, char *id)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_ADD_ACTION;
    CL_COPY(q->u.action.review_id, mdt);
    CL_COPY(q->u.action.person_id, pid);
    CL_COPY(q->u.action.text, "Welfare check");
    CL_COPY(q->u.action.owner_name, "PC S Hughes");
    CL_COPY(q->u.action.owner_agency, agency);
    CL_COPY(q->u.action.due, due);
    assert_int_equal(s_do(co, q, id, NULL), CL_STATUS_OK);
    free(q);
}

static int s_update(cl_client *c, const char *id, uint8_t status,
                    const char *note, char *err)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_UPDATE_ACTION;
    CL_COPY(q->u.action_update.action_id, id);
    q->u.action_update.status = status;
    if (note)
        CL_COPY(q->u.action_update.note, note);
    int st = s_do(c, q, NULL, err);
    free(q);
    return st;
}

static size_t s_actions_of(cl_client *c, cl_reply *rep)
{
    cl_request q;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_LIST_ACTIONS;
    assert_int_equal(s_call(c, &q, rep), CL_STATUS_OK);
    return rep->u.actions.n;
}

static const cl_delivery *s_last_of(const cl_reply *rep, cl_dlv_kind kind)
{
    const cl_delivery *d = NULL;
    for (size_t i = 0; i < rep->u.deliveries.n; i++)
        if (rep->u.deliveries.v[i].kind == kind)
            d = &rep->u.deliveries.v[i];
    return d;
}

static void s_mail(cl_client *c, cl_reply *rep)
{
    cl_request q;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_INBOX_RECEIVE;
    q.u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(s_call(c, &q, rep), CL_STATUS_OK);
}

/* A review id nobody made lists as one the agency owns nothing in: a
 * publisher cannot tell which review ids exist (one it was not invited
 * to lists empty too); a coordinator is told. */
static void test_missing_review_lists_empty(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    cl_request lq;
    memset(&lq, 0, sizeof(lq));
    lq.kind = CL_REQ_LIST_ACTIONS;
    CL_COPY(lq.u.action_query.review_id, "MDT-00000504");
    assert_int_equal(s_call(gp, &lq, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.actions.n, 0);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(co, &lq, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&co);
}

static void test_owned_actions(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char mdt[CL_REF_SZ], a1[CL_REF_SZ], a2[CL_REF_SZ], err[CL_ERROR_SZ];
    s_refer(d, "gp", "GP-1", "Jane", NHS_A, 4);
    s_refer(d, "police", "POL-1", "Janey", NHS_A, 3); /* police: "Janey" */
    cl_client *co = th_client(d, "coordinator");
    s_review(co, "2026-01-10", mdt);
    s_agenda(co, mdt, NHS_A);
    s_add_action(co, mdt, "P00000001", "Northshire Police", "2099-01-31", a1);
    s_add_action(co, mdt, "P00000001", "Oakfield Surgery", "2099-02-28", a2);
    /* the police get theirs, with Jane as they know her */
    cl_client *po = th_client(d, "police"), *gp = th_client(d, "gp");
    s_mail(po, &rep);
    const cl_delivery *dv = s_last_of(&rep, CL_DLV_ACTION);
    assert_non_null(dv);
    assert_string_equal(dv->u.action.event, "assigned");
    assert_string_equal(dv->u.action.action_id, a1);
    assert_string_equal(dv->u.action.given, "Janey");
    assert_string_equal(dv->u.action.text, "Welfare check");
    assert_string_equal(dv->u.action.by_user, "Chris Jones");
    cl_reply_clear(&rep);
    /* each agency lists its own actions only */
    assert_int_equal(s_actions_of(po, &rep), 1);
    assert_string_equal(rep.u.actions.v[0].action_id, a1);
    cl_reply_clear(&rep);
    assert_int_equal(s_actions_of(gp, &rep), 1);
    assert_string_equal(rep.u.actions.v[0].action_id, a2);
    cl_reply_clear(&rep);
    assert_int_equal(s_actions_of(co, &rep), 2);
    cl_reply_clear(&rep);
    /* the GP cannot touch the police's action, nor cancel its own */
    assert_int_equal(s_update(gp, a1, CL_ACTION_DONE, "done it", err),
                     CL_STATUS_NOT_FOUND);
    assert_non_null(strstr(err, "among your agency's actions"));
    assert_int_equal(s_update(gp, a2, CL_ACTION_CANCELLED, "no", err),
                     CL_STATUS_DENIED);
    /* blocked needs a note */
    assert_int_equal(s_update(po, a1, CL_ACTION_BLOCKED, NULL, err),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(err, "note"));
    assert_int_equal(s_update(po, "ACT-x", CL_ACTION_DONE, NULL, err),
                     CL_STATUS_INVALID);
    assert_int_equal(s_update(po, "ACT-00000099", CL_ACTION_DONE, NULL, err),
                     CL_STATUS_NOT_FOUND);
    assert_int_equal(
        s_update(po, a1, CL_ACTION_BLOCKED, "address not known", err),
        CL_STATUS_OK);
    assert_int_equal(s_update(po, a1, CL_ACTION_DONE, "visited, safe", err),
                     CL_STATUS_OK);
    /* the coordinators hear, and see who changed what and when */
    s_mail(co, &rep);
    dv = s_last_of(&rep, CL_DLV_ACTION);
    assert_non_null(dv);
    assert_string_equal(dv->u.action.event, "updated");
    assert_int_equal(dv->u.action.status, CL_ACTION_DONE);
    assert_string_equal(dv->u.action.by_agency, "Northshire Police");
    assert_string_equal(dv->u.action.by_user, "PC Sam Hughes");
    assert_string_equal(dv->u.action.given, "Jane");
    cl_reply_clear(&rep);
    assert_int_equal(s_actions_of(co, &rep), 2);
    const cl_action *a = &rep.u.actions.v[0];
    assert_string_equal(a->action_id, a1);
    assert_int_equal(a->status, CL_ACTION_DONE);
    assert_int_equal(a->n_changes, 3);
    assert_string_equal(a->changes[0].agency, "Northshire Extended MDT");
    assert_int_equal(a->changes[1].status, CL_ACTION_BLOCKED);
    assert_string_equal(a->changes[1].note, "address not known");
    assert_string_equal(a->changes[1].user, "PC Sam Hughes");
    assert_string_equal(a->changes[2].note, "visited, safe");
    assert_true(a->changes[2].at >= a->changes[1].at);
    cl_reply_clear(&rep);
    /* an agency that owns nothing sees nothing */
    cl_client *ad = th_client(d, "adults");
    assert_int_equal(s_actions_of(ad, &rep), 0);
    cl_reply_clear(&rep);
    assert_int_equal(s_update(ad, a2, CL_ACTION_DONE, "x", err),
                     CL_STATUS_NOT_FOUND); /* as one that does not exist */
    cl_client_close(&ad);
    /* operators and auditors: not at all */
    cl_client *op = th_client(d, "operator");
    assert_int_equal(s_update(op, a2, CL_ACTION_DONE, "x", err),
                     CL_STATUS_DENIED);
    cl_client_close(&op);
    /* the review list counts */
    char later[CL_REF_SZ];
    s_review(co, "2099-06-01", later);
    cl_request q;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_MDT_LIST;
    assert_int_equal(s_call(co, &q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.mdt_rows.n, 2);
    const cl_mdt_row *m = &rep.u.mdt_rows.v[0];
    assert_string_equal(m->review_id, mdt);
    assert_int_equal(m->people, 1);
    assert_int_equal(m->actions_open, 1);
    assert_int_equal(m->actions_closed, 1);
    assert_int_equal(m->actions_overdue, 0);
    cl_reply_clear(&rep);
    q.u.mdt_query.upcoming = true;
    assert_int_equal(s_call(co, &q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.mdt_rows.n, 1);
    assert_string_equal(rep.u.mdt_rows.v[0].review_id, later);
    cl_reply_clear(&rep);
    q.u.mdt_query.upcoming = false;
    q.u.mdt_query.past = true;
    assert_int_equal(s_call(co, &q, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.mdt_rows.n, 1);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(gp, &q, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&po);
    cl_client_close(&gp);
    cl_client_close(&co);
    assert_false(th_file_contains(d->log, "Janey"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_referral_list, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_missing_review_lists_empty,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_owned_actions, th_setup_daemon,
                                        th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
