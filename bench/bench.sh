#!/bin/bash
# bench.sh: imageserving against supervisord, runit, s6 and daemontools, on
# this machine, in one run, interleaved (A B C ... A B C ...). Run by
# `make bench`; docs/BENCHMARKS.md explains every figure.
#
# Every supervision tree runs under `btool reaper` (a child subreaper), is
# found and killed by PID, and lives in one scratch directory that is removed
# at exit, also on Ctrl-C or SIGTERM. Every wait has a deadline.
#
# Environment:
#   BENCH_REPS=5       repetitions of the small measurements
#   BENCH_REPS_SLOW=3  repetitions of the 2 s stop and of the idle window
#   BENCH_REPS_BIG=3   repetitions of the 1,000-service measurements
#                      (supervisord: the first only; it needs half a minute)
#   BENCH_BIG=1000     services in the big measurements
#   BENCH_IDLE=10      seconds of the idle and crash-forever window
#   BENCH_SYSTEMS="imageserving supervisord runit s6 daemontools"
#   BENCH_PHASES="size small stopslow idle big health"
#   BENCH_PROBE_N=100  servers with a health check (1 s interval) in the
#   BENCH_PROBE_S=10   health phase, and its window in seconds (imageserving)
#   BENCH_OUT=build/bench   where samples.tsv, meta.txt and report.md go
#   BENCH_NO_INSTALL=1 never run apt-get (skip peers that are missing)
#   BENCH_RT=0         do not run under SCHED_FIFO (default as root: do)
#   BENCH_TMP=DIR      where the scratch directory goes (default: /dev/shm)
#   BENCH_KEEP=1       keep the scratch directory
#   IMAGESERVING_BIN   the binary under test (default: ./imageserving)
#
# The small phase also measures this machine's floors (floor_one): the least
# a respawn and a status command can cost; the report gives each latency row
# as a multiple of its floor. bench/compare.sh runs this script for two
# imageserving binaries, interleaved, into one report.
set -u
set -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${IMAGESERVING_BIN:-$ROOT/imageserving}
OUT=${BENCH_OUT:-$ROOT/build/bench}
REPS=${BENCH_REPS:-5}
REPS_BIG=${BENCH_REPS_BIG:-3}
REPS_SLOW=${BENCH_REPS_SLOW:-3}
BIG=${BENCH_BIG:-1000}
MID=100
IDLE=${BENCH_IDLE:-10}
SYSTEMS=${BENCH_SYSTEMS:-"imageserving supervisord runit s6 daemontools"}
PHASES=${BENCH_PHASES:-"size small stopslow idle big health"}
PROBE_N=${BENCH_PROBE_N:-100}
PROBE_S=${BENCH_PROBE_S:-10}

T_START=$(date +%s)
say() { printf 'bench: [%3ds] %s\n' "$(( $(date +%s) - T_START ))" "$*" >&2; }
die() { say "$*"; exit 1; }

# Scratch on tmpfs when there is one: the peers keep their supervise/status
# files, and imageserving its run directory, on tmpfs in production too
# (/run), and a disk-backed file system would time the disk, not them.
if [ -z "${BENCH_TMP:-}" ]; then
	BENCH_TMP=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && BENCH_TMP=/dev/shm
fi
REAPERS=""    # pids of the btool reapers still running (each owns one tree)
BGPIDS=""     # other background pids of ours (perf)
SCR=""        # the scratch directory (created in main)

# ---- cleanup: by PID only, with deadlines --------------------------------

# reap_wait PID SECONDS: wait for our child PID to exit, at most SECONDS.
reap_wait() {
	local pid=$1 end=$(( $(date +%s%N) + $2 * 1000000000 ))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s%N)" -ge "$end" ]; then
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.01
	done
	wait "$pid" 2>/dev/null
	return 0
}

# nap SECONDS: sleep in the background and wait for it, so that a signal to
# the bench is handled at once (bash runs a trap only after the foreground
# command ends, but it interrupts `wait`).
nap() {
	sleep "$1" &
	local p=$!
	BGPIDS="$BGPIDS $p"
	wait "$p"
	BGPIDS=${BGPIDS% "$p"}
}

# bt ARGS...: btool in the background, waited for the same way.
bt() {
	"$BT" "$@" >"$SCR/bt.out" &
	local p=$! rc
	BGPIDS="$BGPIDS $p"
	wait "$p"
	rc=$?
	BGPIDS=${BGPIDS% "$p"}
	cat "$SCR/bt.out"
	return "$rc"
}

