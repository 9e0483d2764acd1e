/*
 * core: caselink's domain logic, a library of pure functions over store
 * transactions. It decides who a record is about, what a caller may do and
 * see, and what a linked case looks like. It never touches sockets,
 * protobuf, configuration files or LMDB directly (only through store/), and
 * never logs personal data.
 */
#ifndef CL_CORE_H
#define CL_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "cl_model.h"
#include "store.h"

/* Roles (bit flags); a client may hold several. */
enum {
    CL_ROLE_PUBLISHER = 1u << 0,
    CL_ROLE_COORDINATOR = 1u << 1,
    CL_ROLE_OPERATOR = 1u << 2,
    CL_ROLE_AUDITOR = 1u << 3
};

/* Who is asking: from the client registry, via the CURVE key the ZAP
 * handler admitted. Never from message content. */
typedef struct cl_caller {
    char name[64];             /* registered client name */
    char agency[CL_AGENCY_SZ]; /* agency the client belongs to */
    char kind[CL_KIND_SZ];     /* agency kind: gp, police, ... */
    uint32_t roles;            /* CL_ROLE_* bits */
} cl_caller;

/* Parse "publisher,coordinator" into role bits; -1 if a name is unknown. */
int64_t cl_core_roles_parse(const char *s);

/* True if a caller with these roles may send this kind of request. */
bool cl_core_allowed(uint32_t roles, cl_req_kind kind);

/* Fellegi-Sunter decision thresholds (weights are in match.c). */
typedef struct cl_match_config {
    double upper; /* at or above: link */
    double lower; /* below: new person; between: review */
} cl_match_config;

#define CL_MATCH_UPPER_DEFAULT 18.0
#define CL_MATCH_LOWER_DEFAULT 8.0

/*
 * Publish a referral from caller inside write transaction t: link the
 * subject and related people, store the referral and relationships, and
 * fill out (reference, warnings). The referral must have passed
 * cl_referral_validate. now is unix seconds.
 */
CL_NODISCARD int cl_core_publish(cl_txn *t, const cl_match_config *mc,
                                 const cl_caller *caller, const cl_referral *r,
                                 int64_t now, cl_publish_result *out,
                                 char err[CL_ERROR_SZ]);

/*
 * Build the linked case view for a coordinator (person, records, referrals
 * in time order, related people). out is cleared first and owns its arrays
 * (cl_person_view_clear).
 */
CL_NODISCARD int cl_core_person_view(cl_txn *t, const cl_caller *caller,
                                     const cl_get_person *q,
                                     cl_person_view *out,
                                     char err[CL_ERROR_SZ]);

/* Counts for health and statistics: never personal data. */
CL_NODISCARD int cl_core_counts(cl_txn *t, uint64_t *persons,
                                uint64_t *referrals);

/* --- matching (match.c), exposed for tests -------------------------------- */

/* Jaro-Winkler similarity of two strings, case-insensitive, in [0, 1]. */
double cl_match_jaro_winkler(const char *a, const char *b);

/* American Soundex code of the first word of s into out[5]; "" if none. */
void cl_match_soundex(const char *s, char out[5]);

/* The usual full form of a given name ("Bob" -> "robert"), lower case,
 * into out; the name itself (lower-cased) when no nickname is known. */
void cl_match_canonical_given(const char *s, char *out, size_t cap);

/* Fellegi-Sunter match weight of two descriptions; *veto is set when the
 * given names plainly disagree (never link automatically). */
double cl_match_score(const cl_person *a, const cl_person *b, bool *veto);

#endif
