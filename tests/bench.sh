#!/bin/bash
# make bench: the module's pages against static files of the same bytes,
# whole declarations against bcrypt, child RSS and 64 applicants at once
# on SQLite, on SQLite and PostgreSQL (tests/bench_pages.py, which says
# what each figure is; PostgreSQL is tests/bench_pg.sh's server).  About
# 10 minutes.  The public search at a million declarations is
# make bench-search (tests/bench_search.py; its first run seeds for long);
# BENCH_SEARCH=1 runs it here too, after the rest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rc=0
/usr/bin/python3 "$top/tests/bench_pages.py" || rc=$?
if [ "${BENCH_SEARCH:-0}" != 0 ]; then
  echo
  /usr/bin/python3 "$top/tests/bench_search.py" || rc=$?
fi
exit $rc
