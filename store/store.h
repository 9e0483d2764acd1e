/*
 * store: the only module that touches LMDB and the keys.
 *
 * One LMDB environment with named sub-databases. Sealed sub-databases hold
 * values encrypted with XChaCha20-Poly1305 under a data key derived from the
 * master key, with the sub-database name and record key as associated data.
 * Index sub-databases hold composite keys of opaque ids and blind indexes
 * (keyed BLAKE2b) with small values, encrypted and authenticated. No personal
 * data is ever part of an LMDB key. Callers never see an MDB_* code: every
 * failure is a cl_err.
 *
 * Threading: one thread uses a store and its transactions at a time.
 */
#ifndef CL_STORE_H
#define CL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_error.h"

typedef struct cl_store cl_store;
typedef struct cl_txn cl_txn;

/* Sub-databases. Sealed ones encrypt values; index ones hold no personal
 * data in keys or values. */
typedef enum {
    CL_DB_META = 0,         /* index: counters, key check, versions */
    CL_DB_PERSON,           /* sealed: person id -> person summary */
    CL_DB_RECORD,           /* sealed: record id -> an agency's record */
    CL_DB_REFERRAL,         /* sealed: referral id -> referral */
    CL_DB_BLIND,            /* index: blind(16) || record id -> "" */
    CL_DB_PERSON_RECORDS,   /* index: person id || record id -> "" */
    CL_DB_RECORD_REFERRALS, /* index: record id || referral id -> "" */
    CL_DB_RELATION,         /* sealed: person id || person id -> relation */
    CL_DB_IDEMPOTENCY,      /* sealed: blind(client, msgid) -> reply */
    CL_DB_AUDIT,            /* sealed: seq -> audit entry (hash chain) */
    CL_DB_AUDIT_PERSON,     /* index: person id || seq -> "" */
    CL_DB_HISTORY,          /* sealed: referral id || version -> old one */
    CL_DB_ACTIVITY,         /* index: last activity || person id -> "" */
    CL_DB_PLAN,             /* sealed: plan id -> protection plan */
    CL_DB_PERSON_PLANS,     /* index: person id || plan id -> how */
    CL_DB_REVIEW,           /* sealed: review id -> queued match */
    CL_DB_MDT,              /* sealed: MDT review id -> meeting */
    CL_DB_AGENDA,           /* index: MDT review id || person id -> why */
    CL_DB_MAILBOX,          /* sealed: blind(agency) || seq -> delivery */
    CL_DB_INFOREQ,          /* sealed: request id -> request and answers */
    CL_DB_PERSON_REQUESTS,  /* index: person id || request id -> "" */
    CL_DB_FEED,             /* sealed: agency NUL feed -> feed health */
    CL_DB_PERSON_AGENDA,    /* index: person id || MDT review id -> "" */
    CL_DB_DISCUSSION,       /* sealed: MDT id || person id -> discussion */
    CL_DB_ACTION,           /* sealed: action id -> action */
    CL_DB_RAG,              /* sealed: subject || seq -> rating change */
    CL_DB_MEASURE_DEF,      /* sealed: measure name -> baseline period */
    CL_DB_MEASURE,          /* sealed: name NUL month NUL person -> value */
    CL_DB_AGENDA_NOTE,      /* sealed: MDT id || person id -> why, in words */
    CL_DB_AGENCY_REF,       /* sealed: blind(agency, agency ref) -> referral */
    CL_DB_HOLD,             /* sealed: person id -> legal hold */
    CL_DB_ALERTED,          /* sealed: referral id || blind(agency) -> who */
    CL_DB_IXDIGEST,         /* sealed: db NUL group prefix -> count, digest */
    CL_DB_AUDIT_USER,       /* index: blind(user id) || seq -> "" */
    CL_DB_INTAKE,           /* sealed: intake id -> intake item */
    CL_DB_PERSON_INTAKE,    /* index: person id || intake id -> "" */
    CL_DB_LINKING,          /* sealed: "weights.*", "rerun" -> linking state */
    CL_DB_BLOCK,            /* index: blocking key(16) || record id -> "" */
    CL_DB_FLAG_LOG,         /* sealed: day || at || id -> flag disclosure */
    CL_DB_MEETING,          /* sealed: MDT id -> chair, attendees, ... */
    CL_DB_RECORD_HISTORY,   /* sealed: record id || seq -> earlier details */
    CL_DB_REPLAY, /* sealed: second || blind(client, msgid) -> reply */
    CL_DB_COUNT
} cl_db;

