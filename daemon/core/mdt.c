/*
 * mdt: the extended MDT's own records about the people on a review's
 * agenda: discussion, RAG ratings, the meeting record (see mdt.h).
 *
 * Stored records (plaintext before sealing, see store/codec.h):
 *   discussion  MDT id || person id -> v1, summary, decisions, at, agency
 *   rag         'P' person id || seq, or 'W' name NUL || seq
 *                                   -> v1, rating, note, at, agency
 *   meta        "purged:MDT-..." -> people retention removed from that
 *               review's agenda (4 bytes, big-endian; unsealed)
 */
#include "mdt.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "cl_vec.h"
#include "codec.h"
#include "mdt_review.h"
#include "purpose.h"
#include "records.h"

#define S_VERSION 1

bool cl_mdt_coordinator(const cl_caller *c, char err[CL_ERROR_SZ])
{
    if (c->roles & CL_ROLE_COORDINATOR)
        return true;
    snprintf(err, CL_ERROR_SZ, "MDT work needs the coordinator role");
    return false;
}

/* The review and a person on its agenda, as ids. */
int cl_mdt_on_agenda(cl_txn *t, const char *review_id, const char *pid_str,
                     uint64_t *mdt, uint64_t *pid, char err[CL_ERROR_SZ])
{
    cl_review_new r;
    int rc = cl_mdt_review_get(t, review_id, mdt, &r, err);
    if (rc != CL_OK)
        return rc;
    if (!cl_records_parse_pid(pid_str, pid)) {
        snprintf(err, CL_ERROR_SZ, "person_id must look like P00000042");
        return CL_ERR_INVALID;
    }
    return cl_purpose_review(t, review_id, *pid, err);
}

/* --- discussion ----------------------------------------------------------- */

int cl_mdt_record_discussion(cl_op *op, const cl_discussion *d,
                             cl_publish_result *out)
{
    uint64_t mdt, pid;
    uint8_t k[16];
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    if (!d->summary[0]) {
        snprintf(op->err, CL_ERROR_SZ, "a discussion summary is required");
        return CL_ERR_INVALID;
    }
    int rc = cl_mdt_on_agenda(op->t, d->review_id, d->person_id, &mdt, &pid,
                              op->err);
    if (rc != CL_OK)
        return rc;
    uint8_t *buf = malloc(2 * CL_TEXT_SZ + CL_AGENCY_SZ + 64);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, 2 * CL_TEXT_SZ + CL_AGENCY_SZ + 64);
    cl_enc_u8(&e, S_VERSION);
    cl_enc_str(&e, d->summary);
    cl_enc_str(&e, d->decisions);
    cl_enc_i64(&e, op->now);
    cl_enc_str(&e, op->who->agency);
    cl_be64_put(k, mdt);
    cl_be64_put(k + 8, pid);
    rc = cl_enc_ok(&e)
             ? cl_store_put(op->t, CL_DB_DISCUSSION, k, 16, buf, e.len)
             : CL_ERR_INTERNAL;
    sodium_memzero(buf, e.len);
    free(buf);
    cl_records_note_person(&op->note, pid);
    CL_COPY(op->note.detail, d->review_id);
    CL_COPY(out->reference, d->review_id);
    return rc;
}

/* The discussion of pid at review mdt into it (and when and by which
 * agency, if at/by are not NULL); nothing recorded is not an error. */
int cl_mdt_discussion_get(cl_txn *t, uint64_t mdt, uint64_t pid,
                          cl_pack_item *it, int64_t *at,
                          char by_out[CL_AGENCY_SZ])
{
    uint8_t k[16];
    size_t len = 0;
    uint8_t *buf = malloc(2 * CL_TEXT_SZ + CL_AGENCY_SZ + 64);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_be64_put(k, mdt);
    cl_be64_put(k + 8, pid);
    int rc = cl_store_get(t, CL_DB_DISCUSSION, k, 16, buf,
                          2 * CL_TEXT_SZ + CL_AGENCY_SZ + 64, &len);
    if (rc == CL_OK) {
        cl_dec d = cl_dec_init(buf, len);
        char by[CL_AGENCY_SZ];
        if (cl_dec_u8(&d) != S_VERSION)
            d.bad = true;
        CL_DEC_STR(&d, it->discussion);
        CL_DEC_STR(&d, it->decisions);
        int64_t when = cl_dec_i64(&d);
        CL_DEC_STR(&d, by);
        rc = cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
        if (rc == CL_OK && at)
            *at = when;
        if (rc == CL_OK && by_out)
            cl_copy(by_out, CL_AGENCY_SZ, by);
    } else if (rc == CL_ERR_NOT_FOUND) {
        rc = CL_OK;
    }
    sodium_memzero(buf, len);
    free(buf);
    return rc;
}

