"""make bench, second part: the public search (/search) at scale.

    python3 tests/bench_search.py

Seeds BENCH_SEARCH_ROWS (1,000,000) accepted declarations with bin/sa-seed
(--seed BENCH_SEARCH_SEED, 1) into SQLite (var/bench/seed/*.sqlite) and
into PostgreSQL (tests/bench_pg.sh: its own server under var/bench/pg),
once: a later run reuses them.  Then, per database, starts an httpd with
the module from the build tree (tests/genconf.py), checks that seeded
declarations are found by its /search, and measures each query with ab
(-k -c 8, BENCH_SEARCH_N requests, 2,000, or as many as
BENCH_SEARCH_SECONDS allow, 30, after a warm-up) next to a
static file of the same bytes served by the same httpd in the same run.
Prints one table (also written to var/bench/search-results.txt and .json).

Goals (reported, not enforced): p99 <= 20 ms for every query at 1M rows on
both databases, and throughput >= 0.3 x the static file's.
BENCH_SEARCH_DBS picks the databases ("sqlite3 pgsql").  The plans and
timings of the statements behind each query: tests/bench_explain.py.
"""
import html
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import genconf  # noqa: E402  (tests/genconf.py)

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
VAR = os.path.join(TOP, "var", "bench")
SEED_DIR = os.path.join(VAR, "seed")
ROWS = int(os.environ.get("BENCH_SEARCH_ROWS", "1000000"))
SEED = int(os.environ.get("BENCH_SEARCH_SEED", "1"))
N = int(os.environ.get("BENCH_SEARCH_N", "2000"))
WARM = min(300, N)
SECONDS = int(os.environ.get("BENCH_SEARCH_SECONDS", "30"))   # at most, per measurement
DBS = os.environ.get("BENCH_SEARCH_DBS", "sqlite3 pgsql").split()
PORT = int(os.environ.get("BENCH_SEARCH_PORT", "18090"))
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "55434"))
PG_URL = "host=127.0.0.1 port=%d user=secaction password=secaction" % PG_PORT
P99_GOAL_MS = 20.0
RATIO_GOAL = 0.3

# (label, query parameters, search key of q as the module folds it): names
# from sa-seed's vocabulary: a kanji of many names, the commonest surname,
# a 屋号 ending, one company ("富士" + "テクノ"), a reading typed in hiragana;
# each alone and with the filter of a large prefecture (大阪府); then the
# worst filters: the smallest prefecture (鳥取県) with a one-character name
# and alone.
PREF = "27"
QUERIES = [
    ("1字 山", {"q": "山"}, "山"),
    ("1字 山 +大阪府", {"q": "山", "pref": PREF}, "山"),
    ("2字 佐藤", {"q": "佐藤"}, "佐藤"),
    ("2字 佐藤 +大阪府", {"q": "佐藤", "pref": PREF}, "佐藤"),
    ("3字 工務店", {"q": "工務店"}, "工務店"),
    ("3字 工務店 +大阪府", {"q": "工務店", "pref": PREF}, "工務店"),
    ("5字 富士テクノ", {"q": "富士テクノ"}, "富士テクノ"),
    ("5字 富士テクノ +大阪府", {"q": "富士テクノ", "pref": PREF}, "富士テクノ"),
    ("かな やまだ", {"q": "やまだ"}, "ヤマダ"),
    ("かな やまだ +大阪府", {"q": "やまだ", "pref": PREF}, "ヤマダ"),
    ("1字 山 +鳥取県", {"q": "山", "pref": "31"}, "山"),
    ("鳥取県のみ", {"pref": "31", "go": "1"}, ""),
]
# the last page of a broad query, reached by following its pages (before=)
LAST_PAGE_OF = ("最終頁 1字 山", {"q": "山"}, "山")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# --- the seeded databases ------------------------------------------------------

def seed_log(name):
    return os.path.join(SEED_DIR, name + ".seedlog")


