/*
 * codec: fixed-order record encoding (see codec.h). No allocation.
 */
#include "codec.h"

#include <string.h>

static void s_put(cl_enc *e, const void *p, size_t n)
{
    if (e->bad || n > e->cap - e->len) {
        e->bad = true;
        return;
    }
    memcpy(e->buf + e->len, p, n);
    e->len += n;
}

void cl_be64_put(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t cl_be64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void cl_enc_u8(cl_enc *e, uint8_t v)
{
    s_put(e, &v, 1);
}

void cl_enc_u32(cl_enc *e, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    s_put(e, b, 4);
}

void cl_enc_u64(cl_enc *e, uint64_t v)
{
    uint8_t b[8];
    cl_be64_put(b, v);
    s_put(e, b, 8);
}

void cl_enc_i64(cl_enc *e, int64_t v)
{
    cl_enc_u64(e, (uint64_t)v);
}

void cl_enc_f64(cl_enc *e, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    cl_enc_u64(e, u);
}

void cl_enc_str(cl_enc *e, const char *s)
{
    size_t n = strlen(s);
    if (n > 0xFFFF) {
        e->bad = true;
        return;
    }
    uint8_t b[2] = {(uint8_t)(n >> 8), (uint8_t)n};
    s_put(e, b, 2);
    s_put(e, s, n);
}

static const uint8_t *s_get(cl_dec *d, size_t n)
{
    if (d->bad || n > d->len - d->pos) {
        d->bad = true;
        return NULL;
    }
    const uint8_t *p = d->buf + d->pos;
    d->pos += n;
    return p;
}

uint8_t cl_dec_u8(cl_dec *d)
{
    const uint8_t *p = s_get(d, 1);
    return p ? p[0] : 0;
}

uint32_t cl_dec_u32(cl_dec *d)
{
    const uint8_t *p = s_get(d, 4);
    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                   (uint32_t)p[2] << 8 | p[3]
             : 0;
}

uint64_t cl_dec_u64(cl_dec *d)
{
    const uint8_t *p = s_get(d, 8);
    return p ? cl_be64_get(p) : 0;
}

int64_t cl_dec_i64(cl_dec *d)
{
    return (int64_t)cl_dec_u64(d);
}

double cl_dec_f64(cl_dec *d)
{
    uint64_t u = cl_dec_u64(d);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

void cl_dec_str(cl_dec *d, char *dst, size_t cap)
{
    dst[0] = '\0';
    const uint8_t *h = s_get(d, 2);
    if (!h)
        return;
    size_t n = (size_t)h[0] << 8 | h[1];
    if (n >= cap) {
        d->bad = true;
        return;
    }
    const uint8_t *p = s_get(d, n);
    if (!p)
        return;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* An integer field read at its own width and widened, sign-extended when
 * the row stores it signed ... */
static uint64_t s_int_get(const uint8_t *p, uint32_t size, bool sign)
{
    uint8_t v1;
    uint16_t v2;
    uint32_t v4;
    uint64_t v8 = 0;
    if (size == 1) {
        memcpy(&v1, p, 1);
        return sign ? (uint64_t)(int64_t)(int8_t)v1 : v1;
    }
    if (size == 2) {
        memcpy(&v2, p, 2);
        return sign ? (uint64_t)(int64_t)(int16_t)v2 : v2;
    }
    if (size == 4) {
        memcpy(&v4, p, 4);
        return sign ? (uint64_t)(int64_t)(int32_t)v4 : v4;
    }
    memcpy(&v8, p, size < 8 ? size : 8);
    return v8;
}

/* ... and narrowed back to it. */
static void s_int_put(uint8_t *p, uint32_t size, uint64_t v)
{
    uint8_t v1 = (uint8_t)v;
    uint16_t v2 = (uint16_t)v;
    uint32_t v4 = (uint32_t)v;
    if (size == 1)
        memcpy(p, &v1, 1);
    else if (size == 2)
        memcpy(p, &v2, 2);
    else if (size == 4)
        memcpy(p, &v4, 4);
    else
        memcpy(p, &v, size < 8 ? size : 8);
}

void cl_enc_fields(cl_enc *e, const void *obj, const cl_field *rows, size_t n)
{
    const uint8_t *base = obj;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = base + rows[i].off;
        uint64_t v = rows[i].kind == CL_F_STR || rows[i].kind == CL_F_OPT
                         ? 0
                         : s_int_get(p, rows[i].size, rows[i].kind == CL_F_I64);
        switch ((cl_field_kind)rows[i].kind) {
        case CL_F_STR:
            cl_enc_str(e, (const char *)p);
            break;
        case CL_F_U8:
            cl_enc_u8(e, (uint8_t)v);
            break;
        case CL_F_BOOL:
            cl_enc_u8(e, v != 0);
            break;
        case CL_F_U32:
            cl_enc_u32(e, (uint32_t)v);
            break;
        case CL_F_U64:
            cl_enc_u64(e, v);
            break;
        case CL_F_I64:
            cl_enc_i64(e, (int64_t)v);
            break;
        case CL_F_OPT:
            break;
        }
    }
}

void cl_dec_fields(cl_dec *d, void *obj, const cl_field *rows, size_t n)
{
    uint8_t *base = obj;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = base + rows[i].off;
        switch ((cl_field_kind)rows[i].kind) {
        case CL_F_STR:
            cl_dec_str(d, (char *)p, rows[i].size);
            break;
        case CL_F_U8:
            s_int_put(p, rows[i].size, cl_dec_u8(d));
            break;
        case CL_F_BOOL:
            s_int_put(p, rows[i].size, cl_dec_u8(d) != 0);
            break;
        case CL_F_U32:
            s_int_put(p, rows[i].size, cl_dec_u32(d));
            break;
        case CL_F_U64:
            s_int_put(p, rows[i].size, cl_dec_u64(d));
            break;
        case CL_F_I64:
            s_int_put(p, rows[i].size, (uint64_t)cl_dec_i64(d));
            break;
        case CL_F_OPT:
            if (d->pos >= d->len)
                return;
            break;
        }
    }
}

void cl_dec_skip(cl_dec *d, size_t n)
{
    (void)s_get(d, n);
}

void cl_dec_skip_str(cl_dec *d, size_t cap)
{
    const uint8_t *h = s_get(d, 2);
    if (!h)
        return;
    size_t n = (size_t)h[0] << 8 | h[1];
    if (n >= cap)
        d->bad = true;
    else
        (void)s_get(d, n);
}
