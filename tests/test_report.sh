#!/usr/bin/env bash
# test_report: the executive's HTML report rendered by headless Chromium
# (Debian's chromium, offline flags) to a screenshot that must not be blank
# and whose page must have the expected headings; no name, NHS number or
# postcode from the test data may appear in the HTML, JSON or CSV; small
# counts show as "<5". Usage: test_report.sh CASELINKD CASELINK
set -u
daemon=$1
cli=$2
dir=$(mktemp -d /tmp/cltest.report.XXXXXX)
fails=0
passes=0
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
cl() { "$cli" --dev "$dir/dev" "$@"; }

"$daemon" --dev "$dir/dev" 2>>"$dir/daemon.log" &
pid=$!
for _ in $(seq 600); do
    cl --timeout 200 health >/dev/null 2>&1 && break
    sleep 0.05
done

# Five people known to the GP and the police, two more to the police only.
given=(Olwen Bartholomew Persephone Ignatius Wilhelmina Cuthbert Araminta)
nhs=(6281948211 9935181901 9378657974 0830166130 1860913903 9960308243 9434765919)
pc=("QX1 1AA" "QX2 2BB" "QX3 3CC" "QX4 4DD" "QX5 5EE" "QX6 6FF" "QX7 7GG")
for i in 0 1 2 3 4 5 6; do
    if [ "$i" -lt 5 ]; then
        cl --as gp publish referral --ref "G$i" --nhs "${nhs[$i]}" \
            --given "${given[$i]}" --family Quenby --dob 1980-01-0$((i + 1)) \
            --postcode "${pc[$i]}" --category mental_health \
            --basis public_task_social_care --consent given >/dev/null || bad "publish G$i"
    fi
    cl --as police publish referral --ref "P$i" --nhs "${nhs[$i]}" \
        --given "${given[$i]}" --family Quenby --postcode "${pc[$i]}" \
        --category domestic_abuse --basis dpa_safeguarding --consent not_sought \
        --consent-note "risk to the adult" >/dev/null || bad "publish P$i"
done
cl --as adults publish referral --ref A1 --nhs "${nhs[0]}" --given Olwen \
    --family Quenby --category adult_safeguarding --basis public_task_social_care \
    --consent given >/dev/null || bad "publish A1"
mdt=$(cl --as coordinator mdt create --date "$(date -u +%Y-%m-%d)" \
      --title "Extended MDT" | sed -n 's/^review created: //p')
for i in 1 2 3 4 5; do
    cl --as coordinator mdt add "$mdt" --id "P0000000$i" --reason case_finding >/dev/null || bad "agenda $i"
    cl --as coordinator action add "$mdt" --id "P0000000$i" --text "Call Quenby" \
        --owner "Dr A Patel" --owner-agency "Oakfield Surgery" --due 2020-01-01 >/dev/null || bad "action $i"
    cl --as coordinator rag set --id "P0000000$i" red --note "Olwen at risk" >/dev/null || bad "rag $i"
done
cl --as coordinator rag set --workstream "High intensity users" amber --note "Recruiting" >/dev/null
cl --as coordinator measure define "police contacts" --baseline 2026-01 2026-03 >/dev/null
for i in 1 2 3 4 5; do
    cl --as coordinator measure record "police contacts" --id "P0000000$i" --period 2026-02 --value 6 >/dev/null
    cl --as coordinator measure record "police contacts" --id "P0000000$i" --period "$(date -u +%Y-%m)" --value 2 >/dev/null
done

cl --as coordinator report --html "$dir/r.html" 2>/dev/null && ok || bad "report --html"
cl --as coordinator report --json "$dir/r.json" 2>/dev/null && ok || bad "report --json"
cl --as coordinator report --csv "$dir/r.csv" 2>/dev/null && ok || bad "report --csv"
cl --as gp report --html "$dir/x.html" 2>&1 | grep -q denied && ok || bad "report as a GP is refused"

