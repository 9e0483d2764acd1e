/*
 * cl_model_route: the plain C form of routing between agencies: referral
 * status, mailboxes and deliveries, information requests, feeds, intake
 * and the front-line flag.
 */
#ifndef CL_MODEL_ROUTE_H
#define CL_MODEL_ROUTE_H

/* Part of cl_model.h, which includes it where these types belong: include
 * cl_model.h, not this file. */

/* --- routing: referral status, mailboxes, information requests --------- */

enum {
    CL_REFSTAT_RECEIVED = 0,
    CL_REFSTAT_ACCEPTED = 1,
    CL_REFSTAT_DECLINED = 2,
    CL_REFSTAT_CLOSED = 3,
    CL_REFSTAT_MAX = 3
};
enum { CL_OUTCOME_MAX = 5, CL_INVOLVE_MAX = 3 };
enum { CL_INVOLVE_NONE = 1, CL_INVOLVE_PAST = 2, CL_INVOLVE_CURRENT = 3 };

#define CL_INBOX_MAX     200 /* deliveries per receive, seqs per ack */
#define CL_WAIT_MAX_MS   60000
#define CL_SUMMARY_SZ    4001
#define CL_PROBLEM_SZ    16
#define CL_MAILBOXES_MAX 64

typedef struct cl_set_status {
    char reference[CL_REF_SZ];
    uint8_t status; /* CL_REFSTAT_* */
    char reason[CL_NOTE_SZ];
    uint8_t outcome; /* caselink.Outcome */
} cl_set_status;

typedef struct cl_inbox_query {
    uint64_t after;
    uint32_t limit;
    uint32_t wait_ms;
} cl_inbox_query;

typedef struct cl_inbox_ack {
    uint32_t n;
    uint64_t seqs[CL_INBOX_MAX];
} cl_inbox_ack;

typedef struct cl_info_request {
    cl_person_ref who; /* person id or NHS/CHI number */
    uint32_t n_agencies;
    char agencies[CL_REVIEW_AGENCIES][CL_AGENCY_SZ];
    char due[CL_DATE_SZ];
    char question[CL_NOTE_SZ];
    char review_id[CL_REF_SZ];
} cl_info_request;

/* An answer: sent by the asked agency (request_id, summary, risk,
 * involvement, contact) and delivered with agency, person and time set. */
typedef struct cl_info_response {
    char request_id[CL_REF_SZ];
    char agency[CL_AGENCY_SZ];
    char person_id[CL_PID_SZ];
    char summary[CL_SUMMARY_SZ];
    uint8_t risk;        /* caselink.Risk */
    uint8_t involvement; /* caselink.Involvement */
    char contact[CL_NOTE_SZ];
    int64_t answered_at;
} cl_info_response;

typedef struct cl_request_list {
    char person_id[CL_PID_SZ];
    bool open_only;
} cl_request_list;

typedef enum {
    CL_DLV_NONE = 0,
    CL_DLV_ALERT,
    CL_DLV_REQUEST,
    CL_DLV_RESPONSE,
    CL_DLV_STATUS,
    CL_DLV_FEED,
    CL_DLV_GOVERNANCE,
    CL_DLV_INTAKE,
    CL_DLV_ACTION,
    CL_DLV_FLAG,
    CL_DLV_RETRACTION,
    CL_DLV_KIND_COUNT
} cl_dlv_kind;

typedef struct cl_alert {
    char reference[CL_REF_SZ];
    char plan_ref[CL_REF_SZ];
    char child_pid[CL_PID_SZ];
    char child_given[CL_NAME_SZ];
    char child_family[CL_NAME_SZ];
    char child_dob[CL_DATE_SZ];
    char subject_is[32];
    char subject_pid[CL_PID_SZ];
    char subject_given[CL_NAME_SZ]; /* as the referring agency recorded */
    char subject_family[CL_NAME_SZ];
    char subject_dob[CL_DATE_SZ];
    bool flag_shown; /* the referrer's reply carried this plan's flag */
    char agency[CL_AGENCY_SZ]; /* reporting agency */
    char referrer_name[CL_NAME_SZ];
    char referrer_role[CL_NAME_SZ];
    uint8_t category, risk, plan_type;
    char concern[CL_CONCERN_SZ];
    int64_t occurred_at, received_at;
} cl_alert;

typedef struct cl_info_msg {
    char request_id[CL_REF_SZ];
    char from_agency[CL_AGENCY_SZ];
    char person_id[CL_PID_SZ];
    cl_person person;
    char due[CL_DATE_SZ];
    char question[CL_NOTE_SZ];
    char review_id[CL_REF_SZ];
} cl_info_msg;

typedef struct cl_status_msg {
    char reference[CL_REF_SZ];
    char agency_ref[CL_REF_SZ];
    uint8_t status;
    char reason[CL_NOTE_SZ];
    uint8_t outcome;
    char by[CL_AGENCY_SZ];
    int64_t at;
} cl_status_msg;

