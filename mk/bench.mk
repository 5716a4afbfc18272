# make bench (tests/bench.sh -> tests/bench_pages.py): pages against static
# files, whole declarations against bcrypt, child RSS, 64 applicants on
# SQLite.  build/sa-hashbench times one bcrypt hash of the module's own
# sa_password_hash for it.  make bench-rss: the RSS check over 1,000,000
# wizard requests per database (make bench runs a 200,000-request smoke).
build/sa-hashbench: tools/sa_hashbench.c mod_secaction/core/sa_token.c $(HEADERS)
	@mkdir -p build
	$(CC) -std=gnu11 -O2 $(WARN) -Imod_secaction/core $(APR_CF) -o $@ tools/sa_hashbench.c \
	  mod_secaction/core/sa_token.c $(APR_LIBS) -lcrypto

.PHONY: bench-rss
bench-rss: deps
	@$(MAKE) --no-print-directory all build/sa-hashbench
	@BENCH_ONLY=rss BENCH_RSS_N=$${BENCH_RSS_N:-1000000} $(PYTHON) tests/bench_pages.py
