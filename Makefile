# mod_secaction — build, run, test.
#   make        build mod_secaction/.libs/mod_secaction.so with apxs
#   make run    install what is missing, build, create the database, start httpd on :8080
#   make stop   stop that httpd
#   make test   unit tests, then integration tests on SQLite and PostgreSQL,
#               then browser tests (headless Chromium; screenshots in var/screenshots)
#   make bench  benchmarks (ratios against a baseline in the same run;
#               make bench-search: the public search at 1M rows; make bench-rss)

SHELL      := /bin/bash
TOP        := $(abspath .)
APXS       ?= apxs
PORT       ?= 8080
SANITIZE   ?=
PYTHON     ?= /usr/bin/python3

DEBIAN_PKGS := apache2 apache2-utils apache2-dev libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql exim4-daemon-light \
               libxml2-dev libssl-dev sqlite3 libcmocka-dev pkg-config \
               python3 python3-pytest python3-requests postgresql curl \
               chromium chromium-driver python3-selenium fonts-ipafont-gothic wrk

# core/: plain C on APR, libxml2 and OpenSSL (unit-tested alone);
# httpd/: the glue that includes httpd's headers.
CORE_SRC := $(sort $(wildcard mod_secaction/core/*.c))
GLUE_SRC := $(sort $(wildcard mod_secaction/httpd/*.c))
HEADERS  := $(wildcard mod_secaction/core/*.h mod_secaction/httpd/*.h)

WARN     := -Wall -Wextra -Werror
XML_CF   := $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
XML_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null)
APR_CF   := $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null) $(shell apu-1-config --includes 2>/dev/null)
APR_LIBS := $(shell apr-1-config --link-ld --libs 2>/dev/null) $(shell apu-1-config --link-ld --libs 2>/dev/null)
comma    := ,
ifeq ($(SANITIZE),1)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer
SAN_APXS := $(foreach f,$(SAN),-Wc$(comma)$(f) -Wl$(comma)$(f))
endif

SO := mod_secaction/.libs/mod_secaction.so
# Switching SANITIZE rebuilds everything: the stamp names the flavour.
FLAVOUR := build/flavour-$(if $(SAN),sanitize,plain)

.PHONY: all deps run stop test test-run unit integration bench clean db

all: $(SO) build/sa-sendmail

# The development mail program (tools/sa_sendmail.c): one small process a
# mail, run by the server for every mail it sends in tests and benchmarks;
# linked statically, so that starting it loads no shared library (a fifth
# of its CPU time).
build/sa-sendmail: tools/sa_sendmail.c
	@mkdir -p build
	$(CC) -std=gnu11 -O2 $(WARN) -static -o $@ $<

# Installs the Debian packages that are missing (nothing else is touched).
deps:
	@missing=""; for p in $(DEBIAN_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	@# node and npm from Debian, unless a node with its npm is there already
	@# (another build of nodejs bundles npm and conflicts with Debian's)
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  echo "installing: nodejs npm"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q nodejs npm; \
	fi
	@# axe-core for the browser tests, at the version pinned in tests/browser/package-lock.json
	@want=$$(sed -n '/"node_modules\/axe-core"/,/}/s/.*"version": "\(.*\)".*/\1/p' tests/browser/package-lock.json); \
	have=$$(sed -n 's/^  "version": "\(.*\)".*/\1/p' tests/browser/node_modules/axe-core/package.json 2>/dev/null); \
	if [ "$$want" != "$$have" ]; then \
	  echo "installing: axe-core $$want (npm ci in tests/browser)"; \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	fi

$(FLAVOUR):
	@mkdir -p build && rm -f build/flavour-* && touch $@

$(SO): $(CORE_SRC) $(GLUE_SRC) $(HEADERS) $(FLAVOUR)
	cd mod_secaction && $(APXS) -c -o mod_secaction.la \
	  -Wc,-Wall -Wc,-Wextra -Wc,-Werror -Wc,-std=gnu11 -Icore -Ihttpd \
	  $(addprefix -Wc$(comma),$(XML_CF)) $(SAN_APXS) \
	  $(patsubst mod_secaction/%,%,$(CORE_SRC) $(GLUE_SRC)) $(XML_LIBS) -lcrypto >/dev/null
	@echo "built $(SO)"

# --- unit tests of the core (cmocka) -------------------------------------
UNIT_TESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))
# Each test links only the core files it exercises.
UNIT_DEPS_test_validate := mod_secaction/core/sa_validate.c mod_secaction/core/sa_form.c
UNIT_DEPS_test_tmpl     := mod_secaction/core/sa_tmpl.c
UNIT_DEPS_test_mail     := mod_secaction/core/sa_mail.c mod_secaction/core/sa_token.c mod_secaction/core/sa_buf.c
UNIT_DEPS_test_state    := mod_secaction/core/sa_state.c
UNIT_DEPS_test_kv       := mod_secaction/core/sa_kv.c
UNIT_DEPS_test_search   := mod_secaction/core/sa_search.c mod_secaction/core/sa_validate.c
UNIT_DEPS_test_csv      := mod_secaction/core/sa_csv.c
UNIT_DEPS_test_catalog  := mod_secaction/core/sa_catalog.c mod_secaction/core/sa_validate.c
UNIT_DEPS_test_postal   := mod_secaction/core/sa_postal.c mod_secaction/core/sa_csv.c mod_secaction/core/sa_form.c mod_secaction/core/sa_validate.c
UNIT_DEPS_test_policy   := mod_secaction/core/sa_policy.c
UNIT_DEPS_test_text     := mod_secaction/core/sa_text.c
UNIT_DEPS_test_houjin   := mod_secaction/core/sa_houjin.c mod_secaction/core/sa_csv.c mod_secaction/core/sa_validate.c
.SECONDEXPANSION:
build/unit/%: tests/unit/%.c $$(UNIT_DEPS_%) $(HEADERS) $(FLAVOUR)
	@mkdir -p build/unit
	$(CC) -std=gnu11 -g -O1 $(WARN) $(SAN) -Imod_secaction/core $(APR_CF) $(XML_CF) -o $@ $< $(UNIT_DEPS_$*) \
	  $(APR_LIBS) $(XML_LIBS) -lcrypto -lcmocka

