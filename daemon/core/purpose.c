/*
 * purpose: why a person's case may be opened (see purpose.h): the review
 * whose agenda they are on, or a break-glass reason and justification.
 */
#include "purpose.h"

#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "records.h"

/* A break-glass use: flagged in the audit note with its reason and
 * justification ("mdt_preparation: ..."), whether or not the rules are
 * met (a refused attempt is audited too). false with err if not. */
bool cl_caseview_break_glass(cl_audit_note *note, uint8_t reason, const char *j,
                             const char *field, char err[CL_ERROR_SZ])
{
    if (note) {
        note->break_glass = true;
        snprintf(note->purpose, sizeof(note->purpose), "%s: %.900s",
                 cl_access_name(reason), j);
    }
    return cl_break_glass_check(reason, j, field, err);
}

/* One answer for "not on the agenda" and "no such person" alike. */
void cl_caseview_not_on_agenda(char err[CL_ERROR_SZ], const char *review_id)
{
    snprintf(err, CL_ERROR_SZ,
             "this person is not on the agenda of %.64s; add them, or give a "
             "justification",
             review_id);
}

int cl_purpose_review(cl_txn *t, const char *review_id, uint64_t pid,
                      char err[CL_ERROR_SZ])
{
    uint64_t id;
    uint8_t k[16], why;
    size_t len;
    int rc = cl_records_mdt_id(t, review_id, &id, err);
    if (rc != CL_OK)
        return rc;
    cl_records_key(k, id);
    cl_records_key(k + 8, pid);
    rc = cl_store_get_raw(t, CL_DB_AGENDA, k, 16, &why, 1, &len);
    if (rc == CL_ERR_NOT_FOUND)
        cl_caseview_not_on_agenda(err, review_id);
    return rc;
}

int cl_purpose_referred(cl_txn *t, uint64_t pid, bool *out)
{
    cl_records_ids recs = {.max = 100000}, refs = {.max = 1};
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    *out = false;
    for (size_t i = 0; rc == CL_OK && i < recs.n && !*out; i++) {
        refs.n = 0;
        rc = cl_records_children(t, CL_DB_RECORD_REFERRALS, recs.v[i], &refs);
        *out = refs.n > 0;
    }
    free(recs.v);
    free(refs.v);
    return rc;
}

void cl_purpose_unreferred(char err[CL_ERROR_SZ], const char *what)
{
    snprintf(err, CL_ERROR_SZ,
             "%s: no agency has referred this person, or nobody knows them "
             "(the same answer either way); put them on a review's agenda "
             "with a break-glass justification, then name that review",
             what);
}

int cl_purpose_person(cl_txn *t, const cl_purpose_ask *a, uint64_t *pid,
                      cl_audit_note *note, char err[CL_ERROR_SZ])
{
    bool known = false;
    int rc = cl_records_resolve(t, a->who->person_id, &a->who->match, pid, err);
    if (rc == CL_OK) {
        cl_records_note_person(note, *pid);
        rc = cl_purpose_referred(t, *pid, &known);
    }
    if (rc == CL_OK && !known && a->review_id && a->review_id[0]) {
        rc = cl_purpose_review(t, a->review_id, *pid, err);
        known = rc == CL_OK;
        if (rc == CL_ERR_NOT_FOUND)
            rc = CL_OK;
    }
    if (rc == CL_OK && !known && a->any_agenda) {
        cl_records_ids agendas = {.max = 1};
        rc = cl_records_children(t, CL_DB_PERSON_AGENDA, *pid, &agendas);
        known = agendas.n > 0;
        free(agendas.v);
    }
    if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && !known)) {
        cl_purpose_unreferred(err, a->what);
        return CL_ERR_NOT_FOUND;
    }
    return rc;
}
