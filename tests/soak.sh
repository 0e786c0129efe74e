#!/bin/bash
# soak.sh: SOAK_SERVERS servers (default 1000) under a SOAK_SECONDS chaos run
# (default 600): random SIGKILLs of single servers, of batches, now and then of
# every server at once; `restart ID` commands; reloads, some of which change a
# few servers' arguments (so those restart). Every SOAK_SAMPLE seconds the
# supervisor's RSS, fd count, CPU time and the number of running servers are
# sampled into $SOAK_DIR/samples.tsv. Afterwards every server must run again,
# the fd count must be back to its value before the chaos, RSS must stay flat
# (end <= the peak of the chaos's first half + SOAK_RSS_SLACK_KB), nothing may be left
# behind by the clean stop. Exit 0 only if all of that holds.
#
#   make soak [SOAK_SECONDS=600] [SOAK_SERVERS=1000]
#   IMAGESERVING_BIN=./imageserving SOAK_SECONDS=60 tests/soak.sh
#
# Not part of `make test`. Processes are tracked by pid (and by an environment
# marker for the servers); nothing is killed by name.
set -u
BIN=${IMAGESERVING_BIN:-$(cd "$(dirname "$0")/.." && pwd)/imageserving}
SECONDS_TOTAL=${SOAK_SECONDS:-600}
N=${SOAK_SERVERS:-1000}
SAMPLE=${SOAK_SAMPLE:-10}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-256}
SEED=${SOAK_SEED:-$$}
RANDOM=$SEED
D=${SOAK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/is-soak.XXXXXX")}
REG=$D/reg.xml RUN=$D/run LOG=$D/log
mkdir -p "$D"
rm -rf "$RUN" "$LOG" "$D/samples.tsv" "$D/soak.out"
SUP=
say() { printf '%s soak: %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$D/soak.out"; }
failures=0
check() {  # check EXIT-STATUS DESCRIPTION
	if [ "$1" -eq 0 ]; then say "ok   - $2"; else say "FAIL - $2"; failures=$((failures + 1)); fi
}

kill_marked() {  # every server process (they carry SOAK_D=$D), by pid
	local f p
	for f in $(grep -lzx "SOAK_D=$D" /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}; p=${p%/environ}
		kill -KILL "$p" 2>/dev/null
	done
}
cleanup() {
	[ -n "$SUP" ] && kill -0 "$SUP" 2>/dev/null && kill -TERM "$SUP" 2>/dev/null && sleep 2
	[ -n "$SUP" ] && kill -KILL "$SUP" 2>/dev/null
	kill_marked
	[ -n "${SOAK_KEEP:-}" ] || [ "$failures" -ne 0 ] || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the registry: N servers, /bin/sleep (it exits on SIGTERM) ----
SLEEP=$(command -v sleep)
write_reg() {  # write_reg [IDX...]: those servers get a different argument
	local alt=" $* " i id arg
	{
		echo "<supervisor><config><log>$LOG/supervisor.log</log><temp>$RUN</temp>"
		echo "<tracelevel>info</tracelevel></config><servers>"
		for ((i = 1; i <= N; i++)); do
			printf -v id 's%04d' "$i"
			arg=100000
			case $alt in *" $i "*) arg=100001 ;; esac
			echo "<server id=\"$id\"><executable>$SLEEP</executable><arguments><argument>$arg</argument></arguments>"
			echo "<stopTimeout>1</stopTimeout><minUptime>1</minUptime><restartDelayMax>2</restartDelayMax>"
			echo "<environment><variable name=\"SOAK_D\">$D</variable></environment></server>"
		done
		echo "</servers></supervisor>"
	} >"$REG.new" && mv "$REG.new" "$REG"
}

# ours PID...: those of the pids that are still our servers (their environment
# carries the marker): a pid read from the state file may have been reused
# since, and this machine runs other people's processes.
ours() {
	[ $# -gt 0 ] || return 0
	grep -lzx "SOAK_D=$D" $(printf '/proc/%s/environ ' "$@") 2>/dev/null | sed 's|^/proc/||; s|/environ$||'
}
kill_ours() { local p; p=$(ours "$@"); [ -n "$p" ] && kill -KILL $p 2>/dev/null; }
# servers running according to the state file of this very supervisor
running_count() {
	awk -F'\t' -v sup="$SUP" '$1 == "supervisor" && $2 == sup { ok = 1 }
		ok && $1 == "server" && $4 == "running" && $5 > 0 { n++ } END { print n + 0 }' "$RUN/supervisor.state" 2>/dev/null || echo 0
}
pid_of() { awk -F'\t' -v id="$1" '$1 == "server" && $3 == id { print $5 }' "$RUN/supervisor.state" 2>/dev/null; }
phase() { awk -F'\t' '$1 == "supervisor" { print $8 }' "$RUN/supervisor.state" 2>/dev/null; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$SUP"/status 2>/dev/null; }
fds() { ls /proc/"$SUP"/fd 2>/dev/null | wc -l; }
cpu_ms() { local s; s=$(cat /proc/"$SUP"/stat 2>/dev/null) || return; s=${s##*) }; set -- $s; echo $(( (${12} + ${13}) * 1000 / $(getconf CLK_TCK) )); }
zombies() { ps -o stat= --ppid "$SUP" 2>/dev/null | grep -c '^Z'; }
wait_until() {  # wait_until SECONDS COMMAND...
	local end=$(( $(date +%s) + $1 )); shift
	until "$@"; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.1; done
}
all_running() { [ "$(running_count)" -eq "$N" ]; }
sample() {  # sample LABEL
	local line
	line="$(date -u +%H:%M:%S)	$(( $(date +%s) - t_start ))	$(rss_kb)	$(fds)	$(cpu_ms)	$(running_count)	$1"
	echo "$line" >>"$D/samples.tsv"
}

say "dir $D, $N servers, $SECONDS_TOTAL s, seed $SEED, binary $BIN"
write_reg
t_start=$(date +%s)
printf 'time\tt_s\trss_kb\tfds\tcpu_ms\trunning\tlabel\n' >"$D/samples.tsv"
"$BIN" supervisor -f -c "$REG" >>"$D/sup.out" 2>&1 &
SUP=$!
t0=$(date +%s%N)
wait_until 60 all_running
check $? "all $N servers running after start ($(( ($(date +%s%N) - t0) / 1000000 )) ms to see it)"
wait_until 30 test "$(phase)" = running
sleep 1
sample start
rss0=$(rss_kb) fd0=$(fds)
say "baseline: RSS ${rss0} kB, ${fd0} fds"

# ---- chaos ----
t_chaos=$(date +%s)
end=$(( t_chaos + SECONDS_TOTAL ))
next_sample=$(( $(date +%s) + SAMPLE ))
kills=0 batches=0 storms=0 restarts=0 reloads=0 creloads=0 cpids=
while [ "$(date +%s)" -lt "$end" ]; do
	kill -0 "$SUP" 2>/dev/null || { say "the supervisor died"; break; }
	r=$((RANDOM % 100))
	if [ "$r" -lt 55 ]; then
		printf -v id 's%04d' $((RANDOM % N + 1))
		p=$(pid_of "$id")
		[ -n "$p" ] && [ "$p" != 0 ] && kill_ours "$p" && kills=$((kills + 1))
	elif [ "$r" -lt 70 ]; then
		# a batch: 50 random servers at once
		pids=$(awk -F'\t' '$1 == "server" && $5 > 0 { print $5 }' "$RUN/supervisor.state" 2>/dev/null | shuf -n 50)
		kill_ours $pids
		batches=$((batches + 1))
	elif [ "$r" -lt 72 ]; then
		# a storm: every server at once
		pids=$(awk -F'\t' '$1 == "server" && $5 > 0 { print $5 }' "$RUN/supervisor.state" 2>/dev/null)
		kill_ours $pids
		storms=$((storms + 1))
	elif [ "$r" -lt 88 ]; then
		printf -v id 's%04d' $((RANDOM % N + 1))
		"$BIN" -c "$REG" restart "$id" >/dev/null 2>&1 &
		cpids="$cpids $!"
		restarts=$((restarts + 1))
	elif [ "$r" -lt 94 ]; then
		"$BIN" -c "$REG" reload >/dev/null 2>&1 &
		cpids="$cpids $!"
		reloads=$((reloads + 1))
	else
		# a reload that changes 5 servers (they restart) or changes them back
		write_reg $((RANDOM % N + 1)) $((RANDOM % N + 1)) $((RANDOM % N + 1)) $((RANDOM % N + 1)) $((RANDOM % N + 1))
		"$BIN" -c "$REG" reload >/dev/null 2>&1 &
		cpids="$cpids $!"
		creloads=$((creloads + 1))
	fi
	# reap finished clients; keep at most ~20 in flight
	live=
	for c in $cpids; do
		if kill -0 "$c" 2>/dev/null; then live="$live $c"; else wait "$c" 2>/dev/null; fi
	done
	cpids=$live
	now=$(date +%s)
	if [ "$now" -ge "$next_sample" ]; then
		sample chaos
		next_sample=$(( now + SAMPLE ))
	fi
	sleep "0.$(printf '%02d' $((RANDOM % 20 + 5)))"
done
say "chaos: $kills kills, $batches batches of 50, $storms storms of all $N, $restarts restart ID, $reloads reloads, $creloads changing reloads"
check $(kill -0 "$SUP" 2>/dev/null; echo $?) "the supervisor survived"
for c in $cpids; do wait "$c" 2>/dev/null; done

# ---- afterwards ----
# the registry back to its original form, reloaded, so every server is the
# plain one again
write_reg
"$BIN" -c "$REG" reload >/dev/null 2>&1
check $? "a final reload succeeds"
t0=$(date +%s%N)
wait_until 60 all_running
check $? "every server is running again ($(running_count)/$N, $(( ($(date +%s%N) - t0) / 1000000 )) ms after the chaos)"
sleep 2
sample end
rss1=$(rss_kb) fd1=$(fds)
# every recorded pid is a live sleep leading its group, no duplicates
bad=$(awk -F'\t' '$1 == "server" { print $5 }' "$RUN/supervisor.state" | while read -r p; do
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$(awk '{print $5}' /proc/"$p"/stat 2>/dev/null)" = "$p" ] || echo "$p"
done | wc -l)
check $([ "$bad" -eq 0 ]; echo $?) "every server's recorded pid is alive and leads its group ($bad bad)"
nproc_srv=$(grep -lzx "SOAK_D=$D" /proc/[0-9]*/environ 2>/dev/null | wc -l)
check $([ "$nproc_srv" -eq "$N" ]; echo $?) "exactly $N server processes exist ($nproc_srv)"
check $([ "$(zombies)" -eq 0 ]; echo $?) "no zombie children of the supervisor"
check $([ "$fd1" -eq "$fd0" ]; echo $?) "fd count flat: $fd0 before, $fd1 after"
# flat: the end is no higher than the peak of the chaos's first half (plus
# slack); a leak would keep growing through the second half
half=$(( (t_chaos + SECONDS_TOTAL / 2) - t_start ))
rss_peak1=$(awk -F'\t' -v h="$half" 'NR > 1 && $2 <= h && $3 > m { m = $3 } END { print m + 0 }' "$D/samples.tsv")
check $([ "$rss1" -le $((rss_peak1 + RSS_SLACK_KB)) ]; echo $?) \
	"RSS flat: ${rss0} kB at start, ${rss_peak1} kB peak in the first half of the chaos, ${rss1} kB at the end"
grep -q ' error ' "$LOG/supervisor.log" && say "errors in the trace log: $(grep -c ' error ' "$LOG/supervisor.log")"
say "samples (time, t_s, rss_kb, fds, cpu_ms, running, label):"
sed 's/^/    /' "$D/samples.tsv" | tee -a "$D/soak.out"
say "cpu: $(cpu_ms) ms of supervisor CPU over $(( $(date +%s) - t_start )) s"

t0=$(date +%s%N)
kill -TERM "$SUP"
wait "$SUP"; rc=$?
check $([ "$rc" -eq 0 ]; echo $?) "clean stop: exit $rc in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
SUP=
left=$(grep -lzx "SOAK_D=$D" /proc/[0-9]*/environ 2>/dev/null | wc -l)
check $([ "$left" -eq 0 ]; echo $?) "no server process outlives the supervisor ($left left)"
say "$failures failure(s); samples in $D/samples.tsv"
[ "$failures" -eq 0 ]
