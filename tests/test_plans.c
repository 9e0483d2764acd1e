/*
 * test_plans: who may create a protection plan, and what a plan may be
 * about, on the real daemon (issue 15, "High"). A plan routes other
 * agencies' referrals to its publisher as safeguarding alerts, so a fake
 * plan is a way to subscribe to them: each attack below is performed and
 * the safe outcome asserted.
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

static const char *NHS_CHILD = "0830166130";
static const char *NHS_MUM = "1860913903";
static const char *NHS_CHILD2 = "9960308243";
static const char *UPRN = "100023336956";

/* A plan ready to send: a child protection plan on a child identified by
 * NHS number with a date of birth. Caller frees. */
static cl_request *s_plan_req(const char *ref, const char *nhs, const char *dob)
{
    cl_request *q = calloc(1, sizeof(*q));
    assert_non_null(q);
    q->kind = CL_REQ_PUBLISH_PLAN;
    cl_plan *p = &q->u.plan;
    CL_COPY(p->agency_ref, ref);
    if (nhs)
        CL_COPY(p->child.nhs, nhs);
    if (dob)
        CL_COPY(p->child.dob, dob);
    p->type = 1;
    p->category = 1;
    CL_COPY(p->start, "2026-01-10");
    CL_COPY(p->authority, "Northshire Children's Services");
    CL_COPY(p->legal_basis, "Children Act 1989 s47");
    p->basis = 1;
    return q;
}

/* Send a request; returns the status, error text copied to err. */
static int s_call(cl_client *c, cl_request *q, char *err, size_t cap)
{
    cl_reply rep;
    memset(q->msgid, 0, CL_MSGID_LEN); /* a new request each time */
    assert_int_equal(cl_client_call(c, q, &rep), CL_OK);
    int st = (int)rep.status;
    if (err)
        cl_copy(err, cap, rep.error);
    cl_reply_clear(&rep);
    return st;
}

static size_t s_inbox_n(cl_client *c, cl_dlv_kind kind)
{
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(cl_client_call(c, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    size_t n = 0;
    for (size_t i = 0; i < rep.u.deliveries.n; i++)
        n += rep.u.deliveries.v[i].kind == kind;
    cl_reply_clear(&rep);
    return n;
}

static void s_referral(cl_client *c, const char *ref, const char *given,
                       const char *family, const char *dob, const char *nhs,
                       const char *uprn)
{
    cl_request *q = th_referral(ref, given, family, dob, nhs);
    CL_COPY(q->u.publish.referrer_name, "PC 123 Jones");
    CL_COPY(q->u.publish.concern, "Police concern text CANARY-CONCERN");
    if (uprn)
        CL_COPY(q->u.publish.subject.uprn, uprn);
    assert_int_equal(th_publish(c, q, NULL), CL_STATUS_OK);
    free(q);
}

/* The finding as reported: a GP publishes a child_protection_plan on an
 * adult identified only by NHS number, then receives the police's
 * referral about that adult as a "safeguarding alert". */
static void test_gp_fake_plan_on_adult(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police");
    char err[CL_ERROR_SZ];
    cl_request *q = s_plan_req("FAKE-1", NHS_MUM, NULL);
    int st = s_call(gp, q, err, sizeof(err));
    assert_int_equal(st, CL_STATUS_DENIED);
    assert_non_null(strstr(err, "plan authorit"));
    /* with a child's date of birth too: still not a plan authority */
    CL_COPY(q->u.plan.child.dob, "2018-05-05");
    assert_int_equal(s_call(gp, q, err, sizeof(err)), CL_STATUS_DENIED);
    free(q);

    s_referral(police, "POL-1", "Kerry", "Brown", "1990-02-03", NHS_MUM, NULL);
    assert_int_equal(s_inbox_n(gp, CL_DLV_ALERT), 0);
    /* nothing reached the GP's mailbox at all */
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    assert_int_equal(cl_client_call(gp, &req, &rep), CL_OK);
    assert_int_equal(rep.u.deliveries.n, 0);
    cl_reply_clear(&rep);
    /* the refusal is in the log without the NHS number */
    assert_true(th_file_contains(d->log, "plan authorit"));
    assert_false(th_file_contains(d->log, NHS_MUM));
    cl_client_close(&gp);
    cl_client_close(&police);
}

/* The variant: a plan on an invented child at a public UPRN would put the
 * child in the household of everyone living there. Refused for the GP;
 * and even a plan authority's plan never infers a household. */
static void test_uprn_household_not_inferred_from_plan(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police"),
              *ch = th_client(d, "childrens"),
              *co = th_client(d, "coordinator");
    char err[CL_ERROR_SZ];
    /* someone lives at the UPRN, known to the police */
    s_referral(police, "POL-U1", "Dean", "Walker", "1984-07-07", NHS_MUM, UPRN);
    cl_request *q = s_plan_req("FAKE-U", NULL, "2017-03-03");
    CL_COPY(q->u.plan.child.given, "Invented");
    CL_COPY(q->u.plan.child.family, "Child");
    q->u.plan.child.sex = 1;
    CL_COPY(q->u.plan.child.postcode, "NR1 1AA");
    CL_COPY(q->u.plan.child.uprn, UPRN);
    assert_int_equal(s_call(gp, q, err, sizeof(err)), CL_STATUS_DENIED);
    /* children's services may publish it, but the UPRN links no one */
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    free(q);
    s_referral(police, "POL-U2", "Dean", "Walker", "1984-07-07", NHS_MUM, UPRN);
    assert_int_equal(s_inbox_n(ch, CL_DLV_ALERT), 0);
    assert_int_equal(s_inbox_n(gp, CL_DLV_ALERT), 0);
    /* a later referral at the same UPRN does not join the plan's child
     * either */
    s_referral(police, "POL-U3", "Sue", "Walker", "1986-01-09", NULL, UPRN);
    assert_int_equal(s_inbox_n(ch, CL_DLV_ALERT), 0);
    /* the resident's case shows no plan and no household */
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS_MUM, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_plans, 0);
    for (size_t i = 0; i < rep.u.person.n_related; i++)
        assert_string_not_equal(rep.u.person.related[i].given, "Invented");
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&police);
    cl_client_close(&ch);
    cl_client_close(&co);
}

