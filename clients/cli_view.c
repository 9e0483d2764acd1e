/*
 * cli_view: a person's linked case view and agency records as text and as
 * JSON, for every command that shows one (person show, review show, match
 * list, links export, subject access). Calls only cli.c's helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_json.h"
#include "fields.h"

/* "Jane Smith", or "(no name recorded)". */
const char *cli_person_name(char out[2 * CL_NAME_SZ + 2], const char *given,
                            const char *family)
{
    snprintf(out, 2 * CL_NAME_SZ + 2, "%s%s%s", given,
             given[0] && family[0] ? " " : "", family);
    if (!out[0])
        snprintf(out, 2 * CL_NAME_SZ + 2, "(no name recorded)");
    return out;
}

/* Agencies that know the person, those whose records are about them
 * apart from those that only mentioned them (in someone else's
 * referral). */
void cli_print_known(const char *lead, const char *none, size_t n,
                     const char (*known)[CL_AGENCY_SZ], size_t n_m,
                     const char (*mentioned)[CL_AGENCY_SZ])
{
    size_t subj = 0;
    for (size_t i = 0; i < n; i++) {
        bool m = false;
        for (size_t j = 0; j < n_m && !m; j++)
            m = !strcmp(known[i], mentioned[j]);
        if (!m)
            printf("%s%s", subj++ ? ", " : lead, known[i]);
    }
    if (!subj)
        printf("%s%s", none, n_m ? "" : "no agency");
    for (size_t j = 0; j < n_m; j++)
        printf("%s%s",
               j      ? ", "
               : subj ? "; only mentioned by "
                      : "only mentioned by ",
               mentioned[j]);
}

void cli_print_view(const cli_conn *cn, const cl_person_view *v)
{
    char d1[CL_WHEN_SHOW_SZ], d2[CL_WHEN_SHOW_SZ], nm[2 * CL_NAME_SZ + 2];
    printf("Person %s\n", v->person_id);
    for (size_t i = 0; i < v->n_plans; i++) {
        const cl_plan_flag *f = &v->plans[i];
        char who[600];
        if (!strcmp(f->via, "self"))
            snprintf(who, sizeof(who), "This person");
        else if (f->child_pid[0])
            snprintf(who, sizeof(who), "%s (%s, %s of this person)",
                     cli_person_name(nm, f->given, f->family), f->child_pid,
                     f->via);
        else
            snprintf(who, sizeof(who), "An %s", f->via);
        cli_dob(cn, d1, f->start);
        cli_dob(cn, d2, f->end);
        printf("  %s %s: %s is on a %s%s%s since %s, %s%s%s\n",
               f->active ? "!!" : "--",
               f->active ? "CHILD PROTECTION" : "ENDED PLAN", who,
               cl_words(CL_W_PLAN_TYPE, f->type), f->category ? " for " : "",
               f->category ? cl_words(CL_W_PLAN_CAT, f->category) : "", d1,
               f->authority, f->end[0] ? ", ended " : "", f->end[0] ? d2 : "");
        if (f->active && (f->review[0] || f->legal_basis[0])) {
            cli_dob(cn, d1, f->review);
            printf("     next review %s%s%s\n", f->review[0] ? d1 : "not set",
                   f->legal_basis[0] ? "; " : "", f->legal_basis);
        }
    }
    printf("  Known to %zu agenc%s", v->n_known, v->n_known == 1 ? "y" : "ies");
    cli_print_known(": about them: ", ": ", v->n_known,
                    (const char(*)[CL_AGENCY_SZ])v->known_to, v->n_mentioned,
                    (const char(*)[CL_AGENCY_SZ])v->mentioned_by);
    printf("\n\nRecords\n");
    for (size_t i = 0; i < v->n_records; i++) {
        const cl_agency_record *a = &v->records[i];
        const cl_person *p = &a->person;
        printf("  %s %s (%s): %s", a->record_id, a->agency,
               cl_words_agency_kind(a->kind),
               cli_person_name(nm, p->given, p->family));
        if (p->dob[0]) {
            cli_dob(cn, d1, p->dob);
            printf(", born %s", d1);
        }
        if (p->sex)
            printf(", %s", cl_words(CL_W_SEX, p->sex));
        if (p->nhs[0])
            printf(", NHS %s", p->nhs);
        if (p->chi[0])
            printf(", CHI %s", p->chi);
        if (p->postcode[0])
            printf(", %s", p->postcode);
        if (p->local_id[0])
            printf(", their id %s", p->local_id);
        printf("\n    linked: %s", cl_words(CL_W_LINK, a->link_reason));
        if (a->link_reason == CL_LINK_SCORE)
            printf(" (match weight %.1f)", a->link_score);
        printf("\n");
    }
    if (v->n_related) {
        printf("\nPeople around them\n");
        for (size_t i = 0; i < v->n_related; i++) {
            const cl_related_view *r = &v->related[i];
            if (r->depth == 2)
                printf("    %s  %s of %s: %s", r->person_id,
                       cl_words(CL_W_REL, r->rel), r->via_pid,
                       cli_person_name(nm, r->given, r->family));
            else
                printf("  %s  %s: %s", r->person_id, cl_words(CL_W_REL, r->rel),
                       cli_person_name(nm, r->given, r->family));
            if (r->dob[0]) {
                cli_dob(cn, d1, r->dob);
                printf(", born %s", d1);
            }
            printf("  (%s %s)", r->inferred ? "inferred from" : "stated by",
                   r->asserted_by);
            if (r->n_known)
                cli_print_known("; known to ", "; ", r->n_known,
                                (const char(*)[CL_AGENCY_SZ])r->known_to,
                                r->n_mentioned,
                                (const char(*)[CL_AGENCY_SZ])r->mentioned_by);
            printf("\n");
        }
    }
    printf("\nReferrals, oldest first (%zu)\n", v->n_referrals);
    for (size_t i = 0; i < v->n_referrals; i++) {
        const cl_referral_view *r = &v->referrals[i];
        cli_time(cn, d1, r->occurred_at);
        cli_time(cn, d2, r->received_at);
        printf("  %s  %s, %s, %s\n", r->reference, r->agency,
               cl_words(CL_W_CATEGORY, r->category),
               cl_words(CL_W_RISK, r->risk));
        printf("      happened %s; received %s\n",
               r->occurred_at ? d1 : "(not given)", d2);
        if (r->concern && r->concern[0])
            printf("      \"%s\"\n", r->concern);
        char by[2 * CL_NAME_SZ + 4];
        cli_referrer(by, r->referrer_name, r->referrer_role);
        printf("      referred by %s; %s; %s%s%s\n",
               by[0] ? by : "(referrer not given)",
               cl_words(CL_W_BASIS, r->basis),
               cl_words(CL_W_CONSENT, r->consent),
               r->consent_note && r->consent_note[0] ? ": " : "",
               r->consent_note ? r->consent_note : "");
        cli_time(cn, d1, r->status_at);
        printf("      %s", cl_words(CL_W_REFSTAT, r->status));
        if (r->status_at)
            printf(" (%s, %s)", r->status_by, d1);
        if (r->outcome)
            printf(": %s", cl_words(CL_W_OUTCOME, r->outcome));
        if (r->status_reason[0])
            printf(": %s", r->status_reason);
        printf("\n");
    }
}

