#!/bin/bash
# The supervisor's own sd_notify to its manager (issue 10 item 4), received
# by a test manager: a python3 AF_UNIX datagram socket, the real protocol
# (systemd itself cannot run as a manager in this container). READY=1 with a
# STATUS= once the start sequence is done; STATUS= again when the counts
# change; WATCHDOG=1 at half of WATCHDOG_USEC; RELOADING=1 with
# MONOTONIC_USEC= then READY=1 around a reload (SIGHUP); STOPPING=1 on
# SIGTERM; in that order. The servers inherit none of NOTIFY_SOCKET,
# WATCHDOG_USEC, WATCHDOG_PID. An abstract socket (@name) works too, and
# WATCHDOG_PID naming another process turns the pings off.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3) || skip_all "python3 is needed"
plan 22
MSGS=$T/msgs
reg_write <<EOF
a 1 0 5
b 2 0 5
EOF

# listen ADDRESS: a manager's notify socket; each datagram becomes one line
# of $MSGS: "MONOTONIC_NS<TAB>the message with newlines as |".
listen() {
	"$PY" - "$1" "$MSGS" <<'PYEOF' &
import os, socket, sys, time
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(out + ".ready", "w").close()
while True:
    m = s.recv(4096).decode()
    with open(out, "a") as f:
        f.write("%d\t%s\n" % (time.clock_gettime_ns(time.CLOCK_MONOTONIC), m.replace("\n", "|")))
PYEOF
	LPID=$!
	track "$LPID"
	wait_for 5 test -e "$MSGS.ready"
}
got() { grep -q -- "$1" "$MSGS" 2>/dev/null; }
count() { grep -c -- "$1" "$MSGS" 2>/dev/null; }
count_ge() { [ "$(count "$1")" -ge "$2" ]; }
env_has() { tr '\0' '\n' <"/proc/$1/environ" | grep -qE "^$2="; }

# ---- 1. a path socket, with a watchdog ----
listen "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 "$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for 10 got "READY=1"; ok $? "READY=1 arrives"
like "$(grep -m1 "READY=1" "$MSGS" | cut -f2)" "^READY=1\|STATUS=2 running, 0 starting, 0 failed$" \
	"with a one-line STATUS= (2 running, 0 starting, 0 failed)"
is "$(phase)" running "when it arrives the start sequence is done"
pa=$(spid a)
fail_env=
for v in NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID; do env_has "$pa" "$v" && fail_env="$fail_env $v"; done
is "$fail_env" "" "the servers inherit none of NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID"
wait_for 5 count_ge "^[0-9]*	WATCHDOG=1$" 4; ok $? "WATCHDOG=1 pings arrive"
gaps=$(grep "	WATCHDOG=1$" "$MSGS" | head -n 4 | awk 'NR > 1 { printf "%d ", ($1 - p) / 1000000 } { p = $1 }')
ok $(for g in $gaps; do [ "$g" -ge 150 ] && [ "$g" -le 450 ] || exit 1; done; echo $?) \
	"at half of WATCHDOG_USEC (200 ms): gaps $gaps ms"
"$BIN" stop a -c "$REG" >/dev/null 2>&1
wait_for 5 got "STATUS=1 running, 0 starting, 0 failed, 1 stopped"; ok $? "STATUS= follows a change (stop a)"
kill -HUP "$SUP"
wait_for 5 got "RELOADING=1"; ok $? "RELOADING=1 on SIGHUP"
line=$(grep -m1 "RELOADING=1" "$MSGS")
mono=$(printf '%s' "$line" | sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p')
recv_us=$(( $(printf '%s' "$line" | cut -f1) / 1000 ))
ok $([ -n "$mono" ] && [ $((recv_us - mono)) -ge 0 ] && [ $((recv_us - mono)) -lt 2000000 ]; echo $?) \
	"with MONOTONIC_USEC= of CLOCK_MONOTONIC ($(( (recv_us - ${mono:-0}) )) µs before it was received)"
wait_for 5 count_ge "READY=1" 2; ok $? "READY=1 again once the reload is done"
# A restart in place (a foreground supervisor re-executes itself, same pid):
# RELOADING=1, then READY=1 from the new image, which got the variables back
# and still hands none of them to its servers.
pb=$(spid b)
"$BIN" restart -c "$REG" >/dev/null 2>&1; ok $? "ImageServing restart: the supervisor restarts in place"
wait_for 10 count_ge "READY=1" 3; ok $? "READY=1 from the re-executed supervisor"
like "$(grep "RELOADING=1" "$MSGS" | tail -n 1 | cut -f2)" "STATUS=restarting in place" "announced as RELOADING=1"
pb2=$(spid b)
ok $([ "$pb2" != "$pb" ] && [ "$pb2" != 0 ] && is_state b running; echo $?) "b runs again, a new process ($pb -> $pb2)"
fail_env=
for v in NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID; do env_has "$pb2" "$v" && fail_env="$fail_env $v"; done
is "$fail_env" "" "... still without NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID"
wait_for 5 count_ge "^[0-9]*	WATCHDOG=1$" $(( $(count "	WATCHDOG=1$") + 2 )); ok $? "the new image pings too"
kill -TERM "$SUP"
wait "$SUP"; rc=$?
is "$rc" 0 "the supervisor exits 0 on SIGTERM"
like "$(grep -m1 STOPPING=1 "$MSGS" | cut -f2)" "^STOPPING=1\|STATUS=stopping: SIGTERM$" "STOPPING=1 with the reason"
order=$(cut -f2 "$MSGS" | grep -oE '^(READY|RELOADING|STOPPING)=1' | tr '\n' ' ')
is "$order" "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 " \
	"in order: READY, RELOADING, READY (reload), RELOADING, READY (restart in place), STOPPING"
{ kill -KILL "$LPID"; wait "$LPID"; } 2>/dev/null

# ---- 2. an abstract socket; WATCHDOG_PID of another process: no pings ----
rm -f "$MSGS" "$MSGS.ready"
listen "@imageserving-test-$$-$RANDOM"
abs=$(tr '\0' ' ' <"/proc/$LPID/cmdline" | awk '{ print $3 }')
NOTIFY_SOCKET=$abs WATCHDOG_USEC=100000 WATCHDOG_PID=1 "$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for 10 got "READY=1"; ok $? "READY=1 arrives on an abstract socket ($abs)"
# 0.5 s is five ping periods: a watchdog wrongly on would have pinged.
sleep 0.5
kill -TERM "$SUP"
wait "$SUP"
wait_for 5 got "STOPPING=1"; ok $? "STOPPING=1 arrives there too"
is "$(count WATCHDOG=1)" 0 "no WATCHDOG=1 when WATCHDOG_PID names another process"
{ kill -KILL "$LPID"; wait "$LPID"; } 2>/dev/null
done_testing
