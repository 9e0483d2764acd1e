/*
 * words: one row per enum: its machine names come from cl_model, its
 * labels are here, index for index. A value added to an enum without a
 * label reads as its name with spaces for underscores until it gets one.
 */
#include "words.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cl_distance.h"
#include "cl_model.h"

static const char *const s_cat[] = {
    "category not stated", "child protection",  "adult safeguarding",
    "domestic abuse",      "mental health",     "substance misuse",
    "self-neglect",        "housing",           "antisocial behaviour",
    "missing person",      "school attendance", "frailty",
    "other concern"};
static const char *const s_risk[] = {"risk not stated", "low risk",
                                     "medium risk", "high risk",
                                     "immediate risk"};
static const char *const s_rel[] = {
    "relationship not stated", "parent",  "child",  "carer", "cared for",
    "household member",        "partner", "sibling"};
static const char *const s_basis[] = {"lawful basis not stated",
                                      "public task (social care)",
                                      "public task (public interest)",
                                      "safeguarding (Data Protection Act 2018)",
                                      "legal obligation",
                                      "consent",
                                      "vital interests"};
static const char *const s_consent[] = {"consent not recorded", "consent given",
                                        "consent refused",
                                        "consent not sought"};
static const char *const s_link[] = {"first record of this person",
                                     "same NHS number",
                                     "same CHI number",
                                     "same agency id",
                                     "names and details matched",
                                     "confirmed by a coordinator"};
static const char *const s_sex[] = {"sex not recorded", "female", "male",
                                    "other"};
static const char *const s_plan_type[] = {
    "plan type not stated", "child protection plan", "looked-after child",
    "unborn child protection plan"};
static const char *const s_plan_cat[] = {
    "category not stated", "neglect",      "physical abuse",
    "emotional abuse",     "sexual abuse", "multiple categories"};
static const char *const s_agenda[] = {
    "reason not stated", "GP concern",   "police high-level user",
    "child protection",  "case finding", "other reason"};
static const char *const s_refstat[] = {"received", "accepted", "declined",
                                        "closed"};
static const char *const s_outcome[] = {
    "outcome not stated", "services provided", "client refused",
    "unable to contact",  "no further action", "referred on"};
static const char *const s_involve[] = {"involvement not stated",
                                        "no involvement", "past involvement",
                                        "current involvement"};
static const char *const s_dlv[] = {"none",   "alert", "request",    "answer",
                                    "status", "feed",  "governance", "intake",
                                    "action", "flag",  "retraction"};
static const char *const s_intake[] = {"open", "accepted", "declined",
                                       "deferred"};
static const char *const s_action[] = {"open", "done", "cancelled", "blocked"};
static const char *const s_rag[] = {"not rated", "red", "amber", "green"};
static const char *const s_access[] = {
    "reason not stated",     "immediate risk", "safeguarding enquiry",
    "MDT preparation",       "legal duty",     "data quality",
    "subject access request"};

/* Request kinds: their names from the one list (cl_requests.def), their
 * labels by kind, as an auditor reads what was done. */
