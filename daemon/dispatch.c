/*
 * dispatch: one request from its frames to its reply. Read the frames,
 * decode (wire), check the caller's roles, named user and names against
 * the access rules, apply per-client limits, then run the request in the
 * batch's transaction (a write with its idempotency record; in a nested
 * transaction of its own only when it was refused after writing: see
 * cl_dispatch_apply) and audit it. Replies are sent by the loop after the
 * commit (item.c). No business rules: those are core's.
 */
#include "dispatch.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zmq.h>

#include "handle.h"
#include "item.h"
#include "ids_req.h"
#include "log.h"
#include "names.h"
#include "park.h"
#include "rate.h"
#include "reader.h"
#include "replica.h"

/* Frames kept after the routing id: [empty][payload], and one more to
 * see that there are too many. */
#define S_FRAMES_KEPT 3

/*
 * The named user ("Systems and users"): validated, required where the
 * access rules say so, and on the client's permitted list when the
 * registry has one. A user that passes validation is kept on the caller
 * even when refused, so the audit of the refused attempt names them.
 */
static bool s_is_write(cl_req_kind kind);

/* The refusal of a request that needs on_behalf_of and names no user. */
static void s_no_user_fail(s_item *it)
{
    char err[CL_ERROR_SZ];
    snprintf(err, sizeof(err),
             "%s needs on_behalf_of: the user id, display name and role of "
             "the person client %s acts for",
             cl_wire_kind_name(it->req.kind), it->who->name);
    cl_item_fail(it, CL_ERR_DENIED, err);
}

static void s_check_user(cl_server *s, s_item *it)
{
    char err[CL_ERROR_SZ];
    const cl_user *u = &it->req.on_behalf_of;
    int rc = cl_user_validate(u, err);
    if (rc != CL_OK) {
        it->early = rc;
        cl_item_fail(it, rc, err);
        return;
    }
    it->caller.user = *u;
    if (!cl_user_named(u)) {
        /* a write's resend is answered as a resend all the same (a retry
         * queue may not know who the user was): s_write refuses it only
         * if its message id is new */
        if (!cl_access_user_required(it->who, it->req.kind))
            return;
        if (s_is_write(it->req.kind)) {
            it->no_user = true;
            return;
        }
        it->early = CL_ERR_DENIED;
        s_no_user_fail(it);
        return;
    }
    if (!cl_registry_permits(s->registry, it->key, u->id)) {
        it->early = CL_ERR_DENIED;
        /* The reply goes to the log too: it names no user. */
        snprintf(err, sizeof(err),
                 "the user in on_behalf_of is not permitted for client %s: "
                 "its user_id is not on the client's users list in the "
                 "registry",
                 it->who->name);
        cl_item_fail(it, CL_ERR_DENIED, err);
    }
}

/* A workstream rated or looked up must be one [report] workstreams lists
 * (in any case; a near miss says "did you mean"), and a refusal lists them
 * and says how a new one is added. With no list nothing can be rated: a
 * misspelt name would otherwise start a second workstream. A history
 * with no list reads what is stored. */
static int s_check_workstream(const cl_config *c, cl_request *q,
                              char err[CL_ERROR_SZ])
{
    char *ws = q->u.rag.workstream;
    if (!c->n_workstreams && q->kind == CL_REQ_SET_RAG) {
        snprintf(err, CL_ERROR_SZ,
                 "workstream: none are listed, so '%.40s' cannot be rated "
                 "(a misspelt name would start a second workstream); the "
                 "operator lists them in caselinkd.conf: [report] "
                 "workstreams = %.40s; ...",
                 ws, ws);
        return CL_ERR_INVALID;
    }
    if (!c->n_workstreams)
        return CL_OK;
    int r =
        cl_names_resolve(ws, CL_NAME_SZ, c->workstreams[0], c->n_workstreams,
                         CL_NAME_SZ, "workstream", "listed workstream", err);
    if (r != CL_OK && strstr(err, "did you mean")) {
        size_t len = strlen(err);
        snprintf(err + len, CL_ERROR_SZ - len,
                 " (a new one goes in [report] workstreams)");
    } else if (r != CL_OK) { /* far from all: the list, as far as it fits */
        snprintf(err, CL_ERROR_SZ,
                 "workstream: no listed workstream '%.60s' (a new one goes "
                 "in [report] workstreams); listed:",
                 ws);
        for (uint32_t i = 0; i < c->n_workstreams; i++) {
            size_t len = strlen(err);
            snprintf(err + len, CL_ERROR_SZ - len, "%s '%s'", i ? "," : "",
                     c->workstreams[i]);
        }
    }
    return r;
}

/* The request fields that name agencies, a row per request kind: their
 * path from the Envelope, where the names are (char[][CL_AGENCY_SZ]) and
 * their uint32_t count (0: one name). */
