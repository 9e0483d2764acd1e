/*
 * backup: the online backup thread (see backup.c).
 */
#ifndef CL_BACKUP_H
#define CL_BACKUP_H

#include "server_int.h"

/* In the batch: check the name, make the folder; the reply is deferred
 * (it->deferred) until the copy is done. */
CL_NODISCARD int cl_backup_prepare(cl_server *s, s_item *it);

/* After the commit: take over the item's route and start the thread. */
void cl_backup_start(cl_server *s, s_item *it);

/* Answer whoever asked for the backup; the thread has been joined. */
void cl_backup_finish_joined(cl_server *s);

/* The backup thread signalled: join it and answer. */
void cl_backup_finish(cl_server *s);

/* For admin stats: whether a backup runs, the bytes it has written so far
 * and about how many it will write. */
void cl_backup_progress(const cl_server *s, cl_stats *st);

#endif
