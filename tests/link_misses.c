/*
 * link_misses: where the true pairs a store did not link went. Reads a
 * store that tests/febrl.sh or tests/holdout.sh kept (FEBRL_KEEP,
 * HOLDOUT_KEEP: the state directory, its master key and the truth file
 * of agency, local id and true cluster) and puts every true pair whose
 * two records are on different people in one class:
 *
 *   no shared key        the blocking keys never brought them together
 *   keys over the cap    every key they share holds more than
 *                        CL_BLOCK_CAP records, so it is skipped
 *   names-only key only  they share only a names-alone key, looked up
 *                        only when the stronger keys find nobody
 *   below review         compared, but weighed below the lower threshold
 *   between thresholds   weighed for the review queue
 *   above upper, held    weighed to link, but held back (the no-bridge
 *                        rule, two people matching, a coordinator's
 *                        decision)
 *
 * and counts those of each class that are in the review queue (an open
 * pair between their two people), that weigh at or above the upper
 * threshold (a class other than "above upper, held" then says what a
 * new blocking key could win: those that would link once compared), and
 * that are in the family pattern (cl_match_kin: one family name, the
 * given names or dates plainly different, which the household rules
 * keep apart by design). The weight is the pair's under the
 * weights in use (accepted ones if any), with the other-record-of-one-
 * agency level where it applies and the first record's names' term
 * frequencies, as a rerun weighs it (the --false listing is without
 * them).
 *
 *   caselink-link-misses STATE_DIR MASTER_KEY TRUTH.csv [--pairs|--false]
 *
 * --pairs lists every missed pair with its fields' levels (the records'
 * names and dates: for labelled test data only); --false lists instead
 * every pair of records of different true people that one person holds
 * (the false links), with each record's link reason and the pair's
 * levels. A tool for the people working on linking; not installed.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "link.h"
#include "linkfind_cand.h"
#include "match.h"
#include "matchq.h"
#include "records.h"
#include "store.h"

typedef struct s_rec {
    char agency[CL_AGENCY_SZ];
    long cluster;
    uint64_t rid, pid;
    cl_person p;
    uint8_t k[CL_BLOCK_MAX][CL_BLIND_LEN];
    size_t nk;
    uint32_t weak;
} s_rec;

enum { S_NOKEY, S_OVERCAP, S_WEAK, S_BELOW, S_REVIEW, S_ABOVE, S_CLASSES };

static const char *const s_class[S_CLASSES] = {
    "no shared key", "keys over the cap",  "names-only key only",
    "below review",  "between thresholds", "above upper, held"};

static int s_by_cluster(const void *a, const void *b)
{
    const s_rec *x = a, *y = b;
    return x->cluster < y->cluster ? -1 : x->cluster > y->cluster;
}

static int s_by_person(const void *a, const void *b)
{
    const s_rec *x = a, *y = b;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The true cluster of agency's local id in the truth file, or -1. */
typedef struct s_truth {
    char agency[CL_AGENCY_SZ], local_id[CL_LOCAL_ID_SZ];
    long cluster;
} s_truth;

static size_t s_truth_read(const char *path, s_truth **out)
{
    FILE *f = fopen(path, "r");
    char line[512];
    size_t n = 0, cap = 0;
    *out = NULL;
    if (!f)
        return 0;
    if (!fgets(line, sizeof(line), f)) { /* the header */
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        char *save = NULL, *a = strtok_r(line, ",", &save),
             *l = strtok_r(NULL, ",", &save),
             *c = strtok_r(NULL, ",\r\n", &save);
        if (!a || !l || !c)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            s_truth *nv = realloc(*out, cap * sizeof(**out));
            if (!nv)
                break;
            *out = nv;
        }
        CL_COPY((*out)[n].agency, a);
        CL_COPY((*out)[n].local_id, l);
        (*out)[n++].cluster = atol(c);
    }
    fclose(f);
    return n;
}

