# bench.mk: `make bench` runs imageserving against supervisord, runit, s6 and
# daemontools on this machine (bench/bench.sh; results in build/bench/,
# explained in docs/BENCHMARKS.md). It installs the peers from Debian's
# packages if they are missing. BENCH_* variables tune it (see bench/bench.sh).
.PHONY: bench
bench: imageserving
	@IMAGESERVING_BIN=$(CURDIR)/imageserving bash bench/bench.sh
