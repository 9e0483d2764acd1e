/*
 * test_route_unit: the routing logic over a real store, without sockets:
 * mailboxes (numbering, bounds, notices counted apart, acknowledgement,
 * isolation, purge), feed health (one notice per gap episode, silence)
 * and information requests (who may answer, bad input, every answer
 * kept). The daemon-level scenarios are in test_route.
 */
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
#include "th_core.h"
#include "mailbox.h"

#define NOW 1700000000 /* 2023-11-14 */

static const char *const GP = "Oakfield Surgery";
static const char *const POLICE = "Northshire Police";
static const char *const MDT = "Northshire Extended MDT";
static const char *const IG = "Northshire Information Governance";

typedef struct s_fx {
    th_core core;
    cl_txn *t; /* core.t: the test's write transaction */
    cl_route_config rc;
    cl_match_config mc;
    cl_caller gp, police, co, op;
} s_fx;

static int s_setup(void **state)
{
    s_fx *f = calloc(1, sizeof(*f));
    if (!f || th_core_open(&f->core, 7) != 0)
        return -1;
    f->t = f->core.t;
    cl_route_config_defaults(&f->rc);
    cl_match_config_defaults(&f->mc);
    const char *all[] = {GP, POLICE, MDT, IG};
    for (uint32_t i = 0; i < 4; i++)
        CL_COPY(f->rc.agencies[f->rc.n_agencies++], all[i]);
    CL_COPY(f->rc.coord[f->rc.n_coord++], MDT);
    /* the publishing systems: they answer requests, their kinds count */
    CL_COPY(f->rc.answer[f->rc.n_answer++], GP);
    CL_COPY(f->rc.answer[f->rc.n_answer++], POLICE);
    CL_COPY(f->rc.kinds[f->rc.n_kinds++], "gp");
    CL_COPY(f->rc.kinds[f->rc.n_kinds++], "police");
    CL_COPY(f->rc.audit[f->rc.n_audit++], IG);
    th_core_caller(&f->gp, "gp", GP, "gp", CL_ROLE_PUBLISHER);
    th_core_caller(&f->police, "police", POLICE, "police", CL_ROLE_PUBLISHER);
    th_core_caller(&f->co, "coordinator", MDT, "mdt", CL_ROLE_COORDINATOR);
    th_core_caller(&f->op, "operator", "Northshire IT", "ops",
                   CL_ROLE_OPERATOR);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fx *f = *state;
    th_core_close(&f->core);
    free(f);
    return 0;
}

/* A status delivery (what agencies' work puts in mailboxes) naming ref. */
static uint64_t s_put(s_fx *f, const char *agency, const char *ref,
                      bool bounded)
{
    cl_delivery d;
    char err[CL_ERROR_SZ] = "";
    memset(&d, 0, sizeof(d));
    d.kind = CL_DLV_STATUS;
    CL_COPY(d.u.status.reference, ref);
    CL_COPY(d.u.status.reason, "accepted for the MDT");
    d.u.status.status = 1;
    assert_int_equal(
        cl_mailbox_put(f->t, &f->rc, agency, &d, bounded, NOW, err), CL_OK);
    return d.seq;
}

static void s_receive(s_fx *f, const cl_caller *c, uint64_t after,
                      cl_deliveries *out)
{
    cl_inbox_query q = {.after = after};
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(cl_mailbox_inbox_receive(f->t, c, &q, out, err), CL_OK);
}

static uint32_t s_ack(s_fx *f, const cl_caller *c, uint64_t seq,
                      uint64_t *depth)
{
    cl_inbox_ack a = {.n = 1, .seqs = {seq}};
    cl_ack_result r;
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(cl_mailbox_inbox_ack(f->t, c, &a, &r, err), CL_OK);
    if (depth)
        *depth = r.depth;
    return r.removed;
}

/* --- mailboxes ------------------------------------------------------------ */

