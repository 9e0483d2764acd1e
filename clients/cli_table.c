/*
 * cli_table: the caselink tool's commands as rows (see cli_table.h), the
 * dispatcher that checks each command's options against its row, and the
 * help, man page and bash completion written from the same rows.
 */
#include "cli_table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "texts.h"
#include "words.h"

#define S_OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int s_help_cmd(cli_conn *cn, int argc, char **argv);

const cli_row cli_rows[] = {
    {"keygen",
     "NAME [--agency NAME] [--kind KIND] [--roles ROLES] [--format zpl]",
     "write NAME.key (secret, mode 0600) and NAME.pub, and print the "
     "registry entry to paste (section named after the client); --format "
     "zpl writes ZeroMQ ZPL certificates NAME.cert_secret and NAME.cert, "
     "as CZMQ's zcert does",
     S_OPTS("--agency NAME\tthe agency, as the registry should name it",
            "--kind KIND\tthe agency kind (gp, police, ...)",
            "--roles ROLES\tpublisher, coordinator, operator, auditor",
            "--format FORMAT\tini (default) or zpl"),
     0, cli_keygen_cmd, NULL},
    {"health", "", "daemon version, uptime, counts", NULL, CLI_JSON,
     cli_health_cmd, NULL},
    {"publish referral", "FIELDS... | --csv FILE [--verbose]",
     "publish one referral, or every row of a CSV file whose header names "
     "the fields (publisher); bad rows are reported as FILE:LINE",
     S_OPTS("--csv FILE\tpublish every row of FILE",
            "--verbose\tone line per row sent"),
     CLI_REFERRAL_FIELDS, cli_publish, NULL},
    {"publish plan", "FIELDS...",
     "publish or update a child protection plan (publisher registered as a "
     "plan authority)",
     NULL, CLI_PLAN_FIELDS, cli_publish, NULL},
    {"import persons", "FILE.csv --agency NAME",
     "link an agency's caseload extract; header: local_id (required), "
     "given_names, family_name, date_of_birth, sex, address (or "
     "address_line1, address_line2), town, postcode, uprn, nhs_number, "
     "chi_number; a bad field is dropped with a warning, not the row; "
     "--agency names the agency your key is registered for (publisher)",
     S_OPTS("--agency NAME\tyour agency, as registered"), 0, cli_import, NULL},
    {"person show",
     "(--nhs N | --chi N | --id P) (--review MDT-ID | --access-reason "
     "CODE --purpose TEXT)",
     "open a linked case (coordinator; audited; without a review it is "
     "break-glass: a reason code and at least 20 characters in three "
     "words, and the auditors are told at once)",
     S_OPTS("--nhs N\tNHS number", "--chi N\tCHI number",
            "--id P\tperson id (P00000001)",
            "--access-reason CODE\tbreak-glass reason: immediate_risk, "
            "safeguarding_enquiry, mdt_preparation, legal_duty, data_quality, "
            "subject_request",
            "--purpose TEXT\twhy you open it (flagged for the auditor)",
            "--review MDT-ID\tthe review whose agenda the person is on"),
     CLI_JSON, cli_person, NULL},
    {"person find", "FIELDS... --access-reason CODE --purpose TEXT [--limit N]",
     "ranked candidates for a person's details (coordinator; break-glass); "
     "a name needs a date of birth or a postcode too",
     S_OPTS("--access-reason CODE\tbreak-glass reason: immediate_risk, "
            "safeguarding_enquiry, mdt_preparation, legal_duty, data_quality, "
            "subject_request",
            "--purpose TEXT\twhy you search (audited)",
            "--limit N\tat most N candidates"),
     CLI_PERSON_FIELDS | CLI_JSON, cli_person, NULL},
    {"person split", "RECORD --reason TEXT",
     "undo a wrong link: the record becomes a person of its own "
     "(coordinator)",
     S_OPTS("--reason TEXT\tkept for the auditor"), 0, cli_person, NULL},
    {"person hold", "(--nhs N | --chi N | --id P) --reason TEXT",
     "a legal hold: retention keeps the person, whatever their activity, "
     "until the hold is released (coordinator; audited with the reason)",
     S_OPTS("--nhs N\tthe person's NHS number", "--chi N\tor CHI number",
            "--id P\tor caselink's person id",
            "--reason TEXT\twhy they must be kept (litigation, an inquiry, "
            "a complaint)"),
     0, cli_person, NULL},
    {"person release", "(--nhs N | --chi N | --id P) --reason TEXT",
     "end a legal hold: retention applies again (coordinator; audited)",
     S_OPTS("--nhs N\tthe person's NHS number", "--chi N\tor CHI number",
            "--id P\tor caselink's person id",
            "--reason TEXT\twhy the hold ends"),
     0, cli_person, NULL},
    {"casefind",
     "--agency NAME [--min N] [--since DATE] [--until DATE] [--not-known-to "
     "WHO]... --access-reason CODE --purpose TEXT",
     "high-level users of one agency with names, most contacts first, who "
     "else knows them (about them, or only mentioning them), and the agency "
     "overlap (coordinator; audited)",
     S_OPTS("--agency NAME\twhose contacts to count",
            "--min N\tat least N contacts (default 3)",
            "--since DATE\tcontacts from DATE (by when they happened)",
            "--until DATE\tcontacts before DATE",
            "--not-known-to WHO\tleave out people an agency, a kind (gp) or "
            "health holds a record about (repeatable)",
            "--access-reason CODE\tbreak-glass reason: immediate_risk, "
            "safeguarding_enquiry, mdt_preparation, legal_duty, data_quality, "
            "subject_request",
            "--purpose TEXT\twhy (audited; the list names people)"),
     CLI_JSON, cli_casefind, NULL},
    {"links export", "--csv",
     "every agency record and the person it is linked to (coordinator)",
     S_OPTS("--csv\tas CSV on standard output"), 0, cli_links, NULL},
    {"link evaluate", "--truth FILE.csv",
     "measure linking against labelled records (columns agency, local_id, "
     "cluster): precision, recall, F1, clusters, the review queue, a table "
     "by threshold (coordinator)",
     S_OPTS("--truth FILE\tthe labelled sample"), 0, cli_link, NULL},
    {"link train", "[--sample N]",
     "estimate linking weights from the store's own records: u from random "
     "pairs, m by EM over blocked pairs, name frequencies, the prior; kept "
     "as a proposal (coordinator or operator; audited; no personal data)",
     S_OPTS("--sample N\trecords to learn from (default 20000)"), CLI_JSON,
     cli_link, NULL},
    {"link weights", "[--accept]",
     "the weights of every comparison level in use and proposed, and the "
     "thresholds as weights and probabilities; --accept puts the proposal "
     "in use (coordinator or operator)",
     S_OPTS("--accept\tuse the proposed weights from now on"), CLI_JSON,
     cli_link, NULL},
    {"link rerun", "[--wait]",
     "relink every stored record with the weights in use, in bounded "
     "background batches (progress in admin stats): people merged where a "
     "record now matches two, other pairs queued for review; a record a "
     "coordinator decided on is never moved (coordinator or operator)",
     S_OPTS("--wait\tuntil it is done"), CLI_JSON, cli_link, NULL},
    {"match list",
     "[--limit N] [--page N | --after QID | --all] [--agency NAME] "
     "[--min-probability P] [--max-probability P]",
     "the match-review queue, highest weight first, both records side by "
     "side with every field's weight, and why a pair at the link threshold "
     "is held instead of linked (coordinator)",
     S_OPTS("--limit N\tpairs per page (up to 500)", "--page N\tpage N",
            "--after QID\tthe page after pair QID", "--all\tevery page",
            "--agency NAME\tpairs with a record of this agency",
            "--min-probability P\tmatch probability at least P (0..1)",
            "--max-probability P\tat most P"),
     CLI_JSON, cli_review, NULL},
    {"match accept", "QID --reason TEXT",
     "the two records are one person: merge them (coordinator)",
     S_OPTS("--reason TEXT\tkept for the auditor"), 0, cli_review, NULL},
    {"match reject", "QID --reason TEXT",
     "the two records are different people (coordinator)",
     S_OPTS("--reason TEXT\tkept for the auditor"), 0, cli_review, NULL},
    {"mdt create", "--date DATE --title TEXT [--agency NAME]...",
     "create an extended MDT review (coordinator)",
     S_OPTS("--date DATE\twhen it meets", "--title TEXT\tits title",
            "--agency NAME\tan agency attending (repeatable)"),
     0, cli_mdt, NULL},
    {"mdt add",
     "MDT-ID (--nhs N | --id P) --reason REASON [--note TEXT] "
     "[--access-reason CODE --purpose TEXT]",
     "put a person on a review's agenda; REASON: gp_concern, "
     "police_high_level_user, child_protection, case_finding, other (needs "
     "--note); someone no agency has referred only with break-glass",
     S_OPTS("--nhs N\tNHS number", "--id P\tperson id",
            "--reason REASON\twhy they are on the agenda",
            "--note TEXT\tmore about why",
            "--access-reason CODE\tbreak-glass reason: immediate_risk, "
            "safeguarding_enquiry, mdt_preparation, legal_duty, data_quality, "
            "subject_request",
            "--purpose TEXT\tbreak-glass justification"),
     0, cli_mdt, NULL},
    {"mdt discuss", "MDT-ID --id P --summary TEXT [--decisions TEXT]",
     "record what the review said and decided about a person",
     S_OPTS("--id P\tperson id", "--summary TEXT\twhat was said",
            "--decisions TEXT\twhat was decided"),
     0, cli_mdt, NULL},
    {"mdt show", "MDT-ID [--html FILE] [--pdf FILE] [--csv FILE]",
     "the agenda pack: the meeting (chair, attendees, apologies, "
     "confidentiality), since the last meeting, and for each person the "
     "linked case, earlier reviews and their actions (open ones marked), "
     "actions, requests, discussion, RAG and measures (coordinator; audited "
     "like a case view); as a printable document or CSV for the "
     "minute-taker",
     S_OPTS("--html FILE\tprintable HTML: a page per person, the review and "
            "page number on every page, the confidentiality statement at the "
            "foot",
            "--pdf FILE\tthe same printed to PDF by headless Chromium "
            "(CASELINK_CHROMIUM, or chromium on PATH)",
            "--csv FILE\tthe agenda, a row per person (- for standard "
            "output)"),
     0, cli_mdt, NULL},
    {"mdt record",
     "MDT-ID --chair NAME [--attendee \"NAME|AGENCY|ROLE\"]... "
     "[--apology \"NAME|AGENCY|ROLE\"]... [--confidentiality TEXT]",
     "the meeting record: who chaired, who attended and who sent apologies, "
     "and the confidentiality statement the pack carries (coordinator)",
     S_OPTS("--chair NAME\twho chairs",
            "--attendee SPEC\tNAME|AGENCY|ROLE "
            "(repeatable)",
            "--apology SPEC\tNAME|AGENCY|ROLE (repeatable)",
            "--confidentiality TEXT\tinstead of the default statement"),
     0, cli_mdt, NULL},
    {"action add",
     "MDT-ID --id P --text TEXT --owner NAME --owner-agency AGENCY --due "
     "DATE",
     "an action agreed at a review, owned by a named person at an agency",
     S_OPTS("--id P\tperson id", "--text TEXT\twhat is to be done",
            "--owner NAME\twho does it", "--owner-agency AGENCY\ttheir agency",
            "--due DATE\tby when"),
     0, cli_action, NULL},
    {"action done", "ACT-ID [--note TEXT]", "mark an action done",
     S_OPTS("--note TEXT\twhat happened"), 0, cli_action, NULL},
    {"action cancel", "ACT-ID [--note TEXT]", "cancel an action",
     S_OPTS("--note TEXT\twhy"), 0, cli_action, NULL},
    {"action reopen", "ACT-ID [--note TEXT]", "open a closed action again",
     S_OPTS("--note TEXT\twhy"), 0, cli_action, NULL},
    {"action block", "ACT-ID --note TEXT",
     "the owning agency cannot go on with an action (publisher of the "
     "owning agency, or coordinator); the coordinators are told",
     S_OPTS("--note TEXT\twhy"), 0, cli_action, NULL},
    {"actions", "[--overdue] [--open] [--review MDT-ID] [--id P] [--csv FILE]",
     "actions agreed at reviews, each with who changed it and when; "
     "overdue ones are open past their due date; a publisher sees its own "
     "agency's actions only (and marks them done or blocked)",
     S_OPTS("--overdue\tonly overdue ones", "--open\tonly open ones",
            "--review MDT-ID\tof one review", "--id P\tabout one person",
            "--csv FILE\tthe actions tracker as CSV (- for standard output)"),
     CLI_JSON, cli_actions, NULL},
    {"referral list",
     "[--agency NAME] [--category C] [--status S] [--from DATE] [--to DATE] "
     "[--id P | --nhs N] [--limit N] [--after REF]",
     "referrals, oldest first, with the person's name and date of birth "
     "(coordinator; audited, each person named)",
     S_OPTS("--agency NAME\tthe referring agency",
            "--category C\tmental_health, housing, ...",
            "--status S\treceived, accepted, declined or closed",
            "--from DATE\treceived on or after",
            "--to DATE\treceived on or "
            "before",
            "--id P\tabout one person", "--nhs N\tabout one person",
            "--limit N\ta page of at most N (default 500)",
            "--after REF\tthe page after this reference"),
     CLI_JSON, cli_referral_list, NULL},
    {"mdt list", "[--upcoming | --past]",
     "reviews by date with how many people are on each agenda, discussed, "
     "and their actions open, overdue and closed (coordinator)",
     S_OPTS("--upcoming\tdated today or later", "--past\tdated before today"),
     CLI_JSON, cli_mdt_list, NULL},
    {"rag set", "(--id P | --workstream NAME) red|amber|green --note TEXT",
     "rate a case or a workstream; every change is kept",
     S_OPTS("--id P\ta person's case", "--workstream NAME\ta workstream",
            "--note TEXT\twhy"),
     0, cli_rag, NULL},
    {"rag history", "(--id P | --workstream NAME)",
     "every rating of a case or a workstream, with who and when",
     S_OPTS("--id P\ta person's case", "--workstream NAME\ta workstream"),
     CLI_JSON, cli_rag, NULL},
    {"measure define",
     "NAME --baseline MONTH MONTH [--count referrals|attendances|alerts] "
     "[--category CATEGORY] [--agency-kind KIND]",
     "an outcome measure with its baseline period (months as 2026-01, "
     "01/2026 or Jan 2026); with --count caselink counts it from what it "
     "holds, for each person on the MDT caseload per month, the baseline "
     "the same way (e.g. police contacts: --count referrals --agency-kind "
     "police)",
     S_OPTS("--baseline FROM TO\tthe baseline's first and last month",
            "--count WHAT\treferrals, attendances (agenda places) or alerts "
            "(safeguarding alerts delivered)",
            "--category CATEGORY\twith referrals: only this category",
            "--agency-kind KIND\twith referrals: only from agencies of this "
            "kind (police, gp, ...)"),
     0, cli_measure, NULL},
    {"measure record", "NAME --id P --period MONTH --value N",
     "one person's value of a measure for one month",
     S_OPTS("--id P\tperson id", "--period MONTH\tthe month",
            "--value N\tthe value"),
     0, cli_measure, NULL},
    {"report",
     "(--html FILE | --json FILE | --csv FILE) [--from DATE] [--to "
     "DATE]",
     "the executive's report, no personal data; FILE - for standard output "
     "(coordinator)",
     S_OPTS("--html FILE\tone self-contained page",
            "--json FILE\tthe same figures as JSON",
            "--csv FILE\tthe same figures as CSV",
            "--from DATE\tstart of the period (default a year ago)",
            "--to DATE\tend of the period (default today)"),
     0, cli_report, NULL},
    {"referral correct", "REF --reason TEXT FIELDS...",
     "change only the fields given of a referral your agency sent "
     "(publisher; REF: CL-... or your own reference); earlier versions are "
     "kept",
     S_OPTS("--reason TEXT\twhy (kept for the auditor)"), CLI_REFERRAL_FIELDS,
     cli_referral, NULL},
    {"referral withdraw", "REF --reason TEXT",
     "withdraw a referral your agency sent (publisher)",
     S_OPTS("--reason TEXT\twhy (kept for the auditor)"), 0, cli_referral,
     NULL},
    {"referral status",
     "REF accepted|declined|closed [--reason TEXT] [--outcome OUTCOME]",
     "move a referral on (coordinator); the referring agency is told; "
     "OUTCOME: services_provided, client_refused, unable_to_contact, "
     "no_further_action, referred_on",
     S_OPTS("--reason TEXT\twhy (required to decline)",
            "--outcome OUTCOME\thow it closed"),
     0, cli_referral, NULL},
    {"inbox", "[list] | --follow [--ack] [--for SECONDS]",
     "your agency's mailbox: alerts, requests, answers, status changes, "
     "feed problems, kept until acknowledged",
     S_OPTS("--follow\tprint deliveries as they arrive",
            "--ack\twith --follow: acknowledge each one printed",
            "--for SECONDS\twith --follow: stop after SECONDS"),
     CLI_JSON, cli_inbox, NULL},
    {"inbox show", "SEQ", "one delivery in full", NULL, CLI_JSON, cli_inbox,
     NULL},
    {"inbox ack", "SEQ...", "done with these deliveries", NULL, 0, cli_inbox,
     NULL},
    {"request send",
     "(--id P | --nhs N) --agency NAME... --due DATE --question TEXT "
     "[--review MDT-ID]",
     "ask agencies what they hold about a person (coordinator)",
     S_OPTS("--id P\tperson id", "--nhs N\tNHS number", "--chi N\tCHI number",
            "--agency NAME\tan agency to ask (repeatable)",
            "--due DATE\tanswer by", "--question TEXT\twhat you ask",
            "--review MDT-ID\tthe review it prepares"),
     0, cli_request_cmd, NULL},
    {"request list", "[--id P] [--open]",
     "requests and each agency's answer, or that it is waiting or overdue",
     S_OPTS("--id P\tabout one person", "--open\tonly unanswered ones"),
     CLI_JSON, cli_request_cmd, NULL},
    {"respond",
     "REQ-ID --summary TEXT --involvement none|past|current [--risk RISK] "
     "[--contact TEXT]",
     "answer a request sent to your agency (publisher)",
     S_OPTS("--summary TEXT\twhat you hold",
            "--involvement LEVEL\tnone, past or current",
            "--risk RISK\tlow, medium, high or immediate",
            "--contact TEXT\twho to call"),
     0, cli_respond, NULL},
    {"audit verify", "[--checkpoint FILE]",
     "check the audit chain and the indexes, against the newest signed "
     "checkpoint in FILE when given (such as the file checkpoint_command "
     "shipped) (auditor)",
     S_OPTS("--checkpoint FILE\tcheckpoints kept elsewhere"), CLI_JSON,
     cli_audit, NULL},
    {"audit checkpoint", "",
     "print a signed checkpoint to keep elsewhere (auditor)", NULL, 0,
     cli_audit, NULL},
    {"audit search",
     "(--nhs N | --chi N | --id P | --user ID | [--break-glass | --flagged] "
     "[--from DATE] [--to DATE] [--client NAME]) [--limit N]",
     "who looked at a person, when and why, naming the client and the "
     "named user; with --user, what one named user did; with the filters, "
     "every break-glass use (and refusal, with --flagged) by date and "
     "client (auditor)",
     S_OPTS("--nhs N\tNHS number", "--chi N\tCHI number", "--id P\tperson id",
            "--user ID\tentries of this named user (with a person: both)",
            "--break-glass\tbreak-glass uses only",
            "--flagged\tbreak-glass uses and refusals",
            "--from DATE\tfrom DATE", "--to DATE\tbefore DATE",
            "--client NAME\tby this registered client",
            "--limit N\tat most N entries"),
     CLI_JSON, cli_audit, NULL},
    {"audit flags", "[--agency NAME] [--from DATE] [--to DATE] [--limit N]",
     "the front-line flags shown, by agency and date: who was shown whose "
     "plan, about whom, how (auditor)",
     S_OPTS("--agency NAME\tshown to this agency", "--from DATE\tfrom this day",
            "--to DATE\tto this day, inclusive",
            "--limit N\tat most N (default 100)"),
     CLI_JSON, cli_audit, NULL},
    {"flag check", "(--nhs N | --chi N | --local-id ID)",
     "is the person in front of you, or a child they are parent, carer or "
     "household member of, on a protection plan, and whom to call (a "
     "publisher of a front-line kind: GP, police, trusts, ambulance, "
     "housing); never by name or date of birth; the plan's authority is told "
     "and the check is audited",
     S_OPTS("--nhs N\tNHS number", "--chi N\tCHI number",
            "--local-id ID\tyour own agency's id for the person",
            "--given NAME\trefused: never by name, date of birth or address",
            "--family NAME\trefused, as --given",
            "--dob DATE\trefused, as --given"),
     0, cli_flag, NULL},
    {"plan withdraw", "YOUR-REF --reason TEXT",
     "withdraw a protection plan recorded in error (its plan authority): it "
     "leaves every case view, alert and front-line flag at once",
     S_OPTS("--reason TEXT\twhy (kept for the auditor)"), 0, cli_plan_cmd,
     NULL},
    {"audit subject-access", "(--nhs N | --chi N | --id P)",
     "everything held about a person, as JSON (auditor)",
     S_OPTS("--nhs N\tNHS number", "--chi N\tCHI number", "--id P\tperson id"),
     CLI_JSON, cli_audit, NULL},
    {"admin stats", "",
     "requests, commits, latency, store, mailboxes (operator)", NULL, CLI_JSON,
     cli_admin, NULL},
    {"admin feeds", "",
     "each agency feed: last message, rate, gaps, silence (operator, "
     "coordinator)",
     NULL, CLI_JSON, cli_admin, NULL},
    {"admin backup", "NAME",
     "online, still encrypted copy to STATE_DIRECTORY/backups/NAME "
     "(operator)",
     NULL, CLI_JSON, cli_admin, NULL},
    {"admin rotate-key", "", "seal with a new data key; re-seal the rest", NULL,
     CLI_JSON, cli_admin, NULL},
    {"admin rotate-master", "",
     "replace the master key with the one at its path + .next; re-seal "
     "(operator)",
     NULL, CLI_JSON, cli_admin, NULL},
    {"admin key-status", "", "data key versions in use", NULL, CLI_JSON,
     cli_admin, NULL},
    {"admin retire-key", "VERSION", "refuse an unused key version from now on",
     NULL, CLI_JSON, cli_admin, NULL},
    {"admin promote", "",
     "on a standby: catch up with the stream, then take over as the active "
     "(operator)",
     NULL, CLI_JSON, cli_admin, NULL},
    {"help", "[COMMAND] | --man | --completion | --words",
     "this list, one command's options, the manual page, bash completion, "
     "or the wording table",
     S_OPTS("--man\tthe manual page (roff)",
            "--completion\tthe bash completion script",
            "--words\tthe label shown for each value"),
     0, s_help_cmd, NULL},
    /* old names, kept working with a notice */
    {"review list", "...", "the match-review queue", NULL, 0, cli_review,
     "match list"},
    {"review accept", "QID --reason TEXT", "merge a queued pair", NULL, 0,
     cli_review, "match accept"},
    {"review reject", "QID --reason TEXT", "keep a queued pair apart", NULL, 0,
     cli_review, "match reject"},
    {"review show", "MDT-ID", "the agenda pack", NULL, 0, cli_review,
     "mdt show"},
    {"intake", "[list] [--all]",
     "the coordinators' intake queue: concerns the partnership's rules send "
     "to the MDT, referrals that ask for it, patterns the triggers found, "
     "actions overdue; each with the person's name and date of birth, the "
     "referring agency, what and when, and the agendas the person is on "
     "(coordinator; audited)",
     S_OPTS("--all\tdecided and deferred items too"), CLI_JSON, cli_intake,
     NULL},
    {"intake accept", "IN-ID --review MDT-ID [--reason REASON]",
     "put the person on a review's agenda; a referral still received is "
     "accepted and the referrer told (coordinator)",
     S_OPTS("--review MDT-ID\tthe review whose agenda they go on",
            "--reason REASON\tgp_concern, police_high_level_user, "
            "child_protection, case_finding or other (default from the "
            "rule)"),
     0, cli_intake, NULL},
    {"intake decline", "IN-ID --reason TEXT",
     "decline an item; a referral still received is declined and the "
     "referrer told the reason (coordinator)",
     S_OPTS("--reason TEXT\twhy (the referrer reads it)"), 0, cli_intake, NULL},
    {"intake defer", "IN-ID [--until DATE] [--reason TEXT]",
     "leave an item for later: it comes back to the queue on DATE "
     "(coordinator)",
     S_OPTS("--until DATE\tshow it again from this date",
            "--reason TEXT\twhy it waits"),
     0, cli_intake, NULL},
};

