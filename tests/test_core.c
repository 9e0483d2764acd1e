/*
 * test_core: access rules and linking decisions through the domain
 * library over a real store (no sockets). The matching functions are
 * tested in test_match.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sodium.h>

#include "core.h"
#include "harness.h"
#include "th_core.h"

static void test_roles_and_access(void **state)
{
    (void)state;
    assert_int_equal(cl_access_roles_parse("publisher, coordinator"),
                     CL_ROLE_PUBLISHER | CL_ROLE_COORDINATOR);
    assert_int_equal(cl_access_roles_parse("publisher,wizard"), -1);
    /* Every row of the table: each role against every message kind. */
    enum {
        P = CL_ROLE_PUBLISHER,
        C = CL_ROLE_COORDINATOR,
        O = CL_ROLE_OPERATOR,
        A = CL_ROLE_AUDITOR
    };
    static const uint32_t expect[CL_REQ_KIND_COUNT] = {
        [CL_REQ_NONE] = 0,
        [CL_REQ_PUBLISH_REFERRAL] = P,
        [CL_REQ_GET_PERSON] = C,
        [CL_REQ_HEALTH] = P | C | O | A,
        [CL_REQ_CORRECT_REFERRAL] = P,
        [CL_REQ_WITHDRAW_REFERRAL] = P,
        [CL_REQ_AUDIT_VERIFY] = A,
        [CL_REQ_AUDIT_CHECKPOINT] = A,
        [CL_REQ_AUDIT_SEARCH] = A,
        [CL_REQ_SUBJECT_ACCESS] = A,
        [CL_REQ_ADMIN_STATS] = O,
        [CL_REQ_ADMIN_BACKUP] = O,
        [CL_REQ_ADMIN_ROTATE_KEY] = O,
        [CL_REQ_ADMIN_KEY_STATUS] = O,
        [CL_REQ_ADMIN_RETIRE_KEY] = O,
        [CL_REQ_PUBLISH_PLAN] = P,
        [CL_REQ_REVIEW_LIST] = C,
        [CL_REQ_REVIEW_DECIDE] = C,
        [CL_REQ_SPLIT_RECORD] = C,
        [CL_REQ_IMPORT_PERSON] = P,
        [CL_REQ_LINKS_EXPORT] = C,
        [CL_REQ_FIND_PERSON] = C,
        [CL_REQ_CREATE_REVIEW] = C,
        [CL_REQ_ADD_TO_AGENDA] = C,
        [CL_REQ_CASE_FINDING] = C,
        [CL_REQ_SET_STATUS] = C,
        [CL_REQ_INBOX_RECEIVE] = P | C | A,
        [CL_REQ_INBOX_ACK] = P | C | A,
        [CL_REQ_INFO_REQUEST] = C,
        [CL_REQ_INFO_RESPOND] = P,
        [CL_REQ_REQUEST_LIST] = C,
        [CL_REQ_ADMIN_FEEDS] = O | C,
        [CL_REQ_ADMIN_PROMOTE] = O,
        [CL_REQ_ADMIN_ROTATE_MASTER] = O,
        [CL_REQ_RECORD_DISCUSSION] = C,
        [CL_REQ_ADD_ACTION] = C,
        [CL_REQ_UPDATE_ACTION] = C | P,
        [CL_REQ_LIST_ACTIONS] = C | P,
        [CL_REQ_SET_RAG] = C,
        [CL_REQ_RAG_HISTORY] = C,
        [CL_REQ_DEFINE_MEASURE] = C,
        [CL_REQ_RECORD_MEASURE] = C,
        [CL_REQ_REPORT] = C,
        [CL_REQ_REVIEW_PACK] = C,
        [CL_REQ_INTAKE_LIST] = C,
        [CL_REQ_INTAKE_DECIDE] = C,
        [CL_REQ_REFERRAL_LIST] = C,
        [CL_REQ_MDT_LIST] = C,
        [CL_REQ_LEGAL_HOLD] = C,
        [CL_REQ_LINK_ADMIN] = C | O,
        [CL_REQ_FLAG_CHECK] = P,
        [CL_REQ_FLAG_DISCLOSURES] = A,
        [CL_REQ_WITHDRAW_PLAN] = P,
        [CL_REQ_RECORD_MEETING] = C,
    };
    const uint32_t roles[] = {P, C, O, A};
    for (int k = 0; k < CL_REQ_KIND_COUNT; k++)
        for (size_t r = 0; r < 4; r++)
            if (cl_access_allowed(roles[r], (cl_req_kind)k) !=
                ((expect[k] & roles[r]) != 0))
                fail_msg("access table: role %u, kind %d", roles[r], k);
    assert_false(cl_access_allowed(P | C | O | A, CL_REQ_KIND_COUNT));
    /* an operator never reaches personal data */
    for (int k = 0; k < CL_REQ_KIND_COUNT; k++)
        if (cl_access_personal((cl_req_kind)k))
            assert_false(cl_access_allowed(O, (cl_req_kind)k));
    static const struct {
        uint32_t role;
        cl_req_kind kind;
        bool allowed;
    } rows[] = {
        {CL_ROLE_PUBLISHER, CL_REQ_PUBLISH_REFERRAL, true},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(cl_access_allowed(rows[i].role, rows[i].kind),
                         rows[i].allowed);
}