static void test_deliveries_numbered_in_order(void **state)
{
    s_fx *f = *state;
    cl_deliveries in;
    assert_int_equal(s_put(f, GP, "CL-00000001", true), 1);
    assert_int_equal(s_put(f, GP, "CL-00000002", true), 2);
    assert_int_equal(s_put(f, GP, "CL-00000003", true), 3);
    s_receive(f, &f->gp, 0, &in);
    assert_int_equal(in.n, 3);
    assert_int_equal(in.depth, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(in.v[i].seq, i + 1);
        assert_int_equal(in.v[i].kind, CL_DLV_STATUS);
        assert_int_equal(in.v[i].at, NOW);
    }
    assert_string_equal(in.v[2].u.status.reference, "CL-00000003");
    free(in.v);
    s_receive(f, &f->gp, 2, &in); /* after seq 2 */
    assert_int_equal(in.n, 1);
    assert_int_equal(in.v[0].seq, 3);
    free(in.v);
}

static void test_mailbox_get_reads_one(void **state)
{
    s_fx *f = *state;
    cl_delivery d;
    uint64_t seq = s_put(f, POLICE, "CL-00000042", true);
    assert_int_equal(cl_mailbox_get(f->t, POLICE, seq, &d), CL_OK);
    assert_string_equal(d.u.status.reference, "CL-00000042");
    assert_int_equal(cl_mailbox_get(f->t, GP, seq, &d), CL_ERR_NOT_FOUND);
    assert_int_equal(cl_mailbox_get(f->t, POLICE, seq + 1, &d),
                     CL_ERR_NOT_FOUND);
}

static void test_mailboxes_are_the_agencys_own(void **state)
{
    s_fx *f = *state;
    cl_deliveries in;
    uint64_t depth = 0;
    uint64_t seq = s_put(f, POLICE, "CL-00000007", true);
    s_receive(f, &f->gp, 0, &in);
    assert_int_equal(in.n, 0);
    assert_int_equal(in.depth, 0);
    free(in.v);
    /* the GP acknowledging the police's seq removes nothing of theirs */
    assert_int_equal(s_ack(f, &f->gp, seq, NULL), 0);
    s_receive(f, &f->police, 0, &in);
    assert_int_equal(in.n, 1);
    free(in.v);
    assert_int_equal(s_ack(f, &f->police, seq, &depth), 1);
    assert_int_equal(depth, 0);
}

static void test_full_mailbox_refuses_bounded_only(void **state)
{
    s_fx *f = *state;
    cl_delivery d;
    char err[CL_ERROR_SZ] = "";
    f->rc.mailbox_max = 2;
    /* two agencies' answers fill it (what the daemon raises itself, such
     * as status notices, never counts against mailbox_max) */
    for (int i = 0; i < 2; i++) {
        memset(&d, 0, sizeof(d));
        d.kind = CL_DLV_RESPONSE;
        CL_COPY(d.u.response.request_id, "REQ-00000001");
        assert_int_equal(cl_mailbox_put(f->t, &f->rc, GP, &d, true, NOW, err),
                         CL_OK);
    }
    memset(&d, 0, sizeof(d));
    d.kind = CL_DLV_RESPONSE;
    assert_int_equal(cl_mailbox_put(f->t, &f->rc, GP, &d, true, NOW, err),
                     CL_ERR_MAILBOX);
    assert_non_null(strstr(err, "mailbox of Oakfield Surgery is full"));
    assert_non_null(strstr(err, "try again later"));
    /* what the daemon must not lose (an alert, a status) still goes */
    assert_int_equal(s_put(f, GP, "CL-00000003", false), 3);
}

static void test_notices_never_fill_the_mailbox(void **state)
{
    s_fx *f = *state;
    cl_governance_msg g;
    cl_deliveries in;
    f->rc.mailbox_max = 1;
    memset(&g, 0, sizeof(g));
    CL_COPY(g.event, "new_plan");
    CL_COPY(g.agency, "Northshire Children's Services");
    for (int i = 0; i < 3; i++)
        assert_int_equal(cl_feed_governance_notice(f->t, &f->rc, &g, NOW),
                         CL_OK);
    /* three notices wait, and an agency's answer still fits */
    s_put(f, IG, "CL-00000009", true);
    cl_caller au;
    th_core_caller(&au, "auditor", IG, "ig", CL_ROLE_AUDITOR);
    s_receive(f, &au, 0, &in);
    assert_int_equal(in.n, 4);
    assert_int_equal(in.v[0].kind, CL_DLV_GOVERNANCE);
    assert_int_equal(in.v[0].u.governance.at, NOW);
    assert_int_equal(in.v[3].kind, CL_DLV_STATUS);
    free(in.v);
}

