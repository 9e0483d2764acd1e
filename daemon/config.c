/*
 * config: INI parsing and validation (see config.h). Every setting is one
 * row of s_rows below: {section, name, kind, field, default, min, max};
 * the defaults, the parsing, the bounds and the error message all come
 * from the row (Redis's config.c does the same with createIntConfig).
 * Settings that need more than a bounded number or a checked string (rules,
 * weight tables, lists) are rows with a setter of their own. Resolves
 * "credential:NAME" through $CREDENTIALS_DIRECTORY (systemd
 * LoadCredential=).
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

typedef enum s_kind {
    S_UINT,     /* a whole number in [lo, hi], stored << shift */
    S_REAL,     /* a number in [lo, hi] (a double) */
    S_YESNO,    /* yes or no (a bool) */
    S_PATH,     /* a non-empty path */
    S_SECRET,   /* a path, or credential:NAME */
    S_ENDPOINT, /* a string starting with one of the prefixes in text */
    S_NAME,     /* letters, digits, '-' and '_' (a NATS name) */
    S_TEXT,     /* any string that fits */
    S_FN,       /* the row's own setter */
} s_kind;

typedef struct s_row s_row;
/* A setter of its own: 1 if v was taken, else 0 with x->msg set. */
typedef int (*s_setter)(s_ctx *x, const s_row *r, const char *name,
                        const char *v);

struct s_row {
    const char *section; /* [section] */
    const char *name;    /* the key; "rule *" or "*": any key so begun */
    s_kind kind;
    size_t off;         /* offsetof(cl_config, field) */
    size_t width;       /* sizeof the field */
    bool own_default;   /* no default here: empty, or its module sets it */
    uint64_t def;       /* S_UINT default, in the setting's unit */
    double lo, hi;      /* S_UINT, S_REAL bounds */
    unsigned shift;     /* S_UINT: stored value is n << shift (MB) */
    const char *text;   /* S_ENDPOINT: the default, if any */
    const char *prefix; /* S_ENDPOINT: the allowed prefixes, ' '-separated */
    const char *fix;    /* the error message, when not derived */
    s_setter set;       /* S_FN */
};

#define S_AT(f)                                                                \
    .off = offsetof(cl_config, f), .width = sizeof(((cl_config *)0)->f)
#define S_U(sec, nm, f, d, l, h)                                               \
    {                                                                          \
        .section = sec, .name = nm, .kind = S_UINT, S_AT(f), .def = d,         \
        .lo = l, .hi = h                                                       \
    }
/* a number whose default its module (repl.c) sets */
#define S_UM(sec, nm, f, l, h)                                                 \
    {                                                                          \
        .section = sec, .name = nm, .kind = S_UINT, S_AT(f),                   \
        .own_default = true, .lo = l, .hi = h                                  \
    }
#define S_MB(sec, nm, f, d, l, h)                                              \
    {                                                                          \
        .section = sec, .name = nm, .kind = S_UINT, S_AT(f), .def = d,         \
        .lo = l, .hi = h, .shift = 20                                          \
    }
#define S_STR(sec, nm, k, f)                                                   \
    {                                                                          \
        .section = sec, .name = nm, .kind = k, S_AT(f), .own_default = true    \
    }
#define S_SET(sec, nm, fn)                                                     \
    {                                                                          \
        .section = sec, .name = nm, .kind = S_FN, .set = fn                    \
    }

static int s_threshold(s_ctx *x, const s_row *r, const char *name,
                       const char *v);
static int s_probability(s_ctx *x, const s_row *r, const char *name,
                         const char *v);
static int s_weight(s_ctx *x, const s_row *r, const char *name, const char *v);
static int s_feed(s_ctx *x, const s_row *r, const char *name, const char *v);
static int s_store_log(s_ctx *x, const s_row *r, const char *name,
                       const char *v);
static int s_flag(s_ctx *x, const s_row *r, const char *name, const char *v);
static int s_rule(s_ctx *x, const s_row *r, const char *name, const char *v);
static int s_workstreams(s_ctx *x, const s_row *r, const char *name,
                         const char *v);

