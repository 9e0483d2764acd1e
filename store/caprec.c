/*
 * caprec: recording a transaction's physical changes as it makes them
 * (see capture.c for the batch format, replay and the digest). Called by
 * the transaction code; calls nothing else of the store's.
 */
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cl_vec.h"
#include "store_int.h"

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
    memcpy(c->buf, CL_CAP_BATCH_MAGIC, 4);
    memset(c->buf + 4, 0, CL_CAP_BATCH_HEADER - 4);
    c->len = CL_CAP_BATCH_HEADER;
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

uint64_t cl_store_rows_changed(const cl_store *s)
{
    return s->changes;
}

void cl_store__capture_add(cl_txn *t, int op, cl_db db, const uint8_t *key,
                           size_t key_len, const void *val, size_t val_len)
{
    cl_store__capture *c = t->cap;
    t->store->changes++; /* every put and delete passes here */
    if (!c || c->err)
        return;
    size_t name_len = strlen(cl_store__dbs[db].name);
    size_t need = 1 + 1 + name_len + 2 + key_len +
                  (op == CL_STORE_OP_PUT ? 4 : 0) +
                  (op == CL_STORE_OP_PUT ? val_len : 0);
    if (key_len > CL_CAP_KEY_MAX) {
        c->err = CL_ERR_INVALID;
        return;
    }
    if (cl_vec_reserve(&c->buf, &c->cap, c->len + need, 1) != CL_OK) {
        c->err = CL_ERR_NOMEM;
        return;
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

int cl_store__capture_finish(cl_txn *t, uint64_t prev, const uint8_t **batch,
                             size_t *len)
{
    cl_store__capture *c = t->cap;
    if (cl_vec_reserve(&c->buf, &c->cap, c->len + CL_CAP_BATCH_MAC, 1) != CL_OK)
        return CL_ERR_NOMEM;
    uint32_t n = c->count;
    for (int i = 0; i < 4; i++)
        c->buf[4 + i] = (uint8_t)(n >> (8 * (3 - i)));
    for (int i = 0; i < 8; i++)
        c->buf[8 + i] = (uint8_t)(prev >> (8 * (7 - i)));
    crypto_generichash(c->buf + c->len, CL_CAP_BATCH_MAC, c->buf, c->len,
                       t->store->keys->repl, CL_KEY_LEN);
    *batch = c->buf;
    *len = c->len + CL_CAP_BATCH_MAC; /* the MAC is rewritten on each call */
    return CL_OK;
}

/* --- change capture and apply -------------------------------------------- */

/* Where the applied stream sequence lives: META, written outside the
 * capture (it is the node's position in the log, not part of a batch). */
