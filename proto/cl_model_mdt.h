/*
 * cl_model_mdt: the plain C form of the coordinator's workspace: the
 * lists; a mailbox's deliveries, acknowledgements and the state of
 * information requests (here, after the flag and intake types they
 * carry); and the MDT (discussion, actions, RAG, measures, report, pack).
 */
#ifndef CL_MODEL_MDT_H
#define CL_MODEL_MDT_H

/* Part of cl_model.h, which includes it where these types belong: include
 * cl_model.h, not this file. */

/* --- lists ------------------------------------------------------------ */

#define CL_LIST_DEFAULT 500
#define CL_LIST_MAX     5000

typedef struct cl_referral_query {
    char agency[CL_AGENCY_SZ];
    uint8_t category;
    int8_t status; /* CL_REFSTAT_*, -1: any */
    char from[CL_DATE_SZ], to[CL_DATE_SZ];
    cl_person_ref who; /* person id or NHS/CHI number, or neither */
    uint32_t limit;
    char after[CL_REF_SZ];
} cl_referral_query;

typedef struct cl_referral_row {
    char reference[CL_REF_SZ];
    char agency[CL_AGENCY_SZ];
    char agency_ref[CL_REF_SZ];
    char person_id[CL_PID_SZ];
    char given[CL_NAME_SZ], family[CL_NAME_SZ], dob[CL_DATE_SZ];
    uint8_t category, risk, status;
    int64_t occurred_at, received_at;
} cl_referral_row;

typedef struct cl_referral_rows {
    size_t n;
    cl_referral_row *v; /* owned */
    char next[CL_REF_SZ];
} cl_referral_rows;

typedef struct cl_mdt_query {
    bool upcoming, past;
} cl_mdt_query;

typedef struct cl_mdt_row {
    char review_id[CL_REF_SZ];
    char date[CL_DATE_SZ];
    char title[CL_NOTE_SZ];
    uint32_t n_agencies;
    char agencies[CL_REVIEW_AGENCIES][CL_AGENCY_SZ];
    uint32_t people, discussed, actions_open, actions_overdue, actions_closed;
} cl_mdt_row;

typedef struct cl_mdt_rows {
    size_t n;
    cl_mdt_row *v; /* owned */
} cl_mdt_rows;

typedef struct cl_delivery {
    uint64_t seq; /* stable id within the agency's mailbox */
    int64_t at;
    cl_dlv_kind kind;
    union {
        cl_alert alert;
        cl_info_msg request;
        cl_info_response response;
        cl_status_msg status;
        cl_feed_msg feed;
        cl_intake_item intake;
        cl_governance_msg governance;
        cl_retraction_msg retraction;
        cl_action_msg action;
        cl_flag_notice flag;
    } u;
} cl_delivery;

typedef struct cl_deliveries {
    size_t n;
    cl_delivery *v; /* owned */
    uint64_t depth;
} cl_deliveries;

typedef struct cl_ack_result {
    uint32_t removed;
    uint64_t depth;
} cl_ack_result;

typedef struct cl_request_state {
    char agency[CL_AGENCY_SZ];
    bool answered;
    bool overdue;
    cl_info_response response; /* the latest answer, when answered */
    uint32_t n_earlier;
    cl_info_response *earlier; /* owned: the answers it replaced, oldest
                                  first (cl_request_summaries_clear) */
} cl_request_state;

typedef struct cl_request_summary {
    char request_id[CL_REF_SZ];
    char person_id[CL_PID_SZ];
    char due[CL_DATE_SZ];
    char question[CL_NOTE_SZ];
    char review_id[CL_REF_SZ];
    int64_t created_at;
    uint32_t n_agencies;
    cl_request_state agencies[CL_REVIEW_AGENCIES];
} cl_request_summary;

typedef struct cl_request_summaries {
    size_t n;
    cl_request_summary *v; /* owned */
} cl_request_summaries;

typedef struct cl_feed_state {
    char agency[CL_AGENCY_SZ];
    char feed[CL_FEED_SZ];
    uint64_t last_seq;
    int64_t first_at, last_at;
    uint64_t messages;
    uint64_t missing;
    uint64_t gap_from, gap_to;
    bool silent;
    bool gap_open; /* a gap notice was sent for the current episode */
    uint64_t silence_after_s;
} cl_feed_state;

typedef struct cl_feeds {
    size_t n;
    cl_feed_state *v; /* owned */
} cl_feeds;

typedef struct cl_mailbox_depth {
    char agency[CL_AGENCY_SZ];
    uint64_t depth;
} cl_mailbox_depth;

/* --- MDT: discussion, actions, RAG, measures, report, pack ------------- */

enum {
    CL_ACTION_OPEN = 0,
    CL_ACTION_DONE = 1,
    CL_ACTION_CANCELLED = 2,
    CL_ACTION_BLOCKED = 3
};
enum { CL_ACTION_STATUS_MAX = 3 };
enum { CL_RAG_RED = 1, CL_RAG_AMBER = 2, CL_RAG_GREEN = 3, CL_RAG_MAX = 3 };

#define CL_MEASURE_SZ 101
#define CL_MONTH_SZ   8 /* YYYY-MM */