const size_t cli_n_rows = sizeof(cli_rows) / sizeof(cli_rows[0]);

/* Connection and output options, before or after the command. */
static const char *const s_global[] = {
    "--endpoint URL\ttcp://host:port or ipc://path (or CASELINK_ENDPOINT); "
    "URL,URL,...: an active and its standbys, with failover",
    "--server-key FILE\tthe daemon's public key file (or "
    "CASELINK_SERVER_KEY)",
    "--key FILE\tthis client's key file, mode 0600 (or CASELINK_KEY)",
    "--dev DIR\ta folder made by 'caselinkd --dev DIR'",
    "--as NAME\twith --dev: gp, police, childrens, adults, coordinator, "
    "operator or auditor",
    "--timeout MS\twait per attempt (default 5000)",
    "--user ID\tthe person you act for: user id (or CASELINK_USER); "
    "coordinator and auditor commands need --user, --user-name and "
    "--user-role",
    "--user-name NAME\ttheir display name (or CASELINK_USER_NAME)",
    "--user-role ROLE\ttheir role in the agency (or CASELINK_USER_ROLE)",
    "--user-file FILE\tthe same from lines user_id = ..., display_name = "
    "..., role = ... (or CASELINK_USER_FILE; under --dev the folder's "
    "keys/NAME.user)",
    "--iso\t(after the command) dates and times as ISO 8601, UTC",
    "--json\t(after a command marked [--json]) JSON instead of text, "
    "with ISO dates and UTC times; refused by the others",
    NULL};

