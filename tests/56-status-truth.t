#!/bin/bash
# Status tells the truth and the loop never freezes (repros G, W, J, K3, H):
# JSON stays valid UTF-8 whatever is cut; a report that cannot be written
# fails; a dead server is not "alive" while the supervisor is stalled; a
# foreground supervisor whose standard error nobody reads goes on working.
. "$(dirname "$0")/lib.sh"
plan 11
utf8_json() { python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))'; }
E=$(printf 'é%.0s' $(seq 120)) U=$(printf 'ü%.0s' $(seq 80))
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="utf"><description>$E</description><executable>/bin/sleep</executable><arguments><argument>300</argument></arguments>$TEST_MARK</server>
<server id="bad"><executable>/nonexistent/$U</executable>$TEST_MARK</server>
</servers></supervisor>
EOF
mkdir -p "$T/log"
sv_start
has_error() { [ -n "$(state_get bad last_error)" ]; }
wait_for 5 has_error
status_json | utf8_json; ok $? "G: status --json is valid UTF-8 JSON with long multi-byte texts cut"
"$BIN" status --json -c "$REG" >/dev/full 2>"$T/err"; rc=$?
like "$rc: $(cat "$T/err")" "^1: .*status" "W: status --json >/dev/full exits 1 and says so"
"$BIN" status -c "$REG" >/dev/full 2>"$T/err"; rc=$?
like "$rc: $(cat "$T/err")" "^1: .*status" "W: so does the text report"

# J: the supervisor stalled (SIGSTOP), a server killed: status checks it itself.
u=$(spid utf)
kill -STOP "$SUP"; kill -KILL "$u"
wait_for 5 grep -q '^State:.*Z' /proc/"$u"/status
out=$("$BIN" status -c "$REG" utf); rc=$?
like "$(echo "$out" | grep -a '^utf') rc=$rc" "running \\(gone\\).* rc=1$" "J: text status shows the dead server as gone, exit 1"
is "$(status_json | jq -r '.servers[] | select(.id == "utf") | "\(.alive) \(.ready) \(.rss_bytes)"')" \
	"false false null" "J: JSON says it is not alive, not ready, no memory"
# H/F2: whatever the state file holds is printed escaped: terminal escapes,
# a C1 control (8-bit CSI) and bytes of no character.
awk -F'\t' -v OFS='\t' -v d="$(printf 'x\033]0;pwned\007\302\233y\377z')" '
	$1 == "#server" { for (i = 2; i <= NF; i++) col[$i] = i }
	$1 == "server" && $(col["id"]) == "utf" { $(col["description"]) = d } { print }' "$RUN/supervisor.state" >"$T/st" &&
	cat "$T/st" >"$RUN/supervisor.state"
out=$("$BIN" status -c "$REG" utf | grep -a '^utf')
like "$out" 'x\\x1b\]0;pwned\\x07\\xc2\\x9by\\xffz$' "text status escapes control characters, C1 controls and bad bytes"
ok $(! printf '%s' "$out" | LC_ALL=C grep -q "$(printf '[\001-\037\177]')"; echo $?) "and prints no raw control character"
kill -CONT "$SUP"
sv_stop

# K3: foreground, trace log "-" on a pipe whose reader never reads, filled up
# by a server that writes to it too: a killed server is still restarted.
mkfifo "$T/p"
sleep 300 <>"$T/p" & holder=$!; track "$holder"   # holds the pipe open, never reads
cat >"$REG" <<EOF
<supervisor><config><log>-</log><temp>$RUN</temp><tracelevel>debug</tracelevel></config><servers>
<server id="flood"><executable>/bin/sh</executable><arguments><argument>-c</argument><argument>yes flooding the pipe</argument></arguments><stdout>-</stdout>$TEST_MARK</server>
<server id="b"><executable>/bin/sleep</executable><arguments><argument>300</argument></arguments><stdout>$T/b.log</stdout>$TEST_MARK</server>
</servers></supervisor>
EOF
"$BIN" supervisor -f -c "$REG" 2>"$T/p" >"$T/p" & SUP=$!; track "$SUP"
wait_for 20 sv_ready; ok $? "K3: the supervisor starts with its standard error on a pipe nobody reads"
full() { ! timeout 0.2 sh -c 'echo x >"$1"' sh "$T/p"; }  # a write to it blocks
wait_for 5 full; ok $? "K3: the pipe is full"
for i in 1 2 3 4 5; do kill -USR2 "$SUP"; done      # stats lines it cannot write
b=$(spid b); kill -KILL "$b"
back() { [ "$(spid b)" != "$b" ] && [ "$(spid b)" != 0 ] && is_state b running; }
wait_for 3 back; ok $? "K3: a killed server is restarted within 3 s"
kill -TERM "$SUP"; wait_for 5 dead "$SUP"; ok $? "K3: and SIGTERM stops it within 5 s"
wait "$SUP" 2>/dev/null
kill -KILL "$holder"
done_testing
