#!/bin/bash
# make run (issue 12 item 2): before the supervisor starts in the foreground
# it says where the trace log and each server's log are, as the registry
# resolves them, and which command shows the status; that command works.
# (SV_log and SV_temp point the shipped registry's logs and run directory
# into this test's directory.)
. "$(dirname "$0")/lib.sh"
plan 6
mkdir -p "$T/log"
export SV_log=$T/log/supervisor.log SV_temp=$RUN
make -s -C "$ROOT" --no-print-directory run >"$T/run.out" 2>&1 &
M=$!
track "$M"
started() { [ -s "$RUN/supervisor.pid" ] && grep -q "server logs" "$T/run.out"; }
wait_for 20 started; ok $? "make run starts the supervisor"
S=$(cat "$RUN/supervisor.pid" 2>/dev/null); [ -n "$S" ] && track "$S"
out=$(cat "$T/run.out")
like "$out" "trace log: +$T/log/supervisor.log" "it says where the trace log is"
like "$out" "server logs: +$T/log/is.log $T/log/ps.log $T/log/svg.log" "and where each server's log is"
cmd=$(sed -n 's/^  status: *\(.* status\) .*/\1/p' "$T/run.out")
like "$cmd" "imageserving status$" "and which command shows the status ($cmd)"
out=$(cd "$ROOT" && $cmd 2>&1); rc=$?
ok $([ "$rc" -le 1 ] && grep -q "^supervisor .*pid $S" <<<"$out"; echo $?) "that command reports this supervisor (exit $rc)"
kill -TERM "$S"; wait "$M"
is "$?" 0 "Ctrl-C (SIGTERM) ends make run cleanly"
done_testing
