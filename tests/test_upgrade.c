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
 * record. A rerun an earlier version began and this one finishes does
 * not count: the records it went through before were indexed without.
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

/* What `caselink link weights --json` says of rerun_needed. */
static void s_rerun_needed(const th_daemon *d, bool needed)
{
    assert_int_equal(th_sh("%s --dev %s link weights --json | grep -q "
                           "'\"rerun_needed\":%s'",
                           CL_CASELINK_CLI, d->dir, needed ? "true" : "false"),
                     0);
}

/* Open the stopped daemon's store as an earlier version left it: no mark
 * that places are counted, and with old_rerun a rerun of that version
 * (its state v1) through the first of its two records. */
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
    assert_int_equal(th_sh("%s --dev %s link weights | grep -q 'link "
                           "rerun'",
                           CL_CASELINK_CLI, d.dir),
                     1);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_warnings(&d), 0);

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
    assert_int_equal(th_sh("%s --dev %s link weights | grep -q 'run once: "
                           "caselink link rerun'",
                           CL_CASELINK_CLI, d.dir),
                     0);
    /* a rerun through every record counts them */
    assert_int_equal(th_sh("%s --dev %s link rerun --wait >/dev/null",
                           CL_CASELINK_CLI, d.dir),
                     0);
    s_rerun_needed(&d, false);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_start(&d, NULL);
    s_weights_read(&d, 3);
    s_rerun_needed(&d, false);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_warnings(&d), 1);

    /* an earlier version's rerun, half done at the upgrade: this one
     * finishes it, and a rerun is still needed */
    s_as_before(&d, true);
    th_start(&d, NULL);
    for (int i = 0;
         i < 100 && th_sh("%s --dev %s link weights | grep -q 'relinking: "
                          "done'",
                          CL_CASELINK_CLI, d.dir) != 0;
         i++)
        usleep(100000);
    s_rerun_needed(&d, true);
    assert_int_equal(th_sh("%s --dev %s link rerun --wait >/dev/null",
                           CL_CASELINK_CLI, d.dir),
                     0);
    s_rerun_needed(&d, false);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(th_sh("rm -rf %s", d.dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_places_counted_after_upgrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
