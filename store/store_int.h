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
#include <sodium.h>

#include "seal.h"
#include "store.h"

/* A sub-database's row in the table below. */
typedef struct cl_store__db {
    const char *name;
    bool sealed;
    uint8_t group; /* 0: no group digest */
} cl_store__db;

/* Every sub-database by enum value (store.c). */
extern const cl_store__db cl_store__dbs[CL_DB_COUNT];

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

/* A change capture record's operation. */
#define CL_STORE_OP_PUT 1
#define CL_STORE_OP_DEL 2

/* An MDB_* or errno code as a cl_err. */
int cl_store__mdb_err(int rc);

/* The version new values are sealed with inside t. */
uint32_t cl_store__txn_version(const cl_txn *t);

/* Change capture (capture.c). */
CL_NODISCARD int cl_store__capture_new(cl_store__capture **out);
void cl_store__capture_free(cl_store__capture **cp);
void cl_store__capture_truncate(cl_txn *t);
void cl_store__capture_add(cl_txn *t, int op, cl_db db, const uint8_t *key,
                           size_t key_len, const void *val, size_t val_len);

/* keyfile.c, for open.c: every key of s derived from the master key,
 * in locked memory. */
CL_NODISCARD int cl_store__derive(cl_store *s,
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

/* The change batch (capture.c, caprec.c): magic, header and MAC lengths,
 * and the longest key LMDB takes by default. */
#define CL_CAP_BATCH_MAGIC  "CLB1"
#define CL_CAP_BATCH_HEADER 16
#define CL_CAP_BATCH_MAC    32
#define CL_CAP_KEY_MAX      511 /* LMDB's default largest key */

#endif
