/*
 * audit: the tamper-evident audit log.
 *
 * Entries are numbered 1, 2, 3... Each stored entry (sealed, like every
 * value) holds its sequence number and the hash of the entry before it;
 * its own hash is BLAKE2b-256 over its plaintext. The head (last sequence
 * number and hash) is kept sealed too. An entry is always appended in the
 * same transaction as the data it describes, so either both are committed
 * or neither is; if the entry cannot be written the request fails.
 *
 * A hash chain on the same host can be rewritten together with the data by
 * someone holding the master key, so checkpoints (sequence number and
 * head hash, signed with an Ed25519 key derived from the master key) are
 * handed to information governance to keep elsewhere. Verifying against a
 * kept checkpoint shows whether the log up to it is still the same.
 *
 * Never logs; holds opaque person ids only.
 */
#include "access.h"
#include "audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl_vec.h"
#include "codec.h"
#include "ids.h"
#include "records.h"

/* Version 2 added the named user at the end; version 1 entries (before
 * named users) still decode, with no user. */
#define S_AUDIT_VERSION 2
#define S_AUDIT_V1      1
#define S_HASH          32
#define S_HEAD_KEY      ((const uint8_t *)"audit-head")
#define S_HEAD_KEY_LEN  10
#define S_CP_MAGIC      "caselink-audit-checkpoint v1"

typedef struct s_head {
    uint64_t seq;
    uint8_t hash[S_HASH];
} s_head;

static int s_head_get(cl_txn *t, s_head *h)
{
    uint8_t buf[64];
    size_t len = 0;
    int rc = cl_store_get(t, CL_DB_IDEMPOTENCY, S_HEAD_KEY, S_HEAD_KEY_LEN, buf,
                          sizeof(buf), &len);
    if (rc == CL_ERR_NOT_FOUND) {
        memset(h, 0, sizeof(*h));
        return CL_OK;
    }
    if (rc != CL_OK)
        return rc;
    if (len != 8 + S_HASH)
        return CL_ERR_CORRUPT;
    h->seq = cl_be64_get(buf);
    memcpy(h->hash, buf + 8, S_HASH);
    return CL_OK;
}

static int s_head_put(cl_txn *t, const s_head *h)
{
    uint8_t buf[8 + S_HASH];
    cl_be64_put(buf, h->seq);
    memcpy(buf + 8, h->hash, S_HASH);
    return cl_store_put(t, CL_DB_IDEMPOTENCY, S_HEAD_KEY, S_HEAD_KEY_LEN, buf,
                        sizeof(buf));
}

void cl_audit_pid_str(char out[CL_PID_SZ], uint64_t id)
{
    _Static_assert(CL_PID_SZ >= 22, "P and 20 digits always fit");
    (void)cl_id_format(out, CL_PID_SZ, CL_ID_PERSON, id);
}

/* The index key of a named user's entries: a blind index, since a user
 * id is personal data of the member of staff. */
static void s_user_blind(cl_txn *t, uint8_t out[CL_BLIND_LEN],
                         const char *user_id)
{
    cl_store_blind(cl_store_of(t), out, "audit-user", (const uint8_t *)user_id,
                   strlen(user_id));
}

/* Append one entry naming pids[0..np) (np at most CL_AUDIT_PERSONS) with
 * purpose; the rest from n (may be NULL). */
