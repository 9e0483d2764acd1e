/*
 * caselink: the command-line tool, built on libcaselink.
 *
 *   caselink [connection options] COMMAND ...
 *
 * Connection: --endpoint, --server-key, --key (or CASELINK_ENDPOINT,
 * CASELINK_SERVER_KEY, CASELINK_KEY), or --dev DIR --as NAME for a
 * development-mode folder made by 'caselinkd --dev DIR'.
 *
 * Exit status: 0 done; 1 the daemon refused or failed a request (or some
 * CSV rows failed); 2 usage error; 3 could not reach the daemon.
 *
 * This file holds the connection, the one request call and the helpers
 * every command file shares (cli.h); main() is in cli_main.c, the option
 * reader in cli_opts.c, the commands in cli_*.c, one file per family,
 * dispatched from the rows of cli_table.c. Referral
 * fields have one set of names shared by flags (--family-name) and CSV
 * headers (family_name); see fields.c.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "cli_table.h"
#include "csv.h"

/* --- connection ------------------------------------------------------------
 */

/*
 * The person this command acts for: --user/--user-name/--user-role (or
 * CASELINK_USER, CASELINK_USER_NAME, CASELINK_USER_ROLE), else a user file
 * (--user-file or CASELINK_USER_FILE), else under --dev the file the
 * development folder holds for the client (keys/NAME.user).
 */
static int s_user_setup(cli_conn *cn)
{
    char err[1024], path[PATH_MAX + 128];
    const char *file = cn->user_file;
    if (cl_user_named(&cn->user)) {
        if (cl_user_validate(&cn->user, err) != CL_OK) {
            fprintf(stderr,
                    "caselink: %s (--user, --user-name and --user-role)\n",
                    err);
            return -1;
        }
        return 0;
    }
    size_t klen = strlen(cn->key);
    if (!file && cn->dev && klen > 4 && !strcmp(cn->key + klen - 4, ".key")) {
        snprintf(path, sizeof(path), "%.*s.user", (int)(klen - 4), cn->key);
        if (access(path, F_OK) == 0)
            file = path;
    }
    if (file && cl_user_load(&cn->user, file, err, sizeof(err)) != CL_OK) {
        fprintf(stderr, "caselink: %s\n", err);
        return -1;
    }
    return 0;
}

