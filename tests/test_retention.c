/*
 * test_retention: data-protection duties over time on the real daemon and
 * its real LMDB file: retention as a policy (what keeps a person, what
 * goes), a family's purge leaving nothing behind in any sub-database, a
 * withdrawal retracting the alerts it caused, ids never handed out again
 * after a restore, and one record per agency for one person.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "core.h"
#include "dp_util.h"
#include "harness.h"
#include "refindex.h"
#include "store.h"
#include "wire.h"

#ifndef CL_CASELINK_CLI
#error "CL_CASELINK_CLI must name the caselink binary"
#endif

static const char *NHS = DP_NHS;

/* --- retention as a policy -------------------------------------------------
 *
 * Everything is set up with retention off, then the daemon is restarted
 * with a period short enough that everyone is idle at once, so that what
 * keeps a person is the policy and never a race with the clock. The
 * daemon keeps activity in whole seconds and the period rounds to none, so
 * a person is idle only once the second of their last activity has passed:
 * s_stop_all_idle waits for that before the restart.
 */

static const char *S_RETAIN = "[retention]\ninactive_days = 0.00001\n"
                              "check_interval_s = 1\n";

static size_t s_count_in(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    size_t n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Stop the daemon once every activity it recorded is in a past second. */
static void s_stop_all_idle(th_daemon *d)
{
    time_t last = time(NULL);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    while (time(NULL) <= last)
        usleep(50000);
}

/* Wait until the log holds `needle` n times (10 s at most). */
static bool s_wait_log(const th_daemon *d, const char *needle, size_t n)
{
    for (int i = 0; i < 100; i++) {
        if (s_count_in(d->log, needle) >= n)
            return true;
        usleep(100000);
    }
    return false;
}

static void s_publish_as(cl_client *c, const char *ref, const char *given,
                         const char *family, const char *dob, const char *nhs,
                         const char *concern, char out[CL_REF_SZ])
{
    cl_request *q = th_referral(ref, given, family, dob, nhs);
    randombytes_buf(q->msgid, CL_MSGID_LEN);
    if (concern)
        CL_COPY(q->u.publish.concern, concern);
    assert_int_equal(th_publish(c, q, out), CL_STATUS_OK);
    free(q);
}

static void s_pid_of(cl_client *co, const char *given, const char *family,
                     const char *dob, char pid[CL_PID_SZ])
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_FIND_PERSON);
    CL_COPY(r->u.find.match.given, given);
    CL_COPY(r->u.find.match.family, family);
    CL_COPY(r->u.find.match.dob, dob);
    CL_COPY(r->u.find.justification, "test: which person record is this one");
    r->u.find.access_reason = 5; /* data quality */
    r->u.find.limit = 1;
    dp_ok(co, r, &rep);
    assert_int_equal(rep.u.candidates.n, 1);
    cl_copy(pid, CL_PID_SZ, rep.u.candidates.v[0].person_id);
    cl_reply_clear(&rep);
}

static void s_plan(cl_client *cs, const char *ref, const char *start,
                   const char *end)
{
    cl_request *r = dp_req(CL_REQ_PUBLISH_PLAN);
    cl_plan *p = &r->u.plan;
    CL_COPY(p->agency_ref, ref);
    p->type = 1;
    p->category = 2;
    p->basis = 1;
    CL_COPY(p->start, start);
    if (end)
        CL_COPY(p->end, end);
    CL_COPY(p->authority, "Northshire Children's Services");
    CL_COPY(p->child.given, "Amelia");
    CL_COPY(p->child.family, "Smith");
    CL_COPY(p->child.dob, "2015-06-01");
    CL_COPY(p->child.nhs, "4010232137");
    p->n_adults = 1;
    p->adults[0].rel = 1;
    dp_jane(&p->adults[0].person);
    dp_ok(cs, r, NULL);
}

static void s_review_with(cl_client *co, const char *date, const char *pid,
                          char mdt[CL_REF_SZ])
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_CREATE_REVIEW);
    CL_COPY(r->u.review_new.date, date);
    CL_COPY(r->u.review_new.title, "Extended MDT");
    r->u.review_new.n_agencies = 1;
    CL_COPY(r->u.review_new.agencies[0], "Oakfield Surgery");
    dp_ok(co, r, &rep);
    cl_copy(mdt, CL_REF_SZ, rep.u.publish.reference);
    cl_reply_clear(&rep);
    r = dp_req(CL_REQ_ADD_TO_AGENDA);
    CL_COPY(r->u.agenda.review_id, mdt);
    CL_COPY(r->u.agenda.who.person_id, pid);
    r->u.agenda.reason = 1;
    dp_ok(co, r, NULL);
}

static void s_hold_req(cl_client *co, const char *pid, bool release, int want,
                       const char *reason)
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_LEGAL_HOLD);
    CL_COPY(r->u.hold.who.person_id, pid);
    if (reason)
        CL_COPY(r->u.hold.reason, reason);
    r->u.hold.release = release;
    int st = dp_call(co, r, &rep);
    if (st != want)
        fail_msg("legal hold: status %d, want %d: %s", st, want, rep.error);
    cl_reply_clear(&rep);
    free(r);
}