static void test_ack_is_at_least_once(void **state)
{
    s_fx *f = *state;
    uint64_t depth = 9;
    uint64_t a = s_put(f, GP, "CL-00000001", true);
    s_put(f, GP, "CL-00000002", true);
    assert_int_equal(s_ack(f, &f->gp, a, &depth), 1);
    assert_int_equal(depth, 1);
    /* again: nothing more removed, not an error */
    assert_int_equal(s_ack(f, &f->gp, a, &depth), 0);
    assert_int_equal(depth, 1);
}

static void test_inbox_bad_input(void **state)
{
    s_fx *f = *state;
    cl_deliveries in;
    cl_inbox_ack none = {.n = 0};
    cl_ack_result r;
    char err[CL_ERROR_SZ] = "";
    cl_inbox_query big = {.limit = CL_INBOX_MAX + 1};
    assert_int_equal(cl_mailbox_inbox_receive(f->t, &f->gp, &big, &in, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "limit: at most"));
    cl_inbox_query slow = {.wait_ms = CL_WAIT_MAX_MS + 1};
    assert_int_equal(cl_mailbox_inbox_receive(f->t, &f->gp, &slow, &in, err),
                     CL_ERR_INVALID);
    assert_int_equal(cl_mailbox_inbox_ack(f->t, &f->gp, &none, &r, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "seqs: name the deliveries"));
}

static void test_operator_has_no_mailbox(void **state)
{
    s_fx *f = *state;
    cl_deliveries in;
    cl_inbox_query q = {0};
    cl_inbox_ack a = {.n = 1, .seqs = {1}};
    cl_ack_result r;
    char err[CL_ERROR_SZ] = "";
    assert_int_equal(cl_mailbox_inbox_receive(f->t, &f->op, &q, &in, err),
                     CL_ERR_DENIED);
    assert_int_equal(cl_mailbox_inbox_ack(f->t, &f->op, &a, &r, err),
                     CL_ERR_DENIED);
}

static void test_depths_for_operators(void **state)
{
    s_fx *f = *state;
    cl_stats *st = calloc(1, sizeof(*st));
    bool waiting = false;
    s_put(f, GP, "CL-00000001", true);
    s_put(f, GP, "CL-00000002", true);
    s_put(f, POLICE, "CL-00000003", true);
    assert_int_equal(cl_mailbox_depths(f->t, st), CL_OK);
    assert_int_equal(st->n_mailboxes, 2);
    for (uint32_t i = 0; i < st->n_mailboxes; i++)
        assert_int_equal(st->mailboxes[i].depth,
                         strcmp(st->mailboxes[i].agency, GP) ? 1 : 2);
    free(st);
    assert_int_equal(cl_mailbox_inbox_waiting(f->t, GP, 1, &waiting), CL_OK);
    assert_true(waiting);
    assert_int_equal(cl_mailbox_inbox_waiting(f->t, GP, 2, &waiting), CL_OK);
    assert_false(waiting);
}

static void test_purge_removes_what_names_the_person(void **state)
{
    s_fx *f = *state;
    cl_deliveries in;
    cl_governance_msg g;
    cl_ids refs = {0};
    uint64_t r1 = 1;
    refs.v = &r1;
    refs.n = 1;
    s_put(f, GP, "CL-00000001", true); /* the person's referral */
    s_put(f, GP, "CL-00000002", true); /* someone else's */
    memset(&g, 0, sizeof(g));
    CL_COPY(g.event, "break_glass");
    CL_COPY(g.person_id, "P00000001");
    assert_int_equal(cl_feed_governance_notice(f->t, &f->rc, &g, NOW), CL_OK);
    assert_int_equal(cl_mailbox_purge(f->t, 1, &refs), CL_OK);
    s_receive(f, &f->gp, 0, &in);
    assert_int_equal(in.n, 1);
    assert_int_equal(in.depth, 1);
    assert_string_equal(in.v[0].u.status.reference, "CL-00000002");
    free(in.v);
    cl_caller au;
    th_core_caller(&au, "auditor", IG, "ig", CL_ROLE_AUDITOR);
    s_receive(f, &au, 0, &in);
    assert_int_equal(in.n, 0);
    assert_int_equal(in.depth, 0);
    free(in.v);
}

