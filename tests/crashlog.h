/*
 * crashlog: the event log tests/crashrec.c appends and
 * tests/test_powerloss.c reads. Each event is one header, then name_len
 * bytes of file name (relative to the recorded folder; "" is the folder
 * itself), then len bytes of data. Host byte order: the log never leaves
 * the machine that wrote it.
 */
#ifndef CL_CRASHLOG_H
#define CL_CRASHLOG_H

#include <stdint.h>

#define CL_CRASHLOG_MAGIC 0x636c6372u /* "clcr" */

enum {
    CL_CRASHLOG_WRITE = 'W',    /* data written at off (not yet durable) */
    CL_CRASHLOG_SYNC = 'S',     /* fsync/fdatasync of the file completed */
    CL_CRASHLOG_SNAPSHOT = 'F', /* the whole (small) file at that sync */
    CL_CRASHLOG_TRUNCATE = 'T', /* ftruncate to off */
    CL_CRASHLOG_RENAME = 'R',   /* name renamed to data */
    CL_CRASHLOG_UNLINK = 'U',   /* name removed */
    CL_CRASHLOG_DIRSYNC = 'D',  /* the folder fsync'd: renames durable */
    CL_CRASHLOG_MSYNC = 'M',    /* something the log cannot model (name) */
    CL_CRASHLOG_ACK = 'A',      /* test client: data (a message) was acked */
};

typedef struct cl_crashlog_event {
    uint32_t magic;    /* CL_CRASHLOG_MAGIC */
    uint32_t op;       /* one of the above */
    uint32_t name_len; /* bytes of name after the header */
    uint32_t pad;      /* zero */
    uint64_t off;      /* WRITE: file offset; TRUNCATE: new length */
    uint64_t len;      /* bytes of data after the name */
} cl_crashlog_event;

#endif
