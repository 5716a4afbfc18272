"""soak_graceful: N clients walk whole wizard flows (terms to 宣言完了 by the
mailed link) and read pages for T seconds against one site, while httpd is
gracefully restarted every 10 s.  A client sends a GET again, once, when a
kept-alive connection is closed under it (what a browser does; a stopping
child closes its idle connections); a POST is never sent again.

Reports requests, failures (must be 0), GETs sent again, declarations
completed, mails delivered against those expected (one 受付確認 per confirm
POST answered 303, one 完了 per completion, none twice), slowest answers."""
import argparse
import sys
import time

from common import (CORP, ONE_STAR, SOLE, TWO_STAR, Client, FlowError, Mailbox, Result,
                    SoakSite, Stats, browse, child_crashes, complete, declare, log_levels,
                    log_times, new_email, run_clients, soak_pg, wait_outbox_empty)


def lease_gaps(restarts, leases):
    """For each graceful restart, seconds until the mail worker of the new
    generation took the lease (SA015), or None when it had not before the
    next restart (or the end)."""
    out = []
    for i, r in enumerate(restarts):
        nxt = restarts[i + 1] if i + 1 < len(restarts) else float("inf")
        taken = [t for t in leases if r < t < nxt]
        out.append(round(taken[0] - r, 1) if taken else None)
    return out


def run(backend="sqlite3", seconds=60, clients=8, every=10.0):
    res = Result("soak_graceful", backend, seconds)
    if backend == "pgsql":
        soak_pg("start")
    site = SoakSite(backend).start()
    try:
        mbox = Mailbox(site.maildir)
        stats = Stats()
        stop_at = time.time() + seconds
        kinds = [(CORP, ONE_STAR), (SOLE, TWO_STAR)]

        def client(i):
            c = Client(site, stats, i, retry_post=True)
            n = 0
            while time.time() < stop_at:
                n += 1
                addr = new_email("g%d" % i)
                company, decl = kinds[n % 2]
                try:
                    declare(c, addr, company, decl)
                    got = mbox.wait(addr, "received", 30)
                    if not got or not got[0][1]:
                        stats.fail("mail", "no 受付確認 mail with a link within 30 s")
                    else:
                        complete(c, got[0][1], addr)
                    browse(c, 3)
                except FlowError as e:
                    stats.fail(e.stage, e.outcome + (" " + e.text[:160] if
                                                     e.outcome.startswith("error") else ""))
                c.s.cookies.clear()          # the next applicant, same connections

        threads = run_clients(clients, client)
        restarts, next_restart, restart_times = 0, time.time() + every, []
        while any(t.is_alive() for t in threads):
            if time.time() >= next_restart and time.time() < stop_at:
                restart_times.append(time.time())
                site.graceful()
                restarts += 1
                next_restart += every
            time.sleep(0.05)

        pending, drained = wait_outbox_empty(site, 120)
        missing, duplicated, unexpected = mbox.tally(set(stats.confirmed), stats.completed)
        expected = len(stats.confirmed) + len(stats.completed)
        declared = int(site.sql("SELECT count(*) FROM declaration WHERE state = 'declared'")[0][0])
        stored = int(site.sql("SELECT count(*) FROM declaration")[0][0])

        res.fig("clients", clients)
        res.fig("graceful restarts", restarts)
        res.fig("requests", stats.requests())
        res.fig("failures", len(stats.failures))
        res.fig("GETs sent again", sum(n for k, n in stats.retried.items()
                                       if k.startswith("GET")))
        res.fig("POSTs sent again (reused, closed unanswered)", dict(
            (k, n) for k, n in stats.retried.items() if not k.startswith("GET")))
        res.fig("outcomes", dict(sorted(stats.outcomes().items())))
        res.fig("confirm POSTs answered 303", len(stats.confirmed))
        res.fig("declarations completed", len(stats.completed))
        res.fig("rows: declared / all", "%d / %d" % (declared, stored))
        res.fig("mails delivered / expected", "%d / %d" % (mbox.files(), expected))
        res.fig("mails missing / twice / unexpected", "%d / %d / %d" % (missing, duplicated,
                                                                        unexpected))
        res.fig("outbox unsent at end (drain s)", "%s (%ss)" % (pending, drained))
        res.fig("latency p50 / p99 / max s", "%.3f / %.3f / %.3f" % (
            stats.percentile(0.5), stats.percentile(0.99), stats.percentile(1.0)))
        res.fig("mail worker lease taken s after each restart",
                lease_gaps(restart_times, log_times(site, "SA015")))
        crashes = child_crashes(site)
        res.fig("httpd children crashed", "%d %s" % (len(crashes), crashes[:5]))
        res.fig("error log warn+", log_levels(site))

        res.requests, res.failures = stats.requests(), len(stats.failures)
        resent_get = sum(n for k, n in stats.retried.items() if k.startswith("GET"))
        res.summary = "%d restarts; %d completed; mails %d/%d; resent %d GET %d POST; max %.2fs" % (
            restarts, len(stats.completed), mbox.files(), expected, resent_get,
            sum(stats.retried.values()) - resent_get, stats.percentile(1.0))

        res.check("no failed request or flow", not stats.failures, stats.failures[:10])
        res.check("no httpd child crashed", not crashes, crashes[:5])
        res.check("restarted every %gs" % every, restarts >= max(1, int(seconds // every) - 1),
                  restarts)
        res.check("some declarations completed", len(stats.completed) > 0)
        res.check("every completion is a declared row", declared == len(stats.completed),
                  (declared, len(stats.completed)))
        res.check("every mail delivered exactly once",
                  missing == 0 and duplicated == 0 and unexpected == 0 and not mbox.broken
                  and pending == 0
                  and mbox.files() == expected, (missing, duplicated, unexpected, pending))
        res.check("no 'scoreboard is full'", "scoreboard is full" not in site.error_log())
        res.check("no request waited 5 s or more", stats.percentile(1.0) < 5.0,
                  stats.percentile(1.0))
    finally:
        site.stop()
    return res.done()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="sqlite3", choices=["sqlite3", "pgsql"])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--every", type=float, default=10)
    a = ap.parse_args(argv)
    r = run(a.backend, a.seconds, a.clients, a.every)
    r.print()
    return 0 if r.passed else 1


if __name__ == "__main__":
    sys.exit(main())