static const char *const s_req_names[CL_REQ_KIND_COUNT] = {
    [CL_REQ_NONE] = "none",
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = #name,
#include "cl_requests.def"
#undef CL_REQ
};
static const char *const s_req[CL_REQ_KIND_COUNT] = {
    [CL_REQ_NONE] = "none",
    [CL_REQ_PUBLISH_REFERRAL] = "published a referral",
    [CL_REQ_GET_PERSON] = "opened a case",
    [CL_REQ_HEALTH] = "health check",
    [CL_REQ_CORRECT_REFERRAL] = "corrected a referral",
    [CL_REQ_WITHDRAW_REFERRAL] = "withdrew a referral",
    [CL_REQ_AUDIT_VERIFY] = "verified the audit chain",
    [CL_REQ_AUDIT_CHECKPOINT] = "took an audit checkpoint",
    [CL_REQ_AUDIT_SEARCH] = "searched the audit log",
    [CL_REQ_SUBJECT_ACCESS] = "subject access export",
    [CL_REQ_ADMIN_STATS] = "read the statistics",
    [CL_REQ_ADMIN_BACKUP] = "made a backup",
    [CL_REQ_ADMIN_ROTATE_KEY] = "replaced the data key",
    [CL_REQ_ADMIN_KEY_STATUS] = "read the key status",
    [CL_REQ_ADMIN_RETIRE_KEY] = "retired a data key",
    [CL_REQ_PUBLISH_PLAN] = "published a protection plan",
    [CL_REQ_REVIEW_LIST] = "listed the match reviews",
    [CL_REQ_REVIEW_DECIDE] = "decided a match review",
    [CL_REQ_SPLIT_RECORD] = "split a record from a person",
    [CL_REQ_IMPORT_PERSON] = "imported a caseload record",
    [CL_REQ_LINKS_EXPORT] = "exported the links",
    [CL_REQ_FIND_PERSON] = "searched for a person",
    [CL_REQ_CREATE_REVIEW] = "created an MDT review",
    [CL_REQ_ADD_TO_AGENDA] = "put a person on an agenda",
    [CL_REQ_CASE_FINDING] = "case finding",
    [CL_REQ_SET_STATUS] = "moved a referral on",
    [CL_REQ_INBOX_RECEIVE] = "read the mailbox",
    [CL_REQ_INBOX_ACK] = "acknowledged deliveries",
    [CL_REQ_INFO_REQUEST] = "sent an information request",
    [CL_REQ_INFO_RESPOND] = "answered an information request",
    [CL_REQ_REQUEST_LIST] = "listed the information requests",
    [CL_REQ_ADMIN_FEEDS] = "read the feeds' health",
    [CL_REQ_RECORD_DISCUSSION] = "recorded a discussion",
    [CL_REQ_ADD_ACTION] = "added an action",
    [CL_REQ_UPDATE_ACTION] = "updated an action",
    [CL_REQ_LIST_ACTIONS] = "listed the actions",
    [CL_REQ_SET_RAG] = "set a RAG rating",
    [CL_REQ_RAG_HISTORY] = "read a RAG history",
    [CL_REQ_DEFINE_MEASURE] = "defined a measure",
    [CL_REQ_RECORD_MEASURE] = "recorded a measure",
    [CL_REQ_REPORT] = "ran the report",
    [CL_REQ_REVIEW_PACK] = "opened an agenda pack",
    [CL_REQ_INTAKE_LIST] = "opened the intake queue",
    [CL_REQ_INTAKE_DECIDE] = "decided an intake item",
    [CL_REQ_REFERRAL_LIST] = "listed referrals",
    [CL_REQ_MDT_LIST] = "listed the MDT reviews",
    [CL_REQ_LEGAL_HOLD] = "legal hold",
    [CL_REQ_LINK_ADMIN] = "linking weights",
    [CL_REQ_FLAG_CHECK] = "front-line flag check",
    [CL_REQ_FLAG_DISCLOSURES] = "listed the flags shown",
    [CL_REQ_WITHDRAW_PLAN] = "withdrew a protection plan",
    [CL_REQ_ADMIN_PROMOTE] = "promoted a standby",
    [CL_REQ_RECORD_MEETING] = "recorded a meeting",
    [CL_REQ_ADMIN_ROTATE_MASTER] = "replaced the master key",
};

static const char *s_req_name(unsigned v)
{
    return v < CL_REQ_KIND_COUNT && s_req_names[v] ? s_req_names[v] : "none";
}

/* Words the daemon writes that are not enums: governance notices'
 * events (daemon/core plan.c, daemon/item.c), the audit entries it
 * writes of its own (alerts.c, intake.c, mdt_action.c, flag.c,
 * retention.c) and the agency kinds the partnership registers. */
typedef enum { S_EVENT, S_RAISED, S_KIND } s_group;
static const char *const s_group_names[] = {"event", "audit kind",
                                            "agency kind"};
