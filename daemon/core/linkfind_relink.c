/*
 * linkfind_relink: a stored record weighed again (link.c's rerun under
 * learned weights): indexed under today's blocking keys, a split proposed
 * when it no longer holds with its own person, a merge or a queued pair
 * when another person now matches it, and a record without a date or a
 * given name between two namesakes held apart moved to a person of its
 * own; and the partner a record's NHS or CHI number names (pairs known
 * to be one person). Calls records, matchq and the linkfind rules below
 * it.
 */
#include "linkfind_relink.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "linkfind_cand.h"
#include "linkfind_fit.h"
#include "matchq.h"

/* Whether record rid (rec) still holds together with the other records
 * of its person under today's weights: *holds false when none of them
 * reaches the lower threshold, and then the closest one is queued as a
 * split proposal for a coordinator (nothing moves). A record a
 * coordinator decided on, or one whose identifiers agree with another
 * of the person's, holds. */
static int s_relink_holds(cl_txn *t, const cl_match_config *mc,
                          const cl_match_tf *tf, uint64_t rid,
                          const cl_records_record *rec, int64_t now,
                          bool *holds)
{
    cl_records_ids recs = {.max = CL_LINKFIND_HOLD_MAX};
    cl_records_record o;
    bool decided = false;
    double best = -1e9;
    uint64_t closest = 0;
    *holds = true;
    int rc = cl_matchq_record_decided(t, rid, &decided);
    if (rc != CL_OK || decided)
        return rc;
    rc = cl_records_children(t, CL_DB_PERSON_RECORDS, rec->person_id, &recs);
    if (rc > 0)
        rc = CL_OK; /* a person of many records: the first CL_LINKFIND_HOLD_MAX
                     */
    for (size_t i = 0; i < recs.n && rc == CL_OK && best < mc->lower; i++) {
        if (recs.v[i] == rid)
            continue;
        if ((rc = cl_records_record_get(t, recs.v[i], &o)) != CL_OK)
            break;
        double w = cl_linkfind_fit_same_ident(rec, &o)
                       ? mc->upper
                       : cl_linkfind_fit_weight(mc, tf, rec->agency, &rec->p,
                                                &o, NULL);
        if (w > best) {
            best = w;
            closest = recs.v[i];
        }
    }
    sodium_memzero(&o, sizeof(o));
    free(recs.v);
    if (rc != CL_OK || !closest || best >= mc->lower)
        return rc;
    *holds = false;
    return cl_matchq_split_add(t, rid, closest, best, now);
}

/* The best of person pid's records other than rid against x (*best,
 * *closest; -1e9 and 0 if it has none), and whether one of them carries
 * an identifier of x's (*same). */
static int s_best_of_person(cl_txn *t, const cl_match_config *mc,
                            const cl_match_tf *tf, uint64_t rid,
                            const cl_records_record *x, uint64_t pid,
                            double *best, uint64_t *closest, bool *same)
{
    cl_records_ids recs = {.max = CL_LINKFIND_HOLD_MAX};
    cl_records_record o;
    *best = -1e9;
    *closest = 0;
    *same = false;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    if (rc > 0)
        rc = CL_OK;
    for (size_t i = 0; i < recs.n && rc == CL_OK && !*same; i++) {
        if (recs.v[i] == rid)
            continue;
        if ((rc = cl_records_record_get(t, recs.v[i], &o)) != CL_OK)
            break;
        *same = cl_linkfind_fit_same_ident(x, &o);
        double w = cl_linkfind_fit_weight(mc, tf, x->agency, &x->p, &o, NULL);
        if (w > *best) {
            *best = w;
            *closest = recs.v[i];
        }
    }
    sodium_memzero(&o, sizeof(o));
    free(recs.v);
    return rc;
}

/* Whether record xrid, without a given name or a date of birth beside
 * record rid of person pid, is held between pid and a third person: it
 * reaches the upper threshold against a record of another person too,
 * neither clearly better (CL_LINKFIND_CLEARLY), and that record fits
 * none of pid's but as one family's other member. A rerun then merges
 * it into neither: both pairs stay with a coordinator. */
