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
typedef struct cl_core_ref {
    uint64_t id;  /* referral id (CL-...) */
    uint64_t pid; /* its subject */
    char reference[CL_REF_SZ];
    char agency[CL_AGENCY_SZ];
    char kind[CL_KIND_SZ];
    char agency_ref[CL_REF_SZ];
    uint8_t category, risk, status;
    bool withdrawn;
    int64_t occurred_at, received_at;
} cl_core_ref;

/* Called per referral; CL_OK to go on, > 0 to stop, an error to fail. */
typedef int (*cl_core_ref_fn)(void *ctx, const cl_core_ref *r);

/* One referral by caselink reference or id (withdrawn ones too). */
CL_NODISCARD int cl_core__ref_get(cl_txn *t, const char *reference,
                                  cl_core_ref *out);
CL_NODISCARD int cl_core__ref_by_id(cl_txn *t, uint64_t id, cl_core_ref *out);

/* Every referral about person pid that was not withdrawn. */
CL_NODISCARD int cl_core__refs_of(cl_txn *t, uint64_t pid, cl_core_ref_fn fn,
                                  void *ctx);

/* Every referral not withdrawn with an id after `after`, in id order. */
CL_NODISCARD int cl_core__refs_all(cl_txn *t, uint64_t after, cl_core_ref_fn fn,
                                   void *ctx);

/* The subject of referral CL-... */
CL_NODISCARD int cl_core__referral_person(cl_txn *t, const char *reference,
                                          uint64_t *pid);

#endif
