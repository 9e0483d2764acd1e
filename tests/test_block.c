/*
 * test_block: the candidate fetch path on a real LMDB file. A block is
 * read in one descent and only when it holds at most the cap (a bigger
 * one is skipped unread), a name's frequency is counted without reading
 * its rows, a match compares a bounded number of candidates, chosen by
 * how many keys they share and how small their blocks are, in two looks
 * (the second only when the first leaves it in doubt), and a row
 * forged into the file is refused whenever it is used, never obeyed.
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
#include "synth.h"
#include "th_core.h"

static int s_setup(void **state)
{
    th_core *c = calloc(1, sizeof(*c));
    *state = c;
    return th_core_open(c, 7);
}

static int s_teardown(void **state)
{
    th_core *c = *state;
    th_core_close(c);
    th_sh("rm -rf %s", c->dir);
    free(c);
    return 0;
}

static void s_key(uint8_t k[CL_BLIND_LEN], char c)
{
    memset(k, c, CL_BLIND_LEN);
}

/* n records under block key c: ids from first. */
static void s_fill(cl_txn *t, char c, uint64_t first, size_t n)
{
    cl_records_blinds b = {.n = 1, .block = {true}};
    s_key(b.k[0], c);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cl_records_blinds_put(t, &b, 0, first + i), CL_OK);
}

/* A read of blocks: what pick saw and what it kept, what fn was given. */
typedef struct s_read_ctx {
    uint64_t skip;  /* a record id pick leaves out (0: none) */
    size_t seen;    /* rows pick was shown */
    size_t prefix1; /* of them, under the second prefix */
    cl_records_ids ids;
} s_read_ctx;

static int s_pick_all(void *ctx, const cl_store_row *rows, size_t n, bool *keep)
{
    s_read_ctx *r = ctx;
    r->seen = n;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].key_len, CL_BLIND_LEN + 8);
        keep[i] = cl_be64_get(rows[i].key + CL_BLIND_LEN) != r->skip;
        r->prefix1 += rows[i].prefix == 1;
    }
    return CL_OK;
}

static int s_take(void *ctx, const uint8_t *key, size_t len)
{
    s_read_ctx *r = ctx;
    int rc = cl_records_ids_push(&r->ids, cl_be64_get(key + len - 8));
    return rc > 0 ? CL_OK : rc;
}

/* Read blocks c[0], c[1] ... (a string of key letters) at most max rows
 * each, pick leaving out record skip: rc, and *r (r->ids.v freed by the
 * caller). */
static int s_read(cl_txn *t, const char *c, size_t max, uint64_t skip,
                  s_read_ctx *r)
{
    uint8_t k[8][CL_BLIND_LEN];
    size_t n = strlen(c);
    for (size_t i = 0; i < n; i++)
        s_key(k[i], c[i]);
    *r = (s_read_ctx){.skip = skip, .ids = {.max = 1000}};
    return cl_store_scan_pick(t, CL_DB_BLOCK, &k[0][0], CL_BLIND_LEN, n, max,
                              s_pick_all, s_take, r);
}

static size_t s_count(cl_txn *t, char c, size_t max)
{
    uint8_t k[CL_BLIND_LEN];
    size_t n = 99999;
    s_key(k, c);
    assert_int_equal(cl_store_count(t, CL_DB_BLOCK, k, sizeof(k), max, &n),
                     CL_OK);
    return n;
}

