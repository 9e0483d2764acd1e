/*
 * test_wal: the sequential log's file mechanism (store/wal.c) on real
 * files: records appended and synced are read back in order, whole and
 * exactly; what the B-tree holds already is skipped; a torn or damaged
 * tail, a gap and a stale record left behind a cut all end the log there
 * and are cut off before the next append; a full disk leaves the log as
 * it was. On a real store (hold.c): batches committed through the log
 * and never committed to LMDB (the process dies) are there at the next
 * open, exactly once, and the log is cut; a log read again changes
 * nothing; while a transaction is held no other thread may write; a held
 * transaction whose commit fails is rebuilt from the log. The
 * daemon on top of it: test_crash and test_powerloss with [store] log = on.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "codec.h"
#include "harness.h"
#include "store.h"
#include "wal.h"

#define S_MAX 64

/* Every AEAD open the store makes (store/seal.c) comes here first and is
 * counted, then goes to libsodium's: the executable's definition is the
 * one the store's reference binds to. A value a batch reads from LMDB is
 * one open; one it reads from its cache (store/vcache.c) is none. */
static unsigned long s_opens;

int crypto_aead_xchacha20poly1305_ietf_decrypt(
    unsigned char *m, unsigned long long *mlen_p, unsigned char *nsec,
    const unsigned char *c, unsigned long long clen, const unsigned char *ad,
    unsigned long long adlen, const unsigned char *npub, const unsigned char *k)
{
    typedef int (*s_open_fn)(
        unsigned char *, unsigned long long *, unsigned char *,
        const unsigned char *, unsigned long long, const unsigned char *,
        unsigned long long, const unsigned char *, const unsigned char *);
    static s_open_fn real;
    if (!real)
        *(void **)&real =
            dlsym(RTLD_NEXT, "crypto_aead_xchacha20poly1305_ietf_decrypt");
    s_opens++;
    return real(m, mlen_p, nsec, c, clen, ad, adlen, npub, k);
}

typedef struct s_seen {
    size_t n;
    uint64_t seq[S_MAX];
    char body[S_MAX][64];
    uint64_t fail_at; /* fn fails at this sequence (0: never) */
} s_seen;

static int s_fn(void *ctx, uint64_t seq, const uint8_t *body, size_t len)
{
    s_seen *s = ctx;
    if (seq == s->fail_at)
        return CL_ERR_CORRUPT;
    assert_true(s->n < S_MAX && len < sizeof(s->body[0]));
    s->seq[s->n] = seq;
    memcpy(s->body[s->n], body, len);
    s->body[s->n][len] = '\0';
    s->n++;
    return CL_OK;
}

/* One log under test: its file, the open log, what a replay saw. */
typedef struct s_log {
    char path[300];
    cl_wal *w;
    s_seen seen;
    uint64_t last, tail;
} s_log;

static void s_body(char *out, size_t len, uint64_t seq)
{
    snprintf(out, len, "batch %llu of changes", (unsigned long long)seq);
}

/* A new, empty log in a folder of its own, open. */
static void s_new(s_log *l)
{
    char dir[256];
    memset(l, 0, sizeof(*l));
    th_tmpdir(dir, sizeof(dir));
    snprintf(l->path, sizeof(l->path), "%s/data.wal", dir);
    assert_int_equal(cl_wal_open(&l->w, l->path), CL_OK);
}

/* Append (and sync) records from..to. */
static void s_append(s_log *l, uint64_t from, uint64_t to)
{
    for (uint64_t q = from; q <= to; q++) {
        char b[64];
        s_body(b, sizeof(b), q);
        assert_int_equal(cl_wal_append(l->w, q, (const uint8_t *)b, strlen(b)),
                         CL_OK);
    }
    assert_int_equal(cl_wal_sync(l->w), CL_OK);
}

/* Close the log, open it again and replay it after `after`. */
static void s_reread(s_log *l, uint64_t after)
{
    cl_wal_close(&l->w);
    memset(&l->seen, 0, sizeof(l->seen));
    assert_int_equal(cl_wal_open(&l->w, l->path), CL_OK);
    assert_int_equal(
        cl_wal_replay(l->w, after, s_fn, &l->seen, &l->last, &l->tail), CL_OK);
}

