/*
 * store: LMDB environment, sealed values, blind indexes, master key file.
 *
 * Keys: the master key is never kept. From it are derived, with
 * crypto_kdf (BLAKE2b), a data key per key version (context "cl-data_") and
 * one index key (context "cl-index"). All derived keys live in one
 * sodium_malloc'd block (guarded, locked, wiped on free).
 *
 * Writes seal straight into LMDB's page with MDB_RESERVE, so no plaintext or
 * ciphertext copy lingers in the heap.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "store_int.h"

typedef struct cl_store__keys {
    uint8_t data[CL_STORE_KEY_VERSIONS + 1]
                [CL_KEY_LEN]; /* by version, 1-based */
    uint8_t index[CL_KEY_LEN];
    uint8_t repl[CL_KEY_LEN];   /* authenticates replication batches */
    uint8_t ix_mac[CL_KEY_LEN]; /* index rows: tag over db, key, value */
    uint8_t ix_enc[CL_KEY_LEN]; /* index rows: value cipher (SIV) */
    uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES]; /* audit checkpoints */
    uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
} cl_store__keys;

struct cl_store {
    MDB_env *env;             /* the environment */
    MDB_dbi dbi[CL_DB_COUNT]; /* sub-database handles */
    cl_store__keys *keys;     /* sodium_malloc'd */
    uint32_t key_version;     /* version new values are sealed with */
    uint32_t retired;         /* retired versions as bits (1 << v) */
    size_t map_bytes;         /* current map size */
    bool capture;             /* record each write transaction's changes */
    cl_seal_nonces nonces;    /* one nonce per sealed value, no syscall */
    char floor_path[4200];    /* the id floor, beside data.mdb */
    size_t n_floor;           /* counters in it */
    struct {
        char name[48];
        uint64_t reserved; /* ids up to this may have been handed out */
    } floor[64];
    uint32_t floor_raised; /* counters moved forward at open */
    uint64_t floor_gen;    /* generation, as in the id-floor file */
    bool floor_has_gen;    /* the file named one */
};

/* The physical changes of one top-level write transaction, encoded as they
 * happen (see "change capture" below). Nested transactions share their
 * root's and remember where they began, so an abort drops their part. */
typedef struct cl_store__capture {
    uint8_t *buf; /* encoded batch: header, then records */
    size_t len;
    size_t cap;
    uint32_t count; /* records */
    int err;        /* first failure to record (the batch is unusable) */
} cl_store__capture;

struct cl_txn {
    cl_store *store;        /* owner */
    cl_txn *parent;         /* enclosing transaction, or NULL */
    MDB_txn *txn;           /* LMDB transaction */
    bool write;             /* read-write */
    uint32_t key_version;   /* rotated to, effective on commit (0: none) */
    uint32_t retired;       /* retired bits set here, effective on commit */
    cl_store__capture *cap; /* the root's change capture, or NULL */
    bool sequenced;         /* cl_store_set_applied was called (root only) */
    size_t cap_mark;        /* its length and count when this one began */
    uint32_t cap_count;
};

/* Every sub-database by enum value: its LMDB name, whether its values are
 * sealed, and for sub-databases whose rows decide what a user sees, the
 * length of the key prefix that groups them (person id, blind index):
 * each group's rows are counted and digested so that a deleted row is
 * caught (see "authenticated rows" below). Checked at open so that a new
 * enum value cannot go unnamed. */
const cl_store__db cl_store__dbs[CL_DB_COUNT] = {
    [CL_DB_META] = {"meta", false},
    [CL_DB_PERSON] = {"person", true},
    [CL_DB_RECORD] = {"record", true},
    [CL_DB_REFERRAL] = {"referral", true},
    [CL_DB_BLIND] = {"blind", false, 16},
    [CL_DB_PERSON_RECORDS] = {"person_records", false, 8},
    [CL_DB_RECORD_REFERRALS] = {"record_referrals", false, 8},
    [CL_DB_RELATION] = {"relation", true, 8},
    [CL_DB_IDEMPOTENCY] = {"idempotency", true},
    [CL_DB_AUDIT] = {"audit", true},
    [CL_DB_AUDIT_PERSON] = {"audit_person", false, 8},
    [CL_DB_HISTORY] = {"history", true},
    [CL_DB_ACTIVITY] = {"activity", false},
    [CL_DB_PLAN] = {"plan", true},
    [CL_DB_PERSON_PLANS] = {"person_plans", false, 8},
    [CL_DB_REVIEW] = {"review", true},
    [CL_DB_MDT] = {"mdt", true},
    [CL_DB_AGENDA] = {"agenda", false, 8},
    [CL_DB_MAILBOX] = {"mailbox", true},
    [CL_DB_INFOREQ] = {"inforeq", true},
    [CL_DB_PERSON_REQUESTS] = {"person_requests", false, 8},
    [CL_DB_FEED] = {"feed", true},
    [CL_DB_PERSON_AGENDA] = {"person_agenda", false, 8},
    [CL_DB_DISCUSSION] = {"discussion", true},
    [CL_DB_ACTION] = {"action", true},
    [CL_DB_RAG] = {"rag", true},
    [CL_DB_MEASURE_DEF] = {"measure_def", true},
    [CL_DB_MEASURE] = {"measure", true},
    [CL_DB_AGENDA_NOTE] = {"agenda_note", true},
    [CL_DB_AGENCY_REF] = {"agency_ref", true},
    [CL_DB_HOLD] = {"hold", true},
    [CL_DB_ALERTED] = {"alerted", true},
    [CL_DB_IXDIGEST] = {"ixdigest", true},
    [CL_DB_AUDIT_USER] = {"audit_user", false},
    [CL_DB_INTAKE] = {"intake", true},
    [CL_DB_PERSON_INTAKE] = {"person_intake", false},
    [CL_DB_LINKING] = {"linking", true},
    /* blocking keys: rows authenticated, groups not counted. A deleted
     * row can only cost a comparison (a candidate not found), never show
     * anyone anything; counting each key's group would cost a sealed read
     * per key on every match. */
    [CL_DB_BLOCK] = {"block", false},
    [CL_DB_FLAG_LOG] = {"flag_log", true},
    [CL_DB_MEETING] = {"meeting", true},
};

static const char s_keycheck[] = "caselink keycheck v1";

int cl_store__mdb_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return CL_OK;
    case MDB_NOTFOUND:
        return CL_ERR_NOT_FOUND;
    case MDB_MAP_FULL:
        return CL_ERR_FULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return CL_ERR_CORRUPT;
    case MDB_KEYEXIST:
        return CL_ERR_EXISTS;
    case ENOMEM:
        return CL_ERR_NOMEM;
    case ENOSPC:
    case EDQUOT:
        return CL_ERR_BUSY;
    case EACCES:
    case EROFS:
    case EIO:
    case EPERM:
        return CL_ERR_IO;
    default:
        return CL_ERR_INTERNAL;
    }
}

/* --- master key file ------------------------------------------------------ */

int cl_store_key_load(uint8_t out[CL_MASTER_KEY_LEN], const char *path,
                      char *err, size_t err_len)
{
    int rc = CL_ERR_IO;
    int fd = -1;
    uint8_t buf[130];
    ssize_t n = 0;
    struct stat st;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, err_len, "master key %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "master key %s: not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        rc = CL_ERR_PERM;
        snprintf(err, err_len,
                 "master key %s: mode %03o lets others read it; run "
                 "'chmod 600 %s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        goto out;
    }
    n = read(fd, buf, sizeof(buf));
    if (n < 0) {
        snprintf(err, err_len, "master key %s: %s", path, strerror(errno));
        goto out;
    }
    rc = CL_ERR_KEY;
    size_t len = (size_t)n;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len == CL_MASTER_KEY_LEN * 2) {
        size_t bin_len = 0;
        if (sodium_hex2bin(out, CL_MASTER_KEY_LEN, (const char *)buf, len, NULL,
                           &bin_len, NULL) != 0 ||
            bin_len != CL_MASTER_KEY_LEN) {
            snprintf(err, err_len, "master key %s: not valid hex", path);
            goto out;
        }
    } else if ((size_t)n == CL_MASTER_KEY_LEN) {
        memcpy(out, buf, CL_MASTER_KEY_LEN);
    } else {
        snprintf(err, err_len,
                 "master key %s: expected 32 bytes or 64 hex digits", path);
        goto out;
    }
    rc = CL_OK;
out:
    sodium_memzero(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    return rc;
}

