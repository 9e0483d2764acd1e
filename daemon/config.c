/*
 * config: INI parsing and validation (see config.h). Resolves
 * "credential:NAME" for the master key through $CREDENTIALS_DIRECTORY
 * (systemd LoadCredential=).
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "wire.h"

typedef struct s_ctx {
    cl_config *c;
    char msg[256]; /* what went wrong on the failing line */
} s_ctx;

void cl_config_defaults(cl_config *c)
{
    memset(c, 0, sizeof(*c));
    cl_copy(c->endpoint, sizeof(c->endpoint), "tcp://0.0.0.0:7750");
    c->log_level = 6;
    c->max_message_bytes = CL_WIRE_MAX_FRAME;
    c->handshake_timeout_ms = 5000;
    c->queue_depth = 1000;
    c->batch_max = 256;
    c->client_inflight_max = 256; /* a whole batch: writes pipeline */
    c->client_heavy_max = 2;
    c->client_parked_max = 4;
    c->send_timeout_ms = 1000;
    c->map_bytes = 1024ull << 20;
    c->map_max_bytes = 64ull << 30;
    c->slow_commit_ms = 250;
    c->purge_batch = 100;
    c->reseal_batch = 500;
    c->retention_check_s = 60;
    c->plan_ended_days = CL_RETENTION_PLAN_DAYS;
    c->review_days = CL_RETENTION_REVIEW_DAYS;
    c->checkpoint_interval_s = 3600;
    cl_match_config_defaults(&c->match);
    cl_route_config_defaults(&c->route);
    cl_intake_config_defaults(&c->intake);
    c->feed_check_s = 60;
    c->suppress_below = CL_SUPPRESS_BELOW;
    cl_flag_config_defaults(&c->flag);
    cl_repl_config_defaults(&c->repl);
}

static int s_uint(s_ctx *x, const char *name, const char *v, uint64_t lo,
                  uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || n < lo || n > hi) {
        snprintf(x->msg, sizeof(x->msg),
                 "%s must be a whole number from %llu to %llu", name,
                 (unsigned long long)lo, (unsigned long long)hi);
        return 0;
    }
    *out = n;
    return 1;
}

static int s_path(s_ctx *x, const char *name, const char *v, char *dst)
{
    if (!cl_copy(dst, CL_PATH_SZ, v) || !v[0]) {
        snprintf(x->msg, sizeof(x->msg), "%s must be a path", name);
        return 0;
    }
    return 1;
}

/* A path, or credential:NAME resolved in $CREDENTIALS_DIRECTORY (systemd
 * LoadCredential=). */
static int s_secret_path(s_ctx *x, const char *name, const char *v, char *dst)
{
    if (strncmp(v, "credential:", 11) != 0)
        return s_path(x, name, v, dst);
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    if (!dir) {
        snprintf(x->msg, sizeof(x->msg),
                 "%s = credential:... needs systemd's LoadCredential= "
                 "($CREDENTIALS_DIRECTORY is not set)",
                 name);
        return 0;
    }
    if (strlen(dir) + strlen(v) >= CL_PATH_SZ) {
        snprintf(x->msg, sizeof(x->msg), "%s: path too long", name);
        return 0;
    }
    char p[CL_PATH_SZ + 16];
    snprintf(p, sizeof(p), "%s/%s", dir, v + 11);
    return s_path(x, name, p, dst);
}

