"""The public search, the page and badge of a declaration, and open data:
correct for 1-, 2-, 3-character and kana queries (against a scan of the
same listing), every filter, paging through every result once, following
every state change at once, and never showing a non-public value."""
import csv
import io
import os
import re
import subprocess
import time

import pytest
import requests

from conftest import BACKENDS, TOP, Site, check_error_log, httpd_env
from htmlpage import Page
from listing import counts_follow_postings, search
from wizard import CORP, ONE_STAR, SOLE, TWO_STAR, declared, login

NAMES = [  # (事業者名, reading) of corporations
    ("株式会社日立テスト", "ひたちてすと"), ("日立産業有限会社", "ヒタチサンギョウ"),
    ("トヨタ部品株式会社", "とよたぶひん"), ("株式会社日本情報", "ニホンジョウホウ"),
    ("(株)テスト商会", "ﾃｽﾄｼｮｳｶｲ"), ("合同会社立花", "タチバナ"),
    ("ブブブブ商事株式会社", "ブブブブショウジ"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def listed(request):
    """A site with accepted (immediate) declarations: 6 corporations, 2 sole
    proprietors, 18 more for paging."""
    s = Site(request.param, "SecActionAcceptance immediate\n").start()
    made = []
    for i, (name, kana) in enumerate(NAMES):
        c = dict(CORP, corp_name=name, corp_kana=kana, pref="13" if i % 2 else "27",
                 jsic_major="G" if i % 3 else "E", jsic_middle="39" if i % 3 else "")
        made.append(declared(s, c, TWO_STAR if i == 0 else ONE_STAR))
    made.append(declared(s, dict(SOLE, rep_name="佐藤 一郎", rep_kana="サトウ イチロウ",
                                 trade_name="佐藤工務店"), ONE_STAR))
    made.append(declared(s, dict(SOLE, rep_name="加藤 花子", rep_kana="カトウ ハナコ",
                                 trade_name=""), ONE_STAR))
    for i in range(18):
        made.append(declared(s, dict(CORP, corp_name="株式会社ページ%02d" % i,
                                     corp_kana="ページ"), ONE_STAR))
    s.made = made
    yield s
    s.stop()
    check_error_log(s)


def scan(site, key):
    """The brute-force answer: every listed name whose search text holds key."""
    nl = "char(10)" if site.backend == "sqlite3" else "chr(10)"
    rows = site.sql("SELECT name, replace(search_text, %s, '|') FROM public_listing" % nl)
    return sorted(r[0] for r in rows if key in r[1])


@pytest.mark.parametrize("query,key", [
    ("日", "日"), ("日立", "日立"), ("立", "立"), ("日立産", "日立産"), ("テスト", "テスト"),
    ("ﾃｽﾄ", "テスト"), ("てすと", "テスト"), ("とよた", "トヨタ"), ("株式会社日立", "日立"),
    ("（株）テスト", "テスト"), ("佐藤", "佐藤"), ("サトウ", "サトウ"), ("工務店", "工務店"),
    ("ページ", "ページ"), ("存在しない", "存在シナイ"), ("ブブブ", "ブブブ"),
    ("ブブブブ", "ブブブブ"), ("ブブブブブ", "ブブブブブ"), ("ぶぶぶぶしょうじ", "ブブブブショウジ"),
    ("テスト商会", "テスト商会"),
])
def test_name_queries_match_a_scan(listed, query, key):
    got, count = search(listed, q=query)
    names = sorted(n for _, n in got)
    assert names == scan(listed, key), query
    assert count == len(names)
    assert len(set(u for u, _ in got)) == len(got)          # each result once


def test_known_matches(listed):
    assert "トヨタ部品株式会社" in [n for _, n in search(listed, q="とよた")[0]]
    assert "(株)テスト商会" in [n for _, n in search(listed, q="ﾃｽﾄ")[0]]
    assert "佐藤工務店（佐藤 一郎）" in [n for _, n in search(listed, q="佐藤")[0]]
    assert "加藤 花子" in [n for _, n in search(listed, q="かとう")[0]]


def test_a_typed_space_is_a_space(listed):
    """A browser sends 「佐藤 一郎」 as q=佐藤+一郎 (spaces are not in keys)."""
    r = requests.get(listed.url("/search") + "?q=%E4%BD%90%E8%97%A4+%E4%B8%80%E9%83%8E",
                     timeout=10)
    assert "佐藤工務店（佐藤 一郎）" in r.text
    assert 'value="佐藤 一郎"' in r.text


def test_filters(listed):
    all_tokyo = search(listed, pref="13")[0]
    rows = listed.sql("SELECT name FROM public_listing WHERE pref = '13'")
    assert sorted(n for _, n in all_tokyo) == sorted(r[0] for r in rows)
    osaka_hitachi = search(listed, q="日立", pref="27")[0]
    assert [n for _, n in osaka_hitachi] == ["株式会社日立テスト"]
    two = search(listed, level="2")[0]
    assert [n for _, n in two] == ["株式会社日立テスト"]
    e = search(listed, jsic="E")[0]
    assert sorted(n for _, n in e) == sorted(r[0] for r in listed.sql(
        "SELECT name FROM public_listing WHERE jsic_major = 'E'"))


def test_every_combination_of_name_and_filters_matches_a_scan(listed):
    """Each combination of a name (none, one gram, several grams) and the
    filters is a statement of its own: every one against a scan."""
    nl = "char(10)" if listed.backend == "sqlite3" else "chr(10)"
    rows = listed.sql("SELECT name, replace(search_text, %s, '|'), pref, jsic_major, level"
                      " FROM public_listing" % nl)
    for q, key in (("", ""), ("日", "日"), ("日立", "日立"), ("てすと", "テスト"), ("ページ", "ページ")):
        for pref in ("", "13", "27"):
            for jsic in ("", "E", "G"):
                for level in ("", "1", "2"):
                    want = sorted(r[0] for r in rows if key in r[1] and pref in ("", r[2])
                                  and jsic in ("", r[3]) and level in ("", str(r[4])))
                    got, count = search(listed, q=q, pref=pref, jsic=jsic, level=level, go="1")
                    assert sorted(n for _, n in got) == want, (q, pref, jsic, level)
                    assert count == len(want), (q, pref, jsic, level)


def dbinit(site):
    """What bin/sa-dbinit says it did to the site's database."""
    return subprocess.run([os.path.join(TOP, "bin", "sa-dbinit"), site.backend, site.dbparams],
                          check=True, capture_output=True, text=True).stdout.strip()


def test_migration_008_adds_the_grams_the_module_writes(listed):
    """sa-dbinit applies a missing migration (here 008, whose grams are
    removed again) and writes the same three-character grams the module
    writes for every change."""
    count = "SELECT gram, declaration_id FROM listing_gram WHERE length(gram) = 3 ORDER BY 1, 2"
    written = listed.sql(count)
    assert written and all(len(g) == 3 for g, _ in written)
    listed.sql("DELETE FROM listing_gram WHERE length(gram) = 3")
    listed.sql("DELETE FROM schema_version WHERE version = 8")
    assert dbinit(listed) == "sa-dbinit: applied 008_trigrams.sql"
    assert listed.sql(count) == written
    assert listed.sql("SELECT COUNT(*) FROM schema_version WHERE version = 8") == [["1"]]


def test_counts_follow_the_postings(listed):
    counts_follow_postings(listed)


def test_counts_are_exact_past_the_cap(listed):
    """Counts from listing_count are exact whatever their size; a count checked
    on the listing (業種, level, a key longer than a gram) is capped."""
    listed.sql("UPDATE listing_count SET n = n + 54000 WHERE gram = 'ページ' AND pref = ''")
    try:
        r = requests.get(listed.url("/search"), params={"q": "ページ"}, timeout=10)
        shown = Page(r.text).text
        assert "54,018件" in shown and "件以上" not in shown and "おおよその件数" not in shown
    finally:
        listed.sql("UPDATE listing_count SET n = n - 54000 WHERE gram = 'ページ' AND pref = ''")


def test_paging_visits_every_result_once(listed):
    got, count = search(listed, q="ページ")
    assert count == 18 and len(got) == 18 and len(set(got)) == 18
    everything, total = search(listed, go="1")
    assert total == len(listed.made) == len(everything) == len(set(everything))


def test_declaration_page_and_badge(listed):
    email, user_no, decl_no, pw = listed.made[0]
    mypage = login(listed, user_no, pw).get("/mypage").text
    assert "/d/%s/badge.svg" % decl_no in mypage            # the snippet for the business
    r = requests.get(listed.url("/d/" + decl_no), timeout=10)
    assert r.status_code == 200 and "現在有効です" in r.text and "二つ星" in r.text
    badge = requests.get(listed.url("/d/%s/badge.svg" % decl_no), timeout=10)
    assert badge.headers["Content-Type"] == "image/svg+xml" and "有効" in badge.text
    assert "max-age=300" in badge.headers["Cache-Control"]
    assert requests.get(listed.url("/d/0000000000"), timeout=10).status_code == 404
    assert requests.get(listed.url("/d/abc"), timeout=10).status_code == 404


def test_open_data(listed):
    r = requests.get(listed.url("/open-data/listing.csv"), timeout=10)
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["declaration_no", "name", "pref", "pref_name", "city", "jsic_major",
                       "jsic_major_name", "level", "declared_on"]
    assert len(rows) == len(listed.made) + 1
    data = requests.get(listed.url("/open-data/listing.json"), timeout=10).json()
    assert len(data) == len(listed.made)
    assert {d["declaration_no"] for d in data} == {m[2] for m in listed.made}


def test_nothing_private_is_shown(listed):
    private = [CORP["phone"], CORP["street"], SOLE["phone"], SOLE["street"], SOLE["building"],
               "@example.co.jp", "$2y$", "山田 花子", "推進 太郎"]
    pages = [requests.get(listed.url(p), timeout=10).text for p in (
        "/search?go=1", "/search?q=日立", "/open-data/listing.csv", "/open-data/listing.json")]
    for m in listed.made[:3]:
        pages.append(requests.get(listed.url("/d/" + m[2]), timeout=10).text)
        pages.append(requests.get(listed.url("/d/%s/badge.svg" % m[2]), timeout=10).text)
    for text in pages:
        for value in private:
            assert value not in text, value


def test_migration_009_counts_what_the_module_counts(listed):
    """sa-dbinit applies 009 to a listing written before it: the postings of
    gram '' and the counts it makes are those the store writes."""
    counts = "SELECT gram, pref, n FROM listing_count WHERE pref <> '#' AND n <> 0 ORDER BY 1, 2"
    kept = listed.sql(counts)
    every = "SELECT declaration_id, pref FROM listing_gram WHERE gram = '' ORDER BY 1"
    postings = listed.sql(every)
    assert len(postings) == len(listed.made)
    listed.sql("DELETE FROM listing_gram WHERE gram = ''")
    listed.sql("DROP TABLE listing_count")
    listed.sql("DELETE FROM schema_version WHERE version = 9")
    assert dbinit(listed) == "sa-dbinit: applied 009_listing_count.sql"
    assert listed.sql(counts) == kept
    assert listed.sql("SELECT n FROM listing_count WHERE gram = '' AND pref = '#'") == [["0"]]
    assert listed.sql(every) == postings
    # after an upgrade the children are restarted (SQLite's prepared
    # statements do not survive a change of the schema): then they read them
    subprocess.run(["/usr/sbin/apache2", "-f", listed.conf, "-k", "graceful"], check=True,
                   env=httpd_env())
    deadline = time.time() + 10
    while time.time() < deadline:
        if requests.get(listed.url("/search"), params={"q": "日立"}, timeout=10).status_code == 200:
            break
        time.sleep(0.2)
    assert search(listed, q="日立")[1] == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_listing_follows_every_state_change(new_site, backend):
    site = new_site(backend)
    email, user_no, decl_no, pw = declared(site, dict(CORP, corp_name="株式会社状態確認"))
    assert search(site, q="状態確認")[0] == []                # 宣言済み: not yet public
    assert requests.get(site.url("/d/" + decl_no), timeout=10).status_code == 404
    # accepted in the console: listed at once
    a = site.admin()
    ident = site.sql("SELECT id FROM declaration WHERE user_no = '%s'" % user_no)[0][0]
    page = a.get(site.url("/admin/declarations/%s" % ident)).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    a.post(site.url("/admin/declarations/%s/accept" % ident), data={"csrf": token})
    assert [n for _, n in search(site, q="状態")[0]] == ["株式会社状態確認"]
    assert search(site, q="状態")[1] == 1
    # counts checked on the listing are kept per child for the listing's
    # generation: asked again (kept), then after each change (counted anew)
    for _ in range(3):
        assert search(site, q="状態確認")[1] == 1
        assert search(site, q="状態", level="1")[1] == 1
    counts_follow_postings(site)
    # a change of public data shows at once
    b = login(site, user_no, pw)
    data = {k: v for k, v in CORP.items() if k not in ("password", "password2", "kind")}
    data.update(corp_name="株式会社状態変更後", next="1")
    b.post("/mypage/edit", data)
    b.post("/mypage/edit/confirm", {"submit": "1"})
    assert [n for _, n in search(site, q="変更後")[0]] == ["株式会社状態変更後"]
    assert search(site, q="状態確認") == ([], 0)
    assert search(site, q="状態変更後")[1] == 1 and search(site, q="状態", level="1")[1] == 1
    counts_follow_postings(site)
    # stopped: gone at once, its page and badge say so
    b.post("/mypage/stop", {"confirm": "1", "submit": "1"})
    assert search(site, q="状態") == ([], 0)
    assert search(site, q="状態変更後") == ([], 0) and search(site, q="状態", level="1") == ([], 0)
    counts_follow_postings(site)
    r = requests.get(site.url("/d/" + decl_no), timeout=10)
    assert r.status_code == 200 and "現在は有効ではありません" in r.text
    assert "無効" in requests.get(site.url("/d/%s/badge.svg" % decl_no), timeout=10).text
