/*
 * repl: the JetStream stream (see repl.h).
 *
 * libnats gives no expected-last-sequence check for an empty stream
 * (jsPubOptions.ExpectLastSeq = 0 means "do not check"), so the header
 * Nats-Expected-Last-Sequence is set on the message itself, always, 0
 * included: the server compares it with the stream's last sequence.
 */
#include "repl.h"

#include <errno.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_QUEUE_MAX    4096 /* messages fetched but not yet applied */
#define S_FETCH_BATCH  256
#define S_FETCH_WAIT   500 /* ms */
#define S_HDR_NODE     "Caselink-Node"
#define S_HDR_INSTANCE "Caselink-Instance"
#define S_HDR_ENDPOINT "Caselink-Endpoint"
#define S_HDR_KIND     "Caselink-Kind"

struct cl_repl {
    cl_repl_config cfg;
    char subject[CL_REPL_NAME_SZ + 16]; /* caselink.STREAM */
    char durable[CL_REPL_NAME_SZ + 16]; /* caselink-NODE */
    char instance[CL_REPL_INSTANCE_SZ];
    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js;
    /* the follower */
    natsSubscription *sub;
    pthread_t thread;
    bool following;
    atomic_bool stop;
    int efd;
    pthread_mutex_t mu; /* guards queue and problem */
    natsMsg *queue[S_QUEUE_MAX];
    size_t q_head, q_len;
    char problem[256];
};

void cl_repl_config_defaults(cl_repl_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->stream, sizeof(c->stream), "CASELINK");
    if (gethostname(c->node, sizeof(c->node)) != 0 || !c->node[0])
        snprintf(c->node, sizeof(c->node), "caselink");
    c->node[sizeof(c->node) - 1] = '\0';
    c->replicas = 3;
    c->publish_timeout_ms = 2000;
}

const char *cl_repl_instance(const cl_repl *r)
{
    return r->instance;
}

/* Read a password file (no group or other access), without the newline. */
static int s_password(char *out, size_t cap, const char *path, char *err,
                      size_t err_len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, err_len, "[replication] password_file %s: %s", path,
                 strerror(errno));
        return CL_ERR_IO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (st.st_mode & 077) != 0) {
        close(fd);
        snprintf(err, err_len,
                 "[replication] password_file %s must be a regular file "
                 "with mode 0600 or 0400",
                 path);
        return CL_ERR_PERM;
    }
    ssize_t n = read(fd, out, cap - 1);
    close(fd);
    if (n <= 0) {
        snprintf(err, err_len, "[replication] password_file %s is empty", path);
        return CL_ERR_KEY;
    }
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return CL_OK;
}

