/*
 * cl_model: the plain C form of everything that crosses the wire.
 *
 * The wire module converts protobuf to and from these structs; the domain
 * logic and the client library use only these. Strings are NUL-terminated
 * UTF-8 in fixed arrays whose sizes are the protocol's limits, so a value
 * that fits the struct has already passed its length check. This module
 * validates content (dates, NHS and CHI numbers, enums); it never touches
 * protobuf, sockets or the store.
 */
#ifndef CL_MODEL_H
#define CL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cl_error.h"

#define CL_PROTOCOL_VERSION 1u
#define CL_MSGID_LEN        16

/* Array sizes include the terminating NUL. */
#define CL_ID_SZ                                                               \
    16 /* NHS or CHI number: 10 digits, as sent                                \
          may hold spaces or dashes */
#define CL_LOCAL_ID_SZ   65
#define CL_NAME_SZ       101
#define CL_DATE_SZ       11 /* YYYY-MM-DD */
#define CL_ADDR_SZ       201
#define CL_TOWN_SZ       81
#define CL_POSTCODE_SZ   11
#define CL_UPRN_SZ       13
#define CL_REF_SZ        65 /* agency reference, caselink reference */
#define CL_CONCERN_SZ    8001
#define CL_NOTE_SZ       1001
#define CL_FEED_SZ       65
#define CL_PID_SZ        24 /* person id, e.g. P00000042 */
#define CL_AGENCY_SZ     101
#define CL_KIND_SZ       33
#define CL_ERROR_SZ      256
#define CL_WARNING_SZ    128
#define CL_RELATED_MAX   16
#define CL_WARNINGS_MAX  8
#define CL_VERSION_SZ    32
#define CL_CLIENT_SZ     64
#define CL_KIND_NAME_SZ  32
#define CL_AUDIT_PERSONS 20 /* people one audit entry can name */
#define CL_CHECKPOINT_SZ 1024
#define CL_AUDIT_LIMIT   1000
#define CL_KNOWN_MAX     8
#define CL_TEXT_SZ       4001 /* discussion, decisions, action text */
#define CL_USER_ID_SZ    65   /* a named user's id in their agency */
#define CL_USER_ROLE_SZ  65   /* the user's role in their agency */

/* Enum ranges mirror proto/caselink.proto. */
enum { CL_SEX_MAX = 3, CL_REL_MAX = 7, CL_CAT_MAX = 12, CL_RISK_MAX = 4 };
enum { CL_BASIS_MAX = 6, CL_CONSENT_MAX = 3, CL_LINK_MAX = 7 };
enum {
    CL_CONSENT_UNSPECIFIED = 0,
    CL_CONSENT_GIVEN = 1,
    CL_CONSENT_REFUSED = 2,
    CL_CONSENT_NOT_SOUGHT = 3
};
enum {
    CL_REL_UNSPECIFIED = 0,
    CL_REL_PARENT = 1,
    CL_REL_CHILD = 2,
    CL_REL_CARER = 3,
    CL_REL_CARED_FOR = 4,
    CL_REL_HOUSEHOLD = 5,
    CL_REL_PARTNER = 6,
    CL_REL_SIBLING = 7
};
enum {
    CL_LINK_NEW = 0,
    CL_LINK_NHS = 1,
    CL_LINK_CHI = 2,
    CL_LINK_LOCAL_ID = 3,
    CL_LINK_SCORE = 4,
    CL_LINK_REVIEWED = 5,
    CL_LINK_UNDISCLOSED = 6, /* publishers' import replies: not said */
    CL_LINK_MERGED = 7       /* its person was merged into another when a
                                new record matched both */
};

/* Reply status, numerically equal to caselink.Status. */
typedef enum {
    CL_STATUS_OK = 0,
    CL_STATUS_DUPLICATE = 1,
    CL_STATUS_INVALID = 2,
    CL_STATUS_DENIED = 3,
    CL_STATUS_NOT_FOUND = 4,
    CL_STATUS_BUSY = 5,
    CL_STATUS_INTERNAL = 6,
    CL_STATUS_NOT_ACTIVE = 7 /* a standby or fenced node: try the next */
} cl_status;

typedef struct cl_person {
    char nhs[CL_ID_SZ];            /* NHS number, digits only */
    char chi[CL_ID_SZ];            /* CHI number, digits only */
    char local_id[CL_LOCAL_ID_SZ]; /* the agency's own id */
    char given[CL_NAME_SZ];        /* given names */
    char family[CL_NAME_SZ];       /* family name */
    char dob[CL_DATE_SZ];          /* YYYY-MM-DD or empty */
    uint8_t sex;                   /* caselink.Sex */
    char address[CL_ADDR_SZ];      /* house number and street */
    char town[CL_TOWN_SZ];         /* town */
    char postcode[CL_POSTCODE_SZ]; /* normalised: upper case, one space */
    char uprn[CL_UPRN_SZ];         /* unique property reference number */
} cl_person;

typedef struct cl_related {
    cl_person person; /* the related person as the publisher knows them */
    uint8_t rel;      /* what they are to the subject (caselink.Relationship) */
} cl_related;

