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
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "cli_safe.h"

/* On a terminal, a line wider than it is broken at a space before the
 * edge and goes on indented four past where it began, past the two a
 * view indents what belongs to a line: a concern in a case view stays
 * under its referral, not at the left margin where the terminal would
 * put it. A word is never cut (an id, a key or a value to type stays
 * whole: wider than the room left, it runs on as the terminal shows it),
 * and its width is the terminal's (wcwidth: a CJK character two columns,
 * a combining mark none). Only the terminal's copy, and on standard
 * output only for the views a person reads (cli_safe_wrap): a pipe, a
 * file, or anything meant to be copied gets the lines as printed. */
#define S_WORD 256 /* bytes of a word held back until it is placed */

typedef struct s_stream {
    int fd;            /* the real descriptor */
    bool c2;           /* the last byte written was 0xC2 (a C1 may follow) */
    unsigned width;    /* the terminal's columns; 0: not a terminal */
    bool wrap;         /* wrapped (width set and asked for) */
    unsigned col;      /* columns printed on this line */
    unsigned lead;     /* its leading spaces (its indent) */
    bool in_lead;      /* still in them */
    unsigned spaces;   /* spaces after the last word, not printed yet */
    char word[S_WORD]; /* the word being read, not printed yet */
    size_t wlen;
    unsigned wcols;  /* its columns */
    bool runs_on;    /* part of the word is printed: no break before it */
    char u8[4];      /* a character's bytes so far */
    size_t u8n, u8w; /* how many, of how many */
} s_stream;

static s_stream s_out = {.fd = 1, .in_lead = true},
                s_err = {.fd = 2, .in_lead = true};
static FILE *s_raw_err; /* the real standard error (progress lines) */
static locale_t s_utf8; /* for wcwidth; (locale_t)0: one column each */

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

/* What goes to the descriptor, gathered (and wiped once written: what
 * was printed may name a person). */
typedef struct s_buf {
    s_stream *st;
    char b[4096];
    size_t n;
    bool ok;
} s_buf;

static void s_flush(s_buf *o)
{
    if (o->n && o->ok)
        o->ok = s_put(o->st->fd, o->b, o->n);
    explicit_bzero(o->b, o->n);
    o->n = 0;
}

static void s_raw(s_buf *o, char c)
{
    if (o->n == sizeof(o->b))
        s_flush(o);
    o->b[o->n++] = c;
}

/* A new line, indented to go on under the one broken. */
static void s_break(s_buf *o)
{
    s_stream *st = o->st;
    unsigned in = st->lead + 4 < st->width / 2 ? st->lead + 4 : 0;
    s_raw(o, '\n');
    for (unsigned i = 0; i < in; i++)
        s_raw(o, ' ');
    st->col = in;
    st->spaces = 0;
}

/* The word held, after its spaces, on this line if it fits, else on the
 * next (whole, whatever its width). */
static void s_place(s_buf *o)
{
    s_stream *st = o->st;
    if (!st->runs_on && st->col > st->lead &&
        st->col + st->spaces + st->wcols > st->width)
        s_break(o);
    for (; st->spaces; st->spaces--, st->col++)
        s_raw(o, ' ');
    for (size_t i = 0; i < st->wlen; i++)
        s_raw(o, st->word[i]);
    st->col += st->wcols;
    if (!st->u8n) /* no character half read */
        explicit_bzero(st->u8, sizeof(st->u8));
    explicit_bzero(st->word, st->wlen);
    st->wlen = 0;
    st->wcols = 0;
}

/* The columns a UTF-8 character takes (1 if it cannot be told). */
static unsigned s_cols(const char *u, size_t n)
{
    wchar_t wc;
    mbstate_t ms;
    memset(&ms, 0, sizeof(ms));
    if (!s_utf8)
        return 1;
    locale_t was = uselocale(s_utf8);
    int w = mbrtowc(&wc, u, n, &ms) == n ? wcwidth(wc) : 1;
    uselocale(was);
    return w < 0 ? 1 : (unsigned)w;
}

/* A byte of the word: its width counted once its character is whole. */
static void s_word_byte(s_stream *st, unsigned char b)
{
    st->word[st->wlen++] = (char)b;
    if (b < 0x80) {
        st->wcols++;
        st->u8n = 0;
        return;
    }
    if ((b & 0xc0) != 0x80 || !st->u8n) { /* a lead byte (or a stray) */
        st->u8w = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        st->u8n = 0;
    }
    st->u8[st->u8n++] = (char)b;
    if (st->u8n == st->u8w) {
        st->wcols += s_cols(st->u8, st->u8n);
        st->u8n = 0;
    }
}

/* One byte as shown, wrapped on a terminal. */
static void s_emit(s_buf *o, char c)
{
    s_stream *st = o->st;
    if (!st->wrap) {
        s_raw(o, c);
        return;
    }
    if (c == '\n') {
        s_place(o);
        s_raw(o, '\n');
        st->col = st->lead = st->spaces = 0;
        st->in_lead = true;
        st->runs_on = false;
    } else if (c == ' ' && st->in_lead) {
        s_raw(o, ' ');
        st->col++;
        st->lead++;
    } else if (c == ' ' || c == '\t') {
        if (st->wlen)
            s_place(o);
        st->runs_on = false;
        st->spaces += c == '\t' ? 8 - (st->col + st->spaces) % 8 : 1;
    } else {
        st->in_lead = false;
        if (st->wlen == sizeof(st->word)) {
            s_place(o); /* a very long word: printed as it comes */
            st->runs_on = true;
        }
        s_word_byte(st, (unsigned char)c);
    }
}

static ssize_t s_write(void *cookie, const char *buf, size_t n)
{
    s_buf o = {.st = cookie, .ok = true};
    s_stream *st = o.st;
    char esc[8];
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (st->c2) {
            st->c2 = false;
            if (b >= 0x80 && b <= 0x9f) {
                snprintf(esc, sizeof(esc), "\\x%02x", b);
                for (char *e = esc; *e; e++)
                    s_emit(&o, *e);
                continue;
            }
            s_emit(&o, (char)0xc2);
        }
        if (b == 0xc2)
            st->c2 = true;
        else if (b == '\r')
            continue;
        else if ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", b);
            for (char *e = esc; *e; e++)
                s_emit(&o, *e);
        } else
            s_emit(&o, (char)b);
    }
    if (st->wrap && st->wlen) { /* a prompt, a flush: shown now */
        s_place(&o);
        st->runs_on = true; /* the rest of its word, if any, follows it */
    }
    s_flush(&o);
    return o.ok ? (ssize_t)n : -1;
}

/* The terminal's width behind fd (COLUMNS if it says none), else 0. */
static unsigned s_width(int fd)
{
    struct winsize ws;
    if (!isatty(fd))
        return 0;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long v = c ? strtol(c, NULL, 10) : 0;
    return v >= 20 && v <= 1000 ? (unsigned)v : 80;
}

/* A filtered stream over st's descriptor, or NULL. */
static FILE *s_open(s_stream *st)
{
    cookie_io_functions_t io = {.write = s_write};
    return fopencookie(st, "w", io);
}

void cli_safe_stdout(void)
{
    s_out.width = s_width(1);
    s_err.width = s_width(2);
    s_err.wrap = s_err.width > 0; /* messages: prose */
    s_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
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

void cli_safe_wrap(void)
{
    fflush(stdout);
    s_out.wrap = s_out.width > 0;
}

FILE *cli_safe_raw_stderr(void)
{
    return s_raw_err ? s_raw_err : stderr;
}
