"""soak_anonymous: 10,000 GETs without cookies — /security/entry/,
/security/entry/verify?t=<a well-formed token nobody was sent> and
/security/login, in turn, from 4 keep-alive connections — as crawlers,
link scanners and people who never go on send them.  The rows of the
session table (the wizard's drafts, mod_session_dbd) and of login_session
are counted before and after: they must not grow (nothing is stored for
a visitor until the first accepted POST)."""
import argparse
import base64
import collections
import http.client
import os
import sys
import threading
import time

from common import Result, SoakSite, child_crashes, log_levels, soak_pg

PATHS = ("/security/entry/", "/security/entry/verify?t=", "/security/login")
EXPECT = {"/security/entry/": 200, "/security/entry/verify?t=": 404, "/security/login": 200}
TABLES = ("session", "login_session", "declaration", "link_token", "outbox")


def token():
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


def run(backend="sqlite3", total=10000, conns=4):
    res = Result("soak_anonymous", backend, "%d GETs" % total)
    if backend == "pgsql":
        soak_pg("start")
    site = SoakSite(backend).start()
    try:
        before = {t: site.count(t) for t in TABLES}
        lock = threading.Lock()
        status = collections.Counter()
        cookies = collections.Counter()
        errors = collections.Counter()
        sent = [0]

        def worker(n):
            conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30,
                                              source_address=("127.0.0.%d" % (20 + n), 0))
            while True:
                with lock:
                    if sent[0] >= total:
                        break
                    i = sent[0]
                    sent[0] += 1
                base = PATHS[i % len(PATHS)]
                path = base + token() if base.endswith("t=") else base
                for attempt in (0, 1):
                    try:
                        conn.request("GET", path, headers={"User-Agent": "soak-anonymous"})
                        r = conn.getresponse()
                        r.read()
                        break
                    except (http.client.HTTPException, OSError) as e:
                        conn.close()
                        if attempt:
                            with lock:
                                errors[type(e).__name__] += 1
                            r = None
                if r is None:
                    continue
                with lock:
                    status[(base, r.status)] += 1
                    for c in r.msg.get_all("Set-Cookie") or []:
                        cookies["%s %s" % (base, c.split("=", 1)[0])] += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
            conn.close()

        t0 = time.time()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - t0
        time.sleep(1)                          # anything stored after the answer is in now
        after = {t: site.count(t) for t in TABLES}
        wrong = {"%s %d" % k: n for k, n in status.items() if EXPECT[k[0]] != k[1]}

        res.fig("GETs", sum(status.values()))
        res.fig("took s (per second)", "%.1f (%.0f)" % (took, sum(status.values()) / took))
        res.fig("answers", {"%s %d" % k: n for k, n in sorted(status.items())})
        res.fig("Set-Cookie (page, name)", dict(sorted(cookies.items())))
        res.fig("errors", dict(errors))
        for t in TABLES:
            res.fig("rows %s before / after" % t, "%d / %d" % (before[t], after[t]))
        crashes = child_crashes(site)
        res.fig("httpd children crashed", "%d %s" % (len(crashes), crashes[:5]))
        res.fig("error log warn+", log_levels(site))

        res.requests = sum(status.values()) + sum(errors.values())
        res.failures = sum(errors.values()) + sum(wrong.values())
        res.summary = "session %d->%d, login_session %d->%d" % (
            before["session"], after["session"], before["login_session"], after["login_session"])

        res.check("all %d GETs answered" % total, sum(status.values()) == total and not errors,
                  (sum(status.values()), dict(errors)))
        res.check("no httpd child crashed", not crashes, crashes[:5])
        res.check("each answered as expected (200 / 404 unknown link / 200)", not wrong, wrong)
        res.check("session rows did not grow", after["session"] <= before["session"],
                  (before["session"], after["session"]))
        res.check("login_session rows did not grow",
                  after["login_session"] <= before["login_session"],
                  (before["login_session"], after["login_session"]))
        res.check("nothing else stored", all(after[t] <= before[t] for t in TABLES),
                  {t: (before[t], after[t]) for t in TABLES})
    finally:
        site.stop()
    return res.done()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="sqlite3", choices=["sqlite3", "pgsql"])
    ap.add_argument("--requests", type=int, default=10000)
    a = ap.parse_args(argv)
    r = run(a.backend, a.requests)
    r.print()
    return 0 if r.passed else 1


if __name__ == "__main__":
    sys.exit(main())
