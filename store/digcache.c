/*
 * digcache: a write transaction's group digests (ixdigest rows, see
 * "authenticated rows" in store.c) held in memory until they are written.
 *
 * Every row put into a grouped sub-database moves two digests: its
 * group's and the sub-database's total. Read, unsealed, changed, sealed
 * and written back on every put, they cost two sealed reads and two sealed
 * writes per row, and the total of a busy sub-database was rewritten once
 * per row. Here each transaction keeps the digests it changed (count and
 * XOR of tags) in a small open-addressed table; a nested transaction's
 * table joins its parent's when it commits and is dropped when it aborts,
 * and the outermost transaction writes each changed digest once, before
 * its changes are captured or committed. Data only: no LMDB, no keys.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* A digest key's hash, eight bytes a step (a key is a sub-database's
 * name and a group prefix, 10-40 bytes: a byte a step was 4% of the
 * writer's samples, hashed once for each transaction level looked in). */
uint64_t cl_store__dkey_hash(const uint8_t *k, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n, w;
    for (; n >= 8; k += 8, n -= 8) {
        memcpy(&w, k, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, k, n);
    h ^= w; /* then every bit into the low ones the tables use */
    h = (h ^ h >> 33) * 0xFF51AFD7ED558CCDull;
    h = (h ^ h >> 33) * 0xC4CEB9FE1A85EC53ull;
    return h ^ h >> 33;
}

#define s_hash cl_store__dkey_hash

static cl_store__dent *s_slot_h(cl_store__dcache *c, const uint8_t *k, size_t n,
                                uint64_t h)
{
    size_t mask = c->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        cl_store__dent *e = &c->v[i];
        if (!e->used || (e->key_len == n && !memcmp(e->key, k, n)))
            return e;
    }
}

static cl_store__dent *s_slot(cl_store__dcache *c, const uint8_t *k, size_t n)
{
    return s_slot_h(c, k, n, s_hash(k, n));
}

cl_store__dent *cl_store__dc_find_h(cl_store__dcache *c, const uint8_t *key,
                                    size_t key_len, uint64_t h)
{
    if (!c->n || key_len > CL_STORE__DKEY_MAX)
        return NULL;
    cl_store__dent *e = s_slot_h(c, key, key_len, h);
    return e->used ? e : NULL;
}

cl_store__dent *cl_store__dc_find(cl_store__dcache *c, const uint8_t *key,
                                  size_t key_len)
{
    return c->n ? cl_store__dc_find_h(c, key, key_len, s_hash(key, key_len))
                : NULL;
}

/* Room for at least want entries at most half full. */
int cl_store__dc_reserve(cl_store__dcache *c, size_t want)
{
    if (want * 2 <= c->cap)
        return CL_OK;
    size_t cap = c->cap ? c->cap : 16;
    while (want * 2 > cap)
        cap *= 2;
    cl_store__dent *old = c->v;
    size_t old_cap = c->cap;
    c->v = calloc(cap, sizeof(*c->v));
    if (!c->v) {
        c->v = old;
        return CL_ERR_NOMEM;
    }
    c->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used)
            *s_slot(c, old[i].key, old[i].key_len) = old[i];
    free(old);
    return CL_OK;
}

int cl_store__dc_set_h(cl_store__dcache *c, const uint8_t *key, size_t key_len,
                       uint64_t h, uint64_t count,
                       const uint8_t x[CL_STORE__TAG], bool dirty)
{
    if (key_len > CL_STORE__DKEY_MAX)
        return CL_ERR_INVALID;
    int rc = cl_store__dc_reserve(c, c->n + 1);
    if (rc != CL_OK)
        return rc;
    cl_store__dent *e = s_slot_h(c, key, key_len, h);
    if (!e->used) {
        e->used = true;
        e->key_len = (uint8_t)key_len;
        memcpy(e->key, key, key_len);
        c->n++;
    }
    e->count = count;
    memcpy(e->x, x, CL_STORE__TAG);
    e->dirty = dirty;
    return CL_OK;
}

int cl_store__dc_set(cl_store__dcache *c, const uint8_t *key, size_t key_len,
                     uint64_t count, const uint8_t x[CL_STORE__TAG], bool dirty)
{
    return cl_store__dc_set_h(c, key, key_len, s_hash(key, key_len), count, x,
                              dirty);
}