/* A NATS name: letters, digits, '-' and '_' (no subject wildcards). */
static int s_nats_name(s_ctx *x, const char *name, const char *v, char *dst,
                       size_t cap)
{
    bool ok = v[0] && cl_copy(dst, cap, v);
    for (const char *p = v; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
             (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
    if (!ok)
        snprintf(x->msg, sizeof(x->msg),
                 "[replication] %s: letters, digits, '-' and '_' only, at "
                 "most %zu",
                 name, cap - 1);
    return ok;
}

static int s_replication(s_ctx *x, const char *name, const char *v)
{
    cl_repl_config *r = &x->c->repl;
    uint64_t n = 0;
    int ok;
    if (strcmp(name, "servers") == 0) {
        ok = cl_copy(r->servers, sizeof(r->servers), v) &&
             (strncmp(v, "nats://", 7) == 0 || strncmp(v, "tls://", 6) == 0);
        if (!ok)
            snprintf(x->msg, sizeof(x->msg),
                     "[replication] servers: nats://HOST:PORT, separated by "
                     "commas");
        return ok;
    }
    if (strcmp(name, "stream") == 0)
        return s_nats_name(x, name, v, r->stream, sizeof(r->stream));
    if (strcmp(name, "node") == 0)
        return s_nats_name(x, name, v, r->node, sizeof(r->node));
    if (strcmp(name, "advertise") == 0) {
        ok = cl_copy(r->advertise, sizeof(r->advertise), v) &&
             (strncmp(v, "tcp://", 6) == 0 || strncmp(v, "ipc://", 6) == 0);
        if (!ok)
            snprintf(x->msg, sizeof(x->msg),
                     "[replication] advertise: the endpoint clients use for "
                     "this node, tcp://HOST:PORT or ipc://PATH");
        return ok;
    }
    if (strcmp(name, "credentials") == 0)
        return s_secret_path(x, name, v, r->credentials);
    if (strcmp(name, "user") == 0)
        return s_nats_name(x, name, v, r->user, sizeof(r->user));
    if (strcmp(name, "password_file") == 0)
        return s_secret_path(x, name, v, r->password_file);
    if (strcmp(name, "replicas") == 0) {
        ok = s_uint(x, name, v, 1, 5, &n);
        r->replicas = (uint32_t)n;
        return ok;
    }
    if (strcmp(name, "publish_timeout_ms") == 0) {
        ok = s_uint(x, name, v, 100, 60000, &n);
        r->publish_timeout_ms = (uint32_t)n;
        return ok;
    }
    if (strcmp(name, "log_max_age_days") == 0) {
        ok = s_uint(x, name, v, 0, 36500, &n);
        r->max_age_days = (uint32_t)n;
        return ok;
    }
    snprintf(x->msg, sizeof(x->msg), "unknown setting [replication] %s", name);
    return 0;
}

static int s_handler(void *user, const char *section, const char *name,
                     const char *v)
{
    s_ctx *x = user;
    cl_config *c = x->c;
    uint64_t n = 0;
    int ok;
#define IS(s, k) (strcmp(section, s) == 0 && strcmp(name, k) == 0)
    if (IS("daemon", "endpoint")) {
        ok = cl_copy(c->endpoint, sizeof(c->endpoint), v) &&
             (strncmp(v, "tcp://", 6) == 0 || strncmp(v, "ipc://", 6) == 0);
        if (!ok)
            snprintf(x->msg, sizeof(x->msg),
                     "endpoint must be tcp://HOST:PORT or ipc://PATH");
        return ok;
    }
    if (IS("daemon", "state_directory"))
        return s_path(x, name, v, c->state_dir);
    if (IS("daemon", "registry"))
        return s_path(x, name, v, c->registry);
    if (IS("daemon", "server_key"))
        return s_secret_path(x, name, v, c->server_key);
    if (IS("daemon", "master_key"))
        return s_secret_path(x, name, v, c->master_key);
    if (IS("daemon", "log_level")) {
        ok = s_uint(x, name, v, 3, 7, &n);
        c->log_level = (int)n;
        return ok;
    }
    if (IS("limits", "max_message_bytes")) {
        ok = s_uint(x, name, v, 1024, CL_WIRE_MAX_FRAME, &n);
        c->max_message_bytes = (uint32_t)n;
        return ok;
    }
    if (IS("limits", "handshake_timeout_ms")) {
        ok = s_uint(x, name, v, 100, 60000, &n);
        c->handshake_timeout_ms = (uint32_t)n;
        return ok;
    }
    if (IS("limits", "queue_depth")) {
        ok = s_uint(x, name, v, 1, 1000000, &n);
        c->queue_depth = (uint32_t)n;
        return ok;
    }
    if (IS("limits", "batch_max")) {
        ok = s_uint(x, name, v, 1, 4096, &n);
        c->batch_max = (uint32_t)n;
        return ok;
    }
    if (IS("limits", "client_inflight_max")) {
        ok = s_uint(x, name, v, 1, 4096, &n);
        c->client_inflight_max = (uint32_t)n;
        return ok;
    }
    if (IS("limits", "client_heavy_max")) {
        ok = s_uint(x, name, v, 1, 4096, &n);
        c->client_heavy_max = (uint32_t)n;
        return ok;
    }
    if (IS("limits", "client_parked_max")) {
        ok = s_uint(x, name, v, 1, 256, &n);
        c->client_parked_max = (uint32_t)n;
        return ok;
    }
    if (IS("limits", "send_timeout_ms")) {
        ok = s_uint(x, name, v, 1, 60000, &n);
        c->send_timeout_ms = (uint32_t)n;
        return ok;
    }
    if (IS("store", "map_size_mb")) {
        ok = s_uint(x, name, v, 1, 1u << 24, &n);
        c->map_bytes = n << 20;
        return ok;
    }
    if (IS("store", "map_max_mb")) {
        ok = s_uint(x, name, v, 1, 1u << 24, &n);
        c->map_max_bytes = n << 20;
        return ok;
    }
    if (IS("store", "slow_commit_ms")) {
        ok = s_uint(x, name, v, 1, 600000, &n);
        c->slow_commit_ms = (uint32_t)n;
        return ok;
    }
    if (IS("store", "reseal_batch")) {
        ok = s_uint(x, name, v, 1, 100000, &n);
        c->reseal_batch = (uint32_t)n;
        return ok;
    }
    if (IS("retention", "inactive_days")) {
        char *end = NULL;
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= 0 && d <= 36500)) { /* NaN too */
            snprintf(x->msg, sizeof(x->msg),
                     "inactive_days must be a number of days from 0 (off) "
                     "to 36500");
            return 0;
        }
        c->retention_days = d;
        return 1;
    }
    if (IS("retention", "purge_batch")) {
        ok = s_uint(x, name, v, 1, 100000, &n);
        c->purge_batch = (uint32_t)n;
        return ok;
    }
    if (IS("retention", "plan_ended_days")) {
        ok = s_uint(x, name, v, 0, 36500, &n);
        c->plan_ended_days = (uint32_t)n;
        return ok;
    }
    if (IS("retention", "review_days")) {
        ok = s_uint(x, name, v, 0, 36500, &n);
        c->review_days = (uint32_t)n;
        return ok;
    }
    if (IS("retention", "check_interval_s")) {
        ok = s_uint(x, name, v, 1, 86400, &n);
        c->retention_check_s = (uint32_t)n;
        return ok;
    }
    if (IS("audit", "checkpoint_interval_s")) {
        ok = s_uint(x, name, v, 1, 7 * 86400, &n);
        c->checkpoint_interval_s = (uint32_t)n;
        return ok;
    }
    if (IS("audit", "checkpoint_command")) {
        if (strlen(v) >= sizeof(c->checkpoint_command)) {
            snprintf(x->msg, sizeof(x->msg), "checkpoint_command is too long");
            return 0;
        }
        CL_COPY(c->checkpoint_command, v);
        return 1;
    }
    if (IS("routing", "mailbox_max")) {
        ok = s_uint(x, name, v, 1, 10000000, &n);
        c->route.mailbox_max = n;
        return ok;
    }
    if (IS("routing", "notice_max")) {
        ok = s_uint(x, name, v, 1, 10000000, &n);
        c->route.notice_max = n;
        return ok;
    }
    if (IS("routing", "tell_known_to_mdt")) {
        if (strcmp(v, "yes") && strcmp(v, "no")) {
            snprintf(x->msg, sizeof(x->msg),
                     "tell_known_to_mdt must be yes or no");
            return 0;
        }
        c->route.tell_known_to_mdt = v[0] == 'y';
        return 1;
    }
    if (IS("routing", "feed_silence_s")) {
        ok = s_uint(x, name, v, 1, 365 * 86400, &n);
        c->route.silence_after_s = n;
        return ok;
    }
    if (IS("routing", "feed_check_interval_s")) {
        ok = s_uint(x, name, v, 1, 86400, &n);
        c->feed_check_s = (uint32_t)n;
        return ok;
    }
    if (IS("intake", "housekeeping_interval_s")) {
        ok = s_uint(x, name, v, 1, 7 * 86400, &n);
        c->intake.housekeeping_s = (uint32_t)n;
        return ok;
    }
    if (strcmp(section, "intake") == 0 && strncmp(name, "rule ", 5) == 0) {
        /* "rule NAME = TERMS": an intake rule or trigger */
        const char *rule = name + 5;
        while (*rule == ' ')
            rule++;
        return cl_intake_rule_add(&c->intake, rule, v, x->msg,
                                  sizeof(x->msg)) == CL_OK;
    }
    if (IS("report", "workstreams")) {
        char buf[CL_WORKSTREAMS_MAX * CL_NAME_SZ], *save = NULL;
        c->n_workstreams = 0;
        if (!cl_copy(buf, sizeof(buf), v)) {
            snprintf(x->msg, sizeof(x->msg), "workstreams: too long");
            return false;
        }
        for (char *w = strtok_r(buf, ";", &save); w;
             w = strtok_r(NULL, ";", &save)) {
            while (*w == ' ')
                w++;
            for (size_t e = strlen(w); e && w[e - 1] == ' ';)
                w[--e] = '\0';
            if (!*w)
                continue;
            if (c->n_workstreams == CL_WORKSTREAMS_MAX ||
                !CL_COPY(c->workstreams[c->n_workstreams], w)) {
                snprintf(x->msg, sizeof(x->msg),
                         "workstreams: at most %d names of up to %d bytes, "
                         "separated by ';'",
                         CL_WORKSTREAMS_MAX, CL_NAME_SZ - 1);
                return false;
            }
            c->n_workstreams++;
        }
        return true;
    }
    if (IS("report", "suppress_below")) {
        ok = s_uint(x, name, v, 1, 1000, &n);
        c->suppress_below = (uint32_t)n;
        return ok;
    }
    if (strcmp(section, "flag") == 0)
        return cl_flag_config_set(&c->flag, name, v, x->msg, sizeof(x->msg));
    if (strcmp(section, "feeds") == 0) {
        /* "AGENCY / FEED = seconds": how long that feed may be silent */
        const char *slash = strchr(name, '/');
        cl_route_config *r = &c->route;
        if (!slash || slash == name || !slash[1] ||
            r->n_feed_rules == CL_FEED_RULES) {
            snprintf(x->msg, sizeof(x->msg),
                     "feeds: write 'agency/feed = seconds' (at most %d)",
                     CL_FEED_RULES);
            return 0;
        }
        cl_feed_rule *fr = &r->feed_rules[r->n_feed_rules];
        size_t al = (size_t)(slash - name);
        if (al >= sizeof(fr->agency) || !CL_COPY(fr->feed, slash + 1)) {
            snprintf(x->msg, sizeof(x->msg), "feeds: name too long");
            return 0;
        }
        memcpy(fr->agency, name, al);
        fr->agency[al] = '\0';
        ok = s_uint(x, name, v, 1, 365 * 86400, &n);
        fr->silence_after_s = n;
        r->n_feed_rules += ok ? 1u : 0u;
        return ok;
    }
    if (strcmp(section, "weights") == 0) {
        char *end = NULL;
        double m = strtod(v, &end), u = end ? strtod(end, &end) : 0;
        if (!end || *end || !cl_match_weight_set(&c->match, name, m, u)) {
            snprintf(x->msg, sizeof(x->msg),
                     "weights: '%s' must be a known level with two "
                     "probabilities, m and u, between 0 and 1",
                     name);
            return 0;
        }
        return 1;
    }
    if (IS("linking", "upper_threshold") || IS("linking", "lower_threshold")) {
        char *end = NULL;
        double d = strtod(v, &end);
        if (end == v || *end || !(d >= -100 && d <= 100)) { /* NaN too */
            snprintf(x->msg, sizeof(x->msg),
                     "%s must be a number from -100 to 100", name);
            return 0;
        }
        /* a weight given: it stays, whatever prior is learned */
        if (name[0] == 'u') {
            c->match.upper = d;
            c->match.upper_p = 0;
        } else {
            c->match.lower = d;
            c->match.lower_p = 0;
        }
        return 1;
    }
    if (IS("linking", "upper_probability") ||
        IS("linking", "lower_probability")) {
        char *end = NULL;
        double d = strtod(v, &end);
        if (end == v || *end || !(d > 0 && d < 1)) {
            snprintf(x->msg, sizeof(x->msg),
                     "%s must be a probability between 0 and 1 (exclusive)",
                     name);
            return 0;
        }
        if (name[0] == 'u')
            c->match.upper_p = d;
        else
            c->match.lower_p = d;
        cl_match_thresholds_update(&c->match);
        return 1;
    }
    if (strcmp(section, "replication") == 0)
        return s_replication(x, name, v);
#undef IS
    snprintf(x->msg, sizeof(x->msg), "unknown setting [%s] %s", section, name);
    return 0;
}

