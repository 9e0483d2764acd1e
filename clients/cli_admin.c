/*
 * cli_admin: the caselink tool's operator commands (health, stats, backup,
 * key rotation and retirement, promotion) and keygen.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kinds.h"
#include "cli_json.h"
#include "keyfile.h"
#include "progress.h"

/* --- JSON rows (--json) -------------------------------------------------- */

static const cli_jrow s_repl_rows[] = {
    CLI_JS(cl_repl_state, "role", role),
    CLI_JS(cl_repl_state, "node", node),
    CLI_JS(cl_repl_state, "active", active),
    CLI_JU(cl_repl_state, "applied_seq", applied_seq),
    CLI_JU(cl_repl_state, "stream_last_seq", stream_last_seq),
    CLI_JU(cl_repl_state, "lag_messages", lag_messages),
    CLI_JU(cl_repl_state, "lag_seconds", lag_seconds),
    CLI_JS(cl_repl_state, "problem", problem),
    CLI_JEND,
};

static const cli_jrow s_health_rows[] = {
    CLI_JS(cl_health, "version", version),
    CLI_JU(cl_health, "uptime_s", uptime_s),
    CLI_JU(cl_health, "persons", persons),
    CLI_JU(cl_health, "referrals", referrals),
    CLI_JU(cl_health, "store_bytes", store_bytes),
    CLI_JS(cl_health, "last_write_error", write_error),
    CLI_JU(cl_health, "last_write_error_at", write_error_at),
    CLI_JU(cl_health, "write_errors", write_errors),
    CLI_JO(cl_health, "replication", repl, s_repl_rows),
    CLI_JEND,
};

/* An element of cl_key_status.versions (an unnamed struct). */
#define S_KV(m)                                                                \
    (offsetof(cl_key_status, versions[0].m) -                                  \
     offsetof(cl_key_status, versions[0]))
static const cli_jrow s_version_rows[] = {
    {.key = "version", .type = CLI_J_UINT, .off = S_KV(version), .size = 4},
    {.key = "values", .type = CLI_J_UINT, .off = S_KV(values), .size = 8},
    {.key = "retired", .type = CLI_J_BOOL, .off = S_KV(retired)},
    CLI_JEND,
};

static const cli_jrow s_keys_rows[] = {
    CLI_JU(cl_key_status, "current", current),
    CLI_JA(cl_key_status, "versions", versions, n_versions, s_version_rows),
    CLI_JU(cl_key_status, "pending", pending),
    CLI_JEND,
};

static void s_json_batch_mean(const void *obj, const void *m)
{
    (void)obj;
    uint64_t x100;
    memcpy(&x100, m, sizeof(x100));
    printf("%.2f", (double)x100 / 100.0);
}

static const cli_jrow s_count_rows[] = {
    CLI_JS(cl_kind_count, "kind", kind),
    CLI_JN(cl_kind_count, "status", status, cl_status_name),
    CLI_JU(cl_kind_count, "count", count),
    CLI_JEND,
};

static const cli_jrow s_mailbox_rows[] = {
    CLI_JS(cl_mailbox_depth, "agency", agency),
    CLI_JU(cl_mailbox_depth, "waiting", depth),
    CLI_JEND,
};

static const cli_jrow s_limited_rows[] = {
    CLI_JS(cl_rate_limited, "client", client),
    CLI_JS(cl_rate_limited, "kind", kind),
    CLI_JU(cl_rate_limited, "refused", refused),
    CLI_JEND,
};

