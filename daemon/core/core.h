/*
 * core: caselink's domain logic, a library of pure functions over store
 * transactions. It decides who a record is about, what a caller may do and
 * see, and what a linked case looks like. It never touches sockets,
 * protobuf, configuration files or LMDB directly (only through store/), and
 * never logs personal data.
 */
#ifndef CL_CORE_H
#define CL_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "cl_model.h"
#include "store.h"

/* Roles (bit flags); a client may hold several. */
enum {
    CL_ROLE_PUBLISHER = 1u << 0,
    CL_ROLE_COORDINATOR = 1u << 1,
    CL_ROLE_OPERATOR = 1u << 2,
    CL_ROLE_AUDITOR = 1u << 3
};

/* Who is asking: from the client registry, via the CURVE key the ZAP
 * handler admitted. Never from message content. */
typedef struct cl_caller {
    char name[64];             /* registered client name */
    char agency[CL_AGENCY_SZ]; /* agency the client belongs to */
    char kind[CL_KIND_SZ];     /* agency kind: gp, police, ... */
    uint32_t roles;            /* CL_ROLE_* bits */
    bool plans;                /* a plan authority: may publish plans */
    bool require_user;         /* registry: its publisher requests too
                                  must name the acting user */
    cl_user user;              /* the named user this request acts for
                                  (validated and permitted), or empty */
} cl_caller;

/* Routing settings and the registry's agency lists (below). */
typedef struct cl_route_config cl_route_config;

/* Parse "publisher,coordinator" into role bits; -1 if a name is unknown. */
int64_t cl_core_roles_parse(const char *s);

/* True if a caller with these roles may send this kind of request. */
bool cl_core_allowed(uint32_t roles, cl_req_kind kind);

/* True if this caller's request of this kind must name the user it acts
 * for ("Systems and users"): whenever only the coordinator or auditor role
 * allows it, and a publisher's too when the registry says require_user.
 * health never needs one. */
bool cl_core_user_required(const cl_caller *c, cl_req_kind kind);

/* True if requests of this kind cost in proportion to the store (scans,
 * reports, exports): limited per client per batch. */
bool cl_core_heavy(cl_req_kind kind);

/* True if requests of this kind read or write personal data (and so are
 * audited whatever their outcome). */
bool cl_core_personal(cl_req_kind kind);

/* Comparison levels, each with an m probability (of this level when two
 * records are the same person) and a u probability (when they are not);
 * the level's weight is log2(m/u). Defaults in match.c; every one can be
 * set in caselinkd.conf [weights] as "name = m u". */
typedef enum {
    CL_W_FAMILY_EXACT,
    CL_W_FAMILY_PART,
    CL_W_FAMILY_CLOSE,
    CL_W_FAMILY_SOUNDEX,
    CL_W_FAMILY_DIFFERENT,
    CL_W_GIVEN_EXACT,
    CL_W_GIVEN_NICKNAME,
    CL_W_GIVEN_CLOSE,
    CL_W_GIVEN_PREFIX,
    CL_W_GIVEN_INITIAL,
    CL_W_GIVEN_DIFFERENT,
    CL_W_NAMES_SWAPPED,
    CL_W_DOB_EXACT,
    CL_W_DOB_SWAPPED,
    CL_W_DOB_TYPO,
    CL_W_DOB_ONE_PART,
    CL_W_DOB_GENERATION,
    CL_W_DOB_DIFFERENT,
    CL_W_SEX_SAME,
    CL_W_SEX_DIFFERENT,
    CL_W_POSTCODE_UNIT,
    CL_W_POSTCODE_SECTOR,
    CL_W_POSTCODE_DISTRICT,
    CL_W_POSTCODE_DIFFERENT,
    CL_W_ADDRESS_SAME,
    CL_W_ADDRESS_DIFFERENT,
    CL_W_TOWN_SAME,
    CL_W_TOWN_DIFFERENT,
    CL_W_UPRN_SAME,
    CL_W_UPRN_DIFFERENT,
    CL_W_HOUSEHOLD_SHARED,
    CL_W_AGENCY_OTHER_RECORD,
    CL_W_ADDRESS_CLOSE,
    CL_W_TOWN_CLOSE,
    CL_W_COUNT
} cl_weight_id;

