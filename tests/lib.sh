# lib.sh: TAP helpers for the black-box tests (sourced by tests/*.t, bash).
# Every process a test starts is recorded by PID and killed at exit; nothing is
# ever killed by name. Waits poll a condition against a deadline.
set -u

BIN=${IMAGESERVING_BIN:-$(cd "$(dirname "$0")/.." && pwd)/imageserving}
TESTS=$(cd "$(dirname "$0")" && pwd)
command -v jq >/dev/null 2>&1 || { echo "Bail out! jq is needed (make test installs it)"; exit 1; }
ROOT=$(cd "$TESTS/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/is-test.XXXXXX")
export IMAGESERVING_REGISTRY= IMAGESERVING_RUNDIR= IMAGESERVING_ROOT=
unset IMAGESERVING_REGISTRY IMAGESERVING_RUNDIR IMAGESERVING_ROOT

_n=0 _fail=0 _pids=
plan() { echo "1..$1"; }
ok() {  # ok COND-EXIT-STATUS DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _fail=$((_fail + 1)); fi
}
pass() { ok 0 "$1"; }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $1"; }
fail() { ok 1 "$1"; }
diag() { printf '# %s\n' "$@" >&2; }
is() {  # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got:  '$1'" "want: '$2'"; fi
}
like() {  # like TEXT EXTENDED-REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else ok 1 "$3"; diag "text: '$1'" "want match: /$2/"; fi
}
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 1 "$3"; diag "text: '$1'" "must not match: /$2/"; else ok 0 "$3"; fi
}

# Track a pid (or a process group with a leading -) to kill at exit.
track() { _pids="$_pids $*"; }

