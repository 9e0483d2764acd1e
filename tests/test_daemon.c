/*
 * test_daemon: the real caselinkd process over real CURVE sockets with a
 * real LMDB file. Durability across restarts, authentication, identity,
 * hostile frames, idempotency, roles, registry reload, shutdown.
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>
#include <zmq.h>

#include "harness.h"
#include "keyfile.h"
#include "wire.h"

static const char *NHS_JANE = "9434765919";

static void test_publish_survives_restart(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police");
    char r1[CL_REF_SZ], r2[CL_REF_SZ];
    cl_request *q =
        th_referral("GP-1", "Jane", "Smith", "1985-04-12", NHS_JANE);
    assert_int_equal(th_publish(gp, q, r1), CL_STATUS_OK);
    free(q);
    q = th_referral("POL-1", "Jayne", "Smith", "1985-04-12", NHS_JANE);
    q->u.publish.category = 3;
    assert_int_equal(th_publish(police, q, r2), CL_STATUS_OK);
    free(q);
    cl_client_close(&gp);
    cl_client_close(&police);
    assert_int_equal(th_stop(d, SIGTERM), 0);

    th_start(d, NULL);
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS_JANE, &rep), CL_STATUS_OK);
    cl_person_view *v = &rep.u.person;
    assert_int_equal(v->n_referrals, 2);
    assert_int_equal(v->n_known, 2);
    bool saw1 = false, saw2 = false;
    for (size_t i = 0; i < v->n_referrals; i++) {
        saw1 |= !strcmp(v->referrals[i].reference, r1) &&
                !strcmp(v->referrals[i].agency, "Oakfield Surgery");
        saw2 |= !strcmp(v->referrals[i].reference, r2) &&
                !strcmp(v->referrals[i].agency, "Northshire Police");
    }
    assert_true(saw1 && saw2);
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

static void test_unregistered_key_refused(void **state)
{
    th_daemon *d = *state;
    char base[300], key[310], pub[CL_Z85_KEY_SZ];
    snprintf(base, sizeof(base), "%s/stranger", d->dir);
    assert_int_equal(cl_keyfile_generate(base, pub), CL_OK);
    snprintf(key, sizeof(key), "%s.key", base);
    cl_client *c = th_client_keys(d, key, 3000);
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    assert_int_equal(cl_client_call(c, &req, &rep), CL_ERR_DENIED);
    cl_client_close(&c);
    assert_true(th_file_contains(d->log, "refused connection"));
}

/* A raw CURVE DEALER with a demo client's keys, to send any bytes. */
static void *s_raw(const th_daemon *d, void *ctx, const char *who)
{
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/%s.key", d->dir, who);
    return th_raw_socket(d, ctx, key, 3000);
}

/* Receive one reply on a raw socket; returns its status or -1. */
static int s_raw_reply(void *s, cl_reply *rep)
{
    uint8_t buf[65536];
    int n = zmq_recv(s, buf, sizeof(buf), 0);
    if (n < 0)
        return -1;
    assert_int_equal(cl_wire_decode_reply(rep, buf, (size_t)n), CL_OK);
    return (int)rep->status;
}

static void s_health_ok(const th_daemon *d)
{
    (void)th_health(d, "operator");
}

