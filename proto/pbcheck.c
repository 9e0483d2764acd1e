/*
 * pbcheck: schema-driven check and normalization of a protobuf frame
 * (see pbcheck.h). One recursive walk serves two passes: with out NULL it
 * validates and returns the normalized size; with out set it writes. A
 * sub-message's normalized length is needed before its bytes, so writing
 * measures each sub-message first (nesting is bounded, so this costs at
 * most CL_PBCHECK_DEPTH walks of any byte).
 */
#include "pbcheck.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Wire types (protobuf encoding). */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4 };
enum { WT_I32 = 5 };

/* The wire type and name of each protobuf-c field type, by ProtobufCType. */
static const struct {
    uint8_t wire;
    const char *name;
} s_types[] = {
    [PROTOBUF_C_TYPE_INT32] = {WT_VARINT, "int32"},
    [PROTOBUF_C_TYPE_SINT32] = {WT_VARINT, "sint32"},
    [PROTOBUF_C_TYPE_SFIXED32] = {WT_I32, "sfixed32"},
    [PROTOBUF_C_TYPE_INT64] = {WT_VARINT, "int64"},
    [PROTOBUF_C_TYPE_SINT64] = {WT_VARINT, "sint64"},
    [PROTOBUF_C_TYPE_SFIXED64] = {WT_I64, "sfixed64"},
    [PROTOBUF_C_TYPE_UINT32] = {WT_VARINT, "uint32"},
    [PROTOBUF_C_TYPE_FIXED32] = {WT_I32, "fixed32"},
    [PROTOBUF_C_TYPE_UINT64] = {WT_VARINT, "uint64"},
    [PROTOBUF_C_TYPE_FIXED64] = {WT_I64, "fixed64"},
    [PROTOBUF_C_TYPE_FLOAT] = {WT_I32, "float"},
    [PROTOBUF_C_TYPE_DOUBLE] = {WT_I64, "double"},
    [PROTOBUF_C_TYPE_BOOL] = {WT_VARINT, "bool"},
    [PROTOBUF_C_TYPE_ENUM] = {WT_VARINT, "enum"},
    [PROTOBUF_C_TYPE_STRING] = {WT_LEN, "string"},
    [PROTOBUF_C_TYPE_BYTES] = {WT_LEN, "bytes"},
    [PROTOBUF_C_TYPE_MESSAGE] = {WT_LEN, "message"},
};

#define S_TOO_BIG ((size_t)-1)

/* The path of the field being read, kept as its names (the descriptors'
 * own strings) and written out only when a refusal names it: formatting
 * it for every field read cost the serving thread a fifth of its time. */
#define S_PATH_MAX   160 /* the refusal's path, as written: at most */
#define S_FRAMES_MAX 64  /* deeper than CL_PBCHECK_DEPTH: every frame kept */
typedef struct s_frame {
    const char *name;
    bool indexed; /* a repeated message: name[index] */
    uint32_t index;
} s_frame;

typedef struct s_ctx {
    char *err;    /* CL_ERROR_SZ, caller's */
    bool checked; /* the writing pass: every string passed the first */
    s_frame frame[S_FRAMES_MAX];
    size_t plen; /* frames in the path */
} s_ctx;

/* --- varints -------------------------------------------------------------- */

/* Read a varint of at most ten bytes at in[*pos]; false if malformed. */
static bool s_get_varint(const uint8_t *in, size_t len, size_t *pos,
                         uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*pos >= len)
            return false;
        uint8_t c = in[(*pos)++];
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Write v minimally at out+*pos (when out is set); advance *pos. */
static void s_put_varint(uint8_t *out, size_t *pos, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        if (out)
            out[*pos] = c;
        (*pos)++;
    } while (v);
}

static void s_put_bytes(uint8_t *out, size_t *pos, const uint8_t *src, size_t n)
{
    if (out && n)
        memcpy(out + *pos, src, n);
    *pos += n;
}

/* --- UTF-8 ------------------------------------------------------------- */

