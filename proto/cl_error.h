/*
 * cl_error: the one error enum shared by every layer of caselink.
 *
 * errno values, LMDB codes and libzmq errors are translated into these where
 * they arise and never cross a module boundary. The wire maps them onto the
 * Reply status (see wire.c).
 */
#ifndef CL_ERROR_H
#define CL_ERROR_H

typedef enum {
    CL_OK = 0,
    CL_ERR_NOMEM = -1,     /* allocation failed */
    CL_ERR_INVALID = -2,   /* input malformed, out of range or inconsistent */
    CL_ERR_DENIED = -3,    /* the caller's roles do not allow it */
    CL_ERR_NOT_FOUND = -4, /* no such record */
    CL_ERR_BUSY = -5,      /* cannot take work now (store full); retry */
    CL_ERR_CORRUPT = -6,   /* stored bytes failed authentication */
    CL_ERR_KEY = -7,       /* master key wrong, missing or unusable */
    CL_ERR_IO = -8,        /* the operating system refused */
    CL_ERR_TIMEOUT = -9,   /* no answer in time */
    CL_ERR_PROTOCOL = -10, /* the peer broke the wire contract */
    CL_ERR_EXISTS = -11,   /* already there */
    CL_ERR_FULL = -12,     /* the store's map is full */
    CL_ERR_PERM = -13,     /* file permissions unsafe (e.g. key not 0600) */
    CL_ERR_INTERNAL = -14, /* a bug or an unexpected library failure */
    CL_ERR_MAILBOX = -15,  /* the addressee's mailbox is full; retry */
    CL_ERR_UNREACHABLE = -16, /* nothing listens at the endpoint */
    CL_ERR_SERVER_KEY = -17,  /* the handshake failed: not the daemon's key */
    CL_ERR_INACTIVE = -18,    /* this node is not the active one */
    CL_ERR_NOSPACE = -19      /* the disk under the store is full */
} cl_err;

/* A short English description of err; never NULL, never allocates. */
const char *cl_strerror(int err);

#if defined(__GNUC__)
#define CL_NODISCARD __attribute__((warn_unused_result))
#else
#define CL_NODISCARD
#endif

#endif
