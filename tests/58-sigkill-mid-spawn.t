#!/bin/bash
# SIGKILL while a large priority group is being spawned (repro E): servers
# that ignore their parent-death signal survive; their pids are recorded
# every 32 spawns, and the next start finds them all by their markers and
# kills them, so every server runs exactly once; stop leaves none.
. "$(dirname "$0")/lib.sh"
plan 5
N=200
{
	echo "<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>"
	for i in $(seq $N); do
		echo "<server id=\"s$i\"><executable>/bin/sh</executable><arguments><argument>-c</argument>"
		echo "<argument>trap '' TERM; exec sleep 300</argument></arguments><stopTimeout>1</stopTimeout>$TEST_MARK</server>"
	done
	echo "</servers></supervisor>"
} >"$REG"
marked() { grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null | wc -l; }
some() { [ "$(marked)" -ge 40 ]; }
"$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 & SUP=$!; track "$SUP"
wait_for 20 some
kill -KILL "$SUP"; wait "$SUP" 2>/dev/null
n=$(marked)
ok $([ "$n" -gt 0 ]; echo $?) "servers survive SIGKILL of the supervisor mid-spawn ($n)"
rec=$(awk -F'\t' '$1 == "#server" { for (i = 2; i <= NF; i++) col[$i] = i }
	$1 == "server" && $(col["pid"]) > 0 { n++ } END { print n + 0 }' "$RUN/supervisor.state")
ok $([ "$rec" -ge 32 ]; echo $?) "the pids spawned so far were recorded as the group went ($rec of at least 40)"
sv_start; ok $? "the next supervisor starts"
exactly() { [ "$(marked)" -eq $N ]; }
wait_for 10 exactly; ok $? "exactly $N server processes run (got $(marked))"
sv_stop
none() { [ "$(marked)" -eq 0 ]; }
wait_for 10 none; ok $? "stop leaves none (got $(marked))"
done_testing