static const struct {
    s_group group;
    const char *name, *label;
} s_named[] = {
    {S_EVENT, "new_plan", "a new protection plan"},
    {S_EVENT, "first_plan_from_agency",
     "the first protection plan from this agency"},
    {S_EVENT, "plan_withdrawn", "a protection plan withdrawn (in error)"},
    {S_EVENT, "plan_moved", "a protection plan now held on another person"},
    {S_EVENT, "break_glass", "break-glass access"},
    {S_RAISED, "safeguarding_alert", "sent a safeguarding alert"},
    {S_RAISED, "intake_raised", "raised an intake item"},
    {S_RAISED, "action_notice", "told an agency of an action"},
    {S_RAISED, "flag_disclosure", "told a plan's authority of a flag shown"},
    {S_RAISED, "purge", "removed under the retention policy"},
    {S_KIND, "gp", "GP practice"},
    {S_KIND, "childrens_services", "children's services"},
    {S_KIND, "adult_services", "adult social care"},
    {S_KIND, "mental_health", "mental health trust"},
    {S_KIND, "acute_trust", "acute trust"},
};

/* The label of name in group; NULL if it is none. */
static const char *s_named_label(s_group group, const char *name)
{
    for (size_t i = 0; i < sizeof(s_named) / sizeof(s_named[0]); i++)
        if (s_named[i].group == group && !strcmp(s_named[i].name, name))
            return s_named[i].label;
    return NULL;
}

static const char *const s_status[] = {
    "ok", "already done", "invalid", "refused", "not found", "busy", "failed"};

