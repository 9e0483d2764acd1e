/*
 * match: comparison functions and the Fellegi-Sunter weight of two
 * person descriptions: the comparison levels, their m and u, the
 * thresholds. Pure functions over caller-owned strings; no store access.
 */
#ifndef CL_MATCH_H
#define CL_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_model.h"
#include "store.h"

/* Comparison levels, each with an m probability (of this level when two
 * records are the same person) and a u probability (when they are not);
 * the level's weight is log2(m/u). Defaults in match.c; every one can be
 * set in caselinkd.conf [weights] as "name = m u". */
typedef enum {
    CL_W_FAMILY_EXACT,
    CL_W_FAMILY_PART,
    CL_W_FAMILY_CLOSE,
    CL_W_FAMILY_SOUNDEX,
    CL_W_FAMILY_DIFFERENT,
    CL_W_GIVEN_EXACT,
    CL_W_GIVEN_NICKNAME,
    CL_W_GIVEN_CLOSE,
    CL_W_GIVEN_PREFIX,
    CL_W_GIVEN_INITIAL,
    CL_W_GIVEN_DIFFERENT,
    CL_W_NAMES_SWAPPED,
    CL_W_DOB_EXACT,
    CL_W_DOB_SWAPPED,
    CL_W_DOB_TYPO,
    CL_W_DOB_ONE_PART,
    CL_W_DOB_GENERATION,
    CL_W_DOB_DIFFERENT,
    CL_W_SEX_SAME,
    CL_W_SEX_DIFFERENT,
    CL_W_POSTCODE_UNIT,
    CL_W_POSTCODE_SECTOR,
    CL_W_POSTCODE_DISTRICT,
    CL_W_POSTCODE_DIFFERENT,
    CL_W_ADDRESS_SAME,
    CL_W_ADDRESS_DIFFERENT,
    CL_W_TOWN_SAME,
    CL_W_TOWN_DIFFERENT,
    CL_W_UPRN_SAME,
    CL_W_UPRN_DIFFERENT,
    CL_W_HOUSEHOLD_SHARED,
    CL_W_AGENCY_OTHER_RECORD,
    CL_W_ADDRESS_CLOSE,
    CL_W_TOWN_CLOSE,
    CL_W_PLACE_ALSO,
    CL_W_HOUSEHOLD_DOB,
    CL_W_FAMILY_TYPO,
    CL_W_GIVEN_TYPO,
    CL_W_COUNT
} cl_weight_id;

/* Fellegi-Sunter decision thresholds and level probabilities. */
typedef struct cl_match_config {
    double upper;         /* at or above: link */
    double lower;         /* below: new person; between: review */
    double prior;         /* probability that two records picked at random
                             are one person (0: the default) */
    double upper_p;       /* the thresholds as match probabilities: when */
    double lower_p;       /* set (> 0), upper and lower follow the prior */
    double m[CL_W_COUNT]; /* per level */
    double u[CL_W_COUNT];
    /* places beyond the strongest that agrees count once, as place.also,
     * instead of each by its own weight: set when training found that
     * where someone lives is one fact among the store's records (an
     * address, its postcode and town agreeing together for the people
     * of one home), or by place.also in [weights]; false, the documented
     * default, adds every place's weight as if independent */
    bool place_also;
    /* the family pattern (cl_match_kin) weighs as any pair does, its
     * places each by its own level and its family name by how rare it
     * is: set when training found that two people of one family name
     * share a place little more often than any two people (the store's
     * families do not live together: caselink link train); false,
     * the default, holds the pattern back as a household's members */
    bool families_apart;
} cl_match_config;

/* Thresholds and every level's m and u at their documented defaults. */
void cl_match_config_defaults(cl_match_config *mc);

/* Set one level by its name ("family.exact"); false if unknown or the
 * probabilities are not in (0, 1). */
bool cl_match_weight_set(cl_match_config *mc, const char *name, double m,
                         double u);

/* The weight of one level under mc (log2(m/u)). */
double cl_match_level_weight(const cl_match_config *mc, cl_weight_id id);

/* Level id of a name, or -1. */
int cl_match_level_find(const char *name);

/* The name of a level, as the configuration and the review queue show it. */
const char *cl_match_weight_name(cl_weight_id id);

#define CL_MATCH_UPPER_DEFAULT 22.0
#define CL_MATCH_LOWER_DEFAULT 8.0
/* the default prior: about one match among 450,000 random pairs, so that
 * the documented thresholds (link at probability 0.9, review from 0.00056)
 * are the weights 22 and 8 until a prior is learned */
#define CL_MATCH_PRIOR_DEFAULT   2.2e-6
#define CL_MATCH_UPPER_P_DEFAULT 0.9

/* The match probability of weight w under mc's prior: the posterior odds
 * are 2^w times the prior odds. */