static void test_block_read_up_to_the_cap(void **state)
{
    th_core *c = *state;
    cl_txn *t = c->t;
    s_read_ctx r;
    s_fill(t, 'a', 100, 5);
    s_fill(t, 'b', 200, 3);
    s_fill(t, 'c', 300, CL_BLOCK_CAP + 1);
    /* at the cap: every id, in order, and none of the next block's */
    assert_int_equal(s_read(t, "a", 5, 0, &r), CL_OK);
    assert_int_equal(r.seen, 5);
    assert_int_equal(r.ids.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(r.ids.v[i], 100 + i);
    free(r.ids.v);
    /* one over: nothing, not even shown to pick */
    assert_int_equal(s_read(t, "a", 4, 0, &r), CL_OK);
    assert_int_equal(r.seen + r.ids.n, 0);
    free(r.ids.v);
    /* several blocks at once: each under its own prefix, the one over
     * the cap left out, an empty one nothing; pick's choice holds */
    assert_int_equal(s_read(t, "acbz", CL_BLOCK_CAP, 102, &r), CL_OK);
    assert_int_equal(r.seen, 8);
    assert_int_equal(r.prefix1, 0); /* 'c': over */
    assert_int_equal(r.ids.n, 7);
    assert_int_equal(r.ids.v[2], 103);
    assert_int_equal(r.ids.v[4], 200);
    free(r.ids.v);
    /* a cap the function cannot hold */
    assert_int_equal(s_read(t, "a", CL_STORE_SCAN_UPTO + 1, 0, &r),
                     CL_ERR_INVALID);
    free(r.ids.v);
    /* counts stop at their max */
    assert_int_equal(s_count(t, 'a', 100), 5);
    assert_int_equal(s_count(t, 'a', 3), 3);
    assert_int_equal(s_count(t, 'b', 100), 3);
    assert_int_equal(s_count(t, 'c', 1000), CL_BLOCK_CAP + 1);
    assert_int_equal(s_count(t, 'z', 100), 0);
}

/* Put a row into the closed store's block sub-database with LMDB alone,
 * as whoever holds the file could: blind (NULL: 'a' x 16) || id, a
 * made-up tag. */
static void s_forge(const char *dir, const uint8_t *blind, uint64_t id)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t key[CL_BLIND_LEN + 8], tag[16];
    memset(key, 'a', CL_BLIND_LEN);
    if (blind)
        memcpy(key, blind, CL_BLIND_LEN);
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
    th_core *c = *state;
    s_read_ctx r;
    uint8_t mk[CL_MASTER_KEY_LEN];
    s_fill(c->t, 'a', 100, 5);
    assert_int_equal(cl_store_commit(&c->t), CL_OK);
    cl_store_close(&c->s);
    s_forge(c->dir, NULL, 777);
    memset(mk, 7, sizeof(mk));
    assert_int_equal(cl_store_open(&c->s, c->dir, mk, 64u << 20), CL_OK);
    assert_int_equal(cl_store_begin(&c->t, c->s, NULL, false), CL_OK);
    cl_txn *t = c->t;
    /* kept: the forged row fails its tag, and the whole read with it */
    assert_int_equal(s_read(t, "a", 10, 0, &r), CL_ERR_CORRUPT);
    free(r.ids.v);
    /* the same as a full scan does */
    uint8_t k[CL_BLIND_LEN];
    s_key(k, 'a');
    cl_records_ids ids = {.max = 100};
    assert_int_equal(cl_records_lookup_block(t, k, &ids), CL_ERR_CORRUPT);
    free(ids.v);
    /* not kept: never opened, never passed on */
    assert_int_equal(s_read(t, "a", 10, 777, &r), CL_OK);
    assert_int_equal(r.seen, 6);
    assert_int_equal(r.ids.n, 5);
    free(r.ids.v);
    /* over the cap it is skipped unread: the block is not used at all,
     * which is all a forged row can do (as deleting rows can) */
    assert_int_equal(s_read(t, "a", 5, 0, &r), CL_OK);
    assert_int_equal(r.seen + r.ids.n, 0);
    free(r.ids.v);
    /* a count is only a count */
    assert_int_equal(s_count(t, 'a', 100), 6);
}

/* A description with a name, a date of birth and a postcode, its
 * blocking keys in *b, and the places of its first n keys that are not
 * names alone (looked up on every match) in strong. */
static void s_described(const cl_store *s, cl_person *p, cl_records_blinds *b,
                        size_t *strong, size_t n)
{
    uint32_t weak = 0;
    size_t ns = 0;
    memset(p, 0, sizeof(*p));
    CL_COPY(p->given, "Olivia");
    CL_COPY(p->family, "Ramsbottom");
    CL_COPY(p->dob, "1990-04-12");
    CL_COPY(p->postcode, "LS1 2AB");
    b->n = cl_block_keys_tiered(s, p, b->k, CL_BLOCK_MAX, &weak);
    for (size_t i = 0; i < b->n; i++)
        b->block[i] = true;
    for (size_t i = 0; i < b->n && ns < n; i++)
        if (!((weak >> i) & 1u))
            strong[ns++] = i;
    assert_int_equal(ns, n);
}