/* --- linking over a real store ------------------------------------------ */

typedef struct s_fx {
    char dir[256];
    cl_store *s;
    cl_match_config mc;
    cl_caller gp, police, cs; /* cs: children's services, a plan authority */
} s_fx;

static int s_setup(void **state)
{
    s_fx *f = calloc(1, sizeof(*f));
    uint8_t mk[CL_MASTER_KEY_LEN];
    memset(mk, 9, sizeof(mk));
    th_tmpdir(f->dir, sizeof(f->dir));
    if (cl_store_open(&f->s, f->dir, mk, 64u << 20) != CL_OK)
        return -1;
    cl_match_config_defaults(&f->mc);
    CL_COPY(f->gp.name, "gp");
    CL_COPY(f->gp.agency, "Oakfield Surgery");
    CL_COPY(f->gp.kind, "gp");
    f->gp.roles = CL_ROLE_PUBLISHER;
    CL_COPY(f->police.name, "police");
    CL_COPY(f->police.agency, "Northshire Police");
    CL_COPY(f->police.kind, "police");
    f->police.roles = CL_ROLE_PUBLISHER | CL_ROLE_COORDINATOR;
    CL_COPY(f->cs.name, "childrens");
    CL_COPY(f->cs.agency, "Northshire Children's Services");
    CL_COPY(f->cs.kind, "childrens_services");
    f->cs.roles = CL_ROLE_PUBLISHER;
    f->cs.plans = true;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fx *f = *state;
    cl_store_close(&f->s);
    free(f);
    return 0;
}

static void s_pub(s_fx *f, const cl_caller *who, cl_referral *r, char *ref)
{
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_publish_result out;
    memset(&out, 0, sizeof(out));
    r->category = r->category ? r->category : 4;
    r->basis = r->basis ? r->basis : 1;
    assert_int_equal(cl_referral_validate(r, err, &out), CL_OK);
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    assert_int_equal(TH_CORE_OP(err, t, who, 1700000000, cl_linkfind_publish,
                                &f->mc, r, &out),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    if (ref)
        strcpy(ref, out.reference);
}

static void s_view(s_fx *f, const char *pid, const char *nhs, cl_person_view *v)
{
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_get_person q;
    memset(&q, 0, sizeof(q));
    if (pid)
        CL_COPY(q.person_id, pid);
    if (nhs)
        CL_COPY(q.match.nhs, nhs);
    CL_COPY(q.justification, "test: looking at the linked case");
    q.access_reason = 5; /* data_quality */
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, 0, cl_caseview_person_view, &q, v),
        CL_OK);
    cl_store_abort(&t);
}

static void test_link_by_nhs_and_score(void **state)
{
    s_fx *f = *state;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_person_view v;
    char ref[CL_REF_SZ];

    CL_COPY(r->agency_ref, "G1");
    r->subject = th_person("Jane", "Smith", "1985-04-12", 1, "LS1 4AB");
    CL_COPY(r->subject.nhs, "9434765919");
    s_pub(f, &f->gp, r, ref);
    assert_string_equal(ref, "CL-00000001");

    /* police: no NHS number, nickname-free spelling variant */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "P1");
    r->subject = th_person("Jayne", "Smith", "1985-04-12", 1, "LS1 4AB");
    s_pub(f, &f->police, r, NULL);

    /* a stranger with the same family name */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "P2");
    r->subject = th_person("Karen", "Smith", "1990-01-01", 1, "LS1 4AB");
    s_pub(f, &f->police, r, NULL);

    /* GP again with the NHS number and a different spelling: NHS wins */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "G2");
    r->subject = th_person("J", "Smyth", "", 0, "");
    CL_COPY(r->subject.nhs, "9434765919");
    s_pub(f, &f->gp, r, NULL);

    s_view(f, NULL, "9434765919", &v);
    assert_string_equal(v.person_id, "P00000001");
    assert_int_equal(v.n_records, 2); /* GP record reused, police record */
    assert_int_equal(v.n_referrals, 3);
    assert_int_equal(v.n_known, 2);
    bool scored = false;
    for (size_t i = 0; i < v.n_records; i++)
        if (!strcmp(v.records[i].agency, "Northshire Police")) {
            scored = v.records[i].link_reason == CL_LINK_SCORE &&
                     v.records[i].link_score >= CL_MATCH_UPPER_DEFAULT;
        }
    assert_true(scored);
    cl_person_view_clear(&v);

    s_view(f, "P00000002", NULL, &v); /* Karen: alone */
    assert_int_equal(v.n_records, 1);
    assert_int_equal(v.n_referrals, 1);
    cl_person_view_clear(&v);
    free(r);
}

