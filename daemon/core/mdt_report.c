/*
 * mdt_report: outcome measures and the executive's report (see mdt_report.h).
 *
 * Stored records (plaintext before sealing, see store/codec.h):
 *   measure_def name                -> v1, baseline from, baseline to
 *   measure     name NUL month NUL person id -> v1, value
 */
#include "mdt_report.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "casefind.h"
#include "cl_vec.h"
#include "codec.h"
#include "mdt.h"
#include "mdt_action.h"
#include "mdt_review.h"
#include "purpose.h"
#include "records.h"

#define S_VERSION 1

/* --- outcome measures ------------------------------------------------------
 */

void cl_mdt_measure_def_dec(cl_dec *d, cl_measure_def *m)
{
    if (cl_dec_u8(d) != S_VERSION)
        d->bad = true;
    CL_DEC_STR(d, m->from);
    CL_DEC_STR(d, m->to);
    if (d->pos < d->len) { /* derived measures, since they were added */
        CL_DEC_STR(d, m->source);
        m->category = cl_dec_u8(d);
        CL_DEC_STR(d, m->agency_kind);
    }
}

static int s_measure_def_get(cl_txn *t, const char *name, cl_measure_def *m)
{
    uint8_t buf[96];
    size_t len = 0;
    memset(m, 0, sizeof(*m));
    int rc = cl_store_get(t, CL_DB_MEASURE_DEF, (const uint8_t *)name,
                          strlen(name), buf, sizeof(buf), &len);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(buf, len);
    cl_mdt_measure_def_dec(&d, m);
    CL_COPY(m->name, name);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

/* What caselink can count for a derived measure (cl_mdt_review_measure_derived
 * counts each): referrals (of a category, from an agency kind), places on
 * review agendas, safeguarding alerts delivered. */
static const char *const s_sources[] = {"referrals", "attendances", "alerts"};

static bool s_source_known(const char *source)
{
    for (size_t i = 0; i < sizeof(s_sources) / sizeof(s_sources[0]); i++)
        if (!strcmp(source, s_sources[i]))
            return true;
    return false;
}

/* The registry's spelling of a publishing agency kind (any case) into
 * out; false (and out the kinds that publish) if none has it. */
static bool s_publishing_kind(const cl_route_config *rc, const char *kind,
                              char *out, size_t cap)
{
    size_t o = 0;
    for (uint32_t i = 0; i < rc->n_kinds; i++)
        if (!strcasecmp(rc->kinds[i], kind)) {
            cl_copy(out, cap, rc->kinds[i]);
            return true;
        }
    out[0] = '\0';
    for (uint32_t i = 0; i < rc->n_kinds && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%.32s", i ? ", " : "",
                              rc->kinds[i]);
    return false;
}

int cl_mdt_report_define_measure(cl_op *op, const cl_route_config *rc,
                                 const cl_measure_def *m,
                                 cl_publish_result *out)
{
    uint8_t buf[96];
    char kind[CL_ERROR_SZ / 2] = "";
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    const char *bad = !m->name[0]                ? "name: required"
                      : !cl_month_valid(m->from) ? "baseline_from: not a month"
                      : !cl_month_valid(m->to)   ? "baseline_to: not a month"
                      : strcmp(m->from, m->to) > 0
                          ? "baseline_to: before baseline_from"
                          : NULL;
    if (bad) {
        snprintf(op->err, CL_ERROR_SZ,
                 "%s: a measure needs a name and a baseline period "
                 "(YYYY-MM to YYYY-MM, in order)",
                 bad);
        return CL_ERR_INVALID;
    }
    bool refs = !strcmp(m->source, "referrals");
    if (m->source[0] && !s_source_known(m->source)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "source: '%.15s' is not one caselink counts; use "
                 "referrals, attendances or alerts, or leave it out to "
                 "record values by hand",
                 m->source);
        return CL_ERR_INVALID;
    }
    if (!refs && (m->category || m->agency_kind[0])) {
        snprintf(op->err, CL_ERROR_SZ,
                 "category and agency_kind choose referrals: they need "
                 "source referrals");
        return CL_ERR_INVALID;
    }
    if (m->agency_kind[0] &&
        !s_publishing_kind(rc, m->agency_kind, kind, sizeof(kind))) {
        snprintf(op->err, CL_ERROR_SZ,
                 "agency_kind: no registered system of kind '%.32s' "
                 "publishes referrals; the kinds that do: %.120s",
                 m->agency_kind, kind[0] ? kind : "none");
        return CL_ERR_INVALID;
    }
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, S_VERSION);
    cl_enc_str(&e, m->from);
    cl_enc_str(&e, m->to);
    cl_enc_str(&e, m->source);
    cl_enc_u8(&e, m->category);
    cl_enc_str(&e, kind);
    CL_COPY(out->reference, m->name);
    return cl_enc_ok(&e) ? cl_store_put(op->t, CL_DB_MEASURE_DEF,
                                        (const uint8_t *)m->name,
                                        strlen(m->name), buf, e.len)
                         : CL_ERR_INTERNAL;
}