static int s_held_between(cl_txn *t, const cl_match_config *mc, uint64_t xrid,
                          uint64_t rid, uint64_t pid, bool *between)
{
    const cl_store *st = cl_store_of(t);
    cl_records_record x, o;
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    *between = false;
    int rc = cl_records_record_get(t, xrid, &x);
    if (rc == CL_OK && (rc = cl_records_record_get(t, rid, &o)) != CL_OK)
        sodium_memzero(&x, sizeof(x));
    if (rc != CL_OK)
        return rc;
    double w_pid = cl_linkfind_fit_weight(mc, NULL, x.agency, &x.p, &o, NULL);
    rc = cl_linkfind_cand_find(t, st, &x.p, xrid, CL_LINKFIND_BUDGET, &ids);
    for (size_t i = 0; i < ids.n && rc == CL_OK && !*between; i++) {
        if (ids.v[i] == xrid)
            continue;
        if ((rc = cl_records_record_get(t, ids.v[i], &o)) == CL_ERR_NOT_FOUND) {
            rc = CL_OK;
            continue;
        }
        if (rc != CL_OK || o.person_id == pid || o.person_id == x.person_id ||
            cl_linkfind_fit_ident_differs(&x, &o))
            continue;
        int lv[CL_MATCH_NFIELDS];
        double w = cl_linkfind_fit_weight(mc, NULL, x.agency, &x.p, &o, lv);
        if (w < mc->upper || fabs(w - w_pid) >= CL_LINKFIND_CLEARLY)
            continue;
        rc = cl_linkfind_fit_apart(t, mc, ids.v[i], pid, cl_match_discerns(lv),
                                   between);
    }
    sodium_memzero(&x, sizeof(x));
    sodium_memzero(&o, sizeof(o));
    free(ids.v);
    return rc;
}

int cl_linkfind_relink_detach(cl_txn *t, const cl_match_config *mc,
                              const cl_match_tf *tf, uint64_t rid,
                              uint64_t qrid, int64_t now, bool *detached)
{
    cl_records_record x, q;
    int lv[CL_MATCH_NFIELDS];
    unsigned both = CL_MATCH_HAS_GIVEN | CL_MATCH_HAS_DOB;
    bool decided = false, same = false, apart = false;
    double own = -1e9;
    uint64_t closest = 0, fresh = 0;
    *detached = false;
    int rc = cl_records_record_get(t, rid, &x);
    if (rc == CL_OK && (rc = cl_records_record_get(t, qrid, &q)) != CL_OK)
        sodium_memzero(&x, sizeof(x));
    if (rc != CL_OK)
        return rc;
    uint64_t pid = x.person_id, qpid = q.person_id;
    double wq = cl_linkfind_fit_weight(mc, tf, x.agency, &x.p, &q, lv);
    unsigned by = cl_match_discerns(lv);
    bool sparse = (by & both) != both;
    bool linked = x.link_reason == CL_LINK_SCORE ||
                  x.link_reason == CL_LINK_MERGED ||
                  x.link_reason == CL_LINK_NEW;
    sodium_memzero(&q, sizeof(q));
    if (sparse && linked && pid != qpid && wq >= mc->upper &&
        (rc = cl_matchq_record_decided(t, rid, &decided)) == CL_OK &&
        !decided &&
        (rc = cl_matchq_person_decided(t, cl_store_of(t), pid, &decided)) ==
            CL_OK &&
        !decided)
        rc = s_best_of_person(t, mc, tf, rid, &x, pid, &own, &closest, &same);
    sodium_memzero(&x, sizeof(x));
    /* about equal, both linking, and q's record held apart from the
     * person's others (it fits them only as one family's other member) */
    if (rc != CL_OK || !closest || same || own < mc->upper ||
        fabs(own - wq) >= CL_LINKFIND_CLEARLY ||
        (rc = cl_linkfind_fit_apart(t, mc, qrid, pid, by, &apart)) != CL_OK ||
        !apart)
        return rc;
    if ((rc = cl_matchq_detach(t, rid, pid, now, &fresh)) == CL_OK &&
        (rc = cl_matchq_review_add(t, rid, closest, own, now)) == CL_OK &&
        (rc = cl_matchq_review_add(t, rid, qrid, wq, now)) == CL_OK)
        rc = cl_matchq_hold(t, rid, closest, qrid);
    *detached = rc == CL_OK;
    return rc;
}

/* Record rid of person pid, whose best pair with another person (record
 * best_rid, comparing the fields best_by: cl_match_discerns) reaches the
 * upper threshold without a given name or a date of birth: *detached
 * when rid fits the two alike while they are held apart (it leaves for a
 * person of its own: cl_linkfind_relink_detach), *between when best_rid
 * is such a record between its person and pid (s_held_between): either
 * way no rerun merges them. */