#define CL_BLIND_LEN      16
#define CL_MASTER_KEY_LEN 32
/* Largest plaintext value the store accepts. */
#define CL_STORE_MAX_VALUE (256 * 1024)

typedef struct cl_store_stats {
    uint64_t map_bytes;  /* current map size */
    uint64_t used_bytes; /* pages in use * page size */
    uint64_t entries[CL_DB_COUNT];
} cl_store_stats;

/*
 * Read a master key from path. The file must be a regular file with no
 * group or other permissions (0600 or 0400), holding 32 raw bytes or 64 hex
 * digits (a trailing newline is allowed). out must be locked memory the
 * caller wipes. err receives a sentence naming the file and the problem.
 * Returns CL_ERR_PERM for unsafe modes, CL_ERR_KEY for bad content,
 * CL_ERR_IO if unreadable.
 */
CL_NODISCARD int cl_store_key_load(uint8_t out[CL_MASTER_KEY_LEN],
                                   const char *path, char *err, size_t err_len);

/* Create a new random master key file (64 hex digits, mode 0600). Fails
 * with CL_ERR_EXISTS rather than overwrite. */
CL_NODISCARD int cl_store_key_generate(const char *path);

/*
 * Open (creating if needed) the store in directory dir with the given
 * master key (borrowed; the store keeps only derived keys, in locked
 * memory). map_bytes is the initial map size. Clears stale reader slots.
 * CL_ERR_KEY if the key does not open this store.
 */
CL_NODISCARD int cl_store_open(cl_store **out, const char *dir,
                               const uint8_t master[CL_MASTER_KEY_LEN],
                               size_t map_bytes);

/*
 * Open the store in dir with the master key in the file at path. If that
 * key does not open it and the key in path.next does (the master key was
 * replaced, cl_store_rekey, and the file not moved yet), open with that
 * and set *from_next. err says why the key file could not be read.
 */
CL_NODISCARD int cl_store_open_keyfile(cl_store **out, const char *dir,
                                       const char *path, size_t map_bytes,
                                       bool *from_next, char *err,
                                       size_t err_len);

/* True if master is the key that opens s now. */
bool cl_store_key_opens(const cl_store *s,
                        const uint8_t master[CL_MASTER_KEY_LEN]);

/* Close and wipe keys; *s becomes NULL. Safe on NULL. All transactions
 * must have ended. */
void cl_store_close(cl_store **s);

/* Double the map size (up to max_bytes). Only with no transaction open. */
CL_NODISCARD int cl_store_grow(cl_store *s, size_t max_bytes);

/* Begin a transaction. parent may be NULL; with a parent, write must match
 * and the child is nested (its effects vanish if it aborts). */
CL_NODISCARD int cl_store_begin(cl_txn **out, cl_store *s, cl_txn *parent,
                                bool write);

/* The store a transaction belongs to. */
cl_store *cl_store_of(cl_txn *t);

/* Commit (durably, for a top-level write transaction) and free; *t = NULL.
 * On failure the transaction is aborted and freed all the same. */
CL_NODISCARD int cl_store_commit(cl_txn **t);

/* Abort and free; *t = NULL. Safe on NULL. */
void cl_store_abort(cl_txn **t);

/* Seal and put a value in a sealed sub-database (replacing any). */
CL_NODISCARD int cl_store_put(cl_txn *t, cl_db db, const uint8_t *key,
                              size_t key_len, const uint8_t *val,
                              size_t val_len);

/*
 * Get and open a value from a sealed sub-database into buf (capacity cap).
 * CL_ERR_NOT_FOUND if absent, CL_ERR_CORRUPT if it fails authentication.
 * The caller wipes buf when it held personal data.
 */
CL_NODISCARD int cl_store_get(cl_txn *t, cl_db db, const uint8_t *key,
                              size_t key_len, uint8_t *buf, size_t cap,
                              size_t *val_len);

