/*
 * test_protocol: the wire contract as an integration sees it, against the
 * real daemon: natural idempotency by agency_reference (same content with
 * a new message id, different content, another agency's same reference),
 * each created id in a reply field of its own with the deprecated
 * `reference` still filled, and the recommended message-id derivation's
 * test vectors (the ones caselink.proto and the README print).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <signal.h>
#include <sodium.h>
#include <zmq.h>

#include "caselink.pb-c.h"
#include "harness.h"
#include "wire.h"

static uint64_t s_referrals(const th_daemon *d)
{
    return th_health(d, "operator").referrals;
}

/* Publish with a fresh random message id; returns the reply (caller
 * clears it). */
static void s_publish(cl_client *c, cl_request *q, cl_reply *rep)
{
    memset(q->msgid, 0, CL_MSGID_LEN); /* the library picks a random id */
    assert_int_equal(cl_client_call(c, q, rep), CL_OK);
}

static void test_natural_idempotency(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police");
    cl_request *q =
        th_referral("NAT-0001", "Jane", "Smith", "1985-04-12", "9434765919");
    cl_reply rep;
    char first[CL_REF_SZ];

    s_publish(gp, q, &rep);
    assert_int_equal(rep.status, CL_STATUS_OK);
    CL_COPY(first, rep.u.publish.reference);
    cl_reply_clear(&rep);
    uint64_t n = s_referrals(d);

    /* the same referral, a new message id: DUPLICATE, the original id */
    s_publish(gp, q, &rep);
    assert_int_equal(rep.status, CL_STATUS_DUPLICATE);
    assert_int_equal(rep.original_status, CL_STATUS_OK);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    assert_int_equal(s_referrals(d), n);

    /* the same reference, other content: refused, pointing at the fix */
    CL_COPY(q->u.publish.concern, "A different concern");
    s_publish(gp, q, &rep);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "agency_reference: already names"));
    assert_non_null(strstr(rep.error, first));
    assert_non_null(strstr(rep.error, "correct_referral"));
    cl_reply_clear(&rep);
    assert_int_equal(s_referrals(d), n);

    /* another agency's identical reference is its own referral: no
     * answer there depends on what the GP practice sent */
    CL_COPY(q->u.publish.concern, "Concern raised in a test");
    s_publish(police, q, &rep);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_string_not_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    assert_int_equal(s_referrals(d), n + 1);

    /* a correction through correct_referral is the way to change it; the
     * original content sent again is still the same referral */
    cl_request *fix = calloc(1, sizeof(*fix));
    fix->kind = CL_REQ_CORRECT_REFERRAL;
    CL_COPY(fix->u.rectify.reference, "NAT-0001");
    CL_COPY(fix->u.rectify.reason, "concern was incomplete");
    CL_COPY(fix->u.rectify.referral.concern, "A different concern");
    assert_int_equal(cl_client_call(gp, fix, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    s_publish(gp, q, &rep);
    assert_int_equal(rep.status, CL_STATUS_DUPLICATE);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);

    /* and the daemon restarted still knows */
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, NULL);
    cl_client_close(&gp);
    gp = th_client(d, "gp");
    s_publish(gp, q, &rep);
    assert_int_equal(rep.status, CL_STATUS_DUPLICATE);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    free(fix);
    free(q);
    cl_client_close(&gp);
    cl_client_close(&police);
}

/* Send a request on a raw socket and unpack the reply with protobuf-c, as
 * any protobuf client would see it. */
