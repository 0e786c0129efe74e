#!/bin/bash
# Health checks (SPEC §5): tcp, http and exec probes pass and fail; a server
# that fails `failures` probes in a row is restarted like a crashed one,
# within failures × interval + timeout + stopTimeout, the reason in
# last_error; failures during startPeriod do not count; readiness health
# holds a server in `starting` until its first pass; an exec probe that
# hangs is killed with its process group; no probe while a server is
# stopped or in backoff; a reload adding a check keeps the process; with no
# check the loop sleeps without a timeout. Real servers on loopback
# (tests/servers/hstub), real processes, deadlines.
. "$(dirname "$0")/lib.sh"
plan 57
HS=$TESTS/servers/hstub
# A free loopback port (the kernel's choice, released at once).
freeport() { perl -MSocket -e 'socket(S, PF_INET, SOCK_STREAM, 0) or die; bind(S, sockaddr_in(0, INADDR_LOOPBACK)) or die;
	print +(sockaddr_in(getsockname(S)))[0], "\n"'; }
PW=$(freeport) PT=$(freeport) PM=$(freeport)
while [ "$PT" = "$PW" ]; do PT=$(freeport); done
while [ "$PM" = "$PW" ] || [ "$PM" = "$PT" ]; do PM=$(freeport); done
hits() { cat "$T/$1.mode.hits" 2>/dev/null | wc -l | tr -d ' '; }
count() { cat "$T/$1.count" 2>/dev/null | wc -l | tr -d ' '; }
sjq() { status_json | jq -r --arg id "$1" ".servers[] | select(.id == \$id) | $2" 2>/dev/null; }
health() { sjq "$1" '.health.summary // ""'; }
health_like() { health "$1" | grep -Eq -- "$2"; }
count_ge() { [ "$(count "$1")" -ge "$2" ]; }
hits_ge() { [ "$(hits "$1")" -ge "$2" ]; }
restarted() { local p; p=$(spid "$1"); [ "$p" != 0 ] && [ "$p" != "$2" ]; }
running_ready() { [ "$(sjq "$1" '"\(.state) \(.ready)"')" = "running true" ]; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# An exec probe: counts its runs, says who it is in the server's log, keeps
# its environment, exits with the code in $T/ID.code (0 if none); with
# $T/ID.hang it records its pid and its child's and waits for the child.
cat >"$T/probe.sh" <<'EOF'
#!/bin/sh
d=$1 id=$2
echo run >>"$d/$id.count"
echo "probe of $IMAGESERVING_SERVER ran"
env >"$d/$id.env.new" && mv "$d/$id.env.new" "$d/$id.env"  # whole, for the reader
if [ -e "$d/$id.hang" ]; then
	echo $$ >"$d/$id.pid"
	sleep 300 &
	echo $! >"$d/$id.child"
	wait
fi
exit "$(cat "$d/$id.code" 2>/dev/null || echo 0)"
EOF
chmod +x "$T/probe.sh"
probe() { echo "<exec><argument>$T/probe.sh</argument><argument>$T</argument><argument>$1</argument></exec>"; }
fast="<interval>1</interval><timeout>1</timeout><failures>2</failures>"
server() {  # server ID EXECUTABLE ARGS HEALTHCHECK EXTRA
	local a args=
	for a in $3; do args="$args<argument>$a</argument>"; done
	echo "<server id=\"$1\"><executable>$2</executable><arguments>$args</arguments>"
	echo "${4:+<healthCheck>$4</healthCheck>}<stopTimeout>2</stopTimeout>$TEST_MARK${5:-}</server>"
}
registry() {
	echo "<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp><tracelevel>debug</tracelevel>"
	echo "<tcpport>$PM</tcpport>"
	echo "</config><servers>"
	server web "$HS" "$PW $T/web.mode" "<http url=\"http://127.0.0.1:$PW/ping\" status=\"200\"/>$fast
		<startPeriod>30</startPeriod><startInterval>1</startInterval>"
	server tcp "$HS" "$PT $T/tcp.mode" "<tcp host=\"127.0.0.1\" port=\"$PT\"/>$fast<startPeriod>10</startPeriod>"
	server ex "$SRV" "ex" "$(probe ex)$fast" "<readiness>exec</readiness>"
	server slow "$SRV" "slow" "$(probe slow)<interval>1</interval><timeout>1</timeout><failures>1</failures>" \
		"<readiness>exec</readiness>"
	server held "$SRV" "held" "$(probe held)<interval>1</interval>" "<readiness>exec</readiness>"
	server crashy "$SRV" "crashy --exit 1" "$(probe crashy)<interval>1</interval>" \
		"<readiness>exec</readiness><restartDelayMax>1</restartDelayMax>"
	server plain "$SRV" "plain" "" "${1:-}"
	echo "</servers></supervisor>"
}
registry >"$REG"
sv_start; ok $? "supervisor starts with tcp, http and exec checks"

# ---- passing checks: each kind ----
wait_for 10 running_ready web; ok $? "http: the check passes: web running and ready"
is "$(health web)" "ok" "http: health says ok"
wait_for 10 health_like tcp '^ok$'; ok $? "tcp: the check passes (health ok)"
wait_for 10 health_like ex '^ok$'; ok $? "exec: the check passes (health ok)"
grep -q "probe of ex ran" "$T/log/ex.log"; ok $? "exec: the probe's output goes to the server's log"
keys=$(cut -d= -f1 "$T/ex.env" | sort | tr '\n' ' ')
like "$keys" "IMAGESERVING_SERVER" "exec: the probe gets IMAGESERVING_SERVER"
wait_for 5 grep -qx "IMAGESERVING_SERVER=ex" "$T/ex.env"; ok $? "exec: ... set to the server's id"
unlike "$keys" "IS_TEST_T|HOME|IMAGESERVING_SUPERVISOR" "exec: a clean environment, not the server's nor ours ($keys)"
is "$(sjq plain '.health')" "null" "a server without a check has health null"
now_s=$(date +%s)
is "$(sjq tcp '.health | "\(.status) \(.failures) \(.last_error) \(.since > 0 and .since <= '"$now_s"')"')" \
	"passing 0 null true" "--json health object: status passing, no failure, no error, since when"
is "$(sjq tcp .readiness) $(sjq plain .readiness)" "health exec" "--json readiness: health with a check, exec without"
like "$("$BIN" status -c "$REG")" "web: health: ok \(since [0-9]{2}:[0-9]{2}:[0-9]{2}Z; readiness health\)" \
	"status shows the health summary on a detail line, since when, and the readiness source"

# ---- http 503: restarted like a crash, within the bound ----
pw=$(spid web)
echo 503 >"$T/web.mode"
t0=$(date +%s%N)
wait_for 10 restarted web "$pw"; ok $? "http 503: web restarted"
el=$(ms_since "$t0")
ok $([ "$el" -le 6500 ]; echo $?) "... within failures × interval + timeout + stopTimeout (5 s, +1.5 s): ${el} ms"
is "$(state_get web restarts)" 1 "... counted as a restart"
is "$(state_get web last_error)" "health: http 503 (2 in a row)" "... the reason in last_error"
grep -q "web failed: health: http 503 (2 in a row); restarting it" "$T/log/supervisor.log"
ok $? "... and in the trace log"
# ---- the new instance: startPeriod grace, readiness health ----
pw=$(spid web) h0=$(hits web)
wait_for 10 hits_ge web $((h0 + 3)); ok $? "the new instance is probed (3 failing probes during its start period)"
is "$(sjq web '"\(.state) \(.ready) \(.restarts) \(.pid)"')" "starting false 1 $pw" \
	"failures during startPeriod do not count: still starting, not ready, same pid, 1 restart"
like "$(health web)" "^starting \(grace until [0-9:]+Z\): http 503$" "health says starting, with the grace"
echo 200 >"$T/web.mode"
wait_for 5 running_ready web; ok $? "readiness health: running and ready at the first pass"
is "$(spid web) $(state_get web restarts)" "$pw 1" "... the same process, no restart"
is "$(health web)" "ok" "... health ok"

# ---- a hung server (SIGSTOPped: alive, connections accepted by the kernel, never answered) ----
pw=$(spid web)
kill -STOP "$pw"
t0=$(date +%s%N)
wait_for 10 restarted web "$pw"; ok $? "hung http server: restarted"
el=$(ms_since "$t0")
ok $([ "$el" -le 6500 ]; echo $?) "... within failures × interval + timeout + stopTimeout (5 s, +1.5 s): ${el} ms"
is "$(state_get web last_error)" "health: http answer timed out after 1 s (2 in a row)" "... the reason in last_error"
wait_for 5 dead "$pw"; ok $? "... the hung process is gone"
is "$(state_get web restarts)" 2 "restart count 2"

# ---- tcp: the listener closes its socket ----
pt=$(spid tcp)
echo close >"$T/tcp.mode"
wait_for 10 restarted tcp "$pt"; ok $? "tcp: a server that closed its listening socket is restarted"
is "$(state_get tcp last_error)" "health: tcp connect refused (2 in a row)" "... the reason in last_error"
rm -f "$T/tcp.mode"
wait_for 10 health_like tcp '^ok$'; ok $? "tcp: the new instance passes"

# ---- exec: exit 1 ----
pe=$(spid ex)
echo 1 >"$T/ex.code"
wait_for 10 health_like ex '^failing 1/2: exec exit 1$'; ok $? "exec exit 1: health says failing 1/2"
is "$(sjq ex '.health | "\(.status) \(.failures) \(.last_error)"')" "failing 1 exec exit 1" \
	"--json health object: status failing, 1 failure in a row, the probe's error"
wait_for 10 restarted ex "$pe"; ok $? "exec exit 1: restarted after 2 in a row"
is "$(state_get ex last_error)" "health: exec exit 1 (2 in a row)" "... the reason in last_error"
rm -f "$T/ex.code"
wait_for 10 health_like ex '^ok$'; ok $? "exec: passes again"

# ---- exec: a probe that hangs is killed with its group at the timeout ----
ps_=$(spid slow)
touch "$T/slow.hang"
wait_for 10 test -s "$T/slow.child"; ok $? "a hanging exec probe runs (and started a child)"
pp=$(cat "$T/slow.pid") pc=$(cat "$T/slow.child")
rm -f "$T/slow.hang"
wait_for 10 restarted slow "$ps_"; ok $? "exec timeout: the server is restarted"
is "$(state_get slow last_error)" "health: exec timed out after 1 s (1 in a row)" "... the reason in last_error"
wait_for 5 dead "$pp"; ok $? "the probe process is gone (pid $pp)"
wait_for 5 dead "$pc"; ok $? "its child in its process group is gone too (pid $pc)"
ok $([ -z "$(zombies_of "$SUP")" ]; echo $?) "no zombie left under the supervisor"

# ---- the failures counter of /metrics ----
fails=$(curl -s "http://127.0.0.1:$PM/metrics" | sed -n 's/^imageserving_health_check_failures_total{server="web"} //p')
ok $([ -n "$fails" ] && [ "$fails" -ge 7 ]; echo $?) \
	"/metrics counts web's failed checks: ${fails:-none} (2 + 3 or more in grace + 2)"

# ---- no probe while stopped or in backoff ----
"$BIN" stop held -c "$REG" >/dev/null 2>&1
wait_for 10 is_state held stopped; ok $? "held stopped by request"
c0=$(count held) k0=$(count ex)
wait_for 10 count_ge ex $((k0 + 3)); ok $? "time passes: 3 probes of another server"
is "$(count held)" "$c0" "no probe of a stopped server"
ok $([ "$(state_get crashy restarts)" -ge 3 ]; echo $?) "crashy has crash-looped ($(state_get crashy restarts) restarts)"
is "$(count crashy)" 0 "no probe of a server in backoff, nor of an instance younger than one interval"

# ---- reload: adding a check keeps the process ----
pp=$(spid plain)
registry "<readiness>exec</readiness>" | sed "s|<server id=\"plain\">|&<healthCheck>$(probe plain)<interval>1</interval></healthCheck>|" >"$REG"
"$BIN" reload -c "$REG" >/dev/null 2>&1; ok $? "reload with a check added to a running server"
wait_for 10 health_like plain '^ok$'; ok $? "the new check runs (health ok)"
is "$(spid plain)" "$pp" "... on the same process"
registry "<readiness>exec</readiness>" >"$REG"
"$BIN" reload -c "$REG" >/dev/null 2>&1; ok $? "reload with that check removed again"
no_health() { [ -z "$(health "$1")" ] && [ "$(sjq "$1" .state)" = running ]; }
wait_for 10 no_health plain; ok $? "the check is gone (health null), the server still running"
is "$(spid plain) $(state_get plain restarts_requested)" "$pp 0" "... on the same process, never restarted"

# ---- the loop's timers: finite with checks, none without ----
need strace strace || { skip "strace: not installed"; skip "strace: not installed"; sv_stop; done_testing; exit; }
# The loop's deadlines are its timerfd's (daemon/loop.c); its waits have no
# timeout of their own (-1, or 0 with work pending).
n_timeouts_ge() { [ "$(epoll_timeouts "$1" | wc -l)" -ge "$2" ]; }
n_armed_ge() { [ "$(timerfd_leads "$1" | wc -l)" -ge "$2" ]; }
strace -qq -ttt -e trace=epoll_wait,epoll_pwait,timerfd_settime -p "$SUP" -o "$T/st1" 2>/dev/null &
track $!
wait_for 10 n_armed_ge "$T/st1" 3
leads=$(timerfd_leads "$T/st1")
max=$(echo "$leads" | grep -v relative | sort -n | tail -1)
others=$(epoll_timeouts "$T/st1" | grep -vxE -- '-1|0' | sort -u | tr '\n' ' ')
ok $([ -n "$max" ] && ! echo "$leads" | grep -q relative && [ "$max" -le 1000 ] && [ -z "$others" ]; echo $?) \
	"with 1 s checks the deadline timer is armed at most 1 s ahead (farthest: ${max:-none} ms), the waits have no timeout of their own (others: ${others:-none})"
sv_stop

# A supervisor whose servers have no check: every wait is without a timeout.
RUN=$T/run2 REG=$T/reg2.xml
reg_write <<EOF2
quiet 1 0 5
EOF2
sv_start
strace -qq -ttt -e trace=epoll_wait,epoll_pwait,timerfd_settime -p "$SUP" -o "$T/st2" 2>/dev/null &
track $!
wait_for 5 grep -q epoll "$T/st2"
for i in 1 2 3; do kill -USR2 "$SUP"; wait_for 5 n_timeouts_ge "$T/st2" "$i"; done
is "$(epoll_timeouts "$T/st2" | sort -u | tr '\n' ' ')|$(timerfd_leads "$T/st2" | wc -l)" "-1 |0" \
	"no check configured: every wait blocks without a timeout and the timer is never armed (3 wakeups, by USR2 only)"
sv_stop
done_testing
