/*
 * cli: what the caselink tool's command files share (connection, one
 * request, error reporting, dates and JSON pieces, in cli.c) and every
 * command handler, by the file that holds it. Not installed.
 */
#ifndef CL_CLI_H
#define CL_CLI_H

#include <limits.h>
#include <stdint.h>

#include "caselink.h"
#include "cli_json.h"
#include "when.h"
#include "words.h"

#define CLI_EXIT_FAILED      1
#define CLI_EXIT_USAGE       2
#define CLI_EXIT_UNREACHABLE 3

struct cli_row;

typedef struct cli_conn {
    char endpoint[PATH_MAX + 128];
    char server_key[PATH_MAX + 128];
    char key[PATH_MAX + 128];
    const char *dev; /* --dev DIR */
    const char *as;  /* --as NAME */
    int timeout_ms;
    bool iso;                   /* --iso: dates and times as ISO 8601 (UTC) */
    bool json;                  /* --json: listings as JSON */
    bool tty;                   /* standard error is a terminal (progress) */
    cl_user user;               /* --user, --user-name, --user-role */
    const char *user_file;      /* --user-file FILE */
    const struct cli_row *row;  /* the command being run (cli_table.c) */
    const struct cli_row *rows; /* every command, from the dispatcher */
    size_t n_rows;
} cli_conn;

/*
 * The one option parser, used by every command: walks argv from first as
 * the running command's row (cn->row) declares its options, calling each
 * for every --option with its values (v: as many as the row's spec names,
 * "--baseline FROM TO" two; NULL for a switch) and for every other word
 * (o NULL, v[0] the word). each returns 0 to go on, else an exit status,
 * which stops the walk and is returned. An option the row does not list,
 * or one missing its value, is a usage error said here.
 */
typedef int (*cli_each_fn)(void *ctx, const char *o, char **v);
int cli_each(const cli_conn *cn, int argc, char **argv, int first,
             cli_each_fn each, void *ctx);

/* cli_each for a command whose options all go into one request: set gets
 * each option with its value (NULL for a switch) and returns 0 or an exit
 * status; a word that is not an option is a usage error. */
typedef int (*cli_set_fn)(cl_request *req, const char *o, const char *v);
int cli_opts(const cli_conn *cn, cl_request *req, int argc, char **argv,
             int first, cli_set_fn set);
/* A request of kind about the id in argv[0] (copied into the char[cap]
 * member at offset id), its options after it set by set: the request
 * (caller frees), or NULL if the arguments are not its usage. */
cl_request *cli_req_on_id(const cli_conn *cn, cl_req_kind kind, size_t id,
                          size_t cap, int argc, char **argv, cli_set_fn set);
/* 0 if ok, else CLI_EXIT_USAGE: for setters. */
int cli_ok(bool ok);
/* The value v of enum option opt, parsed by parse: its number if it is k's
 * value first or above, else -1 after saying on stderr which value was
 * wrong, the nearest name and the choices (cl_words_unknown). */
int cli_enum(const char *opt, const char *v, int (*parse)(const char *),
             cl_words_kind k, unsigned first);

/* Connect as the configured client (default_as under --dev). */
int cli_connect(cli_conn *cn, const char *default_as, cl_client **out);

/* Explain a transport-level failure; returns the exit status. */
int cli_transport(int rc, const cli_conn *cn);

/* Explain a refused request; returns the exit status. */
int cli_status(const cli_conn *cn, const cl_reply *rep);

/* Send req on c and wait: 0 with *rep carried out, else the exit status
 * (printed) with *rep cleared. For a command that sends several (pages:
 * each with its message id zeroed, so each gets a new one). */
int cli_call_on(const cli_conn *cn, cl_client *c, cl_request *req,
                cl_reply *rep);

/* Usage of every command whose words begin with first ("link", "mdt
 * record"), from the command table, on standard error (cli_opts.c);
 * returns CLI_EXIT_USAGE. */
int cli_usage(const cli_conn *cn, const char *first);

/* Connect, send req, wait: 0 with *rep carried out, else the exit status
 * (printed) with *rep cleared. */
int cli_call(cli_conn *cn, const char *default_as, cl_request *req,
             cl_reply *rep);

/* A unix time as a person reads it: "24 Dec 2026" (cli_day) or
 * "24 Dec 2026 14:05 GMT" (cli_time), London time; ISO under --iso. */
void cli_day(const cli_conn *cn, char out[CL_WHEN_SHOW_SZ], int64_t t);
void cli_time(const cli_conn *cn, char out[CL_WHEN_SHOW_SZ], int64_t t);
/* A YYYY-MM-DD date as a person reads it ("24 Dec 1980"). */
void cli_dob(const cli_conn *cn, char out[CL_WHEN_SHOW_SZ], const char *iso);

/* Routing commands (cli_route.c). */
int cli_inbox(cli_conn *cn, int argc, char **argv);
int cli_request_cmd(cli_conn *cn, int argc, char **argv);
int cli_respond(cli_conn *cn, int argc, char **argv);
int cli_referral_status(cli_conn *cn, int argc, char **argv);
int cli_admin_feeds(cli_conn *cn);

/* A date option typed in ISO or UK form into out (YYYY-MM-DD); false,
 * with the reason on standard error, if it is not a date. */
bool cli_date_opt(char out[CL_DATE_SZ], const char *v, const char *what);
/* The same for a month (YYYY-MM). */
bool cli_month_opt(char out[CL_MONTH_SZ], const char *v, const char *what);
/* A whole number option of at least min ("--limit 50") into out; false,
 * with the reason on standard error ("--limit: 'abc' is not a whole
 * number"), for anything else, so "--limit 5x" is never read as 5. */
