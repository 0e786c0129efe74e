#!/bin/bash
# Foreground mode (systemd Type=simple, containers): SIGTERM and SIGINT stop
# every server and exit 0; as PID 1 of a pid namespace (a container) the
# supervisor reaps the orphans that land on it, and the runtime's SIGTERM
# gives a clean stop with exit status 0 (SPEC 5).
. "$(dirname "$0")/lib.sh"
plan 26

# zombies_under PID: zombie children of PID, from its own children list (not
# a scan of every process, which is slow on a busy machine).
zombies_under() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(sed 's/^.*) //; s/ .*//' /proc/"$c"/stat 2>/dev/null)" = Z ] && echo "$c"
	done
}
all_dead() { local p; for p in "$@"; do alive "$p" && return 1; done; return 0; }

# ---- SIGTERM and SIGINT in the foreground ----
for sig in TERM INT; do
	rm -f "$T/stamps"
	reg_write <<EOF
a 1 0 5 --stamp $T/stamps --children 2
b 2 0 5 --stamp $T/stamps
EOF
	sv_start; ok $? "SIG$sig: supervisor -f starts its servers"
	pids=$(tree_pids "$SUP" | grep -vx "$SUP")
	kill -"$sig" "$SUP"
	rc=0; wait "$SUP" || rc=$?
	is "$rc" 0 "SIG$sig: supervisor -f exits 0"
	ok $(all_dead $pids; echo $?) "SIG$sig: every server process is gone ($(echo $pids | wc -w) processes)"
	is "$(grep -c '^stop ' "$T/stamps" 2>/dev/null)" 2 "SIG$sig: both servers were stopped with their stop signal"
	ok $([ ! -e "$RUN/supervisor.pid" ] && [ ! -e "$RUN/supervisor.state" ]; echo $?) \
		"SIG$sig: pid and state files are removed"
done

# ---- as PID 1 in a new pid namespace ----
if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
	# needs CAP_SYS_ADMIN (root, or a user namespace that allows it)
	for i in $(seq 1 10); do skip "unshare --pid --fork --mount-proc is not permitted here"; done
	exit 0
fi
rm -f "$T/stamps"
: >"$T/log/supervisor.log"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp>
<tracelevel>debug</tracelevel></config><servers>
<server id="orph"><executable>$TESTS/servers/orphan-storm</executable>
  <arguments><argument>orph</argument><argument>--stamp</argument><argument>$T/stamps</argument></arguments>
  <startPriority>1</startPriority><startDelay>0</startDelay><stopTimeout>5</stopTimeout></server>
<server id="plain"><executable>$SRV</executable>
  <arguments><argument>plain</argument><argument>--stamp</argument><argument>$T/stamps</argument></arguments>
  <startPriority>2</startPriority><startDelay>0</startDelay><stopTimeout>5</stopTimeout></server>
</servers></supervisor>
EOF
# --mount-proc gives the namespace its own /proc, so the supervisor reads its
# children (and its own pid, 1) there; from out here we see outer pids.
unshare --pid --fork --mount-proc "$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
U=$!
track "$U"
inner() { cat /proc/"$U"/task/*/children 2>/dev/null | awk '{print $1}'; }
wait_for 5 eval '[ -n "$(inner)" ]'
P1=$(inner)
[ -n "$P1" ] && track "$P1"
ok $([ -n "$P1" ] && alive "$P1"; echo $?) "unshare runs the supervisor (outer pid $P1)"
like "$(awk '/^NSpid:/ { print $NF }' /proc/"$P1"/status 2>/dev/null)" '^1$' "it is PID 1 in its namespace"
# Inside its namespace, status reads it; from out here every verb refuses it
# alike (its state file's pids mean something else here).
inns() { nsenter -t "$P1" -p -m "$BIN" "$@"; }
in_running() { [ "$(inns status --json -c "$REG" | jq -r .supervisor.state)" = running ]; }
wait_for 10 in_running
ok $? "the PID 1 supervisor starts its servers (status inside its namespace)"
for verb in status stop reload "restart a" "stop a"; do
	out=$("$BIN" $verb -c "$REG" 2>&1); rc=$?
	like "$rc $out" '^[14] .*another pid namespace' "from the host, '$verb' refuses a supervisor of another pid namespace (rc $rc)"
done
ok $(alive "$P1"; echo $?) "and it is still running"
like "$(grep 'supervisor .* started' "$T/log/supervisor.log")" 'pid 1 \(as PID 1\)' "its trace log says it runs as PID 1"

# The orphan-storm server leaves ~20 orphans a second on PID 1. A zombie may be seen in
# the instant between an orphan's exit and its reaping; one seen twice, 200 ms
# apart, was not reaped.
reaped() { [ "$(grep -c 'reaped orphan' "$T/log/supervisor.log")" -ge 5 ]; }
wait_for 5 reaped
ok $? "orphans are reparented to PID 1 and reaped ($(grep -c 'reaped orphan' "$T/log/supervisor.log") so far)"
prev= stuck= maxz=0
for i in $(seq 1 12); do
	z=$(zombies_under "$P1" | tr '\n' ' ')
	n=$(echo $z | wc -w); [ "$n" -gt "$maxz" ] && maxz=$n
	for p in $z; do case " $prev " in *" $p "*) stuck="$stuck $p" ;; esac; done
	prev=$z
	sleep 0.2   # let orphans come and go between two looks
done
is "$stuck" "" "no zombie stays under PID 1 over 2.4 s (at most $maxz seen at once)"
ok $([ "$maxz" -le 4 ]; echo $?) "zombies do not accumulate under PID 1"

pids=$(tree_pids "$P1" | grep -vx "$P1")
kill -TERM "$P1"   # from outside the namespace, as a container runtime does
rc=0; wait "$U" || rc=$?
is "$rc" 0 "SIGTERM to PID 1 from outside: clean exit, status 0"
ok $(all_dead "$P1" $pids; echo $?) "the supervisor and everything under it are gone"
is "$(grep -c '^stop ' "$T/stamps" 2>/dev/null)" 2 "both servers were stopped by their stop signal, not killed with the namespace"
done_testing
