/*
 * slowdisk: an LD_PRELOAD layer that makes writes to some files slow, as a
 * busy or remote disk is, so that a test can watch an operation that is
 * over in a blink on the test machine's page cache (the online backup)
 * while it runs. Writes go through unchanged; only their pace changes.
 *
 *   CL_SLOWDISK_MATCH  part of the path of the files to slow ("/backups/.")
 *   CL_SLOWDISK_MBPS   how many MB a second those files take (default 2)
 *
 * Test-only: never built into the product. Not instrumented (it must load
 * before an ASan runtime; the test sets verify_asan_link_order=0).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef ssize_t (*s_write_fn)(int, const void *, size_t);
typedef ssize_t (*s_pwrite_fn)(int, const void *, size_t, off_t);

static int s_slow_fd(int fd)
{
    const char *match = getenv("CL_SLOWDISK_MATCH");
    char link[64], path[4096];
    if (!match || !match[0])
        return 0;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return strstr(path, match) != NULL;
}

static void s_pace(int fd, size_t len)
{
    if (len < 4096 || !s_slow_fd(fd))
        return;
    const char *v = getenv("CL_SLOWDISK_MBPS");
    double mbps = v ? atof(v) : 2.0;
    if (mbps <= 0)
        return;
    double secs = (double)len / (mbps * 1e6);
    struct timespec ts = {.tv_sec = (time_t)secs,
                          .tv_nsec =
                              (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    static s_write_fn real;
    if (!real)
        real = (s_write_fn)dlsym(RTLD_NEXT, "write");
    s_pace(fd, len);
    return real(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    static s_pwrite_fn real;
    if (!real)
        real = (s_pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
    s_pace(fd, len);
    return real(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    return pwrite(fd, buf, len, off);
}