/* The report: a child whose plan started this month was purged.
 * Each thing that keeps a person live, one person each, and one idle
 * person nothing keeps; then the hold is released. */
static void test_retention_keeps_the_live(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, NULL);
    cl_client *gp = th_client(&d, "gp"), *cs = th_client(&d, "childrens"),
              *co = th_client(&d, "coordinator"),
              *police = th_client(&d, "police");
    char today[16], ref[CL_REF_SZ], held[CL_PID_SZ], agenda[CL_PID_SZ],
        acting[CL_PID_SZ], asked[CL_PID_SZ], mdt[CL_REF_SZ];
    time_t now = time(NULL);
    struct tm tm;
    strftime(today, sizeof(today), "%Y-%m-01", gmtime_r(&now, &tm));
    /* Amelia's plan started this month; Jane is her mother */
    s_publish_as(gp, "GP-L1", "Jane", "Smith", "1985-04-12", NHS, NULL, ref);
    s_plan(cs, "CP-L1", today, NULL);
    s_publish_as(gp, "GP-L2", "Carl", "Hold", "1970-01-01", NULL, NULL, ref);
    s_publish_as(gp, "GP-L3", "Dora", "Agenda", "1971-01-01", NULL, NULL, ref);
    s_publish_as(gp, "GP-L4", "Ed", "Action", "1972-01-01", NULL, NULL, ref);
    s_publish_as(gp, "GP-L5", "Fay", "Request", "1973-01-01", NULL, NULL, ref);
    s_publish_as(gp, "GP-L6", "Gus", "Idle", "1974-01-01", NULL, NULL, ref);
    s_pid_of(co, "Carl", "Hold", "1970-01-01", held);
    s_pid_of(co, "Dora", "Agenda", "1971-01-01", agenda);
    s_pid_of(co, "Ed", "Action", "1972-01-01", acting);
    s_pid_of(co, "Fay", "Request", "1973-01-01", asked);
    /* bad input first: no reason, nobody, release of no hold, twice */
    s_hold_req(co, held, false, CL_STATUS_INVALID, NULL);
    s_hold_req(co, "P09999999", false, CL_STATUS_NOT_FOUND, "litigation");
    s_hold_req(co, "X1", false, CL_STATUS_INVALID, "litigation");
    s_hold_req(co, held, true, CL_STATUS_INVALID, "not held");
    s_hold_req(gp, held, false, CL_STATUS_DENIED, "litigation");
    s_hold_req(co, held, false, CL_STATUS_OK,
               "civil claim: keep until it ends");
    s_hold_req(co, held, false, CL_STATUS_INVALID, "again");
    s_review_with(co, "2030-01-15", agenda, mdt); /* to come */
    s_review_with(co, "2020-01-15", acting, mdt); /* long past... */
    cl_request *r = dp_req(CL_REQ_ADD_ACTION);    /* ...but an open action */
    CL_COPY(r->u.action.review_id, mdt);
    CL_COPY(r->u.action.person_id, acting);
    CL_COPY(r->u.action.text, "Home visit");
    CL_COPY(r->u.action.owner_name, "Dr A Patel");
    CL_COPY(r->u.action.owner_agency, "Oakfield Surgery");
    CL_COPY(r->u.action.due, "2030-02-01");
    dp_ok(co, r, NULL);
    r = dp_req(CL_REQ_INFO_REQUEST);
    CL_COPY(r->u.info.who.person_id, asked);
    r->u.info.n_agencies = 1;
    CL_COPY(r->u.info.agencies[0], "Northshire Police");
    CL_COPY(r->u.info.due, "2030-01-10");
    CL_COPY(r->u.info.question, "Known to you?");
    dp_ok(co, r, NULL);
    cl_client_close(&gp);
    cl_client_close(&cs);
    cl_client_close(&co);
    cl_client_close(&police);
    s_stop_all_idle(&d);

    th_start(&d, S_RETAIN);
    if (!s_wait_log(&d, "retention: removed 1 people", 1))
        fail_msg("no retention run removed the idle person");
    assert_true(s_count_in(d.log,
                           "idle but kept: 1 legal hold, 2 plan, 1 "
                           "agenda, 1 open action, 1 open request") == 1);
    co = th_client(&d, "coordinator");
    cl_reply rep;
    /* the child with her plan, and her mother, are there */
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_OK);
    assert_true(rep.u.person.n_plans == 1 && rep.u.person.plans[0].active);
    cl_reply_clear(&rep);
    assert_int_equal(th_view_nhs(co, "4010232137", &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    /* the idle one is gone; the others are found */
    r = dp_req(CL_REQ_FIND_PERSON);
    CL_COPY(r->u.find.match.given, "Gus");
    CL_COPY(r->u.find.match.family, "Idle");
    CL_COPY(r->u.find.match.dob, "1974-01-01");
    CL_COPY(r->u.find.justification, "test: is the idle man still there");
    r->u.find.access_reason = 5;
    dp_ok(co, r, &rep);
    assert_int_equal(rep.u.candidates.n, 0);
    cl_reply_clear(&rep);
    char again[CL_PID_SZ];
    s_pid_of(co, "Dora", "Agenda", "1971-01-01", again);
    s_pid_of(co, "Ed", "Action", "1972-01-01", again);
    s_pid_of(co, "Fay", "Request", "1973-01-01", again);
    s_pid_of(co, "Carl", "Hold", "1970-01-01", again);
    /* released: the next run removes him, and says why it could */
    s_hold_req(co, held, true, CL_STATUS_OK, "claim settled");
    if (!s_wait_log(&d, "retention: removed 1 people", 2))
        fail_msg("the released person was not removed");
    assert_true(s_count_in(d.log, "idle but kept: 0 legal hold, 2 plan") == 1);
    /* the hold and its release are audited with their reasons */
    cl_client *au = th_client(&d, "auditor");
    r = dp_req(CL_REQ_AUDIT_SEARCH);
    CL_COPY(r->u.person_ref.person_id, held);
    assert_int_equal(dp_call(au, r, &rep), CL_STATUS_NOT_FOUND); /* purged */
    cl_reply_clear(&rep);
    free(r);
    cl_client_close(&au);
    cl_client_close(&co);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(th_sh("rm -rf %s", d.dir), 0);
}

/* The report: after a family was purged their alert, request
 * and answer, action, discussion, agenda note and rows were still there,
 * and the review's pack failed. A family that went through everything,
 * purged; then every sub-database (sealed values opened with the master
 * key, keys too) and the raw file are searched for anything of theirs,
 * byte for byte: so each is at least four bytes long, or sealed bytes
 * would match it by chance (a 3-byte name matched 385 KB of ciphertext
 * about one run in 40: the child is "Amelia", not "Amy"). */
static const char *const s_family[] = {
    "Jane",          "Amelia",      "Smith",        "9434765919",
    "4010232137",    "FAM-",        "Mill Lane",    "GP-F1",
    "GP-F2",         "CP-F1",       "P00000001",    "P00000002",
    "CL-00000001",   "CL-00000002", "REQ-00000001", "ACT-00000001",
    "PLAN-00000001",
};
#define S_FAMILY (sizeof(s_family) / sizeof(s_family[0]))

typedef struct s_fscan {
    cl_txn *t;
    cl_db db;
    uint8_t *buf;
    uint64_t pids[2];
    char hit[256];
} s_fscan;

static bool s_fhas(const uint8_t *p, size_t n, const s_fscan *c,
                   const char **what)
{
    for (size_t i = 0; i < S_FAMILY; i++)
        if (memmem(p, n, s_family[i], strlen(s_family[i]))) {
            *what = s_family[i];
            return true;
        }
    (void)c;
    return false;
}

/* Keys that hold a person id in binary, and where: the id at offset off,
 * or as the last 8 bytes (off -1). */
static const struct {
    cl_db db;
    int off;
} s_pid_keys[] = {
    {CL_DB_PERSON, 0},        {CL_DB_PERSON_RECORDS, 0},
    {CL_DB_RELATION, 0},      {CL_DB_RELATION, 8},
    {CL_DB_PERSON_PLANS, 0},  {CL_DB_PERSON_REQUESTS, 0},
    {CL_DB_PERSON_AGENDA, 0}, {CL_DB_AGENDA, 8},
    {CL_DB_AGENDA_NOTE, 8},   {CL_DB_DISCUSSION, 8},
    {CL_DB_HOLD, 0},          {CL_DB_RAG, 1},
    {CL_DB_ACTIVITY, -1},     {CL_DB_MEASURE, -1},
};

static bool s_pid_key(const s_fscan *c, const uint8_t *key, size_t len,
                      const char **what)
{
    for (size_t i = 0; i < sizeof(s_pid_keys) / sizeof(s_pid_keys[0]); i++) {
        if (s_pid_keys[i].db != c->db || len < 8)
            continue;
        size_t off =
            s_pid_keys[i].off < 0 ? len - 8 : (size_t)s_pid_keys[i].off;
        if (off + 8 > len)
            continue;
        uint64_t v = 0;
        for (int j = 0; j < 8; j++)
            v = v << 8 | key[off + (size_t)j];
        for (int p = 0; p < 2; p++)
            if (v == c->pids[p]) {
                *what = p ? "Amelia's id" : "Jane's id";
                return true;
            }
    }
    return false;
}

/* Values that hold person ids in binary: the flag log's rows. */
static bool s_pid_value(const s_fscan *c, size_t vlen, const char **what)
{
    if (c->db != CL_DB_FLAG_LOG)
        return false;
    for (int p = 0; p < 2; p++) {
        uint8_t be[8];
        for (int j = 0; j < 8; j++)
            be[j] = (uint8_t)(c->pids[p] >> (56 - 8 * j));
        if (memmem(c->buf, vlen, be, 8)) {
            *what = p ? "Amelia's id" : "Jane's id";
            return true;
        }
    }
    return false;
}

static int s_fscan_one(void *ctx, const uint8_t *key, size_t len)
{
    s_fscan *c = ctx;
    size_t vlen = 0;
    const char *what = NULL;
    /* the audit log and its index keep opaque ids, by design */
    if (c->db == CL_DB_IXDIGEST && len > 13 && !memcmp(key, "audit_person", 13))
        return CL_OK;
    int rc =
        cl_store_get(c->t, c->db, key, len, c->buf, CL_STORE_MAX_VALUE, &vlen);
    if (rc == CL_ERR_INVALID)
        rc = cl_store_get_raw(c->t, c->db, key, len, c->buf, CL_STORE_MAX_VALUE,
                              &vlen);
    if (rc != CL_OK)
        return rc;
    bool in_key = s_fhas(key, len, c, &what) || s_pid_key(c, key, len, &what);
    if (in_key || s_fhas(c->buf, vlen, c, &what) ||
        s_pid_value(c, vlen, &what)) {
        snprintf(c->hit, sizeof(c->hit), "%s in a %s of sub-database %s", what,
                 in_key ? "key" : "value", cl_store_db_name(c->db));
        return 1;
    }
    return CL_OK;
}

/* The MDT's work on Jane and her child, each piece planting a FAM-
 * marker: agenda, discussion, an action done, RAG, a measure, an
 * information request answered by the police. */
static void s_family_mdt(cl_client *co, cl_client *police, const char *jane,
                         const char *amy, const char *mdt)
{
    cl_request *r = dp_req(CL_REQ_ADD_TO_AGENDA);
    CL_COPY(r->u.agenda.review_id, mdt);
    CL_COPY(r->u.agenda.who.person_id, amy);
    r->u.agenda.reason = 3;
    CL_COPY(r->u.agenda.note, "FAM-agenda note on the child");
    dp_ok(co, r, NULL);
    r = dp_req(CL_REQ_RECORD_DISCUSSION);
    CL_COPY(r->u.discussion.review_id, mdt);
    CL_COPY(r->u.discussion.person_id, jane);
    CL_COPY(r->u.discussion.summary, "FAM-discussion");
    CL_COPY(r->u.discussion.decisions, "FAM-decisions");
    dp_ok(co, r, NULL);
    cl_reply rep;
    r = dp_req(CL_REQ_ADD_ACTION);
    CL_COPY(r->u.action.review_id, mdt);
    CL_COPY(r->u.action.person_id, jane);
    CL_COPY(r->u.action.text, "FAM-action");
    CL_COPY(r->u.action.owner_name, "FAM-owner");
    CL_COPY(r->u.action.owner_agency, "Oakfield Surgery");
    CL_COPY(r->u.action.due, "2030-02-01");
    dp_ok(co, r, &rep);
    char act[CL_REF_SZ];
    CL_COPY(act, rep.u.publish.reference);
    cl_reply_clear(&rep);
    r = dp_req(CL_REQ_UPDATE_ACTION);
    CL_COPY(r->u.action_update.action_id, act);
    r->u.action_update.status = CL_ACTION_DONE;
    CL_COPY(r->u.action_update.note, "FAM-done");
    dp_ok(co, r, NULL);
    r = dp_req(CL_REQ_LIST_ACTIONS);
    r->u.action_query.open_only = true;
    dp_ok(co, r, &rep);
    if (rep.u.actions.n)
        fail_msg("%zu open actions after %s was done: %s", rep.u.actions.n, act,
                 rep.u.actions.v[0].action_id);
    cl_reply_clear(&rep);
    r = dp_req(CL_REQ_SET_RAG);
    CL_COPY(r->u.rag.person_id, jane);
    r->u.rag.rating = CL_RAG_RED;
    CL_COPY(r->u.rag.note, "FAM-rag");
    dp_ok(co, r, NULL);
    r = dp_req(CL_REQ_DEFINE_MEASURE);
    CL_COPY(r->u.measure_def.name, "police contacts");
    CL_COPY(r->u.measure_def.from, "2026-01");
    CL_COPY(r->u.measure_def.to, "2026-06");
    dp_ok(co, r, NULL);
    r = dp_req(CL_REQ_RECORD_MEASURE);
    CL_COPY(r->u.measure.name, "police contacts");
    CL_COPY(r->u.measure.person_id, jane);
    CL_COPY(r->u.measure.period, "2026-03");
    r->u.measure.value = 4;
    dp_ok(co, r, NULL);
    r = dp_req(CL_REQ_INFO_REQUEST);
    CL_COPY(r->u.info.who.person_id, jane);
    r->u.info.n_agencies = 1;
    CL_COPY(r->u.info.agencies[0], "Northshire Police");
    CL_COPY(r->u.info.due, "2030-01-10");
    CL_COPY(r->u.info.question, "FAM-question");
    dp_ok(co, r, &rep);
    char req[CL_REF_SZ];
    CL_COPY(req, rep.u.publish.reference);
    cl_reply_clear(&rep);
    r = dp_req(CL_REQ_INFO_RESPOND);
    CL_COPY(r->u.respond.request_id, req);
    CL_COPY(r->u.respond.summary, "FAM-answer");
    r->u.respond.involvement = CL_INVOLVE_PAST;
    dp_ok(police, r, NULL);
}

/* After the purge: the review's pack opens and says who is gone, nobody
 * finds the family, not even the auditor, and the audit chain verifies. */
static void s_family_gone(th_daemon *d, const char *mdt)
{
    cl_request *r;
    cl_reply rep;
    cl_client *co = th_client(d, "coordinator");
    /* the review's pack opens and says who is gone */
    r = dp_req(CL_REQ_REVIEW_PACK);
    CL_COPY(r->u.pack_review, mdt);
    dp_ok(co, r, &rep);
    assert_int_equal(rep.u.pack.n, 0);
    assert_int_equal(rep.u.pack.purged, 2);
    cl_reply_clear(&rep);
    char out[400];
    snprintf(out, sizeof(out), "%s/pack.txt", d->dir);
    assert_int_equal(th_sh("%s --dev %s review show %s > %s", CL_CASELINK_CLI,
                           d->dir, mdt, out),
                     0);
    assert_true(th_file_contains(out, "2 people on this agenda have since "
                                      "been removed under the retention"));
    /* and nobody finds them, not even the auditor */
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    assert_int_equal(dp_sar(d, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    /* a resend of the first publish applies nothing and says nothing */
    cl_client_close(&co);
    cl_client *au = th_client(d, "auditor");
    r = dp_req(CL_REQ_AUDIT_VERIFY);
    dp_ok(au, r, &rep);
    assert_true(rep.u.verify.intact);
    cl_reply_clear(&rep);
    cl_client_close(&au);
}

/* The family is nowhere: not in the raw file, not in any sub-database
 * opened with the master key (the audit's opaque ids aside). */
static void s_family_not_stored(th_daemon *d)
{
    /* the raw file */
    char path[400];
    snprintf(path, sizeof(path), "%s/state/data.mdb", d->dir);
    for (size_t i = 0; i < S_FAMILY; i++)
        if (th_file_contains(path, s_family[i]))
            fail_msg("%s is in the data file", s_family[i]);
    /* every sub-database, opened */
    cl_store *st = NULL;
    cl_txn *t = NULL;
    dp_store_read(d, &st, &t);
    s_fscan c = {.t = t, .buf = malloc(CL_STORE_MAX_VALUE), .pids = {2, 1}};
    assert_non_null(c.buf);
    for (int db = 0; db < CL_DB_COUNT; db++) {
        if (db == CL_DB_AUDIT || db == CL_DB_AUDIT_PERSON)
            continue; /* opaque ids, kept by design */
        c.db = (cl_db)db;
        c.hit[0] = '\0';
        assert_int_equal(cl_store_scan(t, c.db, NULL, 0, s_fscan_one, &c),
                         CL_OK);
        if (c.hit[0])
            fail_msg("after the purge: %s", c.hit);
    }
    free(c.buf);
    cl_store_abort(&t);
    cl_store_close(&st);
}

/* The police are shown Jane's flag (her child's plan): a flag log row
 * naming both. */
static void s_family_flagged(cl_client *police)
{
    cl_request *r = dp_req(CL_REQ_FLAG_CHECK);
    cl_reply rep;
    CL_COPY(r->u.flag.person.nhs, NHS);
    dp_ok(police, r, &rep);
    assert_int_equal(rep.u.flag.n, 1);
    cl_reply_clear(&rep);
}

/* The flag log keeps the disclosure (who was shown a flag, when) for the
 * auditor, with the family redacted: no id of theirs, not even the
 * plan's. */
static void s_family_flag_redacted(th_daemon *d)
{
    cl_client *au = th_client(d, "auditor");
    cl_request *r = dp_req(CL_REQ_FLAG_DISCLOSURES);
    cl_reply rep;
    dp_ok(au, r, &rep);
    bool police = false;
    assert_true(rep.u.flag_log.n >= 1);
    for (size_t i = 0; i < rep.u.flag_log.n; i++) {
        const cl_flag_disclosure *x = &rep.u.flag_log.v[i];
        police |= !strcmp(x->agency, "Northshire Police");
        if (strcmp(x->person_pid, "removed") ||
            strcmp(x->child_pid, "removed") || strcmp(x->plan_id, "removed"))
            fail_msg("flag log row %zu after the purge: %s shown %s (child "
                     "%s) about %s",
                     i, x->agency, x->plan_id, x->child_pid, x->person_pid);
    }
    assert_true(police);
    cl_reply_clear(&rep);
    cl_client_close(&au);
}

static void test_family_purge_leaves_nothing(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, NULL);
    cl_client *gp = th_client(&d, "gp"), *cs = th_client(&d, "childrens"),
              *co = th_client(&d, "coordinator"),
              *police = th_client(&d, "police");
    char ref1[CL_REF_SZ], ref2[CL_REF_SZ], jane[CL_PID_SZ], amy[CL_PID_SZ],
        bob[CL_PID_SZ], mdt[CL_REF_SZ], yesterday[16], start[16];
    time_t now = time(NULL), yday = now - 86400, then = now - 200 * 86400;
    struct tm tm;
    strftime(yesterday, sizeof(yesterday), "%Y-%m-%d", gmtime_r(&yday, &tm));
    strftime(start, sizeof(start), "%Y-%m-%d", gmtime_r(&then, &tm));
    /* a plan in force: Jane's referral alerts children's services */
    s_plan(cs, "CP-F1", start, NULL);
    cl_request *q = th_referral("GP-F1", "Jane", "Smith", "1985-04-12", NHS);
    CL_COPY(q->u.publish.concern, "FAM-concern about the mother");
    CL_COPY(q->u.publish.referrer_name, "FAM-referrer");
    CL_COPY(q->u.publish.subject.address, "14 Mill Lane");
    q->u.publish.n_related = 1;
    q->u.publish.related[0].rel = 2;
    CL_COPY(q->u.publish.related[0].person.given, "Amelia");
    CL_COPY(q->u.publish.related[0].person.family, "Smith");
    CL_COPY(q->u.publish.related[0].person.dob, "2015-06-01");
    assert_int_equal(th_publish(gp, q, ref1), CL_STATUS_OK);
    free(q);
    s_publish_as(gp, "GP-F2", "Amelia", "Smith", "2015-06-01", "4010232137",
                 "FAM-concern about the child", ref2);
    s_publish_as(gp, "GP-B1", "Robert", "Control", "1960-02-02", NULL,
                 "an unrelated man", NULL);
    s_pid_of(co, "Jane", "Smith", "1985-04-12", jane);
    s_pid_of(co, "Amelia", "Smith", "2015-06-01", amy);
    s_pid_of(co, "Robert", "Control", "1960-02-02", bob);
    assert_string_equal(jane, "P00000002"); /* the plan's child came first */
    assert_string_equal(amy, "P00000001");
    s_hold_req(co, bob, false, CL_STATUS_OK, "kept for the control");
    /* the MDT's work on Jane: an old review */
    s_review_with(co, "2025-01-10", jane, mdt);
    s_family_mdt(co, police, jane, amy, mdt);
    s_family_flagged(police);
    assert_int_equal(dp_status(co, ref1, CL_REFSTAT_ACCEPTED, "", 0),
                     CL_STATUS_OK);
    cl_request *r = dp_req(CL_REQ_CORRECT_REFERRAL);
    CL_COPY(r->u.rectify.reference, "GP-F2");
    CL_COPY(r->u.rectify.reason, "FAM-correction");
    r->u.rectify.referral.risk = 3;
    dp_ok(gp, r, NULL);
    /* the plan ended yesterday: with plan_ended_days = 0 it keeps nobody */
    s_plan(cs, "CP-F1", start, yesterday);
    cl_client_close(&gp);
    cl_client_close(&cs);
    cl_client_close(&co);
    cl_client_close(&police);
    s_stop_all_idle(&d);

    char conf[256];
    snprintf(conf, sizeof(conf), "%splan_ended_days = 0\nreview_days = 0\n",
             S_RETAIN);
    th_start(&d, conf);
    if (!s_wait_log(&d, "retention: removed 2 people", 1)) {
        (void)th_sh("grep -v '^<7>' %s | tail -5 >&2", d.log);
        fail_msg("the family was not removed");
    }
    /* the run that removed the family kept the control on its hold (a
     * later run on a loaded machine may log its own line) */
    if (th_sh("grep -q 'retention: removed 2 people.*idle but kept: 1 legal "
              "hold, 0 plan' %s",
              d.log) != 0) {
        (void)th_sh("grep 'retention' %s >&2", d.log);
        fail_msg("the run that removed the family did not keep the control");
    }
    s_family_gone(&d, mdt);
    s_family_flag_redacted(&d);
    assert_int_equal(th_stop(&d, SIGTERM), 0);

    s_family_not_stored(&d);
    assert_int_equal(th_sh("rm -rf %s", d.dir), 0);
}

/* The report: alerts for a referral later withdrawn were never
 * retracted. Children's services, alerted by a GP referral about a
 * child's mother, is told when the GP withdraws it; nobody else is. */
static size_t s_inbox_kind(th_daemon *d, const char *who, cl_dlv_kind kind,
                           cl_delivery *last)
{
    cl_client *c = th_client(d, who);
    cl_request *r = dp_req(CL_REQ_INBOX_RECEIVE);
    cl_reply rep;
    r->u.inbox.limit = 100;
    assert_int_equal(dp_call(c, r, &rep), CL_STATUS_OK);
    size_t n = 0;
    for (size_t i = 0; i < rep.u.deliveries.n; i++)
        if (rep.u.deliveries.v[i].kind == kind) {
            n++;
            if (last)
                *last = rep.u.deliveries.v[i];
        }
    cl_reply_clear(&rep);
    free(r);
    cl_client_close(&c);
    return n;
}

static void test_withdrawal_retracts_alerts(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *cs = th_client(d, "childrens");
    char ref[CL_REF_SZ], other[CL_REF_SZ];
    s_plan(cs, "CP-R1", "2026-01-05", NULL);
    s_publish_as(gp, "GP-R1", "Jane", "Smith", "1985-04-12", NHS,
                 "Low mood; missed appointments", ref);
    s_publish_as(gp, "GP-R2", "Robert", "Control", "1960-02-02", NULL, NULL,
                 other);
    cl_delivery *dv = calloc(1, sizeof(*dv));
    assert_int_equal(s_inbox_kind(d, "childrens", CL_DLV_ALERT, dv), 1);
    assert_string_equal(dv->u.alert.reference, ref);
    /* withdrawing a referral that alerted nobody sends nothing */
    cl_request *r = dp_req(CL_REQ_WITHDRAW_REFERRAL);
    CL_COPY(r->u.rectify.reference, other);
    CL_COPY(r->u.rectify.reason, "sent in error");
    dp_ok(gp, r, NULL);
    assert_int_equal(s_inbox_kind(d, "childrens", CL_DLV_RETRACTION, NULL), 0);
    /* the one that alerted: children's services is told, once */
    r = dp_req(CL_REQ_WITHDRAW_REFERRAL);
    CL_COPY(r->u.rectify.reference, "GP-R1");
    CL_COPY(r->u.rectify.reason, "wrong patient: sent in error");
    dp_ok(gp, r, NULL);
    assert_int_equal(s_inbox_kind(d, "childrens", CL_DLV_RETRACTION, dv), 1);
    assert_string_equal(dv->u.retraction.reference, ref);
    assert_string_equal(dv->u.retraction.agency, "Oakfield Surgery");
    assert_string_equal(dv->u.retraction.plan_ref, "CP-R1");
    assert_string_equal(dv->u.retraction.reason,
                        "wrong patient: sent in error");
    assert_true(dv->u.retraction.at > 0);
    /* the alert itself stays until acknowledged, as every delivery */
    assert_int_equal(s_inbox_kind(d, "childrens", CL_DLV_ALERT, NULL), 1);
    assert_int_equal(s_inbox_kind(d, "police", CL_DLV_RETRACTION, NULL), 0);
    assert_int_equal(s_inbox_kind(d, "gp", CL_DLV_RETRACTION, NULL), 0);
    /* and the CLI says so */
    char out[400];
    snprintf(out, sizeof(out), "%s/inbox.txt", d->dir);
    assert_int_equal(th_sh("%s --dev %s --as childrens inbox > %s",
                           CL_CASELINK_CLI, d->dir, out),
                     0);
    assert_true(th_file_contains(out, "RETRACTED"));
    sodium_memzero(dv, sizeof(*dv));
    free(dv);
    cl_client_close(&gp);
    cl_client_close(&cs);
}

/* --- ids never reused; backups under a name used every night ------------ */

static void s_backup(th_daemon *d, const char *name, cl_reply *rep)
{
    cl_client *op = th_client(d, "operator");
    cl_request *r = dp_req(CL_REQ_ADMIN_BACKUP);
    CL_COPY(r->u.backup_name, name);
    dp_ok(op, r, rep);
    cl_client_close(&op);
}

static void s_mdt(cl_client *co, char out[CL_REF_SZ])
{
    cl_reply rep;
    cl_request *r = dp_req(CL_REQ_CREATE_REVIEW);
    CL_COPY(r->u.review_new.date, "2030-01-15");
    CL_COPY(r->u.review_new.title, "Extended MDT");
    dp_ok(co, r, &rep);
    cl_copy(out, CL_REF_SZ, rep.u.publish.reference);
    cl_reply_clear(&rep);
}

/* What health says is held: people and referrals, as an operator reads
 * them. */
static cl_health s_held(const th_daemon *d)
{
    cl_client *op = th_client(d, "operator");
    cl_request *r = dp_req(CL_REQ_HEALTH);
    cl_reply rep;
    assert_int_equal(dp_call(op, r, &rep), CL_STATUS_OK);
    cl_health h = rep.u.health;
    cl_reply_clear(&rep);
    free(r);
    cl_client_close(&op);
    return h;
}

static void test_restore_never_reuses_ids(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    char given[8][CL_REF_SZ], mdts[3][CL_REF_SZ], ref[CL_REF_SZ];
    const char *names[] = {"Ann", "Bea", "Cat", "Dee", "Eve"};
    for (int i = 0; i < 3; i++)
        s_publish_as(gp, names[i], names[i], "Jones", "1980-01-01", NULL, NULL,
                     given[i]);
    s_mdt(co, mdts[0]);
    cl_health held = s_held(d);
    assert_int_equal(held.persons, 3);
    assert_int_equal(held.referrals, 3);
    cl_reply rep;
    s_backup(d, "nightly", &rep);
    assert_true(rep.u.backup.bytes > 0);
    char first[4096];
    CL_COPY(first, rep.u.backup.path);
    cl_reply_clear(&rep);
    /* where it went, as the files an operator finds */
    char path[400];
    struct stat st;
    snprintf(path, sizeof(path), "%s/state/backups/nightly/data.mdb", d->dir);
    assert_non_null(strstr(first, "/state/backups/nightly"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/state/backups/nightly", d->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/state/backups", d->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* keep this one aside: the restore below goes back to it */
    assert_int_equal(
        th_sh("cp -a %s/state/backups/nightly %s/first", d->dir, d->dir), 0);
    for (int i = 3; i < 5; i++)
        s_publish_as(gp, names[i], names[i], "Jones", "1980-01-01", NULL, NULL,
                     given[i]);
    s_mdt(co, mdts[1]);
    /* the same name the next night: replaced once the new copy is done */
    s_backup(d, "nightly", &rep);
    cl_reply_clear(&rep);
    assert_int_equal(
        th_sh("test ! -e %s/state/backups/.nightly.partial", d->dir), 0);
    snprintf(path, sizeof(path), "%s/state/backups/nightly/data.mdb", d->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* bad names are refused and nothing is made */
    cl_client *op = th_client(d, "operator");
    const char *bad[] = {"../x", ".hidden", "", "a/b"};
    for (size_t i = 0; i < 4; i++) {
        cl_request *r = dp_req(CL_REQ_ADMIN_BACKUP);
        CL_COPY(r->u.backup_name, bad[i]);
        assert_int_equal(dp_call(op, r, &rep), CL_STATUS_INVALID);
        cl_reply_clear(&rep);
        free(r);
    }
    cl_client_close(&op);
    cl_client_close(&gp);
    cl_client_close(&co);
    assert_int_equal(th_stop(d, SIGTERM), 0);

    /* Restore as the README says, from the first night's copy: the GP
     * was told given[3] and given[4] after it was taken. */
    assert_int_equal(
        th_sh("cd %s/state && mv data.mdb data.mdb.old && rm -f lock.mdb && "
              "cp %s/first/data.mdb data.mdb",
              d->dir, d->dir),
        0);
    th_start(d, NULL);
    assert_true(th_file_contains(d->log, "id counters were behind"));
    gp = th_client(d, "gp");
    co = th_client(d, "coordinator");
    s_publish_as(gp, "Fay", "Fay", "Jones", "1980-01-01", NULL, NULL, ref);
    for (int i = 0; i < 5; i++)
        if (!strcmp(ref, given[i]))
            fail_msg("%s was handed out again after the restore", ref);
    s_mdt(co, mdts[2]);
    /* health counts what is held, not the ids handed out (which moved
     * past the restored copy's) */
    cl_health now = s_held(d);
    assert_int_equal(now.persons, held.persons + 1);
    assert_int_equal(now.referrals, held.referrals + 1);
    assert_string_not_equal(mdts[2], mdts[0]);
    assert_string_not_equal(mdts[2], mdts[1]);
    /* what the first night held is all there */
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_NOT_FOUND);
    cl_reply_clear(&rep);
    char pid[CL_PID_SZ];
    s_pid_of(co, "Ann", "Jones", "1980-01-01", pid);
    cl_client_close(&gp);
    cl_client_close(&co);
    /* and again after a restart: nothing moves */
    assert_int_equal(th_stop(d, SIGTERM), 0);
    th_start(d, NULL);
    assert_true(s_count_in(d->log, "id counters were behind") == 1);
    /* restored onto a fresh directory without the floor file: said */
    assert_int_equal(th_stop(d, SIGTERM), 0);
    assert_false(th_file_contains(d->log, "id-floor is missing"));
    assert_int_equal(th_sh("rm %s/state/id-floor", d->dir), 0);
    th_start(d, NULL);
    assert_true(th_file_contains(d->log, "id-floor is missing, but this data "
                                         "file ran beside one"));
}

/* The report: five GP referrals about one person identified by
 * NHS number gave five GP records, once another agency had the first. */
static void test_one_record_per_agency(void **state)
{
    th_daemon *d = *state;
    cl_client *gp = th_client(d, "gp"), *police = th_client(d, "police"),
              *co = th_client(d, "coordinator");
    char ref[CL_REF_SZ];
    s_publish_as(police, "NP-O1", "Jane", "Smith", "1985-04-12", NHS, NULL,
                 ref);
    const char *refs[] = {"GP-O1", "GP-O2", "GP-O3", "GP-O4", "GP-O5"};
    for (int i = 0; i < 5; i++)
        s_publish_as(gp, refs[i], "Jane", "Smith", "1985-04-12", NHS, NULL,
                     ref);
    cl_reply rep;
    assert_int_equal(th_view_nhs(co, NHS, &rep), CL_STATUS_OK);
    size_t n_gp = 0;
    for (size_t i = 0; i < rep.u.person.n_records; i++)
        n_gp += !strcmp(rep.u.person.records[i].agency, "Oakfield Surgery");
    assert_int_equal(n_gp, 1);
    assert_int_equal(rep.u.person.n_records, 2);
    assert_int_equal(rep.u.person.n_referrals, 6);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    cl_client_close(&police);
    cl_client_close(&co);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retention_keeps_the_live),
        cmocka_unit_test(test_family_purge_leaves_nothing),
        cmocka_unit_test_setup_teardown(test_withdrawal_retracts_alerts,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_restore_never_reuses_ids,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_one_record_per_agency,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
