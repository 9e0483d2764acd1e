/*
 * cli_publish: the caselink tool's publishing commands: one referral, or
 * every row of a CSV file (pipelined, with progress), a plan, and an
 * agency's caseload import.
 */
#include <ctype.h>
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cl_text.h"
#include "cli.h"
#include "csv.h"
#include "fields.h"
#include "progress.h"

/* Check locally and choose a message id from the agency reference, so that
 * sending the same referral twice is recognised by the daemon. */
static bool s_ready(cl_request *req, char *err, size_t err_len,
                    cl_publish_result *warn)
{
    char verr[CL_ERROR_SZ];
    req->kind = CL_REQ_PUBLISH_REFERRAL;
    if (cl_referral_validate(&req->u.publish, verr, warn) != CL_OK) {
        snprintf(err, err_len, "%s", verr);
        return false;
    }
    cl_client_msgid_from(req->msgid, "referral", req->u.publish.agency_ref);
    return true;
}

static void s_print_warnings(const char *where, const cl_reply *rep)
{
    for (uint32_t i = 0; i < rep->u.publish.n_warnings; i++)
        fprintf(stderr, "%swarning: %s\n", where, rep->u.publish.warnings[i]);
}

/* publish referral and publish plan: every option is a field (--FIELD
 * VALUE) of the referral or plan, by req->kind. */
