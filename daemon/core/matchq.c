/*
 * matchq: the match-review queue (pairs between the thresholds, for a
 * coordinator to decide), merging one person into another, splitting a
 * record off, and the marks that say a coordinator decided where a
 * record belongs. Calls records only, never linkfind or a file above it.
 */
#include "matchq.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "match.h"
#include "records.h"
#include "ids.h"

/* --- match review queue -----------------------------------------------------
 * review id -> v2, incoming record id, candidate record id, score,
 *              status (0 open, 1 accepted, 2 rejected; | S_SPLIT for a
 *              split proposal, which v1 had none of), created, decided,
 *              decided by, reason
 *
 * A split proposal (split 1) is a pair of records on one person that no
 * longer hold together: accepting it says they are one person (nothing
 * moves), rejecting it splits the incoming record off to a new person.
 */
#define S_REVIEW_V2 2
#define S_SPLIT     0x80

static void s_review_enc(cl_enc *e, const void *in)
{
    const cl_matchq_review *r = in;
    cl_enc_u8(e, S_REVIEW_V2);
    cl_enc_u64(e, r->incoming);
    cl_enc_u64(e, r->candidate);
    cl_enc_f64(e, r->score);
    cl_enc_u8(e, (uint8_t)(r->status | (r->split ? S_SPLIT : 0)));
    cl_enc_i64(e, r->created);
    cl_enc_i64(e, r->decided);
    cl_enc_str(e, r->by);
    cl_enc_str(e, r->reason);
}

void cl_matchq_review_dec(cl_dec *d, void *out)
{
    cl_matchq_review *r = out;
    memset(r, 0, sizeof(*r));
    uint8_t v = cl_dec_u8(d);
    if (v != CL_RECORDS_VERSION && v != S_REVIEW_V2)
        d->bad = true;
    r->incoming = cl_dec_u64(d);
    r->candidate = cl_dec_u64(d);
    r->score = cl_dec_f64(d);
    r->status = cl_dec_u8(d);
    if (v == S_REVIEW_V2) {
        r->split = (r->status & S_SPLIT) != 0;
        r->status &= (uint8_t)~S_SPLIT;
    }
    r->created = cl_dec_i64(d);
    r->decided = cl_dec_i64(d);
    CL_DEC_STR(d, r->by);
    CL_DEC_STR(d, r->reason);
}

static int s_review_put(cl_txn *t, uint64_t id, const cl_matchq_review *r)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_records_put(t, CL_DB_REVIEW, k, 8, CL_NOTE_SZ + 256, s_review_enc,
                          r);
}

int cl_matchq_review_get(cl_txn *t, uint64_t id, cl_matchq_review *r)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_records_get(t, CL_DB_REVIEW, k, 8, CL_NOTE_SZ + 256,
                          cl_matchq_review_dec, r, sizeof(*r));
}

/* The row that says the pair x, y was asked about (once, whichever
 * record came first; a split proposal for a pair is not the same
 * question as a merge of it), under the suffix record id. */
static void s_pair_key(const cl_store *st, uint64_t x, uint64_t y, bool split,
                       uint64_t suffix, uint8_t qk[CL_BLIND_LEN + 8])
{
    char pair[48];
    snprintf(pair, sizeof(pair), "%s%" PRIu64 "-%" PRIu64, split ? "s" : "",
             x < y ? x : y, x < y ? y : x);
    cl_store_blind(st, qk, "queued", (const uint8_t *)pair, strlen(pair));
    cl_be64_put(qk + CL_BLIND_LEN, suffix);
}

