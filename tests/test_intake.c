/*
 * test_intake: the coordinators' intake queue and the early intervention
 * triggers on the real daemon: a GP concern the rules send to the MDT, a
 * referral that asks for it, three police contacts in 90 days, contacts
 * with three agencies, a referral about an adult linked to a child on a
 * plan, an action overdue before the next meeting (the daily pass); items
 * in the coordinators' mailbox and in the queue with name, date of birth,
 * agency, what and when, and the agendas the person is on; accept onto a
 * review (the referrer told), decline with a reason, defer; decisions on
 * items already decided; malformed rules refused by --check-config with
 * file and line; other roles and agencies refused; audited.
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

#define NHS_A     "9434765919" /* Jane Smith */
#define NHS_B     "4010232137" /* Tom Brown */
#define NHS_MUM   "9876543210" /* Kerry Brown, a parent */
#define NHS_CHILD "4857773457" /* Lily Brown, on a plan */

static const char *RULES =
    "\n[intake]\n"
    "rule gp-concerns = kind=gp category=mental_health,self_neglect\n"
    "rule police-hlu = kind=police contacts>=3 within=90d\n"
    "rule multi-agency = agencies>=3 within=6m\n"
    "rule plan-adult = kind=adult_services,police plan_linked\n";

static int s_setup(void **state)
{
    th_daemon *d = calloc(1, sizeof(*d));
    if (!d)
        return -1;
    th_start(d, RULES);
    *state = d;
    return 0;
}

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

static int s_do(cl_client *c, cl_request *req, char *ref_out)
{
    cl_reply rep;
    int st = s_call(c, req, &rep);
    if (ref_out)
        cl_copy(ref_out, CL_REF_SZ, rep.u.publish.reference);
    cl_reply_clear(&rep);
    return st;
}

/* Publish a referral; category and age of the contact in days. */
static void s_refer(th_daemon *d, const char *who, const char *ref,
                    const char *given, const char *family, const char *dob,
                    const char *nhs, int category, int days_ago, bool ask,
                    char *out)
{
    cl_client *c = th_client(d, who);
    cl_request *q = th_referral(ref, given, family, dob, nhs);
    q->u.publish.category = (uint8_t)category;
    q->u.publish.risk = 3;
    if (days_ago)
        q->u.publish.occurred_at = (int64_t)time(NULL) - days_ago * 86400;
    q->u.publish.ask_mdt = ask;
    assert_int_equal(th_publish(c, q, out), CL_STATUS_OK);
    free(q);
    cl_client_close(&c);
}

/* The queue (all: every item); caller clears rep. */
static void s_list(cl_client *co, bool all, cl_reply *rep)
{
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INTAKE_LIST;
    req.u.intake_all = all;
    assert_int_equal(s_call(co, &req, rep), CL_STATUS_OK);
}

static const cl_intake_item *s_find(const cl_reply *rep, const char *rule,
                                    const char *pid)
{
    for (size_t i = 0; i < rep->u.intake.n; i++)
        if (!strcmp(rep->u.intake.v[i].rule, rule) &&
            (!pid || !strcmp(rep->u.intake.v[i].person_id, pid)))
            return &rep->u.intake.v[i];
    return NULL;
}

static int s_decide(cl_client *co, const char *id, uint8_t decision,
                    const char *review, const char *reason, const char *until,
                    char *err_out)
{
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_INTAKE_DECIDE;
    CL_COPY(q->u.intake_decide.intake_id, id);
    q->u.intake_decide.decision = decision;
    if (review)
        CL_COPY(q->u.intake_decide.review_id, review);
    if (reason)
        CL_COPY(q->u.intake_decide.reason, reason);
    if (until)
        CL_COPY(q->u.intake_decide.until, until);
    int st = s_call(co, q, &rep);
    if (err_out)
        strcpy(err_out, rep.error);
    cl_reply_clear(&rep);
    free(q);
    return st;
}

