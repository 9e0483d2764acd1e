/*
 * core_int: helpers core.c lends to the other files of the domain library.
 * Not part of the library's interface: the daemon uses core.h only.
 */
#ifndef CL_CORE_INT_H
#define CL_CORE_INT_H

#include "codec.h"
#include "core.h"
#include "idset.h"

/* The person named by id or by NHS/CHI number; CL_ERR_NOT_FOUND or
 * CL_ERR_INVALID with err. */
CL_NODISCARD int cl_core__resolve(cl_txn *t, const char *pid_str,
                                  const cl_person *match, uint64_t *pid,
                                  char err[CL_ERROR_SZ]);

/* How agency describes person pid: its own record if it has one (*own
 * set), else the first record another agency holds (local id cleared). */
CL_NODISCARD int cl_core__person_as(cl_txn *t, uint64_t pid, const char *agency,
                                    cl_person *out, bool *own);

/* CL_OK if the MDT review exists; CL_ERR_INVALID / NOT_FOUND with err. */
CL_NODISCARD int cl_core__review_exists(cl_txn *t, const char *review_id,
                                        char err[CL_ERROR_SZ]);

/* Add a person to an audit note (once). */
void cl_core__note_person(cl_audit_note *n, uint64_t pid);

/* "P00000042" -> 42; false if malformed. */
bool cl_core__parse_pid(const char *s, uint64_t *out);

/* Today's date (UTC) as YYYY-MM-DD for unix time now. */
void cl_core__date(int64_t now, char out[CL_DATE_SZ]);

/* Note a feed's sequence number (route.c); *ev reports a gap. */
CL_NODISCARD int cl_core__feed_note(cl_txn *t, const cl_route_config *cfg,
                                    const char *agency, const char *feed,
                                    uint64_t seq, int64_t now,
                                    cl_feed_event *ev);

/* Decode check for route.c's stored values (fuzzing). */
CL_NODISCARD int cl_core__route_decode_check(cl_db db, const uint8_t *buf,
                                             size_t len);

/* Agency overlap over everyone, counts under thr as -1 (out->overlap). */
CL_NODISCARD int cl_core__overlap(cl_txn *t, int64_t now, uint32_t thr,
                                  cl_case_finding_result *out);

/* Referrals not withdrawn, counted by agency and month: *v those that
 * happened in [from, to) (unix seconds; occurred_at, else when received),
 * *va those received in it; both malloc'd. */
CL_NODISCARD int cl_core__referrals_by_month(cl_txn *t, int64_t from,
                                             int64_t to, cl_agency_month **v,
                                             size_t *n, cl_agency_month **va,
                                             size_t *na);

/* A derived measure (def->source "referrals" or "attendances") counted for
 * the people on any agenda: ms->periods[].total per month (the periods
 * named by the caller), ms->baseline_monthly the baseline months' sum,
 * *people the caseload's size. */
CL_NODISCARD int cl_core__measure_derived(cl_txn *t, const cl_measure_def *def,
                                          cl_measure_summary *ms,
                                          uint64_t *people);

/* An MDT review's date, title and agencies. */
CL_NODISCARD int cl_core__review_get(cl_txn *t, const char *review_id,
                                     uint64_t *id, cl_review_new *out,
                                     char err[CL_ERROR_SZ]);

/* Reviews dated from..to (YYYY-MM-DD, inclusive). */
CL_NODISCARD int cl_core__reviews_held(cl_txn *t, const char *from,
                                       const char *to, int64_t *n);

/* Decode check for mdt.c's stored values (fuzzing). */
CL_NODISCARD int cl_core__mdt_decode_check(cl_db db, const uint8_t *buf,
                                           size_t len);

/* Subject access: the MDT's records about person pid (agenda places with
 * notes and discussions, every action, every RAG rating, every measure
 * value) into out's arrays (mdt.c). */
CL_NODISCARD int cl_core__mdt_subject(cl_txn *t, uint64_t pid, int64_t now,
                                      cl_subject_access *out);

/* Every information request about person pid, with every answer
 * (route.c); out->v is malloc'd. */
