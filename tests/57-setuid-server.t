#!/bin/bash
# A server that gains privileges its supervisor lacks (repro S): a non-root
# supervisor whose server execs a set-user-ID root program cannot signal it.
# It says so (never "killed") and a stop still ends within shutdownTimeout.
. "$(dirname "$0")/lib.sh"
plan 4
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1 || ! command -v cc >/dev/null; then
	for i in 1 2 3 4; do skip "needs root, a nobody user and cc"; done
	exit 0
fi
chmod 755 "$T"
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void){if(setuid(0))return 1;printf("uid %%d\\n",(int)getuid());fflush(stdout);for(int i=0;i<300;i++)sleep(1);return 0;}\n' >"$T/suid.c"
cc -o "$T/suid" "$T/suid.c" && chmod 4755 "$T/suid"
mkdir -p "$RUN" "$T/log" && chown nobody "$RUN" "$T/log"
cat >"$REG" <<EOF
<supervisor><config><temp>$RUN</temp><log>$T/log/supervisor.log</log><shutdownTimeout>3</shutdownTimeout></config><servers>
<server id="helper"><executable>$T/suid</executable><stopTimeout>2</stopTimeout>$TEST_MARK</server>
</servers></supervisor>
EOF
chmod 644 "$REG"
NB="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
$NB "$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 & SUP=$!; track "$SUP"
wait_for 10 grep -q 'uid 0' "$T/log/helper.log"; ok $? "the server became root"
h=$(state_raw helper pid); track "$h"   # (root may not trust nobody's run directory)
t0=$(date +%s%N)
$NB "$BIN" -c "$REG" stop >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $([ "$rc" = 0 ] && [ "$ms" -lt 6000 ]; echo $?) "stop ends within shutdownTimeout, and succeeds (rc $rc, $ms ms)"
like "$(cat "$T/log/supervisor.log")" "helper did not stop in time and cannot be killed: process $h runs with privileges we lack" \
	"the trace log says it cannot be killed"
unlike "$(cat "$T/log/supervisor.log")" "process group $h killed|killed 1 leftover" "and never that it was killed"
kill -KILL "$h" 2>/dev/null
done_testing
