#!/bin/bash
# An XML typo in the registry of a running supervisor must not lock the
# operator out (SPEC §3): status, stop ID, start ID, restart ID and stop find
# the run directory all the same, and reload refuses with FILE:LINE. The run
# directory is given as a <temp> literal, through <variables> (after the typo
# in the file), and through the SV_temp environment variable.
. "$(dirname "$0")/lib.sh"
plan 30

# write_reg CASE: $REG with servers a and b; CASE says how <temp> is given.
write_reg() {
	local temp=$RUN vars=
	case $1 in
	variables) temp=SV::temp vars="<variables><variable name=\"temp\">$RUN</variable></variables>" ;;
	env) temp=SV::temp ;;
	esac
	cat >"$REG" <<EOF
<supervisor>
  <config><log>$T/log/supervisor.log</log><temp>$temp</temp></config>
  <servers>
    <server id="a"><description>server a</description><executable>$SRV</executable>
      <arguments><argument>a</argument></arguments><stopTimeout>5</stopTimeout>$TEST_MARK</server>
    <server id="b"><executable>$SRV</executable>
      <arguments><argument>b</argument></arguments><stopTimeout>5</stopTimeout>$TEST_MARK</server>
  </servers>
  $vars
</supervisor>
EOF
}

for case in literal variables env; do
	if [ "$case" = env ]; then export SV_temp=$RUN; else unset SV_temp; fi
	write_reg "$case"
	sv_start
	ok $? "$case: the supervisor starts"
	sed -i 's#server a</description>#server a</descripton>#' "$REG"   # the typo
	"$BIN" -c "$REG" check >/dev/null 2>&1
	is "$?" 6 "$case: the registry is now invalid"

	out=$("$BIN" -c "$REG" status 2>&1); rc=$?
	is "$rc" 0 "$case: status exits 0"
	like "$out" "b +running" "$case: ... and shows the servers"

	"$BIN" -c "$REG" stop b >/dev/null 2>&1
	ok $([ $? -eq 0 ] && is_state b stopped; echo $?) "$case: stop b works"
	"$BIN" -c "$REG" start b >/dev/null 2>&1
	ok $([ $? -eq 0 ] && is_state b running; echo $?) "$case: start b works"
	pa=$(spid a)
	"$BIN" -c "$REG" restart a >/dev/null 2>&1
	ok $([ $? -eq 0 ] && [ "$(spid a)" != "$pa" ] && is_state a running; echo $?) "$case: restart a works"

	out=$("$BIN" -c "$REG" reload 2>&1); rc=$?
	ok $([ "$rc" -eq 6 ] && printf '%s' "$out" | grep -q "^$REG:[0-9]*: XML: "; echo $?) \
		"$case: reload exits 6 with the XML error as FILE:LINE"
	[ "$rc" -eq 6 ] || diag "rc $rc: $out"

	"$BIN" -c "$REG" stop >/dev/null 2>&1
	ok $? "$case: stop exits 0"
	wait_for 10 dead "$SUP"
	ok $? "$case: the supervisor is gone"
	sv_stop  # reaps it, or stops it if stop could not
done
done_testing
