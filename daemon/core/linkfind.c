/*
 * linkfind: who a description is about. Deterministic links by NHS or CHI
 * number or the agency's own local id, otherwise the Fellegi-Sunter weight
 * against every record sharing a blocking key; attaching a record to the
 * person found (or a new one), merging people a record brings together,
 * queueing the doubtful pairs; publishing referrals and importing
 * caseloads on top of that. The candidates come from linkfind_cand.c,
 * the rules of what fits one person from linkfind_fit.c; re-evaluating a
 * stored record is linkfind_relink.c's. Calls records, matchq and those
 * only.
 */
#include "linkfind.h"

#include <inttypes.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "linkfind_relink.h"
#include "match.h"
#include "matchq.h"
#include "overlay.h"
#include "rechist.h"
#include "records.h"
#include "refs.h"
#include "refindex.h"
#include "ids.h"

/* One candidate record's weight, for choosing among people. */
typedef struct s_cand {
    uint64_t pid, rid;
    double w;
    unsigned discerns; /* cl_match_discerns */
} s_cand;

static int s_cand_w_cmp(const void *a, const void *b)
{
    const s_cand *x = a, *y = b;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    return x->rid < y->rid ? -1 : x->rid > y->rid;
}

/* Deterministic: the agency's own local id, then the NHS or CHI number
 * (*found false if p carries none that is indexed). */
static int s_link_by_ident(cl_txn *t, const cl_store *st, const cl_caller *c,
                           const cl_person *p, cl_linkfind_link *out,
                           bool *found)
{
    uint64_t rid = 0;
    cl_records_record rec;
    int rc;
    *found = false;
    struct {
        const char *domain, *v1, *v2;
        uint8_t reason;
        bool same_agency;
    } rules[] = {
        {"local", c->agency, p->local_id, CL_LINK_LOCAL_ID, true},
        {"nhs", p->nhs, NULL, CL_LINK_NHS, false},
        {"chi", p->chi, NULL, CL_LINK_CHI, false},
    };
    for (size_t i = 0; i < 3; i++) {
        if (!(i == 0 ? p->local_id[0] : rules[i].v1[0]))
            continue;
        rc = cl_records_link_ident(t, st, rules[i].domain, rules[i].v1,
                                   rules[i].v2, &rid);
        if (rc == CL_ERR_NOT_FOUND)
            continue;
        *found = true;
        if (rc == CL_OK)
            rc = cl_records_record_get(t, rid, &rec);
        if (rc != CL_OK)
            return rc;
        out->person_id = rec.person_id;
        out->reason = rules[i].reason;
        /* Reuse the record when it is this agency's own view of the person
         * and does not carry a different local id: one record per agency
         * per person. The first record under the identifier may be another
         * agency's, so this agency's own one is looked for among the
         * person's records. */
        cl_records_ids mine = {.max = 256};
        if (strcmp(rec.agency, c->agency) != 0)
            rc = cl_records_children(t, CL_DB_PERSON_RECORDS, rec.person_id,
                                     &mine);
        for (size_t j = 0; j < mine.n && rc == CL_OK; j++) {
            cl_records_record o;
            if ((rc = cl_records_record_get(t, mine.v[j], &o)) != CL_OK)
                break;
            bool own = strcmp(o.agency, c->agency) == 0 &&
                       (!p->local_id[0] || !o.p.local_id[0] ||
                        strcmp(o.p.local_id, p->local_id) == 0);
            if (own) {
                rid = mine.v[j];
                rec = o;
            }
            sodium_memzero(&o, sizeof(o));
            if (own)
                break;
        }
        free(mine.v);
        if (rc != CL_OK) {
            sodium_memzero(&rec, sizeof(rec));
            return rc;
        }
        if (strcmp(rec.agency, c->agency) == 0 &&
            (!p->local_id[0] || !rec.p.local_id[0] ||
             strcmp(rec.p.local_id, p->local_id) == 0))
            out->record_id = rid;
        sodium_memzero(&rec, sizeof(rec));
        return CL_OK;
    }
    return CL_OK;
}

/* Whether a match reads candidate i of n: the first out->compared, the
 * first look (cl_linkfind_cand_looks), then the rest only when the best
 * weight among those (cv) is worth a review but no link. */
