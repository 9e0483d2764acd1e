/*
 * registry: the client registry file, sorted by key for binary search.
 */
#include "registry.h"

#include <errno.h>
#include <stddef.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cl_vec.h"
#include "config.h"
#include "kinds.h"

typedef struct s_entry {
    char key[CL_Z85_KEY_SZ];      /* Z85 public key */
    cl_caller who;                /* name, agency, kind, roles */
    char (*users)[CL_USER_ID_SZ]; /* permitted user ids (owned); NULL:
                                     any named user */
    size_t n_users, users_cap;
    cl_duty_contact duty; /* a plan authority's duty contact */
} s_entry;

/* The duty contact's settings: name, where, how long. */
static const struct {
    const char *name;
    size_t off, cap;
} s_duty_keys[] = {
    {"duty_name", offsetof(cl_duty_contact, name), CL_NAME_SZ},
    {"duty_phone", offsetof(cl_duty_contact, phone), CL_PHONE_SZ},
    {"duty_email", offsetof(cl_duty_contact, email), CL_EMAIL_SZ},
    {"duty_hours", offsetof(cl_duty_contact, hours), CL_NAME_SZ},
};
#define S_DUTY_KEYS (sizeof(s_duty_keys) / sizeof(s_duty_keys[0]))

struct cl_registry {
    s_entry *v;
    size_t n, cap;
};

typedef struct s_ctx {
    cl_registry *r;
    char dir[4096]; /* the registry file's folder: key_file is relative */
    char msg[512];
} s_ctx;

static s_entry *s_section(s_ctx *x, const char *section)
{
    cl_registry *r = x->r;
    if (r->n && strcmp(r->v[r->n - 1].who.name, section) == 0)
        return &r->v[r->n - 1];
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].who.name, section) == 0) {
            snprintf(x->msg, sizeof(x->msg), "client [%s] defined twice",
                     section);
            return NULL;
        }
    s_entry *e = CL_VEC_ADD(r->v, r->n, r->cap);
    if (!e) {
        snprintf(x->msg, sizeof(x->msg), "out of memory");
        return NULL;
    }
    if (!cl_copy(e->who.name, sizeof(e->who.name), section)) {
        snprintf(x->msg, sizeof(x->msg), "client name too long");
        return NULL;
    }
    return e;
}

/* "users = cjones, amorgan": the user ids this client may act for. */
static int s_users(s_ctx *x, s_entry *e, const char *v)
{
    char buf[4096];
    if (!cl_copy(buf, sizeof(buf), v)) {
        snprintf(x->msg, sizeof(x->msg), "users list longer than %zu bytes",
                 sizeof(buf) - 1);
        return 0;
    }
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (CL_VEC_GROW(e->users, e->n_users, e->users_cap) != CL_OK) {
            snprintf(x->msg, sizeof(x->msg), "out of memory");
            return 0;
        }
        if (tok[strspn(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                            "VWXYZ0123456789._@-")]) {
            snprintf(x->msg, sizeof(x->msg),
                     "users: '%.40s' is not a user id (letters, digits and "
                     ". _ @ - only; comments go on a line of their own)",
                     tok);
            return 0;
        }
        if (!cl_copy(e->users[e->n_users], CL_USER_ID_SZ, tok)) {
            snprintf(x->msg, sizeof(x->msg), "user id %.40s... longer than %d",
                     tok, CL_USER_ID_SZ - 1);
            return 0;
        }
        e->n_users++;
        e->who.users_listed = true;
    }
    if (!e->n_users) {
        snprintf(x->msg, sizeof(x->msg),
                 "users must list at least one user id (leave it out to "
                 "accept any named user)");
        return 0;
    }
    return 1;
}

