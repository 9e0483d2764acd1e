/*
 * intake: see intake.h.
 */
#include "intake.h"

#include <inttypes.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "ids.h"
#include "mailbox.h"
#include "mdt_action.h"
#include "mdt_review.h"
#include "plan.h"
#include "records.h"
#include "referral.h"

#include <stdarg.h>

#define S_VERSION 1
#define S_BUF     (4 * CL_NOTE_SZ + 1024)
#define S_DAY     86400

void cl_intake_config_defaults(cl_intake_config *c)
{
    memset(c, 0, sizeof(*c));
    c->housekeeping_s = CL_INTAKE_HOUSEKEEPING_DEFAULT;
}

/* A "why" sentence, cut to fit. */
static void s_why(char out[CL_WHY_SZ], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void s_why(char out[CL_WHY_SZ], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, CL_WHY_SZ, fmt, ap);
    va_end(ap);
}

/* --- rules ---------------------------------------------------------------- */

/* "90d", "12w", "6m" (a month is 30 days) -> days; 0 if malformed. */
static uint32_t s_days(const char *v)
{
    char *end = NULL;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || n == 0 || n > 3650 || !end[0] || end[1])
        return 0;
    switch (end[0]) {
    case 'd':
        return (uint32_t)n;
    case 'w':
        return (uint32_t)n * 7;
    case 'm':
        return (uint32_t)n * 30;
    default:
        return 0;
    }
}

static bool s_count(const char *v, uint32_t *out)
{
    char *end = NULL;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || *end || n < 1 || n > 1000)
        return false;
    *out = (uint32_t)n;
    return true;
}

/* One comma-separated list of kinds or categories. */
static bool s_terms(cl_intake_rule *r, bool kinds, const char *v, char *err,
                    size_t err_len)
{
    char buf[512];
    char *save = NULL;
    if (!cl_copy(buf, sizeof(buf), v) || !v[0]) {
        snprintf(err, err_len, "%s= needs a value",
                 kinds ? "kind" : "category");
        return false;
    }
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (kinds) {
            if (r->n_kinds == CL_INTAKE_KINDS ||
                !CL_COPY(r->kinds[r->n_kinds], tok)) {
                snprintf(err, err_len,
                         "kind= takes at most %d kinds of up to "
                         "%d bytes",
                         CL_INTAKE_KINDS, CL_KIND_SZ - 1);
                return false;
            }
            r->n_kinds++;
            continue;
        }
        int c = cl_category_parse(tok);
        if (c <= 0) {
            snprintf(err, err_len,
                     "category=%.40s: unknown category (mental_health, "
                     "self_neglect, domestic_abuse, ...)",
                     tok);
            return false;
        }
        r->categories |= 1u << c;
    }
    return true;
}

