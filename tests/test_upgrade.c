/*
 * test_upgrade: a store written by an earlier version, opened by this
 * one, through a real daemon, its real LMDB file and the caselink CLI.
 *
 * Places counted: how many records share a postcode or an address lowers
 * what agreeing on it weighs, from index rows an earlier version did not
 * write. A store whose first record this version stored is counted from
 * the start; one from before (here: the same store without the mark an
 * earlier version never wrote) is not, and the daemon says so at start
 * and in `link weights` until a `link rerun` has been through every
 * record, which indexes each at its places again. A rerun an earlier
 * version began is started again from the first record, and then counts.
 * A store whose id counters a restore raised, holding no record yet, is
 * counted from its first.
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

#include "block.h"
#include "codec.h"
#include "core.h"
#include "dp_util.h"
#include "harness.h"
#include "store.h"

#ifndef CL_CASELINK_CLI
#error "CL_CASELINK_CLI must name the caselink binary"
#endif

static const char S_WARNING[] = "are not counted at their places";

static size_t s_warnings(const th_daemon *d)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "grep -c '%s' %s", S_WARNING, d->log);
    FILE *p = popen(cmd, "r");
    unsigned n = 0;
    assert_non_null(p);
    if (fscanf(p, "%u", &n) != 1)
        n = 0;
    pclose(p);
    return n;
}

/* The housekeeping pass that reads the weights at start has run. */
static void s_weights_read(const th_daemon *d, size_t times)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "test $(grep -c 'linking weights:' %s) -ge %zu",
             d->log, times);
    for (int i = 0; i < 100 && th_sh("%s", cmd) != 0; i++)
        usleep(100000);
    assert_int_equal(th_sh("%s", cmd), 0);
}

/* Run the caselink CLI on d's development folder: cmd is its arguments
 * and any shell after them; returns the exit status. */
static int s_cli(const th_daemon *d, const char *cmd)
{
    return th_sh("%s --dev %s %s", CL_CASELINK_CLI, d->dir, cmd);
}

/* What `caselink link weights --json` says of rerun_needed. */
static void s_rerun_needed(const th_daemon *d, bool needed)
{
    assert_int_equal(th_sh("%s --dev %s link weights --json | grep -q "
                           "'\"rerun_needed\":%s'",
                           CL_CASELINK_CLI, d->dir, needed ? "true" : "false"),
                     0);
}

typedef struct s_rows {
    uint8_t key[8][CL_BLIND_LEN + 16];
    size_t len[8], n;
} s_rows;

static int s_row(void *ctx, const uint8_t *key, size_t len)
{
    s_rows *r = ctx;
    if (r->n == 8 || len > sizeof(r->key[0]))
        return CL_ERR_INVALID;
    memcpy(r->key[r->n], key, len);
    r->len[r->n++] = len;
    return CL_OK;
}

/* The rows counting the records at postcode LS1 4AB (strip: deleted, as
 * an earlier version never wrote them); returns how many there were. */
static size_t s_place_rows(cl_store *st, cl_txn *t, bool strip)
{
    cl_person p;
    uint8_t k[CL_BLIND_LEN];
    s_rows r = {.n = 0};
    memset(&p, 0, sizeof(p));
    CL_COPY(p.postcode, "LS1 4AB");
    assert_true(cl_block_place_key(st, &p, false, k));
    assert_int_equal(cl_store_scan(t, CL_DB_BLOCK, k, sizeof(k), s_row, &r),
                     CL_OK);
    for (size_t i = 0; strip && i < r.n; i++)
        assert_int_equal(cl_store_del(t, CL_DB_BLOCK, r.key[i], r.len[i]),
                         CL_OK);
    return r.n;
}

/* How many records the stopped daemon's store counts at LS1 4AB. */
static size_t s_counted_at(const th_daemon *d)
{
    cl_store *st;
    cl_txn *t;
    dp_store_read(d, &st, &t);
    size_t n = s_place_rows(st, t, false);
    cl_store_abort(&t);
    cl_store_close(&st);
    return n;
}

/* Open the stopped daemon's store as an earlier version left it: no mark
 * that places are counted, no rows counting them, and with old_rerun a
 * rerun this version began that an earlier one (a rollback) took on
 * through the first of its two records: the state v1 with the cursor
 * moved, the row of this version's last step left behind. */
