/*
 * cli_link: the caselink tool's linking commands: the match-review queue a
 * page at a time, and `link evaluate`, which measures the daemon's linking
 * against a partnership's own labelled sample (a CSV of agency, local id,
 * true cluster) from what a coordinator can already see: every record's
 * person (links export) and every open review pair. The truth file never
 * leaves this process.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "cl_vec.h"
#include "cli_json.h"
#include "csv.h"
#include "ids.h"
#include "pairs.h"
#include "progress.h"

/* --- review list ---------------------------------------------------------- */

static void s_print_item(const cli_conn *cn, const cl_review_item *it)
{
    printf("\n  %s  match weight %.1f, probability %.4f\n", it->id, it->score,
           it->probability);
    if (!strcmp(it->incoming_pid, it->candidate_pid))
        printf("  split proposal: one person now; accept keeps them together, "
               "reject splits the incoming record off\n");
    else if (it->held == CL_HELD_TWO_PEOPLE)
        printf("  held: two people: the incoming record fits %s as well, and "
               "the two are kept\n  apart (one household's members, or a "
               "record too sparse to tell them); linked to neither\n",
               it->held_with);
    else if (it->held == CL_HELD_DECIDED)
        printf("  held: a coordinator decided on a record of one of these "
               "people; not linked on the weight alone\n");
    else if (it->held == CL_HELD_APART)
        printf("  held: the two people's other records do not fit together "
               "(another member of\n  the family, or dates of birth confirmed "
               "apart); not linked on the weight alone\n");
    cli_print_record(cn, "incoming", &it->incoming, it->incoming_pid);
    cli_print_record(cn, "candidate", &it->candidate, it->candidate_pid);
    for (uint32_t k = 0; k < it->n_fields; k++)
        printf("      %-14s %-24s %+6.1f\n", it->fields[k].field,
               it->fields[k].level, it->fields[k].weight);
}

/* Parse a probability option value into *p; false (printed) if not 0..1. */
static bool s_prob(const char *opt, const char *v, double *p)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= 0 && x <= 1)) {
        fprintf(stderr, "caselink: %s must be a probability in 0..1\n", opt);
        return false;
    }
    *p = x;
    return true;
}

typedef struct s_queue_ctx {
    cl_review_query *q;
    bool all; /* --all */
} s_queue_ctx;

