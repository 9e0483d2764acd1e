/*
 * libcaselink: the client library agency systems embed to talk to
 * caselinkd.
 *
 * A client connects with its CURVE key pair and the daemon's public key,
 * sends requests (plain C structs from cl_model.h) and receives replies.
 * Every request carries a 16-byte message id; on timeout the library
 * resends the same bytes with the same id, and the daemon applies a message
 * id at most once, answering a resend with the original outcome
 * (CL_STATUS_DUPLICATE, original_status set).
 *
 * Typical use:
 *
 *   cl_client *c = NULL;
 *   cl_client_options o = {.endpoint = "tcp://caselink.example:7750",
 *                          .server_key = "/etc/caselink/server.pub",
 *                          .client_key = "/etc/caselink/gp.key"};
 *   if (cl_client_open(&c, &o, err, sizeof(err)) != CL_OK) ...
 *   cl_request *req = calloc(1, sizeof(*req));
 *   req->kind = CL_REQ_PUBLISH_REFERRAL;  ... fill req->u.publish ...
 *   cl_reply rep;
 *   int rc = cl_client_call(c, req, &rep);   // rc is transport-level
 *   if (rc == CL_OK && cl_reply_ok(&rep)) ... rep.u.publish.reference ...
 *   cl_reply_clear(&rep);
 *   cl_client_close(&c);
 *
 * A cl_client is not thread-safe; use one per thread.
 */
#ifndef CASELINK_H
#define CASELINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_model.h"

typedef struct cl_client cl_client;

typedef struct cl_client_options {
    const char *endpoint;   /* in: tcp://host:port or ipc://path; several,
                               comma-separated, for an active and its
                               standbys (see cl_client_call) */
    const char *server_key; /* in: file with the daemon's public key */
    const char *client_key; /* in: this client's key file (mode 0600) */
    int timeout_ms;         /* in: wait per attempt; 0 means 5000 */
    int attempts;           /* in: sends before giving up; 0 means 3 */
    const cl_user *user;    /* in: the person this system acts for, put on
                               every request that names nobody (copied);
                               coordinator and auditor requests need one */
} cl_client_options;

/*
 * Connect. Returns CL_OK, or CL_ERR_IO / CL_ERR_KEY / CL_ERR_PERM with a
 * sentence in err. The connection completes in the background; a daemon
 * that refuses this key shows up as CL_ERR_DENIED from the first call.
 */
CL_NODISCARD int cl_client_open(cl_client **out, const cl_client_options *o,
                                char *err, size_t err_len);

/* Change the user put on requests that name nobody (NULL: none). A
 * system acting for several people sets it per request instead, in
 * req->on_behalf_of. */
void cl_client_set_user(cl_client *c, const cl_user *u);

/*
 * Read a user file into *out: lines "user_id = ...", "display_name = ...",
 * "role = ..." ('#' comments). All three are required. CL_ERR_IO if it
 * cannot be read, CL_ERR_INVALID with "FILE:LINE: what" in err.
 */
CL_NODISCARD int cl_user_load(cl_user *out, const char *path, char *err,
                              size_t err_len);

/* Disconnect and free; *c = NULL. Safe on NULL. */
void cl_client_close(cl_client **c);

/* The endpoint in use now (borrowed). */
const char *cl_client_endpoint(const cl_client *c);

/*
 * Send req and wait for its reply, resending the same message id on
 * timeout. With several endpoints, a timeout or a CL_STATUS_NOT_ACTIVE
 * reply (a standby, or an active fenced out) sends the same bytes to the
 * next endpoint, which keeps the one that answered for later calls; each
 * endpoint is tried up to `attempts` times, with a short pause between
 * rounds. If req->msgid is all zero a fresh random id is chosen and
 * written back; req->version and req->sent_ms are filled in.
 * Returns CL_OK when a reply arrived (its status says what happened), or
 * CL_ERR_TIMEOUT (no reply after all attempts), CL_ERR_DENIED (the daemon
 * refused this client's key), CL_ERR_SERVER_KEY (the handshake failed: the
 * server key is not the key of the daemon at the endpoint),
 * CL_ERR_UNREACHABLE (nothing listens at the endpoint and nothing ever
 * has for this client; returned at once, not after the timeout),
 * CL_ERR_PROTOCOL, CL_ERR_NOMEM. rep is owned
 * by the caller: release with cl_reply_clear.
 */
