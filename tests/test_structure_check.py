#!/usr/bin/env python3
"""test_structure_check: scripts/structure itself, on small trees built here.

Each tree is a few C files compiled with the system compiler into the
object layout CMake gives cl_core (build/daemon/CMakeFiles/cl_core.dir/
core/X.c.o). The check must pass a tree whose files call only their own
layer or lower ones, and fail (naming the files and the symbol) on a call
from a lower layer to a higher one, on a file of cl_core with no layer,
on two files that call each other round, and on a function over 120
lines; an empty allow-list allows nothing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SCRIPT = sys.argv[1]
CC = os.environ.get("CC") or shutil.which("cc") or "gcc"


def run(files, expect, want=(), unwanted=(), allow=""):
    """Build files ({name: C text}, in daemon/core/) and run the check."""
    with tempfile.TemporaryDirectory() as root:
        core = os.path.join(root, "daemon", "core")
        objs = os.path.join(root, "build", "daemon", "CMakeFiles",
                            "cl_core.dir", "core")
        os.makedirs(core)
        os.makedirs(objs)
        for name, text in files.items():
            src = os.path.join(core, name)
            with open(src, "w") as fh:
                fh.write(text)
            subprocess.run([CC, "-c", "-o",
                            os.path.join(objs, name + ".o"), src],
                           check=True)
        with open(os.path.join(root, "allow"), "w") as fh:
            fh.write(allow)
        env = dict(os.environ, CL_ROOT=root)
        r = subprocess.run([sys.executable, SCRIPT, "--strict", "--build",
                            os.path.join(root, "build"), "--allow",
                            os.path.join(root, "allow")],
                           capture_output=True, text=True, env=env)
        out = r.stdout + r.stderr
        ok = (r.returncode == expect and all(w in out for w in want)
              and not any(w in out for w in unwanted))
        if not ok:
            print(f"FAILED (exit {r.returncode}, wanted {expect}):\n{out}")
        return ok


def fn(name, calls=()):
    body = "".join(f"    {c}();\n" for c in calls)
    decl = "".join(f"void {c}(void);\n" for c in calls)
    return f"{decl}void {name}(void)\n{{\n{body}}}\n"


def main():
    ok = True
    # downward and same-layer calls only: passes
    ok &= run({"records.c": fn("r_get"),
               "audit.c": fn("a_append", ["r_get"]),
               "mdt_review.c": fn("rv_get", ["r_get", "a_append"]),
               "mdt.c": fn("m_rate", ["rv_get"])}, 0,
              want=["0 not allowed"], unwanted=["NEW:"])
    # records (layer 0) calls the MDT (layer 4)
    ok &= run({"records.c": fn("r_get", ["m_rate"]),
               "mdt.c": fn("m_rate")}, 1,
              want=["NEW: daemon/core/records.c (layer 0) calls "
                    "daemon/core/mdt.c (layer 4): m_rate"])
    # a file with no layer
    ok &= run({"records.c": fn("r_get"),
               "newthing.c": fn("n_do", ["r_get"])}, 1,
              want=["daemon/core/newthing.c: no layer in cl_core"])
    # two files of one layer that call each other round
    ok &= run({"mdt.c": fn("m_rate", ["a_act"]),
               "mdt_action.c": fn("a_act", ["m_rate"])}, 1,
              want=["cl_core: 2 files call each other round"])
    # an allow-list cannot excuse a layer finding
    ok &= run({"records.c": fn("r_get", ["m_rate"]),
               "mdt.c": fn("m_rate")}, 1, allow="circle cl_core\n",
              want=["NEW: daemon/core/records.c (layer 0)"])
    # a function over 120 lines
    long_fn = ("int big(int x)\n{\n" + "    x += 1;\n" * 125 +
               "    return x;\n}\n")
    ok &= run({"records.c": long_fn}, 1,
              want=["daemon/core/records.c:big: 129 lines (limit 120)"])
    print("structure check:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