# No personal data in any form of the report.
for f in r.html r.json r.csv; do
    leak=
    for v in "${given[@]}" Quenby "${nhs[@]}" "${pc[@]}" P00000001 "Dr A Patel" \
             "Call Quenby" "Olwen at risk"; do
        grep -qF -- "$v" "$dir/$f" && leak="$leak [$v]"
    done
    [ -z "$leak" ] && ok || bad "$f holds personal data:$leak"
done
python3 -m json.tool "$dir/r.json" >/dev/null && ok || bad "JSON does not parse"
head -1 "$dir/r.csv" | grep -q '^section,name,period,value$' && ok || bad "CSV header"

# Small-count suppression at the threshold: GP 5 referrals (shown), police
# 7 (shown), adult social care 1 ("<5"); 5 people on the caseload (shown).
grep -q '"agency":"Oakfield Surgery","month":"[0-9-]*","referrals":5' "$dir/r.json" && ok || bad "GP count of 5 shown"
grep -q '"agency":"Northshire Adult Social Care","month":"[0-9-]*","referrals":null' "$dir/r.json" && ok || bad "count of 1 suppressed"
grep -q '"caseload":5' "$dir/r.json" && ok || bad "caseload of 5 shown"
grep -q '"actions_overdue":5' "$dir/r.json" && ok || bad "5 overdue actions"
grep -q '"rag_red":5' "$dir/r.json" && ok || bad "5 red cases"
grep -q '^referrals,Northshire Adult Social Care,[0-9-]*,<5$' "$dir/r.csv" && ok || bad "CSV shows <5"
grep -q '&lt;5' "$dir/r.html" && ok || bad "HTML shows <5"
grep -q '<svg' "$dir/r.html" && ok || bad "inline SVG charts"
grep -Eq '<script|<link|src="http|href="http' "$dir/r.html" && bad "external assets or scripts" || ok

# Render it as a person would see it: headless Chromium, offline.
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
    bad "chromium is not installed (scripts/deps installs it)"
else
    flags=(--headless --no-sandbox --disable-gpu --no-first-run
           --disable-background-networking --disable-component-update
           --disable-sync --disable-extensions --user-data-dir="$dir/chrome"
           --window-size=1200,2400)
    timeout 120 "$chrome" "${flags[@]}" --screenshot="$dir/r.png" \
        "file://$dir/r.html" >/dev/null 2>&1
    timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$dir/r.html" \
        >"$dir/dom.html" 2>/dev/null
    [ -s "$dir/r.png" ] && ok || bad "no screenshot"
    python3 - "$dir/r.png" <<'PY' && ok || bad "screenshot is blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h, colour = 8, b"", 0, 0, 6
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, colour = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[colour]   # 8-bit RGB or RGBA
stride = w * bpp
prev = bytearray(stride)
ink = 0
pos = 0
for y in range(h):           # undo the PNG row filters
    f = raw[pos]; row = bytearray(raw[pos + 1:pos + 1 + stride]); pos += 1 + stride
    for i in range(stride):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif f == 4:
            p_ = a + b - c; pa, pb, pc = abs(p_ - a), abs(p_ - b), abs(p_ - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        ink += sum(1 for x in range(0, stride, bpp * 2) if row[x] < 200)
    prev = row
frac = ink / ((h // 4) * (w // 2))
print(f"screenshot {w}x{h}, non-white fraction {frac:.4f}")
sys.exit(0 if w >= 800 and 0.003 < frac < 0.9 else 1)
PY
    for h in "Extended MDT outcomes report" "Referrals per agency per month" \
             "Caseload, reviews and actions" "RAG ratings" \
             "Outcome measures against baseline" "Agency overlap"; do
        grep -qF "$h" "$dir/dom.html" && ok || bad "rendered page lacks '$h'"
    done
    echo "screenshot: $dir/r.png"
fi

kill "$pid"; wait "$pid"; pid=
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
