/*
 * cl_model: validation and naming for the plain C wire model.
 *
 * Pure functions over caller-owned structs; no allocation except the person
 * view arrays freed here. Never logs (it cannot know what is personal).
 */
#include "cl_model.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "cl_text.h"

bool cl_referral_view_texts(cl_referral_view *v, const char *concern,
                            const char *consent_note)
{
    cl_referral_view_free(v);
    v->concern = strdup(concern ? concern : "");
    v->consent_note = strdup(consent_note ? consent_note : "");
    return v->concern && v->consent_note;
}

void cl_referral_view_free(cl_referral_view *v)
{
    free(v->concern);
    free(v->consent_note);
    v->concern = v->consent_note = NULL;
}

void cl_person_view_clear(cl_person_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; v->referrals && i < v->n_referrals; i++)
        cl_referral_view_free(&v->referrals[i]);
    free(v->records);
    free(v->referrals);
    free(v->related);
    free(v->known_to);
    free(v->mentioned_by);
    free(v->plans);
    memset(v, 0, sizeof(*v));
}

void cl_audit_entries_clear(cl_audit_entries *e)
{
    if (!e)
        return;
    free(e->v);
    memset(e, 0, sizeof(*e));
}

void cl_request_summary_clear(cl_request_summary *q)
{
    for (uint32_t i = 0; q && i < q->n_agencies && i < CL_REVIEW_AGENCIES;
         i++) {
        cl_request_state *a = &q->agencies[i];
        if (a->earlier)
            explicit_bzero(a->earlier, a->n_earlier * sizeof(*a->earlier));
        free(a->earlier);
        a->earlier = NULL;
        a->n_earlier = 0;
    }
}

void cl_request_summaries_clear(cl_request_summaries *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->v && i < s->n; i++)
        cl_request_summary_clear(&s->v[i]);
    if (s->v)
        explicit_bzero(s->v, s->n * sizeof(*s->v));
    free(s->v);
    memset(s, 0, sizeof(*s));
}

void cl_subject_access_clear(cl_subject_access *s)
{
    if (!s)
        return;
    cl_person_view_clear(&s->person);
    for (size_t i = 0; s->history && i < s->n_history; i++)
        cl_referral_view_free(&s->history[i].referral);
    free(s->history);
    if (s->record_history)
        explicit_bzero(s->record_history,
                       s->n_record_history * sizeof(*s->record_history));
    free(s->record_history);
    cl_audit_entries_clear(&s->audit);
    if (s->agenda)
        explicit_bzero(s->agenda, s->n_agenda * sizeof(*s->agenda));
    free(s->agenda);
    if (s->actions.v)
        explicit_bzero(s->actions.v, s->actions.n * sizeof(*s->actions.v));
    free(s->actions.v);
    if (s->rag.v)
        explicit_bzero(s->rag.v, s->rag.n * sizeof(*s->rag.v));
    free(s->rag.v);
    free(s->measures);
    if (s->intake.v)
        explicit_bzero(s->intake.v, s->intake.n * sizeof(*s->intake.v));
    free(s->intake.v);
    cl_request_summaries_clear(&s->requests);
    memset(s, 0, sizeof(*s));
}

/* Each kind's Reply result, from cl_requests.def: a kind whose result
 * is a PublishResult (every write) uses only u.publish, so clearing it
 * need not touch the whole union (21 KB, for admin stats). */
static const char *const s_results[CL_REQ_KIND_COUNT] = {
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = #RESULT,
#include "cl_requests.def"
#undef CL_REQ
};

/* The bytes of a reply's union that kind's handler can have written; the
 * whole union for a kind not known (a reply decoded from the wire, a
 * refusal before any handler ran). */
static size_t s_reply_used(cl_req_kind kind)
{
    if ((unsigned)kind < CL_REQ_KIND_COUNT && s_results[kind] &&
        !strcmp(s_results[kind], "PUBLISH"))
        return sizeof(cl_publish_result);
    return sizeof(((cl_reply *)0)->u);
}

