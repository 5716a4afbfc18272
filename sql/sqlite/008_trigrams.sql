-- mod_secaction schema, version 8 (SQLite): three-character grams.
-- Keep in step with ../pgsql/008_trigrams.sql.
--
-- listing_gram gains a row per distinct run of three adjacent characters of
-- each search key (see core/sa_search.h): a query of three characters is
-- then a gram itself, and a longer one is driven by its rarest three.  The
-- module writes them for every change from now on; this adds those of the
-- rows listed before.  search_text holds the keys one a line; length and
-- substr count characters.
WITH RECURSIVE
  lines (id, pref, line, rest) AS (
    SELECT declaration_id, pref, '', search_text || char(10) FROM public_listing
    UNION ALL
    SELECT id, pref, substr(rest, 1, instr(rest, char(10)) - 1),
           substr(rest, instr(rest, char(10)) + 1)
      FROM lines WHERE rest <> ''
  ),
  at (id, pref, line, i) AS (
    SELECT id, pref, line, 1 FROM lines WHERE length(line) >= 3
    UNION ALL
    SELECT id, pref, line, i + 1 FROM at WHERE i + 3 <= length(line)
  )
INSERT OR IGNORE INTO listing_gram (gram, declaration_id, pref)
  SELECT substr(line, i, 3), id, pref FROM at;

INSERT INTO schema_version (version, applied_at) VALUES (8, CAST(strftime('%s','now') AS INTEGER));
