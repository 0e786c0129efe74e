#!/bin/bash
# The <tcpport> status endpoint of the real daemon: every path and code with
# curl, /status equal to `status --json`, /metrics checked by the real
# promtool with servers in every state and scraped by a real Prometheus,
# /readyz following a death at once, a port that cannot be bound, a reload
# that moves the port, and a stop that closes it before the servers stop.
. "$(dirname "$0")/lib.sh"
plan 43
TOOLS=$ROOT/build/tools
if ! "$ROOT/tools/deps.sh" --prometheus "$TOOLS" >"$T/deps.out" 2>&1; then
	echo "1..0 # SKIP promtool and prometheus unavailable: $(tail -1 "$T/deps.out")"; exit 0
fi
command -v curl >/dev/null || "$ROOT/tools/deps.sh" --tool curl >/dev/null 2>&1
PY=$(command -v /usr/bin/python3 || command -v python3)  # a version manager's shim is slow to start
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P=$(free_port)
get() { curl -s -o "$T/body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$P$1"; }
REG_CONFIG="<tcpport>$P</tcpport>"

reg_write <<EOF
a 1 0 2
b 1 0 2
EOF
sv_start
is "$(get /livez)/$(cat "$T/body")" "200/ok" "/livez: 200 ok"
is "$(get /readyz)" 200 "/readyz: 200 when every server runs"
is "$(get '/readyz?verbose')" 200 "/readyz?verbose: 200"
like "$(cat "$T/body")" $'^\\[\\+\\]a ok\n\\[\\+\\]b ok\nreadyz check passed' "it lists [+]a ok, [+]b ok"
is "$(get /healthz)" 200 "/healthz answers as /readyz"
is "$(get /readyz/a)" 200 "/readyz/a: 200"
is "$(get /readyz/nope)" 404 "/readyz/ID of an unknown id: 404"
is "$(get /nope)" 404 "an unknown path: 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 "http://127.0.0.1:$P/status")
is "$code" 405 "POST: 405"
like "$(curl -s -D - -o /dev/null -X DELETE --max-time 5 "http://127.0.0.1:$P/status" | tr -d '\r')" "Allow: GET, HEAD" "405 says Allow: GET, HEAD"
hdr=$(curl -s -I --max-time 5 "http://127.0.0.1:$P/status" | tr -d '\r')
like "$hdr" "Content-Type: application/json" "HEAD /status: application/json"
len=$(sed -n 's/^Content-Length: //p' <<<"$hdr")
curl -s --max-time 5 -o "$T/status.json" "http://127.0.0.1:$P/status"
body=$(cat "$T/status.json")
is "$len" "$(stat -c %s "$T/status.json")" "HEAD gives the GET's Content-Length ($len)"
is "$(curl -s -I --max-time 5 "http://127.0.0.1:$P/status" | tr -d '\r' | sed '1,/^$/d' | wc -c)" 0 "and no body"
strip='del(.supervisor.uptime_s, .supervisor.rss_bytes) | .servers[] |= del(.uptime_s, .rss_bytes)'
is "$(jq -S "$strip" <<<"$body")" "$(status_json | jq -S "$strip")" "/status is the status --json object (same keys and values)"
is "$(jq -r .supervisor.endpoint <<<"$body")" "127.0.0.1:$P" "status names the endpoint it serves"
hdr=$(curl -s -D - -o "$T/metrics" --max-time 5 "http://127.0.0.1:$P/metrics" | tr -d '\r')
like "$hdr" "Content-Type: text/plain; version=0.0.4; charset=utf-8" "/metrics: the 0.0.4 text format"
like "$(cat "$T/metrics")" 'imageserving_server_up\{server="a"\} 1' "imageserving_server_up{server=\"a\"} 1"

# ---- a server's death shows in /readyz at once ----
pa=$(spid a)
REG_EXTRA="<restartPolicy>never</restartPolicy>" reg_write <<EOF
a 1 0 2
b 1 0 2
EOF
kill -HUP "$SUP"
wait_for 5 grep -q "reloaded" "$T/log/supervisor.log"
kill -KILL "$pa"
down503() { [ "$(get /readyz)" = 503 ]; }
t0=$(date +%s%N)
wait_for 5 down503; ok $? "/readyz turns 503 once a (restartPolicy never) dies ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
is "$(get /readyz/a)" 503 "/readyz/a: 503 (down)"
is "$(get /livez)" 200 "/livez stays 200: a server's outage is no liveness failure"
sv_stop