# sweep: kill, by PID, any process left whose executable or working
# directory lies in our scratch directory (a unique mktemp name): a safety
# net for anything that escaped its reaper.
sweep() {
	[ -n "$SCR" ] || return 0
	local d p e c n=0
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = $$ ] && continue
		e=$(readlink "$d/exe" 2>/dev/null)
		c=$(readlink "$d/cwd" 2>/dev/null)
		case "$e|$c" in
		"$SCR"/*|*"|$SCR"/*)
			case " $REAPERS " in *" $p "*) continue ;; esac
			kill -KILL "$p" 2>/dev/null && n=$((n + 1)) ;;
		esac
	done
	[ "$n" = 0 ] || say "swept $n stray processes"
}

cleanup() {
	local p
	trap - EXIT INT TERM HUP
	for p in $BGPIDS; do kill -TERM "$p" 2>/dev/null; done
	# A reaper kills and reaps its whole tree on SIGTERM.
	for p in $REAPERS; do kill -TERM "$p" 2>/dev/null; done
	for p in $REAPERS $BGPIDS; do reap_wait "$p" 30; done
	sweep
	[ -n "${BENCH_KEEP:-}" ] || [ -z "$SCR" ] || rm -rf "$SCR"
}

# ---- the peers -----------------------------------------------------------

PEER_BINS="supervisord supervisorctl runsvdir runsv sv s6-svscan s6-supervise s6-svc s6-svstat svscan supervise svc svstat"

missing_peers() {
	local b m=""
	for b in $PEER_BINS; do command -v "$b" >/dev/null 2>&1 || m="$m $b"; done
	echo "$m"
}

# Install the peers from Debian's packages if any is missing. Their
# maintainer scripts must not start anything system-wide: a policy-rc.d that
# refuses every start is in place during the install, and whatever of theirs
# runs afterwards (it cannot have been ours) is stopped by PID.
install_peers() {
	[ -z "$(missing_peers)" ] && return 0
	if [ -n "${BENCH_NO_INSTALL:-}" ] || ! command -v apt-get >/dev/null 2>&1; then
		say "missing:$(missing_peers); install supervisor runit s6 daemontools (skipping those systems)"
		return 0
	fi
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	say "installing the peers from Debian: supervisor runit s6 daemontools"
	local policy=/usr/sbin/policy-rc.d made_policy="" before
	before=$(peer_daemons)
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# bench.sh: no service starts during this install\nexit 101\n' | $sudo tee "$policy" >/dev/null &&
			$sudo chmod 0755 "$policy" && made_policy=1
	fi
	if ! apt-cache policy supervisor runit s6 daemontools 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		$sudo apt-get update -qq || say "apt-get update failed"
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		supervisor runit s6 daemontools >"$OUT/apt.log" 2>&1 || { tail -20 "$OUT/apt.log" >&2; say "apt-get install failed"; }
	[ -n "$made_policy" ] && $sudo rm -f "$policy"
	local p
	for p in $(peer_daemons); do
		case " $before " in *" $p "*) continue ;; esac
		say "stopping $(cat "/proc/$p/comm" 2>/dev/null) (pid $p), started by the package install"
		kill -TERM "$p" 2>/dev/null
	done
}

# Pids of the peers' daemons running now (supervisord runs as python3).
peer_daemons() {
	local d exe
	for d in /proc/[0-9]*; do
		exe=$(readlink "$d/exe" 2>/dev/null) || continue
		case ${exe##*/} in
		runsvdir|runsv|s6-svscan|s6-supervise|svscan|supervise) echo "${d#/proc/}" ;;
		python3*) tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q 'bin/supervisord' && echo "${d#/proc/}" ;;
		esac
	done
}

# ---- helpers -------------------------------------------------------------


build_helpers() {
	gcc -O2 -Wall -pthread -o "$BT" "$HERE/btool.c" || die "cannot build bench/btool.c (gcc)"
	# The service is static so its start is the supervisor's cost, not ld.so's.
	musl-gcc -static -O2 -o "$BSVC" "$HERE/svc.c" 2>/dev/null ||
		gcc -static -O2 -o "$BSVC" "$HERE/svc.c" 2>/dev/null ||
		gcc -O2 -o "$BSVC" "$HERE/svc.c" || die "cannot build bench/svc.c"
	# The status floor: a static binary that reads one small file.
	musl-gcc -static -O2 -o "$FLOORCAT" "$HERE/floorcat.c" 2>/dev/null ||
		gcc -static -O2 -o "$FLOORCAT" "$HERE/floorcat.c" 2>/dev/null ||
		gcc -O2 -o "$FLOORCAT" "$HERE/floorcat.c" || die "cannot build bench/floorcat.c"
}

have_system() {
	case $1 in
	imageserving) [ -x "$BIN" ] ;;
	supervisord) command -v supervisord >/dev/null && command -v supervisorctl >/dev/null ;;
	runit) command -v runsvdir >/dev/null && command -v sv >/dev/null ;;
	s6) command -v s6-svscan >/dev/null && command -v s6-svc >/dev/null ;;
	daemontools) command -v svscan >/dev/null && command -v svc >/dev/null ;;
	*) return 1 ;;
	esac
}

# record METRIC SYSTEM REP VALUE
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$OUT/samples.tsv"; }
ms() { awk -v n="$1" 'BEGIN { if (n < 0) print "NA"; else printf "%.4f\n", n / 1e6 }'; }

# ---- one supervision tree: an "instance" ---------------------------------
# mk_inst SYSTEM DIR SPEC...: service dirs and configuration for SPEC
# entries NAME or NAME:ignore (ignores SIGTERM, 2 s stop timeout) or
# NAME:crash (exits at once, forever).

mk_inst() {
	local sys=$1 dir=$2; shift 2
	mkdir -p "$dir/sv" "$dir/log"
	: >"$dir/stamps"
	local spec name kind target=- dirs=()
	case $sys in runit|s6|daemontools) target=$BSVC ;; esac
	for spec in "$@"; do dirs+=("$dir/sv/${spec%%:*}"); done
	"$BT" mkdirs "$target" "${dirs[@]}" || die "cannot create the service directories"
	for spec in "$@"; do
		name=${spec%%:*}
		kind=${spec#"$name"}
		case $kind in
		:ignore)
			: >"$dir/sv/$name/ignore-term"
			# s6's own stop timeout; the others get theirs in their config.
			[ "$sys" = s6 ] && echo 2000 >"$dir/sv/$name/timeout-kill" ;;
		:crash) : >"$dir/sv/$name/crash" ;;
		esac
	done
	case $sys in
	imageserving) mk_registry "$dir" "$@" ;;
	supervisord) mk_supervisord "$dir" "$@" ;;
	esac
}

