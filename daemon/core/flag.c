/*
 * flag: the front-line flag (see flag.h).
 *
 * Which plans flag a person P (checked at the moment of asking, so a plan
 * corrected, ended or withdrawn changes every flag at once):
 *   - a plan held on P: P is the child, or the expectant mother on an
 *     unborn plan;
 *   - a child K's own plan, where K is P's child, cared-for person or
 *     household member (P is K's parent, carer or household member) by a
 *     relationship that is not inferred from a shared UPRN, and that was
 *     not asserted by the checking agency alone unless its own record of K
 *     carries an NHS or CHI number (else naming a child by name and date
 *     of birth in one's own referral would reveal whether that child is
 *     on a plan: a demographic search by another road).
 * And always: the caller must have identified P (for P's own plans and
 * for relationships other agencies asserted) or K (for a relationship it
 * asserted itself) by an NHS or CHI number, a postcode or a UPRN that a
 * record from ANOTHER agency carries too. A name and a date of birth, or
 * a number only the caller recorded, prove nothing: a bait record would
 * otherwise be linked to the real person by matching and learn their
 * plans. "No flag" then, the same answer as for anyone else.
 * A plan withdrawn, or ended more than ended_within_days ago, flags
 * nobody.
 *
 * Stored (plaintext before sealing):
 *   flag_log  at (8) || id (8) -> v1, agency, client, user id, user name,
 *             context, person id, child id, plan id, authority
 *             (an id of someone removed by retention: all ones)
 *   meta      "flagn:" blind(plan id, agency, listed user or client) ->
 *             first at (8),
 *             delivery seq (8): the window of a coalesced notice
 *             (unsealed: times and a number only)
 */
#include "flag.h"

#include <inttypes.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "mailbox.h"
#include "plan.h"
#include "records.h"
#include "ids.h"
#include "kinds.h"

#define S_VERSION  1
#define S_LOG_BUF  2048
#define S_NOTE_PFX "flagn:"
/* A person (or their plan) removed by retention, in a flag log row. */
#define S_GONE      UINT64_MAX
#define S_GONE_WORD "removed"

/* --- configuration --------------------------------------------------------
 */

static const char *const s_default_kinds[] = {
    "gp", "police", "acute_trust", "mental_health", "ambulance", "housing"};

/* Every whole-number setting: name, where, bounds. */
static const struct {
    const char *name;
    size_t off;
    uint32_t lo, hi;
} s_uints[] = {
    {"ended_within_days", offsetof(cl_flag_config, ended_within_days), 0, 3650},
    {"coalesce_s", offsetof(cl_flag_config, coalesce_s), 0, 7 * 86400},
    {"rate_per_minute", offsetof(cl_flag_config, rate_per_minute), 1, 100000},
};

static void s_kinds_default(char (*v)[CL_KIND_SZ], uint32_t *n)
{
    *n = 0;
    for (size_t i = 0; i < sizeof(s_default_kinds) / sizeof(*s_default_kinds);
         i++)
        cl_copy(v[(*n)++], CL_KIND_SZ, s_default_kinds[i]);
}

void cl_flag_config_defaults(cl_flag_config *fc)
{
    memset(fc, 0, sizeof(*fc));
    s_kinds_default(fc->check, &fc->n_check);
    s_kinds_default(fc->publish, &fc->n_publish);
    fc->ended_within_days = CL_FLAG_ENDED_WITHIN_DAYS;
    fc->coalesce_s = CL_FLAG_COALESCE_S;
    fc->rate_per_minute = CL_FLAG_RATE_PER_MINUTE;
}

/* "gp, police" (or empty: none) into v. */
static bool s_kinds_parse(char (*v)[CL_KIND_SZ], uint32_t *n, const char *s,
                          const char *name, char *msg, size_t cap)
{
    *n = 0;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t len = strcspn(s, ", ");
        if (!len)
            break;
        if (len >= CL_KIND_SZ || *n == CL_FLAG_KINDS) {
            snprintf(msg, cap, "%s: at most %d kinds of up to %d bytes", name,
                     CL_FLAG_KINDS, CL_KIND_SZ - 1);
            return false;
        }
        memcpy(v[*n], s, len);
        v[*n][len] = '\0';
        if (!cl_kind_valid(v[*n])) { /* a typo would take checks away */
            char why[200];
            cl_kind_explain(why, sizeof(why), name, v[*n]);
            snprintf(msg, cap, "%s", why);
            return false;
        }
        (*n)++;
        s += len;
    }
    return true;
}