/* Over the budget a match compares every record sharing two keys or
 * more, then those met in the smallest blocks (the newest first), up to
 * the budget; at or under it, every record. */
static void test_budget_keeps_the_best(void **state)
{
    th_core *c = *state;
    cl_txn *t = c->t;
    cl_person p;
    cl_records_blinds b = {0};
    size_t strong[4];
    s_described(c->s, &p, &b, strong, 4);
    /* 1-3 under two keys; 100-119 alone in a block of twenty; 30, 31
     * alone in a block of two: 25 records */
    for (uint64_t id = 1; id <= 3; id++) {
        assert_int_equal(cl_records_blinds_put(t, &b, strong[0], id), CL_OK);
        assert_int_equal(cl_records_blinds_put(t, &b, strong[1], id), CL_OK);
    }
    for (uint64_t id = 100; id < 120; id++)
        assert_int_equal(cl_records_blinds_put(t, &b, strong[2], id), CL_OK);
    for (uint64_t id = 30; id <= 31; id++)
        assert_int_equal(cl_records_blinds_put(t, &b, strong[3], id), CL_OK);
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_match_candidates(t, &p, &ids), CL_OK);
    /* the five, then the newest of the block of twenty */
    assert_true(CL_LINKFIND_BUDGET > 5 && CL_LINKFIND_BUDGET < 25);
    assert_int_equal(ids.n, CL_LINKFIND_BUDGET);
    const uint64_t five[] = {1, 2, 3, 30, 31};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ids.v[i], five[i]);
    for (size_t i = 5; i < ids.n; i++)
        assert_int_equal(ids.v[i], 120 - (CL_LINKFIND_BUDGET - i));
    free(ids.v);
    /* every one of them is still a candidate where no budget applies */
    ids = (cl_records_ids){.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_block_candidates(t, c->s, &p, &ids), CL_OK);
    assert_int_equal(ids.n, 25);
    free(ids.v);
    sodium_memzero(&b, sizeof(b));
}

/* The matching path: a person whose only shared key's block is over the
 * cap is not a candidate; under it, they are. */
static void test_candidates_skip_big_blocks(void **state)
{
    th_core *c = *state;
    cl_txn *t = c->t;
    cl_person p;
    cl_records_blinds b = {0};
    size_t strong[2];
    s_described(c->s, &p, &b, strong, 2);
    /* records 1..n under one key only, then one more */
    size_t n = CL_BLOCK_CAP;
    for (uint64_t id = 1; id <= n; id++)
        assert_int_equal(cl_records_blinds_put(t, &b, strong[0], id), CL_OK);
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_block_candidates(t, c->s, &p, &ids), CL_OK);
    assert_int_equal(ids.n, n);
    free(ids.v);
    assert_int_equal(cl_records_blinds_put(t, &b, strong[0], n + 1), CL_OK);
    ids = (cl_records_ids){.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_block_candidates(t, c->s, &p, &ids), CL_OK);
    assert_int_equal(ids.n, 0);
    free(ids.v);
    /* another strong key with one record brings that one alone */
    assert_int_equal(cl_records_blinds_put(t, &b, strong[1], 5000), CL_OK);
    ids = (cl_records_ids){.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_block_candidates(t, c->s, &p, &ids), CL_OK);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ids.v[0], 5000);
    free(ids.v);
    sodium_memzero(&b, sizeof(b));
}

/* Close the store, forge a row of record id under blind, and open it
 * again with a write transaction. */
static void s_reopen_forged(th_core *c, const uint8_t *blind, uint64_t id)
{
    uint8_t mk[CL_MASTER_KEY_LEN];
    assert_int_equal(cl_store_commit(&c->t), CL_OK);
    cl_store_close(&c->s);
    s_forge(c->dir, blind, id);
    memset(mk, 7, sizeof(mk));
    assert_int_equal(cl_store_open(&c->s, c->dir, mk, 64u << 20), CL_OK);
    assert_int_equal(cl_store_begin(&c->t, c->s, NULL, true), CL_OK);
}

/* A record the match keeps is shown to share a key by one of its rows,
 * the only one opened: a forged row beside genuine ones changes no
 * candidate (it can only raise the record's rank, as deleting others'
 * rows can lower theirs), and a record met under forged rows alone is
 * refused. */