# A free loopback port for imageserving's status endpoint.
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mk_registry() {
	local dir=$1 spec name; shift
	free_port >"$dir/port"
	{
		echo "<supervisor><config><log>$dir/log/supervisor.log</log><temp>$dir/run</temp>"
		echo "<tcpport>$(cat "$dir/port")</tcpport></config><servers>"
		for spec in "$@"; do
			name=${spec%%:*}
			# servers get a clean environment: the stamp file must be passed on
			echo "<server id=\"$name\"><executable>$BSVC</executable><workingDirectory>$dir/sv/$name</workingDirectory>"
			echo "<passEnvironment><variable name=\"BSVC_STAMPS\"/></passEnvironment>"
			case $spec in *:ignore) echo "<stopTimeout>2</stopTimeout>" ;; esac
			echo "</server>"
		done
		echo "</servers></supervisor>"
	} >"$dir/reg.xml"
}

mk_supervisord() {
	local dir=$1 spec name n=$(( $# - 1 )); shift
	{
		cat <<-EOF
		[unix_http_server]
		file=$dir/supervisor.sock
		[supervisord]
		logfile=$dir/log/supervisord.log
		pidfile=$dir/supervisord.pid
		childlogdir=$dir/log
		nodaemon=true
		minfds=$(( n * 8 + 1024 ))
		minprocs=$(( n * 2 + 200 ))
		[rpcinterface:supervisor]
		supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
		[supervisorctl]
		serverurl=unix://$dir/supervisor.sock
		EOF
		for spec in "$@"; do
			name=${spec%%:*}
			printf '[program:%s]\ncommand=%s\ndirectory=%s\nautorestart=true\nstartsecs=0\nstartretries=1000000\n' \
				"$name" "$BSVC" "$dir/sv/$name"
			case $spec in *:ignore) echo "stopwaitsecs=2" ;; esac
		done
	} >"$dir/supervisord.conf"
}

# start_inst SYSTEM DIR: run the tree under a reaper; sets ROOTPID, T0.
start_inst() {
	local sys=$1 dir=$2 n
	n=$(ls "$dir/sv" | wc -l)
	local cmd
	case $sys in
	imageserving) cmd=("$BIN" supervisor -f -c "$dir/reg.xml") ;;
	supervisord) cmd=(supervisord -n -c "$dir/supervisord.conf") ;;
	runit) cmd=(runsvdir "$dir/sv") ;;
	s6) cmd=(s6-svscan -c $(( n * 2 + 64 )) "$dir/sv") ;;
	daemontools) cmd=(svscan "$dir/sv") ;;
	esac
	BSVC_STAMPS=$dir/stamps "$BT" reaper "$dir/pid" "${cmd[@]}" >>"$dir/out" 2>&1 &
	echo $! >"$dir/reaper"
	REAPERS="$REAPERS $!"
	local end=$(( $(date +%s%N) + 5000000000 ))
	until [ -s "$dir/pid" ]; do
		[ "$(date +%s%N)" -ge "$end" ] && die "$sys: the reaper did not start"
		sleep 0.001
	done
	read -r ROOTPID T0 <"$dir/pid"
}

stop_inst() {
	local dir=$1 r
	r=$(cat "$dir/reaper")
	kill -TERM "$r" 2>/dev/null
	reap_wait "$r" 30
	REAPERS=$(echo "$REAPERS" | tr ' ' '\n' | grep -vx "$r" | tr '\n' ' ')
	[ "$(ls "$dir/sv" | wc -l)" -lt 50 ] || sweep
	rm -rf "$dir"
}

# Supervision tree: the root and its descendants that are not services.
tree_pids() { "$BT" tree "$(cut -d' ' -f1 "$1/pid")" "$BSVC"; }

# wait_up DIR N MS: wait until N services have stamped since the start.
wait_up() {
	local t0
	t0=$(cut -d' ' -f2 "$1/pid")
	bt wait-stamps "$1/stamps" "$t0" "$2" "$3"
}

# settle DIR SECONDS: sleep until the newest start in DIR is SECONDS old.
settle() {
	local last now
	last=$(tail -1 "$1/stamps" | cut -d' ' -f3)
	now=$("$BT" now)
	nap "$(awk -v a="$last" -v b="$now" -v s="$2" 'BEGIN { d = s - (b - a) / 1e9; if (d > 0) printf "%.3f", d; else print 0 }')"
}

# The systems' own commands, as words for btool (";" separates commands).
status_cmd() {
	local sys=$1 dir=$2; shift 2
	local s first=1
	case $sys in
	imageserving) echo "$BIN -c $dir/reg.xml status" ;;
	supervisord) echo "supervisorctl -c $dir/supervisord.conf status" ;;
	runit) echo "sv status $(for s; do printf '%s ' "$dir/sv/$s"; done)" ;;
	daemontools) echo "svstat $(for s; do printf '%s ' "$dir/sv/$s"; done)" ;;
	s6) for s; do [ $first = 1 ] || printf ' ; '; first=0; printf 's6-svstat %s' "$dir/sv/$s"; done; echo ;;
	esac
}

restart_cmd() {
	local sys=$1 dir=$2 s=$3
	case $sys in
	imageserving) echo "$BIN -c $dir/reg.xml restart $s" ;;
	supervisord) echo "supervisorctl -c $dir/supervisord.conf restart $s" ;;
	runit) echo "sv restart $dir/sv/$s" ;;
	s6) echo "s6-svc -r $dir/sv/$s" ;;
	daemontools) echo "svc -t $dir/sv/$s" ;;
	esac
}

# stop_cmd SYSTEM DIR SLOW NAME...: stop these services (SLOW=1: one of
# them ignores SIGTERM and must be killed after 2 s).
stop_cmd() {
	local sys=$1 dir=$2 slow=$3; shift 3
	local s dirs="" first=1
	for s; do dirs="$dirs $dir/sv/$s"; done
	case $sys in
	imageserving) echo "$BIN -c $dir/reg.xml stop" ;;
	supervisord) echo "supervisorctl -c $dir/supervisord.conf stop all" ;;
	runit) if [ "$slow" = 1 ]; then echo "sv -w 2 force-stop$dirs"; else echo "sv down$dirs"; fi ;;
	s6) for s in $dirs; do [ $first = 1 ] || printf ' ; '; first=0; printf 's6-svc -d %s' "$s"; done; echo ;;
	daemontools) if [ "$slow" = 1 ]; then echo "svc -d$dirs ; sleep 2 ; svc -k$dirs"; else echo "svc -d$dirs"; fi ;;
	esac
}

