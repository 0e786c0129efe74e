# lib-httpd.sh: helpers of the HTTP server tests (sourced after lib.sh): the
# driver program (tests/unit/httpd_driver.c) on a free port, and clients.
UNITS=${IMAGESERVING_UNITS:-$ROOT/build/rel/tests}
DRV=$UNITS/httpd_driver
CLIENT=$TESTS/httpd_client.py
# The system's python3 first: a version manager's shim can take a second to start.
PY=$(command -v /usr/bin/python3 || command -v python3)

# drv_start [ARGS]: run the driver on a free port (its output in $T/drv.N.*);
# sets DPID and PORT, or fails.
_drv=0
drv_start() {
	_drv=$((_drv + 1))
	local out=$T/drv.$_drv.out
	"$DRV" "$@" 0 >"$out" 2>"$T/drv.$_drv.err" &
	DPID=$!
	track "$DPID"
	wait_for 5 grep -q '^port ' "$out" || return 1
	PORT=$(awk '/^port / { print $2 }' "$out")
}

# raw [CLIENT-ARGS] PART...: httpd_client.py on $PORT; output in $T/raw.out
# (stderr in $T/raw.err), exit status in RAW_RC.
raw() {
	local opts=()
	while :; do
		case ${1:-} in
		-6) opts+=("$1"); shift ;;
		-w|-g) opts+=("$1" "$2"); shift 2 ;;
		*) break ;;
		esac
	done
	RAW_RC=0
	"$PY" -I -S "$CLIENT" "${opts[@]}" "$PORT" "$@" >"$T/raw.out" 2>"$T/raw.err" || RAW_RC=$?
}
status_of() { head -n 1 "$T/raw.out" | tr -d '\r' | cut -d' ' -f2; }

# The unit binaries must be there, and python3 for raw clients.
need_httpd_tools() {
	if [ ! -x "$DRV" ]; then
		plan 1
		fail "httpd driver $DRV exists (run: make units)"
		exit 1
	fi
	if ! command -v curl >/dev/null || [ -z "$PY" ]; then
		plan 1
		skip "curl and python3 are needed"
		exit 0
	fi
}