/* The replay saw exactly from..to, in order, with their bodies. */
static void s_expect(const s_log *l, uint64_t from, uint64_t to)
{
    assert_int_equal(l->seen.n, to >= from ? to - from + 1 : 0);
    for (size_t i = 0; i < l->seen.n; i++) {
        char b[64];
        s_body(b, sizeof(b), from + i);
        assert_int_equal(l->seen.seq[i], from + i);
        assert_string_equal(l->seen.body[i], b);
    }
}

static off_t s_size(const s_log *l)
{
    struct stat st;
    assert_int_equal(stat(l->path, &st), 0);
    return st.st_size;
}

/* The file's bytes into buf (at most cap); their count. */
static ssize_t s_slurp(const s_log *l, uint8_t *buf, size_t cap)
{
    int fd = open(l->path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, cap);
    close(fd);
    assert_true(n >= 0 && (size_t)n < cap);
    return n;
}

/* Write buf[from..to) at offset from, the file cut there first if trunc. */
static void s_spill(const s_log *l, const uint8_t *buf, off_t from, off_t to,
                    bool trunc)
{
    int fd = open(l->path, O_WRONLY | (trunc ? O_TRUNC : 0));
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf + from, (size_t)(to - from), from),
                     to - from);
    close(fd);
}

static void test_append_sync_replay(void **state)
{
    (void)state;
    s_log l;
    s_new(&l);
    assert_int_equal(cl_wal_replay(l.w, 0, s_fn, &l.seen, &l.last, &l.tail),
                     CL_OK);
    assert_int_equal(l.last, 0);
    s_append(&l, 1, 5);
    assert_int_equal(cl_wal_records(l.w), 5);
    assert_int_equal(cl_wal_bytes(l.w), (uint64_t)s_size(&l));
    s_reread(&l, 0);
    s_expect(&l, 1, 5);
    assert_int_equal(l.last, 5);
    assert_int_equal(l.tail, 0);
    s_append(&l, 6, 7); /* appends go on after what was read */
    s_reread(&l, 0);
    s_expect(&l, 1, 7);
    s_reread(&l, 4); /* what the B-tree holds is skipped */
    s_expect(&l, 5, 7);
    assert_int_equal(l.last, 7);
    s_reread(&l, 7);
    s_expect(&l, 8, 7);
    assert_int_equal(l.last, 7);
    cl_wal_close(&l.w);
}

/* Cut at every byte of the last record: the others are read, the torn
 * one never is, and it is cut off before the next append. */
static void test_torn_tail(void **state)
{
    (void)state;
    s_log l;
    uint8_t whole[4096];
    s_new(&l);
    s_append(&l, 1, 2);
    off_t two = s_size(&l);
    s_append(&l, 3, 3);
    off_t three = s_size(&l);
    assert_int_equal(s_slurp(&l, whole, sizeof(whole)), three);
    for (off_t cut = two; cut < three; cut++) {
        s_spill(&l, whole, 0, cut, true);
        s_reread(&l, 0);
        s_expect(&l, 1, 2);
        assert_int_equal(l.tail, (uint64_t)(cut - two));
        assert_int_equal(s_size(&l), two); /* cut off */
    }
    s_append(&l, 3, 4); /* after the torn one: read whole */
    s_reread(&l, 0);
    s_expect(&l, 1, 4);
    cl_wal_close(&l.w);
}

/* One byte changed anywhere in a record ends the log before it. */
static void test_damaged_record(void **state)
{
    (void)state;
    s_log l;
    uint8_t whole[4096];
    s_new(&l);
    s_append(&l, 1, 1);
    off_t one = s_size(&l);
    s_append(&l, 2, 3);
    off_t two = one + (s_size(&l) - one) / 2; /* records are alike */
    ssize_t len = s_slurp(&l, whole, sizeof(whole));
    for (off_t at = one; at < two; at++) {
        whole[at] ^= 0x20;
        s_spill(&l, whole, 0, len, false);
        whole[at] ^= 0x20;
        s_reread(&l, 0);
        s_expect(&l, 1, 1);
        assert_int_equal(l.last, 1);
        s_spill(&l, whole, 0, len, false); /* back as it was */
    }
    s_reread(&l, 0);
    s_expect(&l, 1, 3);
    cl_wal_close(&l.w);
}

