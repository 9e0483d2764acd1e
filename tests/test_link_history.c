/*
 * test_link_history: one record per agency per person, its details
 * updated with history (issue 13), through a real daemon and the client
 * library: a second and third referral from the same agency about the
 * same person (by NHS number, then matched without one) reuse that
 * agency's record, the record shows the latest details, and subject
 * access exports every earlier version with when it was recorded, when
 * it was replaced and by whom; another agency keeps its own record.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core.h"
#include "dp_util.h"
#include "harness.h"
#include "store.h"

#ifndef CL_CASELINK_CLI
#error "CL_CASELINK_CLI must name the caselink binary"
#endif

static cl_request *s_referral(const char *ref, const char *address,
                              const char *postcode, const char *town, bool nhs)
{
    cl_request *q =
        th_referral(ref, "Jane", "Smith", "1985-04-12", nhs ? DP_NHS : NULL);
    cl_person *p = &q->u.publish.subject;
    CL_COPY(p->address, address);
    CL_COPY(p->postcode, postcode);
    CL_COPY(p->town, town);
    return q;
}

static const cl_agency_record *s_record_of(const cl_subject_access *sa,
                                           const char *agency_part)
{
    const cl_agency_record *found = NULL;
    for (size_t i = 0; i < sa->person.n_records; i++)
        if (strstr(sa->person.records[i].agency, agency_part)) {
            assert_null(found); /* one record per agency */
            found = &sa->person.records[i];
        }
    return found;
}

static int s_count_one(void *ctx, const uint8_t *key, size_t len)
{
    (void)key;
    (void)len;
    ++*(size_t *)ctx;
    return CL_OK;
}

static void test_second_referral_keeps_history(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police");
    char ref[CL_REF_SZ];
    cl_request *q = s_referral("GP-H1", "14 Mill Lane", "LS1 4AB", "", true);
    assert_int_equal(th_publish(gp, q, ref), CL_STATUS_OK);
    free(q);
    /* she moved: the same NHS number, a new address */
    q = s_referral("GP-H2", "3 Canal Wharf", "LS11 5PS", "", true);
    assert_int_equal(th_publish(gp, q, ref), CL_STATUS_OK);
    free(q);
    /* no NHS number this time: matched on name, date and address, and
     * the town is new */
    q = s_referral("GP-H3", "3 Canal Wharf", "LS11 5PS", "Leeds", false);
    assert_int_equal(th_publish(gp, q, ref), CL_STATUS_OK);
    free(q);
    /* the same again changes nothing and keeps no version */
    q = s_referral("GP-H4", "3 Canal Wharf", "LS11 5PS", "Leeds", false);
    assert_int_equal(th_publish(gp, q, ref), CL_STATUS_OK);
    free(q);
    /* another agency's view is its own record, with no history */
    q = s_referral("PO-H1", "14 Mill Lane", "LS1 4AB", "", true);
    assert_int_equal(th_publish(police, q, ref), CL_STATUS_OK);
    free(q);

    cl_reply rep;
    assert_int_equal(dp_sar(d, &rep), CL_STATUS_OK);
    const cl_subject_access *sa = &rep.u.subject;
    assert_int_equal(sa->person.n_referrals, 5);
    assert_int_equal(sa->person.n_records, 2);
    const cl_agency_record *g = s_record_of(sa, "Surgery");
    const cl_agency_record *p = s_record_of(sa, "Police");
    assert_non_null(g);
    assert_non_null(p);
    assert_string_equal(g->person.address, "3 Canal Wharf");
    assert_string_equal(g->person.town, "Leeds");
    assert_string_equal(p->person.address, "14 Mill Lane");
    /* the GP record's two earlier versions, oldest first */
    assert_int_equal(sa->n_record_history, 2);
    const cl_record_version *v0 = &sa->record_history[0],
                            *v1 = &sa->record_history[1];
    assert_string_equal(v0->record.record_id, g->record_id);
    assert_string_equal(v1->record.record_id, g->record_id);
    assert_string_equal(v0->record.agency, g->agency);
    assert_string_equal(v0->record.person.address, "14 Mill Lane");
    assert_string_equal(v0->record.person.postcode, "LS1 4AB");
    assert_string_equal(v0->record.person.nhs, DP_NHS);
    assert_string_equal(v1->record.person.address, "3 Canal Wharf");
    assert_string_equal(v1->record.person.town, "");
    assert_true(v0->recorded_at > 0 && v0->recorded_at <= v0->replaced_at);
    assert_true(v0->replaced_at <= v1->replaced_at);
    assert_non_null(strstr(v0->by, "gp"));
    assert_non_null(strstr(v0->by, g->agency));
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&police);
    /* the auditor's CLI writes them into the export */
    char out[400];
    snprintf(out, sizeof(out), "%s/sar.json", d->dir);
    assert_int_equal(th_sh("%s --dev %s --as auditor audit subject-access "
                           "--nhs %s > %s",
                           CL_CASELINK_CLI, d->dir, DP_NHS, out),
                     0);
    assert_int_equal(th_sh("python3 -c 'import json,sys; h=json.load(open("
                           "sys.argv[1]))[\"record_history\"]; "
                           "assert len(h)==2, h; "
                           "assert h[0][\"before\"][\"address\"]"
                           "==\"14 Mill Lane\", h[0]' %s",
                           out),
                     0);

    /* stored sealed, keyed by record id only */
    assert_int_equal(th_stop(d, SIGTERM), 0);
    cl_store *st = NULL;
    cl_txn *t = NULL;
    size_t n = 0;
    dp_store_read(d, &st, &t);
    assert_int_equal(
        cl_store_scan(t, CL_DB_RECORD_HISTORY, NULL, 0, s_count_one, &n),
        CL_OK);
    assert_int_equal(n, 2);
    cl_store_abort(&t);
    cl_store_close(&st);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_second_referral_keeps_history,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