/* Put an unsealed value in an index sub-database (val may be NULL). */
CL_NODISCARD int cl_store_put_raw(cl_txn *t, cl_db db, const uint8_t *key,
                                  size_t key_len, const uint8_t *val,
                                  size_t val_len);

/* Get an unsealed value; copied into buf. */
CL_NODISCARD int cl_store_get_raw(cl_txn *t, cl_db db, const uint8_t *key,
                                  size_t key_len, uint8_t *buf, size_t cap,
                                  size_t *val_len);

/* Delete a key; CL_ERR_NOT_FOUND if absent. */
CL_NODISCARD int cl_store_del(cl_txn *t, cl_db db, const uint8_t *key,
                              size_t key_len);

/*
 * Call fn for every key starting with prefix, in key order. The key is
 * borrowed for the duration of the call. fn returns CL_OK to go on, a
 * positive value to stop early (returned as CL_OK), or an error to stop and
 * return it.
 */
typedef int (*cl_store_scan_fn)(void *ctx, const uint8_t *key, size_t key_len);
CL_NODISCARD int cl_store_scan(cl_txn *t, cl_db db, const uint8_t *prefix,
                               size_t prefix_len, cl_store_scan_fn fn,
                               void *ctx);

/* The same, for every key from start (inclusive) to the end. */
CL_NODISCARD int cl_store_scan_from(cl_txn *t, cl_db db, const uint8_t *start,
                                    size_t start_len, cl_store_scan_fn fn,
                                    void *ctx);

/* Add one to a named counter in META and return the new value (first is 1).
 */
CL_NODISCARD int cl_store_next_id(cl_txn *t, const char *counter,
                                  uint64_t *out);

/* How many counters were behind the id floor at open and were moved
 * forward (the data file was restored from an older copy): the daemon
 * logs it. See "the id floor" in store.c. */
uint32_t cl_store_ids_raised(const cl_store *s);

/* Nonzero (the data file's floor generation) when the data file has run
 * beside an id floor file that is missing now: a restore onto a fresh
 * directory without it cannot tell which ids were handed out since. */
uint64_t cl_store_floor_lost(const cl_store *s);

/* Move the id floor's generation on, in the file and the data file: after
 * every completed backup and at a clean stop, with no transaction open. */
CL_NODISCARD int cl_store_generation_bump(cl_store *s);

/* Current value of a counter (0 if never used). */
CL_NODISCARD int cl_store_counter(cl_txn *t, const char *counter,
                                  uint64_t *out);

/* Keyed hash of (domain, value) under the index key: a blind index; from
 * index generation 1 on, put through the generation's keyed permutation
 * (keyfile.c). A sub-database whose keys hold one needs its row in
 * reindex.c's table of places, or re-indexing leaves its rows behind. */
void cl_store_blind(const cl_store *s, uint8_t out[CL_BLIND_LEN],
                    const char *domain, const uint8_t *value, size_t len);

CL_NODISCARD int cl_store_stats_get(cl_store *s, cl_store_stats *out);

/* How many rows db holds as t sees them (LMDB's count: O(1)). */
CL_NODISCARD int cl_store_entries(cl_txn *t, cl_db db, uint64_t *out);

/* The audit signing key pair (Ed25519): derived from the master key, so
 * that checkpoints signed before a restart verify after it, until the
 * first master key replacement; from then on drawn at each replacement
 * and kept in the keyring. */
#define CL_SIGN_PK_LEN 32
#define CL_SIGN_LEN    64
void cl_store_audit_sign(const cl_store *s, uint8_t sig[CL_SIGN_LEN],
                         const uint8_t *msg, size_t len);
void cl_store_audit_pk(const cl_store *s, uint8_t pk[CL_SIGN_PK_LEN]);

/* True if pk signed this store's checkpoints before a master key
 * replacement (each draws a new signing key; the newest 32 former public
 * keys are kept, wrapped with the keyring). */
bool cl_store_audit_pk_former(const cl_store *s,
                              const uint8_t pk[CL_SIGN_PK_LEN]);

