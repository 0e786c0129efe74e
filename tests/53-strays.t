#!/bin/bash
# Strays of a supervisor killed hard (repros D, Q): a server's setsid'd
# worker outlives SIGKILL of the supervisor; the next start proves it ours
# (its markers and start time) and kills it, so exactly one worker runs.
# Without /proc the next start says it cannot look.
. "$(dirname "$0")/lib.sh"
plan 5
reg_write <<EOF
w 1 0 2 --setsid-child
EOF
# The setsid'd sleepers marked with this test's mark, outside any server group.
workers() {
	local f p
	for f in $(grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}; p=${p%/environ}
		[ "$(awk '{print $6}' /proc/"$p"/stat 2>/dev/null)" = "$p" ] && grep -q '^sleep' /proc/"$p"/comm && echo "$p"
	done
}
one_worker() { [ "$(workers | wc -l)" -eq 1 ]; }
sv_start; wait_for 5 one_worker; ok $? "the server's setsid worker runs"
old=$(workers)
kill -KILL "$SUP"; wait "$SUP" 2>/dev/null
ok $(alive "$old"; echo $?) "it outlives SIGKILL of the supervisor (worker $old)"
sv_start
wait_for 5 dead "$old"; ok $? "the next start kills the worker the dead supervisor left"
wait_for 5 one_worker; ok $? "and exactly one worker runs (got: $(workers | tr '\n' ' '))"
kill -KILL "$SUP"; wait "$SUP" 2>/dev/null
# Q: no /proc in our mount namespace: say so rather than kill blindly.
if unshare -m true 2>/dev/null; then
	unshare -m bash -c "umount -l /proc && exec '$BIN' supervisor -f -c '$REG'" >>"$T/sup.out" 2>&1 &
	SUP=$!; track "$SUP"
	wait_for 5 grep -q "cannot look for processes left by supervisor" "$T/log/supervisor.log"
	ok $? "without /proc the next supervisor says it cannot look for strays"
	kill -TERM "$SUP"; wait "$SUP" 2>/dev/null
else
	skip "needs unshare -m"
fi
kill_marked
done_testing
