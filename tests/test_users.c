/*
 * test_users: named users on the real daemon ("Systems and users"). The
 * CURVE key authenticates an agency's system; on_behalf_of names the
 * person it acts for. Coordinator and auditor requests must name one, a
 * publisher's must when its registry entry says require_user, the
 * registry's users list limits whom a client may act for, and the audit
 * names the user as well as the client: searchable by user, shown in
 * subject access. Attacks: a user not on the list, a half-named user, a
 * control character meant to forge an audit line, a request reused from
 * another client.
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

#include <zmq.h>

#include "harness.h"
#include "wire.h"

static const char *NHS = "9434765919";

static int s_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    memset(req->msgid, 0, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

static cl_user s_user(const char *id, const char *name, const char *role)
{
    cl_user u;
    memset(&u, 0, sizeof(u));
    CL_COPY(u.id, id);
    CL_COPY(u.name, name);
    CL_COPY(u.role, role);
    return u;
}

/* A client with the demo key of `name`, acting for u (NULL: nobody). */
static cl_client *s_as(const th_daemon *d, const char *name, const cl_user *u)
{
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/%s.key", d->dir, name);
    return th_client_user(d, key, 5000, u);
}

static cl_request *s_view_req(void)
{
    cl_request *req = calloc(1, sizeof(*req));
    assert_non_null(req);
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.match.nhs, NHS);
    CL_COPY(req->u.get_person.justification, "test: named users are recorded");
    req->u.get_person.access_reason = 5; /* data_quality */
    return req;
}

static void s_publish_one(th_daemon *d)
{
    cl_client *gp = th_client(d, "gp");
    cl_request *q = th_referral("GP-U1", "Jane", "Smith", "1985-04-12", NHS);
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    free(q);
    cl_client_close(&gp);
}

/* Coordinator and auditor requests without a user are refused, naming
 * the field; a publisher's are not (by default); health never needs one. */
static void test_required(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    s_publish_one(d);
    cl_client *co = s_as(d, "coordinator", NULL);
    cl_request *req = s_view_req();
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_DENIED);
    assert_non_null(strstr(rep.error, "on_behalf_of"));
    cl_reply_clear(&rep);
    cl_request h;
    memset(&h, 0, sizeof(h));
    h.kind = CL_REQ_HEALTH;
    assert_int_equal(s_call(co, &h, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&co);

    cl_client *au = s_as(d, "auditor", NULL);
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_AUDIT_VERIFY;
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_DENIED);
    assert_non_null(strstr(rep.error, "on_behalf_of"));
    cl_reply_clear(&rep);
    cl_client_close(&au);

    /* a publisher may name nobody unless the registry says otherwise */
    cl_client *po = s_as(d, "police", NULL);
    cl_request *q = th_referral("POL-U1", "Jane", "Smith", "1985-04-12", NHS);
    assert_int_equal(th_publish(po, q, NULL), CL_STATUS_OK);
    cl_client_close(&po);
    free(q);
    free(req);
}

/* The registry's users list: amorgan and cjones may act through the
 * coordinator client, nobody else; the refused attempt is audited with
 * the user it claimed. */
static void test_permitted_users(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    s_publish_one(d);
    cl_user mallory = s_user("mallory", "Mal Lory", "Extended MDT coordinator");
    cl_user amorgan = s_user("amorgan", "Alex Morgan", "Deputy coordinator");
    cl_request *req = s_view_req();
    cl_client *co = s_as(d, "coordinator", &mallory);
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_DENIED);
    assert_non_null(strstr(rep.error, "not permitted for client coordinator"));
    /* the reply (and so the log) does not repeat the user */
    assert_null(strstr(rep.error, "mallory"));
    cl_reply_clear(&rep);
    /* the same connection, a permitted user named on the request itself */
    req->on_behalf_of = amorgan;
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&co);

    /* an auditor key cannot act for a coordinator's user */
    cl_client *au = s_as(d, "auditor", &amorgan);
    memset(&req->on_behalf_of, 0, sizeof(req->on_behalf_of));
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&au);

    /* the refused attempt is in the audit, naming the claimed user */
    au = th_client(d, "auditor");
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    bool found_amorgan = false;
    for (size_t i = 0; i < rep.u.entries.n; i++) {
        const cl_audit_entry *a = &rep.u.entries.v[i];
        if (!strcmp(a->user.id, "amorgan") && !strcmp(a->kind, "get_person")) {
            found_amorgan = true;
            assert_int_equal(a->outcome, CL_STATUS_OK);
            assert_string_equal(a->user.name, "Alex Morgan");
            assert_string_equal(a->user.role, "Deputy coordinator");
            assert_string_equal(a->client, "coordinator");
        }
    }
    assert_true(found_amorgan);
    cl_reply_clear(&rep);
    /* (a refused attempt names no person: it is found by its user) */
    memset(&req->u, 0, sizeof(req->u));
    CL_COPY(req->u.person_ref.user_id, "mallory");
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 1);
    assert_string_equal(rep.u.entries.v[0].kind, "get_person");
    assert_string_equal(rep.u.entries.v[0].user.name, "Mal Lory");
    assert_int_equal(rep.u.entries.v[0].outcome, CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&au);
    free(req);
    /* no user's name or id in the daemon's log */
    assert_false(th_file_contains(d->log, "mallory"));
    assert_false(th_file_contains(d->log, "Alex Morgan"));
    assert_false(th_file_contains(d->log, "amorgan"));
}

