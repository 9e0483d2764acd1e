/*
 * mdt_pack: a review's agenda pack: for each person on the agenda the
 * linked case (as a case view for that review), why they are there, the
 * discussion, open actions, information requests and answers, the
 * current RAG and measures, what earlier reviews said and agreed, and
 * what happened since the last meeting. Reads only.
 */
#ifndef CL_MDT_PACK_H
#define CL_MDT_PACK_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "op.h"
#include "store.h"

/* The agenda pack: for each person on the review's agenda, the linked
 * case (as a case view for that review), open actions, information
 * requests and answers, discussion, current RAG. People beyond what one
 * audit note holds get audit entries of their own. */
CL_NODISCARD int cl_mdt_pack_build(cl_op *op, const char *review_id,
                                   cl_review_pack *out);

#endif
