/*
 * records: the stored formats of the domain library and the indexes over
 * them: people and their last activity, agency records, referrals and
 * their history, relations, plans; blind indexes, id sets and the id
 * parsers. The lowest layer of daemon/core/: it calls store/ and block.c
 * only, never a file above it.
 *
 * Stored records (plaintext before sealing, see store/codec.h), each
 * starting with a format version byte:
 *   person   id            -> v1, created_at
 *   record   id            -> v1, agency, kind, person fields, person id,
 *                             link reason, link score, created, updated
 *   referral id            -> v1, record id, agency, kind, client, reference,
 *                             agency ref, category, risk, concern, occurred,
 *                             received, referrer name, role, basis, consent,
 *                             consent note, feed, feed seq
 *   relation pid_a||pid_b  -> v1, what b is to a, asserting agency, inferred
 * Index keys hold only ids and blind indexes.
 */
#include "records.h"

#include <assert.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "block.h"
#include "cl_vec.h"
#include "idset.h"
#include "ids.h"

/* --- record formats ------------------------------------------------------- */

/* A person's fields, in their stored order: written and read by
 * cl_enc_fields and cl_dec_fields (store/codec.h). */
#define S_STR(T, f) CL_FIELD(T, f, CL_F_STR)
#define S_U8(T, f)  CL_FIELD(T, f, CL_F_U8)
static const cl_field s_person_rows[] = {
    S_STR(cl_person, nhs),      S_STR(cl_person, chi),
    S_STR(cl_person, local_id), S_STR(cl_person, given),
    S_STR(cl_person, family),   S_STR(cl_person, dob),
    S_U8(cl_person, sex),       S_STR(cl_person, address),
    S_STR(cl_person, town),     S_STR(cl_person, postcode),
    S_STR(cl_person, uprn),
};

static void s_enc_person(cl_enc *e, const cl_person *p)
{
    cl_enc_fields(e, p, s_person_rows, CL_FIELDS_N(s_person_rows));
}

static void s_dec_person(cl_dec *d, cl_person *p)
{
    cl_dec_fields(d, p, s_person_rows, CL_FIELDS_N(s_person_rows));
}

void cl_records_key(uint8_t k[8], uint64_t id)
{
    cl_be64_put(k, id);
}

/* Plaintext up to this size is opened on the stack, bigger on the heap. */
#define S_STACK_MAX 4096

int cl_records_get(cl_txn *t, cl_db db, const uint8_t *key, size_t klen,
                   size_t cap, cl_records_dec_fn dec, void *out, size_t out_sz)
{
    uint8_t sbuf[S_STACK_MAX];
    uint8_t *buf = cap <= sizeof(sbuf) ? sbuf : malloc(cap);
    size_t len = 0;
    if (!buf)
        return CL_ERR_NOMEM;
    int rc = cl_store_get(t, db, key, klen, buf, cap, &len);
    if (rc == CL_OK) {
        cl_dec d = cl_dec_init(buf, len);
        dec(&d, out);
        if (!cl_dec_ok(&d)) {
            rc = CL_ERR_CORRUPT;
            sodium_memzero(out, out_sz); /* half-decoded */
        }
        sodium_memzero(buf, len);
    }
    if (buf != sbuf)
        free(buf);
    return rc;
}

int cl_records_put(cl_txn *t, cl_db db, const uint8_t *key, size_t klen,
                   size_t cap, cl_records_enc_fn enc, const void *in)
{
    uint8_t sbuf[S_STACK_MAX];
    uint8_t *buf = cap <= sizeof(sbuf) ? sbuf : malloc(cap);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, cap);
    enc(&e, in);
    int rc = cl_enc_ok(&e) ? cl_store_put(t, db, key, klen, buf, e.len)
                           : CL_ERR_INTERNAL;
    sodium_memzero(buf, e.len); /* the encoder writes nothing past e.len */
    if (buf != sbuf)
        free(buf);
    return rc;
}

int cl_records_check(const uint8_t *buf, size_t len, cl_records_dec_fn dec,
                     size_t out_sz)
{
    void *out = calloc(1, out_sz);
    if (!out)
        return CL_ERR_NOMEM;
    cl_dec d = cl_dec_init(buf, len);
    dec(&d, out);
    int rc = cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
    sodium_memzero(out, out_sz);
    free(out);
    return rc;
}

static void s_record_enc(cl_enc *e, const void *in)
{
    const cl_records_record *r = in;
    cl_enc_u8(e, CL_RECORDS_VERSION);
    cl_enc_str(e, r->agency);
    cl_enc_str(e, r->kind);
    s_enc_person(e, &r->p);
    cl_enc_u64(e, r->person_id);
    cl_enc_u8(e, r->link_reason);
    cl_enc_f64(e, r->link_score);
    cl_enc_i64(e, r->created);
    cl_enc_i64(e, r->updated);
    cl_enc_u8(e, r->subject == CL_RECORDS_MENTION ? CL_RECORDS_MENTION
                                                  : CL_RECORDS_SUBJECT);
}

int cl_records_record_put(cl_txn *t, uint64_t id, const cl_records_record *r)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_records_put(t, CL_DB_RECORD, k, 8, 4096, s_record_enc, r);
}