static void test_local_id_and_twins(void **state)
{
    s_fx *f = *state;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_person_view v;

    CL_COPY(r->agency_ref, "A");
    r->subject = th_person("Tom", "Hardy", "2001-05-05", 2, "M1 1AA");
    CL_COPY(r->subject.local_id, "POL-123");
    s_pub(f, &f->police, r, NULL);
    /* same local id, nothing else: same person and record */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "B");
    CL_COPY(r->subject.local_id, "POL-123");
    s_pub(f, &f->police, r, NULL);
    /* the same local id from another agency is another person's id */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "C");
    CL_COPY(r->subject.local_id, "POL-123");
    s_pub(f, &f->gp, r, NULL);
    /* twin brother: same surname, dob, sex and postcode */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "D");
    r->subject = th_person("Harry", "Hardy", "2001-05-05", 2, "M1 1AA");
    s_pub(f, &f->police, r, NULL);

    s_view(f, "P00000001", NULL, &v);
    assert_int_equal(v.n_records, 1);
    assert_int_equal(v.n_referrals, 2);
    cl_person_view_clear(&v);
    s_view(f, "P00000002", NULL, &v);
    assert_int_equal(v.n_referrals, 1);
    assert_string_equal(v.known_to[0], "Oakfield Surgery");
    cl_person_view_clear(&v);
    s_view(f, "P00000003", NULL, &v);
    assert_string_equal(v.records[0].person.given, "Harry");
    cl_person_view_clear(&v);
    free(r);
}

static void test_relationships(void **state)
{
    s_fx *f = *state;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_person_view v;
    CL_COPY(r->agency_ref, "CS1");
    r->subject = th_person("Amy", "Smith", "2015-06-01", 1, "LS1 4AB");
    r->n_related = 1;
    r->related[0].rel = CL_REL_PARENT;
    r->related[0].person =
        th_person("Jane", "Smith", "1985-04-12", 1, "LS1 4AB");
    CL_COPY(r->related[0].person.nhs, "9434765919");
    s_pub(f, &f->gp, r, NULL);
    s_view(f, NULL, "9434765919", &v);
    assert_int_equal(v.n_related, 1);
    assert_int_equal(v.related[0].rel, CL_REL_CHILD);
    assert_string_equal(v.related[0].given, "Amy");
    assert_string_equal(v.related[0].asserted_by, "Oakfield Surgery");
    cl_person_view_clear(&v);
    free(r);
}

static void s_plan(s_fx *f, cl_plan *p)
{
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_publish_result out;
    memset(&out, 0, sizeof(out));
    if (cl_plan_validate(p, err, &out) != CL_OK)
        fail_msg("plan invalid: %s", err);
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    /* only a plan authority may publish a plan */
    assert_int_equal(TH_CORE_OP(err, t, &f->gp, 1700000000,
                                cl_plan_publish_plan, &f->mc, NULL, p, &out),
                     CL_ERR_DENIED);
    assert_int_equal(TH_CORE_OP(err, t, &f->cs, 1700000000,
                                cl_plan_publish_plan, &f->mc, NULL, p, &out),
                     CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
}

static void s_date_offset(char out[CL_DATE_SZ], int days)
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    strftime(out, CL_DATE_SZ, "%Y-%m-%d", gmtime_r(&t, &tm));
}