# ---- phases --------------------------------------------------------------

# Shared libraries (resolved) the ELF files use, except libc and ld.so.
shared_libs() {
	command -v ldd >/dev/null || return 0
	local f
	for f; do ldd "$f" 2>/dev/null; done | awk '$3 ~ /^\// { print $3 }' | sort -u |
		grep -Ev '/(libc|libm|ld-linux[^/]*|libpthread|libdl)\.so' | while read -r l; do readlink -f "$l"; done
}

# The libraries shared_libs leaves out (the C library, libm, the loader…),
# which an empty root must hold as well.
system_libs() {
	command -v ldd >/dev/null || return 0
	local f
	for f; do ldd "$f" 2>/dev/null; done | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u |
		grep -E '/(libc|libm|ld-linux[^/]*|libpthread|libdl)\.so' | while read -r l; do readlink -f "$l"; done | sort -u
}

# The supervisor python package's files (supervisord's code).
python_pkg_files() {
	local d
	d=$("$1" -c 'import supervisor, os; print(os.path.dirname(supervisor.__file__))' 2>/dev/null) ||
		d=$(ls -d /usr/lib/python3/dist-packages/supervisor 2>/dev/null)
	[ -n "$d" ] && find "$d" -name '*.py' -type f
}

phase_size() {
	local sys f files size total static
	for sys in $SYSTEMS; do
		case $sys in
		imageserving) files=$BIN ;;
		supervisord)
			# The script, its interpreter (from the #! line) and its package.
			local py
			py=$(head -1 "$(command -v supervisord)" | sed 's/^#! *//; s/ .*//')
			files="$(command -v supervisord) $(readlink -f "$py") $(python_pkg_files "$py")" ;;
		runit) files="$(command -v runsvdir) $(command -v runsv) $(command -v sv)" ;;
		s6) files="$(command -v s6-svscan) $(command -v s6-supervise) $(command -v s6-svc) $(command -v s6-svstat)" ;;
		daemontools) files="$(command -v svscan) $(command -v supervise) $(command -v svc) $(command -v svstat)" ;;
		esac
		# Shared libraries other than the C library count too (s6's skalibs).
		files="$files $(shared_libs $files)"
		total=0 static=static
		for f in $files; do
			read -r size kind < <("$BT" elf "$f")
			total=$(( total + size ))
			case $kind in dynamic|script) static=$kind ;; esac
			[ "$kind" = dynamic ] && [ "$static" != script ] && static=dynamic
		done
		record size_bytes "$sys" 1 "$total"
		record static "$sys" 1 "$static"
		# What a FROM scratch image needs: the same plus the C library, the
		# loader and every other library they load.
		for f in $(system_libs $files); do
			read -r size _ < <("$BT" elf "$f")
			total=$(( total + size ))
		done
		record size_root_bytes "$sys" 1 "$total"
		echo "$sys $(for f in $files; do case $f in *.py) ;; *) printf '%s ' "${f##*/}" ;; esac; done)$(
			n=$(printf '%s\n' $files | grep -c '\.py$'); [ "$n" -gt 0 ] && printf '%s' "$n-python-files")" >>"$OUT/files.txt"
	done
}

# endpoint_probe SYS DIR REP TAG: imageserving's status endpoint: /metrics
# scrape latency (curl's time per request, 10 over one connection), the
# supervision CPU per scrape (50 scrapes), and /status over HTTP (3 services).
endpoint_probe() {
	local sys=$1 dir=$2 rep=$3 tag=$4 port t c0 c1 tree i urls=()
	[ "$sys" = imageserving ] && [ -s "$dir/port" ] || return 0
	port=$(cat "$dir/port")
	# -o once per URL: every body goes to /dev/null, only the times print
	for i in $(seq 10); do urls+=(-o /dev/null "http://127.0.0.1:$port/metrics"); done
	for t in $(curl -s -w '%{time_total}\n' "${urls[@]}"); do
		record "${tag}_scrape_ms" "$sys" "$rep" "$(awk -v t="$t" 'BEGIN { printf "%.4f", t * 1000 }')"
	done
	urls=()
	for i in $(seq 50); do urls+=(-o /dev/null "http://127.0.0.1:$port/metrics"); done
	tree=$(tree_pids "$dir")
	read -r c0 _ < <("$BT" snap $tree)
	curl -s "${urls[@]}"
	read -r c1 _ < <("$BT" snap $tree)
	record "${tag}_scrape_cpu_us" "$sys" "$rep" "$(awk -v c=$(( c1 - c0 )) 'BEGIN { printf "%.1f", c / 50 / 1000 }')"
	if [ "$tag" = metrics3 ]; then
		# A crash restart while 64 connections are held, one a slowloris
		# client sending a header byte every 50 ms: the first restart of s3,
		# beside crash1_ms (s1, nothing held).
		/usr/bin/python3 "$ROOT/bench/hold-connections.py" "$port" >"$dir/held.out" 2>&1 &
		local holder=$!
		BGPIDS="$BGPIDS $holder"
		local end=$(( $(date +%s%N) + 5000000000 ))
		until grep -q held "$dir/held.out" 2>/dev/null || [ "$(date +%s%N)" -ge "$end" ]; do sleep 0.01; done
		read -r v < <("$BT" crash "$dir/stamps" s3 1 6000)
		[ "$v" = timeout ] && v=NA || v=$(ms "$v")
		record crash_held_ms "$sys" "$rep" "$v"
		kill -KILL "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
		BGPIDS=${BGPIDS% "$holder"}
		urls=()
		for i in $(seq 10); do urls+=(-o /dev/null "http://127.0.0.1:$port/status"); done
		for t in $(curl -s -w '%{time_total}\n' "${urls[@]}"); do
			record status_http_ms "$sys" "$rep" "$(awk -v t="$t" 'BEGIN { printf "%.4f", t * 1000 }')"
		done
	fi
}

