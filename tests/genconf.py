"""Fills conf/httpd.conf.in: the one place that knows how a development,
benchmark or test httpd is configured for each database.  Used by
tests/run-local.sh (make run), tests/bench.sh (make bench) and the
integration tests.

    python3 tests/genconf.py OUT --port P --run DIR --maildir DIR \
        --driver sqlite3|pgsql --dbparams PARAMS [--loglevel L] [--extra TEXT] \
        [--admin-user USER --admin-password-file FILE]

With --admin-user, it also writes RUN/admin.htpasswd (the password file of
the secretariat's console, see write_admin_htpasswd) with the password read
from the first line of FILE.

    python3 tests/genconf.py --runtime

prints the folder for runtime files and the folder of the files httpd's
children read (see runtime()), one a line, for the shell scripts.
"""
import argparse
import hashlib
import os
import pwd
import shutil
import subprocess
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# apr-util's sqlite3 driver runs a process's statements one at a time under
# one lock and, on a busy database, retries only 16 times 0.1 s apart.  So a
# SQLite site runs one child process whose threads share that lock (no
# busy_timeout: see conf/secaction.conf), with a second scoreboard slot for
# the new child of a graceful restart; PostgreSQL has no such limit.
MPM = {
    "sqlite3": "ServerLimit 2\nStartServers 1\nThreadsPerChild 32\nMaxRequestWorkers 32\n"
               "MinSpareThreads 4\nMaxSpareThreads 32",
    "pgsql": "ServerLimit 4\nStartServers 1\nThreadsPerChild 16\nMaxRequestWorkers 64\n"
             "MinSpareThreads 4\nMaxSpareThreads 32",
}
# No DBDInitSQL for SQLite: see conf/secaction.conf.
DBINIT = {
    "sqlite3": "DBDMin 1\nDBDKeep 8\nDBDMax 16",
    "pgsql": "DBDMin 0\nDBDKeep 2\nDBDMax 8",
}


# What httpd's children (www-data) and the test PostgreSQL (postgres) open
# at run time besides the runtime folder: the development sendmail program
# (build/sa-sendmail), the logo files under templates/, and what the module
# reads at start-up.
SHARED = ("bin", "templates", "data", os.path.join("build", "sa-sendmail"))
SERVICE_USERS = ("www-data", "postgres")


