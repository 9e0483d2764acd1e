/* th_core: see th_core.h. */
#include "th_core.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

int th_core_open(th_core *c, uint8_t key_byte)
{
    uint8_t mk[CL_MASTER_KEY_LEN];
    memset(c, 0, sizeof(*c));
    memset(mk, key_byte, sizeof(mk));
    th_tmpdir(c->dir, sizeof(c->dir));
    if (cl_store_open(&c->s, c->dir, mk, 64u << 20) != CL_OK)
        return -1;
    return cl_store_begin(&c->t, c->s, NULL, true) == CL_OK ? 0 : -1;
}

void th_core_close(th_core *c)
{
    cl_store_abort(&c->t);
    cl_store_close(&c->s);
}

void th_core_caller(cl_caller *c, const char *name, const char *agency,
                    const char *kind, uint32_t roles)
{
    memset(c, 0, sizeof(*c));
    CL_COPY(c->name, name);
    CL_COPY(c->agency, agency);
    CL_COPY(c->kind, kind);
    c->roles = roles;
    CL_COPY(c->user.name, "A User");
}

void th_core_publish(th_core *c, const cl_match_config *mc,
                     const cl_caller *caller, const char *agency_ref,
                     const char *given, const char *nhs, int64_t now,
                     cl_publish_result *out)
{
    cl_referral *r = calloc(1, sizeof(*r));
    char err[CL_ERROR_SZ] = "";
    assert_non_null(r);
    memset(out, 0, sizeof(*out));
    CL_COPY(r->agency_ref, agency_ref);
    CL_COPY(r->subject.given, given);
    CL_COPY(r->subject.family, "Testperson");
    CL_COPY(r->subject.dob, "1980-01-01");
    CL_COPY(r->subject.nhs, nhs);
    CL_COPY(r->concern, "frequent A&E attendance");
    r->category = 4;
    r->basis = 1;
    assert_int_equal(cl_referral_validate(r, err, out), CL_OK);
    assert_int_equal(
        TH_CORE_OP(err, c->t, caller, now, cl_linkfind_publish, mc, r, out),
        CL_OK);
    free(r);
}

static cl_op s_op;

cl_op *th_core_op(cl_txn *t, const cl_caller *who, int64_t now)
{
    cl_op_init(&s_op, t, who, now);
    return &s_op;
}

int th_core_op_end(int rc, char err[CL_ERROR_SZ])
{
    return cl_op_result(&s_op, rc, err);
}