size_t cl_pbcheck_utf8_bad(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (n - i < len)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
            (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

/* --- paths and errors ---------------------------------------------------- */

static size_t s_push(s_ctx *c, const char *name, bool indexed, uint32_t index)
{
    size_t was = c->plen;
    if (was < S_FRAMES_MAX)
        c->frame[was] = (s_frame){name, indexed, index};
    c->plen = was + 1;
    return was;
}

static void s_pop(s_ctx *c, size_t was)
{
    c->plen = was;
}

/* The dotted path of the frames (at most S_PATH_MAX - 1 characters, as
 * far as it fits). */
static void s_path(const s_ctx *c, char path[S_PATH_MAX])
{
    size_t len = 0;
    path[0] = '\0';
    for (size_t i = 0; i < c->plen && i < S_FRAMES_MAX; i++) {
        const s_frame *f = &c->frame[i];
        size_t room = S_PATH_MAX - len;
        int n = f->indexed ? snprintf(path + len, room, "%s%s[%u]",
                                      len ? "." : "", f->name, f->index)
                           : snprintf(path + len, room, "%s%s", len ? "." : "",
                                      f->name);
        if (n > 0)
            len += (size_t)n < room ? (size_t)n : room - 1;
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static size_t
s_fail(s_ctx *c, const ProtobufCMessageDescriptor *d, const char *fmt, ...)
{
    char path[S_PATH_MAX];
    s_path(c, path);
    const char *where = c->plen ? path : d->short_name;
    size_t off = strlen(where);
    if (off > CL_ERROR_SZ / 2)
        off = CL_ERROR_SZ / 2;
    memcpy(c->err, where, off);
    c->err[off++] = ':';
    c->err[off++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + off, CL_ERROR_SZ - off, fmt, ap);
    va_end(ap);
    return S_TOO_BIG;
}

/* --- merged fields ------------------------------------------------------ */

/*
 * The specification: a singular sub-message seen several times is the
 * merge of its pieces, and of several members of one oneof the last is the
 * value (a message member seen several times in a row being merged too).
 * protobuf-c gets both wrong: it replaces a oneof member each time it
 * appears, and its merge of two pieces drops the earlier piece's proto3
 * scalars (it reads their presence from a quantifier they do not have).
 * So the normalized frame holds each singular message field, and each
 * oneof, once: at its last occurrence, the concatenation (a merge, in
 * protobuf) of the final run of its pieces. protobuf-c never merges.
 */
typedef struct s_oneof {
    unsigned key;    /* the oneof's quantifier_offset, or S_FIELD | index */
    size_t last;     /* offset of the group's last occurrence */
    size_t run;      /* offset of the first piece of the final run */
    uint32_t number; /* the member last seen */
} s_oneof;

#define S_ONEOFS 32
#define S_FIELD  0x80000000u

/* The next field at in[*pos]: its number, wire type and (for LEN) payload.
 * Tolerant: false at the end or at anything malformed. */
static bool s_next(const uint8_t *in, size_t len, size_t *pos, uint32_t *number,
                   uint32_t *wt, const uint8_t **v, size_t *vlen)
{
    uint64_t tag, x;
    if (*pos >= len || !s_get_varint(in, len, pos, &tag) || tag > UINT32_MAX)
        return false;
    *number = (uint32_t)(tag >> 3);
    *wt = (uint32_t)(tag & 7);
    *v = NULL;
    *vlen = 0;
    switch (*wt) {
    case WT_VARINT:
        return s_get_varint(in, len, pos, &x);
    case WT_I64:
    case WT_I32: {
        size_t n = *wt == WT_I64 ? 8 : 4;
        if (len - *pos < n)
            return false;
        *pos += n;
        return true;
    }
    case WT_LEN:
        if (!s_get_varint(in, len, pos, &x) || x > len - *pos)
            return false;
        *v = in + *pos;
        *vlen = (size_t)x;
        *pos += (size_t)x;
        return true;
    default:
        return false;
    }
}

/* The group a field's occurrences form, or 0: its oneof, or the field
 * itself when it is a singular message. */
static unsigned s_group_key(const ProtobufCMessageDescriptor *d,
                            const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return f->quantifier_offset;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
        f->label != PROTOBUF_C_LABEL_REPEATED)
        return S_FIELD | (unsigned)(f - d->fields);
    return 0;
}

static size_t s_oneofs(const ProtobufCMessageDescriptor *d, const uint8_t *in,
                       size_t len, s_oneof *g)
{
    size_t ng = 0, pos = 0, at = 0, vlen;
    uint32_t number, wt;
    const uint8_t *v;
    bool any = false;
    for (unsigned i = 0; i < d->n_fields; i++)
        any |= s_group_key(d, &d->fields[i]) != 0;
    if (!any)
        return 0;
    while (s_next(in, len, &pos, &number, &wt, &v, &vlen)) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, number);
        unsigned key = f ? s_group_key(d, f) : 0;
        if (key) {
            size_t k = 0;
            while (k < ng && g[k].key != key)
                k++;
            if (k == ng && ng < S_ONEOFS) {
                g[ng].key = key;
                g[ng].number = 0;
                ng++;
            }
            if (k < ng) {
                if (g[k].number != number)
                    g[k].run = at;
                g[k].number = number;
                g[k].last = at;
            }
        }
        at = pos;
    }
    return ng;
}

static const s_oneof *s_oneof_of(const s_oneof *g, size_t ng,
                                 const ProtobufCMessageDescriptor *d,
                                 const ProtobufCFieldDescriptor *f)
{
    unsigned key = s_group_key(d, f);
    for (size_t k = 0; key && k < ng; k++)
        if (g[k].key == key)
            return &g[k];
    return NULL;
}

/* --- the walk ------------------------------------------------------------ */

static bool s_packable(const ProtobufCFieldDescriptor *f)
{
    return f->label == PROTOBUF_C_LABEL_REPEATED &&
           s_types[f->type].wire != WT_LEN;
}

/* A packed run of scalars: check it, return its normalized payload size. */
static size_t s_packed(s_ctx *c, const ProtobufCMessageDescriptor *d,
                       const ProtobufCFieldDescriptor *f, const uint8_t *in,
                       size_t len, uint8_t *out)
{
    size_t pos = 0, w = 0;
    uint8_t wire = s_types[f->type].wire;
    if (wire != WT_VARINT) {
        size_t width = wire == WT_I64 ? 8 : 4;
        if (len % width)
            return s_fail(c, d,
                          "packed %s values: %zu bytes is not a "
                          "multiple of %zu",
                          s_types[f->type].name, len, width);
        s_put_bytes(out, &w, in, len);
        return w;
    }
    while (pos < len) {
        uint64_t v;
        if (!s_get_varint(in, len, &pos, &v))
            return s_fail(c, d, "packed values: malformed varint");
        s_put_varint(out, &w, v);
    }
    return w;
}

static size_t s_walk(s_ctx *c, const ProtobufCMessageDescriptor *d,
                     const uint8_t *in, size_t len, int depth, uint8_t *out);

/* The normalized size of the final run of a merged field (its pieces from
 * g->run up to offset end, then the last piece), and with out set, that
 * normalized merge written: the pieces are joined first, since a merge is
 * the walk of their concatenation (their own sub-messages merge too). */
static size_t s_oneof_run(s_ctx *c, const ProtobufCMessageDescriptor *d,
                          const ProtobufCFieldDescriptor *f, const s_oneof *g,
                          const uint8_t *in, size_t end, const uint8_t *last,
                          size_t last_len, int depth, uint8_t *out)
{
    size_t pos = g->run, total = last_len, vlen;
    uint32_t number, wt;
    const uint8_t *v;
    while (pos < end && s_next(in, end, &pos, &number, &wt, &v, &vlen))
        if (number == f->id && wt == WT_LEN)
            total += vlen;
    uint8_t *joined = malloc(total ? total : 1);
    if (!joined)
        return s_fail(c, d, "out of memory");
    size_t at = 0;
    pos = g->run;
    while (pos < end && s_next(in, end, &pos, &number, &wt, &v, &vlen))
        if (number == f->id && wt == WT_LEN) {
            memcpy(joined + at, v, vlen);
            at += vlen;
        }
    memcpy(joined + at, last, last_len);
    size_t n = s_walk(c, f->descriptor, joined, total, depth + 1, out);
    free(joined);
    return n;
}

/* Offset of the first control character in s[0..n) (valid UTF-8) other
 * than tab, line feed and carriage return, or n: C0, DEL and C1 (U+0080
 * to U+009F) would let a sender move another agency's cursor, forge a
 * line or write to its clipboard when a terminal shows the text. */
static size_t s_control_at(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = s[i];
        if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f ||
            (b == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f))
            return i;
    }
    return n;
}

