"""Shared parts of the soak and fault runs (tests/soak/soak_*.py): the site
(the integration tests' Site, from tests/integration/conftest.py, with its
folders under var/soak/ and its PostgreSQL being the soak's own,
tests/soak/pg.sh), clients that walk the wizard the way a browser does and
count every answer, the mail folder read as a mailbox, and the result of a
run (figures and checks) that run.py prints as one table.

Everything talks to 127.0.0.1 only.  Each client has a loopback source
address of its own (127.0.0.10, .11, …), as separate applicants would, so
the per-client limit (SecActionClientLimit, at most 1000 an hour) is not
what a long run measures."""
import collections
import email
import email.policy
import html
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
# the soak's own PostgreSQL (tests/soak/pg.sh), read by conftest at import
SOAK_PG_PORT = os.environ.get("SOAK_PG_PORT", "55433")
os.environ["SA_PG_PORT"] = SOAK_PG_PORT

import requests                      # noqa: E402
import urllib3.connection            # noqa: E402
import urllib3.connectionpool        # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

import conftest                      # noqa: E402
from conftest import Site            # noqa: E402
from wizard import CORP, ONE_STAR, SOLE, TWO_STAR  # noqa: E402,F401

SOAK_DIR = os.path.join(TOP, "var", "soak")
conftest.RUN_DIR = os.path.join(SOAK_DIR, "run-%d" % os.getpid())
# the pages of templates/messages.txt that say the database is down:
# [db_down], [draft_db_down] and the page of a draft that could not be saved
# (its form sends the typed values again)
OUTAGE_PAGES = (("ただいま混み合っています", "何も失われていません"),
                ("ただいま混み合っています", "入力した内容は保存されています"),
                ("ただいま保存できませんでした", "入力した内容はこのページに残っています"))


def soak_pg(cmd):
    return subprocess.run([os.path.join(HERE, "pg.sh"), cmd], check=cmd != "status",
                          capture_output=True, text=True)


def clean_old_runs():
    """Folders of soak runs whose process is gone."""
    import shutil
    os.makedirs(SOAK_DIR, exist_ok=True)
    for name in os.listdir(SOAK_DIR):
        pid = name[4:] if name.startswith("run-") else ""
        if pid.isdigit() and int(pid) != os.getpid() and not os.path.exists("/proc/" + pid):
            shutil.rmtree(os.path.join(SOAK_DIR, name), ignore_errors=True)


class SoakSite(Site):
    """A test site; pid() and children() for the fault runs."""

    def pid(self):
        with open(os.path.join(self.run, "httpd.pid")) as f:
            return int(f.read().strip())

    def children(self):
        """The httpd child processes (the workers) of the running parent."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.pid())],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def graceful(self):
        subprocess.run(["/usr/sbin/apache2", "-f", self.conf, "-k", "graceful"], check=True,
                       env=conftest.httpd_env())

    def pending_mail(self):
        return int(self.sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0])

    def count(self, table):
        return int(self.sql("SELECT count(*) FROM %s" % table)[0][0])


# --- results ------------------------------------------------------------------

class Result:
    """What a run found: figures (name -> value, in order) and checks
    (description, passed, detail)."""

    def __init__(self, name, backend, seconds):
        self.name, self.backend, self.seconds = name, backend, seconds
        self.figures = collections.OrderedDict()
        self.checks = []
        self.started = time.time()
        self.elapsed = 0.0
        self.requests = None         # HTTP requests sent, for the summary table
        self.failures = None         # of them, failed (what counts as failed: per run)
        self.summary = ""            # the run's key figures in one line

    def fig(self, key, value):
        self.figures[key] = value

    def check(self, description, passed, detail=""):
        self.checks.append((description, bool(passed), str(detail)[:2000]))
        return passed

    def span(self):
        s = self.seconds
        return ("%gs" % s) if isinstance(s, (int, float)) else str(s)

    @property
    def passed(self):
        return all(ok for _, ok, _ in self.checks)

    def done(self):
        self.elapsed = time.time() - self.started
        return self

    def as_dict(self):
        return {"name": self.name, "backend": self.backend, "seconds": self.seconds,
                "elapsed": round(self.elapsed, 1), "requests": self.requests,
                "failures": self.failures, "summary": self.summary,
                "figures": dict(self.figures),
                "checks": [{"check": c, "passed": ok, "detail": d} for c, ok, d in self.checks],
                "passed": self.passed}

    def print(self, out=sys.stdout):
        print("\n== %s (%s, %s, took %.0fs)" % (self.name, self.backend, self.span(),
                                                self.elapsed), file=out)
        for k, v in self.figures.items():
            print("   %-34s %s" % (k, v), file=out)
        for c, ok, d in self.checks:
            print("   [%s] %s%s" % ("PASS" if ok else "FAIL", c, (" — " + d) if d and not ok else ""),
                  file=out)
        out.flush()


LOG_TIME = re.compile(r"^\[(\w{3} \w{3} \d\d \d\d:\d\d:\d\d)(\.\d+)? (\d{4})\] (.*)$", re.M)


def log_times(site, needle):
    """Wall-clock times (time.time() scale) of the error log's lines that
    contain needle."""
    out = []
    for m in LOG_TIME.finditer(site.error_log()):
        if needle in m.group(4):
            t = time.mktime(time.strptime(m.group(1) + " " + m.group(3), "%a %b %d %H:%M:%S %Y"))
            out.append(t + float(m.group(2) or 0))
    return out


def child_crashes(site):
    """The signals of httpd children that died of one (httpd logs AH00052 for
    every signal but SIGKILL, SIGTERM and its restart signals)."""
    return re.findall(r"AH00052: child pid \d+ exit signal ([^\n]*)", site.error_log())


LOG_LINE = re.compile(r"^\[[^\]]*\] \[([a-z_]+):([a-z0-9]+)\] ([^\n]*)$", re.M)
LOG_CODE = re.compile(r"\b(SA\d{3}|AH\d{5})\b")


def log_levels(site):
    """Counts of the error log's lines at warn or worse, by 'level code'."""
    counts = collections.Counter()
    for m in LOG_LINE.finditer(site.error_log()):
        level = m.group(2)
        if level in ("warn", "error", "crit", "alert", "emerg"):
            code = LOG_CODE.search(m.group(3))
            counts["%s %s" % (level, code.group(1) if code else "?")] += 1
    return dict(sorted(counts.items()))


