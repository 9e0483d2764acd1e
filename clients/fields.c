/*
 * fields: referral fields by name, shared by the CLI's flags
 * (--family-name) and CSV headers (family_name). Parses and checks the
 * form of each value (enum names, dates and times, lengths); the meaning of
 * the whole referral is checked by cl_referral_validate. No I/O.
 */
#include "fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "when.h"
#include "words.h"

static bool s_put(char *dst, size_t cap, const char *v, const char *name,
                  char *err, size_t err_len)
{
    if (!cl_copy(dst, cap, v)) {
        snprintf(err, err_len, "%s is longer than %zu bytes", name, cap - 1);
        return false;
    }
    return true;
}

#define S_PUT(dst, v) s_put((dst), sizeof(dst), (v), name, err, err_len)

/* value parsed as v, an enum of kind k whose values from first up are
 * the ones to offer when it is none of them. */
static bool s_enum(uint8_t *dst, int v, cl_words_kind k, unsigned first,
                   const char *name, const char *value, char *err,
                   size_t err_len)
{
    if (v < 0) {
        char why[400];
        cl_words_unknown(why, sizeof(why), k, first, value);
        snprintf(err, err_len, "%s: %s", name, why);
        return false;
    }
    *dst = (uint8_t)v;
    return true;
}

bool cl_fields_time(int64_t *out, const char *v, char *err, size_t err_len)
{
    return cl_when_time(out, v, "occurred_at", err, err_len);
}

/* A date typed in ISO or UK form, stored as YYYY-MM-DD. */
static bool s_date(char dst[CL_DATE_SZ], const char *v, const char *name,
                   char *err, size_t err_len)
{
    if (!v[0]) {
        dst[0] = '\0';
        return true;
    }
    return cl_when_date(dst, v, name, err, err_len);
}

static bool s_person_field(cl_person *p, const char *where, const char *name,
                           const char *v, char *err, size_t err_len)
{
    if (!strcmp(name, "nhs_number") || !strcmp(name, "nhs"))
        return S_PUT(p->nhs, v);
    if (!strcmp(name, "chi_number") || !strcmp(name, "chi"))
        return S_PUT(p->chi, v);
    if (!strcmp(name, "local_id"))
        return S_PUT(p->local_id, v);
    if (!strcmp(name, "given_names") || !strcmp(name, "given"))
        return S_PUT(p->given, v);
    if (!strcmp(name, "family_name") || !strcmp(name, "family"))
        return S_PUT(p->family, v);
    if (!strcmp(name, "date_of_birth") || !strcmp(name, "dob")) {
        char what[48];
        if (where)
            snprintf(what, sizeof(what), "%s: date_of_birth", where);
        else
            what[0] = '\0'; /* the caller names the field */
        return s_date(p->dob, v, what, err, err_len);
    }
    if (!strcmp(name, "sex"))
        return !v[0] || s_enum(&p->sex, cl_sex_parse(v), CL_W_SEX, 0, name, v,
                               err, err_len);
    if (!strcmp(name, "address"))
        return S_PUT(p->address, v);
    if (!strcmp(name, "town"))
        return S_PUT(p->town, v);
    if (!strcmp(name, "postcode"))
        return S_PUT(p->postcode, v);
    if (!strcmp(name, "uprn"))
        return S_PUT(p->uprn, v);
    snprintf(err, err_len, "unknown field '%s'", name);
    return false;
}

/* One related person: "rel=parent;given=Sarah;family=Jones". */
static bool s_related_into(cl_related *arr, uint32_t *n, const char *spec,
                           char *err, size_t err_len)
{
    char buf[2048];
    if (*n >= CL_RELATED_MAX) {
        snprintf(err, err_len, "at most %d related people", CL_RELATED_MAX);
        return false;
    }
    if (!cl_copy(buf, sizeof(buf), spec)) {
        snprintf(err, err_len, "related person description too long");
        return false;
    }
    cl_related *rp = &arr[*n];
    memset(rp, 0, sizeof(*rp));
    char *save = NULL;
    for (char *kv = strtok_r(buf, ";", &save); kv;
         kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(err, err_len, "related: expected key=value, got '%s'", kv);
            return false;
        }
        *eq = '\0';
        const char *k = kv, *v = eq + 1;
        while (*k == ' ')
            k++;
        if (!strcmp(k, "rel") || !strcmp(k, "relationship")) {
            if (!s_enum(&rp->rel, cl_rel_parse(v), CL_W_REL, 1, "related rel",
                        v, err, err_len))
                return false;
        } else if (!s_person_field(&rp->person, "related", k, v, err,
                                   err_len)) {
            return false;
        }
    }
    if (!rp->rel) {
        snprintf(err, err_len, "related: rel=... is required");
        return false;
    }
    (*n)++;
    return true;
}

static bool s_related(cl_referral *r, const char *spec, char *err,
                      size_t err_len)
{
    return s_related_into(r->related, &r->n_related, spec, err, err_len);
}

