"""The plans and timings of the public search's statements on the seeded
databases of the search benchmark (tests/bench_search.py): for each query of
the benchmark, the statements mod_secaction runs for it (see
mod_secaction/httpd/sa_public.c: the rarest gram's counts, the page, the
capped count), with parameters bound as the module binds them, so that the
planner knows no more than it does.

    python3 tests/bench_explain.py [sqlite3] [pgsql] [--proposed] [--generic]

--proposed: the statements proposed instead (PROPOSED below); --generic:
PostgreSQL's generic plans (plan_cache_mode = force_generic_plan).

SQLite: EXPLAIN QUERY PLAN and the median time of 5 runs (Python's sqlite3
on the system's libsqlite3, the library apr-util's driver uses).
PostgreSQL (tests/bench_pg.sh must be running): PREPAREd with the
parameter types apr-util's pgsql driver gives (%s text, %lld bigint),
executed 6 times so that the plan cache has chosen between the custom and
the generic plan, then EXPLAIN (ANALYZE, BUFFERS) EXECUTE.
The statements are copied from sa_public.c: keep them in step."""
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
FILTERS = (" AND (%s = '' OR l.pref = %s) AND (%s = '' OR l.jsic_major = %s)"
           " AND (CAST(%lld AS INTEGER) = 0 OR l.level = CAST(%lld AS INTEGER))")
NAME_FROM = (" FROM listing_gram g JOIN public_listing l ON l.declaration_id = g.declaration_id"
             " WHERE g.gram = %s AND l.search_text LIKE %s ESCAPE '\\'")
STATEMENTS = {
    "list": "SELECT " + COLS + " FROM public_listing l WHERE l.declaration_id < %lld" + FILTERS
            + " ORDER BY l.declaration_id DESC LIMIT %lld",
    "list_count": "SELECT COUNT(*) FROM (SELECT 1 FROM public_listing l WHERE 1 = 1" + FILTERS
                  + " LIMIT %lld) t",
    "name": "SELECT " + COLS + NAME_FROM + " AND g.declaration_id < %lld" + FILTERS
            + " ORDER BY g.declaration_id DESC LIMIT %lld",
    "name_count": "SELECT COUNT(*) FROM (SELECT 1" + NAME_FROM + FILTERS + " LIMIT %lld) t",
    "gram_count": "SELECT COUNT(*) FROM (SELECT 1 FROM listing_gram WHERE gram = %s LIMIT %lld) t",
}
# The statements proposed in the benchmark's report: one variant per filter
# (no "(%s = '' OR ...)"), the prefecture tested on listing_gram's own pref
# column (index listing_gram_pref), counts of a one-gram key (1 or 2
# characters: the gram is the key) from the gram index alone, the page's
# keyset bound on both sides of the join, a gram sample of 200.
P_NAME_FROM = (" FROM listing_gram g JOIN public_listing l ON l.declaration_id = g.declaration_id"
               " WHERE g.gram = %s")
