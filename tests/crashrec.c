/*
 * crashrec: an LD_PRELOAD layer that records what a process writes to the
 * files of one folder and when those writes were made durable, so that a
 * test can rebuild the folder as a power cut could have left it (in the
 * style of SQLite's test VFS and ALICE). The recorded process behaves
 * exactly as without it: every call goes to the real function first.
 *
 *   CL_CRASHREC_DIR  the folder whose files are recorded (absolute, no
 *                    trailing slash; lock.mdb is left out: LMDB rebuilds
 *                    it and a power cut leaves nothing in it that counts)
 *   CL_CRASHREC_LOG  the log, appended to (O_APPEND: another process may
 *                    append its own markers, see crashlog.h)
 *
 * What is recorded (crashlog.h): every write, pwrite, writev and pwritev
 * with its offset and bytes; an open with O_TRUNC (as a truncate); every
 * completed fsync and fdatasync (a write to an O_SYNC or O_DSYNC descriptor
 * counts as a write then a sync); for a small file, its whole content at each
 * sync as well (stdio's writes go through glibc's internal write, which no
 * preload can see); ftruncate, rename, unlink and a folder's fsync (which makes
 * renames durable). A sync event is appended after the real call returned, so
 * everything a reader of the log sees before it was on the disk when it was
 * appended.
 *
 * msync is recorded as an event the test refuses: writes through a shared
 * mapping cannot be seen here, so a store that started using them
 * (MDB_WRITEMAP) must fail the test, not pass it unexamined.
 *
 * Never used in the product: only tests/test_powerloss.c loads it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "crashlog.h"

/* Files up to this size have their whole content recorded at each sync. */
#define S_SNAPSHOT_MAX (64 * 1024)

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_log = -2; /* -2: not opened yet, -1: recording off */
static char s_dir[PATH_MAX];
static size_t s_dir_len;

/* The real functions, looked up once. */
static ssize_t (*s_write)(int, const void *, size_t);
static ssize_t (*s_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*s_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*s_writev)(int, const struct iovec *, int);
static ssize_t (*s_pwritev)(int, const struct iovec *, int, off_t);
static int (*s_fsync)(int);
static int (*s_fdatasync)(int);
static int (*s_msync)(void *, size_t, int);
static int (*s_ftruncate)(int, off_t);
static int (*s_rename)(const char *, const char *);
static int (*s_renameat)(int, const char *, int, const char *);
static int (*s_unlink)(const char *);
static int (*s_open)(const char *, int, ...);
static int (*s_openat)(int, const char *, int, ...);

static void s_resolve(void)
{
    s_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    s_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT,
                                                                   "pwrite");
    s_pwrite64 = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(
        RTLD_NEXT, "pwrite64");
    s_writev =
        (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    s_pwritev = (ssize_t(*)(int, const struct iovec *, int, off_t))dlsym(
        RTLD_NEXT, "pwritev");
    s_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    s_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    s_msync = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "msync");
    s_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
    s_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    s_renameat = (int (*)(int, const char *, int, const char *))dlsym(
        RTLD_NEXT, "renameat");
    s_unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    s_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    s_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
}

/* A wrapper may run before the constructor (another library's). */
static void s_need(void)
{
    if (!s_fsync)
        s_resolve();
}

__attribute__((constructor)) static void s_init(void)
{
    s_resolve();
    const char *dir = getenv("CL_CRASHREC_DIR");
    const char *log = getenv("CL_CRASHREC_LOG");
    s_log = -1;
    if (!dir || !log || strlen(dir) >= sizeof(s_dir))
        return;
    snprintf(s_dir, sizeof(s_dir), "%s", dir);
    s_dir_len = strlen(s_dir);
    s_log = (int)syscall(SYS_open, log,
                         O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (s_log < 0)
        s_log = -1;
}

/* The name of path inside the recorded folder ("" for the folder itself),
 * or NULL if it is elsewhere or not recorded. */
static const char *s_inside(const char *path)
{
    if (strncmp(path, s_dir, s_dir_len) != 0)
        return NULL;
    const char *rest = path + s_dir_len;
    if (*rest == '\0')
        return rest;
    if (*rest != '/' || strchr(rest + 1, '/'))
        return NULL;
    if (!strcmp(rest + 1, "lock.mdb"))
        return NULL;
    return rest + 1;
}

/* The recorded name of fd into name (capacity PATH_MAX), or false. */
static bool s_fd_name(int fd, char *name)
{
    char link[64], path[PATH_MAX];
    if (s_log < 0)
        return false;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0)
        return false;
    path[n] = '\0';
    const char *in = s_inside(path);
    if (!in)
        return false;
    snprintf(name, PATH_MAX, "%s", in);
    return true;
}

static bool s_path_name(const char *path, char *name)
{
    char abs[PATH_MAX * 2 + 2];
    if (s_log < 0 || !path)
        return false;
    if (path[0] == '/')
        snprintf(abs, sizeof(abs), "%s", path);
    else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return false;
        snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
    }
    const char *in = s_inside(abs);
    if (!in)
        return false;
    snprintf(name, PATH_MAX, "%s", in);
    return true;
}

