#!/bin/bash
# Crash loop: immediate first restart, then exponential backoff (capped by
# restartDelayMax), low CPU while crash-looping, no wakeups while waiting;
# maxRestarts makes a server fatal; an essential fatal server stops everything
# with a non-zero exit; restart policies on-failure and never.
. "$(dirname "$0")/lib.sh"
plan 33
ST=$T/stamps
# srv_xml ID XML: add XML to one server of $REG.
srv_xml() { sed -i "s|<server id=\"$1\">|&$2|" "$REG"; }
# starts ID: the ns start stamps of server ID, one a line.
starts() { awk -v id="$1" '$1 == "start" && $2 == id { print $4 }' "$ST" 2>/dev/null; }
nstarts() { starts "$1" | wc -l | tr -d ' '; }
restarts_ge() { local r; r=$(state_get "$1" restarts); [ -n "$r" ] && [ "$r" -ge "$2" ]; }
backoff_after() { restarts_ge "$1" "$2" && is_state "$1" backoff; }
# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks() { local s; s=$(cat /proc/"$1"/stat) || return 1; s=${s##*) }; set -- $s; echo $(( ${12} + ${13} )); }
ctxt() { awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { n += $2 } END { print n }' /proc/"$1"/status; }
HZ=$(getconf CLK_TCK)

# ---- 1. backoff: delays 0, 0.1, 0.2, 0.4, 0.8, 1.6 s, then the 2 s cap ----
REG_EXTRA="<restartDelayMax>2</restartDelayMax>" reg_write <<EOF2
crash 1 0 5 --stamp $ST --exit 1
steady 1 0 5
EOF2
sv_start; ok $? "supervisor starts (crash-looping server included)"
t0=$(date +%s%N) c0=$(cpu_ticks "$SUP")
psteady=$(spid steady)
wait_for 5 backoff_after crash 2; ok $? "after quick deaths the crashing server is in state backoff"
wait_for 10 backoff_after crash 6; ok $? "the restart count keeps growing (6 restarts)"
# In a 2 s backoff wait nothing is due: the supervisor must sleep. Let 1 s
# pass and count its context switches (each wakeup is one).
x0=$(ctxt "$SUP"); sleep 1; x1=$(ctxt "$SUP")
ok $([ $((x1 - x0)) -le 2 ]; echo $?) "no wakeups while waiting out a backoff ($((x1 - x0)) context switches in 1 s)"
wait_for 5 restarts_ge crash 7; ok $? "restarted again after the capped delay (7 restarts)"
t1=$(date +%s%N) c1=$(cpu_ticks "$SUP")
el_ms=$(( (t1 - t0) / 1000000 )) cpu_ms=$(( (c1 - c0) * 1000 / HZ ))
ok $([ $((cpu_ms * 100)) -lt $((el_ms * 5)) ]; echo $?) \
	"supervisor CPU in the crash loop is low: ${cpu_ms} ms over ${el_ms} ms (< 5%)"
is "$(spid steady)" "$psteady" "the other server is untouched by the crash loop"
mapfile -t s < <(starts crash)
gaps=()
for ((i = 1; i < ${#s[@]}; i++)); do gaps+=($(( (s[i] - s[i - 1]) / 1000000 ))); done
diag "gaps between starts (ms): ${gaps[*]}"
ok $([ "${#gaps[@]}" -ge 7 ]; echo $?) "at least 8 starts recorded (${#s[@]})"
ok $([ "${gaps[0]:-9999}" -lt 100 ]; echo $?) "the first crash is restarted at once (${gaps[0]:-?} ms)"
grow=0
for i in 1 2 3 4 5; do
	[ "${gaps[i]:-0}" -gt "${gaps[i - 1]:-0}" ] || grow=1
done
ok $grow "the gap between consecutive starts grows (${gaps[*]:0:6})"
ok $([ "${gaps[1]:-0}" -ge 95 ] && [ "${gaps[5]:-0}" -ge 1500 ]; echo $?) \
	"the delays double from 100 ms (second gap ${gaps[1]:-?} ms, sixth ${gaps[5]:-?} ms)"
ok $([ "${gaps[6]:-0}" -ge 1900 ] && [ "${gaps[6]:-0}" -lt 2800 ]; echo $?) \
	"the delay is capped by restartDelayMax 2 s (seventh gap ${gaps[6]:-?} ms, uncapped would be 3200)"
sv_stop
is "$SV_RC" 0 "supervisor stops cleanly during a crash loop"

# ---- 2. maxRestarts 3: fatal after the 4th quick death ----
rm -f "$ST"
reg_write <<EOF2
crash 1 0 5 --stamp $ST --exit 1
steady 1 0 5
EOF2
srv_xml crash '<maxRestarts>3</maxRestarts>'
sv_start; ok $? "supervisor starts (maxRestarts 3)"
psteady=$(spid steady)
wait_for 10 is_state crash fatal; ok $? "the crashing server becomes fatal"
is "$(state_get crash restarts)" 3 "it was restarted 3 times before giving up"
is "$(state_get crash pid)" 0 "a fatal server has no pid"
# Nothing is scheduled for a fatal server: let 0.6 s pass (three times the
# last backoff) and check that no start happened.
n=$(nstarts crash); sleep 0.6
is "$(nstarts crash)" "$n" "a fatal server is not started again ($n starts)"
is "$n" 4 "4 starts in all"
ok $(alive "$SUP" && [ "$(spid steady)" = "$psteady" ] && alive "$psteady"; echo $?) \
	"a non-essential fatal server leaves the supervisor and the others running"
"$BIN" status -c "$REG" crash >/dev/null 2>&1; is "$?" 1 "status of the fatal server exits 1"
sv_stop
is "$SV_RC" 0 "supervisor exits 0: the fatal server was not essential"

# ---- 3. an essential server going fatal stops everything, exit non-zero ----
rm -f "$ST"
reg_write <<EOF2
crash 1 0 5 --stamp $ST --exit 1
peer 1 0 5 --stamp $ST
late 2 0 5 --stamp $ST
EOF2
srv_xml crash '<maxRestarts>2</maxRestarts><essential>true</essential>'
"$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for 15 dead "$SUP"; ok $? "the supervisor exits by itself when an essential server is fatal"
rc=0; wait "$SUP" || rc=$?
ok $([ "$rc" -ne 0 ]; echo $?) "its exit status is non-zero ($rc)"
stop_of() { awk -v id="$1" '$1 == "stop" && $2 == id { print $4; exit }' "$ST"; }
pl=$(stop_of late) pp=$(stop_of peer)
ok $([ -n "$pl" ] && [ -n "$pp" ]; echo $?) "the other servers were stopped with their stop signal"
ok $([ -n "$pl" ] && [ -n "$pp" ] && [ "$pl" -lt "$pp" ]; echo $?) "in reverse priority order (late before peer)"
pids=$(awk '$1 == "start" { print $3 }' "$ST" | sort -u)
left=""; for p in $pids; do alive "$p" && left="$left $p"; done
is "$left" "" "no server process remains"
ok $([ ! -e "$RUN/supervisor.pid" ] && grep -q 'essential' "$T/log/supervisor.log"; echo $?) \
	"pid file removed; the trace log names the essential server as the cause"

# ---- 4. restart policies ----
rm -f "$ST"
reg_write <<EOF2
zero 1 0 5 --stamp $ST --exit 0
one 1 0 5 --stamp $ST --exit 1
nev 1 0 5 --stamp $ST --exit 1
alw 1 0 5 --stamp $ST --exit 0
EOF2
srv_xml zero '<restartPolicy>on-failure</restartPolicy>'
srv_xml one '<restartPolicy>on-failure</restartPolicy>'
srv_xml nev '<restartPolicy>never</restartPolicy>'
sv_start; ok $? "supervisor starts (restart policies)"
# zero and nev exit at the same time as one and alw; once those two have been
# restarted twice, a wrong restart of zero or nev would have happened too.
both() { restarts_ge one 2 && restarts_ge alw 2; }
wait_for 10 both; ok $? "on-failure restarts after exit 1; always restarts even after exit 0"
is "$(sstate zero)/$(state_get zero restarts)/$(state_get zero last_exit)/$(nstarts zero)" "stopped/0/exit 0/1" \
	"on-failure: not restarted after exit 0"
is "$(sstate nev)/$(state_get nev restarts)/$(state_get nev last_exit)/$(nstarts nev)" "stopped/0/exit 1/1" \
	"never: not restarted after exit 1"
sv_stop
is "$SV_RC" 0 "supervisor exits 0"
