/*
 * cli_audit: the caselink tool's audit commands: verify (against a shipped
 * checkpoint), checkpoint, search and subject access.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_json.h"
#include "fields.h"

static const cli_jrow s_verify_rows[] = {
    CLI_JB(cl_audit_verify_result, "intact", intact),
    CLI_JU(cl_audit_verify_result, "entries", entries),
    CLI_JU(cl_audit_verify_result, "first_bad_seq", first_bad_seq),
    CLI_JS(cl_audit_verify_result, "problem", problem),
    CLI_JB(cl_audit_verify_result, "checkpoint_checked", checkpoint_checked),
    CLI_JB(cl_audit_verify_result, "checkpoint_ok", checkpoint_ok),
    CLI_JEND,
};

static void s_json_user(const cl_user *u)
{
    if (!cl_user_named(u)) {
        printf("null");
        return;
    }
    printf("{");
    cli_jkv("user_id", u->id, true);
    cli_jkv("display_name", u->name, true);
    cli_jkv("role", u->role, false);
    printf("}");
}

static void s_json_audit(const cl_audit_entries *e)
{
    printf("[");
    for (size_t i = 0; i < e->n; i++) {
        const cl_audit_entry *a = &e->v[i];
        printf("%s{\"seq\":%llu,\"at\":%lld,", i ? "," : "",
               (unsigned long long)a->seq, (long long)a->at);
        cli_jkv("client", a->client, true);
        cli_jkv("agency", a->agency, true);
        cli_jkv("kind", a->kind, true);
        printf("\"person_ids\":[");
        for (uint32_t k = 0; k < a->n_persons; k++) {
            if (k)
                putchar(',');
            cli_jstr(a->person_ids[k]);
        }
        printf("],");
        cli_jkv("purpose", a->purpose, true);
        printf("\"break_glass\":%s,", a->break_glass ? "true" : "false");
        cli_jkv("outcome", cl_status_name(a->outcome), true);
        cli_jkv("detail", a->detail, true);
        printf("\"user\":");
        s_json_user(&a->user);
        printf("}");
    }
    printf("]");
}

/* Who looked, by named user: each once, with their agency, how many
 * entries and the first and last time (subject access). */
static void s_json_users(const cl_audit_entries *e)
{
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
        printf("\"entries\":%zu,\"first\":%lld,\"last\":%lld}", times,
               (long long)a->at, (long long)last);
    }
    printf("]");
}

/* Subject access: the referrals' earlier versions, relationships, plans. */
static void s_json_sar_case(const cl_subject_access *sa)
{
    const cl_person_view *v = &sa->person;
    printf(",\"referral_history\":[");
    for (size_t i = 0; i < sa->n_history; i++) {
        const cl_referral_version *h = &sa->history[i];
        printf("%s{", i ? "," : "");
        cli_jkv("reference", h->reference, true);
        printf("\"version\":%u,\"replaced_at\":%lld,", h->version,
               (long long)h->replaced_at);
        cli_jkv("change", h->change, true);
        cli_jkv("reason", h->reason, true);
        cli_jkv("by", h->by, true);
        printf("\"before\":");
        cli_json_referral(&h->referral);
        printf("}");
    }
    printf("],\"record_history\":[");
    for (size_t i = 0; i < sa->n_record_history; i++) {
        const cl_record_version *h = &sa->record_history[i];
        printf("%s{", i ? "," : "");
        cli_jkv("record_id", h->record.record_id, true);
        cli_jkv("agency", h->record.agency, true);
        printf("\"recorded_at\":%lld,\"replaced_at\":%lld,",
               (long long)h->recorded_at, (long long)h->replaced_at);
        cli_jkv("by", h->by, true);
        printf("\"before\":");
        cli_json_person(&h->record.person);
        printf("}");
    }
    printf("],\"relationships\":[");
    for (size_t i = 0; i < v->n_related; i++) {
        printf("%s{", i ? "," : "");
        cli_jkv("person_id", v->related[i].person_id, true);
        cli_jkv("relationship", cl_rel_name(v->related[i].rel), true);
        cli_jkv("given_names", v->related[i].given, true);
        cli_jkv("family_name", v->related[i].family, true);
        cli_jkv("stated_by", v->related[i].asserted_by, false);
        printf("}");
    }
    printf("],\"plans\":[");
    for (size_t i = 0; i < v->n_plans; i++) {
        const cl_plan_flag *f = &v->plans[i];
        printf("%s{", i ? "," : "");
        cli_jkv("via", f->via, true);
        cli_jkv("child_person_id", f->child_pid, true);
        cli_jkv("type", cl_plan_type_name(f->type), true);
        cli_jkv("category", cl_plan_cat_name(f->category), true);
        cli_jkv("start", f->start, true);
        cli_jkv("end", f->end, true);
        cli_jkv("authority", f->authority, true);
        cli_jkv("legal_basis", f->legal_basis, true);
        cli_jkv("next_review", f->review, true);
        printf("\"active\":%s}", f->active ? "true" : "false");
    }
}

