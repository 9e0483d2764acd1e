/*
 * test_config: the configuration table against the real parser and the
 * sample file operators copy. Every numeric row is tried at its bounds
 * and one past them; every row must be documented in
 * systemd/caselinkd.conf.sample, with the default the table gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

static char s_dir[] = "/tmp/cl-test-config.XXXXXX";

/* s_load's result must be want; says which setting when not. */
#define S_EXPECT(want, c, r, v, err)                                           \
    do {                                                                       \
        int got_ = s_load(c, (r).section, (r).name, v, err, sizeof(err));      \
        if (got_ != (want))                                                    \
            fail_msg("[%s] %s = %s: %d (%s)", (r).section, (r).name, v, got_,  \
                     got_ ? err : "accepted");                                 \
    } while (0)

/* Load "[section]\nname = value\n" over the defaults; 0 on success. */
static int s_load(cl_config *c, const char *section, const char *name,
                  const char *value, char *err, size_t err_len)
{
    char path[64], body[512];
    snprintf(path, sizeof(path), "%s/t.conf", s_dir);
    snprintf(body, sizeof(body),
             "[daemon]\nstate_directory = /tmp\nregistry = /r\n"
             "server_key = /k\nmaster_key = /m\n[%s]\n%s = %s\n",
             section, name, value);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    cl_config_defaults(c);
    return cl_config_load(c, path, err, err_len);
}

static void t_bounds(void **state)
{
    (void)state;
    static cl_config c;
    char err[512], v[32];
    size_t numbers = 0;
    for (size_t i = 0; i < cl_config_settings(); i++) {
        cl_config_row r;
        assert_true(cl_config_setting(i, &r));
        if (!r.number)
            continue;
        numbers++;
        uint64_t lo = (uint64_t)r.lo, hi = (uint64_t)r.hi;
        /* map_size_mb must stay at most map_max_mb: its top and the
         * other's bottom are refused by that cross-check instead */
        snprintf(v, sizeof(v), "%llu", (unsigned long long)lo);
        if (strcmp(r.name, "map_max_mb") != 0)
            S_EXPECT(CL_OK, &c, r, v, err);
        snprintf(v, sizeof(v), "%llu", (unsigned long long)hi);
        if (strcmp(r.name, "map_size_mb") != 0)
            S_EXPECT(CL_OK, &c, r, v, err);
        snprintf(v, sizeof(v), "%llu", (unsigned long long)hi + 1);
        S_EXPECT(CL_ERR_INVALID, &c, r, v, err);
        char want[160];
        snprintf(want, sizeof(want),
                 "%s must be a whole number from %llu to %llu", r.name,
                 (unsigned long long)lo, (unsigned long long)hi);
        assert_non_null(strstr(err, want));
        assert_non_null(strstr(err, ":7: ")); /* the failing line */
        if (lo > 0) {
            snprintf(v, sizeof(v), "%llu", (unsigned long long)lo - 1);
            assert_int_equal(s_load(&c, r.section, r.name, v, err, sizeof(err)),
                             CL_ERR_INVALID);
        }
        S_EXPECT(CL_ERR_INVALID, &c, r, "-1", err);
        S_EXPECT(CL_ERR_INVALID, &c, r, "7x", err);
    }
    assert_true(numbers >= 25);
}

/* The first line "PREFIXname =" in [from, to), or NULL. */
static const char *s_key(const char *from, const char *to, const char *prefix,
                         const char *name)
{
    char key[96];
    snprintf(key, sizeof(key), "\n%s%s =", prefix, name);
    const char *p = strstr(from, key);
    return p && p < to ? p + 1 : NULL;
}

/* The sample file names every setting (set, or commented out), and a
 * default it sets is the table's. */
static void t_sample(void **state)
{
    (void)state;
    FILE *f = fopen(CL_SOURCE_DIR "/systemd/caselinkd.conf.sample", "r");
    assert_non_null(f);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    for (size_t i = 0; i < cl_config_settings(); i++) {
        cl_config_row r;
        assert_true(cl_config_setting(i, &r));
        char sec[64];
        snprintf(sec, sizeof(sec), "\n[%s]\n", r.section);
        const char *at = strstr(text, sec);
        if (!at)
            fail_msg("[%s] is not in the sample", r.section);
        const char *end = strstr(at + 1, "\n[");
        end = end ? end : at + strlen(at);
        if (r.name[strlen(r.name) - 1] == '*')
            continue; /* a family of keys, described in prose */
        const char *set = s_key(at, end, "", r.name);
        if (!set && !s_key(at, end, "# ", r.name) &&
            !s_key(at, end, "#", r.name))
            fail_msg("[%s] %s is not in the sample", r.section, r.name);
        if (!set || !r.number || !r.has_default)
            continue;
        char line[160];
        snprintf(line, sizeof(line), "%s = %llu\n", r.name,
                 (unsigned long long)r.def);
        if (strncmp(set, line, strlen(line)) != 0)
            fail_msg("[%s] %s: the sample's default is not %llu", r.section,
                     r.name, (unsigned long long)r.def);
    }
}