static void test_plans_show_on_linked_adults(void **state)
{
    s_fx *f = *state;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_plan *p = calloc(1, sizeof(*p));
    cl_person_view v;
    /* the GP knows the mother; the plan names her as parent */
    CL_COPY(r->agency_ref, "G1");
    r->subject = th_person("Jane", "Smith", "1985-04-12", 1, "LS1 4AB");
    CL_COPY(r->subject.nhs, "9434765919");
    s_pub(f, &f->gp, r, NULL);
    CL_COPY(p->agency_ref, "CP-1");
    p->type = CL_PLAN_CPP;
    p->category = 3;
    p->basis = 1;
    s_date_offset(p->start, -30);
    CL_COPY(p->authority, "Northshire Children's Services");
    p->child = th_person("Amy", "Smith", "2015-06-01", 1, "LS1 4AB");
    p->n_adults = 1;
    p->adults[0].rel = CL_REL_PARENT;
    p->adults[0].person =
        th_person("Jane", "Smith", "1985-04-12", 1, "LS1 4AB");
    s_plan(f, p);
    s_view(f, NULL, "9434765919", &v);
    assert_int_equal(v.n_plans, 1);
    assert_true(v.plans[0].active);
    assert_string_equal(v.plans[0].via, "child");
    assert_string_equal(v.plans[0].given, "Amy");
    assert_int_equal(v.plans[0].category, 3);
    cl_person_view_clear(&v);
    s_view(f, "P00000002", NULL, &v); /* the child's own case */
    assert_int_equal(v.n_plans, 1);
    assert_string_equal(v.plans[0].via, "self");
    cl_person_view_clear(&v);
    /* an unrelated person sees nothing */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "G2");
    r->subject = th_person("Karen", "Brown", "1962-11-30", 1, "M1 1AA");
    s_pub(f, &f->gp, r, NULL);
    s_view(f, "P00000003", NULL, &v);
    assert_int_equal(v.n_plans, 0);
    cl_person_view_clear(&v);

    /* the plan ends: updated by its reference, shown as ended */
    s_date_offset(p->end, -10);
    s_plan(f, p);
    s_view(f, NULL, "9434765919", &v);
    assert_int_equal(v.n_plans, 1);
    assert_false(v.plans[0].active);
    cl_person_view_clear(&v);
    /* ended more than 12 months ago: no longer a current flag */
    s_date_offset(p->start, -800);
    s_date_offset(p->end, -400);
    s_plan(f, p);
    s_view(f, NULL, "9434765919", &v);
    assert_int_equal(v.n_plans, 0);
    cl_person_view_clear(&v);

    /* an unborn child protection plan is held on the expectant mother */
    memset(p, 0, sizeof(*p));
    CL_COPY(p->agency_ref, "UCP-1");
    p->type = CL_PLAN_UNBORN;
    p->basis = 1;
    s_date_offset(p->start, -5);
    CL_COPY(p->authority, "Northshire Children's Services");
    p->n_adults = 1;
    p->adults[0].rel = CL_REL_PARENT;
    p->adults[0].person =
        th_person("Karen", "Brown", "1962-11-30", 1, "M1 1AA");
    s_plan(f, p);
    s_view(f, "P00000003", NULL, &v);
    assert_int_equal(v.n_plans, 1);
    assert_int_equal(v.plans[0].type, CL_PLAN_UNBORN);
    assert_true(v.plans[0].active);
    cl_person_view_clear(&v);
    /* validation: an unborn plan must name the mother */
    char err[CL_ERROR_SZ];
    p->adults[0].rel = CL_REL_CARER;
    assert_int_equal(cl_plan_validate(p, err, NULL), CL_ERR_INVALID);
    p->adults[0].rel = CL_REL_PARENT;
    p->type = CL_PLAN_CPP; /* needs a category and a child */
    assert_int_equal(cl_plan_validate(p, err, NULL), CL_ERR_INVALID);
    free(p);
    free(r);
}

static int s_change(s_fx *f, cl_req_kind kind, const char *id, bool accept,
                    char *result)
{
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_publish_result out;
    cl_link_change c;
    memset(&out, 0, sizeof(out));
    memset(&c, 0, sizeof(c));
    CL_COPY(c.id, id);
    c.accept = accept;
    CL_COPY(c.reason, "checked with the GP");
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    int rc = TH_CORE_OP(err, t, &f->police, 1700000100, cl_matchq_link_change,
                        kind, &c, &out);
    if (rc == CL_OK)
        assert_int_equal(cl_store_commit(&t), CL_OK);
    else
        cl_store_abort(&t);
    if (result)
        strcpy(result, out.reference);
    return rc;
}

static void s_queue(s_fx *f, cl_review_items *out)
{
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_review_query q = {.limit = 50};
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    assert_int_equal(TH_CORE_OP(err, t, &f->police, 0, cl_matchq_review_list,
                                &f->mc, &q, out),
                     CL_OK);
    cl_store_abort(&t);
}

