/*
 * vcache: the small sealed values a write transaction wrote, kept in the
 * clear until it ends, so that reading one back costs a copy instead of
 * a B-tree lookup and an AEAD open.
 *
 * A publish reads back what it has just written several times (the
 * referral by its reference for routing, intake and the flag; the
 * subject's record; the agency reference row; the audit chain's head).
 * Only what this transaction itself put is served from here, never
 * anything read from the file, so nothing escapes authentication. A
 * nested transaction's entries carry its serial; when it aborts, every
 * entry at or after that serial goes (its children's too), and the reads
 * fall back to LMDB, which then holds the parent's version. Values are
 * wiped when an entry is dropped and when the outermost transaction
 * ends. Data only: no LMDB, no keys.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static cl_store__vcache *s_root(cl_txn *t)
{
    while (t->parent)
        t = t->parent;
    return &t->vc;
}

/* The one entry (db, key) may be kept in: direct-mapped by a hash. */
static cl_store__vent *s_slot(cl_store__vcache *c, cl_db db, const uint8_t *key,
                              size_t key_len)
{
    uint32_t h = 2166136261u ^ (uint32_t)db; /* FNV-1a */
    for (size_t i = 0; i < key_len; i++)
        h = (h ^ key[i]) * 16777619u;
    return &c->e[(h ^ h >> 16) % CL_STORE__VC_N];
}

static bool s_is(const cl_store__vent *e, cl_db db, const uint8_t *key,
                 size_t key_len)
{
    return e->serial && e->db == db && e->key_len == key_len &&
           !memcmp(e->key, key, key_len);
}

static void s_drop(cl_store__vcache *c, cl_store__vent *e)
{
    size_t i = (size_t)(e - c->e);
    sodium_memzero(c->vals + i * CL_STORE__VC_VAL, e->val_len);
    memset(e, 0, sizeof(*e));
}

void cl_store__vc_put(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                      const uint8_t *val, size_t val_len)
{
    cl_store__vcache *c = s_root(t);
    if (key_len > CL_STORE__VC_KEY || val_len > CL_STORE__VC_VAL)
        return; /* cl_store__vc_del went first */
    if (!c->vals && !(c->vals = malloc(CL_STORE__VC_N * CL_STORE__VC_VAL)))
        return; /* no room: reads go to LMDB */
    cl_store__vent *e = s_slot(c, db, key, key_len);
    if (e->serial)
        s_drop(c, e); /* this key's older value, or another key's */
    e->serial = t->serial;
    e->db = (uint8_t)db;
    e->key_len = (uint8_t)key_len;
    e->val_len = (uint16_t)val_len;
    memcpy(e->key, key, key_len);
    memcpy(c->vals + (size_t)(e - c->e) * CL_STORE__VC_VAL, val, val_len);
}

void cl_store__vc_del(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len)
{
    cl_store__vcache *c = s_root(t);
    if (!c->vals || key_len > CL_STORE__VC_KEY)
        return;
    cl_store__vent *e = s_slot(c, db, key, key_len);
    if (s_is(e, db, key, key_len))
        s_drop(c, e);
}

bool cl_store__vc_get(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                      uint8_t *buf, size_t cap, size_t *val_len)
{
    cl_store__vcache *c = s_root(t);
    if (!c->vals || key_len > CL_STORE__VC_KEY)
        return false;
    cl_store__vent *e = s_slot(c, db, key, key_len);
    if (!s_is(e, db, key, key_len) || e->val_len > cap)
        return false;
    memcpy(buf, c->vals + (size_t)(e - c->e) * CL_STORE__VC_VAL, e->val_len);
    *val_len = e->val_len;
    return true;
}

void cl_store__vc_undo(cl_txn *t)
{
    cl_store__vcache *c = s_root(t);
    if (!c->vals)
        return;
    for (size_t i = 0; i < CL_STORE__VC_N; i++)
        if (c->e[i].serial >= t->serial)
            s_drop(c, &c->e[i]);
}

void cl_store__vc_free(cl_store__vcache *c)
{
    if (c->vals) {
        for (size_t i = 0; i < CL_STORE__VC_N; i++)
            if (c->e[i].serial)
                s_drop(c, &c->e[i]);
        free(c->vals);
    }
    memset(c, 0, sizeof(*c));
}
