#!/usr/bin/env bash
# febrl: measure caselink's linking on the FEBRL labelled sets, through the
# real daemon and CLI, the way a partnership would measure it on its own
# sample. For each set, the originals are one agency's caseload (Oakfield
# Surgery) and the duplicates another's (Northshire Police), imported with
# `caselink import persons` (no soc_sec_id: the probabilistic path alone),
# then scored with `caselink link evaluate --truth` (pairwise and cluster
# figures, the review queue, a table by threshold). With --no-address the
# street, address and postcode columns are left out (names, date of birth
# and town only).
#
#   tests/febrl.sh CASELINKD CASELINK [--data DIR] [--set N]... [--no-address]
#                  [--both] [--online] [--check] [--misses] [--baseline]
#
# After the import it trains weights on the store (`caselink link train`),
# accepts them and relinks (`link rerun --wait`), then evaluates; the
# figures with the default weights, online at import, are printed first.
# --online stops after the import (defaults only).
#
# FEBRL_KEEP=DIR keeps each run's store, master key and truth file in
# DIR/datasetN-MODE for inspection (they hold the FEBRL records).
# --misses runs caselink-link-misses (built beside the CLI, in tests/) on
# each store: where the true pairs not linked went, class by class.
# --baseline also runs tests/fs_baseline.py, a plain batch Fellegi-Sunter
# linker, on the same files, and prints its figures after caselink's.
#
# --check exits 1 unless every set meets the targets: precision >= 0.995
# and recall >= 0.98 from auto-links alone, recall >= 0.99 with the review
# queue. --floor (ctest's test_febrl) checks lower floors, just under what
# this version measures, so that CI catches a regression. Without the data (DIR, default ../shared/data/febrl beside the
# repository or /work/shared/data/febrl) it says so and exits 77 (skip).
set -u
daemon=$1
cli=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
data=
sets=()
modes=(full)
check=0
train=1
misses=0
baseline=0
while [ $# -gt 0 ]; do
    case $1 in
    --data) data=$2; shift ;;
    --set) sets+=("$2"); shift ;;
    --no-address) modes=(noaddr) ;;
    --both) modes=(full noaddr) ;;
    --check) check=1 ;;
    --floor) check=2 ;;
    --online) train=0 ;;
    --misses) misses=1 ;;
    --baseline) baseline=1 ;;
    *) echo "febrl.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$data" ]; then
    for d in "$here/../shared/data/febrl" /work/shared/data/febrl; do
        [ -f "$d/dataset1.csv" ] && { data=$d; break; }
    done
fi
if [ -z "$data" ] || [ ! -f "$data/dataset1.csv" ]; then
    echo "SKIP: the FEBRL sets are not here (looked for" \
        "../shared/data/febrl beside the repository and" \
        "/work/shared/data/febrl; or pass --data DIR)"
    exit 77
