"""The applicant on a phone and by keyboard: nothing typed is lost and every
step is short.  One test (or more) per point of the review: the font switch,
the terms, the confirm page's 変更 links, 住所検索, the 業種 groups, small
screens, the semantics of the fields, the wording, and axe-core itself.
Where JavaScript changes the behaviour, the test runs with and without it.
The tour at the end takes the screenshots the README shows and writes the
figures (page heights, taps, keystrokes) to var/screenshots/figures.json."""
import contextlib
import json
import os
import re
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from .conftest import (SCREENSHOTS, WAIT, axe_check, click_and_wait, harness, replaced,
                       screenshots, wizard)
from .test_browser import (CORP, agree, agree_active, by_id, button, fill_company, fill_one_star,
                           js_ran, label, on_page, open_terms, path_of, postal_site, type_into,
                           wait)

assert postal_site                     # a fixture of test_browser, used here too

FIGURES = {}


def figure(name, value):
    """Keeps a measured figure for figures.json (written by the tour)."""
    FIGURES[name] = value


def value(driver, id_):
    return by_id(driver, id_).get_attribute("value")


def body_class(driver):
    return driver.find_element(By.TAG_NAME, "body").get_attribute("class").split()


def font_button(driver, text):
    return driver.find_element(
        By.XPATH, '//div[@class="font-switch"]//*[self::a or self::button][normalize-space()="%s"]'
        % text)


def phone(driver, width=375, height=800):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def desktop(driver):
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@contextlib.contextmanager
def on_phone(driver, width=375):
    """The block runs in a viewport of width (a phone's under 600 px; the
    desktop window otherwise)."""
    if width < 600:
        phone(driver, width)
    try:
        yield driver
    finally:
        desktop(driver)


def page_height(driver):
    return driver.execute_script("return document.documentElement.scrollHeight;")


def open_company(driver, site):
    """使用規約確認 → 事業者情報入力, with or without the page's script."""
    if js_ran_on(driver, site):
        agree(driver, site)
    else:
        open_terms(driver, site)
        by_id(driver, "agree").click()
        on_page(driver, "/security/entry/company", "事業者情報入力")


def to_confirm(driver, site, email, values=CORP):
    """使用規約確認 → 入力内容確認 through the pages (the values of CORP)."""
    open_company(driver, site)
    fill_company(driver, values)
    button(driver, "next").click()
    on_page(driver, "/security/entry/declaration", "自己宣言入力")
    fill_one_star(driver, email)
    button(driver, "next").click()
    on_page(driver, "/security/entry/confirm", "入力内容確認")


def open_unknown_link(driver, site):
    """A mail link the site does not know (its page answers 404, which
    Chromium logs as a console error: that one is expected)."""
    driver.get(site.url("/entry/verify?t=" + "A" * 43))
    on_page(driver, "/security/entry/verify", "リンクが確認できません")
    rest = [e for e in driver.get_log("browser")
            if e.get("level") == "SEVERE" and "/entry/verify?t=" not in e.get("message", "")
            and "/favicon.ico" not in e.get("message", "")]
    assert not rest, rest


def js_ran_on(driver, site):
    driver.get(site.url("/"))
    return js_ran(driver)


# --- 1. 文字サイズ keeps what was typed -------------------------------------------

def test_font_switch_in_place_keeps_every_value_with_javascript(chrome, site):
    agree(chrome, site)
    label(chrome, "f-kind").click()
    type_into(chrome, "f-corp_name", "株式会社文字サイズ")
    type_into(chrome, "f-password", CORP["password"])
    page = chrome.find_element(By.TAG_NAME, "html")
    font_button(chrome, "大きく").click()
    wait(chrome).until(lambda d: "large" in body_class(d))
    # the same document: nothing was sent, nothing typed is touched
    assert page.is_enabled()
    assert value(chrome, "f-corp_name") == "株式会社文字サイズ"
    assert value(chrome, "f-password") == CORP["password"]
    assert font_button(chrome, "大きく").get_attribute("aria-pressed") == "true"
    assert font_button(chrome, "標準").get_attribute("aria-pressed") == "false"
    axe_check(chrome)
    # the server remembered it for the next page
    wait(chrome).until(lambda d: d.get_cookie("secaction_font")
                       and d.get_cookie("secaction_font")["value"] == "large")
    chrome.refresh()
    on_page(chrome, "/security/entry/company", "事業者情報入力")
    assert "large" in body_class(chrome)
    font_button(chrome, "標準").click()
    wait(chrome).until(lambda d: "large" not in body_class(d))


