/*
 * mdt_action: the MDT's actions (see mdt_action.h).
 *
 * Stored records (plaintext before sealing, see store/codec.h):
 *   action      action id           -> v1, MDT id, person id, text, owner
 *                                      name, owner agency, due, status,
 *                                      created, updated, note
 */
#include "mdt_action.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "ids.h"
#include "mailbox.h"
#include "mdt.h"
#include "mdt_review.h"
#include "records.h"

#define S_VERSION 1
/* Actions: version 2 keeps the last changes (who, when, what). */
#define S_ACT_VERSION 2

/* --- actions -------------------------------------------------------------- */

static int s_action_put(cl_txn *t, uint64_t id, uint64_t mdt, uint64_t pid,
                        const cl_action *a)
{
    uint8_t k[8];
    uint8_t *buf = malloc(CL_MDT_ACT_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, CL_MDT_ACT_BUF);
    cl_enc_u8(&e, S_ACT_VERSION);
    cl_enc_u64(&e, mdt);
    cl_enc_u64(&e, pid);
    cl_enc_str(&e, a->text);
    cl_enc_str(&e, a->owner_name);
    cl_enc_str(&e, a->owner_agency);
    cl_enc_str(&e, a->due);
    cl_enc_u8(&e, a->status);
    cl_enc_i64(&e, a->created_at);
    cl_enc_i64(&e, a->updated_at);
    cl_enc_str(&e, a->note);
    uint32_t nc =
        a->n_changes < CL_ACTION_UPDATES ? a->n_changes : CL_ACTION_UPDATES;
    cl_enc_u8(&e, (uint8_t)nc);
    for (uint32_t i = 0; i < nc; i++) {
        cl_enc_i64(&e, a->changes[i].at);
        cl_enc_str(&e, a->changes[i].agency);
        cl_enc_str(&e, a->changes[i].user);
        cl_enc_u8(&e, a->changes[i].status);
        cl_enc_str(&e, a->changes[i].note);
    }
    cl_be64_put(k, id);
    int rc = cl_enc_ok(&e) ? cl_store_put(t, CL_DB_ACTION, k, 8, buf, e.len)
                           : CL_ERR_INTERNAL;
    sodium_memzero(buf, e.len);
    free(buf);
    return rc;
}

int cl_mdt_action_dec(const uint8_t *buf, size_t len, uint64_t id, cl_action *a,
                      uint64_t *mdt, uint64_t *pid)
{
    memset(a, 0, sizeof(*a));
    cl_dec d = cl_dec_init(buf, len);
    uint8_t version = cl_dec_u8(&d);
    if (version != S_VERSION && version != S_ACT_VERSION)
        d.bad = true;
    *mdt = cl_dec_u64(&d);
    *pid = cl_dec_u64(&d);
    CL_DEC_STR(&d, a->text);
    CL_DEC_STR(&d, a->owner_name);
    CL_DEC_STR(&d, a->owner_agency);
    CL_DEC_STR(&d, a->due);
    a->status = cl_dec_u8(&d);
    a->created_at = cl_dec_i64(&d);
    a->updated_at = cl_dec_i64(&d);
    CL_DEC_STR(&d, a->note);
    if (version == S_ACT_VERSION) {
        uint8_t nc = cl_dec_u8(&d);
        if (nc > CL_ACTION_UPDATES)
            d.bad = true;
        for (uint8_t i = 0; i < nc && i < CL_ACTION_UPDATES; i++) {
            cl_action_change *c = &a->changes[a->n_changes++];
            c->at = cl_dec_i64(&d);
            CL_DEC_STR(&d, c->agency);
            CL_DEC_STR(&d, c->user);
            c->status = cl_dec_u8(&d);
            CL_DEC_STR(&d, c->note);
        }
    }
    (void)cl_id_format(a->action_id, sizeof(a->action_id), CL_ID_ACTION, id);
    (void)cl_id_format(a->review_id, sizeof(a->review_id), CL_ID_REVIEW, *mdt);
    cl_audit_pid_str(a->person_id, *pid);
    return cl_dec_ok(&d) && a->status <= CL_ACTION_STATUS_MAX ? CL_OK
                                                              : CL_ERR_CORRUPT;
}

