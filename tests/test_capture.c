/*
 * test_capture: the store's change capture, the one mechanism replication
 * is built on. Every write transaction on one real LMDB store is captured,
 * applied to a second store opened with the same master key, and the two
 * must end identical: the same decrypted content (a digest over every
 * sub-database) and the same sealed bytes. Nested transactions that abort
 * leave nothing in the batch, a batch applies exactly once by sequence
 * number, a malformed batch changes nothing, and no plaintext is in a
 * batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sodium.h>

#include "codec.h"
#include "harness.h"
#include "store.h"

static const char s_canary[] = "Canary-Ottoline-Fennimore-Blackwood";

typedef struct s_pair {
    char dir_a[256], dir_b[256];
    cl_store *a, *b;
    uint64_t seq; /* last sequence applied to b */
} s_pair;

static void s_open_pair(s_pair *p)
{
    uint8_t mk[CL_MASTER_KEY_LEN];
    memset(p, 0, sizeof(*p));
    memset(mk, 7, sizeof(mk));
    th_tmpdir(p->dir_a, sizeof(p->dir_a));
    th_tmpdir(p->dir_b, sizeof(p->dir_b));
    assert_int_equal(cl_store_open(&p->a, p->dir_a, mk, 1 << 20), CL_OK);
    assert_int_equal(cl_store_open(&p->b, p->dir_b, mk, 1 << 20), CL_OK);
    cl_store_capture(p->a, true);
}

static void s_digest(cl_store *s, uint8_t d[CL_STORE_DIGEST_LEN])
{
    cl_txn *t = NULL;
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    assert_int_equal(cl_store_digest(t, d), CL_OK);
    cl_store_abort(&t);
}

static void s_assert_same(s_pair *p)
{
    uint8_t da[CL_STORE_DIGEST_LEN], db[CL_STORE_DIGEST_LEN];
    s_digest(p->a, da);
    s_digest(p->b, db);
    assert_memory_equal(da, db, sizeof(da));
}

/* Commit t on a after shipping its batch to b under the next sequence
 * number; the sequence is stored on both sides, as the daemon does. */
static void s_ship(s_pair *p, cl_txn **t)
{
    const uint8_t *batch;
    size_t len, count;
    cl_txn *tb = NULL;
    assert_int_equal(cl_store_changes(*t, p->seq, &batch, &len, &count), CL_OK);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, batch, len);
    assert_null(memmem(copy, len, s_canary, strlen(s_canary)));
    p->seq++;
    assert_int_equal(cl_store_set_applied(*t, p->seq), CL_OK);
    assert_int_equal(cl_store_commit(t), CL_OK);
    assert_int_equal(cl_store_begin(&tb, p->b, NULL, true), CL_OK);
    assert_int_equal(cl_store_apply(tb, copy, len, p->seq), CL_OK);
    assert_int_equal(cl_store_commit(&tb), CL_OK);
    free(copy);
}

static void s_person(cl_txn *t, uint64_t id, const char *what)
{
    uint8_t key[8];
    cl_be64_put(key, id);
    assert_int_equal(cl_store_put(t, CL_DB_PERSON, key, 8,
                                  (const uint8_t *)what, strlen(what) + 1),
                     CL_OK);
}

/* The sealed bytes of every person are identical in both stores, and
 * both have applied the same number of batches. */
static void s_assert_sealed_same(s_pair *p)
{
    uint8_t key[8];
    cl_txn *ta = NULL, *tb = NULL;
    assert_int_equal(cl_store_begin(&ta, p->a, NULL, false), CL_OK);
    assert_int_equal(cl_store_begin(&tb, p->b, NULL, false), CL_OK);
    uint8_t va[512], vb[512];
    size_t la, lb;
    for (uint64_t i = 1; i <= 20; i++) {
        cl_be64_put(key, i);
        int ra = cl_store_get(ta, CL_DB_PERSON, key, 8, va, sizeof(va), &la);
        int rb = cl_store_get(tb, CL_DB_PERSON, key, 8, vb, sizeof(vb), &lb);
        assert_int_equal(ra, rb);
        if (ra == CL_OK) {
            assert_int_equal(la, lb);
            assert_memory_equal(va, vb, la);
        }
    }
    uint64_t sa, sb;
    assert_int_equal(cl_store_applied(ta, &sa), CL_OK);
    assert_int_equal(cl_store_applied(tb, &sb), CL_OK);
    assert_int_equal(sa, 4);
    assert_int_equal(sb, 4);
    cl_store_abort(&ta);
    cl_store_abort(&tb);
}

