/*
 * test_keys: key files in both formats, read by the tools other languages
 * use. caselink's ZPL certificates are loaded by CZMQ's real zcert_load;
 * certificates CZMQ's zcert_save wrote are read by caselink; the registry
 * takes a key inline (key or public-key, quoted or not) or as key_file in
 * either format; and a client whose keys are a CZMQ certificate is admitted
 * by the real daemon after a reload.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <czmq.h>

#include "harness.h"
#include "keyfile.h"
#include "registry.h"

static void test_zpl_written_czmq_reads(void **state)
{
    (void)state;
    char dir[256], base[300], path[320], pub[CL_Z85_KEY_SZ], sec[CL_Z85_KEY_SZ],
        p2[CL_Z85_KEY_SZ], err[512];
    th_tmpdir(dir, sizeof(dir));
    snprintf(base, sizeof(base), "%s/oakfield-gp", dir);
    assert_int_equal(cl_keyfile_generate_as(base, CL_KEYFILE_ZPL, pub), CL_OK);
    snprintf(path, sizeof(path), "%s.cert_secret", base);
    assert_int_equal(cl_keyfile_read(path, p2, sec, err, sizeof(err)), CL_OK);
    assert_string_equal(p2, pub);
    /* CZMQ loads the pair from the public file's name */
    snprintf(path, sizeof(path), "%s.cert", base);
    zcert_t *c = zcert_load(path);
    assert_non_null(c);
    assert_string_equal(zcert_public_txt(c), pub);
    assert_string_equal(zcert_secret_txt(c), sec);
    assert_string_equal(zcert_meta(c, "name"), "oakfield-gp");
    zcert_destroy(&c);
    /* the public certificate alone holds no secret */
    assert_int_equal(cl_keyfile_read(path, p2, NULL, err, sizeof(err)), CL_OK);
    assert_string_equal(p2, pub);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(cl_keyfile_read(path, p2, sec, err, sizeof(err)),
                     CL_ERR_KEY);
    assert_non_null(strstr(err, "no secret-key in a curve section"));
    /* never overwritten */
    assert_int_equal(cl_keyfile_generate_as(base, CL_KEYFILE_ZPL, pub),
                     CL_ERR_EXISTS);
    th_sh("rm -rf %s", dir);
}

static void test_czmq_written_caselink_reads(void **state)
{
    (void)state;
    char dir[256], path[320], pub[CL_Z85_KEY_SZ], sec[CL_Z85_KEY_SZ], err[512];
    th_tmpdir(dir, sizeof(dir));
    zcert_t *c = zcert_new();
    zcert_set_meta(c, "name", "integration engine");
    snprintf(path, sizeof(path), "%s/engine.cert", dir);
    assert_int_equal(zcert_save(c, path), 0);
    snprintf(path, sizeof(path), "%s/engine.cert_secret", dir);
    assert_int_equal(cl_keyfile_read(path, pub, sec, err, sizeof(err)), CL_OK);
    assert_string_equal(pub, zcert_public_txt(c));
    assert_string_equal(sec, zcert_secret_txt(c));
    zcert_destroy(&c);
    /* a secret certificate others may read is refused, naming the fix */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(cl_keyfile_read(path, pub, sec, err, sizeof(err)),
                     CL_ERR_PERM);
    assert_non_null(strstr(err, "chmod 600"));
    th_sh("rm -rf %s", dir);
}

static void test_registry_takes_either(void **state)
{
    (void)state;
    char dir[256], path[320], ini_pub[CL_Z85_KEY_SZ], zpl_pub[CL_Z85_KEY_SZ],
        raw_pub[CL_Z85_KEY_SZ], raw_sec[CL_Z85_KEY_SZ], err[600];
    th_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/gp", dir);
    assert_int_equal(cl_keyfile_generate_as(path, CL_KEYFILE_INI, ini_pub),
                     CL_OK);
    snprintf(path, sizeof(path), "%s/police", dir);
    assert_int_equal(cl_keyfile_generate_as(path, CL_KEYFILE_ZPL, zpl_pub),
                     CL_OK);
    assert_int_equal(zmq_curve_keypair(raw_pub, raw_sec), 0);
    snprintf(path, sizeof(path), "%s/clients.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "[gp]\nkey_file = gp.pub\nagency = Oakfield Surgery\nkind = gp\n"
            "roles = publisher\n"
            "[police]\nkey_file = police.cert\nagency = Northshire Police\n"
            "kind = police\nroles = publisher\n"
            "[engine]\npublic-key = \"%s\"\nagency = Northshire Council\n"
            "kind = adult_services\nroles = publisher\n",
            raw_pub);
    fclose(f);
    cl_registry *r = NULL;
    assert_int_equal(cl_registry_load(&r, path, err, sizeof(err)), CL_OK);
    assert_string_equal(cl_registry_find(r, ini_pub)->name, "gp");
    assert_string_equal(cl_registry_find(r, zpl_pub)->name, "police");
    assert_string_equal(cl_registry_find(r, raw_pub)->name, "engine");
    cl_registry_destroy(&r);
    /* a key_file that is not there: the line and the file are named */
    f = fopen(path, "w");
    fprintf(f, "[gp]\nkey_file = missing.pub\nagency = A\nkind = gp\n"
               "roles = publisher\n");
    fclose(f);
    assert_int_equal(cl_registry_load(&r, path, err, sizeof(err)),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "clients.conf:2: key_file: key file"));
    assert_non_null(strstr(err, "missing.pub"));
    th_sh("rm -rf %s", dir);
}

/* The real daemon admits a client whose keys are a CZMQ certificate. */
static void test_daemon_admits_czmq_client(void **state)
{
    th_daemon *d = *state;
    char path[400];
    zcert_t *c = zcert_new();
    snprintf(path, sizeof(path), "%s/keys/engine.cert", d->dir);
    assert_int_equal(zcert_save(c, path), 0);
    zcert_destroy(&c);
    assert_int_equal(th_sh("cd %s && printf '\\n[engine]\\nkey_file = "
                           "keys/engine.cert\\nagency = Northshire Council\\n"
                           "kind = adult_services\\nroles = operator\\n' >> "
                           "clients.conf",
                           d->dir),
                     0);
    kill(d->pid, SIGHUP);
    usleep(300000);
    snprintf(path, sizeof(path), "%s/keys/engine.cert_secret", d->dir);
    cl_client *cl = th_client_keys(d, path, 3000);
    cl_request h;
    cl_reply rep;
    memset(&h, 0, sizeof(h));
    h.kind = CL_REQ_HEALTH;
    assert_int_equal(cl_client_call(cl, &h, &rep), CL_OK);
    assert_int_equal(rep.status, CL_STATUS_OK);
    cl_reply_clear(&rep);
    cl_client_close(&cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zpl_written_czmq_reads),
        cmocka_unit_test(test_czmq_written_caselink_reads),
        cmocka_unit_test(test_registry_takes_either),
        cmocka_unit_test_setup_teardown(test_daemon_admits_czmq_client,
                                        th_setup_daemon, th_teardown_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