static void test_hostile_frames(void **state)
{
    th_daemon *d = *state;
    void *ctx = zmq_ctx_new();
    void *s = s_raw(d, ctx, "gp");
    cl_reply rep;

    /* random bytes */
    const char junk[] = "\x12\x99\xff\x00garbage";
    assert_int_equal(zmq_send(s, junk, sizeof(junk), 0), (int)sizeof(junk));
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    assert_true(rep.error[0] != '\0');
    cl_reply_clear(&rep);

    /* three frames */
    zmq_send(s, "a", 1, ZMQ_SNDMORE);
    zmq_send(s, "b", 1, ZMQ_SNDMORE);
    zmq_send(s, "c", 1, 0);
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);

    /* a valid envelope plus an unknown field claiming another agency */
    cl_request *q = th_referral("GP-X", "Ann", "Other", "1970-01-01", NULL);
    q->version = 1;
    memset(q->msgid, 0x5a, CL_MSGID_LEN);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    uint8_t *more = malloc(len + 9);
    memcpy(more, buf, len);
    /* field 98 (length-delimited) "police" */
    more[len] = 0x92;
    more[len + 1] = 0x06;
    more[len + 2] = 6;
    memcpy(more + len + 3, "police", 6);
    zmq_send(s, more, len + 9, 0);
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    assert_memory_equal(rep.msgid, q->msgid, CL_MSGID_LEN);
    assert_non_null(strstr(rep.error, "Envelope: unknown field 98"));
    cl_reply_clear(&rep);

    /* malformed after a readable message id: that id comes back, and the
     * error names the field */
    memcpy(more, buf, 20); /* version, then the 16-byte message_id */
    more[20] = 0x52;       /* publish_referral, length 100: past the end */
    more[21] = 100;
    zmq_send(s, more, 22, 0);
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    assert_false(rep.msgid_unread);
    assert_memory_equal(rep.msgid, q->msgid, CL_MSGID_LEN);
    assert_non_null(strstr(rep.error, "publish_referral: length 100 runs"));
    cl_reply_clear(&rep);
    /* an 8-byte message id cannot be read: the reply says so, id empty */
    more[0] = 0x08, more[1] = 0x01, more[2] = 0x12, more[3] = 8;
    memset(more + 4, 0x5a, 8);
    more[12] = 0xe2, more[13] = 0x03, more[14] = 0; /* health {} */
    zmq_send(s, more, 15, 0);
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    assert_true(rep.msgid_unread);
    assert_non_null(strstr(rep.error, "message id could not be read; "
                                      "message_id: 8 bytes, must be 16"));
    cl_reply_clear(&rep);
    free(more);

    /* wrong protocol version */
    q->version = 9;
    free(buf);
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    zmq_send(s, buf, len, 0);
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "version"));
    cl_reply_clear(&rep);
    free(buf);
    free(q);

    /* a frame at the limit is read and answered (libzmq counts CURVE's
     * framing against ZMQ_MAXMSGSIZE: at exactly 64 KiB it used to close
     * the connection without a word), and one just over it is answered
     * with the limit */
    uint8_t *edge = calloc(1, CL_WIRE_MAX_FRAME + 1);
    zmq_send(s, edge, CL_WIRE_MAX_FRAME, 0);
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    zmq_send(s, edge, CL_WIRE_MAX_FRAME + 1, 0);
    assert_int_equal(s_raw_reply(s, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "max_message_bytes"));
    cl_reply_clear(&rep);
    free(edge);

    /* far oversized: the connection is dropped by ZMQ_MAXMSGSIZE, no
     * reply */
    size_t big = CL_WIRE_MAX_FRAME + 1024;
    uint8_t *huge = calloc(1, big);
    zmq_send(s, huge, big, 0);
    int tmo = 1000;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
    assert_int_equal(s_raw_reply(s, &rep), -1);
    free(huge);
    zmq_close(s);
    zmq_ctx_term(ctx);

    /* and the daemon keeps serving */
    s_health_ok(d);
}

