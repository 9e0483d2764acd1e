#!/usr/bin/env bash
# test_pack: the agenda pack as a printable document, rendered the way a
# coordinator prints it: `caselink mdt show --pdf` runs Debian's headless
# Chromium on the pack's HTML; the PDF must have a cover and a page per
# person (pdfinfo), the headings, the meeting record, "since the last
# meeting", earlier reviews with the open action marked, the review and
# page number on every page and the confidentiality footer (pdftotext),
# and no page may be blank (pdftoppm images). The CSV agenda has a row per
# person. Usage: test_pack.sh CASELINKD CASELINK
set -u
daemon=$1
cli=$2
dir=$(mktemp -d /tmp/cltest.pack.XXXXXX)
fails=0
passes=0
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${CL_TEST_KEEP:-}" ] || rm -rf "$dir"; }
trap cleanup EXIT
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
cl() { "$cli" --dev "$dir/dev" "$@"; }
for t in pdfinfo pdftotext pdftoppm chromium; do
    command -v "$t" >/dev/null || { echo "FAIL $t is not installed (scripts/deps installs it)"; exit 1; }
done

"$daemon" --dev "$dir/dev" 2>>"$dir/daemon.log" &
pid=$!
for _ in $(seq 600); do
    cl --timeout 200 health >/dev/null 2>&1 && break
    sleep 0.05
done

cl --as gp publish referral --ref G1 --nhs 9434765919 --given Jane --family Smith \
    --dob 1985-04-12 --category mental_health --basis public_task_social_care \
    --consent given --concern "Low mood, missed appointments" >/dev/null || bad "publish G1"
cl --as police publish referral --ref P1 --nhs 4505577104 --given Tom --family Brown \
    --dob 1990-02-02 --category antisocial_behaviour \
    --basis public_task_public_interest >/dev/null || bad "publish P1"
past=$(date -u -d '-28 days' +%Y-%m-%d)
today=$(date -u +%Y-%m-%d)
m1=$(cl mdt create --date "$past" --title "Extended MDT north" | sed -n 's/^review created: //p')
cl mdt add "$m1" --nhs 9434765919 --reason gp_concern >/dev/null || bad "agenda 1"
cl mdt discuss "$m1" --id P00000001 --summary "GP worried about Jane" \
    --decisions "Police welfare check; GP review" >/dev/null || bad "discuss"
cl action add "$m1" --id P00000001 --text "Welfare check" --owner "PC S Hughes" \
    --owner-agency "Northshire Police" --due "$past" >/dev/null || bad "action 1"
cl action add "$m1" --id P00000001 --text "GP medication review" --owner "Dr A Patel" \
    --owner-agency "Oakfield Surgery" --due "$today" >/dev/null || bad "action 2"
cl --as gp action done ACT-00000002 --note "reviewed" >/dev/null || bad "gp closes its action"
# since the last meeting: a new referral about Jane
cl --as adults publish referral --ref A1 --nhs 9434765919 --given Jane --family Smith \
    --category self_neglect --basis public_task_social_care >/dev/null || bad "publish A1"
m2=$(cl mdt create --date "$today" --title "Extended MDT north" | sed -n 's/^review created: //p')
cl mdt add "$m2" --nhs 9434765919 --reason gp_concern >/dev/null || bad "agenda 2"
cl mdt add "$m2" --nhs 4505577104 --reason police_high_level_user >/dev/null || bad "agenda 3"
cl mdt record "$m2" --chair "Sue Moore" --attendee "Chris Jones|Northshire Extended MDT|Coordinator" \
    --attendee "Dr Anita Patel|Oakfield Surgery|GP" --apology "PC Sam Hughes|Northshire Police|Officer" \
    | grep -q "meeting recorded: $m2 (2 attending, 1 apologies)" && ok || bad "mdt record"
cl mdt record "$m2" --attendee "x|y|z" 2>&1 | grep -q "chair" && ok || bad "mdt record without chair refused"
cl mdt record "$m2" --chair X --attendee "nobody" 2>&1 | grep -q "usage: caselink mdt record" && ok || bad "bad attendee refused"
cl --as gp mdt record "$m2" --chair X 2>&1 | grep -q "denied" && ok || bad "mdt record as gp refused"

# the text pack shows the meeting and what carried on
cl mdt show "$m2" >"$dir/pack.txt" || bad "mdt show"
grep -q "^Chair: Sue Moore" "$dir/pack.txt" && ok || bad "text: chair"
grep -q "Since the last meeting ($m1, $(date -u -d '-28 days' '+%-d %b %Y'))" "$dir/pack.txt" && ok || bad "text: since the last meeting"
grep -q "P00000001: 2 new referrals, 0 safeguarding alerts, 0 answers, 1 overdue action" "$dir/pack.txt" && ok || bad "text: since counts"
grep -q "ACT-00000001 ($m1) STILL OPEN: open OVERDUE" "$dir/pack.txt" && ok || bad "text: earlier action still open"

# the printable pack
cl mdt show "$m2" --pdf "$dir/pack.pdf" --html "$dir/pack.html" --csv "$dir/agenda.csv" >"$dir/out.txt" 2>&1 \
    && ok || { bad "mdt show --pdf"; cat "$dir/out.txt"; }
