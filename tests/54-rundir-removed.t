#!/bin/bash
# A run directory removed under a running supervisor (repro O; logind at
# logout, tmpfiles ageing): it is noticed and made again, lock, pid and state
# included, so clients still find the supervisor and no second one starts.
. "$(dirname "$0")/lib.sh"
plan 7
reg_write <<EOF
a 1 0 2
EOF
sv_start; ok $? "supervisor starts"
a=$(spid a)
rm -rf "$RUN"
back() { [ -e "$RUN/supervisor.lock" ] && [ "$(cat "$RUN/supervisor.pid" 2>/dev/null)" = "$SUP" ] && sup_is; }
wait_for 5 back; ok $? "the removed run directory is made again, with its pid file and state"
like "$(cat "$T/log/supervisor.log")" "run directory $RUN or its lock was removed: lock taken again" "and the trace log says so"
out=$("$BIN" -c "$REG" start 2>&1); rc=$?
like "$rc: $out" "^0: .*already running \\(pid $SUP" "a second start finds the running supervisor"
is "$(spid a)" "$a" "and server a still runs once, as before"
rm -f "$RUN/supervisor.lock"
wait_for 5 test -e "$RUN/supervisor.lock"
"$BIN" -c "$REG" start >/dev/null 2>&1
ok $(alive "$SUP" && [ "$(spid a)" = "$a" ] && sup_is; echo $?) "a removed lock file alone is taken again too"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
done_testing