static void test_resend_applied_once(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    cl_request *q =
        th_referral("GP-77", "Jane", "Smith", "1985-04-12", NHS_JANE);
    cl_reply rep;
    char first[CL_REF_SZ];
    assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    strcpy(first, rep.u.publish.reference);
    cl_reply_clear(&rep);
    /* same message id again (msgid kept in q) */
    assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DUPLICATE);
    assert_int_equal(rep.original_status, CL_STATUS_OK);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    /* same id, different body: refused, nothing applied */
    CL_COPY(q->u.publish.concern, "something else");
    assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&gp);

    cl_client *co = th_client(d, "coordinator");
    assert_int_equal(th_view_nhs(co, NHS_JANE, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_referrals, 1);
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

/* A referral dated in the future (a sender's field or clock mistake) would
 * fall out of case finding and every "since" count: refused, naming the
 * field; a few hours ahead (clocks differ) is accepted, and so is a
 * correction to a past date, while a correction into the future is not. */
static void test_future_occurred_at_refused(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    cl_request *q =
        th_referral("GP-F1", "Jane", "Smith", "1985-04-12", NHS_JANE);
    cl_reply rep;
    char ref[CL_REF_SZ];
    int64_t now = (int64_t)time(NULL);
    q->u.publish.occurred_at = now + 3 * 86400;
    assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "publish_referral.referral.occurred_at"));
    assert_non_null(strstr(rep.error, "clock"));
    cl_reply_clear(&rep);
    memset(q->msgid, 0, CL_MSGID_LEN);
    q->u.publish.occurred_at = now + 3 * 3600;
    assert_int_equal(th_publish(gp, q, ref), CL_STATUS_OK);

    cl_request *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->kind = CL_REQ_CORRECT_REFERRAL;
    CL_COPY(r->u.rectify.reference, ref);
    CL_COPY(r->u.rectify.reason, "date was typed wrong");
    r->u.rectify.referral.occurred_at = now + 40 * 86400;
    assert_int_equal(cl_client_call(gp, r, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "correct_referral.referral.occurred_at"));
    cl_reply_clear(&rep);
    memset(r->msgid, 0, CL_MSGID_LEN);
    r->u.rectify.referral.occurred_at = now - 86400;
    assert_int_equal(cl_client_call(gp, r, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(r);
    free(q);
    cl_client_close(&gp);
}

/* A publisher that sends thousands of requests and never reads a reply
 * (its queue in the daemon fills) holds up nobody: another agency's
 * health and publish are answered at once, and so is the operator's while
 * the flood is still being answered. Before, each reply to the full queue
 * waited send_timeout_ms in the one serving loop (about 2,500 s here). */
static void test_unread_replies_stall_nobody(void **state)
{
    th_daemon *d = *state;
    void *ctx = zmq_ctx_new();
    void *raw = s_raw(d, ctx, "gp");
    int one = 1; /* the attacker's side holds as little as it can */
    zmq_setsockopt(raw, ZMQ_RCVHWM, &one, sizeof(one));
    int wait_ms = 20000; /* a daemon that stops reading fails, not hangs */
    zmq_setsockopt(raw, ZMQ_SNDTIMEO, &wait_ms, sizeof(wait_ms));
    cl_request q;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_HEALTH;
    q.version = 1;
    for (unsigned i = 0; i < 4000; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        randombytes_buf(q.msgid, CL_MSGID_LEN);
        assert_int_equal(cl_wire_encode_request(&buf, &len, &q), CL_OK);
        assert_int_equal(zmq_send(raw, buf, len, 0), (int)len);
        free(buf);
    }
    cl_client *op = th_client_keys(d, NULL, 5000);
    cl_reply rep;
    cl_request h;
    memset(&h, 0, sizeof(h));
    h.kind = CL_REQ_HEALTH;
    assert_int_equal(cl_client_call(op, &h, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client *police = th_client(d, "police");
    cl_request *p =
        th_referral("POL-1", "Jane", "Smith", "1985-04-12", NHS_JANE);
    assert_int_equal(th_publish(police, p, NULL), CL_STATUS_OK);
    free(p);
    cl_client_close(&police);
    assert_int_equal(cl_client_call(op, &h, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&op);
    int zero = 0;
    zmq_setsockopt(raw, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_close(raw);
    zmq_ctx_term(ctx);
    assert_true(th_file_contains(d->log, "not delivered"));
}

static void test_roles_enforced(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *op = th_client(d, "operator"),
              *co = th_client(d, "coordinator");
    cl_reply rep;
    assert_int_equal(th_view_nhs(gp, NHS_JANE, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    assert_int_equal(th_view_nhs(op, NHS_JANE, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_request *q = th_referral("OP-1", "A", "B", NULL, NULL);
    assert_int_equal(th_publish(op, q, NULL), CL_STATUS_DENIED);
    memset(q->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(th_publish(co, q, NULL), CL_STATUS_DENIED);
    /* a referral without a lawful basis is refused with a reason */
    memset(q->msgid, 0, CL_MSGID_LEN);
    q->u.publish.basis = 0;
    assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "lawful_basis"));
    cl_reply_clear(&rep);
    free(q);
    /* unknown person */
    assert_int_equal(th_view_nhs(co, "4010232137", &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&op);
    cl_client_close(&co);
}

static void test_sighup_revokes(void **state)
{
    th_daemon *d = *state;
    cl_client *police = th_client(d, "police");
    cl_request *q = th_referral("POL-9", "Ann", "Other", "1970-01-01", NULL);
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
    /* drop [police] from the registry and reload */
    assert_int_equal(
        th_sh("cd %s && awk 'BEGIN{s=0} /^\\[/{s=($0==\"[police]\")} !s' "
              "clients.conf > c.new && mv c.new clients.conf",
              d->dir),
        0);
    kill(d->pid, SIGHUP);
    usleep(300000);
    memset(q->msgid, 0, CL_MSGID_LEN);
    CL_COPY(q->u.publish.agency_ref, "POL-10");
    /* the open connection: refused per message */
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_DENIED);
    cl_client_close(&police);
    /* a new connection: refused at the handshake */
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/police.key", d->dir);
    cl_client *again = th_client_keys(d, key, 2000);
    cl_request h;
    cl_reply rep;
    memset(&h, 0, sizeof(h));
    h.kind = CL_REQ_HEALTH;
    assert_int_equal(cl_client_call(again, &h, &rep), CL_ERR_DENIED);
    cl_client_close(&again);
    assert_true(th_file_contains(d->log, "registry reloaded"));
    free(q);
    s_health_ok(d);
}

static void test_sigterm_answers_what_it_took(void **state)
{
    th_daemon *d = *state;
    enum { N = 300 };
    cl_client *gp = th_client(d, "gp");
    cl_request *q = th_referral("", "Jane", "Smith", "1985-04-12", NHS_JANE);
    for (int i = 0; i < N; i++) {
        snprintf(q->u.publish.agency_ref, sizeof(q->u.publish.agency_ref),
                 "BULK-%d", i);
        memset(q->msgid, 0, CL_MSGID_LEN);
        assert_int_equal(cl_client_send(gp, q), CL_OK);
    }
    char(*acked)[CL_REF_SZ] = calloc(N, CL_REF_SZ);
    int n_acked = 0;
    cl_reply rep;
    /* Stop the daemon while the stream is being taken in. */
    assert_int_equal(cl_client_recv(gp, &rep, 5000), CL_OK);
    kill(d->pid, SIGTERM);
    do {
        if (rep.status == CL_STATUS_OK)
            strcpy(acked[n_acked++], rep.u.publish.reference);
        cl_reply_clear(&rep);
    } while (cl_client_recv(gp, &rep, 1500) == CL_OK);
    cl_client_close(&gp);
    printf("SIGTERM during a stream of %d: %d acknowledged, all checked\n", N,
           n_acked);
    int st;
    waitpid(d->pid, &st, 0);
    d->pid = 0;
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(n_acked > 0);

    th_start(d, NULL);
    cl_client *co = th_client(d, "coordinator");
    assert_int_equal(th_view_nhs(co, NHS_JANE, &rep), CL_STATUS_OK);
    for (int i = 0; i < n_acked; i++) {
        bool found = false;
        for (size_t j = 0; j < rep.u.person.n_referrals && !found; j++)
            found = !strcmp(rep.u.person.referrals[j].reference, acked[i]);
        assert_true(found);
    }
    cl_reply_clear(&rep);
    cl_client_close(&co);
    free(acked);
    free(q);
}

static void test_no_personal_data_at_rest_or_in_logs(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    cl_request *q = th_referral("CANARY-REF", "Peregrinaxx", "Quiddlewick",
                                "1977-07-07", "4010232137");
    CL_COPY(q->u.publish.subject.postcode, "ZZ9 9ZQ");
    CL_COPY(q->u.publish.concern, "Canaryconcern text");
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    /* and a refused one, so the log has something to say */
    memset(q->msgid, 0, CL_MSGID_LEN);
    q->u.publish.basis = 0;
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_INVALID);
    free(q);
    cl_client_close(&gp);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    char data[300];
    snprintf(data, sizeof(data), "%s/state/data.mdb", d->dir);
    const char *canaries[] = {"Peregrinaxx", "Quiddlewick",   "4010232137",
                              "ZZ9 9ZQ",     "Canaryconcern", "1977-07-07"};
    for (size_t i = 0; i < sizeof(canaries) / sizeof(canaries[0]); i++) {
        assert_false(th_file_contains(data, canaries[i]));
        assert_false(th_file_contains(d->log, canaries[i]));
    }
    assert_true(th_file_contains(d->log, "request refused"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_survives_restart,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_unregistered_key_refused,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_hostile_frames, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_resend_applied_once,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_future_occurred_at_refused,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_unread_replies_stall_nobody,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_roles_enforced, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_sighup_revokes, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_sigterm_answers_what_it_took,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(
            test_no_personal_data_at_rest_or_in_logs, th_setup_daemon,
            th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
