/*
 * keyfile: CURVE key files shared by the daemon and every client.
 *
 *   [curve]
 *   public-key = <40 Z85 characters>
 *   secret-key = <40 Z85 characters>      (secret files only, mode 0600)
 *
 * or the ZeroMQ ZPL certificate that CZMQ's zcert (and pyzmq's zmq.auth)
 * read and write:
 *
 *   curve
 *       public-key = "<40 Z85 characters>"
 *       secret-key = "<40 Z85 characters>"
 *
 * Reading accepts either, told apart by the first line that is not a
 * comment ("[curve]" or a bare section name).
 *
 * Owns no sockets and no store; secrets read here go into caller buffers
 * that the caller wipes.
 */
#ifndef CL_KEYFILE_H
#define CL_KEYFILE_H

#include <stddef.h>

#include "cl_error.h"

#define CL_Z85_KEY_SZ 41 /* 40 characters and NUL */

/*
 * Read a key file. pub must hold CL_Z85_KEY_SZ; sec may be NULL (public
 * part only) or hold CL_Z85_KEY_SZ, in which case the file must contain a
 * secret key and must not be readable by group or others (CL_ERR_PERM).
 * err receives a sentence naming the file.
 */
CL_NODISCARD int cl_keyfile_read(const char *path, char *pub, char *sec,
                                 char *err, size_t err_len);

typedef enum cl_keyfile_format {
    CL_KEYFILE_INI = 0, /* base.key (secret, 0600) and base.pub */
    CL_KEYFILE_ZPL = 1  /* base.cert_secret (0600) and base.cert, as zcert */
} cl_keyfile_format;

/* The secret and public file names cl_keyfile_generate_as writes. */
void cl_keyfile_paths(cl_keyfile_format fmt, const char *base, char *sec_path,
                      char *pub_path, size_t cap);

/* Generate a key pair in format fmt (see cl_keyfile_paths). CL_ERR_EXISTS
 * rather than overwrite. pub receives the public key. */
CL_NODISCARD int cl_keyfile_generate_as(const char *base, cl_keyfile_format fmt,
                                        char *pub);

/* The same, in caselink's INI format: base.key and base.pub. */
CL_NODISCARD int cl_keyfile_generate(const char *base, char *pub);

/* True if s is a 40-character Z85 CURVE key. */
int cl_keyfile_z85_valid(const char *s);

#endif