int cl_store_key_generate(const char *path)
{
    uint8_t key[CL_MASTER_KEY_LEN];
    char hex[CL_MASTER_KEY_LEN * 2 + 2];
    int rc = CL_ERR_IO;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? CL_ERR_EXISTS : CL_ERR_IO;
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    size_t len = strlen(hex);
    hex[len++] = '\n';
    if (write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0)
        rc = CL_OK;
    sodium_memzero(key, sizeof(key));
    sodium_memzero(hex, sizeof(hex));
    close(fd);
    return rc;
}

/* --- change capture: helpers ---------------------------------------------
 *
 * A batch is "CLB1", a record count (u32, big-endian), the sequence it
 * must follow in the log (u64), then per record:
 *   op (1: put, 2: delete), sub-database name length (u8) and name,
 *   key length (u16) and key, and for a put the value length (u32) and the
 *   value exactly as LMDB holds it (sealed for sealed sub-databases);
 * last a 32-byte BLAKE2b MAC of all that under a key derived from the
 * master key ("cl-repl_"). Whoever may publish to the stream but holds no
 * master key can neither forge a batch (index rows and counters are not
 * sealed) nor replay a genuine one at another place in the log.
 * Sub-databases are named, not numbered, so a batch means the same to a
 * build that added sub-databases in another order.
 */
#define S_BATCH_MAGIC  "CLB1"
#define S_BATCH_HEADER 16
#define S_BATCH_MAC    32
#define S_KEY_MAX      511 /* LMDB's default largest key */

int cl_store__capture_new(cl_store__capture **out)
{
    cl_store__capture *c = calloc(1, sizeof(*c));
    if (!c)
        return CL_ERR_NOMEM;
    c->cap = 4096;
    c->buf = malloc(c->cap);
    if (!c->buf) {
        free(c);
        return CL_ERR_NOMEM;
    }
    memcpy(c->buf, S_BATCH_MAGIC, 4);
    memset(c->buf + 4, 0, S_BATCH_HEADER - 4);
    c->len = S_BATCH_HEADER;
    *out = c;
    return CL_OK;
}

void cl_store__capture_free(cl_store__capture **cp)
{
    if (!*cp)
        return;
    free((*cp)->buf);
    free(*cp);
    *cp = NULL;
}

/* A child ended without its changes: forget what it recorded. */
void cl_store__capture_truncate(cl_txn *t)
{
    if (!t->cap)
        return;
    t->cap->len = t->cap_mark;
    t->cap->count = t->cap_count;
}

void cl_store__capture_add(cl_txn *t, int op, cl_db db, const uint8_t *key,
                           size_t key_len, const void *val, size_t val_len)
{
    cl_store__capture *c = t->cap;
    if (!c || c->err)
        return;
    size_t name_len = strlen(cl_store__dbs[db].name);
    size_t need = 1 + 1 + name_len + 2 + key_len +
                  (op == CL_STORE_OP_PUT ? 4 : 0) +
                  (op == CL_STORE_OP_PUT ? val_len : 0);
    if (key_len > S_KEY_MAX) {
        c->err = CL_ERR_INVALID;
        return;
    }
    if (c->len + need > c->cap) {
        size_t ncap = c->cap;
        while (c->len + need > ncap)
            ncap *= 2;
        uint8_t *nb = realloc(c->buf, ncap);
        if (!nb) {
            c->err = CL_ERR_NOMEM;
            return;
        }
        c->buf = nb;
        c->cap = ncap;
    }
    uint8_t *p = c->buf + c->len;
    *p++ = (uint8_t)op;
    *p++ = (uint8_t)name_len;
    memcpy(p, cl_store__dbs[db].name, name_len);
    p += name_len;
    *p++ = (uint8_t)(key_len >> 8);
    *p++ = (uint8_t)key_len;
    memcpy(p, key, key_len);
    p += key_len;
    if (op == CL_STORE_OP_PUT) {
        for (int i = 3; i >= 0; i--)
            *p++ = (uint8_t)(val_len >> (8 * i));
        if (val_len)
            memcpy(p, val, val_len);
        p += val_len;
    }
    c->len = (size_t)(p - c->buf);
    c->count++;
}

/* --- transactions --------------------------------------------------------- */

int cl_store_begin(cl_txn **out, cl_store *s, cl_txn *parent, bool write)
{
    cl_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return CL_ERR_NOMEM;
    int rc = mdb_txn_begin(s->env, parent ? parent->txn : NULL,
                           write ? 0 : MDB_RDONLY, &t->txn);
    if (rc != MDB_SUCCESS) {
        free(t);
        return cl_store__mdb_err(rc);
    }
    t->store = s;
    t->parent = parent;
    t->write = write;
    if (parent) {
        t->cap = parent->cap;
        if (t->cap) {
            t->cap_mark = t->cap->len;
            t->cap_count = t->cap->count;
        }
    } else if (write && s->capture) {
        if ((rc = cl_store__capture_new(&t->cap)) != CL_OK) {
            mdb_txn_abort(t->txn);
            free(t);
            return rc;
        }
    }
    *out = t;
    return CL_OK;
}

cl_store *cl_store_of(cl_txn *t)
{
    return t->store;
}

int cl_store_commit(cl_txn **tp)
{
    cl_txn *t = *tp;
    *tp = NULL;
    if (!t->parent && t->cap && t->cap->count && !t->sequenced) {
        /* Captured changes that were never given a place in the log: a
         * writer that bypassed replication. Refuse, keep nothing. */
        mdb_txn_abort(t->txn);
        cl_store__capture_free(&t->cap);
        free(t);
        return CL_ERR_INTERNAL;
    }
    int rc = mdb_txn_commit(t->txn);
    if (rc == MDB_SUCCESS) {
        /* Key changes take effect with the outermost commit. */
        cl_txn *p = t->parent;
        if (p) {
            if (t->key_version)
                p->key_version = t->key_version;
            p->retired |= t->retired;
        } else {
            if (t->key_version)
                t->store->key_version = t->key_version;
            t->store->retired |= t->retired;
        }
    } else if (t->cap && t->parent) {
        cl_store__capture_truncate(t); /* the child's changes are gone */
    }
    if (!t->parent)
        cl_store__capture_free(&t->cap);
    free(t);
    return cl_store__mdb_err(rc);
}

void cl_store_abort(cl_txn **tp)
{
    if (!tp || !*tp)
        return;
    cl_txn *t = *tp;
    mdb_txn_abort(t->txn);
    if (t->parent)
        cl_store__capture_truncate(t);
    else
        cl_store__capture_free(&t->cap);
    free(t);
    *tp = NULL;
}

/* --- values --------------------------------------------------------------- */

/* The version new values are sealed with inside t: a rotation in t or an
 * enclosing transaction applies at once there. */
uint32_t cl_store__txn_version(const cl_txn *t)
{
    for (const cl_txn *p = t; p; p = p->parent)
        if (p->key_version)
            return p->key_version;
    return t->store->key_version;
}

/* Associated data: sub-database name, a zero byte, then the record key. */
static int s_ad(uint8_t *ad, size_t cap, size_t *ad_len, cl_db db,
                const uint8_t *key, size_t key_len)
{
    size_t n = strlen(cl_store__dbs[db].name);
    if (n + 1 + key_len > cap)
        return CL_ERR_INVALID;
    memcpy(ad, cl_store__dbs[db].name, n);
    ad[n] = 0;
    memcpy(ad + n + 1, key, key_len);
    *ad_len = n + 1 + key_len;
    return CL_OK;
}

/* --- authenticated rows ----------------------------------------------------
 *
 * Index rows (every unsealed sub-database but meta) are stored as
 *
 *   tag (16 bytes) || value XOR XChaCha20(ix_enc, nonce = tag || 0^8)
 *
 * with tag = BLAKE2b-128 keyed with ix_mac over the sub-database name, the
 * key and the value: a deterministic authenticated cipher (SIV). What a
 * row says (an agenda reason, how a plan names a person) cannot be read
 * from the file, and a row whose key or value was edited fails on read
 * with CL_ERR_CORRUPT. Deterministic, so that replicas hold equal bytes.
 *
 * A deleted row is not an edited one, so the rows of the sub-databases
 * that decide what a user sees are also counted per group (the key prefix
 * cl_store__dbs[].group long: a person id, a blind index) and per sub-database:
 * ixdigest[name NUL prefix] and ixdigest[name NUL] hold, sealed, the count
 * and the XOR of the rows' tags (for a sealed sub-database, a tag over the
 * sealed bytes). Reading a group — a scan of its prefix, or a get that
 * finds nothing — first checks its digest, so a deleted, added or replayed
 * row is reported as tampering (CL_ERR_CORRUPT) instead of being obeyed;
 * cl_store_verify checks every sub-database's total (a group deleted with
 * its digest row). One mechanism, inside put/get/del/scan: callers and
 * the change capture see plain index values and stored bytes as before.
 */