static void test_review_queue_and_split(void **state)
{
    s_fx *f = *state;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_review_items q;
    cl_person_view v;
    char who[CL_REF_SZ];
    CL_COPY(r->agency_ref, "G1");
    r->subject = th_person("Robert", "Jones", "1980-03-04", 2, "LS1 4AB");
    s_pub(f, &f->gp, r, NULL);
    /* a plausible but uncertain match: nickname, no date of birth, moved
     * within the sector */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "P1");
    r->subject = th_person("Rob", "Jones", "", 0, "LS1 4ZZ");
    s_pub(f, &f->police, r, NULL);
    s_queue(f, &q);
    assert_int_equal(q.n, 1);
    assert_true(q.v[0].score >= CL_MATCH_LOWER_DEFAULT &&
                q.v[0].score < CL_MATCH_UPPER_DEFAULT);
    assert_string_equal(q.v[0].incoming.person.given, "Rob");
    assert_string_equal(q.v[0].candidate.person.given, "Robert");
    assert_true(q.v[0].n_fields >= 3);
    assert_string_equal(q.v[0].fields[1].level, "nickname");
    char qid[CL_REF_SZ];
    strcpy(qid, q.v[0].id);
    free(q.v);
    /* accept: one person with both records */
    assert_int_equal(s_change(f, CL_REQ_REVIEW_DECIDE, qid, true, who), CL_OK);
    assert_string_equal(who, "P00000001");
    s_view(f, "P00000001", NULL, &v);
    assert_int_equal(v.n_records, 2);
    assert_int_equal(v.n_referrals, 2);
    cl_person_view_clear(&v);
    assert_int_equal(s_change(f, CL_REQ_REVIEW_DECIDE, qid, true, NULL),
                     CL_ERR_INVALID); /* decided already */
    s_queue(f, &q);
    assert_int_equal(q.n, 0);
    free(q.v);
    /* it was wrong after all: split the police record back out */
    assert_int_equal(s_change(f, CL_REQ_SPLIT_RECORD, "R00000002", false, who),
                     CL_OK);
    s_view(f, "P00000001", NULL, &v);
    assert_int_equal(v.n_records, 1);
    assert_int_equal(v.n_referrals, 1);
    cl_person_view_clear(&v);
    s_view(f, who, NULL, &v);
    assert_int_equal(v.n_records, 1);
    assert_string_equal(v.records[0].person.given, "Rob");
    assert_int_equal(v.n_referrals, 1); /* the referral went with it */
    cl_person_view_clear(&v);
    assert_int_equal(s_change(f, CL_REQ_SPLIT_RECORD, "R00000002", false, NULL),
                     CL_ERR_INVALID); /* now alone: nothing to split */
    /* another uncertain pair, rejected */
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "P2");
    r->subject = th_person("Bobby", "Jones", "", 0, "LS1 4QQ");
    s_pub(f, &f->police, r, NULL);
    s_queue(f, &q);
    assert_true(q.n >= 1);
    strcpy(qid, q.v[0].id);
    free(q.v);
    assert_int_equal(s_change(f, CL_REQ_REVIEW_DECIDE, qid, false, NULL),
                     CL_OK);
    assert_int_equal(s_change(f, CL_REQ_REVIEW_DECIDE, "Q99", true, NULL),
                     CL_ERR_NOT_FOUND);
    assert_int_equal(s_change(f, CL_REQ_REVIEW_DECIDE, "nonsense", true, NULL),
                     CL_ERR_INVALID);
    free(r);
}

static void test_household_and_depth_two(void **state)
{
    s_fx *f = *state;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_person_view v;
    /* the council knows two people at one property (UPRN), unrelated as
     * far as anyone has said */
    CL_COPY(r->agency_ref, "H1");
    r->subject = th_person("Dave", "Hughes", "1970-01-01", 2, "LS3 1AA");
    CL_COPY(r->subject.uprn, "100023336956");
    s_pub(f, &f->police, r, NULL);
    memset(r, 0, sizeof(*r));
    CL_COPY(r->agency_ref, "H2");
    r->subject = th_person("Carol", "Price", "1972-02-02", 1, "LS3 1AA");
    CL_COPY(r->subject.uprn, "100023336956");
    /* and Carol's child, stated by the GP */
    r->n_related = 1;
    r->related[0].rel = CL_REL_CHILD;
    r->related[0].person =
        th_person("Mia", "Price", "2012-03-03", 1, "LS3 1AA");
    s_pub(f, &f->gp, r, NULL);
    s_view(f, "P00000001", NULL, &v); /* Dave */
    bool carol = false, mia = false;
    for (size_t i = 0; i < v.n_related; i++) {
        if (!strcmp(v.related[i].given, "Carol"))
            carol = v.related[i].inferred && v.related[i].depth == 1 &&
                    v.related[i].rel == CL_REL_HOUSEHOLD;
        if (!strcmp(v.related[i].given, "Carol"))
            assert_string_equal(v.related[i].known_to[0], "Oakfield Surgery");
        if (!strcmp(v.related[i].given, "Mia"))
            mia = v.related[i].depth == 2 && v.related[i].n_known == 1 &&
                  !strcmp(v.related[i].via_pid, "P00000002") &&
                  v.related[i].rel == CL_REL_CHILD;
    }
    assert_true(carol);
    assert_true(mia);
    cl_person_view_clear(&v);
    free(r);
}

