/*
 * purpose: why a person's case may be opened: the MDT review whose agenda
 * they are on, or a break-glass reason and justification flagged in the
 * audit note. Read by the case view, case finding and the MDT readers;
 * calls records only.
 */
#ifndef CL_PURPOSE_H
#define CL_PURPOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "cl_model.h"
#include "store.h"

/* A break-glass use: flagged in the audit note with its reason and
 * justification ("mdt_preparation: ..."), whether or not the rules are
 * met (a refused attempt is audited too). false with err if not. */
bool cl_caseview_break_glass(cl_audit_note *note, uint8_t reason, const char *j,
                             const char *field, char err[CL_ERROR_SZ]);

/* One answer for "not on the agenda" and "no such person" alike. */
void cl_caseview_not_on_agenda(char err[CL_ERROR_SZ], const char *review_id);

/* A case may be opened for review_id only if person pid is on that
 * review's agenda. CL_ERR_NOT_FOUND (with err) otherwise. */
CL_NODISCARD int cl_purpose_review(cl_txn *t, const char *review_id,
                                   uint64_t pid, char err[CL_ERROR_SZ]);

/* Whether any agency has referred person pid (a record of theirs has a
 * referral): true in *out. */
CL_NODISCARD int cl_purpose_referred(cl_txn *t, uint64_t pid, bool *out);

/* One answer for "nobody referred this person" and "no such person"
 * alike, for request `what` ("referral_list"). */
void cl_purpose_unreferred(char err[CL_ERROR_SZ], const char *what);

/*
 * The person a coordinator's request names (who), if the partnership works
 * on them: referred by some agency, or on the agenda of review_id (if
 * given), or with any_agenda on any review's agenda. Anyone else, and
 * nobody, get one answer (cl_purpose_unreferred for request `what`,
 * CL_ERR_NOT_FOUND), so the request is no existence test; the person is
 * noted in note either way.
 */
typedef struct cl_purpose_ask {
    const cl_person_ref *who;
    const char *review_id; /* NULL or "": none */
    bool any_agenda;
    const char *what; /* the request, for the refusal */
} cl_purpose_ask;
CL_NODISCARD int cl_purpose_person(cl_txn *t, const cl_purpose_ask *a,
                                   uint64_t *pid, cl_audit_note *note,
                                   char err[CL_ERROR_SZ]);

#endif