/* Fellegi-Sunter decision thresholds and level probabilities. */
typedef struct cl_match_config {
    double upper;         /* at or above: link */
    double lower;         /* below: new person; between: review */
    double prior;         /* probability that two records picked at random
                             are one person (0: the default) */
    double upper_p;       /* the thresholds as match probabilities: when */
    double lower_p;       /* set (> 0), upper and lower follow the prior */
    double m[CL_W_COUNT]; /* per level */
    double u[CL_W_COUNT];
} cl_match_config;

/* Thresholds and every level's m and u at their documented defaults. */
void cl_match_config_defaults(cl_match_config *mc);

/* Set one level by its name ("family.exact"); false if unknown or the
 * probabilities are not in (0, 1). */
bool cl_match_weight_set(cl_match_config *mc, const char *name, double m,
                         double u);

/* The weight of one level under mc (log2(m/u)). */
double cl_match_level_weight(const cl_match_config *mc, cl_weight_id id);

/* Level id of a name, or -1. */
int cl_match_level_find(const char *name);

/* The name of a level, as the configuration and the review queue show it. */
const char *cl_match_weight_name(cl_weight_id id);

#define CL_MATCH_UPPER_DEFAULT 22.0
#define CL_MATCH_LOWER_DEFAULT 8.0
/* the default prior: about one match among 450,000 random pairs, so that
 * the documented thresholds (link at probability 0.9, review from 0.00056)
 * are the weights 22 and 8 until a prior is learned */
#define CL_MATCH_PRIOR_DEFAULT   2.2e-6
#define CL_MATCH_UPPER_P_DEFAULT 0.9

/* The match probability of weight w under mc's prior: the posterior odds
 * are 2^w times the prior odds. */
double cl_match_probability(const cl_match_config *mc, double w);

/* The weight whose match probability under mc's prior is p. */
double cl_match_weight_for(const cl_match_config *mc, double p);

/* Set upper and lower from upper_p and lower_p (where set) under the
 * prior in use: call after the prior changes. */
void cl_match_thresholds_update(cl_match_config *mc);

/* What a request touched, for its audit entry: filled by the operation,
 * written by cl_audit_append in the same transaction as the data. */
typedef struct cl_audit_note {
    uint32_t n_persons;                 /* people touched */
    uint64_t persons[CL_AUDIT_PERSONS]; /* their ids */
    char purpose[CL_NOTE_SZ];           /* why (case views) */
    bool break_glass;                   /* a justification, not a review */
    char detail[CL_REF_SZ];             /* e.g. the reference written */
} cl_audit_note;

/* "P00000042" */
void cl_core_pid_str(char out[CL_PID_SZ], uint64_t id);

/*
 * Publish a referral from caller inside write transaction t: link the
 * subject and related people, store the referral and relationships, and
 * fill out (reference, warnings). The referral must have passed
 * cl_referral_validate. now is unix seconds.
 */
CL_NODISCARD int cl_core_publish(cl_txn *t, const cl_match_config *mc,
                                 const cl_caller *caller, const cl_referral *r,
                                 int64_t now, cl_publish_result *out,
                                 cl_audit_note *note, char err[CL_ERROR_SZ]);

/*
 * Correct (kind CL_REQ_CORRECT_REFERRAL, with validated new content) or
 * withdraw (CL_REQ_WITHDRAW_REFERRAL) a referral the caller's agency sent.
 * Another agency's reference is CL_ERR_NOT_FOUND: its existence is not
 * revealed. The version before the change is kept for the auditor.
 */
CL_NODISCARD int cl_core_rectify(cl_txn *t, const cl_match_config *mc,
                                 const cl_caller *caller, cl_req_kind kind,
                                 const cl_rectify *r, int64_t now,
                                 cl_publish_result *out, cl_audit_note *note,
                                 char err[CL_ERROR_SZ]);

