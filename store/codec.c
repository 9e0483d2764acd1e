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
