/*
 * refs: a referral as intake rules and referral lists see it (refs.c).
 */
#ifndef CL_REFS_H
#define CL_REFS_H

#include <stdbool.h>
#include <stdint.h>

#include "cl_model.h"
#include "store.h"

/* A referral as intake rules and referral lists see it (no free text). */
typedef struct cl_refs_ref {
    uint64_t id;  /* referral id (CL-...) */
    uint64_t pid; /* its subject */
    char reference[CL_REF_SZ];
    char agency[CL_AGENCY_SZ];
    char kind[CL_KIND_SZ];
    char agency_ref[CL_REF_SZ];
    uint8_t category, risk, status;
    bool withdrawn;
    int64_t occurred_at, received_at;
} cl_refs_ref;

/* Called per referral; CL_OK to go on, > 0 to stop, an error to fail. */
typedef int (*cl_refs_fn)(void *ctx, const cl_refs_ref *r);

/* One referral by caselink reference or id (withdrawn ones too). */
CL_NODISCARD int cl_refs_get(cl_txn *t, const char *reference,
                             cl_refs_ref *out);
CL_NODISCARD int cl_refs_by_id(cl_txn *t, uint64_t id, cl_refs_ref *out);

/* Every referral about person pid that was not withdrawn. */
CL_NODISCARD int cl_refs_of(cl_txn *t, uint64_t pid, cl_refs_fn fn, void *ctx);

/* Every referral not withdrawn with an id after `after`, in id order. */
CL_NODISCARD int cl_refs_all(cl_txn *t, uint64_t after, cl_refs_fn fn,
                             void *ctx);

/* The subject of referral CL-... */
CL_NODISCARD int cl_refs_referral_person(cl_txn *t, const char *reference,
                                         uint64_t *pid);

/* A referral's occurred_at (0: not given) may be at most a day after now
 * (clocks differ a little); later, it is a mistake of the sender's field or
 * clock, and such a referral would fall out of every "since" count and
 * case finding. CL_ERR_INVALID with err naming the field and the fix. */
#define CL_REFS_FUTURE_SLACK 86400
CL_NODISCARD int cl_refs_check_occurred(int64_t occurred_at, int64_t now,
                                        const char *field,
                                        char err[CL_ERROR_SZ]);

#endif