# One repetition of the 3-service measurements for one system: memory,
# status, crash loop, commanded restart, prompt stop.
small_one() {
	local sys=$1 rep=$2 dir=$SCR/$1-small-$2 r i v lines
	mk_inst "$sys" "$dir" s1 s2 s3
	start_inst "$sys" "$dir"
	read -r v _ < <(wait_up "$dir" 3 15000)
	if [ "${v:--1}" -lt 0 ]; then say "$sys: services did not start"; stop_inst "$dir"; return; fi
	record start3_ms "$sys" "$rep" "$(ms "$v")"
	# Memory once the tree is settled.
	nap 0.3
	read -r rss pss np < <("$BT" mem $(tree_pids "$dir"))
	record rss3_kb "$sys" "$rep" "$rss"
	record pss3_kb "$sys" "$rep" "$pss"
	record procs3 "$sys" "$rep" "$np"
	local cmd
	cmd=$(status_cmd "$sys" "$dir" s1 s2 s3)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		read -r v r < <("$BT" time $cmd)
		[ "$r" = 0 ] || say "$sys: status exited $r"
		record status_ms "$sys" "$rep" "$(ms "$v")"
	done
	endpoint_probe "$sys" "$dir" "$rep" metrics3
	# runit, s6 and daemontools throttle a service that ran less than a
	# second: let s1 be up well past that before the first kill.
	settle "$dir" 1.3
	local tree c0 c1
	tree=$(tree_pids "$dir")
	read -r c0 _ < <("$BT" snap $tree)
	i=0
	while read -r v; do
		i=$((i + 1))
		if [ "$v" = timeout ]; then v=NA; else v=$(ms "$v"); fi
		record "crash${i}_ms" "$sys" "$rep" "$v"
	done < <("$BT" crash "$dir/stamps" s1 5 6000)
	while [ "$i" -lt 5 ]; do i=$((i + 1)); record "crash${i}_ms" "$sys" "$rep" NA; done
	# CPU the supervision tree spent on the five restarts (the tree of the
	# peers is the same processes before and after; ours is one process).
	read -r c1 _ < <("$BT" snap $tree)
	record crash_cpu_us "$sys" "$rep" "$(awk -v c=$(( c1 - c0 )) 'BEGIN { printf "%.1f", c / 5 / 1000 }')"
	# Commanded restart of s2 (up for more than a second too).
	read -r v r < <("$BT" restart "$dir/stamps" s2 10000 $(restart_cmd "$sys" "$dir" s2))
	record cmdrestart_ms "$sys" "$rep" "$(ms "$v")"
	record cmdrestart_ret_ms "$sys" "$rep" "$(ms "$r")"
	# Memory again, after five crash restarts, a commanded restart and ten
	# status queries (and, for imageserving, the endpoint's scrapes).
	nap 0.3
	read -r rss pss np < <("$BT" mem $(tree_pids "$dir"))
	record pss3_after_kb "$sys" "$rep" "$pss"
	# Prompt stop of all three, once every one has been up for a while
	# (daemontools' supervise ignores commands for a second after a start).
	settle "$dir" 1.3
	read -r v r n < <("$BT" stop "$dir/stamps" 10000 $(stop_cmd "$sys" "$dir" 0 s1 s2 s3))
	record stop_ms "$sys" "$rep" "$(ms "$v")"
	record stop_ret_ms "$sys" "$rep" "$(ms "$r")"
	[ "$n" = 0 ] || say "$sys: $n services came back after the stop"
	stop_inst "$dir"
}

# The floors of this machine, measured like the rows they bound (same
# stamps, same timer, same scheduling), once per repetition of the small
# phase, between the systems:
#  - respawn: `btool floor`, a loop that only blocks in waitpid, then vforks
#    and execs the service again; SIGKILLed 5 times by `btool crash`, as the
#    supervisors' s1 is: what a restart costs at least;
#  - exec: `floorcat`, a static binary that reads one small file (a state
#    file's size), timed by `btool time` as status is: what a status
#    command costs at least.
floor_one() {
	local rep=$1 dir=$SCR/floor-$rep v i
	mkdir -p "$dir/sv/f1" "$dir/log"
	: >"$dir/stamps"
	BSVC_STAMPS=$dir/stamps "$BT" reaper "$dir/pid" "$BT" floor "$dir/sv/f1" "$BSVC" >>"$dir/out" 2>&1 &
	echo $! >"$dir/reaper"
	REAPERS="$REAPERS $!"
	local end=$(( $(date +%s%N) + 5000000000 ))
	until [ -s "$dir/pid" ]; do
		[ "$(date +%s%N)" -ge "$end" ] && die "floor: the reaper did not start"
		sleep 0.001
	done
	if wait_up "$dir" 1 15000 >/dev/null; then
		while read -r v; do
			[ "$v" = timeout ] && v=NA || v=$(ms "$v")
			record floor_respawn_ms floor "$rep" "$v"
		done < <("$BT" crash "$dir/stamps" f1 5 6000)
	else
		say "floor: the service did not start"
	fi
	head -c 630 /dev/zero | tr '\0' x >"$dir/small"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		read -r v r < <("$BT" time "$FLOORCAT" "$dir/small")
		[ "$r" = 0 ] || say "floor: floorcat exited $r"
		record floor_exec_ms floor "$rep" "$(ms "$v")"
	done
	stop_inst "$dir"
}

