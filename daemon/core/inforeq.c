/*
 * inforeq: information requests (see inforeq.h).
 *
 * Stored records (plaintext before sealing, see store/codec.h):
 *   inforeq  request id       -> v1, person, from agency, client, due,
 *                                question, review, created, n, then per
 *                                agency: name, answered, answer fields
 *   person_requests person id || request id -> ""
 */
#include "inforeq.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "feed.h"
#include "ids.h"
#include "idset.h"
#include "mailbox.h"
#include "purpose.h"
#include "records.h"
#include "retention.h"

/* Version 2 keeps every answer: the latest, then those it replaced. */
#define S_VERSION    1
#define S_VERSION_V2 2
/* One stored answer at most, and the answers one request keeps (the
 * latest and the earlier ones of every agency asked): the record stays
 * well inside CL_STORE_MAX_VALUE. */
#define S_ANSWER_MAX  (CL_SUMMARY_SZ + CL_NOTE_SZ + 256)
#define S_ANSWERS_MAX 32
#define S_REQ_BUF     (S_ANSWERS_MAX * S_ANSWER_MAX + 4096)
_Static_assert(S_REQ_BUF <= CL_STORE_MAX_VALUE, "a request fits a value");

/* --- information requests ------------------------------------------------- */

typedef struct s_inforeq {
    uint64_t pid;
    char from_agency[CL_AGENCY_SZ];
    char client[CL_CLIENT_SZ];
    cl_request_summary sum; /* ids, due, question, review, answers */
} s_inforeq;

static int s_req_put(cl_txn *t, uint64_t id, const s_inforeq *r)
{
    uint8_t k[8];
    uint8_t *buf = malloc(S_REQ_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, S_REQ_BUF);
    const cl_request_summary *q = &r->sum;
    cl_enc_u8(&e, S_VERSION_V2);
    cl_enc_u64(&e, r->pid);
    cl_enc_str(&e, r->from_agency);
    cl_enc_str(&e, r->client);
    cl_enc_str(&e, q->due);
    cl_enc_str(&e, q->question);
    cl_enc_str(&e, q->review_id);
    cl_enc_i64(&e, q->created_at);
    cl_enc_u32(&e, q->n_agencies);
    for (uint32_t i = 0; i < q->n_agencies; i++) {
        cl_enc_str(&e, q->agencies[i].agency);
        const cl_request_state *a = &q->agencies[i];
        cl_enc_u8(&e, a->answered);
        if (!a->answered)
            continue;
        cl_mailbox_response_enc(&e, &a->response);
        cl_enc_u32(&e, a->n_earlier);
        for (uint32_t j = 0; j < a->n_earlier; j++)
            cl_mailbox_response_enc(&e, &a->earlier[j]);
    }
    cl_be64_put(k, id);
    int rc = cl_enc_ok(&e) ? cl_store_put(t, CL_DB_INFOREQ, k, 8, buf, e.len)
                           : CL_ERR_INTERNAL;
    sodium_memzero(buf, e.len);
    free(buf);
    return rc;
}

/* The answers an answered agency's state replaced (version 2). */
static void s_earlier_dec(cl_dec *d, cl_request_state *a, uint32_t *total)
{
    uint32_t n = cl_dec_u32(d);
    if (n == 0 || d->bad)
        return;
    if (*total > S_ANSWERS_MAX || n > S_ANSWERS_MAX - *total) {
        d->bad = true;
        return;
    }
    if (!(a->earlier = calloc(n, sizeof(*a->earlier)))) {
        d->bad = true;
        return;
    }
    for (a->n_earlier = 0; a->n_earlier < n && !d->bad; a->n_earlier++)
        cl_mailbox_response_dec(d, &a->earlier[a->n_earlier]);
    *total += n;
}

