#!/bin/bash
# The control client against a daemon-mode supervisor: start (waits for every
# server), status (table, JSON, one id, unknown id), restart ID, stop ID kept
# across a reload, start ID, whole restart, stop (returns once all are gone),
# stop/status when not running, and the ImageServing link name.
. "$(dirname "$0")/lib.sh"
plan 52
IS() { "$BIN" -c "$REG" "$@"; }
daemon_pid() { cat "$RUN/supervisor.pid" 2>/dev/null; }
# live PID: a real pid (not empty, not 0, which kill -0 would accept) that is alive
live() { [ -n "$1" ] && [ "$1" != 0 ] && alive "$1"; }
# Track every current server's process group for cleanup at exit (if the
# daemon dies, what its servers leave behind is killed by pgid, never by name).
track_servers() { local s p; for s in a b c d; do p=$(spid $s); [ -n "$p" ] && [ "$p" != 0 ] && track -"$p"; done; }
ids_pids() { for s in a b c; do printf '%s=%s ' "$s" "$(spid $s)"; done; }
reg_write <<EOF2
a 1 1 5
b 2 0 5
c 2 0 5
EOF2

# ---- start ----
t0=$(date +%s%N)
out=$(IS start 2>&1); rc=$?
el=$(( ($(date +%s%N) - t0) / 1000000 ))
D=$(daemon_pid); track "$D"; track_servers
is "$rc" 0 "start exits 0 ($out)"
ok $(live "$D"; echo $?) "the daemon runs (pid ${D:-none} from supervisor.pid)"
ok $([ "$D" != "$$" ] && [ "$(awk '{ sub(/.*\) /, ""); print $2 }' /proc/"$D"/stat 2>/dev/null)" != "$$" ]; echo $?) \
	"the daemon is detached (not a child of the caller)"
# start returned: every server must be up now, no waiting (b waited for a's 1 s delay)
is "$(phase)/$(sstate a)/$(sstate b)/$(sstate c)" "running/running/running/running" \
	"when start returns, the supervisor and every server are running"
ok $([ "$el" -ge 950 ]; echo $?) "start waited for the start delay before returning (${el} ms)"
pa=$(spid a) pb=$(spid b) pc=$(spid c)
ok $(live "$pa" && live "$pb" && live "$pc"; echo $?) "server processes are alive ($(ids_pids))"
out=$(IS start 2>&1); rc=$?
is "$rc" 0 "start when already running exits 0"
is "$(daemon_pid)" "$D" "and leaves the one daemon in place"

# ---- status ----
out=$(IS status 2>&1); rc=$?
is "$rc" 0 "status exits 0 when everything runs"
listed() { local s; for s in a b c; do grep -Eq "^$s +running +$(spid $s) " <<<"$out" || return 1; done; }
listed; ok $? \
	"the status table lists every id as running with its pid"