bool cl_flag_config_set(cl_flag_config *fc, const char *name, const char *value,
                        char *msg, size_t cap)
{
    if (strcmp(name, "check_kinds") == 0)
        return s_kinds_parse(fc->check, &fc->n_check, value, name, msg, cap);
    if (strcmp(name, "on_publish_kinds") == 0)
        return s_kinds_parse(fc->publish, &fc->n_publish, value, name, msg,
                             cap);
    for (size_t i = 0; i < sizeof(s_uints) / sizeof(*s_uints); i++) {
        if (strcmp(name, s_uints[i].name) != 0)
            continue;
        char *end = NULL;
        unsigned long long n = strtoull(value, &end, 10);
        if (end == value || *end || value[0] == '-' || n < s_uints[i].lo ||
            n > s_uints[i].hi) {
            snprintf(msg, cap, "%s must be a whole number from %u to %u", name,
                     s_uints[i].lo, s_uints[i].hi);
            return false;
        }
        *(uint32_t *)((char *)fc + s_uints[i].off) = (uint32_t)n;
        return true;
    }
    snprintf(msg, cap, "unknown setting %s", name);
    return false;
}

static bool s_kind_in(const char (*v)[CL_KIND_SZ], uint32_t n, const char *kind)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(v[i], kind) == 0)
            return true;
    return false;
}

static const cl_duty_contact *s_duty(const cl_flag_config *fc,
                                     const char *agency)
{
    for (uint32_t i = 0; i < fc->n_duty; i++)
        if (strcmp(fc->duty[i].agency, agency) == 0)
            return &fc->duty[i].duty;
    return NULL;
}

/* --- which plans flag a person -------------------------------------------
 */

typedef struct s_hit {
    cl_plan_stored plan;
    uint64_t child; /* whose plan: 0 for an unborn plan */
    char person_is[CL_WORDS_SZ];
} s_hit;

typedef struct s_find {
    cl_txn *t;
    const cl_caller *caller;
    int64_t now;
    uint32_t ended_within_days;
    char cutoff[CL_DATE_SZ]; /* ended before this: no flag ("": not yet
                              * worked out, s_current) */
    uint64_t pid;            /* the person checked */
    uint64_t child;          /* the child being looked at */
    const char *person_is;   /* what pid is to that child */
    bool own_only;           /* the child's own plans only (not unborn) */
    /* pid identified by a corroborated number (the numbers the caller
     * gave, or none): asked only when a plan could flag through it, as
     * it reads every record of pid (s_person_ok) */
    const char *nhs, *chi;
    bool ok_known, person_ok;
    size_t n;
    s_hit hits[CL_FLAGS_MAX]; /* the first n set (s_find_wipe) */
} s_find;

static void s_date_minus(int64_t now, uint32_t days, char out[CL_DATE_SZ])
{
    cl_records_date(now - (int64_t)days * 86400, out);
}

static bool s_current(s_find *f, const cl_plan_stored *p)
{
    if (p->withdrawn)
        return false;
    if (p->end[0] && !f->cutoff[0])
        s_date_minus(f->now, f->ended_within_days, f->cutoff);
    return !p->end[0] || strcmp(p->end, f->cutoff) >= 0;
}

/* Wipe what f holds: no more than the hits it found (a few KB each). */
static void s_find_wipe(s_find *f)
{
    sodium_memzero(f, offsetof(s_find, hits) + f->n * sizeof(f->hits[0]));
}

static int s_plan_hit(void *ctx, const cl_plan_stored *p, uint8_t how)
{
    s_find *f = ctx;
    if (!s_current(f, p) || (f->own_only && how != 0))
        return CL_OK;
    for (size_t i = 0; i < f->n; i++)
        if (f->hits[i].plan.id == p->id)
            return CL_OK;
    if (f->n == CL_FLAGS_MAX)
        return 1;
    s_hit *h = &f->hits[f->n++];
    h->plan = *p;
    h->child = how == 1 ? 0 : f->child;
    cl_copy(h->person_is, sizeof(h->person_is),
            how == 1 ? "expectant mother" : f->person_is);
    return CL_OK;
}

/* Did the caller identify pid by a number another agency's records
 * corroborate? Worked out once, the first time a flag depends on it. */
static int s_person_ok(s_find *f, bool *ok)
{
    int rc = CL_OK;
    if (!f->ok_known)
        rc = cl_records_identity_corroborated(f->t, f->pid, f->caller->agency,
                                              f->nhs, f->chi, &f->person_ok);
    f->ok_known = rc == CL_OK;
    *ok = f->ok_known && f->person_ok;
    return rc;
}

/* s_own_hit: the person is not identified by a corroborated number, so
 * none of their own plans flags them (stops the scan; not an error) */
#define S_NOT_IDENTIFIED 2

/* One of the person's own plans: it flags them only if current and the
 * caller identified them by a corroborated number, else a referral
 * naming a child by name and date of birth (linked to the real child by
 * matching) would be a search. */
static int s_own_hit(void *ctx, const cl_plan_stored *p, uint8_t how)
{
    s_find *f = ctx;
    bool ok = false;
    if (!s_current(f, p))
        return CL_OK;
    int rc = s_person_ok(f, &ok);
    if (rc != CL_OK)
        return rc;
    return ok ? s_plan_hit(ctx, p, how) : S_NOT_IDENTIFIED;
}