/* Into r; r->sum's earlier answers are malloc'd (s_req_free). */
static void s_req_dec(cl_dec *d, s_inforeq *r)
{
    cl_request_summary *q = &r->sum;
    uint8_t version = cl_dec_u8(d);
    uint32_t total = 0;
    if (version != S_VERSION && version != S_VERSION_V2)
        d->bad = true;
    r->pid = cl_dec_u64(d);
    CL_DEC_STR(d, r->from_agency);
    CL_DEC_STR(d, r->client);
    CL_DEC_STR(d, q->due);
    CL_DEC_STR(d, q->question);
    CL_DEC_STR(d, q->review_id);
    q->created_at = cl_dec_i64(d);
    q->n_agencies = cl_dec_u32(d);
    if (q->n_agencies > CL_REVIEW_AGENCIES) {
        d->bad = true;
        q->n_agencies = 0;
    }
    for (uint32_t i = 0; i < q->n_agencies; i++) {
        CL_DEC_STR(d, q->agencies[i].agency);
        q->agencies[i].answered = cl_dec_u8(d) != 0;
        if (!q->agencies[i].answered)
            continue;
        cl_mailbox_response_dec(d, &q->agencies[i].response);
        total++;
        if (version == S_VERSION_V2)
            s_earlier_dec(d, &q->agencies[i], &total);
    }
}

/* Wipe r, freeing the earlier answers it holds. */
static void s_req_free(s_inforeq *r)
{
    if (!r)
        return;
    cl_request_summary_clear(&r->sum);
    sodium_memzero(r, sizeof(*r));
}

static int s_req_get(cl_txn *t, uint64_t id, s_inforeq *r)
{
    uint8_t k[8];
    size_t len = 0;
    uint8_t *buf = malloc(S_REQ_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    memset(r, 0, sizeof(*r));
    cl_be64_put(k, id);
    int rc = cl_store_get(t, CL_DB_INFOREQ, k, 8, buf, S_REQ_BUF, &len);
    if (rc == CL_OK) {
        cl_dec d = cl_dec_init(buf, len);
        s_req_dec(&d, r);
        if (!cl_dec_ok(&d)) {
            s_req_free(r);
            rc = CL_ERR_CORRUPT;
        }
    }
    sodium_memzero(buf, len);
    free(buf);
    if (rc == CL_OK) {
        (void)cl_id_format(r->sum.request_id, sizeof(r->sum.request_id),
                           CL_ID_REQUEST, id);
        cl_audit_pid_str(r->sum.person_id, r->pid);
    }
    return rc;
}

static bool s_req_parse(const char *s, uint64_t *id)
{
    return cl_id_parse(id, CL_ID_REQUEST, s) == CL_OK;
}

static bool s_listed(const char (*list)[CL_AGENCY_SZ], uint32_t n,
                     const char *agency)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(list[i], agency) == 0)
            return true;
    return false;
}

/* The person a request asks about: one referred by some agency, or on
 * the agenda of the review the request is for. Anyone else (or nobody)
 * gets one answer, so a request is neither an existence test nor a way
 * round break-glass: the delivery names the person to the asked agency. */
static int s_may_ask(cl_txn *t, const cl_info_request *q, uint64_t *pid,
                     cl_audit_note *note, char err[CL_ERROR_SZ])
{
    cl_purpose_ask a = {&q->who, q->review_id, false, "info_request"};
    return cl_purpose_person(t, &a, pid, note, err);
}

