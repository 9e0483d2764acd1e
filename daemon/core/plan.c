/*
 * plan: child protection plans: who may publish one, publishing and
 * withdrawing them, who holds each plan, and which plans reach a person
 * through the people linked to them (for flags, alerts and case views).
 * Calls records and linkfind, never a file above it.
 */
#include "plan.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "feed.h"
#include "linkfind.h"
#include "mailbox.h"
#include "match.h"
#include "records.h"
#include "ids.h"

int cl_plan_authority(const cl_caller *caller, char err[CL_ERROR_SZ])
{
    /* A plan makes the daemon send other agencies' referrals to its
     * publisher: only agencies registered as plan authorities may. */
    if (caller->plans)
        return CL_OK;
    snprintf(err, CL_ERROR_SZ,
             "only plan authorities may publish protection plans, and client "
             "%.64s is not one (plans = yes in the client registry, for the "
             "agency responsible for plans)",
             caller->name);
    return CL_ERR_DENIED;
}

/* Tell information governance of a new plan; the first plan an agency
 * ever publishes says so. */
static int s_plan_governance(cl_txn *t, const cl_route_config *rc,
                             const cl_caller *caller, const cl_plan *p,
                             uint64_t plan_id, uint64_t holder, int64_t now,
                             const char *event)
{
    /* meta "plans:" agency -> the agency's first plan id (unsealed: an
     * agency's name is not personal data, and a purge leaves it) */
    char key[sizeof("plans:") + CL_AGENCY_SZ];
    uint8_t v[8];
    size_t len = 0;
    cl_governance_msg g;
    int kl = snprintf(key, sizeof(key), "plans:%s", caller->agency);
    int r = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)kl, v,
                             sizeof(v), &len);
    if (r != CL_OK && r != CL_ERR_NOT_FOUND)
        return r;
    memset(&g, 0, sizeof(g));
    CL_COPY(g.event, event                   ? event
                     : r == CL_ERR_NOT_FOUND ? "first_plan_from_agency"
                                             : "new_plan");
    if (r == CL_ERR_NOT_FOUND) {
        cl_be64_put(v, plan_id);
        r = cl_store_put_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)kl, v,
                             sizeof(v));
        if (r != CL_OK)
            return r;
    }
    CL_COPY(g.agency, caller->agency);
    CL_COPY(g.client, caller->name);
    (void)cl_id_format(g.reference, sizeof(g.reference), CL_ID_PLAN, plan_id);
    cl_audit_pid_str(g.person_id, holder);
    CL_COPY(g.detail, cl_plan_type_name(p->type));
    return cl_feed_governance_notice(t, rc, &g, now);
}

