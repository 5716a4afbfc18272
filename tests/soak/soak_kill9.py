"""soak_kill9: clients walk the wizard to 受付確認 on a PostgreSQL site, and
while confirm POSTs are in flight an httpd child (a child of the pid in
run/httpd.pid) is killed with SIGKILL, again and again.  httpd starts new
children by itself.

Afterwards, in SQL: every declaration row has its 受付確認 outbox row and
every such row its declaration (the two are written in one transaction:
both or neither), none has two, every declaration has its history row; no
confirm POST answered 303 lacks its row; the outbox empties (a mail whose
sender was killed waits for its claim to run out, SecActionMailTimeout +
60 s) and each declaration's 受付確認 is in the mail folder.  A mail the
sendmail program took just before the kill, not yet marked sent, is sent
again: delivery is at least once (reported)."""
import argparse
import collections
import os
import random
import signal
import sys
import threading
import time

from common import (CORP, ONE_STAR, Client, FlowError, Mailbox, Result, SoakSite, Stats,
                    child_crashes, declare, log_levels, new_email, run_clients, soak_pg,
                    wait_outbox_empty)


def alive(pid):
    """Whether pid runs (a zombie waiting for httpd to reap it is dead)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def scalar(site, q):
    return int(site.sql(q)[0][0])


def run(backend="pgsql", seconds=30.0, clients=8, interval=1.0):
    res = Result("soak_kill9", backend, seconds)
    soak_pg("start")
    site = SoakSite("pgsql").start()
    try:
        mbox = Mailbox(site.maildir)
        stats = Stats()
        stop_at = time.time() + seconds

        def client(i):
            c = Client(site, stats, i)
            while time.time() < stop_at:
                try:
                    declare(c, new_email("k%d" % i), CORP, ONE_STAR)
                except FlowError as e:
                    stats.fail(e.stage, e.outcome)
                    time.sleep(0.1)
                c.s.cookies.clear()

        kills, died, misses = [], [], 0
        rnd = random.Random(9)

        def killer():
            nonlocal misses
            while time.time() < stop_at - 1:
                time.sleep(interval * rnd.uniform(0.5, 1.5))
                deadline = time.time() + 2
                while stats.confirm_inflight == 0 and time.time() < deadline:
                    time.sleep(0.001)
                if stats.confirm_inflight == 0:
                    misses += 1
                    continue
                time.sleep(rnd.uniform(0, 0.03))     # somewhere inside the POST
                try:
                    kids = site.children()
                except (OSError, ValueError):
                    continue
                if not kids:
                    continue
                pid = rnd.choice(kids)
                try:
                    os.kill(pid, signal.SIGKILL)
                    kills.append((time.time(), pid, stats.confirm_inflight))
                except ProcessLookupError:
                    continue
                # httpd does not log a child's SIGKILL: see it die here
                gone = time.time() + 2
                while time.time() < gone and alive(pid):
                    time.sleep(0.005)
                if not alive(pid):
                    died.append(pid)

        threads = run_clients(clients, client)
        k = threading.Thread(target=killer, daemon=True)
        k.start()
        for t in threads + [k]:
            t.join(120)

        # httpd has children again and answers
        deadline = time.time() + 15
        while time.time() < deadline and not site.children():
            time.sleep(0.2)
        pending, drained = wait_outbox_empty(site, 150)

        no_mail_row = scalar(site, "SELECT count(*) FROM declaration d WHERE NOT EXISTS "
                             "(SELECT 1 FROM outbox o WHERE o.declaration_id = d.id "
                             "AND o.kind = 'received')")
        no_decl_row = scalar(site, "SELECT count(*) FROM outbox o WHERE o.kind = 'received' AND "
                             "(o.declaration_id IS NULL OR NOT EXISTS (SELECT 1 FROM declaration d "
                             "WHERE d.id = o.declaration_id))")
        two_rows = scalar(site, "SELECT count(*) FROM (SELECT declaration_id FROM outbox WHERE "
                          "kind = 'received' GROUP BY declaration_id HAVING count(*) > 1) x")
        no_history = scalar(site, "SELECT count(*) FROM declaration d WHERE NOT EXISTS "
                            "(SELECT 1 FROM declaration_history h WHERE h.declaration_id = d.id)")
        rows = scalar(site, "SELECT count(*) FROM declaration")
        attempts = collections.Counter(r[0] for r in site.sql(
            "SELECT attempts FROM outbox WHERE kind = 'received'"))
        emails = {r[0] for r in site.sql("SELECT email FROM declaration")}
        lost = sorted(a for a in stats.confirmed if a not in emails)
        broken = {a: o for a, o in stats.confirm_other.items() if o.startswith("error")}
        broken_stored = sum(1 for a in broken if a in emails)
        missing, duplicated, _ = mbox.tally(emails, set())

        res.fig("clients", clients)
        res.fig("kill -9 sent (no confirm in flight)", "%d (%d)" % (len(kills), misses))
        res.fig("children seen dead after the kill", len(died))
        res.fig("requests", stats.requests())
        res.fig("outcomes", dict(sorted(stats.outcomes().items())))
        res.fig("confirm POSTs", dict(sorted(stats.outcomes(kind="confirm").items())))
        res.fig("confirm POSTs answered 303", len(stats.confirmed))
        res.fig("confirm POSTs broken by a kill", len(broken))
        res.fig("  of which stored", broken_stored)
        res.fig("declaration rows", rows)
        res.fig("rows without 受付確認 outbox row", no_mail_row)
        res.fig("受付確認 rows without declaration", no_decl_row)
        res.fig("declarations with two 受付確認 rows", two_rows)
        res.fig("declarations without history", no_history)
        res.fig("303 without a row (lost)", len(lost))
        res.fig("outbox unsent at end (drain s)", "%s (%ss)" % (pending, drained))
        res.fig("受付確認 attempts (n: rows)", dict(sorted(attempts.items())))
        res.fig("mails: files / missing / twice", "%d / %d / %d" % (mbox.files(), missing,
                                                                   duplicated))
        res.fig("mail files empty or cut (sender killed mid-write)",
                "%d %s" % (len(mbox.broken), [size for _, size in mbox.broken]))
        res.fig("  twice among the broken-but-stored", sum(
            1 for a in broken if a in emails and len(mbox.get(a, "received")) > 1))
        res.fig("GETs sent again", sum(stats.retried.values()))
        crashes = child_crashes(site)
        res.fig("httpd children crashed", "%d %s" % (len(crashes), crashes[:5]))
        res.fig("error log warn+", log_levels(site))

        res.requests = stats.requests()
        res.failures = sum(n for o, n in stats.outcomes().items() if o not in ("200", "303"))
        res.summary = ("%d kills, %d POSTs broken (%d stored); orphans %d/%d; lost %d; "
                       "mails twice %d, empty/cut %d" % (
                           len(died), len(broken), broken_stored, no_mail_row, no_decl_row,
                           len(lost), duplicated, len(mbox.broken)))

        res.check("children were killed during confirm POSTs",
                  len(died) > 0 and len(broken) > 0, (len(kills), len(died), len(broken)))
        res.check("no httpd child crashed", not crashes, crashes[:5])
        res.check("every declaration has its 受付確認 outbox row, every row its declaration",
                  no_mail_row == 0 and no_decl_row == 0, (no_mail_row, no_decl_row))
        res.check("no declaration has two 受付確認 rows", two_rows == 0, two_rows)
        res.check("every declaration has its history row", no_history == 0, no_history)
        res.check("no declaration whose confirm POST answered 303 is lost", not lost, lost[:10])
        res.check("the outbox empties after the kills", pending == 0, pending)
        res.check("every declaration's 受付確認 is in the mail folder", missing == 0, missing)
        res.check("httpd serves again", site.children() != [])
    finally:
        site.stop()
    return res.done()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--interval", type=float, default=1.0)
    a = ap.parse_args(argv)
    r = run("pgsql", a.seconds, a.clients, a.interval)
    r.print()
    return 0 if r.passed else 1


if __name__ == "__main__":
    sys.exit(main())
