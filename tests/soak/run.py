"""Runs the soak and fault runs one after the other and prints one summary
table (make soak, make soak-smoke; see mk/soak.mk).  Not part of make test.

    python3 tests/soak/run.py [--seconds 60] [--smoke] [--only NAME,...]

--seconds is how long the timed runs last (soak_graceful's load,
soak_kill9's killing, soak_mail_outage's failing mail program);
soak_pg_outage stops PostgreSQL for 15 s (then 6 short outages of 2 s,
only to look for crashed children) and soak_anonymous sends 10,000 GETs
whatever it says.  --smoke runs each briefly (a few seconds of load;
soak_kill9 still waits for the claims of the killed senders to run out).
The soak's own PostgreSQL (tests/soak/pg.sh, port 55433) is started first
and stopped at the end.  Every figure and check is also written to
var/soak/results.json.  Exit status 1 when a check failed."""
import argparse
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import soak_anonymous  # noqa: E402
import soak_graceful  # noqa: E402
import soak_kill9  # noqa: E402
import soak_mail_outage  # noqa: E402
import soak_pg_outage  # noqa: E402


def plan(seconds, smoke):
    if smoke:
        return [
            ("soak_graceful", "sqlite3", lambda: soak_graceful.run("sqlite3", 6, 8, every=2)),
            ("soak_graceful", "pgsql", lambda: soak_graceful.run("pgsql", 6, 8, every=2)),
            ("soak_pg_outage", "pgsql",
             lambda: soak_pg_outage.run("pgsql", outage=4, before=3, after=4)),
            ("soak_kill9", "pgsql", lambda: soak_kill9.run("pgsql", 5)),
            ("soak_mail_outage", "sqlite3",
             lambda: soak_mail_outage.run("sqlite3", 5, before=2, after=2)),
            ("soak_anonymous", "sqlite3", lambda: soak_anonymous.run("sqlite3", 600)),
            ("soak_anonymous", "pgsql", lambda: soak_anonymous.run("pgsql", 600)),
        ]
    return [
        ("soak_graceful", "sqlite3", lambda: soak_graceful.run("sqlite3", seconds, 8)),
        ("soak_graceful", "pgsql", lambda: soak_graceful.run("pgsql", seconds, 8)),
        ("soak_pg_outage", "pgsql", lambda: soak_pg_outage.run("pgsql", outage=15, flaps=6)),
        ("soak_kill9", "pgsql", lambda: soak_kill9.run("pgsql", seconds)),
        ("soak_mail_outage", "sqlite3", lambda: soak_mail_outage.run("sqlite3", seconds)),
        ("soak_anonymous", "sqlite3", lambda: soak_anonymous.run("sqlite3", 10000)),
        ("soak_anonymous", "pgsql", lambda: soak_anonymous.run("pgsql", 10000)),
    ]


def table(results):
    rows = [("run", "backend", "span", "took", "requests", "failed", "result", "key figures")]
    for r in results:
        rows.append((r.name, r.backend, r.span(), "%.0fs" % r.elapsed,
                     "-" if r.requests is None else str(r.requests),
                     "-" if r.failures is None else str(r.failures),
                     "PASS" if r.passed else "FAIL", r.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 12)
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 60)))
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated run names")
    a = ap.parse_args(argv)
    only = {x for x in a.only.split(",") if x}
    common.clean_old_runs()
    common.soak_pg("start")
    results = []
    t0 = time.time()
    try:
        for name, backend, fn in plan(a.seconds, a.smoke):
            if only and name not in only:
                continue
            print("-- %s (%s) ..." % (name, backend), flush=True)
            try:
                r = fn()
            except Exception:                    # noqa: BLE001 — a run that broke is a FAIL row
                r = common.Result(name, backend, a.seconds)
                r.check("the run completed", False, traceback.format_exc()[-1500:])
                r.done()
                common.soak_pg("start")          # in case it broke while the server was down
            r.print()
            results.append(r)
    finally:
        common.soak_pg("stop")
    os.makedirs(common.SOAK_DIR, exist_ok=True)
    with open(os.path.join(common.SOAK_DIR, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"smoke": a.smoke, "seconds": a.seconds, "took": round(time.time() - t0),
                   "runs": [r.as_dict() for r in results]}, f, ensure_ascii=False, indent=1)
    print("\n== soak summary (%s, %.0f s)\n" % ("smoke" if a.smoke else "SOAK_SECONDS=%g" % a.seconds,
                                               time.time() - t0))
    print(table(results))
    failed = [r for r in results if not r.passed]
    print("\n%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
