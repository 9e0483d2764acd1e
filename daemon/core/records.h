/*
 * records: the stored record formats of the domain library (records,
 * referrals, people and their last activity, relations), the blind
 * indexes over them, and small id sets. Lower than every other file of
 * daemon/core/: it calls only store/ and block.c, never upwards.
 */
#ifndef CL_RECORDS_H
#define CL_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "block.h"
#include "cl_model.h"
#include "codec.h"
#include "refs.h"
#include "store.h"

typedef struct cl_records_record {
    char agency[CL_AGENCY_SZ];
    char kind[CL_KIND_SZ];
    cl_person p;
    uint64_t person_id;
    uint8_t link_reason;
    double link_score;
    int64_t created;
    int64_t updated;
    /* S_SUBJECT: some record of this agency is about the person (a
     * referral's subject, a caseload record, a plan's child); S_MENTION:
     * the agency only named them in someone else's referral or plan. */
    uint8_t subject;
} cl_records_record;

typedef struct cl_records_referral {
    uint64_t record_id;
    char agency[CL_AGENCY_SZ];
    char kind[CL_KIND_SZ];
    char client[64];
    char reference[CL_REF_SZ];
    int64_t received;
    uint8_t withdrawn; /* 1 once withdrawn by its agency */
    uint32_t version;  /* 1, +1 per correction, withdrawal, status */
    uint8_t status;    /* CL_REFSTAT_* */
    uint8_t outcome;   /* caselink.Outcome, when closed */
    int64_t status_at;
    char status_by[CL_AGENCY_SZ];
    char status_reason[CL_NOTE_SZ];
    cl_referral r; /* subject and related are not stored here */
} cl_records_referral;

/* Activity is kept to the hour: retention counts days, and rewriting the
 * person and the index on every referral costs page writes. */
#define CL_RECORDS_ACTIVITY_GRAIN 3600

/* The blind index keys of one record: identifiers and blocking keys. */
typedef struct cl_records_blinds {
    size_t n;
    uint8_t k[CL_BLOCK_MAX + 8][CL_BLIND_LEN];
    bool block[CL_BLOCK_MAX + 8]; /* in CL_DB_BLOCK, else CL_DB_BLIND */
} cl_records_blinds;

/* Collects record ids under blind prefixes. */
typedef struct cl_records_ids {
    uint64_t *v;
    size_t n, cap, max;
} cl_records_ids;

void cl_records_key(uint8_t k[8], uint64_t id);

CL_NODISCARD int cl_records_record_put(cl_txn *t, uint64_t id,
                                       const cl_records_record *r);

/* Mark record rid as about its person (once; later reads are cheap). */
CL_NODISCARD int cl_records_record_subject(cl_txn *t, uint64_t rid);

CL_NODISCARD int cl_records_record_get(cl_txn *t, uint64_t id,
                                       cl_records_record *r);

CL_NODISCARD int cl_records_referral_put(cl_txn *t, uint64_t id,
                                         const cl_records_referral *s);
/* The same from s's fields but s->r, which is not read, and r's: a new
 * referral stored from the request as it came, not a copy of it. */
CL_NODISCARD int cl_records_referral_put_from(cl_txn *t, uint64_t id,
                                              const cl_records_referral *s,
                                              const cl_referral *r);

CL_NODISCARD int cl_records_person_put(cl_txn *t, uint64_t pid, int64_t created,
                                       int64_t last);

CL_NODISCARD int cl_records_activity(cl_txn *t, uint64_t pid, int64_t at,
                                     bool add);

/* Record activity on a person now. */
CL_NODISCARD int cl_records_touch(cl_txn *t, uint64_t pid, int64_t now);

/* A sealed stamp under a name in db: v1, then n numbers (at most
 * CL_RECORDS_STAMP_MAX), the marks of what a store has been through
 * (linkfind_cand.c "places.counted", link.c "places.rerun"). get:
 * CL_ERR_NOT_FOUND when there is none, CL_ERR_CORRUPT unless it holds
 * exactly n. */
#define CL_RECORDS_STAMP_MAX 4
CL_NODISCARD int cl_records_stamp_get(cl_txn *t, cl_db db, const char *name,
                                      int64_t *v, size_t n);
CL_NODISCARD int cl_records_stamp_put(cl_txn *t, cl_db db, const char *name,
                                      const int64_t *v, size_t n);

/* Add a person to an audit note (once). */
void cl_records_note_person(cl_audit_note *n, uint64_t pid);

void cl_records_blind_add(const cl_store *st, cl_records_blinds *b,
                          const char *domain, const char *v1, const char *v2);

/* Blocking keys (block.c): a record is compared only with records
 * sharing one. */
void cl_records_blocking(const cl_store *st, const cl_person *p,
                         cl_records_blinds *b);

void cl_records_ident_blinds(const cl_store *st, const char *agency,
                             const cl_person *p, cl_records_blinds *b);

/* Index key i of b (in its sub-database) for record_id, or remove it. */
CL_NODISCARD int cl_records_blinds_put(cl_txn *t, const cl_records_blinds *b,
                                       size_t i, uint64_t record_id);

