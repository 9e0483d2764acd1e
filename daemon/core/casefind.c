/*
 * casefind: finding people for a coordinator: ranked candidates for a
 * description, and case finding (high-level users of one agency known to
 * few others), with aggregate counts under the threshold suppressed.
 * Calls records, linkfind and the break-glass check (purpose.c) only.
 */
#include "casefind.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "linkfind.h"
#include "match.h"
#include "kinds.h"
#include "purpose.h"
#include "records.h"

/* --- retention, core's part (the policy is dp.c's) ------------------------ */

static int s_cand_cmp(const void *a, const void *b)
{
    double x = ((const cl_candidate *)a)->score,
           y = ((const cl_candidate *)b)->score;
    return x > y ? -1 : x < y;
}

int cl_casefind_find(cl_op *op, const cl_match_config *mc, const cl_find *q,
                     cl_candidates *out)
{
    const cl_store *st = cl_store_of(op->t);
    cl_person p = q->match;
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    size_t cap = 0;
    cl_records_record rec;
    int rc = CL_OK;
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "finding people needs the coordinator "
                 "role");
        return CL_ERR_DENIED;
    }
    if (!cl_caseview_break_glass(&op->note, q->access_reason, q->justification,
                                 "purpose", op->err))
        return CL_ERR_INVALID;
    cl_digits_normalise(p.nhs);
    cl_digits_normalise(p.chi);
    cl_postcode_normalise(p.postcode);
    uint8_t how = CL_LINK_SCORE;
    uint64_t rid = 0;
    if (p.nhs[0] &&
        cl_records_link_ident(op->t, st, "nhs", p.nhs, NULL, &rid) == CL_OK)
        how = CL_LINK_NHS;
    else if (p.chi[0] && cl_records_link_ident(op->t, st, "chi", p.chi, NULL,
                                               &rid) == CL_OK)
        how = CL_LINK_CHI;
    if (rid) {
        rc = cl_records_ids_push(&ids, rid);
    } else if (p.dob[0] || p.postcode[0] || p.town[0] || p.address[0] ||
               p.uprn[0]) {
        /* a name alone is not enough to search on (linking may still
         * compare records by their names alone) */
        rc = cl_linkfind_block_candidates(op->t, st, &p, &ids);
    }
    for (size_t i = 0; i < ids.n && rc == CL_OK; i++) {
        if ((rc = cl_records_record_get(op->t, ids.v[i], &rec)) ==
            CL_ERR_NOT_FOUND) {
            rc = CL_OK; /* an index row left by an older key scheme */
            continue;
        }
        if (rc != CL_OK)
            break;
        double w = rid ? 100.0 : cl_match_score(mc, &p, &rec.p);
        cl_candidate *c = NULL;
        char pid[CL_PID_SZ];
        cl_audit_pid_str(pid, rec.person_id);
        for (size_t j = 0; j < out->n && !c; j++)
            if (!strcmp(out->v[j].person_id, pid))
                c = &out->v[j];
        if (c && c->score >= w)
            continue;
        if (!c && !(c = CL_VEC_ADD(out->v, out->n, cap))) {
            rc = CL_ERR_NOMEM;
            break;
        }
        CL_COPY(c->person_id, pid);
        c->score = w;
        c->how = how;
        cl_records_record_view(&c->best, ids.v[i], &rec);
        cl_records_note_person(&op->note, rec.person_id);
    }
    sodium_memzero(&rec, sizeof(rec));
    free(ids.v);
    if (rc != CL_OK) {
        free(out->v);
        memset(out, 0, sizeof(*out));
        return rc;
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), s_cand_cmp);
    size_t limit = q->limit && q->limit <= 50 ? q->limit : 10;
    if (out->n > limit)
        out->n = limit;
    return CL_OK;
}

/* --- case finding -----------------------------------------------------------
 */

#define S_AGENCIES_MAX 64

typedef struct s_cf {
    cl_txn *t;
    const cl_case_finding *q;
    int64_t to;
    cl_case_finding_result *out;
    size_t cap_users;
    cl_audit_note *note;
    uint32_t n_agencies;
    char agencies[S_AGENCIES_MAX][CL_AGENCY_SZ];
    uint64_t pairs[S_AGENCIES_MAX][S_AGENCIES_MAX];
    uint64_t subj_pairs[S_AGENCIES_MAX][S_AGENCIES_MAX]; /* as subjects */
    cl_records_referral *sr;
    uint32_t thr; /* overlap counts under this are suppressed */
} s_cf;

