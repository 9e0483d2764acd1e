/*
 * store_int: what the store's own files share, and nobody else may use
 * (store.c: environment, transactions, values, authenticated rows, open;
 * keyfile.c; idfloor.c; rotate.c; capture.c). Names with a double
 * underscore are internal to the store library.
 */
#ifndef CL_STORE_INT_H
#define CL_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>

#include "seal.h"
#include "store.h"

/* The length of a master key's id (keyfile.c). */
#define CL_KEY_ID_LEN 16

/* A sub-database's row in the table below. */
typedef struct cl_store__db {
    const char *name;
    bool sealed;
    uint8_t group; /* 0: no group digest */
    bool uncached; /* never kept in the clear by vcache.c (replies) */
} cl_store__db;

/* Every sub-database by enum value (store.c). */
extern const cl_store__db cl_store__dbs[CL_DB_COUNT];

/* The epochs a keyring can hold: one per live data key version, and the
 * one before the oldest (whose range it may share). */
#define CL_STORE__EPOCHS (CL_STORE_KEY_VERSIONS + 1)

/* Former checkpoint signing keys a keyring keeps (the newest). */
#define CL_STORE__FORMER 32

typedef struct cl_store__keys {
    /* the data key of each live version v, at v % CL_STORE_KEY_VERSIONS
     * (live versions span fewer than CL_STORE_KEY_VERSIONS: see rotate.c) */
    uint8_t data[CL_STORE_KEY_VERSIONS][CL_KEY_LEN];
    uint8_t index[CL_KEY_LEN];
    uint8_t repl[CL_KEY_LEN];   /* authenticates replication batches */
    uint8_t ix_mac[CL_KEY_LEN]; /* index rows: tag over db, key, value */
    uint8_t ix_enc[CL_KEY_LEN]; /* index rows: value cipher (SIV) */
    uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES]; /* audit checkpoints */
    uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
    uint8_t sign_seed[crypto_sign_SEEDBYTES]; /* drawn at a replacement
                                                 (zeros: from the root) */
    uint8_t n_former; /* public keys that signed before a replacement */
    uint8_t former[CL_STORE__FORMER][crypto_sign_PUBLICKEYBYTES];
    /* the index generation (reindex.c): 0, index-row and replication
     * keys from the root; from 1, from ixsec, drawn at random by each
     * re-indexing, and blind indexes put through a permutation keyed from
     * it (keyfile.c), so that the root (a former master key) derives none
     * of them */
    uint32_t ixgen;
    uint8_t ixsec[CL_KEY_LEN];
    uint8_t ixperm[CL_KEY_LEN];   /* the blind permutation's key */
    uint8_t ixkid[CL_KEY_ID_LEN]; /* the master key it was drawn under */
    uint8_t root[CL_KEY_LEN];     /* the keys above derive from it ... */
    uint8_t n_epochs;             /* ... but data keys from version from[i] */
    uint32_t from[CL_STORE__EPOCHS]; /* on from epoch[i] (ascending) */
    uint8_t epoch[CL_STORE__EPOCHS][CL_KEY_LEN];
    uint8_t kid[CL_KEY_ID_LEN]; /* names the master key that opens it */
    /* BLAKE2b keyed with index and with ix_mac, made whenever those are
     * (cl_store__ixk_hashes): each blind index and index-row tag starts
     * from a copy instead of keying its own (a match makes dozens) */
    crypto_generichash_state blind_st, ixmac_st;
} cl_store__keys;

/* The replay records' table (replay.c): where each blind index's record
 * is, by its first 32 bits and the second it was written. */
typedef struct cl_store__replay {
    uint64_t *slot;       /* fingerprint << 32 | second; 0: empty */
    size_t cap;           /* slots, a power of two */
    size_t used;          /* slots filled */
    bool built;           /* false: rebuilt from the rows at next use */
    int64_t legacy_until; /* older records looked up until then (0: none) */
} cl_store__replay;

/* Sealed values a write transaction put or read, in the clear until it
 * ends (vcache.c): read again without LMDB or the cipher. */
#define CL_STORE__VC_N   128
#define CL_STORE__VC_KEY 24
#define CL_STORE__VC_VAL 1024
typedef struct cl_store__vent {
    uint64_t serial; /* the transaction that put it (0: empty) */
    uint8_t db;
    uint8_t key_len;
    uint16_t val_len;
    uint8_t key[CL_STORE__VC_KEY];
} cl_store__vent;