#define S_TAG        16
#define S_DIGEST_LEN (8 + S_TAG)
#define S_IX_MAX     256 /* largest index value */

static bool s_authed(cl_db db)
{
    return db != CL_DB_META && !cl_store__dbs[db].sealed;
}

static void s_tag(const cl_store *s, cl_db db, const uint8_t *key,
                  size_t key_len, const uint8_t *val, size_t val_len,
                  uint8_t tag[S_TAG])
{
    crypto_generichash_state st;
    uint8_t kl[4] = {(uint8_t)(key_len >> 24), (uint8_t)(key_len >> 16),
                     (uint8_t)(key_len >> 8), (uint8_t)key_len};
    crypto_generichash_init(&st, s->keys->ix_mac, CL_KEY_LEN, S_TAG);
    crypto_generichash_update(&st, (const uint8_t *)cl_store__dbs[db].name,
                              strlen(cl_store__dbs[db].name) + 1);
    crypto_generichash_update(&st, kl, 4);
    crypto_generichash_update(&st, key, key_len);
    crypto_generichash_update(&st, val, val_len);
    crypto_generichash_final(&st, tag, S_TAG);
    sodium_memzero(&st, sizeof(st));
}

static void s_ix_stream(const cl_store *s, const uint8_t tag[S_TAG],
                        uint8_t *out, const uint8_t *in, size_t len)
{
    uint8_t nonce[crypto_stream_xchacha20_NONCEBYTES] = {0};
    memcpy(nonce, tag, S_TAG);
    crypto_stream_xchacha20_xor(out, in, len, nonce, s->keys->ix_enc);
}

/* Open a stored index row into out (capacity cap). */
static int s_ix_open(const cl_store *s, cl_db db, const uint8_t *key,
                     size_t key_len, const MDB_val *v, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    uint8_t tag[S_TAG];
    if (v->mv_size < S_TAG || v->mv_size - S_TAG > cap)
        return CL_ERR_CORRUPT;
    size_t n = v->mv_size - S_TAG;
    const uint8_t *stored = v->mv_data;
    s_ix_stream(s, stored, out, stored + S_TAG, n);
    s_tag(s, db, key, key_len, out, n, tag);
    if (sodium_memcmp(tag, stored, S_TAG) != 0) {
        sodium_memzero(out, n);
        return CL_ERR_CORRUPT;
    }
    *out_len = n;
    return CL_OK;
}

/* The tag a stored row contributes to its group's digest. */
static void s_row_tag(const cl_store *s, cl_db db, const MDB_val *k,
                      const MDB_val *v, uint8_t tag[S_TAG])
{
    if (s_authed(db) && v->mv_size >= S_TAG)
        memcpy(tag, v->mv_data, S_TAG);
    else
        s_tag(s, db, k->mv_data, k->mv_size, v->mv_data, v->mv_size, tag);
}

/* ixdigest key: name NUL prefix (prefix_len 0: the sub-database total). */
static size_t s_digest_key(uint8_t *out, cl_db db, const uint8_t *prefix,
                           size_t prefix_len)
{
    size_t n = strlen(cl_store__dbs[db].name) + 1;
    memcpy(out, cl_store__dbs[db].name, n);
    if (prefix_len)
        memcpy(out + n, prefix, prefix_len);
    return n + prefix_len;
}

static int s_digest_get(cl_txn *t, const uint8_t *dk, size_t dk_len,
                        uint64_t *count, uint8_t x[S_TAG])
{
    uint8_t buf[S_DIGEST_LEN];
    size_t len;
    int rc =
        cl_store_get(t, CL_DB_IXDIGEST, dk, dk_len, buf, sizeof(buf), &len);
    if (rc == CL_ERR_NOT_FOUND) {
        *count = 0;
        memset(x, 0, S_TAG);
        return CL_OK;
    }
    if (rc != CL_OK)
        return rc;
    if (len != S_DIGEST_LEN)
        return CL_ERR_CORRUPT;
    *count = 0;
    for (int i = 0; i < 8; i++)
        *count = *count << 8 | buf[i];
    memcpy(x, buf + 8, S_TAG);
    return CL_OK;
}

/* Take old (if not NULL) out of a digest and put new (if not NULL) in. */
static int s_digest_move(cl_txn *t, const uint8_t *dk, size_t dk_len,
                         const uint8_t *old, const uint8_t *new_tag)
{
    uint8_t x[S_TAG], buf[S_DIGEST_LEN];
    uint64_t count;
    int rc = s_digest_get(t, dk, dk_len, &count, x);
    if (rc != CL_OK)
        return rc;
    if (old) {
        if (count == 0)
            return CL_ERR_CORRUPT;
        count--;
        for (int i = 0; i < S_TAG; i++)
            x[i] ^= old[i];
    }
    if (new_tag) {
        count++;
        for (int i = 0; i < S_TAG; i++)
            x[i] ^= new_tag[i];
    }
    if (count == 0) {
        rc = cl_store_del(t, CL_DB_IXDIGEST, dk, dk_len);
        return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
    }
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(count >> (8 * (7 - i)));
    memcpy(buf + 8, x, S_TAG);
    return cl_store_put(t, CL_DB_IXDIGEST, dk, dk_len, buf, sizeof(buf));
}

/* A row of a grouped sub-database changed: its group's digest and the
 * sub-database's total follow. */
static int s_digest_update(cl_txn *t, cl_db db, const uint8_t *key,
                           size_t key_len, const uint8_t *old,
                           const uint8_t *new_tag)
{
    uint8_t dk[64 + 256];
    size_t g = cl_store__dbs[db].group;
    if (!g)
        return CL_OK;
    if (key_len < g)
        return CL_ERR_INVALID;
    int rc = s_digest_move(t, dk, s_digest_key(dk, db, key, g), old, new_tag);
    if (rc == CL_OK)
        rc = s_digest_move(t, dk, s_digest_key(dk, db, NULL, 0), old, new_tag);
    return rc;
}

/* Count and digest the stored rows of one group and compare with its
 * digest row: CL_ERR_CORRUPT if a row was deleted, added or replayed. */
static int s_group_check(cl_txn *t, cl_db db, const uint8_t *prefix)
{
    size_t g = cl_store__dbs[db].group;
    uint8_t dk[64 + 256], want[S_TAG], got[S_TAG] = {0}, tag[S_TAG];
    uint64_t want_n, got_n = 0;
    MDB_cursor *cur = NULL;
    MDB_val k = {g, (void *)prefix}, v;
    int rc =
        s_digest_get(t, dk, s_digest_key(dk, db, prefix, g), &want_n, want);
    if (rc != CL_OK)
        return rc;
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         mrc == MDB_SUCCESS && k.mv_size >= g && !memcmp(k.mv_data, prefix, g);
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        s_row_tag(t->store, db, &k, &v, tag);
        for (int i = 0; i < S_TAG; i++)
            got[i] ^= tag[i];
        got_n++;
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        return cl_store__mdb_err(mrc);
    return got_n == want_n && sodium_memcmp(got, want, S_TAG) == 0
               ? CL_OK
               : CL_ERR_CORRUPT;
}

/* The tag of the row stored at key now (*had false if none). */
static int s_old_tag(cl_txn *t, cl_db db, const MDB_val *k, uint8_t tag[S_TAG],
                     bool *had)
{
    MDB_val v;
    int rc = mdb_get(t->txn, t->store->dbi[db], (MDB_val *)k, &v);
    *had = rc == MDB_SUCCESS;
    if (rc == MDB_NOTFOUND)
        return CL_OK;
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    if (s_authed(db) && v.mv_size < S_TAG)
        return CL_ERR_CORRUPT;
    s_row_tag(t->store, db, k, &v, tag);
    return CL_OK;
}