def test_font_switch_without_javascript_keeps_every_value_but_the_password(chrome_nojs, site):
    d = chrome_nojs
    open_terms(d, site)
    by_id(d, "agree").click()
    on_page(d, "/security/entry/company", "事業者情報入力")
    label(d, "f-kind").click()
    type_into(d, "f-corp_name", "株式会社文字サイズ")
    type_into(d, "f-city", "文京区本駒込")
    Select(by_id(d, "f-jsic_major")).select_by_value("G")
    type_into(d, "f-password", CORP["password"])
    click_and_wait(d, font_button(d, "大きく"))
    on_page(d, "/security/entry/company", "事業者情報入力")
    assert "large" in body_class(d)
    assert not d.find_elements(By.ID, "error-summary")
    assert by_id(d, "f-kind").is_selected()
    assert value(d, "f-corp_name") == "株式会社文字サイズ"
    assert value(d, "f-city") == "文京区本駒込"
    assert value(d, "f-jsic_major") == "G"
    assert value(d, "f-password") == ""
    note = d.find_element(By.CSS_SELECTOR, "main .notice[role=status]").text
    assert "入力した内容はそのまま" in note and "パスワード" in note, note

    # Enter in a field still means 次へ進む, not the switch in the header
    fill_company(d, CORP, skip=("corp_name", "city"))
    d.find_element(By.ID, "f-corp_name").clear()
    type_into(d, "f-corp_name", CORP["corp_name"])
    d.find_element(By.ID, "f-city").clear()
    type_into(d, "f-city", CORP["city"])
    old = d.find_element(By.TAG_NAME, "html")
    by_id(d, "f-phone").send_keys(Keys.ENTER)
    wait(d).until(replaced(old))
    on_page(d, "/security/entry/declaration", "自己宣言入力")

    # 自己宣言入力 too (no password there, and the note says nothing of one)
    type_into(d, "f-contact_name", "山田 花子")
    label(d, "f-level").click()
    click_and_wait(d, font_button(d, "標準"))
    on_page(d, "/security/entry/declaration", "自己宣言入力")
    assert "large" not in body_class(d)
    assert value(d, "f-contact_name") == "山田 花子"
    assert by_id(d, "f-level").is_selected()
    note = d.find_element(By.CSS_SELECTOR, "main .notice[role=status]").text
    assert "そのまま" in note and "パスワード" not in note, note


# --- 2. the terms: in the page, a button that can be reached -------------------------

def tabs_to(driver, id_, limit=60):
    """Presses Tab from the top of the page until id_ has the focus; the
    number of presses."""
    driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
    for n in range(1, limit + 1):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") == id_:
            return n
    raise AssertionError("%s not reached in %d Tab presses" % (id_, limit))


@pytest.mark.parametrize("width", [1280, 375])
def test_terms_agreed_by_keyboard_in_a_few_keystrokes(chrome, site, width):
    with on_phone(chrome, width):
        open_terms(chrome, site)
        assert not agree_active(chrome)
        tabs = tabs_to(chrome, "agree")
        # focusing the button brought it and the end of the terms on the screen
        wait(chrome).until(agree_active)
        assert "最後まで表示しました" in by_id(chrome, "agree-hint").text
        assert tabs <= 10, tabs
        figure("terms_keys_%d" % width, tabs + 1)          # the Tabs and Enter
        figure("terms_height_%d" % width, page_height(chrome))
        old = chrome.find_element(By.TAG_NAME, "html")
        chrome.switch_to.active_element.send_keys(Keys.ENTER)
        wait(chrome).until(replaced(old))
        on_page(chrome, "/security/entry/company", "事業者情報入力")