static void s_as_before(const th_daemon *d, bool old_rerun)
{
    cl_store *st;
    cl_txn *t;
    dp_store_read(d, &st, &t);
    cl_store_abort(&t);
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    int rc =
        cl_store_del(t, CL_DB_LINKING, (const uint8_t *)"places.counted", 14);
    assert_true(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
    assert_int_equal(s_place_rows(st, t, true), 2);
    if (old_rerun) {
        uint8_t buf[64];
        cl_enc e = cl_enc_init(buf, sizeof(buf));
        cl_enc_u8(&e, 1);    /* version */
        cl_enc_u8(&e, 1);    /* running */
        cl_enc_u64(&e, 1);   /* cursor: record 1 done */
        cl_enc_u64(&e, 2);   /* total */
        cl_enc_u64(&e, 1);   /* done */
        cl_enc_u64(&e, 0);   /* merged */
        cl_enc_u64(&e, 0);   /* queued */
        cl_enc_i64(&e, 1e9); /* started */
        assert_true(cl_enc_ok(&e));
        assert_int_equal(cl_store_put(t, CL_DB_LINKING,
                                      (const uint8_t *)"rerun", 5, buf, e.len),
                         CL_OK);
        int64_t mine[2] = {(int64_t)1e9, 0}; /* started, cursor */
        assert_int_equal(
            cl_records_stamp_put(t, CL_DB_LINKING, "places.rerun", mine, 2),
            CL_OK);
    }
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&st);
}

static void test_places_counted_after_upgrade(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, NULL);
    cl_client *gp = th_client(&d, "gp");
    cl_request *q = th_referral("GP-U1", "Jane", "Smith", "1985-04-12", DP_NHS);
    CL_COPY(q->u.publish.subject.postcode, "LS1 4AB");
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    q = th_referral("GP-U2", "Omar", "Haddad", "1972-09-30", NULL);
    CL_COPY(q->u.publish.subject.postcode, "LS1 4AB");
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&gp);
    /* a new store: counted from its first record, nothing to say */
    s_weights_read(&d, 1);
    s_rerun_needed(&d, false);
    assert_int_equal(s_cli(&d, "link weights | grep -q 'link "
                               "rerun'"),
                     1);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_warnings(&d), 0);
    assert_int_equal(s_counted_at(&d), 2);

    /* as an earlier version left it: records, and no mark */
    s_as_before(&d, false);
    th_start(&d, NULL);
    s_weights_read(&d, 2);
    assert_int_equal(s_warnings(&d), 1);
    assert_int_equal(th_sh("grep '%s' %s | grep -q 'run caselink link rerun "
                           "once'",
                           S_WARNING, d.log),
                     0);
    s_rerun_needed(&d, true);
    assert_int_equal(s_cli(&d, "link weights | grep -q 'run once: "
                               "caselink link rerun'"),
                     0);
    /* and where the operator looks */
    assert_int_equal(s_cli(&d, "admin stats | grep -q 'places were "
                               "counted: run caselink link rerun once'"),
                     0);
    assert_int_equal(s_cli(&d, "admin stats --json | grep -q "
                               "'\"relink_needed\":true'"),
                     0);
    /* a rerun through every record counts them */
    assert_int_equal(s_cli(&d, "link rerun --wait >/dev/null"), 0);
    s_rerun_needed(&d, false);
    assert_int_equal(s_cli(&d, "admin stats --json | grep -q "
                               "'\"relink_needed\":false'"),
                     0);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_counted_at(&d), 2);
    th_start(&d, NULL);
    s_weights_read(&d, 3);
    s_rerun_needed(&d, false);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_warnings(&d), 1);

    /* a rerun an earlier version stepped on (a rollback mid-rerun): this
     * one starts it again from the first record, and then it counts */
    s_as_before(&d, true);
    th_start(&d, NULL);
    const char *done = "link weights | grep -q 'relinking: done, 2 of about 2'";
    for (int i = 0; i < 100 && s_cli(&d, done) != 0; i++)
        usleep(100000);
    assert_int_equal(s_cli(&d, done), 0);
    s_rerun_needed(&d, false);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_counted_at(&d), 2);
    /* and the rerun's state is as an earlier version reads it (v1) */
    cl_store *st;
    cl_txn *t;
    uint8_t buf[128];
    size_t len = 0;
    dp_store_read(&d, &st, &t);
    assert_int_equal(cl_store_get(t, CL_DB_LINKING, (const uint8_t *)"rerun", 5,
                                  buf, sizeof(buf), &len),
                     CL_OK);
    assert_true(len > 0 && buf[0] == 1);
    cl_store_abort(&t);
    cl_store_close(&st);
    assert_int_equal(th_sh("rm -rf %s", d.dir), 0);
}

/* A restore raised the id counters of a store that holds no record yet:
 * its first record, whatever its id, marks it counted. */
static void test_places_counted_after_restore(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, NULL);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    cl_store *st;
    cl_txn *t;
    uint64_t id = 0;
    dp_store_read(&d, &st, &t);
    cl_store_abort(&t);
    assert_int_equal(cl_store_begin(&t, st, NULL, true), CL_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cl_store_next_id(t, "record", &id), CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_close(&st);
    th_start(&d, NULL);
    cl_client *gp = th_client(&d, "gp");
    cl_request *q = th_referral("GP-R1", "Jane", "Smith", "1985-04-12", DP_NHS);
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&gp);
    s_rerun_needed(&d, false);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_warnings(&d), 0);
    assert_int_equal(th_sh("rm -rf %s", d.dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_places_counted_after_upgrade),
        cmocka_unit_test(test_places_counted_after_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