static void test_case_finding(void **state)
{
    s_fx *f = *state;
    cl_referral *r = calloc(1, sizeof(*r));
    static const char *const names[6] = {"Alice",  "Brenda", "Carlos",
                                         "Dmitri", "Eunice", "Farouk"};
    /* six people known to both the GP and the police; one of them with
     * three police contacts, the others with one */
    for (int i = 0; i < 6; i++) {
        const char *name = names[i];
        memset(r, 0, sizeof(*r));
        snprintf(r->agency_ref, sizeof(r->agency_ref), "G%d", i);
        r->subject = th_person(name, "Walker", "1970-01-01", 2, "LS9 1AA");
        snprintf(r->subject.local_id, sizeof(r->subject.local_id), "g%d", i);
        s_pub(f, &f->gp, r, NULL);
        for (int k = 0; k < (i == 0 ? 3 : 1); k++) {
            memset(r, 0, sizeof(*r));
            snprintf(r->agency_ref, sizeof(r->agency_ref), "P%d-%d", i, k);
            r->subject = th_person(name, "Walker", "1970-01-01", 2, "LS9 1AA");
            s_pub(f, &f->police, r, NULL);
        }
    }
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_case_finding q;
    cl_case_finding_result out;
    memset(&q, 0, sizeof(q));
    CL_COPY(q.agency, "Northshire Police");
    CL_COPY(q.justification, "quarterly high-level user review");
    q.access_reason = 3; /* mdt_preparation */
    q.min_contacts = 3;
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    assert_int_equal(TH_CORE_OP(err, t, &f->police, 1800000000,
                                cl_casefind_case_finding, &q, &out),
                     CL_OK);
    assert_int_equal(out.n_users, 1);
    assert_int_equal(out.users[0].contacts, 3);
    assert_int_equal(out.users[0].n_known, 1);
    assert_string_equal(out.users[0].known_to[0], "Oakfield Surgery");
    assert_int_equal(out.n_overlap, 1);
    assert_int_equal(out.overlap[0].people, 6);
    free(out.users);
    free(out.overlap);
    /* a period before everything: nobody; small overlaps suppressed */
    q.to = 1000;
    q.min_contacts = 1;
    assert_int_equal(TH_CORE_OP(err, t, &f->police, 1800000000,
                                cl_casefind_case_finding, &q, &out),
                     CL_OK);
    assert_int_equal(out.n_users, 0);
    free(out.users);
    free(out.overlap);
    /* the role and the justification are required */
    assert_int_equal(TH_CORE_OP(err, t, &f->gp, 1800000000,
                                cl_casefind_case_finding, &q, &out),
                     CL_ERR_DENIED);
    q.justification[0] = '\0';
    assert_int_equal(TH_CORE_OP(err, t, &f->police, 1800000000,
                                cl_casefind_case_finding, &q, &out),
                     CL_ERR_INVALID);
    cl_store_abort(&t);
    free(r);
}

