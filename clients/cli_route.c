/*
 * cli_route: the caselink tool's routing commands: the agency's mailbox,
 * information requests and answers, referral status, feed health.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_json.h"

/* Who a safeguarding alert's referral is about, in words: "Claire Booth
 * (P00000001), parent of Leo Booth (P00000002)". For an unborn child's
 * plan the plan is held on the expectant mother herself. */
static void s_alert_who(char *out, size_t cap, const cl_alert *a)
{
    char subj[2 * CL_NAME_SZ + CL_PID_SZ + 8], child[2 * CL_NAME_SZ + 2];
    snprintf(child, sizeof(child), "%s%s%s", a->child_given,
             a->child_given[0] && a->child_family[0] ? " " : "",
             a->child_family);
    if (a->subject_given[0] || a->subject_family[0])
        snprintf(subj, sizeof(subj), "%s%s%s (%s)", a->subject_given,
                 a->subject_given[0] && a->subject_family[0] ? " " : "",
                 a->subject_family, a->subject_pid);
    else
        snprintf(subj, sizeof(subj), "%s", a->subject_pid);
    bool same = !strcmp(a->subject_pid, a->child_pid);
    if (a->plan_type == CL_PLAN_UNBORN)
        snprintf(out, cap,
                 same ? "%s, the expectant mother"
                      : "%s, linked to the expectant mother %s (%s)",
                 subj, child, a->child_pid);
    else if (same)
        snprintf(out, cap, "%s, the child on the plan", subj);
    else {
        int rel = cl_rel_parse(a->subject_is);
        snprintf(out, cap, "%s, %s of %s (%s)", subj,
                 rel > 0 ? cl_words(CL_W_REL, (unsigned)rel) : a->subject_is,
                 child, a->child_pid);
    }
}

/* One line per delivery, for the list. */
static void s_line(const cli_conn *cn, const cl_delivery *d)
{
    char at[CL_WHEN_SHOW_SZ];
    cli_time(cn, at, d->at);
    printf("%6" PRIu64 "  %s  %-8s ", d->seq, at,
           cl_words(CL_W_DELIVERY, d->kind));
    char who[512], due[CL_WHEN_SHOW_SZ];
    switch (d->kind) {
    case CL_DLV_ALERT:
        s_alert_who(who, sizeof(who), &d->u.alert);
        printf("%s referred %s (your plan %s): %s, %s\n", d->u.alert.agency,
               who, d->u.alert.plan_ref,
               cl_words(CL_W_CATEGORY, d->u.alert.category),
               cl_words(CL_W_RISK, d->u.alert.risk));
        break;
    case CL_DLV_REQUEST:
        cli_dob(cn, due, d->u.request.due);
        printf("%s from %s about %s, due %s\n", d->u.request.request_id,
               d->u.request.from_agency, d->u.request.person_id, due);
        break;
    case CL_DLV_RESPONSE:
        printf("%s answered by %s (%s, %s)\n", d->u.response.request_id,
               d->u.response.agency,
               cl_words(CL_W_INVOLVE, d->u.response.involvement),
               cl_words(CL_W_RISK, d->u.response.risk));
        break;
    case CL_DLV_STATUS:
        printf("%s (%s) %s by %s%s%s\n", d->u.status.reference,
               d->u.status.agency_ref,
               cl_words(CL_W_REFSTAT, d->u.status.status), d->u.status.by,
               d->u.status.outcome ? ": " : "",
               d->u.status.outcome ? cl_words(CL_W_OUTCOME, d->u.status.outcome)
                                   : "");
        break;
    case CL_DLV_FEED:
        printf("%s feed '%s' %s\n", d->u.feed.agency, d->u.feed.feed,
               d->u.feed.problem);
        break;
    case CL_DLV_ACTION:
        cli_dob(cn, due, d->u.action.due);
        printf("%s %s: %s for %s %s (%s), due %s, %s%s%s\n",
               d->u.action.action_id, d->u.action.event, d->u.action.text,
               d->u.action.given, d->u.action.family, d->u.action.person_id,
               due, cl_words(CL_W_ACTION, d->u.action.status),
               d->u.action.by_user[0] ? " by " : "", d->u.action.by_user);
        break;
    case CL_DLV_INTAKE:
        cl_words_say(who, sizeof(who), d->u.intake.why);
        printf("%s rule %s: %s %s (%s): %s\n", d->u.intake.intake_id,
               d->u.intake.rule, d->u.intake.given, d->u.intake.family,
               d->u.intake.person_id, who);
        break;
    case CL_DLV_FLAG:
        printf("%s was shown the flag of your plan %s (%s is %s); %u time%s\n",
               d->u.flag.agency, d->u.flag.plan_ref, d->u.flag.person_pid,
               d->u.flag.person_is, d->u.flag.count,
               d->u.flag.count == 1 ? "" : "s");
        break;
    case CL_DLV_RETRACTION:
        printf("RETRACTED %s from %s (your plan %s): %s\n",
               d->u.retraction.reference, d->u.retraction.agency,
               d->u.retraction.plan_ref, d->u.retraction.reason);
        break;
    case CL_DLV_GOVERNANCE:
        cl_words_say(who, sizeof(who), d->u.governance.detail);
        printf("%s: %s %s (%s) about %s\n",
               cl_words_event(d->u.governance.event), d->u.governance.agency,
               d->u.governance.reference, who, d->u.governance.person_id);
        break;
    default:
        printf("?\n");
    }
}