void cl_records_record_dec(cl_dec *d, void *out)
{
    cl_records_record *r = out;
    memset(r, 0, sizeof(*r));
    if (cl_dec_u8(d) != CL_RECORDS_VERSION)
        d->bad = true;
    CL_DEC_STR(d, r->agency);
    CL_DEC_STR(d, r->kind);
    s_dec_person(d, &r->p);
    r->person_id = cl_dec_u64(d);
    r->link_reason = cl_dec_u8(d);
    r->link_score = cl_dec_f64(d);
    r->created = cl_dec_i64(d);
    r->updated = cl_dec_i64(d);
    /* Records written before subjects were told from mentions count as
     * subjects: what every record was taken to be then. */
    r->subject = CL_RECORDS_SUBJECT_UNKNOWN;
    if (d->pos < d->len && (r->subject = cl_dec_u8(d)) > CL_RECORDS_SUBJECT)
        d->bad = true;
}

/* Mark record rid as about its person (once; later reads are cheap). */
int cl_records_record_subject(cl_txn *t, uint64_t rid)
{
    cl_records_record rec;
    int rc = cl_records_record_get(t, rid, &rec);
    if (rc == CL_OK && rec.subject != CL_RECORDS_SUBJECT) {
        rec.subject = CL_RECORDS_SUBJECT;
        rc = cl_records_record_put(t, rid, &rec);
    }
    sodium_memzero(&rec, sizeof(rec));
    return rc;
}

int cl_records_record_get(cl_txn *t, uint64_t id, cl_records_record *r)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_records_get(t, CL_DB_RECORD, k, 8, 4096, cl_records_record_dec, r,
                          sizeof(*r));
}

/* A referral's fields after its version byte, in their stored order (the
 * live value and each history entry). */
#define S_REF(f, kind) CL_FIELD(cl_records_referral, f, kind)
static const cl_field s_referral_rows[] = {
    S_REF(record_id, CL_F_U64),
    S_REF(agency, CL_F_STR),
    S_REF(kind, CL_F_STR),
    S_REF(client, CL_F_STR),
    S_REF(reference, CL_F_STR),
    S_REF(r.agency_ref, CL_F_STR),
    S_REF(r.category, CL_F_U8),
    S_REF(r.risk, CL_F_U8),
    S_REF(r.concern, CL_F_STR),
    S_REF(r.occurred_at, CL_F_I64),
    S_REF(received, CL_F_I64),
    S_REF(r.referrer_name, CL_F_STR),
    S_REF(r.referrer_role, CL_F_STR),
    S_REF(r.basis, CL_F_U8),
    S_REF(r.consent, CL_F_U8),
    S_REF(r.consent_note, CL_F_STR),
    S_REF(r.feed, CL_F_STR),
    S_REF(r.feed_seq, CL_F_U64),
    S_REF(withdrawn, CL_F_U8),
    S_REF(version, CL_F_U32),
    S_REF(status, CL_F_U8),
    S_REF(outcome, CL_F_U8),
    S_REF(status_at, CL_F_I64),
    S_REF(status_by, CL_F_STR),
    S_REF(status_reason, CL_F_STR),
};

/* A referral record to encode: s's fields, but r's for s->r. */
typedef struct s_referral_in {
    const cl_records_referral *s;
    const cl_referral *r;
} s_referral_in;

static void s_referral_enc_in(cl_enc *e, const void *in)
{
    const s_referral_in *p = in;
    const uint32_t at = offsetof(cl_records_referral, r);
    cl_enc_u8(e, CL_RECORDS_VERSION);
    for (size_t i = 0; i < CL_FIELDS_N(s_referral_rows); i++) {
        cl_field row = s_referral_rows[i];
        bool of_r = row.off >= at;
        row.off -= of_r ? at : 0;
        cl_enc_fields(e, of_r ? (const void *)p->r : (const void *)p->s, &row,
                      1);
    }
}

/* Encode a referral record (used for the live value and for history). */
static void s_referral_enc(cl_enc *e, const void *in)
{
    const cl_records_referral *s = in;
    s_referral_in p = {s, &s->r};
    s_referral_enc_in(e, &p);
}

void cl_records_referral_dec(cl_dec *d, void *out)
{
    if (cl_dec_u8(d) != CL_RECORDS_VERSION)
        d->bad = true;
    cl_dec_fields(d, out, s_referral_rows, CL_FIELDS_N(s_referral_rows));
}

int cl_records_referral_put(cl_txn *t, uint64_t id,
                            const cl_records_referral *s)
{
    return cl_records_referral_put_from(t, id, s, &s->r);
}

int cl_records_referral_put_from(cl_txn *t, uint64_t id,
                                 const cl_records_referral *s,
                                 const cl_referral *r)
{
    static_assert(CL_RECORDS_BUF > CL_CONCERN_SZ + 2 * CL_NOTE_SZ +
                                       4 * CL_NAME_SZ + 2 * CL_AGENCY_SZ +
                                       3 * CL_REF_SZ + 256,
                  "referral buffer too small");
    uint8_t k[8];
    cl_records_key(k, id);
    s_referral_in in = {s, r};
    return cl_records_put(t, CL_DB_REFERRAL, k, 8, CL_RECORDS_BUF,
                          s_referral_enc_in, &in);
}

