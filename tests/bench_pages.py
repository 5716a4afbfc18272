"""make bench: the module's pages and whole declarations, each against a
baseline measured by the same machine in the same run.

    python3 tests/bench_pages.py

Per database (BENCH_DBS, "sqlite3 pgsql"; PostgreSQL is tests/bench_pg.sh's
server on BENCH_PG_PORT), one httpd with the module from the build tree
(tests/genconf.py), then:

1. pages: every wizard page GET with a session (the draft filled in as an
   applicant would: 使用規約確認, 事業者情報入力, 自己宣言入力, 内容確認,
   then 受付確認 and 宣言完了 of a finished run) and the pages without one
   (TOP, 使用規約確認 without a cookie, privacy, the search form), each
   with wrk (2 threads, 24 connections on SQLite, 12 on PostgreSQL, keep-alive, loopback) in
   BENCH_ROUNDS (5) rounds of BENCH_SECONDS (2) alternated with the static file of
   the same bytes (the body the module sent, in the DocumentRoot) served by
   the same httpd; req/s and p99 are the medians of the rounds, the ratio
   the median of each round's module over the static round after it.  A round with a non-2xx answer or a socket error fails the
   run.
2. declarations: BENCH_APPLICANTS (16) applicants at once, each doing
   BENCH_DECLS (3) whole declarations (every step, confirm, the 受付確認
   mail handed to the mail program, the link, 宣言完了, and the 完了 mail);
   the server's CPU time (user + system of httpd's processes and of every
   process they spawned and reaped, from /proc) per declaration, against
   the CPU time of one bcrypt hash of the module's sa_password_hash at the
   same cost (build/sa-hashbench, right before and right after, the mean), and declarations/s against hashes/s
   (one hash per process, one process per core).  At the configured cost
   (BENCH_COST, 11, the module's default) and at cost 4, which shows the
   rest of the work.
3. RSS: VmRSS of each httpd child before and after BENCH_RSS_N wizard
   GETs with a session (200,000 here; make bench-rss: 1,000,000), after a
   warm-up of the same load; flat means within 5 %.
4. SQLite only: 64 applicants at once (BENCH_CROWD), two declarations each;
   no failed request and no "database is locked" in the error log.

Prints one table (also var/bench/pages-results.txt and .json) and exits 1
when a run broke (a failed request, a missing mail); goals are reported,
not enforced.  The CPU columns are httpd's CPU time per request (from
/proc, over the rounds), steadier than req/s on a busy machine.
BENCH_ONLY=pages|decl|rss|crowd runs one part, BENCH_PAGES some pages;
BENCH_MODULE
names another build of the module to load (a copy, to compare two builds).
"""
import concurrent.futures
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import unicodedata

import requests

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "soak"))
import genconf  # noqa: E402  (tests/genconf.py)
import common as soak  # noqa: E402  (tests/soak/common.py: clients, mailbox)

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
VAR = os.path.join(TOP, "var", "bench", "pages")
DBS = os.environ.get("BENCH_DBS", "sqlite3 pgsql").split()
PORT = int(os.environ.get("BENCH_PORT", "18080"))
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "55434"))
PG_URL = "host=127.0.0.1 port=%d user=secaction password=secaction" % PG_PORT
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
# fewer connections than a child has threads (tests/genconf.py: 32 on
# SQLite, 16 on PostgreSQL): when all of a child's workers are busy,
# mpm_event closes its idle keep-alive connections (wrk's read errors)
CONNS = {"sqlite3": 24, "pgsql": 12}
if os.environ.get("BENCH_CONNS"):
    CONNS = dict.fromkeys(CONNS, int(os.environ["BENCH_CONNS"]))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
COST = int(os.environ.get("BENCH_COST", "11"))
APPLICANTS = int(os.environ.get("BENCH_APPLICANTS", "16"))
DECLS = int(os.environ.get("BENCH_DECLS", "3"))
RSS_N = int(os.environ.get("BENCH_RSS_N", "200000"))
CROWD = int(os.environ.get("BENCH_CROWD", "64"))
ONLY = os.environ.get("BENCH_ONLY", "")
MODULE = os.environ.get("BENCH_MODULE", "")
# BENCH_PAGES: only these pages ("/entry/company,-/" : a path with a session,
# a path without one after "-")
PAGES = [x for x in os.environ.get("BENCH_PAGES", "").split(",") if x]
HASHBENCH = os.path.join(TOP, "build", "sa-hashbench")
CLK_TCK = os.sysconf("SC_CLK_TCK")

