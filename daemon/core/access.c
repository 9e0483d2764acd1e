/*
 * access: which role may send which request, which requests touch
 * personal data (each audited) and which are heavy (a few per client per
 * batch), and the role names of the registry.
 */
#include "core.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* --- access table ----------------------------------------------------------
 *
 * The one place that says which role may send which request. A request is
 * allowed if any of the caller's roles allows it. What each allowed request
 * may then see is decided by the operation itself (a publisher's view is
 * its own agency's; an operator's is counts only).
 */
static const uint32_t s_access[CL_REQ_KIND_COUNT] = {
    [CL_REQ_NONE] = 0,
    [CL_REQ_PUBLISH_REFERRAL] = CL_ROLE_PUBLISHER,
    [CL_REQ_GET_PERSON] = CL_ROLE_COORDINATOR,
    [CL_REQ_HEALTH] = CL_ROLE_PUBLISHER | CL_ROLE_COORDINATOR |
                      CL_ROLE_OPERATOR | CL_ROLE_AUDITOR,
    [CL_REQ_CORRECT_REFERRAL] = CL_ROLE_PUBLISHER,
    [CL_REQ_WITHDRAW_REFERRAL] = CL_ROLE_PUBLISHER,
    [CL_REQ_AUDIT_VERIFY] = CL_ROLE_AUDITOR,
    [CL_REQ_AUDIT_CHECKPOINT] = CL_ROLE_AUDITOR,
    [CL_REQ_AUDIT_SEARCH] = CL_ROLE_AUDITOR,
    [CL_REQ_SUBJECT_ACCESS] = CL_ROLE_AUDITOR,
    [CL_REQ_ADMIN_STATS] = CL_ROLE_OPERATOR,
    [CL_REQ_ADMIN_BACKUP] = CL_ROLE_OPERATOR,
    [CL_REQ_ADMIN_ROTATE_KEY] = CL_ROLE_OPERATOR,
    [CL_REQ_ADMIN_KEY_STATUS] = CL_ROLE_OPERATOR,
    [CL_REQ_ADMIN_RETIRE_KEY] = CL_ROLE_OPERATOR,
    [CL_REQ_PUBLISH_PLAN] = CL_ROLE_PUBLISHER,
    [CL_REQ_REVIEW_LIST] = CL_ROLE_COORDINATOR,
    [CL_REQ_REVIEW_DECIDE] = CL_ROLE_COORDINATOR,
    [CL_REQ_SPLIT_RECORD] = CL_ROLE_COORDINATOR,
    [CL_REQ_IMPORT_PERSON] = CL_ROLE_PUBLISHER,
    [CL_REQ_LINKS_EXPORT] = CL_ROLE_COORDINATOR,
    [CL_REQ_FIND_PERSON] = CL_ROLE_COORDINATOR,
    [CL_REQ_CREATE_REVIEW] = CL_ROLE_COORDINATOR,
    [CL_REQ_ADD_TO_AGENDA] = CL_ROLE_COORDINATOR,
    [CL_REQ_CASE_FINDING] = CL_ROLE_COORDINATOR,
    [CL_REQ_SET_STATUS] = CL_ROLE_COORDINATOR,
    [CL_REQ_INBOX_RECEIVE] =
        CL_ROLE_PUBLISHER | CL_ROLE_COORDINATOR | CL_ROLE_AUDITOR,
    [CL_REQ_INBOX_ACK] =
        CL_ROLE_PUBLISHER | CL_ROLE_COORDINATOR | CL_ROLE_AUDITOR,
    [CL_REQ_INFO_REQUEST] = CL_ROLE_COORDINATOR,
    [CL_REQ_INFO_RESPOND] = CL_ROLE_PUBLISHER,
    [CL_REQ_REQUEST_LIST] = CL_ROLE_COORDINATOR,
    [CL_REQ_ADMIN_FEEDS] = CL_ROLE_OPERATOR | CL_ROLE_COORDINATOR,
    [CL_REQ_ADMIN_PROMOTE] = CL_ROLE_OPERATOR,
    [CL_REQ_RECORD_DISCUSSION] = CL_ROLE_COORDINATOR,
    [CL_REQ_ADD_ACTION] = CL_ROLE_COORDINATOR,
    [CL_REQ_UPDATE_ACTION] = CL_ROLE_COORDINATOR | CL_ROLE_PUBLISHER,
    [CL_REQ_LIST_ACTIONS] = CL_ROLE_COORDINATOR | CL_ROLE_PUBLISHER,
    [CL_REQ_SET_RAG] = CL_ROLE_COORDINATOR,
    [CL_REQ_RAG_HISTORY] = CL_ROLE_COORDINATOR,
    [CL_REQ_DEFINE_MEASURE] = CL_ROLE_COORDINATOR,
    [CL_REQ_RECORD_MEASURE] = CL_ROLE_COORDINATOR,
    [CL_REQ_REPORT] = CL_ROLE_COORDINATOR,
    [CL_REQ_REVIEW_PACK] = CL_ROLE_COORDINATOR,
    [CL_REQ_INTAKE_LIST] = CL_ROLE_COORDINATOR,
    [CL_REQ_INTAKE_DECIDE] = CL_ROLE_COORDINATOR,
    [CL_REQ_REFERRAL_LIST] = CL_ROLE_COORDINATOR,
    [CL_REQ_MDT_LIST] = CL_ROLE_COORDINATOR,
    [CL_REQ_LEGAL_HOLD] = CL_ROLE_COORDINATOR,
    [CL_REQ_LINK_ADMIN] = CL_ROLE_COORDINATOR | CL_ROLE_OPERATOR,
    [CL_REQ_FLAG_CHECK] = CL_ROLE_PUBLISHER,
    [CL_REQ_FLAG_DISCLOSURES] = CL_ROLE_AUDITOR,
    [CL_REQ_WITHDRAW_PLAN] = CL_ROLE_PUBLISHER,
    [CL_REQ_RECORD_MEETING] = CL_ROLE_COORDINATOR,
};