void cl_reply_clear(cl_reply *r)
{
    if (!r)
        return;
    if (r->kind == CL_REQ_GET_PERSON)
        cl_person_view_clear(&r->u.person);
    else if (r->kind == CL_REQ_AUDIT_SEARCH)
        cl_audit_entries_clear(&r->u.entries);
    else if (r->kind == CL_REQ_SUBJECT_ACCESS)
        cl_subject_access_clear(&r->u.subject);
    else if (r->kind == CL_REQ_REVIEW_LIST)
        free(r->u.reviews.v);
    else if (r->kind == CL_REQ_LINKS_EXPORT)
        free(r->u.links.v);
    else if (r->kind == CL_REQ_FIND_PERSON)
        free(r->u.candidates.v);
    else if (r->kind == CL_REQ_CASE_FINDING) {
        free(r->u.finding.users);
        free(r->u.finding.overlap);
    } else if (r->kind == CL_REQ_INBOX_RECEIVE) {
        if (r->u.deliveries.v)
            explicit_bzero(r->u.deliveries.v,
                           r->u.deliveries.n * sizeof(*r->u.deliveries.v));
        free(r->u.deliveries.v);
    } else if (r->kind == CL_REQ_REQUEST_LIST) {
        cl_request_summaries_clear(&r->u.requests);
    } else if (r->kind == CL_REQ_LIST_ACTIONS) {
        if (r->u.actions.v)
            explicit_bzero(r->u.actions.v,
                           r->u.actions.n * sizeof(*r->u.actions.v));
        free(r->u.actions.v);
    } else if (r->kind == CL_REQ_RAG_HISTORY) {
        if (r->u.rags.v)
            explicit_bzero(r->u.rags.v, r->u.rags.n * sizeof(*r->u.rags.v));
        free(r->u.rags.v);
    } else if (r->kind == CL_REQ_REPORT)
        cl_report_clear(&r->u.report);
    else if (r->kind == CL_REQ_REVIEW_PACK)
        cl_review_pack_clear(&r->u.pack);
    else if (r->kind == CL_REQ_ADMIN_FEEDS)
        free(r->u.feeds.v);
    else if (r->kind == CL_REQ_REFERRAL_LIST) {
        if (r->u.ref_rows.v)
            explicit_bzero(r->u.ref_rows.v,
                           r->u.ref_rows.n * sizeof(*r->u.ref_rows.v));
        free(r->u.ref_rows.v);
    } else if (r->kind == CL_REQ_MDT_LIST)
        free(r->u.mdt_rows.v);
    else if (r->kind == CL_REQ_INTAKE_LIST) {
        if (r->u.intake.v)
            explicit_bzero(r->u.intake.v,
                           r->u.intake.n * sizeof(*r->u.intake.v));
        free(r->u.intake.v);
    } else if (r->kind == CL_REQ_FLAG_DISCLOSURES) {
        if (r->u.flag_log.v)
            explicit_bzero(r->u.flag_log.v,
                           r->u.flag_log.n * sizeof(*r->u.flag_log.v));
        free(r->u.flag_log.v);
    }
    memset(r, 0, offsetof(cl_reply, u) + s_reply_used(r->kind));
}

/* The bytes of a request's body that decoding (or a handler) can have
 * written: a referral's related people past n_related never are (its
 * decoder counts them first and refuses more than CL_RELATED_MAX). */
static size_t s_request_used(const cl_request *r)
{
    const cl_referral *p = &r->u.publish;
    if (r->kind != CL_REQ_PUBLISH_REFERRAL || p->n_related > CL_RELATED_MAX)
        return sizeof(r->u);
    return offsetof(cl_referral, related) + p->n_related * sizeof(cl_related);
}

_Static_assert(offsetof(cl_referral, referrer_name) ==
                   offsetof(cl_referral, related) +
                       sizeof(((cl_referral *)0)->related),
               "related[] is followed by referrer_name, the tail wiped");

void cl_request_wipe(cl_request *r)
{
    size_t used = s_request_used(r);
    if (used < sizeof(r->u)) { /* the referral's fields after related[] */
        uint8_t *tail =
            (uint8_t *)&r->u.publish + offsetof(cl_referral, referrer_name);
        explicit_bzero(tail, sizeof(cl_referral) -
                                 offsetof(cl_referral, referrer_name));
    }
    explicit_bzero(r, offsetof(cl_request, u) + used);
}

static bool s_all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Modulus 11 over the first nine digits, weights 10..2. */
static bool s_mod11(const char *s)
{
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (s[i] - '0') * (10 - i);
    int check = 11 - (sum % 11);
    if (check == 11)
        check = 0;
    if (check == 10)
        return false;
    return check == s[9] - '0';
}

/* Ten digits all the same (0000000000, 1111111111): they pass modulus 11
 * but are placeholders for "not known", never anyone's number. */
static bool s_placeholder(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p != s[0])
            return false;
    return true;
}

bool cl_nhs_valid(const char *s)
{
    return s_all_digits(s, 10) && s_mod11(s) && !s_placeholder(s);
}

static bool s_ymd_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

bool cl_chi_valid(const char *s)
{
    if (!s_all_digits(s, 10))
        return false;
    int d = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[2] - '0') * 10 + (s[3] - '0');
    int y = (s[4] - '0') * 10 + (s[5] - '0');
    /* The century is not in the number; 2000 is a leap year, so any
     * 29 February is accepted here. */
    return s_ymd_valid(2000 + y, m, d) && s_mod11(s) && !s_placeholder(s);
}

bool cl_date_valid(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    return y >= 1880 && y <= 2200 && s_ymd_valid(y, m, d);
}

bool cl_digits_normalise(char *s)
{
    size_t o = 0;
    bool clean = true;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            s[o++] = s[i];
        else if (s[i] != ' ' && s[i] != '-')
            clean = false;
    }
    s[o] = '\0';
    return clean;
}

