/*
 * linkfind_cand: the candidate records a description is compared with
 * (blocking keys, a budget) and how common its names are among them.
 */
#ifndef CL_LINKFIND_CAND_H
#define CL_LINKFIND_CAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_model.h"
#include "match.h"
#include "records.h"
#include "store.h"

/* Most candidate records one description is compared with. */
#define CL_LINKFIND_CANDIDATES_MAX 1000

/* Record ids sharing a blocking key with p (each key at most
 * CL_BLOCK_CAP records: a bigger block is skipped; the names-only keys
 * only when the others found nobody). */
CL_NODISCARD int cl_linkfind_block_candidates(cl_txn *t, const cl_store *st,
                                              const cl_person *p,
                                              cl_records_ids *ids);

/* Most candidate records one match compares when its blocks hold more:
 * every record sharing two keys or more with the description, then those
 * sharing one, met in the smallest blocks first (the newest first among
 * equals), up to this many. At a million people a referral meets about
 * 45 records, nearly all in a single block of an initial and a date of
 * birth or of a house and a name's code, and its cost is the records it
 * reads (caselink-match-bench, README "Benchmark"). */
#define CL_LINKFIND_BUDGET 12

/* How many of them a match reads first: the rest of the budget only
 * when these leave it in doubt (cl_linkfind_cand_looks). */
#define CL_LINKFIND_FIRST 8

/* The candidates a match compares p with: cl_linkfind_block_candidates,
 * bounded by CL_LINKFIND_BUDGET. */
CL_NODISCARD int cl_linkfind_match_candidates(cl_txn *t, const cl_person *p,
                                              cl_records_ids *ids);

/* How many stored records share a blocking key with p: the records a
 * new referral about p is compared with (benchmarks, tests). */
CL_NODISCARD int cl_linkfind_candidate_count(cl_txn *t, const cl_person *p,
                                             size_t *n);

/* Record ids sharing a blocking key with p (each key at most
 * CL_BLOCK_CAP records: a bigger block is skipped unread). The
 * names-only keys are looked up only when the others found nobody but
 * self, p's own stored record (0: none) (block.c). With a budget (0:
 * none), when more records than that are met, only those sharing two
 * keys or more are kept, and of those sharing one the ones met in the
 * smallest blocks, up to the budget; the rows of the others are not
 * read (cl_store_scan_pick). */
CL_NODISCARD int cl_linkfind_cand_find(cl_txn *t, const cl_store *st,
                                       const cl_person *p, uint64_t self,
                                       size_t budget, cl_records_ids *ids);

/* The candidates of cl_linkfind_match_candidates in two looks. The first
 * *first of ids are the best CL_LINKFIND_FIRST by the same choice (and
 * every record sharing two keys or more), the rest follow, each part in
 * id order. A match reads the rest only when the first look's best is in
 * doubt: worth a review (at or above the lower threshold) but not a
 * link. */
CL_NODISCARD int cl_linkfind_cand_looks(cl_txn *t, const cl_store *st,
                                        const cl_person *p, cl_records_ids *ids,
                                        size_t *first);

/* How many records carry p's names, and give its postcode and address,
 * into tf: posting lists counted up to a cap (past it a name is common,
 * and that is all the weight needs; a place, to CL_MATCH_PLACE_CAP);
 * stored: p is a stored record's (relinking), counted among them
 * already. tf->given_as_family_n is left 0 when tf->given_n is at the
 * cap: capped the same, it could not exceed it (all cl_match_weigh asks). */
CL_NODISCARD int cl_linkfind_cand_tf(cl_txn *t, const cl_store *st,
                                     const cl_match_config *mc,
                                     const cl_person *p, bool stored,
                                     cl_match_tf *tf);

/* The same for the parts of tf named (CL_MATCH_TF_FAMILY: tf->family;
 * CL_MATCH_TF_GIVEN: tf->given, given_n, given_as_family_n;
 * CL_MATCH_TF_POSTCODE, CL_MATCH_TF_ADDRESS: tf->postcode_n, address_n
 * and records), the others
 * left as they are: a match counts a name only once a candidate it reads
 * carries the same name (cl_match_tf_wants), each count a look-up. */
CL_NODISCARD int cl_linkfind_cand_tf_part(cl_txn *t, const cl_store *st,
                                          const cl_match_config *mc,
                                          const cl_person *p, bool stored,
                                          unsigned parts, cl_match_tf *tf);

/* Whether every stored record is counted at its places (the index rows
 * cl_block_place_key gives, which cl_match_place_weight counts): true for
 * a store holding no record, one whose first record was stored with them
 * (while it held none: new or emptied), or one a rerun this version began
 * went through whole since (cl_linkfind_cand_places_mark; stored, sealed,
 * in CL_DB_LINKING "places.counted" -> v1, at). A store of records from
 * an earlier version counts a place only by its records indexed since,
 * so a place shared by many of them keeps its full weight until a rerun.
 * Not seen: records an earlier version stores after the mark (a rollback,
 * an older standby promoted), which need a rerun again. */
CL_NODISCARD int cl_linkfind_cand_places_counted(cl_txn *t, bool *counted);

/* Mark every stored record counted (the first record of a store, a
 * rerun's end). */
CL_NODISCARD int cl_linkfind_cand_places_mark(cl_txn *t, int64_t now);

#endif
