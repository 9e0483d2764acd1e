/*
 * test_store: the encrypted store on a real LMDB file. Round trips, tamper
 * and move detection, wrong master key, key file permissions, golden
 * vectors for the sealed format, and no plaintext in the data file.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sodium.h>

#include "codec.h"
#include "harness.h"
#include "seal.h"
#include "store.h"

static const char s_canary[] = "Canary-Wilhelmina-Featherstonehaugh";

static void s_key(uint8_t k[CL_MASTER_KEY_LEN], uint8_t fill)
{
    memset(k, fill, CL_MASTER_KEY_LEN);
}

static void test_round_trip_and_plaintext(void **state)
{
    (void)state;
    char dir[256], path[300];
    uint8_t mk[CL_MASTER_KEY_LEN], buf[256], key[8];
    size_t len;
    cl_store *s = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 1);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    cl_be64_put(key, 42);
    assert_int_equal(cl_store_put(t, CL_DB_PERSON, key, 8,
                                  (const uint8_t *)s_canary, sizeof(s_canary)),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    assert_int_equal(
        cl_store_get(t, CL_DB_PERSON, key, 8, buf, sizeof(buf), &len), CL_OK);
    assert_int_equal(len, sizeof(s_canary));
    assert_string_equal((char *)buf, s_canary);
    cl_be64_put(key, 43);
    assert_int_equal(
        cl_store_get(t, CL_DB_PERSON, key, 8, buf, sizeof(buf), &len),
        CL_ERR_NOT_FOUND);
    cl_store_abort(&t);
    cl_store_close(&s);
    cl_store_close(&s); /* safe twice */
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    assert_false(th_file_contains(path, s_canary));
    assert_false(th_file_contains(path, "Featherstonehaugh"));
}

/* Rewrite one stored value with raw LMDB, behind the store's back. */
static void s_raw_edit(const char *dir, const char *db, const uint8_t *key,
                       size_t klen, int flip_at, const uint8_t *copy_to,
                       size_t copy_klen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key}, v;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    MDB_val nv = {v.mv_size, copy};
    if (flip_at >= 0) {
        copy[(size_t)flip_at % v.mv_size] ^= 0x01;
        assert_int_equal(mdb_put(txn, dbi, &k, &nv, 0), 0);
    } else {
        MDB_val k2 = {copy_klen, (void *)copy_to};
        assert_int_equal(mdb_put(txn, dbi, &k2, &nv, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(copy);
}

static void test_tamper_detected(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], buf[256], k1[8], k2[8];
    size_t len;
    cl_store *s = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 2);
    cl_be64_put(k1, 1);
    cl_be64_put(k2, 2);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(
        cl_store_put(t, CL_DB_RECORD, k1, 8, (const uint8_t *)"record one", 10),
        CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_REFERRAL, k1, 8,
                                  (const uint8_t *)"referral one", 12),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);

    /* every byte position of a sealed value is covered */
    for (int at = 0; at < 10 + CL_SEAL_OVERHEAD; at += 7) {
        s_raw_edit(dir, "record", k1, 8, at, NULL, 0);
        assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
        assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
        assert_int_equal(
            cl_store_get(t, CL_DB_RECORD, k1, 8, buf, sizeof(buf), &len),
            CL_ERR_CORRUPT);
        cl_store_abort(&t);
        cl_store_close(&s);
        s_raw_edit(dir, "record", k1, 8, at, NULL, 0); /* flip back */
    }
    /* a value moved to another key fails to open */
    s_raw_edit(dir, "referral", k1, 8, -1, k2, 8);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    assert_int_equal(
        cl_store_get(t, CL_DB_REFERRAL, k1, 8, buf, sizeof(buf), &len), CL_OK);
    assert_int_equal(
        cl_store_get(t, CL_DB_REFERRAL, k2, 8, buf, sizeof(buf), &len),
        CL_ERR_CORRUPT);
    cl_store_abort(&t);
    cl_store_close(&s);
}

static void test_wrong_master_key(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 3);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    cl_store_close(&s);
    s_key(mk, 4);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_ERR_KEY);
    assert_null(s);
    s_key(mk, 3);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    cl_store_close(&s);
}

