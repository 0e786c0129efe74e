#!/bin/bash
# Unit tests in C (programs printing TAP), built by `make units` into
# $IMAGESERVING_UNITS (default build/rel/tests): the registry loader, the
# server lifecycle table, read_file when fstat fails, lib/httpd over
# socketpairs, the run directory scan against the loader, the /proc stat reader,
# fmt_bytes against printf, the children lists. Their TAP is
# renumbered into one plan; a missing or crashing program is a failure.
units=${IMAGESERVING_UNITS:-$(cd "$(dirname "$0")/.." && pwd)/build/rel/tests}
n=0
for prog in registry lifecycle readfile httpd rundirscan procstat spawn fmtbytes procchildren; do
	if [ ! -x "$units/$prog" ]; then
		n=$((n + 1)); echo "not ok $n - unit test program $units/$prog exists (run: make units)"
		continue
	fi
	out=$("$units/$prog"); rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*|"not ok "*)
			n=$((n + 1))
			status=${line%% [0-9]*}; rest=${line#* [0-9]* }; rest=${rest#"- "}
			echo "$status $n - $prog: $rest" ;;
		"#"*) echo "$line" ;;
		esac
	done <<<"$out"
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then echo "ok $n - $prog exits 0"; else echo "not ok $n - $prog exits 0 (got $rc)"; fi
done
echo "1..$n"
