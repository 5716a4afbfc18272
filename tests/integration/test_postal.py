"""住所検索: the postal code fills 都道府県 and 市区町村・町名, with
SecActionPostalData set; with or without JavaScript."""
import json
import os

import pytest
import requests

from conftest import BACKENDS, TOP, Site, check_error_log
from htmlpage import Page
from wizard import CORP, Browser, agree


@pytest.fixture(scope="module")
def postal_file(tmp_path_factory):
    # the unit tests' sample, without its deliberately malformed last line
    src = os.path.join(TOP, "tests", "unit", "postal", "utf_ken_all_sample.csv")
    lines = open(src, encoding="utf-8").read().splitlines(True)[:-1]
    path = tmp_path_factory.mktemp("postal") / "utf_ken_all.csv"
    path.write_text("".join(lines), encoding="utf-8")
    os.chmod(path.parent, 0o755)
    return str(path)


@pytest.fixture(scope="module", params=BACKENDS)
def postal_site(request, postal_file):
    s = Site(request.param, "SecActionPostalData %s" % postal_file).start()
    yield s
    s.stop()
    check_error_log(s)


def test_json_answer_for_the_page_script(postal_site):
    r = requests.get(postal_site.url("/entry/postal?code=113-0021"), timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert json.loads(r.text) == {"pref": "13", "city": "文京区本駒込"}
    r = requests.get(postal_site.url("/entry/postal?code=0482331"), timeout=10)
    assert json.loads(r.text) == {"pref": "01", "city": "岩内郡共和町"}
    for bad in ("9999999", "12", "abc", ""):
        r = requests.get(postal_site.url("/entry/postal?code=" + bad), timeout=10)
        assert r.status_code == 404 and json.loads(r.text) == {}


def test_lookup_without_javascript_fills_the_form(postal_site):
    b = Browser(postal_site)
    agree(b)
    page = Page(b.get("/entry/company").text)
    assert "住所検索" in b.last.text
    values = dict(CORP, postal="1130021", pref="", city="", lookup="1")
    r = b.post("/entry/company", values)
    assert r.status_code == 303
    page = Page(b.follow(r).text)
    assert page.value("postal") == "113-0021"
    assert page.selected("pref") == ["13"]
    assert page.value("city") == "文京区本駒込"
    assert page.value("corp_name") == CORP["corp_name"]      # the rest as typed
    assert "error-summary" not in b.last.text


def test_lookup_of_an_unknown_code_says_so_beside_the_field(postal_site):
    b = Browser(postal_site)
    agree(b)
    r = b.post("/entry/company", dict(CORP, postal="9999999", lookup="1"))
    text = b.follow(r).text
    page = Page(text)
    assert "見つかりませんでした" in page.by_id("e-postal").text
    assert page.value("city") == CORP["city"]


def test_no_lookup_without_postal_data(site):
    b = Browser(site)
    agree(b)
    assert 'id="postal-lookup"' not in b.get("/entry/company").text
    r = requests.get(site.url("/entry/postal?code=1130021"), timeout=10)
    assert r.status_code == 404