/* --- key rotation ----------------------------------------------------------
 *
 * Values carry the data key version that sealed them. Rotation makes a new
 * version current (effective when the transaction commits); re-sealing then
 * moves old values over in bounded batches; a version nothing uses can be
 * retired, after which a value still naming it fails to open. Versions are
 * a 32-bit counter: at most CL_STORE_KEY_VERSIONS are live at once (from
 * the oldest not retired to the current one), so rotations go on without
 * end as long as the versions re-sealing emptied are retired.
 */
#define CL_STORE_KEY_VERSIONS 16

/* Make version current+1 current. CL_ERR_FULL if CL_STORE_KEY_VERSIONS
 * versions are live (retire the oldest first). */
CL_NODISCARD int cl_store_rotate(cl_txn *t, uint32_t *new_version);

/*
 * Replace the master key, in top-level write transaction t: from its
 * commit only next opens the store (the root key, wrapped under next, in
 * meta "keyring"). Also rotates the data key to a new version drawn from
 * fresh randomness (*new_version; re-seal then, and retire the versions
 * before it, so that no value opens with keys the former master key can
 * derive). Values, index rows and the audit chain stay readable. If t
 * aborts, the keys are as before. CL_ERR_EXISTS if next is the key in
 * use, CL_ERR_FULL if CL_STORE_KEY_VERSIONS versions are live.
 */
CL_NODISCARD int cl_store_rekey(cl_txn *t,
                                const uint8_t next[CL_MASTER_KEY_LEN],
                                uint32_t *new_version);

/*
 * A standby's side of that replacement. cl_store_ring_moved: whether
 * top-level write transaction t (having applied replicated batches) holds
 * a keyring wrapped under a master key other than the one s's keys came
 * from. cl_store_ring_adopt: open that keyring with next and take its
 * keys, every live data key version derived again (if t aborts, the keys
 * are as before); CL_ERR_KEY if next does not open it.
 */
bool cl_store_ring_moved(cl_txn *t);
CL_NODISCARD int cl_store_ring_adopt(cl_txn *t,
                                     const uint8_t next[CL_MASTER_KEY_LEN]);

/*
 * Re-index (offline: no other process may have the store open, and no
 * other transaction of s be open): move the blind index key, the
 * index-row keys and the replication key to a new generation drawn from
 * fresh randomness and wrapped under master (the key that opens s), so
 * that no key a former master key derives opens, finds or forges
 * anything in the store from then on. In one write transaction: the
 * store is verified first (CL_ERR_CORRUPT, problem naming what, and
 * nothing changes), every blind index in a key moves to the new
 * generation, every index row is re-tagged and re-encrypted, every
 * sealed value whose key holds a blind index is sealed again for its new
 * key, every group digest and the anchor are rebuilt, and the result is
 * verified before the commit; a crash anywhere leaves the store as it
 * was. progress (may be NULL) is called every 1,000 rows with the rows
 * done. CL_ERR_KEY if master does not open s; CL_ERR_FULL if the map is
 * too small (grow it and call again).
 */
typedef struct cl_store_reindex_stats {
    uint32_t generation; /* the new index generation */
    uint64_t rows;       /* index rows and sealed rows rewritten */
    uint64_t blinds;     /* of which moved to a new key */
    uint64_t digests;    /* group digest rows rebuilt */
} cl_store_reindex_stats;
typedef void (*cl_store_progress_fn)(void *ctx, uint64_t rows);
CL_NODISCARD int cl_store_reindex(cl_store *s,
                                  const uint8_t master[CL_MASTER_KEY_LEN],
                                  cl_store_progress_fn progress, void *ctx,
                                  cl_store_reindex_stats *out, char *problem,
                                  size_t problem_len);

/* The index generation of s (0: its index keys derive from the root, the
 * first master key); *current is true if they were drawn under the
 * master key that opens s now (or, in generation 0, that key is the
 * root): false after `admin rotate-master` until the store is
 * re-indexed. */
uint32_t cl_store_index_generation(const cl_store *s, bool *current);

/* Current version (as committed). */
uint32_t cl_store_key_version(const cl_store *s);

/* The oldest version not retired, as t sees it. */
uint32_t cl_store_key_floor(cl_txn *t);

