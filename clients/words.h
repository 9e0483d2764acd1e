/*
 * words: the label a coordinator reads for each value of each enum
 * ("mental health" for mental_health, "no involvement" for none). One
 * table; terminals print labels, CSV and JSON keep the machine names
 * (cl_*_name in cl_model.h), and `caselink help --words` prints the table
 * that the README's wording table must match (test_cli checks it).
 */
#ifndef CL_WORDS_H
#define CL_WORDS_H

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
    CL_W_KINDS
} cl_words_kind;

/* The label of value v of kind k; never NULL. */
const char *cl_words(cl_words_kind k, unsigned v);

/* The wording table as Markdown rows: | kind | value | label |. */
void cl_words_table(FILE *f);

#endif