/*
 * Publish (or update, by the same agency reference) a child protection
 * plan: link the child and the adults named, record how they relate, and
 * keep the plan so that it shows on the case view of the child and of
 * every person linked to the child. Only a plan authority (caller->plans)
 * may; the plan must have passed cl_plan_validate (a child under 18, or an
 * unborn plan on the expectant mother, identified well enough). The
 * child's UPRN is not kept: households are never inferred from a plan. A
 * new plan is told to information governance (rc->audit; rc may be NULL
 * in tests), marked when it is the first from its agency.
 */
/* CL_OK if caller is a plan authority; CL_ERR_DENIED with err saying why
 * otherwise (checked before a plan's content, so that a non-authority
 * learns nothing from validation). */
CL_NODISCARD int cl_core_plan_authority(const cl_caller *caller,
                                        char err[CL_ERROR_SZ]);

CL_NODISCARD int cl_core_publish_plan(cl_txn *t, const cl_match_config *mc,
                                      const cl_route_config *rc,
                                      const cl_caller *caller, const cl_plan *p,
                                      int64_t now, cl_publish_result *out,
                                      cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/* Withdraw a plan recorded in error (its authority, by its own
 * reference): it stops showing on case views, raising alerts and raising
 * front-line flags at once; the record is kept for the auditor and
 * information governance is told. */
CL_NODISCARD int cl_core_withdraw_plan(cl_txn *t, const cl_route_config *rc,
                                       const cl_caller *caller,
                                       const cl_plan_withdraw *w, int64_t now,
                                       cl_publish_result *out,
                                       cl_audit_note *note,
                                       char err[CL_ERROR_SZ]);

/* Link one person from an agency's caseload extract (publisher; the
 * agency named must be the caller's own). */
CL_NODISCARD int cl_core_import_person(cl_txn *t, const cl_match_config *mc,
                                       const cl_caller *caller,
                                       const cl_import *im, int64_t now,
                                       cl_import_result *out,
                                       cl_audit_note *note,
                                       char err[CL_ERROR_SZ]);

/* Ranked candidates for a description (coordinator; justification
 * required and recorded as break-glass). */
CL_NODISCARD int cl_core_find(cl_txn *t, const cl_match_config *mc,
                              const cl_caller *caller, const cl_find *q,
                              cl_candidates *out, cl_audit_note *note,
                              char err[CL_ERROR_SZ]);

/* A page of every agency record and its person (coordinator). */
CL_NODISCARD int cl_core_links_export(cl_txn *t, const cl_caller *caller,
                                      const cl_links_query *q,
                                      cl_links_page *out, cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/* The open match-review queue, with each pair side by side and the weight
 * of every compared field (coordinator). */
CL_NODISCARD int cl_core_review_list(cl_txn *t, const cl_match_config *mc,
                                     const cl_caller *caller,
                                     const cl_review_query *q,
                                     cl_review_items *out, cl_audit_note *note,
                                     char err[CL_ERROR_SZ]);

/* Accept (merge the incoming record's person into the candidate's) or
 * reject a queued pair; or split a record off to a new person. out's
 * reference names the person the record now belongs to. */
CL_NODISCARD int cl_core_link_change(cl_txn *t, const cl_caller *caller,
                                     cl_req_kind kind, const cl_link_change *c,
                                     int64_t now, cl_publish_result *out,
                                     cl_audit_note *note,
                                     char err[CL_ERROR_SZ]);

/* Counts under this are reported as "<5" (-1) in aggregate figures. */
#define CL_SUPPRESS_BELOW 5

/* The coordinator's case finding: high-level users of one agency in a
 * period and who else knows them, and every pair of agencies' overlap
 * (small counts suppressed). Walks the whole store. */
CL_NODISCARD int cl_core_case_finding(cl_txn *t, const cl_caller *caller,
                                      const cl_case_finding *q, int64_t now,
                                      cl_case_finding_result *out,
                                      cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/* Create an MDT review (coordinator); out's reference is its id. */
CL_NODISCARD int cl_core_create_review(cl_txn *t, const cl_caller *caller,
                                       const cl_review_new *r, int64_t now,
                                       cl_publish_result *out,
                                       cl_audit_note *note,
                                       char err[CL_ERROR_SZ]);

/* Put a person on a review's agenda (coordinator). */
CL_NODISCARD int cl_core_add_to_agenda(cl_txn *t, const cl_caller *caller,
                                       const cl_agenda_add *a, int64_t now,
                                       cl_publish_result *out,
                                       cl_audit_note *note,
                                       char err[CL_ERROR_SZ]);

/* Everything held about one person, for an auditor: the case view with
 * withdrawn referrals, the history of changes, and who looked. */
CL_NODISCARD int cl_core_subject_access(cl_txn *t, const cl_caller *caller,
                                        const cl_person_ref *q,
                                        cl_subject_access *out,
                                        cl_audit_note *note,
                                        char err[CL_ERROR_SZ]);

/* How subject access covers each sub-database (dp.c): its content is in
 * the export, it is an index of ids and blind hashes only (what it points
 * to is exported), or it is left out for the reason *why gives. NONE: the
 * sub-database has no row, a defect test_dp reports. */
typedef enum {
    CL_SAR_NONE = 0,
    CL_SAR_EXPORTED,
    CL_SAR_INDEX,
    CL_SAR_LEFT_OUT
} cl_sar_cover;

cl_sar_cover cl_core_sar_cover(cl_db db, const char **why);

/* Audit entries naming one person (auditor). */
CL_NODISCARD int cl_core_audit_search(cl_txn *t, const cl_caller *caller,
                                      const cl_person_ref *q,
                                      cl_audit_entries *out,
                                      cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/*
 * Retention (dp.c) is a policy, not a timer: a person with no activity
 * for inactive_days is removed unless something still makes them live -
 * a legal hold, a protection plan in force or ended within
 * plan_ended_days (them and the people linked to them), a place on the
 * agenda of a review dated within review_days or to come, an open action,
 * an information request not yet answered by every agency asked. The
 * removal takes everything that names or describes them out of every
 * sub-database (see cl_core_purge) and is audited; the audit log keeps
 * only opaque ids.
 */
typedef struct cl_retention {
    double inactive_days;     /* 0: retention off */
    uint32_t plan_ended_days; /* the 12-month rule: 365 */
    uint32_t review_days;     /* 365 */
    uint32_t batch;           /* people removed per run at most */
} cl_retention;

#define CL_RETENTION_PLAN_DAYS   365
#define CL_RETENTION_REVIEW_DAYS 365

typedef struct cl_purge_result {
    size_t purged;
    /* idle people kept, by the first rule that kept them */
    size_t kept_hold, kept_plan, kept_agenda, kept_action, kept_request;
    /* every id a stored reply may carry that is now gone ("CL-...",
     * "P...", "REQ-...", "ACT-...", "PLAN-..."), NUL-separated: the
     * daemon redacts its remembered replies (idempotency) with them */
    char *names;
    size_t names_len;
} cl_purge_result;

void cl_purge_result_clear(cl_purge_result *r);

/* One retention run at now: up to pol->batch people removed. */
CL_NODISCARD int cl_core_purge(cl_txn *t, const cl_retention *pol, int64_t now,
                               cl_purge_result *out);

/* After a referral was withdrawn (same transaction): every agency its
 * safeguarding alerts went to gets a retraction notice in its mailbox
 * (never refused, like the alert). *sent: how many. */
CL_NODISCARD int cl_core_retract(cl_txn *t, const cl_route_config *cfg,
                                 const char *reference, const char *reason,
                                 int64_t now, uint32_t *sent);

/* Set (or with h->release, end) a legal hold on a person (coordinator;
 * a reason either way). out's reference is the person id. */
CL_NODISCARD int cl_core_legal_hold(cl_txn *t, const cl_caller *caller,
                                    const cl_hold *h, int64_t now,
                                    cl_publish_result *out, cl_audit_note *note,
                                    char err[CL_ERROR_SZ]);

/*
 * Build the linked case view for a coordinator (person, records, referrals
 * in time order, related people). out is cleared first and owns its arrays
 * (cl_person_view_clear).
 */
CL_NODISCARD int cl_core_person_view(cl_txn *t, const cl_caller *caller,
                                     const cl_get_person *q,
                                     cl_person_view *out, cl_audit_note *note,
                                     char err[CL_ERROR_SZ]);

/* --- routing (route.c): mailboxes, alerts, requests, status, feeds -------
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
} cl_route_config;

#define CL_MAILBOX_MAX_DEFAULT  10000
#define CL_NOTICE_MAX_DEFAULT   1000
#define CL_FEED_SILENCE_DEFAULT 86400

void cl_route_config_defaults(cl_route_config *rc);

/* A feed problem found, for the operator's log (no personal data). */
typedef struct cl_feed_event {
    cl_feed_msg msg; /* problem[0] == 0: nothing to report */
} cl_feed_event;

/* After a referral was stored (same transaction): alert the agencies
 * responsible for any active protection plan of the subject or of a child
 * linked to the subject; say known_to_mdt if the policy allows; note the
 * feed sequence (*ev reports a gap). */
CL_NODISCARD int cl_core_route_publish(cl_txn *t, const cl_route_config *rc,
                                       const cl_caller *caller,
                                       const cl_referral *r, int64_t now,
                                       cl_publish_result *out,
                                       cl_feed_event *ev);

/* Put a delivery in an agency's mailbox; d->seq and d->at are set.
 * bounded: refuse with CL_ERR_MAILBOX (and err) when the mailbox is full. */
CL_NODISCARD int cl_mailbox_put(cl_txn *t, const cl_route_config *rc,
                                const char *agency, cl_delivery *d,
                                bool bounded, int64_t now,
                                char err[CL_ERROR_SZ]);

/* Tell information governance (every agency with an auditor, rc->audit):
 * g is copied to each auditor agency's mailbox, never refused (a notice
 * lost would hide what it reports). g->at is set to now. */
CL_NODISCARD int cl_core_governance_notice(cl_txn *t, const cl_route_config *rc,
                                           cl_governance_msg *g, int64_t now);

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
CL_NODISCARD int cl_core_inbox_receive(cl_txn *t, const cl_caller *caller,
                                       const cl_inbox_query *q,
                                       cl_deliveries *out,
                                       char err[CL_ERROR_SZ]);

/* True if the agency's mailbox holds anything after seq `after`. */
CL_NODISCARD int cl_core_inbox_waiting(cl_txn *t, const char *agency,
                                       uint64_t after, bool *waiting);

/* Remove acknowledged deliveries from the caller's own mailbox. Unknown
 * numbers (already acknowledged, or never there) are ignored. */
CL_NODISCARD int cl_core_inbox_ack(cl_txn *t, const cl_caller *caller,
                                   const cl_inbox_ack *a, cl_ack_result *out,
                                   char err[CL_ERROR_SZ]);

/* Every mailbox with its depth (for operators: counts only). */
CL_NODISCARD int cl_core_mailbox_depths(cl_txn *t, cl_stats *out);

/* A coordinator moves a referral on; the referring agency is told. */
CL_NODISCARD int cl_core_set_status(cl_txn *t, const cl_route_config *rc,
                                    const cl_caller *caller,
                                    const cl_set_status *ss, int64_t now,
                                    cl_publish_result *out, cl_audit_note *note,
                                    char err[CL_ERROR_SZ]);

/* Send an information request to agencies (coordinator). */
CL_NODISCARD int cl_core_info_request(cl_txn *t, const cl_route_config *rc,
                                      const cl_caller *caller,
                                      const cl_info_request *q, int64_t now,
                                      cl_publish_result *out,
                                      cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/* An asked agency answers (publisher); the answer goes to the asker. */
CL_NODISCARD int cl_core_info_respond(cl_txn *t, const cl_route_config *rc,
                                      const cl_caller *caller,
                                      const cl_info_response *x, int64_t now,
                                      cl_publish_result *out,
                                      cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/* Requests and each agency's answer or lateness (coordinator). */
CL_NODISCARD int cl_core_request_list(cl_txn *t, const cl_caller *caller,
                                      const cl_request_list *q, int64_t now,
                                      cl_request_summaries *out,
                                      cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/* Feed health for every feed seen. */
CL_NODISCARD int cl_core_feeds(cl_txn *t, const cl_route_config *rc,
                               int64_t now, cl_feeds *out);

/* Mark feeds silent for longer than their interval and tell the
 * coordinators, once per silence; up to max events are returned in ev
 * (*n_ev) for the log. */
CL_NODISCARD int cl_core_feeds_check(cl_txn *t, const cl_route_config *rc,
                                     int64_t now, cl_feed_event *ev, size_t max,
                                     size_t *n_ev);

/* --- MDT work (mdt.c): discussion, actions, RAG, measures, reports -------- */

/* What the meeting said and decided about a person on its agenda. */
CL_NODISCARD int cl_core_record_discussion(cl_txn *t, const cl_caller *caller,
                                           const cl_discussion *d, int64_t now,
                                           cl_publish_result *out,
                                           cl_audit_note *note,
                                           char err[CL_ERROR_SZ]);

/* An action for a person on a review's agenda, owned by a named person at
 * a registered agency (rc->agencies); out's reference is its id. */
CL_NODISCARD int cl_core_add_action(cl_txn *t, const cl_route_config *rc,
                                    const cl_caller *caller, const cl_action *a,
                                    int64_t now, cl_publish_result *out,
                                    cl_audit_note *note, char err[CL_ERROR_SZ]);

/* Chair, attendees, apologies and confidentiality statement of a review
 * (replacing any recorded before). */
CL_NODISCARD int cl_core_record_meeting(cl_txn *t, const cl_caller *caller,
                                        const cl_meeting *m, int64_t now,
                                        cl_publish_result *out,
                                        cl_audit_note *note,
                                        char err[CL_ERROR_SZ]);

/* A coordinator updates any action; a publisher only its own agency's
 * (done, blocked with a note, or open again), and the coordinators are
 * told. Every change is kept with who and when. */
CL_NODISCARD int cl_core_update_action(cl_txn *t, const cl_route_config *rcfg,
                                       const cl_caller *caller,
                                       const cl_action_update *u, int64_t now,
                                       cl_publish_result *out,
                                       cl_audit_note *note,
                                       char err[CL_ERROR_SZ]);

/* Actions matching q; overdue means open past its due date at now. */
CL_NODISCARD int cl_core_list_actions(cl_txn *t, const cl_caller *caller,
                                      const cl_action_query *q, int64_t now,
                                      cl_actions *out, cl_audit_note *note,
                                      char err[CL_ERROR_SZ]);

/* Rate a person's case or a workstream; every change is kept. */
CL_NODISCARD int cl_core_set_rag(cl_txn *t, const cl_caller *caller,
                                 const cl_rag_set *r, int64_t now,
                                 cl_publish_result *out, cl_audit_note *note,
                                 char err[CL_ERROR_SZ]);

/* Every rating of one person or workstream, oldest first. */
CL_NODISCARD int cl_core_rag_history(cl_txn *t, const cl_caller *caller,
                                     const cl_rag_set *q, cl_rag_entries *out,
                                     cl_audit_note *note,
                                     char err[CL_ERROR_SZ]);

CL_NODISCARD int cl_core_define_measure(cl_txn *t, const cl_caller *caller,
                                        const cl_measure_def *m, int64_t now,
                                        cl_publish_result *out,
                                        cl_audit_note *note,
                                        char err[CL_ERROR_SZ]);

CL_NODISCARD int cl_core_record_measure(cl_txn *t, const cl_caller *caller,
                                        const cl_measure_value *m, int64_t now,
                                        cl_publish_result *out,
                                        cl_audit_note *note,
                                        char err[CL_ERROR_SZ]);

/* The executive's figures: aggregates only; every count under
 * suppress_below is -1. */
CL_NODISCARD int cl_core_report(cl_txn *t, const cl_caller *caller,
                                const cl_report_query *q, int64_t now,
                                uint32_t suppress_below, cl_report *out,
                                cl_audit_note *note, char err[CL_ERROR_SZ]);

/* The agenda pack: for each person on the review's agenda, the linked
 * case (as a case view for that review), open actions, information
 * requests and answers, discussion, current RAG. People beyond what one
 * audit note holds get audit entries of their own. */
CL_NODISCARD int cl_core_review_pack(cl_txn *t, const cl_caller *caller,
                                     const char *review_id, int64_t now,
                                     cl_review_pack *out, cl_audit_note *note,
                                     char err[CL_ERROR_SZ]);

/* --- audit (audit.c) -------------------------------------------------------
 */

/* Append one entry (who, what kind, whom, why, outcome) to the chain. */
CL_NODISCARD int cl_audit_append(cl_txn *t, const cl_caller *c,
                                 const char *kind, const cl_audit_note *n,
                                 uint8_t outcome, int64_t now);

/* Walk the whole chain; with a checkpoint text, check it too. Returns an
 * error only if the checkpoint itself is unusable (out->problem says why);
 * a broken chain is CL_OK with out->intact false. */
CL_NODISCARD int cl_audit_verify(cl_txn *t, const char *checkpoint,
                                 cl_audit_verify_result *out);

/* Sign the current head as a plain-text checkpoint. */
CL_NODISCARD int cl_audit_checkpoint(cl_txn *t, int64_t now,
                                     char out[CL_CHECKPOINT_SZ]);

/* Decode one stored plaintext value of sub-database db with the decoder
 * the daemon uses (for fuzzing): CL_OK, or CL_ERR_CORRUPT for bytes that
 * are not a valid record. Never reads past len. */
CL_NODISCARD int cl_core_decode_check(cl_db db, const uint8_t *buf, size_t len);
CL_NODISCARD int cl_audit_decode_check(const uint8_t *buf, size_t len);

/* How many entries the chain holds. */
CL_NODISCARD int cl_audit_count(cl_txn *t, uint64_t *n);

/*
 * The newest limit entries (oldest first) that pass filter f, of person
 * pid's entries or, with pid 0, of the whole log. CL_ERR_INVALID with err
 * for a filter this build cannot apply (a named user: see audit.c).
 */
CL_NODISCARD int cl_audit_search(cl_txn *t, uint64_t pid,
                                 const cl_audit_filter *f, const char *user_id,
                                 uint32_t limit, cl_audit_entries *out,
                                 char err[CL_ERROR_SZ]);

/* True if f filters anything. */
bool cl_audit_filter_any(const cl_audit_filter *f);

/* The last `limit` entries naming person pid (oldest first); with a
 * user_id that is not NULL or empty, only that named user's. */
CL_NODISCARD int cl_audit_entries_for(cl_txn *t, uint64_t pid,
                                      const char *user_id, uint32_t limit,
                                      cl_audit_entries *out);

/* The last `limit` entries of named user user_id (oldest first). */
CL_NODISCARD int cl_audit_entries_of_user(cl_txn *t, const char *user_id,
                                          uint32_t limit,
                                          cl_audit_entries *out);

/* Counts for health and statistics: never personal data. */
CL_NODISCARD int cl_core_counts(cl_txn *t, uint64_t *persons,
                                uint64_t *referrals);

/* --- matching (match.c), exposed for tests -------------------------------- */

/* Jaro-Winkler similarity of two strings, case-insensitive, in [0, 1]. */
double cl_match_jaro_winkler(const char *a, const char *b);

/* American Soundex code of the first word of s into out[5]; "" if none. */
void cl_match_soundex(const char *s, char out[5]);

/* The usual full form of a given name ("Bob" -> "robert"), lower case,
 * into out; the name itself (lower-cased) when no nickname is known. */
void cl_match_canonical_given(const char *s, char *out, size_t cap);

/* Fellegi-Sunter match weight of two descriptions under mc's levels. No
 * field vetoes a pair: a plainly different given name or date of birth is
 * strong negative evidence, and when either is seen the address fields two
 * members of one household share count once (household.shared) instead of
 * field by field, so parents, children and twins at one address stay below
 * the upper threshold on the weights alone. */
double cl_match_score(const cl_match_config *mc, const cl_person *a,
                      const cl_person *b);

/* Term frequencies: how common a's family and given names are among the
 * store's records (0: unknown, the level's u is used). An exact match on
 * a rare name then weighs more than on a common one: log2(m / frequency)
 * instead of log2(m / u). */
typedef struct cl_match_tf {
    double family, given;
} cl_match_tf;

/* The same, with term frequencies (tf may be NULL) and each field's
 * comparison level and weight in out (up to CL_MATCH_FIELDS; *n receives
 * how many; out may be NULL). */
double cl_match_explain(const cl_match_config *mc, const cl_person *a,
                        const cl_person *b, const cl_match_tf *tf,
                        cl_field_weight *out, uint32_t *n);

/* The comparison level of each field of a and b (-1: not compared), in
 * the order of cl_match_fields; the weight they add up to is returned.
 * Used by training to count levels. */
#define CL_MATCH_NFIELDS 9
double cl_match_levels(const cl_match_config *mc, const cl_person *a,
                       const cl_person *b, int levels[CL_MATCH_NFIELDS]);

/* Whether levels lv (from cl_match_levels) are a family pattern: family
 * names agree, given names or dates of birth plainly do not. */
bool cl_match_kin(const int lv[CL_MATCH_NFIELDS]);

/* Places in lv: 0 none compared, 1 compared and none agrees, 2 one agrees. */
int cl_match_place(const int lv[CL_MATCH_NFIELDS]);

/* Which field a level belongs to (0..CL_MATCH_NFIELDS-1). */
int cl_match_level_field(cl_weight_id id);

/* The field names, as the review queue and training show them. */
extern const char *const cl_match_fields[CL_MATCH_NFIELDS];

/* --- learned weights and relinking (link.c) ------------------------------
 *
 * `caselink link train` estimates every comparison level's m and u and the
 * prior from the store's own records: u from random pairs of sampled
 * records (pairs already linked to one person left out), m by
 * expectation-maximisation over candidate pairs found by three blocking
 * passes (date of birth; both names' codes; postcode or town), each pass
 * estimating only the fields it did not block on; the prior from the
 * expected matches among pairs that share a date of birth, scaled by how
 * often true matches do. The result is a proposal; the daemon keeps its
 * documented defaults (or the weights accepted before) until a
 * coordinator or operator accepts it. No personal data is in the result.
 */

/* Overlay the accepted weights (if any) on mc and update its thresholds;
 * *accepted tells whether there were any. */
CL_NODISCARD int cl_link_weights_load(cl_txn *t, cl_match_config *mc,
                                      bool *accepted);

/* Show, train, accept or start a rerun (q->action); out describes the
 * weights in use and proposed afterwards. mc is the configuration in use
 * (the defaults the weights overlay). */
CL_NODISCARD int cl_link_admin(cl_txn *t, const cl_match_config *mc,
                               const cl_caller *caller, const cl_link_req *q,
                               int64_t now, cl_link_info *out,
                               cl_audit_note *note, char err[CL_ERROR_SZ]);

/* Advance a rerun by up to max records (write transaction); *running is
 * false once it is done (or none was asked for). */
CL_NODISCARD int cl_link_rerun_step(cl_txn *t, const cl_match_config *mc,
                                    size_t max, int64_t now, bool *running);

/* Decode check for link.c's stored values (fuzzing). */
CL_NODISCARD int cl_link_decode_check(const uint8_t *buf, size_t len);

/* How many stored records share a blocking key with p: the records a
 * new referral about p is compared with (benchmarks, tests). */
CL_NODISCARD int cl_core_candidate_count(cl_txn *t, const cl_person *p,
                                         size_t *n);

/* The linking decision for description p from caller, without storing
 * anything: *person_id the person it would join (0: a new person) and the
 * weight (benchmarks: the match of one new referral). */
CL_NODISCARD int cl_core_match_one(cl_txn *t, const cl_match_config *mc,
                                   const cl_caller *caller, const cl_person *p,
                                   uint64_t *person_id, double *score);

#endif
