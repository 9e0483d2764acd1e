/*
 * caselink: main(). The connection options before the command (or their
 * environment variables), --iso and --json anywhere after it, then the
 * command's row (cli_table.c). Nothing calls back into this file.
 */
#include "cli.h"
#include "cli_safe.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_table.h"

/* The views a person reads, wrapped to the terminal (cli_safe.c): the
 * command, and its subcommand or NULL for any. What is not here prints as
 * written (a checkpoint, a registry entry, a report, an export). */
static const struct {
    const char *cmd, *sub;
} s_views[] = {
    {"person", NULL},   {"referral", NULL},  {"mdt", NULL},
    {"inbox", NULL},    {"intake", NULL},    {"actions", NULL},
    {"match", NULL},    {"review", NULL},    {"casefind", NULL},
    {"help", NULL},     {"health", NULL},    {"flag", NULL},
    {"plan", NULL},     {"audit", "search"}, {"audit", "flags"},
    {"admin", "stats"}, {"admin", "feeds"},  {"admin", "key-status"},
};

/* Whether args[0..n) is a view to wrap: listed, and asked for as text
 * (no --json, --csv, --html, --pdf, a man page, a completion script). */
static bool s_wrapped(const cli_conn *cn, int n, char **args)
{
    static const char *const machine[] = {"--csv", "--html",       "--pdf",
                                          "--man", "--completion", "--words"};
    bool view = false;
    if (cn->json || n < 1)
        return false;
    for (size_t i = 0; i < sizeof(s_views) / sizeof(s_views[0]); i++)
        view |=
            !strcmp(args[0], s_views[i].cmd) &&
            (!s_views[i].sub || (n > 1 && !strcmp(args[1], s_views[i].sub)));
    for (int k = 0; view && k < n; k++)
        for (size_t m = 0; m < sizeof(machine) / sizeof(machine[0]); m++)
            view &= strcmp(args[k], machine[m]) != 0;
    return view;
}

int main(int argc, char **argv)
{
    cli_conn cn;
    cli_safe_stdout();
    memset(&cn, 0, sizeof(cn));
    cn.timeout_ms = 5000;
    cn.tty = isatty(2) == 1;
    const char *e;
    if ((e = getenv("CASELINK_ENDPOINT")))
        cl_copy(cn.endpoint, sizeof(cn.endpoint), e);
    if ((e = getenv("CASELINK_SERVER_KEY")))
        cl_copy(cn.server_key, sizeof(cn.server_key), e);
    if ((e = getenv("CASELINK_KEY")))
        cl_copy(cn.key, sizeof(cn.key), e);
    if ((e = getenv("CASELINK_USER")))
        CL_COPY(cn.user.id, e);
    if ((e = getenv("CASELINK_USER_NAME")))
        CL_COPY(cn.user.name, e);
    if ((e = getenv("CASELINK_USER_ROLE")))
        CL_COPY(cn.user.role, e);
    cn.user_file = getenv("CASELINK_USER_FILE");
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--help")) {
            cli_help_text(stdout, NULL);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "caselink: %s needs a value\n", o);
            return CLI_EXIT_USAGE;
        }
        if (!strcmp(o, "--endpoint"))
            cl_copy(cn.endpoint, sizeof(cn.endpoint), v);
        else if (!strcmp(o, "--server-key"))
            cl_copy(cn.server_key, sizeof(cn.server_key), v);
        else if (!strcmp(o, "--key"))
            cl_copy(cn.key, sizeof(cn.key), v);
        else if (!strcmp(o, "--dev"))
            cn.dev = v;
        else if (!strcmp(o, "--as"))
            cn.as = v;
        else if (!strcmp(o, "--user"))
            CL_COPY(cn.user.id, v);
        else if (!strcmp(o, "--user-name"))
            CL_COPY(cn.user.name, v);
        else if (!strcmp(o, "--user-role"))
            CL_COPY(cn.user.role, v);
        else if (!strcmp(o, "--user-file"))
            cn.user_file = v;
        else if (!strcmp(o, "--timeout")) {
            cn.timeout_ms = atoi(v);
            if (cn.timeout_ms <= 0) {
                fprintf(stderr, "caselink: --timeout must be positive\n");
                return CLI_EXIT_USAGE;
            }
        } else {
            fprintf(stderr,
                    "caselink: unknown option %s (caselink help lists the "
                    "connection options)\n",
                    o);
            return CLI_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        cli_help_text(stderr, NULL);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[i];
    /* --iso and --json may follow any command; take them out here. */
    int rest = 0;
    char **args = argv + i;
    for (int k = i; k < argc; k++) {
        if (!strcmp(argv[k], "--iso"))
            cn.iso = true;
        else if (!strcmp(argv[k], "--json") && strcmp(cmd, "report") != 0)
            cn.json = true; /* report --json FILE is the report's own */
        else
            args[rest++] = argv[k];
    }
    if (s_wrapped(&cn, rest, args))
        cli_safe_wrap();
    return cli_dispatch(&cn, rest, args);
}