void cli_print_record(const cli_conn *cn, const char *label,
                      const cl_agency_record *a, const char *pid)
{
    const cl_person *p = &a->person;
    char nm[2 * CL_NAME_SZ + 2], born[CL_WHEN_SHOW_SZ];
    cli_dob(cn, born, p->dob);
    printf("    %-9s %s %s (%s, %s): %s, born %s, %s, %s%s%s\n", label,
           a->record_id, pid, a->agency, cl_words_agency_kind(a->kind),
           cli_person_name(nm, p->given, p->family), p->dob[0] ? born : "?",
           p->postcode[0] ? p->postcode : "?", cl_words(CL_W_SEX, p->sex),
           p->nhs[0] ? ", NHS " : "", p->nhs);
}

/* --- JSON rows (--json, subject access) ---------------------------------- */

const cli_jrow cli_person_jrows[] = {
    CLI_JS(cl_person, "nhs_number", nhs),
    CLI_JS(cl_person, "chi_number", chi),
    CLI_JS(cl_person, "local_id", local_id),
    CLI_JS(cl_person, "given_names", given),
    CLI_JS(cl_person, "family_name", family),
    CLI_JS(cl_person, "date_of_birth", dob),
    CLI_JN(cl_person, "sex", sex, cl_sex_name),
    CLI_JS(cl_person, "address", address),
    CLI_JS(cl_person, "town", town),
    CLI_JS(cl_person, "postcode", postcode),
    CLI_JS(cl_person, "uprn", uprn),
    CLI_JEND,
};

static const cli_jrow s_status_jrows[] = {
    CLI_JT(cl_referral_view, "status_at", status_at),
    CLI_JS(cl_referral_view, "status_by", status_by),
    CLI_JS(cl_referral_view, "status_reason", status_reason),
    CLI_JEND,
};