static int s_append(cl_txn *t, const cl_caller *c, const char *kind,
                    const cl_audit_note *n, const uint64_t *pids, uint32_t np,
                    const char *purpose, uint8_t outcome, int64_t now)
{
    uint8_t buf[4096], key[16];
    s_head h;
    int rc = s_head_get(t, &h);
    if (rc != CL_OK)
        return rc;
    uint64_t seq = h.seq + 1;
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, S_AUDIT_VERSION);
    cl_enc_u64(&e, seq);
    cl_enc_u8(&e, S_HASH);
    for (int i = 0; i < S_HASH; i++)
        cl_enc_u8(&e, h.hash[i]);
    cl_enc_i64(&e, now);
    cl_enc_str(&e, c ? c->name : "caselinkd");
    cl_enc_str(&e, c ? c->agency : "");
    cl_enc_str(&e, kind);
    cl_enc_u8(&e, (uint8_t)np);
    for (uint32_t i = 0; i < np; i++)
        cl_enc_u64(&e, pids[i]);
    cl_enc_str(&e, purpose);
    cl_enc_u8(&e, n && n->break_glass);
    cl_enc_u8(&e, outcome);
    cl_enc_str(&e, n ? n->detail : "");
    const cl_user *u = c ? &c->user : NULL;
    cl_enc_str(&e, u ? u->id : "");
    cl_enc_str(&e, u ? u->name : "");
    cl_enc_str(&e, u ? u->role : "");
    if (!cl_enc_ok(&e))
        return CL_ERR_INTERNAL;
    cl_be64_put(key, seq);
    rc = cl_store_put(t, CL_DB_AUDIT, key, 8, buf, e.len);
    for (uint32_t i = 0; i < np && rc == CL_OK; i++) {
        uint8_t ik[16];
        cl_be64_put(ik, pids[i]);
        cl_be64_put(ik + 8, seq);
        rc = cl_store_put_raw(t, CL_DB_AUDIT_PERSON, ik, 16, NULL, 0);
    }
    if (rc == CL_OK && u && u->id[0]) {
        uint8_t uk[CL_BLIND_LEN + 8];
        s_user_blind(t, uk, u->id);
        cl_be64_put(uk + CL_BLIND_LEN, seq);
        rc = cl_store_put_raw(t, CL_DB_AUDIT_USER, uk, sizeof(uk), NULL, 0);
    }
    if (rc != CL_OK)
        return rc;
    h.seq = seq;
    crypto_generichash(h.hash, S_HASH, buf, e.len, NULL, 0);
    return s_head_put(t, &h);
}

static int s_u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* n's people past persons[]: sorted, each once, none named there.
 * *out is the caller's to free. */
static int s_more(const cl_audit_note *n, uint64_t **out, size_t *len)
{
    uint64_t *v = malloc(n->n_more * sizeof(*v));
    size_t m = 0;
    if (!v)
        return CL_ERR_NOMEM;
    memcpy(v, n->more, n->n_more * sizeof(*v));
    qsort(v, n->n_more, sizeof(*v), s_u64cmp);
    for (size_t i = 0; i < n->n_more; i++) {
        bool named = m && v[m - 1] == v[i];
        for (uint32_t j = 0; j < n->n_persons && !named; j++)
            named = n->persons[j] == v[i];
        if (!named)
            v[m++] = v[i];
    }
    *out = v;
    *len = m;
    return CL_OK;
}

int cl_audit_append(cl_txn *t, const cl_caller *c, const char *kind,
                    const cl_audit_note *n, uint8_t outcome, int64_t now)
{
    if (n && n->lost)
        return CL_ERR_NOMEM;
    uint32_t np = n ? n->n_persons : 0;
    if (np > CL_AUDIT_PERSONS)
        np = CL_AUDIT_PERSONS;
    int rc = s_append(t, c, kind, n, n ? n->persons : NULL, np,
                      n ? n->purpose : "", outcome, now);
    if (rc != CL_OK || !n || !n->n_more)
        return rc;
    /* one entry cannot name them all: the rest get entries of their own */
    uint64_t *more = NULL;
    size_t m = 0;
    char purpose[CL_NOTE_SZ];
    snprintf(purpose, sizeof(purpose), "continued: %.*s",
             (int)sizeof(purpose) - 12, n->purpose);
    rc = s_more(n, &more, &m);
    for (size_t i = 0; i < m && rc == CL_OK; i += CL_AUDIT_PERSONS)
        rc = s_append(
            t, c, kind, n, more + i,
            (uint32_t)(m - i < CL_AUDIT_PERSONS ? m - i : CL_AUDIT_PERSONS),
            purpose, outcome, now);
    free(more);
    return rc;
}

void cl_audit_note_free(cl_audit_note *n)
{
    if (!n)
        return;
    free(n->more);
    n->more = NULL;
    n->n_more = n->cap_more = 0;
}