static void test_view_rules(void **state)
{
    s_fx *f = *state;
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_get_person q;
    cl_person_view v;
    memset(&q, 0, sizeof(q));
    CL_COPY(q.person_id, "P00000001");
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    /* no purpose */
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, 0, cl_caseview_person_view, &q, &v),
        CL_ERR_INVALID);
    CL_COPY(q.justification, "x");
    /* not a coordinator */
    assert_int_equal(
        TH_CORE_OP(err, t, &f->gp, 0, cl_caseview_person_view, &q, &v),
        CL_ERR_DENIED);
    /* break-glass: "x", or no reason code, is no justification */
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, 0, cl_caseview_person_view, &q, &v),
        CL_ERR_INVALID);
    CL_COPY(q.justification, "checking a reported concern today");
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, 0, cl_caseview_person_view, &q, &v),
        CL_ERR_INVALID);
    q.access_reason = 1; /* immediate_risk */
    CL_COPY(q.person_id, "P99999999");
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, 0, cl_caseview_person_view, &q, &v),
        CL_ERR_NOT_FOUND);
    CL_COPY(q.person_id, "Bobby Tables");
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, 0, cl_caseview_person_view, &q, &v),
        CL_ERR_INVALID);
    /* links export: a malformed cursor, and the role */
    cl_links_query lq;
    cl_links_page page;
    memset(&lq, 0, sizeof(lq));
    CL_COPY(lq.after, "X12");
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, 0, cl_linkfind_links_export, &lq, &page),
        CL_ERR_INVALID);
    lq.after[0] = '\0';
    assert_int_equal(
        TH_CORE_OP(err, t, &f->gp, 0, cl_linkfind_links_export, &lq, &page),
        CL_ERR_DENIED);
    /* find: a justification is required, and the role */
    cl_find fq;
    cl_candidates cands;
    memset(&fq, 0, sizeof(fq));
    CL_COPY(fq.match.family, "Smith");
    assert_int_equal(TH_CORE_OP(err, t, &f->police, 0, cl_casefind_find, &f->mc,
                                &fq, &cands),
                     CL_ERR_INVALID);
    CL_COPY(fq.justification, "x");
    assert_int_equal(
        TH_CORE_OP(err, t, &f->gp, 0, cl_casefind_find, &f->mc, &fq, &cands),
        CL_ERR_DENIED);
    fq.access_reason = 2;
    assert_int_equal(TH_CORE_OP(err, t, &f->police, 0, cl_casefind_find, &f->mc,
                                &fq, &cands),
                     CL_ERR_INVALID); /* "x" is too short */
    cl_store_abort(&t);
}

/* Requests go overdue when their due date passes unanswered; a late
 * answer clears it. Exercised with the clock as a parameter. */
static void test_requests_overdue(void **state)
{
    s_fx *f = *state;
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "", ref[CL_REF_SZ];
    cl_referral *r = calloc(1, sizeof(*r));
    CL_COPY(r->agency_ref, "P-1");
    CL_COPY(r->subject.nhs, "9434765919");
    CL_COPY(r->subject.given, "Jane");
    CL_COPY(r->subject.family, "Smith");
    r->category = 4;
    r->basis = 1;
    r->consent = 1;
    s_pub(f, &f->gp, r, ref);
    cl_route_config rc;
    cl_route_config_defaults(&rc);
    rc.n_agencies = 2;
    CL_COPY(rc.agencies[0], "Oakfield Surgery");
    CL_COPY(rc.agencies[1], "Northshire Police");
    rc.n_answer = 2; /* both publish: both can answer */
    CL_COPY(rc.answer[0], "Oakfield Surgery");
    CL_COPY(rc.answer[1], "Northshire Police");
    const int64_t day0 = 1800000000; /* 2027-01-15 */
    cl_info_request q;
    memset(&q, 0, sizeof(q));
    CL_COPY(q.who.person_id, "P00000001");
    q.n_agencies = 1;
    CL_COPY(q.agencies[0], "Oakfield Surgery");
    CL_COPY(q.due, "2027-01-16");
    CL_COPY(q.question, "Anything known?");
    cl_publish_result out;
    memset(&out, 0, sizeof(out));
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    /* a coordinator only (police hold both roles here; the GP does not) */
    assert_int_equal(
        TH_CORE_OP(err, t, &f->gp, day0, cl_inforeq_request, &rc, &q, &out),
        CL_ERR_DENIED);
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, day0, cl_inforeq_request, &rc, &q, &out),
        CL_OK);
    cl_request_list lq;
    cl_request_summaries sum;
    memset(&lq, 0, sizeof(lq));
    assert_int_equal(
        TH_CORE_OP(err, t, &f->police, day0, cl_inforeq_list, &lq, &sum),
        CL_OK);
    assert_int_equal(sum.n, 1);
    assert_false(sum.v[0].agencies[0].overdue);
    free(sum.v);
    /* two days on, still unanswered: overdue */
    assert_int_equal(TH_CORE_OP(err, t, &f->police, day0 + 2 * 86400,
                                cl_inforeq_list, &lq, &sum),
                     CL_OK);
    assert_true(sum.v[0].agencies[0].overdue);
    free(sum.v);
    cl_info_response a;
    memset(&a, 0, sizeof(a));
    CL_COPY(a.request_id, out.reference);
    CL_COPY(a.summary, "Seen twice this year");
    a.involvement = CL_INVOLVE_CURRENT;
    assert_int_equal(TH_CORE_OP(err, t, &f->gp, day0 + 2 * 86400,
                                cl_inforeq_respond, &rc, &a, &out),
                     CL_OK);
    lq.open_only = true;
    assert_int_equal(TH_CORE_OP(err, t, &f->police, day0 + 3 * 86400,
                                cl_inforeq_list, &lq, &sum),
                     CL_OK);
    assert_int_equal(sum.n, 0); /* answered: no longer open */
    free(sum.v);
    /* a malformed id and another agency's answer */
    CL_COPY(a.request_id, "REQ-x");
    assert_int_equal(
        TH_CORE_OP(err, t, &f->gp, day0, cl_inforeq_respond, &rc, &a, &out),
        CL_ERR_INVALID);
    cl_store_abort(&t);
    free(r);
}

