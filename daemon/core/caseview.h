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

#include "core.h"
#include "records.h"

/* A break-glass use: flagged in the audit note with its reason and
 * justification ("mdt_preparation: ..."), whether or not the rules are
 * met (a refused attempt is audited too). false with err if not. */
bool cl_caseview_break_glass(cl_audit_note *note, uint8_t reason, const char *j,
                             const char *field, char err[CL_ERROR_SZ]);

/* One answer for "not on the agenda" and "no such person" alike. */
void cl_caseview_not_on_agenda(char err[CL_ERROR_SZ], const char *review_id);

#endif