static const struct {
    cl_req_kind kind;
    const char *path;
    size_t names, count;
} s_agency_fields[] = {
    {CL_REQ_CASE_FINDING, "case_finding.agency",
     offsetof(cl_request, u.finding.agency), 0},
    {CL_REQ_CREATE_REVIEW, "create_review.agencies",
     offsetof(cl_request, u.review_new.agencies),
     offsetof(cl_request, u.review_new.n_agencies)},
    {CL_REQ_ADD_ACTION, "add_action.owner_agency",
     offsetof(cl_request, u.action.owner_agency), 0},
    {CL_REQ_INFO_REQUEST, "info_request.agencies",
     offsetof(cl_request, u.info.agencies),
     offsetof(cl_request, u.info.n_agencies)},
    {CL_REQ_IMPORT_PERSON, "import_person.agency",
     offsetof(cl_request, u.import.agency), 0},
    {CL_REQ_REFERRAL_LIST, "referral_list.agency",
     offsetof(cl_request, u.ref_query.agency), 0},
};

/* case_finding.not_known_to: each entry a registered agency (in any case,
 * or a near miss refused with "did you mean"), an agency kind some
 * registered system has, or "health": a misspelt exclusion would silently
 * leave nobody out and widen the list. */
static int s_check_not_known(cl_server *s, cl_case_finding *f,
                             char err[CL_ERROR_SZ])
{
    const cl_route_config *rc = &s->cfg.route;
    for (uint32_t i = 0; i < f->n_not_known && i < CL_NOT_KNOWN_MAX; i++) {
        char *w = f->not_known_to[i];
        if (!w[0] || !strcasecmp(w, "health") ||
            cl_registry_has_kind(s->registry, w))
            continue;
        char why[CL_ERROR_SZ] = "no such agency";
        if (rc->n_agencies &&
            cl_names_resolve(w, CL_AGENCY_SZ, rc->agencies[0], rc->n_agencies,
                             CL_AGENCY_SZ, "agency", "registered agency",
                             why) == CL_OK)
            continue;
        snprintf(err, CL_ERROR_SZ,
                 "case_finding.not_known_to[%u]: %.150s; nor is it an agency "
                 "kind (gp, police, ...) or \"health\"",
                 (unsigned)i, why);
        return CL_ERR_INVALID;
    }
    return CL_OK;
}

/* Names a person types that must be chosen from a list: registered
 * agencies, and the workstreams [report] workstreams lists. A name in
 * another case becomes the listed one; a near miss is refused with "did
 * you mean". */
static void s_check_names(cl_server *s, s_item *it)
{
    char err[CL_ERROR_SZ];
    const cl_route_config *rc = &s->cfg.route;
    cl_request *q = &it->req;
    int r = CL_OK;
    for (size_t f = 0; f < sizeof(s_agency_fields) / sizeof(s_agency_fields[0]);
         f++) {
        if (s_agency_fields[f].kind != q->kind || !rc->n_agencies)
            continue;
        char(*names)[CL_AGENCY_SZ] =
            (char(*)[CL_AGENCY_SZ])((char *)q + s_agency_fields[f].names);
        uint32_t n = 1;
        if (s_agency_fields[f].count)
            memcpy(&n, (char *)q + s_agency_fields[f].count, sizeof(n));
        for (uint32_t i = 0; i < n && i < CL_REVIEW_AGENCIES && r == CL_OK;
             i++) {
            char path[64];
            if (s_agency_fields[f].count)
                snprintf(path, sizeof(path), "%s[%u]", s_agency_fields[f].path,
                         (unsigned)i);
            else
                CL_COPY(path, s_agency_fields[f].path);
            if (names[i][0])
                r = cl_names_resolve(names[i], CL_AGENCY_SZ, rc->agencies[0],
                                     rc->n_agencies, CL_AGENCY_SZ, path,
                                     "registered agency", err);
        }
    }
    if (r == CL_OK &&
        (q->kind == CL_REQ_SET_RAG || q->kind == CL_REQ_RAG_HISTORY) &&
        q->u.rag.workstream[0] &&
        (r = s_check_workstream(&s->cfg, q, err)) != CL_OK)
        cl_model_refusal_at(err, cl_wire_kind_name(q->kind));
    if (r == CL_OK && q->kind == CL_REQ_CASE_FINDING)
        r = s_check_not_known(s, &q->u.finding, err);
    if (r != CL_OK) {
        it->early = r;
        cl_item_fail(it, r, err);
    }
}

/* The refusal of a request the caller's roles do not allow. */
static void s_not_allowed(const s_item *it, char err[CL_ERROR_SZ])
{
    snprintf(err, CL_ERROR_SZ, "%s is not allowed for client %s",
             cl_wire_kind_name(it->req.kind), it->who->name);
}

