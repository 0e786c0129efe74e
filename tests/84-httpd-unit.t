#!/bin/bash
# Unit test of lib/httpd over socketpairs (tests/unit/httpd.c, TAP), built by
# `make units` into $IMAGESERVING_UNITS. A missing program is a failure.
units=${IMAGESERVING_UNITS:-$(cd "$(dirname "$0")/.." && pwd)/build/rel/tests}
if [ ! -x "$units/httpd" ]; then
	echo "1..1"
	echo "not ok 1 - unit test program $units/httpd exists (run: make units)"
	exit 1
fi
exec "$units/httpd"