/* clang-format off */
static const s_row s_rows[] = {
    {.section = "daemon", .name = "endpoint", .kind = S_ENDPOINT, S_AT(endpoint),
     .text = "tcp://0.0.0.0:7750", .prefix = "tcp:// ipc://",
     .fix = "endpoint must be tcp://HOST:PORT or ipc://PATH"},
    S_STR("daemon", "state_directory", S_PATH, state_dir),
    S_STR("daemon", "registry", S_PATH, registry),
    S_STR("daemon", "server_key", S_SECRET, server_key),
    S_STR("daemon", "master_key", S_SECRET, master_key),
    S_U("daemon", "log_level", log_level, 6, 3, 7),

    S_U("limits", "max_message_bytes", max_message_bytes, CL_WIRE_MAX_FRAME,
        1024, CL_WIRE_MAX_FRAME),
    S_U("limits", "handshake_timeout_ms", handshake_timeout_ms, 5000, 100, 60000),
    S_U("limits", "queue_depth", queue_depth, 1000, 1, 1000000),
    S_U("limits", "batch_max", batch_max, 256, 1, 4096),
    /* a whole batch: writes pipeline */
    S_U("limits", "client_inflight_max", client_inflight_max, 256, 1, 4096),
    S_U("limits", "client_heavy_max", client_heavy_max, 2, 1, 4096),
    S_U("limits", "client_parked_max", client_parked_max, 4, 1, 256),
    /* threads for heavy reads; 0: in the batch, holding everyone */
    S_U("limits", "readers", readers, 2, 0, 8),
    /* accepted from older files; unused: replies never wait (item.c) */
    S_U("limits", "send_timeout_ms", send_timeout_ms, 1000, 1, 60000),

    S_MB("store", "map_size_mb", map_bytes, 1024, 1, 1u << 24),
    S_MB("store", "map_max_mb", map_max_bytes, 64u << 10, 1, 1u << 24),
    S_U("store", "slow_commit_ms", slow_commit_ms, 250, 1, 600000),
    S_U("store", "reseal_batch", reseal_batch, 500, 1, 100000),
    S_U("store", "replay_window_s", replay_window_s, 86400, 1, 30 * 86400),
    S_SET("store", "log", s_store_log),
    S_U("store", "log_commit_ms", log_commit_ms, 1000, 1, 60000),
    S_MB("store", "log_commit_mb", log_commit_bytes, 16, 1, 4096),

    {.section = "retention", .name = "inactive_days", .kind = S_REAL,
     S_AT(retention_days), .lo = 0, .hi = 36500,
     .fix = "inactive_days must be a number of days from 0 (off) to 36500"},
    S_U("retention", "purge_batch", purge_batch, 100, 1, 100000),
    S_U("retention", "plan_ended_days", plan_ended_days,
        CL_RETENTION_PLAN_DAYS, 0, 36500),
    S_U("retention", "review_days", review_days, CL_RETENTION_REVIEW_DAYS, 0,
        36500),
    S_U("retention", "check_interval_s", retention_check_s, 60, 1, 86400),

    S_U("audit", "checkpoint_interval_s", checkpoint_interval_s, 3600, 1,
        7 * 86400),
    S_U("audit", "checkpoint_timeout_s", checkpoint_timeout_s, 60, 1, 3600),
    {.section = "audit", .name = "checkpoint_command", .kind = S_TEXT,
     S_AT(checkpoint_command), .own_default = true,
     .fix = "checkpoint_command is too long"},

    S_U("routing", "mailbox_max", route.mailbox_max, CL_MAILBOX_MAX_DEFAULT, 1,
        10000000),
    S_U("routing", "notice_max", route.notice_max, CL_NOTICE_MAX_DEFAULT, 1,
        10000000),
    {.section = "routing", .name = "tell_known_to_mdt", .kind = S_YESNO,
     S_AT(route.tell_known_to_mdt)},
    S_U("routing", "feed_silence_s", route.silence_after_s,
        CL_FEED_SILENCE_DEFAULT, 1, 365 * 86400),
    S_U("routing", "feed_check_interval_s", feed_check_s, 60, 1, 86400),
    S_SET("feeds", "*", s_feed),

    S_U("intake", "housekeeping_interval_s", intake.housekeeping_s,
        CL_INTAKE_HOUSEKEEPING_DEFAULT, 1, 7 * 86400),
    S_SET("intake", "rule *", s_rule),

    S_SET("report", "workstreams", s_workstreams),
    S_U("report", "suppress_below", suppress_below, CL_SUPPRESS_BELOW, 1, 1000),

    S_SET("flag", "*", s_flag),
    S_SET("weights", "*", s_weight),
    S_SET("linking", "upper_threshold", s_threshold),
    S_SET("linking", "lower_threshold", s_threshold),
    S_SET("linking", "upper_probability", s_probability),
    S_SET("linking", "lower_probability", s_probability),

    {.section = "replication", .name = "servers", .kind = S_ENDPOINT,
     S_AT(repl.servers), .own_default = true, .prefix = "nats:// tls://",
     .fix = "[replication] servers: nats://HOST:PORT, separated by commas"},
    S_STR("replication", "stream", S_NAME, repl.stream),
    S_STR("replication", "node", S_NAME, repl.node),
    {.section = "replication", .name = "advertise", .kind = S_ENDPOINT,
     S_AT(repl.advertise), .own_default = true, .prefix = "tcp:// ipc://",
     .fix = "[replication] advertise: the endpoint clients use for this "
            "node, tcp://HOST:PORT or ipc://PATH"},
    S_STR("replication", "credentials", S_SECRET, repl.credentials),
    S_STR("replication", "user", S_NAME, repl.user),
    S_STR("replication", "password_file", S_SECRET, repl.password_file),
    S_UM("replication", "replicas", repl.replicas, 1, 5),
    S_UM("replication", "publish_timeout_ms", repl.publish_timeout_ms, 100,
         60000),
    S_UM("replication", "log_max_age_days", repl.max_age_days, 0, 36500),
};
/* clang-format on */