static const cli_jrow s_stats_rows[] = {
    CLI_JU(cl_stats, "uptime_s", uptime_s),
    CLI_JU(cl_stats, "commits", commits),
    CLI_JF(cl_stats, "requests_per_commit", batch_mean_x100, s_json_batch_mean),
    CLI_JU(cl_stats, "requests_per_commit_max", batch_max),
    CLI_JU(cl_stats, "batches_redone", batches_redone),
    CLI_JU(cl_stats, "commit_p50_us", commit_p50_us),
    CLI_JU(cl_stats, "commit_p99_us", commit_p99_us),
    CLI_JU(cl_stats, "commit_max_us", commit_max_us),
    CLI_JU(cl_stats, "store_bytes", store_bytes),
    CLI_JU(cl_stats, "map_bytes", map_bytes),
    CLI_JU(cl_stats, "key_version", key_version),
    CLI_JU(cl_stats, "persons", persons),
    CLI_JU(cl_stats, "referrals", referrals),
    CLI_JU(cl_stats, "audit_entries", audit_entries),
    CLI_JU(cl_stats, "refused_connections", refused_connections),
    CLI_JB(cl_stats, "weights_learned", weights_trained),
    CLI_JB(cl_stats, "relink_running", relink_running),
    CLI_JB(cl_stats, "relink_needed", relink_needed),
    CLI_JU(cl_stats, "relink_done", relink_done),
    CLI_JU(cl_stats, "relink_total", relink_total),
    CLI_JU(cl_stats, "relink_merged", relink_merged),
    CLI_JU(cl_stats, "relink_queued", relink_queued),
    CLI_JB(cl_stats, "backup_running", backup_running),
    CLI_JU(cl_stats, "backup_done_bytes", backup_done),
    CLI_JU(cl_stats, "backup_total_bytes", backup_total),
    CLI_JA(cl_stats, "requests", counts, n_counts, s_count_rows),
    CLI_JA(cl_stats, "mailboxes", mailboxes, n_mailboxes, s_mailbox_rows),
    CLI_JA(cl_stats, "rate_limited", rate_limited, n_rate_limited,
           s_limited_rows),
    CLI_JO(cl_stats, "replication", repl, s_repl_rows),
    CLI_JEND,
};

static const cli_jrow s_backup_rows[] = {
    CLI_JS(cl_backup_result, "path", path),
    CLI_JU(cl_backup_result, "bytes", bytes),
    CLI_JEND,
};

/* Replication, only when it is on (a single node prints as before). */
static void s_print_repl(const cl_repl_state *r)
{
    if (!r->role[0] || !strcmp(r->role, "single"))
        return;
    printf("replication: %s node %s; active: %s\n", r->role, r->node,
           r->active[0] ? r->active : "not known");
    printf("stream: applied sequence %" PRIu64 " of %" PRIu64 "; lag %" PRIu64
           " messages, %" PRIu64 " s\n",
           r->applied_seq, r->stream_last_seq, r->lag_messages, r->lag_seconds);
    if (r->problem[0])
        printf("PROBLEM: %s\n", r->problem);
}

static int s_health(cli_conn *cn)
{
    cl_reply rep;
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    int status = cli_call(cn, "operator", &req, &rep);
    if (status)
        return status;
    const cl_health *h = &rep.u.health;
    if (cn->json) {
        cli_json_line(h, s_health_rows);
        cl_reply_clear(&rep);
        return 0;
    }
    if (!h->store_bytes) /* a store is never empty: hidden from this key */
        printf("caselinkd %s: up %" PRIu64 " s (how much it holds is shown "
               "to coordinators and operators only)\n",
               h->version, h->uptime_s);
    else
        printf("caselinkd %s: up %" PRIu64 " s, %" PRIu64 " people, %" PRIu64
               " referrals, store %" PRIu64 " KiB\n",
               h->version, h->uptime_s, h->persons, h->referrals,
               h->store_bytes / 1024);
    s_print_repl(&h->repl);
    if (h->write_errors) {
        char when[CL_WHEN_SHOW_SZ];
        cli_time(cn, when, (int64_t)h->write_error_at);
        printf("last write error, %s (%" PRIu64 " batch%s not written since "
               "start): %s\n",
               when, h->write_errors, h->write_errors == 1 ? "" : "es",
               h->write_error);
    } else if (h->store_bytes)
        printf("no write error since start\n");
    cl_reply_clear(&rep);
    return 0;
}

/* --- operations ---------------------------------------------------------- */

static void s_print_keys(const cl_key_status *k)
{
    printf("current data key version: %u\n", k->current);
    for (uint32_t i = 0; i < k->n_versions; i++) {
        uint32_t v = k->versions[i].version;
        uint64_t n = k->versions[i].values;
        bool retired = k->versions[i].retired;
        printf("  version %u: %llu values%s%s", v, (unsigned long long)n,
               retired ? " (retired)" : "",
               v == k->current ? " (current)" : "");
        if (!n && !retired && v != k->current) /* live: it takes a slot */
            printf(" (emptied: caselink admin retire-key %u)", v);
        printf("\n");
    }
    printf("still to re-seal: %llu\n", (unsigned long long)k->pending);
}

