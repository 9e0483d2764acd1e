/*
 * mdt_review: the extended MDT's reviews as core keeps them: creating a
 * review, putting people on its agenda, the review record itself, and the
 * derived outcome measures and monthly referral counts mdt.c reports.
 * The top of daemon/core/ with mdt.c: called by nothing below it.
 */
#ifndef CL_MDT_REVIEW_H
#define CL_MDT_REVIEW_H

#include "codec.h"
#include "core.h"

/* The stored MDT review's format (cl_records_dec_fn): date, title,
 * agencies, created by and when. */
void cl_mdt_review_dec(cl_dec *d, void *out);

#endif