int cl_intake_rule_add(cl_intake_config *c, const char *name, const char *terms,
                       char *err, size_t err_len)
{
    char buf[1024];
    cl_intake_rule r;
    char *save = NULL;
    memset(&r, 0, sizeof(r));
    if (!name[0] || !CL_COPY(r.name, name) ||
        strcmp(name, CL_INTAKE_ASKED) == 0 ||
        strcmp(name, CL_INTAKE_OVERDUE) == 0 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
            strlen(name)) {
        snprintf(err, err_len,
                 "rule name must be 1-%d lower-case letters, digits, _ or - "
                 "(and not %s or %s)",
                 CL_RULE_SZ - 1, CL_INTAKE_ASKED, CL_INTAKE_OVERDUE);
        return CL_ERR_INVALID;
    }
    for (uint32_t i = 0; i < c->n_rules; i++)
        if (!strcmp(c->rules[i].name, name)) {
            snprintf(err, err_len, "rule %s is defined twice", name);
            return CL_ERR_INVALID;
        }
    if (c->n_rules == CL_INTAKE_RULES) {
        snprintf(err, err_len, "at most %d intake rules", CL_INTAKE_RULES);
        return CL_ERR_INVALID;
    }
    if (!cl_copy(buf, sizeof(buf), terms)) {
        snprintf(err, err_len, "rule %s is too long", name);
        return CL_ERR_INVALID;
    }
    uint32_t n_terms = 0;
    for (char *tok = strtok_r(buf, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save), n_terms++) {
        bool ok;
        int risk;
        if (!strncmp(tok, "kind=", 5))
            ok = s_terms(&r, true, tok + 5, err, err_len);
        else if (!strncmp(tok, "category=", 9))
            ok = s_terms(&r, false, tok + 9, err, err_len);
        else if (!strncmp(tok, "risk>=", 6)) {
            ok = (risk = cl_risk_parse(tok + 6)) > 0;
            r.min_risk = (uint8_t)(ok ? risk : 0);
            if (!ok)
                snprintf(err, err_len,
                         "risk>=%.20s: use low, medium, high or immediate",
                         tok + 6);
        } else if (!strcmp(tok, "flagged"))
            ok = r.flagged = true;
        else if (!strcmp(tok, "plan_linked"))
            ok = r.plan_linked = true;
        else if (!strncmp(tok, "contacts>=", 10)) {
            ok = s_count(tok + 10, &r.min_contacts);
            if (!ok)
                snprintf(err, err_len, "contacts>=N: N from 1 to 1000");
        } else if (!strncmp(tok, "agencies>=", 10)) {
            ok = s_count(tok + 10, &r.min_agencies);
            if (!ok)
                snprintf(err, err_len, "agencies>=N: N from 1 to 1000");
        } else if (!strncmp(tok, "within=", 7)) {
            ok = (r.within_days = s_days(tok + 7)) > 0;
            if (!ok)
                snprintf(err, err_len,
                         "within=%.20s: a number of days, weeks or months "
                         "(90d, 12w, 6m; at most ten years)",
                         tok + 7);
        } else {
            ok = false;
            snprintf(err, err_len,
                     "unknown term '%.40s' (kind=, category=, risk>=, "
                     "flagged, plan_linked, contacts>=, agencies>=, within=)",
                     tok);
        }
        if (!ok)
            return CL_ERR_INVALID;
    }
    if (!n_terms) {
        snprintf(err, err_len, "rule %s has no terms", name);
        return CL_ERR_INVALID;
    }
    if ((r.min_contacts || r.min_agencies) != (r.within_days > 0)) {
        snprintf(err, err_len,
                 "contacts>= and agencies>= need within=, and within= needs "
                 "one of them");
        return CL_ERR_INVALID;
    }
    c->rules[c->n_rules++] = r;
    return CL_OK;
}

static bool s_kind_ok(const cl_intake_rule *r, const char *kind)
{
    if (!r->n_kinds)
        return true;
    for (uint32_t i = 0; i < r->n_kinds; i++)
        if (!strcmp(r->kinds[i], kind))
            return true;
    return false;
}

/* The filters a counted referral must pass. */
static bool s_filters(const cl_intake_rule *r, const cl_refs_ref *x)
{
    return s_kind_ok(r, x->kind) &&
           (!r->categories || (r->categories & (1u << x->category))) &&
           x->risk >= r->min_risk;
}

/* --- stored items --------------------------------------------------------- */

typedef struct s_item {
    uint64_t pid, ref_id;
    char rule[CL_RULE_SZ];
    char why[CL_WHY_SZ];
    uint8_t state;
    int64_t raised;
    uint32_t hits;
    int64_t decided_at;
    char decided_by[CL_AGENCY_SZ];
    char decided_user[CL_NAME_SZ];
    char reason[CL_NOTE_SZ];
    char review[CL_REF_SZ];
    char until[CL_DATE_SZ];
    char action[CL_REF_SZ];
} s_item;

static int s_put(cl_txn *t, uint64_t id, const s_item *x)
{
    uint8_t k[8], buf[S_BUF];
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, S_VERSION);
    cl_enc_u64(&e, x->pid);
    cl_enc_u64(&e, x->ref_id);
    cl_enc_str(&e, x->rule);
    cl_enc_str(&e, x->why);
    cl_enc_u8(&e, x->state);
    cl_enc_i64(&e, x->raised);
    cl_enc_u32(&e, x->hits);
    cl_enc_i64(&e, x->decided_at);
    cl_enc_str(&e, x->decided_by);
    cl_enc_str(&e, x->decided_user);
    cl_enc_str(&e, x->reason);
    cl_enc_str(&e, x->review);
    cl_enc_str(&e, x->until);
    cl_enc_str(&e, x->action);
    cl_be64_put(k, id);
    int rc = cl_enc_ok(&e) ? cl_store_put(t, CL_DB_INTAKE, k, 8, buf, e.len)
                           : CL_ERR_INTERNAL;
    sodium_memzero(buf, sizeof(buf));
    return rc;
}