static void s_print_stats(const cl_stats *st)
{
    printf("uptime %llu s; %llu commits, %.2f requests per commit (max "
           "%llu); %llu batches applied again\n",
           (unsigned long long)st->uptime_s, (unsigned long long)st->commits,
           (double)st->batch_mean_x100 / 100.0,
           (unsigned long long)st->batch_max,
           (unsigned long long)st->batches_redone);
    printf("commit latency (last 1024): p50 %llu us, p99 %llu us, max %llu "
           "us\n",
           (unsigned long long)st->commit_p50_us,
           (unsigned long long)st->commit_p99_us,
           (unsigned long long)st->commit_max_us);
    printf("store: %llu KiB used of a %llu KiB map (%.1f%%); data key "
           "version %u\n",
           (unsigned long long)(st->store_bytes / 1024),
           (unsigned long long)(st->map_bytes / 1024),
           st->map_bytes
               ? 100.0 * (double)st->store_bytes / (double)st->map_bytes
               : 0.0,
           st->key_version);
    printf("held: %llu people, %llu referrals, %llu audit entries; %llu "
           "refused connections\n",
           (unsigned long long)st->persons, (unsigned long long)st->referrals,
           (unsigned long long)st->audit_entries,
           (unsigned long long)st->refused_connections);
    printf("linking: %s weights", st->weights_trained ? "learned" : "default");
    if (st->relink_running || st->relink_total)
        printf("; relinking %s: %llu of about %llu records, %llu people "
               "merged, %llu pairs newly queued",
               st->relink_running ? "running" : "done",
               (unsigned long long)st->relink_done,
               (unsigned long long)st->relink_total,
               (unsigned long long)st->relink_merged,
               (unsigned long long)st->relink_queued);
    if (st->relink_needed && !st->relink_running)
        printf("; records stored before places were counted: run caselink "
               "link rerun once");
    printf("\n");
    if (st->backup_running)
        printf("backup: running, %.1f MB of about %.1f MB written\n",
               (double)st->backup_done / 1e6, (double)st->backup_total / 1e6);
    printf("requests by kind and status:\n");
    for (uint32_t i = 0; i < st->n_counts; i++)
        printf("  %-20s %-10s %llu\n", st->counts[i].kind,
               cl_status_name(st->counts[i].status),
               (unsigned long long)st->counts[i].count);
    printf("mailboxes (deliveries waiting to be acknowledged):\n");
    for (uint32_t i = 0; i < st->n_mailboxes; i++)
        printf("  %-40s %llu\n", st->mailboxes[i].agency,
               (unsigned long long)st->mailboxes[i].depth);
    if (st->n_rate_limited)
        printf("rate limited (refused since start, [flag] rate_per_minute):\n");
    for (uint32_t i = 0; i < st->n_rate_limited; i++)
        printf("  %-20s %-12s %llu refused\n", st->rate_limited[i].client,
               st->rate_limited[i].kind,
               (unsigned long long)st->rate_limited[i].refused);
    s_print_repl(&st->repl);
}

/* How far the backup has got, from admin stats on a second connection (the
 * first is waiting for the backup's answer): false if it cannot say. */
static bool s_backup_poll(cl_client *mon, uint64_t *done, uint64_t *total)
{
    cl_request q;
    cl_reply r;
    memset(&q, 0, sizeof(q));
    q.kind = CL_REQ_ADMIN_STATS;
    bool ok = cl_client_call(mon, &q, &r) == CL_OK && cl_reply_ok(&r) &&
              r.u.stats.backup_running;
    if (ok) {
        *done = r.u.stats.backup_done;
        *total = r.u.stats.backup_total;
    }
    cl_reply_clear(&r);
    return ok;
}

/* A backup of a large store takes a while: wait up to ten minutes for its
 * answer; on a terminal, say how far it has got (bytes written of about
 * how many, the rate and the time left), asking the daemon twice a
 * second. */
static int s_backup_wait(cli_conn *cn, cl_client *c, cl_request *req,
                         cl_reply *rep)
{
    cl_progress prog;
    cl_client *mon = NULL;
    bool got = false;
    uint64_t done = 0, total = 0;
    memset(rep, 0, sizeof(*rep));
    cl_progress_start(&prog, cn->tty, "backup", CL_PROGRESS_BYTES);
    int rc = cl_client_send(c, req);
    if (rc == CL_OK && cn->tty && cli_connect(cn, "operator", &mon) != 0)
        mon = NULL; /* said why; the backup goes on without a progress line */
    for (int waited = 0; rc == CL_OK && !got && waited < 600000;
         waited += 250) {
        rc = cl_client_recv(c, rep, 250);
        got = rc == CL_OK;
        if (rc == CL_ERR_TIMEOUT)
            rc = CL_OK;
        if (!got && mon && waited % 500 == 0 &&
            s_backup_poll(mon, &done, &total))
            cl_progress_update(&prog, done,
                               total ? (double)done / (double)total : -1);
    }
    cl_progress_end(&prog);
    cl_client_close(&mon);
    if (rc == CL_OK && !got)
        rc = CL_ERR_TIMEOUT;
    return rc;
}

