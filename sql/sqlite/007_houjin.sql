-- mod_secaction schema, version 7 (SQLite): the National Tax Agency's
-- corporate-number data (法人番号公表サイト 全件データ), imported by
-- bin/sa-houjin-import so that every node shares it.
-- Keep in step with ../pgsql/007_houjin.sql.

-- One row per 法人番号 as the form's fields take it (core/sa_houjin.h), in
-- one of two slots: an import fills the slot not in use while the site
-- reads the other, then switches by recording itself in houjin_import (one
-- short transaction), then empties the old slot.  No table is created or
-- dropped while the site runs (a running server's prepared statements
-- would fail on SQLite).
CREATE TABLE houjin (
    slot        INTEGER NOT NULL,         -- 0 or 1
    corp_no     TEXT NOT NULL,            -- 13 digits
    name        TEXT NOT NULL,            -- 商号又は名称
    kana        TEXT,                     -- フリガナ
    pref        TEXT,                     -- JIS X 0401 code, NULL abroad
    pref_name   TEXT,
    city        TEXT,                     -- 市区町村 and the town of 丁目番地等
    postal      TEXT,                     -- 113-0021
    closed      TEXT,                     -- 登記記録の閉鎖等年月日
    PRIMARY KEY (slot, corp_no)
) WITHOUT ROWID;

-- Each completed import; the newest one's slot is the data in use.  None:
-- the data is not loaded, and a 法人番号 is only checked by its check digit.
CREATE TABLE houjin_import (
    generation  INTEGER PRIMARY KEY,
    slot        INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    row_count   INTEGER NOT NULL,
    left_out    INTEGER NOT NULL,
    seconds     INTEGER NOT NULL
);

INSERT INTO schema_version (version, applied_at) VALUES (7, CAST(strftime('%s','now') AS INTEGER));
