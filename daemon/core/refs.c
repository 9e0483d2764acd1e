/*
 * refs: a referral as the coordinator's workspace sees it (references,
 * agency, category, risk, status, dates, its subject's person id; no free
 * text), for intake, referral lists, review packs and the flag path. Part
 * of records' layer: it calls records.c, never a file above it.
 */
#include "refs.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

static void s_ref_fill(cl_core_ref *o, uint64_t id, uint64_t pid,
                       const cl_records_referral *sr)
{
    memset(o, 0, sizeof(*o));
    o->id = id;
    o->pid = pid;
    CL_COPY(o->reference, sr->reference);
    CL_COPY(o->agency, sr->agency);
    CL_COPY(o->kind, sr->kind);
    CL_COPY(o->agency_ref, sr->r.agency_ref);
    o->category = sr->r.category;
    o->risk = sr->r.risk;
    o->status = sr->status;
    o->withdrawn = sr->withdrawn != 0;
    o->occurred_at = sr->r.occurred_at;
    o->received_at = sr->received;
}

/* One referral by id, with its subject's person id. */
static int s_ref_one(cl_txn *t, uint64_t id, cl_records_referral *sr,
                     cl_core_ref *out)
{
    cl_records_record rec;
    int rc = cl_records_referral_get(t, id, sr);
    if (rc == CL_OK)
        rc = cl_records_record_get(t, sr->record_id, &rec);
    if (rc == CL_OK)
        s_ref_fill(out, id, rec.person_id, sr);
    sodium_memzero(&rec, sizeof(rec));
    return rc;
}

int cl_core__ref_get(cl_txn *t, const char *reference, cl_core_ref *out)
{
    uint64_t id;
    if (!cl_records_parse_ref(reference, &id))
        return CL_ERR_INVALID;
    return cl_core__ref_by_id(t, id, out);
}

int cl_core__ref_by_id(cl_txn *t, uint64_t id, cl_core_ref *out)
{
    cl_records_referral *sr = calloc(1, sizeof(*sr));
    if (!sr)
        return CL_ERR_NOMEM;
    int rc = s_ref_one(t, id, sr, out);
    sodium_memzero(sr, sizeof(*sr));
    free(sr);
    return rc;
}

int cl_core__refs_of(cl_txn *t, uint64_t pid, cl_core_ref_fn fn, void *ctx)
{
    cl_records_ids recs = {.max = SIZE_MAX}, refs = {.max = SIZE_MAX};
    cl_records_referral *sr = calloc(1, sizeof(*sr));
    cl_core_ref r;
    if (!sr)
        return CL_ERR_NOMEM;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        refs.n = 0;
        rc = cl_records_children(t, CL_DB_RECORD_REFERRALS, recs.v[i], &refs);
        for (size_t j = 0; j < refs.n && rc == CL_OK; j++) {
            if ((rc = cl_records_referral_get(t, refs.v[j], sr)) != CL_OK)
                break;
            if (sr->withdrawn)
                continue;
            s_ref_fill(&r, refs.v[j], pid, sr);
            rc = fn(ctx, &r);
        }
    }
    sodium_memzero(sr, sizeof(*sr));
    free(sr);
    free(recs.v);
    free(refs.v);
    return rc > 0 ? CL_OK : rc;
}

typedef struct s_all_refs {
    cl_txn *t;
    cl_core_ref_fn fn;
    void *ctx;
    cl_records_referral *sr;
} s_all_refs;

static int s_all_one(void *ctx, const uint8_t *key, size_t len)
{
    s_all_refs *c = ctx;
    cl_core_ref r;
    if (len != 8)
        return CL_ERR_CORRUPT;
    int rc = s_ref_one(c->t, cl_be64_get(key), c->sr, &r);
    if (rc != CL_OK || r.withdrawn)
        return rc;
    return c->fn(c->ctx, &r);
}

int cl_core__refs_all(cl_txn *t, uint64_t after, cl_core_ref_fn fn, void *ctx)
{
    uint8_t k[8];
    s_all_refs c = {t, fn, ctx, calloc(1, sizeof(cl_records_referral))};
    if (!c.sr)
        return CL_ERR_NOMEM;
    cl_records_key(k, after + 1);
    int rc = cl_store_scan_from(t, CL_DB_REFERRAL, k, 8, s_all_one, &c);
    sodium_memzero(c.sr, sizeof(*c.sr));
    free(c.sr);
    return rc;
}

int cl_core__referral_person(cl_txn *t, const char *reference, uint64_t *pid)
{
    uint64_t ref_id = 0;
    cl_records_record rec;
    if (!cl_records_parse_ref(reference, &ref_id))
        return CL_ERR_INVALID;
    cl_records_referral *sr = calloc(1, sizeof(*sr));
    if (!sr)
        return CL_ERR_NOMEM;
    int rc = cl_records_referral_get(t, ref_id, sr);
    if (rc == CL_OK &&
        (rc = cl_records_record_get(t, sr->record_id, &rec)) == CL_OK)
        *pid = rec.person_id;
    sodium_memzero(sr, sizeof(*sr));
    sodium_memzero(&rec, sizeof(rec));
    free(sr);
    return rc;
}
