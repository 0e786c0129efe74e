#!/bin/bash
# Reload (SIGHUP, or `reload`): stop removed servers, start added ones, restart
# changed ones, leave the rest alone; an invalid registry changes nothing
# (SPEC 5, 8).
. "$(dirname "$0")/lib.sh"
plan 31

reg_write <<EOF
a 1 0 5
b 1 0 5
c 2 0 5
EOF
sv_start; ok $? "supervisor starts a, b, c"
pa=$(spid a) pb=$(spid b) pc=$(spid c)
# wait_sv SECONDS COMMAND...: wait_for COMMAND, but give up at once if the
# supervisor died meanwhile (then the result is COMMAND's own).
_or_sup_dead() { "$@" || dead "$SUP"; }
wait_sv() { local n=$1; shift; wait_for "$n" _or_sup_dead "$@"; "$@"; }
gen() { status_json | jq -r .supervisor.generation; }

# ---- SIGHUP: b changed, c removed, d added ----
reg_write <<EOF
a 1 0 5
b 1 0 5 --children 1
d 2 0 5
EOF
g0=$(gen)
kill -HUP "$SUP"
b_new() { local p; p=$(spid b); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pb" ] && is_state b running; }
wait_sv 10 b_new
ok $? "SIGHUP: the changed server b runs with a new pid ($pb -> $(spid b))"
ok $(dead "$pb"; echo $?) "the old b process is gone"
tr '\0' ' ' </proc/"$(spid b)"/cmdline 2>/dev/null | grep -q -- '--children 1'
ok $? "the new b runs the new arguments"
is "$(spid a)" "$pa" "the unchanged server a keeps its pid"
wait_sv 5 is_state d running
ok $? "the added server d is started"
ok $(alive "$(spid d)"; echo $?) "d's process runs"
wait_sv 10 dead "$pc"
ok $? "the removed server c is stopped (its pid dies)"
c_gone() { [ -z "$(state_get c id)" ]; }
wait_sv 5 c_gone
ok $? "c is gone from the state file"
ok $([ "$(gen)" -gt "$g0" ]; echo $?) "the state generation moved on"

# ---- `reload`: b changed again, d removed, e added ----
pb=$(spid b) pd=$(spid d)
reg_write <<EOF
a 1 0 6
b 1 0 5 --children 2
e 3 0 5
EOF
out=$("$BIN" -c "$REG" reload 2>&1); rc=$?
is "$rc" 0 "reload exits 0"
like "$out" "reloaded" "reload says the registry was reloaded"
wait_sv 10 b_new
ok $? "reload: the changed server b restarts with a new pid ($pb -> $(spid b))"
is "$(spid a)" "$pa" "a keeps its pid (only its stopTimeout changed: no restart needed)"
wait_sv 5 is_state e running
ok $? "the added server e is started"
wait_sv 10 dead "$pd"
ok $? "the removed server d is stopped"
d_gone() { [ -z "$(state_get d id)" ]; }
wait_sv 5 d_gone
ok $? "d is gone from the state file"
like "$(grep 'reloaded' "$T/log/supervisor.log" | tail -1)" \
	"1 added, 1 changed, 1 removed, 1 unchanged" "the trace log sums the reload up"

# ---- an invalid registry changes nothing ----
pb=$(spid b) pe=$(spid e)
ids_before=$(status_json | jq -r '.servers[] | "\(.id) \(.pid // 0)"' | tr '\n' ' ')
cp "$REG" "$T/good.xml"
{ head -c -30 "$T/good.xml"; echo "<oops"; } >"$REG"   # truncated, malformed XML
out=$("$BIN" -c "$REG" reload 2>&1); rc=$?
is "$rc" 6 "reload of a malformed registry exits 6 (not configured)"
like "$out" "reg\.xml:[0-9]+:" "the error is located as FILE:LINE"
like "$out" "keeps" "reload says the supervisor keeps its configuration"
ids_after=$(status_json | jq -r '.servers[] | "\(.id) \(.pid // 0)"' | tr '\n' ' ')
is "$ids_after" "$ids_before" "servers and pids are unchanged"

kill -HUP "$SUP"
kept() { grep -q 'keeping the running configuration' "$T/log/supervisor.log"; }
wait_sv 5 kept
ok $? "SIGHUP with a bad registry: the trace log says the configuration is kept"
like "$(grep 'reload: ' "$T/log/supervisor.log" | grep -v keeping | tail -1)" "reg\.xml:[0-9]+:" \
	"the trace log gives the located error"
ok $(alive "$SUP"; echo $?) "the supervisor is still running"
ids_after=$(status_json | jq -r '.servers[] | "\(.id) \(.pid // 0)"' | tr '\n' ' ')
is "$ids_after" "$ids_before" "same servers with the same pids after the bad SIGHUP"
ok $(alive "$pa" && alive "$pb" && alive "$pe"; echo $?) "their processes still run"

# back to a good registry: the daemon still reloads
reg_write <<EOF
a 1 0 5
b 1 0 5 --children 2
EOF
"$BIN" -c "$REG" reload >/dev/null 2>&1
is $? 0 "a later good reload works"
wait_sv 10 dead "$pe"
ok $? "and removes e"
last=$(status_json | jq -r '.servers[] | select(.pid != null) | .pid')
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
all_dead() { local p; for p in "$@"; do alive "$p" && return 1; done; return 0; }
ok $([ -n "$last" ] && all_dead $last; echo $?) "no server outlives it (pids: $(echo $last))"
done_testing
