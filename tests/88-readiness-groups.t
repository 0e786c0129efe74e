#!/bin/bash
# Start groups wait for readiness (issue 10 item 3) and `ImageServing start`
# returns once every server is ready or failed (item 4). ps (priority 2)
# starts only after is (priority 1, readiness notify) is ready, even when is
# is slower than its startDelay, and within a few ms of READY=1; while the
# group waits, the trace log names is each startDelay. When is is ready at
# once, the startDelay still holds. A fatal server does not block the next
# group, and start names it.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || command -v python3 >/dev/null || skip_all "python3 is needed"
plan 24
NOTIFIER=$TESTS/servers/notifier
ST=$T/stamps
LOG=$T/log/supervisor.log

# is: the notifier with readiness notify; ps, svg: srv (ready at exec).
registry() {  # registry IS_DELAY IS_ARGS [EXTRA_SERVERS_XML]
	cat >"$REG" <<EOF
<supervisor><config><log>$LOG</log><temp>$RUN</temp><tracelevel>debug</tracelevel></config><servers>
<server id="is"><executable>$NOTIFIER</executable><arguments><argument>is</argument>
$(for a in $2; do echo "<argument>$a</argument>"; done)</arguments>
<readiness>notify</readiness><startPriority>1</startPriority><startDelay>$1</startDelay>$TEST_MARK</server>
${3:-}
<server id="ps"><executable>$SRV</executable><arguments><argument>ps</argument><argument>--stamp</argument>
<argument>$ST</argument></arguments><startPriority>2</startPriority>$TEST_MARK</server>
</servers></supervisor>
EOF
}
stamp() { awk -v e="$1" -v id="$2" '$1 == e && $2 == id { print $4; exit }' "$ST" 2>/dev/null; }
has_stamp() { [ -n "$(stamp "$1" "$2")" ]; }
# The trace log of the latest supervisor.
last_run() { awk '/ supervisor [^ ]* started, pid/ { n = NR } { l[NR] = $0 } END { for (i = n; i <= NR; i++) print l[i] }' "$LOG"; }
waits_logged() { [ "$(grep -c "start sequence waiting for is (starting" "$LOG")" -ge "$1" ]; }

# ---- 1. is slower than its startDelay: ps waits for READY=1 ----
registry 1 "--ready-on $T/go --stamp $ST"
"$BIN" start -c "$REG" >"$T/start.out" 2>&1 &
CLI=$!
track "$CLI"
wait_for 10 is_state is starting; ok $? "is is exec'd and starting"
# Two reports, one per startDelay (1 s): by then ps would long have started
# under the old fixed delay.
wait_for 10 waits_logged 2; ok $? "the trace log names is, still starting, each startDelay while the group waits"
wait_for 5 grep -q "^imageserving: waiting for is (starting, [0-9.]* s)$" "$T/start.out"
ok $? "ImageServing start shows what it waits for, while it waits"
is "$(sstate ps)/$(phase)" "waiting/starting" "ps is still waiting, the supervisor still starting"
ok $(has_stamp start ps; [ $? -ne 0 ]; echo $?) "ps has not been started"
ok $(alive "$CLI"; echo $?) "ImageServing start has not returned: is is not ready"
touch "$T/go"
wait_for 10 has_stamp start ps; ok $? "ps starts once is is ready"
ris=$(stamp ready is) sps=$(stamp start ps)
lag=$(( (sps - ris) / 1000000 ))
ok $([ "$lag" -ge 0 ] && [ "$lag" -lt 500 ]; echo $?) "ps starts right after is sends READY=1 (${lag} ms, spawns included)"
# The supervisor's own clock: READY=1 read, then ps spawned in the same turn.
ms() { IFS=:. read -r h m s f <<<"$1"; echo $(( ((10#$h * 60 + 10#$m) * 60 + 10#$s) * 1000 + 10#$f )); }
t_ready=$(last_run | grep -m1 ' is ready after ' | cut -c12-23)
t_ps=$(last_run | grep -m1 ' ps started, pid' | cut -c12-23)
lag=$(( $(ms "$t_ps") - $(ms "$t_ready") ))
ok $([ "$lag" -ge 0 ] && [ "$lag" -le 100 ]; echo $?) "in the trace log, ps is started ${lag} ms after is is ready (<= 100: a spawn, even under ASan)"
wait "$CLI"; rc=$?
is "$rc" 0 "ImageServing start returns 0 once every server is ready"
like "$(cat "$T/start.out")" "^imageserving: started: is, ps \(supervisor pid [0-9]+\)$" "start says what it started"
is "$(phase)/$(state_get is ready)/$(state_get ps ready)" "running/1/1" "phase running, both servers ready"
"$BIN" stop -c "$REG" >/dev/null 2>&1; ok $? "stop"

# ---- 2. is ready at once: its startDelay still holds ----
rm -f "$ST"
registry 2 "--stamp $ST"
"$BIN" start -c "$REG" >"$T/start.out" 2>&1; ok $? "start (is ready at once, startDelay 2 s)"
wait_for 5 has_stamp start ps
# From the trace log's own times: the stamps of a python server come late.
started_at() { last_run | grep -m1 -E " $1 started, pid" | cut -c12-23; }
gap=$(( $(ms "$(started_at ps)") - $(ms "$(started_at is)") ))
ok $([ "$gap" -ge 1950 ] && [ "$gap" -lt 3500 ]; echo $?) "ps still waits for the 2 s startDelay (${gap} ms after is)"
"$BIN" stop -c "$REG" >/dev/null 2>&1

# ---- 3. failed servers do not block the sequence; start names them ----
# bad (readiness notify) dies before it is ever ready: restarted at once the
# first time, the group waits (it may yet become ready); after the second
# quick death it backs off, has failed, and the group goes on; it is fatal
# after the third. slow is never ready: its startTimeout (1 s) fails it, it
# is restarted at once, fails again, backs off: the wait has a bound.
rm -f "$ST"
registry 0 "--stamp $ST" "<server id=\"bad\"><executable>$SRV</executable><arguments><argument>bad</argument>
<argument>--exit</argument><argument>1</argument></arguments><startPriority>1</startPriority>
<readiness>notify</readiness><maxRestarts>2</maxRestarts>$TEST_MARK</server>
<server id=\"slow\"><executable>$NOTIFIER</executable><arguments><argument>slow</argument>
<argument>--never-ready</argument></arguments><startPriority>1</startPriority><stopTimeout>2</stopTimeout>
<readiness>notify</readiness><startTimeout>1</startTimeout>$TEST_MARK</server>"
"$BIN" start -c "$REG" >"$T/start.out" 2>&1; rc=$?
is "$rc" 1 "start exits 1 when servers failed"
like "$(cat "$T/start.out")" "server bad: (fatal: )?died [23] times in a row" "start names bad and why"
like "$(cat "$T/start.out")" "server slow: not ready after 1 s \(startTimeout\)" "start names slow and why"
wait_for 5 has_stamp start ps
like "$(cat "$T/start.out")" "started: is, ps; not ready: bad \((backoff|fatal)\), slow \((backoff|starting|stopping)\)" \
	"start's summary lists them as not ready (in the state read just after: they keep being restarted)"
# line NUMBER of the first trace line matching a pattern in the last run
line_of() { last_run | grep -n -m"${2:-1}" -E "$1" | tail -n 1 | cut -d: -f1; }
lb=$(line_of ' bad exited unexpectedly' 2) ls=$(line_of ' slow failed: not ready after 1 s' 2) lp=$(line_of ' ps started')
ok $([ -n "$lb" ] && [ -n "$ls" ] && [ -n "$lp" ] && [ "$lp" -gt "$lb" ] && [ "$lp" -gt "$ls" ]; echo $?) \
	"ps started only after bad died twice and slow failed its startTimeout twice (trace lines $lb, $ls < $lp)"
wait_for 10 is_state bad fatal; ok $? "bad ends fatal"
is "$(phase)/$(sstate ps)" "running/running" "the sequence is done: ps running"
like "$(grep 'every start group started and settled' "$LOG" | tail -n 1)" "2 running, 2 not: bad, slow" \
	"the trace log's summary names bad and slow"
"$BIN" stop -c "$REG" >/dev/null 2>&1; ok $? "stop"
done_testing
