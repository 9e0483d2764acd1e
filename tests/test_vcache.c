/*
 * test_vcache: what a write transaction keeps of the sealed values it
 * put or read (store/vcache.c), on a real LMDB file: read back as the
 * transaction sees LMDB at every step, never a reply to a message id, and
 * wiped when dropped.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "codec.h"
#include "harness.h"
#include "store.h"
#include "store_int.h"

static void s_key(uint8_t k[CL_MASTER_KEY_LEN], uint8_t fill)
{
    memset(k, fill, CL_MASTER_KEY_LEN);
}

/* A value read back in the transaction that put it (served from the
 * transaction's own copy) is what the transaction sees in LMDB at every
 * step: after a nested put, a nested abort, a delete, an overwrite with a
 * value too large to keep, and past the number of values kept. */
static void s_get_is(cl_txn *t, uint64_t id, const char *want)
{
    uint8_t key[8], buf[4096];
    size_t len = 0;
    cl_be64_put(key, id);
    int rc = cl_store_get(t, CL_DB_REFERRAL, key, 8, buf, sizeof(buf), &len);
    if (!want) {
        assert_int_equal(rc, CL_ERR_NOT_FOUND);
        return;
    }
    assert_int_equal(rc, CL_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
}

static void s_put_is(cl_txn *t, uint64_t id, const char *val)
{
    uint8_t key[8];
    cl_be64_put(key, id);
    assert_int_equal(cl_store_put(t, CL_DB_REFERRAL, key, 8,
                                  (const uint8_t *)val, strlen(val)),
                     CL_OK);
}

static void test_values_read_back(void **state)
{
    (void)state;
    char dir[256], big[2001], name[16];
    uint8_t mk[CL_MASTER_KEY_LEN], key[8];
    cl_store *s = NULL;
    cl_txn *t = NULL, *c = NULL, *g = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 11);
    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_put_is(t, 1, "one");
    s_get_is(t, 1, "one");
    /* nested: overwritten, then aborted */
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    s_put_is(c, 1, "uno");
    s_get_is(c, 1, "uno");
    cl_store_abort(&c);
    s_get_is(t, 1, "one");
    /* nested and committed, then a grandchild's change aborted */
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    s_put_is(c, 2, "two");
    assert_int_equal(cl_store_begin(&g, s, c, true), CL_OK);
    s_put_is(g, 2, "deux");
    s_put_is(g, 3, "trois");
    cl_store_abort(&g);
    s_get_is(c, 2, "two");
    s_get_is(c, 3, NULL);
    assert_int_equal(cl_store_commit(&c), CL_OK);
    s_get_is(t, 2, "two");
    /* deleted in a child that aborts: there again */
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    cl_be64_put(key, 2);
    assert_int_equal(cl_store_del(c, CL_DB_REFERRAL, key, 8), CL_OK);
    s_get_is(c, 2, NULL);
    cl_store_abort(&c);
    s_get_is(t, 2, "two");
    /* a value too large to keep replaces a kept one */
    s_put_is(t, 1, big);
    s_get_is(t, 1, big);
    s_put_is(t, 1, "one again");
    /* more values than are kept */
    for (uint64_t i = 10; i < 100; i++) {
        snprintf(name, sizeof(name), "v%" PRIu64, i);
        s_put_is(t, i, name);
    }
    for (uint64_t i = 10; i < 100; i++) {
        snprintf(name, sizeof(name), "v%" PRIu64, i);
        s_get_is(t, i, name);
    }
    s_get_is(t, 1, "one again");
    assert_int_equal(cl_store_commit(&t), CL_OK);
    /* and a later transaction reads the file */
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_get_is(t, 1, "one again");
    s_get_is(t, 2, "two");
    s_get_is(t, 3, NULL);
    s_get_is(t, 99, "v99");
    cl_store_abort(&t);
    cl_store_close(&s);
}

/* A value a write transaction read from the file is read again from its
 * copy (vcache.c), and is what the transaction sees in LMDB at every step:
 * after a nested put that aborts, a nested delete that commits, and in
 * the next transaction, which reads the file again. */