void cl_audit_note_view(cl_audit_note *n, const cl_person_view *v)
{
    uint64_t pid;
    if (cl_records_parse_pid(v->person_id, &pid))
        cl_records_note_person(n, pid);
    for (size_t i = 0; i < v->n_related; i++)
        if (cl_records_parse_pid(v->related[i].person_id, &pid))
            cl_records_note_person(n, pid);
    for (size_t i = 0; i < v->n_plans; i++)
        if (cl_records_parse_pid(v->plans[i].child_pid, &pid))
            cl_records_note_person(n, pid);
}

/* Decode one stored entry; fills out (may be NULL), prev/seq and, if
 * pids is not NULL, the people it names as ids. */
static int s_entry_decode(const uint8_t *buf, size_t len, uint64_t *seq,
                          uint8_t prev[S_HASH], cl_audit_entry *out,
                          uint64_t pids[CL_AUDIT_PERSONS])
{
    cl_audit_entry tmp;
    cl_audit_entry *a = out ? out : &tmp;
    memset(a, 0, sizeof(*a));
    cl_dec d = cl_dec_init(buf, len);
    uint8_t version = cl_dec_u8(&d);
    if (version != S_AUDIT_VERSION && version != S_AUDIT_V1)
        return CL_ERR_CORRUPT;
    *seq = cl_dec_u64(&d);
    if (cl_dec_u8(&d) != S_HASH)
        return CL_ERR_CORRUPT;
    for (int i = 0; i < S_HASH; i++)
        prev[i] = cl_dec_u8(&d);
    a->seq = *seq;
    a->at = cl_dec_i64(&d);
    CL_DEC_STR(&d, a->client);
    CL_DEC_STR(&d, a->agency);
    CL_DEC_STR(&d, a->kind);
    uint8_t np = cl_dec_u8(&d);
    if (np > CL_AUDIT_PERSONS)
        return CL_ERR_CORRUPT;
    for (uint8_t i = 0; i < np; i++) {
        uint64_t pid = cl_dec_u64(&d);
        cl_audit_pid_str(a->person_ids[i], pid);
        if (pids)
            pids[i] = pid;
    }
    a->n_persons = np;
    CL_DEC_STR(&d, a->purpose);
    a->break_glass = cl_dec_u8(&d) != 0;
    a->outcome = cl_dec_u8(&d);
    CL_DEC_STR(&d, a->detail);
    if (version >= 2) {
        CL_DEC_STR(&d, a->user.id);
        CL_DEC_STR(&d, a->user.name);
        CL_DEC_STR(&d, a->user.role);
    }
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

static int s_entry_get(cl_txn *t, uint64_t seq, uint8_t *buf, size_t cap,
                       size_t *len)
{
    uint8_t key[8];
    cl_be64_put(key, seq);
    return cl_store_get(t, CL_DB_AUDIT, key, 8, buf, cap, len);
}

/* The signed part of a checkpoint. */
static int s_cp_body(char *out, size_t cap, uint64_t seq,
                     const uint8_t hash[S_HASH], int64_t at,
                     const uint8_t pk[CL_SIGN_PK_LEN])
{
    char hh[S_HASH * 2 + 1], ph[CL_SIGN_PK_LEN * 2 + 1], when[32];
    time_t tt = (time_t)at;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sodium_bin2hex(hh, sizeof(hh), hash, S_HASH);
    sodium_bin2hex(ph, sizeof(ph), pk, CL_SIGN_PK_LEN);
    int n = snprintf(out, cap,
                     S_CP_MAGIC "\nseq: %" PRIu64 "\nhead: %s\ntime: %s\n"
                                "key: %s\n",
                     seq, hh, when, ph);
    return n > 0 && (size_t)n < cap ? n : -1;
}

int cl_audit_checkpoint(cl_txn *t, int64_t now, char out[CL_CHECKPOINT_SZ])
{
    const cl_store *st = cl_store_of(t);
    s_head h;
    uint8_t pk[CL_SIGN_PK_LEN], sig[CL_SIGN_LEN];
    char sh[CL_SIGN_LEN * 2 + 1];
    int rc = s_head_get(t, &h);
    if (rc != CL_OK)
        return rc;
    cl_store_audit_pk(st, pk);
    int n = s_cp_body(out, CL_CHECKPOINT_SZ, h.seq, h.hash, now, pk);
    if (n < 0)
        return CL_ERR_INTERNAL;
    cl_store_audit_sign(st, sig, (const uint8_t *)out, (size_t)n);
    sodium_bin2hex(sh, sizeof(sh), sig, sizeof(sig));
    snprintf(out + n, CL_CHECKPOINT_SZ - (size_t)n, "signature: %s\n", sh);
    return CL_OK;
}

/* Parse and check a checkpoint's signature against this store's key. */
static int s_cp_parse(cl_txn *t, const char *text, uint64_t *seq,
                      uint8_t hash[S_HASH], char *why, size_t why_len)
{
    uint8_t pk[CL_SIGN_PK_LEN], mine[CL_SIGN_PK_LEN], sig[CL_SIGN_LEN];
    char hh[S_HASH * 2 + 1], ph[CL_SIGN_PK_LEN * 2 + 1],
        sh[CL_SIGN_LEN * 2 + 1], when[32];
    unsigned long long s;
    const char *sigline = strstr(text, "signature: ");
    if (strncmp(text, S_CP_MAGIC "\n", sizeof(S_CP_MAGIC)) != 0 || !sigline ||
        sscanf(text,
               S_CP_MAGIC "\nseq: %llu\nhead: %64s\ntime: %31s\nkey: %64s\n",
               &s, hh, when, ph) != 4 ||
        sscanf(sigline, "signature: %128s", sh) != 1) {
        snprintf(why, why_len, "not a caselink audit checkpoint");
        return CL_ERR_INVALID;
    }
    if (sodium_hex2bin(hash, S_HASH, hh, strlen(hh), NULL, NULL, NULL) ||
        sodium_hex2bin(pk, sizeof(pk), ph, strlen(ph), NULL, NULL, NULL) ||
        sodium_hex2bin(sig, sizeof(sig), sh, strlen(sh), NULL, NULL, NULL)) {
        snprintf(why, why_len, "checkpoint has malformed hex");
        return CL_ERR_INVALID;
    }
    cl_store_audit_pk(cl_store_of(t), mine);
    /* or a key this store signed with before a master key replacement */
    if (sodium_memcmp(pk, mine, sizeof(pk)) != 0 &&
        !cl_store_audit_pk_former(cl_store_of(t), pk)) {
        snprintf(why, why_len,
                 "checkpoint was signed by another key, not this store's");
        return CL_ERR_INVALID;
    }
    if (crypto_sign_verify_detached(sig, (const uint8_t *)text,
                                    (size_t)(sigline - text), pk) != 0) {
        snprintf(why, why_len, "checkpoint signature does not verify");
        return CL_ERR_INVALID;
    }
    *seq = s;
    return CL_OK;
}

/* Count the rows of one of the audit's indexes. */
static int s_row_count(void *ctx, const uint8_t *key, size_t len)
{
    (void)key;
    (void)len;
    (*(uint64_t *)ctx)++;
    return CL_OK;
}

/* One walk of the chain by cl_audit_verify. */
typedef struct s_verify {
    cl_txn *t;
    cl_audit_verify_result *out;
    uint8_t running[S_HASH]; /* hash of the last entry checked */
    uint64_t cp_seq;         /* a kept checkpoint's entry, 0 if none */
    uint8_t cp_hash[S_HASH]; /* ... and its hash */
    uint64_t person_rows;    /* person index rows the entries account for */
    uint64_t user_rows;      /* user index rows the entries account for */
} s_verify;

/* Stop the walk at entry seq with a problem: returns 1. */
static int s_broken(s_verify *v, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_broken(s_verify *v, uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->out->problem, sizeof(v->out->problem), fmt, ap);
    va_end(ap);
    v->out->first_bad_seq = seq;
    return 1;
}

/*
 * The index rows of entry seq: every person it names must have its row in
 * the person index, and its named user (if any) its row in the user index
 * (a deleted row hides the entry from that search). Adds the distinct rows
 * the entry accounts for; 1 (problem set) when one is missing.
 */
static int s_entry_rows(s_verify *v, uint64_t seq, const uint64_t *pids,
                        const cl_audit_entry *e)
{
    uint8_t b[1];
    size_t bl;
    for (uint32_t i = 0; i < e->n_persons; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < i && !dup; j++)
            dup = pids[j] == pids[i];
        if (dup)
            continue;
        uint8_t ik[16];
        cl_be64_put(ik, pids[i]);
        cl_be64_put(ik + 8, seq);
        int rc = cl_store_get_raw(v->t, CL_DB_AUDIT_PERSON, ik, 16, b,
                                  sizeof(b), &bl);
        /* CORRUPT: the person's group of rows no longer adds up */
        if (rc == CL_ERR_NOT_FOUND || rc == CL_ERR_CORRUPT) {
            char pid[CL_PID_SZ];
            cl_audit_pid_str(pid, pids[i]);
            return s_broken(v, seq,
                            "entry %" PRIu64 " names %s but the audit's "
                            "person index has no row for it (removed: a "
                            "search for that person would not show it)",
                            seq, pid);
        }
        if (rc != CL_OK)
            return rc;
        v->person_rows++;
    }
    if (!e->user.id[0])
        return CL_OK;
    uint8_t uk[CL_BLIND_LEN + 8];
    s_user_blind(v->t, uk, e->user.id);
    cl_be64_put(uk + CL_BLIND_LEN, seq);
    int rc = cl_store_get_raw(v->t, CL_DB_AUDIT_USER, uk, sizeof(uk), b,
                              sizeof(b), &bl);
    if (rc == CL_ERR_NOT_FOUND || rc == CL_ERR_CORRUPT)
        return s_broken(v, seq,
                        "entry %" PRIu64 " names a user but the audit's user "
                        "index has no row for it (removed: a search by that "
                        "user would not show it)",
                        seq);
    if (rc != CL_OK)
        return rc;
    v->user_rows++;
    return CL_OK;
}

