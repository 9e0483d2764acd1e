/*
 * mailbox: each agency's durable mailbox (deliveries numbered 1, 2, 3...,
 * sealed, removed when acknowledged) and its counters, the stored format
 * of every delivery kind, and the inbox requests over them. A primitive:
 * it calls only the store and the record formats below it, never the
 * modules that decide what to deliver (alerts, requests, MDT, intake).
 *
 * The public entry points (cl_mailbox_put, cl_mailbox_get, the inbox
 * requests) are declared in core.h; what the domain library's other files
 * share is here.
 */
#ifndef CL_MAILBOX_H
#define CL_MAILBOX_H

#include "codec.h"
#include "core.h"
#include "core_int.h"

/* An information response in the stored format (deliveries carry one;
 * inforeq.c keeps them in its requests). */
void cl_mailbox_response_enc(cl_enc *e, const cl_info_response *x);
void cl_mailbox_response_dec(cl_dec *d, cl_info_response *x);

/* An intake item in a mailbox delivery's stored form. */
void cl_mailbox_intake_enc(cl_enc *e, const cl_intake_item *x);
void cl_mailbox_intake_dec(cl_dec *d, cl_intake_item *x);

/* Remove every delivery, in every mailbox, that names person pid (by id)
 * or one of the referrals refs (CL-...), keeping the counters true. */
CL_NODISCARD int cl_mailbox_purge(cl_txn *t, uint64_t pid, const cl_ids *refs);

/* Decode check of a stored delivery (fuzzing). */
CL_NODISCARD int cl_mailbox_decode_check(const uint8_t *buf, size_t len);

#endif