static size_t s_measure_key(uint8_t *k, const char *name, const char *period,
                            uint64_t pid)
{
    size_t n = strlen(name);
    memcpy(k, name, n + 1);
    memcpy(k + n + 1, period, 8); /* YYYY-MM NUL */
    cl_be64_put(k + n + 9, pid);
    return n + 17;
}

int cl_mdt_report_record_measure(cl_op *op, const cl_measure_value *m,
                                 cl_publish_result *out)
{
    uint8_t k[CL_MEASURE_SZ + 32], buf[16];
    uint64_t pid;
    cl_measure_def def;
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    const char *bad = !m->name[0]                  ? "name: required"
                      : !cl_month_valid(m->period) ? "period: not a month"
                      : !isfinite(m->value) || m->value < 0
                          ? "value: not a number of 0 or more"
                          : NULL;
    if (bad) {
        snprintf(op->err, CL_ERROR_SZ,
                 "%s: a value needs a measure name, a month (YYYY-MM) and a "
                 "number of 0 or more",
                 bad);
        return CL_ERR_INVALID;
    }
    int rc = s_measure_def_get(op->t, m->name, &def);
    if (rc == CL_ERR_NOT_FOUND) {
        snprintf(op->err, CL_ERROR_SZ,
                 "no measure '%.64s': define it with its baseline first",
                 m->name);
        return rc;
    }
    if (rc != CL_OK)
        return rc;
    if (def.source[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "'%.64s' is counted by caselink from its %s; it takes no "
                 "values",
                 m->name, def.source);
        return CL_ERR_INVALID;
    }
    /* only a person the partnership works on: no existence test */
    cl_person_ref who;
    memset(&who, 0, sizeof(who));
    CL_COPY(who.person_id, m->person_id);
    cl_purpose_ask a = {&who, NULL, true, "record_measure"};
    if ((rc = cl_purpose_person(op->t, &a, &pid, &op->note, op->err)) != CL_OK)
        return rc;
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, S_VERSION);
    cl_enc_f64(&e, m->value);
    CL_COPY(out->reference, m->name);
    return cl_store_put(op->t, CL_DB_MEASURE, k,
                        s_measure_key(k, m->name, m->period, pid), buf, e.len);
}

/* --- the report ----------------------------------------------------------- */

/* A count of people as reported: under thr (but not none) it is -1. */
static int64_t s_sup(int64_t v, uint32_t thr)
{
    return v > 0 && v < (int64_t)thr ? -1 : v;
}

/* How many months from..to (YYYY-MM) holds, both counted. */
static int s_month_span(const char *from, const char *to)
{
    return (atoi(to) - atoi(from)) * 12 + (atoi(to + 5) - atoi(from + 5)) + 1;
}