static void s_review(cl_client *co, char id[CL_REF_SZ])
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, "2027-01-20");
    CL_COPY(q->u.review_new.title, "Extended MDT north");
    assert_int_equal(s_do(co, q, id), CL_STATUS_OK);
    free(q);
}

/* The deliveries of one kind in a client's mailbox. */
static size_t s_mail(cl_client *c, cl_dlv_kind kind, cl_reply *rep)
{
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(s_call(c, &req, rep), CL_STATUS_OK);
    size_t n = 0;
    for (size_t i = 0; i < rep->u.deliveries.n; i++)
        n += rep->u.deliveries.v[i].kind == kind;
    return n;
}

/* A GP concern the rules send; a second is one item seen twice; a police
 * referral asking for the MDT; what the coordinator sees. */
static void test_rules_and_flag(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char r1[CL_REF_SZ], r2[CL_REF_SZ];
    s_refer(d, "gp", "GP-1", "Jane", "Smith", "1985-04-12", NHS_A, 4, 2, false,
            r1);
    /* a housing referral from the GP is not for the MDT by these rules */
    s_refer(d, "gp", "GP-2", "Tom", "Brown", "1990-02-02", NHS_B, 7, 0, false,
            NULL);
    cl_client *co = th_client(d, "coordinator");
    s_list(co, false, &rep);
    assert_int_equal(rep.u.intake.n, 1);
    const cl_intake_item *x = s_find(&rep, "gp-concerns", NULL);
    assert_non_null(x);
    assert_string_equal(x->intake_id, "IN-00000001");
    assert_string_equal(x->given, "Jane");
    assert_string_equal(x->family, "Smith");
    assert_string_equal(x->dob, "1985-04-12");
    assert_string_equal(x->agency, "Oakfield Surgery");
    assert_string_equal(x->agency_kind, "gp");
    assert_string_equal(x->reference, r1);
    assert_int_equal(x->category, 4);
    assert_int_equal(x->risk, 3);
    assert_true(x->occurred_at > 0 && x->occurred_at < x->received_at);
    assert_int_equal(x->n_on_agenda, 0);
    assert_int_equal(x->state, CL_INTAKE_OPEN);
    assert_non_null(strstr(x->why, "Oakfield Surgery"));
    cl_reply_clear(&rep);
    /* another concern about her while the item is open: the same item */
    s_refer(d, "gp", "GP-3", "Jane", "Smith", "1985-04-12", NHS_A, 6, 0, false,
            r2);
    s_list(co, false, &rep);
    assert_int_equal(rep.u.intake.n, 1);
    assert_int_equal(rep.u.intake.v[0].hits, 2);
    assert_string_equal(rep.u.intake.v[0].reference, r2);
    cl_reply_clear(&rep);
    /* the police ask for the MDT about Tom */
    s_refer(d, "police", "POL-1", "Tom", "Brown", "1990-02-02", NHS_B, 8, 0,
            true, NULL);
    s_list(co, false, &rep);
    x = s_find(&rep, "asked_for_mdt", NULL);
    assert_non_null(x);
    assert_string_equal(x->given, "Tom");
    assert_string_equal(x->agency, "Northshire Police");
    cl_reply_clear(&rep);
    /* each new item reached the coordinators' mailbox, once */
    assert_int_equal(s_mail(co, CL_DLV_INTAKE, &rep), 2);
    const cl_delivery *dv = &rep.u.deliveries.v[0];
    for (size_t i = 0; i < rep.u.deliveries.n; i++)
        if (rep.u.deliveries.v[i].kind == CL_DLV_INTAKE) {
            dv = &rep.u.deliveries.v[i];
            break;
        }
    assert_string_equal(dv->u.intake.intake_id, "IN-00000001");
    assert_string_equal(dv->u.intake.family, "Smith");
    cl_reply_clear(&rep);
    /* no other agency hears of it */
    cl_client *gp = th_client(d, "gp");
    assert_int_equal(s_mail(gp, CL_DLV_INTAKE, &rep), 0);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&co);
}

