# bench.mk: `make bench` runs imageserving against supervisord, runit, s6 and
# daemontools on this machine (bench/bench.sh; results in build/bench/,
# explained in docs/BENCHMARKS.md). It installs the peers from Debian's
# packages if they are missing. BENCH_* variables tune it (see bench/bench.sh).
.PHONY: bench
bench: imageserving
	@IMAGESERVING_BIN=$(CURDIR)/imageserving bash bench/bench.sh

# `make hot-layout`: regenerate mk/hot.ld, the release binary's code layout,
# from callgrind profiles of a running supervisor (bench/hotprofile.sh; needs
# valgrind). Run it after changes to the daemon's steady-state paths; a stale
# layout costs memory (docs/BENCHMARKS.md, "Memory"), never correctness.
.PHONY: hot-layout
hot-layout: imageserving
	$(XCC) $(filter-out -s,$(XLDFLAGS)) $(LAYOUT_LDFLAGS) -Wl,-Map,$(BUILD)/hot.map -o $(BUILD)/imageserving.unstripped $(OBJS) $(DEPLIBS)
	bash bench/hotprofile.sh $(BUILD)/imageserving.unstripped $(BUILD)/hot.map mk/hot.ld
