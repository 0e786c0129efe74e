#!/bin/bash
# The running supervisor keeps mapped only the code it runs (SPEC §9: PSS
# <= 256 KiB for 3 servers; docs/BENCHMARKS.md "Memory"). The release binary
# gathers the steady state's code in one section before its read-only data
# (mk/hot.ld); once the servers are up, and after a reload, the daemon drops
# the pages of its code segment (daemon/trim.c), and the kernel maps back
# only the 64 KiB windows the running supervisor touches. Without the layout
# or the trim every window stays mapped (the whole segment: these checks
# fail). A check of what is mapped, not of time.
. "$(dirname "$0")/lib.sh"
if ! readelf -SW "$BIN" 2>/dev/null | grep -q '\.text\.hot'; then
	skip_all "not the release binary (no .text.hot section: mk/hot.ld applies to the static build only)"
fi
plan 10
{
	echo "<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>"
	for id in a b c; do
		echo "<server id=\"$id\"><executable>$SRV</executable><arguments><argument>$id</argument></arguments>"
		echo "<stopTimeout>2</stopTimeout>$TEST_MARK</server>"
	done
	echo "</servers></supervisor>"
} >"$REG"
sv_start
ok $? "the supervisor runs a, b and c (default trace level)"

# The code segment: the binary's first mapping (size and resident KiB).
segment() {
	awk -v bin="$(readlink -f "$BIN")" '
		/^[0-9a-f]+-[0-9a-f]+ / { if (seen) exit; if ($NF == bin && $2 ~ /x/) seen = 1; next }
		seen && /^Size:/ { size = $2 } seen && /^Rss:/ { rss = $2 }
		END { print size + 0, rss + 0 }' "/proc/$SUP/smaps"
}
# At most 60 % of the segment mapped (it is ~240 KiB; the steady state's
# windows are the hot section's and the read-only data's, ~108 KiB).
trimmed() {
	read -r size rss < <(segment)
	[ "$size" -gt 0 ] && [ $(( rss * 100 )) -le $(( size * 60 )) ]
}
read -r size rss < <(segment)
ok $([ "$size" -gt 100 ]; echo $?) "the code segment is found in the daemon's smaps ($size KiB)"
wait_for 10 trimmed
ok $? "once the servers are up, the start-up code is no longer mapped ($(segment | awk '{print $2 " of " $1}') KiB)"

# The steady state: a crash restart, status, a commanded restart, a stop and
# start of one server, the stats and log-reopen signals.
old=$(spid a)
kill -KILL "$old"
back() { local p; p=$(spid a); [ "$p" != 0 ] && [ "$p" != "$old" ] && is_state a running; }
wait_for 10 back
ok $? "a is restarted after a crash"
"$BIN" status -c "$REG" >/dev/null
"$BIN" restart b -c "$REG" >/dev/null
"$BIN" stop c -c "$REG" >/dev/null
"$BIN" start c -c "$REG" >/dev/null
kill -USR2 "$SUP"
kill -USR1 "$SUP"
is "$(status_json | jq -r '[.servers[].state] | join(" ")')" "running running running" \
	"after status, restart, stop and start: all three running"
trimmed
ok $? "the steady state keeps only its windows mapped ($(segment | awk '{print $2 " of " $1}') KiB)"

# A reload runs the registry's parser (cold code), then trims again.
"$BIN" reload -c "$REG" >/dev/null
ok $? "reload"
wait_for 10 trimmed
ok $? "after the reload the parser's code is dropped again ($(segment | awk '{print $2 " of " $1}') KiB)"

# A reload of a broken registry (SIGHUP: the reload verb would refuse it
# before signalling): the daemon keeps its configuration, and the parse's
# code is dropped all the same.
cp "$REG" "$T/reg.good"
echo "<supervisor><config>" >"$REG"
kill -HUP "$SUP"
refused() { grep -q "reload: .* error" "$T/log/supervisor.log"; }
wait_for 10 refused
ok $? "a reload of a broken registry is refused (trace log)"
wait_for 10 trimmed
ok $? "and the parser's code is dropped after it too ($(segment | awk '{print $2 " of " $1}') KiB)"
cp "$T/reg.good" "$REG"
sv_stop
done_testing
