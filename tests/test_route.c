/*
 * test_route: routing between agencies on the real daemon: safeguarding
 * alerts, durable mailboxes (backlog across a restart, redelivery, a full
 * mailbox, isolation, long poll), information requests, the referral
 * lifecycle and feed health.
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
static const char *NHS_OTHER = "9960308243";
static const char *CHILDRENS = "Northshire Children's Services";

/* A child protection plan naming the child and the mother, published by
 * children's services. */
static void s_plan(cl_client *childrens)
{
    cl_request *q = th_plan("CP-77", NHS_CHILD, NHS_MUM);
    assert_int_equal(th_publish(childrens, q, NULL), CL_STATUS_OK);
    free(q);
}

/* Receive everything waiting (no wait); caller clears rep. */
static void s_inbox(cl_client *c, uint64_t after, cl_reply *rep)
{
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.after = after;
    req.u.inbox.limit = CL_INBOX_MAX;
    assert_int_equal(cl_client_call(c, &req, rep), CL_OK);
    assert_int_equal(rep->status, CL_STATUS_OK);
}

static uint32_t s_ack(cl_client *c, uint64_t seq)
{
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_ACK;
    req.u.ack.n = 1;
    req.u.ack.seqs[0] = seq;
    assert_int_equal(cl_client_call(c, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    uint32_t n = rep.u.ack.removed;
    cl_reply_clear(&rep);
    return n;
}

static void s_publish(cl_client *c, const char *ref, const char *given,
                      const char *family, const char *dob, const char *nhs,
                      char out[CL_REF_SZ])
{
    cl_request *q = th_referral(ref, given, family, dob, nhs);
    CL_COPY(q->u.publish.referrer_name, "Dr A Patel");
    CL_COPY(q->u.publish.referrer_role, "GP");
    q->u.publish.occurred_at = 1700000000;
    assert_int_equal(th_publish(c, q, out), CL_STATUS_OK);
    free(q);
}

static void test_alerts_child_adult_unrelated(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp"),
              *police = th_client(d, "police");
    char r1[CL_REF_SZ], r2[CL_REF_SZ], r3[CL_REF_SZ];
    cl_reply rep;
    int64_t t0 = (int64_t)time(NULL);
    s_plan(ch);
    s_publish(gp, "GP-A1", "Lily", "Brown", "2019-06-01", NHS_CHILD, r1);
    s_publish(police, "POL-A2", "Kerry", "Brown", "1990-02-03", NHS_MUM, r2);
    s_publish(police, "POL-A3", "Tom", "Green", "1970-01-01", NHS_OTHER, r3);

    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 2); /* not for the unrelated one */
    const cl_delivery *a = &rep.u.deliveries.v[0], *b = &rep.u.deliveries.v[1];
    assert_int_equal(a->kind, CL_DLV_ALERT);
    assert_string_equal(a->u.alert.reference, r1);
    assert_string_equal(a->u.alert.subject_is, "the child");
    assert_string_equal(a->u.alert.plan_ref, "CP-77");
    assert_string_equal(a->u.alert.agency, "Oakfield Surgery");
    assert_string_equal(a->u.alert.referrer_name, "Dr A Patel");
    assert_string_equal(a->u.alert.child_family, "Brown");
    assert_string_equal(a->u.alert.concern, "Concern raised in a test");
    /* every field of the stored referral an alert carries (alerts.c reads
     * the referral whole only when an alert is sent) */
    assert_string_equal(a->u.alert.referrer_role, "GP");
    assert_int_equal(a->u.alert.category, 4);
    assert_int_equal(a->u.alert.risk, 2);
    assert_int_equal(a->u.alert.occurred_at, 1700000000);
    assert_true(a->u.alert.received_at >= t0 &&
                a->u.alert.received_at <= (int64_t)time(NULL));
    assert_int_equal(b->kind, CL_DLV_ALERT);
    assert_string_equal(b->u.alert.reference, r2);
    assert_string_equal(b->u.alert.subject_is, "parent");
    assert_string_equal(b->u.alert.agency, "Northshire Police");
    assert_true(b->seq > a->seq);
    assert_int_equal(rep.u.deliveries.depth, 2);
    cl_reply_clear(&rep);

    /* the reporting agencies hear nothing of the plan */
    s_inbox(gp, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 0);
    cl_reply_clear(&rep);

    /* the disclosure is audited */
    cl_client *au = th_client(d, "auditor");
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req.u.person_ref.match.nhs, NHS_CHILD);
    assert_int_equal(cl_client_call(au, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    int alerts = 0;
    for (size_t i = 0; i < rep.u.entries.n; i++)
        alerts += !strcmp(rep.u.entries.v[i].kind, "safeguarding_alert") &&
                  !strcmp(rep.u.entries.v[i].agency, CHILDRENS);
    assert_int_equal(alerts, 2);
    cl_reply_clear(&rep);
    cl_client_close(&au);
    cl_client_close(&ch);
    cl_client_close(&gp);
    cl_client_close(&police);
}

static void test_backlog_after_restart_and_redelivery(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    char r[CL_REF_SZ], ref[16];
    cl_reply rep;
    s_plan(ch);
    cl_client_close(&ch); /* children's services go offline */
    for (int i = 0; i < 5; i++) {
        snprintf(ref, sizeof(ref), "GP-B%d", i);
        s_publish(gp, ref, "Lily", "Brown", "2019-06-01", NHS_CHILD, r);
    }
    cl_client_close(&gp);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, NULL);

    ch = th_client(d, "childrens");
    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 5);
    for (size_t i = 0; i < 5; i++) {
        snprintf(ref, sizeof(ref), "CL-%08zu", i + 1);
        assert_int_equal(rep.u.deliveries.v[i].seq, i + 1); /* in order */
        assert_string_equal(rep.u.deliveries.v[i].u.alert.reference, ref);
    }
    cl_reply_clear(&rep);

    /* not acknowledged: delivered again, same ids and content */
    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 5);
    assert_int_equal(rep.u.deliveries.v[0].seq, 1);
    assert_string_equal(rep.u.deliveries.v[0].u.alert.reference, "CL-00000001");
    cl_reply_clear(&rep);

    /* acknowledged ones go; a second acknowledgement is harmless */
    assert_int_equal(s_ack(ch, 1), 1);
    assert_int_equal(s_ack(ch, 2), 1);
    assert_int_equal(s_ack(ch, 2), 0);
    cl_request none; /* an acknowledgement naming nothing */
    memset(&none, 0, sizeof(none));
    none.kind = CL_REQ_INBOX_ACK;
    assert_int_equal(cl_client_call(ch, &none, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 3);
    assert_int_equal(rep.u.deliveries.v[0].seq, 3);
    assert_int_equal(rep.u.deliveries.depth, 3);
    cl_reply_clear(&rep);
    /* the cursor skips what this session has seen */
    s_inbox(ch, 4, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    assert_int_equal(rep.u.deliveries.v[0].seq, 5);
    cl_reply_clear(&rep);

    /* acknowledgements survive a crash */
    assert_int_equal(s_ack(ch, 3), 1);
    cl_client_close(&ch);
    assert_int_equal(th_stop(d, SIGKILL), 128 + SIGKILL);
    th_start(d, NULL);
    ch = th_client(d, "childrens");
    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 2);
    assert_int_equal(rep.u.deliveries.v[0].seq, 4);
    cl_reply_clear(&rep);
    cl_client_close(&ch);
}

