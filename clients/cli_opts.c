/*
 * cli_opts: a command's options, read against its row of cli_table.c:
 * cli_each walks the words after the command, giving each option exactly
 * as many values as the row's spec declares; cli_check_opts refuses an
 * option the row does not list, with "did you mean". Calls nothing else
 * of the tool's, so every command file may use it.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "cl_distance.h"
#include "cli_table.h"
#include "fields.h"
#include "words.h"

/* The option's name: "--since DATE\t..." -> "--since" (len). */
size_t cli_opt_len(const char *o)
{
    return strcspn(o, " \t");
}

/* How many values an option spec takes: the words between its name and
 * the tab ("--baseline FROM TO" two, "--all" none). */
static int s_opt_arity(const char *o)
{
    int n = 0;
    for (const char *p = o + cli_opt_len(o); *p == ' ';) {
        n++;
        p += 1 + strcspn(p + 1, " \t");
    }
    return n;
}

void cli_consider(const char *want, const char *cand, size_t clen,
                  const char **best, size_t *best_len, size_t *best_d)
{
    size_t d = cl_distance(want, strlen(want), cand, clen, false);
    if (d < *best_d) {
        *best = cand;
        *best_len = clen;
        *best_d = d;
    }
}

int cli_enum(const char *opt, const char *v, int (*parse)(const char *),
             cl_words_kind k, unsigned first)
{
    int x = parse(v);
    if (x >= (int)first)
        return x;
    char why[512];
    cl_words_unknown(why, sizeof(why), k, first, v);
    fprintf(stderr, "caselink: %s: %s\n", opt, why);
    return -1;
}

/* Whether the row (or its field lists) takes option o ("--since"), and
 * how many values it takes (*arity). */
static const char *s_row_opt(const cli_row *r, const char *o, int *arity)
{
    for (const char *const *p = r->opts; p && *p; p++)
        if (strlen(o) == cli_opt_len(*p) && !strncmp(*p, o, cli_opt_len(*p))) {
            *arity = s_opt_arity(*p);
            return *p;
        }
    const char *f = o + 2;
    *arity = 1;
    if (((r->fields & CLI_REFERRAL_FIELDS) &&
         cl_fields_known(cl_referral_field_docs, f)) ||
        ((r->fields & CLI_PLAN_FIELDS) &&
         cl_fields_known(cl_plan_field_docs, f)) ||
        ((r->fields & CLI_PERSON_FIELDS) &&
         cl_fields_known(cl_person_field_docs, f)))
        return o;
    return NULL;
}

static void s_suggest_opt(const cli_row *r, const char *o)
{
    const char *best = NULL;
    size_t best_len = 0, best_d = 3;
    for (const char *const *p = r->opts; p && *p; p++)
        cli_consider(o, *p, cli_opt_len(*p), &best, &best_len, &best_d);
    const cl_field_doc *lists[3] = {
        r->fields & CLI_REFERRAL_FIELDS ? cl_referral_field_docs : NULL,
        r->fields & CLI_PLAN_FIELDS ? cl_plan_field_docs : NULL,
        r->fields & CLI_PERSON_FIELDS ? cl_person_field_docs : NULL};
    static char flag[80];
    for (int l = 0; l < 3; l++)
        for (const cl_field_doc *d = lists[l]; d && d->name; d++)
            for (int k = 0; k < 2; k++) {
                const char *n = k ? d->alias : d->name;
                if (!n)
                    continue;
                char f[80];
                snprintf(f, sizeof(f), "--%s", n);
                for (char *c = f; *c; c++)
                    if (*c == '_')
                        *c = '-';
                size_t dd = cl_distance(o, strlen(o), f, strlen(f), false);
                if (dd < best_d) {
                    memcpy(flag, f, sizeof(flag));
                    best = flag;
                    best_len = strlen(f);
                    best_d = dd;
                }
            }
    if (best)
        fprintf(stderr, "; did you mean %.*s?", (int)best_len, best);
}

/* Every --option in argv must be one the row lists. */
bool cli_check_opts(const cli_row *r, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2])
            continue;
        int arity = 0;
        if (!s_row_opt(r, argv[i], &arity)) {
            fprintf(stderr, "caselink %s: unknown option %s", r->words,
                    argv[i]);
            s_suggest_opt(r, argv[i]);
            fprintf(stderr, " (see caselink help %.*s)\n",
                    (int)strcspn(r->words, " "), r->words);
            return false;
        }
        i += arity; /* its values, whatever they look like */
    }
    return true;
}

int cli_each(const cli_conn *cn, int argc, char **argv, int first,
             cli_each_fn each, void *ctx)
{
    const cli_row *r = cn->row;
    for (int i = first; i < argc; i++) {
        int arity = 0, status;
        const char *o = argv[i];
        if (strncmp(o, "--", 2) != 0 || !o[2]) {
            if ((status = each(ctx, NULL, &argv[i])) != 0)
                return status;
            continue;
        }
        if (!r || !s_row_opt(r, o, &arity)) {
            fprintf(stderr, "caselink%s%s: unknown option %s\n", r ? " " : "",
                    r ? r->words : "", o);
            return CLI_EXIT_USAGE;
        }
        if (argc - i - 1 < arity) {
            fprintf(stderr, "caselink %s: %s needs %s\n", r->words, o,
                    arity == 1 ? "a value" : "more values");
            return CLI_EXIT_USAGE;
        }
        if ((status = each(ctx, o, arity ? &argv[i + 1] : NULL)) != 0)
            return status;
        i += arity;
    }
    return 0;
}

int cli_usage(const cli_conn *cn, const char *first)
{
    size_t len = strlen(first), k = 0;
    for (size_t i = 0; i < cn->n_rows; i++) {
        const cli_row *r = &cn->rows[i];
        if (r->now || strncmp(r->words, first, len) ||
            (r->words[len] && r->words[len] != ' '))
            continue;
        fprintf(stderr, "%s caselink %s%s%s%s\n",
                k++ ? "      " : "usage:", r->words, r->synopsis[0] ? " " : "",
                r->synopsis, r->fields & CLI_JSON ? " [--json]" : "");
    }
    return CLI_EXIT_USAGE;
}
