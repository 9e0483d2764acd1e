/*
 * test_ops: what an operator does to a running daemon: statistics, an
 * online backup during a stream of writes and its restore, key rotation
 * under load with retirement, and the map growing instead of failing.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

static const char *NHS = "9434765919";

static int s_admin(th_daemon *d, cl_request *req, cl_reply *rep)
{
    cl_client *op = th_client(d, "operator");
    memset(req->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(op, req, rep), CL_OK);
    cl_client_close(&op);
    return (int)rep->status;
}

/* Send n referrals about one person without waiting. */
static void s_stream(cl_client *c, const char *prefix, int from, int n)
{
    cl_request *q = th_referral("", "Jane", "Smith", "1985-04-12", NHS);
    for (int i = from; i < from + n; i++) {
        snprintf(q->u.publish.agency_ref, sizeof(q->u.publish.agency_ref),
                 "%s-%d", prefix, i);
        memset(q->msgid, 0, CL_MSGID_LEN);
        assert_int_equal(cl_client_send(c, q), CL_OK);
    }
    free(q);
}

/* Collect n replies; returns how many were OK. */
static int s_collect(cl_client *c, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        cl_reply rep;
        assert_int_equal(cl_client_recv(c, &rep, 10000), CL_OK);
        ok += rep.status == CL_STATUS_OK;
        cl_reply_clear(&rep);
    }
    return ok;
}

static void test_stats(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    s_stream(gp, "S", 0, 50);
    assert_int_equal(s_collect(gp, 50), 50);
    cl_client_close(&gp);
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_STATS;
    assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_OK);
    cl_stats *st = &rep.u.stats;
    assert_true(st->commits >= 1 && st->commits <= 51);
    assert_int_equal(st->referrals, 50);
    assert_int_equal(st->persons, 1);
    assert_int_equal(st->audit_entries, 50);
    assert_true(st->map_bytes > 0 && st->store_bytes > 0);
    assert_true(st->commit_max_us >= st->commit_p50_us);
    bool saw = false;
    for (uint32_t i = 0; i < st->n_counts; i++)
        saw |= !strcmp(st->counts[i].kind, "publish_referral") &&
               st->counts[i].status == CL_STATUS_OK &&
               st->counts[i].count == 50;
    assert_true(saw);
    cl_reply_clear(&rep);
    /* statistics are for operators only */
    cl_client *co = th_client(d, "coordinator");
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_STATS;
    assert_int_equal(cl_client_call(co, &req, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&co);
}

static void test_backup_during_writes_and_restore(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    s_stream(gp, "B", 0, 200);
    assert_int_equal(s_collect(gp, 200), 200); /* acknowledged before */
    s_stream(gp, "B", 200, 300);               /* still arriving */
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_BACKUP;
    CL_COPY(req.u.backup_name, "nightly-1");
    assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_OK);
    assert_true(rep.u.backup.bytes > 0);
    cl_reply_clear(&rep);
    assert_int_equal(s_collect(gp, 300), 300);
    cl_client_close(&gp);
    /* names are checked: no path tricks */
    CL_COPY(req.u.backup_name, "../../etc");
    assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    assert_int_equal(th_referrals_of(d, NHS), 500);
    assert_int_equal(th_stop(d, SIGTERM), 0);

    /* Restore as the README says: stop, put the copy in place, start. */
    assert_int_equal(
        th_sh("cd %s/state && mv data.mdb data.mdb.old && rm -f lock.mdb && "
              "cp backups/nightly-1/data.mdb data.mdb",
              d->dir),
        0);
    th_start(d, NULL);
    size_t n = th_referrals_of(d, NHS);
    printf("backup taken during a stream: %zu referrals restored (200 "
           "acknowledged before it, 500 in all)\n",
           n);
    assert_true(n >= 200 && n <= 500);
    /* every record in the restored store opens */
    cl_client *au = th_client(d, "auditor");
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_AUDIT_VERIFY;
    assert_int_equal(cl_client_call(au, &req, &rep), CL_OK);
    assert_true(rep.u.verify.intact);
    cl_reply_clear(&rep);
    cl_client_close(&au);
}

