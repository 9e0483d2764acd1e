/*
 * mdt: the extended MDT's own records about the people on a review's
 * agenda: discussion, RAG ratings and the meeting record, and what the
 * other mdt_*.c files share. The mdt family, with intake and lists, is
 * layer 4 of the domain library (only dp.c and core.c are above it): it
 * calls the files below it (case views, information requests, mailboxes,
 * records), never the other way round.
 *
 *   mdt.c         discussion, RAG ratings, meeting record, shared checks
 *   mdt_action.c  actions: stored format, add, update, list, notices
 *   mdt_report.c  outcome measures and the executive's report
 *   mdt_pack.c    the agenda pack and what happened since the last meeting
 *   mdt_dp.c      subject access, retention and the decode check
 */
#ifndef CL_MDT_H
#define CL_MDT_H

#include "access.h"
#include "audit.h"
#include "cl_model.h"
#include "op.h"
#include "store.h"

/* True if the caller holds the coordinator role; else false with err. */
bool cl_mdt_coordinator(const cl_caller *c, char err[CL_ERROR_SZ]);

/* The review (MDT-...) and a person (P...) on its agenda, as ids;
 * CL_ERR_INVALID / NOT_FOUND / DENIED with err. */
CL_NODISCARD int cl_mdt_on_agenda(cl_txn *t, const char *review_id,
                                  const char *pid_str, uint64_t *mdt,
                                  uint64_t *pid, char err[CL_ERROR_SZ]);

/* The discussion of pid at review mdt into it->discussion and
 * it->decisions (and when and by which agency, if at/by_out are not
 * NULL); nothing recorded is not an error. */
CL_NODISCARD int cl_mdt_discussion_get(cl_txn *t, uint64_t mdt, uint64_t pid,
                                       cl_pack_item *it, int64_t *at,
                                       char by_out[CL_AGENCY_SZ]);

/* Why pid was put on review mdt's agenda, in the coordinator's words
 * ("" if none). */
CL_NODISCARD int cl_mdt_agenda_note(cl_txn *t, uint64_t mdt, uint64_t pid,
                                    char note[CL_NOTE_SZ]);

/* A stored RAG rating. */
/* The largest stored rating: version, rating, note, time, agency, user. */
#define CL_MDT_RAG_MAX (CL_NOTE_SZ + CL_AGENCY_SZ + CL_NAME_SZ + 64)

CL_NODISCARD int cl_mdt_rag_dec(const uint8_t *buf, size_t len,
                                cl_rag_entry *e);

/* Every rating of q's subject (a person or a workstream), oldest first;
 * out->v is malloc'd. */
CL_NODISCARD int cl_mdt_rag_of(cl_txn *t, const cl_rag_set *q,
                               cl_rag_entries *out, char err[CL_ERROR_SZ]);

/* A stored meeting record, and review mdt's (the default
 * confidentiality statement if none was recorded). */
CL_NODISCARD int cl_mdt_meeting_dec(const uint8_t *buf, size_t len,
                                    cl_meeting *m);
CL_NODISCARD int cl_mdt_meeting_get(cl_txn *t, uint64_t mdt, cl_meeting *m);

/* How many people on review mdt's agenda retention removed, after adding
 * add (kept in META); out may be NULL. */
CL_NODISCARD int cl_mdt_purged_count(cl_txn *t, uint64_t mdt, uint32_t add,
                                     uint32_t *out);

/* What the meeting said and decided about a person on its agenda. */
CL_NODISCARD int cl_mdt_record_discussion(cl_op *op, const cl_discussion *d,
                                          cl_publish_result *out);

/* Chair, attendees, apologies and confidentiality statement of a review
 * (replacing any recorded before). */
CL_NODISCARD int cl_mdt_record_meeting(cl_op *op, const cl_meeting *m,
                                       cl_publish_result *out);

/* Rate a person's case or a workstream; every change is kept. */
CL_NODISCARD int cl_mdt_set_rag(cl_op *op, const cl_rag_set *r,
                                cl_publish_result *out);

/* Every rating of one person or workstream, oldest first. */
CL_NODISCARD int cl_mdt_rag_history(cl_op *op, const cl_rag_set *q,
                                    cl_rag_entries *out);

#endif