/* Entry i: present, authentic, in its place, following entry i - 1, its
 * index rows there. CL_OK to go on, 1 (problem set) or an error. */
static int s_verify_entry(s_verify *v, uint64_t i)
{
    uint64_t pids[CL_AUDIT_PERSONS], seq;
    uint8_t buf[4096], prev[S_HASH];
    cl_audit_entry e;
    size_t len = 0;
    int rc = s_entry_get(v->t, i, buf, sizeof(buf), &len);
    if (rc == CL_ERR_NOT_FOUND)
        return s_broken(v, i, "entry %" PRIu64 " is missing (removed)", i);
    if (rc == CL_ERR_CORRUPT ||
        (rc == CL_OK && s_entry_decode(buf, len, &seq, prev, &e, pids)))
        rc = s_broken(
            v, i, "entry %" PRIu64 " was altered (does not authenticate)", i);
    else if (rc == CL_OK && seq != i)
        rc = s_broken(v, i,
                      "entry %" PRIu64 " holds entry %" PRIu64
                      " (reordered or replaced)",
                      i, seq);
    else if (rc == CL_OK && sodium_memcmp(prev, v->running, S_HASH) != 0)
        rc = s_broken(v, i,
                      "entry %" PRIu64 " does not follow entry %" PRIu64
                      " (altered, removed or reordered)",
                      i, i - 1);
    else if (rc == CL_OK)
        rc = s_entry_rows(v, i, pids, &e);
    if (rc == CL_OK) {
        crypto_generichash(v->running, S_HASH, buf, len, NULL, 0);
        v->out->entries = i;
        if (i == v->cp_seq)
            v->out->checkpoint_ok =
                sodium_memcmp(v->running, v->cp_hash, S_HASH) == 0;
    }
    sodium_memzero(buf, sizeof(buf));
    sodium_memzero(&e, sizeof(e));
    return rc;
}

