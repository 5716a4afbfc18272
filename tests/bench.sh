#!/bin/bash
# make bench: throughput of the module's pages as a ratio against a static
# file of the same bytes served by the same httpd in the same run (ab, 8
# concurrent clients, loopback).  A ratio near 1.0 means a dynamic page costs
# about as much as a static one.  Then the public search at a million
# declarations on SQLite and PostgreSQL (tests/bench_search.py; seeded once
# into var/bench/seed and var/bench/pg, which this script keeps; BENCH_SEARCH=0
# skips it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
port=${BENCH_PORT:-18080}
n=${BENCH_N:-5000}
var=$top/var/bench
rm -rf "$var/run" "$var/db" "$var/mail"; mkdir -p "$var/run/htdocs" "$var/db" "$var/mail"
"$top/bin/sa-dbinit" sqlite3 "$var/db/secaction.sqlite" >/dev/null
python3 "$top/tests/genconf.py" "$var/run/httpd.conf" --port "$port" --run "$var/run" \
  --maildir "$var/mail" --driver sqlite3 --dbparams "$var/db/secaction.sqlite" --own "$var/db"
/usr/sbin/apache2 -f "$var/run/httpd.conf" -k start
httpd_up=1
stop_httpd() {
  if [ -n "$httpd_up" ]; then /usr/sbin/apache2 -f "$var/run/httpd.conf" -k stop; httpd_up=; fi
}
trap stop_httpd EXIT
base=http://127.0.0.1:$port
for _ in $(seq 50); do curl -fsS -o /dev/null "$base/security/" && break; sleep 0.1; done

rps() {   # requests per second; refuses to report a run with failures
  local out; out=$(ab -q -k -n "$n" -c 8 "$1" 2>&1)
  if echo "$out" | grep -qE "^(Failed requests: +[1-9]|Non-2xx)"; then echo "bench: failures on $1" >&2; exit 1; fi
  echo "$out" | awk '/Requests per second/ {print $4}'
}
bench_page() {   # name, path under /security
  curl -fsS "$base/security$2" -o "$var/run/htdocs/baseline-$1.html"
  rps "$base/security$2" >/dev/null          # warm up
  local dyn stat
  dyn=$(rps "$base/security$2")
  stat=$(rps "$base/baseline-$1.html")
  python3 -c "import sys; d,s=float(sys.argv[2]),float(sys.argv[3]); print('%-12s module %9.0f req/s   static %9.0f req/s   ratio %.2f' % (sys.argv[1], d, s, d/s))" "$1" "$dyn" "$stat"
}
echo "ab -k -n $n -c 8, same httpd, loopback ($(nproc) cores)"
bench_page top /
bench_page privacy /privacy
bench_page terms /entry/
stop_httpd

if [ "${BENCH_SEARCH:-1}" != 0 ]; then
  echo
  python3 "$top/tests/bench_search.py"
fi
