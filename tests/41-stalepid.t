#!/bin/bash
# A stale supervisor.pid naming a live, unrelated process: no daemon holds the
# lock, so no client verb may signal that pid (SPEC 6). sleep dies of TERM,
# HUP and the command signal alike, so "still alive" means "never signalled".
. "$(dirname "$0")/lib.sh"
plan 24

reg_write <<EOF
a 1 0 5
EOF
mkdir -p "$RUN"
sleep 300 &
victim=$!
track "$victim"
# a daemon-mode supervisor's command line does not say "supervisor": stop it
# through the client (by its lock) before lib.sh's own cleanup
trap '"$BIN" -c "$REG" stop >/dev/null 2>&1; _cleanup' EXIT
echo "$victim" >"$RUN/supervisor.pid"

# ---- pid file only (no lock file, no state) ----
out=$("$BIN" -c "$REG" stop 2>&1); rc=$?
is "$rc" 0 "stop with a stale pid file exits 0"
like "$out" "not running" "stop says the supervisor is not running"
ok $(alive "$victim"; echo $?) "stop did not signal the pid in the stale pid file"
out=$("$BIN" -c "$REG" status 2>&1); rc=$?
is "$rc" 3 "status exits 3 (not running)"
like "$out" "not running" "status says the supervisor is not running"
"$BIN" -c "$REG" reload >/dev/null 2>&1; rc=$?
is "$rc" 7 "reload exits 7 (LSB: not running)"
"$BIN" -c "$REG" restart a >/dev/null 2>&1; rc=$?
is "$rc" 7 "restart ID exits 7 (LSB: not running)"
"$BIN" -c "$REG" stop a >/dev/null 2>&1; rc=$?
is "$rc" 7 "stop ID exits 7 (LSB: not running)"
ok $(alive "$victim"; echo $?) "neither reload nor restart ID nor stop ID signalled it"

# ---- plus a stale (unlocked) lock file and a state file naming it ----
: >"$RUN/supervisor.lock"
vstart=$(awk '{print $22}' /proc/"$victim"/stat)
pidns=$(stat -L -c %i /proc/self/ns/pid)
printf 'imageserving-state 2\n#supervisor\tpid\tpidns\tgeneration\tphase\tregistry\nsupervisor\t%s\t%s\t1\trunning\t%s\n#server\tindex\tid\tstate\tpid\tproc_start\nserver\t0\ta\trunning\t%s\t%s\n' \
	"$victim" "$pidns" "$REG" "$victim" "$((vstart + 1))" >"$RUN/supervisor.state"
out=$("$BIN" -c "$REG" stop 2>&1); rc=$?
is "$rc" 0 "stop with stale pid, lock and state files exits 0"
like "$out" "not running" "stop says the supervisor is not running"
out=$("$BIN" -c "$REG" status --json 2>&1); rc=$?
is "$rc" 3 "status --json exits 3"
like "$out" '"pid": null' "status --json reports no supervisor pid"
"$BIN" -c "$REG" reload >/dev/null 2>&1; rc=$?
is "$rc" 7 "reload exits 7"
"$BIN" -c "$REG" restart a >/dev/null 2>&1; rc=$?
is "$rc" 7 "restart ID exits 7"
"$BIN" -c "$REG" start a >/dev/null 2>&1; rc=$?
is "$rc" 7 "start ID exits 7"
"$BIN" -c "$REG" restart >/dev/null 2>&1; rc=$?
# restart = stop (not running: fine) + start: a real daemon now runs
is "$rc" 0 "restart (whole) starts a real supervisor over the stale files"
ok $(alive "$victim"; echo $?) "the unrelated process was never signalled"
daemon=$(cat "$RUN/supervisor.pid" 2>/dev/null)
ok $([ -n "$daemon" ] && [ "$daemon" != "$victim" ] && alive "$daemon"; echo $?) \
	"the pid file now names the real daemon ($daemon)"
[ -n "$daemon" ] && track "$daemon"
# The stale state recorded the victim as server a but with another start time
# (a reused pid): the new daemon must not take it for a stray.
is_running() { is_state a running; }
wait_for 5 is_running
ok $? "server a runs under the real daemon"
pa=$(spid a)
ok $([ -n "$pa" ] && [ "$pa" != "$victim" ]; echo $?) "server a has its own pid"
"$BIN" -c "$REG" stop >/dev/null 2>&1; rc=$?
is "$rc" 0 "stop of the real daemon exits 0"
ok $(dead "$daemon" && dead "$pa"; echo $?) "the daemon and its server are gone"
ok $(alive "$victim"; echo $?) "the unrelated process is still alive at the end"
done_testing