void cl_postcode_normalise(char *s)
{
    char tmp[CL_POSTCODE_SZ];
    size_t n = 0;
    for (size_t i = 0; s[i] && n < sizeof(tmp) - 1; i++)
        if (!isspace((unsigned char)s[i]))
            tmp[n++] = (char)toupper((unsigned char)s[i]);
    tmp[n] = '\0';
    /* UK postcodes: outward code (2-4 chars) + inward code (digit, 2
     * letters). */
    bool uk = n >= 5 && n <= 7 && isdigit((unsigned char)tmp[n - 3]) &&
              isalpha((unsigned char)tmp[n - 2]) &&
              isalpha((unsigned char)tmp[n - 1]) &&
              isalpha((unsigned char)tmp[0]);
    if (uk)
        snprintf(s, CL_POSTCODE_SZ, "%.*s %s", (int)(n - 3), tmp, tmp + n - 3);
    else
        memcpy(s, tmp, n + 1);
}

static void s_warn(cl_publish_result *w, const char *msg)
{
    if (w && w->n_warnings < CL_WARNINGS_MAX)
        CL_COPY(w->warnings[w->n_warnings++], msg);
}

/* A person's text fields, as the .proto names them. */
static const struct {
    const char *name;
    size_t off;
    bool id; /* compared as sent: refused, never changed */
} s_person_text[] = {
    {"local_id", offsetof(cl_person, local_id), true},
    {"given_names", offsetof(cl_person, given), false},
    {"family_name", offsetof(cl_person, family), false},
    {"address", offsetof(cl_person, address), false},
    {"town", offsetof(cl_person, town), false},
    {"postcode", offsetof(cl_person, postcode), false},
};

/* A person's text (cl_text.h): a control character is refused; an
 * invisible character is taken out of a name, an address or a town (one
 * warning for the person: a name copied from a document can carry one,
 * and the rest of it still says who they are) but refused in a local id
 * (taken out, two ids would become one); a name of blanks is no name. */
static int s_person_texts(cl_person *p, const char *where,
                          char err[CL_ERROR_SZ], cl_publish_result *warn)
{
    const char *removed = NULL;
    for (size_t i = 0; i < sizeof(s_person_text) / sizeof(s_person_text[0]);
         i++) {
        char *v = (char *)p + s_person_text[i].off;
        bool gone = false;
        cl_text_rc rc =
            s_person_text[i].id ? cl_text_id_check(v) : cl_text_clean(v, &gone);
        static const char *const why[] = {
            [CL_TEXT_CONTROL] = "holds a control character: send the text "
                                "alone",
            [CL_TEXT_HIDDEN] = "holds an invisible character or a space "
                               "other than a plain one: send the id as your "
                               "system shows it",
            [CL_TEXT_BLANK] = "is blank: send the id, or leave it out",
        };
        if (rc != CL_TEXT_OK) {
            snprintf(err, CL_ERROR_SZ, "%s.%s %s", where, s_person_text[i].name,
                     why[rc]);
            return CL_ERR_INVALID;
        }
        if (gone && !removed)
            removed = s_person_text[i].name;
    }
    if (removed) {
        char msg[CL_WARNING_SZ];
        snprintf(msg, sizeof(msg),
                 "%.40s.%s: invisible characters (direction marks, "
                 "zero-width spaces) were taken out",
                 where, removed);
        s_warn(warn, msg);
    }
    return CL_OK;
}

/* A UPRN as given: digits, spaces between them allowed ("-1", the
 * placeholder some systems send for "unknown", is no UPRN: with the sign
 * dropped it would be property 1, and everyone sent with it one
 * household). */
static bool s_uprn_ok(const char *u)
{
    bool digit = false;
    for (; *u; u++) {
        if (*u >= '0' && *u <= '9')
            digit = true;
        else if (*u != ' ')
            return false;
    }
    return digit;
}

/* Normalise and check one person; where is its field path from the
 * referral or plan ("subject", "related[0].person"). */
static int s_person_check(cl_person *p, const char *where, bool need_id,
                          char err[CL_ERROR_SZ], cl_publish_result *warn)
{
    char msg[CL_WARNING_SZ];
    int trc = s_person_texts(p, where, err, warn);
    if (trc != CL_OK)
        return trc;
    if (p->sex > CL_SEX_MAX) {
        snprintf(err, CL_ERROR_SZ, "%s.sex: out of range (0 to %d)", where,
                 CL_SEX_MAX);
        return CL_ERR_INVALID;
    }
    if (p->dob[0] && !cl_date_valid(p->dob)) {
        snprintf(err, CL_ERROR_SZ,
                 "%s.date_of_birth: must be a real date as YYYY-MM-DD", where);
        return CL_ERR_INVALID;
    }
    if (p->nhs[0] && (!cl_digits_normalise(p->nhs) || !cl_nhs_valid(p->nhs))) {
        snprintf(msg, sizeof(msg),
                 "%.22s: NHS number is not valid (check digit fails, or a "
                 "placeholder such as 0000000000); not used for matching",
                 where);
        s_warn(warn, msg);
        p->nhs[0] = '\0';
    }
    if (p->chi[0] && (!cl_digits_normalise(p->chi) || !cl_chi_valid(p->chi))) {
        snprintf(msg, sizeof(msg),
                 "%s: CHI number is not valid; not used for matching", where);
        s_warn(warn, msg);
        p->chi[0] = '\0';
    }
    if (p->uprn[0] && (!s_uprn_ok(p->uprn) || !cl_digits_normalise(p->uprn))) {
        snprintf(err, CL_ERROR_SZ,
                 "%s.uprn: must be digits (up to 12; leave it out when the "
                 "property is not known, rather than sending -1)",
                 where);
        return CL_ERR_INVALID;
    }
    /* 000000000001 is property 1; all zeros is the placeholder for none
     * (kept, everyone sent with it would be one household) */
    size_t z = strspn(p->uprn, "0");
    memmove(p->uprn, p->uprn + z, strlen(p->uprn + z) + 1);
    if (z && !p->uprn[0]) {
        snprintf(msg, sizeof(msg),
                 "%.40s.uprn: all zeros is no property; not used", where);
        s_warn(warn, msg);
    }
    cl_postcode_normalise(p->postcode);
    bool named = p->family[0] && (p->given[0] || p->dob[0]);
    if (need_id && !p->nhs[0] && !p->chi[0] && !p->local_id[0] && !named) {
        snprintf(err, CL_ERROR_SZ,
                 "%s: give an NHS or CHI number, a local id, or a family name "
                 "with given names or date of birth",
                 where);
        return CL_ERR_INVALID;
    }
    return CL_OK;
}