static Caselink__Reply *s_raw_call(const th_daemon *d, const char *who,
                                   cl_request *q)
{
    char key[300];
    uint8_t *buf = NULL, in[65536];
    size_t len = 0;
    void *ctx = zmq_ctx_new();
    snprintf(key, sizeof(key), "%s/keys/%s.key", d->dir, who);
    void *s = th_raw_socket(d, ctx, key, 5000);
    q->version = CL_PROTOCOL_VERSION;
    randombytes_buf(q->msgid, CL_MSGID_LEN);
    /* the person the demo client acts for, as libcaselink would add */
    if (!cl_user_named(&q->on_behalf_of))
        th_user(d, who, &q->on_behalf_of);
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    assert_int_equal(zmq_send(s, buf, len, 0), (int)len);
    int n = zmq_recv(s, in, sizeof(in), 0);
    assert_true(n > 0);
    free(buf);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return caselink__reply__unpack(NULL, (size_t)n, in);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const char *s_old_reference(const Caselink__PublishResult *p)
{
    return p->reference; /* what a client from the old .proto reads */
}
#pragma GCC diagnostic pop

static void test_created_ids_in_own_fields(void **state)
{
    th_daemon *d = *state;
    cl_request *q = th_referral("IDS-1", "Amy", "Jones", "2015-06-01", NULL);
    Caselink__Reply *r = s_raw_call(d, "gp", q);
    assert_non_null(r);
    assert_int_equal(r->status, CASELINK__STATUS__STATUS_OK);
    assert_int_equal(r->result_case, CASELINK__REPLY__RESULT_PUBLISH);
    assert_string_equal(r->publish->referral_id, "CL-00000001");
    assert_string_equal(s_old_reference(r->publish), "CL-00000001");
    assert_string_equal(r->publish->review_id, "");
    caselink__reply__free_unpacked(r, NULL);

    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, "2027-01-20");
    CL_COPY(q->u.review_new.title, "Extended MDT");
    r = s_raw_call(d, "coordinator", q);
    assert_non_null(r);
    assert_int_equal(r->status, CASELINK__STATUS__STATUS_OK);
    assert_string_equal(r->publish->review_id, "MDT-00000001");
    assert_string_equal(s_old_reference(r->publish), "MDT-00000001");
    assert_string_equal(r->publish->referral_id, "");
    caselink__reply__free_unpacked(r, NULL);

    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(q->u.agenda.review_id, "MDT-00000001");
    CL_COPY(q->u.agenda.who.person_id, "P00000001");
    q->u.agenda.reason = 1;
    r = s_raw_call(d, "coordinator", q);
    assert_int_equal(r->status, CASELINK__STATUS__STATUS_OK);
    assert_string_equal(r->publish->person_id, "P00000001");
    caselink__reply__free_unpacked(r, NULL);

    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_ADD_ACTION;
    CL_COPY(q->u.action.review_id, "MDT-00000001");
    CL_COPY(q->u.action.person_id, "P00000001");
    CL_COPY(q->u.action.text, "Medication review");
    CL_COPY(q->u.action.owner_name, "Dr A Patel");
    CL_COPY(q->u.action.owner_agency, "Oakfield Surgery");
    CL_COPY(q->u.action.due, "2027-02-01");
    r = s_raw_call(d, "coordinator", q);
    assert_int_equal(r->status, CASELINK__STATUS__STATUS_OK);
    assert_string_equal(r->publish->action_id, "ACT-00000001");
    assert_string_equal(s_old_reference(r->publish), "ACT-00000001");
    caselink__reply__free_unpacked(r, NULL);

    /* libcaselink (a new client) reads the named field */
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, "2027-01-27");
    CL_COPY(q->u.review_new.title, "Extended MDT 2");
    assert_int_equal(cl_client_call(co, q, &rep), CL_OK);
    assert_string_equal(rep.u.publish.reference, "MDT-00000002");
    cl_reply_clear(&rep);
    cl_client_close(&co);
    free(q);
}

/* A refused frame is refused, whatever the request before it was: the
 * conformance test found a refusal parked (and answered OK with the
 * mailbox) because the slot of a parked receive kept its flag. */
