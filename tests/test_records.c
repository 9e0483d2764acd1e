/*
 * test_records: the stored formats of daemon/core/records.c over a real
 * store: the one sealed get/put, the relation decoder, and the decode
 * check fuzz_stored drives (it must run the decoders reads use, so a
 * value a read would refuse is refused by the check too).
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

#include "codec.h"
#include "core.h"
#include "harness.h"
#include "records.h"

typedef struct s_fx {
    char dir[256];
    cl_store *s;
} s_fx;

static int s_setup(void **state)
{
    s_fx *f = calloc(1, sizeof(*f));
    uint8_t mk[CL_MASTER_KEY_LEN];
    memset(mk, 9, sizeof(mk));
    th_tmpdir(f->dir, sizeof(f->dir));
    if (cl_store_open(&f->s, f->dir, mk, 64u << 20) != CL_OK)
        return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fx *f = *state;
    cl_store_close(&f->s);
    free(f);
    return 0;
}

/* A relation as the store holds it: v, rel, agency, inferred. */
static size_t s_relation_bytes(uint8_t *buf, size_t cap, uint8_t version,
                               const char *agency)
{
    cl_enc e = cl_enc_init(buf, cap);
    cl_enc_u8(&e, version);
    cl_enc_u8(&e, CL_REL_PARENT);
    cl_enc_str(&e, agency);
    cl_enc_u8(&e, 0);
    assert_true(cl_enc_ok(&e));
    return e.len;
}

static void test_relation_round_trip(void **state)
{
    s_fx *f = *state;
    cl_txn *t = NULL;
    cl_records_relation r;
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    assert_int_equal(cl_records_relation_put_as(t, 7, 9, CL_REL_CARER,
                                                "Northshire Police", 0),
                     CL_OK);
    assert_int_equal(cl_records_relation_put_as(t, 9, 7, CL_REL_HOUSEHOLD,
                                                "shared address (UPRN)", 1),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    assert_int_equal(cl_records_relation_get(t, 7, 9, &r), CL_OK);
    assert_int_equal(r.rel, CL_REL_CARER);
    assert_string_equal(r.agency, "Northshire Police");
    assert_false(r.inferred);
    assert_int_equal(cl_records_relation_get(t, 9, 7, &r), CL_OK);
    assert_int_equal(r.rel, CL_REL_HOUSEHOLD);
    assert_true(r.inferred);
    assert_int_equal(cl_records_relation_get(t, 7, 8, &r), CL_ERR_NOT_FOUND);
    cl_store_abort(&t);
}

/* The check refuses what the relation decoder refuses: a wrong version
 * byte, a truncated value, trailing bytes. */
static void test_check_uses_relation_decoder(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = s_relation_bytes(buf, sizeof(buf), 1, "Oakfield Surgery");
    assert_int_equal(cl_core_decode_check(CL_DB_RELATION, buf, n), CL_OK);
    assert_int_equal(cl_core_decode_check(CL_DB_RELATION, buf, n - 1),
                     CL_ERR_CORRUPT);
    n = s_relation_bytes(buf, sizeof(buf), 2, "Oakfield Surgery");
    assert_int_equal(cl_core_decode_check(CL_DB_RELATION, buf, n),
                     CL_ERR_CORRUPT);
    n = s_relation_bytes(buf, sizeof(buf), 1, "Oakfield Surgery");
    buf[n] = 0;
    assert_int_equal(cl_core_decode_check(CL_DB_RELATION, buf, n + 1),
                     CL_ERR_CORRUPT);
}

/* A person value with the wrong version byte is refused by reads, and so
 * by the check (which once skipped the byte). */
static void test_check_uses_person_decoder(void **state)
{
    (void)state;
    uint8_t buf[32];
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, 1);
    cl_enc_i64(&e, 1700000000);
    cl_enc_i64(&e, 1700003600);
    assert_int_equal(cl_core_decode_check(CL_DB_PERSON, buf, e.len), CL_OK);
    buf[0] = 3;
    assert_int_equal(cl_core_decode_check(CL_DB_PERSON, buf, e.len),
                     CL_ERR_CORRUPT);
}