# --- clients ------------------------------------------------------------------

_conn_uses = threading.local()     # how often the connection of this thread's last request was used


class CountingConnection(urllib3.connection.HTTPConnection):
    """Counts the requests sent on it: a browser sends a request again
    (whatever its method) when a connection it reused is closed before
    any answer — the server closed it as idle and never read the request."""

    def request(self, *args, **kw):
        self.sa_uses = getattr(self, "sa_uses", 0) + 1
        _conn_uses.n = self.sa_uses
        return super().request(*args, **kw)


class CountingPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = CountingConnection


class SourceAdapter(HTTPAdapter):
    """Connections from one loopback source address; no retry of its own."""

    def __init__(self, source_ip):
        self.source_ip = source_ip
        super().__init__(max_retries=0, pool_maxsize=2)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source_ip, 0)
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = {"http": CountingPool}


def unanswered_on_reused(e):
    """Whether e is a reused connection closed before any answer."""
    text = repr(e)
    return getattr(_conn_uses, "n", 0) > 1 and (
        "RemoteDisconnected" in text or "ConnectionResetError" in text
        or "BrokenPipeError" in text)


class Stats:
    """Every answer, counted by (phase, kind of request, outcome), thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by = collections.Counter()
        self.latency = []
        self.retried = collections.Counter()
        self.failures = []           # (phase, stage, detail) of flows that broke
        self.confirmed = {}          # email -> phase: confirm POST answered 303 /entry/accepted
        self.confirm_other = {}      # email -> outcome of a confirm POST that was not 303
        self.completed = set()       # the verify POST answered 303 /entry/complete
        self.phase = "run"
        self.confirm_inflight = 0    # confirm POSTs sent and not yet answered

    def add(self, kind, outcome, seconds):
        with self.lock:
            self.by[(self.phase, kind, outcome)] += 1
            self.latency.append(seconds)

    def requests(self, phase=None):
        return sum(n for (p, _, _), n in self.by.items() if phase is None or p == phase)

    def outcomes(self, phase=None, kind=None):
        c = collections.Counter()
        for (p, k, o), n in self.by.items():
            if (phase is None or p == phase) and (kind is None or k == kind):
                c[o] += n
        return c

    def fail(self, stage, detail):
        with self.lock:
            self.failures.append((self.phase, stage, detail))

    def percentile(self, q):
        with self.lock:
            xs = sorted(self.latency)
        if not xs:
            return 0.0
        return xs[min(len(xs) - 1, int(q * len(xs)))]


class FlowError(Exception):
    def __init__(self, stage, outcome, text=""):
        super().__init__("%s: %s" % (stage, outcome))
        self.stage, self.outcome, self.text = stage, outcome, text


def outcome_of(r, expect=None):
    """An answer's outcome: its status, with 503 split into the outage page
    (503-outage) and any other 503, and a 303 elsewhere than the step
    expected (expect: a path, or 200 for a page) as '303->PATH'."""
    if r.status_code == 503:
        return "503-outage" if any(title in r.text and text in r.text
                                   for title, text in OUTAGE_PAGES) else "503-other"
    if r.status_code == 303 and expect is not None and location(r) != expect:
        return "303->" + location(r)
    return str(r.status_code)


class Client:
    """One applicant's browser: a cookie jar, keep-alive connections from its
    own loopback address, and what a browser does when a connection breaks
    under it: an idempotent GET is sent again, once; with retry_post, a
    POST too, once, but only when the connection was a reused one that was
    closed before any answer (a stopping child closes its idle
    connections; such a request was never read).  Every resend is counted
    (Stats.retried, by kind and method)."""

    def __init__(self, site, stats, n, retry_get=True, retry_post=False):
        self.site, self.stats = site, stats
        self.ip = "127.0.0.%d" % (10 + n % 240)
        self.retry_get, self.retry_post = retry_get, retry_post
        self.new_session()

    def new_session(self):
        self.s = requests.Session()
        a = SourceAdapter(self.ip)
        self.s.mount("http://", a)

    def url(self, path):
        return path if path.startswith("http") else self.site.url(path)

    def request(self, method, path, kind, data=None, expect=None):
        """One request (a GET once more on a broken connection); its
        outcome counted.  expect: the path a 303 should lead to, or 200."""
        for attempt in (0, 1):
            t0 = time.time()
            try:
                r = self.s.request(method, self.url(path), data=data, allow_redirects=False,
                                   timeout=30)
            except requests.RequestException as e:
                if attempt == 0 and isinstance(e, requests.ConnectionError) and (
                        (method == "GET" and self.retry_get)
                        or (method != "GET" and self.retry_post and unanswered_on_reused(e))):
                    with self.stats.lock:
                        self.stats.retried["%s %s" % (method, kind)] += 1
                    continue
                self.stats.add(kind, "error:" + type(e).__name__, time.time() - t0)
                raise FlowError(kind, "error:" + type(e).__name__, repr(e))
            self.stats.add(kind, outcome_of(r, expect), time.time() - t0)
            return r

    def get(self, path, kind, expect=200):
        r = self.request("GET", path, kind, expect=expect)
        if expect and r.status_code != expect:
            raise FlowError(kind, outcome_of(r, expect), r.text[:300])
        return r

    def post(self, path, data, kind, expect_location=None):
        r = self.request("POST", path, kind, data, expect=expect_location)
        if expect_location is not None:
            if r.status_code != 303 or location(r) != expect_location:
                raise FlowError(kind, outcome_of(r, expect_location), r.text[:300])
        return r


def location(r):
    return r.headers.get("Location", "").split("/security", 1)[-1]


def csrf_of(text):
    m = re.search(r'<input[^>]*name="csrf"[^>]*>', text)
    if not m:
        raise FlowError("csrf", "no CSRF field")
    return html.unescape(re.search(r'value="([^"]*)"', m.group(0)).group(1))


def new_email(tag):
    return "soak.%s.%s@example.co.jp" % (tag, secrets.token_hex(5))


def declare(c, email, company=CORP, decl=ONE_STAR):
    """The wizard from the terms to 受付確認, each step's page first (its
    CSRF token), then its POST.  Raises FlowError where it broke; records
    the address when the confirm POST answers 303 to /entry/accepted."""
    page = c.get("/entry/", "entry").text
    kept = re.search(r'name="via" value="([^"]*)"', page)
    c.post("/entry/", {"agree": "1", "via": html.unescape(kept.group(1)) if kept else "",
                       "csrf": csrf_of(page)}, "agree", "/entry/company")
    page = c.get("/entry/company", "company-page").text
    c.post("/entry/company", dict(company, csrf=csrf_of(page)), "company", "/entry/declaration")
    page = c.get("/entry/declaration", "declaration-page").text
    c.post("/entry/declaration", dict(decl, email=email, email2=email, csrf=csrf_of(page)),
           "declaration", "/entry/confirm")
    page = c.get("/entry/confirm", "confirm-page").text
    phase = c.stats.phase
    token = csrf_of(page)
    with c.stats.lock:
        c.stats.confirm_inflight += 1
    try:
        c.post("/entry/confirm", {"submit": "1", "csrf": token}, "confirm", "/entry/accepted")
    except FlowError as e:
        with c.stats.lock:
            c.stats.confirm_other[email] = e.outcome
        raise
    finally:
        with c.stats.lock:
            c.stats.confirm_inflight -= 1
    with c.stats.lock:
        c.stats.confirmed[email] = phase
    c.get("/entry/accepted", "accepted-page")


def complete(c, link, email):
    """Opens the mailed link (its page, then its one button) and 宣言完了."""
    r = c.get(link, "verify-page")
    m = re.search(r'name="t" value="([^"]*)"', r.text)
    if not m:
        raise FlowError("verify-page", "no button", r.text[:300])
    c.post("/entry/verify", {"t": html.unescape(m.group(1)), "complete": "1",
                             "csrf": csrf_of(r.text)}, "verify", "/entry/complete")
    with c.stats.lock:
        c.stats.completed.add(email)
    page = c.get("/entry/complete", "complete-page").text
    if not re.search(r'id="user-no"[^>]*>\d{10}<', page):
        raise FlowError("complete-page", "no 利用者番号", page[:300])


PAGES = ["/", "/entry/", "/login", "/static/site.css", "/privacy", "/password-reset"]


def browse(c, n=3):
    """A few page GETs, as a visitor reads around."""
    for i in range(n):
        path = PAGES[secrets.randbelow(len(PAGES))]
        c.get(path, "page")


# --- the mail folder as a mailbox ---------------------------------------------

class Mailbox:
    """build/sa-sendmail's folder (one file a mail), read incrementally:
    address -> kind ('received', 'completed', …) -> [(file, link)]."""

    KINDS = (("受付確認", "received"), ("完了", "completed"))

    def __init__(self, folder):
        self.folder = folder
        self.seen = set()
        self.broken = []             # (file, size): no readable message (a writer that died)
        self.by = collections.defaultdict(lambda: collections.defaultdict(list))
        self.lock = threading.Lock()
        self.last = 0.0

    def scan(self, force=False):
        with self.lock:
            if not force and time.time() - self.last < 0.1:
                return
            self.last = time.time()
            try:
                names = os.listdir(self.folder)
            except FileNotFoundError:
                return
            for name in names:
                if not name.endswith(".eml") or name in self.seen:
                    continue
                self.seen.add(name)
                with open(os.path.join(self.folder, name), "rb") as f:
                    raw = f.read()
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                try:
                    to = msg["To"].addresses[0].addr_spec
                    subj = str(msg["Subject"])
                    kind = next((k for word, k in self.KINDS if word in subj), "other")
                    link = None
                    if kind == "received":
                        text = msg.get_body(preferencelist=("plain",)).get_content()
                        m = re.search(r"(http://\S+/entry/verify\?t=[A-Za-z0-9_-]+)", text)
                        link = m.group(1) if m else None
                except Exception:               # noqa: BLE001 — an empty or cut message
                    self.broken.append((name, len(raw)))
                    continue
                self.by[to][kind].append((name, link))

    def files(self):
        self.scan(force=True)
        return len(self.seen)

    def get(self, addr, kind):
        self.scan()
        with self.lock:
            return list(self.by.get(addr, {}).get(kind, []))

    def wait(self, addr, kind, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.get(addr, kind)
            if got:
                return got
            time.sleep(0.05)
        return []

    def tally(self, expected_received, expected_completed):
        """(missing, duplicated, unexpected): expected mails not there, mails
        there more than once (any address: a resend of one outbox row has
        the same Message-ID), and mails to addresses that should have had
        none of that kind."""
        self.scan(force=True)
        missing = duplicated = unexpected = 0
        with self.lock:
            for addr in expected_received:
                missing += not self.by.get(addr, {}).get("received")
            for addr in expected_completed:
                missing += not self.by.get(addr, {}).get("completed")
            for addr, kinds in self.by.items():
                for kind, files in kinds.items():
                    duplicated += max(0, len(files) - 1)
                    if (kind == "received" and addr not in expected_received) or \
                            (kind == "completed" and addr not in expected_completed) or \
                            kind == "other":
                        unexpected += len(files)
        return missing, duplicated, unexpected


def wait_outbox_empty(site, timeout):
    """Waits until every outbox row is marked sent; returns (pending, seconds)."""
    t0 = time.time()
    pending = None
    while time.time() - t0 < timeout:
        try:
            pending = site.pending_mail()
        except subprocess.CalledProcessError:
            pending = None
        if pending == 0:
            break
        time.sleep(0.5)
    return pending, round(time.time() - t0, 1)


def run_clients(n, target):
    """Starts n threads running target(0) … target(n-1); returns them."""
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    return threads


def phase_table(stats, phases, kinds=None):
    """Outcome counts per phase: {'before': {'200': n, '303': n, ...}, ...}."""
    out = collections.OrderedDict()
    for p in phases:
        c = stats.outcomes(p) if kinds is None else sum(
            (stats.outcomes(p, k) for k in kinds), collections.Counter())
        out[p] = dict(sorted(c.items()))
    return out


def quote_t(token):
    return urllib.parse.quote(token, safe="")
