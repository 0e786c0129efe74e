#!/bin/bash
# crash-ab.sh OLD_BIN NEW_BIN [N]: the first crash restart of two imageserving
# binaries, alternately: each runs 3 services (bench/svc.c); s1 of each is
# SIGKILLed in turn, N times (default 60), 1.1 s apart (past its minUptime
# of 1 s, so that every restart is a first, immediate one). Prints each
# binary's median and quartiles (ms). For a change to the crash path, whose
# differences are below the drift of the machine between two bench runs.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OLD_BIN NEW_BIN [N]" >&2; exit 2; }
OLD=$(realpath "$1") NEW=$(realpath "$2") N=${3:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${BENCH_TMP:-/dev/shm}/crash-ab.XXXXXX")
SUPS=
cleanup() {
	for p in $SUPS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $SUPS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
CC=gcc
command -v musl-gcc >/dev/null && CC=musl-gcc
$CC -O2 -static -o "$T/svc" "$HERE/svc.c"
gcc -O2 -pthread -o "$T/btool" "$HERE/btool.c"
for w in old new; do
	d=$T/$w
	mkdir -p "$d/sv/s1" "$d/sv/s2" "$d/sv/s3" "$d/log"
	: >"$d/stamps"
	{
		echo "<supervisor><config><log>$d/log/supervisor.log</log><temp>$d/run</temp></config><servers>"
		for s in s1 s2 s3; do
			echo "<server id=\"$s\"><executable>$T/svc</executable><workingDirectory>$d/sv/$s</workingDirectory>"
			echo "<passEnvironment><variable name=\"BSVC_STAMPS\"/></passEnvironment><minUptime>1</minUptime></server>"
		done
		echo "</servers></supervisor>"
	} >"$d/reg.xml"
	bin=$OLD
	[ $w = new ] && bin=$NEW
	BSVC_STAMPS=$d/stamps "$bin" supervisor -f -c "$d/reg.xml" >/dev/null 2>&1 &
	SUPS="$SUPS $!"
	"$T/btool" wait-stamps "$d/stamps" 0 3 5000 >/dev/null
done
sleep 1.1
for i in $(seq "$N"); do
	for w in old new; do
		f=$T/$w/stamps
		# btool crash kills the first s1 it reads: keep only the latest
		l=$(grep '^s1 ' "$f" | tail -1)
		echo "$l" >"$f"
		"$T/btool" crash "$f" s1 1 2000 >>"$T/$w.ns"
	done
	sleep 1.1
done
for w in old new; do
	sort -n "$T/$w.ns" | awk -v w=$w '{ a[NR] = $1 } END {
		printf "%s: n=%d median %.3f ms (quartiles %.3f-%.3f)\n", w, NR, a[int(NR / 2) + 1] / 1e6,
			a[int(NR / 4) + 1] / 1e6, a[int(NR * 3 / 4) + 1] / 1e6 }'
done
