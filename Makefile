# ipclab - one Makefile for the whole suite.
#
#   make               build bin/ipclab and one program per mechanism
#   make test          install Criterion if missing, build, run the tests
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan
#   make bench         the default sweep into results/ (+ charts)
#   make plots [RESULTS=dir]   re-render charts from a results directory
#   make install PREFIX=/usr/local DESTDIR=
#   make clean
#
#   make lint          the source checks: layers, programs, signal handlers
#
# Every .c in a mechanism folder (ipc/ net/ signals/ bench/limits/) is a
# mechanism and becomes bin/<name>, except the support modules listed in
# SUPPORT_SRC below, which are linked into every program instead.  The list
# is explicit on purpose: `make lint` fails if a mechanism registers no
# transport or a support file registers one, so adding a file can never
# silently lose (or gain) a program.  Every tests/*.c joins the one
# Criterion test binary.

CC       ?= cc
CFLAGS   ?= -O2 -g
LDFLAGS  ?=
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?= 0

WARNFLAGS := -Wall -Wextra -Werror
ALL_CFLAGS = -std=gnu11 $(WARNFLAGS) $(CFLAGS) -pthread -MMD -MP
LDLIBS   := -pthread -lrt -lm -lxxhash -luring

ifeq ($(SANITIZE),1)
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
  BUILD    := build/san
  BINDIR   := build/san/bin
else
  SANFLAGS :=
  BUILD    := build/obj
  BINDIR   := bin
