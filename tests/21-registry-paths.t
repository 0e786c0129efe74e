#!/bin/bash
# Paths the registry code decides (SPEC §3): a registry named relatively is
# still found after the daemon's chdir("/"), so reload works; a relative
# $IMAGESERVING_RUNDIR is refused (it would mean another directory in each
# working directory); the default run directory depends on the uid alone,
# never on $XDG_RUNTIME_DIR.
. "$(dirname "$0")/lib.sh"
plan 21

cd "$T" || exit 1
reg_write <<EOF
a 1 0 5
EOF

# ---- a daemon started with -c reg.xml (relative) ----
out=$("$BIN" -c reg.xml start 2>&1); rc=$?
is "$rc" 0 "start -c reg.xml (relative) exits 0"
[ "$rc" -eq 0 ] || diag "$out"
SUP=$(cat "$RUN/supervisor.pid" 2>/dev/null)
track "$SUP"
pa=$(spid a)
ok $([ -n "$pa" ] && alive "$pa"; echo $?) "server a runs (pid $pa)"

a_changed() { local p; p=$(spid a); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pa" ] && is_state a running; }
reg_write <<EOF
a 1 0 5 --children 1
EOF
out=$("$BIN" -c reg.xml reload 2>&1); rc=$?
is "$rc" 0 "reload -c reg.xml (relative) exits 0"
like "$out" "reloaded" "... and says the registry was reloaded"
wait_for 10 a_changed
ok $? "... and the changed server a runs with a new pid ($pa -> $(spid a))"
unlike "$(cat "$T/log/supervisor.log")" "reload: .*(No such file|error)" "the trace log has no reload error"

pa=$(spid a)
reg_write <<EOF
a 1 0 5 --children 2
EOF
kill -HUP "$SUP"
wait_for 10 a_changed
ok $? "SIGHUP: the daemon re-reads reg.xml from / and restarts a ($pa -> $(spid a))"

out=$("$BIN" -c reg.xml stop 2>&1); rc=$?
is "$rc" 0 "stop -c reg.xml exits 0"
wait_for 10 dead "$SUP"
ok $? "the daemon is gone"

# ---- a relative $IMAGESERVING_RUNDIR is refused ----
mkdir -p "$T/elsewhere"
for verb in check start stop status; do
	want=6
	[ "$verb" = status ] && want=4
	out=$(cd "$T/elsewhere" && IMAGESERVING_RUNDIR=rel "$BIN" -c "$REG" $verb 2>&1); rc=$?
	is "$rc" "$want" "IMAGESERVING_RUNDIR=rel: $verb exits $want"
	like "$out" "IMAGESERVING_RUNDIR must be an absolute path: rel" "... saying it must be absolute"
done
ok $([ ! -e "$T/elsewhere/rel" ]; echo $?) "no run directory was made relative to the caller"

# ---- the default run directory ----
cat >"$T/notemp.xml" <<EOF
<supervisor><servers><server id="a"><executable>/bin/true</executable></server></servers></supervisor>
EOF
rundir_of() { sed -n 's/^run dir: *//p'; }
if [ "$(id -u)" = 0 ]; then
	out=$(XDG_RUNTIME_DIR=$T/xdg "$BIN" -c "$T/notemp.xml" check 2>/dev/null | rundir_of)
	is "$out" /run/imageserving "root: /run/imageserving, even with XDG_RUNTIME_DIR set"
else
	skip "root's default needs root"
fi
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	nobody="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups"
	want=/tmp/imageserving-$(id -u nobody)
	out=$(env XDG_RUNTIME_DIR="$T/xdg" $nobody "$BIN" -c "$T/notemp.xml" check 2>/dev/null | rundir_of)
	is "$out" "$want" "another user, login shell (XDG_RUNTIME_DIR set): $want"
	out=$(env -u XDG_RUNTIME_DIR $nobody "$BIN" -c "$T/notemp.xml" check 2>/dev/null | rundir_of)
	is "$out" "$want" "the same user from cron (no XDG_RUNTIME_DIR): the same directory"
else
	skip "another user's default needs root, a nobody user and setpriv"
	skip "another user's default needs root, a nobody user and setpriv"
fi
done_testing
