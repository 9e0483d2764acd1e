/*
 * reader: heavy reads off the serving thread (see reader.h).
 *
 * The heavy rows of cl_requests.def (case finding, reports, exports,
 * subject access, audit verify and search, review packs, listings) would
 * hold every other client behind them if they ran in the batch. Instead
 * a small fixed pool of threads takes them from a queue and runs each in
 * a read transaction of its own (the store opens LMDB with MDB_NOTLS),
 * while the serving thread goes on applying and committing batches.
 *
 * A heavy request's life:
 *   1. it is admitted in a batch like any other; once that batch has
 *      committed (so that it reads every write sent before it) it moves
 *      from the batch's slot to a job slot and is queued;
 *   2. a reader thread runs its handler in a read transaction;
 *   3. done, the thread wakes the serving loop (an eventfd): the job's
 *      audit entry joins the next group commit, and only once that has
 *      committed is its reply sent. Nothing personal leaves the daemon
 *      before its audit entry is durable; if that commit fails, the reply
 *      is the batch's error, as for a read in the batch.
 * Replies still go out in order per connection: every reply is an entry
 * of one FIFO (a job's entry waits for the job), and a reply to a
 * connection with an earlier entry in the FIFO is kept there, encoded,
 * until everything before it has gone.
 *
 * The threads run at nice +10: a scan takes the core only when the
 * serving thread does not need it. The map may be resized, and the
 * configuration changed, only with no read transaction open:
 * cl_reader_pause lets running jobs finish and starts no more.
 */
#include "reader.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "item.h"
#include "log.h"

#define S_NICE      10
#define S_STACK     (8u << 20) /* as the serving thread's */
#define S_OUT_MAX   65536      /* replies kept at once, beyond: sent now */
#define S_GATE_POLL 5000       /* µs between looks at the test gate */
#define S_GATE_ENV  "CASELINKD_FAULT_READER_GATE"

/* "continued: " audit entries (20 people each) the readers' jobs add to
 * one group commit, all jobs together: a case finding naming 20,000
 * people needs 1,000 entries and 20,000 index rows, hundreds of
 * milliseconds of commit that every write in the batch would wait for.
 * Its reply waits until the last has committed. */
#define S_AUDIT_MORE 8

enum { J_FREE, J_QUEUED, J_RUNNING, J_DONE, J_BATCH };

typedef struct s_out s_out;

typedef struct s_job {
    s_item it;          /* the request, moved out of its batch slot */
    cl_handler fn;      /* its handler */
    bool audited;       /* READ: an audit entry once done */
    bool busy;          /* in use (the serving thread's view) */
    bool batch;         /* done, in the batch being committed (ditto) */
    int state;          /* J_*, under the mutex once queued */
    uint64_t seq;       /* queue order */
    uint64_t took_us;   /* the handler's time */
    cl_audit_note note; /* who the reply discloses */
    bool noted;         /* note holds the handler's */
    s_out *out;         /* its entry in the FIFO */
    /* its audit entries, over one or more group commits: committed so
     * far, and as the batch being committed leaves them */
    struct s_progress {
        bool first;  /* the first entry */
        size_t more; /* "continued: " entries (cl_audit_append_more) */
        bool all;    /* every one: the reply may go */
    } audit, trying;
    int64_t audit_at; /* the time they all carry */
} s_job;

/* A reply in the order it must go. */
struct s_out {
    s_out *next;
    s_job *job;      /* still being read (NULL: ready) */
    zmq_msg_t route; /* the connection */
    bool delim;
    cl_req_kind kind;
    uint8_t status;
    uint8_t *bytes; /* the encoded reply (NULL: none could be made) */
    size_t len;
};

struct cl_readers {
    cl_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job queued, resume, stop */
    pthread_cond_t idle; /* a running job ended */
    pthread_t th[CL_READERS_MAX];
    unsigned n_th;
    unsigned running;
    bool paused, stop;
    int efd;
    uint64_t seq;
    size_t n_busy;
    char gate[CL_PATH_SZ]; /* tests: jobs wait until this file exists */
    s_job jobs[CL_READERS_JOBS];
    s_out *head, **tail; /* the FIFO */
    size_t n_out;
};