int cl_store_put(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                 const uint8_t *val, size_t val_len)
{
    uint8_t ad[400], old[S_TAG], tag[S_TAG];
    size_t ad_len;
    bool had = false;
    int rc;
    if (db >= CL_DB_COUNT || !cl_store__dbs[db].sealed || !t->write ||
        val_len > CL_STORE_MAX_VALUE)
        return CL_ERR_INVALID;
    if ((rc = s_ad(ad, sizeof(ad), &ad_len, db, key, key_len)) != CL_OK)
        return rc;
    MDB_val k = {key_len, (void *)key};
    MDB_val v = {val_len + CL_SEAL_OVERHEAD, NULL};
    if (cl_store__dbs[db].group &&
        (rc = s_old_tag(t, db, &k, old, &had)) != CL_OK)
        return rc;
    rc = mdb_put(t->txn, t->store->dbi[db], &k, &v, MDB_RESERVE);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    uint32_t ver = cl_store__txn_version(t);
    uint8_t nonce[CL_SEAL_NONCE];
    cl_seal_nonce(&t->store->nonces, nonce);
    rc = cl_seal(v.mv_data, t->store->keys->data[ver], ver, nonce, ad, ad_len,
                 val, val_len);
    if (rc != CL_OK)
        return rc;
    cl_store__capture_add(t, CL_STORE_OP_PUT, db, key, key_len, v.mv_data,
                          v.mv_size);
    if (!cl_store__dbs[db].group)
        return CL_OK;
    s_row_tag(t->store, db, &k, &v, tag);
    return s_digest_update(t, db, key, key_len, had ? old : NULL, tag);
}

int cl_store_get(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                 uint8_t *buf, size_t cap, size_t *val_len)
{
    uint8_t ad[400];
    size_t ad_len;
    uint32_t ver;
    int rc;
    if (db >= CL_DB_COUNT || !cl_store__dbs[db].sealed)
        return CL_ERR_INVALID;
    if ((rc = s_ad(ad, sizeof(ad), &ad_len, db, key, key_len)) != CL_OK)
        return rc;
    MDB_val k = {key_len, (void *)key}, v;
    rc = mdb_get(t->txn, t->store->dbi[db], &k, &v);
    if (rc == MDB_NOTFOUND && cl_store__dbs[db].group &&
        key_len >= cl_store__dbs[db].group)
        return (rc = s_group_check(t, db, key)) == CL_OK ? CL_ERR_NOT_FOUND
                                                         : rc;
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    if ((rc = cl_seal_version(&ver, v.mv_data, v.mv_size)) != CL_OK)
        return rc;
    if (ver == 0 || ver > CL_STORE_KEY_VERSIONS ||
        ((t->store->retired | t->retired) & (1u << ver)))
        return CL_ERR_CORRUPT;
    return cl_seal_open(buf, cap, val_len, t->store->keys->data[ver], ad,
                        ad_len, v.mv_data, v.mv_size);
}

int cl_store_put_raw(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                     const uint8_t *val, size_t val_len)
{
    uint8_t old[S_TAG], tag[S_TAG];
    bool had = false;
    if (db >= CL_DB_COUNT || cl_store__dbs[db].sealed || !t->write)
        return CL_ERR_INVALID;
    if (!val)
        val = (const uint8_t *)"";
    MDB_val k = {key_len, (void *)key};
    if (!s_authed(db)) {
        MDB_val v = {val_len, (void *)val};
        int rc =
            cl_store__mdb_err(mdb_put(t->txn, t->store->dbi[db], &k, &v, 0));
        if (rc == CL_OK)
            cl_store__capture_add(t, CL_STORE_OP_PUT, db, key, key_len, val,
                                  val_len);
        return rc;
    }
    if (val_len > S_IX_MAX)
        return CL_ERR_INVALID;
    int rc;
    if (cl_store__dbs[db].group &&
        (rc = s_old_tag(t, db, &k, old, &had)) != CL_OK)
        return rc;
    s_tag(t->store, db, key, key_len, val, val_len, tag);
    MDB_val v = {S_TAG + val_len, NULL};
    rc = mdb_put(t->txn, t->store->dbi[db], &k, &v, MDB_RESERVE);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    uint8_t *stored = v.mv_data;
    memcpy(stored, tag, S_TAG);
    s_ix_stream(t->store, tag, stored + S_TAG, val, val_len);
    cl_store__capture_add(t, CL_STORE_OP_PUT, db, key, key_len, stored,
                          v.mv_size);
    return s_digest_update(t, db, key, key_len, had ? old : NULL, tag);
}

int cl_store_get_raw(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                     uint8_t *buf, size_t cap, size_t *val_len)
{
    if (db >= CL_DB_COUNT || cl_store__dbs[db].sealed)
        return CL_ERR_INVALID;
    MDB_val k = {key_len, (void *)key}, v;
    int rc = mdb_get(t->txn, t->store->dbi[db], &k, &v);
    if (rc == MDB_NOTFOUND && cl_store__dbs[db].group &&
        key_len >= cl_store__dbs[db].group)
        return (rc = s_group_check(t, db, key)) == CL_OK ? CL_ERR_NOT_FOUND
                                                         : rc;
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    if (s_authed(db))
        return s_ix_open(t->store, db, key, key_len, &v, buf, cap, val_len);
    if (v.mv_size > cap)
        return CL_ERR_CORRUPT;
    memcpy(buf, v.mv_data, v.mv_size);
    *val_len = v.mv_size;
    return CL_OK;
}

int cl_store_del(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len)
{
    uint8_t old[S_TAG];
    bool had = false;
    if (db >= CL_DB_COUNT || !t->write)
        return CL_ERR_INVALID;
    MDB_val k = {key_len, (void *)key};
    int rc;
    if (cl_store__dbs[db].group &&
        (rc = s_old_tag(t, db, &k, old, &had)) != CL_OK)
        return rc;
    rc = cl_store__mdb_err(mdb_del(t->txn, t->store->dbi[db], &k, NULL));
    if (rc != CL_OK)
        return rc;
    cl_store__capture_add(t, CL_STORE_OP_DEL, db, key, key_len, NULL, 0);
    return had ? s_digest_update(t, db, key, key_len, old, NULL) : CL_OK;
}

/* Check one row read by a scan: an index row must authenticate. */
static int s_scan_row(cl_txn *t, cl_db db, const MDB_val *k, const MDB_val *v)
{
    uint8_t plain[S_IX_MAX];
    size_t n;
    if (!s_authed(db))
        return CL_OK;
    int rc = s_ix_open(t->store, db, k->mv_data, k->mv_size, v, plain,
                       sizeof(plain), &n);
    sodium_memzero(plain, sizeof(plain));
    return rc;
}

