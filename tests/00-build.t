#!/bin/bash
# The binary itself: static, stripped, small, and every applet answers --help.
. "$(dirname "$0")/lib.sh"
plan 3
if [ -n "${IMAGESERVING_SANITIZE:-}" ]; then
	for i in 1 2 3; do skip "release-binary checks do not apply to the sanitizer build"; done
	exit 0
fi
kind=$(file -b "$BIN")
like "$kind" 'statically linked|static-pie linked' "binary is statically linked"
like "$kind" 'stripped' "binary is stripped"
size=$(stat -c %s "$BIN")
ok $([ "$size" -le 262144 ]; echo $?) "binary is $size bytes, at most 256 KiB"
