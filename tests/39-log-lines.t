#!/bin/bash
# Server log lines (SPEC 4 <timestamps>; issue 12 item 11): with
# <timestamps>true</timestamps> every line a server writes to its log file
# starts with the UTC time it was read, ISO-8601 with microseconds (svlogd
# -tt); a line cut across reads is stamped once; and every time an instance
# starts, the supervisor writes "ID started, pid N (reason)" into the log
# file, on a line of its own. For "-" output the trace log carries it.
. "$(dirname "$0")/lib.sh"
plan 22

mkdir -p "$T/log"
L=$T/log
sh_srv() {  # sh_srv ID SCRIPT EXTRA-XML
	printf '<server id="%s"><executable>/bin/sh</executable><arguments><argument>-c</argument><argument>%s</argument></arguments><stopTimeout>2</stopTimeout>%s%s</server>\n' \
		"$1" "$2" "$TEST_MARK" "$3"
}
cat >"$REG" <<EOF
<supervisor><config><log>$L/supervisor.log</log><temp>$RUN</temp></config><servers>
$(sh_srv t "printf 'one\ntwo '; sleep 1; printf 'three\nfour\n'; echo err 1>&amp;2; exec sleep 3600" "<timestamps>true</timestamps>")
$(sh_srv p "echo plain-line; exec sleep 3600" "")
$(sh_srv n "printf partial; exec sleep 3600" "")
$(sh_srv many "seq 1 20000; exec sleep 3600" "<timestamps>true</timestamps><stderr>$L/many.err</stderr>")
$(sh_srv d "echo dash-line; exec sleep 3600" "<stdout>-</stdout>")
</servers></supervisor>
EOF
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
has() { grep -Eq -- "$2" "$1" 2>/dev/null; }
lines() { grep -Ec -- "$2" "$1" 2>/dev/null; }
sv_start; ok $? "supervisor starts"

# ---- timestamps ----
wait_for 10 has "$L/t.log" "err$"
pt=$(spid t)
is "$(grep -Evc "^$TS " "$L/t.log")" 0 "with <timestamps>, every line of t.log starts with an ISO-8601 UTC time"
has "$L/t.log" "^$TS one$"; ok $? "a whole line is stamped once"
has "$L/t.log" "^$TS two three$"; ok $? "a line written in two pieces, a second apart, is stamped once, at its start"
has "$L/t.log" "^$TS err$"; ok $? "stderr lines are stamped too"
first=$(grep -E " one$" "$L/t.log" | cut -c1-19)
now=$(date -u +%s); then=$(date -u -d "${first}Z" +%s 2>/dev/null || echo 0)
ok $([ $((now - then)) -ge 0 ] && [ $((now - then)) -lt 120 ]; echo $?) "the time is UTC and now ($first)"
wait_for 20 has "$L/many.log" "^$TS 20000$"
ok $? "a fast writer's 20000 lines all reach the log"
is "$(grep -Ev "^$TS [0-9]+$" "$L/many.log" | grep -vc "imageserving: many started")" 0 \
	"each stamped once, none cut or merged across the supervisor's reads"
is "$(sed -E "s/^$TS //" "$L/many.log" | grep -E '^[0-9]+$' | tr '\n' ' ' | md5sum)" "$(seq 1 20000 | tr '\n' ' ' | md5sum)" \
	"in order, none lost or repeated"
has "$L/p.log" "^plain-line$"; ok $? "without <timestamps> lines are written as they came"

# ---- the start marker ----
has "$L/t.log" "^$TS imageserving: t started, pid $pt \\(first start\\)$"
ok $? "the log file says when the instance started, its pid and why (first start)"
is "$(head -1 "$L/p.log" | grep -Ec "^$TS imageserving: p started, pid $(spid p) \\(first start\\)$")" 1 \
	"the marker comes before the instance's first output, stamped even without <timestamps>"
has "$L/many.err" "^$TS imageserving: many started, pid $(spid many) \\(first start\\)$"
ok $? "a separate stderr file gets the marker too"
pp=$(spid p)
kill -KILL "$pp"
p_back() { [ "$(spid p)" != "$pp" ] && [ "$(spid p)" != 0 ] && is_state p running; }
wait_for 10 p_back
has "$L/p.log" "^$TS imageserving: p started, pid $(spid p) \\(restart after it exited\\)$"
ok $? "after a crash: restart after it exited, with the new pid"
"$BIN" -c "$REG" restart p >/dev/null 2>&1
has "$L/p.log" "^$TS imageserving: p started, pid $(spid p) \\(restart requested\\)$"
ok $? "after restart ID: restart requested"
"$BIN" -c "$REG" stop p >/dev/null 2>&1 && "$BIN" -c "$REG" start p >/dev/null 2>&1
has "$L/p.log" "^$TS imageserving: p started, pid $(spid p) \\(start requested\\)$"
ok $? "after stop ID and start ID: start requested"
is "$(lines "$L/p.log" '^plain-line$')" 4 "each instance's output follows its marker (4 instances, 4 lines)"

pn=$(spid n)
"$BIN" -c "$REG" restart n >/dev/null 2>&1
wait_for 5 has "$L/n.log" "pid $(spid n) \\(restart requested\\)"
is "$(sed -n 2p "$L/n.log")" "partial" "an unfinished last line is ended before the marker"
like "$(sed -n 3p "$L/n.log")" "^$TS imageserving: n started, pid $(spid n) \\(restart requested\\)$" \
	"so the marker stands on a line of its own"
ok $([ "$(spid n)" != "$pn" ]; echo $?) "(n has a new instance)"

# ---- "-" output: the trace log says it, the supervisor's output is the server's alone ----
wait_for 5 grep -q "^dash-line$" "$T/sup.out"
ok $(! grep -q "imageserving: d started" "$T/sup.out"; echo $?) "nothing is written into \"-\" (the supervisor's own output)"
has "$L/supervisor.log" "info d started, pid $(spid d) \\(first start\\)$"
ok $? "the trace log says it instead, with the same reason"
sv_stop
done_testing
