/*
 * cli_table: every command of the caselink tool, once. A row names the
 * command's words, its arguments, what it does and for whom, the options
 * it takes and its handler. main() dispatches from the table and refuses
 * any option a row does not list (with "did you mean"); `caselink help`,
 * the man page (`caselink help --man`, built into caselink.1) and bash
 * completion (`caselink help --completion`) are written from it, so they
 * cannot drift from what the parser accepts.
 *
 * A new command is one row here plus its handler.
 */
#ifndef CL_CLI_TABLE_H
#define CL_CLI_TABLE_H

#include <stdio.h>

#include "cli.h"

/* What else a row's options may be, besides its own list. */
enum {
    CLI_REFERRAL_FIELDS = 1, /* any referral field (--given, --dob, ...) */
    CLI_PLAN_FIELDS = 2,     /* any plan field */
    CLI_PERSON_FIELDS = 4,   /* any person field (for searches) */
    CLI_JSON = 8,            /* --json: its output as JSON */
};

typedef struct cli_row {
    const char *words;    /* "person show" */
    const char *synopsis; /* arguments, as in usage */
    const char *help;     /* what it does, and whose role it needs */
    /* "--name ARG\thelp" (no ARG: a switch); NULL-terminated, or NULL */
    const char *const *opts;
    unsigned fields; /* CLI_*_FIELDS, CLI_JSON */
    /* the handler, given the arguments after the first word */
    int (*run)(cli_conn *cn, int argc, char **argv);
    const char *now; /* an old name: the command's name now */
} cli_row;

extern const cli_row cli_rows[];
extern const size_t cli_n_rows;

/* Run the command in argv (after the connection options); sets cn->row. */
int cli_dispatch(cli_conn *cn, int argc, char **argv);

/* cli_opts.c: the option name of a spec ("--since DATE\t..." -> length
 * of "--since"); whether every --option in argv is one row r lists
 * (prints why not); the nearest of candidate names for "did you mean". */
size_t cli_opt_len(const char *o);
bool cli_check_opts(const cli_row *r, int argc, char **argv);
void cli_consider(const char *want, const char *cand, size_t clen,
                  const char **best, size_t *best_len, size_t *best_d);

/* Help: everything, or one command's rows (cmd may be NULL). */
void cli_help_text(FILE *f, const char *cmd);
void cli_help_man(FILE *f);
void cli_help_completion(FILE *f);

#endif