typedef struct cl_discussion {
    char review_id[CL_REF_SZ];
    char person_id[CL_PID_SZ];
    char summary[CL_TEXT_SZ];
    char decisions[CL_TEXT_SZ];
} cl_discussion;

#define CL_ACTION_UPDATES 8 /* the last changes an action keeps */

/* One change to an action: who (agency and named user), when, to what. */
typedef struct cl_action_change {
    int64_t at;
    char agency[CL_AGENCY_SZ];
    char user[CL_NAME_SZ];
    uint8_t status; /* CL_ACTION_* */
    char note[CL_NOTE_SZ];
} cl_action_change;

typedef struct cl_action {
    char action_id[CL_REF_SZ];
    char review_id[CL_REF_SZ];
    char person_id[CL_PID_SZ];
    char text[CL_TEXT_SZ];
    char owner_name[CL_NAME_SZ];
    char owner_agency[CL_AGENCY_SZ];
    char due[CL_DATE_SZ];
    uint8_t status; /* CL_ACTION_* */
    bool overdue;   /* open past its due date (in answers) */
    int64_t created_at, updated_at;
    char note[CL_NOTE_SZ];
    uint32_t n_changes; /* oldest first */
    cl_action_change changes[CL_ACTION_UPDATES];
} cl_action;

typedef struct cl_action_update {
    char action_id[CL_REF_SZ];
    uint8_t status;
    char note[CL_NOTE_SZ];
} cl_action_update;

typedef struct cl_action_query {
    bool overdue_only, open_only;
    char review_id[CL_REF_SZ];
    char person_id[CL_PID_SZ];
} cl_action_query;

typedef struct cl_actions {
    size_t n;
    cl_action *v; /* owned */
} cl_actions;

typedef struct cl_rag_set {
    char person_id[CL_PID_SZ];
    char workstream[CL_NAME_SZ];
    uint8_t rating; /* CL_RAG_* */
    char note[CL_NOTE_SZ];
} cl_rag_set;

typedef struct cl_rag_entry {
    char subject[CL_NAME_SZ]; /* person id or workstream */
    uint8_t rating;
    char note[CL_NOTE_SZ];
    int64_t at;
    char by[CL_AGENCY_SZ];
    char by_user[CL_NAME_SZ]; /* the named user's display name, or "" */
} cl_rag_entry;

typedef struct cl_rag_entries {
    size_t n;
    cl_rag_entry *v; /* owned */
} cl_rag_entries;

#define CL_SOURCE_SZ 16

typedef struct cl_measure_def {
    char name[CL_MEASURE_SZ];
    char from[CL_MONTH_SZ], to[CL_MONTH_SZ];
    /* derived, counted by caselink per person on the MDT caseload per
     * month: "referrals" (of category, 0 any, from agencies of kind
     * agency_kind, "" any) or "attendances" (agenda places by review
     * date); "": recorded by hand */
    char source[CL_SOURCE_SZ];
    uint8_t category;
    char agency_kind[CL_KIND_SZ];
} cl_measure_def;

typedef struct cl_measure_value {
    char name[CL_MEASURE_SZ];
    char person_id[CL_PID_SZ];
    char period[CL_MONTH_SZ];
    double value;
} cl_measure_value;

typedef struct cl_report_query {
    char from[CL_DATE_SZ], to[CL_DATE_SZ];
} cl_report_query;

typedef struct cl_agency_month {
    char agency[CL_AGENCY_SZ];
    char month[CL_MONTH_SZ];
    int64_t referrals; /* -1: suppressed */
} cl_agency_month;

typedef struct cl_period_value {
    char period[CL_MONTH_SZ];
    double total; /* -1 when people is suppressed */
    int64_t people;
} cl_period_value;

#define CL_PERIODS_MAX 36

typedef struct cl_measure_summary {
    char name[CL_MEASURE_SZ];
    char from[CL_MONTH_SZ], to[CL_MONTH_SZ];
    bool has_values;           /* false: nothing recorded at all ("no data") */
    char source[CL_SOURCE_SZ]; /* as cl_measure_def */
    uint8_t category;
    char agency_kind[CL_KIND_SZ];
    double baseline_monthly;
    int64_t baseline_people;
    uint32_t n_periods;
    cl_period_value periods[CL_PERIODS_MAX];
} cl_measure_summary;

typedef struct cl_report {
    char from[CL_DATE_SZ], to[CL_DATE_SZ];
    int64_t made_at;
    uint32_t suppress_below;
    size_t n_referrals;
    cl_agency_month *referrals; /* owned; by when they happened */
    size_t n_arrived;
    cl_agency_month *arrived; /* owned; the same by when they arrived */
    int64_t caseload, reviews_held;
    int64_t actions_open, actions_overdue, actions_done, actions_cancelled;
    int64_t rag[CL_RAG_MAX + 1]; /* cases by current rating, [1..3] */
    int64_t rag_changes;
    size_t n_workstreams;
    cl_rag_entry *workstreams; /* owned */
    size_t n_measures;
    cl_measure_summary *measures; /* owned */
    size_t n_overlap;
    cl_overlap *overlap; /* owned */
} cl_report;

#endif
