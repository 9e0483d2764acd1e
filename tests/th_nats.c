/*
 * th_nats: see th_nats.h. Real nats-server processes only.
 */
#include "th_nats.h"

#include "harness.h"

#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("th_nats: free port");
        abort();
    }
    close(fd);
    return ntohs(a.sin_port);
}

void th_nats_start(th_nats *n, int i)
{
    char conf[300], log[300], store[300];
    snprintf(conf, sizeof(conf), "%s/n%d.conf", n->dir, i);
    snprintf(log, sizeof(log), "%s/n%d.log", n->dir, i);
    snprintf(store, sizeof(store), "%s/js%d", n->dir, i);
    FILE *f = fopen(conf, "w");
    if (!f) {
        perror("th_nats: config");
        abort();
    }
    fprintf(f,
            "server_name: n%d\nlisten: 127.0.0.1:%d\nmax_payload: 8MB\n"
            "jetstream { store_dir: \"%s\" }\n"
            "cluster {\n  name: cltest\n  listen: 127.0.0.1:%d\n"
            "  routes: [",
            i, n->port[i], store, n->cport[i]);
    for (int j = 0, first = 1; j < 3; j++)
        if (j != i) {
            fprintf(f, "%snats://127.0.0.1:%d", first ? "" : ", ", n->cport[j]);
            first = 0;
        }
    fprintf(f, "]\n}\n");
    fclose(f);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("th_nats: fork");
        abort();
    }
    if (pid == 0) {
        th_child_guard(parent);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execlp("nats-server", "nats-server", "-c", conf, (char *)NULL);
        _exit(127);
    }
    n->pid[i] = pid;
}

void th_nats_kill(th_nats *n, int i, int sig)
{
    if (!n->pid[i])
        return;
    kill(n->pid[i], sig);
    waitpid(n->pid[i], NULL, 0);
    n->pid[i] = 0;
}

bool th_nats_up(th_nats *n)
{
    memset(n, 0, sizeof(*n));
    th_tmpdir(n->dir, sizeof(n->dir));
    for (int i = 0; i < 3; i++) {
        n->port[i] = s_free_port();
        n->cport[i] = s_free_port();
    }
    for (int i = 0; i < 3; i++)
        th_nats_start(n, i);
    for (int t = 0; t < 300; t++) { /* 30 s */
        for (int i = 0; i < 3; i++) {
            char log[300];
            snprintf(log, sizeof(log), "%s/n%d.log", n->dir, i);
            if (th_file_contains(log, "new metadata leader") ||
                th_file_contains(log, "Self is new JetStream cluster"))
                return true;
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

void th_nats_down(th_nats *n)
{
    for (int i = 0; i < 3; i++)
        th_nats_kill(n, i, SIGTERM);
    if (n->dir[0])
        th_sh("rm -rf %s", n->dir);
}

void th_nats_servers(const th_nats *n, char *out, size_t cap)
{
    snprintf(out, cap,
             "nats://127.0.0.1:%d,nats://127.0.0.1:%d,nats://127.0.0.1:%d",
             n->port[0], n->port[1], n->port[2]);
}

bool th_nats_drop_consumer(const th_nats *n, const char *stream,
                           const char *durable)
{
    char url[64];
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsErrCode jerr = 0;
    bool ok = false;
    for (int i = 0; i < 3 && !ok; i++) {
        snprintf(url, sizeof(url), "nats://127.0.0.1:%d", n->port[i]);
        if (natsConnection_ConnectTo(&nc, url) != NATS_OK)
            continue;
        if (natsConnection_JetStream(&js, nc, NULL) == NATS_OK)
            ok = js_DeleteConsumer(js, stream, durable, NULL, &jerr) == NATS_OK;
        jsCtx_Destroy(js);
        js = NULL;
        natsConnection_Destroy(nc);
        nc = NULL;
    }
    return ok;
}

bool th_nats_publish(const th_nats *n, const char *subject, const uint8_t *data,
                     size_t len)
{
    char url[64];
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    bool ok = false;
    for (int i = 0; i < 3 && !ok; i++) {
        snprintf(url, sizeof(url), "nats://127.0.0.1:%d", n->port[i]);
        if (natsConnection_ConnectTo(&nc, url) != NATS_OK)
            continue;
        if (natsConnection_JetStream(&js, nc, NULL) == NATS_OK)
            ok = js_Publish(&pa, js, subject, data, (int)len, NULL, &jerr) ==
                 NATS_OK;
        jsPubAck_Destroy(pa);
        pa = NULL;
        jsCtx_Destroy(js);
        js = NULL;
        natsConnection_Destroy(nc);
        nc = NULL;
    }
    return ok;
}