/* --- RAG ratings -----------------------------------------------------------
 */

/* The key prefix of a subject: 'P' || person id, or 'W' name NUL. */
static int s_rag_prefix(const cl_rag_set *r, uint8_t *k, size_t *len,
                        char subject[CL_NAME_SZ], char err[CL_ERROR_SZ])
{
    uint64_t pid;
    if (!!r->person_id[0] == !!r->workstream[0]) {
        snprintf(err, CL_ERROR_SZ, "name a person_id or a workstream (one)");
        return CL_ERR_INVALID;
    }
    if (r->person_id[0]) {
        if (!cl_records_parse_pid(r->person_id, &pid)) {
            snprintf(err, CL_ERROR_SZ, "person_id must look like P00000042");
            return CL_ERR_INVALID;
        }
        k[0] = 'P';
        cl_be64_put(k + 1, pid);
        *len = 9;
        cl_copy(subject, CL_NAME_SZ, r->person_id);
    } else {
        size_t n = strlen(r->workstream);
        k[0] = 'W';
        memcpy(k + 1, r->workstream, n + 1);
        *len = n + 2;
        cl_copy(subject, CL_NAME_SZ, r->workstream);
    }
    return CL_OK;
}

int cl_mdt_rag_dec(const uint8_t *buf, size_t len, cl_rag_entry *e)
{
    cl_dec d = cl_dec_init(buf, len);
    if (cl_dec_u8(&d) != S_VERSION)
        d.bad = true;
    e->rating = cl_dec_u8(&d);
    CL_DEC_STR(&d, e->note);
    e->at = cl_dec_i64(&d);
    CL_DEC_STR(&d, e->by);
    if (d.pos < d.len) /* ratings made before users were kept have none */
        CL_DEC_STR(&d, e->by_user);
    return cl_dec_ok(&d) && e->rating >= 1 && e->rating <= CL_RAG_MAX
               ? CL_OK
               : CL_ERR_CORRUPT;
}

int cl_mdt_set_rag(cl_op *op, const cl_rag_set *r, cl_publish_result *out)
{
    uint8_t k[CL_NAME_SZ + 16], buf[CL_MDT_RAG_MAX];
    size_t kl = 0;
    uint64_t seq, pid = 0;
    char subject[CL_NAME_SZ];
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    int rc = s_rag_prefix(r, k, &kl, subject, op->err);
    if (rc != CL_OK)
        return rc;
    if (r->rating < 1 || !r->note[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "a rating (red, amber, green) and a note are required");
        return CL_ERR_INVALID;
    }
    if (r->person_id[0]) {
        /* only a person the partnership works on: no existence test */
        cl_person_ref who;
        memset(&who, 0, sizeof(who));
        CL_COPY(who.person_id, r->person_id);
        cl_purpose_ask a = {&who, NULL, true, "set_rag"};
        if ((rc = cl_purpose_person(op->t, &a, &pid, &op->note, op->err)) !=
            CL_OK)
            return rc;
    }
    if ((rc = cl_store_next_id(op->t, "rag", &seq)) != CL_OK)
        return rc;
    cl_be64_put(k + kl, seq);
    cl_enc e = cl_enc_init(buf, sizeof(buf));
    cl_enc_u8(&e, S_VERSION);
    cl_enc_u8(&e, r->rating);
    cl_enc_str(&e, r->note);
    cl_enc_i64(&e, op->now);
    cl_enc_str(&e, op->who->agency);
    cl_enc_str(&e, op->who->user.name);
    rc = cl_enc_ok(&e) ? cl_store_put(op->t, CL_DB_RAG, k, kl + 8, buf, e.len)
                       : CL_ERR_INTERNAL;
    sodium_memzero(buf, e.len);
    CL_COPY(out->reference, subject);
    snprintf(op->note.purpose, sizeof(op->note.purpose), "RAG %s",
             cl_rag_name(r->rating));
    return rc;
}

typedef struct s_rags {
    cl_txn *t;
    cl_rag_entries *out;
    size_t cap;
    const char *subject;
} s_rags;

