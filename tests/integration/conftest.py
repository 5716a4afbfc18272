"""Integration harness: a real httpd with the module from the build tree,
real mod_dbd (SQLite or PostgreSQL), real mod_session, and build/sa-sendmail
writing mail files — all on loopback.  Each Site gets its own config tree,
database and mail folder under var/test/."""
import email
import email.header
import email.policy
import glob
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import genconf  # noqa: E402  (tests/genconf.py)

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULE = os.path.join(TOP, "mod_secaction", ".libs", "mod_secaction.so")
PG_PORT = int(os.environ.get("SA_PG_PORT", "55432"))
PG_ADMIN = "host=127.0.0.1 port=%d user=secaction password=secaction" % PG_PORT
# this run's sites: var/test/run-<pid>/<backend>-<port> (var/: see
# genconf.runtime(), a folder of its own when the checkout is not reachable)
RUN_DIR = os.path.join(genconf.runtime()[0], "test", "run-%d" % os.getpid())
BACKENDS = [b for b in os.environ.get("SA_BACKENDS", "sqlite3,pgsql").split(",") if b]


def httpd_env():
    """With SA_SANITIZE=1 (make test SANITIZE=1) the module is built with
    ASan/UBSan, whose runtime must be loaded before httpd starts; reports go
    to the error log, which the sanitizer fixture then checks."""
    env = dict(os.environ)
    if os.environ.get("SA_SANITIZE") == "1":
        libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        env["LD_PRELOAD"] = libasan
        # a small quarantine: ASan holds freed memory back (256 MB by default),
        # which would hide whether a streamed export keeps its memory flat
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:halt_on_error=0:quarantine_size_mb=16"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=0"
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    # The secretariat's console (/security/admin) is behind httpd's Basic
    # authentication (conf/httpd.conf.in); start() writes its password file.
    ADMIN_USER = "jimukyoku"
    ADMIN_PASSWORD = "Console-Test-Pw1"

    def __init__(self, backend, extra=""):
        self.backend = backend
        self.port = free_port()
        self.root = os.path.join(RUN_DIR, "%s-%d" % (backend, self.port))
        shutil.rmtree(self.root, ignore_errors=True)
        self.run = os.path.join(self.root, "run")
        self.maildir = os.path.join(self.root, "mail")
        for d in (self.run, os.path.join(self.run, "htdocs"), self.maildir,
                  os.path.join(self.root, "db")):
            os.makedirs(d, exist_ok=True)
        self.extra = extra
        self.base = "http://127.0.0.1:%d/security" % self.port
        self._make_db()
        self.conf = os.path.join(self.run, "httpd.conf")

    # --- database ------------------------------------------------------
    def _make_db(self):
        if self.backend == "sqlite3":
            self.dbfile = os.path.join(self.root, "db", "secaction.sqlite")
            self.dbparams = self.dbfile
        else:
            self.dbname = "secaction_t%d" % self.port
            self.psql(["-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s" % self.dbname])
            self.psql(["-d", "postgres", "-c", "CREATE DATABASE %s" % self.dbname])
            self.dbparams = "%s dbname=%s" % (PG_ADMIN, self.dbname)
        subprocess.run([os.path.join(TOP, "bin", "sa-dbinit"), self.backend, self.dbparams],
                       check=True, stdout=subprocess.DEVNULL)

    def psql(self, args):
        env = dict(os.environ, PGPASSWORD="secaction")
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "secaction",
                               "-qtAX", "-v", "ON_ERROR_STOP=1"] + args, env=env, check=True,
                              capture_output=True, text=True).stdout

    def sql(self, query):
        """Rows of a query, as lists of strings (for assertions only)."""
        if self.backend == "sqlite3":
            out = subprocess.run(["sqlite3", "-separator", "\t", self.dbfile, query],
                                 check=True, capture_output=True, text=True).stdout
        else:
            out = self.psql(["-d", self.dbname, "-F", "\t", "-c", query])
        return [line.split("\t") for line in out.splitlines() if line != ""]

    # --- httpd -----------------------------------------------------------
    def write_conf(self):
        text = genconf.render(self.port, self.run, self.maildir, self.backend, self.dbparams,
                              loglevel="info",
                              extra="SecActionPasswordCost 4\nSecActionMailRetry 1s\n"
                              "SecActionClientLimit 1000\n" + self.extra,
                              owned=[os.path.join(self.root, "db")])
        text = text.replace("http://localhost:%d/security" % self.port, self.base)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)

    def start(self):
        self.write_conf()
        genconf.write_admin_htpasswd(self.run, self.ADMIN_USER, self.ADMIN_PASSWORD)
        subprocess.run(["/usr/sbin/apache2", "-f", self.conf, "-k", "start"], check=True,
                       env=httpd_env())
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                requests.get(self.base + "/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("httpd did not start: " + self.error_log())

    def stop(self):
        # with the sanitizer's runtime too: without it the ASan-built module
        # does not load, the stop command fails and the server runs on
        subprocess.run(["/usr/sbin/apache2", "-f", self.conf, "-k", "stop"], check=False,
                       env=httpd_env())
        pidfile = os.path.join(self.run, "httpd.pid")
        deadline = time.time() + 30          # an ASan build takes a while to stop
        while os.path.exists(pidfile) and time.time() < deadline:
            time.sleep(0.1)
        if self.backend == "pgsql":
            try:
                self.psql(["-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.dbname])
            except subprocess.CalledProcessError:
                pass

    def error_log(self):
        try:
            return open(os.path.join(self.run, "error.log"), encoding="utf-8", errors="replace").read()
        except FileNotFoundError:
            return ""

    def url(self, path):
        return self.base + path

    def admin(self):
        """A session that authenticates as the secretariat (Basic auth in
        front of /security/admin); pass it full URLs (site.url(...))."""
        s = requests.Session()
        s.auth = (self.ADMIN_USER, self.ADMIN_PASSWORD)
        return s

    # --- mail --------------------------------------------------------------
    def mails(self):
        """Every delivered message, oldest first, parsed."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.maildir, "*.eml"))):
            with open(path, "rb") as f:
                out.append(email.message_from_binary_file(f, policy=email.policy.default))
        return out

    def mails_to(self, addr):
        return [m for m in self.mails() if addr in str(m["To"])]

    def wait_mail(self, addr, count=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.mails_to(addr)
            if len(got) >= count:
                return got
            time.sleep(0.2)
        raise AssertionError("no mail to %s after %ss; log:\n%s" % (addr, timeout, self.error_log()[-3000:]))

    def status(self):
        r = requests.get("http://127.0.0.1:%d/secaction-status?auto" % self.port, timeout=5)
        r.raise_for_status()
        return dict(line.split(": ", 1) for line in r.text.splitlines() if ": " in line)

    def set_mail_failing(self, failing):
        flag = os.path.join(self.maildir, "FAIL")
        if failing:
            open(flag, "w").close()
        elif os.path.exists(flag):
            os.unlink(flag)


def subject(msg):
    return str(email.header.make_header(email.header.decode_header(msg["Subject"])))


def body(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|runtime error:|Segmentation fault")
# Every [warn] or worse in the error log fails the test module, except the
# retry warning the sendmail-failure test causes on purpose and httpd's own
# line for a wrong console password (the access tests try one).
LOG_PROBLEM = re.compile(r"^.*\[[a-z_]+:(warn|error|crit|alert|emerg)\].*$", re.M)
EXPECTED_LOG = ("SA011", "AH01617")


def check_error_log(s):
    log = s.error_log()
    assert not SANITIZER_REPORT.search(log), log[-5000:]
    expected = EXPECTED_LOG + tuple(getattr(s, "expected_log", ()))
    problems = [m.group(0) for m in LOG_PROBLEM.finditer(log)
                if not any(code in m.group(0) for code in expected)]
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="module", params=BACKENDS)
def site(request):
    s = Site(request.param).start()
    yield s
    s.stop()
    check_error_log(s)


@pytest.fixture
def new_site():
    """Factory for a site with extra directives; stopped after the test."""
    made = []

    def make(backend, extra=""):
        s = Site(backend, extra).start()
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()
        check_error_log(s)


def session_text(site):
    """Every stored wizard session as text: mod_session's urlencoded pairs
    decoded, and the module's packed tables ('*' and base64url of
    NUL-ended keys and values) unpacked, so that a test looking for a
    secret in the table sees it whatever the encoding."""
    import base64
    import urllib.parse
    out = []
    for row in site.sql("SELECT * FROM session"):
        out.append("\t".join(row))
        for cell in row:
            for k, v in urllib.parse.parse_qsl(cell, keep_blank_values=True):
                out.append("%s=%s" % (k, v))
                if v.startswith("*"):
                    try:
                        raw = base64.urlsafe_b64decode(v[1:] + "=" * (-len(v[1:]) % 4))
                        out.append(raw.decode("utf-8", "replace").replace("\0", "\t"))
                    except ValueError:
                        out.append(v)
    return "\n".join(out)


def unique_email():
    return "tanaka.%s@example.co.jp" % secrets.token_hex(4)


def pytest_sessionstart(session):
    """Each run starts with no sites left from an earlier one (they are kept
    after a run, for reading their logs, until the next run).  A run that is
    still going (another pytest on this checkout) keeps its folder."""
    top = os.path.dirname(RUN_DIR)
    os.makedirs(top, exist_ok=True)
    for name in os.listdir(top):
        pid = name[4:] if name.startswith("run-") else ""
        if pid.isdigit() and int(pid) != os.getpid() and os.path.exists("/proc/" + pid):
            continue
        shutil.rmtree(os.path.join(top, name), ignore_errors=True)
