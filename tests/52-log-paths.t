#!/bin/bash
# Log paths (repros M, K1, K2): a symbolic link in ANY component of a server
# log or trace log path is refused, the link's target left untouched; a server
# that swaps a directory of its log path for a link while running cannot
# redirect our writes; a FIFO as a log never freezes the loop.
. "$(dirname "$0")/lib.sh"
plan 18
mkdir -p "$T/log" "$T/real/d1/d2"
comps="lp d1 d2 out.log"
# link_at K: the path $T/lp/d1/d2/out.log with its K-th component a symbolic
# link to the same place under $T/real-K (which must stay untouched).
link_at() {
	local k=$1 i=0 c p=$T
	rm -rf "$T/lp" "$T/real-$k"; mkdir -p "$T/real-$k/lp/d1/d2"
	for c in $comps; do
		i=$((i + 1))
		if [ $i -eq "$k" ]; then
			ln -s "$T/real-$k${p#$T}/$c" "$p/$c"
			[ "$c" = out.log ] || mkdir -p "$T/real-$k${p#$T}/$c"
			return
		fi
		mkdir -p "$p/$c"; p=$p/$c
	done
}
has_error() { [ -n "$(state_get "$1" last_error)" ]; }
k=0
for c in $comps; do
	k=$((k + 1))
	link_at $k
	REG_EXTRA="<stdout>$T/lp/d1/d2/out.log</stdout>" reg_write <<EOF
a 1 0 2 --print secret
EOF
	sv_start
	wait_for 5 has_error a
	like "$(state_get a last_error)" "symbolic link" "server log with a link at '$c': refused, and status says why"
	ok $(find "$T/real-$k" -type f | grep -q .; [ $? -ne 0 ]; echo $?) "nothing created through the link at '$c'"
	sv_stop
	# the trace log, the same way
	sed -i "s|<log>$T/log/supervisor.log</log>|<log>$T/lp/d1/d2/out.log</log>|; s|<stdout>[^<]*</stdout>||" "$REG"
	out=$(timeout 10 "$BIN" supervisor -f -c "$REG" 2>&1); rc=$?
	like "$rc: $out" "^1: .*trace log.*symbolic link" "trace log with a link at '$c': refused ($rc)"
done

# M: a server running as nobody owns its log directory and swaps it for a
# link to a root-only directory: what it writes next lands nowhere.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T"; mkdir -p "$T/logs/app" "$T/rootonly"; chown -R nobody "$T/logs"; chmod 700 "$T/rootonly"
	cat >"$T/evil.sh" <<EOS
#!/bin/sh
echo first
while [ ! -e $T/go ]; do sleep 0.05; done
cd $T/logs && mv app app.old && ln -s $T/rootonly app && touch $T/swapped
echo "written through a link"
exec sleep 300
EOS
	chmod 755 "$T/evil.sh"
	cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="evil"><executable>$T/evil.sh</executable><user>nobody</user><stdout>$T/logs/app/out.log</stdout>$TEST_MARK</server>
</servers></supervisor>
EOF
	sv_start
	wait_for 5 grep -q first "$T/logs/app/out.log"; ok $? "the server's first line is logged"
	touch "$T/go"
	wait_for 5 grep -q "cannot write $T/logs/app/out.log: a symbolic link" "$T/log/supervisor.log"
	ok $? "after the swap, its output is dropped and the trace log says why"
	ok $([ -z "$(ls -A "$T/rootonly")" ]; echo $?) "nothing was written into the root-only directory"
	sv_stop
else
	for i in 1 2 3; do skip "needs root and a nobody user"; done
fi

# K1, K2: a log that is a FIFO (its reader gone, or planted by the server):
# the loop goes on: a killed server is restarted at once, stop ends in time.
mkfifo "$T/log/f.log"
cat >"$T/fifo.sh" <<EOS
#!/bin/sh
while :; do echo tick; sleep 0.1; done
EOS
chmod 755 "$T/fifo.sh"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config><servers>
<server id="f"><executable>$T/fifo.sh</executable><stdout>$T/log/f.log</stdout>$TEST_MARK</server>
<server id="b"><executable>/bin/sleep</executable><arguments><argument>300</argument></arguments>$TEST_MARK</server>
</servers></supervisor>
EOF
sv_start
like "$(state_get f last_error)" "FIFO|not a regular file" "a FIFO log is refused at start and status says why"
rm -f "$T/log/f.log"; wait_for 3 test -s "$T/log/f.log"; mkfifo "$T/log/g"; mv "$T/log/g" "$T/log/f.log"
sleep 300 <>"$T/log/f.log" & holder=$!; track "$holder"  # a reader that never reads
b=$(spid b); kill -KILL "$b"
back() { [ "$(spid b)" != "$b" ] && [ "$(spid b)" != 0 ]; }
wait_for 3 back; ok $? "with a FIFO swapped in as a running server's log, a killed server is restarted within 3 s"
t0=$(date +%s)
kill -TERM "$SUP"; wait_for 5 dead "$SUP"; ok $? "and stop ends in time ($(( $(date +%s) - t0 )) s)"
wait "$SUP" 2>/dev/null
done_testing