int cl_inforeq_request(cl_op *op, const cl_route_config *cfg,
                       const cl_info_request *q, cl_publish_result *out)
{
    char today[CL_DATE_SZ];
    uint64_t pid = 0, id = 0;
    uint8_t k[16];
    int rc;
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ, "requests need the coordinator role");
        return CL_ERR_DENIED;
    }
    cl_records_date(op->now, today);
    if (!q->question[0]) {
        snprintf(op->err, CL_ERROR_SZ, "a question is required");
        return CL_ERR_INVALID;
    }
    if (!cl_date_valid(q->due) || strcmp(q->due, today) < 0) {
        snprintf(op->err, CL_ERROR_SZ,
                 "due_date must be a date (YYYY-MM-DD) from today on");
        return CL_ERR_INVALID;
    }
    if (q->n_agencies == 0) {
        snprintf(op->err, CL_ERROR_SZ, "name at least one agency to ask");
        return CL_ERR_INVALID;
    }
    for (uint32_t i = 0; i < q->n_agencies; i++) {
        if (!s_listed(cfg->agencies, cfg->n_agencies, q->agencies[i])) {
            snprintf(op->err, CL_ERROR_SZ, "no registered agency %.64s",
                     q->agencies[i]);
            return CL_ERR_INVALID;
        }
        /* an auditor's or an operator's agency has no system to answer
         * with: the request would wait for ever */
        if (!s_listed(cfg->answer, cfg->n_answer, q->agencies[i])) {
            snprintf(op->err, CL_ERROR_SZ,
                     "info_request.agencies[%u]: %.64s has no system that "
                     "answers information requests (no client with the "
                     "publisher role); ask an agency that publishes",
                     (unsigned)i, q->agencies[i]);
            return CL_ERR_INVALID;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(q->agencies[i], q->agencies[j]) == 0) {
                snprintf(op->err, CL_ERROR_SZ, "agency %.64s named twice",
                         q->agencies[i]);
                return CL_ERR_INVALID;
            }
    }
    if (q->review_id[0] &&
        (rc = cl_records_review_exists(op->t, q->review_id, op->err)) != CL_OK)
        return rc;
    if ((rc = s_may_ask(op->t, q, &pid, &op->note, op->err)) != CL_OK)
        return rc;
    if ((rc = cl_store_next_id(op->t, "inforeq", &id)) != CL_OK)
        return rc;
    s_inforeq *r = calloc(1, sizeof(*r));
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!r || !d) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    r->pid = pid;
    CL_COPY(r->from_agency, op->who->agency);
    CL_COPY(r->client, op->who->name);
    CL_COPY(r->sum.due, q->due);
    CL_COPY(r->sum.question, q->question);
    CL_COPY(r->sum.review_id, q->review_id);
    r->sum.created_at = op->now;
    r->sum.n_agencies = q->n_agencies;
    (void)cl_id_format(out->reference, sizeof(out->reference), CL_ID_REQUEST,
                       id);
    for (uint32_t i = 0; i < q->n_agencies; i++) {
        bool own = false;
        CL_COPY(r->sum.agencies[i].agency, q->agencies[i]);
        memset(d, 0, sizeof(*d));
        d->kind = CL_DLV_REQUEST;
        cl_info_msg *m = &d->u.request;
        CL_COPY(m->request_id, out->reference);
        CL_COPY(m->from_agency, op->who->agency);
        cl_audit_pid_str(m->person_id, pid);
        if ((rc = cl_records_person_as(op->t, pid, q->agencies[i], &m->person,
                                       &own)) != CL_OK)
            goto out;
        CL_COPY(m->due, q->due);
        CL_COPY(m->question, q->question);
        CL_COPY(m->review_id, q->review_id);
        if ((rc = cl_mailbox_put(op->t, cfg, q->agencies[i], d, true, op->now,
                                 op->err)) != CL_OK)
            goto out;
    }
    if ((rc = s_req_put(op->t, id, r)) != CL_OK)
        goto out;
    cl_be64_put(k, pid);
    cl_be64_put(k + 8, id);
    rc = cl_store_put_raw(op->t, CL_DB_PERSON_REQUESTS, k, 16, NULL, 0);
    CL_COPY(op->note.detail, out->reference);
    snprintf(op->note.purpose, sizeof(op->note.purpose),
             "information request to %u agencies%s%.64s", q->n_agencies,
             q->review_id[0] ? " for " : "", q->review_id);
out:
    if (d)
        sodium_memzero(d, sizeof(*d));
    if (r)
        sodium_memzero(r, sizeof(*r));
    free(d);
    free(r);
    return rc;
}

/* Before a new answer replaces a's: keep the latest among the earlier
 * ones (oldest first), within the answers one request keeps. */
static int s_keep_earlier(const s_inforeq *r, cl_request_state *a,
                          char err[CL_ERROR_SZ])
{
    uint32_t total = 0;
    if (!a->answered)
        return CL_OK;
    for (uint32_t i = 0; i < r->sum.n_agencies; i++)
        total += r->sum.agencies[i].answered + r->sum.agencies[i].n_earlier;
    if (total >= S_ANSWERS_MAX) {
        snprintf(err, CL_ERROR_SZ,
                 "%.32s already holds %u answers, as many as one request "
                 "keeps: ask the coordinator for a new request",
                 r->sum.request_id, total);
        return CL_ERR_INVALID;
    }
    size_t cap = a->n_earlier; /* allocated to fit (s_earlier_dec) */
    return CL_VEC_PUSH(a->earlier, a->n_earlier, cap, a->response);
}

