/*
 * alerts: routing after a publish: when a referral concerns a person
 * linked to a child with an active plan, the plan's agencies get a
 * safeguarding alert (once per referral and agency); a withdrawn referral
 * retracts them. Calls records, plan and the mailboxes, never a file
 * above it.
 */
#include "alerts.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "feed.h"
#include "mailbox.h"
#include "plan.h"
#include "records.h"
#include "refs.h"

/* --- routing after a publish ---------------------------------------------- */

/* Who is on an MDT agenda: person id || review id. */
static int s_known_to_mdt(cl_txn *t, uint64_t pid, bool *on)
{
    cl_records_ids ids = {.max = 1};
    int rc = cl_records_children(t, CL_DB_PERSON_AGENDA, pid, &ids);
    *on = ids.n > 0;
    free(ids.v);
    return rc;
}

/* alerted: referral id || blind("alerted", agency) -> v1, agency, the
 * agency's plan reference, when */
static int s_alerted_put(cl_txn *t, uint64_t ref_id, const char *agency,
                         const char *plan_ref, int64_t now)
{
    uint8_t k[8 + CL_BLIND_LEN], buf[CL_AGENCY_SZ + CL_REF_SZ + 32];
    cl_be64_put(k, ref_id);
    cl_store_blind(cl_store_of(t), k + 8, "alerted", (const uint8_t *)agency,
                   strlen(agency));
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, CL_RECORDS_VERSION);
    cl_enc_str(&e, agency);
    cl_enc_str(&e, plan_ref);
    cl_enc_i64(&e, now);
    return cl_enc_ok(&e)
               ? cl_store_put(t, CL_DB_ALERTED, k, sizeof(k), buf, e.len)
               : CL_ERR_INTERNAL;
}

void cl_alerts_alerted_dec(cl_dec *d, void *out)
{
    cl_alerts_alerted *a = out;
    memset(a, 0, sizeof(*a));
    if (cl_dec_u8(d) != CL_RECORDS_VERSION)
        d->bad = true;
    CL_DEC_STR(d, a->agency);
    CL_DEC_STR(d, a->plan_ref);
    a->at = cl_dec_i64(d);
}

typedef struct s_akeys {
    uint8_t (*v)[8 + CL_BLIND_LEN];
    size_t n, cap;
} s_akeys;

static int s_akey_one(void *ctx, const uint8_t *key, size_t len)
{
    s_akeys *a = ctx;
    if (len != 8 + CL_BLIND_LEN)
        return CL_ERR_CORRUPT;
    if (CL_VEC_GROW(a->v, a->n, a->cap) != CL_OK)
        return CL_ERR_NOMEM;
    memcpy(a->v[a->n++], key, len);
    return CL_OK;
}

/* Forget which agencies a referral alerted (retention). */
int cl_alerts_alerted_purge(cl_txn *t, uint64_t ref_id)
{
    uint8_t k[8];
    s_akeys a = {0};
    cl_be64_put(k, ref_id);
    int rc = cl_store_scan(t, CL_DB_ALERTED, k, 8, s_akey_one, &a);
    for (size_t i = 0; i < a.n && rc == CL_OK; i++)
        rc = cl_records_del(t, CL_DB_ALERTED, a.v[i], sizeof(a.v[i]));
    free(a.v);
    return rc;
}

typedef struct s_retract {
    cl_txn *t;
    const cl_route_config *cfg;
    const cl_records_referral *sr;
    const char *reason;
    int64_t now;
    cl_delivery *d;
    uint32_t sent;
} s_retract;

static int s_retract_one(void *ctx, const uint8_t *key, size_t len)
{
    s_retract *c = ctx;
    uint8_t buf[CL_AGENCY_SZ + CL_REF_SZ + 32];
    char agency[CL_AGENCY_SZ], err[CL_ERROR_SZ];
    size_t vlen = 0;
    int rc =
        cl_store_get(c->t, CL_DB_ALERTED, key, len, buf, sizeof(buf), &vlen);
    if (rc != CL_OK)
        return rc;
    cl_retraction_msg *m = &c->d->u.retraction;
    memset(c->d, 0, sizeof(*c->d));
    c->d->kind = CL_DLV_RETRACTION;
    cl_dec d = cl_dec_init(buf, vlen);
    cl_alerts_alerted al;
    cl_alerts_alerted_dec(&d, &al);
    CL_COPY(agency, al.agency);
    CL_COPY(m->plan_ref, al.plan_ref);
    if (!cl_dec_ok(&d))
        return CL_ERR_CORRUPT;
    CL_COPY(m->reference, c->sr->reference);
    CL_COPY(m->agency, c->sr->agency);
    CL_COPY(m->reason, c->reason);
    m->at = c->now;
    /* a notice the daemon raises itself: never refused */
    rc = cl_mailbox_put(c->t, c->cfg, agency, c->d, false, c->now, err);
    if (rc == CL_OK)
        c->sent++;
    return rc;
}