static int s_connect(cl_repl *r, char *err, size_t err_len)
{
    char list[CL_REPL_SERVERS_SZ];
    const char *urls[16];
    int n = 0;
    char pw[256] = "";
    int rc = CL_ERR_IO;
    natsStatus st;
    snprintf(list, sizeof(list), "%s", r->cfg.servers);
    for (char *save = NULL, *tok = strtok_r(list, ", ", &save); tok && n < 16;
         tok = strtok_r(NULL, ", ", &save))
        urls[n++] = tok;
    if (n == 0) {
        snprintf(err, err_len, "[replication] servers: no server given");
        return CL_ERR_INVALID;
    }
    if ((st = natsOptions_Create(&r->opts)) != NATS_OK)
        goto nats_fail;
    st = natsOptions_SetServers(r->opts, urls, n);
    if (st == NATS_OK)
        st = natsOptions_SetTimeout(r->opts, 2000);
    if (st == NATS_OK)
        st = natsOptions_SetMaxReconnect(r->opts, -1); /* forever */
    if (st == NATS_OK)
        st = natsOptions_SetReconnectWait(r->opts, 250);
    if (st == NATS_OK)
        st = natsOptions_SetName(r->opts, r->cfg.node);
    if (st == NATS_OK && r->cfg.credentials[0])
        st = natsOptions_SetUserCredentialsFromFiles(r->opts,
                                                     r->cfg.credentials, NULL);
    if (st == NATS_OK && r->cfg.user[0]) {
        if (r->cfg.password_file[0] &&
            (rc = s_password(pw, sizeof(pw), r->cfg.password_file, err,
                             err_len)) != CL_OK)
            goto out;
        st = natsOptions_SetUserInfo(r->opts, r->cfg.user, pw);
    }
    if (st != NATS_OK)
        goto nats_fail;
    st = natsConnection_Connect(&r->nc, r->opts);
    if (st != NATS_OK) {
        snprintf(err, err_len, "cannot reach the NATS servers %s: %s",
                 r->cfg.servers, natsStatus_GetText(st));
        rc = st == NATS_CONNECTION_AUTH_FAILED || st == NATS_NOT_PERMITTED
                 ? CL_ERR_DENIED
                 : CL_ERR_IO;
        goto out;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = r->cfg.publish_timeout_ms;
    if ((st = natsConnection_JetStream(&r->js, r->nc, &jo)) != NATS_OK)
        goto nats_fail;
    rc = CL_OK;
    goto out;
nats_fail:
    snprintf(err, err_len, "NATS client: %s", natsStatus_GetText(st));
    rc = CL_ERR_INTERNAL;
out:
    sodium_memzero(pw, sizeof(pw));
    return rc;
}

/* Make sure the stream exists; create it if not. */
static int s_stream(cl_repl *r, char *err, size_t err_len)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_GetStreamInfo(&si, r->js, r->cfg.stream, NULL, &jerr);
    if (st == NATS_OK) {
        if (si->Config && si->Config->Replicas != (int64_t)r->cfg.replicas)
            fprintf(stderr,
                    "caselinkd: warning: stream %s has %lld replicas, the "
                    "configuration asks for %u\n",
                    r->cfg.stream, (long long)si->Config->Replicas,
                    r->cfg.replicas);
        jsStreamInfo_Destroy(si);
        return CL_OK;
    }
    if (jerr != JSStreamNotFoundErr && st != NATS_NOT_FOUND) {
        snprintf(err, err_len, "stream %s: %s (JetStream error %d)",
                 r->cfg.stream, natsStatus_GetText(st), (int)jerr);
        return CL_ERR_IO;
    }
    jsStreamConfig sc;
    const char *subjects[1] = {r->subject};
    jsStreamConfig_Init(&sc);
    sc.Name = r->cfg.stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    sc.Replicas = r->cfg.replicas;
    sc.MaxAge = (int64_t)r->cfg.max_age_days * 86400 * 1000000000LL;
    sc.DenyDelete = true; /* no message is removed but by age or purge */
    st = js_AddStream(&si, r->js, &sc, NULL, &jerr);
    if (st != NATS_OK) {
        snprintf(err, err_len,
                 "cannot create stream %s with %u replicas: %s (JetStream "
                 "error %d)",
                 r->cfg.stream, r->cfg.replicas, natsStatus_GetText(st),
                 (int)jerr);
        return CL_ERR_IO;
    }
    jsStreamInfo_Destroy(si);
    return CL_OK;
}

int cl_repl_open(cl_repl **out, const cl_repl_config *cfg, char *err,
                 size_t err_len)
{
    uint8_t id[16];
    cl_repl *r = calloc(1, sizeof(*r));
    if (!r)
        return CL_ERR_NOMEM;
    r->cfg = *cfg;
    r->efd = -1;
    atomic_init(&r->stop, false);
    pthread_mutex_init(&r->mu, NULL);
    snprintf(r->subject, sizeof(r->subject), "caselink.%s", cfg->stream);
    snprintf(r->durable, sizeof(r->durable), "caselink-%s", cfg->node);
    for (char *p = r->durable; *p; p++)
        if (*p == '.' || *p == '*' || *p == '>' || *p == ' ')
            *p = '_';
    randombytes_buf(id, sizeof(id));
    sodium_bin2hex(r->instance, sizeof(r->instance), id, sizeof(id));
    int rc = s_connect(r, err, err_len);
    if (rc == CL_OK)
        rc = s_stream(r, err, err_len);
    if (rc != CL_OK) {
        cl_repl_close(&r);
        return rc;
    }
    *out = r;
    return CL_OK;
}

void cl_repl_close(cl_repl **rp)
{
    if (!rp || !*rp)
        return;
    cl_repl *r = *rp;
    cl_repl_follow_stop(r);
    jsCtx_Destroy(r->js);
    natsConnection_Destroy(r->nc);
    natsOptions_Destroy(r->opts);
    pthread_mutex_destroy(&r->mu);
    free(r);
    *rp = NULL;
}

static bool s_unreachable(natsStatus st)
{
    return st == NATS_TIMEOUT || st == NATS_NO_RESPONDERS ||
           st == NATS_CONNECTION_CLOSED || st == NATS_CONNECTION_DISCONNECTED ||
           st == NATS_NOT_YET_CONNECTED || st == NATS_IO_ERROR ||
           st == NATS_STALE_CONNECTION;
}

