/*
 * test_seals: how many times a publish seals each agency record, over a
 * real store. A referral's subject is written as a subject in the one
 * seal that writes the record (not sealed again to say so), a related
 * person's record stays a mention, and a record the referral changes
 * nothing in is not sealed at all unless it becomes a subject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <sodium.h>

#include "codec.h"
#include "core.h"
#include "records.h"
#include "refs.h"
#include "th_core.h"

#define S_NOW   1700000000
#define S_MAXID 64

/* Every AEAD seal the store makes (store/seal.c) comes here first; one
 * whose associated data names the record sub-database is counted by its
 * record id, then it goes to libsodium's (the executable's definition is
 * the one the store's reference binds to). The associated data is the
 * seal's header (5 bytes), the sub-database's name, NUL, the key. */
static unsigned s_record_seals[S_MAXID];

int crypto_aead_xchacha20poly1305_ietf_encrypt(
    unsigned char *c, unsigned long long *clen_p, const unsigned char *m,
    unsigned long long mlen, const unsigned char *ad, unsigned long long adlen,
    const unsigned char *nsec, const unsigned char *npub,
    const unsigned char *k)
{
    typedef int (*s_seal_fn)(
        unsigned char *, unsigned long long *, const unsigned char *,
        unsigned long long, const unsigned char *, unsigned long long,
        const unsigned char *, const unsigned char *, const unsigned char *);
    static s_seal_fn real;
    if (!real)
        *(void **)&real =
            dlsym(RTLD_NEXT, "crypto_aead_xchacha20poly1305_ietf_encrypt");
    if (adlen == 5 + 7 + 8 && !memcmp(ad + 5, "record", 7)) {
        uint64_t id = cl_be64_get(ad + 12);
        if (id < S_MAXID)
            s_record_seals[id]++;
    }
    return real(c, clen_p, m, mlen, ad, adlen, nsec, npub, k);
}

typedef struct s_fx {
    th_core c;
    cl_match_config mc;
    cl_caller who;
    cl_referral r;
} s_fx;

static int s_setup(void **state)
{
    s_fx *f = calloc(1, sizeof(*f));
    if (!f || th_core_open(&f->c, 7) != 0)
        return -1;
    cl_match_config_defaults(&f->mc);
    th_core_caller(&f->who, "gp", "Oakfield Surgery", "gp", CL_ROLE_PUBLISHER);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fx *f = *state;
    th_core_close(&f->c);
    free(f);
    return 0;
}

static void s_person(cl_person *p, const char *nhs, const char *given,
                     const char *dob)
{
    memset(p, 0, sizeof(*p));
    CL_COPY(p->nhs, nhs);
    CL_COPY(p->given, given);
    CL_COPY(p->family, "Marsh");
    CL_COPY(p->dob, dob);
    CL_COPY(p->postcode, "LS6 2AB");
}

/* Publish f->r (agency reference ref) with the seal counts from zero;
 * the record the referral is about. */
static uint64_t s_publish(s_fx *f, const char *ref)
{
    cl_publish_result out;
    char err[CL_ERROR_SZ] = "";
    uint64_t ref_id = 0;
    memset(&out, 0, sizeof(out));
    CL_COPY(f->r.agency_ref, ref);
    f->r.category = 3;
    f->r.basis = 1;
    CL_COPY(f->r.concern, "Seen at a routine contact.");
    f->r.occurred_at = S_NOW - 3600;
    memset(s_record_seals, 0, sizeof(s_record_seals));
    assert_int_equal(TH_CORE_OP(err, f->c.t, &f->who, S_NOW,
                                cl_linkfind_publish, &f->mc, &f->r, &out),
                     CL_OK);
    assert_true(cl_records_parse_ref(out.reference, &ref_id));
    cl_records_referral *s = calloc(1, sizeof(*s));
    assert_int_equal(cl_records_referral_get(f->c.t, ref_id, s), CL_OK);
    uint64_t rid = s->record_id;
    free(s);
    return rid;
}

static cl_records_record s_record(s_fx *f, uint64_t rid)
{
    cl_records_record rec;
    assert_int_equal(cl_records_record_get(f->c.t, rid, &rec), CL_OK);
    return rec;
}

/* A new person and a related one: each record sealed once, the
 * subject's as a subject, the related person's as a mention; the same
 * details again seal nothing; the related person as a referral's
 * subject later seals that record once more, now as a subject. */
static void test_publish_seals_each_record_once(void **state)
{
    s_fx *f = *state;
    s_person(&f->r.subject, "9434765919", "Ada", "2015-03-02");
    s_person(&f->r.related[0].person, "9434765870", "Ruth", "1988-11-20");
    f->r.related[0].rel = CL_REL_PARENT;
    f->r.n_related = 1;
    uint64_t rid = s_publish(f, "S-1");
    uint64_t n = 0, mention = 0;
    for (uint64_t i = 0; i < S_MAXID; i++) {
        assert_true(s_record_seals[i] <= 1);
        n += s_record_seals[i];
        if (s_record_seals[i] && i != rid)
            mention = i;
    }
    assert_int_equal(n, 2);
    assert_int_equal(s_record_seals[rid], 1);
    cl_records_record rec = s_record(f, rid);
    assert_int_equal(rec.subject, CL_RECORDS_SUBJECT);
    assert_string_equal(rec.agency, "Oakfield Surgery");
    assert_string_equal(rec.kind, "gp");
    assert_string_equal(rec.p.given, "Ada");
    assert_string_equal(rec.p.nhs, "9434765919");
    assert_int_equal(rec.link_reason, CL_LINK_NEW);
    assert_int_equal(rec.created, S_NOW);
    assert_int_equal(rec.updated, S_NOW);
    assert_true(rec.person_id != 0);
    cl_records_record other = s_record(f, mention);
    assert_int_equal(other.subject, CL_RECORDS_MENTION);
    assert_string_equal(other.p.given, "Ruth");

    /* the same referral again: nothing new, no record sealed */
    assert_int_equal(s_publish(f, "S-2"), rid);
    for (uint64_t i = 0; i < S_MAXID; i++)
        assert_int_equal(s_record_seals[i], 0);

    /* the related person as the subject: sealed once, as a subject */
    f->r.subject = f->r.related[0].person;
    f->r.n_related = 0;
    assert_int_equal(s_publish(f, "S-3"), mention);
    assert_int_equal(s_record_seals[mention], 1);
    assert_int_equal(s_record_seals[rid], 0);
    cl_records_record again = s_record(f, mention);
    assert_int_equal(again.subject, CL_RECORDS_SUBJECT);
    other.subject = CL_RECORDS_SUBJECT;
    assert_memory_equal(&again, &other, sizeof(again));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_seals_each_record_once,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