def timed_seed(driver, params, logfile):
    """Runs bin/sa-seed; keeps its output and wall time next to the data."""
    log("seeding %d declarations into %s (once; later runs reuse them)" % (ROWS, driver))
    t0 = time.time()
    p = subprocess.run([os.path.join(TOP, "bin", "sa-seed"), driver, params, str(ROWS),
                        "--seed", str(SEED)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    sys.stderr.write(p.stdout)
    if p.returncode != 0:
        raise SystemExit("bench: sa-seed failed on %s" % driver)
    wall = time.time() - t0
    with open(logfile, "w", encoding="utf-8") as f:
        f.write(p.stdout + "wall %.1f s\n" % wall)
    return wall


def seeded_sqlite():
    name = "sqlite-%d-s%d" % (ROWS, SEED)
    path = os.path.join(SEED_DIR, name + ".sqlite")
    if not os.path.exists(path) or not os.path.exists(seed_log(name)):
        part = path + ".part"
        for f in (part, part + "-wal", part + "-shm", path, path + "-wal", path + "-shm"):
            if os.path.exists(f):
                os.remove(f)
        run([os.path.join(TOP, "bin", "sa-dbinit"), "sqlite3", part], stdout=subprocess.DEVNULL)
        timed_seed("sqlite3", part, seed_log(name) + ".part")
        if os.path.exists(part + "-wal") and os.path.getsize(part + "-wal"):
            raise SystemExit("bench: %s-wal was left with data" % part)
        os.rename(part, path)
        os.rename(seed_log(name) + ".part", seed_log(name))
    return path, name


def psql(args, db="postgres", capture=True):
    env = dict(os.environ, PGPASSWORD="secaction")
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "secaction",
                           "-qtAX", "-v", "ON_ERROR_STOP=1", "-d", db] + args, env=env, check=True,
                          capture_output=capture, text=True).stdout


def seeded_pgsql():
    name = "pgsql-%d-s%d" % (ROWS, SEED)
    db = "secaction_bench_%d_s%d" % (ROWS, SEED)
    params = "%s dbname=%s" % (PG_URL, db)
    exists = psql(["-c", "SELECT 1 FROM pg_database WHERE datname = '%s'" % db]).strip() == "1"
    if not exists or not os.path.exists(seed_log(name)):
        if os.path.exists(seed_log(name)):
            os.remove(seed_log(name))
        psql(["-c", "DROP DATABASE IF EXISTS %s" % db])
        psql(["-c", "CREATE DATABASE %s" % db])
        run([os.path.join(TOP, "bin", "sa-dbinit"), "pgsql", params], stdout=subprocess.DEVNULL)
        timed_seed("pgsql", params, seed_log(name) + ".part")
        os.rename(seed_log(name) + ".part", seed_log(name))
    return params, name, db


def seed_summary(name):
    with open(seed_log(name), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"wall ([0-9.]+) s", text)
    return float(m.group(1)) if m else None


# --- an httpd ---------------------------------------------------------------------

class Httpd:
    def __init__(self, driver, params, port, owned):
        self.root = os.path.join(VAR, "search-" + driver)
        shutil.rmtree(self.root, ignore_errors=True)
        self.run = os.path.join(self.root, "run")
        self.htdocs = os.path.join(self.run, "htdocs")
        self.mail = os.path.join(self.root, "mail")
        for d in (self.htdocs, self.mail):
            os.makedirs(d, exist_ok=True)
        self.port = port
        self.conf = os.path.join(self.run, "httpd.conf")
        text = genconf.render(port, self.run, self.mail, driver, params, owned=owned)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        self.conn = None

    def start(self):
        run(["/usr/sbin/apache2", "-f", self.conf, "-k", "start"])
        for _ in range(100):
            try:
                self.get("/security/")
                return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit("bench: httpd did not start (%s/error.log)" % self.run)

    def stop(self):
        subprocess.run(["/usr/sbin/apache2", "-f", self.conf, "-k", "stop"], check=False)
        pid = os.path.join(self.run, "httpd.pid")
        for _ in range(100):
            if not os.path.exists(pid):
                break
            time.sleep(0.1)

    def get(self, path):
        """(status, body bytes) over one kept-alive connection."""
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt:
                    raise

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)


def search_path(params):
    # spaces as %20: the module reads its query with ap_args_to_table, which
    # leaves a form's "+" as "+" (a name typed with a space finds nothing)
    return "/security/search?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def page_facts(body):
    text = body.decode("utf-8")
    m = re.search(r'検索結果 <span>([^<]*)</span>件(<span>以上</span>)?', text)
    count = m.group(1) + "件" + ("以上" if m.group(2) else "") if m else "?"
    links = re.findall(r'href="/security/d/(\d{10})"', text)
    nxt = re.search(r'<a href="([^"]*)">次の20件</a>', text)
    return count, links, html.unescape(nxt.group(1)) if nxt else None


