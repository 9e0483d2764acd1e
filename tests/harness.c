/*
 * harness: see harness.h. Uses real processes, sockets and files only.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "keyfile.h"

#ifndef CL_CASELINKD
#error "CL_CASELINKD must name the daemon binary"
#endif

static void s_die(const char *what)
{
    fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
    abort();
}

/* Every folder th_tmpdir made, removed when the test program exits
 * normally (a failed assertion aborts and leaves them for a look;
 * CL_TEST_KEEP=1 keeps them always). Only the process that made a folder
 * removes it: a forked child that exits must not take its parent's. */
static struct {
    char (*path)[64];
    size_t n, cap;
    pid_t owner;
} s_dirs;

static int s_rm_one(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void s_rm_dirs(void)
{
    if (getpid() != s_dirs.owner || getenv("CL_TEST_KEEP"))
        return;
    for (size_t i = 0; i < s_dirs.n; i++)
        nftw(s_dirs.path[i], s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(s_dirs.path);
    s_dirs.path = NULL;
    s_dirs.n = s_dirs.cap = 0;
}

static void s_remember_dir(const char *dir)
{
    if (s_dirs.owner != getpid()) { /* first folder of this process */
        s_dirs.owner = getpid();
        s_dirs.n = 0;
        atexit(s_rm_dirs);
    }
    if (s_dirs.n == s_dirs.cap) {
        size_t cap = s_dirs.cap ? 2 * s_dirs.cap : 32;
        void *p = realloc(s_dirs.path, cap * sizeof(*s_dirs.path));
        if (!p)
            s_die("realloc");
        s_dirs.path = p;
        s_dirs.cap = cap;
    }
    snprintf(s_dirs.path[s_dirs.n++], sizeof(*s_dirs.path), "%s", dir);
}

void th_tmpdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/cltest.XXXXXX");
    if (!mkdtemp(out))
        s_die("mkdtemp");
    s_remember_dir(out);
}

int th_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void th_child_guard(pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127); /* the test is gone already: start nothing */
}

static pid_t s_spawn(th_daemon *d, bool check)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        s_die("fork");
    if (pid == 0) {
        th_child_guard(parent);
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        char conf[300];
        snprintf(conf, sizeof(conf), "%s/caselinkd.conf", d->dir);
        if (check)
            execl(CL_CASELINKD, "caselinkd", "--dev", d->dir, "--check-config",
                  (char *)NULL);
        else if (access(conf, F_OK) == 0)
            execl(CL_CASELINKD, "caselinkd", "--config", conf, (char *)NULL);
        else
            execl(CL_CASELINKD, "caselinkd", "--dev", d->dir, (char *)NULL);
        _exit(127);
    }
    return pid;
}

void th_start(th_daemon *d, const char *extra_conf)
{
    if (!d->dir[0])
        th_tmpdir(d->dir, sizeof(d->dir));
    snprintf(d->log, sizeof(d->log), "%s/daemon.log", d->dir);
    char conf[300];
    snprintf(conf, sizeof(conf), "%s/caselinkd.conf", d->dir);
    if (access(conf, F_OK) != 0) {
        pid_t p = s_spawn(d, true); /* creates keys, registry, config */
        int st;
        waitpid(p, &st, 0);
    }
    if (extra_conf) {
        FILE *f = fopen(conf, "a");
        if (!f)
            s_die("append config");
        fputs(extra_conf, f);
        fclose(f);
    }
    d->pid = s_spawn(d, false);
    /* Wait until it answers. */
    for (int i = 0; i < 200; i++) {
        cl_client *c = th_client_keys(d, NULL, 200);
        cl_request req;
        cl_reply rep;
        memset(&req, 0, sizeof(req));
        req.kind = CL_REQ_HEALTH;
        int rc = cl_client_call(c, &req, &rep);
        cl_reply_clear(&rep);
        cl_client_close(&c);
        if (rc == CL_OK)
            return;
        if (rc == CL_ERR_UNREACHABLE) { /* not bound yet: said at once */
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
        int st;
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            fprintf(stderr, "harness: caselinkd exited early; log:\n");
            th_sh("cat %s >&2", d->log);
            abort();
        }
    }
    fprintf(stderr, "harness: caselinkd did not answer\n");
    abort();
}

