/*
 * test_block: the candidate fetch path on a real LMDB file. A block is
 * read in one descent and only when it holds at most the cap (a bigger
 * one is skipped unread), a name's frequency is counted without reading
 * its rows, and a row forged into the file is refused whenever a block
 * is read, never used.
 */
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core.h"
#include "harness.h"
#include "store.h"

typedef struct s_fx {
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s;
} s_fx;

static int s_setup(void **state)
{
    s_fx *f = calloc(1, sizeof(*f));
    th_tmpdir(f->dir, sizeof(f->dir));
    memset(f->mk, 7, sizeof(f->mk));
    if (cl_store_open(&f->s, f->dir, f->mk, 1 << 24) != CL_OK)
        return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fx *f = *state;
    cl_store_close(&f->s);
    th_sh("rm -rf %s", f->dir);
    free(f);
    return 0;
}

static void s_key(uint8_t k[CL_BLIND_LEN], char c)
{
    memset(k, c, CL_BLIND_LEN);
}

/* n records under block key c: ids from first. */
static void s_fill(cl_store *s, char c, uint64_t first, size_t n)
{
    cl_txn *t = NULL;
    cl_records_blinds b = {.n = 1, .block = {true}};
    s_key(b.k[0], c);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cl_records_blinds_put(t, &b, 0, first + i), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
}

/* What a block read gives: rc, the ids in *ids (freed by the caller). */
static int s_read(cl_store *s, char c, size_t max, cl_records_ids *ids,
                  bool *over)
{
    cl_txn *t = NULL;
    uint8_t k[CL_BLIND_LEN];
    s_key(k, c);
    *ids = (cl_records_ids){.max = CL_STORE_SCAN_UPTO + 1};
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    int rc = cl_records_lookup_block_upto(t, k, max, ids, over);
    cl_store_abort(&t);
    return rc;
}

static size_t s_count(cl_store *s, char c, size_t max)
{
    cl_txn *t = NULL;
    uint8_t k[CL_BLIND_LEN];
    size_t n = 99999;
    s_key(k, c);
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    assert_int_equal(cl_store_count(t, CL_DB_BLOCK, k, sizeof(k), max, &n),
                     CL_OK);
    cl_store_abort(&t);
    return n;
}

static void test_block_read_up_to_the_cap(void **state)
{
    s_fx *f = *state;
    cl_records_ids ids;
    bool over = true;
    s_fill(f->s, 'a', 100, 5);
    s_fill(f->s, 'b', 200, 3);
    s_fill(f->s, 'c', 300, CL_BLOCK_CAP + 1);
    /* at the cap: every id, in order, and none of the next block's */
    assert_int_equal(s_read(f->s, 'a', 5, &ids, &over), CL_OK);
    assert_false(over);
    assert_int_equal(ids.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ids.v[i], 100 + i);
    free(ids.v);
    /* one over: nothing */
    assert_int_equal(s_read(f->s, 'a', 4, &ids, &over), CL_OK);
    assert_true(over);
    assert_int_equal(ids.n, 0);
    free(ids.v);
    assert_int_equal(s_read(f->s, 'c', CL_BLOCK_CAP, &ids, &over), CL_OK);
    assert_true(over);
    assert_int_equal(ids.n, 0);
    free(ids.v);
    /* an empty block, and a cap the function cannot hold */
    assert_int_equal(s_read(f->s, 'z', 5, &ids, &over), CL_OK);
    assert_false(over);
    assert_int_equal(ids.n, 0);
    free(ids.v);
    assert_int_equal(s_read(f->s, 'a', CL_STORE_SCAN_UPTO + 1, &ids, &over),
                     CL_ERR_INVALID);
    free(ids.v);
    /* counts stop at their max */
    assert_int_equal(s_count(f->s, 'a', 100), 5);
    assert_int_equal(s_count(f->s, 'a', 3), 3);
    assert_int_equal(s_count(f->s, 'b', 100), 3);
    assert_int_equal(s_count(f->s, 'c', 1000), CL_BLOCK_CAP + 1);
    assert_int_equal(s_count(f->s, 'z', 100), 0);
}

