/*
 * park: receives waiting for mail (see park.c).
 */
#ifndef CL_PARK_H
#define CL_PARK_H

#include <stdbool.h>

#include "server_int.h"

/* Keep an empty receive until mail arrives or its wait ends. False if
 * there is no room: it is answered (empty, or BUSY past the client's
 * share) at once. */
bool cl_park_add(cl_server *s, s_item *it);

/* Answer parked receives whose agency has mail (when mail may have come)
 * or whose wait is over. */
void cl_park_service(cl_server *s, bool mail);

/* Whether mail waits in t (the batch's transaction, on the writer, at
 * the end of the batch) for a receive parked now or for one of
 * items[0..n) that the batch leaves to park: only then must the serving
 * thread have the held transaction committed to read it (cl_writer_
 * settle, then cl_park_service). Reads s->parks, which the serving
 * thread leaves alone while a batch is on the writer. */
bool cl_park_mail(cl_server *s, cl_txn *t, const s_item *items, size_t n);

#endif