static void test_refusal_after_parked_receive(void **state)
{
    th_daemon *d = *state;
    char key[300];
    uint8_t *buf = NULL, in[65536];
    size_t len = 0;
    cl_reply rep;
    void *ctx = zmq_ctx_new();
    snprintf(key, sizeof(key), "%s/keys/gp.key", d->dir);
    void *s = th_raw_socket(d, ctx, key, 5000);
    cl_request *q = calloc(1, sizeof(*q));
    q->version = CL_PROTOCOL_VERSION;
    q->kind = CL_REQ_INBOX_RECEIVE;
    q->u.inbox.wait_ms = 100;
    for (int round = 0; round < 3; round++) {
        randombytes_buf(q->msgid, CL_MSGID_LEN);
        assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
        assert_int_equal(zmq_send(s, buf, len, 0), (int)len);
        int n = zmq_recv(s, in, sizeof(in), 0); /* after its 100 ms */
        assert_true(n > 0);
        assert_int_equal(cl_wire_decode_reply(&rep, in, (size_t)n), CL_OK);
        assert_int_equal(rep.status, CL_STATUS_OK);
        cl_reply_clear(&rep);
        /* the same envelope with an unknown field in its body, which is
         * last: tag, length 2, wait_ms; the length grows by three */
        uint8_t *bad = malloc(len + 3);
        memcpy(bad, buf, len);
        assert_int_equal(bad[len - 3], 2);
        bad[len - 3] = 5;
        bad[len] = 0x98; /* field 99, varint 1 */
        bad[len + 1] = 0x06;
        bad[len + 2] = 0x01;
        free(buf);
        buf = NULL;
        assert_int_equal(zmq_send(s, bad, len + 3, 0), (int)len + 3);
        free(bad);
        n = zmq_recv(s, in, sizeof(in), 0);
        assert_true(n > 0);
        assert_int_equal(cl_wire_decode_reply(&rep, in, (size_t)n), CL_OK);
        assert_int_equal(rep.status, CL_STATUS_INVALID);
        assert_non_null(strstr(rep.error, "inbox_receive: unknown field 99"));
        cl_reply_clear(&rep);
    }
    free(q);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

/* The recommended message-id derivation, as documented. */
/* A refusal raised by validation after decoding names the field by its
 * full path in the Envelope, as a decoder refusal does: what an
 * integration engineer greps their message builder for. */
static void test_refusals_name_full_path(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    cl_request *q =
        th_referral("PATH-0001", "Ann", "Green", "1990-02-03", "9434765870");
    cl_reply rep;
    q->u.publish.n_related = 2;
    CL_COPY(q->u.publish.related[0].person.given, "Tom");
    CL_COPY(q->u.publish.related[0].person.family, "Green");
    q->u.publish.related[0].rel = 2; /* child */
    CL_COPY(q->u.publish.related[1].person.given, "Sue");
    CL_COPY(q->u.publish.related[1].person.family, "Green");
    s_publish(gp, q, &rep); /* related[1] says not what Sue is to Ann */
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    assert_non_null(
        strstr(rep.error, "publish_referral.referral.related[1].relationship"));
    cl_reply_clear(&rep);

    q->u.publish.n_related = 0;
    s_publish(gp, q, &rep);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_request *fix = calloc(1, sizeof(*fix));
    fix->kind = CL_REQ_CORRECT_REFERRAL;
    CL_COPY(fix->u.rectify.reference, "PATH-0001");
    CL_COPY(fix->u.rectify.reason, "a carer was left out");
    fix->u.rectify.referral.n_related = 1;
    CL_COPY(fix->u.rectify.referral.related[0].person.given, "Sue");
    s_publish(gp, fix, &rep);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    assert_non_null(
        strstr(rep.error, "correct_referral.referral.related[0].relationship"));
    cl_reply_clear(&rep);
    free(fix);
    free(q);
    cl_client_close(&gp);
}

static void test_msgid_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *domain, *stable, *hex;
    } v[] = {
        {"referral", "GP-2026-0001", "7f2fc23aa523e7edc46f7fcee38c9146"},
        {"referral", "R-1", "63928b5d1ff478d7a433dcc60bd659aa"},
        {"referral", "\xc3\x84-12/\xc3\xa9",
         "f96a8f88c8ace3e6a316d03b2191b9e6"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t id[CL_MSGID_LEN];
        char hex[2 * CL_MSGID_LEN + 1];
        cl_client_msgid_from(id, v[i].domain, v[i].stable);
        sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
        assert_string_equal(hex, v[i].hex);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_natural_idempotency,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_created_ids_in_own_fields,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_refusals_name_full_path,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_refusal_after_parked_receive,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_msgid_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
