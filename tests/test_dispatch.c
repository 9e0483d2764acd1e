/*
 * test_dispatch: the daemon's request rows (daemon/dispatch.c, derived
 * from proto/cl_requests.def) over a real store and a real registry,
 * through the real decoder: every kind reaches its handler, a write is
 * idempotent by message id, a standby serves only the standby column, a
 * denied attempt on personal data is audited, and the rated column
 * limits flag checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sodium.h>

#include "core.h"
#include "dispatch.h"
#include "harness.h"
#include "item.h"
#include "store.h"
#include "wire.h"

/* Two registered keys (the CURVE test vectors): one with every role, one
 * publisher only. */
#define S_ALL "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
#define S_PUB "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"

static char s_dir[256]; /* the store and registry, removed by s_close */

static cl_server *s_open(void)
{
    char *dir = s_dir, path[300], err[CL_ERROR_SZ];
    uint8_t mk[CL_MASTER_KEY_LEN];
    th_tmpdir(s_dir, sizeof(s_dir));
    cl_server *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    memset(mk, 0x42, sizeof(mk));
    assert_int_equal(cl_store_open(&s->store, dir, mk, 64u << 20), CL_OK);
    cl_config_defaults(&s->cfg);
    CL_COPY(s->cfg.state_dir, dir);
    snprintf(path, sizeof(path), "%s/registry.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "[everything]\nkey = %s\nagency = Oakfield Surgery\nkind = gp\n"
            "roles = publisher, coordinator, auditor, operator\n"
            "[gp]\nkey = %s\nagency = Oakfield Surgery\nkind = gp\n"
            "roles = publisher\n",
            S_ALL, S_PUB);
    fclose(f);
    assert_int_equal(cl_registry_load(&s->registry, path, err, sizeof(err)),
                     CL_OK);
    cl_registry_agencies(s->registry, &s->cfg.route);
    s->base_match = s->cfg.match;
    s->started = s_now();
    return s;
}

static void s_close(cl_server *s)
{
    cl_registry_destroy(&s->registry);
    cl_store_close(&s->store);
    free(s);
    assert_int_equal(th_sh("rm -rf '%s'", s_dir), 0);
}

/* Admit req from key into it (encoded and decoded as on the wire). */
/* req encoded, then tail (tail_len bytes) appended, admitted as key's. */
static void s_admit_with(cl_server *s, s_item *it, const char *key,
                         cl_request *req, const uint8_t *tail, size_t tail_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    req->version = CL_PROTOCOL_VERSION;
    if (!req->on_behalf_of.id[0]) {
        CL_COPY(req->on_behalf_of.id, "cjones");
        CL_COPY(req->on_behalf_of.name, "Carol Jones");
        CL_COPY(req->on_behalf_of.role, "Safeguarding lead");
    }
    if (sodium_is_zero(req->msgid, CL_MSGID_LEN))
        randombytes_buf(req->msgid, CL_MSGID_LEN);
    assert_int_equal(cl_wire_encode_request(&buf, &len, req), CL_OK);
    uint8_t *frame = realloc(buf, len + tail_len + 1);
    assert_non_null(frame);
    if (tail_len) /* memcpy from NULL is undefined, even of 0 bytes */
        memcpy(frame + len, tail, tail_len);
    zmq_msg_init(&it->route);
    cl_item_begin(it);
    CL_COPY(it->key, key);
    cl_dispatch_admit(s, it, frame, len + tail_len);
    free(frame);
}

static void s_admit(cl_server *s, s_item *it, const char *key, cl_request *req)
{
    s_admit_with(s, it, key, req, NULL, 0);
}

/* Run items as one batch, committed as the loop does. */
static void s_batch(cl_server *s, s_item *items, size_t n)
{
    assert_int_equal(cl_dispatch_apply(s, items, n), CL_OK);
}

static int s_status(s_item *it)
{
    cl_reply back;
    if (!it->out) {
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
        assert_int_equal(cl_wire_encode_reply(&it->out, &it->out_len, &it->rep),
                         CL_OK);
    }
    assert_int_equal(cl_wire_decode_reply(&back, it->out, it->out_len), CL_OK);
    int st = back.status;
    cl_reply_clear(&back);
    return st;
}