int cl_config_load(cl_config *c, const char *path, char *err, size_t err_len)
{
    s_ctx x = {.c = c};
    int line = ini_parse(path, s_handler, &x);
    if (line < 0) {
        snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
        return CL_ERR_IO;
    }
    if (line > 0) {
        snprintf(err, err_len, "%s:%d: %s", path, line,
                 x.msg[0] ? x.msg : "syntax error");
        return CL_ERR_INVALID;
    }
    const char *missing = !c->state_dir[0]    ? "state_directory"
                          : !c->registry[0]   ? "registry"
                          : !c->server_key[0] ? "server_key"
                          : !c->master_key[0] ? "master_key"
                                              : NULL;
    if (missing) {
        snprintf(err, err_len, "%s: [daemon] %s is required", path, missing);
        return CL_ERR_INVALID;
    }
    if (c->match.lower > c->match.upper) {
        snprintf(err, err_len,
                 "%s: [linking] lower_threshold is above upper_threshold",
                 path);
        return CL_ERR_INVALID;
    }
    if (c->repl.servers[0] && !c->repl.advertise[0])
        cl_copy(c->repl.advertise, sizeof(c->repl.advertise), c->endpoint);
    if (c->repl.servers[0] && c->repl.password_file[0] && !c->repl.user[0]) {
        snprintf(err, err_len,
                 "%s: [replication] password_file needs user as well", path);
        return CL_ERR_INVALID;
    }
    if (c->standby && !c->repl.servers[0]) {
        snprintf(err, err_len,
                 "%s: --standby needs [replication] servers (the stream to "
                 "follow)",
                 path);
        return CL_ERR_INVALID;
    }
    if (c->map_bytes > c->map_max_bytes) {
        snprintf(err, err_len, "%s: [store] map_size_mb is above map_max_mb",
                 path);
        return CL_ERR_INVALID;
    }
    return CL_OK;
}
