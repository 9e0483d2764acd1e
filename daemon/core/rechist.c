/*
 * rechist: the earlier details of agency records (rechist.h).
 *
 * One record per agency per person: a later referral or import from the
 * same agency updates the record's details, and the details it replaces
 * are kept (CL_DB_RECORD_HISTORY, sealed):
 *   record id || seq (u32, from 1) -> v1, recorded at, replaced at, by,
 *                                     agency, kind, the details then
 * At most CL_RECHIST_MAX versions a record: past that the
 * oldest goes (the record and its latest details stay).
 */
#include "rechist.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_vec.h"
#include "codec.h"

#define S_VERSION 1
#define S_BUF     4096

static void s_enc(cl_enc *e, const void *in)
{
    const cl_record_version *v = in;
    cl_enc_u8(e, S_VERSION);
    cl_enc_i64(e, v->recorded_at);
    cl_enc_i64(e, v->replaced_at);
    cl_enc_str(e, v->by);
    cl_enc_str(e, v->record.agency);
    cl_enc_str(e, v->record.kind);
    cl_records_person_fields_enc(e, &v->record.person);
}

void cl_rechist_dec(cl_dec *d, void *out)
{
    cl_record_version *v = out;
    memset(v, 0, sizeof(*v));
    if (cl_dec_u8(d) != S_VERSION)
        d->bad = true;
    v->recorded_at = cl_dec_i64(d);
    v->replaced_at = cl_dec_i64(d);
    CL_DEC_STR(d, v->by);
    CL_DEC_STR(d, v->record.agency);
    CL_DEC_STR(d, v->record.kind);
    cl_records_person_fields_dec(d, &v->record.person);
}

static void s_key(uint8_t k[12], uint64_t rid, uint32_t seq)
{
    cl_records_key(k, rid);
    k[8] = (uint8_t)(seq >> 24);
    k[9] = (uint8_t)(seq >> 16);
    k[10] = (uint8_t)(seq >> 8);
    k[11] = (uint8_t)seq;
}

/* The sequence numbers kept for a record, oldest first. */
static int s_seq(void *ctx, const uint8_t *key, size_t len)
{
    if (len != 12)
        return CL_ERR_CORRUPT;
    return cl_records_ids_push(ctx, (uint64_t)key[8] << 24 |
                                        (uint64_t)key[9] << 16 |
                                        (uint64_t)key[10] << 8 | key[11]);
}

static int s_seqs(cl_txn *t, uint64_t rid, cl_records_ids *seqs)
{
    uint8_t k[8];
    cl_records_key(k, rid);
    int rc = cl_store_scan(t, CL_DB_RECORD_HISTORY, k, 8, s_seq, seqs);
    return rc > 0 ? CL_OK : rc;
}

/* Keep rec's details as they were before `by` replaced them at now. */
int cl_rechist_put(cl_txn *t, uint64_t rid, const cl_records_record *rec,
                   const cl_caller *by, int64_t now)
{
    cl_records_ids seqs = {.max = SIZE_MAX};
    cl_record_version v;
    uint8_t k[12];
    int rc = s_seqs(t, rid, &seqs);
    uint32_t next = seqs.n ? (uint32_t)seqs.v[seqs.n - 1] + 1 : 1;
    for (size_t i = 0; rc == CL_OK && i + CL_RECHIST_MAX <= seqs.n; i++) {
        s_key(k, rid, (uint32_t)seqs.v[i]);
        rc = cl_store_del(t, CL_DB_RECORD_HISTORY, k, 12);
    }
    free(seqs.v);
    if (rc != CL_OK)
        return rc;
    memset(&v, 0, sizeof(v));
    v.recorded_at = rec->updated;
    v.replaced_at = now;
    snprintf(v.by, sizeof(v.by), "%.63s (%.*s)", by->name, (int)(CL_BY_SZ - 70),
             by->agency);
    CL_COPY(v.record.agency, rec->agency);
    CL_COPY(v.record.kind, rec->kind);
    v.record.person = rec->p;
    s_key(k, rid, next);
    rc = cl_records_put(t, CL_DB_RECORD_HISTORY, k, 12, S_BUF, s_enc, &v);
    sodium_memzero(&v, sizeof(v));
    return rc;
}

int cl_rechist_of(cl_txn *t, uint64_t rid, cl_record_version **v, size_t *n,
                  size_t *cap)
{
    cl_records_ids seqs = {.max = SIZE_MAX};
    uint8_t k[12];
    int rc = s_seqs(t, rid, &seqs);
    for (size_t i = 0; i < seqs.n && rc == CL_OK; i++) {
        cl_record_version *o = CL_VEC_ADD(*v, *n, *cap);
        if (!o) {
            rc = CL_ERR_NOMEM;
            break;
        }
        s_key(k, rid, (uint32_t)seqs.v[i]);
        rc = cl_records_get(t, CL_DB_RECORD_HISTORY, k, 12, S_BUF,
                            cl_rechist_dec, o, sizeof(*o));
        snprintf(o->record.record_id, sizeof(o->record.record_id),
                 "R%08" PRIu64, rid);
    }
    free(seqs.v);
    return rc;
}

int cl_rechist_purge(cl_txn *t, uint64_t rid)
{
    cl_records_ids seqs = {.max = SIZE_MAX};
    uint8_t k[12];
    int rc = s_seqs(t, rid, &seqs);
    for (size_t i = 0; i < seqs.n && rc == CL_OK; i++) {
        s_key(k, rid, (uint32_t)seqs.v[i]);
        rc = cl_store_del(t, CL_DB_RECORD_HISTORY, k, 12);
    }
    free(seqs.v);
    return rc;
}