/* Everything in a delivery. */
/* One delivery in full, a function per kind. */
static void s_full_alert(const cli_conn *cn, const cl_delivery *d)
{
    char t2[CL_WHEN_SHOW_SZ];
    char who[512];
    char by[2 * CL_NAME_SZ + 4];
    const cl_alert *a = &d->u.alert;
    char born[CL_WHEN_SHOW_SZ];
    cli_time(cn, t2, a->occurred_at);
    cli_dob(cn, born, a->child_dob);
    printf("  SAFEGUARDING ALERT for your %s %s\n",
           cl_words(CL_W_PLAN_TYPE, a->plan_type), a->plan_ref);
    printf("  %s %s %s%s%s, born %s\n",
           a->plan_type == CL_PLAN_UNBORN ? "mother:   " : "child:    ",
           a->child_pid, a->child_given,
           a->child_given[0] && a->child_family[0] ? " " : "", a->child_family,
           a->child_dob[0] ? born : "not given");
    s_alert_who(who, sizeof(who), a);
    cli_referrer(by, a->referrer_name, a->referrer_role);
    printf("  referral:  %s about %s\n", a->reference, who);
    printf("  by:        %s%s%s%s\n", a->agency, by[0] ? " (" : "", by,
           by[0] ? ")" : ", referrer not named");
    printf("  what:      %s, %s\n", cl_words(CL_W_CATEGORY, a->category),
           cl_words(CL_W_RISK, a->risk));
    printf("  happened:  %s\n",
           a->occurred_at ? t2 : "not given (see when it was received)");
    cli_time(cn, t2, a->received_at);
    printf("  received:  %s\n", t2);
    printf("  concern:   %s\n", a->concern[0] ? a->concern : "(none given)");
    if (a->flag_shown)
        printf("  flag:      %s was shown your plan's front-line flag "
               "(plan type, your name and duty contact) in its reply\n",
               a->agency);
}

static void s_full_request(const cli_conn *cn, const cl_delivery *d)
{
    const cl_info_msg *m = &d->u.request;
    char born[CL_WHEN_SHOW_SZ], due[CL_WHEN_SHOW_SZ];
    cli_dob(cn, born, m->person.dob);
    cli_dob(cn, due, m->due);
    printf("  INFORMATION REQUEST %s from %s%s%s, due %s\n", m->request_id,
           m->from_agency, m->review_id[0] ? " for " : "", m->review_id, due);
    printf("  due:       %s\n", due);
    printf("  person:    %s %s %s, born %s, NHS %s%s%s\n", m->person_id,
           m->person.given, m->person.family,
           m->person.dob[0] ? born : "not given",
           m->person.nhs[0] ? m->person.nhs : "not given",
           m->person.local_id[0] ? ", your id " : "", m->person.local_id);
    printf("  question:  %s\n", m->question);
    printf("  answer with: caselink respond %s --summary TEXT "
           "--involvement none|past|current\n",
           m->request_id);
}

static void s_full_response(const cli_conn *cn, const cl_delivery *d)
{
    char t2[CL_WHEN_SHOW_SZ];
    const cl_info_response *r = &d->u.response;
    cli_time(cn, t2, r->answered_at);
    printf("  ANSWER to %s about %s from %s at %s\n", r->request_id,
           r->person_id, r->agency, t2);
    printf("  %s, %s\n", cl_words(CL_W_INVOLVE, r->involvement),
           cl_words(CL_W_RISK, r->risk));
    printf("  summary:   %s\n", r->summary);
    printf("  contact:   %s\n", r->contact[0] ? r->contact : "not given");
}

static void s_full_status(const cli_conn *cn, const cl_delivery *d)
{
    char t2[CL_WHEN_SHOW_SZ];
    const cl_status_msg *m = &d->u.status;
    cli_time(cn, t2, m->at);
    printf("  REFERRAL %s (your %s) is now %s, by %s at %s\n", m->reference,
           m->agency_ref, cl_words(CL_W_REFSTAT, m->status), m->by, t2);
    if (m->outcome)
        printf("  outcome:   %s\n", cl_words(CL_W_OUTCOME, m->outcome));
    if (m->reason[0])
        printf("  reason:    %s\n", m->reason);
}

