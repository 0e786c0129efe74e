#!/bin/bash
# logrotate (issue 12 item 9): conf/logrotate.d/imageserving, run by the real
# `logrotate -f` (twice, so that compress + delaycompress come into play)
# against a running supervisor whose servers write numbered lines without a
# pause; its postrotate `ImageServing reopen` (SIGUSR1) switches the logs, and
# the rotated files plus the current one hold every line exactly once, in order.
. "$(dirname "$0")/lib.sh"
need logrotate logrotate || skip_all "logrotate cannot be installed (apt-get install logrotate)"
plan 12
mkdir -p "$T/log"
# A writer: numbered lines, in bursts of 50, until SIGTERM; then "ID end N"
# where N is the number of lines it wrote.
cat >"$T/writer" <<'EOF2'
#!/bin/bash
id=$1 i=0
trap 'echo "$id end $i"; exit 0' TERM
while :; do
	echo "$id $i"; i=$((i + 1))
	[ $((i % 50)) -eq 0 ] && sleep 0.01
done
EOF2
chmod +x "$T/writer"
cat >"$REG" <<EOF2
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="p"><executable>$T/writer</executable><arguments><argument>p</argument></arguments>$TEST_MARK</server>
<server id="q"><executable>$T/writer</executable><arguments><argument>q</argument></arguments>$TEST_MARK</server>
</servers></supervisor>
EOF2
# The shipped rule, pointed at this test's logs and registry.
sed -e "s|/usr/local/logs|$T/log|" -e "s|/usr/local/bin/ImageServing|$BIN -c $REG|" \
	"$ROOT/conf/logrotate.d/imageserving" >"$T/logrotate.conf"
chmod 644 "$T/logrotate.conf"

sv_start; ok $? "supervisor runs two servers writing numbered lines"
last() { tail -n 1 "$T/log/$1" 2>/dev/null | awk '{ print $2 }'; }
grows() { local n; n=$(last "$1"); [ -n "$n" ] && [ "$n" -gt "$2" ]; }
wait_for 5 grows p.log 500; ok $? "p.log fills"

rotate() {
	local before; before=$(last p.log)
	logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf" >"$T/logrotate.out" 2>&1
	ROT_RC=$?
	# the new p.log gets lines newer than any the old one got
	wait_for 5 grows p.log "$((before + 200))"
}
rotate; ok $? "after logrotate -f the servers write to a new p.log"
is "$ROT_RC" 0 "logrotate -f exits 0 (postrotate ImageServing reopen succeeded)"
ok $([ -s "$T/log/p.log.1" ] && [ -s "$T/log/q.log.1" ] && [ -s "$T/log/supervisor.log.1" ]; echo $?) \
	"p.log.1, q.log.1 and supervisor.log.1 hold the rotated lines"
rotate; ok $? "a second logrotate -f: the servers again write to a new p.log"
is "$ROT_RC" 0 "the second logrotate -f exits 0"
ok $([ -s "$T/log/p.log.2.gz" ] && [ -s "$T/log/p.log.1" ]; echo $?) \
	"the older file is compressed (p.log.2.gz), the last one not yet (delaycompress)"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"

# Every line, exactly once, in order: rotated + current.
check() {
	local id=$1
	{ zcat "$T/log/$id.log.2.gz"; cat "$T/log/$id.log.1" "$T/log/$id.log"; } | awk -v id="$id" '
		$1 != id { next }
		$2 == "end" { end = $3; next }
		$2 != n { printf "line %d where %d was due\n", $2, n; bad = 1; exit }
		{ n++ }
		END { if (!bad && end != n) printf "%d lines, the writer wrote %s\n", n, end; else if (!bad) print "ok " n }'
}
for id in p q; do
	r=$(check "$id")
	like "$r" "^ok [0-9]+$" "$id: rotated + current logs hold every line once, in order ($r)"
done
out=$("$BIN" -c "$REG" reopen 2>&1); rc=$?
is "$rc" 7 "ImageServing reopen with no supervisor exits 7 (the rule's postrotate accepts it)"
done_testing
