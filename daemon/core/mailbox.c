/*
 * mailbox: the agencies' mailboxes (see mailbox.h).
 *
 * Stored records (plaintext before sealing, see store/codec.h):
 *   meta     "mbox:" agency   -> nothing: the names of the mailboxes
 *            (a store from before held next seq (8), depth (8), notices
 *            (8) here, unsealed: read once, then replaced)
 *   mailbox  blind(agency) || seq -> v1, kind, at, the delivery's fields
 *   mailbox  blind(agency) || 0   -> 0xC0, next seq (8), notices (8): the
 *            mailbox's counters, sealed and counted with its deliveries
 */
#include "mailbox.h"

#include <inttypes.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "ids.h"
#include "idset.h"
#include "records.h"

#define S_VERSION  1
#define S_DLV_BUF  (CL_CONCERN_SZ + 4096)
#define S_META_PFX "mbox:"
#define S_TAG_LEN  CL_BLIND_LEN

void cl_route_config_defaults(cl_route_config *rc)
{
    memset(rc, 0, sizeof(*rc));
    rc->mailbox_max = CL_MAILBOX_MAX_DEFAULT;
    rc->notice_max = CL_NOTICE_MAX_DEFAULT;
    rc->silence_after_s = CL_FEED_SILENCE_DEFAULT;
}

/* --- mailboxes ------------------------------------------------------------ */

/* Each stored message's fields, in their stored order: one row a field,
 * read by cl_enc_fields and cl_dec_fields (store/codec.h). */
#define S_STR(T, f) CL_FIELD(T, f, CL_F_STR)
#define S_U8(T, f)  CL_FIELD(T, f, CL_F_U8)
#define S_U32(T, f) CL_FIELD(T, f, CL_F_U32)
#define S_U64(T, f) CL_FIELD(T, f, CL_F_U64)
#define S_I64(T, f) CL_FIELD(T, f, CL_F_I64)

static const cl_field s_response_rows[] = {
    S_STR(cl_info_response, request_id), S_STR(cl_info_response, agency),
    S_STR(cl_info_response, person_id),  S_STR(cl_info_response, summary),
    S_U8(cl_info_response, risk),        S_U8(cl_info_response, involvement),
    S_STR(cl_info_response, contact),    S_I64(cl_info_response, answered_at),
};

/* The intake item's fields before its on-agenda list, then after it. */
static const cl_field s_intake_head[] = {
    S_STR(cl_intake_item, intake_id),   S_STR(cl_intake_item, rule),
    S_STR(cl_intake_item, why),         S_STR(cl_intake_item, person_id),
    S_STR(cl_intake_item, given),       S_STR(cl_intake_item, family),
    S_STR(cl_intake_item, dob),         S_STR(cl_intake_item, agency),
    S_STR(cl_intake_item, agency_kind), S_STR(cl_intake_item, reference),
    S_U8(cl_intake_item, category),     S_U8(cl_intake_item, risk),
    S_I64(cl_intake_item, occurred_at), S_I64(cl_intake_item, received_at),
    S_I64(cl_intake_item, raised_at),   S_U32(cl_intake_item, hits),
};
static const cl_field s_intake_tail[] = {
    S_STR(cl_intake_item, action_id),
};

static const cl_field s_alert_rows[] = {
    S_STR(cl_alert, reference),
    S_STR(cl_alert, plan_ref),
    S_STR(cl_alert, child_pid),
    S_STR(cl_alert, child_given),
    S_STR(cl_alert, child_family),
    S_STR(cl_alert, child_dob),
    S_STR(cl_alert, subject_is),
    S_STR(cl_alert, subject_pid),
    S_STR(cl_alert, agency),
    S_STR(cl_alert, referrer_name),
    S_STR(cl_alert, referrer_role),
    S_U8(cl_alert, category),
    S_U8(cl_alert, risk),
    S_U8(cl_alert, plan_type),
    S_STR(cl_alert, concern),
    S_I64(cl_alert, occurred_at),
    S_I64(cl_alert, received_at),
    CL_FIELD_OPT, /* alerts stored since subjects are named */
    S_STR(cl_alert, subject_given),
    S_STR(cl_alert, subject_family),
    S_STR(cl_alert, subject_dob),
    CL_FIELD_OPT, /* alerts stored since the front-line flag */
    CL_FIELD(cl_alert, flag_shown, CL_F_BOOL),
};