int cl_records_referral_get(cl_txn *t, uint64_t id, cl_records_referral *s)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_records_get(t, CL_DB_REFERRAL, k, 8, CL_RECORDS_BUF,
                          cl_records_referral_dec, s, sizeof(*s));
}

/* --- people and their last activity ----------------------------------------
 *
 * The activity index (last activity || person id) lets retention take the
 * longest-idle people first without scanning everyone.
 */

/* A person's stored record: when first and last seen. */
typedef struct s_person {
    int64_t created, last;
} s_person;

static void s_person_enc(cl_enc *e, const void *in)
{
    const s_person *p = in;
    cl_enc_u8(e, CL_RECORDS_VERSION);
    cl_enc_i64(e, p->created);
    cl_enc_i64(e, p->last);
}

void cl_records_person_dec(cl_dec *d, void *out)
{
    s_person *p = out;
    if (cl_dec_u8(d) != CL_RECORDS_VERSION)
        d->bad = true;
    p->created = cl_dec_i64(d);
    p->last = cl_dec_i64(d);
}

int cl_records_person_put(cl_txn *t, uint64_t pid, int64_t created,
                          int64_t last)
{
    uint8_t k[8];
    s_person p = {created, last};
    cl_records_key(k, pid);
    return cl_records_put(t, CL_DB_PERSON, k, 8, 32, s_person_enc, &p);
}

int cl_records_person_get(cl_txn *t, uint64_t pid, int64_t *created,
                          int64_t *last)
{
    uint8_t k[8];
    s_person p;
    cl_records_key(k, pid);
    int rc = cl_records_get(t, CL_DB_PERSON, k, 8, 32, cl_records_person_dec,
                            &p, sizeof(p));
    if (rc == CL_OK) {
        *created = p.created;
        *last = p.last;
    }
    return rc;
}

int cl_records_activity(cl_txn *t, uint64_t pid, int64_t at, bool add)
{
    uint8_t k[16];
    cl_be64_put(k, (uint64_t)at);
    cl_be64_put(k + 8, pid);
    if (add)
        return cl_store_put_raw(t, CL_DB_ACTIVITY, k, 16, NULL, 0);
    int rc = cl_store_del(t, CL_DB_ACTIVITY, k, 16);
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

/* Record activity on a person now. */
int cl_records_touch(cl_txn *t, uint64_t pid, int64_t now)
{
    int64_t created, last;
    int rc = cl_records_person_get(t, pid, &created, &last);
    if (rc != CL_OK || (now >= last && now - last < CL_RECORDS_ACTIVITY_GRAIN))
        return rc;
    if ((rc = cl_records_activity(t, pid, last, false)) != CL_OK ||
        (rc = cl_records_activity(t, pid, now, true)) != CL_OK)
        return rc;
    return cl_records_person_put(t, pid, created, now);
}

int cl_records_stamp_get(cl_txn *t, cl_db db, const char *name, int64_t *v,
                         size_t n)
{
    uint8_t buf[1 + 8 * CL_RECORDS_STAMP_MAX];
    size_t len = 0;
    if (n > CL_RECORDS_STAMP_MAX)
        return CL_ERR_INVALID;
    int rc = cl_store_get(t, db, (const uint8_t *)name, strlen(name), buf,
                          sizeof(buf), &len);
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(buf, len);
    bool v1 = cl_dec_u8(&d) == 1;
    for (size_t i = 0; i < n; i++)
        v[i] = cl_dec_i64(&d);
    return v1 && cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

int cl_records_stamp_put(cl_txn *t, cl_db db, const char *name,
                         const int64_t *v, size_t n)
{
    uint8_t buf[1 + 8 * CL_RECORDS_STAMP_MAX];
    if (n > CL_RECORDS_STAMP_MAX)
        return CL_ERR_INVALID;
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, 1);
    for (size_t i = 0; i < n; i++)
        cl_enc_i64(&e, v[i]);
    return cl_enc_ok(&e) ? cl_store_put(t, db, (const uint8_t *)name,
                                        strlen(name), buf, e.len)
                         : CL_ERR_INTERNAL;
}

void cl_records_note_person(cl_audit_note *n, uint64_t pid)
{
    for (uint32_t i = 0; n && i < n->n_persons; i++)
        if (n->persons[i] == pid)
            return;
    if (n && n->n_persons < CL_AUDIT_PERSONS)
        n->persons[n->n_persons++] = pid;
    else if (n && CL_VEC_PUSH(n->more, n->n_more, n->cap_more, pid) != CL_OK)
        n->lost = true; /* past 20 in more; its audit fails: fail closed */
}

/* --- blind indexes -------------------------------------------------------- */

void cl_records_blind_add(const cl_store *st, cl_records_blinds *b,
                          const char *domain, const char *v1, const char *v2)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s%c%s", v1, 0, v2 ? v2 : "");
    if (n < 0 || (size_t)n >= sizeof(buf) ||
        b->n >= sizeof(b->k) / sizeof(b->k[0]))
        return;
    cl_store_blind(st, b->k[b->n++], domain, (const uint8_t *)buf, (size_t)n);
    sodium_memzero(buf, sizeof(buf));
}

