/*
 * mdbsync: LMDB's data-file sync taken out of the writer's path, and the
 * fallback at open that makes that safe under a power cut.
 *
 * With the log on (cl_store_log_start), LMDB runs with MDB_NOSYNC: a
 * commit writes its pages and then its meta page with no sync between
 * (LMDB 0.9.24's mdb_txn_commit, mdb_env_write_meta through the plain
 * descriptor), and a thread here fdatasyncs data.mdb afterwards, then
 * writes the txnid it covered to data.sync and fdatasyncs that. Until
 * then the commit is "unsynced": a power cut may leave its meta page on
 * the disk without (some of) its pages.
 *
 * Rules that make it safe:
 *  - At most one commit is ever unsynced: every commit (the held one in
 *    hold.c, any other through cl_store__mdb_commit) waits first for the
 *    previous one's sync and marker. A commit other than the held one
 *    waits for its own too before it returns (nothing of it is in the
 *    log, so it is acknowledged only once it is on the disk).
 *  - The log keeps the batches of the unsynced commit: they are in a file
 *    of their own, rewound only after that commit's marker is durable
 *    (hold.c).
 *  - At open, if data.sync names a txnid older than the newer of LMDB's
 *    two meta pages (or cannot be read), that meta page is rewritten from
 *    the older one before mdb_env_open, so LMDB opens the snapshot before
 *    it; the log replays what followed (capture.c).
 *
 * Why the snapshot before is intact (LMDB 0.9.24, mdb.c): a write
 * transaction W reuses only pages of freeDB records keyed by a txnid
 * `last` with `last < oldest` (mdb_page_alloc: "if (oldest <= last)
 * break"), where oldest = mdb_find_oldest(W) <= W->mt_txnid - 1 (the
 * minimum of that and every live reader's txnid). A record keyed T lists
 * the pages T freed: pages of snapshot T-1 that snapshot T no longer
 * uses, and that no later snapshot uses until a transaction reuses them,
 * which removes them from the free list (me_pghead, carried between
 * transactions, holds only pages so taken). So W writes only pages freed
 * by T <= W-2: none of snapshot W-1 or W-2 (new pages past mm_last_pg are
 * in neither), and its meta page goes to slot W & 1, the slot of W-2,
 * leaving W-1's. Loose and spilled pages are W's own. Hence when commit W
 * is cut off before its sync, snapshot W-1, whose sync completed before W
 * began writing, is whole on the disk, pages and meta.
 *
 * A meta page (MDB_meta after the 16-byte page header, 0.9.24, 64-bit):
 * mm_magic at 16, mm_version 20, mm_psize (mm_dbs[0].md_pad) 40,
 * mm_last_pg 136, mm_txnid 144; page 0 at offset 0, page 1 at psize.
 * mdb_env_read_header takes the one with the higher txnid (page 0 on a
 * tie); a reader then uses slot txnid & 1, the writer writes the other.
 *
 * Only when no other process has the store open (an flock on data.sync,
 * held while it is in use): a second opener leaves both alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

#define S_MARK_NAME  "data.sync"
#define S_MAGIC      "CLS1"
#define S_MARK_LEN   28 /* magic, txnid, data.mdb's inode, a check */
#define S_PAGEHDR    16
#define S_OFF_PSIZE  40
#define S_OFF_TXNID  144
#define S_META_MAGIC 0xBEEFC0DEu
#define S_P_META     0x08
/* Tests only: skip the fallback, to show the power-cut test finds what
 * it prevents (never set in production). */
#define S_NO_FALLBACK_ENV "CASELINKD_TEST_NO_META_FALLBACK"

struct cl_store__msync {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int data_fd;  /* LMDB's, for fdatasync */
    int mark_fd;  /* data.sync, flock'd */
    uint64_t ino; /* data.mdb's */
    char dir[4096], mark_path[4200];
    uint64_t want; /* the newest commit to make durable */
    uint64_t done; /* the newest made durable, its marker too */
    int err;       /* a sync failed: every later commit fails (sticky) */
    bool busy, stop;
};

