/*
 * caselinkd: the caselink daemon. Parses the command line, loads the
 * configuration, blocks signals (they are read through a signalfd), turns
 * off core dumps, and hands over to the server. Everything else lives in the
 * modules it calls.
 */
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "devmode.h"
#include "keyfile.h"
#include "log.h"
#include "pidlock.h"
#include "registry.h"
#include "reindex.h"
#include "server.h"
#include "store.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: caselinkd [--config FILE] [--standby] [--check-config]\n"
               "       caselinkd [--config FILE | --dev DIR] --rekey-indexes\n"
               "       caselinkd --dev DIR\n"
               "\n"
               "  -c, --config FILE   configuration file "
               "(default /etc/caselink/caselinkd.conf)\n"
               "      --standby       follow the [replication] stream and "
               "apply it; answer only\n"
               "                      health and stats until promoted "
               "(caselink admin promote)\n"
               "      --check-config  validate the configuration, keys and "
               "registry, then exit\n"
               "      --dev DIR       development mode: create keys, a demo "
               "registry, a master\n"
               "                      key and a store under DIR (kept if "
               "present) and serve on\n"
               "                      ipc://DIR/caselinkd.sock\n"
               "      --rekey-indexes move the store's index keys to a new "
               "generation (after\n"
               "                      admin rotate-master; the daemon "
               "stopped), then exit\n"
               "  -h, --help          this text\n");
}

/* --check-config beside a running daemon: what can be read without
 * opening its store or its endpoint (either would disturb it). */
static int s_check_beside(const cl_config *cfg, const char *config, long holder)
{
    char err[1024], pub[CL_Z85_KEY_SZ], sec[CL_Z85_KEY_SZ];
    cl_registry *r = NULL;
    uint8_t *mk = sodium_malloc(CL_MASTER_KEY_LEN);
    int rc = mk ? CL_OK : CL_ERR_NOMEM;
    if (rc == CL_OK)
        rc = cl_registry_load(&r, cfg->registry, err, sizeof(err));
    cl_registry_destroy(&r);
    if (rc == CL_OK)
        rc = cl_keyfile_read(cfg->server_key, pub, sec, err, sizeof(err));
    sodium_memzero(sec, sizeof(sec));
    if (rc == CL_OK)
        rc = cl_store_key_load(mk, cfg->master_key, err, sizeof(err));
    sodium_free(mk);
    if (rc != CL_OK) {
        cl_log_err("%s", err);
        return 1;
    }
    printf("%s: configuration, keys and registry are valid; the store was "
           "not checked: caselinkd (pid %ld) is serving it\n",
           config, holder);
    return 0;
}

/* --check-config with no daemon running, after the store opened: the
 * endpoint can be bound (then is let go). NATS is not contacted: a check
 * must not join the replication stream nor fence anyone out of it. */
static int s_check_endpoint(const cl_config *cfg, const char *config)
{
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    int linger = 0, rc = 1;
    if (sock) {
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
        rc = zmq_bind(sock, cfg->endpoint) == 0 ? 0 : 1;
    }
    if (rc != 0)
        cl_log_err("endpoint %s: cannot bind it: %s", cfg->endpoint,
                   zmq_strerror(errno));
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    if (rc != 0)
        return 1;
    printf("%s: configuration, keys, registry, store and endpoint are "
           "valid%s\n",
           config,
           cfg->repl.servers[0] ? "; NATS was not contacted (a check joins "
                                  "no replication stream)"
                                : "");
    return 0;
}

/* One daemon per state directory (pidlock.h): the lock, held until exit,
 * or the reason it cannot be had. *busy_pid: the daemon holding it. */
static int s_lock(const cl_config *cfg, int *fd, long *busy_pid)
{
    char err[512] = "";
    int rc = cl_pidlock_take(cfg->state_dir, fd, busy_pid, err, sizeof(err));
    if (rc == CL_OK && err[0])
        cl_log_warn("%s", err);
    else if (rc == CL_ERR_PERM)
        cl_log_err("cannot start: store %s: cannot write there (permissions, "
                   "or a read-only file system); nothing can be stored (%s)",
                   cfg->state_dir, err);
    else if (rc == CL_ERR_IO)
        cl_log_err("cannot start: store %s: cannot open it (does the "
                   "directory exist?) (%s)",
                   cfg->state_dir, err);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'k'},
        {"standby", no_argument, NULL, 's'},
        {"dev", required_argument, NULL, 'd'},
        {"rekey-indexes", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    char config[4096] = "/etc/caselink/caselinkd.conf";
    char err[1024];
    const char *dev = NULL;
    bool check = false, standby = false, rekey = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            snprintf(config, sizeof(config), "%s", optarg);
            break;
        case 'k':
            check = true;
            break;
        case 's':
            standby = true;
            break;
        case 'd':
            dev = optarg;
            break;
        case 'r':
            rekey = true;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        s_usage(stderr);
        return 2;
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (sodium_init() < 0) {
        cl_log_err("libsodium failed to initialise");
        return 1;
    }
    if (dev && cl_devmode_prepare(dev, config, sizeof(config), err,
                                  sizeof(err)) != CL_OK) {
        cl_log_err("development mode: %s", err);
        return 1;
    }

    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.standby = standby;
    if (cl_config_load(&cfg, config, err, sizeof(err)) != CL_OK) {
        cl_log_err("%s", err);
        return 1;
    }
    cl_log_set_level(cfg.log_level);
    int lock_fd = -1;
    long holder = 0;
    int lrc = s_lock(&cfg, &lock_fd, &holder);
    if (lrc == CL_ERR_BUSY && check)
        return s_check_beside(&cfg, config, holder);
    if (lrc == CL_ERR_BUSY) {
        cl_log_err("cannot start: caselinkd is running on the store %s "
                   "already (pid %ld); two daemons on one store would break "
                   "it: stop that one first (systemctl stop caselinkd)",
                   cfg.state_dir, holder);
        return 1;
    }
    if (lrc != CL_OK)
        return 1;
    if (rekey) {
        if (cl_reindex_run(&cfg, err, sizeof(err)) != CL_OK) {
            cl_log_err("rekey-indexes: %s", err);
            return 1;
        }
        return 0;
    }

    /* Signals are read from a signalfd; block them before libzmq starts its
     * threads so that they inherit the mask. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    cfg.check_only = check;
    cl_server *srv = NULL;
    if (cl_server_open(&srv, &cfg, err, sizeof(err)) != CL_OK) {
        cl_log_err("cannot start: %s", err);
        return 1;
    }
    if (check) {
        cl_server_close(&srv);
        return s_check_endpoint(&cfg, config);
    }
    int rc = cl_server_run(srv);
    cl_server_close(&srv);
    return rc == CL_OK ? 0 : 1;
}