/* Blocking keys (block.c): a record is compared only with records
 * sharing one. */
void cl_records_blocking(const cl_store *st, const cl_person *p,
                         cl_records_blinds *b)
{
    size_t room = sizeof(b->k) / sizeof(b->k[0]) - b->n - CL_BLOCK_TF_KEYS;
    size_t from = b->n;
    b->n += cl_block_keys(st, p, b->k + b->n,
                          room < CL_BLOCK_MAX ? room : CL_BLOCK_MAX);
    /* and the name- and place-frequency keys, kept with the record's
     * index rows */
    uint8_t tf[CL_BLOCK_TF_KEYS][CL_BLIND_LEN];
    bool has[CL_BLOCK_TF_KEYS];
    cl_block_tf_keys(st, p, tf, has);
    for (int i = 0; i < CL_BLOCK_TF_KEYS; i++)
        if (has[i])
            memcpy(b->k[b->n++], tf[i], CL_BLIND_LEN);
    for (size_t i = from; i < b->n; i++)
        b->block[i] = true;
}

void cl_records_ident_blinds(const cl_store *st, const char *agency,
                             const cl_person *p, cl_records_blinds *b)
{
    if (p->local_id[0])
        cl_records_blind_add(st, b, "local", agency, p->local_id);
    if (p->nhs[0])
        cl_records_blind_add(st, b, "nhs", p->nhs, NULL);
    if (p->chi[0])
        cl_records_blind_add(st, b, "chi", p->chi, NULL);
    if (p->uprn[0])
        cl_records_blind_add(st, b, "uprn", p->uprn, NULL);
}

static int s_index_in(cl_txn *t, cl_db db, const uint8_t blind[CL_BLIND_LEN],
                      uint64_t record_id)
{
    uint8_t k[CL_BLIND_LEN + 8];
    memcpy(k, blind, CL_BLIND_LEN);
    cl_be64_put(k + CL_BLIND_LEN, record_id);
    return cl_store_put_raw(t, db, k, sizeof(k), NULL, 0);
}

/* Index key i of b (in its sub-database) for record_id, or remove it. */
int cl_records_blinds_put(cl_txn *t, const cl_records_blinds *b, size_t i,
                          uint64_t record_id)
{
    return s_index_in(t, b->block[i] ? CL_DB_BLOCK : CL_DB_BLIND, b->k[i],
                      record_id);
}