int cl_plan_publish_plan(cl_op *op, const cl_match_config *mc,
                         const cl_route_config *route, const cl_plan *p,
                         cl_publish_result *out)
{
    const cl_store *st = cl_store_of(op->t);
    uint64_t child = 0, rid = 0, holder = 0, plan_id = 0, old_holder = 0;
    cl_records_plan rec;
    uint8_t k[16], how;
    bool is_new = false;
    int rc;
    if (!(op->who->roles & CL_ROLE_PUBLISHER)) {
        snprintf(op->err, CL_ERROR_SZ, "publishing needs the publisher role");
        return CL_ERR_DENIED;
    }
    if ((rc = cl_plan_authority(op->who, op->err)) != CL_OK)
        return rc;
    if (p->type != CL_PLAN_UNBORN) {
        /* households are never inferred from a plan's child: the UPRN
         * is not kept, so it links the child to nobody living there */
        cl_person c = p->child;
        c.uprn[0] = '\0';
        rc = cl_linkfind_person(op->t, st, mc, op->who, &c, op->now, &child,
                                &rid);
        sodium_memzero(&c, sizeof(c));
        if (rc == CL_OK)
            rc = cl_records_record_subject(op->t, rid);
        if (rc != CL_OK)
            return rc;
        cl_records_note_person(&op->note, child);
        holder = child;
        how = 0;
        rc = cl_linkfind_relate(op->t, st, mc, op->who, child, p->adults,
                                p->n_adults, op->now, &op->note);
    } else {
        /* unborn: the plan is held on the expectant mother */
        how = 1;
        rc = CL_OK;
        for (uint32_t i = 0; i < p->n_adults && rc == CL_OK; i++) {
            uint64_t apid = 0, arid = 0;
            rc =
                cl_linkfind_person(op->t, st, mc, op->who, &p->adults[i].person,
                                   op->now, &apid, &arid);
            cl_records_note_person(&op->note, apid);
            if (rc == CL_OK && !holder && p->adults[i].rel == CL_REL_PARENT) {
                holder = apid; /* the expectant mother: the plan is hers */
                rc = cl_records_record_subject(op->t, arid);
            }
        }
    }
    if (rc != CL_OK)
        return rc;
    /* the same agency reference updates the plan */
    uint64_t found = 0;
    rc = cl_records_link_ident(op->t, st, "plan", op->who->agency,
                               p->agency_ref, &found);
    if (rc == CL_OK) {
        plan_id = found;
        if ((rc = cl_records_plan_get(op->t, plan_id, &rec)) != CL_OK)
            return rc;
        old_holder = rec.child;
        if (!old_holder &&
            (rc = cl_plan_holder(op->t, plan_id, &old_holder)) != CL_OK)
            return rc;
        if (old_holder && old_holder != holder) {
            /* re-point the index: the plan is now held on someone else */
            cl_records_key(k, old_holder);
            cl_records_key(k + 8, plan_id);
            rc = cl_store_del(op->t, CL_DB_PERSON_PLANS, k, 16);
            if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
                return rc;
        }
    } else if (rc == CL_ERR_NOT_FOUND) {
        if ((rc = cl_store_next_id(op->t, "plan", &plan_id)) != CL_OK)
            return rc;
        cl_records_blinds b = {0};
        cl_records_blind_add(st, &b, "plan", op->who->agency, p->agency_ref);
        if ((rc = cl_records_blind_index(op->t, b.k[0], plan_id)) != CL_OK)
            return rc;
        memset(&rec, 0, sizeof(rec));
        rec.created = op->now;
        is_new = true;
    } else {
        return rc;
    }
    rec.child = child;
    CL_COPY(rec.agency, op->who->agency);
    rec.p = *p;
    rec.updated = op->now;
    rec.withdrawn = false; /* published again: in force again */
    if ((rc = cl_records_plan_put(op->t, plan_id, &rec)) != CL_OK)
        return rc;
    cl_records_key(k, holder);
    cl_records_key(k + 8, plan_id);
    if ((rc = cl_store_put_raw(op->t, CL_DB_PERSON_PLANS, k, 16, &how, 1)) !=
        CL_OK)
        return rc;
    (void)cl_id_format(out->reference, sizeof(out->reference), CL_ID_PLAN,
                       plan_id);
    CL_COPY(op->note.detail, out->reference);
    if (is_new)
        return s_plan_governance(op->t, route, op->who, p, plan_id, holder,
                                 op->now, NULL);
    if (old_holder && old_holder != holder) /* a plan moved is a new route */
        return s_plan_governance(op->t, route, op->who, p, plan_id, holder,
                                 op->now, "plan_moved");
    return CL_OK;
}

typedef struct s_holder_ctx {
    uint64_t plan_id, holder;
} s_holder_ctx;

static int s_holder_one(void *ctx, const uint8_t *key, size_t len)
{
    s_holder_ctx *h = ctx;
    if (len != 16)
        return CL_ERR_CORRUPT;
    if (cl_be64_get(key + 8) != h->plan_id)
        return CL_OK;
    h->holder = cl_be64_get(key);
    return 1;
}

int cl_plan_holder(cl_txn *t, uint64_t plan_id, uint64_t *holder)
{
    s_holder_ctx h = {plan_id, 0};
    int rc = cl_store_scan(t, CL_DB_PERSON_PLANS, NULL, 0, s_holder_one, &h);
    *holder = h.holder;
    return rc;
}

int cl_plan_get(cl_txn *t, uint64_t plan_id, cl_plan_stored *out)
{
    cl_records_plan *r = malloc(sizeof(*r));
    if (!r)
        return CL_ERR_NOMEM;
    int rc = cl_records_plan_get(t, plan_id, r);
    if (rc == CL_OK) {
        memset(out, 0, sizeof(*out));
        out->id = plan_id;
        out->child = r->child;
        CL_COPY(out->agency, r->agency);
        CL_COPY(out->agency_ref, r->p.agency_ref);
        out->type = r->p.type;
        CL_COPY(out->end, r->p.end);
        CL_COPY(out->review, r->p.review);
        out->withdrawn = r->withdrawn;
    }
    sodium_memzero(r, sizeof(*r));
    free(r);
    return rc;
}