/* A length-delimited value of field f at *pos (its tag already read and
 * written): a string checked for UTF-8 and NUL, a sub-message walked (a
 * oneof's pieces merged first), a packed run normalized. S_TOO_BIG on a
 * refusal (c says why), else 0. */
static size_t s_len_value(s_ctx *c, const ProtobufCMessageDescriptor *d,
                          const ProtobufCFieldDescriptor *f, const s_oneof *g,
                          bool drop, const uint8_t *in, size_t len, size_t *pos,
                          size_t fstart, int depth, uint8_t *o, size_t *w)
{
    uint64_t n64;
    if (!s_get_varint(in, len, pos, &n64))
        return s_fail(c, d, "malformed length");
    if (n64 > len - *pos)
        return s_fail(c, d, "length %llu runs past the end",
                      (unsigned long long)n64);
    size_t n = (size_t)n64;
    const uint8_t *v = in + *pos;
    *pos += n;
    if (f->type == PROTOBUF_C_TYPE_STRING && !c->checked) {
        const uint8_t *nul = memchr(v, 0, n);
        size_t bad = cl_pbcheck_utf8_bad(v, nul ? (size_t)(nul - v) : n);
        if (nul && bad == (size_t)(nul - v))
            return s_fail(c, d,
                          "NUL byte at byte %zu (strings may "
                          "not contain NUL)",
                          bad);
        if (bad < n)
            return s_fail(c, d, "invalid UTF-8 at byte %zu", bad);
        if ((bad = s_control_at(v, n)) < n)
            return s_fail(c, d,
                          "control character at byte %zu (strings may hold "
                          "tabs and line breaks, no other control "
                          "characters)",
                          bad);
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && g && !drop && g->run != fstart) {
        size_t inner = s_oneof_run(c, d, f, g, in, fstart, v, n, depth, NULL);
        if (inner == S_TOO_BIG)
            return S_TOO_BIG;
        s_put_varint(o, w, inner);
        if (o)
            (void)s_oneof_run(c, d, f, g, in, fstart, v, n, depth, o + *w);
        *w += inner;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        size_t inner = s_walk(c, f->descriptor, v, n, depth + 1, NULL);
        if (inner == S_TOO_BIG)
            return S_TOO_BIG;
        s_put_varint(o, w, inner);
        if (o)
            (void)s_walk(c, f->descriptor, v, n, depth + 1, o + *w);
        *w += inner;
    } else if (f->type == PROTOBUF_C_TYPE_STRING ||
               f->type == PROTOBUF_C_TYPE_BYTES) {
        s_put_varint(o, w, n);
        s_put_bytes(o, w, v, n);
    } else {
        size_t inner = s_packed(c, d, f, v, n, NULL);
        if (inner == S_TOO_BIG)
            return S_TOO_BIG;
        s_put_varint(o, w, inner);
        if (o)
            (void)s_packed(c, d, f, v, n, o + *w);
        *w += inner;
    }
    return 0;
}

