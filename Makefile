# bidbroker — plain make + pkg-config.
#
#   make            build ./bidbroker
#   make check      install missing Debian packages (as root), build, run every
#                   test, then again under AddressSanitizer + UBSan
#   make demo       one ingest -> match -> digest cycle on bundled sample data
#   make bench      matching and consortium benchmarks (one JSON line each)
#   make fuzz       libFuzzer (clang) on every parser, FUZZ_SECONDS (60) each
#   make man        the manual pages (BUILD/man/*.1), made from the --help texts
#   make install    PREFIX=/usr/local DESTDIR=
#
# BUILD= puts objects elsewhere (make check uses build/ and build-asan/);
# V=1 shows the full compiler command lines.

PKGS     = libcurl jansson libpcre2-8 sqlite3 libsodium libxml-2.0 libsystemd libmicrohttpd \
           libcrypto
DEB_PKGS = build-essential pkg-config libcurl4-openssl-dev libjansson-dev \
           libpcre2-dev libsqlite3-dev libsodium-dev libxml2-dev libsystemd-dev \
           libcmocka-dev libmicrohttpd-dev libssl-dev python3 python3-aiosmtpd python3-dkim \
           systemd grep

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR  ?= $(DATADIR)/man
DESTDIR ?=
BUILD   ?= build
BIN     ?= bidbroker
VERSION := 0.1.0

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wstrict-prototypes \
           -Wmissing-prototypes -Wold-style-definition -Wpointer-arith -Wvla \
           -Wwrite-strings -Wshadow -Wno-format-nonliteral -fno-common