/* Which class the missed pair a, b is in. */
static int s_classify(cl_txn *t, const cl_match_config *mc, const s_rec *a,
                      const s_rec *b, double *w, int lv[CL_MATCH_NFIELDS])
{
    bool strong = false, weak = false, usable = false;
    for (size_t x = 0; x < a->nk; x++)
        for (size_t y = 0; y < b->nk; y++) {
            if (memcmp(a->k[x], b->k[y], CL_BLIND_LEN) != 0)
                continue;
            cl_records_ids ids = {.max = CL_BLOCK_CAP + 1};
            int rc = cl_records_lookup_block(t, a->k[x], &ids);
            usable |= rc == CL_OK && ids.n <= CL_BLOCK_CAP;
            free(ids.v);
            if ((a->weak >> x) & 1u)
                weak = true;
            else
                strong = true;
        }
    /* with a's names' frequencies, as a rerun weighs a stored record */
    cl_match_tf tf;
    bool counted =
        cl_linkfind_cand_tf(t, cl_store_of(t), mc, &a->p, true, &tf) == CL_OK;
    *w = cl_match_weigh(mc, &a->p, &b->p, counted ? &tf : NULL, NULL, NULL, lv);
    if (strcmp(a->agency, b->agency) == 0 && a->p.local_id[0] &&
        b->p.local_id[0] && strcmp(a->p.local_id, b->p.local_id) != 0)
        *w += cl_match_level_weight(mc, CL_W_AGENCY_OTHER_RECORD);
    if (!strong && !weak)
        return S_NOKEY;
    if (!usable)
        return S_OVERCAP;
    if (!strong)
        return S_WEAK;
    return *w < mc->lower ? S_BELOW : *w < mc->upper ? S_REVIEW : S_ABOVE;
}

static const char *s_level(int l)
{
    return l >= 0 ? cl_match_weight_name((cl_weight_id)l) : "-";
}

static void s_print_rec(const s_rec *a)
{
    printf("%s %s %s %s %s %s", a->p.given, a->p.family, a->p.dob, a->p.address,
           a->p.postcode, a->p.town);
}

/* Every pair of records of different true people on one person. */
static size_t s_false_pairs(const cl_match_config *mc, s_rec *r, size_t nr,
                            uint8_t *reason)
{
    size_t nf = 0;
    qsort(r, nr, sizeof(*r), s_by_person);
    for (size_t i = 0; i < nr; i++)
        for (size_t j = i + 1; j < nr && r[j].pid == r[i].pid; j++) {
            const s_rec *a = &r[i], *b = &r[j];
            if (a->cluster == b->cluster)
                continue;
            int lv[CL_MATCH_NFIELDS];
            double w = cl_match_weigh(mc, &a->p, &b->p, NULL, NULL, NULL, lv);
            nf++;
            printf("person %" PRIu64 " | ", a->pid);
            s_print_rec(a);
            printf(" (%u) | ", reason[a->rid]);
            s_print_rec(b);
            printf(" (%u) | %.1f %s |", reason[b->rid], w,
                   cl_match_kin(lv) ? "family pattern" : "-");
            for (int k = 0; k < CL_MATCH_NFIELDS; k++)
                printf(" %s", s_level(lv[k]));
            printf("\n");
        }
    return nf;
}