endif
ALL_CFLAGS += $(SANFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

MECH_DIRS   := ipc net signals bench/limits
MAIN_SRC    := bench/ipclab.c bench/single.c
# Subcommands of bin/ipclab only (command.h): linked into it directly.
CMD_SRC     := bench/advise.c
BENCH_SRC   := $(filter-out $(MAIN_SRC) $(CMD_SRC),$(wildcard bench/*.c))
SUPPORT_SRC := ipc/ring.c ipc/shm_ring.c ipc/shm_wait.c ipc/unix_dgram.c \
               net/netopt.c net/served_file.c
MECH_SRC    := $(filter-out $(SUPPORT_SRC),$(wildcard $(addsuffix /*.c,$(MECH_DIRS))))
# net/remote/ (two-host mode, `ipclab serve`) is support code, every file of
# it: in the archive for bin/tcp and bin/udp, and linked whole into
# bin/ipclab and the tests, where `serve` registers itself (command.h).
REMOTE_SRC  := $(wildcard net/remote/*.c)
SUPPORT_SRC += $(REMOTE_SRC)
# net/servers/: one file per server model (bin/server_MODEL, so that a
# model called `poll` or `fork` does not pass for a system tool), plus the
# glue and the load generator they share.
SUPPORT_SRC += net/servers/server.c net/servers/conn.c \
               net/servers/connect.c net/servers/load.c \
               net/servers/load_client.c
MECH_SRC    += $(filter-out $(SUPPORT_SRC),$(wildcard net/servers/*.c))
TEST_SRC    := $(wildcard tests/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
BENCH_OBJ   := $(call obj,$(BENCH_SRC))
SUPPORT_OBJ := $(call obj,$(SUPPORT_SRC))
REMOTE_OBJ  := $(call obj,$(REMOTE_SRC))
MECH_OBJ    := $(call obj,$(MECH_SRC))
TEST_OBJ    := $(call obj,$(TEST_SRC))
LIBBENCH    := $(BUILD)/libbench.a
bin_name     = $(if $(filter net/servers/%,$(1)),server_)$(notdir $(basename $(1)))
MECH_BINS   := $(addprefix $(BINDIR)/,$(foreach m,$(MECH_SRC),$(call bin_name,$(m))))
TEST_BIN    := $(BUILD)/ipclab_tests

GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
VERSION := 0.1.0

.PHONY: all test lint bench plots compare install uninstall clean deps-test \
        deps-bench deps-lint deps-build FORCE
all: $(BINDIR)/ipclab $(MECH_BINS)

# Every program checks messages with XXH3 (bench/verify.c): Debian's
# libxxhash-dev, installed before the one object that includes it is built
# (and so before anything links), for make, make test and make bench alike.
# The io_uring transports (ipc/uring.c) use liburing (Debian liburing-dev),
# linked into every program like libxxhash.
deps-build:
	@pkg-config --exists libxxhash 2>/dev/null || [ -f /usr/include/xxhash.h ] || \
	    scripts/install-deps libxxhash-dev pkg-config
	@pkg-config --exists liburing 2>/dev/null || [ -f /usr/include/liburing.h ] || \
	    scripts/install-deps liburing-dev pkg-config
$(BUILD)/bench/verify.o $(BUILD)/ipc/uring.o: | deps-build

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The version and git revision land in one generated header, rewritten only
# when they change, so a new commit rebuilds one object, not the tree.
$(BUILD)/version.h: FORCE
	@mkdir -p $(BUILD)
	@printf '#define IPCLAB_VERSION "%s"\n#define IPCLAB_GIT_REV "%s"\n' \
	    '$(VERSION)' '$(GIT_REV)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/bench/sysinfo.o: $(BUILD)/version.h
$(BUILD)/bench/sysinfo.o: ALL_CFLAGS += -I$(BUILD)

$(LIBBENCH): $(BENCH_OBJ) $(SUPPORT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Mechanism objects are linked directly, never through an archive: they
# register themselves in a linker section and nothing else references them.
$(BINDIR)/ipclab: $(BUILD)/bench/ipclab.o $(call obj,$(CMD_SRC)) $(MECH_OBJ) \
                  $(REMOTE_OBJ) $(LIBBENCH)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

define mech_bin
$(BINDIR)/$(call bin_name,$(1)): $(BUILD)/bench/single.o $(call obj,$(1)) $(LIBBENCH)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach m,$(MECH_SRC),$(eval $(call mech_bin,$(m))))

# ---- examples: the standalone programs of the learning path -------------
# Each examples/NAME.c is a whole program (plus examples/example.h), built
# with the suite's flags into $(BINDIR)/examples/NAME; `make` builds them
# with everything else, scripts/baseline-check runs them beside ipclab.
EXAMPLE_SRC  := $(wildcard examples/*.c)
EXAMPLE_BINS := $(patsubst examples/%.c,$(BINDIR)/examples/%,$(EXAMPLE_SRC))
.PHONY: examples
examples: $(EXAMPLE_BINS)
all: examples
$(EXAMPLE_BINS): $(BINDIR)/examples/%: $(BUILD)/examples/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< -lrt

# ---- tests ---------------------------------------------------------------
CRITERION_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS   = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
$(TEST_OBJ): ALL_CFLAGS += $(CRITERION_CFLAGS) -DIPCLAB_BINDIR='"$(abspath $(BINDIR))"'

$(TEST_BIN): $(TEST_OBJ) $(MECH_OBJ) $(REMOTE_OBJ) $(LIBBENCH)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CRITERION_LIBS) $(LDLIBS)

# The tests also draw charts (gnuplot), build network namespaces (ip), run
# the Python scripts' own tests (python3) and read the manual page (man).
deps-test:
	@pkg-config --exists criterion 2>/dev/null || scripts/install-deps libcriterion-dev pkg-config
	@command -v gnuplot >/dev/null 2>&1 || scripts/install-deps gnuplot-nox
	@command -v ip >/dev/null 2>&1 || scripts/install-deps iproute2
	@command -v python3 >/dev/null 2>&1 || scripts/install-deps python3
	@command -v man >/dev/null 2>&1 || scripts/install-deps man-db

# TEST_ARGS passes options to Criterion, e.g. TEST_ARGS='--filter pipe/*'.
TEST_ARGS ?=
# The Python scripts' own tests (tests/py; test_lint.py runs in make lint).
PY_TESTS  := test_scripts.py test_advise.py test_guard.py test_install.py test_families.py
test: deps-test
	@$(MAKE) --no-print-directory all $(TEST_BIN)
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    $(TEST_BIN) --jobs 2 $(TEST_ARGS)
	@for t in $(PY_TESTS); do \
	    echo "python3 -m unittest tests/py/$$t"; \
	    IPCLAB_BINDIR=$(abspath $(BINDIR)) \
	        python3 -m unittest discover -s tests/py -p "$$t" || exit 1; \
	done

# ---- source checks ---------------------------------------------------------
deps-lint:
	@command -v python3 >/dev/null 2>&1 || scripts/install-deps python3
	@command -v shellcheck >/dev/null 2>&1 || scripts/install-deps shellcheck

# The shell scripts (the rest of scripts/ is Python) pass shellcheck.
SHELL_SCRIPTS := scripts/bench scripts/install-deps scripts/baseline-check
lint: deps-lint
	scripts/lint --support $(SUPPORT_SRC)
	shellcheck $(SHELL_SCRIPTS)
	python3 -m unittest discover -s tests/py -p 'test_lint*.py'

# ---- fuzzing: libFuzzer targets for the code that reads untrusted input ---
# Each fuzz/NAME.c is one target, build/fuzz/NAME, built by clang with
# libFuzzer, ASan and UBSan and linked with the sources in FUZZ_SRC_NAME
# (change these when the code moves); fuzz/corpus/NAME/ is its committed
# seed corpus.  `make fuzz` builds them (installing clang and its runtime
# when missing); `make test` runs each for FUZZ_RUNS inputs when clang is
# there, and says why not when it is not.  Longer: see README, Fuzzing.
FUZZ_CC      ?= clang
FUZZ_RUNS    ?= 20000
FUZZ_DIR     := build/fuzz
FUZZ_CFLAGS  := -std=gnu11 $(WARNFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_TARGETS := $(notdir $(basename $(wildcard fuzz/*.c)))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
FUZZ_SRC_parsers     := bench/util.c bench/journal.c
FUZZ_SRC_remote_wire := net/remote/wire.c net/remote/client.c net/netopt.c \
                        bench/util.c bench/journal.c bench/registry.c
.PHONY: fuzz fuzz-smoke deps-fuzz

deps-fuzz:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || scripts/install-deps clang
	@mkdir -p $(FUZZ_DIR)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return d == 0 && n; }\n' \
	    > $(FUZZ_DIR)/probe.c
	@$(FUZZ_CC) -fsanitize=fuzzer -o $(FUZZ_DIR)/probe $(FUZZ_DIR)/probe.c 2>/dev/null || \
	    scripts/install-deps libclang-rt-14-dev
	@rm -f $(FUZZ_DIR)/probe $(FUZZ_DIR)/probe.c

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

define fuzz_bin
$(FUZZ_DIR)/$(1): fuzz/$(1).c fuzz/fuzz.h $(FUZZ_SRC_$(1)) $(wildcard bench/*.h net/*.h)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ fuzz/$(1).c $(FUZZ_SRC_$(1)) $(filter-out -lxxhash -luring,$(LDLIBS))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_bin,$(t))))

# New inputs a run finds go to a scratch directory, never into the
# committed corpus; a crashing input is kept as build/fuzz/crash-*.
fuzz-smoke:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	    echo "fuzz: skipped: no $(FUZZ_CC) (Debian clang + libclang-rt-14-dev; make fuzz installs them)"; \
	elif ! mkdir -p $(FUZZ_DIR) || ! $(MAKE) --no-print-directory -s $(FUZZ_BINS) >$(FUZZ_DIR)/build.log 2>&1; then \
	    if grep -q 'libclang_rt.fuzzer' $(FUZZ_DIR)/build.log; then \
	        echo "fuzz: skipped: $(FUZZ_CC) has no libFuzzer runtime (Debian libclang-rt-14-dev; make fuzz installs it)"; \
	    else cat $(FUZZ_DIR)/build.log; exit 1; fi; \
	else \
	    for t in $(FUZZ_TARGETS); do \
	        rm -rf $(FUZZ_DIR)/new-$$t && mkdir -p $(FUZZ_DIR)/new-$$t && \
	        $(FUZZ_DIR)/$$t -runs=$(FUZZ_RUNS) -seed=1 -max_len=512 \
	            -artifact_prefix=$(FUZZ_DIR)/crash-$$t- \
	            $(FUZZ_DIR)/new-$$t fuzz/corpus/$$t >$(FUZZ_DIR)/$$t.log 2>&1 || \
	            { tail -n 30 $(FUZZ_DIR)/$$t.log; echo "fuzz: $$t FAILED (input in $(FUZZ_DIR)/crash-$$t-*)"; exit 1; }; \
	        rm -rf $(FUZZ_DIR)/new-$$t; \
	        echo "fuzz: $$t: $$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(FUZZ_DIR)/$$t.log) inputs, no failure"; \
	    done; \
	fi
test: fuzz-smoke

# ---- benchmarks, charts --------------------------------------------------
deps-bench:
	@command -v gnuplot >/dev/null 2>&1 || scripts/install-deps gnuplot-nox
	@command -v python3 >/dev/null 2>&1 || scripts/install-deps python3
	@command -v wrk >/dev/null 2>&1 || scripts/install-deps wrk   # the HTTP referee (README, servers)

QUICK ?= 0
bench: deps-bench all
	QUICK=$(QUICK) scripts/bench

RESULTS ?= results/latest
plots: deps-bench
	scripts/plots $(RESULTS)
	scripts/report $(RESULTS)

# ---- install, clean ------------------------------------------------------
# What a user gets: the programs, the scripts under their own names
# (ipclab-compare, ipclab-plots, ipclab-report: links into the scripts'
# directory, which they find through their real path), the manual page, and
# the examples with the reading order that goes with them.
SCRIPTS     := compare plots report advise
LIBDIR      := $(PREFIX)/lib/ipclab
MANDIR      := $(PREFIX)/share/man/man1
DOCDIR      := $(PREFIX)/share/doc/ipclab
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/ipclab \
	    $(DESTDIR)$(LIBDIR)/scripts/lib $(DESTDIR)$(LIBDIR)/scripts/gp \
	    $(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BINDIR)/ipclab $(DESTDIR)$(PREFIX)/bin/ipclab
	install -m 0755 $(MECH_BINS) $(DESTDIR)$(PREFIX)/libexec/ipclab/
	install -m 0755 $(addprefix scripts/,$(SCRIPTS)) $(DESTDIR)$(LIBDIR)/scripts/
	install -m 0644 scripts/lib/*.py $(DESTDIR)$(LIBDIR)/scripts/lib/
	install -m 0644 scripts/gp/*.gp $(DESTDIR)$(LIBDIR)/scripts/gp/
	for s in $(SCRIPTS); do \
	    ln -sf ../lib/ipclab/scripts/$$s $(DESTDIR)$(PREFIX)/bin/ipclab-$$s; \
	done
	install -m 0644 man/ipclab.1 $(DESTDIR)$(MANDIR)/ipclab.1
	install -m 0644 examples/*.c examples/*.h $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 README.md LEARNING.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ipclab
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/ipclab-,$(SCRIPTS))
	rm -rf $(DESTDIR)$(PREFIX)/libexec/ipclab $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(MANDIR)/ipclab.1

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
