/*
 * codec: the plaintext encoding of stored records, before sealing.
 *
 * A record is a version byte followed by fields in a fixed order: integers
 * big-endian, strings as a 16-bit length and bytes. Writers and readers are
 * sticky on error: once a write overflows or a read runs short, every later
 * call is a no-op and cl_enc_ok/cl_dec_ok report it, so a caller checks once
 * at the end. Owns no memory: buffers belong to the caller.
 */
#ifndef CL_CODEC_H
#define CL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cl_enc {
    uint8_t *buf; /* caller's buffer */
    size_t cap;   /* its size */
    size_t len;   /* bytes written */
    bool bad;     /* an write did not fit */
} cl_enc;

typedef struct cl_dec {
    const uint8_t *buf; /* caller's bytes */
    size_t len;         /* their length */
    size_t pos;         /* read position */
    bool bad;           /* a read ran past the end or was malformed */
} cl_dec;

static inline cl_enc cl_enc_init(uint8_t *buf, size_t cap)
{
    cl_enc e = {buf, cap, 0, false};
    return e;
}

static inline cl_dec cl_dec_init(const uint8_t *buf, size_t len)
{
    cl_dec d = {buf, len, 0, false};
    return d;
}

void cl_enc_u8(cl_enc *e, uint8_t v);
void cl_enc_u32(cl_enc *e, uint32_t v);
void cl_enc_u64(cl_enc *e, uint64_t v);
void cl_enc_i64(cl_enc *e, int64_t v);
void cl_enc_f64(cl_enc *e, double v);
void cl_enc_str(cl_enc *e, const char *s);

uint8_t cl_dec_u8(cl_dec *d);
uint32_t cl_dec_u32(cl_dec *d);
uint64_t cl_dec_u64(cl_dec *d);
int64_t cl_dec_i64(cl_dec *d);
double cl_dec_f64(cl_dec *d);
/* Copies into dst (capacity cap, NUL-terminated); too long marks bad. */
void cl_dec_str(cl_dec *d, char *dst, size_t cap);

#define CL_DEC_STR(d, dst) cl_dec_str((d), (dst), sizeof(dst))

/* Passes over n bytes, or over a string as cl_dec_str would read it into
 * capacity cap (too long marks bad), without copying it. */
void cl_dec_skip(cl_dec *d, size_t n);
void cl_dec_skip_str(cl_dec *d, size_t cap);

static inline bool cl_enc_ok(const cl_enc *e)
{
    return !e->bad;
}

/* True if every byte was consumed and nothing ran short. */
static inline bool cl_dec_ok(const cl_dec *d)
{
    return !d->bad && d->pos == d->len;
}

/* Big-endian helpers for composite LMDB keys. */
void cl_be64_put(uint8_t *p, uint64_t v);
uint64_t cl_be64_get(const uint8_t *p);

/* Field rows: a record's fields listed once, as a table, and written and
 * read by one encoder and one decoder, so that a record's layout is one
 * list rather than a writer and a reader kept in step by hand. Each row
 * names a field by offset and size; integers are read and written at the
 * field's own width (1, 2, 4 or 8 bytes) and stored at the row's kind. */
typedef enum cl_field_kind {
    CL_F_STR,  /* a char array: cl_enc_str / cl_dec_str within its size */
    CL_F_U8,   /* an integer stored in one byte */
    CL_F_BOOL, /* a bool stored in one byte; read back as 0 or 1 */
    CL_F_U32,
    CL_F_U64,
    CL_F_I64,
    CL_F_OPT, /* no field: a record that ends here is whole (older records
               * lack what follows, which the decoder leaves as it was) */
} cl_field_kind;

typedef struct cl_field {
    uint8_t kind;  /* cl_field_kind */
    uint32_t off;  /* offsetof the field in its struct */
    uint32_t size; /* sizeof the field */
} cl_field;

#define CL_FIELD(T, f, kind)                                                   \
    {                                                                          \
        (kind), offsetof(T, f), sizeof(((T *)0)->f)                            \
    }
#define CL_FIELD_OPT                                                           \
    {                                                                          \
        CL_F_OPT, 0, 0                                                         \
    }
#define CL_FIELDS_N(rows) (sizeof(rows) / sizeof((rows)[0]))

/* Writes obj's fields in the order of rows[0..n). */
void cl_enc_fields(cl_enc *e, const void *obj, const cl_field *rows, size_t n);
/* Reads rows[0..n) into obj; a string too long for its field or a record
 * that ends early (but at a CL_F_OPT row) marks d bad. */
void cl_dec_fields(cl_dec *d, void *obj, const cl_field *rows, size_t n);

#endif
