#!/bin/bash
# The HTTP server's bounds and manners (lib/httpd.c through
# tests/unit/httpd_driver.c): 64 connections (the 65th closed at once), the
# request and idle timeouts, a client that never reads does not hold up
# others, EMFILE without spinning, no wakeup with no connection open, no fd
# kept, loopback only, a port in use reported.
. "$(dirname "$0")/lib.sh"
. "$TESTS/lib-httpd.sh"
need_httpd_tools
plan 24

# Server-side connections of the driver in ESTABLISHED state.
established() { ss -Htn state established "( sport = :$PORT )" 2>/dev/null | wc -l; }
no_conn() { [ "$(established)" -eq 0 ]; }
wakeups() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$DPID/status"; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$DPID/stat"; }
fds() { ls "/proc/$DPID/fd" | wc -l; }

drv_start
ok $? "the driver listens (port $PORT, default 5 s timeouts)"
fds0=$(fds)

# ---- listening where, and nowhere else ----
is "$(ss -Htln "( sport = :$PORT )" | awk '{ print $4 }' | sort | tr '\n' ' ')" \
	"127.0.0.1:$PORT [::1]:$PORT " "it listens on 127.0.0.1 and [::1] only"
addrs=$(ip -o addr 2>/dev/null | awk '$2 != "lo" && $4 !~ /^fe80/ { sub(/\/.*/, "", $4); print $4 }')
if [ -n "$addrs" ]; then
	reached=
	for a in $addrs; do
		case $a in *:*) url="http://[$a]:$PORT/livez" ;; *) url="http://$a:$PORT/livez" ;; esac
		curl -s -o /dev/null --connect-timeout 2 "$url" && reached="$reached $a"
	done
	is "$reached" "" "not reachable on any non-loopback address ($(echo $addrs))"
else
	skip "this host has no non-loopback address to try"
fi
"$DRV" "$PORT" >/dev/null 2>"$T/bind.err"
is "$?" 1 "a second server on the same port fails"
like "$(cat "$T/bind.err")" "bind: 127\.0\.0\.1:$PORT: Address (already )?in use" "  and says why"

# ---- no wakeups with no connection open ----
w0=$(wakeups); sleep 0.5; w1=$(wakeups)
is "$((w1 - w0))" 0 "idle with no connection: no wakeup in 0.5 s"
curl -s -o /dev/null "http://127.0.0.1:$PORT/livez"
wait_for 5 no_conn
w0=$(wakeups); sleep 0.5; w1=$(wakeups)
is "$((w1 - w0))" 0 "after a connection has closed: no wakeup either (no timer left)"

# ---- 64 connections, the 65th closed at once ----
"$PY" -I -S - "$PORT" >"$T/cap.out" 2>&1 <<'PYEOF'
import socket, sys, time, select
port = int(sys.argv[1])
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
t = time.monotonic()
x = socket.create_connection(("127.0.0.1", port))
x.settimeout(3)
try:
    b = x.recv(1)
except socket.timeout:
    b = None
except ConnectionResetError:
    b = b""
print("65th", "closed" if b == b"" else "open", "fast" if time.monotonic() - t < 1 else "slow")
r, _, _ = select.select(cs, [], [], 0)
print("64 open", len(r) == 0)
cs[63].sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
cs[63].settimeout(3)
print("64th answered", cs[63].recv(100).split(b" ")[1].decode())
PYEOF
like "$(cat "$T/cap.out")" '65th closed fast' "64 connections held: the 65th is accepted and closed at once"
like "$(cat "$T/cap.out")" '64 open True' "  the 64 stay open"
like "$(cat "$T/cap.out")" '64th answered 200' "  and are served"
wait_for 5 no_conn
is "$(fds)" "$fds0" "every connection's fd is closed again"
kill -TERM "$DPID"; wait "$DPID"
is "$?" 0 "SIGTERM: the driver closes and exits 0"

# ---- timeouts (shortened to 300 ms) ----
drv_start -t 300
raw -w 3
is "$RAW_RC" 0 "a connection that sends nothing is closed"
like "$(cat "$T/raw.err")" 'closed after (0\.[2-9]|1\.)' "  after the timeout (300 ms)"
raw -w 3 'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n'
is "$(status_of):$RAW_RC" 200:0 "idle after an answer: closed"
like "$(cat "$T/raw.err")" 'closed after (0\.[2-9]|1\.)' "  after the idle timeout"
# 12 parts 100 ms apart: never idle for 300 ms, but the request is not whole in 300 ms.
raw -w 3 -g 0.1 G E T ' ' / l i v e z ' ' H T
is "$(wc -c <"$T/raw.out"):$((RAW_RC != 1))" 0:1 "a request trickling in: closed at the request timeout, unanswered"

# ---- a client that never reads ----
# It asks for 8 MiB with a tiny receive window and reads nothing.
"$PY" -I -S - "$PORT" <<'PYEOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * 8)
time.sleep(20)
PYEOF
SLOW=$!
track "$SLOW"
stuck() { ss -Htn state established "( sport = :$PORT )" | awk '$2 > 0 { f = 1 } END { exit !f }'; }
wait_for 5 stuck
ok $? "the non-reader has the server's send queue full"
t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT/livez")
like "$t" '^200 0\.' "meanwhile another client is answered at once ($t s)"
wait_for 5 no_conn
ok $? "the non-reader is closed once it makes no progress for the timeout"
kill -KILL "$SLOW" 2>/dev/null
wait "$SLOW" 2>/dev/null
kill -TERM "$DPID"; wait "$DPID"

# ---- out of fds: shed, do not spin ----
(ulimit -n 16 && exec "$DRV" 0 >"$T/emfile.out" 2>&1) &
DPID=$!
track "$DPID"
wait_for 5 grep -q '^port ' "$T/emfile.out"
PORT=$(awk '/^port / { print $2 }' "$T/emfile.out")
"$PY" -I -S - "$PORT" "$DPID" >"$T/emfile.py" 2>&1 <<'PYEOF'
import os, socket, sys, time, select
port, pid = int(sys.argv[1]), sys.argv[2]
def ticks():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
held = []
for c in cs:
    r, _, _ = select.select([c], [], [], 0.5)
    if r and c.recv(1) == b"":
        c.close()
    else:
        held.append(c)
t0 = ticks()
time.sleep(0.5)
print("held", len(held), "dropped", 30 - len(held), "ticks", ticks() - t0)
held[0].sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
held[0].settimeout(3)
print("held answered", held[0].recv(100).split(b" ")[1].decode())
PYEOF
like "$(cat "$T/emfile.py")" 'held [1-9][0-9]* dropped [1-9]' "out of fds: what fits is held, the rest dropped at once ($(head -n 1 "$T/emfile.py"))"
like "$(cat "$T/emfile.py")" 'ticks [0-4]$' "  and the loop does not spin meanwhile"
like "$(cat "$T/emfile.py")" 'held answered 200' "  the held ones are served"
is "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/livez")" 200 "  and new ones once fds are free"
kill -TERM "$DPID"; wait "$DPID"
done_testing
