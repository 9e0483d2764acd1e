/*
 * test_diskfull: a full disk under the state folder, for real. The
 * daemon's state folder is on a small tmpfs mounted by the test (skipped
 * where this process may not mount one), filled by a file of the test's
 * own until the daemon's writes fail with the kernel's ENOSPC (or LMDB's
 * short write, an EIO, on a filesystem with no room left). Then every
 * publish is refused as busy with "disk full" in its error, and nothing
 * acknowledged is lost; the log says "disk full: free space under" the
 * state folder once, not once per batch (again only after writes
 * resumed); admin health shows it as the
 * last write error; once the file is removed, writes resume by
 * themselves, the log says so, every referral acknowledged before,
 * during and after is there exactly once, the audit chain verifies and
 * the daemon stops cleanly. With the sequential log on (the default: its
 * append fails) and off (LMDB's commit fails).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#define NHS "9434765919"

typedef struct s_fs {
    char mnt[200];
    bool mounted;
    th_daemon d;
} s_fs;

/* The folder mounted now, unmounted at exit too: a harness helper that
 * gives up exits without the teardown. */
static char s_mounted[200];

static void s_unmount_at_exit(void)
{
    if (s_mounted[0] && umount2(s_mounted, MNT_DETACH) == 0)
        th_sh("rm -rf %s", s_mounted);
}

static int s_setup(void **state)
{
    s_fs *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    th_tmpdir(f->mnt, sizeof(f->mnt));
    f->mounted = mount("tmpfs", f->mnt, "tmpfs", 0, "size=24m") == 0;
    if (f->mounted) {
        static bool registered;
        snprintf(s_mounted, sizeof(s_mounted), "%s", f->mnt);
        if (!registered)
            registered = atexit(s_unmount_at_exit) == 0;
    }
    snprintf(f->d.dir, sizeof(f->d.dir), "%s/d", f->mnt);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fs *f = *state;
    if (f->d.pid)
        th_stop(&f->d, SIGKILL);
    if (f->mounted && umount2(f->mnt, MNT_DETACH) == 0)
        s_mounted[0] = '\0';
    th_sh("rm -rf %s", f->mnt);
    free(f);
    return 0;
}

/* Publish referral ref about the one person; its status, and the error
 * text into why (if not NULL). */
static int s_publish(cl_client *gp, const char *ref, char *why, size_t cap)
{
    cl_request *q = th_referral(ref, "Jane", "Smith", "1985-04-12", NHS);
    memset(q->u.publish.concern, 'c', 1500);
    cl_reply rep;
    assert_int_equal(cl_client_call(gp, q, &rep), CL_OK);
    int st = rep.status;
    if (why)
        snprintf(why, cap, "%s", rep.error);
    cl_reply_clear(&rep);
    free(q);
    return st;
}

/* How many lines of the daemon's log hold s. */
static int s_log_lines(const th_daemon *d, const char *s)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "grep -c -F '%s' %s", s, d->log);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

static void s_disk_full(s_fs *f, const char *conf)
{
    char why[CL_ERROR_SZ], ref[32], want[400];
    if (!f->mounted)
        skip(); /* needs to mount a tmpfs (root, or CAP_SYS_ADMIN) */
    th_daemon *d = &f->d;
    th_start(d, conf);
    cl_client *gp = th_client(d, "gp");
    size_t ok = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(ref, sizeof(ref), "B-%d", i);
        assert_int_equal(s_publish(gp, ref, NULL, 0), CL_STATUS_OK);
        ok++;
    }
    /* the disk fills: everything after is refused, nothing lost */
    th_sh("dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null", f->mnt);
    size_t busy = 0;
    char first[CL_ERROR_SZ] = "";
    for (int i = 0; i < 200; i++) {
        snprintf(ref, sizeof(ref), "F-%d", i);
        int st = s_publish(gp, ref, why, sizeof(why));
        assert_true(st == CL_STATUS_OK || st == CL_STATUS_BUSY);
        if (st == CL_STATUS_OK) {
            ok++;
            continue;
        }
        if (!busy++)
            snprintf(first, sizeof(first), "%s", why);
        assert_non_null(strstr(why, "disk full"));
    }
    printf("disk full: %zu acknowledged, %zu refused (\"%s\")\n", ok, busy,
           first);
    assert_true(busy > 0);
    snprintf(want, sizeof(want), "disk full: free space under %s/state",
             d->dir);
    /* said once, not once per batch: again only after writes resumed
     * (log off, LMDB may fit a small commit in pages it freed before) */
    int said = s_log_lines(d, want);
    int resumed = s_log_lines(d, "disk full over: writes resumed");
    assert_true(said >= 1 && said <= resumed + 1 && (size_t)said * 5 < busy);
    cl_health h = th_health(d, "operator");
    assert_non_null(strstr(h.write_error, "disk full"));
    assert_true(h.write_errors > 0 && h.write_error_at > 0);
    /* room again: writes resume by themselves */
    th_sh("rm -f %s/filler", f->mnt);
    for (int i = 0; i < 20; i++) {
        snprintf(ref, sizeof(ref), "A-%d", i);
        int st = CL_STATUS_BUSY;
        for (int tries = 0; tries < 50 && st == CL_STATUS_BUSY; tries++)
            if ((st = s_publish(gp, ref, why, sizeof(why))) == CL_STATUS_BUSY)
                usleep(100 * 1000);
        assert_int_equal(st, CL_STATUS_OK);
        ok++;
    }
    cl_client_close(&gp);
    assert_true(s_log_lines(d, "disk full over: writes resumed") > resumed);
    assert_int_equal(th_referrals_of(d, NHS), ok);
    int status = 0;
    cl_audit_verify_result v = th_audit_verify(d, NULL, &status);
    assert_int_equal(status, CL_STATUS_OK);
    assert_true(v.intact);
    assert_int_equal(th_stop(d, SIGTERM), 0);
    /* and all of it after a restart */
    th_start(d, NULL);
    assert_int_equal(th_referrals_of(d, NHS), ok);
    assert_int_equal(th_stop(d, SIGTERM), 0);
}

static void test_disk_full_with_log(void **state)
{
    s_disk_full(*state, NULL);
}

static void test_disk_full_without_log(void **state)
{
    s_disk_full(*state, "[store]\nlog = off\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_disk_full_with_log, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_without_log, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