static void test_key_file(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    uint8_t k[CL_MASTER_KEY_LEN];
    th_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/master.key", dir);
    assert_int_equal(cl_store_key_generate(path), CL_OK);
    assert_int_equal(cl_store_key_generate(path), CL_ERR_EXISTS);
    assert_int_equal(cl_store_key_load(k, path, err, sizeof(err)), CL_OK);
    chmod(path, 0644);
    assert_int_equal(cl_store_key_load(k, path, err, sizeof(err)), CL_ERR_PERM);
    assert_non_null(strstr(err, "chmod 600"));
    chmod(path, 0600);
    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_int_equal(cl_store_key_load(k, path, err, sizeof(err)), CL_ERR_KEY);
    snprintf(path, sizeof(path), "%s/missing.key", dir);
    assert_int_equal(cl_store_key_load(k, path, err, sizeof(err)), CL_ERR_IO);
}

/* Fixed key, nonce, AD and plaintext must always give these bytes: a
 * change to the sealed format can never be silent. */
static void test_golden_vector(void **state)
{
    (void)state;
    static const char expect[] =
        "0100000007000102030405060708090a0b0c0d0e0f1011121314151617"
        "0887e6e3e681d2002e4919c8d51abf9e6645875a88f6b885";
    uint8_t key[CL_KEY_LEN], nonce[CL_SEAL_NONCE], out[64], pt[16];
    char hex[200];
    size_t plen;
    for (int i = 0; i < CL_KEY_LEN; i++)
        key[i] = (uint8_t)(0x80 + i);
    for (int i = 0; i < CL_SEAL_NONCE; i++)
        nonce[i] = (uint8_t)i;
    const uint8_t ad[] = "person\0\0\0\0\0\0\0\0\x01";
    assert_int_equal(
        cl_seal(out, key, 7, nonce, ad, 15, (const uint8_t *)"hello, 0", 8),
        CL_OK);
    sodium_bin2hex(hex, sizeof(hex), out, 8 + CL_SEAL_OVERHEAD);
    assert_string_equal(hex, expect);
    assert_int_equal(cl_seal_open(pt, sizeof(pt), &plen, key, ad, 15, out,
                                  8 + CL_SEAL_OVERHEAD),
                     CL_OK);
    assert_memory_equal(pt, "hello, 0", 8);
    uint32_t ver;
    assert_int_equal(cl_seal_version(&ver, out, 8 + CL_SEAL_OVERHEAD), CL_OK);
    assert_int_equal(ver, 7);
    /* the version byte is authenticated */
    out[4] = 8;
    assert_int_equal(cl_seal_open(pt, sizeof(pt), &plen, key, ad, 15, out,
                                  8 + CL_SEAL_OVERHEAD),
                     CL_ERR_CORRUPT);
}

/* Collect the nonce of every value in a sealed sub-database, raw. */
static size_t s_raw_nonces(const char *dir, const char *db,
                           uint8_t (*out)[CL_SEAL_NONCE], size_t cap)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t n = 0;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 64);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < cap;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        assert_true(v.mv_size >= CL_SEAL_OVERHEAD);
        memcpy(out[n++], (const uint8_t *)v.mv_data + CL_SEAL_PREFIX,
               CL_SEAL_NONCE);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return n;
}

static int s_cmp_nonce(const void *a, const void *b)
{
    return memcmp(a, b, CL_SEAL_NONCE);
}

/* Nonces come from a per-opening random prefix and a counter (no system
 * call per value): every value's nonce differs, within one opening and
 * across openings, and each opening draws a new prefix. */
static void test_nonces_unique(void **state)
{
    (void)state;
    enum { PER = 1500, OPENINGS = 3 };
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], key[8];
    static uint8_t nonces[PER * OPENINGS][CL_SEAL_NONCE];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 6);
    for (int o = 0; o < OPENINGS; o++) {
        assert_int_equal(cl_store_open(&s, dir, mk, 8 << 20), CL_OK);
        assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
        for (uint64_t i = 0; i < PER; i++) {
            cl_be64_put(key, (uint64_t)o * PER + i);
            assert_int_equal(cl_store_put(t, CL_DB_PERSON, key, 8,
                                          (const uint8_t *)"same value", 10),
                             CL_OK);
        }
        assert_int_equal(cl_store_commit(&t), CL_OK);
        cl_store_close(&s);
    }
    size_t n = s_raw_nonces(dir, "person", nonces, PER * OPENINGS);
    assert_int_equal(n, PER * OPENINGS);
    /* keys are in opening order: each opening's values share a prefix,
     * and no two openings share one */
    for (int o = 0; o < OPENINGS; o++) {
        for (size_t i = 1; i < PER; i++)
            assert_memory_equal(nonces[(size_t)o * PER],
                                nonces[(size_t)o * PER + i],
                                CL_SEAL_NONCE_PREFIX);
        if (o > 0)
            assert_memory_not_equal(nonces[(size_t)(o - 1) * PER],
                                    nonces[(size_t)o * PER],
                                    CL_SEAL_NONCE_PREFIX);
    }
    qsort(nonces, n, CL_SEAL_NONCE, s_cmp_nonce);
    for (size_t i = 1; i < n; i++)
        assert_memory_not_equal(nonces[i - 1], nonces[i], CL_SEAL_NONCE);
}

