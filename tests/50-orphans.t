#!/bin/bash
# Orphan-proof stop: a grandchild that left the server's process group and
# was reparented to the supervisor (subreaper) is stopped with its server.
. "$(dirname "$0")/lib.sh"
plan 5
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config>
<servers><server id="o"><executable>$TESTS/servers/adopted</executable><stopTimeout>2</stopTimeout></server></servers>
</supervisor>
EOF
sv_start; ok $? "supervisor starts the server"
# The orphan: a child of the supervisor that is not the server's main process.
orphan() {
	local c
	for c in $(cat /proc/"$SUP"/task/*/children 2>/dev/null); do
		[ "$c" != "$(spid o)" ] && tr '\0' ' ' </proc/"$c"/cmdline 2>/dev/null | grep -q 'sleep 3602' && echo "$c"
	done
}
has_orphan() { [ -n "$(orphan)" ]; }
gone() { [ -n "$1" ] && dead "$1"; }
wait_for 5 has_orphan
o1=$(orphan); track "$o1"
ok $([ -n "$o1" ]; echo $?) "the grandchild was adopted by the supervisor (pid $o1)"
"$BIN" -c "$REG" restart o >/dev/null
wait_for 5 gone "$o1"; ok $? "restart o stops the adopted grandchild too"
wait_for 5 has_orphan
o2=$(orphan); track "$o2"
sv_stop
is "$SV_RC" 0 "supervisor stops cleanly"
ok $(gone "$o2"; echo $?) "no adopted grandchild outlives the supervisor"
