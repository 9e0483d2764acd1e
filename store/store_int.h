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

#include "store.h"

/* A sub-database's row in the table below. */
typedef struct cl_store__db {
    const char *name;
    bool sealed;
    uint8_t group; /* 0: no group digest */
} cl_store__db;

/* Every sub-database by enum value (store.c). */
extern const cl_store__db cl_store__dbs[CL_DB_COUNT];

typedef struct cl_store__capture cl_store__capture;

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

/* The id floor (idfloor.c): read at open, applied in the first
 * transaction. */
CL_NODISCARD int cl_store__floor_load(cl_store *s, const char *dir);
CL_NODISCARD int cl_store__floor_apply(cl_store *s, cl_txn *t);

#endif