int cli_admin(cli_conn *cn, int argc, char **argv)
{
    cl_client *c = NULL;
    cl_reply rep;
    cl_request req;
    int status = 0;
    const char *sub = argc ? argv[0] : "";
    memset(&req, 0, sizeof(req));
    if (!strcmp(sub, "feeds") && argc == 1)
        return cli_admin_feeds(cn);
    if (!strcmp(sub, "stats") && argc == 1)
        req.kind = CL_REQ_ADMIN_STATS;
    else if (!strcmp(sub, "backup") && argc == 2 &&
             CL_COPY(req.u.backup_name, argv[1]))
        req.kind = CL_REQ_ADMIN_BACKUP;
    else if (!strcmp(sub, "rotate-key") && argc == 1)
        req.kind = CL_REQ_ADMIN_ROTATE_KEY;
    else if (!strcmp(sub, "rotate-master") && argc == 1)
        req.kind = CL_REQ_ADMIN_ROTATE_MASTER;
    else if (!strcmp(sub, "promote") && argc == 1)
        req.kind = CL_REQ_ADMIN_PROMOTE;
    else if (!strcmp(sub, "key-status") && argc == 1)
        req.kind = CL_REQ_ADMIN_KEY_STATUS;
    else if (!strcmp(sub, "retire-key") && argc == 2 && atoi(argv[1]) > 0) {
        req.kind = CL_REQ_ADMIN_RETIRE_KEY;
        req.u.key_version = (uint32_t)atoi(argv[1]);
    } else {
        fprintf(stderr, "usage: caselink admin stats | feeds | backup NAME | "
                        "rotate-key | rotate-master | key-status | "
                        "retire-key VERSION | promote\n");
        return CLI_EXIT_USAGE;
    }
    if ((status = cli_connect(cn, "operator", &c)) != 0)
        return status;
    int rc;
    if (req.kind == CL_REQ_ADMIN_BACKUP)
        rc = s_backup_wait(cn, c, &req, &rep);
    else
        rc = cl_client_call(c, &req, &rep);
    if (rc != CL_OK) {
        status = cli_transport(rc, cn);
    } else if (!cl_reply_ok(&rep)) {
        status = cli_status(cn, &rep);
    } else if (cn->json) {
        cli_json_line(&rep.u, req.kind == CL_REQ_ADMIN_STATS     ? s_stats_rows
                              : req.kind == CL_REQ_ADMIN_PROMOTE ? s_repl_rows
                              : req.kind == CL_REQ_ADMIN_BACKUP  ? s_backup_rows
                                                                 : s_keys_rows);
    } else if (req.kind == CL_REQ_ADMIN_STATS) {
        s_print_stats(&rep.u.stats);
    } else if (req.kind == CL_REQ_ADMIN_PROMOTE) {
        printf("promoted: this node is the active now\n");
        s_print_repl(&rep.u.promote);
    } else if (req.kind == CL_REQ_ADMIN_BACKUP) {
        printf("backup written: %s/data.mdb (%llu bytes, still encrypted)\n",
               rep.u.backup.path, (unsigned long long)rep.u.backup.bytes);
    } else {
        if (req.kind == CL_REQ_ADMIN_ROTATE_MASTER)
            printf("master key replaced: only the key in the daemon's "
                   "master key file + .next opens the store now. Next:\n"
                   "  1. move it over the old file (under systemd: "
                   "/etc/caselink/master.key, then remove the rotate.conf "
                   "drop-in);\n"
                   "  2. when 'still to re-seal' is 0, retire the versions "
                   "before the current one (caselink admin retire-key N);\n"
                   "  3. stop the daemon, run caselinkd --rekey-indexes, "
                   "start it, and seed every standby again from a backup "
                   "made after it;\n"
                   "  4. destroy every copy of the old key, or keep it "
                   "under lock only for backups made before now: they "
                   "open with it alone.\n");
        s_print_keys(&rep.u.key_status);
    }
    cl_reply_clear(&rep);
    cl_client_close(&c);
    return status;
}

