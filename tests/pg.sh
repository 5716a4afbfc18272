#!/bin/bash
# A throwaway PostgreSQL server for the integration tests, on
# 127.0.0.1:${SA_PG_PORT:-55432} with its files under ${SA_PG_DIR:-var/pg}
# (var/: the runtime folder of tests/genconf.py --runtime, which is a folder
# of its own when the postgres account cannot reach the checkout)
# and the extra server options ${SA_PG_OPTS} (the soak runs and the search
# benchmark run servers of their own through this script).
#   tests/pg.sh start | stop | status | url
# The tests connect as role "secaction" (password "secaction") and create a
# fresh database for every test session.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
port=${SA_PG_PORT:-55432}
if [ -n "${SA_PG_DIR:-}" ]; then
  base=$SA_PG_DIR
  reach=1
else
  base=$(python3 "$top/tests/genconf.py" --runtime | sed -n 1p)/pg
  reach=
fi
data=$base/data
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  # the server refuses to run as root: use the postgres account then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case ${1:-} in
  start)
    [ -z "$reach" ] || "$top/tests/reach.sh" postgres www-data
    mkdir -p "$base"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$base"
    if [ ! -f "$data/PG_VERSION" ]; then
      pwfile=$(mktemp); echo postgres > "$pwfile"; chmod 644 "$pwfile"
      as_pg "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
      rm -f "$pwfile"
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_pg "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w \
        -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off ${SA_PG_OPTS:-}" \
        start >/dev/null
    fi
    as_pg "$bindir/psql" -h "$base" -p "$port" -U postgres -qtAX -d postgres -c \
      "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='secaction') THEN
         CREATE ROLE secaction LOGIN CREATEDB PASSWORD 'secaction'; END IF; END \$\$;"
    echo "postgresql running on 127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ]; then
      as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  status)
    as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
    ;;
  url)
    echo "host=127.0.0.1 port=$port user=secaction password=secaction"
    ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 64 ;;
esac
