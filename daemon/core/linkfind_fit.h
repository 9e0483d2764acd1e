/*
 * linkfind_fit: whether records belong together (weights, identifiers,
 * a record against a person's other records, bridges).
 */
#ifndef CL_LINKFIND_FIT_H
#define CL_LINKFIND_FIT_H

#include <stdbool.h>
#include <stdint.h>

#include "cl_model.h"
#include "match.h"
#include "records.h"
#include "store.h"

/* Most records of one person a relink compares a record with. */
#define CL_LINKFIND_HOLD_MAX 64

/* The weight of description p (held by agency) against stored record
 * rec: another record of the same agency, under another local id, counts
 * against (an agency seldom holds one person twice). Each field's level
 * in lv (may be NULL). */
double cl_linkfind_fit_weight(const cl_match_config *mc, const cl_match_tf *tf,
                              const char *agency, const cl_person *p,
                              const cl_records_record *rec,
                              int lv[CL_MATCH_NFIELDS]);

/* cl_linkfind_fit_weight of a description prepared once for all the
 * records it is weighed against (cl_match_prepare). */
double cl_linkfind_fit_weight_prepared(const cl_match_config *mc,
                                       const cl_match_tf *tf,
                                       const char *agency,
                                       const cl_match_prep *pp,
                                       const cl_records_record *rec,
                                       int lv[CL_MATCH_NFIELDS]);

/* Whether two records' identifiers say they are one person. */
bool cl_linkfind_fit_same_ident(const cl_records_record *a,
                                const cl_records_record *b);

/* Whether two records carry different NHS numbers, or different CHI
 * numbers: they are about two people, however alike the rest. */
bool cl_linkfind_fit_ident_differs(const cl_records_record *a,
                                   const cl_records_record *b);

/* Whether description p may join stored record rec's person: *clash if
 * rec, or any other record of its person, carries an NHS or CHI number
 * other than p's (a father's record with one number never joins his
 * son's person, which holds another, through a record with none). */
CL_NODISCARD int cl_linkfind_fit_ident_clash(cl_txn *t, const cl_person *p,
                                             const cl_records_record *rec,
                                             bool *clash);

/* Whether record rid fits person pid: its weight against one of pid's
 * records other than skip reaches the lower threshold without the pattern
 * of two members of one family (a family name and a home shared, a given
 * name or a date of birth plainly different) and without both names
 * plainly different (a record with its names the wrong way round beside
 * another member of the family: cl_match_names_differ), or pid has no
 * other record to compare. A record matching two people brings them
 * together only when their own records do not contradict each other: a
 * sparse record (a name and a town) is no bridge between two people
 * whose dates of birth or names plainly differ. */
CL_NODISCARD int cl_linkfind_fit_person(cl_txn *t, const cl_match_config *mc,
                                        uint64_t rid, uint64_t pid,
                                        uint64_t skip, bool kin, bool *fits);

/* Whether record qrid is held apart from person pid by a field that a
 * record comparing only the fields by (cl_match_discerns) lacks: a record
 * of pid plainly differs from qrid in a given name or a date of birth
 * that by does not compare, each of the two values given twice by its
 * person's records (typed apart: two agencies, or two local ids of one),
 * and no record of pid that compares such a field fits qrid otherwise (an
 * identifier shared, or the lower threshold reached without a given name
 * or a date plainly different); a record of pid that lacks the field too
 * counts neither way. A record without a date weighs alike against a
 * father and a son of one name, whose own dates keep them apart; one
 * record's date or name replaced by mistake does not. */
CL_NODISCARD int cl_linkfind_fit_apart(cl_txn *t, const cl_match_config *mc,
                                       uint64_t qrid, uint64_t pid, unsigned by,
                                       bool *apart);

/* Whether persons xp and yp meet only through a bridge: the pair that
 * brings them together, records x and y, says nothing of a given name or
 * a date of birth (one side has none) that a record of one plainly
 * differs in from a record of the other, where those two do not reach
 * the upper threshold against each other (cl_match_bridged). A record
 * without a date of birth matches a mother and the daughter of her name
 * alike, one without a given name both twins: neither makes them one.
 * Two people any of whose records carry different NHS (or CHI) numbers
 * are never brought together by a third record, however well it matches
 * both: the pair is queued for a coordinator. Nor are two people each
 * with a date of birth that two agencies' records agree on, the dates
 * plainly different. */
CL_NODISCARD int cl_linkfind_fit_bridged(cl_txn *t, const cl_match_config *mc,
                                         uint64_t x, uint64_t y, uint64_t xp,
                                         uint64_t yp, bool *bridged);

/* Whether person pid holds two people's records by their dates of birth:
 * exactly two dates each confirmed (given twice, typed apart: two
 * agencies, or two local ids of one), apart by more than day and month
 * the wrong way round (even one digit: two housemates of one name born
 * in one year). Then *other lists the records of the second of those
 * dates (the first held keeps the person) and those whose own date is
 * nearer to it than to the first's, *keep the first date's first record
 * and *w the weight between the two; none if a record of each would
 * share an identifier. other->v is the caller's to free. */
CL_NODISCARD int cl_linkfind_fit_two_dates(cl_txn *t, const cl_match_config *mc,
                                           uint64_t pid, uint64_t *keep,
                                           double *w, cl_records_ids *other);

/* How much better (log2 of the odds: 64 to 1) one person must fit a
 * description than another it also links to, to be clearly the one. */
#define CL_LINKFIND_CLEARLY 6.0

/* Whether a description that weighs a_w against person a_pid (its best
 * record there) and b_w against another person b_pid (record b_rid,
 * comparing the fields by: cl_match_discerns) fits neither for sure:
 * both reach the upper threshold and either b's record fits none of a's
 * records, or neither person is clearly better (CL_LINKFIND_CLEARLY)
 * while the two are held apart (b's record fits a's only in the pattern
 * of one family, or they meet only through a bridge:
 * cl_linkfind_fit_bridged). A record without a date of birth beside a
 * father and his son of one name and home is then linked to neither and
 * both pairs are queued, whichever of the two was held first. */
CL_NODISCARD int cl_linkfind_fit_ambiguous(cl_txn *t, const cl_match_config *mc,
                                           uint64_t a_pid, double a_w,
                                           uint64_t b_pid, uint64_t b_rid,
                                           double b_w, unsigned by,
                                           bool *ambiguous);

#endif