/* Append one event as one write(2): O_APPEND keeps it whole. */
static void s_emit(uint8_t op, const char *name, uint64_t off,
                   const struct iovec *data, int n_data)
{
    cl_crashlog_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.magic = CL_CRASHLOG_MAGIC;
    ev.op = op;
    ev.name_len = (uint32_t)strlen(name);
    ev.off = off;
    for (int i = 0; i < n_data; i++)
        ev.len += data[i].iov_len;
    struct iovec iov[3 + 64];
    int k = 0;
    iov[k++] = (struct iovec){&ev, sizeof(ev)};
    iov[k++] = (struct iovec){(void *)name, ev.name_len};
    for (int i = 0; i < n_data && k < 3 + 64; i++)
        iov[k++] = data[i];
    size_t total = 0;
    for (int i = 0; i < k; i++)
        total += iov[i].iov_len;
    ssize_t w = syscall(SYS_writev, s_log, iov, k);
    if (w < 0 || (size_t)w != total) {
        /* A log that lost an event would make every state wrong. */
        static const char msg[] = "crashrec: cannot append to the log\n";
        syscall(SYS_write, 2, msg, sizeof(msg) - 1);
        abort();
    }
}

/* The whole content of a small file at a sync, read through a descriptor
 * of our own (the caller's may be write-only). */
static void s_snapshot(int fd, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > S_SNAPSHOT_MAX)
        return;
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    int rd = (int)syscall(SYS_openat, AT_FDCWD, link, O_RDONLY | O_CLOEXEC);
    static uint8_t buf[S_SNAPSHOT_MAX];
    ssize_t n = rd >= 0 ? pread(rd, buf, (size_t)st.st_size, 0) : -1;
    if (rd >= 0)
        syscall(SYS_close, rd);
    if (n != st.st_size) {
        /* a sync whose content is unknown would make states wrong */
        s_emit(CL_CRASHLOG_MSYNC, "a synced file that could not be read", 0,
               NULL, 0);
        return;
    }
    struct iovec d = {buf, (size_t)n};
    s_emit(CL_CRASHLOG_SNAPSHOT, name, 0, &d, 1);
}

static bool s_sync_fd(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & (O_SYNC | O_DSYNC));
}

/* A completed write of data at off to fd. */
static void s_wrote(int fd, off_t off, const struct iovec *iov, int n,
                    ssize_t done)
{
    char name[PATH_MAX];
    if (done <= 0 || !s_fd_name(fd, name))
        return;
    /* only the bytes the call reports written */
    struct iovec part[64];
    int k = 0;
    size_t left = (size_t)done;
    for (int i = 0; i < n && left && k < 64; i++) {
        size_t l = iov[i].iov_len < left ? iov[i].iov_len : left;
        part[k++] = (struct iovec){iov[i].iov_base, l};
        left -= l;
    }
    s_emit(CL_CRASHLOG_WRITE, name, (uint64_t)off, part, k);
    if (s_sync_fd(fd)) {
        s_emit(CL_CRASHLOG_SYNC, name, 0, NULL, 0);
        s_snapshot(fd, name);
    }
}

static off_t s_pos(int fd, size_t len)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_APPEND)) {
        struct stat st;
        return fstat(fd, &st) == 0 ? st.st_size - (off_t)len : -1;
    }
    return lseek(fd, 0, SEEK_CUR) - (off_t)len;
}

/* Calls on descriptors outside the folder (sockets, eventfds, the log)
 * go straight through, unlocked; inside it, the call and its event are
 * one step under the lock, so the log's order is the order of the calls. */