static size_t s_walk(s_ctx *c, const ProtobufCMessageDescriptor *d,
                     const uint8_t *in, size_t len, int depth, uint8_t *out)
{
    uint32_t seen[256]; /* occurrences of each repeated field: its index */
    s_oneof groups[S_ONEOFS];
    size_t pos = 0, w = 0;
    size_t ng;

    if (depth > CL_PBCHECK_DEPTH)
        return s_fail(c, d, "nested deeper than %d levels", CL_PBCHECK_DEPTH);
    ng = s_oneofs(d, in, len, groups);
    memset(seen, 0, (d->n_fields < 256 ? d->n_fields : 256) * sizeof(seen[0]));
    while (pos < len) {
        size_t fstart = pos, w0 = w;
        uint64_t tag;
        if (!s_get_varint(in, len, &pos, &tag) || tag > UINT32_MAX)
            return s_fail(c, d, "malformed field tag at byte %zu", pos);
        uint32_t number = (uint32_t)(tag >> 3), wt = (uint32_t)(tag & 7);
        if (number == 0 || number > 536870911u)
            return s_fail(c, d, "field number %u is not valid", number);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, number);
        if (!f)
            return s_fail(c, d,
                          "unknown field %u (not in %s: is the client built "
                          "from a newer caselink.proto than the daemon?)",
                          number, d->short_name);
        size_t fi = (size_t)(f - d->fields);
        bool rep = f->label == PROTOBUF_C_LABEL_REPEATED;
        uint32_t index = fi < 256 ? seen[fi] : 0;
        size_t was = s_push(c, f->name,
                            rep && f->type == PROTOBUF_C_TYPE_MESSAGE, index);
        uint8_t want = s_types[f->type].wire;
        if (wt == WT_SGROUP || wt == WT_EGROUP)
            return s_fail(c, d,
                          "group encoding (wire type %u) is not used "
                          "by caselink.proto",
                          wt);
        if (wt != want && !(wt == WT_LEN && s_packable(f)))
            return s_fail(c, d, "wire type %u, but the schema has %s%s", wt,
                          rep ? "repeated " : "", s_types[f->type].name);
        /* a piece that a later occurrence holds (merged) or replaces (a
         * oneof's other member): checked, not kept here */
        const s_oneof *g = s_oneof_of(groups, ng, d, f);
        bool drop = g && g->last != fstart;
        uint8_t *o = drop ? NULL : out;
        s_put_varint(o, &w, tag);
        switch (wt) {
        case WT_VARINT: {
            uint64_t v;
            if (!s_get_varint(in, len, &pos, &v))
                return s_fail(c, d, "malformed varint");
            s_put_varint(o, &w, v);
            if (rep && fi < 256)
                seen[fi]++;
            break;
        }
        case WT_I64:
        case WT_I32: {
            size_t n = wt == WT_I64 ? 8 : 4;
            if (len - pos < n)
                return s_fail(c, d, "truncated %s", s_types[f->type].name);
            s_put_bytes(o, &w, in + pos, n);
            pos += n;
            if (rep && fi < 256)
                seen[fi]++;
            break;
        }
        case WT_LEN:
            if (s_len_value(c, d, f, g, drop, in, len, &pos, fstart, depth, o,
                            &w) == S_TOO_BIG)
                return S_TOO_BIG;
            if (rep && fi < 256)
                seen[fi]++;
            break;
        default:
            return s_fail(c, d, "wire type %u is not valid", wt);
        }
        s_pop(c, was);
        if (drop)
            w = w0;
    }
    return w;
}

