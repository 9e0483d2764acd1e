/*
 * dp_util: helpers the data-protection tests share (see dp_util.h).
 */
#include "dp_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <sodium.h>

#include "wire.h"

int dp_call(cl_client *c, cl_request *req, cl_reply *rep)
{
    randombytes_buf(req->msgid, CL_MSGID_LEN);
    int rc = cl_client_call(c, req, rep);
    assert_int_equal(rc, CL_OK);
    return (int)rep->status;
}

int dp_status(cl_client *co, const char *ref, uint8_t status,
              const char *reason, uint8_t outcome)
{
    cl_request *r = calloc(1, sizeof(*r));
    cl_reply rep;
    r->kind = CL_REQ_SET_STATUS;
    CL_COPY(r->u.set_status.reference, ref);
    r->u.set_status.status = status;
    CL_COPY(r->u.set_status.reason, reason);
    r->u.set_status.outcome = outcome;
    int st = dp_call(co, r, &rep);
    cl_reply_clear(&rep);
    free(r);
    return st;
}

int dp_sar(th_daemon *d, cl_reply *rep)
{
    cl_client *au = th_client(d, "auditor");
    cl_request *r = calloc(1, sizeof(*r));
    r->kind = CL_REQ_SUBJECT_ACCESS;
    CL_COPY(r->u.person_ref.match.nhs, DP_NHS);
    int st = dp_call(au, r, rep);
    free(r);
    cl_client_close(&au);
    return st;
}

cl_request *dp_req(cl_req_kind kind)
{
    cl_request *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->kind = kind;
    return r;
}

void dp_ok(cl_client *c, cl_request *r, cl_reply *keep)
{
    cl_reply rep;
    int st = dp_call(c, r, &rep);
    if (st != CL_STATUS_OK)
        fail_msg("%s: status %d: %s", cl_wire_kind_name(r->kind), st,
                 rep.error);
    if (keep)
        *keep = rep;
    else
        cl_reply_clear(&rep);
    free(r);
}

void dp_jane(cl_person *p)
{
    CL_COPY(p->nhs, DP_NHS);
    CL_COPY(p->given, "Jane");
    CL_COPY(p->family, "Smith");
    CL_COPY(p->dob, "1985-04-12");
    p->sex = 2;
    CL_COPY(p->address, "MK-address 14 Mill Lane");
    CL_COPY(p->postcode, "LS1 4AB");
}

void dp_store_read(const th_daemon *d, cl_store **st, cl_txn **t)
{
    char dir[300], key[320], err[256];
    uint8_t master[CL_MASTER_KEY_LEN];
    snprintf(dir, sizeof(dir), "%s/state", d->dir);
    snprintf(key, sizeof(key), "%s/master.key", d->dir);
    assert_int_equal(cl_store_key_load(master, key, err, sizeof(err)), CL_OK);
    assert_int_equal(cl_store_open(st, dir, master, 64u << 20), CL_OK);
    sodium_memzero(master, sizeof(master));
    assert_int_equal(cl_store_begin(t, *st, NULL, false), CL_OK);
}