int cl_alerts_retract(cl_txn *t, const cl_route_config *cfg,
                      const char *reference, const char *reason, int64_t now,
                      uint32_t *sent)
{
    uint64_t ref_id = 0;
    uint8_t k[8];
    *sent = 0;
    if (!cl_records_parse_ref(reference, &ref_id))
        return CL_ERR_INVALID;
    cl_records_referral *sr = calloc(1, sizeof(*sr));
    cl_delivery *d = calloc(1, sizeof(*d));
    int rc = sr && d ? cl_records_referral_get(t, ref_id, sr) : CL_ERR_NOMEM;
    s_retract c = {t, cfg, sr, reason, now, d, 0};
    cl_be64_put(k, ref_id);
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_ALERTED, k, 8, s_retract_one, &c);
    *sent = c.sent;
    if (sr)
        sodium_memzero(sr, sizeof(*sr));
    if (d)
        sodium_memzero(d, sizeof(*d));
    free(sr);
    free(d);
    return rc;
}

static int s_alert(cl_txn *t, const cl_route_config *cfg,
                   const cl_caller *caller, const cl_records_referral *sr,
                   uint64_t subject, const cl_plan_alert *ap, int64_t now)
{
    cl_records_plan plan;
    cl_records_record rec;
    cl_audit_note note;
    char err[CL_ERROR_SZ];
    int rc = cl_records_plan_get(t, ap->plan_id, &plan);
    if (rc != CL_OK)
        return rc;
    if (strcmp(plan.agency, caller->agency) == 0)
        return CL_OK; /* the responsible agency referred: it knows */
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!d)
        return CL_ERR_NOMEM;
    d->kind = CL_DLV_ALERT;
    cl_alert *a = &d->u.alert;
    CL_COPY(a->reference, sr->reference);
    CL_COPY(a->plan_ref, plan.p.agency_ref);
    a->plan_type = plan.p.type;
    cl_audit_pid_str(a->child_pid, ap->child);
    cl_audit_pid_str(a->subject_pid, subject);
    if (plan.p.type == CL_PLAN_UNBORN)
        CL_COPY(a->subject_is, ap->rel ? "linked to the expectant mother"
                                       : "the expectant mother");
    else if (ap->rel)
        CL_COPY(a->subject_is, cl_rel_name(cl_records_inverse(ap->rel)));
    else
        CL_COPY(a->subject_is, "the child");
    cl_records_ids recs = {.max = 1};
    rc = cl_records_children(t, CL_DB_PERSON_RECORDS, ap->child, &recs);
    if (rc == CL_OK && recs.n &&
        (rc = cl_records_record_get(t, recs.v[0], &rec)) == CL_OK) {
        CL_COPY(a->child_given, rec.p.given);
        CL_COPY(a->child_family, rec.p.family);
        CL_COPY(a->child_dob, rec.p.dob);
        sodium_memzero(&rec, sizeof(rec));
    }
    free(recs.v);
    if (rc == CL_OK) { /* the subject as the referring agency knows them */
        cl_person sp;
        bool own;
        rc = cl_records_person_as(t, subject, caller->agency, &sp, &own);
        CL_COPY(a->subject_given, sp.given);
        CL_COPY(a->subject_family, sp.family);
        CL_COPY(a->subject_dob, sp.dob);
        sodium_memzero(&sp, sizeof(sp));
    }
    CL_COPY(a->agency, sr->agency);
    CL_COPY(a->referrer_name, sr->r.referrer_name);
    CL_COPY(a->referrer_role, sr->r.referrer_role);
    a->category = sr->r.category;
    a->risk = sr->r.risk;
    CL_COPY(a->concern, sr->r.concern);
    a->occurred_at = sr->r.occurred_at;
    a->received_at = sr->received;
    if (rc == CL_OK)
        rc = cl_mailbox_put(t, cfg, plan.agency, d, false, now, err);
    uint64_t ref_id = 0;
    if (rc == CL_OK && cl_records_parse_ref(sr->reference, &ref_id))
        /* kept: a withdrawal sends this agency a retraction */
        rc = s_alerted_put(t, ref_id, plan.agency, plan.p.agency_ref, now);
    /* the disclosure is itself audited: to whom, about whom, why */
    if (rc == CL_OK) {
        cl_caller sys;
        memset(&sys, 0, sizeof(sys));
        CL_COPY(sys.name, "caselinkd");
        CL_COPY(sys.agency, plan.agency);
        memset(&note, 0, sizeof(note));
        cl_records_note_person(&note, ap->child);
        cl_records_note_person(&note, subject);
        snprintf(note.purpose, sizeof(note.purpose),
                 "safeguarding alert to %.64s: plan PLAN-%08" PRIu64
                 " (delivery %" PRIu64 ")",
                 plan.agency, ap->plan_id, d->seq);
        CL_COPY(note.detail, sr->reference);
        rc = cl_audit_append(t, &sys, "safeguarding_alert", &note, CL_STATUS_OK,
                             now);
    }
    sodium_memzero(d, sizeof(*d));
    free(d);
    return rc;
}

