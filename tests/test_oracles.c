/*
 * test_oracles: a coordinator's requests that could tell whether caselink
 * knows a person, or show one nobody referred without break-glass, and
 * text from one agency that could drive another's terminal. Each attack
 * was found from outside on a dev-mode daemon; each test performs it on
 * the real daemon and asserts the safe outcome.
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
#include <cmocka.h>

#include "harness.h"

static const char *NHS_REF = "9434765919";  /* referred by the police */
static const char *NHS_IMP = "4010232137";  /* only in the GP's caseload */
static const char *NHS_NONE = "6434765916"; /* nobody knows */
static const char *ASKED = "Northshire Police";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(c, req, rep), CL_OK);
    return (int)rep->status;
}

static void s_people(th_daemon *d)
{
    cl_client *police = th_client(d, "police"), *gp = th_client(d, "gp");
    cl_request *q =
        th_referral("POL-OR1", "Jane", "Smith", "1985-04-12", NHS_REF);
    cl_reply rep;
    assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_IMPORT_PERSON;
    CL_COPY(q->u.import.person.local_id, "GPL-OR1");
    CL_COPY(q->u.import.person.nhs, NHS_IMP);
    CL_COPY(q->u.import.person.given, "Olive");
    CL_COPY(q->u.import.person.family, "Green");
    CL_COPY(q->u.import.person.dob, "1951-03-09");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&police);
    cl_client_close(&gp);
}

static int s_list(cl_client *co, const char *nhs, char err[CL_ERROR_SZ],
                  size_t *n)
{
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_REFERRAL_LIST;
    q->u.ref_query.status = -1;
    CL_COPY(q->u.ref_query.who.match.nhs, nhs);
    int st = s_call(co, q, &rep);
    strcpy(err, rep.error);
    *n = rep.u.ref_rows.n;
    cl_reply_clear(&rep);
    free(q);
    return st;
}

/* How many audit entries of kind name the person with this NHS number. */
static size_t s_audited(th_daemon *d, const char *nhs, const char *kind)
{
    cl_client *au = th_client(d, "auditor");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    size_t n = 0;
    q->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(q->u.person_ref.match.nhs, nhs);
    assert_int_equal(s_call(au, q, &rep), CL_STATUS_OK);
    for (size_t i = 0; i < rep.u.entries.n; i++)
        n += strcmp(rep.u.entries.v[i].kind, kind) == 0;
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&au);
    return n;
}

/* `referral list --nhs` answered "0 referrals" for a person only in a
 * caseload and "no such person" for an unknown number: one answer now,
 * and the probe names the person it found in the audit. */
static void test_referral_list_is_no_existence_test(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    char e_imp[CL_ERROR_SZ], e_none[CL_ERROR_SZ], e_ref[CL_ERROR_SZ];
    size_t n;
    s_people(d);
    assert_int_equal(s_list(co, NHS_REF, e_ref, &n), CL_STATUS_OK);
    assert_int_equal(n, 1);
    int st_imp = s_list(co, NHS_IMP, e_imp, &n);
    int st_none = s_list(co, NHS_NONE, e_none, &n);
    assert_int_equal(st_imp, CL_STATUS_NOT_FOUND);
    assert_int_equal(st_imp, st_none);
    assert_string_equal(e_imp, e_none);
    assert_non_null(strstr(e_imp, "break-glass"));
    cl_client_close(&co);
    assert_int_equal(s_audited(d, NHS_IMP, "referral_list"), 1);
}

static int s_ask(cl_client *co, const char *nhs, const char *review,
                 char err[CL_ERROR_SZ])
{
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    time_t t = time(NULL) + 86400;
    struct tm tm;
    q->kind = CL_REQ_INFO_REQUEST;
    CL_COPY(q->u.info.who.match.nhs, nhs);
    CL_COPY(q->u.info.agencies[q->u.info.n_agencies++], ASKED);
    strftime(q->u.info.due, CL_DATE_SZ, "%Y-%m-%d", gmtime_r(&t, &tm));
    CL_COPY(q->u.info.question, "who is this person?");
    if (review)
        CL_COPY(q->u.info.review_id, review);
    int st = s_call(co, q, &rep);
    strcpy(err, rep.error);
    cl_reply_clear(&rep);
    free(q);
    return st;
}

static void s_review(cl_client *co, char mdt[CL_REF_SZ])
{
    assert_int_equal(th_review(co, "2026-12-20", "A review of my own", mdt),
                     CL_STATUS_OK);
}

