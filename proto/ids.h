/*
 * ids: the one format and the one strict parser for caselink's public
 * identifiers, "PREFIX" followed by a decimal number (P00000042,
 * CL-00000007, MDT-00000003). Every id kind is one row of CL_ID_KINDS; a
 * new kind is a new row.
 *
 * Parsing is strict: the exact prefix, then ASCII digits only (no sign, no
 * space, no "0x"), a value from 1 to UINT64_MAX (overflow refused), and
 * nothing after. "P-1", "P 7", "P+1", "P" and "P0" are all refused. Leading
 * zeros are accepted (the format writes at least eight digits).
 *
 * Never allocates; no state.
 */
#ifndef CL_IDS_H
#define CL_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_error.h"

/* X(NAME, prefix, what it names) */
#define CL_ID_KINDS(X)                                                         \
    X(PERSON, "P", "person")                                                   \
    X(RECORD, "R", "agency record")                                            \
    X(REFERRAL, "CL-", "referral")                                             \
    X(PLAN, "PLAN-", "child protection plan")                                  \
    X(QUEUE, "Q", "review-queue pair")                                         \
    X(REVIEW, "MDT-", "MDT review")                                            \
    X(ACTION, "ACT-", "MDT action")                                            \
    X(REQUEST, "REQ-", "information request")                                  \
    X(INTAKE, "IN-", "intake item")                                            \
    X(AUDIT, "AUDIT-", "audit entry")

typedef enum cl_id_kind {
#define CL_ID_ENUM_(name, prefix, what) CL_ID_##name,
    CL_ID_KINDS(CL_ID_ENUM_)
#undef CL_ID_ENUM_
        CL_ID_KIND_COUNT
} cl_id_kind;

/* Room for the longest id of any kind and its NUL ("AUDIT-" + 20 digits). */
#define CL_IDS_SZ 28

/* The prefix of kind ("P"); "" for a kind out of range. */
const char *cl_id_prefix(cl_id_kind kind);

/* What kind names, in English ("person"); "" for a kind out of range. */
const char *cl_id_what(cl_id_kind kind);

/*
 * Write kind's id for n into out (cap bytes, CL_IDS_SZ always enough): the
 * prefix and n in at least eight digits ("P00000042"). Returns false (out
 * set to "") if it does not fit or kind is out of range.
 */
bool cl_id_format(char *out, size_t cap, cl_id_kind kind, uint64_t n);

/*
 * Parse s as an id of kind. On success writes the number (>= 1) to *out
 * and returns CL_OK; otherwise CL_ERR_INVALID and *out is untouched.
 */
CL_NODISCARD int cl_id_parse(uint64_t *out, cl_id_kind kind, const char *s);

/*
 * Parse s as an id of any kind: the kind its prefix names and the number.
 * CL_ERR_INVALID if no kind's strict form matches.
 */
CL_NODISCARD int cl_id_parse_any(cl_id_kind *kind, uint64_t *out,
                                 const char *s);

#endif
