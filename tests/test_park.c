/*
 * test_park: a receive parked for mail (long poll) costs the batches
 * around it nothing while no mail comes for it. The serving thread reads
 * a parked agency's mailbox from the committed state, so with the
 * sequential log it used to commit the held transaction after every
 * batch while any receive was parked: about 50 pages a referral, one at
 * a time, instead of about 2. Now the writer looks, in the batch, for
 * mail waiting for a parked receive (or one the batch parks), and only
 * then is the held transaction committed and the mail read and sent,
 * also for a receive that parks in the batch its mail comes in.
 */
#include <setjmp.h>
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

static const char *NHS_CHILD = "0830166130";
static const char *NHS_MUM = "1860913903";
static const char *NHS_OTHER = "9960308243";

/* Bytes the daemon has written (/proc/PID/io wchar). */
static uint64_t s_wchar(const th_daemon *d)
{
    char path[64], line[128];
    unsigned long long v = 0;
    snprintf(path, sizeof(path), "/proc/%d/io", (int)d->pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "wchar: %llu", &v) == 1)
            break;
    fclose(f);
    return v;
}

static int64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The GP refers someone (no plan names them: no mail for anyone). */
static void s_refer(cl_client *gp, int i, const char *nhs)
{
    char ref[32];
    snprintf(ref, sizeof(ref), "GP-PK-%d", i);
    cl_request *q = th_referral(ref, "Sam", "Other", "1970-03-03", nhs);
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
}

/* Children's services' plan for the child, naming the mother: a
 * referral about the child is then mail (an alert) for them. */
static void s_plan(cl_client *ch, const char *ref)
{
    cl_request *plan = th_plan(ref, NHS_CHILD, NHS_MUM);
    assert_int_equal(th_publish(ch, plan, NULL), CL_STATUS_OK);
    free(plan);
}

#define S_REFERRALS 30

static void test_parked_receive_costs_no_commit(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    cl_request req;
    s_plan(ch, "CP-PK");
    s_refer(gp, 0, NHS_OTHER); /* the first referral: the person made */
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.wait_ms = 20000;
    assert_int_equal(cl_client_send(ch, &req), CL_OK);
    usleep(300 * 1000); /* parked */

    /* one at a time, none of them mail for the parked receive */
    uint64_t w0 = s_wchar(d);
    for (int i = 1; i <= S_REFERRALS; i++)
        s_refer(gp, i, NHS_OTHER);
    double pages = (double)(s_wchar(d) - w0) / 4096.0 / S_REFERRALS;
    printf("parked receive: %.1f pages written a referral, one at a time\n",
           pages);
    assert_true(pages < 4); /* a held commit each: 13 on this store */

    /* mail for it: answered at once, not at the end of its wait */
    cl_reply rep;
    int64_t t0 = s_ms();
    cl_request *q =
        th_referral("GP-PK-CHILD", "Lily", "Brown", "2019-06-01", NHS_CHILD);
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    assert_int_equal(cl_client_recv(ch, &rep, 20000), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.deliveries.n, 1);
    assert_true(s_ms() - t0 < 5000);
    cl_reply_clear(&rep);
    cl_client_close(&ch);
    cl_client_close(&gp);
}

/* A receive that parks in the batch its mail comes in (the receive, then
 * a referral about the child with a plan, both waiting while the batch
 * before them is held at its commit) is answered after that batch, not at
 * the end of its wait: the writer looks at the batch's own receives too. */
static void test_parked_in_the_batch_of_its_mail(void **state)
{
    th_daemon *d = *state;
    cl_client *ch = th_client(d, "childrens"), *gp = th_client(d, "gp");
    cl_request req;
    s_plan(ch, "CP-PK2");
    char gate[300];
    snprintf(gate, sizeof(gate), "%s/commit-gate", d->dir);
    assert_int_equal(unlink(gate), 0); /* the next batch waits */
    cl_request *held =
        th_referral("GP-PK-HELD", "Sam", "Other", "1970-03-03", NHS_OTHER);
    assert_int_equal(cl_client_send(gp, held), CL_OK);
    free(held);
    usleep(200 * 1000); /* on the writer, held */
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_INBOX_RECEIVE;
    req.u.inbox.wait_ms = 20000;
    assert_int_equal(cl_client_send(ch, &req), CL_OK);
    usleep(100 * 1000);
    cl_request *q =
        th_referral("GP-PK-CHILD2", "Lily", "Brown", "2019-06-01", NHS_CHILD);
    assert_int_equal(cl_client_send(gp, q), CL_OK);
    free(q);
    usleep(100 * 1000); /* both wait for the next batch */
    int64_t t0 = s_ms();
    assert_int_equal(th_sh("touch %s", gate), 0);
    cl_reply rep;
    assert_int_equal(cl_client_recv(ch, &rep, 20000), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    assert_int_equal(rep.u.deliveries.n, 1);
    assert_true(s_ms() - t0 < 5000); /* not at the end of its wait */
    cl_reply_clear(&rep);
    for (int i = 0; i < 2; i++) { /* the two referrals */
        assert_int_equal(cl_client_recv(gp, &rep, 10000), CL_OK);
        assert_int_equal(rep.status, CL_STATUS_OK);
        cl_reply_clear(&rep);
    }
    cl_client_close(&ch);
    cl_client_close(&gp);
}

static int s_setup(void **state)
{
    th_daemon *d = calloc(1, sizeof(*d));
    char gate[300];
    th_tmpdir(d->dir, sizeof(d->dir));
    snprintf(gate, sizeof(gate), "%s/commit-gate", d->dir);
    if (th_sh("touch %s", gate) != 0) /* open: commits go on */
        return -1;
    setenv("CASELINKD_FAULT_COMMIT_GATE", gate, 1);
    /* no held commit by the clock while the test runs */
    th_start(d, "[store]\nlog_commit_ms = 60000\n");
    unsetenv("CASELINKD_FAULT_COMMIT_GATE");
    *state = d;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parked_receive_costs_no_commit,
                                        s_setup, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_parked_in_the_batch_of_its_mail,
                                        s_setup, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