/* The request's fields before the person it is about, then after it. */
static const cl_field s_request_head[] = {
    S_STR(cl_info_msg, request_id),
    S_STR(cl_info_msg, from_agency),
    S_STR(cl_info_msg, person_id),
};
static const cl_field s_request_tail[] = {
    S_STR(cl_info_msg, due),
    S_STR(cl_info_msg, question),
    S_STR(cl_info_msg, review_id),
};

static const cl_field s_status_rows[] = {
    S_STR(cl_status_msg, reference), S_STR(cl_status_msg, agency_ref),
    S_U8(cl_status_msg, status),     S_STR(cl_status_msg, reason),
    S_U8(cl_status_msg, outcome),    S_STR(cl_status_msg, by),
    S_I64(cl_status_msg, at),
};

static const cl_field s_feed_rows[] = {
    S_STR(cl_feed_msg, agency),   S_STR(cl_feed_msg, feed),
    S_STR(cl_feed_msg, problem),  S_U64(cl_feed_msg, expected),
    S_U64(cl_feed_msg, received), S_I64(cl_feed_msg, last_at),
};

static const cl_field s_action_rows[] = {
    S_STR(cl_action_msg, event),      S_STR(cl_action_msg, action_id),
    S_STR(cl_action_msg, review_id),  S_STR(cl_action_msg, person_id),
    S_STR(cl_action_msg, given),      S_STR(cl_action_msg, family),
    S_STR(cl_action_msg, dob),        S_STR(cl_action_msg, text),
    S_STR(cl_action_msg, owner_name), S_STR(cl_action_msg, owner_agency),
    S_STR(cl_action_msg, due),        S_U8(cl_action_msg, status),
    S_STR(cl_action_msg, note),       S_STR(cl_action_msg, by_agency),
    S_STR(cl_action_msg, by_user),
};

static const cl_field s_flag_rows[] = {
    S_STR(cl_flag_notice, plan_id),      S_STR(cl_flag_notice, plan_ref),
    S_STR(cl_flag_notice, child_pid),    S_STR(cl_flag_notice, child_given),
    S_STR(cl_flag_notice, child_family), S_STR(cl_flag_notice, person_pid),
    S_STR(cl_flag_notice, person_is),    S_STR(cl_flag_notice, agency),
    S_STR(cl_flag_notice, client),       S_STR(cl_flag_notice, user_id),
    S_STR(cl_flag_notice, user_name),    S_STR(cl_flag_notice, user_role),
    S_STR(cl_flag_notice, context),      S_U32(cl_flag_notice, count),
    S_I64(cl_flag_notice, first_at),     S_I64(cl_flag_notice, last_at),
};

static const cl_field s_retraction_rows[] = {
    S_STR(cl_retraction_msg, reference), S_STR(cl_retraction_msg, agency),
    S_STR(cl_retraction_msg, plan_ref),  S_STR(cl_retraction_msg, reason),
    S_I64(cl_retraction_msg, at),
};

static const cl_field s_governance_rows[] = {
    S_STR(cl_governance_msg, event),     S_STR(cl_governance_msg, agency),
    S_STR(cl_governance_msg, client),    S_STR(cl_governance_msg, reference),
    S_STR(cl_governance_msg, person_id), S_STR(cl_governance_msg, detail),
    S_I64(cl_governance_msg, at),
};

void cl_mailbox_response_enc(cl_enc *e, const cl_info_response *x)
{
    cl_enc_fields(e, x, s_response_rows, CL_FIELDS_N(s_response_rows));
}

void cl_mailbox_response_dec(cl_dec *d, cl_info_response *x)
{
    cl_dec_fields(d, x, s_response_rows, CL_FIELDS_N(s_response_rows));
}

void cl_mailbox_intake_enc(cl_enc *e, const cl_intake_item *x)
{
    cl_enc_fields(e, x, s_intake_head, CL_FIELDS_N(s_intake_head));
    cl_enc_u8(e, (uint8_t)x->n_on_agenda);
    for (uint32_t i = 0; i < x->n_on_agenda && i < CL_ON_AGENDA_MAX; i++)
        cl_enc_str(e, x->on_agenda[i]);
    cl_enc_fields(e, x, s_intake_tail, CL_FIELDS_N(s_intake_tail));
}