/* Is the relationship one the caller may be flagged through? */
static int s_rel_counts(s_find *f, uint64_t other, const char *agency,
                        bool inferred, bool *ok)
{
    *ok = false;
    if (inferred)
        return CL_OK; /* a shared UPRN: anyone can claim an address */
    if (strcmp(agency, f->caller->agency) != 0)
        /* asserted by another agency: only if the caller identified the
         * person checked by a number that agency's records corroborate */
        return s_person_ok(f, ok);
    /* asserted by the caller itself: only if it could ask about the child
     * directly, holding an NHS or CHI number that another agency's record
     * of the child carries too (an invented number proves nothing) */
    return cl_records_identity_corroborated(f->t, other, f->caller->agency,
                                            NULL, NULL, ok);
}

static int s_rel_hit(void *ctx, uint64_t other, uint8_t rel, const char *agency,
                     bool inferred)
{
    s_find *f = ctx;
    /* rel: what other is to the person checked */
    const char *is = rel == CL_REL_CHILD       ? "parent"
                     : rel == CL_REL_CARED_FOR ? "carer"
                     : rel == CL_REL_HOUSEHOLD ? "household member"
                                               : NULL;
    bool ok = false;
    if (!is || other == f->pid)
        return CL_OK;
    int rc = s_rel_counts(f, other, agency, inferred, &ok);
    if (rc != CL_OK || !ok)
        return rc;
    f->child = other;
    f->person_is = is;
    f->own_only = true;
    rc = cl_plan_held(f->t, other, s_plan_hit, f);
    return rc == 1 ? 1 : rc;
}

/* Every current plan that flags pid, into f->hits; nhs and chi are the
 * numbers the caller named pid by (NULL: none, as on a publish). A check
 * (check: the reply is the caller's alone, and it can time it) works out
 * whether the caller identified pid before it reads a plan, and reads
 * the person's own plans only if so: a reply of no flag then takes the
 * same steps whether the child has a plan or not. A publish's reply
 * leaves that to a plan that could flag (s_own_hit): its time is the
 * write's, thousands of times the difference. */
static int s_find_flags(cl_txn *t, const cl_flag_config *fc,
                        const cl_caller *caller, uint64_t pid, int64_t now,
                        const char *nhs, const char *chi, bool check, s_find *f)
{
    memset(f, 0, offsetof(s_find, hits)); /* hits past n are never read */
    f->nhs = nhs;
    f->chi = chi;
    f->t = t;
    f->caller = caller;
    f->pid = pid;
    f->now = now;
    f->ended_within_days = fc->ended_within_days;
    f->child = pid;
    f->person_is = "the child";
    /* the person's own plans (s_own_hit), then their relations' */
    bool ok = true;
    int rc = check ? s_person_ok(f, &ok) : CL_OK;
    if (rc == CL_OK && ok)
        rc = cl_plan_held(t, pid, s_own_hit, f);
    if (rc == S_NOT_IDENTIFIED)
        rc = CL_OK;
    if (rc == CL_OK)
        rc = cl_records_relations_of(t, pid, s_rel_hit, f);
    return rc == 1 ? CL_OK : rc; /* 1: CL_FLAGS_MAX found */
}

/* --- telling the authority, logging the disclosure ------------------------
 */

static const char *s_plan_words(uint8_t type)
{
    return type == CL_PLAN_UNBORN ? "unborn child protection plan"
           : type == CL_PLAN_LAC  ? "looked-after child"
                                  : "child protection plan";
}

static void s_flag_fill(const cl_flag_config *fc, const s_hit *h, cl_flag *g)
{
    memset(g, 0, sizeof(*g));
    CL_COPY(g->person_is, h->person_is);
    CL_COPY(g->plan_type, s_plan_words(h->plan.type));
    CL_COPY(g->authority, h->plan.agency);
    const cl_duty_contact *d = s_duty(fc, h->plan.agency);
    if (d)
        g->duty = *d;
    CL_COPY(g->next_review, h->plan.review);
    CL_COPY(g->ended, h->plan.end);
}