static void test_blind_and_counters(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], a[CL_BLIND_LEN], b[CL_BLIND_LEN],
        c[CL_BLIND_LEN];
    cl_store *s = NULL, *s2 = NULL;
    cl_txn *t = NULL;
    uint64_t id = 0;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 5);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    cl_store_blind(s, a, "nhs", (const uint8_t *)"9434765919", 10);
    cl_store_blind(s, b, "nhs", (const uint8_t *)"9434765919", 10);
    cl_store_blind(s, c, "chi", (const uint8_t *)"9434765919", 10);
    assert_memory_equal(a, b, CL_BLIND_LEN);
    assert_memory_not_equal(a, c, CL_BLIND_LEN);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_next_id(t, "x", &id), CL_OK);
    assert_int_equal(id, 1);
    assert_int_equal(cl_store_next_id(t, "x", &id), CL_OK);
    assert_int_equal(id, 2);
    cl_store_abort(&t);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_next_id(t, "x", &id), CL_OK);
    assert_int_equal(id, 1); /* aborted increments vanish */
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    /* another master key gives other blind indexes */
    char dir2[256];
    th_tmpdir(dir2, sizeof(dir2));
    s_key(mk, 6);
    assert_int_equal(cl_store_open(&s2, dir2, mk, 1 << 20), CL_OK);
    cl_store_blind(s2, b, "nhs", (const uint8_t *)"9434765919", 10);
    assert_memory_not_equal(a, b, CL_BLIND_LEN);
    cl_store_close(&s2);
}

