/*
 * mdt_pack: the agenda pack (see mdt_pack.h).
 */
#include "mdt_pack.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "alerts.h"
#include "audit.h"
#include "caseview.h"
#include "cl_vec.h"
#include "codec.h"
#include "inforeq.h"
#include "lists.h"
#include "mdt.h"
#include "mdt_action.h"
#include "mdt_report.h"
#include "mdt_review.h"
#include "records.h"
#include "ids.h"

#define S_VERSION 1

/* --- the agenda pack ---------------------------------------------------------
 */

typedef struct s_agenda {
    uint64_t pid;
    uint8_t reason;
} s_agenda;

typedef struct s_ag_ctx {
    cl_txn *t;
    s_agenda *v;
    size_t n, cap;
} s_ag_ctx;

static int s_ag_one(void *ctx, const uint8_t *key, size_t len)
{
    s_ag_ctx *c = ctx;
    uint8_t why = 0;
    size_t vlen = 0;
    if (len != 16)
        return CL_ERR_CORRUPT;
    int rc = cl_store_get_raw(c->t, CL_DB_AGENDA, key, 16, &why, 1, &vlen);
    if (rc != CL_OK)
        return rc;
    return CL_VEC_PUSH(c->v, c->n, c->cap,
                       ((s_agenda){cl_be64_get(key + 8), why}));
}

static int s_pack_item(cl_op *op, const char *review_id, uint64_t mdt,
                       const s_agenda *ag, cl_pack_item *it)
{
    cl_get_person gp;
    memset(&gp, 0, sizeof(gp));
    cl_audit_pid_str(gp.person_id, ag->pid);
    CL_COPY(gp.review_id, review_id);
    it->reason = ag->reason;
    cl_op in;
    cl_op_sub(&in, op);
    int rc = cl_op_result(&in, cl_caseview_person_view(&in, &gp, &it->person),
                          op->err);
    if (rc == CL_OK)
        rc = cl_mdt_discussion_get(op->t, mdt, ag->pid, it, NULL, NULL);
    if (rc == CL_OK)
        rc = cl_mdt_agenda_note(op->t, mdt, ag->pid, it->note);
    if (rc == CL_OK) {
        cl_action_query aq;
        cl_mdt_acts a;
        memset(&aq, 0, sizeof(aq));
        aq.open_only = true;
        rc = cl_mdt_actions_walk(op->t, &aq, 0, ag->pid, op->now, NULL,
                                 &it->actions, NULL, &a);
    }
    if (rc == CL_OK) {
        cl_request_list rq;
        memset(&rq, 0, sizeof(rq));
        CL_COPY(rq.person_id, gp.person_id);
        cl_op_sub(&in, op);
        rc = cl_op_result(&in, cl_inforeq_list(&in, &rq, &it->requests),
                          op->err);
    }
    if (rc == CL_OK) {
        cl_rag_set q;
        cl_rag_entries h;
        memset(&q, 0, sizeof(q));
        CL_COPY(q.person_id, gp.person_id);
        rc = cl_mdt_rag_of(op->t, &q, &h, op->err);
        if (rc == CL_OK && h.n) {
            it->rated = true;
            it->rag = h.v[h.n - 1];
        }
        free(h.v);
    }
    if (rc == CL_OK)
        rc = cl_mdt_person_measures(op->t, ag->pid, it);
    return rc;
}

/* The latest review dated before `date` (the last meeting). */
typedef struct s_prev {
    cl_txn *t;
    const char *date;
    uint64_t self;
    char id[CL_REF_SZ], best[CL_DATE_SZ];
} s_prev;

