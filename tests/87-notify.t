#!/bin/bash
# Readiness notify (issue 10 item 2): servers speaking the real sd_notify
# protocol (tests/servers/notifier, python3's AF_UNIX datagram socket) on
# $NOTIFY_SOCKET. A server is starting until READY=1, then running; READY=1
# from its child (same process group) or from a child in a session of its
# own counts, from an unrelated process it is dropped and counted; STATUS=
# shows in status and status --json; unknown keys are ignored; WATCHDOG_USEC
# is handed over and a server that stops sending WATCHDOG=1 is restarted;
# startTimeout restarts a server never ready; a flood of datagrams loses
# nothing and one of more than 4096 bytes is dropped; the real systemd-notify
# works (with --pid, as it sends from a process of its own that is gone by
# the time its message is read); no fd for the socket (RLIMIT_NOFILE) fails
# the start with the reason, and it comes once fds are back.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3) || skip_all "python3 is needed"
plan 42
NOTIFIER=$TESTS/servers/notifier
ST=$T/stamps
LOG=$T/log/supervisor.log

# server ID PRIO DELAY XML ARGS...: one <server> running the notifier.
server() {
	local id=$1 prio=$2 delay=$3 xml=$4 a; shift 4
	echo "<server id=\"$id\"><executable>$NOTIFIER</executable><arguments><argument>$id</argument>"
	for a in "$@"; do echo "<argument>$a</argument>"; done
	echo "</arguments><startPriority>$prio</startPriority><startDelay>$delay</startDelay><stopTimeout>3</stopTimeout>"
	echo "<readiness>notify</readiness>$xml$TEST_MARK</server>"
}
registry() {
	{
		echo "<supervisor><config><log>$LOG</log><temp>$RUN</temp><tracelevel>debug</tracelevel></config><servers>"
		cat
		echo "</servers></supervisor>"
	} >"$REG"
}
sv_begin() {  # the supervisor in the foreground; wait until it has written its state
	"$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
	SUP=$!
	track "$SUP"
	wait_for 10 sup_is
}
env_of() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"; }
restarts_ge() { local r; r=$(state_get "$1" restarts); [ -n "$r" ] && [ "$r" -ge "$2" ]; }
logged() { grep -q -- "$1" "$LOG"; }

# ---- 1. starting until READY=1; STATUS=; child and escapee senders ----
registry <<EOF
$(server a 1 0 "" --ready-on "$T/a.go" --status "serving 3 images" --stamp "$ST")
$(server b 1 0 "" --ready-on "$T/b.go")
$(server c 1 0 "" --via-child --status "from a child")
$(server d 1 0 "" --via-escapee --status "from another session")
EOF
sv_begin; ok $? "supervisor starts"
wait_for 10 is_state c running; ok $? "c becomes running on READY=1 sent by its child (same process group)"
wait_for 10 is_state d running; ok $? "d becomes running on READY=1 sent by a child that left its process group (setsid)"
is "$(state_get c notify_status)" "from a child" "the child's STATUS= is kept"
pa=$(spid a) pb=$(spid b)
is "$(sstate a)/$(state_get a ready)/$(phase)" "starting/0/starting" \
	"a, exec'd but not ready: state starting, ready false, the supervisor still starting"
sock=$(env_of "$pa" NOTIFY_SOCKET)
like "$sock" '^@[0-9a-f]+$' "a notify server gets NOTIFY_SOCKET, an abstract socket ($sock)"
is "$(env_of "$pa" WATCHDOG_USEC)" "" "no WATCHDOG_USEC without <watchdog>"
# An unrelated process (the test's own python, neither a's descendant nor in
# its group) sends READY=1 to a's socket: dropped, counted, a stays starting.
"$PY" - "$sock" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=forged\nREADY=1", "\0" + sys.argv[1][1:])
PYEOF
wait_for 5 logged "notify: dropped a message from pid [0-9]*: not a server's process"
ok $? "a READY=1 from an unrelated process is dropped and logged"
is "$(sstate a)/$(sstate b)/$(state_get a notify_status)" "starting/starting/" \
	"... and neither a nor b became running or took its STATUS="
touch "$T/a.go"
wait_for 10 is_state a running; ok $? "a becomes running once it sends READY=1"
is "$(spid a)/$(state_get a ready)/$(state_get a restarts)" "$pa/1/0" "the same process, ready true, no restart"
is "$(state_get a notify_status)" "serving 3 images" "status --json: notify_status is the STATUS= text"
like "$("$BIN" status -c "$REG")" "^a: status: serving 3 images$" "status shows it as 'a: status: ...'"
like "$(grep -E ' a ready after ' "$LOG")" "ready after" "the trace log says when a became ready"
is "$(phase)" starting "the supervisor's start sequence still waits for b"
touch "$T/b.go"
wait_for 10 is_phase running; ok $? "b ready: the start sequence is done (phase running)"
unlike "$(cat "$LOG")" "dropped a message from pid [0-9]*: (no credentials|longer)" "nothing else was dropped"
sv_stop; is "$SV_RC" 0 "supervisor exits 0"