int cl_inforeq_respond(cl_op *op, const cl_route_config *cfg,
                       const cl_info_response *x, cl_publish_result *out)
{
    uint64_t id = 0;
    uint32_t i;
    int rc;
    if (!(op->who->roles & CL_ROLE_PUBLISHER)) {
        snprintf(op->err, CL_ERROR_SZ, "answering needs the publisher role");
        return CL_ERR_DENIED;
    }
    if (!s_req_parse(x->request_id, &id)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "request_id: must look like REQ-00000042");
        return CL_ERR_INVALID;
    }
    if (!x->summary[0] || !x->involvement) {
        snprintf(op->err, CL_ERROR_SZ,
                 "an answer needs a summary and the involvement (none, "
                 "past or current)");
        return CL_ERR_INVALID;
    }
    s_inforeq *r = calloc(1, sizeof(*r));
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!r || !d) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    rc = s_req_get(op->t, id, r);
    for (i = 0; rc == CL_OK && i < r->sum.n_agencies; i++)
        if (strcmp(r->sum.agencies[i].agency, op->who->agency) == 0)
            break;
    if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && i == r->sum.n_agencies)) {
        /* never reveal requests sent to other agencies */
        snprintf(op->err, CL_ERROR_SZ, "no request %.32s for your agency",
                 x->request_id);
        rc = CL_ERR_NOT_FOUND;
        goto out;
    }
    if (rc != CL_OK)
        goto out;
    if ((rc = s_keep_earlier(r, &r->sum.agencies[i], op->err)) != CL_OK)
        goto out;
    cl_info_response *a = &r->sum.agencies[i].response;
    *a = *x;
    CL_COPY(a->agency, op->who->agency);
    CL_COPY(a->person_id, r->sum.person_id);
    a->answered_at = op->now;
    r->sum.agencies[i].answered = true;
    if ((rc = s_req_put(op->t, id, r)) != CL_OK)
        goto out;
    d->kind = CL_DLV_RESPONSE;
    d->u.response = *a;
    if ((rc = cl_mailbox_put(op->t, cfg, r->from_agency, d, true, op->now,
                             op->err)) != CL_OK)
        goto out;
    cl_records_note_person(&op->note, r->pid);
    CL_COPY(out->reference, r->sum.request_id);
    CL_COPY(op->note.detail, r->sum.request_id);
out:
    if (d)
        sodium_memzero(d, sizeof(*d));
    s_req_free(r);
    free(d);
    free(r);
    return rc;
}

typedef struct s_list {
    cl_txn *t;
    const cl_request_list *q;
    cl_request_summaries *out;
    size_t cap;
    const char *today;
    cl_audit_note *note;
    s_inforeq *r; /* scratch */
} s_list;

static int s_list_id(s_list *c, uint64_t id)
{
    int rc = s_req_get(c->t, id, c->r);
    if (rc != CL_OK)
        return rc;
    bool open = false;
    for (uint32_t i = 0; i < c->r->sum.n_agencies; i++) {
        cl_request_state *a = &c->r->sum.agencies[i];
        a->overdue = !a->answered && strcmp(c->r->sum.due, c->today) < 0;
        open |= !a->answered;
    }
    if (c->q->open_only && !open) {
        s_req_free(c->r);
        return CL_OK;
    }
    if (CL_VEC_GROW(c->out->v, c->out->n, c->cap) != CL_OK) {
        s_req_free(c->r);
        return CL_ERR_NOMEM;
    }
    /* the earlier answers now belong to out */
    c->out->v[c->out->n++] = c->r->sum;
    cl_records_note_person(c->note, c->r->pid);
    sodium_memzero(c->r, sizeof(*c->r));
    return CL_OK;
}

static int s_list_index(void *ctx, const uint8_t *key, size_t len)
{
    if (len != 16)
        return CL_ERR_CORRUPT;
    return s_list_id(ctx, cl_be64_get(key + 8));
}

static int s_list_all(void *ctx, const uint8_t *key, size_t len)
{
    if (len != 8)
        return CL_ERR_CORRUPT;
    return s_list_id(ctx, cl_be64_get(key));
}

