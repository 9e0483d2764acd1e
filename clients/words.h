/*
 * words: the label a coordinator reads for each value of each enum
 * ("mental health" for mental_health, "no involvement" for none). One
 * table; terminals print labels, CSV and JSON keep the machine names
 * (cl_*_name in cl_model.h), and `caselink help --words` prints the table
 * that the README's wording table must match (test_cli checks it).
 */
#ifndef CL_WORDS_H
#define CL_WORDS_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    CL_W_CATEGORY,
    CL_W_RISK,
    CL_W_REL,
    CL_W_BASIS,
    CL_W_CONSENT,
    CL_W_LINK,
    CL_W_SEX,
    CL_W_PLAN_TYPE,
    CL_W_PLAN_CAT,
    CL_W_AGENDA,
    CL_W_REFSTAT,
    CL_W_OUTCOME,
    CL_W_INVOLVE,
    CL_W_DELIVERY,
    CL_W_ACTION,
    CL_W_RAG,
    CL_W_STATUS,
    CL_W_INTAKE,
    CL_W_ACCESS,  /* break-glass reasons */
    CL_W_REQUEST, /* request kinds, as audit entries name them */
    CL_W_KINDS
} cl_words_kind;

/* The label of value v of kind k; never NULL. */
const char *cl_words(cl_words_kind k, unsigned v);

/* The label of a request kind by the name audit entries and logs give it
 * ("get_person": "opened a case"); the name itself if it is not one. */
const char *cl_words_request(const char *name);

/* The label of a governance notice's event ("first_plan_from_agency");
 * the event itself if it is not one. */
const char *cl_words_event(const char *event);

/* The label of an agency kind ("childrens_services": "children's
 * services"); the kind itself if it has none ("police"). */
const char *cl_words_agency_kind(const char *kind);

/*
 * Text the daemon wrote with machine names in it (an audit entry's
 * purpose, a governance notice's detail) as a person reads it: every
 * word of the form a_b (letters and underscores, at least one
 * underscore) that is a machine name of the table becomes its label;
 * everything else is copied. out (cap bytes) is always terminated.
 */
void cl_words_say(char *out, size_t cap, const char *text);

/*
 * A value typed for an enum of kind k that is none of its machine names,
 * explained in out: "unknown value 'orang'; did you mean orange? (one of
 * red, amber, green)". Values below first (those meaning "not stated")
 * are neither offered nor suggested.
 */
void cl_words_unknown(char *out, size_t cap, cl_words_kind k, unsigned first,
                      const char *typed);

/* The wording table as Markdown rows: | kind | value | label |. */
void cl_words_table(FILE *f);

#endif
