/*
 * fields: set a referral field from its name and text value, as the CLI's
 * flags and CSV columns give them. Names: agency_reference (ref),
 * nhs_number (nhs), chi_number (chi), local_id, given_names (given),
 * family_name (family), date_of_birth (dob), sex, address, town, postcode,
 * uprn, category, risk, concern, occurred_at (occurred), referrer_name,
 * referrer_role, lawful_basis (basis), consent, consent_note, feed,
 * feed_seq, related ("rel=parent;given=..;family=.." people separated by
 * '|'). '-' may stand for '_'.
 */
#ifndef CL_FIELDS_H
#define CL_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "cl_model.h"

/* False, with a sentence in err, if the name is unknown or the value
 * malformed or too long. */
bool cl_fields_set(cl_referral *r, const char *name, const char *value,
                   char *err, size_t err_len);

/* The same for a protection plan: agency_reference (ref), type,
 * category, start_date (start), end_date (end), next_review_date (review),
 * responsible_authority (authority), legal_basis, lawful_basis (basis),
 * adult ("rel=parent;given=..;family=..", repeatable) and the child's
 * fields prefixed child_ (child_nhs, child_given, child_dob, ...). */
bool cl_plan_fields_set(cl_plan *p, const char *name, const char *value,
                        char *err, size_t err_len);

/* One person field (given_names, family_name, date_of_birth, ...); errors
 * start with where ("person: date_of_birth: ..."), or with the value
 * alone when where is NULL (the caller names the field). */
bool cl_fields_person_set(cl_person *p, const char *where, const char *name,
                          const char *value, char *err, size_t err_len);

/* A date or time in ISO or UK form, with Z or an offset, else London time
 * (see when.h), or unix seconds. */
bool cl_fields_time(int64_t *out, const char *v, char *err, size_t err_len);

/* Every field a referral, a plan or a person search takes, as flags and
 * CSV columns: the help, the man page, completion and the CLI's option
 * check are written from these lists (test_when checks that
 * cl_fields_set and cl_plan_fields_set accept every name and alias). */
typedef struct cl_field_doc {
    const char *name;  /* CSV column, and flag with '_' as '-' */
    const char *alias; /* shorter flag, or NULL */
    const char *arg;   /* what the value is: "DATE", "TEXT", ... */
    const char *help;
} cl_field_doc;

extern const cl_field_doc cl_referral_field_docs[]; /* ends with name NULL */
extern const cl_field_doc cl_plan_field_docs[];
extern const cl_field_doc cl_person_field_docs[];

/* Whether flag (without "--", '-' or '_') names a field of docs. */
bool cl_fields_known(const cl_field_doc *docs, const char *flag);

#endif
