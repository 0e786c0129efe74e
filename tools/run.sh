#!/bin/sh
# run.sh: `make run`: say where the trace log and the server logs are (as the
# registry resolves them) and how to see the status, then run the supervisor
# in the foreground.  Usage: tools/run.sh BINARY REGISTRY
set -eu
bin=$1 reg=$2
plan=$("$bin" check -c "$reg") || exit $?
log=$(printf '%s\n' "$plan" | sed -n 's/^trace log: *\([^ ]*\).*/\1/p')
[ "$log" = standard ] && log="standard error"
logs=$(printf '%s\n' "$plan" | sed -n 's/^ *std\(out\|err\): *//p' | sort -u | tr '\n' ' ')
echo "make run: the supervisor runs in the foreground on $reg; Ctrl-C stops it."
echo "  trace log:    $log"
echo "  server logs:  $logs"
echo "  status:       $bin status    (from another shell in $(pwd); $bin stop stops it too)"
port=$(printf '%s\n' "$plan" | sed -n 's/^status port: *127.0.0.1:\([0-9]*\).*/\1/p')
[ -n "$port" ] && echo "  endpoint:     curl -s 127.0.0.1:$port/status    (also /metrics, /livez, /readyz)"
exec "$bin" supervisor -f -c "$reg"