CL_NODISCARD int cl_core__requests_of(cl_txn *t, uint64_t pid, int64_t now,
                                      cl_request_summaries *out);
/* A protection plan as the flag needs it (no names, no category). */
typedef struct cl_core_plan {
    uint64_t id;
    uint64_t child;             /* 0 for an unborn plan */
    char agency[CL_AGENCY_SZ];  /* the plan authority that published it */
    char agency_ref[CL_REF_SZ]; /* its own reference */
    uint8_t type;               /* CL_PLAN_* */
    char end[CL_DATE_SZ];       /* "" while in force */
    char review[CL_DATE_SZ];    /* next review, or "" */
    bool withdrawn;             /* recorded in error */
} cl_core_plan;

CL_NODISCARD int cl_core__plan_get(cl_txn *t, uint64_t plan_id,
                                   cl_core_plan *out);

/* The person a plan is held on (person_plans), 0 if none. */
CL_NODISCARD int cl_core__plan_holder(cl_txn *t, uint64_t plan_id,
                                      uint64_t *holder);

/* Each plan held on person pid with how it is held (0 the child's own,
 * 1 an unborn child's on the expectant mother); fn returns CL_OK to go
 * on, non-zero to stop (returned). */
CL_NODISCARD int cl_core__plans_held(cl_txn *t, uint64_t pid,
                                     int (*fn)(void *ctx, const cl_core_plan *p,
                                               uint8_t how),
                                     void *ctx);

/* Each relationship of person pid: other is `rel` to pid, asserted by
 * agency (or inferred from a shared UPRN). */
CL_NODISCARD int
cl_core__relations_of(cl_txn *t, uint64_t pid,
                      int (*fn)(void *ctx, uint64_t other, uint8_t rel,
                                const char *agency, bool inferred),
                      void *ctx);

/* The person whose record holds identifier blind(domain, v1, v2) ("nhs",
 * "chi", or "local" with the agency); CL_ERR_NOT_FOUND if none. */
CL_NODISCARD int cl_core__person_by_ident(cl_txn *t, const char *domain,
                                          const char *v1, const char *v2,
                                          uint64_t *pid);

/* True in *yes if person pid is identified for agency by something that
 * another agency's record of pid carries too: an NHS or CHI number, a
 * postcode or a UPRN, taken from the number given (nhs, chi: either may
 * be NULL) or, with neither given, from the agency's own records of pid.
 * A name and a date of birth alone, or a number only the agency itself
 * recorded, prove nothing: a bait record would otherwise be linked to the
 * real person by matching and learn what is said of them. */
CL_NODISCARD int cl_core__identity_corroborated(cl_txn *t, uint64_t pid,
                                                const char *agency,
                                                const char *nhs,
                                                const char *chi, bool *yes);

/* The subject of referral CL-... */
CL_NODISCARD int cl_core__referral_person(cl_txn *t, const char *reference,
                                          uint64_t *pid);

/* Retention: the people each module's records keep live (dp.c asks).
 * core.c: holders of a plan in force or ended on or after `since`
 *         (YYYY-MM-DD), and the people linked to them. */
CL_NODISCARD int cl_core__plans_live(cl_txn *t, const char *since,
                                     cl_ids *keep);
/* mdt.c: people with an open action (*actions), and people on the agenda
 * of a review dated on or after `since` (*agenda). */
CL_NODISCARD int cl_core__mdt_live(cl_txn *t, const char *since,
                                   cl_ids *actions, cl_ids *agenda);
/* route.c: people an information request not yet fully answered is
 * about. */
CL_NODISCARD int cl_core__requests_live(cl_txn *t, cl_ids *keep);

/* Purge, module by module, everything that names or describes person pid
 * (refs: the person's referral ids, for deliveries that name them). Each
 * adds the ids it removes that a stored reply may carry ("REQ-...") to
 * names (NUL-separated, see idset.h). */
CL_NODISCARD int cl_core__referrals_of(cl_txn *t, uint64_t pid, cl_ids *refs);
CL_NODISCARD int cl_core__route_purge(cl_txn *t, uint64_t pid,
                                      const cl_ids *refs, cl_names *names);
