/*
 * server: caselinkd's sockets and main loop.
 *
 * Owns the ZeroMQ context, the ZAP handler socket, the CURVE ROUTER socket,
 * the signalfd, the client registry and the store handle. It authenticates
 * (ZAP), decodes (wire), authorizes (core's table), applies requests in
 * batches inside one write transaction (group commit), commits once, and
 * only then replies. It holds no business rules.
 */
#ifndef CL_SERVER_H
#define CL_SERVER_H

#include <stddef.h>

#include "config.h"

typedef struct cl_server cl_server;

/*
 * Load keys and registry, open the store, bind the ZAP handler and then the
 * ROUTER. The caller must have blocked SIGTERM, SIGINT and SIGHUP in every
 * thread (before this call, so libzmq's threads inherit the mask).
 * cfg is copied. err receives a sentence for the operator.
 */
CL_NODISCARD int cl_server_open(cl_server **out, const cl_config *cfg,
                                char *err, size_t err_len);

/* Serve until SIGTERM or SIGINT; then finish the batch in hand, commit,
 * reply and return CL_OK. */
CL_NODISCARD int cl_server_run(cl_server *s);

/* Close sockets and store; *s = NULL. Safe on NULL. */
void cl_server_close(cl_server **s);

#endif