/* Whether a frame the decoder refused asks for a request the caller may
 * not send, which is then refused as such, and audited as an attempt,
 * whatever else is wrong with it (a fix for the body would lead
 * nowhere). A frame that is protobuf is the last body it carries, as
 * protobuf reads it (its envelope's other fields checked already). One
 * that is not, or whose envelope's fields are refused before its body is
 * read, asks for every body it carries, one a later body replaces too:
 * else a sender could learn a forbidden request's shape from the
 * decoder's refusals, unaudited. */
static bool s_asks_forbidden(s_item *it, const uint8_t *data, size_t bytes)
{
    if (it->req.kind != CL_REQ_NONE) /* read as protobuf reads it */
        return !cl_access_allowed(it->who->roles, it->req.kind);
    cl_req_kind asked[CL_REQ_KIND_COUNT]; /* distinct: every kind fits */
    size_t n = cl_wire_peek_kinds(data, bytes, asked, CL_REQ_KIND_COUNT);
    for (size_t i = 0; i < n; i++)
        if (!cl_access_allowed(it->who->roles, asked[i])) {
            it->req.kind = asked[i]; /* nothing of it was decoded */
            return true;
        }
    return false;
}

void cl_dispatch_decode(cl_server *s, s_item *it, const uint8_t *data,
                        size_t bytes)
{
    char err[CL_ERROR_SZ];
    const cl_caller *reg = cl_registry_find(s->registry, it->key);
    it->who = NULL;
    it->offload = false;
    it->answered = it->after = false;
    if (reg) {
        it->caller = *reg;
        memset(&it->caller.user, 0, sizeof(it->caller.user));
        it->who = &it->caller;
    }
    if (!data) {
        it->early = CL_ERR_INVALID;
        cl_item_fail(it, CL_ERR_INVALID,
                     "expected one frame holding an Envelope");
    } else if (!it->who) {
        it->req.msgid_read = cl_wire_peek_msgid(it->req.msgid, data, bytes);
        it->early = CL_ERR_DENIED;
        cl_item_fail(it, CL_ERR_DENIED, "client key is no longer registered");
    } else if (bytes > s->cfg.max_message_bytes) {
        it->req.msgid_read = cl_wire_peek_msgid(it->req.msgid, data, bytes);
        it->early = CL_ERR_INVALID;
        snprintf(err, sizeof(err),
                 "frame of %zu bytes is over this daemon's limit of %u bytes "
                 "([limits] max_message_bytes): send less in one request "
                 "(an import in more batches)",
                 bytes, (unsigned)s->cfg.max_message_bytes);
        cl_item_fail(it, CL_ERR_INVALID, err);
    } else {
        int rc = cl_wire_decode_request_zeroed(&it->req, data, bytes, err);
        if (rc != CL_OK && s_asks_forbidden(it, data, bytes)) {
            rc = CL_ERR_DENIED;
            s_not_allowed(it, err);
        }
        if (rc != CL_OK) {
            it->early = rc;
            cl_item_fail(it, rc, err);
        }
    }
}

/* The kinds whose body is validated (cl_request_validate) as it is
 * admitted, on the serving thread, not by its handler on the writer's:
 * validation cleans what it checks (an invalid NHS number left out, a
 * warning given), so the writer's passes over a batch all see the same
 * request, and the warnings stay for the reply (s_validate, handle.c). */
static const cl_req_kind s_validated[] = {
    CL_REQ_PUBLISH_REFERRAL,
    CL_REQ_PUBLISH_PLAN,
    CL_REQ_IMPORT_PERSON,
};

static void s_validate(s_item *it)
{
    cl_publish_result warn;
    bool kind = false;
    for (size_t i = 0; i < sizeof(s_validated) / sizeof(s_validated[0]); i++)
        kind |= s_validated[i] == it->req.kind;
    if (!kind)
        return;
    memset(&warn, 0, sizeof(warn));
    it->vrc = cl_request_validate(&it->req, it->verr, &warn);
    it->validated = true;
    if (warn.n_warnings &&
        (it->kept = malloc(warn.n_warnings * sizeof(warn.warnings[0])))) {
        memcpy(it->kept, warn.warnings,
               warn.n_warnings * sizeof(warn.warnings[0]));
        it->kept_n = warn.n_warnings;
    }
    sodium_memzero(&warn, sizeof(warn)); /* a warning may quote a value */
}

void cl_dispatch_check(cl_server *s, s_item *it)
{
    char err[CL_ERROR_SZ];
    if (it->early != CL_OK)
        return;
    if (!cl_access_allowed(it->who->roles, it->req.kind)) {
        it->early = CL_ERR_DENIED;
        s_not_allowed(it, err);
        cl_item_fail(it, CL_ERR_DENIED, err);
        return;
    }
    cl_ids_req_canon(&it->req); /* P11 is P00000011 from here on */
    s_check_user(s, it);
    if (it->early == CL_OK)
        s_check_names(s, it);
    if (it->early == CL_OK)
        s_validate(it);
}

