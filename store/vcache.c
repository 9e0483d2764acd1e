/*
 * vcache: the small sealed values a write transaction wrote or read,
 * kept in the clear, so that reading one again costs a copy instead of a
 * B-tree lookup and an AEAD open.
 *
 * A publish reads the same values several times (the subject's record
 * three times before it is rewritten, five after; the referral by its
 * reference for routing, intake and the flag; the agency reference row;
 * the audit chain's head). A value is kept when the transaction puts it,
 * and when a get has read it from the transaction's view and it
 * authenticated there (cl_store_get: its AEAD and, for a row that is its
 * whole group, the group's digest); nothing that did not pass is ever
 * kept. Every put and delete of the key replaces or drops its entry.
 * Each entry carries the serial of the transaction that put or read it;
 * when one aborts, every entry at or after its serial goes (its
 * children's too), and the reads fall back to LMDB.
 *
 * Whose cache: the outermost transaction's, for as long as it lasts; or,
 * for the batches nested in the write transaction hold.c holds open
 * across them, the store's (hvc), which lives as long as that held
 * transaction: each batch's serials follow the last one's, a batch that
 * aborts drops its own entries, and hold.c empties it whenever the held
 * transaction ends (committed or lost), after which other threads may
 * write behind it. Applying a replication batch (rows written behind the
 * caches) empties it too.
 *
 * What is in the clear, and for how long: a value is wiped (every byte it
 * used) when its entry is dropped, replaced or emptied. The values live
 * in locked memory (sodium_malloc: never swapped, left out of core dumps,
 * guard pages around it), one block per cache, which a transaction's own
 * cache borrows from the store's spare and hands back wiped (a
 * sodium_malloc costs about 80 us: not once a transaction). The replies
 * kept for resent message ids (cl_store__dbs[].uncached: idempotency,
 * replay) are never kept: a held transaction lasts up to a second, and a
 * reply names the people it answered about, read back only by a resend.
 * Data only: no LMDB, no keys.
 */
#include <sodium.h>
#include <string.h>

#include "store_int.h"

cl_store__vcache *cl_store__vc_of(cl_txn *t)
{
    while (t->parent)
        t = t->parent;
    return t->held ? &t->store->hvc : &t->vc;
}

uint64_t cl_store__vc_serial(cl_txn *t)
{
    return ++cl_store__vc_of(t)->next_serial;
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

/* A values block for c: the store's spare, else a new one (NULL: none). */
static uint8_t *s_borrow(cl_store__vcache *c, cl_store *s)
{
    uint8_t *b = __atomic_exchange_n(&s->vc_spare, NULL, __ATOMIC_ACQ_REL);
    if (!b)
        b = sodium_malloc(CL_STORE__VC_N * CL_STORE__VC_VAL);
    c->lender = s;
    return c->vals = b;
}

void cl_store__vc_put(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                      const uint8_t *val, size_t val_len)
{
    cl_store__vcache *c = cl_store__vc_of(t);
    if (cl_store__dbs[db].uncached || key_len > CL_STORE__VC_KEY ||
        val_len > CL_STORE__VC_VAL)
        return; /* cl_store__vc_del went first */
    if (!c->vals && !s_borrow(c, t->store))
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
    cl_store__vcache *c = cl_store__vc_of(t);
    if (!c->vals || cl_store__dbs[db].uncached || key_len > CL_STORE__VC_KEY)
        return;
    cl_store__vent *e = s_slot(c, db, key, key_len);
    if (s_is(e, db, key, key_len))
        s_drop(c, e);
}

bool cl_store__vc_get(cl_txn *t, cl_db db, const uint8_t *key, size_t key_len,
                      uint8_t *buf, size_t cap, size_t *val_len)
{
    cl_store__vcache *c = cl_store__vc_of(t);
    if (!c->vals || cl_store__dbs[db].uncached || key_len > CL_STORE__VC_KEY)
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
    cl_store__vcache *c = cl_store__vc_of(t);
    if (!c->vals)
        return;
    for (size_t i = 0; i < CL_STORE__VC_N; i++)
        if (c->e[i].serial >= t->serial)
            s_drop(c, &c->e[i]);
}

void cl_store__vc_clear(cl_store__vcache *c)
{
    if (!c->vals)
        return;
    for (size_t i = 0; i < CL_STORE__VC_N; i++)
        if (c->e[i].serial)
            s_drop(c, &c->e[i]);
}

void cl_store__vc_free(cl_store__vcache *c)
{
    cl_store__vc_clear(c); /* wiped: lent again as it was first lent */
    uint8_t *none = NULL;
    if (c->vals &&
        !__atomic_compare_exchange_n(&c->lender->vc_spare, &none, c->vals,
                                     false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        sodium_free(c->vals); /* a spare is there already */
    memset(c, 0, sizeof(*c));
}

void cl_store__vc_spare_free(cl_store *s)
{
    sodium_free(__atomic_exchange_n(&s->vc_spare, NULL, __ATOMIC_ACQ_REL));
}
