#!/bin/bash
# tests/reach.sh USER... — fails with a clear message when a service account
# that must open files in this checkout (httpd's www-data, PostgreSQL's
# postgres) cannot reach it.  Only matters when running as root.
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || exit 0
for u in "$@"; do
  id "$u" >/dev/null 2>&1 || continue
  if ! runuser -u "$u" -- test -x "$top"; then
    echo "The checkout $top is not reachable by user $u (a parent folder lacks o+x)." >&2
    echo "Fix: chmod o+x on each parent folder, or clone under /srv or /tmp." >&2
    exit 1
  fi
done