stopslow_one() {
	local sys=$1 rep=$2 dir=$SCR/$1-slow-$2 v r n
	mk_inst "$sys" "$dir" s1 s2 s3:ignore
	start_inst "$sys" "$dir"
	wait_up "$dir" 3 15000 >/dev/null || { say "$sys: services did not start"; stop_inst "$dir"; return; }
	nap 0.3
	read -r v r n < <("$BT" stop "$dir/stamps" 15000 $(stop_cmd "$sys" "$dir" 1 s1 s2 s3))
	record stopslow_ms "$sys" "$rep" "$(ms "$v")"
	record stopslow_ret_ms "$sys" "$rep" "$(ms "$r")"
	stop_inst "$dir"
}

# Every system at once, idle with 3 services, plus every system with one
# service that crashes forever; measure the supervision trees over IDLE s.
idle_one() {
	local rep=$1 sys dir pids
	for sys in $SYSTEMS; do
		mk_inst "$sys" "$SCR/$sys-idle-$rep" s1 s2 s3
		start_inst "$sys" "$SCR/$sys-idle-$rep"
		mk_inst "$sys" "$SCR/$sys-loop-$rep" c1:crash
		start_inst "$sys" "$SCR/$sys-loop-$rep"
	done
	for sys in $SYSTEMS; do
		wait_up "$SCR/$sys-idle-$rep" 3 15000 >/dev/null || say "$sys: idle services did not start"
		wait_up "$SCR/$sys-loop-$rep" 1 15000 >/dev/null || say "$sys: the crashing service did not start"
	done
	nap 1  # let start-up work finish
	local t0 perfpids=""
	for sys in $SYSTEMS; do
		dir=$SCR/$sys-idle-$rep
		tree_pids "$dir" >"$dir/tree"
		"$BT" snap $(cat "$dir/tree") >"$dir/snap0"
		if [ -n "$PERF" ]; then
			perf stat -x, -e raw_syscalls:sys_enter -p "$(paste -sd, "$dir/tree")" -o "$dir/perf" -- sleep "$IDLE" \
				>/dev/null 2>&1 &
			perfpids="$perfpids $!"
			BGPIDS="$BGPIDS $!"
		fi
		dir=$SCR/$sys-loop-$rep
		tree_pids "$dir" >"$dir/tree"
		"$BT" snap $(cat "$dir/tree") >"$dir/snap0"
		wc -l <"$dir/stamps" >"$dir/n0"
	done
	t0=$("$BT" now)
	nap "$IDLE"
	local t1 c0 s0 c1 s1 span
	for sys in $SYSTEMS; do
		for kind in idle loop; do
			dir=$SCR/$sys-$kind-$rep
			"$BT" snap $(cat "$dir/tree") >"$dir/snap1"
		done
	done
	t1=$("$BT" now)
	span=$(( t1 - t0 ))
	for p in $perfpids; do reap_wait "$p" 5; done
	BGPIDS=""
	for sys in $SYSTEMS; do
		dir=$SCR/$sys-idle-$rep
		read -r c0 s0 <"$dir/snap0"
		read -r c1 s1 <"$dir/snap1"
		record idle_cpu_ms "$sys" "$rep" "$(ms $(( c1 - c0 )))"
		record idle_wakeups "$sys" "$rep" $(( s1 - s0 ))
		if [ -n "$PERF" ] && [ -s "$dir/perf" ]; then
			# perf says "<not counted>" for a task that never ran: no syscall.
			record idle_syscalls "$sys" "$rep" "$(awk -F, '/raw_syscalls:sys_enter/ { print ($1 ~ /^[0-9]+$/) ? $1 : 0 }' "$dir/perf")"
		fi
		dir=$SCR/$sys-loop-$rep
		read -r c0 s0 <"$dir/snap0"
		read -r c1 s1 <"$dir/snap1"
		record loop_cpu_pct "$sys" "$rep" "$(awk -v c=$(( c1 - c0 )) -v s="$span" 'BEGIN { printf "%.4f", 100 * c / s }')"
		record loop_restarts "$sys" "$rep" $(( $(wc -l <"$dir/stamps") - $(cat "$dir/n0") ))
	done
	for sys in $SYSTEMS; do
		stop_inst "$SCR/$sys-idle-$rep"
		stop_inst "$SCR/$sys-loop-$rep"
	done
}

# The floor of the BIG rows, once per repetition of the big phase: BIG
# vfork + execs of the service (a `crash` file in each directory: it stamps
# and exits) from one process (W = 1), then from two at once (W = 2).
massfloor_one() {
	local rep=$1 dir=$SCR/massfloor-$1 i w v
	for i in $(seq 1 "$BIG"); do
		mkdir -p "$dir/$(printf 'f%04d' "$i")"
		: >"$dir/$(printf 'f%04d' "$i")/crash"
	done
	: >"$dir/stamps"
	for w in 1 2; do
		read -r v < <(BSVC_STAMPS=$dir/stamps "$BT" massfloor "$dir/stamps" "$dir" "$BIG" "$w" "$BSVC")
		[ "${v:--1}" -ge 0 ] && record "floor_mass${w}_ms" floor "$rep" "$(ms "$v")" || say "floor: mass spawn W=$w timed out"
	done
	rm -rf "$dir"
}

