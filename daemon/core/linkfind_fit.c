/*
 * linkfind_fit: whether records belong together. The weight of one
 * description against a stored record, identifiers that say one person
 * or two, whether a record fits a person's other records, and whether
 * two people meet only through a bridge. Calls records and match only.
 */
#include "linkfind_fit.h"

#include <sodium.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "cl_vec.h"

double cl_linkfind_fit_weight(const cl_match_config *mc, const cl_match_tf *tf,
                              const char *agency, const cl_person *p,
                              const cl_records_record *rec,
                              int lv[CL_MATCH_NFIELDS])
{
    cl_match_prep pp;
    cl_match_prepare(&pp, p);
    double w = cl_linkfind_fit_weight_prepared(mc, tf, agency, &pp, rec, lv);
    sodium_memzero(&pp, sizeof(pp));
    return w;
}

bool cl_linkfind_fit_same_ident(const cl_records_record *a,
                                const cl_records_record *b)
{
    return (a->p.nhs[0] && strcmp(a->p.nhs, b->p.nhs) == 0) ||
           (a->p.chi[0] && strcmp(a->p.chi, b->p.chi) == 0) ||
           (a->p.local_id[0] && strcmp(a->agency, b->agency) == 0 &&
            strcmp(a->p.local_id, b->p.local_id) == 0);
}

bool cl_linkfind_fit_ident_differs(const cl_records_record *a,
                                   const cl_records_record *b)
{
    return (a->p.nhs[0] && b->p.nhs[0] && strcmp(a->p.nhs, b->p.nhs) != 0) ||
           (a->p.chi[0] && b->p.chi[0] && strcmp(a->p.chi, b->p.chi) != 0);
}

static bool s_numbers_differ(const cl_person *a, const cl_person *b)
{
    return (a->nhs[0] && b->nhs[0] && strcmp(a->nhs, b->nhs) != 0) ||
           (a->chi[0] && b->chi[0] && strcmp(a->chi, b->chi) != 0);
}

int cl_linkfind_fit_ident_clash(cl_txn *t, const cl_person *p,
                                const cl_records_record *rec, bool *clash)
{
    *clash = s_numbers_differ(p, &rec->p);
    if (*clash ||
        ((!p->nhs[0] || rec->p.nhs[0]) && (!p->chi[0] || rec->p.chi[0])))
        return CL_OK; /* rec carries p's numbers, or p has none */
    cl_records_ids recs = {.max = CL_LINKFIND_HOLD_MAX};
    cl_records_record o;
    int rc =
        cl_records_children(t, CL_DB_PERSON_RECORDS, rec->person_id, &recs);
    if (rc > 0)
        rc = CL_OK;
    for (size_t i = 0; i < recs.n && rc == CL_OK && !*clash; i++) {
        rc = cl_records_record_get(t, recs.v[i], &o);
        if (rc == CL_ERR_NOT_FOUND) {
            rc = CL_OK;
            continue;
        }
        if (rc == CL_OK)
            *clash = s_numbers_differ(p, &o.p);
    }
    sodium_memzero(&o, sizeof(o));
    free(recs.v);
    return rc;
}

int cl_linkfind_fit_person(cl_txn *t, const cl_match_config *mc, uint64_t rid,
                           uint64_t pid, uint64_t skip, bool kin, bool *fits)
{
    cl_records_ids recs = {.max = CL_LINKFIND_HOLD_MAX};
    cl_records_record x, o;
    bool compared = false;
    *fits = false;
    int rc = cl_records_record_get(t, rid, &x);
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    if (rc > 0)
        rc = CL_OK;
    for (size_t i = 0; i < recs.n && rc == CL_OK && !*fits; i++) {
        if (recs.v[i] == skip)
            continue;
        if ((rc = cl_records_record_get(t, recs.v[i], &o)) != CL_OK)
            break;
        compared = true;
        int lv[CL_MATCH_NFIELDS];
        double w = cl_linkfind_fit_weight(mc, NULL, x.agency, &x.p, &o, lv);
        *fits = cl_linkfind_fit_same_ident(&x, &o) ||
                ((!kin || (!cl_match_kin(lv) && !cl_match_names_differ(lv))) &&
                 w >= mc->lower);
    }
    if (rc == CL_OK && !compared)
        *fits = true;
    sodium_memzero(&x, sizeof(x));
    sodium_memzero(&o, sizeof(o));
    free(recs.v);
    return rc;
}

