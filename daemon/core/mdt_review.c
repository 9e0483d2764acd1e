/*
 * mdt_review: the extended MDT's reviews as core keeps them: creating a
 * review, putting people on its agenda, the review record itself, and the
 * derived outcome measures and monthly referral counts mdt.c reports.
 * Layer 4 (the MDT workspace): called by nothing below it.
 */
#include "mdt_review.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "alerts.h"
#include "audit.h"
#include "cl_vec.h"
#include "purpose.h"
#include "records.h"
#include "ids.h"

int cl_mdt_review_create(cl_op *op, const cl_review_new *r,
                         cl_publish_result *out)
{
    uint8_t buf[CL_NOTE_SZ + CL_REVIEW_AGENCIES * CL_AGENCY_SZ + 256], k[8];
    uint64_t id;
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ, "reviews need the coordinator role");
        return CL_ERR_DENIED;
    }
    if (!cl_date_valid(r->date) || !r->title[0]) {
        snprintf(op->err, CL_ERROR_SZ, "%s",
                 !r->date[0]    ? "date is required: the day the review meets"
                 : !r->title[0] ? "title is required"
                                : "date: not a real date (YYYY-MM-DD)");
        return CL_ERR_INVALID;
    }
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, CL_RECORDS_VERSION);
    cl_enc_str(&e, r->date);
    cl_enc_str(&e, r->title);
    cl_enc_u32(&e, r->n_agencies);
    for (uint32_t i = 0; i < r->n_agencies && i < CL_REVIEW_AGENCIES; i++)
        cl_enc_str(&e, r->agencies[i]);
    cl_enc_str(&e, op->who->name);
    cl_enc_i64(&e, op->now);
    int rc = cl_store_next_id(op->t, "mdt", &id);
    if (rc != CL_OK)
        return rc;
    cl_records_key(k, id);
    if (!cl_enc_ok(&e) ||
        (rc = cl_store_put(op->t, CL_DB_MDT, k, 8, buf, e.len)) != CL_OK)
        return cl_enc_ok(&e) ? rc : CL_ERR_INTERNAL;
    (void)cl_id_format(out->reference, sizeof(out->reference), CL_ID_REVIEW,
                       id);
    CL_COPY(op->note.detail, out->reference);
    return CL_OK;
}

/* Whether any agency has referred person pid (a referral behind an
 * agenda place). */
int cl_mdt_review_agenda_add(cl_op *op, const cl_agenda_add *a,
                             cl_publish_result *out)
{
    uint64_t id, pid;
    uint8_t k[16];
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ, "reviews need the coordinator role");
        return CL_ERR_DENIED;
    }
    if (a->reason == 0) {
        snprintf(op->err, CL_ERROR_SZ,
                 "a reason is required (gp_concern, "
                 "police_high_level_user, ...)");
        return CL_ERR_INVALID;
    }
    if (a->reason == CL_AGENDA_MAX && !a->note[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "note: with reason other, say why the person is listed");
        return CL_ERR_INVALID;
    }
    int rc = cl_records_mdt_id(op->t, a->review_id, &id, op->err);
    if (rc != CL_OK)
        return rc;
    rc = cl_records_resolve(op->t, a->who.person_id, &a->who.match, &pid,
                            op->err);
    bool referred = false;
    if (rc == CL_OK) {
        cl_records_note_person(&op->note, pid);
        if ((rc = cl_purpose_referred(op->t, pid, &referred)) != CL_OK)
            return rc;
    } else if (rc != CL_ERR_NOT_FOUND) {
        return rc;
    }
    snprintf(op->note.purpose, sizeof(op->note.purpose), "agenda of %s: %s",
             a->review_id, cl_agenda_name(a->reason));
    CL_COPY(op->note.detail, a->review_id);
    /* Nobody referred this person (or nobody knows them: the same answer,
     * so an agenda is no existence test): listing them is break-glass. */
    if (!referred) {
        char why[CL_NOTE_SZ];
        if (!cl_caseview_break_glass(
                &op->note, a->access_reason, a->justification,
                "add_to_agenda: no agency has referred this "
                "person, so",
                op->err))
            return CL_ERR_INVALID;
        snprintf(why, sizeof(why), "agenda of %s: %s; break-glass %.880s",
                 a->review_id, cl_agenda_name(a->reason), op->note.purpose);
        CL_COPY(op->note.purpose, why);
    }
    if (rc == CL_ERR_NOT_FOUND)
        return rc;
    cl_records_key(k, id);
    cl_records_key(k + 8, pid);
    rc = cl_store_put_raw(op->t, CL_DB_AGENDA, k, 16, &a->reason, 1);
    if (rc == CL_OK && a->note[0]) {
        uint8_t buf[CL_NOTE_SZ + 8];
        cl_enc e = cl_enc_init(buf, sizeof(buf));
        cl_enc_u8(&e, CL_RECORDS_VERSION);
        cl_enc_str(&e, a->note);
        rc = cl_enc_ok(&e)
                 ? cl_store_put(op->t, CL_DB_AGENDA_NOTE, k, 16, buf, e.len)
                 : CL_ERR_INTERNAL;
        sodium_memzero(buf, e.len);
    }
    cl_records_key(k, pid);
    cl_records_key(k + 8, id);
    if (rc == CL_OK)
        rc = cl_store_put_raw(op->t, CL_DB_PERSON_AGENDA, k, 16, NULL, 0);
    if (rc == CL_OK)
        cl_audit_pid_str(out->reference, pid);
    return rc;
}

