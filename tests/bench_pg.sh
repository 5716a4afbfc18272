#!/bin/bash
# The PostgreSQL of the search benchmark (tests/bench_search.py), on
# 127.0.0.1:${BENCH_PG_PORT:-55434} with its files under var/bench/pg — not
# the one of tests/pg.sh (55432, var/pg) nor of the soak runs (55433): its
# seeded databases (a million declarations) are kept between runs.
#   tests/bench_pg.sh start | stop | url
# Role "secaction" (password "secaction"), as the tests' server.  Settings
# of a small dedicated server: shared_buffers 1GB; fsync off (a benchmark's
# cache of seeded data, rebuilt when lost).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
port=${BENCH_PG_PORT:-55434}
base=$top/var/bench/pg
data=$base/data
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "bench_pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  # the server refuses to run as root: use the postgres account then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case ${1:-} in
  start)
    "$top/tests/reach.sh" postgres www-data
    mkdir -p "$base"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$base"
    if [ ! -f "$data/PG_VERSION" ]; then
      pwfile=$(mktemp); echo postgres > "$pwfile"; chmod 644 "$pwfile"
      as_pg "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
      rm -f "$pwfile"
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      # one line: pg_ctl hands the options to a shell
      opts="-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
      opts="$opts -c shared_buffers=1GB -c max_wal_size=4GB -c max_connections=100"
      as_pg "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w -o "$opts" start >/dev/null
    fi
    as_pg "$bindir/psql" -h "$base" -p "$port" -U postgres -qtAX -d postgres -c \
      "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='secaction') THEN
         CREATE ROLE secaction LOGIN CREATEDB PASSWORD 'secaction'; END IF; END \$\$;"
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ]; then
      as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  url)
    echo "host=127.0.0.1 port=$port user=secaction password=secaction"
    ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 64 ;;
esac