/* An agency's own reference: required, with no control or invisible
 * character and no space at either end ("GP-1 " and "GP-1" would be two
 * referrals of one event). */
static bool s_reference_ok(const char *ref, char err[CL_ERROR_SZ])
{
    size_t n = strlen(ref);
    if (!n)
        snprintf(err, CL_ERROR_SZ, "agency_reference is required");
    else if (!cl_text_printable(ref))
        snprintf(err, CL_ERROR_SZ,
                 "agency_reference holds a control or invisible character");
    else if (ref[0] == ' ' || ref[n - 1] == ' ')
        snprintf(err, CL_ERROR_SZ,
                 "agency_reference begins or ends with a space: send it "
                 "without");
    else
        return true;
    return false;
}

int cl_referral_validate(cl_referral *r, char err[CL_ERROR_SZ],
                         cl_publish_result *warn)
{
    int rc;
    if (r->basis == 0 || r->basis > CL_BASIS_MAX) {
        snprintf(err, CL_ERROR_SZ,
                 "lawful_basis is required (UK GDPR Art 6/9 or DPA 2018 "
                 "safeguarding condition)");
        return CL_ERR_INVALID;
    }
    if (r->consent > CL_CONSENT_MAX) {
        snprintf(err, CL_ERROR_SZ, "consent: out of range (0 to %d)",
                 CL_CONSENT_MAX);
        return CL_ERR_INVALID;
    }
    if ((r->consent == CL_CONSENT_REFUSED ||
         r->consent == CL_CONSENT_NOT_SOUGHT) &&
        !r->consent_note[0]) {
        snprintf(err, CL_ERROR_SZ, "consent_note must say why %s",
                 r->consent == CL_CONSENT_REFUSED
                     ? "sharing went ahead though consent was refused"
                     : "consent was not sought");
        return CL_ERR_INVALID;
    }
    if (r->category > CL_CAT_MAX || r->risk > CL_RISK_MAX) {
        snprintf(err, CL_ERROR_SZ, "%s: out of range (0 to %d)",
                 r->category > CL_CAT_MAX ? "category" : "risk",
                 r->category > CL_CAT_MAX ? CL_CAT_MAX : CL_RISK_MAX);
        return CL_ERR_INVALID;
    }
    if (r->category == 0) {
        snprintf(err, CL_ERROR_SZ, "category is required");
        return CL_ERR_INVALID;
    }
    if (r->occurred_at < 0 || r->occurred_at > 7258118400) { /* 2200 */
        snprintf(err, CL_ERROR_SZ,
                 "occurred_at: out of range (unix seconds, 1970 to 2200)");
        return CL_ERR_INVALID;
    }
    if (!s_reference_ok(r->agency_ref, err))
        return CL_ERR_INVALID;
    rc = s_person_check(&r->subject, "subject", true, err, warn);
    if (rc != CL_OK)
        return rc;
    if (r->n_related > CL_RELATED_MAX) {
        snprintf(err, CL_ERROR_SZ, "related: at most %d people",
                 CL_RELATED_MAX);
        return CL_ERR_INVALID;
    }
    for (uint32_t i = 0; i < r->n_related; i++) {
        char where[32];
        snprintf(where, sizeof(where), "related[%u].person", i);
        if (r->related[i].rel == 0 || r->related[i].rel > CL_REL_MAX) {
            snprintf(err, CL_ERROR_SZ, "related[%u].relationship is required",
                     i);
            return CL_ERR_INVALID;
        }
        rc = s_person_check(&r->related[i].person, where, true, err, warn);
        if (rc != CL_OK)
            return rc;
    }
    return CL_OK;
}