typedef struct cl_referral {
    char agency_ref[CL_REF_SZ];  /* the publisher's own reference */
    cl_person subject;           /* who the referral is about */
    uint8_t category;            /* caselink.Category */
    uint8_t risk;                /* caselink.Risk */
    char concern[CL_CONCERN_SZ]; /* free text */
    int64_t occurred_at;         /* unix seconds, 0 if not given */
    uint32_t n_related;          /* entries used in related[] */
    cl_related related[CL_RELATED_MAX];
    char referrer_name[CL_NAME_SZ]; /* practitioner who referred */
    char referrer_role[CL_NAME_SZ]; /* their role */
    uint8_t basis;                  /* caselink.LawfulBasis */
    uint8_t consent;                /* caselink.Consent */
    char consent_note[CL_NOTE_SZ];  /* why consent not sought or refused */
    char feed[CL_FEED_SZ];          /* publisher's feed name */
    uint64_t feed_seq;              /* sequence within the feed */
    bool ask_mdt;                   /* the referrer asks for the MDT */
} cl_referral;

enum { CL_PLAN_TYPE_MAX = 3, CL_PLAN_CAT_MAX = 5 };
enum { CL_PLAN_CPP = 1, CL_PLAN_LAC = 2, CL_PLAN_UNBORN = 3 };

/* A child protection plan (or looked-after status). */
typedef struct cl_plan {
    char agency_ref[CL_REF_SZ];        /* the authority's own reference */
    cl_person child;                   /* empty allowed for an unborn plan */
    uint8_t type;                      /* caselink.PlanType */
    uint8_t category;                  /* caselink.PlanCategory */
    char start[CL_DATE_SZ];            /* YYYY-MM-DD */
    char end[CL_DATE_SZ];              /* empty while in force */
    char authority[CL_AGENCY_SZ];      /* responsible authority */
    uint32_t n_adults;                 /* entries used in adults[] */
    cl_related adults[CL_RELATED_MAX]; /* rel: what the adult is to child */
    char legal_basis[CL_NAME_SZ];      /* e.g. Children Act 1989 s47 */
    char review[CL_DATE_SZ];           /* next review date */
    uint8_t basis;                     /* caselink.LawfulBasis */
} cl_plan;

/* A plan shown on a case view. */
typedef struct cl_plan_flag {
    char child_pid[CL_PID_SZ];
    char given[CL_NAME_SZ];
    char family[CL_NAME_SZ];
    char via[32]; /* "self", or what the child is to the person viewed */
    uint8_t type;
    uint8_t category;
    char start[CL_DATE_SZ];
    char end[CL_DATE_SZ];
    char authority[CL_AGENCY_SZ];
    bool active; /* false: ended within the last year */
    char review[CL_DATE_SZ];
    char legal_basis[CL_NAME_SZ];
} cl_plan_flag;

typedef struct cl_import {
    cl_person person;          /* local_id required */
    char agency[CL_AGENCY_SZ]; /* must be the caller's agency */
} cl_import;

/* A links export's page: limit 0 is CL_LINKS_PAGE_DEFAULT records; over
 * CL_LINKS_PAGE_MAX is refused, as the .proto says. */
#define CL_LINKS_PAGE_DEFAULT 5000
#define CL_LINKS_PAGE_MAX     20000

typedef struct cl_links_query {
    char after[CL_REF_SZ]; /* record id to continue after, or "" */
    uint32_t limit;
} cl_links_query;

/* Linking weights and relinking (coordinator or operator): show the
 * weights in use and any proposed, estimate new ones from the store's own
 * records, accept the proposal, or re-evaluate every stored record. */
enum {
    CL_LINK_SHOW = 0,
    CL_LINK_TRAIN = 1,
    CL_LINK_ACCEPT = 2,
    CL_LINK_RERUN = 3,
    CL_LINK_ACTION_MAX = 3
};

typedef struct cl_link_req {
    uint8_t action;  /* CL_LINK_* */
    uint32_t sample; /* TRAIN: records to sample (0: 20000, at most 200000) */
} cl_link_req;

#define CL_LEVELS_MAX 40

/* One comparison level: in use, and as proposed by the last training. */
typedef struct cl_level_info {
    char name[24];
    double m, u, weight;    /* in use */
    double pm, pu, pweight; /* proposed (0 when nothing proposed) */
    bool trained;           /* the proposal estimated it from data */
} cl_level_info;

typedef struct cl_link_info {
    uint32_t n_levels;
    cl_level_info levels[CL_LEVELS_MAX];
    double prior, pprior;      /* in use, proposed */
    double upper, lower;       /* thresholds, as weights */
    double upper_p, lower_p;   /* as probabilities under prior */
    double pupper_p, plower_p; /* under the proposed prior */
    bool accepted;             /* trained weights are in use */
    bool proposed;             /* a training result waits */
    int64_t trained_at, accepted_at;
    uint64_t sampled, random_pairs, blocked_pairs; /* last training */
    bool rerun_running;
    uint64_t rerun_done, rerun_total, rerun_merged, rerun_queued;
    /* how many times as often two people of one family name share a
     * place as any two (0: not measured), and whether the family pattern
     * weighs as any pair does because of it; in use and proposed */
    double families_share, pfamilies_share;
    bool families_apart, pfamilies_apart;
    /* records stored before places were counted are not yet: a place
     * many of them share keeps its full weight until a rerun */
    bool rerun_needed;
} cl_link_info;

/* A page of the match-review queue (highest weight first). */
typedef struct cl_review_query {
    uint32_t limit;            /* page size: 0 = 50, at most 500 */
    uint32_t page;             /* 1-based page (0 = 1) */
    char after[CL_REF_SZ];     /* continue after this review id, or "" */
    char agency[CL_AGENCY_SZ]; /* a record of this agency, or "" */
    double min_p, max_p;       /* match probability bounds (0: none) */
} cl_review_query;