int cl_store_scan(cl_txn *t, cl_db db, const uint8_t *prefix, size_t prefix_len,
                  cl_store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur = NULL;
    MDB_val k = {prefix_len, (void *)prefix}, v;
    if (db >= CL_DB_COUNT)
        return CL_ERR_INVALID;
    int rc;
    if (cl_store__dbs[db].group && prefix_len >= cl_store__dbs[db].group &&
        (rc = s_group_check(t, db, prefix)) != CL_OK)
        return rc;
    rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    rc = mdb_cursor_get(cur, &k, &v, prefix_len ? MDB_SET_RANGE : MDB_FIRST);
    int out = CL_OK;
    while (rc == MDB_SUCCESS) {
        if (prefix_len &&
            (k.mv_size < prefix_len || memcmp(k.mv_data, prefix, prefix_len)))
            break;
        int r = s_scan_row(t, db, &k, &v);
        if (r == CL_OK)
            r = fn(ctx, k.mv_data, k.mv_size);
        if (r != CL_OK) {
            out = r > 0 ? CL_OK : r;
            break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        out = cl_store__mdb_err(rc);
    mdb_cursor_close(cur);
    return out;
}

int cl_store_scan_from(cl_txn *t, cl_db db, const uint8_t *start,
                       size_t start_len, cl_store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur = NULL;
    MDB_val k = {start_len, (void *)start}, v;
    if (db >= CL_DB_COUNT)
        return CL_ERR_INVALID;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    int out = CL_OK;
    for (rc =
             mdb_cursor_get(cur, &k, &v, start_len ? MDB_SET_RANGE : MDB_FIRST);
         rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int r = s_scan_row(t, db, &k, &v);
        if (r == CL_OK)
            r = fn(ctx, k.mv_data, k.mv_size);
        if (r != CL_OK) {
            out = r > 0 ? CL_OK : r;
            break;
        }
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        out = cl_store__mdb_err(rc);
    mdb_cursor_close(cur);
    return out;
}

/* Every authenticated sub-database: each row authenticates and the rows of
 * each grouped one add up to its total. */
int cl_store_verify(cl_txn *t, char *problem, size_t problem_len)
{
    for (int i = 0; i < CL_DB_COUNT; i++) {
        cl_db db = (cl_db)i;
        if (!s_authed(db) && !cl_store__dbs[db].group)
            continue;
        uint8_t dk[80], want[S_TAG], got[S_TAG] = {0}, tag[S_TAG];
        uint64_t want_n = 0, got_n = 0;
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        int rc = CL_OK;
        if (cl_store__dbs[db].group &&
            (rc = s_digest_get(t, dk, s_digest_key(dk, db, NULL, 0), &want_n,
                               want)) != CL_OK)
            return rc;
        int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
        if (mrc != MDB_SUCCESS)
            return cl_store__mdb_err(mrc);
        for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
             mrc == MDB_SUCCESS && rc == CL_OK;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            rc = s_scan_row(t, db, &k, &v);
            s_row_tag(t->store, db, &k, &v, tag);
            for (int j = 0; j < S_TAG; j++)
                got[j] ^= tag[j];
            got_n++;
        }
        mdb_cursor_close(cur);
        if (rc == CL_ERR_CORRUPT) {
            snprintf(problem, problem_len,
                     "index %s: a row was altered (does not authenticate)",
                     cl_store__dbs[db].name);
            return CL_ERR_CORRUPT;
        }
        if (rc != CL_OK)
            return rc;
        if (mrc != MDB_NOTFOUND)
            return cl_store__mdb_err(mrc);
        if (cl_store__dbs[db].group &&
            (got_n != want_n || sodium_memcmp(got, want, S_TAG) != 0)) {
            snprintf(problem, problem_len,
                     "index %s: holds %" PRIu64 " rows where %" PRIu64
                     " were written (rows removed, added or replayed)",
                     cl_store__dbs[db].name, got_n, want_n);
            return CL_ERR_CORRUPT;
        }
    }
    return CL_OK;
}

/* A store written before rows were authenticated: authenticate every
 * index row and build the digests, once, in transaction t. */
static int s_ix_upgrade(cl_txn *t)
{
    uint8_t mark[1];
    size_t len;
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"ixauth", 6, mark,
                              sizeof(mark), &len);
    if (rc != CL_ERR_NOT_FOUND)
        return rc;
    for (int i = 0; i < CL_DB_COUNT && rc != CL_ERR_NOMEM; i++) {
        cl_db db = (cl_db)i;
        if (!s_authed(db) && !cl_store__dbs[db].group)
            continue;
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        uint8_t key[512], val[S_IX_MAX];
        /* Collect first, rewrite after: puts move the cursor's pages. */
        int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
        if (mrc != MDB_SUCCESS)
            return cl_store__mdb_err(mrc);
        mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        mdb_cursor_close(cur);
        while (mrc == MDB_SUCCESS) {
            if (k.mv_size > sizeof(key) || v.mv_size > sizeof(val))
                return CL_ERR_CORRUPT;
            size_t kl = k.mv_size, vl = v.mv_size;
            memcpy(key, k.mv_data, kl);
            memcpy(val, v.mv_data, vl);
            if (s_authed(db)) {
                /* rewrite as an authenticated row; the digest follows */
                MDB_val dk = {kl, key};
                if ((mrc = mdb_del(t->txn, t->store->dbi[db], &dk, NULL)))
                    return cl_store__mdb_err(mrc);
                rc = cl_store_put_raw(t, db, key, kl, val, vl);
            } else {
                uint8_t tag[S_TAG];
                MDB_val kk = {kl, key}, vv = {vl, val};
                s_row_tag(t->store, db, &kk, &vv, tag);
                rc = s_digest_update(t, db, key, kl, NULL, tag);
            }
            if (rc != CL_OK)
                return rc;
            /* the next key after this one */
            if ((mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur)))
                return cl_store__mdb_err(mrc);
            k.mv_size = kl;
            k.mv_data = key;
            mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
            if (mrc == MDB_SUCCESS)
                mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            mdb_cursor_close(cur);
        }
        if (mrc != MDB_NOTFOUND)
            return cl_store__mdb_err(mrc);
    }
    return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)"ixauth", 6,
                            (const uint8_t *)"1", 1);
}

int cl_store_counter(cl_txn *t, const char *counter, uint64_t *out)
{
    char key[64];
    uint8_t buf[8];
    size_t len;
    int n = snprintf(key, sizeof(key), "counter:%s", counter);
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n,
                              buf, sizeof(buf), &len);
    if (rc == CL_ERR_NOT_FOUND) {
        *out = 0;
        return CL_OK;
    }
    if (rc != CL_OK)
        return rc;
    if (len != 8)
        return CL_ERR_CORRUPT;
    *out = (uint64_t)buf[0] << 56 | (uint64_t)buf[1] << 48 |
           (uint64_t)buf[2] << 40 | (uint64_t)buf[3] << 32 |
           (uint64_t)buf[4] << 24 | (uint64_t)buf[5] << 16 |
           (uint64_t)buf[6] << 8 | buf[7];
    return CL_OK;
}

/* --- the id floor ------------------------------------------------------------
 *
 * An id handed out must never name anything else, even after the data
 * file is replaced by an older copy (a restore from backup), which rolls
 * the counters back. So every counter is reserved ahead, in blocks, in a
 * small file beside data.mdb ("id-floor": one "name value" line each),
 * written and fsync'd (then renamed over the old one) before an id past
 * the reservation is used. The file and the data file (META
 * "floor-generation") also carry a generation, moved on together after
 * every completed backup and at every clean stop
 * (cl_store_generation_bump), so a data file put back from any copy made
 * since is one generation or more behind the file. At open, a data file
 * whose generation differs from the file's has every counter moved up to
 * its reservation, and the daemon says so. Ids between are skipped, never
 * reused. */
#define S_FLOOR_FILE  "id-floor"
#define S_FLOOR_BLOCK 1000

static int s_floor_write(cl_store *s)
{
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", s->floor_path);
    FILE *f = NULL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        return CL_ERR_IO;
    }
    fprintf(f, "# caselink id floor: ids reserved per counter (see README, "
               "Restore). Keep this file when you restore data.mdb.\n");
    fprintf(f, "generation %llu\n", (unsigned long long)s->floor_gen);
    for (size_t i = 0; i < s->n_floor; i++)
        fprintf(f, "%s %llu\n", s->floor[i].name,
                (unsigned long long)s->floor[i].reserved);
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? CL_OK : CL_ERR_IO;
    if (fclose(f) != 0)
        rc = CL_ERR_IO;
    if (rc == CL_OK && rename(tmp, s->floor_path) != 0)
        rc = CL_ERR_IO;
    if (rc == CL_OK) { /* the rename itself, durably */
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s", s->floor_path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0)
            rc = CL_ERR_IO;
        if (dfd >= 0)
            close(dfd);
    }
    return rc;
}

int cl_store__floor_load(cl_store *s, const char *dir)
{
    snprintf(s->floor_path, sizeof(s->floor_path), "%s/" S_FLOOR_FILE, dir);
    FILE *f = fopen(s->floor_path, "r");
    char line[256];
    if (!f)
        return errno == ENOENT ? CL_OK : CL_ERR_IO;
    while (fgets(line, sizeof(line), f) && s->n_floor < 64) {
        char name[48];
        unsigned long long v;
        if (line[0] == '#' || sscanf(line, "%47s %llu", name, &v) != 2)
            continue;
        if (!strcmp(name, "generation")) {
            s->floor_gen = v;
            s->floor_has_gen = true;
            continue;
        }
        memcpy(s->floor[s->n_floor].name, name, sizeof(name));
        s->floor[s->n_floor++].reserved = v;
    }
    fclose(f);
    return CL_OK;
}

static int s_meta_u64(cl_txn *t, const char *pfx, const char *name,
                      uint64_t *get, const uint64_t *put)
{
    char key[80];
    uint8_t buf[8];
    size_t len = 0;
    int n = snprintf(key, sizeof(key), "%s%s", pfx, name);
    if (put) {
        for (int b = 7; b >= 0; b--)
            buf[7 - b] = (uint8_t)(*put >> (8 * b));
        return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n,
                                buf, 8);
    }
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n,
                              buf, sizeof(buf), &len);
    *get = 0;
    if (rc == CL_ERR_NOT_FOUND)
        return CL_OK;
    if (rc == CL_OK && len != 8)
        return CL_ERR_CORRUPT;
    for (size_t b = 0; rc == CL_OK && b < 8; b++)
        *get = *get << 8 | buf[b];
    return rc;
}

