#!/bin/bash
# Orphans that lost the environment marker (repro U): a server's worker
# that clears its environment (env -i, sudo) and leaves its session is
# contained by the server's cgroup (by default, where a cgroup v2 is
# writable: the server starts in it, clone3 CLONE_INTO_CGROUP): it is
# stopped with its server on every restart, and after a hard kill of the
# supervisor by the next start. <cgroups>false</cgroups> turns it off.
. "$(dirname "$0")/lib.sh"
plan 7
cg=
for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && [ -w "$d" ] && cg=$d && break
done
if [ -z "$cg" ] || [ "$(id -u)" != 0 ]; then
	for i in 1 2 3 4 5 6 7; do skip "needs root and a writable cgroup v2"; done
	exit 0
fi
cat >"$T/launcher.sh" <<EOS
#!/bin/sh
(setsid env -i IS_TEST_T=$T IS_ENVLESS=1 /bin/sleep 300 </dev/null >/dev/null 2>&1 &)
exec sleep 300
EOS
chmod 755 "$T/launcher.sh"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="is"><executable>$T/launcher.sh</executable><stopTimeout>2</stopTimeout>$TEST_MARK</server>
</servers></supervisor>
EOF
workers() { grep -lzx "IS_ENVLESS=1" $(grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null) 2>/dev/null | wc -l; }
one() { [ "$(workers)" -eq 1 ]; }
# cgroup of a process (the v2 line)
cgroup_of() { sed -n 's/^0:://p' /proc/"$1"/cgroup 2>/dev/null; }
sv_start; wait_for 5 one; ok $? "the server's environment-less worker runs"
like "$(cgroup_of "$(spid is)")" "/imageserving\.[0-9a-f]{8}/is$" "by default the server starts in a cgroup of its own ($(cgroup_of "$(spid is)"))"
for i in 1 2 3; do "$BIN" -c "$REG" restart is >/dev/null 2>&1; done
wait_for 5 one; ok $? "after 3 restarts exactly one worker runs (got $(workers))"
kill -KILL "$SUP"; wait "$SUP" 2>/dev/null
sv_start
wait_for 5 one; ok $? "after a hard kill and a new start, exactly one worker runs (got $(workers))"
sv_stop
none() { [ "$(workers)" -eq 0 ]; }
wait_for 5 none; ok $? "stop leaves none"

# Turned off: the server runs where the supervisor does.
sed -i 's|</temp>|</temp><cgroups>false</cgroups>|' "$REG"
sv_start; wait_for 5 one; ok $? "with <cgroups>false</cgroups> the server starts"
is "$(cgroup_of "$(spid is)")" "$(cgroup_of "$SUP")" "and runs in the supervisor's own cgroup"
sv_stop; wait_for 5 none
done_testing
