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
cleanup() { # the folder stays after a failure, or with CL_TEST_KEEP=1
    local st=$?
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    wait 2>/dev/null
    [ "$st" != 0 ] || [ -n "${CL_TEST_KEEP:-}" ] || rm -rf "$dir"
}
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
grep -qE '"made_at":"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "$dir/r.json" && ok || bad "made_at is ISO like every JSON time"
grep -q '^referrals,Northshire Adult Social Care,[0-9-]*,<5$' "$dir/r.csv" && ok || bad "CSV shows <5"
grep -q '&lt;5' "$dir/r.html" && ok || bad "HTML shows <5"
grep -q '<svg' "$dir/r.html" && ok || bad "inline SVG charts"
grep -Eq '<script|<link|src="http|href="http' "$dir/r.html" && bad "external assets or scripts" || ok


# --- A fixture whose figures were worked out by hand ----------------------
# Six adults A..F (on a review's agenda dated 15 Mar 2026) and five children
# K1..K5. Police: domestic abuse about A..F in January, antisocial behaviour
# about A, B in February, domestic abuse about A..E in March. GP: mental
# health about A in January and A..E in March, each March referral naming
# the adult's child K1..K5. Children's services refer K1..K5 themselves.
# Everything was received today (December 2026), so by arrival the period
# January-June holds nothing. Then children's services record plans on K1
# and K2, and adult social care refers A twice (events in April), B once
# (an event in January, reported late), C once (April: C's child K3 has
# no plan) and A once more (May, withdrawn): the plans' authority gets an
# alert for A's two and B's one, so alerts by when the event happened are
# January 1, April 2, baseline (1+0)/2 = 0.5 a month.
fx=(4000000012 4000000152 4000000225 4000000292 4000000365 4000000438)
kid=(4000000500 4000000578 4000000640 4000000713 4000000780)
nm=(Abel Bryn Cora Dane Esme Fenn)
pubf() { cl --as "$1" publish referral --ref "$2" --nhs "$3" --given "$4" --family Fixture --category "$5" --basis public_task_social_care --consent given --occurred "$6" "${@:7}" >/dev/null || bad "fixture $2"; }
for i in 0 1 2 3 4; do
    cl --as childrens publish referral --ref "FK$i" --nhs "${kid[$i]}" --given "Kit$i" --family Fixture --dob "0$((i + 1))/01/2015" --category child_protection --basis public_task_social_care --consent given >/dev/null || bad "fixture FK$i"
done
for i in 0 1 2 3 4 5; do pubf police "FPJ$i" "${fx[$i]}" "${nm[$i]}" domestic_abuse "15/01/2026 10:00"; done
for i in 0 1; do pubf police "FPF$i" "${fx[$i]}" "${nm[$i]}" antisocial_behaviour "2026-02-10T09:00Z"; done
for i in 0 1 2 3 4; do pubf police "FPM$i" "${fx[$i]}" "${nm[$i]}" domestic_abuse "2026-03-20T23:30+00:00"; done
pubf gp FGJ0 "${fx[0]}" "${nm[0]}" mental_health "05/01/2026"
for i in 0 1 2 3 4; do pubf gp "FGM$i" "${fx[$i]}" "${nm[$i]}" mental_health "2026-03-02T09:00Z" --related "rel=child;given=Kit$i;family=Fixture;nhs=${kid[$i]}"; done
fmdt=$(cl --as coordinator mdt create --date 15/03/2026 --title "Fixture MDT" | sed -n 's/^review created: //p')
for i in 0 1 2 3 4 5; do
    fpid=$(cl --as coordinator person find --nhs "${fx[$i]}" --access-reason mdt_preparation --purpose "fixture people for the MDT report test" | grep -o "P[0-9]*" | head -1)
    cl --as coordinator mdt add "$fmdt" --id "$fpid" --reason police_high_level_user >/dev/null || bad "fixture agenda $i"
