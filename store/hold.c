/*
 * hold: the write transaction held open across group commits, and the
 * sequential log (wal.c) that makes each of its batches durable first.
 *
 * With the log on (cl_store_log_start), a top-level write transaction
 * begun on the thread that owns the log (cl_store_log_own: the daemon's
 * writer) is an LMDB transaction nested in one held open across batches.
 * Its commit seals it into the log: its sequence (meta "log:applied",
 * written in it), its physical changes as capture records them, appended
 * and fdatasync'd; only then is it merged into the held transaction and
 * the commit reported done. The held transaction commits (with
 * MDB_NOSYNC: data.mdb is synced behind the writer, mdbsync.c) when
 * cl_store_log_commit is called (by the owner: before anything that needs
 * the committed state or LMDB's writer lock), when the log holds more
 * than its byte limit or the map could soon not take it, and at once
 * after a batch that changed the keys. The log is two files (data.wal,
 * data.wal2) used in turn: a commit's batches stay in theirs until its
 * sync is done; the next commit waits for that, then cuts that file
 * (rewound: it keeps its blocks for the next records to overwrite, so
 * their syncs write no inode; wal.h) and the batches after it go there.
 * Near a full map, the log is not used (s_room_short).
 *
 * A top-level write transaction on any other thread is LMDB's own,
 * committed durably and not logged; it may begin only while nothing is
 * held (CL_ERR_INTERNAL otherwise: the caller forgot to have it
 * committed, and waiting for the writer lock would never end).
 *
 * If the held transaction is lost (its commit failed, or a batch in the
 * log could not be merged into it), nothing nests until capture.c's
 * cl_store_log_recover has applied the log again. Replaying the log (at
 * open, and that recovery) is capture.c's, above the transactions: this
 * file calls only LMDB, the log's file and the capture's record.
 */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "wal.h"

static uint64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int cl_store__seq_get(cl_txn *t, const char *name, uint64_t *seq)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(t->txn, t->store->dbi[CL_DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        *seq = 0;
        return CL_OK;
    }
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    if (v.mv_size != 8)
        return CL_ERR_CORRUPT;
    const uint8_t *b = v.mv_data;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | b[i];
    *seq = x;
    return CL_OK;
}

int cl_store__seq_set(cl_txn *t, const char *name, uint64_t seq)
{
    uint8_t b[8];
    if (!t->write)
        return CL_ERR_INVALID;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(seq >> (8 * (7 - i)));
    MDB_val k = {strlen(name), (void *)name};
    MDB_val v = {8, b};
    int rc = cl_store__mdb_err(
        mdb_put(t->txn, t->store->dbi[CL_DB_META], &k, &v, 0));
    if (rc == CL_OK)
        t->sequenced = true;
    return rc;
}

int cl_store__log_seq(cl_txn *t, uint64_t *seq)
{
    return cl_store__seq_get(t, CL_STORE__LOG_SEQ, seq);
}

int cl_store__log_set_seq(cl_txn *t, uint64_t seq)
{
    return cl_store__seq_set(t, CL_STORE__LOG_SEQ, seq);
}

/* The map must take the held transaction's commit: until it commits,
 * every page it dirties is a page more (those it frees are reused only
 * after), and LMDB's commit itself needs pages for its free list; a
 * batch is acknowledged from the log before that. So the log is used
 * only with room to spare: with less than an eighth of the map (or 16
 * MiB) free, what is held is committed and each batch is committed by
 * LMDB before its acknowledgement, as without the log, until a full map
 * refuses a batch and the map grows; and the held transaction commits
 * before, at worst, its dirty pages (about this many bytes of them for
 * each byte of log: a referral logs about 1.5 KB and may dirty 40 pages
 * no batch before it touched) would use up the room. */
#define S_PAGE_BYTES_PER_LOG_BYTE 128
#define S_ROOM_MIN                (16u << 20)

/* The map's bytes LMDB has not used as of the last commit. */
static uint64_t s_room(const cl_store *s)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(s->env, &info) != MDB_SUCCESS ||
        mdb_env_stat(s->env, &st) != MDB_SUCCESS)
        return 0;
    uint64_t used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    return info.me_mapsize > used ? info.me_mapsize - used : 0;
}