like "$out" "pid $D" "the status table names the supervisor's pid"
json=$(IS status --json 2>&1); rc=$?
is "$rc" 0 "status --json exits 0"
printf '%s' "$json" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null
ok $? "status --json prints valid JSON"
chk=$(printf '%s' "$json" | python3 -c '
import json, sys
j = json.load(sys.stdin)
sup, srv = j["supervisor"], j["servers"]
for k in ("pid", "state", "uptime_s", "rss_bytes", "registry"):
    assert k in sup, k
for s in srv:
    for k in ("id", "description", "state", "pid", "uptime_s", "rss_bytes", "restarts", "last_exit", "last_error"):
        assert k in s, k
print(sup["pid"], sup["state"], " ".join("%s:%s:%s" % (s["id"], s["state"], s["pid"]) for s in srv))
' 2>&1)
is "$chk" "$D running a:running:$pa b:running:$pb c:running:$pc" \
	"JSON has every documented key; supervisor.pid, servers[].id/state/pid are right"
out=$(IS status b 2>&1); rc=$?
is "$rc" 0 "status ID exits 0 for a running server"
ok $(grep -Eq '^b +running' <<<"$out" && ! grep -Eq '^(a|c) ' <<<"$out"; echo $?) "status ID lists that server only"
out=$(IS status nosuch 2>&1); rc=$?
is "$rc" 4 "status of an unknown ID exits 4 ($out)"

# ---- restart ID ----
out=$(IS restart a 2>&1); rc=$?
na=$(spid a); track_servers
is "$rc" 0 "restart a exits 0 ($out)"
ok $([ "$na" != "$pa" ] && live "$na" && is_state a running; echo $?) \
	"when restart a returns, a runs with a new pid ($pa -> $na)"
like "$out" "$na" "restart a reports the new pid"
ok $(dead "$pa"; echo $?) "the old a process is gone"
is "$(spid b) $(spid c) $(daemon_pid)" "$pb $pc $D" "b, c and the supervisor keep their pids"

# ---- stop ID, across a reload, start ID ----
out=$(IS stop a 2>&1); rc=$?
is "$rc" 0 "stop a exits 0 ($out)"
is "$(sstate a)/$(spid a)/$(state_get a held)" "stopped/0/1" "when stop a returns, a is stopped by request (no pid)"
ok $(dead "$na"; echo $?) "a's process is gone"
out=$(IS status 2>&1); rc=$?
like "$out" '^a +stopped \(by request\)' "status shows a as 'stopped (by request)'"
is "$rc" 1 "status exits 1 when a server is not running"
IS status a >/dev/null 2>&1; is "$?" 1 "status a exits 1"
is "$(IS status --json a | python3 -c 'import json,sys; s=json.load(sys.stdin)["servers"][0]; print(s["state"], s["pid"], s["stopped_by_request"])' 2>&1)" \
	"stopped None True" "JSON shows a stopped, pid null, stopped_by_request true"
# reload with a changed a and a new server d: a stays down
reg_write <<EOF2
a 1 1 5 --print changed
b 2 0 5
c 2 0 5
d 2 0 5
EOF2
out=$(IS reload 2>&1); rc=$?
is "$rc" 0 "reload exits 0 ($out)"
d_up() { is_state d running; }
wait_for 5 d_up; ok $? "the reload took effect (new server d runs)"
track_servers
ok $(live "$D" && [ "$(daemon_pid)" = "$D" ]; echo $?) "the supervisor survives the reload (pid $D)"
is "$(sstate a)/$(spid a)/$(state_get a held)" "stopped/0/1" "a stopped by request stays down across the reload (even though it changed)"
is "$(spid b) $(spid c)" "$pb $pc" "unchanged servers keep their pids across the reload"
out=$(IS start a 2>&1); rc=$?
sa=$(spid a); track_servers
is "$rc" 0 "start a exits 0 ($out)"
ok $([ "$(sstate a)" = running ] && [ "$(state_get a held)" = 0 ] && live "$sa"; echo $?) \
	"when start a returns, a runs again (pid $sa), no longer held"
IS status >/dev/null 2>&1; is "$?" 0 "status exits 0 again"

# ---- restart (the whole thing) ----
old="$D $sa $(spid b) $(spid c) $(spid d)"
out=$(IS restart 2>&1); rc=$?
D2=$(daemon_pid); track "$D2"; track_servers
is "$rc" 0 "restart exits 0"
ok $([ "$D2" != "$D" ] && live "$D2"; echo $?) "restart runs a new supervisor ($D -> $D2)"
gone=0; for p in $old; do live "$p" && { gone=1; diag "still there: $p $(tr '\0' ' ' </proc/$p/cmdline) (new: $D2 $(spid a) $(spid b) $(spid c) $(spid d))"; }; done
ok $gone "the old supervisor and all old server processes are gone"
new="$(spid a) $(spid b) $(spid c) $(spid d)"
fresh=0; for p in $new; do { live "$p" && ! grep -qw "$p" <<<"$old"; } || fresh=1; done
ok $fresh "every server runs with a new pid ($new)"

# ---- stop ----
pids="$D2 $new"
out=$(IS stop 2>&1); rc=$?
# checked at once: stop must return only once all are gone
left=""; for p in $pids; do live "$p" && left="$left $p"; done
is "$rc" 0 "stop exits 0 ($out)"
is "$left" "" "when stop returns, the supervisor and every server are gone"
ok $([ ! -e "$RUN/supervisor.pid" ] && [ ! -e "$RUN/supervisor.state" ]; echo $?) "pid and state files are removed"
out=$(IS stop 2>&1); rc=$?
is "$rc" 0 "stop when not running exits 0 ($out)"
out=$(IS status 2>&1); rc=$?
is "$rc" 3 "status when not running exits 3"
like "$out" 'not running' "and says the supervisor is not running ($out)"
json=$(IS status --json 2>/dev/null); rc=$?
is "$rc/$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["supervisor"]["pid"])' 2>&1)" "3/None" \
	"status --json when not running: exit 3, valid JSON with supervisor.pid null"
out=$(IS restart a 2>&1); rc=$?
is "$rc" 7 "restart ID when not running exits 7 ($out)"

# ---- the ImageServing link name ----
ln -s "$BIN" "$T/ImageServing"
out=$("$T/ImageServing" -c "$REG" start 2>&1); rc=$?
D3=$(daemon_pid); track "$D3"; track_servers
is "$rc/$(phase)" "0/running" "ImageServing start starts the supervisor ($out)"
p3="$D3 $(spid a) $(spid b) $(spid c) $(spid d)"
out=$("$T/ImageServing" status -c "$REG" 2>&1); rc=$?
is "$rc" 0 "ImageServing status (-c after the verb) exits 0"
out=$("$T/ImageServing" stop -c "$REG" 2>&1); rc=$?
left=""; for p in $p3; do live "$p" && left="$left $p"; done
is "$rc/$left" "0/" "ImageServing stop stops the supervisor and every server"
