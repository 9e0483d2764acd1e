/*
 * mdt_review: the extended MDT's reviews as core keeps them: creating a
 * review, putting people on its agenda, the review record itself, and the
 * derived outcome measures and monthly referral counts mdt.c reports.
 * Layer 4 (the MDT workspace): called by nothing below it.
 */
#ifndef CL_MDT_REVIEW_H
#define CL_MDT_REVIEW_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "codec.h"
#include "op.h"
#include "store.h"

/* The stored MDT review's format (cl_records_dec_fn): date, title,
 * agencies, created by and when. */
void cl_mdt_review_dec(cl_dec *d, void *out);

/* Create an MDT review (coordinator); out's reference is its id. */
CL_NODISCARD int cl_mdt_review_create(cl_op *op, const cl_review_new *r,
                                      cl_publish_result *out);

/* Put a person on a review's agenda (coordinator). */
CL_NODISCARD int cl_mdt_review_agenda_add(cl_op *op, const cl_agenda_add *a,
                                          cl_publish_result *out);

/* Referrals not withdrawn, counted by agency and month: *v those that
 * happened in [from, to) (unix seconds; occurred_at, else when received),
 * *va those received in it; both malloc'd. */
CL_NODISCARD int
cl_mdt_review_referrals_by_month(cl_txn *t, int64_t from, int64_t to,
                                 cl_agency_month **v, size_t *n,
                                 cl_agency_month **va, size_t *na);

/* A derived measure (def->source "referrals", "attendances" or "alerts")
 * counted for the people on any agenda: ms->periods[].total per month (the
 * periods named by the caller), ms->baseline_monthly the baseline months' sum,
 * *people the caseload's size. */
CL_NODISCARD int cl_mdt_review_measure_derived(cl_txn *t,
                                               const cl_measure_def *def,
                                               cl_measure_summary *ms,
                                               uint64_t *people);

/* An MDT review's date, title and agencies. */
CL_NODISCARD int cl_mdt_review_get(cl_txn *t, const char *review_id,
                                   uint64_t *id, cl_review_new *out,
                                   char err[CL_ERROR_SZ]);

/* Reviews dated from..to (YYYY-MM-DD, inclusive). */
CL_NODISCARD int cl_mdt_review_held(cl_txn *t, const char *from, const char *to,
                                    int64_t *n);

#endif