fi
[ ${#sets[@]} -eq 0 ] && sets=(1 2 3)

dir=$(mktemp -d /tmp/cltest.febrl.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

# FEBRL columns: rec_id, given_name, surname, street_number, address_1,
# address_2, suburb, postcode, state, date_of_birth, soc_sec_id. The
# header written keeps FEBRL's space after each comma (accepted).
convert() { # convert SRC ORIG DUPS TRUTH MODE
    awk -F', *' -v orig="$2" -v dups="$3" -v truth="$4" -v mode="$5" '
    function d(s) {
        return length(s) == 8 ? substr(s, 1, 4) "-" substr(s, 5, 2) "-" \
            substr(s, 7, 2) : s
    }
    NR == 1 {
        h = mode == "full" ? \
            "local_id, given_names, family_name, date_of_birth, " \
            "address_line1, address_line2, town, postcode" : \
            "local_id, given_names, family_name, date_of_birth, town"
        print h > orig; print h > dups
        print "agency,local_id,cluster" > truth
        next
    }
    {
        id = $1; split(id, p, "-"); out = id ~ /-org$/ ? orig : dups
        ag = id ~ /-org$/ ? "Oakfield Surgery" : "Northshire Police"
        street = $4 != "" ? $4 " " $5 : $5
        if (mode == "full")
            printf "%s,%s,%s,%s,%s,%s,%s,%s\n", id, $2, $3, d($10), street,
                $6, $7, $8 > out
        else
            printf "%s,%s,%s,%s,%s\n", id, $2, $3, d($10), $7 > out
        printf "%s,%s,%s\n", ag, id, p[2] > truth
    }' "$1"
}

start() {
    rm -rf "$dir/dev"
    "$daemon" --dev "$dir/dev" 2>>"$dir/daemon.log" &
    pid=$!
    for _ in $(seq 200); do
        "$cli" --dev "$dir/dev" --timeout 200 health >/dev/null 2>&1 && return
        sleep 0.05
    done
    echo "daemon did not start"; cat "$dir/daemon.log"; exit 1
}

stop() {
    kill "$pid" && wait "$pid" 2>/dev/null
    pid=
}

fails=0
for mode in "${modes[@]}"; do
    for n in "${sets[@]}"; do
        src=$data/dataset$n.csv
        [ -f "$src" ] || { echo "febrl.sh: no $src" >&2; exit 2; }
        convert "$src" "$dir/orig.csv" "$dir/dups.csv" "$dir/truth.csv" "$mode"
        start
        label="dataset$n"
        [ "$mode" = noaddr ] && label="$label, names + date of birth + town only"
        echo "== FEBRL $label"
        t0=$(date +%s.%N)
        "$cli" --dev "$dir/dev" --as gp --timeout 60000 import persons \
            "$dir/orig.csv" --agency "Oakfield Surgery" 2>"$dir/imp1.err" |
            sed 's|^.*orig.csv|originals (Oakfield Surgery)|'
        "$cli" --dev "$dir/dev" --as police --timeout 60000 import persons \
            "$dir/dups.csv" --agency "Northshire Police" 2>"$dir/imp2.err" |
            sed 's|^.*dups.csv|duplicates (Northshire Police)|'
        t1=$(date +%s.%N)
        w=$(cat "$dir/imp1.err" "$dir/imp2.err" | grep -c warning)
        echo "import: $(echo "$t1 - $t0" | bc) s; $w field warnings"
        if [ "$train" = 1 ]; then
            echo "-- linked online at import, with the documented default weights"
            "$cli" --dev "$dir/dev" --timeout 60000 link evaluate \
                --truth "$dir/truth.csv" | grep -E "^(pairwise|review queue|clusters)"
            echo "-- after caselink link train, link weights --accept, link rerun"
            t0=$(date +%s.%N)
            "$cli" --dev "$dir/dev" --timeout 120000 link train >"$dir/train.txt" || {
                cat "$dir/train.txt"; exit 1; }
            "$cli" --dev "$dir/dev" --timeout 60000 link weights --accept >/dev/null
            "$cli" --dev "$dir/dev" --timeout 60000 link rerun --wait >"$dir/rerun.txt"
            t1=$(date +%s.%N)
            echo "train + accept + rerun: $(echo "$t1 - $t0" | bc) s;" \
                "$(grep -E '^relinking' "$dir/rerun.txt")"
            [ -n "${FEBRL_WEIGHTS:-}" ] && cat "$dir/rerun.txt"
        fi
        "$cli" --dev "$dir/dev" --timeout 60000 link evaluate \
            --truth "$dir/truth.csv" | tee "$dir/eval.txt"
        stop
        [ $baseline = 1 ] && python3 "$here/tests/fs_baseline.py" \
            "$dir/orig.csv" "$dir/dups.csv" "$dir/truth.csv"
        [ $misses = 1 ] && "$(dirname "$cli")/../tests/caselink-link-misses" \
            "$dir/dev/state" "$dir/dev/master.key" "$dir/truth.csv"
        if [ -n "${FEBRL_KEEP:-}" ]; then
            keep=$FEBRL_KEEP/dataset$n-$mode
            rm -rf "$keep" && mkdir -p "$keep" &&
                cp -r "$dir/dev/state" "$dir/dev/master.key" "$dir/truth.csv" \
                    "$keep/" && echo "kept in $keep"
        fi
        if [ $check != 0 ]; then
            read -r ap ar < <(awk '/^pairwise, auto-links:/ {print $4, $6}' \
                "$dir/eval.txt")
            qr=$(awk '/^pairwise, \+ review queue:/ {print $8}' \
                "$dir/eval.txt")
            # --check: the issue's targets; --floor: what this version
            # measured, less a little (a regression test for CI)
            tr=0.98 tq=0.99
            if [ $check = 2 ]; then
                # training is seeded, so these are stable run to run
                tr=0.99 tq=0.998
                [ "$mode" = noaddr ] && tr=0.972 tq=0.993
            fi
            if ! awk -v p="$ap" -v r="$ar" -v q="$qr" -v tr=$tr -v tq=$tq \
                'BEGIN { exit !(p >= 0.995 && r >= tr && q >= tq) }'; then
                echo "FAIL FEBRL $label: auto-links precision $ap recall" \
                    "$ar, with the review queue recall $qr (wanted" \
                    "0.995 / $tr / $tq)"
                fails=$((fails + 1))
            fi
        fi
        echo
    done
done
exit $((fails > 0))
