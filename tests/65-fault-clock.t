#!/bin/bash
# Fault: wall-clock jumps. A test cannot move the machine's clock, and
# libfaketime cannot help: it is an LD_PRELOAD library and the binary is static
# (no dynamic loader, nothing to preload). Instead, check that every timer of
# the daemon is a deadline on CLOCK_MONOTONIC (or BOOTTIME), so a jump of
# CLOCK_REALTIME cannot move one:
#  - its one timer is a timerfd on CLOCK_MONOTONIC (its fdinfo: clockid 1);
#  - strace (the daemon's own thread, no -f: strace -f hangs detaching from a
#    vfork child): no sleeping or other timer syscall (clock_nanosleep,
#    nanosleep, timer_*, setitimer, alarm); the timerfd is set to absolute
#    deadlines (TFD_TIMER_ABSTIME), none more than the 1 s backoff cap (and
#    the 1 s stop timeout) ahead of the moment it is set; every wait is epoll_wait without a timeout of its
#    own (-1, or 0 when work is pending); any clock_gettime that reaches the
#    kernel reads MONOTONIC or BOOTTIME;
#  - musl reads clocks through the vDSO, which strace cannot see: gdb puts a
#    breakpoint on __vdso_clock_gettime and records the clock ids the daemon
#    reads while it runs a crash loop's backoff and a stop timeout. With
#    tracelevel error no trace line is written, and with their output on
#    "-" no server log file gets a start marker (the timestamps of both are
#    the legitimate uses of CLOCK_REALTIME), so only MONOTONIC (1) and
#    BOOTTIME (7) may show up.
. "$(dirname "$0")/lib.sh"
plan 9
if ! command -v strace >/dev/null; then
	for i in $(seq 9); do skip "strace is not installed"; done
	exit 0
fi
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp><tracelevel>error</tracelevel></config>
<servers>
<server id="crash"><executable>/bin/false</executable><restartDelayMax>1</restartDelayMax><stdout>-</stdout></server>
<server id="stubborn"><executable>$SRV</executable><arguments><argument>stubborn</argument>
<argument>--ignore-term</argument></arguments><stopTimeout>1</stopTimeout><stdout>-</stdout></server>
</servers></supervisor>
EOF
sv_start; ok $? "supervisor starts a crash-looping server and a TERM-ignoring one"
backoff_max() { [ "$(state_get crash restarts)" -ge 5 ]; }
wait_for 10 backoff_max   # the crash loop reaches its 1 s cap

# ---- strace: syscalls ----
"$BIN" -c "$REG" restart stubborn >/dev/null 2>&1 &   # a stop timeout (KILL after 1 s)
track $!
timeout -s INT 3 strace -ttt -p "$SUP" -e trace=clock_gettime,clock_nanosleep,nanosleep,timerfd_create,timerfd_settime,timerfd_gettime,timer_create,timer_settime,setitimer,alarm,epoll_wait,epoll_pwait,epoll_pwait2 \
	-o "$T/strace.out" 2>/dev/null
ok $(alive "$SUP"; echo $?) "the supervisor ran 3 s under strace"
bad=$(grep -E '^[0-9.]+ (clock_nanosleep|nanosleep|timer_|setitimer|alarm)' "$T/strace.out" | head -3)
is "$bad" "" "no sleeping or other timer syscall: the one timer is the timerfd"
tfd=""
for f in /proc/"$SUP"/fd/*; do
	[ "$(readlink "$f")" = "anon_inode:[timerfd]" ] && tfd=${f##*/}
done
clockid=$([ -n "$tfd" ] && awk '$1 == "clockid:" { print $2 }' /proc/"$SUP"/fdinfo/"$tfd")
is "${tfd:+fd $tfd }clockid ${clockid:-none}" "fd $tfd clockid 1" "the daemon's timer is a timerfd on CLOCK_MONOTONIC (clockid 1)"
nsets=$(grep -cE '^[0-9.]+ timerfd_settime\(' "$T/strace.out")
leads=$(timerfd_leads "$T/strace.out")
lead=$(echo "$leads" | grep -v relative | sort -n | tail -1)
ok $([ "$nsets" -ge 3 ] && ! echo "$leads" | grep -q relative && [ "${lead:-0}" -le 1000 ]; echo $?) \
	"the timerfd is set to absolute deadlines ($nsets settings, none relative; the farthest ${lead:-none} ms ahead, within the 1 s backoff cap)"
tos=$(epoll_timeouts "$T/strace.out")
waits=$(echo "$tos" | grep -c .)
others=$(echo "$tos" | grep -vxE -- '-1|0' | sort -u | tr '\n' ' ')
ok $([ "$waits" -ge 3 ] && [ -z "$others" ]; echo $?) \
	"the loop waits in epoll_wait with no timeout of its own ($waits waits; other timeouts: ${others:-none})"
clocks=$(grep -oE '^[0-9.]+ clock_gettime\(CLOCK_[A-Z_]+' "$T/strace.out" | sort -u | sed 's/.*(//' | tr '\n' ' ')
unlike "$clocks" 'REALTIME|TAI' "clock_gettime syscalls (vDSO fallbacks), if any, read MONOTONIC/BOOTTIME only (${clocks:-none seen: the vDSO answers})"

# ---- gdb: vDSO clock reads ----
if ! command -v gdb >/dev/null; then
	skip "gdb is not installed: cannot see clock reads through the vDSO"
else
	cat >"$T/gdb.cmd" <<'EOF'
set pagination off
set confirm off
set $n = 0
break __vdso_clock_gettime
commands
silent
printf "CLK %d\n", $rdi
set $n = $n + 1
if $n >= 30
detach
quit
end
continue
end
continue
EOF
	# 30 clock reads take a few backoff rounds of the crash loop
	timeout -s KILL 30 gdb -q -batch -p "$SUP" -x "$T/gdb.cmd" >"$T/gdb.out" 2>&1
	ids=$(awk '$1 == "CLK" { print $2 }' "$T/gdb.out" | sort -un | tr '\n' ' ')
	n=$(grep -c '^CLK' "$T/gdb.out")
	ok $([ "$n" -ge 30 ] && [ -z "$(echo $ids | tr ' ' '\n' | grep -vxE '1|7')" ]; echo $?) \
		"through the vDSO the daemon reads only CLOCK_MONOTONIC (1) and CLOCK_BOOTTIME (7): ids seen: $ids($n reads)"
fi
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly after being traced"
done_testing