/* --as NAME with no keys/NAME.key under --dev: a usage mistake. */
static int s_no_such_as(const char *dir, const char *as)
{
    char keys[PATH_MAX + 8];
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    fprintf(stderr, "caselink: --as %s: %s has no key of that name", as, keys);
    struct dirent **e = NULL;
    int n = scandir(keys, &e, NULL, alphasort);
    const char *sep = "; there are: ";
    for (int i = 0; i < n; i++) {
        size_t len = strlen(e[i]->d_name);
        if (len > 4 && !strcmp(e[i]->d_name + len - 4, ".key") &&
            strcmp(e[i]->d_name, "server.key") != 0) {
            fprintf(stderr, "%s%.*s", sep, (int)(len - 4), e[i]->d_name);
            sep = ", ";
        }
        free(e[i]);
    }
    free(e);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

int cli_connect(cli_conn *cn, const char *default_as, cl_client **out)
{
    char err[1024];
    if (cn->dev) {
        char dir[PATH_MAX];
        const char *as = cn->as ? cn->as : default_as;
        if (!as) {
            fprintf(stderr, "caselink: --dev needs --as NAME for this "
                            "command\n");
            return CLI_EXIT_USAGE;
        }
        if (!realpath(cn->dev, dir)) {
            fprintf(stderr, "caselink: %s: %s\n", cn->dev, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        snprintf(cn->endpoint, sizeof(cn->endpoint), "ipc://%s/caselinkd.sock",
                 dir);
        snprintf(cn->server_key, sizeof(cn->server_key), "%s/keys/server.pub",
                 dir);
        snprintf(cn->key, sizeof(cn->key), "%s/keys/%.64s.key", dir, as);
        if (access(cn->key, F_OK) != 0)
            return s_no_such_as(dir, as);
    }
    if (!cn->endpoint[0] || !cn->server_key[0] || !cn->key[0]) {
        fprintf(stderr, "caselink: say where the daemon is: --endpoint, "
                        "--server-key and --key (or --dev DIR --as NAME)\n");
        return CLI_EXIT_USAGE;
    }
    if (s_user_setup(cn) != 0)
        return CLI_EXIT_USAGE;
    cl_client_options o = {.endpoint = cn->endpoint,
                           .server_key = cn->server_key,
                           .client_key = cn->key,
                           .timeout_ms = cn->timeout_ms,
                           .user = cl_user_named(&cn->user) ? &cn->user : NULL};
    if (cl_client_open(out, &o, err, sizeof(err)) != CL_OK) {
        fprintf(stderr, "caselink: %s\n", err);
        return CLI_EXIT_UNREACHABLE;
    }
    return 0;
}

/* Explain a transport-level failure; returns the exit status. */
int cli_transport(int rc, const cli_conn *cn)
{
    if (rc == CL_ERR_DENIED)
        fprintf(stderr,
                "caselink: the daemon refused this client's key (%s): it is "
                "not in the registry\n",
                cn->key);
    else if (rc == CL_ERR_UNREACHABLE)
        fprintf(stderr,
                "caselink: nothing is listening at %s: caselinkd is not "
                "running there (start it, or check --endpoint)\n",
                cn->endpoint);
    else if (rc == CL_ERR_SERVER_KEY)
        fprintf(stderr,
                "caselink: wrong server key: the daemon at %s did not accept "
                "the handshake made with %s; get the daemon's server.pub\n",
                cn->endpoint, cn->server_key);
    else if (rc == CL_ERR_TIMEOUT)
        fprintf(stderr,
                "caselink: no answer from %s within %d ms (the daemon is "
                "connected but busy, or stopped part-way; try --timeout)\n",
                cn->endpoint, cn->timeout_ms);
    else
        fprintf(stderr, "caselink: %s\n", cl_strerror(rc));
    return CLI_EXIT_UNREACHABLE;
}

/* A request this client's role may not send ("create_review is not allowed
 * for client gp"), said with the role the command's row names ("mdt
 * create ... (coordinator)"). False if it is not that refusal. */
static bool s_denied_role(const cli_conn *cn, const cl_reply *rep)
{
    const char *lead = " is not allowed for client ";
    const char *client = strstr(rep->error, lead);
    if (rep->status != CL_STATUS_DENIED || !client || !cn->row)
        return false;
    client += strlen(lead);
    const char *help = cn->row->help;
    size_t n = strlen(help), role = 0;
    const char *open = n && help[n - 1] == ')' ? strrchr(help, '(') : NULL;
    if (open)
        role = strspn(open + 1, "abcdefghijklmnopqrstuvwxyz ");
    if (open && open[1 + role] == ')' &&
        (strstr(open, "coordinator") || strstr(open, "operator") ||
         strstr(open, "auditor") || strstr(open, "publisher")))
        fprintf(stderr,
                "caselink: denied: 'caselink %s' is for %.*s keys, and "
                "client %s is not one (nothing was done)\n",
                cn->row->words, (int)role, open + 1, client);
    else
        fprintf(stderr,
                "caselink: denied: client %s may not run 'caselink %s' "
                "(nothing was done; caselink help %s says whose it is)\n",
                client, cn->row->words, cn->row->words);
    return true;
}

/* A refusal's protocol path as the option the user typed:
 * "case_finding.not_known_to[0]: agency: ..." under a row that takes
 * --not-known-to is "--not-known-to: agency: ...". The length of the path
 * and its ": " in *skip, the option in opt; false if it is no such path. */
static bool s_path_option(const cli_conn *cn, const char *err, size_t *skip,
                          char opt[64])
{
    size_t body = strspn(err, "abcdefghijklmnopqrstuvwxyz_");
    if (!cn->row || !body || err[body] != '.')
        return false;
    const char *f = err + body + 1;
    size_t flen = strspn(f, "abcdefghijklmnopqrstuvwxyz_");
    size_t end = flen;
    if (f[end] == '[') {
        size_t d = strspn(f + end + 1, "0123456789");
        if (!d || f[end + 1 + d] != ']')
            return false;
        end += d + 2;
    }
    if (!flen || flen > 60 || strncmp(f + end, ": ", 2) != 0)
        return false;
    snprintf(opt, 64, "--%.*s", (int)flen, f);
    for (char *c = opt; *c; c++)
        *c = *c == '_' ? '-' : *c;
    for (const char *const *o = cn->row->opts; o && *o; o++)
        if (cli_opt_len(*o) == strlen(opt) && !strncmp(*o, opt, strlen(opt))) {
            *skip = body + 1 + end + 2;
            return true;
        }
    return false;
}

int cli_status(const cli_conn *cn, const cl_reply *rep)
{
    char status[32], opt[64]; /* "not found", not not_found */
    size_t skip = 0;
    if (s_denied_role(cn, rep))
        return CLI_EXIT_FAILED;
    cl_words_say(status, sizeof(status), cl_status_name(rep->status));
    if (s_path_option(cn, rep->error, &skip, opt))
        fprintf(stderr, "caselink: %s: %s: %s\n", status, opt,
                rep->error + skip);
    else
        fprintf(stderr, "caselink: %s: %s\n", status,
                rep->error[0] ? rep->error : "(no detail)");
    return CLI_EXIT_FAILED;
}

/*
 * Connect (as default_as under --dev), send req and wait for its reply.
 * Returns 0 with *rep holding a reply that was carried out (now, or at an
 * earlier send of the same id); otherwise prints why and returns the exit
 * status, with *rep cleared. The caller clears *rep.
 */
int cli_call_on(const cli_conn *cn, cl_client *c, cl_request *req,
                cl_reply *rep)
{
    int rc = cl_client_call(c, req, rep);
    if (rc != CL_OK)
        return cli_transport(rc, cn);
    if (!cl_reply_ok(rep)) {
        int status = cli_status(cn, rep);
        cl_reply_clear(rep);
        return status;
    }
    return 0;
}

int cli_call(cli_conn *cn, const char *default_as, cl_request *req,
             cl_reply *rep)
{
    cl_client *c = NULL;
    memset(rep, 0, sizeof(*rep));
    int status = cli_connect(cn, default_as, &c);
    if (status)
        return status;
    status = cli_call_on(cn, c, req, rep);
    cl_client_close(&c);
    return status;
}

/* --- dates, names and reasons as people type and read them ---------------
 */

void cli_day(const cli_conn *cn, char out[CL_WHEN_SHOW_SZ], int64_t t)
{
    cl_when_show_day(out, t, cn->iso);
}

void cli_time(const cli_conn *cn, char out[CL_WHEN_SHOW_SZ], int64_t t)
{
    cl_when_show_time(out, t, cn->iso);
}

void cli_dob(const cli_conn *cn, char out[CL_WHEN_SHOW_SZ], const char *iso)
{
    cl_when_show_date(out, iso, cn->iso);
}

bool cli_date_opt(char out[CL_DATE_SZ], const char *v, const char *what)
{
    char err[256];
    if (cl_when_date(out, v, what, err, sizeof(err)))
        return true;
    fprintf(stderr, "caselink: %s\n", err);
    return false;
}

bool cli_month_opt(char out[CL_MONTH_SZ], const char *v, const char *what)
{
    char err[256];
    if (cl_when_month(out, v, what, err, sizeof(err)))
        return true;
    fprintf(stderr, "caselink: %s\n", err);
    return false;
}

bool cli_num_opt(uint32_t *out, const char *v, const char *what, uint32_t min)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n =
        v[0] >= '0' && v[0] <= '9' ? strtoull(v, &end, 10) : 0;
    if (!end || *end || errno || n > UINT32_MAX) {
        fprintf(stderr, "caselink: %s: '%s' is not a whole number\n", what, v);
        return false;
    }
    if (n < min) {
        fprintf(stderr, "caselink: %s: %llu is too small (at least %u)\n", what,
                n, min);
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

/* "Dr A Patel (GP)", "Dr A Patel", "GP", or "" when neither is given. */
void cli_referrer(char out[2 * CL_NAME_SZ + 4], const char *name,
                  const char *role)
{
    if (name[0] && role[0])
        snprintf(out, 2 * CL_NAME_SZ + 4, "%s (%s)", name, role);
    else
        snprintf(out, 2 * CL_NAME_SZ + 4, "%s", name[0] ? name : role);
}

/* --access-reason CODE: one of the documented break-glass reasons. */
bool cli_access_reason(uint8_t *out, const char *v)
{
    int r = cli_enum("--access-reason", v, cl_access_parse, CL_W_ACCESS, 1);
    if (r < 0)
        return false;
    *out = (uint8_t)r;
    return true;
}

/* --- options ---------------------------------------------------------------
 */

typedef struct s_opts_ctx {
    cl_request *req;
    cli_set_fn set;
} s_opts_ctx;

static int s_opts_each(void *ctx, const char *o, char **v)
{
    s_opts_ctx *x = ctx;
    if (!o)
        return CLI_EXIT_USAGE; /* a word where an option was expected */
    return x->set(x->req, o, v ? v[0] : NULL);
}

int cli_opts(const cli_conn *cn, cl_request *req, int argc, char **argv,
             int first, cli_set_fn set)
{
    s_opts_ctx x = {req, set};
    return cli_each(cn, argc, argv, first, s_opts_each, &x);
}

cl_request *cli_req_on_id(const cli_conn *cn, cl_req_kind kind, size_t id,
                          size_t cap, int argc, char **argv, cli_set_fn set)
{
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        return NULL;
    req->kind = kind;
    if (argc < 1 || !cl_copy((char *)req + id, cap, argv[0]) ||
        cli_opts(cn, req, argc, argv, 1, set) != 0) {
        free(req);
        return NULL;
    }
    return req;
}

int cli_ok(bool ok)
{
    return ok ? 0 : CLI_EXIT_USAGE;
}

/* --- JSON pieces for --json listings ------------------------------------- */

void cli_jstr(const char *s)
{
    cl_json_str_write(stdout, s);
}

void cli_jkv(const char *k, const char *v, bool comma)
{
    cli_jstr(k);
    putchar(':');
    cli_jstr(v);
    if (comma)
        putchar(',');
}

void cli_jtime(const char *k, int64_t t, bool comma)
{
    char iso[CL_WHEN_SHOW_SZ];
    cl_when_show_time(iso, t, true);
    cli_jkv(k, iso, comma);
}

void cli_jnum(const char *k, int64_t v, bool comma)
{
    cli_jstr(k);
    printf(":%lld%s", (long long)v, comma ? "," : "");
}