static int s_cf_agency(s_cf *c, const char *name)
{
    for (uint32_t i = 0; i < c->n_agencies; i++)
        if (!strcmp(c->agencies[i], name))
            return (int)i;
    if (c->n_agencies >= S_AGENCIES_MAX)
        return -1;
    CL_COPY(c->agencies[c->n_agencies], name);
    return (int)c->n_agencies++;
}

/* Whether a record of agency (of kind) is one the filter names: the agency
 * itself, its kind, or "health" for GP practices and NHS trusts (kinds.h). */
static bool s_cf_named(const cl_case_finding *q, const char *agency,
                       const char *kind)
{
    for (uint32_t i = 0; i < q->n_not_known; i++) {
        const char *w = q->not_known_to[i];
        if (!strcasecmp(w, agency) || !strcasecmp(w, kind) ||
            (!strcasecmp(w, "health") && cl_kind_health(kind)))
            return true;
    }
    return false;
}

static int s_cf_person(void *ctx, const uint8_t *key, size_t len)
{
    s_cf *c = ctx;
    cl_records_ids recs = {.max = SIZE_MAX}, refs = {.max = SIZE_MAX};
    cl_records_record rec;
    bool seen[S_AGENCIES_MAX] = {false}, subj[S_AGENCIES_MAX] = {false};
    bool excluded = false, named = false;
    char given[CL_NAME_SZ] = "", family[CL_NAME_SZ] = "", dob[CL_DATE_SZ] = "";
    uint32_t contacts = 0;
    if (len != 8)
        return CL_ERR_CORRUPT;
    uint64_t pid = cl_be64_get(key);
    int rc = cl_records_children(c->t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        if ((rc = cl_records_record_get(c->t, recs.v[i], &rec)) != CL_OK)
            break;
        int a = s_cf_agency(c, rec.agency);
        if (a >= 0) {
            seen[a] = true;
            subj[a] |= rec.subject != CL_RECORDS_MENTION;
        }
        excluded |= rec.subject != CL_RECORDS_MENTION &&
                    s_cf_named(c->q, rec.agency, rec.kind);
        if (strcmp(rec.agency, c->q->agency) != 0)
            continue;
        if (!named) {
            named = true;
            CL_COPY(given, rec.p.given);
            CL_COPY(family, rec.p.family);
            CL_COPY(dob, rec.p.dob);
        }
        refs.n = 0;
        if ((rc = cl_records_children(c->t, CL_DB_RECORD_REFERRALS, recs.v[i],
                                      &refs)) != CL_OK)
            break;
        for (size_t j = 0; j < refs.n && rc == CL_OK; j++) {
            if ((rc = cl_records_referral_get(c->t, refs.v[j], c->sr)) != CL_OK)
                break;
            int64_t when =
                c->sr->r.occurred_at ? c->sr->r.occurred_at : c->sr->received;
            if (!c->sr->withdrawn && when >= c->q->from && when < c->to)
                contacts++;
        }
    }
    sodium_memzero(&rec, sizeof(rec));
    free(recs.v);
    free(refs.v);
    if (rc != CL_OK)
        goto out;
    for (uint32_t a = 0; a < c->n_agencies; a++)
        for (uint32_t b = a + 1; b < c->n_agencies; b++) {
            if (seen[a] && seen[b])
                c->pairs[a][b]++;
            if (subj[a] && subj[b])
                c->subj_pairs[a][b]++;
        }
    uint32_t min = c->q->min_contacts ? c->q->min_contacts : 3;
    if (contacts < min || excluded)
        goto out;
    cl_hlu *u = CL_VEC_ADD(c->out->users, c->out->n_users, c->cap_users);
    if (!u) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    cl_audit_pid_str(u->person_id, pid);
    u->contacts = contacts;
    CL_COPY(u->given, given);
    CL_COPY(u->family, family);
    CL_COPY(u->dob, dob);
    for (uint32_t a = 0; a < c->n_agencies && u->n_known < CL_KNOWN_MAX; a++)
        if (seen[a] && strcmp(c->agencies[a], c->q->agency) != 0) {
            CL_COPY(u->known_to[u->n_known++], c->agencies[a]);
            if (!subj[a])
                CL_COPY(u->mentioned_by[u->n_mentioned++], c->agencies[a]);
        }
    cl_records_note_person(c->note, pid);
out:
    sodium_memzero(given, sizeof(given));
    sodium_memzero(family, sizeof(family));
    sodium_memzero(dob, sizeof(dob));
    return rc;
}