static int s_dec(const uint8_t *buf, size_t len, s_item *x)
{
    memset(x, 0, sizeof(*x));
    cl_dec d = cl_dec_init(buf, len);
    if (cl_dec_u8(&d) != S_VERSION)
        return CL_ERR_CORRUPT;
    x->pid = cl_dec_u64(&d);
    x->ref_id = cl_dec_u64(&d);
    CL_DEC_STR(&d, x->rule);
    CL_DEC_STR(&d, x->why);
    x->state = cl_dec_u8(&d);
    x->raised = cl_dec_i64(&d);
    x->hits = cl_dec_u32(&d);
    x->decided_at = cl_dec_i64(&d);
    CL_DEC_STR(&d, x->decided_by);
    CL_DEC_STR(&d, x->decided_user);
    CL_DEC_STR(&d, x->reason);
    CL_DEC_STR(&d, x->review);
    CL_DEC_STR(&d, x->until);
    CL_DEC_STR(&d, x->action);
    return cl_dec_ok(&d) && x->state <= CL_INTAKE_STATE_MAX ? CL_OK
                                                            : CL_ERR_CORRUPT;
}

static int s_get(cl_txn *t, uint64_t id, s_item *x)
{
    uint8_t k[8], buf[S_BUF];
    size_t len = 0;
    cl_be64_put(k, id);
    int rc = cl_store_get(t, CL_DB_INTAKE, k, 8, buf, sizeof(buf), &len);
    if (rc == CL_OK)
        rc = s_dec(buf, len, x);
    sodium_memzero(buf, sizeof(buf));
    return rc;
}

int cl_intake_decode_check(const uint8_t *buf, size_t len)
{
    s_item x;
    return s_dec(buf, len, &x);
}

/* The item as a coordinator sees it: the person as the referring agency
 * describes them, the referral's what and when, the agendas they are on. */
static int s_view(cl_txn *t, uint64_t id, const s_item *x, cl_intake_item *o)
{
    cl_refs_ref ref;
    cl_person p;
    bool own;
    memset(o, 0, sizeof(*o));
    (void)cl_id_format(o->intake_id, sizeof(o->intake_id), CL_ID_INTAKE, id);
    CL_COPY(o->rule, x->rule);
    CL_COPY(o->why, x->why);
    cl_audit_pid_str(o->person_id, x->pid);
    o->raised_at = x->raised;
    o->hits = x->hits;
    o->state = x->state;
    o->decided_at = x->decided_at;
    CL_COPY(o->decided_by, x->decided_by);
    CL_COPY(o->decided_user, x->decided_user);
    CL_COPY(o->reason, x->reason);
    CL_COPY(o->review_id, x->review);
    CL_COPY(o->until, x->until);
    CL_COPY(o->action_id, x->action);
    int rc = CL_OK;
    if (x->ref_id && (rc = cl_refs_by_id(t, x->ref_id, &ref)) == CL_OK) {
        CL_COPY(o->agency, ref.agency);
        CL_COPY(o->agency_kind, ref.kind);
        CL_COPY(o->reference, ref.reference);
        o->category = ref.category;
        o->risk = ref.risk;
        o->occurred_at = ref.occurred_at;
        o->received_at = ref.received_at;
    }
    if (rc == CL_ERR_NOT_FOUND) /* purged since */
        rc = CL_OK;
    if (rc == CL_OK)
        rc = cl_records_person_as(t, x->pid, o->agency, &p, &own);
    if (rc == CL_OK) {
        CL_COPY(o->given, p.given);
        CL_COPY(o->family, p.family);
        CL_COPY(o->dob, p.dob);
        rc = cl_records_agendas_of(t, x->pid, o->on_agenda, CL_ON_AGENDA_MAX,
                                   &o->n_on_agenda);
    }
    sodium_memzero(&p, sizeof(p));
    return rc;
}

/* --- a person's items ----------------------------------------------------- */

typedef int (*s_item_fn)(void *ctx, uint64_t id, const s_item *x);