/* --- lent to mdt.c ----------------------------------------------------------
 */

typedef struct s_rm {
    cl_txn *t;
    int64_t from, to;
    cl_agency_month *v, *va; /* by when it happened; by when it arrived */
    size_t n, cap, na, capa;
    cl_records_referral *sr;
    uint8_t *buf;
} s_rm;

static void s_month_of(int64_t t, char month[CL_MONTH_SZ])
{
    time_t tt = (time_t)t;
    struct tm tm;
    strftime(month, CL_MONTH_SZ, "%Y-%m", gmtime_r(&tt, &tm));
}

static int s_rm_add(cl_agency_month **v, size_t *n, size_t *cap,
                    const char *agency, int64_t t)
{
    char month[CL_MONTH_SZ];
    s_month_of(t, month);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i].month, month) && !strcmp((*v)[i].agency, agency)) {
            (*v)[i].referrals++;
            return CL_OK;
        }
    cl_agency_month *m = CL_VEC_ADD(*v, *n, *cap);
    if (!m)
        return CL_ERR_NOMEM;
    CL_COPY(m->agency, agency);
    CL_COPY(m->month, month);
    m->referrals = 1;
    return CL_OK;
}

static int s_rm_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rm *c = ctx;
    size_t vlen = 0;
    int rc = cl_store_get(c->t, CL_DB_REFERRAL, key, len, c->buf,
                          CL_RECORDS_BUF, &vlen);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(c->buf, vlen);
    cl_records_referral_dec(&d, c->sr);
    sodium_memzero(c->buf, vlen);
    if (!cl_dec_ok(&d))
        return CL_ERR_CORRUPT;
    if (c->sr->withdrawn)
        return CL_OK;
    int64_t happened =
        c->sr->r.occurred_at ? c->sr->r.occurred_at : c->sr->received;
    if (happened >= c->from && happened < c->to &&
        (rc = s_rm_add(&c->v, &c->n, &c->cap, c->sr->agency, happened)) !=
            CL_OK)
        return rc;
    if (c->sr->received >= c->from && c->sr->received < c->to)
        rc = s_rm_add(&c->va, &c->na, &c->capa, c->sr->agency, c->sr->received);
    return rc;
}

int cl_mdt_review_referrals_by_month(cl_txn *t, int64_t from, int64_t to,
                                     cl_agency_month **v, size_t *n,
                                     cl_agency_month **va, size_t *na)
{
    s_rm c = {.t = t,
              .from = from,
              .to = to,
              .sr = calloc(1, sizeof(cl_records_referral)),
              .buf = malloc(CL_RECORDS_BUF)};
    int rc = c.sr && c.buf
                 ? cl_store_scan(t, CL_DB_REFERRAL, NULL, 0, s_rm_one, &c)
                 : CL_ERR_NOMEM;
    if (c.sr)
        sodium_memzero(c.sr, sizeof(cl_records_referral));
    free(c.sr);
    free(c.buf);
    if (rc != CL_OK) {
        free(c.v);
        free(c.va);
        c.v = c.va = NULL;
        c.n = c.na = 0;
    }
    *v = c.v;
    *n = c.n;
    *va = c.va;
    *na = c.na;
    return rc;
}

/* --- derived outcome measures ---------------------------------------------
 * Counted from what the store holds, for each person on the MDT caseload
 * (anyone on a review's agenda), per month. */