static void test_mailboxes_are_private(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    char r[CL_REF_SZ];
    cl_reply rep;
    s_plan(ch);
    s_publish(gp, "GP-C1", "Lily", "Brown", "2019-06-01", NHS_CHILD, r);
    /* the GP sees only its own (empty) mailbox, and cannot acknowledge
     * children's services' delivery 1 away */
    s_inbox(gp, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 0);
    cl_reply_clear(&rep);
    assert_int_equal(s_ack(gp, 1), 0);
    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    cl_reply_clear(&rep);
    /* an operator has no mailbox; the auditor's holds only governance
     * notices (here: the new plan), none of the alert */
    cl_client *c = th_client(d, "operator");
    cl_request req0;
    memset(&req0, 0, sizeof(req0));
    req0.kind = CL_REQ_INBOX_RECEIVE;
    assert_int_equal(cl_client_call(c, &req0, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&c);
    c = th_client(d, "auditor");
    s_inbox(c, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    assert_int_equal(rep.u.deliveries.v[0].kind, CL_DLV_GOVERNANCE);
    cl_reply_clear(&rep);
    assert_int_equal(s_ack(c, 1), 1); /* its own delivery 1, not theirs */
    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    cl_reply_clear(&rep);
    cl_client_close(&c);
    /* out-of-range receive */
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.limit = CL_INBOX_MAX + 1;
    assert_int_equal(cl_client_call(ch, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    cl_client_close(&ch);
    cl_client_close(&gp);
}

static int64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send childrens' inbox receive req, waiting up to 8 s, and give the
 * daemon time to park it. */
static void s_park_receive(cl_client *ch, cl_request *req)
{
    memset(req, 0, sizeof(*req));
    req->kind = CL_REQ_INBOX_RECEIVE;
    req->u.inbox.wait_ms = 8000;
    assert_int_equal(cl_client_send(ch, req), CL_OK);
    usleep(300 * 1000); /* the receive is parked */
}

static void test_long_poll_delivers_at_once(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    char r[CL_REF_SZ];
    cl_reply rep;
    s_plan(ch);
    cl_request req;
    s_park_receive(ch, &req);
    int64_t t0 = s_ms();
    s_publish(gp, "GP-D1", "Lily", "Brown", "2019-06-01", NHS_CHILD, r);
    assert_int_equal(cl_client_recv(ch, &rep, 8000), CL_OK);
    int64_t ms = s_ms() - t0;
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.deliveries.n, 1);
    assert_string_equal(rep.u.deliveries.v[0].u.alert.reference, r);
    assert_true(ms < 3000); /* not at the end of the wait */
    printf("long poll: alert delivered %lld ms after the publish call "
           "began (publish, commit, wake, receive)\n",
           (long long)ms);
    cl_reply_clear(&rep);
    /* an empty wait ends empty, on time */
    req.u.inbox.after = 1;
    req.u.inbox.wait_ms = 700;
    memset(req.msgid, 0, sizeof(req.msgid));
    t0 = s_ms();
    assert_int_equal(cl_client_call(ch, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.deliveries.n, 0);
    assert_true(s_ms() - t0 >= 600);
    cl_reply_clear(&rep);
    cl_client_close(&ch);
    cl_client_close(&gp);
}

/* A receive that was waiting when its key was revoked gets no mail. */
static void test_parked_receive_revoked(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    char r[CL_REF_SZ];
    cl_reply rep;
    s_plan(ch);
    cl_request req;
    s_park_receive(ch, &req);
    assert_int_equal(
        th_sh("cd %s && awk 'BEGIN{s=0} /^\\[/{s=($0==\"[childrens]\")} !s' "
              "clients.conf > c.new && mv c.new clients.conf",
              d->dir),
        0);
    kill(d->pid, SIGHUP);
    usleep(300 * 1000);
    s_publish(gp, "GP-R1", "Lily", "Brown", "2019-06-01", NHS_CHILD, r);
    assert_int_equal(cl_client_recv(ch, &rep, 8000), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DENIED);
    assert_int_equal(rep.u.deliveries.n, 0);
    cl_reply_clear(&rep);
    cl_client_close(&ch);
    cl_client_close(&gp);
}

/* The library's receive loop: in order, acknowledged as handled. */
typedef struct s_seen {
    uint64_t seqs[16];
    int n;
    int refuse; /* refuse this many first */
} s_seen;

static int s_handler(void *ctx, const cl_delivery *dv)
{
    s_seen *s = ctx;
    if (s->refuse > 0) {
        s->refuse--;
        return 1;
    }
    if (s->n < 16)
        s->seqs[s->n++] = dv->seq;
    return 0;
}

static void test_receive_loop(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    char r[CL_REF_SZ];
    cl_reply rep;
    s_plan(ch);
    s_publish(gp, "GP-E1", "Lily", "Brown", "2019-06-01", NHS_CHILD, r);
    s_publish(gp, "GP-E2", "Lily", "Brown", "2019-06-01", NHS_CHILD, r);
    s_seen seen = {.refuse = 1};
    cl_receive_options o = {
        .wait_ms = 300, .run_ms = 2500, .redeliver_ms = 500};
    assert_int_equal(cl_client_receive_loop(ch, &o, s_handler, &seen), CL_OK);
    /* the refused first one came back and was then handled */
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.seqs[0], 2);
    assert_int_equal(seen.seqs[1], 1);
    s_inbox(ch, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 0);
    cl_reply_clear(&rep);
    cl_client_close(&ch);
    cl_client_close(&gp);
}

static int s_ask(cl_client *co, const char *nhs, const char *a1, const char *a2,
                 const char *due, char out[CL_REF_SZ], cl_reply *rep)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_INFO_REQUEST;
    CL_COPY(q->u.info.who.match.nhs, nhs);
    CL_COPY(q->u.info.agencies[q->u.info.n_agencies++], a1);
    if (a2)
        CL_COPY(q->u.info.agencies[q->u.info.n_agencies++], a2);
    CL_COPY(q->u.info.due, due);
    CL_COPY(q->u.info.question, "What is your involvement?");
    assert_int_equal(cl_client_call(co, q, rep), CL_OK);
    free(q);
    if (out)
        cl_copy(out, CL_REF_SZ, rep->u.publish.reference);
    return rep->status;
}

static void s_tomorrow(char out[CL_DATE_SZ])
{
    time_t t = time(NULL) + 86400;
    struct tm tm;
    strftime(out, CL_DATE_SZ, "%Y-%m-%d", gmtime_r(&t, &tm));
}

static void test_information_requests(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator"), *ad = th_client(d, "adults"),
              *police = th_client(d, "police");
    char r[CL_REF_SZ], req_id[CL_REF_SZ], due[CL_DATE_SZ];
    cl_reply rep;
    s_tomorrow(due);
    cl_request *q =
        th_referral("ASC-9", "Kerry", "Brown", "1990-02-03", NHS_MUM);
    CL_COPY(q->u.publish.subject.local_id, "ASC-PERSON-4");
    assert_int_equal(th_publish(ad, q, r), CL_STATUS_OK);
    free(q);

    assert_int_equal(s_ask(co, NHS_MUM, "Northshire Adult Social Care",
                           "Northshire Police", due, req_id, &rep),
                     CL_STATUS_OK);
    cl_reply_clear(&rep);
    /* bad requests */
    assert_int_equal(s_ask(co, NHS_MUM, "Nobody Agency", NULL, due, NULL, &rep),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "no registered agency"));
    cl_reply_clear(&rep);
    assert_int_equal(
        s_ask(co, NHS_MUM, "Northshire Police", NULL, "2001-01-01", NULL, &rep),
        CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    assert_int_equal(
        s_ask(co, NHS_OTHER, "Northshire Police", NULL, due, NULL, &rep),
        CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);

    /* adult social care gets it with its own id for the person */
    s_inbox(ad, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    const cl_info_msg *m = &rep.u.deliveries.v[0].u.request;
    assert_int_equal(rep.u.deliveries.v[0].kind, CL_DLV_REQUEST);
    assert_string_equal(m->request_id, req_id);
    assert_string_equal(m->person.local_id, "ASC-PERSON-4");
    assert_string_equal(m->person.family, "Brown");
    assert_string_equal(m->due, due);
    cl_reply_clear(&rep);
    /* police hold no record: demographics without anyone's local id */
    s_inbox(police, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    assert_string_equal(rep.u.deliveries.v[0].u.request.person.local_id, "");
    assert_string_equal(rep.u.deliveries.v[0].u.request.person.nhs, NHS_MUM);
    cl_reply_clear(&rep);

    /* answers: a bad one, one from an agency not asked, a good one */
    q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_INFO_RESPOND;
    CL_COPY(q->u.respond.request_id, req_id);
    assert_int_equal(cl_client_call(ad, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    CL_COPY(q->u.respond.summary, "Care package since March; carer strain");
    q->u.respond.involvement = CL_INVOLVE_CURRENT;
    q->u.respond.risk = 2;
    CL_COPY(q->u.respond.contact, "J Smith, 01234 567890");
    cl_client *gp = th_client(d, "gp");
    assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    memset(q->msgid, 0, sizeof(q->msgid));
    assert_int_equal(cl_client_call(ad, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);

    /* the answer is routed back to the coordinator ... */
    s_inbox(co, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    assert_int_equal(rep.u.deliveries.v[0].kind, CL_DLV_RESPONSE);
    assert_string_equal(rep.u.deliveries.v[0].u.response.agency,
                        "Northshire Adult Social Care");
    assert_string_equal(rep.u.deliveries.v[0].u.response.summary,
                        "Care package since March; carer strain");
    cl_reply_clear(&rep);
    /* ... and stored on the case with the state of each agency */
    cl_request lr;
    memset(&lr, 0, sizeof(lr));
    lr.kind = CL_REQ_REQUEST_LIST;
    assert_int_equal(cl_client_call(co, &lr, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.requests.n, 1);
    const cl_request_summary *s = &rep.u.requests.v[0];
    assert_int_equal(s->n_agencies, 2);
    assert_true(s->agencies[0].answered);
    assert_false(s->agencies[0].overdue);
    assert_int_equal(s->agencies[0].response.involvement, CL_INVOLVE_CURRENT);
    assert_false(s->agencies[1].answered);
    assert_false(s->agencies[1].overdue); /* due tomorrow */
    cl_reply_clear(&rep);
    /* a malformed person id; only a coordinator may ask or list */
    CL_COPY(lr.u.req_list.person_id, "Kerry Brown");
    memset(lr.msgid, 0, sizeof(lr.msgid));
    assert_int_equal(cl_client_call(co, &lr, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    memset(lr.msgid, 0, sizeof(lr.msgid));
    assert_int_equal(cl_client_call(police, &lr, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_client_close(&ad);
    cl_client_close(&police);
}

/* A second answer replaces the first as the latest; both are kept, with
 * their times, in the request list and in subject access (issue 13). */
static void test_answer_history_kept(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator"), *ad = th_client(d, "adults"),
              *au = th_client(d, "auditor");
    char r[CL_REF_SZ], req_id[CL_REF_SZ], due[CL_DATE_SZ];
    cl_reply rep;
    s_tomorrow(due);
    cl_request *q =
        th_referral("ASC-9", "Kerry", "Brown", "1990-02-03", NHS_MUM);
    assert_int_equal(th_publish(ad, q, r), CL_STATUS_OK);
    free(q);
    assert_int_equal(s_ask(co, NHS_MUM, "Northshire Adult Social Care", NULL,
                           due, req_id, &rep),
                     CL_STATUS_OK);
    cl_reply_clear(&rep);
    q = calloc(1, sizeof(*q));
    q->kind = CL_REQ_INFO_RESPOND;
    CL_COPY(q->u.respond.request_id, req_id);
    q->u.respond.involvement = CL_INVOLVE_PAST;
    CL_COPY(q->u.respond.summary, "Known in 2019 only");
    assert_int_equal(cl_client_call(ad, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    memset(q->msgid, 0, sizeof(q->msgid));
    q->u.respond.involvement = CL_INVOLVE_CURRENT;
    CL_COPY(q->u.respond.summary, "Correction: care package since March");
    assert_int_equal(cl_client_call(ad, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    cl_request lr;
    memset(&lr, 0, sizeof(lr));
    lr.kind = CL_REQ_REQUEST_LIST;
    assert_int_equal(cl_client_call(co, &lr, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.requests.n, 1);
    const cl_request_state *a = &rep.u.requests.v[0].agencies[0];
    assert_string_equal(a->response.summary,
                        "Correction: care package since March");
    assert_int_equal(a->response.involvement, CL_INVOLVE_CURRENT);
    assert_int_equal(a->n_earlier, 1);
    assert_string_equal(a->earlier[0].summary, "Known in 2019 only");
    assert_int_equal(a->earlier[0].involvement, CL_INVOLVE_PAST);
    assert_true(a->earlier[0].answered_at > 0 &&
                a->earlier[0].answered_at <= a->response.answered_at);
    cl_reply_clear(&rep);
    memset(&lr, 0, sizeof(lr));
    lr.kind = CL_REQ_SUBJECT_ACCESS;
    CL_COPY(lr.u.person_ref.match.nhs, NHS_MUM);
    assert_int_equal(cl_client_call(au, &lr, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.subject.requests.n, 1);
    a = &rep.u.subject.requests.v[0].agencies[0];
    assert_int_equal(a->n_earlier, 1);
    assert_string_equal(a->earlier[0].summary, "Known in 2019 only");
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_client_close(&ad);
    cl_client_close(&au);
}

static int s_status(cl_client *co, const char *ref, uint8_t st,
                    const char *reason, uint8_t outcome, cl_reply *rep)
{
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_SET_STATUS;
    CL_COPY(req.u.set_status.reference, ref);
    req.u.set_status.status = st;
    CL_COPY(req.u.set_status.reason, reason ? reason : "");
    req.u.set_status.outcome = outcome;
    assert_int_equal(cl_client_call(co, &req, rep), CL_OK);
    int s = rep->status;
    cl_reply_clear(rep);
    return s;
}

static void test_referral_lifecycle(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator"), *gp = th_client(d, "gp");
    char r1[CL_REF_SZ], r2[CL_REF_SZ];
    cl_reply rep;
    s_publish(gp, "GP-F1", "Tom", "Green", "1970-01-01", NHS_OTHER, r1);
    s_publish(gp, "GP-F2", "Tom", "Green", "1970-01-01", NHS_OTHER, r2);

    /* errors: no outcome, closing before accepting, declining without a
     * reason, unknown reference, wrong role */
    assert_int_equal(s_status(co, r1, CL_REFSTAT_CLOSED, NULL, 1, &rep),
                     CL_STATUS_INVALID);
    assert_int_equal(s_status(co, r1, CL_REFSTAT_DECLINED, NULL, 0, &rep),
                     CL_STATUS_INVALID);
    assert_int_equal(
        s_status(co, "CL-00009999", CL_REFSTAT_ACCEPTED, NULL, 0, &rep),
        CL_STATUS_NOT_FOUND);
    assert_int_equal(s_status(gp, r1, CL_REFSTAT_ACCEPTED, NULL, 0, &rep),
                     CL_STATUS_DENIED);
    /* received -> accepted -> closed (with an outcome) */
    assert_int_equal(s_status(co, r1, CL_REFSTAT_ACCEPTED, NULL, 0, &rep),
                     CL_STATUS_OK);
    assert_int_equal(s_status(co, r1, CL_REFSTAT_ACCEPTED, NULL, 0, &rep),
                     CL_STATUS_INVALID);
    assert_int_equal(s_status(co, r1, CL_REFSTAT_CLOSED, NULL, 0, &rep),
                     CL_STATUS_INVALID);
    assert_int_equal(s_status(co, r1, CL_REFSTAT_CLOSED, "done", 1, &rep),
                     CL_STATUS_OK);
    assert_int_equal(s_status(co, r1, CL_REFSTAT_ACCEPTED, NULL, 0, &rep),
                     CL_STATUS_INVALID);
    /* received -> declined, with a reason */
    assert_int_equal(
        s_status(co, r2, CL_REFSTAT_DECLINED, "threshold not met", 0, &rep),
        CL_STATUS_OK);
    assert_int_equal(s_status(co, r2, CL_REFSTAT_ACCEPTED, NULL, 0, &rep),
                     CL_STATUS_INVALID);

    /* every change went back to the referring agency, in order */
    s_inbox(gp, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 3);
    const cl_status_msg *m0 = &rep.u.deliveries.v[0].u.status,
                        *m1 = &rep.u.deliveries.v[1].u.status,
                        *m2 = &rep.u.deliveries.v[2].u.status;
    assert_string_equal(m0->reference, r1);
    assert_string_equal(m0->agency_ref, "GP-F1");
    assert_int_equal(m0->status, CL_REFSTAT_ACCEPTED);
    assert_string_equal(m0->by, "Northshire Extended MDT");
    assert_int_equal(m1->status, CL_REFSTAT_CLOSED);
    assert_int_equal(m1->outcome, 1);
    assert_int_equal(m2->status, CL_REFSTAT_DECLINED);
    assert_string_equal(m2->reason, "threshold not met");
    cl_reply_clear(&rep);

    /* the case shows where each referral stands, with who and when */
    assert_int_equal(th_view_nhs(co, NHS_OTHER, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_referrals, 2);
    for (size_t i = 0; i < 2; i++) {
        const cl_referral_view *v = &rep.u.person.referrals[i];
        if (!strcmp(v->reference, r1)) {
            assert_int_equal(v->status, CL_REFSTAT_CLOSED);
            assert_int_equal(v->outcome, 1);
        } else {
            assert_int_equal(v->status, CL_REFSTAT_DECLINED);
        }
        assert_string_equal(v->status_by, "Northshire Extended MDT");
        assert_true(v->status_at > 0);
    }
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_client_close(&gp);
}

static void s_feed_publish(cl_client *gp, const char *ref, uint64_t seq)
{
    char r[CL_REF_SZ];
    cl_request *q = th_referral(ref, "Tom", "Green", "1970-01-01", NHS_OTHER);
    CL_COPY(q->u.publish.feed, "emis-main");
    q->u.publish.feed_seq = seq;
    assert_int_equal(th_publish(gp, q, r), CL_STATUS_OK);
    free(q);
}

static void test_feed_gap_and_silence(void **state)
{
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[routing]\nfeed_silence_s = 2\nfeed_check_interval_s = 1\n"
                 "[feeds]\nNorthshire Police/niche = 3600\n");
    (void)state;
    cl_client *gp = th_client(&d, "gp"), *co = th_client(&d, "coordinator"),
              *op = th_client(&d, "operator");
    cl_reply rep;
    s_feed_publish(gp, "GP-G1", 1);
    s_feed_publish(gp, "GP-G2", 2);
    s_feed_publish(gp, "GP-G5", 5);
    s_inbox(co, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 1);
    const cl_feed_msg *m = &rep.u.deliveries.v[0].u.feed;
    assert_int_equal(rep.u.deliveries.v[0].kind, CL_DLV_FEED);
    assert_string_equal(m->problem, "gap");
    assert_string_equal(m->agency, "Oakfield Surgery");
    assert_string_equal(m->feed, "emis-main");
    assert_int_equal(m->expected, 3);
    assert_int_equal(m->received, 5);
    cl_reply_clear(&rep);
    /* the feed's name is the client's text: the log has a digest */
    assert_true(th_file_contains(d.log, "feed gap: agency=Oakfield Surgery "
                                        "feed=#"));
    assert_false(th_file_contains(d.log, "emis-main"));

    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_FEEDS;
    assert_int_equal(cl_client_call(op, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.feeds.n, 1);
    assert_int_equal(rep.u.feeds.v[0].last_seq, 5);
    assert_int_equal(rep.u.feeds.v[0].messages, 3);
    assert_int_equal(rep.u.feeds.v[0].missing, 2);
    assert_int_equal(rep.u.feeds.v[0].gap_from, 3);
    assert_int_equal(rep.u.feeds.v[0].gap_to, 4);
    cl_reply_clear(&rep);
    /* a late message fills part of the gap */
    s_feed_publish(gp, "GP-G3", 3);

    /* then the feed goes quiet for longer than its 2 s */
    sleep(4);
    assert_true(th_file_contains(d.log, "feed silent: agency=Oakfield "
                                        "Surgery feed=emis-main"));
    s_inbox(co, 1, &rep);
    assert_int_equal(rep.u.deliveries.n, 1); /* told once, not every check */
    assert_string_equal(rep.u.deliveries.v[0].u.feed.problem, "silent");
    cl_reply_clear(&rep);
    memset(req.msgid, 0, sizeof(req.msgid));
    assert_int_equal(cl_client_call(co, &req, &rep), CL_OK);
    assert_int_equal(rep.u.feeds.v[0].missing, 1);
    assert_true(rep.u.feeds.v[0].silent);
    assert_int_equal(rep.u.feeds.v[0].silence_after_s, 2);
    cl_reply_clear(&rep);
    /* the operator sees mailbox depths, never their content */
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_STATS;
    assert_int_equal(cl_client_call(op, &req, &rep), CL_OK);
    bool found = false;
    for (uint32_t i = 0; i < rep.u.stats.n_mailboxes; i++)
        found |= !strcmp(rep.u.stats.mailboxes[i].agency,
                         "Northshire Extended MDT") &&
                 rep.u.stats.mailboxes[i].depth == 2;
    assert_true(found);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&co);
    cl_client_close(&op);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
}

static void test_full_mailbox(void **state)
{
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[routing]\nmailbox_max = 2\n");
    (void)state;
    cl_client *co = th_client(&d, "coordinator"), *ad = th_client(&d, "adults");
    char r[CL_REF_SZ], due[CL_DATE_SZ];
    cl_reply rep;
    s_tomorrow(due);
    s_publish(ad, "ASC-H1", "Kerry", "Brown", "1990-02-03", NHS_MUM, r);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(s_ask(co, NHS_MUM, "Northshire Adult Social Care",
                               NULL, due, NULL, &rep),
                         CL_STATUS_OK);
        cl_reply_clear(&rep);
    }
    assert_int_equal(s_ask(co, NHS_MUM, "Northshire Adult Social Care", NULL,
                           due, NULL, &rep),
                     CL_STATUS_BUSY);
    assert_non_null(strstr(rep.error, "is full"));
    cl_reply_clear(&rep);
    assert_true(th_file_contains(d.log, "is full"));
    /* nothing half-sent: still two waiting; room again after an ack */
    s_inbox(ad, 0, &rep);
    assert_int_equal(rep.u.deliveries.n, 2);
    cl_reply_clear(&rep);
    assert_int_equal(s_ack(ad, 1), 1);
    assert_int_equal(s_ask(co, NHS_MUM, "Northshire Adult Social Care", NULL,
                           due, NULL, &rep),
                     CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    cl_client_close(&ad);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
}

/* Whether a publisher hears that its subject is known to the MDT is a
 * policy: off by default, on with [routing] tell_known_to_mdt = yes. */
static void test_known_to_mdt_policy(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        th_daemon d;
        memset(&d, 0, sizeof(d));
        th_start(&d, on ? "[routing]\ntell_known_to_mdt = yes\n" : NULL);
        cl_client *gp = th_client(&d, "gp"), *co = th_client(&d, "coordinator");
        char r[CL_REF_SZ], mdt[CL_REF_SZ];
        cl_reply rep;
        s_publish(gp, "GP-K1", "Tom", "Green", "1970-01-01", NHS_OTHER, r);
        cl_request *q = calloc(1, sizeof(*q));
        q->kind = CL_REQ_CREATE_REVIEW;
        CL_COPY(q->u.review_new.date, "2026-12-01");
        CL_COPY(q->u.review_new.title, "MDT");
        assert_int_equal(cl_client_call(co, q, &rep), CL_OK);
        CL_COPY(mdt, rep.u.publish.reference);
        cl_reply_clear(&rep);
        memset(q, 0, sizeof(*q));
        q->kind = CL_REQ_ADD_TO_AGENDA;
        CL_COPY(q->u.agenda.review_id, mdt);
        CL_COPY(q->u.agenda.who.match.nhs, NHS_OTHER);
        q->u.agenda.reason = 1;
        assert_int_equal(cl_client_call(co, q, &rep), CL_OK);
        assert_int_equal(rep.status, CL_STATUS_OK);
        cl_reply_clear(&rep);
        free(q);
        q = th_referral("GP-K2", "Tom", "Green", "1970-01-01", NHS_OTHER);
        assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
        assert_int_equal(rep.status, CL_STATUS_OK);
        assert_int_equal(rep.u.publish.known_to_mdt, on == 1);
        cl_reply_clear(&rep);
        free(q);
        /* someone not on an agenda is never "known" */
        q = th_referral("GP-K3", "Ann", "Other", "1971-01-01", NHS_MUM);
        assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
        assert_false(rep.u.publish.known_to_mdt);
        cl_reply_clear(&rep);
        free(q);
        cl_client_close(&gp);
        cl_client_close(&co);
        assert_int_equal(th_stop(&d, SIGTERM), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alerts_child_adult_unrelated,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(
            test_backlog_after_restart_and_redelivery, th_setup_daemon,
            th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_mailboxes_are_private,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_long_poll_delivers_at_once,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_parked_receive_revoked,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_receive_loop, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_information_requests,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_answer_history_kept,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_referral_lifecycle,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_feed_gap_and_silence),
        cmocka_unit_test(test_full_mailbox),
        cmocka_unit_test(test_known_to_mdt_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
