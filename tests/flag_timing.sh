#!/bin/bash
# flag_timing.sh CASELINKD CASELINK [N] [--known]: a publisher's flag checks
# of a child with a plan and of one without, both named by the publisher's
# own local id (so never corroborated: no flag either way), N of each
# interleaved over pyzmq and the Python client, as an attacker holding the
# GP's key would time them; prints the latencies and the median
# difference. --known times instead checks by NHS number of a child only
# children's services recorded against a valid number nobody recorded
# (no flag either way): whether a number is known. A measurement, not
# part of CI (README: the front-line flag's threat model). Needs the
# build's tests/pb2 (cmake builds it) and python3-zmq.
set -euo pipefail
D=$1; C=$2; N=${3:-3000}; MODE=${4:-plan}
here=$(cd "$(dirname "$0")" && pwd)
pb2=$(cd "$(dirname "$D")/.." && pwd)/tests/pb2
dir=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf $dir' EXIT
cl() { "$C" --dev "$dir/dev" "$@"; }
up() {
    "$D" --dev "$dir/dev" 2>>"$dir/log" & pid=$!
    for _ in $(seq 300); do cl --timeout 200 health >/dev/null 2>&1 && break; sleep 0.1; done
}
up; kill $pid; wait $pid || true
# the check rate limit out of the way: this measures, not floods
if grep -q '^\[flag\]' "$dir/dev/caselinkd.conf"; then
    sed -i '/^\[flag\]/a rate_per_minute = 100000' "$dir/dev/caselinkd.conf"
else
    printf '\n[flag]\nrate_per_minute = 100000\n' >> "$dir/dev/caselinkd.conf"
fi
up
pub() { who=$1; shift; cl --as "$who" publish referral --category child_protection --risk high \
  --concern "x" --basis public_task_social_care --consent not_sought --consent-note "s47" "$@" >/dev/null; }
pub childrens --ref CSC-1 --nhs 4857773457 --given Amy --family Smith --dob 2015-06-01 --postcode "LS1 4AB" --local-id CSC-A
pub childrens --ref CSC-2 --nhs 4010232137 --given Ben --family Jones --dob 2014-03-09 --postcode "LS2 7QQ" --local-id CSC-B
cl --as childrens publish plan --ref CP-1 --type child_protection_plan --category emotional_abuse \
  --start 2026-10-20 --review 2027-01-15 --authority "Northshire Children's Services" \
  --legal-basis "Children Act 1989 s47" --basis public_task_social_care \
  --child-nhs 4857773457 --child-given Amy --child-family Smith --child-dob 2015-06-01 --child-postcode "LS1 4AB" >/dev/null
pub childrens --ref CSC-3 --nhs 6123456784 --given Cara --family Brown --dob 2013-02-02 --postcode "LS3 1AA" --local-id CSC-C
pub gp --ref GP-1 --given Amy --family Smith --dob 2015-06-01 --local-id GPA-1
pub gp --ref GP-2 --given Ben --family Jones --dob 2014-03-09 --local-id GPB-1
cl --as gp flag check --local-id GPA-1 || true
cl --as gp flag check --local-id GPB-1 || true
/usr/bin/python3 - "$dir/dev" "$N" "$pb2" "$here/../clients/python" "$MODE" <<'PY'
import sys, os, time, statistics
dev, n, pb2, pyc, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
sys.path[:0] = [pb2, pyc]
import caselink_client as cc, caselink_pb2 as pb
keys = os.path.join(dev, "keys")
c = cc.Client("ipc://" + os.path.join(dev, "caselinkd.sock"), os.path.join(keys, "server.pub"), os.path.join(keys, "gp.key"))
# (what is checked, its label); the first minus the second is printed
if mode == "--known":
    cases = (("6123456784", "known to CSC"), ("9434765919", "nobody's"))
    ask = lambda x: pb.PersonDetails(nhs_number=x)
else:
    cases = (("GPA-1", "with a plan"), ("GPB-1", "without"))
    ask = lambda x: pb.PersonDetails(local_id=x)
t = {x: [] for x, _ in cases}
for i in range(n):
    for lid in (list(t) if i % 2 else list(t)[::-1]):
        body = pb.FlagCheck(person=ask(lid))
        t0 = time.perf_counter_ns()
        r = c.call("flag_check", body, check=False)
        t[lid].append((time.perf_counter_ns() - t0) / 1000)
        if r.status != pb.STATUS_OK:
            print("refused", lid, pb.Status.Name(r.status), r.error); sys.exit(1)
        if len(r.flag.flags) if hasattr(r, "flag") else 0:
            print("flag shown", lid); sys.exit(1)
for lid, name in cases:
    v = sorted(t[lid])
    print(f"{name:12s} n={len(v)} p10 {v[len(v)//10]:.1f} p50 {statistics.median(v):.1f} p90 {v[len(v)*9//10]:.1f} us")
a, b = sorted(t[cases[0][0]]), sorted(t[cases[1][0]])
print(f"median difference ({cases[0][1]} - {cases[1][1]}): "
      f"{statistics.median(a) - statistics.median(b):+.1f} us, "
      f"p10 {a[len(a)//10] - b[len(b)//10]:+.1f} us")
PY