/* The notice's coalescing window, under an opaque key in META. */
static void s_note_key(cl_txn *t, const cl_caller *caller, uint64_t plan_id,
                       uint8_t key[sizeof(S_NOTE_PFX) - 1 + CL_BLIND_LEN])
{
    uint8_t buf[8 + CL_AGENCY_SZ + CL_REF_SZ + 2];
    size_t n = 0;
    cl_be64_put(buf, plan_id);
    n = 8;
    size_t a = strlen(caller->agency);
    memcpy(buf + n, caller->agency, a + 1);
    n += a + 1;
    /* one window per named user where the registry lists the users the
     * system may act for; else per system: a user id nobody checks is
     * the client's to choose, and a new one each time would raise a
     * notice each time */
    bool by_user = caller->users_listed && caller->user.id[0];
    const char *who = by_user ? caller->user.id : caller->name;
    size_t w = strlen(who);
    if (w > CL_REF_SZ)
        w = CL_REF_SZ;
    buf[n++] = by_user ? 'u' : 'c';
    memcpy(buf + n, who, w);
    n += w;
    memcpy(key, S_NOTE_PFX, sizeof(S_NOTE_PFX) - 1);
    cl_store_blind(cl_store_of(t), key + sizeof(S_NOTE_PFX) - 1, "flagn", buf,
                   n);
    sodium_memzero(buf, sizeof(buf));
}

static int s_notify(cl_txn *t, const cl_flag_config *fc,
                    const cl_route_config *rc, const cl_caller *caller,
                    const s_hit *h, uint64_t pid, const char *context,
                    int64_t now)
{
    uint8_t key[sizeof(S_NOTE_PFX) - 1 + CL_BLIND_LEN], v[16];
    size_t vl = 0;
    char err[CL_ERROR_SZ];
    s_note_key(t, caller, h->plan.id, key);
    int r =
        cl_store_get_raw(t, CL_DB_META, key, sizeof(key), v, sizeof(v), &vl);
    if (r != CL_OK && r != CL_ERR_NOT_FOUND)
        return r;
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!d)
        return CL_ERR_NOMEM;
    if (r == CL_OK && vl == 16 &&
        now - (int64_t)cl_be64_get(v) < (int64_t)fc->coalesce_s) {
        /* within the window: count it into the notice still waiting */
        r = cl_mailbox_get(t, h->plan.agency, cl_be64_get(v + 8), d);
        if (r == CL_OK && d->kind == CL_DLV_FLAG) {
            d->u.flag.count++;
            d->u.flag.last_at = now;
            r = cl_mailbox_replace(t, h->plan.agency, d);
        } else if (r == CL_ERR_NOT_FOUND || r == CL_OK) {
            r = CL_OK; /* acknowledged already: the log keeps the rest */
        }
        goto out;
    }
    d->kind = CL_DLV_FLAG;
    cl_flag_notice *m = &d->u.flag;
    (void)cl_id_format(m->plan_id, sizeof(m->plan_id), CL_ID_PLAN, h->plan.id);
    CL_COPY(m->plan_ref, h->plan.agency_ref);
    if (h->child) {
        cl_person p;
        bool own = false;
        cl_audit_pid_str(m->child_pid, h->child);
        if ((r = cl_records_person_as(t, h->child, h->plan.agency, &p, &own)) !=
            CL_OK)
            goto out;
        CL_COPY(m->child_given, p.given);
        CL_COPY(m->child_family, p.family);
        sodium_memzero(&p, sizeof(p));
    }
    cl_audit_pid_str(m->person_pid, pid);
    CL_COPY(m->person_is, h->person_is);
    CL_COPY(m->agency, caller->agency);
    CL_COPY(m->client, caller->name);
    CL_COPY(m->user_id, caller->user.id);
    CL_COPY(m->user_name, caller->user.name);
    CL_COPY(m->user_role, caller->user.role);
    CL_COPY(m->context, context);
    m->count = 1;
    m->first_at = m->last_at = now;
    if ((r = cl_mailbox_put(t, rc, h->plan.agency, d, false, now, err)) !=
        CL_OK)
        goto out;
    cl_be64_put(v, (uint64_t)now);
    cl_be64_put(v + 8, d->seq);
    r = cl_store_put_raw(t, CL_DB_META, key, sizeof(key), v, sizeof(v));
out:
    sodium_memzero(d, sizeof(*d));
    free(d);
    return r;
}

static void s_log_enc(cl_enc *e, const cl_flag_disclosure *x, uint64_t pid,
                      uint64_t child, uint64_t plan_id)
{
    cl_enc_u8(e, S_VERSION);
    cl_enc_i64(e, x->at);
    cl_enc_str(e, x->agency);
    cl_enc_str(e, x->client);
    cl_enc_str(e, x->user_id);
    cl_enc_str(e, x->user_name);
    cl_enc_str(e, x->context);
    cl_enc_u64(e, pid);
    cl_enc_u64(e, child);
    cl_enc_u64(e, plan_id);
    cl_enc_str(e, x->authority);
}

/* The stored fields, the ids (person, child, plan) as numbers. */
static void s_log_dec_ids(cl_dec *d, cl_flag_disclosure *x, uint64_t ids[3])
{
    memset(x, 0, sizeof(*x));
    if (cl_dec_u8(d) != S_VERSION)
        d->bad = true;
    x->at = cl_dec_i64(d);
    CL_DEC_STR(d, x->agency);
    CL_DEC_STR(d, x->client);
    CL_DEC_STR(d, x->user_id);
    CL_DEC_STR(d, x->user_name);
    CL_DEC_STR(d, x->context);
    ids[0] = cl_dec_u64(d);
    ids[1] = cl_dec_u64(d);
    ids[2] = cl_dec_u64(d);
    CL_DEC_STR(d, x->authority);
}

