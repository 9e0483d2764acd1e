/*
 * cli_safe: what the CLI prints on standard output and standard error
 * passes through one filter, so that text another agency sent (a concern, a
 * referrer's name) cannot drive the reader's terminal: C0 control characters
 * other than tab and line feed, DEL and C1 controls (U+0080 to U+009F) are
 * shown as \xNN instead of being sent to the terminal; carriage returns are
 * dropped. The daemon refuses such characters in new requests; this
 * covers whatever is already stored and any other source.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_safe.h"

typedef struct s_stream {
    int fd;  /* the real descriptor */
    bool c2; /* the last byte written was 0xC2 (a C1 may follow) */
} s_stream;

static s_stream s_out = {1, false}, s_err = {2, false};
static FILE *s_raw_err; /* the real standard error (progress lines) */

/* All of buf[0..n) to fd; false if the descriptor fails. */
static bool s_put(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

static ssize_t s_write(void *cookie, const char *buf, size_t n)
{
    char out[4096];
    size_t o = 0;
    s_stream *st = cookie;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (o > sizeof(out) - 8) {
            bool ok = s_put(st->fd, out, o);
            explicit_bzero(out, o);
            if (!ok)
                return -1;
            o = 0;
        }
        if (st->c2) {
            st->c2 = false;
            if (b >= 0x80 && b <= 0x9f) {
                o += (size_t)snprintf(out + o, 8, "\\x%02x", b);
                continue;
            }
            out[o++] = (char)0xc2;
        }
        if (b == 0xc2)
            st->c2 = true;
        else if (b == '\r')
            continue;
        else if ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7f)
            o += (size_t)snprintf(out + o, 8, "\\x%02x", b);
        else
            out[o++] = (char)b;
    }
    bool ok = s_put(st->fd, out, o);
    explicit_bzero(out, o); /* what was printed may name a person */
    return ok ? (ssize_t)n : -1;
}

/* A filtered stream over st's descriptor, or NULL. */
static FILE *s_open(s_stream *st)
{
    cookie_io_functions_t io = {.write = s_write};
    return fopencookie(st, "w", io);
}

void cli_safe_stdout(void)
{
    FILE *f = s_open(&s_out), *e = s_open(&s_err);
    s_raw_err = stderr;
    if (f) { /* else keep the plain stream rather than print nothing */
        setvbuf(f, NULL, isatty(1) ? _IOLBF : _IOFBF, 0);
        fflush(stdout);
        stdout = f;
    }
    if (e) { /* unbuffered, as standard error is: in order with progress */
        setvbuf(e, NULL, _IONBF, 0);
        stderr = e;
    }
}

FILE *cli_safe_raw_stderr(void)
{
    return s_raw_err ? s_raw_err : stderr;
}
