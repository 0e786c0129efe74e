#!/bin/bash
# Fault: the registry deleted or replaced under a reload. Each time the
# supervisor keeps its running configuration, says why in the trace log, loses
# no server, and applies the registry once it is whole again:
#  - deleted, then SIGHUP; a directory, a 2 MiB file in its place;
#  - half written (truncated mid-file) when the SIGHUP comes;
#  - rewritten in place, non-atomically, over and over while SIGHUPs rain;
#  - a FIFO in its place: reading it must not block the event loop (a server
#    that dies meanwhile is still restarted).
. "$(dirname "$0")/lib.sh"
plan 18
# The registry itself is deleted or garbage here: read the state file (by its
# header's column names), which needs no registry.
gen() { sup_raw generation; }
spid() { state_raw "$1" pid; }
sstate() { state_raw "$1" state; }
nerr() { grep -c 'keeping the running configuration' "$T/log/supervisor.log"; }
reg_write <<EOF
a 1 0 2
b 1 0 2
EOF
cp "$REG" "$T/regA"
reg_write <<EOF
a 1 0 2
b 1 0 2
c 1 0 2
EOF
cp "$REG" "$T/regC"
cp "$T/regA" "$REG"
sv_start; ok $? "supervisor starts a and b"
pa=$(spid a) pb=$(spid b)
fds() { ls /proc/"$SUP"/fd 2>/dev/null | wc -l; }
fd0=$(fds)
# refused RULE: SIGHUP, wait for one more "keeping" line
refused() {
	local n; n=$(nerr)
	kill -HUP "$SUP"
	more() { [ "$(nerr)" -gt "$n" ]; }
	wait_for 10 more
}
same() { [ "$(spid a)" = "$pa" ] && [ "$(spid b)" = "$pb" ] && alive "$pa" && alive "$pb"; }

# ---- deleted ----
rm -f "$REG"
refused; ok $? "registry deleted, SIGHUP: the reload is refused"
like "$(grep 'error - reload: ' "$T/log/supervisor.log" | tail -3)" "$REG.*(No such file|cannot read|not found)" "the trace log says the file is missing"
ok $(same && alive "$SUP"; echo $?) "the supervisor and both servers run on, untouched"

# ---- a directory, a huge file ----
mkdir "$REG"
refused; ok $? "a directory in its place: refused"
rmdir "$REG"
head -c 2097152 /dev/zero | tr '\0' ' ' >"$REG"
refused; ok $? "a 2 MiB file in its place: refused"
ok $(same; echo $?) "both servers untouched"

# ---- restored (with c added) ----
cp "$T/regC" "$REG"
g0=$(gen)
kill -HUP "$SUP"
c_runs() { local p; p=$(spid c); [ -n "$p" ] && [ "$p" != 0 ] && is_state c running && alive "$p"; }
wait_for 10 c_runs
ok $? "restored with a new server c, SIGHUP: c runs"
ok $([ "$(gen)" -gt "$g0" ] && same; echo $?) "generation $g0 -> $(gen); a and b untouched"

# ---- half written ----
head -c $(( $(stat -c %s "$T/regA") / 2 )) "$T/regA" >"$REG"
refused; ok $? "half-written registry (without c), SIGHUP: refused"
ok $(c_runs && same; echo $?) "a, b and c all still run"

# ---- rewritten in place while SIGHUPs rain ----
pc=$(spid c)
(
	for i in $(seq 60); do
		if [ $((i % 2)) = 0 ]; then src=$T/regA; else src=$T/regC; fi
		# in place, in two writes: readers may see the first half only
		n=$(stat -c %s "$src")
		{ head -c $((n / 2)) "$src"; sleep 0.002; tail -c +$((n / 2 + 1)) "$src"; } >"$REG"
		sleep 0.01
	done
) &
W=$!
track "$W"
for i in $(seq 150); do kill -HUP "$SUP"; sleep 0.005; done
wait "$W"
ok $(alive "$SUP"; echo $?) "the supervisor survived 150 SIGHUPs while the registry was rewritten in place 60 times"
cp "$T/regC" "$REG"
g1=$(gen)
kill -HUP "$SUP"
settled() { [ "$(gen)" -gt "$g1" ] && c_runs; }
wait_for 10 settled
ok $? "the final registry (a, b, c) is applied: c runs"
ok $(same; echo $?) "a and b kept their pids through it all (servers unchanged by every version)"

# ---- a FIFO in its place ----
rm -f "$REG"
mkfifo "$REG"
kill -HUP "$SUP"
sleep 0.3
pb2=$(spid b)
kill -KILL "$pb2"
b_back() { local p; p=$(spid b); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pb2" ] && is_state b running && alive "$p"; }
wait_for 5 b_back
ok $? "a FIFO as the registry, SIGHUP: the loop is not blocked (b, killed, is restarted)"
# unblock a supervisor stuck on the FIFO (a writer ends its open), then put
# the registry back
timeout 2 sh -c "cat '$T/regC' >'$REG'" 2>/dev/null
rm -f "$REG"
cp "$T/regC" "$REG"
wait_for 5 b_back
ok $(b_back && alive "$SUP"; echo $?) "the supervisor is up and b runs (pid $(spid b))"
no_zombies() { [ -z "$(zombies_of "$SUP")" ]; }
fd_same() { [ "$(fds)" -eq "$fd0" ] || [ "$(fds)" -eq $((fd0 + 1)) ]; }  # c's output pipe
wait_for 5 fd_same
ok $? "no fd leaked ($fd0 with two servers, $(fds) with three)"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
done_testing
