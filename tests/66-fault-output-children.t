#!/bin/bash
# Faults from the servers themselves:
#  - a server that closes its stdout and stderr: the supervisor sees the end
#    of the pipe, does not spin on it, keeps the server running, and its next
#    instance's output is logged again;
#  - a server that forks a thousand children (one process group): when its
#    main process is killed none of them survives, the supervisor reaps them
#    all (no zombie) and restarts the server once;
#  - a server that forks 300 children that each leave its process group
#    (setsid): when it dies, and when the supervisor stops, none of them is
#    left behind (SPEC 5 "a stop leaves nothing of the server behind").
. "$(dirname "$0")/lib.sh"
plan 14
FAULTY=$TESTS/servers/faulty
MARK="<environment><variable name=\"IS_TEST_T\">$T</variable></environment>"
marked() { grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null | sed 's|/proc/||; s|/environ||'; }
kill_marked() { local p; for p in $(marked); do kill -KILL "$p" 2>/dev/null; done; }
trap 'kill_marked; _cleanup' EXIT
# live processes of server ID (their environment names it), main included
of_server() {
	local f p n=0
	for f in $(grep -lzx "IMAGESERVING_SERVER=$1" $(marked | sed 's|.*|/proc/&/environ|') 2>/dev/null); do
		p=${f#/proc/}; p=${p%/environ}
		alive "$p" && n=$((n + 1))
	done
	echo "$n"
}
REG_EXTRA="$MARK<restartDelayMax>1</restartDelayMax>" SRV=$FAULTY reg_write <<EOF
closer 1 0 2 --close-output
kids 1 0 2 --fork 1000 --ready $T/kids.ready
flock 1 0 2 --fork-setsid 300 --ready $T/flock.ready
EOF
sv_start; ok $? "supervisor starts the three servers"
wait_for 30 test -e "$T/kids.ready" -a -e "$T/flock.ready"
ok $? "kids forked 1000 children, flock 300 setsid'd ones ($(of_server kids), $(of_server flock) processes)"

# ---- closed output ----
before() { [ "$(grep -c "closer before close" "$T/log/closer.log" 2>/dev/null)" -ge "$1" ]; }
wait_for 5 before 2
ok $? "closer's output before closing is logged (stdout and stderr)"
ctxt() { awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { n += $2 } END { print n }' /proc/"$1"/status; }
sleep 0.3
x0=$(ctxt "$SUP"); sleep 1; x1=$(ctxt "$SUP")
ok $([ $((x1 - x0)) -le 3 ]; echo $?) "the supervisor does not spin on the closed pipe ($((x1 - x0)) context switches in 1 s)"
pc=$(spid closer)
ok $(is_state closer running && alive "$pc"; echo $?) "closer keeps running with its output closed"
kill -KILL "$pc"
wait_for 5 before 4
ok $? "its next instance's output is logged again"

# ---- a thousand children in the group ----
pk=$(spid kids)
rm -f "$T/kids.ready"
kill -KILL "$pk"
gone() { ! group_alive "$pk"; }
wait_for 10 gone
ok $? "the main process killed, none of its 1000 children survives"
kids_back() { local p; p=$(spid kids); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pk" ] && is_state kids running; }
wait_for 10 kids_back
ok $(kids_back && [ "$(state_get kids restarts)" = 1 ]; echo $?) "kids is restarted once (restarts $(state_get kids restarts))"
wait_for 30 test -e "$T/kids.ready"
no_zombies() { [ -z "$(zombies_of "$SUP")" ]; }
wait_for 10 no_zombies
ok $? "no zombie among the supervisor's children"

# ---- 300 children that left the group ----
pf=$(spid flock)
rm -f "$T/flock.ready"
kill -KILL "$pf"
flock_back() { local p; p=$(spid flock); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pf" ] && is_state flock running; }
wait_for 10 flock_back
wait_for 30 test -e "$T/flock.ready"
only_new() { [ "$(of_server flock)" -le 301 ]; }
wait_for 10 only_new
ok $? "flock killed: none of its 300 setsid'd children is left (processes of flock now: $(of_server flock), 301 expected)"
ok $(alive "$SUP"; echo $?) "the supervisor is up"

sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
nothing() { [ -z "$(marked)" ]; }
wait_for 10 nothing
ok $? "no process of any server outlives the supervisor ($(marked | wc -l) left)"
no_zombies
ok $? "no zombies"
done_testing