static void test_stored_delivery_checked(void **state)
{
    (void)state;
    static const uint8_t junk[] = {1, 99, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t old[] = {2, 4};
    assert_int_equal(cl_mailbox_decode_check(junk, sizeof(junk)),
                     CL_ERR_CORRUPT);
    assert_int_equal(cl_mailbox_decode_check(old, sizeof(old)), CL_ERR_CORRUPT);
}

/* An alert as each earlier version stored it: before subjects were named
 * (ends after received_at), before the front-line flag (ends after the
 * subject's dob), and today's; a record cut inside the subject's fields is
 * corrupt, not an older alert. */
static size_t s_old_alert(uint8_t *buf, size_t cap, int subject_strs, bool flag)
{
    cl_enc e = cl_enc_init(buf, cap);
    cl_enc_u8(&e, 1); /* version */
    cl_enc_u8(&e, CL_DLV_ALERT);
    cl_enc_i64(&e, NOW);
    for (int i = 0; i < 11; i++) /* reference .. referrer_role */
        cl_enc_str(&e, "A1");
    cl_enc_u8(&e, 2); /* category, risk, plan type */
    cl_enc_u8(&e, 3);
    cl_enc_u8(&e, 1);
    cl_enc_str(&e, "concern");
    cl_enc_i64(&e, NOW - 60);
    cl_enc_i64(&e, NOW);
    for (int i = 0; i < subject_strs; i++)
        cl_enc_str(&e, "Smith");
    if (flag)
        cl_enc_u8(&e, 1);
    assert_true(cl_enc_ok(&e));
    return e.len;
}

static void test_older_alerts_still_read(void **state)
{
    (void)state;
    uint8_t buf[1024];
    assert_int_equal(
        cl_mailbox_decode_check(buf, s_old_alert(buf, sizeof(buf), 0, false)),
        CL_OK);
    assert_int_equal(
        cl_mailbox_decode_check(buf, s_old_alert(buf, sizeof(buf), 3, false)),
        CL_OK);
    assert_int_equal(
        cl_mailbox_decode_check(buf, s_old_alert(buf, sizeof(buf), 3, true)),
        CL_OK);
    assert_int_equal(
        cl_mailbox_decode_check(buf, s_old_alert(buf, sizeof(buf), 1, false)),
        CL_ERR_CORRUPT);
    assert_int_equal(
        cl_mailbox_decode_check(buf, s_old_alert(buf, sizeof(buf), 2, true)),
        CL_ERR_CORRUPT);
    size_t n = s_old_alert(buf, sizeof(buf), 3, true);
    buf[n++] = 0; /* a byte past today's last field */
    assert_int_equal(cl_mailbox_decode_check(buf, n), CL_ERR_CORRUPT);
}

/* --- feed health ---------------------------------------------------------- */

static void s_note(s_fx *f, uint64_t seq, int64_t at, cl_feed_event *ev)
{
    assert_int_equal(cl_feed_note(f->t, &f->rc, GP, "referrals", seq, at, ev),
                     CL_OK);
}

static size_t s_feed_notices(s_fx *f)
{
    cl_deliveries in;
    s_receive(f, &f->co, 0, &in);
    size_t n = 0;
    for (size_t i = 0; i < in.n; i++)
        n += in.v[i].kind == CL_DLV_FEED;
    free(in.v);
    return n;
}

static void test_feed_gap_told_once_per_episode(void **state)
{
    s_fx *f = *state;
    cl_feed_event ev;
    s_note(f, 1, NOW, &ev);
    s_note(f, 2, NOW, &ev);
    assert_string_equal(ev.msg.problem, "");
    s_note(f, 5, NOW, &ev); /* 3 and 4 missing */
    assert_string_equal(ev.msg.problem, "gap");
    assert_int_equal(ev.msg.expected, 3);
    assert_int_equal(ev.msg.received, 5);
    s_note(f, 7, NOW, &ev); /* another gap, same episode */
    assert_string_equal(ev.msg.problem, "");
    assert_int_equal(s_feed_notices(f), 1);
    s_note(f, 3, NOW, &ev); /* late ones fill the gaps */
    s_note(f, 4, NOW, &ev);
    s_note(f, 6, NOW, &ev);
    s_note(f, 9, NOW, &ev); /* a new episode */
    assert_string_equal(ev.msg.problem, "gap");
    assert_int_equal(s_feed_notices(f), 2);
    cl_feeds fs;
    assert_int_equal(cl_feed_health(f->t, &f->rc, NOW, &fs), CL_OK);
    assert_int_equal(fs.n, 1);
    assert_int_equal(fs.v[0].last_seq, 9);
    assert_int_equal(fs.v[0].missing, 1);
    assert_int_equal(fs.v[0].messages, 8);
    free(fs.v);
}

static void test_feed_silence_told_once(void **state)
{
    s_fx *f = *state;
    cl_feed_event ev, evs[4];
    size_t n = 9;
    s_note(f, 1, NOW, &ev);
    int64_t later = NOW + CL_FEED_SILENCE_DEFAULT + 1;
    assert_int_equal(cl_feed_check_silent(f->t, &f->rc, NOW + 60, evs, 4, &n),
                     CL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cl_feed_check_silent(f->t, &f->rc, later, evs, 4, &n),
                     CL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(evs[0].msg.problem, "silent");
    assert_int_equal(cl_feed_check_silent(f->t, &f->rc, later + 60, evs, 4, &n),
                     CL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s_feed_notices(f), 1);
    s_note(f, 2, later + 120, &ev); /* it speaks again */
    cl_feeds fs;
    assert_int_equal(cl_feed_health(f->t, &f->rc, later + 120, &fs), CL_OK);
    assert_false(fs.v[0].silent);
    free(fs.v);
}

static void test_feed_without_numbers_is_not_tracked(void **state)
{
    s_fx *f = *state;
    cl_feed_event ev;
    cl_feeds fs;
    assert_int_equal(cl_feed_note(f->t, &f->rc, GP, "", 5, NOW, &ev), CL_OK);
    assert_int_equal(cl_feed_note(f->t, &f->rc, GP, "referrals", 0, NOW, &ev),
                     CL_OK);
    assert_int_equal(cl_feed_health(f->t, &f->rc, NOW, &fs), CL_OK);
    assert_int_equal(fs.n, 0);
    free(fs.v);
}

/* --- information requests ------------------------------------------------- */

/* A GP referral about Ann Testperson: P00000001. */
static void s_person(s_fx *f)
{
    cl_publish_result out;
    th_core_publish(&f->core, &f->mc, &f->gp, "G1", "Ann", "6281948211", NOW,
                    &out);
    assert_string_equal(out.reference, "CL-00000001");
}

static int s_ask(s_fx *f, const char *question, const char *due, const char *a1,
                 const char *a2, char id[CL_REF_SZ], char err[CL_ERROR_SZ])
{
    cl_info_request q;
    cl_publish_result out;
    memset(&q, 0, sizeof(q));
    memset(&out, 0, sizeof(out));
    CL_COPY(q.who.person_id, "P00000001");
    CL_COPY(q.question, question);
    CL_COPY(q.due, due);
    CL_COPY(q.agencies[q.n_agencies++], a1);
    if (a2)
        CL_COPY(q.agencies[q.n_agencies++], a2);
    int rc = TH_CORE_OP(err, f->t, &f->co, NOW, cl_inforeq_request, &f->rc, &q,
                        &out);
    if (id)
        cl_copy(id, CL_REF_SZ, out.reference);
    return rc;
}

static int s_answer(s_fx *f, const cl_caller *by, const char *id,
                    const char *summary, int64_t at, char err[CL_ERROR_SZ])
{
    cl_info_response x;
    cl_publish_result out;
    memset(&x, 0, sizeof(x));
    memset(&out, 0, sizeof(out));
    CL_COPY(x.request_id, id);
    CL_COPY(x.summary, summary);
    x.involvement = 2;
    x.risk = 2;
    return TH_CORE_OP(err, f->t, by, at, cl_inforeq_respond, &f->rc, &x, &out);
}

static void s_list(s_fx *f, bool open_only, cl_request_summaries *out)
{
    cl_request_list q;
    char err[CL_ERROR_SZ] = "";
    memset(&q, 0, sizeof(q));
    q.open_only = open_only;
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_inforeq_list, &q, out), CL_OK);
}

