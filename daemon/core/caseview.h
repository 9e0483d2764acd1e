/*
 * caseview: the linked case view, subject access and the auditor's search:
 * what a coordinator or auditor sees of a person, and the audit note that
 * names everyone shown. Calls records and plan, never the files above it.
 */
#ifndef CL_CASEVIEW_H
#define CL_CASEVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "mailbox.h"
#include "op.h"
#include "store.h"

/* The case view of person pid (audit_view: with withdrawn referrals and,
 * into sa if not NULL, the history of changes), as a coordinator or, for
 * subject access, an auditor sees it; on failure the caller clears out. */
CL_NODISCARD int cl_caseview_build(cl_txn *t, uint64_t pid, bool audit_view,
                                   cl_person_view *out, cl_subject_access *sa);

/* An auditor's look at one person: the role, the purpose recorded (what,
 * "subject access"), and the person resolved and named in the audit
 * note. */
CL_NODISCARD int cl_caseview_auditor(cl_txn *t, const cl_caller *caller,
                                     const char *what, const cl_person_ref *q,
                                     cl_audit_note *note, uint64_t *pid,
                                     char err[CL_ERROR_SZ]);

/* Audit entries naming one person, or by a named user, or by filter
 * (auditor). A filter's client in any case is rc's registered spelling;
 * one nobody registered is searched as typed (a removed client's past
 * entries), and refused naming filter.client when nothing matches it. */
CL_NODISCARD int cl_caseview_audit_search(cl_op *op, const cl_route_config *rc,
                                          const cl_person_ref *q,
                                          cl_audit_entries *out);

/*
 * Build the linked case view for a coordinator (person, records, referrals
 * in time order, related people). out is cleared first and owns its arrays
 * (cl_person_view_clear).
 */
CL_NODISCARD int cl_caseview_person_view(cl_op *op, const cl_get_person *q,
                                         cl_person_view *out);

#endif