/* A data file of another generation than the id floor (put back from an
 * older copy): move its counters up to their reservations (at open). */
int cl_store__floor_apply(cl_store *s, cl_txn *t)
{
    uint64_t gen;
    int rc = s_meta_u64(t, "floor-generation", "", &gen, NULL);
    if (rc != CL_OK || !s->floor_has_gen || gen == s->floor_gen)
        return rc;
    for (size_t i = 0; i < s->n_floor && rc == CL_OK; i++) {
        uint64_t v;
        uint64_t r = s->floor[i].reserved;
        rc = cl_store_counter(t, s->floor[i].name, &v);
        if (rc == CL_OK && v < r) {
            rc = s_meta_u64(t, "counter:", s->floor[i].name, NULL, &r);
            s->floor_raised++;
        }
    }
    if (rc == CL_OK)
        rc = s_meta_u64(t, "floor-generation", "", NULL, &s->floor_gen);
    return rc;
}

int cl_store_generation_bump(cl_store *s)
{
    cl_txn *t = NULL;
    s->floor_gen++;
    s->floor_has_gen = true;
    int rc = s_floor_write(s); /* the file first: a crash leaves it ahead */
    /* each node's own, like its place in the replication log: never
     * captured, and not part of the content digest */
    bool capture = s->capture;
    s->capture = false;
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s, NULL, true);
    s->capture = capture;
    if (rc == CL_OK)
        rc = s_meta_u64(t, "floor-generation", "", NULL, &s->floor_gen);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    return rc;
}

uint32_t cl_store_ids_raised(const cl_store *s)
{
    return s->floor_raised;
}

/* Make sure id v of counter is covered by the reservation on disk (and
 * note a new reservation in t). */
static int s_floor_cover(cl_txn *t, const char *counter, uint64_t v)
{
    cl_store *s = t->store;
    size_t i;
    for (i = 0; i < s->n_floor; i++)
        if (!strcmp(s->floor[i].name, counter))
            break;
    if (i < s->n_floor && v <= s->floor[i].reserved)
        return CL_OK;
    if (i == s->n_floor) {
        if (i == 64 || strlen(counter) >= sizeof(s->floor[i].name))
            return CL_ERR_INTERNAL;
        snprintf(s->floor[i].name, sizeof(s->floor[i].name), "%s", counter);
        s->n_floor++;
    }
    uint64_t old = s->floor[i].reserved;
    s->floor[i].reserved = v + S_FLOOR_BLOCK - 1;
    int rc = s_floor_write(s);
    if (rc != CL_OK)
        s->floor[i].reserved = old; /* not covered: no id */
    (void)t;
    return rc;
}

int cl_store_next_id(cl_txn *t, const char *counter, uint64_t *out)
{
    char key[64];
    uint8_t buf[8];
    uint64_t v;
    int rc = cl_store_counter(t, counter, &v);
    if (rc != CL_OK)
        return rc;
    v++;
    if ((rc = s_floor_cover(t, counter, v)) != CL_OK)
        return rc;
    for (int i = 7; i >= 0; i--)
        buf[7 - i] = (uint8_t)(v >> (8 * i));
    int n = snprintf(key, sizeof(key), "counter:%s", counter);
    rc = cl_store_put_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n, buf,
                          8);
    if (rc == CL_OK)
        *out = v;
    return rc;
}

void cl_store_blind(const cl_store *s, uint8_t out[CL_BLIND_LEN],
                    const char *domain, const uint8_t *value, size_t len)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, s->keys->index, CL_KEY_LEN, CL_BLIND_LEN);
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, value, len);
    crypto_generichash_final(&st, out, CL_BLIND_LEN);
    sodium_memzero(&st, sizeof(st));
}

/* --- open / close --------------------------------------------------------- */

static int s_derive(cl_store *s, const uint8_t master[CL_MASTER_KEY_LEN])
{
    s->keys = sodium_malloc(sizeof(*s->keys));
    if (!s->keys)
        return CL_ERR_NOMEM;
    for (uint32_t v = 1; v <= CL_STORE_KEY_VERSIONS; v++)
        crypto_kdf_derive_from_key(s->keys->data[v], CL_KEY_LEN, v, "cl-data_",
                                   master);
    crypto_kdf_derive_from_key(s->keys->index, CL_KEY_LEN, 1, "cl-index",
                               master);
    crypto_kdf_derive_from_key(s->keys->repl, CL_KEY_LEN, 1, "cl-repl_",
                               master);
    crypto_kdf_derive_from_key(s->keys->ix_mac, CL_KEY_LEN, 1, "cl-ixmac",
                               master);
    crypto_kdf_derive_from_key(s->keys->ix_enc, CL_KEY_LEN, 1, "cl-ixenc",
                               master);
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_kdf_derive_from_key(seed, sizeof(seed), 1, "cl-audit", master);
    crypto_sign_seed_keypair(s->keys->sign_pk, s->keys->sign_sk, seed);
    sodium_memzero(seed, sizeof(seed));
    sodium_mprotect_readonly(s->keys);
    return CL_OK;
}

/* Open every sub-database and check (or plant) the key check value. */
static int s_init_dbs(cl_store *s)
{
    cl_txn *t = NULL;
    uint8_t buf[64];
    size_t len;
    int rc = cl_store_begin(&t, s, NULL, true);
    if (rc != CL_OK)
        return rc;
    for (int i = 0; i < CL_DB_COUNT; i++) {
        if (!cl_store__dbs[i].name) { /* a programming error: refuse to run */
            rc = CL_ERR_INTERNAL;
            goto out;
        }
        int mrc =
            mdb_dbi_open(t->txn, cl_store__dbs[i].name, MDB_CREATE, &s->dbi[i]);
        if (mrc != MDB_SUCCESS) {
            rc = cl_store__mdb_err(mrc);
            goto out;
        }
    }
    rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"keyversion", 10, buf,
                          sizeof(buf), &len);
    if (rc == CL_OK && len == 4)
        s->key_version = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                         (uint32_t)buf[2] << 8 | buf[3];
    else if (rc == CL_ERR_NOT_FOUND)
        s->key_version = 1;
    else
        goto out;
    if (cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"retired", 7, buf,
                         sizeof(buf), &len) == CL_OK &&
        len == 4)
        s->retired = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                     (uint32_t)buf[2] << 8 | buf[3];
    if (s->key_version == 0 || s->key_version > CL_STORE_KEY_VERSIONS) {
        rc = CL_ERR_CORRUPT;
        goto out;
    }
    /* The key check lives in the idempotency db under a reserved key so
     * that it is sealed like any value. */
    rc = cl_store_get(t, CL_DB_IDEMPOTENCY, (const uint8_t *)"keycheck", 8, buf,
                      sizeof(buf), &len);
    if (rc == CL_ERR_NOT_FOUND) {
        rc = cl_store_put(t, CL_DB_IDEMPOTENCY, (const uint8_t *)"keycheck", 8,
                          (const uint8_t *)s_keycheck, sizeof(s_keycheck));
    } else if (rc == CL_ERR_CORRUPT ||
               (rc == CL_OK && (len != sizeof(s_keycheck) ||
                                memcmp(buf, s_keycheck, len) != 0))) {
        rc = CL_ERR_KEY;
        goto out;
    }
    if (rc == CL_OK)
        rc = s_ix_upgrade(t);
    if (rc == CL_OK)
        rc = cl_store__floor_apply(s, t);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
out:
    cl_store_abort(&t);
    return rc;
}

int cl_store_open(cl_store **out, const char *dir,
                  const uint8_t master[CL_MASTER_KEY_LEN], size_t map_bytes)
{
    int rc;
    int dead = 0;
    cl_store *s = calloc(1, sizeof(*s));
    if (!s)
        return CL_ERR_NOMEM;
    cl_seal_nonces_init(&s->nonces);
    if ((rc = s_derive(s, master)) != CL_OK)
        goto fail;
    rc = mdb_env_create(&s->env);
    if (rc != MDB_SUCCESS) {
        rc = cl_store__mdb_err(rc);
        goto fail;
    }
    s->map_bytes = map_bytes;
    mdb_env_set_maxdbs(s->env, CL_DB_COUNT + 4);
    mdb_env_set_mapsize(s->env, map_bytes);
    mdb_env_set_maxreaders(s->env, 126);
    rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
    if (rc != MDB_SUCCESS) {
        rc = rc == EACCES || rc == EROFS || rc == EPERM ? CL_ERR_PERM
             : rc == ENOENT                             ? CL_ERR_IO
                                                        : cl_store__mdb_err(rc);
        goto fail;
    }
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) == MDB_SUCCESS &&
        info.me_mapsize > s->map_bytes)
        s->map_bytes = info.me_mapsize;
    mdb_reader_check(s->env, &dead);
    if ((rc = cl_store__floor_load(s, dir)) != CL_OK)
        goto fail;
    if ((rc = s_init_dbs(s)) != CL_OK)
        goto fail;
    *out = s;
    return CL_OK;
