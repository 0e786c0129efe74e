#!/bin/bash
# Start order and start delay; reverse stop order.
# Priority-1 servers start together; the priority-2 group waits for the largest
# startDelay of group 1 (b's 1 s, not a's 0); group 3 follows group 2 at once
# (its delay is 0). On SIGTERM the groups stop in reverse: 3, then 2, then 1.
. "$(dirname "$0")/lib.sh"
plan 13
ST=$T/stamps
reg_write <<EOF2
a 1 0 5 --stamp $ST
b 1 1 5 --stamp $ST
c 2 0 5 --stamp $ST
d 3 0 5 --stamp $ST
EOF2
t0=$(date +%s%N)
sv_start; ok $? "supervisor reaches phase running"

# stamp EVENT ID: the ns timestamp of that event (first one).
stamp() { awk -v e="$1" -v id="$2" '$1 == e && $2 == id { print $4; exit }' "$ST"; }
all_started() { for s in a b c d; do [ -n "$(stamp start $s)" ] || return 1; done; }
wait_for 5 all_started; ok $? "every server wrote its start stamp"
sa=$(stamp start a) sb=$(stamp start b) sc=$(stamp start c) sd=$(stamp start d)
diag "start stamps (ms after t0): a $(( (sa - t0) / 1000000 )) b $(( (sb - t0) / 1000000 ))" \
	"c $(( (sc - t0) / 1000000 )) d $(( (sd - t0) / 1000000 ))"
d_ab=$(( sa > sb ? sa - sb : sb - sa ))
ok $([ "$d_ab" -lt 300000000 ]; echo $?) "priority-1 servers a and b start together ($((d_ab / 1000000)) ms apart)"
first=$(( sa < sb ? sa : sb )) last=$(( sa > sb ? sa : sb ))
gap=$(( sc - last ))
# The stamps are written by the servers a few ms after their spawn; allow
# 30 ms of that jitter below the 1 s delay.
ok $([ "$gap" -ge 970000000 ]; echo $?) "c (priority 2) starts >= the group's largest startDelay (1 s) after group 1 (gap $((gap / 1000000)) ms)"
ok $([ $(( sc - first )) -lt 2000000000 ]; echo $?) "c does not wait much longer than the delay ($(( (sc - first) / 1000000 )) ms)"
gap3=$(( sd > sc ? sd - sc : sc - sd ))
ok $([ "$gap3" -lt 500000000 ]; echo $?) "d (priority 3) follows c at once, c's delay being 0 ($((gap3 / 1000000)) ms)"
is "$(wc -l <"$ST" | tr -d ' ')" 4 "each server started exactly once"

pa=$(spid a) pb=$(spid b) pc=$(spid c) pd=$(spid d)
sv_stop
is "$SV_RC" 0 "supervisor exits 0 after SIGTERM"
ta=$(stamp stop a) tb=$(stamp stop b) tc=$(stamp stop c) td=$(stamp stop d)
ok $([ -n "$ta" ] && [ -n "$tb" ] && [ -n "$tc" ] && [ -n "$td" ]; echo $?) "every server got its stop signal (stop stamps)"
ok $([ -n "$td" ] && [ -n "$tc" ] && [ "$td" -lt "$tc" ]; echo $?) "priority 3 (d) is stopped before priority 2 (c)"
ok $([ -n "$tc" ] && [ -n "$ta" ] && [ -n "$tb" ] && [ "$tc" -lt "$ta" ] && [ "$tc" -lt "$tb" ]; echo $?) \
	"priority 2 (c) is stopped before priority 1 (a, b)"
# The log says the same, in the supervisor's own order.
order=$(grep -E ' (a|b|c|d) stopping: ' "$T/log/supervisor.log" | sed -E 's/.* (a|b|c|d) stopping: .*/\1/' | tr -d '\n')
like "$order" '^dc(ab|ba)$' "the trace log shows the stop order d, c, then a and b"
ok $(dead "$pa" && dead "$pb" && dead "$pc" && dead "$pd"; echo $?) "no server outlives the supervisor"
