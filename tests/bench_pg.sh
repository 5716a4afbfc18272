#!/bin/bash
# The search benchmark's PostgreSQL: tests/pg.sh on 127.0.0.1:${BENCH_PG_PORT:-55434}
# with its files under var/bench/pg (its seeded databases of a million
# declarations are kept between runs) and the settings of a small
# dedicated server.
#   tests/bench_pg.sh start | stop | status | url
top=$(cd "$(dirname "$0")/.." && pwd)
SA_PG_PORT=${BENCH_PG_PORT:-55434} SA_PG_DIR=$top/var/bench/pg \
  SA_PG_OPTS="-c shared_buffers=1GB -c max_wal_size=4GB -c max_connections=100" \
  exec "$top/tests/pg.sh" "$@"