grep -q "wrote $dir/pack.pdf (pdf, 2 people" "$dir/out.txt" && ok || bad "says what it wrote"
grep -Eq '<script|<link|src="http|href="http' "$dir/pack.html" && bad "external assets or scripts" || ok
grep -q 'break-before: page' "$dir/pack.html" && ok || bad "a page break per person"
grep -q 'counter(page)' "$dir/pack.html" && ok || bad "page numbers in the print CSS"
pages=$(pdfinfo "$dir/pack.pdf" | sed -n 's/^Pages: *//p')
[ "${pages:-0}" -ge 3 ] && ok || bad "PDF has $pages pages (a cover and a page per person)"
pdftotext -layout "$dir/pack.pdf" "$dir/pack.pdf.txt"
for h in "Extended MDT review: Extended MDT north" "Chair" "Sue Moore" "Attendees" \
         "Dr Anita Patel" "Apologies" "PC Sam Hughes" "Since the last meeting" \
         "Agenda" "Earlier reviews" "GP worried about Jane" "STILL OPEN" \
         "Actions from earlier reviews" "Open actions" "OFFICIAL-SENSITIVE"; do
    grep -qF "$h" "$dir/pack.pdf.txt" && ok || bad "PDF lacks '$h'"
done
# every page: the review and its page number; each person starts a page
for p in $(seq 1 "$pages"); do
    pdftotext -layout -f "$p" -l "$p" "$dir/pack.pdf" "$dir/page$p.txt"
    grep -q "Page $p of $pages" "$dir/page$p.txt" && ok || bad "page $p lacks 'Page $p of $pages'"
    grep -q "$m2" "$dir/page$p.txt" && ok || bad "page $p lacks the review id"
    grep -q "OFFICIAL-SENSITIVE" "$dir/page$p.txt" && ok || bad "page $p lacks the confidentiality footer"
done
jp=$(grep -l "1\. Jane Smith (P00000001)" "$dir"/page*.txt | head -1)
tp=$(grep -l "2\. Tom Brown (P00000002)" "$dir"/page*.txt | head -1)
[ -n "$jp" ] && [ -n "$tp" ] && [ "$jp" != "$tp" ] && [ "$jp" != "$dir/page1.txt" ] && ok \
    || bad "each person's section on a page of its own (Jane: $jp, Tom: $tp)"
# Jane's section: her pages, up to Tom's
jn=${jp##*page}; jn=${jn%.txt}; tn=${tp##*page}; tn=${tn%.txt}
jane=$(for p in $(seq "$jn" $((tn - 1))); do cat "$dir/page$p.txt"; done)
grep -q "Since the last meeting" <<<"$jane" && ok || bad "Jane's section: since the last meeting"
grep -q "Welfare check" <<<"$jane" && ok || bad "Jane's section: the open action"
grep -q "GP worried about Jane" <<<"$jane" && ok || bad "Jane's section: her earlier review"
grep -q "Tom Brown" <<<"$jane" && bad "Jane's section holds Tom's" || ok
# no page is blank
pdftoppm -r 40 -gray "$dir/pack.pdf" "$dir/img"
python3 - "$dir" "$pages" <<'PY' && ok || bad "a page image is blank"
import glob, sys
d, pages = sys.argv[1], int(sys.argv[2])
files = sorted(glob.glob(d + "/img-*.pgm"))
assert len(files) == pages, (len(files), pages)
for name in files:
    data = open(name, "rb").read()
    parts = data.split(maxsplit=4)          # P5 width height maxval pixels
    assert parts[0] == b"P5"
    w, h = int(parts[1]), int(parts[2])
    px = parts[4][-w * h:]
    ink = sum(1 for b in px if b < 200) / (w * h)
    print(f"{name.rsplit('/', 1)[1]}: {w}x{h}, non-white {ink:.4f}")
    assert 0.002 < ink < 0.9, name
PY
# the agenda for the minute-taker
head -1 "$dir/agenda.csv" | grep -q '^review_id,date,item,person_id,given_names,family_name,date_of_birth,reason' && ok || bad "CSV header"
[ "$(wc -l <"$dir/agenda.csv")" -eq 3 ] && ok || bad "CSV: a row per person"
grep -q "^$m2,$today,1,P00000001,Jane,Smith,1985-04-12,gp_concern" "$dir/agenda.csv" && ok || bad "CSV: Jane's row"
# refusals
cl mdt show "$m2" --pdf 2>&1 | grep -q "usage" && ok || bad "--pdf without a file"
cl --as gp mdt show "$m2" --pdf "$dir/x.pdf" 2>&1 | grep -q denied && ok || bad "pack as gp refused"
[ ! -e "$dir/x.pdf" ] && ok || bad "no PDF for a refused pack"
CASELINK_CHROMIUM=/nonexistent cl mdt show "$m2" --pdf "$dir/y.pdf" 2>&1 | grep -q "cannot run /nonexistent" && ok || bad "no chromium named"
ls /tmp/caselink-pack.* >/dev/null 2>&1 && bad "temporary HTML left behind" || ok
grep -q "Jane" "$dir/daemon.log" && bad "a name in the daemon log" || ok

kill "$pid"; wait "$pid"; pid=
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