bool cl_fields_person_set(cl_person *p, const char *where, const char *name,
                          const char *value, char *err, size_t err_len)
{
    return s_person_field(p, where, name, value, err, err_len);
}

/* Set one referral field by its name (CSV header or flag, '-' as '_'). */
/* A field's name as typed (a flag's dashes or a CSV header) into name, '-'
 * as '_'; false, saying so in err, if it is too long to be one. */
static bool s_field_name(char name[64], const char *name0, char *err,
                         size_t err_len)
{
    if (!cl_copy(name, 64, name0)) {
        snprintf(err, err_len, "unknown field '%s'", name0);
        return false;
    }
    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    return true;
}

bool cl_fields_set(cl_referral *r, const char *name0, const char *v, char *err,
                   size_t err_len)
{
    char name[64];
    if (!s_field_name(name, name0, err, err_len))
        return false;
    if (!strcmp(name, "agency_reference") || !strcmp(name, "ref"))
        return S_PUT(r->agency_ref, v);
    if (!strcmp(name, "category"))
        return s_enum(&r->category, cl_category_parse(v), CL_W_CATEGORY, 1,
                      name, v, err, err_len);
    if (!strcmp(name, "risk"))
        return !v[0] || s_enum(&r->risk, cl_risk_parse(v), CL_W_RISK, 1, name,
                               v, err, err_len);
    if (!strcmp(name, "concern"))
        return S_PUT(r->concern, v);
    if (!strcmp(name, "occurred_at") || !strcmp(name, "occurred"))
        return !v[0] || cl_fields_time(&r->occurred_at, v, err, err_len);
    if (!strcmp(name, "referrer_name"))
        return S_PUT(r->referrer_name, v);
    if (!strcmp(name, "referrer_role"))
        return S_PUT(r->referrer_role, v);
    if (!strcmp(name, "lawful_basis") || !strcmp(name, "basis"))
        return s_enum(&r->basis, cl_basis_parse(v), CL_W_BASIS, 1, name, v, err,
                      err_len);
    if (!strcmp(name, "consent"))
        return !v[0] || s_enum(&r->consent, cl_consent_parse(v), CL_W_CONSENT,
                               1, name, v, err, err_len);
    if (!strcmp(name, "consent_note"))
        return S_PUT(r->consent_note, v);
    if (!strcmp(name, "feed"))
        return S_PUT(r->feed, v);
    if (!strcmp(name, "feed_seq")) {
        char *e = NULL;
        r->feed_seq = strtoull(v, &e, 10);
        if (!*v || *e) {
            snprintf(err, err_len, "feed_seq must be a whole number");
            return false;
        }
        return true;
    }
    if (!strcmp(name, "ask_mdt")) {
        if (strcmp(v, "yes") && strcmp(v, "no") && v[0]) {
            snprintf(err, err_len, "ask_mdt must be yes or no");
            return false;
        }
        r->ask_mdt = v[0] == 'y';
        return true;
    }
    if (!strcmp(name, "related")) {
        char buf[8192];
        if (!v[0])
            return true;
        if (!cl_copy(buf, sizeof(buf), v)) {
            snprintf(err, err_len, "related is too long");
            return false;
        }
        char *save = NULL;
        for (char *one = strtok_r(buf, "|", &save); one;
             one = strtok_r(NULL, "|", &save))
            if (!s_related(r, one, err, err_len))
                return false;
        return true;
    }
    return s_person_field(&r->subject, "subject", name, v, err, err_len);
}

bool cl_plan_fields_set(cl_plan *p, const char *name0, const char *v, char *err,
                        size_t err_len)
{
    char name[64];
    if (!s_field_name(name, name0, err, err_len))
        return false;
    if (!strcmp(name, "agency_reference") || !strcmp(name, "ref"))
        return S_PUT(p->agency_ref, v);
    if (!strcmp(name, "type"))
        return s_enum(&p->type, cl_plan_type_parse(v), CL_W_PLAN_TYPE, 1, name,
                      v, err, err_len);
    if (!strcmp(name, "category"))
        return !v[0] || s_enum(&p->category, cl_plan_cat_parse(v),
                               CL_W_PLAN_CAT, 1, name, v, err, err_len);
    if (!strcmp(name, "start_date") || !strcmp(name, "start"))
        return s_date(p->start, v, "start_date", err, err_len);
    if (!strcmp(name, "end_date") || !strcmp(name, "end"))
        return s_date(p->end, v, "end_date", err, err_len);
    if (!strcmp(name, "next_review_date") || !strcmp(name, "review"))
        return s_date(p->review, v, "next_review_date", err, err_len);
    if (!strcmp(name, "responsible_authority") || !strcmp(name, "authority"))
        return S_PUT(p->authority, v);
    if (!strcmp(name, "legal_basis"))
        return S_PUT(p->legal_basis, v);
    if (!strcmp(name, "lawful_basis") || !strcmp(name, "basis"))
        return s_enum(&p->basis, cl_basis_parse(v), CL_W_BASIS, 1, name, v, err,
                      err_len);
    if (!strcmp(name, "adult"))
        return s_related_into(p->adults, &p->n_adults, v, err, err_len);
    if (!strncmp(name, "child_", 6))
        return s_person_field(&p->child, "child", name + 6, v, err, err_len);
    snprintf(err, err_len, "unknown field '%s'", name0);
    return false;
}

