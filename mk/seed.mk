# build/sa-seed — the seeder of bin/sa-seed (tools/sa_seed.c), included by
# the Makefile: N accepted declarations with realistic data, written with
# the core's own rules (validators, sa_listing_text, sa_display_name) and
# APR-util's DBD, for the search benchmark (tests/bench_search.sh).
build/sa-seed: tools/sa_seed.c tools/sa_dbtool.c tools/sa_dbtool.h $(CORE_SRC) $(HEADERS)
	@mkdir -p build
	$(CC) -std=gnu11 -g -O2 $(WARN) -Imod_secaction/core -Itools $(APR_CF) $(XML_CF) \
	  -DSA_SEED_DATA_DIR='"$(TOP)/data"' -o $@ tools/sa_seed.c tools/sa_dbtool.c $(CORE_SRC) \
	  $(APR_LIBS) $(XML_LIBS) -lcrypto

# make bench-search: only the search part of make bench (tests/bench_search.py)
.PHONY: bench-search
bench-search: deps
	@$(MAKE) --no-print-directory all build/sa-seed
	@$(PYTHON) tests/bench_search.py

# build/sa-houjin-import — the importer of bin/sa-houjin-import
# (tools/sa_houjin_import.c): the NTA's corporate-number data, each row
# through the core's parser (sa_houjin), into the shared database.
build/sa-houjin-import: tools/sa_houjin_import.c tools/sa_dbtool.c tools/sa_dbtool.h $(CORE_SRC) $(HEADERS)
	@mkdir -p build
	$(CC) -std=gnu11 -g -O2 $(WARN) -Imod_secaction/core -Itools $(APR_CF) $(XML_CF) \
	  -o $@ tools/sa_houjin_import.c tools/sa_dbtool.c $(CORE_SRC) \
	  $(APR_LIBS) $(XML_LIBS) -lcrypto