static bool s_recorded(int fd, char *name)
{
    return s_log >= 0 && s_fd_name(fd, name);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    s_need();
    char name[PATH_MAX];
    if (!s_recorded(fd, name))
        return s_write(fd, buf, len);
    pthread_mutex_lock(&s_lock);
    ssize_t r = s_write(fd, buf, len);
    int e = errno;
    if (r > 0) {
        struct iovec v = {(void *)buf, len};
        off_t at = s_pos(fd, (size_t)r);
        if (at >= 0)
            s_wrote(fd, at, &v, 1, r);
    }
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

static ssize_t s_do_pwrite(ssize_t (*fn)(int, const void *, size_t, off_t),
                           int fd, const void *buf, size_t len, off_t off)
{
    s_need();
    char name[PATH_MAX];
    if (!s_recorded(fd, name))
        return fn(fd, buf, len, off);
    pthread_mutex_lock(&s_lock);
    ssize_t r = fn(fd, buf, len, off);
    int e = errno;
    if (r > 0) {
        struct iovec v = {(void *)buf, len};
        s_wrote(fd, off, &v, 1, r);
    }
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    s_need();
    return s_do_pwrite(s_pwrite, fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    s_need();
    return s_do_pwrite(s_pwrite64 ? s_pwrite64 : s_pwrite, fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    s_need();
    char name[PATH_MAX];
    if (!s_recorded(fd, name))
        return s_writev(fd, iov, n);
    pthread_mutex_lock(&s_lock);
    ssize_t r = s_writev(fd, iov, n);
    int e = errno;
    if (r > 0) {
        off_t at = s_pos(fd, (size_t)r);
        if (at >= 0)
            s_wrote(fd, at, iov, n, r);
    }
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    s_need();
    char name[PATH_MAX];
    if (!s_recorded(fd, name))
        return s_pwritev(fd, iov, n, off);
    pthread_mutex_lock(&s_lock);
    ssize_t r = s_pwritev(fd, iov, n, off);
    int e = errno;
    if (r > 0)
        s_wrote(fd, off, iov, n, r);
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

static int s_do_sync(int (*fn)(int), int fd)
{
    s_need();
    char name[PATH_MAX];
    if (!s_recorded(fd, name))
        return fn(fd);
    pthread_mutex_lock(&s_lock);
    int r = fn(fd);
    int e = errno;
    if (r == 0) {
        s_emit(name[0] ? CL_CRASHLOG_SYNC : CL_CRASHLOG_DIRSYNC, name, 0, NULL,
               0);
        if (name[0])
            s_snapshot(fd, name);
    }
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

int fsync(int fd)
{
    s_need();
    return s_do_sync(s_fsync, fd);
}

int fdatasync(int fd)
{
    s_need();
    return s_do_sync(s_fdatasync, fd);
}

int msync(void *addr, size_t len, int flags)
{
    s_need();
    pthread_mutex_lock(&s_lock);
    int r = s_msync(addr, len, flags);
    int e = errno;
    if (s_log >= 0)
        s_emit(CL_CRASHLOG_MSYNC, "", 0, NULL, 0);
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

int ftruncate(int fd, off_t len)
{
    s_need();
    char name[PATH_MAX];
    if (!s_recorded(fd, name))
        return s_ftruncate(fd, len);
    pthread_mutex_lock(&s_lock);
    int r = s_ftruncate(fd, len);
    int e = errno;
    if (r == 0)
        s_emit(CL_CRASHLOG_TRUNCATE, name, (uint64_t)len, NULL, 0);
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

static void s_renamed(const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    bool ia = s_path_name(from, a), ib = s_path_name(to, b);
    if (!ia && !ib)
        return;
    /* a file moved in from elsewhere, or out: not something a store does */
    if (!ia || !ib) {
        s_emit(CL_CRASHLOG_MSYNC, "rename across the folder", 0, NULL, 0);
        return;
    }
    struct iovec d = {b, strlen(b)};
    s_emit(CL_CRASHLOG_RENAME, a, 0, &d, 1);
}

int rename(const char *from, const char *to)
{
    s_need();
    pthread_mutex_lock(&s_lock);
    int r = s_rename(from, to);
    int e = errno;
    if (r == 0)
        s_renamed(from, to);
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

int renameat(int dfrom, const char *from, int dto, const char *to)
{
    s_need();
    pthread_mutex_lock(&s_lock);
    int r = s_renameat(dfrom, from, dto, to);
    int e = errno;
    if (r == 0 && dfrom == AT_FDCWD && dto == AT_FDCWD)
        s_renamed(from, to);
    else if (r == 0 && s_log >= 0)
        s_emit(CL_CRASHLOG_MSYNC, "renameat relative to a folder", 0, NULL, 0);
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

int unlink(const char *path)
{
    s_need();
    pthread_mutex_lock(&s_lock);
    char name[PATH_MAX];
    bool in = s_path_name(path, name);
    int r = s_unlink(path);
    int e = errno;
    if (r == 0 && in)
        s_emit(CL_CRASHLOG_UNLINK, name, 0, NULL, 0);
    pthread_mutex_unlock(&s_lock);
    errno = e;
    return r;
}

/* An open with O_TRUNC empties an existing file: a change like a write.
 * Returns fd, errno as the real call left it. */
static int s_opened(int fd, int flags)
{
    int e = errno;
    char name[PATH_MAX];
    if (fd >= 0 && (flags & O_TRUNC) && s_recorded(fd, name)) {
        pthread_mutex_lock(&s_lock);
        s_emit(CL_CRASHLOG_TRUNCATE, name, 0, NULL, 0);
        pthread_mutex_unlock(&s_lock);
    }
    errno = e;
    return fd;
}

/* The mode an open passes only with O_CREAT or O_TMPFILE, into mode. */
#define S_OPEN_MODE(flags, mode)                                               \
    do {                                                                       \
        if ((flags) & (O_CREAT | O_TMPFILE)) {                                 \
            va_list ap;                                                        \
            va_start(ap, flags);                                               \
            (mode) = (mode_t)va_arg(ap, int);                                  \
            va_end(ap);                                                        \
        }                                                                      \
    } while (0)

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    s_need();
    S_OPEN_MODE(flags, mode);
    return s_opened(s_open(path, flags, mode), flags);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    s_need();
    S_OPEN_MODE(flags, mode);
    return s_opened(s_open(path, flags, mode), flags);
}

int openat(int dir, const char *path, int flags, ...)
{
    mode_t mode = 0;
    s_need();
    S_OPEN_MODE(flags, mode);
    return s_opened(s_openat(dir, path, flags, mode), flags);
}