/* --- matching ------------------------------------------------------------ */

/* Number of words of a row ("person show": 2). */
static size_t s_word_len(const char *w, size_t *first)
{
    *first = strcspn(w, " ");
    return w[*first] ? 2 : 1;
}

static const cli_row *s_find_row(int argc, char **argv, int *used,
                                 const cli_row **same_first)
{
    const cli_row *one = NULL;
    *same_first = NULL;
    for (size_t i = 0; i < cli_n_rows; i++) {
        const cli_row *r = &cli_rows[i];
        size_t first;
        size_t n = s_word_len(r->words, &first);
        if (strlen(argv[0]) != first || strncmp(r->words, argv[0], first))
            continue;
        if (!*same_first || ((*same_first)->now && !r->now))
            *same_first = r; /* a current name before an old one */
        if (n == 1)
            one = r;
        else if (argc > 1 && !strcmp(r->words + first + 1, argv[1])) {
            *used = 2;
            return r;
        }
    }
    *used = 1;
    return one;
}

/* "mdt lst": no row of mdt is lst. The nearest, and mdt's usage. */
static int s_unknown_sub(const cli_conn *cn, const char *cmd, const char *sub)
{
    const char *best = NULL, *now = NULL;
    size_t best_len = 0, best_d = 3, len = strlen(cmd);
    for (int old = 0; old < 2 && !best_len; old++)
        for (size_t i = 0; i < cli_n_rows; i++) {
            const char *w = cli_rows[i].words;
            if (!cli_rows[i].now == !old && !strncmp(w, cmd, len) &&
                w[len] == ' ') {
                const char *was = best;
                cli_consider(sub, w + len + 1, strlen(w + len + 1), &best,
                             &best_len, &best_d);
                if (old && (best != was || !now))
                    now = cli_rows[i].now;
            }
        }
    fprintf(stderr, "caselink: unknown command '%s %s'", cmd, sub);
    if (best)
        fprintf(stderr, "; did you mean '%s %.*s'?", cmd, (int)best_len, best);
    fputc('\n', stderr);
    if (!now)
        return cli_usage(cn, cmd);
    fprintf(stderr, "('%s' is an old name: see caselink help %.*s)\n", cmd,
            (int)strcspn(now, " "), now);
    return CLI_EXIT_USAGE;
}