typedef struct s_each {
    cl_txn *t;
    s_item_fn fn;
    void *ctx;
} s_each;

static int s_each_one(void *ctx, const uint8_t *key, size_t len)
{
    s_each *e = ctx;
    s_item x;
    if (len != 16)
        return CL_ERR_CORRUPT;
    uint64_t id = cl_be64_get(key + 8);
    int rc = s_get(e->t, id, &x);
    return rc != CL_OK ? rc : e->fn(e->ctx, id, &x);
}

/* Each intake item about person pid (person_intake order): fn returns
 * CL_OK to go on, > 0 to stop, an error to fail. */
static int s_person_items(cl_txn *t, uint64_t pid, s_item_fn fn, void *ctx)
{
    uint8_t k[8];
    s_each e = {t, fn, ctx};
    cl_be64_put(k, pid);
    return cl_store_scan(t, CL_DB_PERSON_INTAKE, k, 8, s_each_one, &e);
}

/* --- raising -------------------------------------------------------------- */

typedef struct s_find {
    const char *rule;
    const char *action; /* for overdue actions: any state counts */
    uint64_t id;        /* an open or deferred item of the rule */
    uint64_t max_ref;   /* the newest referral any item of the rule had */
    bool action_seen;   /* an item for this action exists */
    s_item x;           /* the item found (id) */
} s_find;

static int s_find_one(void *ctx, uint64_t id, const s_item *x)
{
    s_find *f = ctx;
    if (f->action[0]) {
        if (!strcmp(x->action, f->action)) {
            f->action_seen = true;
            return 1;
        }
        return CL_OK;
    }
    if (strcmp(x->rule, f->rule) != 0)
        return CL_OK;
    if (x->ref_id > f->max_ref)
        f->max_ref = x->ref_id;
    if (x->state == CL_INTAKE_OPEN || x->state == CL_INTAKE_DEFERRED) {
        f->id = id;
        f->x = *x;
    }
    return CL_OK;
}

/*
 * Raise an item for person pid under rule (or count one more hit on the
 * open one the same rule raised before): deliver a new item to every agency
 * with a coordinator and audit the disclosure.
 */
static int s_raise(cl_txn *t, const cl_route_config *rc, uint64_t pid,
                   uint64_t ref_id, const char *rule, const char *why,
                   const char *action, int64_t now, uint32_t *raised)
{
    uint8_t k[16];
    char err[CL_ERROR_SZ];
    s_find f = {.rule = rule, .action = action ? action : ""};
    cl_be64_put(k, pid);
    int r = s_person_items(t, pid, s_find_one, &f);
    if (r != CL_OK)
        return r;
    if (f.action_seen)
        return CL_OK; /* raised once per action */
    if (f.id) {
        if (ref_id <= f.x.ref_id)
            return CL_OK; /* nothing new since */
        f.x.ref_id = ref_id;
        f.x.hits++;
        CL_COPY(f.x.why, why);
        return s_put(t, f.id, &f.x);
    }
    /* decided already on this evidence: only a newer referral raises the
     * rule again */
    if (!action && ref_id && ref_id <= f.max_ref)
        return CL_OK;
    uint64_t id;
    if ((r = cl_store_next_id(t, "intake", &id)) != CL_OK)
        return r;
    s_item x;
    memset(&x, 0, sizeof(x));
    x.pid = pid;
    x.ref_id = ref_id;
    CL_COPY(x.rule, rule);
    CL_COPY(x.why, why);
    x.state = CL_INTAKE_OPEN;
    x.raised = now;
    x.hits = 1;
    if (action)
        CL_COPY(x.action, action);
    if ((r = s_put(t, id, &x)) != CL_OK)
        return r;
    cl_be64_put(k + 8, id);
    if ((r = cl_store_put_raw(t, CL_DB_PERSON_INTAKE, k, 16, NULL, 0)) != CL_OK)
        return r;
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!d)
        return CL_ERR_NOMEM;
    d->kind = CL_DLV_INTAKE;
    r = s_view(t, id, &x, &d->u.intake);
    for (uint32_t i = 0; i < rc->n_coord && r == CL_OK; i++) {
        r = cl_mailbox_put(t, rc, rc->coord[i], d, false, now, err);
        if (r != CL_OK)
            break;
        /* the disclosure is itself audited: to whom, about whom, why */
        cl_caller sys;
        cl_audit_note note;
        memset(&sys, 0, sizeof(sys));
        memset(&note, 0, sizeof(note));
        CL_COPY(sys.name, "caselinkd");
        CL_COPY(sys.agency, rc->coord[i]);
        cl_records_note_person(&note, pid);
        snprintf(note.purpose, sizeof(note.purpose),
                 "intake item for %.64s: rule %s (delivery %" PRIu64 ")",
                 rc->coord[i], rule, d->seq);
        CL_COPY(note.detail, d->u.intake.intake_id);
        r = cl_audit_append(t, &sys, "intake_raised", &note, CL_STATUS_OK, now);
    }
    sodium_memzero(d, sizeof(*d));
    free(d);
    if (r == CL_OK && raised)
        (*raised)++;
    return r;
}

