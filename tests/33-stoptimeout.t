#!/bin/bash
# Stop timeout and orphan-proof stop: a TERM-ignoring server with TERM-ignoring
# children is killed, group and all, after its stopTimeout (servers of one
# priority group stopping in parallel); descendants that left the process group
# (a setsid'd grandchild, a double-forked daemon) are found and stopped with
# their server; exit 128+TERM after a stop request is a clean stop.
. "$(dirname "$0")/lib.sh"
plan 24
# procs_of ID: live processes of server ID (wherever they went).
procs_of() {
	local f p
	for f in $(grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null); do
		grep -qzx "IMAGESERVING_SERVER=$1" "$f" 2>/dev/null || continue
		p=${f#/proc/}; p=${p%/environ}
		alive "$p" && echo "$p"
	done
}
all_dead() { local p; for p in "$@"; do alive "$p" && return 1; done; return 0; }
# outside ID: a process of server ID outside its main process's group.
outside() {
	local main p pg
	main=$(spid "$1")
	for p in $(procs_of "$1"); do
		pg=$(awk '{ sub(/.*\) /, ""); print $3 }' /proc/"$p"/stat 2>/dev/null)
		[ -n "$pg" ] && [ "$pg" != "$main" ] && [ "$p" != "$main" ] && { echo "$p"; return 0; }
	done
	return 1
}
has_outside() { outside "$1" >/dev/null; }
group_count() {  # members of process group $1, zombies excluded
	local pg=$1 n=0 d st
	for d in /proc/[0-9]*; do
		st=$(cat "$d/stat" 2>/dev/null) || continue
		st=${st##*) }; set -- $st
		[ "$3" = "$pg" ] && [ "$1" != Z ] && n=$((n + 1))
	done
	echo $n
}
group_ge() { [ "$(group_count "$1")" -ge "$2" ]; }

# ---- 1. TERM ignored by the server and its children: KILL after 1 s ----
reg_write <<EOF2
stub 1 0 1 --ignore-term --children 3 --children-ignore-term
stub2 1 0 1 --ignore-term --children 3 --children-ignore-term
EOF2
sv_start; ok $? "supervisor starts two TERM-ignoring servers"
pg1=$(spid stub) pg2=$(spid stub2)
track -"$pg1" -"$pg2"
wait_for 5 group_ge "$pg1" 4 && wait_for 5 group_ge "$pg2" 4
ok $? "each has a process group of 4 (main + 3 children)"
members=$(procs_of stub; procs_of stub2)
# the children really ignore TERM
sig_ign() { local m; m=$(awk '/^SigIgn/ { print $2 }' /proc/"$1"/status); (( (0x$m >> 14) & 1 )); }
ign=0; for p in $members; do sig_ign "$p" || ign=1; done
ok $ign "every process of both groups ignores SIGTERM"
t0=$(date +%s%N)
kill -TERM "$SUP"
wait_for 10 dead "$SUP"; ok $? "supervisor exits after SIGTERM"
el=$(( ($(date +%s%N) - t0) / 1000000 ))
SV_RC=0; wait "$SUP" || SV_RC=$?
ok $([ "$el" -lt 4000 ]; echo $?) "it exits within stopTimeout (1 s) + slack: ${el} ms < 4 s"
ok $([ "$el" -ge 950 ]; echo $?) "it gave the servers their stopTimeout before killing (${el} ms >= 1 s)"
ok $([ "$el" -lt 1900 ]; echo $?) "servers of one priority group stop in parallel (${el} ms < 2 x 1 s)"
is "$SV_RC" 0 "exit status 0 (killing after the timeout is part of a clean stop)"
ok $(! group_alive "$pg1" && ! group_alive "$pg2"; echo $?) "nothing of either process group is alive"
ok $(all_dead $members; echo $?) "every recorded member (children included) is dead"
grep -q 'stub did not stop in time' "$T/log/supervisor.log"
ok $? "the trace log says the server did not stop in time"

# ---- 2. descendants outside the process group ----
reg_write <<EOF2
tom 1 0 5 --setsid-child
tom2 1 0 5 --setsid-child
dmn 1 0 5 --daemon-child
keep 1 0 5 --setsid-child
EOF2
sv_start; ok $? "supervisor starts servers with setsid'd descendants"
for s in tom tom2 dmn keep; do track -"$(spid $s)"; done
wait_for 5 has_outside tom && wait_for 5 has_outside tom2 && wait_for 5 has_outside dmn && wait_for 5 has_outside keep
ok $? "each server has a descendant outside its process group"
gtom=$(outside tom) gtom2=$(outside tom2) gdmn=$(outside dmn) gkeep=$(outside keep)
track "$gtom" "$gtom2" "$gdmn" "$gkeep"
ppid_of() { awk '{ sub(/.*\) /, ""); print $2 }' /proc/"$1"/stat 2>/dev/null; }
diag "grandchildren: tom $gtom tom2 $gtom2 dmn $gdmn (ppid $(ppid_of "$gdmn")) keep $gkeep"

# stop ID: the setsid'd grandchild goes with its server
out=$("$BIN" -c "$REG" stop tom 2>&1); rc=$?
is "$rc" 0 "stop tom exits 0 ($out)"
wait_for 3 all_dead "$gtom"; ok $? "stop tom also stops its setsid'd grandchild"
is "$(procs_of tom)" "" "nothing of tom remains"
# stop ID: a double-forked daemon (reparented to the supervisor) goes too
"$BIN" -c "$REG" stop dmn >/dev/null 2>&1
wait_for 3 all_dead "$gdmn"; ok $? "stop dmn also stops its double-forked daemon (reparented to the supervisor)"
# a crash of the main process: the restarted server must not find the old
# instance's grandchild still running (holding its ports)
old=$(spid tom2)
kill -KILL "$old"
new_tom2() { local p; p=$(spid tom2); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old" ] && is_state tom2 running; }
wait_for 5 new_tom2; ok $? "tom2 is restarted after its main process is killed"
wait_for 3 all_dead "$gtom2"; ok $? "the crashed tom2's setsid'd grandchild does not outlive it"
# whole stop: nothing of any server remains
sv_stop
is "$SV_RC" 0 "supervisor exits 0"
left=$(for s in tom tom2 dmn keep; do procs_of $s; done | tr '\n' ' ')
is "$left" "" "after the supervisor's stop no process of any server remains (keep's grandchild $gkeep included)"

# ---- 3. exit 128+TERM after a stop request is clean ----
reg_write <<EOF2
jvm 1 0 5 --term-exit 143
bad 1 0 5 --term-exit 3
EOF2
mv "$T/log/supervisor.log" "$T/log/supervisor.log.part2"  # kept for KEEP_TMP
sv_start; ok $? "supervisor starts jvm (exits 143 on TERM) and bad (exits 3 on TERM)"
sv_stop
log=$(cat "$T/log/supervisor.log")
ok $(grep -q ' jvm stopped (exit 143)' <<<"$log" && ! grep -q ' jvm stopped uncleanly' <<<"$log"; echo $?) \
	"exit 143 after TERM is logged as a clean stop: 'stopped (exit 143)', not 'uncleanly'"
like "$log" ' bad stopped uncleanly \(exit 3\)' "while exit 3 after TERM is logged as unclean"