typedef struct s_keygen_ctx {
    const char *base, *agency, *kind, *roles;
    cl_keyfile_format fmt;
} s_keygen_ctx;

static int s_keygen_opt(void *ctx, const char *o, char **v)
{
    s_keygen_ctx *x = ctx;
    if (!o && !x->base && v[0][0] != '-')
        x->base = v[0];
    else if (!o)
        return CLI_EXIT_USAGE;
    else if (!strcmp(o, "--format") && !strcmp(v[0], "zpl"))
        x->fmt = CL_KEYFILE_ZPL;
    else if (!strcmp(o, "--format") && !strcmp(v[0], "ini"))
        x->fmt = CL_KEYFILE_INI;
    else if (!strcmp(o, "--agency"))
        x->agency = v[0];
    else if (!strcmp(o, "--kind"))
        x->kind = v[0];
    else if (!strcmp(o, "--roles"))
        x->roles = v[0];
    else
        return CLI_EXIT_USAGE;
    return 0;
}

static int s_keygen(const cli_conn *cn, int argc, char **argv)
{
    char pub[CL_Z85_KEY_SZ], spath[4096], ppath[4096];
    s_keygen_ctx x = {.fmt = CL_KEYFILE_INI};
    if (cli_each(cn, argc, argv, 0, s_keygen_opt, &x) != 0)
        goto usage;
    const char *base = x.base, *agency = x.agency, *kind = x.kind,
               *roles = x.roles;
    cl_keyfile_format fmt = x.fmt;
    if (!base)
        goto usage;
    if (kind && !cl_kind_valid(kind)) {
        char why[400];
        cl_kind_explain(why, sizeof(why), "--kind", kind);
        fprintf(stderr, "caselink keygen: %s\n", why);
        return CLI_EXIT_USAGE;
    }
    int rc = cl_keyfile_generate_as(base, fmt, pub);
    cl_keyfile_paths(fmt, base, spath, ppath, sizeof(spath));
    if (rc != CL_OK) {
        fprintf(stderr, "caselink keygen: %s or %s: %s\n", spath, ppath,
                rc == CL_ERR_EXISTS ? "already exists (not overwritten)"
                                    : cl_strerror(rc));
        return CLI_EXIT_FAILED;
    }
    const char *name = strrchr(base, '/') ? strrchr(base, '/') + 1 : base;
    if (!strcmp(name, "server") && !agency && !kind && !roles) {
        /* the daemon's own key pair: no registry entry */
        printf("wrote %s (secret, mode 0600) and %s\n"
               "The daemon's own key: name %s as server_key in "
               "caselinkd.conf (under systemd it is the credential "
               "server.key); give %s to every agency system, which checks "
               "the daemon with it.\n",
               spath, ppath, spath, ppath);
        return 0;
    }
    /* what to do is said on stderr and the entry alone is printed, so
     * that `caselink keygen NAME ... >> clients.conf` registers it */
    fprintf(stderr,
            "wrote %s (secret, mode 0600) and %s\n"
            "Keep %s where the client runs; send %s to the caselink "
            "operator.\n"
            "Registry entry (on standard output): paste it into the daemon's "
            "clients.conf, or append it with >>, and reload (systemctl reload "
            "caselinkd)\n",
            spath, ppath, spath, ppath);
    printf("\n[%s]\nkey = %s\n", name, pub);
    if (agency)
        printf("agency = %s\n", agency);
    else
        printf("# agency: the agency's name as the partnership registers it "
               "(required)\nagency = \n");
    printf("# kind, one of:");
    for (size_t i = 0; cl_kind_at(i); i++)
        printf(" %s", cl_kind_at(i));
    printf(" or local_NAME%s\nkind = %s\n"
           "# roles, comma-separated: publisher, coordinator, operator, "
           "auditor%s\nroles = %s\n",
           kind ? "" : " (required)", kind ? kind : "",
           roles ? "" : " (required)", roles ? roles : "");
    return 0;
usage:
    fprintf(stderr, "usage: caselink keygen NAME [--format ini|zpl] "
                    "[--agency NAME] [--kind KIND] [--roles ROLES]\n");
    return CLI_EXIT_USAGE;
}

int cli_keygen_cmd(cli_conn *cn, int argc, char **argv)
{
    return s_keygen(cn, argc, argv);
}

int cli_health_cmd(cli_conn *cn, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return s_health(cn);
}