int cl_user_validate(const cl_user *u, char err[CL_ERROR_SZ])
{
    static const struct {
        size_t off;
        const char *name;
    } fields[] = {{offsetof(cl_user, id), "on_behalf_of.user_id"},
                  {offsetof(cl_user, name), "on_behalf_of.display_name"},
                  {offsetof(cl_user, role), "on_behalf_of.role"}};
    if (!cl_user_named(u))
        return CL_OK;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = (const char *)u + fields[i].off;
        if (!v[0]) {
            snprintf(err, CL_ERROR_SZ,
                     "%s is required when a user is named (user id, "
                     "display name and role in the agency)",
                     fields[i].name);
            return CL_ERR_INVALID;
        }
        if (!cl_text_printable(v)) {
            snprintf(err, CL_ERROR_SZ, "%s holds a control character",
                     fields[i].name);
            return CL_ERR_INVALID;
        }
    }
    return CL_OK;
}

int cl_import_validate(cl_import *im, char err[CL_ERROR_SZ],
                       cl_publish_result *warn)
{
    if (!im->person.local_id[0]) {
        snprintf(err, CL_ERROR_SZ, "person.local_id is required");
        return CL_ERR_INVALID;
    }
    return s_person_check(&im->person, "person", true, err, warn);
}

/* A plan routes other agencies' referrals to its authority, so the person
 * it is held on must be pinned down better than a referral's subject: an
 * NHS or CHI number, the authority's own local id, or full demographics. */
static bool s_well_identified(const cl_person *p)
{
    return p->nhs[0] || p->chi[0] || p->local_id[0] ||
           (p->given[0] && p->family[0] && p->dob[0]);
}

/* A plan's child (not unborn) is a child: born on or before the plan's
 * start and under 18 on it; and is identified well enough. */
static int s_plan_child_check(const cl_plan *p, char err[CL_ERROR_SZ])
{
    const cl_person *c = &p->child;
    if (!c->dob[0]) {
        snprintf(err, CL_ERROR_SZ,
                 "child: date_of_birth is required, to show the child is "
                 "under 18 on the plan's start_date");
        return CL_ERR_INVALID;
    }
    if (strcmp(c->dob, p->start) > 0) {
        snprintf(err, CL_ERROR_SZ,
                 "child: born after the plan's start_date; a plan before "
                 "birth is an unborn plan held on the expectant mother");
        return CL_ERR_INVALID;
    }
    /* the 18th birthday as YYYY-MM-DD compares as text (29 February:
     * the day after 28 February in a common year, as the law reads it) */
    char adult[CL_DATE_SZ];
    memcpy(adult, c->dob, CL_DATE_SZ);
    int year = atoi(c->dob) + 18; /* 1880..2218: four digits */
    for (int i = 3; i >= 0; i--, year /= 10)
        adult[i] = (char)('0' + year % 10);
    if (strcmp(p->start, adult) >= 0) {
        snprintf(err, CL_ERROR_SZ,
                 "child: a plan's child must be under 18 on its start_date "
                 "(date_of_birth gives 18 or over)");
        return CL_ERR_INVALID;
    }
    if (!s_well_identified(c)) {
        snprintf(err, CL_ERROR_SZ,
                 "child: identify the child by NHS or CHI number, your own "
                 "local id, or full demographics (given names, family name "
                 "and date of birth)");
        return CL_ERR_INVALID;
    }
    return CL_OK;
}

int cl_plan_validate(cl_plan *p, char err[CL_ERROR_SZ], cl_publish_result *warn)
{
    int rc;
    if (p->basis == 0 || p->basis > CL_BASIS_MAX) {
        snprintf(err, CL_ERROR_SZ, "lawful_basis is required");
        return CL_ERR_INVALID;
    }
    if (p->type == 0 || p->type > CL_PLAN_TYPE_MAX ||
        p->category > CL_PLAN_CAT_MAX) {
        snprintf(err, CL_ERROR_SZ, "%s",
                 p->type == 0 || p->type > CL_PLAN_TYPE_MAX
                     ? "type: plan type is required (child protection "
                       "plan, looked-after child, unborn)"
                     : "category: out of range");
        return CL_ERR_INVALID;
    }
    if (p->type == CL_PLAN_CPP && p->category == 0) {
        snprintf(err, CL_ERROR_SZ,
                 "category: a child protection plan needs one");
        return CL_ERR_INVALID;
    }
    if (!s_reference_ok(p->agency_ref, err))
        return CL_ERR_INVALID;
    if (!cl_date_valid(p->start) || (p->end[0] && !cl_date_valid(p->end)) ||
        (p->review[0] && !cl_date_valid(p->review))) {
        snprintf(err, CL_ERROR_SZ,
                 "start_date (required), end_date and next_review_date must "
                 "be real dates as YYYY-MM-DD");
        return CL_ERR_INVALID;
    }
    if (p->end[0] && strcmp(p->end, p->start) < 0) {
        snprintf(err, CL_ERROR_SZ, "end_date is before start_date");
        return CL_ERR_INVALID;
    }
    if (!p->authority[0]) {
        snprintf(err, CL_ERROR_SZ, "responsible_authority is required");
        return CL_ERR_INVALID;
    }
    bool unborn = p->type == CL_PLAN_UNBORN;
    rc = s_person_check(&p->child, "child", !unborn, err, warn);
    if (rc != CL_OK)
        return rc;
    if (!unborn && (rc = s_plan_child_check(p, err)) != CL_OK)
        return rc;
    if (p->n_adults > CL_RELATED_MAX) {
        snprintf(err, CL_ERROR_SZ, "adults: at most %d", CL_RELATED_MAX);
        return CL_ERR_INVALID;
    }
    bool mother = false;
    for (uint32_t i = 0; i < p->n_adults; i++) {
        char where[32];
        snprintf(where, sizeof(where), "adults[%u].person", i);
        if (p->adults[i].rel == 0 || p->adults[i].rel > CL_REL_MAX) {
            snprintf(err, CL_ERROR_SZ, "adults[%u].relationship is required",
                     i);
            return CL_ERR_INVALID;
        }
        mother |= p->adults[i].rel == CL_REL_PARENT;
        rc = s_person_check(&p->adults[i].person, where, true, err, warn);
        if (rc != CL_OK)
            return rc;
    }
    if (unborn && !mother) {
        snprintf(err, CL_ERROR_SZ,
                 "adults: an unborn child protection plan names the "
                 "expectant mother (rel=parent)");
        return CL_ERR_INVALID;
    }
    for (uint32_t i = 0; unborn && i < p->n_adults; i++)
        if (p->adults[i].rel == CL_REL_PARENT &&
            !s_well_identified(&p->adults[i].person)) {
            snprintf(err, CL_ERROR_SZ,
                     "adults: the expectant mother on an unborn plan must be "
                     "identified by NHS or CHI number, your own local id, "
                     "or full demographics (given names, family name and "
                     "date of birth)");
            return CL_ERR_INVALID;
        }
    return CL_OK;
}