#define CL_REVIEW_PAGE_MAX 500

/* Break-glass reasons (the wire's AccessReason), 1..CL_ACCESS_MAX. */
enum { CL_ACCESS_MAX = 6 };
#define CL_JUSTIFICATION_MIN 20 /* characters, in at least three words */

typedef struct cl_find {
    cl_person match;
    char justification[CL_NOTE_SZ];
    uint8_t access_reason; /* required with the justification */
    uint32_t limit;
} cl_find;

#define CL_NOT_KNOWN_MAX 8

typedef struct cl_case_finding {
    char agency[CL_AGENCY_SZ];
    uint32_t min_contacts;
    int64_t from, to;
    char justification[CL_NOTE_SZ];
    /* leave out people whom one of these holds a record about: an agency
     * name, an agency kind (gp), or "health" (gp and every nhs_* kind) */
    uint32_t n_not_known;
    char not_known_to[CL_NOT_KNOWN_MAX][CL_AGENCY_SZ];
    uint8_t access_reason; /* required with the justification */
} cl_case_finding;

typedef struct cl_hlu {
    char person_id[CL_PID_SZ];
    uint32_t contacts;
    uint32_t n_known; /* other agencies holding a record on them */
    char known_to[CL_KNOWN_MAX][CL_AGENCY_SZ];
    uint32_t n_mentioned; /* of those, the ones that only mentioned them */
    char mentioned_by[CL_KNOWN_MAX][CL_AGENCY_SZ];
    char given[CL_NAME_SZ]; /* as the counting agency recorded them */
    char family[CL_NAME_SZ];
    char dob[CL_DATE_SZ];
} cl_hlu;

typedef struct cl_overlap {
    char a[CL_AGENCY_SZ], b[CL_AGENCY_SZ];
    int64_t people;   /* known to both in any way; -1: suppressed */
    int64_t subjects; /* both hold records about them; -1: suppressed */
} cl_overlap;

typedef struct cl_case_finding_result {
    size_t n_users;
    cl_hlu *users; /* owned */
    size_t n_overlap;
    cl_overlap *overlap; /* owned */
    uint32_t suppress_below;
    char agency[CL_AGENCY_SZ]; /* the counting agency, as registered */
} cl_case_finding_result;

typedef struct cl_import_result {
    uint8_t link_reason;
    bool queued;
    uint32_t n_warnings;
    char warnings[CL_WARNINGS_MAX][CL_WARNING_SZ];
} cl_import_result;

typedef struct cl_link_row {
    char record_id[CL_REF_SZ];
    char agency[CL_AGENCY_SZ];
    char local_id[CL_LOCAL_ID_SZ];
    char person_id[CL_PID_SZ];
    uint8_t link_reason;
    double link_score;
} cl_link_row;

typedef struct cl_links_page {
    size_t n;
    cl_link_row *v; /* owned */
    char next[CL_REF_SZ];
    uint64_t last_id; /* the highest record number issued (for progress) */
} cl_links_page;

/* Decide a queued match (accept merges) or split a record off. */
typedef struct cl_link_change {
    char id[CL_REF_SZ];      /* review id (R...) or record id */
    bool accept;             /* review: the two are one person */
    char reason[CL_NOTE_SZ]; /* required */
} cl_link_change;

typedef struct cl_get_person {
    char person_id[CL_PID_SZ];      /* either this ... */
    cl_person match;                /* ... or NHS/CHI number here */
    char review_id[CL_REF_SZ];      /* purpose: a review ... */
    char justification[CL_NOTE_SZ]; /* ... or a break-glass reason */
    uint8_t access_reason;          /* required with the justification */
} cl_get_person;

/* Change an own referral: correct (with new content) or withdraw. */
typedef struct cl_rectify {
    char reference[CL_REF_SZ]; /* caselink reference */
    char reason[CL_NOTE_SZ];   /* required */
    cl_referral referral;      /* the corrected content (correct only) */
} cl_rectify;

/* A person named by id or by NHS/CHI number (audit search, subject
 * access). */
/* Audit search filters: with no person, every entry they keep. */
typedef struct cl_audit_filter {
    bool break_glass_only;     /* break-glass uses only */
    bool flagged_only;         /* break-glass uses and refusals */
    int64_t from, to;          /* unix seconds; 0: open */
    char client[CL_CLIENT_SZ]; /* by user: cl_person_ref.user_id */
} cl_audit_filter;

typedef struct cl_person_ref {
    char person_id[CL_PID_SZ];
    cl_person match;
    uint32_t limit;              /* audit search: entries at most */
    char user_id[CL_USER_ID_SZ]; /* audit search: by this named user */
    cl_audit_filter filter;      /* audit search only */
} cl_person_ref;

/* A legal hold on a person (coordinator): kept past retention until
 * released. A reason is required both ways. */
typedef struct cl_hold {
    cl_person_ref who;
    char reason[CL_NOTE_SZ];
    bool release;
} cl_hold;

#define CL_REVIEW_AGENCIES 16
enum { CL_AGENDA_MAX = 5 };

typedef struct cl_review_new {
    char date[CL_DATE_SZ];
    char title[CL_NOTE_SZ];
    uint32_t n_agencies;
    char agencies[CL_REVIEW_AGENCIES][CL_AGENCY_SZ];
} cl_review_new;