static int s_field_opt(void *ctx, const char *o, char **v)
{
    cl_request *req = ctx;
    char err[512];
    bool plan = req->kind == CL_REQ_PUBLISH_PLAN;
    const char *what = plan ? "plan" : "referral";
    if (!o || !v) {
        fprintf(stderr,
                "caselink publish %s: expected --FIELD VALUE, got '%s'\n", what,
                o ? o : v[0]);
        return CLI_EXIT_USAGE;
    }
    if (plan ? !cl_plan_fields_set(&req->u.plan, o + 2, v[0], err, sizeof(err))
             : !cl_fields_set(&req->u.publish, o + 2, v[0], err, sizeof(err))) {
        fprintf(stderr, "caselink publish %s: %s\n", what, err);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int s_publish_plan(cli_conn *cn, int argc, char **argv)
{
    char verr[CL_ERROR_SZ];
    cl_reply rep;
    int status = 0;
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_PUBLISH_PLAN;
    if ((status = cli_each(cn, argc, argv, 0, s_field_opt, req)) != 0)
        goto out;
    if (cl_plan_validate(&req->u.plan, verr, NULL) != CL_OK) {
        fprintf(stderr, "caselink publish plan: %s\n", verr);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    /* Publishing the same plan again is recognised; an update (same
     * reference, new dates or category) is a new message. */
    char stable[CL_REF_SZ + 64];
    const cl_plan *pl = &req->u.plan;
    snprintf(stable, sizeof(stable), "%s|%u|%u|%s|%s|%s", pl->agency_ref,
             pl->type, pl->category, pl->start, pl->end, pl->review);
    cl_client_msgid_from(req->msgid, "plan", stable);
    if ((status = cli_call(cn, NULL, req, &rep)) != 0)
        goto out;
    printf("%s %s\n",
           rep.status == CL_STATUS_DUPLICATE ? "already recorded:"
                                             : "recorded:",
           rep.u.publish.reference);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

static int s_publish_one(cli_conn *cn, int argc, char **argv)
{
    char err[512];
    cl_client *c = NULL;
    cl_reply rep;
    int rc, status = 0;
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_PUBLISH_REFERRAL;
    if ((status = cli_each(cn, argc, argv, 0, s_field_opt, req)) != 0)
        goto out;
    cl_publish_result local;
    memset(&local, 0, sizeof(local));
    if (!s_ready(req, err, sizeof(err), &local)) {
        fprintf(stderr, "caselink publish referral: %s\n", err);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    for (uint32_t i = 0; i < local.n_warnings; i++)
        fprintf(stderr, "warning: %s\n", local.warnings[i]);
    if ((status = cli_connect(cn, NULL, &c)) != 0)
        goto out;
    rc = cl_client_call(c, req, &rep);
    if (rc != CL_OK) {
        status = cli_transport(rc, cn);
        goto out;
    }
    if (!cl_reply_ok(&rep)) {
        status = cli_status(cn, &rep);
    } else {
        s_print_warnings("", &rep);
        printf("%s %s%s\n",
               rep.status == CL_STATUS_DUPLICATE ? "already accepted earlier:"
                                                 : "accepted:",
               rep.u.publish.reference,
               rep.u.publish.known_to_mdt
                   ? " (the person is known to the extended MDT)"
                   : "");
        cli_print_flags(cn, &rep.u.publish.flag);
    }
    cl_reply_clear(&rep);
out:
    free(req);
    cl_client_close(&c);
    return status;
}

/* --- CSV publishing, pipelined -------------------------------------------- */

/* For progress: a file's size, and how much of it has been read (0..1;
 * -1 when it cannot be told, a pipe). */
static long s_file_size(FILE *f)
{
    long here = ftell(f), size = -1;
    if (here >= 0 && fseek(f, 0, SEEK_END) == 0) {
        size = ftell(f);
        if (fseek(f, here, SEEK_SET) != 0)
            size = -1;
    }
    return size;
}

static double s_file_done(FILE *f, long size)
{
    long at = ftell(f);
    return size > 0 && at >= 0 ? (double)at / (double)size : -1;
}

#define S_WINDOW 64

typedef struct s_slot {
    bool busy;
    unsigned long line;
    cl_request *req;
} s_slot;

typedef struct s_tally {
    unsigned long ok, dup, failed;
} s_tally;

static void s_settle(s_slot *w, const cl_reply *rep, const char *path,
                     s_tally *t, bool verbose)
{
    for (int i = 0; i < S_WINDOW; i++) {
        if (!w[i].busy ||
            memcmp(w[i].req->msgid, rep->msgid, CL_MSGID_LEN) != 0)
            continue;
        char where[PATH_MAX + 32];
        snprintf(where, sizeof(where), "%s:%lu: ", path, w[i].line);
        if (!cl_reply_ok(rep)) {
            cl_progress_interrupt();
            fprintf(stderr, "%s%s: %s\n", where, cl_status_name(rep->status),
                    rep->error);
            t->failed++;
        } else {
            if (rep->u.publish.n_warnings || verbose)
                cl_progress_interrupt();
            s_print_warnings(where, rep);
            if (rep->status == CL_STATUS_DUPLICATE)
                t->dup++;
            else
                t->ok++;
            if (verbose)
                printf("%s%s %s\n", where,
                       rep->status == CL_STATUS_DUPLICATE ? "already accepted"
                                                          : "accepted",
                       rep->u.publish.reference);
        }
        w[i].busy = false;
        return;
    }
}

static int s_window_wait(cl_client *c, s_slot *w, const char *path, s_tally *t,
                         bool verbose, int timeout_ms, bool all)
{
    int retries = 0;
    for (;;) {
        int busy = 0;
        for (int i = 0; i < S_WINDOW; i++)
            busy += w[i].busy;
        if (busy == 0 || (!all && busy < S_WINDOW))
            return CL_OK;
        cl_reply rep;
        int rc = cl_client_recv(c, &rep, timeout_ms);
        if (rc == CL_OK) {
            s_settle(w, &rep, path, t, verbose);
            cl_reply_clear(&rep);
            retries = 0;
            continue;
        }
        if (rc != CL_ERR_TIMEOUT || ++retries > 3)
            return rc;
        /* Resend what is outstanding: same message ids, applied once. */
        for (int i = 0; i < S_WINDOW; i++)
            if (w[i].busy && cl_client_send(c, w[i].req) != CL_OK)
                return CL_ERR_IO;
    }
}

/* The header row's names as field names (lower case, '_' for '-' and ' ')
 * into header; 0, or the exit status when a required column is missing. */
static int s_csv_header(char *header[CL_CSV_MAX_FIELDS],
                        char header_buf[CL_CSV_MAX_FIELDS][64], char **fields,
                        size_t n, const char *path)
{
    bool have_ref = false, have_basis = false, have_cat = false;
    for (size_t i = 0; i < n; i++) {
        cl_copy(header_buf[i], sizeof(header_buf[i]), fields[i]);
        for (char *p = header_buf[i]; *p; p++)
            *p = (*p == '-' || *p == ' ') ? '_' : (char)tolower(*p);
        header[i] = header_buf[i];
        have_ref |= !strcmp(header[i], "agency_reference");
        have_basis |= !strcmp(header[i], "lawful_basis");
        have_cat |= !strcmp(header[i], "category");
    }
    if (!have_ref || !have_basis || !have_cat) {
        cl_progress_interrupt();
        fprintf(stderr,
                "%s:1: the header must name agency_reference, category and "
                "lawful_basis (see 'caselink help')\n",
                path);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* One row's referral into req, checked, with its message id from its
 * agency reference; local warnings printed; false with the reason in err. */
static bool s_csv_row(cl_request *req, char **header, char **fields, size_t n,
                      const char *path, unsigned long line, char *err,
                      size_t err_len)
{
    memset(req, 0, sizeof(*req));
    bool good = true;
    for (size_t i = 0; i < n && good; i++)
        good =
            cl_fields_set(&req->u.publish, header[i], fields[i], err, err_len);
    cl_publish_result local;
    memset(&local, 0, sizeof(local));
    if (good)
        good = s_ready(req, err, err_len, &local);
    if (good && local.n_warnings)
        cl_progress_interrupt();
    for (uint32_t i = 0; good && i < local.n_warnings; i++)
        fprintf(stderr, "%s:%lu: warning: %s\n", path, line, local.warnings[i]);
    return good;
}

static int s_publish_csv(cli_conn *cn, const char *path, bool verbose)
{
    cl_csv *csv = NULL;
    cl_client *c = NULL;
    s_slot w[S_WINDOW];
    s_tally t = {0};
    char **fields, err[512], *header[CL_CSV_MAX_FIELDS];
    char header_buf[CL_CSV_MAX_FIELDS][64];
    size_t n, ncols = 0;
    unsigned long line;
    int status = 0, rc;
    memset(w, 0, sizeof(w));

    FILE *f = fopen(path, "re");
    if (!f) {
        cl_progress_interrupt();
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (cl_csv_new(&csv, f) != CL_OK) {
        status = CLI_EXIT_FAILED;
        goto out;
    }
    rc = cl_csv_next(csv, &fields, &n, &line, err, sizeof(err));
    if (rc != 1) {
        cl_progress_interrupt();
        fprintf(stderr, "%s:%lu: %s\n", path, line,
                rc == 0 ? "empty file: a header row is required" : err);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    ncols = n;
    if ((status = s_csv_header(header, header_buf, fields, n, path)) != 0)
        goto out;
    for (int i = 0; i < S_WINDOW; i++)
        if (!(w[i].req = malloc(sizeof(cl_request)))) {
            status = CLI_EXIT_FAILED;
            goto out;
        }
    if ((status = cli_connect(cn, NULL, &c)) != 0)
        goto out;
    cl_progress prog;
    long fsize = s_file_size(f);
    unsigned long rows = 0;
    cl_progress_start(&prog, cn->tty, path, "rows");
    for (;;) {
        rc = cl_csv_next(csv, &fields, &n, &line, err, sizeof(err));
        if (rc == 0)
            break;
        if (rc < 0) {
            cl_progress_interrupt();
            fprintf(stderr, "%s:%lu: %s\n", path, line, err);
            t.failed++;
            continue;
        }
        if (n != ncols) {
            cl_progress_interrupt();
            fprintf(stderr, "%s:%lu: %zu fields, the header has %zu\n", path,
                    line, n, ncols);
            t.failed++;
            continue;
        }
        rc = s_window_wait(c, w, path, &t, verbose, cn->timeout_ms, false);
        if (rc != CL_OK) {
            status = cli_transport(rc, cn);
            goto out;
        }
        s_slot *slot = NULL;
        for (int i = 0; i < S_WINDOW && !slot; i++)
            if (!w[i].busy)
                slot = &w[i];
        if (!s_csv_row(slot->req, header, fields, n, path, line, err,
                       sizeof(err))) {
            cl_progress_interrupt();
            fprintf(stderr, "%s:%lu: %s\n", path, line, err);
            t.failed++;
            continue;
        }
        if (cl_client_send(c, slot->req) != CL_OK) {
            status = cli_transport(CL_ERR_IO, cn);
            goto out;
        }
        slot->busy = true;
        slot->line = line;
        cl_progress_update(&prog, ++rows, s_file_done(f, fsize));
    }
    rc = s_window_wait(c, w, path, &t, verbose, cn->timeout_ms, true);
    cl_progress_end(&prog);
    if (rc != CL_OK) {
        status = cli_transport(rc, cn);
        goto out;
    }
    printf("%s: %lu accepted, %lu already accepted earlier, %lu failed\n", path,
           t.ok, t.dup, t.failed);
    status = t.failed ? CLI_EXIT_FAILED : 0;
out:
    for (int i = 0; i < S_WINDOW; i++)
        free(w[i].req);
    cl_client_close(&c);
    cl_csv_destroy(&csv);
    fclose(f);
    return status;
}

/* --- caseload import and links export ----------------------------------- */

static const char *const s_import_cols[] = {
    "local_id",  "given_names",   "family_name",   "date_of_birth",
    "sex",       "address_line1", "address_line2", "address",
    "town",      "postcode",      "uprn",          "nhs_number",
    "chi_number"};

typedef struct s_islot {
    bool busy;
    unsigned long line;
    cl_request req;
} s_islot;

typedef struct s_itally {
    unsigned long accepted, own, failed, dup;
    unsigned long denied;   /* the line of the first refusal of this key */
    unsigned long n_denied; /* rows refused so (counted in failed too) */
} s_itally;

/* A reply to one row. A denial (this key's role, or another agency named)
 * would be every row's: it is said once, as any command's is, and the
 * import stops sending. */
static void s_import_settle(const cli_conn *cn, s_islot *w, int nw,
                            const cl_reply *rep, const char *path, s_itally *t)
{
    for (int i = 0; i < nw; i++) {
        if (!w[i].busy || memcmp(w[i].req.msgid, rep->msgid, CL_MSGID_LEN))
            continue;
        /* refused for the key or for --agency: every row would be */
        if (rep->status == CL_STATUS_DENIED ||
            (rep->status == CL_STATUS_INVALID &&
             !strncmp(rep->error, "import_person.agency:", 21))) {
            if (!t->denied) {
                cl_progress_interrupt();
                cli_status(cn, rep);
            }
            if (!t->denied || w[i].line < t->denied)
                t->denied = w[i].line;
            t->failed++;
            t->n_denied++;
        } else if (!cl_reply_ok(rep)) {
            cl_progress_interrupt();
            fprintf(stderr, "%s:%lu: %s: %s\n", path, w[i].line,
                    cl_status_name(rep->status), rep->error);
            t->failed++;
        } else if (rep->status == CL_STATUS_DUPLICATE) {
            t->dup++;
        } else {
            t->accepted++;
            t->own += rep->u.import.link_reason == CL_LINK_LOCAL_ID;
        }
        if (rep->u.import.n_warnings)
            cl_progress_interrupt();
        for (uint32_t k = 0; k < rep->u.import.n_warnings; k++)
            fprintf(stderr, "%s:%lu: warning: %s\n", path, w[i].line,
                    rep->u.import.warnings[k]);
        w[i].busy = false;
        return;
    }
}

/* Why a person field just set from an import column cannot be used (NULL
 * if it can): the daemon would refuse the whole row for it. */
static const char *s_import_field_bad(const cl_referral *r, const char *name)
{
    const cl_person *p = &r->subject;
    if (!strcmp(name, "date_of_birth") && p->dob[0] && !cl_date_valid(p->dob))
        return "not a real date (DD/MM/YYYY or YYYY-MM-DD)";
    if (!strcmp(name, "uprn") && p->uprn[0]) {
        for (const char *c = p->uprn; *c; c++)
            if ((*c < '0' || *c > '9') && *c != ' ')
                return "a UPRN is digits only";
    }
    if (!strcmp(name, "postcode") && p->postcode[0]) {
        for (const char *c = p->postcode; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != ' ')
                return "a postcode is letters, digits and spaces";
    }
    if (!strcmp(name, "nhs_number") && p->nhs[0]) {
        char d[CL_ID_SZ];
        CL_COPY(d, p->nhs);
        if (!cl_digits_normalise(d) || !cl_nhs_valid(d))
            return "not a valid NHS number (check digit)";
    }
    if (!strcmp(name, "chi_number") && p->chi[0]) {
        char d[CL_ID_SZ];
        CL_COPY(d, p->chi);
        if (!cl_digits_normalise(d) || !cl_chi_valid(d))
            return "not a valid CHI number";
    }
    return NULL;
}

/* Leave one person field out of the row being imported. */
static void s_import_field_clear(cl_referral *r, const char *name)
{
    cl_person *p = &r->subject;
    if (!strcmp(name, "date_of_birth"))
        p->dob[0] = '\0';
    else if (!strcmp(name, "uprn"))
        p->uprn[0] = '\0';
    else if (!strcmp(name, "postcode"))
        p->postcode[0] = '\0';
    else if (!strcmp(name, "nhs_number"))
        p->nhs[0] = '\0';
    else if (!strcmp(name, "chi_number"))
        p->chi[0] = '\0';
    else if (!strcmp(name, "sex"))
        p->sex = 0;
    else if (!strcmp(name, "given_names"))
        p->given[0] = '\0';
    else if (!strcmp(name, "family_name"))
        p->family[0] = '\0';
    else if (!strcmp(name, "town"))
        p->town[0] = '\0';
}

/* Count postcodes that are not in the UK form (kept, compared exactly):
 * one warning per import, naming the first line. */
static void s_import_postcode_note(const char *pc, const char *path,
                                   unsigned long line, unsigned long *n,
                                   unsigned long *first)
{
    char norm[CL_POSTCODE_SZ];
    (void)path;
    CL_COPY(norm, pc);
    cl_postcode_normalise(norm);
    if (strchr(norm, ' '))
        return;
    if (!(*n)++)
        *first = line;
}

/* The header row: each column's index in s_import_cols (or -1, warned
 * about) in col; 0, or the exit status when local_id is missing. */
static int s_import_header(int col[CL_CSV_MAX_FIELDS], char **fields, size_t n,
                           const char *path)
{
    bool have_id = false;
    for (size_t i = 0; i < n; i++) {
        /* "local_id, given_names": spaces around names are not part of
         * them */
        char name[64];
        const char *h = fields[i];
        while (*h == ' ' || *h == '\t')
            h++;
        size_t hl = strlen(h);
        while (hl && (h[hl - 1] == ' ' || h[hl - 1] == '\t'))
            hl--;
        snprintf(name, sizeof(name), "%.*s", (int)(hl < 63 ? hl : 63), h);
        col[i] = -1;
        for (int k = 0; k < (int)(sizeof(s_import_cols) / sizeof(char *)); k++)
            if (!strcasecmp(name, s_import_cols[k]))
                col[i] = k;
        cl_progress_interrupt();
        if (col[i] < 0)
            fprintf(stderr, "%s:1: warning: column '%s' ignored\n", path, name);
        for (size_t j = 0; j < i && col[i] >= 0; j++)
            if (col[j] == col[i]) { /* which one would be the person's? */
                fprintf(stderr,
                        "%s:1: columns %zu and %zu are both %s: name each "
                        "column once\n",
                        path, j + 1, i + 1, s_import_cols[col[i]]);
                return CLI_EXIT_USAGE;
            }
        have_id |= col[i] == 0;
    }
    if (!have_id) {
        cl_progress_interrupt();
        fprintf(stderr, "%s:1: the header must name local_id\n", path);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* What an import needs while it reads rows. */
typedef struct s_import_ctx {
    const char *path, *agency;
    const int *col;   /* each column's index in s_import_cols, or -1 */
    cl_referral *tmp; /* scratch for the row's person */
    unsigned long foreign_pc, foreign_line; /* postcodes not in UK form */
    void *seen;   /* the local ids sent so far (tsearch: s_seen) */
    void *alike;  /* ... by their form without spaces and case */
    size_t ncols; /* the header's */
} s_import_ctx;

/* Line breaks in s. */
static unsigned long s_breaks(const char *s)
{
    unsigned long k = 0;
    for (; (s = strchr(s, '\n')); s++)
        k++;
    return k;
}

/* Whether a quoted field's lines after its first hold a whole row's
 * commas (ncols - 1): rows read into it by a quote closed too late. */
static bool s_rows_inside(const char *f, size_t ncols)
{
    for (const char *p = strchr(f, '\n'); p; p = strchr(p + 1, '\n')) {
        size_t commas = 0;
        for (const char *q = p + 1; *q && *q != '\n'; q++)
            commas += *q == ',';
        if (ncols > 1 && commas >= ncols - 1)
            return true;
    }
    return false;
}

/* An address field's lines joined as one ("Flat 1\nElm House": "Flat 1,
 * Elm House"), as an export that quotes a multi-line address writes it. */
static void s_join_lines(char *out, size_t cap, const char *f)
{
    size_t o = 0;
    for (; *f && o + 3 < cap; f++) {
        if (*f == '\r' && f[1] == '\n')
            continue;
        if (*f == '\n') {
            while (o && out[o - 1] == ' ')
                o--;
            out[o++] = ',';
            out[o++] = ' ';
            while (f[1] == ' ')
                f++;
            continue;
        }
        out[o++] = *f;
    }
    out[o] = '\0';
}

/* A local id this file has sent, by its hash (no id is kept as read),
 * with the row's message id and line. */
typedef struct s_seen {
    uint8_t id[16];
    uint8_t row[CL_MSGID_LEN];
    unsigned long line;
} s_seen;

static int s_seen_cmp(const void *a, const void *b)
{
    return memcmp(((const s_seen *)a)->id, ((const s_seen *)b)->id, 16);
}

/* A local id new to the file that another of its ids matches but for
 * spaces around it and case (" F1", "f1", "F1"): two records as written,
 * said in a warning (*warned, err), since they are most likely one. */
static bool s_import_alike(s_import_ctx *x, const s_seen *e, const char *id,
                           bool *warned, char *err, size_t err_len)
{
    char norm[CL_LOCAL_ID_SZ];
    size_t n = 0;
    id += strspn(id, " \t");
    for (; *id && n + 1 < sizeof(norm); id++)
        norm[n++] = (char)tolower((unsigned char)*id);
    while (n && (norm[n - 1] == ' ' || norm[n - 1] == '\t'))
        n--;
    s_seen *a = calloc(1, sizeof(*a)), **at;
    if (a)
        crypto_generichash(a->id, sizeof(a->id), (const uint8_t *)norm, n, NULL,
                           0);
    sodium_memzero(norm, sizeof(norm)); /* no id kept as read */
    if (!a)
        return true;                      /* only a warning lost */
    memcpy(a->row, e->id, sizeof(e->id)); /* which id, as written */
    a->line = e->line;
    if (!(at = tsearch(a, &x->alike, s_seen_cmp)) || *at == a)
        return true;
    if (memcmp((*at)->row, e->id, sizeof(e->id)) != 0) {
        *warned = true;
        snprintf(err, err_len,
                 "warning: local_id differs from line %lu's only in spaces "
                 "or case: imported as another record; if the two are one, "
                 "write them alike",
                 (*at)->line);
    }
    free(a);
    return true;
}

/* One row per record: a local id the file sent before replaces nothing.
 * The same row again is sent as it is (its message id is the first's:
 * the daemon answers it as the first, "already imported" once that one
 * is, refused if that one was), with a warning in *again; another row
 * under that id is rejected, naming the line it repeats (the daemon would
 * take it as that record's later details: another person's name and
 * date under one record, linked as one). true to send req, false with
 * err set. */
static bool s_import_once(s_import_ctx *x, const cl_request *req,
                          unsigned long line, bool *again, char *err,
                          size_t err_len)
{
    s_seen *e = calloc(1, sizeof(*e)), **at;
    *again = false;
    if (!e) {
        snprintf(err, err_len, "out of memory");
        return false;
    }
    const char *id = req->u.import.person.local_id;
    crypto_generichash(e->id, sizeof(e->id), (const uint8_t *)id, strlen(id),
                       NULL, 0);
    memcpy(e->row, req->msgid, CL_MSGID_LEN);
    e->line = line;
    if (!(at = tsearch(e, &x->seen, s_seen_cmp))) {
        free(e);
        snprintf(err, err_len, "out of memory");
        return false;
    }
    if (*at == e)
        return s_import_alike(x, e, id, again, err, err_len);
    *again = !memcmp((*at)->row, e->row, CL_MSGID_LEN);
    if (*again)
        snprintf(err, err_len,
                 "warning: the same row as line %lu, answered as that one",
                 (*at)->line);
    else
        snprintf(err, err_len,
                 "local_id is on line %lu already, with other details: a "
                 "file holds one row per record, so this row is not "
                 "imported; merge the two rows, or give this one the "
                 "local id its own record has",
                 (*at)->line);
    free(e);
    return *again;
}

/* Say that column i of line is left out of the row, and why. */
static void s_import_field_warn(const s_import_ctx *x, unsigned long line,
                                size_t i, const char *name, const char *why)
{
    cl_progress_interrupt();
    fprintf(stderr,
            "%s:%lu: warning: column %zu (%s): %s; the field is left out, "
            "the row imported\n",
            x->path, line, i + 1, name, why);
}

/* One row's request into req, its message id from the row's content (so a
 * re-run imports nothing twice); false with the reason in err. A bad field
 * other than local_id is left out with a warning. */
static bool s_import_row(s_import_ctx *x, cl_request *req, char **fields,
                         size_t n, unsigned long line, char *err,
                         size_t err_len)
{
    memset(req, 0, sizeof(*req));
    memset(x->tmp, 0, sizeof(*x->tmp));
    req->kind = CL_REQ_IMPORT_PERSON;
    CL_COPY(req->u.import.agency, x->agency);
    char addr[2 * CL_ADDR_SZ] = "";
    /* the message id from the agency and every field as read, "AGENCY|f1|
     * f2|...|" hashed as it goes (cl_client_msgid_from's form): no row is
     * too long for it, and two rows differing anywhere differ in it */
    crypto_generichash_state id;
    crypto_generichash_init(&id, NULL, 0, CL_MSGID_LEN);
    crypto_generichash_update(&id, (const uint8_t *)"import", 7);
    crypto_generichash_update(&id, (const uint8_t *)x->agency,
                              strlen(x->agency));
    crypto_generichash_update(&id, (const uint8_t *)"|", 1);
    bool good = true;
    for (size_t i = 0; i < n && good; i++) {
        crypto_generichash_update(&id, (const uint8_t *)fields[i],
                                  strlen(fields[i]));
        crypto_generichash_update(&id, (const uint8_t *)"|", 1);
        if (x->col[i] < 0 || !fields[i][0])
            continue;
        const char *name = s_import_cols[x->col[i]], *v = fields[i];
        char joined[CL_CSV_MAX_FIELD + 1];
        if (strchr(v, '\n') && s_rows_inside(v, x->ncols)) {
            unsigned long from = line;
            for (size_t k = 0; k < i; k++)
                from += s_breaks(fields[k]);
            snprintf(err, err_len,
                     "column %zu (%s) is quoted from line %lu to line %lu, "
                     "and its lines look like rows: its quote is not closed "
                     "where the field ends, so lines %lu to %lu were read "
                     "into it, not imported; close the quote on line %lu",
                     i + 1, name, from, from + s_breaks(v), from + 1,
                     from + s_breaks(v), from);
            good = false;
            break;
        }
        if (!strncmp(name, "address", 7) && strchr(v, '\n')) {
            s_join_lines(joined, sizeof(joined), v);
            v = joined;
        }
        if (x->col[i] != 0 && cl_text_has_control(v)) {
            /* the daemon refuses a control character anywhere; a line
             * break pasted into a town costs the town, not the person */
            s_import_field_warn(x, line, i, name,
                                "holds a control character (a line break, "
                                "an escape or another)");
            continue;
        }
        if (!strncmp(name, "address", 7)) {
            if (addr[0])
                strncat(addr, ", ", sizeof(addr) - strlen(addr) - 1);
            size_t at = strlen(addr), room = sizeof(addr) - at - 1,
                   len = strlen(v);
            memcpy(addr + at, v, len < room ? len : room);
            addr[at + (len < room ? len : room)] = '\0';
            continue;
        }
        good = cl_fields_person_set(&x->tmp->subject, NULL, name, fields[i],
                                    err, err_len);
        /* One bad field costs that field, not the person: a caseload
         * row with a mistyped date is still someone to link. The
         * identifying column (local_id) has no such way out. */
        const char *why = !good ? err : s_import_field_bad(x->tmp, name);
        if (why && x->col[i] != 0) {
            s_import_field_warn(x, line, i, name, why);
            s_import_field_clear(x->tmp, name);
            good = true;
        }
        if (good && !strcmp(name, "postcode") && x->tmp->subject.postcode[0])
            s_import_postcode_note(x->tmp->subject.postcode, x->path, line,
                                   &x->foreign_pc, &x->foreign_line);
    }
    if (good && addr[0])
        good = cl_fields_person_set(&x->tmp->subject, "person", "address", addr,
                                    err, err_len);
    req->u.import.person = x->tmp->subject;
    char verr[CL_ERROR_SZ];
    if (good && cl_import_validate(&req->u.import, verr, NULL) != CL_OK) {
        snprintf(err, err_len, "%s", verr);
        good = false;
    }
    crypto_generichash_final(&id, req->msgid, CL_MSGID_LEN);
    return good;
}

/* Settle replies until at most max of the window's slots are busy. */
static int s_import_drain(cli_conn *cn, cl_client *c, s_islot *w, int nw,
                          int max, const char *path, s_itally *t)
{
    for (;;) {
        int busy = 0;
        for (int i = 0; i < nw; i++)
            busy += w[i].busy;
        if (busy <= max)
            return 0;
        cl_reply rep;
        int rc = cl_client_recv(c, &rep, cn->timeout_ms);
        if (rc != CL_OK)
            return cli_transport(rc, cn);
        s_import_settle(cn, w, nw, &rep, path, t);
        cl_reply_clear(&rep);
    }
}

/* import persons FILE --agency NAME into pa[0], pa[1]. */
static int s_import_opt(void *ctx, const char *o, char **v)
{
    const char **pa = ctx;
    int k = o ? 1 : 0;
    if ((o && strcmp(o, "--agency") != 0) || pa[k])
        return CLI_EXIT_USAGE;
    pa[k] = v[0];
    return 0;
}

/* Whether a row names the header's columns again (two extracts joined,
 * each with its header): every known column's field is its name. */
static bool s_header_again(const int *col, char **fields, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (col[i] < 0)
            continue;
        const char *f = fields[i];
        if (!strncmp(f, "\xef\xbb\xbf", 3)) /* the joined file's own BOM */
            f += 3;
        while (*f == ' ' || *f == '\t')
            f++;
        size_t len = strlen(s_import_cols[col[i]]);
        if (strncasecmp(f, s_import_cols[col[i]], len) != 0 ||
            f[len + strspn(f + len, " \t")] != '\0')
            return false;
        any = true;
    }
    return any;
}

/* A data row into req: 1 to send it, 0 for the header again (said, not a
 * row), -1 when it is rejected (said, and counted in t). */
static int s_import_prepare(s_import_ctx *x, cl_request *req, char **fields,
                            size_t n, unsigned long line, s_itally *t)
{
    char err[512];
    bool again = false;
    if (s_header_again(x->col, fields, n)) {
        cl_progress_interrupt();
        fprintf(stderr,
                "%s:%lu: warning: the header again (files joined?): not a "
                "row, skipped\n",
                x->path, line);
        return 0;
    }
    if (!s_import_row(x, req, fields, n, line, err, sizeof(err)) ||
        !s_import_once(x, req, line, &again, err, sizeof(err))) {
        cl_progress_interrupt();
        fprintf(stderr, "%s:%lu: %s\n", x->path, line, err);
        t->failed++;
        return -1;
    }
    if (again) { /* sent all the same: answered as the first */
        cl_progress_interrupt();
        fprintf(stderr, "%s:%lu: %s\n", x->path, line, err);
    }
    return 1;
}

/* Postcodes not in the UK form, said once for the file. */
static void s_import_foreign(const s_import_ctx *x)
{
    if (x->foreign_pc)
        fprintf(stderr,
                "%s:%lu: warning: %lu postcode%s not in the UK form (the "
                "first on this line); kept and compared exactly\n",
                x->path, x->foreign_line, x->foreign_pc,
                x->foreign_pc == 1 ? " is" : "s are");
}

/* The import stopped at a refusal of this key: where, and what the rows
 * answered before it came to. */
static void s_import_stopped(const char *path, const s_itally *t)
{
    fprintf(stderr,
            "%s: stopped: every row is refused the same way for this key (the "
            "first at line %lu); nothing was imported after it. Before it: "
            "%lu accepted (%lu updating records this agency sent before), "
            "%lu already imported, %lu rejected\n",
            path, t->denied, t->accepted, t->own, t->dup,
            t->failed - t->n_denied);
}

int cli_import(cli_conn *cn, int argc, char **argv)
{
    enum { W = 64 };
    const char *pa[2] = {NULL, NULL}; /* FILE, --agency NAME */
    if (argc < 1 || strcmp(argv[0], "persons") != 0 ||
        cli_each(cn, argc, argv, 1, s_import_opt, pa) != 0 || !pa[0] ||
        !pa[1]) {
        cl_progress_interrupt();
        fprintf(stderr, "usage: caselink import persons FILE.csv --agency "
                        "NAME\n");
        return CLI_EXIT_USAGE;
    }
    const char *path = pa[0], *agency = pa[1];
    FILE *f = fopen(path, "re");
    if (!f) {
        cl_progress_interrupt();
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    cl_csv *csv = NULL;
    cl_client *c = NULL;
    s_islot *w = calloc(W, sizeof(*w));
    char **fields, err[512];
    int col[CL_CSV_MAX_FIELDS];
    size_t n, ncols;
    unsigned long line, rows = 0;
    s_itally t = {0};
    s_import_ctx x = {.path = path, .agency = agency, .col = col};
    x.tmp = calloc(1, sizeof(*x.tmp));
    int status = 0, rc;
    cl_progress prog;
    long fsize = s_file_size(f);
    cl_progress_start(&prog, cn->tty, path, "rows");
    if (!w || !x.tmp || cl_csv_new(&csv, f) != CL_OK) {
        status = CLI_EXIT_FAILED;
        goto out;
    }
    rc = cl_csv_next(csv, &fields, &n, &line, err, sizeof(err));
    if (rc != 1) {
        cl_progress_interrupt();
        fprintf(stderr, "%s:1: %s\n", path,
                rc == 0 ? "empty file: a header row is required" : err);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    ncols = x.ncols = n;
    if ((status = s_import_header(col, fields, n, path)) != 0 ||
        (status = cli_connect(cn, NULL, &c)) != 0)
        goto out;
    for (;;) {
        rc = cl_csv_next(csv, &fields, &n, &line, err, sizeof(err));
        if (rc == 0)
            break;
        rows++;
        if (rc < 0 || n != ncols) {
            if (rc >= 0)
                snprintf(err, sizeof(err), "%zu fields, the header has %zu", n,
                         ncols);
            cl_progress_interrupt();
            fprintf(stderr, "%s:%lu: %s\n", path, line, err);
            t.failed++;
            continue;
        }
        /* wait for a free slot */
        if ((status = s_import_drain(cn, c, w, W, W - 1, path, &t)) != 0)
            goto out;
        if (t.denied)
            break;
        s_islot *slot = NULL;
        for (int i = 0; i < W && !slot; i++)
            if (!w[i].busy)
                slot = &w[i];
        if (!slot)
            continue; /* cannot happen: a slot was freed above */
        int use = s_import_prepare(&x, &slot->req, fields, n, line, &t);
        rows -= use == 0; /* the header again: no row */
        if (use <= 0)
            continue;
        if (cl_client_send(c, &slot->req) != CL_OK) {
            status = cli_transport(CL_ERR_IO, cn);
            goto out;
        }
        slot->busy = true;
        slot->line = line;
        cl_progress_update(&prog, rows, s_file_done(f, fsize));
    }
    if ((status = s_import_drain(cn, c, w, W, 0, path, &t)) != 0)
        goto out;
    cl_progress_end(&prog);
    cl_progress_interrupt();
    s_import_foreign(&x);
    if (t.denied) {
        s_import_stopped(path, &t);
        status = CLI_EXIT_FAILED;
        goto out;
    }
    printf("%s: %lu rows: %lu accepted (%lu updating records this agency "
           "sent before), %lu already imported, %lu rejected\n",
           path, rows, t.accepted, t.own, t.dup, t.failed);
    status = t.failed ? CLI_EXIT_FAILED : 0;
out:
    tdestroy(x.seen, free);
    tdestroy(x.alike, free);
    free(w);
    free(x.tmp);
    cl_client_close(&c);
    cl_csv_destroy(&csv);
    fclose(f);
    return status;
}

typedef struct s_csv_ctx {
    const char *path; /* --csv FILE */
    bool verbose;     /* --verbose */
    int others;       /* anything else: fields of one referral */
} s_csv_ctx;

static int s_csv_opt(void *ctx, const char *o, char **v)
{
    s_csv_ctx *x = ctx;
    if (o && !strcmp(o, "--csv"))
        x->path = v[0];
    else if (o && !strcmp(o, "--verbose"))
        x->verbose = true;
    else
        x->others++;
    return 0;
}

/* publish referral (one, or --csv FILE) and publish plan. */
int cli_publish(cli_conn *cn, int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "plan"))
        return s_publish_plan(cn, argc - 1, argv + 1);
    if (argc < 1 || strcmp(argv[0], "referral") != 0) {
        fprintf(stderr, "usage: caselink publish referral FIELDS... | "
                        "--csv FILE [--verbose]\n"
                        "       caselink publish plan FIELDS...\n");
        return CLI_EXIT_USAGE;
    }
    s_csv_ctx x = {0};
    int status = cli_each(cn, argc, argv, 1, s_csv_opt, &x);
    if (status || !x.path)
        return status ? status : s_publish_one(cn, argc - 1, argv + 1);
    if (x.others) {
        fprintf(stderr, "caselink publish referral: --csv FILE takes the "
                        "fields from the file's header, not as options\n");
        return CLI_EXIT_USAGE;
    }
    return s_publish_csv(cn, x.path, x.verbose);
}