static bool s_look(const cl_match_config *mc, cl_linkfind_link *out, size_t i,
                   size_t n, const s_cand *cv, size_t ncv)
{
    double best = -1e9;
    for (size_t j = 0; i == out->compared && j < ncv; j++)
        best = cv[j].w > best ? cv[j].w : best;
    if (i == out->compared && best >= mc->lower && best < mc->upper)
        out->compared = n;
    return i < out->compared;
}

/* The candidates read for a description: each one's weight, and this
 * agency's own records among them by person, reused when the person they
 * belong to is the one chosen. */
typedef struct s_cands {
    s_cand *v;
    size_t n, cap;
    struct {
        uint64_t pid, rid;
    } own[16];
    size_t n_own;
} s_cands;

/* Probabilistic: read and weigh every record sharing a blocking key with p
 * (the first look, then the rest only when s_look says so) into cs, which
 * the caller frees. */
static int s_link_weigh(cl_txn *t, const cl_store *st,
                        const cl_match_config *mc, const cl_caller *c,
                        const cl_person *p, cl_linkfind_link *out, s_cands *cs)
{
    cl_records_record rec;
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    /* how common p's names are: each counted once a candidate carries
     * the same name, the only weights that read it (cl_match_tf_wants) */
    cl_match_tf tf = {0};
    unsigned counted = 0;
    cl_match_prep pp; /* p's fields as compared, once for every candidate */
    cl_match_prepare(&pp, p);
    int rc = cl_linkfind_cand_looks(t, st, p, &ids, &out->compared);
    for (size_t i = 0; rc == CL_OK && s_look(mc, out, i, ids.n, cs->v, cs->n);
         i++) {
        rc = cl_records_record_get(t, ids.v[i], &rec);
        if (rc == CL_ERR_NOT_FOUND) {
            rc = CL_OK; /* an index row left by an older key scheme */
            continue;
        }
        if (rc != CL_OK)
            break;
        /* Identifiers that disagree, its own or its person's, rule a
         * candidate out. */
        bool conflict = false;
        rc = cl_linkfind_fit_ident_clash(t, p, &rec, &conflict);
        unsigned want = cl_match_tf_wants(&pp, &rec.p) & ~counted;
        if (want && rc == CL_OK)
            rc = cl_linkfind_cand_tf_part(t, st, mc, p, false, want, &tf);
        counted |= want;
        bool same_agency = strcmp(rec.agency, c->agency) == 0;
        int lv[CL_MATCH_NFIELDS];
        double w =
            cl_linkfind_fit_weight_prepared(mc, &tf, c->agency, &pp, &rec, lv);
        if (!conflict && cs->n_own < 16 && same_agency && !p->local_id[0] &&
            !rec.p.local_id[0]) {
            cs->own[cs->n_own].pid = rec.person_id;
            cs->own[cs->n_own++].rid = ids.v[i];
        }
        if (conflict)
            continue;
        s_cand *cd = CL_VEC_ADD(cs->v, cs->n, cs->cap);
        if (!cd) {
            rc = CL_ERR_NOMEM;
            break;
        }
        cd->pid = rec.person_id;
        cd->rid = ids.v[i];
        cd->w = w;
        cd->discerns = cl_match_discerns(lv);
    }
    sodium_memzero(&rec, sizeof(rec));
    sodium_memzero(&pp, sizeof(pp));
    free(ids.v);
    return rc;
}

/* The best record of each person, best person first: the first of cv's n
 * candidates, sorted, become one per person (returns how many people).
 * *contradicted when the best person is bridged. */
static size_t s_link_people(const cl_match_config *mc, s_cand *cv, size_t n,
                            bool *contradicted)
{
    if (n > 1)
        qsort(cv, n, sizeof(*cv), s_cand_w_cmp);
    /* Bridged: the best person is reached through a record that says
     * nothing of a given name or a date of birth that another of the
     * person's records plainly differs from this one in, and that record
     * would not link by itself (cl_match_bridged). A record without a
     * date of birth matches a mother and the daughter of her name alike;
     * once it is on the mother, the daughter's record is not hers. */
    *contradicted = false;
    for (size_t i = 1; i < n && !*contradicted; i++)
        *contradicted = cv[i].pid == cv[0].pid && cv[i].w < mc->upper &&
                        cl_match_bridged(cv[0].discerns, cv[i].discerns);
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < np && !seen; j++)
            seen = cv[j].pid == cv[i].pid;
        if (!seen)
            cv[np++] = cv[i];
    }
    return np;
}