bool cli_num_opt(uint32_t *out, const char *v, const char *what, uint32_t min);

/* JSON pieces for --json listings: "k":"v", "k":"ISO time", "k":N, each
 * followed by a comma when comma is set. */
void cli_jkv(const char *k, const char *v, bool comma);
/* A JSON string, quoted and escaped. */
void cli_jstr(const char *s);
void cli_jtime(const char *k, int64_t t, bool comma);
void cli_jnum(const char *k, int64_t v, bool comma);

/* "Dr A Patel (GP)", "Dr A Patel", "GP", or "" when neither is given. */
void cli_referrer(char out[2 * CL_NAME_SZ + 4], const char *name,
                  const char *role);

/* Command handlers: each gets the arguments after the command's first
 * word; their rows are in cli_table.c. */

/* cli_admin.c: keygen, health, admin. */
int cli_keygen_cmd(cli_conn *cn, int argc, char **argv);
int cli_health_cmd(cli_conn *cn, int argc, char **argv);
int cli_admin(cli_conn *cn, int argc, char **argv);

/* cli_publish.c: publish referral (one or --csv), publish plan, import. */
int cli_publish(cli_conn *cn, int argc, char **argv);
int cli_import(cli_conn *cn, int argc, char **argv);

/* cli_case.c: person show/find/split/hold/release, casefind, referral
 * correct/withdraw. */
int cli_person(cli_conn *cn, int argc, char **argv);
int cli_casefind(cli_conn *cn, int argc, char **argv);
int cli_referral(cli_conn *cn, int argc, char **argv);

/* cli_view.c: the linked case view and agency records, as text and JSON. */
void cli_print_view(const cli_conn *cn, const cl_person_view *v);
/* One record of a review pair, on a line. */
void cli_print_record(const cli_conn *cn, const char *label,
                      const cl_agency_record *a, const char *pid);
/* "Jane Smith", or "(no name recorded)". */
const char *cli_person_name(char out[2 * CL_NAME_SZ + 2], const char *given,
                            const char *family);
/* The agencies a person is known to (their records are about them) and
 * those that only mentioned them, after lead (none: if no agency). */
void cli_print_known(const char *lead, const char *none, size_t n,
                     const char (*known)[CL_AGENCY_SZ], size_t n_m,
                     const char (*mentioned)[CL_AGENCY_SZ]);
/* JSON rows of a person's details and of a referral (cli_view.c). */
extern const cli_jrow cli_person_jrows[];
extern const cli_jrow cli_referral_jrows[];
/* A case view's "records" (without their ids) and "referrals" rows. */
extern const cli_jrow cli_view_records_noid_jrows[];
/* JSON of a person's details; a whole case view. */
void cli_json_person(const cl_person *p);
void cli_json_view(const cl_person_view *v);
/* JSON of one referral, and the "records":[...],"referrals":[...] of a case
 * view (with_ids: each record's id too), for person show and subject
 * access. */
void cli_json_referral(const cl_referral_view *r);
void cli_json_records(const cl_person_view *v, bool with_ids);
/* One agency's record of a person as JSON (with_id: its R... id too). */
void cli_json_record(const cl_agency_record *r, bool with_id);

/* cli_audit.c: audit verify, checkpoint, search, subject-access. */
int cli_audit(cli_conn *cn, int argc, char **argv);

/* A break-glass reason code (--access-reason) into *out; false if it is
 * not one (cli.c). */
bool cli_access_reason(uint8_t *out, const char *v);

/* cli_link.c: links export, match accept/reject, and (below) the queue's
 * pages and link evaluate/train/weights/rerun. person split and match
 * accept/reject send a link change about id with the --reason in argv. */
int cli_links(cli_conn *cn, int argc, char **argv);
int cli_review(cli_conn *cn, int argc, char **argv);
int cli_link_change(cli_conn *cn, cl_req_kind kind, const char *id, bool accept,
                    int argc, char **argv);

/* cli_mdt.c: mdt create, add, show, record. */
int cli_mdt(cli_conn *cn, int argc, char **argv);

/* MDT commands (cli_mdt.c). */
int cli_mdt_discuss(cli_conn *cn, int argc, char **argv);
int cli_action(cli_conn *cn, int argc, char **argv);
int cli_actions(cli_conn *cn, int argc, char **argv);
int cli_rag(cli_conn *cn, int argc, char **argv);
int cli_measure(cli_conn *cn, int argc, char **argv);
int cli_report(cli_conn *cn, int argc, char **argv);
int cli_review_show(cli_conn *cn, int argc, char **argv);

/* Lists (cli_intake.c): referrals, reviews. */
int cli_referral_list(cli_conn *cn, int argc, char **argv);
int cli_mdt_list(cli_conn *cn, int argc, char **argv);

/* The intake queue (cli_intake.c). */
int cli_intake(cli_conn *cn, int argc, char **argv);
void cli_print_intake(const cli_conn *cn, const cl_intake_item *x);
/* An intake item's decision as JSON rows, "state" to "reason": for intake
 * --json and subject access. */
extern const cli_jrow cli_intake_decision_jrows[];
/* The front-line flag (cli_flag.c). */
int cli_flag(cli_conn *cn, int argc, char **argv);
int cli_plan_cmd(cli_conn *cn, int argc, char **argv);
int cli_audit_flags(cli_conn *cn, int argc, char **argv);
void cli_print_flags(const cli_conn *cn, const cl_flag_result *f);

/* Linking commands (cli_link.c): the review queue's pages, link evaluate. */
int cli_review_list(cli_conn *cn, int argc, char **argv);
int cli_link(cli_conn *cn, int argc, char **argv);

#endif
