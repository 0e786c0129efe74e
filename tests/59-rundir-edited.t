#!/bin/bash
# The registry's <temp> edited while its supervisor runs (repro B, variant):
# clients compute the new run directory, but must still find the supervisor
# in its old one, through the registry's anchor (named from the registry's
# path and the uid, under the default run directory): status, reload, stop
# and per-server verbs work on it, start says it is already running, and no
# second supervisor starts, in the background or the foreground. A reload
# says the new run directory is for the next start; after a stop it is used.
# An anchor anyone but us or root could have written is never believed.
. "$(dirname "$0")/lib.sh"
plan 29
mkdir -p "$T/log"
RUN2=$T/run2
reg_write <<EOF
a 1 0 2
EOF
# instances of server a: its main processes (srv itself, not the sleep it forks)
marked_sleepers() {
	local f n=0
	for f in $(grep -lzx "IS_TEST_T=$T" /proc/[0-9]*/environ 2>/dev/null); do
		grep -qzx -- "$SRV" "${f%/environ}/cmdline" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
"$BIN" -c "$REG" start >"$T/out" 2>&1
is "$?" 0 "start"
SUP=$(cat "$RUN/supervisor.pid"); track "$SUP"
a=$(spid a)
sed -i "s#<temp>$RUN</temp>#<temp>$RUN2</temp>#" "$REG"
is "$("$BIN" check -c "$REG" 2>/dev/null | sed -n 's/^run dir: *//p')" "$RUN2" "the edited registry names another run directory"

out=$("$BIN" -c "$REG" status 2>"$T/err"); rc=$?
is "$rc" 0 "status still finds the running supervisor (exit 0)"
like "$out" "^supervisor running, pid $SUP" "... the one in the old run directory"
like "$(cat "$T/err")" "runs in $RUN; the registry now names run directory $RUN2, which takes effect when the supervisor is next started" \
	"and says where it runs, and when the new run directory applies"
is "$("$BIN" -c "$REG" status --json 2>/dev/null | jq -r '.servers[0].pid')" "$a" "status --json too"

out=$("$BIN" -c "$REG" reload 2>&1); rc=$?
is "$rc" 0 "reload reaches it (exit 0)"
like "$out" "the registry now names run directory $RUN2, which takes effect when the supervisor is next started" \
	"and says the run directory stays until the next start"
like "$(cat "$T/log/supervisor.log")" "reload: the run directory changed to $RUN2; it takes effect at the next start" \
	"so does the trace log"

out=$("$BIN" -c "$REG" start 2>&1); rc=$?
is "$rc" 0 "start exits 0 (LSB: already running)"
like "$out" "already running \\(pid $SUP, in its run directory $RUN" "saying it runs already, and where"
ok $([ ! -e "$RUN2/supervisor.pid" ]; echo $?) "no second supervisor in the new run directory"
is "$(marked_sleepers)" 1 "server a runs once"

out=$("$BIN" supervisor -f -c "$REG" 2>&1); rc=$?
like "$rc:$out" "^1:.*already running \\(pid $SUP, run directory $RUN\\)" "a foreground supervisor (systemd, a container) refuses too"

"$BIN" -c "$REG" restart a >/dev/null 2>&1
ok $([ "$(spid a)" != "$a" ] && [ "$(spid a)" != 0 ]; echo $?) "restart ID reaches it"

out=$("$BIN" -c "$REG" stop 2>&1); rc=$?
like "$rc:$(echo "$out" | tail -1)" "^0:.*stopped: a and the supervisor \\(pid $SUP\\)" "stop stops it"
ok $(dead "$SUP" && [ "$(marked_sleepers)" = 0 ]; echo $?) "supervisor and server gone"

# ---- stopped: the new run directory is used from now on ----
"$BIN" -c "$REG" start >"$T/out" 2>&1
SUP2=$(cat "$RUN2/supervisor.pid" 2>/dev/null); track "$SUP2"
ok $([ -n "$SUP2" ] && alive "$SUP2"; echo $?) "the next start runs in the new run directory"
out=$("$BIN" -c "$REG" status 2>&1)
unlike "$out" "note:" "and status needs no note any more"
anchor=$(grep -lx "$RUN2" /run/imageserving/registry-*.anchor /tmp/imageserving-$(id -u)/registry-*.anchor 2>/dev/null | head -1)
ok $([ -n "$anchor" ]; echo $?) "its anchor names its run directory ($anchor)"
"$BIN" -c "$REG" stop >/dev/null 2>&1
ok $([ ! -e "$anchor" ]; echo $?) "and is removed when it stops"

# ---- a foreground supervisor restarted in place keeps its run directory ----
sed -i "s#<temp>$RUN2</temp>#<temp>$RUN</temp>#" "$REG"
sv_start
sed -i "s#<temp>$RUN</temp>#<temp>$RUN2</temp>#" "$REG"
out=$("$BIN" -c "$REG" restart 2>&1); rc=$?
like "$rc:$(echo "$out" | tail -1)" "^0:.*supervisor restarted in place \\(pid $SUP\\)" "a foreground supervisor is restarted in place through the anchor"
ok $(sup_is && [ ! -e "$RUN2/supervisor.pid" ] && [ "$(cat "$RUN/supervisor.pid")" = "$SUP" ]; echo $?) \
	"it keeps its run directory (and its lock) across the re-execution"
like "$(cat "$T/log/supervisor.log")" "run directory $RUN kept across the restart in place; the registry's $RUN2 takes effect at the next start" \
	"and the trace log says so"
sv_stop

# ---- a planted anchor is never believed ----
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	printf '%s\n%s\n' "$RUN" "$(readlink -f "$REG")" >"$anchor"
	chown nobody "$anchor"
	"$BIN" -c "$REG" start >"$T/out" 2>&1
	SUP3=$(cat "$RUN2/supervisor.pid" 2>/dev/null); track "$SUP3"
	ok $([ -n "$SUP3" ] && alive "$SUP3"; echo $?) "an anchor owned by another user does not stop a start"
	like "$(cat "$T/log/supervisor.log")" "no anchor for this registry \\(file $anchor is owned by uid $(id -u nobody)" \
		"the trace log names the refused anchor and its owner"
	"$BIN" -c "$REG" stop >/dev/null 2>&1
	chown root "$anchor"; chmod 666 "$anchor"
	out=$("$BIN" supervisor -f -c "$REG" 2>&1 &
		p=$!; wait_for 10 test -e "$RUN2/supervisor.pid"; kill -TERM "$p"; wait "$p")
	like "$(grep 'no anchor' "$T/log/supervisor.log" | tail -1)" "has mode 0666: writable by others" \
		"one writable by others is refused as well"
	rm -f "$anchor"

	# ---- another user's supervisor: its anchor is under /tmp/imageserving-UID ----
	NB="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
	N=$T/n; mkdir -p "$N"; chown nobody "$N"; chmod 755 "$T"
	printf '<supervisor><config><log>%s/sup.log</log><temp>%s/run</temp></config><servers><server id="b"><executable>/bin/sleep</executable><arguments><argument>3600</argument></arguments>%s</server></servers></supervisor>\n' \
		"$N" "$N" "$TEST_MARK" >"$N/reg.xml"
	chmod 644 "$N/reg.xml"
	env XDG_RUNTIME_DIR=/nonexistent $NB "$BIN" -c "$N/reg.xml" start >/dev/null 2>&1
	NSUP=$(cat "$N/run/supervisor.pid" 2>/dev/null); track "$NSUP"
	sed -i "s#$N/run<#$N/run2<#" "$N/reg.xml"
	out=$(env -u XDG_RUNTIME_DIR $NB "$BIN" -c "$N/reg.xml" start 2>&1); rc=$?
	like "$rc:$(echo "$out" | tail -1)" "^0:.*already running \\(pid $NSUP, in its run directory $N/run;" \
		"as another user (nobody), start after <temp> was edited finds the running supervisor too"
	out=$(env -u XDG_RUNTIME_DIR $NB "$BIN" -c "$N/reg.xml" stop 2>&1); rc=$?
	ok $([ "$rc" = 0 ] && dead "$NSUP" && [ ! -e "$N/run2/supervisor.pid" ]; echo $?) "and stop stops it"
else
	for i in 1 2 3 4 5; do skip "needs root and a nobody user"; done
fi
done_testing
