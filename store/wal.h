/*
 * wal: the sequential log before the B-tree. One file of records, each
 * a batch of a write transaction's physical changes (capture.c's format)
 * under its sequence number, appended and made durable with one
 * fdatasync; read back in order at open; cut once the B-tree holds them.
 *
 * A record: "CLW1", the sequence (u64, big-endian), the body's length
 * (u32), the body, then a 32-byte BLAKE2b of everything before it. A
 * record that is short or whose checksum fails is a torn tail: it was
 * never made durable, so never acknowledged, and it and everything after
 * it are ignored (and cut off before the next append).
 *
 * Data and files only: no LMDB, no keys. The body is authenticated by
 * whoever applies it (capture.c's MAC); the checksum here only finds
 * where the durable part of the file ends.
 */
#ifndef CL_WAL_H
#define CL_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_error.h"

typedef struct cl_wal cl_wal;

#define CL_WAL_MAGIC    "CLW1"
#define CL_WAL_HEADER   16 /* magic, sequence, length */
#define CL_WAL_SUM      32 /* BLAKE2b over header and body */
#define CL_WAL_BODY_MAX (256u << 20)

/* Open (creating, mode 0600) the log at path. Appends go after the last
 * whole record once cl_wal_replay has read it; before that, after the
 * file's end. CL_ERR_IO (errno kept) if it cannot be opened. */
CL_NODISCARD int cl_wal_open(cl_wal **out, const char *path);
void cl_wal_close(cl_wal **w);

/* Each whole record of the log, in file order, from its start, while
 * they follow on: a record with sequence <= after is skipped (the B-tree
 * holds it already); the first after it must be after + 1, each next one
 * more by one. fn is called for those, in order (its failure stops the
 * replay and is returned). The log ends at the first record that is torn,
 * fails its checksum or does not follow on: *last is the last sequence
 * handed to fn (after, if none), *tail the bytes ignored from there, and
 * appends continue there. */
typedef int (*cl_wal_fn)(void *ctx, uint64_t seq, const uint8_t *body,
                         size_t len);
CL_NODISCARD int cl_wal_replay(cl_wal *w, uint64_t after, cl_wal_fn fn,
                               void *ctx, uint64_t *last, uint64_t *tail);

/* The sequence of the log's first record, or false if it has no whole
 * one (empty, rewound, torn). */
bool cl_wal_first(const cl_wal *w, uint64_t *seq);

/* Append one record (not durable until cl_wal_sync). On a failure the
 * file is cut back to where it was (CL_ERR_NOSPACE: disk full; CL_ERR_IO). */
CL_NODISCARD int cl_wal_append(cl_wal *w, uint64_t seq, const uint8_t *body,
                               size_t len);

/* Make every record appended durable (fdatasync). After a failure the
 * log is broken (what reached the disk is unknown): every later append
 * and sync fails CL_ERR_IO until it is cut. */
CL_NODISCARD int cl_wal_sync(cl_wal *w);

/* Cut the log to nothing: every record in it is held elsewhere now. */
CL_NODISCARD int cl_wal_cut(cl_wal *w);

/* The same, but the file keeps its length: the next record goes at its
 * start, over the old ones (their first magic is zeroed, so no replay
 * reads past it, whatever sequence it starts after). Appends that stay
 * within the file's length overwrite blocks it has, so their sync writes
 * no inode (ext4 without a journal: one synchronous write fewer; with
 * one, no journal commit). Falls back to cl_wal_cut if the zeroing
 * cannot be written. */
CL_NODISCARD int cl_wal_rewind(cl_wal *w);

/* The bytes of whole records in the log (appended since the last cut). */
uint64_t cl_wal_bytes(const cl_wal *w);

/* Records appended since the last cut. */
uint64_t cl_wal_records(const cl_wal *w);

#endif
