/*
 * th_nats: a three-node NATS JetStream cluster for tests and benchmarks,
 * on loopback ports chosen free at start, file storage in a temporary
 * folder. Every process is started and stopped by the caller.
 */
#ifndef TH_NATS_H
#define TH_NATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct th_nats {
    char dir[256];
    int port[3], cport[3];
    pid_t pid[3];
} th_nats;

/* Choose ports, start the three nodes and wait (bounded) until JetStream
 * has elected its metadata leader. False if it did not in time. */
bool th_nats_up(th_nats *n);

/* Start node i again (same ports and storage). */
void th_nats_start(th_nats *n, int i);

/* Send sig to node i and reap it. Safe if it is not running. */
void th_nats_kill(th_nats *n, int i, int sig);

/* Stop every node and remove the folder. */
void th_nats_down(th_nats *n);

/* Delete a durable JetStream consumer, as an operator's mistake or a
 * broker losing its state would: true if it was deleted. */
bool th_nats_drop_consumer(const th_nats *n, const char *stream,
                           const char *durable);

/* Append data to the JetStream stream of subject, as anyone allowed to
 * publish there can (no caselink headers): true if the stream took it. */
bool th_nats_publish(const th_nats *n, const char *subject, const uint8_t *data,
                     size_t len);

/* "nats://127.0.0.1:P1,nats://127.0.0.1:P2,nats://127.0.0.1:P3" */
void th_nats_servers(const th_nats *n, char *out, size_t cap);

#endif
