#!/bin/bash
# Fault: bursts of signals.
#  - 200 servers SIGKILLed in the same instant (and a server whose 1000-process
#    group dies at once): one coalesced SIGCHLD; every death is reaped, every
#    server restarted exactly once, no zombie, no fd leaked;
#  - a SIGHUP storm during the start (while a start delay runs): every server
#    starts exactly once, in priority order;
#  - SIGUSR1/SIGUSR2 storms: no fd leaked;
#  - a stop during the start (inside a 5 s start delay): the supervisor stops
#    at once, never starts the later group, exits 0, leaves nothing.
. "$(dirname "$0")/lib.sh"
plan 14
FAULTY=$TESTS/servers/faulty
ST=$T/stamps
MARK="<environment><variable name=\"IS_TEST_T\">$T</variable></environment>"
marked() { grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null | sed 's|/proc/||; s|/environ||'; }
kill_marked() { local p; for p in $(marked); do kill -KILL "$p" 2>/dev/null; done; }
trap 'kill_marked; _cleanup' EXIT
fds() { ls /proc/"$SUP"/fd 2>/dev/null | wc -l; }
no_zombies() { [ -z "$(zombies_of "$SUP")" ]; }

# ---- 1. 200 servers die at once ----
{
	echo "<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>"
	for i in $(seq 200); do
		echo "<server id=\"s$i\"><executable>/bin/sleep</executable><arguments><argument>3600</argument></arguments>"
		echo "<stopTimeout>1</stopTimeout>$MARK</server>"
	done
	echo "<server id=\"kids\"><executable>$FAULTY</executable><arguments><argument>kids</argument><argument>--fork</argument>"
	echo "<argument>1000</argument><argument>--ready</argument><argument>$T/kids.ready</argument></arguments>$MARK</server>"
	echo "</servers></supervisor>"
} >"$REG"
sv_start; ok $? "supervisor starts 200 servers and one with 1000 children"
wait_for 30 test -e "$T/kids.ready"
fd0=$(fds)
pids=$(status_json | jq -r '.servers[] | select(.id | test("^s[0-9]+$")) | .pid')
is "$(echo $pids | wc -w)" 200 "200 server pids in the state file"
pk=$(spid kids)
rm -f "$T/kids.ready"
kill -KILL -- $pids "-$pk"
all_back() {
	[ "$(status_json | jq '[.servers[] | select((.id | test("^s[0-9]+$")) and .state == "running" and .restarts == 1)] | length')" = 200 ]
}
wait_for 20 all_back
ok $? "all 200 are running again, each restarted exactly once"
kids_back() { local p; p=$(spid kids); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pk" ] && is_state kids running; }
wait_for 10 kids_back
ok $(kids_back && [ "$(state_get kids restarts)" = 1 ]; echo $?) "the server whose 1001-process group died at once is restarted once"
wait_for 30 test -e "$T/kids.ready"
wait_for 10 no_zombies
ok $? "no zombie left"
fd_same() { [ "$(fds)" -eq "$fd0" ]; }
wait_for 5 fd_same
ok $? "no fd leaked ($fd0 -> $(fds))"

# ---- 2. SIGUSR1 / SIGUSR2 storms ----
for i in $(seq 200); do kill -USR1 "$SUP"; kill -USR2 "$SUP"; done
reopened() { [ "$(grep -c 'log files reopened' "$T/log/supervisor.log")" -ge 1 ]; }
wait_for 10 reopened
sleep 0.5
wait_for 5 fd_same
fd_same || ls -l /proc/"$SUP"/fd | awk "{print \$9, \$11}" | sort -n | tail -8 >&2
ok $(fd_same && alive "$SUP"; echo $?) "after 200 SIGUSR1 and 200 SIGUSR2: the supervisor is up, fds $fd0 -> $(fds)"
sv_stop
is "$SV_RC" 0 "the supervisor stops 201 servers cleanly"

# ---- 3. a SIGHUP storm during the start ----
rm -f "$ST"
REG_EXTRA=$MARK reg_write <<EOF
a 1 1 2 --stamp $ST
b 2 1 2 --stamp $ST
c 3 0 2 --stamp $ST
EOF
"$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for 5 test -e "$RUN/supervisor.state"
n=0
while ! is_phase running && [ "$n" -lt 2000 ] && alive "$SUP"; do kill -HUP "$SUP"; n=$((n + 1)); sleep 0.001; done
ok $(is_phase running; echo $?) "the start completes under a storm of $n SIGHUPs"
starts=$(awk '$1 == "start" { print $2 }' "$ST" | tr '\n' ' ')
is "$starts" "a b c " "each server started exactly once, in priority order"
ok $(alive "$(spid a)" && alive "$(spid b)" && alive "$(spid c)"; echo $?) "all three run"
sv_stop

# ---- 4. stop during the start ----
rm -f "$ST"
REG_EXTRA=$MARK reg_write <<EOF
a 1 5 2 --stamp $ST
b 2 0 2 --stamp $ST
EOF
"$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for 5 test -s "$ST"
ok $(is_phase starting; echo $?) "the supervisor is starting (inside a's 5 s start delay)"
t0=$(date +%s%N)
sv_stop
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $([ "$SV_RC" = 0 ] && [ "$ms" -lt 3000 ]; echo $?) "SIGTERM during the start: exit $SV_RC after $ms ms (not after the delay)"
ok $(! grep -q '^start b' "$ST" && [ -z "$(marked)" ]; echo $?) "the later group never started; no server process is left"
done_testing