GOAL_SESSION = 0.6
GOAL_NOSESSION = 1.0
GOAL_CPU = 1.1
GOAL_RSS = 0.05


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --- the site -----------------------------------------------------------------

class Site:
    def __init__(self, driver):
        self.driver = driver
        self.root = os.path.join(VAR, driver)
        stop_httpd(os.path.join(self.root, "run", "httpd.pid"))     # a broken run's
        shutil.rmtree(self.root, ignore_errors=True)
        self.run = os.path.join(self.root, "run")
        self.htdocs = os.path.join(self.run, "htdocs")
        self.maildir = os.path.join(self.root, "mail")
        self.dbdir = os.path.join(self.root, "db")
        for d in (self.htdocs, self.maildir, self.dbdir):
            os.makedirs(d)
        if driver == "sqlite3":
            self.dbparams = os.path.join(self.dbdir, "secaction.sqlite")
        else:
            self.dbname = "secaction_pages"
            psql(["-c", "DROP DATABASE IF EXISTS %s" % self.dbname])
            psql(["-c", "CREATE DATABASE %s" % self.dbname])
            self.dbparams = "%s dbname=%s" % (PG_URL, self.dbname)
        subprocess.run([os.path.join(TOP, "bin", "sa-dbinit"), driver, self.dbparams],
                       check=True, stdout=subprocess.DEVNULL)
        self.conf = os.path.join(self.run, "httpd.conf")
        self.base = "http://127.0.0.1:%d" % PORT
        self.up = False

    def start(self, cost):
        text = genconf.render(PORT, self.run, self.maildir, self.driver, self.dbparams,
                              extra="SecActionPasswordCost %d\nSecActionClientLimit 1000\n"
                              "MaxKeepAliveRequests 0\n" % cost,
                              owned=[self.dbdir])
        text = text.replace("http://localhost:%d/security" % PORT, self.base + "/security")
        if MODULE:                  # a copy of the module, so the tree can be rebuilt meanwhile
            text = text.replace(os.path.join(TOP, "mod_secaction", ".libs", "mod_secaction.so"),
                                MODULE)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        subprocess.run(["/usr/sbin/apache2", "-f", self.conf, "-k", "start"], check=True)
        self.up = True
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                requests.get(self.base + "/security/", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise BenchError("httpd did not start: " + self.error_log()[-2000:])

    def stop(self):
        if self.up:
            stop_httpd(os.path.join(self.run, "httpd.pid"))
            self.up = False

    def error_log(self):
        try:
            with open(os.path.join(self.run, "error.log"), encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def pid(self):
        with open(os.path.join(self.run, "httpd.pid")) as f:
            return int(f.read().strip())

    def tree(self):
        """The httpd parent and every process below it, from /proc."""
        parent, kids = {}, {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(")") + 2:].split()
            parent[int(name)] = int(fields[1])
        for pid, ppid in parent.items():
            kids.setdefault(ppid, []).append(pid)
        out, todo = [], [self.pid()]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def children(self):
        return [p for p in self.tree() if p != self.pid()]

    def cpu(self):
        """Seconds of CPU of the process tree, with what its processes reaped."""
        total = 0
        for p in self.tree():
            try:
                with open("/proc/%d/stat" % p) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(")") + 2:].split()
            total += sum(int(x) for x in fields[11:15])   # utime stime cutime cstime
        return total / CLK_TCK

    def url(self, path):
        return self.base + "/security" + path

    def mails(self):
        return [n for n in os.listdir(self.maildir) if n.endswith(".eml")]


def stop_httpd(pidfile):
    """SIGTERM to the parent named by pidfile (what apache2 -k stop sends,
    without reading a configuration that may no longer load); waits until
    it is gone."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    deadline = time.time() + 15
    while time.time() < deadline and os.path.exists("/proc/%d" % pid):
        time.sleep(0.1)


def psql(args, db="postgres"):
    env = dict(os.environ, PGPASSWORD="secaction")
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "secaction",
                           "-qtAX", "-v", "ON_ERROR_STOP=1", "-d", db] + args, env=env,
                          check=True, capture_output=True, text=True).stdout


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --- applicants -----------------------------------------------------------------
# tests/soak/common.py's browser-like clients: one loopback address each,
# and a request sent again, once, when a kept-alive connection was closed
# by the server before it read the request (what browsers do; mpm_event
# closes idle connections when every worker is busy).  Resends are counted.

def until_confirm(c, email):
    """The wizard up to 内容確認 (the draft is then complete)."""
    page = c.get("/entry/", "entry").text
    c.post("/entry/", {"agree": "1", "csrf": soak.csrf_of(page)}, "agree", "/entry/company")
    page = c.get("/entry/company", "company-page").text
    c.post("/entry/company", dict(soak.CORP, csrf=soak.csrf_of(page)), "company",
           "/entry/declaration")
    page = c.get("/entry/declaration", "declaration-page").text
    c.post("/entry/declaration", dict(soak.ONE_STAR, email=email, email2=email,
                                      csrf=soak.csrf_of(page)), "declaration", "/entry/confirm")
    return c.get("/entry/confirm", "confirm-page").text


def received_link(mailbox, email):
    got = mailbox.wait(email, "received", 60)
    if not got or not got[0][1]:
        raise BenchError("no 受付確認 mail for %s" % email)
    return got[0][1]


# --- wrk ------------------------------------------------------------------------

def wrk(url, conns, cookie=None, seconds=SECONDS, script=None, strict=True):
    cmd = ["wrk", "-t2", "-c%d" % conns, "-d%ds" % max(1, round(seconds)), "--latency", "--timeout", "10s"]
    if cookie:
        cmd += ["-H", "Cookie: " + cookie]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    # a read error is a keep-alive connection that httpd closed between two
    # requests (wrk opens a new one); a few are tolerated, nothing else
    if strict and bad or (strict and sock and (int(sock.group(1)) + int(sock.group(3)) + int(sock.group(4))
                         or int(sock.group(2)) > total / 200)):
        raise BenchError("wrk %s: %s" % (url, (bad or sock).group(0)))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    return rps, p99, total


def bench_page(site, name, path, cookie):
    """(req/s, p99 ms, static req/s, static p99, bytes, ratio, httpd CPU µs a
    request, the same for the static file) of one page: medians, CPU over
    all rounds."""
    url = site.base + "/security" + path
    r = requests.get(url, headers={"Cookie": cookie} if cookie else {}, timeout=30,
                     allow_redirects=False)
    if r.status_code != 200:
        raise BenchError("%s: %d" % (path, r.status_code))
    static = "baseline-%s.html" % name
    with open(os.path.join(site.htdocs, static), "wb") as f:
        f.write(r.content)
    conns = CONNS[site.driver]
    wrk(url, conns, cookie, seconds=2, strict=False)    # warm-up (and httpd's children)
    mods, stats = [], []
    cpu = [0.0, 0.0]             # httpd's CPU seconds in the module's rounds, the static ones
    for _ in range(ROUNDS):
        c0 = site.cpu()
        mods.append(wrk(url, conns, cookie))
        c1 = site.cpu()
        stats.append(wrk(site.base + "/" + static, conns))
        cpu[0] += c1 - c0
        cpu[1] += site.cpu() - c1
    # the machine's load changes from second to second: each round's ratio
    # is taken against the static round right after it, and the median kept
    ratio = statistics.median(m[0] / s[0] for m, s in zip(mods, stats))
    return (statistics.median(m[0] for m in mods), statistics.median(m[1] for m in mods),
            statistics.median(s[0] for s in stats), statistics.median(s[1] for s in stats),
            len(r.content), ratio, 1e6 * cpu[0] / sum(m[2] for m in mods),
            1e6 * cpu[1] / sum(s[2] for s in stats))


def session_cookie(c):
    v = c.s.cookies.get("secaction_session")
    if not v:
        raise BenchError("no session cookie")
    return "secaction_session=" + v


def draft_cookie(site):
    """The cookie of a draft filled in up to 内容確認."""
    a = soak.Client(site, soak.Stats(), 1)
    until_confirm(a, "bench.pages.%s@example.co.jp" % secrets.token_hex(4))
    return session_cookie(a)


def part_pages(site, res):
    stats = soak.Stats()
    mailbox = soak.Mailbox(site.maildir)
    draft = draft_cookie(site)
    done = soak.Client(site, stats, 2)
    email = "bench.done.%s@example.co.jp" % secrets.token_hex(4)
    soak.declare(done, email)
    accepted = session_cookie(done)
    pages = [("使用規約確認", "/entry/", draft), ("事業者情報入力", "/entry/company", draft),
             ("自己宣言入力", "/entry/declaration", draft), ("内容確認", "/entry/confirm", draft),
             ("受付確認", "/entry/accepted", accepted)]
    rows = []
    pages = [p for p in pages if not PAGES or p[1] in PAGES]
    for label, path, cookie in pages:
        log("  %s %s (session)" % (site.driver, path))
        rows.append((label, "session", path) + bench_page(site, "s%d" % len(rows), path, cookie))
    soak.complete(done, received_link(mailbox, email), email)
    if not PAGES or "/entry/complete" in PAGES:
        log("  %s /entry/complete (session)" % site.driver)
        rows.append(("宣言完了", "session", "/entry/complete")
                    + bench_page(site, "s%d" % len(rows), "/entry/complete", session_cookie(done)))
    for label, path in (("TOP", "/"), ("使用規約確認", "/entry/"), ("プライバシー", "/privacy"),
                        ("検索フォーム", "/search")):
        if PAGES and "-" + path not in PAGES:
            continue
        log("  %s %s (no session)" % (site.driver, path))
        rows.append((label, "none", path) + bench_page(site, "n%d" % len(rows), path, None))
    res["pages"] = [dict(zip(("page", "session", "path", "rps", "p99_ms", "static_rps",
                              "static_p99_ms", "bytes", "ratio", "cpu_us", "static_cpu_us"), row))
                    for row in rows]


def declarations(site, applicants, per, tag):
    """Whole declarations by `applicants` at once: (wall s, cpu s, count,
    requests, resent, errors)."""
    stats = soak.Stats()
    mailbox = soak.Mailbox(site.maildir)
    before_mail = len(site.mails())
    errors = []

    def one(n):
        c = soak.Client(site, stats, n, retry_get=True, retry_post=True)
        for k in range(per):
            email = "bench.%s.%d.%d.%s@example.co.jp" % (tag, n, k, secrets.token_hex(3))
            try:
                soak.declare(c, email)
                soak.complete(c, received_link(mailbox, email), email)
            except Exception as e:  # noqa: BLE001 — counted and reported
                errors.append(repr(e))

    cpu0, t0 = site.cpu(), time.time()
    with concurrent.futures.ThreadPoolExecutor(applicants) as ex:
        list(ex.map(one, range(applicants)))
    want = before_mail + 2 * applicants * per
    deadline = time.time() + 60
    while len(site.mails()) < want and time.time() < deadline:
        time.sleep(0.02)
    wall, cpu = time.time() - t0, site.cpu() - cpu0
    if len(site.mails()) < want:
        errors.append("%d mails of %d" % (len(site.mails()) - before_mail, want - before_mail))
    return wall, cpu, applicants * per, stats.requests(), sum(stats.retried.values()), errors


def hashbench(cost):
    n = 8 if cost >= 10 else 400
    out = subprocess.run([HASHBENCH, str(cost), str(n)], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"cpu_ms_per_hash ([\d.]+) hashes_per_s ([\d.]+)", out)
    return float(m.group(1)), float(m.group(2))


def part_decl(site, res, cost):
    log("  %s: %d applicants x %d declarations at cost %d" % (site.driver, APPLICANTS, DECLS,
                                                               cost))
    declarations(site, APPLICANTS, 1, "warm%d" % cost)      # warm-up (threads, connections)
    # the hash is timed right before and right after the declarations (a
    # busy machine's load changes the CPU time of the same work), the mean kept
    before = hashbench(cost)
    wall, cpu, n, nreq, resent, errors = declarations(site, APPLICANTS, DECLS, "c%d" % cost)
    if errors:
        raise BenchError("declarations at cost %d: %s" % (cost, "; ".join(errors[:5])))
    after = hashbench(cost)
    hash_ms, hps = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    res.setdefault("decl", []).append({
        "cost": cost, "declarations": n, "requests": nreq, "resent": resent,
        "wall_s": round(wall, 2),
        "cpu_ms_per_decl": round(cpu * 1e3 / n, 1), "hash_cpu_ms": round(hash_ms, 1),
        "decl_per_s": round(n / wall, 2), "hashes_per_s": round(hps, 1)})


RSS_LUA = """
local paths = {"/security/entry/company", "/security/entry/declaration",
               "/security/entry/confirm", "/security/entry/"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[i %% #paths + 1], {["Cookie"] = "%s"})
end
"""


def part_rss(site, res, cookie):
    script = os.path.join(site.run, "rss.lua")
    with open(script, "w") as f:
        f.write(RSS_LUA % cookie)
    url = site.base + "/security/entry/company"
    log("  %s: RSS over %d wizard requests" % (site.driver, RSS_N))
    conns = CONNS[site.driver]
    wrk(url, conns, seconds=3, script=script, strict=False)   # warm-up: every thread, page
    before = {p: rss_kb(p) for p in site.children()}
    done, t0 = 0, time.time()
    while done < RSS_N:
        rps = done / (time.time() - t0) if done else 5000
        secs = max(1.0, min(60.0, (RSS_N - done) / rps))
        done += wrk(url, conns, seconds=secs, script=script)[2]
    after = {p: rss_kb(p) for p in site.children()}
    kids = [p for p in before if p in after and before[p] > 0]
    if not kids:
        raise BenchError("no httpd child lived through the RSS run")
    res["rss"] = {"requests": done, "seconds": round(time.time() - t0, 1),
                  "before_kb": sum(before[p] for p in kids),
                  "after_kb": sum(after[p] for p in kids),
                  "worst_growth": max((after[p] - before[p]) / before[p] for p in kids),
                  "children": len(kids)}


def part_crowd(site, res):
    log("  %s: %d applicants at once" % (site.driver, CROWD))
    locked0 = site.error_log().count("database is locked")
    wall, cpu, n, nreq, resent, errors = declarations(site, CROWD, 2, "crowd")
    locked = site.error_log().count("database is locked") - locked0
    res["crowd"] = {"applicants": CROWD, "declarations": n, "requests": nreq, "resent": resent,
                    "failed": len(errors), "locked": locked, "wall_s": round(wall, 1),
                    "errors": errors[:5]}


def run_db(driver, results):
    res = {"driver": driver}
    results.append(res)             # what was measured is shown even if a part breaks
    site = Site(driver)
    try:
        site.start(COST)
        if ONLY in ("", "pages"):
            part_pages(site, res)
        if ONLY in ("", "decl"):
            part_decl(site, res, COST)
        if ONLY in ("", "rss"):
            part_rss(site, res, draft_cookie(site))
        if ONLY in ("", "crowd") and driver == "sqlite3":
            part_crowd(site, res)
        if ONLY in ("", "decl"):
            site.stop()
            site.start(4)
            part_decl(site, res, 4)
    finally:
        site.stop()


# --- the table ------------------------------------------------------------------

def pad(text, width):
    """text left-aligned in width columns (a CJK character takes two)."""
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cols)


def verdict(ok):
    return "ok" if ok else "MISSED"


def table(results):
    out = []
    w = out.append
    w("make bench: wrk -t2 -c%d (SQLite) -c%d (PostgreSQL), %g s x %d rounds alternated with the "
      "static file of the same bytes, same httpd, loopback, %d cores; medians" % (
          CONNS["sqlite3"], CONNS["pgsql"], SECONDS, ROUNDS, os.cpu_count()))
    for res in results:
        d = res["driver"]
        if "pages" in res:
            w("")
            w("%-8s %s %-7s %6s %7s %7s %8s %7s %6s %6s %6s  goal" % (
                d, pad("page", 14), "session", "bytes", "req/s", "p99 ms", "static/s", "p99 ms",
                "ratio", "cpu us", "static"))
            for p in res["pages"]:
                ratio = p["ratio"]
                goal = GOAL_SESSION if p["session"] == "session" else GOAL_NOSESSION
                w("%-8s %s %-7s %6d %7.0f %7.2f %8.0f %7.2f %6.2f %6.0f %6.0f  >=%.1f %s" % (
                    d, pad(p["page"], 14), "yes" if p["session"] == "session" else "no", p["bytes"],
                    p["rps"], p["p99_ms"], p["static_rps"], p["static_p99_ms"], ratio,
                    p["cpu_us"], p["static_cpu_us"], goal, verdict(ratio >= goal)))
        for x in res.get("decl", []):
            ratio = x["cpu_ms_per_decl"] / x["hash_cpu_ms"]
            w("%-8s declarations at cost %2d: %d by %d applicants, %d requests, %.1f s; "
              "server CPU %.1f ms/declaration vs %.1f ms/hash = %.2fx%s; %.1f declarations/s "
              "vs %.1f hashes/s" % (
                  d, x["cost"], x["declarations"], APPLICANTS, x["requests"], x["wall_s"],
                  x["cpu_ms_per_decl"], x["hash_cpu_ms"], ratio,
                  ("  (goal <=%.1fx %s)" % (GOAL_CPU, verdict(ratio <= GOAL_CPU)))
                  if x["cost"] == COST else "", x["decl_per_s"], x["hashes_per_s"]))
        if "rss" in res:
            r = res["rss"]
            w("%-8s child RSS over %d wizard requests (%d child%s, %.0f s): %d kB -> %d kB, "
              "worst child %+.1f%%  (goal within %d%% %s)" % (
                  d, r["requests"], r["children"], "" if r["children"] == 1 else "ren",
                  r["seconds"], r["before_kb"], r["after_kb"], 100 * r["worst_growth"],
                  100 * GOAL_RSS, verdict(abs(r["worst_growth"]) <= GOAL_RSS)))
        if "crowd" in res:
            c = res["crowd"]
            w("%-8s %d applicants at once: %d declarations, %d requests (%d resent on a closed "
              "idle connection), %.1f s, %d failed, %d 'database is locked'  (goal 0 and 0 %s)" % (
                  d, c["applicants"], c["declarations"], c["requests"], c["resent"], c["wall_s"],
                  c["failed"],
                  c["locked"], verdict(not c["failed"] and not c["locked"])))
    return "\n".join(out)


def main():
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing (apt-get install wrk, or make deps)")
    os.makedirs(VAR, exist_ok=True)
    pg_started = False
    if "pgsql" in DBS:
        subprocess.run([os.path.join(TOP, "tests", "bench_pg.sh"), "start"], check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, BENCH_PG_PORT=str(PG_PORT)))
        pg_started = True
    results, failed = [], []
    try:
        for driver in DBS:
            log("bench: %s" % driver)
            try:
                run_db(driver, results)
            except (BenchError, subprocess.CalledProcessError) as e:
                failed.append("%s: %s" % (driver, e))
                log("bench: %s broke: %s" % (driver, e))
    finally:
        if pg_started:
            subprocess.run([os.path.join(TOP, "tests", "bench_pg.sh"), "stop"], check=False,
                           env=dict(os.environ, BENCH_PG_PORT=str(PG_PORT)))
    text = table(results)
    print(text)
    for f in failed:
        print("BROKEN " + f)
    name = "pages-results" + ("-" + ONLY if ONLY else "")
    with open(os.path.join(VAR, "..", name + ".txt"), "w", encoding="utf-8") as f:
        f.write(text + "\n" + "".join("BROKEN %s\n" % x for x in failed))
    with open(os.path.join(VAR, "..", name + ".json"), "w", encoding="utf-8") as f:
        json.dump({"results": results, "broken": failed}, f, ensure_ascii=False, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