static int s_relink_sparse(cl_txn *t, const cl_match_config *mc,
                           const cl_match_tf *tf, uint64_t rid, uint64_t pid,
                           uint64_t best_rid, unsigned best_by, int64_t now,
                           bool *detached, bool *between)
{
    unsigned both = CL_MATCH_HAS_GIVEN | CL_MATCH_HAS_DOB;
    *detached = *between = false;
    if ((best_by & both) == both)
        return CL_OK;
    int rc = cl_linkfind_relink_detach(t, mc, tf, rid, best_rid, now, detached);
    if (rc == CL_OK && !*detached)
        rc = s_held_between(t, mc, best_rid, rid, pid, between);
    return rc;
}

/* Person pid, holding two people's records by their confirmed dates of
 * birth (cl_linkfind_fit_two_dates), parted: the second date's records
 * move to a person of their own and the pair between the two is queued
 * for a coordinator (*parted). Nothing moves on a person a coordinator
 * decided on. */
static int s_relink_part(cl_txn *t, const cl_match_config *mc, uint64_t pid,
                         int64_t now, bool *parted)
{
    cl_records_ids mv = {.max = CL_LINKFIND_HOLD_MAX};
    uint64_t keep = 0, fresh = 0;
    double w = 0;
    bool decided = false;
    *parted = false;
    int rc = cl_matchq_person_decided(t, cl_store_of(t), pid, &decided);
    if (rc == CL_OK && !decided)
        rc = cl_linkfind_fit_two_dates(t, mc, pid, &keep, &w, &mv);
    for (size_t i = 0; i < mv.n && rc == CL_OK; i++)
        rc = i == 0 ? cl_matchq_detach(t, mv.v[0], pid, now, &fresh)
                    : cl_matchq_move(t, mv.v[i], pid, fresh, CL_LINK_MERGED);
    if (rc == CL_OK && mv.n)
        rc = cl_matchq_review_add(t, mv.v[0], keep, w, now);
    *parted = rc == CL_OK && mv.n > 0;
    free(mv.v);
    return rc;
}

/* Index record rid (rec) under today's keys (a store linked under an
 * older key scheme becomes findable by them), then part its person if it
 * holds two people by their dates (s_relink_part, *parted). */
static int s_relink_index(cl_txn *t, const cl_match_config *mc, uint64_t rid,
                          const cl_records_record *rec, int64_t now,
                          bool *parted)
{
    const cl_store *st = cl_store_of(t);
    cl_records_blinds b = {0};
    int rc = CL_OK;
    *parted = false;
    cl_records_ident_blinds(st, rec->agency, &rec->p, &b);
    cl_records_blocking(st, &rec->p, &b);
    for (size_t i = 0; i < b.n && rc == CL_OK; i++)
        rc = cl_records_blinds_put(t, &b, i, rid);
    return rc == CL_OK ? s_relink_part(t, mc, rec->person_id, now, parted) : rc;
}