static void s_full_feed(const cli_conn *cn, const cl_delivery *d)
{
    char t2[CL_WHEN_SHOW_SZ];
    const cl_feed_msg *m = &d->u.feed;
    cli_time(cn, t2, m->last_at);
    if (!strcmp(m->problem, "gap"))
        printf("  FEED GAP: %s feed '%s' skipped from %" PRIu64 " to %" PRIu64
               "\n",
               m->agency, m->feed, m->expected, m->received);
    else
        printf("  FEED SILENT: %s feed '%s', nothing since %s\n", m->agency,
               m->feed, t2);
}

static void s_full_action(const cli_conn *cn, const cl_delivery *d)
{
    (void)cn;
    const cl_action_msg *m = &d->u.action;
    printf("  ACTION %s %s (review %s)\n", m->action_id,
           !strcmp(m->event, "assigned") ? "FOR YOUR AGENCY"
                                         : "UPDATED BY ITS OWNER",
           m->review_id);
    printf("  what:      %s\n", m->text);
    printf("  about:     %s %s%s%s (%s)\n", m->given, m->family,
           m->dob[0] ? ", born " : "", m->dob, m->person_id);
    printf("  owner:     %s, %s; due %s\n", m->owner_name, m->owner_agency,
           m->due);
    printf("  status:    %s%s%s (by %s%s%s)\n",
           cl_words(CL_W_ACTION, m->status), m->note[0] ? ": " : "", m->note,
           m->by_user, m->by_user[0] ? ", " : "", m->by_agency);
    if (!strcmp(m->event, "assigned"))
        printf("  update:    caselink action done|block %s --note TEXT\n",
               m->action_id);
}

static void s_full_intake(const cli_conn *cn, const cl_delivery *d)
{
    printf("  FOR THE INTAKE QUEUE (caselink intake list):\n");
    cli_print_intake(cn, &d->u.intake);
}

static void s_full_flag(const cli_conn *cn, const cl_delivery *d)
{
    char t2[CL_WHEN_SHOW_SZ];
    const cl_flag_notice *m = &d->u.flag;
    char t3[CL_WHEN_SHOW_SZ];
    cli_time(cn, t2, m->first_at);
    cli_time(cn, t3, m->last_at);
    printf("  FRONT-LINE FLAG SHOWN for your %s %s\n",
           m->child_pid[0] ? "plan" : "unborn plan", m->plan_ref);
    if (m->child_pid[0])
        printf("  child:     %s %s %s\n", m->child_pid, m->child_given,
               m->child_family);
    printf("  about:     %s, %s\n", m->person_pid, m->person_is);
    printf("  shown to:  %s (system %s)%s%s%s%s%s\n", m->agency, m->client,
           m->user_name[0] ? ", user " : "", m->user_name,
           m->user_role[0] ? " (" : "", m->user_role,
           m->user_role[0] ? ")" : "");
    printf("  how:       %s\n", !strcmp(m->context, "publish")
                                    ? "on the reply to its own referral"
                                    : "a flag check");
    if (m->count > 1)
        printf("  when:      %u times, %s to %s\n", m->count, t2, t3);
    else
        printf("  when:      %s\n", t2);
}

static void s_full_retraction(const cli_conn *cn, const cl_delivery *d)
{
    char t2[CL_WHEN_SHOW_SZ];
    const cl_retraction_msg *m = &d->u.retraction;
    cli_time(cn, t2, m->at);
    printf("  ALERT RETRACTED: disregard the safeguarding alert for %s\n",
           m->reference);
    printf("  withdrawn: by %s at %s\n", m->agency, t2);
    printf("  your plan: %s\n", m->plan_ref);
    printf("  why:       %s\n", m->reason);
}

static void s_full_governance(const cli_conn *cn, const cl_delivery *d)
{
    char t2[CL_WHEN_SHOW_SZ];
    const cl_governance_msg *m = &d->u.governance;
    cli_time(cn, t2, m->at);
    char what[2 * CL_WARNING_SZ];
    cl_words_say(what, sizeof(what), m->detail);
    printf("  FOR INFORMATION GOVERNANCE: %s\n", cl_words_event(m->event));
    printf("  by:        %s (client %s) at %s\n", m->agency, m->client, t2);
    printf("  what:      %s %s on %s\n", what, m->reference, m->person_id);
    printf("  check:     caselink audit search --id %s\n", m->person_id);
}

static void (*const s_full_kind[CL_DLV_KIND_COUNT])(const cli_conn *,
                                                    const cl_delivery *) = {
    [CL_DLV_ALERT] = s_full_alert,
    [CL_DLV_REQUEST] = s_full_request,
    [CL_DLV_RESPONSE] = s_full_response,
    [CL_DLV_STATUS] = s_full_status,
    [CL_DLV_FEED] = s_full_feed,
    [CL_DLV_ACTION] = s_full_action,
    [CL_DLV_INTAKE] = s_full_intake,
    [CL_DLV_FLAG] = s_full_flag,
    [CL_DLV_RETRACTION] = s_full_retraction,
    [CL_DLV_GOVERNANCE] = s_full_governance,
};