#define S_NROWS (sizeof(s_rows) / sizeof(s_rows[0]))

static void *s_field(cl_config *c, const s_row *r)
{
    return (char *)c + r->off;
}

/* Store n in an unsigned (or int) field of r->width bytes. */
static void s_store_uint(cl_config *c, const s_row *r, uint64_t n)
{
    if (r->width == sizeof(uint64_t)) {
        memcpy(s_field(c, r), &n, sizeof(n));
    } else {
        uint32_t u = (uint32_t)n; /* bounded by the row's hi */
        memcpy(s_field(c, r), &u, sizeof(u));
    }
}

void cl_config_defaults(cl_config *c)
{
    memset(c, 0, sizeof(*c));
    cl_match_config_defaults(&c->match);
    cl_route_config_defaults(&c->route);
    cl_intake_config_defaults(&c->intake);
    cl_flag_config_defaults(&c->flag);
    cl_repl_config_defaults(&c->repl);
    c->log_on = true; /* [store] log */
    for (size_t i = 0; i < S_NROWS; i++) {
        const s_row *r = &s_rows[i];
        if (r->own_default)
            continue;
        if (r->kind == S_UINT)
            s_store_uint(c, r, r->def << r->shift);
        else if (r->kind == S_ENDPOINT && r->text)
            cl_copy(s_field(c, r), r->width, r->text);
    }
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

static int s_path(s_ctx *x, const char *name, const char *v, char *dst,
                  size_t cap)
{
    if (!cl_copy(dst, cap, v) || !v[0]) {
        snprintf(x->msg, sizeof(x->msg), "%s must be a path", name);
        return 0;
    }
    return 1;
}

/* A path, or credential:NAME resolved in $CREDENTIALS_DIRECTORY (systemd
 * LoadCredential=). */
static int s_secret_path(s_ctx *x, const char *name, const char *v, char *dst,
                         size_t cap)
{
    if (strncmp(v, "credential:", 11) != 0)
        return s_path(x, name, v, dst, cap);
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
    return s_path(x, name, p, dst, cap);
}

/* True if v starts with one of the ' '-separated prefixes. */
static bool s_prefixed(const char *v, const char *prefixes)
{
    for (const char *p = prefixes; *p;) {
        size_t n = strcspn(p, " ");
        if (n && strncmp(v, p, n) == 0)
            return true;
        p += n + (p[n] == ' ');
    }
    return false;
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

/* A number from lo to hi (NaN refused); fix is the message. */
static int s_real(s_ctx *x, const char *v, double lo, double hi,
                  const char *fix, double *out)
{
    char *end = NULL;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= lo && d <= hi)) { /* NaN too */
        snprintf(x->msg, sizeof(x->msg), "%s", fix);
        return 0;
    }
    *out = d;
    return 1;
}