int th_stop(th_daemon *d, int sig)
{
    int st = 0;
    if (!d->pid)
        return -1;
    kill(d->pid, sig);
    waitpid(d->pid, &st, 0);
    d->pid = 0;
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

cl_client *th_client_keys(const th_daemon *d, const char *key_file,
                          int timeout_ms)
{
    return th_client_user(d, key_file, timeout_ms, NULL);
}

cl_client *th_client_user(const th_daemon *d, const char *key_file,
                          int timeout_ms, const cl_user *user)
{
    char ep[300], spub[300], key[300], err[512];
    snprintf(ep, sizeof(ep), "ipc://%s/caselinkd.sock", d->dir);
    snprintf(spub, sizeof(spub), "%s/keys/server.pub", d->dir);
    snprintf(key, sizeof(key), "%s/keys/operator.key", d->dir);
    cl_client_options o = {.endpoint = ep,
                           .server_key = spub,
                           .client_key = key_file ? key_file : key,
                           .timeout_ms = timeout_ms,
                           .attempts = 1,
                           .user = user};
    cl_client *c = NULL;
    if (cl_client_open(&c, &o, err, sizeof(err)) != CL_OK) {
        fprintf(stderr, "harness: %s\n", err);
        abort();
    }
    return c;
}

cl_client *th_client(const th_daemon *d, const char *name)
{
    char key[300];
    cl_user u;
    snprintf(key, sizeof(key), "%s/keys/%s.key", d->dir, name);
    if (!th_user(d, name, &u))
        return th_client_keys(d, key, 5000);
    return th_client_user(d, key, 5000, &u);
}

bool th_user(const th_daemon *d, const char *name, cl_user *out)
{
    char path[300], err[512];
    snprintf(path, sizeof(path), "%s/keys/%s.user", d->dir, name);
    if (access(path, F_OK) != 0)
        return false;
    if (cl_user_load(out, path, err, sizeof(err)) != CL_OK) {
        fprintf(stderr, "harness: %s\n", err);
        abort();
    }
    return true;
}

cl_person th_person(const char *given, const char *family, const char *dob,
                    uint8_t sex, const char *postcode)
{
    cl_person p;
    memset(&p, 0, sizeof(p));
    CL_COPY(p.given, given);
    CL_COPY(p.family, family);
    CL_COPY(p.dob, dob);
    p.sex = sex;
    CL_COPY(p.postcode, postcode);
    return p;
}

cl_request *th_referral(const char *ref, const char *given, const char *family,
                        const char *dob, const char *nhs)
{
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        abort();
    req->kind = CL_REQ_PUBLISH_REFERRAL;
    cl_referral *r = &req->u.publish;
    CL_COPY(r->agency_ref, ref);
    CL_COPY(r->subject.given, given);
    CL_COPY(r->subject.family, family);
    if (dob)
        CL_COPY(r->subject.dob, dob);
    if (nhs)
        CL_COPY(r->subject.nhs, nhs);
    r->category = 4; /* mental health */
    r->risk = 2;
    r->basis = 1;
    r->consent = 1;
    CL_COPY(r->concern, "Concern raised in a test");
    return req;
}

int th_publish(cl_client *c, cl_request *req, char *ref_out)
{
    cl_reply rep;
    int rc = cl_client_call(c, req, &rep);
    if (rc != CL_OK) {
        cl_reply_clear(&rep);
        return -100 + rc;
    }
    int st = (int)rep.status;
    if (ref_out)
        strcpy(ref_out, rep.u.publish.reference);
    cl_reply_clear(&rep);
    return st;
}

int th_view_nhs(cl_client *c, const char *nhs, cl_reply *rep)
{
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        abort();
    req->kind = CL_REQ_GET_PERSON;
    CL_COPY(req->u.get_person.match.nhs, nhs);
    CL_COPY(req->u.get_person.justification, "test: checking the case");
    req->u.get_person.access_reason = 3; /* mdt_preparation */
    int rc = cl_client_call(c, req, rep);
    free(req);
    return rc == CL_OK ? (int)rep->status : -100 + rc;
}

size_t th_referrals_of(const th_daemon *d, const char *nhs)
{
    cl_client *co = th_client(d, "coordinator");
    cl_reply rep;
    int st = th_view_nhs(co, nhs, &rep);
    if (st != CL_STATUS_OK) {
        fprintf(stderr, "harness: the case could not be opened (%d)\n", st);
        abort();
    }
    size_t n = rep.u.person.n_referrals;
    cl_reply_clear(&rep);
    cl_client_close(&co);
    return n;
}

cl_request *th_plan(const char *ref, const char *child_nhs, const char *mum_nhs)
{
    cl_request *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    q->kind = CL_REQ_PUBLISH_PLAN;
    cl_plan *p = &q->u.plan;
    CL_COPY(p->agency_ref, ref);
    CL_COPY(p->child.nhs, child_nhs);
    CL_COPY(p->child.given, "Lily");
    CL_COPY(p->child.family, "Brown");
    CL_COPY(p->child.dob, "2019-06-01");
    p->type = CL_PLAN_CPP;
    p->category = 1;
    CL_COPY(p->start, "2026-01-10");
    CL_COPY(p->authority, TH_AUTHORITY);
    CL_COPY(p->legal_basis, "Children Act 1989 s47");
    p->basis = 1;
    if (mum_nhs) {
        p->n_adults = 1;
        p->adults[0].rel = CL_REL_PARENT;
        CL_COPY(p->adults[0].person.nhs, mum_nhs);
        CL_COPY(p->adults[0].person.given, "Kerry");
        CL_COPY(p->adults[0].person.family, "Brown");
        CL_COPY(p->adults[0].person.dob, "1990-02-03");
    }
    return q;
}

int th_mother_and_child(const th_daemon *d, const char *ref, const char *nhs,
                        const char *kid_nhs)
{
    cl_client *police = th_client(d, "police");
    cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", nhs);
    q->u.publish.n_related = 1;
    q->u.publish.related[0].rel = 1;
    cl_person *k = &q->u.publish.related[0].person;
    CL_COPY(k->given, "Amy");
    CL_COPY(k->family, "Smith");
    CL_COPY(k->dob, "2015-06-01");
    CL_COPY(k->nhs, kid_nhs);
    int st = th_publish(police, q, NULL);
    free(q);
    cl_client_close(&police);
    return st;
}

int th_publish_and_view(const th_daemon *d, const char *ref, const char *nhs,
                        int views)
{
    cl_client *gp = th_client(d, "gp"), *co = th_client(d, "coordinator");
    cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", nhs);
    int st = th_publish(gp, q, NULL);
    for (int i = 0; i < views && st == CL_STATUS_OK; i++) {
        cl_reply rep;
        st = th_view_nhs(co, nhs, &rep);
        if (st >= 0)
            cl_reply_clear(&rep);
    }
    free(q);
    cl_client_close(&gp);
    cl_client_close(&co);
    return st;
}

int th_review(cl_client *co, const char *date, const char *title,
              char mdt[CL_REF_SZ])
{
    cl_request *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    q->kind = CL_REQ_CREATE_REVIEW;
    CL_COPY(q->u.review_new.date, date);
    CL_COPY(q->u.review_new.title, title);
    int st = th_publish(co, q, mdt);
    free(q);
    return st;
}

cl_audit_verify_result th_audit_verify(const th_daemon *d, const char *cp,
                                       int *status)
{
    cl_client *au = th_client(d, "auditor");
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    if (!q)
        abort();
    q->kind = CL_REQ_AUDIT_VERIFY;
    if (cp)
        CL_COPY(q->u.checkpoint, cp);
    int rc = cl_client_call(au, q, &rep);
    *status = rc == CL_OK ? (int)rep.status : -100 + rc;
    cl_audit_verify_result v = rep.u.verify;
    cl_reply_clear(&rep);
    free(q);
    cl_client_close(&au);
    return v;
}

long th_audited(cl_client *au, const char *pid, const char *nhs,
                const char *kind)
{
    cl_request *q = calloc(1, sizeof(*q));
    cl_reply rep;
    long n = -1;
    if (!q)
        abort();
    q->kind = CL_REQ_AUDIT_SEARCH;
    if (pid)
        CL_COPY(q->u.person_ref.person_id, pid);
    else
        CL_COPY(q->u.person_ref.match.nhs, nhs);
    if (cl_client_call(au, q, &rep) == CL_OK && rep.status == CL_STATUS_OK) {
        n = 0;
        for (size_t i = 0; i < rep.u.entries.n; i++)
            n += !strcmp(rep.u.entries.v[i].kind, kind);
    }
    cl_reply_clear(&rep);
    free(q);
    return n;
}

bool th_file_contains(const char *path, const char *s)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    struct stat st;
    bool found = false;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            found = memmem(p, (size_t)st.st_size, s, strlen(s)) != NULL;
            munmap(p, (size_t)st.st_size);
        }
    }
    close(fd);
    return found;
}

