/*
 * test_hostile: a running daemon takes every kind of bad input: oversized
 * frames, truncated and random bytes, wrong protocol versions, unknown
 * fields, huge repeated fields, extra frames, replays, wrong roles and
 * unregistered keys, interleaved with well-formed requests from a real
 * agency. Every well-formed request must be answered correctly, and the
 * store must hold exactly what was acknowledged.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <zmq.h>

#include "caselink.pb-c.h"
#include "harness.h"
#include "keyfile.h"
#include "wire.h"

static const char *NHS = "9434765919";

static void *s_raw(const th_daemon *d, void *ctx, const char *key_file)
{
    return th_raw_socket(d, ctx, key_file, 2000);
}

/* Expect a reply of a given status on the raw socket (-1: none). */
static void s_expect(void *s, int status)
{
    uint8_t buf[65536];
    int n = zmq_recv(s, buf, sizeof(buf), 0);
    if (status < 0) {
        assert_true(n < 0);
        return;
    }
    assert_true(n >= 0);
    cl_reply rep;
    assert_int_equal(cl_wire_decode_reply(&rep, buf, (size_t)n), CL_OK);
    if ((int)rep.status != status)
        fail_msg("expected status %d, got %d (%s)", status, rep.status,
                 rep.error);
    cl_reply_clear(&rep);
}

/* A referral with 2,000 related people: refused as invalid. */
static void s_send_huge_repeated(void *raw)
{
    Caselink__PersonDetails pd = CASELINK__PERSON_DETAILS__INIT;
    Caselink__RelatedPerson rp = CASELINK__RELATED_PERSON__INIT;
    Caselink__RelatedPerson *many[2000];
    rp.person = &pd;
    for (int k = 0; k < 2000; k++)
        many[k] = &rp;
    Caselink__Referral r = CASELINK__REFERRAL__INIT;
    r.related = many;
    r.n_related = 2000;
    Caselink__PublishReferral pub_r = CASELINK__PUBLISH_REFERRAL__INIT;
    pub_r.referral = &r;
    Caselink__Envelope env = CASELINK__ENVELOPE__INIT;
    uint8_t id[16] = {4};
    env.version = 1;
    env.message_id.data = id;
    env.message_id.len = 16;
    env.body_case = CASELINK__ENVELOPE__BODY_PUBLISH_REFERRAL;
    env.publish_referral = &pub_r;
    size_t n = caselink__envelope__get_packed_size(&env);
    uint8_t *b = malloc(n);
    caselink__envelope__pack(&env, b);
    zmq_send(raw, b, n, 0);
    s_expect(raw, CL_STATUS_INVALID);
    free(b);
}

/* A case view from a publisher's key: refused, the role is wrong. */
static void s_send_wrong_role(void *raw)
{
    cl_request *v = calloc(1, sizeof(*v));
    uint8_t *b;
    size_t n;
    v->version = 1;
    v->kind = CL_REQ_GET_PERSON;
    memset(v->msgid, 5, CL_MSGID_LEN);
    CL_COPY(v->u.get_person.match.nhs, NHS);
    CL_COPY(v->u.get_person.justification, "nosy: just having a look");
    v->u.get_person.access_reason = 1;
    assert_int_equal(cl_wire_encode_request(&b, &n, v), CL_OK);
    zmq_send(raw, b, n, 0);
    s_expect(raw, CL_STATUS_DENIED);
    free(b);
    free(v);
}

/* Hostile input number which (0-9, as the rounds go) on the raw socket
 * *rawp of key gp_key; valid is the last good request's encoding and
 * replay the first's. Expects the daemon's answer (or silence) for each;
 * an oversized frame drops the connection, so *rawp is reopened. */