/* Each audit index holds exactly the rows the entries account for: more
 * would be rows added (a search showing entries that do not name the
 * person, or the user). */
static int s_verify_index_totals(s_verify *v, uint64_t head)
{
    const struct {
        cl_db db;
        const char *what;
        uint64_t want;
    } ix[] = {{CL_DB_AUDIT_PERSON, "person", v->person_rows},
              {CL_DB_AUDIT_USER, "user", v->user_rows}};
    for (size_t i = 0; i < sizeof(ix) / sizeof(ix[0]); i++) {
        uint64_t stored = 0;
        int rc = cl_store_scan(v->t, ix[i].db, NULL, 0, s_row_count, &stored);
        if (rc != CL_OK)
            return rc;
        if (stored != ix[i].want)
            return s_broken(v, head,
                            "the audit's %s index holds %" PRIu64
                            " rows where the entries name %" PRIu64
                            " (rows were added: a search would show entries "
                            "that do not name the %s)",
                            ix[i].what, stored, ix[i].want, ix[i].what);
    }
    return CL_OK;
}

/* The kept checkpoint against the walk: 1 (problem set) if it differs. */
static int s_verify_checkpoint(s_verify *v, uint64_t head)
{
    cl_audit_verify_result *out = v->out;
    if (!out->checkpoint_checked)
        return CL_OK;
    if (v->cp_seq == 0)
        out->checkpoint_ok =
            sodium_memcmp(v->cp_hash, (uint8_t[S_HASH]){0}, S_HASH) == 0;
    if (v->cp_seq > head)
        return s_broken(v, head + 1,
                        "the log is shorter than the checkpoint (%" PRIu64
                        " < %" PRIu64 "): entries were removed",
                        head, v->cp_seq);
    if (!out->checkpoint_ok)
        return s_broken(v, v->cp_seq,
                        "entry %" PRIu64 " differs from the kept checkpoint: "
                        "the log up to it was rewritten",
                        v->cp_seq);
    return CL_OK;
}

