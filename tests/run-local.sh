#!/bin/bash
# Starts (or stops) the development httpd of `make run`: SQLite database under
# var/db, mail written as .eml files under var/mail, logs under var/run.
#   tests/run-local.sh start [PORT]   |   tests/run-local.sh stop [PORT]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
port=${2:-8080}
# the runtime folder: the checkout's var/, or a folder of its own when
# httpd's children cannot reach the checkout (tests/genconf.py --runtime)
var=$(python3 "$top/tests/genconf.py" --runtime | sed -n 1p)
run=$var/run
conf=$run/httpd.conf
db=$var/db/secaction.sqlite
maildir=$var/mail
# The secretariat's console (/security/admin) is behind Basic authentication:
# one random password per checkout, kept here (only for this user).
admin_user=jimukyoku
admin_pw=$run/admin-password

admin_password() {
  if [ ! -s "$admin_pw" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(12))' >"$admin_pw")
  fi
}

gen_conf() {
  python3 "$top/tests/genconf.py" "$conf" --port "$port" --run "$run" --maildir "$maildir" \
    --driver sqlite3 --dbparams "$db" --own "$var/db" \
    --admin-user "$admin_user" --admin-password-file "$admin_pw"
}

case ${1:-} in
  start)
    mkdir -p "$run/htdocs" "$var/db" "$maildir"
    "$top/bin/sa-dbinit" sqlite3 "$db"
    admin_password
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
事務局コンソール: http://localhost:$port/security/admin/  (user $admin_user, password $(head -n1 "$admin_pw"))
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
