/*
 * lists: referrals and reviews as lists a coordinator can read, so nobody
 * has to scrape ids from case views. Reads only; the referral list names
 * each person it shows in the audit (like a case view), the review list
 * holds counts only.
 */
#include "lists.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "mdt_action.h"
#include "mdt_review.h"
#include "purpose.h"
#include "records.h"
#include "ids.h"

/* --- referrals ------------------------------------------------------------ */

void cl_lists_referral_row(cl_referral_row *r, const cl_refs_ref *x)
{
    memset(r, 0, sizeof(*r));
    CL_COPY(r->reference, x->reference);
    CL_COPY(r->agency, x->agency);
    CL_COPY(r->agency_ref, x->agency_ref);
    cl_audit_pid_str(r->person_id, x->pid);
    r->category = x->category;
    r->risk = x->risk;
    r->status = x->status;
    r->occurred_at = x->occurred_at;
    r->received_at = x->received_at;
}

typedef struct s_rl {
    cl_txn *t;
    const cl_caller *caller;
    const cl_referral_query *q;
    int64_t from, to; /* received in [from, to) */
    uint64_t after;
    uint32_t limit;
    cl_referral_rows *out;
    size_t cap;
    cl_audit_note *note;
    int64_t now;
} s_rl;

static int s_rl_one(void *ctx, const cl_refs_ref *x)
{
    s_rl *c = ctx;
    cl_person p;
    bool own;
    if (x->id <= c->after ||
        (c->q->agency[0] && strcmp(x->agency, c->q->agency)) ||
        (c->q->category && x->category != c->q->category) ||
        (c->q->status >= 0 && x->status != (uint8_t)c->q->status) ||
        x->received_at < c->from || x->received_at >= c->to)
        return CL_OK;
    if (c->out->n == c->limit) {
        /* one more matches: there is a next page */
        snprintf(c->out->next, sizeof(c->out->next), "%s",
                 c->out->v[c->out->n - 1].reference);
        return 1;
    }
    if (CL_VEC_GROW(c->out->v, c->out->n, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    cl_referral_row *r = &c->out->v[c->out->n];
    cl_lists_referral_row(r, x);
    int rc = cl_records_person_as(c->t, x->pid, x->agency, &p, &own);
    if (rc != CL_OK)
        return rc;
    CL_COPY(r->given, p.given);
    CL_COPY(r->family, p.family);
    CL_COPY(r->dob, p.dob);
    sodium_memzero(&p, sizeof(p));
    c->out->n++;
    cl_records_note_person(c->note, x->pid); /* past 20: further entries */
    return CL_OK;
}

/* YYYY-MM-DD -> unix seconds at the start (or end) of that day, UTC. */
static int64_t s_day(const char *d, bool end)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(d, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) + (end ? 86400 : 0);
}

int cl_lists_referrals(cl_op *op, const cl_referral_query *q,
                       cl_referral_rows *out)
{
    uint64_t pid = 0;
    int rc;
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "referral lists need the coordinator role");
        return CL_ERR_DENIED;
    }
    if ((q->from[0] && !cl_date_valid(q->from)) ||
        (q->to[0] && !cl_date_valid(q->to))) {
        snprintf(op->err, CL_ERROR_SZ,
                 "from and to must be dates (YYYY-MM-DD)");
        return CL_ERR_INVALID;
    }
    if (q->from[0] && q->to[0] && strcmp(q->from, q->to) > 0) {
        snprintf(op->err, CL_ERROR_SZ,
                 "to: before from (from must not be after to)");
        return CL_ERR_INVALID;
    }
    if (q->limit > CL_LIST_MAX) {
        snprintf(op->err, CL_ERROR_SZ, "limit: at most %d", CL_LIST_MAX);
        return CL_ERR_INVALID;
    }
    s_rl c = {.t = op->t,
              .caller = op->who,
              .q = q,
              .from = q->from[0] ? s_day(q->from, false) : INT64_MIN,
              .to = q->to[0] ? s_day(q->to, true) : INT64_MAX,
              .limit = q->limit ? q->limit : CL_LIST_DEFAULT,
              .out = out,
              .note = &op->note,
              .now = op->now};
    if (q->after[0]) {
        cl_refs_ref probe;
        if ((rc = cl_refs_get(op->t, q->after, &probe)) == CL_ERR_INVALID) {
            snprintf(op->err, CL_ERROR_SZ, "after must look like CL-00000042");
            return rc;
        }
        if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
            return rc;
        (void)cl_records_parse_ref(q->after, &c.after); /* read above */
    }
    snprintf(op->note.purpose, sizeof(op->note.purpose), "referral list");
    bool by_person =
        q->who.person_id[0] || q->who.match.nhs[0] || q->who.match.chi[0];
    if (by_person) {
        /* nobody referred this person, or nobody knows them: one answer,
         * so a list is no existence test (the probe names them) */
        bool referred = false;
        rc = cl_records_resolve(op->t, q->who.person_id, &q->who.match, &pid,
                                op->err);
        if (rc == CL_OK) {
            cl_records_note_person(&op->note, pid);
            rc = cl_purpose_referred(op->t, pid, &referred);
        }
        if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && !referred)) {
            cl_purpose_unreferred(op->err, "referral_list");
            return CL_ERR_NOT_FOUND;
        }
        if (rc != CL_OK)
            return rc;
        rc = cl_refs_of(op->t, pid, s_rl_one, &c);
    } else {
        rc = cl_refs_all(op->t, c.after, s_rl_one, &c);
    }
    if (rc != CL_OK) {
        if (out->v)
            sodium_memzero(out->v, out->n * sizeof(*out->v));
        free(out->v);
        memset(out, 0, sizeof(*out));
        snprintf(op->err, CL_ERROR_SZ, "referral list failed: %s",
                 cl_strerror(rc));
    }
    return rc;
}

