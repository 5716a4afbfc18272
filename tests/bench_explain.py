"""The plans and timings of the public search's statements on the seeded
databases of the search benchmark (tests/bench_search.py): for each query of
the benchmark, the statements mod_secaction runs for it (see
mod_secaction/httpd/sa_public.c: the rarest gram's counts, the page, the
capped count), with parameters bound as the module binds them, so that the
planner knows no more than it does.

    python3 tests/bench_explain.py [sqlite3] [pgsql] [--generic]

--generic: PostgreSQL's generic plans (plan_cache_mode = force_generic_plan).

SQLite: EXPLAIN QUERY PLAN and the median time of 5 runs (Python's sqlite3
on the system's libsqlite3, the library apr-util's driver uses).
PostgreSQL (tests/bench_pg.sh must be running): PREPAREd with the
parameter types apr-util's pgsql driver gives (%s text, %lld bigint),
executed 6 times so that the plan cache has chosen between the custom and
the generic plan, then EXPLAIN (ANALYZE, BUFFERS) EXECUTE.
The statements are built like sa_public.c's search_sql(): keep them in step."""
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import bench_search as bs  # noqa: E402

COLS = ("l.declaration_id, l.declaration_no, l.name, l.pref, l.city, l.jsic_major,"
        " l.level, l.declared_at")
# sa_public.c's variants: one statement per combination of what a query has
Q_LIKE, Q_PREF, Q_JSIC, Q_LEVEL, Q_COUNT = 1, 2, 4, 8, 16
COUNT_OF = "SELECT n FROM listing_count WHERE gram = %s AND pref = %s"
RAREST = ("SELECT gram, n FROM listing_count WHERE pref = %s"
          " AND gram IN (%s, %s, %s, %s, %s, %s, %s, %s)")
MAX_GRAMS = 8


def counted_by_table(v):
    return not v & (Q_LIKE | Q_JSIC | Q_LEVEL)


def search_sql(v):
    """sa_public.c's search_sql(v)."""
    count = v & Q_COUNT
    return "".join([
        "SELECT COUNT(*) FROM (SELECT 1" if count else "SELECT " + COLS,
        " FROM listing_gram g JOIN public_listing l ON l.declaration_id = g.declaration_id"
        " WHERE g.gram = %s",
        " AND g.pref = %s" if v & Q_PREF else "",
        "" if count else " AND g.declaration_id < %lld AND l.declaration_id < %lld",
        " AND l.search_text LIKE %s ESCAPE '\\'" if v & Q_LIKE else "",
        " AND l.jsic_major = %s" if v & Q_JSIC else "",
        " AND l.level = %lld" if v & Q_LEVEL else "",
        " LIMIT %lld) t" if count else " ORDER BY g.declaration_id DESC LIMIT %lld",
    ])


def statements():
    out = {"count_of": COUNT_OF, "rarest": RAREST}
    for v in range(32):
        if not (v & Q_COUNT and counted_by_table(v)):
            out["search_%02d" % v] = search_sql(v)
    return out


STATEMENTS = statements()
PAGE_ROWS, COUNT_CAP = 20, 1000
BEFORE_MAX = str(2 ** 63 - 1)


def placeholders(sql, style):
    """apr_dbd's %s / %lld as numbered parameters (?N or $N) and their types."""
    types, out, i = [], [], 0
    for part in re.split(r"(%s|%lld)", sql):
        if part in ("%s", "%lld"):
            i += 1
            types.append("text" if part == "%s" else "bigint")
            out.append(("?%d" if style == "sqlite" else "$%d") % i)
        else:
            out.append(part)
    return "".join(out), types


def query_grams(key):
    """sa_search_query_grams: the key itself (up to three characters) or its
    distinct runs of three."""
    if len(key) <= 3:
        return [key]
    out = []
    for i in range(len(key) - 2):
        if key[i:i + 3] not in out:
            out.append(key[i:i + 3])
    return out


def like_of(key):
    return "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def module_calls(params, key, gram_counts):
    """The statements (name, args) the module runs for a query, given a
    function that reads the postings of grams in a prefecture or anywhere
    from listing_count (a dict gram -> n)."""
    pref = params.get("pref", "")
    before = params.get("before", BEFORE_MAX)
    grams = query_grams(key) if key else []
    calls, gram = [], ""
    if len(grams) == 1:
        gram = grams[0]
    elif grams:
        weighed = grams[:MAX_GRAMS]
        args = [pref] + [weighed[min(i, len(weighed) - 1)] for i in range(MAX_GRAMS)]
        calls.append(("rarest", args))
        counts, best = gram_counts(args), None
        for g in weighed:
            n = counts.get(g, 0)
            if best is None or n < best[1]:
                best = (g, n)
            if n <= 0:
                break
        gram = best[0]
    v = (Q_LIKE if len(key) > 3 else 0) | (Q_PREF if pref else 0)
    for c in (0, Q_COUNT):
        if c and counted_by_table(v):
            calls.append(("count_of", [gram, pref]))
            continue
        args = [gram] + ([pref] if pref else [])
        if not c:
            args += [before, before]
        args += [like_of(key)] if v & Q_LIKE else []
        args.append(str(COUNT_CAP + 1 if c else PAGE_ROWS))
        calls.append(("search_%02d" % (v | c), args))
    return calls


