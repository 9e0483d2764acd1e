/*
 * writer: the batch's write transaction on a thread of its own.
 *
 * A batch is acknowledged only after its durable commit, and that commit
 * (the pages written, then fdatasync) takes one to tens of milliseconds;
 * with a heavy read's audit entries in it, hundreds. If the serving
 * thread ran it, every request arriving meanwhile would wait for it, even
 * one that needs no commit at all (health, a refusal). So the serving
 * thread hands the batch here (cl_dispatch_apply: apply, audit, commit)
 * and, until it is over, goes on reading the socket: what needs no commit
 * is answered at once, everything else waits in the slots of the next
 * batch (server.c). Nothing is acknowledged before its commit: the
 * batch's replies are sent by the serving thread after cl_writer_done.
 *
 * The thread touches only what cl_dispatch_apply touches; the serving
 * thread, meanwhile, only the socket, the next batch's slots and what
 * the rows answered at once read (dispatch.c, S_ANYTIME). The map is
 * grown, the registry reloaded and housekeeping done only between
 * batches.
 *
 * With the sequential log ([store] log = on, store/hold.c) this thread
 * owns the LMDB write transaction held open across batches: a batch is
 * acknowledged once its changes are in the log, and the held transaction
 * is committed here, when it is due, at stop, and whenever the serving
 * thread asks (cl_writer_settle) before it reads the committed state or
 * takes LMDB's writer lock itself.
 */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "log.h"

#define S_STACK (8u << 20) /* as the serving thread's: handlers run here */

struct cl_writer {
    cl_server *srv;
    pthread_t th;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a batch handed over, or stop */
    s_item *items;       /* the batch (under mu) */
    size_t n;
    bool busy;  /* a batch is on the thread */
    bool ready; /* ... and it is over, rc holds its result */
    bool stop;
    int rc;
    int efd; /* eventfd: a batch is over */
    /* settling (under mu): asks made, asks done, the last one's result */
    uint64_t settle_asked, settle_done;
    int settle_rc;
    pthread_cond_t settled;
    /* a full disk (this thread's): since when it was last told, and the
     * batches and commits it refused meanwhile */
    bool full;
    time_t full_said;
    uint64_t full_refused;
};

/* A full disk is told once (again every S_FULL_REMIND seconds while it
 * lasts), not once per batch: which folder to free, and that nothing
 * acknowledged is lost; then, at the first write after, that writes
 * resumed. Each batch's reply and log line say "disk full" too
 * (cl_strerror, cl_handle_fatal_why), and admin health shows it. */
#define S_FULL_REMIND 600

static void s_disk(cl_writer *w, int rc)
{
    const char *dir = w->srv->cfg.state_dir;
    time_t now = time(NULL);
    if (rc == CL_ERR_NOSPACE) {
        w->full_refused++;
        if (!w->full || now - w->full_said >= S_FULL_REMIND) {
            cl_log_err("disk full: free space under %s (df -h %s); until "
                       "there is room nothing is written and every write "
                       "is refused as busy; nothing acknowledged is lost, "
                       "and writes resume by themselves",
                       dir, dir);
            w->full_said = now;
        }
        w->full = true;
    } else if (rc == CL_OK && w->full) {
        cl_log_info("disk full over: writes resumed under %s (%llu batches "
                    "or commits refused meanwhile)",
                    dir, (unsigned long long)w->full_refused);
        w->full = false;
        w->full_refused = 0;
    }
}

/* Apply the log again if the held transaction was lost (its commit
 * failed): before anything else writes. */
static int s_recover(cl_writer *w)
{
    cl_store *st = w->srv->store;
    if (!cl_store_log_lost(st))
        return CL_OK;
    int rc = cl_store_log_recover(st);
    if (rc == CL_OK)
        cl_log_warn("store: the log's batches applied to LMDB again after a "
                    "failed commit");
    else if (rc != CL_ERR_NOSPACE) /* s_disk tells that once */
        cl_log_err("store: cannot apply the log to LMDB yet (%s): nothing "
                   "is written until it is",
                   cl_strerror(rc));
    return rc;
}

/* Commit the held transaction (nothing held: nothing to do). */
static int s_settle_now(cl_writer *w)
{
    int rc = s_recover(w);
    if (rc == CL_OK && (rc = cl_store_log_commit(w->srv->store)) != CL_OK) {
        if (rc != CL_ERR_NOSPACE) /* s_disk tells that once */
            cl_log_err("store: the log's batches could not be committed to "
                       "LMDB (%s); they stay in the log",
                       cl_strerror(rc));
        if (s_recover(w) == CL_OK) /* all of it committed after all */
            rc = CL_OK;
    }
    if (rc == CL_ERR_NOSPACE) /* only a batch written says it is over */
        s_disk(w, rc);
    return rc;
}

/* At stop: how long the held commits kept this thread from the next
 * batch (the acknowledgement tail at a steady rate: README, Benchmark). */
