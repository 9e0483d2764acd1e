/*
 * registry: which CURVE public keys may connect, and who each one is.
 *
 * One INI file, a section per client:
 *
 *   [oakfield-gp]
 *   key = <the client's public key, Z85>
 *   agency = Oakfield Surgery
 *   kind = gp
 *   roles = publisher
 *   plans = no          (yes: a plan authority, which may publish
 *                        protection plans; it then needs duty_name,
 *                        duty_phone, duty_email and duty_hours, shown
 *                        with every front-line flag of its plans)
 *   require_user = no      (yes: publisher requests must name the user)
 *   users = cjones, amorgan (optional: the only user ids it may act for)
 *
 * A registry is immutable once loaded; reloading builds a new one that the
 * server swaps in (SIGHUP). Holds public keys only.
 */
#ifndef CL_REGISTRY_H
#define CL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "flag.h"
#include "keyfile.h"

typedef struct cl_registry cl_registry;

/* Load path. On error returns CL_ERR_INVALID/CL_ERR_IO with "FILE:LINE:
 * what" in err. */
CL_NODISCARD int cl_registry_load(cl_registry **out, const char *path,
                                  char *err, size_t err_len);

void cl_registry_destroy(cl_registry **r);

/* The caller registered for a Z85 public key, or NULL. Borrowed from r. */
const cl_caller *cl_registry_find(const cl_registry *r, const char *z85);

/* True if the client with this key may act for user_id: it has no users
 * list, or the id is on it. False for an unknown key. */
bool cl_registry_permits(const cl_registry *r, const char *z85,
                         const char *user_id);

size_t cl_registry_count(const cl_registry *r);

/* Fill fc's duty contacts: one per plan authority agency. */
void cl_registry_duty(const cl_registry *r, cl_flag_config *fc);

/* Fill rc's lists of registered agencies, of agencies with a coordinator,
 * with an auditor and with a publisher, and of the publishers' agency
 * kinds (each once, at most CL_ROUTE_AGENCIES); and of the registered
 * clients (the first CL_ROUTE_CLIENTS, all counted). */
void cl_registry_agencies(const cl_registry *r, cl_route_config *rc);

/* Whether some registered system is of agency kind `kind` (any case). */
bool cl_registry_has_kind(const cl_registry *r, const char *kind);

#endif
