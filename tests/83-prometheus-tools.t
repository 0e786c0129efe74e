#!/bin/bash
# The Prometheus programs the endpoint tests will use: tools/deps.sh
# --prometheus puts promtool and prometheus from Debian's package into
# build/tools (once; nothing installed or started) and both must run. Where
# they cannot be had (not Debian, no mirror) the test is skipped, saying so.
. "$(dirname "$0")/lib.sh"
plan 2
dir=$ROOT/build/tools
if ! "$ROOT/tools/deps.sh" --prometheus "$dir" >"$T/deps.out" 2>&1; then
	skip "promtool/prometheus unavailable: $(tail -n 1 "$T/deps.out")"
	skip "promtool/prometheus unavailable"
	exit 0
fi
like "$("$dir/promtool" --version 2>&1 | head -n 1)" '^promtool, version [0-9]' "promtool --version"
like "$("$dir/prometheus" --version 2>&1 | head -n 1)" '^prometheus, version [0-9]' "prometheus --version"
done_testing
