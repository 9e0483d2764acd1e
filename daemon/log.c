/*
 * log: journald-prefixed lines on standard error. The level is the only
 * global state besides the signal flag.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int s_level = CL_LOG_INFO;

void cl_log_set_level(int level)
{
    s_level = level;
}

void cl_log(int priority, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (priority > s_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One write per line so concurrent output never interleaves. */
    fprintf(stderr, "<%d>%s\n", priority, line);
}
