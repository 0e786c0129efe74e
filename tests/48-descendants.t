#!/bin/bash
# A server's descendants that left its process group (setsid'd grandchildren
# of a launcher script) belong to the server (SPEC 5 "Orphan-proof stop",
# SPEC 8 "no orphaned server"): when the server's main process crashes, what
# it left behind must not run on beside the restarted instance, and a stop of
# the server takes them along.
. "$(dirname "$0")/lib.sh"
plan 10

reg_write <<EOF
a 1 0 3 --setsid-child
b 1 0 3
EOF
sv_start; ok $? "supervisor starts a (with a setsid'd child) and b"
# setsid_child PID: the child of PID that leads a process group of its own
setsid_child() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(awk '{print $5}' /proc/"$c"/stat 2>/dev/null)" = "$c" ] && { echo "$c"; return 0; }
	done
	return 1
}
pa=$(spid a)
wait_for 5 setsid_child "$pa"
sc=$(setsid_child "$pa")
ok $([ -n "$sc" ]; echo $?) "a's launcher has a child in its own session (pid $sc)"
[ -n "$sc" ] && track -"$sc"
track -"$pa"

# ---- crash of the main process ----
kill -KILL "$pa"
a_back() { local p; p=$(spid a); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pa" ] && is_state a running; }
wait_for 5 a_back
ok $? "a is restarted after its main process is killed"
wait_for 3 dead "$sc"
ok $? "the crashed instance's setsid'd descendant does not run on beside the new one"
children_with() {  # children_with ID: processes of server ID whose parent is the supervisor
	local n=0 c
	for c in $(cat /proc/"$SUP"/task/*/children 2>/dev/null); do
		grep -qzx "IMAGESERVING_SERVER=$1" "/proc/$c/environ" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
is "$(children_with a)" 1 "one process of a under the supervisor: its new main process"

# ---- stop ID takes the setsid'd descendant along ----
pa2=$(spid a)
track -"$pa2"
wait_for 5 setsid_child "$pa2"
sc2=$(setsid_child "$pa2")
[ -n "$sc2" ] && track -"$sc2"
"$BIN" -c "$REG" stop a >/dev/null 2>&1
is $? 0 "stop a exits 0"
ok $(dead "$pa2"; echo $?) "a's main process is gone"
wait_for 3 dead "$sc2"
ok $? "a's setsid'd descendant is stopped with it"
is "$(children_with a)" 0 "nothing of a is left under the supervisor"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
done_testing
