#!/bin/sh
# rekey_bench: how long `caselinkd --rekey-indexes` takes per N people.
# Builds a store of N synthetic people (tests/synth.c, stored as linked
# by caselink-match-bench: records, people, identifier and blocking
# index rows as the daemon writes them), then re-indexes it with the
# daemon, which prints the rows, wall and CPU seconds; with the load.
#
#   tests/rekey_bench.sh BUILD_DIR [PEOPLE]    (default 10000)
set -eu
build=${1:?usage: tests/rekey_bench.sh BUILD_DIR [PEOPLE]}
people=${2:-10000}
work=$(mktemp -d /tmp/rekey-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
store=$work/store
"$build/tests/caselink-match-bench" --people "$people" --store "$store" \
    > "$work/bench.txt" 2> "$work/bench.err"
"$build/daemon/caselinkd" --dev "$work/d" --check-config > /dev/null
cp "$store/data.mdb" "$store/id-floor" "$work/d/state/"
rm -f "$work/d/state/lock.mdb"
rm -rf "$store"
# the benchmark's master key: 32 bytes of 5
(umask 077; printf '05%.0s' $(seq 32) > "$work/d/master.key")
echo "store: $(sed -n 's/^population (stored as linked) *//p' "$work/bench.txt" |
    sed 's/, stored in.*//'), $(du -k "$work/d/state/data.mdb" | cut -f1) KiB"
"$build/daemon/caselinkd" --dev "$work/d" --rekey-indexes 2>&1 |
    sed -n 's/^<6>rekey-indexes: done: /rekey-indexes: /p'
echo "after: $(du -k "$work/d/state/data.mdb" | cut -f1) KiB; $(uptime)"
