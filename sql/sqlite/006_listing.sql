-- mod_secaction schema, version 6 (SQLite): the public listing.
-- Keep in step with ../pgsql/006_listing.sql.


-- What the public may see of an accepted declaration that is not stopped
-- or revoked, and nothing else: written by the store's transition function
-- in the same transaction as the change, so nothing private can leak from
-- it by construction.  search_text: the search keys of the public names
-- and their readings, one a line.
CREATE TABLE public_listing (
    declaration_id  INTEGER PRIMARY KEY REFERENCES declaration (id),
    declaration_no  TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,            -- 事業者名, or 屋号（代表者名）
    pref            TEXT NOT NULL,
    city            TEXT NOT NULL,
    jsic_major      TEXT NOT NULL,
    level           INTEGER NOT NULL,
    declared_at     INTEGER NOT NULL,
    search_text     TEXT NOT NULL
);
CREATE INDEX public_listing_pref ON public_listing (pref, declaration_id);
CREATE INDEX public_listing_jsic ON public_listing (jsic_major, declaration_id);
CREATE INDEX public_listing_level ON public_listing (level, declaration_id);

-- The index of the names: one row per distinct character and pair of
-- adjacent characters of the search keys (see core/sa_search.h), with the
-- filters beside them so that a filtered lookup stays one index range.
CREATE TABLE listing_gram (
    gram            TEXT NOT NULL,
    declaration_id  INTEGER NOT NULL REFERENCES public_listing (declaration_id),
    pref            TEXT NOT NULL,
    PRIMARY KEY (gram, declaration_id)
) WITHOUT ROWID;
CREATE INDEX listing_gram_pref ON listing_gram (gram, pref, declaration_id);
CREATE INDEX listing_gram_decl ON listing_gram (declaration_id);

INSERT INTO schema_version (version, applied_at) VALUES (6, CAST(strftime('%s','now') AS INTEGER));