static uint64_t s_audits(cl_server *s)
{
    cl_txn *t = NULL;
    uint64_t n = 0;
    assert_int_equal(cl_store_begin(&t, s->store, NULL, false), CL_OK);
    assert_int_equal(cl_audit_count(t, &n), CL_OK);
    cl_store_abort(&t);
    return n;
}

/* Every row of the .def reaches a handler: no kind is "unsupported",
 * and none fails the batch, even with an empty body. */
static void test_every_kind_has_a_row(void **state)
{
    (void)state;
    cl_server *s = s_open();
    static s_item it;
    static const cl_req_kind kinds[] = {
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    CL_REQ_##KIND,
#include "cl_requests.def"
#undef CL_REQ
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        cl_request *req = calloc(1, sizeof(*req));
        assert_non_null(req);
        req->kind = kinds[i];
        s_admit(s, &it, S_ALL, req);
        if (it.early == CL_OK && kinds[i] != CL_REQ_ADMIN_BACKUP) {
            cl_txn *t = NULL;
            assert_int_equal(cl_store_begin(&t, s->store, NULL, true), CL_OK);
            assert_int_equal(cl_dispatch_one(s, t, &it), CL_OK);
            cl_store_abort(&t);
            if (strstr(it.rep.error, "unsupported"))
                fail_msg("%s: %s", cl_wire_kind_name(kinds[i]), it.rep.error);
        }
        cl_item_release(&it);
        free(req);
    }
    s_close(s);
}

/* A resent message id answers as the first time and applies nothing
 * again; the same id with another body is refused. */
static void test_write_idempotent_by_message_id(void **state)
{
    (void)state;
    cl_server *s = s_open();
    static s_item it[3];
    cl_request *req = th_referral("DISP-1", "Ann", "Lee", "1980-02-03", NULL);
    s_admit(s, &it[0], S_PUB, req);
    s_batch(s, it, 1);
    assert_int_equal(s_status(&it[0]), CL_STATUS_OK);
    uint64_t audits = s_audits(s);
    s_admit(s, &it[1], S_PUB, req);
    CL_COPY(req->u.publish.concern, "a different body under the same id");
    s_admit(s, &it[2], S_PUB, req);
    s_batch(s, it + 1, 2);
    assert_int_equal(s_status(&it[1]), CL_STATUS_DUPLICATE);
    assert_int_equal(s_status(&it[2]), CL_STATUS_INVALID);
    assert_non_null(strstr(it[2].rep.error, "message_id: already used"));
    assert_int_equal(s_audits(s), audits); /* nothing applied again */
    for (int i = 0; i < 3; i++)
        cl_item_release(&it[i]);
    free(req);
    s_close(s);
}

/* A node that is not writable serves the standby column only. */
static void test_standby_serves_its_column_only(void **state)
{
    (void)state;
    cl_server *s = s_open();
    static s_item it[2];
    cl_request *pub = th_referral("DISP-2", "Bo", "Lee", "1981-02-03", NULL);
    cl_request *health = calloc(1, sizeof(*health));
    assert_non_null(health);
    health->kind = CL_REQ_HEALTH;
    s->role = S_STANDBY;
    s_admit(s, &it[0], S_PUB, pub);
    s_admit(s, &it[1], S_PUB, health);
    s_batch(s, it, 2);
    assert_int_equal(s_status(&it[0]), CL_STATUS_NOT_ACTIVE);
    assert_int_equal(s_status(&it[1]), CL_STATUS_OK);
    for (int i = 0; i < 2; i++)
        cl_item_release(&it[i]);
    free(pub);
    free(health);
    s->role = S_SINGLE;
    s_close(s);
}

/* req (with tail appended) from the publisher: refused DENIED before any
 * work, and one audit entry for the attempt. */
