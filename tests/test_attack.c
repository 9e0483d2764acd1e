/*
 * test_attack: what an outside attacker with a coordinator's or an
 * auditor's key tried after the seventh session, against the real daemon:
 * requests that named something no system could act on, and were taken
 * (or answered with an empty list) instead of refused naming the field.
 * Each test fails on the tree before its fix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static const char *NHS = "9434765919";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(c, req, rep), CL_OK);
    return (int)rep->status;
}

/* Send q (calloc'd, freed here) as client name: the reply status, the
 * refusal text into err, the number of entries listed into *entries (if
 * not NULL). */
static int s_send(th_daemon *d, const char *name, cl_request *q,
                  char err[CL_ERROR_SZ], size_t *entries)
{
    cl_client *c = th_client(d, name);
    cl_reply rep;
    int st = s_call(c, q, &rep);
    if (entries)
        *entries = st == CL_STATUS_OK ? rep.u.entries.n : 0;
    cl_copy(err, CL_ERROR_SZ, rep.error);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&c);
    return st;
}

/* A zeroed request of kind. */
static cl_request *s_req(cl_req_kind kind)
{
    cl_request *q = calloc(1, sizeof(*q));
    assert_non_null(q);
    q->kind = kind;
    return q;
}

/* The coordinator asks agency about Jane Smith: the reply status, the
 * refusal text into err. */
static int s_ask(th_daemon *d, const char *agency, char err[CL_ERROR_SZ])
{
    cl_request *q = s_req(CL_REQ_INFO_REQUEST);
    CL_COPY(q->u.info.who.match.nhs, NHS);
    CL_COPY(q->u.info.agencies[q->u.info.n_agencies++], agency);
    CL_COPY(q->u.info.due, "2099-01-01");
    CL_COPY(q->u.info.question, "What is your involvement?");
    return s_send(d, "coordinator", q, err, NULL);
}

/* An information request to an agency whose only systems are an
 * auditor's or an operator's would wait for an answer nobody can give:
 * refused, naming the field and the agency; an agency that publishes is
 * asked as before. */
static void test_info_request_needs_an_answering_system(void **state)
{
    th_daemon *d = *state;
    char err[CL_ERROR_SZ];
    assert_int_equal(th_publish_and_view(d, "GP-X1", NHS, 0), CL_STATUS_OK);
    const char *mute[] = {"Northshire Information Governance",
                          "Northshire Council ICT"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(s_ask(d, mute[i], err), CL_STATUS_INVALID);
        assert_non_null(strstr(err, "agencies[0]"));
        assert_non_null(strstr(err, mute[i]));
        assert_non_null(strstr(err, "publisher"));
    }
    assert_int_equal(s_ask(d, "Northshire Police", err), CL_STATUS_OK);
}

static int s_measure(th_daemon *d, const char *name, const char *kind,
                     char err[CL_ERROR_SZ])
{
    cl_request *q = s_req(CL_REQ_DEFINE_MEASURE);
    cl_measure_def *m = &q->u.measure_def;
    CL_COPY(m->name, name);
    CL_COPY(m->from, "2026-01");
    CL_COPY(m->to, "2026-03");
    CL_COPY(m->source, "referrals");
    CL_COPY(m->agency_kind, kind);
    return s_send(d, "coordinator", q, err, NULL);
}

/* A measure of referrals from an agency kind that never publishes one
 * (the governance team, ICT, a misspelling) would count zero for ever:
 * refused naming agency_kind and the kinds that publish; a publishing
 * kind, in any case, is taken. */
static void test_measure_kind_must_publish(void **state)
{
    th_daemon *d = *state;
    char err[CL_ERROR_SZ];
    const char *never[] = {"governance", "operations", "mdt", "gpp"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s_measure(d, "never", never[i], err),
                         CL_STATUS_INVALID);
        assert_non_null(strstr(err, "agency_kind"));
        assert_non_null(strstr(err, "police")); /* the kinds that do */
    }
    assert_int_equal(s_measure(d, "police referrals", "police", err),
                     CL_STATUS_OK);
    assert_int_equal(s_measure(d, "gp referrals", "GP", err), CL_STATUS_OK);
    assert_int_equal(s_measure(d, "all referrals", "", err), CL_STATUS_OK);
}

