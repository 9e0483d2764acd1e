/*
 * flag: the front-line flag. A GP, police officer, trust, ambulance or
 * housing system dealing with an adult learns, in a fixed minimal shape,
 * that the adult is (or is linked as parent, carer or household member
 * to) a child with a protection plan, and whom to call; the plan's
 * authority is told of every flag shown. It never tells a caller anything
 * else: no child's name, no category, no other agency's record, and "no
 * flag" is the same answer whether the person is unknown or known without
 * a plan.
 *
 * Owns: which kinds may check, the flag computation, the authority's
 * notice (coalesced), the disclosure log the auditor lists. Never logs
 * personal data; never touches sockets or protobuf.
 */
#ifndef CL_FLAG_H
#define CL_FLAG_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "mailbox.h"
#include "op.h"
#include "store.h"

#define CL_FLAG_KINDS 16

/* A plan authority's duty contact, from the client registry. */
typedef struct cl_flag_authority {
    char agency[CL_AGENCY_SZ];
    cl_duty_contact duty;
} cl_flag_authority;

/* [flag] in caselinkd.conf, and the duty contacts from the registry. */
typedef struct cl_flag_config {
    uint32_t n_check; /* kinds whose publishers may send flag_check */
    char check[CL_FLAG_KINDS][CL_KIND_SZ];
    uint32_t n_publish; /* kinds whose publish replies carry the flag */
    char publish[CL_FLAG_KINDS][CL_KIND_SZ];
    uint32_t ended_within_days; /* an ended plan flags this long after */
    uint32_t coalesce_s;        /* repeated checks told once per window */
    uint32_t rate_per_minute;   /* flag checks per client (server.c) */
    uint32_t n_duty;            /* from the registry (plans = yes) */
    cl_flag_authority duty[CL_ROUTE_AGENCIES];
} cl_flag_config;

#define CL_FLAG_ENDED_WITHIN_DAYS 365
#define CL_FLAG_COALESCE_S        3600
#define CL_FLAG_RATE_PER_MINUTE   30

/* gp, police, acute_trust, mental_health, ambulance, housing for
 * both lists; 365 days, 3600 s, 30 a minute. */
void cl_flag_config_defaults(cl_flag_config *fc);

/* Set one [flag] setting by name; false with msg (cap bytes) saying why
 * (an unknown name included). */
bool cl_flag_config_set(cl_flag_config *fc, const char *name, const char *value,
                        char *msg, size_t cap);

/* The flag check (a publisher of a kind in fc->check): by NHS or CHI
 * number, or the caller's own local id; never by demographics. out holds
 * the flags (none: n == 0). Each flag shown is told to its authority,
 * logged for the auditor, and op's note names the person and each child. */
CL_NODISCARD int cl_flag_check(cl_op *op, const cl_flag_config *fc,
                               const cl_route_config *rc,
                               const cl_flag_query *q, cl_flag_result *out);

/* After a referral (reference) was stored: the subject's flag for the
 * publisher's reply when its kind is in fc->publish, told, logged and
 * audited (a "flag_disclosure" entry) like a check. */
CL_NODISCARD int cl_flag_on_publish(cl_op *op, const cl_flag_config *fc,
                                    const cl_route_config *rc,
                                    const char *reference, cl_flag_result *out);

/* Flag disclosures shown to an agency between two dates (auditor),
 * oldest first. out->v is owned by the caller (cl_reply_clear). */
CL_NODISCARD int cl_flag_list(cl_op *op, const cl_flag_log_query *q,
                              cl_flag_disclosures *out);

/* Retention: redact the n people pids (removed in t) from the flag log.
 * Each row that names one keeps who was shown the flag and when; the
 * person's id, and the plan's when it was held on them, read "removed". */
CL_NODISCARD int cl_flag_purge(cl_txn *t, const uint64_t *pids, size_t n);

/* Decode check of a stored flag log value (fuzzing). */
CL_NODISCARD int cl_flag_decode_check(const uint8_t *buf, size_t len);

#endif
