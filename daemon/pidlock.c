/*
 * pidlock: one daemon per state directory (see pidlock.h).
 */
#include "pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config.h"

static void s_path(char *out, size_t cap, const char *dir)
{
    snprintf(out, cap, "%s/caselinkd.pid", dir);
}

/* The pid written in the file open at fd (0 if none or unreadable). */
static long s_read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

int cl_pidlock_take(const char *dir, int *fd, long *holder, char *err,
                    size_t err_len)
{
    char path[CL_PATH_SZ + 16], pid[32];
    *fd = -1;
    *holder = 0;
    s_path(path, sizeof(path), dir);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f < 0) {
        int e = errno;
        snprintf(err, err_len, "%.200s: %s", path, strerror(e));
        return e == EACCES || e == EROFS || e == EPERM ? CL_ERR_PERM
                                                       : CL_ERR_IO;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        *holder = s_read_pid(f);
        close(f);
        if (e == EWOULDBLOCK)
            return CL_ERR_BUSY;
        snprintf(err, err_len, "%.200s: %s", path, strerror(e));
        return CL_ERR_IO;
    }
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) {
        /* the lock holds without the pid: say so, keep it */
        snprintf(err, err_len, "%.200s: cannot write the pid: %s", path,
                 strerror(errno));
    }
    *fd = f;
    return CL_OK;
}
