# build/sa-seed — the seeder of bin/sa-seed (tools/sa_seed.c), included by
# the Makefile: N accepted declarations with realistic data, written with
# the core's own rules (validators, sa_listing_text, sa_display_name) and
# APR-util's DBD, for the search benchmark (tests/bench_search.sh).
build/sa-seed: tools/sa_seed.c $(CORE_SRC) $(HEADERS)
	@mkdir -p build
	$(CC) -std=gnu11 -g -O2 $(WARN) -Imod_secaction/core $(APR_CF) $(XML_CF) \
	  -DSA_SEED_DATA_DIR='"$(TOP)/data"' -o $@ tools/sa_seed.c $(CORE_SRC) \
	  $(APR_LIBS) $(XML_LIBS) -lcrypto

# make bench-search: only the search part of make bench (tests/bench_search.py)
.PHONY: bench-search
bench-search: deps
	@$(MAKE) --no-print-directory all build/sa-seed
	@$(PYTHON) tests/bench_search.py