static int s_prev_one(void *ctx, const uint8_t *key, size_t len)
{
    s_prev *c = ctx;
    char id[CL_REF_SZ], err[CL_ERROR_SZ];
    uint64_t mdt;
    cl_review_new r;
    if (len != 8)
        return CL_ERR_CORRUPT;
    if (cl_be64_get(key) == c->self)
        return CL_OK;
    (void)cl_id_format(id, sizeof(id), CL_ID_REVIEW, cl_be64_get(key));
    int rc = cl_mdt_review_get(c->t, id, &mdt, &r, err);
    if (rc != CL_OK)
        return rc;
    if (strcmp(r.date, c->date) < 0 && strcmp(r.date, c->best) > 0) {
        CL_COPY(c->best, r.date);
        CL_COPY(c->id, id);
    }
    return CL_OK;
}

/* Earlier reviews the person was on: each one's discussion. */
static int s_prior(cl_txn *t, uint64_t self, const char *date, uint64_t pid,
                   cl_pack_item *it)
{
    char ids[CL_PRIOR_MAX * 2][CL_REF_SZ], err[CL_ERROR_SZ];
    uint32_t n = 0;
    int rc = cl_records_agendas_of(t, pid, ids, CL_PRIOR_MAX * 2, &n);
    cl_pack_item *tmp = calloc(1, sizeof(*tmp));
    if (!tmp)
        return CL_ERR_NOMEM;
    for (uint32_t i = 0; rc == CL_OK && i < n && it->n_prior < CL_PRIOR_MAX;
         i++) {
        uint64_t mdt;
        cl_review_new r;
        if ((rc = cl_mdt_review_get(t, ids[i], &mdt, &r, err)) != CL_OK)
            break;
        if (mdt == self || strcmp(r.date, date) >= 0)
            continue;
        memset(tmp->discussion, 0, sizeof(tmp->discussion));
        memset(tmp->decisions, 0, sizeof(tmp->decisions));
        if ((rc = cl_mdt_discussion_get(t, mdt, pid, tmp, NULL, NULL)) != CL_OK)
            break;
        cl_prior_review *p = &it->prior[it->n_prior++];
        CL_COPY(p->review_id, ids[i]);
        CL_COPY(p->date, r.date);
        CL_COPY(p->discussion, tmp->discussion);
        CL_COPY(p->decisions, tmp->decisions);
    }
    sodium_memzero(tmp, sizeof(*tmp));
    free(tmp);
    return rc;
}

typedef struct s_since {
    cl_pack_item *it;
    int64_t from;
} s_since;

static int s_since_one(void *ctx, const cl_refs_ref *x)
{
    s_since *c = ctx;
    if (x->received_at < c->from || c->it->n_since >= CL_SINCE_MAX)
        return CL_OK;
    cl_referral_row *r = &c->it->since[c->it->n_since++];
    cl_lists_referral_row(r, x);
    return CL_OK;
}

typedef struct s_since_alerts {
    int64_t from;
    uint32_t n;
} s_since_alerts;

static int s_since_alert(void *ctx, const cl_refs_ref *r, int64_t at)
{
    s_since_alerts *c = ctx;
    (void)r;
    c->n += at >= c->from;
    return CL_OK;
}

/* The safeguarding alerts delivered since `from` about referrals whose
 * subject is pid (alerts.c's rule: every audited delivery, one per plan
 * and agency alerted, acknowledged or not). */
static int s_alerts_since(cl_txn *t, uint64_t pid, int64_t from, uint32_t *n)
{
    s_since_alerts c = {.from = from};
    int rc = cl_alerts_each_delivered(t, pid, s_since_alert, &c);
    *n = c.n;
    return rc;
}

/* What happened since the last meeting, and what earlier reviews said and
 * agreed, for one person of the pack. */
