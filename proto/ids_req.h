/*
 * ids_req: the caselink ids every request kind carries, written in their
 * canonical form (ids.c's prefix and at least eight digits) before
 * anything reads them. People type the short form (P11, MDT-1) and it
 * keeps working; every answer, audit entry and log line then says
 * P00000011 and MDT-00000001, so one id is one string everywhere.
 */
#ifndef CL_IDS_REQ_H
#define CL_IDS_REQ_H

#include "cl_model.h"

/* Rewrite each id field of q that parses as its kind in canonical form;
 * a field that does not parse is left for its handler to refuse, naming
 * it. */
void cl_ids_req_canon(cl_request *q);

#endif