typedef struct s_held_ctx {
    cl_txn *t;
    int (*fn)(void *ctx, const cl_plan_stored *p, uint8_t how);
    void *ctx;
} s_held_ctx;

static int s_held_one(void *ctx, const uint8_t *key, size_t len)
{
    s_held_ctx *h = ctx;
    cl_plan_stored p;
    if (len != 16)
        return CL_ERR_CORRUPT;
    int rc = cl_plan_get(h->t, cl_be64_get(key + 8), &p);
    if (rc != CL_OK)
        return rc;
    uint8_t how = 0;
    size_t hl = 0;
    rc = cl_store_get_raw(h->t, CL_DB_PERSON_PLANS, key, 16, &how, 1, &hl);
    return rc == CL_OK ? h->fn(h->ctx, &p, how) : rc;
}

int cl_plan_held(cl_txn *t, uint64_t pid,
                 int (*fn)(void *ctx, const cl_plan_stored *p, uint8_t how),
                 void *ctx)
{
    s_held_ctx h = {t, fn, ctx};
    uint8_t k[8];
    cl_records_key(k, pid);
    return cl_store_scan(t, CL_DB_PERSON_PLANS, k, 8, s_held_one, &h);
}

int cl_plan_withdraw_plan(cl_op *op, const cl_route_config *route,
                          const cl_plan_withdraw *w, cl_publish_result *out)
{
    const cl_store *st = cl_store_of(op->t);
    uint64_t plan_id = 0;
    cl_records_plan *rec = NULL;
    int rc = cl_plan_authority(op->who, op->err);
    if (rc != CL_OK)
        return rc;
    if (!w->agency_ref[0] || !w->reason[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "withdraw_plan needs agency_reference (your reference for "
                 "the plan) and a reason");
        return CL_ERR_INVALID;
    }
    /* only the caller's own agency's plans are found */
    rc = cl_records_link_ident(op->t, st, "plan", op->who->agency,
                               w->agency_ref, &plan_id);
    if (rc == CL_ERR_NOT_FOUND) {
        snprintf(op->err, CL_ERROR_SZ,
                 "your agency has no plan with that agency_reference");
        return rc;
    }
    if (rc != CL_OK)
        return rc;
    if (!(rec = malloc(sizeof(*rec))))
        return CL_ERR_NOMEM;
    if ((rc = cl_records_plan_get(op->t, plan_id, rec)) != CL_OK)
        goto out;
    uint64_t holder = rec->child;
    if (!holder && (rc = cl_plan_holder(op->t, plan_id, &holder)) != CL_OK)
        goto out; /* unborn: the expectant mother holds it */
    rec->withdrawn = true;
    rec->updated = op->now;
    if ((rc = cl_records_plan_put(op->t, plan_id, rec)) != CL_OK)
        goto out;
    (void)cl_id_format(out->reference, sizeof(out->reference), CL_ID_PLAN,
                       plan_id);
    if (holder)
        cl_records_note_person(&op->note, holder);
    CL_COPY(op->note.detail, out->reference);
    CL_COPY(op->note.purpose, w->reason);
    cl_governance_msg g;
    memset(&g, 0, sizeof(g));
    CL_COPY(g.event, "plan_withdrawn");
    CL_COPY(g.agency, op->who->agency);
    CL_COPY(g.client, op->who->name);
    CL_COPY(g.reference, out->reference);
    if (holder)
        cl_audit_pid_str(g.person_id, holder);
    CL_COPY(g.detail, cl_plan_type_name(rec->p.type));
    rc = cl_feed_governance_notice(op->t, route, &g, op->now);
out:
    sodium_memzero(rec, sizeof(*rec));
    free(rec);
    return rc;
}

typedef struct s_plan_ctx {
    cl_txn *t;
    cl_person_view *out;
    size_t *cap;
    const char *via;        /* how the holder relates to the person viewed */
    const char *today;      /* YYYY-MM-DD */
    const char *year_ago;   /* YYYY-MM-DD */
    const cl_person *child; /* names to show */
    uint64_t child_pid;
} s_plan_ctx;