PROPOSED = {
    "p_list": "SELECT " + COLS + " FROM public_listing l WHERE l.declaration_id < %lld"
              " ORDER BY l.declaration_id DESC LIMIT %lld",
    "p_list_pref": "SELECT " + COLS + " FROM public_listing l WHERE l.pref = %s"
                   " AND l.declaration_id < %lld ORDER BY l.declaration_id DESC LIMIT %lld",
    "p_list_count": "SELECT COUNT(*) FROM (SELECT 1 FROM public_listing LIMIT %lld) t",
    "p_list_pref_count": "SELECT COUNT(*) FROM (SELECT 1 FROM public_listing WHERE pref = %s"
                         " LIMIT %lld) t",
    "p_name": "SELECT " + COLS + P_NAME_FROM + " AND g.declaration_id < %lld"
              " AND l.declaration_id < %lld AND l.search_text LIKE %s ESCAPE '\\'"
              " ORDER BY g.declaration_id DESC LIMIT %lld",
    "p_name_pref": "SELECT " + COLS + P_NAME_FROM + " AND g.pref = %s AND g.declaration_id < %lld"
                   " AND l.declaration_id < %lld AND l.search_text LIKE %s ESCAPE '\\'"
                   " ORDER BY g.declaration_id DESC LIMIT %lld",
    "p_name_count": "SELECT COUNT(*) FROM (SELECT 1" + P_NAME_FROM
                    + " AND l.search_text LIKE %s ESCAPE '\\' LIMIT %lld) t",
    "p_name_pref_count": "SELECT COUNT(*) FROM (SELECT 1" + P_NAME_FROM + " AND g.pref = %s"
                         " AND l.search_text LIKE %s ESCAPE '\\' LIMIT %lld) t",
    "p_gram_count": "SELECT COUNT(*) FROM (SELECT 1 FROM listing_gram WHERE gram = %s"
                    " LIMIT %lld) t",
    "p_gram_pref_count": "SELECT COUNT(*) FROM (SELECT 1 FROM listing_gram WHERE gram = %s"
                         " AND pref = %s LIMIT %lld) t",
}
P_SAMPLE = 1001    # the rarest gram from counts capped like the page's count
GRAM_SAMPLE, PAGE_ROWS, COUNT_CAP = 5000, 20, 1000
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
    """sa_search_query_grams: the key itself (one character) or its distinct pairs."""
    if len(key) == 1:
        return [key]
    out = []
    for i in range(len(key) - 1):
        if key[i:i + 2] not in out:
            out.append(key[i:i + 2])
    return out


def like_of(key):
    return "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def module_calls(params, key, gram_counts):
    """The statements (name, args) the module runs for a query, given a
    function that counts a gram's postings (for the choice of the rarest)."""
    pref = params.get("pref", "")
    f = [pref, pref, "", "", "0", "0"]
    calls, gram = [], None
    if key:
        best = None
        for g in query_grams(key)[:8]:
            n = gram_counts(g)
            calls.append(("gram_count", [g, str(GRAM_SAMPLE)]))
            if best is None or n < best[1]:
                best = (g, n)
            if n == 0:
                break
        gram = best[0]
    before = params.get("before", BEFORE_MAX)
    if gram:
        calls.append(("name", [gram, like_of(key), before] + f + [str(PAGE_ROWS)]))
        calls.append(("name_count", [gram, like_of(key)] + f + [str(COUNT_CAP + 1)]))
    else:
        calls.append(("list", [before] + f + [str(PAGE_ROWS)]))
        calls.append(("list_count", f + [str(COUNT_CAP + 1)]))
    return calls


def proposed_calls(params, key, gram_counts):
    """The statements of the proposal for a query (gram_counts(g, pref)
    counts a gram's postings, in the prefecture when given, up to P_SAMPLE)."""
    pref = params.get("pref", "")
    before = params.get("before", BEFORE_MAX)
    cap = str(COUNT_CAP + 1)
    if not key:
        if pref:
            return [("p_list_pref", [pref, before, str(PAGE_ROWS)]), ("p_list_pref_count", [pref, cap])]
        return [("p_list", [before, str(PAGE_ROWS)]), ("p_list_count", [cap])]
    grams = query_grams(key)
    like = like_of(key)
    page = (("p_name_pref", None) if pref else ("p_name", None))[0]
    calls = []
    if len(grams) == 1:
        gram = grams[0]
        count = ("p_gram_pref_count", [gram, pref, cap]) if pref else ("p_gram_count", [gram, cap])
    else:
        best = None
        for g in grams[:8]:
            n = gram_counts(g, pref)
            calls.append(("p_gram_pref_count", [g, pref, str(P_SAMPLE)]) if pref
                         else ("p_gram_count", [g, str(P_SAMPLE)]))
            if best is None or n < best[1]:
                best = (g, n)
            if n == 0:
                break
        gram = best[0]
        count = (("p_name_pref_count", [gram, pref, like, cap]) if pref
                 else ("p_name_count", [gram, like, cap]))
    if page == "p_name_pref":
        calls.append((page, [gram, pref, before, before, like, str(PAGE_ROWS)]))
    else:
        calls.append((page, [gram, before, before, like, str(PAGE_ROWS)]))
    calls.append(count)
    return calls


