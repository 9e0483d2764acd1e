/*
 * cli_audit: the caselink tool's audit commands: verify (against a shipped
 * checkpoint), checkpoint, search and subject access.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_vec.h"
#include "cli.h"
#include "cli_json.h"
#include "fields.h"

static const cli_jrow s_user_jrows[] = {
    CLI_JS(cl_user, "user_id", id),
    CLI_JS(cl_user, "display_name", name),
    CLI_JS(cl_user, "role", role),
    CLI_JEND,
};

static const cli_jrow s_verify_rows[] = {
    CLI_JB(cl_audit_verify_result, "intact", intact),
    CLI_JU(cl_audit_verify_result, "entries", entries),
    CLI_JU(cl_audit_verify_result, "first_bad_seq", first_bad_seq),
    CLI_JS(cl_audit_verify_result, "problem", problem),
    CLI_JB(cl_audit_verify_result, "checkpoint_checked", checkpoint_checked),
    CLI_JB(cl_audit_verify_result, "checkpoint_ok", checkpoint_ok),
    CLI_JEND,
};

/* The named user an entry records, or null. */
static void s_json_user(const void *obj, const void *m)
{
    (void)obj;
    const cl_user *u = m;
    if (cl_user_named(u))
        cli_json_obj(u, s_user_jrows);
    else
        fputs("null", stdout);
}

static const cli_jrow s_entry_jrows[] = {
    CLI_JU(cl_audit_entry, "seq", seq),
    CLI_JT(cl_audit_entry, "at", at),
    CLI_JS(cl_audit_entry, "client", client),
    CLI_JS(cl_audit_entry, "agency", agency),
    CLI_JS(cl_audit_entry, "kind", kind),
    CLI_JL(cl_audit_entry, "person_ids", person_ids, n_persons),
    CLI_JS(cl_audit_entry, "purpose", purpose),
    CLI_JB(cl_audit_entry, "break_glass", break_glass),
    CLI_JN(cl_audit_entry, "outcome", outcome, cl_status_name),
    CLI_JS(cl_audit_entry, "detail", detail),
    CLI_JF(cl_audit_entry, "user", user, s_json_user),
    CLI_JEND,
};
static const cli_jrow s_entries_jrows[] = {
    CLI_JAP(cl_audit_entries, "entries", v, n, s_entry_jrows),
    CLI_JEND,
};

/* Who looked, by named user: each once, with their agency, how many
 * entries and the first and last time (subject access). */
static void s_json_users(const void *obj, const void *m)
{
    (void)obj;
    const cl_audit_entries *e = m;
    size_t shown = 0;
    printf("[");
    for (size_t i = 0; i < e->n; i++) {
        const cl_audit_entry *a = &e->v[i];
        bool seen = !a->user.id[0];
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(e->v[k].user.id, a->user.id) &&
                   !strcmp(e->v[k].agency, a->agency);
        if (seen)
            continue;
        size_t times = 0;
        int64_t last = a->at;
        for (size_t k = i; k < e->n; k++)
            if (!strcmp(e->v[k].user.id, a->user.id) &&
                !strcmp(e->v[k].agency, a->agency)) {
                times++;
                last = e->v[k].at;
            }
        printf("%s{", shown++ ? "," : "");
        cli_jkv("user_id", a->user.id, true);
        cli_jkv("display_name", a->user.name, true);
        cli_jkv("role", a->user.role, true);
        cli_jkv("agency", a->agency, true);
        printf("\"entries\":%zu,", times);
        cli_jtime("first", a->at, true);
        cli_jtime("last", last, false);
        putchar('}');
    }
    printf("]");
}

/* Subject access: the referrals' earlier versions, relationships, plans. */

/* Subject access: agendas, actions, RAG ratings and measures. */

/* Subject access: information requests and intake items. */

/* Subject access: everything held about the person, as the rows below
 * name it (times as ISO 8601 UTC; one never set is left out). */