/* --- reviews -------------------------------------------------------------- */

typedef struct s_ml {
    cl_txn *t;
    const cl_mdt_query *q;
    char today[CL_DATE_SZ];
    cl_mdt_rows *out;
    size_t cap;
} s_ml;

static int s_count(void *ctx, const uint8_t *key, size_t len)
{
    (void)key;
    (void)len;
    (*(uint32_t *)ctx)++;
    return CL_OK;
}

static int s_ml_one(void *ctx, const uint8_t *key, size_t len)
{
    s_ml *c = ctx;
    char id[CL_REF_SZ], err[CL_ERROR_SZ];
    uint64_t mdt;
    cl_review_new r;
    if (len != 8)
        return CL_ERR_CORRUPT;
    (void)cl_id_format(id, sizeof(id), CL_ID_REVIEW, cl_be64_get(key));
    int rc = cl_mdt_review_get(c->t, id, &mdt, &r, err);
    if (rc != CL_OK)
        return rc;
    bool upcoming = strcmp(r.date, c->today) >= 0;
    if ((c->q->upcoming && !c->q->past && !upcoming) ||
        (c->q->past && !c->q->upcoming && upcoming))
        return CL_OK;
    if (CL_VEC_GROW(c->out->v, c->out->n, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    cl_mdt_row *m = &c->out->v[c->out->n];
    memset(m, 0, sizeof(*m));
    CL_COPY(m->review_id, id);
    CL_COPY(m->date, r.date);
    CL_COPY(m->title, r.title);
    m->n_agencies = r.n_agencies;
    memcpy(m->agencies, r.agencies, sizeof(m->agencies));
    uint8_t k[8];
    cl_be64_put(k, mdt);
    if ((rc = cl_store_scan(c->t, CL_DB_AGENDA, k, 8, s_count, &m->people)) !=
            CL_OK ||
        (rc = cl_store_scan(c->t, CL_DB_DISCUSSION, k, 8, s_count,
                            &m->discussed)) != CL_OK)
        return rc;
    c->out->n++;
    return CL_OK;
}

static int s_ml_action(void *ctx, const cl_action *a, uint64_t pid)
{
    s_ml *c = ctx;
    (void)pid;
    for (size_t i = 0; i < c->out->n; i++) {
        cl_mdt_row *m = &c->out->v[i];
        if (strcmp(m->review_id, a->review_id) != 0)
            continue;
        if (a->status == CL_ACTION_OPEN || a->status == CL_ACTION_BLOCKED)
            m->actions_open++;
        else
            m->actions_closed++;
        m->actions_overdue += a->overdue;
        break;
    }
    return CL_OK;
}

static int s_by_date(const void *a, const void *b)
{
    const cl_mdt_row *x = a, *y = b;
    int d = strcmp(x->date, y->date);
    return d ? d : strcmp(x->review_id, y->review_id);
}

int cl_lists_reviews(cl_op *op, const cl_mdt_query *q, cl_mdt_rows *out)
{
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "review lists need the coordinator role");
        return CL_ERR_DENIED;
    }
    s_ml c = {.t = op->t, .q = q, .out = out};
    cl_records_date(op->now, c.today);
    int rc = cl_store_scan(op->t, CL_DB_MDT, NULL, 0, s_ml_one, &c);
    if (rc == CL_OK)
        rc = cl_mdt_action_each(op->t, op->now, s_ml_action, &c);
    if (rc == CL_OK && out->n)
        qsort(out->v, out->n, sizeof(*out->v), s_by_date);
    if (rc != CL_OK) {
        free(out->v);
        memset(out, 0, sizeof(*out));
        snprintf(op->err, CL_ERROR_SZ, "review list failed: %s",
                 cl_strerror(rc));
    }
    return rc;
}
