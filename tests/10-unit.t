#!/bin/bash
# Unit tests of lib/ (C programs printing TAP), built by `make units` into
# $IMAGESERVING_UNITS (default build/rel/tests). A missing program is a failure.
units=${IMAGESERVING_UNITS:-$(cd "$(dirname "$0")/.." && pwd)/build/rel/tests}
if [ ! -x "$units/registry" ]; then
	echo "1..1"
	echo "not ok 1 - unit test program $units/registry exists (run: make units)"
	exit 1
fi
exec "$units/registry"
