/*
 * wire: the only module that touches protobuf.
 *
 * It enforces the size limits, checks and normalizes each frame against the
 * schema (pbcheck: unknown fields, invalid UTF-8 and embedded NUL bytes
 * refused, every standard encoding accepted), unpacks with a bounded
 * allocator, and converts between
 * the protobuf messages of caselink.proto and the plain C model. Semantic
 * checks (dates, check digits, enums) are cl_model's; routing and meaning are
 * the daemon's and the domain's.
 */
#ifndef CL_WIRE_H
#define CL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "cl_model.h"

/* Largest request frame the daemon accepts ([limits] max_message_bytes
 * may lower it); a larger one is answered INVALID, not dropped. */
#define CL_WIRE_MAX_FRAME (64 * 1024)
/* Largest reply (a linked case view can be big). */
#define CL_WIRE_MAX_REPLY (16 * 1024 * 1024)
/* What libzmq counts against ZMQ_MAXMSGSIZE beyond the frame itself:
 * CURVE's framing of each message (33 bytes), with room to spare. Each
 * side's ZMQ_MAXMSGSIZE is its limit plus this, or a frame just under
 * the limit would close the connection with no reply. */
#define CL_WIRE_CURVE_OVERHEAD 256

/*
 * Decode a request frame into *out (caller-owned, overwritten).
 * Any encoding the protobuf specification allows is accepted; refusals
 * (CL_ERR_INVALID) put "field.path: problem" in err. out->msgid and
 * out->msgid_read are set whenever the frame could be read as far as a
 * 16-byte message_id, so the error reply can still be matched by the
 * client; otherwise err begins "message id could not be read".
 */
CL_NODISCARD int cl_wire_decode_request(cl_request *out, const uint8_t *buf,
                                        size_t len, char err[CL_ERROR_SZ]);
/* The same into a request already all zero (a daemon slot, which
 * cl_item_release wipes after use): saves clearing it twice. */
CL_NODISCARD int cl_wire_decode_request_zeroed(cl_request *out,
                                               const uint8_t *buf, size_t len,
                                               char err[CL_ERROR_SZ]);

/* The requests a frame's envelope carries (each whole length-delimited
 * top-level field that is a body's, as far as the frame can be read; a
 * conforming client sends one, protobuf decodes the last): at most max,
 * distinct, in order; returns how many. For refusing a malformed frame
 * that asks for any request its sender may not send. */
size_t cl_wire_peek_kinds(const uint8_t *buf, size_t len, cl_req_kind *out,
                          size_t max);

/* The 16-byte message id of a frame that may be malformed further on;
 * false if it cannot be read. */
bool cl_wire_peek_msgid(uint8_t msgid[CL_MSGID_LEN], const uint8_t *buf,
                        size_t len);

/* Replace in text (a NUL-terminated sentence about req, edited in place)
 * every string of 3 or more bytes that req carries by "...": what a
 * client sent never reaches the log (wire_redact.c). */
void cl_wire_redact(char *text, const cl_request *req);

/* Encode a request. *out is malloc'd; the caller frees it. */
CL_NODISCARD int cl_wire_encode_request(uint8_t **out, size_t *out_len,
                                        const cl_request *req);

/*
 * The idempotency hash of a request: BLAKE2b-128 over caselink's own
 * canonical encoding of the decoded request body (the model re-encoded,
 * never the bytes the client sent), so two encodings of the same request
 * are the same request.
 */
CL_NODISCARD int cl_wire_request_hash(uint8_t hash[16], const cl_request *req);

/* Encode a reply. *out is malloc'd; the caller frees it. */
CL_NODISCARD int cl_wire_encode_reply(uint8_t **out, size_t *out_len,
                                      const cl_reply *rep);

/* Decode a reply into *out (caller-owned; release with cl_reply_clear). */
CL_NODISCARD int cl_wire_decode_reply(cl_reply *out, const uint8_t *buf,
                                      size_t len);

/*
 * Re-encode a stored reply as the answer to a resent message id: status
 * becomes DUPLICATE, original_status keeps what it was, the result is kept.
 */
CL_NODISCARD int cl_wire_reply_as_duplicate(uint8_t **out, size_t *out_len,
                                            const uint8_t *stored,
                                            size_t stored_len);

/* The reply status for an error code. */
cl_status cl_wire_status(int err);

/* The request kind's name as logs and statistics print it. */
const char *cl_wire_kind_name(cl_req_kind kind);

#endif
