/*
 * mdt_review: the extended MDT's reviews as core keeps them: creating a
 * review, putting people on its agenda, the review record itself, and the
 * derived outcome measures and monthly referral counts mdt.c reports.
 * The top of daemon/core/ with mdt.c: called by nothing below it.
 */
#ifndef CL_MDT_REVIEW_H
#define CL_MDT_REVIEW_H

#include "core.h"

#endif