/* Put a row into the closed store's block sub-database with LMDB alone,
 * as whoever holds the file could: blind 'a' x 16 || id, a made-up tag. */
static void s_forge(const char *dir, uint64_t id)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t key[CL_BLIND_LEN + 8], tag[16];
    memset(key, 'a', CL_BLIND_LEN);
    cl_be64_put(key + CL_BLIND_LEN, id);
    memset(tag, 0x5a, sizeof(tag));
    MDB_val k = {sizeof(key), key}, v = {sizeof(tag), tag};
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 128);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, cl_store_db_name(CL_DB_BLOCK), 0, &dbi),
                     0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_forged_row_refused(void **state)
{
    s_fx *f = *state;
    cl_records_ids ids;
    bool over = false;
    s_fill(f->s, 'a', 100, 5);
    cl_store_close(&f->s);
    s_forge(f->dir, 777);
    assert_int_equal(cl_store_open(&f->s, f->dir, f->mk, 1 << 24), CL_OK);
    /* read: the forged row fails its tag, and the whole read with it */
    assert_int_equal(s_read(f->s, 'a', 10, &ids, &over), CL_ERR_CORRUPT);
    free(ids.v);
    /* the same as a full scan does */
    cl_txn *t = NULL;
    uint8_t k[CL_BLIND_LEN];
    s_key(k, 'a');
    ids = (cl_records_ids){.max = 100};
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    assert_int_equal(cl_records_lookup_block(t, k, &ids), CL_ERR_CORRUPT);
    cl_store_abort(&t);
    free(ids.v);
    /* over the cap it is skipped unread: the block is not used at all,
     * which is all a forged row can do (as deleting rows can) */
    assert_int_equal(s_read(f->s, 'a', 5, &ids, &over), CL_OK);
    assert_true(over);
    assert_int_equal(ids.n, 0);
    free(ids.v);
    /* a count is only a count */
    assert_int_equal(s_count(f->s, 'a', 100), 6);
}

/* The matching path: a person whose only shared key's block is over the
 * cap is not a candidate; under it, they are. */
static void test_candidates_skip_big_blocks(void **state)
{
    s_fx *f = *state;
    cl_txn *t = NULL;
    cl_person p;
    cl_records_blinds b = {0};
    memset(&p, 0, sizeof(p));
    CL_COPY(p.given, "Olivia");
    CL_COPY(p.family, "Ramsbottom");
    CL_COPY(p.dob, "1990-04-12");
    CL_COPY(p.postcode, "LS1 2AB");
    uint32_t weak = 0;
    size_t strong[2], ns = 0;
    b.n = cl_block_keys_tiered(f->s, &p, b.k, CL_BLOCK_MAX, &weak);
    for (size_t i = 0; i < b.n; i++)
        b.block[i] = true;
    for (size_t i = 0; i < b.n && ns < 2; i++)
        if (!((weak >> i) & 1u))
            strong[ns++] = i;
    assert_int_equal(ns, 2);
    /* records 1..n under one key only, then one more */
    size_t n = CL_BLOCK_CAP;
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    for (uint64_t id = 1; id <= n; id++)
        assert_int_equal(cl_records_blinds_put(t, &b, strong[0], id), CL_OK);
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_block_candidates(t, f->s, &p, &ids), CL_OK);
    assert_int_equal(ids.n, n);
    free(ids.v);
    assert_int_equal(cl_records_blinds_put(t, &b, strong[0], n + 1), CL_OK);
    ids = (cl_records_ids){.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_block_candidates(t, f->s, &p, &ids), CL_OK);
    assert_int_equal(ids.n, 0);
    free(ids.v);
    /* another strong key with one record brings that one alone */
    assert_int_equal(cl_records_blinds_put(t, &b, strong[1], 5000), CL_OK);
    ids = (cl_records_ids){.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_block_candidates(t, f->s, &p, &ids), CL_OK);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ids.v[0], 5000);
    free(ids.v);
    cl_store_abort(&t);
    sodium_memzero(&b, sizeof(b));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_block_read_up_to_the_cap, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_forged_row_refused, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_candidates_skip_big_blocks,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
