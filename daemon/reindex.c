/*
 * reindex: `caselinkd --rekey-indexes` (see reindex.h). Checks that no
 * other process has the store open, opens it with the master key file,
 * and hands over to the store (cl_store_reindex), growing the map if the
 * rewrite needs room. Owns no key after returning.
 */
#include "reindex.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

/* For the kill -9 tests: stop for good once this many rows are done
 * ("commit": just before the commit), saying so, to be killed there. */
#define S_STALL_ENV "CASELINKD_FAULT_REKEY_STALL"

typedef struct s_progress {
    uint64_t stall; /* 0: none */
} s_progress;

static void s_progress_fn(void *ctx, uint64_t rows)
{
    const s_progress *p = ctx;
    if (rows != UINT64_MAX && rows % 100000 == 0)
        cl_log_info("rekey-indexes: %" PRIu64 " rows rewritten", rows);
    if (!p->stall || rows < p->stall)
        return;
    cl_log_info("rekey-indexes: stalled at %s (%s)",
                rows == UINT64_MAX ? "the commit" : "a row", S_STALL_ENV);
    for (;;)
        pause();
}

/* Does another process have the LMDB environment in dir open? Every
 * process that opens one holds a shared fcntl lock on byte 0 of its
 * lock.mdb (LMDB's mdb_env_excl_lock), so an exclusive lock is refused
 * while the daemon runs. Checked before this process opens it. */
static bool s_in_use(const char *dir)
{
    char path[CL_PATH_SZ + 16];
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false; /* never opened: nobody has */
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1};
    bool busy = fcntl(fd, F_SETLK, &l) != 0;
    close(fd); /* drops the lock again */
    return busy;
}

static double s_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static double s_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cl_reindex_run(const cl_config *cfg, char *err, size_t err_len)
{
    cl_store *st = NULL;
    cl_store_reindex_stats rs;
    s_progress p = {0};
    char problem[512] = "";
    bool from_next = false;
    uint8_t *key = sodium_malloc(CL_MASTER_KEY_LEN);
    const char *stall = getenv(S_STALL_ENV);
    int rc = key ? CL_OK : CL_ERR_NOMEM;
    err[0] = '\0';
    if (stall)
        p.stall =
            !strcmp(stall, "commit") ? UINT64_MAX : strtoull(stall, NULL, 10);
    if (rc == CL_OK && s_in_use(cfg->state_dir)) {
        snprintf(err, err_len,
                 "store %s is open in another process (caselinkd is "
                 "running): stop it first (systemctl stop caselinkd)",
                 cfg->state_dir);
        rc = CL_ERR_BUSY;
        goto out;
    }
    if (rc == CL_OK)
        rc = cl_store_open_keyfile(&st, cfg->state_dir, cfg->master_key,
                                   cfg->map_bytes, &from_next, err, err_len);
    if (rc != CL_OK) {
        if (!err[0])
            snprintf(err, err_len, "store %s: %s", cfg->state_dir,
                     rc == CL_ERR_KEY ? "the master key does not open it"
                                      : cl_strerror(rc));
        goto out;
    }
    if (from_next) {
        snprintf(err, err_len,
                 "%s no longer opens the store and %s.next does: move "
                 "%s.next over %s first (the master key replacement is not "
                 "finished)",
                 cfg->master_key, cfg->master_key, cfg->master_key,
                 cfg->master_key);
        rc = CL_ERR_INVALID;
        goto out;
    }
    if ((rc = cl_store_key_load(key, cfg->master_key, err, err_len)) != CL_OK)
        goto out;
    bool current = false;
    uint32_t gen = cl_store_index_generation(st, &current);
    cl_log_info("rekey-indexes: store %s, index generation %u (%s); "
                "rewriting every index row in one transaction",
                cfg->state_dir, (unsigned)gen,
                current ? "drawn under the master key in use"
                        : "derivable from a former master key");
    double w0 = s_wall(), c0 = s_cpu();
    while ((rc = cl_store_reindex(st, key, s_progress_fn, &p, &rs, problem,
                                  sizeof(problem))) == CL_ERR_FULL) {
        if (cl_store_grow(st, cfg->map_max_bytes) != CL_OK)
            break; /* at map_max_mb: rc stays CL_ERR_FULL */
        cl_log_info("rekey-indexes: map grown, starting again");
    }
    if (rc == CL_ERR_CORRUPT) {
        snprintf(err, err_len,
                 "the store does not verify, nothing was changed: %s "
                 "(restore a backup that verifies)",
                 problem);
        goto out;
    }
    if (rc == CL_ERR_FULL) {
        snprintf(err, err_len,
                 "the rewrite needs more room than [store] map_max_mb "
                 "allows: raise it, then run again (nothing was changed)");
        goto out;
    }
    if (rc != CL_OK) {
        snprintf(err, err_len, "re-indexing failed, nothing was changed: %s",
                 cl_strerror(rc));
        goto out;
    }
    cl_log_info("rekey-indexes: done: index generation %u; %" PRIu64
                " rows rewritten (%" PRIu64 " moved to new blind indexes), "
                "%" PRIu64 " group digests rebuilt, in %.2f s (%.2f s CPU). "
                "Seed every standby again from a backup made now",
                (unsigned)rs.generation, rs.rows, rs.blinds, rs.digests,
                s_wall() - w0, s_cpu() - c0);
out:
    cl_store_close(&st);
    sodium_free(key);
    return rc;
}