def queries():
    """The benchmark's queries, and a page deep in a broad one (before=)."""
    label, params, key = bs.LAST_PAGE_OF
    deep = dict(params, before=os.environ.get("BENCH_EXPLAIN_BEFORE", "287"))
    return list(bs.QUERIES) + [("%s before=%s" % (label, deep["before"]), deep, key)]


# --- SQLite -------------------------------------------------------------------------

def sqlite_report(path, proposed=False):
    db = sqlite3.connect(path)
    table = PROPOSED if proposed else STATEMENTS
    prepared = {k: placeholders(v, "sqlite")[0] for k, v in table.items()}
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

    def gram_counts(g, pref=None):
        if proposed:
            if pref:
                return int(db.execute(prepared["p_gram_pref_count"], [g, pref, str(P_SAMPLE)]).fetchone()[0])
            return int(db.execute(prepared["p_gram_count"], [g, str(P_SAMPLE)]).fetchone()[0])
        return int(db.execute(prepared["gram_count"], [g, str(GRAM_SAMPLE)]).fetchone()[0])

    for label, params, key in queries():
        total = 0.0
        print("-- %s  %s" % (label, params))
        calls = (proposed_calls if proposed else module_calls)(params, key, gram_counts)
        for name, args in calls:
            ms, rows = timed(name, args)
            total += ms
            shown = rows[0][0] if name.endswith("count") else "%d rows" % len(rows)
            print("   %-10s %8.2f ms  %-10s args %s" % (name, ms, shown, args))
        print("   total      %8.2f ms of statements (serialised in one process by apr-util's"
              " sqlite3 driver)" % total)


# --- PostgreSQL ---------------------------------------------------------------------

def pg_report(dbname, proposed=False, generic=False):
    lines = ["SET client_min_messages = warning;"]
    if generic:
        lines.append("SET plan_cache_mode = force_generic_plan;")
    for name, sql in (PROPOSED if proposed else STATEMENTS).items():
        text, types = placeholders(sql, "pg")
        lines.append("PREPARE %s (%s) AS %s;" % (name, ", ".join(types), text))

    def lit(v):
        return "'" + v.replace("'", "''") + "'"

    def gram_counts(g, pref=None):
        cond = " AND pref = %s" % lit(pref) if pref and proposed else ""
        out = bs.psql(["-c", "SELECT COUNT(*) FROM (SELECT 1 FROM listing_gram WHERE gram = %s%s"
                             " LIMIT %d) t" % (lit(g), cond, P_SAMPLE if proposed else GRAM_SAMPLE)],
                      db=dbname)
        return int(out.strip())

    for label, params, key in queries():
        lines.append("\\echo '-- %s  %s'" % (label, str(params).replace("'", "")))
        calls = (proposed_calls if proposed else module_calls)(params, key, gram_counts)
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
    print("== PostgreSQL (%s)%s%s" % (dbname, " proposed statements" if proposed else "",
                                        ", generic plans" if generic else ""))
    print(out)


def main():
    args = sys.argv[1:]
    proposed, generic = "--proposed" in args, "--generic" in args
    which = [a for a in args if not a.startswith("--")] or ["sqlite3", "pgsql"]
    if "sqlite3" in which:
        path = os.path.join(bs.SEED_DIR, "sqlite-%d-s%d.sqlite" % (bs.ROWS, bs.SEED))
        sqlite_report(path, proposed)
    if "pgsql" in which:
        pg_report("secaction_bench_%d_s%d" % (bs.ROWS, bs.SEED), proposed, generic)


if __name__ == "__main__":
    main()
