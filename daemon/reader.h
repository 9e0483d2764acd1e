/*
 * reader: heavy reads on a small pool of reader threads, each in a read
 * transaction of its own, and replies kept in order per connection (see
 * reader.c). Every function but the threads' own is called by the
 * serving thread only.
 */
#ifndef CL_READER_H
#define CL_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handle.h"
#include "server_int.h"

/* Reader threads at most ([limits] readers), and heavy requests queued,
 * running or waiting for their audit entry at once (beyond: BUSY). */
#define CL_READERS_MAX  8
#define CL_READERS_JOBS 32

typedef struct cl_readers cl_readers;

/* Start s->cfg.readers threads over s's store (none: *out = NULL, and
 * heavy reads run in the batch). err receives a sentence. */
CL_NODISCARD int cl_reader_start(cl_readers **out, cl_server *s, char *err,
                                 size_t err_len);

/* Stop and join the threads, dropping what is left (its replies are not
 * sent: call only after cl_reader_pending says nothing is). Safe on NULL;
 * *r = NULL. */
void cl_reader_stop(cl_readers **r);

/* Readable when a job is done (cl_reader_wake reads it). */
int cl_reader_fd(const cl_readers *r);
void cl_reader_wake(cl_readers *r);

/* Requests of client key (its public key) not yet answered: on the
 * readers (all) and how many of them are heavy; job slots left. */
void cl_reader_inflight(const cl_readers *r, const char *key, uint32_t *all,
                        uint32_t *heavy);
size_t cl_reader_free(const cl_readers *r);

/* Something is still queued, running or waiting to be sent. */
bool cl_reader_pending(const cl_readers *r);

/* Move an admitted request from its batch slot to a reader, after the
 * batch before it has committed (so it reads every write sent before
 * it). fn is its handler; audited: a READ, whose audit entry joins the
 * next group commit once it is done. The slot keeps nothing but what
 * cl_item_release frees. False (the slot answered BUSY, to be sent as
 * usual) when no job slot is left. */
bool cl_reader_submit(cl_readers *r, s_item *it, cl_handler fn, bool audited);

/* The batch's jobs: those done join it (*done of them; returned: how
 * many need an audit entry, so the batch must commit), their audit entries go
 * into the batch's transaction t, and after the commit (rc: its outcome, msg:
 * the error for the reply when it failed) their replies are queued and
 * everything that may go is sent. */
size_t cl_reader_collect(cl_readers *r, size_t *done);

/* A job's audit entries are not all committed yet: the loop must commit
 * again (cl_reader_collect counts it) without waiting for a request. */
bool cl_reader_auditing(const cl_readers *r);
CL_NODISCARD int cl_reader_audit(cl_readers *r, cl_txn *t);
void cl_reader_settle(cl_readers *r, int rc, int as, const char *msg);

/* An item's reply whose connection still waits for an earlier reply:
 * kept, encoded, to be sent after it (true; release the slot as usual).
 * False: nothing is waiting, send it now. */
bool cl_reader_hold(cl_readers *r, s_item *it);

/* Let running jobs finish and start no more (the map may be resized, or
 * the configuration changed, only with no transaction open); resume. */
void cl_reader_pause(cl_readers *r);
void cl_reader_resume(cl_readers *r);

/* Double s's map (up to map_max_mb) with the readers paused meanwhile
 * and the start-up check ended: LMDB may resize the map only with no
 * transaction open in the process. Every grow goes through here. */
CL_NODISCARD int cl_reader_grow(cl_server *s);

#endif