static void test_rotate_under_load(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    s_stream(gp, "R", 0, 300);
    assert_int_equal(s_collect(gp, 300), 300);
    s_stream(gp, "R", 300, 300);
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_ROTATE_KEY;
    assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.key_status.current, 2);
    cl_reply_clear(&rep);
    /* retiring version 1 while values still use it is refused */
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_RETIRE_KEY;
    req.u.key_version = 2;
    assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);
    s_stream(gp, "R", 600, 300);
    assert_int_equal(s_collect(gp, 600), 600);
    cl_client_close(&gp);
    uint64_t pending = 1;
    for (int i = 0; i < 100 && pending; i++) {
        memset(&req, 0, sizeof(req));
        req.kind = CL_REQ_ADMIN_KEY_STATUS;
        assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_OK);
        pending = rep.u.key_status.pending;
        cl_reply_clear(&rep);
        if (pending)
            usleep(50000);
    }
    assert_int_equal(pending, 0);
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_RETIRE_KEY;
    req.u.key_version = 1;
    assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    assert_int_equal(th_referrals_of(d, NHS), 900);
    /* after a restart the new version and the retirement still hold */
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, NULL);
    assert_int_equal(th_referrals_of(d, NHS), 900);
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_KEY_STATUS;
    assert_int_equal(s_admin(d, &req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.key_status.current, 2);
    bool retired = false;
    for (uint32_t i = 0; i < rep.u.key_status.n_versions; i++)
        retired |= rep.u.key_status.versions[i].version == 1 &&
                   rep.u.key_status.versions[i].retired;
    assert_true(retired);
    cl_reply_clear(&rep);
}

static void test_map_grows(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[store]\nmap_size_mb = 1\nmap_max_mb = 64\n");
    cl_client *gp = th_client(&d, "gp");
    cl_request *q = th_referral("", "Jane", "Smith", "1985-04-12", NHS);
    memset(q->u.publish.concern, 'x', CL_CONCERN_SZ - 1);
    q->u.publish.concern[CL_CONCERN_SZ - 1] = '\0';
    int ok = 0;
    for (int i = 0; i < 400; i++) {
        snprintf(q->u.publish.agency_ref, sizeof(q->u.publish.agency_ref),
                 "G-%d", i);
        memset(q->msgid, 0, CL_MSGID_LEN);
        assert_int_equal(cl_client_send(gp, q), CL_OK);
    }
    ok = s_collect(gp, 400);
    free(q);
    cl_client_close(&gp);
    assert_int_equal(ok, 400);
    assert_true(th_file_contains(d.log, "store map grown"));
    assert_int_equal(th_referrals_of(&d, NHS), 400);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
}

/* A full map refuses work and loses nothing it acknowledged; admin
 * health names the failed write, when, and how many, to an operator
 * (not to a publisher, which sees no counts). */
static void test_map_full_refuses_work(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[store]\nmap_size_mb = 1\nmap_max_mb = 1\n");
    cl_health h = th_health(&d, "operator");
    assert_int_equal(h.write_errors, 0);
    assert_int_equal(h.write_error_at, 0);
    assert_string_equal(h.write_error, "");
    int64_t before = (int64_t)time(NULL);
    cl_client *gp = th_client(&d, "gp");
    cl_request *q = th_referral("", "Jane", "Smith", "1985-04-12", NHS);
    memset(q->u.publish.concern, 'y', CL_CONCERN_SZ - 1);
    q->u.publish.concern[CL_CONCERN_SZ - 1] = '\0';
    int ok = 0, busy = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(q->u.publish.agency_ref, sizeof(q->u.publish.agency_ref),
                 "F-%d", i);
        memset(q->msgid, 0, CL_MSGID_LEN);
        cl_reply rep;
        assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
        ok += rep.status == CL_STATUS_OK;
        busy += rep.status == CL_STATUS_BUSY;
        cl_reply_clear(&rep);
    }
    free(q);
    cl_client_close(&gp);
    printf("1 MiB map: %d acknowledged, %d refused as busy\n", ok, busy);
    assert_true(ok > 0 && busy > 0 && ok + busy == 300);
    h = th_health(&d, "operator");
    printf("health: %llu batches not written, the last: %s\n",
           (unsigned long long)h.write_errors, h.write_error);
    assert_true(h.write_errors > 0 && h.write_errors <= (uint64_t)busy);
    assert_true((int64_t)h.write_error_at >= before &&
                (int64_t)h.write_error_at <= (int64_t)time(NULL));
    assert_non_null(strstr(h.write_error, "full"));
    h = th_health(&d, "gp");
    assert_int_equal(h.write_errors, 0);
    assert_string_equal(h.write_error, "");
    /* exactly what was acknowledged is there, and the audit agrees */
    assert_int_equal(th_referrals_of(&d, NHS), (size_t)ok);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stats, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_backup_during_writes_and_restore,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_rotate_under_load, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test(test_map_grows),
        cmocka_unit_test(test_map_full_refuses_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