#define S_ROW(kind, tab, fn)                                                   \
    [kind] = {#kind, tab, sizeof(tab) / sizeof(tab[0]), fn}

static const struct {
    const char *kind;
    const char *const *labels;
    unsigned n;
    const char *(*name)(unsigned v);
} s_words[CL_W_KINDS] = {
    S_ROW(CL_W_CATEGORY, s_cat, cl_category_name),
    S_ROW(CL_W_RISK, s_risk, cl_risk_name),
    S_ROW(CL_W_REL, s_rel, cl_rel_name),
    S_ROW(CL_W_BASIS, s_basis, cl_basis_name),
    S_ROW(CL_W_CONSENT, s_consent, cl_consent_name),
    S_ROW(CL_W_LINK, s_link, cl_link_name),
    S_ROW(CL_W_SEX, s_sex, cl_sex_name),
    S_ROW(CL_W_PLAN_TYPE, s_plan_type, cl_plan_type_name),
    S_ROW(CL_W_PLAN_CAT, s_plan_cat, cl_plan_cat_name),
    S_ROW(CL_W_AGENDA, s_agenda, cl_agenda_name),
    S_ROW(CL_W_REFSTAT, s_refstat, cl_refstat_name),
    S_ROW(CL_W_OUTCOME, s_outcome, cl_outcome_name),
    S_ROW(CL_W_INVOLVE, s_involve, cl_involve_name),
    S_ROW(CL_W_DELIVERY, s_dlv, cl_dlv_name),
    S_ROW(CL_W_ACTION, s_action, cl_action_status_name),
    S_ROW(CL_W_RAG, s_rag, cl_rag_name),
    S_ROW(CL_W_STATUS, s_status, cl_status_name),
    S_ROW(CL_W_INTAKE, s_intake, cl_intake_state_name),
    S_ROW(CL_W_ACCESS, s_access, cl_access_name),
    S_ROW(CL_W_REQUEST, s_req, s_req_name),
};

const char *cl_words(cl_words_kind k, unsigned v)
{
    if ((unsigned)k >= CL_W_KINDS)
        return "?";
    if (v < s_words[k].n && s_words[k].labels[v])
        return s_words[k].labels[v];
    return s_words[k].name(v);
}

const char *cl_words_request(const char *name)
{
    for (unsigned v = 0; v < CL_REQ_KIND_COUNT; v++)
        if (s_req_names[v] && !strcmp(s_req_names[v], name))
            return cl_words(CL_W_REQUEST, v);
    const char *l = s_named_label(S_RAISED, name);
    return l ? l : name;
}

const char *cl_words_event(const char *event)
{
    const char *l = s_named_label(S_EVENT, event);
    return l ? l : event;
}

const char *cl_words_agency_kind(const char *kind)
{
    const char *l = s_named_label(S_KIND, kind);
    return l ? l : kind;
}

/* The label of a machine name len bytes long, from any table; NULL if
 * it is none. */
static const char *s_label_of(const char *w, size_t len)
{
    char name[64];
    if (len >= sizeof(name))
        return NULL;
    memcpy(name, w, len);
    name[len] = '\0';
    const char *l;
    for (unsigned k = 0; k < CL_W_KINDS; k++)
        for (unsigned v = 0; v < s_words[k].n; v++)
            if (s_words[k].labels[v] && !strcmp(s_words[k].name(v), name))
                return s_words[k].labels[v];
    for (unsigned g = S_EVENT; g <= S_KIND; g++)
        if ((l = s_named_label((s_group)g, name)) != NULL)
            return l;
    return NULL;
}

static bool s_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

static bool s_word_char(char c)
{
    return s_name_char(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void cl_words_say(char *out, size_t cap, const char *text)
{
    size_t o = 0;
    if (!cap)
        return;
    for (const char *p = text; *p && o + 1 < cap;) {
        size_t len = 0;
        bool under = false;
        if (p == text || !s_word_char(p[-1]))
            while (s_name_char(p[len]))
                under |= p[len++] == '_';
        const char *label =
            under && !s_word_char(p[len]) ? s_label_of(p, len) : NULL;
        if (label) {
            for (const char *l = label; *l && o + 1 < cap; l++)
                out[o++] = *l;
            p += len;
            continue;
        }
        size_t n = len ? len : 1; /* the word as it is, or one byte */
        for (size_t i = 0; i < n && o + 1 < cap; i++)
            out[o++] = p[i];
        p += n;
    }
    out[o] = '\0';
}

void cl_words_table(FILE *f)
{
    fputs("| enum | value | label |\n|---|---|---|\n", f);
    for (unsigned k = 0; k < CL_W_KINDS; k++) {
        char kind[32];
        const char *src = s_words[k].kind + 5; /* after CL_W_ */
        size_t i = 0;
        for (; src[i] && i + 1 < sizeof(kind); i++)
            kind[i] = src[i] == '_' ? ' '
                      : src[i] >= 'A' && src[i] <= 'Z'
                          ? (char)(src[i] - 'A' + 'a')
                          : src[i];
        kind[i] = '\0';
        for (unsigned v = 0; v < s_words[k].n; v++)
            if (s_words[k].labels[v])
                fprintf(f, "| %s | `%s` | %s |\n", kind, s_words[k].name(v),
                        s_words[k].labels[v]);
    }
    for (size_t i = 0; i < sizeof(s_named) / sizeof(s_named[0]); i++)
        fprintf(f, "| %s | `%s` | %s |\n", s_group_names[s_named[i].group],
                s_named[i].name, s_named[i].label);
}

void cl_words_unknown(char *out, size_t cap, cl_words_kind k, unsigned first,
                      const char *typed)
{
    if (!cap)
        return;
    out[0] = '\0';
    if ((unsigned)k >= CL_W_KINDS)
        return;
    const char *best = NULL;
    size_t best_d = 4, tl = strlen(typed);
    for (unsigned v = first; v < s_words[k].n; v++) {
        const char *n = s_words[k].name(v);
        size_t d = cl_distance(typed, tl, n, strlen(n), false);
        if (d < best_d) {
            best = n;
            best_d = d;
        }
    }
    size_t o = (size_t)snprintf(out, cap, "unknown value '%.60s'", typed);
    if (best && o < cap)
        o += (size_t)snprintf(out + o, cap - o, "; did you mean %s?", best);
    for (unsigned v = first; v < s_words[k].n && o < cap; v++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s",
                              v == first ? " (one of " : ", ",
                              s_words[k].name(v));
    if (o < cap)
        snprintf(out + o, cap - o, ")");
}