static void test_request_reaches_each_agency_asked(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_deliveries in;
    s_person(f);
    assert_int_equal(
        s_ask(f, "Known to you?", "2023-12-01", POLICE, GP, id, err), CL_OK);
    assert_string_equal(id, "REQ-00000001");
    s_receive(f, &f->police, 0, &in);
    assert_int_equal(in.n, 1);
    assert_int_equal(in.v[0].kind, CL_DLV_REQUEST);
    assert_string_equal(in.v[0].u.request.request_id, id);
    assert_string_equal(in.v[0].u.request.question, "Known to you?");
    assert_string_equal(in.v[0].u.request.person_id, "P00000001");
    /* the police hold no record: they see the GP's description, without
     * the GP's local id */
    assert_string_equal(in.v[0].u.request.person.family, "Testperson");
    free(in.v);
    s_receive(f, &f->gp, 0, &in);
    assert_int_equal(in.n, 1);
    free(in.v);
}

static void test_request_bad_input(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    s_person(f);
    assert_int_equal(s_ask(f, "", "2023-12-01", POLICE, NULL, NULL, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "question"));
    assert_int_equal(s_ask(f, "Q?", "2023-11-13", POLICE, NULL, NULL, err),
                     CL_ERR_INVALID); /* yesterday */
    assert_non_null(strstr(err, "due_date"));
    assert_int_equal(s_ask(f, "Q?", "2023-02-30", POLICE, NULL, NULL, err),
                     CL_ERR_INVALID);
    assert_int_equal(
        s_ask(f, "Q?", "2023-12-01", "Nowhere Agency", NULL, NULL, err),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "no registered agency Nowhere Agency"));
    assert_int_equal(s_ask(f, "Q?", "2023-12-01", POLICE, POLICE, NULL, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "named twice"));
    cl_request_summaries all;
    s_list(f, false, &all);
    assert_int_equal(all.n, 0); /* nothing half-done */
    cl_request_summaries_clear(&all);
}

