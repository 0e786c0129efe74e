#!/bin/bash
# A server that cannot be exec'd (missing file, no execute permission) is
# reported with the OS error in the trace log and in status, handled by the
# restart policy (backoff), warned about by check, and named by a daemon-mode
# start, which then fails while the supervisor keeps running (SPEC 8).
. "$(dirname "$0")/lib.sh"
plan 27

printf '#!/bin/sh\nexec sleep 3600\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp>
<tracelevel>debug</tracelevel></config><servers>
<server id="good"><executable>$SRV</executable><arguments><argument>good</argument></arguments>
  <startPriority>1</startPriority><startDelay>0</startDelay><stopTimeout>5</stopTimeout></server>
<server id="missing"><executable>$T/no/such/server</executable>
  <startPriority>1</startPriority><startDelay>0</startDelay><stopTimeout>5</stopTimeout></server>
<server id="noexec"><executable>$T/noexec.sh</executable>
  <startPriority>2</startPriority><startDelay>0</startDelay><stopTimeout>5</stopTimeout></server>
<server id="late"><executable>$SRV</executable><arguments><argument>late</argument></arguments>
  <startPriority>3</startPriority><startDelay>0</startDelay><stopTimeout>5</stopTimeout></server>
</servers></supervisor>
EOF
trap '"$BIN" -c "$REG" stop >/dev/null 2>&1; _cleanup' EXIT

# ---- check warns up front, but the registry is valid ----
out=$("$BIN" check -c "$REG" 2>"$T/check.err"); rc=$?
is "$rc" 0 "check exits 0 (a missing executable is only a warning)"
like "$(cat "$T/check.err")" "warning.*missing.*No such file or directory" "check warns about the missing executable"
like "$(cat "$T/check.err")" "warning.*noexec.*Permission denied" "check warns about the non-executable file"

# ---- foreground supervisor ----
sv_start; ok $? "the supervisor starts every priority group despite the failures"
ok $(alive "$SUP"; echo $?) "the supervisor keeps running"
ok $(is_state good running && is_state late running && alive "$(spid good)" && alive "$(spid late)"; echo $?) \
	"the other servers run (including the group after the failing one)"
is "$(spid missing)" 0 "the missing server has no pid"
out=$("$BIN" -c "$REG" status 2>&1); rc=$?
is "$rc" 1 "status exits 1: supervisor running, a server is not"
like "$out" "missing: last error: .*No such file or directory" "status gives the OS error for the missing executable"
like "$out" "noexec: last error: .*Permission denied" "status gives the OS error for the non-executable file"
unlike "$(echo "$out" | grep '^missing ')" " running " "status does not show the missing server as running"
"$BIN" -c "$REG" status good late >/dev/null 2>&1
is $? 0 "status of the good servers alone exits 0"
json=$("$BIN" -c "$REG" status --json missing 2>&1)
like "$json" '"id": "missing", .*"pid": null, .*"last_error": "[^"]*No such file or directory"' \
	"status --json: no pid, last_error with the OS error"
like "$(grep ' missing ' "$T/log/supervisor.log")" "error missing .*No such file or directory" \
	"the trace log has the OS error (missing)"
like "$(grep ' noexec ' "$T/log/supervisor.log")" "error noexec .*Permission denied" \
	"the trace log has the OS error (permission)"

# restart policy: it is retried, with a growing delay
r0=$(state_get missing restarts)
grown() { [ "$(state_get missing restarts)" -ge $((r0 + 1)) ]; }
wait_for 15 grown  # the backoff doubles: the 7th retry comes 3.2 s after the 6th
ok $? "the missing server is retried (restarts grow from $r0 to $(state_get missing restarts))"
wait_for 5 is_state missing backoff
ok $? "between attempts its state is backoff"
delays=$(grep ' missing restarting in ' "$T/log/supervisor.log" | awk '{print $NF=="s" ? $(NF-1) : $NF}' | sort -un | tr '\n' ' ')
like "$delays" '0\.[2-9]|[1-9]\.' "the retry delay grows (delays seen: $delays)"
ok $(alive "$SUP" && alive "$(spid good)"; echo $?) "supervisor and good server still fine after the retries"
# the binary "appears" (a volume mounted late): the next retry starts it
chmod 755 "$T/noexec.sh"
wait_for 10 is_state noexec running
ok $? "once the file is executable, a retry starts the server (it never gave up)"
chmod 644 "$T/noexec.sh"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly, exit 0"

# ---- daemon-mode start reports the failed servers ----
"$BIN" -c "$REG" start >"$T/start.out" 2>&1; rc=$?
is "$rc" 1 "daemon-mode start exits 1 when a server failed to start"
like "$(cat "$T/start.out")" "missing.*No such file or directory" "start names the missing server and the OS error"
like "$(cat "$T/start.out")" "noexec.*Permission denied" "start names the non-executable server and the OS error"
daemon=$(cat "$RUN/supervisor.pid" 2>/dev/null)
[ -n "$daemon" ] && track "$daemon"
ok $([ -n "$daemon" ] && alive "$daemon"; echo $?) "the supervisor still runs after the failed start"
"$BIN" -c "$REG" status good late >/dev/null 2>&1
is $? 0 "its good servers run"
"$BIN" -c "$REG" stop >/dev/null 2>&1
is $? 0 "stop exits 0"
done_testing
