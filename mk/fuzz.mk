# libFuzzer targets of the core (tests/fuzz/), included by the Makefile.
#   make fuzz          build every target and run each for FUZZ_SECONDS (60)
#   make fuzz-smoke    the same for 10 seconds each (CI)
#   make fuzz-build    only build them (build/fuzz/fuzz_NAME)
# FUZZ_TARGETS picks targets (e.g. FUZZ_TARGETS="tmpl mail"), FUZZ_JOBS how
# many run at once (default: the number of cores).  Each runs on a fresh copy
# of tests/fuzz/corpus/NAME in build/fuzz/corpus/NAME, so the seed corpus is
# never changed; a crash, leak, timeout or broken invariant is kept as
# build/fuzz/NAME-crash-* (…-leak-*, …-timeout-*, …-oom-*) with the report in
# build/fuzz/NAME.log, and makes the run fail.  Reproduce with
#   build/fuzz/fuzz_NAME build/fuzz/NAME-crash-...

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_ALL     := form validate kana mail tmpl catalog csv search houjin
FUZZ_TARGETS ?= $(FUZZ_ALL)
# clang, and the runtime that holds libFuzzer (only recommended by clang)
FUZZ_PKGS    := clang libclang-rt-dev

FUZZ_SAN    := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer -g -O1
# Pool allocations become exact-size malloc blocks (tests/fuzz/fuzz_common.c).
FUZZ_WRAP   := $(foreach f,apr_palloc apr_pstrdup apr_pstrndup apr_pstrmemdup apr_pmemdup apr_pstrcat,-Wl,--wrap=$(f))
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra $(FUZZ_SAN) -Imod_secaction/core -Itests/fuzz \
               $(APR_CF) $(XML_CF) -DSA_FUZZ_DATA_DIR='"$(TOP)/data"'

# The core files each target links (as UNIT_DEPS_* for the unit tests).
FUZZ_CORE              := mod_secaction/core
FUZZ_DEPS_form         := $(FUZZ_CORE)/sa_form.c $(FUZZ_CORE)/sa_validate.c $(FUZZ_CORE)/sa_kv.c
FUZZ_DEPS_validate     := $(FUZZ_CORE)/sa_validate.c
FUZZ_DEPS_kana         := $(FUZZ_CORE)/sa_validate.c
FUZZ_DEPS_mail         := $(FUZZ_CORE)/sa_mail.c $(FUZZ_CORE)/sa_token.c $(FUZZ_CORE)/sa_buf.c
FUZZ_DEPS_tmpl         := $(FUZZ_CORE)/sa_tmpl.c
FUZZ_DEPS_catalog      := $(FUZZ_CORE)/sa_catalog.c $(FUZZ_CORE)/sa_validate.c
FUZZ_DEPS_csv          := $(FUZZ_CORE)/sa_csv.c
FUZZ_DEPS_search       := $(FUZZ_CORE)/sa_search.c $(FUZZ_CORE)/sa_validate.c
FUZZ_DEPS_houjin       := $(FUZZ_CORE)/sa_houjin.c $(FUZZ_CORE)/sa_csv.c $(FUZZ_CORE)/sa_validate.c

FUZZ_BINS := $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-smoke fuzz-deps fuzz-build fuzz-run

# clang with its runtime, installed as deps installs the rest.
fuzz-deps:
	@$(MAKE) --no-print-directory deps
	@missing=""; for p in $(FUZZ_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# A fresh make after the install: APR_CF and XML_CF come from tools that a
# new machine only has once deps installed them.
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) fuzz-build
	@$(MAKE) --no-print-directory fuzz-run

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

fuzz-build: $(FUZZ_BINS)

fuzz-run:
	@tests/fuzz/run.sh "$(FUZZ_SECONDS)" "$(FUZZ_JOBS)" $(FUZZ_TARGETS)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c tests/fuzz/fuzz_common.h \
                   $$(FUZZ_DEPS_$$*) $(HEADERS)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< tests/fuzz/fuzz_common.c $(FUZZ_DEPS_$*) \
	  $(FUZZ_WRAP) $(APR_LIBS) $(XML_LIBS) -lcrypto
