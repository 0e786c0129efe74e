#!/bin/bash
# valgrind.sh: the daemon and the control client under valgrind (memcheck, full
# leak check, fd tracking) through a whole life: crashes and restarts,
# `restart ID`, `stop ID`/`start ID`, status, reloads (changed, added and
# removed servers; a bad registry by `reload` and by SIGHUP), log reopen, stats,
# `stop`; then `start` (daemonized), whole `restart` and `stop`. Prints TAP;
# exits 0 only when every valgrind run reports no error, no definite or
# possible leak and no fd left open at exit beyond those it inherited.
#   IMAGESERVING_BIN=build/valgrind/imageserving tests/valgrind.sh   (make valgrind)
# A plain glibc build is needed: valgrind cannot run a static musl binary's
# allocator checks, nor a sanitizer build. KEEP_TMP=1 keeps the logs.
. "$(dirname "$0")/lib.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind not installed"
	exit 0
fi
if file -L "$BIN" 2>/dev/null | grep -q 'statically linked'; then
	echo "1..1"
	echo "not ok 1 - $BIN is statically linked; build the glibc flavour (make valgrind)"
	exit 1
fi

VGLOG=$T/vg
mkdir -p "$VGLOG"
VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99
    --track-fds=yes --log-file="$VGLOG/%p.log")
# valgrind is slow to start: generous deadlines
LONG=60

IS() { "${VG[@]}" "$BIN" -c "$REG" "$@"; }

# write_reg: servers as reg_write, stats every second, plus a server that
# cannot be exec'd (valgrind runs vfork as fork: the exec error must still
# come back through the spawn pipe)
write_reg() {
	REG_CONFIG="<tracestatsinterval>1</tracestatsinterval>" reg_write
	sed -i "s|</servers>|<server id=\"missing\"><executable>$T/no/such/server</executable><stopTimeout>5</stopTimeout></server></servers>|" "$REG"
}

ST=$T/stamps
write_reg <<EOF
a 1 0 5 --stamp $ST
b 1 0 5 --children 1
crash 2 0 5 --exit-after 0.2 3
c 2 0 5 --print hello
EOF

# ---- the daemon in the foreground ----
"${VG[@]}" "$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for $LONG is_phase running
ok $? "the supervisor under valgrind starts every server (pid $SUP)"