static void test_map_full_and_grow(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], key[8], val[4000];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 7);
    memset(val, 'v', sizeof(val));
    assert_int_equal(cl_store_open(&s, dir, mk, 256 * 1024), CL_OK);
    int rc = CL_OK;
    uint64_t i = 0;
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (; i < 1000 && rc == CL_OK; i++) {
        cl_be64_put(key, i);
        rc = cl_store_put(t, CL_DB_RECORD, key, 8, val, sizeof(val));
    }
    assert_int_equal(rc, CL_ERR_FULL);
    cl_store_abort(&t);
    assert_int_equal(cl_store_grow(s, 64u << 20), CL_OK);
    assert_int_equal(cl_store_grow(s, 64u << 20), CL_OK);
    assert_int_equal(cl_store_grow(s, 64u << 20), CL_OK);
    assert_int_equal(cl_store_grow(s, 64u << 20), CL_OK);
    assert_int_equal(cl_store_grow(s, 64u << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (uint64_t j = 0; j < i; j++) {
        cl_be64_put(key, j);
        assert_int_equal(
            cl_store_put(t, CL_DB_RECORD, key, 8, val, sizeof(val)), CL_OK);
    }
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
}

/* --- authenticated index rows ---------------------------------------------
 * Every index that decides what a user sees, with its group prefix; the
 * attacker has the data file but not the master key. */
static const struct {
    cl_db db;
    size_t group; /* 0: rows authenticate, no group digest */
} s_ix[] = {
    {CL_DB_BLIND, 16},           {CL_DB_PERSON_RECORDS, 8},
    {CL_DB_RECORD_REFERRALS, 8}, {CL_DB_RELATION, 8},
    {CL_DB_AUDIT_PERSON, 8},     {CL_DB_ACTIVITY, 0},
    {CL_DB_PERSON_PLANS, 8},     {CL_DB_AGENDA, 8},
    {CL_DB_PERSON_REQUESTS, 8},  {CL_DB_PERSON_AGENDA, 8},
    {CL_DB_AUDIT_USER, 16},      {CL_DB_PERSON_INTAKE, 8},
};

static bool s_sealed(cl_db db)
{
    return db == CL_DB_RELATION;
}

/* Rows k(g, r) = g(group bytes) || r(8) with value "why" = 7. */
static void s_ix_key(uint8_t *k, size_t group, uint64_t g, uint64_t r)
{
    memset(k, 0, 24);
    cl_be64_put(k + (group > 8 ? group - 8 : 0), g);
    cl_be64_put(k + (group ? group : 8), r);
}

static size_t s_ix_klen(size_t group)
{
    return (group ? group : 8) + 8;
}

static void s_ix_fill(cl_store *s, cl_db db, size_t group)
{
    cl_txn *t = NULL;
    uint8_t k[24], why = 7;
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (uint64_t g = 1; g <= 2; g++)
        for (uint64_t r = 1; r <= 3; r++) {
            s_ix_key(k, group, g, r);
            if (s_sealed(db))
                assert_int_equal(
                    cl_store_put(t, db, k, s_ix_klen(group), &why, 1), CL_OK);
            else
                assert_int_equal(
                    cl_store_put_raw(t, db, k, s_ix_klen(group), &why, 1),
                    CL_OK);
        }
    /* a row removed by the daemon itself is no tampering */
    s_ix_key(k, group, 2, 3);
    assert_int_equal(cl_store_del(t, db, k, s_ix_klen(group)), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
}

static int s_ix_count(void *ctx, const uint8_t *key, size_t len)
{
    (void)key;
    (void)len;
    (*(int *)ctx)++;
    return CL_OK;
}

/* Read group g as the daemon does: a scan of its prefix and a get. */
static int s_ix_read(cl_store *s, cl_db db, size_t group, uint64_t g,
                     uint64_t r)
{
    cl_txn *t = NULL;
    uint8_t k[24], buf[64];
    size_t len;
    int n = 0;
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    s_ix_key(k, group, g, r);
    int rc = s_sealed(db) ? cl_store_get(t, db, k, s_ix_klen(group), buf,
                                         sizeof(buf), &len)
                          : cl_store_get_raw(t, db, k, s_ix_klen(group), buf,
                                             sizeof(buf), &len);
    if (rc == CL_OK && !s_sealed(db) && (len != 1 || buf[0] != 7))
        rc = CL_ERR_INTERNAL;
    if (rc == CL_OK || rc == CL_ERR_NOT_FOUND) {
        int src = cl_store_scan(t, db, k, group ? group : s_ix_klen(group),
                                s_ix_count, &n);
        if (src != CL_OK)
            rc = src;
    }
    cl_store_abort(&t);
    return rc;
}

static int s_ix_verify(cl_store *s)
{
    cl_txn *t = NULL;
    char why[200] = "";
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    int rc = cl_store_verify(t, why, sizeof(why));
    cl_store_abort(&t);
    return rc;
}

/* Edit the data file without the key: flip a byte of row (g, r)'s value,
 * or delete it, or delete it and every ixdigest row. */
enum { S_FLIP, S_DELETE, S_DELETE_ALL };
static void s_ix_tamper(const char *dir, cl_db db, size_t group, uint64_t g,
                        uint64_t r, int how)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t k[24];
    s_ix_key(k, group, g, r);
    MDB_val key = {s_ix_klen(group), k}, v;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 64);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, cl_store_db_name(db), 0, &dbi), 0);
    assert_int_equal(mdb_get(txn, dbi, &key, &v), 0);
    if (how == S_FLIP) {
        uint8_t copy[256];
        assert_true(v.mv_size <= sizeof(copy));
        memcpy(copy, v.mv_data, v.mv_size);
        copy[v.mv_size - 1] ^= 0x01;
        MDB_val nv = {v.mv_size, copy};
        assert_int_equal(mdb_put(txn, dbi, &key, &nv, 0), 0);
    } else {
        assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
    }
    if (how == S_DELETE_ALL) {
        MDB_dbi dd;
        assert_int_equal(mdb_dbi_open(txn, "ixdigest", 0, &dd), 0);
        assert_int_equal(mdb_drop(txn, dd, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_index_rows_authenticated(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_ix) / sizeof(s_ix[0]); i++) {
        cl_db db = s_ix[i].db;
        size_t group = s_ix[i].group;
        for (int how = S_FLIP; how <= S_DELETE_ALL; how++) {
            char dir[256];
            uint8_t mk[CL_MASTER_KEY_LEN];
            cl_store *s = NULL;
            th_tmpdir(dir, sizeof(dir));
            s_key(mk, 9);
            assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
            s_ix_fill(s, db, group);
            assert_int_equal(s_ix_read(s, db, group, 1, 2), CL_OK);
            assert_int_equal(s_ix_read(s, db, group, 2, 3), CL_ERR_NOT_FOUND);
            assert_int_equal(s_ix_verify(s), CL_OK);
            cl_store_close(&s);
            if (how != S_FLIP && !group) {
                th_sh("rm -rf %s", dir);
                continue; /* not a grouped index: deletion not tracked */
            }
            s_ix_tamper(dir, db, group, 1, 2, how);
            assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
            if (how == S_FLIP && !s_sealed(db))
                assert_int_equal(s_ix_read(s, db, group, 1, 2), CL_ERR_CORRUPT);
            if (how == S_DELETE)
                assert_int_equal(s_ix_read(s, db, group, 1, 2), CL_ERR_CORRUPT);
            /* the other group still reads */
            if (how != S_DELETE_ALL)
                assert_int_equal(s_ix_read(s, db, group, 2, 1), CL_OK);
            if (!s_sealed(db) || how != S_FLIP)
                assert_int_equal(s_ix_verify(s), CL_ERR_CORRUPT);
            cl_store_close(&s);
            th_sh("rm -rf %s", dir);
        }
    }
}

/* A scan of one group hands fn no row until every row of it passed: a
 * row edited in the file fails the scan before fn sees any; a group too
 * big for the keys kept from its check is read again, whole, and a part
 * of a group reads as before. */
static void test_group_scan_all_or_nothing(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], k[24];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    int n = 0;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 14);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    s_ix_fill(s, CL_DB_PERSON_RECORDS, 8); /* group 1: rows 1, 2, 3 */
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (uint64_t r = 1; r <= 300; r++) { /* 300 keys: 5,400 bytes */
        s_ix_key(k, 8, 3, r);
        assert_int_equal(cl_store_put_raw(t, CL_DB_PERSON_RECORDS, k, 16,
                                          (const uint8_t *)"\7", 1),
                         CL_OK);
    }
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    s_ix_key(k, 8, 3, 0);
    assert_int_equal(
        cl_store_scan(t, CL_DB_PERSON_RECORDS, k, 8, s_ix_count, &n), CL_OK);
    assert_int_equal(n, 300);
    n = 0; /* rows 1-255: the first 7 bytes of r are zero */
    assert_int_equal(
        cl_store_scan(t, CL_DB_PERSON_RECORDS, k, 15, s_ix_count, &n), CL_OK);
    assert_int_equal(n, 255);
    cl_store_abort(&t);
    cl_store_close(&s);
    s_ix_tamper(dir, CL_DB_PERSON_RECORDS, 8, 1, 3, S_FLIP); /* its value */
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    s_ix_key(k, 8, 1, 0);
    n = 0;
    assert_int_equal(
        cl_store_scan(t, CL_DB_PERSON_RECORDS, k, 8, s_ix_count, &n),
        CL_ERR_CORRUPT);
    assert_int_equal(n, 0); /* not rows 1 and 2 first */
    cl_store_abort(&t);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* What index rows say is not in the file: an agenda reason byte and a
 * blind index row's empty value are both sealed. */