static int s_action_get(cl_txn *t, uint64_t id, cl_action *a, uint64_t *mdt,
                        uint64_t *pid)
{
    uint8_t k[8];
    size_t len = 0;
    uint8_t *buf = malloc(CL_MDT_ACT_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_be64_put(k, id);
    int rc = cl_store_get(t, CL_DB_ACTION, k, 8, buf, CL_MDT_ACT_BUF, &len);
    if (rc == CL_OK)
        rc = cl_mdt_action_dec(buf, len, id, a, mdt, pid);
    sodium_memzero(buf, len);
    free(buf);
    return rc;
}

int cl_mdt_action_read(cl_txn *t, const uint8_t *key, size_t len, uint8_t *buf,
                       cl_action *a, uint64_t *mdt, uint64_t *pid)
{
    size_t vlen = 0;
    memset(a, 0, sizeof(*a));
    if (len != 8)
        return CL_ERR_CORRUPT;
    int rc = cl_store_get(t, CL_DB_ACTION, key, 8, buf, CL_MDT_ACT_BUF, &vlen);
    if (rc == CL_OK)
        rc = cl_mdt_action_dec(buf, vlen, cl_be64_get(key), a, mdt, pid);
    sodium_memzero(buf, vlen);
    return rc;
}

/* Tell agency about an action (assigned to it, or changed): the person as
 * that agency has them, and an audit entry for the disclosure. */
static int s_action_notice(cl_txn *t, const cl_route_config *rcfg,
                           const char *agency, const char *event,
                           const cl_action *a, uint64_t pid,
                           const cl_caller *by, int64_t now)
{
    char err[CL_ERROR_SZ];
    cl_person p;
    bool own;
    cl_delivery *d = calloc(1, sizeof(*d));
    if (!d)
        return CL_ERR_NOMEM;
    d->kind = CL_DLV_ACTION;
    cl_action_msg *m = &d->u.action;
    CL_COPY(m->event, event);
    CL_COPY(m->action_id, a->action_id);
    CL_COPY(m->review_id, a->review_id);
    CL_COPY(m->person_id, a->person_id);
    CL_COPY(m->text, a->text);
    CL_COPY(m->owner_name, a->owner_name);
    CL_COPY(m->owner_agency, a->owner_agency);
    CL_COPY(m->due, a->due);
    m->status = a->status;
    CL_COPY(m->note, a->note);
    CL_COPY(m->by_agency, by->agency);
    CL_COPY(m->by_user, by->user.name);
    int rc = cl_records_person_as(t, pid, agency, &p, &own);
    if (rc == CL_OK) {
        CL_COPY(m->given, p.given);
        CL_COPY(m->family, p.family);
        CL_COPY(m->dob, p.dob);
        rc = cl_mailbox_put(t, rcfg, agency, d, false, now, err);
    }
    if (rc == CL_OK) {
        cl_caller sys;
        cl_audit_note note;
        memset(&sys, 0, sizeof(sys));
        memset(&note, 0, sizeof(note));
        CL_COPY(sys.name, "caselinkd");
        CL_COPY(sys.agency, agency);
        cl_records_note_person(&note, pid);
        snprintf(note.purpose, sizeof(note.purpose),
                 "action %s to %.64s (delivery %" PRIu64 ")", event, agency,
                 d->seq);
        CL_COPY(note.detail, a->action_id);
        rc =
            cl_audit_append(t, &sys, "action_notice", &note, CL_STATUS_OK, now);
    }
    sodium_memzero(&p, sizeof(p));
    sodium_memzero(d, sizeof(*d));
    free(d);
    return rc;
}

/* Keep one change, dropping the oldest when full. */
static void s_change(cl_action *a, const cl_caller *by, int64_t now)
{
    if (a->n_changes == CL_ACTION_UPDATES) {
        memmove(&a->changes[0], &a->changes[1],
                (CL_ACTION_UPDATES - 1) * sizeof(a->changes[0]));
        a->n_changes--;
    }
    cl_action_change *c = &a->changes[a->n_changes++];
    memset(c, 0, sizeof(*c));
    c->at = now;
    CL_COPY(c->agency, by->agency);
    CL_COPY(c->user, by->user.name);
    c->status = a->status;
    CL_COPY(c->note, a->note);
}

int cl_mdt_action_add(cl_op *op, const cl_route_config *rcfg,
                      const cl_action *a, cl_publish_result *out)
{
    uint64_t mdt, pid, id;
    bool known = false;
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    if (!a->text[0] || !a->owner_name[0] || !cl_date_valid(a->due)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "an action needs text, an owner (a named person) and a due "
                 "date (YYYY-MM-DD)");
        return CL_ERR_INVALID;
    }
    for (uint32_t i = 0; i < rcfg->n_agencies && !known; i++)
        known = !strcmp(rcfg->agencies[i], a->owner_agency);
    if (!known) {
        snprintf(op->err, CL_ERROR_SZ,
                 "owner_agency must be a registered agency (not '%.64s')",
                 a->owner_agency);
        return CL_ERR_INVALID;
    }
    int rc = cl_mdt_on_agenda(op->t, a->review_id, a->person_id, &mdt, &pid,
                              op->err);
    if (rc != CL_OK)
        return rc;
    if ((rc = cl_store_next_id(op->t, "action", &id)) != CL_OK)
        return rc;
    cl_action *x = malloc(sizeof(*x));
    if (!x)
        return CL_ERR_NOMEM;
    *x = *a;
    x->status = CL_ACTION_OPEN;
    x->created_at = x->updated_at = op->now;
    x->note[0] = '\0';
    x->n_changes = 0;
    s_change(x, op->who, op->now);
    (void)cl_id_format(x->action_id, sizeof(x->action_id), CL_ID_ACTION, id);
    (void)cl_id_format(x->review_id, sizeof(x->review_id), CL_ID_REVIEW, mdt);
    cl_audit_pid_str(x->person_id, pid);
    rc = s_action_put(op->t, id, mdt, pid, x);
    /* the owning agency hears of it in its mailbox */
    if (rc == CL_OK)
        rc = s_action_notice(op->t, rcfg, x->owner_agency, "assigned", x, pid,
                             op->who, op->now);
    sodium_memzero(x, sizeof(*x));
    free(x);
    (void)cl_id_format(out->reference, sizeof(out->reference), CL_ID_ACTION,
                       id);
    cl_records_note_person(&op->note, pid);
    CL_COPY(op->note.detail, out->reference);
    return rc;
}