static uint64_t s_be64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | p[i];
    return x;
}

static void s_put64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(x >> (8 * (7 - i)));
}

static uint64_t s_le(const uint8_t *p, int n)
{
    uint64_t x = 0;
    for (int i = n - 1; i >= 0; i--)
        x = x << 8 | p[i];
    return x;
}

static int s_pwrite_all(int fd, const void *b, size_t n, off_t off)
{
    for (size_t done = 0; done < n;) {
        ssize_t r =
            pwrite(fd, (const uint8_t *)b + done, n - done, off + (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EIO;
        done += (size_t)r;
    }
    return 0;
}

static int s_fdatasync(int fd)
{
    while (fdatasync(fd) != 0)
        if (errno != EINTR)
            return errno;
    return 0;
}

/* The marker names data.mdb by its inode: a data file put in its place
 * (a restore) is not the one it speaks of. */
static uint64_t s_check(uint64_t txnid, uint64_t ino)
{
    return ~txnid ^ (ino * 0x9E3779B97F4A7C15u);
}

static int s_mark_write(int fd, uint64_t txnid, uint64_t ino)
{
    uint8_t b[S_MARK_LEN];
    memcpy(b, S_MAGIC, 4);
    s_put64(b + 4, txnid);
    s_put64(b + 12, ino);
    s_put64(b + 20, s_check(txnid, ino));
    int e = s_pwrite_all(fd, b, sizeof(b), 0);
    return e ? e : s_fdatasync(fd);
}

/* The marker's txnid and inode, or false if it is not a whole one. */
static bool s_mark_read(int fd, uint64_t *txnid, uint64_t *ino)
{
    uint8_t b[S_MARK_LEN];
    if (pread(fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
        memcmp(b, S_MAGIC, 4) ||
        s_be64(b + 20) != s_check(s_be64(b + 4), s_be64(b + 12)))
        return false;
    *txnid = s_be64(b + 4);
    *ino = s_be64(b + 12);
    return true;
}

static int s_dir_sync(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? CL_OK : cl_store__io_err(errno);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* --- the fallback at open ------------------------------------------------- */

typedef struct s_meta {
    uint8_t page[4096]; /* the first 4 KiB of the page: all of MDB_meta */
    bool ok;
    uint64_t txnid;
} s_meta;

static void s_meta_read(int fd, off_t off, s_meta *m)
{
    m->ok =
        pread(fd, m->page, sizeof(m->page), off) == (ssize_t)sizeof(m->page) &&
        (s_le(m->page + 10, 2) & S_P_META) &&
        s_le(m->page + S_PAGEHDR, 4) == S_META_MAGIC;
    m->txnid = m->ok ? s_le(m->page + S_OFF_TXNID, 8) : 0;
}

/* Open the snapshot before the newest if the newest may not be whole:
 * rewrite the newer meta page's MDB_meta from the older's, made durable. */
static int s_fall_back(const char *dir, int mark_fd)
{
    char path[4200];
    uint64_t synced = 0, ino = 0;
    bool known = s_mark_read(mark_fd, &synced, &ino);
    struct stat st;
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CL_OK : CL_ERR_IO;
    if (fstat(fd, &st) != 0 || (known && ino != (uint64_t)st.st_ino)) {
        close(fd); /* another data file than the marker's: not ours */
        return CL_OK;
    }
    s_meta *m = malloc(2 * sizeof(*m));
    int rc = m ? CL_OK : CL_ERR_NOMEM;
    if (rc == CL_OK) {
        s_meta_read(fd, 0, &m[0]);
        uint64_t psize = m[0].ok ? s_le(m[0].page + S_OFF_PSIZE, 4) : 0;
        if (psize < 4096 || psize > (1u << 16))
            psize = 4096; /* page 0 unreadable: LMDB's default */
        s_meta_read(fd, (off_t)psize, &m[1]);
        /* the newer (an unreadable one counts as newest) */
        int nw = !m[1].ok ? 1 : !m[0].ok ? 0 : m[1].txnid > m[0].txnid;
        s_meta *newer = &m[nw], *older = &m[!nw];
        bool whole = known && newer->ok && newer->txnid <= synced;
        if (!whole && older->ok && newer->txnid != older->txnid) {
            int e = s_pwrite_all(fd, older->page + S_PAGEHDR,
                                 sizeof(older->page) - S_PAGEHDR,
                                 (off_t)(nw ? psize : 0) + S_PAGEHDR);
            if (!e)
                e = s_fdatasync(fd);
            rc = e ? cl_store__io_err(e) : CL_OK;
        }
    }
    free(m);
    close(fd);
    return rc;
}

int cl_store__mdb_fallback(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/" S_MARK_NAME, dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CL_OK : CL_ERR_IO; /* LMDB synced itself */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd); /* in use by a process that has the store open */
        return CL_OK;
    }
    int rc = getenv(S_NO_FALLBACK_ENV) ? CL_OK : s_fall_back(dir, fd);
    /* From here every commit is LMDB's own, synced, until the log starts
     * and plants the marker again; so it goes, durably, first. */
    if (rc == CL_OK && unlink(path) != 0)
        rc = cl_store__io_err(errno);
    if (rc == CL_OK)
        rc = s_dir_sync(dir);
    close(fd);
    return rc;
}

/* --- the sync behind the writer ------------------------------------------- */

static void *s_main(void *arg)
{
    cl_store__msync *ms = arg;
    pthread_mutex_lock(&ms->mu);
    for (;;) {
        while (!ms->stop && (ms->want <= ms->done || ms->err))
            pthread_cond_wait(&ms->cv, &ms->mu);
        if (ms->want <= ms->done || ms->err)
            break; /* stopping, nothing left to do */
        uint64_t want = ms->want;
        ms->busy = true;
        pthread_mutex_unlock(&ms->mu);
        int e = s_fdatasync(ms->data_fd);
        if (!e)
            e = s_mark_write(ms->mark_fd, want, ms->ino);
        pthread_mutex_lock(&ms->mu);
        ms->busy = false;
        if (e)
            ms->err = e;
        else
            ms->done = want;
        pthread_cond_broadcast(&ms->cv);
    }
    pthread_mutex_unlock(&ms->mu);
    return NULL;
}

/* Plant the marker at path whole, or not at all: written and synced
 * under another name, then renamed, the folder synced. A marker whose
 * name reached the disk before its bytes would read as not whole, and
 * the next open would undo the newest commit though LMDB had synced it:
 * the one that replayed the log just cut, acknowledged batches lost. */
static int s_mark_plant(cl_store__msync *ms, const char *path)
{
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    /* locked first, and kept: another process planting, or opening the
     * store (cl_store__mdb_fallback), finds it busy; a power cut's
     * leftover is rewritten from the start, never read */
    ms->mark_fd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (ms->mark_fd < 0 || flock(ms->mark_fd, LOCK_EX | LOCK_NB) != 0)
        return CL_ERR_IO;
    int old = open(path, O_RDWR | O_CLOEXEC);
    if (old >= 0 && flock(old, LOCK_EX | LOCK_NB) != 0) {
        close(old);
        return CL_ERR_IO; /* another process runs the log on it */
    }
    int e = ftruncate(ms->mark_fd, 0) != 0 ? errno : 0;
    if (!e)
        e = s_mark_write(ms->mark_fd, ms->done, ms->ino);
    if (!e && rename(tmp, path) != 0)
        e = errno;
    int rc = e ? cl_store__io_err(e) : s_dir_sync(ms->dir);
    if (old >= 0)
        close(old); /* replaced (or kept, on failure) while locked */
    return rc;
}

static uint64_t s_last_txnid(const cl_store *s)
{
    MDB_envinfo info;
    return mdb_env_info(s->env, &info) == MDB_SUCCESS ? info.me_last_txnid : 0;
}

int cl_store__msync_start(cl_store *s, const char *dir)
{
    char path[4200];
    if (s->msync)
        return CL_OK;
    cl_store__msync *ms = calloc(1, sizeof(*ms));
    if (!ms)
        return CL_ERR_NOMEM;
    pthread_mutex_init(&ms->mu, NULL);
    pthread_cond_init(&ms->cv, NULL);
    ms->mark_fd = -1;
    int rc = mdb_env_get_fd(s->env, &ms->data_fd) == MDB_SUCCESS
                 ? CL_OK
                 : CL_ERR_INTERNAL;
    snprintf(path, sizeof(path), "%s/" S_MARK_NAME, dir);
    snprintf(ms->dir, sizeof(ms->dir), "%s", dir);
    snprintf(ms->mark_path, sizeof(ms->mark_path), "%s", path);
    /* everything committed so far was synced by LMDB itself */
    ms->done = ms->want = s_last_txnid(s);
    struct stat st;
    if (rc == CL_OK && fstat(ms->data_fd, &st) != 0)
        rc = CL_ERR_IO;
    ms->ino = rc == CL_OK ? (uint64_t)st.st_ino : 0;
    if (rc == CL_OK)
        rc = s_mark_plant(ms, path);
    if (rc == CL_OK && pthread_create(&ms->th, NULL, s_main, ms) != 0)
        rc = CL_ERR_NOMEM;
    if (rc != CL_OK) {
        if (ms->mark_fd >= 0)
            close(ms->mark_fd);
        pthread_cond_destroy(&ms->cv);
        pthread_mutex_destroy(&ms->mu);
        free(ms);
        return rc;
    }
    s->msync = ms;
    /* only now: a power cut before this finds no marker, and LMDB's
     * commits were all synced */
    mdb_env_set_flags(s->env, MDB_NOSYNC, 1);
    return CL_OK;
}

void cl_store__msync_stop(cl_store *s)
{
    cl_store__msync *ms = s->msync;
    if (!ms)
        return;
    pthread_mutex_lock(&ms->mu);
    ms->stop = true; /* after what is asked: a clean stop leaves it synced */
    pthread_cond_broadcast(&ms->cv);
    pthread_mutex_unlock(&ms->mu);
    pthread_join(ms->th, NULL);
    mdb_env_set_flags(s->env, MDB_NOSYNC, 0);
    /* every commit synced: no fallback is ever needed for them, and a
     * marker left behind would undo a commit made after the stop by
     * another program (an LMDB tool) at the next open */
    if (!ms->err && unlink(ms->mark_path) == 0)
        (void)s_dir_sync(ms->dir);
    close(ms->mark_fd);
    pthread_cond_destroy(&ms->cv);
    pthread_mutex_destroy(&ms->mu);
    free(ms);
    s->msync = NULL;
}

int cl_store__msync_wait(cl_store *s)
{
    cl_store__msync *ms = s->msync;
    if (!ms)
        return 0;
    pthread_mutex_lock(&ms->mu);
    while (!ms->err && (ms->busy || ms->want > ms->done))
        pthread_cond_wait(&ms->cv, &ms->mu);
    int e = ms->err;
    pthread_mutex_unlock(&ms->mu);
    return e;
}

void cl_store__msync_post(cl_store *s)
{
    cl_store__msync *ms = s->msync;
    if (!ms)
        return;
    uint64_t id = s_last_txnid(s);
    pthread_mutex_lock(&ms->mu);
    if (id > ms->want)
        ms->want = id;
    pthread_cond_broadcast(&ms->cv);
    pthread_mutex_unlock(&ms->mu);
}

int cl_store__mdb_commit(cl_store *s, MDB_txn *txn)
{
    if (!s->msync)
        return mdb_txn_commit(txn);
    int e = cl_store__msync_wait(s); /* the one before, on the disk */
    if (e) {
        mdb_txn_abort(txn);
        return e;
    }
    int rc = mdb_txn_commit(txn);
    if (rc != MDB_SUCCESS)
        return rc;
    cl_store__msync_post(s);
    return cl_store__msync_wait(s); /* not in the log: synced before done */
}
