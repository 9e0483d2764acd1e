/*
 * access: who is asking (the roles and the caller the registry gives,
 * via the CURVE key the ZAP handler admitted) and what each role may send:
 * which requests touch personal data (each audited) and which are heavy,
 * all from proto/cl_requests.def.
 */
#ifndef CL_ACCESS_H
#define CL_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
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
    bool users_listed;         /* registry: a users list bounds the user
                                  ids it may act for */
    bool require_user;         /* registry: its publisher requests too
                                  must name the acting user */
    cl_user user;              /* the named user this request acts for
                                  (validated and permitted), or empty */
} cl_caller;

/* Parse "publisher,coordinator" into role bits; -1 if a name is unknown. */
int64_t cl_access_roles_parse(const char *s);

/* True if a caller with these roles may send this kind of request. */
bool cl_access_allowed(uint32_t roles, cl_req_kind kind);

/* True if this caller's request of this kind must name the user it acts
 * for ("Systems and users"): whenever only the coordinator or auditor role
 * allows it, and a publisher's too when the registry says require_user.
 * health never needs one. */
bool cl_access_user_required(const cl_caller *c, cl_req_kind kind);

/* True if requests of this kind cost in proportion to the store (scans,
 * reports, exports): limited per client per batch. */
bool cl_access_heavy(cl_req_kind kind);

/* True if requests of this kind read or write personal data (and so are
 * audited whatever their outcome). */
bool cl_access_personal(cl_req_kind kind);

#endif
