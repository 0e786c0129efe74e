#!/bin/bash
# Regression tests of defects found by using the supervisor as an operator
# would (issue #8): each case failed before its fix.
. "$(dirname "$0")/lib.sh"
plan 31

# ---- 3. started with fds 0-2 closed: the lock is not on fd 2, servers get a stderr ----
reg_write <<EOF
a 1 0 2 --print hello
EOF
"$BIN" start -c "$REG" 0<&- 1>&- 2>&-; rc=$?
is "$rc" 0 "start with stdin, stdout and stderr closed succeeds"
D=$(cat "$RUN/supervisor.pid" 2>/dev/null)
lockfd=$(ls -l /proc/"$D"/fd 2>/dev/null | awk '/supervisor.lock/ { print $9 }')
ok $([ -n "$lockfd" ] && [ "$lockfd" -ge 3 ]; echo $?) "the daemon's lock is on fd $lockfd, not 0-2"
"$BIN" status -c "$REG" >/dev/null; is "$?" 0 "status sees that daemon"
out=$("$BIN" start -c "$REG" 2>&1); is "$?" 0 "a second start: already running, exit 0"
like "$out" "already running \\(pid $D\\)" "it names the one daemon"
wait_for 5 grep -q hello-err "$T/log/a.log"; ok $? "the server's stderr reaches its log"
"$BIN" stop -c "$REG" >/dev/null; ok $(dead "$D"; echo $?) "stop stops it"

# ---- 11. the daemon shows in ps as itself, not as the client that started it ----
"$BIN" start -c "$REG" >/dev/null 2>&1
D=$(cat "$RUN/supervisor.pid")
is "$(tr '\0' ' ' </proc/"$D"/cmdline)" "imageserving supervisor -c $REG " "ps shows 'imageserving supervisor -c REG'"
"$BIN" stop -c "$REG" >/dev/null

# ---- 5. start while a supervisor is stopping: waits for the stop, then starts ----
reg_write <<EOF
slow 1 0 2 --ignore-term
EOF
"$BIN" start -c "$REG" >/dev/null 2>&1
D=$(cat "$RUN/supervisor.pid")
kill -TERM "$D"
stopping() { [ "$(sup_raw phase)" = stopping ]; }
wait_for 5 stopping; ok $? "the supervisor is stopping (its server ignores TERM: 2 s)"
out=$("$BIN" start -c "$REG" 2>&1); rc=$?
is "$rc" 0 "start during that stop exits 0"
like "$out" "is stopping; starting once it is gone" "and says it waits for the stop"
N=$(cat "$RUN/supervisor.pid" 2>/dev/null)
ok $([ -n "$N" ] && [ "$N" != "$D" ] && alive "$N" && dead "$D"; echo $?) "a new supervisor ($N) runs, the old one ($D) is gone"
is "$(sstate slow)" running "and its server runs"
"$BIN" stop -c "$REG" >/dev/null

# ---- 9. restarts counts crashes only; asked-for restarts apart ----
reg_write <<EOF
a 1 0 2
EOF
sv_start
"$BIN" restart a -c "$REG" >/dev/null
is "$(state_get a restarts)/$(state_get a restarts_requested)" "0/1" "restart ID: restarts 0, restarts_requested 1"
p=$(spid a); kill -KILL "$p"
crashed() { [ "$(state_get a restarts)" = 1 ] && [ "$(spid a)" != "$p" ]; }
wait_for 5 crashed; ok $? "a crash: restarts 1"
is "$(state_get a restarts_requested)" 1 "restarts_requested still 1"