/* Every value the store holds after real writes passes the check of its
 * sub-database, and each sealed format of core has a check. */
static void test_check_covers_written_values(void **state)
{
    s_fx *f = *state;
    cl_txn *t = NULL;
    cl_records_record rec;
    memset(&rec, 0, sizeof(rec));
    CL_COPY(rec.agency, "Oakfield Surgery");
    CL_COPY(rec.kind, "gp");
    CL_COPY(rec.p.given, "Ada");
    CL_COPY(rec.p.family, "Lovelace");
    rec.person_id = 3;
    rec.subject = CL_RECORDS_SUBJECT;
    cl_records_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.child = 3;
    CL_COPY(plan.agency, "Northshire Children's Services");
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    assert_int_equal(cl_records_record_put(t, 5, &rec), CL_OK);
    assert_int_equal(cl_records_person_put(t, 3, 1700000000, 1700000000),
                     CL_OK);
    assert_int_equal(cl_records_plan_put(t, 4, &plan), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);

    static const cl_db dbs[] = {CL_DB_RECORD, CL_DB_PERSON, CL_DB_PLAN};
    static uint8_t pt[CL_STORE_MAX_VALUE];
    uint8_t k[8];
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    for (size_t i = 0; i < 3; i++) {
        size_t n = 0;
        cl_records_key(k, i == 0 ? 5 : i == 1 ? 3 : 4);
        assert_int_equal(cl_store_get(t, dbs[i], k, 8, pt, sizeof(pt), &n),
                         CL_OK);
        assert_int_equal(cl_core_decode_check(dbs[i], pt, n), CL_OK);
        /* (a record's last byte is optional: older records lack it) */
        assert_int_equal(cl_core_decode_check(dbs[i], pt, n - 2),
                         CL_ERR_CORRUPT);
    }
    cl_records_record back;
    assert_int_equal(cl_records_record_get(t, 5, &back), CL_OK);
    assert_string_equal(back.p.family, "Lovelace");
    cl_records_plan pback;
    assert_int_equal(cl_records_plan_get(t, 4, &pback), CL_OK);
    assert_int_equal(pback.child, 3);
    cl_store_abort(&t);
    /* the queue, MDT reviews and alerts are checked too (they were not) */
    assert_int_equal(cl_core_decode_check(CL_DB_REVIEW, pt, 0), CL_ERR_CORRUPT);
    assert_int_equal(cl_core_decode_check(CL_DB_MDT, pt, 0), CL_ERR_CORRUPT);
    assert_int_equal(cl_core_decode_check(CL_DB_ALERTED, pt, 0),
                     CL_ERR_CORRUPT);
    assert_int_equal(cl_core_decode_check(CL_DB_BLIND, pt, 0), CL_ERR_INVALID);
}

/* A referral's head (refs.c reads it without the free text) says what
 * the full referral says, field by field, for referrals that differ in
 * every field the head holds, with long free text around them; a head
 * that outgrows its field is corrupt, as for the full read. */
