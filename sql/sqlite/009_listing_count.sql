-- mod_secaction schema, version 9 (SQLite): the listing's counts.
-- Keep in step with ../pgsql/009_listing_count.sql.
--
-- Every listed declaration gets a posting of the gram '' (the posting a
-- query without a name is driven by), and listing_count how many postings
-- each gram has, in all (pref '') and in each prefecture.  The store writes
-- both in the same transaction as the listing (see core/sa_search.h), so
-- the count of a query that is one gram, a prefecture or nothing is one
-- row, exact at any size, and the rarest gram of a longer key is one
-- lookup.  This adds and counts those of the rows listed before.
INSERT OR IGNORE INTO listing_gram (gram, declaration_id, pref)
  SELECT '', declaration_id, pref FROM public_listing;

CREATE TABLE listing_count (
    gram TEXT NOT NULL,
    pref TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (gram, pref)
) WITHOUT ROWID;

INSERT INTO listing_count (gram, pref, n)
  SELECT gram, pref, COUNT(*) FROM listing_gram GROUP BY gram, pref;
INSERT INTO listing_count (gram, pref, n)
  SELECT gram, '', COUNT(*) FROM listing_gram GROUP BY gram;
-- the listing's generation: every writer of counts takes this row first
-- and moves it on (a count the search keeps is for one generation)
INSERT INTO listing_count (gram, pref, n) VALUES ('', '#', 0);

INSERT INTO schema_version (version, applied_at) VALUES (9, CAST(strftime('%s','now') AS INTEGER));