static int s_search(th_daemon *d, const char *client, size_t *n,
                    char err[CL_ERROR_SZ])
{
    cl_request *q = s_req(CL_REQ_AUDIT_SEARCH);
    CL_COPY(q->u.person_ref.filter.client, client);
    return s_send(d, "auditor", q, err, n);
}

/* An audit search for a client nobody registered, with no entry by it,
 * answered with an empty list reads as "that client did nothing": an
 * auditor's typing slip hides everything. Refused naming filter.client
 * (with the nearest registered client); a registered client that did
 * nothing is an empty list, and one that acted finds its entries. */
static void test_audit_search_unknown_client(void **state)
{
    th_daemon *d = *state;
    char err[CL_ERROR_SZ];
    size_t n = 0;
    assert_int_equal(th_publish_and_view(d, "GP-X2", NHS, 1), CL_STATUS_OK);
    assert_int_equal(s_search(d, "coordinater", &n, err), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "filter.client"));
    assert_non_null(strstr(err, "coordinator")); /* did you mean */
    assert_int_equal(s_search(d, "nobody-at-all", &n, err), CL_STATUS_INVALID);
    assert_non_null(strstr(err, "filter.client"));
    assert_int_equal(s_search(d, "coordinator", &n, err), CL_STATUS_OK);
    assert_true(n >= 1);
    assert_int_equal(s_search(d, "childrens", &n, err), CL_STATUS_OK);
    assert_int_equal(n, 0);
}

/* The coordinator puts person pid on review mdt's agenda, both typed as
 * given: the status, the refusal text into err. */
static int s_agenda(th_daemon *d, const char *mdt, const char *pid,
                    char err[CL_ERROR_SZ])
{
    cl_request *q = s_req(CL_REQ_ADD_TO_AGENDA);
    CL_COPY(q->u.agenda.review_id, mdt);
    CL_COPY(q->u.agenda.who.person_id, pid);
    q->u.agenda.reason = 1;
    return s_send(d, "coordinator", q, err, NULL);
}

/* People type ids short (P1, MDT-1) and that keeps working; but what
 * caselink says back, keeps and logs names the id one way only, the
 * canonical P00000001 and MDT-00000001: an auditor searching for one
 * string finds every mention. */
static void test_short_ids_said_canonically(void **state)
{
    th_daemon *d = *state;
    char err[CL_ERROR_SZ], mdt[CL_REF_SZ];
    assert_int_equal(th_publish_and_view(d, "GP-X3", NHS, 0), CL_STATUS_OK);
    cl_client *co = th_client(d, "coordinator");
    assert_int_equal(th_review(co, "2099-01-10", "January", mdt), CL_STATUS_OK);
    cl_client_close(&co);
    assert_string_equal(mdt, "MDT-00000001");
    assert_int_equal(s_agenda(d, "MDT-1", "P1", err), CL_STATUS_OK);
    /* a refusal names the canonical id too (and so does its log line) */
    assert_int_equal(s_agenda(d, "MDT-9", "P1", err), CL_STATUS_NOT_FOUND);
    assert_non_null(strstr(err, "MDT-00000009"));
    /* the audit entry of the agenda place, found by the short id */
    cl_client *au = th_client(d, "auditor");
    cl_request *q = s_req(CL_REQ_AUDIT_SEARCH);
    cl_reply rep;
    CL_COPY(q->u.person_ref.person_id, "P1");
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    size_t agenda = 0;
    for (size_t i = 0; i < rep.u.entries.n; i++) {
        const cl_audit_entry *e = &rep.u.entries.v[i];
        if (strncmp(e->detail, "MDT-", 4) != 0)
            continue;
        agenda++;
        assert_string_equal(e->detail, "MDT-00000001");
        assert_non_null(strstr(e->purpose, "MDT-00000001"));
    }
    assert_int_equal(agenda, 1);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&au);
    assert_false(th_file_contains(d->log, "MDT-9"));
    assert_false(th_file_contains(d->log, "MDT-1 "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_info_request_needs_an_answering_system, th_setup_daemon,
            th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_measure_kind_must_publish,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_audit_search_unknown_client,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_short_ids_said_canonically,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
