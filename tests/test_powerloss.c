/*
 * test_powerloss: what a power cut leaves, not only a kill -9. A kill -9
 * leaves the page cache intact, so it cannot show what an unsynced write
 * costs. Here the daemon runs under tests/crashrec.c (LD_PRELOAD), which
 * records every write it makes to its state folder and every sync that
 * completed, while two agencies ingest and the test client marks each
 * acknowledgement in the same log. Then crash states are rebuilt from the
 * log, each at a random point of it, in one of three ways:
 *
 *   lost     everything written after each file's last completed sync is
 *            gone;
 *   some     each unsynced write (cut into 4 KiB pieces) and each
 *            unsynced rename reached the disk or not, at random;
 *   reorder  a random subset of them reached the disk in a random order.
 *
 * Each state is opened by the real daemon, which must start; every
 * referral acknowledged before the crash point must be there exactly once
 * and nothing twice; after every message not acknowledged is resent with
 * its original message id (as libcaselink does) each is there exactly
 * once; the audit chain verifies and the daemon stops cleanly.
 *
 * A control state drops a commit that had completed and been
 * acknowledged: the same check must find the loss, so the check cannot
 * pass by seeing nothing.
 *
 *   CL_POWERLOSS_STATES  how many states (default 30: a few dozen in CI)
 *   CL_POWERLOSS_SEED    the seed (printed, so a failing state repeats)
 *
 * The long run (README, "What survives a power cut"):
 *   CL_POWERLOSS_STATES=1000 build/tests/test_powerloss
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "crashlog.h"
#include "harness.h"

#define AGENCIES  2
#define PER       120 /* messages per agency while recording */
#define WINDOW    6   /* in flight per agency */
#define PIECE     4096
#define MAX_FILES 16

static const char *const s_agency[AGENCIES] = {"gp", "police"};
static const char *const s_nhs[AGENCIES] = {"9434765919", "4010232137"};

typedef struct s_msg {
    char ref[32];
    uint8_t msgid[CL_MSGID_LEN];
    bool sent;
} s_msg;

static s_msg s_msgs[AGENCIES][PER];
static int s_ack_fd = -1; /* the log, for ack markers */

/* --- the files of one state ----------------------------------------------- */

typedef struct s_file {
    char name[64];
    uint8_t *data;
    size_t len;
} s_file;

typedef struct s_fs {
    s_file f[MAX_FILES];
    size_t n;
} s_fs;

static s_file *s_find(s_fs *fs, const char *name, bool create)
{
    for (size_t i = 0; i < fs->n; i++)
        if (!strcmp(fs->f[i].name, name))
            return &fs->f[i];
    if (!create)
        return NULL;
    assert_true(fs->n < MAX_FILES);
    s_file *f = &fs->f[fs->n++];
    memset(f, 0, sizeof(*f));
    assert_true(strlen(name) < sizeof(f->name));
    strcpy(f->name, name);
    return f;
}

static void s_drop(s_fs *fs, const char *name)
{
    s_file *f = s_find(fs, name, false);
    if (!f)
        return;
    free(f->data);
    *f = fs->f[--fs->n];
}

static void s_fs_free(s_fs *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        free(fs->f[i].data);
    fs->n = 0;
}

static void s_fs_copy(s_fs *to, const s_fs *from)
{
    to->n = from->n;
    for (size_t i = 0; i < from->n; i++) {
        to->f[i] = from->f[i];
        to->f[i].data = malloc(from->f[i].len + 1);
        memcpy(to->f[i].data, from->f[i].data, from->f[i].len);
    }
}

static void s_put(s_file *f, uint64_t off, const uint8_t *d, size_t len)
{
    if (off + len > f->len) {
        f->data = realloc(f->data, (size_t)(off + len));
        memset(f->data + f->len, 0, (size_t)(off + len - f->len));
        f->len = (size_t)(off + len);
    }
    memcpy(f->data + off, d, len);
}

static void s_truncate(s_file *f, uint64_t len)
{
    if (len > f->len) {
        f->data = realloc(f->data, (size_t)len);
        memset(f->data + f->len, 0, (size_t)(len - f->len));
    }
    f->len = (size_t)len;
}