unit: $(UNIT_TESTS) build/sa-sendmail
	@rc=0; for t in $(UNIT_TESTS); do echo "== $$t"; (cd $(TOP) && $$t) || rc=1; done; exit $$rc

# --- run ------------------------------------------------------------------
# deps first, then a fresh make: the compiler flags come from apr-1-config
# and pkg-config, which a fresh machine only has once deps installed them.
run: deps
	@$(MAKE) --no-print-directory all
	@tests/run-local.sh start $(PORT)

stop:
	@tests/run-local.sh stop $(PORT)

# --- tests ----------------------------------------------------------------
# Integration tests run on SQLite and on a throwaway PostgreSQL (tests/pg.sh);
# the browser tests (tests/browser) drive headless Chromium on SQLite.
test: deps
	@$(MAKE) --no-print-directory test-run

test-run: all unit
	tests/pg.sh start
	SA_SANITIZE=$(SANITIZE) $(PYTHON) -m pytest -q -ra tests/integration tests/browser; rc=$$?; tests/pg.sh stop; exit $$rc

bench: deps
	@$(MAKE) --no-print-directory all build/sa-hashbench
	@tests/bench.sh

# make fuzz (libFuzzer targets of the core) and make soak (load and fault
# runs against a real httpd), each in a file of its own
-include mk/*.mk

clean:
	rm -rf build mod_secaction/.libs mod_secaction/*/.libs mod_secaction/*.la
	find mod_secaction -name "*.o" -o -name "*.lo" -o -name "*.slo" | xargs rm -f
