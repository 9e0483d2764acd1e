/*
 * server_int: what the daemon's serving files share (the loop in
 * server.c, zap.c, dispatch.c, backup.c, park.c, replica.c,
 * housekeep.c) and nothing outside them may use: the server's state, a
 * request's slot in the batch, and the clock.
 */
#ifndef CL_SERVER_INT_H
#define CL_SERVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <zmq.h>

#include "cl_version.h"
#include "core.h"
#include "registry.h"
#include "repl.h"
#include "server.h"
#include "store.h"
#include "wire.h"
#include "witness.h"

/* The request body's hash that an idempotency record starts with. */
#define S_BODY_HASH_LEN (sizeof(((cl_request *)0)->body_hash))

/* Commit latencies kept for admin stats' percentiles. */
#define S_COMMIT_RING 1024

#define S_ZAP_DOMAIN "caselink"
#define S_VERSION    CL_VERSION /* cl_version.h, from CMake */

typedef struct s_item {
    zmq_msg_t route;         /* routing id frame */
    bool has_delim;          /* REQ-style empty delimiter frame */
    char key[CL_Z85_KEY_SZ]; /* sender's public key (ZAP User-Id) */
    const cl_caller *who;    /* &caller, NULL if revoked */
    cl_caller caller;        /* registry entry and the named user */
    cl_request req;          /* decoded request */
    int early;               /* CL_OK, or an error found before the store */
    cl_reply rep;            /* reply being built */
    uint8_t *out;            /* encoded reply (malloc'd) */
    size_t out_len;
    bool deferred;     /* answered later (backup) */
    bool no_user;      /* a write that needs on_behalf_of and names none:
                        * refused unless it is a resend (s_write) */
    bool park;         /* an empty receive that waits for mail */
    bool promote;      /* admin promote: runs after the batch */
    cl_feed_event gap; /* a feed gap this publish revealed, for the log */
    uint64_t break_glass_seq; /* audit entry of a break-glass use, to log */
    bool offload;   /* a heavy read: to a reader thread after the commit */
    bool answered;  /* replied to before the commit (it needed none) */
    bool after;     /* needs no commit, but an earlier request on its
                     * connection does: answered after it (not applied) */
    bool flat;      /* a write applied in the batch's own transaction, not
                     * a nested one of its own (cl_dispatch_apply) */
    bool logged;    /* its refusal is logged (once, however many passes) */
    bool validated; /* its body validated at admission (dispatch.c) */
    int vrc;        /* ... with this outcome */
    char verr[CL_ERROR_SZ]; /* ... and refusal */
    uint32_t kept_n;        /* ... and warnings (malloc'd) */
    char (*kept)[CL_WARNING_SZ];
} s_item;

/* Two requests came on the same connection (routing id frames). */
static inline bool s_same_route(zmq_msg_t *a, zmq_msg_t *b)
{
    size_t n = zmq_msg_size(a);
    return n == zmq_msg_size(b) && !memcmp(zmq_msg_data(a), zmq_msg_data(b), n);
}

/* A mailbox receive waiting for mail (long poll). */
typedef struct s_park {
    zmq_msg_t route;
    bool delim;
    uint8_t msgid[CL_MSGID_LEN];
    char key[CL_Z85_KEY_SZ]; /* to see that it is still registered */
    cl_caller who; /* copied: the registry may be reloaded meanwhile */
    cl_inbox_query q;
    uint64_t deadline_us;
} s_park;

#define S_PARK_MAX 256

/* A client's flag checks in the current minute (rate limit). */
typedef struct s_rate {
    char client[CL_CLIENT_SZ];
    uint64_t window_us; /* start of the current minute */
    uint32_t used;      /* checks in it */
    uint64_t refused;   /* refused by the limit since start */
} s_rate;

#define S_RATE_MAX 256

/* A node's role in replication; "single" when [replication] is off. */
enum { S_SINGLE, S_ACTIVE, S_STANDBY, S_FENCED };
static const char *const s_roles[] = {"single", "active", "standby", "fenced"};

typedef struct cl_readers cl_readers; /* reader.h */
typedef struct cl_writer cl_writer;   /* writer.h */

#define S_APPLY_MAX 256 /* stream messages applied per LMDB transaction */

