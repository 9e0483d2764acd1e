/*
 * cli_safe: the CLI's standard output and standard error through a filter
 * that shows control characters as \xNN (see cli_safe.c).
 */
#ifndef CLI_SAFE_H
#define CLI_SAFE_H

#include <stdio.h>

/* Call once, first thing in main, before anything is printed: stdout and
 * stderr are filtered from then on (a warning that quotes a CSV header's
 * name cannot drive the terminal either). */
void cli_safe_stdout(void);

/* Standard output wrapped to the terminal, for a view a person reads
 * (a case view, a list, help). Not called, it is printed as written:
 * JSON, CSV, HTML, a checkpoint or a registry entry to copy keep their
 * own line breaks. Standard error (messages) is wrapped on a terminal. */
void cli_safe_wrap(void);

/* Standard error unfiltered, for the progress line alone (its carriage
 * return and erase-line escape are the CLI's own). */
FILE *cli_safe_raw_stderr(void);

#endif