static void test_forged_extra_row(void **state)
{
    th_core *c = *state;
    cl_person p;
    cl_records_blinds b = {0};
    size_t strong[3];
    s_described(c->s, &p, &b, strong, 3);
    assert_int_equal(cl_records_blinds_put(c->t, &b, strong[0], 5), CL_OK);
    assert_int_equal(cl_records_blinds_put(c->t, &b, strong[1], 5), CL_OK);
    assert_int_equal(cl_records_blinds_put(c->t, &b, strong[0], 9), CL_OK);
    s_reopen_forged(c, b.k[strong[2]], 5);
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_match_candidates(c->t, &p, &ids), CL_OK);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.v[0], 5);
    assert_int_equal(ids.v[1], 9);
    free(ids.v);
    s_reopen_forged(c, b.k[strong[2]], 11);
    ids = (cl_records_ids){.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_match_candidates(c->t, &p, &ids),
                     CL_ERR_CORRUPT);
    free(ids.v);
    sodium_memzero(&b, sizeof(b));
}

/* A description by name, date of birth, address and postcode. */
static cl_person s_person(const char *given, const char *family,
                          const char *dob, const char *address,
                          const char *postcode)
{
    cl_person p = {0};
    CL_COPY(p.given, given);
    CL_COPY(p.family, family);
    CL_COPY(p.dob, dob);
    CL_COPY(p.address, address);
    CL_COPY(p.postcode, postcode);
    return p;
}

/* Import p as the surgery's record local_id at now, inside the test's
 * transaction. */
static void s_import_at(th_core *c, const cl_match_config *mc,
                        const char *local, cl_person p, int64_t now)
{
    cl_caller who;
    cl_import im = {.person = p};
    cl_import_result out;
    char err[CL_ERROR_SZ] = "";
    th_core_caller(&who, "gp", "Oakfield Surgery", "gp", CL_ROLE_PUBLISHER);
    CL_COPY(im.agency, "Oakfield Surgery");
    CL_COPY(im.person.local_id, local);
    assert_int_equal(cl_import_validate(&im, err, NULL), CL_OK);
    assert_int_equal(TH_CORE_OP(err, c->t, &who, now, cl_linkfind_import_person,
                                mc, &im, &out),
                     CL_OK);
}

static void s_import(th_core *c, const cl_match_config *mc, const char *local,
                     cl_person p)
{
    s_import_at(c, mc, local, p, 1700000000);
}

/* The linking decision for a police referral about p. */
static cl_linkfind_link s_match(th_core *c, const cl_match_config *mc,
                                const cl_person *p)
{
    cl_caller police;
    cl_linkfind_link l;
    th_core_caller(&police, "police", "Northshire Police", "police",
                   CL_ROLE_PUBLISHER);
    assert_int_equal(cl_linkfind_match_link(c->t, mc, &police, p, &l), CL_OK);
    return l;
}

/* A match reads its candidates in two looks: the first
 * CL_LINKFIND_FIRST (and every record sharing two keys or more), the
 * rest of the budget only when the best of those is plausible but no
 * link. A referral about Chloe Williams shares three keys with each of
 * eight of her family at her address, and two with a Chloe
 * Williams-Watts of her birthday elsewhere (worth a review); her own
 * record, both names mistyped and no date of birth, shares only the
 * household's key: it is read in the second look, and linked. */
static void test_second_look(void **state)
{
    th_core *c = *state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    static const char *const fam[][2] = {
        {"Harper", "1997-06-21"}, {"Noah", "2024-08-11"},
        {"Layla", "2021-11-09"},  {"Karen", "1965-04-26"},
        {"Gary", "1962-08-11"},   {"Rosie", "1995-09-10"},
        {"Teddy", "2019-02-14"},  {"Mary", "1968-11-14"}};
    char local[16];
    for (size_t i = 0; i < 8; i++) {
        snprintf(local, sizeof(local), "f%zu", i);
        s_import(c, &mc, local,
                 s_person(fam[i][0], "Williams", fam[i][1], "116 Mill Road",
                          "LS6 6LX"));
    }
    s_import(c, &mc, "cw",
             s_person("Chloe", "Williams-Watts", "1998-07-06", "63 New Road",
                      "LS24 9AB"));
    s_import(c, &mc, "chloe",
             s_person("Chloe", "Wilrliams", "", "116 Mill Road",
                      "LS6 6LX")); /* record 10 */
    cl_person p = s_person("Chlfoe", "Williams", "1998-07-06", "116 Mill Road",
                           "LS6 6LX");
    cl_linkfind_link l = s_match(c, &mc, &p);
    assert_int_equal(l.compared, 10);
    cl_records_record rec;
    assert_int_equal(cl_records_record_get(c->t, 10, &rec), CL_OK);
    assert_int_equal(l.person_id, rec.person_id);
    assert_int_equal(l.reason, CL_LINK_SCORE);
}