/* --- the threads ---------------------------------------------------------- */

/* The oldest queued job, or NULL. Under the mutex. */
static s_job *s_next(cl_readers *r)
{
    s_job *best = NULL;
    for (size_t i = 0; i < CL_READERS_JOBS; i++) {
        s_job *j = &r->jobs[i];
        if (j->state == J_QUEUED && (!best || j->seq < best->seq))
            best = j;
    }
    return best;
}

/* A test holds the threads at the gate until the file exists: jobs stay
 * queued (not running, so the map may still grow) while light requests
 * must be answered. */
static void s_gate(const cl_readers *r)
{
    while (r->gate[0] && access(r->gate, F_OK) != 0 &&
           !__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
        usleep(S_GATE_POLL);
}

/* Run one job's handler in a read transaction of its own. */
static void s_run(cl_readers *r, s_job *j)
{
    s_item *it = &j->it;
    cl_txn *t = NULL;
    cl_op op;
    uint64_t t0 = s_mono_us();
    memset(&op, 0, sizeof(op));
    int rc = cl_store_begin(&t, r->srv->store, NULL, false);
    if (rc == CL_OK) {
        cl_handle_op_init(&op, r->srv, it, t);
        it->rep.kind = it->req.kind;
        rc = j->fn(&op, &it->req, &it->rep);
    }
    cl_store_abort(&t);
    j->noted = !cl_handle_fatal(rc);
    if (j->noted)
        j->note = op.note; /* the job owns what it holds past 20 people */
    else
        cl_audit_note_free(&op.note);
    if (cl_handle_fatal(rc))
        cl_item_fail(it, rc == CL_ERR_FULL ? CL_ERR_BUSY : rc,
                     cl_handle_fatal_why(rc, false));
    else if (rc != CL_OK && j->audited)
        cl_item_fail(it, rc, op.err); /* ADMIN handlers answer themselves */
    cl_item_refusal_path(it);
    /* A result is encoded (and freed) here, not on the serving thread:
     * a large one takes milliseconds. The status stays for the audit; a
     * refusal is small and keeps its text for the log. */
    if (it->rep.status == CL_STATUS_OK) {
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
        if (cl_wire_encode_reply(&it->out, &it->out_len, &it->rep) == CL_OK) {
            cl_reply_clear(&it->rep);
            it->rep.kind = it->req.kind;
        } else {
            cl_item_fail(it, CL_ERR_NOMEM, NULL);
        }
    }
    j->took_us = s_mono_us() - t0;
}

static void *s_thread(void *arg)
{
    cl_readers *r = arg;
    /* this thread only (Linux: a thread's nice is its own) */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), S_NICE) != 0)
        cl_log_debug("reader: cannot lower its priority: %s", strerror(errno));
    s_gate(r);
    pthread_mutex_lock(&r->mu);
    for (;;) {
        s_job *j = NULL;
        while (!r->stop && (r->paused || !(j = s_next(r))))
            pthread_cond_wait(&r->work, &r->mu);
        if (r->stop)
            break;
        j->state = J_RUNNING;
        r->running++;
        pthread_mutex_unlock(&r->mu);
        s_run(r, j);
        pthread_mutex_lock(&r->mu);
        j->state = J_DONE;
        r->running--;
        pthread_cond_broadcast(&r->idle);
        uint64_t one = 1;
        if (write(r->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
            cl_log_err("reader: cannot wake the serving loop: %s",
                       strerror(errno));
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int cl_reader_start(cl_readers **out, cl_server *s, char *err, size_t err_len)
{
    *out = NULL;
    if (!s->cfg.readers)
        return CL_OK;
    cl_readers *r = calloc(1, sizeof(*r));
    if (!r)
        return CL_ERR_NOMEM;
    r->srv = s;
    r->tail = &r->head;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->work, NULL);
    pthread_cond_init(&r->idle, NULL);
    const char *gate = getenv(S_GATE_ENV);
    if (gate)
        CL_COPY(r->gate, gate);
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->efd < 0) {
        snprintf(err, err_len, "eventfd: %s", strerror(errno));
        cl_reader_stop(&r);
        return CL_ERR_IO;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, S_STACK);
    for (; r->n_th < s->cfg.readers && r->n_th < CL_READERS_MAX; r->n_th++) {
        int e = pthread_create(&r->th[r->n_th], &attr, s_thread, r);
        if (e != 0) {
            pthread_attr_destroy(&attr);
            snprintf(err, err_len, "reader thread: %s", strerror(e));
            cl_reader_stop(&r);
            return CL_ERR_IO;
        }
    }
    pthread_attr_destroy(&attr);
    *out = r;
    return CL_OK;
}

void cl_reader_stop(cl_readers **rp)
{
    if (!rp || !*rp)
        return;
    cl_readers *r = *rp;
    pthread_mutex_lock(&r->mu);
    __atomic_store_n(&r->stop, true, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->mu);
    for (unsigned i = 0; i < r->n_th; i++)
        pthread_join(r->th[i], NULL);
    for (size_t i = 0; i < CL_READERS_JOBS; i++)
        if (r->jobs[i].busy)
            cl_item_release(&r->jobs[i].it);
    while (r->head) {
        s_out *o = r->head;
        r->head = o->next;
        zmq_msg_close(&o->route);
        free(o->bytes);
        free(o);
    }
    if (r->efd >= 0)
        close(r->efd);
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->idle);
    pthread_mutex_destroy(&r->mu);
    free(r);
    *rp = NULL;
}