int cl_inforeq_list(cl_op *op, const cl_request_list *q,
                    cl_request_summaries *out)
{
    char today[CL_DATE_SZ];
    uint64_t pid = 0;
    int rc;
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ, "requests need the coordinator role");
        return CL_ERR_DENIED;
    }
    if (q->person_id[0] && !cl_records_parse_pid(q->person_id, &pid)) {
        snprintf(op->err, CL_ERROR_SZ, "person_id: must look like P00000042");
        return CL_ERR_INVALID;
    }
    cl_records_date(op->now, today);
    s_list c = {
        op->t, q, out, 0, today, &op->note, calloc(1, sizeof(s_inforeq))};
    if (!c.r)
        return CL_ERR_NOMEM;
    if (pid) {
        uint8_t k[8];
        cl_be64_put(k, pid);
        rc =
            cl_store_scan(op->t, CL_DB_PERSON_REQUESTS, k, 8, s_list_index, &c);
    } else {
        rc = cl_store_scan(op->t, CL_DB_INFOREQ, NULL, 0, s_list_all, &c);
    }
    s_req_free(c.r);
    free(c.r);
    snprintf(op->note.purpose, sizeof(op->note.purpose), "%zu requests listed",
             out->n);
    return rc;
}

int cl_inforeq_of(cl_txn *t, uint64_t pid, int64_t now,
                  cl_request_summaries *out)
{
    char today[CL_DATE_SZ];
    uint8_t k[8];
    cl_request_list q;
    memset(&q, 0, sizeof(q));
    memset(out, 0, sizeof(*out));
    cl_records_date(now, today);
    s_list c = {t, &q, out, 0, today, NULL, calloc(1, sizeof(s_inforeq))};
    if (!c.r)
        return CL_ERR_NOMEM;
    cl_be64_put(k, pid);
    int rc = cl_store_scan(t, CL_DB_PERSON_REQUESTS, k, 8, s_list_index, &c);
    s_req_free(c.r);
    free(c.r);
    return rc;
}

/* --- retention: open requests keep a person; removal ------------------- */

typedef struct s_rlive {
    cl_txn *t;
    cl_ids *keep;
    s_inforeq *r;
} s_rlive;

static int s_rlive_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rlive *c = ctx;
    if (len != 8)
        return CL_ERR_CORRUPT;
    int rc = s_req_get(c->t, cl_be64_get(key), c->r);
    bool open = false;
    for (uint32_t i = 0; rc == CL_OK && i < c->r->sum.n_agencies; i++)
        open |= !c->r->sum.agencies[i].answered;
    if (rc == CL_OK && open)
        rc = cl_idset_add(c->keep, c->r->pid);
    s_req_free(c->r);
    return rc;
}

int cl_inforeq_live(cl_txn *t, cl_ids *keep)
{
    s_rlive c = {t, keep, calloc(1, sizeof(s_inforeq))};
    if (!c.r)
        return CL_ERR_NOMEM;
    int rc = cl_store_scan(t, CL_DB_INFOREQ, NULL, 0, s_rlive_one, &c);
    s_req_free(c.r);
    free(c.r);
    return rc;
}

/* Requests about the person, with every answer. */
int cl_inforeq_route_purge(cl_txn *t, uint64_t pid, const cl_ids *refs,
                           cl_names *names)
{
    int rc = cl_retention_purge_indexed(t, CL_DB_PERSON_REQUESTS, CL_DB_INFOREQ,
                                        pid, CL_ID_REQUEST, names);
    return rc == CL_OK ? cl_mailbox_purge(t, pid, refs) : rc;
}

int cl_inforeq_decode_check(const uint8_t *buf, size_t len)
{
    cl_dec d = cl_dec_init(buf, len);
    s_inforeq *r = calloc(1, sizeof(*r));
    if (!r)
        return CL_ERR_NOMEM;
    s_req_dec(&d, r);
    s_req_free(r);
    free(r);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

int cl_inforeq_route_decode_check(cl_db db, const uint8_t *buf, size_t len)
{
    if (db == CL_DB_MAILBOX)
        return cl_mailbox_decode_check(buf, len);
    if (db == CL_DB_INFOREQ)
        return cl_inforeq_decode_check(buf, len);
    return cl_feed_decode_check(buf, len);
}
