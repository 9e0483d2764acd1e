/*
 * mdt_dp: the mdt family's part of the data-protection duties: subject
 * access to the MDT's records about a person, what keeps a person live
 * for retention, their removal, and the decode check of every stored
 * MDT record. dp.c asks it; core.c's decode check calls it.
 */
#ifndef CL_MDT_DP_H
#define CL_MDT_DP_H

#include "cl_model.h"
#include "idset.h"
#include "store.h"

/* Decode check for mdt.c's stored values (fuzzing). */
CL_NODISCARD int cl_mdt_dp_decode_check(cl_db db, const uint8_t *buf,
                                        size_t len);

/* Subject access: the MDT's records about person pid (agenda places with
 * notes and discussions, every action, every RAG rating, every measure
 * value) into out's arrays. */
CL_NODISCARD int cl_mdt_dp_subject(cl_txn *t, uint64_t pid, int64_t now,
                                   cl_subject_access *out);

/* Retention (dp.c asks): people with an open action (*actions), and
 * people on the agenda of a review dated on or after `since` (*agenda). */
CL_NODISCARD int cl_mdt_dp_live(cl_txn *t, const char *since, cl_ids *actions,
                                cl_ids *agenda);

/* Erasure (dp.c): remove every MDT record about person pid, adding the
 * ids a stored reply may carry to names (see retention.h). */
CL_NODISCARD int cl_mdt_dp_purge(cl_txn *t, uint64_t pid, cl_names *names);

#endif
