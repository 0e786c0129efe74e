# httpd-fuzz.mk: fuzzing of the HTTP server's connections (libFuzzer), beside
# the registry's in fuzz.mk (whose sanitizer build of lib/ and of the
# libraries it shares). Included by the top Makefile.
#
#   make fuzz-httpd [FUZZ_SECONDS=60] [FUZZ_FLAGS=...]
#                    build build/fuzz/httpd_fuzz (clang, libFuzzer, ASan,
#                    UBSan) and fuzz for FUZZ_SECONDS. New inputs go to
#                    build/fuzz/httpd-corpus; crashes to
#                    build/fuzz/httpd-artifacts/.
#   make fuzz-httpd-build  just build the fuzzer
#   make fuzz-httpd-merge  add to the stored corpus tests/fuzz/httpd-corpus
#                    the inputs of build/fuzz/httpd-corpus that reach code it
#                    does not
#
# The stored corpus is replayed in `make test` by tests/82-httpd-fuzz-corpus.t
# through build/FLAVOR/tests/httpd_fuzz_replay (tests/unit/httpd_fuzz_replay.c).

FZH_BIN  := $(FZ_DIR)/httpd_fuzz
FZH_OPTS := -dict=tests/fuzz/httpd.dict -max_len=12288 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix=$(FZ_DIR)/httpd-artifacts/ -print_final_stats=1

.PHONY: fuzz-httpd fuzz-httpd-build fuzz-httpd-merge

$(FZH_BIN): tests/fuzz/httpd_fuzz.c $(FZ_LIBOBJS) $(FZ_DEPLIBS)
	$(FUZZ_CC) $(STD) $(WARN) $(FZ_CFLAGS) -fsanitize=fuzzer -I. -Ilib -o $@ $< $(FZ_LIBOBJS) \
	    $(FZ_DEPLIBS)

fuzz-httpd-build: $(FZH_BIN)

fuzz-httpd: $(FZH_BIN)
	@mkdir -p $(FZ_DIR)/httpd-corpus $(FZ_DIR)/httpd-artifacts
	$(FZH_BIN) $(FZH_OPTS) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    $(FZ_DIR)/httpd-corpus tests/fuzz/httpd-corpus

fuzz-httpd-merge: $(FZH_BIN)
	$(FZH_BIN) $(FZH_OPTS) -merge=1 -use_counters=0 tests/fuzz/httpd-corpus $(FZ_DIR)/httpd-corpus

$(OBJDIR)/tests/httpd_fuzz_replay: tests/fuzz/httpd_fuzz.c
