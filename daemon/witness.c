/*
 * witness: see witness.h. Owns the child processes it starts and nothing
 * else; never logs the checkpoint text's neighbours, only exit codes.
 */
#include "witness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define S_RUNNING_MAX 16

extern char **environ;

struct cl_witness {
    const char *cmd;              /* borrowed; "" ships nothing */
    pid_t running[S_RUNNING_MAX]; /* commands not yet reaped */
    size_t n;
};

cl_witness *cl_witness_new(const char *cmd)
{
    cl_witness *w = calloc(1, sizeof(*w));
    if (w)
        w->cmd = cmd ? cmd : "";
    return w;
}

void cl_witness_ship(cl_witness *w, const char *text)
{
    if (!w || !w->cmd[0])
        return;
    cl_witness_reap(w, 0);
    if (w->n == S_RUNNING_MAX) {
        cl_log_err("audit checkpoint not shipped: %d shipping commands are "
                   "still running (check [audit] checkpoint_command)",
                   S_RUNNING_MAX);
        return;
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
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
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
    w->running[w->n++] = pid;
}

void cl_witness_reap(cl_witness *w, int wait_ms)
{
    if (!w)
        return;
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int waited = 0;; waited += 10) {
        for (size_t i = 0; i < w->n;) {
            int st;
            pid_t r = waitpid(w->running[i], &st, WNOHANG);
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
    if (w->n && wait_ms > 0)
        cl_log_err("audit checkpoint shipping: %zu command(s) still running "
                   "at stop",
                   w->n);
}

void cl_witness_destroy(cl_witness **wp)
{
    if (!wp || !*wp)
        return;
    free(*wp);
    *wp = NULL;
}