double cl_match_probability(const cl_match_config *mc, double w);

/* The weight whose match probability under mc's prior is p. */
double cl_match_weight_for(const cl_match_config *mc, double p);

/* Set upper and lower from upper_p and lower_p (where set) under the
 * prior in use: call after the prior changes. */
void cl_match_thresholds_update(cl_match_config *mc);

/* Jaro-Winkler similarity of two strings, case-insensitive, in [0, 1]. */
double cl_match_jaro_winkler(const char *a, const char *b);

/* American Soundex code of the first word of s into out[5]; "" if none. */
void cl_match_soundex(const char *s, char out[5]);

/* The usual full form of a given name ("Bob" -> "robert"), lower case,
 * into out; the name itself (lower-cased) when no nickname is known. */
void cl_match_canonical_given(const char *s, char *out, size_t cap);

/* Fellegi-Sunter match weight of two descriptions under mc's levels. No
 * field vetoes a pair: a plainly different given name or date of birth is
 * strong negative evidence, and when either is seen the address fields two
 * members of one household share count once (household.shared) instead of
 * field by field, and a date of birth the same weighs household.dob (how
 * often two people of one home share one: twins) instead of dob.exact, so
 * parents, children and twins at one address stay below the upper
 * threshold on the weights alone. */
double cl_match_score(const cl_match_config *mc, const cl_person *a,
                      const cl_person *b);

/* Term frequencies: how common a's family and given names are among the
 * store's records (0: unknown, the level's u is used). An exact match on
 * a rare name then weighs more than on a common one: log2(m / frequency)
 * instead of log2(m / u). */
typedef struct cl_match_tf {
    double family, given;
    /* how many records carry a's given name as their given name and as
     * their family name (up to a cap): a name written in the given
     * name's place that is far more often a family name says the names
     * are the wrong way round */
    uint32_t given_n, given_as_family_n;
    /* how many records give a's postcode and a's address (its words as
     * compared), counted up to CL_MATCH_PLACE_CAP, and how many records
     * the store holds (0: the places not counted): a place that many
     * people's records give (a hostel, a care home, "No Fixed Abode")
     * says little about who lives there (cl_match_place_weight) */
    uint32_t postcode_n, address_n;
    uint64_t records;
    /* of those at a's postcode, how many carry a's family name (its
     * Soundex code): a family's own records at its home are not others
     * sharing it */
    uint32_t family_n;
} cl_match_tf;

/* Places are counted up to this many records; of a place's records
 * those not of the family concerned, up to CL_MATCH_HOME_ROWS, are what
 * a home holds (partners, lodgers, a family name mistyped). */
#define CL_MATCH_PLACE_CAP 1024
#define CL_MATCH_HOME_ROWS 16

/* The weight of a place level (postcode.unit, address.same,
 * address.close) with m and u when n of the store's records give that
 * place, family_n of them the family's concerned: log2(m / u), less one
 * for each doubling of the others (n - family_n) past
 * CL_MATCH_HOME_ROWS, never below 0. Like a common name, a place that
 * many people's records give (a hostel, a care home, "No Fixed Abode",
 * a council's office) says little about who a record is, and the count
 * says so at any size of store: a family's many records at its own
 * home keep their weight. */
double cl_match_place_weight(double m, double u, uint32_t n, uint32_t family_n);

/* The same, with term frequencies (tf may be NULL) and each field's
 * comparison level and weight in out (up to CL_MATCH_FIELDS; *n receives
 * how many; out may be NULL). */
double cl_match_explain(const cl_match_config *mc, const cl_person *a,
                        const cl_person *b, const cl_match_tf *tf,
                        cl_field_weight *out, uint32_t *n);

/* cl_match_explain, with the comparison level of each field in lv (as
 * cl_match_levels gives them) as well. */
#define CL_MATCH_NFIELDS 9
double cl_match_weigh(const cl_match_config *mc, const cl_person *a,
                      const cl_person *b, const cl_match_tf *tf,
                      cl_field_weight *out, uint32_t *n,
                      int lv[CL_MATCH_NFIELDS]);

/* A description prepared for comparison, so that a match compares the
 * referral's fields as folded once, not once per candidate: the names
 * folded (letters only, lower case), the given name's usual full form,
 * the family name's Soundex, the town folded, the address's tokens. It
 * borrows the description (p) and holds personal data: the caller wipes
 * it where it wipes the description. */
#define CL_MATCH_TOKENS 12
typedef struct cl_match_prep {
    const cl_person *p;               /* the description, borrowed */
    char family[CL_NAME_SZ];          /* folded */
    char given[CL_NAME_SZ];           /* folded */
    char canon[CL_NAME_SZ];           /* cl_match_canonical_given */
    char soundex[5];                  /* cl_match_soundex of family */
    char town[CL_TOWN_SZ];            /* folded */
    size_t n_tokens;                  /* address tokens in use */
    char tokens[CL_MATCH_TOKENS][32]; /* lower case, abbreviations expanded */
} cl_match_prep;

