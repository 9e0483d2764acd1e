/*
 * replay: the records that answer a resent message id (idempotency), in
 * time order, for a window.
 *
 * Each write's reply is kept under (the second it was written, big-endian
 * 32 bits) || blind(client, message id), so new records go to the right
 * edge of their B-tree and a batch of writes dirties one or two pages
 * where a key by blind index alone dirtied a page each. Finding a record
 * by its blind index is done in memory: an open-addressed table of 64-bit
 * slots, the blind's first 32 bits and the second, rebuilt from the rows
 * (their keys only) on the first use after the store opens or a
 * replication batch is applied. A slot whose row is gone (its transaction
 * aborted, it expired) is looked up and not found: slots are hints, the
 * rows are the truth, so the table needs no undo.
 *
 * Records older than the window, or beyond the newest CL_STORE_REPLAY_MAX,
 * are deleted from the left edge, two for each record written, so the
 * sub-database and the table stay bounded by the window and the cap.
 *
 * Records written before this module, under the blind index alone in the
 * idempotency sub-database, are still found for one window after the
 * first open that saw them (meta "replay"), then deleted, two for each
 * record written.
 */
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define S_KEY_LEN   (4 + CL_BLIND_LEN)
#define S_MIN_SLOTS 4096u
#define S_MAX_SLOTS (1u << 21) /* 16 MiB: four slots per record at the cap */
#define S_EXPIRE    2          /* old records deleted per record written */
#define S_MARK      ((const uint8_t *)"replay")
#define S_MARK_LEN  6
/* keycheck and audit-head share the idempotency sub-database; an older
 * store's records there are CL_BLIND_LEN long */
#define S_RESERVED 2

static uint32_t s_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void s_key(uint8_t out[S_KEY_LEN], uint32_t at,
                  const uint8_t blind[CL_BLIND_LEN])
{
    out[0] = (uint8_t)(at >> 24);
    out[1] = (uint8_t)(at >> 16);
    out[2] = (uint8_t)(at >> 8);
    out[3] = (uint8_t)at;
    memcpy(out + 4, blind, CL_BLIND_LEN);
}

/* The second a record is kept from; never 0 (an empty slot). */
static uint32_t s_second(int64_t now)
{
    return now <= 0 ? 1 : now >= UINT32_MAX ? UINT32_MAX : (uint32_t)now;
}

static uint32_t s_cutoff(int64_t now, uint32_t window)
{
    return now - (int64_t)window <= 0 ? 1 : s_second(now - (int64_t)window);
}

static void s_slot_add(cl_store__replay *r, uint32_t fp, uint32_t at)
{
    size_t mask = r->cap - 1;
    size_t i = fp & mask;
    while (r->slot[i])
        i = (i + 1) & mask;
    r->slot[i] = (uint64_t)fp << 32 | at;
    r->used++;
}

/* A table of cap slots holding the slots of old still at or after cutoff
 * (old may be NULL). */
static int s_rehash(cl_store__replay *r, size_t cap, uint32_t cutoff)
{
    uint64_t *old = r->slot;
    size_t old_cap = r->cap;
    uint64_t *nv = calloc(cap, sizeof(*nv));
    if (!nv)
        return CL_ERR_NOMEM;
    r->slot = nv;
    r->cap = cap;
    r->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] && (uint32_t)old[i] >= cutoff)
            s_slot_add(r, (uint32_t)(old[i] >> 32), (uint32_t)old[i]);
    free(old);
    return CL_OK;
}

/* The oldest row's second in t (0: no row). */
static int s_oldest(cl_txn *t, uint32_t *at)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    *at = 0;
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[CL_DB_REPLAY], &cur);
    if (mrc == MDB_SUCCESS)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (mrc == MDB_SUCCESS && k.mv_size >= 4)
        *at = s_be32(k.mv_data);
    if (cur)
        mdb_cursor_close(cur);
    return mrc == MDB_NOTFOUND ? CL_OK : cl_store__mdb_err(mrc);
}

/* Room for one more slot: drop the slots of rows that are gone (before
 * the window, or older than the oldest row the cap left), grow if the
 * table is still half full. */