int th_setup_daemon(void **state)
{
    th_daemon *d = calloc(1, sizeof(*d));
    if (!d)
        return -1;
    th_start(d, NULL);
    *state = d;
    return 0;
}

int th_teardown_daemon(void **state)
{
    th_daemon *d = *state;
    int rc = d->pid ? th_stop(d, SIGTERM) : 0;
    if (rc != 0)
        fprintf(stderr, "harness: caselinkd exited with %d\n", rc);
    free(d);
    return rc == 0 ? 0 : -1;
}

void *th_raw_socket(const th_daemon *d, void *ctx, const char *key_file,
                    int rcv_ms)
{
    char path[300], spub[CL_Z85_KEY_SZ], pub[CL_Z85_KEY_SZ], sec[CL_Z85_KEY_SZ],
        err[256], ep[300];
    int linger = 0;
    snprintf(path, sizeof(path), "%s/keys/server.pub", d->dir);
    if (cl_keyfile_read(path, spub, NULL, err, sizeof(err)) != CL_OK ||
        cl_keyfile_read(key_file, pub, sec, err, sizeof(err)) != CL_OK) {
        fprintf(stderr, "harness: %s\n", err);
        abort();
    }
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    snprintf(ep, sizeof(ep), "ipc://%s/caselinkd.sock", d->dir);
    if (!s || zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, spub, 40) ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40) ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &rcv_ms, sizeof(rcv_ms)) ||
        zmq_connect(s, ep)) {
        fprintf(stderr, "harness: raw socket: %s\n", zmq_strerror(errno));
        abort();
    }
    return s;
}

cl_health th_health(const th_daemon *d, const char *name)
{
    cl_client *c = th_client(d, name);
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_HEALTH;
    if (cl_client_call(c, &req, &rep) != CL_OK || rep.status != CL_STATUS_OK)
        s_die("health");
    cl_health h = rep.u.health;
    cl_reply_clear(&rep);
    cl_client_close(&c);
    return h;
}