/* Raw LMDB, after both stores are closed: every sealed byte of the person
 * sub-database matches. */
static void s_assert_raw_same(const s_pair *p)
{

    MDB_env *env[2];
    MDB_txn *txn[2];
    MDB_dbi dbi[2];
    MDB_cursor *cur[2];
    const char *dirs[2] = {p->dir_a, p->dir_b};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mdb_env_create(&env[i]), 0);
        mdb_env_set_maxdbs(env[i], 64);
        assert_int_equal(mdb_env_open(env[i], dirs[i], MDB_RDONLY, 0600), 0);
        assert_int_equal(mdb_txn_begin(env[i], NULL, MDB_RDONLY, &txn[i]), 0);
        assert_int_equal(mdb_dbi_open(txn[i], "person", 0, &dbi[i]), 0);
        assert_int_equal(mdb_cursor_open(txn[i], dbi[i], &cur[i]), 0);
    }
    MDB_val k[2], val[2];
    int n = 0, r0, r1;
    for (r0 = mdb_cursor_get(cur[0], &k[0], &val[0], MDB_FIRST),
        r1 = mdb_cursor_get(cur[1], &k[1], &val[1], MDB_FIRST);
         r0 == 0 && r1 == 0;
         r0 = mdb_cursor_get(cur[0], &k[0], &val[0], MDB_NEXT),
        r1 = mdb_cursor_get(cur[1], &k[1], &val[1], MDB_NEXT), n++) {
        assert_int_equal(k[0].mv_size, k[1].mv_size);
        assert_memory_equal(k[0].mv_data, k[1].mv_data, k[0].mv_size);
        assert_int_equal(val[0].mv_size, val[1].mv_size);
        assert_memory_equal(val[0].mv_data, val[1].mv_data, val[0].mv_size);
    }
    assert_int_equal(r0, MDB_NOTFOUND);
    assert_int_equal(r1, MDB_NOTFOUND);
    assert_int_equal(n, 19); /* 20 persons, one deleted */
    for (int i = 0; i < 2; i++) {
        mdb_cursor_close(cur[i]);
        mdb_txn_abort(txn[i]);
        mdb_env_close(env[i]);
    }
}