/* Up to CL_LINKFIND_HOLD_MAX records of person pid, read (*n of them),
 * oldest first; their ids in *ids unless NULL (freed by the caller). */
static int s_person_records_ids(cl_txn *t, uint64_t pid,
                                cl_records_record **out, size_t *n,
                                uint64_t **ids)
{
    cl_records_ids recs = {.max = CL_LINKFIND_HOLD_MAX};
    *n = 0;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    if (rc > 0)
        rc = CL_OK;
    *out = rc == CL_OK ? calloc(recs.n + 1, sizeof(**out)) : NULL;
    if (rc == CL_OK && !*out)
        rc = CL_ERR_NOMEM;
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++)
        if ((rc = cl_records_record_get(t, recs.v[i], &(*out)[*n])) == CL_OK)
            recs.v[(*n)++] = recs.v[i];
    if (ids)
        *ids = recs.v;
    else
        free(recs.v);
    return rc;
}

static int s_person_records(cl_txn *t, uint64_t pid, cl_records_record **out,
                            size_t *n)
{
    return s_person_records_ids(t, pid, out, n, NULL);
}

static void s_person_records_free(cl_records_record *v, size_t n)
{
    if (v)
        sodium_memzero(v, n * sizeof(*v));
    free(v);
}

/* A date of birth that two records of one person agree on, typed apart:
 * 2 when two agencies give it, 1 when only two records of one agency
 * under two local ids do (one registration may have been copied from
 * the other, slip and all), 0 when neither. */
static int s_date_confirmed(const cl_records_record *v, size_t n, size_t i)
{
    int by = 0;
    for (size_t j = 0; j < n && v[i].p.dob[0] && by < 2; j++)
        if (j != i && strcmp(v[j].p.dob, v[i].p.dob) == 0) {
            if (strcmp(v[j].agency, v[i].agency) != 0)
                by = 2;
            else if (v[j].p.local_id[0] && v[i].p.local_id[0] &&
                     strcmp(v[j].p.local_id, v[i].p.local_id) != 0)
                by = 1;
        }
    return by;
}

/* Whether the value field (offset in cl_person) of v[i] is given by
 * another of v's n records typed apart, as s_date_confirmed asks. */
static bool s_typed_twice(const cl_records_record *v, size_t n,
                          const cl_records_record *x, size_t field)
{
    const char *val = (const char *)&x->p + field;
    for (size_t i = 0; i < n && val[0]; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcasecmp((const char *)&v[i].p + field, val) == 0 &&
                strcasecmp((const char *)&v[j].p + field, val) == 0 &&
                (strcmp(v[j].agency, v[i].agency) != 0 ||
                 (v[j].p.local_id[0] && v[i].p.local_id[0] &&
                  strcmp(v[j].p.local_id, v[i].p.local_id) != 0)))
                return true;
    return false;
}

/* Whether records o (of os) and q (of qs) plainly differ in a field that
 * by does not compare, each one's value given twice by its person's
 * records (d: their cl_match_discerns). */
