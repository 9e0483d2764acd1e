/*
 * cli_view: a person's linked case view and agency records as text and as
 * JSON, for every command that shows one (person show, review show, match
 * list, links export, subject access). Calls only cli.c's helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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

void cli_json_person(const cl_person *p)
{
    printf("{");
    cli_jkv("nhs_number", p->nhs, true);
    cli_jkv("chi_number", p->chi, true);
    cli_jkv("local_id", p->local_id, true);
    cli_jkv("given_names", p->given, true);
    cli_jkv("family_name", p->family, true);
    cli_jkv("date_of_birth", p->dob, true);
    cli_jkv("sex", cl_sex_name(p->sex), true);
    cli_jkv("address", p->address, true);
    cli_jkv("town", p->town, true);
    cli_jkv("postcode", p->postcode, true);
    cli_jkv("uprn", p->uprn, false);
    printf("}");
}

void cli_json_names(const char *key, uint32_t n, const char (*v)[CL_AGENCY_SZ])
{
    cli_jstr(key);
    printf(":[");
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            putchar(',');
        cli_jstr(v[i]);
    }
    printf("]");
}

void cli_json_referral(const cl_referral_view *r)
{
    printf("{");
    cli_jkv("reference", r->reference, true);
    cli_jkv("agency", r->agency, true);
    cli_jkv("agency_reference", r->agency_ref, true);
    cli_jkv("category", cl_category_name(r->category), true);
    cli_jkv("risk", cl_risk_name(r->risk), true);
    cli_jkv("concern", r->concern ? r->concern : "", true);
    printf("\"occurred_at\":%lld,\"received_at\":%lld,",
           (long long)r->occurred_at, (long long)r->received_at);
    cli_jkv("referrer_name", r->referrer_name, true);
    cli_jkv("referrer_role", r->referrer_role, true);
    cli_jkv("lawful_basis", cl_basis_name(r->basis), true);
    cli_jkv("consent", cl_consent_name(r->consent), true);
    cli_jkv("consent_note", r->consent_note ? r->consent_note : "", true);
    cli_jkv("status", cl_refstat_name(r->status), true);
    if (r->status_at) {
        printf("\"status_at\":%lld,", (long long)r->status_at);
        cli_jkv("status_by", r->status_by, true);
        cli_jkv("status_reason", r->status_reason, true);
    }
    printf("\"withdrawn\":%s,\"version\":%u}", r->withdrawn ? "true" : "false",
           r->version);
}

/* "records":[...],"referrals":[...] of a case view (with_ids: each
 * record's id too, for split). */
void cli_json_record(const cl_agency_record *r, bool with_id)
{
    printf("{");
    if (with_id)
        cli_jkv("record_id", r->record_id, true);
    cli_jkv("agency", r->agency, true);
    cli_jkv("agency_kind", r->kind, true);
    cli_jkv("linked_by", cl_link_name(r->link_reason), true);
    printf("\"link_score\":%.2f,\"person\":", r->link_score);
    cli_json_person(&r->person);
    printf("}");
}

void cli_json_records(const cl_person_view *v, bool with_ids)
{
    printf("\"records\":[");
    for (size_t i = 0; i < v->n_records; i++) {
        if (i)
            putchar(',');
        cli_json_record(&v->records[i], with_ids);
    }
    printf("],\"referrals\":[");
    for (size_t i = 0; i < v->n_referrals; i++) {
        if (i)
            putchar(',');
        cli_json_referral(&v->referrals[i]);
    }
    printf("]");
}

void cli_json_view(const cl_person_view *v)
{
    printf("{");
    cli_jkv("person_id", v->person_id, true);
    cli_json_names("known_to", (uint32_t)v->n_known,
                   (const char(*)[CL_AGENCY_SZ])v->known_to);
    putchar(',');
    cli_json_names("mentioned_by", (uint32_t)v->n_mentioned,
                   (const char(*)[CL_AGENCY_SZ])v->mentioned_by);
    printf(",\"plans\":[");
    for (size_t i = 0; i < v->n_plans; i++) {
        const cl_plan_flag *f = &v->plans[i];
        printf("%s{", i ? "," : "");
        cli_jkv("child_person_id", f->child_pid, true);
        cli_jkv("via", f->via, true);
        cli_jkv("type", cl_plan_type_name(f->type), true);
        cli_jkv("category", cl_plan_cat_name(f->category), true);
        cli_jkv("start_date", f->start, true);
        cli_jkv("end_date", f->end, true);
        cli_jkv("responsible_authority", f->authority, true);
        printf("\"active\":%s}", f->active ? "true" : "false");
    }
    printf("],");
    cli_json_records(v, true);
    printf(",\"related\":[");
    for (size_t i = 0; i < v->n_related; i++) {
        const cl_related_view *r = &v->related[i];
        printf("%s{", i ? "," : "");
        cli_jkv("person_id", r->person_id, true);
        cli_jkv("relationship", cl_rel_name(r->rel), true);
        cli_jkv("given_names", r->given, true);
        cli_jkv("family_name", r->family, true);
        cli_jkv("date_of_birth", r->dob, true);
        cli_jkv("stated_by", r->asserted_by, true);
        printf("\"depth\":%u,\"inferred\":%s,", r->depth,
               r->inferred ? "true" : "false");
        cli_json_names("known_to", r->n_known,
                       (const char(*)[CL_AGENCY_SZ])r->known_to);
        putchar(',');
        cli_json_names("mentioned_by", r->n_mentioned,
                       (const char(*)[CL_AGENCY_SZ])r->mentioned_by);
        printf("}");
    }
    printf("]}\n");
}