/* A grouped index changed in nested transactions, as the daemon's batch
 * does (one nested transaction per request): the digests a committed
 * child changed hold, an aborted child's are gone, reads inside the batch
 * see the batch's own changes, and what is committed verifies. */
static int s_ix_group_n(cl_txn *t, uint64_t g)
{
    uint8_t k[24];
    int n = 0;
    s_ix_key(k, 8, g, 0);
    int rc = cl_store_scan(t, CL_DB_PERSON_RECORDS, k, 8, s_ix_count, &n);
    return rc == CL_OK ? n : -1;
}

static void test_index_digests_nested(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], k[24], why = 7;
    cl_store *s = NULL;
    cl_txn *t = NULL, *c = NULL, *gc = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 11);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    s_ix_fill(s, CL_DB_PERSON_RECORDS, 8);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (uint64_t r = 10; r < 40; r++) {
        assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
        s_ix_key(k, 8, r % 3 + 1, r);
        assert_int_equal(
            cl_store_put_raw(c, CL_DB_PERSON_RECORDS, k, 16, &why, 1), CL_OK);
        if (r % 4 == 0) { /* a grandchild, itself aborted or kept */
            assert_int_equal(cl_store_begin(&gc, s, c, true), CL_OK);
            s_ix_key(k, 8, 5, r);
            assert_int_equal(
                cl_store_put_raw(gc, CL_DB_PERSON_RECORDS, k, 16, &why, 1),
                CL_OK);
            assert_int_equal(s_ix_group_n(gc, 5), (int)((r - 1) / 8));
            if (r % 8 == 0)
                assert_int_equal(cl_store_commit(&gc), CL_OK);
            else
                cl_store_abort(&gc);
        }
        if (r % 5 == 0)
            cl_store_abort(&c);
        else
            assert_int_equal(cl_store_commit(&c), CL_OK);
        assert_true(s_ix_group_n(t, r % 3 + 1) >= 0);
    }
    /* group 3: the ten of r % 3 == 2 less the two aborted (20, 35) */
    assert_int_equal(s_ix_group_n(t, 3), 8);
    s_ix_key(k, 8, 3, 11);
    assert_int_equal(cl_store_del(t, CL_DB_PERSON_RECORDS, k, 16), CL_OK);
    assert_int_equal(s_ix_group_n(t, 3), 7);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(s_ix_verify(s), CL_OK);
    assert_int_equal(s_ix_read(s, CL_DB_PERSON_RECORDS, 8, 5, 16), CL_OK);
    assert_int_equal(s_ix_read(s, CL_DB_PERSON_RECORDS, 8, 5, 12),
                     CL_ERR_NOT_FOUND);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