static void test_request_needs_coordinator(void **state)
{
    s_fx *f = *state;
    cl_info_request q;
    cl_publish_result out;
    char err[CL_ERROR_SZ] = "";
    s_person(f);
    memset(&q, 0, sizeof(q));
    CL_COPY(q.who.person_id, "P00000001");
    CL_COPY(q.question, "Q?");
    CL_COPY(q.due, "2023-12-01");
    CL_COPY(q.agencies[q.n_agencies++], POLICE);
    assert_int_equal(TH_CORE_OP(err, f->t, &f->gp, NOW, cl_inforeq_request,
                                &f->rc, &q, &out),
                     CL_ERR_DENIED);
}

static void test_only_agencies_asked_may_answer(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    s_person(f);
    assert_int_equal(
        s_ask(f, "Known to you?", "2023-12-01", POLICE, NULL, id, err), CL_OK);
    /* the GP was not asked: the request does not exist for it */
    assert_int_equal(s_answer(f, &f->gp, id, "We know her", NOW, err),
                     CL_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "no request REQ-00000001 for your agency"));
    assert_int_equal(s_answer(f, &f->police, "REQ-00000077", "Known", NOW, err),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(s_answer(f, &f->police, "REQ-1x", "Known", NOW, err),
                     CL_ERR_INVALID);
    assert_int_equal(s_answer(f, &f->police, id, "", NOW, err), CL_ERR_INVALID);
    assert_int_equal(s_answer(f, &f->co, id, "Known", NOW, err), CL_ERR_DENIED);
}

