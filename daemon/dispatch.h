/*
 * dispatch: decoding, authorizing and applying a batch's requests (see
 * dispatch.c).
 */
#ifndef CL_DISPATCH_H
#define CL_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "server_int.h"

/* Read one request's frames into it, decode and authorize it (it->early
 * says why not). Returns false when nothing is waiting. */
bool cl_dispatch_recv(cl_server *s, s_item *it);

/* Per-client limits within one batch: beyond a client's share, BUSY. */
void cl_dispatch_limits(cl_server *s, s_item *items, size_t n);

/* Apply every good request of the batch in one transaction and commit. */
CL_NODISCARD int cl_dispatch_apply(cl_server *s, s_item *items, size_t n);

#endif
