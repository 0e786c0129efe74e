# imageserving: one static multicall binary (musl + mini-XML 3.3.1 + llhttp 8.1.0).
#
#   make            build ./imageserving (musl-gcc -static, stripped)
#   make deps       install musl-gcc and fetch mini-XML's and llhttp's sources if missing
#   make run        run the supervisor in the foreground on conf/SupervisorRegistry.xml
#   make test       build everything and run the whole test suite
#   make sanitize   build with glibc + ASan/UBSan and run the suite on that build
#   make install    PREFIX=/usr/local DESTDIR=  (binary, links, conf/, man pages, systemd
#                   unit, logrotate rule, bash completion; edited configuration is kept)
#   make uninstall  remove exactly what make install put there (its manifest)
#   make image      an OCI image archive of the FROM scratch container (build/imageserving-oci.tar)
#   MXML_SRC=DIR    use an unpacked mini-XML 3.3.1 source tree instead of fetching
#   LLHTTP_SRC=DIR  use an llhttp 8.1.0 release tree (include/llhttp.h, src/*.c)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
SYSCONFDIR ?= /etc
MANDIR    ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(SYSCONFDIR)/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)" MANDIR="$(MANDIR)" \
	      SYSTEMDUNITDIR="$(SYSTEMDUNITDIR)" BASHCOMPDIR="$(BASHCOMPDIR)"
BUILD     := build
MXML_SRC  ?= $(BUILD)/src/mxml-3.3.1
LLHTTP_SRC ?= $(BUILD)/src/llhttp-8.1.0

WARN      := -Wall -Wextra -Werror -Wimplicit-fallthrough -Wformat=2 -Wshadow \
             -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
STD       := -std=c11 -D_GNU_SOURCE -DIS_VERSION='"$(VERSION)"'

# Flavour-specific settings; the inner rules below are run with FLAVOR set.
ifeq ($(FLAVOR),asan)
  XCC      ?= gcc
  XCFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -DIS_SANITIZE=1
  XLDFLAGS := -fsanitize=address,undefined
  OUT      := $(BUILD)/asan/imageserving
else ifeq ($(FLAVOR),clang)
  XCC      ?= clang
  XCFLAGS  := -O2 -g
  XLDFLAGS :=
  OUT      := $(BUILD)/clang/imageserving
else
  XCC      ?= musl-gcc
  XCFLAGS  := -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector
  # noseparate-code: text and read-only data share one segment, as before
  # binutils 2.31, instead of being padded apart to page boundaries: 8 KiB
  # less file and fewer pages mapped (SPEC §9: ≤ 256 KiB, PSS).
  XLDFLAGS := -static -s -Wl,--gc-sections -Wl,-z,noseparate-code
  OUT      := imageserving
  # mk/hot.ld: the running supervisor's code in one place (daemon/trim.c);
  # the binary's link only (not the libraries' configure, run elsewhere).
  LAYOUT   := mk/hot.ld
  LAYOUT_LDFLAGS := -Wl,-T,$(CURDIR)/$(LAYOUT)
  FLAVOR   := rel
endif
OBJDIR    := $(BUILD)/$(FLAVOR)
MXMLDIR   := $(BUILD)/mxml-$(FLAVOR)
LLHTTPDIR := $(BUILD)/llhttp-$(FLAVOR)
# Every flavour's objects see both libraries' headers; both archives are linked.
DEPINC    := -I$(MXMLDIR) -I$(LLHTTPDIR)
DEPLIBS   := $(MXMLDIR)/libmxml.a $(LLHTTPDIR)/libllhttp.a