/* One version's use: how many values it seals, and whether retired. */
typedef struct cl_store_key_use {
    uint32_t version;
    uint64_t values;
    bool retired;
} cl_store_key_use;

/* Count values per key version over every sealed sub-database, for the
 * last CL_STORE_KEY_VERSIONS versions up to the current one (fewer while
 * there are fewer), oldest first, *n of them: every version a value can
 * be sealed with, and the retired ones just before. */
CL_NODISCARD int cl_store_key_usage(cl_txn *t,
                                    cl_store_key_use out[CL_STORE_KEY_VERSIONS],
                                    size_t *n);

/* Retire version v: CL_ERR_INVALID if it is current or later (or 0),
 * CL_ERR_EXISTS if values still use it; retired already: CL_OK. */
CL_NODISCARD int cl_store_retire(cl_txn *t, uint32_t v);

/* Where a re-seal pass has got to. Start with {0}. */
typedef struct cl_reseal_pos {
    int db;           /* sub-database being walked; CL_DB_COUNT when done */
    uint8_t key[512]; /* next key to look at */
    size_t key_len;
} cl_reseal_pos;

/* Re-seal up to max values not sealed with the current version, from pos
 * on; pos advances. *done receives how many were re-sealed. */
CL_NODISCARD int cl_store_reseal(cl_txn *t, cl_reseal_pos *pos, size_t max,
                                 size_t *done);

/* Write a compacted copy of the environment (still encrypted) to dir,
 * which must exist and be empty. Safe from another thread while this one
 * writes; not while cl_store_grow runs. *bytes receives the copy's size. */
CL_NODISCARD int cl_store_backup(cl_store *s, const char *dir, uint64_t *bytes);

/* How many bytes cl_store_backup would write now: the two meta pages and
 * every page of every tree (the free pages are left out of a compacted
 * copy). The copy reads the store as of its own start, so this is what a
 * progress line divides by, not a promise. */
CL_NODISCARD int cl_store_backup_size(cl_store *s, uint64_t *bytes);

/* --- the sequential log (hold.c) ------------------------------------------
 *
 * With the log on, a top-level write transaction of the thread that owns
 * it is made durable by one fdatasync of its physical changes appended to
 * dir/data.wal, and LMDB commits the transaction they are held in only
 * later, for many of them at once: when cl_store_log_commit is called,
 * when the log holds max_bytes, max_ms after its first batch (the owner
 * asks cl_store_log_due), and at once after a batch that changed the
 * keys. At open, cl_store_open applies the log's batches LMDB lacks
 * before anything reads the store (exact puts and deletes, under their
 * sequence: applying one twice changes nothing; a torn tail was never
 * acknowledged). Write transactions of other threads are LMDB's own and
 * may begin only when nothing is held (CL_ERR_INTERNAL).
 */

/* Turn the log on (after cl_store_open; not with replication, whose
 * stream is the log). */
CL_NODISCARD int cl_store_log_start(cl_store *s, const char *dir,
                                    uint64_t max_bytes, uint32_t max_ms);

/* The calling thread owns the log: its top-level write transactions nest
 * in the held one. */
void cl_store_log_own(cl_store *s);

/* The owner: commit the held transaction (durably) and cut the log. If the
 * commit fails, the held transaction is lost (its error is returned): no
 * write transaction begins (CL_ERR_BUSY) until cl_store_log_recover has
 * applied the log again. */
CL_NODISCARD int cl_store_log_commit(cl_store *s);

/* The owner: was the held transaction lost? Then apply the log to LMDB
 * again, committed (CL_ERR_FULL: grow the map, with no transaction open,
 * and call again). CL_OK at once if nothing was lost. */
bool cl_store_log_lost(const cl_store *s);
CL_NODISCARD int cl_store_log_recover(cl_store *s);

/* How many rows this store's write transactions have put or deleted so
 * far, committed or not (read by the thread that writes: LMDB has one
 * writer at a time). Equal before and after a call: it changed nothing. */
uint64_t cl_store_rows_changed(const cl_store *s);

/* Any thread: is a transaction held (or lost, to be rebuilt)? Then only the
 * owner may write, and what is committed lags what was acknowledged. */
bool cl_store_log_held(const cl_store *s);