def test_inactive_agree_button_says_why(chrome, site):
    with on_phone(chrome):
        open_terms(chrome, site)
        agree_button = by_id(chrome, "agree")
        assert agree_button.get_attribute("aria-disabled") == "true"
        assert agree_button.get_attribute("aria-describedby") == "agree-hint"
        # pressed without the end of the terms on the screen (a click that
        # does not scroll, as a screen reader's can be)
        chrome.execute_script("window.scrollTo(0, 0); arguments[0].click();", agree_button)
        assert path_of(chrome) == "/security/entry/"
        assert "まだ押せません" in by_id(chrome, "agree-hint").text
        # swiping the page (not a box) to the end makes it active
        chrome.execute_script("window.scrollTo(0, document.documentElement.scrollHeight);")
        wait(chrome).until(agree_active)
        axe_check(chrome)


def test_terms_in_the_page_flow_without_javascript(chrome_nojs, site):
    with on_phone(chrome_nojs):
        open_terms(chrome_nojs, site)
        box = by_id(chrome_nojs, "terms")
        height, client = chrome_nojs.execute_script(
            "return [arguments[0].scrollHeight, arguments[0].clientHeight];", box)
        assert height <= client + 1
        assert by_id(chrome_nojs, "agree").is_enabled()


# --- 4. 変更 per section of 入力内容確認, back to it afterwards -------------------------

def change_link(driver, section):
    return driver.find_element(
        By.XPATH, '//div[@class="section-head"][h2[normalize-space()="%s"]]/a' % section)


@pytest.mark.parametrize("js", [True, False])
def test_change_links_return_to_the_confirm_page(chromiums, site, js):
    d = chromiums[js].fresh()
    email = harness.unique_email()
    to_confirm(d, site, email)
    taps = 0

    # 事業者情報: 変更 → the company page, which comes back here
    click_and_wait(d, change_link(d, "事業者情報"))
    taps += 1
    on_page(d, "/security/entry/company", "事業者情報入力")
    assert value(d, "f-corp_name") == CORP["corp_name"]
    by_id(d, "f-city").clear()
    type_into(d, "f-city", "文京区千石")
    click_and_wait(d, button(d, "next"))
    taps += 1
    on_page(d, "/security/entry/confirm", "入力内容確認")
    assert "文京区千石" in by_id(d, "main").text
    figure("change_city_taps", taps)

    # the mail address the page warns about: straight to its field
    click_and_wait(d, change_link(d, "確認のメールの送り先"))
    on_page(d, "/security/entry/declaration", "自己宣言入力")
    assert urlparse(d.current_url).fragment == "f-email"
    top = d.execute_script("return document.getElementById('f-email').getBoundingClientRect().top;")
    assert 0 <= top < d.execute_script("return window.innerHeight;")
    other = harness.unique_email()
    for id_ in ("f-email", "f-email2"):
        by_id(d, id_).clear()
        type_into(d, id_, other)
    click_and_wait(d, button(d, "next"))
    on_page(d, "/security/entry/confirm", "入力内容確認")
    assert d.find_element(By.CSS_SELECTOR, ".mail-to-address").text == other
    figure("change_email_taps", 2)

    # 変更をやめる: back without the change
    click_and_wait(d, change_link(d, "事業者情報"))
    by_id(d, "f-city").clear()
    type_into(d, "f-city", "台東区上野")
    click_and_wait(d, button(d, "back"))
    on_page(d, "/security/entry/confirm", "入力内容確認")
    assert "文京区千石" in by_id(d, "main").text and "台東区上野" not in by_id(d, "main").text

    # an error on the way keeps the way back
    click_and_wait(d, change_link(d, "事業者情報"))
    by_id(d, "f-phone").clear()
    click_and_wait(d, button(d, "next"))
    on_page(d, "/security/entry/company", "事業者情報入力")
    assert d.find_elements(By.ID, "error-summary")
    type_into(d, "f-phone", CORP["phone"])
    click_and_wait(d, button(d, "next"))
    on_page(d, "/security/entry/confirm", "入力内容確認")


