# fuzz.mk: fuzzing of the registry loader (libFuzzer) and the valgrind run of
# the daemon. Included by the top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_FLAGS=...]
#                    build build/fuzz/registry_fuzz (clang, libFuzzer, ASan,
#                    UBSan; mini-XML built the same way in build/mxml-fuzz)
#                    and fuzz for FUZZ_SECONDS. New inputs go to
#                    build/fuzz/corpus; crashes to build/fuzz/artifacts/.
#   make fuzz-build  just build the fuzzer
#   make fuzz-merge  add to the stored corpus tests/fuzz/corpus the inputs of
#                    build/fuzz/corpus that reach code it does not
#   make valgrind    build build/valgrind/imageserving (gcc, glibc, no
#                    sanitizer) and run tests/valgrind.sh on it
#
# The stored corpus and tests/fuzz/crashers are replayed in `make test` by
# tests/15-fuzz-corpus.t, through build/FLAVOR/tests/fuzz_replay (built from
# tests/unit/fuzz_replay.c like every unit test).

FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_CC      ?= clang
FZ_DIR       := $(BUILD)/fuzz
FZ_MXML      := $(BUILD)/mxml-fuzz
FZ_LLHTTP    := $(BUILD)/llhttp-fuzz
FZ_DEPLIBS   := $(FZ_MXML)/libmxml.a $(FZ_LLHTTP)/libllhttp.a
FZ_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all
FZ_CFLAGS    := -O1 -g -fno-omit-frame-pointer $(FZ_SAN) -fsanitize=fuzzer-no-link -DIS_SANITIZE=1
FZ_LIBOBJS   := $(patsubst %.c,$(FZ_DIR)/%.o,$(LIB_SRCS))
FZ_BIN       := $(FZ_DIR)/registry_fuzz
FZ_OPTS      := -dict=tests/fuzz/registry.dict -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix=$(FZ_DIR)/artifacts/ -print_final_stats=1

.PHONY: fuzz fuzz-build fuzz-merge valgrind valgrind-build clean-fuzz

# mini-XML and llhttp with clang, the sanitizers and coverage.
$(FZ_MXML)/libmxml.a: | $(MXML_SRC)/mxml.h
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzzing needs $(FUZZ_CC) (apt-get install clang)"; exit 1; }
	$(call build_mxml,$(FZ_MXML),FUZZ_CC,FZ_CFLAGS,FZ_SAN)

$(FZ_LLHTTP)/libllhttp.a: | $(LLHTTP_SRC)/include/llhttp.h
	$(call build_llhttp,$(FZ_LLHTTP),FUZZ_CC,FZ_CFLAGS)

$(FZ_DIR)/lib/%.o: lib/%.c $(FZ_DEPLIBS)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	@$(FUZZ_CC) $(STD) $(WARN) $(DEPFLAGS) $(FZ_CFLAGS) -I. -Ilib -I$(FZ_MXML) -I$(FZ_LLHTTP) -c $< -o $@

$(FZ_BIN): tests/fuzz/registry_fuzz.c $(FZ_LIBOBJS) $(FZ_DEPLIBS)
	$(FUZZ_CC) $(STD) $(WARN) $(FZ_CFLAGS) -fsanitize=fuzzer -I. -Ilib -o $@ $< $(FZ_LIBOBJS) \
	    $(FZ_DEPLIBS)

fuzz-build: $(FZ_BIN)

# The first corpus directory receives new inputs; the stored ones are seeds.
fuzz: $(FZ_BIN)
	@mkdir -p $(FZ_DIR)/corpus $(FZ_DIR)/artifacts
	$(FZ_BIN) $(FZ_OPTS) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    $(FZ_DIR)/corpus tests/fuzz/corpus tests/fuzz/crashers

# Edges only (no hit counters): a few inputs per new edge, not thousands.
fuzz-merge: $(FZ_BIN)
	$(FZ_BIN) $(FZ_OPTS) -merge=1 -use_counters=0 tests/fuzz/corpus $(FZ_DIR)/corpus

# The replay driver includes the fuzz target: rebuild it when that changes.
$(OBJDIR)/tests/fuzz_replay: tests/fuzz/registry_fuzz.c

# ---- valgrind ------------------------------------------------------------
# A plain glibc build (no sanitizer, vfork as in release) for valgrind: gcc,
# DWARF 4 (valgrind 3.19 cannot read the DWARF 5 forms clang 14 emits, so the
# clang flavour's binary is unusable under it).
VG_CC     ?= gcc
VG_CFLAGS := -O1 -g -gdwarf-4 -fno-omit-frame-pointer
VG_NONE   :=
VG_DIR    := $(BUILD)/valgrind
VG_MXML   := $(BUILD)/mxml-valgrind
VG_LLHTTP := $(BUILD)/llhttp-valgrind
VG_DEPLIBS := $(VG_MXML)/libmxml.a $(VG_LLHTTP)/libllhttp.a
VG_OBJS   := $(SRCS:%.c=$(VG_DIR)/%.o)
VG_BIN    := $(VG_DIR)/imageserving

$(VG_MXML)/libmxml.a: | $(MXML_SRC)/mxml.h
	$(call build_mxml,$(VG_MXML),VG_CC,VG_CFLAGS,VG_NONE)

$(VG_LLHTTP)/libllhttp.a: | $(LLHTTP_SRC)/include/llhttp.h
	$(call build_llhttp,$(VG_LLHTTP),VG_CC,VG_CFLAGS)

$(VG_DIR)/%.o: %.c $(VG_DEPLIBS)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (valgrind)"
	@$(VG_CC) $(STD) $(WARN) $(DEPFLAGS) $(VG_CFLAGS) -I. -Ilib -I$(VG_MXML) -I$(VG_LLHTTP) -c $< -o $@

$(VG_BIN): $(VG_OBJS) $(VG_DEPLIBS)
	$(VG_CC) -o $@ $(VG_OBJS) $(VG_DEPLIBS)

valgrind-build: $(VG_BIN)

valgrind: $(VG_BIN)
	IMAGESERVING_BIN=$(CURDIR)/$(VG_BIN) tests/valgrind.sh

clean-fuzz:
	rm -rf $(FZ_DIR) $(FZ_MXML) $(FZ_LLHTTP) $(VG_DIR) $(VG_MXML) $(VG_LLHTTP)

clean: clean-fuzz
