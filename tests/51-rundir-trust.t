#!/bin/bash
# Trust nothing another user can write (repros F1, F2, C): the run directory
# permission matrix (mode 0700/0755/0775/0777/1777 x owner us/root/other),
# with the supervisor and its clients run as user nobody ("us"); then state
# files planted by another user, or naming processes that are not ours.
. "$(dirname "$0")/lib.sh"
plan 33
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	for i in $(seq 33); do skip "needs root and a nobody user"; done
	exit 0
fi
NB="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
US=$(id -u nobody) OTHER=12345
chmod 755 "$T"
mkdir -p "$T/log" && chown nobody "$T/log"
trust_reg() {  # trust_reg RUNDIR: a registry for nobody
	printf '<supervisor><config><temp>%s</temp><log>%s/log/sup.log</log></config><servers><server id="a"><executable>/bin/sleep</executable><arguments><argument>300</argument></arguments>%s</server></servers></supervisor>\n' \
		"$1" "$T" "$TEST_MARK" >"$T/m.xml"
	chmod 644 "$T/m.xml"
}
for owner in us root other; do
	for mode in 0700 0755 0775 0777 1777; do
		d=$T/m-$owner-$mode
		mkdir "$d"
		case $owner in us) chown nobody "$d" ;; root) ;; other) chown $OTHER "$d" ;; esac
		chmod $mode "$d"
		trust_reg "$d"
		out=$($NB "$BIN" -c "$T/m.xml" start 2>&1); rc=$?
		if [ $owner = other ] || [ $mode != 0700 -a $mode != 0755 ]; then
			like "$rc: $out" "^[14]: .*run directory $d (has mode $mode|is owned by uid $OTHER \\(mode $mode\\))" \
				"owner $owner, mode $mode: start refuses the run directory, naming it and its mode"
		fi
		if [ $mode != 0700 -a $mode != 0755 ]; then
			# a client may look at another user's supervisor, never through
			# a directory others can write
			out=$($NB "$BIN" -c "$T/m.xml" status 2>&1); rc=$?
			like "$rc: $out" "^4: .*run directory $d has mode $mode.*refusing it" "owner $owner, mode $mode: so does status"
		elif [ $owner = other ]; then
			:
		elif [ $owner = us ]; then
			is "$rc" 0 "owner $owner, mode $mode: start accepts the run directory"
			$NB "$BIN" -c "$T/m.xml" stop >/dev/null 2>&1
		else  # root's 07[05]5: trusted, but nobody cannot create its lock there
			unlike "$out" "refusing" "owner $owner, mode $mode: trusted (only lacks the permission to write)"
		fi
	done
done

# F1: a sticky world-writable run directory with a state file planted by
# another user naming a victim: start refuses it, the victim lives.
sleep 300 & victim=$!; track "$victim"
d=$T/shared; mkdir "$d"; chmod 1777 "$d"; trust_reg "$d"
vstart=$(awk '{print $22}' /proc/"$victim"/stat)
pidns=$(stat -L -c %i /proc/self/ns/pid)
plant() {  # plant FILE PID START: a well-formed state file naming PID
	printf 'imageserving-state 2\n#supervisor\tpid\tpidns\tgeneration\tphase\tregistry\nsupervisor\t%s\t%s\t1\trunning\t%s\n#server\tindex\tid\tstate\tpid\tproc_start\nserver\t0\ta\trunning\t%s\t%s\n' \
		99999 "$pidns" "$T/m.xml" "$2" "$3" >"$1"
}
$NB bash -c "$(declare -f plant); plant $d/supervisor.state $victim $vstart"
out=$("$BIN" -c "$T/m.xml" start 2>&1); rc=$?
like "$rc: $out" "^1: .*run directory $d has mode 1777" "root's start refuses a shared sticky run directory"
ok $(alive "$victim"; echo $?) "and the victim named by the planted state lives"

# A state file in our own run directory but owned by another user.
mkdir -p "$RUN"
reg_write <<EOF
a 1 0 2
EOF
plant "$RUN/supervisor.state" "$victim" "$vstart"; chown nobody "$RUN/supervisor.state"
sv_start; ok $? "the supervisor starts beside a state file owned by another user"
ok $(alive "$victim"; echo $?) "and does not signal the process it names"
like "$(cat "$T/log/supervisor.log")" "state file in $RUN is not ours" "and says why it did not look for strays"
sv_stop

# C: a state file of ours (a supervisor killed hard) whose recorded pid now
# leads a process that is not ours, identical pid and start time: the
# IMAGESERVING_SERVER marker is missing, so it is left alone.
setsid sleep 300 & v2=$!; track "$v2"
sv_start
kill -KILL "$SUP"; wait "$SUP" 2>/dev/null
awk -F'\t' -v OFS='\t' -v p="$v2" -v s="$(awk '{print $22}' /proc/"$v2"/stat)" '
	$1 == "#server" { for (i = 2; i <= NF; i++) col[$i] = i }
	$1 == "server" { $(col["pid"]) = p; $(col["proc_start"]) = s } { print }' "$RUN/supervisor.state" >"$T/st" &&
	cat "$T/st" >"$RUN/supervisor.state"
sv_start; ok $? "the next supervisor starts"
ok $(alive "$v2"; echo $?) "an unmarked process (and group) with the recorded pid and start time lives"
sv_stop
# pid 1 and negative groups are never derived from a file: a state naming
# pid 1 with init's start time is ignored (checked by the marker as well).
plant "$RUN/supervisor.state" 1 "$(awk '{print $22}' /proc/1/stat)"
sv_start; ok $? "a state file naming pid 1 is survived"
ok $(alive "$v2"; echo $?) "and nothing else was killed"
sv_stop
done_testing
