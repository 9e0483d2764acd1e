/*
 * mdt_pack: a review's agenda pack: for each person on the agenda the
 * linked case (as a case view for that review), why they are there, the
 * discussion, open actions, information requests and answers, the
 * current RAG and measures, what earlier reviews said and agreed, and
 * what happened since the last meeting. Reads only; the request
 * (cl_core_review_pack) is declared in core.h.
 */
#ifndef CL_MDT_PACK_H
#define CL_MDT_PACK_H

#include "core.h"

#endif
