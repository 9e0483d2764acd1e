/*
 * cli: what the caselink tool's command files share (connection, one
 * request, error reporting). Not installed.
 */
#ifndef CL_CLI_H
#define CL_CLI_H

#include <limits.h>
#include <stdint.h>

#include "caselink.h"
#include "when.h"
#include "words.h"

#define S_EXIT_FAILED      1
#define S_EXIT_USAGE       2
#define S_EXIT_UNREACHABLE 3

typedef struct s_conn {
    char endpoint[PATH_MAX + 128];
    char server_key[PATH_MAX + 128];
    char key[PATH_MAX + 128];
    const char *dev; /* --dev DIR */
    const char *as;  /* --as NAME */
    int timeout_ms;
    bool iso;              /* --iso: dates and times as ISO 8601 (UTC) */
    bool json;             /* --json: listings as JSON */
    bool tty;              /* standard error is a terminal (progress) */
    cl_user user;          /* --user, --user-name, --user-role */
    const char *user_file; /* --user-file FILE */
} s_conn;

/* Connect as the configured client (default_as under --dev). */
int s_connect(s_conn *cn, const char *default_as, cl_client **out);

/* Explain a transport-level failure; returns the exit status. */
int s_transport(int rc, const s_conn *cn);

/* Explain a refused request; returns the exit status. */
int s_status(const cl_reply *rep);

/* Connect, send req, wait: 0 with *rep carried out, else the exit status
 * (printed) with *rep cleared. */
int s_request(s_conn *cn, const char *default_as, cl_request *req,
              cl_reply *rep);

/* A unix time as a person reads it: "24 Dec 2026" (s_day) or
 * "24 Dec 2026 14:05 GMT" (s_time), London time; ISO under --iso. */
void s_day(const s_conn *cn, char out[CL_WHEN_SHOW_SZ], int64_t t);
void s_time(const s_conn *cn, char out[CL_WHEN_SHOW_SZ], int64_t t);
/* A YYYY-MM-DD date as a person reads it ("24 Dec 1980"). */
void s_dob(const s_conn *cn, char out[CL_WHEN_SHOW_SZ], const char *iso);

/* Routing commands (cli_route.c). */
int s_inbox(s_conn *cn, int argc, char **argv);
int s_request_cmd(s_conn *cn, int argc, char **argv);
int s_respond(s_conn *cn, int argc, char **argv);
int s_referral_status(s_conn *cn, int argc, char **argv);
int s_admin_feeds(s_conn *cn);

/* One record of a review pair, on a line (cli.c). */
void s_print_record(const s_conn *cn, const char *label,
                    const cl_agency_record *a, const char *pid);

/* A date option typed in ISO or UK form into out (YYYY-MM-DD); false,
 * with the reason on standard error, if it is not a date. */
bool s_date_opt(char out[CL_DATE_SZ], const char *v, const char *what);
/* The same for a month (YYYY-MM). */
bool s_month_opt(char out[CL_MONTH_SZ], const char *v, const char *what);

/* JSON pieces for --json listings: "k":"v", "k":"ISO time", "k":N, each
 * followed by a comma when comma is set. */
void s_jkv(const char *k, const char *v, bool comma);
void s_jtime(const char *k, int64_t t, bool comma);
void s_jnum(const char *k, int64_t v, bool comma);

/* "Dr A Patel (GP)", "Dr A Patel", "GP", or "" when neither is given. */
void s_referrer(char out[2 * CL_NAME_SZ + 4], const char *name,
                const char *role);

/* Command handlers (cli.c): each gets the arguments after the command's
 * first word; their rows are in cli_table.c. */
int s_keygen_cmd(s_conn *cn, int argc, char **argv);
int s_health_cmd(s_conn *cn, int argc, char **argv);
int s_publish(s_conn *cn, int argc, char **argv);
int s_import(s_conn *cn, int argc, char **argv);
int s_person(s_conn *cn, int argc, char **argv);
int s_casefind(s_conn *cn, int argc, char **argv);
int s_links(s_conn *cn, int argc, char **argv);
int s_review(s_conn *cn, int argc, char **argv);
int s_mdt(s_conn *cn, int argc, char **argv);
int s_referral(s_conn *cn, int argc, char **argv);
int s_audit(s_conn *cn, int argc, char **argv);
int s_admin(s_conn *cn, int argc, char **argv);

/* Print a linked case view (cli.c). */
void s_print_view(const s_conn *cn, const cl_person_view *v);

/* MDT commands (cli_mdt.c). */
int s_mdt_discuss(s_conn *cn, int argc, char **argv);
int s_action(s_conn *cn, int argc, char **argv);
int s_actions(s_conn *cn, int argc, char **argv);
int s_rag(s_conn *cn, int argc, char **argv);
int s_measure(s_conn *cn, int argc, char **argv);
int s_report(s_conn *cn, int argc, char **argv);
int s_review_show(s_conn *cn, int argc, char **argv);

/* Lists (cli_intake.c): referrals, reviews. */
int s_referral_list(s_conn *cn, int argc, char **argv);
int s_mdt_list(s_conn *cn, int argc, char **argv);

/* The intake queue (cli_intake.c). */
int s_intake(s_conn *cn, int argc, char **argv);
void s_print_intake(const s_conn *cn, const cl_intake_item *x);
/* The front-line flag (cli_flag.c). */
int s_flag(s_conn *cn, int argc, char **argv);
int s_plan_cmd(s_conn *cn, int argc, char **argv);
int s_audit_flags(s_conn *cn, int argc, char **argv);
void s_print_flags(const cl_flag_result *f);

/* Linking commands (cli_link.c): the review queue's pages, link evaluate. */
int s_review_list(s_conn *cn, int argc, char **argv);
int s_link(s_conn *cn, int argc, char **argv);

#endif