void cl_mailbox_intake_dec(cl_dec *d, cl_intake_item *x)
{
    memset(x, 0, sizeof(*x));
    cl_dec_fields(d, x, s_intake_head, CL_FIELDS_N(s_intake_head));
    uint8_t n = cl_dec_u8(d);
    if (n > CL_ON_AGENDA_MAX)
        d->bad = true;
    for (uint8_t i = 0; i < n && i < CL_ON_AGENDA_MAX; i++)
        CL_DEC_STR(d, x->on_agenda[x->n_on_agenda++]);
    cl_dec_fields(d, x, s_intake_tail, CL_FIELDS_N(s_intake_tail));
}

/* The two kinds with more than a flat list of fields. */
static void s_intake_enc(cl_enc *e, const cl_delivery *dv)
{
    cl_mailbox_intake_enc(e, &dv->u.intake);
}

static void s_intake_dec(cl_dec *d, cl_delivery *dv)
{
    cl_mailbox_intake_dec(d, &dv->u.intake);
}

static void s_request_enc(cl_enc *e, const cl_delivery *dv)
{
    const cl_info_msg *m = &dv->u.request;
    cl_enc_fields(e, m, s_request_head, CL_FIELDS_N(s_request_head));
    cl_records_person_fields_enc(e, &m->person);
    cl_enc_fields(e, m, s_request_tail, CL_FIELDS_N(s_request_tail));
}

static void s_request_dec(cl_dec *d, cl_delivery *dv)
{
    cl_info_msg *m = &dv->u.request;
    cl_dec_fields(d, m, s_request_head, CL_FIELDS_N(s_request_head));
    cl_records_person_fields_dec(d, &m->person);
    cl_dec_fields(d, m, s_request_tail, CL_FIELDS_N(s_request_tail));
}

/* A delivery kind's stored fields: its rows (in the union member, which
 * starts where every member does), or, for the kinds that nest more than
 * flat fields, an encoder and a decoder of their own. */
typedef struct s_kind {
    const cl_field *rows;
    size_t n_rows;
    void (*enc)(cl_enc *e, const cl_delivery *dv);
    void (*dec)(cl_dec *d, cl_delivery *dv);
} s_kind;

#define S_ROWS(r) (r), CL_FIELDS_N(r), NULL, NULL

static const s_kind s_kinds[CL_DLV_KIND_COUNT] = {
    [CL_DLV_ALERT] = {S_ROWS(s_alert_rows)},
    [CL_DLV_REQUEST] = {NULL, 0, s_request_enc, s_request_dec},
    [CL_DLV_RESPONSE] = {S_ROWS(s_response_rows)},
    [CL_DLV_STATUS] = {S_ROWS(s_status_rows)},
    [CL_DLV_FEED] = {S_ROWS(s_feed_rows)},
    [CL_DLV_INTAKE] = {NULL, 0, s_intake_enc, s_intake_dec},
    [CL_DLV_ACTION] = {S_ROWS(s_action_rows)},
    [CL_DLV_FLAG] = {S_ROWS(s_flag_rows)},
    [CL_DLV_RETRACTION] = {S_ROWS(s_retraction_rows)},
    [CL_DLV_GOVERNANCE] = {S_ROWS(s_governance_rows)},
};

static void s_dlv_enc(cl_enc *e, const cl_delivery *dv)
{
    cl_enc_u8(e, S_VERSION);
    cl_enc_u8(e, (uint8_t)dv->kind);
    cl_enc_i64(e, dv->at);
    const s_kind *k =
        (unsigned)dv->kind < CL_DLV_KIND_COUNT ? &s_kinds[dv->kind] : NULL;
    if (k && k->enc)
        k->enc(e, dv);
    else if (k && k->rows)
        cl_enc_fields(e, &dv->u, k->rows, k->n_rows);
    else
        e->bad = true;
}

static void s_dlv_dec(cl_dec *d, cl_delivery *dv)
{
    memset(dv, 0, sizeof(*dv));
    if (cl_dec_u8(d) != S_VERSION)
        d->bad = true;
    dv->kind = (cl_dlv_kind)cl_dec_u8(d);
    dv->at = cl_dec_i64(d);
    const s_kind *k =
        (unsigned)dv->kind < CL_DLV_KIND_COUNT ? &s_kinds[dv->kind] : NULL;
    if (k && k->dec)
        k->dec(d, dv);
    else if (k && k->rows)
        cl_dec_fields(d, &dv->u, k->rows, k->n_rows);
    else
        d->bad = true;
}