void cl_dispatch_admit(cl_server *s, s_item *it, const uint8_t *data,
                       size_t bytes)
{
    cl_dispatch_decode(s, it, data, bytes);
    cl_dispatch_check(s, it);
    if (it->early != CL_OK) {
        char why[CL_ERROR_SZ];
        cl_log_mask(why, sizeof(why), it->rep.error);
        cl_log_refusal(it->who ? it->who->name : it->key,
                       "request refused: client=%s bytes=%zu status=%s: %s",
                       it->who ? it->who->name : "(revoked)", bytes,
                       cl_status_name(it->rep.status), why);
    }
}

/* Read one request's frames. Returns false when nothing is waiting.
 * Accepted shapes after the routing id: [payload] (DEALER) or
 * [empty][payload] (REQ). */
bool cl_dispatch_recv(cl_server *s, s_item *it)
{
    zmq_msg_t f[S_FRAMES_KEPT];
    size_t nf = 0, total = 0;
    zmq_msg_init(&it->route);
    if (zmq_msg_recv(&it->route, s->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&it->route);
        return false;
    }
    cl_item_begin(it);
    bool more = zmq_msg_more(&it->route);
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->router, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        total++;
        if (nf < S_FRAMES_KEPT)
            f[nf++] = m;
        else
            zmq_msg_close(&m);
    }
    s->requests++;
    zmq_msg_t *payload = NULL;
    if (total == 1)
        payload = &f[0];
    else if (total == 2 && zmq_msg_size(&f[0]) == 0) {
        payload = &f[1];
        it->has_delim = true;
    }
    const char *uid = nf ? zmq_msg_gets(&f[nf - 1], "User-Id") : NULL;
    if (uid)
        CL_COPY(it->key, uid);
    cl_dispatch_admit(s, it, payload ? zmq_msg_data(payload) : NULL,
                      payload ? zmq_msg_size(payload) : 0);
    for (size_t i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return true;
}

/* When an admitted request may be answered: after its batch's commit,
 * or at once, before it (it changes nothing, and is not audited). */
enum {
    S_WAIT,     /* after the commit */
    S_SNAPSHOT, /* at once from a read transaction, while no batch is
                 * being committed: it reads the server's own counters too */
    S_ANYTIME   /* ... even while the writer commits one */
};

/* How each kind runs, from its row of cl_requests.def. */
typedef struct s_row {
    cl_req_class cls; /* WRITE, READ or ADMIN */
    bool standby;     /* served by a node that is not writable */
    bool rated;       /* counts against the per-client flag-check rate */
    bool reader;      /* runs on a reader thread (reader.c) */
    int now;          /* S_WAIT ... */
    cl_handler fn;    /* cl_handle_<handler> */
} s_row;

/* On a reader thread: the heavy READs, and audit verify, the one heavy
 * ADMIN row that reads only the store (the others read the server's own
 * counters and are quick). */
