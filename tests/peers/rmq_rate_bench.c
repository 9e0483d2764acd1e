/*
 * rmq_rate_bench.c - durable-ingest benchmark for RabbitMQ using rabbitmq-c
 * (librabbitmq 0.11).
 *
 * Each publisher thread opens its own connection + channel, enables publisher
 * confirms (confirm.select), and publishes persistent (delivery_mode=2)
 * messages of SIZE bytes to a durable queue through the default exchange.  A
 * thread keeps at most WINDOW messages published-but-unconfirmed; it refills
 * the window as soon as basic.ack frames arrive (closed loop), or, with -r,
 * publishes at RATE messages/s across all publishers (open loop, the window
 * still the bound). Ack latency of a message = time basic.ack covering its
 * delivery tag was read by the client - time just before
 * amqp_basic_publish() was called for it.
 *
 * usage: rmq_rate_bench -p PORT -q QUEUE -n TOTAL -c PUBLISHERS -w WINDOW
 *                       [-s SIZE] [-t MAX_SECONDS] [-Q] [-r RATE]
 * (-Q: declare a quorum queue instead of classic; -r 0, the default: closed
 * loop). The queue is deleted and re-declared (durable) before each run;
 * after the run the queue depth is read back (passive declare) to check it
 * equals the number confirmed. It replaces rmq_confirm_bench.c, the issue's
 * closed-loop copy of the same program, whose runs it repeats with no -r.
 */
#define _GNU_SOURCE
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *host = "127.0.0.1";
static int port = 5672;
static const char *qname = "referrals";
static long total = 100000;
static int npub = 1;
static long window_sz = 100;
static int msg_size = 1024;
static double max_seconds = 120.0;
static int quorum = 0;
static double rate = 0; /* -r: total offered msgs/s across publishers (open
                           loop), 0 = closed loop */

static pthread_barrier_t barrier;
static double t_start_global;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die_reply(amqp_rpc_reply_t r, const char *ctx)
{
    if (r.reply_type == AMQP_RESPONSE_NORMAL)
        return;
    fprintf(stderr, "%s: reply_type=%d library_error=%s\n", ctx, r.reply_type,
            amqp_error_string2(r.library_error));
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *m = (amqp_channel_close_t *)r.reply.decoded;
        fprintf(stderr, "  channel close %u: %.*s\n", m->reply_code,
                (int)m->reply_text.len, (char *)m->reply_text.bytes);
    }
    exit(2);
}

static amqp_connection_state_t open_conn(void)
{
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    if (!s || amqp_socket_open(s, host, port) != AMQP_STATUS_OK) {
        fprintf(stderr, "socket open failed\n");
        exit(2);
    }
    die_reply(amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest",
                         "guest"),
              "login");
    amqp_channel_open(c, 1);
    die_reply(amqp_get_rpc_reply(c), "channel.open");
    return c;
}

static void close_conn(amqp_connection_state_t c)
{
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}

typedef struct {
    int id;
    long n;         /* messages this publisher must send */
    long confirmed; /* acked + nacked */
    long nacked;
    double *lat; /* per-message ack latency (s), -1 if none */
    double t_end;
    double cpu_dummy;
} pub_t;

static int is_confirm(const amqp_frame_t *f)
{
    return f->frame_type == AMQP_FRAME_METHOD &&
           (f->payload.method.id == AMQP_BASIC_ACK_METHOD ||
            f->payload.method.id == AMQP_BASIC_NACK_METHOD);
}

/* A publisher confirm (ack or nack, one tag or every tag up to it): the
 * latency of each message it confirms; *low moves past what is done. */
static void on_confirm(pub_t *p, const amqp_frame_t *f, double t, long sent,
                       char *done, const double *tsend, long *low)
{
    uint64_t tag;
    int multiple, nack = f->payload.method.id == AMQP_BASIC_NACK_METHOD;
    if (nack) {
        amqp_basic_nack_t *m = f->payload.method.decoded;
        tag = m->delivery_tag;
        multiple = m->multiple;
    } else {
        amqp_basic_ack_t *m = f->payload.method.decoded;
        tag = m->delivery_tag;
        multiple = m->multiple;
    }
    long idx = (long)tag - 1; /* delivery tags start at 1 */
    long from = multiple ? *low : idx;
    for (long k = from; k <= idx && k < sent; k++) {
        if (!done[k]) {
            done[k] = 1;
            p->lat[k] = t - tsend[k];
            p->confirmed++;
            if (nack)
                p->nacked++;
        }
    }
    while (*low < sent && done[*low])
        (*low)++;
}