/* Nothing plausible in the first look: the rest is not read. Twelve
 * strangers share only an initial and a date of birth with the
 * referral. */
static void test_first_look_enough(void **state)
{
    th_core *c = *state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    static const char *const fam[] = {"Quinn",  "Quest",   "Quigley", "Quarmby",
                                      "Quaid",  "Quentin", "Quick",   "Quilter",
                                      "Quince", "Quartey", "Quayson", "Quimby"};
    static const char *const giv[] = {"Anna", "Beth", "Cara", "Dina",
                                      "Edna", "Fern", "Gina", "Hope",
                                      "Iris", "Jade", "Kate", "Lena"};
    char local[16];
    for (size_t i = 0; i < 12; i++) {
        snprintf(local, sizeof(local), "q%zu", i);
        s_import(c, &mc, local,
                 s_person(giv[i], fam[i], "1985-03-03", "", "B2 2BB"));
    }
    cl_person p = s_person("Zach", "Qureshi", "1985-03-03", "", "M1 1AA");
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    assert_int_equal(cl_linkfind_match_candidates(c->t, &p, &ids), CL_OK);
    assert_int_equal(ids.n, CL_LINKFIND_BUDGET);
    free(ids.v);
    cl_linkfind_link l = s_match(c, &mc, &p);
    assert_int_equal(l.compared, CL_LINKFIND_FIRST);
    assert_int_equal(l.reason, CL_LINK_NEW);
    assert_true(l.score < mc.lower);
}

/* How common a referral's names are, counted without reading the rows
 * and up to a cap (32): and how many carry its given name as their
 * family name (the names' roles), counted only where that could exceed
 * the given name's own count. */
static void test_name_counts(void **state)
{
    th_core *c = *state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    char local[16], fam[8], giv[8], dob[16];
    /* 40 named Henry, more than the cap */
    for (size_t i = 0; i < 40; i++) {
        snprintf(local, sizeof(local), "h%zu", i);
        snprintf(fam, sizeof(fam), "Qa%c%c", 'a' + (int)(i / 26),
                 'a' + (int)(i % 26));
        snprintf(dob, sizeof(dob), "19%02zu-01-15", 50 + i);
        s_import(c, &mc, local, s_person("Henry", fam, dob, "", ""));
    }
    /* 2 named Ezra; 3 whose family name is Henry, 3 Ezra */
    for (size_t i = 0; i < 8; i++) {
        snprintf(local, sizeof(local), "e%zu", i);
        snprintf(giv, sizeof(giv), "Qb%c", 'a' + (int)i);
        snprintf(dob, sizeof(dob), "20%02zu-03-09", i);
        s_import(c, &mc, local,
                 i < 2   ? s_person("Ezra", "Quorn", dob, "", "")
                 : i < 5 ? s_person(giv, "Henry", dob, "", "")
                         : s_person(giv, "Ezra", dob, "", ""));
    }
    cl_match_tf tf;
    cl_person p = s_person("Henry", "Zzyzx", "", "", "");
    assert_int_equal(
        cl_linkfind_cand_tf(c->t, cl_store_of(c->t), &mc, &p, false, &tf),
        CL_OK);
    assert_int_equal(tf.given_n, 32);
    assert_int_equal(tf.given_as_family_n, 0); /* at the cap: not counted */
    p = s_person("Ezra", "Zzyzx", "", "", "");
    assert_int_equal(
        cl_linkfind_cand_tf(c->t, cl_store_of(c->t), &mc, &p, false, &tf),
        CL_OK);
    assert_int_equal(tf.given_n, 2);
    assert_int_equal(tf.given_as_family_n, 3);
}

