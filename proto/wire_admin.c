/*
 * wire_admin: operator replies, protobuf <-> model: health, statistics,
 * backup, keys, replication state, linking administration.
 * Encoding points into the model (wire_int.h); decoding copies, truncating
 * over-long strings (replies come from the daemon, which stores only
 * validated values).
 */
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Caselink__ReplicationState *s_repl_out(cl_wire_scratch *s,
                                              const cl_repl_state *st)
{
    if (!st->role[0] || !strcmp(st->role, "single"))
        return NULL;
    Caselink__ReplicationState *x = cl_wire_alloc(s, sizeof(*x));
    if (!x)
        return NULL;
    caselink__replication_state__init(x);
    x->role = S_S(st->role);
    x->node = S_S(st->node);
    x->active = S_S(st->active);
    x->applied_sequence = st->applied_seq;
    x->stream_last_sequence = st->stream_last_seq;
    x->lag_messages = st->lag_messages;
    x->lag_seconds = st->lag_seconds;
    x->problem = S_S(st->problem);
    return x;
}

static void s_repl_in(cl_repl_state *o, const Caselink__ReplicationState *x)
{
    if (!x) {
        CL_COPY(o->role, "single");
        return;
    }
    CL_COPY(o->role, x->role);
    CL_COPY(o->node, x->node);
    CL_COPY(o->active, x->active);
    o->applied_seq = x->applied_sequence;
    o->stream_last_seq = x->stream_last_sequence;
    o->lag_messages = x->lag_messages;
    o->lag_seconds = x->lag_seconds;
    CL_COPY(o->problem, x->problem);
}

static Caselink__LinkInfo *s_link_info_out(cl_wire_scratch *s,
                                           const cl_link_info *li)
{
    Caselink__LinkInfo *x = cl_wire_alloc(s, sizeof(*x));
    Caselink__LevelWeight **lv =
        cl_wire_alloc(s, (li->n_levels + 1) * sizeof(void *));
    if (!x || !lv)
        return NULL;
    caselink__link_info__init(x);
    x->levels = lv;
    for (uint32_t i = 0; i < li->n_levels && i < CL_LEVELS_MAX; i++) {
        const cl_level_info *l = &li->levels[i];
        Caselink__LevelWeight *w = cl_wire_alloc(s, sizeof(*w));
        if (!w)
            return NULL;
        caselink__level_weight__init(w);
        w->level = S_S(l->name);
        w->m = l->m;
        w->u = l->u;
        w->weight = l->weight;
        w->proposed_m = l->pm;
        w->proposed_u = l->pu;
        w->proposed_weight = l->pweight;
        w->trained = l->trained;
        lv[x->n_levels++] = w;
    }
    x->prior = li->prior;
    x->proposed_prior = li->pprior;
    x->upper_weight = li->upper;
    x->lower_weight = li->lower;
    x->upper_probability = li->upper_p;
    x->lower_probability = li->lower_p;
    x->proposed_upper_probability = li->pupper_p;
    x->proposed_lower_probability = li->plower_p;
    x->accepted = li->accepted;
    x->proposed = li->proposed;
    x->trained_at = li->trained_at;
    x->accepted_at = li->accepted_at;
    x->records_sampled = li->sampled;
    x->random_pairs = li->random_pairs;
    x->blocked_pairs = li->blocked_pairs;
    x->rerun_running = li->rerun_running;
    x->rerun_done = li->rerun_done;
    x->rerun_total = li->rerun_total;
    x->rerun_merged = li->rerun_merged;
    x->rerun_queued = li->rerun_queued;
    return x;
}