const cli_jrow cli_referral_jrows[] = {
    CLI_JS(cl_referral_view, "reference", reference),
    CLI_JS(cl_referral_view, "agency", agency),
    CLI_JS(cl_referral_view, "agency_reference", agency_ref),
    CLI_JN(cl_referral_view, "category", category, cl_category_name),
    CLI_JN(cl_referral_view, "risk", risk, cl_risk_name),
    CLI_JP(cl_referral_view, "concern", concern),
    CLI_JT(cl_referral_view, "occurred_at", occurred_at),
    CLI_JT(cl_referral_view, "received_at", received_at),
    CLI_JS(cl_referral_view, "referrer_name", referrer_name),
    CLI_JS(cl_referral_view, "referrer_role", referrer_role),
    CLI_JN(cl_referral_view, "lawful_basis", basis, cl_basis_name),
    CLI_JN(cl_referral_view, "consent", consent, cl_consent_name),
    CLI_JP(cl_referral_view, "consent_note", consent_note),
    CLI_JN(cl_referral_view, "status", status, cl_refstat_name),
    CLI_JIF(cl_referral_view, status_at, s_status_jrows),
    CLI_JB(cl_referral_view, "withdrawn", withdrawn),
    CLI_JU(cl_referral_view, "version", version),
    CLI_JEND,
};

/* One agency's record of a person (s_record_id_jrows: its R... id
 * first). */
static const cli_jrow s_record_jrows[] = {
    CLI_JS(cl_agency_record, "agency", agency),
    CLI_JS(cl_agency_record, "agency_kind", kind),
    CLI_JN(cl_agency_record, "linked_by", link_reason, cl_link_name),
    CLI_JR(cl_agency_record, "link_score", link_score, 2),
    CLI_JO(cl_agency_record, "person", person, cli_person_jrows),
    CLI_JEND,
};
static const cli_jrow s_record_id_jrows[] = {
    CLI_JS(cl_agency_record, "record_id", record_id),
    CLI_JSUB(s_record_jrows),
    CLI_JEND,
};

static const cli_jrow s_plan_jrows[] = {
    CLI_JS(cl_plan_flag, "child_person_id", child_pid),
    CLI_JS(cl_plan_flag, "via", via),
    CLI_JN(cl_plan_flag, "type", type, cl_plan_type_name),
    CLI_JN(cl_plan_flag, "category", category, cl_plan_cat_name),
    CLI_JS(cl_plan_flag, "start_date", start),
    CLI_JS(cl_plan_flag, "end_date", end),
    CLI_JS(cl_plan_flag, "responsible_authority", authority),
    CLI_JB(cl_plan_flag, "active", active),
    CLI_JEND,
};

static const cli_jrow s_related_jrows[] = {
    CLI_JS(cl_related_view, "person_id", person_id),
    CLI_JN(cl_related_view, "relationship", rel, cl_rel_name),
    CLI_JS(cl_related_view, "given_names", given),
    CLI_JS(cl_related_view, "family_name", family),
    CLI_JS(cl_related_view, "date_of_birth", dob),
    CLI_JS(cl_related_view, "stated_by", asserted_by),
    CLI_JU(cl_related_view, "depth", depth),
    CLI_JB(cl_related_view, "inferred", inferred),
    CLI_JL(cl_related_view, "known_to", known_to, n_known),
    CLI_JL(cl_related_view, "mentioned_by", mentioned_by, n_mentioned),
    CLI_JEND,
};

/* A case view's records (each with its id) and referrals. */
static const cli_jrow s_view_records_jrows[] = {
    CLI_JAP(cl_person_view, "records", records, n_records, s_record_id_jrows),
    CLI_JAP(cl_person_view, "referrals", referrals, n_referrals,
            cli_referral_jrows),
    CLI_JEND,
};
const cli_jrow cli_view_records_noid_jrows[] = {
    CLI_JAP(cl_person_view, "records", records, n_records, s_record_jrows),
    CLI_JAP(cl_person_view, "referrals", referrals, n_referrals,
            cli_referral_jrows),
    CLI_JEND,
};

static const cli_jrow s_view_jrows[] = {
    CLI_JS(cl_person_view, "person_id", person_id),
    CLI_JLP(cl_person_view, "known_to", known_to, n_known),
    CLI_JLP(cl_person_view, "mentioned_by", mentioned_by, n_mentioned),
    CLI_JAP(cl_person_view, "plans", plans, n_plans, s_plan_jrows),
    CLI_JSUB(s_view_records_jrows),
    CLI_JAP(cl_person_view, "related", related, n_related, s_related_jrows),
    CLI_JEND,
};

void cli_json_view(const cl_person_view *v)
{
    cli_json_obj(v, s_view_jrows);
    putchar('\n');
}

void cli_json_person(const cl_person *p)
{
    cli_json_obj(p, cli_person_jrows);
}

void cli_json_referral(const cl_referral_view *r)
{
    cli_json_obj(r, cli_referral_jrows);
}

void cli_json_record(const cl_agency_record *r, bool with_id)
{
    cli_json_obj(r, with_id ? s_record_id_jrows : s_record_jrows);
}

void cli_json_records(const cl_person_view *v, bool with_ids)
{
    unsigned n = 0;
    cli_json_fields(
        v, with_ids ? s_view_records_jrows : cli_view_records_noid_jrows, &n);
}
