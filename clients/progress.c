/*
 * progress: the status line (see progress.h). Time left is the time so
 * far scaled by the fraction still to do: simple, and honest once a few
 * hundred rows have gone.
 */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_safe.h"

/* The terminal's state, like a logger's: whether a status line is on it. */
static bool s_on_screen;

static int64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cl_progress_start(cl_progress *p, bool on, const char *what,
                       const char *unit)
{
    p->on = on;
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)what;
         *c && n + 1 < sizeof(p->what); c++) {
        bool c1 = c[0] == 0xc2 && c[1] >= 0x80 && c[1] < 0xa0; /* UTF-8 */
        p->what[n++] = *c < 0x20 || *c == 0x7f || c1 ? '?' : (char)*c;
        c += c1;
    }
    p->what[n] = '\0';
    p->unit = unit;
    p->start_ms = p->last_ms = s_ms();
    p->drawn = false;
}

static void s_duration(char out[32], double s)
{
    if (s < 60)
        snprintf(out, 32, "%.0f s", s);
    else if (s < 3600)
        snprintf(out, 32, "%ld min %02ld s", (long)s / 60, (long)s % 60);
    else
        snprintf(out, 32, "%.1f h", s / 3600);
}

void cl_progress_update(cl_progress *p, uint64_t done, double fraction)
{
    if (!p->on)
        return;
    int64_t now = s_ms();
    /* at most five times a second; a first big step (a page of the links
     * export) is shown at once */
    if (now - p->last_ms < 200 &&
        (p->drawn || done < 1000 || now == p->start_ms))
        return;
    p->last_ms = now;
    double secs = (double)(now - p->start_ms) / 1000.0;
    if (!p->unit) { /* nothing to count: how long it has run */
        char d[32];
        s_duration(d, secs);
        fprintf(cli_safe_raw_stderr(), "\r\033[K%s: running, %s so far",
                p->what, d);
        fflush(cli_safe_raw_stderr());
        p->drawn = s_on_screen = true;
        return;
    }
    double rate = secs > 0 ? (double)done / secs : 0;
    char left[48] = "", pct[16] = "";
    if (fraction > 0.001 && fraction <= 1) {
        char d[32];
        s_duration(d, secs * (1 - fraction) / fraction);
        snprintf(left, sizeof(left), ", %s left", d);
        snprintf(pct, sizeof(pct), " (%.0f%%)", 100 * fraction);
    }
    if (!strcmp(p->unit, CL_PROGRESS_BYTES)) { /* sizes, in MB (as df -H) */
        fprintf(cli_safe_raw_stderr(), "\r\033[K%s: %.1f MB%s, %.1f MB/s%s",
                p->what, (double)done / 1e6, pct, rate / 1e6, left);
    } else {
        fprintf(cli_safe_raw_stderr(), "\r\033[K%s: %llu %s%s, %.0f %s/s%s",
                p->what, (unsigned long long)done, p->unit, pct, rate, p->unit,
                left);
    }
    fflush(cli_safe_raw_stderr());
    p->drawn = s_on_screen = true;
}

void cl_progress_interrupt(void)
{
    if (s_on_screen)
        fputs("\r\033[K", cli_safe_raw_stderr());
    s_on_screen = false;
}

void cl_progress_end(cl_progress *p)
{
    if (p->on && p->drawn)
        cl_progress_interrupt();
    p->drawn = false;
}