static bool s_room_short(const cl_store *s)
{
    uint64_t room = s_room(s), eighth = s->map_bytes / 8;
    return room < (eighth > S_ROOM_MIN ? eighth : S_ROOM_MIN);
}

static bool s_held_too_big(const cl_store *s)
{
    return cl_wal_bytes(s->log) * S_PAGE_BYTES_PER_LOG_BYTE >= s_room(s);
}

static void s_held(cl_store *s, bool held)
{
    __atomic_store_n(&s->log_held, held, __ATOMIC_RELEASE);
    if (!held)
        __atomic_store_n(&s->hold_since_us, 0, __ATOMIC_RELEASE);
}

void cl_store_log_own(cl_store *s)
{
    s->log_owner = pthread_self();
    __atomic_store_n(&s->log_owned, true, __ATOMIC_RELEASE);
}

/* The held transaction is gone without its commit: nothing nests in a
 * new one until the log is applied again (other threads still may not
 * write: LMDB lags what was acknowledged). */
static void s_lose(cl_store *s)
{
    if (s->hold)
        mdb_txn_abort(s->hold);
    s->hold = NULL;
    cl_store__vc_clear(&s->hvc); /* what it read and put is gone */
    s->log_lost = true;
    s->log_stats.failed++;
}

void cl_store__log_recovered(cl_store *s, uint64_t last)
{
    s->log_lost = false;
    s->log_seq = last;
    s_held(s, false);
}

bool cl_store_log_lost(const cl_store *s)
{
    return s->log && s->log_lost;
}

/* Tests only: every commit of a held transaction fails, as on a full
 * disk, so that recovery from the log runs (never set in production). */
#define S_FAULT_ENV "CASELINKD_FAULT_LOG_COMMIT"

/* The held commit, with LMDB's sync behind it (mdbsync.c): first the
 * commit before must be on the disk (at most one is ever unsynced), and
 * then the file holding that one's batches is rewound; this one's stay in
 * theirs until its own sync, the next batches go to the rewound one. */
int cl_store_log_commit(cl_store *s)
{
    if (s->log_lost)
        return CL_ERR_BUSY; /* cl_store_log_recover first */
    if (!s->hold)
        return CL_OK;
    if (getenv(S_FAULT_ENV)) {
        s_lose(s);
        return CL_ERR_IO;
    }
    uint64_t t0 = s_mono_us();
    int rc = cl_store__msync_wait(s);
    if (rc) { /* LMDB's file is not known to be on the disk: keep the log */
        s_lose(s);
        return cl_store__io_err(rc);
    }
    if (s->log_prev && cl_wal_rewind(s->log_prev) != CL_OK)
        s->log_stats.uncut++; /* replay skips what LMDB holds */
    rc = mdb_txn_commit(s->hold);
    uint64_t took = s_mono_us() - t0;
    s->hold = NULL;              /* ended either way */
    cl_store__vc_clear(&s->hvc); /* others may write behind it now */
    if (rc != MDB_SUCCESS) {
        s_lose(s);
        return cl_store__commit_err(s, rc);
    }
    cl_store__msync_post(s);
    s->log_stats.commits++;
    s->log_stats.commit_us += took;
    if (took > s->log_stats.commit_us_max)
        s->log_stats.commit_us_max = took;
    s_held(s, false);
    if (s->log_prev) { /* this commit's batches wait in theirs */
        struct cl_wal *w = s->log;
        s->log = s->log_prev;
        s->log_prev = w;
    } else if (cl_wal_rewind(s->log) != CL_OK) { /* LMDB synced itself */
        s->log_stats.uncut++;
    }
    return CL_OK;
}

bool cl_store_log_held(const cl_store *s)
{
    return __atomic_load_n(&s->log_held, __ATOMIC_ACQUIRE) != 0;
}

bool cl_store_log_due(const cl_store *s)
{
    if (!cl_store_log_held(s))
        return false;
    uint64_t since = __atomic_load_n(&s->hold_since_us, __ATOMIC_ACQUIRE);
    /* held with no batch yet (an empty one): nothing to wait for */
    return !since || s_mono_us() - since >= s->log_max_us;
}

