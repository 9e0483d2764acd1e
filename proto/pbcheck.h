/*
 * pbcheck: the schema-driven first pass over a request frame, part of the
 * wire module (nothing outside proto/ includes it).
 *
 * It walks the protobuf wire format of a frame with the message
 * descriptors protoc-c generated, accepts every encoding the protobuf
 * specification requires a parser to accept (packed or unpacked repeated
 * scalars, a sub-message split in several pieces, a scalar written twice,
 * explicit default values, any varint of up to ten bytes, oneof members in
 * any order), and refuses, naming the field by its path, what caselink
 * keeps strict: unknown field numbers, wire types the schema does not
 * allow, invalid UTF-8 or NUL bytes in strings, nesting deeper than
 * CL_PBCHECK_DEPTH. It writes a copy of the frame with every tag, length
 * and integer varint in its minimal form, which protobuf-c then unpacks
 * (protobuf-c itself refuses tags and length prefixes longer than five
 * bytes, which the specification allows).
 *
 * Owns no memory: the caller passes the output buffer.
 */
#ifndef CL_PBCHECK_H
#define CL_PBCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "cl_model.h"

/* Deepest nesting accepted (Envelope is level 0). */
#define CL_PBCHECK_DEPTH 8

/*
 * Check buf (len bytes) as a serialized message of type d and write its
 * normalized form to out, which must hold len bytes (a normalized frame is
 * never longer). *out_len receives its length. On a refusal returns
 * CL_ERR_INVALID with "path: problem" in err, e.g.
 * "publish_referral.referral.subject.given_names: invalid UTF-8 at byte 7".
 */
CL_NODISCARD int cl_pbcheck_normalize(uint8_t *out, size_t *out_len,
                                      const ProtobufCMessageDescriptor *d,
                                      const uint8_t *buf, size_t len,
                                      char err[CL_ERROR_SZ]);

/*
 * Each top-level field of a frame that may be malformed further on, in
 * order, as far as the frame can be read (a group skipped whole, nested
 * groups and all): fn(ctx, its number, its wire type, and for a
 * length-delimited field its bytes, their length and whether all of them
 * are there: a field whose length runs past the end is given as far as
 * it goes, and is the last). Returns how many.
 */
typedef void (*cl_pbcheck_field_fn)(void *ctx, uint32_t number, uint32_t wt,
                                    const uint8_t *v, size_t len, bool whole);
size_t cl_pbcheck_top_fields(const uint8_t *buf, size_t len,
                             cl_pbcheck_field_fn fn, void *ctx);

/*
 * The last top-level length-delimited field `number` of a frame that may be
 * malformed further on: copies it to out and returns true when it is
 * exactly `want` bytes long and the frame could be read up to it.
 */
bool cl_pbcheck_peek(uint8_t *out, size_t want, uint32_t number,
                     const uint8_t *buf, size_t len);

/* Offset of the first byte of s[0..n) that is not valid UTF-8, or n. */
size_t cl_pbcheck_utf8_bad(const uint8_t *s, size_t n);

#endif