static bool s_action_parse(const char *s, uint64_t *id)
{
    return cl_id_parse(id, CL_ID_ACTION, s) == CL_OK;
}

int cl_mdt_action_update(cl_op *op, const cl_route_config *rcfg,
                         const cl_action_update *u, cl_publish_result *out)
{
    uint64_t id, mdt, pid;
    bool coordinator = (op->who->roles & CL_ROLE_COORDINATOR) != 0;
    if (!coordinator && !(op->who->roles & CL_ROLE_PUBLISHER)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "updating an action needs the coordinator role, or the "
                 "publisher role of the agency that owns it");
        return CL_ERR_DENIED;
    }
    if (!s_action_parse(u->action_id, &id)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "action_id: must look like ACT-00000042");
        return CL_ERR_INVALID;
    }
    cl_action *a = malloc(sizeof(*a));
    if (!a)
        return CL_ERR_NOMEM;
    int rc = s_action_get(op->t, id, a, &mdt, &pid);
    /* an agency updates its own actions only, and another agency's is
     * answered as one that does not exist: the answer must not tell a
     * publisher which action ids the MDT has used */
    if (rc == CL_OK && !coordinator &&
        strcmp(a->owner_agency, op->who->agency) != 0)
        rc = CL_ERR_NOT_FOUND;
    if (rc == CL_ERR_NOT_FOUND)
        snprintf(op->err, CL_ERROR_SZ,
                 coordinator ? "no action %.32s"
                             : "no action %.32s among your agency's actions "
                               "(an agency updates only the actions it owns)",
                 u->action_id);
    if (rc == CL_OK && !coordinator && u->status != CL_ACTION_DONE &&
        u->status != CL_ACTION_BLOCKED && u->status != CL_ACTION_OPEN) {
        snprintf(op->err, CL_ERROR_SZ,
                 "the owning agency marks an action done, blocked or open; "
                 "cancelling is the coordinator's");
        rc = CL_ERR_DENIED;
    }
    if (rc == CL_OK && u->status == CL_ACTION_BLOCKED && !u->note[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "a blocked action needs a note saying why");
        rc = CL_ERR_INVALID;
    }
    if (rc == CL_OK) {
        a->status = u->status;
        CL_COPY(a->note, u->note);
        a->updated_at = op->now;
        s_change(a, op->who, op->now);
        rc = s_action_put(op->t, id, mdt, pid, a);
        /* the coordinators hear of what the owner did */
        for (uint32_t i = 0; rc == CL_OK && !coordinator && i < rcfg->n_coord;
             i++)
            rc = s_action_notice(op->t, rcfg, rcfg->coord[i], "updated", a, pid,
                                 op->who, op->now);
        cl_records_note_person(&op->note, pid);
        CL_COPY(out->reference, a->action_id);
        CL_COPY(op->note.detail, a->action_id);
        snprintf(op->note.purpose, sizeof(op->note.purpose), "action %s",
                 cl_action_status_name(u->status));
    }
    sodium_memzero(a, sizeof(*a));
    free(a);
    return rc;
}

static int s_act_one(void *ctx, const uint8_t *key, size_t len)
{
    cl_mdt_acts *c = ctx;
    uint64_t mdt, pid;
    cl_action a;
    int rc = cl_mdt_action_read(c->t, key, len, c->buf, &a, &mdt, &pid);
    if (rc != CL_OK)
        return rc;
    bool open = a.status == CL_ACTION_OPEN || a.status == CL_ACTION_BLOCKED;
    a.overdue = open && strcmp(a.due, c->today) < 0;
    c->counts[open ? CL_ACTION_OPEN : a.status]++;
    c->overdue += a.overdue;
    if (!c->out || (c->mdt && mdt != c->mdt) || (c->pid && pid != c->pid) ||
        (c->q->overdue_only && !a.overdue) || (c->q->open_only && !open) ||
        (c->owner && strcmp(a.owner_agency, c->owner) != 0))
        return CL_OK;
    if (CL_VEC_PUSH(c->out->v, c->out->n, c->cap, a) != CL_OK)
        return CL_ERR_NOMEM;
    cl_records_note_person(c->note, pid);
    return CL_OK;
}