/* Who must name a user, kind by kind ("Systems and users"). */
static void test_user_required(void **state)
{
    (void)state;
    cl_caller pub = {.roles = CL_ROLE_PUBLISHER};
    cl_caller pub_named = {.roles = CL_ROLE_PUBLISHER, .require_user = true};
    cl_caller co = {.roles = CL_ROLE_COORDINATOR};
    cl_caller op = {.roles = CL_ROLE_OPERATOR};
    cl_caller au = {.roles = CL_ROLE_AUDITOR};
    cl_caller op_co = {.roles = CL_ROLE_OPERATOR | CL_ROLE_COORDINATOR};
    for (int k = CL_REQ_NONE + 1; k < CL_REQ_KIND_COUNT; k++) {
        cl_req_kind kind = (cl_req_kind)k;
        bool health = kind == CL_REQ_HEALTH;
        /* a coordinator or auditor names a user for everything it may
         * send but health */
        assert_int_equal(cl_access_user_required(&co, kind),
                         !health && cl_access_allowed(co.roles, kind));
        assert_int_equal(cl_access_user_required(&au, kind),
                         !health && cl_access_allowed(au.roles, kind));
        /* a publisher only when its registry entry says so */
        assert_false(cl_access_user_required(&pub, kind));
        assert_int_equal(cl_access_user_required(&pub_named, kind),
                         !health && cl_access_allowed(pub.roles, kind));
        /* an operator never: counts and operations, no personal data */
        assert_false(cl_access_user_required(&op, kind));
        /* a kind both roles allow goes by the operator's */
        if (cl_access_allowed(op.roles, kind))
            assert_false(cl_access_user_required(&op_co, kind));
    }
    assert_false(cl_access_user_required(&co, CL_REQ_KIND_COUNT));
}

/* Audit entries of both stored versions decode (version 1: before named
 * users; version 2: with the user). */
static void test_audit_versions(void **state)
{
    (void)state;
    static const char *seeds[] = {"audit", "audit_v2"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        uint8_t in[4096];
        snprintf(path, sizeof(path), "%s/stored/%s", CL_CORPUS_DIR, seeds[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t n = fread(in, 1, sizeof(in), f);
        fclose(f);
        /* the first byte picks the decoder in fuzz_stored */
        assert_int_equal(cl_audit_decode_check(in + 1, n - 1), CL_OK);
        in[1] = 3; /* an unknown version */
        assert_int_equal(cl_audit_decode_check(in + 1, n - 1), CL_ERR_CORRUPT);
    }
}

/* The intake record's seed decodes (and a truncated one does not). */
static void test_intake_record(void **state)
{
    (void)state;
    char path[512];
    uint8_t in[4096];
    snprintf(path, sizeof(path), "%s/stored/intake", CL_CORPUS_DIR);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(in, 1, sizeof(in), f);
    fclose(f);
    assert_int_equal(cl_core_decode_check(CL_DB_INTAKE, in + 1, n - 1), CL_OK);
    assert_int_equal(cl_core_decode_check(CL_DB_INTAKE, in + 1, n - 2),
                     CL_ERR_CORRUPT);
    /* the meeting record, and an action keeping its changes (version 2) */
    static const struct {
        const char *seed;
        cl_db db;
    } more[] = {{"meeting", CL_DB_MEETING},
                {"action", CL_DB_ACTION},
                {"action_v2", CL_DB_ACTION}};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        snprintf(path, sizeof(path), "%s/stored/%s", CL_CORPUS_DIR,
                 more[i].seed);
        f = fopen(path, "rb");
        assert_non_null(f);
        n = fread(in, 1, sizeof(in), f);
        fclose(f);
        assert_int_equal(cl_core_decode_check(more[i].db, in + 1, n - 1),
                         CL_OK);
        assert_int_equal(cl_core_decode_check(more[i].db, in + 1, n - 2),
                         CL_ERR_CORRUPT);
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_and_access),
        cmocka_unit_test_setup_teardown(test_link_by_nhs_and_score, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_local_id_and_twins, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_relationships, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_view_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_plans_show_on_linked_adults,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_review_queue_and_split, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_household_and_depth_two, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_case_finding, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_requests_overdue, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_user_required),
        cmocka_unit_test(test_audit_versions),
        cmocka_unit_test(test_intake_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