static void test_index_values_sealed(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], k[16] = {0};
    cl_store *s = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 3);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_put_raw(t, CL_DB_AGENDA, k, 16,
                                      (const uint8_t *)s_canary,
                                      sizeof(s_canary)),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    char path[300];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    assert_false(th_file_contains(path, s_canary));
    th_sh("rm -rf %s", dir);
}

/* A store written when the by-user audit index had no digests (no
 * "ixgroups" mark, no digest rows for it): opened, its digests are built
 * once, it verifies, and a row deleted afterwards is caught on read. */
static void test_index_grouped_later(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 11);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    s_ix_fill(s, CL_DB_AUDIT_USER, 16);
    /* as the older daemon left it: its key check without the anchor */
    cl_txn *t = NULL;
    static const char v1[] = "caselink keycheck v1";
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_IDEMPOTENCY,
                                  (const uint8_t *)"keycheck", 8,
                                  (const uint8_t *)v1, sizeof(v1)),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, dd;
    MDB_cursor *cur;
    MDB_val k = {8, "ixgroups"}, v;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 64);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_del(txn, meta, &k, NULL), 0);
    assert_int_equal(mdb_dbi_open(txn, "ixdigest", 0, &dd), 0);
    assert_int_equal(mdb_cursor_open(txn, dd, &cur), 0);
    int dropped = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if (k.mv_size >= 11 && !memcmp(k.mv_data, "audit_user", 11)) {
            assert_int_equal(mdb_cursor_del(cur, 0), 0);
            dropped++;
        }
    mdb_cursor_close(cur);
    assert_int_equal(dropped, 3); /* two groups and the total */
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    /* opened: digests built, rows read, verify intact */
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    assert_int_equal(s_ix_read(s, CL_DB_AUDIT_USER, 16, 1, 2), CL_OK);
    assert_int_equal(s_ix_read(s, CL_DB_AUDIT_USER, 16, 2, 1), CL_OK);
    assert_int_equal(s_ix_verify(s), CL_OK);
    cl_store_close(&s);
    /* and built once: a deletion now is tampering */
    s_ix_tamper(dir, CL_DB_AUDIT_USER, 16, 1, 2, S_DELETE);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 20), CL_OK);
    assert_int_equal(s_ix_read(s, CL_DB_AUDIT_USER, 16, 1, 2), CL_ERR_CORRUPT);
    assert_int_equal(s_ix_read(s, CL_DB_AUDIT_USER, 16, 2, 1), CL_OK);
    assert_int_equal(s_ix_verify(s), CL_ERR_CORRUPT);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* --- replay records ------------------------------------------------------ */

static void s_replay_blind(uint8_t b[CL_BLIND_LEN], uint32_t i)
{
    crypto_generichash(b, CL_BLIND_LEN, (const uint8_t *)&i, sizeof(i), NULL,
                       0);
}

typedef struct s_keys {
    size_t n;
    uint32_t last; /* the second of the last key seen */
    bool ordered;
} s_keys;

static int s_replay_key(void *ctx, const uint8_t *key, size_t len)
{
    s_keys *k = ctx;
    assert_int_equal(len, 4 + CL_BLIND_LEN);
    uint32_t at = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 |
                  (uint32_t)key[2] << 8 | key[3];
    k->ordered &= at >= k->last;
    k->last = at;
    k->n++;
    return CL_OK;
}

static s_keys s_replay_rows(cl_store *s)
{
    cl_txn *t = NULL;
    s_keys k = {0, 0, true};
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    assert_int_equal(cl_store_scan(t, CL_DB_REPLAY, NULL, 0, s_replay_key, &k),
                     CL_OK);
    cl_store_abort(&t);
    return k;
}

/* Replay records: found inside the window (also after the store is
 * opened again), not after it, kept in time order, deleted from the left
 * edge as new ones are written; a record of an aborted transaction is not
 * found. */
