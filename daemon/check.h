/*
 * check: the start-up check of every counted table and index, on a
 * thread of its own (see check.c). Called by the serving thread only.
 */
#ifndef CL_CHECK_H
#define CL_CHECK_H

#include <stdbool.h>

#include "server_int.h"

/* Start checking s's store (the result goes to the log); a small store
 * is checked before this returns, a larger one while the daemon serves.
 * If no thread can be started, the check runs here. */
void cl_check_start(cl_server *s);

/* Wait for a check under way to end (the map may be resized only with
 * no read transaction open). Safe when none was started. */
void cl_check_wait(cl_server *s);

/* At stop: a check not begun yet (held by the test gate) is dropped; one
 * under way is waited for. */
void cl_check_stop(cl_server *s);

/* Join a check that has ended (housekeeping); true while it still runs. */
bool cl_check_running(cl_server *s);

#endif
