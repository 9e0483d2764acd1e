/*
 * feed: feed health and governance notices (see feed.h).
 *
 * Stored records (plaintext before sealing, see store/codec.h):
 *   feed     agency NUL feed  -> v1, last seq, first, last, messages,
 *                                missing, gap from, gap to, silent,
 *                                gap open (s_feed_rows)
 */
#include "feed.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_vec.h"
#include "codec.h"
#include "mailbox.h"

#define S_VERSION 1

/* --- feed health ---------------------------------------------------------- */

static int s_feed_key(uint8_t *k, size_t cap, const char *agency,
                      const char *feed)
{
    size_t a = strlen(agency), f = strlen(feed);
    if (a + 1 + f > cap)
        return -1;
    memcpy(k, agency, a);
    k[a] = 0;
    memcpy(k + a + 1, feed, f);
    return (int)(a + 1 + f);
}

/* A feed's stored state after its version byte, in stored order. */
static const cl_field s_feed_rows[] = {
    CL_FIELD(cl_feed_state, last_seq, CL_F_U64),
    CL_FIELD(cl_feed_state, first_at, CL_F_I64),
    CL_FIELD(cl_feed_state, last_at, CL_F_I64),
    CL_FIELD(cl_feed_state, messages, CL_F_U64),
    CL_FIELD(cl_feed_state, missing, CL_F_U64),
    CL_FIELD(cl_feed_state, gap_from, CL_F_U64),
    CL_FIELD(cl_feed_state, gap_to, CL_F_U64),
    CL_FIELD(cl_feed_state, silent, CL_F_BOOL),
    CL_FIELD_OPT, /* written since notices are coalesced per episode */
    CL_FIELD(cl_feed_state, gap_open, CL_F_BOOL),
};

static int s_feed_put(cl_txn *t, const cl_feed_state *f)
{
    uint8_t k[CL_AGENCY_SZ + CL_FEED_SZ], buf[128];
    int kl = s_feed_key(k, sizeof(k), f->agency, f->feed);
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, S_VERSION);
    cl_enc_fields(&e, f, s_feed_rows, CL_FIELDS_N(s_feed_rows));
    if (kl < 0 || !cl_enc_ok(&e))
        return CL_ERR_INTERNAL;
    return cl_store_put(t, CL_DB_FEED, k, (size_t)kl, buf, e.len);
}