int cl_pbcheck_normalize(uint8_t *out, size_t *out_len,
                         const ProtobufCMessageDescriptor *d,
                         const uint8_t *buf, size_t len, char err[CL_ERROR_SZ])
{
    s_ctx c;
    memset(&c, 0, sizeof(c));
    c.err = err;
    size_t n = s_walk(&c, d, buf, len, 0, NULL);
    if (n == S_TOO_BIG || n > len) {
        if (n != S_TOO_BIG) /* cannot happen: minimal is never longer */
            snprintf(err, CL_ERROR_SZ, "%s: normalization grew the frame",
                     d->short_name);
        return CL_ERR_INVALID;
    }
    /* Every change normalization makes (a field dropped or merged, a
     * varint or length written shorter) makes the frame shorter, and none
     * makes it longer: a frame as long as its normal form is its normal
     * form. That is nearly every frame a client sends, so the writing
     * pass, which walks each sub-message once per level above it, runs
     * only for the others (debug builds check the claim every time). */
    *out_len = n;
    if (n == len) {
        memcpy(out, buf, len);
#ifndef NDEBUG
        uint8_t *again = malloc(len ? len : 1);
        c.plen = 0;
        c.checked = true;
        assert(!again || (s_walk(&c, d, buf, len, 0, again) == len &&
                          !memcmp(again, buf, len)));
        free(again);
#endif
        return CL_OK;
    }
    /* the same bytes again: their strings were checked once, above (the
     * writing pass walks each sub-message more than once) */
    c.plen = 0;
    c.checked = true;
    (void)s_walk(&c, d, buf, len, 0, out);
    return CL_OK;
}