static void test_answer_reaches_the_asker(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_deliveries in;
    cl_request_summaries open;
    s_person(f);
    assert_int_equal(
        s_ask(f, "Known to you?", "2023-12-01", POLICE, NULL, id, err), CL_OK);
    s_list(f, true, &open);
    assert_int_equal(open.n, 1);
    assert_false(open.v[0].agencies[0].answered);
    cl_request_summaries_clear(&open);
    assert_int_equal(s_answer(f, &f->police, id, "Two contacts", NOW, err),
                     CL_OK);
    s_receive(f, &f->co, 0, &in);
    assert_int_equal(in.n, 1);
    assert_int_equal(in.v[0].kind, CL_DLV_RESPONSE);
    assert_string_equal(in.v[0].u.response.summary, "Two contacts");
    assert_string_equal(in.v[0].u.response.agency, POLICE);
    assert_string_equal(in.v[0].u.response.person_id, "P00000001");
    free(in.v);
    s_list(f, true, &open); /* answered by everyone asked: not open */
    assert_int_equal(open.n, 0);
    cl_request_summaries_clear(&open);
}

static void test_every_answer_kept(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_request_summaries all;
    cl_deliveries in;
    s_person(f);
    assert_int_equal(
        s_ask(f, "Known to you?", "2023-12-01", POLICE, GP, id, err), CL_OK);
    assert_int_equal(s_answer(f, &f->police, id, "No contact", NOW, err),
                     CL_OK);
    assert_int_equal(
        s_answer(f, &f->police, id, "Two contacts after all", NOW + 60, err),
        CL_OK);
    assert_int_equal(
        s_answer(f, &f->police, id, "Three contacts", NOW + 120, err), CL_OK);
    s_list(f, false, &all);
    assert_int_equal(all.n, 1);
    const cl_request_state *p = &all.v[0].agencies[0];
    assert_string_equal(p->agency, POLICE);
    assert_string_equal(p->response.summary, "Three contacts"); /* latest */
    assert_int_equal(p->response.answered_at, NOW + 120);
    assert_int_equal(p->n_earlier, 2); /* oldest first */
    assert_string_equal(p->earlier[0].summary, "No contact");
    assert_int_equal(p->earlier[0].answered_at, NOW);
    assert_string_equal(p->earlier[1].summary, "Two contacts after all");
    assert_int_equal(p->earlier[1].answered_at, NOW + 60);
    assert_int_equal(all.v[0].agencies[1].n_earlier, 0); /* GP: none yet */
    cl_request_summaries_clear(&all);
    /* each answer was delivered to the asker as it came */
    s_receive(f, &f->co, 0, &in);
    assert_int_equal(in.n, 3);
    free(in.v);
    /* subject access exports them all */
    cl_request_summaries sa;
    assert_int_equal(cl_inforeq_of(f->t, 1, NOW, &sa), CL_OK);
    assert_int_equal(sa.n, 1);
    assert_int_equal(sa.v[0].agencies[0].n_earlier, 2);
    cl_request_summaries_clear(&sa);
}

static void test_answers_kept_are_bounded(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "", say[32];
    cl_request_summaries all;
    s_person(f);
    assert_int_equal(
        s_ask(f, "Known to you?", "2023-12-01", POLICE, NULL, id, err), CL_OK);
    for (int i = 0; i < 32; i++) {
        snprintf(say, sizeof(say), "answer %d", i + 1);
        assert_int_equal(s_answer(f, &f->police, id, say, NOW + i, err), CL_OK);
    }
    assert_int_equal(s_answer(f, &f->police, id, "answer 33", NOW + 40, err),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "REQ-00000001 already holds 32 answers"));
    assert_non_null(strstr(err, "new request"));
    s_list(f, false, &all);
    assert_string_equal(all.v[0].agencies[0].response.summary, "answer 32");
    assert_int_equal(all.v[0].agencies[0].n_earlier, 31);
    cl_request_summaries_clear(&all);
}