/* The outcome from the np people of cs (s_link_people): a link to the
 * best, or a new person with the best pair for review, and the others
 * worth a review. */
static int s_link_choose(cl_txn *t, const cl_match_config *mc,
                         const s_cands *cs, size_t np, bool contradicted,
                         cl_linkfind_link *out)
{
    const s_cand *cv = cs->v;
    double best = np ? cv[0].w : -1e9;
    /* Ambiguous: a second person matches above the upper threshold too,
     * and the two do not fit together, or fit about equally while held
     * apart (cl_linkfind_fit_ambiguous): linked to neither, both pairs
     * queued. */
    bool ambiguous = false;
    int rc;
    if (np > 1 && (rc = cl_linkfind_fit_ambiguous(
                       t, mc, cv[0].pid, best, cv[1].pid, cv[1].rid, cv[1].w,
                       cv[0].discerns & cv[1].discerns, &ambiguous)) != CL_OK)
        return rc;
    if (best >= mc->upper && !ambiguous && !contradicted) {
        out->person_id = cv[0].pid;
        out->reason = CL_LINK_SCORE;
        out->score = best;
        for (size_t i = 0; i < cs->n_own && !out->record_id; i++)
            if (cs->own[i].pid == out->person_id)
                out->record_id = cs->own[i].rid;
    } else {
        /* Not sure enough: a new person, and if the best candidate is
         * plausible the pair goes to a coordinator's review queue. */
        out->reason = CL_LINK_NEW;
        out->score = np ? best : 0.0;
        if (best >= mc->lower)
            out->review_rid = cv[0].rid;
    }
    for (size_t i = 1; i < np && out->n_more < CL_LINKFIND_MORE; i++) {
        if (cv[i].w < mc->lower)
            break;
        out->more_pid[out->n_more] = cv[i].pid;
        out->more_rid[out->n_more] = cv[i].rid;
        out->more_score[out->n_more++] = cv[i].w;
    }
    return CL_OK;
}

static int s_link_find(cl_txn *t, const cl_store *st, const cl_match_config *mc,
                       const cl_caller *c, const cl_person *p,
                       cl_linkfind_link *out)
{
    bool found, contradicted;
    memset(out, 0, sizeof(*out));
    int rc = s_link_by_ident(t, st, c, p, out, &found);
    if (rc != CL_OK || found)
        return rc;
    s_cands cs = {0};
    rc = s_link_weigh(t, st, mc, c, p, out, &cs);
    if (rc == CL_OK) {
        size_t np = s_link_people(mc, cs.v, cs.n, &contradicted);
        rc = s_link_choose(t, mc, &cs, np, contradicted, out);
    }
    free(cs.v);
    return rc;
}

/* A new record's id; the first record of a store holding none (new,
 * or emptied by retention) marks it counted at its places from the start
 * (cl_linkfind_cand_places_counted). */
static int s_record_id(cl_txn *t, int64_t now, uint64_t *id)
{
    uint64_t held = 0;
    int rc = cl_store_entries(t, CL_DB_RECORD, &held);
    if (rc == CL_OK && held == 0)
        rc = cl_linkfind_cand_places_mark(t, now);
    return rc == CL_OK ? cl_store_next_id(t, "record", id) : rc;
}

/* Attach p (as caller's agency describes it) to a person; returns ids.
 * subject: the record is about its person (a referral's or an import's
 * subject, cl_records_record_subject), written so in the one seal. */
static int s_link_person_info(cl_txn *t, const cl_store *st,
                              const cl_match_config *mc, const cl_caller *c,
                              const cl_person *p, int64_t now, bool subject,
                              uint64_t *person_id, uint64_t *record_id,
                              cl_linkfind_link *info);

/* People with records at the same UPRN live in one household: record it
 * as an inferred relationship unless one is known already. */