int cli_dispatch(cli_conn *cn, int argc, char **argv)
{
    int used = 0;
    cn->rows = cli_rows; /* for cli_usage */
    cn->n_rows = cli_n_rows;
    const cli_row *same = NULL;
    const cli_row *r = argc ? s_find_row(argc, argv, &used, &same) : NULL;
    if (!r && same && argc > 1 && argv[1][0] != '-')
        return s_unknown_sub(cn, argv[0], argv[1]);
    if (!r && same) /* "person": the handler says how it is used */
        return same->run(cn, argc - 1, argv + 1);
    if (!r) {
        const char *best = NULL;
        size_t best_len = 0, best_d = 3;
        for (size_t i = 0; argc && i < cli_n_rows; i++)
            if (!cli_rows[i].now)
                cli_consider(argv[0], cli_rows[i].words,
                             strcspn(cli_rows[i].words, " "), &best, &best_len,
                             &best_d);
        fprintf(stderr, "caselink: unknown command '%s'", argc ? argv[0] : "");
        if (best)
            fprintf(stderr, "; did you mean '%.*s'?", (int)best_len, best);
        fprintf(stderr, " (caselink help lists every command)\n");
        return CLI_EXIT_USAGE;
    }
    const cli_row *checked = r;
    if (r->now) {
        fprintf(stderr,
                "caselink: '%s' is now 'caselink %s' (the old name still "
                "works)\n",
                r->words, r->now);
        for (size_t i = 0; i < cli_n_rows; i++)
            if (!strcmp(cli_rows[i].words, r->now))
                checked = &cli_rows[i]; /* the options of the new name */
    }
    if (!cli_check_opts(checked, argc - used, argv + used))
        return CLI_EXIT_USAGE;
    if (cn->json && !(checked->fields & CLI_JSON)) {
        fprintf(stderr,
                "caselink %s: --json is not offered here (nothing was "
                "sent); the commands that show what caselink holds take "
                "it (caselink help lists them, marked [--json])\n",
                checked->words);
        return CLI_EXIT_USAGE;
    }
    cn->row = checked;
    return r->run(cn, argc - 1, argv + 1);
}