/* Walk every action, collecting those q selects into out (if not NULL)
 * and counting all by status into c. */
int cl_mdt_actions_walk(cl_txn *t, const cl_action_query *q, uint64_t mdt,
                        uint64_t pid, int64_t now, const char *owner,
                        cl_actions *out, cl_audit_note *note, cl_mdt_acts *c)
{
    char today[CL_DATE_SZ];
    cl_records_date(now, today);
    memset(c, 0, sizeof(*c));
    *c = (cl_mdt_acts){.t = t,
                       .q = q,
                       .mdt = mdt,
                       .pid = pid,
                       .today = today,
                       .owner = owner,
                       .out = out,
                       .note = note,
                       .buf = malloc(CL_MDT_ACT_BUF)};
    if (!c->buf)
        return CL_ERR_NOMEM;
    int rc = cl_store_scan(t, CL_DB_ACTION, NULL, 0, s_act_one, c);
    free(c->buf);
    c->buf = NULL;
    c->today = NULL;
    return rc;
}

int cl_mdt_action_list(cl_op *op, const cl_action_query *q, cl_actions *out)
{
    uint64_t mdt = 0, pid = 0;
    cl_review_new r;
    cl_mdt_acts c;
    memset(out, 0, sizeof(*out));
    bool coordinator = (op->who->roles & CL_ROLE_COORDINATOR) != 0;
    if (!coordinator && !(op->who->roles & CL_ROLE_PUBLISHER)) {
        snprintf(op->err, CL_ERROR_SZ,
                 "listing actions needs the coordinator role, or the "
                 "publisher role for an agency's own actions");
        return CL_ERR_DENIED;
    }
    if (q->person_id[0] && !cl_records_parse_pid(q->person_id, &pid)) {
        snprintf(op->err, CL_ERROR_SZ, "person_id: must look like P00000042");
        return CL_ERR_INVALID;
    }
    int rc;
    if (q->review_id[0] && (rc = cl_mdt_review_get(op->t, q->review_id, &mdt,
                                                   &r, op->err)) != CL_OK) {
        if (rc != CL_ERR_NOT_FOUND || coordinator)
            return rc;
        /* a publisher learns nothing of which review ids exist: a missing
         * one lists as one it owns no action in */
        op->err[0] = '\0';
        CL_COPY(op->note.purpose, "0 actions listed");
        return CL_OK;
    }
    rc = cl_mdt_actions_walk(op->t, q, mdt, pid, op->now,
                             coordinator ? NULL : op->who->agency, out,
                             &op->note, &c);
    if (rc != CL_OK) {
        free(out->v);
        memset(out, 0, sizeof(*out));
    }
    snprintf(op->note.purpose, sizeof(op->note.purpose), "%zu actions listed%s",
             out->n, q->overdue_only ? " (overdue)" : "");
    return rc;
}

/* --- for intake (intake.c) ------------------------------------------------ */

typedef struct s_each {
    cl_txn *t;
    char today[CL_DATE_SZ];
    int (*fn)(void *ctx, const cl_action *a, uint64_t pid);
    void *ctx;
    uint8_t *buf;
} s_each;

static int s_each_one(void *ctx, const uint8_t *key, size_t len)
{
    s_each *c = ctx;
    uint64_t mdt, pid;
    cl_action a;
    int rc = cl_mdt_action_read(c->t, key, len, c->buf, &a, &mdt, &pid);
    if (rc != CL_OK)
        return rc;
    a.overdue = a.status == CL_ACTION_OPEN && strcmp(a.due, c->today) < 0;
    rc = c->fn(c->ctx, &a, pid);
    sodium_memzero(&a, sizeof(a));
    return rc;
}

int cl_mdt_action_each(cl_txn *t, int64_t now,
                       int (*fn)(void *ctx, const cl_action *a, uint64_t pid),
                       void *ctx)
{
    s_each c = {.t = t, .fn = fn, .ctx = ctx, .buf = malloc(CL_MDT_ACT_BUF)};
    if (!c.buf)
        return CL_ERR_NOMEM;
    cl_records_date(now, c.today);
    int rc = cl_store_scan(t, CL_DB_ACTION, NULL, 0, s_each_one, &c);
    free(c.buf);
    return rc;
}