# --- 5. 住所検索 ------------------------------------------------------------------


def test_postal_lookup_without_javascript_returns_to_the_address(chrome_nojs, postal_site):
    d = chrome_nojs
    open_company(d, postal_site)
    label(d, "f-kind").click()
    type_into(d, "f-corp_name", "株式会社住所検索")
    type_into(d, "f-password", CORP["password"])

    # an empty code asks for one (and says the password must be typed again)
    click_and_wait(d, by_id(d, "postal-lookup"))
    assert "郵便番号を入力してから" in by_id(d, "e-postal").text
    assert "見つかりません" not in by_id(d, "main").text
    assert "パスワード" in by_id(d, "postal-status").text
    type_into(d, "f-password", CORP["password"])

    type_into(d, "f-postal", "1130021")
    click_and_wait(d, by_id(d, "postal-lookup"))
    on_page(d, "/security/entry/company", "事業者情報入力")
    # back at the address fields, not at the top of the page
    assert urlparse(d.current_url).fragment == "address"
    assert d.execute_script("return window.scrollY;") > 300
    status = by_id(d, "postal-status").text
    assert "東京都" in status and "文京区本駒込" in status and "番地" in status, status
    assert "パスワード" in status, status
    assert value(d, "f-city") == "文京区本駒込"
    assert value(d, "f-corp_name") == "株式会社住所検索"
    assert not d.find_elements(By.ID, "error-summary")

    # a city typed that differs is kept, and the page says so
    by_id(d, "f-city").clear()
    type_into(d, "f-city", "文京区千石")
    click_and_wait(d, by_id(d, "postal-lookup"))
    assert value(d, "f-city") == "文京区千石"
    assert "入力済みの「文京区千石」のまま" in by_id(d, "postal-status").text


def test_postal_lookup_with_javascript_asks_before_replacing_a_typed_city(chrome, postal_site):
    agree(chrome, postal_site)
    label(chrome, "f-kind").click()
    by_id(chrome, "postal-lookup").click()
    wait(chrome).until(lambda d: "郵便番号を入力してから" in by_id(d, "postal-status").text)
    assert chrome.switch_to.active_element.get_attribute("id") == "f-postal"

    type_into(chrome, "f-city", "文京区千石")
    type_into(chrome, "f-postal", "113-0021")
    by_id(chrome, "postal-lookup").click()
    wait(chrome).until(lambda d: d.find_elements(By.ID, "postal-replace"))
    assert value(chrome, "f-city") == "文京区千石"
    assert Select(by_id(chrome, "f-pref")).first_selected_option.text == "東京都"
    assert "文京区本駒込" in by_id(chrome, "postal-status").text
    axe_check(chrome)
    by_id(chrome, "postal-replace").click()
    wait(chrome).until(lambda d: value(d, "f-city") == "文京区本駒込")
    assert "置き換えました" in by_id(chrome, "postal-status").text
    assert not chrome.find_elements(By.ID, "postal-replace")

    # an empty city is filled, and the status names both values
    by_id(chrome, "f-city").clear()
    by_id(chrome, "postal-lookup").click()
    wait(chrome).until(lambda d: value(d, "f-city") == "文京区本駒込")
    status = by_id(chrome, "postal-status").text
    assert "「東京都」" in status and "「文京区本駒込」" in status, status


# --- 6. 業種（中分類） grouped by 大分類 ---------------------------------------------

