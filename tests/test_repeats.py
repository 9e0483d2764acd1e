#!/usr/bin/env python3
"""test_repeats_check: scripts/repeats itself, on small trees written here.

It must fail on two functions that share ten lines of the same shape (other
names, strings and numbers), pass once the allow-list names the pair, fail
again when the pair grows past its entry, and pass over what the check
calls boilerplate (comments, includes, lone punctuation, tables of rows
with other contents, at file scope or initialised inside a function,
text written out line by line, one repeating shape overlapping itself).
With --tests it checks test code, against its own allow-list.
"""
import os
import subprocess
import sys
import tempfile

SCRIPT = sys.argv[1]

BODY = """
int s_{name}(struct pair *p, const char *text, int n)
{{
    int total = 0;
    if (p == NULL || text == NULL)
        return -1;
    for (int i = 0; i < n; i++) {{
        total += p->{f1}[i] * {k};
        if (total > {k}00)
            break;
    }}
    p->{f2} = strlen(text);
    p->{f3} = total;
    log_line("{s}", total);
    {extra}
    return total > 0 ? 0 : -2;
}}
"""


def body(name, k, s, extra="", f=("a", "b", "c")):
    return BODY.format(name=name, k=k, s=s, extra=extra, f1=f[0], f2=f[1],
                       f3=f[2])


def run(files, allow=None, expect=0, want=None, unwanted=None, extra=()):
    with tempfile.TemporaryDirectory() as root:
        for path, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)),
                        exist_ok=True)
            with open(os.path.join(root, path), "w") as fh:
                fh.write(text)
        args = [sys.executable, SCRIPT, "--root", root, "--strict", *extra]
        if allow is not None:
            with open(os.path.join(root, "allow"), "w") as fh:
                fh.write(allow)
            args += ["--allow", os.path.join(root, "allow")]
        r = subprocess.run(args, capture_output=True, text=True)
        out = r.stdout + r.stderr
        ok = r.returncode == expect
        ok = ok and all(w in out for w in (want or []))
        ok = ok and not any(w in out for w in (unwanted or []))
        if not ok:
            print(f"FAILED (exit {r.returncode}, wanted {expect}):\n{out}")
            sys.exit(1)
        return out


