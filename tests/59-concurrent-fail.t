#!/bin/bash
# Concurrent starts whose winner fails (repro N): its trace log cannot be
# opened. Every client reports the failure (none says "already running" and
# exits 0), and nothing runs.
. "$(dirname "$0")/lib.sh"
plan 3
N=12
mkdir -p "$T/log/supervisor.log"   # a directory where the trace log should be
reg_write <<EOF2
a 1 0 2
EOF2
trap '"$BIN" -c "$REG" stop >/dev/null 2>&1; _cleanup' EXIT
pids=
for i in $(seq 1 $N); do
	timeout 20 "$BIN" -c "$REG" start >"$T/start.$i.out" 2>&1 &
	pids="$pids $!"
done
track $pids
zero=0
for p in $pids; do wait "$p" || continue; zero=$((zero + 1)); done
is "$zero" 0 "none of $N concurrent starts whose supervisor fails exits 0"
unlike "$(cat "$T"/start.*.out)" "already running" "none says the supervisor is already running"
"$BIN" -c "$REG" status >/dev/null 2>&1; is "$?" 3 "and status says it is not running"
done_testing