void cl_store_log_stats_get(const cl_store *s, cl_store_log_stats *out)
{
    *out = s->log_stats;
}

void cl_store__log_close(cl_store *s)
{
    if (s->hold) /* not committed: what it held is in the log */
        mdb_txn_abort(s->hold);
    s->hold = NULL;
    cl_store__vc_free(&s->hvc);
    s_held(s, false);
    /* the last commit's sync: a clean stop; then its batches go, as they
     * would at the next commit (a data file put back from an older copy
     * must not get them again) */
    bool synced = cl_store__msync_wait(s) == 0;
    cl_store__msync_stop(s);
    if (synced && s->log_prev && cl_wal_rewind(s->log_prev) != CL_OK)
        s->log_stats.uncut++;
    cl_wal_close(&s->log);
    cl_wal_close(&s->log_prev);
}

int cl_store__log_parent(cl_store *s, MDB_txn **parent)
{
    *parent = NULL;
    if (!s->log || s->log_direct)
        return CL_OK;
    bool owned = __atomic_load_n(&s->log_owned, __ATOMIC_ACQUIRE);
    if (!owned || !pthread_equal(pthread_self(), s->log_owner))
        /* another thread: LMDB's own, only while nothing is held */
        return cl_store_log_held(s) ? CL_ERR_INTERNAL : CL_OK;
    if (s->log_lost)
        return CL_ERR_BUSY; /* cl_store_log_recover first */
    if (s_room_short(s)) {  /* LMDB's own, committed before the ack */
        s->log_stats.direct++;
        return cl_store_log_commit(s);
    }
    if (!s->hold) {
        int rc = mdb_txn_begin(s->env, NULL, 0, &s->hold);
        if (rc != MDB_SUCCESS) {
            s->hold = NULL;
            return cl_store__mdb_err(rc);
        }
        s_held(s, true);
    }
    *parent = s->hold;
    return CL_OK;
}

int cl_store__log_seal(cl_txn *t)
{
    cl_store *s = t->store;
    const uint8_t *b;
    size_t len;
    if (!t->cap || !t->cap->count)
        return CL_OK; /* nothing changed: nothing to make durable */
    if (t->cap->err)
        return t->cap->err; /* a change was not recorded */
    uint64_t seq = s->log_seq + 1;
    int rc = cl_store__log_set_seq(t, seq);
    if (rc == CL_OK)
        rc = cl_store__capture_finish(t, seq - 1, &b, &len);
    if (rc == CL_OK)
        rc = cl_wal_append(s->log, seq, b, len);
    if (rc == CL_OK) {
        uint64_t t0 = s_mono_us();
        rc = cl_wal_sync(s->log);
        uint64_t took = s_mono_us() - t0;
        s->log_stats.syncs++;
        s->log_stats.sync_slow += took > CL_STORE_LOG_SYNC_SLOW_US;
        if (took > s->log_stats.sync_us_max)
            s->log_stats.sync_us_max = took;
    }
    if (rc != CL_OK)
        return rc; /* not acknowledged: the caller aborts t */
    s->log_seq = seq;
    t->logged = true;
    return CL_OK;
}

void cl_store__log_done(cl_txn *t, bool merged)
{
    cl_store *s = t->store;
    if (!merged) {
        if (t->logged) /* in the log, not in the held transaction */
            s_lose(s);
        return;
    }
    if (!t->logged)
        return;
    if (!__atomic_load_n(&s->hold_since_us, __ATOMIC_ACQUIRE))
        __atomic_store_n(&s->hold_since_us, s_mono_us(), __ATOMIC_RELEASE);
    s->log_stats.batches++;
    /* a changed key takes effect in LMDB at once, as without the log;
     * past its size the held transaction is committed now (if that
     * fails, it is lost: the owner recovers before its next batch) */
    if ((t->key_version || t->retired ||
         cl_wal_bytes(s->log) >= s->log_max_bytes || s_held_too_big(s)) &&
        cl_store_log_commit(s) != CL_OK)
        s->log_stats.uncommitted++;
}