/* The state folder's files now (lock.mdb left out). */
static void s_fs_read(s_fs *fs, const char *dir)
{
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *e;
    while ((e = readdir(dp))) {
        char path[800];
        struct stat st;
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "lock.mdb"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        assert_int_equal(stat(path, &st), 0);
        if (!S_ISREG(st.st_mode))
            continue;
        s_file *f = s_find(fs, e->d_name, true);
        f->len = (size_t)st.st_size;
        f->data = malloc(f->len + 1);
        FILE *in = fopen(path, "rb");
        assert_non_null(in);
        assert_int_equal(fread(f->data, 1, f->len, in), f->len);
        fclose(in);
    }
    closedir(dp);
}

/* Replace the folder's files with fs's: a file both have is rewritten in
 * place (a power cut leaves a file's inode as it was; data.sync names
 * data.mdb's), the others removed. */
static void s_fs_write(const s_fs *fs, const char *dir)
{
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *e;
    while ((e = readdir(dp))) {
        char path[800];
        if (e->d_name[0] == '.' || s_find((s_fs *)fs, e->d_name, false) != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dp);
    for (size_t i = 0; i < fs->n; i++) {
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, fs->f[i].name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        size_t done = 0;
        while (done < fs->f[i].len) {
            ssize_t w = write(fd, fs->f[i].data + done, fs->f[i].len - done);
            assert_true(w > 0);
            done += (size_t)w;
        }
        close(fd);
    }
}

/* --- the log -------------------------------------------------------------- */

typedef struct s_ev {
    uint32_t op;
    char name[64];
    uint64_t off;
    const uint8_t *data;
    size_t len;
} s_ev;

typedef struct s_log {
    uint8_t *buf;
    s_ev *ev;
    size_t n;
} s_log;

static void s_log_read(s_log *lg, const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    lg->buf = malloc((size_t)size + 1);
    assert_int_equal(fread(lg->buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    size_t cap = 1024;
    lg->ev = malloc(cap * sizeof(s_ev));
    lg->n = 0;
    for (size_t at = 0; at < (size_t)size;) {
        cl_crashlog_event h;
        assert_true(at + sizeof(h) <= (size_t)size);
        memcpy(&h, lg->buf + at, sizeof(h));
        assert_int_equal(h.magic, CL_CRASHLOG_MAGIC);
        assert_true(h.name_len < 64);
        assert_true(at + sizeof(h) + h.name_len + h.len <= (size_t)size);
        if (lg->n == cap)
            lg->ev = realloc(lg->ev, (cap *= 2) * sizeof(s_ev));
        s_ev *e = &lg->ev[lg->n++];
        e->op = h.op;
        memcpy(e->name, lg->buf + at + sizeof(h), h.name_len);
        e->name[h.name_len] = '\0';
        e->off = h.off;
        e->data = lg->buf + at + sizeof(h) + h.name_len;
        e->len = (size_t)h.len;
        at += sizeof(h) + h.name_len + (size_t)h.len;
    }
}

/* --- materialising one state ---------------------------------------------- */

/* S_META (the unsynced-commit states only): of the unsynced writes, only
 * data.mdb's meta pages reached the disk, none of the pages they name. */
enum { S_LOST, S_SOME, S_REORDER, S_MODES, S_META = S_MODES };
static const char *const s_mode_name[S_MODES + 1] = {"lost", "some", "reorder",
                                                     "meta"};

/* One unsynced change that may or may not have reached the disk: a piece
 * of a write, a truncate, a rename or an unlink. */
typedef struct s_change {
    const s_ev *e;
    uint64_t off; /* a write's piece */
    size_t len;
} s_change;

static uint64_t s_rng;

static uint32_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 11);
}

static void s_apply(s_fs *fs, const s_change *c)
{
    const s_ev *e = c->e;
    switch (e->op) {
    case CL_CRASHLOG_WRITE:
        s_put(s_find(fs, e->name, true), c->off, e->data + (c->off - e->off),
              c->len);
        break;
    case CL_CRASHLOG_TRUNCATE:
        s_truncate(s_find(fs, e->name, true), e->off);
        break;
    case CL_CRASHLOG_RENAME: {
        char to[64];
        assert_true(e->len < sizeof(to));
        memcpy(to, e->data, e->len);
        to[e->len] = '\0';
        s_file *from = s_find(fs, e->name, false);
        s_drop(fs, to);
        if (from)
            strcpy(from->name, to);
        else
            s_find(fs, to, true); /* its data never synced: empty */
        break;
    }
    case CL_CRASHLOG_UNLINK:
        s_drop(fs, e->name);
        break;
    }
}

/*
 * The files as a power cut at log position k would leave them, starting
 * from base (the folder when recording began), into out. Also returns,
 * through acked, which messages were acknowledged before k.
 */
static void s_materialise(const s_log *lg, size_t k, int mode, const s_fs *base,
                          s_fs *out)
{
    s_fs_copy(out, base);
    size_t cap = 4096, n = 0;
    s_change *pend = malloc(cap * sizeof(*pend));
    for (size_t i = 0; i < k; i++) {
        const s_ev *e = &lg->ev[i];
        switch (e->op) {
        case CL_CRASHLOG_WRITE:
        case CL_CRASHLOG_TRUNCATE:
        case CL_CRASHLOG_RENAME:
        case CL_CRASHLOG_UNLINK:
            if (n == cap)
                pend = realloc(pend, (cap *= 2) * sizeof(*pend));
            pend[n++] = (s_change){e, e->off, e->len};
            break;
        case CL_CRASHLOG_SYNC:
        case CL_CRASHLOG_SNAPSHOT: {
            /* the file's own writes and truncates are on the disk now */
            size_t keep = 0;
            for (size_t j = 0; j < n; j++) {
                bool mine = (pend[j].e->op == CL_CRASHLOG_WRITE ||
                             pend[j].e->op == CL_CRASHLOG_TRUNCATE) &&
                            !strcmp(pend[j].e->name, e->name);
                if (mine && e->op == CL_CRASHLOG_SYNC)
                    s_apply(out, &pend[j]);
                if (!mine)
                    pend[keep++] = pend[j];
            }
            n = keep;
            if (e->op == CL_CRASHLOG_SNAPSHOT) {
                s_file *f = s_find(out, e->name, true);
                f->len = 0;
                s_put(f, 0, e->data, e->len);
                f->len = e->len;
            }
            break;
        }
        case CL_CRASHLOG_DIRSYNC: {
            /* renames and unlinks are on the disk now */
            size_t keep = 0;
            for (size_t j = 0; j < n; j++) {
                bool dirop = pend[j].e->op == CL_CRASHLOG_RENAME ||
                             pend[j].e->op == CL_CRASHLOG_UNLINK;
                if (dirop)
                    s_apply(out, &pend[j]);
                else
                    pend[keep++] = pend[j];
            }
            n = keep;
            break;
        }
        case CL_CRASHLOG_MSYNC:
            fail_msg("the daemon did something the log cannot model: %s",
                     e->name[0] ? e->name : "msync (a shared writable map)");
        }
    }
    if (mode != S_LOST) {
        /* cut unsynced writes into pieces on 4 KiB boundaries */
        size_t m = 0, mcap = n * 2 + 16;
        s_change *pieces = malloc(mcap * sizeof(*pieces));
        for (size_t j = 0; j < n; j++) {
            const s_change *c = &pend[j];
            if (c->e->op != CL_CRASHLOG_WRITE) {
                if (m == mcap)
                    pieces = realloc(pieces, (mcap *= 2) * sizeof(*pieces));
                pieces[m++] = *c;
                continue;
            }
            for (uint64_t at = c->off; at < c->off + c->len;) {
                uint64_t end = (at / PIECE + 1) * PIECE;
                if (end > c->off + c->len)
                    end = c->off + c->len;
                if (m == mcap)
                    pieces = realloc(pieces, (mcap *= 2) * sizeof(*pieces));
                pieces[m++] = (s_change){c->e, at, (size_t)(end - at)};
                at = end;
            }
        }
        size_t kept = 0;
        for (size_t j = 0; j < m; j++)
            if (mode == S_META ? pieces[j].e->op == CL_CRASHLOG_WRITE &&
                                     !strcmp(pieces[j].e->name, "data.mdb") &&
                                     pieces[j].off < 2 * PIECE
                               : s_rand() & 1)
                pieces[kept++] = pieces[j];
        if (mode == S_REORDER)
            for (size_t j = kept; j > 1; j--) {
                size_t r = s_rand() % j;
                s_change tmp = pieces[j - 1];
                pieces[j - 1] = pieces[r];
                pieces[r] = tmp;
            }
        for (size_t j = 0; j < kept; j++)
            s_apply(out, &pieces[j]);
        free(pieces);
    }
    free(pend);
}

/* Which messages had been acknowledged before log position k. */
static void s_acked_before(const s_log *lg, size_t k, bool acked[AGENCIES][PER])
{
    memset(acked, 0, sizeof(bool) * AGENCIES * PER);
    for (size_t i = 0; i < k; i++) {
        const s_ev *e = &lg->ev[i];
        if (e->op != CL_CRASHLOG_ACK)
            continue;
        int a, j;
        assert_int_equal(e->len, sizeof(int) * 2);
        memcpy(&a, e->data, sizeof(a));
        memcpy(&j, e->data + sizeof(a), sizeof(j));
        assert_true(a >= 0 && a < AGENCIES && j >= 0 && j < PER);
        acked[a][j] = true;
    }
}

/* --- recording ------------------------------------------------------------ */

static cl_request *s_build(int a, const char *ref)
{
    return th_referral(ref, "Power", "Cut", "1970-01-01", s_nhs[a]);
}

static void s_mark_ack(int a, int j)
{
    cl_crashlog_event h = {.magic = CL_CRASHLOG_MAGIC,
                           .op = CL_CRASHLOG_ACK,
                           .len = sizeof(int) * 2};
    struct iovec v[3] = {{&h, sizeof(h)}, {&a, sizeof(a)}, {&j, sizeof(j)}};
    assert_int_equal(writev(s_ack_fd, v, 3),
                     (ssize_t)(sizeof(h) + sizeof(int) * 2));
}

typedef struct s_feed {
    const th_daemon *d;
    int a;
} s_feed;

static void *s_ingest(void *arg)
{
    s_feed *f = arg;
    cl_client *c = th_client(f->d, s_agency[f->a]);
    int next = 0, inflight = 0;
    while (next < PER || inflight > 0) {
        while (inflight < WINDOW && next < PER) {
            s_msg *m = &s_msgs[f->a][next];
            snprintf(m->ref, sizeof(m->ref), "%s-pl-%d", s_agency[f->a], next);
            cl_request *q = s_build(f->a, m->ref);
            if (cl_client_send(c, q) != CL_OK) {
                free(q);
                goto out;
            }
            memcpy(m->msgid, q->msgid, CL_MSGID_LEN);
            m->sent = true;
            free(q);
            next++;
            inflight++;
        }
        cl_reply rep;
        if (cl_client_recv(c, &rep, 5000) != CL_OK)
            break;
        for (int j = 0; j < next; j++)
            if (!memcmp(s_msgs[f->a][j].msgid, rep.msgid, CL_MSGID_LEN)) {
                if (rep.status == CL_STATUS_OK)
                    s_mark_ack(f->a, j);
                break;
            }
        cl_reply_clear(&rep);
        inflight--;
    }
out:
    cl_client_close(&c);
    return NULL;
}

/* --- checking one state --------------------------------------------------- */

/* How often each message's referral is on its person's case view, and how
 * many referrals the view holds in all. */
static void s_count(const th_daemon *d, int seen[AGENCIES][PER],
                    size_t total[AGENCIES])
{
    cl_client *co = th_client(d, "coordinator");
    for (int a = 0; a < AGENCIES; a++) {
        cl_reply rep;
        memset(seen[a], 0, sizeof(int) * PER);
        total[a] = 0;
        int st = th_view_nhs(co, s_nhs[a], &rep);
        if (st == CL_STATUS_OK) {
            cl_person_view *v = &rep.u.person;
            total[a] = v->n_referrals;
            for (size_t r = 0; r < v->n_referrals; r++)
                for (int j = 0; j < PER; j++)
                    if (!strcmp(v->referrals[r].agency_ref, s_msgs[a][j].ref))
                        seen[a][j]++;
        }
        cl_reply_clear(&rep);
    }
    cl_client_close(&co);
}

/* Open a materialised state with the real daemon and count what is wrong
 * with it (0: nothing). Resends the unacknowledged when resend is set. */
static int s_check(th_daemon *d, bool acked[AGENCIES][PER], bool resend,
                   char *why, size_t why_len)
{
    static int seen[AGENCIES][PER];
    size_t total[AGENCIES];
    int bad = 0;
    why[0] = '\0';
    th_start(d, NULL);
    s_count(d, seen, total);
    for (int a = 0; a < AGENCIES; a++) {
        size_t sum = 0;
        for (int j = 0; j < PER; j++) {
            sum += (size_t)seen[a][j];
            if ((acked[a][j] && seen[a][j] != 1) || seen[a][j] > 1) {
                if (!bad++)
                    snprintf(why, why_len, "%s (acked %d) seen %d times",
                             s_msgs[a][j].ref, acked[a][j], seen[a][j]);
            }
        }
        if (sum != total[a] && !bad++)
            snprintf(why, why_len, "%zu referrals on %s's view, %zu known",
                     total[a], s_agency[a], sum);
    }
    if (resend && !bad) {
        for (int a = 0; a < AGENCIES; a++) {
            cl_client *c = th_client(d, s_agency[a]);
            for (int j = 0; j < PER; j++) {
                if (acked[a][j] || !s_msgs[a][j].sent)
                    continue;
                cl_request *q = s_build(a, s_msgs[a][j].ref);
                memcpy(q->msgid, s_msgs[a][j].msgid, CL_MSGID_LEN);
                cl_reply rep;
                assert_int_equal(cl_client_call(c, q, &rep), CL_OK);
                if (rep.status != CL_STATUS_OK &&
                    rep.status != CL_STATUS_DUPLICATE && !bad++)
                    snprintf(why, why_len, "resend of %s: status %d",
                             s_msgs[a][j].ref, rep.status);
                cl_reply_clear(&rep);
                free(q);
            }
            cl_client_close(&c);
        }
        s_count(d, seen, total);
        for (int a = 0; a < AGENCIES; a++) {
            for (int j = 0; j < PER; j++)
                if (s_msgs[a][j].sent && seen[a][j] != 1 && !bad++)
                    snprintf(why, why_len, "%s seen %d times after resend",
                             s_msgs[a][j].ref, seen[a][j]);
            if (total[a] != (size_t)PER && !bad++)
                snprintf(why, why_len,
                         "%zu referrals on %s's view after "
                         "resend, %d sent",
                         total[a], s_agency[a], PER);
        }
    }
    cl_client *au = th_client(d, "auditor");
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_AUDIT_VERIFY;
    assert_int_equal(cl_client_call(au, &req, &rep), CL_OK);
    if ((rep.status != CL_STATUS_OK || !rep.u.verify.intact) && !bad++)
        snprintf(why, why_len, "audit chain does not verify");
    cl_reply_clear(&rep);
    cl_client_close(&au);
    int rc = th_stop(d, SIGTERM);
    if (rc != 0 && !bad++)
        snprintf(why, why_len, "daemon exited with %d", rc);
    return bad;
}

/* Run the daemon under the recorder while two agencies ingest; the log
 * ends up at logp. */
static void s_record(th_daemon *d, const char *sdir, const char *logp)
{
    /* record an ingest */
    s_ack_fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    assert_true(s_ack_fd >= 0);
    setenv("LD_PRELOAD", CL_CRASHREC_SO, 1);
    setenv("CL_CRASHREC_DIR", sdir, 1);
    setenv("CL_CRASHREC_LOG", logp, 1);
    /* an ASan build: the recorder is not instrumented and comes first
     * (added to whatever options the test preset set) */
    const char *was = getenv("ASAN_OPTIONS");
    char *saved = was ? strdup(was) : NULL, opts[512];
    snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0",
             saved ? saved : "", saved && saved[0] ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    th_start(d, NULL);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
    unsetenv("LD_PRELOAD");
    unsetenv("CL_CRASHREC_DIR");
    unsetenv("CL_CRASHREC_LOG");
    pthread_t th[AGENCIES];
    s_feed feeds[AGENCIES];
    for (int a = 0; a < AGENCIES; a++) {
        feeds[a] = (s_feed){d, a};
        pthread_create(&th[a], NULL, s_ingest, &feeds[a]);
    }
    for (int a = 0; a < AGENCIES; a++)
        pthread_join(th[a], NULL);
    assert_int_equal(th_stop(d, SIGKILL), 128 + SIGKILL);
    close(s_ack_fd);
}

/* --- states inside an unsynced LMDB commit --------------------------------
 *
 * With the log on, LMDB commits with MDB_NOSYNC and data.mdb is synced
 * behind the writer (store/mdbsync.c): from a commit's first write to
 * data.mdb until the sync that follows, its pages and meta page may reach
 * the disk in any part and order. The windows are found in the log; the
 * daemon must fall back to the snapshot before (data.sync) and replay the
 * log's two files.
 */

typedef struct s_window {
    size_t first; /* the commit's first write to data.mdb */
    size_t sync;  /* the sync of data.mdb that ends it */
} s_window;

static size_t s_windows(const s_log *lg, s_window *w, size_t cap)
{
    size_t n = 0, open = SIZE_MAX;
    for (size_t i = 0; i < lg->n && n < cap; i++) {
        const s_ev *e = &lg->ev[i];
        if (strcmp(e->name, "data.mdb"))
            continue;
        if (e->op == CL_CRASHLOG_WRITE && open == SIZE_MAX)
            open = i;
        if (e->op == CL_CRASHLOG_SYNC && open != SIZE_MAX) {
            w[n++] = (s_window){open, i};
            open = SIZE_MAX;
        }
    }
    return n;
}

/* Check a materialised state in a child process, with the daemon started
 * there under env (NAME=VALUE or NULL): 0 if every check holds, else
 * nonzero (the harness aborts the child when the daemon cannot start). */
static int s_check_child(th_daemon *d, bool acked[AGENCIES][PER],
                         const char *env, char *why, size_t why_len)
{
    fflush(NULL);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) { /* no cmocka here: a failure exits, a crash aborts */
        static int seen[AGENCIES][PER];
        size_t total[AGENCIES];
        int bad = 0;
        if (env)
            putenv((char *)env);
        th_start(d, NULL);
        s_count(d, seen, total);
        for (int a = 0; a < AGENCIES; a++)
            for (int j = 0; j < PER; j++)
                bad += (acked[a][j] && seen[a][j] != 1) || seen[a][j] > 1;
        cl_client *au = th_client(d, "auditor");
        cl_request req;
        cl_reply rep;
        memset(&req, 0, sizeof(req));
        req.kind = CL_REQ_AUDIT_VERIFY;
        bad += cl_client_call(au, &req, &rep) != CL_OK ||
               rep.status != CL_STATUS_OK || !rep.u.verify.intact;
        _exit(bad ? 1 : 0); /* the pid file's daemon is killed below */
    }
    int st = 0;
    waitpid(p, &st, 0);
    /* a daemon the child left answering nothing: its pid file */
    char pidp[600];
    snprintf(pidp, sizeof(pidp), "%s/state/caselinkd.pid", d->dir);
    FILE *f = fopen(pidp, "r");
    long pid = 0;
    if (f && fscanf(f, "%ld", &pid) == 1 && pid > 0 && kill((pid_t)pid, 0) == 0)
        kill((pid_t)pid, SIGKILL);
    if (f)
        fclose(f);
    for (int i = 0; pid > 0 && i < 200 && kill((pid_t)pid, 0) == 0; i++) {
        char sp[64], line[256] = "";
        snprintf(sp, sizeof(sp), "/proc/%ld/stat", pid);
        FILE *ps = fopen(sp, "r");
        bool zombie =
            ps && fgets(line, sizeof(line), ps) && strstr(line, ") Z");
        if (ps)
            fclose(ps);
        if (zombie)
            break; /* gone but for its parent's wait */
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    snprintf(why, why_len, "%s",
             WIFEXITED(st) && WEXITSTATUS(st) == 1
                 ? "a check failed"
                 : "the daemon did not start");
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* n states cut inside unsynced commits, each mode in turn (lost, some,
 * reorder at a random point of the window; meta at its end), opened by
 * the daemon; then the control: meta-only states without the fallback
 * (CASELINKD_TEST_NO_META_FALLBACK) must fail. */
static void s_unsynced_states(const s_log *lg, const s_fs *base, th_daemon *d,
                              const char *sdir, int n)
{
    static s_window w[4096];
    static bool acked[AGENCIES][PER];
    size_t nw = s_windows(lg, w, sizeof(w) / sizeof(w[0]));
    char why[256];
    s_fs fs = {0};
    printf("%zu LMDB commits synced behind the writer in the recording\n", nw);
    assert_true(nw >= 3);
    int per_mode[S_MODES + 1] = {0};
    for (int s = 0; s < n; s++) {
        int mode = s % (S_MODES + 1);
        const s_window *x = &w[s_rand() % nw];
        size_t span = x->sync - x->first; /* events after its first write */
        size_t k = mode == S_META ? x->sync : x->first + 1 + s_rand() % span;
        s_materialise(lg, k, mode, base, &fs);
        s_acked_before(lg, k, acked);
        s_fs_write(&fs, sdir);
        s_fs_free(&fs);
        int bad = s_check(d, acked, true, why, sizeof(why));
        if (bad)
            fail_msg("unsynced-commit state %d (%s, at event %zu, commit "
                     "written from %zu, synced at %zu): %d problems, first: %s",
                     s, s_mode_name[mode], k, x->first, x->sync, bad, why);
        per_mode[mode]++;
    }
    printf("%d states inside an unsynced LMDB commit (%d lost, %d some, %d "
           "reorder, %d meta page without its pages): every acknowledged "
           "referral present exactly once, audit chain intact\n",
           n, per_mode[S_LOST], per_mode[S_SOME], per_mode[S_REORDER],
           per_mode[S_META]);
    /* the control: the same meta-only states, the fallback skipped */
    int failed = 0, tried = 0;
    for (size_t i = nw; i-- > 0 && tried < 6 && !failed; tried++) {
        s_materialise(lg, w[i].sync, S_META, base, &fs);
        s_acked_before(lg, w[i].sync, acked);
        s_fs_write(&fs, sdir);
        s_fs_free(&fs);
        failed += s_check_child(d, acked, "CASELINKD_TEST_NO_META_FALLBACK=1",
                                why, sizeof(why));
        if (failed) { /* and the same state with it passes */
            s_materialise(lg, w[i].sync, S_META, base, &fs);
            s_fs_write(&fs, sdir);
            s_fs_free(&fs);
            char why2[256];
            int bad = s_check(d, acked, true, why2, sizeof(why2));
            if (bad)
                fail_msg("the control's state with the fallback: %s", why2);
        }
    }
    printf("control (meta page without its pages, no fallback): %d of %d "
           "states fail (%s)\n",
           failed, tried, failed ? why : "none");
    assert_true(failed > 0);
}

/* The power-cut states of one recorded ingest on a fresh store whose
 * configuration adds conf; the control drops the last completed sync of
 * file `durable` (where an acknowledged batch is made durable) before the
 * last acknowledgement. */
static void s_power_cut(const char *conf, const char *durable, bool unsynced)
{
    int states = getenv("CL_POWERLOSS_STATES")
                     ? atoi(getenv("CL_POWERLOSS_STATES"))
                     : 30;
    s_rng = getenv("CL_POWERLOSS_SEED")
                ? strtoull(getenv("CL_POWERLOSS_SEED"), NULL, 10)
                : (uint64_t)time(NULL);
    if (!s_rng)
        s_rng = 1;
    printf("seed %llu (CL_POWERLOSS_SEED repeats this run)\n",
           (unsigned long long)s_rng);
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, conf); /* keys, registry, a fresh store */
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    char sdir[400], logp[400];
    snprintf(sdir, sizeof(sdir), "%s/state", d.dir);
    snprintf(logp, sizeof(logp), "%s/crash.log", d.dir);
    s_fs base = {0};
    s_fs_read(&base, sdir);

    s_record(&d, sdir, logp);

    s_log lg;
    s_log_read(&lg, logp);
    size_t writes = 0, syncs = 0, acks = 0, other = 0;
    for (size_t i = 0; i < lg.n; i++) {
        writes += lg.ev[i].op == CL_CRASHLOG_WRITE;
        syncs += lg.ev[i].op == CL_CRASHLOG_SYNC;
        acks += lg.ev[i].op == CL_CRASHLOG_ACK;
        other += lg.ev[i].op != CL_CRASHLOG_WRITE &&
                 lg.ev[i].op != CL_CRASHLOG_SYNC &&
                 lg.ev[i].op != CL_CRASHLOG_ACK;
    }
    printf("recorded %zu events: %zu writes, %zu syncs, %zu acks, %zu "
           "snapshots, renames and folder syncs\n",
           lg.n, writes, syncs, acks, other);
    if (getenv("CL_POWERLOSS_DUMP"))
        for (size_t i = 0; i < lg.n; i++)
            if (lg.ev[i].op != CL_CRASHLOG_ACK)
                printf("  %zu %c %s off %llu len %zu\n", i, (char)lg.ev[i].op,
                       lg.ev[i].name, (unsigned long long)lg.ev[i].off,
                       lg.ev[i].len);
    assert_true(syncs > 10 && acks > (size_t)PER);

    /* the control: drop the last commit that completed before the last
     * acknowledgement, keep every acknowledgement: must be caught */
    size_t last_ack = 0, cut = 0;
    for (size_t i = 0; i < lg.n; i++)
        if (lg.ev[i].op == CL_CRASHLOG_ACK)
            last_ack = i;
    for (size_t i = 0; i < last_ack; i++)
        if (lg.ev[i].op == CL_CRASHLOG_SYNC && !strcmp(lg.ev[i].name, durable))
            cut = i;
    static bool acked[AGENCIES][PER];
    char why[256];
    s_fs fs = {0};
    s_materialise(&lg, cut, S_LOST, &base, &fs);
    s_acked_before(&lg, lg.n, acked);
    s_fs_write(&fs, sdir);
    s_fs_free(&fs);
    int control = s_check(&d, acked, false, why, sizeof(why));
    printf("control (a completed, acknowledged commit dropped): %d "
           "problems found, first: %s\n",
           control, why);
    assert_true(control > 0);

    int per_mode[S_MODES] = {0};
    size_t acked_total = 0;
    for (int s = 0; s < states; s++) {
        int mode = s % S_MODES;
        /* the end of the log counts once: after the last event */
        size_t k = s == 0 ? lg.n : 1 + s_rand() % lg.n;
        s_materialise(&lg, k, mode, &base, &fs);
        s_acked_before(&lg, k, acked);
        for (int a = 0; a < AGENCIES; a++)
            for (int j = 0; j < PER; j++)
                acked_total += acked[a][j];
        s_fs_write(&fs, sdir);
        s_fs_free(&fs);
        int bad = s_check(&d, acked, true, why, sizeof(why));
        if (bad)
            fail_msg("state %d (%s, at event %zu of %zu): %d problems, "
                     "first: %s",
                     s, s_mode_name[mode], k, lg.n, bad, why);
        per_mode[mode]++;
    }
    printf("%d power-cut states (%d lost, %d some, %d reorder) opened by the "
           "daemon: every acknowledged referral present exactly once "
           "(%zu checks), every resent one once, audit chain intact\n",
           states, per_mode[S_LOST], per_mode[S_SOME], per_mode[S_REORDER],
           acked_total);
    if (unsynced)
        s_unsynced_states(&lg, &base, &d, sdir,
                          states / 2 > 4 ? states / 2 : 4);
    s_fs_free(&base);
    free(lg.ev);
    free(lg.buf);
    th_sh("rm -rf %s", d.dir);
}

static void test_power_cut_states(void **state)
{
    (void)state;
    s_power_cut("[store]\nlog = off\n", "data.mdb", false); /* LMDB's commits */
}

/* With the sequential log, an acknowledgement follows the log's sync, and
 * LMDB commits later (5 ms after a batch here, so that the states fall
 * between the log's sync and the B-tree's commit, and across commits):
 * what was acknowledged must come back from the log, once. */
static void test_power_cut_states_log(void **state)
{
    (void)state;
    s_power_cut("[store]\nlog = on\nlog_commit_ms = 5\n", "data.wal", true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_cut_states),
        cmocka_unit_test(test_power_cut_states_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
