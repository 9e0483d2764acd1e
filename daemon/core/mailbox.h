/*
 * mailbox: each agency's durable mailbox (deliveries numbered 1, 2, 3...,
 * sealed, removed when acknowledged) and its counters, the stored format
 * of every delivery kind, and the inbox requests over them. A primitive:
 * it calls only the store and the record formats below it, never the
 * modules that decide what to deliver (alerts, requests, MDT, intake).
 */
#ifndef CL_MAILBOX_H
#define CL_MAILBOX_H

#include "access.h"
#include "cl_model.h"
#include "codec.h"
#include "idset.h"
#include "store.h"

/* An information response in the stored format (deliveries carry one;
 * inforeq.c keeps them in its requests). */
void cl_mailbox_response_enc(cl_enc *e, const cl_info_response *x);
void cl_mailbox_response_dec(cl_dec *d, cl_info_response *x);

/* An intake item in a mailbox delivery's stored form. */
void cl_mailbox_intake_enc(cl_enc *e, const cl_intake_item *x);
void cl_mailbox_intake_dec(cl_dec *d, cl_intake_item *x);

/* Remove every delivery, in every mailbox, that names person pid (by id)
 * or one of the referrals refs (CL-...), keeping the counters true. */
CL_NODISCARD int cl_mailbox_purge(cl_txn *t, uint64_t pid, const cl_ids *refs);

/* Decode check of a stored delivery (fuzzing). */
CL_NODISCARD int cl_mailbox_decode_check(const uint8_t *buf, size_t len);

/* --- mailboxes ------------------------------------------------------------
 *
 * Each agency has a durable mailbox: deliveries numbered 1, 2, 3... (the
 * number is the delivery's stable id), kept until the agency acknowledges
 * them. Messages one agency composes for another (information requests and
 * answers) are refused with CL_ERR_MAILBOX when the addressee already has
 * mailbox_max of those waiting; alerts and referral status changes are
 * never refused, since refusing them would lose the alert or block the
 * decision behind it. Notices the daemon raises itself (feed problems,
 * governance notices) are counted apart and never count against an
 * agency's answers; feed notices are coalesced per feed and episode and
 * bounded by notice_max waiting (beyond it they are dropped: the feed's
 * state in admin_feeds and the operator's log still show the problem).
 */

#define CL_ROUTE_AGENCIES 64
#define CL_ROUTE_CLIENTS  256
#define CL_FEED_RULES     32

typedef struct cl_feed_rule {
    char agency[CL_AGENCY_SZ];
    char feed[CL_FEED_SZ];
    uint64_t silence_after_s;
} cl_feed_rule;

typedef struct cl_route_config {
    uint64_t mailbox_max;     /* per agency, for messages agencies compose */
    uint64_t notice_max;      /* per agency, feed notices waiting */
    bool tell_known_to_mdt;   /* tell a publisher its subject is on an MDT */
    uint64_t silence_after_s; /* default for feeds without a rule */
    uint32_t n_feed_rules;
    cl_feed_rule feed_rules[CL_FEED_RULES];
    /* from the client registry: */
    uint32_t n_agencies; /* every registered agency */
    char agencies[CL_ROUTE_AGENCIES][CL_AGENCY_SZ];
    uint32_t n_coord; /* agencies with a coordinator: hear of feed problems */
    char coord[CL_ROUTE_AGENCIES][CL_AGENCY_SZ];
    uint32_t n_audit; /* agencies with an auditor: hear governance notices */
    char audit[CL_ROUTE_AGENCIES][CL_AGENCY_SZ];
    uint32_t n_answer; /* agencies with a publishing system: the ones that
                        * can answer an information request */
    char answer[CL_ROUTE_AGENCIES][CL_AGENCY_SZ];
    uint32_t n_kinds; /* agency kinds with a publishing system, as the
                       * registry spells them (slots as wide as a name) */
    char kinds[CL_ROUTE_AGENCIES][CL_AGENCY_SZ];
    uint32_t n_clients; /* every registered client: the first
                         * CL_ROUTE_CLIENTS of them are listed */
    char clients[CL_ROUTE_CLIENTS][CL_CLIENT_SZ];
} cl_route_config;

#define CL_MAILBOX_MAX_DEFAULT  10000
#define CL_NOTICE_MAX_DEFAULT   1000
#define CL_FEED_SILENCE_DEFAULT 86400

void cl_route_config_defaults(cl_route_config *rc);

/* Put a delivery in an agency's mailbox; d->seq and d->at are set.
 * bounded: refuse with CL_ERR_MAILBOX (and err) when the mailbox is full. */
CL_NODISCARD int cl_mailbox_put(cl_txn *t, const cl_route_config *rc,
                                const char *agency, cl_delivery *d,
                                bool bounded, int64_t now,
                                char err[CL_ERROR_SZ]);

/* Delivery seq of an agency's mailbox; CL_ERR_NOT_FOUND once it has been
 * acknowledged. */
CL_NODISCARD int cl_mailbox_get(cl_txn *t, const char *agency, uint64_t seq,
                                cl_delivery *d);

/* The safeguarding alert for referral `reference` and plan plan_ref (the
 * authority's own reference) among the newest deliveries of an agency's
 * mailbox; CL_ERR_NOT_FOUND if there is none. */
CL_NODISCARD int cl_mailbox_find_alert(cl_txn *t, const char *agency,
                                       const char *reference,
                                       const char *plan_ref, cl_delivery *d);

/* Write d over delivery d->seq of an agency's mailbox (it keeps its place
 * and number: coalesced notices). Only for a delivery still waiting. */
CL_NODISCARD int cl_mailbox_replace(cl_txn *t, const char *agency,
                                    const cl_delivery *d);

/* Deliveries for the caller's own agency after q->after, oldest first. */
CL_NODISCARD int cl_mailbox_inbox_receive(cl_txn *t, const cl_caller *caller,
                                          const cl_inbox_query *q,
                                          cl_deliveries *out,
                                          char err[CL_ERROR_SZ]);

/* True if the agency's mailbox holds anything after seq `after`. */
CL_NODISCARD int cl_mailbox_inbox_waiting(cl_txn *t, const char *agency,
                                          uint64_t after, bool *waiting);

/* Remove acknowledged deliveries from the caller's own mailbox. Unknown
 * numbers (already acknowledged, or never there) are ignored. */
CL_NODISCARD int cl_mailbox_inbox_ack(cl_txn *t, const cl_caller *caller,
                                      const cl_inbox_ack *a, cl_ack_result *out,
                                      char err[CL_ERROR_SZ]);

/* Every mailbox with its depth (for operators: counts only). */
CL_NODISCARD int cl_mailbox_depths(cl_txn *t, cl_stats *out);

#endif
