#!/bin/bash
# Starts (or stops) the development httpd of `make run`: SQLite database under
# var/db, mail written as .eml files under var/mail, logs under var/run.
#   tests/run-local.sh start [PORT]   |   tests/run-local.sh stop [PORT]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
port=${2:-8080}
var=$top/var
run=$var/run
conf=$run/httpd.conf
db=$var/db/secaction.sqlite
maildir=$var/mail

gen_conf() {
  local user=""
  if [ "$(id -u)" = 0 ]; then
    # httpd will not serve as root: its children run as www-data
    user=$'User www-data\nGroup www-data'
    chown -R www-data:www-data "$var/db" "$maildir"
  fi
  local dbinit=$'DBDInitSQL "PRAGMA busy_timeout = 10000"\nDBDInitSQL "PRAGMA foreign_keys = ON"\nDBDInitSQL "PRAGMA synchronous = NORMAL"'
  TOP="$top" PORT="$port" RUN="$run" MAILDIR="$maildir" USER_LINES="$user" DBINIT="$dbinit" \
  DBPARAMS="$db" python3 - "$top/conf/httpd.conf.in" "$conf" <<'PY'
import os, sys
text = open(sys.argv[1], encoding="utf-8").read()
subst = {"TOP": os.environ["TOP"], "PORT": os.environ["PORT"], "RUN": os.environ["RUN"],
         "LOGLEVEL": "warn", "USER": os.environ["USER_LINES"],
         "MODULE": os.environ["TOP"] + "/mod_secaction/.libs/mod_secaction.so",
         "DBDRIVER": "sqlite3", "DBPARAMS": os.environ["DBPARAMS"],
         "DBINIT": os.environ["DBINIT"], "MAILDIR": os.environ["MAILDIR"], "EXTRA": ""}
for k, v in subst.items():
    text = text.replace("@%s@" % k, v)
open(sys.argv[2], "w", encoding="utf-8").write(text)
PY
}

case ${1:-} in
  start)
    mkdir -p "$run/htdocs" "$var/db" "$maildir"
    "$top/bin/sa-dbinit" sqlite3 "$db"
    gen_conf
    if [ -f "$run/httpd.pid" ] && kill -0 "$(cat "$run/httpd.pid")" 2>/dev/null; then
      /usr/sbin/apache2 -f "$conf" -k graceful
    else
      /usr/sbin/apache2 -f "$conf" -k start
    fi
    for _ in $(seq 50); do
      curl -fsS -o /dev/null "http://127.0.0.1:$port/security/" && break
      sleep 0.1
    done
    cat <<MSG

mod_secaction is running:   http://localhost:$port/security/
status page:                http://localhost:$port/secaction-status  (?auto for machines)
mail lands in:              $maildir/*.eml
database:                   $db
logs:                       $run/error.log, $run/access.log
stop it with:               make stop
MSG
    ;;
  stop)
    if [ -f "$conf" ]; then
      /usr/sbin/apache2 -f "$conf" -k stop || true
    fi
    echo "stopped"
    ;;
  *) echo "usage: $0 start|stop [PORT]" >&2; exit 64 ;;
esac