static void test_apply_ends_identical(void **state)
{
    (void)state;
    s_pair p;
    cl_txn *t = NULL, *child = NULL;
    uint64_t id;
    uint8_t key[8], blind[CL_BLIND_LEN + 8];
    const uint8_t *batch;
    size_t len, count;
    s_open_pair(&p);

    /* 1: sealed values, index rows, a counter */
    assert_int_equal(cl_store_begin(&t, p.a, NULL, true), CL_OK);
    for (uint64_t i = 1; i <= 20; i++) {
        char v[96];
        snprintf(v, sizeof(v), "%s-%llu", s_canary, (unsigned long long)i);
        s_person(t, i, v);
        memset(blind, (int)i, CL_BLIND_LEN);
        cl_be64_put(blind + CL_BLIND_LEN, i);
        assert_int_equal(
            cl_store_put_raw(t, CL_DB_BLIND, blind, sizeof(blind), NULL, 0),
            CL_OK);
        assert_int_equal(cl_store_next_id(t, "person", &id), CL_OK);
    }
    s_ship(&p, &t);
    s_assert_same(&p);

    /* 2: a nested transaction that aborts leaves nothing; one that commits
     * stays; deletes are carried */
    assert_int_equal(cl_store_begin(&t, p.a, NULL, true), CL_OK);
    assert_int_equal(cl_store_changes(t, 0, &batch, &len, &count), CL_OK);
    assert_int_equal(count, 0);
    assert_int_equal(cl_store_begin(&child, p.a, t, true), CL_OK);
    s_person(child, 99, "never committed");
    cl_be64_put(key, 3);
    assert_int_equal(cl_store_del(child, CL_DB_PERSON, key, 8), CL_OK);
    cl_store_abort(&child);
    assert_int_equal(cl_store_changes(t, 0, &batch, &len, &count), CL_OK);
    assert_int_equal(count, 0);
    assert_int_equal(cl_store_begin(&child, p.a, t, true), CL_OK);
    cl_be64_put(key, 4);
    assert_int_equal(cl_store_del(child, CL_DB_PERSON, key, 8), CL_OK);
    assert_int_equal(cl_store_del(child, CL_DB_PERSON, key, 8),
                     CL_ERR_NOT_FOUND); /* not recorded twice */
    assert_int_equal(cl_store_commit(&child), CL_OK);
    s_person(t, 5, "replaced value");
    assert_int_equal(cl_store_changes(t, 0, &batch, &len, &count), CL_OK);
    /* the two rows, and the digests of their one group (persons 4 and 5
     * share the 7-byte prefix) and of the total, each written once by
     * the transaction however many of its rows moved them, and the
     * store's anchor the total moves */
    assert_int_equal(count, 2 + 2 + 1);
    s_ship(&p, &t);
    s_assert_same(&p);

    /* 3: a key rotation and a re-seal pass move to the other store too */
    uint32_t v = 0;
    assert_int_equal(cl_store_begin(&t, p.a, NULL, true), CL_OK);
    assert_int_equal(cl_store_rotate(t, &v), CL_OK);
    assert_int_equal(v, 2);
    s_ship(&p, &t);
    assert_int_equal(cl_store_key_version(p.b), 2);
    cl_reseal_pos pos;
    memset(&pos, 0, sizeof(pos));
    size_t done = 0;
    assert_int_equal(cl_store_begin(&t, p.a, NULL, true), CL_OK);
    assert_int_equal(cl_store_reseal(t, &pos, 1000, &done), CL_OK);
    assert_true(done >= 19);
    s_ship(&p, &t);
    s_assert_same(&p);

    s_assert_sealed_same(&p);
    cl_store_close(&p.a);
    cl_store_close(&p.b);
    s_assert_raw_same(&p);
    char path[300];
    snprintf(path, sizeof(path), "%s/data.mdb", p.dir_b);
    assert_false(th_file_contains(path, s_canary));
}