/* --- validation of a whole request ---------------------------------------- */

void cl_model_refusal_at(char err[CL_ERROR_SZ], const char *path)
{
    char tmp[CL_ERROR_SZ];
    if (!path || !path[0])
        return;
    snprintf(tmp, sizeof(tmp), "%s.%s", path, err);
    memcpy(err, tmp, CL_ERROR_SZ);
}

static int s_publish_check(cl_request *q, char err[CL_ERROR_SZ],
                           cl_publish_result *warn)
{
    return cl_referral_validate(&q->u.publish, err, warn);
}

static int s_plan_check(cl_request *q, char err[CL_ERROR_SZ],
                        cl_publish_result *warn)
{
    return cl_plan_validate(&q->u.plan, err, warn);
}

static int s_import_check(cl_request *q, char err[CL_ERROR_SZ],
                          cl_publish_result *warn)
{
    return cl_import_validate(&q->u.import, err, warn);
}

/* The kinds whose content is checked after decoding, and where in the
 * Envelope that content is. */
/* A period that ends before it begins would find nobody, silently. */
static int s_finding_check(cl_request *q, char err[CL_ERROR_SZ],
                           cl_publish_result *warn)
{
    (void)warn;
    const cl_case_finding *f = &q->u.finding;
    if (f->from < 0 || f->to < 0 || (f->to && f->from > f->to)) {
        snprintf(err, CL_ERROR_SZ,
                 "to: the period ends before it begins (from must be at or "
                 "before to)");
        return CL_ERR_INVALID;
    }
    return CL_OK;
}

static const struct {
    cl_req_kind kind;
    const char *path;
    int (*check)(cl_request *q, char err[CL_ERROR_SZ], cl_publish_result *warn);
} s_checked[] = {
    {CL_REQ_PUBLISH_REFERRAL, "publish_referral.referral", s_publish_check},
    {CL_REQ_PUBLISH_PLAN, "publish_plan.plan", s_plan_check},
    {CL_REQ_IMPORT_PERSON, "import_person", s_import_check},
    {CL_REQ_CASE_FINDING, "case_finding", s_finding_check},
};

int cl_request_validate(cl_request *q, char err[CL_ERROR_SZ],
                        cl_publish_result *warn)
{
    int rc = cl_user_validate(&q->on_behalf_of, err);
    for (size_t i = 0;
         rc == CL_OK && i < sizeof(s_checked) / sizeof(s_checked[0]); i++)
        if (s_checked[i].kind == q->kind &&
            (rc = s_checked[i].check(q, err, warn)) != CL_OK)
            cl_model_refusal_at(err, s_checked[i].path);
    return rc;
}

/* --- names ------------------------------------------------------------- */

static const char *const s_cat[] = {
    "unspecified",    "child_protection",  "adult_safeguarding",
    "domestic_abuse", "mental_health",     "substance_misuse",
    "self_neglect",   "housing",           "antisocial_behaviour",
    "missing_person", "school_attendance", "frailty",
    "other"};
static const char *const s_risk[] = {"unspecified", "low", "medium", "high",
                                     "immediate"};
static const char *const s_rel[] = {
    "unspecified", "parent",           "child",   "carer",
    "cared_for",   "household_member", "partner", "sibling"};
static const char *const s_basis[] = {"unspecified",
                                      "public_task_social_care",
                                      "public_task_public_interest",
                                      "dpa_safeguarding",
                                      "legal_obligation",
                                      "consent",
                                      "vital_interests"};
static const char *const s_consent[] = {"unspecified", "given", "refused",
                                        "not_sought"};