static void *publisher(void *arg)
{
    pub_t *p = (pub_t *)arg;
    amqp_connection_state_t c = open_conn();
    amqp_confirm_select(c, 1);
    die_reply(amqp_get_rpc_reply(c), "confirm.select");

    char *body = malloc(msg_size);
    unsigned int seed = 12345u + p->id;
    for (int i = 0; i < msg_size; i++)
        body[i] = 'a' + (rand_r(&seed) % 26);
    double *tsend = malloc(sizeof(double) * p->n);
    char *done = calloc(p->n, 1);
    for (long i = 0; i < p->n; i++)
        p->lat[i] = -1;

    amqp_basic_properties_t props;
    memset(&props, 0, sizeof props);
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
    props.delivery_mode = 2; /* persistent */
    props.content_type = amqp_cstring_bytes("application/octet-stream");
    amqp_bytes_t rk = amqp_cstring_bytes(qname);
    amqp_bytes_t bb = {(size_t)msg_size, body};

    pthread_barrier_wait(&barrier);
    double deadline = t_start_global + max_seconds;
    long sent = 0,
         low = 0; /* low: lowest tag index (0-based) not yet confirmed */
    double interval = rate > 0 ? npub / rate : 0,
           next = t_start_global + interval * p->id / npub;
    while (p->confirmed < p->n) {
        int stop = 0;
        while (sent < p->n && sent - p->confirmed < window_sz) {
            double t = now_s();
            if (t > deadline) {
                stop = 1;
                break;
            }
            if (rate > 0 && t < next)
                break;
            next += interval;
            /* stamp a sequence number into the body so messages differ */
            memcpy(body, &sent, sizeof sent);
            tsend[sent] = t;
            int rc = amqp_basic_publish(c, 1, amqp_empty_bytes, rk, 0, 0,
                                        &props, bb);
            if (rc != AMQP_STATUS_OK) {
                fprintf(stderr, "publish failed: %s\n", amqp_error_string2(rc));
                exit(3);
            }
            sent++;
        }
        if (sent == p->confirmed && (stop || sent == p->n))
            break; /* deadline hit with nothing in flight */
        amqp_frame_t f;
        struct timeval tv = {30, 0};
        if (rate > 0 && sent < p->n) {
            double w = next - now_s();
            if (w < 0)
                w = 0;
            if (w < 30) {
                tv.tv_sec = (long)w;
                tv.tv_usec = (long)((w - (long)w) * 1e6);
            }
        }
        int rc = amqp_simple_wait_frame_noblock(c, &f, &tv);
        if (rc == AMQP_STATUS_TIMEOUT && rate > 0 && (tv.tv_sec < 30))
            continue;
        if (rc == AMQP_STATUS_TIMEOUT) {
            fprintf(stderr,
                    "pub %d: timeout waiting for confirms (sent=%ld "
                    "confirmed=%ld)\n",
                    p->id, sent, p->confirmed);
            exit(4);
        }
        if (rc != AMQP_STATUS_OK) {
            fprintf(stderr, "wait_frame: %s\n", amqp_error_string2(rc));
            exit(4);
        }
        if (is_confirm(&f))
            on_confirm(p, &f, now_s(), sent, done, tsend, &low);
        else if (f.frame_type == AMQP_FRAME_METHOD) {
            fprintf(stderr, "pub %d: unexpected method 0x%08x\n", p->id,
                    f.payload.method.id);
            exit(5);
        }
        amqp_maybe_release_buffers(c);
        (void)stop;
    }
    p->t_end = now_s();
    close_conn(c);
    free(body);
    free(tsend);
    free(done);
    return NULL;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "h:p:q:n:c:w:s:t:Qr:")) != -1) {
        switch (opt) {
        case 'h':
            host = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'q':
            qname = optarg;
            break;
        case 'n':
            total = atol(optarg);
            break;
        case 'c':
            npub = atoi(optarg);
            break;
        case 'w':
            window_sz = atol(optarg);
            break;
        case 's':
            msg_size = atoi(optarg);
            break;
        case 't':
            max_seconds = atof(optarg);
            break;
        case 'Q':
            quorum = 1;
            break;
        case 'r':
            rate = atof(optarg);
            break;
        default:
            fprintf(stderr, "bad args\n");
            return 1;
        }
    }
    /* (re)create the durable queue, empty */
    amqp_connection_state_t ctl = open_conn();
    amqp_queue_delete(ctl, 1, amqp_cstring_bytes(qname), 0, 0);
    die_reply(amqp_get_rpc_reply(ctl), "queue.delete");
    amqp_table_entry_t qe;
    amqp_table_t qargs = amqp_empty_table;
    if (quorum) {
        qe.key = amqp_cstring_bytes("x-queue-type");
        qe.value.kind = AMQP_FIELD_KIND_UTF8;
        qe.value.value.bytes = amqp_cstring_bytes("quorum");
        qargs.num_entries = 1;
        qargs.entries = &qe;
    }
    amqp_queue_declare(ctl, 1, amqp_cstring_bytes(qname), 0, /*durable*/ 1, 0,
                       0, qargs);
    die_reply(amqp_get_rpc_reply(ctl), "queue.declare");

    pub_t *pubs = calloc(npub, sizeof(pub_t));
    pthread_t *th = calloc(npub, sizeof(pthread_t));
    pthread_barrier_init(&barrier, NULL, npub + 1);
    for (int i = 0; i < npub; i++) {
        pubs[i].id = i;
        pubs[i].n = total / npub + (i < total % npub ? 1 : 0);
        pubs[i].lat = malloc(sizeof(double) * pubs[i].n);
        pthread_create(&th[i], NULL, publisher, &pubs[i]);
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    t_start_global = now_s();
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < npub; i++)
        pthread_join(th[i], NULL);
    double t_end = 0;
    for (int i = 0; i < npub; i++)
        if (pubs[i].t_end > t_end)
            t_end = pubs[i].t_end;
    getrusage(RUSAGE_SELF, &ru1);
    double elapsed = t_end - t_start_global;
    double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                 (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;

    long conf = 0, nacks = 0, nl = 0;
    for (int i = 0; i < npub; i++) {
        conf += pubs[i].confirmed;
        nacks += pubs[i].nacked;
    }
    double *all = malloc(sizeof(double) * (conf > 0 ? conf : 1));
    for (int i = 0; i < npub; i++)
        for (long k = 0; k < pubs[i].n; k++)
            if (pubs[i].lat[k] >= 0)
                all[nl++] = pubs[i].lat[k];
    qsort(all, nl, sizeof(double), cmpd);
#define PCT(q) (nl ? all[(long)((q) * (nl - 1) + 0.5)] * 1e3 : -1)
    double mean = 0;
    for (long k = 0; k < nl; k++)
        mean += all[k];
    mean = nl ? mean / nl * 1e3 : -1;

    amqp_queue_declare_ok_t *ok =
        amqp_queue_declare(ctl, 1, amqp_cstring_bytes(qname), /*passive*/ 1, 1,
                           0, 0, amqp_empty_table);
    die_reply(amqp_get_rpc_reply(ctl), "queue.declare passive");
    long depth = ok->message_count;
    close_conn(ctl);

    printf("RESULT offered_rate=%.0f queue=%s type=%s publishers=%d window=%ld "
           "size=%d requested=%ld confirmed=%ld nacked=%ld "
           "queue_depth=%ld elapsed_s=%.3f msgs_per_s=%.0f lat_ms_mean=%.3f "
           "p50=%.3f p90=%.3f p99=%.3f "
           "max=%.3f client_cpu_s=%.2f client_cpu_pct=%.0f\n",
           rate, qname, quorum ? "quorum" : "classic", npub, window_sz,
           msg_size, total, conf, nacks, depth, elapsed, conf / elapsed, mean,
           PCT(0.50), PCT(0.90), PCT(0.99), PCT(1.0), cpu,
           100.0 * cpu / elapsed);
    return (conf == total && nacks == 0) ? 0 : 6;
}