static void test_values_read_kept(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], key[8];
    cl_store *s = NULL;
    cl_txn *t = NULL, *c = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 12);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_put_is(t, 1, "one");
    s_put_is(t, 2, "two");
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_get_is(t, 1, "one"); /* read from the file, kept */
    s_get_is(t, 2, "two");
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    s_get_is(c, 1, "one");
    s_put_is(c, 1, "uno");
    s_get_is(c, 1, "uno");
    cl_store_abort(&c);
    s_get_is(t, 1, "one");
    /* read in a child that aborts: read again from the file after */
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    s_get_is(c, 2, "two");
    cl_store_abort(&c);
    s_get_is(t, 2, "two");
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    cl_be64_put(key, 2);
    assert_int_equal(cl_store_del(c, CL_DB_REFERRAL, key, 8), CL_OK);
    s_get_is(c, 2, NULL);
    assert_int_equal(cl_store_commit(&c), CL_OK);
    s_get_is(t, 2, NULL);
    s_put_is(t, 1, "one again");
    cl_store_abort(&t);
    /* the next one sees the file as committed */
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_get_is(t, 1, "one");
    s_get_is(t, 2, "two");
    cl_store_abort(&t);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* Is v anywhere in the clear in t's value cache (vcache.c)? */
static bool s_in_clear(cl_txn *t, const char *v)
{
    cl_store__vcache *c = cl_store__vc_of(t);
    return c->vals &&
           memmem(c->vals, CL_STORE__VC_N * CL_STORE__VC_VAL, v, strlen(v));
}

static void s_put_in(cl_txn *t, cl_db db, const char *key, const char *v)
{
    assert_int_equal(cl_store_put(t, db, (const uint8_t *)key, strlen(key),
                                  (const uint8_t *)v, strlen(v)),
                     CL_OK);
}

/* A reply kept for a resent message id is never kept in the clear by the
 * write transaction, put or read; any other value is, until it is
 * dropped (a nested abort, a put over it, the cache emptied), and then
 * not one byte of it is left. */
static void test_values_kept_wiped(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], buf[64];
    size_t len = 0;
    cl_store *s = NULL;
    cl_txn *t = NULL, *c = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 13);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_put_in(t, CL_DB_IDEMPOTENCY, "msgid-blind-0001", "reply about P-1");
    s_put_in(t, CL_DB_REPLAY, "second00msgid-blind-0001", "reply about P-2");
    s_put_is(t, 1, "referral body");
    assert_false(s_in_clear(t, "reply about P-1"));
    assert_false(s_in_clear(t, "reply about P-2"));
    assert_true(s_in_clear(t, "referral body"));
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_IDEMPOTENCY,
                                  (const uint8_t *)"msgid-blind-0001", 16, buf,
                                  sizeof(buf), &len),
                     CL_OK);
    assert_memory_equal(buf, "reply about P-1", len);
    assert_int_equal(cl_store_get(t, CL_DB_REPLAY,
                                  (const uint8_t *)"second00msgid-blind-0001",
                                  24, buf, sizeof(buf), &len),
                     CL_OK);
    assert_memory_equal(buf, "reply about P-2", len);
    s_get_is(t, 1, "referral body");
    assert_false(s_in_clear(t, "reply about P-1"));
    assert_false(s_in_clear(t, "reply about P-2"));
    assert_true(s_in_clear(t, "referral body")); /* read, authenticated */
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    s_put_is(c, 2, "nested value");
    assert_true(s_in_clear(c, "nested value"));
    cl_store_abort(&c);
    assert_false(s_in_clear(t, "nested value"));
    s_put_is(t, 1, "short");
    assert_false(s_in_clear(t, "referral body"));
    assert_false(s_in_clear(t, "ral body")); /* not its tail either */
    cl_store__vc_clear(cl_store__vc_of(t));
    assert_false(s_in_clear(t, "short"));
    s_get_is(t, 1, "short"); /* from LMDB, and kept again */
    assert_true(s_in_clear(t, "short"));
    cl_store_abort(&t);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_read_back),
        cmocka_unit_test(test_values_read_kept),
        cmocka_unit_test(test_values_kept_wiped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