/* A gap or a record from before a cut (a truncation the disk lost) ends
 * the log: only what follows on is applied. */
static void test_gap_and_stale(void **state)
{
    (void)state;
    s_log l;
    uint8_t old[4096];
    s_new(&l);
    s_append(&l, 1, 2);
    s_append(&l, 4, 4);
    s_reread(&l, 0);
    s_expect(&l, 1, 2);
    assert_true(l.tail > 0);
    cl_wal_close(&l.w);

    /* records 1..5, then a cut whose truncation never reached the disk
     * while record 6 did, over the start of the old ones */
    s_new(&l);
    s_append(&l, 1, 5);
    ssize_t len = s_slurp(&l, old, sizeof(old));
    assert_int_equal(cl_wal_cut(l.w), CL_OK);
    assert_int_equal(s_size(&l), 0);
    s_append(&l, 6, 6);
    s_spill(&l, old, s_size(&l), len, false);
    s_reread(&l, 5);
    s_expect(&l, 6, 6);
    assert_int_equal(l.last, 6);
    cl_wal_close(&l.w);

    /* the whole old run before it is skipped, the next one read */
    s_new(&l);
    s_append(&l, 1, 6);
    s_reread(&l, 5);
    s_expect(&l, 6, 6);
    cl_wal_close(&l.w);
}

/* Rewound, the log keeps its file: nothing in it is read again, even
 * from sequence 0; the next records overwrite the old ones from the start
 * without the file growing, and a replay reads them and none of the
 * stale ones after them. */
static void test_rewind(void **state)
{
    (void)state;
    s_log l;
    s_new(&l);
    s_append(&l, 11, 15);
    off_t five = s_size(&l);
    assert_int_equal(cl_wal_rewind(l.w), CL_OK);
    assert_int_equal(cl_wal_bytes(l.w), 0);
    assert_int_equal(cl_wal_records(l.w), 0);
    assert_int_equal(s_size(&l), five);
    s_append(&l, 16, 17); /* over 11 and 12 */
    assert_int_equal(cl_wal_bytes(l.w), (uint64_t)(five * 2 / 5));
    assert_int_equal(s_size(&l), five); /* no block added */
    s_reread(&l, 15);
    s_expect(&l, 16, 17);
    assert_int_equal(l.last, 17);
    assert_int_equal(l.tail, (uint64_t)(five * 3 / 5)); /* 13..15: stale */
    cl_wal_close(&l.w);

    /* rewound with nothing after: no replay reads the old records */
    s_new(&l);
    s_append(&l, 1, 3);
    assert_int_equal(cl_wal_rewind(l.w), CL_OK);
    s_reread(&l, 0);
    s_expect(&l, 1, 0);
    assert_int_equal(l.last, 0);
    assert_int_equal(s_size(&l), 0);             /* cut off at open */
    assert_int_equal(cl_wal_rewind(l.w), CL_OK); /* empty: nothing to do */
    s_append(&l, 1, 1);
    s_reread(&l, 0);
    s_expect(&l, 1, 1);
    cl_wal_close(&l.w);
}

/* The applier's refusal stops the replay and is returned. */
static void test_apply_fails(void **state)
{
    (void)state;
    s_log l;
    s_new(&l);
    s_append(&l, 1, 3);
    cl_wal_close(&l.w);
    assert_int_equal(cl_wal_open(&l.w, l.path), CL_OK);
    l.seen.fail_at = 2;
    assert_int_equal(cl_wal_replay(l.w, 0, s_fn, &l.seen, &l.last, &l.tail),
                     CL_ERR_CORRUPT);
    assert_int_equal(l.seen.n, 1);
    assert_int_equal(l.last, 1);
    cl_wal_close(&l.w);
}

/* A full disk refuses the append (BUSY); what could not be cut back
 * leaves the log broken rather than followed by a torn record. */