typedef struct cl_store__vcache {
    cl_store__vent e[CL_STORE__VC_N];
    uint8_t *vals;    /* CL_STORE__VC_N values (locked memory, the store's
                         vc_spare lent); NULL until a put */
    cl_store *lender; /* whose vc_spare vals goes back to */
    uint64_t
        next_serial; /* the last serial handed out (64 bits: never wraps) */
} cl_store__vcache;

struct cl_store {
    MDB_env *env;             /* the environment */
    MDB_dbi dbi[CL_DB_COUNT]; /* sub-database handles */
    cl_store__keys *keys;     /* sodium_malloc'd */
    cl_store__keys *keys_was; /* before a rekey not yet committed, or NULL */
    cl_txn *keys_txn;         /* the transaction that holds that rekey */
    uint32_t key_version;     /* version new values are sealed with */
    uint64_t tainted;         /* tables (1 << db) whose total verify found
                                 not to be the anchor's: group reads fail */
    uint64_t retired;         /* retired versions (cl_store__retired_pack), read
                                 by readers' threads: atomic */
    size_t map_bytes;         /* current map size */
    bool capture;             /* record each write transaction's changes */
    uint64_t changes;         /* rows put or deleted by any write
                                 transaction so far (cl_store_rows_changed) */
    cl_seal_nonces nonces;    /* one nonce per sealed value, no syscall */
    char floor_path[4200];    /* the id floor, beside data.mdb */
    size_t n_floor;           /* counters in it */
    struct {
        char name[48];
        uint64_t reserved; /* ids up to this may have been handed out */
    } floor[64];
    uint32_t floor_raised;        /* counters moved forward at open */
    uint64_t floor_lost;          /* generation of a data file whose id
                                   * floor file is missing, else 0 */
    uint64_t floor_gen;           /* generation, as in the id-floor file */
    bool floor_has_gen;           /* the file named one */
    cl_store__replay replay;      /* writer thread only */
    struct cl_store__dent *dseen; /* digests as committed (digcache.c) */
    /* the sequential log and the transaction held open (hold.c) */
    struct cl_wal *log;     /* NULL: off */
    MDB_txn *hold;          /* the held transaction (the owner's) */
    pthread_t log_owner;    /* the thread whose transactions nest in it */
    bool log_owned;         /* log_owner is set (atomic) */
    bool log_direct;        /* begin LMDB's own (replaying the log) */
    uint32_t log_held;      /* hold open or lost: others may not write
                               (atomic) */
    bool log_lost;          /* hold gone uncommitted: rebuilt from the log */
    uint64_t log_seq;       /* the last sequence logged */
    uint64_t hold_since_us; /* its first batch (atomic) */
    uint64_t log_max_bytes; /* committed past this much log ... */
    uint64_t log_max_us;    /* ... or this long after its first batch */
    cl_store_log_stats log_stats;
    struct cl_wal *log_prev;       /* the other file: the held commit before's
                                      batches, until its sync (hold.c) */
    struct cl_store__msync *msync; /* LMDB's sync off the writer (mdbsync.c) */
    cl_store__vcache hvc; /* the held one's batches' values (vcache.c) */
    uint8_t *vc_spare;    /* a wiped values block to lend (atomic) */
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

/* Group digests a write transaction changed and has not written yet
 * (digcache.c): ixdigest key -> count and XOR of row tags. */
#define CL_STORE__TAG      16  /* an index row's tag */
#define CL_STORE__IX_MAX   256 /* an index row's largest value */
#define CL_STORE__DKEY_MAX 48  /* sub-database name NUL group prefix */
typedef struct cl_store__dent {
    uint8_t key[CL_STORE__DKEY_MAX];
    uint8_t key_len;
    bool used;
    bool dirty; /* differs from what the transaction's LMDB view holds */
    uint64_t count;
    uint8_t x[CL_STORE__TAG];
} cl_store__dent;

typedef struct cl_store__dcache {
    cl_store__dent *v; /* cap slots, a power of two, at most half used */
    size_t n;
    size_t cap;
} cl_store__dcache;

struct cl_txn {
    cl_store *store;        /* owner */
    cl_txn *parent;         /* enclosing transaction, or NULL */
    MDB_txn *txn;           /* LMDB transaction */
    bool write;             /* read-write */
    uint32_t key_version;   /* rotated to, effective on commit (0: none) */
    uint64_t retired;       /* retired versions as set here, effective on
                               commit (0: unchanged) */
    cl_store__capture *cap; /* the root's change capture, or NULL */
    bool sequenced;         /* cl_store_set_applied was called (root only) */
    size_t cap_mark;        /* its length and count when this one began */
    uint32_t cap_count;
    cl_store__dcache dc; /* digests changed here, not yet written */
    uint64_t serial;     /* 1 at the top, then one per nested begin */
    bool applied;        /* a replication batch was applied (the top's) */
    bool held;           /* top-level, nested in the held one (hold.c) */
    bool logged;         /* ... and its batch is in the log */
    cl_store__vcache vc; /* the top's, unless held (vcache.c) */
};

/* Authenticated rows (store.c): whether db's rows are index rows sealed
 * as tag || value (every unsealed sub-database but meta); check one
 * group's stored rows (prefix: the group's, cl_store__dbs[db].group long)
 * against its digest row, CL_ERR_CORRUPT if a row was deleted, added or
 * replayed, calling each (if not NULL) for every row walked: an error
 * from it stops the walk and is returned. */
bool cl_store__authed(cl_db db);
/* A row read by a scan: an index row must authenticate (CL_ERR_CORRUPT). */
CL_NODISCARD int cl_store__row_check(cl_txn *t, cl_db db, const MDB_val *k,
                                     const MDB_val *v);
typedef int (*cl_store__row_fn)(void *ctx, cl_txn *t, cl_db db,
                                const MDB_val *k, const MDB_val *v);
CL_NODISCARD int cl_store__group_check(cl_txn *t, cl_db db,
                                       const uint8_t *prefix,
                                       cl_store__row_fn each, void *ctx);

/* The value cache (vcache.c), for a write transaction t: the cache t
 * uses (its outermost transaction's, or the held one's: hvc); the serial
 * for a transaction beginning in it; remember, forget or read back a
 * sealed value t (or a transaction nested in it) put or read; drop what t
 * and its children put or read (t aborted); drop every entry; free. */
cl_store__vcache *cl_store__vc_of(cl_txn *t);
uint64_t cl_store__vc_serial(cl_txn *t);
void cl_store__vc_put(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                      const uint8_t *val, size_t val_len);
void cl_store__vc_del(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len);
bool cl_store__vc_get(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                      uint8_t *buf, size_t cap, size_t *val_len);
void cl_store__vc_undo(cl_txn *t);
void cl_store__vc_clear(cl_store__vcache *c);
void cl_store__vc_free(cl_store__vcache *c);
void cl_store__vc_spare_free(cl_store *s); /* at close */

/* The digest cache (digcache.c). The _h forms take the key's hash
 * (cl_store__dkey_hash), worked out once for every table looked in. */
uint64_t cl_store__dkey_hash(const uint8_t *key, size_t key_len);
cl_store__dent *cl_store__dc_find(cl_store__dcache *c, const uint8_t *key,
                                  size_t key_len);
cl_store__dent *cl_store__dc_find_h(cl_store__dcache *c, const uint8_t *key,
                                    size_t key_len, uint64_t h);
CL_NODISCARD int cl_store__dc_set_h(cl_store__dcache *c, const uint8_t *key,
                                    size_t key_len, uint64_t h, uint64_t count,
                                    const uint8_t x[CL_STORE__TAG], bool dirty);
CL_NODISCARD int cl_store__dc_reserve(cl_store__dcache *c, size_t want);
CL_NODISCARD int cl_store__dc_set(cl_store__dcache *c, const uint8_t *key,
                                  size_t key_len, uint64_t count,
                                  const uint8_t x[CL_STORE__TAG], bool dirty);
CL_NODISCARD int cl_store__dc_merge(cl_store__dcache *parent,
                                    const cl_store__dcache *child);
void cl_store__dc_free(cl_store__dcache *c);

/* The digests as committed, for write transactions (digcache.c): find,
 * keep, forget one; keep every digest of a committed transaction's
 * cache; forget them all. */
const cl_store__dent *cl_store__ds_find(cl_store *s, const uint8_t *key,
                                        size_t key_len);
const cl_store__dent *cl_store__ds_find_h(cl_store *s, const uint8_t *key,
                                          size_t key_len, uint64_t h);
void cl_store__ds_set_h(cl_store *s, const uint8_t *key, size_t key_len,
                        uint64_t h, uint64_t count,
                        const uint8_t x[CL_STORE__TAG]);
void cl_store__ds_set(cl_store *s, const uint8_t *key, size_t key_len,
                      uint64_t count, const uint8_t x[CL_STORE__TAG]);
void cl_store__ds_forget(cl_store *s, const uint8_t *key, size_t key_len);
void cl_store__ds_publish(cl_store *s, const cl_store__dcache *c);
void cl_store__ds_free(cl_store *s);

/* store.c: write every digest t sees changed into t's LMDB view (before
 * its changes are captured, counted by version or committed). */
CL_NODISCARD int cl_store__digest_flush(cl_txn *t);

/* A change capture record's operation. */
#define CL_STORE_OP_PUT 1
#define CL_STORE_OP_DEL 2

/* An MDB_* or errno code as a cl_err (dbs.c): ENOSPC and EDQUOT are
 * CL_ERR_NOSPACE. */
int cl_store__mdb_err(int rc);

/* The errno of a failed write, sync, truncate or rename of the store's
 * own files as a cl_err (dbs.c): CL_ERR_NOSPACE for a full disk (ENOSPC,
 * EDQUOT), else CL_ERR_IO. */
int cl_store__io_err(int e);

/* The same for a failed commit of s's LMDB transaction (dbs.c): an EIO
 * with (almost) no room left where the data file is, as LMDB reports a
 * short write, is CL_ERR_NOSPACE too. */
int cl_store__commit_err(const cl_store *s, int rc);

/* The version new values are sealed with inside t. */
uint32_t cl_store__txn_version(const cl_txn *t);

/* Change capture (capture.c). */
CL_NODISCARD int cl_store__capture_new(cl_store__capture **out);
void cl_store__capture_free(cl_store__capture **cp);
void cl_store__capture_truncate(cl_txn *t);
void cl_store__capture_add(cl_txn *t, int op, cl_db db, const uint8_t *key,
                           size_t key_len, const void *val, size_t val_len);

/* keyfile.c, for open.c: derive every key of s from root, replacing any
 * it had. */
CL_NODISCARD int cl_store__derive(cl_store *s, const uint8_t root[CL_KEY_LEN]);

/* keyfile.c, for open.c, in the first transaction: the store's root key.
 * Unwrapped from meta "keyring" with master (CL_ERR_KEY if master does not
 * unwrap it); for a new store made at random and wrapped under master;
 * for a store from before the keyring, master itself. The keys of s are
 * derived from it when it is not master (they were, from master). */
CL_NODISCARD int
cl_store__keyring_open(cl_store *s, cl_txn *t,
                       const uint8_t master[CL_MASTER_KEY_LEN]);

/* store.c: transaction t ended (committed: its parent takes a rekey it
 * holds, or at the top it stands; aborted: the keys as they were). */
void cl_store__keys_settle(cl_txn *t, bool committed);

/* Retired data key versions, packed in 64 bits: every version below
 * floor, and version v >= floor where bit (v - floor + 1) of mask is set
 * (a store from before floors: floor 1, so bit v as it was). */
#define CL_STORE__RETIRED(floor, mask)                                         \
    ((uint64_t)(floor) << 32 | (uint32_t)(mask))
#define CL_STORE__FLOOR(r) ((uint32_t)((r) >> 32) ? (uint32_t)((r) >> 32) : 1)
#define CL_STORE__MASK(r)  ((uint32_t)(r))

/* keyver.c: is version v retired in packed state r? */
bool cl_store__is_retired(uint64_t r, uint32_t v);

/* keyver.c: the retired state as t sees it. */
uint64_t cl_store__txn_retired(const cl_txn *t);

/* rotate.c: read meta "keyversion", "retired" and "keyfloor" as t sees
 * them into *version and *retired (absent: 1 and nothing retired);
 * CL_ERR_CORRUPT if they contradict each other. */
CL_NODISCARD int cl_store__key_state(cl_txn *t, uint32_t *version,
                                     uint64_t *retired);

/* keyfile.c: derive the data key of version v into its slot (keys must
 * be writable). */
void cl_store__data_key(cl_store__keys *k, uint32_t v);

/* rotate.c: the same for s's keys (made writable for it). */
void cl_store__data_key_set(cl_store *s, uint32_t v);

/* keyfile.c, for rotate.c: a random epoch key for the data keys from
 * version `from` on, the master key's id that of master (s->keys); the
 * epochs of versions below floor (all retired) are dropped. CL_ERR_FULL
 * if the ring has no room (not reached: one epoch per live version). */
CL_NODISCARD int cl_store__epoch_add(cl_store *s, uint32_t from, uint32_t floor,
                                     const uint8_t master[CL_MASTER_KEY_LEN]);

/* keyfile.c, for rotate.c: write meta "keyring": t's store's root and
 * epochs wrapped under master. */
CL_NODISCARD int cl_store__ring_put(cl_txn *t,
                                    const uint8_t master[CL_MASTER_KEY_LEN]);

/* The id floor (idfloor.c): read at open, applied in the first
 * transaction. */
CL_NODISCARD int cl_store__floor_load(cl_store *s, const char *dir);
CL_NODISCARD int cl_store__floor_apply(cl_store *s, cl_txn *t);

/* store.c, for open.c: authenticate every index row of a store written
 * before rows were, and build the digests, once, in transaction t. */
CL_NODISCARD int cl_store__ix_upgrade(cl_txn *t);

/* store.c, for open.c: build the digests of a sub-database grouped since
 * the store was written (meta "ixgroups"), once, in transaction t. */
CL_NODISCARD int cl_store__ix_regroup(cl_txn *t);

/* replay.c: the table no longer follows the rows (a batch was applied):
 * rebuild it at next use; and free it (close). */
void cl_store__replay_forget(cl_store *s);
void cl_store__replay_free(cl_store *s);

/* ixseal.c: k's keyed BLAKE2b states (blind_st, ixmac_st) from its index
 * and ix_mac keys: call whenever either is set. */
void cl_store__ixk_hashes(cl_store__keys *k);

/* ixseal.c: an index row's tag over db, key and value; the value cipher
 * keyed by the tag (in may be out); a stored row opened into out
 * (capacity cap), CL_ERR_CORRUPT unless it authenticates. */
void cl_store__ix_tag(const cl_store *s, cl_db db, const uint8_t *key,
                      size_t key_len, const uint8_t *val, size_t val_len,
                      uint8_t tag[CL_STORE__TAG]);
void cl_store__ix_stream(const cl_store *s, const uint8_t tag[CL_STORE__TAG],
                         uint8_t *out, const uint8_t *in, size_t len);
CL_NODISCARD int cl_store__ix_open(const cl_store *s, cl_db db,
                                   const uint8_t *key, size_t key_len,
                                   const MDB_val *v, uint8_t *out, size_t cap,
                                   size_t *out_len);

/* The same under a given set of keys (re-indexing reads rows under the
 * generation it leaves while s holds the next one). */
void cl_store__ixk_tag(const cl_store__keys *k, cl_db db, const uint8_t *key,
                       size_t key_len, const uint8_t *val, size_t val_len,
                       uint8_t tag[CL_STORE__TAG]);
void cl_store__ixk_stream(const cl_store__keys *k,
                          const uint8_t tag[CL_STORE__TAG], uint8_t *out,
                          const uint8_t *in, size_t len);
CL_NODISCARD int cl_store__ixk_open(const cl_store__keys *k, cl_db db,
                                    const uint8_t *key, size_t key_len,
                                    const MDB_val *v, uint8_t *out, size_t cap,
                                    size_t *out_len);

/* keyfile.c, for reindex.c: a stored blind index b made under from's
 * generation, as to's makes it (b in place). */
void cl_store__blind_move(const cl_store__keys *from, const cl_store__keys *to,
                          uint8_t b[CL_BLIND_LEN]);

/* keyfile.c, for reindex.c: s's keys move to the next index generation,
 * drawn at random, named as drawn under master (s->keys made writable
 * for it). CL_ERR_FULL past 2^32 - 1 generations. */
CL_NODISCARD int cl_store__ixgen_next(cl_store *s,
                                      const uint8_t master[CL_MASTER_KEY_LEN]);

/* The key check (open.c), followed in the same sealed row by the store's
 * anchor: every counted table's total as last written (store.c, entries
 * by anchor.c). A store whose key check is V1 has none yet. */
#define CL_STORE__KEYCHECK_V1 "caselink keycheck v1"
#define CL_STORE__KEYCHECK    "caselink keycheck v2"
#define CL_STORE__ANCHOR_MAX  4096

/* The anchor (anchor.c): the key check text, then the entries. */
typedef struct cl_store__anchor {
    uint8_t buf[CL_STORE__ANCHOR_MAX];
    size_t len;
    bool loaded, moved; /* read from its row; changed since */
} cl_store__anchor;

/* The key check row's value, len bytes read into a->buf (0: no row): an
 * anchor, or none yet (a new store, or one whose check is V1: empty);
 * CL_ERR_CORRUPT if it is neither. */
CL_NODISCARD int cl_store__anchor_parse(cl_store__anchor *a, size_t len);

/* name's entry (a table's total as last written; none: zeros). */
void cl_store__anchor_entry(const cl_store__anchor *a, const char *name,
                            uint64_t *count, uint8_t x[CL_STORE__TAG]);

/* name's total moved from (c0, x0) to (c1, x1): its entry moves the same
 * way (added if new; CL_ERR_FULL past the buffer). */
CL_NODISCARD int cl_store__anchor_move(cl_store__anchor *a, const char *name,
                                       uint64_t c0,
                                       const uint8_t x0[CL_STORE__TAG],
                                       uint64_t c1,
                                       const uint8_t x1[CL_STORE__TAG]);

/* Is this ixdigest key a table's total (name NUL, nothing after)? */
bool cl_store__is_total(const uint8_t *dk, size_t dk_len);

/* store.c, for open.c: the anchor of a store whose key check was V1,
 * made once from its totals as they stand, and the key check moved to
 * the current text, in transaction t. */
CL_NODISCARD int cl_store__anchor_init(cl_txn *t);

/* The sequential log under the transactions (hold.c): the parent a
 * top-level write transaction begun now nests in (NULL: LMDB's own;
 * CL_ERR_INTERNAL on another thread while one is held, CL_ERR_BUSY while
 * it is lost); seal t's batch into the log before its LMDB commit (its
 * sequence set in t); after that commit (merged: it succeeded); the log
 * closed (cl_store_close); the log applied again after a loss (capture.c)
 * up to sequence last. */
CL_NODISCARD int cl_store__log_parent(cl_store *s, MDB_txn **parent);
CL_NODISCARD int cl_store__log_seal(cl_txn *t);
void cl_store__log_done(cl_txn *t, bool merged);
void cl_store__log_close(cl_store *s);
void cl_store__log_recovered(cl_store *s, uint64_t last);

/* hold.c: a sequence kept in meta row name (0: none), read and set in t
 * (not itself captured; t counts as given its place); the log's own, in
 * meta row CL_STORE__LOG_SEQ (the stream's is "repl:applied"). */
#define CL_STORE__LOG_SEQ "log:applied"
CL_NODISCARD int cl_store__seq_get(cl_txn *t, const char *name, uint64_t *seq);
CL_NODISCARD int cl_store__seq_set(cl_txn *t, const char *name, uint64_t seq);
CL_NODISCARD int cl_store__log_seq(cl_txn *t, uint64_t *seq);
CL_NODISCARD int cl_store__log_set_seq(cl_txn *t, uint64_t seq);

/* mdbsync.c: LMDB's data-file sync behind the writer (see there).
 * Before mdb_env_open: fall back to the snapshot before an unsynced
 * commit. With the log on: start (MDB_NOSYNC, the marker, the thread) and
 * stop (after the last sync). Wait for the last commit's sync (an errno,
 * sticky); post one after the held commit; commit any other top-level
 * transaction, synced before it returns (an LMDB code or errno). */
typedef struct cl_store__msync cl_store__msync;
CL_NODISCARD int cl_store__mdb_fallback(const char *dir);
CL_NODISCARD int cl_store__msync_start(cl_store *s, const char *dir);
void cl_store__msync_stop(cl_store *s);
int cl_store__msync_wait(cl_store *s);
void cl_store__msync_post(cl_store *s);
int cl_store__mdb_commit(cl_store *s, MDB_txn *txn);

/* capture.c, for open.c: the log's batches LMDB lacks, applied before
 * anything reads the store. */
CL_NODISCARD int cl_store__log_open_replay(cl_store *s, const char *dir);

/* caprec.c: t's captured batch finished for the log place after prev
 * (header and MAC; borrowed until t ends or the next call). */
CL_NODISCARD int cl_store__capture_finish(cl_txn *t, uint64_t prev,
                                          const uint8_t **batch, size_t *len);

/* The change batch (capture.c, caprec.c): magic, header and MAC lengths,
 * and the longest key LMDB takes by default. */
#define CL_CAP_BATCH_MAGIC  "CLB1"
#define CL_CAP_BATCH_HEADER 16
#define CL_CAP_BATCH_MAC    32
#define CL_CAP_KEY_MAX      511 /* LMDB's default largest key */

#endif