int cl_audit_verify(cl_txn *t, const char *checkpoint,
                    cl_audit_verify_result *out)
{
    s_verify v = {.t = t, .out = out};
    s_head h;
    int rc;
    memset(out, 0, sizeof(*out));
    if (checkpoint && checkpoint[0]) {
        out->checkpoint_checked = true;
        rc = s_cp_parse(t, checkpoint, &v.cp_seq, v.cp_hash, out->problem,
                        sizeof(out->problem));
        if (rc != CL_OK)
            return rc;
    }
    if ((rc = s_head_get(t, &h)) != CL_OK) {
        snprintf(out->problem, sizeof(out->problem),
                 "the chain head cannot be read (%s)", cl_strerror(rc));
        return CL_OK;
    }
    for (uint64_t i = 1; i <= h.seq && rc == CL_OK; i++)
        rc = s_verify_entry(&v, i);
    if (rc == CL_OK && sodium_memcmp(v.running, h.hash, S_HASH) != 0)
        rc = s_broken(&v, h.seq, "the chain head does not match entry %" PRIu64,
                      h.seq);
    /* Every index that decides what a user sees: rows authenticate and
     * add up (store/), so a removed plan or agenda row is reported here. */
    if (rc == CL_OK) {
        rc = cl_store_verify(t, out->problem, sizeof(out->problem));
        if (rc == CL_ERR_CORRUPT) {
            out->first_bad_seq = h.seq;
            return CL_OK;
        }
    }
    if (rc == CL_OK)
        rc = s_verify_index_totals(&v, h.seq);
    if (rc == CL_OK)
        rc = s_verify_checkpoint(&v, h.seq);
    if (rc == 1)
        return CL_OK; /* not intact: out says why */
    if (rc != CL_OK)
        return rc;
    out->intact = true;
    return CL_OK;
}

typedef struct s_seqs {
    uint64_t *v;
    size_t n, cap;
    size_t key_len; /* index key length: prefix, then the 8-byte seq */
} s_seqs;

static int s_seq_collect(void *ctx, const uint8_t *key, size_t len)
{
    s_seqs *s = ctx;
    if (len != s->key_len)
        return CL_ERR_CORRUPT;
    return CL_VEC_PUSH(s->v, s->n, s->cap, cl_be64_get(key + len - 8));
}

/* The last `limit` entries whose index rows in db start with prefix (the
 * sequence number is the key's last 8 bytes), keeping only those of user
 * user_id when it is not empty. */
