/*
 * test_replay: resent message ids against the real daemon. Inside the
 * replay window ([store] replay_window_s) a resend gets the original reply,
 * also after a restart, and a different request under the same id is
 * refused; another client's same id is its own; after the window a resend
 * is a new request (a referral already held is then still answered by its
 * agency reference, naming the original).
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

#include "harness.h"

static const char *NHS_JANE = "9434765919";

static int s_call(cl_client *c, cl_request *q, cl_reply *rep)
{
    assert_int_equal(cl_client_call(c, q, rep), CL_OK);
    return rep->status;
}

static size_t s_referrals(th_daemon *d)
{
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS_JANE, &rep), CL_STATUS_OK);
    size_t n = rep.u.person.n_referrals;
    cl_reply_clear(&rep);
    cl_client_close(&co);
    return n;
}

static void test_replay_survives_restart(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    cl_request *q =
        th_referral("GP-R1", "Jane", "Smith", "1985-04-12", NHS_JANE);
    cl_reply rep;
    char first[CL_REF_SZ];
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    CL_COPY(first, rep.u.publish.reference);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, NULL);

    /* the records are found again from the data file */
    gp = th_client(d, "gp");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_DUPLICATE);
    assert_int_equal(rep.original_status, CL_STATUS_OK);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    CL_COPY(q->u.publish.concern, "another concern");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "message_id: already used"));
    cl_reply_clear(&rep);
    cl_client_close(&gp);

    /* the police sending the GP's message id: their own request */
    cl_client *police = th_client(d, "police");
    CL_COPY(q->u.publish.agency_ref, "POL-R1");
    assert_int_equal(s_call(police, q, &rep), CL_STATUS_OK);
    assert_string_not_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    cl_client_close(&police);
    free(q);
    assert_int_equal(s_referrals(d), 2);
}

static void test_replay_window_expires(void **state)
{
    th_daemon *d = *state;
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, "[store]\nreplay_window_s = 3\n");
    cl_client *gp = th_client(d, "gp");
    cl_request *q =
        th_referral("GP-W1", "Jane", "Smith", "1985-04-12", NHS_JANE);
    cl_reply rep;
    char first[CL_REF_SZ];
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    CL_COPY(first, rep.u.publish.reference);
    cl_reply_clear(&rep);
    /* inside the window: the original reply; another body refused */
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_DUPLICATE);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    cl_request *other = malloc(sizeof(*other));
    assert_non_null(other);
    memcpy(other, q, sizeof(*q));
    CL_COPY(other->u.publish.agency_ref, "GP-W2");
    assert_int_equal(s_call(gp, other, &rep), CL_STATUS_INVALID);
    cl_reply_clear(&rep);

    /* past it (records are kept by the second: 3 s, and the one it was
     * written in; the margins leave room for a loaded machine) */
    sleep(5);
    /* the same referral again: its agency reference still names it */
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_DUPLICATE);
    assert_string_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    /* another request under the old id: a new request, applied */
    assert_int_equal(s_call(gp, other, &rep), CL_STATUS_OK);
    assert_string_not_equal(rep.u.publish.reference, first);
    cl_reply_clear(&rep);
    /* and now that is the message id's record */
    assert_int_equal(s_call(gp, other, &rep), CL_STATUS_DUPLICATE);
    cl_reply_clear(&rep);
    free(other);
    free(q);
    cl_client_close(&gp);
    assert_int_equal(s_referrals(d), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replay_survives_restart,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_replay_window_expires,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
