/*
 * fuzz_envelope: any bytes as a request frame through the daemon's own
 * path, minus the socket: decoded, checked (the access rules, the named
 * user, the names; a user is named where the input names none) and run by the
 * dispatch rows derived from cl_requests.def, on a real store and a real
 * registry, in a transaction that is then aborted; the reply encoded and
 * decoded back. A new request kind is fuzzed as soon as it has its row.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "intake.h"
#include "item.h"
#include "store.h"
#include "wire.h"

/* The CURVE test vector's public key: any registered key will do. */
#define S_KEY "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

static cl_server *s_srv;
static s_item s_it;

static void s_registry(cl_server *s, const char *dir)
{
    char path[256], err[CL_ERROR_SZ];
    snprintf(path, sizeof(path), "%s/registry.ini", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fprintf(f,
            "[fuzz]\nkey = %s\nagency = Fuzz Agency\nkind = gp\n"
            "roles = publisher, coordinator, auditor, operator\n"
            "plans = yes\nduty_name = Duty Desk\n"
            "duty_phone = 01632 960000\nduty_email = duty@example.org\n"
            "duty_hours = 24 hours\n",
            S_KEY);
    fclose(f);
    if (cl_registry_load(&s->registry, path, err, sizeof(err)) != CL_OK) {
        fprintf(stderr, "fuzz registry: %s\n", err);
        abort();
    }
}

/* One person to find. */
static void s_seed(cl_server *s)
{
    cl_txn *t = NULL;
    cl_referral *r = calloc(1, sizeof(*r));
    cl_publish_result out;
    char err[CL_ERROR_SZ];
    if (!r)
        abort();
    cl_copy(r->agency_ref, sizeof(r->agency_ref), "SEED-1");
    cl_copy(r->subject.nhs, sizeof(r->subject.nhs), "9434765919");
    cl_copy(r->subject.family, sizeof(r->subject.family), "Smith");
    cl_copy(r->subject.given, sizeof(r->subject.given), "Jane");
    r->category = 1;
    r->basis = 1;
    if (cl_store_begin(&t, s->store, NULL, true) != CL_OK)
        abort();
    cl_op op;
    cl_op_init(&op, t, cl_registry_find(s->registry, S_KEY), 1700000000);
    if (cl_op_result(&op, cl_linkfind_publish(&op, &s->cfg.match, r, &out),
                     err) != CL_OK ||
        cl_store_commit(&t) != CL_OK)
        abort();
    free(r);
}

static void s_init(void)
{
    char dir[] = "/tmp/cl-fuzz-envelope.XXXXXX";
    uint8_t mk[CL_MASTER_KEY_LEN];
    char why[CL_ERROR_SZ];
    if (sodium_init() < 0 || !mkdtemp(dir))
        abort();
    cl_server *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    memset(mk, 0x42, sizeof(mk));
    if (cl_store_open(&s->store, dir, mk, 256u << 20) != CL_OK)
        abort();
    cl_config_defaults(&s->cfg);
    cl_copy(s->cfg.state_dir, sizeof(s->cfg.state_dir), dir);
    if (cl_intake_rule_add(&s->cfg.intake, "gp-concerns", "kind=gp", why,
                           sizeof(why)) != CL_OK ||
        cl_intake_rule_add(&s->cfg.intake, "repeat", "contacts>=2 within=90d",
                           why, sizeof(why)) != CL_OK ||
        cl_intake_rule_add(&s->cfg.intake, "plan", "plan_linked", why,
                           sizeof(why)) != CL_OK)
        abort();
    cl_route_config *rc = &s->cfg.route;
    rc->n_agencies = rc->n_coord = rc->n_audit = 1;
    cl_copy(rc->agencies[0], CL_AGENCY_SZ, "Fuzz Agency");
    cl_copy(rc->coord[0], CL_AGENCY_SZ, "Fuzz Agency");
    cl_copy(rc->audit[0], CL_AGENCY_SZ, "Fuzz Agency");
    s->base_match = s->cfg.match;
    s->started = s_now();
    s_registry(s, dir);
    s_seed(s);
    s_srv = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_item *it = &s_it;
    if (!s_srv)
        s_init();
    zmq_msg_init(&it->route);
    cl_item_begin(it);
    cl_copy(it->key, sizeof(it->key), S_KEY);
    cl_dispatch_decode(s_srv, it, data, size);
    /* The corpus names no user: name one, so that coordinator and
     * auditor requests reach their handlers (the check itself is run). */
    if (it->early == CL_OK && !cl_user_named(&it->req.on_behalf_of)) {
        cl_copy(it->req.on_behalf_of.id, CL_USER_ID_SZ, "fuzz");
        cl_copy(it->req.on_behalf_of.name, CL_NAME_SZ, "Fuzz User");
        cl_copy(it->req.on_behalf_of.role, CL_USER_ROLE_SZ, "Tester");
    }
    cl_dispatch_check(s_srv, it);
    /* A backup makes its folder outside the transaction: not here. */
    if (it->req.kind != CL_REQ_ADMIN_BACKUP) {
        cl_txn *t = NULL;
        if (cl_store_begin(&t, s_srv->store, NULL, true) != CL_OK)
            abort();
        it->flat = true; /* a write in the batch's own, as the daemon runs it */
        if (cl_dispatch_one(s_srv, t, it) != CL_OK && !it->flat) {
            /* refused after it wrote: the batch again, this one nested */
            cl_store_abort(&t);
            cl_item_reset(it);
            if (cl_store_begin(&t, s_srv->store, NULL, true) != CL_OK)
                abort();
            if (cl_dispatch_one(s_srv, t, it) != CL_OK) {
                /* a batch-failing error: the daemon answers them all busy */
            }
        }
        cl_store_abort(&t);
    }
    if (!it->out) {
        memcpy(it->rep.msgid, it->req.msgid, CL_MSGID_LEN);
        if (cl_wire_encode_reply(&it->out, &it->out_len, &it->rep) != CL_OK)
            it->out = NULL;
    }
    cl_reply back;
    if (it->out && cl_wire_decode_reply(&back, it->out, it->out_len) == CL_OK)
        cl_reply_clear(&back);
    cl_item_release(it);
    return 0;
}