static const char *const s_link[] = {"new",         "nhs_number", "chi_number",
                                     "local_id",    "score",      "reviewed",
                                     "undisclosed", "merged"};
static const char *const s_sex[] = {"unknown", "female", "male", "other"};
static const char *const s_plan_type[] = {
    "unspecified", "child_protection_plan", "looked_after_child",
    "unborn_child_protection_plan"};
static const char *const s_plan_cat[] = {"unspecified",    "neglect",
                                         "physical_abuse", "emotional_abuse",
                                         "sexual_abuse",   "multiple"};
static const char *const s_agenda[] = {
    "unspecified",      "gp_concern",   "police_high_level_user",
    "child_protection", "case_finding", "other"};
static const char *const s_access[] = {
    "unspecified", "immediate_risk", "safeguarding_enquiry", "mdt_preparation",
    "legal_duty",  "data_quality",   "subject_request"};
static const char *const s_refstat[] = {"received", "accepted", "declined",
                                        "closed"};
static const char *const s_outcome[] = {
    "unspecified",       "services_provided", "client_refused",
    "unable_to_contact", "no_further_action", "referred_on"};
static const char *const s_involve[] = {"unspecified", "none", "past",
                                        "current"};
static const char *const s_dlv[] = {"none",   "alert", "request",    "response",
                                    "status", "feed",  "governance", "intake",
                                    "action", "flag",  "retraction"};
static const char *const s_intake[] = {"open", "accepted", "declined",
                                       "deferred"};
static const char *const s_action[] = {"open", "done", "cancelled", "blocked"};
static const char *const s_rag[] = {"unrated", "red", "amber", "green"};
static const char *const s_status[] = {"ok",       "duplicate", "invalid",
                                       "denied",   "not_found", "busy",
                                       "internal", "not_active"};

#define S_NAME(tab, v) ((v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : "unknown")

const char *cl_category_name(unsigned v)
{
    return S_NAME(s_cat, v);
}
const char *cl_risk_name(unsigned v)
{
    return S_NAME(s_risk, v);
}
const char *cl_rel_name(unsigned v)
{
    return S_NAME(s_rel, v);
}
const char *cl_basis_name(unsigned v)
{
    return S_NAME(s_basis, v);
}
const char *cl_consent_name(unsigned v)
{
    return S_NAME(s_consent, v);
}
const char *cl_link_name(unsigned v)
{
    return S_NAME(s_link, v);
}
const char *cl_sex_name(unsigned v)
{
    return S_NAME(s_sex, v);
}
const char *cl_status_name(unsigned v)
{
    return S_NAME(s_status, v);
}

static int s_parse(const char *const *tab, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(tab[i], s) == 0)
            return (int)i;
    /* Accept hyphens for underscores: "domestic-abuse". */
    char buf[64];
    if (!cl_copy(buf, sizeof(buf), s))
        return -1;
    for (char *p = buf; *p; p++)
        if (*p == '-')
            *p = '_';
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(tab[i], buf) == 0)
            return (int)i;
    return -1;
}

#define S_PARSE(tab, s) s_parse(tab, sizeof(tab) / sizeof(tab[0]), s)

int cl_category_parse(const char *s)
{
    return S_PARSE(s_cat, s);
}
int cl_risk_parse(const char *s)
{
    return S_PARSE(s_risk, s);
}
int cl_rel_parse(const char *s)
{
    return S_PARSE(s_rel, s);
}
int cl_basis_parse(const char *s)
{
    return S_PARSE(s_basis, s);
}
int cl_consent_parse(const char *s)
{
    return S_PARSE(s_consent, s);
}
/* What agency systems write for sex besides the names: the one-letter
 * forms and the NHS Data Dictionary's person stated gender codes
 * (1 male, 2 female; 0 not known, and 9 and X, not specified: unknown,
 * so that they weigh nothing rather than "different"). */
static const struct {
    const char *as;
    int sex;
} s_sex_alias[] = {
    {"m", 2}, {"f", 1}, {"u", 0}, {"o", 3}, {"x", 0},
    {"1", 2}, {"2", 1}, {"9", 0}, {"0", 0}, {"not known", 0},
};

int cl_sex_parse(const char *s)
{
    if (!s)
        return S_PARSE(s_sex, s);
    /* spaces around the value, as extracts pad columns (" X", "M "),
     * are not part of it */
    char b[32];
    size_t n = strspn(s, " \t"), len = strlen(s + n);
    while (len && strchr(" \t\r", s[n + len - 1]))
        len--;
    if (len >= sizeof(b))
        return -1; /* too long to be any of them */
    memcpy(b, s + n, len);
    b[len] = '\0';
    int v = S_PARSE(s_sex, b);
    for (size_t i = 0;
         v < 0 && i < sizeof(s_sex_alias) / sizeof(s_sex_alias[0]); i++)
        if (strcasecmp(b, s_sex_alias[i].as) == 0)
            v = s_sex_alias[i].sex;
    return v;
}

