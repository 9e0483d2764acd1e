/*
 * replica: the server's side of replication (see replica.c).
 */
#ifndef CL_REPLICA_H
#define CL_REPLICA_H

#include <stdbool.h>
#include <stddef.h>

#include "server_int.h"

/* True if this node may write: single, or the active. */
bool cl_replica_writable(const cl_server *s);

/* What a standby or fenced node answers to anything but health, stats
 * and promote. */
void cl_replica_not_active(const cl_server *s, char *out, size_t len);

/* Apply everything the stream holds after this store's sequence; with
 * fence, another process's message fences this one (CL_ERR_INACTIVE). */
CL_NODISCARD int cl_replica_catch_up(cl_server *s, bool fence);

/* Commit a top-level write transaction (through the stream when
 * replicated); *t is always ended. */
CL_NODISCARD int cl_replica_commit(cl_server *s, cl_txn **t);

/* This node's place in replication, for health, stats and promote. */
void cl_replica_fill(cl_server *s, cl_repl_state *st);

/* Standby: apply what the follower has fetched. */
void cl_replica_follow(cl_server *s);

/* Standby, from housekeeping: read the stream directly when the consumer
 * has stalled behind it. */
void cl_replica_standby_check(cl_server *s);

/* Active: has anyone else written to the stream? False if unreadable. */
bool cl_replica_fence_check(cl_server *s);

/* Open the stream and find this node's role (at start-up). */
CL_NODISCARD int cl_replica_start(cl_server *s, char *err, size_t err_len);

/* Operator: make this standby or fenced node the active. */
void cl_replica_promote(cl_server *s, s_item *it);

#endif