static void s_full(const cli_conn *cn, const cl_delivery *d)
{
    char at[CL_WHEN_SHOW_SZ];
    cli_time(cn, at, d->at);
    printf("Delivery %" PRIu64 " (%s) at %s\n", d->seq,
           cl_words(CL_W_DELIVERY, d->kind), at);
    if (d->kind < CL_DLV_KIND_COUNT && s_full_kind[d->kind])
        s_full_kind[d->kind](cn, d);
}

static volatile int s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

typedef struct s_follow {
    const cli_conn *cn;
    bool ack;
} s_follow;

static void s_json_delivery(const cl_delivery *d);

static int s_follow_one(void *ctx, const cl_delivery *d)
{
    const s_follow *f = ctx;
    bool ack = f->ack;
    if (f->cn->json) /* one object a line */
        s_json_delivery(d);
    else
        s_full(f->cn, d);
    putchar('\n');
    fflush(stdout);
    return ack ? 0 : 1;
}

/* Each kind of delivery's fields, as --json writes them (after seq, at
 * and kind). */
static const cli_jrow s_dlv_alert[] = {
    CLI_JS(cl_delivery, "reference", u.alert.reference),
    CLI_JS(cl_delivery, "plan_reference", u.alert.plan_ref),
    CLI_JN(cl_delivery, "plan_type", u.alert.plan_type, cl_plan_type_name),
    CLI_JS(cl_delivery, "subject_person_id", u.alert.subject_pid),
    CLI_JS(cl_delivery, "subject_given_names", u.alert.subject_given),
    CLI_JS(cl_delivery, "subject_family_name", u.alert.subject_family),
    CLI_JS(cl_delivery, "subject_is", u.alert.subject_is),
    CLI_JS(cl_delivery, "child_person_id", u.alert.child_pid),
    CLI_JS(cl_delivery, "child_given_names", u.alert.child_given),
    CLI_JS(cl_delivery, "child_family_name", u.alert.child_family),
    CLI_JS(cl_delivery, "reporting_agency", u.alert.agency),
    CLI_JN(cl_delivery, "category", u.alert.category, cl_category_name),
    CLI_JN(cl_delivery, "risk", u.alert.risk, cl_risk_name),
    CLI_JT(cl_delivery, "occurred_at", u.alert.occurred_at),
    CLI_JT(cl_delivery, "received_at", u.alert.received_at),
    CLI_JEND,
};
static const cli_jrow s_dlv_request[] = {
    CLI_JS(cl_delivery, "request_id", u.request.request_id),
    CLI_JS(cl_delivery, "from_agency", u.request.from_agency),
    CLI_JS(cl_delivery, "person_id", u.request.person_id),
    CLI_JS(cl_delivery, "due", u.request.due),
    CLI_JS(cl_delivery, "review_id", u.request.review_id),
    CLI_JEND,
};
static const cli_jrow s_dlv_response[] = {
    CLI_JS(cl_delivery, "request_id", u.response.request_id),
    CLI_JS(cl_delivery, "agency", u.response.agency),
    CLI_JN(cl_delivery, "involvement", u.response.involvement, cl_involve_name),
    CLI_JN(cl_delivery, "risk", u.response.risk, cl_risk_name),
    CLI_JEND,
};
static const cli_jrow s_dlv_status[] = {
    CLI_JS(cl_delivery, "reference", u.status.reference),
    CLI_JS(cl_delivery, "agency_reference", u.status.agency_ref),
    CLI_JN(cl_delivery, "status", u.status.status, cl_refstat_name),
    CLI_JN(cl_delivery, "outcome", u.status.outcome, cl_outcome_name),
    CLI_JS(cl_delivery, "by", u.status.by),
    CLI_JEND,
};
static const cli_jrow s_dlv_feed[] = {
    CLI_JS(cl_delivery, "agency", u.feed.agency),
    CLI_JS(cl_delivery, "feed", u.feed.feed),
    CLI_JS(cl_delivery, "problem", u.feed.problem),
    CLI_JU(cl_delivery, "expected", u.feed.expected),
    CLI_JU(cl_delivery, "received", u.feed.received),
    CLI_JT(cl_delivery, "last_at", u.feed.last_at),
    CLI_JEND,
};
static const cli_jrow s_dlv_governance[] = {
    CLI_JS(cl_delivery, "event", u.governance.event),
    CLI_JS(cl_delivery, "agency", u.governance.agency),
    CLI_JS(cl_delivery, "client", u.governance.client),
    CLI_JS(cl_delivery, "reference", u.governance.reference),
    CLI_JS(cl_delivery, "person_id", u.governance.person_id),
    CLI_JS(cl_delivery, "detail", u.governance.detail),
    CLI_JEND,
};
static const cli_jrow s_dlv_intake[] = {
    CLI_JS(cl_delivery, "intake_id", u.intake.intake_id),
    CLI_JS(cl_delivery, "rule", u.intake.rule),
    CLI_JS(cl_delivery, "person_id", u.intake.person_id),
    CLI_JS(cl_delivery, "reference", u.intake.reference),
    CLI_JS(cl_delivery, "agency", u.intake.agency),
    CLI_JEND,
};
static const cli_jrow s_dlv_action[] = {
    CLI_JS(cl_delivery, "event", u.action.event),
    CLI_JS(cl_delivery, "action_id", u.action.action_id),
    CLI_JS(cl_delivery, "review_id", u.action.review_id),
    CLI_JS(cl_delivery, "person_id", u.action.person_id),
    CLI_JS(cl_delivery, "owner_agency", u.action.owner_agency),
    CLI_JS(cl_delivery, "due", u.action.due),
    CLI_JN(cl_delivery, "status", u.action.status, cl_action_status_name),
    CLI_JS(cl_delivery, "by_agency", u.action.by_agency),
    CLI_JEND,
};
static const cli_jrow s_dlv_flag[] = {
    CLI_JS(cl_delivery, "plan_id", u.flag.plan_id),
    CLI_JS(cl_delivery, "plan_reference", u.flag.plan_ref),
    CLI_JS(cl_delivery, "child_person_id", u.flag.child_pid),
    CLI_JS(cl_delivery, "person_id", u.flag.person_pid),
    CLI_JS(cl_delivery, "person_is", u.flag.person_is),
    CLI_JS(cl_delivery, "agency", u.flag.agency),
    CLI_JS(cl_delivery, "client", u.flag.client),
    CLI_JS(cl_delivery, "context", u.flag.context),
    CLI_JU(cl_delivery, "count", u.flag.count),
    CLI_JT(cl_delivery, "first_at", u.flag.first_at),
    CLI_JT(cl_delivery, "last_at", u.flag.last_at),
    CLI_JEND,
};
static const cli_jrow s_dlv_retraction[] = {
    CLI_JS(cl_delivery, "reference", u.retraction.reference),
    CLI_JS(cl_delivery, "agency", u.retraction.agency),
    CLI_JS(cl_delivery, "plan_reference", u.retraction.plan_ref),
    CLI_JS(cl_delivery, "reason", u.retraction.reason),
    CLI_JEND,
};
static const cli_jrow *const s_dlv_rows[CL_DLV_KIND_COUNT] = {
    [CL_DLV_ALERT] = s_dlv_alert,       [CL_DLV_REQUEST] = s_dlv_request,
    [CL_DLV_RESPONSE] = s_dlv_response, [CL_DLV_STATUS] = s_dlv_status,
    [CL_DLV_FEED] = s_dlv_feed,         [CL_DLV_GOVERNANCE] = s_dlv_governance,
    [CL_DLV_INTAKE] = s_dlv_intake,     [CL_DLV_ACTION] = s_dlv_action,
    [CL_DLV_FLAG] = s_dlv_flag,         [CL_DLV_RETRACTION] = s_dlv_retraction,
};
static const cli_jrow s_dlv_head[] = {
    CLI_JU(cl_delivery, "seq", seq),
    CLI_JT(cl_delivery, "at", at),
    CLI_JN(cl_delivery, "kind", kind, cl_dlv_name),
    CLI_JEND,
};

