/*
 * zap: answers ZAP requests for the server's CURVE socket (see zap.c).
 */
#ifndef CL_ZAP_H
#define CL_ZAP_H

#include "server_int.h"

/* Answer every ZAP request waiting on s->zap; counts refusals in
 * s->refused. */
void cl_zap_drain(cl_server *s);

#endif