typedef struct cl_feed_msg {
    char agency[CL_AGENCY_SZ];
    char feed[CL_FEED_SZ];
    char problem[CL_PROBLEM_SZ]; /* "gap" or "silent" */
    uint64_t expected, received;
    int64_t last_at;
} cl_feed_msg;

#define CL_EVENT_SZ 32

/* To the information-governance auditors: something that widens what an
 * agency receives (a new protection plan, the first from an agency). */
typedef struct cl_governance_msg {
    char event[CL_EVENT_SZ];    /* "new_plan", "first_plan_from_agency" */
    char agency[CL_AGENCY_SZ];  /* the agency that did it */
    char client[CL_CLIENT_SZ];  /* its registered client */
    char reference[CL_REF_SZ];  /* e.g. PLAN-00000001 */
    char person_id[CL_PID_SZ];  /* the person it concerns */
    char detail[CL_WARNING_SZ]; /* e.g. the plan type, in words */
    int64_t at;
} cl_governance_msg;

/* To an agency a safeguarding alert went to: the referral behind it was
 * withdrawn by the agency that sent it. */
typedef struct cl_retraction_msg {
    char reference[CL_REF_SZ]; /* the referral alerted about: CL-... */
    char agency[CL_AGENCY_SZ]; /* the referring agency */
    char plan_ref[CL_REF_SZ];  /* your plan the alert was about */
    char reason[CL_NOTE_SZ];   /* why it was withdrawn */
    int64_t at;
} cl_retraction_msg;

/* --- intake: concerns that come to the coordinator -------------------- */

enum {
    CL_INTAKE_OPEN = 0,
    CL_INTAKE_ACCEPTED = 1,
    CL_INTAKE_DECLINED = 2,
    CL_INTAKE_DEFERRED = 3,
    CL_INTAKE_STATE_MAX = 3
};

#define CL_RULE_SZ       65
#define CL_WHY_SZ        161
#define CL_ON_AGENDA_MAX 8

typedef struct cl_intake_item {
    char intake_id[CL_REF_SZ];
    char rule[CL_RULE_SZ];
    char why[CL_WHY_SZ];
    char person_id[CL_PID_SZ];
    char given[CL_NAME_SZ], family[CL_NAME_SZ], dob[CL_DATE_SZ];
    char agency[CL_AGENCY_SZ]; /* referring agency */
    char agency_kind[CL_KIND_SZ];
    char reference[CL_REF_SZ]; /* CL-... */
    uint8_t category, risk;
    int64_t occurred_at, received_at, raised_at;
    uint32_t hits;
    uint32_t n_on_agenda;
    char on_agenda[CL_ON_AGENDA_MAX][CL_REF_SZ];
    uint8_t state; /* CL_INTAKE_* */
    int64_t decided_at;
    char decided_by[CL_AGENCY_SZ];
    char decided_user[CL_NAME_SZ];
    char reason[CL_NOTE_SZ];
    char review_id[CL_REF_SZ];
    char until[CL_DATE_SZ];
    char action_id[CL_REF_SZ];
} cl_intake_item;

typedef struct cl_intake_items {
    size_t n;
    cl_intake_item *v; /* owned */
} cl_intake_items;

typedef struct cl_intake_decision {
    char intake_id[CL_REF_SZ];
    uint8_t decision; /* CL_INTAKE_ACCEPTED, _DECLINED or _DEFERRED */
    char review_id[CL_REF_SZ];
    uint8_t agenda_reason; /* caselink.AgendaReason, 0: from the rule */
    char reason[CL_NOTE_SZ];
    char until[CL_DATE_SZ];
} cl_intake_decision;
/* --- the front-line flag ------------------------------------------------ */

#define CL_PHONE_SZ  33
#define CL_EMAIL_SZ  129
#define CL_WORDS_SZ  40 /* a relationship or plan type in words */
#define CL_FLAGS_MAX 8

/* A flag check: the person by NHS or CHI number or the caller's own local
 * id. Demographic fields are carried only so that they can be refused. */
typedef struct cl_flag_query {
    cl_person person;
    char agency[CL_AGENCY_SZ]; /* whose local id: empty, or the caller's */
} cl_flag_query;

/* An authority's duty contact, from the client registry. */
typedef struct cl_duty_contact {
    char name[CL_NAME_SZ];   /* e.g. "Children's Services duty desk" */
    char phone[CL_PHONE_SZ]; /* telephone */
    char email[CL_EMAIL_SZ]; /* secure email */
    char hours[CL_NAME_SZ];  /* when it answers */
} cl_duty_contact;

