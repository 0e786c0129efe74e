#!/bin/bash
# LSB init-script actions and exit codes (issue 12 item 1, SPEC 7): every row
# of the verb x situation table in README.md is run here against the real
# binary, and every README row must have been run (the table and the test
# cannot drift apart).
. "$(dirname "$0")/lib.sh"
plan 48
IS() { "$BIN" -c "$REG" "$@"; }
daemon_pid() { cat "$RUN/supervisor.pid" 2>/dev/null; }
track_all() { local s p; p=$(daemon_pid); [ -n "$p" ] && track "$p"; for s in a b; do p=$(spid "$s"); [ -n "$p" ] && [ "$p" != 0 ] && track -"$p"; done; }
G=$(id -gn nobody 2>/dev/null)
as_nobody() { setpriv --reuid=nobody --regid="$G" --clear-groups "$@"; }
can_nobody() { [ "$(id -u)" = 0 ] && [ -n "$G" ] && command -v setpriv >/dev/null; }

# row VERB SITUATION WANT CMD...: run CMD, check its exit code, and record
# the row as covered.
covered=
row() {
	local verb=$1 sit=$2 want=$3 out rc; shift 3
	out=$("$@" 2>&1); rc=$?
	is "$rc" "$want" "$verb, $sit: exit $want"
	[ "$rc" = "$want" ] || diag "$out"
	covered="$covered$verb|$sit
"
	LAST_OUT=$out
}
skip_row() { skip "$1, $2: $3"; covered="$covered$1|$2
"; }

reg_write <<EOF
a 1 0 3
b 2 0 3
EOF
mkdir -p "$T/log"
chmod 755 "$T"; chmod 644 "$REG"; chown nobody "$T/log" 2>/dev/null

# ---- not running ----
row "status" "supervisor not running" 3 IS status
row "stop" "not running" 0 IS stop
row "reload, force-reload" "not running" 7 IS reload
row "reload, force-reload" "not running" 7 IS force-reload
row "reopen" "not running" 7 IS reopen
row "try-restart, condrestart" "not running: nothing done" 0 IS try-restart
row "try-restart, condrestart" "not running: nothing done" 0 IS condrestart
ok $([ ! -e "$RUN/supervisor.pid" ]; echo $?) "try-restart and condrestart did not start anything"
row "start ID, stop ID, restart ID" "supervisor not running" 7 IS start a
row "start ID, stop ID, restart ID" "supervisor not running" 7 IS stop a
row "start ID, stop ID, restart ID" "supervisor not running" 7 IS restart a
row "try-restart ID" "supervisor not running: nothing done" 0 IS try-restart a

# ---- start ----
row "start" "started, every server running" 0 IS start
track_all
like "$LAST_OUT" "^imageserving: started: a, b \(supervisor pid $(daemon_pid)\)$" "start says what it started, in one line"
row "start" "already running" 0 IS start
row "status" "every requested server running" 0 IS status

# ---- per-server verbs, running ----
row "start ID, stop ID, restart ID" "done" 0 IS restart a
track_all
row "try-restart ID" "supervisor running: server restarted" 0 IS try-restart b
track_all
row "start ID, stop ID, restart ID" "unknown ID" 2 IS stop nosuch
row "reload ID, force-reload ID, reopen ID" "per-server form" 3 IS reload a
row "reload ID, force-reload ID, reopen ID" "per-server form" 3 IS reopen a
row "start ID, stop ID, restart ID" "done" 0 IS stop b
row "status" "a requested server not running" 1 IS status b
row "start ID, stop ID, restart ID" "done" 0 IS start b
track_all

# ---- reload, reopen, try-restart, restart while running ----
row "reload, force-reload" "running: registry re-read" 0 IS reload
row "reload, force-reload" "running: registry re-read" 0 IS force-reload
row "reopen" "running: log files reopened" 0 IS reopen
d0=$(daemon_pid)
row "try-restart, condrestart" "running: restarted" 0 IS condrestart
track_all
like "$LAST_OUT" "^imageserving: restarted: a, b \(supervisor pid $d0 -> $(daemon_pid)\)$" "restart says what it did, in one line"

# Another user's client: insufficient privilege.
if can_nobody; then
	row "stop, reload, reopen" "another user's supervisor" 4 as_nobody "$BIN" -c "$REG" reopen
	row "stop, reload, reopen" "another user's supervisor" 4 as_nobody "$BIN" -c "$REG" stop
else
	skip_row "stop, reload, reopen" "another user's supervisor" "needs root, setpriv and a user nobody"
	skip "needs root, setpriv and a user nobody"
fi

# ---- registry invalid: restart stops nothing, reload keeps the old one ----
cp "$REG" "$T/good.xml"
echo '<supervisor><servers>' >"$REG"
d1=$(daemon_pid)
row "restart" "registry invalid: nothing stopped" 6 IS restart
is "$(daemon_pid)/$(sup_raw phase)" "$d1/running" "the running supervisor was left alone"
row "reload, force-reload" "registry invalid: old one kept" 6 IS reload
cp "$T/good.xml" "$REG"
row "restart" "running: restarted" 0 IS restart
track_all
row "stop" "stopped" 0 IS stop
like "$LAST_OUT" "^imageserving: stopped: b, a and the supervisor \(pid [0-9]+\)$" "stop says what it stopped, in one line"
row "restart" "not running: started" 0 IS restart
track_all

# ---- killed hard: dead, but the pid file remains ----
d2=$(daemon_pid)
kill -KILL "$d2"; wait_for 5 dead "$d2"
kill_marked
row "status" "supervisor dead, pid file remains" 1 IS status
row "status" "unknown ID or state unreadable" 4 sh -c "'$BIN' -c '$REG' start >/dev/null 2>&1; '$BIN' -c '$REG' status nosuch"
track_all
IS stop >/dev/null 2>&1

# ---- start failures ----
echo '<supervisor><servers>' >"$T/bad.xml"
row "start" "registry invalid" 6 "$BIN" -c "$T/bad.xml" start
row "start" "named registry missing" 6 "$BIN" -c "$T/nosuch.xml" start
mkdir -p "$T/inst/bin"; cp "$BIN" "$T/inst/bin/imageserving"; ln -s imageserving "$T/inst/bin/ImageServing"
# (from $T: the last resort is conf/ under the current directory)
row "start" "no registry at the install root" 5 sh -c "cd '$T' && exec '$T/inst/bin/ImageServing' start"
sed "s|<executable>$SRV</executable>|<executable>$T/no-such-server</executable>|; s|<stopTimeout>3</stopTimeout>|&<restartDelayMax>1</restartDelayMax>|" \
	"$T/good.xml" >"$T/fail.xml"
row "start" "a server failed to start" 1 "$BIN" -c "$T/fail.xml" start
"$BIN" -c "$T/fail.xml" stop >/dev/null 2>&1
if can_nobody; then
	mkdir -p "$T/rootonly"; chmod 755 "$T/rootonly"
	sed "s|<temp>$RUN</temp>|<temp>$T/rootonly/run</temp>|" "$T/good.xml" >"$T/priv.xml"; chmod 644 "$T/priv.xml"
	row "start" "run directory not writable" 4 as_nobody "$BIN" -c "$T/priv.xml" start
else
	skip_row "start" "run directory not writable" "needs root, setpriv and a user nobody"
fi
row "any verb" "unknown verb or option" 2 IS frobnicate

# ---- every row of README's table was run above ----
readme_rows=$(awk '/<!-- lsb-table -->/ { on = !on; next } on && /^\| `/ {
	split($0, f, "|"); v = f[2]; s = f[3]; gsub(/`/, "", v); gsub(/^ +| +$/, "", v); gsub(/^ +| +$/, "", s); print v "|" s }' "$ROOT/README.md")
missing=$(comm -23 <(sort -u <<<"$readme_rows") <(sort -u <<<"$covered"))
is "$missing" "" "every row of README's exit-code table is covered by this test"
extra=$(comm -13 <(sort -u <<<"$readme_rows") <(sort -u <<<"$covered"))
is "$extra" "" "and every situation tested here is in README's table"
done_testing
