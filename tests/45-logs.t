#!/bin/bash
# Server output and the trace log (SPEC 3, 5): each server's stdout/stderr go
# to <logdir>/ID.log, appended, never truncated; SIGUSR1 reopens every log
# file (logrotate's move-then-signal); trace lines are "ISO-8601 level id
# message"; SIGUSR2 writes a stats line per server now.
. "$(dirname "$0")/lib.sh"
plan 22

mkdir -p "$T/log"
echo "an older line, kept" >"$T/log/p.log"
reg_write <<EOF
p 1 0 5 --print hello-p
q 1 0 5 --print hello-q
EOF
sv_start; ok $? "supervisor starts two printing servers"
has() { grep -qx -- "$2" "$1" 2>/dev/null; }
nlines() { grep -cx -- "$2" "$1" 2>/dev/null; }
wait_for 5 has "$T/log/p.log" hello-p
ok $? "server stdout lands in log/p.log"
wait_for 5 has "$T/log/p.log" hello-p-err
ok $? "server stderr lands in log/p.log too"
ok $(has "$T/log/p.log" "an older line, kept"; echo $?) "the existing log file is appended to, not truncated"
wait_for 5 has "$T/log/q.log" hello-q
ok $? "each server has its own log file (log/q.log)"
ok $(! grep -q hello-q "$T/log/p.log"; echo $?) "q's output is not in p's log"

# a crash and a commanded restart: the file keeps growing
pp=$(spid p)
kill -KILL "$pp"
p_back() { [ "$(spid p)" != "$pp" ] && [ "$(spid p)" != 0 ] && is_state p running; }
wait_for 5 p_back
ok $? "p is restarted after a crash"
two() { [ "$(nlines "$T/log/p.log" hello-p)" -ge 2 ]; }
wait_for 5 two
ok $? "the restarted p's output is appended after the first"
"$BIN" -c "$REG" restart p >/dev/null 2>&1
is $? 0 "restart p exits 0"
three() { [ "$(nlines "$T/log/p.log" hello-p)" -ge 3 ]; }
wait_for 5 three
ok $? "and again after restart p"
ok $(has "$T/log/p.log" "an older line, kept"; echo $?) "the first line is still there"

# ---- logrotate: move the files away, SIGUSR1, new output goes to new files ----
mv "$T/log/p.log" "$T/log/p.log.1"
mv "$T/log/supervisor.log" "$T/log/supervisor.log.1"
kill -USR1 "$SUP"
reopened() { grep -q 'reopened' "$T/log/supervisor.log"; }
wait_for 5 reopened
ok $? "after SIGUSR1 the trace log is reopened: a new supervisor.log says \"reopened\""
ok $([ -e "$T/log/p.log" ]; echo $?) "SIGUSR1 recreated log/p.log"
n_old=$(nlines "$T/log/p.log.1" hello-p)
"$BIN" -c "$REG" restart p >/dev/null 2>&1
is $? 0 "restart p after the rotation"
wait_for 5 has "$T/log/p.log" hello-p
ok $? "the new server output goes to the new log/p.log"
is "$(nlines "$T/log/p.log.1" hello-p)" "$n_old" "the rotated file gets nothing more"
# q was not restarted; make it print through a crash of its own
pq=$(spid q)
kill -KILL "$pq"
q_two() { [ "$(nlines "$T/log/q.log" hello-q)" -ge 2 ]; }
wait_for 5 q_two
ok $? "q's log (not moved) still gets the output of q's next run"
like "$(grep -c 'restart requested' "$T/log/supervisor.log")" '^[1-9]' "new trace lines go to the new trace log"

# ---- trace line format ----
bad=$(grep -Evc '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2}) (error|warning|info|debug) [A-Za-z0-9_.-]+ [^ ].*$' \
	"$T/log/supervisor.log.1" "$T/log/supervisor.log" | awk -F: '{ s += $NF } END { print s }')
is "$bad" 0 "every trace line is: ISO-8601 time, level, server id (or -), message"
like "$(grep ' p ' "$T/log/supervisor.log.1" | head -1)" '^[0-9-]+T[0-9:.]+Z? (info|warning|error|debug) p ' \
	"server lines carry the server id"

# ---- SIGUSR2: a stats line per server, now ----
kill -USR2 "$SUP"
stats() { grep -q ' p stats:' "$T/log/supervisor.log" && grep -q ' q stats:' "$T/log/supervisor.log"; }
wait_for 5 stats
ok $? "SIGUSR2 writes a stats line for each server"
like "$(grep ' p stats:' "$T/log/supervisor.log" | tail -1)" "state running, pid $(spid p),.*restarts [0-9]+" \
	"the stats line gives state, pid and restarts"
sv_stop
done_testing