static int s_plan_flag(void *ctx, const uint8_t *key, size_t len)
{
    s_plan_ctx *c = ctx;
    cl_records_plan r;
    if (len != 16)
        return CL_ERR_CORRUPT;
    int rc = cl_records_plan_get(c->t, cl_be64_get(key + 8), &r);
    if (rc != CL_OK)
        return rc;
    if (r.withdrawn && c->year_ago[0])
        return CL_OK; /* recorded in error: subject access only */
    bool active = !r.p.end[0] || strcmp(r.p.end, c->today) >= 0;
    if (!active && strcmp(r.p.end, c->year_ago) < 0)
        return CL_OK; /* ended over a year ago: no longer a current flag */
    cl_plan_flag *f = CL_VEC_ADD(c->out->plans, c->out->n_plans, *c->cap);
    if (!f)
        return CL_ERR_NOMEM;
    if (r.p.type == CL_PLAN_UNBORN) {
        CL_COPY(f->via, "unborn child of this person");
    } else {
        cl_audit_pid_str(f->child_pid, c->child_pid);
        CL_COPY(f->via, c->via);
        if (c->child) {
            CL_COPY(f->given, c->child->given);
            CL_COPY(f->family, c->child->family);
        }
    }
    f->type = r.p.type;
    f->category = r.p.category;
    CL_COPY(f->start, r.p.start);
    CL_COPY(f->end, r.p.end);
    CL_COPY(f->authority, r.p.authority);
    f->active = active;
    CL_COPY(f->review, r.p.review);
    CL_COPY(f->legal_basis, r.p.legal_basis);
    return CL_OK;
}

/* Plans held on person pid, shown on the case being built; with all,
 * plans that ended over a year ago too (subject access). */
int cl_plan_plans_of(cl_txn *t, uint64_t pid, const char *via,
                     const cl_person *names, cl_person_view *out, size_t *cap,
                     bool all)
{
    char today[16], year_ago[16] = "";
    time_t now = time(NULL), then = now - 365 * 86400;
    struct tm tm;
    strftime(today, sizeof(today), "%Y-%m-%d", gmtime_r(&now, &tm));
    if (!all)
        strftime(year_ago, sizeof(year_ago), "%Y-%m-%d", gmtime_r(&then, &tm));
    s_plan_ctx c = {t, out, cap, via, today, year_ago, names, pid};
    uint8_t k[8];
    cl_records_key(k, pid);
    return cl_store_scan(t, CL_DB_PERSON_PLANS, k, 8, s_plan_flag, &c);
}

int cl_plan_ap_one(void *ctx, const uint8_t *key, size_t len)
{
    cl_plan_ap_ctx *c = ctx;
    cl_records_plan r;
    if (len != 16)
        return CL_ERR_CORRUPT;
    uint64_t id = cl_be64_get(key + 8);
    int rc = cl_records_plan_get(c->t, id, &r);
    if (rc != CL_OK)
        return rc;
    if (r.withdrawn || (r.p.end[0] && strcmp(r.p.end, c->today) < 0))
        return CL_OK; /* withdrawn, or ended */
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].plan_id == id)
            return CL_OK;
    if (c->n == sizeof(c->v) / sizeof(c->v[0]))
        return 1;
    c->v[c->n++] = (cl_plan_alert){id, c->holder, c->rel};
    return CL_OK;
}

/* --- lent to link.c ---------------------------------------------------------
 */

int cl_plan_linked(cl_txn *t, uint64_t pid, int64_t now, bool *linked)
{
    char today[CL_DATE_SZ];
    uint8_t k[8];
    cl_records_ids rels = {.max = 256};
    cl_plan_ap_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return CL_ERR_NOMEM;
    cl_records_date(now, today);
    c->t = t;
    c->today = today;
    c->holder = pid;
    cl_records_key(k, pid);
    int rc = cl_store_scan(t, CL_DB_PERSON_PLANS, k, 8, cl_plan_ap_one, c);
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_RELATION, pid, &rels);
    for (size_t i = 0; i < rels.n && rc == CL_OK && !c->n; i++) {
        c->holder = rels.v[i];
        cl_records_key(k, rels.v[i]);
        rc = cl_store_scan(t, CL_DB_PERSON_PLANS, k, 8, cl_plan_ap_one, c);
    }
    *linked = c->n > 0;
    free(c);
    free(rels.v);
    return rc;
}