/* Past the value of a field of wire type wt (number: a group's, to find
 * its end; nested groups and all) whose tag was just read; false if the
 * frame ends first or the value cannot be read. */
static bool s_skip_value(const uint8_t *buf, size_t len, size_t *pos,
                         uint32_t wt, uint64_t number, int depth)
{
    uint64_t v, tag;
    switch (wt) {
    case WT_VARINT:
        return s_get_varint(buf, len, pos, &v);
    case WT_I64:
    case WT_I32:
        if (len - *pos < (wt == WT_I64 ? 8u : 4u))
            return false;
        *pos += wt == WT_I64 ? 8 : 4;
        return true;
    case WT_LEN:
        if (!s_get_varint(buf, len, pos, &v) || v > len - *pos)
            return false;
        *pos += (size_t)v;
        return true;
    case WT_SGROUP:
        while (depth < 64 && s_get_varint(buf, len, pos, &tag)) {
            if ((tag & 7) == WT_EGROUP)
                return (tag >> 3) == number;
            if (!s_skip_value(buf, len, pos, (uint32_t)(tag & 7), tag >> 3,
                              depth + 1))
                return false;
        }
        return false;
    default:
        return false;
    }
}

size_t cl_pbcheck_top_fields(const uint8_t *buf, size_t len,
                             cl_pbcheck_field_fn fn, void *ctx)
{
    size_t pos = 0, n = 0;
    while (pos < len) {
        uint64_t tag, v;
        if (!s_get_varint(buf, len, &pos, &tag) || (tag >> 3) > UINT32_MAX)
            break;
        uint32_t wt = (uint32_t)(tag & 7), number = (uint32_t)(tag >> 3);
        n++;
        if (wt != WT_LEN) {
            fn(ctx, number, wt, NULL, 0, false);
            if (!s_skip_value(buf, len, &pos, wt, number, 1))
                break;
            continue;
        }
        if (!s_get_varint(buf, len, &pos, &v))
            break;
        bool whole = v <= len - pos;
        fn(ctx, number, wt, buf + pos, whole ? (size_t)v : len - pos, whole);
        if (!whole)
            break;
        pos += (size_t)v;
    }
    return n;
}

typedef struct s_peek {
    uint8_t *out;
    size_t want;
    uint32_t number;
    bool found;
} s_peek;

static void s_peek_one(void *ctx, uint32_t number, uint32_t wt,
                       const uint8_t *v, size_t len, bool whole)
{
    s_peek *p = ctx;
    if (number != p->number || wt != WT_LEN)
        return;
    p->found = whole && len == p->want;
    if (p->found)
        memcpy(p->out, v, len);
}

bool cl_pbcheck_peek(uint8_t *out, size_t want, uint32_t number,
                     const uint8_t *buf, size_t len)
{
    s_peek p = {out, want, number, false};
    (void)cl_pbcheck_top_fields(buf, len, s_peek_one, &p);
    return p.found;
}
