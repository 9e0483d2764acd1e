/*
 * cli_safe: the CLI's standard output through a filter that shows control
 * characters as \xNN (see cli_safe.c).
 */
#ifndef CLI_SAFE_H
#define CLI_SAFE_H

/* Call once, first thing in main, before anything is printed. */
void cli_safe_stdout(void);

#endif