static int s_rag_one(void *ctx, const uint8_t *key, size_t len)
{
    s_rags *c = ctx;
    uint8_t buf[CL_MDT_RAG_MAX];
    size_t vlen = 0;
    int rc = cl_store_get(c->t, CL_DB_RAG, key, len, buf, sizeof(buf), &vlen);
    if (rc != CL_OK)
        return rc;
    if (CL_VEC_GROW(c->out->v, c->out->n, c->cap) != CL_OK)
        return CL_ERR_NOMEM;
    cl_rag_entry *e = &c->out->v[c->out->n];
    memset(e, 0, sizeof(*e));
    CL_COPY(e->subject, c->subject);
    if ((rc = cl_mdt_rag_dec(buf, vlen, e)) == CL_OK)
        c->out->n++;
    sodium_memzero(buf, vlen);
    return rc;
}

int cl_mdt_rag_of(cl_txn *t, const cl_rag_set *q, cl_rag_entries *out,
                  char err[CL_ERROR_SZ])
{
    uint8_t k[CL_NAME_SZ + 16];
    size_t kl = 0;
    char subject[CL_NAME_SZ];
    memset(out, 0, sizeof(*out));
    int rc = s_rag_prefix(q, k, &kl, subject, err);
    if (rc != CL_OK)
        return rc;
    s_rags c = {t, out, 0, subject};
    rc = cl_store_scan(t, CL_DB_RAG, k, kl, s_rag_one, &c);
    if (rc != CL_OK) {
        free(out->v);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int cl_mdt_rag_history(cl_op *op, const cl_rag_set *q, cl_rag_entries *out)
{
    uint64_t pid;
    memset(out, 0, sizeof(*out));
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    if (q->person_id[0] && cl_records_parse_pid(q->person_id, &pid))
        cl_records_note_person(&op->note, pid);
    return cl_mdt_rag_of(op->t, q, out, op->err);
}

/* Why the person was put on the agenda, in the coordinator's words. */
int cl_mdt_agenda_note(cl_txn *t, uint64_t mdt, uint64_t pid,
                       char note[CL_NOTE_SZ])
{
    uint8_t k[16], buf[CL_NOTE_SZ + 8];
    size_t len = 0;
    cl_be64_put(k, mdt);
    cl_be64_put(k + 8, pid);
    note[0] = '\0';
    int rc = cl_store_get(t, CL_DB_AGENDA_NOTE, k, 16, buf, sizeof(buf), &len);
    if (rc == CL_ERR_NOT_FOUND)
        return CL_OK;
    if (rc != CL_OK)
        return rc;
    cl_dec d = cl_dec_init(buf, len);
    if (cl_dec_u8(&d) != S_VERSION)
        d.bad = true;
    cl_dec_str(&d, note, CL_NOTE_SZ);
    sodium_memzero(buf, len);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

/* --- the meeting record ----------------------------------------------------
 */

#define S_MEET_BUF                                                             \
    (2 * CL_ATTENDEES_MAX *                                                    \
         (CL_NAME_SZ + CL_AGENCY_SZ + CL_USER_ROLE_SZ + 8) +                   \
     CL_NAME_SZ + CL_NOTE_SZ + 64)

static void s_people_enc(cl_enc *e, const cl_attendee *a, uint32_t n)
{
    cl_enc_u8(e, (uint8_t)n);
    for (uint32_t i = 0; i < n; i++) {
        cl_enc_str(e, a[i].name);
        cl_enc_str(e, a[i].agency);
        cl_enc_str(e, a[i].role);
    }
}

static void s_people_dec(cl_dec *d, cl_attendee *a, uint32_t *n)
{
    uint8_t k = cl_dec_u8(d);
    if (k > CL_ATTENDEES_MAX)
        d->bad = true;
    *n = 0;
    for (uint8_t i = 0; i < k && i < CL_ATTENDEES_MAX; i++, (*n)++) {
        CL_DEC_STR(d, a[i].name);
        CL_DEC_STR(d, a[i].agency);
        CL_DEC_STR(d, a[i].role);
    }
}

int cl_mdt_meeting_dec(const uint8_t *buf, size_t len, cl_meeting *m)
{
    cl_dec d = cl_dec_init(buf, len);
    if (cl_dec_u8(&d) != S_VERSION)
        d.bad = true;
    CL_DEC_STR(&d, m->chair);
    s_people_dec(&d, m->attendees, &m->n_attendees);
    s_people_dec(&d, m->apologies, &m->n_apologies);
    CL_DEC_STR(&d, m->confidentiality);
    return cl_dec_ok(&d) ? CL_OK : CL_ERR_CORRUPT;
}

int cl_mdt_meeting_get(cl_txn *t, uint64_t mdt, cl_meeting *m)
{
    uint8_t k[8];
    size_t len = 0;
    uint8_t *buf = malloc(S_MEET_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_be64_put(k, mdt);
    int rc = cl_store_get(t, CL_DB_MEETING, k, 8, buf, S_MEET_BUF, &len);
    if (rc == CL_OK)
        rc = cl_mdt_meeting_dec(buf, len, m);
    free(buf);
    if (rc == CL_ERR_NOT_FOUND) {
        rc = CL_OK;
        CL_COPY(m->confidentiality, CL_CONFIDENTIALITY_DEFAULT);
    }
    return rc;
}

int cl_mdt_record_meeting(cl_op *op, const cl_meeting *m,
                          cl_publish_result *out)
{
    uint64_t mdt;
    uint8_t k[8];
    cl_review_new r;
    if (!cl_mdt_coordinator(op->who, op->err))
        return CL_ERR_DENIED;
    int rc = cl_mdt_review_get(op->t, m->review_id, &mdt, &r, op->err);
    if (rc != CL_OK)
        return rc;
    if (!m->chair[0]) {
        snprintf(op->err, CL_ERROR_SZ,
                 "chair: who chairs the review is required");
        return CL_ERR_INVALID;
    }
    for (uint32_t i = 0; i < m->n_attendees + m->n_apologies; i++) {
        const cl_attendee *a = i < m->n_attendees
                                   ? &m->attendees[i]
                                   : &m->apologies[i - m->n_attendees];
        if (!a->name[0] || !a->agency[0]) {
            snprintf(op->err, CL_ERROR_SZ,
                     "%s %u: a name and an agency are required",
                     i < m->n_attendees ? "attendees" : "apologies",
                     i < m->n_attendees ? i + 1 : i - m->n_attendees + 1);
            return CL_ERR_INVALID;
        }
    }
    uint8_t *buf = malloc(S_MEET_BUF);
    if (!buf)
        return CL_ERR_NOMEM;
    cl_enc e = cl_enc_init(buf, S_MEET_BUF);
    cl_enc_u8(&e, S_VERSION);
    cl_enc_str(&e, m->chair);
    s_people_enc(&e, m->attendees, m->n_attendees);
    s_people_enc(&e, m->apologies, m->n_apologies);
    cl_enc_str(&e, m->confidentiality[0] ? m->confidentiality
                                         : CL_CONFIDENTIALITY_DEFAULT);
    cl_be64_put(k, mdt);
    rc = cl_enc_ok(&e) ? cl_store_put(op->t, CL_DB_MEETING, k, 8, buf, e.len)
                       : CL_ERR_INTERNAL;
    free(buf);
    CL_COPY(out->reference, m->review_id);
    snprintf(op->note.purpose, sizeof(op->note.purpose),
             "meeting record of %.64s", m->review_id);
    CL_COPY(op->note.detail, m->review_id);
    return rc;
}

/* How many people on review mdt's agenda retention removed (META). */
int cl_mdt_purged_count(cl_txn *t, uint64_t mdt, uint32_t add, uint32_t *out)
{
    char k[32];
    uint8_t b[4] = {0};
    size_t len = 0;
    int n = snprintf(k, sizeof(k), "purged:MDT-%08" PRIu64, mdt);
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)k, (size_t)n, b,
                              sizeof(b), &len);
    if (rc == CL_ERR_NOT_FOUND) {
        memset(b, 0, sizeof(b));
        rc = CL_OK;
    } else if (rc == CL_OK && len != 4) {
        rc = CL_ERR_CORRUPT;
    }
    if (rc != CL_OK)
        return rc;
    uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                 (uint32_t)b[2] << 8 | b[3];
    if (add) {
        v += add;
        b[0] = (uint8_t)(v >> 24);
        b[1] = (uint8_t)(v >> 16);
        b[2] = (uint8_t)(v >> 8);
        b[3] = (uint8_t)v;
        rc = cl_store_put_raw(t, CL_DB_META, (const uint8_t *)k, (size_t)n, b,
                              4);
    }
    if (rc == CL_OK && out)
        *out = v;
    return rc;
}