static int s_handler(void *user, const char *section, const char *name,
                     const char *v)
{
    s_ctx *x = user;
    if (!section[0]) {
        snprintf(x->msg, sizeof(x->msg), "setting outside a [client] section");
        return 0;
    }
    s_entry *e = s_section(x, section);
    if (!e)
        return 0;
    if (cl_config_inline_hash(name, v, x->msg, sizeof(x->msg)))
        return 0;
    if (strcmp(name, "key") == 0 || strcmp(name, "public-key") == 0) {
        /* public-key is the name the .pub file and ZPL certificates use;
         * a quoted value (pasted from a certificate) is taken as well */
        char z[CL_Z85_KEY_SZ + 2];
        size_t n = strlen(v);
        if (n == CL_Z85_KEY_SZ + 1 && (v[0] == '"' || v[0] == '\'') &&
            v[n - 1] == v[0]) {
            memcpy(z, v + 1, n - 2);
            z[n - 2] = '\0';
            v = z;
        }
        if (!cl_keyfile_z85_valid(v)) {
            snprintf(x->msg, sizeof(x->msg),
                     "%s must be a 40-character Z85 public key", name);
            return 0;
        }
        CL_COPY(e->key, v);
    } else if (strcmp(name, "key_file") == 0) {
        /* the client's public key file: caselink's .pub or a ZPL
         * certificate (zcert's NAME.cert), relative to this registry */
        char path[8192], pub[CL_Z85_KEY_SZ], why[400];
        int n = v[0] == '/' ? snprintf(path, sizeof(path), "%s", v)
                            : snprintf(path, sizeof(path), "%s/%s", x->dir, v);
        if (n < 0 || (size_t)n >= sizeof(path) ||
            cl_keyfile_read(path, pub, NULL, why, sizeof(why)) != CL_OK) {
            snprintf(x->msg, sizeof(x->msg), "key_file: %s",
                     n < 0 || (size_t)n >= sizeof(path) ? "path too long"
                                                        : why);
            return 0;
        }
        CL_COPY(e->key, pub);
    } else if (strcmp(name, "agency") == 0) {
        if (!CL_COPY(e->who.agency, v) || !v[0]) {
            snprintf(x->msg, sizeof(x->msg), "agency must be 1-%d bytes",
                     CL_AGENCY_SZ - 1);
            return 0;
        }
    } else if (strcmp(name, "kind") == 0) {
        if (!CL_COPY(e->who.kind, v) || !v[0]) {
            snprintf(x->msg, sizeof(x->msg), "kind must be 1-%d bytes",
                     CL_KIND_SZ - 1);
            return 0;
        }
        if (!cl_kind_valid(v)) {
            cl_kind_explain(x->msg, sizeof(x->msg), "kind", v);
            return 0;
        }
    } else if (strcmp(name, "users") == 0) {
        return s_users(x, e, v);
    } else if (strcmp(name, "require_user") == 0) {
        if (strcmp(v, "yes") == 0)
            e->who.require_user = true;
        else if (strcmp(v, "no") == 0)
            e->who.require_user = false;
        else {
            snprintf(x->msg, sizeof(x->msg), "require_user must be yes or no");
            return 0;
        }
    } else if (strcmp(name, "roles") == 0) {
        int64_t roles = cl_access_roles_parse(v);
        if (roles <= 0) {
            snprintf(x->msg, sizeof(x->msg),
                     "roles must list publisher, coordinator, operator or "
                     "auditor");
            return 0;
        }
        e->who.roles = (uint32_t)roles;
    } else if (strcmp(name, "plans") == 0) {
        /* a plan routes other agencies' referrals to its publisher: only
         * the agencies the partnership names may publish them */
        if (strcmp(v, "yes") == 0)
            e->who.plans = true;
        else if (strcmp(v, "no") == 0)
            e->who.plans = false;
        else {
            snprintf(x->msg, sizeof(x->msg), "plans must be yes or no");
            return 0;
        }
    } else {
        for (size_t i = 0; i < S_DUTY_KEYS; i++)
            if (strcmp(name, s_duty_keys[i].name) == 0) {
                char *dst = (char *)&e->duty + s_duty_keys[i].off;
                if (!cl_copy(dst, s_duty_keys[i].cap, v) || !v[0]) {
                    snprintf(x->msg, sizeof(x->msg), "%s must be 1-%zu bytes",
                             name, s_duty_keys[i].cap - 1);
                    return 0;
                }
                return 1;
            }
        snprintf(x->msg, sizeof(x->msg), "unknown setting %s", name);
        return 0;
    }
    return 1;
}

/* The line of [name] in path (ini_parse does not say where a section
 * starts), for the errors found after parsing; 0 if not found. */
static int s_section_line(const char *path, const char *name)
{
    FILE *f = fopen(path, "re");
    char buf[1024];
    int line = 0, found = 0;
    size_t n = strlen(name);
    while (f && !found && fgets(buf, sizeof(buf), f)) {
        const char *p = buf;
        line++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (p[0] == '[' && !strncmp(p + 1, name, n) && p[1 + n] == ']')
            found = line;
    }
    if (f)
        fclose(f);
    return found;
}

static int s_cmp(const void *a, const void *b)
{
    return strcmp(((const s_entry *)a)->key, ((const s_entry *)b)->key);
}