/* Any thread: has the held transaction had batches for max_ms? */
bool cl_store_log_due(const cl_store *s);

typedef struct cl_store_log_stats {
    uint64_t batches;     /* made durable through the log */
    uint64_t commits;     /* of the held transaction */
    uint64_t replayed;    /* batches applied from the log at open */
    uint64_t failed;      /* held transactions lost (recovered from the log) */
    uint64_t uncommitted; /* commits due after a batch that failed */
    uint64_t uncut;       /* cuts of the log that failed (harmless) */
    uint64_t direct;      /* batches LMDB committed itself (map near full) */
    /* how long the owner waited in the held commits (LMDB's page writes
     * and its syncs): what a request arriving meanwhile waits on top */
    uint64_t commit_us;     /* in all of them */
    uint64_t commit_us_max; /* in the longest */
    /* each batch's own wait, the log's fdatasync */
    uint64_t syncs;       /* of the log */
    uint64_t sync_slow;   /* ... that took over CL_STORE_LOG_SYNC_SLOW_US */
    uint64_t sync_us_max; /* the longest */
} cl_store_log_stats;

/* A log sync slower than this is counted (the offered-rate ack target at
 * 1,000/s is a p99 of 2.5 ms: a sync this long alone misses it). */
#define CL_STORE_LOG_SYNC_SLOW_US 2500

/* The owner's counts (or at open: replayed). */
void cl_store_log_stats_get(const cl_store *s, cl_store_log_stats *out);

/* --- change capture (replication) -----------------------------------------
 *
 * With capture on, every top-level write transaction records its physical
 * changes as they are made through cl_store_put, cl_store_put_raw and
 * cl_store_del (so every sub-database, present and future, is covered):
 * sub-database name, key, and the value exactly as stored (sealed for
 * sealed sub-databases) or a delete. A nested transaction that aborts
 * leaves nothing in it. The batch holds no plaintext and no keys; another
 * store opened with the same master key applies it and ends with the same
 * content. Each store remembers the sequence number of the last batch it
 * applied or committed, in the same LMDB transaction as the changes.
 */

/* Turn capture on or off for transactions begun from now on. With capture
 * on, a top-level transaction that changed anything commits only after
 * cl_store_set_applied (or cl_store_apply) gave it its sequence: otherwise
 * cl_store_commit refuses with CL_ERR_INTERNAL and keeps nothing, so a
 * writer that bypasses the log cannot make a node diverge from it. */
void cl_store_capture(cl_store *s, bool on);

/*
 * The batch of changes made so far in top-level write transaction t, to
 * be stored at the log position right after prev, authenticated with a
 * key derived from the master key (borrowed until t ends or the next call;
 * an empty batch has *count 0 and is still a valid batch). CL_ERR_INVALID
 * if t is nested, read-only or capture was off when it began; CL_ERR_NOMEM
 * if a change could not be recorded (the transaction must be aborted).
 */
CL_NODISCARD int cl_store_changes(cl_txn *t, uint64_t prev,
                                  const uint8_t **batch, size_t *len,
                                  size_t *count);

/* The sequence number of the last batch applied (0: none). */
CL_NODISCARD int cl_store_applied(cl_txn *t, uint64_t *seq);

/* Record seq as applied in t (not itself captured). */
CL_NODISCARD int cl_store_set_applied(cl_txn *t, uint64_t seq);

/*
 * Apply a batch (from cl_store_changes, perhaps on another node) in
 * top-level write transaction t as sequence number seq, and record seq as
 * applied. CL_ERR_EXISTS if seq is not after the last applied one (it was
 * applied already: nothing changes); CL_ERR_CORRUPT if the batch fails
 * authentication (forged, damaged, another master key), was made for
 * another position than seq, is malformed or names a sub-database this
 * build does not have (t must then be aborted). Key rotations in the batch
 * take effect on commit.
 */
CL_NODISCARD int cl_store_apply(cl_txn *t, const uint8_t *batch, size_t len,
                                uint64_t seq);

/* A digest of the whole decrypted content (every sub-database, key and
 * opened value, in order): equal digests mean equal content. */