static void test_referral_head_matches(void **state)
{
    s_fx *f = *state;
    cl_txn *t = NULL;
    cl_records_record rec;
    cl_records_referral *sr = calloc(1, sizeof(*sr)), *back = NULL;
    memset(&rec, 0, sizeof(rec));
    CL_COPY(rec.agency, "Oakfield Surgery");
    rec.person_id = 77;
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    assert_int_equal(cl_records_record_put(t, 9, &rec), CL_OK);
    for (uint64_t id = 1; id <= 6; id++) {
        memset(sr, 0, sizeof(*sr));
        sr->record_id = 9;
        snprintf(sr->agency, sizeof(sr->agency), "Agency %u", (unsigned)id);
        snprintf(sr->kind, sizeof(sr->kind), "kind%u", (unsigned)id);
        memset(sr->client, 'c', id * 7);
        snprintf(sr->reference, sizeof(sr->reference), "CL-%08u", (unsigned)id);
        snprintf(sr->r.agency_ref, sizeof(sr->r.agency_ref), "REF-%u",
                 (unsigned)(id * 31));
        sr->r.category = (uint8_t)id;
        sr->r.risk = (uint8_t)(5 - id % 4);
        memset(sr->r.concern, 'x', id * 900);
        sr->r.occurred_at = 1700000000 + (int64_t)id;
        sr->received = 1700001000 + (int64_t)id * 3;
        memset(sr->r.referrer_name, 'n', id * 3);
        memset(sr->r.consent_note, 'q', id * 100);
        CL_COPY(sr->r.feed, "feed");
        sr->r.feed_seq = id * 1000;
        sr->withdrawn = id % 3 == 0;
        sr->version = (uint32_t)id;
        sr->status = (uint8_t)(id % 4);
        sr->outcome = (uint8_t)id;
        sr->status_at = (int64_t)id;
        memset(sr->status_reason, 'r', id * 50);
        assert_int_equal(cl_records_referral_put(t, id, sr), CL_OK);
    }
    back = calloc(1, sizeof(*back));
    for (uint64_t id = 1; id <= 6; id++) {
        cl_refs_ref h;
        assert_int_equal(cl_refs_by_id(t, id, &h), CL_OK);
        assert_int_equal(cl_records_referral_get(t, id, back), CL_OK);
        assert_int_equal(h.id, id);
        assert_int_equal(h.pid, 77);
        assert_string_equal(h.reference, back->reference);
        assert_string_equal(h.agency, back->agency);
        assert_string_equal(h.kind, back->kind);
        assert_string_equal(h.agency_ref, back->r.agency_ref);
        assert_int_equal(h.category, back->r.category);
        assert_int_equal(h.risk, back->r.risk);
        assert_int_equal(h.status, back->status);
        assert_int_equal(h.withdrawn, back->withdrawn != 0);
        assert_int_equal(h.occurred_at, back->r.occurred_at);
        assert_int_equal(h.received_at, back->received);
        uint64_t pid = 0;
        assert_int_equal(cl_refs_referral_person(t, h.reference, &pid), CL_OK);
        assert_int_equal(pid, 77);
    }
    cl_refs_ref h;
    assert_int_equal(cl_refs_by_id(t, 99, &h), CL_ERR_NOT_FOUND);
    cl_store_abort(&t);
    free(sr);
    free(back);
}

/* A new referral stored from the request as it came
 * (cl_records_referral_put_from) is the value cl_records_referral_put
 * stores from a whole copy, and the copy's own request fields, here
 * unterminated bytes, are never read. */
static void test_referral_put_from_request(void **state)
{
    s_fx *f = *state;
    cl_txn *t = NULL;
    cl_records_referral *sr = calloc(1, sizeof(*sr));
    cl_records_referral *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    cl_referral *r = calloc(1, sizeof(*r));
    sr->record_id = 9;
    CL_COPY(sr->agency, "Oakfield Surgery");
    CL_COPY(sr->client, "gp");
    CL_COPY(sr->reference, "CL-00000001");
    sr->received = 1700001000;
    sr->version = 1;
    CL_COPY(sr->r.agency_ref, "REF-1");
    sr->r.category = 3;
    memset(sr->r.concern, 'x', 5000);
    sr->r.occurred_at = 1700000000;
    CL_COPY(sr->r.referrer_role, "health visitor");
    CL_COPY(sr->r.feed, "feed");
    sr->r.feed_seq = 42;
    *r = sr->r;
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    assert_int_equal(cl_records_referral_put(t, 1, sr), CL_OK);
    memset(&sr->r, 0xA5, sizeof(sr->r));
    assert_int_equal(cl_records_referral_put_from(t, 2, sr, r), CL_OK);
    assert_int_equal(cl_records_referral_get(t, 1, a), CL_OK);
    assert_int_equal(cl_records_referral_get(t, 2, b), CL_OK);
    assert_int_equal(strlen(b->r.concern), 5000);
    assert_string_equal(b->r.referrer_role, "health visitor");
    assert_memory_equal(a, b, sizeof(*a));
    cl_store_abort(&t);
    free(sr);
    free(a);
    free(b);
    free(r);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_relation_round_trip, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_check_uses_relation_decoder),
        cmocka_unit_test(test_check_uses_person_decoder),
        cmocka_unit_test_setup_teardown(test_check_covers_written_values,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_referral_head_matches, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_referral_put_from_request, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