typedef struct cl_agenda_add {
    char review_id[CL_REF_SZ];
    cl_person_ref who; /* person id or NHS/CHI number */
    uint8_t reason;    /* caselink.AgendaReason */
    char note[CL_NOTE_SZ];
    uint8_t access_reason;          /* break-glass: nobody referred them */
    char justification[CL_NOTE_SZ]; /* ... with this */
} cl_agenda_add;

#include "cl_model_route.h"

#include "cl_model_mdt.h"

/* The request kinds, one per row of cl_requests.def (see its columns). */
typedef enum {
    CL_REQ_NONE = 0,
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    CL_REQ_##KIND,
#include "cl_requests.def"
#undef CL_REQ
    CL_REQ_KIND_COUNT
} cl_req_kind;

/* How the daemon runs a kind (the cls column of cl_requests.def). */
typedef enum {
    CL_REQ_CLASS_WRITE = 1, /* idempotent write, own transaction, audited */
    CL_REQ_CLASS_READ,      /* read of personal data, always audited */
    CL_REQ_CLASS_ADMIN      /* its own handler, no idempotency or audit */
} cl_req_class;

/* The person an agency's system acts for (caselink.ActingUser): as an
 * NHS system passes its smartcard user. All empty when none is named. */
typedef struct cl_user {
    char id[CL_USER_ID_SZ];     /* the user's id in their agency */
    char name[CL_NAME_SZ];      /* display name */
    char role[CL_USER_ROLE_SZ]; /* role in the agency */
} cl_user;

typedef struct cl_request {
    uint32_t version;            /* protocol version */
    uint8_t msgid[CL_MSGID_LEN]; /* client-chosen message id */
    bool msgid_read;             /* msgid came from the frame */
    int64_t sent_ms;             /* client's clock, unix ms */
    cl_req_kind kind;            /* which member of u is valid */
    uint8_t body_hash[16];       /* BLAKE2b of the body: a resent id
                                    must carry the same body */
    cl_user on_behalf_of;        /* the acting user, if named */
    union {
        cl_referral publish;               /* CL_REQ_PUBLISH_REFERRAL */
        cl_get_person get_person;          /* CL_REQ_GET_PERSON */
        cl_rectify rectify;                /* CORRECT/WITHDRAW_REFERRAL */
        char checkpoint[CL_CHECKPOINT_SZ]; /* AUDIT_VERIFY (may be "") */
        cl_person_ref person_ref;          /* AUDIT_SEARCH, SUBJECT_ACCESS */
        char backup_name[CL_REF_SZ];       /* ADMIN_BACKUP */
        uint32_t key_version;              /* ADMIN_RETIRE_KEY */
        cl_plan plan;                      /* PUBLISH_PLAN */
        cl_review_query review_q;          /* REVIEW_LIST */
        cl_link_req link_admin;            /* LINK_ADMIN */
        cl_link_change link;               /* REVIEW_DECIDE, SPLIT_RECORD */
        cl_import import;                  /* IMPORT_PERSON */
        cl_links_query links;              /* LINKS_EXPORT */
        cl_find find;                      /* FIND_PERSON */
        cl_review_new review_new;          /* CREATE_REVIEW */
        cl_agenda_add agenda;              /* ADD_TO_AGENDA */
        cl_case_finding finding;           /* CASE_FINDING */
        cl_set_status set_status;          /* SET_STATUS */
        cl_inbox_query inbox;              /* INBOX_RECEIVE */
        cl_inbox_ack ack;                  /* INBOX_ACK */
        cl_info_request info;              /* INFO_REQUEST */
        cl_info_response respond;          /* INFO_RESPOND */
        cl_request_list req_list;          /* REQUEST_LIST */
        cl_discussion discussion;          /* RECORD_DISCUSSION */
        cl_action action;                  /* ADD_ACTION */
        cl_action_update action_update;    /* UPDATE_ACTION */
        cl_action_query action_query;      /* LIST_ACTIONS */
        cl_rag_set rag;                    /* SET_RAG, RAG_HISTORY */
        cl_measure_def measure_def;        /* DEFINE_MEASURE */
        cl_measure_value measure;          /* RECORD_MEASURE */
        cl_report_query report;            /* REPORT */
        char pack_review[CL_REF_SZ];       /* REVIEW_PACK */
        bool intake_all;                   /* INTAKE_LIST */
        cl_intake_decision intake_decide;  /* INTAKE_DECIDE */
        cl_referral_query ref_query;       /* REFERRAL_LIST */
        cl_mdt_query mdt_query;            /* MDT_LIST */
        cl_hold hold;                      /* LEGAL_HOLD */
        cl_flag_query flag;                /* FLAG_CHECK */
        cl_flag_log_query flag_log;        /* FLAG_DISCLOSURES */
        cl_plan_withdraw plan_withdraw;    /* WITHDRAW_PLAN */
        cl_meeting meeting;                /* RECORD_MEETING */
    } u;
} cl_request;

typedef struct cl_agency_record {
    char record_id[CL_REF_SZ]; /* R00000042: for split */
    char agency[CL_AGENCY_SZ]; /* agency that holds the record */
    char kind[CL_KIND_SZ];     /* agency kind: gp, police, ... */
    cl_person person;          /* the agency's view of the person */
    uint8_t link_reason;       /* caselink.LinkReason */
    double link_score;         /* Fellegi-Sunter weight when scored */
} cl_agency_record;

