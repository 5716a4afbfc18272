"""法人番号 → 事業者名 and 所在地 (issue 9, item 10): bin/sa-houjin-import
loads the NTA's corporate-number data (tests/data/houjin-sample.csv, made
up, in the NTA's layout) into the shared database; the wizard then refuses
a 法人番号 the data does not know and offers 事業者名, 郵便番号, 都道府県 and
市区町村 for a number, without and with JavaScript (GET /entry/houjin), never
overwriting what was typed.  Without an import everything is as before."""
import html
import json
import os
import re
import subprocess

import pytest
import requests

from conftest import TOP
from wizard import CORP, Browser, agree, location

IMPORT = os.path.join(TOP, "bin", "sa-houjin-import")
FIXTURE = os.path.join(TOP, "tests", "data", "houjin-sample.csv")
KNOWN = "6010001000001"          # 株式会社テスト情報システム, 〒113-0021 東京都文京区本駒込


def run_import(site, *files):
    return subprocess.run([IMPORT, site.backend, site.dbparams] + list(files),
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def loaded(site):
    r = run_import(site, FIXTURE)
    assert r.returncode == 0, r.stderr
    assert re.search(r"8 rows \(2 left out\) in [\d.]+ s: \d+ rows/s", r.stdout), r.stdout
    return site


def company_page(b):
    r = b.get("/entry/company")
    assert r.status_code == 200
    return r.text


def value_of(page, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*>' % name, page)
    v = re.search(r'value="([^"]*)"', m.group(0)) if m else None
    return html.unescape(v.group(1)) if v else ""


def selected(page, name):
    m = re.search(r'<select[^>]*name="%s".*?</select>' % name, page, re.S)
    s = re.search(r'<option value="([^"]*)" selected', m.group(0))
    return s.group(1) if s else ""


def field_error(page, name):
    m = re.search(r'id="e-%s"[^>]*>(.*?)</p>' % name, page, re.S)
    return re.sub(r"<[^>]+>", "", m.group(1)) if m else ""


def started(site):
    b = Browser(site)
    agree(b)
    return b


def test_without_an_import_everything_is_as_before(new_site, site):
    s = new_site(site.backend)
    b = started(s)
    page = company_page(b)
    assert "法人番号から入力" not in page
    r = b.post("/entry/company", CORP)           # 7000012050002: valid check digit only
    assert location(r) == "/entry/declaration", r.status_code
    r = requests.get(s.url("/entry/houjin?no=" + KNOWN), timeout=10)
    assert r.status_code == 404 and r.json() == {}


def test_a_number_the_data_does_not_know_is_refused_beside_the_field(loaded):
    b = started(loaded)
    assert "法人番号から入力" in company_page(b)
    r = b.post("/entry/company", CORP)
    assert location(r) == "/entry/company"
    page = b.follow(r).text
    assert "法人番号公表サイトのデータに見つかりません" in field_error(page, "corp_no")
    assert 'href="#f-corp_no"' in page                       # in the error summary too
    assert value_of(page, "corp_no") == CORP["corp_no"]       # what was typed is kept
    assert value_of(page, "corp_name") == CORP["corp_name"]
    # a number the data knows (typed in full width) goes through
    ok = dict(CORP, corp_no="６０１０００１０００００１")
    assert location(b.post("/entry/company", ok)) == "/entry/declaration"
    # a deleted number (処理区分 81) and an older row's number are not there
    b2 = started(loaded)
    r = b2.post("/entry/company", dict(CORP, corp_no="9010001000007"))
    assert "見つかりません" in field_error(b2.follow(r).text, "corp_no")


def test_lookup_without_javascript_fills_empty_fields_and_keeps_typed_ones(loaded):
    b = started(loaded)
    form = dict(CORP, corp_no=KNOWN, corp_name="", corp_kana="", postal="", pref="",
                city="文京区本郷", houjin="1")
    r = b.post("/entry/company", form)
    assert r.status_code == 303 and location(r) == "/entry/company#houjin-result"
    page = b.follow(r).text
    assert value_of(page, "corp_name") == "株式会社テスト情報システム"
    assert value_of(page, "corp_kana") == "テストジョウホウシステム"
    assert value_of(page, "postal") == "113-0021"
    assert selected(page, "pref") == "13"
    assert value_of(page, "city") == "文京区本郷"               # typed: kept
    result = re.sub(r"<[^>]+>", "", re.search(r'id="houjin-result".*?id="f-corp_name"',
                                               page, re.S).group(0))
    assert "株式会社テスト情報システム" in result and "〒113-0021 東京都文京区本駒込" in result
    assert "空欄だった 事業者名、事業者名（全角カナ）、郵便番号、都道府県 に入力しました" in result
    assert "市区町村・町名：公表データでは「文京区本駒込」" in result
    assert "パスワードは安全のため保存していません" in result
    assert field_error(page, "corp_no") == ""
    # the applicant takes the data's value by pressing the button
    form = {k: v for k, v in form.items() if k != "houjin"}
    form.update(corp_name=value_of(page, "corp_name"), houjin_apply="1")
    r = b.post("/entry/company", form)
    page = b.follow(r).text
    assert value_of(page, "city") == "文京区本駒込"
    assert "入力された内容のままにしています" not in page
    # and goes on with everything as shown
    form = {k: v for k, v in form.items() if k != "houjin_apply"}
    form.update(city="文京区本駒込", corp_kana="テストジョウホウシステム", postal="113-0021",
                pref="13")
    assert location(b.post("/entry/company", form)) == "/entry/declaration"


def test_lookup_of_an_unknown_or_malformed_number_says_so(loaded):
    b = started(loaded)
    r = b.post("/entry/company", dict(CORP, houjin="1"))
    page = b.follow(r).text
    assert "見つかりません" in field_error(page, "corp_no")
    assert value_of(page, "corp_name") == CORP["corp_name"]
    r = b.post("/entry/company", dict(CORP, corp_no="1234567890123", houjin="1"))
    page = b.follow(r).text
    assert field_error(page, "corp_no") and "見つかりません" not in field_error(page, "corp_no")


def test_json_lookup_for_the_script_writes_nothing(loaded):
    sessions = loaded.sql("SELECT COUNT(*) FROM session")
    r = requests.get(loaded.url("/entry/houjin?no=" + KNOWN), timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert "Set-Cookie" not in r.headers
    assert r.json() == {"corp_no": KNOWN, "name": "株式会社テスト情報システム",
                        "kana": "テストジョウホウシステム", "postal": "113-0021", "pref": "13",
                        "pref_name": "東京都", "city": "文京区本駒込", "closed": ""}
    # abroad: no address; closed: said
    assert requests.get(loaded.url("/entry/houjin?no=1010001000006"), timeout=10).json()["pref"] == ""
    assert requests.get(loaded.url("/entry/houjin?no=3010001000004"),
                        timeout=10).json()["closed"] == "2023-03-31"
    for q in ("7000012050002", "6010001000002", "abc", ""):
        r = requests.get(loaded.url("/entry/houjin?no=" + q), timeout=10)
        assert r.status_code == 404 and r.json() == {}, q
    assert requests.post(loaded.url("/entry/houjin"), data={"no": KNOWN},
                         timeout=10).status_code == 405
    assert loaded.sql("SELECT COUNT(*) FROM session") == sessions
    # the quoted quote of a name is escaped for JSON
    assert json.loads(requests.get(loaded.url("/entry/houjin?no=2010001000005"),
                                   timeout=10).text)["name"] == '一般社団法人"安全"協会'


def test_import_again_replaces_the_data_while_the_site_runs(loaded, tmp_path):
    newer = tmp_path / "newer.csv"
    lines = open(FIXTURE, encoding="utf-8").read().splitlines()
    kept = [line.replace("株式会社テスト情報システム", "株式会社テスト情報システムズ")
            for line in lines if ",5010001000002," not in line]
    newer.write_text("\ufeff" + "\n".join(kept) + "\r\n", encoding="utf-8")   # with a BOM, CRLF
    r = run_import(loaded, str(newer))
    assert r.returncode == 0, r.stderr
    got = requests.get(loaded.url("/entry/houjin?no=" + KNOWN), timeout=10).json()
    assert got["name"] == "株式会社テスト情報システムズ"
    assert requests.get(loaded.url("/entry/houjin?no=5010001000002"), timeout=10).status_code == 404
    assert loaded.sql("SELECT COUNT(*) FROM houjin") == [["7"]]
    assert [row[1] for row in loaded.sql("SELECT generation, row_count FROM houjin_import"
                                         " ORDER BY generation")][-1] == "7"
    # a broken file changes nothing and says where it is broken
    bad = tmp_path / "bad.csv"
    bad.write_bytes(open(FIXTURE, "rb").read() + "1,6010001000001,01\n".encode())
    r = run_import(loaded, str(bad))
    assert r.returncode == 65 and "bad.csv:11:" in r.stderr and "nothing was changed" in r.stderr
    assert loaded.sql("SELECT COUNT(*) FROM houjin") == [["7"]]
    assert requests.get(loaded.url("/entry/houjin?no=" + KNOWN), timeout=10).json()["name"] \
        == "株式会社テスト情報システムズ"
    # back to the fixture for the other tests
    assert run_import(loaded, FIXTURE).returncode == 0
    assert loaded.sql("SELECT COUNT(*) FROM houjin") == [["8"]]
