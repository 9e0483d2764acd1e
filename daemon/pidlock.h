/*
 * pidlock: one daemon per state directory. Every caselinkd that serves or
 * re-indexes a store holds an exclusive lock on STATE_DIR/caselinkd.pid
 * (flock, released by the kernel when the process ends, however it ends)
 * and writes its pid there. Two daemons on one store would each commit
 * over the other's pages and break it for good; a second one is refused
 * before it opens the store or binds its endpoint (an ipc:// bind would
 * take the first one's socket away).
 */
#ifndef CL_PIDLOCK_H
#define CL_PIDLOCK_H

#include <stddef.h>

#include "cl_error.h"

/* Take the lock for dir: *fd holds it until closed (kept open for the
 * process's life). CL_ERR_BUSY if another process holds it (*holder its
 * pid, 0 if unknown); CL_ERR_PERM/CL_ERR_IO if the file cannot be made
 * (err says why). */
CL_NODISCARD int cl_pidlock_take(const char *dir, int *fd, long *holder,
                                 char *err, size_t err_len);

#endif