static void test_disk_full(void **state)
{
    (void)state;
    cl_wal *w = NULL;
    if (access("/dev/full", W_OK) != 0)
        skip();
    assert_int_equal(cl_wal_open(&w, "/dev/full"), CL_OK);
    assert_int_equal(cl_wal_append(w, 1, (const uint8_t *)"x", 1),
                     CL_ERR_NOSPACE);
    assert_int_equal(cl_wal_records(w), 0);
    assert_int_equal(cl_wal_bytes(w), 0);
    /* /dev/full cannot be truncated: broken, every later append refused */
    assert_int_equal(cl_wal_append(w, 1, (const uint8_t *)"x", 1), CL_ERR_IO);
    assert_int_equal(cl_wal_sync(w), CL_ERR_IO);
    cl_wal_close(&w);
}

/* --- the store on the log (hold.c) ---------------------------------------- */

static const uint8_t s_mk[CL_MASTER_KEY_LEN] = {9, 9, 9};
/* room enough for the log to be used (hold.c: not near a full map) */
#define S_MAP (64u << 20)

static void s_put_person(cl_store *s, uint64_t id)
{
    cl_txn *t = NULL;
    uint8_t key[8];
    char v[32];
    cl_be64_put(key, id);
    snprintf(v, sizeof(v), "person %llu", (unsigned long long)id);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(
        cl_store_put(t, CL_DB_PERSON, key, 8, (const uint8_t *)v, strlen(v)),
        CL_OK);
    assert_int_equal(cl_store_commit(&t), CL_OK);
}

/* People 1..n are there, with their values; n + 1 is not. */
static void s_people(cl_store *s, uint64_t n)
{
    cl_txn *t = NULL;
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    for (uint64_t id = 1; id <= n + 1; id++) {
        uint8_t key[8], v[64];
        char want[32];
        size_t len = 0;
        cl_be64_put(key, id);
        snprintf(want, sizeof(want), "person %llu", (unsigned long long)id);
        int rc = cl_store_get(t, CL_DB_PERSON, key, 8, v, sizeof(v), &len);
        if (id > n) {
            assert_int_equal(rc, CL_ERR_NOT_FOUND);
            break;
        }
        assert_int_equal(rc, CL_OK);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(v, want, len);
    }
    cl_store_abort(&t);
}

static void s_digest(cl_store *s, uint8_t d[CL_STORE_DIGEST_LEN])
{
    cl_txn *t = NULL;
    assert_int_equal(cl_store_begin(&t, s, NULL, false), CL_OK);
    assert_int_equal(cl_store_digest(t, d), CL_OK);
    cl_store_abort(&t);
}

static void *s_other_writer(void *arg)
{
    cl_txn *t = NULL;
    intptr_t rc = cl_store_begin(&t, arg, NULL, true);
    cl_store_abort(&t);
    return (void *)rc;
}

static int s_other(cl_store *s)
{
    pthread_t th;
    void *rc;
    assert_int_equal(pthread_create(&th, NULL, s_other_writer, s), 0);
    pthread_join(th, &rc);
    return (int)(intptr_t)rc;
}

/* The records a replay of the log at path reads from sequence 0, on a
 * copy of it (a replay cuts what it does not read). */
static size_t s_replays(const char *path, const char *copy)
{
    s_log l;
    memset(&l, 0, sizeof(l));
    th_sh("cp %s %s", path, copy);
    snprintf(l.path, sizeof(l.path), "%s", copy);
    s_reread(&l, 0);
    cl_wal_close(&l.w);
    return l.seen.n;
}

/* A process writes batches through the log and dies before LMDB commits
 * them: the next open has every one, once; the log is cut. */
