#!/bin/bash
# Fault: fd exhaustion (RLIMIT_NOFILE). prlimit lowers the running
# supervisor's soft limit: first to just above what it uses (a restart needs
# more fds than are left), then below what it uses (no new fd at all, not even
# for the state file). The supervisor stays up, names the error in the trace
# log (and in status while it can still write the state), keeps the other
# server, and once the limit is back restarts everything through the backoff,
# with the state file right again and no fd leaked.
. "$(dirname "$0")/lib.sh"
plan 14
EMFILE="Too many open files|No file descriptors available"  # glibc, musl
REG_EXTRA="<restartDelayMax>1</restartDelayMax>" reg_write <<EOF
a 1 0 2
b 1 0 2
EOF
sv_start; ok $? "supervisor starts a and b"
pa=$(spid a) pb=$(spid b)
fds() { ls /proc/"$SUP"/fd 2>/dev/null | wc -l; }
free_fd() { local i=0; while [ -e /proc/"$SUP"/fd/$i ]; do i=$((i + 1)); done; echo "$i"; }  # the lowest
fd0=$(fds)
hard=$(awk '/^Max open files/ { print $5 }' /proc/"$SUP"/limits)
diag "supervisor: $fd0 fds open, lowest free $(free_fd), hard limit $hard"

# ---- 1. no fd to spare: a restart needs more than the dead server frees ----
lim=$(free_fd)
prlimit --pid "$SUP" --nofile="$lim":"$hard"
ok $? "prlimit lowers the supervisor's soft fd limit to $lim"
kill -KILL "$pa"
a_failing() { is_state a backoff && [ "$(spid a)" = 0 ] && state_get a last_error | grep -Eq "$EMFILE"; }
wait_for 10 a_failing
ok $? "a cannot be restarted: backoff, last error: $(state_get a last_error)"
like "$("$BIN" status -c "$REG" 2>&1)" "a: last error: .*($EMFILE)" "status shows the error"
grep -Eq "error a cannot start: .*($EMFILE)" "$T/log/supervisor.log"
ok $? "the trace log has it"
r0=$(state_get a restarts)
retried() { [ "$(state_get a restarts)" -ge $((r0 + 2)) ]; }
wait_for 10 retried
ok $? "it keeps retrying ($r0 -> $(state_get a restarts) restarts)"
ok $([ "$(fds)" -le "$fd0" ] && alive "$SUP"; echo $?) "the failed restarts leak no fd ($fd0 before, $(fds) now); the supervisor is up"

# ---- 2. no fd at all ----
prlimit --pid "$SUP" --nofile=4:"$hard"
kill -KILL "$pb"
no_state() { grep -Eq "cannot write .*supervisor.state: ($EMFILE)" "$T/log/supervisor.log"; }
wait_for 10 no_state
ok $? "with no fd left, the trace log says the state file cannot be written"
b_tried() { grep -Eq "error b cannot start: .*($EMFILE)" "$T/log/supervisor.log"; }
wait_for 10 b_tried
ok $(alive "$SUP"; echo $?) "b cannot be restarted either; the supervisor is still up"

# ---- the fault clears ----
prlimit --pid "$SUP" --nofile="$hard":"$hard"
both_back() {
	local id p
	for id in a b; do
		p=$(spid "$id")
		[ -n "$p" ] && [ "$p" != 0 ] && is_state "$id" running && alive "$p" || return 1
	done
}
wait_for 10 both_back
ok $? "once the limit is back, a and b run again (state file: a $(spid a), b $(spid b))"
ok $([ "$(spid b)" != "$pb" ]; echo $?) "b was restarted (it had died during the fault)"
"$BIN" status -c "$REG" >/dev/null 2>&1
is $? 0 "status reports every server running"
fd_same() { [ "$(fds)" -eq "$fd0" ]; }
wait_for 5 fd_same
ok $? "fd count back to $fd0 ($(fds))"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
done_testing