fail:
    cl_store_close(&s);
    return rc;
}

void cl_store_close(cl_store **sp)
{
    if (!sp || !*sp)
        return;
    cl_store *s = *sp;
    if (s->env)
        mdb_env_close(s->env);
    sodium_free(s->keys);
    free(s);
    *sp = NULL;
}

int cl_store_grow(cl_store *s, size_t max_bytes)
{
    if (s->map_bytes >= max_bytes)
        return CL_ERR_FULL;
    size_t next = s->map_bytes * 2;
    if (next > max_bytes)
        next = max_bytes;
    int rc = mdb_env_set_mapsize(s->env, next);
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    s->map_bytes = next;
    return CL_OK;
}

int cl_store_stats_get(cl_store *s, cl_store_stats *out)
{
    MDB_envinfo info;
    MDB_stat st;
    MDB_txn *txn = NULL;
    memset(out, 0, sizeof(*out));
    if (mdb_env_info(s->env, &info) != MDB_SUCCESS ||
        mdb_env_stat(s->env, &st) != MDB_SUCCESS)
        return CL_ERR_INTERNAL;
    out->map_bytes = info.me_mapsize;
    out->used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS)
        return CL_ERR_INTERNAL;
    for (int i = 0; i < CL_DB_COUNT; i++)
        if (mdb_stat(txn, s->dbi[i], &st) == MDB_SUCCESS)
            out->entries[i] = st.ms_entries;
    mdb_txn_abort(txn);
    return CL_OK;
}

void cl_store_audit_sign(const cl_store *s, uint8_t sig[CL_SIGN_LEN],
                         const uint8_t *msg, size_t len)
{
    crypto_sign_detached(sig, NULL, msg, len, s->keys->sign_sk);
}

void cl_store_audit_pk(const cl_store *s, uint8_t pk[CL_SIGN_PK_LEN])
{
    memcpy(pk, s->keys->sign_pk, CL_SIGN_PK_LEN);
}

const char *cl_store_db_name(cl_db db)
{
    return db < CL_DB_COUNT ? cl_store__dbs[db].name : "?";
}

/* --- key rotation --------------------------------------------------------- */

static int s_meta_u32(cl_txn *t, const char *name, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)name, strlen(name),
                            b, 4);
}

uint32_t cl_store_key_version(const cl_store *s)
{
    return s->key_version;
}

int cl_store_rotate(cl_txn *t, uint32_t *new_version)
{
    uint32_t v = cl_store__txn_version(t) + 1;
    if (v > CL_STORE_KEY_VERSIONS)
        return CL_ERR_FULL;
    int rc = s_meta_u32(t, "keyversion", v);
    if (rc == CL_OK) {
        t->key_version = v;
        *new_version = v;
    }
    return rc;
}

int cl_store_key_usage(cl_txn *t, uint64_t counts[CL_STORE_KEY_VERSIONS + 1],
                       uint32_t *retired)
{
    memset(counts, 0, sizeof(uint64_t) * (CL_STORE_KEY_VERSIONS + 1));
    *retired = t->store->retired | t->retired;
    for (int db = 0; db < CL_DB_COUNT; db++) {
        if (!cl_store__dbs[db].sealed)
            continue;
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        int rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
        if (rc != MDB_SUCCESS)
            return cl_store__mdb_err(rc);
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint32_t ver;
            if (cl_seal_version(&ver, v.mv_data, v.mv_size) == CL_OK &&
                ver >= 1 && ver <= CL_STORE_KEY_VERSIONS)
                counts[ver]++;
        }
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND)
            return cl_store__mdb_err(rc);
    }
    return CL_OK;
}

int cl_store_retire(cl_txn *t, uint32_t v)
{
    uint64_t counts[CL_STORE_KEY_VERSIONS + 1];
    uint32_t retired;
    if (v == 0 || v > CL_STORE_KEY_VERSIONS || v == cl_store__txn_version(t))
        return CL_ERR_INVALID;
    int rc = cl_store_key_usage(t, counts, &retired);
    if (rc != CL_OK)
        return rc;
    if (counts[v])
        return CL_ERR_EXISTS;
    retired |= 1u << v;
    rc = s_meta_u32(t, "retired", retired);
    if (rc == CL_OK)
        t->retired |= 1u << v;
    return rc;
}

int cl_store_reseal(cl_txn *t, cl_reseal_pos *pos, size_t max, size_t *done)
{
    uint32_t cur_ver = cl_store__txn_version(t);
    uint8_t *plain = NULL;
    int rc = CL_OK;
    *done = 0;
    plain = malloc(CL_STORE_MAX_VALUE);
    if (!plain)
        return CL_ERR_NOMEM;
    while (pos->db < CL_DB_COUNT && *done < max && rc == CL_OK) {
        if (!cl_store__dbs[pos->db].sealed) {
            pos->db++;
            pos->key_len = 0;
            continue;
        }
        /* Find the next value sealed with another version. */
        MDB_cursor *cur = NULL;
        MDB_val k = {pos->key_len, pos->key}, v;
        int mrc = mdb_cursor_open(t->txn, t->store->dbi[pos->db], &cur);
        if (mrc != MDB_SUCCESS) {
            rc = cl_store__mdb_err(mrc);
            break;
        }
        mrc = mdb_cursor_get(cur, &k, &v,
                             pos->key_len ? MDB_SET_RANGE : MDB_FIRST);
        bool found = false;
        while (mrc == MDB_SUCCESS) {
            uint32_t ver;
            if (cl_seal_version(&ver, v.mv_data, v.mv_size) == CL_OK &&
                ver != cur_ver && k.mv_size <= sizeof(pos->key)) {
                found = true;
                memcpy(pos->key, k.mv_data, k.mv_size);
                pos->key_len = k.mv_size;
                break;
            }
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(cur);
        if (!found) {
            if (mrc != MDB_NOTFOUND && mrc != MDB_SUCCESS) {
                rc = cl_store__mdb_err(mrc);
                break;
            }
            pos->db++;
            pos->key_len = 0;
            continue;
        }
        size_t len = 0;
        rc = cl_store_get(t, (cl_db)pos->db, pos->key, pos->key_len, plain,
                          CL_STORE_MAX_VALUE, &len);
        if (rc == CL_OK)
            rc = cl_store_put(t, (cl_db)pos->db, pos->key, pos->key_len, plain,
                              len);
        sodium_memzero(plain, len);
        if (rc == CL_OK)
            (*done)++;
        /* next key: this one + a zero byte sorts right after it */
        if (pos->key_len < sizeof(pos->key))
            pos->key[pos->key_len++] = 0;
    }
    free(plain);
    return rc;
}

int cl_store_backup(cl_store *s, const char *dir, uint64_t *bytes)
{
    char path[4200];
    struct stat st;
    int rc = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT);
    if (rc != MDB_SUCCESS)
        return rc == EEXIST ? CL_ERR_EXISTS : cl_store__mdb_err(rc);
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    *bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    return CL_OK;
}

/* --- change capture and apply -------------------------------------------- */

/* Where the applied stream sequence lives: META, written outside the
 * capture (it is the node's position in the log, not part of a batch). */
static const char s_applied_key[] = "repl:applied";

void cl_store_capture(cl_store *s, bool on)
{
    s->capture = on;
}

