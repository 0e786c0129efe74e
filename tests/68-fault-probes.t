#!/bin/bash
# Fault: health probes when the supervisor has no fd to spare. prlimit lowers
# the running supervisor's soft RLIMIT_NOFILE to its lowest free fd: a tcp
# probe cannot get its socket, an exec probe cannot get what its spawn needs.
# That is the supervisor's shortage, not the server's failure: the checks are
# not counted as failures, the servers are not restarted, the trace log says
# why; once the limit is back the checks pass again. Also a probe target that
# accepts (the kernel's backlog) and never answers: its check fails by its
# timeout and the server is restarted.
. "$(dirname "$0")/lib.sh"
plan 10
HS=$TESTS/servers/hstub
freeport() { perl -MSocket -e 'socket(S, PF_INET, SOCK_STREAM, 0) or die; bind(S, sockaddr_in(0, INADDR_LOOPBACK)) or die;
	print +(sockaddr_in(getsockname(S)))[0], "\n"'; }
PT=$(freeport) PH=$(freeport)
while [ "$PH" = "$PT" ]; do PH=$(freeport); done
fast="<interval>1</interval><timeout>1</timeout><failures>2</failures>"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp><tracelevel>info</tracelevel></config><servers>
<server id="tcp"><executable>$HS</executable><arguments><argument>$PT</argument><argument>$T/tcp.mode</argument></arguments>
  <healthCheck><tcp host="127.0.0.1" port="$PT"/>$fast</healthCheck><stopTimeout>2</stopTimeout>$TEST_MARK</server>
<server id="ex"><executable>$SRV</executable><arguments><argument>ex</argument></arguments>
  <healthCheck><exec><argument>/bin/true</argument></exec>$fast</healthCheck><stopTimeout>2</stopTimeout>$TEST_MARK</server>
<server id="hang"><executable>$HS</executable><arguments><argument>$PH</argument><argument>$T/hang.mode</argument></arguments>
  <healthCheck><http url="http://127.0.0.1:$PH/"/>$fast</healthCheck><stopTimeout>2</stopTimeout>$TEST_MARK</server>
</servers></supervisor>
EOF
sjq() { status_json | jq -r --arg id "$1" ".servers[] | select(.id == \$id) | $2" 2>/dev/null; }
passing() { [ "$(sjq "$1" .health.status)" = passing ]; }
sv_start; ok $? "supervisor starts tcp, ex and hang, each with a check"
both_pass() { passing tcp && passing ex; }
wait_for 15 both_pass; ok $? "the tcp and exec checks pass"
pt=$(spid tcp) pe=$(spid ex) rt=$(state_get tcp restarts) re=$(state_get ex restarts)

free_fd() { local i=0; while [ -e /proc/"$SUP"/fd/$i ]; do i=$((i + 1)); done; echo "$i"; }
# The lowest over 1.5 s (a probe every second): read while a probe holds a
# socket or a pipe, it would be one too high, and the probes would run.
free_fd_min() {
	local m=1000000 f i
	for i in $(seq 30); do f=$(free_fd); [ "$f" -lt "$m" ] && m=$f; sleep 0.05; done
	echo "$m"
}
hard=$(awk '/^Max open files/ { print $5 }' /proc/"$SUP"/limits)
lim=$(free_fd_min)
prlimit --pid "$SUP" --nofile="$lim":"$hard"; ok $? "prlimit lowers the supervisor's soft fd limit to $lim (no fd to spare)"
not_run() { [ "$(grep -c "health probe not run" "$T/log/supervisor.log")" -ge 2 ]; }
wait_for 10 not_run
ok $? "the trace log says the probes could not be run: $(grep -m1 "health probe not run" "$T/log/supervisor.log" | cut -c1-160)"
# Several intervals at the limit (a probe due every second): no failure.
t_end=$(( $(date +%s) + 4 ))
stayed=0
while [ "$(date +%s)" -lt "$t_end" ]; do
	if [ "$(spid tcp)" != "$pt" ] || [ "$(spid ex)" != "$pe" ]; then stayed=1; break; fi
	sleep 0.2
done
ok $stayed "for 4 s at the limit neither server is restarted (tcp $pt -> $(spid tcp), ex $pe -> $(spid ex))"
EMFILE="Too many open files|No file descriptors available"  # glibc, musl
is "$(state_get tcp restarts) $(state_get ex restarts) $(grep -E "health check failed.*($EMFILE)" "$T/log/supervisor.log" | wc -l)" \
	"$rt $re 0" "no restart counted, no check counted failed for want of the supervisor's own fds"
prlimit --pid "$SUP" --nofile="$hard":"$hard"
n0=$(grep -c "health probe not run" "$T/log/supervisor.log")
ran_again() { passing ex && passing tcp && [ "$(grep -c "health probe not run" "$T/log/supervisor.log")" = "$n0" ]; }
wait_for 10 ran_again; ok $? "the limit back: both checks pass, on the same processes ($(spid tcp) $(spid ex))"

# A target that accepts (the kernel's backlog) and never answers.
ph=$(spid hang)
echo hang >"$T/hang.mode"
failing() { [ "$(sjq hang .health.status)" = failing ]; }
wait_for 10 failing; ok $? "a target that accepts and never answers: failing ($(sjq hang .health.last_error))"
restarted() { local p; p=$(spid hang); [ "$p" != 0 ] && [ "$p" != "$ph" ]; }
wait_for 15 restarted; ok $? "... and restarted after 2 timeouts in a row"
rm -f "$T/hang.mode"
like "$(state_get hang last_error)" "^health: http .*\(2 in a row\)" "the reason kept: $(state_get hang last_error)"
sv_stop
