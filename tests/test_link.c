/*
 * test_link: the linking subsystem over a real store (no sockets): the
 * review queue's pages (sorted by weight, every pair reachable, filters),
 * the weights' comparison levels where the outside data showed the old
 * rules failing (vetoes that threw away strong pairs, parents and children
 * sharing a name and an address, twins), blocking that survives swapped
 * names, a missing name or date and split surnames, people merged when a
 * record matches two of them, and weights learned from the store.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "core.h"
#include "harness.h"

typedef struct s_fx {
    char dir[256];
    cl_store *s;
    cl_match_config mc;
    cl_caller gp, police, coord;
} s_fx;

static void s_caller(cl_caller *c, const char *name, const char *agency,
                     uint32_t roles)
{
    memset(c, 0, sizeof(*c));
    CL_COPY(c->name, name);
    CL_COPY(c->agency, agency);
    CL_COPY(c->kind, name);
    c->roles = roles;
}

static int s_setup(void **state)
{
    s_fx *f = calloc(1, sizeof(*f));
    uint8_t mk[CL_MASTER_KEY_LEN];
    memset(mk, 7, sizeof(mk));
    th_tmpdir(f->dir, sizeof(f->dir));
    if (cl_store_open(&f->s, f->dir, mk, 256u << 20) != CL_OK)
        return -1;
    cl_match_config_defaults(&f->mc);
    s_caller(&f->gp, "gp", "Oakfield Surgery", CL_ROLE_PUBLISHER);
    s_caller(&f->police, "police", "Northshire Police", CL_ROLE_PUBLISHER);
    s_caller(&f->coord, "coordinator", "Northshire Extended MDT",
             CL_ROLE_COORDINATOR);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fx *f = *state;
    cl_store_close(&f->s);
    th_sh("rm -rf %s", f->dir);
    free(f);
    return 0;
}

static cl_person s_p(const char *given, const char *family, const char *dob,
                     const char *pc)
{
    cl_person p;
    memset(&p, 0, sizeof(p));
    CL_COPY(p.given, given);
    CL_COPY(p.family, family);
    CL_COPY(p.dob, dob);
    CL_COPY(p.postcode, pc);
    cl_postcode_normalise(p.postcode);
    return p;
}

/* Import p as who's record local_id; returns how it linked. */
static cl_import_result s_import(s_fx *f, const cl_caller *who,
                                 const char *local_id, cl_person p,
                                 uint64_t *pid)
{
    cl_txn *t = NULL;
    char err[CL_ERROR_SZ] = "";
    cl_import im;
    cl_import_result out;
    cl_audit_note note;
    memset(&im, 0, sizeof(im));
    memset(&out, 0, sizeof(out));
    memset(&note, 0, sizeof(note));
    im.person = p;
    CL_COPY(im.person.local_id, local_id);
    assert_int_equal(cl_import_validate(&im, err, NULL), CL_OK);
    assert_int_equal(cl_store_begin(&t, f->s, NULL, true), CL_OK);
    int rc = cl_core_import_person(t, &f->mc, who, &im, 1700000000, &out, &note,
                                   err);
    if (rc != CL_OK)
        fail_msg("import %s: %s", local_id, err);
    assert_int_equal(cl_store_commit(&t), CL_OK);
    if (pid)
        *pid = note.persons[0];
    return out;
}

static int s_list(s_fx *f, const cl_review_query *q, cl_review_items *out,
                  char err[CL_ERROR_SZ])
{
    cl_txn *t = NULL;
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    int rc = cl_core_review_list(t, &f->mc, &f->coord, q, out, NULL, err);
    cl_store_abort(&t);
    return rc;
}

/* A family name of letters only, different for each i. */
static void s_family(char out[32], int i)
{
    snprintf(out, 32, "Q%c%c%cson", 'a' + i % 26, 'a' + (i / 26) % 26,
             'a' + (i / 676) % 26);
}