static void s_link_info_in(cl_link_info *o, const Caselink__LinkInfo *x)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < x->n_levels && i < CL_LEVELS_MAX; i++) {
        const Caselink__LevelWeight *w = x->levels[i];
        cl_level_info *l = &o->levels[o->n_levels++];
        CL_COPY(l->name, w->level);
        l->m = w->m;
        l->u = w->u;
        l->weight = w->weight;
        l->pm = w->proposed_m;
        l->pu = w->proposed_u;
        l->pweight = w->proposed_weight;
        l->trained = w->trained;
    }
    o->prior = x->prior;
    o->pprior = x->proposed_prior;
    o->upper = x->upper_weight;
    o->lower = x->lower_weight;
    o->upper_p = x->upper_probability;
    o->lower_p = x->lower_probability;
    o->pupper_p = x->proposed_upper_probability;
    o->plower_p = x->proposed_lower_probability;
    o->accepted = x->accepted;
    o->proposed = x->proposed;
    o->trained_at = x->trained_at;
    o->accepted_at = x->accepted_at;
    o->sampled = x->records_sampled;
    o->random_pairs = x->random_pairs;
    o->blocked_pairs = x->blocked_pairs;
    o->rerun_running = x->rerun_running;
    o->rerun_done = x->rerun_done;
    o->rerun_total = x->rerun_total;
    o->rerun_merged = x->rerun_merged;
    o->rerun_queued = x->rerun_queued;
}

/* Reply.link_info for link_admin. */
ProtobufCMessage *cl_wire_out_LINK_INFO(cl_wire_scratch *s, const cl_reply *rep)
{
    return (ProtobufCMessage *)s_link_info_out(s, &rep->u.link_info);
}

/* Reply.promote for admin_promote. */
ProtobufCMessage *cl_wire_out_PROMOTE(cl_wire_scratch *s, const cl_reply *rep)
{
    /* NULL (no result) for a single node */
    return (ProtobufCMessage *)s_repl_out(s, &rep->u.promote);
}