static int s_entries_by(cl_txn *t, cl_db db, const uint8_t *prefix,
                        size_t prefix_len, const char *user_id, uint32_t limit,
                        cl_audit_entries *out)
{
    uint8_t buf[4096], prev[S_HASH];
    s_seqs seqs = {.key_len = prefix_len + 8};
    uint64_t seq;
    size_t len;
    memset(out, 0, sizeof(*out));
    if (limit == 0 || limit > CL_AUDIT_LIMIT)
        limit = limit ? CL_AUDIT_LIMIT : 100;
    int rc = cl_store_scan(t, db, prefix, prefix_len, s_seq_collect, &seqs);
    if (rc == CL_OK) {
        out->v = calloc((seqs.n < limit ? seqs.n : limit) + 1, sizeof(*out->v));
        if (!out->v)
            rc = CL_ERR_NOMEM;
    }
    /* Newest first until the limit, then put back in time order. */
    for (size_t i = seqs.n; i-- > 0 && out->n < limit && rc == CL_OK;) {
        cl_audit_entry *a = &out->v[out->n];
        rc = s_entry_get(t, seqs.v[i], buf, sizeof(buf), &len);
        if (rc == CL_OK)
            rc = s_entry_decode(buf, len, &seq, prev, a, NULL);
        sodium_memzero(buf, sizeof(buf));
        if (rc == CL_OK && (!user_id[0] || strcmp(a->user.id, user_id) == 0))
            out->n++;
    }
    for (size_t i = 0; i < out->n / 2; i++) {
        cl_audit_entry tmp = out->v[i];
        out->v[i] = out->v[out->n - 1 - i];
        out->v[out->n - 1 - i] = tmp;
    }
    free(seqs.v);
    if (rc != CL_OK)
        cl_audit_entries_clear(out);
    return rc;
}

int cl_audit_entries_for(cl_txn *t, uint64_t pid, const char *user_id,
                         uint32_t limit, cl_audit_entries *out)
{
    uint8_t k[8];
    cl_be64_put(k, pid);
    return s_entries_by(t, CL_DB_AUDIT_PERSON, k, 8, user_id ? user_id : "",
                        limit, out);
}

int cl_audit_entries_of_user(cl_txn *t, const char *user_id, uint32_t limit,
                             cl_audit_entries *out)
{
    uint8_t k[CL_BLIND_LEN];
    s_user_blind(t, k, user_id);
    /* The blind index can collide: the entry's own user id decides. */
    return s_entries_by(t, CL_DB_AUDIT_USER, k, sizeof(k), user_id, limit, out);
}

bool cl_audit_filter_any(const cl_audit_filter *f)
{
    return f->break_glass_only || f->flagged_only || f->from || f->to ||
           f->client[0];
}

static bool s_filter_keep(const cl_audit_filter *f, const char *user_id,
                          const cl_audit_entry *a)
{
    return (!f->break_glass_only || a->break_glass) &&
           (!f->flagged_only || a->break_glass ||
            a->outcome == CL_STATUS_DENIED) &&
           (!f->from || a->at >= f->from) && (!f->to || a->at < f->to) &&
           (!f->client[0] || strcmp(f->client, a->client) == 0) &&
           (!user_id || !user_id[0] || strcmp(user_id, a->user.id) == 0);
}

/* Entries are appended in time order; a clock stepped back can reorder a
 * little, so a backwards walk stops this far before `from`. */
#define S_CLOCK_SLACK (24 * 3600)

