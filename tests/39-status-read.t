#!/bin/bash
# What status reads (README "Status report"): each server's memory is the
# exact resident memory (statm) of its whole tree, the same whether the
# children come from /proc/PID/task/TID/children or, on a kernel without
# those files, from one pass over /proc; the run directory of a plain
# relative <temp> is found from any working directory.
. "$(dirname "$0")/lib.sh"
plan 10
reg_write <<EOF
x 1 0 5 --children 2
y 1 0 5
EOF
# a relative <temp>: resolved against the registry's directory ($T)
sed -i "s#<temp>$RUN</temp>#<temp>run</temp>#" "$REG"
sv_start
ok $? "the supervisor runs x (with 2 children) and y, run directory <temp>run</temp>"

# The resident memory of a tree, from statm, in bytes.
page=$(getconf PAGESIZE)
tree_rss() {
	local sum=0 p r
	for p in $(tree_pids "$1"); do
		read -r _ r _ <"/proc/$p/statm" 2>/dev/null && sum=$((sum + r * page))
	done
	echo "$sum"
}
near() {  # near A B: within 2 pages a process (a shell may touch one); stat's
	# rss field, the kernel's per-CPU approximation, is off by far more
	local d=$(( $1 - $2 ))
	[ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ "${d#-}" -le $(( 6 * page )) ]
}
x_children() { [ "$(tree_pids "$(spid x)" | wc -l)" -ge 3 ]; }
wait_for 10 x_children
ok $? "x's tree has its main process and 2 children"

json=$(cd / && "$BIN" status --json -c "$REG" 2>&1)
is "$(jq -r '.supervisor.pid' <<<"$json")" "$SUP" "status from / finds the relative run directory"
xr=$(jq -r '.servers[] | select(.id == "x") | .rss_bytes' <<<"$json")
yr=$(jq -r '.servers[] | select(.id == "y") | .rss_bytes' <<<"$json")
want=$(tree_rss "$(spid x)")
ok $(near "$xr" "$want"; echo $?) "x's memory is its whole tree's statm resident memory ($xr, /proc: $want)"
want=$(tree_rss "$(spid y)")
ok $(near "$yr" "$want"; echo $?) "y's memory is its statm resident memory ($yr, /proc: $want)"
ok $([ "$xr" -gt "$yr" ]; echo $?) "x (3 processes) shows more than y (1)"

# The same without children files: one pass over /proc.
json2=$(IMAGESERVING_PROC_NO_CHILDREN=1 "$BIN" status --json -c "$REG" 2>&1)
is "$(jq -c '[.servers[] | [.id, .pid, .state]]' <<<"$json2")" "$(jq -c '[.servers[] | [.id, .pid, .state]]' <<<"$json")" \
	"without children files: the same servers, pids and states"
xr2=$(jq -r '.servers[] | select(.id == "x") | .rss_bytes' <<<"$json2")
ok $(near "$xr2" "$xr"; echo $?) "and x's whole tree still counted ($xr2, with children files $xr)"

# A server killed behind the daemon's back: dead, no memory, at once.
old=$(spid y)
kill -STOP "$SUP"
kill -KILL "$old"
gone() { ! [ -d "/proc/$old" ] || grep -q '^State:.*Z' "/proc/$old/status"; }
wait_for 10 gone
json3=$("$BIN" status --json -c "$REG" 2>&1)
is "$(jq -r '.servers[] | select(.id == "y") | "\(.alive) \(.rss_bytes)"' <<<"$json3")" "false null" \
	"a dead main process is shown dead, without memory (the daemon has not reaped it yet)"
kill -CONT "$SUP"
sv_stop
is "$SV_RC" 0 "the supervisor stops cleanly"
done_testing
