/*
 * natural: a referral published again under the same agency_reference
 * (see natural.h).
 */
#include "natural.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include "access.h"
#include "refindex.h"
#include "ids.h"

int cl_natural_check(cl_txn *t, const cl_caller *caller, const cl_referral *r,
                     const uint8_t hash[CL_REFINDEX_HASH], cl_refindex_key *key,
                     cl_publish_result *out, char err[CL_ERROR_SZ])
{
    uint64_t id = 0;
    uint8_t stored[CL_REFINDEX_HASH];
    bool has = false;
    int rc = cl_refindex_find_key(t, key, caller->agency, r->agency_ref, &id,
                                  stored, &has);
    if (rc == CL_ERR_NOT_FOUND)
        key->hash = hash; /* written with the row by cl_refindex_add_key */
    if (rc != CL_OK)
        return rc; /* CL_ERR_NOT_FOUND: a new reference */
    /* caselink's reference for the referral, as cl_linkfind_publish wrote it */
    char ref[24];
    (void)cl_id_format(ref, sizeof(ref), CL_ID_REFERRAL, id);
    if (has && sodium_memcmp(stored, hash, CL_REFINDEX_HASH) == 0) {
        CL_COPY(out->reference, ref);
        return CL_OK;
    }
    snprintf(err, CL_ERROR_SZ,
             "publish_referral.referral.agency_reference: already names %s "
             "with different content; to change that referral send "
             "correct_referral (reference %s or your agency_reference)",
             ref, ref);
    return CL_ERR_INVALID;
}

int cl_natural_record(cl_txn *t, const cl_caller *caller, const cl_referral *r,
                      const uint8_t hash[CL_REFINDEX_HASH],
                      const cl_refindex_key *key)
{
    if (key->hashed && sodium_memcmp(key->hash, hash, CL_REFINDEX_HASH) == 0)
        return CL_OK; /* the row was written with it */
    int rc = cl_refindex_set_hash(t, caller->agency, r->agency_ref, hash);
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc; /* no reference: no row */
}
