"""「法人番号から入力」 in Chromium, with and without JavaScript (issue 9,
item 10): after bin/sa-houjin-import, the 法人番号 fills the empty fields
(事業者名, カナ, 郵便番号, 都道府県, 市区町村・町名), a field typed otherwise
is kept and listed until the applicant takes the data's value, and a number
the data does not know is refused beside the field."""
import os
import subprocess

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .conftest import harness, screenshots
from .test_browser import (CORP, agree, by_id, fill_company, label, on_page, open_terms, path_of,
                           type_into, wait)

FIXTURE = os.path.join(harness.TOP, "tests", "data", "houjin-sample.csv")


@pytest.fixture(scope="module")
def houjin_site(site):
    subprocess.run([os.path.join(harness.TOP, "bin", "sa-houjin-import"), site.backend,
                    site.dbparams, FIXTURE], check=True, capture_output=True)
    return site


def start(driver, site, js):
    if js:
        agree(driver, site)
    else:
        open_terms(driver, site)
        by_id(driver, "agree").click()
        on_page(driver, "/security/entry/company", "事業者情報入力")
    label(driver, "f-kind").click()


def value(driver, id_):
    return by_id(driver, id_).get_attribute("value")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_corporate_number_offers_name_and_address(chromiums, houjin_site, js):
    d = chromiums[js].fresh()
    start(d, houjin_site, js)
    type_into(d, "f-corp_no", "6010001000001")
    type_into(d, "f-city", "文京区本郷")                 # typed before: must stay
    by_id(d, "houjin-lookup").click()
    wait(d).until(lambda dr: value(dr, "f-corp_name") == "株式会社テスト情報システム")
    assert value(d, "f-corp_kana") == "テストジョウホウシステム"
    assert value(d, "f-postal") == "113-0021"
    assert Select(by_id(d, "f-pref")).first_selected_option.get_attribute("value") == "13"
    assert value(d, "f-city") == "文京区本郷"
    status = by_id(d, "houjin-status").text
    assert "空欄だった 事業者名、事業者名（全角カナ）、郵便番号、都道府県 に入力しました" in status
    assert "市区町村・町名：公表データでは「文京区本駒込」" in status
    assert path_of(d) == "/security/entry/company"
    if js:
        screenshots(d, "entry-company-houjin")
    # the applicant takes the data's value for the city
    d.find_element(By.CSS_SELECTOR, "#houjin-status button").click()
    wait(d).until(lambda dr: value(dr, "f-city") == "文京区本駒込")
    assert "入力された内容のままにしています" not in by_id(d, "houjin-status").text


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_unknown_corporate_number_is_refused_beside_the_field(chromiums, houjin_site, js):
    d = chromiums[js].fresh()
    start(d, houjin_site, js)
    type_into(d, "f-corp_no", CORP["corp_no"])           # valid check digit, not in the data
    by_id(d, "houjin-lookup").click()
    if js:
        wait(d).until(lambda dr: "見つかりません" in by_id(dr, "houjin-status").text)
    else:
        wait(d).until(lambda dr: "見つかりません" in by_id(dr, "e-corp_no").text)
    # and 次へ進む refuses it too, with everything else kept
    d.get(houjin_site.url("/entry/company"))
    label(d, "f-kind").click()
    if not value(d, "f-corp_no"):
        type_into(d, "f-corp_no", CORP["corp_no"])
    fill_company(d, CORP, skip=("corp_no",))
    d.find_element(By.CSS_SELECTOR, 'form .actions button[name="next"]').click()
    on_page(d, "/security/entry/company", "事業者情報入力")
    assert "見つかりません" in by_id(d, "e-corp_no").text
    assert value(d, "f-corp_name") == CORP["corp_name"]