CL_NODISCARD int cl_client_call(cl_client *c, cl_request *req, cl_reply *rep);

/*
 * Pipelining: send without waiting (message id handled as above), then
 * collect replies in any order with cl_client_recv, matching them by
 * rep->msgid. cl_client_recv waits up to timeout_ms; CL_ERR_TIMEOUT if
 * nothing came.
 */
CL_NODISCARD int cl_client_send(cl_client *c, cl_request *req);
CL_NODISCARD int cl_client_recv(cl_client *c, cl_reply *rep, int timeout_ms);

/*
 * Mailbox deliveries. Messages for this client's agency (safeguarding
 * alerts, information requests, answers, referral status changes, feed
 * problems) wait in the daemon until acknowledged. Each has a seq that is
 * stable across redeliveries: a handler that has seen a seq before may
 * drop it. The handler returns 0 to acknowledge a delivery, non-zero to
 * leave it in the mailbox (it comes again after redeliver_ms, or when the
 * loop next starts).
 */
typedef int (*cl_delivery_fn)(void *ctx, const cl_delivery *d);

typedef struct cl_receive_options {
    int wait_ms;        /* long-poll wait per receive; 0 means 25000 */
    int run_ms;         /* stop after this long; 0 means until *stop */
    int redeliver_ms;   /* retry deliveries left unacknowledged; 0: 60000 */
    uint32_t limit;     /* deliveries per receive; 0 means 50 */
    volatile int *stop; /* set non-zero (e.g. in a signal handler) to end */
} cl_receive_options;

/*
 * Receive this agency's deliveries in order, hand each to fn, acknowledge
 * those fn accepts. Starts with the oldest unacknowledged delivery, so a
 * restarted integration gets everything it has not acknowledged. Returns
 * CL_OK when stopped, or a transport error (CL_ERR_TIMEOUT, ...), or a
 * refusal from the daemon as CL_ERR_DENIED / CL_ERR_INVALID.
 */
CL_NODISCARD int cl_client_receive_loop(cl_client *c,
                                        const cl_receive_options *o,
                                        cl_delivery_fn fn, void *ctx);

/* How a flag check names the person. */
typedef enum {
    CL_FLAG_BY_NHS = 1,      /* NHS number */
    CL_FLAG_BY_CHI = 2,      /* CHI number */
    CL_FLAG_BY_LOCAL_ID = 3, /* your own agency's id for the person */
} cl_flag_by;

/*
 * The front-line flag, for the systems of the agency kinds the daemon
 * lists in [flag] check_kinds (GP, police, acute and mental-health trusts,
 * ambulance, housing by default): is the person in front of you (id, named
 * as by says), or are they linked as parent, carer or household member to,
 * a child with a protection plan, and whom should you call? out->n == 0
 * is "no flag" (the same whether caselink knows the person or not);
 * otherwise each flag gives the plan type in words, the responsible
 * authority, its duty contact and the next review date, and nothing else.
 * The authority is told of every flag shown, and the check is audited.
 * Returns CL_OK with the answer; the daemon's refusal as CL_ERR_DENIED
 * (kind not configured, another agency's id), CL_ERR_INVALID (a bad
 * number), CL_ERR_NOT_FOUND (none of your records has that local id) or
 * CL_ERR_BUSY (rate limited), with its sentence in err; or a transport
 * error (CL_ERR_TIMEOUT, ...).
 */
CL_NODISCARD int cl_client_flag_check(cl_client *c, cl_flag_by by,
                                      const char *id, cl_flag_result *out,
                                      char *err, size_t err_len);

/* The status that counts: a duplicate's original status. */
static inline cl_status cl_reply_status(const cl_reply *rep)
{
    return rep->status == CL_STATUS_DUPLICATE ? rep->original_status
                                              : rep->status;
}

/* True if the request was carried out (now or at an earlier send). */
static inline bool cl_reply_ok(const cl_reply *rep)
{
    return cl_reply_status(rep) == CL_STATUS_OK;
}

/* A message id derived from a stable string (e.g. the agency's own
 * reference), so that sending the same thing again is recognised. */
void cl_client_msgid_from(uint8_t msgid[CL_MSGID_LEN], const char *domain,
                          const char *stable);

#endif
