#!/bin/bash
# Unit test of read_file (lib/util.c) when fstat fails: tests/unit/readfile.c,
# built by `make units` into $IMAGESERVING_UNITS. A missing program is a failure.
units=${IMAGESERVING_UNITS:-$(cd "$(dirname "$0")/.." && pwd)/build/rel/tests}
if [ ! -x "$units/readfile" ]; then
	echo "1..1"
	echo "not ok 1 - unit test program $units/readfile exists (run: make units)"
	exit 1
fi
exec "$units/readfile"
