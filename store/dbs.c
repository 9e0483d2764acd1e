/*
 * dbs: the table of sub-databases and what LMDB's codes mean (with, for
 * a failed commit, how much room the disk has left), calling no other
 * file of the store, so that every one of them can use it.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/statvfs.h>

#include "store_int.h"

/* Every sub-database by enum value: its LMDB name, whether its values are
 * sealed, and for sub-databases whose rows decide what a user sees, the
 * length of the key prefix that groups them (person id, blind index):
 * each group's rows are counted and digested so that a deleted row is
 * caught (see "authenticated rows" in store.c). Checked at open so that a
 * new enum value cannot go unnamed.
 *
 * Sealed value tables are grouped too: a sealed row cannot be edited, but
 * without the digests it could be deleted or put back from an older copy
 * of the file (same key, older sealed value) unnoticed. By id, 7 bytes:
 * 256 consecutive ids a group, whose digest rows sit together as ids are
 * handed out. A row that is its own group (a plan, a hold: 8) is checked
 * on every get, so a rolled-back plan fails the flag check that reads it.
 * A mailbox by agency (its blind tag), the flag log by 18-hour stretch of
 * its time key, the audit log by 256 entries (its hash chain is checked
 * whole by verify too: counted, its total joins the store's anchor, so
 * that no table can be put back without the log), a referral's and a
 * record's history and a review's notes and
 * discussion by their owner's id, RAG ratings and measure definitions by kind
 * byte, linking settings by their name's first 5 bytes.
 *
 * Left out, and why: meta (counters and marks, not values); idempotency
 * and replay (replay answers that expire; a lost one makes a resend run
 * again, which natural idempotency answers), alerted (a lost row repeats an
 * alert, never hides one), agency_ref and feed (written on every publish; a
 * lost row makes a duplicate referral or a missed gap notice, never hides a
 * stored one): their cost would fall on every referral; measure
 * (bulk figures read by name prefix: a group check would re-hash every
 * figure of a report on each read); ixdigest (the digests themselves).
 *
 * Uncached: the replies to a message id (idempotency, replay) are put
 * once and read back only when a client resends; the write transaction's
 * value cache (vcache.c) keeps none of them in the clear. */
const cl_store__db cl_store__dbs[CL_DB_COUNT] = {
    [CL_DB_META] = {"meta", false, 0, false},
    [CL_DB_PERSON] = {"person", true, 7, false},
    [CL_DB_RECORD] = {"record", true, 7, false},
    [CL_DB_REFERRAL] = {"referral", true, 7, false},
    [CL_DB_BLIND] = {"blind", false, 16, false},
    [CL_DB_PERSON_RECORDS] = {"person_records", false, 8, false},
    [CL_DB_RECORD_REFERRALS] = {"record_referrals", false, 8, false},
    [CL_DB_RELATION] = {"relation", true, 8, false},
    [CL_DB_IDEMPOTENCY] = {"idempotency", true, 0, true},
    [CL_DB_AUDIT] = {"audit", true, 7, false},
    [CL_DB_AUDIT_PERSON] = {"audit_person", false, 8, false},
    [CL_DB_HISTORY] = {"history", true, 8, false},
    [CL_DB_ACTIVITY] = {"activity", false, 0, false},
    [CL_DB_PLAN] = {"plan", true, 8, false},
    [CL_DB_PERSON_PLANS] = {"person_plans", false, 8, false},
    [CL_DB_REVIEW] = {"review", true, 7, false},
    [CL_DB_MDT] = {"mdt", true, 7, false},
    [CL_DB_AGENDA] = {"agenda", false, 8, false},
    [CL_DB_MAILBOX] = {"mailbox", true, 16, false},
    [CL_DB_INFOREQ] = {"inforeq", true, 7, false},
    [CL_DB_PERSON_REQUESTS] = {"person_requests", false, 8, false},
    [CL_DB_FEED] = {"feed", true, 0, false},
    [CL_DB_PERSON_AGENDA] = {"person_agenda", false, 8, false},
    [CL_DB_DISCUSSION] = {"discussion", true, 8, false},
    [CL_DB_ACTION] = {"action", true, 7, false},
    [CL_DB_RAG] = {"rag", true, 1, false},
    [CL_DB_MEASURE_DEF] = {"measure_def", true, 1, false},
    [CL_DB_MEASURE] = {"measure", true, 0, false},
    [CL_DB_AGENDA_NOTE] = {"agenda_note", true, 8, false},
    [CL_DB_AGENCY_REF] = {"agency_ref", true, 0, false},
    [CL_DB_HOLD] = {"hold", true, 8, false},
    [CL_DB_ALERTED] = {"alerted", true, 0, false},
    [CL_DB_IXDIGEST] = {"ixdigest", true, 0, false},
    [CL_DB_AUDIT_USER] = {"audit_user", false, 16, false},
    [CL_DB_INTAKE] = {"intake", true, 7, false},
    [CL_DB_PERSON_INTAKE] = {"person_intake", false, 8, false},
    [CL_DB_LINKING] = {"linking", true, 5, false},
    /* blocking keys: rows authenticated, groups not counted. A deleted
     * row can only cost a comparison (a candidate not found), never show
     * anyone anything; counting each key's group would cost a sealed read
     * per key on every match. */
    [CL_DB_BLOCK] = {"block", false, 0, false},
    [CL_DB_FLAG_LOG] = {"flag_log", true, 6, false},
    [CL_DB_MEETING] = {"meeting", true, 7, false},
    [CL_DB_RECORD_HISTORY] = {"record_history", true, 8, false},
    [CL_DB_REPLAY] = {"replay", true, 0, true},
};