def _reachable(user):
    try:
        pwd.getpwnam(user)
    except KeyError:
        return True
    probe = os.path.join(TOP, "templates", "messages.txt")
    return subprocess.run(["runuser", "-u", user, "--", "test", "-r", probe], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def _readable_copy(src, dst):
    """dst anew as a copy of src (a folder or a file) that every user may read."""
    tmp = "%s.new-%d" % (dst, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
    if os.path.isdir(src):
        shutil.copytree(src, tmp, symlinks=False)
    else:
        shutil.copy2(src, tmp)
        os.chmod(tmp, 0o755)
    for dirpath, dirs, files in os.walk(tmp):
        os.chmod(dirpath, 0o755)
        for f in files:
            path = os.path.join(dirpath, f)
            os.chmod(path, 0o755 if os.stat(path).st_mode & 0o100 else 0o644)
    old = "%s.old-%d" % (dst, os.getpid())
    if os.path.exists(dst):
        os.rename(dst, old)
    os.rename(tmp, dst)
    if os.path.isdir(old):
        shutil.rmtree(old, ignore_errors=True)
    elif os.path.exists(old):
        os.remove(old)


def runtime():
    """(var, share): the folder of runtime files (databases, mail, logs:
    normally the checkout's var/) and the folder holding bin/, templates/
    and data/ for the service accounts (normally the checkout).

    As root, when www-data or postgres cannot read the checkout (a clone in
    root's home, say), both are a folder of this checkout's own under
    /var/tmp (secaction-<hash of the checkout's path>): runtime files go
    there and SHARED is copied there, readable, anew in each process tree.
    Nothing outside the checkout changes permissions.  SA_STAGE=1 stages
    even when the checkout is reachable (the tests of the staging do)."""
    if os.environ.get("SA_RUNTIME_VAR"):
        return os.environ["SA_RUNTIME_VAR"], os.environ["SA_RUNTIME_SHARE"]
    var, share = os.path.join(TOP, "var"), TOP
    stage = os.environ.get("SA_STAGE") == "1" or (
        os.geteuid() == 0 and not all(_reachable(u) for u in SERVICE_USERS))
    if stage:
        var = "/var/tmp/secaction-%s" % hashlib.sha1(TOP.encode()).hexdigest()[:12]
        share = os.path.join(var, "share")
        os.makedirs(share, exist_ok=True)
        os.chmod(var, 0o755)
        os.chmod(share, 0o755)
        for d in SHARED:
            _readable_copy(os.path.join(TOP, d), os.path.join(share, d))
    os.environ["SA_RUNTIME_VAR"], os.environ["SA_RUNTIME_SHARE"] = var, share
    return var, share


def give_to_httpd_user(paths):
    """httpd will not serve as root: its children run as www-data, which
    must own the database and mail folders."""
    if os.geteuid() != 0:
        return ""
    w = pwd.getpwnam("www-data")
    for top in paths:
        for dirpath, _, files in os.walk(top):
            os.chown(dirpath, w.pw_uid, w.pw_gid)
            for f in files:
                os.chown(os.path.join(dirpath, f), w.pw_uid, w.pw_gid)
    return "User www-data\nGroup www-data"


def write_admin_htpasswd(run_dir, user, password):
    """Writes run_dir/admin.htpasswd, the file AuthUserFile of
    conf/httpd.conf.in names, with one bcrypt entry for user, made by
    htpasswd of Debian's apache2-utils (htpasswd -B, its default cost).  The
    password goes to htpasswd on its standard input (-i), not in its
    arguments, so other processes cannot read it.  As root, the file is
    given to www-data, whose httpd children read it at every request.
    Returns the file's path."""
    path = os.path.join(run_dir, "admin.htpasswd")
    subprocess.run(["htpasswd", "-B", "-c", "-i", path, user], input=password + "\n",
                   text=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if os.geteuid() == 0:
        w = pwd.getpwnam("www-data")
        os.chown(path, w.pw_uid, w.pw_gid)
    os.chmod(path, 0o640)
    return path


def render(port, run, maildir, driver, dbparams, loglevel="warn", extra="", owned=()):
    text = open(os.path.join(TOP, "conf", "httpd.conf.in"), encoding="utf-8").read()
    subst = {
        "TOP": TOP, "SHARE": runtime()[1], "PORT": str(port), "RUN": run, "LOGLEVEL": loglevel,
        "USER": give_to_httpd_user(list(owned) + [maildir]),
        "MODULE": os.path.join(TOP, "mod_secaction", ".libs", "mod_secaction.so"),
        "MPM": MPM[driver], "DBDRIVER": driver, "DBPARAMS": dbparams,
        "DBINIT": DBINIT[driver], "MAILDIR": maildir, "EXTRA": extra,
    }
    for k, v in subst.items():
        text = text.replace("@%s@" % k, v)
    return text


def main():
    if sys.argv[1:] == ["--runtime"]:
        print("\n".join(runtime()))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--port", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--driver", default="sqlite3")
    ap.add_argument("--dbparams", required=True)
    ap.add_argument("--loglevel", default="warn")
    ap.add_argument("--extra", default="")
    ap.add_argument("--own", action="append", default=[], help="folder for www-data")
    ap.add_argument("--admin-user", help="write RUN/admin.htpasswd for this user")
    ap.add_argument("--admin-password-file", help="its password (first line)")
    a = ap.parse_args()
    if a.admin_user:
        if not a.admin_password_file:
            ap.error("--admin-user needs --admin-password-file")
        with open(a.admin_password_file, encoding="utf-8") as f:
            password = f.readline().rstrip("\n")
        write_admin_htpasswd(a.run, a.admin_user, password)
    text = render(a.port, a.run, a.maildir, a.driver, a.dbparams, a.loglevel, a.extra, a.own)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
