/*
 * log: the daemon's logger. Lines go to standard error with journald
 * priority prefixes ("<3>", "<4>", "<6>", "<7>"), so journald files them at
 * the right level and a terminal still reads them. Control characters in
 * a line are escaped (\xHH), so no string can start a forged line. Never pass
 * personal data, keys or payloads: log request ids, client names, sizes and
 * codes.
 */
#ifndef CL_LOG_H
#define CL_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "cl_model.h"

enum { CL_LOG_ERR = 3, CL_LOG_WARNING = 4, CL_LOG_INFO = 6, CL_LOG_DEBUG = 7 };

/* Messages above level are dropped (default CL_LOG_INFO). */
void cl_log_set_level(int level);

void cl_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy a client-facing error into out with what may be personal data the
 * client sent masked: quoted values ('...'), runs of 6+ digits (#). From
 * the first quote to the last everything is masked, the daemon's own
 * quoted hints too: a client's value can hold quotes and any words, so
 * no quoted text after it can be told from it (the reply keeps them). */
void cl_log_mask(char *out, size_t cap, const char *in);

/* A refused request or connection, at warning level: at most
 * CL_LOG_REFUSALS lines per client per 10 s, then one line saying how many
 * were not logged. */
#define CL_LOG_REFUSALS 20
void cl_log_refusal(const char *client, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A refused request, by cl_log_refusal: its client, kind and status,
 * and the reply's error with every string req carries replaced by "..."
 * (cl_wire_redact; req may be NULL) and then masked (cl_log_mask). */
void cl_log_refused(const char *client, const char *kind, const char *status,
                    const char *error, const cl_request *req);

#define cl_log_err(...)   cl_log(CL_LOG_ERR, __VA_ARGS__)
#define cl_log_warn(...)  cl_log(CL_LOG_WARNING, __VA_ARGS__)
#define cl_log_info(...)  cl_log(CL_LOG_INFO, __VA_ARGS__)
#define cl_log_debug(...) cl_log(CL_LOG_DEBUG, __VA_ARGS__)

#endif