/* Most contacts first; then by person id. */
static int s_hlu_cmp(const void *x, const void *y)
{
    const cl_hlu *a = x, *b = y;
    if (a->contacts != b->contacts)
        return a->contacts > b->contacts ? -1 : 1;
    return strcmp(a->person_id, b->person_id);
}

/* Walk everyone: high-level users of q->agency (none if it is "") and
 * every pair of agencies' overlap, counts under thr suppressed. */
static int s_case_finding(cl_txn *t, const cl_case_finding *q, int64_t now,
                          uint32_t thr, cl_case_finding_result *out,
                          cl_audit_note *note)
{
    s_cf *c = calloc(1, sizeof(*c));
    if (!c)
        return CL_ERR_NOMEM;
    c->sr = calloc(1, sizeof(*c->sr));
    if (!c->sr) {
        free(c);
        return CL_ERR_NOMEM;
    }
    c->t = t;
    c->q = q;
    c->to = q->to ? q->to : now + 1;
    c->out = out;
    c->note = note;
    c->thr = thr;
    int rc = cl_store_scan(t, CL_DB_PERSON, NULL, 0, s_cf_person, c);
    size_t n = c->n_agencies * (c->n_agencies - (c->n_agencies > 0)) / 2;
    if (rc == CL_OK && !(out->overlap = calloc(n + 1, sizeof(*out->overlap))))
        rc = CL_ERR_NOMEM;
    for (uint32_t a = 0; rc == CL_OK && a < c->n_agencies; a++)
        for (uint32_t b = a + 1; b < c->n_agencies; b++) {
            cl_overlap *o = &out->overlap[out->n_overlap++];
            CL_COPY(o->a, c->agencies[a]);
            CL_COPY(o->b, c->agencies[b]);
            /* 1 to thr-1 people could be picked out; 0 cannot */
            o->people = c->pairs[a][b] && c->pairs[a][b] < thr
                            ? -1
                            : (int64_t)c->pairs[a][b];
            o->subjects = c->subj_pairs[a][b] && c->subj_pairs[a][b] < thr
                              ? -1
                              : (int64_t)c->subj_pairs[a][b];
        }
    if (rc == CL_OK && out->n_users > 1)
        qsort(out->users, out->n_users, sizeof(*out->users), s_hlu_cmp);
    out->suppress_below = thr;
    CL_COPY(out->agency, c->q->agency);
    sodium_memzero(c->sr, sizeof(*c->sr));
    free(c->sr);
    free(c);
    if (rc != CL_OK) {
        free(out->users);
        free(out->overlap);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int cl_casefind_case_finding(cl_op *op, const cl_case_finding *q,
                             cl_case_finding_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "case finding needs the coordinator role");
        return CL_ERR_DENIED;
    }
    if (!cl_caseview_break_glass(&op->note, q->access_reason, q->justification,
                                 "case_finding", op->err))
        return CL_ERR_INVALID;
    if (!q->agency[0]) {
        snprintf(op->err, CL_ERROR_SZ, "agency: whose contacts to count");
        return CL_ERR_INVALID;
    }
    return s_case_finding(op->t, q, op->now, CL_SUPPRESS_BELOW, out, &op->note);
}

int cl_casefind_overlap(cl_txn *t, int64_t now, uint32_t thr,
                        cl_case_finding_result *out)
{
    cl_case_finding q;
    memset(&q, 0, sizeof(q));
    q.min_contacts = UINT32_MAX;
    memset(out, 0, sizeof(*out));
    return s_case_finding(t, &q, now, thr, out, NULL);
}