/* A place that many people's records give says little: 200 strangers
 * "of no fixed abode" (ZZ99 3VZ) and Sophia Jones among them; a record
 * of "S Jones" there, no date of birth, is counted among 202 at the
 * postcode and the address, two of them her family name's, and weighs
 * under the upper threshold (it linked to her on the address's full
 * weight before). A family's 30 records at its own home are its own:
 * their place keeps its weight. */
static void test_place_counts(void **state)
{
    th_core *c = *state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    static const char *const giv[] = {"Anna", "Beth", "Cara", "Dina", "Edna",
                                      "Fern", "Gina", "Hope", "Iris", "Jade"};
    char local[16], fam[16], dob[16];
    for (size_t i = 0; i < 200; i++) {
        snprintf(local, sizeof(local), "n%zu", i);
        snprintf(fam, sizeof(fam), "Q%c%cwick", 'a' + (int)(i / 26),
                 'a' + (int)(i % 26));
        snprintf(dob, sizeof(dob), "19%02zu-%02zu-%02zu", 40 + i % 50,
                 1 + i % 12, 1 + i % 28);
        s_import(c, &mc, local,
                 s_person(giv[i % 10], fam, dob, "No Fixed Abode", "ZZ99 3VZ"));
    }
    s_import(c, &mc, "sj",
             s_person("Sophia", "Jones", "1972-12-15", "No Fixed Abode",
                      "ZZ99 3VZ")); /* record 201 */
    for (size_t i = 0; i < 30; i++) {
        snprintf(local, sizeof(local), "o%zu", i);
        snprintf(dob, sizeof(dob), "19%02zu-03-09", 50 + i);
        s_import(
            c, &mc, local,
            s_person(giv[i % 10], "Okafor", dob, "3 Elm Grove", "LS6 1AA"));
    }
    cl_match_tf tf;
    cl_person p = s_person("S", "Jones", "", "no fixed abode", "ZZ99 3VZ");
    assert_int_equal(
        cl_linkfind_cand_tf(c->t, cl_store_of(c->t), &mc, &p, false, &tf),
        CL_OK);
    assert_int_equal(tf.postcode_n, 202);
    assert_int_equal(tf.address_n, 202);
    assert_int_equal(tf.family_n, 2);
    cl_linkfind_link l = s_match(c, &mc, &p);
    cl_records_record rec;
    assert_int_equal(cl_records_record_get(c->t, 201, &rec), CL_OK);
    assert_true(l.score < mc.upper);
    assert_true(l.reason != CL_LINK_SCORE || l.person_id != rec.person_id);
    /* the same pair at a place three records give (a home) would link */
    cl_match_tf home = {.postcode_n = 3, .address_n = 3, .records = 232};
    rec.p.dob[0] = '\0';
    assert_true(cl_match_explain(&mc, &p, &rec.p, &home, NULL, NULL) >=
                mc.upper);
    p = s_person("Noah", "Okafor", "", "3 elm grove", "LS6 1AA");
    assert_int_equal(
        cl_linkfind_cand_tf(c->t, cl_store_of(c->t), &mc, &p, false, &tf),
        CL_OK);
    assert_int_equal(tf.postcode_n, 31);
    assert_int_equal(tf.family_n, 31);
    assert_true(
        cl_match_place_weight(0.65, 0.0003, tf.postcode_n, tf.family_n) ==
        cl_match_level_weight(&mc, CL_W_POSTCODE_UNIT));
    sodium_memzero(&rec, sizeof(rec));
}

/* How many of p's blocking keys hold a row (of the one record stored),
 * and how many of them are not also keys of q's (q NULL: none). */
static size_t s_keys_held(th_core *c, const cl_person *p, const cl_person *q,
                          size_t *only_p)
{
    uint8_t kp[CL_BLOCK_MAX][CL_BLIND_LEN], kq[CL_BLOCK_MAX][CL_BLIND_LEN];
    const cl_store *st = cl_store_of(c->t);
    size_t np = cl_block_keys(st, p, kp, CL_BLOCK_MAX), held = 0;
    size_t nq = q ? cl_block_keys(st, q, kq, CL_BLOCK_MAX) : 0;
    *only_p = 0;
    for (size_t i = 0; i < np; i++) {
        size_t n = 0;
        bool shared = false;
        for (size_t j = 0; j < nq; j++)
            shared |= memcmp(kp[i], kq[j], CL_BLIND_LEN) == 0;
        assert_int_equal(
            cl_store_count(c->t, CL_DB_BLOCK, kp[i], CL_BLIND_LEN, 5, &n),
            CL_OK);
        held += n == 1;
        *only_p += !shared; /* all of p's keys when q is NULL */
    }
    return held;
}