/* match list: the page and the filters. */
static int s_queue_opt(void *ctx, const char *o, char **val)
{
    s_queue_ctx *x = ctx;
    cl_review_query *q = x->q;
    bool ok = true;
    if (!o)
        return CLI_EXIT_USAGE;
    if (!strcmp(o, "--all")) {
        x->all = true;
        return 0;
    }
    const char *v = val[0];
    if (!strcmp(o, "--limit") || !strcmp(o, "--page")) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || (o[2] == 'l' && n > CL_REVIEW_PAGE_MAX) ||
            n > 10000000) {
            fprintf(stderr, "caselink: %s must be a number from 1%s\n", o,
                    o[2] == 'l' ? " to 500" : "");
            return CLI_EXIT_USAGE;
        }
        if (o[2] == 'l')
            q->limit = (uint32_t)n;
        else
            q->page = (uint32_t)n;
    } else if (!strcmp(o, "--after")) {
        ok = CL_COPY(q->after, v);
    } else if (!strcmp(o, "--agency")) {
        ok = CL_COPY(q->agency, v);
    } else if (!strcmp(o, "--min-probability")) {
        if (!s_prob(o, v, &q->min_p))
            return CLI_EXIT_USAGE;
    } else if (!strcmp(o, "--max-probability")) {
        if (!s_prob(o, v, &q->max_p))
            return CLI_EXIT_USAGE;
    } else {
        fprintf(stderr, "caselink: review list: unknown option %s\n", o);
        return CLI_EXIT_USAGE;
    }
    if (!ok) {
        fprintf(stderr, "caselink: %s is too long\n", o);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* cl_held as JSON says it. */
static const char *const s_held_names[] = {"", "two_people", "decided",
                                           "apart"};

/* One page of the queue as JSON: the opening and the total on the first
 * page; the caller closes the list. */
static void s_json_queue_page(const cl_review_items *ri, bool first_page)
{
    if (first_page)
        printf("{\"total\":%" PRIu32 ",\"pairs\":[", ri->total);
    for (size_t i = 0; i < ri->n; i++) {
        const cl_review_item *it = &ri->v[i];
        printf("%s{", first_page && !i ? "" : ",");
        cli_jkv("queue_id", it->id, true);
        printf("\"weight\":%.2f,\"probability\":%.6f,", it->score,
               it->probability);
        cli_jkv("held", s_held_names[it->held < 4 ? it->held : 0], true);
        cli_jkv("held_with_person_id", it->held_with, true);
        cli_jtime("queued_at", it->created, true);
        cli_jkv("incoming_person_id", it->incoming_pid, true);
        printf("\"incoming\":");
        cli_json_record(&it->incoming, true);
        printf(",");
        cli_jkv("candidate_person_id", it->candidate_pid, true);
        printf("\"candidate\":");
        cli_json_record(&it->candidate, true);
        printf(",\"fields\":[");
        for (uint32_t k = 0; k < it->n_fields; k++) {
            printf("%s{", k ? "," : "");
            cli_jkv("field", it->fields[k].field, true);
            cli_jkv("level", it->fields[k].level, true);
            printf("\"weight\":%.2f}", it->fields[k].weight);
        }
        printf("]}");
    }
}

/* Why the queue shows nothing, and what would. */
static void s_queue_none(const cl_review_query *q, uint32_t total, size_t first)
{
    if (total && first)
        printf("page %" PRIu32 " is past the last one: the %" PRIu32
               " pair%s fit on earlier pages (leave out --page)\n",
               q->page, total, total == 1 ? "" : "s");
    else if (total && q->after[0])
        printf("nothing after %s: it was the last pair (leave out "
               "--after)\n",
               q->after);
    else if (q->agency[0] || q->min_p > 0 || q->max_p > 0)
        printf("no queued pair has %s%s%s%s; leave %s out to see every "
               "pair\n",
               q->agency[0] ? "a record of " : "", q->agency,
               q->agency[0] && (q->min_p > 0 || q->max_p > 0) ? " and " : "",
               q->min_p > 0 || q->max_p > 0 ? "a match probability in range"
                                            : "",
               q->agency[0] && (q->min_p > 0 || q->max_p > 0) ? "them" : "it");
    else
        printf("nothing waits for a decision: a pair is queued when a new "
               "record matches a person between the lower and the upper "
               "threshold (see caselink link weights)\n");
}

int cli_review_list(cli_conn *cn, int argc, char **argv)
{
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_REVIEW_LIST;
    cl_review_query *q = &req.u.review_q;
    s_queue_ctx x = {.q = q};
    int st = cli_each(cn, argc, argv, 0, s_queue_opt, &x);
    if (st)
        return st;
    bool all = x.all;
    if (all && (q->page || q->after[0])) {
        fprintf(stderr, "caselink: --all lists every page; leave out --page "
                        "and --after\n");
        return CLI_EXIT_USAGE;
    }
    if (all && !q->limit)
        q->limit = CL_REVIEW_PAGE_MAX;
    cl_client *c = NULL;
    int status = cli_connect(cn, "coordinator", &c);
    if (status)
        return status;
    size_t shown = 0;
    uint32_t limit = q->limit ? q->limit : 50;
    size_t first = q->page > 1 ? (size_t)(q->page - 1) * limit : 0;
    for (;;) {
        cl_reply rep;
        memset(req.msgid, 0, CL_MSGID_LEN);
        if ((status = cli_call_on(cn, c, &req, &rep)) != 0)
            break;
        const cl_review_items *ri = &rep.u.reviews;
        if (cn->json) {
            s_json_queue_page(ri, shown == 0);
        } else if (shown == 0) {
            if (ri->n == 0 || all)
                printf("%" PRIu32 " pair%s to review\n", ri->total,
                       ri->total == 1 ? "" : "s");
            else
                printf("%" PRIu32 " pair%s to review; showing %zu, highest "
                       "weight first%s\n",
                       ri->total, ri->total == 1 ? "" : "s", ri->n,
                       q->after[0] ? " after "
                       : first     ? ", from number "
                                   : "");
            if (!all && q->after[0])
                printf("  (after %s)\n", q->after);
            else if (!all && first)
                printf("  (%zu)\n", first + 1);
            if (!ri->n)
                s_queue_none(q, ri->total, first);
        }
        for (size_t i = 0; i < ri->n && !cn->json; i++)
            s_print_item(cn, &ri->v[i]);
        shown += ri->n;
        bool more = ri->next[0] != '\0';
        if (cn->json && (!more || !all))
            printf("],\"next\":\"%s\"}\n", all ? "" : ri->next);
        else if (more && !all)
            printf("\nmore: caselink match list --after %s%s\n", ri->next,
                   q->limit ? "" : " (or --all)");
        CL_COPY(q->after, ri->next);
        q->page = 0;
        cl_reply_clear(&rep);
        if (!more || !all)
            break;
    }
    cl_client_close(&c);
    return status;
}

/* --- link evaluate -------------------------------------------------------- */

/* One labelled record, joined to what the daemon holds. */
typedef struct s_ev {
    char *key;      /* agency \x1f local id (owned) */
    uint32_t truth; /* dense true cluster number */
    uint64_t pid;   /* the daemon's person, 0 if the record is not there */
    uint8_t reason; /* how it was linked */
    double score;   /* the weight it was linked at (score links) */
} s_ev;

typedef struct s_qpair {
    size_t a, b; /* indexes into the truth records */
    double score;
} s_qpair;

static char *s_key(const char *agency, const char *local)
{
    size_t la = strlen(agency), ll = strlen(local);
    char *k = malloc(la + ll + 2);
    if (!k)
        return NULL;
    memcpy(k, agency, la);
    k[la] = '\x1f';
    memcpy(k + la + 1, local, ll + 1);
    return k;
}

static int s_ev_cmp(const void *x, const void *y)
{
    return strcmp(((const s_ev *)x)->key, ((const s_ev *)y)->key);
}

static s_ev *s_find(s_ev *v, size_t n, const char *agency, const char *local)
{
    char *k = s_key(agency, local);
    if (!k)
        return NULL;
    s_ev probe = {.key = k};
    s_ev *hit = bsearch(&probe, v, n, sizeof(*v), s_ev_cmp);
    free(k);
    return hit;
}

/* Trimmed copy of a header name for comparison. */
static void s_trim(char *dst, size_t cap, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

typedef struct s_name {
    char *s;
    size_t idx;
} s_name;

static int s_name_cmp(const void *x, const void *y)
{
    return strcmp(((const s_name *)x)->s, ((const s_name *)y)->s);
}

/* Read the truth file: agency, local_id, cluster (any order, named in a
 * header; spaces around names and values are ignored). */
/* The truth file's header: the columns of agency, local_id and cluster
 * in col; 0, or the exit status (said). */
static int s_truth_header(int col[3], char **fields, size_t n, const char *path)
{
    char name[64];
    for (size_t i = 0; i < n; i++) {
        s_trim(name, sizeof(name), fields[i]);
        if (!strcasecmp(name, "agency"))
            col[0] = (int)i;
        else if (!strcasecmp(name, "local_id"))
            col[1] = (int)i;
        else if (!strcasecmp(name, "cluster") ||
                 !strcasecmp(name, "true_cluster"))
            col[2] = (int)i;
    }
    if (col[0] < 0 || col[1] < 0 || col[2] < 0) {
        fprintf(stderr,
                "%s:1: the header must name agency, local_id and "
                "cluster\n",
                path);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Dense cluster numbers into v[].truth (names[] sorted on the way), then
 * v sorted by key; 0, or the exit status when a record is listed twice. */
static int s_truth_number(s_ev *v, s_name *names, size_t count,
                          const char *path)
{
    /* dense cluster numbers */
    qsort(names, count, sizeof(*names), s_name_cmp);
    uint32_t k = 0;
    for (size_t i = 0; i < count; i++) {
        if (i && strcmp(names[i].s, names[i - 1].s))
            k++;
        v[names[i].idx].truth = k;
    }
    qsort(v, count, sizeof(*v), s_ev_cmp);
    for (size_t i = 1; i < count; i++)
        if (!strcmp(v[i].key, v[i - 1].key)) {
            char *sep = strchr(v[i].key, '\x1f');
            fprintf(stderr, "%s: local id '%s' of %.*s is listed twice\n", path,
                    sep + 1, (int)(sep - v[i].key), v[i].key);
            return CLI_EXIT_USAGE;
        }
    return 0;
}

static int s_truth_read(const char *path, s_ev **out, size_t *n_out)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    cl_csv *csv = NULL;
    char **fields, err[256];
    size_t n, cap = 0, ncap = 0, count = 0;
    unsigned long line;
    int col[3] = {-1, -1, -1}, status = 0;
    s_ev *v = NULL;
    s_name *names = NULL;
    if (cl_csv_new(&csv, f) != CL_OK) {
        fclose(f);
        return CLI_EXIT_FAILED;
    }
    if (cl_csv_next(csv, &fields, &n, &line, err, sizeof(err)) != 1) {
        fprintf(stderr,
                "%s:1: a header row is required (agency, local_id, "
                "cluster)\n",
                path);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if ((status = s_truth_header(col, fields, n, path)) != 0)
        goto out;
    int rc;
    while ((rc = cl_csv_next(csv, &fields, &n, &line, err, sizeof(err))) != 0) {
        char ag[CL_AGENCY_SZ], lid[CL_LOCAL_ID_SZ], cl[256];
        if (rc < 0 || n <= (size_t)col[0] || n <= (size_t)col[1] ||
            n <= (size_t)col[2]) {
            fprintf(stderr, "%s:%lu: %s\n", path, line,
                    rc < 0 ? err : "missing fields");
            status = CLI_EXIT_USAGE;
            goto out;
        }
        s_trim(ag, sizeof(ag), fields[col[0]]);
        s_trim(lid, sizeof(lid), fields[col[1]]);
        s_trim(cl, sizeof(cl), fields[col[2]]);
        if (!ag[0] || !lid[0] || !cl[0]) {
            fprintf(stderr,
                    "%s:%lu: agency, local_id and cluster are all "
                    "required\n",
                    path, line);
            status = CLI_EXIT_USAGE;
            goto out;
        }
        if (CL_VEC_GROW(v, count, cap) != CL_OK ||
            CL_VEC_GROW(names, count, ncap) != CL_OK) {
            status = CLI_EXIT_FAILED;
            goto out;
        }
        memset(&v[count], 0, sizeof(v[count]));
        v[count].key = s_key(ag, lid);
        names[count].s = strdup(cl);
        names[count].idx = count;
        if (!v[count].key || !names[count].s) {
            free(v[count].key);
            free(names[count].s);
            status = CLI_EXIT_FAILED;
            goto out;
        }
        count++;
    }
    status = s_truth_number(v, names, count, path);
out:
    for (size_t i = 0; names && i < count; i++)
        free(names[i].s);
    free(names);
    if (status) {
        for (size_t i = 0; v && i < count; i++)
            free(v[i].key);
        free(v);
    } else {
        *out = v;
        *n_out = count;
    }
    cl_csv_destroy(&csv);
    fclose(f);
    return status;
}

/* Fill pid/reason/score of the truth records from the links export. */
static int s_fetch_links(cli_conn *cn, cl_client *c, s_ev *v, size_t n)
{
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_LINKS_EXPORT;
    req.u.links.limit = CL_LINKS_PAGE_MAX;
    for (;;) {
        cl_reply rep;
        memset(req.msgid, 0, CL_MSGID_LEN);
        int st = cli_call_on(cn, c, &req, &rep);
        if (st)
            return st;
        for (size_t i = 0; i < rep.u.links.n; i++) {
            const cl_link_row *r = &rep.u.links.v[i];
            uint64_t pid = 0;
            if (!r->local_id[0] ||
                cl_id_parse(&pid, CL_ID_PERSON, r->person_id) != CL_OK)
                continue;
            s_ev *e = s_find(v, n, r->agency, r->local_id);
            if (e) {
                e->pid = pid;
                e->reason = r->link_reason;
                e->score = r->link_score;
            }
        }
        bool more = rep.u.links.next[0] != '\0';
        CL_COPY(req.u.links.after, rep.u.links.next);
        cl_reply_clear(&rep);
        if (!more)
            return 0;
    }
}

/* Every open review pair between two labelled records; *prior_logit is
 * the log2 prior odds the daemon used (NAN if the queue is empty). */
static int s_fetch_queue(cli_conn *cn, cl_client *c, s_ev *v, size_t n,
                         s_qpair **out, size_t *n_out, size_t *outside,
                         double *prior_logit)
{
    cl_request req;
    size_t cap = 0;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_REVIEW_LIST;
    req.u.review_q.limit = CL_REVIEW_PAGE_MAX;
    *prior_logit = NAN;
    for (;;) {
        cl_reply rep;
        memset(req.msgid, 0, CL_MSGID_LEN);
        int st = cli_call_on(cn, c, &req, &rep);
        if (st)
            return st;
        for (size_t i = 0; i < rep.u.reviews.n; i++) {
            const cl_review_item *it = &rep.u.reviews.v[i];
            s_ev *a =
                s_find(v, n, it->incoming.agency, it->incoming.person.local_id);
            s_ev *b = s_find(v, n, it->candidate.agency,
                             it->candidate.person.local_id);
            if (isnan(*prior_logit) && it->probability > 0 &&
                it->probability < 1)
                *prior_logit =
                    log2(it->probability / (1 - it->probability)) - it->score;
            if (!a || !b) {
                (*outside)++;
                continue;
            }
            if (CL_VEC_PUSH(*out, *n_out, cap,
                            ((s_qpair){(size_t)(a - v), (size_t)(b - v),
                                       it->score})) != CL_OK) {
                cl_reply_clear(&rep);
                return CLI_EXIT_FAILED;
            }
        }
        bool more = rep.u.reviews.next[0] != '\0';
        CL_COPY(req.u.review_q.after, rep.u.reviews.next);
        cl_reply_clear(&rep);
        if (!more)
            return 0;
    }
}

static size_t s_uf_find(size_t *up, size_t x)
{
    while (up[x] != x) {
        up[x] = up[up[x]];
        x = up[x];
    }
    return x;
}

typedef struct s_score {
    cl_pairs_score pairs;
    size_t people, clusters, exact, split, merged;
} s_score;

/* Pairwise and cluster figures of one assignment (group[i] per record). */
static s_score s_evaluate(const s_ev *v, size_t n, const uint64_t *group,
                          cl_pair *tmp)
{
    s_score s;
    memset(&s, 0, sizeof(s));
    for (size_t i = 0; i < n; i++)
        tmp[i] = (cl_pair){v[i].truth, group[i]};
    s.pairs = cl_pairs_score_of(tmp, n);
    /* clusters: (truth, group) sorted by truth: split = truths over >1
     * group; then by group: merged = groups over >1 truth */
    for (size_t i = 0; i < n; i++)
        tmp[i] = (cl_pair){v[i].truth, group[i]};
    qsort(tmp, n, sizeof(*tmp), cl_pair_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        bool split = false;
        while (j < n && tmp[j].a == tmp[i].a) {
            split |= tmp[j].b != tmp[i].b;
            j++;
        }
        s.clusters++;
        s.split += split;
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = (cl_pair){group[i], v[i].truth};
    qsort(tmp, n, sizeof(*tmp), cl_pair_cmp);
    size_t pure = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        bool merged = false;
        while (j < n && tmp[j].a == tmp[i].a) {
            merged |= tmp[j].b != tmp[i].b;
            j++;
        }
        s.people++;
        s.merged += merged;
        pure += !merged;
        i = j;
    }
    /* a true person is exact when one caselink person holds all of their
     * records and nobody else's */
    (void)pure;
    for (size_t i = 0; i < n; i++)
        tmp[i] = (cl_pair){v[i].truth, group[i]};
    qsort(tmp, n, sizeof(*tmp), cl_pair_cmp);
    cl_pair *g = malloc((n + 1) * sizeof(*g));
    if (g) {
        for (size_t i = 0; i < n; i++)
            g[i] = (cl_pair){group[i], v[i].truth};
        qsort(g, n, sizeof(*g), cl_pair_cmp);
    }
    for (size_t i = 0; g && i < n;) {
        size_t j = i;
        bool one = true;
        while (j < n && tmp[j].a == tmp[i].a) {
            one &= tmp[j].b == tmp[i].b;
            j++;
        }
        if (one) {
            /* does group tmp[i].b hold only this truth? */
            cl_pair probe = {tmp[i].b, 0};
            size_t lo = 0, hi = n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (cl_pair_cmp(&g[mid], &probe) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            bool pure1 = true;
            for (size_t k = lo; k < n && g[k].a == tmp[i].b; k++)
                pure1 &= g[k].b == tmp[i].a;
            s.exact += pure1;
        }
        i = j;
    }
    free(g);
    return s;
}

static void s_print_score(const char *label, const s_score *s)
{
    printf("%-26s precision %.4f  recall %.4f  F1 %.4f  (%" PRIu64
           " true pairs, %" PRIu64 " linked, %" PRIu64 " correct)\n",
           label, s->pairs.precision, s->pairs.recall, s->pairs.f1,
           s->pairs.truth, s->pairs.linked, s->pairs.correct);
}

static void s_print_clusters(const char *label, const s_score *s)
{
    printf("%-26s %zu true people, %zu caselink people: %zu exact (%.4f), "
           "%zu split, %zu merged with another\n",
           label, s->clusters, s->people, s->exact,
           s->clusters ? (double)s->exact / (double)s->clusters : 1.0, s->split,
           s->merged);
}

/* Group per record after merging the people of queued pairs that pass
 * keep (perfect reviewer: true pairs; threshold: score >= t); records
 * linked by score below drop_below become people of their own. */
static void s_assign(const s_ev *v, size_t n, const s_qpair *q, size_t nq,
                     int mode, double t, uint64_t *group, size_t *up)
{
    for (size_t i = 0; i < n; i++)
        up[i] = i;
    /* records of one person: join to the first record seen with it */
    cl_pair *by = malloc((n + 1) * sizeof(*by));
    if (!by)
        return;
    for (size_t i = 0; i < n; i++)
        by[i] = (cl_pair){v[i].pid, i};
    qsort(by, n, sizeof(*by), cl_pair_cmp);
    for (size_t i = 1; i < n; i++) {
        size_t r = (size_t)by[i].b;
        bool alone =
            mode == 2 && v[r].reason == CL_LINK_SCORE && v[r].score < t;
        if (by[i].a == by[i - 1].a && by[i].a && !alone) {
            /* find an earlier record of this person that stayed */
            for (size_t k = i; k-- > 0 && by[k].a == by[i].a;) {
                size_t o = (size_t)by[k].b;
                bool oalone =
                    mode == 2 && v[o].reason == CL_LINK_SCORE && v[o].score < t;
                if (!oalone) {
                    up[s_uf_find(up, r)] = s_uf_find(up, o);
                    break;
                }
            }
        }
    }
    free(by);
    for (size_t k = 0; k < nq; k++) {
        bool take = mode == 1   ? v[q[k].a].truth == v[q[k].b].truth
                    : mode == 2 ? q[k].score >= t
                                : false;
        if (take)
            up[s_uf_find(up, q[k].a)] = s_uf_find(up, q[k].b);
    }
    for (size_t i = 0; i < n; i++)
        group[i] = s_uf_find(up, i);
}

static int s_evaluate_cmd(cli_conn *cn, const char *path)
{
    s_ev *v = NULL;
    s_qpair *q = NULL;
    size_t n = 0, nq = 0, outside = 0;
    double prior_logit;
    int status = s_truth_read(path, &v, &n);
    if (status)
        return status;
    cl_client *c = NULL;
    uint64_t *group = calloc(n + 1, sizeof(*group));
    size_t *up = calloc(n + 1, sizeof(*up));
    cl_pair *tmp = calloc(n + 1, sizeof(*tmp));
    if (!group || !up || !tmp) {
        status = CLI_EXIT_FAILED;
        goto out;
    }
    if ((status = cli_connect(cn, "coordinator", &c)) != 0 ||
        (status = s_fetch_links(cn, c, v, n)) != 0)
        goto out;
    /* the true pairs of the whole file, those of records the daemon does
     * not hold too: their recall is said besides, with each such pair a
     * miss (a record lost at import is a link missed, not one less to
     * find) */
    for (size_t i = 0; i < n; i++)
        tmp[i] = (cl_pair){v[i].truth, i};
    uint64_t truth_all = cl_pairs_score_of(tmp, n).truth;
    /* records the daemon does not hold are left out of the figures */
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].pid)
            v[found++] = v[i];
        else
            free(v[i].key);
    size_t missing = n - found;
    n = found;
    if ((status =
             s_fetch_queue(cn, c, v, n, &q, &nq, &outside, &prior_logit)) != 0)
        goto out;
    size_t clusters = 0;
    {
        cl_pair *t2 = tmp;
        for (size_t i = 0; i < n; i++)
            t2[i] = (cl_pair){v[i].truth, 0};
        qsort(t2, n, sizeof(*t2), cl_pair_cmp);
        for (size_t i = 0; i < n; i++)
            clusters += !i || t2[i].a != t2[i - 1].a;
    }
    printf("truth %s: %zu records of %zu people found in the store", path, n,
           clusters);
    if (missing)
        printf(", %zu not found (left out)", missing);
    printf("\n\n");
    if (!n) {
        printf("Nothing to measure: no record of the truth file is in the "
               "store. Check that its\nagency column names the agencies as "
               "registered and local_id is their own id\n(caselink links "
               "export --csv lists both for every record).\n");
        status = CLI_EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        group[i] = v[i].pid;
    s_score a = s_evaluate(v, n, group, tmp);
    s_assign(v, n, q, nq, 1, 0, group, up);
    s_score b = s_evaluate(v, n, group, tmp);
    s_print_score("pairwise, auto-links:", &a);
    s_print_score("pairwise, + review queue:", &b);
    if (missing && truth_all)
        printf("%-26s recall %.4f, + review queue %.4f, with the %zu not in "
               "the store\n%-26s counted as never linked (%" PRIu64
               " true pairs in all)\n",
               "pairwise, whole file:",
               (double)a.pairs.correct / (double)truth_all,
               (double)b.pairs.correct / (double)truth_all, missing, "",
               truth_all);
    size_t qtrue = 0;
    for (size_t k = 0; k < nq; k++)
        qtrue += v[q[k].a].truth == v[q[k].b].truth;
    printf("%-26s %zu open pairs: %zu true, %zu false, %zu with a record "
           "outside the truth file\n",
           "review queue:", nq + outside, qtrue, nq - qtrue, outside);
    printf("(+ review queue: a reviewer accepting every true pair queued and "
           "rejecting the rest)\n\n");
    s_print_clusters("clusters, auto-links:", &a);
    s_print_clusters("clusters, + review queue:", &b);
    printf("\nby threshold (records linked by score under it left alone, "
           "queued pairs at or\nabove it linked; estimated from the "
           "decisions recorded)\n");
    printf("  %8s %12s %10s %8s %8s\n", "weight", "probability", "precision",
           "recall", "F1");
    for (int w = 4; w <= 40; w += 2) {
        s_assign(v, n, q, nq, 2, (double)w, group, up);
        s_score s = s_evaluate(v, n, group, tmp);
        char prob[32] = "-";
        if (!isnan(prior_logit))
            snprintf(prob, sizeof(prob), "%.6f",
                     1.0 / (1.0 + exp2(-((double)w + prior_logit))));
        printf("  %8d %12s %10.4f %8.4f %8.4f\n", w, prob, s.pairs.precision,
               s.pairs.recall, s.pairs.f1);
    }
out:
    for (size_t i = 0; v && i < n; i++)
        free(v[i].key);
    free(v);
    free(q);
    free(group);
    free(up);
    free(tmp);
    cl_client_close(&c);
    return status;
}

/* --- link train / weights / rerun ------------------------------------------
 */

static const cli_jrow s_level_rows[] = {
    CLI_JS(cl_level_info, "level", name),
    CLI_JR(cl_level_info, "m", m, 6),
    CLI_JR(cl_level_info, "u", u, 6),
    CLI_JR(cl_level_info, "weight", weight, 4),
    CLI_JR(cl_level_info, "proposed_m", pm, 6),
    CLI_JR(cl_level_info, "proposed_u", pu, 6),
    CLI_JR(cl_level_info, "proposed_weight", pweight, 4),
    CLI_JB(cl_level_info, "estimated", trained),
    CLI_JEND,
};

static const cli_jrow s_weights_rows[] = {
    CLI_JB(cl_link_info, "learned_in_use", accepted),
    CLI_JT(cl_link_info, "accepted_at", accepted_at),
    CLI_JR(cl_link_info, "prior", prior, 0),
    CLI_JR(cl_link_info, "link_weight", upper, 4),
    CLI_JR(cl_link_info, "review_weight", lower, 4),
    CLI_JR(cl_link_info, "link_probability", upper_p, 6),
    CLI_JR(cl_link_info, "review_probability", lower_p, 6),
    CLI_JB(cl_link_info, "proposed", proposed),
    CLI_JT(cl_link_info, "trained_at", trained_at),
    CLI_JR(cl_link_info, "proposed_prior", pprior, 0),
    CLI_JR(cl_link_info, "proposed_link_probability", pupper_p, 6),
    CLI_JR(cl_link_info, "proposed_review_probability", plower_p, 6),
    CLI_JU(cl_link_info, "trained_records", sampled),
    CLI_JU(cl_link_info, "trained_random_pairs", random_pairs),
    CLI_JU(cl_link_info, "trained_blocked_pairs", blocked_pairs),
    CLI_JA(cl_link_info, "levels", levels, n_levels, s_level_rows),
    CLI_JB(cl_link_info, "rerun_running", rerun_running),
    CLI_JU(cl_link_info, "rerun_done", rerun_done),
    CLI_JU(cl_link_info, "rerun_total", rerun_total),
    CLI_JU(cl_link_info, "rerun_merged", rerun_merged),
    CLI_JU(cl_link_info, "rerun_queued", rerun_queued),
    CLI_JR(cl_link_info, "families_share", families_share, 2),
    CLI_JB(cl_link_info, "families_apart", families_apart),
    CLI_JR(cl_link_info, "proposed_families_share", pfamilies_share, 2),
    CLI_JB(cl_link_info, "proposed_families_apart", pfamilies_apart),
    CLI_JB(cl_link_info, "rerun_needed", rerun_needed),
    CLI_JEND,
};

/* What the weights say of the store's families: measured (trained) or
 * the default, and what follows for two records of one family name at
 * one place with other given names or dates of birth. */
static void s_print_families(const char *indent, bool trained, double share,
                             bool apart)
{
    if (trained && share > 0)
        printf("%sfamilies: two people of one family name share a place "
               "%.1f times as often as\n%s  any two: %s\n",
               indent, share, indent,
               apart ? "they live apart here, such a pair weighs as any "
                       "pair does"
                     : "they live together, such a pair is taken for "
                       "relatives");
    else if (trained)
        printf("%sfamilies: taken to live together, such a pair for "
               "relatives; these records\n%s  do not tell (a postcode, "
               "address or UPRN over 500 pairs of one family\n%s  name "
               "does, a town never)\n",
               indent, indent, indent);
    else
        printf("%sfamilies: taken to live together until trained; such a "
               "pair is taken for\n%s  relatives\n",
               indent, indent);
}

static void s_print_weights(const cli_conn *cn, const cl_link_info *li)
{
    if (cn->json) {
        cli_json_obj(li, s_weights_rows);
        putchar('\n');
        return;
    }
    char when[CL_WHEN_SHOW_SZ];
    printf("weights in use: %s", li->accepted ? "learned from this store"
                                              : "the documented defaults");
    if (li->accepted) {
        cli_day(cn, when, li->accepted_at);
        printf(" (accepted %s)", when);
    }
    printf("\n");
    printf("  prior (a random pair is one person): %.3g\n", li->prior);
    printf("  link at weight %.1f or more (match probability %.4f)\n",
           li->upper, li->upper_p);
    printf("  review from weight %.1f (probability %.4f); below, a new "
           "person\n",
           li->lower, li->lower_p);
    s_print_families("  ", li->accepted, li->families_share,
                     li->families_apart);
    if (li->proposed) {
        cli_day(cn, when, li->trained_at);
        printf("proposed (trained %s on %" PRIu64 " records, %" PRIu64
               " random pairs, %" PRIu64 " blocked pairs):\n",
               when, li->sampled, li->random_pairs, li->blocked_pairs);
        printf("  prior %.3g; the same thresholds would be probabilities "
               "%.4f and %.4f\n",
               li->pprior, li->pupper_p, li->plower_p);
        s_print_families("  ", true, li->pfamilies_share, li->pfamilies_apart);
        printf("  accept with: caselink link weights --accept\n");
    }
    printf("\n  %-22s %9s %9s %7s", "level", "m", "u", "weight");
    if (li->proposed)
        printf("   %9s %9s %7s", "new m", "new u", "weight");
    printf("\n");
    for (uint32_t i = 0; i < li->n_levels; i++) {
        const cl_level_info *l = &li->levels[i];
        printf("  %-22s %9.5f %9.6f %+7.2f", l->name, l->m, l->u, l->weight);
        if (li->proposed)
            printf("   %9.5f %9.6f %+7.2f%s", l->pm, l->pu, l->pweight,
                   l->trained ? "" : "  (not estimated: kept)");
        printf("\n");
    }
    if (li->rerun_total || li->rerun_running)
        printf("\nrelinking: %s, %" PRIu64 " of about %" PRIu64
               " records, %" PRIu64 " people merged, %" PRIu64
               " pairs newly queued for review\n(`caselink match list` "
               "shows every open pair, those queued before too)\n",
               li->rerun_running ? "running" : "done", li->rerun_done,
               li->rerun_total, li->rerun_merged, li->rerun_queued);
    if (li->rerun_needed && !li->rerun_running)
        printf("\nplaces: records stored before this version are not counted "
               "at their postcode\n  and address, so a place many of them "
               "share weighs as much as a home;\n  run once: caselink link "
               "rerun\n");
}

static int s_link_admin_cmd(cli_conn *cn, uint8_t action, uint32_t sample,
                            bool wait)
{
    cl_request req;
    cl_reply rep;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_LINK_ADMIN;
    req.u.link_admin.action = action;
    req.u.link_admin.sample = sample;
    int status = cli_call(cn, "coordinator", &req, &rep);
    if (status)
        return status;
    /* --wait: how far the background batches are, on a terminal */
    cl_progress prog;
    cl_progress_start(&prog, cn->tty && wait, "link rerun", "records");
    while (wait && rep.u.link_info.rerun_running) {
        const cl_link_info *li = &rep.u.link_info;
        cl_progress_update(&prog, li->rerun_done,
                           li->rerun_total ? (double)li->rerun_done /
                                                 (double)li->rerun_total
                                           : -1);
        cl_reply_clear(&rep);
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        req.u.link_admin.action = CL_LINK_SHOW;
        memset(req.msgid, 0, CL_MSGID_LEN);
        if ((status = cli_call(cn, "coordinator", &req, &rep)) != 0) {
            cl_progress_end(&prog);
            return status;
        }
    }
    cl_progress_end(&prog);
    if (action == CL_LINK_TRAIN && !cn->json)
        printf("trained: the weights below are proposed, not yet in use\n\n");
    else if (action == CL_LINK_ACCEPT && !cn->json)
        printf("accepted: new records are linked with these weights; "
               "`caselink link rerun` relinks those stored\n\n");
    else if (action == CL_LINK_RERUN && !wait && !cn->json)
        printf("relinking started; progress in `caselink admin stats`\n\n");
    s_print_weights(cn, &rep.u.link_info);
    cl_reply_clear(&rep);
    return 0;
}

typedef struct s_link_ctx {
    const char *truth;  /* --truth FILE */
    const char *sample; /* --sample N */
    bool accept, wait;  /* --accept, --wait */
} s_link_ctx;

static int s_link_opt(void *ctx, const char *o, char **v)
{
    s_link_ctx *x = ctx;
    if (o && !strcmp(o, "--truth"))
        x->truth = v[0];
    else if (o && !strcmp(o, "--sample"))
        x->sample = v[0];
    else if (o && !strcmp(o, "--accept"))
        x->accept = true;
    else if (o && !strcmp(o, "--wait"))
        x->wait = true;
    else
        return CLI_EXIT_USAGE;
    return 0;
}

int cli_link(cli_conn *cn, int argc, char **argv)
{
    s_link_ctx x = {0};
    const char *sub = argc ? argv[0] : "";
    if (cli_each(cn, argc, argv, 1, s_link_opt, &x) != 0)
        goto usage;
    if (!strcmp(sub, "evaluate") && x.truth)
        return s_evaluate_cmd(cn, x.truth);
    if (!strcmp(sub, "train")) {
        uint32_t sample = 0;
        if (x.sample) {
            char *end = NULL;
            long n = strtol(x.sample, &end, 10);
            if (!*x.sample || *end || n < 50 || n > 100000) {
                fprintf(stderr,
                        "caselink: --sample must be 50 to 100000 records\n");
                return CLI_EXIT_USAGE;
            }
            sample = (uint32_t)n;
        }
        return s_link_admin_cmd(cn, CL_LINK_TRAIN, sample, false);
    }
    if (!strcmp(sub, "weights"))
        return s_link_admin_cmd(cn, x.accept ? CL_LINK_ACCEPT : CL_LINK_SHOW, 0,
                                false);
    if (!strcmp(sub, "rerun"))
        return s_link_admin_cmd(cn, CL_LINK_RERUN, 0, x.wait);
usage:
    return cli_usage(cn, "link");
}

static void s_csv_field(const char *s)
{
    cl_csv_field_write(stdout, s);
}

static int s_export_opt(void *ctx, const char *o, char **v)
{
    (void)v;
    *(bool *)ctx = true;
    return cli_ok(o && !strcmp(o, "--csv"));
}

int cli_links(cli_conn *cn, int argc, char **argv)
{
    bool csv = false;
    if (argc < 1 || strcmp(argv[0], "export") ||
        cli_each(cn, argc, argv, 1, s_export_opt, &csv) != 0 || !csv) {
        fprintf(stderr, "usage: caselink links export --csv\n");
        return CLI_EXIT_USAGE;
    }
    cl_client *c = NULL;
    cl_request req;
    int status = cli_connect(cn, "coordinator", &c);
    if (status)
        return status;
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_LINKS_EXPORT;
    req.u.links.limit = 5000;
    /* score_is says what score is: the weight the record was linked at
     * (score), or the weight of the best candidate it was not linked to
     * (a new person; the record may have joined one since by review or
     * merge), or none (linked by an identifier) */
    printf("record_id,agency,local_id,person_id,reason,score,score_is\n");
    cl_progress prog;
    uint64_t rows = 0;
    cl_progress_start(&prog, cn->tty, "links export", "records");
    for (;;) {
        cl_reply rep;
        memset(req.msgid, 0, CL_MSGID_LEN);
        if ((status = cli_call_on(cn, c, &req, &rep)) != 0)
            break;
        for (size_t i = 0; i < rep.u.links.n; i++) {
            const cl_link_row *r = &rep.u.links.v[i];
            printf("%s,", r->record_id);
            s_csv_field(r->agency);
            putchar(',');
            s_csv_field(r->local_id);
            const char *is = r->link_reason == CL_LINK_SCORE ? "link_weight"
                             : (r->link_reason == CL_LINK_NEW ||
                                r->link_reason == CL_LINK_REVIEWED ||
                                r->link_reason == CL_LINK_MERGED) &&
                                     r->link_score != 0
                                 ? "best_candidate_weight"
                                 : "none";
            printf(",%s,%s,%.2f,%s\n", r->person_id,
                   cl_link_name(r->link_reason), r->link_score, is);
        }
        rows += rep.u.links.n;
        uint64_t last = 0;
        if (rep.u.links.n &&
            cl_id_parse(&last, CL_ID_RECORD,
                        rep.u.links.v[rep.u.links.n - 1].record_id) != CL_OK)
            last = 0;
        cl_progress_update(&prog, rows,
                           rep.u.links.last_id
                               ? (double)last / (double)rep.u.links.last_id
                               : -1);
        bool more = rep.u.links.next[0] != '\0';
        CL_COPY(req.u.links.after, rep.u.links.next);
        cl_reply_clear(&rep);
        if (!more)
            break;
    }
    cl_progress_end(&prog);
    if (!status && !rows)
        fprintf(stderr, "links export: no agency records yet: each referral "
                        "and each caseload row imported adds one\n");
    cl_client_close(&c);
    return status;
}

/* One change to links: review accept/reject, or split. */
static int s_reason_opt(cl_request *req, const char *o, const char *v)
{
    return cli_ok(!strcmp(o, "--reason") && CL_COPY(req->u.link.reason, v));
}

int cli_link_change(cli_conn *cn, cl_req_kind kind, const char *id, bool accept,
                    int argc, char **argv)
{
    cl_reply rep;
    cl_request req;
    memset(&req, 0, sizeof(req));
    req.kind = kind;
    req.u.link.accept = accept;
    CL_COPY(req.u.link.id, id);
    if (cli_opts(cn, &req, argc, argv, 0, s_reason_opt) != 0 ||
        !req.u.link.reason[0]) {
        fprintf(stderr, "caselink: --reason TEXT is required (kept for the "
                        "auditor)\n");
        return CLI_EXIT_USAGE;
    }
    int status = cli_call(cn, "coordinator", &req, &rep);
    if (status)
        return status;
    if (kind == CL_REQ_SPLIT_RECORD)
        printf("split: %s is now person %s\n", id, rep.u.publish.reference);
    else
        printf("%s: %s\n", accept ? "accepted, merged into" : "rejected",
               rep.u.publish.reference);
    cl_reply_clear(&rep);
    return 0;
}

int cli_review(cli_conn *cn, int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[0], "accept") || !strcmp(argv[0], "reject")))
        return cli_link_change(cn, CL_REQ_REVIEW_DECIDE, argv[1],
                               argv[0][0] == 'a', argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[0], "show"))
        return cli_review_show(cn, argc - 1, argv + 1);
    if (argc < 1 || strcmp(argv[0], "list") != 0)
        return cli_usage(cn, "match");
    return cli_review_list(cn, argc - 1, argv + 1);
}
