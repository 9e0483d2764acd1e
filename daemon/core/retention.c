/*
 * retention: core's part of retention (the policy is dp.c's): what keeps
 * a person's records live, and purging everything that names or
 * describes a person. Calls records, matchq and alerts, never a file
 * above it.
 */
#include "retention.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "audit.h"
#include "idset.h"
#include "rechist.h"
#include "matchq.h"
#include "records.h"
#include "refindex.h"
#include "ids.h"

/* --- retention ------------------------------------------------------------ */

static int s_key_collect(void *ctx, const uint8_t *key, size_t len)
{
    cl_records_ids *ids = ctx;
    (void)len;
    /* history keys: referral id (8) || version (4): keep the version */
    return cl_records_ids_push(ids, (uint64_t)key[8] << 24 |
                                        (uint64_t)key[9] << 16 |
                                        (uint64_t)key[10] << 8 | key[11]);
}

/* Remove one person and everything that hangs off them. */
static int s_purge_person(cl_txn *t, uint64_t pid)
{
    const cl_store *st = cl_store_of(t);
    cl_records_ids recs = {.max = SIZE_MAX}, refs = {.max = SIZE_MAX},
                   rels = {.max = SIZE_MAX}, vers = {.max = SIZE_MAX};
    cl_records_record rec;
    uint8_t k[16];
    int64_t created, last;
    int rc = cl_records_person_get(t, pid, &created, &last);
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        if ((rc = cl_records_record_get(t, recs.v[i], &rec)) != CL_OK)
            break;
        cl_records_blinds b = {0};
        cl_records_ident_blinds(st, rec.agency, &rec.p, &b);
        cl_records_blocking(st, &rec.p, &b);
        for (size_t j = 0; j < b.n && rc == CL_OK; j++)
            rc = cl_records_blinds_del(t, &b, j, recs.v[i]);
        uint8_t dk[CL_BLIND_LEN + 8];
        cl_matchq_decided_key(st, recs.v[i], dk);
        if (rc == CL_OK)
            rc = cl_records_del(t, CL_DB_BLIND, dk, sizeof(dk));
        refs.n = 0;
        if (rc == CL_OK)
            rc = cl_records_children(t, CL_DB_RECORD_REFERRALS, recs.v[i],
                                     &refs);
        for (size_t j = 0; j < refs.n && rc == CL_OK; j++) {
            cl_records_key(k, refs.v[j]);
            vers.n = 0;
            rc = cl_store_scan(t, CL_DB_HISTORY, k, 8, s_key_collect, &vers);
            for (size_t v = 0; v < vers.n && rc == CL_OK; v++) {
                uint8_t hk[12];
                memcpy(hk, k, 8);
                hk[8] = (uint8_t)(vers.v[v] >> 24);
                hk[9] = (uint8_t)(vers.v[v] >> 16);
                hk[10] = (uint8_t)(vers.v[v] >> 8);
                hk[11] = (uint8_t)vers.v[v];
                rc = cl_records_del(t, CL_DB_HISTORY, hk, 12);
            }
            if (rc == CL_OK)
                rc = cl_records_del(t, CL_DB_REFERRAL, k, 8);
            cl_records_key(k, recs.v[i]);
            cl_records_key(k + 8, refs.v[j]);
            if (rc == CL_OK)
                rc = cl_records_del(t, CL_DB_RECORD_REFERRALS, k, 16);
        }
        if (rc == CL_OK)
            rc = cl_rechist_purge(t, recs.v[i]);
        cl_records_key(k, recs.v[i]);
        if (rc == CL_OK)
            rc = cl_records_del(t, CL_DB_RECORD, k, 8);
        cl_records_key(k, pid);
        cl_records_key(k + 8, recs.v[i]);
        if (rc == CL_OK)
            rc = cl_records_del(t, CL_DB_PERSON_RECORDS, k, 16);
    }
    /* plans held on this person, with their reference index */
    cl_records_ids plans = {.max = SIZE_MAX};
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_PERSON_PLANS, pid, &plans);
    for (size_t i = 0; i < plans.n && rc == CL_OK; i++) {
        cl_records_plan pr;
        if ((rc = cl_records_plan_get(t, plans.v[i], &pr)) != CL_OK)
            break;
        cl_records_blinds b = {0};
        cl_records_blind_add(st, &b, "plan", pr.agency, pr.p.agency_ref);
        uint8_t bk[CL_BLIND_LEN + 8];
        memcpy(bk, b.k[0], CL_BLIND_LEN);
        cl_be64_put(bk + CL_BLIND_LEN, plans.v[i]);
        rc = cl_records_del(t, CL_DB_BLIND, bk, sizeof(bk));
        cl_records_key(k, plans.v[i]);
        if (rc == CL_OK)
            rc = cl_records_del(t, CL_DB_PLAN, k, 8);
        cl_records_key(k, pid);
        cl_records_key(k + 8, plans.v[i]);
        if (rc == CL_OK)
            rc = cl_records_del(t, CL_DB_PERSON_PLANS, k, 16);
    }
    free(plans.v);
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_RELATION, pid, &rels);
    for (size_t i = 0; i < rels.n && rc == CL_OK; i++) {
        cl_records_key(k, pid);
        cl_records_key(k + 8, rels.v[i]);
        rc = cl_records_del(t, CL_DB_RELATION, k, 16);
        cl_records_key(k, rels.v[i]);
        cl_records_key(k + 8, pid);
        if (rc == CL_OK)
            rc = cl_records_del(t, CL_DB_RELATION, k, 16);
    }
    cl_records_key(k, pid);
    if (rc == CL_OK)
        rc = cl_records_del(t, CL_DB_PERSON, k, 8);
    if (rc == CL_OK)
        rc = cl_records_activity(t, pid, last, false);
    sodium_memzero(&rec, sizeof(rec));
    free(recs.v);
    free(refs.v);
    free(rels.v);
    free(vers.v);
    return rc;
}

