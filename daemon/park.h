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

#endif
