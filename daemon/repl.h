/*
 * repl: caselink's link to its replicated log, a NATS JetStream stream.
 *
 * The only module that speaks NATS. It publishes a batch of the store's
 * physical changes (see cl_store_changes: opaque keys and sealed values,
 * never plaintext or keys) with JetStream's expected-last-sequence check, so
 * that of two nodes that both believe they are active only one can append;
 * reads messages back by sequence (replay and catch-up); and, for a
 * standby, follows the stream with a durable pull consumer in a thread of
 * its own that hands messages to the main thread through a queue and an
 * eventfd. It holds no business rules and never touches the store.
 *
 * Every message carries headers naming its writer: node name, the
 * process's random instance id, and the endpoint its clients use.
 */
#ifndef CL_REPL_H
#define CL_REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_error.h"

#define CL_REPL_SERVERS_SZ  1024
#define CL_REPL_NAME_SZ     64
#define CL_REPL_ENDPOINT_SZ 512
#define CL_REPL_PATH_SZ     4096
#define CL_REPL_INSTANCE_SZ 33 /* 32 hex digits */

/* [replication] in caselinkd.conf; enabled once servers is set. */
typedef struct cl_repl_config {
    char servers[CL_REPL_SERVERS_SZ];    /* nats://h:p[,nats://h:p...] */
    char stream[CL_REPL_NAME_SZ];        /* stream name (default CASELINK) */
    char node[CL_REPL_NAME_SZ];          /* this node's name (hostname) */
    char advertise[CL_REPL_ENDPOINT_SZ]; /* endpoint clients reach us on */
    char credentials[CL_REPL_PATH_SZ];   /* NATS .creds file, optional */
    char user[CL_REPL_NAME_SZ];          /* or user name ... */
    char password_file[CL_REPL_PATH_SZ]; /* ... and a file with password */
    uint32_t replicas;                   /* stream replicas (3) */
    uint32_t publish_timeout_ms;         /* wait for the stream's ack */
    uint32_t max_age_days;               /* log retention, 0: keep all */
} cl_repl_config;

void cl_repl_config_defaults(cl_repl_config *c);

typedef struct cl_repl cl_repl;

/* One message of the stream, as read back. */
typedef struct cl_repl_msg {
    uint64_t seq;        /* stream sequence */
    int64_t time_ns;     /* when the stream stored it */
    const uint8_t *data; /* the batch (borrowed) */
    size_t len;
    bool claim;                         /* a promotion marker */
    char node[CL_REPL_NAME_SZ];         /* writer's node name */
    char instance[CL_REPL_INSTANCE_SZ]; /* writer's process */
    char endpoint[CL_REPL_ENDPOINT_SZ]; /* writer's client endpoint */
    void *impl;                         /* the natsMsg */
} cl_repl_msg;

/*
 * Connect to the servers and make sure the stream exists (creating it
 * with the configured replicas and file storage). err receives a sentence
 * for the operator. The password file is read and wiped.
 */
CL_NODISCARD int cl_repl_open(cl_repl **out, const cl_repl_config *cfg,
                              char *err, size_t err_len);

/* Stop following, disconnect; *r = NULL. Safe on NULL. */
void cl_repl_close(cl_repl **r);

/* This process's instance id (random per start). */
const char *cl_repl_instance(const cl_repl *r);

/*
 * Append a batch, expecting the stream's last sequence to be expect
 * (0: empty). *seq receives the new message's sequence. CL_ERR_EXISTS if
 * the stream has moved on (someone appended, or an earlier append of ours
 * whose acknowledgement was lost); CL_ERR_BUSY if the stream could not
 * confirm in time (no quorum, unreachable): the batch may or may not have
 * been stored, so the caller must look before appending again. why gets a
 * short reason (no data).
 */
CL_NODISCARD int cl_repl_publish(cl_repl *r, const uint8_t *batch, size_t len,
                                 uint64_t expect, bool claim, uint64_t *seq,
                                 char *why, size_t why_len);

/* The stream's first and last sequence (0, 0 when empty). CL_ERR_BUSY if
 * it cannot be asked. */
CL_NODISCARD int cl_repl_bounds(cl_repl *r, uint64_t *first, uint64_t *last);

/* Read message seq. CL_ERR_NOT_FOUND if the stream no longer (or never)
 * held it; CL_ERR_BUSY if unreachable. Release with cl_repl_msg_release. */
CL_NODISCARD int cl_repl_get(cl_repl *r, uint64_t seq, cl_repl_msg *out);

/* Free a message; ack it first when it came from the follower and ack. */
void cl_repl_msg_release(cl_repl_msg *m, bool ack);

/*
 * Standby: follow the stream from sequence from with the durable consumer
 * "caselink-NODE" (re-created at that position, so the node's store, not
 * the server, says where it is). A thread fetches messages and writes to
 * efd (an eventfd) when some are queued.
 */
CL_NODISCARD int cl_repl_follow_start(cl_repl *r, uint64_t from, int efd,
                                      char *err, size_t err_len);

/* Take up to max queued messages, in order. */
size_t cl_repl_follow_take(cl_repl *r, cl_repl_msg *out, size_t max);

/* Stop the thread; queued messages are dropped unacknowledged. */
void cl_repl_follow_stop(cl_repl *r);

/* The follower's last problem ("" when fine). */
void cl_repl_follow_problem(cl_repl *r, char *out, size_t len);

#endif