typedef struct s_dm {
    cl_txn *t;
    const cl_measure_def *def;
    uint64_t *cohort; /* person ids, ascending */
    size_t n_cohort, cap_cohort;
    struct {
        char month[CL_MONTH_SZ];
        uint64_t count;
    } * months;
    size_t n_months, cap_months;
    cl_records_referral *sr;
    uint8_t *buf;
} s_dm;

static int s_dm_count(s_dm *c, int64_t t)
{
    char month[CL_MONTH_SZ];
    s_month_of(t, month);
    for (size_t i = 0; i < c->n_months; i++)
        if (!strcmp(c->months[i].month, month)) {
            c->months[i].count++;
            return CL_OK;
        }
    if (CL_VEC_GROW(c->months, c->n_months, c->cap_months) != CL_OK)
        return CL_ERR_NOMEM;
    CL_COPY(c->months[c->n_months].month, month);
    c->months[c->n_months++].count = 1;
    return CL_OK;
}

static bool s_dm_in_cohort(const s_dm *c, uint64_t pid)
{
    size_t lo = 0, hi = c->n_cohort;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->cohort[mid] == pid)
            return true;
        if (c->cohort[mid] < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* person id || review id, in order: each person once. */
static int s_dm_cohort(void *ctx, const uint8_t *key, size_t len)
{
    s_dm *c = ctx;
    if (len != 16)
        return CL_ERR_CORRUPT;
    uint64_t pid = cl_be64_get(key);
    if (c->n_cohort && c->cohort[c->n_cohort - 1] == pid)
        return CL_OK;
    uint64_t *slot = CL_VEC_ADD(c->cohort, c->n_cohort, c->cap_cohort);
    if (!slot)
        return CL_ERR_NOMEM;
    *slot = pid;
    return CL_OK;
}

/* Attendances: each agenda place, in the month of its review's date. */
static int s_dm_attendance(void *ctx, const uint8_t *key, size_t len)
{
    s_dm *c = ctx;
    char rid[CL_REF_SZ], err[CL_ERROR_SZ];
    cl_review_new rv;
    uint64_t id;
    if (len != 16)
        return CL_ERR_CORRUPT;
    (void)cl_id_format(rid, sizeof(rid), CL_ID_REVIEW, cl_be64_get(key + 8));
    int rc = cl_mdt_review_get(c->t, rid, &id, &rv, err);
    if (rc != CL_OK)
        return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = atoi(rv.date) - 1900;
    tm.tm_mon = atoi(rv.date + 5) - 1;
    tm.tm_mday = atoi(rv.date + 8);
    return s_dm_count(c, (int64_t)timegm(&tm));
}

/* Referrals of the measure's category and agency kind about the cohort,
 * by when they happened. */
static int s_dm_referral(void *ctx, const uint8_t *key, size_t len)
{
    s_dm *c = ctx;
    size_t vlen = 0;
    cl_records_record rec;
    int rc = cl_store_get(c->t, CL_DB_REFERRAL, key, len, c->buf,
                          CL_RECORDS_BUF, &vlen);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(c->buf, vlen);
    cl_records_referral_dec(&d, c->sr);
    sodium_memzero(c->buf, vlen);
    if (!cl_dec_ok(&d))
        return CL_ERR_CORRUPT;
    if (c->sr->withdrawn ||
        (c->def->category && c->sr->r.category != c->def->category) ||
        (c->def->agency_kind[0] &&
         strcmp(c->sr->kind, c->def->agency_kind) != 0))
        return CL_OK;
    if ((rc = cl_records_record_get(c->t, c->sr->record_id, &rec)) != CL_OK)
        return rc;
    uint64_t pid = rec.person_id;
    sodium_memzero(&rec, sizeof(rec));
    if (!s_dm_in_cohort(c, pid))
        return CL_OK;
    return s_dm_count(c, c->sr->r.occurred_at ? c->sr->r.occurred_at
                                              : c->sr->received);
}

/* Alerts: each delivery about a referral on the caseload, in the month
 * the referral's event happened (as referrals are counted). */
static int s_dm_alert(void *ctx, const cl_refs_ref *r, int64_t at)
{
    (void)at;
    return s_dm_count(ctx, r->occurred_at ? r->occurred_at : r->received_at);
}

int cl_mdt_review_measure_derived(cl_txn *t, const cl_measure_def *def,
                                  cl_measure_summary *ms, uint64_t *people)
{
    s_dm c = {.t = t, .def = def};
    int rc = cl_store_scan(t, CL_DB_PERSON_AGENDA, NULL, 0, s_dm_cohort, &c);
    if (rc == CL_OK && !strcmp(def->source, "attendances")) {
        rc =
            cl_store_scan(t, CL_DB_PERSON_AGENDA, NULL, 0, s_dm_attendance, &c);
    } else if (rc == CL_OK && !strcmp(def->source, "alerts")) {
        for (size_t i = 0; rc == CL_OK && i < c.n_cohort; i++)
            rc = cl_alerts_each_delivered(t, c.cohort[i], s_dm_alert, &c);
    } else if (rc == CL_OK) {
        c.sr = calloc(1, sizeof(*c.sr));
        c.buf = malloc(CL_RECORDS_BUF);
        rc = c.sr && c.buf
                 ? cl_store_scan(t, CL_DB_REFERRAL, NULL, 0, s_dm_referral, &c)
                 : CL_ERR_NOMEM;
    }
    double base = 0;
    for (size_t i = 0; rc == CL_OK && i < c.n_months; i++) {
        if (strcmp(c.months[i].month, def->from) >= 0 &&
            strcmp(c.months[i].month, def->to) <= 0)
            base += (double)c.months[i].count;
        for (uint32_t j = 0; j < ms->n_periods; j++)
            if (!strcmp(ms->periods[j].period, c.months[i].month))
                ms->periods[j].total = (double)c.months[i].count;
    }
    ms->baseline_monthly = base; /* the caller divides by the months */
    *people = c.n_cohort;
    if (c.sr)
        sodium_memzero(c.sr, sizeof(*c.sr));
    free(c.sr);
    free(c.buf);
    free(c.cohort);
    free(c.months);
    return rc;
}

void cl_mdt_review_dec(cl_dec *d, void *out)
{
    cl_review_new *r = out;
    char by[CL_CLIENT_SZ];
    memset(r, 0, sizeof(*r));
    if (cl_dec_u8(d) != CL_RECORDS_VERSION)
        d->bad = true;
    CL_DEC_STR(d, r->date);
    CL_DEC_STR(d, r->title);
    r->n_agencies = cl_dec_u32(d);
    if (r->n_agencies > CL_REVIEW_AGENCIES) {
        r->n_agencies = 0;
        d->bad = true;
    }
    for (uint32_t i = 0; i < r->n_agencies; i++)
        CL_DEC_STR(d, r->agencies[i]);
    CL_DEC_STR(d, by);
    (void)cl_dec_i64(d);
}

static int s_review_dec(const uint8_t *buf, size_t len, cl_review_new *r)
{
    cl_dec d = cl_dec_init(buf, len);
    cl_mdt_review_dec(&d, r);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

int cl_mdt_review_get(cl_txn *t, const char *review_id, uint64_t *id,
                      cl_review_new *out, char err[CL_ERROR_SZ])
{
    uint8_t buf[CL_NOTE_SZ + CL_REVIEW_AGENCIES * CL_AGENCY_SZ + 256], k[8];
    size_t len = 0;
    int rc = cl_records_mdt_id(t, review_id, id, err);
    if (rc != CL_OK)
        return rc;
    cl_records_key(k, *id);
    if ((rc = cl_store_get(t, CL_DB_MDT, k, 8, buf, sizeof(buf), &len)) !=
        CL_OK)
        return rc;
    return s_review_dec(buf, len, out);
}

typedef struct s_rh {
    cl_txn *t;
    const char *from, *to;
    int64_t n;
} s_rh;

static int s_rh_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rh *c = ctx;
    uint8_t buf[CL_NOTE_SZ + CL_REVIEW_AGENCIES * CL_AGENCY_SZ + 256];
    size_t vlen = 0;
    cl_review_new r;
    int rc = cl_store_get(c->t, CL_DB_MDT, key, len, buf, sizeof(buf), &vlen);
    if (rc == CL_OK)
        rc = s_review_dec(buf, vlen, &r);
    if (rc == CL_OK && strcmp(r.date, c->from) >= 0 &&
        strcmp(r.date, c->to) <= 0)
        c->n++;
    return rc;
}

int cl_mdt_review_held(cl_txn *t, const char *from, const char *to, int64_t *n)
{
    s_rh c = {t, from, to, 0};
    int rc = cl_store_scan(t, CL_DB_MDT, NULL, 0, s_rh_one, &c);
    *n = c.n;
    return rc;
}