static void t_kinds(void **state)
{
    (void)state;
    static cl_config c;
    char err[512];
    /* defaults from the rows */
    cl_config_defaults(&c);
    assert_string_equal(c.endpoint, "tcp://0.0.0.0:7750");
    assert_int_equal(c.log_level, 6);
    assert_int_equal(c.map_bytes, 1024ull << 20);
    assert_int_equal(c.map_max_bytes, 64ull << 30);
    assert_int_equal(c.route.mailbox_max, 10000);
    assert_int_equal(c.repl.replicas, 3);
    /* a unit shift */
    assert_int_equal(
        s_load(&c, "store", "map_max_mb", "2048", err, sizeof(err)), CL_OK);
    assert_int_equal(c.map_max_bytes, 2048ull << 20);
    /* yes/no */
    assert_int_equal(
        s_load(&c, "routing", "tell_known_to_mdt", "yes", err, sizeof(err)),
        CL_OK);
    assert_true(c.route.tell_known_to_mdt);
    assert_int_equal(
        s_load(&c, "routing", "tell_known_to_mdt", "perhaps", err, sizeof(err)),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "tell_known_to_mdt must be yes or no"));
    /* endpoints by prefix */
    assert_int_equal(
        s_load(&c, "daemon", "endpoint", "udp://x", err, sizeof(err)),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "endpoint must be tcp://HOST:PORT"));
    assert_int_equal(
        s_load(&c, "daemon", "endpoint", "ipc:///tmp/s", err, sizeof(err)),
        CL_OK);
    assert_string_equal(c.endpoint, "ipc:///tmp/s");
    assert_int_equal(
        s_load(&c, "replication", "servers", "tcp://x", err, sizeof(err)),
        CL_ERR_INVALID);
    /* a real number, NaN refused */
    assert_int_equal(
        s_load(&c, "retention", "inactive_days", "nan", err, sizeof(err)),
        CL_ERR_INVALID);
    assert_int_equal(
        s_load(&c, "retention", "inactive_days", "2.5", err, sizeof(err)),
        CL_OK);
    assert_true(c.retention_days == 2.5);
    /* NATS names */
    assert_int_equal(
        s_load(&c, "replication", "stream", "a.b", err, sizeof(err)),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "letters, digits"));
    /* wildcard rows reach their module */
    assert_int_equal(
        s_load(&c, "feeds", "police/custody", "600", err, sizeof(err)), CL_OK);
    assert_int_equal(c.route.n_feed_rules, 1);
    assert_int_equal(c.route.feed_rules[0].silence_after_s, 600);
    /* unknown settings, also in a section of wildcard rows */
    assert_int_equal(s_load(&c, "daemon", "frobnicate", "1", err, sizeof(err)),
                     CL_ERR_INVALID);
    assert_non_null(strstr(err, "unknown setting [daemon] frobnicate"));
    assert_int_equal(
        s_load(&c, "intake", "rules x", "kind=gp", err, sizeof(err)),
        CL_ERR_INVALID);
    assert_non_null(strstr(err, "unknown setting [intake] rules x"));
    assert_int_equal(s_load(&c, "nosuch", "x", "1", err, sizeof(err)),
                     CL_ERR_INVALID);
}

static int s_setup(void **state)
{
    (void)state;
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "%s/t.conf", s_dir);
    unlink(path);
    return rmdir(s_dir);
}

/* The refusal log's mask: a quoted value a client sent is masked whole,
 * quotes and hint-like words inside it too; what follows it (the
 * daemon's hints included) cannot be told from it, so it goes too. */
static void t_log_mask(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"owner_agency: no agency 'Jane O'Neil'; did you mean 'police'?",
         "owner_agency: no agency '...'?"},
        {"name 'a' b 'c' is refused", "name '...' is refused"},
        {"agency: no registered agency 'Jane Doe' then run 'Jane Doe "
         "9434765919'; did you mean 'Oakfield Surgery'?",
         "agency: no registered agency '...'?"},
        {"(not 'call 'Tom Jones' on 07700900123, or run 'home'')",
         "(not '...')"},
        {"nhs_number 943 476 5919 is not valid", "nhs_number # is not valid"},
        {"source: 'x\" y' is not counted", "source: '...' is not counted"},
        {"unclosed 'value to the end", "unclosed '..."},
    };
    char out[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cl_log_mask(out, sizeof(out), cases[i].in);
        assert_string_equal(out, cases[i].want);
    }
    cl_log_mask(out, 12, "a 'long value' and more text"); /* never overruns */
    assert_true(strlen(out) < 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_bounds),
        cmocka_unit_test(t_sample),
        cmocka_unit_test(t_kinds),
        cmocka_unit_test(t_log_mask),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