/* A mailbox's counters: the last seq given, how many wait, and how many
 * of those the daemon raised itself (s_is_notice: every kind but requests
 * and answers). The first and the last are a sealed row in the mailbox's
 * own group (seq 0; deliveries start at 1), so that editing, deleting or
 * putting back an older copy of it is caught like a delivery's (the
 * group's digest); the depth is not stored at all: it is the group's
 * count, which the store keeps authenticated. Stores made before kept
 * them unsealed in META, read once (their depth ignored); stores made
 * before every raised kind was counted counted feed and governance
 * notices only (the count never goes above the depth, so such a mailbox
 * is exact again once it drains). */
typedef struct s_box {
    uint64_t next, depth, notices;
    bool fresh; /* no counters row yet */
} s_box;

#define S_BOX_MARK 0xC0
#define S_BOX_LEN  17

static void s_tag(cl_txn *t, const char *agency, uint8_t k[S_TAG_LEN + 8],
                  uint64_t seq);
/* Scan from `after`+1, staying inside the agency's tag. */
static int s_scan_box(cl_txn *t, const char *agency, uint64_t after,
                      cl_store_scan_fn fn, void *ctx);
static int s_any(void *ctx, const uint8_t *key, size_t len);

/* The counters a store from before left in META (none: zeros). */
static int s_box_legacy(cl_txn *t, const char *agency, s_box *b)
{
    char key[sizeof(S_META_PFX) + CL_AGENCY_SZ];
    uint8_t v[24];
    size_t len = 0;
    int n = snprintf(key, sizeof(key), S_META_PFX "%s", agency);
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n, v,
                              sizeof(v), &len);
    if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && len == 0))
        return CL_OK;
    if (rc != CL_OK)
        return rc;
    if (len != 16 && len != 24)
        return CL_ERR_CORRUPT;
    b->next = cl_be64_get(v);
    b->notices = len == 24 ? cl_be64_get(v + 16) : 0;
    return CL_OK;
}

static int s_box_get(cl_txn *t, const char *agency, s_box *b)
{
    uint8_t k[S_TAG_LEN + 8], v[24];
    size_t len = 0;
    uint64_t count = 0;
    bool beyond = false;
    memset(b, 0, sizeof(*b));
    s_tag(t, agency, k, 0);
    int rc = cl_store_get(t, CL_DB_MAILBOX, k, sizeof(k), v, sizeof(v), &len);
    if (rc == CL_ERR_NOT_FOUND) {
        b->fresh = true;
        rc = s_box_legacy(t, agency, b);
    } else if (rc == CL_OK) {
        if (len != S_BOX_LEN || v[0] != S_BOX_MARK)
            return CL_ERR_CORRUPT;
        b->next = cl_be64_get(v + 1);
        b->notices = cl_be64_get(v + 9);
    }
    if (rc == CL_OK)
        rc = cl_store_group_count(t, CL_DB_MAILBOX, k, &count);
    if (rc != CL_OK)
        return rc;
    if (!b->fresh && count == 0)
        return CL_ERR_CORRUPT;
    b->depth = count - !b->fresh;
    if (b->notices > b->depth)
        b->notices = b->depth;
    /* nothing past next: counters put back from an older copy would hand
     * out a seq again (and overwrite what it names) */
    rc = s_scan_box(t, agency, b->next, s_any, &beyond);
    return rc == CL_OK && beyond ? CL_ERR_CORRUPT : rc;
}

static int s_box_put(cl_txn *t, const char *agency, s_box *b)
{
    uint8_t k[S_TAG_LEN + 8], v[S_BOX_LEN];
    v[0] = S_BOX_MARK;
    cl_be64_put(v + 1, b->next);
    cl_be64_put(v + 9, b->notices);
    s_tag(t, agency, k, 0);
    int rc = cl_store_put(t, CL_DB_MAILBOX, k, sizeof(k), v, sizeof(v));
    if (rc == CL_OK && b->fresh) { /* its name, for listing the mailboxes */
        char key[sizeof(S_META_PFX) + CL_AGENCY_SZ];
        int n = snprintf(key, sizeof(key), S_META_PFX "%s", agency);
        rc = cl_store_put_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n,
                              NULL, 0);
        b->fresh = false;
    }
    return rc;
}

static int s_meta_get(cl_txn *t, const char *agency, uint64_t *next,
                      uint64_t *depth)
{
    s_box b;
    int rc = s_box_get(t, agency, &b);
    *next = b.next;
    *depth = b.depth;
    return rc;
}

/* Deliveries the daemon raises itself (alerts, intake items, flags,
 * status and action notices, feed and governance notices), counted apart
 * from what agencies send each other (requests and answers): however many
 * a publisher's referrals raise, they never fill the room mailbox_max
 * keeps for agencies' answers. */
