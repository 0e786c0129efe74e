#!/bin/bash
# Concurrent `start` from many shells yields exactly one daemon (SPEC 8): every
# client returns 0, one process holds the lock, each server runs once.
. "$(dirname "$0")/lib.sh"
plan 12
N=8
# every process of these servers inherits MARK_T: ours, not another test's
REG_EXTRA="<environment><variable name=\"MARK_T\">$T</variable></environment>"
reg_write <<EOF
a 1 0 5
b 1 0 5 --children 1
c 2 0 5
EOF
# A daemon-mode supervisor's command line does not say "supervisor", so
# lib.sh's cleanup would miss it: stop it through the client (by its lock).
trap '"$BIN" -c "$REG" stop >/dev/null 2>&1; _cleanup' EXIT

pids=
for i in $(seq 1 $N); do
	"$BIN" -c "$REG" start >"$T/start.$i.out" 2>&1 &
	pids="$pids $!"
done
track $pids
rcs=
for p in $pids; do wait "$p"; rcs="$rcs $?"; done
is "$rcs" "$(printf ' 0%.0s' $(seq 1 $N))" "all $N concurrent starts exit 0"

daemon=$(cat "$RUN/supervisor.pid" 2>/dev/null)
ok $([ -n "$daemon" ] && alive "$daemon"; echo $?) "the pid file names a live daemon ($daemon)"
[ -n "$daemon" ] && track "$daemon"
holder=$(awk -v f="$(stat -c %i "$RUN/supervisor.lock")" '$6 ~ (":" f "$") { print $5 }' /proc/locks)
is "$holder" "$daemon" "the daemon is the one process holding the lock"
is "$(phase)" running "the daemon has started every server"
losers=$(cat "$T"/start.*.out | grep -c "already running (pid $daemon)")
is "$losers" $((N - 1)) "the other $((N - 1)) starts report the daemon already running, naming its pid"

# Processes still running this binary from a start: only the daemon is left
# (the clients and the losing daemons have all exited).
exe=$(readlink -f "$BIN")
n_bin=0
for f in $(grep -lzx -- "$REG" /proc/[0-9]*/cmdline 2>/dev/null); do
	d=${f%/cmdline}
	[ "$(readlink "$d/exe" 2>/dev/null)" = "$exe" ] && n_bin=$((n_bin + 1))
done
is "$n_bin" 1 "exactly one process of this binary for this registry remains"

# Each server: exactly one main process, a child of the daemon.
count_server() {  # count_server ID PARENT: processes of server ID whose parent is PARENT
	local n=0 c
	for c in $(cat /proc/"$2"/task/*/children 2>/dev/null); do
		grep -qzx "IMAGESERVING_SERVER=$1" "/proc/$c/environ" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
for id in a b c; do
	is "$(count_server "$id" "$daemon")" 1 "server $id runs exactly once, under the daemon"
done
# and nothing else of this registry is running outside the daemon's tree
n_all=0
for f in $(grep -lzx "MARK_T=$T" /proc/[0-9]*/environ 2>/dev/null); do
	grep -qzx -- "$SRV" "${f%/environ}/cmdline" 2>/dev/null && n_all=$((n_all + 1))
done
is "$n_all" 3 "three server main processes in all, no duplicates anywhere"

"$BIN" -c "$REG" stop >/dev/null 2>&1
is $? 0 "stop exits 0"
ok $(dead "$daemon"; echo $?) "the daemon is gone"
done_testing
