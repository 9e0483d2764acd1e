/*
 * rate: the per-client flag-check rate limit ([flag] rate_per_minute): a
 * window per client, restarted each minute, and the count of checks it
 * refused (for admin stats). A flag shown on a publish reply counts
 * against the same window.
 */
#include "rate.h"

#include <stdio.h>
#include <string.h>

#include "item.h"

#define S_RATE_WINDOW_US 60000000u /* a minute */

/* The client's flag-rate window, started or restarted as needed. */
s_rate *cl_rate_slot(cl_server *s, const char *client)
{
    uint64_t now = s_mono_us();
    s_rate *r = NULL;
    for (size_t i = 0; i < s->n_rates && !r; i++)
        if (strcmp(s->rates[i].client, client) == 0)
            r = &s->rates[i];
    if (!r) {
        size_t o = s->n_rates;
        if (o == S_RATE_MAX) { /* recycle the oldest window */
            o = 0;
            for (size_t i = 1; i < S_RATE_MAX; i++)
                if (s->rates[i].window_us < s->rates[o].window_us)
                    o = i;
        } else {
            s->n_rates++;
        }
        r = &s->rates[o];
        memset(r, 0, sizeof(*r));
        CL_COPY(r->client, client);
        r->window_us = now;
    }
    if (now - r->window_us >= S_RATE_WINDOW_US) {
        r->window_us = now;
        r->used = 0;
    }
    return r;
}

/* True if the client may make another flag check this minute; otherwise
 * the item is answered BUSY with when to try again, and counted for
 * admin stats. */
bool cl_rate_ok(cl_server *s, s_item *it)
{
    uint64_t now = s_mono_us();
    s_rate *r = cl_rate_slot(s, it->who->name);
    if (r->used < s->cfg.flag.rate_per_minute) {
        r->used++;
        return true;
    }
    r->refused++;
    char msg[CL_ERROR_SZ];
    snprintf(
        msg, sizeof(msg),
        "client %.64s has made %u flag checks this minute, the most "
        "[flag] rate_per_minute allows; try again in %u s",
        it->who->name, s->cfg.flag.rate_per_minute,
        (unsigned)((S_RATE_WINDOW_US - (now - r->window_us)) / 1000000u + 1));
    it->rep.kind = it->req.kind;
    cl_item_fail(it, CL_ERR_BUSY, msg);
    return false;
}
