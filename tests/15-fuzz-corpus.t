#!/bin/bash
# Fuzzing regressions: every stored input, tests/fuzz/corpus (seeds, and inputs
# that reached new code) and tests/fuzz/crashers (inputs that once crashed the
# registry loader or broke an invariant of tests/fuzz/registry_fuzz.c), runs
# through the fuzz target's entry point without libFuzzer: fuzz_replay, built
# from tests/unit/fuzz_replay.c by `make units` into $IMAGESERVING_UNITS (the
# asan flavour in `make sanitize`). One test per file; files run in batches of
# 50, and a failing batch is run again file by file to name the culprit.
# A missing program is a failure.
. "$(dirname "$0")/lib.sh"
units=${IMAGESERVING_UNITS:-$ROOT/build/rel/tests}
prog=$units/fuzz_replay
if [ ! -x "$prog" ]; then
	plan 1
	fail "fuzz replay program $prog exists (run: make units)"
	exit 1
fi

files=()
for f in "$TESTS"/fuzz/corpus/* "$TESTS"/fuzz/crashers/*; do
	[ -f "$f" ] && files+=("$f")
done
if [ "${#files[@]}" -eq 0 ]; then
	plan 1
	fail "the stored fuzzing corpus is not empty"
	exit 1
fi
plan "${#files[@]}"

name() { echo "${1#"$TESTS"/}"; }
batch=50
for ((i = 0; i < ${#files[@]}; i += batch)); do
	set -- "${files[@]:i:batch}"
	if "$prog" "$@" >/dev/null 2>"$T/err"; then
		for f in "$@"; do pass "$(name "$f")"; done
		continue
	fi
	for f in "$@"; do
		if "$prog" "$f" >/dev/null 2>"$T/err"; then
			pass "$(name "$f")"
		else
			fail "$(name "$f") (exit $?)"
			sed -n '1,40s/^/# /p' "$T/err" >&2
		fi
	done
done
done_testing