typedef struct s_live {
    cl_txn *t;
    const char *since;
    cl_ids *keep;
} s_live;

/* person_plans: holder || plan id -> how */
static int s_live_plan(void *ctx, const uint8_t *key, size_t len)
{
    s_live *c = ctx;
    cl_records_plan pr;
    if (len != 16)
        return CL_ERR_CORRUPT;
    uint64_t holder = cl_be64_get(key);
    int rc = cl_records_plan_get(c->t, cl_be64_get(key + 8), &pr);
    if (rc != CL_OK)
        return rc;
    if (pr.p.end[0] && strcmp(pr.p.end, c->since) < 0)
        return CL_OK; /* ended before the period */
    if ((rc = cl_idset_add(c->keep, holder)) != CL_OK)
        return rc;
    /* the family around the child: the plan shows on their cases and
     * routes alerts through them */
    cl_records_ids rels = {.max = SIZE_MAX};
    rc = cl_records_children(c->t, CL_DB_RELATION, holder, &rels);
    for (size_t i = 0; i < rels.n && rc == CL_OK; i++)
        rc = cl_idset_add(c->keep, rels.v[i]);
    free(rels.v);
    return rc;
}

int cl_retention_plans_live(cl_txn *t, const char *since, cl_ids *keep)
{
    s_live c = {t, since, keep};
    return cl_store_scan(t, CL_DB_PERSON_PLANS, NULL, 0, s_live_plan, &c);
}

int cl_retention_referrals_of(cl_txn *t, uint64_t pid, cl_ids *refs)
{
    cl_records_ids recs = {.max = SIZE_MAX}, rr = {.max = SIZE_MAX};
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        rr.n = 0;
        rc = cl_records_children(t, CL_DB_RECORD_REFERRALS, recs.v[i], &rr);
        for (size_t j = 0; j < rr.n && rc == CL_OK; j++)
            rc = cl_idset_add(refs, rr.v[j]);
    }
    free(recs.v);
    free(rr.v);
    cl_idset_done(refs);
    return rc;
}

typedef struct s_rq_purge {
    cl_txn *t;
    const cl_records_ids *recs;
    cl_records_ids dead;
} s_rq_purge;

