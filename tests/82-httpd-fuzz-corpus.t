#!/bin/bash
# Fuzzing regressions of the HTTP server: every input stored in
# tests/fuzz/httpd-corpus (seeds, and inputs that reached new code) runs through
# the entry point of tests/fuzz/httpd_fuzz.c without libFuzzer:
# httpd_fuzz_replay, built by `make units` into $IMAGESERVING_UNITS (the asan
# flavour in `make sanitize`). All at once; if that fails, file by file to
# name the culprit. A missing program or an empty corpus is a failure.
. "$(dirname "$0")/lib.sh"
prog=${IMAGESERVING_UNITS:-$ROOT/build/rel/tests}/httpd_fuzz_replay
files=("$TESTS"/fuzz/httpd-corpus/*)
plan 2
if [ ! -x "$prog" ] || [ ! -f "${files[0]}" ]; then
	fail "$prog and the corpus exist (run: make units)"
	fail "the corpus replays"
	exit 1
fi
pass "${#files[@]} stored inputs"
if "$prog" "${files[@]}" >/dev/null 2>"$T/err"; then
	pass "every stored input replays cleanly"
else
	for f in "${files[@]}"; do
		"$prog" "$f" >/dev/null 2>"$T/err" && continue
		diag "${f#"$TESTS"/}:" "$(sed -n 1,20p "$T/err")"
	done
	fail "every stored input replays cleanly"
fi
done_testing