int cl_repl_publish(cl_repl *r, const uint8_t *batch, size_t len,
                    uint64_t expect, bool claim, uint64_t *seq, char *why,
                    size_t why_len)
{
    natsMsg *m = NULL;
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    jsPubOptions po;
    char num[32];
    int rc = CL_ERR_BUSY;
    int64_t maxp = natsConnection_GetMaxPayload(r->nc);
    if (len > INT32_MAX || (maxp > 0 && (int64_t)len > maxp)) {
        snprintf(why, why_len,
                 "a batch of %zu bytes is over the NATS max_payload of %lld: "
                 "raise max_payload or lower [limits] batch_max",
                 len, (long long)maxp);
        return CL_ERR_BUSY;
    }
    natsStatus st =
        natsMsg_Create(&m, r->subject, NULL, (const char *)batch, (int)len);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)expect);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, "Nats-Expected-Last-Sequence", num);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, S_HDR_NODE, r->cfg.node);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, S_HDR_INSTANCE, r->instance);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, S_HDR_ENDPOINT, r->cfg.advertise);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, S_HDR_KIND, claim ? "claim" : "batch");
    if (st != NATS_OK) {
        snprintf(why, why_len, "NATS client: %s", natsStatus_GetText(st));
        rc = CL_ERR_NOMEM;
        goto out;
    }
    jsPubOptions_Init(&po);
    po.MaxWait = r->cfg.publish_timeout_ms;
    st = js_PublishMsg(&pa, r->js, m, &po, &jerr);
    if (st == NATS_OK && pa) {
        *seq = pa->Sequence;
        rc = CL_OK;
    } else if (jerr == JSStreamWrongLastSequenceErr) {
        snprintf(why, why_len, "the stream has moved past sequence %llu",
                 (unsigned long long)expect);
        rc = CL_ERR_EXISTS;
    } else {
        snprintf(
            why, why_len, "%s%s (JetStream error %d)", natsStatus_GetText(st),
            s_unreachable(st) ? ": no quorum or unreachable" : "", (int)jerr);
        rc = CL_ERR_BUSY;
    }
out:
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    return rc;
}

int cl_repl_bounds(cl_repl *r, uint64_t *first, uint64_t *last)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_GetStreamInfo(&si, r->js, r->cfg.stream, NULL, &jerr);
    if (st != NATS_OK)
        return CL_ERR_BUSY;
    *first = si->State.Msgs ? si->State.FirstSeq : 0;
    *last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return CL_OK;
}

static void s_header(natsMsg *m, const char *name, char *out, size_t cap)
{
    const char *v = NULL;
    out[0] = '\0';
    if (natsMsgHeader_Get(m, name, &v) == NATS_OK && v)
        snprintf(out, cap, "%s", v);
}

static void s_fill(cl_repl_msg *out, natsMsg *m, uint64_t seq, int64_t t)
{
    char kind[16];
    memset(out, 0, sizeof(*out));
    out->impl = m;
    out->seq = seq;
    out->time_ns = t;
    out->data = (const uint8_t *)natsMsg_GetData(m);
    out->len = (size_t)natsMsg_GetDataLength(m);
    s_header(m, S_HDR_NODE, out->node, sizeof(out->node));
    s_header(m, S_HDR_INSTANCE, out->instance, sizeof(out->instance));
    s_header(m, S_HDR_ENDPOINT, out->endpoint, sizeof(out->endpoint));
    s_header(m, S_HDR_KIND, kind, sizeof(kind));
    out->claim = strcmp(kind, "claim") == 0;
}

int cl_repl_get(cl_repl *r, uint64_t seq, cl_repl_msg *out)
{
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_GetMsg(&m, r->js, r->cfg.stream, seq, NULL, &jerr);
    if (st != NATS_OK) {
        natsMsg_Destroy(m);
        return jerr == JSNoMessageFoundErr || st == NATS_NOT_FOUND
                   ? CL_ERR_NOT_FOUND
                   : CL_ERR_BUSY;
    }
    s_fill(out, m, natsMsg_GetSequence(m), natsMsg_GetTime(m));
    return CL_OK;
}

void cl_repl_msg_release(cl_repl_msg *m, bool ack)
{
    if (!m || !m->impl)
        return;
    if (ack && natsMsg_Ack(m->impl, NULL) != NATS_OK) {
        /* redelivered later and skipped: it was applied */
    }
    natsMsg_Destroy(m->impl);
    m->impl = NULL;
}

/* --- the follower --------------------------------------------------------- */

static void s_problem(cl_repl *r, const char *what)
{
    pthread_mutex_lock(&r->mu);
    snprintf(r->problem, sizeof(r->problem), "%s", what);
    pthread_mutex_unlock(&r->mu);
}