# ---- every state at once, for promtool ----
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp><tcpport>$P</tcpport></config><servers>
<server id="run"><executable>/bin/sleep</executable><arguments><argument>3600</argument></arguments>$TEST_MARK</server>
<server id="crash"><executable>/bin/sh</executable><arguments><argument>-c</argument><argument>exit 3</argument></arguments><restartDelayMax>3600</restartDelayMax>$TEST_MARK</server>
<server id="fat"><executable>/bin/sh</executable><arguments><argument>-c</argument><argument>exit 4</argument></arguments><maxRestarts>1</maxRestarts><restartDelayMax>0</restartDelayMax>$TEST_MARK</server>
<server id="held"><executable>/bin/sleep</executable><arguments><argument>3600</argument></arguments>$TEST_MARK</server>
<server id="slow"><executable>$SRV</executable><arguments><argument>slow</argument><argument>--ignore-term</argument></arguments><stopTimeout>30</stopTimeout>$TEST_MARK</server>
<server id="later"><executable>/bin/sleep</executable><arguments><argument>3600</argument></arguments><startPriority>2</startPriority>$TEST_MARK</server>
</servers></supervisor>
EOF
sed -i 's#<server id="run">#<server id="run"><startDelay>3600</startDelay>#' "$REG"
"$BIN" supervisor -f -c "$REG" >>"$T/sup.out" 2>&1 &
SUP=$!; track "$SUP"
wait_for 5 is_state slow running
"$BIN" stop held -c "$REG" >/dev/null 2>&1
"$BIN" stop slow -c "$REG" >/dev/null 2>&1 &
track $!
states() { [ "$(status_json | jq -r '[.servers[].state] | sort | unique | join(" ")')" = "backoff fatal running stopped stopping waiting" ]; }
wait_for 10 states; ok $? "servers in every state: $(status_json | jq -r '[.servers[] | "\(.id)=\(.state)"] | join(" ")')"
get /metrics >/dev/null; cp "$T/body" "$T/metrics"
"$TOOLS/promtool" check metrics <"$T/metrics" >"$T/promtool.out" 2>&1; rc=$?
is "$rc" 0 "promtool check metrics exits 0$( [ "$rc" = 0 ] || echo ": $(head -3 "$T/promtool.out")")"
like "$(cat "$T/metrics")" 'imageserving_server_state\{server="later",state="waiting"\} 1' "the state set shows later waiting"
like "$(cat "$T/metrics")" 'imageserving_server_state\{server="fat",state="fatal"\} 1' "and fat fatal"
dups=$(grep -v '^#' "$T/metrics" | sed 's/ [^ ]*$//' | sort | uniq -d)
is "$dups" "" "no duplicate series"
for f in imageserving_server_up imageserving_server_ready imageserving_server_state imageserving_server_restarts_total \
	imageserving_server_start_time_seconds imageserving_server_resident_memory_bytes imageserving_server_last_exit_code \
	imageserving_health_check_failures_total imageserving_supervisor_start_time_seconds imageserving_reloads_total \
	imageserving_reload_failures_total imageserving_build_info process_cpu_seconds_total process_resident_memory_bytes \
	process_open_fds process_max_fds process_start_time_seconds; do
	grep -q "^# TYPE $f " "$T/metrics" || missing="${missing:-} $f"
done
is "${missing:-}" "" "every documented family has HELP and TYPE"
is "$(get /readyz/crash)" 429 "/readyz/ID of a server in backoff: 429"
is "$(get /readyz/fat)" 503 "/readyz/ID of a fatal server: 503"
is "$(get /readyz)" 503 "/readyz: 503 while a server that should run is not ready"
kill -KILL "$SUP"; wait "$SUP" 2>/dev/null
kill_marked

