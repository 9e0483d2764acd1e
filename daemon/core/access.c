/*
 * access: which role may send which request, which requests touch
 * personal data (each audited) and which are heavy (a few per client per
 * batch), all from proto/cl_requests.def; and the role names of the
 * registry.
 */
#include "access.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* --- access table ----------------------------------------------------------
 *
 * The one place that says which role may send which request, which
 * requests read or write personal data (every one is audited), and which
 * cost more as the store grows (scans, reports, exports: a client may
 * have only a few of these in one batch, so that it cannot starve other
 * agencies' requests): the roles, personal and heavy columns of
 * proto/cl_requests.def, derived here and written nowhere else. A request
 * is allowed if any of the caller's roles allows it. What each allowed
 * request may then see is decided by the operation itself (a publisher's
 * view is its own agency's; an operator's is counts only).
 */
typedef struct s_rule {
    uint32_t roles; /* CL_ROLE_* bits that may send it */
    bool personal;  /* reads or writes personal data */
    bool heavy;     /* cost grows with the store */
} s_rule;

static const s_rule s_rules[CL_REQ_KIND_COUNT] = {
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = {(roles), personal, heavy},
#include "cl_requests.def"
#undef CL_REQ
};

bool cl_access_heavy(cl_req_kind kind)
{
    return (unsigned)kind < CL_REQ_KIND_COUNT && s_rules[kind].heavy;
}

bool cl_access_personal(cl_req_kind kind)
{
    return (unsigned)kind < CL_REQ_KIND_COUNT && s_rules[kind].personal;
}

bool cl_access_allowed(uint32_t roles, cl_req_kind kind)
{
    if ((unsigned)kind >= CL_REQ_KIND_COUNT)
        return false;
    return (roles & s_rules[kind].roles) != 0;
}

bool cl_access_user_required(const cl_caller *c, cl_req_kind kind)
{
    if ((unsigned)kind >= CL_REQ_KIND_COUNT || kind == CL_REQ_HEALTH)
        return false;
    uint32_t via = c->roles & s_rules[kind].roles;
    if (via & CL_ROLE_PUBLISHER)
        return c->require_user;
    if (via & CL_ROLE_OPERATOR)
        return false;
    return (via & (CL_ROLE_COORDINATOR | CL_ROLE_AUDITOR)) != 0;
}

int64_t cl_access_roles_parse(const char *s)
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
