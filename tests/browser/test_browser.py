"""The wizard in a real browser: what site.js adds, and that everything still
works without it.  Every value is typed or clicked through the page's own
controls (labels, radios, checkboxes, selects); the mail link is read from
the .eml that build/sa-sendmail wrote and opened in the same browser."""
import os
import re
from urllib.parse import urlparse

import pytest

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from .conftest import WAIT, act_and_wait, axe_check, harness, screenshot, wizard

CORP = wizard.CORP          # 株式会社テスト情報, 東京都, 業種 G / 39, …
G_MIDDLES = ["", "37", "38", "39", "40", "41"]


# --- page helpers ------------------------------------------------------------

def wait(driver):
    return WebDriverWait(driver, WAIT, poll_frequency=0.1)


def path_of(driver):
    return urlparse(driver.current_url).path


def on_page(driver, path, h1):
    """Waits until the browser shows <path> with heading <h1>."""
    try:
        wait(driver).until(lambda d: path_of(d) == path and
                           d.find_element(By.TAG_NAME, "h1").text == h1)
    except TimeoutException:
        raise AssertionError("expected %s (%s), got %s: %s" % (
            path, h1, driver.current_url, driver.find_element(By.TAG_NAME, "body").text[:800]))
    axe_check(driver)


def by_id(driver, id_):
    return driver.find_element(By.ID, id_)


def label(driver, for_id):
    return driver.find_element(By.CSS_SELECTOR, 'label[for="%s"]' % for_id)


def type_into(driver, id_, text):
    """Types into an empty field (all of them are, where this is used)."""
    el = by_id(driver, id_)
    el.send_keys(text)
    return el


def shown(driver, css):
    """Whether each element matching css (at least one) is rendered, in one
    round trip (WebDriver runs this even where the page's scripts are off)."""
    seen = driver.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll(arguments[0]),"
        " function (e) { return e.checkVisibility(); });", css)
    assert seen, "no element matches %s" % css
    return seen


def js_ran(driver):
    return "js" in (driver.find_element(By.TAG_NAME, "html").get_attribute("class") or "").split()


def option_values(driver, id_):
    """The values of a select's options, in order, in one round trip."""
    return driver.execute_script(
        "return Array.prototype.map.call(document.getElementById(arguments[0]).options,"
        " function (o) { return o.value; });", id_)


def open_terms(driver, site):
    driver.get(site.url("/entry/"))
    on_page(driver, "/security/entry/", "使用規約確認")


def agree_active(driver):
    """Whether 「使用規約に同意する」 is active (site.js marks it
    aria-disabled until the end of the terms was on the screen)."""
    b = by_id(driver, "agree")
    return b.is_enabled() and b.get_attribute("aria-disabled") != "true"


def scroll_terms_to_end(driver):
    """Scrolls the page (the terms are in its flow) to the end."""
    driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight);")
    wait(driver).until(agree_active)


def agree(driver, site):
    """使用規約確認 → 事業者情報入力, the way a reader does it (with JavaScript)."""
    open_terms(driver, site)
    scroll_terms_to_end(driver)
    by_id(driver, "agree").click()
    on_page(driver, "/security/entry/company", "事業者情報入力")


COMPANY_TEXT = ["corp_no", "corp_name", "corp_kana", "url", "postal", "city", "street",
                "building", "phone"]


def fill_company(driver, v, skip=()):
    """Fills 事業者情報入力 for a 法人 with values v (wizard.CORP's shape)."""
    assert v["kind"] == "corp"
    label(driver, "f-kind").click()
    for name in COMPANY_TEXT:
        if v.get(name) and name not in skip:
            type_into(driver, "f-" + name, v[name])
    Select(by_id(driver, "f-pref")).select_by_value(v["pref"])
    Select(by_id(driver, "f-jsic_major")).select_by_value(v["jsic_major"])
    Select(by_id(driver, "f-jsic_middle")).select_by_value(v["jsic_middle"])
    label(driver, "f-member" if v["member"] == "yes" else "f-member-no").click()
    label(driver, "f-ipa_info" if v["ipa_info"] == "yes" else "f-ipa_info-no").click()
    type_into(driver, "f-password", v["password"])
    type_into(driver, "f-password2", v["password2"])


