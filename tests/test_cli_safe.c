/*
 * test_cli_safe: what the CLI prints passes through cli_safe's filter, so
 * text another agency stored cannot drive the reader's terminal. A child
 * process installs the filter and prints; the parent reads the bytes that
 * reached the real descriptor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli_safe.h"

/* What reaches fd 1 when the child prints the n pieces (each printed
 * with its own fputs, so a C1 split across writes is tried too). */
static void s_through(const char *const *pieces, size_t n, char *out,
                      size_t cap)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        cli_safe_stdout();
        for (size_t i = 0; i < n; i++) {
            fputs(pieces[i], stdout);
            fflush(stdout);
        }
        exit(0); /* exit flushes the filtered stream */
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(p[0], out + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(p[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_escapes_shown_not_sent(void **state)
{
    (void)state;
    char out[512];
    const char *attack[] = {"concern: ok\r\x1b[2K  !! CHILD PROTECTION\n",
                            "\x1b]52;c;aGk=\x07\x1b[8mhidden\n"};
    s_through(attack, 2, out, sizeof(out));
    assert_string_equal(out, "concern: ok\\x1b[2K  !! CHILD PROTECTION\n"
                             "\\x1b]52;c;aGk=\\x07\\x1b[8mhidden\n");
    assert_null(strchr(out, 0x1b));
    assert_null(strchr(out, '\r'));
}

static void test_c1_split_across_writes(void **state)
{
    (void)state;
    char out[128];
    const char *c1[] = {"PC \xc2", "\x9b"
                                   "31mRed\n"};
    s_through(c1, 2, out, sizeof(out));
    assert_string_equal(out, "PC \\x9b31mRed\n");
}

static void test_text_kept(void **state)
{
    (void)state;
    char out[256];
    const char *text[] = {"Zoë Brontë-O'Neill\tborn 24 Dec 1980\n",
                          "\xc2\xa3"
                          "5 and \xc2\xa0 kept\n"};
    s_through(text, 2, out, sizeof(out));
    assert_string_equal(out, "Zoë Brontë-O'Neill\tborn 24 Dec 1980\n"
                             "\xc2\xa3"
                             "5 and \xc2\xa0 kept\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_shown_not_sent),
        cmocka_unit_test(test_c1_split_across_writes),
        cmocka_unit_test(test_text_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
