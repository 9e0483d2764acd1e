/*
 * inforeq: information requests. A coordinator asks named agencies what
 * they know of a person (a question and a due date, perhaps for a
 * review); each agency's system answers through its mailbox and the
 * answer goes to the asking agency's. Owns the stored request with its
 * answers and the index of requests per person; delivers through
 * mailbox.c only. Never decides anything about linking or access beyond
 * "only the agencies asked may answer".
 *
 * The requests themselves are declared in core.h; what the domain
 * library's other files share is here.
 */
#ifndef CL_INFOREQ_H
#define CL_INFOREQ_H

#include "core.h"

/* Decode check of a stored information request (fuzzing). */
CL_NODISCARD int cl_inforeq_decode_check(const uint8_t *buf, size_t len);

#endif