/* Months from..to (YYYY-MM), at most max, the latest kept. */
static uint32_t s_months(const char *from, const char *to,
                         char out[][CL_MONTH_SZ], uint32_t max)
{
    int y = atoi(from), m = atoi(from + 5);
    int ty = atoi(to), tm = atoi(to + 5);
    uint32_t n = 0;
    while (y < ty || (y == ty && m <= tm)) {
        if (n == max) {
            memmove(out[0], out[1], (max - 1) * CL_MONTH_SZ);
            n--;
        }
        snprintf(out[n++], CL_MONTH_SZ, "%04u-%02u", (unsigned)y % 10000u,
                 (unsigned)m % 100u);
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    return n;
}

/* One stored value of a measure: its month and person from the key
 * (name NUL month NUL person), its value from the store. */
int cl_mdt_measure_val(cl_txn *t, const uint8_t *key, size_t len,
                       size_t name_len, char period[CL_MONTH_SZ], uint64_t *pid,
                       double *v)
{
    uint8_t buf[16];
    size_t vlen = 0;
    if (len != name_len + 17)
        return CL_ERR_CORRUPT;
    memcpy(period, key + name_len + 1, CL_MONTH_SZ);
    period[CL_MONTH_SZ - 1] = '\0';
    *pid = cl_be64_get(key + name_len + 9);
    int rc = cl_store_get(t, CL_DB_MEASURE, key, len, buf, sizeof(buf), &vlen);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(buf, vlen);
    if (cl_dec_u8(&d) != S_VERSION)
        d.bad = true;
    *v = cl_dec_f64(&d);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

typedef struct s_ms {
    cl_txn *t;
    cl_measure_summary *ms;
    size_t name_len;
    double base_sum;
    uint64_t *base_people;
    size_t n_base, cap_base;
    uint64_t per_people[CL_PERIODS_MAX];
} s_ms;

static int s_ms_one(void *ctx, const uint8_t *key, size_t len)
{
    s_ms *c = ctx;
    char period[CL_MONTH_SZ];
    uint64_t pid;
    double v;
    int rc = cl_mdt_measure_val(c->t, key, len, c->name_len, period, &pid, &v);
    if (rc != CL_OK)
        return rc;
    if (strcmp(period, c->ms->from) >= 0 && strcmp(period, c->ms->to) <= 0) {
        c->base_sum += v;
        if (CL_VEC_PUSH(c->base_people, c->n_base, c->cap_base, pid) != CL_OK)
            return CL_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < c->ms->n_periods; i++)
        if (!strcmp(c->ms->periods[i].period, period)) {
            c->ms->periods[i].total += v;
            c->per_people[i]++; /* one value per person per month */
        }
    return CL_OK;
}

static int s_u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct s_rep {
    cl_txn *t;
    cl_report *out;
    size_t cap, ws_cap; /* of out->measures, out->workstreams */
    char months[CL_PERIODS_MAX][CL_MONTH_SZ];
    uint32_t n_months;
    uint32_t thr;
    int64_t from, to; /* unix seconds, [from, to) */
    /* RAG walk: the last entry of the subject being read */
    uint8_t cur[CL_NAME_SZ + 2];
    size_t cur_len;
    cl_rag_entry last;
    bool have_last, last_person;
} s_rep;

static int s_measure_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rep *c = ctx;
    char name[CL_MEASURE_SZ];
    cl_report *r = c->out;
    if (len >= sizeof(name))
        return CL_ERR_CORRUPT;
    memcpy(name, key, len);
    name[len] = '\0';
    /* counted in (n_measures) only once it is read whole */
    if (CL_VEC_GROW(r->measures, r->n_measures, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    cl_measure_summary *ms = &r->measures[r->n_measures];
    memset(ms, 0, sizeof(*ms));
    cl_measure_def def;
    int rc = s_measure_def_get(c->t, name, &def);
    if (rc != CL_OK)
        return rc;
    CL_COPY(ms->name, name);
    CL_COPY(ms->from, def.from);
    CL_COPY(ms->to, def.to);
    for (uint32_t i = 0; i < c->n_months; i++)
        CL_COPY(ms->periods[ms->n_periods++].period, c->months[i]);
    CL_COPY(ms->source, def.source);
    ms->category = def.category;
    CL_COPY(ms->agency_kind, def.agency_kind);
    s_ms m = {.t = c->t, .ms = ms, .name_len = len};
    if (def.source[0]) { /* counted by caselink: everyone on the caseload */
        uint64_t people = 0;
        rc = cl_mdt_review_measure_derived(c->t, &def, ms, &people);
        int nb = s_month_span(def.from, def.to);
        ms->has_values = people > 0;
        ms->baseline_people = s_sup((int64_t)people, c->thr);
        ms->baseline_monthly =
            ms->baseline_people < 0 || nb <= 0 ? -1 : ms->baseline_monthly / nb;
        for (uint32_t i = 0; i < ms->n_periods; i++) {
            ms->periods[i].people = ms->baseline_people;
            if (ms->baseline_people < 0)
                ms->periods[i].total = -1;
        }
        if (rc == CL_OK)
            r->n_measures++;
        return rc;
    }
    uint8_t prefix[CL_MEASURE_SZ + 1];
    memcpy(prefix, name, len + 1);
    rc = cl_store_scan(c->t, CL_DB_MEASURE, prefix, len + 1, s_ms_one, &m);
    if (rc == CL_OK) {
        int nb = s_month_span(def.from, def.to);
        if (m.n_base > 1)
            qsort(m.base_people, m.n_base, sizeof(uint64_t), s_u64cmp);
        int64_t people = 0;
        for (size_t i = 0; i < m.n_base; i++)
            people += i == 0 || m.base_people[i] != m.base_people[i - 1];
        ms->baseline_people = s_sup(people, c->thr);
        ms->baseline_monthly = ms->baseline_people < 0 || nb <= 0 ? -1
                               : people == 0                      ? 0
                                             : m.base_sum / nb;
        for (uint32_t i = 0; i < ms->n_periods; i++) {
            ms->periods[i].people = s_sup((int64_t)m.per_people[i], c->thr);
            ms->has_values |= m.per_people[i] > 0;
            if (ms->periods[i].people < 0)
                ms->periods[i].total = -1;
        }
        ms->has_values |= people > 0;
        r->n_measures++;
    }
    free(m.base_people);
    return rc;
}

/* Close the subject whose entries were just read. */
static int s_rag_close(s_rep *c)
{
    if (!c->have_last)
        return CL_OK;
    c->have_last = false;
    cl_report *r = c->out;
    if (c->last_person) {
        r->rag[c->last.rating]++;
        return CL_OK;
    }
    return CL_VEC_PUSH(r->workstreams, r->n_workstreams, c->ws_cap, c->last);
}

static int s_rag_walk(void *ctx, const uint8_t *key, size_t len)
{
    s_rep *c = ctx;
    uint8_t buf[CL_MDT_RAG_MAX];
    size_t vlen = 0;
    if (len < 10 || len - 8 > sizeof(c->cur))
        return CL_ERR_CORRUPT;
    size_t sl = len - 8;
    if (!c->have_last || sl != c->cur_len || memcmp(c->cur, key, sl) != 0) {
        int rc = s_rag_close(c);
        if (rc != CL_OK)
            return rc;
        memcpy(c->cur, key, sl);
        c->cur_len = sl;
    }
    int rc = cl_store_get(c->t, CL_DB_RAG, key, len, buf, sizeof(buf), &vlen);
    if (rc != CL_OK)
        return rc;
    memset(&c->last, 0, sizeof(c->last));
    if ((rc = cl_mdt_rag_dec(buf, vlen, &c->last)) != CL_OK)
        return rc;
    c->last_person = key[0] == 'P';
    if (!c->last_person) /* workstream names are not personal data */
        cl_copy(c->last.subject, CL_NAME_SZ, (const char *)key + 1);
    c->have_last = true;
    if (c->last.at >= c->from && c->last.at < c->to)
        c->out->rag_changes++;
    return CL_OK;
}

static int s_caseload(void *ctx, const uint8_t *key, size_t len)
{
    s_rep *c = ctx;
    if (len != 16)
        return CL_ERR_CORRUPT;
    /* person id || review id, in order: count each person once */
    if (!c->have_last || memcmp(c->cur, key, 8) != 0) {
        memcpy(c->cur, key, 8);
        c->have_last = true;
        c->out->caseload++;
    }
    return CL_OK;
}

static int64_t s_day(const char *date, bool end)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = atoi(date) - 1900;
    tm.tm_mon = atoi(date + 5) - 1;
    tm.tm_mday = atoi(date + 8) + (end ? 1 : 0);
    return (int64_t)timegm(&tm);
}

int cl_mdt_report_figures(cl_op *op, uint32_t suppress_below,
                          const cl_report_query *q, cl_report *out)
{
    memset(out, 0, sizeof(*out));
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    if ((q->from[0] && !cl_date_valid(q->from)) ||
        (q->to[0] && !cl_date_valid(q->to))) {
        snprintf(op->err, CL_ERROR_SZ, "from and to are dates (YYYY-MM-DD)");
        return CL_ERR_INVALID;
    }
    if (q->to[0])
        CL_COPY(out->to, q->to);
    else
        cl_records_date(op->now, out->to);
    if (q->from[0])
        CL_COPY(out->from, q->from);
    else
        cl_records_date(op->now - 365 * 86400, out->from);
    if (strcmp(out->from, out->to) > 0) {
        snprintf(op->err, CL_ERROR_SZ,
                 "to: before from (from must not be after to)");
        return CL_ERR_INVALID;
    }
    out->made_at = op->now;
    out->suppress_below = suppress_below;
    s_rep *c = calloc(1, sizeof(*c));
    if (!c)
        return CL_ERR_NOMEM;
    c->t = op->t;
    c->out = out;
    c->thr = suppress_below;
    c->from = s_day(out->from, false);
    c->to = s_day(out->to, true);
    char fm[CL_MONTH_SZ], tm_[CL_MONTH_SZ];
    cl_copy(fm, sizeof(fm), out->from);
    cl_copy(tm_, sizeof(tm_), out->to);
    c->n_months = s_months(fm, tm_, c->months, CL_PERIODS_MAX);

    int rc = cl_mdt_review_referrals_by_month(
        op->t, c->from, c->to, &out->referrals, &out->n_referrals,
        &out->arrived, &out->n_arrived);
    /* A referral is about a person: a small count of them can point at
     * one, so referral cells are suppressed like counts of people. */
    for (size_t i = 0; rc == CL_OK && i < out->n_referrals; i++)
        out->referrals[i].referrals =
            s_sup(out->referrals[i].referrals, c->thr);
    for (size_t i = 0; rc == CL_OK && i < out->n_arrived; i++)
        out->arrived[i].referrals = s_sup(out->arrived[i].referrals, c->thr);
    if (rc == CL_OK)
        rc = cl_mdt_review_held(op->t, out->from, out->to, &out->reviews_held);
    if (rc == CL_OK)
        rc = cl_store_scan(op->t, CL_DB_PERSON_AGENDA, NULL, 0, s_caseload, c);
    c->have_last = false;
    cl_mdt_acts a;
    cl_action_query aq;
    memset(&a, 0, sizeof(a));
    memset(&aq, 0, sizeof(aq));
    if (rc == CL_OK)
        rc = cl_mdt_actions_walk(op->t, &aq, 0, 0, op->now, NULL, NULL, NULL,
                                 &a);
    out->actions_open = a.counts[CL_ACTION_OPEN];
    out->actions_done = a.counts[CL_ACTION_DONE];
    out->actions_cancelled = a.counts[CL_ACTION_CANCELLED];
    out->actions_overdue = a.overdue;
    if (rc == CL_OK)
        rc = cl_store_scan(op->t, CL_DB_RAG, NULL, 0, s_rag_walk, c);
    if (rc == CL_OK)
        rc = s_rag_close(c);
    c->cap = 0;
    if (rc == CL_OK)
        rc = cl_store_scan(op->t, CL_DB_MEASURE_DEF, NULL, 0, s_measure_one, c);
    if (rc == CL_OK) {
        cl_case_finding_result cf;
        rc = cl_casefind_overlap(op->t, op->now, c->thr, &cf);
        out->overlap = cf.overlap;
        out->n_overlap = cf.n_overlap;
        free(cf.users);
    }
    /* Counts of people (and of cases, each a person) are suppressed;
     * counts of meetings, actions and rating changes are not: they say
     * how much work was done, not who it was about. */
    out->caseload = s_sup(out->caseload, c->thr);
    for (int g = 1; g <= CL_RAG_MAX; g++)
        out->rag[g] = s_sup(out->rag[g], c->thr);
    for (size_t i = 0; i < out->n_workstreams; i++)
        out->workstreams[i].by[0] = '\0';
    free(c);
    if (rc != CL_OK)
        cl_report_clear(out);
    snprintf(op->note.purpose, sizeof(op->note.purpose),
             "report %s to %s (aggregate)", q->from, q->to);
    return rc;
}

/* --- one person's measures (for the pack) ----------------------------------
 */

typedef struct s_pm {
    cl_txn *t;
    uint64_t pid;
    size_t name_len;
    cl_measure_summary *ms;
    double base_sum;
    bool any;
    cl_pack_item *it;
} s_pm;

static int s_pm_value(void *ctx, const uint8_t *key, size_t len)
{
    s_pm *c = ctx;
    char period[CL_MONTH_SZ];
    uint64_t pid;
    double v;
    int rc = cl_mdt_measure_val(c->t, key, len, c->name_len, period, &pid, &v);
    if (rc != CL_OK || pid != c->pid)
        return rc;
    c->any = true;
    cl_measure_summary *ms = c->ms;
    if (strcmp(period, ms->from) >= 0 && strcmp(period, ms->to) <= 0) {
        c->base_sum += v;
    } else if (strcmp(period, ms->to) > 0) { /* in month order: keep 12 */
        if (ms->n_periods == 12) {
            memmove(&ms->periods[0], &ms->periods[1],
                    11 * sizeof(ms->periods[0]));
            ms->n_periods--;
        }
        cl_period_value *pv = &ms->periods[ms->n_periods++];
        CL_COPY(pv->period, period);
        pv->total = v;
        pv->people = 1;
    }
    return CL_OK;
}

static int s_pm_def(void *ctx, const uint8_t *key, size_t len)
{
    s_pm *c = ctx;
    cl_measure_def def;
    char name[CL_MEASURE_SZ];
    uint8_t prefix[CL_MEASURE_SZ + 1];
    if (len >= sizeof(name))
        return CL_ERR_CORRUPT;
    if (c->it->n_measures == 8)
        return 1;
    memcpy(name, key, len);
    name[len] = '\0';
    int rc = s_measure_def_get(c->t, name, &def);
    if (rc != CL_OK)
        return rc;
    cl_measure_summary *ms = &c->it->measures[c->it->n_measures];
    memset(ms, 0, sizeof(*ms));
    CL_COPY(ms->name, name);
    CL_COPY(ms->from, def.from);
    CL_COPY(ms->to, def.to);
    c->ms = ms;
    c->name_len = len;
    c->base_sum = 0;
    c->any = false;
    memcpy(prefix, name, len + 1);
    rc = cl_store_scan(c->t, CL_DB_MEASURE, prefix, len + 1, s_pm_value, c);
    if (rc == CL_OK && c->any) {
        int nb = s_month_span(def.from, def.to);
        ms->baseline_monthly = nb > 0 ? c->base_sum / nb : -1;
        ms->baseline_people = 1;
        c->it->n_measures++;
    }
    return rc;
}

int cl_mdt_person_measures(cl_txn *t, uint64_t pid, cl_pack_item *it)
{
    s_pm c = {.t = t, .pid = pid, .it = it};
    return cl_store_scan(t, CL_DB_MEASURE_DEF, NULL, 0, s_pm_def, &c);
}