int cl_records_blinds_del(cl_txn *t, const cl_records_blinds *b, size_t i,
                          uint64_t record_id)
{
    uint8_t k[CL_BLIND_LEN + 8];
    memcpy(k, b->k[i], CL_BLIND_LEN);
    cl_be64_put(k + CL_BLIND_LEN, record_id);
    int rc =
        cl_store_del(t, b->block[i] ? CL_DB_BLOCK : CL_DB_BLIND, k, sizeof(k));
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

int cl_records_blind_index(cl_txn *t, const uint8_t blind[CL_BLIND_LEN],
                           uint64_t record_id)
{
    return s_index_in(t, CL_DB_BLIND, blind, record_id);
}

bool cl_records_blinds_has(const cl_records_blinds *b,
                           const uint8_t k[CL_BLIND_LEN])
{
    for (size_t i = 0; i < b->n; i++)
        if (memcmp(b->k[i], k, CL_BLIND_LEN) == 0)
            return true;
    return false;
}

/* Append an id (duplicates are removed by cl_records_ids_unique). A positive
 * return stops a scan early once max ids are held. */
int cl_records_ids_push(cl_records_ids *ids, uint64_t id)
{
    if (ids->n >= ids->max)
        return 1; /* stop scanning: enough */
    uint64_t *slot = CL_VEC_ADD(ids->v, ids->n, ids->cap);
    if (!slot)
        return CL_ERR_NOMEM;
    *slot = id;
    return CL_OK;
}

/* Sort and drop duplicates. */
void cl_records_ids_unique(cl_records_ids *ids)
{
    cl_idset_unique(ids->v, &ids->n);
}

static int s_scan_suffix_id(void *ctx, const uint8_t *key, size_t len)
{
    if (len < 8)
        return CL_ERR_CORRUPT;
    return cl_records_ids_push(ctx, cl_be64_get(key + len - 8));
}

/* Record ids under a blocking key. */
int cl_records_lookup_block(cl_txn *t, const uint8_t key[CL_BLIND_LEN],
                            cl_records_ids *ids)
{
    return cl_store_scan(t, CL_DB_BLOCK, key, CL_BLIND_LEN, s_scan_suffix_id,
                         ids);
}

int cl_records_lookup(cl_txn *t, const uint8_t blind[CL_BLIND_LEN],
                      cl_records_ids *ids)
{
    return cl_store_scan(t, CL_DB_BLIND, blind, CL_BLIND_LEN, s_scan_suffix_id,
                         ids);
}

/* Deterministic: the first record under an identifier's blind index. */
int cl_records_link_ident(cl_txn *t, const cl_store *st, const char *domain,
                          const char *v1, const char *v2, uint64_t *record_id)
{
    cl_records_blinds b = {0};
    cl_records_ids ids = {.max = 1};
    cl_records_blind_add(st, &b, domain, v1, v2);
    int rc = cl_records_lookup(t, b.k[0], &ids);
    if (rc == CL_OK && ids.n == 0)
        rc = CL_ERR_NOT_FOUND;
    if (rc == CL_OK)
        *record_id = ids.v[0];
    free(ids.v);
    return rc;
}

void cl_records_record_view(cl_agency_record *a, uint64_t rid,
                            const cl_records_record *rec)
{
    memset(a, 0, sizeof(*a));
    (void)cl_id_format(a->record_id, sizeof(a->record_id), CL_ID_RECORD, rid);
    CL_COPY(a->agency, rec->agency);
    CL_COPY(a->kind, rec->kind);
    a->person = rec->p;
    a->link_reason = rec->link_reason;
    a->link_score = rec->link_score;
}

int cl_records_relation_put(cl_txn *t, uint64_t a, uint64_t b, uint8_t rel,
                            const char *agency)
{
    return cl_records_relation_put_as(t, a, b, rel, agency, 0);
}

uint8_t cl_records_inverse(uint8_t rel)
{
    /* the kinds with another inverse; the rest are their own */
    static const uint8_t inverse[CL_REL_MAX + 1] = {
        [CL_REL_PARENT] = CL_REL_CHILD,
        [CL_REL_CHILD] = CL_REL_PARENT,
        [CL_REL_CARER] = CL_REL_CARED_FOR,
        [CL_REL_CARED_FOR] = CL_REL_CARER,
    };
    return rel <= CL_REL_MAX && inverse[rel] ? inverse[rel] : rel;
}

/* Record that b is `rel` to a, asserted by agency (or inferred). */
static void s_relation_enc(cl_enc *e, const void *in)
{
    const cl_records_relation *r = in;
    cl_enc_u8(e, CL_RECORDS_VERSION);
    cl_enc_u8(e, r->rel);
    cl_enc_str(e, r->agency);
    cl_enc_u8(e, r->inferred);
}

void cl_records_relation_dec(cl_dec *d, void *out)
{
    cl_records_relation *r = out;
    memset(r, 0, sizeof(*r));
    if (cl_dec_u8(d) != CL_RECORDS_VERSION)
        d->bad = true;
    r->rel = cl_dec_u8(d);
    CL_DEC_STR(d, r->agency);
    r->inferred = cl_dec_u8(d) != 0;
}

int cl_records_relation_put_as(cl_txn *t, uint64_t a, uint64_t b, uint8_t rel,
                               const char *agency, uint8_t inferred)
{
    uint8_t k[16];
    cl_records_relation r = {.rel = rel, .inferred = inferred != 0};
    if (!cl_copy(r.agency, sizeof(r.agency), agency))
        return CL_ERR_INTERNAL;
    cl_records_key(k, a);
    cl_records_key(k + 8, b);
    return cl_records_put(t, CL_DB_RELATION, k, 16, 256, s_relation_enc, &r);
}

int cl_records_relation_get(cl_txn *t, uint64_t a, uint64_t b,
                            cl_records_relation *out)
{
    uint8_t k[16];
    cl_records_key(k, a);
    cl_records_key(k + 8, b);
    return cl_records_get(t, CL_DB_RELATION, k, 16, 256,
                          cl_records_relation_dec, out, sizeof(*out));
}

#define S_PLAN_VERSION 2

static void s_plan_enc(cl_enc *e, const void *in)
{
    const cl_records_plan *r = in;
    cl_enc_u8(e, S_PLAN_VERSION);
    cl_enc_u64(e, r->child);
    cl_enc_str(e, r->agency);
    cl_enc_str(e, r->p.agency_ref);
    cl_enc_u8(e, r->p.type);
    cl_enc_u8(e, r->p.category);
    cl_enc_str(e, r->p.start);
    cl_enc_str(e, r->p.end);
    cl_enc_str(e, r->p.authority);
    cl_enc_str(e, r->p.legal_basis);
    cl_enc_str(e, r->p.review);
    cl_enc_u8(e, r->p.basis);
    cl_enc_i64(e, r->created);
    cl_enc_i64(e, r->updated);
    cl_enc_u8(e, r->withdrawn);
}

int cl_records_plan_put(cl_txn *t, uint64_t id, const cl_records_plan *r)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_records_put(t, CL_DB_PLAN, k, 8, 2048, s_plan_enc, r);
}

void cl_records_plan_dec(cl_dec *d, void *out)
{
    cl_records_plan *r = out;
    memset(r, 0, sizeof(*r));
    uint8_t v = cl_dec_u8(d);
    if (v != 1 && v != S_PLAN_VERSION)
        d->bad = true;
    r->child = cl_dec_u64(d);
    CL_DEC_STR(d, r->agency);
    CL_DEC_STR(d, r->p.agency_ref);
    r->p.type = cl_dec_u8(d);
    r->p.category = cl_dec_u8(d);
    CL_DEC_STR(d, r->p.start);
    CL_DEC_STR(d, r->p.end);
    CL_DEC_STR(d, r->p.authority);
    CL_DEC_STR(d, r->p.legal_basis);
    CL_DEC_STR(d, r->p.review);
    r->p.basis = cl_dec_u8(d);
    r->created = cl_dec_i64(d);
    r->updated = cl_dec_i64(d);
    if (v == S_PLAN_VERSION)
        r->withdrawn = cl_dec_u8(d) != 0;
}