static void s_denied_audited(cl_server *s, s_item *it, cl_request *req,
                             const uint8_t *tail, size_t tail_len)
{
    uint64_t before = s_audits(s);
    s_admit_with(s, it, S_PUB, req, tail, tail_len);
    assert_int_equal(it->early, CL_ERR_DENIED);
    s_batch(s, it, 1);
    assert_int_equal(s_status(it), CL_STATUS_DENIED);
    assert_int_equal(s_audits(s), before + 1);
    cl_item_release(it);
}

/* A role without the right trying personal data is refused and audited,
 * in a frame the decoder refuses too (an unknown field after the body: a
 * malformed frame is no way round the role check or the audit), where
 * the role that may send it is told what is wrong with it; trying a
 * count (stats) is refused without an audit entry. */
static void test_denied_personal_attempt_is_audited(void **state)
{
    (void)state;
    cl_server *s = s_open();
    static s_item it;
    cl_request *req = calloc(1, sizeof(*req));
    assert_non_null(req);
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.match.nhs, "9434765919");
    static const uint8_t unknown[] = {0xb8, 0x3e, 0x01}; /* field 999 = 1 */
    uint64_t before = s_audits(s);
    s_denied_audited(s, &it, req, NULL, 0);
    s_denied_audited(s, &it, req, unknown, sizeof(unknown));
    s_admit_with(s, &it, S_ALL, req, unknown, sizeof(unknown));
    assert_int_equal(it.early, CL_ERR_INVALID);
    assert_non_null(strstr(it.rep.error, "unknown field"));
    s_batch(s, &it, 1);
    assert_int_equal(s_audits(s), before + 2);
    cl_item_release(&it);
    memset(req, 0, sizeof(*req));
    req->kind = CL_REQ_ADMIN_STATS;
    s_admit(s, &it, S_PUB, req);
    assert_int_equal(it.early, CL_ERR_DENIED);
    s_batch(s, &it, 1);
    assert_int_equal(s_audits(s), before + 2);
    cl_item_release(&it);
    free(req);
    s_close(s);
}

/* Frames no conforming client sends, each asking for get_person, which a
 * publisher may not send: refused DENIED and audited as an attempt, as
 * the well-formed request is, not INVALID with what the decoder found
 * (a sender could map a forbidden request's fields so, unaudited). */
static void test_denied_however_framed(void **state)
{
    (void)state;
    cl_server *s = s_open();
    static s_item it;
    /* version 1, a 16-byte message id */
#define S_HEAD                                                                 \
    0x08, 0x01, 0x12, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
        16
    static const uint8_t group_first[] = {/* group 99, then get_person {} */
                                          S_HEAD, 0x9b, 0x06, 0x08, 0x01,
                                          0x9c,   0x06, 0x5a, 0x00};
    static const uint8_t replaced[] = {/* get_person {field 99: 1}, health */
                                       S_HEAD, 0x5a, 0x03, 0x98, 0x06,
                                       0x01,   0xe2, 0x03, 0x00};
    static const uint8_t bad_utf8[] = {/* get_person {person_id "\xff"} */
                                       S_HEAD, 0x5a, 0x03, 0x0a, 0x01, 0xff};
    static const uint8_t version2[] = {
        /* version 2, get_person {} */
        0x08, 0x02, 0x12, 0x10, 1,  2,  3,  4,  5,  6,    7,
        8,    9,    10,   11,   12, 13, 14, 15, 16, 0x5a, 0x00};
#undef S_HEAD
    static const struct {
        const char *what;
        const uint8_t *frame;
        size_t len;
    } v[] = {
        {"a group before the body", group_first, sizeof(group_first)},
        {"a malformed body a later one replaces", replaced, sizeof(replaced)},
        {"invalid UTF-8 in the body", bad_utf8, sizeof(bad_utf8)},
        {"another protocol version", version2, sizeof(version2)},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint64_t before = s_audits(s);
        zmq_msg_init(&it.route);
        cl_item_begin(&it);
        CL_COPY(it.key, S_PUB);
        cl_dispatch_admit(s, &it, v[i].frame, v[i].len);
        if (it.early != CL_ERR_DENIED)
            fail_msg("%s: %d (%s)", v[i].what, it.early, it.rep.error);
        assert_non_null(strstr(it.rep.error, "get_person is not allowed"));
        s_batch(s, &it, 1);
        assert_int_equal(s_audits(s), before + 1);
        cl_item_release(&it);
    }
    s_close(s);
}

