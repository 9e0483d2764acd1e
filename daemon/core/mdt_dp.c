/*
 * mdt_dp: subject access, retention and the decode check of the MDT's records
 * (see mdt_dp.h).
 */
#include "mdt_dp.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "idset.h"
#include "mdt.h"
#include "mdt_action.h"
#include "mdt_report.h"
#include "mdt_review.h"
#include "ids.h"

#define S_VERSION 1

/* --- subject access: the MDT's records about one person ----------------- */

typedef struct s_sar_ctx {
    cl_txn *t;
    uint64_t pid;
    cl_subject_access *out;
    size_t cap;
} s_sar_ctx;

/* person_agenda: person id || MDT id -> "" */
static int s_sar_place(void *ctx, const uint8_t *key, size_t len)
{
    s_sar_ctx *c = ctx;
    uint8_t k[16], why = 0;
    size_t vlen = 0;
    if (len != 16)
        return CL_ERR_CORRUPT;
    uint64_t mdt = cl_be64_get(key + 8);
    if (CL_VEC_GROW(c->out->agenda, c->out->n_agenda, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    cl_sar_agenda *a = &c->out->agenda[c->out->n_agenda];
    memset(a, 0, sizeof(*a));
    (void)cl_id_format(a->review_id, sizeof(a->review_id), CL_ID_REVIEW, mdt);
    cl_review_new r;
    char err[CL_ERROR_SZ];
    uint64_t id;
    int rc = cl_mdt_review_get(c->t, a->review_id, &id, &r, err);
    if (rc != CL_OK)
        return rc;
    CL_COPY(a->date, r.date);
    CL_COPY(a->title, r.title);
    cl_be64_put(k, mdt);
    cl_be64_put(k + 8, c->pid);
    rc = cl_store_get_raw(c->t, CL_DB_AGENDA, k, 16, &why, 1, &vlen);
    if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
        return rc;
    a->reason = why;
    if ((rc = cl_mdt_agenda_note(c->t, mdt, c->pid, a->note)) != CL_OK)
        return rc;
    cl_pack_item *it = calloc(1, sizeof(*it));
    if (!it)
        return CL_ERR_NOMEM;
    rc = cl_mdt_discussion_get(c->t, mdt, c->pid, it, &a->discussed_at,
                               a->discussed_by);
    if (rc == CL_OK) {
        CL_COPY(a->discussion, it->discussion);
        CL_COPY(a->decisions, it->decisions);
    }
    sodium_memzero(it, sizeof(*it));
    free(it);
    if (rc == CL_OK)
        c->out->n_agenda++;
    return rc;
}

typedef struct s_sar_ms {
    cl_txn *t;
    uint64_t pid;
    cl_subject_access *out;
    size_t cap;
} s_sar_ms;

/* measure: name NUL month NUL person id -> value */
static int s_sar_measure(void *ctx, const uint8_t *key, size_t len)
{
    s_sar_ms *c = ctx;
    const uint8_t *nul = memchr(key, 0, len);
    if (!nul)
        return CL_ERR_CORRUPT;
    size_t name_len = (size_t)(nul - key);
    if (len != name_len + 17 || name_len >= CL_MEASURE_SZ)
        return CL_ERR_CORRUPT;
    if (cl_be64_get(key + name_len + 9) != c->pid)
        return CL_OK;
    if (CL_VEC_GROW(c->out->measures, c->out->n_measures, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    cl_measure_value *m = &c->out->measures[c->out->n_measures];
    memset(m, 0, sizeof(*m));
    memcpy(m->name, key, name_len);
    uint64_t pid;
    int rc = cl_mdt_measure_val(c->t, key, len, name_len, m->period, &pid,
                                &m->value);
    if (rc == CL_OK) {
        cl_audit_pid_str(m->person_id, pid);
        c->out->n_measures++;
    }
    return rc;
}

int cl_mdt_dp_subject(cl_txn *t, uint64_t pid, int64_t now,
                      cl_subject_access *out)
{
    uint8_t k[8];
    char err[CL_ERROR_SZ];
    cl_be64_put(k, pid);
    s_sar_ctx c = {t, pid, out, 0};
    int rc = cl_store_scan(t, CL_DB_PERSON_AGENDA, k, 8, s_sar_place, &c);
    if (rc == CL_OK) {
        cl_action_query aq;
        cl_mdt_acts a;
        memset(&aq, 0, sizeof(aq));
        rc = cl_mdt_actions_walk(t, &aq, 0, pid, now, NULL, &out->actions, NULL,
                                 &a);
    }
    if (rc == CL_OK) {
        cl_rag_set q;
        memset(&q, 0, sizeof(q));
        cl_audit_pid_str(q.person_id, pid);
        rc = cl_mdt_rag_of(t, &q, &out->rag, err);
    }
    if (rc == CL_OK) {
        s_sar_ms m = {t, pid, out, 0};
        rc = cl_store_scan(t, CL_DB_MEASURE, NULL, 0, s_sar_measure, &m);
    }
    return rc;
}

/* --- retention: what keeps a person live, and their removal ------------- */

typedef struct s_live_ctx {
    cl_txn *t;
    const char *since;
    cl_ids *actions, *agenda;
    uint8_t *buf;
    uint64_t pid; /* purge: the person */
    cl_ids dead;  /* purge: action ids, or keys collected */
} s_live_ctx;

static int s_live_action(void *ctx, const uint8_t *key, size_t len)
{
    s_live_ctx *c = ctx;
    uint64_t mdt, pid;
    cl_action a;
    int rc = cl_mdt_action_read(c->t, key, len, c->buf, &a, &mdt, &pid);
    uint8_t status = a.status;
    sodium_memzero(&a, sizeof(a));
    if (rc != CL_OK)
        return rc;
    if (c->actions && status == CL_ACTION_OPEN)
        return cl_idset_add(c->actions, pid);
    if (!c->actions && pid == c->pid)
        return cl_idset_add(&c->dead, cl_be64_get(key));
    return CL_OK;
}

/* person_agenda: person id || MDT id -> "" */
static int s_live_place(void *ctx, const uint8_t *key, size_t len)
{
    s_live_ctx *c = ctx;
    char id[CL_REF_SZ], err[CL_ERROR_SZ];
    cl_review_new r;
    uint64_t mdt;
    if (len != 16)
        return CL_ERR_CORRUPT;
    (void)cl_id_format(id, sizeof(id), CL_ID_REVIEW, cl_be64_get(key + 8));
    int rc = cl_mdt_review_get(c->t, id, &mdt, &r, err);
    if (rc == CL_OK && strcmp(r.date, c->since) >= 0)
        rc = cl_idset_add(c->agenda, cl_be64_get(key));
    return rc;
}

int cl_mdt_dp_live(cl_txn *t, const char *since, cl_ids *actions,
                   cl_ids *agenda)
{
    s_live_ctx c = {.t = t,
                    .since = since,
                    .actions = actions,
                    .agenda = agenda,
                    .buf = malloc(CL_MDT_ACT_BUF)};
    if (!c.buf)
        return CL_ERR_NOMEM;
    int rc = cl_store_scan(t, CL_DB_ACTION, NULL, 0, s_live_action, &c);
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_PERSON_AGENDA, NULL, 0, s_live_place, &c);
    free(c.buf);
    return rc;
}

static int s_del_ok(cl_txn *t, cl_db db, const uint8_t *k, size_t len)
{
    int rc = cl_store_del(t, db, k, len);
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

static int s_collect_suffix(void *ctx, const uint8_t *key, size_t len)
{
    s_live_ctx *c = ctx;
    if (len < 8)
        return CL_ERR_CORRUPT;
    return cl_idset_add(&c->dead, cl_be64_get(key + len - 8));
}

/* measure: name NUL month NUL person id -> value; keys are collected
 * whole into c->buf as (len, key) pairs. */
typedef struct s_mkeys {
    uint64_t pid;
    uint8_t *v;
    size_t n, cap;
} s_mkeys;

static int s_measure_of(void *ctx, const uint8_t *key, size_t len)
{
    s_mkeys *m = ctx;
    if (len < 8 || len > 255 || cl_be64_get(key + len - 8) != m->pid)
        return CL_OK;
    if (cl_vec_reserve(&m->v, &m->cap, m->n + len + 1, 1) != CL_OK)
        return CL_ERR_NOMEM;
    m->v[m->n++] = (uint8_t)len;
    memcpy(m->v + m->n, key, len);
    m->n += len;
    return CL_OK;
}

int cl_mdt_dp_purge(cl_txn *t, uint64_t pid, cl_names *names)
{
    uint8_t k[16];
    char id[CL_REF_SZ];
    s_live_ctx c = {.t = t, .pid = pid, .buf = malloc(CL_MDT_ACT_BUF)};
    if (!c.buf)
        return CL_ERR_NOMEM;
    /* actions about the person */
    int rc = cl_store_scan(t, CL_DB_ACTION, NULL, 0, s_live_action, &c);
    for (size_t i = 0; i < c.dead.n && rc == CL_OK; i++) {
        cl_be64_put(k, c.dead.v[i]);
        (void)cl_id_format(id, sizeof(id), CL_ID_ACTION, c.dead.v[i]);
        rc = s_del_ok(t, CL_DB_ACTION, k, 8);
        if (rc == CL_OK)
            rc = cl_idset_names_add(names, id);
    }
    free(c.buf);
    /* agenda places: the row, the note, the discussion; the review keeps
     * a count so that its pack says people were removed */
    c.dead.n = 0;
    cl_be64_put(k, pid);
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_PERSON_AGENDA, k, 8, s_collect_suffix, &c);
    for (size_t i = 0; i < c.dead.n && rc == CL_OK; i++) {
        uint64_t mdt = c.dead.v[i];
        cl_be64_put(k, mdt);
        cl_be64_put(k + 8, pid);
        if ((rc = s_del_ok(t, CL_DB_AGENDA, k, 16)) == CL_OK &&
            (rc = s_del_ok(t, CL_DB_AGENDA_NOTE, k, 16)) == CL_OK &&
            (rc = s_del_ok(t, CL_DB_DISCUSSION, k, 16)) == CL_OK)
            rc = cl_mdt_purged_count(t, mdt, 1, NULL);
        cl_be64_put(k, pid);
        cl_be64_put(k + 8, mdt);
        if (rc == CL_OK)
            rc = s_del_ok(t, CL_DB_PERSON_AGENDA, k, 16);
    }
    /* every RAG rating of the person */
    uint8_t rk[17];
    rk[0] = 'P';
    cl_be64_put(rk + 1, pid);
    c.dead.n = 0;
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_RAG, rk, 9, s_collect_suffix, &c);
    for (size_t i = 0; i < c.dead.n && rc == CL_OK; i++) {
        cl_be64_put(rk + 9, c.dead.v[i]);
        rc = s_del_ok(t, CL_DB_RAG, rk, 17);
    }
    /* every measure value of the person */
    s_mkeys m = {.pid = pid};
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_MEASURE, NULL, 0, s_measure_of, &m);
    for (size_t i = 0; i < m.n && rc == CL_OK;) {
        size_t len = m.v[i++];
        rc = s_del_ok(t, CL_DB_MEASURE, m.v + i, len);
        i += len;
    }
    free(m.v);
    cl_idset_free(&c.dead);
    return rc;
}

int cl_mdt_dp_decode_check(cl_db db, const uint8_t *buf, size_t len)
{
    if (db == CL_DB_ACTION) {
        cl_action *a = malloc(sizeof(*a));
        uint64_t mdt, pid;
        if (!a)
            return CL_ERR_NOMEM;
        int rc = cl_mdt_action_dec(buf, len, 1, a, &mdt, &pid);
        free(a);
        return rc;
    }
    if (db == CL_DB_RAG) {
        cl_rag_entry e;
        return cl_mdt_rag_dec(buf, len, &e);
    }
    if (db == CL_DB_MEETING) {
        cl_meeting *m = calloc(1, sizeof(*m));
        if (!m)
            return CL_ERR_NOMEM;
        int rc = cl_mdt_meeting_dec(buf, len, m);
        free(m);
        return rc;
    }
    cl_dec d = cl_dec_init(buf, len);
    if (cl_dec_u8(&d) != S_VERSION)
        d.bad = true;
    if (db == CL_DB_DISCUSSION) {
        cl_pack_item *it = malloc(sizeof(*it));
        char by[CL_AGENCY_SZ];
        if (!it)
            return CL_ERR_NOMEM;
        CL_DEC_STR(&d, it->discussion);
        CL_DEC_STR(&d, it->decisions);
        (void)cl_dec_i64(&d);
        CL_DEC_STR(&d, by);
        free(it);
    } else if (db == CL_DB_MEASURE_DEF) {
        cl_measure_def m;
        d.pos = 0; /* the definition reads its own version byte */
        cl_mdt_measure_def_dec(&d, &m);
    } else {
        (void)cl_dec_f64(&d);
    }
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}