def test_industry_middle_groups_without_javascript(chrome_nojs, site):
    d = chrome_nojs
    open_company(d, site)
    groups = d.execute_script("""
        var majors = {};
        Array.prototype.forEach.call(document.getElementById('f-jsic_major').options,
            function (o) { majors[o.value] = o.text; });
        return Array.prototype.map.call(document.querySelectorAll('#f-jsic_middle optgroup'),
            function (g) { return [g.label, Array.prototype.map.call(g.querySelectorAll('option'),
                function (o) { return majors[o.getAttribute('data-major')]; })]; });""")
    assert len(groups) >= 19, groups
    for name, parents in groups:
        assert parents and set(parents) == {name}, (name, parents)
    loose = d.execute_script(
        "return document.querySelectorAll('#f-jsic_middle > option').length;")
    assert loose == 1                       # only 「選択しない」 outside the groups
    # Arrow Down from 情報サービス業 stays in 情報通信業 or says where it went
    Select(by_id(d, "f-jsic_middle")).select_by_value("39")
    g = d.execute_script("return document.getElementById('f-jsic_middle')"
                         ".selectedOptions[0].parentNode.label;")
    assert g == "情報通信業"


# --- 7. small screens ----------------------------------------------------------------

TARGETS_JS = """
// Every control outside running text that is shown: its target's height.
var out = [];
function seen(e) { return e.checkVisibility() && e.getClientRects().length; }
function target(e) {
  if (e.type === 'radio' || e.type === 'checkbox') {
    var c = e.closest('.choice') || e.closest('label') || e;
    return c;
  }
  return e;
}
document.querySelectorAll('a[href], button, input, select, textarea').forEach(function (e) {
  if (e.type === 'hidden' || !seen(e) || e.closest('.vh') || e.closest('.default-submit')
      || e.getAttribute('aria-hidden') === 'true') return;
  if (e.tagName === 'A' && e.closest('p, dd, td, li.inline') && !e.closest('.next-link, nav')) return;
  if (e.tagName === 'A' && e.closest('.notes, .notes-box, .help, .terms')) return;
  var t = target(e), r = t.getBoundingClientRect();
  // a radio or checkbox: a click anywhere in its row picks it
  if (t !== e) {
    var x = r.left + 4, top = document.elementFromPoint(x + 8, r.top + 2),
        bottom = document.elementFromPoint(x + 8, r.bottom - 2);
    var ok = function (h) { return h && (h === e || (h.closest('label') &&
        (h.closest('label').control === e))); };
    if (!ok(top) || !ok(bottom)) { out.push([e.outerHTML.slice(0, 80), 'row not a target']); return; }
  }
  if (r.height < 44) out.push([e.outerHTML.slice(0, 100), r.height]);
});
return out;
"""


def small_targets(driver):
    driver.execute_script("window.scrollTo(0, 0);")
    found = []
    # elementFromPoint needs the element on the screen: look a screen at a time
    height = page_height(driver)
    view = driver.execute_script("return window.innerHeight;")
    for y in range(0, height, view):
        driver.execute_script("window.scrollTo(0, arguments[0]);", y)
        found += [f for f in driver.execute_script(
            TARGETS_JS.replace("document.querySelectorAll('a[href], button, input, select, textarea')",
                               "Array.prototype.filter.call(document.querySelectorAll("
                               "'a[href], button, input, select, textarea'), function (e) {"
                               " var r = e.getBoundingClientRect();"
                               " return r.top >= 0 && r.bottom <= window.innerHeight; })"))
                  if f not in found]
    return found


@pytest.mark.parametrize("js", [True, False])
def test_small_screen_progress_and_targets(chromiums, site, js):
    d = chromiums[js].fresh()
    with on_phone(d):
        open_company(d, site)
        assert d.find_element(By.CSS_SELECTOR, ".progress").is_displayed() is False
        compact = d.find_element(By.CSS_SELECTOR, ".progress-compact")
        assert compact.is_displayed()
        assert re.sub(r"\s+", " ", compact.text) == "ステップ 2 / 7 事業者情報入力"
        # the first field is on the first screen, with 大きく too
        first = d.execute_script(
            "return document.getElementById('f-kind').getBoundingClientRect().top;")
        assert first < 800, first
        figure("company_first_field_y_375%s" % ("" if js else "_nojs"), first)
        assert small_targets(d) == []
        d.get(site.url("/entry/"))
        assert small_targets(d) == []
        font = d.find_elements(By.CSS_SELECTOR, ".font-switch a")
        font[-1].click()
        wait(d).until(lambda dr: "large" in body_class(dr))
        open_company(d, site)
        first = d.execute_script(
            "return document.getElementById('f-kind').getBoundingClientRect().top;")
        assert first < 800, first
        assert small_targets(d) == []


