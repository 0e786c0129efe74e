#!/bin/bash
# Fault: an unwritable run or log directory. Root ignores directory modes, so
# the supervisor runs as nobody, with a run and log directory it owns, and the
# test (root) takes the write permission away (chmod 555) and gives it back.
#  - run directory unwritable at start: a one-line error naming it, exit 1;
#  - run directory unwritable while running: a server killed meanwhile is
#    restarted all the same, the trace log says the state file cannot be
#    written, and once the directory is writable again the state file catches
#    up by itself (no other event needed);
#  - log directory unwritable: a server added by reload cannot open its log
#    file: backoff, the error in the trace log and status; it starts once the
#    directory is writable again.
. "$(dirname "$0")/lib.sh"
plan 14
if ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null || [ "$(id -u)" != 0 ]; then
	for i in $(seq 14); do skip "needs root, setpriv and a user nobody"; done
	exit 0
fi
G=$(id -gn nobody)
as_nobody() { setpriv --reuid=nobody --regid="$G" --clear-groups "$@"; }
chmod 755 "$T"
mkdir -p "$T/log" "$RUN"
chown nobody:"$G" "$T/log" "$RUN"
REG_EXTRA="<restartDelayMax>1</restartDelayMax>" reg_write <<EOF
a 1 0 2
b 1 0 2
EOF
chmod 644 "$REG"

# ---- run directory unwritable at start ----
chmod 555 "$RUN"
out=$(as_nobody "$BIN" supervisor -f -c "$REG" 2>&1); rc=$?
is "$rc" 1 "with an unwritable run directory the supervisor refuses to start (exit 1)"
like "$out" "$RUN.*Permission denied" "and says why, naming the directory: $out"
chmod 755 "$RUN"

setpriv --reuid=nobody --regid="$G" --clear-groups "$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for 20 is_phase running
ok $? "the supervisor (as nobody) starts a and b"
pa=$(spid a) pb=$(spid b)

# ---- run directory unwritable while running ----
chmod 555 "$RUN"
kill -KILL "$pa"
logged() { grep -q "cannot write $RUN/supervisor.state: Permission denied" "$T/log/supervisor.log"; }
wait_for 10 logged
ok $? "the trace log says the state file cannot be written"
a_proc() { grep -q 'info a started, pid' <(grep -A100 'exited unexpectedly' "$T/log/supervisor.log"); }
wait_for 10 a_proc
ok $(a_proc && alive "$SUP"; echo $?) "a is restarted all the same; the supervisor is up"
chmod 755 "$RUN"
a_right() { local p; p=$(spid a); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pa" ] && alive "$p" && is_state a running; }
wait_for 5 a_right
ok $? "once the run directory is writable again, the state file catches up by itself (a: $(spid a), was $pa)"
"$BIN" status -c "$REG" >/dev/null 2>&1
is $? 0 "status: every server running"

# ---- log directory unwritable: a server added by reload cannot open its log ----
chmod 555 "$T/log"
REG_EXTRA="<restartDelayMax>1</restartDelayMax>" reg_write <<EOF
a 1 0 2
b 1 0 2
c 1 0 2
EOF
chmod 644 "$REG"
kill -HUP "$SUP"
c_failing() { is_state c backoff && state_get c last_error | grep -q "c.log: Permission denied"; }
wait_for 10 c_failing
ok $? "the added server c cannot open its log file: backoff, last error: $(state_get c last_error)"
like "$("$BIN" status -c "$REG" 2>&1)" "c: last error: log $T/log/c.log: Permission denied" "status shows it"
grep -q "error c cannot start: log $T/log/c.log: Permission denied" "$T/log/supervisor.log"
ok $? "the trace log (already open) has it"
is "$(spid b)" "$pb" "b is untouched"
chmod 755 "$T/log"
c_runs() { local p; p=$(spid c); [ -n "$p" ] && [ "$p" != 0 ] && is_state c running && alive "$p"; }
wait_for 10 c_runs
ok $? "once the log directory is writable again, c starts through its backoff"
ok $([ -e "$T/log/c.log" ]; echo $?) "c's log file exists"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
done_testing
