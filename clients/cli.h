/*
 * cli: what the caselink tool's command files share (connection, one
 * request, error reporting). Not installed.
 */
#ifndef CL_CLI_H
#define CL_CLI_H

#include <limits.h>
#include <stdint.h>

#include "caselink.h"

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

/* YYYY-MM-DD of a unix time, "-" for none. */
void s_date(char out[32], int64_t t);

/* Routing commands (cli_route.c). */
int s_inbox(s_conn *cn, int argc, char **argv);
int s_request_cmd(s_conn *cn, int argc, char **argv);
int s_respond(s_conn *cn, int argc, char **argv);
int s_referral_status(s_conn *cn, int argc, char **argv);
int s_admin_feeds(s_conn *cn);

/* One record of a review pair, on a line (cli.c). */
void s_print_record(const char *label, const cl_agency_record *a,
                    const char *pid);

/* Print a linked case view (cli.c). */
void s_print_view(const cl_person_view *v);

/* MDT commands (cli_mdt.c). */
int s_mdt_discuss(s_conn *cn, int argc, char **argv);
int s_action(s_conn *cn, int argc, char **argv);
int s_actions(s_conn *cn, int argc, char **argv);
int s_rag(s_conn *cn, int argc, char **argv);
int s_measure(s_conn *cn, int argc, char **argv);
int s_report(s_conn *cn, int argc, char **argv);
int s_review_show(s_conn *cn, const char *id);

/* Linking commands (cli_link.c): the review queue's pages, link evaluate. */
int s_review_list(s_conn *cn, int argc, char **argv);
int s_link(s_conn *cn, int argc, char **argv);

#endif
