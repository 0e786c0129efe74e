#!/bin/bash
# A server's environment (SPEC 4, <passEnvironment>): a documented minimal
# one (PATH, LANG, LC_*, TZ, HOME/USER/LOGNAME of its user, the supervisor's
# markers) plus the registry's <environment> and the variables
# <passEnvironment> names, never whatever the shell that ran `start` held;
# the same registry gives the same environment from a full shell and from
# env -i; `check` prints it, and what it prints is what the server gets.
. "$(dirname "$0")/lib.sh"
plan 17

mkdir -p "$T/log"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config>
<profiles><profile id="p"><passEnvironment><variable name="FROM_PROFILE"/></passEnvironment>
 <environment><variable name="GREETING">hello SV::who</variable></environment></profile></profiles>
<servers>
 <server id="e"><profile ref="p"/><executable>$TESTS/servers/srv</executable><arguments><argument>e</argument></arguments>
  <passEnvironment><variable name="KEEP_ME"/><variable name="NEVER_SET"/></passEnvironment>
  $TEST_MARK</server>
 <server id="plain"><executable>$TESTS/servers/srv</executable><arguments><argument>plain</argument></arguments>
  $TEST_MARK</server>
</servers></supervisor>
EOF
me=$(id -un); home=$(getent passwd "$me" | cut -d: -f6)
has() { grep -qxF -- "$2" "$1"; }
envof() { tr '\0' '\n' <"/proc/$1/environ" | sort; }
names() { envof "$1" | sed 's/=.*//' | tr '\n' ' '; }
up() { local p; p=$(spid "$1"); [ -n "$p" ] && [ "$p" != 0 ]; }
started() { up e && up plain; }
stop_sup() { "$BIN" -c "$REG" stop >/dev/null 2>&1; }

# ---- from a shell full of junk ----
env JUNK_VAR=junk LD_PRELOAD= KEEP_ME=kept FROM_PROFILE=prof SV_who=world LANG=C.UTF-8 LC_TIME=C TZ=UTC \
	"$BIN" -c "$REG" start >"$T/start.out" 2>&1
is "$?" 0 "start from a shell holding junk variables exits 0"
wait_for 10 started
pe=$(spid e) pp=$(spid plain)
envof "$pe" >"$T/env-full"
unlike "$(cat "$T/env-full")" "^(JUNK_VAR|LD_PRELOAD|SV_who|NEVER_SET)=" "the shell's other variables (and SV_ ones) do not reach the server"
has "$T/env-full" "KEEP_ME=kept"; ok $? "a variable <passEnvironment> names is passed through"
has "$T/env-full" "FROM_PROFILE=prof"; ok $? "... and one a profile's <passEnvironment> names (they compose)"
has "$T/env-full" "GREETING=hello world"; ok $? "<environment> is there, SV:: substituted from the supervisor's SV_who"
is "$(grep -E '^(PATH|HOME|USER|LOGNAME|LANG|LC_TIME|TZ)=' "$T/env-full" | tr '\n' ' ')" \
	"HOME=$home LANG=C.UTF-8 LC_TIME=C LOGNAME=$me PATH=$PATH TZ=UTC USER=$me " \
	"the base: PATH, LANG, LC_*, TZ from the supervisor, HOME/USER/LOGNAME of the server's user"
has "$T/env-full" "IMAGESERVING_SERVER=e"; ok $? "the server carries its id marker"
has "$T/env-full" "IMAGESERVING_SUPERVISOR=$RUN"; ok $? "and the supervisor's marker (its run directory)"
is "$(names "$pp")" "HOME IMAGESERVING_SERVER IMAGESERVING_SUPERVISOR IS_TEST_T LANG LC_TIME LOGNAME PATH TZ USER " \
	"a server without additions gets exactly the documented variables"

# ---- check prints what the server gets ----
env JUNK_VAR=junk KEEP_ME=kept FROM_PROFILE=prof SV_who=world LANG=C.UTF-8 LC_TIME=C TZ=UTC \
	"$BIN" check -c "$REG" >"$T/check.out" 2>&1
is "$?" 0 "check exits 0"
plan_env() { awk -v id="$1" '/^  [^ ]/ { cur = $1 } cur == id && /^    runs with:/ { on = 1; next }
	on && /^      / { sub(/^      /, ""); print; next } { on = 0 }' "$T/check.out" | sort; }
is "$(plan_env e)" "$(cat "$T/env-full")" "check's environment of e is exactly what e runs with"
is "$(plan_env plain)" "$(envof "$pp")" "and so is plain's"
stop_sup

# ---- the same registry from env -i: the same environment ----
keep=$(env | grep -E '^(LANG|LC_[A-Z_]+|TZ)=' | tr '\n' ' ')
env -i PATH="$PATH" KEEP_ME=kept FROM_PROFILE=prof SV_who=world LANG=C.UTF-8 LC_TIME=C TZ=UTC \
	"$BIN" -c "$REG" start >>"$T/start.out" 2>&1
wait_for 10 started
is "$(envof "$(spid e)")" "$(cat "$T/env-full")" "started from env -i, e gets the same environment as from the full shell"
stop_sup
# and from a full shell, whatever else it holds
env $keep JUNK_TOO=1 KEEP_ME=kept FROM_PROFILE=prof SV_who=world LANG=C.UTF-8 LC_TIME=C TZ=UTC \
	"$BIN" -c "$REG" start >>"$T/start.out" 2>&1
wait_for 10 started
is "$(envof "$(spid e)")" "$(cat "$T/env-full")" "... and from another shell with more variables, again the same"
stop_sup

# ---- nothing at all: a sane PATH, no LANG/TZ ----
env -i SV_who=world "$BIN" -c "$REG" start >>"$T/start.out" 2>&1
wait_for 10 started
pe=$(spid e)
envof "$pe" >"$T/env-none"
has "$T/env-none" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"; ok $? "with no PATH at all the server gets the documented default"
is "$(names "$pe")" "GREETING HOME IMAGESERVING_SERVER IMAGESERVING_SUPERVISOR IS_TEST_T LOGNAME PATH USER " \
	"and no LANG, TZ or passed variable the supervisor does not have"
stop_sup

# ---- the supervisor in the foreground (-f) filters the same way ----
env JUNK_VAR=junk "$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!; track "$SUP"
wait_for 10 started
unlike "$(envof "$(spid e)")" "^JUNK_VAR=" "a foreground supervisor's servers do not inherit its shell either"
sv_stop
done_testing