static void s_log_dec(cl_dec *d, cl_flag_disclosure *x)
{
    uint64_t ids[3];
    s_log_dec_ids(d, x, ids);
    if (ids[0] == S_GONE)
        CL_COPY(x->person_pid, S_GONE_WORD);
    else
        cl_audit_pid_str(x->person_pid, ids[0]);
    if (ids[1] == S_GONE)
        CL_COPY(x->child_pid, S_GONE_WORD);
    else if (ids[1])
        cl_audit_pid_str(x->child_pid, ids[1]);
    if (ids[2] == S_GONE)
        CL_COPY(x->plan_id, S_GONE_WORD);
    else
        (void)cl_id_format(x->plan_id, sizeof(x->plan_id), CL_ID_PLAN, ids[2]);
}

static int s_log(cl_txn *t, const cl_caller *caller, const s_hit *h,
                 uint64_t pid, const char *context, int64_t now)
{
    cl_flag_disclosure x;
    uint8_t k[16], buf[S_LOG_BUF];
    uint64_t id = 0;
    int rc = cl_store_next_id(t, "flaglog", &id);
    if (rc != CL_OK)
        return rc;
    memset(&x, 0, sizeof(x));
    x.at = now;
    CL_COPY(x.agency, caller->agency);
    CL_COPY(x.client, caller->name);
    CL_COPY(x.user_id, caller->user.id);
    CL_COPY(x.user_name, caller->user.name);
    CL_COPY(x.context, context);
    CL_COPY(x.authority, h->plan.agency);
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    s_log_enc(&e, &x, pid, h->child, h->plan.id);
    cl_be64_put(k, (uint64_t)now);
    cl_be64_put(k + 8, id);
    rc = cl_enc_ok(&e) ? cl_store_put(t, CL_DB_FLAG_LOG, k, 16, buf, e.len)
                       : CL_ERR_INTERNAL;
    sodium_memzero(buf, sizeof(buf));
    return rc;
}

/* A publish whose referral raised a safeguarding alert for this plan:
 * the alert itself tells the authority the flag was shown (*done). */
static int s_mark_alert(cl_txn *t, const s_hit *h, const char *reference,
                        bool *done)
{
    *done = false;
    if (!reference)
        return CL_OK;
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!d)
        return CL_ERR_NOMEM;
    int r = cl_mailbox_find_alert(t, h->plan.agency, reference,
                                  h->plan.agency_ref, d);
    if (r == CL_OK) {
        d->u.alert.flag_shown = true;
        r = cl_mailbox_replace(t, h->plan.agency, d);
        *done = r == CL_OK;
    } else if (r == CL_ERR_NOT_FOUND) {
        r = CL_OK; /* ended plans raise no alert: a notice of its own */
    }
    sodium_memzero(d, sizeof(*d));
    free(d);
    return r;
}

/* Fill out from the hits; tell, log and note each. reference: the
 * referral being published, or NULL for a check. */
static int s_disclose(cl_txn *t, const cl_flag_config *fc,
                      const cl_route_config *rc, const cl_caller *caller,
                      const s_find *f, const char *context,
                      const char *reference, int64_t now, cl_flag_result *out,
                      cl_audit_note *note)
{
    int r = CL_OK;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < f->n && r == CL_OK; i++) {
        bool told = false;
        s_flag_fill(fc, &f->hits[i], &out->v[out->n++]);
        r = s_mark_alert(t, &f->hits[i], reference, &told);
        if (r == CL_OK && !told)
            r = s_notify(t, fc, rc, caller, &f->hits[i], f->pid, context, now);
        if (r == CL_OK)
            r = s_log(t, caller, &f->hits[i], f->pid, context, now);
        if (note && f->hits[i].child)
            cl_records_note_person(note, f->hits[i].child);
    }
    if (note) {
        if (f->n)
            snprintf(note->purpose, sizeof(note->purpose),
                     "front-line flag shown: %zu plan%s (authority %.100s)",
                     f->n, f->n == 1 ? "" : "s", f->hits[0].plan.agency);
        else
            CL_COPY(note->purpose, "front-line flag: none");
    }
    return r;
}

/* --- the check ------------------------------------------------------------
 */

/* The first demographic field given (its wire name), or NULL. */
static const char *s_demographic(const cl_person *p)
{
    return p->given[0]      ? "given_names"
           : p->family[0]   ? "family_name"
           : p->dob[0]      ? "date_of_birth"
           : p->sex         ? "sex"
           : p->address[0]  ? "address"
           : p->town[0]     ? "town"
           : p->postcode[0] ? "postcode"
           : p->uprn[0]     ? "uprn"
                            : NULL;
}