/* The rated column: past [flag] rate_per_minute, a check is refused BUSY
 * (and still audited). */
static void test_rated_kind_is_limited(void **state)
{
    (void)state;
    cl_server *s = s_open();
    static s_item it[2];
    s->cfg.flag.rate_per_minute = 1;
    cl_request *req = calloc(1, sizeof(*req));
    assert_non_null(req);
    req->kind = CL_REQ_FLAG_CHECK;
    CL_COPY(req->u.flag.person.nhs, "9434765919");
    s_admit(s, &it[0], S_ALL, req);
    memset(req->msgid, 0, CL_MSGID_LEN);
    s_admit(s, &it[1], S_ALL, req);
    uint64_t before = s_audits(s);
    s_batch(s, it, 2);
    assert_int_not_equal(s_status(&it[0]), CL_STATUS_BUSY);
    assert_int_equal(s_status(&it[1]), CL_STATUS_BUSY);
    assert_non_null(strstr(it[1].rep.error, "rate_per_minute"));
    assert_true(s_audits(s) >= before + 2);
    for (int i = 0; i < 2; i++)
        cl_item_release(&it[i]);
    free(req);
    s_close(s);
}

/* Per-client limits within one batch ([limits] client_inflight_max and
 * client_heavy_max): a client's requests past its share are refused BUSY
 * in arrival order, another client's interleaved with them are not, and
 * a refused request does not count against its client. */
static void test_client_limits_in_a_batch(void **state)
{
    (void)state;
    cl_server *s = s_open();
    static s_item it[9];
    s->cfg.client_inflight_max = 3;
    s->cfg.client_heavy_max = 1;
    cl_request *req = calloc(1, sizeof(*req));
    assert_non_null(req);
    /* everything: health x5, gp: health x2, interleaved */
    const char *keys[7] = {S_ALL, S_PUB, S_ALL, S_ALL, S_PUB, S_ALL, S_ALL};
    for (int i = 0; i < 7; i++) {
        memset(req, 0, sizeof(*req));
        req->kind = CL_REQ_HEALTH;
        s_admit(s, &it[i], keys[i], req);
        assert_int_equal(it[i].early, CL_OK);
    }
    cl_dispatch_limits(s, it, 7);
    const int busy[7] = {0, 0, 0, 0, 0, 1, 1};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(it[i].early, busy[i] ? CL_ERR_BUSY : CL_OK);
        if (busy[i])
            assert_non_null(strstr(it[i].rep.error, "at most 3 at once"));
    }
    for (int i = 0; i < 7; i++)
        cl_item_release(&it[i]);
    /* two case findings: the second is past client_heavy_max */
    s->cfg.client_inflight_max = 256;
    for (int i = 0; i < 2; i++) {
        memset(req, 0, sizeof(*req));
        req->kind = CL_REQ_CASE_FINDING;
        CL_COPY(req->u.finding.agency, "Oakfield Surgery");
        req->u.finding.min_contacts = 1;
        req->u.finding.access_reason = 3;
        CL_COPY(req->u.finding.justification, "quarterly review");
        s_admit(s, &it[i], S_ALL, req);
        assert_int_equal(it[i].early, CL_OK);
    }
    cl_dispatch_limits(s, it, 2);
    assert_int_equal(it[0].early, CL_OK);
    assert_int_equal(it[1].early, CL_ERR_BUSY);
    assert_non_null(strstr(it[1].rep.error, "scans or reports in flight"));
    for (int i = 0; i < 2; i++)
        cl_item_release(&it[i]);
    free(req);
    s_close(s);
}