#define CL_STORE_DIGEST_LEN 32
CL_NODISCARD int cl_store_digest(cl_txn *t, uint8_t out[CL_STORE_DIGEST_LEN]);

/*
 * Index rows are authenticated (see store.c, "authenticated rows"): an
 * edited row fails on read, and a deleted, added or replayed row of a
 * sub-database that decides what a user sees fails the read of its group,
 * each with CL_ERR_CORRUPT. This checks every such sub-database whole
 * (rows and totals); on CL_ERR_CORRUPT, problem names the sub-database.
 */
CL_NODISCARD int cl_store_verify(cl_txn *t, char *problem, size_t problem_len);

/* --- replay records (idempotency) -----------------------------------------
 *
 * What a write answered, kept under the blind index of (client, message id)
 * so that a resend gets the same answer, for window seconds after it was
 * written (now, unix seconds) and for at most the newest
 * CL_STORE_REPLAY_MAX records; older ones are deleted as new ones are
 * written (see replay.c). Only the thread that writes may call these.
 */
#define CL_STORE_REPLAY_MAX 500000

/* The record under blind written at or after now - window, into buf
 * (capacity cap). CL_ERR_NOT_FOUND if there is none. */
CL_NODISCARD int cl_store_replay_get(cl_txn *t,
                                     const uint8_t blind[CL_BLIND_LEN],
                                     int64_t now, uint32_t window, uint8_t *buf,
                                     size_t cap, size_t *len);

/* Keep val as blind's record, written at now, in write transaction t, and
 * delete up to two records that are past the window or the cap. */
CL_NODISCARD int cl_store_replay_put(cl_txn *t,
                                     const uint8_t blind[CL_BLIND_LEN],
                                     int64_t now, uint32_t window,
                                     const uint8_t *val, size_t len);

/* How many rows the group of a grouped sub-database that starts with
 * prefix (its group length long) holds, as its digest says (sealed, and
 * checked against the rows by reads of the group and by verify): a count
 * whoever holds the file cannot change unnoticed. CL_ERR_INVALID if db
 * is not grouped. */
CL_NODISCARD int cl_store_group_count(cl_txn *t, cl_db db,
                                      const uint8_t *prefix, uint64_t *count);

/* The name of a sub-database (for diagnostics and tests). */
const char *cl_store_db_name(cl_db db);

/* How many keys of an index sub-database without group digests (the
 * blocking index) start with prefix (not empty), counted up to max, into
 * *n (blockscan.c); the rows are not opened or authenticated, so the
 * count is for what a count alone decides (a block too big to use, how
 * common a name is), never for what a row says: a scan opens each row
 * it returns. */
CL_NODISCARD int cl_store_count(cl_txn *t, cl_db db, const uint8_t *prefix,
                                size_t prefix_len, size_t max, size_t *n);

/* Most rows cl_store_scan_pick reads under one prefix. */
#define CL_STORE_SCAN_UPTO 256

/* One row met by cl_store_scan_pick: which prefix it is under, and its
 * key (borrowed), not yet opened. */
typedef struct cl_store_row {
    size_t prefix;
    const uint8_t *key;
    size_t key_len;
} cl_store_row;
typedef int (*cl_store_pick_fn)(void *ctx, const cl_store_row *rows, size_t n,
                                bool *keep);

/* The rows of n_prefixes prefixes (each prefix_len long, one after the
 * other in prefixes) of the same kind of sub-database, each prefix read
 * only when it holds at most max rows (at most CL_STORE_SCAN_UPTO), in
 * one descent of the tree; a bigger one is skipped unread. All the
 * rows met are handed to pick at once, unopened, which sets keep[i] for
 * those wanted (a choice by their keys, such as how many prefixes a
 * suffix is under); then each kept row, and only those, is
 * authenticated and passed to fn: a row that does not authenticate
 * fails the call (CL_ERR_CORRUPT). pick and fn return as scan_fn's do. */
CL_NODISCARD int cl_store_scan_pick(cl_txn *t, cl_db db,
                                    const uint8_t *prefixes, size_t prefix_len,
                                    size_t n_prefixes, size_t max,
                                    cl_store_pick_fn pick, cl_store_scan_fn fn,
                                    void *ctx);

#endif