def last_page(h, params):
    """Follows 次の20件 from the first page to the last: (path, pages, rows)."""
    path, pages, rows = search_path(params), 0, 0
    while True:
        status, body = h.get(path)
        if status != 200:
            raise SystemExit("bench: %s answered %d" % (path, status))
        _, links, nxt = page_facts(body)
        pages += 1
        rows += len(links)
        if not nxt:
            return path, pages, rows
        path = nxt


# --- checks: the seeded rows are found ---------------------------------------------

def sql_rows(driver, target, query):
    if driver == "sqlite3":
        out = run(["sqlite3", "-separator", "\t", target, query], capture_output=True,
                  text=True).stdout
    else:
        out = psql(["-F", "\t", "-c", query], db=target)
    return [line.split("\t") for line in out.splitlines() if line]


def check_found(h, driver, target):
    """A few seeded declarations (spread over the ids): their page is
    there, and a search by their name and filters lists them."""
    rows = sql_rows(driver, target, "SELECT l.declaration_no, l.name, COALESCE(d.corp_name,"
                    " d.trade_name, d.rep_name), l.pref, l.jsic_major, l.level FROM public_listing l"
                    " JOIN declaration d ON d.id = l.declaration_id WHERE l.declaration_id %% %d = 7"
                    " ORDER BY l.declaration_id LIMIT 5" % max(1, ROWS // 5))
    if not rows:
        raise SystemExit("bench: no seeded rows in %s" % driver)
    for no, name, typed, pref, jsic, level in rows:
        status, body = h.get("/security/d/%s" % no)
        if status != 200 or html.escape(name, quote=False).encode() not in body:
            raise SystemExit("bench: /d/%s (%s) is not shown on %s" % (no, name, driver))
        path = search_path({"q": typed, "pref": pref, "jsic": jsic, "level": level})
        found = False
        for _ in range(200):
            status, body = h.get(path)
            _, links, nxt = page_facts(body)
            if no in links:
                found = True
                break
            if not nxt:
                break
            path = nxt
        if not found:
            raise SystemExit("bench: the search for %s does not list /d/%s on %s" % (typed, no, driver))
    log("%s: %d seeded declarations found by /search and /d/" % (driver, len(rows)))


def scan_count(driver, target, key, pref):
    """The exact number of matches (a scan of the listing), to show how
    broad each query is."""
    cond = []
    if key:
        cond.append("search_text LIKE '%%%s%%'" % key.replace("'", "''"))
    if pref:
        cond.append("pref = '%s'" % pref)
    where = " WHERE " + " AND ".join(cond) if cond else ""
    return int(sql_rows(driver, target, "SELECT COUNT(*) FROM public_listing" + where)[0][0])


# --- ab ------------------------------------------------------------------------------

def ab(url, n, seconds):
    """(requests/s, p50 ms, p99 ms, requests done): n requests or as many
    as seconds allow (ab -t, then -n: both limits hold); refuses a run with
    failures."""
    fd, csv = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    try:
        out = subprocess.run(["ab", "-q", "-k", "-t", str(seconds), "-n", str(n), "-c", "8",
                              "-e", csv, url], capture_output=True, text=True).stdout
        if re.search(r"^(Failed requests: +[1-9]|Non-2xx)", out, re.M) or "Requests per second" not in out:
            raise SystemExit("bench: failures on %s\n%s" % (url, out))
        rps = float(re.search(r"Requests per second:\s+([0-9.]+)", out).group(1))
        done = int(re.search(r"Complete requests:\s+(\d+)", out).group(1))
        pct = {}
        with open(csv, encoding="ascii") as f:
            for line in f:
                a, _, b = line.strip().partition(",")
                if a.isdigit():
                    pct[int(a)] = float(b)
        return rps, pct[50], pct[99], done
    finally:
        os.remove(csv)


def measure(h, label, path, i):
    status, body = h.get(path)
    if status != 200:
        raise SystemExit("bench: %s answered %d" % (path, status))
    static = "baseline-search-%d.html" % i
    with open(os.path.join(h.htdocs, static), "wb") as f:
        f.write(body)
    url = h.url(path)
    ab(url, WARM, 10)
    dyn = ab(url, N, SECONDS)
    ab(h.url("/" + static), WARM, 10)
    stat = ab(h.url("/" + static), N, SECONDS)
    count, _, _ = page_facts(body)
    return {"label": label, "path": path, "count": count, "bytes": len(body),
            "rps": dyn[0], "p50": dyn[1], "p99": dyn[2],
            "static_rps": stat[0], "static_p50": stat[1], "static_p99": stat[2],
            "ratio": dyn[0] / stat[0], "done": dyn[3]}


def bench_db(driver):
    if driver == "sqlite3":
        target, name = seeded_sqlite()
        params, owned = target, [SEED_DIR]
        port = PORT
    else:
        run([os.path.join(TOP, "tests", "bench_pg.sh"), "start"])
        params, name, target = seeded_pgsql()
        owned, port = [], PORT + 1
    # data seeded by an older checkout gets the migrations added since
    run([os.path.join(TOP, "bin", "sa-dbinit"), driver, params], stdout=subprocess.DEVNULL)
    h = Httpd(driver, params, port, owned).start()
    results = []
    try:
        check_found(h, driver, target)
        for i, (label, params_, key) in enumerate(QUERIES):
            r = measure(h, label, search_path(params_), i)
            r["matches"] = scan_count(driver, target, key, params_.get("pref", ""))
            results.append(r)
            log("%s %-24s %s" % (driver, label, fmt_row(r)))
        label, params_, key = LAST_PAGE_OF
        t0 = time.time()
        path, pages, rows = last_page(h, params_)
        log("%s: %s: %d pages (%d rows) followed in %.1f s; last page %s"
            % (driver, label, pages, rows, time.time() - t0, path))
        r = measure(h, "%s (%d頁目)" % (label, pages), path, len(QUERIES))
        r["matches"] = rows
        results.append(r)
        log("%s %-24s %s" % (driver, r["label"], fmt_row(r)))
    finally:
        h.stop()
    return {"driver": driver, "seeded": name, "seed_wall_s": seed_summary(name), "rows": results}


# --- the table ------------------------------------------------------------------------

def goals(r):
    bad = []
    if r["p99"] > P99_GOAL_MS:
        bad.append("p99")
    if r["ratio"] < RATIO_GOAL:
        bad.append("ratio")
    return "ok" if not bad else "NOT MET: " + ", ".join(bad)


def fmt_row(r):
    return ("%10s %8d  %5d %8.0f %7.1f %7.1f  %8.0f %6.1f %6.1f  %5.2f  %s"
            % (r["count"], r["matches"], r["done"], r["rps"], r["p50"], r["p99"], r["static_rps"],
               r["static_p50"], r["static_p99"], r["ratio"], goals(r)))


def width(s):
    """Display width (CJK characters take two columns)."""
    return sum(2 if ord(c) > 0x2e80 else 1 for c in s)


def table(all_results):
    lines = ["search benchmark: %d seeded declarations (sa-seed --seed %d), ab -k -c 8 -n %d"
             " (or %d s) per row, same httpd, loopback, %d cores" % (ROWS, SEED, N, SECONDS, os.cpu_count()),
             "goals: p99 <= %.0f ms, module/static >= %.1f" % (P99_GOAL_MS, RATIO_GOAL)]
    head = ("%-8s %s %10s %8s  %5s %8s %7s %7s  %8s %6s %6s  %5s  %s"
            % ("db", "query" + " " * 24, "page says", "matches", "reqs", "req/s", "p50 ms", "p99 ms",
               "static/s", "p50", "p99", "ratio", "goals"))
    lines += [head, "-" * len(head)]
    for d in all_results:
        for r in d["rows"]:
            lines.append("%-8s %s%s %s" % (d["driver"], r["label"], " " * max(1, 29 - width(r["label"])),
                                          fmt_row(r)))
        lines.append("%-8s seeded %s in %s" % (d["driver"], d["seeded"],
                                               "%.0f s" % d["seed_wall_s"] if d["seed_wall_s"] else "?"))
    return "\n".join(lines)


def main():
    os.makedirs(SEED_DIR, exist_ok=True)
    run([os.path.join(TOP, "tests", "reach.sh"), "www-data", "postgres"])
    all_results = []
    try:
        for driver in DBS:
            all_results.append(bench_db(driver))
    finally:
        if "pgsql" in DBS:
            subprocess.run([os.path.join(TOP, "tests", "bench_pg.sh"), "stop"], check=False)
    text = table(all_results)
    print(text)
    with open(os.path.join(VAR, "search-results.txt"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    with open(os.path.join(VAR, "search-results.json"), "w", encoding="utf-8") as f:
        json.dump(all_results, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