static void test_store_replays_log(void **state)
{
    (void)state;
    char dir[256], wal[300], copy[300];
    th_tmpdir(dir, sizeof(dir));
    snprintf(wal, sizeof(wal), "%s/data.wal", dir);
    snprintf(copy, sizeof(copy), "%s/data.wal.copy", dir);
    cl_store *s = NULL;
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    cl_store_close(&s);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (cl_store_open(&s, dir, s_mk, S_MAP) != CL_OK ||
            cl_store_log_start(s, dir, 1u << 30, 600000) != CL_OK)
            _exit(2);
        cl_store_log_own(s);
        for (uint64_t id = 1; id <= 5; id++)
            s_put_person(s, id);
        cl_store_log_stats st;
        cl_store_log_stats_get(s, &st);
        /* held, not committed; nobody else may write meanwhile */
        bool ok = st.batches == 5 && st.commits == 0 && cl_store_log_held(s) &&
                  s_other(s) == CL_ERR_INTERNAL;
        th_sh("cp %s %s", wal, copy);
        _exit(ok ? 0 : 3); /* dies: LMDB never committed them */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat st;
    assert_int_equal(stat(wal, &st), 0);
    assert_true(st.st_size > 0);

    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    cl_store_log_stats ls;
    cl_store_log_stats_get(s, &ls);
    assert_int_equal(ls.replayed, 5);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_size, 0); /* cut: LMDB holds them */
    s_people(s, 5);
    uint8_t d1[CL_STORE_DIGEST_LEN], d2[CL_STORE_DIGEST_LEN];
    s_digest(s, d1);
    cl_store_close(&s);

    /* the same log again: held already, nothing changes */
    th_sh("cp %s %s", copy, wal);
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    cl_store_log_stats_get(s, &ls);
    assert_int_equal(ls.replayed, 0);
    s_digest(s, d2);
    assert_memory_equal(d1, d2, sizeof(d1));
    s_people(s, 5);

    /* on again: more batches, committed; the others write once it is */
    assert_int_equal(cl_store_log_start(s, dir, 1u << 30, 600000), CL_OK);
    cl_store_log_own(s);
    s_put_person(s, 6);
    assert_true(cl_store_log_held(s));
    assert_int_equal(s_other(s), CL_ERR_INTERNAL);
    assert_int_equal(stat(wal, &st), 0);
    off_t held = st.st_size;
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    assert_false(cl_store_log_held(s));
    /* what follows goes to data.wal2; data.wal keeps batch 6 until the
     * next held commit finds this one synced (test_store_two_files), and
     * a replay from sequence 0 reads none of it (it does not follow on);
     * the file keeps its blocks for the next records to overwrite */
    assert_int_equal(s_replays(wal, copy), 0);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_size, held);
    assert_int_equal(s_other(s), CL_OK);
    s_people(s, 6);
    cl_store_close(&s);
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    s_people(s, 6);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* The first sequence in the log file at path (0: none whole). */
static uint64_t s_first(const char *path)
{
    cl_wal *w = NULL;
    uint64_t seq = 0;
    assert_int_equal(cl_wal_open(&w, path), CL_OK);
    if (!cl_wal_first(w, &seq))
        seq = 0;
    cl_wal_close(&w);
    return seq;
}

/* LMDB's sync runs behind the writer (store/mdbsync.c): a held commit's
 * batches stay in their file until the next commit finds that sync done,
 * and the batches after it go to the other file. A store whose newest
 * commit is not known synced (data.sync unreadable here) opens the
 * snapshot before it and replays the log's files: every batch once. */