static uint64_t s_referrals(cl_server *s)
{
    cl_txn *t = NULL;
    uint64_t persons = 0, referrals = 0;
    assert_int_equal(cl_store_begin(&t, s->store, NULL, false), CL_OK);
    assert_int_equal(cl_core_counts(t, &persons, &referrals), CL_OK);
    cl_store_abort(&t);
    return referrals;
}

static uint64_t s_rows(cl_server *s, cl_db db)
{
    cl_txn *t = NULL;
    uint64_t n = 0;
    assert_int_equal(cl_store_begin(&t, s->store, NULL, false), CL_OK);
    assert_int_equal(cl_store_entries(t, db, &n), CL_OK);
    cl_store_abort(&t);
    return n;
}

/* An information request to Oakfield Surgery about the person behind
 * nhs, from the key with every role. */
static cl_request *s_info_request(const char *nhs)
{
    cl_request *q = calloc(1, sizeof(*q));
    assert_non_null(q);
    q->kind = CL_REQ_INFO_REQUEST;
    CL_COPY(q->u.info.who.match.nhs, nhs);
    CL_COPY(q->u.info.agencies[q->u.info.n_agencies++], "Oakfield Surgery");
    time_t t = time(NULL) + 86400;
    struct tm tm;
    strftime(q->u.info.due, CL_DATE_SZ, "%Y-%m-%d", gmtime_r(&t, &tm));
    CL_COPY(q->u.info.question, "What is your involvement?");
    return q;
}

/* Writes go straight into the batch's transaction. A write refused after
 * it wrote (an information request is stored before its delivery finds
 * the addressee's mailbox full) is undone with the batch, which is
 * applied again with that write in a transaction of its own: the writes
 * around it are applied once, each with its audit entry, the refused one
 * leaves nothing but its own, and the store verifies. */
static void test_refusal_after_writing_undone(void **state)
{
    (void)state;
    cl_server *s = s_open();
    s->cfg.route.mailbox_max = 1;
    static s_item it[3];
    const char *nhs = "9434765919";
    cl_request *first =
                   th_referral("DISP-R0", "Kerry", "Brown", "1990-02-03", nhs),
               *a = th_referral("DISP-R1", "Ann", "Lee", "1980-02-03", NULL),
               *b = th_referral("DISP-R2", "Bo", "Lee", "1981-02-03", NULL),
               *ask = s_info_request(nhs);
    s_admit(s, &it[0], S_PUB, first);
    s_admit(s, &it[1], S_ALL, ask); /* fills the mailbox */
    s_batch(s, it, 2);
    assert_int_equal(s_status(&it[0]), CL_STATUS_OK);
    assert_int_equal(s_status(&it[1]), CL_STATUS_OK);
    for (int i = 0; i < 2; i++)
        cl_item_release(&it[i]);
    uint64_t audits = s_audits(s), referrals = s_referrals(s),
             asked = s_rows(s, CL_DB_INFOREQ);
    assert_int_equal(asked, 1);
    assert_int_equal(s->redone, 0);
    memset(ask->msgid, 0, CL_MSGID_LEN); /* a new request */
    s_admit(s, &it[0], S_PUB, a);
    s_admit(s, &it[1], S_ALL, ask);
    s_admit(s, &it[2], S_PUB, b);
    s_batch(s, it, 3);
    assert_int_equal(s_status(&it[0]), CL_STATUS_OK);
    assert_int_equal(s_status(&it[1]), CL_STATUS_BUSY);
    assert_non_null(strstr(it[1].rep.error, "is full"));
    assert_int_equal(s_status(&it[2]), CL_STATUS_OK);
    assert_int_equal(s->redone, 1);
    assert_int_equal(s_referrals(s), referrals + 2);
    assert_int_equal(s_audits(s), audits + 3);
    assert_int_equal(s_rows(s, CL_DB_INFOREQ), asked); /* nothing half-sent */
    assert_int_equal(s_rows(s, CL_DB_PERSON_REQUESTS), asked);
    /* each applied once: their message ids answer as the first time */
    for (int i = 0; i < 3; i += 2) {
        cl_request *again = i ? b : a;
        cl_item_release(&it[i]);
        s_admit(s, &it[i], S_PUB, again);
        s_batch(s, &it[i], 1);
        assert_int_equal(s_status(&it[i]), CL_STATUS_DUPLICATE);
    }
    assert_int_equal(s_referrals(s), referrals + 2);
    cl_txn *t = NULL;
    char why[CL_ERROR_SZ] = "";
    assert_int_equal(cl_store_begin(&t, s->store, NULL, false), CL_OK);
    assert_int_equal(cl_store_verify(t, why, sizeof(why)), CL_OK);
    cl_store_abort(&t);
    for (int i = 0; i < 3; i++)
        cl_item_release(&it[i]);
    free(first);
    free(a);
    free(b);
    free(ask);
    s_close(s);
}