CL_NODISCARD int cl_core__mdt_purge(cl_txn *t, uint64_t pid, cl_names *names);
CL_NODISCARD int cl_core__person_purge(cl_txn *t, uint64_t pid,
                                       cl_names *names);

/* Decode check of a stored legal hold (fuzzing). */
CL_NODISCARD int cl_core__hold_decode_check(const uint8_t *buf, size_t len);

/* Subject access: the legal hold on pid, if any (dp.c). */
CL_NODISCARD int cl_core__hold_of(cl_txn *t, uint64_t pid,
                                  cl_subject_access *out);

/* A person's fields in the stored record format. */
void cl_core__person_enc(cl_enc *e, const cl_person *p);
void cl_core__person_dec(cl_dec *d, cl_person *p);

/* --- for the coordinator's workspace (intake.c, referral lists) --------- */

/* A referral as intake rules and referral lists see it (no free text). */
typedef struct cl_core_ref {
    uint64_t id;  /* referral id (CL-...) */
    uint64_t pid; /* its subject */
    char reference[CL_REF_SZ];
    char agency[CL_AGENCY_SZ];
    char kind[CL_KIND_SZ];
    char agency_ref[CL_REF_SZ];
    uint8_t category, risk, status;
    bool withdrawn;
    int64_t occurred_at, received_at;
} cl_core_ref;

/* Called per referral; CL_OK to go on, > 0 to stop, an error to fail. */
typedef int (*cl_core_ref_fn)(void *ctx, const cl_core_ref *r);

/* One referral by caselink reference or id (withdrawn ones too). */
CL_NODISCARD int cl_core__ref_get(cl_txn *t, const char *reference,
                                  cl_core_ref *out);
CL_NODISCARD int cl_core__ref_by_id(cl_txn *t, uint64_t id, cl_core_ref *out);

/* Every referral about person pid that was not withdrawn. */
CL_NODISCARD int cl_core__refs_of(cl_txn *t, uint64_t pid, cl_core_ref_fn fn,
                                  void *ctx);

/* Every referral not withdrawn with an id after `after`, in id order. */
CL_NODISCARD int cl_core__refs_all(cl_txn *t, uint64_t after, cl_core_ref_fn fn,
                                   void *ctx);

/* True if pid has an active plan or is linked to a child who has one. */
CL_NODISCARD int cl_core__plan_linked(cl_txn *t, uint64_t pid, int64_t now,
                                      bool *linked);

/* The reviews pid is on the agenda of ("MDT-..."), at most max. */
CL_NODISCARD int cl_core__agendas_of(cl_txn *t, uint64_t pid,
                                     char (*out)[CL_REF_SZ], uint32_t max,
                                     uint32_t *n);

/* Each person with activity since `since` (unix seconds), oldest first. */
CL_NODISCARD int cl_core__active_since(cl_txn *t, int64_t since,
                                       int (*fn)(void *ctx, uint64_t pid),
                                       void *ctx);

/* Every action, with overdue set against now and its person (mdt.c). */
CL_NODISCARD int cl_core__actions_each(cl_txn *t, int64_t now,
                                       int (*fn)(void *ctx, const cl_action *a,
                                                 uint64_t pid),
                                       void *ctx);
/* A stored record's description and person (link.c: training). */
CL_NODISCARD int cl_core__record_read(cl_txn *t, uint64_t rid, cl_person *p,
                                      uint64_t *pid);

/* Re-evaluate one stored record with mc (link.c: rerun): index it under
 * today's blocking keys; if another person now matches it above the
 * upper threshold and neither holds a coordinator's decision, merge them
 * (*what 1); else if above the lower threshold queue the pair (*what 2). */
CL_NODISCARD int cl_core__relink(cl_txn *t, const cl_match_config *mc,
                                 uint64_t rid, int64_t now, int *what);

/* Another record carrying the same NHS or CHI number as record rid's
 * description p (link.c: pairs known to be one person, to learn m from);
 * CL_ERR_NOT_FOUND if none. */
CL_NODISCARD int cl_core__ident_partner(cl_txn *t, uint64_t rid,
                                        const cl_person *p, cl_person *out);

#endif