# Memory at MID services; start, memory, mass kill at BIG services.
big_one() {
	local sys=$1 rep=$2 dir=$SCR/$1-mid-$2 v n tot span rss pss np i names
	names=$(for i in $(seq 1 $MID); do printf 'm%04d ' "$i"; done)
	mk_inst "$sys" "$dir" $names
	start_inst "$sys" "$dir"
	if wait_up "$dir" "$MID" 60000 >/dev/null; then
		nap 0.5
		read -r rss pss np < <("$BT" mem $(tree_pids "$dir"))
		record rss${MID}_kb "$sys" "$rep" "$rss"
		record pss${MID}_kb "$sys" "$rep" "$pss"
		record procs${MID} "$sys" "$rep" "$np"
	else
		say "$sys: $MID services did not start"
	fi
	stop_inst "$dir"

	dir=$SCR/$1-big-$2
	names=$(for i in $(seq 1 "$BIG"); do printf 'b%04d ' "$i"; done)
	mk_inst "$sys" "$dir" $names
	start_inst "$sys" "$dir"
	read -r v n < <(wait_up "$dir" "$BIG" 60000)
	record bigstart_ms "$sys" "$rep" "$(ms "$v")"
	if [ "$v" -lt 0 ]; then
		say "$sys: only $n of $BIG services started within 60 s"
		stop_inst "$dir"
		return
	fi
	nap 0.5
	local tree c0 c1
	tree=$(tree_pids "$dir")
	read -r c0 _ < <("$BT" snap $tree)
	record bigstart_cpu_ms "$sys" "$rep" "$(ms "$c0")"
	read -r rss pss np < <("$BT" mem $tree)
	record rss${BIG}_kb "$sys" "$rep" "$rss"
	record pss${BIG}_kb "$sys" "$rep" "$pss"
	record procs${BIG} "$sys" "$rep" "$np"
	endpoint_probe "$sys" "$dir" "$rep" "metrics$BIG"
	nap 1  # every service up well over a second: no throttle applies
	read -r c0 _ < <("$BT" snap $tree)
	read -r v n tot span < <("$BT" masskill "$dir/stamps" 30000)
	read -r c1 _ < <("$BT" snap $tree)
	record bigback_ms "$sys" "$rep" "$(ms "$v")"
	record bigback_cpu_ms "$sys" "$rep" "$(ms $(( c1 - c0 )))"
	record bigback_count "$sys" "$rep" "$n"
	record bigkill_span_ms "$sys" "$rep" "$(ms "$span")"
	[ "$n" = "$BIG" ] || say "$sys: only $n of $BIG services came back within 30 s"
	stop_inst "$dir"
}

# CPU per health probe (imageserving only: the peers have no health checks):
# PROBE_N servers, each checked every second — tcp or http against one
# loopback target (tests/servers/hstub, which counts its connections), or
# exec of /bin/sh appending a line to a file — for PROBE_S seconds. The
# supervisor's own CPU time (its /proc stat: not the probes', not the
# target's) over the window, divided by the probes counted.
# health_one KIND REP [N]: with N (not PROBE_N) servers, the rows are the
# supervisor's memory and CPU share with every server checked (item: memory
# at 1,000 servers with health checks on), not the per-probe cost.
health_one() {
	local kind=$1 rep=$2 n=${3:-$PROBE_N} dir=$SCR/imageserving-health-$1-$2-${3:-$PROBE_N} names i port check c0 c1 h0 h1 r
	names=$(for i in $(seq 1 "$n"); do printf 'h%04d ' "$i"; done)
	mk_inst imageserving "$dir" $names
	port=$(free_port)
	case $kind in
	tcp) check="<tcp host=\"127.0.0.1\" port=\"$port\"/>" ;;
	http) check="<http url=\"http://127.0.0.1:$port/ping\"/>" ;;
	exec) check="<exec><argument>/bin/sh</argument><argument>-c</argument><argument>echo &gt;&gt;$dir/mode.hits</argument></exec>" ;;
	esac
	check=${check//&/\\&}  # sed's replacement: & is the match
	sed -i "s|</server>|<healthCheck>$check<interval>1</interval></healthCheck><readiness>exec</readiness>&|" "$dir/reg.xml"
	if [ "$kind" != exec ]; then
		"$BT" reaper "$dir/target.pid" "$ROOT/tests/servers/hstub" "$port" "$dir/mode" >>"$dir/out" 2>&1 &
		r=$!
		REAPERS="$REAPERS $r"
		local end=$(( $(date +%s%N) + 10000000000 ))
		until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
			[ "$(date +%s%N)" -ge "$end" ] && { say "health $kind: the probe target did not listen"; break; }
			sleep 0.01
		done
	fi
	start_inst imageserving "$dir"
	wait_up "$dir" "$n" 60000 >/dev/null || say "health $kind: $n services did not start"
	nap 2  # every server probed once already: the steady state
	h0=$(cat "$dir/mode.hits" 2>/dev/null | wc -l)
	read -r c0 _ < <("$BT" snap "$ROOTPID")
	nap "$PROBE_S"
	read -r c1 _ < <("$BT" snap "$ROOTPID")
	h1=$(cat "$dir/mode.hits" 2>/dev/null | wc -l)
	if [ "$n" != "$PROBE_N" ]; then
		read -r rss pss np < <("$BT" mem $(tree_pids "$dir"))
		record "pss${n}_${kind}check_kb" imageserving "$rep" "$pss"
		record "cpu${n}_${kind}check_pct" imageserving "$rep" "$(awk -v c=$(( c1 - c0 )) -v s="$PROBE_S" 'BEGIN { printf "%.2f", c / 1e7 / s }')"
		record "probes${n}_${kind}check" imageserving "$rep" $(( h1 - h0 ))
	elif record probe_${kind}_count imageserving "$rep" $(( h1 - h0 )) && [ $(( h1 - h0 )) -gt 0 ]; then
		record probe_${kind}_cpu_us imageserving "$rep" "$(awk -v c=$(( c1 - c0 )) -v n=$(( h1 - h0 )) 'BEGIN { printf "%.1f", c / 1000 / n }')"
	else
		say "health $kind: no probe counted"
	fi
	grep -q "health check failed" "$dir/log/supervisor.log" && say "health $kind: some probes failed (see the trace log)"
	stop_inst "$dir"
	if [ -n "${r:-}" ]; then
		kill -TERM "$r" 2>/dev/null
		reap_wait "$r" 30
		REAPERS=$(echo "$REAPERS" | tr ' ' '\n' | grep -vx "$r" | tr '\n' ' ')
	fi
}