/* The second pass of a batch answers as the first would have: a flag
 * check before the refused write is not counted twice against its rate
 * (1 a minute here), a referral's warning (an invalid NHS number left
 * out) is still in its reply, and sixteen writes refused after writing
 * cost one second pass, not sixteen. */
static void test_second_pass_as_the_first(void **state)
{
    (void)state;
    cl_server *s = s_open();
    s->cfg.route.mailbox_max = 1;
    s->cfg.flag.rate_per_minute = 1;
    const char *nhs = "9434765919";
    enum { K = 16 };
    static s_item it[K + 2];
    cl_request *first =
                   th_referral("DISP-S0", "Kerry", "Brown", "1990-02-03", nhs),
               *bad = th_referral("DISP-S1", "Ann", "Lee", "1980-02-03",
                                  "1234567890"),
               *chk = calloc(1, sizeof(*chk)), *ask[K];
    assert_non_null(chk);
    chk->kind = CL_REQ_FLAG_CHECK;
    CL_COPY(chk->u.flag.person.nhs, nhs);
    s_admit(s, &it[0], S_PUB, first);
    ask[0] = s_info_request(nhs);
    s_admit(s, &it[1], S_ALL, ask[0]); /* fills the mailbox */
    s_batch(s, it, 2);
    assert_int_equal(s_status(&it[1]), CL_STATUS_OK);
    cl_item_release(&it[0]);
    cl_item_release(&it[1]);
    free(ask[0]);
    s_admit(s, &it[0], S_ALL, chk);
    s_admit(s, &it[1], S_PUB, bad);
    for (int i = 0; i < K; i++) {
        ask[i] = s_info_request(nhs);
        s_admit(s, &it[2 + i], S_ALL, ask[i]);
    }
    s_batch(s, it, K + 2);
    assert_int_equal(s->redone, 1);
    assert_int_equal(s_status(&it[0]), CL_STATUS_OK);
    assert_int_equal(s_status(&it[1]), CL_STATUS_OK);
    cl_reply back;
    assert_int_equal(cl_wire_decode_reply(&back, it[1].out, it[1].out_len),
                     CL_OK);
    assert_int_equal(back.u.publish.n_warnings, 1);
    assert_non_null(strstr(back.u.publish.warnings[0], "NHS number"));
    cl_reply_clear(&back);
    for (int i = 0; i < K; i++)
        assert_int_equal(s_status(&it[2 + i]), CL_STATUS_BUSY);
    for (int i = 0; i < K + 2; i++)
        cl_item_release(&it[i]);
    for (int i = 0; i < K; i++)
        free(ask[i]);
    free(first);
    free(bad);
    free(chk);
    s_close(s);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_has_a_row),
        cmocka_unit_test(test_write_idempotent_by_message_id),
        cmocka_unit_test(test_standby_serves_its_column_only),
        cmocka_unit_test(test_denied_personal_attempt_is_audited),
        cmocka_unit_test(test_denied_however_framed),
        cmocka_unit_test(test_rated_kind_is_limited),
        cmocka_unit_test(test_client_limits_in_a_batch),
        cmocka_unit_test(test_refusal_after_writing_undone),
        cmocka_unit_test(test_second_pass_as_the_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