/* The plan's child must be a child, identified well enough; the refusal
 * names the rule. */
static void test_plan_child_rules(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens");
    char err[CL_ERROR_SZ];
    /* an adult: 18 or over on the start date */
    cl_request *q = s_plan_req("CP-A", NHS_MUM, "1990-02-03");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "under 18"));
    /* 18 exactly on the start date is an adult; the day before is not */
    CL_COPY(q->u.plan.child.dob, "2008-01-10");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "under 18"));
    /* no date of birth: cannot show the child is a child */
    q->u.plan.child.dob[0] = '\0';
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "date_of_birth"));
    /* born after the plan started: that is an unborn plan */
    CL_COPY(q->u.plan.child.dob, "2026-03-01");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "unborn"));
    free(q);
    /* a family name and a date of birth (enough for a referral): not
     * identified well enough for a plan */
    q = s_plan_req("CP-B", NULL, "2016-04-04");
    CL_COPY(q->u.plan.child.family, "Smith");
    CL_COPY(q->u.plan.child.postcode, "NR2 4AB");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "full demographics"));
    /* full demographics (given and family names, date of birth) are */
    CL_COPY(q->u.plan.child.given, "Amy");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    free(q);
    /* the authority's own local id is enough */
    q = s_plan_req("CP-C", NULL, "2016-04-04");
    CL_COPY(q->u.plan.child.local_id, "CS-7781");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    /* the day before the 18th birthday is a child */
    free(q);
    q = s_plan_req("CP-D", NHS_CHILD2, "2008-01-11");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    free(q);
    /* an unborn plan is held on the expectant mother, who must be
     * identified the same way */
    q = s_plan_req("UCP-1", NULL, NULL);
    q->u.plan.type = 3;
    q->u.plan.category = 0;
    q->u.plan.n_adults = 1;
    q->u.plan.adults[0].rel = 1;
    CL_COPY(q->u.plan.adults[0].person.given, "Kerry");
    CL_COPY(q->u.plan.adults[0].person.family, "Brown");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "expectant mother"));
    CL_COPY(q->u.plan.adults[0].person.nhs, NHS_MUM);
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    free(q);
    cl_client_close(&ch);
}

/* Every new plan reaches the information-governance auditor's mailbox;
 * the first from an agency says so. Updates by the same reference do
 * not repeat it. */
static void test_new_plans_surface_to_auditor(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *au = th_client(d, "auditor");
    char err[CL_ERROR_SZ];
    cl_request *q = s_plan_req("CP-N1", NHS_CHILD, "2019-06-01");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    CL_COPY(q->u.plan.review, "2026-04-10"); /* an update: no new notice */
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    free(q);
    q = s_plan_req("CP-N2", NHS_CHILD2, "2020-02-02");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    free(q);

    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(cl_client_call(au, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.deliveries.n, 2);
    const cl_governance_msg *g1 = &rep.u.deliveries.v[0].u.governance;
    const cl_governance_msg *g2 = &rep.u.deliveries.v[1].u.governance;
    assert_int_equal(rep.u.deliveries.v[0].kind, CL_DLV_GOVERNANCE);
    assert_string_equal(g1->event, "first_plan_from_agency");
    assert_string_equal(g1->agency, "Northshire Children's Services");
    assert_string_equal(g1->client, "childrens");
    assert_string_equal(g1->reference, "PLAN-00000001");
    assert_string_equal(g1->person_id, "P00000001");
    assert_string_equal(g2->event, "new_plan");
    assert_string_equal(g2->reference, "PLAN-00000002");
    char pid2[CL_PID_SZ];
    CL_COPY(pid2, g2->person_id);
    cl_reply_clear(&rep);
    /* another agency's mailbox holds none of it */
    assert_int_equal(s_inbox_n(ch, CL_DLV_GOVERNANCE), 0);
    /* an update that moves a plan to another child is a new route: told */
    q = s_plan_req("CP-N1", NHS_CHILD2, "2020-02-02");
    assert_int_equal(s_call(ch, q, err, sizeof(err)), CL_STATUS_OK);
    free(q);
    assert_int_equal(cl_client_call(au, &req, &rep), CL_OK);
    assert_int_equal(rep.u.deliveries.n, 3);
    const cl_governance_msg *g3 = &rep.u.deliveries.v[2].u.governance;
    assert_string_equal(g3->event, "plan_moved");
    assert_string_equal(g3->reference, "PLAN-00000001");
    assert_string_equal(g3->person_id, pid2);
    cl_reply_clear(&rep);
    /* the first child no longer holds it: a referral about her raises no
     * alert for that plan */
    cl_client *gp = th_client(d, "gp");
    s_referral(gp, "GP-MV", "Lily", "Brown", "2019-06-01", NHS_CHILD, NULL);
    cl_client_close(&gp);
    assert_int_equal(s_inbox_n(ch, CL_DLV_ALERT), 0);
    cl_client_close(&ch);
    cl_client_close(&au);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gp_fake_plan_on_adult,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(
            test_uprn_household_not_inferred_from_plan, th_setup_daemon,
            th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_plan_child_rules, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_new_plans_surface_to_auditor,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