/* --- help ---------------------------------------------------------------- */

/* Words of text filled to width, each line after the first (and the first
 * too unless col says the cursor is already at col) starting with indent. */
static void s_wrap(FILE *f, const char *indent, const char *text, size_t width,
                   size_t col)
{
    size_t il = strlen(indent);
    const char *p = text;
    bool fresh = col == 0;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (!fresh && col + 1 + w > width) {
            fputc('\n', f);
            fresh = true;
        }
        if (fresh) {
            fputs(indent, f);
            col = il;
            fresh = false;
        } else {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, w, f);
        col += w;
        p += w;
        while (*p == ' ')
            p++;
    }
    fputc('\n', f);
}

static void s_opt_lines(FILE *f, const char *const *opts)
{
    for (const char *const *p = opts; p && *p; p++) {
        const char *tab = strchr(*p, '\t');
        int n = tab ? (int)(tab - *p) : (int)strlen(*p);
        fprintf(f, "      %-24.*s", n, *p);
        if (n > 23)
            fprintf(f, "\n%30s", "");
        s_wrap(f, "                               ", tab ? tab + 1 : "", 79,
               30);
    }
}

static void s_field_lines(FILE *f, const cl_field_doc *d)
{
    for (; d->name; d++) {
        char flag[96];
        snprintf(flag, sizeof(flag), "%s%s%s%s %s", d->name,
                 d->alias ? " (--" : "", d->alias ? d->alias : "",
                 d->alias ? ")" : "", d->arg);
        fprintf(f, "  %-34s", flag);
        if (strlen(flag) > 33)
            fprintf(f, "\n%36s", "");
        s_wrap(f, "                                     ", d->help, 79, 36);
    }
}