static int s_pair_asked(cl_txn *t, uint64_t x, uint64_t y, bool split,
                        bool *asked)
{
    uint8_t qk[CL_BLIND_LEN + 8], v[1];
    size_t len;
    int rc = CL_ERR_NOT_FOUND;
    for (int i = 0; i < 2 && rc == CL_ERR_NOT_FOUND; i++) {
        s_pair_key(cl_store_of(t), x, y, split, i ? y : x, qk);
        rc = cl_store_get_raw(t, CL_DB_BLOCK, qk, sizeof(qk), v, sizeof(v),
                              &len);
    }
    *asked = rc == CL_OK;
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

static int s_pair_mark(cl_txn *t, uint64_t x, uint64_t y, bool split)
{
    uint8_t qk[CL_BLIND_LEN + 8];
    s_pair_key(cl_store_of(t), x, y, split, y, qk);
    return cl_store_put_raw(t, CL_DB_BLOCK, qk, sizeof(qk), NULL, 0);
}

static int s_queue(cl_txn *t, uint64_t incoming, uint64_t candidate,
                   double score, int64_t now, bool split)
{
    cl_matchq_review r;
    uint64_t id;
    bool asked = false;
    int rc = s_pair_asked(t, incoming, candidate, split, &asked);
    if (rc != CL_OK || asked)
        return rc;
    if ((rc = s_pair_mark(t, incoming, candidate, split)) != CL_OK)
        return rc;
    memset(&r, 0, sizeof(r));
    r.incoming = incoming;
    r.candidate = candidate;
    r.score = score;
    r.created = now;
    r.split = split;
    rc = cl_store_next_id(t, "review", &id);
    return rc == CL_OK ? s_review_put(t, id, &r) : rc;
}

int cl_matchq_review_add(cl_txn *t, uint64_t incoming, uint64_t candidate,
                         double score, int64_t now)
{
    return s_queue(t, incoming, candidate, score, now, false);
}

int cl_matchq_split_add(cl_txn *t, uint64_t rid, uint64_t closest, double score,
                        int64_t now)
{
    return s_queue(t, rid, closest, score, now, true);
}

/* Record rid's row under cl_matchq_decided_key: *decided when a
 * coordinator decided where it belongs (the row is empty), else the two
 * records it is held between (cl_matchq_hold; 0 and 0 when it is not). */
static int s_mark_get(cl_txn *t, uint64_t rid, bool *decided, uint64_t *a,
                      uint64_t *b)
{
    uint8_t k[CL_BLIND_LEN + 8], v[16];
    size_t len = 0;
    cl_matchq_decided_key(cl_store_of(t), rid, k);
    int rc = cl_store_get_raw(t, CL_DB_BLIND, k, sizeof(k), v, sizeof(v), &len);
    *decided = rc == CL_OK && len == 0;
    *a = *b = 0;
    if (rc == CL_OK && len == sizeof(v)) {
        *a = cl_be64_get(v);
        *b = cl_be64_get(v + 8);
    } else if (rc == CL_OK && len != 0) {
        rc = CL_ERR_CORRUPT;
    }
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

int cl_matchq_record_decided(cl_txn *t, uint64_t rid, bool *decided)
{
    uint64_t a, b;
    return s_mark_get(t, rid, decided, &a, &b);
}

int cl_matchq_hold(cl_txn *t, uint64_t rid, uint64_t a, uint64_t b)
{
    uint8_t k[CL_BLIND_LEN + 8], v[16];
    uint64_t x, y;
    bool decided = false;
    int rc = s_mark_get(t, rid, &decided, &x, &y);
    if (rc != CL_OK || decided)
        return rc; /* a coordinator's decision stands */
    cl_matchq_decided_key(cl_store_of(t), rid, k);
    cl_be64_put(v, a);
    cl_be64_put(v + 8, b);
    return cl_store_put_raw(t, CL_DB_BLIND, k, sizeof(k), v, sizeof(v));
}

/* Whether records a and b, between which a record is held
 * (cl_matchq_hold), are still on two people (*apart). */
static int s_still_apart(cl_txn *t, uint64_t a, uint64_t b, bool *apart)
{
    cl_records_record ra, rb;
    *apart = false;
    int rc = cl_records_record_get(t, a, &ra);
    if (rc == CL_OK && (rc = cl_records_record_get(t, b, &rb)) == CL_OK) {
        *apart = ra.person_id != rb.person_id;
        sodium_memzero(&rb, sizeof(rb));
    }
    sodium_memzero(&ra, sizeof(ra));
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc; /* purged: no question */
}

/* The index row that says a coordinator decided where record rid
 * belongs (accepted or rejected a match with it, or split it off: an
 * empty row), or that the linker holds it for one (cl_matchq_hold: the
 * two record ids it is held between). */
void cl_matchq_decided_key(const cl_store *st, uint64_t rid,
                           uint8_t k[CL_BLIND_LEN + 8])
{
    char v[24];
    snprintf(v, sizeof(v), "%" PRIu64, rid);
    cl_store_blind(st, k, "decided", (const uint8_t *)v, strlen(v));
    cl_be64_put(k + CL_BLIND_LEN, rid);
}

static int s_mark_decided(cl_txn *t, uint64_t rid)
{
    uint8_t k[CL_BLIND_LEN + 8];
    cl_matchq_decided_key(cl_store_of(t), rid, k);
    return cl_store_put_raw(t, CL_DB_BLIND, k, sizeof(k), NULL, 0);
}

int cl_matchq_person_decided(cl_txn *t, const cl_store *st, uint64_t pid,
                             bool *decided)
{
    cl_records_ids recs = {.max = SIZE_MAX};
    (void)st;
    *decided = false;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK && !*decided; i++) {
        uint64_t a, b;
        if ((rc = s_mark_get(t, recs.v[i], decided, &a, &b)) == CL_OK &&
            !*decided && a && b)
            rc = s_still_apart(t, a, b, decided);
    }
    free(recs.v);
    return rc;
}

/* One open pair of the queue, as scored under today's weights. */
typedef struct s_rl_item {
    uint64_t id;
    double score;
} s_rl_item;

/* An open merge pair as queued, whatever the filters: its incoming
 * record, the candidate's person, the weight it was queued at. */
typedef struct s_rl_pair {
    uint64_t incoming, pid;
    double score;
} s_rl_pair;

typedef struct s_rl_ctx {
    const cl_match_config *mc;
    cl_txn *t;
    const cl_review_query *q;
    s_rl_item *v;
    size_t n, cap;
    s_rl_pair *all; /* every open merge pair, by incoming record (s_held) */
    size_t n_all, cap_all;
} s_rl_ctx;

/* The pair of review id, if it is still open and its records are two
 * people: *keep false otherwise. */
static int s_review_pair(cl_txn *t, uint64_t id, cl_matchq_review *r,
                         cl_records_record *a, cl_records_record *b, bool *keep)
{
    *keep = false;
    int rc = cl_matchq_review_get(t, id, r);
    if (rc != CL_OK || r->status != 0)
        return rc;
    if ((rc = cl_records_record_get(t, r->incoming, a)) != CL_OK ||
        (rc = cl_records_record_get(t, r->candidate, b)) != CL_OK)
        return rc == CL_ERR_NOT_FOUND ? CL_OK : rc; /* purged meanwhile */
    /* a merge whose records were linked some other way meanwhile, or a
     * split whose records were parted, is no longer a question */
    *keep =
        r->split ? a->person_id == b->person_id : a->person_id != b->person_id;
    return CL_OK;
}

static int s_review_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rl_ctx *c = ctx;
    cl_matchq_review r;
    cl_records_record a, b;
    bool keep;
    if (len != 8)
        return CL_ERR_CORRUPT;
    uint64_t id = cl_be64_get(key);
    int rc = s_review_pair(c->t, id, &r, &a, &b, &keep);
    if (rc == CL_OK && keep && !r.split &&
        CL_VEC_PUSH(c->all, c->n_all, c->cap_all,
                    ((s_rl_pair){r.incoming, b.person_id, r.score})) != CL_OK)
        rc = CL_ERR_NOMEM;
    if (rc == CL_OK && keep && c->q->agency[0])
        keep =
            !strcmp(a.agency, c->q->agency) || !strcmp(b.agency, c->q->agency);
    double w = keep ? cl_match_score(c->mc, &a.p, &b.p) : 0;
    double p = cl_match_probability(c->mc, w);
    if (keep && c->q->min_p > 0 && p < c->q->min_p)
        keep = false;
    if (keep && c->q->max_p > 0 && p > c->q->max_p)
        keep = false;
    sodium_memzero(&a, sizeof(a));
    sodium_memzero(&b, sizeof(b));
    if (rc != CL_OK || !keep)
        return rc;
    s_rl_item *it = CL_VEC_ADD(c->v, c->n, c->cap);
    if (!it)
        return CL_ERR_NOMEM;
    it->id = id;
    it->score = w;
    return CL_OK;
}