def main():
    # two functions of the same shape, other names and values: caught,
    # in one file and across files, with both places named
    pair = {"proto/a.c": body("one", 3, "first"),
            "daemon/b.c": "#include <x.h>\n" + body("two", 7, "second",
                                                     f=("x", "y", "z"))}
    run(pair, expect=1,
              want=["NEW: daemon/b.c:s_two ~ proto/a.c:s_one 11 lines"])
    run({"proto/a.c": body("one", 3, "a") + body("two", 4, "b")}, expect=1,
        want=["proto/a.c:s_one ~ proto/a.c:s_two"])
    # allowed at its size; fails when it grows; stale when it is gone
    allow = "# today\nsame proto/a.c:s_one daemon/b.c:s_two 11\n"
    run(pair, allow=allow, expect=0, want=["allowed: "])
    grown = dict(pair)
    grown["proto/a.c"] = body("one", 3, "first", extra="p->a[0] = 1;")
    grown["daemon/b.c"] = body("two", 7, "second", extra="p->x[0] = 2;")
    run(grown, allow=allow, expect=1, want=["it grew"])
    run({"proto/a.c": body("one", 3, "x")}, allow=allow, expect=0,
        want=["stale: 'same daemon/b.c:s_two proto/a.c:s_one 11'"])
    # a renamed function keeps its entry's ceiling, never more
    renamed = {"proto/a.c": body("uno", 3, "first"),
               "daemon/b.c": pair["daemon/b.c"]}
    run(renamed, allow=allow, expect=0, want=["moved or renamed"])
    run(grown | {"proto/a.c": body("uno", 3, "first",
                                   extra="p->a[0] = 1;")},
        allow=allow, expect=1)
    # nine lines are not ten: a shorter run passes
    short = BODY
    for cut in ('    log_line("{s}", total);\n', "    p->{f3} = total;\n",
                "    int total = 0;\n"):
        short = short.replace(cut, "")
    run({"proto/a.c": short.format(name="one", k=1, s="", extra="", f1="a",
                                   f2="b", f3="c"),
         "proto/b.c": short.format(name="two", k=2, s="", extra="", f1="a",
                                   f2="b", f3="c")}, expect=0,
        unwanted=["NEW"])
    # boilerplate: comments, includes and punctuation do not make a pair,
    # nor do tables of rows, text written out, or one repeating shape
    lic = "/*\n" + "".join(f" * licence line {i}\n" for i in range(20)) + \
        " */\n"
    inc = "".join(f"#include <h{i}.h>\n" for i in range(15))
    table = "static const struct row s_rows_N[] = {\n" + "".join(
        f'    {{"name{i}_N", {i}, F_{i}_N}},\n' for i in range(14)) + "};\n"
    text = "void s_usage_N(FILE *f)\n{\n" + "".join(
        f'    fputs("line {i} of the usage text\\n", f);\n'
        for i in range(14)) + "}\n"
    calls = "void s_put_N(struct e *e, const struct m *m)\n{\n" + "".join(
        f"    put_str(e, m->f{i});\n" for i in range(24)) + "}\n"
    run({"proto/a.c": lic + inc + table.replace("_N", "_1") +
         text.replace("_N", "_1") + calls.replace("_N", "_1"),
         "proto/b.c": lic + inc + table.replace("_N", "_2") +
         text.replace("_N", "_2")},
        expect=0, unwanted=["NEW"])
    # ... but a table copied to the letter is a pair, and so is the same
    # field list written out as code twice
    run({"proto/a.c": table.replace("_N", "_1"),
         "proto/b.c": table.replace("_N", "_1").replace("s_rows_1",
                                                         "s_rows_2")},
        expect=1, want=["proto/a.c:s_rows_1 ~ proto/b.c:s_rows_2"])
    run({"proto/a.c": calls.replace("_N", "_1"),
         "proto/b.c": calls.replace("_N", "_2")},
        expect=1, want=["proto/a.c:s_put_1 ~ proto/b.c:s_put_2"])
    # a table initialised inside a function (a test program's list of
    # tests) is data as at file scope: rows of one shape with other names
    # pass, the same rows to the letter are a pair
    listed = "int main_N(void)\n{\n    const struct t tests[] = {\n" + \
        "".join(f"        T(test_{i}_N),\n" for i in range(14)) + \
        "    };\n    return run(tests);\n}\n"
    run({"proto/a.c": listed.replace("_N", "_1"),
         "proto/b.c": listed.replace("_N", "_2")}, expect=0, unwanted=["NEW"])
    run({"proto/a.c": listed.replace("_N", "_1"),
         "proto/b.c": listed.replace("_N", "_1").replace("main_1", "main_2")},
        expect=1, want=["proto/a.c:main_1 ~ proto/b.c:main_2"])
    # ... and code after the table is code again
    run({"proto/a.c": listed.replace("_N", "_1") + body("one", 3, "a"),
         "proto/b.c": listed.replace("_N", "_2") + body("two", 4, "b")},
        expect=1, want=["proto/a.c:s_one ~ proto/b.c:s_two"])
    # outside product code (tests/) is read only with --tests
    tpair = {"tests/a.c": pair["proto/a.c"], "tests/b.c": pair["daemon/b.c"]}
    run(tpair, expect=0, unwanted=["NEW"])
    # --tests checks test code: a pair with a place in tests/ (a test
    # repeating a test, or product code), against its own allow-list
    # (tests/repeats-tests.allow), and leaves product pairs to the default
    run(tpair, expect=1, extra=["--tests"],
        want=["NEW: tests/a.c:s_one ~ tests/b.c:s_two 11 lines"])
    run({"tests/a.c": pair["proto/a.c"], "daemon/b.c": pair["daemon/b.c"]},
        expect=1, extra=["--tests"], want=["daemon/b.c:s_two ~ tests/a.c"])
    run(pair, expect=0, extra=["--tests"], unwanted=["NEW"])
    run(tpair | {"tests/repeats-tests.allow":
                 "same tests/a.c:s_one tests/b.c:s_two 11\n"},
        expect=0, extra=["--tests"], want=["allowed: "])
    run(tpair | {"tests/repeats.allow":
                 "same tests/a.c:s_one tests/b.c:s_two 11\n"},
        expect=1, extra=["--tests"], want=["NEW: "])
    print("test_repeats_check: all passed")


if __name__ == "__main__":
    main()