static int s_kind_refused(const cl_flag_config *fc, const cl_caller *caller,
                          char err[CL_ERROR_SZ])
{
    char kinds[128] = "";
    size_t n = 0;
    for (uint32_t i = 0; i < fc->n_check && n < sizeof(kinds) - 1; i++)
        n += (size_t)snprintf(kinds + n, sizeof(kinds) - n, "%s%s",
                              i ? ", " : "", fc->check[i]);
    int w = snprintf(err, CL_ERROR_SZ,
                     "flag checks are for the front-line systems of the "
                     "agency kinds in [flag] check_kinds (%.80s); client "
                     "%.24s is of kind %.24s",
                     n ? kinds : "none", caller->name, caller->kind);
    (void)w; /* a long list is cut short: the sentence still says why */
    return CL_ERR_DENIED;
}

int cl_flag_check(cl_op *op, const cl_flag_config *fc,
                  const cl_route_config *rc, const cl_flag_query *q,
                  cl_flag_result *out)
{
    cl_person p = q->person;
    uint64_t pid = 0;
    s_find *f = NULL;
    int r;
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_PUBLISHER) ||
        !s_kind_in(fc->check, fc->n_check, op->who->kind)) {
        r = s_kind_refused(fc, op->who, op->err);
        goto out;
    }
    const char *demo = s_demographic(&p);
    if (demo) {
        snprintf(op->err, CL_ERROR_SZ,
                 "person.%s: a flag check names the person by nhs_number, "
                 "chi_number or your own local_id only, never by name, date "
                 "of birth, sex or address: it is for the person in front of "
                 "you, not a search",
                 demo);
        r = CL_ERR_INVALID;
        goto out;
    }
    int ids = !!p.nhs[0] + !!p.chi[0] + !!p.local_id[0];
    if (ids != 1) {
        snprintf(op->err, CL_ERROR_SZ,
                 "person: give exactly one of nhs_number, chi_number or "
                 "local_id");
        r = CL_ERR_INVALID;
        goto out;
    }
    if (p.nhs[0] && (!cl_digits_normalise(p.nhs) || !cl_nhs_valid(p.nhs))) {
        snprintf(
            op->err, CL_ERROR_SZ,
            "person.nhs_number: fails its check digit: check the number (no "
            "flag can be given for it)");
        r = CL_ERR_INVALID;
        goto out;
    }
    if (p.chi[0] && (!cl_digits_normalise(p.chi) || !cl_chi_valid(p.chi))) {
        snprintf(op->err, CL_ERROR_SZ,
                 "person.chi_number: not a valid CHI number: check the number");
        r = CL_ERR_INVALID;
        goto out;
    }
    if (p.local_id[0] && q->agency[0] &&
        strcmp(q->agency, op->who->agency) != 0) {
        snprintf(op->err, CL_ERROR_SZ,
                 "a local_id is checked only against your own agency's "
                 "records; agency names another agency, whose ids are not "
                 "yours to use");
        r = CL_ERR_DENIED;
        goto out;
    }
    if (p.nhs[0])
        r = cl_records_person_by_ident(op->t, "nhs", p.nhs, NULL, &pid);
    else if (p.chi[0])
        r = cl_records_person_by_ident(op->t, "chi", p.chi, NULL, &pid);
    else
        r = cl_records_person_by_ident(op->t, "local", op->who->agency,
                                       p.local_id, &pid);
    if (r == CL_ERR_NOT_FOUND && p.local_id[0]) {
        /* the caller's own records only: this tells it nothing new */
        snprintf(op->err, CL_ERROR_SZ,
                 "none of your agency's records has this local_id: publish "
                 "or import the person first, or check by NHS number");
        goto out;
    }
    if (r == CL_ERR_NOT_FOUND) {
        r = CL_OK; /* unknown: no flag, the same answer as known */
        CL_COPY(op->note.purpose, "front-line flag: none");
        goto out;
    }
    if (r != CL_OK)
        goto out;
    cl_records_note_person(&op->note, pid);
    if (!(f = malloc(sizeof(*f)))) {
        r = CL_ERR_NOMEM;
        goto out;
    }
    if ((r = s_find_flags(op->t, fc, op->who, pid, op->now,
                          p.nhs[0] ? p.nhs : NULL, p.chi[0] ? p.chi : NULL,
                          true, f)) != CL_OK)
        goto out;
    r = s_disclose(op->t, fc, rc, op->who, f, "flag_check", NULL, op->now, out,
                   &op->note);
out:
    sodium_memzero(&p, sizeof(p));
    if (f)
        s_find_wipe(f);
    free(f);
    return r;
}