def fill_one_star(driver, email):
    label(driver, "f-level").click()
    Select(by_id(driver, "f-purpose")).select_by_value("1")
    label(driver, "f-pledge").click()
    type_into(driver, "f-contact_name", "山田 花子")
    type_into(driver, "f-email", email)
    type_into(driver, "f-email2", email)
    label(driver, "f-privacy").click()
    # アンケート: the first answer (セミナー); its <label> wraps the checkbox
    driver.find_elements(By.CSS_SELECTOR, "#f-survey label")[0].click()


def button(driver, name):
    """The visible button of the form's button row (a form may also carry a
    hidden copy of its primary button first, as the default for Enter)."""
    return driver.find_element(By.CSS_SELECTOR, 'form .actions button[name="%s"]' % name)


def press_enter(driver, id_):
    """Enter in field id_; waits until the page was replaced by the answer."""
    act_and_wait(driver, lambda: by_id(driver, id_).send_keys(Keys.ENTER))


def confirm_and_submit(driver, email):
    """入力内容確認 shows what was typed, normalised, and the selects' choices
    by their names; 「この内容で自己宣言する」 leads to 受付確認."""
    on_page(driver, "/security/entry/confirm", "入力内容確認")
    page = by_id(driver, "main").text
    for text in ("株式会社テスト情報", "テストジョウホウ", "7000012050002", "東京都",
                 "情報通信業", "情報サービス業", "【一つ星】", "山田 花子", "セミナー"):
        assert text in page, (text, page)
    assert driver.find_element(By.CSS_SELECTOR, ".mail-to-address").text == email
    button(driver, "submit").click()
    on_page(driver, "/security/entry/accepted", "受付確認")
    assert driver.find_element(By.CSS_SELECTOR, ".mail-address").text == email


# --- 1. the terms ---------------------------------------------------------------

def test_agree_is_active_only_after_the_terms_were_scrolled_to_the_end(chrome, site):
    open_terms(chrome, site)
    assert js_ran(chrome)
    assert not agree_active(chrome)
    assert by_id(chrome, "agree-hint").is_displayed()
    # the terms are in the page's flow: the page scrolls, not a box
    box = by_id(chrome, "terms")
    height, client = chrome.execute_script(
        "return [arguments[0].scrollHeight, arguments[0].clientHeight];", box)
    assert height <= client + 1, "the terms scroll inside a box of their own"

    # half way is not the end
    chrome.execute_script("window.scrollTo(0, document.documentElement.scrollHeight / 3);")
    wait(chrome).until(lambda d: d.execute_script("return window.scrollY;") > 0)
    assert not agree_active(chrome)

    scroll_terms_to_end(chrome)
    assert "最後まで表示しました" in by_id(chrome, "agree-hint").text
    by_id(chrome, "agree").click()
    on_page(chrome, "/security/entry/company", "事業者情報入力")


# --- 2. the company page's choices -------------------------------------------------

def test_company_kind_and_industry_choices_with_javascript(chrome, site):
    agree(chrome, site)
    # nothing chosen yet: neither kind's fields
    assert shown(chrome, "fieldset.corp-only") == [False]
    assert shown(chrome, "fieldset.sole-only") == [False]

    label(chrome, "f-kind-sole").click()
    assert by_id(chrome, "f-kind-sole").is_selected()
    assert shown(chrome, ".corp-only") == [False]
    assert shown(chrome, ".sole-only") == [True]
    assert by_id(chrome, "f-rep_name").is_displayed()
    assert not by_id(chrome, "f-corp_no").is_displayed()

    label(chrome, "f-kind").click()
    assert shown(chrome, ".corp-only") == [True]
    assert shown(chrome, ".sole-only") == [False]

    # 業種（中分類）: nothing but 「選択しない」 until a 大分類 is chosen
    assert option_values(chrome, "f-jsic_middle") == [""]
    Select(by_id(chrome, "f-jsic_major")).select_by_value("G")
    assert option_values(chrome, "f-jsic_middle") == G_MIDDLES
    middle = Select(by_id(chrome, "f-jsic_middle"))
    middle.select_by_value("39")
    # another 大分類 drops a 中分類 outside it
    Select(by_id(chrome, "f-jsic_major")).select_by_value("H")
    values = option_values(chrome, "f-jsic_middle")
    assert values[0] == "" and len(values) > 1 and not set(values) & set(G_MIDDLES[1:])
    assert by_id(chrome, "f-jsic_middle").get_attribute("value") == ""
    # and back: the whole of G again
    Select(by_id(chrome, "f-jsic_major")).select_by_value("G")
    assert option_values(chrome, "f-jsic_middle") == G_MIDDLES


