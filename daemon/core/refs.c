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

/* What a cl_refs_ref holds of a stored referral, read in the order of
 * records.c's s_referral_enc without copying the free text: a
 * cl_records_referral is 20 KB to clear and wipe for each lookup. */
typedef struct s_ref_head {
    uint64_t record_id;
    cl_refs_ref ref;
} s_ref_head;

#define S_CAP(f) sizeof(((cl_records_referral *)0)->f)

static void s_ref_head_dec(cl_dec *d, void *out)
{
    s_ref_head *h = out;
    cl_refs_ref *o = &h->ref;
    if (cl_dec_u8(d) != CL_RECORDS_VERSION)
        d->bad = true;
    h->record_id = cl_dec_u64(d);
    CL_DEC_STR(d, o->agency);
    CL_DEC_STR(d, o->kind);
    cl_dec_skip_str(d, S_CAP(client));
    CL_DEC_STR(d, o->reference);
    CL_DEC_STR(d, o->agency_ref);
    o->category = cl_dec_u8(d);
    o->risk = cl_dec_u8(d);
    cl_dec_skip_str(d, S_CAP(r.concern));
    o->occurred_at = cl_dec_i64(d);
    o->received_at = cl_dec_i64(d);
    cl_dec_skip_str(d, S_CAP(r.referrer_name));
    cl_dec_skip_str(d, S_CAP(r.referrer_role));
    cl_dec_skip(d, 2); /* basis, consent */
    cl_dec_skip_str(d, S_CAP(r.consent_note));
    cl_dec_skip_str(d, S_CAP(r.feed));
    cl_dec_skip(d, 8); /* feed_seq */
    o->withdrawn = cl_dec_u8(d) != 0;
    cl_dec_skip(d, 4); /* version */
    o->status = cl_dec_u8(d);
    cl_dec_skip(d, 1 + 8); /* outcome, status_at */
    cl_dec_skip_str(d, S_CAP(status_by));
    cl_dec_skip_str(d, S_CAP(status_reason));
}

/* One referral's head by id (its person id not filled in). */
static int s_ref_head_get(cl_txn *t, uint64_t id, s_ref_head *h)
{
    uint8_t k[8];
    memset(h, 0, sizeof(*h));
    cl_records_key(k, id);
    int rc = cl_records_get(t, CL_DB_REFERRAL, k, 8, CL_RECORDS_BUF,
                            s_ref_head_dec, h, sizeof(*h));
    h->ref.id = id;
    return rc;
}

int cl_refs_get(cl_txn *t, const char *reference, cl_refs_ref *out)
{
    uint64_t id;
    if (!cl_records_parse_ref(reference, &id))
        return CL_ERR_INVALID;
    return cl_refs_by_id(t, id, out);
}

int cl_refs_by_id(cl_txn *t, uint64_t id, cl_refs_ref *out)
{
    s_ref_head h;
    cl_records_record rec;
    int rc = s_ref_head_get(t, id, &h);
    if (rc == CL_OK)
        rc = cl_records_record_get(t, h.record_id, &rec);
    if (rc == CL_OK) {
        h.ref.pid = rec.person_id;
        *out = h.ref;
    }
    sodium_memzero(&h, sizeof(h));
    sodium_memzero(&rec, sizeof(rec));
    return rc;
}

int cl_refs_of(cl_txn *t, uint64_t pid, cl_refs_fn fn, void *ctx)
{
    cl_records_ids recs = {.max = SIZE_MAX}, refs = {.max = SIZE_MAX};
    s_ref_head h;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        refs.n = 0;
        rc = cl_records_children(t, CL_DB_RECORD_REFERRALS, recs.v[i], &refs);
        for (size_t j = 0; j < refs.n && rc == CL_OK; j++) {
            if ((rc = s_ref_head_get(t, refs.v[j], &h)) != CL_OK)
                break;
            if (h.ref.withdrawn)
                continue;
            h.ref.pid = pid;
            rc = fn(ctx, &h.ref);
        }
    }
    sodium_memzero(&h, sizeof(h));
    free(recs.v);
    free(refs.v);
    return rc > 0 ? CL_OK : rc;
}

typedef struct s_all_refs {
    cl_txn *t;
    cl_refs_fn fn;
    void *ctx;
} s_all_refs;

static int s_all_one(void *ctx, const uint8_t *key, size_t len)
{
    s_all_refs *c = ctx;
    cl_refs_ref r;
    if (len != 8)
        return CL_ERR_CORRUPT;
    int rc = cl_refs_by_id(c->t, cl_be64_get(key), &r);
    if (rc == CL_OK && !r.withdrawn)
        rc = c->fn(c->ctx, &r);
    sodium_memzero(&r, sizeof(r));
    return rc;
}

int cl_refs_all(cl_txn *t, uint64_t after, cl_refs_fn fn, void *ctx)
{
    uint8_t k[8];
    s_all_refs c = {t, fn, ctx};
    cl_records_key(k, after + 1);
    return cl_store_scan_from(t, CL_DB_REFERRAL, k, 8, s_all_one, &c);
}

int cl_refs_referral_person(cl_txn *t, const char *reference, uint64_t *pid)
{
    cl_refs_ref r;
    int rc = cl_refs_get(t, reference, &r);
    if (rc == CL_OK)
        *pid = r.pid;
    sodium_memzero(&r, sizeof(r));
    return rc;
}

int cl_refs_check_occurred(int64_t occurred_at, int64_t now, const char *field,
                           char err[CL_ERROR_SZ])
{
    if (occurred_at <= now + CL_REFS_FUTURE_SLACK)
        return CL_OK;
    snprintf(err, CL_ERROR_SZ,
             "%s: %lld is %lld hours after this daemon's clock (%lld): send "
             "when the event happened, in unix seconds UTC; if that is "
             "right, the sending system's clock is wrong",
             field, (long long)occurred_at,
             (long long)((occurred_at - now) / 3600), (long long)now);
    return CL_ERR_INVALID;
}
