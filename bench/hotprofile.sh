#!/bin/bash
# hotprofile.sh UNSTRIPPED_BINARY LINK_MAP OUT_LD: profile a running
# supervisor under callgrind and write the code layout mk/hot.ld from it
# (bench/hotlayout.py explains why). Run by `make hot-layout`.
#   profile 1 (hot): three services; status, a crash, restart, stop and start
#     of one, the stats and log-reopen signals: what every supervisor runs;
#   profile 2 (warm): the same with the status endpoint scraped and a tcp and
#     an http health check probing.
# Every process started is stopped through the supervisor or by PID.
set -eu
BIN=$(realpath "$1") MAP=$2 OUT=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
	{ echo "hotprofile: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
T=$(mktemp -d /tmp/hotprofile.XXXXXX)
PIDS=
cleanup() { for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
CC=${CC:-cc}
command -v musl-gcc >/dev/null && CC=musl-gcc
$CC -O2 -static -o "$T/svc" "$ROOT/bench/svc.c"
IS="$ROOT/imageserving"
port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

registry() {  # registry DIR EXTRA-CONFIG EXTRA-SERVERS
	mkdir -p "$1/sv/s1" "$1/sv/s2" "$1/sv/s3" "$1/log"
	{
		echo "<supervisor><config><log>$1/log/supervisor.log</log><temp>$1/run</temp>$2</config><servers>"
		for s in s1 s2 s3; do
			echo "<server id=\"$s\"><executable>$T/svc</executable><workingDirectory>$1/sv/$s</workingDirectory></server>"
		done
		echo "$3</servers></supervisor>"
	} >"$1/reg.xml"
}

# profile DIR OUT WORKLOAD: the supervisor under callgrind, instrumented only
# once its servers are up, then WORKLOAD, then a dump.
profile() {
	local d=$1 out=$2 p i c
	(cd "$d" && exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
		"$BIN" -c "$d/reg.xml" supervisor -f >"$d/valgrind.log" 2>&1) &
	PIDS="$PIDS $!"
	for i in $(seq 100); do [ -s "$d/run/supervisor.state" ] && break; sleep 0.1; done
	"$IS" -c "$d/reg.xml" status >/dev/null 2>&1 || true
	p=$(cat "$d/run/supervisor.pid")
	sleep 1
	callgrind_control -i on "$p" >/dev/null
	for i in 1 2 3; do
		"$IS" -c "$d/reg.xml" status >/dev/null
		c=$(cut -d' ' -f1 "/proc/$p/task/$p/children")
		kill -KILL "$c"
		sleep 1.5
		"$IS" -c "$d/reg.xml" restart s2 >/dev/null
		"$IS" -c "$d/reg.xml" stop s3 >/dev/null
		"$IS" -c "$d/reg.xml" start s3 >/dev/null
		kill -USR2 "$p"
		kill -USR1 "$p"
		$3 "$d"
		sleep 0.3
	done
	callgrind_control -d "$p" >/dev/null
	"$IS" -c "$d/reg.xml" stop >/dev/null
	ls "$out".* >/dev/null
}

nothing() { :; }
scrape() {
	curl -s -o /dev/null "http://127.0.0.1:$(cat "$1/port")/metrics"
	curl -s -o /dev/null "http://127.0.0.1:$(cat "$1/port")/status"
	sleep 1.2  # the checks probe every second
}

mkdir -p "$T/a" "$T/b"
registry "$T/a" "" ""
profile "$T/a" "$T/a/cg" nothing

port >"$T/b/port"
HP=$(port)
/usr/bin/perl "$ROOT/tests/servers/hstub" "$HP" &
PIDS="$PIDS $!"
registry "$T/b" "<tcpport>$(cat "$T/b/port")</tcpport>" \
	"<server id=\"h\"><executable>$T/svc</executable><workingDirectory>$T/b/sv/s1</workingDirectory>
	 <healthCheck><http url=\"http://127.0.0.1:$HP/ping\" status=\"200\"/><interval>1</interval></healthCheck></server>
	 <server id=\"t\"><executable>$T/svc</executable><workingDirectory>$T/b/sv/s2</workingDirectory>
	 <healthCheck><tcp host=\"127.0.0.1\" port=\"$HP\"/><interval>1</interval></healthCheck></server>"
profile "$T/b" "$T/b/cg" scrape

/usr/bin/python3 "$ROOT/bench/hotlayout.py" "$T/a/cg.1" "$T/b/cg.1" "$MAP" "$BIN" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
head -3 "$OUT"
