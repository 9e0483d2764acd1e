/*
 * log: the daemon's logger. Lines go to standard error with journald
 * priority prefixes ("<3>", "<4>", "<6>", "<7>"), so journald files them at
 * the right level and a terminal still reads them. Never pass personal data,
 * keys or payloads: log request ids, client names, sizes and codes.
 */
#ifndef CL_LOG_H
#define CL_LOG_H

#include <stdbool.h>

enum { CL_LOG_ERR = 3, CL_LOG_WARNING = 4, CL_LOG_INFO = 6, CL_LOG_DEBUG = 7 };

/* Messages above level are dropped (default CL_LOG_INFO). */
void cl_log_set_level(int level);

void cl_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define cl_log_err(...)   cl_log(CL_LOG_ERR, __VA_ARGS__)
#define cl_log_warn(...)  cl_log(CL_LOG_WARNING, __VA_ARGS__)
#define cl_log_info(...)  cl_log(CL_LOG_INFO, __VA_ARGS__)
#define cl_log_debug(...) cl_log(CL_LOG_DEBUG, __VA_ARGS__)

#endif