/* --- evaluation ----------------------------------------------------------- */

typedef struct s_tally {
    const cl_intake_rule *r;
    int64_t from;
    uint32_t contacts;
    uint32_t n_agencies;
    char agencies[16][CL_AGENCY_SZ];
    uint64_t latest; /* the latest matching referral */
    int64_t latest_at;
} s_tally;

static int s_tally_one(void *ctx, const cl_refs_ref *x)
{
    s_tally *c = ctx;
    int64_t when = x->occurred_at ? x->occurred_at : x->received_at;
    if (when < c->from || !s_filters(c->r, x))
        return CL_OK;
    c->contacts++;
    if (when >= c->latest_at) {
        c->latest = x->id;
        c->latest_at = when;
    }
    for (uint32_t i = 0; i < c->n_agencies; i++)
        if (!strcmp(c->agencies[i], x->agency))
            return CL_OK;
    if (c->n_agencies < 16)
        CL_COPY(c->agencies[c->n_agencies++], x->agency);
    return CL_OK;
}

/* Whether person pid meets rule r's plan and counting terms now; why says
 * how, *latest the latest referral counted. */
static int s_meets(cl_txn *t, const cl_intake_rule *r, uint64_t pid,
                   int64_t now, bool *meets, char why[CL_WHY_SZ],
                   uint64_t *latest)
{
    int rc;
    *meets = true;
    why[0] = '\0';
    if (r->plan_linked) {
        bool linked = false;
        if ((rc = cl_plan_linked(t, pid, now, &linked)) != CL_OK)
            return rc;
        *meets = linked;
        snprintf(why, CL_WHY_SZ, "linked to a child with an active plan");
    }
    if (!*meets)
        return CL_OK;
    /* the referrals the filters select (in the window, if there is one) */
    s_tally c = {.r = r,
                 .from = r->within_days ? now - (int64_t)r->within_days * S_DAY
                                        : INT64_MIN};
    if ((rc = cl_refs_of(t, pid, s_tally_one, &c)) != CL_OK)
        return rc;
    *latest = c.latest;
    *meets = c.contacts >= (r->min_contacts ? r->min_contacts : 1) &&
             c.n_agencies >= r->min_agencies;
    if (!r->within_days)
        return CL_OK;
    char kinds[CL_KIND_SZ + 16] = "";
    if (r->n_kinds)
        snprintf(kinds, sizeof(kinds), " (%s%s)", r->kinds[0],
                 r->n_kinds > 1 ? ", ..." : "");
    size_t n = strlen(why);
    snprintf(why + n, CL_WHY_SZ - n,
             "%s%u contact%s%s with %u agenc%s in %u days", n ? "; " : "",
             c.contacts, c.contacts == 1 ? "" : "s", kinds, c.n_agencies,
             c.n_agencies == 1 ? "y" : "ies", r->within_days);
    return CL_OK;
}

