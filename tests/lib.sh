# lib.sh: TAP helpers for the black-box tests (sourced by tests/*.t, bash).
# Every process a test starts is recorded by PID and killed at exit; nothing is
# ever killed by name. Waits poll a condition against a deadline.
set -u

BIN=${IMAGESERVING_BIN:-$(cd "$(dirname "$0")/.." && pwd)/imageserving}
TESTS=$(cd "$(dirname "$0")" && pwd)
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

_cleanup() {
	local p
	for p in $_pids; do kill -KILL -- "$p" 2>/dev/null; done
	# Stop any supervisor this test left behind, by the pid its lock names.
	for f in "$T"/*/supervisor.pid "$T"/supervisor.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f" 2>/dev/null)
		case $p in ''|*[!0-9]*) continue ;; esac
		if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q supervisor; then
			kill -TERM "$p" 2>/dev/null
		fi
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap _cleanup EXIT

done_testing() {
	[ "$_fail" -eq 0 ]
}