const char *cl_plan_type_name(unsigned v)
{
    return S_NAME(s_plan_type, v);
}
const char *cl_plan_cat_name(unsigned v)
{
    return S_NAME(s_plan_cat, v);
}
int cl_plan_type_parse(const char *s)
{
    return S_PARSE(s_plan_type, s);
}
int cl_plan_cat_parse(const char *s)
{
    return S_PARSE(s_plan_cat, s);
}

const char *cl_agenda_name(unsigned v)
{
    return S_NAME(s_agenda, v);
}
int cl_agenda_parse(const char *s)
{
    return S_PARSE(s_agenda, s);
}
const char *cl_access_name(unsigned v)
{
    return S_NAME(s_access, v);
}
int cl_access_parse(const char *s)
{
    return S_PARSE(s_access, s);
}

/* The length of the blank at p: ASCII white space, a no-break or other
 * Unicode space, or an invisible format character (zero-width, bidi);
 * 0 if p starts something visible. */
static size_t s_blank(const unsigned char *p)
{
    if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        return 1;
    if (p[0] == 0xc2 && p[1] == 0xa0)
        return 2;
    if (p[0] == 0xe2 && p[1] == 0x80 &&
        ((p[2] >= 0x80 && p[2] <= 0x8f) || (p[2] >= 0xa8 && p[2] <= 0xaf)))
        return 3;
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0x9f && p[2] <= 0xaf)
        return 3;
    if ((p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||
        (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))
        return 3;
    return 0;
}

bool cl_break_glass_check(uint8_t reason, const char *j, const char *field,
                          char err[CL_ERROR_SZ])
{
    if (reason == 0 || reason > CL_ACCESS_MAX) {
        snprintf(err, CL_ERROR_SZ,
                 "%s: break-glass needs access_reason, one of immediate_risk, "
                 "safeguarding_enquiry, mdt_preparation, legal_duty, "
                 "data_quality, subject_request",
                 field);
        return false;
    }
    size_t chars = 0, words = 0, letters = 0;
    for (const unsigned char *p = (const unsigned char *)j;;) {
        size_t n = s_blank(p);
        if (n || !*p) { /* a word ends: it counts with two letters */
            words += letters >= 2;
            letters = 0;
            if (!*p)
                break;
            p += n;
            continue;
        }
        chars++;
        /* a letter: ASCII, or any other script's character */
        letters += (*p | 0x20) >= 'a' && (*p | 0x20) <= 'z' ? 1 : *p >= 0xc0;
        p++;
    }
    if (chars < CL_JUSTIFICATION_MIN || words < 3) {
        snprintf(err, CL_ERROR_SZ,
                 "%s: the justification must say why, in at least %d "
                 "characters and three words of two letters or more (it is "
                 "shown to the auditors)",
                 field, CL_JUSTIFICATION_MIN);
        return false;
    }
    return true;
}

const char *cl_refstat_name(unsigned v)
{
    return S_NAME(s_refstat, v);
}
int cl_refstat_parse(const char *s)
{
    return S_PARSE(s_refstat, s);
}
const char *cl_outcome_name(unsigned v)
{
    return S_NAME(s_outcome, v);
}
int cl_outcome_parse(const char *s)
{
    return S_PARSE(s_outcome, s);
}
const char *cl_involve_name(unsigned v)
{
    return S_NAME(s_involve, v);
}
int cl_involve_parse(const char *s)
{
    return S_PARSE(s_involve, s);
}
const char *cl_dlv_name(unsigned v)
{
    return S_NAME(s_dlv, v);
}

const char *cl_intake_state_name(unsigned v)
{
    return S_NAME(s_intake, v);
}
int cl_intake_state_parse(const char *s)
{
    return S_PARSE(s_intake, s);
}

const char *cl_action_status_name(unsigned v)
{
    return S_NAME(s_action, v);
}
int cl_action_status_parse(const char *s)
{
    return S_PARSE(s_action, s);
}
const char *cl_rag_name(unsigned v)
{
    return S_NAME(s_rag, v);
}
int cl_rag_parse(const char *s)
{
    return S_PARSE(s_rag, s);
}

bool cl_month_valid(const char *s)
{
    char d[CL_DATE_SZ];
    if (strlen(s) != 7)
        return false;
    snprintf(d, sizeof(d), "%s-01", s);
    return cl_date_valid(d);
}

void cl_report_clear(cl_report *r)
{
    free(r->referrals);
    free(r->arrived);
    free(r->workstreams);
    free(r->measures);
    free(r->overlap);
    memset(r, 0, sizeof(*r));
}

void cl_review_pack_clear(cl_review_pack *p)
{
    for (size_t i = 0; i < p->n; i++) {
        cl_pack_item *it = &p->v[i];
        cl_person_view_clear(&it->person);
        if (it->actions.v)
            explicit_bzero(it->actions.v,
                           it->actions.n * sizeof(*it->actions.v));
        cl_request_summaries_clear(&it->requests);
        if (it->earlier.v)
            explicit_bzero(it->earlier.v,
                           it->earlier.n * sizeof(*it->earlier.v));
        free(it->actions.v);
        free(it->earlier.v);
    }
    if (p->v)
        explicit_bzero(p->v, p->n * sizeof(*p->v));
    free(p->v);
    memset(p, 0, sizeof(*p));
}