static int s_room(cl_txn *t, cl_store__replay *r, uint32_t cutoff)
{
    uint32_t oldest;
    if ((r->used + 1) * 2 <= r->cap)
        return CL_OK;
    int rc = s_oldest(t, &oldest);
    if (rc != CL_OK)
        return rc;
    if (oldest > cutoff)
        cutoff = oldest;
    size_t live = 0;
    for (size_t i = 0; i < r->cap; i++)
        live += r->slot[i] && (uint32_t)r->slot[i] >= cutoff;
    size_t cap = r->cap;
    while (cap < S_MAX_SLOTS && (live + 1) * 4 > cap)
        cap *= 2;
    if ((live + 1) * 2 > cap)
        return CL_ERR_INTERNAL; /* not reached: the rows are capped */
    return s_rehash(r, cap, cutoff);
}

/* The legacy mark: records under the blind alone are looked up until
 * r->legacy_until (0: none left). Set on the first build that finds any. */
static int s_legacy_load(cl_txn *t, cl_store__replay *r, int64_t now,
                         uint32_t window)
{
    uint8_t buf[8];
    size_t len = 0;
    int rc = cl_store_get_raw(t, CL_DB_META, S_MARK, S_MARK_LEN, buf,
                              sizeof(buf), &len);
    if (rc == CL_OK && len == 8) {
        r->legacy_until = 0;
        for (int i = 0; i < 8; i++)
            r->legacy_until = r->legacy_until << 8 | buf[i];
        return CL_OK;
    }
    if (rc != CL_ERR_NOT_FOUND)
        return rc == CL_OK ? CL_ERR_CORRUPT : rc;
    /* one of the first keys is a record if there is any */
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    bool any = false;
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[CL_DB_IDEMPOTENCY], &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (int i = 0; i <= S_RESERVED && mrc == MDB_SUCCESS && !any; i++) {
        any = k.mv_size == CL_BLIND_LEN;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        return cl_store__mdb_err(mrc);
    r->legacy_until = any ? now + window : 0;
    if (!t->write)
        return CL_OK;
    uint64_t u = (uint64_t)r->legacy_until;
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(u >> (8 * (7 - i)));
    return cl_store_put_raw(t, CL_DB_META, S_MARK, S_MARK_LEN, buf, 8);
}

/* The table from the rows t sees (keys only), on first use. */
static int s_build(cl_txn *t, int64_t now, uint32_t window)
{
    cl_store__replay *r = &t->store->replay;
    uint8_t from[4];
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    if (r->built)
        return CL_OK;
    int rc = s_legacy_load(t, r, now, window);
    if (rc != CL_OK)
        return rc;
    uint32_t cutoff = s_cutoff(now, window);
    r->used = 0;
    if (!r->slot && (rc = s_rehash(r, S_MIN_SLOTS, cutoff)) != CL_OK)
        return rc;
    memset(r->slot, 0, r->cap * sizeof(*r->slot));
    from[0] = (uint8_t)(cutoff >> 24);
    from[1] = (uint8_t)(cutoff >> 16);
    from[2] = (uint8_t)(cutoff >> 8);
    from[3] = (uint8_t)cutoff;
    k.mv_size = sizeof(from);
    k.mv_data = from;
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[CL_DB_REPLAY], &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         mrc == MDB_SUCCESS && rc == CL_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != S_KEY_LEN)
            continue;
        const uint8_t *kb = k.mv_data;
        if ((rc = s_room(t, r, cutoff)) == CL_OK)
            s_slot_add(r, s_be32(kb + 4), s_be32(kb));
    }
    mdb_cursor_close(cur);
    if (rc != CL_OK)
        return rc;
    if (mrc != MDB_NOTFOUND)
        return cl_store__mdb_err(mrc);
    r->built = true;
    return CL_OK;
}

void cl_store__replay_forget(cl_store *s)
{
    s->replay.built = false;
}

void cl_store__replay_free(cl_store *s)
{
    free(s->replay.slot);
    memset(&s->replay, 0, sizeof(s->replay));
}