static int s_pack_history(cl_txn *t, uint64_t mdt, const char *date,
                          const char *prev_date, uint64_t pid, int64_t now,
                          cl_pack_item *it)
{
    int rc = s_prior(t, mdt, date, pid, it);
    if (rc == CL_OK) {
        cl_action_query aq;
        cl_mdt_acts a;
        cl_actions all = {0};
        size_t cap = 0;
        memset(&aq, 0, sizeof(aq));
        rc = cl_mdt_actions_walk(t, &aq, 0, pid, now, NULL, &all, NULL, &a);
        for (size_t i = 0; rc == CL_OK && i < all.n; i++) {
            uint64_t r = 0; /* an action of no review is an earlier one */
            if (cl_id_parse(&r, CL_ID_REVIEW, all.v[i].review_id) == CL_OK &&
                r == mdt)
                continue;
            rc = CL_VEC_PUSH(it->earlier.v, it->earlier.n, cap, all.v[i]);
        }
        if (all.v)
            sodium_memzero(all.v, all.n * sizeof(*all.v));
        free(all.v);
    }
    int64_t from = 0;
    if (prev_date[0]) {
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        if (sscanf(prev_date, "%d-%d-%d", &tm.tm_year, &tm.tm_mon,
                   &tm.tm_mday) == 3) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            from = (int64_t)timegm(&tm);
        }
    }
    if (rc == CL_OK) {
        s_since c = {it, from};
        rc = cl_refs_of(t, pid, s_since_one, &c);
    }
    if (rc == CL_OK)
        rc = s_alerts_since(t, pid, from, &it->since_alerts);
    for (size_t i = 0; i < it->requests.n; i++)
        for (uint32_t j = 0; j < it->requests.v[i].n_agencies; j++) {
            const cl_request_state *s = &it->requests.v[i].agencies[j];
            it->since_answered +=
                s->answered && s->response.answered_at >= from;
        }
    for (size_t i = 0; i < it->actions.n; i++)
        it->since_overdue += it->actions.v[i].overdue;
    return rc;
}

int cl_mdt_pack_build(cl_op *op, const char *review_id, cl_review_pack *out)
{
    uint64_t mdt;
    uint8_t k[8];
    memset(out, 0, sizeof(*out));
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    int rc = cl_mdt_review_get(op->t, review_id, &mdt, &out->review, op->err);
    if (rc != CL_OK)
        return rc;
    CL_COPY(out->review_id, review_id);
    if ((rc = cl_mdt_purged_count(op->t, mdt, 0, &out->purged)) != CL_OK)
        return rc;
    if ((rc = cl_mdt_meeting_get(op->t, mdt, &out->meeting)) != CL_OK)
        return rc;
    CL_COPY(out->meeting.review_id, review_id);
    s_prev pv = {.t = op->t, .date = out->review.date, .self = mdt};
    if ((rc = cl_store_scan(op->t, CL_DB_MDT, NULL, 0, s_prev_one, &pv)) !=
        CL_OK)
        return rc;
    CL_COPY(out->previous_id, pv.id);
    CL_COPY(out->previous_date, pv.best);
    s_ag_ctx c = {op->t, NULL, 0, 0};
    cl_be64_put(k, mdt);
    rc = cl_store_scan(op->t, CL_DB_AGENDA, k, 8, s_ag_one, &c);
    if (rc == CL_OK && c.n && !(out->v = calloc(c.n, sizeof(*out->v))))
        rc = CL_ERR_NOMEM;
    snprintf(op->note.purpose, sizeof(op->note.purpose), "agenda pack of %.64s",
             review_id);
    for (size_t i = 0; rc == CL_OK && i < c.n; i++) {
        rc = s_pack_item(op, review_id, mdt, &c.v[i], &out->v[out->n++]);
        if (rc == CL_OK)
            rc =
                s_pack_history(op->t, mdt, out->review.date, out->previous_date,
                               c.v[i].pid, op->now, &out->v[out->n - 1]);
        /* each person and everyone their case shows (the append names
         * past 20 in further entries) */
        cl_records_note_person(&op->note, c.v[i].pid);
        if (rc == CL_OK)
            cl_audit_note_view(&op->note, &out->v[out->n - 1].person);
    }
    free(c.v);
    if (rc != CL_OK)
        cl_review_pack_clear(out);
    return rc;
}
