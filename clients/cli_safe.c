/*
 * cli_safe: what the CLI prints on standard output passes through one
 * filter, so that text another agency sent (a concern, a referrer's name)
 * cannot drive the reader's terminal: C0 control characters other than
 * tab and line feed, DEL and C1 controls (U+0080 to U+009F) are shown as
 * \xNN instead of being sent to the terminal; carriage returns are
 * dropped. The daemon refuses such characters in new requests; this
 * covers whatever is already stored and any other source.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_safe.h"

static int s_fd = -1; /* the real standard output */
static bool s_c2;     /* the last byte written was 0xC2 (a C1 may follow) */

/* All of buf[0..n) to s_fd; false if the descriptor fails. */
static bool s_put(const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(s_fd, buf, n);
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
    (void)cookie;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (o > sizeof(out) - 8) {
            bool ok = s_put(out, o);
            explicit_bzero(out, o);
            if (!ok)
                return -1;
            o = 0;
        }
        if (s_c2) {
            s_c2 = false;
            if (b >= 0x80 && b <= 0x9f) {
                o += (size_t)snprintf(out + o, 8, "\\x%02x", b);
                continue;
            }
            out[o++] = (char)0xc2;
        }
        if (b == 0xc2)
            s_c2 = true;
        else if (b == '\r')
            continue;
        else if ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7f)
            o += (size_t)snprintf(out + o, 8, "\\x%02x", b);
        else
            out[o++] = (char)b;
    }
    bool ok = s_put(out, o);
    explicit_bzero(out, o); /* what was printed may name a person */
    return ok ? (ssize_t)n : -1;
}

void cli_safe_stdout(void)
{
    cookie_io_functions_t io = {.write = s_write};
    FILE *f = fopencookie(NULL, "w", io);
    if (!f)
        return; /* keep the plain stream rather than print nothing */
    s_fd = 1;
    setvbuf(f, NULL, isatty(1) ? _IOLBF : _IOFBF, 0);
    fflush(stdout);
    stdout = f;
}