int cl_flag_on_publish(cl_op *op, const cl_flag_config *fc,
                       const cl_route_config *rc, const char *reference,
                       cl_flag_result *out)
{
    cl_txn *t = op->t;
    const cl_caller *caller = op->who;
    uint64_t pid = 0;
    memset(out, 0, sizeof(*out));
    if (!s_kind_in(fc->publish, fc->n_publish, caller->kind))
        return CL_OK;
    int r = cl_refs_referral_person(t, reference, &pid);
    if (r != CL_OK)
        return r;
    s_find *f = malloc(sizeof(*f));
    if (!f)
        return CL_ERR_NOMEM;
    if ((r = s_find_flags(t, fc, caller, pid, op->now, NULL, NULL, false, f)) ==
            CL_OK &&
        f->n) {
        /* the disclosure on a publish reply is audited as a check is, in
         * an entry of its own beside the publish's */
        cl_audit_note note;
        memset(&note, 0, sizeof(note));
        cl_records_note_person(&note, pid);
        r = s_disclose(t, fc, rc, caller, f, "publish", reference, op->now, out,
                       &note);
        CL_COPY(note.detail, reference);
        if (r == CL_OK)
            r = cl_audit_append(t, caller, "flag_disclosure", &note,
                                CL_STATUS_OK, op->now);
    }
    s_find_wipe(f);
    free(f);
    return r;
}

/* --- the auditor's list ---------------------------------------------------
 */

typedef struct s_list {
    cl_txn *t;
    const cl_flag_log_query *q;
    int64_t to; /* exclusive, unix seconds */
    cl_flag_disclosures *out;
    size_t cap, limit;
    cl_audit_note *note;
    uint8_t buf[S_LOG_BUF];
} s_list;

static int s_list_one(void *ctx, const uint8_t *key, size_t len)
{
    s_list *l = ctx;
    size_t vl = 0;
    if (len != 16)
        return CL_ERR_CORRUPT;
    if ((int64_t)cl_be64_get(key) >= l->to || l->out->n >= l->limit)
        return 1;
    int rc = cl_store_get(l->t, CL_DB_FLAG_LOG, key, len, l->buf,
                          sizeof(l->buf), &vl);
    if (rc != CL_OK)
        return rc;
    cl_flag_disclosure x;
    cl_dec d = cl_dec_init(l->buf, vl);
    s_log_dec(&d, &x);
    sodium_memzero(l->buf, vl);
    if (!cl_dec_ok(&d))
        return CL_ERR_CORRUPT;
    if (l->q->agency[0] && strcmp(l->q->agency, x.agency) != 0)
        return CL_OK;
    if (CL_VEC_PUSH(l->out->v, l->out->n, l->cap, x) != CL_OK)
        return CL_ERR_NOMEM;
    uint64_t pid = 0;
    if (cl_records_parse_pid(x.person_pid, &pid))
        cl_records_note_person(l->note, pid);
    if (x.child_pid[0] && cl_records_parse_pid(x.child_pid, &pid))
        cl_records_note_person(l->note, pid);
    return CL_OK;
}

/* YYYY-MM-DD at 00:00 UTC as unix seconds. */
static bool s_day_start(const char *date, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!cl_date_valid(date))
        return false;
    tm.tm_year = atoi(date) - 1900;
    tm.tm_mon = atoi(date + 5) - 1;
    tm.tm_mday = atoi(date + 8);
    *out = (int64_t)timegm(&tm);
    return true;
}

int cl_flag_list(cl_op *op, const cl_flag_log_query *q,
                 cl_flag_disclosures *out)
{
    int64_t from = 0, to = INT64_MAX;
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_AUDITOR)) {
        snprintf(op->err, CL_ERROR_SZ, "flag disclosures are for the auditor");
        return CL_ERR_DENIED;
    }
    if ((q->from[0] && !s_day_start(q->from, &from)) ||
        (q->to[0] && !s_day_start(q->to, &to))) {
        snprintf(op->err, CL_ERROR_SZ,
                 "from and to must be dates as YYYY-MM-DD");
        return CL_ERR_INVALID;
    }
    if (q->to[0])
        to += 86400; /* to is inclusive */
    if (q->limit > CL_AUDIT_LIMIT) {
        snprintf(op->err, CL_ERROR_SZ, "limit: at most %d", CL_AUDIT_LIMIT);
        return CL_ERR_INVALID;
    }
    if (from >= to) {
        snprintf(op->err, CL_ERROR_SZ,
                 "to: before from (from must not be "
                 "after to)");
        return CL_ERR_INVALID;
    }
    s_list *l = calloc(1, sizeof(*l));
    if (!l)
        return CL_ERR_NOMEM;
    l->t = op->t;
    l->q = q;
    l->to = to;
    l->out = out;
    l->limit = q->limit ? q->limit : 100;
    l->note = &op->note;
    uint8_t start[8];
    cl_be64_put(start, (uint64_t)from);
    int rc = cl_store_scan_from(op->t, CL_DB_FLAG_LOG, start, sizeof(start),
                                s_list_one, l);
    if (rc == 1)
        rc = CL_OK;
    snprintf(op->note.purpose, sizeof(op->note.purpose),
             "flag disclosures listed: %zu (agency %.100s)", out->n,
             q->agency[0] ? q->agency : "any");
    sodium_memzero(l, sizeof(*l));
    free(l);
    return rc;
}