/* A record's index rows follow its details: the same details again (past
 * the activity grain, so the record is rewritten) leave every row, a
 * changed postcode moves the rows that hold it. The keys of unchanged
 * details are not computed again; this shows nothing is lost by it. */
static void test_index_follows_details(void **state)
{
    th_core *c = *state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    size_t only, na, nb;
    cl_person a = s_person("Olivia", "Ramsbottom", "1990-04-12",
                           "12 High Street", "LS1 2AB");
    cl_person b = a;
    CL_COPY(b.postcode, "LS9 9ZZ");
    s_import_at(c, &mc, "r1", a, 1700000000);
    na = s_keys_held(c, &a, NULL, &only);
    assert_int_equal(na, only); /* every key of a */
    s_import_at(c, &mc, "r1", a, 1700000000 + 2 * CL_RECORDS_ACTIVITY_GRAIN);
    assert_int_equal(s_keys_held(c, &a, NULL, &only), na);
    s_import_at(c, &mc, "r1", b, 1700000000 + 4 * CL_RECORDS_ACTIVITY_GRAIN);
    nb = s_keys_held(c, &b, NULL, &only);
    assert_int_equal(nb, only); /* every key of b */
    /* and the old postcode's own keys hold nothing */
    size_t held_a = s_keys_held(c, &a, &b, &only);
    assert_true(only > 0);
    assert_int_equal(held_a, na - only);
}

/* Records in the order of their true people (a household's members are
 * generated together), for pairs of one person and of one family. */
static const synth_pop *s_by_truth_pop;
static int s_by_truth(const void *x, const void *y)
{
    uint32_t a = s_by_truth_pop->records[*(const size_t *)x].truth,
             b = s_by_truth_pop->records[*(const size_t *)y].truth;
    return a < b ? -1 : a > b;
}

/* A match counts a name's records only once a candidate it reads carries
 * the same name (cl_match_tf_wants): a weight reads the frequencies only
 * at an exact name. Over pairs of synthetic records of one person, of
 * one family and of neighbours (households, twins, typos, swapped names,
 * the hard errors too), the weight and levels with only the wanted parts
 * of tf are the ones with all of it; and tf does move the weights or
 * levels of pairs that want it (else this would prove nothing). */
static void test_tf_wants(void **state)
{
    (void)state;
    cl_match_config mc;
    cl_match_config_defaults(&mc);
    synth_pop pop;
    synth_generate_ex(&pop, 1500, 41, true);
    size_t *order = calloc(pop.n_records, sizeof(*order));
    assert_non_null(order);
    for (size_t i = 0; i < pop.n_records; i++)
        order[i] = i;
    s_by_truth_pop = &pop;
    qsort(order, pop.n_records, sizeof(*order), s_by_truth);
    /* frequencies that differ from the levels' u; the given name far
     * more often a family name (the names-the-wrong-way-round rule) */
    const cl_match_tf full = {
        .family = 3e-5, .given = 7e-6, .given_n = 2, .given_as_family_n = 9};
    const cl_match_tf none = {0};
    size_t pairs = 0, wanted[2] = {0, 0}, moved = 0;
    for (size_t i = 0; i < pop.n_records; i++) {
        for (size_t d = 1; d <= 6 && i + d < pop.n_records; d++) {
            const cl_person *a = &pop.records[order[i]].person,
                            *b = &pop.records[order[i + d]].person;
            cl_match_prep pa, pb;
            cl_match_prepare(&pa, a);
            cl_match_prepare(&pb, b);
            unsigned want = cl_match_tf_wants(&pa, b);
            cl_match_tf part = none;
            if (want & CL_MATCH_TF_FAMILY)
                part.family = full.family;
            if (want & CL_MATCH_TF_GIVEN) {
                part.given = full.given;
                part.given_n = full.given_n;
                part.given_as_family_n = full.given_as_family_n;
            }
            int lf[CL_MATCH_NFIELDS], lp[CL_MATCH_NFIELDS],
                l0[CL_MATCH_NFIELDS];
            double wf =
                cl_match_weigh_prepared(&mc, &pa, &pb, &full, NULL, NULL, lf);
            double wp =
                cl_match_weigh_prepared(&mc, &pa, &pb, &part, NULL, NULL, lp);
            double w0 =
                cl_match_weigh_prepared(&mc, &pa, &pb, &none, NULL, NULL, l0);
            assert_true(wf == wp);
            assert_memory_equal(lf, lp, sizeof(lf));
            pairs++;
            wanted[0] += (want & CL_MATCH_TF_FAMILY) != 0;
            wanted[1] += (want & CL_MATCH_TF_GIVEN) != 0;
            moved += want && (wf != w0 || memcmp(lf, l0, sizeof(lf)) != 0);
        }
    }
    free(order);
    synth_free(&pop);
    print_message("%zu pairs: %zu want the family name's count, %zu the "
                  "given name's, %zu weigh or level otherwise without\n",
                  pairs, wanted[0], wanted[1], moved);
    assert_true(pairs > 5000);
    assert_true(wanted[0] > 500 && wanted[1] > 500);
    assert_true(moved > 500);
}