static void test_replay_window(void **state)
{
    (void)state;
    enum { W = 100, T0 = 1800000000 };
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], b[CL_BLIND_LEN], buf[64];
    size_t len;
    cl_store *s = NULL;
    cl_txn *t = NULL, *c = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 9);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (uint32_t i = 0; i < 10; i++) {
        s_replay_blind(b, i);
        /* written one second apart, in a nested transaction each */
        assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
        assert_int_equal(
            cl_store_replay_put(c, b, T0 + i, W, (uint8_t *)&i, sizeof(i)),
            CL_OK);
        assert_int_equal(cl_store_commit(&c), CL_OK);
    }
    /* the same transaction sees them at once */
    s_replay_blind(b, 3);
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + 10, W, buf, sizeof(buf), &len), CL_OK);
    assert_int_equal(len, 4);
    assert_int_equal(*(uint32_t *)buf, 3);
    /* an aborted write leaves nothing to find */
    s_replay_blind(b, 77);
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    assert_int_equal(
        cl_store_replay_put(c, b, T0 + 10, W, (const uint8_t *)"x", 1), CL_OK);
    cl_store_abort(&c);
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + 10, W, buf, sizeof(buf), &len),
        CL_ERR_NOT_FOUND);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);

    /* opened again: the table is rebuilt from the rows */
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    s_keys k = s_replay_rows(s);
    assert_int_equal(k.n, 10);
    assert_true(k.ordered);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_replay_blind(b, 0);
    /* the last second of record 0's window, then the first after it */
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + W, W, buf, sizeof(buf), &len), CL_OK);
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + W + 1, W, buf, sizeof(buf), &len),
        CL_ERR_NOT_FOUND);
    s_replay_blind(b, 9);
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + W + 1, W, buf, sizeof(buf), &len),
        CL_OK);
    /* each write past the window deletes two of the expired ones */
    for (uint32_t i = 100; i < 103; i++) {
        s_replay_blind(b, i);
        assert_int_equal(
            cl_store_replay_put(t, b, T0 + W + 6, W, (uint8_t *)&i, sizeof(i)),
            CL_OK);
    }
    assert_int_equal(cl_store_commit(&t), CL_OK);
    k = s_replay_rows(s);
    assert_int_equal(k.n, 10 - 6 + 3); /* records 0-5 went */
    assert_true(k.ordered);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    for (uint32_t i = 103; i < 110; i++) {
        s_replay_blind(b, i);
        assert_int_equal(
            cl_store_replay_put(t, b, T0 + 3 * W, W, (uint8_t *)&i, sizeof(i)),
            CL_OK);
    }
    assert_int_equal(cl_store_commit(&t), CL_OK);
    k = s_replay_rows(s);
    assert_int_equal(k.n, 7); /* only the last seven, all of one second */
    cl_store_close(&s);
}

/* A record written before replay records (under the blind index alone in
 * the idempotency sub-database) is still found for one window after the
 * first open that sees it, and deleted after that. */
static void test_replay_legacy(void **state)
{
    (void)state;
    enum { W = 100, T0 = 1800000000 };
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN], b[CL_BLIND_LEN], n[CL_BLIND_LEN], buf[64];
    size_t len;
    cl_store *s = NULL;
    cl_txn *t = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 10);
    s_replay_blind(b, 1);
    s_replay_blind(n, 2);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_IDEMPOTENCY, b, CL_BLIND_LEN,
                                  (const uint8_t *)"old", 3),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_replay_get(t, b, T0, W, buf, sizeof(buf), &len),
                     CL_OK);
    assert_memory_equal(buf, "old", 3);
    assert_int_equal(
        cl_store_replay_put(t, n, T0 + 1, W, (const uint8_t *)"new", 3), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
    /* opened again inside the window: still found */
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + W - 1, W, buf, sizeof(buf), &len),
        CL_OK);
    /* past it: not found, and the next write deletes it */
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + W, W, buf, sizeof(buf), &len),
        CL_ERR_NOT_FOUND);
    assert_int_equal(
        cl_store_replay_put(t, b, T0 + W, W, (const uint8_t *)"again", 5),
        CL_OK);
    assert_int_equal(cl_store_get(t, CL_DB_IDEMPOTENCY, b, CL_BLIND_LEN, buf,
                                  sizeof(buf), &len),
                     CL_ERR_NOT_FOUND);
    /* the store's own rows stay */
    assert_int_equal(cl_store_get(t, CL_DB_IDEMPOTENCY,
                                  (const uint8_t *)"keycheck", 8, buf,
                                  sizeof(buf), &len),
                     CL_OK);
    assert_int_equal(
        cl_store_replay_get(t, b, T0 + W, W, buf, sizeof(buf), &len), CL_OK);
    assert_memory_equal(buf, "again", 5);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&s);
}