/* Three police contacts in 90 days (not the one from last year); contacts
 * with three agencies in six months. */
static void test_triggers(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    cl_client *co = th_client(d, "coordinator");
    s_refer(d, "police", "P-1", "Tom", "Brown", "1990-02-02", NHS_B, 8, 400,
            false, NULL);
    s_refer(d, "police", "P-2", "Tom", "Brown", "1990-02-02", NHS_B, 8, 60,
            false, NULL);
    s_refer(d, "police", "P-3", "Tom", "Brown", "1990-02-02", NHS_B, 8, 20,
            false, NULL);
    s_list(co, false, &rep);
    assert_null(s_find(&rep, "police-hlu", NULL));
    cl_reply_clear(&rep);
    s_refer(d, "police", "P-4", "Tom", "Brown", "1990-02-02", NHS_B, 8, 1,
            false, NULL);
    s_list(co, false, &rep);
    const cl_intake_item *x = s_find(&rep, "police-hlu", NULL);
    assert_non_null(x);
    assert_string_equal(x->why, "3 contacts (police) with 1 agency in 90 days");
    assert_string_equal(x->given, "Tom");
    assert_null(s_find(&rep, "multi-agency", NULL));
    cl_reply_clear(&rep);
    /* a GP (housing) and adult social care too: three agencies */
    s_refer(d, "gp", "G-1", "Tom", "Brown", "1990-02-02", NHS_B, 7, 0, false,
            NULL);
    s_list(co, false, &rep);
    assert_null(s_find(&rep, "multi-agency", NULL));
    cl_reply_clear(&rep);
    s_refer(d, "adults", "A-1", "Tom", "Brown", "1990-02-02", NHS_B, 6, 0,
            false, NULL);
    s_list(co, false, &rep);
    x = s_find(&rep, "multi-agency", NULL);
    assert_non_null(x);
    assert_non_null(strstr(x->why, "with 3 agencies in 180 days"));
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

/* A referral about an adult linked to a child on a plan. */
static void test_plan_linked(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    cl_client *ch = th_client(d, "childrens");
    cl_request *q = th_plan("CP-77", NHS_CHILD, NHS_MUM);
    assert_int_equal(s_do(ch, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&ch);
    /* an unrelated adult: nothing */
    s_refer(d, "adults", "A-2", "Tom", "Brown", "1990-02-02", NHS_B, 6, 0,
            false, NULL);
    s_refer(d, "adults", "A-3", "Kerry", "Brown", "1990-02-03", NHS_MUM, 5, 0,
            false, NULL);
    cl_client *co = th_client(d, "coordinator");
    s_list(co, false, &rep);
    assert_int_equal(rep.u.intake.n, 1);
    const cl_intake_item *x = s_find(&rep, "plan-adult", NULL);
    assert_non_null(x);
    assert_string_equal(x->given, "Kerry");
    assert_string_equal(x->why, "linked to a child with an active plan");
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

/* Accept onto a review (the referrer told), decline with a reason (the
 * referrer told it), defer; decisions on decided items; bad input. */
static void test_decisions(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    char mdt[CL_REF_SZ], err[CL_ERROR_SZ], r1[CL_REF_SZ];
    s_refer(d, "gp", "GP-1", "Jane", "Smith", "1985-04-12", NHS_A, 4, 0, false,
            r1);
    s_refer(d, "police", "POL-1", "Tom", "Brown", "1990-02-02", NHS_B, 8, 0,
            true, NULL);
    s_refer(d, "adults", "ASC-1", "Sam", "Green", "1970-03-03", NULL, 6, 0,
            true, NULL);
    cl_client *co = th_client(d, "coordinator");
    s_review(co, mdt);
    /* bad input */
    assert_int_equal(
        s_decide(co, "IN-1x", CL_INTAKE_ACCEPTED, mdt, NULL, NULL, err),
        CL_STATUS_INVALID);
    assert_non_null(strstr(err, "intake_id"));
    assert_int_equal(
        s_decide(co, "IN-00000099", CL_INTAKE_ACCEPTED, mdt, NULL, NULL, err),
        CL_STATUS_NOT_FOUND);
    assert_int_equal(
        s_decide(co, "IN-00000001", CL_INTAKE_ACCEPTED, NULL, NULL, NULL, err),
        CL_STATUS_INVALID);
    assert_non_null(strstr(err, "review_id"));
    assert_int_equal(s_decide(co, "IN-00000001", CL_INTAKE_ACCEPTED,
                              "MDT-00000077", NULL, NULL, err),
                     CL_STATUS_NOT_FOUND);
    assert_int_equal(
        s_decide(co, "IN-00000001", CL_INTAKE_OPEN, mdt, NULL, NULL, err),
        CL_STATUS_INVALID);
    assert_int_equal(
        s_decide(co, "IN-00000002", CL_INTAKE_DECLINED, NULL, NULL, NULL, err),
        CL_STATUS_INVALID);
    assert_non_null(strstr(err, "reason"));
    assert_int_equal(s_decide(co, "IN-00000003", CL_INTAKE_DEFERRED, NULL, NULL,
                              "2020-01-01", err),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(err, "until"));
    /* accept: on the agenda, the referral accepted, the GP told */
    assert_int_equal(
        s_decide(co, "IN-00000001", CL_INTAKE_ACCEPTED, mdt, NULL, NULL, err),
        CL_STATUS_OK);
    cl_client *gp = th_client(d, "gp");
    assert_int_equal(s_mail(gp, CL_DLV_STATUS, &rep), 1);
    const cl_delivery *dv = &rep.u.deliveries.v[rep.u.deliveries.n - 1];
    assert_string_equal(dv->u.status.reference, r1);
    assert_int_equal(dv->u.status.status, CL_REFSTAT_ACCEPTED);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    /* decided once only */
    assert_int_equal(s_decide(co, "IN-00000001", CL_INTAKE_DECLINED, NULL,
                              "changed my mind", NULL, err),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(err, "already accepted"));
    /* decline: the police told why */
    assert_int_equal(s_decide(co, "IN-00000002", CL_INTAKE_DECLINED, NULL,
                              "known to the neighbourhood team", NULL, err),
                     CL_STATUS_OK);
    cl_client *po = th_client(d, "police");
    assert_int_equal(s_mail(po, CL_DLV_STATUS, &rep), 1);
    dv = &rep.u.deliveries.v[rep.u.deliveries.n - 1];
    assert_int_equal(dv->u.status.status, CL_REFSTAT_DECLINED);
    assert_string_equal(dv->u.status.reason, "known to the neighbourhood team");
    cl_reply_clear(&rep);
    cl_client_close(&po);
    /* defer until a later date: out of the queue until then */
    assert_int_equal(s_decide(co, "IN-00000003", CL_INTAKE_DEFERRED, NULL,
                              "awaiting the GP's view", "2099-01-01", err),
                     CL_STATUS_OK);
    s_list(co, false, &rep);
    assert_int_equal(rep.u.intake.n, 0);
    cl_reply_clear(&rep);
    /* everything, with who decided what */
    s_list(co, true, &rep);
    assert_int_equal(rep.u.intake.n, 3);
    const cl_intake_item *x = &rep.u.intake.v[0];
    assert_int_equal(x->state, CL_INTAKE_ACCEPTED);
    assert_string_equal(x->review_id, mdt);
    assert_string_equal(x->decided_by, "Northshire Extended MDT");
    assert_string_equal(x->decided_user, "Chris Jones");
    assert_int_equal(x->n_on_agenda, 1);
    assert_string_equal(x->on_agenda[0], mdt);
    assert_int_equal(rep.u.intake.v[1].state, CL_INTAKE_DECLINED);
    assert_int_equal(rep.u.intake.v[2].state, CL_INTAKE_DEFERRED);
    assert_string_equal(rep.u.intake.v[2].until, "2099-01-01");
    cl_reply_clear(&rep);
    /* a deferred item can still be decided */
    assert_int_equal(
        s_decide(co, "IN-00000003", CL_INTAKE_ACCEPTED, mdt, NULL, NULL, err),
        CL_STATUS_OK);
    cl_client_close(&co);
}

/* Only coordinators, acting for a named user; the queue is audited like a
 * case view, naming each person. */
static void test_access_and_audit(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    cl_request req;
    s_refer(d, "gp", "GP-1", "Jane", "Smith", "1985-04-12", NHS_A, 4, 0, false,
            NULL);
    const char *others[] = {"gp", "police", "operator", "auditor"};
    for (size_t i = 0; i < 4; i++) {
        cl_client *c = th_client(d, others[i]);
        memset(&req, 0, sizeof(req));
        req.kind = CL_REQ_INTAKE_LIST;
        assert_int_equal(s_call(c, &req, &rep), CL_STATUS_DENIED);
        cl_reply_clear(&rep);
        assert_int_equal(s_decide(c, "IN-00000001", CL_INTAKE_DECLINED, NULL,
                                  "not mine", NULL, NULL),
                         CL_STATUS_DENIED);
        cl_client_close(&c);
    }
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/coordinator.key", d->dir);
    cl_client *anon = th_client_user(d, key, 5000, NULL);
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INTAKE_LIST;
    assert_int_equal(s_call(anon, &req, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&anon);
    cl_client *co = th_client(d, "coordinator");
    s_list(co, false, &rep);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    /* the auditor sees the raise (to whom) and the look (by whom) */
    cl_client *au = th_client(d, "auditor");
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req.u.person_ref.match.nhs, NHS_A);
    assert_int_equal(s_call(au, &req, &rep), CL_STATUS_OK);
    bool raised = false, listed = false;
    for (size_t i = 0; i < rep.u.entries.n; i++) {
        const cl_audit_entry *a = &rep.u.entries.v[i];
        if (!strcmp(a->kind, "intake_raised")) {
            raised = true;
            assert_string_equal(a->agency, "Northshire Extended MDT");
        }
        if (!strcmp(a->kind, "intake_list") && a->outcome == CL_STATUS_OK) {
            listed = true;
            assert_string_equal(a->user.name, "Chris Jones");
        }
    }
    assert_true(raised);
    assert_true(listed);
    cl_reply_clear(&rep);
    cl_client_close(&au);
    /* no name in the daemon's log */
    assert_false(th_file_contains(d->log, "Smith"));
}

/* The daily pass: an action overdue before the next meeting comes to the
 * queue, once. */
static void test_overdue_pass(void **state)
{
    (void)state;
    th_daemon d;
    cl_reply rep;
    char mdt[CL_REF_SZ], act[CL_REF_SZ];
    memset(&d, 0, sizeof(d));
    char conf[512];
    snprintf(conf, sizeof(conf), "%shousekeeping_interval_s = 1\n", RULES);
    th_start(&d, conf);
    s_refer(&d, "adults", "ASC-9", "Sam", "Green", "1970-03-03", NHS_A, 6, 0,
            false, NULL);
    cl_client *co = th_client(&d, "coordinator");
    s_review(co, mdt);
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(q->u.agenda.review_id, mdt);
    CL_COPY(q->u.agenda.who.match.nhs, NHS_A);
    q->u.agenda.reason = 5;
    CL_COPY(q->u.agenda.note, "self-neglect concern");
    assert_int_equal(s_do(co, q, NULL), CL_STATUS_OK);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_ADD_ACTION;
    CL_COPY(q->u.action.review_id, mdt);
    CL_COPY(q->u.action.person_id, "P00000001");
    CL_COPY(q->u.action.text, "Home visit");
    CL_COPY(q->u.action.owner_name, "PC S Hughes");
    CL_COPY(q->u.action.owner_agency, "Northshire Police");
    CL_COPY(q->u.action.due, "2020-01-31");
    assert_int_equal(s_do(co, q, act), CL_STATUS_OK);
    free(q);
    const cl_intake_item *x = NULL;
    for (int i = 0; i < 50 && !x; i++) {
        usleep(100000);
        s_list(co, false, &rep);
        x = s_find(&rep, "overdue_action", NULL);
        if (!x)
            cl_reply_clear(&rep);
    }
    assert_non_null(x);
    if (!x)
        return;
    assert_string_equal(x->action_id, act);
    assert_string_equal(x->given, "Sam");
    assert_non_null(strstr(x->why, "was due 2020-01-31"));
    assert_int_equal(x->n_on_agenda, 1);
    cl_reply_clear(&rep);
    sleep(2); /* more passes: still one item */
    s_list(co, true, &rep);
    size_t n = 0;
    for (size_t i = 0; i < rep.u.intake.n; i++)
        n += !strcmp(rep.u.intake.v[i].rule, "overdue_action");
    assert_int_equal(n, 1);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    assert_true(th_file_contains(d.log, "intake pass: 1 item raised"));
    assert_int_equal(th_stop(&d, SIGTERM), 0);
}

/* Malformed rules are refused before start-up, naming file and line. */
static void test_bad_rules(void **state)
{
    (void)state;
    static const struct {
        const char *rule, *why;
    } bad[] = {
        {"rule x = kind=gp frobnicate", "unknown term 'frobnicate'"},
        {"rule x = contacts>=3", "need within="},
        {"rule x = within=90d", "need within="},
        {"rule x = contacts>=0 within=90d", "contacts>=N"},
        {"rule x = contacts>=3 within=90y", "within=90y"},
        {"rule x = category=moods", "unknown category"},
        {"rule x = risk>=severe", "risk>=severe"},
        {"rule X! = kind=gp", "rule name"},
        {"rule asked_for_mdt = kind=gp", "rule name"},
        {"rule x =", "no terms"},
        {"housekeeping_interval_s = 0", "housekeeping_interval_s"},
    };
    char dir[256];
    th_tmpdir(dir, sizeof(dir));
    assert_int_equal(th_sh("%s --dev %s/dev --check-config >/dev/null 2>&1",
                           CL_CASELINKD_PATH, dir),
                     0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* line 10 of the file is the bad one */
        assert_int_equal(
            th_sh("cd %s && head -n 7 dev/caselinkd.conf > c.conf && "
                  "printf '\\n[intake]\\n%s\\n' >> c.conf && "
                  "%s --config c.conf --check-config > out.txt 2>&1; "
                  "test $? -ne 0 && grep 'c.conf:10: ' out.txt | grep -qF -- "
                  "\"%s\"",
                  dir, bad[i].rule, CL_CASELINKD_PATH, bad[i].why),
            0);
    }
    /* and a good set passes */
    assert_int_equal(th_sh("cd %s && head -n 7 dev/caselinkd.conf > c.conf && "
                           "printf '%%s' '%s' >> c.conf && "
                           "%s --config c.conf --check-config >out.txt 2>&1",
                           dir, RULES, CL_CASELINKD_PATH),
                     0);
    th_sh("rm -rf %s", dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rules_and_flag, s_setup,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_triggers, s_setup,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_plan_linked, s_setup,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_decisions, s_setup,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_access_and_audit, s_setup,
                                        th_teardown_daemon),
        cmocka_unit_test(test_overdue_pass),
        cmocka_unit_test(test_bad_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