int cl_records_plan_get(cl_txn *t, uint64_t id, cl_records_plan *r)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_records_get(t, CL_DB_PLAN, k, 8, 2048, cl_records_plan_dec, r,
                          sizeof(*r));
}

typedef struct s_rel_ctx {
    cl_txn *t;
    uint64_t pid;
    int (*fn)(void *ctx, uint64_t other, uint8_t rel, const char *agency,
              bool inferred);
    void *ctx;
} s_rel_ctx;

static int s_rel_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rel_ctx *r = ctx;
    cl_records_relation rel;
    if (len != 16)
        return CL_ERR_CORRUPT;
    int rc = cl_records_get(r->t, CL_DB_RELATION, key, 16, 256,
                            cl_records_relation_dec, &rel, sizeof(rel));
    if (rc != CL_OK)
        return rc;
    return r->fn(r->ctx, cl_be64_get(key + 8), rel.rel, rel.agency,
                 rel.inferred);
}

int cl_records_relations_of(cl_txn *t, uint64_t pid,
                            int (*fn)(void *ctx, uint64_t other, uint8_t rel,
                                      const char *agency, bool inferred),
                            void *ctx)
{
    s_rel_ctx r = {t, pid, fn, ctx};
    uint8_t k[8];
    cl_records_key(k, pid);
    return cl_store_scan(t, CL_DB_RELATION, k, 8, s_rel_one, &r);
}

int cl_records_person_by_ident(cl_txn *t, const char *domain, const char *v1,
                               const char *v2, uint64_t *pid)
{
    uint64_t rid = 0;
    cl_records_record rec;
    int rc = cl_records_link_ident(t, cl_store_of(t), domain, v1, v2, &rid);
    if (rc == CL_OK && (rc = cl_records_record_get(t, rid, &rec)) == CL_OK)
        *pid = rec.person_id;
    sodium_memzero(&rec, sizeof(rec));
    return rc;
}

#define S_OWN_MAX 8

int cl_records_identity_corroborated(cl_txn *t, uint64_t pid,
                                     const char *agency, const char *nhs,
                                     const char *chi, bool *yes)
{
    cl_records_ids recs = {.max = 256};
    cl_records_record rec;
    /* what the agency's own records say: numbers, postcodes, UPRNs */
    char own[4][S_OWN_MAX][CL_ID_SZ];
    size_t n[4] = {0, 0, 0, 0};
    *yes = false;
    memset(&rec, 0, sizeof(rec));
    if (nhs && nhs[0])
        cl_copy(own[0][n[0]++], CL_ID_SZ, nhs);
    if (chi && chi[0])
        cl_copy(own[1][n[1]++], CL_ID_SZ, chi);
    bool given = n[0] || n[1];
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    /* the agency's own records of pid (with a number given: those of them
     * that carry it) */
    for (size_t i = 0; i < recs.n && rc == CL_OK; i++) {
        if ((rc = cl_records_record_get(t, recs.v[i], &rec)) != CL_OK)
            break;
        if (strcmp(rec.agency, agency) != 0)
            continue;
        if (given && !((nhs && nhs[0] && strcmp(rec.p.nhs, nhs) == 0) ||
                       (chi && chi[0] && strcmp(rec.p.chi, chi) == 0)))
            continue;
        const char *f[4] = {rec.p.nhs, rec.p.chi, rec.p.postcode, rec.p.uprn};
        for (int k = 0; k < 4; k++)
            if (f[k][0] && n[k] < S_OWN_MAX)
                cl_copy(own[k][n[k]++], CL_ID_SZ, f[k]);
    }
    /* ...and whether another agency's record of pid says the same */
    for (size_t i = 0; i < recs.n && rc == CL_OK && !*yes; i++) {
        if ((rc = cl_records_record_get(t, recs.v[i], &rec)) != CL_OK)
            break;
        if (strcmp(rec.agency, agency) == 0)
            continue;
        const char *f[4] = {rec.p.nhs, rec.p.chi, rec.p.postcode, rec.p.uprn};
        for (int k = 0; k < 4 && !*yes; k++)
            for (size_t j = 0; j < n[k] && !*yes; j++)
                *yes = f[k][0] && strcmp(f[k], own[k][j]) == 0;
    }
    sodium_memzero(&rec, sizeof(rec));
    sodium_memzero(own, sizeof(own));
    free(recs.v);
    return rc;
}

bool cl_records_parse_ref(const char *s, uint64_t *out)
{
    return cl_id_parse(out, CL_ID_REFERRAL, s) == CL_OK;
}

/* Keep the version before a change: referral id || version -> record.
 *   history  v2, when, change, reason, by, the referral before the change
 *            (v1 had no `by`)
 * change is read back into a CL_CHANGE_SZ field (subject access): a
 * longer one would be a record nobody can read, so it is refused here
 * rather than stored. by names the client and its agency. */
#define S_HIST_VERSION 2