int cl_registry_load(cl_registry **out, const char *path, char *err,
                     size_t err_len)
{
    s_ctx x = {0};
    int rc = CL_ERR_INVALID;
    x.r = calloc(1, sizeof(*x.r));
    if (!x.r)
        return CL_ERR_NOMEM;
    const char *slash = strrchr(path, '/');
    if (!slash)
        CL_COPY(x.dir, ".");
    else if (!cl_copy(x.dir, sizeof(x.dir), path) ||
             (size_t)(slash - path) >= sizeof(x.dir))
        CL_COPY(x.dir, ".");
    else
        x.dir[slash == path ? 1 : slash - path] = '\0';
    int line = ini_parse(path, s_handler, &x);
    if (line < 0) {
        snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
        rc = CL_ERR_IO;
        goto out;
    }
    if (line > 0) {
        snprintf(err, err_len, "%s:%d: %s", path, line,
                 x.msg[0] ? x.msg : "syntax error");
        goto out;
    }
    for (size_t i = 0; i < x.r->n; i++) {
        const s_entry *e = &x.r->v[i];
        const char *missing = !e->key[0]          ? "key (or key_file)"
                              : !e->who.agency[0] ? "agency"
                              : !e->who.kind[0]   ? "kind"
                              : !e->who.roles     ? "roles"
                                                  : NULL;
        if (missing) {
            snprintf(err, err_len, "%s:%d: client [%s] has no %s", path,
                     s_section_line(path, e->who.name), e->who.name, missing);
            goto out;
        }
        /* front-line staff shown a flag are told whom to call */
        for (size_t k = 0; e->who.plans && k < S_DUTY_KEYS; k++)
            if (!((const char *)&e->duty + s_duty_keys[k].off)[0]) {
                snprintf(err, err_len,
                         "%s:%d: client [%s] is a plan authority (plans = "
                         "yes) and needs %s: duty_name, duty_phone, "
                         "duty_email and duty_hours are shown with every "
                         "front-line flag",
                         path, s_section_line(path, e->who.name), e->who.name,
                         s_duty_keys[k].name);
                goto out;
            }
    }
    if (x.r->n)
        qsort(x.r->v, x.r->n, sizeof(*x.r->v), s_cmp);
    for (size_t i = 1; i < x.r->n; i++)
        if (strcmp(x.r->v[i - 1].key, x.r->v[i].key) == 0) {
            snprintf(err, err_len, "%s:%d: clients [%s] and [%s] share one key",
                     path, s_section_line(path, x.r->v[i].who.name),
                     x.r->v[i - 1].who.name, x.r->v[i].who.name);
            goto out;
        }
    *out = x.r;
    x.r = NULL;
    rc = CL_OK;
out:
    cl_registry_destroy(&x.r);
    return rc;
}

void cl_registry_destroy(cl_registry **r)
{
    if (!r || !*r)
        return;
    for (size_t i = 0; i < (*r)->n; i++)
        free((*r)->v[i].users);
    free((*r)->v);
    free(*r);
    *r = NULL;
}

const cl_caller *cl_registry_find(const cl_registry *r, const char *z85)
{
    s_entry probe;
    /* bsearch must not be given a NULL array, even with no entries */
    if (!r || !r->n || !cl_copy(probe.key, sizeof(probe.key), z85))
        return NULL;
    const s_entry *e = bsearch(&probe, r->v, r->n, sizeof(*r->v), s_cmp);
    return e ? &e->who : NULL;
}

bool cl_registry_permits(const cl_registry *r, const char *z85,
                         const char *user_id)
{
    s_entry probe;
    if (!r || !r->n || !cl_copy(probe.key, sizeof(probe.key), z85))
        return false;
    const s_entry *e = bsearch(&probe, r->v, r->n, sizeof(*r->v), s_cmp);
    if (!e)
        return false;
    if (!e->users)
        return true;
    for (size_t i = 0; i < e->n_users; i++)
        if (strcmp(e->users[i], user_id) == 0)
            return true;
    return false;
}

size_t cl_registry_count(const cl_registry *r)
{
    return r ? r->n : 0;
}

static void s_add_once(char (*list)[CL_AGENCY_SZ], uint32_t *n,
                       const char *agency)
{
    for (uint32_t i = 0; i < *n; i++)
        if (strcmp(list[i], agency) == 0)
            return;
    if (*n < CL_ROUTE_AGENCIES)
        cl_copy(list[(*n)++], CL_AGENCY_SZ, agency);
}

void cl_registry_duty(const cl_registry *r, cl_flag_config *fc)
{
    fc->n_duty = 0;
    for (size_t i = 0; r && i < r->n; i++) {
        const s_entry *e = &r->v[i];
        bool seen = false;
        if (!e->who.plans)
            continue;
        for (uint32_t j = 0; j < fc->n_duty && !seen; j++)
            seen = strcmp(fc->duty[j].agency, e->who.agency) == 0;
        if (seen || fc->n_duty == CL_ROUTE_AGENCIES)
            continue;
        cl_flag_authority *a = &fc->duty[fc->n_duty++];
        CL_COPY(a->agency, e->who.agency);
        a->duty = e->duty;
    }
}

void cl_registry_agencies(const cl_registry *r, cl_route_config *rc)
{
    rc->n_agencies = rc->n_coord = rc->n_audit = rc->n_answer = 0;
    rc->n_kinds = rc->n_clients = 0;
    for (size_t i = 0; r && i < r->n; i++) {
        const cl_caller *c = &r->v[i].who;
        if (rc->n_clients < CL_ROUTE_CLIENTS)
            CL_COPY(rc->clients[rc->n_clients], c->name);
        rc->n_clients++;
        s_add_once(rc->agencies, &rc->n_agencies, c->agency);
        if (c->roles & CL_ROLE_COORDINATOR)
            s_add_once(rc->coord, &rc->n_coord, c->agency);
        if (c->roles & CL_ROLE_AUDITOR)
            s_add_once(rc->audit, &rc->n_audit, c->agency);
        if (c->roles & CL_ROLE_PUBLISHER) {
            s_add_once(rc->answer, &rc->n_answer, c->agency);
            s_add_once(rc->kinds, &rc->n_kinds, c->kind);
        }
    }
}

bool cl_registry_has_kind(const cl_registry *r, const char *kind)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (!strcasecmp(r->v[i].who.kind, kind))
            return true;
    return false;
}