# ---- main ----------------------------------------------------------------

[ -x "$BIN" ] || die "no binary $BIN (run make)"
mkdir -p "$OUT" || die "cannot create $OUT"
[ -n "${BENCH_RT_ACTIVE:-}" ] || install_peers

# Other work on the machine delays wakeups by whole scheduler slices and
# swamps sub-millisecond figures. As root the bench re-runs itself under
# SCHED_FIFO priority 10, which every supervision tree and command it starts
# inherits: all systems get the same treatment, as on an idle machine.
# BENCH_RT=0 keeps the normal scheduler.
SCHED=normal
if [ "${BENCH_RT:-1}" != 0 ] && [ "$(id -u)" -eq 0 ] && chrt -f 10 true 2>/dev/null; then
	if [ -z "${BENCH_RT_ACTIVE:-}" ]; then
		export BENCH_RT_ACTIVE=1
		exec chrt -f 10 bash "$0" "$@"
	fi
	SCHED="SCHED_FIFO priority 10"
fi

SCR=$(mktemp -d "$BENCH_TMP/is-bench.XXXXXX") || die "cannot create a scratch directory"
BT=$SCR/btool
BSVC=$SCR/bsvc
FLOORCAT=$SCR/floorcat
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM HUP
: >"$OUT/samples.tsv"
: >"$OUT/files.txt"
build_helpers
avail=""
for sys in $SYSTEMS; do
	if have_system "$sys"; then avail="$avail $sys"; else say "$sys is not installed: skipped"; fi
done
SYSTEMS=$avail
PERF=""
if command -v perf >/dev/null 2>&1 && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then PERF=perf; fi

{
	echo "date	$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc	$(nproc)"
	echo "cpu	$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "mem	$(free -h | awk '/^Mem:/ { print $2 }')"
	echo "kernel	$(uname -sr)"
	echo "os	$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
	echo "imageserving	$("$BIN" --version 2>&1 | head -1)"
	echo "commit	$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
	echo "binary_sha256	$(sha256sum "$BIN" | cut -c1-16)"
	for p in supervisor runit s6 daemontools; do
		echo "$p	$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo '?')"
	done
	py=$(head -1 "$(command -v supervisord 2>/dev/null || echo /dev/null)" 2>/dev/null | sed -n 's/^#! *\([^ ]*\).*/\1/p')
	echo "python3	$(${py:-python3} --version 2>&1) (supervisord's interpreter)"
	echo "perf	${PERF:-none}"
	echo "reps	$REPS"
	echo "reps_big	$REPS_BIG"
	echo "reps_slow	$REPS_SLOW"
	echo "big	$BIG"
	echo "mid	$MID"
	echo "idle_s	$IDLE"
	echo "probe_n	$PROBE_N"
	echo "probe_s	$PROBE_S"
	echo "systems	$SYSTEMS"
	echo "scratch	$(stat -f -c %T "$SCR")"
	echo "sched	$SCHED"
	echo "load_before	$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.txt"

START=$(date +%s)
for phase in $PHASES; do
	case $phase in
	size) say "binary sizes"; phase_size ;;
	small)
		for rep in $(seq 1 "$REPS"); do
			say "rep $rep/$REPS: floors: vfork+exec respawn, static exec reading a file"; floor_one "$rep"
			for sys in $SYSTEMS; do say "rep $rep/$REPS: $sys: status, crash loop, restart, stop"; small_one "$sys" "$rep"; done
		done ;;
	stopslow)
		for rep in $(seq 1 "$REPS_SLOW"); do
			for sys in $SYSTEMS; do say "rep $rep/$REPS_SLOW: $sys: stop with a TERM-ignoring service"; stopslow_one "$sys" "$rep"; done
		done ;;
	idle)
		for rep in $(seq 1 "$REPS_SLOW"); do say "rep $rep/$REPS_SLOW: all systems: ${IDLE} s idle / crash-forever window"; idle_one "$rep"; done ;;
	big)
		for rep in $(seq 1 "$REPS_BIG"); do
			say "rep $rep/$REPS_BIG: floors: $BIG vfork+execs from one process, then from two"
			massfloor_one "$rep"
			for sys in $SYSTEMS; do
				# supervisord needs half a minute per round at 1,000
				# programs: it is measured in the first round only.
				[ "$sys" = supervisord ] && [ "$rep" -gt 1 ] && continue
				say "rep $rep/$REPS_BIG: $sys: $MID and $BIG services"
				big_one "$sys" "$rep"
			done
		done ;;
	health)
		case " $SYSTEMS " in
		*" imageserving "*)
			for rep in $(seq 1 "$REPS_SLOW"); do
				for kind in tcp http exec; do
					say "rep $rep/$REPS_SLOW: imageserving: $PROBE_N servers with a $kind check every second, ${PROBE_S} s"
					health_one "$kind" "$rep"
				done
				say "rep $rep/$REPS_SLOW: imageserving: $BIG servers with a tcp check every second, ${PROBE_S} s"
				health_one tcp "$rep" "$BIG"
			done ;;
		esac ;;
	*) die "unknown phase $phase" ;;
	esac
done
echo "elapsed_s	$(( $(date +%s) - START ))" >>"$OUT/meta.txt"
echo "load_after	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
python3 "$HERE/report.py" "$OUT" >"$OUT/report.md" || die "report failed"
cat "$OUT/report.md"
say "samples in $OUT/samples.tsv, report in $OUT/report.md ($(( $(date +%s) - START )) s)"
