#!/bin/bash
# Supervisor killed hard (SIGKILL): its servers are told through their
# parent-death signal and exit; the lock dies with the process so the next
# start works; a server that ignores its stop signal survives, and the next
# supervisor kills it as a stray (state file: pid + start time), together with
# whatever its process group still holds.
. "$(dirname "$0")/lib.sh"
plan 17

# After a SIGKILL the old state file (phase "running") is still there, so
# sv_start alone could return before the new supervisor wrote its own: wait
# for a state file written by $SUP.
own_running() { sv_ready; }
sv_restart() { sv_start && wait_for 20 own_running; }
# group_live PGID: a live (not zombie) member of process group PGID exists.
# One awk over every stat file: cheap even with thousands of processes.
group_live() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v g="$1" '{ sub(/^.*\) /, ""); if ($3 == g && $1 != "Z") f = 1 } END { exit !f }'
}

# ---- servers that obey their stop signal ----
reg_write <<EOF
a 1 0 5 --stamp $T/stamps
b 2 0 5 --stamp $T/stamps --children 1
c 2 0 5 --stamp $T/stamps
EOF
sv_start; ok $? "supervisor starts three servers"
pa=$(spid a) pb=$(spid b) pc=$(spid c)
track -"$pa" -"$pb" -"$pc"
ok $(alive "$pa" && alive "$pb" && alive "$pc"; echo $?) "servers run (pids $pa $pb $pc)"
sup1=$SUP
kill -KILL "$SUP"
wait "$SUP" 2>/dev/null
all_dead() { local p; for p in "$@"; do alive "$p" && return 1; done; return 0; }
wait_for 5 all_dead "$pa" "$pb" "$pc"
ok $? "every server's main process exits after the supervisor is SIGKILLed"
# each srv traps TERM and writes a stop stamp: they got the parent-death signal
stops=$(grep -c '^stop ' "$T/stamps" 2>/dev/null)
is "$stops" 3 "the servers were told with their stop signal (TERM)"
# b's group still holds its child (a launcher's JVM, say): unsupervised now
b_group_left=1; group_live "$pb" && b_group_left=0

sv_restart; ok $? "the next supervisor starts on the same run directory (the lock is free)"
ok $([ "$SUP" != "$sup1" ] && [ "$(cat "$RUN/supervisor.pid" 2>/dev/null)" = "$SUP" ]; echo $?) \
	"the pid file names the new supervisor"
out=$("$BIN" -c "$REG" status 2>&1); rc=$?
is "$rc" 0 "status sees the new supervisor and every server running"
[ "$rc" = 0 ] || diag "$out"
if [ "$b_group_left" -eq 0 ]; then
	wait_for 3 eval '! group_live '"$pb"
	ok $? "what the dead server b left in its process group is killed by the next start"
else
	pass "server b's process group was already empty"
fi
sv_stop
is "$SV_RC" 0 "the second supervisor stops cleanly"

# ---- a server that ignores TERM survives the parent-death signal ----
: >"$T/log/supervisor.log"
reg_write <<EOF
x 1 0 5 --ignore-term --children 1
y 1 0 5
EOF
sv_start; ok $? "supervisor starts a TERM-ignoring server"
px=$(spid x) py=$(spid y) xstart=$(state_get x proc_start)
track -"$px" -"$py"
kill -KILL "$SUP"
wait "$SUP" 2>/dev/null
wait_for 5 dead "$py"
ok $? "the obedient server exits after the supervisor is SIGKILLed"
# y got its TERM; x got the same signal at the same moment. Give x a moment
# to (not) die before checking that it is still there.
sleep 0.3
ok $(alive "$px"; echo $?) "the TERM-ignoring server survives the parent-death signal"
is "$(awk '{print $22}' /proc/"$px"/stat 2>/dev/null)" "$xstart" \
	"the state file left behind records its pid and start time"

sv_restart; ok $? "the next supervisor starts"
# the stray is SIGKILLed before the new servers start; init reaps it
wait_for 3 dead "$px"
ok $? "the stray TERM-ignoring server is killed by the next start"
ok $(! group_live "$px"; echo $?) "nothing of the stray's process group is left"
like "$(grep -i stray "$T/log/supervisor.log")" "x .*stray.*$px" "the trace log names the stray it killed"

sv_stop
done_testing