static const cli_jrow s_history_jrows[] = {
    CLI_JS(cl_referral_version, "reference", reference),
    CLI_JU(cl_referral_version, "version", version),
    CLI_JT(cl_referral_version, "replaced_at", replaced_at),
    CLI_JS(cl_referral_version, "change", change),
    CLI_JS(cl_referral_version, "reason", reason),
    CLI_JS(cl_referral_version, "by", by),
    CLI_JO(cl_referral_version, "before", referral, cli_referral_jrows),
    CLI_JEND,
};
static const cli_jrow s_record_history_jrows[] = {
    CLI_JS(cl_record_version, "record_id", record.record_id),
    CLI_JS(cl_record_version, "agency", record.agency),
    CLI_JT(cl_record_version, "recorded_at", recorded_at),
    CLI_JT(cl_record_version, "replaced_at", replaced_at),
    CLI_JS(cl_record_version, "by", by),
    CLI_JO(cl_record_version, "before", record.person, cli_person_jrows),
    CLI_JEND,
};
static const cli_jrow s_sar_related_jrows[] = {
    CLI_JS(cl_related_view, "person_id", person_id),
    CLI_JN(cl_related_view, "relationship", rel, cl_rel_name),
    CLI_JS(cl_related_view, "given_names", given),
    CLI_JS(cl_related_view, "family_name", family),
    CLI_JS(cl_related_view, "stated_by", asserted_by),
    CLI_JEND,
};
static const cli_jrow s_sar_plan_jrows[] = {
    CLI_JS(cl_plan_flag, "via", via),
    CLI_JS(cl_plan_flag, "child_person_id", child_pid),
    CLI_JN(cl_plan_flag, "type", type, cl_plan_type_name),
    CLI_JN(cl_plan_flag, "category", category, cl_plan_cat_name),
    CLI_JS(cl_plan_flag, "start", start),
    CLI_JS(cl_plan_flag, "end", end),
    CLI_JS(cl_plan_flag, "authority", authority),
    CLI_JS(cl_plan_flag, "legal_basis", legal_basis),
    CLI_JS(cl_plan_flag, "next_review", review),
    CLI_JB(cl_plan_flag, "active", active),
    CLI_JEND,
};
static const cli_jrow s_sar_agenda_jrows[] = {
    CLI_JS(cl_sar_agenda, "review_id", review_id),
    CLI_JS(cl_sar_agenda, "date", date),
    CLI_JS(cl_sar_agenda, "title", title),
    CLI_JN(cl_sar_agenda, "reason", reason, cl_agenda_name),
    CLI_JS(cl_sar_agenda, "note", note),
    CLI_JS(cl_sar_agenda, "discussion", discussion),
    CLI_JS(cl_sar_agenda, "decisions", decisions),
    CLI_JT(cl_sar_agenda, "discussed_at", discussed_at),
    CLI_JS(cl_sar_agenda, "discussed_by", discussed_by),
    CLI_JEND,
};
static const cli_jrow s_sar_action_jrows[] = {
    CLI_JS(cl_action, "action_id", action_id),
    CLI_JS(cl_action, "review_id", review_id),
    CLI_JS(cl_action, "text", text),
    CLI_JS(cl_action, "owner_name", owner_name),
    CLI_JS(cl_action, "owner_agency", owner_agency),
    CLI_JS(cl_action, "due", due),
    CLI_JN(cl_action, "status", status, cl_action_status_name),
    CLI_JT(cl_action, "created_at", created_at),
    CLI_JT(cl_action, "updated_at", updated_at),
    CLI_JS(cl_action, "note", note),
    CLI_JEND,
};
static const cli_jrow s_sar_rag_jrows[] = {
    CLI_JN(cl_rag_entry, "rating", rating, cl_rag_name),
    CLI_JS(cl_rag_entry, "note", note),
    CLI_JT(cl_rag_entry, "at", at),
    CLI_JS(cl_rag_entry, "by", by),
    CLI_JEND,
};
static void s_json_g(const void *obj, const void *m)
{
    (void)obj;
    double v;
    memcpy(&v, m, sizeof(v));
    printf("%g", v);
}
static const cli_jrow s_sar_measure_jrows[] = {
    CLI_JS(cl_measure_value, "name", name),
    CLI_JS(cl_measure_value, "period", period),
    CLI_JF(cl_measure_value, "value", value, s_json_g),
    CLI_JEND,
};
static const cli_jrow s_sar_answer_jrows[] = {
    CLI_JT(cl_request_state, "answered_at", response.answered_at),
    CLI_JS(cl_request_state, "summary", response.summary),
    CLI_JN(cl_request_state, "risk", response.risk, cl_risk_name),
    CLI_JN(cl_request_state, "involvement", response.involvement,
           cl_involve_name),
    CLI_JS(cl_request_state, "contact", response.contact),
    CLI_JEND,
};
static const cli_jrow s_sar_asked_jrows[] = {
    CLI_JS(cl_request_state, "agency", agency),
    CLI_JB(cl_request_state, "answered", answered),
    CLI_JIF(cl_request_state, answered, s_sar_answer_jrows),
    CLI_JEND,
};
static const cli_jrow s_sar_request_jrows[] = {
    CLI_JS(cl_request_summary, "request_id", request_id),
    CLI_JS(cl_request_summary, "review_id", review_id),
    CLI_JS(cl_request_summary, "question", question),
    CLI_JS(cl_request_summary, "due", due),
    CLI_JT(cl_request_summary, "created_at", created_at),
    CLI_JA(cl_request_summary, "asked", agencies, n_agencies,
           s_sar_asked_jrows),
    CLI_JEND,
};
static const cli_jrow s_sar_intake_jrows[] = {
    CLI_JS(cl_intake_item, "intake_id", intake_id),
    CLI_JS(cl_intake_item, "rule", rule),
    CLI_JS(cl_intake_item, "why", why),
    CLI_JS(cl_intake_item, "reference", reference),
    CLI_JS(cl_intake_item, "action_id", action_id),
    CLI_JT(cl_intake_item, "raised_at", raised_at),
    CLI_JT(cl_intake_item, "decided_at", decided_at),
    CLI_JSUB(cli_intake_decision_jrows),
    CLI_JEND,
};
static const cli_jrow s_hold_jrows[] = {
    CLI_JT(cl_subject_access, "since", hold_at),
    CLI_JS(cl_subject_access, "by", hold_by),
    CLI_JS(cl_subject_access, "reason", hold_reason),
    CLI_JEND,
};
static void s_json_hold(const void *obj, const void *m)
{
    (void)m;
    const cl_subject_access *sa = obj;
    if (sa->held)
        cli_json_obj(sa, s_hold_jrows);
    else
        fputs("null", stdout);
}
static void s_json_one(const void *obj, const void *m)
{
    (void)obj;
    (void)m;
    putchar('1');
}
static const cli_jrow s_subject_jrows[] = {
    CLI_JF(cl_subject_access, "caselink_subject_access", person, s_json_one),
    CLI_JS(cl_subject_access, "person_id", person.person_id),
    CLI_JSUBM(cl_subject_access, person, cli_view_records_noid_jrows),
    CLI_JAP(cl_subject_access, "referral_history", history, n_history,
            s_history_jrows),
    CLI_JAP(cl_subject_access, "record_history", record_history,
            n_record_history, s_record_history_jrows),
    CLI_JAP(cl_subject_access, "relationships", person.related,
            person.n_related, s_sar_related_jrows),
    CLI_JAP(cl_subject_access, "plans", person.plans, person.n_plans,
            s_sar_plan_jrows),
    CLI_JAP(cl_subject_access, "agenda", agenda, n_agenda, s_sar_agenda_jrows),
    CLI_JAP(cl_subject_access, "actions", actions.v, actions.n,
            s_sar_action_jrows),
    CLI_JAP(cl_subject_access, "rag", rag.v, rag.n, s_sar_rag_jrows),
    CLI_JAP(cl_subject_access, "measures", measures, n_measures,
            s_sar_measure_jrows),
    CLI_JAP(cl_subject_access, "information_requests", requests.v, requests.n,
            s_sar_request_jrows),
    CLI_JAP(cl_subject_access, "intake", intake.v, intake.n,
            s_sar_intake_jrows),
    CLI_JF(cl_subject_access, "legal_hold", held, s_json_hold),
    CLI_JF(cl_subject_access, "named_users_who_looked", audit, s_json_users),
    CLI_JAP(cl_subject_access, "audit", audit.v, audit.n, s_entry_jrows),
    CLI_JEND,
};

