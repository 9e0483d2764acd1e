/*
 * test_wire: the wire module refuses what it must (unknown fields, bad
 * UTF-8, embedded NUL, wrong version, bad ids, oversized and random bytes)
 * and round-trips what it should.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "caselink.pb-c.h"
#include "wire.h"

static cl_request *s_req(void)
{
    cl_request *q = calloc(1, sizeof(*q));
    q->version = CL_PROTOCOL_VERSION;
    memset(q->msgid, 7, CL_MSGID_LEN);
    q->kind = CL_REQ_PUBLISH_REFERRAL;
    CL_COPY(q->u.publish.agency_ref, "AAAAREF");
    CL_COPY(q->u.publish.subject.family, "Smith");
    CL_COPY(q->u.publish.concern, "worried");
    q->u.publish.category = 4;
    q->u.publish.basis = 1;
    q->u.publish.n_related = 1;
    q->u.publish.related[0].rel = CL_REL_CHILD;
    CL_COPY(q->u.publish.related[0].person.given, "Amy");
    return q;
}

static void test_round_trip(void **state)
{
    (void)state;
    cl_request *q = s_req(), *back = calloc(1, sizeof(*back));
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[CL_ERROR_SZ];
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    assert_int_equal(cl_wire_decode_request(back, buf, len, err), CL_OK);
    assert_int_equal(back->kind, CL_REQ_PUBLISH_REFERRAL);
    assert_memory_equal(back->msgid, q->msgid, CL_MSGID_LEN);
    assert_string_equal(back->u.publish.agency_ref, "AAAAREF");
    assert_string_equal(back->u.publish.related[0].person.given, "Amy");
    assert_int_equal(back->u.publish.related[0].rel, CL_REL_CHILD);
    /* same body, different sent time: same body hash */
    uint8_t h1[16];
    memcpy(h1, back->body_hash, 16);
    free(buf);
    q->sent_ms = 12345;
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    assert_int_equal(cl_wire_decode_request(back, buf, len, err), CL_OK);
    assert_memory_equal(h1, back->body_hash, 16);
    free(buf);
    CL_COPY(q->u.publish.concern, "changed");
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    assert_int_equal(cl_wire_decode_request(back, buf, len, err), CL_OK);
    assert_memory_not_equal(h1, back->body_hash, 16);
    free(buf);
    free(q);
    free(back);
}

static int s_decode(const uint8_t *buf, size_t len, char *err)
{
    cl_request *r = calloc(1, sizeof(*r));
    int rc = cl_wire_decode_request(r, buf, len, err);
    free(r);
    return rc;
}

static void test_unknown_field(void **state)
{
    (void)state;
    cl_request *q = s_req();
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[CL_ERROR_SZ];
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    uint8_t *more = malloc(len + 3);
    memcpy(more, buf, len);
    /* field 99, varint, value 1: e.g. a client claiming an "agency" */
    more[len] = 0x98;
    more[len + 1] = 0x06;
    more[len + 2] = 0x01;
    assert_int_equal(s_decode(more, len + 3, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "unknown field"));
    free(more);
    free(buf);
    free(q);
}

static void test_bad_utf8_and_nul(void **state)
{
    (void)state;
    cl_request *q = s_req();
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[CL_ERROR_SZ];
    CL_COPY(q->u.publish.concern, "bad \xff\xfe bytes");
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "UTF-8"));
    free(buf);
    /* overlong encoding of '/' */
    CL_COPY(q->u.publish.concern, "\xc0\xaf");
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);
    free(buf);
    /* embedded NUL: patch one byte of the reference */
    CL_COPY(q->u.publish.concern, "fine");
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    uint8_t *p = memmem(buf, len, "AAAAREF", 7);
    assert_non_null(p);
    p[2] = 0;
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "NUL"));
    free(buf);
    free(q);
}

static void test_version_and_id(void **state)
{
    (void)state;
    cl_request *q = s_req();
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[CL_ERROR_SZ];
    q->version = 2;
    assert_int_equal(cl_wire_encode_request(&buf, &len, q), CL_OK);
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "version"));
    free(buf);
    free(q);
}

