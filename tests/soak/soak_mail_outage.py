"""soak_mail_outage: clients declare on one site and read pages while the
mail program fails (build/sa-sendmail exits 75 while FAIL exists in its
folder) for T seconds, then works again.  Whoever finds a 受付確認 mail
opens its link and completes, as its owner would.

Checks: the pages answer as usual throughout (declaring needs no mail
server); no mail file appears while the program fails; afterwards the
retry worker delivers everything, and every mail is delivered exactly
once: one 受付確認 file per confirm POST answered 303, one 完了 file per
completion, nothing else (files counted)."""
import argparse
import collections
import sys
import threading
import time

from common import (CORP, ONE_STAR, SOLE, TWO_STAR, Client, FlowError, Mailbox, Result,
                    SoakSite, Stats, browse, child_crashes, complete, declare, log_levels, new_email,
                    phase_table, run_clients, wait_outbox_empty)

PHASES = ("before", "outage", "after")


def run(backend="sqlite3", outage=60.0, before=5.0, after=10.0, clients=8):
    res = Result("soak_mail_outage", backend, outage)
    site = SoakSite(backend).start()
    try:
        mbox = Mailbox(site.maildir)
        stats = Stats()
        stats.phase = "before"
        loading = threading.Event()
        loading.set()
        waiting = collections.OrderedDict()   # address -> None: declared, link not used yet
        wlock = threading.Lock()
        completer_on = threading.Event()
        completer_on.set()
        kinds = [(CORP, ONE_STAR), (SOLE, TWO_STAR)]

        def client(i):
            c = Client(site, stats, i)
            n = 0
            while loading.is_set():
                n += 1
                addr = new_email("m%d" % i)
                try:
                    declare(c, addr, *kinds[n % 2])
                    with wlock:
                        waiting[addr] = None
                    browse(c, 2)
                except FlowError as e:
                    stats.fail(e.stage, e.outcome)
                c.s.cookies.clear()

        def completer(j):
            # the owners of the mailboxes: each opens the link once it arrives
            c = Client(site, stats, 100 + j)
            while completer_on.is_set():
                with wlock:
                    todo = [a for a in waiting if sum(a.encode()) % 2 == j][:50]
                done_any = False
                for addr in todo:
                    got = mbox.get(addr, "received")
                    if not got or not got[0][1]:
                        continue
                    try:
                        complete(c, got[0][1], addr)
                    except FlowError as e:
                        stats.fail(e.stage, e.outcome)
                    with wlock:
                        waiting.pop(addr, None)
                    c.s.cookies.clear()
                    done_any = True
                if not done_any:
                    time.sleep(0.1)

        threads = run_clients(clients, client)
        comps = run_clients(2, completer)
        time.sleep(before)

        stats.phase = "outage"
        site.set_mail_failing(True)
        t0 = time.time()
        time.sleep(1.0)                       # a mail handed over just before may still land
        files_at_start = mbox.files()
        max_failing = 0
        while time.time() - t0 < outage:
            try:
                max_failing = max(max_failing, int(site.status().get("OutboxFailing", 0)))
            except Exception:                 # noqa: BLE001 — a status read is only a figure
                pass
            time.sleep(1.0)
        files_at_end = mbox.files()
        depth_at_end = site.pending_mail()
        site.set_mail_failing(False)
        recovered_at = time.time()
        stats.phase = "after"
        time.sleep(after)
        loading.clear()
        for t in threads:
            t.join(60)

        # the retry worker drains the outbox; the owners complete meanwhile
        deadline = time.time() + 300
        backlog_gone = None
        while time.time() < deadline:
            with wlock:
                left = len(waiting)
            if backlog_gone is None and int(site.sql(
                    "SELECT count(*) FROM outbox WHERE kind = 'received' AND sent_at IS NULL "
                    "AND created_at <= %d" % int(recovered_at))[0][0]) == 0:
                backlog_gone = round(time.time() - recovered_at, 1)
            if left == 0 and site.pending_mail() == 0:
                break
            time.sleep(0.5)
        drained = round(time.time() - recovered_at, 1)
        completer_on.clear()
        for t in comps:
            t.join(30)
        pending, _ = wait_outbox_empty(site, 60)
        time.sleep(3)                         # a second delivery would show up now
        missing, duplicated, unexpected = mbox.tally(set(stats.confirmed), stats.completed)
        expected = len(stats.confirmed) + len(stats.completed)
        files = mbox.files()
        attempts = collections.Counter(r[0] for r in site.sql(
            "SELECT attempts FROM outbox WHERE kind = 'received'"))
        per_phase = phase_table(stats, PHASES)

        res.fig("clients (+ owners completing)", "%d (+2)" % clients)
        res.fig("requests", stats.requests())
        for p in PHASES:
            res.fig("%s: outcomes" % p, per_phase[p])
        res.fig("failures", len(stats.failures))
        res.fig("confirm POSTs answered 303", len(stats.confirmed))
        res.fig("  of which during the outage", sum(1 for p in stats.confirmed.values()
                                                    if p == "outage"))
        res.fig("declarations completed", len(stats.completed))
        res.fig("mail files during the outage", files_at_end - files_at_start)
        res.fig("outbox unsent when the program came back", depth_at_end)
        res.fig("status OutboxFailing (max)", max_failing)
        res.fig("outage's 受付確認 all delivered after (s)", backlog_gone)
        res.fig("all delivered and completed after (s)", drained)
        res.fig("mails delivered / expected", "%d / %d" % (files, expected))
        res.fig("mails missing / twice / unexpected", "%d / %d / %d" % (missing, duplicated,
                                                                        unexpected))
        res.fig("受付確認 attempts (n: rows)", dict(sorted(attempts.items(), key=lambda x: int(x[0]))))
        res.fig("outbox unsent at end", pending)
        res.fig("GETs sent again", sum(stats.retried.values()))
        crashes = child_crashes(site)
        res.fig("httpd children crashed", "%d %s" % (len(crashes), crashes[:5]))
        res.fig("error log warn+", log_levels(site))

        res.requests, res.failures = stats.requests(), len(stats.failures)
        res.summary = "mails %d/%d, twice %d, missing %d; backlog %d gone %ss after" % (
            files, expected, duplicated, missing, depth_at_end, backlog_gone)

        res.check("no failed request or flow", not stats.failures, stats.failures[:10])
        res.check("no httpd child crashed", not crashes, crashes[:5])
        res.check("declarations went on during the outage",
                  any(p == "outage" for p in stats.confirmed.values()))
        res.check("no mail file while the program fails", files_at_end == files_at_start,
                  (files_at_start, files_at_end))
        res.check("mail waited in the outbox during the outage", depth_at_end > 0, depth_at_end)
        res.check("every mail delivered exactly once (files counted)",
                  files == expected and missing == 0 and duplicated == 0 and unexpected == 0
                  and not mbox.broken
                  and pending == 0, (files, expected, missing, duplicated, unexpected, pending))
        res.check("every declaration completed by its mailed link",
                  stats.completed >= set(stats.confirmed),
                  len(set(stats.confirmed) - stats.completed))
    finally:
        site.set_mail_failing(False)
        site.stop()
    return res.done()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="sqlite3", choices=["sqlite3", "pgsql"])
    ap.add_argument("--seconds", type=float, default=60, help="how long the mail program fails")
    ap.add_argument("--clients", type=int, default=8)
    a = ap.parse_args(argv)
    r = run(a.backend, a.seconds, clients=a.clients)
    r.print()
    return 0 if r.passed else 1


if __name__ == "__main__":
    sys.exit(main())
