/*
 * check: the start-up check of every counted table and index
 * (cl_store_verify), on a thread of its own.
 *
 * The check reads the whole store: every index row authenticated, every
 * counted table's rows added up against its total. It grows with the
 * store: 6 s at 150,000 people and 200,000 referrals here (a 600 MiB
 * file), so a minute or more at a million people, and run before serving
 * it kept every client, and systemd's READY=1, waiting that long. What it
 * finds it only reports (the table, never a person, in the log): the
 * reads themselves refuse a row that does not authenticate and a group
 * whose rows do not add up to its digest, whether the check has run or
 * not. So a store of more than S_FIRST_BYTES is checked beside the
 * serving loop, in a read transaction of its own, at nice +10 like the
 * reader threads, and the log says when it is done and what it found; a
 * smaller one (a fraction of a second) is still checked before serving.
 *
 * No read transaction may be open while the map is resized: every resize
 * (cl_reader_grow) waits for the check to end first, as one waits for a
 * backup's copy; a stop waits for it too (telling systemd it is still
 * stopping: EXTEND_TIMEOUT_USEC), after everything accepted has been
 * answered. The test-only CASELINKD_FAULT_CHECK_GATE names a file the
 * check waits for before it begins (and then it never holds up serving,
 * whatever the store's size); a stop before then drops it.
 */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define S_NICE        10
#define S_FIRST_BYTES (64ull << 20) /* checked before serving: under 1 s */
#define S_GATE_ENV    "CASELINKD_FAULT_CHECK_GATE"

/* The check itself, and its line in the log. */
static void s_verify(cl_server *s)
{
    cl_txn *t = NULL;
    char problem[CL_ERROR_SZ] = "";
    uint64_t t0 = s_mono_us();
    int rc = cl_store_begin(&t, s->store, NULL, false);
    if (rc == CL_OK)
        rc = cl_store_verify(t, problem, sizeof(problem));
    cl_store_abort(&t);
    if (rc == CL_OK)
        cl_log_info("store: every index and counted table checked in %llu ms",
                    (unsigned long long)((s_mono_us() - t0) / 1000));
    else if (rc == CL_ERR_CORRUPT)
        cl_log_err("store: %s: %s (reads that meet it are refused; `caselink "
                   "audit verify` reports it)",
                   cl_strerror(rc), problem);
    else
        cl_log_err("store: cannot check it at start: %s", cl_strerror(rc));
}

static void *s_thread(void *arg)
{
    cl_server *s = arg;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), S_NICE) != 0)
        cl_log_debug("check: cannot lower its priority: %s", strerror(errno));
    while (s->check_gate[0] && access(s->check_gate, F_OK) != 0 &&
           !__atomic_load_n(&s->check_cancel, __ATOMIC_ACQUIRE))
        usleep(5000);
    if (!__atomic_load_n(&s->check_cancel, __ATOMIC_ACQUIRE))
        s_verify(s);
    __atomic_store_n(&s->check_done, true, __ATOMIC_RELEASE);
    return NULL;
}

void cl_check_start(cl_server *s)
{
    const char *gate = getenv(S_GATE_ENV);
    cl_store_stats st;
    s->check_done = s->check_cancel = false;
    if (gate)
        CL_COPY(s->check_gate, gate);
    int e = pthread_create(&s->check_thread, NULL, s_thread, s);
    if (e != 0) {
        cl_log_warn("store: no thread for the start-up check (%s): checking "
                    "before serving",
                    strerror(e));
        s_verify(s);
        return;
    }
    s->check_running = true;
    pthread_setname_np(s->check_thread, "cl-check");
    bool small = cl_store_stats_get(s->store, &st) != CL_OK ||
                 st.used_bytes <= S_FIRST_BYTES;
    if (small && !gate) {
        cl_check_wait(s);
        return;
    }
    cl_log_info("store: %llu MiB, checking every index and counted table "
                "while serving",
                (unsigned long long)(st.used_bytes >> 20));
}

void cl_check_wait(cl_server *s)
{
    if (!s->check_running)
        return;
    pthread_join(s->check_thread, NULL);
    s->check_running = false;
}

void cl_check_stop(cl_server *s)
{
    __atomic_store_n(&s->check_cancel, true, __ATOMIC_RELEASE);
    if (s->check_running && !__atomic_load_n(&s->check_done, __ATOMIC_ACQUIRE))
        cl_log_info("stopping: waiting for the start-up check of the store "
                    "to end (everything accepted is answered already)");
    /* systemd is told each time that the stop is still in progress */
    struct timespec ts;
    while (s->check_running) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 5;
        if (pthread_timedjoin_np(s->check_thread, NULL, &ts) == 0)
            s->check_running = false;
        else
            sd_notify(0, "EXTEND_TIMEOUT_USEC=10000000");
    }
}

bool cl_check_running(cl_server *s)
{
    if (s->check_running && __atomic_load_n(&s->check_done, __ATOMIC_ACQUIRE))
        cl_check_wait(s);
    return s->check_running;
}