int cl_intake_on_publish(cl_txn *t, const cl_intake_config *ic,
                         const cl_route_config *rc, const cl_referral *r,
                         const char *reference, int64_t now)
{
    cl_refs_ref ref;
    char why[CL_WHY_SZ];
    int x = cl_refs_get(t, reference, &ref);
    if (x != CL_OK)
        return x == CL_ERR_INVALID ? CL_ERR_INTERNAL : x;
    if (r->ask_mdt) {
        snprintf(why, sizeof(why), "%.64s asked for the extended MDT",
                 ref.agency);
        if ((x = s_raise(t, rc, ref.pid, ref.id, CL_INTAKE_ASKED, why, NULL,
                         now, NULL)) != CL_OK)
            return x;
    }
    for (uint32_t i = 0; i < ic->n_rules && x == CL_OK; i++) {
        const cl_intake_rule *rule = &ic->rules[i];
        bool meets;
        uint64_t latest = 0;
        if (!s_filters(rule, &ref) || (rule->flagged && !r->ask_mdt))
            continue;
        if ((x = s_meets(t, rule, ref.pid, now, &meets, why, &latest)) !=
                CL_OK ||
            !meets)
            continue;
        if (!why[0])
            snprintf(why, sizeof(why), "%s referral from %.64s (%s, %s risk)",
                     cl_category_name(ref.category), ref.agency, ref.kind,
                     cl_risk_name(ref.risk));
        x = s_raise(t, rc, ref.pid, ref.id, rule->name, why, NULL, now, NULL);
    }
    sodium_memzero(&ref, sizeof(ref));
    return x;
}

/* --- the daily pass ------------------------------------------------------- */

typedef struct s_pass {
    cl_txn *t;
    const cl_intake_config *ic;
    const cl_route_config *rc;
    int64_t now;
    uint32_t *raised;
} s_pass;

static int s_pass_person(void *ctx, uint64_t pid)
{
    s_pass *p = ctx;
    char why[CL_WHY_SZ];
    int rc = CL_OK;
    for (uint32_t i = 0; i < p->ic->n_rules && rc == CL_OK; i++) {
        const cl_intake_rule *r = &p->ic->rules[i];
        bool meets;
        uint64_t latest = 0;
        /* only the rules a pattern decides: a plain filter rule is for a
         * referral as it arrives, and "flagged" needs the referral's ask */
        if (r->flagged || (!r->within_days && !r->plan_linked))
            continue;
        if ((rc = s_meets(p->t, r, pid, p->now, &meets, why, &latest)) !=
                CL_OK ||
            !meets || !latest)
            continue;
        rc = s_raise(p->t, p->rc, pid, latest, r->name, why, NULL, p->now,
                     p->raised);
    }
    return rc;
}

static int s_pass_action(void *ctx, const cl_action *a, uint64_t pid)
{
    s_pass *p = ctx;
    char why[CL_WHY_SZ];
    if (!a->overdue)
        return CL_OK;
    s_why(why, "action %s for %s was due %s (%s)", a->action_id,
          a->owner_agency, a->due, a->review_id);
    return s_raise(p->t, p->rc, pid, 0, CL_INTAKE_OVERDUE, why, a->action_id,
                   p->now, p->raised);
}

int cl_intake_housekeeping(cl_txn *t, const cl_intake_config *ic,
                           const cl_route_config *rc, int64_t now,
                           uint32_t *raised)
{
    uint32_t longest = 0;
    s_pass p = {t, ic, rc, now, raised};
    *raised = 0;
    for (uint32_t i = 0; i < ic->n_rules; i++)
        if (ic->rules[i].within_days > longest)
            longest = ic->rules[i].within_days;
    int x = CL_OK;
    if (longest || ic->n_rules)
        x = cl_records_active_since(
            t, now - (int64_t)(longest ? longest : 1) * S_DAY, s_pass_person,
            &p);
    if (x == CL_OK)
        x = cl_mdt_action_each(t, now, s_pass_action, &p);
    return x;
}

/* --- the queue ------------------------------------------------------------ */

typedef struct s_queue {
    cl_txn *t;
    const cl_caller *caller;
    bool all;
    int64_t now;
    char today[CL_DATE_SZ];
    cl_intake_items *out;
    size_t cap;
    cl_audit_note *note;
} s_queue;