static void s_row_text(FILE *f, const cli_row *r, bool full)
{
    fprintf(f, "  %s %s%s%s\n", r->words, r->synopsis,
            r->synopsis[0] && (r->fields & CLI_JSON) ? " " : "",
            r->fields & CLI_JSON ? "[--json]" : "");
    if (r->now) {
        fprintf(f, "      old name of 'caselink %s'\n", r->now);
        return;
    }
    s_wrap(f, "      ", r->help, 78, 0);
    if (full)
        s_opt_lines(f, r->opts);
}

/* --- the texts: help, man page, completion ------------------------------
 *
 * Each is a template in its own language (clients/text/: help.txt,
 * caselink.1.in, completion.bash), compiled in; every @NAME@ in it is
 * written from the command table by the fill of that name. */

typedef struct s_fill {
    const char *name;
    void (*write)(FILE *f);
} s_fill;

/* Write text, each @NAME@ replaced by its fill (a marker alone on its line
 * takes the line's break with it). */
static void s_template_fills(FILE *f, const char *text, const s_fill *fills,
                             size_t n)
{
    const char *p = text;
    while (*p) {
        const char *at = strchr(p, '@');
        size_t len = at ? strspn(at + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") : 0;
        const s_fill *fill = NULL;
        for (size_t i = 0; at && at[1 + len] == '@' && i < n && !fill; i++)
            if (strlen(fills[i].name) == len &&
                !strncmp(fills[i].name, at + 1, len))
                fill = &fills[i];
        if (!fill) { /* up to and with the next @, as it is */
            size_t k = at ? (size_t)(at - p) + 1 : strlen(p);
            fwrite(p, 1, k, f);
            p += k;
            continue;
        }
        fwrite(p, 1, (size_t)(at - p), f);
        fill->write(f);
        p = at + len + 2;
        if (*p == '\n' && (at == text || at[-1] == '\n'))
            p++;
    }
}
#define s_template(f, text, fills)                                             \
    s_template_fills(f, text, fills, sizeof(fills) / sizeof(fills[0]))

static void s_text_commands(FILE *f)
{
    for (size_t i = 0; i < cli_n_rows; i++)
        if (!cli_rows[i].now)
            s_row_text(f, &cli_rows[i], false);
}

static void s_text_old_names(FILE *f)
{
    for (size_t i = 0; i < cli_n_rows; i++)
        if (cli_rows[i].now)
            fprintf(f, "  %-28s now caselink %s\n", cli_rows[i].words,
                    cli_rows[i].now);
}

static void s_text_global(FILE *f)
{
    s_opt_lines(f, s_global);
}

static void s_text_referral_fields(FILE *f)
{
    s_field_lines(f, cl_referral_field_docs);
}

static void s_text_plan_fields(FILE *f)
{
    s_field_lines(f, cl_plan_field_docs);
}

static const s_fill s_text_fills[] = {
    {"COMMANDS", s_text_commands},
    {"OLD_NAMES", s_text_old_names},
    {"GLOBAL", s_text_global},
    {"REFERRAL_FIELDS", s_text_referral_fields},
    {"PLAN_FIELDS", s_text_plan_fields},
};

void cli_help_text(FILE *f, const char *cmd)
{
    bool any = false;
    unsigned fields = 0;
    for (size_t i = 0; cmd && i < cli_n_rows; i++) {
        size_t first = strcspn(cli_rows[i].words, " ");
        if ((strlen(cmd) == first && !strncmp(cli_rows[i].words, cmd, first)) ||
            !strcmp(cli_rows[i].words, cmd)) {
            s_row_text(f, &cli_rows[i], true);
            if (cli_rows[i].fields & CLI_PERSON_FIELDS)
                fputs("      FIELDS: the person's details, named as the "
                      "subject's referral fields\n      (--given, --family, "
                      "--dob, --postcode, --nhs ...: caselink help "
                      "publish)\n",
                      f);
            fields |= cli_rows[i].fields;
            any = true;
        }
    }
    /* the fields FIELDS... stands for, so one command's help is whole */
    if (fields & CLI_REFERRAL_FIELDS) {
        fputs("\nReferral fields (flags --name-with-dashes or the short "
              "flag; CSV header names):\n",
              f);
        s_field_lines(f, cl_referral_field_docs);
    }
    if (fields & CLI_PLAN_FIELDS) {
        fputs("\nPlan fields (publish plan):\n", f);
        s_field_lines(f, cl_plan_field_docs);
    }
    if (any)
        return;
    if (cmd)
        fprintf(f, "caselink: no command '%s'; every command:\n\n", cmd);
    s_template(f, cl_text_help, s_text_fills);
}

/* roff: escape backslashes and leading dots, dashes as \-. */
static void s_roff(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        if (s[i] == '\\')
            fputs("\\e", f);
        else if (s[i] == '-')
            fputs("\\-", f);
        else if ((s[i] == '.' || s[i] == '\'') && (i == 0))
            fputs("\\&.", f);
        else
            fputc(s[i], f);
    }
}