CL_NODISCARD int cl_records_blinds_del(cl_txn *t, const cl_records_blinds *b,
                                       size_t i, uint64_t record_id);

bool cl_records_blinds_has(const cl_records_blinds *b,
                           const uint8_t k[CL_BLIND_LEN]);

/* Append an id (duplicates are removed by cl_records_ids_unique). A positive
 * return stops a scan early once max ids are held. */
CL_NODISCARD int cl_records_ids_push(cl_records_ids *ids, uint64_t id);

/* Sort and drop duplicates. */
void cl_records_ids_unique(cl_records_ids *ids);

/* Record ids under a blocking key. */
CL_NODISCARD int cl_records_lookup_block(cl_txn *t,
                                         const uint8_t key[CL_BLIND_LEN],
                                         cl_records_ids *ids);

CL_NODISCARD int cl_records_lookup(cl_txn *t, const uint8_t blind[CL_BLIND_LEN],
                                   cl_records_ids *ids);

/* Deterministic: the first record under an identifier's blind index. */
CL_NODISCARD int cl_records_link_ident(cl_txn *t, const cl_store *st,
                                       const char *domain, const char *v1,
                                       const char *v2, uint64_t *record_id);

CL_NODISCARD int cl_records_relation_put(cl_txn *t, uint64_t a, uint64_t b,
                                         uint8_t rel, const char *agency);

uint8_t cl_records_inverse(uint8_t rel);

/* Record that b is `rel` to a, asserted by agency (or inferred). */
CL_NODISCARD int cl_records_relation_put_as(cl_txn *t, uint64_t a, uint64_t b,
                                            uint8_t rel, const char *agency,
                                            uint8_t inferred);

/* Collect second half of 16-byte keys under an 8-byte prefix. */
CL_NODISCARD int cl_records_children(cl_txn *t, cl_db db, uint64_t id,
                                     cl_records_ids *ids);

#define CL_RECORDS_VERSION 1

#define CL_RECORDS_BUF (CL_CONCERN_SZ + 8192)

enum {
    CL_RECORDS_MENTION = 0,
    CL_RECORDS_SUBJECT = 1,
    CL_RECORDS_SUBJECT_UNKNOWN = 2
};

typedef struct cl_records_plan {
    uint64_t child;
    char agency[CL_AGENCY_SZ];
    cl_plan p;
    int64_t created, updated;
    bool withdrawn; /* recorded in error: shows only in subject access */
} cl_records_plan;

#define CL_RECORDS_HIST_BUF                                                    \
    (CL_RECORDS_BUF + CL_NOTE_SZ + CL_CHANGE_SZ + CL_BY_SZ + 64)

void cl_records_record_dec(cl_dec *d, void *out);

void cl_records_referral_dec(cl_dec *d, void *out);

CL_NODISCARD int cl_records_referral_get(cl_txn *t, uint64_t id,
                                         cl_records_referral *s);

CL_NODISCARD int cl_records_person_get(cl_txn *t, uint64_t pid,
                                       int64_t *created, int64_t *last);

CL_NODISCARD int cl_records_blind_index(cl_txn *t,
                                        const uint8_t blind[CL_BLIND_LEN],
                                        uint64_t record_id);

void cl_records_record_view(cl_agency_record *a, uint64_t rid,
                            const cl_records_record *rec);

CL_NODISCARD int cl_records_plan_put(cl_txn *t, uint64_t id,
                                     const cl_records_plan *r);

void cl_records_plan_dec(cl_dec *d, void *out);

CL_NODISCARD int cl_records_plan_get(cl_txn *t, uint64_t id,
                                     cl_records_plan *r);

bool cl_records_parse_ref(const char *s, uint64_t *out);

CL_NODISCARD int cl_records_history_put(cl_txn *t, uint64_t ref_id,
                                        const cl_records_referral *old,
                                        const char *change, const char *reason,
                                        const cl_caller *by, int64_t now);

/* The one reader of a history value (subject access and fuzzing). */
void cl_records_history_dec(cl_dec *d, cl_referral_version *v,
                            cl_records_referral *sr);

/* "P00000042" -> 42; false if malformed. */
bool cl_records_parse_pid(const char *s, uint64_t *out);

/* Find the person named by id or by NHS/CHI number. */
CL_NODISCARD int cl_records_resolve(cl_txn *t, const char *pid_str,
                                    const cl_person *match, uint64_t *pid,
                                    char err[CL_ERROR_SZ]);

CL_NODISCARD int cl_records_del(cl_txn *t, cl_db db, const uint8_t *k,
                                size_t len);

bool cl_records_parse_prefixed(const char *s, char prefix, uint64_t *out);

CL_NODISCARD int cl_records_mdt_id(cl_txn *t, const char *s, uint64_t *id,
                                   char err[CL_ERROR_SZ]);

/* A stored value's format: dec fills out from d (marking d bad on
 * anything out of place), enc writes in to e. */
typedef void (*cl_records_dec_fn)(cl_dec *d, void *out);
typedef void (*cl_records_enc_fn)(cl_enc *e, const void *in);