static int s_infer_household(cl_txn *t, const cl_store *st, uint64_t pid,
                             uint64_t rid, const char *uprn)
{
    cl_records_blinds b = {0};
    cl_records_ids ids = {.max = 20};
    uint8_t k[16], buf[256];
    size_t len;
    cl_records_blind_add(st, &b, "uprn", uprn, NULL);
    int rc = cl_records_lookup(t, b.k[0], &ids);
    for (size_t i = 0; i < ids.n && rc == CL_OK; i++) {
        cl_records_record other;
        if (ids.v[i] == rid)
            continue;
        if ((rc = cl_records_record_get(t, ids.v[i], &other)) != CL_OK)
            break;
        uint64_t o = other.person_id;
        sodium_memzero(&other, sizeof(other));
        if (o == pid)
            continue;
        cl_records_key(k, pid);
        cl_records_key(k + 8, o);
        rc = cl_store_get(t, CL_DB_RELATION, k, 16, buf, sizeof(buf), &len);
        if (rc == CL_OK)
            continue; /* a stated (or inferred) relationship exists */
        if (rc != CL_ERR_NOT_FOUND)
            break;
        rc = cl_records_relation_put_as(t, pid, o, CL_REL_HOUSEHOLD,
                                        "shared address (UPRN)", 1);
        if (rc == CL_OK)
            rc = cl_records_relation_put_as(t, o, pid, CL_REL_HOUSEHOLD,
                                            "shared address (UPRN)", 1);
    }
    free(ids.v);
    return rc;
}

/* People converge: record l->record_id, just linked, that matches other
 * people above the upper threshold brings them together, unless a
 * coordinator decided on either (then a coordinator decides again), the
 * other's records do not fit, or the pair is only a bridge
 * (cl_linkfind_fit_bridged); a pair between the thresholds is queued. */
static int s_converge(cl_txn *t, const cl_store *st, const cl_match_config *mc,
                      const cl_linkfind_link *l, int64_t now)
{
    int rc = CL_OK;
    for (size_t i = 0; i < l->n_more && rc == CL_OK; i++) {
        bool decided = false;
        if (l->more_pid[i] == l->person_id)
            continue;
        bool fits = false, bridged = false;
        if (l->reason == CL_LINK_SCORE && l->more_score[i] >= mc->upper &&
            (rc = cl_linkfind_fit_person(t, mc, l->more_rid[i], l->person_id,
                                         l->record_id, true, &fits)) == CL_OK &&
            fits &&
            (rc = cl_linkfind_fit_bridged(t, mc, l->record_id, l->more_rid[i],
                                          l->person_id, l->more_pid[i],
                                          &bridged)) == CL_OK &&
            !bridged &&
            (rc = cl_matchq_person_decided(t, st, l->person_id, &decided)) ==
                CL_OK &&
            !decided &&
            (rc = cl_matchq_person_decided(t, st, l->more_pid[i], &decided)) ==
                CL_OK &&
            !decided) {
            rc = cl_matchq_merge_people(t, l->more_pid[i], l->person_id, now,
                                        CL_LINK_MERGED);
            continue;
        }
        if (rc == CL_OK)
            rc = cl_matchq_review_add(t, l->record_id, l->more_rid[i],
                                      l->more_score[i], now);
    }
    return rc;
}

int cl_linkfind_person(cl_txn *t, const cl_store *st, const cl_match_config *mc,
                       const cl_caller *c, const cl_person *p, int64_t now,
                       uint64_t *person_id, uint64_t *record_id)
{
    return s_link_person_info(t, st, mc, c, p, now, false, person_id, record_id,
                              NULL);
}