/* --- the field lists ------------------------------------------------------ */

#define S_PERSON_DOCS(prefix, who)                                             \
    {prefix "nhs_number", prefix "nhs", "N", "NHS number of " who},            \
        {prefix "chi_number", prefix "chi", "N", "CHI number of " who},        \
        {prefix "local_id", NULL, "ID", "your own id for " who},               \
        {prefix "given_names", prefix "given", "TEXT", "given names"},         \
        {prefix "family_name", prefix "family", "TEXT", "family name"},        \
        {prefix "date_of_birth", prefix "dob", "DATE",                         \
         "24/12/1980, 24 Dec 1980 or 1980-12-24"},                             \
        {prefix "sex", NULL, "SEX", "female, male or other"},                  \
        {prefix "address", NULL, "TEXT", "house number and street"},           \
        {prefix "town", NULL, "TEXT", "town"},                                 \
        {prefix "postcode", NULL, "TEXT", "postcode"},                         \
    {                                                                          \
        prefix "uprn", NULL, "N", "unique property reference number"           \
    }

const cl_field_doc cl_person_field_docs[] = {S_PERSON_DOCS("", "the person"),
                                             {NULL, NULL, NULL, NULL}};

const cl_field_doc cl_referral_field_docs[] = {
    {"agency_reference", "ref", "REF", "required: your own reference"},
    {"category", NULL, "CATEGORY",
     "required: child_protection, adult_safeguarding, domestic_abuse, "
     "mental_health, substance_misuse, self_neglect, housing, "
     "antisocial_behaviour, missing_person, school_attendance, frailty, "
     "other"},
    {"lawful_basis", "basis", "BASIS",
     "required: public_task_social_care, public_task_public_interest, "
     "dpa_safeguarding, legal_obligation, consent, vital_interests"},
    {"consent", NULL, "CONSENT",
     "given, refused or not_sought (refused and not_sought need "
     "consent_note)"},
    {"consent_note", NULL, "TEXT", "why consent was refused or not sought"},
    {"risk", NULL, "RISK", "low, medium, high or immediate"},
    {"concern", NULL, "TEXT", "what happened, in your words"},
    {"occurred_at", "occurred", "TIME",
     "when it happened: 15/07/2026 09:30 (London time), "
     "2026-07-15T08:30Z or 2026-07-15T09:30+01:00"},
    {"referrer_name", NULL, "TEXT", "who referred"},
    {"referrer_role", NULL, "TEXT", "their role"},
    {"feed", NULL, "NAME", "the feed this referral comes from"},
    {"feed_seq", NULL, "N", "its number in the feed (1, 2, 3 ...)"},
    {"ask_mdt", NULL, "yes|no",
     "yes: ask for the extended MDT (the referral comes to the "
     "coordinators' intake queue)"},
    {"related", NULL, "SPEC",
     "a related person (repeatable; in CSV separate people with |): "
     "rel=parent;given=Sarah;family=Jones;dob=14/03/1988;nhs=... where rel "
     "is what they are to the subject: parent, child, carer, cared_for, "
     "household_member, partner, sibling"},
    S_PERSON_DOCS("", "the subject"),
    {NULL, NULL, NULL, NULL}};

const cl_field_doc cl_plan_field_docs[] = {
    {"agency_reference", "ref", "REF", "required: your own reference"},
    {"type", NULL, "TYPE",
     "child_protection_plan, looked_after_child or "
     "unborn_child_protection_plan"},
    {"category", NULL, "CATEGORY",
     "neglect, physical_abuse, emotional_abuse, sexual_abuse or multiple"},
    {"start_date", "start", "DATE", "when the plan started"},
    {"end_date", "end", "DATE", "when it ended (empty while in force)"},
    {"next_review_date", "review", "DATE", "its next review"},
    {"responsible_authority", "authority", "NAME", "who holds the plan"},
    {"legal_basis", NULL, "TEXT", "e.g. Children Act 1989 s47"},
    {"lawful_basis", "basis", "BASIS", "as for referrals"},
    {"adult", NULL, "SPEC",
     "an adult around the child (repeatable): rel=parent;given=..;family=.."},
    S_PERSON_DOCS("child_", "the child"),
    {NULL, NULL, NULL, NULL}};

bool cl_fields_known(const cl_field_doc *docs, const char *flag)
{
    char f[64];
    if (!cl_copy(f, sizeof(f), flag))
        return false;
    for (char *c = f; *c; c++)
        if (*c == '-')
            *c = '_';
    for (const cl_field_doc *d = docs; d->name; d++)
        if (!strcmp(f, d->name) || (d->alias && !strcmp(f, d->alias)))
            return true;
    return false;
}
