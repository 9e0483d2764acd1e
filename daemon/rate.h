/*
 * rate: the per-client flag-check rate limit (see rate.c).
 */
#ifndef CL_RATE_H
#define CL_RATE_H

#include <stdbool.h>

#include "server_int.h"

/* The client's flag-rate window, started or restarted as needed. */
s_rate *cl_rate_slot(cl_server *s, const char *client);

/* True if the client may make another flag check this minute; otherwise
 * the item is answered BUSY with when to try again, and counted for
 * admin stats. */
bool cl_rate_ok(cl_server *s, s_item *it);

#endif