int cl_store_replay_get(cl_txn *t, const uint8_t blind[CL_BLIND_LEN],
                        int64_t now, uint32_t window, uint8_t *buf, size_t cap,
                        size_t *len)
{
    cl_store__replay *r = &t->store->replay;
    uint8_t key[S_KEY_LEN];
    int rc = s_build(t, now, window);
    if (rc != CL_OK)
        return rc;
    uint32_t fp = s_be32(blind), cutoff = s_cutoff(now, window);
    size_t mask = r->cap - 1;
    for (size_t i = fp & mask; r->slot[i]; i = (i + 1) & mask) {
        uint64_t e = r->slot[i];
        if ((uint32_t)(e >> 32) != fp || (uint32_t)e < cutoff)
            continue;
        s_key(key, (uint32_t)e, blind);
        rc = cl_store_get(t, CL_DB_REPLAY, key, sizeof(key), buf, cap, len);
        if (rc != CL_ERR_NOT_FOUND)
            return rc;
    }
    if (r->legacy_until && now < r->legacy_until)
        return cl_store_get(t, CL_DB_IDEMPOTENCY, blind, CL_BLIND_LEN, buf, cap,
                            len);
    return CL_ERR_NOT_FOUND;
}

/* Delete up to S_EXPIRE of the oldest rows that are past the window or
 * beyond the cap. */
static int s_expire(cl_txn *t, uint32_t cutoff)
{
    for (int n = 0; n < S_EXPIRE; n++) {
        MDB_cursor *cur = NULL;
        MDB_stat st;
        MDB_val k, v;
        uint8_t key[S_KEY_LEN];
        size_t kl = 0;
        int mrc = mdb_stat(t->txn, t->store->dbi[CL_DB_REPLAY], &st);
        if (mrc == MDB_SUCCESS)
            mrc = mdb_cursor_open(t->txn, t->store->dbi[CL_DB_REPLAY], &cur);
        if (mrc == MDB_SUCCESS)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        if (mrc == MDB_SUCCESS && k.mv_size == S_KEY_LEN &&
            (st.ms_entries > CL_STORE_REPLAY_MAX ||
             s_be32(k.mv_data) < cutoff)) {
            kl = k.mv_size;
            memcpy(key, k.mv_data, kl);
        }
        if (cur)
            mdb_cursor_close(cur);
        if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
            return cl_store__mdb_err(mrc);
        if (!kl)
            return CL_OK;
        int rc = cl_store_del(t, CL_DB_REPLAY, key, kl);
        if (rc != CL_OK)
            return rc;
    }
    return CL_OK;
}

/* Past the legacy window: delete up to S_EXPIRE records of the older
 * format (keys CL_BLIND_LEN long; the reserved rows are left), and clear
 * the mark once none is left. */
static int s_expire_legacy(cl_txn *t, int64_t now)
{
    cl_store__replay *r = &t->store->replay;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint8_t keys[S_EXPIRE][CL_BLIND_LEN];
    int n = 0, rc = CL_OK;
    if (!r->legacy_until || now < r->legacy_until)
        return CL_OK;
    int mrc = mdb_cursor_open(t->txn, t->store->dbi[CL_DB_IDEMPOTENCY], &cur);
    if (mrc != MDB_SUCCESS)
        return cl_store__mdb_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         mrc == MDB_SUCCESS && n < S_EXPIRE;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if (k.mv_size == CL_BLIND_LEN)
            memcpy(keys[n++], k.mv_data, CL_BLIND_LEN);
    mdb_cursor_close(cur);
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        return cl_store__mdb_err(mrc);
    for (int i = 0; i < n && rc == CL_OK; i++)
        rc = cl_store_del(t, CL_DB_IDEMPOTENCY, keys[i], CL_BLIND_LEN);
    if (rc != CL_OK || n == S_EXPIRE)
        return rc;
    r->legacy_until = 0;
    return cl_store_put_raw(t, CL_DB_META, S_MARK, S_MARK_LEN,
                            (const uint8_t[8]){0}, 8);
}

int cl_store_replay_put(cl_txn *t, const uint8_t blind[CL_BLIND_LEN],
                        int64_t now, uint32_t window, const uint8_t *val,
                        size_t len)
{
    cl_store__replay *r = &t->store->replay;
    uint8_t key[S_KEY_LEN];
    int rc = s_build(t, now, window);
    if (rc != CL_OK)
        return rc;
    uint32_t at = s_second(now), cutoff = s_cutoff(now, window);
    s_key(key, at, blind);
    if ((rc = cl_store_put(t, CL_DB_REPLAY, key, sizeof(key), val, len)) !=
        CL_OK)
        return rc;
    if ((rc = s_room(t, r, cutoff)) != CL_OK)
        return rc;
    s_slot_add(r, s_be32(blind), at);
    if ((rc = s_expire(t, cutoff)) != CL_OK)
        return rc;
    return s_expire_legacy(t, now);
}