static void s_hostile_one(int which, th_daemon *d, void *ctx, void **rawp,
                          const char *gp_key, const char *stranger,
                          const uint8_t *valid, size_t valid_len,
                          const uint8_t *replay, size_t replay_len)
{
    void *raw = *rawp;
    uint8_t buf[2048];
    switch (which) {
    case 0: { /* truncated */
        size_t cut = (size_t)rand() % valid_len;
        zmq_send(raw, valid, cut, 0);
        s_expect(raw, CL_STATUS_INVALID);
        break;
    }
    case 1: /* random bytes */
        for (size_t k = 0; k < sizeof(buf); k++)
            buf[k] = (uint8_t)rand();
        zmq_send(raw, buf, 1 + (size_t)rand() % sizeof(buf), 0);
        s_expect(raw, CL_STATUS_INVALID);
        break;
    case 2: { /* wrong protocol version */
        cl_request *w = th_referral("W", "A", "B", NULL, NULL);
        uint8_t *b;
        size_t n;
        w->version = 7;
        memset(w->msgid, 9, CL_MSGID_LEN);
        assert_int_equal(cl_wire_encode_request(&b, &n, w), CL_OK);
        zmq_send(raw, b, n, 0);
        s_expect(raw, CL_STATUS_INVALID);
        free(b);
        free(w);
        break;
    }
    case 3: /* unknown field */
        memcpy(buf, valid, valid_len);
        buf[valid_len] = 0xf8; /* field 127, varint */
        buf[valid_len + 1] = 0x07;
        buf[valid_len + 2] = 0x01;
        zmq_send(raw, buf, valid_len + 3, 0);
        s_expect(raw, CL_STATUS_INVALID);
        break;
    case 4: /* a huge repeated field */
        s_send_huge_repeated(raw);
        break;
    case 5: /* extra frames */
        zmq_send(raw, valid, valid_len, ZMQ_SNDMORE);
        zmq_send(raw, valid, valid_len, 0);
        s_expect(raw, CL_STATUS_INVALID);
        break;
    case 6: /* replay of the first good message: applied once */
        zmq_send(raw, replay, replay_len, 0);
        s_expect(raw, CL_STATUS_DUPLICATE);
        break;
    case 7: /* wrong role */
        s_send_wrong_role(raw);
        break;
    case 8: { /* unregistered key: no handshake, no answer */
        void *x = s_raw(d, ctx, stranger);
        zmq_send(x, valid, valid_len, 0);
        s_expect(x, -1);
        zmq_close(x);
        break;
    }
    case 9: { /* oversized: the connection is dropped */
        uint8_t *big = calloc(1, CL_WIRE_MAX_FRAME * 2);
        zmq_send(raw, big, CL_WIRE_MAX_FRAME * 2, 0);
        int tmo = 500;
        zmq_setsockopt(raw, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
        s_expect(raw, -1);
        free(big);
        zmq_close(*rawp);
        *rawp = s_raw(d, ctx, gp_key);
        break;
    }
    }
}

static void test_hostile_interleaved(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, NULL);
    char gp_key[300], stranger[300], pub[CL_Z85_KEY_SZ];
    snprintf(gp_key, sizeof(gp_key), "%s/keys/gp.key", d.dir);
    snprintf(stranger, sizeof(stranger), "%s/stranger", d.dir);
    assert_int_equal(cl_keyfile_generate(stranger, pub), CL_OK);
    strcat(stranger, ".key");

    void *ctx = zmq_ctx_new();
    void *raw = s_raw(&d, ctx, gp_key);
    cl_client *good = th_client(&d, "gp");
    cl_request *q = th_referral("", "Jane", "Smith", "1985-04-12", NHS);
    uint8_t *valid = NULL, replay[4096];
    size_t valid_len = 0, replay_len = 0;
    int rounds = 60, acked = 0, hostile = 0;
    srand(7);
    for (int i = 0; i < rounds; i++) {
        /* a well-formed request, answered correctly */
        snprintf(q->u.publish.agency_ref, sizeof(q->u.publish.agency_ref),
                 "GOOD-%d", i);
        memset(q->msgid, 0, CL_MSGID_LEN);
        char ref[CL_REF_SZ];
        assert_int_equal(th_publish(good, q, ref), CL_STATUS_OK);
        acked++;
        q->version = 1;
        free(valid);
        assert_int_equal(cl_wire_encode_request(&valid, &valid_len, q), CL_OK);
        if (i == 0) {
            memcpy(replay, valid, valid_len);
            replay_len = valid_len;
        }
        /* then something hostile */
        s_hostile_one(i % 10, &d, ctx, &raw, gp_key, stranger, valid, valid_len,
                      replay, replay_len);
        hostile++;
    }
    free(valid);
    free(q);
    zmq_close(raw);
    zmq_ctx_term(ctx);
    cl_client_close(&good);

    /* exactly the acknowledged referrals are there */
    cl_client *co = th_client(&d, "coordinator");
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.person.n_referrals, (size_t)acked);
    cl_reply_clear(&rep);
    cl_client_close(&co);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    printf("%d hostile inputs interleaved with %d good requests: every good "
           "one answered OK and stored once\n",
           hostile, acked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_interleaved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