/* Highest weight first, then oldest. */
static int s_rl_cmp(const void *x, const void *y)
{
    const s_rl_item *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int s_rl_pair_cmp(const void *x, const void *y)
{
    const s_rl_pair *a = x, *b = y;
    return a->incoming < b->incoming ? -1 : a->incoming > b->incoming;
}

/* Another person than pid that record rid waits between: an open pair
 * of rid's with another person at or above the link threshold, or the
 * two records it is held between (cl_matchq_hold) still apart; 0 if
 * none. */
static int s_held_other(cl_txn *t, const cl_match_config *mc, const s_rl_ctx *c,
                        uint64_t rid, uint64_t pid, uint64_t *other)
{
    size_t lo = 0, hi = c->n_all;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->all[mid].incoming < rid)
            lo = mid + 1;
        else
            hi = mid;
    }
    *other = 0;
    for (size_t i = lo; i < c->n_all && c->all[i].incoming == rid; i++)
        if (c->all[i].pid != pid && c->all[i].score >= mc->upper)
            *other = c->all[i].pid;
    uint64_t x, y;
    bool decided, apart = false;
    int rc = s_mark_get(t, rid, &decided, &x, &y);
    if (rc != CL_OK || *other || !x || !y ||
        (rc = s_still_apart(t, x, y, &apart)) != CL_OK || !apart)
        return rc;
    cl_records_record r;
    for (int i = 0; i < 2 && rc == CL_OK && !*other; i++)
        if ((rc = cl_records_record_get(t, i ? y : x, &r)) == CL_OK &&
            r.person_id != pid)
            *other = r.person_id;
    sodium_memzero(&r, sizeof(r));
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