/* Attach p and report how (info may be NULL). */
static int s_link_person_info(cl_txn *t, const cl_store *st,
                              const cl_match_config *mc, const cl_caller *c,
                              const cl_person *p, int64_t now, bool subject,
                              uint64_t *person_id, uint64_t *record_id,
                              cl_linkfind_link *info)
{
    cl_linkfind_link l;
    cl_records_record rec;
    uint8_t k[16];
    int rc = s_link_find(t, st, mc, c, p, &l);
    if (rc != CL_OK)
        return rc;
    if (info)
        *info = l;
    if (l.person_id == 0) {
        if ((rc = cl_store_next_id(t, "person", &l.person_id)) != CL_OK)
            return rc;
        if ((rc = cl_records_person_put(t, l.person_id, now, now)) != CL_OK)
            return rc;
        if ((rc = cl_records_activity(t, l.person_id, now, true)) != CL_OK)
            return rc;
    } else if ((rc = cl_records_touch(t, l.person_id, now)) != CL_OK) {
        return rc;
    }
    cl_records_blinds before = {0};
    /* the record's details as they were: its index rows stay as they are */
    bool same = false;
    if (l.record_id) {
        rc = cl_records_record_get(t, l.record_id, &rec);
        if (rc != CL_OK)
            return rc;
        cl_person merged = rec.p;
        (void)cl_overlay_person(&merged, p);
        bool unchanged = memcmp(&merged, &rec.p, sizeof(merged)) == 0;
        bool marks = subject && rec.subject != CL_RECORDS_SUBJECT;
        if (unchanged && now - rec.updated < CL_RECORDS_ACTIVITY_GRAIN) {
            /* nothing new about this person: leave the record alone, but
             * for saying it is about its person */
            rec.subject = CL_RECORDS_SUBJECT;
            rc = marks ? cl_records_record_put(t, l.record_id, &rec) : CL_OK;
            *person_id = l.person_id;
            *record_id = l.record_id;
            sodium_memzero(&rec, sizeof(rec));
            sodium_memzero(&merged, sizeof(merged));
            return rc;
        }
        if (marks)
            rec.subject = CL_RECORDS_SUBJECT;
        /* the details change: the earlier ones are kept, with when, and
         * the index rows they had are the ones to change */
        if (!unchanged &&
            (rc = cl_rechist_put(t, l.record_id, &rec, c, now)) != CL_OK) {
            sodium_memzero(&rec, sizeof(rec));
            sodium_memzero(&merged, sizeof(merged));
            return rc;
        }
        same = unchanged && strcmp(rec.agency, c->agency) == 0;
        if (!same) {
            cl_records_ident_blinds(st, rec.agency, &rec.p, &before);
            cl_records_blocking(st, &rec.p, &before);
        }
        rec.p = merged;
        sodium_memzero(&merged, sizeof(merged));
        rec.updated = now;
    } else {
        memset(&rec, 0, sizeof(rec));
        CL_COPY(rec.agency, c->agency);
        CL_COPY(rec.kind, c->kind);
        rec.p = *p;
        rec.subject = subject ? CL_RECORDS_SUBJECT : CL_RECORDS_MENTION;
        rec.person_id = l.person_id;
        rec.link_reason = l.reason;
        rec.link_score = l.score;
        rec.created = rec.updated = now;
        if ((rc = s_record_id(t, now, &l.record_id)) != CL_OK)
            return rc;
        cl_records_key(k, l.person_id);
        cl_records_key(k + 8, l.record_id);
        rc = cl_store_put_raw(t, CL_DB_PERSON_RECORDS, k, 16, NULL, 0);
        if (rc != CL_OK)
            return rc;
    }
    rc = cl_records_record_put(t, l.record_id, &rec);
    /* Index only what changed: a referral about a known person usually
     * changes nothing, and every index write dirties a B-tree page; with
     * the same details (same) the keys are the same ones, not even
     * hashed (about 26 keyed hashes each side). */
    cl_records_blinds b = {0};
    if (!same) {
        cl_records_ident_blinds(st, c->agency, &rec.p, &b);
        cl_records_blocking(st, &rec.p, &b);
    }
    for (size_t i = 0; i < b.n && rc == CL_OK; i++)
        if (!cl_records_blinds_has(&before, b.k[i]))
            rc = cl_records_blinds_put(t, &b, i, l.record_id);
    for (size_t i = 0; i < before.n && rc == CL_OK; i++)
        if (!cl_records_blinds_has(&b, before.k[i]))
            rc = cl_records_blinds_del(t, &before, i, l.record_id);
    sodium_memzero(&rec, sizeof(rec));
    if (rc == CL_OK && l.review_rid)
        rc = cl_matchq_review_add(t, l.record_id, l.review_rid, l.score, now);
    if (rc == CL_OK)
        rc = s_converge(t, st, mc, &l, now);
    /* a record without the field that holds this one apart from its
     * person leaves that person (cl_linkfind_relink_detach) */
    for (size_t i = 0; i <= l.n_more && rc == CL_OK; i++) {
        uint64_t other = i < l.n_more ? l.more_rid[i] : l.review_rid;
        bool gone = false;
        if (other && (i < l.n_more ? l.more_score[i] : l.score) >= mc->upper)
            rc = cl_linkfind_relink_detach(t, mc, NULL, other, l.record_id, now,
                                           &gone);
    }
    if (rc == CL_OK && p->uprn[0])
        rc = s_infer_household(t, st, l.person_id, l.record_id, p->uprn);
    if (rc == CL_OK) {
        *person_id = l.person_id;
        *record_id = l.record_id;
    }
    return rc;
}