/* Subject access: agendas, actions, RAG ratings and measures. */
static void s_json_sar_mdt(const cl_subject_access *sa)
{
    printf("],\"agenda\":[");
    for (size_t i = 0; i < sa->n_agenda; i++) {
        const cl_sar_agenda *a = &sa->agenda[i];
        printf("%s{", i ? "," : "");
        cli_jkv("review_id", a->review_id, true);
        cli_jkv("date", a->date, true);
        cli_jkv("title", a->title, true);
        cli_jkv("reason", cl_agenda_name(a->reason), true);
        cli_jkv("note", a->note, true);
        cli_jkv("discussion", a->discussion, true);
        cli_jkv("decisions", a->decisions, true);
        printf("\"discussed_at\":%lld,", (long long)a->discussed_at);
        cli_jkv("discussed_by", a->discussed_by, false);
        printf("}");
    }
    printf("],\"actions\":[");
    for (size_t i = 0; i < sa->actions.n; i++) {
        const cl_action *a = &sa->actions.v[i];
        printf("%s{", i ? "," : "");
        cli_jkv("action_id", a->action_id, true);
        cli_jkv("review_id", a->review_id, true);
        cli_jkv("text", a->text, true);
        cli_jkv("owner_name", a->owner_name, true);
        cli_jkv("owner_agency", a->owner_agency, true);
        cli_jkv("due", a->due, true);
        cli_jkv("status", cl_action_status_name(a->status), true);
        printf("\"created_at\":%lld,\"updated_at\":%lld,",
               (long long)a->created_at, (long long)a->updated_at);
        cli_jkv("note", a->note, false);
        printf("}");
    }
    printf("],\"rag\":[");
    for (size_t i = 0; i < sa->rag.n; i++) {
        const cl_rag_entry *e = &sa->rag.v[i];
        printf("%s{", i ? "," : "");
        cli_jkv("rating", cl_rag_name(e->rating), true);
        cli_jkv("note", e->note, true);
        printf("\"at\":%lld,", (long long)e->at);
        cli_jkv("by", e->by, false);
        printf("}");
    }
    printf("],\"measures\":[");
    for (size_t i = 0; i < sa->n_measures; i++) {
        printf("%s{", i ? "," : "");
        cli_jkv("name", sa->measures[i].name, true);
        cli_jkv("period", sa->measures[i].period, true);
        printf("\"value\":%g}", sa->measures[i].value);
    }
}

/* Subject access: information requests and intake items. */
static void s_json_sar_requests(const cl_subject_access *sa)
{
    printf("],\"information_requests\":[");
    for (size_t i = 0; i < sa->requests.n; i++) {
        const cl_request_summary *q = &sa->requests.v[i];
        printf("%s{", i ? "," : "");
        cli_jkv("request_id", q->request_id, true);
        cli_jkv("review_id", q->review_id, true);
        cli_jkv("question", q->question, true);
        cli_jkv("due", q->due, true);
        printf("\"created_at\":%lld,\"asked\":[", (long long)q->created_at);
        for (uint32_t j = 0; j < q->n_agencies; j++) {
            const cl_request_state *a = &q->agencies[j];
            printf("%s{", j ? "," : "");
            cli_jkv("agency", a->agency, true);
            printf("\"answered\":%s", a->answered ? "true" : "false");
            if (a->answered) {
                printf(",\"answered_at\":%lld,",
                       (long long)a->response.answered_at);
                cli_jkv("summary", a->response.summary, true);
                cli_jkv("risk", cl_risk_name(a->response.risk), true);
                cli_jkv("involvement", cl_involve_name(a->response.involvement),
                        true);
                cli_jkv("contact", a->response.contact, false);
            }
            printf("}");
        }
        printf("]}");
    }
    printf("],\"intake\":[");
    for (size_t i = 0; i < sa->intake.n; i++) {
        const cl_intake_item *x = &sa->intake.v[i];
        printf("%s{", i ? "," : "");
        cli_jkv("intake_id", x->intake_id, true);
        cli_jkv("rule", x->rule, true);
        cli_jkv("why", x->why, true);
        cli_jkv("reference", x->reference, true);
        cli_jkv("action_id", x->action_id, true);
        printf("\"raised_at\":%lld,", (long long)x->raised_at);
        printf("\"decided_at\":%lld,", (long long)x->decided_at);
        cli_json_intake_decision(x);
        printf("}");
    }
}

static void s_json_subject(const cl_subject_access *sa)
{
    const cl_person_view *v = &sa->person;
    printf("{\"caselink_subject_access\":1,");
    cli_jkv("person_id", v->person_id, true);
    cli_json_records(v, false);
    s_json_sar_case(sa);
    s_json_sar_mdt(sa);
    s_json_sar_requests(sa);
    printf("],\"legal_hold\":");
    if (sa->held) {
        printf("{\"since\":%lld,", (long long)sa->hold_at);
        cli_jkv("by", sa->hold_by, true);
        cli_jkv("reason", sa->hold_reason, false);
        printf("}");
    } else {
        printf("null");
    }
    printf(",\"named_users_who_looked\":");
    s_json_users(&sa->audit);
    printf(",\"audit\":");
    s_json_audit(&sa->audit);
    printf("}\n");
}

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
    size_t len = 0, bcap = 1 << 16;
    char *buf = malloc(bcap + 1);
    size_t n;
    while (buf && (n = fread(buf + len, 1, bcap - len, f)) > 0) {
        len += n;
        if (len == bcap && bcap < (64u << 20)) {
            char *nb = realloc(buf, bcap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            bcap *= 2;
        } else if (len == bcap) {
            break;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
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
        status = cli_status(&rep);
    } else if (req->kind == CL_REQ_AUDIT_VERIFY) {
        status = s_print_verify(cn, &rep.u.verify);
    } else if (req->kind == CL_REQ_AUDIT_CHECKPOINT) {
        fputs(rep.u.checkpoint, stdout);
    } else if (req->kind == CL_REQ_AUDIT_SEARCH) {
        if (cn->json) {
            printf("{\"entries\":");
            s_json_audit(&rep.u.entries);
            printf("}\n");
        } else {
            s_print_audit(cn, &rep.u.entries, &req->u.person_ref);
        }
    } else {
        s_json_subject(&rep.u.subject);
    }
    cl_reply_clear(&rep);
out:
    free(req);
    cl_client_close(&c);
    return status;
}