static void test_open_request_keeps_the_person(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_ids keep = {0};
    s_person(f);
    assert_int_equal(
        s_ask(f, "Known to you?", "2023-12-01", POLICE, GP, id, err), CL_OK);
    assert_int_equal(cl_inforeq_live(f->t, &keep), CL_OK);
    assert_int_equal(keep.n, 1);
    assert_int_equal(keep.v[0], 1);
    cl_idset_free(&keep);
    assert_int_equal(s_answer(f, &f->police, id, "None", NOW, err), CL_OK);
    assert_int_equal(s_answer(f, &f->gp, id, "Seen", NOW, err), CL_OK);
    assert_int_equal(cl_inforeq_live(f->t, &keep), CL_OK);
    assert_int_equal(keep.n, 0);
    cl_idset_free(&keep);
}

static void test_overdue_once_past_due(void **state)
{
    s_fx *f = *state;
    char id[CL_REF_SZ], err[CL_ERROR_SZ] = "";
    cl_request_summaries all;
    cl_request_list q;
    s_person(f);
    assert_int_equal(
        s_ask(f, "Known to you?", "2023-11-20", POLICE, NULL, id, err), CL_OK);
    memset(&q, 0, sizeof(q));
    assert_int_equal(TH_CORE_OP(err, f->t, &f->co, NOW + 10 * 86400,
                                cl_inforeq_list, &q, &all),
                     CL_OK);
    assert_int_equal(all.n, 1);
    assert_true(all.v[0].agencies[0].overdue);
    cl_request_summaries_clear(&all);
    s_list(f, false, &all);
    assert_false(all.v[0].agencies[0].overdue);
    cl_request_summaries_clear(&all);
}

static void test_requests_listed_by_person(void **state)
{
    s_fx *f = *state;
    char err[CL_ERROR_SZ] = "";
    cl_request_summaries out;
    cl_request_list q;
    s_person(f);
    assert_int_equal(s_ask(f, "Q1?", "2023-12-01", POLICE, NULL, NULL, err),
                     CL_OK);
    memset(&q, 0, sizeof(q));
    CL_COPY(q.person_id, "P00000002");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_inforeq_list, &q, &out), CL_OK);
    assert_int_equal(out.n, 0);
    cl_request_summaries_clear(&out);
    CL_COPY(q.person_id, "P00000001");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_inforeq_list, &q, &out), CL_OK);
    assert_int_equal(out.n, 1);
    cl_request_summaries_clear(&out);
    CL_COPY(q.person_id, "Ann");
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->co, NOW, cl_inforeq_list, &q, &out),
        CL_ERR_INVALID);
    assert_int_equal(
        TH_CORE_OP(err, f->t, &f->gp, NOW, cl_inforeq_list, &q, &out),
        CL_ERR_DENIED);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_deliveries_numbered_in_order),
        T(test_mailbox_get_reads_one),
        T(test_mailboxes_are_the_agencys_own),
        T(test_full_mailbox_refuses_bounded_only),
        T(test_notices_never_fill_the_mailbox),
        T(test_ack_is_at_least_once),
        T(test_inbox_bad_input),
        T(test_operator_has_no_mailbox),
        T(test_depths_for_operators),
        T(test_purge_removes_what_names_the_person),
        T(test_stored_delivery_checked),
        T(test_older_alerts_still_read),
        T(test_feed_gap_told_once_per_episode),
        T(test_feed_silence_told_once),
        T(test_feed_without_numbers_is_not_tracked),
        T(test_request_reaches_each_agency_asked),
        T(test_request_bad_input),
        T(test_request_needs_coordinator),
        T(test_only_agencies_asked_may_answer),
        T(test_answer_reaches_the_asker),
        T(test_every_answer_kept),
        T(test_answers_kept_are_bounded),
        T(test_open_request_keeps_the_person),
        T(test_overdue_once_past_due),
        T(test_requests_listed_by_person),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