/* The keys of one tier are those of the whole listing with (names alone)
 * or without that bit, in the same order: a match hashes the names-only
 * keys only when it looks them up. */
static void test_key_tiers(void **state)
{
    th_core *c = *state;
    synth_pop pop;
    synth_generate_ex(&pop, 300, 43, true);
    size_t weak_seen = 0;
    for (size_t i = 0; i < pop.n_records; i++) {
        uint8_t all[CL_BLOCK_MAX][CL_BLIND_LEN],
            tier[CL_BLOCK_MAX][CL_BLIND_LEN];
        uint32_t weak = 0;
        const cl_person *p = &pop.records[i].person;
        size_t n = cl_block_keys_tiered(cl_store_of(c->t), p, all, CL_BLOCK_MAX,
                                        &weak);
        for (int names_only = 0; names_only < 2; names_only++) {
            size_t nt = cl_block_keys_tier(cl_store_of(c->t), p, tier,
                                           CL_BLOCK_MAX, names_only);
            size_t j = 0;
            for (size_t k = 0; k < n; k++) {
                if (((weak >> k) & 1u) != (unsigned)names_only)
                    continue;
                assert_true(j < nt);
                assert_memory_equal(tier[j], all[k], CL_BLIND_LEN);
                j++;
            }
            assert_int_equal(j, nt);
            weak_seen += names_only ? nt : 0;
        }
    }
    synth_free(&pop);
    assert_true(weak_seen > 0);
}

/* A given name's full form: a nickname's, first word, folded, found by
 * a binary search over the table in any order it is written. */
static void test_canonical_given(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Abby", "abigail"},
        {"abby", "abigail"},
        {"ABBY", "abigail"},
        {"Will", "william"},
        {"Bill", "william"},
        {"Catherine", "katherine"},
        {"Jo-Anne", "joanne"},
        {"Tom Ed", "thomas"},
        {"  Sue", "susan"},
        {"Ab", "ab"},
        {"Abbyx", "abbyx"},
        {"Aaron", "aaron"},
        {"Zoe", "zoe"},
        {"Willa", "willa"},
        {"Wil", "wil"},
        {"Mary Ann", "mary"},
        {"", ""},
        {"-", ""},
        {"O'Brien", "obrien"},
        {"Ted", "edward"},
        {"Vicky", "victoria"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[CL_NAME_SZ];
        cl_match_canonical_given(cases[i][0], out, sizeof(out));
        assert_string_equal(out, cases[i][1]);
    }
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
        cmocka_unit_test_setup_teardown(test_budget_keeps_the_best, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_forged_extra_row, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_second_look, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_first_look_enough, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_name_counts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_place_counts, s_setup, s_teardown),
        cmocka_unit_test(test_tf_wants),
        cmocka_unit_test_setup_teardown(test_index_follows_details, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_key_tiers, s_setup, s_teardown),
        cmocka_unit_test(test_canonical_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