typedef struct cl_candidate {
    char person_id[CL_PID_SZ];
    double score;
    uint8_t how; /* CL_LINK_NHS, CL_LINK_CHI or CL_LINK_SCORE */
    cl_agency_record best;
} cl_candidate;

typedef struct cl_candidates {
    size_t n;
    cl_candidate *v; /* owned */
} cl_candidates;

typedef struct cl_referral_view {
    char reference[CL_REF_SZ];
    char agency[CL_AGENCY_SZ];
    char agency_ref[CL_REF_SZ];
    uint8_t category;
    uint8_t risk;
    char *concern; /* malloc'd, owned by the view; never NULL */
    int64_t occurred_at;
    int64_t received_at;
    char referrer_name[CL_NAME_SZ];
    char referrer_role[CL_NAME_SZ];
    uint8_t basis;
    uint8_t consent;
    char *consent_note; /* malloc'd, owned by the view; never NULL */
    bool withdrawn;     /* shown only in subject access exports */
    uint32_t version;   /* 1, then 2 after a correction, ... */
    uint8_t status;     /* CL_REFSTAT_* */
    char status_reason[CL_NOTE_SZ];
    uint8_t outcome;
    int64_t status_at;
    char status_by[CL_AGENCY_SZ];
} cl_referral_view;

typedef struct cl_related_view {
    char person_id[CL_PID_SZ];
    uint8_t rel; /* what they are to the person viewed */
    char given[CL_NAME_SZ];
    char family[CL_NAME_SZ];
    char dob[CL_DATE_SZ];
    char asserted_by[CL_AGENCY_SZ];
    uint32_t depth;          /* 1, or 2 (through via_pid) */
    char via_pid[CL_PID_SZ]; /* with depth 2 */
    bool inferred;           /* from a shared UPRN */
    uint32_t n_known;        /* agencies holding a record on them */
    char known_to[CL_KNOWN_MAX][CL_AGENCY_SZ];
    uint32_t n_mentioned; /* of those, the ones that only mentioned them */
    char mentioned_by[CL_KNOWN_MAX][CL_AGENCY_SZ];
} cl_related_view;

/* A linked case. The arrays are owned by the view: cl_person_view_clear. */
typedef struct cl_person_view {
    char person_id[CL_PID_SZ];
    size_t n_records;
    cl_agency_record *records;
    size_t n_referrals;
    cl_referral_view *referrals; /* oldest first */
    size_t n_related;
    cl_related_view *related;
    size_t n_known; /* agencies holding a record on them */
    char (*known_to)[CL_AGENCY_SZ];
    size_t n_mentioned; /* of those, the ones that only mentioned them */
    char (*mentioned_by)[CL_AGENCY_SZ];
    size_t n_plans;
    cl_plan_flag *plans; /* active, or ended within a year */
} cl_person_view;

typedef struct cl_audit_entry {
    uint64_t seq;
    int64_t at;
    char client[CL_CLIENT_SZ];
    char agency[CL_AGENCY_SZ];
    char kind[CL_KIND_NAME_SZ];
    uint32_t n_persons;
    char person_ids[CL_AUDIT_PERSONS][CL_PID_SZ];
    char purpose[CL_NOTE_SZ];
    bool break_glass;
    uint8_t outcome; /* cl_status */
    char detail[CL_REF_SZ];
    cl_user user; /* the named user the client acted for, if any */
} cl_audit_entry;

typedef struct cl_audit_entries {
    size_t n;
    cl_audit_entry *v; /* owned */
} cl_audit_entries;

typedef struct cl_audit_verify_result {
    bool intact;
    uint64_t entries;
    uint64_t first_bad_seq;
    char problem[CL_ERROR_SZ];
    bool checkpoint_checked;
    bool checkpoint_ok;
} cl_audit_verify_result;

#define CL_MATCH_FIELDS 10

typedef struct cl_field_weight {
    char field[16]; /* family, given, dob, sex, postcode, uprn */
    char level[24]; /* exact, nickname, swapped, sector, disagree, ... */
    double weight;  /* log2(m/u) */
} cl_field_weight;

/* Why a pair at or above the link threshold waits in the queue instead
 * of linking (caselink.HeldReason; derived when the queue is listed). */
typedef enum cl_held {
    CL_HELD_NONE = 0,       /* below the link threshold: a plain review */
    CL_HELD_TWO_PEOPLE = 1, /* the incoming record fits another person too */
    CL_HELD_DECIDED = 2,    /* a coordinator decided on one of the people */
    CL_HELD_APART = 3,      /* the two people's other records hold apart */
} cl_held;

typedef struct cl_review_item {
    char id[CL_REF_SZ];
    double score;
    cl_agency_record incoming;
    char incoming_pid[CL_PID_SZ];
    cl_agency_record candidate;
    char candidate_pid[CL_PID_SZ];
    uint32_t n_fields;
    cl_field_weight fields[CL_MATCH_FIELDS];
    int64_t created;
    double probability;        /* match probability under the prior */
    uint8_t held;              /* cl_held */
    char held_with[CL_PID_SZ]; /* CL_HELD_TWO_PEOPLE: the other person */
} cl_review_item;

typedef struct cl_review_items {
    size_t n;
    cl_review_item *v;    /* owned */
    char next[CL_REF_SZ]; /* continue after this id; "" on the last page */
    uint32_t total;       /* open pairs the filters keep */
} cl_review_items;

/* What replaced a kept version of a referral ("corrected", "withdrawn",
 * "status: declined", ...): the stored history and the reply carry it in
 * a field this size, so a writer may never store a longer one. */