int cl_reader_fd(const cl_readers *r)
{
    return r ? r->efd : -1;
}

void cl_reader_wake(cl_readers *r)
{
    uint64_t n;
    while (r && read(r->efd, &n, sizeof(n)) == (ssize_t)sizeof(n))
        ;
}

void cl_reader_pause(cl_readers *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->paused = true;
    while (r->running)
        pthread_cond_wait(&r->idle, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

void cl_reader_resume(cl_readers *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->paused = false;
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->mu);
}

int cl_reader_grow(cl_server *s)
{
    cl_check_wait(s); /* the start-up check's transaction too */
    cl_reader_pause(s->readers);
    int rc = cl_store_grow(s->store, s->cfg.map_max_bytes);
    cl_reader_resume(s->readers);
    return rc;
}

/* --- the serving thread's side -------------------------------------------- */

void cl_reader_inflight(const cl_readers *r, const char *key, uint32_t *all,
                        uint32_t *heavy)
{
    *all = *heavy = 0;
    for (size_t i = 0; r && i < CL_READERS_JOBS; i++) {
        const s_job *j = &r->jobs[i];
        if (j->busy && !strcmp(j->it.key, key)) {
            (*all)++;
            *heavy += cl_access_heavy(j->it.req.kind);
        }
    }
}

size_t cl_reader_free(const cl_readers *r)
{
    return r ? CL_READERS_JOBS - r->n_busy : 0;
}

bool cl_reader_pending(const cl_readers *r)
{
    return r && (r->n_busy || r->head);
}

static void s_append(cl_readers *r, s_out *o)
{
    o->next = NULL;
    *r->tail = o;
    r->tail = &o->next;
    r->n_out++;
}

bool cl_reader_submit(cl_readers *r, s_item *it, cl_handler fn, bool audited)
{
    s_job *j = NULL;
    for (size_t i = 0; r && i < CL_READERS_JOBS && !j; i++)
        if (!r->jobs[i].busy)
            j = &r->jobs[i];
    s_out *o = j ? calloc(1, sizeof(*o)) : NULL;
    if (!o) {
        cl_item_fail(it, CL_ERR_BUSY,
                     "the daemon is busy with other reads: retry shortly");
        return false;
    }
    /* The slot's request and reply move here; its route to the FIFO. */
    memcpy(&j->it, it, sizeof(*it));
    j->it.who = it->who ? &j->it.caller : NULL;
    zmq_msg_init(&o->route);
    zmq_msg_move(&o->route, &it->route);
    zmq_msg_init(&j->it.route);
    memset(&it->rep, 0, sizeof(it->rep));
    it->out = NULL;
    o->delim = it->has_delim;
    o->kind = it->req.kind;
    o->job = j;
    j->out = o;
    j->fn = fn;
    j->audited = audited;
    j->noted = false;
    memset(&j->audit, 0, sizeof(j->audit));
    j->audit.all = !audited;
    j->trying = j->audit;
    j->busy = true;
    r->n_busy++;
    s_append(r, o);
    pthread_mutex_lock(&r->mu);
    j->seq = ++r->seq;
    j->state = J_QUEUED;
    pthread_cond_signal(&r->work);
    pthread_mutex_unlock(&r->mu);
    return true;
}

size_t cl_reader_collect(cl_readers *r, size_t *done)
{
    size_t n = 0;
    *done = 0;
    if (!r)
        return 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < CL_READERS_JOBS; i++) {
        s_job *j = &r->jobs[i];
        if (j->state == J_DONE) {
            j->state = J_BATCH;
            j->batch = true;
            (*done)++;
        }
        n += j->busy && j->batch && !j->audit.all;
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

bool cl_reader_auditing(const cl_readers *r)
{
    for (size_t i = 0; r && i < CL_READERS_JOBS; i++)
        if (r->jobs[i].busy && r->jobs[i].batch && !r->jobs[i].audit.all)
            return true;
    return false;
}

/* One job's audit entries in t: the first, then continued ones while
 * *budget lasts; j->trying says how far that got. */
static int s_audit_job(cl_readers *r, cl_txn *t, s_job *j, size_t *budget)
{
    s_item *it = &j->it;
    j->trying = j->audit;
    int rc = CL_OK;
    if (!j->audit.first) {
        cl_audit_note first = j->note;
        first.more = NULL;
        first.n_more = first.cap_more = 0;
        it->break_glass_seq = 0;
        j->audit_at = s_now();
        rc = cl_item_audit(r->srv, t, it, j->noted ? &first : NULL);
        j->trying.first = true;
        j->trying.all = !j->noted || !j->note.n_more;
    }
    if (rc == CL_OK && !j->trying.all && *budget) {
        size_t before = j->trying.more;
        rc =
            cl_audit_append_more(t, it->who, cl_wire_kind_name(it->req.kind),
                                 &j->note, (uint8_t)it->rep.status, j->audit_at,
                                 &j->trying.more, *budget, &j->trying.all);
        *budget -= j->trying.more - before;
    }
    return rc;
}

/* Run by the writer thread on the batch's jobs (J_BATCH: no reader
 * touches them, nor does the serving thread until the batch is over). */
int cl_reader_audit(cl_readers *r, cl_txn *t)
{
    int rc = CL_OK;
    size_t budget = S_AUDIT_MORE;
    for (size_t i = 0; r && i < CL_READERS_JOBS && rc == CL_OK; i++) {
        s_job *j = &r->jobs[i];
        if (j->busy && j->batch && !j->audit.all)
            rc = s_audit_job(r, t, j, &budget);
    }
    return rc;
}

/* Send every entry of the FIFO that nothing earlier to its connection
 * still waits for. */
static void s_flush(cl_readers *r)
{
    zmq_msg_t *waiting[CL_READERS_JOBS];
    size_t n_waiting = 0;
    s_out **pp = &r->head;
    while (*pp) {
        s_out *o = *pp;
        bool blocked = false;
        for (size_t i = 0; i < n_waiting && !blocked; i++)
            blocked = s_same_route(waiting[i], &o->route);
        if (o->job || blocked) {
            if (o->job && !blocked && n_waiting < CL_READERS_JOBS)
                waiting[n_waiting++] = &o->route;
            pp = &o->next;
            continue;
        }
        if (o->bytes)
            cl_item_send_encoded(r->srv, &o->route, o->delim, o->kind,
                                 o->status, o->bytes, o->len);
        *pp = o->next;
        r->n_out--;
        zmq_msg_close(&o->route);
        free(o);
    }
    r->tail = pp;
}

/* A job's reply, encoded into its FIFO entry; the job slot is free. */
static void s_finish(cl_readers *r, s_job *j)
{
    s_item *it = &j->it;
    s_out *o = j->out;
    if (!it->out)
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    if (!it->out && cl_wire_encode_reply(&it->out, &it->out_len, &it->rep))
        cl_log_err("cannot encode a reply: out of memory");
    o->bytes = it->out;
    o->len = it->out_len;
    o->status = (uint8_t)it->rep.status;
    it->out = NULL;
    o->job = NULL;
    cl_item_release(it);
    cl_audit_note_free(&j->note);
    pthread_mutex_lock(&r->mu);
    j->state = J_FREE;
    pthread_mutex_unlock(&r->mu);
    j->busy = j->batch = false;
    r->n_busy--;
}

void cl_reader_settle(cl_readers *r, int rc, int as, const char *msg)
{
    if (!r)
        return;
    for (size_t i = 0; i < CL_READERS_JOBS; i++) {
        s_job *j = &r->jobs[i];
        if (!j->busy || !j->batch)
            continue;
        if (rc == CL_OK && !j->audit.all) {
            j->audit = j->trying; /* committed */
            if (!j->audit.all)
                continue; /* more entries in the next commit */
        }
        s_item *it = &j->it;
        if (rc != CL_OK && j->audited)
            cl_item_fail(it, as, msg); /* not every entry: not disclosed */
        const char *kind = cl_wire_kind_name(it->req.kind);
        const char *client = it->who ? it->who->name : "-";
        if (rc == CL_OK && it->break_glass_seq)
            cl_log_warn("break-glass: client=%s kind=%s audit entry %" PRIu64
                        " (auditors told)",
                        client, kind, it->break_glass_seq);
        if (it->rep.status != CL_STATUS_OK)
            cl_log_refused(client, kind, cl_status_name(it->rep.status),
                           it->rep.error, &it->req);
        if (j->took_us / 1000 >= r->srv->cfg.slow_commit_ms)
            cl_log_warn("slow read: %s for client=%s took %llu ms on a "
                        "reader thread (other requests were served "
                        "meanwhile)",
                        kind, client, (unsigned long long)(j->took_us / 1000));
        s_finish(r, j);
    }
    s_flush(r);
}

bool cl_reader_hold(cl_readers *r, s_item *it)
{
    if (!r || !r->head || it->deferred)
        return false;
    bool waiting = false;
    for (s_out *o = r->head; o && !waiting; o = o->next)
        waiting = s_same_route(&o->route, &it->route);
    if (!waiting)
        return false;
    s_out *o = r->n_out < S_OUT_MAX ? calloc(1, sizeof(*o)) : NULL;
    if (!o) {
        cl_log_warn("reply to client=%s sent ahead of an earlier one still "
                    "being read: %zu replies are waiting already",
                    it->who ? it->who->name : "-", r->n_out);
        return false;
    }
    if (!it->out) {
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
        if (cl_wire_encode_reply(&it->out, &it->out_len, &it->rep) != CL_OK)
            cl_log_err("cannot encode a reply: out of memory");
    }
    zmq_msg_init(&o->route);
    zmq_msg_move(&o->route, &it->route);
    o->delim = it->has_delim;
    o->kind = it->req.kind;
    o->status = (uint8_t)it->rep.status;
    o->bytes = it->out;
    o->len = it->out_len;
    it->out = NULL;
    it->out_len = 0;
    s_append(r, o);
    return true;
}