/* Link each related person and record how they relate to person pid. */
int cl_linkfind_relate(cl_txn *t, const cl_store *st, const cl_match_config *mc,
                       const cl_caller *caller, uint64_t pid,
                       const cl_related *related, uint32_t n, int64_t now,
                       cl_audit_note *note)
{
    int rc = CL_OK;
    for (uint32_t i = 0; i < n && rc == CL_OK; i++) {
        uint64_t opid = 0, orid = 0;
        rc = cl_linkfind_person(t, st, mc, caller, &related[i].person, now,
                                &opid, &orid);
        if (rc != CL_OK || opid == pid)
            continue;
        cl_records_note_person(note, opid);
        rc = cl_records_relation_put(t, pid, opid, related[i].rel,
                                     caller->agency);
        if (rc == CL_OK)
            rc = cl_records_relation_put(t, opid, pid,
                                         cl_records_inverse(related[i].rel),
                                         caller->agency);
    }
    return rc;
}

int cl_linkfind_publish(cl_op *op, const cl_match_config *mc,
                        const cl_referral *r, cl_publish_result *out)
{
    const cl_store *st = cl_store_of(op->t);
    uint64_t pid = 0, rid = 0, ref_id = 0;
    /* the stored referral's own fields; the request's are r's, read from
     * there (cl_records_referral_put_from): s.r is never set or read */
    cl_records_referral s;
    memset(&s, 0, offsetof(cl_records_referral, r));
    uint8_t k[16];
    int rc;

    if (!(op->who->roles & CL_ROLE_PUBLISHER)) {
        snprintf(op->err, CL_ERROR_SZ, "publishing needs the publisher role");
        return CL_ERR_DENIED;
    }
    if ((rc = cl_refs_check_occurred(r->occurred_at, op->now,
                                     "publish_referral.referral.occurred_at",
                                     op->err)) != CL_OK)
        return rc;
    rc = s_link_person_info(op->t, st, mc, op->who, &r->subject, op->now, true,
                            &pid, &rid, NULL);
    if (rc != CL_OK)
        goto out;
    cl_records_note_person(&op->note, pid);
    if ((rc = cl_linkfind_relate(op->t, st, mc, op->who, pid, r->related,
                                 r->n_related, op->now, &op->note)) != CL_OK)
        goto out;
    if ((rc = cl_store_next_id(op->t, "referral", &ref_id)) != CL_OK)
        goto out;
    s.record_id = rid;
    CL_COPY(s.agency, op->who->agency);
    CL_COPY(s.kind, op->who->kind);
    CL_COPY(s.client, op->who->name);
    (void)cl_id_format(s.reference, sizeof(s.reference), CL_ID_REFERRAL,
                       ref_id);
    s.received = op->now;
    s.version = 1;
    if ((rc = cl_records_referral_put_from(op->t, ref_id, &s, r)) != CL_OK)
        goto out;
    /* the agency's own reference finds it again; a reference used twice
     * keeps naming the first referral */
    rc = cl_refindex_add_key(op->t, &op->aref, op->who->agency, r->agency_ref,
                             ref_id);
    if (rc != CL_OK && rc != CL_ERR_EXISTS)
        goto out;
    cl_records_key(k, rid);
    cl_records_key(k + 8, ref_id);
    if ((rc = cl_store_put_raw(op->t, CL_DB_RECORD_REFERRALS, k, 16, NULL,
                               0)) != CL_OK)
        goto out;
    CL_COPY(out->reference, s.reference);
    CL_COPY(op->note.detail, s.reference);
out:
    sodium_memzero(&s, offsetof(cl_records_referral, r));
    if (rc != CL_OK && !op->err[0])
        snprintf(op->err, CL_ERROR_SZ, "publish failed: %s", cl_strerror(rc));
    return rc;
}