/* A half-named user, an over-long id and a control character are
 * refused with the field named; nothing is applied. */
static void test_bad_users(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    cl_client *gp = th_client(d, "gp");
    cl_request *q = th_referral("GP-U2", "Jane", "Smith", "1985-04-12", NHS);
    memset(&q->on_behalf_of, 0, sizeof(q->on_behalf_of));
    CL_COPY(q->on_behalf_of.id, "apatel");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "on_behalf_of.display_name"));
    cl_reply_clear(&rep);
    q->on_behalf_of = s_user("apatel", "Dr A Patel", "");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "on_behalf_of.role"));
    cl_reply_clear(&rep);
    /* a newline meant to forge a line in an audit listing */
    q->on_behalf_of =
        s_user("apatel", "Dr A Patel\n  #999 forged entry", "GP partner");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "on_behalf_of.display_name"));
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    free(q);

    /* an over-long user id straight on the wire: the size limit names it */
    char key[300];
    snprintf(key, sizeof(key), "%s/keys/gp.key", d->dir);
    void *ctx = zmq_ctx_new();
    void *raw = th_raw_socket(d, ctx, key, 3000);
    /* Envelope: version 1, message_id (16 bytes), on_behalf_of { user_id
     * = 70 x 'u' }, health {} */
    uint8_t buf[256];
    size_t n = 0;
    buf[n++] = 0x08;
    buf[n++] = 1;
    buf[n++] = 0x12;
    buf[n++] = 16;
    for (int i = 0; i < 16; i++)
        buf[n++] = (uint8_t)(0xa0 + i);
    /* field 140, wire type 2: key (140 << 3 | 2) = 1122 = 0xe2 0x08 */
    buf[n++] = 0xe2;
    buf[n++] = 0x08;
    buf[n++] = 72;
    buf[n++] = 0x0a;
    buf[n++] = 70;
    memset(buf + n, 'u', 70);
    n += 70;
    /* health = 60: key (60 << 3 | 2) = 482 = 0xe2 0x03, length 0 */
    buf[n++] = 0xe2;
    buf[n++] = 0x03;
    buf[n++] = 0;
    assert_int_equal(zmq_send(raw, buf, n, 0), (int)n);
    uint8_t in[4096];
    int got = zmq_recv(raw, in, sizeof(in), 0);
    assert_true(got > 0);
    cl_reply r;
    assert_int_equal(cl_wire_decode_reply(&r, in, (size_t)got), CL_OK);
    assert_int_equal(r.status, CL_STATUS_INVALID);
    assert_non_null(strstr(r.error, "on_behalf_of.user_id"));
    cl_reply_clear(&r);
    zmq_close(raw);
    zmq_ctx_term(ctx);
}

/* The audit names the user: search by person shows each user, search by
 * user alone shows what one user did (and nobody else's), a person and a
 * user together narrow to both; subject access shows who looked. */
