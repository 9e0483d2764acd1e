/*
 * dbs: the table of sub-databases, data only (no calls), so that every
 * file of the store can read it without calling another.
 */
#include "store_int.h"

/* Every sub-database by enum value: its LMDB name, whether its values are
 * sealed, and for sub-databases whose rows decide what a user sees, the
 * length of the key prefix that groups them (person id, blind index):
 * each group's rows are counted and digested so that a deleted row is
 * caught (see "authenticated rows" below). Checked at open so that a new
 * enum value cannot go unnamed. */
const cl_store__db cl_store__dbs[CL_DB_COUNT] = {
    [CL_DB_META] = {"meta", false},
    [CL_DB_PERSON] = {"person", true},
    [CL_DB_RECORD] = {"record", true},
    [CL_DB_REFERRAL] = {"referral", true},
    [CL_DB_BLIND] = {"blind", false, 16},
    [CL_DB_PERSON_RECORDS] = {"person_records", false, 8},
    [CL_DB_RECORD_REFERRALS] = {"record_referrals", false, 8},
    [CL_DB_RELATION] = {"relation", true, 8},
    [CL_DB_IDEMPOTENCY] = {"idempotency", true},
    [CL_DB_AUDIT] = {"audit", true},
    [CL_DB_AUDIT_PERSON] = {"audit_person", false, 8},
    [CL_DB_HISTORY] = {"history", true},
    [CL_DB_ACTIVITY] = {"activity", false},
    [CL_DB_PLAN] = {"plan", true},
    [CL_DB_PERSON_PLANS] = {"person_plans", false, 8},
    [CL_DB_REVIEW] = {"review", true},
    [CL_DB_MDT] = {"mdt", true},
    [CL_DB_AGENDA] = {"agenda", false, 8},
    [CL_DB_MAILBOX] = {"mailbox", true},
    [CL_DB_INFOREQ] = {"inforeq", true},
    [CL_DB_PERSON_REQUESTS] = {"person_requests", false, 8},
    [CL_DB_FEED] = {"feed", true},
    [CL_DB_PERSON_AGENDA] = {"person_agenda", false, 8},
    [CL_DB_DISCUSSION] = {"discussion", true},
    [CL_DB_ACTION] = {"action", true},
    [CL_DB_RAG] = {"rag", true},
    [CL_DB_MEASURE_DEF] = {"measure_def", true},
    [CL_DB_MEASURE] = {"measure", true},
    [CL_DB_AGENDA_NOTE] = {"agenda_note", true},
    [CL_DB_AGENCY_REF] = {"agency_ref", true},
    [CL_DB_HOLD] = {"hold", true},
    [CL_DB_ALERTED] = {"alerted", true},
    [CL_DB_IXDIGEST] = {"ixdigest", true},
    [CL_DB_AUDIT_USER] = {"audit_user", false, 16},
    [CL_DB_INTAKE] = {"intake", true},
    [CL_DB_PERSON_INTAKE] = {"person_intake", false, 8},
    [CL_DB_LINKING] = {"linking", true},
    /* blocking keys: rows authenticated, groups not counted. A deleted
     * row can only cost a comparison (a candidate not found), never show
     * anyone anything; counting each key's group would cost a sealed read
     * per key on every match. */
    [CL_DB_BLOCK] = {"block", false},
    [CL_DB_FLAG_LOG] = {"flag_log", true},
    [CL_DB_MEETING] = {"meeting", true},
    [CL_DB_RECORD_HISTORY] = {"record_history", true},
};
