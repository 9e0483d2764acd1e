/*
 * config: caselinkd's one configuration file (INI, parsed by libinih).
 *
 * Loaded and validated completely before anything binds; immutable after.
 * Every setting and its default is documented in
 * systemd/caselinkd.conf.sample. An error names the file, the line and what
 * is wrong.
 */
#ifndef CL_CONFIG_H
#define CL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_error.h"
#include "core.h"
#include "intake.h"
#include "flag.h"
#include "repl.h"

#define CL_PATH_SZ 4096

#define CL_WORKSTREAMS_MAX 16

typedef struct cl_config {
    char endpoint[512];             /* [daemon] endpoint */
    char state_dir[CL_PATH_SZ];     /* [daemon] state_directory */
    char registry[CL_PATH_SZ];      /* [daemon] registry */
    char server_key[CL_PATH_SZ];    /* [daemon] server_key (secret file) */
    char master_key[CL_PATH_SZ];    /* [daemon] master_key */
    int log_level;                  /* [daemon] log_level: 3..7 */
    uint32_t max_message_bytes;     /* [limits] max_message_bytes */
    uint32_t handshake_timeout_ms;  /* [limits] handshake_timeout_ms */
    uint32_t queue_depth;           /* [limits] queue_depth (HWM) */
    uint32_t batch_max;             /* [limits] batch_max */
    uint32_t send_timeout_ms;       /* [limits] send_timeout_ms */
    uint64_t map_bytes;             /* [store] map_size_mb */
    uint64_t map_max_bytes;         /* [store] map_max_mb */
    uint32_t slow_commit_ms;        /* [store] slow_commit_ms */
    cl_match_config match;          /* [linking] thresholds */
    double retention_days;          /* [retention] inactive_days, 0 off */
    uint32_t purge_batch;           /* [retention] purge_batch */
    uint32_t plan_ended_days;       /* [retention] plan_ended_days */
    uint32_t review_days;           /* [retention] review_days */
    uint32_t retention_check_s;     /* [retention] check_interval_s */
    uint32_t checkpoint_interval_s; /* [audit] checkpoint_interval_s */
    uint32_t checkpoint_timeout_s;  /* [audit] checkpoint_timeout_s */
    uint32_t reseal_batch;          /* [store] reseal_batch */
    uint32_t replay_window_s;       /* [store] replay_window_s */
    bool log_on;                    /* [store] log (on, off) */
    uint32_t log_commit_ms;         /* [store] log_commit_ms */
    uint64_t log_commit_bytes;      /* [store] log_commit_mb */
    cl_route_config route;          /* [routing], [feeds] */
    uint32_t feed_check_s;          /* [routing] feed_check_interval_s */
    uint32_t suppress_below;        /* [report] suppress_below */
    /* [report] workstreams = A; B; C: the names RAG ratings may use (any,
     * when none are listed) */
    uint32_t n_workstreams;
    char workstreams[CL_WORKSTREAMS_MAX][CL_NAME_SZ];
    cl_intake_config intake; /* [intake] rules and pass interval */
    cl_flag_config flag;     /* [flag]; duty contacts: registry */

    /* [limits] per client: requests in one batch, heavy ones (scans,
     * reports) in one batch, receives parked waiting for mail */
    uint32_t client_inflight_max;
    uint32_t client_heavy_max;
    uint32_t client_parked_max;
    /* [limits] readers: threads for heavy reads (0: in the batch) */
    uint32_t readers;

    /* [audit] checkpoint_command: ships each checkpoint off the host */
    char checkpoint_command[CL_PATH_SZ];
    cl_repl_config repl; /* [replication]; on when servers set */
    bool standby;        /* --standby: follow, never write */
    bool check_only;     /* --check-config: open, check, contact nobody */
} cl_config;

/* One setting as its table row describes it (for documentation checks
 * and tests; borrowed, static). */
typedef struct cl_config_row {
    const char *section; /* [section] */
    const char *name;    /* key; ending in '*': any key so begun */
    bool number;         /* a whole number bounded by lo..hi */
    bool has_default;    /* def is the default (else empty, or its module's) */
    uint64_t def;        /* default, in the setting's unit */
    double lo, hi;       /* bounds of a number */
} cl_config_row;

/* How many settings there are; cl_config_setting(i) for i below it. */
size_t cl_config_settings(void);

/* Row i into out; false past the end. */
bool cl_config_setting(size_t i, cl_config_row *out);

/* Defaults for every setting (no paths). */
void cl_config_defaults(cl_config *c);

/* Whether value v (of setting name) holds " # ...": inih keeps it (only
 * ';' starts an inline comment), so a comment pasted after a value would
 * become part of it. Refused in the configuration and the registry, with
 * the reason in msg. */
bool cl_config_inline_hash(const char *name, const char *v, char *msg,
                           size_t cap);

/*
 * Load path over the defaults. On error returns CL_ERR_INVALID (or
 * CL_ERR_IO) with "FILE:LINE: what is wrong" in err.
 */
CL_NODISCARD int cl_config_load(cl_config *c, const char *path, char *err,
                                size_t err_len);

#endif
