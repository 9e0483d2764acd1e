/*
 * mdt_action: the MDT's actions. An action is agreed for a person on a
 * review's agenda and owned by a named person of an agency; the owning
 * agency hears of it in its mailbox and may mark it done or blocked; the
 * coordinators hear of what the owner did. Owns the stored action (with
 * its last changes) and the walk over every action that lists, reports
 * and intake share.
 */
#ifndef CL_MDT_ACTION_H
#define CL_MDT_ACTION_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "mailbox.h"
#include "op.h"
#include "store.h"

/* Room for one stored action. */
#define CL_MDT_ACT_BUF                                                         \
    (CL_TEXT_SZ + CL_NOTE_SZ + CL_NAME_SZ + CL_AGENCY_SZ + 256 +               \
     CL_ACTION_UPDATES * (CL_AGENCY_SZ + CL_NAME_SZ + CL_NOTE_SZ + 16))

/* A stored action id into a, with its review and person. */
CL_NODISCARD int cl_mdt_action_dec(const uint8_t *buf, size_t len, uint64_t id,
                                   cl_action *a, uint64_t *mdt, uint64_t *pid);

/* The action stored under key (a scan's key of CL_DB_ACTION), read
 * through buf (CL_MDT_ACT_BUF bytes, wiped after). */
CL_NODISCARD int cl_mdt_action_read(cl_txn *t, const uint8_t *key, size_t len,
                                    uint8_t *buf, cl_action *a, uint64_t *mdt,
                                    uint64_t *pid);

/* The walk over every action (cl_mdt_actions_walk). */
typedef struct cl_mdt_acts {
    cl_txn *t;
    const cl_action_query *q;
    uint64_t mdt, pid; /* filters, 0 for any */
    const char *today;
    const char *owner; /* only this agency's actions, or NULL */
    cl_actions *out;
    size_t cap;
    cl_audit_note *note;
    uint8_t *buf;
    int64_t counts[CL_ACTION_STATUS_MAX + 1], overdue; /* for the report */
} cl_mdt_acts;

/* Walk every action, collecting those q selects (review mdt, person pid,
 * owner agency: 0 or NULL for any) into out (if not NULL; out->v is
 * malloc'd) and counting all by status into c. */
CL_NODISCARD int cl_mdt_actions_walk(cl_txn *t, const cl_action_query *q,
                                     uint64_t mdt, uint64_t pid, int64_t now,
                                     const char *owner, cl_actions *out,
                                     cl_audit_note *note, cl_mdt_acts *c);

/* An action for a person on a review's agenda, owned by a named person at
 * a registered agency (rc->agencies); out's reference is its id. */
CL_NODISCARD int cl_mdt_action_add(cl_op *op, const cl_route_config *rc,
                                   const cl_action *a, cl_publish_result *out);

/* Actions matching q; overdue means open past its due date at now. */
CL_NODISCARD int cl_mdt_action_list(cl_op *op, const cl_action_query *q,
                                    cl_actions *out);

/* A coordinator updates any action; a publisher only its own agency's
 * (done, blocked with a note, or open again), and the coordinators are
 * told. Every change is kept with who and when. */
CL_NODISCARD int cl_mdt_action_update(cl_op *op, const cl_route_config *rcfg,
                                      const cl_action_update *u,
                                      cl_publish_result *out);

/* Every action, with overdue set against now and its person. */
CL_NODISCARD int cl_mdt_action_each(cl_txn *t, int64_t now,
                                    int (*fn)(void *ctx, const cl_action *a,
                                              uint64_t pid),
                                    void *ctx);

#endif
