/*
 * intake: the coordinators' intake queue and the early intervention
 * triggers.
 *
 * A referral that the partnership's rules say the MDT should see (by agency
 * kind, category, risk, or because the referrer asked for the MDT), a
 * pattern a trigger finds before anyone refers it (so many contacts in so
 * many days, contacts with so many agencies, a referral about someone
 * linked to a child on a plan) and an action overdue before the next
 * meeting each raise one intake item. Items go to every agency with a
 * coordinator (mailbox) and wait in `intake list` until a coordinator
 * accepts one onto a review's agenda, declines it with a reason, or defers
 * it. Rules are configuration ([intake] rule NAME = TERMS), checked at
 * start-up.
 *
 * Stored records (plaintext before sealing, see store/codec.h):
 *   intake         intake id -> v1, person id, referral id (0: none), rule,
 *                  why, state, raised, hits, decided at, by, user, reason,
 *                  review, until, action id
 *   person_intake  person id || intake id -> ""
 *
 * Layer 4 with the MDT files it feeds (it reads their actions and puts
 * people on reviews' agendas); nothing below it calls it. Never logs;
 * what it discloses is audited.
 */
#ifndef CL_INTAKE_H
#define CL_INTAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "codec.h"
#include "mailbox.h"
#include "op.h"
#include "store.h"

#define CL_INTAKE_RULES 32
#define CL_INTAKE_KINDS 8
/* The built-in rule: a referral that asks for the MDT. */
#define CL_INTAKE_ASKED "asked_for_mdt"
/* The daily pass's rule for actions overdue before the next meeting. */
#define CL_INTAKE_OVERDUE              "overdue_action"
#define CL_INTAKE_HOUSEKEEPING_DEFAULT 86400

/* One rule: every term given must hold. Filters (kinds, categories, risk,
 * flagged) apply to the referral just published and, for counting rules,
 * to each referral counted. */
typedef struct cl_intake_rule {
    char name[CL_RULE_SZ];
    uint32_t n_kinds;
    char kinds[CL_INTAKE_KINDS][CL_KIND_SZ]; /* agency kinds; none: any */
    uint32_t categories;   /* bit per caselink.Category; 0: any */
    uint8_t min_risk;      /* caselink.Risk; 0: any */
    bool flagged;          /* only referrals that ask for the MDT */
    bool plan_linked;      /* only people with (or linked to a child with)
                              an active protection plan */
    uint32_t min_contacts; /* matching referrals in the window (0: off) */
    uint32_t min_agencies; /* distinct agencies among them (0: off) */
    uint32_t within_days;  /* the window for the two counts */
} cl_intake_rule;

typedef struct cl_intake_config {
    uint32_t n_rules;
    cl_intake_rule rules[CL_INTAKE_RULES];
    uint32_t housekeeping_s; /* [intake] housekeeping_interval_s */
} cl_intake_config;

void cl_intake_config_defaults(cl_intake_config *c);

/*
 * Parse the terms of "rule NAME = TERMS" and add it to c. Terms, separated
 * by spaces: kind=K[,K...] category=C[,C...] risk>=R flagged plan_linked
 * contacts>=N agencies>=N within=N(d|w|m). CL_ERR_INVALID with a sentence
 * naming the term in err.
 */
CL_NODISCARD int cl_intake_rule_add(cl_intake_config *c, const char *name,
                                    const char *terms, char *err,
                                    size_t err_len);

/* After a referral was stored (same transaction): raise the items its
 * rules call for, deliver them to the coordinators and audit that. */
CL_NODISCARD int cl_intake_on_publish(cl_txn *t, const cl_intake_config *ic,
                                      const cl_route_config *rc,
                                      const cl_referral *r,
                                      const char *reference, int64_t now);

/* The daily pass: counting and plan rules over everyone active within the
 * longest window, and actions overdue. *raised receives how many items
 * were raised. */
CL_NODISCARD int cl_intake_housekeeping(cl_txn *t, const cl_intake_config *ic,
                                        const cl_route_config *rc, int64_t now,
                                        uint32_t *raised);

/* The queue: open items and deferred ones now due (all: every item), each
 * naming the person; audited like a case view. */
CL_NODISCARD int cl_intake_list(cl_op *op, bool all, cl_intake_items *out);

/* Accept onto a review's agenda, decline with a reason or defer an item;
 * an accepted or declined referral still "received" moves on through the
 * referral status route (the referrer is told). */
CL_NODISCARD int cl_intake_decide(cl_op *op, const cl_route_config *rcfg,
                                  const cl_intake_decision *d,
                                  cl_publish_result *out);

/* Every intake item about person pid, in any state (subject access). */
CL_NODISCARD int cl_intake_of_person(cl_txn *t, uint64_t pid,
                                     cl_intake_items *out);

/* Decode check for the stored intake record (fuzzing). */
CL_NODISCARD int cl_intake_decode_check(const uint8_t *buf, size_t len);

#endif