static void test_store_two_files(void **state)
{
    (void)state;
    char dir[256], w1[300], w2[300], mark[300];
    th_tmpdir(dir, sizeof(dir));
    snprintf(w1, sizeof(w1), "%s/data.wal", dir);
    snprintf(w2, sizeof(w2), "%s/data.wal2", dir);
    snprintf(mark, sizeof(mark), "%s/data.sync", dir);
    cl_store *s = NULL;
    char part[320];
    snprintf(part, sizeof(part), "%s.new", mark);
    th_sh("touch %s", part); /* a power cut's half-planted marker */
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    assert_int_equal(access(mark, F_OK), -1); /* LMDB syncs itself */
    assert_int_equal(cl_store_log_start(s, dir, 1u << 30, 600000), CL_OK);
    /* planted whole, under its name only after its bytes were synced
     * (never an empty marker that would undo LMDB's synced commit) */
    struct stat st;
    assert_int_equal(stat(mark, &st), 0);
    assert_int_equal(st.st_size, 28);
    assert_int_equal(access(part, F_OK), -1);
    cl_store_log_own(s);
    s_put_person(s, 1);
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    assert_int_equal(s_first(w1), 1); /* kept until its sync is known */
    s_put_person(s, 2);
    assert_int_equal(s_first(w2), 2);
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    assert_int_equal(s_first(w1), 0); /* rewound: commit 1 is synced */
    assert_int_equal(s_first(w2), 2);
    s_put_person(s, 3);
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    assert_int_equal(s_first(w1), 3);
    assert_int_equal(s_first(w2), 0);
    cl_store_close(&s);

    /* a clean stop: every commit synced, the marker gone (an LMDB tool
     * may commit now), nothing replays */
    assert_int_equal(access(mark, F_OK), -1);
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    cl_store_log_stats ls;
    cl_store_log_stats_get(s, &ls);
    assert_int_equal(ls.replayed, 0);
    cl_store_close(&s);

    /* a crash after a held commit whose marker never reached the disk:
     * the snapshot before it, and the batch from the log */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (cl_store_open(&s, dir, s_mk, S_MAP) != CL_OK ||
            cl_store_log_start(s, dir, 1u << 30, 600000) != CL_OK)
            _exit(2);
        cl_store_log_own(s);
        th_sh("cp %s %s.old", mark, mark); /* names the commit before */
        s_put_person(s, 4);
        _exit(cl_store_log_commit(s) == CL_OK ? 0 : 3); /* dies */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(s_first(w1), 4);  /* kept: its sync not known */
    th_sh("cp %s.old %s", mark, mark); /* in place, as the disk kept it */
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    cl_store_log_stats_get(s, &ls);
    assert_int_equal(ls.replayed, 1); /* person 4, from data.wal */
    s_people(s, 4);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* Past its size, the held transaction commits by itself; its log is cut
 * and what follows goes on from the next sequence. */
static void test_store_commits_past_size(void **state)
{
    (void)state;
    char dir[256], wal[300];
    th_tmpdir(dir, sizeof(dir));
    snprintf(wal, sizeof(wal), "%s/data.wal", dir);
    cl_store *s = NULL;
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    assert_int_equal(cl_store_log_start(s, dir, 4096, 600000), CL_OK);
    cl_store_log_own(s);
    for (uint64_t id = 1; id <= 40; id++)
        s_put_person(s, id);
    cl_store_log_stats st;
    cl_store_log_stats_get(s, &st);
    assert_int_equal(st.batches, 40);
    assert_true(st.commits >= 2 && st.commits < 40);
    /* each held commit's wait is counted: LMDB's syncs take time */
    assert_true(st.commit_us_max > 0 && st.commit_us >= st.commit_us_max);
    assert_true(st.commit_us_max * st.commits >= st.commit_us);
    assert_int_equal(st.syncs, 40); /* a batch's record, each */
    assert_true(st.sync_us_max > 0 && st.sync_slow <= st.syncs);
    assert_false(cl_store_log_due(s));
    cl_store_close(&s); /* uncommitted: replayed at open */
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    s_people(s, 40);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* A held commit that fails (here by the test-only fault) loses the held
 * transaction: LMDB lags what was acknowledged, so nothing writes until
 * the log is applied again; then every batch is there, once. */
static void test_store_recovers_lost_hold(void **state)
{
    (void)state;
    char dir[256];
    th_tmpdir(dir, sizeof(dir));
    cl_store *s = NULL;
    cl_txn *t = NULL;
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    assert_int_equal(cl_store_log_start(s, dir, 1u << 30, 600000), CL_OK);
    cl_store_log_own(s);
    for (uint64_t id = 1; id <= 3; id++)
        s_put_person(s, id);
    setenv("CASELINKD_FAULT_LOG_COMMIT", "1", 1);
    assert_int_equal(cl_store_log_commit(s), CL_ERR_IO);
    unsetenv("CASELINKD_FAULT_LOG_COMMIT");
    assert_true(cl_store_log_lost(s));
    assert_true(cl_store_log_held(s));
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_ERR_BUSY);
    assert_int_equal(s_other(s), CL_ERR_INTERNAL);
    assert_int_equal(cl_store_log_commit(s), CL_ERR_BUSY);
    s_people(s, 0); /* what LMDB holds meanwhile: none of them */
    assert_int_equal(cl_store_log_recover(s), CL_OK);
    assert_false(cl_store_log_lost(s));
    assert_false(cl_store_log_held(s));
    s_people(s, 3);
    s_put_person(s, 4); /* the sequence goes on after them */
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    cl_store_log_stats st;
    cl_store_log_stats_get(s, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.batches, 4);
    cl_store_close(&s);
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    s_people(s, 4);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* Person id's value in a write transaction of the writer (a batch) or,
 * with put, its change: what each batch reads is what LMDB holds for it,
 * whatever earlier batches read (store/vcache.c keeps what a batch put or
 * read for the batches after it while the transaction is held). The
 * batch aborts, or with keep commits (it changed nothing). */
static void s_batch_get(cl_store *s, uint64_t id, const char *want, bool keep)
{
    cl_txn *t = NULL;
    uint8_t key[8], v[64];
    size_t len = 0;
    cl_be64_put(key, id);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    int rc = cl_store_get(t, CL_DB_PERSON, key, 8, v, sizeof(v), &len);
    if (keep)
        assert_int_equal(cl_store_commit(&t), CL_OK);
    cl_store_abort(&t);
    if (!want) {
        assert_int_equal(rc, CL_ERR_NOT_FOUND);
        return;
    }
    assert_int_equal(rc, CL_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
}

static void s_batch_is(cl_store *s, uint64_t id, const char *want)
{
    s_batch_get(s, id, want, false);
}

static void s_batch_read(cl_store *s, uint64_t id, const char *want)
{
    s_batch_get(s, id, want, true);
}

static void s_batch_put(cl_store *s, uint64_t id, const char *val, bool keep)
{
    cl_txn *t = NULL;
    uint8_t key[8];
    cl_be64_put(key, id);
    assert_int_equal(cl_store_begin(&t, s, NULL, true), CL_OK);
    assert_int_equal(cl_store_put(t, CL_DB_PERSON, key, 8, (const uint8_t *)val,
                                  strlen(val)),
                     CL_OK);
    if (keep)
        assert_int_equal(cl_store_commit(&t), CL_OK);
    else
        cl_store_abort(&t);
}

static void *s_other_put(void *arg)
{
    cl_store *s = arg;
    cl_txn *t = NULL;
    uint8_t key[8];
    cl_be64_put(key, 1);
    intptr_t rc = cl_store_begin(&t, s, NULL, true);
    if (rc == CL_OK)
        rc = cl_store_put(t, CL_DB_PERSON, key, 8, (const uint8_t *)"other", 5);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    return (void *)rc;
}

/* What a batch put or read is kept for the next batches of the held
 * transaction, and never outlives what LMDB holds: a batch that aborts
 * takes its change with it; once the held transaction commits, another
 * thread's write is what the next batch reads; a lost hold rebuilt from
 * the log reads the log's values. */
static void test_store_values_kept_across_batches(void **state)
{
    (void)state;
    char dir[256];
    th_tmpdir(dir, sizeof(dir));
    cl_store *s = NULL;
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    assert_int_equal(cl_store_log_start(s, dir, 1u << 30, 600000), CL_OK);
    cl_store_log_own(s);
    s_put_person(s, 1);
    s_batch_is(s, 1, "person 1"); /* put by the batch before */
    s_batch_put(s, 1, "aborted", false);
    s_batch_is(s, 1, "person 1");
    s_batch_put(s, 1, "kept", true);
    s_batch_is(s, 1, "kept");
    unsigned long opens = s_opens;
    s_batch_is(s, 1, "kept");
    assert_int_equal(s_opens, opens); /* put by the batch before: kept */
    assert_true(cl_store_log_held(s));
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    /* the held transaction is over: the next batch reads the file (one
     * AEAD open); a batch that aborts takes what it read with it, one
     * that commits keeps it for the batches after it (no open) */
    opens = s_opens;
    s_batch_is(s, 1, "kept");
    assert_int_equal(s_opens, opens + 1);
    s_batch_read(s, 1, "kept");
    assert_int_equal(s_opens, opens + 2);
    s_batch_is(s, 1, "kept");
    s_batch_read(s, 1, "kept");
    assert_int_equal(s_opens, opens + 2);
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    /* nothing held: another thread writes; the next batch reads that */
    pthread_t th;
    void *rc;
    assert_int_equal(pthread_create(&th, NULL, s_other_put, s), 0);
    pthread_join(th, &rc);
    assert_int_equal((int)(intptr_t)rc, CL_OK);
    s_batch_is(s, 1, "other");
    /* a held transaction lost (its commit fails) and rebuilt from the
     * log: what its batches read and put is read from LMDB again */
    s_batch_put(s, 1, "logged", true);
    s_batch_is(s, 1, "logged");
    setenv("CASELINKD_FAULT_LOG_COMMIT", "1", 1);
    assert_int_equal(cl_store_log_commit(s), CL_ERR_IO);
    unsetenv("CASELINKD_FAULT_LOG_COMMIT");
    assert_int_equal(cl_store_log_recover(s), CL_OK);
    s_batch_is(s, 1, "logged");
    assert_int_equal(cl_store_log_commit(s), CL_OK);
    cl_store_close(&s);
    assert_int_equal(cl_store_open(&s, dir, s_mk, S_MAP), CL_OK);
    s_batch_is(s, 1, "logged");
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* With less room in the map than the log needs to be safe, each batch is
 * LMDB's own, committed before it is acknowledged; nothing is held. */
static void test_store_direct_near_full_map(void **state)
{
    (void)state;
    char dir[256];
    th_tmpdir(dir, sizeof(dir));
    cl_store *s = NULL;
    assert_int_equal(cl_store_open(&s, dir, s_mk, 4u << 20), CL_OK);
    assert_int_equal(cl_store_log_start(s, dir, 1u << 30, 600000), CL_OK);
    cl_store_log_own(s);
    for (uint64_t id = 1; id <= 3; id++)
        s_put_person(s, id);
    cl_store_log_stats st;
    cl_store_log_stats_get(s, &st);
    assert_int_equal(st.batches, 0);
    assert_int_equal(st.direct, 3);
    assert_false(cl_store_log_held(s));
    assert_int_equal(s_other(s), CL_OK);
    cl_store_close(&s);
    assert_int_equal(cl_store_open(&s, dir, s_mk, 4u << 20), CL_OK);
    s_people(s, 3);
    cl_store_close(&s);
    th_sh("rm -rf %s", dir);
}

/* The held commits the daemon's writer made, from its stop line. */
static long s_held_commits(const char *log)
{
    char cmd[400], line[256];
    snprintf(cmd, sizeof(cmd),
             "sed -n 's/.*store: \\([0-9]*\\) held commits stalled.*/\\1/p' %s",
             log);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    long n = fgets(line, sizeof(line), p) ? atol(line) : 0;
    pclose(p);
    return n;
}

/* A health that shows no counts reads nothing from the store: it does
 * not have the held transaction committed (a monitor polling it would
 * stall the writer each time); one that shows counts still does, so
 * they are what was acknowledged. */
static void test_daemon_health_keeps_hold(void **state)
{
    (void)state;
    th_daemon d;
    memset(&d, 0, sizeof(d));
    th_start(&d, "[store]\nlog = on\nlog_commit_ms = 60000\n");
    cl_client *police = th_client(&d, "police");
    char ref[32];
    for (int i = 0; i < 5; i++) {
        snprintf(ref, sizeof(ref), "POL-H%d", i);
        cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", NULL);
        assert_int_equal(th_publish(police, q, NULL), CL_STATUS_OK);
        free(q);
        /* held: nothing committed for it, and it shows no counts */
        assert_int_equal(th_health(&d, "police").referrals, 0);
    }
    cl_client_close(&police);
    /* counts: the five committed first */
    assert_int_equal(th_health(&d, "operator").referrals, 5);
    assert_int_equal(th_stop(&d, SIGTERM), 0);
    assert_int_equal(s_held_commits(d.log), 1);
    th_sh("rm -rf %s", d.dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_sync_replay),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_damaged_record),
        cmocka_unit_test(test_gap_and_stale),
        cmocka_unit_test(test_rewind),
        cmocka_unit_test(test_apply_fails),
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_store_replays_log),
        cmocka_unit_test(test_store_two_files),
        cmocka_unit_test(test_store_commits_past_size),
        cmocka_unit_test(test_store_recovers_lost_hold),
        cmocka_unit_test(test_store_direct_near_full_map),
        cmocka_unit_test(test_store_values_kept_across_batches),
        cmocka_unit_test(test_daemon_health_keeps_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