# ---- 2. watchdog and startTimeout ----
registry <<EOF
$(server w 1 0 "<watchdog>1</watchdog><restartDelayMax>1</restartDelayMax>" --pings 3)
$(server k 1 0 "<watchdog>1</watchdog>")
$(server t 1 0 "<startTimeout>1</startTimeout>" --never-ready)
EOF
sv_begin; ok $? "supervisor with watchdog and startTimeout servers starts"
wait_for 10 is_state w running
pw=$(spid w)
is "$(env_of "$pw" WATCHDOG_USEC)" 1000000 "a server with <watchdog>1</watchdog> gets WATCHDOG_USEC=1000000"
# w pings every 0.5 s three times, then goes quiet: its watchdog (1 s) runs out.
wait_for 10 restarts_ge w 1; ok $? "w, silent after 3 pings, is restarted by its watchdog"
is "$(state_get w last_error)" "watchdog: no WATCHDOG=1 for 1 s" "last_error names the watchdog"
t_ready=$(grep -m1 -E ' w ready after ' "$LOG" | cut -c12-23)
t_fail=$(grep -m1 -E ' w failed: watchdog' "$LOG" | cut -c12-23)
ms() { IFS=:. read -r h m s f <<<"$1"; echo $(( ((10#$h * 60 + 10#$m) * 60 + 10#$s) * 1000 + 10#$f )); }
gap=$(( $(ms "$t_fail") - $(ms "$t_ready") ))
ok $([ "$gap" -ge 2200 ] && [ "$gap" -le 5000 ]; echo $?) \
	"the pings kept it alive: failed ${gap} ms after ready (3 pings × 0.5 s + the 1 s watchdog)"
is "$(state_get k restarts)/$(state_get k state)" "0/running" "k, which keeps pinging, is never restarted"
wait_for 10 restarts_ge t 1; ok $? "t, never ready, is restarted after its startTimeout"
is "$(state_get t last_error)" "not ready after 1 s (startTimeout)" "last_error names the startTimeout"
sv_stop; is "$SV_RC" 0 "supervisor exits 0"

# ---- 3. a flood, an oversized message, the real systemd-notify ----
cat >"$T/sn.sh" <<'EOF'
#!/bin/sh
systemd-notify --pid=$$ --ready --status="via systemd-notify" || exit 1
exec sleep 3600
EOF
chmod +x "$T/sn.sh"
{
	server f 1 0 "" --flood 3000
	server g 1 0 "" --never-ready
	if command -v systemd-notify >/dev/null && [ "$(id -u)" = 0 ]; then
		echo "<server id=\"sn\"><executable>$T/sn.sh</executable><readiness>notify</readiness>$TEST_MARK</server>"
	fi
} | registry
sv_begin; ok $? "supervisor starts"
wait_for 20 is_state f running; ok $? "f, which sent 3000 STATUS= before READY=1, becomes running"
is "$(state_get f notify_status)" "flood 3000" "the last of 3000 datagrams is the status: none lost, in order"
pg=$(spid g)
"$PY" - "$(env_of "$pg" NOTIFY_SOCKET)" "$pg" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = "\0" + sys.argv[1][1:]
s.sendto(b"STATUS=" + b"x" * 5000, addr)  # over the 4096-byte limit
for i in range(2000):  # an unrelated flood: dropped, a few log lines
    s.sendto(b"READY=1", addr)
PYEOF
wait_for 10 logged "(2048 dropped so far)\|(1024 dropped so far)"
n=$(grep -c "warning - notify: dropped a message" "$LOG")
ok $([ "$n" -le 13 ]; echo $?) "2000 foreign datagrams: dropped, counted, $n warning lines (one per power of two)"
logged "notify: dropped a message from pid [0-9]*: longer than 4096 bytes"
ok $? "a message of more than 4096 bytes is dropped"
is "$(sstate g)" starting "g is still not ready"
kill -0 "$SUP"; ok $? "the supervisor is fine"
if command -v systemd-notify >/dev/null && [ "$(id -u)" = 0 ]; then
	wait_for 10 is_state sn running
	ok $? "the real systemd-notify --pid=\$\$ --ready makes a shell server running"
	is "$(state_get sn notify_status)" "via systemd-notify" "... and its --status is kept"
else
	skip "systemd-notify needs root for --pid"
	skip "systemd-notify needs root for --pid"
fi
sv_stop; is "$SV_RC" 0 "supervisor exits 0"

# ---- 4. fd exhaustion when the notify socket is to be made ----
# a (ready at exec) holds the group for 3 s; meanwhile the supervisor's soft
# fd limit drops to what it uses: n's start (the first of a notify server:
# the socket is made then) fails, is named, backs off; with the limit back
# it starts and becomes ready.
if command -v prlimit >/dev/null; then
	{
		echo "<server id=\"a\"><executable>$SRV</executable><arguments><argument>a</argument></arguments>"
		echo "<startPriority>1</startPriority><startDelay>3</startDelay>$TEST_MARK</server>"
		server n 2 0 "<restartDelayMax>1</restartDelayMax>"
	} | registry
	sv_begin; ok $? "supervisor starts"
	wait_for 10 is_state a running
	hard=$(awk '/^Max open files/ { print $5 }' /proc/"$SUP"/limits)
	i=0; while [ -e /proc/"$SUP"/fd/$i ]; do i=$((i + 1)); done
	prlimit --pid "$SUP" --nofile="$i":"$hard"
	wait_for 10 logged "error n cannot start: cannot make the notify socket: \(Too many open files\|No file descriptors\)"
	ok $? "no fd for the notify socket: n cannot start, and the trace log says why"
	prlimit --pid "$SUP" --nofile="$hard":"$hard"
	wait_for 10 is_state n running; ok $? "with fds again n starts and becomes ready"
	wait_for 5 is_phase running; ok $? "the start sequence ends"
	sv_stop; is "$SV_RC" 0 "supervisor exits 0"
else
	for i in 1 2 3 4 5; do skip "prlimit is needed"; done
fi
done_testing
