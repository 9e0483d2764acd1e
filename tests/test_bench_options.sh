#!/usr/bin/env bash
# test_bench_options: caselink-bench refuses what it does not know (an
# unknown option, a missing or malformed value, an unknown load name)
# with its usage line and exit status 2, before it starts anything; a
# mistyped option must never start the default 1M-person load.
# Usage: test_bench_options.sh CASELINK_BENCH
set -u
bench=$1
fails=0
refuse() {
    local err rc
    err=$(timeout 20 "$bench" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" != 2 ] || ! grep -q '^usage: caselink-bench' <<<"$err" ||
        grep -q loading <<<"$err"; then
        echo "FAIL caselink-bench $*: status $rc, said: $err"
        fails=$((fails + 1))
    fi
}
refuse --peple 20000
refuse --people 20000 --second 3
refuse -h
refuse people
refuse --people
refuse --people 20k
refuse --people -5
refuse --seconds 0
refuse --seconds soon
refuse --loads w8,w64
refuse --loads ''
refuse --log maybe
refuse --writer-cost
out=$(timeout 20 "$bench" --help) && grep -q '^usage: caselink-bench' <<<"$out" ||
    { echo "FAIL caselink-bench --help: $out"; fails=$((fails + 1)); }
grep -q 'unknown option --peple' <<<"$(timeout 20 "$bench" --peple 1 2>&1)" ||
    { echo "FAIL the refusal names the option"; fails=$((fails + 1)); }
[ "$fails" = 0 ] && echo "test_bench_options: all passed"
exit $((fails > 0))