/* Why an audit search found nothing, by what it asked. */
static void s_audit_none(const cl_person_ref *q)
{
    const cl_audit_filter *af = &q->filter;
    bool person = q->match.nhs[0] || q->match.chi[0] || q->person_id[0];
    if (person && q->user_id[0])
        printf("%s has no entry about this person: to see all they did, "
               "search --user %s alone; to see everyone who looked, leave "
               "out --user\n",
               q->user_id, q->user_id);
    else if (q->user_id[0] && !af->break_glass_only && !af->flagged_only)
        printf("no entry names the user %s: users are named by the id their "
               "agency's system sends (on_behalf_of), e.g. cjones\n",
               q->user_id);
    else
        printf("no %s%s%s%s in these dates; widen --from/--to%s\n",
               af->flagged_only ? "break-glass use or refusal"
                                : "break-glass use",
               af->client[0] || q->user_id[0] ? " by " : "",
               af->client[0] ? af->client : q->user_id,
               af->client[0] && q->user_id[0] ? " (and that user)" : "",
               af->client[0] || q->user_id[0]
                   ? ", or leave out --client and --user"
                   : "");
}

static void s_print_audit(const cli_conn *cn, const cl_audit_entries *e,
                          const cl_person_ref *q)
{
    printf("%zu entr%s\n", e->n, e->n == 1 ? "y" : "ies");
    if (!e->n)
        s_audit_none(q);
    for (size_t i = 0; i < e->n; i++) {
        const cl_audit_entry *a = &e->v[i];
        char when[CL_WHEN_SHOW_SZ];
        cli_time(cn, when, a->at);
        char user[CL_USER_ID_SZ + CL_NAME_SZ + CL_USER_ROLE_SZ + 16] = "";
        if (cl_user_named(&a->user))
            snprintf(user, sizeof(user), "%s [%s, %s] for ", a->user.name,
                     a->user.id, a->user.role);
        char purpose[2 * CL_NOTE_SZ];
        cl_words_say(purpose, sizeof(purpose), a->purpose);
        printf("  #%llu %s  %s%s (%s)  %s, %s%s%s%s\n",
               (unsigned long long)a->seq, when, user, a->client, a->agency,
               cl_words_request(a->kind), cl_words(CL_W_STATUS, a->outcome),
               a->break_glass ? "  BREAK-GLASS" : "",
               a->purpose[0] ? "  purpose: " : "", purpose);
        if (a->n_persons) {
            printf("      people:");
            for (uint32_t j = 0; j < a->n_persons; j++)
                printf(" %s", a->person_ids[j]);
            printf("\n");
        }
    }
}