# ---- the shipped registry, as make run runs it ----
cp -R "$ROOT/conf" "$T/conf"
SP=$(free_port)
sed -i "s#<tcpport>9910</tcpport>#<tcpport>$SP</tcpport>#" "$T/conf/SupervisorRegistry.xml"
"$BIN" supervisor -f -c "$T/conf/SupervisorRegistry.xml" >>"$T/sup.out" 2>&1 &
SHIP=$!; track "$SHIP"
shipped_up() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$SP/readyz")" = ok ]; }
wait_for 20 shipped_up; ok $? "the shipped registry serves the endpoint, and /readyz says ok once is, svg and ps run"
curl -s --max-time 5 "http://127.0.0.1:$SP/metrics" | "$TOOLS/promtool" check metrics >"$T/promtool2.out" 2>&1; rc=$?
is "$rc" 0 "curl /metrics | promtool check metrics exits 0 with the shipped registry"
kill -TERM "$SHIP"; wait "$SHIP" 2>/dev/null

# ---- a real Prometheus scrapes it ----
reg_write <<EOF
a 1 0 2
EOF
sv_start
PP=$(free_port)
cat >"$T/prom.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: imageserving
    static_configs: [{targets: ["127.0.0.1:$P"]}]
EOF
"$TOOLS/prometheus" --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" --web.listen-address="127.0.0.1:$PP" \
	>"$T/prom.out" 2>&1 &
PROM=$!; track "$PROM"
q() { curl -s --max-time 5 "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
up1() { [ "$(q 'imageserving_server_up{server="a"}')" = 1 ]; }
wait_for 30 up1; ok $? "Prometheus' query API returns imageserving_server_up{server=\"a\"} 1"
kill -KILL "$(spid a)"
counted() { [ "$(q 'imageserving_server_restarts_total{server="a"}')" = 1 ]; }
wait_for 30 counted; ok $? "and sees the restart counted after a kill"
kill -TERM "$PROM"; wait "$PROM" 2>/dev/null

# ---- 64 idle connections and a slowloris client do not hold up a restart ----
"$PY" "$ROOT/bench/hold-connections.py" "$P" >"$T/loris.out" 2>&1 &
LORIS=$!; track "$LORIS"
wait_for 10 grep -q held "$T/loris.out"
old=$(spid a)
t0=$(date +%s%N)
kill -KILL "$old"
back() { local p; p=$(state_raw a pid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old" ]; }
wait_for 5 back; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $([ "$rc" = 0 ] && [ "$ms" -lt 1000 ]; echo $?) "with 64 connections held (one a slowloris), a killed server is back at once ($ms ms; the latency itself is measured by make bench)"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$P/livez")" 000 "a 65th client is turned away meanwhile"
kill -KILL "$LORIS"

# ---- a reload that moves the port ----
P2=$(free_port)
REG_CONFIG="<tcpport>$P2</tcpport>" reg_write <<EOF
a 1 0 2
EOF
"$BIN" reload -c "$REG" >/dev/null
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$P2/livez")" 200 "a reload to another port: served there"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$P/livez")" 000 "and no longer on the old one"
P=$P2

# ---- a port that cannot be bound ----
H=$(free_port)
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("up", flush=True); time.sleep(3600)' "$H" \
	>"$T/holder2.out" 2>&1 &
HOLD2=$!; track "$HOLD2"
wait_for 5 grep -q up "$T/holder2.out"
REG_CONFIG="<tcpport>$H</tcpport>" reg_write <<EOF
a 1 0 2
EOF
"$BIN" reload -c "$REG" >/dev/null
like "$(status_json | jq -r .supervisor.endpoint)" "^error: .*$H.*(in use|Address)" "a port in use: status says the endpoint is not served, and why"
like "$(grep 'status endpoint on port' "$T/log/supervisor.log" | tail -1)" "not served" "the trace log says so"
is "$(sstate a)" running "and supervision goes on"
kill -KILL "$HOLD2"

# ---- the stop closes the endpoint before the servers stop ----
P=$(free_port)
REG_CONFIG="<tcpport>$P</tcpport>" reg_write <<EOF
a 1 0 3 --ignore-term
EOF
"$BIN" reload -c "$REG" >/dev/null
wait_for 5 is_state a running
served() { [ "$(get /livez)" = 200 ]; }
wait_for 5 served; ok $? "served on a new port"
kill -TERM "$SUP"
stopping() { [ "$(sup_raw phase)" = stopping ]; }
wait_for 5 stopping
is "$(get /livez)" 000 "while its servers stop, the endpoint is closed"
ok $(alive "$(state_raw a pid)"; echo $?) "(the server is still stopping then)"
sv_stop
done_testing