static bool s_is_notice(cl_dlv_kind k)
{
    return k != CL_DLV_REQUEST && k != CL_DLV_RESPONSE;
}

static void s_tag(cl_txn *t, const char *agency, uint8_t k[S_TAG_LEN + 8],
                  uint64_t seq)
{
    cl_store_blind(cl_store_of(t), k, "mailbox", (const uint8_t *)agency,
                   strlen(agency));
    cl_be64_put(k + S_TAG_LEN, seq);
}

int cl_mailbox_put(cl_txn *t, const cl_route_config *cfg, const char *agency,
                   cl_delivery *d, bool bounded, int64_t now,
                   char err[CL_ERROR_SZ])
{
    s_box b;
    uint8_t k[S_TAG_LEN + 8];
    if (!agency[0])
        return CL_ERR_INVALID;
    int rc = s_box_get(t, agency, &b);
    if (rc != CL_OK)
        return rc;
    bool notice = s_is_notice(d->kind);
    /* The daemon's notices never fill the room agencies' answers need. */
    if (bounded && b.depth - b.notices >= cfg->mailbox_max) {
        snprintf(err, CL_ERROR_SZ,
                 "the mailbox of %.64s is full (%" PRIu64
                 " messages waiting): nothing was sent; try again later",
                 agency, b.depth - b.notices);
        return CL_ERR_MAILBOX;
    }
    /* Feed notices have a bound of their own: beyond notice_max raised
     * deliveries waiting they are dropped (the feed's state still shows
     * the problem); alerts, intake items and the rest are never dropped. */
    if (d->kind == CL_DLV_FEED && cfg->notice_max &&
        b.notices >= cfg->notice_max)
        return CL_OK;
    d->seq = b.next + 1;
    d->at = now;
    uint8_t *buf = malloc(S_DLV_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, S_DLV_BUF);
    s_dlv_enc(&e, d);
    s_tag(t, agency, k, d->seq);
    rc = cl_enc_ok(&e)
             ? cl_store_put(t, CL_DB_MAILBOX, k, sizeof(k), buf, e.len)
             : CL_ERR_INTERNAL;
    sodium_memzero(buf, e.len);
    free(buf);
    if (rc == CL_OK) {
        b.next = d->seq;
        b.depth++;
        b.notices += notice;
        rc = s_box_put(t, agency, &b);
    }
    return rc;
}

int cl_mailbox_get(cl_txn *t, const char *agency, uint64_t seq, cl_delivery *d)
{
    uint8_t k[S_TAG_LEN + 8];
    size_t vlen = 0;
    if (seq == 0)
        return CL_ERR_NOT_FOUND; /* the counters, no delivery */
    uint8_t *buf = malloc(S_DLV_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    s_tag(t, agency, k, seq);
    int rc =
        cl_store_get(t, CL_DB_MAILBOX, k, sizeof(k), buf, S_DLV_BUF, &vlen);
    if (rc == CL_OK) {
        cl_dec dc = cl_dec_init(buf, vlen);
        s_dlv_dec(&dc, d);
        d->seq = seq;
        rc = cl_dec_ok(&dc) ? CL_OK : CL_ERR_CORRUPT;
    }
    sodium_memzero(buf, S_DLV_BUF);
    free(buf);
    return rc;
}

int cl_mailbox_find_alert(cl_txn *t, const char *agency, const char *reference,
                          const char *plan_ref, cl_delivery *d)
{
    uint64_t next = 0, depth = 0;
    int rc = s_meta_get(t, agency, &next, &depth);
    /* the alerts of this referral are among the newest deliveries */
    for (uint64_t seq = next; rc == CL_OK && seq > 0 && next - seq < 64;
         seq--) {
        rc = cl_mailbox_get(t, agency, seq, d);
        if (rc == CL_ERR_NOT_FOUND) {
            rc = CL_OK;
            continue;
        }
        if (rc == CL_OK && d->kind == CL_DLV_ALERT &&
            strcmp(d->u.alert.reference, reference) == 0 &&
            strcmp(d->u.alert.plan_ref, plan_ref) == 0)
            return CL_OK;
    }
    return rc == CL_OK ? CL_ERR_NOT_FOUND : rc;
}

int cl_mailbox_replace(cl_txn *t, const char *agency, const cl_delivery *d)
{
    uint8_t k[S_TAG_LEN + 8];
    if (d->seq == 0)
        return CL_ERR_NOT_FOUND; /* the counters, no delivery */
    uint8_t *buf = malloc(S_DLV_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, S_DLV_BUF);
    s_dlv_enc(&e, d);
    s_tag(t, agency, k, d->seq);
    int rc = cl_enc_ok(&e)
                 ? cl_store_put(t, CL_DB_MAILBOX, k, sizeof(k), buf, e.len)
                 : CL_ERR_INTERNAL;
    sodium_memzero(buf, S_DLV_BUF);
    free(buf);
    return rc;
}

typedef struct s_rx {
    cl_txn *t;
    cl_deliveries *out;
    size_t limit;
    uint8_t *buf;
    int found; /* for cl_mailbox_inbox_waiting */
} s_rx;

static int s_rx_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rx *x = ctx;
    size_t vlen = 0;
    if (x->out->n >= x->limit)
        return 1;
    int rc =
        cl_store_get(x->t, CL_DB_MAILBOX, key, len, x->buf, S_DLV_BUF, &vlen);
    if (rc != CL_OK)
        return rc;
    cl_delivery *dv = &x->out->v[x->out->n];
    cl_dec d = cl_dec_init(x->buf, vlen);
    s_dlv_dec(&d, dv);
    sodium_memzero(x->buf, vlen);
    if (!cl_dec_ok(&d) || len != S_TAG_LEN + 8)
        return CL_ERR_CORRUPT;
    dv->seq = cl_be64_get(key + S_TAG_LEN);
    x->out->n++;
    return CL_OK;
}

