/*
 * rechist: the earlier details of agency records. When a later referral
 * or import from the same agency updates a record's details, the details
 * it replaces are kept, sealed, for subject access and the auditor; at
 * most CL_RECHIST_MAX versions a record. Calls records only.
 */
#ifndef CL_RECHIST_H
#define CL_RECHIST_H

#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "cl_model.h"
#include "codec.h"
#include "records.h"
#include "store.h"

/* Versions kept of one record's details (the oldest go past it). */
#define CL_RECHIST_MAX 64

/* Keep rec's details (record rid) as they were before `by` replaced
 * them at now. */
CL_NODISCARD int cl_rechist_put(cl_txn *t, uint64_t rid,
                                const cl_records_record *rec,
                                const cl_caller *by, int64_t now);

/* Append record rid's earlier details, oldest first, to *v (n used, cap
 * allocated; subject access). */
CL_NODISCARD int cl_rechist_of(cl_txn *t, uint64_t rid, cl_record_version **v,
                               size_t *n, size_t *cap);

/* Remove every earlier version of record rid (retention). */
CL_NODISCARD int cl_rechist_purge(cl_txn *t, uint64_t rid);

/* The stored format of an earlier version (cl_records_dec_fn). */
void cl_rechist_dec(cl_dec *d, void *out);

#endif