int cl_alerts_route_publish(cl_txn *t, const cl_route_config *cfg,
                            const cl_caller *caller, const cl_referral *r,
                            int64_t now, cl_publish_result *out,
                            cl_feed_event *ev)
{
    uint64_t ref_id = 0;
    cl_refs_ref head;
    char today[CL_DATE_SZ];
    uint8_t k[16];
    int rc;
    memset(ev, 0, sizeof(*ev));
    if (!cl_records_parse_ref(out->reference, &ref_id))
        return CL_ERR_INTERNAL;
    /* the whole stored referral (about 22 KB to clear, decode and wipe)
     * only for an alert to send: its subject is in its head */
    cl_records_referral *sr = NULL;
    cl_plan_ap_ctx *c = calloc(1, sizeof(*c));
    cl_records_ids rels = {.max = 256};
    if (!c) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    if ((rc = cl_refs_by_id(t, ref_id, &head)) != CL_OK)
        goto out;
    uint64_t pid = head.pid;
    cl_records_date(now, today);
    c->t = t;
    c->today = today;
    /* the subject's own plans, then those of every child linked to them */
    c->holder = pid;
    cl_records_key(k, pid);
    if ((rc = cl_store_scan(t, CL_DB_PERSON_PLANS, k, 8, cl_plan_ap_one, c)) !=
        CL_OK)
        goto out;
    if ((rc = cl_records_children(t, CL_DB_RELATION, pid, &rels)) != CL_OK)
        goto out;
    for (size_t i = 0; i < rels.n && rc == CL_OK; i++) {
        cl_records_relation rel;
        if ((rc = cl_records_relation_get(t, pid, rels.v[i], &rel)) != CL_OK)
            break;
        c->holder = rels.v[i];
        c->rel = rel.rel; /* what the child is to pid */
        cl_records_key(k, rels.v[i]);
        rc = cl_store_scan(t, CL_DB_PERSON_PLANS, k, 8, cl_plan_ap_one, c);
    }
    if (rc == CL_OK && c->n) {
        sr = calloc(1, sizeof(*sr));
        rc = sr ? cl_records_referral_get(t, ref_id, sr) : CL_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->n && rc == CL_OK; i++)
        rc = s_alert(t, cfg, caller, sr, pid, &c->v[i], now);
    if (rc == CL_OK && cfg->tell_known_to_mdt)
        rc = s_known_to_mdt(t, pid, &out->known_to_mdt);
    if (rc == CL_OK)
        rc =
            cl_feed_note(t, cfg, caller->agency, r->feed, r->feed_seq, now, ev);
out:
    if (sr)
        sodium_memzero(sr, sizeof(*sr));
    sodium_memzero(&head, sizeof(head));
    free(sr);
    free(c);
    free(rels.v);
    return rc;
}

typedef struct s_delivered {
    cl_txn *t;
    uint64_t pid;
    cl_alerts_fn fn;
    void *ctx;
} s_delivered;

/* An audited delivery: its detail is the referral that raised it. */
static int s_delivered_one(void *ctx, const cl_audit_entry *e)
{
    s_delivered *c = ctx;
    cl_refs_ref r;
    int rc = cl_refs_get(c->t, e->detail, &r);
    if (rc == CL_ERR_NOT_FOUND) /* purged since */
        return CL_OK;
    if (rc != CL_OK || r.pid != c->pid || r.withdrawn)
        return rc;
    return c->fn(c->ctx, &r, e->at);
}

int cl_alerts_each_delivered(cl_txn *t, uint64_t pid, cl_alerts_fn fn,
                             void *ctx)
{
    s_delivered c = {.t = t, .pid = pid, .fn = fn, .ctx = ctx};
    return cl_audit_each_for(t, pid, "safeguarding_alert", s_delivered_one, &c);
}