static void s_stalls(cl_writer *w)
{
    cl_store_log_stats st;
    cl_store_log_stats_get(w->srv->store, &st);
    if (!st.commits && !st.syncs)
        return;
    cl_log_info(
        "store: %llu held commits stalled the writer %.1f ms on "
        "average, %.1f ms at most; %llu log syncs, %llu over %.1f ms, "
        "%.1f ms at most",
        (unsigned long long)st.commits,
        st.commits ? (double)st.commit_us / (double)st.commits / 1000.0 : 0.0,
        (double)st.commit_us_max / 1000.0, (unsigned long long)st.syncs,
        (unsigned long long)st.sync_slow, CL_STORE_LOG_SYNC_SLOW_US / 1000.0,
        (double)st.sync_us_max / 1000.0);
}

static void *s_thread(void *arg)
{
    cl_writer *w = arg;
    cl_store_log_own(w->srv->store); /* its transactions nest in the held */
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && !(w->busy && !w->ready) &&
               w->settle_done == w->settle_asked)
            pthread_cond_wait(&w->work, &w->mu);
        if (w->settle_done != w->settle_asked) {
            uint64_t asked = w->settle_asked;
            pthread_mutex_unlock(&w->mu);
            int rc = s_settle_now(w);
            pthread_mutex_lock(&w->mu);
            w->settle_rc = rc;
            w->settle_done = asked;
            pthread_cond_broadcast(&w->settled);
            continue;
        }
        if (w->stop)
            break;
        s_item *items = w->items;
        size_t n = w->n;
        pthread_mutex_unlock(&w->mu);
        int rc = s_recover(w); /* CL_ERR_FULL: the map grows, again */
        if (rc == CL_OK)
            rc = cl_dispatch_apply(w->srv, items, n);
        s_disk(w, rc);
        pthread_mutex_lock(&w->mu);
        w->rc = rc;
        w->ready = true;
        uint64_t one = 1;
        if (write(w->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
            cl_log_err("writer: cannot wake the serving loop: %s",
                       strerror(errno));
        if (cl_store_log_due(w->srv->store)) {
            /* the batch is answered meanwhile: it is in the log */
            pthread_mutex_unlock(&w->mu);
            (void)s_settle_now(w);
            pthread_mutex_lock(&w->mu);
        }
    }
    pthread_mutex_unlock(&w->mu);
    (void)s_settle_now(w); /* at stop: LMDB holds every batch */
    s_stalls(w);
    return NULL;
}

int cl_writer_start(cl_writer **out, cl_server *s, char *err, size_t err_len)
{
    *out = NULL;
    cl_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return CL_ERR_NOMEM;
    w->srv = s;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->settled, NULL);
    w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->efd < 0) {
        snprintf(err, err_len, "eventfd: %s", strerror(errno));
        cl_writer_stop(&w);
        return CL_ERR_IO;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, S_STACK);
    int e = pthread_create(&w->th, &attr, s_thread, w);
    pthread_attr_destroy(&attr);
    if (e != 0) {
        snprintf(err, err_len, "writer thread: %s", strerror(e));
        cl_writer_stop(&w);
        return CL_ERR_IO;
    }
    w->started = true;
    pthread_setname_np(w->th, "cl-writer"); /* for top -H and perf */
    *out = w;
    return CL_OK;
}

void cl_writer_stop(cl_writer **wp)
{
    if (!wp || !*wp)
        return;
    cl_writer *w = *wp;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    if (w->started)
        pthread_join(w->th, NULL);
    if (w->efd >= 0)
        close(w->efd);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->settled);
    pthread_mutex_destroy(&w->mu);
    free(w);
    *wp = NULL;
}

void cl_writer_run(cl_writer *w, s_item *items, size_t n)
{
    pthread_mutex_lock(&w->mu);
    w->items = items;
    w->n = n;
    w->busy = true;
    w->ready = false;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
}

int cl_writer_fd(const cl_writer *w)
{
    return w->efd;
}

bool cl_writer_done(cl_writer *w, int *rc)
{
    uint64_t n;
    while (read(w->efd, &n, sizeof(n)) == (ssize_t)sizeof(n))
        ;
    pthread_mutex_lock(&w->mu);
    bool done = w->busy && w->ready;
    if (done) {
        *rc = w->rc;
        w->busy = w->ready = false;
        w->items = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    return done;
}

int cl_writer_settle(cl_server *s)
{
    cl_writer *w = s->writer;
    if (!w || !cl_store_log_held(s->store))
        return CL_OK; /* committed already: nothing held */
    pthread_mutex_lock(&w->mu);
    uint64_t mine = ++w->settle_asked;
    pthread_cond_signal(&w->work);
    while (w->settle_done < mine)
        pthread_cond_wait(&w->settled, &w->mu);
    int rc = w->settle_rc;
    pthread_mutex_unlock(&w->mu);
    return rc;
}