static int s_list_one(void *ctx, const uint8_t *key, size_t len)
{
    s_queue *c = ctx;
    s_item x;
    if (len != 8)
        return CL_ERR_CORRUPT;
    uint64_t id = cl_be64_get(key);
    int rc = s_get(c->t, id, &x);
    if (rc != CL_OK)
        return rc;
    bool shown = c->all || x.state == CL_INTAKE_OPEN ||
                 (x.state == CL_INTAKE_DEFERRED &&
                  (!x.until[0] || strcmp(x.until, c->today) <= 0));
    if (!shown)
        return CL_OK;
    if (CL_VEC_GROW(c->out->v, c->out->n, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    if ((rc = s_view(c->t, id, &x, &c->out->v[c->out->n])) != CL_OK)
        return rc;
    c->out->n++;
    cl_records_note_person(c->note, x.pid); /* past 20: further entries */
    return CL_OK;
}

int cl_intake_list(cl_op *op, bool all, cl_intake_items *out)
{
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "the intake queue needs the coordinator role");
        return CL_ERR_DENIED;
    }
    s_queue c = {.t = op->t,
                 .caller = op->who,
                 .all = all,
                 .now = op->now,
                 .out = out,
                 .note = &op->note};
    cl_records_date(op->now, c.today);
    snprintf(op->note.purpose, sizeof(op->note.purpose), "intake queue%s",
             all ? " (all items)" : "");
    int rc = cl_store_scan(op->t, CL_DB_INTAKE, NULL, 0, s_list_one, &c);
    if (rc != CL_OK) {
        if (out->v)
            sodium_memzero(out->v, out->n * sizeof(*out->v));
        free(out->v);
        memset(out, 0, sizeof(*out));
        snprintf(op->err, CL_ERROR_SZ, "intake list failed: %s",
                 cl_strerror(rc));
    }
    return rc;
}

typedef struct s_mine {
    cl_txn *t;
    cl_intake_items *out;
    size_t cap;
} s_mine;

