/*
 * when: dates and times as the people who use caselink type and read them.
 *
 * Typed: ISO (1980-12-24, 2026-06-01T14:05, with Z or +01:00) or UK form
 * (24/12/1980, 24-12-1980, 24 Dec 1980, 24/12/2026 14:05). A time without
 * a zone is Europe/London wall-clock time, as a UK user means it.
 * Shown: "24 Dec 1980" and "24 Dec 2026 14:05 GMT" (Europe/London, with the
 * zone) on terminals; ISO (1980-12-24, 2026-12-24T14:05:00Z) when asked
 * for machine-friendly output. Stored and sent: ISO dates, UTC unix
 * seconds. The UK rules (BST from 01:00 UTC on the last Sunday of March to
 * 01:00 UTC on the last Sunday of October) are computed here, so the
 * result does not depend on the machine's TZ or tzdata. No I/O.
 */
#ifndef CL_WHEN_H
#define CL_WHEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CL_WHEN_SHOW_SZ 40

/* A calendar date in any accepted form to YYYY-MM-DD (out holds 11
 * bytes). False with a sentence naming `what` and the accepted forms. */
bool cl_when_date(char out[11], const char *in, const char *what, char *err,
                  size_t err_len);

/* A month: 2026-12, 12/2026, Dec 2026 to YYYY-MM (out holds 8 bytes). */
bool cl_when_month(char out[8], const char *in, const char *what, char *err,
                   size_t err_len);

/* A date or time to UTC unix seconds: a date alone is 00:00 London time;
 * digits alone are unix seconds. */
bool cl_when_time(int64_t *out, const char *in, const char *what, char *err,
                  size_t err_len);

/* Whether Europe/London is on summer time (BST) at UTC time t. */
bool cl_when_bst(int64_t t);

/* "24 Dec 1980" from YYYY-MM-DD (iso: the date unchanged); "not given"
 * for an empty one. */
void cl_when_show_date(char out[CL_WHEN_SHOW_SZ], const char *iso_date,
                       bool iso);

/* "24 Dec 2026 14:05 GMT" (London time; iso: 2026-12-24T14:05:00Z);
 * "not given" for 0. */
void cl_when_show_time(char out[CL_WHEN_SHOW_SZ], int64_t t, bool iso);

/* The same for a date held as unix seconds: "24 Dec 2026" (London). */
void cl_when_show_day(char out[CL_WHEN_SHOW_SZ], int64_t t, bool iso);

/* "Dec 2026" from YYYY-MM (iso: unchanged). */
void cl_when_show_month(char out[CL_WHEN_SHOW_SZ], const char *ym, bool iso);

#endif
