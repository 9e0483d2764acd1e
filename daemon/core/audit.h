/*
 * audit: the tamper-evident audit log: the note a request fills, the
 * hash-chained entries appended in the same transaction as the data,
 * verification, signed checkpoints and the auditor's searches.
 */
#ifndef CL_AUDIT_H
#define CL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "cl_model.h"
#include "store.h"

/* What a request touched, for its audit entry: filled by the operation,
 * written by cl_audit_append in the same transaction as the data. Every
 * person noted is named: past the first CL_AUDIT_PERSONS they go to more,
 * and the append writes further entries of the same kind for them. A note
 * that noted more than CL_AUDIT_PERSONS owns memory: cl_audit_note_free
 * (a copy shares it: free one of them, once). */
typedef struct cl_audit_note {
    uint32_t n_persons;                 /* people touched */
    uint64_t persons[CL_AUDIT_PERSONS]; /* their ids */
    char purpose[CL_NOTE_SZ];           /* why (case views) */
    bool break_glass;                   /* a justification, not a review */
    char detail[CL_REF_SZ];             /* e.g. the reference written */
    uint64_t *more;                     /* the people past persons[] */
    size_t n_more, cap_more;
    bool lost; /* one could not be kept (no memory): the append fails */
} cl_audit_note;

/* "P00000042" */
void cl_audit_pid_str(char out[CL_PID_SZ], uint64_t id);

/* Append one entry (who, what kind, whom, why, outcome) to the chain,
 * and a further one ("continued: " and the purpose) for each
 * CL_AUDIT_PERSONS more people the note names. CL_ERR_NOMEM, and nothing
 * appended, if the note lost someone. */
CL_NODISCARD int cl_audit_append(cl_txn *t, const cl_caller *c,
                                 const char *kind, const cl_audit_note *n,
                                 uint8_t outcome, int64_t now);

/* The "continued: " entries of cl_audit_append, a few at a time, for a
 * note naming many people: with the first entry appended (by
 * cl_audit_append of a copy whose n_more is 0), those from the *next-th
 * (0: the first of them) on, at most max; *next moves past those
 * appended and *all says whether they were the last. Between calls the
 * note must not change; each call may be in a transaction of its own. */
CL_NODISCARD int cl_audit_append_more(cl_txn *t, const cl_caller *c,
                                      const char *kind, const cl_audit_note *n,
                                      uint8_t outcome, int64_t now,
                                      size_t *next, size_t max, bool *all);

/* Free what a note holds past its first CL_AUDIT_PERSONS. Safe on NULL
 * and twice. */
void cl_audit_note_free(cl_audit_note *n);

/* Name in n everyone a person view discloses: the person, the people
 * related to them and the children whose plans it shows. */
void cl_audit_note_view(cl_audit_note *n, const cl_person_view *v);

/* Walk the whole chain; with a checkpoint text, check it too. Returns an
 * error only if the checkpoint itself is unusable (out->problem says why);
 * a broken chain is CL_OK with out->intact false. */
CL_NODISCARD int cl_audit_verify(cl_txn *t, const char *checkpoint,
                                 cl_audit_verify_result *out);

/* Sign the current head as a plain-text checkpoint. */
CL_NODISCARD int cl_audit_checkpoint(cl_txn *t, int64_t now,
                                     char out[CL_CHECKPOINT_SZ]);

/* Decode check of one stored audit entry (fuzzing; see cl_core_decode_check).
 */
CL_NODISCARD int cl_audit_decode_check(const uint8_t *buf, size_t len);

/* How many entries the chain holds. */
CL_NODISCARD int cl_audit_count(cl_txn *t, uint64_t *n);

/*
 * The newest limit entries (oldest first) that pass filter f, of person
 * pid's entries or, with pid 0, of the whole log. CL_ERR_INVALID with err
 * for a filter this build cannot apply (a named user: see audit.c).
 */
CL_NODISCARD int cl_audit_search(cl_txn *t, uint64_t pid,
                                 const cl_audit_filter *f, const char *user_id,
                                 uint32_t limit, cl_audit_entries *out,
                                 char err[CL_ERROR_SZ]);

/* True if f filters anything. */
bool cl_audit_filter_any(const cl_audit_filter *f);

/* The last `limit` entries naming person pid (oldest first); with a
 * user_id that is not NULL or empty, only that named user's. */
CL_NODISCARD int cl_audit_entries_for(cl_txn *t, uint64_t pid,
                                      const char *user_id, uint32_t limit,
                                      cl_audit_entries *out);

/* Called per entry of cl_audit_each_for (borrowed for the call): CL_OK
 * to go on, anything else stops the walk and is returned. */
typedef int (*cl_audit_each_fn)(void *ctx, const cl_audit_entry *e);

/* Every entry naming person pid, oldest first, of kind `kind` (NULL:
 * every kind), to fn: unlike cl_audit_entries_for, no limit, for counts
 * that must see everything (the report's derived measures). */
CL_NODISCARD int cl_audit_each_for(cl_txn *t, uint64_t pid, const char *kind,
                                   cl_audit_each_fn fn, void *ctx);

/* The last `limit` entries of named user user_id (oldest first). */
CL_NODISCARD int cl_audit_entries_of_user(cl_txn *t, const char *user_id,
                                          uint32_t limit,
                                          cl_audit_entries *out);

#endif