/* Why pair r (records a and b), weighing it->score today, waits in the
 * queue although it reaches the link threshold (it->held, cl_held). */
static int s_held(cl_op *op, const cl_match_config *mc, const s_rl_ctx *c,
                  const cl_matchq_review *r, const cl_records_record *a,
                  const cl_records_record *b, cl_review_item *it)
{
    cl_txn *t = op->t;
    uint64_t other = 0;
    bool decided = false;
    it->held = CL_HELD_NONE;
    if (r->split || it->score < mc->upper)
        return CL_OK;
    int rc = s_held_other(t, mc, c, r->incoming, b->person_id, &other);
    if (rc == CL_OK && other) {
        it->held = CL_HELD_TWO_PEOPLE;
        cl_audit_pid_str(it->held_with, other);
        cl_records_note_person(&op->note, other);
        return CL_OK;
    }
    if (rc == CL_OK &&
        (rc = cl_matchq_person_decided(t, cl_store_of(t), a->person_id,
                                       &decided)) == CL_OK &&
        !decided)
        rc =
            cl_matchq_person_decided(t, cl_store_of(t), b->person_id, &decided);
    it->held = decided ? CL_HELD_DECIDED : CL_HELD_APART;
    return rc;
}

int cl_matchq_review_list(cl_op *op, const cl_match_config *mc,
                          const cl_review_query *q, cl_review_items *out)
{
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "the review queue needs the coordinator "
                 "role");
        return CL_ERR_DENIED;
    }
    CL_COPY(op->note.purpose, "match review queue");
    uint32_t limit = q->limit ? q->limit : 50;
    if (limit > CL_REVIEW_PAGE_MAX) {
        snprintf(op->err, CL_ERROR_SZ, "limit: at most %d pairs a page",
                 CL_REVIEW_PAGE_MAX);
        return CL_ERR_INVALID;
    }
    uint64_t after = 0;
    if (q->after[0] && !cl_records_parse_prefixed(q->after, 'Q', &after)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "after_review_id must look like Q00000042");
        return CL_ERR_INVALID;
    }
    s_rl_ctx c = {mc, op->t, q, NULL, 0, 0, NULL, 0, 0};
    size_t cap = 0, from = 0;
    int rc = cl_store_scan(op->t, CL_DB_REVIEW, NULL, 0, s_review_one, &c);
    if (rc != CL_OK)
        goto out;
    if (c.n > 1)
        qsort(c.v, c.n, sizeof(*c.v), s_rl_cmp);
    if (c.n_all > 1)
        qsort(c.all, c.n_all, sizeof(*c.all), s_rl_pair_cmp);
    out->total = (uint32_t)c.n;
    if (after) {
        /* continue after the cursor's place in the order, even if the
         * cursor's own pair was decided meanwhile */
        cl_matchq_review cur;
        cl_records_record a, b;
        bool keep;
        s_rl_item key = {after, 0};
        if ((rc = s_review_pair(op->t, after, &cur, &a, &b, &keep)) != CL_OK) {
            if (rc == CL_ERR_NOT_FOUND)
                snprintf(op->err, CL_ERROR_SZ, "no such review %s", q->after);
            goto out;
        }
        key.score = keep ? cl_match_score(mc, &a.p, &b.p) : cur.score;
        sodium_memzero(&a, sizeof(a));
        sodium_memzero(&b, sizeof(b));
        while (from < c.n && s_rl_cmp(&c.v[from], &key) <= 0)
            from++;
    } else if (q->page > 1) {
        from = (size_t)(q->page - 1) * limit;
    }
    for (size_t i = from; i < c.n && out->n < limit && rc == CL_OK; i++) {
        cl_matchq_review r;
        cl_records_record a, b;
        bool keep;
        if ((rc = s_review_pair(op->t, c.v[i].id, &r, &a, &b, &keep)) !=
                CL_OK ||
            !keep)
            continue;
        cl_review_item *it = CL_VEC_ADD(out->v, out->n, cap);
        if (!it) {
            rc = CL_ERR_NOMEM;
            break;
        }
        (void)cl_id_format(it->id, sizeof(it->id), CL_ID_QUEUE, c.v[i].id);
        it->score =
            cl_match_explain(mc, &a.p, &b.p, NULL, it->fields, &it->n_fields);
        it->probability = cl_match_probability(mc, it->score);
        rc = s_held(op, mc, &c, &r, &a, &b, it);
        cl_records_record_view(&it->incoming, r.incoming, &a);
        cl_records_record_view(&it->candidate, r.candidate, &b);
        cl_audit_pid_str(it->incoming_pid, a.person_id);
        cl_audit_pid_str(it->candidate_pid, b.person_id);
        it->created = r.created;
        cl_records_note_person(&op->note, a.person_id);
        cl_records_note_person(&op->note, b.person_id);
        sodium_memzero(&a, sizeof(a));
        sodium_memzero(&b, sizeof(b));
        if (out->n == limit && i + 1 < c.n)
            CL_COPY(out->next, it->id);
    }