/* The one sealed get: open the value under key in db (at most cap bytes of
 * plaintext) and decode it with dec into out. The plaintext is wiped on
 * every path, and out (out_sz bytes) too if dec refused it
 * (CL_ERR_CORRUPT); otherwise out is written only on success.
 * CL_ERR_NOT_FOUND if there is no such value. */
CL_NODISCARD int cl_records_get(cl_txn *t, cl_db db, const uint8_t *key,
                                size_t klen, size_t cap, cl_records_dec_fn dec,
                                void *out, size_t out_sz);

/* The one sealed put: encode in with enc (at most cap bytes; more is
 * CL_ERR_INTERNAL) and seal it under key in db; the plaintext is wiped. */
CL_NODISCARD int cl_records_put(cl_txn *t, cl_db db, const uint8_t *key,
                                size_t klen, size_t cap, cl_records_enc_fn enc,
                                const void *in);

/* Decode buf with dec into a scratch value of out_sz bytes, wiped after:
 * CL_OK or CL_ERR_CORRUPT (the decode check fuzz_stored drives). */
CL_NODISCARD int cl_records_check(const uint8_t *buf, size_t len,
                                  cl_records_dec_fn dec, size_t out_sz);

/* A person's stored record (when first and last seen), for checks. */
void cl_records_person_dec(cl_dec *d, void *out);

/* A stored relation, pid_a||pid_b -> v1, what b is to a, asserting
 * agency (or why it was inferred), inferred. */
typedef struct cl_records_relation {
    uint8_t rel;               /* CL_REL_* */
    char agency[CL_AGENCY_SZ]; /* asserting agency, or why inferred */
    bool inferred;             /* from a shared UPRN, not stated */
} cl_records_relation;

/* The stored relation's format (cl_records_dec_fn). */
void cl_records_relation_dec(cl_dec *d, void *out);

/* What b is to a; CL_ERR_NOT_FOUND if nothing is recorded. */
CL_NODISCARD int cl_records_relation_get(cl_txn *t, uint64_t a, uint64_t b,
                                         cl_records_relation *out);

/* Decode-check one stored value of records' own sub-databases (record,
 * referral, history, person, relation, plan) with the decoder every read
 * uses; CL_ERR_INVALID for another sub-database. */
CL_NODISCARD int cl_records_decode_check(cl_db db, const uint8_t *buf,
                                         size_t len);

/* How agency describes person pid: its own record if it has one (*own
 * set), else the first record another agency holds (local id cleared). */
CL_NODISCARD int cl_records_person_as(cl_txn *t, uint64_t pid,
                                      const char *agency, cl_person *out,
                                      bool *own);

/* CL_OK if the MDT review exists; CL_ERR_INVALID / NOT_FOUND with err. */
CL_NODISCARD int cl_records_review_exists(cl_txn *t, const char *review_id,
                                          char err[CL_ERROR_SZ]);

/* Today's date (UTC) as YYYY-MM-DD for unix time now. */
void cl_records_date(int64_t now, char out[CL_DATE_SZ]);

/* Each relationship of person pid: other is `rel` to pid, asserted by
 * agency (or inferred from a shared UPRN). */
CL_NODISCARD int
cl_records_relations_of(cl_txn *t, uint64_t pid,
                        int (*fn)(void *ctx, uint64_t other, uint8_t rel,
                                  const char *agency, bool inferred),
                        void *ctx);

/* The person whose record holds identifier blind(domain, v1, v2) ("nhs",
 * "chi", or "local" with the agency); CL_ERR_NOT_FOUND if none. */
CL_NODISCARD int cl_records_person_by_ident(cl_txn *t, const char *domain,
                                            const char *v1, const char *v2,
                                            uint64_t *pid);

/* True in *yes if person pid is identified for agency by something that
 * another agency's record of pid carries too: an NHS or CHI number, a
 * postcode or a UPRN, taken from the number given (nhs, chi: either may
 * be NULL) or, with neither given, from the agency's own records of pid.
 * A name and a date of birth alone, or a number only the agency itself
 * recorded, prove nothing: a bait record would otherwise be linked to the
 * real person by matching and learn what is said of them. */
CL_NODISCARD int cl_records_identity_corroborated(cl_txn *t, uint64_t pid,
                                                  const char *agency,
                                                  const char *nhs,
                                                  const char *chi, bool *yes);

/* A person's fields in the stored record format. */
void cl_records_person_fields_enc(cl_enc *e, const cl_person *p);
void cl_records_person_fields_dec(cl_dec *d, cl_person *p);

/* The reviews pid is on the agenda of ("MDT-..."), at most max. */
CL_NODISCARD int cl_records_agendas_of(cl_txn *t, uint64_t pid,
                                       char (*out)[CL_REF_SZ], uint32_t max,
                                       uint32_t *n);

/* Each person with activity since `since` (unix seconds), oldest first. */
CL_NODISCARD int cl_records_active_since(cl_txn *t, int64_t since,
                                         int (*fn)(void *ctx, uint64_t pid),
                                         void *ctx);
/* A stored record's description and person (link.c: training). */
CL_NODISCARD int cl_records_record_read(cl_txn *t, uint64_t rid, cl_person *p,
                                        uint64_t *pid);

#endif