def test_large_screen_shows_every_step(chrome, site):
    agree(chrome, site)
    assert chrome.find_element(By.CSS_SELECTOR, ".progress").is_displayed()
    assert not chrome.find_element(By.CSS_SELECTOR, ".progress-compact").is_displayed()
    assert small_targets(chrome) == []


# --- 8. semantics ---------------------------------------------------------------------

def test_error_fields_are_marked_invalid_and_optional_ones_optional(chrome_nojs, site):
    d = chrome_nojs
    open_company(d, site)
    # 任意 on the optional fields, 必須 on the others
    for id_ in ("f-url", "f-building", "f-jsic_middle"):
        assert "任意" in label(d, id_).text, id_
    for id_ in ("f-corp_no", "f-city", "f-street", "f-phone"):
        assert "任意" not in label(d, id_).text, id_
    label(d, "f-kind").click()
    type_into(d, "f-corp_name", "株式会社テスト")
    click_and_wait(d, button(d, "next"))
    summary = by_id(d, "error-summary")
    # role=alert on an inner element (GOV.UK Frontend 4.4), not on the box
    assert summary.get_attribute("role") is None
    alert = summary.find_element(By.CSS_SELECTOR, ":scope > [role=alert]")
    assert "入力内容に誤りがあります" in alert.text
    for id_ in ("f-corp_no", "f-postal", "f-city", "f-street", "f-phone", "f-pref",
                "f-jsic_major", "f-member", "f-member-no", "f-password"):
        assert by_id(d, id_).get_attribute("aria-invalid") == "true", id_
    for id_ in ("f-corp_name", "f-url", "f-building", "f-kind"):
        assert by_id(d, id_).get_attribute("aria-invalid") is None, id_
    # 住所: the values a Japanese autofill profile maps to these fields
    assert by_id(d, "f-city").get_attribute("autocomplete") == "address-level2"
    assert by_id(d, "f-street").get_attribute("autocomplete") == "address-line1"
    assert by_id(d, "f-building").get_attribute("autocomplete") == "address-line2"


def test_autofilled_street_line_is_split_into_town_and_number(chrome, site):
    """Chrome's Japanese profile fills address-level2 with 市区町村 alone and
    address-line1 with 町名 and 番地: the 町名 goes where it belongs."""
    email = harness.unique_email()
    values = dict(CORP, city="文京区", street="本駒込２丁目２８－８", building="文京グリーンコート　１７Ｆ")
    to_confirm(chrome, site, email, values)
    page = by_id(chrome, "main").text
    assert "文京区本駒込" in page
    assert "2丁目28-8" in page and "本駒込2丁目" not in page
    assert "文京グリーンコート 17F" in page


# --- 9. consistency and wording -----------------------------------------------------------

SITE_NAME = "SECURITY ACTION 自己宣言者サイト"


def check_digit_ok(number):
    digits = [int(c) for c in number]
    total = sum(d * (1 if i % 2 == 0 else 2) for i, d in enumerate(reversed(digits[1:])))
    return digits[0] == 9 - total % 9