typedef struct s_bounded {
    uint8_t tag[S_TAG_LEN];
    cl_store_scan_fn fn;
    void *ctx;
} s_bounded;

static int s_bounded_one(void *ctx, const uint8_t *key, size_t len)
{
    s_bounded *b = ctx;
    if (len < S_TAG_LEN || memcmp(key, b->tag, S_TAG_LEN) != 0)
        return 1; /* past this agency's mailbox */
    return b->fn(b->ctx, key, len);
}

static int s_scan_box(cl_txn *t, const char *agency, uint64_t after,
                      cl_store_scan_fn fn, void *ctx)
{
    uint8_t k[S_TAG_LEN + 8];
    s_bounded b;
    if (after == UINT64_MAX)
        return CL_OK;
    s_tag(t, agency, k, after + 1);
    memcpy(b.tag, k, S_TAG_LEN);
    b.fn = fn;
    b.ctx = ctx;
    return cl_store_scan_from(t, CL_DB_MAILBOX, k, sizeof(k), s_bounded_one,
                              &b);
}

int cl_mailbox_inbox_receive(cl_txn *t, const cl_caller *caller,
                             const cl_inbox_query *q, cl_deliveries *out,
                             char err[CL_ERROR_SZ])
{
    uint64_t next;
    memset(out, 0, sizeof(*out));
    if (!cl_access_allowed(caller->roles, CL_REQ_INBOX_RECEIVE)) {
        snprintf(err, CL_ERROR_SZ, "mailboxes belong to agencies");
        return CL_ERR_DENIED;
    }
    if (q->limit > CL_INBOX_MAX) {
        snprintf(err, CL_ERROR_SZ, "limit: at most %d deliveries a receive",
                 CL_INBOX_MAX);
        return CL_ERR_INVALID;
    }
    if (q->wait_ms > CL_WAIT_MAX_MS) {
        snprintf(err, CL_ERROR_SZ,
                 "wait_ms: at most %d (a minute); receive again to wait on",
                 CL_WAIT_MAX_MS);
        return CL_ERR_INVALID;
    }
    int rc = s_meta_get(t, caller->agency, &next, &out->depth);
    if (rc != CL_OK)
        return rc;
    s_rx x = {t, out, q->limit ? q->limit : 50, NULL, 0};
    out->v = calloc(x.limit, sizeof(*out->v));
    x.buf = malloc(S_DLV_BUF);
    if (!out->v || !x.buf) {
        free(x.buf);
        return CL_ERR_NOMEM;
    }
    rc = s_scan_box(t, caller->agency, q->after, s_rx_one, &x);
    free(x.buf);
    return rc;
}

static int s_any(void *ctx, const uint8_t *key, size_t len)
{
    (void)key;
    (void)len;
    *(bool *)ctx = true;
    return 1;
}

