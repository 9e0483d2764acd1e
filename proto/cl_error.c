/*
 * cl_error: text for the shared error enum. Owns nothing else.
 */
#include "cl_error.h"

const char *cl_strerror(int err)
{
    switch ((cl_err)err) {
    case CL_OK:
        return "ok";
    case CL_ERR_NOMEM:
        return "out of memory";
    case CL_ERR_INVALID:
        return "invalid input";
    case CL_ERR_DENIED:
        return "not allowed for this client's roles";
    case CL_ERR_NOT_FOUND:
        return "not found";
    case CL_ERR_BUSY:
        return "busy: the store cannot take writes now, retry later";
    case CL_ERR_CORRUPT:
        return "stored data failed authentication (corrupted or tampered)";
    case CL_ERR_KEY:
        return "master key is wrong, missing or unusable";
    case CL_ERR_IO:
        return "input/output error";
    case CL_ERR_TIMEOUT:
        return "timed out";
    case CL_ERR_PROTOCOL:
        return "protocol error";
    case CL_ERR_EXISTS:
        return "already exists";
    case CL_ERR_FULL:
        return "store map is full";
    case CL_ERR_PERM:
        return "unsafe file permissions";
    case CL_ERR_INTERNAL:
        return "internal error";
    case CL_ERR_MAILBOX:
        return "the addressee's mailbox is full; retry later";
    case CL_ERR_UNREACHABLE:
        return "nothing is listening at the endpoint";
    case CL_ERR_SERVER_KEY:
        return "the daemon did not accept the handshake: the server key is "
               "not its key";
    case CL_ERR_INACTIVE:
        return "this node is not the active one; send to the active";
    case CL_ERR_NOSPACE:
        return "disk full: free space under the state folder; writes "
               "resume by themselves once there is room, and nothing "
               "acknowledged was lost";
    }
    return "unknown error";
}
