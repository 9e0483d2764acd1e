/*
 * cli_json: --json output written from field rows (see cli_json.h).
 * Only the value writers of cli.c (strings, ISO times) are called from
 * here.
 */
#include "cli_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The unsigned integer of size bytes at p. */
static uint64_t s_uint(const void *p, size_t size)
{
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64 = 0;
    switch (size) {
    case 1:
        memcpy(&u8, p, 1);
        return u8;
    case 2:
        memcpy(&u16, p, 2);
        return u16;
    case 4:
        memcpy(&u32, p, 4);
        return u32;
    default:
        memcpy(&u64, p, sizeof(u64));
        return u64;
    }
}

static int64_t s_int(const void *p, size_t size)
{
    int32_t i32;
    int64_t i64;
    if (size == 4) {
        memcpy(&i32, p, 4);
        return i32;
    }
    memcpy(&i64, p, sizeof(i64));
    return i64;
}

/* Whether a field holds nothing (for CLI_J_OMIT_ZERO). */
static bool s_zero(const cli_jrow *r, const uint8_t *m)
{
    const char *ps;
    int64_t t;
    switch (r->type) {
    case CLI_J_STR:
        return !m[0];
    case CLI_J_PSTR:
        memcpy(&ps, m, sizeof(ps));
        return !ps || !ps[0];
    case CLI_J_TIME:
        memcpy(&t, m, sizeof(t));
        return t == 0;
    case CLI_J_INT:
        return s_int(m, r->size) == 0;
    default:
        return s_uint(m, r->size ? r->size : 1) == 0;
    }
}

static void s_value(const void *obj, const cli_jrow *r)
{
    const uint8_t *m = (const uint8_t *)obj + r->off;
    const char *ps;
    const void *base;
    int64_t t;
    double d;
    bool b;
    switch (r->type) {
    case CLI_J_STR:
        cli_jstr((const char *)m);
        break;
    case CLI_J_PSTR:
        memcpy(&ps, m, sizeof(ps));
        cli_jstr(ps ? ps : "");
        break;
    case CLI_J_UINT:
        printf("%" PRIu64, s_uint(m, r->size));
        break;
    case CLI_J_INT:
        printf("%" PRId64, s_int(m, r->size));
        break;
    case CLI_J_TIME: {
        char iso[CL_WHEN_SHOW_SZ];
        memcpy(&t, m, sizeof(t));
        cl_when_show_time(iso, t, true);
        cli_jstr(iso);
        break;
    }
    case CLI_J_BOOL:
        memcpy(&b, m, sizeof(b));
        fputs(b ? "true" : "false", stdout);
        break;
    case CLI_J_REAL:
        memcpy(&d, m, sizeof(d));
        if (r->prec)
            printf("%.*f", r->prec, d);
        else
            printf("%.17g", d);
        break;
    case CLI_J_NAME:
        cli_jstr(r->name((unsigned)s_uint(m, r->size)));
        break;
    case CLI_J_NAMES: {
        size_t n = (size_t)s_uint((const uint8_t *)obj + r->coff, r->csize);
        const char *names = (const char *)m;
        if (r->flags & CLI_J_POINTER)
            memcpy(&names, m, sizeof(names));
        putchar('[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                putchar(',');
            cli_jstr(names + i * r->stride);
        }
        putchar(']');
        break;
    }
    case CLI_J_OBJ:
        cli_json_obj(m, r->sub);
        break;
    case CLI_J_ARRAY:
    case CLI_J_PARRAY:
        base = m;
        if (r->type == CLI_J_PARRAY)
            memcpy(&base, m, sizeof(base));
        cli_json_arr(base,
                     (size_t)s_uint((const uint8_t *)obj + r->coff, r->csize),
                     r->stride, r->sub);
        break;
    case CLI_J_FN:
        r->fn(obj, m);
        break;
    default:
        fputs("null", stdout);
        break;
    }
}

void cli_json_key(const char *key, unsigned *n)
{
    if ((*n)++)
        putchar(',');
    cli_jstr(key);
    putchar(':');
}

void cli_json_fields(const void *obj, const cli_jrow *rows, unsigned *n)
{
    for (const cli_jrow *r = rows; r->type != CLI_J_END; r++) {
        if (r->type == CLI_J_IF) {
            if (s_uint((const uint8_t *)obj + r->off, r->size))
                cli_json_fields(obj, r->sub, n);
            continue;
        }
        if (r->type == CLI_J_SUB) {
            cli_json_fields((const uint8_t *)obj + r->off, r->sub, n);
            continue;
        }
        if (((r->flags & CLI_J_OMIT_ZERO) || r->type == CLI_J_TIME) &&
            s_zero(r, (const uint8_t *)obj + r->off))
            continue;
        cli_json_key(r->key, n);
        s_value(obj, r);
    }
}

void cli_json_obj(const void *obj, const cli_jrow *rows)
{
    unsigned n = 0;
    putchar('{');
    cli_json_fields(obj, rows, &n);
    putchar('}');
}

void cli_json_arr(const void *v, size_t n, size_t stride, const cli_jrow *rows)
{
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar(',');
        cli_json_obj((const uint8_t *)v + i * stride, rows);
    }
    putchar(']');
}

void cli_json_line(const void *obj, const cli_jrow *rows)
{
    cli_json_obj(obj, rows);
    putchar('\n');
}