int cl_mailbox_inbox_waiting(cl_txn *t, const char *agency, uint64_t after,
                             bool *waiting)
{
    *waiting = false;
    return s_scan_box(t, agency, after, s_any, waiting);
}

int cl_mailbox_inbox_ack(cl_txn *t, const cl_caller *caller,
                         const cl_inbox_ack *a, cl_ack_result *out,
                         char err[CL_ERROR_SZ])
{
    s_box b;
    uint8_t k[S_TAG_LEN + 8], head[2 + 8];
    memset(out, 0, sizeof(*out));
    if (!cl_access_allowed(caller->roles, CL_REQ_INBOX_RECEIVE)) {
        snprintf(err, CL_ERROR_SZ, "mailboxes belong to agencies");
        return CL_ERR_DENIED;
    }
    if (a->n == 0) {
        snprintf(err, CL_ERROR_SZ,
                 "seqs: name the deliveries to acknowledge (their seq)");
        return CL_ERR_INVALID;
    }
    uint8_t *buf = malloc(S_DLV_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    int rc = s_box_get(t, caller->agency, &b);
    for (uint32_t i = 0; rc == CL_OK && i < a->n && i < CL_INBOX_MAX; i++) {
        size_t vlen = 0;
        if (a->seqs[i] == 0)
            continue; /* the counters: nothing to acknowledge */
        s_tag(t, caller->agency, k, a->seqs[i]);
        /* its kind decides which count it leaves */
        rc =
            cl_store_get(t, CL_DB_MAILBOX, k, sizeof(k), buf, S_DLV_BUF, &vlen);
        if (rc == CL_ERR_NOT_FOUND) {
            rc = CL_OK; /* acknowledged before: at-least-once */
            continue;
        }
        bool notice = rc == CL_OK && vlen >= 2 && s_is_notice(buf[1]);
        memcpy(head, buf, vlen < sizeof(head) ? vlen : sizeof(head));
        sodium_memzero(buf, vlen);
        if (rc == CL_OK)
            rc = cl_store_del(t, CL_DB_MAILBOX, k, sizeof(k));
        if (rc == CL_OK) {
            out->removed++;
            if (b.depth)
                b.depth--;
            if (notice && b.notices)
                b.notices--;
        }
    }
    free(buf);
    if (rc == CL_OK && out->removed)
        rc = s_box_put(t, caller->agency, &b);
    out->depth = b.depth;
    return rc;
}

typedef struct s_depths {
    cl_stats *out;
} s_depths;

static int s_depth_one(void *ctx, const uint8_t *key, size_t len)
{
    cl_stats *st = ((s_depths *)ctx)->out;
    size_t pl = sizeof(S_META_PFX) - 1;
    if (st->n_mailboxes >= CL_MAILBOXES_MAX)
        return 1;
    cl_mailbox_depth *m = &st->mailboxes[st->n_mailboxes];
    size_t n =
        len - pl < sizeof(m->agency) - 1 ? len - pl : sizeof(m->agency) - 1;
    memcpy(m->agency, key + pl, n);
    m->agency[n] = '\0';
    st->n_mailboxes++;
    return CL_OK;
}

int cl_mailbox_depths(cl_txn *t, cl_stats *out)
{
    s_depths c = {out};
    out->n_mailboxes = 0;
    int rc = cl_store_scan(t, CL_DB_META, (const uint8_t *)S_META_PFX,
                           sizeof(S_META_PFX) - 1, s_depth_one, &c);
    for (uint32_t i = 0; rc == CL_OK && i < out->n_mailboxes; i++) {
        uint64_t next;
        rc = s_meta_get(t, out->mailboxes[i].agency, &next,
                        &out->mailboxes[i].depth);
    }
    return rc;
}

/* The agencies that have a mailbox (from META), one NUL-terminated name
 * after another. */
typedef struct s_boxes {
    char (*v)[CL_AGENCY_SZ];
    size_t n, cap;
} s_boxes;

static int s_box_one(void *ctx, const uint8_t *key, size_t len)
{
    s_boxes *b = ctx;
    size_t pl = sizeof(S_META_PFX) - 1;
    if (len <= pl || len - pl >= CL_AGENCY_SZ)
        return CL_OK;
    char *name = CL_VEC_ADD(b->v, b->n, b->cap);
    if (!name)
        return CL_ERR_NOMEM;
    memcpy(name, key + pl, len - pl); /* NUL-terminated: the slot is zeroed */
    return CL_OK;
}

/* Deliveries that name the person: by person id (alerts name the child
 * and the subject, requests and answers the person, governance notices
 * the person) or by one of their referrals' references (status changes).
 * The delivery's plaintext is searched, so a new delivery kind that names
 * people by id is covered without a row here. */
typedef struct s_dpurge {
    cl_txn *t;
    char (*look)[CL_REF_SZ]; /* the ids that name the person */
    size_t n_look, cap_look;
    uint8_t *buf;
    uint64_t *seqs; /* deliveries to remove; the top bit: a notice */
    size_t n_seqs, cap_seqs;
} s_dpurge;

static int s_dpurge_one(void *ctx, const uint8_t *key, size_t len)
{
    s_dpurge *c = ctx;
    size_t vlen = 0;
    if (len != S_TAG_LEN + 8)
        return CL_ERR_CORRUPT;
    int rc =
        cl_store_get(c->t, CL_DB_MAILBOX, key, len, c->buf, S_DLV_BUF, &vlen);
    if (rc != CL_OK)
        return rc;
    bool hit = false;
    for (size_t i = 0; i < c->n_look && !hit; i++)
        hit = memmem(c->buf, vlen, c->look[i], strlen(c->look[i])) != NULL;
    /* the top bit says it was one of the daemon's notices (counted apart) */
    uint64_t notice = vlen >= 2 && s_is_notice(c->buf[1]) ? 1ull << 63 : 0;
    sodium_memzero(c->buf, vlen);
    if (!hit)
        return CL_OK;
    uint64_t *slot = CL_VEC_ADD(c->seqs, c->n_seqs, c->cap_seqs);
    if (!slot)
        return CL_ERR_NOMEM;
    *slot = cl_be64_get(key + S_TAG_LEN) | notice;
    return CL_OK;
}

/* Remove the deliveries c->seqs of agency's mailbox, counting them out. */
static int s_dpurge_box(cl_txn *t, const char *agency, const s_dpurge *c)
{
    s_box box;
    uint8_t mk[S_TAG_LEN + 8];
    int rc = s_box_get(t, agency, &box);
    for (size_t j = 0; j < c->n_seqs && rc == CL_OK; j++) {
        bool notice = c->seqs[j] >> 63;
        s_tag(t, agency, mk, c->seqs[j] & ~(1ull << 63));
        rc = cl_store_del(t, CL_DB_MAILBOX, mk, sizeof(mk));
        if (rc == CL_OK && box.depth)
            box.depth--;
        if (rc == CL_OK && notice && box.notices)
            box.notices--;
    }
    return rc == CL_OK && c->n_seqs ? s_box_put(t, agency, &box) : rc;
}

int cl_mailbox_purge(cl_txn *t, uint64_t pid, const cl_ids *refs)
{
    s_dpurge c = {.t = t, .buf = malloc(S_DLV_BUF)};
    s_boxes b = {0};
    int rc = c.buf ? CL_OK : CL_ERR_NOMEM;
    /* what names them in any mailbox: their id, their referrals' */
    for (size_t i = 0; rc == CL_OK && i <= refs->n; i++) {
        char *id = CL_VEC_ADD(c.look, c.n_look, c.cap_look);
        if (!id)
            rc = CL_ERR_NOMEM;
        else if (i == 0)
            cl_audit_pid_str(id, pid);
        else
            (void)cl_id_format(id, CL_REF_SZ, CL_ID_REFERRAL, refs->v[i - 1]);
    }
    if (rc == CL_OK)
        rc = cl_store_scan(t, CL_DB_META, (const uint8_t *)S_META_PFX,
                           sizeof(S_META_PFX) - 1, s_box_one, &b);
    for (size_t i = 0; i < b.n && rc == CL_OK; i++) {
        c.n_seqs = 0;
        if ((rc = s_scan_box(t, b.v[i], 0, s_dpurge_one, &c)) == CL_OK)
            rc = s_dpurge_box(t, b.v[i], &c);
    }
    free(c.buf);
    free(c.seqs);
    free(c.look);
    free(b.v);
    return rc;
}

int cl_mailbox_decode_check(const uint8_t *buf, size_t len)
{
    if (len == S_BOX_LEN && buf[0] == S_BOX_MARK)
        return CL_OK; /* a mailbox's counters */
    cl_dec d = cl_dec_init(buf, len);
    cl_delivery *dv = malloc(sizeof(*dv));
    if (!dv)
        return CL_ERR_NOMEM;
    s_dlv_dec(&d, dv);
    free(dv);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}
