#!/bin/bash
# The HTTP server of lib/httpd.c on its own (tests/unit/httpd_driver.c), with
# curl and raw clients: every status code, HEAD, keep-alive and
# Connection: close, HTTP/1.0, pipelining, refused requests (body, chunked,
# upgrade, garbage, no Host), the 8 KiB head limit, IPv6 loopback.
. "$(dirname "$0")/lib.sh"
. "$TESTS/lib-httpd.sh"
need_httpd_tools
plan 40

drv_start
ok $? "the driver listens on a free port ($PORT)"
U=http://127.0.0.1:$PORT

# get PATH [CURL-ARGS]: status in CODE, headers in $T/h, body in $T/b.
get() {
	local p=$1; shift
	CODE=$(curl -sS -o "$T/b" -D "$T/h" -w '%{http_code}' "$@" "$U$p" 2>"$T/curl.err")
}
hdr() { tr -d '\r' <"$T/h" | awk -v k="$1" 'tolower($0) ~ "^" tolower(k) ": " { sub(/^[^:]*: /, ""); print }'; }

# ---- status codes ----
get /livez
is "$CODE" 200 "GET /livez: 200"
is "$(cat "$T/b")" ok "  body ok"
is "$(hdr Content-Length)" 3 "  Content-Length: 3"
is "$(hdr Content-Type)" "text/plain; charset=utf-8" "  Content-Type"
get /nope
is "$CODE" 404 "an unknown path: 404 (the route's answer)"
is "$(hdr Content-Length)" "$(stat -c %s "$T/b")" "  with its Content-Length"
get /code/503
is "$CODE" 503 "a route's status passes through (503)"
get /code/7
is "$CODE" 500 "a route's status out of range becomes 500"
get '/echo?a=b&c'
is "$(cat "$T/b")" "a=b&c" "the query reaches the route, split at '?'"
get /big
is "$CODE:$(stat -c %s "$T/b")" 200:1048576 "GET /big: 1 MiB, whole"
get /livez -X DELETE
is "$CODE" 405 "DELETE: 405"
is "$(hdr Allow)" "GET, HEAD" "  Allow: GET, HEAD"
get /livez -X OPTIONS
is "$CODE" 405 "OPTIONS: 405"
raw 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n'
is "$(status_of):$RAW_RC" 405:0 "CONNECT: 405 and closed"
get /livez -X POST -d hello
is "$CODE" 405 "POST with a body: 405"
is "$(hdr Connection)" close "  and Connection: close (its body is not read)"

# ---- HEAD ----
raw 'HEAD /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
like "$(cat "$T/raw.out")" 'Content-Length: 1048576' "HEAD /big: the GET's Content-Length"
is "$(tail -c 4 "$T/raw.out" | od -An -c | tr -d ' ')" '\r\n\r\n' "  and nothing after the head"
is "$RAW_RC" 0 "  then the close asked for"
is "$(curl -sS -I -o /dev/null -w '%{http_code}:%{size_download}' "$U/nope")" 404:0 \
	"HEAD of an unknown path: 404, no body"

# ---- connections ----
curl -sv "$U/livez" "$U/big" -o /dev/null -o /dev/null 2>"$T/v"
is "$(grep -c '^\* Connected to' "$T/v")" 1 "keep-alive: curl makes one connection for two requests"
like "$(cat "$T/v")" 'Re-using existing connection' "  and says it re-used it"
curl -sv -H 'Connection: close' "$U/livez" "$U/livez" -o /dev/null -o /dev/null 2>"$T/v"
is "$(grep -c '^\* Connected to' "$T/v")" 2 "Connection: close honoured: a new connection for the next request"
like "$(tr -d '\r' <"$T/v")" '< Connection: close' "  and the answer says Connection: close"
raw 'GET /livez HTTP/1.0\r\n\r\n'
is "$RAW_RC" 0 "HTTP/1.0 without keep-alive: closed after the answer"
like "$(tr -d '\r' <"$T/raw.out")" 'Connection: close' "  saying so"
curl -sv -0 -H 'Connection: keep-alive' "$U/livez" "$U/livez" -o /dev/null -o /dev/null 2>"$T/v"
is "$(grep -c '^\* Connected to' "$T/v")" 1 "HTTP/1.0 with Connection: keep-alive: the connection is kept"
raw -w 0.5 'GET /livez HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?2 HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n'
is "$(grep -ao 'HTTP/1.1 [0-9]*' "$T/raw.out" | tr '\n' ' ')" "HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 404 " \
	"pipelined requests sent at once: answered in order"
is "$RAW_RC" 1 "  and the connection stays open"
raw 'GET /livez HTTP/1.1\r\nHost: x\r\n' '\r\n'
is "$(status_of)" 200 "a request in two parts"

# ---- refused: 400 and close ----
raw 'GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
is "$(status_of):$RAW_RC" 400:0 "GET with a body: 400 and closed"
raw 'GET /livez HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
is "$(status_of):$RAW_RC" 400:0 "chunked: 400 and closed"
raw 'GET /livez HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'
is "$(status_of):$RAW_RC" 400:0 "upgrade: 400 and closed"
raw 'HELLO THERE\r\n\r\n'
is "$(status_of):$RAW_RC" 400:0 "garbage: 400 and closed"
raw 'GET /livez HTTP/1.1\r\n\r\n'
is "$(status_of):$RAW_RC" 400:0 "HTTP/1.1 without Host: 400 and closed"
raw 'GET http://x/livez HTTP/1.1\r\nHost: x\r\n\r\n'
is "$(status_of):$RAW_RC" 400:0 "a target not in origin form: 400"

# ---- the 8 KiB head ----
pad=$(printf '%*s' 8000 '' | tr ' ' a)
raw "GET /livez HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\nX-Pad: ${pad:0:8100}\\r\\n\\r\\n"
is "$(status_of)" 200 "a head just under 8 KiB: 200"
raw "GET /livez HTTP/1.1\\r\\nHost: x\\r\\nX-Pad: ${pad}${pad:0:200}\\r\\n\\r\\n"
is "$(status_of):$RAW_RC" 431:0 "a head over 8 KiB: 431 and closed"

# ---- IPv6 loopback ----
if ip -o addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	CODE=$(curl -sS -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/livez")
	is "$CODE" 200 "[::1] is served too"
else
	skip "no ::1 on this host"
fi

kill -TERM "$DPID"; wait "$DPID"
done_testing