static int s_mine_one(void *ctx, uint64_t id, const s_item *x)
{
    s_mine *c = ctx;
    if (CL_VEC_GROW(c->out->v, c->out->n, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    int rc = s_view(c->t, id, x, &c->out->v[c->out->n]);
    if (rc == CL_OK)
        c->out->n++;
    return rc;
}

int cl_intake_of_person(cl_txn *t, uint64_t pid, cl_intake_items *out)
{
    s_mine c = {t, out, 0};
    memset(out, 0, sizeof(*out));
    int rc = s_person_items(t, pid, s_mine_one, &c);
    if (rc != CL_OK) {
        if (out->v)
            sodium_memzero(out->v, out->n * sizeof(*out->v));
        free(out->v);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

/* The agenda reason an accepted item goes on with, from its rule. */
static uint8_t s_agenda_reason(const cl_intake_config *ic, const s_item *x,
                               const cl_refs_ref *ref)
{
    (void)ic;
    if (!strcmp(x->rule, CL_INTAKE_OVERDUE))
        return 5; /* other */
    if (ref && !strcmp(ref->kind, "police"))
        return 2; /* police_high_level_user */
    if (ref && !strcmp(ref->kind, "gp"))
        return 1; /* gp_concern */
    if (ref && ref->category == 1)
        return 3; /* child_protection */
    return 5;
}

static bool s_parse_id(const char *s, uint64_t *id)
{
    return cl_id_parse(id, CL_ID_INTAKE, s) == CL_OK;
}

/* Accepting: the person goes on the review's agenda (an operation of its
 * own, its audit note the decision's). */
static int s_accept(cl_op *op, const cl_intake_decision *d, s_item *x,
                    const cl_refs_ref *ref, cl_publish_result *sub)
{
    if (!d->review_id[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "accepting needs review_id: the review whose agenda the "
                 "person goes on");
        return CL_ERR_INVALID;
    }
    cl_agenda_add *a = calloc(1, sizeof(*a));
    if (!a)
        return CL_ERR_NOMEM;
    CL_COPY(a->review_id, d->review_id);
    cl_audit_pid_str(a->who.person_id, x->pid);
    a->reason =
        d->agenda_reason ? d->agenda_reason : s_agenda_reason(NULL, x, ref);
    snprintf(a->note, sizeof(a->note), "intake %s: %s", d->intake_id, x->why);
    cl_op in;
    cl_op_sub(&in, op);
    int rc = cl_op_result(&in, cl_mdt_review_agenda_add(&in, a, sub), op->err);
    free(a);
    if (rc == CL_OK)
        CL_COPY(x->review, d->review_id);
    return rc;
}

int cl_intake_decide(cl_op *op, const cl_route_config *rcfg,
                     const cl_intake_decision *d, cl_publish_result *out)
{
    uint64_t id;
    s_item x;
    cl_refs_ref ref;
    bool have_ref = false;
    char today[CL_DATE_SZ], when[CL_DATE_SZ];
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "intake decisions need the coordinator role");
        return CL_ERR_DENIED;
    }
    if (!s_parse_id(d->intake_id, &id)) {
        snprintf(op->err, CL_ERROR_SZ, "intake_id must look like IN-00000042");
        return CL_ERR_INVALID;
    }
    int rc = s_get(op->t, id, &x);
    if (rc == CL_ERR_NOT_FOUND)
        snprintf(op->err, CL_ERROR_SZ, "no intake item %.32s", d->intake_id);
    if (rc != CL_OK)
        return rc;
    cl_records_note_person(&op->note, x.pid);
    if (x.state == CL_INTAKE_ACCEPTED || x.state == CL_INTAKE_DECLINED) {
        cl_records_date(x.decided_at, when);
        snprintf(op->err, CL_ERROR_SZ,
                 "%.32s was already %s on %s by %.64s; nothing changed",
                 d->intake_id, cl_intake_state_name(x.state), when,
                 x.decided_by);
        return CL_ERR_INVALID;
    }
    cl_records_date(op->now, today);
    if (x.ref_id && cl_refs_by_id(op->t, x.ref_id, &ref) == CL_OK)
        have_ref = true;
    cl_publish_result sub;
    memset(&sub, 0, sizeof(sub));
    switch (d->decision) {
    case CL_INTAKE_ACCEPTED:
        if ((rc = s_accept(op, d, &x, have_ref ? &ref : NULL, &sub)) != CL_OK)
            return rc;
        break;
    case CL_INTAKE_DECLINED:
        if (!d->reason[0]) {
            snprintf(op->err, CL_ERROR_SZ,
                     "declining needs a reason (the referrer is told it)");
            return CL_ERR_INVALID;
        }
        break;
    case CL_INTAKE_DEFERRED:
        if (d->until[0] &&
            (!cl_date_valid(d->until) || strcmp(d->until, today) <= 0)) {
            snprintf(op->err, CL_ERROR_SZ,
                     "until must be a date after today (YYYY-MM-DD)");
            return CL_ERR_INVALID;
        }
        CL_COPY(x.until, d->until);
        break;
    default:
        snprintf(op->err, CL_ERROR_SZ,
                 "decision must be accepted, declined or deferred");
        return CL_ERR_INVALID;
    }
    /* the referrer hears through the status route */
    if (have_ref && !ref.withdrawn && ref.status == CL_REFSTAT_RECEIVED &&
        d->decision != CL_INTAKE_DEFERRED) {
        cl_set_status ss;
        memset(&ss, 0, sizeof(ss));
        CL_COPY(ss.reference, ref.reference);
        ss.status = d->decision == CL_INTAKE_ACCEPTED ? CL_REFSTAT_ACCEPTED
                                                      : CL_REFSTAT_DECLINED;
        if (d->reason[0])
            CL_COPY(ss.reason, d->reason);
        else
            snprintf(ss.reason, sizeof(ss.reason), "on the agenda of %.64s",
                     d->review_id);
        cl_op in; /* the status change keeps a note of its own */
        cl_op_sub(&in, op);
        rc = cl_op_result(&in, cl_referral_set_status(&in, rcfg, &ss, &sub),
                          op->err);
        if (rc != CL_OK)
            return rc;
    }
    x.state = d->decision;
    x.decided_at = op->now;
    CL_COPY(x.decided_by, op->who->agency);
    CL_COPY(x.decided_user, op->who->user.name);
    CL_COPY(x.reason, d->reason);
    if ((rc = s_put(op->t, id, &x)) != CL_OK)
        return rc;
    CL_COPY(out->reference, d->intake_id);
    snprintf(op->note.purpose, sizeof(op->note.purpose), "intake %s%s%.64s",
             cl_intake_state_name(d->decision),
             d->decision == CL_INTAKE_ACCEPTED ? " onto " : "",
             d->decision == CL_INTAKE_ACCEPTED ? d->review_id : "");
    CL_COPY(op->note.detail, d->intake_id);
    return CL_OK;
}