out:
    free(c.v);
    free(c.all);
    if (rc != CL_OK) {
        free(out->v);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

/* Move record rid from person `from` to person `to`. */
static int s_move_record(cl_txn *t, uint64_t rid, uint64_t from, uint64_t to,
                         uint8_t reason)
{
    cl_records_record rec;
    uint8_t k[16];
    int rc = cl_records_record_get(t, rid, &rec);
    if (rc != CL_OK)
        return rc;
    rec.person_id = to;
    rec.link_reason = reason;
    rc = cl_records_record_put(t, rid, &rec);
    sodium_memzero(&rec, sizeof(rec));
    cl_records_key(k, from);
    cl_records_key(k + 8, rid);
    if (rc == CL_OK)
        rc = cl_store_del(t, CL_DB_PERSON_RECORDS, k, 16);
    cl_records_key(k, to);
    if (rc == CL_OK)
        rc = cl_store_put_raw(t, CL_DB_PERSON_RECORDS, k, 16, NULL, 0);
    return rc;
}

/* Merge person `from` into person `to`: records, relationships, plans. */
int cl_matchq_merge_people(cl_txn *t, uint64_t from, uint64_t to, int64_t now,
                           uint8_t reason)
{
    cl_records_ids recs = {.max = SIZE_MAX}, rels = {.max = SIZE_MAX},
                   plans = {.max = SIZE_MAX};
    uint8_t k[16], buf[256];
    size_t len;
    int64_t created, last;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, from, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++)
        rc = s_move_record(t, recs.v[i], from, to, reason);
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_RELATION, from, &rels);
    for (size_t i = 0; i < rels.n && rc == CL_OK; i++) {
        uint64_t o = rels.v[i];
        cl_records_key(k, from);
        cl_records_key(k + 8, o);
        if ((rc = cl_store_get(t, CL_DB_RELATION, k, 16, buf, sizeof(buf),
                               &len)) != CL_OK)
            break;
        rc = cl_store_del(t, CL_DB_RELATION, k, 16);
        if (rc == CL_OK && o != to) {
            cl_records_key(k, to);
            rc = cl_store_put(t, CL_DB_RELATION, k, 16, buf, len);
        }
        cl_records_key(k, o);
        cl_records_key(k + 8, from);
        if (rc == CL_OK && (rc = cl_store_get(t, CL_DB_RELATION, k, 16, buf,
                                              sizeof(buf), &len)) == CL_OK) {
            rc = cl_store_del(t, CL_DB_RELATION, k, 16);
            cl_records_key(k + 8, to);
            if (rc == CL_OK && o != to)
                rc = cl_store_put(t, CL_DB_RELATION, k, 16, buf, len);
        } else if (rc == CL_ERR_NOT_FOUND) {
            rc = CL_OK;
        }
    }
    if (rc == CL_OK)
        rc = cl_records_children(t, CL_DB_PERSON_PLANS, from, &plans);
    for (size_t i = 0; i < plans.n && rc == CL_OK; i++) {
        uint8_t how = 0;
        size_t hl;
        cl_records_plan pr;
        cl_records_key(k, from);
        cl_records_key(k + 8, plans.v[i]);
        rc = cl_store_get_raw(t, CL_DB_PERSON_PLANS, k, 16, &how, 1, &hl);
        if (rc == CL_OK)
            rc = cl_store_del(t, CL_DB_PERSON_PLANS, k, 16);
        cl_records_key(k, to);
        if (rc == CL_OK)
            rc = cl_store_put_raw(t, CL_DB_PERSON_PLANS, k, 16, &how, 1);
        if (rc == CL_OK &&
            (rc = cl_records_plan_get(t, plans.v[i], &pr)) == CL_OK &&
            pr.child == from) {
            pr.child = to;
            rc = cl_records_plan_put(t, plans.v[i], &pr);
        }
    }
    if (rc == CL_OK)
        rc = cl_records_person_get(t, from, &created, &last);
    cl_records_key(k, from);
    if (rc == CL_OK)
        rc = cl_store_del(t, CL_DB_PERSON, k, 8);
    if (rc == CL_OK)
        rc = cl_records_activity(t, from, last, false);
    if (rc == CL_OK)
        rc = cl_records_touch(t, to, now);
    free(recs.v);
    free(rels.v);
    free(plans.v);
    return rc;
}

