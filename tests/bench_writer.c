/*
 * bench_writer: caselink-bench --writer-cost N, what the writer does per
 * referral without sockets (bench.c runs it; README "Writer costs").
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "core.h"
#include "harness.h"
#include "store.h"

/* Publish r from who inside t at the fixed bench clock (the daemon's
 * cl_linkfind_publish in a context of its own); err why it failed. */
static int s_publish(cl_txn *t, const cl_match_config *mc, const cl_caller *who,
                     const cl_referral *r, cl_publish_result *out,
                     char err[CL_ERROR_SZ])
{
    cl_op op;
    cl_op_init(&op, t, who, 1700000000);
    int rc = cl_linkfind_publish(&op, mc, r, out);
    return cl_op_result(&op, rc, err);
}

/* --writer-cost N: what the writer does per referral, without sockets:
 * N referrals about people already held, published through the domain
 * library in batches of 64 (each straight into the batch's transaction,
 * one durable commit per batch, as the daemon's group commit does), three
 * times; the
 * least CPU per referral of the three, and the pages written per referral
 * (this process's wchar / 4096); then N about people not yet held, once;
 * then N about people held through the whole publish handler
 * (s_publish_whole: routing, intake, the flag, the audit entry), once.
 * CPU time is steadier than throughput on a shared machine. */
static double s_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t s_self_wchar(void)
{
    char line[128];
    uint64_t v = 0;
    FILE *f = fopen("/proc/self/io", "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "wchar:", 6))
            v = strtoull(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* The configuration the publish handler reads, at the daemon's defaults. */
typedef struct s_handler_cfg {
    cl_match_config match;
    cl_route_config route;
    cl_intake_config intake;
    cl_flag_config flag;
} s_handler_cfg;

/* What the daemon's publish handler does in the writer for one referral
 * (daemon/handle.c, cl_handle_publish_referral, and its audit entry):
 * the natural-idempotency check, linking and storing, routing, the
 * agency reference's row, intake and the flag on the reply. Not here:
 * decoding and validating the request, the idempotency row, the reply.
 * Not inlined, so that callgrind can be told to count it alone
 * (--toggle-collect=s_publish_whole). */
__attribute__((noinline)) static int
s_publish_whole(cl_txn *t, const s_handler_cfg *hc, const cl_caller *who,
                const cl_referral *r, char err[CL_ERROR_SZ])
{
    cl_op op;
    cl_publish_result out;
    cl_feed_event gap;
    uint8_t hash[CL_REFINDEX_HASH];
    memset(&out, 0, sizeof(out));
    cl_op_init(&op, t, who, 1700000000);
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)r->agency_ref,
                       strlen(r->agency_ref), NULL, 0);
    int rc = cl_natural_check(t, who, r, hash, &op.aref, &out, op.err);
    if (rc == CL_ERR_NOT_FOUND)
        rc = cl_linkfind_publish(&op, &hc->match, r, &out);
    if (rc == CL_OK)
        rc = cl_alerts_route_publish(t, &hc->route, who, r, op.now, &out, &gap);
    if (rc == CL_OK)
        rc = cl_natural_record(t, who, r, hash, &op.aref);
    if (rc == CL_OK)
        rc = cl_intake_on_publish(t, &hc->intake, &hc->route, r, out.reference,
                                  op.now);
    if (rc == CL_OK)
        rc = cl_flag_on_publish(&op, &hc->flag, &hc->route, out.reference,
                                &out.flag);
    if (rc == CL_OK)
        rc = cl_audit_append(t, who, "publish_referral", &op.note, CL_STATUS_OK,
                             op.now);
    return cl_op_result(&op, rc, err);
}

int bench_writer_cost(uint64_t n)
{
    enum { PEOPLE = 5000, BATCH = 64 };
    char dir[256];
    uint8_t mk[CL_MASTER_KEY_LEN];
    cl_store *s = NULL;
    cl_txn *t = NULL;
    s_handler_cfg hc;
    cl_match_config_defaults(&hc.match);
    cl_route_config_defaults(&hc.route);
    cl_intake_config_defaults(&hc.intake);
    cl_flag_config_defaults(&hc.flag);
    cl_caller who;
    memset(&who, 0, sizeof(who));
    CL_COPY(who.name, "gp");
    CL_COPY(who.agency, "Oakfield Surgery");
    CL_COPY(who.kind, "gp");
    who.roles = CL_ROLE_PUBLISHER;
    cl_referral *r = calloc(1, sizeof(*r));
    th_tmpdir(dir, sizeof(dir));
    randombytes_buf(mk, sizeof(mk));
    if (cl_store_open(&s, dir, mk, 4ull << 30) != CL_OK)
        return 1;
    uint64_t serial = 0;
    double best = 1e9, pages = 0, fresh = 0, whole = 0, fresh_pages = 0;
    /* -1 loads the people, 0-2 publish about them, 3 about new ones, 4
     * about held ones through the whole handler */
    for (int round = -1; round < 5; round++) {
        uint64_t count = round < 0 ? PEOPLE : n;
        double c0 = s_cpu_now();
        uint64_t w0 = s_self_wchar();
        for (uint64_t i = 0; i < count; i++, serial++) {
            char e[CL_ERROR_SZ] = "";
            cl_publish_result out;
            memset(&out, 0, sizeof(out));
            if (!t && cl_store_begin(&t, s, NULL, true) != CL_OK)
                return 1;
            uint64_t pick = round < 0 ? i : (serial * 2654435761u) % PEOPLE;
            bench_referral(r, round == 3 ? PEOPLE + i : pick, serial);
            if ((round == 4
                     ? s_publish_whole(t, &hc, &who, r, e)
                     : s_publish(t, &hc.match, &who, r, &out, e)) != CL_OK) {
                fprintf(stderr, "bench: publish failed: %s\n", e);
                return 1;
            }
            if ((i + 1) % BATCH == 0 || i + 1 == count)
                if (cl_store_commit(&t) != CL_OK)
                    return 1;
        }
        double cpu = (s_cpu_now() - c0) * 1e6 / (double)count;
        double pg = (double)(s_self_wchar() - w0) / 4096.0 / (double)count;
        if (round == 3) {
            fresh = cpu;
            fresh_pages = pg;
        } else if (round == 4)
            whole = cpu;
        else if (round >= 0 && cpu < best) {
            best = cpu;
            pages = pg;
        }
    }
    printf("writer cost, in-process (%d people held, batches of %d, durable "
           "commits):\n  %.1f us CPU per referral (least of 3 runs of %" PRIu64
           "), %.2f pages written per referral\n"
           "  %.1f us CPU per referral about a person not yet held (one run), "
           "%.2f pages written per referral\n"
           "  %.1f us CPU per referral through the whole publish handler "
           "(routing, intake, flag, audit; one run)\n",
           PEOPLE, BATCH, best, n, pages, fresh, fresh_pages, whole);
    cl_store_close(&s);
    sodium_memzero(mk, sizeof(mk));
    free(r);
    th_sh("rm -rf %s", dir);
    return 0;
}
