/*
 * writer: the batch's write transaction on a thread of its own (see
 * writer.c). Every function is called by the serving thread only.
 */
#ifndef CL_WRITER_H
#define CL_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "server_int.h"

typedef struct cl_writer cl_writer;

/* Start the thread over s. err receives a sentence. */
CL_NODISCARD int cl_writer_start(cl_writer **out, cl_server *s, char *err,
                                 size_t err_len);

/* Join the thread (call only while no batch is on it). Safe on NULL;
 * *w = NULL. */
void cl_writer_stop(cl_writer **w);

/* Hand the batch items[0..n) to the thread: cl_dispatch_apply there.
 * Until cl_writer_done says it is over, the serving thread touches
 * neither those slots nor anything the batch's handlers change. */
void cl_writer_run(cl_writer *w, s_item *items, size_t n);

/* Readable once the batch is over. */
int cl_writer_fd(const cl_writer *w);

/* Whether the batch is over; if so *rc is cl_dispatch_apply's result. */
bool cl_writer_done(cl_writer *w, int *rc);

/* With the sequential log: before the serving thread reads the committed
 * state (a snapshot, a reader thread, a backup, parked receives) or begins
 * a write transaction of its own (housekeeping, map growth, stop), the
 * writer commits the transaction it holds; only between batches. CL_OK at
 * once if nothing is held. On a failure nothing committed lags what was
 * acknowledged only if it is rebuilt: the caller must not go on. */
CL_NODISCARD int cl_writer_settle(cl_server *s);

#endif