def test_one_site_name_and_the_same_words_everywhere(chrome, site):
    email = harness.unique_email()
    agree(chrome, site)
    assert SITE_NAME in chrome.find_element(By.CSS_SELECTOR, ".footer-name").text
    assert SITE_NAME in chrome.find_element(By.CSS_SELECTOR, ".site-name").text
    assert chrome.title.endswith(SITE_NAME)
    example = re.search(r"例：(\d{13})", by_id(chrome, "h-corp_no").get_attribute("textContent")).group(1)
    assert check_digit_ok(example), example
    fill_company(chrome, dict(CORP, street="３－１－１", building="霞が関ビル　１２Ｆ"))
    button(chrome, "next").click()
    on_page(chrome, "/security/entry/declaration", "自己宣言入力")
    level2 = label(chrome, "f-level-2").text
    assert "「5分でできる！情報セキュリティ自社診断」" in level2, level2
    fill_one_star(chrome, email)
    button(chrome, "next").click()
    on_page(chrome, "/security/entry/confirm", "入力内容確認")
    page = by_id(chrome, "main").text
    assert "3-1-1" in page and "霞が関ビル 12F" in page
    button(chrome, "submit").click()
    on_page(chrome, "/security/entry/accepted", "受付確認")
    accepted = by_id(chrome, "main").text
    lifetime = re.search(r"リンクの有効期限は、メールをお送りしてから\d+(日間|時間|分間)", accepted)
    assert lifetime, accepted
    # a 仮申込み that is not completed is offered a fresh link (no new start)
    assert "確認メールを再送する" in accepted, accepted
    mail = harness.body(site.wait_mail(email, timeout=WAIT)[0])
    assert lifetime.group(0) in mail, mail
    assert mail.rstrip().splitlines()[-1].strip() == SITE_NAME or SITE_NAME in mail
    link = wizard.verify_link(mail)
    chrome.get(link)
    on_page(chrome, "/security/entry/verify", "自己宣言を完了する")
    button(chrome, "complete").click()
    on_page(chrome, "/security/entry/complete", "宣言完了")
    done = harness.body(site.wait_mail(email, 2, timeout=WAIT)[1])
    assert SITE_NAME in done
    # the link again: already complete, and the progress bar says so
    chrome.get(link)
    on_page(chrome, "/security/entry/verify", "自己宣言はすでに完了しています")
    current = chrome.find_element(By.CSS_SELECTOR, ".progress li[aria-current=step]").text
    assert "宣言完了" in current, current
    # an unknown link: 「最初からお申込みください」
    open_unknown_link(chrome, site)
    assert "最初からお申込みください" in by_id(chrome, "main").text
    # no page says the 二つ星 tool's name another way
    for path in ("/", "/entry/"):
        chrome.get(site.url(path))
        assert "5分でできる自社診断" not in by_id(chrome, "main").text


LINES_JS = """
// The lines of every heading-like text (headings, labels, legends, terms of
// a list, the site's name) that wraps, as the browser laid them out.
var out = [];
document.querySelectorAll('h1, h2, h3, legend, label, dt, .site-name, .progress-compact').forEach(
  function (h) {
    if (!h.checkVisibility()) return;
    var w = document.createTreeWalker(h, NodeFilter.SHOW_TEXT), t, lines = [], last = null;
    var r = document.createRange();
    while ((t = w.nextNode())) {
      for (var i = 0; i < t.length; i++) {
        r.setStart(t, i); r.setEnd(t, i + 1);
        var rc = r.getClientRects(); if (!rc.length) continue;
        var top = Math.round(rc[0].top);
        if (last === null || top > last + 5) { lines.push(''); last = top; }
        lines[lines.length - 1] += t.data[i];
      }
    }
    if (lines.length > 1) out.push(lines);
  });
return out;"""

# Words of the pages' headings and labels that must not be cut in two.
WORDS = ["ひらがな", "カタカナ", "ログイン", "使用規約", "自己宣言", "事業者", "確認", "ロゴマーク",
         "代表者名", "探せます", "読みでも", "誓約", "サイト", "郵便番号", "市区町村"]


def broken_words(driver):
    found = []
    for lines in driver.execute_script(LINES_JS):
        for a, b in zip(lines, lines[1:]):
            a, b = a.rstrip(), b.lstrip()
            for word in WORDS:
                for k in range(1, len(word)):
                    if a.endswith(word[:k]) and b.startswith(word[k:]):
                        found.append(" | ".join(lines))
    return found


