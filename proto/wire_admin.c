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

/* Reply.link_info for link_admin. */
static const cl_wire_field s_level_rows[] = {
    CL_WF_STR_(cl_level_info, "level", name),
    CL_WF_DBL_(cl_level_info, "m", m),
    CL_WF_DBL_(cl_level_info, "u", u),
    CL_WF_DBL_(cl_level_info, "weight", weight),
    CL_WF_DBL_(cl_level_info, "proposed_m", pm),
    CL_WF_DBL_(cl_level_info, "proposed_u", pu),
    CL_WF_DBL_(cl_level_info, "proposed_weight", pweight),
    CL_WF_BOOL_(cl_level_info, "trained", trained),
    CL_WF_END_,
};

#define S_LI(kind, name, m) CL_WF_##kind##_(cl_reply, name, u.link_info.m)
static const cl_wire_field s_link_info_rows[] = {
    CL_WF_LIST_(cl_reply, "levels", u.link_info.levels, u.link_info.n_levels,
                s_level_rows),
    S_LI(DBL, "prior", prior),
    S_LI(DBL, "proposed_prior", pprior),
    S_LI(DBL, "upper_weight", upper),
    S_LI(DBL, "lower_weight", lower),
    S_LI(DBL, "upper_probability", upper_p),
    S_LI(DBL, "lower_probability", lower_p),
    S_LI(DBL, "proposed_upper_probability", pupper_p),
    S_LI(DBL, "proposed_lower_probability", plower_p),
    S_LI(BOOL, "accepted", accepted),
    S_LI(BOOL, "proposed", proposed),
    S_LI(NUM, "trained_at", trained_at),
    S_LI(NUM, "accepted_at", accepted_at),
    S_LI(NUM, "records_sampled", sampled),
    S_LI(NUM, "random_pairs", random_pairs),
    S_LI(NUM, "blocked_pairs", blocked_pairs),
    S_LI(BOOL, "rerun_running", rerun_running),
    S_LI(NUM, "rerun_done", rerun_done),
    S_LI(NUM, "rerun_total", rerun_total),
    S_LI(NUM, "rerun_merged", rerun_merged),
    S_LI(NUM, "rerun_queued", rerun_queued),
    S_LI(DBL, "families_share", families_share),
    S_LI(BOOL, "families_apart", families_apart),
    S_LI(DBL, "proposed_families_share", pfamilies_share),
    S_LI(BOOL, "proposed_families_apart", pfamilies_apart),
    S_LI(BOOL, "rerun_needed", rerun_needed),
    CL_WF_END_,
};

/* Reply.link_info for link_admin. */
ProtobufCMessage *cl_wire_out_LINK_INFO(cl_wire_scratch *s, const cl_reply *rep)
{
    return cl_wire_msg_out(s, &caselink__link_info__descriptor, rep,
                           s_link_info_rows);
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
    CL_WF_STR_(cl_reply, "last_write_error", u.health.write_error),
    CL_WF_NUM_(cl_reply, "last_write_error_at", u.health.write_error_at),
    CL_WF_NUM_(cl_reply, "write_errors", u.health.write_errors),
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

/* Reply.stats for admin_stats. */
static const cl_wire_field s_kind_count_rows[] = {
    CL_WF_STR_(cl_kind_count, "kind", kind),
    CL_WF_ENUM_(cl_kind_count, "status", status, UINT8_MAX),
    CL_WF_NUM_(cl_kind_count, "count", count),
    CL_WF_END_,
};

static const cl_wire_field s_depth_rows[] = {
    CL_WF_STR_(cl_mailbox_depth, "agency", agency),
    CL_WF_NUM_(cl_mailbox_depth, "depth", depth),
    CL_WF_END_,
};

static const cl_wire_field s_limited_rows[] = {
    CL_WF_STR_(cl_rate_limited, "client", client),
    CL_WF_STR_(cl_rate_limited, "kind", kind),
    CL_WF_NUM_(cl_rate_limited, "refused", refused),
    CL_WF_END_,
};

#define S_ST(kind, name, m) CL_WF_##kind##_(cl_reply, name, u.stats.m)
static const cl_wire_field s_stats_rows[] = {
    S_ST(NUM, "uptime_seconds", uptime_s),
    CL_WF_LIST_(cl_reply, "requests", u.stats.counts, u.stats.n_counts,
                s_kind_count_rows),
    S_ST(NUM, "commits", commits),
    S_ST(NUM, "batch_mean_x100", batch_mean_x100),
    S_ST(NUM, "batch_max", batch_max),
    S_ST(NUM, "batches_redone", batches_redone),
    S_ST(NUM, "commit_p50_us", commit_p50_us),
    S_ST(NUM, "commit_p99_us", commit_p99_us),
    S_ST(NUM, "commit_max_us", commit_max_us),
    S_ST(NUM, "store_bytes", store_bytes),
    S_ST(NUM, "map_bytes", map_bytes),
    S_ST(NUM, "persons", persons),
    S_ST(NUM, "referrals", referrals),
    S_ST(NUM, "audit_entries", audit_entries),
    S_ST(NUM, "key_version", key_version),
    S_ST(NUM, "refused_connections", refused_connections),
    CL_WF_LIST_(cl_reply, "mailboxes", u.stats.mailboxes, u.stats.n_mailboxes,
                s_depth_rows),
    S_ST(BOOL, "relink_running", relink_running),
    S_ST(NUM, "relink_done", relink_done),
    S_ST(NUM, "relink_total", relink_total),
    S_ST(NUM, "relink_merged", relink_merged),
    S_ST(NUM, "relink_queued", relink_queued),
    S_ST(BOOL, "weights_trained", weights_trained),
    S_ST(BOOL, "relink_needed", relink_needed),
    S_ST(BOOL, "backup_running", backup_running),
    S_ST(NUM, "backup_done", backup_done),
    S_ST(NUM, "backup_total", backup_total),
    CL_WF_LIST_(cl_reply, "rate_limited", u.stats.rate_limited,
                u.stats.n_rate_limited, s_limited_rows),
    CL_WF_END_,
};

ProtobufCMessage *cl_wire_out_STATS(cl_wire_scratch *s, const cl_reply *rep)
{
    Caselink__StatsResult *st = (Caselink__StatsResult *)cl_wire_msg_out(
        s, &caselink__stats_result__descriptor, rep, s_stats_rows);
    if (st)
        st->replication = s_repl_out(s, &rep->u.stats.repl);
    return st ? &st->base : NULL;
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
    memset(&out->u.link_info, 0, sizeof(out->u.link_info));
    return cl_wire_fields_copy(out, &r->link_info->base, s_link_info_rows);
}

/* Reply.stats into the model. */
int cl_wire_in_STATS(cl_reply *out, const Caselink__Reply *r)
{
    out->kind = CL_REQ_ADMIN_STATS;
    int rc = cl_wire_fields_copy(out, &r->stats->base, s_stats_rows);
    s_repl_in(&out->u.stats.repl, r->stats->replication);
    return rc;
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
