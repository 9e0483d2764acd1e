#!/usr/bin/env bash
# test_systemd: the shipped unit passes 'systemd-analyze verify' and rates
# 1.2 or better in 'systemd-analyze security --offline=yes'; the man pages
# render without warnings (caselink(1) as the tool writes it from its
# command table); the master key is replaced through the unit's
# credentials. Usage: test_systemd.sh SOURCE_DIR CASELINKD CASELINK_1 CASELINK
set -u
src=$1
daemon=$2
man1=$3
cli=$4
rpid=
tmp=$(mktemp -d /tmp/cltest.systemd.XXXXXX)
fails=0
passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# man pages: installed layout for 'man caselinkd(8)' lookups
mkdir -p "$tmp/man/man8" "$tmp/man/man1"
cp "$src/man/caselinkd.8" "$tmp/man/man8/"
cp "$man1" "$tmp/man/man1/caselink.1"
for page in "$tmp/man/man8/caselinkd.8" "$tmp/man/man1/caselink.1"; do
    warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
    if [ -z "$warn" ]; then ok; else bad "man page $page: $warn"; fi
done

# The unit as shipped, with ExecStart pointing at the binary just built.
unit=$tmp/caselinkd.service
sed "s|/usr/sbin/caselinkd|$daemon|" "$src/systemd/caselinkd.service" > "$unit"
out=$(MANPATH="$tmp/man" systemd-analyze verify "$unit" 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then ok; else bad "systemd-analyze verify: $out"; fi

score=$(systemd-analyze security --offline=yes "$unit" 2>&1 |
        sed -n 's/.*Overall exposure level for caselinkd.service: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 1.2) }'; then
    echo "systemd-analyze security: exposure $score"
    ok
else
    bad "systemd-analyze security: exposure '${score:-?}' (want 1.2 or better)"
fi

# The resource and network limits the threat model relies on are shipped,
# and so is the allow-list drop-in pattern (it verifies as a drop-in).
grep -q '^LimitNOFILE=[0-9]' "$unit" && ok || bad "unit has no LimitNOFILE"
grep -q '^IPAddressDeny=any' "$unit" && grep -q '^IPAddressAllow=localhost' "$unit" && ok || bad "unit is not deny-by-default on the network"
! grep -q '^IPAddressAllow=any' "$unit" && ok || bad "unit allows any address"
mkdir -p "$tmp/caselinkd.service.d"
cp "$src/systemd/caselinkd-network.conf.sample" "$tmp/caselinkd.service.d/network.conf"
out=$(MANPATH="$tmp/man" systemd-analyze verify "$unit" 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then ok; else bad "verify with the network drop-in: $out"; fi

cp "$src/systemd/caselinkd-rotate.conf.sample" "$tmp/caselinkd.service.d/rotate.conf"
out=$(MANPATH="$tmp/man" systemd-analyze verify "$unit" 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then ok; else bad "verify with the rotate drop-in: $out"; fi
grep -q '^LoadCredential=master.key.next:/etc/caselink/master.key.next$' \
    "$src/systemd/caselinkd-rotate.conf.sample" && ok || bad "rotate drop-in names no .next credential"

# Replacing the master key the way the unit runs the daemon: both keys in
# a credentials directory ($CREDENTIALS_DIRECTORY, as systemd sets it),
# the configuration naming credential:master.key. Without the rotate
# drop-in's credential the refusal names the file; with it the key is
# replaced; the restart with the old credential still in place opens
# with .next, and once .next is moved over it, with the new key alone.
rot=$tmp/rot
"$daemon" --dev "$rot" --check-config >/dev/null 2>&1 || bad "dev folder for rotation"
mkdir -m 700 "$rot/creds"
mv "$rot/master.key" "$rot/creds/master.key"
sed -i "s|^master_key = .*|master_key = credential:master.key|" "$rot/caselinkd.conf"
rot_start() {
    CREDENTIALS_DIRECTORY=$rot/creds "$daemon" --config "$rot/caselinkd.conf" \
        2>>"$rot/daemon.log" &
    rpid=$!
    for _ in $(seq 600); do
        "$cli" --dev "$rot" --timeout 200 health >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}
rot_stop() { kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; }
rot_start || bad "daemon with credential:master.key: $(tail -3 "$rot/daemon.log")"
out=$("$cli" --dev "$rot" --as operator admin rotate-master 2>&1)
if [ $? -ne 0 ] && grep -q "master.key.next.*caselinkd-rotate.conf.sample" <<<"$out"; then ok; else bad "rotate without .next: $out"; fi
(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$rot/creds/master.key.next")
out=$("$cli" --dev "$rot" --as operator admin rotate-master 2>&1)
if [ $? -eq 0 ]; then ok; else bad "rotate with the .next credential: $out"; fi
rot_stop
rot_start && ok || bad "restart before .next is moved: $(tail -3 "$rot/daemon.log")"
rot_stop
mv "$rot/creds/master.key.next" "$rot/creds/master.key"
rot_start && ok || bad "restart with the new key: $(tail -3 "$rot/daemon.log")"
out=$("$cli" --dev "$rot" --as auditor audit verify 2>&1)
if [ $? -eq 0 ]; then ok; else bad "audit verify after the replacement: $out"; fi

# One daemon per store: a second one on the same state directory (another
# endpoint, as an operator debugging by hand would) is refused before it
# opens the store; --check-config beside the running one neither opens
# the store nor takes its ipc:// socket away.
sed "s|^endpoint = .*|endpoint = tcp://127.0.0.1:1|" "$rot/caselinkd.conf" > "$rot/second.conf"
out=$(CREDENTIALS_DIRECTORY=$rot/creds timeout 20 "$daemon" --config "$rot/second.conf" 2>&1)
if [ $? -eq 1 ] && grep -q "caselinkd is running on the store .* already (pid $rpid)" <<<"$out"; then ok; else bad "second daemon on one store: $out"; fi
out=$(CREDENTIALS_DIRECTORY=$rot/creds "$daemon" --config "$rot/caselinkd.conf" --check-config 2>&1)
if [ $? -eq 0 ] && grep -q "the store was not checked: caselinkd (pid $rpid)" <<<"$out"; then ok; else bad "check-config beside the daemon: $out"; fi
"$cli" --dev "$rot" --timeout 2000 health >/dev/null 2>&1 && ok || bad "the daemon's socket after check-config beside it"
rot_stop

# --check-config catches a bad setting and names file and line.
mkdir -p "$tmp/dev"
"$daemon" --dev "$tmp/dev" --check-config >/dev/null 2>&1 || bad "check-config on a good dev folder"
# a check contacts no NATS server (it must not join the stream, nor say a
# standby is fenced): nothing listens on port 1, and it still passes
cp "$tmp/dev/caselinkd.conf" "$tmp/repl.conf"
printf '[replication]\nservers = nats://127.0.0.1:1\nnode = check\n' >> "$tmp/repl.conf"
for mode in "" --standby; do
    out=$(timeout 20 "$daemon" --config "$tmp/repl.conf" $mode --check-config 2>&1)
    if [ $? -eq 0 ] && grep -q "NATS was not contacted" <<<"$out" && ! grep -qi "fenced\|nats.*refused\|cannot connect" <<<"$out"; then ok; else bad "check-config with replication $mode: $out"; fi
done
# the endpoint is bound and let go: a bad one is named
sed "s|^endpoint = .*|endpoint = tcp://256.1.1.1:5|" "$tmp/dev/caselinkd.conf" > "$tmp/ep.conf"
out=$("$daemon" --config "$tmp/ep.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "endpoint tcp://256.1.1.1:5: cannot bind it" <<<"$out"; then ok; else bad "check-config with a bad endpoint: $out"; fi
printf '[daemon]\nendpoint = tcp://127.0.0.1:1\n[limits]\nbatch_max = lots\n' > "$tmp/bad.conf"
out=$("$daemon" --config "$tmp/bad.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "bad.conf:4: batch_max must be a whole number" <<<"$out"; then ok; else bad "bad config: $out"; fi
# a comment after a value would become part of it (inih takes only ';')
printf '[daemon]\nendpoint = tcp://127.0.0.1:1\n[limits]\nbatch_max = 64  # more\n' > "$tmp/hash.conf"
out=$("$daemon" --config "$tmp/hash.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "hash.conf:4: batch_max: a '#' after a value" <<<"$out"; then ok; else bad "comment after a value: $out"; fi
cp "$tmp/dev/clients.conf" "$tmp/dev/clients.conf.good"
sed -i '0,/^users = \(.*\)/s//users = \1  # only these (others DENIED)/' "$tmp/dev/clients.conf"
out=$("$daemon" --config "$tmp/dev/caselinkd.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "clients.conf:[0-9]*: users: a '#' after a value" <<<"$out"; then ok; else bad "registry comment after users: $out"; fi
cp "$tmp/dev/clients.conf.good" "$tmp/dev/clients.conf"
sed -i '0,/^kind = police/s//kind = polise/' "$tmp/dev/clients.conf"
out=$("$daemon" --config "$tmp/dev/caselinkd.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "kind 'polise' is not an agency kind: did you mean 'police'" <<<"$out"; then ok; else bad "misspelt kind: $out"; fi
mv "$tmp/dev/clients.conf.good" "$tmp/dev/clients.conf"
printf '[daemon]\nfrobnicate = 1\n' > "$tmp/unknown.conf"
out=$("$daemon" --config "$tmp/unknown.conf" --check-config 2>&1)
if grep -q "unknown.conf:2: unknown setting \[daemon\] frobnicate" <<<"$out"; then ok; else bad "unknown setting: $out"; fi
out=$("$daemon" --config "$tmp/missing.conf" --check-config 2>&1)
if grep -q "missing.conf: cannot read" <<<"$out"; then ok; else bad "missing config: $out"; fi
# a master key readable by others is refused with a clear message
chmod 644 "$tmp/dev/master.key"
out=$("$daemon" --config "$tmp/dev/caselinkd.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "chmod 600" <<<"$out"; then ok; else bad "master key mode: $out"; fi
chmod 600 "$tmp/dev/master.key"
# a wrong master key is refused
mv "$tmp/dev/master.key" "$tmp/dev/master.key.real"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tmp/dev/master.key"
chmod 600 "$tmp/dev/master.key"
out=$("$daemon" --config "$tmp/dev/caselinkd.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "master key does not open this store" <<<"$out"; then ok; else bad "wrong master key: $out"; fi
mv "$tmp/dev/master.key.real" "$tmp/dev/master.key"
# linking weights are configurable and checked
printf '[weights]\ndob.exact = 0.9 0.0001\nfamily.nonsense = 0.5 0.5\n' > "$tmp/w.conf"
out=$("$daemon" --config "$tmp/w.conf" --check-config 2>&1)
if grep -q "w.conf:3: weights: 'family.nonsense' must be a known level" <<<"$out"; then ok; else bad "weights: $out"; fi
# a credential: path without systemd is explained
printf '[daemon]\nmaster_key = credential:master.key\n' > "$tmp/cred.conf"
out=$(env -u CREDENTIALS_DIRECTORY "$daemon" --config "$tmp/cred.conf" --check-config 2>&1)
if grep -q "LoadCredential" <<<"$out"; then ok; else bad "credential: $out"; fi

# a corrupted data file is refused, not read
cp -r "$tmp/dev" "$tmp/corrupt"
sed -i "s|$tmp/dev|$tmp/corrupt|g" "$tmp/corrupt/caselinkd.conf"
printf 'garbage garbage garbage' | dd of="$tmp/corrupt/state/data.mdb" bs=1 conv=notrunc 2>/dev/null
out=$("$daemon" --config "$tmp/corrupt/caselinkd.conf" --check-config 2>&1)
if [ $? -eq 1 ] && grep -q "store .*: stored data failed authentication" <<<"$out"; then ok; else bad "corrupted data file: $out"; fi
# a state directory the daemon cannot write: it refuses to start
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    cp -r "$tmp/dev" "$tmp/ro"
    sed -i "s|$tmp/dev|$tmp/ro|g" "$tmp/ro/caselinkd.conf"
    chown -R 65534 "$tmp/ro"
    chown -R root "$tmp/ro/state"
    chmod 755 "$tmp/ro/state"
    chmod 644 "$tmp/ro/state"/*
    chmod 755 "$tmp"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
          "$daemon" --config "$tmp/ro/caselinkd.conf" --check-config 2>&1)
else
    cp -r "$tmp/dev" "$tmp/ro"
    sed -i "s|$tmp/dev|$tmp/ro|g" "$tmp/ro/caselinkd.conf"
    chmod 555 "$tmp/ro/state"
    chmod 444 "$tmp/ro/state"/*
    out=$("$daemon" --config "$tmp/ro/caselinkd.conf" --check-config 2>&1)
    chmod -R u+w "$tmp/ro/state"
fi
if grep -q "cannot write there" <<<"$out"; then ok; else bad "read-only state directory: $out"; fi

rm -rf "$tmp"
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