def test_japanese_headings_and_labels_break_between_words(chromiums, site):
    """At 375 px, in both font sizes, no heading or label is cut inside a
    word (「ひらが｜な」, 「ログイ｜ン」)."""
    d = chromiums[True].fresh()
    with on_phone(d):
        for size in ("normal", "large"):
            d.get(site.url("/font?size=%s&back=/" % size))
            for path in ("/", "/entry/", "/login", "/search", "/password-reset"):
                d.get(site.url(path))
                assert broken_words(d) == [], (size, path)
            agree(d, site)
            assert broken_words(d) == [], (size, "company")
        d.get(site.url("/login"))
        lines = d.execute_script(LINES_JS)
        assert ["自己宣言状況確認", "（ログイン）"] in lines, lines


def test_status_page_in_japanese(chrome, site):
    chrome.get("http://127.0.0.1:%d/secaction-status" % site.port)
    assert chrome.find_element(By.TAG_NAME, "h1").text == "稼働状況"
    assert chrome.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    assert not chrome.find_elements(By.CSS_SELECTOR, "main [lang=en]:not(code)")
    axe_check(chrome)


# --- 11. axe-core really checks ------------------------------------------------------------

def test_axe_core_finds_a_planted_violation(chrome, site):
    chrome.get(site.url("/"))
    chrome.execute_script(
        "var i = document.createElement('input'); i.type = 'text';"
        "document.querySelector('main').appendChild(i);")
    with pytest.raises(AssertionError) as e:
        axe_check(chrome)
    assert "label" in str(e.value)
    chrome.refresh()


# --- the tour: screenshots of every wizard page at 375 and 1280 px ----------------------------

def test_tour_of_the_wizard_with_screenshots(chrome, site):
    email = harness.unique_email()
    d = chrome
    heights = {}

    def shot(name):
        screenshots(d, name)
        phone(d)
        heights[name] = page_height(d)
        desktop(d)

    d.get(site.url("/"))
    shot("tour-00-top")
    open_terms(d, site)
    shot("tour-01-terms")
    agree(d, site)
    shot("tour-02-company")
    label(d, "f-kind").click()
    button(d, "next").click()
    on_page(d, "/security/entry/company", "事業者情報入力")
    shot("tour-02-company-errors")
    d.get(site.url("/entry/company"))
    fill_company(d, CORP, skip=("corp_no", "corp_name", "corp_kana", "url", "postal", "city",
                                "street", "building", "phone", "password", "password2"))
    for name in ("corp_no", "corp_name", "corp_kana", "postal", "city", "street", "phone"):
        by_id(d, "f-" + name).clear()
        type_into(d, "f-" + name, CORP[name])
    type_into(d, "f-password", CORP["password"])
    type_into(d, "f-password2", CORP["password2"])
    button(d, "next").click()
    on_page(d, "/security/entry/declaration", "自己宣言入力")
    shot("tour-03-declaration")
    fill_one_star(d, email)
    button(d, "next").click()
    on_page(d, "/security/entry/confirm", "入力内容確認")
    shot("tour-04-confirm")
    button(d, "submit").click()
    on_page(d, "/security/entry/accepted", "受付確認")
    shot("tour-05-accepted")
    link = wizard.verify_link(harness.body(site.wait_mail(email, timeout=WAIT)[0]))
    d.get(link)
    on_page(d, "/security/entry/verify", "自己宣言を完了する")
    shot("tour-06-verify")
    button(d, "complete").click()
    on_page(d, "/security/entry/complete", "宣言完了")
    shot("tour-07-complete")
    d.get(link)
    on_page(d, "/security/entry/verify", "自己宣言はすでに完了しています")
    shot("tour-08-verify-done")
    open_unknown_link(d, site)
    shot("tour-09-verify-unknown")
    for w in (375, 1280):
        for name in heights:
            assert os.path.exists(os.path.join(SCREENSHOTS, "%s-%d.png" % (name, w)))
    figure("page_heights_375", heights)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    with open(os.path.join(SCREENSHOTS, "figures.json"), "w", encoding="utf-8") as f:
        json.dump(FIGURES, f, ensure_ascii=False, indent=1, sort_keys=True)