static void test_garbage_and_size(void **state)
{
    (void)state;
    char err[CL_ERROR_SZ];
    uint8_t junk[256];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    assert_int_equal(s_decode(junk, sizeof(junk), err), CL_ERR_INVALID);
    assert_int_equal(s_decode(junk, 0, err), CL_ERR_INVALID); /* no body */
    uint8_t *big = calloc(1, CL_WIRE_MAX_FRAME + 1);
    assert_int_equal(s_decode(big, CL_WIRE_MAX_FRAME + 1, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "exceeds"));
    free(big);
    /* random bytes never crash */
    srand(42);
    uint8_t r[512];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand() % (int)sizeof(r));
        for (size_t i = 0; i < n; i++)
            r[i] = (uint8_t)rand();
        (void)s_decode(r, n, err);
    }
}

/* Build envelopes the model could never hold, straight in protobuf. */
static void test_too_long_and_too_many(void **state)
{
    (void)state;
    char err[CL_ERROR_SZ];
    char longname[300];
    uint8_t id[CL_MSGID_LEN] = {1};
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    Caselink__PersonDetails pd = CASELINK__PERSON_DETAILS__INIT;
    pd.family_name = longname;
    Caselink__Referral r = CASELINK__REFERRAL__INIT;
    r.agency_reference = "R1";
    r.subject = &pd;
    r.lawful_basis = 1;
    r.category = 1;
    Caselink__PublishReferral pub = CASELINK__PUBLISH_REFERRAL__INIT;
    pub.referral = &r;
    Caselink__Envelope env = CASELINK__ENVELOPE__INIT;
    env.version = 1;
    env.message_id.data = id;
    env.message_id.len = sizeof(id);
    env.body_case = CASELINK__ENVELOPE__BODY_PUBLISH_REFERRAL;
    env.publish_referral = &pub;
    uint8_t buf[8192];
    size_t len = caselink__envelope__pack(&env, buf);
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "family_name is longer"));

    /* 200 related people: refused, and bounded in memory either way */
    pd.family_name = "Smith";
    Caselink__RelatedPerson rp = CASELINK__RELATED_PERSON__INIT;
    Caselink__RelatedPerson *many[200];
    for (int i = 0; i < 200; i++)
        many[i] = &rp;
    r.related = many;
    r.n_related = 200;
    len = caselink__envelope__pack(&env, buf);
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);

    /* wrong message id length */
    r.n_related = 0;
    env.message_id.len = 8;
    len = caselink__envelope__pack(&env, buf);
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "message_id"));
    /* out-of-range enum */
    env.message_id.len = sizeof(id);
    r.category = 77;
    len = caselink__envelope__pack(&env, buf);
    assert_int_equal(s_decode(buf, len, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "category"));
}

static void test_reply_round_trip(void **state)
{
    (void)state;
    cl_reply rep, back;
    uint8_t *buf = NULL, *dup = NULL;
    size_t len = 0, dlen = 0;
    memset(&rep, 0, sizeof(rep));
    memset(rep.msgid, 3, CL_MSGID_LEN);
    rep.kind = CL_REQ_PUBLISH_REFERRAL;
    CL_COPY(rep.u.publish.reference, "CL-00000001");
    rep.u.publish.n_warnings = 1;
    CL_COPY(rep.u.publish.warnings[0], "w");
    assert_int_equal(cl_wire_encode_reply(&buf, &len, &rep), CL_OK);
    assert_int_equal(cl_wire_reply_as_duplicate(&dup, &dlen, buf, len), CL_OK);
    assert_int_equal(cl_wire_decode_reply(&back, dup, dlen), CL_OK);
    assert_int_equal(back.status, CL_STATUS_DUPLICATE);
    assert_int_equal(back.original_status, CL_STATUS_OK);
    assert_string_equal(back.u.publish.reference, "CL-00000001");
    assert_memory_equal(back.msgid, rep.msgid, CL_MSGID_LEN);
    cl_reply_clear(&back);
    free(buf);
    free(dup);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_bad_utf8_and_nul),
        cmocka_unit_test(test_version_and_id),
        cmocka_unit_test(test_garbage_and_size),
        cmocka_unit_test(test_too_long_and_too_many),
        cmocka_unit_test(test_reply_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
