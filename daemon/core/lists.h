/*
 * lists: referrals and reviews listed for a coordinator (referral list with
 * filters and pages, review list with counts). Layer 4 with the MDT
 * files whose reviews and actions it reads. Reads only; never logs.
 */
#ifndef CL_LISTS_H
#define CL_LISTS_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "op.h"
#include "records.h"
#include "store.h"

/* A referral's row as the lists and the agenda pack show it (no names:
 * the caller adds those it may show). */
void cl_lists_referral_row(cl_referral_row *r, const cl_refs_ref *x);

/* Referrals not withdrawn, oldest first, filtered by q; each person shown
 * is named in the audit note (further entries when one cannot hold them
 * all). out->next is set when there are more. */
CL_NODISCARD int cl_lists_referrals(cl_op *op, const cl_referral_query *q,
                                    cl_referral_rows *out);

/* Reviews by date (upcoming: dated today or later), with how many people
 * are on each agenda, discussed, and its actions open, overdue, closed. */
CL_NODISCARD int cl_lists_reviews(cl_op *op, const cl_mdt_query *q,
                                  cl_mdt_rows *out);

#endif