static void s_man_opts(FILE *f, const char *const *opts)
{
    for (const char *const *p = opts; p && *p; p++) {
        const char *tab = strchr(*p, '\t');
        fputs(".TP\n.B ", f);
        s_roff(f, *p, tab ? (size_t)(tab - *p) : strlen(*p));
        fputs("\n", f);
        s_roff(f, tab ? tab + 1 : "", SIZE_MAX);
        fputs("\n", f);
    }
}

static void s_man_fields(FILE *f, const cl_field_doc *d)
{
    for (; d->name; d++) {
        fputs(".TP\n.B ", f);
        s_roff(f, d->name, SIZE_MAX);
        if (d->alias) {
            fputs(" \\fR(\\fB\\-\\-", f);
            s_roff(f, d->alias, SIZE_MAX);
            fputs("\\fR)", f);
        }
        fputs(" \\fI", f);
        s_roff(f, d->arg, SIZE_MAX);
        fputs("\\fR\n", f);
        s_roff(f, d->help, SIZE_MAX);
        fputs("\n", f);
    }
}

static void s_man_global(FILE *f)
{
    s_man_opts(f, s_global);
}

static void s_man_commands(FILE *f)
{
    for (size_t i = 0; i < cli_n_rows; i++) {
        const cli_row *r = &cli_rows[i];
        if (r->now)
            continue;
        fputs(".TP\n.B ", f);
        s_roff(f, r->words, SIZE_MAX);
        fputs("\n", f);
        if (r->synopsis[0] || (r->fields & CLI_JSON)) {
            fputs(".I ", f);
            s_roff(f, r->synopsis, SIZE_MAX);
            if (r->fields & CLI_JSON)
                s_roff(f, r->synopsis[0] ? " [--json]" : "[--json]", SIZE_MAX);
            fputs("\n.br\n", f);
        }
        s_roff(f, r->help, SIZE_MAX);
        fputs("\n", f);
        if (r->opts) {
            fputs(".RS\n", f);
            s_man_opts(f, r->opts);
            fputs(".RE\n", f);
        }
    }
}