/* The words of an address as the comparison takes them (lower case,
 * abbreviations expanded), one space apart, into out; returns the
 * length (0: no words). */
size_t cl_match_address_words(const char *address, char *out, size_t cap);

/* Prepare p (borrowed until out is no longer used) into out. */
void cl_match_prepare(cl_match_prep *out, const cl_person *p);

/* The parts of cl_match_tf a weight of a and b can read: a name's
 * frequency weighs only an exact match on it (family.exact, given.exact,
 * and the names-the-wrong-way-round rule, which asks given.exact), so
 * CL_MATCH_TF_FAMILY when the family names are the same once folded and
 * CL_MATCH_TF_GIVEN when the given names are; a place's count only a
 * place the same (CL_MATCH_TF_POSTCODE, CL_MATCH_TF_ADDRESS). A weight with the
 * other parts left 0 is the same (test_block: test_tf_wants). */
#define CL_MATCH_TF_FAMILY   1u
#define CL_MATCH_TF_GIVEN    2u
#define CL_MATCH_TF_POSTCODE 4u /* the postcodes the same */
#define CL_MATCH_TF_ADDRESS  8u /* the addresses' words the same */
unsigned cl_match_tf_wants(const cl_match_prep *a, const cl_person *b);

/* cl_match_weigh of two prepared descriptions: the same weight, levels
 * and explanation as cl_match_weigh(mc, a->p, b->p, ...). */
double cl_match_weigh_prepared(const cl_match_config *mc,
                               const cl_match_prep *a, const cl_match_prep *b,
                               const cl_match_tf *tf, cl_field_weight *out,
                               uint32_t *n, int lv[CL_MATCH_NFIELDS]);

/* The comparison level of each field of a and b (-1: not compared), in
 * the order of cl_match_fields; the weight they add up to is returned.
 * Used by training to count levels. */
double cl_match_levels(const cl_match_config *mc, const cl_person *a,
                       const cl_person *b, int levels[CL_MATCH_NFIELDS]);

/* Whether levels lv (from cl_match_levels) are a family pattern: family
 * names agree, given names, dates of birth or sexes plainly do not, or
 * neither a given name nor a date of birth is compared; or (lv[8], the
 * household field, set by cl_match_weigh to CL_W_NAMES_SWAPPED) both records
 * have their names the wrong way round: the same family name in both given
 * names' place, the people's own names plainly different. */
bool cl_match_kin(const int lv[CL_MATCH_NFIELDS]);

/* Whether levels lv name two people: the family names and the given
 * names both compared and plainly different, whatever else agrees (two
 * of one home, born the same day; a record with its names the wrong way
 * round beside one of another member of the family). */
bool cl_match_names_differ(const int lv[CL_MATCH_NFIELDS]);

/* What a comparison can tell one member of a family from another by
 * (cl_match_discerns): the given names (beyond an initial, without a
 * date of birth compared) or the dates of birth compared, and, with the family
 * names agreeing, plainly different. */
#define CL_MATCH_HAS_GIVEN   1u
#define CL_MATCH_HAS_DOB     2u
#define CL_MATCH_OTHER_GIVEN 4u
#define CL_MATCH_OTHER_DOB   8u
unsigned cl_match_discerns(const int lv[CL_MATCH_NFIELDS]);

/* A bridge: a record matched another through `via` (its comparison's
 * cl_match_discerns), which says nothing of a given name or a date of
 * birth that `other`, a record of the same person, plainly differs from
 * it in: a record without a date of birth matches a mother and the
 * daughter of her name alike, one without a given name both twins. */
bool cl_match_bridged(unsigned via, unsigned other);

/* Places in lv: 0 none compared, 1 compared and none agrees, 2 one agrees. */
int cl_match_place(const int lv[CL_MATCH_NFIELDS]);

/* A place's level in lv (lv[4] .. lv[7]) says they live there alike. */
bool cl_match_place_agrees(int level);

/* Whether more than one place says the same (training's place.also): -1
 * when it cannot (the family pattern, no postcode unit, address or UPRN
 * agrees, or no other place compared beside the strongest of them under
 * mc), 1 when another place agrees too, 0 when the others compared do
 * not. */
int cl_match_place_also(const cl_match_config *mc,
                        const int lv[CL_MATCH_NFIELDS]);

/* Which field a level belongs to (0..CL_MATCH_NFIELDS-1). */
int cl_match_level_field(cl_weight_id id);

/* The field names, as the review queue and training show them. */
extern const char *const cl_match_fields[CL_MATCH_NFIELDS];

#endif