# Sources by directory: the daemon, the libraries (lib/registry/ is the only
# user of mxml.h), the applets. Header dependencies come from -MMD.
LIB_SRCS  := $(wildcard lib/*.c) $(wildcard lib/registry/*.c)
DMN_SRCS  := $(wildcard daemon/*.c)
SRCS      := main.c $(wildcard applets/*.c) $(DMN_SRCS) $(LIB_SRCS)
OBJS      := $(SRCS:%.c=$(OBJDIR)/%.o)
LIBOBJS   := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
DMNOBJS   := $(DMN_SRCS:%.c=$(OBJDIR)/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNITS     := $(UNIT_SRCS:tests/unit/%.c=$(OBJDIR)/tests/%)
DEPFLAGS  := -MMD -MP

.PHONY: all deps run test test-tools sanitize install uninstall image clean distclean check-tools units clang FORCE
.DELETE_ON_ERROR:

all: $(OUT)

# ---- dependencies --------------------------------------------------------
deps:
	@tools/deps.sh --musl --mxml $(MXML_SRC) --llhttp $(LLHTTP_SRC)

$(MXML_SRC)/mxml.h:
	@tools/deps.sh --mxml $(MXML_SRC)

$(LLHTTP_SRC)/include/llhttp.h:
	@tools/deps.sh --llhttp $(LLHTTP_SRC)

check-tools:
ifneq ($(FLAVOR),asan)
	@command -v $(XCC) >/dev/null 2>&1 || tools/deps.sh --musl
endif

# $(call build_mxml,DIR,CC-VAR,CFLAGS-VAR,LDFLAGS-VAR): mini-XML from
# $(MXML_SRC) into DIR with the given compiler and flags (variable names, not
# values, are passed: the flags hold commas). The one recipe for every flavour
# (release, sanitizer, clang, fuzz, valgrind). It copies the tree's contents:
# were MXML_SRC a symlink, copying the link would configure and build inside
# the source tree itself, and every flavour would share (and break) it.
define build_mxml
	rm -rf $(1) && mkdir -p $(1) && cp -R $(MXML_SRC)/. $(1)/
	cd $(1) && CC="$($(2))" CFLAGS="$($(3))" LDFLAGS="$($(4))" \
	    ./configure --disable-shared --disable-threads >configure.out 2>&1 || \
	    { cat configure.out; exit 1; }
	$(MAKE) -C $(1) libmxml.a >/dev/null
endef

# $(call build_llhttp,DIR,CC-VAR,CFLAGS-VAR): llhttp's three C files from
# $(LLHTTP_SRC) into DIR/libllhttp.a (its header beside it), in strict mode,
# with the given compiler and flags; the one recipe for every flavour.
define build_llhttp
	rm -rf $(1) && mkdir -p $(1) && cp $(LLHTTP_SRC)/include/llhttp.h $(1)/
	for f in api http llhttp; do \
	    $($(2)) $($(3)) -DLLHTTP_STRICT_MODE=1 -I$(1) -c $(LLHTTP_SRC)/src/$$f.c -o $(1)/$$f.o || exit 1; \
	done
	$(AR) rcs $(1)/libllhttp.a $(1)/api.o $(1)/http.o $(1)/llhttp.o
endef

# mini-XML and llhttp built from source with the same compiler as the binary.
$(MXMLDIR)/libmxml.a: | $(MXML_SRC)/mxml.h check-tools
	$(call build_mxml,$(MXMLDIR),XCC,XCFLAGS,XLDFLAGS)

$(LLHTTPDIR)/libllhttp.a: | $(LLHTTP_SRC)/include/llhttp.h check-tools
	$(call build_llhttp,$(LLHTTPDIR),XCC,XCFLAGS)

# ---- our code ------------------------------------------------------------
$(OBJDIR)/%.o: %.c $(DEPLIBS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(XCC) $(STD) $(WARN) $(DEPFLAGS) $(XCFLAGS) -I. -Ilib $(DEPINC) -c $< -o $@

$(OUT): $(OBJS) $(DEPLIBS) $(LAYOUT)
	@mkdir -p $(dir $@)
	$(XCC) $(XLDFLAGS) $(LAYOUT_LDFLAGS) -o $@ $(OBJS) $(DEPLIBS)

# A unit test links the libraries and the daemon's objects except its entry
# point (daemon/main.o), so lifecycle code can be driven without processes.
UNIT_DMNOBJS := $(filter-out $(OBJDIR)/daemon/main.o,$(DMNOBJS))
$(OBJDIR)/tests/%: tests/unit/%.c $(LIBOBJS) $(UNIT_DMNOBJS) $(DEPLIBS)
	@mkdir -p $(dir $@)
	$(XCC) $(STD) $(WARN) $(DEPFLAGS) $(XCFLAGS) -I. -Ilib $(DEPINC) $(XLDFLAGS) -o $@ $< $(LIBOBJS) \
	    $(UNIT_DMNOBJS) $(DEPLIBS)

units: $(UNITS)

# ---- running and testing -------------------------------------------------
run: $(OUT)
	@tools/run.sh ./$(OUT) conf/SupervisorRegistry.xml

# The suite drives $(IMAGESERVING_BIN) (default ./imageserving); unit test
# binaries live in $(IMAGESERVING_UNITS).
# The same sources must build warning-free with clang too.
clang:
	@if command -v clang >/dev/null 2>&1; then $(MAKE) --no-print-directory FLAVOR=clang all; \
	else echo "clang not installed: skipping the clang build"; fi

test-tools:
	@tools/deps.sh --tool jq

test: test-tools
	@$(MAKE) --no-print-directory all units clang
	@IMAGESERVING_BIN=$(CURDIR)/imageserving IMAGESERVING_UNITS=$(CURDIR)/$(BUILD)/rel/tests \
	    perl tests/run.pl

sanitize: test-tools
	@$(MAKE) --no-print-directory FLAVOR=asan all units
	@IMAGESERVING_BIN=$(CURDIR)/$(BUILD)/asan/imageserving IMAGESERVING_UNITS=$(CURDIR)/$(BUILD)/asan/tests \
	    IMAGESERVING_SANITIZE=1 perl tests/run.pl

# Conventional places; configuration the operator edited is never
# overwritten (the new one goes beside it as .new), and uninstall removes
# only what the manifest lists, unchanged (tools/install.sh).
install: $(OUT)
	@$(INSTALL_ENV) tools/install.sh install $(OUT)

uninstall:
	@$(INSTALL_ENV) tools/install.sh uninstall

# The FROM scratch container image (Dockerfile) as an OCI image archive, built
# without a container daemon. Its servers are a static stand-in program: the
# image has no shell for conf/standin/'s scripts.
STANDIN := $(BUILD)/standin
$(STANDIN): conf/container/standin.c | check-tools
	@mkdir -p $(dir $@)
	musl-gcc $(STD) $(WARN) -Os -static -s -o $@ $<

image: $(BUILD)/imageserving-oci.tar
$(BUILD)/imageserving-oci.tar: imageserving $(STANDIN) conf/container/SupervisorRegistry.xml Dockerfile tools/mkimage.sh
	tools/mkimage.sh imageserving $(STANDIN) conf/container/SupervisorRegistry.xml Dockerfile $@

-include $(OBJS:.o=.d) $(UNITS:=.d)

# Feature fragments (benchmarks, fuzzing, soak) keep their targets in mk/*.mk.
include $(wildcard mk/*.mk)

clean:
	rm -rf $(BUILD)/rel $(BUILD)/asan $(BUILD)/clang $(BUILD)/mxml-* $(BUILD)/llhttp-* imageserving

distclean:
	rm -rf $(BUILD) imageserving