/* Reply.health for health. */
static const cl_wire_field s_health_rows[] = {
    CL_WF_STR_(cl_reply, "version", u.health.version),
    CL_WF_NUM_(cl_reply, "uptime_seconds", u.health.uptime_s),
    CL_WF_NUM_(cl_reply, "persons", u.health.persons),
    CL_WF_NUM_(cl_reply, "referrals", u.health.referrals),
    CL_WF_NUM_(cl_reply, "store_bytes", u.health.store_bytes),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_HEALTH(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__HealthResult *h = (Caselink__HealthResult *)cl_wire_msg_out(
        s, &caselink__health_result__descriptor, rep, s_health_rows);
    if (h)
        h->replication = s_repl_out(s, &rep->u.health.repl);
    return h ? &h->base : NULL;
}

/* Reply.stats: its scalar fields (the lists are mapped below). */
static const cl_wire_field s_stats_rows[] = {
    CL_WF_NUM_(cl_reply, "uptime_seconds", u.stats.uptime_s),
    CL_WF_NUM_(cl_reply, "commits", u.stats.commits),
    CL_WF_NUM_(cl_reply, "batch_mean_x100", u.stats.batch_mean_x100),
    CL_WF_NUM_(cl_reply, "batch_max", u.stats.batch_max),
    CL_WF_NUM_(cl_reply, "commit_p50_us", u.stats.commit_p50_us),
    CL_WF_NUM_(cl_reply, "commit_p99_us", u.stats.commit_p99_us),
    CL_WF_NUM_(cl_reply, "commit_max_us", u.stats.commit_max_us),
    CL_WF_NUM_(cl_reply, "store_bytes", u.stats.store_bytes),
    CL_WF_NUM_(cl_reply, "map_bytes", u.stats.map_bytes),
    CL_WF_NUM_(cl_reply, "persons", u.stats.persons),
    CL_WF_NUM_(cl_reply, "referrals", u.stats.referrals),
    CL_WF_NUM_(cl_reply, "audit_entries", u.stats.audit_entries),
    CL_WF_NUM_(cl_reply, "key_version", u.stats.key_version),
    CL_WF_NUM_(cl_reply, "refused_connections", u.stats.refused_connections),
    CL_WF_BOOL_(cl_reply, "relink_running", u.stats.relink_running),
    CL_WF_NUM_(cl_reply, "relink_done", u.stats.relink_done),
    CL_WF_NUM_(cl_reply, "relink_total", u.stats.relink_total),
    CL_WF_NUM_(cl_reply, "relink_merged", u.stats.relink_merged),
    CL_WF_NUM_(cl_reply, "relink_queued", u.stats.relink_queued),
    CL_WF_BOOL_(cl_reply, "weights_trained", u.stats.weights_trained),
    CL_WF_BOOL_(cl_reply, "backup_running", u.stats.backup_running),
    CL_WF_NUM_(cl_reply, "backup_done", u.stats.backup_done),
    CL_WF_NUM_(cl_reply, "backup_total", u.stats.backup_total),
    CL_WF_END_,
};

/* Reply.stats for admin_stats. */
ProtobufCMessage *cl_wire_out_STATS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__StatsResult *statsr = cl_wire_alloc(s, sizeof(*statsr));
    if (!statsr)
        return NULL;
    caselink__stats_result__init(statsr);
    const cl_stats *st = &rep->u.stats;
    Caselink__KindCount **kc = cl_wire_alloc(s, st->n_counts * sizeof(*kc));
    for (uint32_t i = 0; kc && i < st->n_counts && i < CL_STATS_MAX; i++) {
        Caselink__KindCount *c = cl_wire_alloc(s, sizeof(*c));
        if (!c)
            break;
        caselink__kind_count__init(c);
        c->kind = S_S(st->counts[i].kind);
        c->status = (Caselink__Status)st->counts[i].status;
        c->count = st->counts[i].count;
        kc[statsr->n_requests++] = c;
    }
    statsr->requests = kc;
    cl_wire_fields_out(s, &statsr->base, rep, s_stats_rows);
    statsr->mailboxes =
        cl_wire_alloc(s, (st->n_mailboxes + 1) * sizeof(*statsr->mailboxes));
    for (uint32_t i = 0;
         statsr->mailboxes && i < st->n_mailboxes && i < CL_MAILBOXES_MAX;
         i++) {
        Caselink__MailboxDepth *m = cl_wire_alloc(s, sizeof(*m));
        if (!m)
            break;
        caselink__mailbox_depth__init(m);
        m->agency = S_S(st->mailboxes[i].agency);
        m->depth = st->mailboxes[i].depth;
        statsr->mailboxes[statsr->n_mailboxes++] = m;
    }
    statsr->rate_limited = cl_wire_alloc(s, (st->n_rate_limited + 1) *
                                                sizeof(*statsr->rate_limited));
    for (uint32_t i = 0; statsr->rate_limited && i < st->n_rate_limited &&
                         i < CL_RATE_LIMITED_MAX;
         i++) {
        Caselink__RateLimited *m = cl_wire_alloc(s, sizeof(*m));
        if (!m)
            break;
        caselink__rate_limited__init(m);
        m->client = S_S(st->rate_limited[i].client);
        m->kind = S_S(st->rate_limited[i].kind);
        m->refused = st->rate_limited[i].refused;
        statsr->rate_limited[statsr->n_rate_limited++] = m;
    }
    statsr->replication = s_repl_out(s, &st->repl);
    return &statsr->base;
}

/* Reply.backup for admin_backup. */
static const cl_wire_field s_backup_rows[] = {
    CL_WF_STR_(cl_reply, "path", u.backup.path),
    CL_WF_NUM_(cl_reply, "bytes", u.backup.bytes),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_BACKUP(cl_wire_scratch *s, const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__backup_result__descriptor, rep,
                           s_backup_rows);
}