/* An information request delivers the person's name, date of birth and
 * NHS number to the asked agency: asking about someone nobody referred
 * (even of the coordinator's own agency) showed them without
 * break-glass, and "no such person" told who exists. Now it needs a
 * referral, or the review whose agenda (with break-glass) holds them. */
static void test_info_request_needs_referral_or_agenda(void **state)
{
    th_daemon *d = *state;
    cl_client *co = th_client(d, "coordinator");
    char e_imp[CL_ERROR_SZ], e_none[CL_ERROR_SZ], mdt[CL_REF_SZ];
    s_people(d);
    assert_int_equal(s_ask(co, NHS_REF, NULL, e_imp), CL_STATUS_OK);
    int st_imp = s_ask(co, NHS_IMP, NULL, e_imp);
    int st_none = s_ask(co, NHS_NONE, NULL, e_none);
    assert_int_equal(st_imp, CL_STATUS_NOT_FOUND);
    assert_int_equal(st_imp, st_none);
    assert_string_equal(e_imp, e_none);
    /* naming a review she is not on changes nothing */
    s_review(co, mdt);
    assert_int_equal(s_ask(co, NHS_IMP, mdt, e_imp), CL_STATUS_NOT_FOUND);
    assert_string_equal(e_imp, e_none);
    /* on its agenda through break-glass: the request may go */
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_ADD_TO_AGENDA;
    CL_COPY(q->u.agenda.review_id, mdt);
    CL_COPY(q->u.agenda.who.match.nhs, NHS_IMP);
    q->u.agenda.reason = 1;
    q->u.agenda.access_reason = 3;
    CL_COPY(q->u.agenda.justification, "GP caseload shows repeated falls");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    assert_int_equal(s_ask(co, NHS_IMP, mdt, e_imp), CL_STATUS_OK);
    cl_client_close(&co);
    assert_int_equal(s_audited(d, NHS_IMP, "info_request"), 3);
}

static int s_publish_text(cl_client *c, const char *ref, const char *concern,
                          const char *referrer, char err[CL_ERROR_SZ])
{
    cl_request *q = th_referral(ref, "Mark", "Dale", "1979-02-02", NULL);
    cl_reply rep;
    CL_COPY(q->u.publish.concern, concern);
    CL_COPY(q->u.publish.referrer_name, referrer);
    int st = s_call(c, q, &rep);
    strcpy(err, rep.error);
    cl_reply_clear(&rep);
    free(q);
    return st;
}

/* A police concern with an escape sequence (erase the line, fake a
 * CHILD PROTECTION banner, write the clipboard) and a referrer's name
 * with a C1 control were accepted and later sent raw to a coordinator's
 * terminal. Refused now, naming the field; tabs and line breaks stay. */
static void test_control_characters_refused(void **state)
{
    th_daemon *d = *state;
    cl_client *police = th_client(d, "police");
    char err[CL_ERROR_SZ];
    assert_int_equal(
        s_publish_text(police, "POL-ESC1",
                       "ok\r\x1b[2K  !! CHILD PROTECTION: fake line", "PC Red",
                       err),
        CL_STATUS_INVALID);
    assert_non_null(strstr(err, "publish_referral.referral.concern"));
    assert_non_null(strstr(err, "control character"));
    assert_int_equal(s_publish_text(police, "POL-ESC2", "seen at home",
                                    "PC \xc2\x9b"
                                    "31mRed",
                                    err),
                     CL_STATUS_INVALID);
    assert_non_null(strstr(err, "referrer"));
    assert_non_null(strstr(err, "control character"));
    assert_int_equal(s_publish_text(police, "POL-ESC3",
                                    "line one\r\nline two\tindented",
                                    "PC Green", err),
                     CL_STATUS_OK);
    cl_client_close(&police);
}

/* A GP sent personal data where an id belongs: a reference with a name
 * and a spaced NHS number (echoed by the refusal), and a feed named after
 * a person (logged with the gap). Neither reaches the log, and an
 * apostrophe in a name no longer swallows the daemon's own sentence. */