/* Parse v into the field the row names. */
static int s_set(s_ctx *x, const s_row *r, const char *name, const char *v)
{
    cl_config *c = x->c;
    char *dst = s_field(c, r);
    uint64_t n = 0;
    bool ok;
    switch (r->kind) {
    case S_UINT:
        if (!s_uint(x, name, v, (uint64_t)r->lo, (uint64_t)r->hi, &n))
            return 0;
        s_store_uint(c, r, n << r->shift);
        return 1;
    case S_REAL: {
        double d = 0;
        if (!s_real(x, v, r->lo, r->hi, r->fix, &d))
            return 0;
        memcpy(dst, &d, sizeof(d));
        return 1;
    }
    case S_YESNO:
        if (strcmp(v, "yes") && strcmp(v, "no")) {
            snprintf(x->msg, sizeof(x->msg), "%s must be yes or no", name);
            return 0;
        }
        *(bool *)(void *)dst = v[0] == 'y';
        return 1;
    case S_PATH:
        return s_path(x, name, v, dst, r->width);
    case S_SECRET:
        return s_secret_path(x, name, v, dst, r->width);
    case S_ENDPOINT:
        ok = cl_copy(dst, r->width, v) && s_prefixed(v, r->prefix);
        if (!ok)
            snprintf(x->msg, sizeof(x->msg), "%s", r->fix);
        return ok;
    case S_NAME:
        return s_nats_name(x, name, v, dst, r->width);
    case S_TEXT:
        if (strlen(v) >= r->width) {
            snprintf(x->msg, sizeof(x->msg), "%s", r->fix);
            return 0;
        }
        cl_copy(dst, r->width, v);
        return 1;
    case S_FN:
        return r->set(x, r, name, v);
    }
    return 0;
}

/* "upper_threshold = 22": a weight given stays, whatever prior is learned */
static int s_threshold(s_ctx *x, const s_row *r, const char *name,
                       const char *v)
{
    (void)r;
    char fix[96];
    double d = 0;
    snprintf(fix, sizeof(fix), "%s must be a number from -100 to 100", name);
    if (!s_real(x, v, -100, 100, fix, &d))
        return 0;
    if (name[0] == 'u') {
        x->c->match.upper = d;
        x->c->match.upper_p = 0;
    } else {
        x->c->match.lower = d;
        x->c->match.lower_p = 0;
    }
    return 1;
}

static int s_probability(s_ctx *x, const s_row *r, const char *name,
                         const char *v)
{
    (void)r;
    char *end = NULL;
    double d = strtod(v, &end);
    if (end == v || *end || !(d > 0 && d < 1)) {
        snprintf(x->msg, sizeof(x->msg),
                 "%s must be a probability between 0 and 1 (exclusive)", name);
        return 0;
    }
    if (name[0] == 'u')
        x->c->match.upper_p = d;
    else
        x->c->match.lower_p = d;
    cl_match_thresholds_update(&x->c->match);
    return 1;
}

/* [weights] LEVEL = m u */
static int s_weight(s_ctx *x, const s_row *r, const char *name, const char *v)
{
    (void)r;
    char *end = NULL;
    double m = strtod(v, &end), u = end ? strtod(end, &end) : 0;
    if (!end || *end || !cl_match_weight_set(&x->c->match, name, m, u)) {
        snprintf(x->msg, sizeof(x->msg),
                 "weights: '%s' must be a known level with two "
                 "probabilities, m and u, between 0 and 1",
                 name);
        return 0;
    }
    return 1;
}

/* [feeds] AGENCY / FEED = seconds: how long that feed may be silent */
/* [store] log: on or off (the sequential log, store/hold.c). */
static int s_store_log(s_ctx *x, const s_row *r, const char *name,
                       const char *v)
{
    (void)r;
    if (strcmp(v, "on") && strcmp(v, "off")) {
        snprintf(x->msg, sizeof(x->msg), "%s must be on or off", name);
        return 0;
    }
    x->c->log_on = v[1] == 'n';
    return 1;
}