int cl_flag_decode_check(const uint8_t *buf, size_t len)
{
    cl_flag_disclosure x;
    cl_dec d = cl_dec_init(buf, len);
    s_log_dec(&d, &x);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

/* --- retention ------------------------------------------------------------
 * A flag log row is the record of a disclosure (which agency and user was
 * shown whose plan, when): the auditor keeps it, but a person removed by
 * retention is redacted from it. Their id, and the plan's id when the plan
 * was held on them, become S_GONE ("removed"); who was shown it and when
 * stay. One pass over the log for a whole purge.
 */

typedef struct s_redact {
    const uint64_t *gone; /* sorted */
    size_t n_gone;
    uint8_t (*keys)[16]; /* rows to rewrite */
    size_t n, cap;
    cl_txn *t;
    uint8_t buf[S_LOG_BUF];
} s_redact;

static int s_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool s_gone(const s_redact *r, uint64_t id)
{
    return id && id != S_GONE &&
           bsearch(&id, r->gone, r->n_gone, sizeof(id), s_u64_cmp);
}

/* Read row key into x and ids; *hit when it names someone gone. */
static int s_redact_read(s_redact *r, const uint8_t key[16],
                         cl_flag_disclosure *x, uint64_t ids[3], bool *hit)
{
    size_t vl = 0;
    int rc = cl_store_get(r->t, CL_DB_FLAG_LOG, key, 16, r->buf, sizeof(r->buf),
                          &vl);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(r->buf, vl);
    s_log_dec_ids(&d, x, ids);
    sodium_memzero(r->buf, vl);
    if (!cl_dec_ok(&d))
        return CL_ERR_CORRUPT;
    *hit = s_gone(r, ids[0]) || s_gone(r, ids[1]);
    return CL_OK;
}

static int s_redact_one(void *ctx, const uint8_t *key, size_t len)
{
    s_redact *r = ctx;
    cl_flag_disclosure x;
    uint64_t ids[3];
    bool hit = false;
    if (len != 16)
        return CL_ERR_CORRUPT;
    int rc = s_redact_read(r, key, &x, ids, &hit);
    sodium_memzero(&x, sizeof(x));
    if (rc != CL_OK || !hit)
        return rc;
    if (CL_VEC_GROW(r->keys, r->n, r->cap) != CL_OK)
        return CL_ERR_NOMEM;
    memcpy(r->keys[r->n++], key, 16);
    return CL_OK;
}

static int s_redact_row(s_redact *r, const uint8_t key[16])
{
    cl_flag_disclosure x;
    uint64_t ids[3];
    bool hit = false;
    int rc = s_redact_read(r, key, &x, ids, &hit);
    if (rc == CL_OK) {
        /* the plan is held on the child, or on the mother (unborn) */
        uint64_t holder = ids[1] ? ids[1] : ids[0];
        if (s_gone(r, holder))
            ids[2] = S_GONE;
        for (int i = 0; i < 2; i++)
            if (s_gone(r, ids[i]))
                ids[i] = S_GONE;
        cl_enc e = cl_enc_init(r->buf, sizeof(r->buf));
        s_log_enc(&e, &x, ids[0], ids[1], ids[2]);
        rc = cl_enc_ok(&e)
                 ? cl_store_put(r->t, CL_DB_FLAG_LOG, key, 16, r->buf, e.len)
                 : CL_ERR_INTERNAL;
        sodium_memzero(r->buf, sizeof(r->buf));
    }
    sodium_memzero(&x, sizeof(x));
    return rc;
}

int cl_flag_purge(cl_txn *t, const uint64_t *pids, size_t n)
{
    if (!n)
        return CL_OK;
    s_redact *r = calloc(1, sizeof(*r));
    uint64_t *gone = malloc(n * sizeof(*gone));
    int rc = r && gone ? CL_OK : CL_ERR_NOMEM;
    if (rc == CL_OK) {
        memcpy(gone, pids, n * sizeof(*gone));
        qsort(gone, n, sizeof(*gone), s_u64_cmp);
        r->gone = gone;
        r->n_gone = n;
        r->t = t;
        rc = cl_store_scan(t, CL_DB_FLAG_LOG, NULL, 0, s_redact_one, r);
    }
    /* rewritten after the scan: a put moves the cursor's pages */
    for (size_t i = 0; rc == CL_OK && i < r->n; i++)
        rc = s_redact_row(r, r->keys[i]);
    if (r)
        free(r->keys);
    free(r);
    free(gone);
    return rc;
}