int cl_linkfind_relink(cl_txn *t, const cl_match_config *mc, uint64_t rid,
                       int64_t now, int *what)
{
    const cl_store *st = cl_store_of(t);
    cl_records_record rec, other;
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    cl_match_tf tf;
    bool holds = true;
    *what = 0;
    int rc = cl_records_record_get(t, rid, &rec);
    if (rc != CL_OK)
        return rc;
    bool parted = false;
    rc = s_relink_index(t, mc, rid, &rec, now, &parted);
    if (rc != CL_OK || parted) {
        *what = parted ? 2 : 0;
        sodium_memzero(&rec, sizeof(rec));
        return rc;
    }
    rc = cl_linkfind_cand_tf(t, st, mc, &rec.p, true, &tf);
    if (rc == CL_OK)
        rc = s_relink_holds(t, mc, &tf, rid, &rec, now, &holds);
    if (rc == CL_OK && !holds)
        *what = 3;
    if (rc == CL_OK)
        rc =
            cl_linkfind_cand_find(t, st, &rec.p, rid, CL_LINKFIND_BUDGET, &ids);
    double best = -1e9, second = -1e9;
    unsigned both = CL_MATCH_HAS_GIVEN | CL_MATCH_HAS_DOB;
    uint64_t best_pid = 0, best_rid = 0, second_rid = 0, second_pid = 0;
    unsigned best_by = 0, second_by = 0; /* cl_match_discerns */
    for (size_t i = 0; i < ids.n && rc == CL_OK; i++) {
        if (ids.v[i] == rid)
            continue;
        if ((rc = cl_records_record_get(t, ids.v[i], &other)) ==
            CL_ERR_NOT_FOUND) {
            rc = CL_OK;
            continue;
        }
        if (rc != CL_OK || other.person_id == rec.person_id)
            continue;
        bool conflict = cl_linkfind_fit_ident_differs(&rec, &other);
        int lv[CL_MATCH_NFIELDS];
        double w =
            cl_linkfind_fit_weight(mc, &tf, rec.agency, &rec.p, &other, lv);
        if (!conflict && w > best) {
            if (best_pid && best_pid != other.person_id) {
                second = best;
                second_rid = best_rid;
                second_pid = best_pid;
                second_by = best_by;
            }
            best = w;
            best_pid = other.person_id;
            best_rid = ids.v[i];
            best_by = cl_match_discerns(lv);
        } else if (!conflict && w > second && other.person_id != best_pid) {
            second = w;
            second_rid = ids.v[i];
            second_pid = other.person_id;
            second_by = cl_match_discerns(lv);
        }
    }
    sodium_memzero(&other, sizeof(other));
    uint64_t pid = rec.person_id;
    sodium_memzero(&rec, sizeof(rec));
    free(ids.v);
    if (rc != CL_OK || !best_pid || best < mc->lower)
        return rc;
    bool d1 = false, d2 = false, fits = false, detached = false,
         between = false;
    if (holds && best >= mc->upper &&
        (rc = s_relink_sparse(t, mc, &tf, rid, pid, best_rid, best_by, now,
                              &detached, &between)) == CL_OK &&
        detached) {
        *what = 2;
        return rc;
    }
    if (rc != CL_OK)
        return rc;
    /* a record that no longer holds with its own person does not bring
     * that person to another, nor one whose person's other records do
     * not fit the other person: the pair is queued */
    bool ambiguous = false;
    unsigned by = best_by & second_by;
    if (best >= mc->upper && second >= mc->upper &&
        (rc = cl_linkfind_fit_person(t, mc, second_rid, best_pid, 0, false,
                                     &fits)) == CL_OK)
        ambiguous = !fits;
    /* a record without a given name or a date of birth that fits two
     * people held apart about equally brings it to neither (as at
     * publish: cl_linkfind_fit_ambiguous); one with both, whose two
     * people are more often one split by errors, is weighed as before */
    if (rc == CL_OK && !ambiguous && second_pid && (by & both) != both)
        rc = cl_linkfind_fit_ambiguous(t, mc, best_pid, best, second_pid,
                                       second_rid, second, by, &ambiguous);
    bool contra = false;
    if (rc == CL_OK && holds && !ambiguous && !between && best >= mc->upper &&
        (rc = cl_linkfind_fit_person(t, mc, best_rid, pid, rid, true, &fits)) ==
            CL_OK &&
        fits &&
        (rc = cl_linkfind_fit_bridged(t, mc, rid, best_rid, pid, best_pid,
                                      &contra)) == CL_OK &&
        !contra && (rc = cl_matchq_person_decided(t, st, pid, &d1)) == CL_OK &&
        (rc = cl_matchq_person_decided(t, st, best_pid, &d2)) == CL_OK && !d1 &&
        !d2) {
        /* the lower id stays: people keep the id they were first given */
        uint64_t keep = pid < best_pid ? pid : best_pid;
        rc = cl_matchq_merge_people(t, keep == pid ? best_pid : pid, keep, now,
                                    CL_LINK_MERGED);
        *what = 1;
        return rc;
    }
    if (rc == CL_OK) {
        rc = cl_matchq_review_add(t, rid, best_rid, best, now);
        *what = *what ? *what : 2;
    }
    return rc;
}

int cl_linkfind_ident_partner(cl_txn *t, uint64_t rid, const cl_person *p,
                              cl_person *out)
{
    const cl_store *st = cl_store_of(t);
    int rc = CL_ERR_NOT_FOUND;
    for (int k = 0; k < 2 && rc == CL_ERR_NOT_FOUND; k++) {
        const char *v = k == 0 ? p->nhs : p->chi;
        cl_records_blinds b = {0};
        cl_records_ids ids = {.max = 4};
        if (!v[0])
            continue;
        cl_records_blind_add(st, &b, k == 0 ? "nhs" : "chi", v, NULL);
        int lr = cl_records_lookup(t, b.k[0], &ids);
        if (lr > 0)
            lr = CL_OK;
        for (size_t i = 0; i < ids.n && lr == CL_OK && rc == CL_ERR_NOT_FOUND;
             i++) {
            cl_records_record rec;
            if (ids.v[i] == rid)
                continue;
            if ((lr = cl_records_record_get(t, ids.v[i], &rec)) == CL_OK) {
                *out = rec.p;
                rc = CL_OK;
            } else if (lr == CL_ERR_NOT_FOUND) {
                lr = CL_OK;
            }
            sodium_memzero(&rec, sizeof(rec));
        }
        free(ids.v);
        if (lr != CL_OK)
            rc = lr;
    }
    return rc;
}