int cl_store__io_err(int e)
{
    return e == ENOSPC || e == EDQUOT ? CL_ERR_NOSPACE : CL_ERR_IO;
}

/* What each MDB_* or errno code a store call can return means (any
 * other: CL_ERR_INTERNAL). */
static const struct {
    int rc;
    cl_err err;
} s_mdb_errs[] = {
    {MDB_SUCCESS, CL_OK},
    {MDB_NOTFOUND, CL_ERR_NOT_FOUND},
    {MDB_MAP_FULL, CL_ERR_FULL},
    {MDB_CORRUPTED, CL_ERR_CORRUPT},
    {MDB_PAGE_NOTFOUND, CL_ERR_CORRUPT},
    {MDB_INVALID, CL_ERR_CORRUPT},
    {MDB_VERSION_MISMATCH, CL_ERR_CORRUPT},
    {MDB_KEYEXIST, CL_ERR_EXISTS},
    {ENOMEM, CL_ERR_NOMEM},
    {ENOSPC, CL_ERR_NOSPACE},
    {EDQUOT, CL_ERR_NOSPACE},
    {EACCES, CL_ERR_IO},
    {EROFS, CL_ERR_IO},
    {EIO, CL_ERR_IO},
    {EPERM, CL_ERR_IO},
};

int cl_store__mdb_err(int rc)
{
    for (size_t i = 0; i < sizeof(s_mdb_errs) / sizeof(s_mdb_errs[0]); i++)
        if (s_mdb_errs[i].rc == rc)
            return s_mdb_errs[i].err;
    return CL_ERR_INTERNAL;
}

/* Room left where the data file is, in bytes (unknown: as if plenty). */
static uint64_t s_disk_room(const cl_store *s)
{
    const char *path = NULL;
    struct statvfs fs;
    if (mdb_env_get_path(s->env, &path) != MDB_SUCCESS || !path ||
        statvfs(path, &fs) != 0)
        return UINT64_MAX;
    return (uint64_t)fs.f_bavail * fs.f_frsize;
}

/* LMDB reports a short write of its pages as EIO ("filesystem full?"):
 * with less than this left where the file is, it is the full disk. */
#define S_DISK_FULL_ROOM (1u << 20)

int cl_store__commit_err(const cl_store *s, int rc)
{
    if (rc == EIO && s_disk_room(s) < S_DISK_FULL_ROOM)
        return CL_ERR_NOSPACE;
    return cl_store__mdb_err(rc);
}