def queries():
    """The benchmark's queries, and a page deep in a broad one (before=)."""
    label, params, key = bs.LAST_PAGE_OF
    deep = dict(params, before=os.environ.get("BENCH_EXPLAIN_BEFORE", "287"))
    return list(bs.QUERIES) + [("%s before=%s" % (label, deep["before"]), deep, key)]


# --- SQLite -------------------------------------------------------------------------

def sqlite_report(path):
    db = sqlite3.connect(path)
    prepared = {k: placeholders(v, "sqlite")[0] for k, v in STATEMENTS.items()}
    print("== SQLite %s (%s)" % (sqlite3.sqlite_version, path))
    for name, sql in prepared.items():
        plan = db.execute("EXPLAIN QUERY PLAN " + sql, [None] * sql.count("?")).fetchall()
        print("-- %s: %s" % (name, sql))
        for row in plan:
            print("   " + row[-1])

    def timed(name, args):
        best = []
        for _ in range(5):
            t0 = time.perf_counter()
            rows = db.execute(prepared[name], args).fetchall()
            best.append(time.perf_counter() - t0)
        best.sort()
        return best[2] * 1000, rows

    def gram_counts(args):
        return {g: int(n) for g, n in db.execute(prepared["rarest"], args).fetchall()}

    for label, params, key in queries():
        total = 0.0
        print("-- %s  %s" % (label, params))
        calls = module_calls(params, key, gram_counts)
        for name, args in calls:
            ms, rows = timed(name, args)
            total += ms
            counted = name == "count_of" or (name.startswith("search_") and int(name[7:]) & Q_COUNT)
            shown = (rows[0][0] if rows else 0) if counted else "%d rows" % len(rows)
            print("   %-10s %8.2f ms  %-10s args %s" % (name, ms, shown, args))
        print("   total      %8.2f ms of statements (serialised in one process by apr-util's"
              " sqlite3 driver)" % total)


# --- PostgreSQL ---------------------------------------------------------------------

def pg_report(dbname, generic=False):
    lines = ["SET client_min_messages = warning;"]
    if generic:
        lines.append("SET plan_cache_mode = force_generic_plan;")
    for name, sql in STATEMENTS.items():
        text, types = placeholders(sql, "pg")
        lines.append("PREPARE %s (%s) AS %s;" % (name, ", ".join(types), text))

    def lit(v):
        return "'" + v.replace("'", "''") + "'"

    def gram_counts(args):
        out = bs.psql(["-F", "\t", "-c", "SELECT gram, n FROM listing_count WHERE pref = %s"
                       " AND gram IN (%s)" % (lit(args[0]), ", ".join(lit(a) for a in args[1:]))],
                      db=dbname)
        return {g: int(n) for g, n in (line.split("\t") for line in out.splitlines() if line)}

    for label, params, key in queries():
        lines.append("\\echo '-- %s  %s'" % (label, str(params).replace("'", "")))
        calls = module_calls(params, key, gram_counts)
        for name, args in calls:
            call = "EXECUTE %s (%s)" % (name, ", ".join(lit(a) for a in args))
            lines += ["\\o /dev/null"] + [call + ";"] * 6 + ["\\o"]
            lines.append("\\echo '   " + call.replace("'", "") + "'")
            lines.append("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + call + ";")
    env = dict(os.environ, PGPASSWORD="secaction")
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(bs.PG_PORT), "-U", "secaction",
                          "-qAtX", "-v", "ON_ERROR_STOP=1", "-d", dbname, "-f", "-"],
                         input="\n".join(lines) + "\n", env=env, capture_output=True,
                         text=True, check=True).stdout
    print("== PostgreSQL (%s)%s" % (dbname, ", generic plans" if generic else ""))
    print(out)


def main():
    args = sys.argv[1:]
    generic = "--generic" in args
    which = [a for a in args if not a.startswith("--")] or ["sqlite3", "pgsql"]
    if "sqlite3" in which:
        path = os.path.join(bs.SEED_DIR, "sqlite-%d-s%d.sqlite" % (bs.ROWS, bs.SEED))
        sqlite_report(path)
    if "pgsql" in which:
        pg_report("secaction_bench_%d_s%d" % (bs.ROWS, bs.SEED), generic)


if __name__ == "__main__":
    main()
