#!/bin/bash
# Lifecycle: start, crash restart with the other server untouched, clean stop.
. "$(dirname "$0")/lib.sh"
plan 9
reg_write <<EOF
a 1 0 5 --stamp $T/stamps
b 1 0 5 --stamp $T/stamps
EOF
sv_start; ok $? "supervisor starts both servers"
pa=$(spid a) pb=$(spid b)
ok $([ -n "$pa" ] && [ "$pa" != 0 ] && alive "$pa"; echo $?) "server a runs (pid $pa)"
pgid=$(awk '{print $5}' /proc/"$pa"/stat)
is "$pgid" "$pa" "server a leads its own process group"
kill -KILL "$pa"
a_restarted() { [ "$(spid a)" != "$pa" ] && [ "$(spid a)" != 0 ] && is_state a running; }
wait_for 5 a_restarted
ok $? "a crashed server is restarted"
is "$(spid b)" "$pb" "the other server is untouched"
is "$(state_get a restarts)" 1 "restart count is 1"
is "$(state_get a last_exit)" "signal KILL" "last exit is recorded"
pa2=$(spid a)
sv_stop
is "$SV_RC" 0 "supervisor exits 0 after SIGTERM"
ok $(dead "$pa2" && dead "$pb" && [ ! -e "$RUN/supervisor.pid" ]; echo $?) "no server outlives the supervisor; pid file removed"