static void *s_follow_main(void *arg)
{
    cl_repl *r = arg;
    while (!atomic_load(&r->stop)) {
        pthread_mutex_lock(&r->mu);
        size_t room = S_QUEUE_MAX - r->q_len;
        pthread_mutex_unlock(&r->mu);
        if (room < S_FETCH_BATCH) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus st = natsSubscription_Fetch(&list, r->sub, S_FETCH_BATCH,
                                               S_FETCH_WAIT, &jerr);
        if (st == NATS_TIMEOUT) {
            s_problem(r, "");
            continue;
        }
        if (st != NATS_OK) {
            char why[200];
            snprintf(why, sizeof(why), "following the stream: %s",
                     natsStatus_GetText(st));
            s_problem(r, why);
            natsMsgList_Destroy(&list);
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        pthread_mutex_lock(&r->mu);
        r->problem[0] = '\0';
        for (int i = 0; i < list.Count; i++) {
            r->queue[(r->q_head + r->q_len) % S_QUEUE_MAX] = list.Msgs[i];
            r->q_len++;
            list.Msgs[i] = NULL;
        }
        pthread_mutex_unlock(&r->mu);
        natsMsgList_Destroy(&list);
        uint64_t one = 1;
        if (r->efd >= 0 && write(r->efd, &one, sizeof(one)) < 0) {
            /* the counter is full: the main thread has work anyway */
        }
    }
    return NULL;
}

int cl_repl_follow_start(cl_repl *r, uint64_t from, int efd, char *err,
                         size_t err_len)
{
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    natsStatus st;
    if (r->following)
        return CL_OK;
    /* The store says where this node is: the consumer starts there. */
    st = js_DeleteConsumer(r->js, r->cfg.stream, r->durable, NULL, &jerr);
    (void)st; /* absent is fine */
    jsConsumerConfig_Init(&cc);
    cc.Durable = r->durable;
    cc.DeliverPolicy = js_DeliverByStartSequence;
    cc.OptStartSeq = from ? from : 1;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = 30LL * 1000000000LL;
    cc.MaxAckPending = S_QUEUE_MAX;
    cc.FilterSubject = r->subject;
    st = js_AddConsumer(&ci, r->js, r->cfg.stream, &cc, NULL, &jerr);
    if (st != NATS_OK) {
        snprintf(err, err_len, "durable consumer %s on stream %s: %s (%d)",
                 r->durable, r->cfg.stream, natsStatus_GetText(st), (int)jerr);
        return CL_ERR_IO;
    }
    jsConsumerInfo_Destroy(ci);
    jsSubOptions_Init(&so);
    so.Stream = r->cfg.stream;
    so.Consumer = r->durable;
    st = js_PullSubscribe(&r->sub, r->js, r->subject, r->durable, NULL, &so,
                          &jerr);
    if (st != NATS_OK) {
        snprintf(err, err_len, "pull subscription %s: %s (%d)", r->durable,
                 natsStatus_GetText(st), (int)jerr);
        return CL_ERR_IO;
    }
    r->efd = efd;
    atomic_store(&r->stop, false);
    if (pthread_create(&r->thread, NULL, s_follow_main, r) != 0) {
        natsSubscription_Destroy(r->sub);
        r->sub = NULL;
        snprintf(err, err_len, "cannot start the follower thread");
        return CL_ERR_NOMEM;
    }
    r->following = true;
    return CL_OK;
}

size_t cl_repl_follow_take(cl_repl *r, cl_repl_msg *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&r->mu);
    while (n < max && r->q_len) {
        natsMsg *m = r->queue[r->q_head];
        r->q_head = (r->q_head + 1) % S_QUEUE_MAX;
        r->q_len--;
        jsMsgMetaData *md = NULL;
        uint64_t seq = 0;
        int64_t t = 0;
        if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
            seq = md->Sequence.Stream;
            t = md->Timestamp;
            jsMsgMetaData_Destroy(md);
        }
        s_fill(&out[n++], m, seq, t);
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

void cl_repl_follow_stop(cl_repl *r)
{
    if (!r->following)
        return;
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    r->following = false;
    natsSubscription_Destroy(r->sub);
    r->sub = NULL;
    pthread_mutex_lock(&r->mu);
    while (r->q_len) {
        natsMsg_Destroy(r->queue[r->q_head]);
        r->q_head = (r->q_head + 1) % S_QUEUE_MAX;
        r->q_len--;
    }
    pthread_mutex_unlock(&r->mu);
}

void cl_repl_follow_problem(cl_repl *r, char *out, size_t len)
{
    pthread_mutex_lock(&r->mu);
    snprintf(out, len, "%s", r->problem);
    pthread_mutex_unlock(&r->mu);
}
