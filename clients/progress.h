/*
 * progress: one status line on standard error for a long operation (an
 * import, a CSV publish, the links export, a backup): how far, the rate
 * and the time left, redrawn at most five times a second. Only when
 * standard error is a terminal; otherwise it prints nothing, so logs and
 * pipes stay clean. The line is cleared when the operation ends.
 */
#ifndef CL_PROGRESS_H
#define CL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cl_progress {
    bool on;          /* standard error is a terminal */
    char what[128];   /* "import", a file's name ...: control characters
                         shown as '?' (the line goes to the terminal raw) */
    const char *unit; /* what is counted: "rows"; CL_PROGRESS_BYTES: sizes
                         ("12.3 MB"); NULL: only the time */
    int64_t start_ms, last_ms;
    bool drawn;
} cl_progress;

/* The unit for counts of bytes, shown as sizes with their rate in MB/s. */
#define CL_PROGRESS_BYTES "bytes"

/* Start (on: draw at all; the caller passes isatty(2)). */
void cl_progress_start(cl_progress *p, bool on, const char *what,
                       const char *unit);

/* done items so far; fraction of the work done in 0..1, or < 0 unknown
 * (then no time left is shown). */
void cl_progress_update(cl_progress *p, uint64_t done, double fraction);

/* Clear the line. */
void cl_progress_end(cl_progress *p);

/* Clear whichever status line is on the terminal, before printing a
 * message (a bad row) to standard error; the next update redraws it. */
void cl_progress_interrupt(void);

#endif
