-- mod_secaction schema, version 8 (PostgreSQL): three-character grams.
-- Keep in step with ../sqlite/008_trigrams.sql.
--
-- listing_gram gains a row per distinct run of three adjacent characters of
-- each search key (see core/sa_search.h): a query of three characters is
-- then a gram itself, and a longer one is driven by its rarest three.  The
-- module writes them for every change from now on; this adds those of the
-- rows listed before.  search_text holds the keys one a line; length and
-- substr count characters (the database is UTF8: sa-dbinit checks).
INSERT INTO listing_gram (gram, declaration_id, pref)
  SELECT substr(k.line, i, 3), l.declaration_id, l.pref
    FROM public_listing l
   CROSS JOIN LATERAL unnest(string_to_array(l.search_text, chr(10))) AS k (line)
   CROSS JOIN LATERAL generate_series(1, length(k.line) - 2) AS i
  ON CONFLICT DO NOTHING;

INSERT INTO schema_version (version, applied_at) VALUES (8, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));