int cl_store_changes(cl_txn *t, uint64_t prev, const uint8_t **batch,
                     size_t *len, size_t *count)
{
    cl_store__capture *c = t->cap;
    if (t->parent || !t->write || !c)
        return CL_ERR_INVALID;
    if (c->err)
        return c->err;
    if (c->len + S_BATCH_MAC > c->cap) {
        uint8_t *nb = realloc(c->buf, c->len + S_BATCH_MAC);
        if (!nb)
            return CL_ERR_NOMEM;
        c->buf = nb;
        c->cap = c->len + S_BATCH_MAC;
    }
    uint32_t n = c->count;
    for (int i = 0; i < 4; i++)
        c->buf[4 + i] = (uint8_t)(n >> (8 * (3 - i)));
    for (int i = 0; i < 8; i++)
        c->buf[8 + i] = (uint8_t)(prev >> (8 * (7 - i)));
    crypto_generichash(c->buf + c->len, S_BATCH_MAC, c->buf, c->len,
                       t->store->keys->repl, CL_KEY_LEN);
    *batch = c->buf;
    *len = c->len + S_BATCH_MAC; /* the MAC is rewritten on each call */
    *count = n;
    return CL_OK;
}

int cl_store_applied(cl_txn *t, uint64_t *seq)
{
    MDB_val k = {sizeof(s_applied_key) - 1, (void *)s_applied_key}, v;
    int rc = mdb_get(t->txn, t->store->dbi[CL_DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        *seq = 0;
        return CL_OK;
    }
    if (rc != MDB_SUCCESS)
        return cl_store__mdb_err(rc);
    if (v.mv_size != 8)
        return CL_ERR_CORRUPT;
    const uint8_t *b = v.mv_data;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | b[i];
    *seq = x;
    return CL_OK;
}

int cl_store_set_applied(cl_txn *t, uint64_t seq)
{
    uint8_t b[8];
    if (!t->write)
        return CL_ERR_INVALID;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(seq >> (8 * (7 - i)));
    MDB_val k = {sizeof(s_applied_key) - 1, (void *)s_applied_key};
    MDB_val v = {8, b};
    int rc = cl_store__mdb_err(
        mdb_put(t->txn, t->store->dbi[CL_DB_META], &k, &v, 0));
    if (rc == CL_OK)
        t->sequenced = true;
    return rc;
}

static int s_db_by_name(const uint8_t *name, size_t len)
{
    for (int i = 0; i < CL_DB_COUNT; i++)
        if (strlen(cl_store__dbs[i].name) == len &&
            !memcmp(cl_store__dbs[i].name, name, len))
            return i;
    return -1;
}

/* Apply one batch's records with raw LMDB calls (sealed values go in as
 * they are: the same master key opens them), bypassing the capture. */
static int s_apply_records(cl_txn *t, const uint8_t *b, size_t len,
                           uint64_t seq)
{
    uint8_t mac[S_BATCH_MAC];
    uint64_t prev = 0;
    if (len < S_BATCH_HEADER + S_BATCH_MAC || memcmp(b, S_BATCH_MAGIC, 4))
        return CL_ERR_CORRUPT;
    len -= S_BATCH_MAC;
    crypto_generichash(mac, sizeof(mac), b, len, t->store->keys->repl,
                       CL_KEY_LEN);
    if (crypto_verify_32(mac, b + len) != 0)
        return CL_ERR_CORRUPT; /* forged, damaged, or another master key */
    for (int i = 0; i < 8; i++)
        prev = prev << 8 | b[8 + i];
    if (prev + 1 != seq)
        return CL_ERR_CORRUPT; /* a genuine batch replayed elsewhere */
    uint32_t n = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
                 (uint32_t)b[6] << 8 | b[7];
    size_t off = S_BATCH_HEADER;
    for (uint32_t i = 0; i < n; i++) {
        if (len - off < 2)
            return CL_ERR_CORRUPT;
        int op = b[off];
        size_t name_len = b[off + 1];
        off += 2;
        if ((op != CL_STORE_OP_PUT && op != CL_STORE_OP_DEL) ||
            len - off < name_len + 2)
            return CL_ERR_CORRUPT;
        int db = s_db_by_name(b + off, name_len);
        if (db < 0)
            return CL_ERR_CORRUPT; /* a sub-database this build lacks */
        off += name_len;
        size_t key_len = (size_t)b[off] << 8 | b[off + 1];
        off += 2;
        if (key_len == 0 || key_len > S_KEY_MAX || len - off < key_len)
            return CL_ERR_CORRUPT;
        MDB_val k = {key_len, (void *)(b + off)};
        off += key_len;
        int mrc;
        if (op == CL_STORE_OP_PUT) {
            if (len - off < 4)
                return CL_ERR_CORRUPT;
            size_t vl = (size_t)b[off] << 24 | (size_t)b[off + 1] << 16 |
                        (size_t)b[off + 2] << 8 | b[off + 3];
            off += 4;
            if (vl > CL_STORE_MAX_VALUE + CL_SEAL_OVERHEAD || len - off < vl)
                return CL_ERR_CORRUPT;
            MDB_val v = {vl, (void *)(b + off)};
            off += vl;
            mrc = mdb_put(t->txn, t->store->dbi[db], &k, &v, 0);
        } else {
            mrc = mdb_del(t->txn, t->store->dbi[db], &k, NULL);
            if (mrc == MDB_NOTFOUND)
                mrc = MDB_SUCCESS;
        }
        if (mrc != MDB_SUCCESS)
            return cl_store__mdb_err(mrc);
    }
    return off == len ? CL_OK : CL_ERR_CORRUPT;
}

int cl_store_apply(cl_txn *t, const uint8_t *batch, size_t len, uint64_t seq)
{
    uint64_t applied;
    uint8_t buf[8];
    size_t vlen;
    if (t->parent || !t->write || seq == 0)
        return CL_ERR_INVALID;
    int rc = cl_store_applied(t, &applied);
    if (rc != CL_OK)
        return rc;
    if (seq <= applied)
        return CL_ERR_EXISTS;
    if ((rc = s_apply_records(t, batch, len, seq)) != CL_OK)
        return rc;
    /* A rotation or retirement in the batch takes effect with the commit,
     * as it did where it was made. */
    if (cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"keyversion", 10, buf,
                         sizeof(buf), &vlen) == CL_OK &&
        vlen == 4) {
        uint32_t v = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                     (uint32_t)buf[2] << 8 | buf[3];
        if (v == 0 || v > CL_STORE_KEY_VERSIONS)
            return CL_ERR_CORRUPT;
        if (v != t->store->key_version)
            t->key_version = v;
    }
    if (cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"retired", 7, buf,
                         sizeof(buf), &vlen) == CL_OK &&
        vlen == 4)
        t->retired = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                     (uint32_t)buf[2] << 8 | buf[3];
    return cl_store_set_applied(t, seq);
}

int cl_store_digest(cl_txn *t, uint8_t out[CL_STORE_DIGEST_LEN])
{
    crypto_generichash_state st;
    uint8_t *plain = malloc(CL_STORE_MAX_VALUE);
    int rc = CL_OK;
    if (!plain)
        return CL_ERR_NOMEM;
    crypto_generichash_init(&st, NULL, 0, CL_STORE_DIGEST_LEN);
    for (int db = 0; db < CL_DB_COUNT && rc == CL_OK; db++) {
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        int mrc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
        if (mrc != MDB_SUCCESS) {
            rc = cl_store__mdb_err(mrc);
            break;
        }
        crypto_generichash_update(&st, (const uint8_t *)cl_store__dbs[db].name,
                                  strlen(cl_store__dbs[db].name) + 1);
        for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == MDB_SUCCESS;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint8_t lens[8];
            size_t plen = v.mv_size;
            const uint8_t *val = v.mv_data;
            if (db == CL_DB_META && k.mv_size == 16 &&
                !memcmp(k.mv_data, "floor-generation", 16))
                continue; /* the node's own (cl_store_generation_bump) */
            if (cl_store__dbs[db].sealed) {
                rc = cl_store_get(t, (cl_db)db, k.mv_data, k.mv_size, plain,
                                  CL_STORE_MAX_VALUE, &plen);
                if (rc != CL_OK)
                    break;
                val = plain;
            }
            for (int i = 0; i < 4; i++) {
                lens[i] = (uint8_t)(k.mv_size >> (8 * (3 - i)));
                lens[4 + i] = (uint8_t)(plen >> (8 * (3 - i)));
            }
            crypto_generichash_update(&st, lens, 8);
            crypto_generichash_update(&st, k.mv_data, k.mv_size);
            crypto_generichash_update(&st, val, plen);
            sodium_memzero(plain, plen);
        }
        mdb_cursor_close(cur);
        if (rc == CL_OK && mrc != MDB_NOTFOUND)
            rc = cl_store__mdb_err(mrc);
    }
    crypto_generichash_final(&st, out, CL_STORE_DIGEST_LEN);
    free(plain);
    return rc;
}