int cl_records_history_put(cl_txn *t, uint64_t ref_id,
                           const cl_records_referral *old, const char *change,
                           const char *reason, const cl_caller *by, int64_t now)
{
    char who[CL_BY_SZ];
    snprintf(who, sizeof(who), "%.63s (%.*s)", by->name, (int)(CL_BY_SZ - 70),
             by->agency);
    if (strlen(change) >= CL_CHANGE_SZ || strlen(reason) >= CL_NOTE_SZ)
        return CL_ERR_INTERNAL;
    uint8_t *buf = malloc(CL_RECORDS_HIST_BUF), k[12];
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, CL_RECORDS_HIST_BUF);
    cl_enc_u8(&e, S_HIST_VERSION);
    cl_enc_i64(&e, now);
    cl_enc_str(&e, change);
    cl_enc_str(&e, reason);
    cl_enc_str(&e, who);
    s_referral_enc(&e, old);
    cl_be64_put(k, ref_id);
    k[8] = (uint8_t)(old->version >> 24);
    k[9] = (uint8_t)(old->version >> 16);
    k[10] = (uint8_t)(old->version >> 8);
    k[11] = (uint8_t)old->version;
    int rc = cl_enc_ok(&e) ? cl_store_put(t, CL_DB_HISTORY, k, 12, buf, e.len)
                           : CL_ERR_INTERNAL;
    sodium_memzero(buf, e.len);
    free(buf);
    return rc;
}

/* The one reader of a history value (subject access and fuzzing). */
void cl_records_history_dec(cl_dec *d, cl_referral_version *v,
                            cl_records_referral *sr)
{
    uint8_t ver = cl_dec_u8(d);
    if (ver != 1 && ver != S_HIST_VERSION)
        d->bad = true;
    v->replaced_at = cl_dec_i64(d);
    CL_DEC_STR(d, v->change);
    CL_DEC_STR(d, v->reason);
    if (ver >= 2)
        CL_DEC_STR(d, v->by);
    cl_records_referral_dec(d, sr);
}

bool cl_records_parse_pid(const char *s, uint64_t *out)
{
    return cl_id_parse(out, CL_ID_PERSON, s) == CL_OK;
}

/* Collect second half of 16-byte keys under an 8-byte prefix. */
int cl_records_children(cl_txn *t, cl_db db, uint64_t id, cl_records_ids *ids)
{
    uint8_t k[8];
    cl_records_key(k, id);
    return cl_store_scan(t, db, k, 8, s_scan_suffix_id, ids);
}

/* Find the person named by id or by NHS/CHI number. */
int cl_records_resolve(cl_txn *t, const char *pid_str, const cl_person *match,
                       uint64_t *pid, char err[CL_ERROR_SZ])
{
    const cl_store *st = cl_store_of(t);
    uint8_t k[8], buf[64];
    int rc;
    if (pid_str[0]) {
        if (!cl_records_parse_pid(pid_str, pid)) {
            snprintf(err, CL_ERROR_SZ, "person_id: must look like P00000042");
            return CL_ERR_INVALID;
        }
        cl_records_key(k, *pid);
        rc =
            cl_store_get(t, CL_DB_PERSON, k, 8, buf, sizeof(buf), &(size_t){0});
    } else {
        uint64_t rid = 0;
        char nhs[CL_ID_SZ], chi[CL_ID_SZ];
        cl_records_record rec;
        CL_COPY(nhs, match->nhs);
        CL_COPY(chi, match->chi);
        cl_digits_normalise(nhs);
        cl_digits_normalise(chi);
        if (nhs[0])
            rc = cl_records_link_ident(t, st, "nhs", nhs, NULL, &rid);
        else if (chi[0])
            rc = cl_records_link_ident(t, st, "chi", chi, NULL, &rid);
        else {
            snprintf(err, CL_ERROR_SZ,
                     "give a person_id, an NHS number or a CHI number");
            return CL_ERR_INVALID;
        }
        if (rc == CL_OK)
            rc = cl_records_record_get(t, rid, &rec);
        if (rc == CL_OK)
            *pid = rec.person_id;
        sodium_memzero(&rec, sizeof(rec));
    }
    if (rc == CL_ERR_NOT_FOUND)
        snprintf(err, CL_ERROR_SZ, "no such person");
    return rc;
}