/* One delivery as a JSON object. */
static void s_json_delivery(const cl_delivery *d)
{
    unsigned n = 0;
    putchar('{');
    cli_json_fields(d, s_dlv_head, &n);
    if ((unsigned)d->kind < CL_DLV_KIND_COUNT && s_dlv_rows[d->kind])
        cli_json_fields(d, s_dlv_rows[d->kind], &n);
    putchar('}');
}

static void s_json_deliveries(const cl_deliveries *ds)
{
    printf("{\"deliveries\":[");
    for (size_t i = 0; i < ds->n; i++) {
        if (i)
            putchar(',');
        s_json_delivery(&ds->v[i]);
    }
    printf("],\"waiting\":%" PRIu64 "}\n", ds->depth);
}

/* An agency's answer to a request: answered, overdue or waiting. */
static void s_json_req_state(const void *obj, const void *m)
{
    (void)m;
    const cl_request_state *a = obj;
    cli_jstr(a->answered ? "answered" : a->overdue ? "overdue" : "waiting");
}
static const cli_jrow s_answer_jrows[] = {
    CLI_JN(cl_request_state, "involvement", response.involvement,
           cl_involve_name),
    CLI_JN(cl_request_state, "risk", response.risk, cl_risk_name),
    CLI_JS(cl_request_state, "summary", response.summary),
    CLI_JT(cl_request_state, "answered_at", response.answered_at),
    CLI_JEND,
};
static const cli_jrow s_asked_jrows[] = {
    CLI_JS(cl_request_state, "agency", agency),
    CLI_JF(cl_request_state, "state", answered, s_json_req_state),
    CLI_JIF(cl_request_state, answered, s_answer_jrows),
    CLI_JEND,
};
static const cli_jrow s_request_jrows[] = {
    CLI_JS(cl_request_summary, "request_id", request_id),
    CLI_JS(cl_request_summary, "person_id", person_id),
    CLI_JT(cl_request_summary, "asked_at", created_at),
    CLI_JS(cl_request_summary, "due", due),
    CLI_JS(cl_request_summary, "review_id", review_id),
    CLI_JS(cl_request_summary, "question", question),
    CLI_JA(cl_request_summary, "agencies", agencies, n_agencies, s_asked_jrows),
    CLI_JEND,
};
static const cli_jrow s_requests_jrows[] = {
    CLI_JAP(cl_request_summaries, "requests", v, n, s_request_jrows),
    CLI_JEND,
};