/* One flag, the whole of what the checking agency learns. */
typedef struct cl_flag {
    char person_is[CL_WORDS_SZ];  /* "the child", "parent", "carer",
                                     "household member", "expectant mother" */
    char plan_type[CL_WORDS_SZ];  /* in words */
    char authority[CL_AGENCY_SZ]; /* the responsible authority */
    cl_duty_contact duty;         /* whom to call */
    char next_review[CL_DATE_SZ]; /* the plan's next review, or "" */
    char ended[CL_DATE_SZ];       /* "" while in force, else its end date */
} cl_flag;

/* No flag: n == 0 and nothing else, whoever the person is. */
typedef struct cl_flag_result {
    uint32_t n;
    cl_flag v[CL_FLAGS_MAX];
} cl_flag_result;

/* To a plan's authority: a flag on its plan was shown. */
typedef struct cl_flag_notice {
    char plan_id[CL_REF_SZ];      /* PLAN-00000001 */
    char plan_ref[CL_REF_SZ];     /* the authority's own reference */
    char child_pid[CL_PID_SZ];    /* whose plan */
    char child_given[CL_NAME_SZ]; /* as the authority recorded the child */
    char child_family[CL_NAME_SZ];
    char person_pid[CL_PID_SZ];  /* who was checked */
    char person_is[CL_WORDS_SZ]; /* what they are to the child */
    char agency[CL_AGENCY_SZ];   /* the agency shown the flag */
    char client[CL_CLIENT_SZ];   /* its system */
    char user_id[CL_REF_SZ];     /* the named user, if any */
    char user_name[CL_NAME_SZ];
    char user_role[CL_REF_SZ];
    char context[16];          /* "flag_check" or "publish" */
    uint32_t count;            /* checks coalesced into this notice */
    int64_t first_at, last_at; /* when */
} cl_flag_notice;

/* The auditor's list of flag disclosures. */
typedef struct cl_flag_log_query {
    char agency[CL_AGENCY_SZ]; /* shown to this agency; "" for any */
    char from[CL_DATE_SZ];     /* YYYY-MM-DD, inclusive; "" for any */
    char to[CL_DATE_SZ];       /* inclusive */
    uint32_t limit;            /* default 100, at most CL_AUDIT_LIMIT */
} cl_flag_log_query;

typedef struct cl_flag_disclosure {
    int64_t at;
    char agency[CL_AGENCY_SZ]; /* shown to */
    char client[CL_CLIENT_SZ];
    char user_id[CL_REF_SZ];
    char user_name[CL_NAME_SZ];
    char context[16];
    char person_pid[CL_PID_SZ]; /* the adult (or child) checked */
    char child_pid[CL_PID_SZ];  /* whose plan */
    char plan_id[CL_REF_SZ];
    char authority[CL_AGENCY_SZ];
} cl_flag_disclosure;

typedef struct cl_flag_disclosures {
    size_t n;
    cl_flag_disclosure *v; /* owned */
} cl_flag_disclosures;

/* Withdraw a protection plan recorded in error (its authority). */
typedef struct cl_plan_withdraw {
    char agency_ref[CL_REF_SZ];
    char reason[CL_NOTE_SZ];
} cl_plan_withdraw;

/* An action for its owning agency (assigned), or a change for the
 * coordinators (updated). */
typedef struct cl_action_msg {
    char event[16]; /* "assigned" or "updated" */
    char action_id[CL_REF_SZ];
    char review_id[CL_REF_SZ];
    char person_id[CL_PID_SZ];
    char given[CL_NAME_SZ], family[CL_NAME_SZ], dob[CL_DATE_SZ];
    char text[CL_TEXT_SZ];
    char owner_name[CL_NAME_SZ];
    char owner_agency[CL_AGENCY_SZ];
    char due[CL_DATE_SZ];
    uint8_t status;
    char note[CL_NOTE_SZ];
    char by_agency[CL_AGENCY_SZ];
    char by_user[CL_NAME_SZ];
} cl_action_msg;

#define CL_ATTENDEES_MAX 32
#define CL_PRIOR_MAX     6
#define CL_SINCE_MAX     16
#define CL_CONFIDENTIALITY_DEFAULT                                             \
    "OFFICIAL-SENSITIVE. This pack holds personal and special category "       \
    "data shared for the extended MDT under the partnership's information "    \
    "sharing agreement. Do not copy, forward or leave it unattended; return "  \
    "or destroy it after the meeting."

typedef struct cl_attendee {
    char name[CL_NAME_SZ];
    char agency[CL_AGENCY_SZ];
    char role[CL_USER_ROLE_SZ];
} cl_attendee;

typedef struct cl_meeting {
    char review_id[CL_REF_SZ];
    char chair[CL_NAME_SZ];
    uint32_t n_attendees;
    cl_attendee attendees[CL_ATTENDEES_MAX];
    uint32_t n_apologies;
    cl_attendee apologies[CL_ATTENDEES_MAX];
    char confidentiality[CL_NOTE_SZ];
} cl_meeting;

#endif