static int s_feed(s_ctx *x, const s_row *r, const char *name, const char *v)
{
    (void)r;
    const char *slash = strchr(name, '/');
    cl_route_config *rc = &x->c->route;
    uint64_t n = 0;
    if (!slash || slash == name || !slash[1] ||
        rc->n_feed_rules == CL_FEED_RULES) {
        snprintf(x->msg, sizeof(x->msg),
                 "feeds: write 'agency/feed = seconds' (at most %d)",
                 CL_FEED_RULES);
        return 0;
    }
    cl_feed_rule *fr = &rc->feed_rules[rc->n_feed_rules];
    size_t al = (size_t)(slash - name);
    if (al >= sizeof(fr->agency) || !CL_COPY(fr->feed, slash + 1)) {
        snprintf(x->msg, sizeof(x->msg), "feeds: name too long");
        return 0;
    }
    memcpy(fr->agency, name, al);
    fr->agency[al] = '\0';
    int ok = s_uint(x, name, v, 1, 365 * 86400, &n);
    fr->silence_after_s = n;
    rc->n_feed_rules += ok ? 1u : 0u;
    return ok;
}

/* [flag]: the flag module's own settings */
static int s_flag(s_ctx *x, const s_row *r, const char *name, const char *v)
{
    (void)r;
    return cl_flag_config_set(&x->c->flag, name, v, x->msg, sizeof(x->msg));
}

/* [intake] rule NAME = TERMS: an intake rule or trigger */
static int s_rule(s_ctx *x, const s_row *r, const char *name, const char *v)
{
    (void)r;
    const char *rule = name + 5;
    while (*rule == ' ')
        rule++;
    return cl_intake_rule_add(&x->c->intake, rule, v, x->msg, sizeof(x->msg)) ==
           CL_OK;
}

/* [report] workstreams = A; B; C */
static int s_workstreams(s_ctx *x, const s_row *r, const char *name,
                         const char *v)
{
    (void)r;
    (void)name;
    cl_config *c = x->c;
    char buf[CL_WORKSTREAMS_MAX * CL_NAME_SZ], *save = NULL;
    c->n_workstreams = 0;
    if (!cl_copy(buf, sizeof(buf), v)) {
        snprintf(x->msg, sizeof(x->msg), "workstreams: too long");
        return 0;
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
            return 0;
        }
        c->n_workstreams++;
    }
    return 1;
}

/* The row for [section] name: exact names first, then "prefix*" rows. */
static const s_row *s_find(const char *section, const char *name)
{
    const s_row *wild = NULL;
    for (size_t i = 0; i < S_NROWS; i++) {
        const s_row *r = &s_rows[i];
        if (strcmp(r->section, section) != 0)
            continue;
        size_t n = strlen(r->name);
        if (n && r->name[n - 1] == '*') {
            if (!wild && strncmp(r->name, name, n - 1) == 0)
                wild = r;
        } else if (strcmp(r->name, name) == 0) {
            return r;
        }
    }
    return wild;
}

bool cl_config_inline_hash(const char *name, const char *v, char *msg,
                           size_t cap)
{
    for (const char *p = strchr(v, '#'); p; p = strchr(p + 1, '#'))
        if (p > v && (p[-1] == ' ' || p[-1] == '\t') &&
            (!p[1] || p[1] == ' ' || p[1] == '\t')) {
            snprintf(msg, cap,
                     "%s: a '#' after a value is taken as part of it, not as "
                     "a comment: put the comment on a line of its own",
                     name);
            return true;
        }
    return false;
}

static int s_handler(void *user, const char *section, const char *name,
                     const char *v)
{
    s_ctx *x = user;
    const s_row *r = s_find(section, name);
    if (!r) {
        snprintf(x->msg, sizeof(x->msg), "unknown setting [%s] %s", section,
                 name);
        return 0;
    }
    if (cl_config_inline_hash(name, v, x->msg, sizeof(x->msg)))
        return 0;
    return s_set(x, r, name, v);
}

size_t cl_config_settings(void)
{
    return S_NROWS;
}

bool cl_config_setting(size_t i, cl_config_row *out)
{
    if (i >= S_NROWS)
        return false;
    const s_row *r = &s_rows[i];
    *out = (cl_config_row){.section = r->section,
                           .name = r->name,
                           .number = r->kind == S_UINT,
                           .has_default = !r->own_default,
                           .def = r->def,
                           .lo = r->lo,
                           .hi = r->hi};
    return true;
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