typedef struct s_follow_ctx {
    bool ack;  /* --ack */
    int run_s; /* --for S */
} s_follow_ctx;

static int s_follow_opt(void *ctx, const char *o, char **v)
{
    s_follow_ctx *x = ctx;
    if (o && !strcmp(o, "--ack"))
        x->ack = true;
    else if (o && !strcmp(o, "--for") && (x->run_s = atoi(v[0])) > 0)
        ;
    else
        return CLI_EXIT_USAGE;
    return 0;
}

/* inbox ack N...: the deliveries' numbers (words, not options). */
static int s_ack_opt(void *ctx, const char *o, char **v)
{
    cl_inbox_ack *a = ctx;
    char *end = NULL;
    if (o || a->n >= CL_INBOX_MAX)
        return o ? CLI_EXIT_USAGE : 0; /* numbers past the most are left */
    unsigned long long n = strtoull(v[0], &end, 10);
    if (!n || *end)
        return CLI_EXIT_USAGE;
    a->seqs[a->n++] = n;
    return 0;
}

int cli_inbox(cli_conn *cn, int argc, char **argv)
{
    const char *sub = argc ? argv[0] : "list";
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    if (!strcmp(sub, "--follow")) {
        bool ack = false;
        int run_s = 0;
        cl_client *c = NULL;
        free(req);
        s_follow_ctx x = {0};
        if (cli_each(cn, argc, argv, 1, s_follow_opt, &x) != 0)
            goto usage_nofree;
        ack = x.ack;
        run_s = x.run_s;
        if ((status = cli_connect(cn, "childrens", &c)) != 0)
            return status;
        signal(SIGINT, s_on_signal);
        signal(SIGTERM, s_on_signal);
        /* short waits so that Ctrl-C ends it promptly */
        cl_receive_options o = {
            .wait_ms = 2000, .run_ms = run_s * 1000, .stop = &s_stop};
        s_follow fo = {cn, ack};
        int rc = cl_client_receive_loop(c, &o, s_follow_one, &fo);
        cl_client_close(&c);
        return rc == CL_OK ? 0 : cli_transport(rc, cn);
    }
    if (!strcmp(sub, "ack")) {
        req->kind = CL_REQ_INBOX_ACK;
        if (cli_each(cn, argc, argv, 1, s_ack_opt, &req->u.ack) != 0 ||
            !req->u.ack.n)
            goto usage;
    } else if ((!strcmp(sub, "list") && argc <= 1) ||
               (!strcmp(sub, "show") && argc == 2)) {
        req->kind = CL_REQ_INBOX_RECEIVE;
        req->u.inbox.limit = CL_INBOX_MAX;
    } else {
        goto usage;
    }
    if ((status = cli_call(cn, "childrens", req, &rep)) != 0)
        goto out;
    if (req->kind == CL_REQ_INBOX_ACK) {
        printf("acknowledged %u; %" PRIu64 " still waiting\n",
               rep.u.ack.removed, rep.u.ack.depth);
    } else if (!strcmp(sub, "show")) {
        uint64_t want = strtoull(argv[1], NULL, 10);
        size_t i;
        for (i = 0; i < rep.u.deliveries.n; i++)
            if (rep.u.deliveries.v[i].seq == want)
                break;
        if (i == rep.u.deliveries.n) {
            fprintf(stderr, "caselink inbox: no delivery %s waiting\n",
                    argv[1]);
            status = CLI_EXIT_FAILED;
        } else if (cn->json) {
            s_json_delivery(&rep.u.deliveries.v[i]);
            putchar('\n');
        } else {
            s_full(cn, &rep.u.deliveries.v[i]);
        }
    } else if (cn->json) {
        s_json_deliveries(&rep.u.deliveries);
    } else {
        for (size_t i = 0; i < rep.u.deliveries.n; i++)
            s_line(cn, &rep.u.deliveries.v[i]);
        printf("%zu shown, %" PRIu64 " waiting%s\n", rep.u.deliveries.n,
               rep.u.deliveries.depth,
               rep.u.deliveries.n ? ""
                                  : ": nothing for your agency (alerts, "
                                    "requests, answers and status changes "
                                    "arrive here)");
    }
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
usage:
    free(req);
usage_nofree:
    fprintf(stderr, "usage: caselink inbox [list] | show SEQ | ack SEQ... | "
                    "--follow [--ack] [--for SECONDS]\n");
    return CLI_EXIT_USAGE;
}

