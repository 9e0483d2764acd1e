/*
 * words: one row per enum: its machine names come from cl_model, its
 * labels are here, index for index. A value added to an enum without a
 * label reads as its name with spaces for underscores until it gets one.
 */
#include "words.h"

#include <string.h>

#include "cl_model.h"

static const char *const s_cat[] = {
    "category not stated", "child protection",  "adult safeguarding",
    "domestic abuse",      "mental health",     "substance misuse",
    "self-neglect",        "housing",           "antisocial behaviour",
    "missing person",      "school attendance", "frailty",
    "other concern"};
static const char *const s_risk[] = {"risk not stated", "low risk",
                                     "medium risk", "high risk",
                                     "immediate risk"};
static const char *const s_rel[] = {
    "relationship not stated", "parent",  "child",  "carer", "cared for",
    "household member",        "partner", "sibling"};
static const char *const s_basis[] = {"lawful basis not stated",
                                      "public task (social care)",
                                      "public task (public interest)",
                                      "safeguarding (Data Protection Act 2018)",
                                      "legal obligation",
                                      "consent",
                                      "vital interests"};
static const char *const s_consent[] = {"consent not recorded", "consent given",
                                        "consent refused",
                                        "consent not sought"};
static const char *const s_link[] = {"first record of this person",
                                     "same NHS number",
                                     "same CHI number",
                                     "same agency id",
                                     "names and details matched",
                                     "confirmed by a coordinator"};
static const char *const s_sex[] = {"sex not recorded", "female", "male",
                                    "other"};
static const char *const s_plan_type[] = {
    "plan type not stated", "child protection plan", "looked-after child",
    "unborn child protection plan"};
static const char *const s_plan_cat[] = {
    "category not stated", "neglect",      "physical abuse",
    "emotional abuse",     "sexual abuse", "multiple categories"};
static const char *const s_agenda[] = {
    "reason not stated", "GP concern",   "police high-level user",
    "child protection",  "case finding", "other reason"};
static const char *const s_refstat[] = {"received", "accepted", "declined",
                                        "closed"};
static const char *const s_outcome[] = {
    "outcome not stated", "services provided", "client refused",
    "unable to contact",  "no further action", "referred on"};
static const char *const s_involve[] = {"involvement not stated",
                                        "no involvement", "past involvement",
                                        "current involvement"};
static const char *const s_dlv[] = {"none",   "alert", "request",    "answer",
                                    "status", "feed",  "governance", "intake",
                                    "action", "flag"};
static const char *const s_intake[] = {"open", "accepted", "declined",
                                       "deferred"};
static const char *const s_action[] = {"open", "done", "cancelled", "blocked"};
static const char *const s_rag[] = {"not rated", "red", "amber", "green"};
static const char *const s_status[] = {
    "ok", "already done", "invalid", "refused", "not found", "busy", "failed"};

#define S_ROW(kind, tab, fn)                                                   \
    [kind] = {#kind, tab, sizeof(tab) / sizeof(tab[0]), fn}

static const struct {
    const char *kind;
    const char *const *labels;
    unsigned n;
    const char *(*name)(unsigned v);
} s_words[CL_W_KINDS] = {
    S_ROW(CL_W_CATEGORY, s_cat, cl_category_name),
    S_ROW(CL_W_RISK, s_risk, cl_risk_name),
    S_ROW(CL_W_REL, s_rel, cl_rel_name),
    S_ROW(CL_W_BASIS, s_basis, cl_basis_name),
    S_ROW(CL_W_CONSENT, s_consent, cl_consent_name),
    S_ROW(CL_W_LINK, s_link, cl_link_name),
    S_ROW(CL_W_SEX, s_sex, cl_sex_name),
    S_ROW(CL_W_PLAN_TYPE, s_plan_type, cl_plan_type_name),
    S_ROW(CL_W_PLAN_CAT, s_plan_cat, cl_plan_cat_name),
    S_ROW(CL_W_AGENDA, s_agenda, cl_agenda_name),
    S_ROW(CL_W_REFSTAT, s_refstat, cl_refstat_name),
    S_ROW(CL_W_OUTCOME, s_outcome, cl_outcome_name),
    S_ROW(CL_W_INVOLVE, s_involve, cl_involve_name),
    S_ROW(CL_W_DELIVERY, s_dlv, cl_dlv_name),
    S_ROW(CL_W_ACTION, s_action, cl_action_status_name),
    S_ROW(CL_W_RAG, s_rag, cl_rag_name),
    S_ROW(CL_W_STATUS, s_status, cl_status_name),
    S_ROW(CL_W_INTAKE, s_intake, cl_intake_state_name),
};

const char *cl_words(cl_words_kind k, unsigned v)
{
    if ((unsigned)k >= CL_W_KINDS)
        return "?";
    if (v < s_words[k].n)
        return s_words[k].labels[v];
    return s_words[k].name(v);
}

void cl_words_table(FILE *f)
{
    fputs("| enum | value | label |\n|---|---|---|\n", f);
    for (unsigned k = 0; k < CL_W_KINDS; k++) {
        char kind[32];
        const char *src = s_words[k].kind + 5; /* after CL_W_ */
        size_t i = 0;
        for (; src[i] && i + 1 < sizeof(kind); i++)
            kind[i] = src[i] == '_' ? ' '
                      : src[i] >= 'A' && src[i] <= 'Z'
                          ? (char)(src[i] - 'A' + 'a')
                          : src[i];
        kind[i] = '\0';
        for (unsigned v = 0; v < s_words[k].n; v++)
            fprintf(f, "| %s | `%s` | %s |\n", kind, s_words[k].name(v),
                    s_words[k].labels[v]);
    }
}