static void s_man_old_names(FILE *f)
{
    for (size_t i = 0; i < cli_n_rows; i++)
        if (cli_rows[i].now) {
            fputs(".TP\n.B ", f);
            s_roff(f, cli_rows[i].words, SIZE_MAX);
            fputs("\nnow\n.BR \"caselink ", f);
            s_roff(f, cli_rows[i].now, SIZE_MAX);
            fputs("\"\n", f);
        }
}

static void s_man_referral_fields(FILE *f)
{
    s_man_fields(f, cl_referral_field_docs);
}

static void s_man_plan_fields(FILE *f)
{
    s_man_fields(f, cl_plan_field_docs);
}

static const s_fill s_man_fills[] = {
    {"GLOBAL", s_man_global},
    {"COMMANDS", s_man_commands},
    {"OLD_NAMES", s_man_old_names},
    {"REFERRAL_FIELDS", s_man_referral_fields},
    {"PLAN_FIELDS", s_man_plan_fields},
};

void cli_help_man(FILE *f)
{
    s_template(f, cl_text_man, s_man_fills);
}

/* Completion: every first word and connection option; each command's
 * options; each first word's second words. */
static void s_comp_first_words(FILE *f)
{
    for (size_t i = 0; i < cli_n_rows; i++) {
        size_t first = strcspn(cli_rows[i].words, " ");
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcspn(cli_rows[j].words, " ") == first &&
                  !strncmp(cli_rows[j].words, cli_rows[i].words, first);
        if (!dup)
            fprintf(f, "%s%.*s", i ? " " : "", (int)first, cli_rows[i].words);
    }
    for (const char *const *p = s_global; *p; p++)
        fprintf(f, " %.*s", (int)cli_opt_len(*p), *p);
}

static void s_comp_pairs(FILE *f)
{
    /* two-word rows first (so "inbox show" is not taken for "inbox"):
     * their options; then the first word alone: its second words */
    for (size_t k = 0; k < 2 * cli_n_rows; k++) {
        const cli_row *r = &cli_rows[k % cli_n_rows];
        if ((k < cli_n_rows) != (strchr(r->words, ' ') != NULL))
            continue;
        fprintf(f, "        \"%s%s\"*) words=\"", r->words,
                strchr(r->words, ' ') ? "" : " ");
        bool sp = false;
        for (const char *const *p = r->opts; p && *p; p++, sp = true)
            fprintf(f, "%s%.*s", sp ? " " : "", (int)cli_opt_len(*p), *p);
        const cl_field_doc *lists[3] = {
            r->fields & CLI_REFERRAL_FIELDS ? cl_referral_field_docs : NULL,
            r->fields & CLI_PLAN_FIELDS ? cl_plan_field_docs : NULL,
            r->fields & CLI_PERSON_FIELDS ? cl_person_field_docs : NULL};
        for (int l = 0; l < 3; l++)
            for (const cl_field_doc *d = lists[l]; d && d->name; d++) {
                fprintf(f, "%s--", sp ? " " : "");
                sp = true;
                for (const char *c = d->alias ? d->alias : d->name; *c; c++)
                    fputc(*c == '_' ? '-' : *c, f);
            }
        fprintf(f, " --iso%s\" ;;\n", r->fields & CLI_JSON ? " --json" : "");
    }
}

static void s_comp_second_words(FILE *f)
{
    for (size_t i = 0; i < cli_n_rows; i++) {
        size_t first = strcspn(cli_rows[i].words, " ");
        if (!cli_rows[i].words[first])
            continue;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcspn(cli_rows[j].words, " ") == first &&
                  !strncmp(cli_rows[j].words, cli_rows[i].words, first) &&
                  cli_rows[j].words[first];
        if (dup)
            continue;
        fprintf(f, "            %.*s) words=\"$words ", (int)first,
                cli_rows[i].words);
        for (size_t j = i; j < cli_n_rows; j++)
            if (strcspn(cli_rows[j].words, " ") == first &&
                !strncmp(cli_rows[j].words, cli_rows[i].words, first) &&
                cli_rows[j].words[first])
                fprintf(f, "%s%s", j == i ? "" : " ",
                        cli_rows[j].words + first + 1);
        fputs("\" ;;\n", f);
    }
}

static const s_fill s_completion_fills[] = {
    {"FIRST_WORDS", s_comp_first_words},
    {"PAIRS", s_comp_pairs},
    {"SECOND_WORDS", s_comp_second_words},
};

void cli_help_completion(FILE *f)
{
    s_template(f, cl_text_completion, s_completion_fills);
}

static int s_help_cmd(cli_conn *cn, int argc, char **argv)
{
    (void)cn;
    if (argc == 1 && !strcmp(argv[0], "--man"))
        cli_help_man(stdout);
    else if (argc == 1 && !strcmp(argv[0], "--completion"))
        cli_help_completion(stdout);
    else if (argc == 1 && !strcmp(argv[0], "--words"))
        cl_words_table(stdout);
    else if (argc >= 1) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "%s%s%s", argv[0], argc > 1 ? " " : "",
                 argc > 1 ? argv[1] : "");
        cli_help_text(stdout, cmd);
    } else
        cli_help_text(stdout, NULL);
    return 0;
}