done
act=$(cl --as coordinator action add "$fmdt" --id "$fpid" --text "Visit" --owner "PC Lee" --owner-agency "Northshire Police" --due 01/04/2026 | grep -o "ACT-[0-9]*")
cl --as coordinator action done "$act" --note "visited" >/dev/null || bad "fixture action done"
cl --as coordinator measure define "police DA contacts" --baseline 01/2026 02/2026 --count referrals --category domestic_abuse --agency-kind police >/dev/null || bad "derived measure"
cl --as coordinator measure define "agenda places" --baseline "Jan 2026" "Feb 2026" --count attendances >/dev/null || bad "attendance measure"
cl --as coordinator measure define "housing moves" --baseline 2026-01 2026-02 >/dev/null || bad "empty measure"
for i in 0 1; do
    cl --as childrens publish plan --ref "FCP$i" --type child_protection_plan --category neglect --start 2026-01-01 --authority "Northshire Children's Services" --basis public_task_social_care --child-nhs "${kid[$i]}" --child-given "Kit$i" --child-family Fixture --child-dob "0$((i + 1))/01/2015" >/dev/null || bad "fixture plan $i"
done
pubf adults FAA0 "${fx[0]}" "${nm[0]}" adult_safeguarding "2026-04-10T10:00Z"
pubf adults FAA1 "${fx[0]}" "${nm[0]}" adult_safeguarding "20/04/2026 14:00"
pubf adults FAB0 "${fx[1]}" "${nm[1]}" adult_safeguarding "2026-01-20T10:00Z"
pubf adults FAC0 "${fx[2]}" "${nm[2]}" adult_safeguarding "2026-04-05T10:00Z"
pubf adults FAW0 "${fx[0]}" "${nm[0]}" adult_safeguarding "2026-05-03T10:00Z"
cl --as adults referral withdraw FAW0 --reason "sent in error" >/dev/null || bad "fixture withdraw"
inbox=$(cl --as childrens inbox)
[ "$(grep -c ' alert  ' <<<"$inbox")" = 4 ] && [ "$(grep -c ' retraction ' <<<"$inbox")" = 1 ] && ok || bad "children's services inbox: 4 alerts (A, A, B, the withdrawn one) and 1 retraction: $inbox"
cl --as coordinator measure define "safeguarding alerts" --baseline 01/2026 02/2026 --count alerts >/dev/null || bad "alerts measure"
cl --as coordinator measure record "police DA contacts" --id "$fpid" --period 2026-03 --value 1 2>&1 | grep -q "counted by caselink from its referrals; it takes no values" && ok || bad "a derived measure refuses values"
cl --as coordinator report --json "$dir/f.json" --from 01/01/2026 --to 30/06/2026 2>/dev/null || bad "fixture report"
cl --as coordinator report --html "$dir/f.html" --from 2026-01-01 --to 2026-06-30 2>/dev/null || bad "fixture html"
cl --as coordinator report --csv "$dir/f.csv" --from 2026-01-01 --to 2026-06-30 2>/dev/null || bad "fixture csv"
python3 - "$dir/f.json" <<'PY' && ok || bad "fixture figures differ from the hand count"
import json, sys
r = json.load(open(sys.argv[1]))
def cell(key, agency, month):
    for x in r[key]:
        if x["agency"] == agency and x["month"] == month:
            return x["referrals"]
    return "absent"
want = {  # by when they happened; under 5 suppressed (null)
    ("Northshire Police", "2026-01"): 6,
    ("Northshire Police", "2026-02"): None,   # 2
    ("Northshire Police", "2026-03"): 5,
    ("Oakfield Surgery", "2026-01"): None,    # 1
    ("Oakfield Surgery", "2026-03"): 5,
    ("Northshire Adult Social Care", "2026-01"): None,  # 1 (B, late)
    ("Northshire Adult Social Care", "2026-04"): None,  # 3 (A, A, C)
}
bad = []
for (a, m), v in want.items():
    if cell("referrals", a, m) != v:
        bad.append(f"referrals {a} {m}: {cell('referrals', a, m)} != {v}")
if len(r["referrals"]) != len(want):
    bad.append(f"referrals has {len(r['referrals'])} cells, want {len(want)}")
if r["referrals_arrived"] != []:
    bad.append(f"arrived in Jan-Jun: {r['referrals_arrived']}")
if "when they happened" not in r["referrals_counted_by"]:
    bad.append("referrals_counted_by")
