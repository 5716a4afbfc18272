#!/bin/bash
# The soak runs' own PostgreSQL: tests/pg.sh on 127.0.0.1:${SOAK_PG_PORT:-55433}
# with its files under var/soak/pg — not the server of `make test` (55432,
# var/pg), since soak_pg_outage stops this one on purpose.
#   tests/soak/pg.sh start | stop | status | url
top=$(cd "$(dirname "$0")/../.." && pwd)
SA_PG_PORT=${SOAK_PG_PORT:-55433} SA_PG_DIR=$top/var/soak/pg SA_PG_OPTS="-c max_connections=200" \
  exec "$top/tests/pg.sh" "$@"