static bool s_apart_twice(unsigned by, unsigned d, const cl_records_record *o,
                          const cl_records_record *os, size_t no,
                          const cl_records_record *q,
                          const cl_records_record *qs, size_t nq)
{
    static const struct {
        unsigned has, other;
        size_t field;
    } f[] = {
        {CL_MATCH_HAS_DOB, CL_MATCH_OTHER_DOB, offsetof(cl_person, dob)},
        {CL_MATCH_HAS_GIVEN, CL_MATCH_OTHER_GIVEN, offsetof(cl_person, given)},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
        if (!(by & f[i].has) && (d & f[i].other) &&
            s_typed_twice(os, no, o, f[i].field) &&
            s_typed_twice(qs, nq, q, f[i].field))
            return true;
    return false;
}

int cl_linkfind_fit_apart(cl_txn *t, const cl_match_config *mc, uint64_t qrid,
                          uint64_t pid, unsigned by, bool *apart)
{
    cl_records_record q, *ps = NULL, *qs = NULL;
    size_t np = 0, nq = 0;
    unsigned other = CL_MATCH_OTHER_GIVEN | CL_MATCH_OTHER_DOB,
             both = CL_MATCH_HAS_GIVEN | CL_MATCH_HAS_DOB;
    bool differs = false, fits = false;
    *apart = false;
    int rc = cl_records_record_get(t, qrid, &q);
    if (rc == CL_OK)
        rc = s_person_records(t, pid, &ps, &np);
    if (rc == CL_OK)
        rc = s_person_records(t, q.person_id, &qs, &nq);
    for (size_t i = 0; i < np && rc == CL_OK && !fits; i++) {
        int lv[CL_MATCH_NFIELDS];
        double w = cl_linkfind_fit_weight(mc, NULL, q.agency, &q.p, &ps[i], lv);
        unsigned d = cl_match_discerns(lv);
        differs |= s_apart_twice(by, d, &ps[i], ps, np, &q, qs, nq);
        /* a record of pid that lacks the field too says nothing of it */
        fits = cl_linkfind_fit_same_ident(&q, &ps[i]) ||
               ((d & both & ~by) && w >= mc->lower && !(d & other));
    }
    *apart = rc == CL_OK && differs && !fits;
    sodium_memzero(&q, sizeof(q));
    s_person_records_free(ps, np);
    s_person_records_free(qs, nq);
    return rc;
}

/* Whether two dates of birth, each confirmed (s_date_confirmed: by ca
 * and cb), are two people's: any difference but day and month the wrong
 * way round (which one agency's system may store so every time) is no
 * slip typed twice alike, except one keystroke (dob.typo) that only one
 * agency gives, under two local ids: one slip copied with a
 * registration. A person parted on it is a missed link; a father and
 * son merged would be worse, so dates further apart part them however
 * they are confirmed. */
static bool s_confirmed_apart(const cl_match_config *mc,
                              const cl_records_record *a, int ca,
                              const cl_records_record *b, int cb)
{
    int lv[CL_MATCH_NFIELDS];
    (void)cl_match_levels(mc, &a->p, &b->p, lv);
    if (lv[2] == CL_W_DOB_TYPO && (ca < 2 || cb < 2))
        return false;
    return lv[2] >= 0 && lv[2] != CL_W_DOB_EXACT && lv[2] != CL_W_DOB_SWAPPED;
}

/* Two people each with a date of birth two records confirm, the dates
 * apart (s_confirmed_apart: even one digit) and none confirmed for both:
 * two people, however alike their names and home (a mother and daughter
 * of one name, a father and son, two housemates of one name born in one
 * year). */
static bool s_dates_apart(const cl_match_config *mc,
                          const cl_records_record *xs, size_t nx,
                          const cl_records_record *ys, size_t ny)
{
    bool apart = false;
    for (size_t i = 0; i < nx; i++) {
        int ci = s_date_confirmed(xs, nx, i);
        if (!ci)
            continue;
        for (size_t j = 0; j < ny; j++) {
            int cj = s_date_confirmed(ys, ny, j);
            if (!cj)
                continue;
            if (!s_confirmed_apart(mc, &xs[i], ci, &ys[j], cj))
                return false;
            apart = true;
        }
    }
    return apart;
}

/* Whether persons xp and yp meet only through a bridge, the pair between
 * them comparing the fields by (cl_match_discerns): cl_linkfind_fit_bridged
 * after its pair is weighed. */
static int s_bridged_by(cl_txn *t, const cl_match_config *mc, unsigned by,
                        uint64_t xp, uint64_t yp, bool *bridged)
{
    cl_records_record *xs = NULL, *ys = NULL;
    size_t nx = 0, ny = 0;
    int lv[CL_MATCH_NFIELDS];
    unsigned both = CL_MATCH_HAS_GIVEN | CL_MATCH_HAS_DOB;
    bool sparse = (by & both) != both;
    *bridged = false;
    int rc = s_person_records(t, xp, &xs, &nx);
    if (rc == CL_OK)
        rc = s_person_records(t, yp, &ys, &ny);
    if (rc == CL_OK)
        *bridged = s_dates_apart(mc, xs, nx, ys, ny);
    for (size_t i = 0; i < nx && rc == CL_OK && !*bridged; i++)
        for (size_t j = 0; j < ny && !*bridged; j++) {
            if (cl_linkfind_fit_ident_differs(&xs[i], &ys[j])) {
                *bridged = true; /* two NHS (or CHI) numbers: two people */
                break;
            }
            if (!sparse)
                continue;
            double w = cl_linkfind_fit_weight(mc, NULL, xs[i].agency, &xs[i].p,
                                              &ys[j], lv);
            *bridged = cl_match_bridged(by, cl_match_discerns(lv)) &&
                       !cl_linkfind_fit_same_ident(&xs[i], &ys[j]) &&
                       w < mc->upper;
        }
    s_person_records_free(xs, nx);
    s_person_records_free(ys, ny);
    return rc;
}

int cl_linkfind_fit_bridged(cl_txn *t, const cl_match_config *mc, uint64_t x,
                            uint64_t y, uint64_t xp, uint64_t yp, bool *bridged)
{
    cl_records_record a, b;
    int lv[CL_MATCH_NFIELDS];
    *bridged = false;
    int rc = cl_records_record_get(t, x, &a);
    if (rc == CL_OK)
        rc = cl_records_record_get(t, y, &b);
    unsigned by = 0;
    if (rc == CL_OK) {
        (void)cl_match_levels(mc, &a.p, &b.p, lv);
        by = cl_match_discerns(lv);
    }
    sodium_memzero(&a, sizeof(a));
    sodium_memzero(&b, sizeof(b));
    if (rc != CL_OK)
        return rc;
    return s_bridged_by(t, mc, by, xp, yp, bridged);
}

int cl_linkfind_fit_ambiguous(cl_txn *t, const cl_match_config *mc,
                              uint64_t a_pid, double a_w, uint64_t b_pid,
                              uint64_t b_rid, double b_w, unsigned by,
                              bool *ambiguous)
{
    bool fits = true;
    *ambiguous = false;
    if (a_w < mc->upper || b_w < mc->upper)
        return CL_OK;
    /* b's record fits none of a's, even allowing one family */
    int rc = cl_linkfind_fit_person(t, mc, b_rid, a_pid, 0, false, &fits);
    if (rc != CL_OK || !fits || a_w - b_w >= CL_LINKFIND_CLEARLY) {
        *ambiguous = rc == CL_OK && !fits;
        return rc;
    }
    /* about equal: two people held apart (one family's two members, or
     * two people a record without the field they differ in cannot tell
     * apart) */
    if ((rc = cl_linkfind_fit_person(t, mc, b_rid, a_pid, 0, true, &fits)) !=
            CL_OK ||
        !fits) {
        *ambiguous = rc == CL_OK;
        return rc;
    }
    return s_bridged_by(t, mc, by, a_pid, b_pid, ambiguous);
}

double cl_linkfind_fit_weight_prepared(const cl_match_config *mc,
                                       const cl_match_tf *tf,
                                       const char *agency,
                                       const cl_match_prep *pp,
                                       const cl_records_record *rec,
                                       int lv[CL_MATCH_NFIELDS])
{
    const cl_person *p = pp->p;
    int own[CL_MATCH_NFIELDS];
    cl_match_prep pr;
    cl_match_prepare(&pr, &rec->p);
    double w =
        cl_match_weigh_prepared(mc, pp, &pr, tf, NULL, NULL, lv ? lv : own);
    sodium_memzero(&pr, sizeof(pr));
    if (strcmp(rec->agency, agency) == 0 && p->local_id[0] &&
        rec->p.local_id[0] && strcmp(p->local_id, rec->p.local_id) != 0)
        w += cl_match_level_weight(mc, CL_W_AGENCY_OTHER_RECORD);
    return w;
}

/* Of v's n records, the first two with dates confirmed and apart
 * (*ik, *ip; false unless exactly two such dates are confirmed). */
static bool s_two_dates(const cl_match_config *mc, const cl_records_record *v,
                        size_t n, size_t *ik, size_t *ip)
{
    size_t k = n, p = n;
    for (size_t i = 0; i < n; i++) {
        if (!s_date_confirmed(v, n, i) ||
            (k < n && !strcmp(v[i].p.dob, v[k].p.dob)) ||
            (p < n && !strcmp(v[i].p.dob, v[p].p.dob)))
            continue;
        if (k == n)
            k = i;
        else if (p == n)
            p = i;
        else
            return false; /* three dates: no clear two */
    }
    *ik = k;
    *ip = p;
    return p < n && s_confirmed_apart(mc, &v[k], s_date_confirmed(v, n, k),
                                      &v[p], s_date_confirmed(v, n, p));
}

/* Whether v[j] goes with the date of v[p] rather than v[k]'s: its own
 * date is v[p]'s, or nearer to it than to v[k]'s. */
static bool s_nearer(const cl_match_config *mc, const cl_records_record *v,
                     size_t j, size_t k, size_t p)
{
    int lk[CL_MATCH_NFIELDS], lp[CL_MATCH_NFIELDS];
    if (!v[j].p.dob[0] || !strcmp(v[j].p.dob, v[k].p.dob))
        return false;
    if (!strcmp(v[j].p.dob, v[p].p.dob))
        return true;
    (void)cl_match_levels(mc, &v[j].p, &v[k].p, lk);
    (void)cl_match_levels(mc, &v[j].p, &v[p].p, lp);
    return cl_match_level_weight(mc, (cl_weight_id)lp[2]) >
           cl_match_level_weight(mc, (cl_weight_id)lk[2]);
}

int cl_linkfind_fit_two_dates(cl_txn *t, const cl_match_config *mc,
                              uint64_t pid, uint64_t *keep, double *w,
                              cl_records_ids *other)
{
    cl_records_record *v = NULL;
    uint64_t *ids = NULL;
    size_t n = 0, k, p;
    *keep = 0;
    *w = 0;
    other->n = 0;
    int rc = s_person_records_ids(t, pid, &v, &n, &ids);
    bool two = rc == CL_OK && s_two_dates(mc, v, n, &k, &p);
    for (size_t j = 0; two && j < n && rc == CL_OK; j++) {
        if (!s_nearer(mc, v, j, k, p))
            continue;
        for (size_t i = 0; i < n && two; i++) /* one identifier: one */
            two = s_nearer(mc, v, i, k, p) ||
                  !cl_linkfind_fit_same_ident(&v[j], &v[i]);
        uint64_t *slot =
            two ? CL_VEC_ADD(other->v, other->n, other->cap) : NULL;
        if (two && !slot)
            rc = CL_ERR_NOMEM;
        else if (slot)
            *slot = ids[j];
    }
    if (rc == CL_OK && two) {
        *keep = ids[k];
        *w =
            cl_linkfind_fit_weight(mc, NULL, v[p].agency, &v[p].p, &v[k], NULL);
    } else {
        other->n = 0;
    }
    s_person_records_free(v, n);
    free(ids);
    return rc;
}