/* Fill one option of an information request; false if unknown/too long. */
static bool s_req_opt(cl_request *req, const char *o, const char *v)
{
    cl_info_request *q = &req->u.info;
    if (!strcmp(o, "--id"))
        return CL_COPY(q->who.person_id, v);
    if (!strcmp(o, "--nhs"))
        return CL_COPY(q->who.match.nhs, v);
    if (!strcmp(o, "--chi"))
        return CL_COPY(q->who.match.chi, v);
    if (!strcmp(o, "--due"))
        return cli_date_opt(q->due, v, "--due");
    if (!strcmp(o, "--question"))
        return CL_COPY(q->question, v);
    if (!strcmp(o, "--review"))
        return CL_COPY(q->review_id, v);
    if (!strcmp(o, "--agency") && q->n_agencies < CL_REVIEW_AGENCIES)
        return CL_COPY(q->agencies[q->n_agencies++], v);
    return false;
}

static void s_print_requests(const cli_conn *cn, const cl_request_summaries *rs)
{
    char at[CL_WHEN_SHOW_SZ], due[CL_WHEN_SHOW_SZ];
    for (size_t i = 0; i < rs->n; i++) {
        const cl_request_summary *q = &rs->v[i];
        cli_time(cn, at, q->created_at);
        cli_dob(cn, due, q->due);
        printf("%s  about %s  asked %s  due %s%s%s\n  question: %s\n",
               q->request_id, q->person_id, at, due,
               q->review_id[0] ? "  for " : "", q->review_id, q->question);
        for (uint32_t j = 0; j < q->n_agencies; j++) {
            const cl_request_state *a = &q->agencies[j];
            if (!a->answered) {
                printf("  %-28s %s\n", a->agency,
                       a->overdue ? "OVERDUE" : "waiting");
                continue;
            }
            cli_time(cn, at, a->response.answered_at);
            printf("  %-28s answered %s: %s, %s\n", a->agency, at,
                   cl_words(CL_W_INVOLVE, a->response.involvement),
                   cl_words(CL_W_RISK, a->response.risk));
            printf("      %s\n", a->response.summary);
            if (a->response.contact[0])
                printf("      contact: %s\n", a->response.contact);
        }
    }
    if (!rs->n)
        printf("no information requests%s\n",
               "; send one with: caselink request send --id P --agency NAME "
               "--due DATE --question TEXT");
}

static int s_send_opt(cl_request *req, const char *o, const char *v)
{
    return cli_ok(v && s_req_opt(req, o, v));
}

static int s_req_list_opt(cl_request *req, const char *o, const char *v)
{
    if (!strcmp(o, "--open"))
        req->u.req_list.open_only = true;
    else if (!strcmp(o, "--id"))
        return cli_ok(CL_COPY(req->u.req_list.person_id, v));
    else
        return CLI_EXIT_USAGE;
    return 0;
}