static void test_audit_by_user(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    s_publish_one(d); /* Dr Anita Patel through the gp client */
    cl_user amorgan = s_user("amorgan", "Alex Morgan", "Deputy coordinator");
    cl_client *cj = th_client(d, "coordinator"); /* cjones */
    cl_client *am = s_as(d, "coordinator", &amorgan);
    cl_request *req = s_view_req();
    assert_int_equal(s_call(cj, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(am, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    assert_int_equal(s_call(am, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    /* amorgan looks at someone else too */
    cl_client *gp = th_client(d, "gp");
    cl_request *q = th_referral("GP-U3", "Tom", "Brown", "1990-02-02", NULL);
    CL_COPY(q->u.publish.subject.nhs, "4010232137");
    assert_int_equal(th_publish(gp, q, NULL), CL_STATUS_OK);
    cl_client_close(&gp);
    CL_COPY(req->u.get_person.match.nhs, "4010232137");
    assert_int_equal(s_call(am, req, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&cj);
    cl_client_close(&am);

    cl_client *au = th_client(d, "auditor");
    /* by person: the GP's user, cjones once, amorgan twice */
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    int cj_n = 0, am_n = 0, gp_n = 0;
    for (size_t i = 0; i < rep.u.entries.n; i++) {
        const cl_audit_entry *a = &rep.u.entries.v[i];
        cj_n += !strcmp(a->user.id, "cjones");
        am_n += !strcmp(a->user.id, "amorgan");
        gp_n += !strcmp(a->user.id, "apatel") &&
                !strcmp(a->user.name, "Dr Anita Patel");
    }
    assert_int_equal(cj_n, 1);
    assert_int_equal(am_n, 2);
    assert_int_equal(gp_n, 1);
    cl_reply_clear(&rep);
    /* by person and user */
    CL_COPY(req->u.person_ref.user_id, "amorgan");
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 2);
    for (size_t i = 0; i < rep.u.entries.n; i++)
        assert_string_equal(rep.u.entries.v[i].user.id, "amorgan");
    cl_reply_clear(&rep);
    /* by user alone: both people amorgan looked at, in time order */
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(req->u.person_ref.user_id, "amorgan");
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 3);
    assert_true(rep.u.entries.v[0].seq < rep.u.entries.v[2].seq);
    assert_string_not_equal(rep.u.entries.v[0].person_ids[0],
                            rep.u.entries.v[2].person_ids[0]);
    cl_reply_clear(&rep);
    /* the limit keeps the newest */
    req->u.person_ref.limit = 1;
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 1);
    assert_string_not_equal(rep.u.entries.v[0].person_ids[0], "");
    cl_reply_clear(&rep);
    /* a user nobody has heard of: nothing */
    CL_COPY(req->u.person_ref.user_id, "nobody");
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_int_equal(rep.u.entries.n, 0);
    cl_reply_clear(&rep);
    /* the searches are audited under the auditor's user */
    memset(&req->u, 0, sizeof(req->u));
    CL_COPY(req->u.person_ref.user_id, "lwalker");
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    assert_true(rep.u.entries.n >= 4);
    assert_string_equal(rep.u.entries.v[0].kind, "audit_search");
    assert_string_equal(rep.u.entries.v[0].user.name, "Lee Walker");
    cl_reply_clear(&rep);
    /* a coordinator cannot search by user either */
    cl_client *co = th_client(d, "coordinator");
    assert_int_equal(s_call(co, req, &rep), CL_STATUS_DENIED);
    cl_reply_clear(&rep);
    cl_client_close(&co);

    /* subject access: who looked, by name */
    memset(&req->u, 0, sizeof(req->u));
    req->kind = CL_REQ_SUBJECT_ACCESS;
    CL_COPY(req->u.person_ref.match.nhs, NHS);
    assert_int_equal(s_call(au, req, &rep), CL_STATUS_OK);
    bool saw_cj = false, saw_am = false;
    for (size_t i = 0; i < rep.u.subject.audit.n; i++) {
        const cl_audit_entry *a = &rep.u.subject.audit.v[i];
        saw_cj |= !strcmp(a->user.name, "Chris Jones");
        saw_am |= !strcmp(a->user.name, "Alex Morgan");
    }
    assert_true(saw_cj);
    assert_true(saw_am);
    cl_reply_clear(&rep);
    cl_client_close(&au);
    free(req);
    free(q);
}

/* require_user = yes on a publisher (registry, SIGHUP): its requests
 * without a user are refused, with one accepted and audited. */
static void test_publisher_required(void **state)
{
    th_daemon *d = *state;
    cl_reply rep;
    assert_int_equal(th_sh("cd %s && awk '{print} /^\\[gp\\]/{print "
                           "\"require_user = yes\"}' clients.conf > c.new && "
                           "mv c.new clients.conf",
                           d->dir),
                     0);
    kill(d->pid, SIGHUP);
    usleep(300000);
    cl_client *anon = s_as(d, "gp", NULL);
    cl_request *q = th_referral("GP-U4", "Jane", "Smith", "1985-04-12", NHS);
    assert_int_equal(s_call(anon, q, &rep), CL_STATUS_DENIED);
    assert_non_null(strstr(rep.error, "on_behalf_of"));
    cl_reply_clear(&rep);
    cl_client_close(&anon);
    cl_client *gp = th_client(d, "gp");
    assert_int_equal(s_call(gp, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&gp);
    /* other publishers are unchanged */
    cl_client *po = s_as(d, "police", NULL);
    CL_COPY(q->u.publish.agency_ref, "POL-U4");
    assert_int_equal(s_call(po, q, &rep), CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&po);
    free(q);
    /* a malformed registry line is refused at reload, naming the line */
    assert_int_equal(th_sh("cd %s && sed -i 's/^require_user = yes/"
                           "require_user = perhaps/' clients.conf && "
                           "%s --config caselinkd.conf --check-config "
                           ">check.out 2>&1; grep -q 'clients.conf:[0-9]*: "
                           "require_user must be yes or no' check.out",
                           d->dir, CL_CASELINKD_PATH),
                     0);
}

/* One system, two users: a message id the first user's request used,
 * replayed for the second, is refused (it was answered with the first
 * user's reply and left no audit entry of the second's); the first user's
 * own resend is still a duplicate. */
static void test_message_id_bound_to_user(void **state)
{
    th_daemon *d = *state;
    cl_user amorgan = s_user("amorgan", "Alex Morgan", "Deputy coordinator");
    cl_client *cj = th_client(d, "coordinator"); /* cjones */
    cl_client *am = s_as(d, "coordinator", &amorgan);
    cl_request *q = calloc(1, sizeof(*q));
    assert_non_null(q);
    cl_reply rep;
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, "2026-11-20");
    CL_COPY(q->u.review_new.title, "Extended MDT north");
    q->u.review_new.n_agencies = 1;
    CL_COPY(q->u.review_new.agencies[0], "Oakfield Surgery");
    memset(q->msgid, 0x33, CL_MSGID_LEN);
    assert_int_equal(cl_client_call(cj, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    memset(&q->on_behalf_of, 0, sizeof(q->on_behalf_of));
    assert_int_equal(cl_client_call(am, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_INVALID);
    assert_non_null(strstr(rep.error, "another user"));
    assert_string_equal(rep.u.publish.reference, "");
    cl_reply_clear(&rep);
    memset(&q->on_behalf_of, 0, sizeof(q->on_behalf_of));
    assert_int_equal(cl_client_call(cj, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DUPLICATE);
    cl_reply_clear(&rep);
    /* a retry queue that lost the user: its resend is answered as a
     * resend, with what the first send created; a new message id without
     * a user is refused as it always was */
    cl_client *nobody = s_as(d, "coordinator", NULL);
    memset(&q->on_behalf_of, 0, sizeof(q->on_behalf_of));
    assert_int_equal(cl_client_call(nobody, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DUPLICATE);
    assert_int_equal(rep.original_status, CL_STATUS_OK);
    assert_true(rep.u.publish.reference[0] != '\0');
    cl_reply_clear(&rep);
    memset(q->msgid, 0x34, CL_MSGID_LEN);
    memset(&q->on_behalf_of, 0, sizeof(q->on_behalf_of));
    assert_int_equal(cl_client_call(nobody, q, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_DENIED);
    assert_non_null(strstr(rep.error, "needs on_behalf_of"));
    cl_reply_clear(&rep);
    cl_client_close(&nobody);
    /* the refusal is audited, as every refused attempt is; the resend
     * answered as a resend adds no entry */
    cl_client *au = th_client(d, "auditor");
    cl_request *aq = calloc(1, sizeof(*aq));
    assert_non_null(aq);
    aq->kind = CL_REQ_AUDIT_SEARCH;
    CL_COPY(aq->u.person_ref.filter.client, "coordinator");
    aq->u.person_ref.limit = 1000;
    assert_int_equal(cl_client_call(au, aq, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    int ok = 0, denied = 0;
    for (size_t i = 0; i < rep.u.entries.n; i++) {
        const cl_audit_entry *a = &rep.u.entries.v[i];
        if (strcmp(a->kind, "create_review") != 0)
            continue;
        ok += a->outcome == CL_STATUS_OK;
        denied += a->outcome == CL_STATUS_DENIED;
    }
    assert_int_equal(ok, 1);
    assert_int_equal(denied, 1);
    cl_reply_clear(&rep);
    free(aq);
    cl_client_close(&au);
    free(q);
    cl_client_close(&cj);
    cl_client_close(&am);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_required, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_permitted_users, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_bad_users, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_audit_by_user, th_setup_daemon,
                                        th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_message_id_bound_to_user,
                                        th_setup_daemon, th_teardown_daemon),
        cmocka_unit_test_setup_teardown(test_publisher_required,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
