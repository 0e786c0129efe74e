#!/bin/bash
# Regression tests of defects found by reading the code (issue #8, item 14)
# and of the client's wait for `start ID` of a fatal server (repro R).
. "$(dirname "$0")/lib.sh"
plan 14
ST=$T/stamps

# ---- the client's wait for a server with a stopTimeout of ~35 days ----
reg_write <<EOF
a 1 0 3000000
EOF
sv_start
p=$(spid a)
out=$("$BIN" restart a -c "$REG" 2>&1); rc=$?
is "$rc" 0 "restart ID of a server with stopTimeout 3000000 s waits and succeeds ($out)"
ok $([ "$(spid a)" != "$p" ] && alive "$(spid a)"; echo $?) "with a new pid"
is "$(state_raw a stop_timeout_ms)" 3000000000 "the daemon publishes its stop timeout in ms (64-bit)"
sv_stop

# ---- start ID of a fatal server reports the start, not the old fatal state ----
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="f"><executable>/bin/sh</executable><arguments><argument>-c</argument>
<argument>test -e $T/flag || exit 2; exec sleep 3600</argument></arguments>
<maxRestarts>2</maxRestarts><restartDelayMax>0</restartDelayMax>$TEST_MARK</server></servers></supervisor>
EOF
sv_start
wait_for 10 is_state f fatal; ok $? "f becomes fatal"
touch "$T/flag"
out=$("$BIN" start f -c "$REG" 2>&1); rc=$?
is "$rc" 0 "start f, once its cause is fixed, exits 0 ($out)"
is "$(sstate f)" running "and f runs"
sv_stop

# ---- a command during a stop is answered at once ----
reg_write <<EOF
a 1 0 3 --ignore-term
EOF
sv_start
kill -TERM "$SUP"
stopping() { [ "$(sup_raw phase)" = stopping ]; }
wait_for 5 stopping
t0=$(date +%s%N)
out=$("$BIN" restart a -c "$REG" 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$rc" 1 "restart ID while the supervisor stops exits 1"
like "$out" "the supervisor is stopping" "and says why"
ok $([ "$ms" -lt 2000 ] && alive "$SUP"; echo $?) "it answered in $ms ms, before the stop ended"
sv_stop

# ---- a reload that changes only stopSignal: the running instance keeps the
# signal it has as its parent-death signal, for the stop too ----
rm -f "$ST"
reg_write <<EOF
a 1 0 2 --stamp $ST
EOF
sv_start
p=$(spid a)
REG_EXTRA="<stopSignal>INT</stopSignal>" reg_write <<EOF
a 1 0 2 --stamp $ST
EOF
"$BIN" reload -c "$REG" >/dev/null
is "$(spid a)" "$p" "a reload changing only stopSignal keeps the process"
like "$(cat "$T/log/supervisor.log")" "new stop signal INT applies from its next start" "the trace log says when it applies"
"$BIN" stop a -c "$REG" >/dev/null
like "$(cat "$ST")" "stop a $p" "stop ID sends that instance's signal (TERM, its parent-death signal), not INT"
"$BIN" start a -c "$REG" >/dev/null
q=$(spid a)
"$BIN" stop a -c "$REG" >/dev/null
unlike "$(cat "$ST")" "stop a $q" "the next instance gets INT (the server's TERM handler does not run)"
grep -q "stopped (signal INT)" "$T/log/supervisor.log"; ok $? "and stops by INT"
sv_stop
done_testing
