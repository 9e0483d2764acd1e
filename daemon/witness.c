/*
 * witness: see witness.h. Owns the child processes it starts and nothing
 * else; never logs the checkpoint text's neighbours, only exit codes.
 */
#include "witness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define S_RUNNING_MAX 16

extern char **environ;

struct cl_witness {
    const char *cmd; /* borrowed; "" ships nothing */
    uint64_t timeout_us;
    struct {
        pid_t pid;            /* leads its own process group */
        uint64_t start_us;    /* CLOCK_MONOTONIC */
    } running[S_RUNNING_MAX]; /* commands not yet reaped */
    size_t n;
};

static uint64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

cl_witness *cl_witness_new(const char *cmd, unsigned timeout_s)
{
    cl_witness *w = calloc(1, sizeof(*w));
    if (w) {
        w->cmd = cmd ? cmd : "";
        w->timeout_us = (uint64_t)(timeout_s ? timeout_s : 1) * 1000000u;
    }
    return w;
}

/* Stop running[i] and everything it started (a curl under sh -c), then
 * reap it: its checkpoint was not shipped, and why is logged. A newer
 * checkpoint covers every entry an older one did, so the newest matters. */
static void s_stop_one(cl_witness *w, size_t i, const char *why)
{
    pid_t pid = w->running[i].pid;
    kill(-pid, SIGKILL);
    (void)waitpid(pid, NULL, 0);
    cl_log_err("audit checkpoint NOT shipped: checkpoint_command %s and was "
               "stopped (give it a time limit, e.g. curl --max-time; each "
               "checkpoint is also in audit-checkpoints.txt in the state "
               "directory)",
               why);
    w->running[i] = w->running[--w->n];
}

void cl_witness_ship(cl_witness *w, const char *text)
{
    if (!w || !w->cmd[0])
        return;
    cl_witness_reap(w, 0);
    if (w->n == S_RUNNING_MAX) { /* the oldest makes room for this one */
        size_t oldest = 0;
        for (size_t i = 1; i < w->n; i++)
            if (w->running[i].start_us < w->running[oldest].start_us)
                oldest = i;
        char why[96];
        snprintf(why, sizeof(why),
                 "was the oldest of %d still running when a newer "
                 "checkpoint came",
                 S_RUNNING_MAX);
        s_stop_one(w, oldest, why);
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        cl_log_err("audit checkpoint not shipped: pipe: %s", strerror(errno));
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none;
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setpgroup(&at, 0); /* its own group: stopped whole */
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    char *argv[] = {"sh", "-c", (char *)w->cmd, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        cl_log_err("audit checkpoint not shipped: cannot run /bin/sh: %s",
                   strerror(rc));
        return;
    }
    /* A checkpoint (under 1 KiB) fits a pipe's buffer: this never blocks. */
    size_t len = strlen(text);
    ssize_t n = write(fds[1], text, len);
    close(fds[1]);
    if (n != (ssize_t)len)
        cl_log_err("audit checkpoint: short write to the shipping command");
    w->running[w->n].pid = pid;
    w->running[w->n++].start_us = s_mono_us();
}

void cl_witness_reap(cl_witness *w, int wait_ms)
{
    if (!w)
        return;
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int waited = 0;; waited += 10) {
        uint64_t now = s_mono_us();
        for (size_t i = 0; i < w->n;) {
            int st;
            pid_t r = waitpid(w->running[i].pid, &st, WNOHANG);
            if (r == 0 && now - w->running[i].start_us > w->timeout_us) {
                s_stop_one(w, i, "ran over [audit] checkpoint_timeout_s");
                continue;
            }
            if (r == 0) {
                i++;
                continue;
            }
            if (r < 0)
                cl_log_err("audit checkpoint shipping: waitpid: %s",
                           strerror(errno));
            else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                cl_log_err("audit checkpoint NOT shipped: checkpoint_command "
                           "%s %d",
                           WIFEXITED(st) ? "exited with" : "killed by signal",
                           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            w->running[i] = w->running[--w->n];
        }
        if (!w->n || waited >= wait_ms)
            break;
        nanosleep(&pause, NULL);
    }
    while (w->n && wait_ms > 0) /* at stop: none left behind to hang */
        s_stop_one(w, 0, "was still running at stop");
}

void cl_witness_destroy(cl_witness **wp)
{
    if (!wp || !*wp)
        return;
    free(*wp);
    *wp = NULL;
}