# fds of the supervisor: "files PIPES" (a crashing server's pipe comes and goes)
nfd() {
	local f t files=0 pipes=0
	for f in /proc/"$SUP"/fd/*; do
		t=$(readlink "$f") || continue
		case $t in pipe:*) pipes=$((pipes + 1)) ;; *) files=$((files + 1)) ;; esac
	done
	echo "$files $pipes"
}
fd0=$(nfd)
pa=$(spid a)
kill -KILL "$pa" 2>/dev/null
a_back() { local p; p=$(spid a); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pa" ] && is_state a running; }
wait_for $LONG a_back
ok $? "a killed server is restarted ($pa -> $(spid a))"
crashed() { [ "$(state_get crash restarts)" -ge 3 ] 2>/dev/null; }
wait_for $LONG crashed
ok $? "a crashing server is restarted with backoff ($(state_get crash restarts) restarts)"

pb=$(spid b)
out=$(IS restart b 2>&1); rc=$?
is "$rc" 0 "restart b exits 0 ($out)"
ok $([ "$(spid b)" != "$pb" ] && is_state b running; echo $?) "b runs with a new pid ($pb -> $(spid b))"

out=$(IS stop c 2>&1); rc=$?
is "$rc" 0 "stop c exits 0 ($out)"
out=$(IS status 2>&1); rc=$?
like "$out" "^c +stopped" "status shows c stopped ($rc)"
like "$out" "missing: last error: .*No such file or directory" "status gives the exec error of the missing server"
out=$(IS status --json 2>&1); rc=$?
like "$out" '"servers"' "status --json answers ($rc)"
out=$(IS start c 2>&1); rc=$?
is "$rc" 0 "start c exits 0 ($out)"

# ---- reloads: SIGHUP and `reload`, good and bad ----
pa=$(spid a) pb=$(spid b) pc=$(spid c)
write_reg <<EOF
a 1 0 5 --stamp $ST
b 1 0 5 --children 2
crash 2 0 5 --exit-after 0.2 3
d 3 0 5
EOF
gen() { awk -F'\t' '$1 == "supervisor" { print $6 }' "$RUN/supervisor.state"; }
kill -HUP "$SUP"
reloaded() { is_state d running && [ -z "$(state_get c id)" ] && [ "$(spid b)" != "$pb" ] && is_state b running; }
wait_for $LONG reloaded
ok $? "SIGHUP: b changed (restarted), c removed, d added"
is "$(spid a)" "$pa" "the unchanged server a keeps its pid"

cp "$REG" "$T/good.xml"
{ head -c -30 "$T/good.xml"; echo "<oops"; } >"$REG"
out=$(IS reload 2>&1); rc=$?
is "$rc" 6 "reload of a malformed registry exits 6"
kill -HUP "$SUP"
kept() { grep -q 'keeping the running configuration' "$T/log/supervisor.log"; }
wait_for $LONG kept
ok $? "SIGHUP with a bad registry keeps the running configuration"

pd=$(spid d)
write_reg <<EOF
a 1 0 5 --stamp $ST
b 1 0 5 --children 2
crash 2 0 5 --exit-after 0.2 3
e 3 0 5 --print world
EOF
out=$(IS reload 2>&1); rc=$?
is "$rc" 0 "reload of a good registry exits 0 ($out)"
reloaded2() { is_state e running && [ -z "$(state_get d id)" ]; }
wait_for $LONG reloaded2
ok $? "reload: d removed, e added"
# five servers again, after restarts, stop/start, three reloads: no fd lost
fd1=$(nfd)
ok $([ "${fd1% *}" = "${fd0% *}" ] && [ "${fd1#* }" -le "${fd0#* }" ]; echo $?) \
	"the supervisor holds as many fds as at the start, 5 servers each time (files pipes: $fd0 -> $fd1)"

# ---- logs: reopen (logrotate) and stats ----
mv "$T/log/supervisor.log" "$T/log/supervisor.log.1"
mv "$T/log/e.log" "$T/log/e.log.1" 2>/dev/null
kill -USR1 "$SUP"
wait_for $LONG test -s "$T/log/supervisor.log"
ok $? "SIGUSR1 reopens the trace log"
kill -USR2 "$SUP"
stats() { grep -q 'stats\|uptime\|rss' "$T/log/supervisor.log"; }
wait_for $LONG stats
ok $? "stats lines are written"

# ---- stop by the client ----
out=$(IS stop 2>&1); rc=$?
is "$rc" 0 "stop exits 0 ($out)"
SV_RC=0
wait "$SUP" || SV_RC=$?
is "$SV_RC" 0 "the supervisor under valgrind exits 0 (99 would be a valgrind error)"
FG=$SUP

# ---- start (daemonized), whole restart, stop ----
# (without the missing server: start would name it and exit 1)
REG_CONFIG="<tracestatsinterval>1</tracestatsinterval>" reg_write <<EOF
a 1 0 5 --stamp $ST
b 1 0 5 --children 1
EOF
out=$(IS start 2>&1); rc=$?
is "$rc" 0 "start (daemonized, under valgrind) exits 0 ($out)"
D1=$(cat "$RUN/supervisor.pid" 2>/dev/null); track "$D1"
out=$(IS restart 2>&1); rc=$?
is "$rc" 0 "restart (the whole supervisor) exits 0 ($out)"
D2=$(cat "$RUN/supervisor.pid" 2>/dev/null); track "$D2"
is "$(grep -c 'restarted' <<<"$out")" 1 "restart says 'restarted' once (no stdio buffer copied into the daemon)"
ok $([ -n "$D2" ] && [ "$D2" != "$D1" ]; echo $?) "a new supervisor runs ($D1 -> $D2)"
out=$(IS stop 2>&1); rc=$?
is "$rc" 0 "stop exits 0 ($out)"
wait_for $LONG dead "$D2"
ok $? "the daemonized supervisor is gone"
IS check >/dev/null 2>&1; rc=$?
is "$rc" 0 "check exits 0"

# ---- what valgrind says ----
# A log with no ERROR SUMMARY is a child that exec'd a server: nothing to say.
# Valgrind runs vfork as fork, so a server child whose exec failed exits
# under valgrind, with the daemon's heap and fds: not the daemon's leaks.
nlogs=0 bad=0 nexecfail=0
for f in "$VGLOG"/*.log; do
	grep -q 'ERROR SUMMARY' "$f" || continue
	p=$(basename "$f" .log)
	parent=$(sed -n 's/^==[0-9]*== Parent PID: //p' "$f")
	case " $FG $D1 $D2 " in *" $parent "*)
		nexecfail=$((nexecfail + 1))
		continue ;;
	esac
	nlogs=$((nlogs + 1))
	what=$(sed -n 's/^==[0-9]*== Command: //p' "$f" | head -1)
	errs=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -1)
	def=$(sed -n 's/^==[0-9]*==    definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -1)
	pos=$(sed -n 's/^==[0-9]*==    possibly lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -1)
	# fds open at exit, other than 0-2, inherited ones, and the daemon's own
	# for its whole life (epoll, signalfd, the deadline timerfd, trace log, the run directory watch, the /dev/null that
	# spawn_server keeps for servers; the notify pipe an intermediate
	# daemonize process hands on): all O_CLOEXEC, closed by exit. Anything
	# per server (pipes, server logs) left open is a leak.
	fds=$(awk '/Open .*descriptor [0-9]+/ {
			fd = $0; sub(/.*descriptor /, "", fd); sub(/:.*/, "", fd); pend = fd + 0; keep = 0
			null = ($0 ~ /: \/dev\/null$/); next }
		pend != "" && /inherited from parent|epoll_create1|signalfd|timerfd_create|log_open|rundir_watch|daemonize|spawn_once/ { keep = 1; next }
		pend != "" && null && /spawn_server|null_input/ { keep = 1; next }
		pend != "" && /^==[0-9]*== *$/ { if (pend > 2 && !keep) out = out " " pend; pend = ""; next }
		END { print out }' "$f")
	if [ "${errs:-x}" = 0 ] && [ "${def:-0}" = 0 ] && [ "${pos:-0}" = 0 ] && [ -z "$fds" ]; then
		pass "valgrind $p ($what): 0 errors, no leak, no fd left open"
	else
		fail "valgrind $p ($what): ${errs:-?} errors, definitely lost ${def:-0}, possibly lost ${pos:-0}, open fds:${fds:- none}"
		sed -n '/^==[0-9]*== [A-Z][a-z]* .*\(Invalid\|uninitialised\|Mismatched\|definitely\|possibly\|Syscall\|Open\)/,/^==[0-9]*== $/p' "$f" |
			head -60 | sed 's/^/# /' >&2
		bad=$((bad + 1))
	fi
done
ok $([ "$nlogs" -ge 10 ] && [ -f "$VGLOG/$FG.log" ] && [ -f "$VGLOG/$D1.log" ] && [ -f "$VGLOG/$D2.log" ]; echo $?) \
	"valgrind reported on $nlogs processes, the daemons $FG $D1 $D2 included ($nexecfail failed-exec server children not counted)"
# Valgrind 3.19 does not know pidfd_open (434): the client then falls back to
# kill/sigqueue, which is fine; any other warning is worth a look.
grep -h 'WARNING\|Warning' "$VGLOG"/*.log 2>/dev/null | sed 's/^[-=]*[0-9]*[-=]* //' | sort | uniq -c |
	sed 's/^/# valgrind: /' >&2
echo "1..$_n"
done_testing