int main(int argc, char **argv)
{
    if (argc < 4 || sodium_init() < 0) {
        fprintf(stderr, "usage: caselink-link-misses STATE_DIR MASTER_KEY "
                        "TRUTH.csv [--pairs]\n");
        return 2;
    }
    bool pairs = argc > 4 && strcmp(argv[4], "--pairs") == 0;
    bool false_pairs = argc > 4 && strcmp(argv[4], "--false") == 0;
    cl_store *st = NULL;
    cl_txn *t = NULL;
    bool next = false;
    char err[256] = "";
    if (cl_store_open_keyfile(&st, argv[1], argv[2], (size_t)1 << 30, &next,
                              err, sizeof(err)) != CL_OK ||
        cl_store_begin(&t, st, NULL, false) != CL_OK) {
        fprintf(stderr, "caselink-link-misses: cannot open %s: %s\n", argv[1],
                err);
        return 1;
    }
    cl_match_config mc;
    bool accepted = false;
    uint64_t nrec = 0, nrev = 0;
    cl_match_config_defaults(&mc);
    s_truth *truth = NULL;
    size_t nt = s_truth_read(argv[3], &truth);
    if (cl_link_weights_load(t, &mc, &accepted) != CL_OK ||
        cl_store_counter(t, "record", &nrec) != CL_OK ||
        cl_store_counter(t, "review", &nrev) != CL_OK || nt == 0) {
        fprintf(stderr, "caselink-link-misses: no weights, records or "
                        "truth\n");
        return 1;
    }
    s_rec *r = calloc(nrec + 1, sizeof(*r));
    uint8_t *reason = calloc(nrec + 1, 1);
    uint64_t(*open)[2] = calloc(nrev + 1, sizeof(*open));
    size_t nr = 0, nq = 0;
    for (uint64_t rid = 1; r && rid <= nrec; rid++) {
        cl_records_record rec;
        if (cl_records_record_get(t, rid, &rec) != CL_OK)
            continue;
        for (size_t i = 0; i < nt; i++)
            if (!strcmp(truth[i].agency, rec.agency) &&
                !strcmp(truth[i].local_id, rec.p.local_id)) {
                s_rec *x = &r[nr++];
                CL_COPY(x->agency, rec.agency);
                x->cluster = truth[i].cluster;
                x->rid = rid;
                x->pid = rec.person_id;
                x->p = rec.p;
                if (reason)
                    reason[rid] = rec.link_reason;
                x->nk = cl_block_keys_tiered(st, &x->p, x->k, CL_BLOCK_MAX,
                                             &x->weak);
                break;
            }
    }
    /* the open review pairs, as the people their records are on now */
    for (uint64_t id = 1; open && id <= nrev; id++) {
        cl_matchq_review q;
        cl_records_record x, y;
        if (cl_matchq_review_get(t, id, &q) == CL_OK && q.status == 0 &&
            cl_records_record_get(t, q.incoming, &x) == CL_OK &&
            cl_records_record_get(t, q.candidate, &y) == CL_OK) {
            open[nq][0] = x.person_id;
            open[nq++][1] = y.person_id;
        }
    }
    if (false_pairs && reason) {
        size_t nf = s_false_pairs(&mc, r, nr, reason);
        printf("false pairs %zu\n", nf);
        nr = 0;
    }
    qsort(r, nr, sizeof(*r), s_by_cluster);
    size_t total = 0, missed = 0, n[S_CLASSES] = {0}, queued[S_CLASSES] = {0};
    size_t linkable[S_CLASSES] = {0}, kin[S_CLASSES] = {0};
    for (size_t i = 0; i < nr; i++)
        for (size_t j = i + 1; j < nr && r[j].cluster == r[i].cluster; j++) {
            const s_rec *a = &r[i], *b = &r[j];
            total++;
            if (a->pid == b->pid)
                continue;
            missed++;
            int lv[CL_MATCH_NFIELDS];
            double w;
            int c = s_classify(t, &mc, a, b, &w, lv);
            bool q = false;
            for (size_t k = 0; k < nq && !q; k++)
                q = (open[k][0] == a->pid && open[k][1] == b->pid) ||
                    (open[k][0] == b->pid && open[k][1] == a->pid);
            n[c]++;
            queued[c] += q;
            linkable[c] += w >= mc.upper;
            kin[c] += cl_match_kin(lv);
            if (pairs)
                printf("%s | %s %s %s %s | %s %s %s %s | %.1f %s%s | %s %s "
                       "%s %s\n",
                       s_class[c], a->p.given, a->p.family, a->p.dob, a->p.town,
                       b->p.given, b->p.family, b->p.dob, b->p.town, w,
                       cl_match_kin(lv) ? "family pattern" : "-",
                       q ? " queued" : "", s_level(lv[0]), s_level(lv[1]),
                       s_level(lv[2]), s_level(lv[7]));
        }
    printf("weights: %s; link at %.1f, review from %.1f\n",
           accepted ? "accepted" : "documented defaults", mc.upper, mc.lower);
    printf("true pairs %zu, on different people %zu:\n", total, missed);
    for (int c = 0; c < S_CLASSES; c++)
        printf("  %-22s %6zu  (in the review queue %zu; weigh to link %zu; "
               "in the family pattern %zu)\n",
               s_class[c], n[c], queued[c], linkable[c], kin[c]);
    if (r)
        sodium_memzero(r, (nrec + 1) * sizeof(*r));
    free(r);
    free(reason);
    free(open);
    free(truth);
    cl_store_abort(&t);
    cl_store_close(&st);
    return 0;
}
