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

#include "config.h"
#include "devmode.h"
#include "log.h"
#include "reindex.h"
#include "server.h"

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

    cl_server *srv = NULL;
    if (cl_server_open(&srv, &cfg, err, sizeof(err)) != CL_OK) {
        cl_log_err("cannot start: %s", err);
        return 1;
    }
    if (check) {
        printf("%s: configuration, keys, registry and store are valid\n",
               config);
        cl_server_close(&srv);
        return 0;
    }
    int rc = cl_server_run(srv);
    cl_server_close(&srv);
    return rc == CL_OK ? 0 : 1;
}