# Read when make reads this file: targets that may first install packages
# (check, demo, bench) therefore build in a sub-make, after `deps`.
PKG_OK     := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -DBIDBROKER_VERSION='"$(VERSION)"' -Iinclude \
             $(PKG_CFLAGS) $(WARN) -fstack-protector-strong $(CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm

ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer -O1
LDFLAGS    += -fsanitize=$(SANITIZE)
else
ALL_CFLAGS += -D_FORTIFY_SOURCE=2
endif

SRC_DIRS  = daemon daemon/base daemon/model daemon/event daemon/ingest daemon/http daemon/store \
            daemon/mail daemon/cli matchers/engine matchers/register
LIB_SRCS  = $(filter-out daemon/cli/main.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS = $(wildcard tests/bench/*.c)
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS = $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/%)
BENCH_BIN = $(BUILD)/tests/bench_match

.PHONY: all check check-one test unit integration demo demo-run bench bench-run \
        install uninstall clean deps pkgcheck lint fuzz fuzz-run man

all: $(BIN)

ifeq ($(V),1)
Q =
else
Q = @
endif

$(BUILD)/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libbidbroker.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(BUILD)/daemon/cli/main.o $(BUILD)/libbidbroker.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbidbroker.a tests/unit/testutil.h \
                 $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) -Itests/unit -o $@ $< \
	      $(BUILD)/libbidbroker.a $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

# fuzz harnesses linked with replay.c (gcc): run over tests/fuzz/corpus by run.sh
$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h \
                       $(BUILD)/libbidbroker.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/replay.c \
	      $(BUILD)/libbidbroker.a $(LDFLAGS) $(LDLIBS)

$(BENCH_BIN): $(BENCH_SRCS) $(BUILD)/libbidbroker.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(BENCH_SRCS) $(BUILD)/libbidbroker.a $(LDFLAGS) $(LDLIBS)

-include $(LIB_OBJS:.o=.d) $(BUILD)/daemon/cli/main.d

# ---- Debian packages -------------------------------------------------------
deps:
	@sh tests/deps.sh $(DEB_PKGS)

# the libraries' pkg-config files come with the -dev packages: say so plainly
pkgcheck:
ifneq ($(PKG_OK),yes)
	@pkg-config --exists --print-errors $(PKGS) || true
	@echo "build: library headers missing; 'make deps' (as root) installs them," \
	      "or run 'make demo' / 'make check', which do it first" >&2
	@exit 1
endif

# ---- tests -----------------------------------------------------------------
# test: the suite against one build (BUILD/BIN); check: deps, then normal and
# sanitizer builds.
test: $(BIN) $(UNIT_BINS) $(FUZZ_BINS)
	@BIDBROKER=$(abspath $(BIN)) UNIT_DIR=$(abspath $(BUILD)/tests) \
	  sh tests/run.sh $(TESTS)

# the browser test's Chromium: for check only (make demo needs no browser)
check: deps
	@sh tests/deps.sh chromium
	$(MAKE) test
	$(MAKE) test BUILD=build-asan BIN=build-asan/bidbroker SANITIZE=address,undefined \
	  ASAN_OPTIONS=detect_leaks=1

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done

# ---- demo and benchmark ------------------------------------------------------
# after deps, in a sub-make: the pkg-config flags are read once the packages exist
demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: $(BIN)
	@sh tests/demo.sh $(abspath $(BIN))

bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BENCH_BIN) $(BIN)
	@$(BENCH_BIN) --out $(BUILD)/bench

# ---- fuzzing (clang + libFuzzer; not part of check) ----------------------------
# make fuzz: build every tests/fuzz/fuzz_*.c with clang -fsanitize=fuzzer,
# address,undefined in FUZZ_BUILD and run each for FUZZ_SECONDS from its seed
# corpus.  New inputs go to FUZZ_BUILD/corpus/NAME, crashes to
# FUZZ_BUILD/artifacts/.  FUZZ=NAME runs one harness only.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?= -timeout=10 -rss_limit_mb=2048
FUZZ         ?= $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)

fuzz:
	$(MAKE) fuzz-run BUILD=$(FUZZ_BUILD) CC=clang SANITIZE=address,undefined \
	  FUZZ_ENGINE=1 FUZZ="$(FUZZ)"

ifdef FUZZ_ENGINE
# coverage for libFuzzer in every object; clang's warnings do not stop fuzzing
ALL_CFLAGS += -fsanitize=fuzzer-no-link -Wno-error
endif

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libbidbroker.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
	      $(BUILD)/libbidbroker.a $(LDFLAGS) $(LDLIBS)

fuzz-run: $(FUZZ:%=$(BUILD)/fuzz/fuzz_%)
	@mkdir -p $(BUILD)/artifacts
	@fail=""; for n in $(FUZZ); do \
	  mkdir -p $(BUILD)/corpus/$$n; \
	  dict=""; [ -f tests/fuzz/$$n.dict ] && dict="-dict=tests/fuzz/$$n.dict"; \
	  echo "== fuzz_$$n for $(FUZZ_SECONDS)s"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(BUILD)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/artifacts/$$n- $$dict $(FUZZ_FLAGS) \
	    $(BUILD)/corpus/$$n tests/fuzz/corpus/$$n 2>$(BUILD)/fuzz-$$n.log \
	    || { fail="$$fail $$n"; tail -n 40 $(BUILD)/fuzz-$$n.log; }; \
	  grep -E '^Done [0-9]+ runs' $(BUILD)/fuzz-$$n.log; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: crashes in:$$fail (see $(BUILD)/artifacts)"; exit 1; fi

# ---- install -------------------------------------------------------------------
# Configuration files are conffiles (as Debian treats them): installed when
# absent; when the installed one differs (staff edited it), it is kept and the
# new version is written beside it as FILE.dist, with a line saying so; an
# identical file is left alone.  The shipped bidbroker.conf names the CPV list
# as "cpv2008.json" (conf/cpv2008.json in the tree); the installed copy names
# DATADIR/bidbroker/cpv2008.json, where the list is installed.
# every conf/*.conf but the demo's: a new configuration file is a conffile too
CONF_FILES = $(filter-out conf/demo.conf,$(wildcard conf/*.conf))
CONFDIR    = $(SYSCONFDIR)/bidbroker
PKGDATADIR = $(DATADIR)/bidbroker
define install_conffile
conffile() { src=$$1; dst=$$2; \
  if [ ! -e "$$dst" ]; then install -m 644 "$$src" "$$dst"; \
  elif ! cmp -s "$$src" "$$dst"; then install -m 644 "$$src" "$$dst.dist"; \
    echo "install: kept your $$dst; the new version is $$dst.dist (compare and merge)"; fi; }
endef

# ---- manual pages ------------------------------------------------------------------
# bidbroker.1 and bidbroker-COMMAND.1 from the help texts (man/mkman.sh), so
# they say what --help says
MAN_MAIN = $(BUILD)/man/bidbroker.1

man: $(MAN_MAIN)

$(MAN_MAIN): $(BIN) man/mkman.sh
	@rm -rf $(BUILD)/man
	@sh man/mkman.sh $(abspath $(BIN)) $(BUILD)/man $(VERSION)

install: $(BIN) $(MAN_MAIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(CONFDIR)/members \
	           $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/bidbroker
	install -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 conf/cpv2008.json $(DESTDIR)$(PKGDATADIR)/cpv2008.json
	@$(install_conffile); tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT; \
	for f in $(CONF_FILES); do \
	  [ -f $$f ] || continue; \
	  sed -e 's|^cpv_reference = cpv2008.json$$|cpv_reference = $(PKGDATADIR)/cpv2008.json|' \
	      $$f > "$$tmp"; \
	  conffile "$$tmp" $(DESTDIR)$(CONFDIR)/$${f#conf/} || exit 1; done; \
	install -d $(DESTDIR)$(CONFDIR)/digest; \
	for f in conf/digest/*; do \
	  conffile "$$f" $(DESTDIR)$(CONFDIR)/digest/$${f#conf/digest/} || exit 1; done
	@# units name /usr/local/bin and /etc: rewrite them to BINDIR and SYSCONFDIR
	@for f in systemd/*.service; do \
	  [ -f $$f ] || continue; \
	  sed -e 's|/usr/local/bin/bidbroker|$(BINDIR)/bidbroker|g' \
	      -e 's|/etc/bidbroker/|$(SYSCONFDIR)/bidbroker/|g' $$f > $(DESTDIR)$(UNITDIR)/$${f#systemd/}; \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$${f#systemd/}; done
	@if [ -f systemd/bidbroker.sysusers ]; then \
	  install -d $(DESTDIR)$(PREFIX)/lib/sysusers.d; \
	  install -m 644 systemd/bidbroker.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/bidbroker.conf; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bidbroker $(DESTDIR)$(UNITDIR)/bidbroker.service \
	      $(DESTDIR)$(PKGDATADIR)/cpv2008.json $(DESTDIR)$(MANDIR)/man1/bidbroker.1 \
	      $(DESTDIR)$(MANDIR)/man1/bidbroker-*.1

lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem --include=/usr/include/jansson.h \
	  -Iinclude daemon matchers
	clang-tidy --quiet $(LIB_SRCS) daemon/cli/main.c -- $(ALL_CFLAGS)

clean:
	rm -rf build build-asan build-fuzz bidbroker demo-state