struct cl_server {
    cl_config cfg;         /* immutable copy */
    void *zctx;            /* ZeroMQ context */
    void *zap;             /* REP on inproc://zeromq.zap.01 */
    void *router;          /* CURVE ROUTER */
    int sigfd;             /* signalfd for TERM, INT, HUP */
    cl_registry *registry; /* current client registry */
    cl_store *store;       /* the encrypted store */
    s_item *items;         /* batch_max slots */
    s_item *spare;         /* ... and the next batch's, filled meanwhile */
    size_t n_spare;        /* requests waiting there */
    cl_writer *writer;     /* applies and commits each batch */
    char commit_gate[CL_PATH_SZ]; /* tests: commits wait for this file */
    cl_readers *readers; /* heavy reads' threads (NULL: in the batch) */
    int64_t started;     /* unix seconds */
    /* The last batch the store could not write, for admin health: set
     * by the serving thread once the writer has handed the batch back
     * (s_failed), read by health's handler, so never both at once. */
    char write_error[CL_ERROR_SZ]; /* what the log said; "" if none yet */
    int64_t write_error_at;        /* unix seconds; 0 if none */
    uint64_t write_errors;         /* batches not written since start */
    bool stopping;                 /* SIGTERM seen */
    uint64_t watchdog_usec;        /* 0 if no watchdog */
    uint64_t last_wd_us;           /* monotonic time of the last WATCHDOG=1 */
    uint64_t requests;             /* counters for the log and health */
    uint64_t commits;
    uint64_t next_purge_us;      /* monotonic time of the next retention run */
    uint64_t next_checkpoint_us; /* ... and of the next audit checkpoint */
    uint64_t next_feed_check_us; /* ... and of the next feed silence check */
    uint64_t next_intake_us;     /* ... and of the next intake pass */
    s_park parks[S_PARK_MAX];    /* receives waiting for mail */
    size_t n_parks;
    bool park_mail; /* the last batch left mail for a parked receive (set
                     * by the writer, read after it handed the batch back) */
    s_rate rates[S_RATE_MAX]; /* flag checks per client */
    size_t n_rates;
    s_rate rates_was[S_RATE_MAX]; /* as a batch found them (the writer's:
                                   * put back if it is not committed) */
    size_t n_rates_was;
    uint64_t counts[CL_REQ_KIND_COUNT][CL_STATUS_NOT_ACTIVE + 1];
    /* recent commit latencies, a ring */
    uint64_t commit_us[S_COMMIT_RING];
    uint64_t batch_sum;  /* requests over all commits */
    uint64_t batch_max;  /* largest batch */
    uint64_t redone;     /* batches applied again (the writer's, atomic) */
    uint64_t refused;    /* refused connections */
    cl_witness *witness; /* ships checkpoints off the host */
    /* the start-up check of the store (check.c) */
    pthread_t check_thread;
    bool check_running;          /* started, not joined yet */
    bool check_done;             /* ended (set by its thread: atomic) */
    bool check_cancel;           /* stopping: do not begin it (atomic) */
    char check_gate[CL_PATH_SZ]; /* tests: it waits for this file */
    cl_reseal_pos reseal;        /* re-seal progress after a rotation */
    bool resealing;              /* a re-seal pass is under way */
    cl_match_config base_match;  /* [linking]/[weights] as configured */
    bool relink_pending;         /* weights accepted or a rerun asked for */
    bool relinking;              /* a rerun is under way */
    /* online backup: one at a time, in its own thread */
    pthread_t backup_thread;
    bool backup_running;
    int backup_efd;         /* eventfd: the thread is done */
    zmq_msg_t backup_route; /* who asked */
    bool backup_delim;
    uint8_t backup_msgid[CL_MSGID_LEN];
    char backup_path[CL_PATH_SZ + 128];  /* where the copy is written */
    char backup_final[CL_PATH_SZ + 128]; /* where it goes when complete */
    int backup_rc;
    uint64_t backup_bytes;
    uint64_t backup_total; /* what the copy should come to (progress) */
    /* replication (repl NULL: a single node, exactly as without it) */
    cl_repl *repl;
    int role;         /* S_SINGLE ... */
    uint64_t applied; /* last stream sequence in the store */
    bool behind;      /* the stream may hold batches we lack */
    int follow_efd;   /* eventfd: the follower queued messages */
    uint64_t next_fence_check_us;
    uint64_t next_follow_check_us; /* standby: is the consumer stalled? */
    bool lag_seen;        /* standby: behind the stream at the last look */
    uint64_t lag_applied; /* ... with this applied then */
    char active[CL_REPL_NAME_SZ + CL_REPL_ENDPOINT_SZ + 8]; /* as last seen */
    char problem[512];       /* why fenced, or why following stopped */
    char repl_why[256];      /* why the last batch was not appended */
    bool crash_after_append; /* fault injection for the tests (see below) */
};

static inline int64_t s_now(void)
{
    return (int64_t)time(NULL);
}

static inline uint64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Tell systemd the daemon is alive: on every loop turn and as each
 * request of a long batch completes (progress, not just turns). */
static inline void s_watchdog(cl_server *s)
{
    if (s->watchdog_usec &&
        s_mono_us() - s->last_wd_us > s->watchdog_usec / 4) {
        sd_notify(0, "WATCHDOG=1");
        s->last_wd_us = s_mono_us();
    }
}

#endif