int cl_matchq_detach(cl_txn *t, uint64_t id, uint64_t old, int64_t now,
                     uint64_t *fresh)
{
    int rc;
    if ((rc = cl_store_next_id(t, "person", fresh)) != CL_OK ||
        (rc = cl_records_person_put(t, *fresh, now, now)) != CL_OK ||
        (rc = cl_records_activity(t, *fresh, now, true)) != CL_OK)
        return rc;
    return s_move_record(t, id, old, *fresh, CL_LINK_NEW);
}

int cl_matchq_move(cl_txn *t, uint64_t id, uint64_t from, uint64_t to,
                   uint8_t reason)
{
    return s_move_record(t, id, from, to, reason);
}

/* Split record id off its person `old` to a new person (*fresh): a
 * coordinator's decision. */
static int s_split_off(cl_txn *t, uint64_t id, uint64_t old, int64_t now,
                       uint64_t *fresh)
{
    int rc = cl_matchq_detach(t, id, old, now, fresh);
    return rc == CL_OK ? s_mark_decided(t, id) : rc;
}

static int s_split_record(cl_op *op, const cl_link_change *c,
                          cl_publish_result *out)
{
    cl_records_record rec;
    cl_records_ids recs = {.max = 2};
    uint64_t id, fresh;
    int rc;
    if (!cl_records_parse_prefixed(c->id, 'R', &id)) {
        snprintf(op->err, CL_ERROR_SZ, "record_id must look like R00000042");
        return CL_ERR_INVALID;
    }
    if ((rc = cl_records_record_get(op->t, id, &rec)) != CL_OK) {
        if (rc == CL_ERR_NOT_FOUND)
            snprintf(op->err, CL_ERROR_SZ, "no such record");
        return rc;
    }
    uint64_t old = rec.person_id;
    sodium_memzero(&rec, sizeof(rec));
    cl_records_note_person(&op->note, old);
    rc = cl_records_children(op->t, CL_DB_PERSON_RECORDS, old, &recs);
    size_t n = recs.n;
    free(recs.v);
    if (rc != CL_OK)
        return rc;
    if (n < 2) {
        snprintf(op->err, CL_ERROR_SZ, "the record is the person's only one");
        return CL_ERR_INVALID;
    }
    if ((rc = s_split_off(op->t, id, old, op->now, &fresh)) != CL_OK)
        return rc;
    cl_records_note_person(&op->note, fresh);
    cl_audit_pid_str(out->reference, fresh);
    CL_COPY(op->note.detail, c->id);
    return CL_OK;
}