#define S_READER(KIND, heavy, cls)                                             \
    ((heavy) && (CL_REQ_CLASS_##cls == CL_REQ_CLASS_READ ||                    \
                 CL_REQ_##KIND == CL_REQ_AUDIT_VERIFY))

/* Answered at once: the ADMIN rows that only read the store. Health
 * reads nothing a batch's handlers change (the writer may be committing
 * one meanwhile); statistics, key status, feeds and checkpoints read the
 * server's counters or keys too, so only while no batch is on the
 * writer. A row that wrote would fail: these run in a read transaction. */
#define S_NOW(KIND)                                                            \
    (CL_REQ_##KIND == CL_REQ_HEALTH ? S_ANYTIME                                \
     : CL_REQ_##KIND == CL_REQ_ADMIN_STATS ||                                  \
             CL_REQ_##KIND == CL_REQ_ADMIN_KEY_STATUS ||                       \
             CL_REQ_##KIND == CL_REQ_ADMIN_FEEDS ||                            \
             CL_REQ_##KIND == CL_REQ_AUDIT_CHECKPOINT                          \
         ? S_SNAPSHOT                                                          \
         : S_WAIT)

static const s_row s_rows[CL_REQ_KIND_COUNT] = {
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    [CL_REQ_##KIND] = {                                                        \
        CL_REQ_CLASS_##cls,         standby,     rated,                        \
        S_READER(KIND, heavy, cls), S_NOW(KIND), cl_handle_##handler},
#include "cl_requests.def"
#undef CL_REQ
};

static bool s_is_write(cl_req_kind kind)
{
    return (unsigned)kind < CL_REQ_KIND_COUNT &&
           s_rows[kind].cls == CL_REQ_CLASS_WRITE;
}

/*
 * Idempotency records: under a blind key of (client key, message id), the
 * request's body hash, then the encoded reply, for [store]
 * replay_window_s (store/replay.c). A write's reply is a reference and a
 * few warnings: small.
 */
#define S_IDEM_REPLY_MAX 8192
#define S_IDEM_TAG_LEN   (1 + S_BODY_HASH_LEN) /* 0x00, the user's hash */
#define S_IDEM_MAX       (S_BODY_HASH_LEN + S_IDEM_TAG_LEN + S_IDEM_REPLY_MAX)

static void s_idem_key(cl_server *s, const s_item *it, uint8_t ik[CL_BLIND_LEN])
{
    uint8_t idem[CL_Z85_KEY_SZ + CL_MSGID_LEN];
    memcpy(idem, it->key, CL_Z85_KEY_SZ);
    memcpy(idem + CL_Z85_KEY_SZ, it->req.msgid, CL_MSGID_LEN);
    cl_store_blind(s->store, ik, "idem", idem, sizeof(idem));
}

/* What a resend must match besides the body: the named user it acts for
 * (id and role), as a hash; all zero if it names none. */
typedef struct s_idem_hash {
    uint8_t body[S_BODY_HASH_LEN];
    uint8_t user[S_BODY_HASH_LEN];
} s_idem_hash;

static void s_idem_hashes(const s_item *it, s_idem_hash *h)
{
    const cl_user *u = &it->req.on_behalf_of;
    memcpy(h->body, it->req.body_hash, S_BODY_HASH_LEN);
    memset(h->user, 0, sizeof(h->user));
    if (!cl_user_named(u))
        return;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, S_BODY_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)u->id,
                              strnlen(u->id, sizeof(u->id)) + 1);
    crypto_generichash_update(&st, (const uint8_t *)u->role,
                              strnlen(u->role, sizeof(u->role)) + 1);
    crypto_generichash_final(&st, h->user, S_BODY_HASH_LEN);
}

/*
 * A message id used before (*seen): answer as then (DUPLICATE), or refuse
 * it if the body differs, or if both then and now a user is named and it
 * is another (a message id replayed for another user would get the first
 * user's reply and leave no audit entry of its own). A resend naming no
 * user, or the first send naming none, is a resend: a retry queue may not
 * know who the user was. Stored: body hash, [0x00, user hash], reply; a
 * record of the older form (no tag: a reply never starts with a 0 byte)
 * holds no user.
 */
static int s_idem_replay(cl_server *s, cl_txn *parent, s_item *it,
                         const uint8_t ik[CL_BLIND_LEN], const s_idem_hash *h,
                         bool *seen)
{
    static const uint8_t none[S_BODY_HASH_LEN];
    uint8_t stored[S_IDEM_MAX];
    size_t stored_len = 0, off = S_BODY_HASH_LEN;
    int rc = cl_store_replay_get(parent, ik, s_now(), s->cfg.replay_window_s,
                                 stored, sizeof(stored), &stored_len);
    *seen = rc == CL_OK;
    if (rc != CL_OK)
        return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
    bool other = stored_len < off || sodium_memcmp(stored, h->body, off);
    if (!other && stored_len >= off + S_IDEM_TAG_LEN && stored[off] == 0) {
        const uint8_t *then = stored + off + 1;
        other = sodium_memcmp(then, none, S_BODY_HASH_LEN) &&
                sodium_memcmp(h->user, none, S_BODY_HASH_LEN) &&
                sodium_memcmp(then, h->user, S_BODY_HASH_LEN);
        off += S_IDEM_TAG_LEN;
    }
    if (other) {
        cl_item_fail(it, CL_ERR_INVALID,
                     "message_id: already used for a different request (or "
                     "for another user): use a new message id for a new "
                     "request");
        return CL_OK;
    }
    return cl_wire_reply_as_duplicate(&it->out, &it->out_len, stored + off,
                                      stored_len - off);
}

/* Remember the encoded reply under the message id, in t. */
static int s_idem_store(cl_server *s, cl_txn *t, const s_item *it,
                        const uint8_t ik[CL_BLIND_LEN], const s_idem_hash *h)
{
    uint8_t stored[S_IDEM_MAX];
    size_t off = S_BODY_HASH_LEN + S_IDEM_TAG_LEN;
    if (it->out_len + off > sizeof(stored))
        return CL_ERR_INTERNAL;
    memcpy(stored, h->body, S_BODY_HASH_LEN);
    stored[S_BODY_HASH_LEN] = 0;
    memcpy(stored + S_BODY_HASH_LEN + 1, h->user, S_BODY_HASH_LEN);
    memcpy(stored + off, it->out, it->out_len);
    return cl_store_replay_put(t, ik, s_now(), s->cfg.replay_window_s, stored,
                               it->out_len + off);
}

/* What s_write returns for a write applied flat that failed after it had
 * written: the batch is applied again, that write in a transaction of its
 * own (cl_dispatch_apply). Never leaves this file. */
#define S_REDO (-1000)

/*
 * A WRITE: idempotency check, then the change and its audit entry, then
 * the reply remembered under the message id. A refusal leaves no trace
 * but its audit entry (in the batch's transaction). The change goes in a
 * nested transaction, so that a refusal after it wrote is undone, unless
 * the item is flat: then straight into the batch's (a nested one copies
 * every page it touches: 10-15% of the writer's CPU), and a refusal that
 * wrote anything undoes the batch instead (S_REDO).
 */
static int s_write(cl_server *s, cl_txn *parent, s_item *it, cl_handler fn)
{
    uint8_t ik[CL_BLIND_LEN];
    s_idem_hash h;
    cl_txn *t = NULL, *nest = NULL;
    cl_op op = {0}; /* its note is freed at out */
    bool seen = false;
    s_idem_key(s, it, ik);
    s_idem_hashes(it, &h); /* before the handler runs */
    int rc = s_idem_replay(s, parent, it, ik, &h, &seen);
    if (rc != CL_OK || seen)
        return rc;
    if (it->no_user) { /* refused and audited, as every refusal is */
        s_no_user_fail(it);
        return cl_item_audit(s, parent, it, NULL);
    }
    it->rep.kind = it->req.kind;
    uint64_t changes = cl_store_rows_changed(s->store);
    if (!it->flat && (rc = cl_store_begin(&nest, s->store, parent, true)))
        goto out;
    t = it->flat ? parent : nest;
    cl_handle_op_init(&op, s, it, t);
    rc = fn(&op, &it->req, &it->rep);
    if (cl_handle_fatal(rc))
        goto out; /* the whole batch must fail or retry */
    if (it->flat && (rc != CL_OK || op.again) &&
        cl_store_rows_changed(s->store) != changes) {
        it->flat = false; /* undone with the batch, then nested */
        rc = S_REDO;
        goto out;
    }
    if (rc != CL_OK) {
        cl_store_abort(&nest);
        cl_item_fail(it, rc, op.err);
        rc = cl_item_audit(s, parent, it, &op.note);
        goto out;
    }
    memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
    if (op.again) {
        /* Natural idempotency: the same referral under a new message id.
         * Nothing is written; the answer names the original. */
        cl_store_abort(&nest);
        it->rep.status = CL_STATUS_DUPLICATE;
        it->rep.original_status = CL_STATUS_OK;
        rc = cl_wire_encode_reply(&it->out, &it->out_len, &it->rep);
        goto out;
    }
    it->rep.status = CL_STATUS_OK;
    /* Fail closed: no audit entry, no change. */
    if ((rc = cl_item_audit(s, t, it, &op.note)) != CL_OK)
        goto out;
    if ((rc = cl_wire_encode_reply(&it->out, &it->out_len, &it->rep)) != CL_OK)
        goto out;
    if ((rc = s_idem_store(s, t, it, ik, &h)) == CL_OK && nest)
        rc = cl_store_commit(&nest);
out:
    cl_store_abort(&nest);
    cl_audit_note_free(&op.note);
    return rc;
}

/* A READ of personal data: run it, then audit it in the batch's
 * transaction whatever the outcome. */
static int s_read(cl_server *s, cl_txn *t, s_item *it, cl_handler fn)
{
    cl_op op;
    cl_handle_op_init(&op, s, it, t);
    it->rep.kind = it->req.kind;
    int rc = fn(&op, &it->req, &it->rep);
    if (!cl_handle_fatal(rc)) {
        if (rc != CL_OK)
            cl_item_fail(it, rc, op.err);
        rc = cl_item_audit(s, t, it, &op.note);
    }
    cl_audit_note_free(&op.note);
    return rc;
}

/* An ADMIN request: its handler answers the item itself. */
static int s_admin(cl_server *s, cl_txn *t, s_item *it, cl_handler fn)
{
    cl_op op;
    cl_handle_op_init(&op, s, it, t);
    int rc = fn(&op, &it->req, &it->rep);
    cl_audit_note_free(&op.note);
    return rc;
}

/* One good request of the batch, by its row. */
static int s_one(cl_server *s, cl_txn *t, s_item *it)
{
    const s_row *row = (unsigned)it->req.kind < CL_REQ_KIND_COUNT
                           ? &s_rows[it->req.kind]
                           : &s_rows[CL_REQ_NONE];
    int rc = CL_OK;
    if (!cl_replica_writable(s) && !row->standby) {
        char msg[CL_ERROR_SZ];
        cl_replica_not_active(s, msg, sizeof(msg));
        cl_item_fail(it, CL_ERR_INACTIVE, msg);
        if (!it->logged)
            cl_log_info("request refused: client=%s kind=%s status=%s "
                        "(this node is %s)",
                        it->who->name, cl_wire_kind_name(it->req.kind),
                        cl_status_name(it->rep.status), s_roles[s->role]);
        it->logged = true;
        return CL_OK;
    }
    if (!row->fn)
        cl_item_fail(it, CL_ERR_INVALID, "unsupported request");
    else if (row->reader && s->readers)
        it->offload = true; /* after the commit (cl_dispatch_offload) */
    else if (row->rated && !cl_rate_ok(s, it))
        /* a publisher flooding checks is fishing, or broken */
        rc = cl_item_audit(s, t, it, NULL);
    else if (row->cls == CL_REQ_CLASS_WRITE)
        rc = s_write(s, t, it, row->fn);
    else if (row->cls == CL_REQ_CLASS_READ)
        rc = s_read(s, t, it, row->fn);
    else
        rc = s_admin(s, t, it, row->fn);
    if (rc == CL_OK && !it->out)
        cl_item_refusal_path(it);
    if (rc == CL_OK && it->rep.status != CL_STATUS_OK && !it->out &&
        !it->logged) {
        it->logged = true; /* a second pass refuses it the same way */
        cl_log_refused(it->who->name, cl_wire_kind_name(it->req.kind),
                       cl_status_name(it->rep.status), it->rep.error, &it->req);
    }
    return rc;
}

/* A client's admitted requests so far in the batch being limited: an
 * open-addressed table by client key, at most half full. */
typedef struct s_tally {
    const char *key; /* the first item's; NULL: empty */
    uint32_t all, heavy;
} s_tally;

static s_tally *s_tally_of(s_tally *v, size_t cap, const char *key)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (const char *p = key; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    size_t i = (size_t)h & (cap - 1);
    while (v[i].key && strcmp(v[i].key, key))
        i = (i + 1) & (cap - 1);
    v[i].key = key;
    return &v[i];
}

/* Per-client limits within one batch: requests and heavy requests beyond
 * a client's share are refused BUSY before any work, so one client
 * pipelining scans cannot hold another's health behind them. Each
 * client's admitted requests are tallied as the batch is read (a scan of
 * the earlier items for each one cost the serving thread n^2/2 key
 * comparisons a batch: 8% of its time at 32 clients). */
void cl_dispatch_limits(cl_server *s, s_item *items, size_t n)
{
    size_t slots = cl_reader_free(s->readers), cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    s_tally *tally = calloc(cap, sizeof(*tally));
    for (size_t i = 0; i < n; i++) {
        s_item *it = &items[i];
        if (it->early != CL_OK)
            continue;
        uint32_t all = 0, heavy = 0;
        bool reader = s->readers && s_rows[it->req.kind].reader;
        /* what the client has on the readers counts as in flight */
        cl_reader_inflight(s->readers, it->key, &all, &heavy);
        s_tally *mine = tally ? s_tally_of(tally, cap, it->key) : NULL;
        char msg[CL_ERROR_SZ];
        if (mine) {
            all += mine->all;
            heavy += mine->heavy;
        }
        if (!mine) /* no memory for the tally: nothing new admitted */
            snprintf(msg, sizeof(msg),
                     "the daemon is short of memory: retry shortly");
        else if (all >= s->cfg.client_inflight_max)
            snprintf(msg, sizeof(msg),
                     "too many requests in flight from this client (at most "
                     "%u at once): retry when some are answered",
                     (unsigned)s->cfg.client_inflight_max);
        else if (cl_access_heavy(it->req.kind) &&
                 heavy >= s->cfg.client_heavy_max)
            snprintf(msg, sizeof(msg),
                     "too many %s-like requests from this client at once (at "
                     "most %u scans or reports in flight): retry shortly",
                     cl_wire_kind_name(it->req.kind),
                     (unsigned)s->cfg.client_heavy_max);
        else if (reader && !slots)
            snprintf(msg, sizeof(msg),
                     "the daemon is busy with %u other scans or reports: "
                     "retry shortly",
                     (unsigned)CL_READERS_JOBS);
        else {
            slots -= reader;
            mine->all++;
            mine->heavy += cl_access_heavy(it->req.kind);
            continue;
        }
        it->early = CL_ERR_BUSY;
        cl_item_fail(it, CL_ERR_BUSY, msg);
    }
    free(tally);
}

/* One request of the batch, in the batch's transaction t. */
int cl_dispatch_one(cl_server *s, cl_txn *t, s_item *it)
{
    s_watchdog(s);
    it->break_glass_seq = 0;
    if (it->early != CL_OK) {
        /* An attempt on personal data by a role without the right is
         * itself worth an audit entry. */
        if (it->early == CL_ERR_DENIED && it->who &&
            cl_access_personal(it->req.kind) && cl_replica_writable(s))
            return cl_item_audit(s, t, it, NULL);
        return CL_OK;
    }
    /* The reply is all zero: cl_item_begin's slot, or reset by the
     * batch loop before a retry. */
    it->deferred = false;
    it->park = false;
    it->promote = false;
    memset(&it->gap, 0, sizeof(it->gap));
    return s_one(s, t, it);
}

/* A test holds the commit until the file exists: the batch is applied
 * and in flight, unanswered, while the serving thread goes on. */
static void s_gate(const cl_server *s)
{
    while (s->commit_gate[0] && access(s->commit_gate, F_OK) != 0)
        usleep(5000);
}

/* Apply every good request of the batch in one transaction and commit. */
static int s_apply_once(cl_server *s, s_item *items, size_t n)
{
    cl_txn *t = NULL;
    int rc = cl_store_begin(&t, s->store, NULL, true);
    for (size_t i = 0; i < n && rc == CL_OK; i++)
        if (!items[i].answered && !items[i].after)
            rc = cl_dispatch_one(s, t, &items[i]);
    if (rc == CL_OK) /* reads done on the readers since the last commit */
        rc = cl_reader_audit(s->readers, t);
    /* what a parked receive waits for, seen here and now, so that the
     * held transaction is committed for it only when it came */
    s->park_mail = rc == CL_OK && cl_park_mail(s, t, items, n);
    if (rc == CL_OK)
        s_gate(s);
    if (rc == CL_OK)
        rc = cl_replica_commit(s, &t);
    cl_store_abort(&t);
    return rc;
}

/*
 * Writes go straight into the batch's transaction. A write refused after
 * it wrote sends the batch round once more (S_REDO), that write and every
 * one after it nested, so the batch is applied twice (three times at
 * most: see below), and what
 * the first pass did outside the store is put back or kept for the
 * second: the per-client flag rates (rate.c, s_publish_flag) as the
 * batch found them, each item's validation as at admission (s_validate),
 * its refusal
 * logged once. Rates are put back too when the batch is not committed
 * at all (the loop applies it again when the map has grown).
 */
int cl_dispatch_apply(cl_server *s, s_item *items, size_t n)
{
    s->n_rates_was = s->n_rates;
    memcpy(s->rates_was, s->rates, s->n_rates * sizeof(s->rates[0]));
    for (size_t i = 0; i < n; i++)
        items[i].flat = true;
    int rc = s_apply_once(s, items, n);
    if (rc == S_REDO)
        __atomic_fetch_add(&s->redone, 1, __ATOMIC_RELAXED);
    for (int pass = 1; rc == S_REDO && pass <= 2; pass++) {
        /* the one refused and those after it nested; should a write
         * before it differ the second time (a clock crossing a limit),
         * every write nested, which cannot be sent round again */
        bool after = pass == 2;
        for (size_t i = 0; i < n; i++) {
            after |= !items[i].flat;
            items[i].flat = !after;
            if (items[i].early == CL_OK && !items[i].answered &&
                !items[i].after) {
                cl_item_reset(&items[i]); /* the last attempt's reply */
            }
        }
        s->n_rates = s->n_rates_was;
        memcpy(s->rates, s->rates_was, s->n_rates * sizeof(s->rates[0]));
        rc = s_apply_once(s, items, n);
    }
    if (rc != CL_OK) { /* nothing of it stands */
        s->n_rates = s->n_rates_was;
        memcpy(s->rates, s->rates_was, s->n_rates * sizeof(s->rates[0]));
    }
    return rc == S_REDO ? CL_ERR_INTERNAL : rc;
}

bool cl_dispatch_offload(cl_server *s, s_item *it)
{
    const s_row *row = &s_rows[it->req.kind];
    it->offload = false;
    return cl_reader_submit(s->readers, it, row->fn,
                            row->cls == CL_REQ_CLASS_READ);
}

bool cl_dispatch_waits(cl_server *s, const s_item *it, bool busy)
{
    if (it->answered || it->after)
        return false;
    if (it->early != CL_OK) /* an audited refusal waits for its entry */
        return it->early == CL_ERR_DENIED && it->who &&
               cl_access_personal(it->req.kind);
    const s_row *row = &s_rows[it->req.kind];
    if (busy) /* the writer may change a replica's state meanwhile */
        return row->now != S_ANYTIME || s->repl;
    return row->now == S_WAIT || (!cl_replica_writable(s) && !row->standby);
}

bool cl_dispatch_reads_acked(const s_item *it)
{
    return it->req.kind != CL_REQ_HEALTH || cl_handle_health_counts(it->who);
}

bool cl_dispatch_now(cl_server *s, cl_txn **t, s_item *it)
{
    if (it->early == CL_OK) {
        const s_row *row = &s_rows[it->req.kind];
        cl_op op;
        int rc = *t ? CL_OK : cl_store_begin(t, s->store, NULL, false);
        if (rc == CL_OK) {
            cl_handle_op_init(&op, s, it, *t);
            it->rep.kind = it->req.kind;
            rc = row->fn(&op, &it->req, &it->rep);
            cl_audit_note_free(&op.note);
        }
        if (rc != CL_OK) { /* the store could not be read: in the batch */
            cl_item_reset(it);
            return false;
        }
        if (it->rep.status != CL_STATUS_OK)
            cl_log_refused(it->who->name, cl_wire_kind_name(it->req.kind),
                           cl_status_name(it->rep.status), it->rep.error,
                           &it->req);
    }
    if (!cl_reader_hold(s->readers, it))
        cl_item_send(s, it);
    cl_item_release(it);
    it->answered = true;
    return true;
}