/* Scan group g of person_records in transaction t. */
static int s_ix_scan_in(cl_txn *t, uint64_t g)
{
    uint8_t k[24];
    int n = 0;
    s_ix_key(k, 8, g, 0);
    return cl_store_scan(t, CL_DB_PERSON_RECORDS, k, 8, s_ix_count, &n);
}

static int s_ix_scan(cl_store *s, bool write, uint64_t g)
{
    cl_txn *t = NULL;
    assert_int_equal(cl_store_begin(&t, s, NULL, write), CL_OK);
    int rc = s_ix_scan_in(t, g);
    cl_store_abort(&t);
    return rc;
}

static void s_ix_row(cl_txn *t, uint64_t g, uint64_t r, bool put)
{
    uint8_t k[24];
    s_ix_key(k, 8, g, r);
    assert_int_equal(put ? cl_store_put_raw(t, CL_DB_PERSON_RECORDS, k, 16,
                                            (const uint8_t *)"\7", 1)
                         : cl_store_del(t, CL_DB_PERSON_RECORDS, k, 16),
                     CL_OK);
}

/* The writer's copy of the digests as committed (read once, then kept)
 * follows commits and ignores what aborted transactions changed. */
static void test_index_digests_committed(void **state)
{
    (void)state;
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    cl_txn *t = NULL, *c = NULL;
    th_tmpdir(dir, sizeof(dir));
    s_key(mk, 12);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    s_ix_fill(s, CL_DB_PERSON_RECORDS, 8);
    assert_int_equal(s_ix_scan(s, true, 1), CL_OK); /* read and kept */
    /* a row added in a committed child of an aborted transaction */
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(s_ix_scan_in(t, 1), CL_OK);
    assert_int_equal(cl_store_begin(&c, s, t, true), CL_OK);
    s_ix_row(c, 1, 9, true);
    assert_int_equal(cl_store_commit(&c), CL_OK);
    assert_int_equal(s_ix_scan_in(t, 1), CL_OK);
    cl_store_abort(&t);
    assert_int_equal(s_ix_scan(s, true, 1), CL_OK);
    assert_int_equal(s_ix_scan(s, false, 1), CL_OK);
    /* committed: both kinds of reader agree */
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_ix_row(t, 1, 9, true);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(s_ix_scan(s, true, 1), CL_OK);
    assert_int_equal(s_ix_scan(s, false, 1), CL_OK);
    /* removed and aborted, then removed and committed */
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_ix_row(t, 1, 9, false);
    cl_store_abort(&t);
    assert_int_equal(s_ix_scan(s, true, 1), CL_OK);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    s_ix_row(t, 1, 9, false);
    s_ix_row(t, 2, 9, true);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    assert_int_equal(s_ix_scan(s, true, 1), CL_OK);
    assert_int_equal(s_ix_scan(s, true, 2), CL_OK);
    assert_int_equal(s_ix_scan(s, false, 2), CL_OK);
    assert_int_equal(s_ix_verify(s), CL_OK);
    cl_store_close(&s);
    /* a row deleted behind its back is still caught */
    s_ix_tamper(dir, CL_DB_PERSON_RECORDS, 8, 1, 1, S_DELETE);
    assert_int_equal(cl_store_open(&s, dir, mk, 1 << 22), CL_OK);
    assert_int_equal(s_ix_scan(s, true, 1), CL_ERR_CORRUPT);
    assert_int_equal(s_ix_scan(s, true, 1), CL_ERR_CORRUPT);
    assert_int_equal(s_ix_scan(s, true, 2), CL_OK);
    cl_store_close(&s);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_plaintext),
        cmocka_unit_test(test_tamper_detected),
        cmocka_unit_test(test_wrong_master_key),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_golden_vector),
        cmocka_unit_test(test_nonces_unique),
        cmocka_unit_test(test_blind_and_counters),
        cmocka_unit_test(test_map_full_and_grow),
        cmocka_unit_test(test_index_rows_authenticated),
        cmocka_unit_test(test_group_scan_all_or_nothing),
        cmocka_unit_test(test_index_values_sealed),
        cmocka_unit_test(test_index_grouped_later),
        cmocka_unit_test(test_index_digests_nested),
        cmocka_unit_test(test_replay_window),
        cmocka_unit_test(test_replay_legacy),
        cmocka_unit_test(test_index_digests_committed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