static void test_review_pages(void **state)
{
    s_fx *f = *state;
    enum { N = 130 };
    char fam[32], id[32], err[CL_ERROR_SZ];
    /* uncertain pairs: the GP knows Robert with a date of birth, the
     * police a "Rob" of the same family nearby, some with a town too (a
     * different weight, so the order is tested) */
    for (int i = 0; i < N; i++) {
        s_family(fam, i);
        snprintf(id, sizeof(id), "G%d", i);
        char dob[16];
        snprintf(dob, sizeof(dob), "19%02d-%02d-%02d", 40 + i % 50, 1 + i % 12,
                 1 + i % 28);
        char pa[16], pb[16];
        snprintf(pa, sizeof(pa), "LS%d %dAB", 1 + i % 28, i / 28);
        snprintf(pb, sizeof(pb), "LS%d %dZZ", 1 + i % 28, i / 28);
        cl_person a = s_p("Robert", fam, dob, pa);
        cl_person b = s_p("Rob", fam, "", pb);
        if (i % 3 == 0) {
            CL_COPY(a.town, "Leeds");
            CL_COPY(b.town, "Leeds");
        }
        s_import(f, &f->gp, id, a, NULL);
        snprintf(id, sizeof(id), "P%d", i);
        s_import(f, &f->police, id, b, NULL);
    }
    /* every pair, a page at a time, highest weight first, none twice */
    cl_review_query q = {.limit = 50};
    cl_review_items page;
    size_t seen = 0, pages = 0, total = 0;
    double last = INFINITY;
    static char ids[4 * N][CL_REF_SZ];
    for (;;) {
        assert_int_equal(s_list(f, &q, &page, err), CL_OK);
        if (!total)
            total = page.total;
        /* every pair queued, and more than one page of them */
        assert_true(total >= N && total < 4 * N);
        assert_int_equal(page.total, total);
        pages++;
        for (size_t i = 0; i < page.n; i++) {
            assert_true(page.v[i].score <= last);
            last = page.v[i].score;
            assert_true(page.v[i].probability > 0 && page.v[i].probability < 1);
            for (size_t k = 0; k < seen; k++)
                assert_string_not_equal(ids[k], page.v[i].id);
            assert_true(seen < total);
            CL_COPY(ids[seen++], page.v[i].id);
        }
        bool more = page.next[0] != '\0';
        if (more)
            assert_int_equal(page.n, 50);
        CL_COPY(q.after, page.next);
        free(page.v);
        if (!more)
            break;
    }
    assert_int_equal(seen, total);
    assert_int_equal(pages, (total + 49) / 50);
    /* page 3 of 50 starts at the 101st */
    memset(&q, 0, sizeof(q));
    q.limit = 50;
    q.page = 3;
    assert_int_equal(s_list(f, &q, &page, err), CL_OK);
    assert_int_equal(page.n, total - 100 < 50 ? total - 100 : 50);
    assert_string_equal(page.v[0].id, ids[100]);
    free(page.v);
    /* the largest page is honoured, not cut to a default */
    q.page = 0;
    q.limit = 500;
    assert_int_equal(s_list(f, &q, &page, err), CL_OK);
    assert_int_equal(page.n, total);
    assert_string_equal(page.next, "");
    free(page.v);
    q.limit = 501;
    assert_int_equal(s_list(f, &q, &page, err), CL_ERR_INVALID);
    assert_non_null(strstr(err, "at most 500"));
    /* filters: an agency nobody has, and probability bounds */
    q.limit = 500;
    CL_COPY(q.agency, "Nobody's Agency");
    assert_int_equal(s_list(f, &q, &page, err), CL_OK);
    assert_int_equal(page.n, 0);
    assert_int_equal(page.total, 0);
    free(page.v);
    CL_COPY(q.agency, "Northshire Police");
    assert_int_equal(s_list(f, &q, &page, err), CL_OK);
    assert_true(page.total >= N);
    uint32_t police = page.total;
    double hi = page.v[0].probability, lo = page.v[page.n - 1].probability;
    free(page.v);
    assert_true(hi > lo);
    q.min_p = (hi + lo) / 2;
    assert_int_equal(s_list(f, &q, &page, err), CL_OK);
    assert_true(page.total > 0 && page.total < police);
    for (size_t i = 0; i < page.n; i++)
        assert_true(page.v[i].probability >= q.min_p);
    uint32_t above = page.total;
    free(page.v);
    q.min_p = 0;
    q.max_p = (hi + lo) / 2;
    assert_int_equal(s_list(f, &q, &page, err), CL_OK);
    assert_int_equal(page.total, police - above);
    free(page.v);
    /* a malformed cursor, and the role */
    memset(&q, 0, sizeof(q));
    CL_COPY(q.after, "R00000001");
    assert_int_equal(s_list(f, &q, &page, err), CL_ERR_INVALID);
    cl_txn *t = NULL;
    memset(&q, 0, sizeof(q));
    assert_int_equal(cl_store_begin(&t, f->s, NULL, false), CL_OK);
    assert_int_equal(
        cl_core_review_list(t, &f->mc, &f->gp, &q, &page, NULL, err),
        CL_ERR_DENIED);
    cl_store_abort(&t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_review_pages, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
