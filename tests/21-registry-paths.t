#!/bin/bash
# Paths the registry code decides (SPEC §3): a registry named relatively is
# still found after the daemon's chdir("/"), so reload works; a relative
# $IMAGESERVING_RUNDIR is refused (it would mean another directory in each
# working directory).
. "$(dirname "$0")/lib.sh"
plan 18

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

done_testing
