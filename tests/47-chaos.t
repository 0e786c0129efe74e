#!/bin/bash
# Chaos (SPEC 8): for 20 s, SIGKILL servers' main processes, sometimes their
# whole process group, sometimes every server at once, and send a few
# `restart ID`s. Afterwards every server runs again and nothing is lost: no
# zombie, no leaked fd, no duplicate server, no orphaned server process.
. "$(dirname "$0")/lib.sh"
plan 13
DURATION=${CHAOS_SECONDS:-20}
SEED=${CHAOS_SEED:-$$}
RANDOM=$SEED
diag "chaos seed $SEED (rerun with CHAOS_SEED=$SEED)"

# Every process of these servers inherits CHAOS_T, so we can find them all.
REG_EXTRA="<minUptime>1</minUptime><restartDelayMax>1</restartDelayMax><environment><variable name=\"CHAOS_T\">$T</variable></environment>"
reg_write <<EOF
k1 1 0 2
k2 1 0 2 --children 1
k3 2 0 2
k4 2 0 2 --children 2
k5 3 0 2
EOF
IDS="k1 k2 k3 k4 k5"
# zombies_under PID: zombie children of PID, from its own children list (not
# a scan of every process, which is slow on a busy machine).
zombies_under() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(sed 's/^.*) //; s/ .*//' /proc/"$c"/stat 2>/dev/null)" = Z ] && echo "$c"
	done
}
sv_start; ok $? "supervisor starts five servers"
all_running() {
	local id p
	for id in $IDS; do
		p=$(spid "$id")
		[ -n "$p" ] && [ "$p" != 0 ] && is_state "$id" running && alive "$p" || return 1
	done
}
wait_for 5 all_running
ok $? "all five run"
fdcount() { ls /proc/"$SUP"/fd 2>/dev/null | wc -l; }
fd0=$(fdcount)
diag "supervisor fds before: $fd0"

# ---- chaos ----
end=$(( $(date +%s) + DURATION ))
kills=0 groups=0 storms=0 restarts=0 rpids=
while [ "$(date +%s)" -lt "$end" ]; do
	set -- $IDS
	shift $((RANDOM % 5))
	id=$1
	p=$(spid "$id")
	r=$((RANDOM % 20))
	if [ "$r" -lt 11 ]; then
		[ -n "$p" ] && [ "$p" != 0 ] && kill -KILL "$p" 2>/dev/null && kills=$((kills + 1))
	elif [ "$r" -lt 16 ]; then
		# the whole process group (its pgid is the main pid)
		[ -n "$p" ] && [ "$p" != 0 ] && kill -KILL -- -"$p" 2>/dev/null && groups=$((groups + 1))
	elif [ "$r" -lt 18 ]; then
		# a crash storm: every server at once
		for i in $IDS; do
			q=$(spid "$i")
			[ -n "$q" ] && [ "$q" != 0 ] && kill -KILL "$q" 2>/dev/null
		done
		storms=$((storms + 1))
	else
		"$BIN" -c "$REG" restart "$id" >/dev/null 2>&1 &
		rpids="$rpids $!"
		track $!
		restarts=$((restarts + 1))
	fi
	# pace the chaos: 20-270 ms between blows
	sleep "0.$(printf '%02d' $((RANDOM % 25 + 2)))"
done
diag "chaos: $kills kills, $groups group kills, $storms storms, $restarts restart commands"
ok $(alive "$SUP"; echo $?) "the supervisor survived the chaos"

# the restart clients all return (they wait for their effect or a timeout)
clients_done() { local p; for p in $rpids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
wait_for 15 clients_done
ok $? "every restart ID client has returned"
for p in $rpids; do wait "$p" 2>/dev/null; done

# ---- afterwards ----
wait_for 15 all_running
ok $? "every server is running again"
all_running || { diag "status: $(status_json)"; "$BIN" status -c "$REG" >&2; }
ok $([ "$(state_get k1 restarts)$(state_get k3 restarts)" != 00 ]; echo $?) "restarts were counted"
no_zombies() { [ -z "$(zombies_under "$SUP")" ]; }
wait_for 3 no_zombies
ok $? "no zombie children of the supervisor$(z=$(zombies_under "$SUP"); [ -n "$z" ] && echo " (zombies: $(echo $z))")"
fd_same() { [ "$(fdcount)" -eq "$fd0" ]; }
wait_for 3 fd_same
ok $? "the supervisor has as many fds as before the chaos ($fd0 -> $(fdcount))"
[ "$(fdcount)" -eq "$fd0" ] || diag "fds now: $(ls -l /proc/"$SUP"/fd | tail -n +2 | awk '{print $NF}' | tr '\n' ' ')"

# Processes of each server whose parent is the supervisor: its main process
# only (a duplicate or an adopted leftover of an older instance would show).
children_with() {  # children_with ID
	local n=0 c
	for c in $(cat /proc/"$SUP"/task/*/children 2>/dev/null); do
		grep -qzx "IMAGESERVING_SERVER=$1" "/proc/$c/environ" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
dups=
for id in $IDS; do
	n=$(children_with "$id")
	[ "$n" = 1 ] || dups="$dups $id:$n"
done
is "$dups" "" "exactly one process per server under the supervisor"
# Every process of these servers (CHAOS_T in its environment) is inside the
# supervisor's tree: none escaped to init.
tree=" $(tree_pids "$SUP" | tr '\n' ' ') "
escaped=
for f in $(grep -lzx "CHAOS_T=$T" /proc/[0-9]*/environ 2>/dev/null); do
	p=${f#/proc/}; p=${p%/environ}
	alive "$p" || continue
	case $tree in *" $p "*) ;; *) escaped="$escaped $p" ;; esac
done
is "$escaped" "" "no server process lives outside the supervisor's tree"
# each running main pid is the one the state names, and it leads its group
bad=
for id in $IDS; do
	p=$(spid "$id")
	[ "$(awk '{print $5}' /proc/"$p"/stat 2>/dev/null)" = "$p" ] || bad="$bad $id"
done
is "$bad" "" "each server's recorded pid is alive and leads its process group"

pids=$(tree_pids "$SUP" | grep -vx "$SUP")
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly after the chaos"
all_dead() { local p; for p in "$@"; do alive "$p" && return 1; done; return 0; }
ok $(all_dead $pids; echo $?) "no server process outlives it"
done_testing