/* A committed child's digests become its parent's. Reserved first
 * (cl_store__dc_reserve(parent, parent->n + child->n)), it cannot fail. */
int cl_store__dc_merge(cl_store__dcache *parent, const cl_store__dcache *child)
{
    int rc = cl_store__dc_reserve(parent, parent->n + child->n);
    for (size_t i = 0; i < child->cap && rc == CL_OK; i++) {
        const cl_store__dent *e = &child->v[i];
        if (e->used)
            rc = cl_store__dc_set(parent, e->key, e->key_len, e->count, e->x,
                                  e->dirty);
    }
    return rc;
}

void cl_store__dc_free(cl_store__dcache *c)
{
    free(c->v);
    memset(c, 0, sizeof(*c));
}

/*
 * The digests as the last commit left them, for the writer's next
 * transactions. A digest not changed in a transaction is read from
 * ixdigest: a B-tree lookup and an AEAD open for every group a publish
 * checks or touches (about nine a referral). Here the writer keeps, in a
 * direct-mapped table of the store, each digest it read from a write
 * transaction's view of the committed data or its commits left; a write
 * transaction looks there after its own caches and before LMDB. Only
 * write transactions (one thread at a time, under LMDB's writer lock) use
 * it. A digest row written or deleted other than through the
 * transactions' caches forgets its slot; applying a replication batch,
 * which writes rows itself, forgets them all.
 */
#define S_SEEN (1u << 15)

static cl_store__dent *s_seen_slot_h(cl_store *s, size_t key_len, uint64_t h)
{
    if (!s->dseen || key_len > CL_STORE__DKEY_MAX)
        return NULL;
    return &s->dseen[h & (S_SEEN - 1)];
}

static cl_store__dent *s_seen_slot(cl_store *s, const uint8_t *key,
                                   size_t key_len)
{
    return s->dseen ? s_seen_slot_h(s, key_len, s_hash(key, key_len)) : NULL;
}

const cl_store__dent *cl_store__ds_find_h(cl_store *s, const uint8_t *key,
                                          size_t key_len, uint64_t h)
{
    cl_store__dent *e = s_seen_slot_h(s, key_len, h);
    return e && e->used && e->key_len == key_len &&
                   !memcmp(e->key, key, key_len)
               ? e
               : NULL;
}

const cl_store__dent *cl_store__ds_find(cl_store *s, const uint8_t *key,
                                        size_t key_len)
{
    return s->dseen ? cl_store__ds_find_h(s, key, key_len, s_hash(key, key_len))
                    : NULL;
}

void cl_store__ds_set_h(cl_store *s, const uint8_t *key, size_t key_len,
                        uint64_t h, uint64_t count,
                        const uint8_t x[CL_STORE__TAG])
{
    if (!s->dseen && !(s->dseen = calloc(S_SEEN, sizeof(*s->dseen))))
        return; /* no room: reads go to LMDB */
    cl_store__dent *e = s_seen_slot_h(s, key_len, h);
    if (!e)
        return;
    e->used = true;
    e->dirty = false;
    e->key_len = (uint8_t)key_len;
    memcpy(e->key, key, key_len);
    e->count = count;
    memcpy(e->x, x, CL_STORE__TAG);
}

void cl_store__ds_set(cl_store *s, const uint8_t *key, size_t key_len,
                      uint64_t count, const uint8_t x[CL_STORE__TAG])
{
    cl_store__ds_set_h(s, key, key_len, s_hash(key, key_len), count, x);
}

void cl_store__ds_forget(cl_store *s, const uint8_t *key, size_t key_len)
{
    cl_store__dent *e = s_seen_slot(s, key, key_len);
    if (e && e->used && e->key_len == key_len && !memcmp(e->key, key, key_len))
        memset(e, 0, sizeof(*e));
}

void cl_store__ds_publish(cl_store *s, const cl_store__dcache *c)
{
    for (size_t i = 0; i < c->cap; i++)
        if (c->v[i].used)
            cl_store__ds_set(s, c->v[i].key, c->v[i].key_len, c->v[i].count,
                             c->v[i].x);
}

void cl_store__ds_free(cl_store *s)
{
    free(s->dseen);
    s->dseen = NULL;
}