#define CL_CHANGE_SZ 32
#define CL_BY_SZ     160

typedef struct cl_referral_version {
    char reference[CL_REF_SZ];
    uint32_t version;
    int64_t replaced_at;
    char change[CL_CHANGE_SZ]; /* corrected, withdrawn, status: accepted */
    char reason[CL_NOTE_SZ];
    char by[CL_BY_SZ]; /* who made the change: client (agency) */
    cl_referral_view referral;
} cl_referral_version;

/* An agency record's details before the same agency's later referral or
 * import changed them. */
typedef struct cl_record_version {
    cl_agency_record record; /* record id, agency, kind, the details then */
    int64_t recorded_at;     /* when those details were recorded */
    int64_t replaced_at;     /* when newer details replaced them */
    char by[CL_BY_SZ];       /* who sent the newer ones: client (agency) */
} cl_record_version;

/* A place on a review's agenda, with what the meeting recorded. */
typedef struct cl_sar_agenda {
    char review_id[CL_REF_SZ];
    char date[CL_DATE_SZ];
    char title[CL_NOTE_SZ];
    uint8_t reason;        /* caselink.AgendaReason */
    char note[CL_NOTE_SZ]; /* why, in the coordinator's words */
    char discussion[CL_TEXT_SZ];
    char decisions[CL_TEXT_SZ];
    int64_t discussed_at; /* 0 if not discussed */
    char discussed_by[CL_AGENCY_SZ];
} cl_sar_agenda;

/* Everything held about one person (see cl_dp_subject_access). The
 * arrays are owned: cl_subject_access_clear. */
typedef struct cl_subject_access {
    cl_person_view person; /* with every plan, however long ago it ended */
    size_t n_history;
    cl_referral_version *history; /* owned */
    size_t n_record_history;
    cl_record_version *record_history; /* owned: agencies' earlier details */
    cl_audit_entries audit;
    size_t n_agenda;
    cl_sar_agenda *agenda; /* owned */
    cl_actions actions;    /* every status */
    cl_rag_entries rag;    /* every rating, oldest first */
    size_t n_measures;
    cl_measure_value *measures;    /* owned */
    cl_request_summaries requests; /* with every answer */
    cl_intake_items intake;        /* every intake item, any state */
    bool held;                     /* a legal hold keeps them */
    int64_t hold_at;
    char hold_by[CL_BY_SZ];
    char hold_reason[CL_NOTE_SZ];
} cl_subject_access;

#define CL_STATS_MAX        160
#define CL_KEY_VERSIONS_MAX 16

typedef struct cl_kind_count {
    char kind[CL_KIND_NAME_SZ];
    uint8_t status;
    uint64_t count;
} cl_kind_count;

#define CL_RATE_LIMITED_MAX 32

/* A client whose requests a rate limit refused (flag checks). */
typedef struct cl_rate_limited {
    char client[CL_CLIENT_SZ];
    char kind[CL_KIND_NAME_SZ];
    uint64_t refused;
} cl_rate_limited;
/* A node's place in replication (role "single" when it is off). */
typedef struct cl_repl_state {
    char role[16];        /* single, active, standby, fenced */
    char node[64];        /* this node's name */
    char active[600];     /* the active as last seen: node and endpoint */
    uint64_t applied_seq; /* last stream sequence in the store */
    uint64_t stream_last_seq;
    uint64_t lag_messages; /* stream_last_seq - applied_seq */
    uint64_t lag_seconds;  /* age of the oldest message not yet applied */
    char problem[512];     /* why it is fenced or cannot follow; "" if none */
} cl_repl_state;

typedef struct cl_stats {
    uint64_t uptime_s;
    uint32_t n_counts;
    cl_kind_count counts[CL_STATS_MAX];
    uint64_t commits;
    uint64_t batch_mean_x100;
    uint64_t batch_max;
    uint64_t batches_redone; /* applied again: a write refused after writing */
    uint64_t commit_p50_us, commit_p99_us, commit_max_us;
    uint64_t store_bytes, map_bytes;
    uint64_t persons, referrals, audit_entries;
    uint32_t key_version;
    uint64_t refused_connections;
    uint32_t n_mailboxes;
    cl_mailbox_depth mailboxes[CL_MAILBOXES_MAX];
    bool relink_running, weights_trained;
    bool relink_needed; /* LinkInfo.rerun_needed */
    uint64_t relink_done, relink_total, relink_merged, relink_queued;
    bool backup_running;                /* an online backup is being written */
    uint64_t backup_done, backup_total; /* its bytes so far, of about */
    uint32_t n_rate_limited;            /* clients refused by a rate limit */
    cl_rate_limited rate_limited[CL_RATE_LIMITED_MAX];
    cl_repl_state repl;
} cl_stats;

typedef struct cl_backup_result {
    char path[4096];
    uint64_t bytes;
} cl_backup_result;

typedef struct cl_key_status {
    uint32_t current;
    uint32_t n_versions;
    struct {
        uint32_t version;
        uint64_t values;
        bool retired;
    } versions[CL_KEY_VERSIONS_MAX];
    uint64_t pending;
} cl_key_status;

typedef struct cl_health {
    char version[CL_VERSION_SZ];
    uint64_t uptime_s;
    uint64_t persons;
    uint64_t referrals;
    uint64_t store_bytes;
    cl_repl_state repl;
    char write_error[CL_ERROR_SZ]; /* the last batch not written; "" none */
    uint64_t write_error_at;       /* unix seconds; 0 if none */
    uint64_t write_errors;         /* batches not written since start */
} cl_health;

