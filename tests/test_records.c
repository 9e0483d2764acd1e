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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