# --- 3. a whole declaration, with JavaScript -----------------------------------------

def test_corporation_one_star_to_complete_with_javascript(chrome, site):
    email = harness.unique_email()
    agree(chrome, site)
    fill_company(chrome, CORP)
    screenshot(chrome, "company")
    button(chrome, "next").click()
    on_page(chrome, "/security/entry/declaration", "自己宣言入力")

    # the 二つ星 fields show for 二つ星 only
    assert shown(chrome, ".level2-only") == [False]
    label(chrome, "f-level-2").click()
    assert shown(chrome, ".level2-only") == [True]
    assert by_id(chrome, "f-score").is_displayed()
    label(chrome, "f-level").click()
    assert shown(chrome, ".level2-only") == [False]

    fill_one_star(chrome, email)
    button(chrome, "next").click()
    confirm_and_submit(chrome, email)

    mails = site.wait_mail(email, timeout=WAIT)
    assert harness.subject(mails[0]) == "【SECURITY ACTION】一つ星：自己宣言受付確認のお知らせ"
    chrome.get(wizard.verify_link(harness.body(mails[0])))
    on_page(chrome, "/security/entry/verify", "自己宣言を完了する")
    screenshot(chrome, "verify")
    button(chrome, "complete").click()
    on_page(chrome, "/security/entry/complete", "宣言完了")
    user_no = by_id(chrome, "user-no").text
    decl_no = by_id(chrome, "declaration-no").text
    assert re.fullmatch(r"\d{10}", user_no) and re.fullmatch(r"\d{10}", decl_no)
    assert user_no != decl_no
    assert "一つ星の自己宣言が完了しました" in chrome.find_element(By.CSS_SELECTOR, "p.lead").text
    screenshot(chrome, "complete")

    done = site.wait_mail(email, 2, timeout=WAIT)[1]
    assert harness.subject(done) == "【SECURITY ACTION】一つ星：自己宣言完了のお知らせ"
    text = harness.body(done)
    assert "利用者番号：%s" % user_no in text
    assert "自己宣言ID：%s" % decl_no in text


# --- 4. without JavaScript ------------------------------------------------------------

def test_everything_works_without_javascript(chrome_nojs, site):
    d = chrome_nojs
    open_terms(d, site)
    assert not js_ran(d)
    assert by_id(d, "agree").is_enabled()
    assert not d.find_elements(By.ID, "agree-hint")
    by_id(d, "agree").click()
    on_page(d, "/security/entry/company", "事業者情報入力")

    # every fieldset and every 中分類 is there
    assert all(shown(d, "main fieldset"))
    assert shown(d, ".corp-only") == [True] and shown(d, ".sole-only") == [True]
    middles = option_values(d, "f-jsic_middle")
    assert len(middles) > 50 and set(G_MIDDLES) <= set(middles)

    fill_company(d, CORP)
    button(d, "next").click()
    on_page(d, "/security/entry/declaration", "自己宣言入力")
    assert all(shown(d, "main fieldset"))
    assert shown(d, ".level2-only") == [True]

    email = harness.unique_email()
    fill_one_star(d, email)
    button(d, "next").click()
    confirm_and_submit(d, email)
    mails = site.wait_mail(email, timeout=WAIT)
    assert harness.subject(mails[0]) == "【SECURITY ACTION】一つ星：自己宣言受付確認のお知らせ"


# --- 5. keyboard --------------------------------------------------------------------------