# ---- 6. stop ID, then a reload removes it and another re-adds it while it stops ----
reg_write <<EOF
a 1 0 3
h 1 0 3 --ignore-term
EOF
kill -HUP "$SUP"; wait_for 5 is_state h running
"$BIN" stop h -c "$REG" >/dev/null 2>&1 &
STOPPER=$!; track "$STOPPER"
wait_for 5 is_state h stopping; ok $? "stop h: h is stopping (it ignores TERM, 3 s)"
cp "$REG" "$T/with-h"
reg_write <<EOF
a 1 0 3
EOF
kill -HUP "$SUP"
removed() { [ "$(state_get h removed)" != "" ] || [ "$(state_raw h removed)" = 1 ]; }
wait_for 5 removed
cp "$T/with-h" "$REG"
kill -HUP "$SUP"
back() { [ "$(state_raw h removed)" = 0 ]; }
wait_for 5 back; ok $? "removed, then re-added while still stopping"
wait "$STOPPER"
settled() { is_state h stopped; }
wait_for 8 settled; ok $? "once gone it stays stopped (by request), not started again"
is "$(state_get h held)" 1 "still stopped by request"

# ---- 7. memory: a member of its process group reparented to the supervisor counts ----
cat >"$T/fat" <<'EOF'
#!/bin/sh
# a grandchild in our process group that holds 64 MiB, orphaned at once
(python3 -c 'import time; b = bytearray(64 << 20); b[::4096] = b"x" * (len(b) // 4096); time.sleep(3600)' &)
exec sleep 3600
EOF
chmod +x "$T/fat"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="fat"><executable>$T/fat</executable>$TEST_MARK</server></servers></supervisor>
EOF
kill -HUP "$SUP"
big() { [ "$(state_get fat rss_bytes)" -gt $((60 << 20)) ] 2>/dev/null; }
wait_for 10 big; ok $? "status counts the reparented 64 MiB process ($(state_get fat rss_bytes) bytes)"
sv_stop

# ---- 8. the trace log tells which servers did not start, and the registry's warnings ----
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp><colour>blue</colour></config><servers>
<server id="good"><executable>/bin/sleep</executable><arguments><argument>3600</argument></arguments>$TEST_MARK</server>
<server id="bad"><executable>/nonexistent/x</executable></server></servers></supervisor>
EOF
: >"$T/log/supervisor.log"
sv_start
like "$(cat "$T/log/supervisor.log")" "warning - $REG:1: warning: unknown element <colour>" "the registry's warning is in the trace log, with its line"
like "$(grep 'start group' "$T/log/supervisor.log")" "1 running, 1 not: bad" "the trace log names the server that did not start"
unlike "$(cat "$T/log/supervisor.log")" "all servers started" "it does not claim all servers started"
sv_stop

# ---- 12. SV_ variables of the client that differ from the daemon's ----
cat >"$REG" <<EOF
<supervisor><variables><variable name="arg">3600</variable></variables>
<config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="v"><executable>/bin/sleep</executable><arguments><argument>SV::arg</argument></arguments>$TEST_MARK</server>
</servers></supervisor>
EOF
sv_start
p=$(spid v)
out=$(SV_arg=7 "$BIN" reload -c "$REG" 2>&1)
like "$out" "note: SV_arg=7 is set here, but the supervisor .* has it unset" "reload with another SV_arg says the daemon keeps its own"
sleep 0.3
is "$(spid v)" "$p" "and the server is untouched (the daemon's value counts)"
sv_stop

# ---- 4. restart against a foreground supervisor: in place, same pid ----
reg_write <<EOF
a 1 0 2
EOF
sv_start
p=$(spid a)
out=$("$BIN" restart -c "$REG" 2>&1); rc=$?
is "$rc" 0 "restart of a foreground supervisor exits 0"
like "$out" "restarted in place \\(pid $SUP\\)" "it restarted in place"
ok $(alive "$SUP"; echo $?) "the foreground supervisor ($SUP) did not exit"
q=$(spid a)
ok $([ -n "$q" ] && [ "$q" != 0 ] && [ "$q" != "$p" ] && alive "$q" && dead "$p"; echo $?) "its server was restarted ($p -> $q)"
sv_stop
is "$SV_RC" 0 "it still stops cleanly afterwards"
done_testing