# wait_for SECONDS COMMAND...: poll COMMAND every 10 ms until it succeeds.
wait_for() {
	local limit=$1; shift
	local end=$(( $(date +%s%N) + limit * 1000000000 ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.01
	done
}

alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
dead() { ! alive "$1"; }

# Every server a test registers carries IS_TEST_T=$T in its environment (see
# reg_write): at exit, whatever is left of them is killed, by pid, even
# processes no state file named (a daemon that died, an escaped grandchild).
TEST_MARK="<environment><variable name=\"IS_TEST_T\">$T</variable></environment>"
kill_marked() {
	local f p
	for f in $(grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}; p=${p%/environ}
		kill -KILL "$p" 2>/dev/null
	done
}

_cleanup() {
	local p
	for p in $_pids; do kill -KILL -- "$p" 2>/dev/null; done
	kill_marked
	# Stop any supervisor this test left behind (daemon mode too), by the
	# pid in its pid file, if that pid is still this binary.
	for f in "$T"/*/supervisor.pid "$T"/supervisor.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f" 2>/dev/null)
		case $p in ''|*[!0-9]*) continue ;; esac
		if [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$BIN")" ]; then
			kill -TERM "$p" 2>/dev/null
		fi
	done
	_cgroups_clear
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}

# The cgroups of this test's supervisors (daemon/cgroup.c: imageserving.<FNV-1a
# of the run directory> beside the supervisor's own), which one killed hard
# leaves behind: removed where empty, as a clean exit would.
_cgroups_clear() {
	local mnt dir run h i c own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null)
	for mnt in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ "$(stat -f -c %T "$mnt" 2>/dev/null)" = cgroup2fs ] || continue
		for run in "$RUN" "$T"/*/; do
			run=${run%/}
			h=2166136261
			for ((i = 0; i < ${#run}; i++)); do
				printf -v c '%d' "'${run:i:1}"
				h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
			done
			printf -v dir '%s%s/imageserving.%08x' "$mnt" "${own%/}" "$h"
			[ -d "$dir" ] || continue
			rmdir "$dir"/*/ "$dir" 2>/dev/null
		done
	done
	return 0
}
trap _cleanup EXIT

done_testing() {
	[ "$_fail" -eq 0 ]
}

# ---- supervisor helpers ----
SRV=$TESTS/servers/srv
RUN=$T/run          # the run directory of the test's supervisor
REG=$T/reg.xml
SUP=                # pid of the foreground supervisor started by sv_start

# reg_write: write $REG from a list of servers on stdin, one per line:
#   ID PRIORITY START_DELAY STOP_TIMEOUT ARGS...   (ARGS passed to srv after ID)
# Extra XML for every server can be given in $REG_EXTRA, for <config> in
# $REG_CONFIG.
reg_write() {
	{
		echo "<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp>"
		echo "<tracelevel>debug</tracelevel>${REG_CONFIG:-}</config><servers>"
		while read -r id prio delay stop args; do
			[ -z "$id" ] && continue
			echo "<server id=\"$id\"><executable>$SRV</executable><arguments><argument>$id</argument>"
			for a in $args; do echo "<argument>$a</argument>"; done
			echo "</arguments><startPriority>$prio</startPriority><startDelay>$delay</startDelay>"
			echo "<stopTimeout>$stop</stopTimeout>$TEST_MARK${REG_EXTRA:-}</server>"
		done
		echo "</servers></supervisor>"
	} >"$REG"
}

# The daemon's state, read the way an operator reads it: `status --json`
# (jq picks the field). state_get ID FIELD: a server's field, any key of the
# JSON (null: "", or 0 for pid; booleans: 1/0; held and proc_start name
# stopped_by_request and process_start); phase: the supervisor's state. The REG and RUN of the
# test locate it.
status_json() { "$BIN" status --json -c "$REG" 2>/dev/null; }
state_get() {
	local f=$2
	case $f in held) f=stopped_by_request ;; proc_start) f=process_start ;; esac
	status_json | jq -r --arg id "$1" --arg f "$f" '.servers[] | select(.id == $id) | .[$f] |
		if . == null then (if $f == "pid" then "0" else "" end)
		elif . == true then "1" elif . == false then "0" else tostring end' 2>/dev/null
}
phase() { status_json | jq -r '.supervisor.state' 2>/dev/null; }
spid() { state_get "$1" pid; }
sstate() { state_get "$1" state; }
is_state() { [ "$(sstate "$1")" = "$2" ]; }
is_phase() { [ "$(phase)" = "$1" ]; }
# sup_raw COLUMN: a column of the state file's supervisor line, by name.
sup_raw() {
	awk -F'\t' -v f="$1" '
		$1 == "#supervisor" { for (i = 2; i <= NF; i++) col[$i] = i }
		$1 == "supervisor" { print $(col[f]) }' "$RUN/supervisor.state" 2>/dev/null
}
# state_raw ID COLUMN: a column of the state file itself, found by the name
# its header line gives it (for when the daemon cannot answer, e.g. stalled).
state_raw() {
	awk -F'\t' -v id="$1" -v f="$2" '
		$1 == "#server" { for (i = 2; i <= NF; i++) col[$i] = i }
		$1 == "server" && $(col["id"]) == id { print $(col[f]) }' "$RUN/supervisor.state" 2>/dev/null
}

# sv_start [ARGS]: run the supervisor in the foreground (in the background of
# this shell), record its pid in SUP, and wait until every server is started.
sup_is() { [ "$(status_json | jq -r '.supervisor.pid' 2>/dev/null)" = "$SUP" ]; }
sv_ready() { [ "$(status_json | jq -r '"\(.supervisor.pid) \(.supervisor.state)"' 2>/dev/null)" = "$SUP running" ]; }
sv_start() {
	"$BIN" supervisor -f -c "$REG" "$@" >>"$T/sup.out" 2>&1 &
	SUP=$!
	track "$SUP"
	wait_for 20 sv_ready   # this supervisor's state, not a dead one's
}

# sv_stop: SIGTERM the supervisor, wait for it to exit, its status in SV_RC.
# (Not in a $(...) subshell: only this shell can wait for its child.)
sv_stop() {
	kill -TERM "$SUP" 2>/dev/null
	SV_RC=0
	wait "$SUP" || SV_RC=$?
}

# Every pid of a process tree rooted at $1 (inclusive).
tree_pids() {
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}

# Process group members of pgid $1 still alive (one pass over /proc).
group_alive() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v pg="$1" '{ sub(/.*\) /, ""); if ($3 == pg && $1 != "Z") found = 1 } END { exit !found }'
}

# Zombie children of pid $1 (one pass over /proc).
zombies_of() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v pp="$1" '{ pid = $1; sub(/.*\) /, ""); if ($2 == pp && $1 == "Z") print pid }'
}

# epoll_timeouts STRACE-FILE: the timeouts of the completed epoll waits
# (musl calls epoll_pwait), from strace lines with or without -ttt stamps.
epoll_timeouts() { sed -n 's/^\([0-9.]* \)\{0,1\}epoll_p\{0,1\}wait(.*\], *64, *\(-\{0,1\}[0-9]*\).*) = [0-9].*/\2/p' "$1"; }

# timerfd_leads STRACE-FILE: from `strace -ttt` lines, how far ahead (ms)
# of its setting each timerfd_settime armed the daemon's deadline timer. The
# expiry is absolute CLOCK_MONOTONIC, the strace stamp CLOCK_REALTIME: their
# offset, read once, relates the two. Disarming (0 0) is left out; a
# setting that is not TFD_TIMER_ABSTIME prints "relative".
timerfd_leads() {
	local off
	off=$(python3 -c 'import time; print(time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_MONOTONIC))')
	sed -nE 's/^([0-9.]+) timerfd_settime\([0-9]+, ([A-Z_0]+), .*it_value=\{tv_sec=([0-9]+), tv_nsec=([0-9]+).*/\1 \2 \3 \4/p' "$1" |
		awk -v off="$off" '$3 + $4 == 0 { next } $2 != "TFD_TIMER_ABSTIME" { print "relative"; next }
			{ printf "%d\n", (($3 + $4 / 1e9) - ($1 - off)) * 1000 }'
}

# need COMMAND PACKAGE: make sure COMMAND exists, installing the Debian
# PACKAGE quietly the first time (apt output goes to build/apt-tests.log).
# Returns non-zero if it cannot be had; the caller then skips, saying why.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
	local log=$ROOT/build/apt-tests.log
	mkdir -p "$ROOT/build"
	echo "# installing $2 for $1 (log: $log)" >&2
	{
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$2" ||
			{ apt-get update -qq -o DPkg::Lock::Timeout=300 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$2"; }
	} >>"$log" 2>&1
	command -v "$1" >/dev/null 2>&1
}

# skip_all REASON: plan nothing, skip the whole file with a reason.
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