/* Reply.key_status for admin_rotate_key, admin_key_status, admin_retire_key. */
ProtobufCMessage *cl_wire_out_KEY_STATUS(cl_wire_scratch *s,
                                         const cl_reply *rep)
{
    Caselink__KeyStatusResult *keyr = cl_wire_alloc(s, sizeof(*keyr));
    if (!keyr)
        return NULL;
    caselink__key_status_result__init(keyr);
    const cl_key_status *ks = &rep->u.key_status;
    Caselink__KeyVersionCount **kv =
        cl_wire_alloc(s, CL_KEY_VERSIONS_MAX * sizeof(*kv));
    for (uint32_t i = 0; kv && i < ks->n_versions && i < CL_KEY_VERSIONS_MAX;
         i++) {
        Caselink__KeyVersionCount *c = cl_wire_alloc(s, sizeof(*c));
        if (!c)
            break;
        caselink__key_version_count__init(c);
        c->version = ks->versions[i].version;
        c->values = ks->versions[i].values;
        c->retired = ks->versions[i].retired;
        kv[keyr->n_versions++] = c;
    }
    keyr->versions = kv;
    keyr->current = ks->current;
    keyr->pending = ks->pending;
    return &keyr->base;
}

/* Reply.link_info into the model. */
int cl_wire_in_LINK_INFO(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_LINK_ADMIN;
    s_link_info_in(&out->u.link_info, r->link_info);
    return CL_OK;
}

/* Reply.stats into the model. */
int cl_wire_in_STATS(cl_reply *out, const Caselink__Reply *r)
{
    const Caselink__StatsResult *st = r->stats;
    cl_stats *o = &out->u.stats;
    out->kind = CL_REQ_ADMIN_STATS;
    for (size_t i = 0; i < st->n_requests && i < CL_STATS_MAX; i++) {
        CL_COPY(o->counts[o->n_counts].kind, st->requests[i]->kind);
        o->counts[o->n_counts].status = (uint8_t)st->requests[i]->status;
        o->counts[o->n_counts++].count = st->requests[i]->count;
    }
    cl_wire_fields_copy(out, &st->base, s_stats_rows);
    for (size_t i = 0; i < st->n_mailboxes && i < CL_MAILBOXES_MAX; i++) {
        CL_COPY(o->mailboxes[o->n_mailboxes].agency, st->mailboxes[i]->agency);
        o->mailboxes[o->n_mailboxes++].depth = st->mailboxes[i]->depth;
    }
    for (size_t i = 0; i < st->n_rate_limited && i < CL_RATE_LIMITED_MAX; i++) {
        cl_rate_limited *x = &o->rate_limited[o->n_rate_limited++];
        CL_COPY(x->client, st->rate_limited[i]->client);
        CL_COPY(x->kind, st->rate_limited[i]->kind);
        x->refused = st->rate_limited[i]->refused;
    }
    s_repl_in(&o->repl, st->replication);
    return CL_OK;
}

/* Reply.promote into the model. */
int cl_wire_in_PROMOTE(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_ADMIN_PROMOTE;
    s_repl_in(&out->u.promote, r->promote);
    return CL_OK;
}

/* Reply.backup into the model. */
int cl_wire_in_BACKUP(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_ADMIN_BACKUP;
    cl_wire_fields_copy(out, &r->backup->base, s_backup_rows);
    return CL_OK;
}

/* Reply.key_status into the model. */
int cl_wire_in_KEY_STATUS(cl_reply *out, const Caselink__Reply *r)
{
    const Caselink__KeyStatusResult *ks = r->key_status;
    cl_key_status *o = &out->u.key_status;
    out->kind = CL_REQ_ADMIN_KEY_STATUS;
    o->current = ks->current;
    o->pending = ks->pending;
    for (size_t i = 0; i < ks->n_versions && i < CL_KEY_VERSIONS_MAX; i++) {
        o->versions[o->n_versions].version = ks->versions[i]->version;
        o->versions[o->n_versions].values = ks->versions[i]->values;
        o->versions[o->n_versions++].retired = ks->versions[i]->retired;
    }
    return CL_OK;
}

/* Reply.health into the model. */
int cl_wire_in_HEALTH(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_HEALTH;
    cl_wire_fields_copy(out, &r->health->base, s_health_rows);
    s_repl_in(&out->u.health.repl, r->health->replication);
    return CL_OK;
}