/*
 * The newest checkpoint in path: a file of checkpoints as the daemon
 * appends and ships them (or one alone). Newest is the one covering the
 * most entries, since an honest log only grows: a copy of the data file
 * rolled back and restarted ships a later-dated checkpoint with fewer.
 */
static int s_read_checkpoint(const char *path, char *out, size_t cap)
{
    static const char magic[] = "caselink-audit-checkpoint v1\n";
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "caselink: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* the whole file, up to 64 MiB (the rest is not read), and a NUL */
    char *buf = NULL;
    size_t len = 0, bcap = 0, n;
    int grown = CL_OK;
    while (len < (64u << 20) &&
           (grown = cl_vec_reserve(&buf, &bcap, len + (1u << 16) + 1, 1)) ==
               CL_OK &&
           (n = fread(buf + len, 1, bcap - 1 - len, f)) > 0)
        len += n;
    fclose(f);
    if (grown != CL_OK) {
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    const char *best = NULL;
    size_t best_len = 0;
    unsigned long long best_seq = 0;
    for (const char *p = strstr(buf, magic); p;) {
        const char *next = strstr(p + 1, magic);
        size_t plen = next ? (size_t)(next - p) : strlen(p);
        unsigned long long seq;
        if (sscanf(p + sizeof(magic) - 1, "seq: %llu", &seq) == 1 &&
            (!best || seq >= best_seq)) {
            best = p;
            best_len = plen;
            best_seq = seq;
        }
        p = next;
    }
    int rc = 0;
    if (!best) {
        fprintf(stderr, "caselink: %s: no caselink audit checkpoint in it\n",
                path);
        rc = -1;
    } else if (best_len >= cap) {
        fprintf(stderr, "caselink: %s: checkpoint too large\n", path);
        rc = -1;
    } else {
        memcpy(out, best, best_len);
        out[best_len] = '\0';
        fprintf(stderr,
                "caselink: checking against the newest checkpoint in %s "
                "(%llu entries)\n",
                path, best_seq);
    }
    free(buf);
    return rc;
}

/* audit verify [--checkpoint FILE]: CLI_EXIT_FAILED when the file is
 * unusable (said), CLI_EXIT_USAGE for anything else. */
static int s_verify_opt(cl_request *req, const char *o, const char *v)
{
    if (strcmp(o, "--checkpoint") != 0)
        return CLI_EXIT_USAGE;
    return s_read_checkpoint(v, req->u.checkpoint, sizeof(req->u.checkpoint))
               ? CLI_EXIT_FAILED
               : 0;
}

static int s_no_opt(cl_request *req, const char *o, const char *v)
{
    (void)req;
    (void)o;
    (void)v;
    return CLI_EXIT_USAGE;
}

/* audit search (who, what one user did, break-glass uses by date and
 * client) and subject-access (who). */
static int s_search_opt(cl_request *req, const char *o, const char *v)
{
    cl_person_ref *q = &req->u.person_ref;
    cl_audit_filter *af = &q->filter;
    bool search = req->kind == CL_REQ_AUDIT_SEARCH;
    char terr[CL_ERROR_SZ] = "";
    int64_t *t = !search                ? NULL
                 : !strcmp(o, "--from") ? &af->from
                 : !strcmp(o, "--to")   ? &af->to
                                        : NULL;
    if (t && !cl_fields_time(t, v, terr, sizeof(terr))) {
        fprintf(stderr, "caselink: %s\n", terr);
        return CLI_EXIT_USAGE;
    }
    if (t)
        return 0;
    if (search && !strcmp(o, "--break-glass"))
        af->break_glass_only = true;
    else if (search && !strcmp(o, "--flagged"))
        af->flagged_only = true;
    else if (search && !strcmp(o, "--client"))
        CL_COPY(af->client, v);
    else if (!strcmp(o, "--nhs"))
        CL_COPY(q->match.nhs, v);
    else if (!strcmp(o, "--chi"))
        CL_COPY(q->match.chi, v);
    else if (!strcmp(o, "--id"))
        CL_COPY(q->person_id, v);
    else if (search && !strcmp(o, "--limit"))
        return cli_ok(cli_num_opt(&q->limit, v, "--limit", 1));
    else if (search && !strcmp(o, "--user"))
        return cli_ok(CL_COPY(q->user_id, v));
    else
        return CLI_EXIT_USAGE;
    return 0;
}

/* What audit verify found; CLI_EXIT_FAILED when the chain is broken. */
static int s_print_verify(const cli_conn *cn, const cl_audit_verify_result *v)
{
    if (cn->json) {
        cli_json_obj(v, s_verify_rows);
        putchar('\n');
    } else if (v->intact) {
        printf("audit chain intact: %llu entries checked%s\n",
               (unsigned long long)v->entries,
               v->checkpoint_checked
                   ? "; the log up to the checkpoint is unchanged"
                   : "");
    } else {
        printf("AUDIT CHAIN BROKEN at entry %llu: %s\n",
               (unsigned long long)v->first_bad_seq, v->problem);
    }
    return v->intact ? 0 : CLI_EXIT_FAILED;
}

int cli_audit(cli_conn *cn, int argc, char **argv)
{
    cl_client *c = NULL;
    cl_reply rep;
    int status = 0;
    const char *sub = argc ? argv[0] : "";
    cl_request *req = calloc(1, sizeof(*req));
    if (!req)
        return CLI_EXIT_FAILED;
    if (!strcmp(sub, "verify")) {
        req->kind = CL_REQ_AUDIT_VERIFY;
        if ((status = cli_opts(cn, req, argc, argv, 1, s_verify_opt)) ==
            CLI_EXIT_FAILED) {
            status = CLI_EXIT_USAGE; /* the file was explained */
            goto out;
        }
    } else if (!strcmp(sub, "checkpoint")) {
        req->kind = CL_REQ_AUDIT_CHECKPOINT;
        status = cli_opts(cn, req, argc, argv, 1, s_no_opt);
    } else if (!strcmp(sub, "flags")) {
        free(req);
        return cli_audit_flags(cn, argc, argv);
    } else if (!strcmp(sub, "search") || !strcmp(sub, "subject-access")) {
        req->kind = sub[0] == 's' && sub[1] == 'e' ? CL_REQ_AUDIT_SEARCH
                                                   : CL_REQ_SUBJECT_ACCESS;
        cl_person_ref *q = &req->u.person_ref;
        cl_audit_filter *af = &q->filter;
        bool search = req->kind == CL_REQ_AUDIT_SEARCH;
        status = cli_opts(cn, req, argc, argv, 1, s_search_opt);
        if (!q->match.nhs[0] && !q->match.chi[0] && !q->person_id[0] &&
            !q->user_id[0] &&
            !(search && (af->break_glass_only || af->flagged_only || af->from ||
                         af->to || af->client[0])))
            status = CLI_EXIT_USAGE;
    } else {
        status = CLI_EXIT_USAGE;
    }
    if (status) {
        fprintf(stderr,
                "usage: caselink audit verify [--checkpoint FILE]\n"
                "       caselink audit checkpoint\n"
                "       caselink audit search (--nhs N | --chi N | --id P) "
                "[--user ID] [--limit N]\n"
                "       caselink audit search --user ID [--limit N]\n"
                "       caselink audit search [--break-glass | --flagged] "
                "[--from D] [--to D]\n"
                "                             [--client NAME] [--user ID] "
                "[--limit N]\n"
                "       caselink audit subject-access (--nhs N | --chi N | "
                "--id P)\n");
        goto out;
    }
    if ((status = cli_connect(cn, "auditor", &c)) != 0)
        goto out;
    int rc = cl_client_call(c, req, &rep);
    if (rc != CL_OK) {
        status = cli_transport(rc, cn);
        goto out;
    }
    if (!cl_reply_ok(&rep)) {
        status = cli_status(cn, &rep);
    } else if (req->kind == CL_REQ_AUDIT_VERIFY) {
        status = s_print_verify(cn, &rep.u.verify);
    } else if (req->kind == CL_REQ_AUDIT_CHECKPOINT) {
        fputs(rep.u.checkpoint, stdout);
    } else if (req->kind == CL_REQ_AUDIT_SEARCH) {
        if (cn->json) {
            cli_json_line(&rep.u.entries, s_entries_jrows);
        } else {
            s_print_audit(cn, &rep.u.entries, &req->u.person_ref);
        }
    } else {
        cli_json_line(&rep.u.subject, s_subject_jrows);
    }
    cl_reply_clear(&rep);
out:
    free(req);
    cl_client_close(&c);
    return status;
}
