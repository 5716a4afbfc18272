-- mod_secaction schema, version 9 (PostgreSQL): the listing's counts.
-- Keep in step with ../sqlite/009_listing_count.sql.
--
-- How many listed declarations each gram has, in all (pref '') and in each
-- prefecture; gram '' is every listed declaration.  The store writes it in
-- the same transaction as the listing (see core/sa_search.h), so the count
-- of a query that is one gram, a prefecture or nothing is one row, exact at
-- any size, and the rarest gram of a longer key is one lookup.  This
-- counts the rows listed before.
CREATE TABLE listing_count (
    gram TEXT NOT NULL,
    pref TEXT NOT NULL,
    n    BIGINT  NOT NULL,
    PRIMARY KEY (gram, pref)
);

INSERT INTO listing_count (gram, pref, n)
  SELECT gram, pref, COUNT(*) FROM listing_gram GROUP BY gram, pref;
INSERT INTO listing_count (gram, pref, n)
  SELECT gram, '', COUNT(*) FROM listing_gram GROUP BY gram;
INSERT INTO listing_count (gram, pref, n)
  SELECT '', pref, COUNT(*) FROM public_listing GROUP BY pref;
INSERT INTO listing_count (gram, pref, n)
  SELECT '', '', COUNT(*) FROM public_listing;

INSERT INTO schema_version (version, applied_at) VALUES (9, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));