typedef struct cl_publish_result {
    char reference[CL_REF_SZ];
    bool known_to_mdt; /* only when the daemon's policy allows saying so */
    uint32_t n_warnings;
    char warnings[CL_WARNINGS_MAX][CL_WARNING_SZ];
    cl_flag_result flag; /* the subject's front-line flag, where configured */
} cl_publish_result;

typedef struct cl_prior_review {
    char review_id[CL_REF_SZ];
    char date[CL_DATE_SZ];
    char discussion[CL_TEXT_SZ];
    char decisions[CL_TEXT_SZ];
} cl_prior_review;

typedef struct cl_pack_item {
    cl_person_view person; /* owns its arrays */
    uint8_t reason;
    char note[CL_NOTE_SZ];
    char discussion[CL_TEXT_SZ];
    char decisions[CL_TEXT_SZ];
    cl_actions actions;            /* owned */
    cl_request_summaries requests; /* owned */
    bool rated;
    cl_rag_entry rag;
    uint32_t n_measures;
    cl_measure_summary measures[8]; /* the person's own, against baseline */
    uint32_t n_prior;
    cl_prior_review prior[CL_PRIOR_MAX]; /* earlier reviews, oldest first */
    cl_actions earlier;                  /* actions of earlier reviews */
    uint32_t n_since;                    /* referrals since the last one */
    cl_referral_row since[CL_SINCE_MAX];
    uint32_t since_alerts, since_answered, since_overdue;
} cl_pack_item;

typedef struct cl_review_pack {
    cl_review_new review; /* date, title, agencies */
    char review_id[CL_REF_SZ];
    size_t n;
    cl_pack_item *v;    /* owned */
    uint32_t purged;    /* people on the agenda removed under retention */
    cl_meeting meeting; /* chair, attendees, apologies, confidentiality */
    char previous_id[CL_REF_SZ], previous_date[CL_DATE_SZ];
} cl_review_pack;

/* Free what a report or a pack owns and zero it. */
void cl_report_clear(cl_report *r);
void cl_review_pack_clear(cl_review_pack *p);

typedef struct cl_reply {
    uint8_t msgid[CL_MSGID_LEN];
    bool msgid_unread; /* the request's id could not be read: sent empty */
    cl_status status;
    cl_status original_status; /* with CL_STATUS_DUPLICATE */
    char error[CL_ERROR_SZ];   /* human-readable, no personal data */
    cl_req_kind kind;          /* which result is present; NONE for none */
    union {
        cl_publish_result publish;
        cl_person_view person;
        cl_health health;
        cl_repl_state promote;             /* ADMIN_PROMOTE */
        cl_audit_verify_result verify;     /* AUDIT_VERIFY */
        char checkpoint[CL_CHECKPOINT_SZ]; /* AUDIT_CHECKPOINT */
        cl_audit_entries entries;          /* AUDIT_SEARCH */
        cl_subject_access subject;         /* SUBJECT_ACCESS */
        cl_stats stats;                    /* ADMIN_STATS */
        cl_backup_result backup;           /* ADMIN_BACKUP */
        cl_key_status key_status;       /* ADMIN_ROTATE/KEY_STATUS/RETIRE_KEY */
        cl_review_items reviews;        /* REVIEW_LIST */
        cl_import_result import;        /* IMPORT_PERSON */
        cl_links_page links;            /* LINKS_EXPORT */
        cl_candidates candidates;       /* FIND_PERSON */
        cl_case_finding_result finding; /* CASE_FINDING */
        cl_deliveries deliveries;       /* INBOX_RECEIVE */
        cl_ack_result ack;              /* INBOX_ACK */
        cl_request_summaries requests;  /* REQUEST_LIST */
        cl_feeds feeds;                 /* ADMIN_FEEDS */
        cl_actions actions;             /* LIST_ACTIONS */
        cl_rag_entries rags;            /* RAG_HISTORY */
        cl_report report;               /* REPORT */
        cl_review_pack pack;            /* REVIEW_PACK */
        cl_intake_items intake;         /* INTAKE_LIST */
        cl_referral_rows ref_rows;      /* REFERRAL_LIST */
        cl_mdt_rows mdt_rows;           /* MDT_LIST */
        cl_link_info link_info;         /* LINK_ADMIN */
        cl_flag_result flag;            /* FLAG_CHECK */
        cl_flag_disclosures flag_log;   /* FLAG_DISCLOSURES */
    } u;
} cl_reply;

/* Copy src into dst of size cap, truncating; returns false if truncated. */
static inline bool cl_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    bool fits = n < cap;
    if (!fits)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

#define CL_COPY(dst, src) cl_copy((dst), sizeof(dst), (src))

/* Set a referral view's text fields (copies); false if out of memory. */
bool cl_referral_view_texts(cl_referral_view *v, const char *concern,
                            const char *consent_note);

/* Frees a referral view's text fields. */
void cl_referral_view_free(cl_referral_view *v);

/* Frees the arrays of a person view and zeroes it; safe on a zeroed view. */
void cl_person_view_clear(cl_person_view *v);

/* Frees what a reply owns (views, lists) and zeroes it: all of it that
 * its kind can have written (a write's reply: u.publish alone). */
void cl_reply_clear(cl_reply *r);

