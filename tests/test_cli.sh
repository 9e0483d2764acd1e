#!/usr/bin/env bash
# test_cli: every caselink subcommand against a real daemon, including the
# errors a user meets (missing file, bad CSV rows reported by line, wrong
# role, unreachable daemon). Usage: test_cli.sh CASELINKD CASELINK SLOWDISK
# (SLOWDISK: tests/slowdisk.c, to watch a backup's progress while it runs)
set -u
daemon=$1
cli=$2
slowdisk=$3
dir=$(mktemp -d /tmp/cltest.cli.XXXXXX)
fails=0
passes=0
pid=

cleanup() {
    local st=$?
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    tmux -S "$dir/tmux.sock" kill-server 2>/dev/null
    wait 2>/dev/null
    # the folder stays after a failure, or with CL_TEST_KEEP=1, to look at
    [ "$st" != 0 ] || [ -n "${CL_TEST_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

check() { # check NAME EXPECTED_STATUS PATTERN -- command...
    local name=$1 want=$2 pattern=$3
    shift 4
    local out
    out=$("$@" 2>&1)
    local got=$?
    if [ "$got" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
        echo "FAIL $name: status $got (want $want), output:"
        sed 's/^/    /' <<<"$out"
        fails=$((fails + 1))
    else
        passes=$((passes + 1))
    fi
}

start() {
    "$daemon" --dev "$dir/dev" 2>>"$dir/daemon.log" &
    pid=$!
    for _ in $(seq 600); do
        "$cli" --dev "$dir/dev" --timeout 200 health >/dev/null 2>&1 && return
        sleep 0.05
    done
    echo "daemon did not start"; cat "$dir/daemon.log"; exit 1
}

cl() { "$cli" --dev "$dir/dev" "$@"; }

start

check "usage" 2 "usage: caselink" -- "$cli"
check "unknown command" 2 "unknown command" -- "$cli" frobnicate
check "help" 0 "lawful_basis" -- "$cli" help
check "no connection" 2 "say where the daemon is" -- env -u CASELINK_ENDPOINT "$cli" health

cd "$dir" || exit 1
check "keygen" 0 "wrote newgp.key" -- "$cli" keygen newgp
check "keygen key mode" 0 "^600$" -- stat -c %a newgp.key
check "keygen no overwrite" 1 "already exists" -- "$cli" keygen newgp
check "keygen usage" 2 "usage: caselink keygen" -- "$cli" keygen
# the snippet keygen prints is pasted into the registry as it is: the
# section is named after the client (not the path), the daemon admits it
mkdir -p sub
"$cli" keygen sub/pasted-gp --agency "Oakfield Surgery" --kind gp \
    --roles publisher > keygen.out
check "keygen snippet section" 0 "^\[pasted-gp\]$" -- cat keygen.out
check "keygen snippet kinds" 0 "^# kind, one of: gp police" -- cat keygen.out
check "keygen pub field" 0 "^public-key = " -- cat sub/pasted-gp.pub
check "keygen prints the entry alone" 1 "^$" -- grep -v -e "^\[pasted-gp\]$" -e "^key = " -e "^agency = " -e "^kind = " -e "^roles = " -e "^#" -e "^$" keygen.out
cat keygen.out >> "$dir/dev/clients.conf"
"$cli" keygen sub/zpl-gp --format zpl --agency "Oakfield Surgery" --kind gp \
    --roles publisher > zpl.out 2>&1
# without --kind and --roles the snippet leaves them to be chosen (a
# police system pasted unedited must not register as a GP publisher)
"$cli" keygen sub/blank-kind > blank.out
check "keygen kind left blank" 0 "^kind = $" -- cat blank.out
check "keygen roles left blank" 0 "auditor \(required\)" -- cat blank.out
check "keygen kind typo" 2 "did you mean 'police'" -- "$cli" keygen sub/typo --kind polise
check "keygen server" 0 "server_key in caselinkd.conf" -- "$cli" keygen sub/server
check "keygen zpl files" 0 "wrote sub/zpl-gp.cert_secret .* and sub/zpl-gp.cert" -- cat zpl.out
check "keygen zpl cert" 0 "^    public-key = \"" -- cat sub/zpl-gp.cert
sed -n '/^\[zpl-gp\]$/,$p' zpl.out >> "$dir/dev/clients.conf"
kill -HUP "$pid"; sleep 0.5
pasted() { "$cli" --endpoint "ipc://$dir/dev/caselinkd.sock" \
    --server-key "$dir/dev/keys/server.pub" --key "$@"; }
check "pasted registry entry admits" 0 "caselinkd" -- pasted sub/pasted-gp.key health
check "zpl key admits" 0 "caselinkd" -- pasted sub/zpl-gp.cert_secret health
check "unpasted key refused" 3 "not in the registry" -- pasted newgp.key --timeout 1000 health

check "health" 0 "caselinkd .*people" -- cl health
check "links export, none yet, says why" 0 "no agency records yet: each referral and each caseload row imported adds one" -- cl links export --csv
check "publish needs --as" 2 "needs --as" -- cl publish referral --ref X --category housing --basis consent --family A --given B
check "publish without basis" 2 "lawful_basis is required" -- cl --as gp publish referral --ref G1 --category mental_health --family Smith --given Jane
check "publish bad category" 2 "unknown value 'moodiness'" -- cl --as gp publish referral --ref G1 --category moodiness
check "publish bad flag" 2 "expected --FIELD VALUE" -- cl --as gp publish referral oops
check "publish" 0 "^accepted: CL-" -- cl --as gp publish referral --ref G1 --nhs "943 476 5919" --given Jane --family Smith --dob 1985-04-12 --category mental_health --basis public_task_social_care --consent given --related "rel=child;given=Amy;family=Smith;dob=2015-06-01"
check "publish again is recognised" 0 "already accepted earlier" -- cl --as gp publish referral --ref G1 --nhs "943 476 5919" --given Jane --family Smith --dob 1985-04-12 --category mental_health --basis public_task_social_care --consent given --related "rel=child;given=Amy;family=Smith;dob=2015-06-01"
check "publish invalid NHS warns" 0 "warning: subject: NHS number is not valid \(check digit fails" -- cl --as police publish referral --ref P9 --nhs 1234567890 --given Ann --family Other --category housing --basis dpa_safeguarding --consent not_sought --consent-note "urgent"

cat > good.csv <<'CSV'
agency_reference,nhs_number,given_names,family_name,date_of_birth,sex,postcode,category,risk,concern,lawful_basis,consent,consent_note,related
POL-1,,Jayne,Smith,1985-04-12,female,LS1 4AB,domestic_abuse,high,"Called to the address, twice",dpa_safeguarding,not_sought,risk of serious harm,
POL-2,,Jayne,Smith,1985-04-12,female,LS1 4AB,domestic_abuse,medium,"Neighbour reported shouting
over two nights",dpa_safeguarding,not_sought,risk of serious harm,rel=child;given=Amy;family=Smith;dob=2015-06-01
POL-3,,Mark,Jones,1979-01-02,male,LS2 9XY,antisocial_behaviour,low,,public_task_public_interest,given,,
CSV
check "csv publish" 0 "good.csv: 3 accepted, 0 already accepted earlier, 0 failed" -- cl --as police publish referral --csv good.csv
check "csv publish again" 0 "0 accepted, 3 already accepted earlier" -- cl --as police publish referral --csv good.csv
check "csv missing file" 2 "nofile.csv: No such file" -- cl --as police publish referral --csv nofile.csv

cat > bad.csv <<'CSV'
agency_reference,given_names,family_name,date_of_birth,category,lawful_basis
B-1,Ann,Good,1990-01-01,housing,consent
B-2,Bob,Bad,1990-13-45,housing,consent
B-3,Cat,Short,housing
B-4,Dan,"Unclosed,1990-01-01,housing,consent
CSV
check "csv bad rows by line" 1 "bad.csv:3: subject: date_of_birth" -- cl --as police publish referral --csv bad.csv
check "csv short row by line" 1 "bad.csv:4: 4 fields, the header has 6" -- cl --as police publish referral --csv bad.csv
check "csv unclosed quote by line" 1 "bad.csv:5: column 3 opens a quote on line 5 that is never closed: the rest of the file \(to line 5\) was read as that one field" -- cl --as police publish referral --csv bad.csv
printf 'given_names,family_name\nA,B\n' > nohdr.csv
check "csv header needs columns" 2 "header must name agency_reference" -- cl --as police publish referral --csv nohdr.csv
: > empty.csv
check "csv empty" 2 "empty file" -- cl --as police publish referral --csv empty.csv

check "plan needs type" 2 "plan type is required" -- cl --as childrens publish plan --ref CP-1 --start 2026-10-01 --authority NCS --basis consent --child-given Amy --child-family Smith
check "plan bad category" 2 "unknown value 'grumpy'" -- cl --as childrens publish plan --ref CP-1 --category grumpy
check "plan" 0 "recorded: PLAN-" -- cl --as childrens publish plan --ref CP-1 --type child_protection_plan --category emotional_abuse --start 2026-10-01 --authority "Northshire Children's Services" --basis public_task_social_care --child-given Amy --child-family Smith --child-dob 2015-06-01 --adult "rel=parent;given=Jane;family=Smith;dob=1985-04-12;nhs=9434765919"
check "plan again" 0 "already recorded: PLAN-" -- cl --as childrens publish plan --ref CP-1 --type child_protection_plan --category emotional_abuse --start 2026-10-01 --authority "Northshire Children's Services" --basis public_task_social_care --child-given Amy --child-family Smith --child-dob 2015-06-01 --adult "rel=parent;given=Jane;family=Smith;dob=1985-04-12;nhs=9434765919"
check "adult's case shows the child's plan" 0 "CHILD PROTECTION: Amy Smith \(P[0-9]+, child of this person\) is on a child protection plan for emotional abuse since 1 Oct 2026" -- cl person show --nhs 9434765919 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "review list empty" 0 "0 pairs to review" -- cl review list
check "match list empty says why" 0 "nothing waits for a decision: a pair is queued when a new record matches a person between the lower and the upper threshold" -- cl match list
check "match list empty filter says which" 0 "no queued pair has a record of Northshire Police; leave it out" -- cl match list --agency "Northshire Police"
check "mdt list empty says how" 0 "No reviews yet; create one with caselink mdt create" -- cl mdt list
check "intake empty says how" 0 "Nothing waits: an item arrives when a referral asks for the MDT \(ask_mdt yes\)" -- cl intake
jcheck() { # jcheck NAME KEY -- command...
    local name=$1 key=$2; shift 3
    if "$@" --json > j.json 2>j.err && python3 -c "import json,sys; d=json.load(open('j.json')); sys.exit(0 if '$key' in d else 1)"; then
        passes=$((passes + 1))
    else
        echo "FAIL --json $name:"; head -c 400 j.json; cat j.err; fails=$((fails + 1))
    fi
}
jcheck "match list empty" pairs -- cl match list
jcheck "intake empty" items -- cl intake
check "review uncertain pair queued" 0 "accepted: CL-" -- cl --as police publish referral --ref P-R1 --given Rob --family Jones --postcode "LS9 4ZZ" --category housing --basis consent
check "review publish candidate" 0 "accepted: CL-" -- cl --as gp publish referral --ref G-R1 --given Robert --family Jones --dob 1980-03-04 --postcode "LS9 4AB" --category housing --basis consent
cl --as police publish referral --ref P-R2 --given Rob --family Jones --postcode "LS9 4ZY" --category housing --basis consent >/dev/null
check "review list" 0 "given names +nickname" -- cl match list
cl match list --all --json > j.json
python3 - j.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL match list --json"; head -c 600 j.json; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
p = d["pairs"]
assert d["total"] == len(p) >= 1, d["total"]
q = p[0]
assert q["queue_id"].startswith("Q"), q
assert q["incoming"]["record_id"].startswith("R"), q["incoming"]
assert q["candidate_person_id"].startswith("P"), q
assert any(f["field"] == "given names" and f["level"] == "nickname" for x in p for f in x["fields"]), p
assert q["queued_at"].endswith("Z"), q["queued_at"]
assert d["next"] == ""
PY
qid=$(cl match list | grep -o "Q[0-9]*" | head -1)
check "review needs reason" 2 "reason TEXT is required" -- cl match accept "$qid"
check "review as publisher" 1 "denied" -- cl --as gp match accept "$qid" --reason x
check "review accept" 0 "accepted, merged into: P" -- cl match accept "$qid" --reason "same man, GP confirmed"
check "review decided twice" 1 "decided already" -- cl match accept "$qid" --reason again
check "split bad id" 1 "record_id must look like" -- cl person split X1 --reason x
cat > caseload.csv <<'CSV'
local_id,given_names,family_name,date_of_birth,sex,address_line1,town,postcode,nhs_number,team
ASC-1,Jane,Smith,1985-04-12,female,14 Mill Lane,Northshire,LS1 4AB,943 476 5919,East
ASC-2,Bob,Brown,1950-02-03,male,1 High St,Northshire,LS2 1AA,,East
ASC-4,Ann,Bad,1950-13-03,female,,,,,East
ASC-5,Short,Row
CSV
check "import" 1 "4 rows: 3 accepted \(0 updating records this agency sent before\), 0 already imported, 1 rejected" -- cl --as adults import persons caseload.csv --agency "Northshire Adult Social Care"
check "import bad row by line" 1 "caseload.csv:5: 3 fields, the header has 10" -- cl --as adults import persons caseload.csv --agency "Northshire Adult Social Care"
check "import bad field: field dropped, row kept" 1 "caseload.csv:4: warning: column 4 \(date_of_birth\): '1950-13-03' is not a date; write it as 24/12/1980, 24 Dec 1980 or 1980-12-24; the field is left out, the row imported" -- cl --as adults import persons caseload.csv --agency "Northshire Adult Social Care"
check "import extra column warned" 1 "column 'team' ignored" -- cl --as adults import persons caseload.csv --agency "Northshire Adult Social Care"
check "import again" 1 "3 already imported" -- cl --as adults import persons caseload.csv --agency "Northshire Adult Social Care"
cat > spaced.csv <<'CSV'
local_id, given_names , family_name, date_of_birth, postcode, nhs_number, uprn
ASC-10, Mary, Ng, 1970-02-30, 2615, 943 476 5918, 12A
ASC-11, Lee, Ng, 1971-03-04, 2600,,
ASC-12, Kim, Ng, 1972-03-04, LS1 4AB,,
CSV
check "import header with spaces" 0 "3 rows: .* 0 rejected" -- cl --as adults import persons spaced.csv --agency "Northshire Adult Social Care"
rm -f spaced.err
cl --as adults import persons spaced.csv --agency "Northshire Adult Social Care" 2>spaced.err >/dev/null
check "import bad date dropped by column" 0 "spaced.csv:2: warning: column 4 \(date_of_birth\)" -- cat spaced.err
check "import bad NHS number dropped by column" 0 "spaced.csv:2: warning: column 6 \(nhs_number\): not a valid NHS number" -- cat spaced.err
check "import bad UPRN dropped by column" 0 "spaced.csv:2: warning: column 7 \(uprn\): a UPRN is digits only" -- cat spaced.err
check "import non-UK postcodes: one warning" 0 "^spaced.csv:2: warning: 2 postcodes are not in the UK form \(the first on this line\); kept and compared exactly$" -- cat spaced.err
check "import non-UK postcodes: only one" 0 "^1$" -- grep -c "not in the UK form" spaced.err
check "import no header warnings for spaced names" 1 "^$" -- grep "ignored" spaced.err
# a control character costs its field, not the person; in the local id,
# the row (the identifying column has no way out)
printf 'local_id,given_names,family_name,town,address_line1\nASC-20,Ola,"Nwosu\nSmith",Leeds,1 Elm St\nASC-21,Ife,Obi,Le\033[31meds,2 Elm St\nASC-22,Uche,Eze,York,3 Ash\302\205 Rd\nASC-2\0013,Ada,Ude,York,4 Ash Rd\n' > controls.csv
rm -f controls.err
check "import control characters: field by field" 1 "4 rows: 3 accepted .* 1 rejected" -- cl --as adults import persons controls.csv --agency "Northshire Adult Social Care"
cl --as adults import persons controls.csv --agency "Northshire Adult Social Care" 2>controls.err >/dev/null
check "import control in a name: field left out" 0 "^controls.csv:2: warning: column 3 \(family_name\): holds a control character .*; the field is left out, the row imported$" -- cat controls.err
check "import escape in a town: field left out" 0 "^controls.csv:4: warning: column 4 \(town\): holds a control character" -- cat controls.err
check "import C1 control in an address: field left out" 0 "^controls.csv:5: warning: column 5 \(address_line1\): holds a control character" -- cat controls.err
check "import control in a local id: row rejected" 0 "^controls.csv:6: person.local_id holds a control character" -- cat controls.err
check "import control characters: none echoed" 1 "^0$" -- grep -cE $'\033|\001' controls.err
# a carriage return alone is a control character, not nothing: "ASC-3\r0"
# is no second "ASC-30" overwriting the first; a file whose lines end in
# carriage returns alone is refused; a NUL costs its field; a header's
# name is quoted with its control characters shown, not sent
printf 'local_id,given_names,family_name\nASC-30,Ola,Nwosu\nASC-3\r0,Ife,Obi\nASC-31,Ud\rche,Eze\nASC-32,A\000da,Ude\n' > cr.csv
check "import lone CR: no row updates another" 1 "4 rows: 3 accepted \(0 updating records this agency sent before\), 0 already imported, 1 rejected" -- cl --as adults import persons cr.csv --agency "Northshire Adult Social Care"
check "import lone CR in a local id: row rejected" 1 "cr.csv:3: person.local_id holds a control character" -- cl --as adults import persons cr.csv --agency "Northshire Adult Social Care"
check "import lone CR in a name: field left out" 1 "cr.csv:4: warning: column 2 \(given_names\): holds a control character" -- cl --as adults import persons cr.csv --agency "Northshire Adult Social Care"
check "import NUL in a name: field left out" 1 "cr.csv:5: warning: column 2 \(given_names\): holds a control character" -- cl --as adults import persons cr.csv --agency "Northshire Adult Social Care"
printf 'local_id,given_names\rASC-40,Ola\rASC-41,Ife\r' > mac.csv
check "import CR-only lines refused" 2 "mac.csv:1: the lines end in carriage returns alone" -- cl --as adults import persons mac.csv --agency "Northshire Adult Social Care"
printf 'local_id,given_names\033]0;PWNED\007\nASC-42,Ola\n' > hdr.csv
check "import header name shown escaped" 0 "column 'given_names.x1b]0;PWNED.x07' ignored" -- sh -c "'$cli' --dev '$dir/dev' --as adults import persons hdr.csv --agency 'Northshire Adult Social Care' 2>&1 >/dev/null"
cl --as adults import persons hdr.csv --agency "Northshire Adult Social Care" >hdr.err 2>&1
check "import header name: no escape sent" 1 "^0$" -- grep -c $'\033' hdr.err
# a long field (an ignored free-text column) before another: the row is
# imported, and a second run finds it imported (its message id is over
# every byte of the row)
python3 -c "print('local_id,notes,given_names'); print('ASC-50,' + 'x' * 9000 + ',Ola'); print('ASC-51,' + 'x' * 9000 + 'y,Ola')" > long.csv
check "import long field before another" 0 "2 rows: 2 accepted" -- cl --as adults import persons long.csv --agency "Northshire Adult Social Care"
check "import long field again: already imported" 0 "2 rows: 0 accepted .*, 2 already imported" -- cl --as adults import persons long.csv --agency "Northshire Adult Social Care"
printf 'local_id,given_names, Local_ID \nASC-60,Ola,ASC-61\n' > twice.csv
check "import a column named twice refused" 2 "twice.csv:1: columns 1 and 3 are both local_id: name each column once" -- cl --as adults import persons twice.csv --agency "Northshire Adult Social Care"
asc_import() { cl --as adults import persons "$1" --agency "Northshire Adult Social Care"; }
# one row per record: a local id again with other details is rejected,
# naming the line it repeats (not taken as that record's later details);
# the same row again is imported once
printf 'local_id,given_names,family_name\nASC-70,Ann,Hale\nASC-71,Bob,Hale\nASC-70,Carl,Moss\nASC-71,Bob,Hale\n' > dupid.csv
check "import a local id twice: 2nd rejected" 1 "4 rows: 2 accepted \(0 updating records this agency sent before\), 1 already imported, 1 rejected" -- asc_import dupid.csv
asc_import dupid.csv >dupid.out 2>&1
check "import a local id twice: which line" 0 "dupid.csv:4: local_id is on line 2 already, with other details" -- cat dupid.out
check "import the same row twice: once" 0 "dupid.csv:5: warning: the same row as line 3, answered as that one" -- cat dupid.out
printf 'local_id,given_names,family_name\nASC-73,Ann,Hale\n ASC-73,Ann,Hale\nasc-73 ,Ann,Hale\n' > alike.csv
check "import local ids alike but for spaces or case: warned" 0 "alike.csv:4: warning: local_id differs from line 2's only in spaces or case: imported as another record" -- asc_import alike.csv
printf 'local_id,given_names,family_name\nASC-75,Ann,Hale\nASC-75,Ann,Hale\n' > duprej.csv
check "import the same row twice, refused: not counted imported" 1 "duprej.csv: stopped: every row is refused the same way .* Before it: 0 accepted \(0 updating records this agency sent before\), 0 already imported" -- cl --as adults import persons duprej.csv --agency "Nope Agency"
check "import an unregistered agency: said once" 0 "^1$" -- sh -c "'$cli' --dev '$dir/dev' --as adults import persons duprej.csv --agency 'Nope Agency' 2>&1 | grep -c 'no registered agency'"
printf '\xef\xbb\xbflocal_id,given_names,family_name\nASC-76,Ann,Hale\n\xef\xbb\xbflocal_id,given_names,family_name\nASC-77,Bo,Hale\n Local_ID ,Given_Names,family_name\nASC-78,Cy,Hale\n' > joined.csv
check "import joined files: headers again skipped" 0 "joined.csv: 3 rows: 3 accepted" -- asc_import joined.csv
check "import joined files: said" 0 "joined.csv:3: warning: the header again \(files joined\?\): not a row, skipped" -- asc_import joined.csv
# a quote closed rows too late swallows the rows between: said, the row
# rejected; a quoted address over two lines is one address, no warning
printf 'local_id,given_names,family_name,address_line1\nASC-90,Sam,Wall,1 High St\nASC-91,Sue,Wall,"2 High St\nASC-92,Sid,Wall,3 High St\nASC-93,Stu,Wall,4 High St"\nASC-94,Sol,Wall,5 High St\n' > swallow.csv
check "import rows swallowed by a late quote: said" 1 "swallow.csv:3: column 4 \(address_line1\) is quoted from line 3 to line 5, and its lines look like rows: .* lines 4 to 5 were read into it, not imported; close the quote on line 3" -- asc_import swallow.csv
printf 'local_id,given_names,family_name,address_line1\nASC-95,Wes,Ark,"Flat 1\r\nElm House"\n' > multiline.csv
check "import a two-line address: kept" 0 "multiline.csv: 1 rows: 1 accepted .* 0 rejected" -- asc_import multiline.csv
asc_import multiline.csv > multiline.out 2>&1
check "import a two-line address: no warning" 0 "^0$" -- sh -c "grep -c warning multiline.out || true"
# an unclosed quote swallows the rest of the file: said, with where
printf 'local_id,given_names,family_name\nASC-80,Ann,Dale\nASC-81,"Bob,Dale\nASC-82,Cat,Dale\nASC-83,Dan,Dale\n' > unq.csv
check "import unclosed quote: rows after it named" 1 "unq.csv:3: column 2 opens a quote on line 3 that is never closed: the rest of the file \(to line 5\) was read as that one field, so no row after it was" -- cl --as adults import persons unq.csv --agency "Northshire Adult Social Care"
check "import as another agency" 1 "denied: this client is registered for Northshire Adult Social Care" -- cl --as adults import persons caseload.csv --agency "Oakfield Surgery"
cl --as adults import persons caseload.csv --agency "Oakfield Surgery" >denied.out 2>&1
check "import as another agency: said once, then stops" 0 "^1$" -- grep -c "denied" denied.out
check "import as another agency: stops" 0 "stopped: every row is refused the same way for this key \(the first at line 2\)" -- cat denied.out
check "import as another agency: says what was imported before" 0 "nothing was imported after it. Before it: 0 accepted \(0 updating records this agency sent before\), 0 already imported, [01] rejected$" -- cat denied.out
check "import as a coordinator: whose command it is" 1 "'caselink import persons' is for publisher keys, and client coordinator is not one" -- cl --as coordinator import persons caseload.csv --agency "Oakfield Surgery"
cat > sexes.csv <<'CSV'
local_id,given_names,family_name,sex
ASC-20,Pat,Ode,F
ASC-21,Sam,Ode,m
ASC-22,Alex,Ode,2
ASC-23,Jo,Ode,9
ASC-24,Lou,Ode,mf
ASC-25,Kit,Ode," X"
ASC-26,Max,Ode,"M "
CSV
cl --as adults import persons sexes.csv --agency "Northshire Adult Social Care" >sexes.out 2>&1
check "import sex as extracts write it: one warning" 0 "^1$" -- grep -cF "warning: column 4 (sex)" sexes.out
check "import sex: the unknown one named" 0 "sexes.csv:6: warning: column 4 \(sex\)" -- cat sexes.out
check "import sex: spaces around it are not part of it" 0 "7 rows: 7 accepted" -- cat sexes.out
check "import missing file" 2 "nope.csv: No such file" -- cl --as adults import persons nope.csv --agency X
printf 'given_names\nA\n' > noid.csv
check "import needs local_id" 2 "must name local_id" -- cl --as adults import persons noid.csv --agency X
check "links export" 0 "^R[0-9]+,Northshire Adult Social Care,ASC-1,P[0-9]+,nhs_number," -- cl links export --csv
cat > formula.csv <<'CSV'
local_id,given_names,family_name,date_of_birth
-2+3+cmd|' /C calc'!A0,Fay,Formula,1970-01-01
=HYPERLINK(x),Gus,Formula,1970-01-02
CSV
cl --as adults import persons formula.csv --agency "Northshire Adult Social Care" >/dev/null 2>&1
check "links export neutralises a - formula" 0 ",\"'-2\+3\+cmd" -- cl links export --csv
check "links export neutralises an = formula" 0 ",\"'=HYPERLINK\(x\)\"," -- cl links export --csv
check "links export as publisher" 1 "denied" -- cl --as gp links export --csv
check "links export says what the score is" 0 "^record_id,agency,local_id,person_id,reason,score,score_is$" -- cl links export --csv
check "links export score kind" 0 "^R[0-9]+,Northshire Adult Social Care,ASC-1,P[0-9]+,nhs_number,[0-9.]+,none$" -- cl links export --csv
cat > truth.csv <<'CSV'
agency, local_id, cluster
Northshire Adult Social Care, ASC-10, ng-mary
Northshire Adult Social Care, ASC-11, ng-lee
Northshire Adult Social Care, ASC-12, ng-mary
Northshire Adult Social Care, ASC-99, ng-mary
CSV
check "link evaluate" 0 "^pairwise, auto-links: +precision 1.0000  recall 0.0000" -- cl link evaluate --truth truth.csv
check "link evaluate missing records" 0 "3 records of 2 people found in the store, 1 not found" -- cl link evaluate --truth truth.csv
check "link evaluate counts a missing record's pairs as misses" 0 "^pairwise, whole file: +recall 0.0000, \+ review queue [01].[0-9]{4}, with the 1 not in the store" -- cl link evaluate --truth truth.csv
check "link evaluate counts the whole file's pairs" 0 "counted as never linked \(3 true pairs in all\)" -- cl link evaluate --truth truth.csv
check "link evaluate clusters" 0 "^clusters, auto-links: +2 true people, 3 caselink people: 1 exact" -- cl link evaluate --truth truth.csv
check "link evaluate by threshold" 0 "^ +22 " -- cl link evaluate --truth truth.csv
check "link evaluate as publisher" 1 "denied" -- cl --as gp link evaluate --truth truth.csv
check "link evaluate no file" 2 "nope.csv: No such file" -- cl link evaluate --truth nope.csv
printf 'agency,local_id\nA,1\n' > badtruth.csv
check "link evaluate bad header" 2 "must name agency, local_id and cluster" -- cl link evaluate --truth badtruth.csv
printf 'agency,local_id,cluster\nA,1,x\nA,1,y\n' > badtruth.csv
check "link evaluate duplicate row" 2 "listed twice" -- cl link evaluate --truth badtruth.csv
printf 'agency,local_id,cluster\nNobody,X1,a\n' > none.csv
check "link evaluate with none found says why" 1 "Nothing to measure: no record of the truth file is in the store" -- cl link evaluate --truth none.csv
check "link usage, from the command table" 2 "^       caselink link rerun \[--wait\] \[--json\]$" -- cl link frob
check "link usage" 2 "usage: caselink link evaluate" -- cl link frob
check "review list paged" 0 "pairs? to review" -- cl review list --limit 500 --all
check "review list bad limit" 2 "--limit must be a number from 1 to 500" -- cl review list --limit 501
check "review list bad probability" 2 "must be a probability" -- cl review list --min-probability 2
check "review list bad cursor" 1 "after_review_id must look like" -- cl review list --after R1
# a pair at probability 1.0000 in the queue says why it did not link: a
# record without a date of birth fits a father and son of one name and
# home (kept apart by their dates) alike, so it is linked to neither
cat > kin.csv <<'CSV'
local_id,given_names,family_name,date_of_birth,sex,address_line1,town,postcode
KIN-1,Oswin,Heldane,1950-03-04,M,7 Kin Row,Northshire,LS7 7KR
KIN-2,Oswin,Heldane,1980-06-07,M,7 Kin Row,Northshire,LS7 7KR
CSV
printf 'local_id,given_names,family_name,sex,address_line1,town,postcode\nKIN-9,Oswin,Heldane,M,7 Kin Row,Northshire,LS7 7KR\n' > kin2.csv
cl --as adults import persons kin.csv --agency "Northshire Adult Social Care" >/dev/null 2>&1
cl --as gp import persons kin2.csv --agency "Oakfield Surgery" >/dev/null 2>&1
check "match list: a pair above the threshold says why it is held" 0 "^  held: two people: the incoming record fits P[0-9]+ as well, and the two are kept$" -- cl match list --agency "Oakfield Surgery"
cl match list --agency "Oakfield Surgery" --json > j.json
python3 - j.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL match list --json held"; head -c 900 j.json; fails=$((fails + 1)); }
import json, sys
p = json.load(open(sys.argv[1]))["pairs"]
held = [x for x in p if x["held"] == "two_people"]
assert len(held) == 2 and all(x["probability"] > 0.99 for x in held), p
assert {x["held_with_person_id"] for x in held} == {x["candidate_person_id"] for x in held}, held
PY
kq=$(cl match list --agency "Oakfield Surgery" | grep -o "^  Q[0-9]*" | head -1)
cl match reject $kq --reason "not the father" >/dev/null
check "match list: held after a coordinator's decision says so" 0 "^  held: a coordinator decided on a record of one of these people" -- cl match list --agency "Oakfield Surgery"
check "find needs purpose" 2 "--purpose TEXT are required" -- cl person find --family Smith --given Jane
check "find by demographics" 0 "P[0-9]+  score +[0-9.]+  Jayne Smith, born 12 Apr 1985, LS1 4AB \(Northshire Police; names and details matched\)" -- cl person find --given Jayne --family Smith --dob 1985-04-12 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "find by NHS number" 0 "1 candidate" -- cl person find --nhs 9434765919 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "find nobody" 0 "0 candidates" -- cl person find --given Zebedee --family Quixote --dob 1901-01-01 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "mdt create" 0 "review created: MDT-00000001" -- cl mdt create --date 2027-12-01 --title "Extended MDT" --agency "Oakfield Surgery"
check "mdt bad date" 2 "--date: 'tomorrow' is not a date; write it as 24/12/1980" -- cl mdt create --date tomorrow --title x
check "open for a review, not on agenda" 1 "not on the agenda of MDT-00000001" -- cl person show --nhs 9434765919 --review MDT-00000001
check "mdt add" 0 "is on the agenda of MDT-00000001" -- cl mdt add MDT-00000001 --nhs 9434765919 --reason gp_concern
check "mdt add bad reason" 2 "usage: caselink mdt" -- cl mdt add MDT-00000001 --nhs 9434765919 --reason vibes
check "open for a review" 0 "Known to" -- cl person show --nhs 9434765919 --review MDT-00000001
check "casefind needs purpose" 2 "usage: caselink casefind" -- cl casefind --agency "Northshire Police"
check "casefind" 0 "(person|people) with at least 2 contacts from Northshire Police" -- cl casefind --agency "Northshire Police" --min 2 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "casefind overlap suppressed" 0 "<5" -- cl casefind --agency "Northshire Police" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "casefind as publisher" 1 "denied" -- cl --as gp casefind --agency "Northshire Police" --purpose x
check "person show needs purpose" 2 "say why you open this case" -- cl person show --nhs 9434765919
check "person show" 0 "Known to 4 agencies" -- cl person show --nhs 9434765919 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "person show referrals" 0 "Called to the address, twice" -- cl person show --nhs 9434765919 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "person show family" 0 "child: Amy Smith" -- cl person show --nhs 9434765919 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "person show unknown" 1 "caselink: not found: " -- cl person show --nhs 4010232137 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "person show bad id" 1 "person_id: must look like" -- cl person show --id "X1" --access-reason data_quality --purpose "checking a record id we were given"
check "person show as publisher" 1 "denied" -- cl --as gp person show --nhs 9434765919 --purpose "x"

check "correct needs reason" 2 "reason is required" -- cl --as gp referral correct CL-00000001 --ref G1 --family Smith --given Jane --category housing --basis consent
check "correct" 0 "corrected: CL-00000001" -- cl --as gp referral correct CL-00000001 --reason "wrong category" --ref G1 --nhs 9434765919 --given Jane --family Smith --category housing --basis consent
check "correct one field by own reference" 0 "corrected: CL-00000001" -- cl --as gp referral correct G1 --reason "risk was understated" --risk high
check "correct keeps what was not sent" 0 '"category":"housing","risk":"high"' -- cl --as auditor audit subject-access --nhs 9434765919
check "correct records who" 0 '"reason":"risk was understated","by":"gp \(Oakfield Surgery\)"' -- cl --as auditor audit subject-access --nhs 9434765919
check "correct with nothing to change" 2 "give the fields that change" -- cl --as gp referral correct G1 --reason "nothing"
check "withdraw other agency's" 1 "caselink: not found: " -- cl --as police referral withdraw CL-00000001 --reason oops
check "withdraw unknown reference" 1 "CL-00000042 or your own agency_reference" -- cl --as gp referral withdraw 42 --reason oops
check "withdraw by own reference" 1 "no referral G1 from your agency" -- cl --as police referral withdraw G1 --reason oops
check "withdraw" 0 "withdrawn: CL-00000001" -- cl --as gp referral withdraw CL-00000001 --reason "sent in error"
check "audit usage" 2 "usage: caselink audit" -- cl audit frob
check "audit as coordinator" 1 "denied" -- cl --as coordinator audit verify
check "audit checkpoint" 0 "^caselink-audit-checkpoint v1" -- cl audit checkpoint
cl audit checkpoint > cp.txt
check "audit verify" 0 "audit chain intact: [0-9]+ entries" -- cl audit verify
check "audit verify checkpoint" 0 "unchanged" -- cl audit verify --checkpoint cp.txt
sed 's/^seq: /seq: 9/' cp.txt > forged.txt
check "audit forged checkpoint" 1 "signature does not verify" -- cl audit verify --checkpoint forged.txt
check "audit verify missing file" 2 "nope.txt: No such file" -- cl audit verify --checkpoint nope.txt
check "audit search" 0 "opened a case, ok  BREAK-GLASS  purpose: MDT preparation: preparing the north locality MDT" -- cl audit search --nhs 9434765919
check "subject access" 0 '"change":"withdrawn","reason":"sent in error"' -- cl audit subject-access --nhs 9434765919
cl audit subject-access --nhs 9434765919 > sar.json
# named users: the development folder's user, flags, the environment, a file
check "auditor reads words: break-glass notice" 0 "break-glass access: Northshire Extended MDT AUDIT-[0-9]+ \(opened a case, [0-9]+ (person|people): MDT preparation: preparing the north locality MDT\)" -- cl --as auditor inbox
if { cl audit search --nhs 9434765919; cl --as auditor inbox; } | grep -Eq "get_person|publish_referral|case_finding|mdt_preparation|first_plan_from_agency|break_glass|child_protection_plan|safeguarding_alert"; then
    echo "FAIL the auditor's terminal shows machine codes:"; { cl audit search --nhs 9434765919; cl --as auditor inbox; } | grep -E "get_person|publish_referral|case_finding|mdt_preparation|first_plan_from_agency|break_glass|child_protection_plan|safeguarding_alert" | head -3; fails=$((fails + 1))
else passes=$((passes + 1)); fi
check "audit names the user" 0 "Chris Jones \[cjones, Extended MDT coordinator\] for coordinator" -- cl audit search --nhs 9434765919
check "audit search by user" 0 "^[0-9]+ entr.*" -- cl audit search --user cjones
check "audit search by unknown user" 0 "^0 entries" -- cl audit search --user nobody
check "audit search by unknown user says why" 0 "no entry names the user nobody: users are named by the id their agency's system sends" -- cl audit search --user nobody
check "audit break-glass none says why" 0 "no break-glass use by coordinator in these dates; widen --from/--to, or leave out --client" -- cl audit search --break-glass --from 2001-01-01 --to 2001-01-02 --client coordinator
check "audit search person and user none says why" 0 "nobody has no entry about this person: to see all they did, search --user nobody alone" -- cl audit search --nhs 9434765919 --user nobody
check "subject access names users" 0 '"named_users_who_looked":\[\{"user_id":"apatel","display_name":"Dr Anita Patel"' -- cl audit subject-access --nhs 9434765919
check "user flags" 0 "^Jane Smith|Jane" -- cl --as coordinator --user amorgan --user-name "Alex Morgan" --user-role "Deputy coordinator" person show --nhs 9434765919 --access-reason data_quality --purpose "checking the named user is recorded"
check "audit shows flag user" 0 "Alex Morgan \[amorgan, Deputy coordinator\]" -- cl audit search --user amorgan
check "user not permitted" 1 "not permitted for client coordinator" -- cl --as coordinator --user mallory --user-name "Mal Lory" --user-role x person show --nhs 9434765919 --purpose "x"
check "user half named" 2 "on_behalf_of.display_name is required" -- cl --as coordinator --user amorgan person show --nhs 9434765919 --purpose "x"
check "user from env" 1 "not permitted" -- env CASELINK_USER=eve CASELINK_USER_NAME=Eve CASELINK_USER_ROLE=x "$cli" --dev "$dir/dev" --as coordinator person show --nhs 9434765919 --purpose x
printf 'user_id = amorgan\ndisplay_name = Alex Morgan\nrole = Deputy coordinator\n' > amorgan.user
check "user file" 0 "Jane" -- cl --as coordinator --user-file amorgan.user person show --nhs 9434765919 --access-reason data_quality --purpose "checking the named user is recorded"
printf 'user_id = amorgan\nwho = me\n' > bad.user
check "bad user file" 2 "bad.user:2: expected user_id" -- cl --as coordinator --user-file bad.user health
check "subject access is JSON" 0 "caselink_subject_access" -- python3 -m json.tool sar.json
python3 - sar.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL subject access times are not ISO"; fails=$((fails + 1)); }
import json, re, sys
d = json.load(open(sys.argv[1]))
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
times = []
def walk(x, k=""):
    if isinstance(x, dict):
        for kk, v in x.items(): walk(v, kk)
    elif isinstance(x, list):
        for v in x: walk(v, k)
    elif k.endswith("_at") or k in ("at", "first", "last", "since"):
        times.append((k, x))
walk(d)
assert len(times) > 10 and all(isinstance(v, str) and iso.match(v) for k, v in times), [t for t in times if not (isinstance(t[1], str) and iso.match(t[1]))][:5]
PY

# routing: a plan, an alert, the inbox, requests and answers, status, feeds
check "plan" 0 "PLAN-" -- cl --as childrens publish plan --ref CP-1 --type child_protection_plan --category neglect --start 2026-01-01 --authority "Northshire Children's Services" --basis public_task_social_care --child-nhs 0830166130 --child-given Lily --child-family Brown --child-dob 2019-06-01
check "publish about the child" 0 "^accepted: CL-" -- cl --as gp publish referral --ref G-AL --nhs 0830166130 --given Lily --family Brown --dob 2019-06-01 --category child_protection --basis public_task_social_care --consent given --feed emis --feed-seq 1
check "inbox list" 0 "alert +Oakfield Surgery referred Lily Brown \(P[0-9]+\), the child on the plan \(your plan CP-1\): child protection, risk not stated" -- cl --as childrens inbox
check "inbox show" 0 "SAFEGUARDING ALERT for your child protection plan CP-1" -- cl --as childrens inbox show 1
ref=$(cl --as childrens inbox show 1 | sed -n 's/.*referral: *\(CL-[0-9]*\).*/\1/p')
check "inbox show missing" 1 "no delivery 99" -- cl --as childrens inbox show 99
check "inbox follow" 0 "SAFEGUARDING ALERT" -- cl --as childrens inbox --follow --ack --for 2
check "inbox empty after ack" 0 "0 shown, 0 waiting" -- cl --as childrens inbox
check "inbox usage" 2 "usage: caselink inbox" -- cl --as childrens inbox frob
check "inbox as operator" 1 "denied" -- cl --as operator inbox
check "inbox as auditor: the new plan" 0 "the first protection plan from this agency: Northshire Children's Services PLAN-[0-9]+ \(child protection plan\)" -- cl --as auditor inbox
# the front-line flag: a check, the flag on a publish reply, refusals, the
# authority's notice, the auditor's list
check "flag on the publish reply" 0 "FLAG: this person is a child on a child protection plan" -- cl --as gp publish referral --ref G-FL --nhs 0830166130 --given Lily --family Brown --dob 2019-06-01 --category child_protection --basis public_task_social_care --consent given
check "flag check" 0 "call: Children's Services duty and assessment team, 01632 960 000" -- cl --as police flag check --nhs 0830166130
check "flag check: no flag" 0 "^no flag$" -- cl --as police flag check --nhs 9960308243
check "flag check: bad number" 1 "check digit" -- cl --as police flag check --nhs 0830166131
check "flag check: not by name" 2 "never by name, date of birth or address \(--given\)" -- cl --as police flag check --given Lily --family Brown
check "flag check: not this kind" 1 "check_kinds" -- cl --as adults flag check --nhs 0830166130
check "flag check: unknown own id" 1 "none of your agency's records" -- cl --as police flag check --local-id NICHE-404
check "flag check usage" 2 "usage: caselink flag check" -- cl --as police flag frob
check "authority told" 0 "FRONT-LINE FLAG SHOWN for your plan CP-1" -- sh -c "'$cli' --dev '$dir/dev' --as childrens inbox list | awk '/ flag /{print \$1; exit}' | xargs '$cli' --dev '$dir/dev' --as childrens inbox show"
check "audit flags" 0 "Northshire Police \(police, PC Sam Hughes\) shown the flag of PLAN-" -- cl --as auditor audit flags --agency "Northshire Police"
check "audit flags: none then, and why" 0 "^No front-line flag was shown in these dates\.$" -- cl --as auditor audit flags --from 2020-01-01 --to 2020-12-31
check "audit flags: none then" 0 "^0 flag disclosures" -- cl --as auditor audit flags --from 2020-01-01 --to 2020-12-31
check "audit flags usage" 2 "unknown option --frob" -- cl --as auditor audit flags --frob x
check "plan withdraw usage" 2 "usage: caselink plan withdraw" -- cl --as childrens plan withdraw CP-1
check "plan withdraw: not the authority" 1 "plan authorit" -- cl --as gp plan withdraw CP-1 --reason "not mine"
# a plan authority without its duty contact is refused at load
sed '/^duty_phone/d' "$dir/dev/clients.conf" > "$dir/noduty.conf"
sed "s|^registry = .*|registry = $dir/noduty.conf|" "$dir/dev/caselinkd.conf" > "$dir/noduty-daemon.conf"
line=$(grep -n "^\[$(awk '/^\[/{s=$0} /^plans = yes/{print substr(s,2,length(s)-2); exit}' "$dir/noduty.conf")\]" "$dir/noduty.conf" | cut -d: -f1)
check "plan authority needs a duty contact, at its line" 1 "noduty.conf:$line: client \[.*\] is a plan authority \(plans = yes\) and needs duty_phone" -- "$daemon" --config "$dir/noduty-daemon.conf" --check-config
sed 's/^plans = yes/plans = maybe/' "$dir/dev/clients.conf" > "$dir/badplans.conf"
sed "s|^registry = .*|registry = $dir/badplans.conf|" "$dir/dev/caselinkd.conf" > "$dir/badplans-daemon.conf"
check "plans must be yes or no" 1 "plans must be yes or no" -- "$daemon" --config "$dir/badplans-daemon.conf" --check-config
check "request send" 0 "request sent: REQ-00000001" -- cl request send --nhs 0830166130 --agency "Northshire Police" --due 2099-01-01 --question "Any call-outs?"
check "request bad agency" 1 "no registered agency" -- cl request send --nhs 0830166130 --agency "Nobody" --due 2099-01-01 --question "?"
check "request usage" 2 "usage: caselink request" -- cl request frob
check "police inbox: due in UK form" 0 "request +REQ-00000001 from Northshire Extended MDT about P[0-9]+, due 1 Jan 2099" -- cl --as police inbox
check "respond" 0 "answered REQ-00000001" -- cl --as police respond REQ-00000001 --summary "Two call-outs in May" --involvement past --risk medium --contact "DC Jones"
check "respond usage" 2 "usage: caselink respond" -- cl --as police respond REQ-00000001 --involvement sometimes
check "request list" 0 "Northshire Police +answered" -- cl request list
check "coordinator inbox" 0 "answer +REQ-00000001 answered by Northshire Police \(past involvement, medium risk\)" -- cl --as coordinator inbox
check "referral accept" 0 "is now accepted" -- cl referral status $ref accepted
check "referral close no outcome" 1 "needs an outcome" -- cl referral status $ref closed
check "referral close" 0 "is now closed" -- cl referral status $ref closed --outcome services_provided
check "referral status usage" 2 "usage: caselink referral status" -- cl referral status $ref finished
check "gp inbox status" 0 "status +$ref \(G-AL\) closed by Northshire Extended MDT: services provided" -- cl --as gp inbox
check "publish gap" 0 "^accepted" -- cl --as gp publish referral --ref G-AL2 --nhs 0830166130 --given Lily --family Brown --category child_protection --basis public_task_social_care --consent given --feed emis --feed-seq 4
check "admin feeds" 0 "Oakfield Surgery +emis +4 .* 2 GAPS \(latest 2-3\)" -- cl admin feeds
check "admin feeds as gp" 1 "denied" -- cl --as gp admin feeds
check "stats mailboxes" 0 "Northshire Extended MDT +[0-9]" -- cl admin stats


# Dates and times as people type and read them; words, not enum names.
check "UK date of birth accepted" 0 "^accepted: CL-" -- cl --as police publish referral --ref HLU-C1 --given Claire --family Booth --dob 24/12/1980 --postcode "QB1 1AA" --category domestic_abuse --basis dpa_safeguarding --consent not_sought --consent-note "risk" --occurred "2026-06-01T14:05+01:00" --related "rel=child;given=Leo;family=Booth;dob=03/05/2018"
check "bad UK date named" 2 "subject: date_of_birth: '31/02/1980' is not a date; write it as 24/12/1980" -- cl --as police publish referral --ref HLU-X --given Claire --family Booth --dob 31/02/1980 --category housing --basis consent
check "occurred_at with Z" 0 "^accepted" -- cl --as police publish referral --ref HLU-C2 --given Claire --family Booth --dob "24 Dec 1980" --postcode "QB1 1AA" --category domestic_abuse --basis dpa_safeguarding --consent not_sought --consent-note "risk" --occurred "2026-11-01T14:05Z"
check "occurred_at London time" 0 "^accepted" -- cl --as police publish referral --ref HLU-C3 --given Claire --family Booth --dob 1980-12-24 --postcode "QB1 1AA" --category domestic_abuse --basis dpa_safeguarding --consent not_sought --consent-note "risk" --occurred "15/07/2026 09:30"
check "occurred_at bad offset named" 2 "occurred_at: '2026-06-01T14:05\+25:00' is not a date or time" -- cl --as police publish referral --ref HLU-X --given A --family B --category housing --basis consent --occurred "2026-06-01T14:05+25:00"
check "find with a UK date" 0 "Claire Booth, born 24 Dec 1980" -- cl person find --given Claire --family Booth --dob 24/12/1980 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "find --iso" 0 "Claire Booth, born 1980-12-24" -- cl person find --given Claire --family Booth --dob 24/12/1980 --access-reason mdt_preparation --purpose "preparing the north locality MDT" --iso
check "find by names only says why" 0 "A name alone is not enough to search on: add a date of birth \(--dob 24/12/1980\)" -- cl person find --given Claire --family Booth --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "find --json" 0 '"given_names":"Claire","family_name":"Booth","date_of_birth":"1980-12-24"' -- cl person find --given Claire --family Booth --dob 24/12/1980 --access-reason mdt_preparation --purpose "preparing the north locality MDT" --json
cl person find --given Claire --family Booth --dob 24/12/1980 --access-reason mdt_preparation --purpose "preparing the north locality MDT" --json > find.json
check "find --json parses" 0 "candidates" -- python3 -m json.tool find.json
cid=$(cl person find --given Claire --family Booth --dob 24/12/1980 --access-reason mdt_preparation --purpose "preparing the north locality MDT" | grep -o "P[0-9]*" | head -1)
check "time with its zone (offset)" 0 "happened 1 Jun 2026 14:05 BST" -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "time with its zone (Z, winter)" 0 "happened 1 Nov 2026 14:05 GMT" -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "zone-less time is London time" 0 "happened 15 Jul 2026 09:30 BST" -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "case view --iso is UTC" 0 "happened 2026-06-01T13:05:00Z" -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT" --iso
check "no referrer: no empty brackets" 0 "referred by \(referrer not given\); safeguarding \(Data Protection Act 2018\); consent not sought: risk" -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "link reason in words" 0 "linked: first record of this person" -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
if cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT" | grep -Eq "linked by new|none involvement|unspecified risk|child_protection_plan|\(, \)|occurred -"; then
    echo "FAIL case view still shows enum names or empty fields"; fails=$((fails + 1))
else passes=$((passes + 1)); fi


# Alerts name the subject and say what they are to the child in words.
cl --as childrens publish plan --ref UB-1 --type unborn_child_protection_plan --category neglect --start 01/11/2026 --authority "Northshire Children's Services" --basis public_task_social_care --adult "rel=parent;given=Donna;family=Begum;dob=05/05/1999;nhs=4010232137" >/dev/null
cl --as childrens publish plan --ref CP-9 --type child_protection_plan --category neglect --start 01/11/2026 --authority "Northshire Children's Services" --basis public_task_social_care --child-given Ruby --child-family Cole --child-dob 01/01/2020 --child-nhs 6281948211 --adult "rel=parent;given=Tom;family=Cole;dob=01/01/1990;nhs=9935181901" >/dev/null
cl --as police publish referral --ref AL-UB --nhs 4010232137 --given Donna --family Begum --category domestic_abuse --basis dpa_safeguarding --consent not_sought --consent-note urgent >/dev/null
cl --as police publish referral --ref AL-TC --nhs 9935181901 --given Tom --family Cole --category domestic_abuse --basis dpa_safeguarding --consent not_sought --consent-note urgent --referrer-name "PC Lee" >/dev/null
check "unborn plan alert: the mother is the mother" 0 "Northshire Police referred Donna Begum \(P[0-9]+\), the expectant mother \(your plan UB-1\)" -- cl --as childrens inbox
check "adult's alert names the adult" 0 "Northshire Police referred Tom Cole \(P[0-9]+\), parent of Ruby Cole \(P[0-9]+\) \(your plan CP-9\)" -- cl --as childrens inbox
seq=$(cl --as childrens inbox | grep "AL-\|Tom Cole" | grep -o "^ *[0-9]*" | tail -1 | tr -d ' ')
check "alert in full: referrer without role" 0 "by:        Northshire Police \(PC Lee\)" -- cl --as childrens inbox show "$seq"
check "alert in full: no occurred time" 0 "happened:  not given \(see when it was received\)" -- cl --as childrens inbox show "$seq"
seq1=$(cl --as childrens inbox | grep "Donna Begum" | grep -o "^ *[0-9]*" | tr -d ' ')
check "alert in full: no referrer named" 0 "by:        Northshire Police, referrer not named" -- cl --as childrens inbox show "$seq1"
check "alert in full: unborn plan, aligned" 0 "^  mother:    P[0-9]+ Donna Begum, born 5 May 1999" -- cl --as childrens inbox show "$seq1"

# Case finding: names, most contacts first, subject vs mention, filters.
for i in 1 2 3 4; do
    cl --as police publish referral --ref "HLU-M$i" --given Mark --family Hale --dob 02/02/1975 --postcode "QB2 2BB" --category antisocial_behaviour --basis public_task_public_interest --consent given --occurred "0$i/03/2026" >/dev/null
done
cl --as gp publish referral --ref G-MH --given Mark --family Hale --dob 02/02/1975 --postcode "QB2 2BB" --category mental_health --basis consent --consent given >/dev/null
cl --as gp publish referral --ref G-LB --given Leo --family Booth --dob 03/05/2018 --category child_protection --basis public_task_social_care --consent given --related "rel=parent;given=Claire;family=Booth;dob=24/12/1980;postcode=QB1 1AA" >/dev/null
check "casefind names, most contacts first" 0 "P[0-9]+  Mark Hale +born 2 Feb 1975 +4 contacts" -- cl casefind --agency "Northshire Police" --min 3 --since 01/01/2026 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
out=$(cl casefind --agency "Northshire Police" --min 3 --since 01/01/2026 --access-reason mdt_preparation --purpose "preparing the north locality MDT")
m=$(grep -n "Mark Hale" <<<"$out" | cut -d: -f1); c=$(grep -n "Claire Booth" <<<"$out" | cut -d: -f1)
[ -n "$m" ] && [ -n "$c" ] && [ "$m" -lt "$c" ] && passes=$((passes + 1)) || { echo "FAIL casefind order: $out"; fails=$((fails + 1)); }
check "casefind: 3 contacts" 0 "Claire Booth +born 24 Dec 1980 +3 contacts" -- cl casefind --agency "Northshire Police" --min 3 --since 01/01/2026 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
grep -A1 "Claire Booth" <<<"$out" | grep -q "^      also known to: only mentioned by Oakfield Surgery$" && passes=$((passes + 1)) || { echo "FAIL casefind mention label: $out"; fails=$((fails + 1)); }
grep -A1 "Mark Hale" <<<"$out" | grep -q "^      also known to: about them: Oakfield Surgery$" && passes=$((passes + 1)) || { echo "FAIL casefind subject label: $out"; fails=$((fails + 1)); }
check "casefind --not-known-to health keeps a mention" 0 "Claire Booth" -- cl casefind --agency "Northshire Police" --min 3 --not-known-to health --access-reason mdt_preparation --purpose "preparing the north locality MDT"
if cl casefind --agency "Northshire Police" --min 3 --not-known-to health --access-reason mdt_preparation --purpose "preparing the north locality MDT" | grep -q "Mark Hale"; then
    echo "FAIL --not-known-to health kept a person the GP holds a record about"; fails=$((fails + 1))
else passes=$((passes + 1)); fi
check "casefind agency in any case: the registered name" 0 "^2 people with at least 3 contacts from Northshire Police since .*most contacts first" -- cl casefind --agency "northshire POLICE" --min 3 --since 01/01/2026 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "casefind --min not a number" 2 "caselink: --min: '3x' is not a whole number" -- cl casefind --agency "Northshire Police" --min 3x --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "person find --limit not a number" 2 "caselink: --limit: 'ten' is not a whole number" -- cl person find --given Claire --family Booth --dob 24/12/1980 --limit ten --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "person find bad date says why" 2 "date_of_birth: '24/13/1980' is not a date; write it as 24/12/1980" -- cl person find --given Claire --family Booth --dob 24/13/1980 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "audit search --limit 0" 2 "caselink: --limit: 0 is too small \(at least 1\)" -- cl --as auditor audit search --break-glass --limit 0
check "casefind agency near miss" 1 "agency: no registered agency 'Northshire Polise'; did you mean 'Northshire Police'\?" -- cl casefind --agency "Northshire Polise" --min 3 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "attending agency near miss" 1 "did you mean 'Oakfield Surgery'\?" -- cl mdt create --date 01/12/2027 --title "x" --agency "Oakfield surgry"
check "attending agency in any case" 0 "review created: MDT-00000002" -- cl mdt create --date 01/12/2027 --title "x" --agency "oakfield surgery"
check "an empty agenda says how to fill it" 0 "Put someone on it with caselink mdt add MDT-00000002" -- cl mdt show MDT-00000002
check "casefind --not-known-to by kind" 0 "^1 person with at least 3 contacts from Northshire Police since 1 Jan 2026, not known to gp" -- cl casefind --agency "Northshire Police" --min 3 --since 01/01/2026 --not-known-to gp --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "casefind nothing found says why" 0 "Nobody matched. Try a lower --min \(now 50\)" -- cl casefind --agency "Northshire Police" --min 50 --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "casefind overlap: any and about" 0 "any +about" -- cl casefind --agency "Northshire Police" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
cl casefind --agency "Northshire Police" --min 3 --access-reason mdt_preparation --purpose "preparing the north locality MDT" --json > cf.json
check "casefind --json parses" 0 "mentioned_by" -- python3 -m json.tool cf.json
check "casefind is audited with the names it disclosed" 0 "case finding, ok  BREAK-GLASS" -- cl audit search --id "$cid"
check "case view: mention labelled" 0 "Known to 2 agencies: about them: Northshire Police; only mentioned by Oakfield Surgery" -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT"


# One command table: help, the man page and completion list what the parser
# takes; old verbs still work with a notice.
help=$("$cli" help)
for c in "mdt discuss" "mdt show" "action add" "action done" "actions" "rag set" "rag history" \
         "measure define" "measure record" "report" "match list" "match accept" "match reject" \
         "casefind" "person find" "inbox show" "request send" "respond" "admin backup" "link evaluate"; do
    grep -q "^  $c" <<<"$help" && passes=$((passes + 1)) || { echo "FAIL help lacks '$c'"; fails=$((fails + 1)); }
done
man1=$(dirname "$cli")/caselink.1
for c in "mdt discuss" "match list" "rag set" "measure define" "\\\\-\\\\-not\\\\-known\\\\-to"; do
    grep -q "$c" "$man1" && passes=$((passes + 1)) || { echo "FAIL man page lacks '$c'"; fails=$((fails + 1)); }
done
"$cli" help --man | cmp -s - "$man1" && passes=$((passes + 1)) || { echo "FAIL installed man page is not the table's"; fails=$((fails + 1)); }
check "help for one command" 0 "--not-known-to WHO +leave out people" -- "$cli" help casefind
check "unknown option, did you mean" 2 "caselink casefind: unknown option --sinec; did you mean --since\?" -- cl casefind --agency X --sinec 2026 --purpose x
check "unknown field option, did you mean" 2 "unknown option --famly; did you mean --family\?" -- cl --as gp publish referral --ref X --famly Smith
check "unknown command, did you mean" 2 "unknown command 'persn'; did you mean 'person'\?" -- cl persn show --id P1
check "unknown subcommand, did you mean" 2 "unknown command 'mdt lst'; did you mean 'mdt list'\?" -- cl mdt lst
check "unknown subcommand shows the family's usage" 2 "usage: caselink admin stats" -- cl admin stat
check "unknown subcommand of an old name" 2 "'review' is an old name: see caselink help match" -- cl review frob
check "bad enum option value, did you mean" 2 "--reason: unknown value 'gp concern'; did you mean gp_concern\? \(one of gp_concern, police_high_level_user" -- cl mdt add MDT-00000001 --nhs 9434765919 --reason "gp concern"
check "bad rating names the choices" 2 "rating: unknown value 'orange' \(one of red, amber, green\)" -- cl rag set --id P00000001 orange --note x
check "bad field value, did you mean" 2 "category: unknown value 'domestc_abuse'; did you mean domestic_abuse\?" -- cl --as gp publish referral --ref G9 --family Smith --category domestc_abuse
check "bad status value" 2 "status: unknown value 'acepted'; did you mean accepted\?" -- cl --as gp referral status CL-1 acepted
check "unknown --as is a usage mistake" 2 "--as gpp: .* has no key of that name; there are: adults, auditor, childrens, coordinator, gp, operator, police" -- cl --as gpp health
check "a publisher's health hides the counts" 0 "shown to coordinators and operators only" -- cl --as gp health
if cl --as gp health 2>&1 | grep -q "people"; then echo "FAIL a publisher's health shows counts"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
check "an attendee without bars says how" 2 "--attendee 'Jo Bloggs': give the name and the agency" -- cl mdt record MDT-00000001 --chair "A Chair" --attendee "Jo Bloggs"
check "a refusal names the option, not the protocol path" 1 "invalid: --not-known-to: agency: no registered agency 'Oakfeld Surgery'" -- cl casefind --agency "Northshire Police" --not-known-to "Oakfeld Surgery" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
check "a publisher's empty actions says who adds them" 0 "No actions\. .*the coordinator adds them" -- cl --as police actions
check "a denial names the command and the role" 1 "denied: 'caselink mdt create' is for coordinator keys, and client gp is not one" -- cl --as gp mdt create --date 01/12/2027 --title x
check "old verb works with a notice" 0 "'review list' is now 'caselink match list'" -- cl review list
check "match list" 0 "pairs? to review|waiting" -- cl match list
if cl match list 2>&1 | grep -q "is now"; then echo "FAIL match list prints the alias notice"; fails=$((fails + 1)); else passes=$((passes + 1)); fi
check "mdt show is the agenda pack" 0 "AGENDA PACK  MDT-00000001  1 Dec 2027" -- cl mdt show MDT-00000001
check "mdt show names the reason in words" 0 "^======== 1\. P[0-9]+ .*\(on the agenda for: GP concern\)" -- cl mdt show MDT-00000001
check "review show still works" 0 "'review show' is now 'caselink mdt show'" -- cl review show MDT-00000001
# bash completion, as bash runs it
comp=$(dirname "$cli")/caselink.bash-completion
complete_words() { bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _caselink; echo "${COMPREPLY[*]}"' _ "$comp" "$@"; }
grep -qw match <<<"$(complete_words caselink ma)" && passes=$((passes + 1)) || { echo "FAIL completion of 'ma'"; fails=$((fails + 1)); }
grep -qw discuss <<<"$(complete_words caselink mdt d)" && passes=$((passes + 1)) || { echo "FAIL completion of 'mdt d'"; fails=$((fails + 1)); }
grep -qw -- --not-known-to <<<"$(complete_words caselink --dev x casefind --agency A --no)" && passes=$((passes + 1)) || { echo "FAIL completion of casefind --no"; fails=$((fails + 1)); }
grep -qw -- --family <<<"$(complete_words caselink person find --fam)" && passes=$((passes + 1)) || { echo "FAIL completion of person find --fam"; fails=$((fails + 1)); }

# The words a coordinator reads: the README's wording table is the CLI's.
"$cli" help --words > words.md
missing=$(grep -vxFf <(sed -n '/^| enum | value | label |$/,/^$/p' "$(dirname "$0")/../README.md") words.md)
[ -z "$missing" ] && passes=$((passes + 1)) || { echo "FAIL README wording table lacks:"; echo "$missing"; fails=$((fails + 1)); }


# Progress on a terminal (a real pseudo-terminal), nothing when not one.
python3 - > big.csv <<'PY'
print("local_id,given_names,family_name,date_of_birth,postcode")
for i in range(6000):
    print(f"BIG-{i},Given{i},Family{i % 97},{1 + i % 28:02d}/{1 + i % 12:02d}/19{50 + i % 50},QX{i % 9} {i % 7}AB")
PY
pty_run() { python3 - "$@" <<'PY'
import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    cols = int(os.environ.get("PTY_COLS", "0"))  # 0: the pty says none
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
out=$(pty_run "$cli" --dev "$dir/dev" --as adults import persons big.csv --agency "Northshire Adult Social Care")
grep -q $'\r\e\[Kbig.csv: [0-9]* rows ([0-9]*%), [0-9]* rows/s, [0-9]* s left' <<<"$out" && passes=$((passes + 1)) || { echo "FAIL import progress on a terminal:"; cat -v <<<"$out" | tail -3; fails=$((fails + 1)); }
grep -q "6000 rows" <<<"$out" && passes=$((passes + 1)) || { echo "FAIL import summary under a terminal"; fails=$((fails + 1)); }
cl --as adults import persons big.csv --agency "Northshire Adult Social Care" >/dev/null 2>err.txt
grep -q $'\r' err.txt && { echo "FAIL progress printed when not a terminal"; fails=$((fails + 1)); } || passes=$((passes + 1))
out=$(pty_run "$cli" --dev "$dir/dev" links export --csv)
grep -q $'\r\e\[Klinks export: [0-9]* records ([0-9]*%), [0-9]* records/s' <<<"$out" && passes=$((passes + 1)) || { echo "FAIL links export progress:"; cat -v <<<"$out" | grep -a "links export" | tail -2; fails=$((fails + 1)); }
cl links export --csv 2>err.txt | tail -1 | grep -q "^R" && ! grep -q $'\r' err.txt && passes=$((passes + 1)) || { echo "FAIL links export quiet when piped"; fails=$((fails + 1)); }
python3 - > bigref.csv <<'PY'
print("agency_reference,given_names,family_name,date_of_birth,category,lawful_basis,occurred_at")
for i in range(3000):
    print(f"BR-{i},Given{i},Family{i % 97},{1 + i % 28:02d}/{1 + i % 12:02d}/19{50 + i % 50},housing,consent,2026-0{1 + i % 9}-01T10:00Z")
PY
out=$(pty_run "$cli" --dev "$dir/dev" --as police publish referral --csv bigref.csv)
grep -q $'\r\e\[Kbigref.csv: [0-9]* rows ([0-9]*%), [0-9]* rows/s, [0-9]* s left' <<<"$out" && passes=$((passes + 1)) || { echo "FAIL publish CSV progress:"; cat -v <<<"$out" | tail -2; fails=$((fails + 1)); }

# A long line on a terminal (60 columns) is broken at a space and goes on
# indented four past its own indent; every word is still there, in order
# (compared with the piped output); a pipe gets the lines as printed.
cl --as police publish referral --ref P-WRAP --nhs "943 476 5919" --given Jane --family Smith --dob 1985-04-12 --category domestic_abuse --basis dpa_safeguarding --consent not_sought --consent-note "risk of serious harm" --concern "Called to the address twice in a week after neighbours heard shouting and a child crying; the mother said her partner had left but his car was outside both times." >/dev/null
show=(person show --nhs "943 476 5919" --access-reason mdt_preparation --purpose "preparing the north locality MDT")
PTY_COLS=60 pty_run "$cli" --dev "$dir/dev" "${show[@]}" | tr -d '\r' > wrapped.txt
cl "${show[@]}" > piped.txt
python3 - wrapped.txt piped.txt <<'PY' && passes=$((passes + 1)) || fails=$((fails + 1))
import sys
w = open(sys.argv[1]).read().splitlines()
p = open(sys.argv[2]).read().splitlines()
wide = [l for l in w if len(l) > 60]
called = [i for i, l in enumerate(w) if l.startswith('      "Called to the address twice in')]
ok = not wide and called and w[called[0] + 1].startswith(" " * 10)
ok = ok and w[called[0] + 1][10] != " "  # its indent (6) and four
ok = ok and " ".join(" ".join(w).split()) == " ".join(" ".join(p).split())
ok = ok and any(len(l) > 60 for l in p)  # piped: as printed
if not ok:
    import difflib
    print("FAIL case view wrapped on a terminal:", wide, *w[-12:], sep="\n")
    print(*difflib.unified_diff(" ".join(w).split(), " ".join(p).split(), lineterm=""), sep="\n")
sys.exit(0 if ok else 1)
PY

# never cut: a word wider than the room left (an id, a key) runs on whole,
# and what is meant to be copied (a registry entry) is not wrapped at all
long=$(python3 -c 'print("K" * 90)')
cl --as police publish referral --ref P-WRAP2 --nhs "943 476 5919" --given Jane --family Smith --dob 1985-04-12 --category domestic_abuse --basis dpa_safeguarding --consent not_sought --consent-note "risk of serious harm" --concern "see $long and the rest" >/dev/null
PTY_COLS=60 pty_run "$cli" --dev "$dir/dev" "${show[@]}" | tr -d '\r' | grep -q "^ *$long\$" && passes=$((passes + 1)) || { echo "FAIL a long word cut on a terminal"; fails=$((fails + 1)); }
PTY_COLS=30 pty_run /bin/sh -c "'$cli' keygen wrapkey1 --agency 'Northshire Adult Social Care' --kind adult_services --roles publisher 2>/dev/null" | tr -d '\r' > keygen.pty
"$cli" keygen wrapkey2 --agency "Northshire Adult Social Care" --kind adult_services --roles publisher 2>/dev/null > keygen.pipe
[ "$(grep -c . keygen.pty)" = "$(grep -c . keygen.pipe)" ] && passes=$((passes + 1)) || { echo "FAIL keygen's registry entry wrapped on a terminal:"; cat keygen.pty; fails=$((fails + 1)); }
PTY_COLS=60 pty_run "$cli" --dev "$dir/dev" "${show[@]}" --json | tr -d '\r' | python3 -c "import json, sys; json.load(sys.stdin)" && passes=$((passes + 1)) || { echo "FAIL --json on a terminal: not JSON (wrapped?)"; fails=$((fails + 1)); }

# --json on the listing commands: each parses, with ISO times.
jcheck "person show" mentioned_by -- cl person show --id "$cid" --access-reason mdt_preparation --purpose "preparing the north locality MDT"
jcheck "actions" actions -- cl actions
jcheck "rag history" ratings -- cl rag history --workstream "High intensity users"
check "workstream near miss" 1 "did you mean 'High intensity users'\? \(a new one goes in \[report\] workstreams\)" -- cl rag set --workstream "High intensty users" amber --note "recruiting"
check "workstream far miss lists them" 1 "no listed workstream 'Frequent flyers' \(a new one goes in \[report\] workstreams\); listed: 'High intensity users', 'Enhanced multi-disciplinary approaches', 'Building community capacity', 'Establishing the single frontline'$" -- cl rag set --workstream "Frequent flyers" amber --note "recruiting"
check "workstream in any case" 0 "" -- cl rag set --workstream "high intensity USERS" amber --note "recruiting"
check "workstream rated under its listed name" 0 "High intensity users|amber" -- cl rag history --workstream "High intensity users"
check "rag history names the user who rated" 0 "amber +recruiting +\(Chris Jones, Northshire Extended MDT\)" -- cl rag history --workstream "High intensity users"
jcheck "inbox" deliveries -- cl --as childrens inbox
jcheck "request list" requests -- cl request list
jcheck "admin feeds" feeds -- cl admin feeds
jcheck "audit search" entries -- cl audit search --id "$cid"
cl --as childrens inbox --json > j.json
grep -q '"at":"20[0-9-]*T[0-9:]*Z"' j.json && passes=$((passes + 1)) || { echo "FAIL inbox --json times are not ISO"; fails=$((fails + 1)); }

# Connection errors said at once and named.
t0=$(date +%s%N)
check "nothing listening, at once" 3 "nothing is listening at ipc:///nonexistent/sock" -- "$cli" --endpoint ipc:///nonexistent/sock --server-key "$dir/dev/keys/server.pub" --key "$dir/dev/keys/gp.key" health
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 1500 ] && passes=$((passes + 1)) || { echo "FAIL unreachable took $(( (t1 - t0) / 1000000 )) ms"; fails=$((fails + 1)); }
check "wrong server key named" 3 "wrong server key: the daemon at .* did not accept the handshake made with .*police.pub" -- "$cli" --endpoint "ipc://$dir/dev/caselinkd.sock" --server-key "$dir/dev/keys/police.pub" --key "$dir/dev/keys/gp.key" health
check "unregistered key named" 3 "refused this client's key" -- "$cli" --endpoint "ipc://$dir/dev/caselinkd.sock" --server-key "$dir/dev/keys/server.pub" --key "$dir/newgp.key" health

check "admin usage" 2 "usage: caselink admin" -- cl admin frob
check "admin stats" 0 "requests by kind and status" -- cl admin stats
check "admin stats as coordinator" 1 "denied" -- cl --as coordinator admin stats
check "admin backup" 0 "backup written: .*backups/b1/data.mdb" -- cl admin backup b1
check "admin backup again replaces it" 0 "backup written: .*backups/b1/data.mdb \([0-9]+ bytes" -- cl admin backup b1
check "admin backup bad name" 1 "letters, digits" -- cl admin backup "../x"
check "admin rotate" 0 "current data key version: 2" -- cl admin rotate-key
check "admin retire current" 1 "cannot be retired" -- cl admin retire-key 2
check "admin key-status" 0 "current data key version: 2" -- cl admin key-status
for _ in $(seq 150); do cl admin key-status | grep -q '^still to re-seal: 0' && break; sleep 0.2; done
check "key-status shows an emptied version" 0 "version 1: 0 values \(emptied: caselink admin retire-key 1\)" -- cl admin key-status

# the intake queue: a referral that asks for the MDT
check "publish asking for the MDT" 0 "^accepted: CL-" -- cl --as police publish referral --ref POL-IN1 --nhs 4505577104 --given Tom --family Brown --dob 1990-02-02 --category antisocial_behaviour --basis public_task_public_interest --ask-mdt yes
check "publish bad ask_mdt" 2 "ask_mdt must be yes or no" -- cl --as police publish referral --ref POL-IN2 --nhs 4505577104 --given Tom --family Brown --category housing --basis consent --ask-mdt perhaps
check "intake list" 0 "IN-00000001 .* rule asked_for_mdt +open" -- cl intake
check "intake names the person" 0 "Tom Brown, born 2 Feb 1990 \(P[0-9]+\)" -- cl intake list
check "intake says where from" 0 "from Northshire Police \(police\): antisocial behaviour" -- cl intake
check "intake not on an agenda" 0 "not on any agenda" -- cl intake
check "intake as gp" 1 "denied" -- cl --as gp intake
check "intake usage" 2 "usage: caselink intake" -- cl intake accept
check "intake bad id" 1 "intake_id must look like IN-00000042" -- cl intake accept IN-x --review MDT-00000001
check "intake accept" 0 "IN-00000001 accepted: on the agenda of MDT-00000001" -- cl intake accept IN-00000001 --review MDT-00000001
check "intake decided once" 1 "already accepted" -- cl intake decline IN-00000001 --reason "no"
check "intake all" 0 "accepted .* by Chris Jones, Northshire Extended MDT: onto MDT-00000001" -- cl intake --all
check "intake referrer told" 0 "accepted by Northshire Extended MDT" -- cl --as police inbox
check "intake in the coordinators' inbox" 0 "intake +IN-00000001 rule asked_for_mdt: Tom Brown" -- cl --as coordinator inbox
# lists, and actions owned by agencies
check "referral list" 0 "CL-[0-9]+ .* Northshire Police \(POL-IN1\) +Tom Brown, born 2 Feb 1990 \(P[0-9]+\) +antisocial behaviour" -- cl referral list --agency "Northshire Police" --nhs 4505577104
check "referral list bad status" 2 "usage: caselink referral list" -- cl referral list --status pending
check "referral list bad date" 2 "--from" -- cl referral list --from 31/02/2026
check "referral list as gp" 1 "denied" -- cl --as gp referral list
check "referral list names a misspelt agency" 1 "agency: no registered agency 'Northshire Polise'; did you mean 'Northshire Police'\?" -- cl referral list --agency "Northshire Polise"
check "mdt list" 0 "MDT-00000001 .* Extended MDT" -- cl mdt list
check "mdt list counts" 0 "[0-9]+ on the agenda, [0-9]+ discussed; actions: [0-9]+ open" -- cl mdt list --upcoming
check "referral list none says why" 0 "No referral matches every filter given" -- cl referral list --agency "Northshire Police" --category housing --status closed
check "referral list past the end says so" 0 "Nothing after CL-99999999: that was the last page" -- cl referral list --after CL-99999999
cl referral list --nhs 4505577104 --json > j.json
python3 - j.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL referral list --json"; head -c 600 j.json; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["referrals"] if x["agency_reference"] == "POL-IN1"][0]
assert r["referral_id"].startswith("CL-") and r["person_id"].startswith("P"), r
assert (r["given_names"], r["family_name"], r["date_of_birth"]) == ("Tom", "Brown", "1990-02-02"), r
assert r["category"] == "antisocial_behaviour" and r["received_at"].endswith("Z"), r
PY
cl mdt list --json > j.json
python3 - j.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL mdt list --json"; head -c 600 j.json; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
m = [x for x in d["reviews"] if x["review_id"] == "MDT-00000001"][0]
assert m["date"] == "2027-12-01" and m["title"] == "Extended MDT", m
assert "Oakfield Surgery" in m["agencies"] and m["on_agenda"] >= 1, m
PY
cl intake --all --json > j.json
python3 - j.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL intake --json"; head -c 600 j.json; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
x = [i for i in d["items"] if i["intake_id"] == "IN-00000001"][0]
assert x["rule"] == "asked_for_mdt" and x["state"] == "accepted", x
assert (x["given_names"], x["family_name"]) == ("Tom", "Brown") and x["review_id"] == "MDT-00000001", x
assert x["raised_at"].endswith("Z") and x["decided_at"].endswith("Z"), x
PY
inpid=$(cl referral list --nhs 4505577104 | grep -o 'P[0-9]\{8\}' | head -1)
check "action for the police" 0 "action added: ACT-" -- cl action add MDT-00000001 --id "$inpid" --text "=HYPERLINK(\"http://x\") welfare check" --owner "PC S Hughes" --owner-agency "Northshire Police" --due 2099-01-31
act=$(cl actions --review MDT-00000001 --id "$inpid" | grep -o 'ACT-[0-9]\{8\}' | tail -1)
check "police inbox has the action" 0 "$act assigned: =HYPERLINK.* for Tom Brown" -- cl --as police inbox
check "police list their actions" 0 "$act" -- cl --as police actions
check "gp sees none of them" 0 "^0 actions" -- cl --as gp actions --id "$inpid"
check "gp cannot close it" 1 "among your agency's actions" -- cl --as gp action done "$act"
check "police block it" 0 "blocked: $act" -- cl --as police action block "$act" --note "no answer at the door"
check "police close it" 0 "done: $act" -- cl --as police action done "$act" --note "seen, safe"
check "coordinator sees who and when" 0 "done by PC Sam Hughes, Northshire Police: seen, safe" -- cl actions --review MDT-00000001
check "coordinator told" 0 "$act updated: .* done by PC Sam Hughes" -- cl --as coordinator inbox
check "actions csv" 0 "wrote [0-9]+ actions? to actions.csv" -- cl actions --csv actions.csv
check "actions csv header" 0 "^action_id,review_id,person_id,text,owner_name,owner_agency,due,status,overdue,note,updated_at,updated_by,updated_user" -- head -1 actions.csv
check "actions csv no formula" 0 "\"'=HYPERLINK" -- cat actions.csv

# link rerun --wait: progress on a terminal, nothing when piped
out=$(pty_run "$cli" --dev "$dir/dev" link rerun --wait)
grep -q $'\r\e\[Klink rerun: [0-9]* records' <<<"$out" && passes=$((passes + 1)) || { echo "FAIL link rerun progress on a terminal:"; cat -v <<<"$out" | tail -3; fails=$((fails + 1)); }
grep -q "relinking: done" <<<"$out" && passes=$((passes + 1)) || { echo "FAIL link rerun --wait summary"; cat -v <<<"$out" | tail -5; fails=$((fails + 1)); }
cl link rerun --wait --json >rerun.json 2>err.txt
grep -q $'\r' err.txt && { echo "FAIL link rerun progress when not a terminal"; fails=$((fails + 1)); } || passes=$((passes + 1))
python3 -c 'import json; d=json.load(open("rerun.json")); assert d["rerun_running"] is False and d["rerun_done"] > 0, d' && passes=$((passes + 1)) || { echo "FAIL link rerun --wait --json"; head -c 300 rerun.json; fails=$((fails + 1)); }
# a second rerun asks nothing new: every pair it ends at was asked
# before, so none is newly queued, while the queue still holds them
check "link rerun counts only pairs newly queued" 0 "relinking: done, .* 0 pairs newly queued for review$" -- cl link rerun --wait
check "link rerun names the queue's open pairs apart" 0 "match list. shows every open pair, those queued before too" -- cl link weights
check "link rerun: the queue still holds pairs" 0 "[1-9][0-9]* pairs? to review" -- cl match list
check "admin stats says newly queued" 0 "relinking done: .* 0 pairs newly queued" -- cl admin stats

# admin backup: while it runs, admin stats says how far it has got, and on
# a terminal (a tmux pane, as an operator sees it) the CLI shows the bytes
# written, the rate and the time left. The daemon runs under slowdisk so
# the copy (over in a blink on this machine) takes a few seconds.
kb=$(cl admin stats | sed -n 's/^store: \([0-9]*\) KiB used.*/\1/p')
kill "$pid"; wait "$pid"; pid=
# about three seconds a backup, whatever the store has grown to by now
LD_PRELOAD=$slowdisk CL_SLOWDISK_MATCH=/backups/. \
    CL_SLOWDISK_MBPS=$(( ${kb:-3000} / 3000 + 1 )) \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" start
cl admin backup piped >/dev/null 2>err.txt &
bpid=$!
seen=
for _ in $(seq 100); do
    seen=$(cl admin stats | grep "^backup: running")
    [ -n "$seen" ] && break
    sleep 0.1
done
grep -qE "^backup: running, [0-9.]+ MB of about [1-9][0-9.]* MB written" <<<"$seen" && passes=$((passes + 1)) || { echo "FAIL admin stats during a backup: '$seen'"; fails=$((fails + 1)); }
wait "$bpid" && passes=$((passes + 1)) || { echo "FAIL piped backup"; fails=$((fails + 1)); }
[ -s err.txt ] && { echo "FAIL backup printed when not a terminal:"; cat -v err.txt; fails=$((fails + 1)); } || passes=$((passes + 1))
cl admin stats | grep -q "^backup:" && { echo "FAIL admin stats shows a backup after it ended"; fails=$((fails + 1)); } || passes=$((passes + 1))
tm() { tmux -S "$dir/tmux.sock" "$@"; }
TERM=xterm tm new-session -d -x 150 -y 12 -s backup \
    "'$cli' --dev '$dir/dev' admin backup nightly; echo exit=\$?; sleep 300"
lines=
for _ in $(seq 300); do
    screen=$(tm capture-pane -p -t backup)
    grep -q "^backup: " <<<"$screen" && lines+=$(grep "^backup: " <<<"$screen")$'\n'
    grep -q "^exit=" <<<"$screen" && break
    sleep 0.05
done
grep -qE "^backup: [0-9.]+ MB \([0-9]+%\), [0-9.]+ MB/s, [0-9]+ s left" <<<"$lines" && passes=$((passes + 1)) || { echo "FAIL backup progress in a terminal:"; echo "$lines" | tail -3; fails=$((fails + 1)); }
grep -qE "^backup written: .*backups/nightly/data.mdb \([0-9]+ bytes" <<<"$screen" && grep -q "^exit=0" <<<"$screen" && passes=$((passes + 1)) || { echo "FAIL backup in a terminal:"; echo "$screen"; fails=$((fails + 1)); }
# the progress line is gone once the backup has answered
grep -q "MB/s" <<<"$screen" && { echo "FAIL backup progress left on the screen:"; echo "$screen"; fails=$((fails + 1)); } || passes=$((passes + 1))
tm kill-server
# with no writes meanwhile, the expected size is the copy's size exactly
about=$(sed -n 's/.*backup started: .*nightly.partial (about \([0-9]*\) bytes)/\1/p' "$dir/daemon.log" | tail -1)
made=$(sed -n 's/.*backup done: .*nightly (\([0-9]*\) bytes)/\1/p' "$dir/daemon.log" | tail -1)
[ -n "$about" ] && [ "$about" = "$made" ] && passes=$((passes + 1)) || { echo "FAIL backup size expected '$about', written '$made'"; fails=$((fails + 1)); }

# --json on EVERY command: each row `caselink help` marks [--json] is run
# here and its output parsed as JSON (a new row marked without a line here
# fails); every other command refuses --json before it sends anything.
purpose=(--access-reason mdt_preparation --purpose "preparing the north locality MDT")
seq=$(cl --as childrens inbox --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["deliveries"][0]["seq"])')
umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/dev/master.key.next"; umask 022
declare -A jrun=(
    ["health"]="cl health"
    ["person show"]="cl person show --id $cid ${purpose[*]@Q}"
    ["person find"]="cl person find --given Claire --family Booth --dob 24/12/1980 ${purpose[*]@Q}"
    ["casefind"]="cl casefind --agency 'Northshire Police' --min 1 ${purpose[*]@Q}"
    ["link train"]="cl link train --sample 50"
    ["link weights"]="cl link weights"
    ["link rerun"]="cat rerun.json #" # run above, where it waited anyway
    ["match list"]="cl match list"
    ["actions"]="cl actions"
    ["referral list"]="cl referral list"
    ["mdt list"]="cl mdt list"
    ["rag history"]="cl rag history --workstream 'High intensity users'"
    ["inbox"]="cl --as childrens inbox"
    ["inbox show"]="cl --as childrens inbox show $seq"
    ["request list"]="cl request list"
    ["audit verify"]="cl audit verify"
    ["audit search"]="cl audit search --id $cid"
    ["audit flags"]="cl audit flags"
    ["audit subject-access"]="cl audit subject-access --id $cid"
    ["admin stats"]="cl admin stats"
    ["admin feeds"]="cl admin feeds"
    ["admin backup"]="cl admin backup jsonb"
    ["admin key-status"]="cl admin key-status"
    ["admin rotate-key"]="cl admin rotate-key"
    ["admin rotate-master"]="cl admin rotate-master"
    ["admin retire-key"]="for _ in \$(seq 150); do cl admin key-status | grep -q '^still to re-seal: 0' && break; sleep 0.2; done; cl admin retire-key 1"
    ["intake"]="cl intake --all"
)
while IFS= read -r line; do
    [[ $line =~ ^\ \ ([a-z-]+)(\ ([a-z][a-z-]*))?(\ |$) ]] || continue
    words=${BASH_REMATCH[1]}${BASH_REMATCH[3]:+ ${BASH_REMATCH[3]}}
    if [ "$words" = report ]; then # its own --json FILE
        cl report --json - > j.json 2> j.err
    elif [ "$words" = "admin promote" ]; then # a single node: refused, stdout empty
        cl admin promote --json > j.json 2> j.err
        [ $? = 1 ] && [ ! -s j.json ] && grep -q "replication is not configured" j.err && passes=$((passes + 1)) || { echo "FAIL admin promote --json on a single node:"; cat j.json j.err; fails=$((fails + 1)); }
        continue
    elif [[ $line == *"[--json]" ]]; then
        if [ -z "${jrun[$words]+x}" ]; then
            echo "FAIL --json on '$words': no line in test_cli runs it"; fails=$((fails + 1)); continue
        fi
        eval "${jrun[$words]} --json" > j.json 2> j.err
        unset "jrun[$words]"
    else
        # shellcheck disable=SC2086
        out=$(cl $words --json 2>&1); st=$?
        [ "$st" = 2 ] && grep -q "^caselink $words: --json is not offered here (nothing was sent)" <<<"$out" && passes=$((passes + 1)) || { echo "FAIL '$words --json' not refused (status $st): $out"; fails=$((fails + 1)); }
        continue
    fi
    if python3 -c 'import json,sys; json.load(open("j.json"))' 2>/dev/null; then
        passes=$((passes + 1))
    else
        echo "FAIL --json on '$words' is not JSON:"; head -c 300 j.json; head -3 j.err; fails=$((fails + 1))
    fi
done < <("$cli" help | sed '/^Old names/,$d')
for w in "${!jrun[@]}"; do echo "FAIL test_cli runs '$w --json', which help does not mark"; fails=$((fails + 1)); done
# inbox --follow --json: one object a line
cl --as police inbox --follow --for 1 --json > jl.json 2>/dev/null
python3 -c 'import json,sys; l=[json.loads(x) for x in open("jl.json")]; assert l and all("kind" in x for x in l)' && passes=$((passes + 1)) || { echo "FAIL inbox --follow --json:"; head -c 300 jl.json; fails=$((fails + 1)); }
# the figures are the text's figures
cl admin stats --json > j.json
python3 - j.json "$(cl health --json)" <<'PY' && passes=$((passes + 1)) || { echo "FAIL admin stats --json figures"; head -c 600 j.json; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1])); h = json.loads(sys.argv[2])
assert d["persons"] == h["persons"] > 0 and d["referrals"] == h["referrals"] > 0, (d, h)
assert any(r["kind"] == "admin_stats" and r["status"] == "ok" and r["count"] >= 1 for r in d["requests"]), d["requests"]
assert any(m["agency"] == "Northshire Extended MDT" for m in d["mailboxes"]), d["mailboxes"]
assert d["replication"]["role"] in ("", "single"), d["replication"]
assert d["key_version"] >= 1 and d["store_bytes"] <= d["map_bytes"], d
PY
cl admin key-status --json > j.json
python3 - j.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL admin key-status --json"; cat j.json; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
v = {x["version"]: x for x in d["versions"]}
assert d["current"] in v and v[1]["retired"] is True and d["pending"] == 0, d
PY
cl link weights --json > j.json
python3 - j.json <<'PY' && passes=$((passes + 1)) || { echo "FAIL link weights --json"; head -c 600 j.json; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["link_weight"] > d["review_weight"] and 0 < d["prior"] < 1, d
assert d["proposed"] is True and d["trained_at"].endswith("Z"), d
lv = {x["level"]: x for x in d["levels"]}
assert len(lv) >= 10 and all(0 <= x["m"] <= 1 and 0 <= x["u"] <= 1 for x in lv.values()), lv
assert d["proposed_families_share"] >= 0 and isinstance(d["proposed_families_apart"], bool), d
assert d["proposed_families_apart"] == (0 < d["proposed_families_share"] <= 3), d
assert d["families_apart"] is False and d["families_share"] == 0, d
# a partial agreement never outweighs its field's exact one
for part, exact in (("given.prefix", "given.exact"), ("given.initial", "given.exact"), ("dob.typo", "dob.exact")):
    assert lv[part]["weight"] <= lv[exact]["weight"] + 1e-9, (part, lv[part], lv[exact])
PY
check "link weights says what it takes of families" 0 "families: taken to live together until trained" -- cl link weights
check "--json refused names the command" 2 "caselink mdt create: --json is not offered here" -- cl mdt create --date 01/12/2027 --title "never made" --json
if cl mdt list | grep -q "never made"; then echo "FAIL a refused --json still sent the request"; fails=$((fails + 1)); else passes=$((passes + 1)); fi

kill "$pid"; wait "$pid"; pid=
check "daemon down" 3 "nothing is listening at ipc://.*caselinkd is not running there" -- cl --timeout 300 health

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