/* Requests that read or write personal data: every one is audited. */
static const bool s_personal[CL_REQ_KIND_COUNT] = {
    [CL_REQ_PUBLISH_REFERRAL] = true, [CL_REQ_GET_PERSON] = true,
    [CL_REQ_CORRECT_REFERRAL] = true, [CL_REQ_WITHDRAW_REFERRAL] = true,
    [CL_REQ_AUDIT_SEARCH] = true,     [CL_REQ_SUBJECT_ACCESS] = true,
    [CL_REQ_PUBLISH_PLAN] = true,     [CL_REQ_REVIEW_LIST] = true,
    [CL_REQ_REVIEW_DECIDE] = true,    [CL_REQ_SPLIT_RECORD] = true,
    [CL_REQ_IMPORT_PERSON] = true,    [CL_REQ_LINKS_EXPORT] = true,
    [CL_REQ_FIND_PERSON] = true,      [CL_REQ_ADD_TO_AGENDA] = true,
    [CL_REQ_CASE_FINDING] = true,     [CL_REQ_SET_STATUS] = true,
    [CL_REQ_INFO_REQUEST] = true,     [CL_REQ_INFO_RESPOND] = true,
    [CL_REQ_REQUEST_LIST] = true,     [CL_REQ_RECORD_DISCUSSION] = true,
    [CL_REQ_ADD_ACTION] = true,       [CL_REQ_UPDATE_ACTION] = true,
    [CL_REQ_LIST_ACTIONS] = true,     [CL_REQ_SET_RAG] = true,
    [CL_REQ_RAG_HISTORY] = true,      [CL_REQ_RECORD_MEASURE] = true,
    [CL_REQ_REVIEW_PACK] = true,      [CL_REQ_INTAKE_LIST] = true,
    [CL_REQ_INTAKE_DECIDE] = true,    [CL_REQ_REFERRAL_LIST] = true,
    [CL_REQ_LEGAL_HOLD] = true,       [CL_REQ_FLAG_CHECK] = true,
    [CL_REQ_FLAG_DISCLOSURES] = true, [CL_REQ_WITHDRAW_PLAN] = true,
};

/* Requests whose cost grows with the store (scans, reports, exports): a
 * client may have only a few of these in one batch, so that it cannot
 * starve other agencies' requests. */
static const bool s_heavy[CL_REQ_KIND_COUNT] = {
    [CL_REQ_CASE_FINDING] = true,   [CL_REQ_LINKS_EXPORT] = true,
    [CL_REQ_REPORT] = true,         [CL_REQ_REVIEW_PACK] = true,
    [CL_REQ_AUDIT_VERIFY] = true,   [CL_REQ_AUDIT_SEARCH] = true,
    [CL_REQ_SUBJECT_ACCESS] = true, [CL_REQ_FIND_PERSON] = true,
    [CL_REQ_REVIEW_LIST] = true,    [CL_REQ_REQUEST_LIST] = true,
    [CL_REQ_LIST_ACTIONS] = true,   [CL_REQ_ADMIN_FEEDS] = true,
    [CL_REQ_ADMIN_STATS] = true,    [CL_REQ_ADMIN_KEY_STATUS] = true,
};

bool cl_core_heavy(cl_req_kind kind)
{
    return (unsigned)kind < CL_REQ_KIND_COUNT && s_heavy[kind];
}

bool cl_core_personal(cl_req_kind kind)
{
    return (unsigned)kind < CL_REQ_KIND_COUNT && s_personal[kind];
}

bool cl_core_allowed(uint32_t roles, cl_req_kind kind)
{
    if ((unsigned)kind >= CL_REQ_KIND_COUNT)
        return false;
    return (roles & s_access[kind]) != 0;
}

bool cl_core_user_required(const cl_caller *c, cl_req_kind kind)
{
    if ((unsigned)kind >= CL_REQ_KIND_COUNT || kind == CL_REQ_HEALTH)
        return false;
    uint32_t via = c->roles & s_access[kind];
    if (via & CL_ROLE_PUBLISHER)
        return c->require_user;
    if (via & CL_ROLE_OPERATOR)
        return false;
    return (via & (CL_ROLE_COORDINATOR | CL_ROLE_AUDITOR)) != 0;
}

int64_t cl_core_roles_parse(const char *s)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"publisher", CL_ROLE_PUBLISHER},
                 {"coordinator", CL_ROLE_COORDINATOR},
                 {"operator", CL_ROLE_OPERATOR},
                 {"auditor", CL_ROLE_AUDITOR}};
    int64_t roles = 0;
    char buf[256];
    if (!cl_copy(buf, sizeof(buf), s))
        return -1;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        size_t i;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcasecmp(tok, names[i].name) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0]))
            return -1;
        roles |= names[i].bit;
    }
    return roles;
}