/* Wipes a decoded request (personal data), all of it that decoding can
 * have written: a referral's unused related[] entries are zero already. */
void cl_request_wipe(cl_request *r);

void cl_audit_entries_clear(cl_audit_entries *e);

/* Frees (wiped) each request's earlier answers, then the array. */
void cl_request_summary_clear(cl_request_summary *q);
void cl_request_summaries_clear(cl_request_summaries *s);
void cl_subject_access_clear(cl_subject_access *s);

/* NHS number: ten digits whose tenth is the modulus 11 check digit, not
 * all the same digit (0000000000 is a placeholder, not a number). */
bool cl_nhs_valid(const char *s);

/* CHI number: ten digits, the first six a valid DDMMYY date, with the
 * modulus 11 check digit. */
bool cl_chi_valid(const char *s);

/* A real calendar date in YYYY-MM-DD form between 1880 and 2200. */
bool cl_date_valid(const char *s);

/* Reduce an identifier typed with spaces or dashes ("943 476 5919") to its
 * digits in place. Returns false if anything but digits, spaces or dashes
 * was present. */
bool cl_digits_normalise(char *s);

/* Upper-case a postcode and put exactly one space before the inward code
 * when it looks like a UK postcode; leaves other strings trimmed. */
void cl_postcode_normalise(char *s);

/*
 * Validate and normalise a referral in place. Hard errors (no lawful basis,
 * out-of-range enums, bad dates, a refused consent without a reason, no way
 * to identify the subject) return CL_ERR_INVALID with a message in err.
 * Soft problems (an NHS number failing its check digit) clear the field and
 * add a warning to warn (may be NULL) so the publisher hears of it.
 */
CL_NODISCARD int cl_referral_validate(cl_referral *r, char err[CL_ERROR_SZ],
                                      cl_publish_result *warn);

/* Validate and normalise an imported person (local id required). */
CL_NODISCARD int cl_import_validate(cl_import *im, char err[CL_ERROR_SZ],
                                    cl_publish_result *warn);

/* Validate and normalise a plan like a referral (see above). */
CL_NODISCARD int cl_plan_validate(cl_plan *p, char err[CL_ERROR_SZ],
                                  cl_publish_result *warn);

/* Validate what a decoded request carries, as the daemon does before it
 * runs it: the named user, and a referral, plan or imported person. A
 * refusal names the field's full path in the Envelope
 * ("publish_referral.referral.related[0].relationship is required"); the
 * per-struct validators below name it from their struct, as the CLI's
 * row-by-row checks want. */
CL_NODISCARD int cl_request_validate(cl_request *q, char err[CL_ERROR_SZ],
                                     cl_publish_result *warn);

/* Prefix a refusal from a validator with the path of what it checked
 * ("correct_referral.referral"); nothing if path is NULL or empty. */
void cl_model_refusal_at(char err[CL_ERROR_SZ], const char *path);

/* Validate a named user: empty (none named) is CL_OK; otherwise id,
 * display name and role are all required, without control characters.
 * CL_ERR_INVALID with the field named in err. */
CL_NODISCARD int cl_user_validate(const cl_user *u, char err[CL_ERROR_SZ]);

/* True if a user is named. */
static inline bool cl_user_named(const cl_user *u)
{
    return u->id[0] || u->name[0] || u->role[0];
}

/* Names for enums as the CLI and reports print them; never NULL. */
const char *cl_category_name(unsigned v);
const char *cl_risk_name(unsigned v);
const char *cl_rel_name(unsigned v);
const char *cl_basis_name(unsigned v);
const char *cl_consent_name(unsigned v);
const char *cl_link_name(unsigned v);
const char *cl_sex_name(unsigned v);
const char *cl_status_name(unsigned v);

/* Parse a name as printed by the functions above (case-insensitive, also
 * accepting the proto spelling's suffix, e.g. "domestic_abuse").
 * Returns -1 if unknown. */
int cl_category_parse(const char *s);
int cl_risk_parse(const char *s);
int cl_rel_parse(const char *s);
int cl_basis_parse(const char *s);
int cl_consent_parse(const char *s);
int cl_sex_parse(const char *s);
const char *cl_agenda_name(unsigned v);
const char *cl_access_name(unsigned v);
int cl_access_parse(const char *s);
/* Break-glass rules: a reason from the list and a justification of at
 * least CL_JUSTIFICATION_MIN characters in at least three words. false
 * with err naming field (e.g. "purpose") and the fix. */
bool cl_break_glass_check(uint8_t reason, const char *justification,
                          const char *field, char err[CL_ERROR_SZ]);
int cl_agenda_parse(const char *s);
const char *cl_plan_type_name(unsigned v);
const char *cl_plan_cat_name(unsigned v);
int cl_plan_type_parse(const char *s);
int cl_plan_cat_parse(const char *s);
const char *cl_refstat_name(unsigned v);
int cl_refstat_parse(const char *s);
const char *cl_outcome_name(unsigned v);
int cl_outcome_parse(const char *s);
const char *cl_involve_name(unsigned v);
int cl_involve_parse(const char *s);
const char *cl_dlv_name(unsigned v);
const char *cl_action_status_name(unsigned v);
int cl_action_status_parse(const char *s);
const char *cl_rag_name(unsigned v);
const char *cl_intake_state_name(unsigned v);
int cl_intake_state_parse(const char *s);
int cl_rag_parse(const char *s);
/* A month in YYYY-MM form between 1880 and 2200. */
bool cl_month_valid(const char *s);

#endif
