#!/bin/bash
# Fault: fork fails (RLIMIT_NPROC). RLIMIT_NPROC does not apply to root, so the
# supervisor runs as nobody, in a run and log directory it owns, with a process
# limit of 40 set before it starts (prlimit --pid cannot change another user's
# limits here: no CAP_SYS_RESOURCE). The fault: another process of the same
# user fills the user's process quota, so every fork of the supervisor fails
# with EAGAIN. A server that dies meanwhile cannot be restarted: the supervisor
# stays up, shows the server in backoff with the fork error in the trace log
# and in status, keeps the other server, leaks no fd, and restarts the server
# through its backoff once the filler's processes are gone.
. "$(dirname "$0")/lib.sh"
plan 13
if ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null || ! command -v prlimit >/dev/null \
	|| [ "$(id -u)" != 0 ]; then
	for i in $(seq 13); do skip "needs root, setpriv, prlimit and a user nobody"; done
	exit 0
fi
NOBODY_GROUP=$(id -gn nobody)
chmod 755 "$T"
mkdir -p "$T/log" "$RUN"
chown nobody:"$NOBODY_GROUP" "$T/log" "$RUN"
REG_EXTRA="<restartDelayMax>1</restartDelayMax>" reg_write <<EOF
a 1 0 2
b 1 0 2
EOF
chmod 644 "$REG"
LIMIT=40
prlimit --nproc=$LIMIT:$LIMIT setpriv --reuid=nobody --regid="$NOBODY_GROUP" --clear-groups \
	"$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!
track "$SUP"
wait_for 20 is_phase running
ok $? "the supervisor runs as nobody and starts a and b"
is "$(awk '/^Uid:/ { print $2 }' /proc/"$SUP"/status)" 65534 "it runs as uid 65534"
pa=$(spid a) pb=$(spid b)
fds() { ls /proc/"$SUP"/fd 2>/dev/null | wc -l; }
fd0=$(fds)

# ---- the fault: another process of nobody's takes every process slot ----
# (it forks LIMIT sleepers, in a session of its own; it has no such limit)
# Its children are reaped at once (CHLD ignored): a zombie would still count
# against the quota, and init here may reap late. SIGUSR1 ends the fault.
setpriv --reuid=nobody --regid="$NOBODY_GROUP" --clear-groups perl -e 'use POSIX; POSIX::setsid();
	$SIG{CHLD} = "IGNORE"; my @k;
	for (1 .. $ARGV[0]) { my $p = fork; last unless defined $p; if (!$p) { sleep 3600 while 1; exit } push @k, $p }
	$SIG{USR1} = sub { kill "KILL", @k; @k = () };
	sleep 3600 while 1' $LIMIT >/dev/null 2>&1 &
FILLER=$!
track "-$FILLER" "$FILLER"
nkids() { wc -w <"/proc/$FILLER/task/$FILLER/children" 2>/dev/null || echo 0; }
filled() { [ "$(nkids)" -ge "$LIMIT" ]; }
wait_for 20 filled
ok $? "a process of the same user fills its process quota ($(ps -u nobody --no-headers | wc -l) processes of nobody)"
kill -KILL "$pa"
a_failing() { is_state a backoff && [ "$(state_get a pid)" = 0 ] && state_get a last_error | grep -q 'fork'; }
wait_for 10 a_failing
ok $? "a cannot be restarted: backoff, no pid, last error names fork ($(state_get a last_error))"
like "$(state_get a last_error)" 'Resource temporarily unavailable' "the error is EAGAIN's text"
st=$("$BIN" status -c "$REG" 2>&1); rc=$?
like "$st" 'a: last error: fork: Resource temporarily unavailable' "status shows the fork error"
is "$rc" 1 "status exits 1 (a server is not running)"
logged() { grep -q 'error a cannot start: fork: Resource temporarily unavailable' "$T/log/supervisor.log"; }
wait_for 5 logged
ok $? "the trace log has the fork error"
# it keeps trying (the backoff grows) without giving up or dying
r0=$(state_get a restarts)
more_tries() { [ "$(state_get a restarts)" -ge $((r0 + 2)) ]; }
wait_for 10 more_tries
ok $(more_tries && alive "$SUP"; echo $?) "it keeps retrying through its backoff (restarts $r0 -> $(state_get a restarts)); the supervisor is up"
is "$(spid b)/$(alive "$pb" && echo up)" "$pb/up" "the other server is untouched"

# ---- the fault clears ----
kill -USR1 "$FILLER"
no_kids() { [ "$(nkids)" -eq 0 ]; }
wait_for 5 no_kids
a_back() { local p; p=$(spid a); [ -n "$p" ] && [ "$p" != 0 ] && is_state a running && alive "$p"; }
wait_for 10 a_back
ok $? "once the quota is free again, a is restarted by its backoff (pid $(spid a))"
fd_same() { [ "$(fds)" -eq "$fd0" ]; }
wait_for 5 fd_same
ok $? "no fd leaked by the failed forks ($fd0 -> $(fds))"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
done_testing