/* review: a queued pair naming one of the person's records goes too */
static int s_rq_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rq_purge *c = ctx;
    cl_matchq_review r;
    if (len != 8)
        return CL_ERR_CORRUPT;
    int rc = cl_matchq_review_get(c->t, cl_be64_get(key), &r);
    if (rc != CL_OK)
        return rc;
    for (size_t i = 0; i < c->recs->n; i++)
        if (c->recs->v[i] == r.incoming || c->recs->v[i] == r.candidate)
            return cl_records_ids_push(&c->dead, cl_be64_get(key));
    return CL_OK;
}

int cl_retention_person_purge(cl_txn *t, uint64_t pid, cl_names *names)
{
    char ref[CL_REF_SZ];
    cl_records_ids recs = {.max = SIZE_MAX}, refs = {.max = SIZE_MAX},
                   plans = {.max = SIZE_MAX};
    cl_records_referral *sr = calloc(1, sizeof(*sr));
    int rc = sr ? cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs)
                : CL_ERR_NOMEM;
    /* the agency references of its referrals, and the ids replies named */
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        refs.n = 0;
        rc = cl_records_children(t, CL_DB_RECORD_REFERRALS, recs.v[i], &refs);
        for (size_t j = 0; j < refs.n && rc == CL_OK; j++) {
            if ((rc = cl_records_referral_get(t, refs.v[j], sr)) != CL_OK)
                break;
            rc = cl_refindex_remove(t, sr->agency, sr->r.agency_ref);
            if (rc == CL_OK)
                rc = cl_idset_names_add(names, sr->reference);
            if (rc == CL_OK)
                rc = cl_alerts_alerted_purge(t, refs.v[j]);
        }
    }
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_PERSON_PLANS, pid, &plans);
    for (size_t i = 0; i < plans.n && rc == CL_OK; i++) {
        (void)cl_id_format(ref, sizeof(ref), CL_ID_PLAN, plans.v[i]);
        rc = cl_idset_names_add(names, ref);
    }
    if (rc == CL_OK) {
        cl_audit_pid_str(ref, pid);
        rc = cl_idset_names_add(names, ref);
    }
    s_rq_purge q = {t, &recs, {.max = SIZE_MAX}};
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_REVIEW, NULL, 0, s_rq_one, &q);
    for (size_t i = 0; i < q.dead.n && rc == CL_OK; i++) {
        uint8_t k[8];
        cl_records_key(k, q.dead.v[i]);
        rc = cl_records_del(t, CL_DB_REVIEW, k, 8);
    }
    if (rc == CL_OK)
        rc = s_purge_person(t, pid);
    if (sr)
        sodium_memzero(sr, sizeof(*sr));
    free(sr);
    free(recs.v);
    free(refs.v);
    free(plans.v);
    free(q.dead.v);
    return rc;
}

static int s_second_id(void *ctx, const uint8_t *key, size_t len)
{
    if (len != 16)
        return CL_ERR_CORRUPT;
    return cl_idset_add(ctx, cl_be64_get(key + 8));
}

int cl_retention_purge_indexed(cl_txn *t, cl_db index, cl_db db, uint64_t pid,
                               cl_id_kind kind, cl_names *names)
{
    uint8_t k[16];
    char id[CL_REF_SZ];
    cl_ids ids = {0};
    cl_be64_put(k, pid);
    int rc = cl_store_scan(t, index, k, 8, s_second_id, &ids);
    for (size_t i = 0; i < ids.n && rc == CL_OK; i++) {
        cl_be64_put(k + 8, ids.v[i]);
        rc = cl_store_del(t, index, k, 16);
        if (rc == CL_OK || rc == CL_ERR_NOT_FOUND)
            rc = cl_store_del(t, db, k + 8, 8);
        if (rc == CL_ERR_NOT_FOUND)
            rc = CL_OK;
        if (rc == CL_OK && !cl_id_format(id, sizeof(id), kind, ids.v[i]))
            rc = CL_ERR_INTERNAL;
        if (rc == CL_OK)
            rc = cl_idset_names_add(names, id);
    }
    cl_idset_free(&ids);
    return rc;
}