static int s_feed_dec(const uint8_t *key, size_t klen, const uint8_t *v,
                      size_t vlen, cl_feed_state *f)
{
    memset(f, 0, sizeof(*f));
    const uint8_t *nul = memchr(key, 0, klen);
    if (!nul || (size_t)(nul - key) >= sizeof(f->agency) ||
        klen - (size_t)(nul - key) - 1 >= sizeof(f->feed))
        return CL_ERR_CORRUPT;
    memcpy(f->agency, key, (size_t)(nul - key));
    memcpy(f->feed, nul + 1, klen - (size_t)(nul - key) - 1);
    cl_dec d = cl_dec_init(v, vlen);
    if (cl_dec_u8(&d) != S_VERSION)
        d.bad = true;
    cl_dec_fields(&d, f, s_feed_rows, CL_FIELDS_N(s_feed_rows));
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

static uint64_t s_silence_after(const cl_route_config *cfg, const char *agency,
                                const char *feed)
{
    for (uint32_t i = 0; i < cfg->n_feed_rules; i++)
        if (strcmp(cfg->feed_rules[i].agency, agency) == 0 &&
            strcmp(cfg->feed_rules[i].feed, feed) == 0)
            return cfg->feed_rules[i].silence_after_s;
    return cfg->silence_after_s;
}

/* Tell every coordinating agency of a feed problem. */
static int s_feed_tell(cl_txn *t, const cl_route_config *cfg,
                       const cl_feed_msg *m, int64_t now)
{
    cl_delivery *d = calloc(1, sizeof(*d));
    char err[CL_ERROR_SZ];
    int rc = d ? CL_OK : CL_ERR_NOMEM;
    for (uint32_t i = 0; rc == CL_OK && i < cfg->n_coord; i++) {
        memset(d, 0, sizeof(*d));
        d->kind = CL_DLV_FEED;
        d->u.feed = *m;
        rc = cl_mailbox_put(t, cfg, cfg->coord[i], d, false, now, err);
    }
    free(d);
    return rc;
}

int cl_feed_governance_notice(cl_txn *t, const cl_route_config *cfg,
                              cl_governance_msg *g, int64_t now)
{
    cl_delivery *d = calloc(1, sizeof(*d));
    char err[CL_ERROR_SZ];
    int rc = d ? CL_OK : CL_ERR_NOMEM;
    g->at = now;
    for (uint32_t i = 0; rc == CL_OK && cfg && i < cfg->n_audit; i++) {
        memset(d, 0, sizeof(*d));
        d->kind = CL_DLV_GOVERNANCE;
        d->u.governance = *g;
        rc = cl_mailbox_put(t, cfg, cfg->audit[i], d, false, now, err);
    }
    free(d);
    return rc;
}

int cl_feed_note(cl_txn *t, const cl_route_config *cfg, const char *agency,
                 const char *feed, uint64_t seq, int64_t now, cl_feed_event *ev)
{
    uint8_t k[CL_AGENCY_SZ + CL_FEED_SZ], v[128];
    size_t vlen = 0;
    cl_feed_state f;
    memset(ev, 0, sizeof(*ev));
    if (!feed[0] || !seq)
        return CL_OK;
    int kl = s_feed_key(k, sizeof(k), agency, feed);
    if (kl < 0)
        return CL_ERR_INTERNAL;
    int rc = cl_store_get(t, CL_DB_FEED, k, (size_t)kl, v, sizeof(v), &vlen);
    if (rc == CL_ERR_NOT_FOUND) {
        memset(&f, 0, sizeof(f));
        CL_COPY(f.agency, agency);
        CL_COPY(f.feed, feed);
        f.first_at = now;
        f.last_seq = seq;
    } else if (rc == CL_OK) {
        if ((rc = s_feed_dec(k, (size_t)kl, v, vlen, &f)) != CL_OK)
            return rc;
        /* f.last_seq < seq - 1, written so that 2^64-1 cannot wrap */
        if (seq > f.last_seq && seq - f.last_seq > 1) {
            uint64_t gap = seq - f.last_seq - 1;
            f.missing =
                f.missing > UINT64_MAX - gap ? UINT64_MAX : f.missing + gap;
            f.gap_from = f.last_seq + 1;
            f.gap_to = seq - 1;
            /* one notice per episode: until every gap is filled again */
            if (!f.gap_open) {
                CL_COPY(ev->msg.agency, agency);
                CL_COPY(ev->msg.feed, feed);
                CL_COPY(ev->msg.problem, "gap");
                ev->msg.expected = f.last_seq + 1;
                ev->msg.received = seq;
                ev->msg.last_at = f.last_at;
            }
            f.gap_open = true;
        } else if (seq <= f.last_seq && f.missing) {
            f.missing--; /* a late message filling a gap */
            if (!f.missing)
                f.gap_open = false; /* the episode is over */
        }
        if (seq > f.last_seq)
            f.last_seq = seq;
    } else {
        return rc;
    }
    f.messages++;
    f.last_at = now;
    f.silent = false;
    if ((rc = s_feed_put(t, &f)) != CL_OK)
        return rc;
    return ev->msg.problem[0] ? s_feed_tell(t, cfg, &ev->msg, now) : CL_OK;
}

typedef struct s_feeds {
    cl_txn *t;
    const cl_route_config *cfg;
    int64_t now;
    cl_feeds *out; /* listing, or */
    size_t cap;
    cl_feed_event *ev; /* checking */
    size_t max, n_ev;
} s_feeds;

static int s_feed_one(void *ctx, const uint8_t *key, size_t len)
{
    s_feeds *c = ctx;
    uint8_t v[128];
    size_t vlen = 0;
    cl_feed_state f;
    int rc = cl_store_get(c->t, CL_DB_FEED, key, len, v, sizeof(v), &vlen);
    if (rc == CL_OK)
        rc = s_feed_dec(key, len, v, vlen, &f);
    if (rc != CL_OK)
        return rc;
    f.silence_after_s = s_silence_after(c->cfg, f.agency, f.feed);
    bool quiet = c->now - f.last_at > (int64_t)f.silence_after_s;
    if (c->out) {
        f.silent = f.silent || quiet;
        return CL_VEC_PUSH(c->out->v, c->out->n, c->cap, f);
    }
    if (f.silent || !quiet)
        return CL_OK;
    f.silent = true;
    if ((rc = s_feed_put(c->t, &f)) != CL_OK)
        return rc;
    cl_feed_msg m;
    memset(&m, 0, sizeof(m));
    CL_COPY(m.agency, f.agency);
    CL_COPY(m.feed, f.feed);
    CL_COPY(m.problem, "silent");
    m.last_at = f.last_at;
    m.expected = f.last_seq + 1;
    if (c->n_ev < c->max)
        c->ev[c->n_ev++].msg = m;
    return s_feed_tell(c->t, c->cfg, &m, c->now);
}

int cl_feed_health(cl_txn *t, const cl_route_config *cfg, int64_t now,
                   cl_feeds *out)
{
    memset(out, 0, sizeof(*out));
    s_feeds c = {t, cfg, now, out, 0, NULL, 0, 0};
    return cl_store_scan(t, CL_DB_FEED, NULL, 0, s_feed_one, &c);
}

int cl_feed_check_silent(cl_txn *t, const cl_route_config *cfg, int64_t now,
                         cl_feed_event *ev, size_t max, size_t *n_ev)
{
    s_feeds c = {t, cfg, now, NULL, 0, ev, max, 0};
    int rc = cl_store_scan(t, CL_DB_FEED, NULL, 0, s_feed_one, &c);
    *n_ev = c.n_ev;
    return rc;
}

int cl_feed_decode_check(const uint8_t *buf, size_t len)
{
    cl_feed_state f;
    static const uint8_t key[] = {'a', 0, 'f'};
    return s_feed_dec(key, sizeof(key), buf, len, &f);
}