/* A review decision. Accepting says the two records are one person: a
 * merge proposal merges their people, a split proposal leaves them
 * together. Rejecting says they are two: a merge proposal leaves them
 * apart, a split proposal splits the incoming record off. Either way
 * both records are marked decided (never moved again by the linker). */
static int s_review_decide(cl_op *op, const cl_link_change *c,
                           cl_publish_result *out)
{
    cl_matchq_review r;
    cl_records_record a, b;
    uint64_t id;
    int rc;
    if (!cl_records_parse_prefixed(c->id, 'Q', &id)) {
        snprintf(op->err, CL_ERROR_SZ, "review_id must look like Q00000042");
        return CL_ERR_INVALID;
    }
    if ((rc = cl_matchq_review_get(op->t, id, &r)) != CL_OK) {
        if (rc == CL_ERR_NOT_FOUND)
            snprintf(op->err, CL_ERROR_SZ, "no such review");
        return rc;
    }
    if (r.status != 0) {
        snprintf(op->err, CL_ERROR_SZ, "review %s was decided already", c->id);
        return CL_ERR_INVALID;
    }
    if ((rc = cl_records_record_get(op->t, r.incoming, &a)) != CL_OK ||
        (rc = cl_records_record_get(op->t, r.candidate, &b)) != CL_OK)
        return rc;
    uint64_t from = a.person_id, to = b.person_id, result = to;
    sodium_memzero(&a, sizeof(a));
    sodium_memzero(&b, sizeof(b));
    cl_records_note_person(&op->note, from);
    cl_records_note_person(&op->note, to);
    if (c->accept && from != to &&
        (rc = cl_matchq_merge_people(op->t, from, to, op->now,
                                     CL_LINK_REVIEWED)) != CL_OK)
        return rc;
    if (!c->accept && r.split && from == to) {
        if ((rc = s_split_off(op->t, r.incoming, from, op->now, &result)) !=
            CL_OK)
            return rc;
        cl_records_note_person(&op->note, result);
    } else if (!c->accept) {
        result = from;
    }
    /* where these records belong was decided: never moved again without
     * a coordinator, nor the pair asked about again the other way */
    if ((rc = s_mark_decided(op->t, r.incoming)) != CL_OK ||
        (rc = s_mark_decided(op->t, r.candidate)) != CL_OK ||
        (rc = s_pair_mark(op->t, r.incoming, r.candidate, !r.split)) != CL_OK)
        return rc;
    r.status = c->accept ? 1 : 2;
    r.decided = op->now;
    CL_COPY(r.by, op->who->name);
    CL_COPY(r.reason, c->reason);
    if ((rc = s_review_put(op->t, id, &r)) != CL_OK)
        return rc;
    cl_audit_pid_str(out->reference, result);
    CL_COPY(op->note.detail, c->id);
    return CL_OK;
}

int cl_matchq_link_change(cl_op *op, cl_req_kind kind, const cl_link_change *c,
                          cl_publish_result *out)
{
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "changing links needs the coordinator "
                 "role");
        return CL_ERR_DENIED;
    }
    if (!c->reason[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "a reason is required (kept for the "
                 "auditor)");
        return CL_ERR_INVALID;
    }
    CL_COPY(op->note.purpose, c->reason);
    if (kind == CL_REQ_SPLIT_RECORD)
        return s_split_record(op, c, out);
    return s_review_decide(op, c, out);
}
