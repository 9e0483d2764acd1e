/*
 * log: journald-prefixed lines on standard error. The level, and the
 * per-client refusal counters, are the only global state besides the
 * signal flag.
 *
 * Every line is escaped: a byte below 0x20 or 0x7f is written as \xHH, so
 * a client string holding a newline and "<0>" cannot forge a journald
 * line of another priority. Refusal lines also mask what looks like
 * personal data a client sent (quoted values, runs of six or more digits
 * such as an NHS number) and are rate-limited per client.
 */
#include "log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wire.h"

static int s_level = CL_LOG_INFO;

#define S_RATE_CLIENTS 64 /* clients tracked at once (least recent reused) */
#define S_RATE_WINDOW  10 /* seconds */

static struct {
    char client[64];
    time_t window; /* start of the current window */
    unsigned logged, dropped;
} s_rate[S_RATE_CLIENTS];

void cl_log_set_level(int level)
{
    s_level = level;
}

/* Copy in to out, control bytes as \xHH. */
static void s_escape(char *out, size_t cap, const char *in)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < cap;
         p++) {
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}

/* fmt is the caller's checked format (cl_log's and cl_log_refusal's
 * attribute), passed on with its arguments. */
__attribute__((format(printf, 2, 0))) static void
s_vlog(int priority, const char *fmt, va_list ap)
{
    char line[1024], esc[1024 * 4 + 1];
    vsnprintf(line, sizeof(line), fmt, ap);
    s_escape(esc, sizeof(esc), line);
    /* One write per line so concurrent output never interleaves. */
    fprintf(stderr, "<%d>%s\n", priority, esc);
}

void cl_log(int priority, const char *fmt, ...)
{
    va_list ap;
    if (priority > s_level)
        return;
    va_start(ap, fmt);
    s_vlog(priority, fmt, ap);
    va_end(ap);
}

/* Digits in the run at p, which may be split by single spaces or
 * hyphens ("943 476 5919"); *len receives the run's length in bytes. */
static size_t s_digit_run(const char *p, size_t *len)
{
    size_t digits = 0, i = 0;
    *len = 0;
    while (p[i] >= '0' && p[i] <= '9') {
        digits++;
        *len = ++i;
        if ((p[i] == ' ' || p[i] == '-') && p[i + 1] >= '0' && p[i + 1] <= '9')
            i++;
    }
    return digits;
}

void cl_log_mask(char *out, size_t cap, const char *in)
{
    size_t o = 0, run;
    for (const char *p = in; *p && o + 6 < cap; p++) {
        bool inside_word = p > in && *p == '\'' &&
                           isalpha((unsigned char)p[-1]) &&
                           isalpha((unsigned char)p[1]);
        if ((*p == '\'' && !inside_word) || *p == '"') {
            /* A value may itself hold quotes: mask up to the last one. */
            const char *end = strrchr(p + 1, *p);
            out[o++] = *p;
            memcpy(out + o, "...", 3);
            o += 3;
            if (end) {
                out[o++] = *p;
                p = end;
            } else {
                break;
            }
            continue;
        }
        if (s_digit_run(p, &run) >= 6) {
            out[o++] = '#';
            p += run - 1;
            continue;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
}

/* Reader threads log refusals too: one table, one lock. */
static pthread_mutex_t s_rate_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether one more refusal line for client fits its window (and the
 * line saying how many did not, when a window closes). */
static bool s_refusal_allowed(const char *client)
{
    time_t now = time(NULL);
    size_t slot = 0, oldest = 0;
    bool ok = true;
    pthread_mutex_lock(&s_rate_lock);
    for (size_t i = 0; i < S_RATE_CLIENTS; i++) {
        if (!strcmp(s_rate[i].client, client)) {
            slot = i;
            goto found;
        }
        if (s_rate[i].window < s_rate[oldest].window)
            oldest = i;
    }
    slot = oldest;
    snprintf(s_rate[slot].client, sizeof(s_rate[slot].client), "%s", client);
    s_rate[slot].window = now;
    s_rate[slot].logged = s_rate[slot].dropped = 0;
found:
    if (now - s_rate[slot].window >= S_RATE_WINDOW) {
        if (s_rate[slot].dropped)
            cl_log(CL_LOG_WARNING,
                   "%u more refusals for client=%s were not logged (at most "
                   "%u per %d s)",
                   s_rate[slot].dropped, s_rate[slot].client,
                   (unsigned)CL_LOG_REFUSALS, S_RATE_WINDOW);
        s_rate[slot].window = now;
        s_rate[slot].logged = s_rate[slot].dropped = 0;
    }
    if (s_rate[slot].logged >= CL_LOG_REFUSALS) {
        s_rate[slot].dropped++;
        ok = false;
    } else {
        s_rate[slot].logged++;
    }
    pthread_mutex_unlock(&s_rate_lock);
    return ok;
}

void cl_log_refusal(const char *client, const char *fmt, ...)
{
    if (!s_refusal_allowed(client) || CL_LOG_WARNING > s_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    s_vlog(CL_LOG_WARNING, fmt, ap);
    va_end(ap);
}

void cl_log_refused(const char *client, const char *kind, const char *status,
                    const char *error, const cl_request *req)
{
    char why[1024], said[CL_ERROR_SZ];
    snprintf(said, sizeof(said), "%s", error);
    cl_wire_redact(said, req);
    cl_log_mask(why, sizeof(why), said);
    cl_log_refusal(client, "request refused: client=%s kind=%s status=%s: %s",
                   client, kind, status, why);
    sodium_memzero(said, sizeof(said)); /* the reply's words, as sent */
    sodium_memzero(why, sizeof(why));
}