int cli_request_cmd(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0;
    if (!req)
        return CLI_EXIT_FAILED;
    const char *sub = argc ? argv[0] : "";
    if (!strcmp(sub, "send")) {
        req->kind = CL_REQ_INFO_REQUEST;
        status = cli_opts(cn, req, argc, argv, 1, s_send_opt);
    } else if (!strcmp(sub, "list")) {
        req->kind = CL_REQ_REQUEST_LIST;
        status = cli_opts(cn, req, argc, argv, 1, s_req_list_opt);
    } else {
        status = CLI_EXIT_USAGE;
    }
    if (status) {
        fprintf(stderr,
                "usage: caselink request send (--id P | --nhs N) --agency "
                "NAME... --due DATE\n"
                "           --question TEXT [--review MDT-ID]\n"
                "       caselink request list [--id P] [--open]\n");
        goto out;
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0)
        goto out;
    if (req->kind == CL_REQ_INFO_REQUEST)
        printf("request sent: %s (to %u agencies)\n", rep.u.publish.reference,
               req->u.info.n_agencies);
    else if (cn->json)
        cli_json_line(&rep.u.requests, s_requests_jrows);
    else
        s_print_requests(cn, &rep.u.requests);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

static int s_respond_opt(cl_request *req, const char *o, const char *v)
{
    cl_info_response *x = &req->u.respond;
    int e;
    if (!strcmp(o, "--summary"))
        return cli_ok(CL_COPY(x->summary, v));
    if (!strcmp(o, "--contact"))
        return cli_ok(CL_COPY(x->contact, v));
    if (!strcmp(o, "--risk"))
        return cli_ok((e = cli_enum(o, v, cl_risk_parse, CL_W_RISK, 1)) > 0 &&
                      (x->risk = (uint8_t)e));
    if (!strcmp(o, "--involvement"))
        return cli_ok((e = cli_enum(o, v, cl_involve_parse, CL_W_INVOLVE, 1)) >
                          0 &&
                      (x->involvement = (uint8_t)e));
    return CLI_EXIT_USAGE;
}

int cli_respond(cli_conn *cn, int argc, char **argv)
{
    cl_reply rep;
    cl_request *req = cli_req_on_id(cn, CL_REQ_INFO_RESPOND,
                                    offsetof(cl_request, u.respond.request_id),
                                    CL_REF_SZ, argc, argv, s_respond_opt);
    if (!req)
        return cli_usage(cn, "respond");
    int status;
    if ((status = cli_call(cn, "adults", req, &rep)) != 0)
        goto out;
    printf("answered %s\n", rep.u.publish.reference);
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

static int s_status_opt(cl_request *req, const char *o, const char *v)
{
    cl_set_status *ss = &req->u.set_status;
    int x;
    if (!strcmp(o, "--reason"))
        return cli_ok(CL_COPY(ss->reason, v));
    if (!strcmp(o, "--outcome") &&
        (x = cli_enum(o, v, cl_outcome_parse, CL_W_OUTCOME, 1)) > 0) {
        ss->outcome = (uint8_t)x;
        return 0;
    }
    return CLI_EXIT_USAGE;
}

int cli_referral_status(cli_conn *cn, int argc, char **argv)
{
    cl_request *req = calloc(1, sizeof(*req));
    cl_reply rep;
    int status = 0, v;
    if (!req)
        return CLI_EXIT_FAILED;
    req->kind = CL_REQ_SET_STATUS;
    cl_set_status *ss = &req->u.set_status;
    if (argc < 2 || !CL_COPY(ss->reference, argv[0]) ||
        (v = cli_enum("status", argv[1], cl_refstat_parse, CL_W_REFSTAT, 1)) <=
            0)
        status = CLI_EXIT_USAGE;
    else
        ss->status = (uint8_t)v;
    if (!status)
        status = cli_opts(cn, req, argc, argv, 2, s_status_opt);
    if (status) {
        fprintf(stderr, "usage: caselink referral status REF "
                        "accepted|declined|closed [--reason TEXT]\n"
                        "           [--outcome services_provided|"
                        "client_refused|unable_to_contact|\n"
                        "            no_further_action|referred_on]\n");
        goto out;
    }
    if ((status = cli_call(cn, "coordinator", req, &rep)) != 0)
        goto out;
    printf("%s is now %s; the referring agency has been told\n",
           rep.u.publish.reference, cl_refstat_name(ss->status));
    cl_reply_clear(&rep);
out:
    free(req);
    return status;
}

int cli_admin_feeds(cli_conn *cn)
{
    cl_request req;
    cl_reply rep;
    char last[CL_WHEN_SHOW_SZ];
    memset(&req, 0, sizeof(req));
    req.kind = CL_REQ_ADMIN_FEEDS;
    int status = cli_call(cn, "operator", &req, &rep);
    if (status)
        return status;
    if (cn->json) {
        printf("{\"feeds\":[");
        for (size_t i = 0; i < rep.u.feeds.n; i++) {
            const cl_feed_state *f = &rep.u.feeds.v[i];
            printf("%s{", i ? "," : "");
            cli_jkv("agency", f->agency, true);
            cli_jkv("feed", f->feed, true);
            cli_jnum("last_seq", (int64_t)f->last_seq, true);
            cli_jtime("last_at", f->last_at, true);
            cli_jnum("messages", (int64_t)f->messages, true);
            cli_jnum("missing", (int64_t)f->missing, true);
            cli_jkv("state",
                    f->silent    ? "silent"
                    : f->missing ? "gaps"
                                 : "ok",
                    false);
            printf("}");
        }
        printf("]}\n");
        cl_reply_clear(&rep);
        return 0;
    }
    printf("%-30s %-16s %10s %-22s %9s %8s %s\n", "agency", "feed", "last seq",
           "last message", "per day", "missing", "state");
    for (size_t i = 0; i < rep.u.feeds.n; i++) {
        const cl_feed_state *f = &rep.u.feeds.v[i];
        double days = (double)(f->last_at - f->first_at) / 86400.0;
        cli_time(cn, last, f->last_at);
        char rate[32];
        if (days >= 1.0 / 24)
            snprintf(rate, sizeof(rate), "%.1f", (double)f->messages / days);
        else
            snprintf(rate, sizeof(rate), "-");
        char state[96];
        if (f->silent)
            snprintf(state, sizeof(state), "SILENT (over %" PRIu64 " s)",
                     f->silence_after_s);
        else if (f->missing)
            snprintf(state, sizeof(state),
                     "GAPS (latest %" PRIu64 "-%" PRIu64 ")", f->gap_from,
                     f->gap_to);
        else
            snprintf(state, sizeof(state), "ok");
        printf("%-30s %-16s %10" PRIu64 " %-22s %9s %8" PRIu64 " %s\n",
               f->agency, f->feed, f->last_seq, last, rate, f->missing, state);
    }
    if (!rep.u.feeds.n)
        printf("no feeds yet (referrals name theirs with feed and "
               "feed_seq)\n");
    cl_reply_clear(&rep);
    return 0;
}