if r["reviews_held"] != 1: bad.append(f"reviews_held {r['reviews_held']} != 1 (not suppressed)")
if r["actions_done"] != 1: bad.append(f"actions_done {r['actions_done']} != 1 (not suppressed)")
if r["actions_open"] != 5: bad.append(f"actions_open {r['actions_open']}")
if r["caseload"] != 11: bad.append(f"caseload {r['caseload']} != 5 + 6")
m = {x["name"]: x for x in r["measures"]}
da = m["police DA contacts"]
if not (da["has_values"] and da["source"] == "referrals" and da["agency_kind"] == "police"
        and da["category"] == "domestic_abuse"):
    bad.append(f"derived definition {da}")
if abs(da["baseline_monthly"] - 3.0) > 1e-9: bad.append(f"DA baseline {da['baseline_monthly']} != (6+0)/2")
if da["baseline_people"] != 11: bad.append(f"DA baseline people {da['baseline_people']}")
tot = {p["period"]: p["total"] for p in da["periods"]}
if tot != {"2026-01": 6, "2026-02": 0, "2026-03": 5, "2026-04": 0, "2026-05": 0, "2026-06": 0}:
    bad.append(f"DA monthly {tot}")
at = m["agenda places"]
tot = {p["period"]: p["total"] for p in at["periods"]}
if tot.get("2026-03") != 6 or sum(tot.values()) != 6 or at["baseline_monthly"] != 0:
    bad.append(f"attendances {tot} baseline {at['baseline_monthly']}")
if m["housing moves"]["has_values"]: bad.append("an empty measure has values")
al = m["safeguarding alerts"]
tot = {p["period"]: p["total"] for p in al["periods"]}
if tot != {"2026-01": 1, "2026-02": 0, "2026-03": 0, "2026-04": 2, "2026-05": 0, "2026-06": 0}:
    bad.append(f"alerts monthly {tot} (A's two in April, B's one in January)")
if abs(al["baseline_monthly"] - 0.5) > 1e-9: bad.append(f"alerts baseline {al['baseline_monthly']} != (1+0)/2")
if not (al["has_values"] and al["source"] == "alerts" and al["baseline_people"] == 11):
    bad.append(f"alerts definition {al}")
ov = {(x["a"], x["b"]): x for x in r["overlap"]}
def pair(a, b):
    return ov.get((a, b)) or ov.get((b, a))
gc = pair("Oakfield Surgery", "Northshire Children's Services")
if not gc or gc["people"] != 5 or gc["people_as_subject"] != 0:
    bad.append(f"GP and children's services: {gc} (5 by mention, 0 as subjects)")
gp = pair("Oakfield Surgery", "Northshire Police")
if not gp or gp["people"] != 10 or gp["people_as_subject"] != 10:
    bad.append(f"GP and police: {gp} (5 + 5)")
if "fewer than 5" not in r["suppression_rule"]: bad.append("rule")
print("\n".join(bad) or "fixture figures as counted by hand")
sys.exit(1 if bad else 0)
PY
grep -q "No data:" "$dir/f.html" && ok || bad "an empty measure says no data"
grep -q "Counted by caselink from what it holds: referrals about domestic abuse from police agencies" "$dir/f.html" && ok || bad "a derived measure says what it counts"
grep -q "by when they happened" "$dir/f.html" && ok || bad "the page says referrals are counted by when they happened"
grep -q "Counted by caselink from what it holds: safeguarding alerts delivered" "$dir/f.html" && ok || bad "the alerts measure says what it counts"
grep -q "meetings, actions" "$dir/f.html" && ok || bad "the page states the suppression rule"
grep -q "About them at both agencies" "$dir/f.html" && grep -q "Known to both in any way" "$dir/f.html" && ok || bad "both overlap matrices, labelled"
grep -q 'fewer than 5</text>' "$dir/r.html" && ok || bad "a suppressed bar is labelled in the chart"
grep -q '^overlap_as_subject,' "$dir/f.csv" && grep -q '^measure_baseline,housing moves,2026-01 to 2026-02,no data$' "$dir/f.csv" && ok || bad "CSV: overlap as subject, no data"
for v in "${nm[@]}" Fixture "${fx[@]}" "${kid[@]}" "PC Lee" Visit; do
    grep -qF -- "$v" "$dir/f.html" "$dir/f.json" "$dir/f.csv" && bad "fixture report holds $v"