int cl_audit_search(cl_txn *t, uint64_t pid, const cl_audit_filter *f,
                    const char *user_id, uint32_t limit, cl_audit_entries *out,
                    char err[CL_ERROR_SZ])
{
    uint8_t buf[4096], prev[S_HASH];
    cl_audit_entry *e = NULL;
    uint64_t seq;
    size_t len;
    int rc = CL_OK;
    memset(out, 0, sizeof(*out));
    if (limit == 0 || limit > CL_AUDIT_LIMIT)
        limit = limit ? CL_AUDIT_LIMIT : 100;
    if (f->from && f->to && f->to <= f->from) {
        snprintf(err, CL_ERROR_SZ, "to: must be after from");
        return CL_ERR_INVALID;
    }
    if (pid) {
        /* One person's entries, then the filters. */
        cl_audit_entries all;
        if ((rc = cl_audit_entries_for(t, pid, user_id, CL_AUDIT_LIMIT,
                                       &all)) != CL_OK)
            return rc;
        out->v = calloc(all.n + 1, sizeof(*out->v));
        if (!out->v) {
            cl_audit_entries_clear(&all);
            return CL_ERR_NOMEM;
        }
        for (size_t i = 0; i < all.n; i++)
            if (s_filter_keep(f, NULL, &all.v[i]))
                out->v[out->n++] = all.v[i];
        if (out->n > limit) {
            memmove(out->v, out->v + (out->n - limit), limit * sizeof(*out->v));
            out->n = limit;
        }
        cl_audit_entries_clear(&all);
        return CL_OK;
    }
    s_head h;
    if ((rc = s_head_get(t, &h)) != CL_OK)
        return rc;
    out->v = calloc(limit + 1, sizeof(*out->v));
    e = malloc(sizeof(*e));
    if (!out->v || !e) {
        rc = CL_ERR_NOMEM;
        goto out;
    }
    /* Newest first into the tail of out->v, then moved to the front. */
    size_t n = 0;
    for (uint64_t i = h.seq; i >= 1 && n < limit; i--) {
        rc = s_entry_get(t, i, buf, sizeof(buf), &len);
        if (rc == CL_OK)
            rc = s_entry_decode(buf, len, &seq, prev, e, NULL);
        sodium_memzero(buf, sizeof(buf));
        if (rc != CL_OK)
            goto out;
        if (f->from && e->at < f->from - S_CLOCK_SLACK)
            break;
        if (s_filter_keep(f, user_id, e))
            out->v[limit - 1 - n++] = *e;
    }
    memmove(out->v, out->v + (limit - n), n * sizeof(*out->v));
    out->n = n;
out:
    free(e);
    if (rc != CL_OK)
        cl_audit_entries_clear(out);
    return rc;
}

int cl_audit_count(cl_txn *t, uint64_t *n)
{
    s_head h;
    int rc = s_head_get(t, &h);
    if (rc == CL_OK)
        *n = h.seq;
    return rc;
}

int cl_audit_decode_check(const uint8_t *buf, size_t len)
{
    uint64_t seq;
    uint8_t prev[S_HASH];
    cl_audit_entry e;
    return s_entry_decode(buf, len, &seq, prev, &e, NULL);
}

int cl_audit_each_for(cl_txn *t, uint64_t pid, const char *kind,
                      cl_audit_each_fn fn, void *ctx)
{
    uint8_t k[8], buf[4096], prev[S_HASH];
    s_seqs seqs = {.key_len = 16}; /* person id, then the sequence */
    cl_audit_entry *a = malloc(sizeof(*a));
    uint64_t seq;
    size_t len;
    cl_be64_put(k, pid);
    int rc =
        a ? cl_store_scan(t, CL_DB_AUDIT_PERSON, k, 8, s_seq_collect, &seqs)
          : CL_ERR_NOMEM;
    for (size_t i = 0; rc == CL_OK && i < seqs.n; i++) {
        rc = s_entry_get(t, seqs.v[i], buf, sizeof(buf), &len);
        if (rc == CL_OK)
            rc = s_entry_decode(buf, len, &seq, prev, a, NULL);
        sodium_memzero(buf, sizeof(buf));
        if (rc == CL_OK && (!kind || !strcmp(a->kind, kind)))
            rc = fn(ctx, a);
    }
    if (a)
        sodium_memzero(a, sizeof(*a));
    free(a);
    free(seqs.v);
    return rc;
}

int cl_audit_append_more(cl_txn *t, const cl_caller *c, const char *kind,
                         const cl_audit_note *n, uint8_t outcome, int64_t now,
                         size_t *next, size_t max, bool *all)
{
    uint64_t *more = NULL;
    size_t m = 0;
    char purpose[CL_NOTE_SZ];
    snprintf(purpose, sizeof(purpose), "continued: %.*s",
             (int)sizeof(purpose) - 12, n->purpose);
    int rc = n->lost ? CL_ERR_NOMEM : CL_OK;
    if (rc == CL_OK && n->n_more)
        rc = s_more(n, &more, &m);
    size_t i = *next * CL_AUDIT_PERSONS, e = *next;
    for (; i < m && e - *next < max && rc == CL_OK; i += CL_AUDIT_PERSONS, e++)
        rc = s_append(
            t, c, kind, n, more + i,
            (uint32_t)(m - i < CL_AUDIT_PERSONS ? m - i : CL_AUDIT_PERSONS),
            purpose, outcome, now);
    free(more);
    if (rc == CL_OK) {
        *next = e;
        *all = i >= m;
    }
    return rc;
}
