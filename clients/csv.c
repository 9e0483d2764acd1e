/*
 * csv: a small state machine over getc (see csv.h). Owns its buffers.
 */
#include "csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cl_csv {
    FILE *f;                         /* borrowed */
    unsigned long line;              /* current line, 1-based */
    bool started;                    /* BOM check done */
    char *buf;                       /* field bytes, NUL-separated */
    size_t used;                     /* bytes used in buf */
    char *fields[CL_CSV_MAX_FIELDS]; /* into buf */
};

#define S_BUF (CL_CSV_MAX_FIELDS * (CL_CSV_MAX_FIELD + 1))

int cl_csv_new(cl_csv **out, FILE *f)
{
    cl_csv *c = calloc(1, sizeof(*c));
    if (!c)
        return CL_ERR_NOMEM;
    c->buf = malloc(S_BUF);
    if (!c->buf) {
        free(c);
        return CL_ERR_NOMEM;
    }
    c->f = f;
    c->line = 1;
    *out = c;
    return CL_OK;
}

void cl_csv_destroy(cl_csv **c)
{
    if (!c || !*c)
        return;
    free((*c)->buf);
    free(*c);
    *c = NULL;
}

/* The first read: a UTF-8 byte order mark skipped (NULL), or what is
 * wrong with it. */
static const char *s_start(cl_csv *c)
{
    c->started = true;
    int b0 = getc(c->f);
    if (b0 == 0xEF) {
        int b1 = getc(c->f), b2 = getc(c->f);
        if (b1 != 0xBB || b2 != 0xBF)
            return "bad byte order mark";
    } else if (b0 != EOF) {
        ungetc(b0, c->f);
    }
    return NULL;
}

int cl_csv_next(cl_csv *c, char ***fields, size_t *n, unsigned long *line,
                char *err, size_t err_len)
{
    size_t nf = 0, flen = 0;
    bool quoted = false, was_quoted = false, any = false;
    const char *problem = NULL;
    unsigned long quote_line = 0; /* where the open quote began */
    int ch, last = EOF;

    if (!c->started)
        problem = s_start(c);
    *line = c->line;
    c->used = 0;
    c->fields[0] = c->buf;
    for (;;) {
        ch = getc(c->f);
        if (ch == EOF) {
            if (quoted) { /* the cause of whatever else went wrong */
                snprintf(err, err_len,
                         "column %zu opens a quote on line %lu that is never "
                         "closed: the rest of the file (to line %lu) was read "
                         "as that one field, so no row after it was; close "
                         "the quote (a quote mark inside a field is written "
                         "twice: \"\")",
                         nf + 1, quote_line, c->line - (last == '\n'));
                return CL_ERR_INVALID;
            }
            if (!any && !problem)
                return 0;
            break;
        }
        any = true;
        last = ch;
        if (ch == '\n')
            c->line++;
        if (quoted) {
            if (ch == '"') {
                int next = getc(c->f);
                if (next == '"') {
                    ch = '"';
                } else {
                    quoted = false;
                    if (next != EOF)
                        ungetc(next, c->f);
                    continue;
                }
            }
        } else if (ch == '"' && flen == 0 && !was_quoted) {
            quoted = was_quoted = true;
            quote_line = c->line;
            continue;
        } else if (ch == ',' || ch == '\n') {
            if (nf < CL_CSV_MAX_FIELDS) {
                c->buf[c->used++] = '\0';
                nf++;
                if (nf < CL_CSV_MAX_FIELDS)
                    c->fields[nf] = c->buf + c->used;
            } else if (!problem) {
                problem = "too many fields";
            }
            flen = 0;
            was_quoted = false;
            if (ch == '\n') {
                if (nf == 1 && c->fields[0][0] == '\0' && !problem) {
                    /* blank line: skip it */
                    *line = c->line;
                    c->used = 0;
                    nf = 0;
                    any = false;
                    continue;
                }
                goto done;
            }
            continue;
        } else if (ch == '\r') {
            int next = getc(c->f);
            if (next != EOF)
                ungetc(next, c->f);
            if (next == '\n' || next == EOF)
                continue; /* CRLF, or a CR ending the file */
            /* a carriage return alone is kept, a control character the
             * field is refused for: dropped, "K9\r0" would be "K90",
             * another record's id. Ending the lines of the header (an old
             * Mac file) it is every line's end: the file is refused. */
            if (c->line == 1 && !problem)
                problem = "the lines end in carriage returns alone (an old "
                          "Mac file): convert them to LF or CRLF line ends";
        } else if (was_quoted && !problem) {
            problem = "text after a closing quote";
        }
        /* a NUL, which a C string cannot hold, stands as SUB (0x1a), a
         * control character as it is: the field is refused, not the row */
        if (ch == '\0')
            ch = 0x1a;
        if (nf < CL_CSV_MAX_FIELDS) {
            if (flen < CL_CSV_MAX_FIELD) {
                c->buf[c->used++] = (char)ch;
                flen++;
            } else if (!problem) {
                problem = "field longer than 16384 bytes";
            }
        }
    }
    /* end of file without a final newline */
    if (nf < CL_CSV_MAX_FIELDS) {
        c->buf[c->used++] = '\0';
        nf++;
    }
done:
    if (problem) {
        snprintf(err, err_len, "%s", problem);
        return CL_ERR_INVALID;
    }
    *fields = c->fields;
    *n = nf;
    return 1;
}

/* Digits with at most one point: "-2" is a number, "-2+3+cmd|..." is a
 * formula a spreadsheet would run. */
static bool s_plain_number(const char *s)
{
    bool digit = false, point = false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s == '.' && !point)
            point = true;
        else
            return false;
    }
    return digit;
}

void cl_csv_field_write(FILE *f, const char *s)
{
    /* A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or
     * carriage return before one) is written with a leading quote mark. */
    bool formula = (s[0] && strchr("=+@\t\r", s[0])) ||
                   (s[0] == '-' && !s_plain_number(s + 1));
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void cl_json_str_write(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}