static void test_exactly_once(void **state)
{
    (void)state;
    s_pair p;
    cl_txn *t = NULL, *tb = NULL;
    const uint8_t *batch;
    size_t len, count;
    uint8_t before[CL_STORE_DIGEST_LEN], after[CL_STORE_DIGEST_LEN];
    uint64_t id;
    s_open_pair(&p);
    assert_int_equal(cl_store_begin(&t, p.a, NULL, true), CL_OK);
    assert_int_equal(cl_store_next_id(t, "referral", &id), CL_OK);
    s_person(t, 1, "one");
    assert_int_equal(cl_store_changes(t, 6, &batch, &len, &count), CL_OK);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, batch, len);
    assert_int_equal(cl_store_set_applied(t, 7), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);

    /* applied as sequence 7 */
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
    assert_int_equal(cl_store_apply(tb, copy, len, 7), CL_OK);
    assert_int_equal(cl_store_commit(&tb), CL_OK);
    s_digest(p.b, before);
    /* again, and an older one: refused, nothing changes */
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
    assert_int_equal(cl_store_apply(tb, copy, len, 7), CL_ERR_EXISTS);
    assert_int_equal(cl_store_apply(tb, copy, len, 3), CL_ERR_EXISTS);
    assert_int_equal(cl_store_apply(tb, copy, len, 0), CL_ERR_INVALID);
    assert_int_equal(cl_store_commit(&tb), CL_OK);
    s_digest(p.b, after);
    assert_memory_equal(before, after, sizeof(before));
    /* the counter was applied once: still 1 */
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, false), CL_OK);
    assert_int_equal(cl_store_counter(tb, "referral", &id), CL_OK);
    assert_int_equal(id, 1);
    cl_store_abort(&tb);

    /* malformed: every truncation, a flipped op, a foreign sub-database */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
        assert_int_equal(cl_store_apply(tb, copy, cut, 8), CL_ERR_CORRUPT);
        cl_store_abort(&tb);
    }
    uint8_t *bad = malloc(len + 1);
    assert_non_null(bad);
    memcpy(bad, copy, len);
    bad[16] = 9; /* first record's op */
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
    assert_int_equal(cl_store_apply(tb, bad, len, 8), CL_ERR_CORRUPT);
    cl_store_abort(&tb);
    memcpy(bad, copy, len);
    bad[18] ^= 0x20; /* first letter of the sub-database name */
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
    assert_int_equal(cl_store_apply(tb, bad, len, 8), CL_ERR_CORRUPT);
    cl_store_abort(&tb);
    memcpy(bad, copy, len);
    bad[len] = 0; /* trailing garbage */
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
    assert_int_equal(cl_store_apply(tb, bad, len + 1, 8), CL_ERR_CORRUPT);
    cl_store_abort(&tb);
    /* a genuine batch replayed at another place in the log */
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
    assert_int_equal(cl_store_apply(tb, copy, len, 8), CL_ERR_CORRUPT);
    cl_store_abort(&tb);
    /* a batch made under another master key */
    {
        char dir[256];
        uint8_t mk2[CL_MASTER_KEY_LEN];
        cl_store *other = NULL;
        cl_txn *to = NULL;
        const uint8_t *ob;
        size_t olen, on;
        memset(mk2, 9, sizeof(mk2));
        th_tmpdir(dir, sizeof(dir));
        assert_int_equal(cl_store_open(&other, dir, mk2, 1 << 20), CL_OK);
        cl_store_capture(other, true);
        assert_int_equal(cl_store_begin(&to, other, NULL, true), CL_OK);
        s_person(to, 2, "forged");
        assert_int_equal(cl_store_changes(to, 7, &ob, &olen, &on), CL_OK);
        assert_int_equal(cl_store_begin(&tb, p.b, NULL, true), CL_OK);
        assert_int_equal(cl_store_apply(tb, ob, olen, 8), CL_ERR_CORRUPT);
        cl_store_abort(&tb);
        cl_store_abort(&to);
        cl_store_close(&other);
    }
    s_digest(p.b, after);
    assert_memory_equal(before, after, sizeof(before));
    free(bad);

    /* the applied sequence survives a reopen */
    cl_store_close(&p.b);
    uint8_t mk[CL_MASTER_KEY_LEN];
    memset(mk, 7, sizeof(mk));
    assert_int_equal(cl_store_open(&p.b, p.dir_b, mk, 1 << 20), CL_OK);
    uint64_t seq;
    assert_int_equal(cl_store_begin(&tb, p.b, NULL, false), CL_OK);
    assert_int_equal(cl_store_applied(tb, &seq), CL_OK);
    assert_int_equal(seq, 7);
    /* and only top-level write transactions have a batch */
    assert_int_equal(cl_store_changes(tb, 0, &batch, &len, &count),
                     CL_ERR_INVALID);
    cl_store_abort(&tb);
    free(copy);
    cl_store_close(&p.a);
    cl_store_close(&p.b);
}

/* With capture on, a write transaction that was never given a sequence
 * (a writer that bypassed the log) is refused at commit and leaves
 * nothing; one that changed nothing commits. */
static void test_unsequenced_refused(void **state)
{
    (void)state;
    s_pair p;
    cl_txn *t = NULL;
    uint8_t key[8], buf[64];
    size_t len;
    s_open_pair(&p);
    assert_int_equal(cl_store_begin(&t, p.a, NULL, true), CL_OK);
    s_person(t, 1, "bypassing");
    assert_int_equal(cl_store_commit(&t), CL_ERR_INTERNAL);
    assert_null(t);
    assert_int_equal(cl_store_begin(&t, p.a, NULL, false), CL_OK);
    cl_be64_put(key, 1);
    assert_int_equal(
        cl_store_get(t, CL_DB_PERSON, key, 8, buf, sizeof(buf), &len),
        CL_ERR_NOT_FOUND);
    cl_store_abort(&t);
    assert_int_equal(cl_store_begin(&t, p.a, NULL, true), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&p.a);
    cl_store_close(&p.b);
}

/* Capture off (the default): no batch, and nothing else changes. */
static void test_capture_off(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    const uint8_t *batch;
    size_t len, count;
    memset(mk, 7, sizeof(mk));
    th_tmpdir(dir, sizeof(dir));
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_person(t, 1, "one");
    assert_int_equal(cl_store_changes(t, 0, &batch, &len, &count),
                     CL_ERR_INVALID);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_ends_identical),
        cmocka_unit_test(test_exactly_once),
        cmocka_unit_test(test_unsequenced_refused),
        cmocka_unit_test(test_capture_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