def test_keyboard_error_summary_and_enter_submits_next(chrome, site):
    agree(chrome, site)
    fill_company(chrome, CORP, skip=("corp_no",))
    # Enter in a text field submits the form with its first button, 次へ進む
    # (使用規約確認へ戻る would lead back to the terms).
    press_enter(chrome, "f-corp_name")
    on_page(chrome, "/security/entry/company", "事業者情報入力")
    summaries = chrome.find_elements(By.ID, "error-summary")
    assert summaries, "Enter did not submit 次へ進む: the page shows no errors"
    summary = summaries[0]
    assert summary.is_displayed()
    links = summary.find_elements(By.TAG_NAME, "a")
    assert links, summary.text
    href = links[0].get_attribute("href")
    target = urlparse(href).fragment
    assert target == "f-corp_no", href
    assert chrome.find_elements(By.ID, target), "error link to a missing id: %s" % href
    assert by_id(chrome, "e-corp_no").is_displayed()
    # the re-rendered page keeps the choices, and site.js their effects
    assert by_id(chrome, "f-kind").is_selected()
    assert shown(chrome, ".corp-only") == [True] and shown(chrome, ".sole-only") == [False]
    assert option_values(chrome, "f-jsic_middle") == G_MIDDLES
    assert by_id(chrome, "f-jsic_middle").get_attribute("value") == CORP["jsic_middle"]
    screenshot(chrome, "company-errors")

    # site.js puts the focus on the summary; Enter on its link focuses the field
    assert chrome.switch_to.active_element.get_attribute("id") == "error-summary"
    links[0].send_keys(Keys.ENTER)
    wait(chrome).until(lambda d: d.switch_to.active_element.get_attribute("id") == target)
    assert path_of(chrome) == "/security/entry/company"

    # the focused field takes the typing
    chrome.switch_to.active_element.send_keys(CORP["corp_no"])
    # what was typed is kept, except the passwords
    assert by_id(chrome, "f-corp_name").get_attribute("value") == CORP["corp_name"]
    assert by_id(chrome, "f-password").get_attribute("value") == ""
    type_into(chrome, "f-password", CORP["password"])
    type_into(chrome, "f-password2", CORP["password2"])
    press_enter(chrome, "f-corp_no")
    on_page(chrome, "/security/entry/declaration", "自己宣言入力")


# --- 住所検索 ------------------------------------------------------------------

@pytest.fixture(scope="module")
def postal_site(tmp_path_factory):
    """A site with postal data: the unit tests' sample, without its
    deliberately malformed last line."""
    src = os.path.join(harness.TOP, "tests", "unit", "postal", "utf_ken_all_sample.csv")
    lines = open(src, encoding="utf-8").read().splitlines(True)[:-1]
    folder = tmp_path_factory.mktemp("postal")
    os.chmod(folder, 0o755)
    path = folder / "utf_ken_all.csv"
    path.write_text("".join(lines), encoding="utf-8")
    s = harness.Site("sqlite3", "SecActionPostalData %s" % path).start()
    yield s
    s.stop()
    harness.check_error_log(s)


def test_postal_lookup_fills_prefecture_and_city_in_place(chrome, postal_site):
    agree(chrome, postal_site)
    label(chrome, "f-kind").click()                  # 法人: shows its fields
    type_into(chrome, "f-corp_name", "株式会社住所検索")
    type_into(chrome, "f-postal", "113-0021")
    by_id(chrome, "postal-lookup").click()
    wait(chrome).until(lambda d: by_id(d, "f-city").get_attribute("value") == "文京区本駒込")
    assert Select(by_id(chrome, "f-pref")).first_selected_option.get_attribute("value") == "13"
    assert "入力しました" in by_id(chrome, "postal-status").text
    # no round trip: still the same page, with what was typed elsewhere
    assert path_of(chrome) == "/security/entry/company"
    assert by_id(chrome, "f-corp_name").get_attribute("value") == "株式会社住所検索"


def test_postal_lookup_without_javascript(chrome_nojs, postal_site):
    chrome_nojs.get(postal_site.url("/entry/"))
    by_id(chrome_nojs, "agree").click()
    on_page(chrome_nojs, "/security/entry/company", "事業者情報入力")
    type_into(chrome_nojs, "f-postal", "1130021")
    by_id(chrome_nojs, "postal-lookup").click()
    wait(chrome_nojs).until(lambda d: by_id(d, "f-city").get_attribute("value") == "文京区本駒込")
    assert Select(by_id(chrome_nojs, "f-pref")).first_selected_option.get_attribute("value") == "13"