static void test_log_keeps_no_client_text(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_WITHDRAW_REFERRAL;
    CL_COPY(q->u.rectify.reference, "Jane Smith 943 476 5919");
    CL_COPY(q->u.rectify.reason, "sent in error");
    assert_int_not_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    assert_non_null(strstr(rep.error, "Jane Smith")); /* the sender is told */
    cl_reply_clear(&rep);
    CL_COPY(q->u.rectify.reference, "O'Brien-1");
    assert_int_not_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    free(q);
    for (uint64_t seq = 1; seq <= 3; seq += 2) {
        char ref[32];
        snprintf(ref, sizeof(ref), "GP-FEED-%llu", (unsigned long long)seq);
        q = th_referral(ref, "Mark", "Dale", "1979-02-02", NULL);
        CL_COPY(q->u.publish.feed, "Jane Smith dob 12/04/1985");
        q->u.publish.feed_seq = seq;
        assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
        free(q);
    }
    cl_client_close(&gp);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_true(th_file_contains(d->log, "request refused: client=gp"));
    assert_true(th_file_contains(d->log, "feed gap: agency=Oakfield Surgery"));
    assert_false(th_file_contains(d->log, "Jane Smith"));
    assert_false(th_file_contains(d->log, "Smith"));
    /* not "5919" alone: a pid, a latency or a checkpoint's hex can hold
     * four digits by chance (it failed so once in CI under ASan) */
    assert_false(th_file_contains(d->log, "476 5919"));
    assert_false(th_file_contains(d->log, "4765919"));
    assert_false(th_file_contains(d->log, "12/04/1985"));
    assert_false(th_file_contains(d->log, "Brien"));
    th_start(d, NULL); /* for the teardown */
}

/* A publisher floods the coordinator's mailbox with referrals asking for
 * the MDT (each raises an intake item there): with mailbox_max = 20, the
 * police's answer to the coordinator's request was then refused BUSY.
 * What the daemon raises is counted apart from agencies' answers now. */
static void test_raised_deliveries_never_block_answers(void **state)
{
    (void)state;
    th_daemon d = {0};
    char err[CL_ERROR_SZ], ref[32];
    th_start(&d, "[routing]\nmailbox_max = 20\n");
    s_people(&d);
    cl_client *co = th_client(&d, "coordinator"), *gp = th_client(&d, "gp"),
              *police = th_client(&d, "police");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    q->kind = CL_REQ_INFO_REQUEST;
    CL_COPY(q->u.info.who.match.nhs, NHS_REF);
    CL_COPY(q->u.info.agencies[q->u.info.n_agencies++], ASKED);
    CL_COPY(q->u.info.due, "2099-01-01");
    CL_COPY(q->u.info.question, "What is your involvement?");
    assert_int_equal(s_call(co, q, &rep), CL_STATUS_OK);
    char req_id[CL_REF_SZ];
    strcpy(req_id, rep.u.publish.reference);
    cl_reply_clear(&rep);
    for (int i = 0; i < 30; i++) {
        snprintf(ref, sizeof(ref), "GP-FLOOD-%d", i);
        char family[16], dob[16];
        snprintf(family, sizeof(family), "Zq%cx%cw", 'a' + i % 26,
                 'a' + i / 26);
        snprintf(dob, sizeof(dob), "19%02d-0%d-%02d", 40 + i, 1 + i % 9,
                 1 + i % 28);
        cl_request *p = th_referral(ref, "Invented", family, dob, NULL);
        p->u.publish.ask_mdt = true;
        assert_int_equal(th_publish(gp, p, NULL), CL_STATUS_OK);
        free(p);
    }
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_INFO_RESPOND;
    CL_COPY(q->u.respond.request_id, req_id);
    CL_COPY(q->u.respond.summary, "Known to us: two call-outs");
    q->u.respond.involvement = CL_INVOLVE_CURRENT;
    q->u.respond.risk = 2;
    CL_COPY(q->u.respond.contact, "PC Jones, 01234 567890");
    int st = s_call(police, q, &rep);
    strcpy(err, rep.error);
    cl_reply_clear(&rep);
    assert_int_equal(st, CL_STATUS_OK);
    /* and the intake items all arrived: nothing the daemon raises is lost */
    memset(q, 0, sizeof(*q));
    q->kind = CL_REQ_ADMIN_STATS;
    cl_client *op = th_client(&d, "operator");
    assert_int_equal(s_call(op, q, &rep), CL_STATUS_OK);
    uint64_t depth = 0;
    for (size_t i = 0; i < rep.u.stats.n_mailboxes; i++)
        if (!strcmp(rep.u.stats.mailboxes[i].agency, "Northshire Extended MDT"))
            depth = rep.u.stats.mailboxes[i].depth;

    assert_true(depth >= 31);
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&op);
    cl_client_close(&co);
    cl_client_close(&gp);
    cl_client_close(&police);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    th_sh("rm -rf %s", d.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_referral_list_is_no_existence_test,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(
            test_info_request_needs_referral_or_agenda, th_setup_daemon,
            th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_control_characters_refused,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_log_keeps_no_client_text,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test(test_raised_deliveries_never_block_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
