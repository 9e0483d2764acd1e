/*
 * mdt_report: outcome measures (definitions with a baseline, values per
 * person and month, or counted by caselink) and the executive's report:
 * aggregate figures only, small counts suppressed.
 */
#ifndef CL_MDT_REPORT_H
#define CL_MDT_REPORT_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "codec.h"
#include "mailbox.h"
#include "op.h"
#include "store.h"

/* A stored measure definition (its version byte first). */
void cl_mdt_measure_def_dec(cl_dec *d, cl_measure_def *m);

/* One stored value of a measure: its month and person from the key
 * (name NUL month NUL person), its value from the store. */
CL_NODISCARD int cl_mdt_measure_val(cl_txn *t, const uint8_t *key, size_t len,
                                    size_t name_len, char period[CL_MONTH_SZ],
                                    uint64_t *pid, double *v);

/* Person pid's values of every measure (at most 8) into it->measures. */
CL_NODISCARD int cl_mdt_person_measures(cl_txn *t, uint64_t pid,
                                        cl_pack_item *it);

/* Define (or redefine) measure m. A measure of referrals from an agency
 * kind takes only a kind some registered system publishes with (rc's
 * kinds, in any case; stored as the registry spells it): any other
 * would count nothing for ever. */
CL_NODISCARD int cl_mdt_report_define_measure(cl_op *op,
                                              const cl_route_config *rc,
                                              const cl_measure_def *m,
                                              cl_publish_result *out);

CL_NODISCARD int cl_mdt_report_record_measure(cl_op *op,
                                              const cl_measure_value *m,
                                              cl_publish_result *out);

/* The executive's figures: aggregates only; every count under
 * suppress_below is -1. */
CL_NODISCARD int cl_mdt_report_figures(cl_op *op, uint32_t suppress_below,
                                       const cl_report_query *q,
                                       cl_report *out);

#endif