int cl_linkfind_import_person(cl_op *op, const cl_match_config *mc,
                              const cl_import *im, cl_import_result *out)
{
    uint64_t pid = 0, rid = 0;
    cl_linkfind_link info;
    if (!(op->who->roles & CL_ROLE_PUBLISHER)) {
        snprintf(op->err, CL_ERROR_SZ, "importing needs the publisher role");
        return CL_ERR_DENIED;
    }
    if (im->agency[0] && strcmp(im->agency, op->who->agency) != 0) {
        snprintf(op->err, CL_ERROR_SZ,
                 "this client is registered for %.100s, not the agency "
                 "named",
                 op->who->agency);
        return CL_ERR_DENIED;
    }
    int rc = s_link_person_info(op->t, cl_store_of(op->t), mc, op->who,
                                &im->person, op->now, true, &pid, &rid, &info);
    if (rc != CL_OK)
        return rc;
    cl_records_note_person(&op->note, pid);
    CL_COPY(op->note.purpose, "caseload import");
    /* The reply depends only on what this agency sent: its own record
     * again (the same local id) is its own knowledge; whether anybody
     * else knows the person (a number matched, a score, a queued pair) is
     * not said. Coordinators see how every record linked. */
    out->link_reason = info.reason == CL_LINK_LOCAL_ID ? CL_LINK_LOCAL_ID
                                                       : CL_LINK_UNDISCLOSED;
    out->queued = false;
    return CL_OK;
}

int cl_linkfind_match_one(cl_txn *t, const cl_match_config *mc,
                          const cl_caller *caller, const cl_person *p,
                          uint64_t *person_id, double *score)
{
    cl_linkfind_link l;
    int rc = s_link_find(t, cl_store_of(t), mc, caller, p, &l);
    if (rc == CL_OK) {
        *person_id = l.person_id;
        *score = l.score;
    }
    return rc;
}

typedef struct s_lx_ctx {
    cl_txn *t;
    cl_audit_note *note; /* names every row's person */
    cl_links_page *out;
    size_t cap;
    uint32_t limit;
    uint64_t last;
} s_lx_ctx;

static int s_links_one(void *ctx, const uint8_t *key, size_t len)
{
    s_lx_ctx *c = ctx;
    cl_records_record rec;
    if (len != 8)
        return CL_ERR_CORRUPT;
    if (c->out->n >= c->limit)
        return 1;
    uint64_t rid = cl_be64_get(key);
    int rc = cl_records_record_get(c->t, rid, &rec);
    if (rc != CL_OK)
        return rc;
    cl_link_row *row = CL_VEC_ADD(c->out->v, c->out->n, c->cap);
    if (!row)
        return CL_ERR_NOMEM;
    (void)cl_id_format(row->record_id, sizeof(row->record_id), CL_ID_RECORD,
                       rid);
    CL_COPY(row->agency, rec.agency);
    CL_COPY(row->local_id, rec.p.local_id);
    cl_audit_pid_str(row->person_id, rec.person_id);
    row->link_reason = rec.link_reason;
    row->link_score = rec.link_score;
    cl_records_note_person(c->note, rec.person_id);
    c->last = rid;
    sodium_memzero(&rec, sizeof(rec));
    return CL_OK;
}

int cl_linkfind_links_export(cl_op *op, const cl_links_query *q,
                             cl_links_page *out)
{
    uint64_t after = 0;
    uint8_t k[8];
    memset(out, 0, sizeof(*out));
    if (!(op->who->roles & CL_ROLE_COORDINATOR)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "the links export needs the coordinator "
                 "role");
        return CL_ERR_DENIED;
    }
    if (q->after[0] && !cl_records_parse_prefixed(q->after, 'R', &after)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "after_record_id: must look like R00000042");
        return CL_ERR_INVALID;
    }
    if (q->limit > CL_LINKS_PAGE_MAX) {
        snprintf(op->err, CL_ERROR_SZ,
                 "limit: at most %d records a page (0 for %d); page on "
                 "with after_record_id",
                 CL_LINKS_PAGE_MAX, CL_LINKS_PAGE_DEFAULT);
        return CL_ERR_INVALID;
    }
    CL_COPY(op->note.purpose, "links export");
    s_lx_ctx c = {
        op->t, &op->note, out, 0, q->limit ? q->limit : CL_LINKS_PAGE_DEFAULT,
        0};
    cl_records_key(k, after + 1);
    int rc = cl_store_scan_from(op->t, CL_DB_RECORD, k, 8, s_links_one, &c);
    if (rc == CL_OK && out->n == c.limit)
        (void)cl_id_format(out->next, sizeof(out->next), CL_ID_RECORD, c.last);
    if (rc == CL_OK)
        rc = cl_store_counter(op->t, "record", &out->last_id);
    if (rc != CL_OK) {
        free(out->v);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int cl_linkfind_match_link(cl_txn *t, const cl_match_config *mc,
                           const cl_caller *caller, const cl_person *p,
                           cl_linkfind_link *out)
{
    return s_link_find(t, cl_store_of(t), mc, caller, p, out);
}