int cl_records_del(cl_txn *t, cl_db db, const uint8_t *k, size_t len)
{
    int rc = cl_store_del(t, db, k, len);
    return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

bool cl_records_parse_prefixed(const char *s, char prefix, uint64_t *out)
{
    /* the kind whose prefix is that one letter (R, Q) */
    for (unsigned k = 0; k < CL_ID_KIND_COUNT; k++) {
        const char *p = cl_id_prefix((cl_id_kind)k);
        if (p[0] == prefix && !p[1])
            return cl_id_parse(out, (cl_id_kind)k, s) == CL_OK;
    }
    return false;
}

int cl_records_mdt_id(cl_txn *t, const char *s, uint64_t *id,
                      char err[CL_ERROR_SZ])
{
    uint8_t k[8], buf[64];
    if (cl_id_parse(id, CL_ID_REVIEW, s) != CL_OK) {
        snprintf(err, CL_ERROR_SZ, "review id must look like MDT-00000042");
        return CL_ERR_INVALID;
    }
    cl_records_key(k, *id);
    size_t len;
    int rc = cl_store_get(t, CL_DB_MDT, k, 8, buf, sizeof(buf), &len);
    if (rc == CL_ERR_INVALID) /* larger than buf: it exists */
        rc = CL_OK;
    if (rc == CL_ERR_NOT_FOUND)
        snprintf(err, CL_ERROR_SZ, "no review %.64s", s);
    return rc;
}

/* --- helpers lent to the other files (records.h) -------------------------- */

int cl_records_person_as(cl_txn *t, uint64_t pid, const char *agency,
                         cl_person *out, bool *own)
{
    cl_records_ids recs = {.max = 64};
    cl_records_record rec;
    memset(out, 0, sizeof(*out));
    *own = false;
    int rc = cl_records_children(t, CL_DB_PERSON_RECORDS, pid, &recs);
    for (size_t i = 0; i < recs.n && rc == CL_OK && !*own; i++) {
        if ((rc = cl_records_record_get(t, recs.v[i], &rec)) != CL_OK)
            break;
        if (strcmp(rec.agency, agency) == 0) {
            *out = rec.p;
            *own = true;
        } else if (i == 0) {
            *out = rec.p;
            out->local_id[0] = '\0'; /* another agency's own id */
        }
    }
    sodium_memzero(&rec, sizeof(rec));
    free(recs.v);
    return rc;
}

int cl_records_review_exists(cl_txn *t, const char *review_id,
                             char err[CL_ERROR_SZ])
{
    uint64_t id;
    return cl_records_mdt_id(t, review_id, &id, err);
}

void cl_records_date(int64_t now, char out[CL_DATE_SZ])
{
    time_t tt = (time_t)now;
    struct tm tm;
    strftime(out, CL_DATE_SZ, "%Y-%m-%d", gmtime_r(&tt, &tm));
}

void cl_records_person_fields_enc(cl_enc *e, const cl_person *p)
{
    s_enc_person(e, p);
}

void cl_records_person_fields_dec(cl_dec *d, cl_person *p)
{
    s_dec_person(d, p);
}

/* --- for the coordinator's workspace (intake.c, referral lists) ---------- */

int cl_records_record_read(cl_txn *t, uint64_t rid, cl_person *p, uint64_t *pid)
{
    cl_records_record rec;
    int rc = cl_records_record_get(t, rid, &rec);
    if (rc == CL_OK) {
        *p = rec.p;
        *pid = rec.person_id;
    }
    sodium_memzero(&rec, sizeof(rec));
    return rc;
}

int cl_records_agendas_of(cl_txn *t, uint64_t pid, char (*out)[CL_REF_SZ],
                          uint32_t max, uint32_t *n)
{
    cl_records_ids ids = {.max = max};
    int rc = cl_records_children(t, CL_DB_PERSON_AGENDA, pid, &ids);
    *n = 0;
    for (size_t i = 0; rc == CL_OK && i < ids.n && *n < max; i++)
        (void)cl_id_format(out[(*n)++], CL_REF_SZ, CL_ID_REVIEW, ids.v[i]);
    free(ids.v);
    return rc;
}

typedef struct s_active {
    int (*fn)(void *ctx, uint64_t pid);
    void *ctx;
} s_active;

static int s_active_one(void *ctx, const uint8_t *key, size_t len)
{
    s_active *a = ctx;
    if (len != 16)
        return CL_ERR_CORRUPT;
    return a->fn(a->ctx, cl_be64_get(key + 8));
}

int cl_records_active_since(cl_txn *t, int64_t since,
                            int (*fn)(void *ctx, uint64_t pid), void *ctx)
{
    uint8_t k[8];
    s_active a = {fn, ctx};
    cl_be64_put(k, (uint64_t)(since > 0 ? since : 0));
    return cl_store_scan_from(t, CL_DB_ACTIVITY, k, 8, s_active_one, &a);
}

/* A history value: the version's note and the referral as it was. */
typedef struct s_history {
    cl_referral_version v;
    cl_records_referral sr;
} s_history;

static void s_history_dec(cl_dec *d, void *out)
{
    s_history *h = out;
    cl_records_history_dec(d, &h->v, &h->sr);
}

int cl_records_decode_check(cl_db db, const uint8_t *buf, size_t len)
{
    static const struct {
        cl_db db;
        cl_records_dec_fn dec;
        size_t size;
    } rows[] = {
        {CL_DB_RECORD, cl_records_record_dec, sizeof(cl_records_record)},
        {CL_DB_REFERRAL, cl_records_referral_dec, sizeof(cl_records_referral)},
        {CL_DB_HISTORY, s_history_dec, sizeof(s_history)},
        {CL_DB_PERSON, cl_records_person_dec, sizeof(s_person)},
        {CL_DB_RELATION, cl_records_relation_dec, sizeof(cl_records_relation)},
        {CL_DB_PLAN, cl_records_plan_dec, sizeof(cl_records_plan)},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].db == db)
            return cl_records_check(buf, len, rows[i].dec, rows[i].size);
    return CL_ERR_INVALID;
}
