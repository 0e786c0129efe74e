# imageserving: one static multicall binary (musl + mini-XML 3.3.1).
#
#   make            build ./imageserving (musl-gcc -static, stripped)
#   make deps       install musl-gcc and fetch mini-XML's source if missing
#   make run        run the supervisor in the foreground on conf/SupervisorRegistry.xml
#   make test       build everything and run the whole test suite
#   make sanitize   build with glibc + ASan/UBSan and run the suite on that build
#   make install    PREFIX=/usr/local DESTDIR=  (binary, ImageServing link, conf/)
#   MXML_SRC=DIR    use an unpacked mini-XML 3.3.1 source tree instead of fetching

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     := build
MXML_SRC  ?= $(BUILD)/src/mxml-3.3.1

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
  XLDFLAGS := -static -s -Wl,--gc-sections
  OUT      := imageserving
  FLAVOR   := rel
endif
OBJDIR    := $(BUILD)/$(FLAVOR)
MXMLDIR   := $(BUILD)/mxml-$(FLAVOR)

SRCS      := main.c $(wildcard applets/*.c) $(wildcard lib/*.c)
OBJS      := $(SRCS:%.c=$(OBJDIR)/%.o)
LIBOBJS   := $(filter $(OBJDIR)/lib/%,$(OBJS))
HDRS      := $(wildcard lib/*.h) applets/applets.h
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNITS     := $(UNIT_SRCS:tests/unit/%.c=$(OBJDIR)/tests/%)

.PHONY: all deps run test sanitize install clean distclean check-tools units clang FORCE
.DELETE_ON_ERROR:

all: $(OUT)

# ---- dependencies --------------------------------------------------------
deps:
	@tools/deps.sh --musl --mxml $(MXML_SRC)

$(MXML_SRC)/mxml.h:
	@tools/deps.sh --mxml $(MXML_SRC)

check-tools:
ifneq ($(FLAVOR),asan)
	@command -v $(XCC) >/dev/null 2>&1 || tools/deps.sh --musl
endif

# mini-XML built from source with the same compiler as the binary.
$(MXMLDIR)/libmxml.a: | $(MXML_SRC)/mxml.h check-tools
	rm -rf $(MXMLDIR) && mkdir -p $(BUILD) && cp -R $(MXML_SRC) $(MXMLDIR)
	cd $(MXMLDIR) && CC="$(XCC)" CFLAGS="$(XCFLAGS)" LDFLAGS="$(XLDFLAGS)" \
	    ./configure --disable-shared --disable-threads >configure.out 2>&1 || \
	    { cat configure.out; exit 1; }
	$(MAKE) -C $(MXMLDIR) libmxml.a >/dev/null

# ---- our code ------------------------------------------------------------
$(OBJDIR)/%.o: %.c $(HDRS) $(MXMLDIR)/libmxml.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(XCC) $(STD) $(WARN) $(XCFLAGS) -I. -Ilib -I$(MXMLDIR) -c $< -o $@

$(OUT): $(OBJS) $(MXMLDIR)/libmxml.a
	@mkdir -p $(dir $@)
	$(XCC) $(XLDFLAGS) -o $@ $(OBJS) $(MXMLDIR)/libmxml.a

$(OBJDIR)/tests/%: tests/unit/%.c $(LIBOBJS) $(HDRS) $(MXMLDIR)/libmxml.a
	@mkdir -p $(dir $@)
	$(XCC) $(STD) $(WARN) $(XCFLAGS) -I. -Ilib -I$(MXMLDIR) $(XLDFLAGS) -o $@ $< $(LIBOBJS) $(MXMLDIR)/libmxml.a

units: $(UNITS)

# ---- running and testing -------------------------------------------------
run: $(OUT)
	./$(OUT) supervisor -f -c conf/SupervisorRegistry.xml

# The suite drives $(IMAGESERVING_BIN) (default ./imageserving); unit test
# binaries live in $(IMAGESERVING_UNITS).
# The same sources must build warning-free with clang too.
clang:
	@if command -v clang >/dev/null 2>&1; then $(MAKE) --no-print-directory FLAVOR=clang all; \
	else echo "clang not installed: skipping the clang build"; fi

test:
	@$(MAKE) --no-print-directory all units clang
	@IMAGESERVING_BIN=$(CURDIR)/imageserving IMAGESERVING_UNITS=$(CURDIR)/$(BUILD)/rel/tests \
	    perl tests/run.pl

sanitize:
	@$(MAKE) --no-print-directory FLAVOR=asan all units
	@IMAGESERVING_BIN=$(CURDIR)/$(BUILD)/asan/imageserving IMAGESERVING_UNITS=$(CURDIR)/$(BUILD)/asan/tests \
	    IMAGESERVING_SANITIZE=1 perl tests/run.pl

install: $(OUT)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/conf
	install -m 0755 $(OUT) $(DESTDIR)$(PREFIX)/bin/imageserving
	ln -sf imageserving $(DESTDIR)$(PREFIX)/bin/ImageServing
	cp -R conf/. $(DESTDIR)$(PREFIX)/conf/

# Feature fragments (benchmarks, fuzzing, soak) keep their targets in mk/*.mk.
include $(wildcard mk/*.mk)

clean:
	rm -rf $(BUILD)/rel $(BUILD)/asan $(BUILD)/clang $(BUILD)/mxml-* imageserving

distclean:
	rm -rf $(BUILD) imageserving