done
ok

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
    # Accessibility, on the DOM Chromium built: language and title, a
    # caption on every table, scope on every header cell, every chart an
    # image with a title, a 16px base and no smaller text in the CSS, SVG
    # labels of 11px or more, and WCAG AA contrast (4.5:1) for every text
    # colour against every background the page uses.
    timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$dir/f.html" \
        >"$dir/fdom.html" 2>/dev/null
    for d in dom.html fdom.html; do
        python3 - "$dir/$d" <<'PY' && ok || bad "accessibility check of $d"
import re, sys
from html.parser import HTMLParser
html = open(sys.argv[1]).read()
bad = []
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.tables = 0; s.captions = 0
        s.after_table = False; s.th = 0; s.th_scoped = 0; s.svgs = 0
        s.svg_titled = 0; s.in_svg = False; s.fills = []; s.sizes = []
        s.lang = None; s.title = ""; s.in_title = False
    def handle_starttag(s, t, a):
        a = dict(a)
        if t == "html": s.lang = a.get("lang")
        if t == "title" and not s.in_svg: s.in_title = True
        if s.after_table and t != "caption": bad.append("a table without a caption first")
        s.after_table = False
        if t == "table": s.tables += 1; s.after_table = True
        if t == "caption": s.captions += 1
        if t == "th":
            s.th += 1
            if a.get("scope") in ("col", "row"): s.th_scoped += 1
        if t == "svg":
            s.svgs += 1; s.in_svg = True
            if a.get("role") == "img" and a.get("aria-label"): s.svg_titled += 1
        if t == "text" and s.in_svg:
            s.fills.append(a.get("fill", "#000000")); s.sizes.append(float(a.get("font-size", "16")))
    def handle_endtag(s, t):
        if t == "svg": s.in_svg = False
        if t == "title": s.in_title = False
    def handle_data(s, d):
        if s.in_title: s.title += d
p = P(); p.feed(html)
if p.lang != "en": bad.append("html lang")
if not p.title.strip(): bad.append("no page title")
if p.tables == 0 or p.captions != p.tables: bad.append(f"{p.tables} tables, {p.captions} captions")
if p.th_scoped != p.th: bad.append(f"{p.th - p.th_scoped} th without scope")
if p.svg_titled != p.svgs: bad.append(f"{p.svgs - p.svg_titled} charts without role=img and a label")
if html.count("<svg") != html.count("<title>") - 1: bad.append("a chart without a <title>")
css = " ".join(re.findall(r"<style>(.*?)</style>", html, re.S))
m = re.search(r"body\{[^}]*font-size:(\d+)px", css)
if not m or int(m.group(1)) < 16: bad.append("body font-size under 16px")
for px in re.findall(r"font-size:(\d+)px", css):
    if int(px) < 16: bad.append(f"CSS text of {px}px")
if any(x < 11 for x in p.sizes): bad.append(f"chart text under 11px: {min(p.sizes)}")
def lum(hexc):
    hexc = hexc.lstrip("#")
    if len(hexc) == 3: hexc = "".join(c * 2 for c in hexc)
    rgb = [int(hexc[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    rgb = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
def contrast(a, b):
    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
texts = set(re.findall(r"(?<![-\w])color:(#[0-9a-fA-F]{3,6})", css)) | set(p.fills)
backs = set(re.findall(r"background:(#[0-9a-fA-F]{3,6})", css)) | {"#ffffff"}
backs -= {"#c0392b", "#d4900f", "#2e7d4f"}   # RAG dots carry no text
for t in texts:
    for b in backs:
        if contrast(t, b) < 4.5: bad.append(f"contrast {t} on {b}: {contrast(t, b):.2f}")
print("\n".join(bad) or f"accessible: {p.tables} tables captioned, {p.th} th scoped, {p.svgs} charts titled, {len(texts)} text colours on {len(backs)} backgrounds at 4.5:1 or more")
sys.exit(1 if bad else 0)
PY
    done
    grep -q "No data:" "$dir/fdom.html" && grep -q "About them at both agencies" "$dir/fdom.html" && ok || bad "rendered fixture page lacks no data / overlap labels"
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
