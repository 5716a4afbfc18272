"""After 宣言完了, in a real browser: the login (typed, Enter, the keyboard
and the error summary), the マイページ, step-up, change of registered data,
stop, the logo mark, and the secretariat's console behind Basic
authentication.  The declarations themselves come quickly from the
requests helper (wizard.declared); everything after that is typed and
clicked in Chromium, with JavaScript and, for the login, a change and the
logo, without it."""
import re
from urllib.parse import urlparse

import pytest
import requests

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .conftest import (WAIT, act_and_wait, click_and_wait, declared, harness, replaced, screenshots,
                       wizard)
from .test_browser import by_id, js_ran, label, on_page, path_of, wait

IMMEDIATE = "SecActionAcceptance immediate\n"
MYPAGE_H1 = "マイページ（自己宣言状況確認）"
LOGIN_H1 = "自己宣言状況確認（ログイン）"


@pytest.fixture(scope="module")
def immediate_site():
    """A site that accepts every declaration at once (so its logo is
    offered without the secretariat)."""
    s = harness.Site("sqlite3", IMMEDIATE).start()
    yield s
    s.stop()
    harness.check_error_log(s)


# --- helpers -------------------------------------------------------------------

def main_text(driver):
    return by_id(driver, "main").text


def submit_by_enter(driver, el):
    """Enter in el; waits until the browser shows the answer."""
    act_and_wait(driver, lambda: el.send_keys(Keys.ENTER))


def link(driver, text):
    """The link with exactly this text inside <main>."""
    return driver.find_element(By.XPATH, '//main//a[normalize-space()="%s"]' % text)


def main_button(driver, text):
    """The visible button with exactly this text inside <main>."""
    found = [b for b in driver.find_elements(
        By.XPATH, '//main//button[normalize-space()="%s"]' % text) if b.is_displayed()]
    assert len(found) == 1, (text, len(found))
    return found[0]


def notice(driver):
    return driver.find_element(By.CSS_SELECTOR, "main .flash").text


def retype(driver, id_, text):
    el = by_id(driver, id_)
    el.clear()
    el.send_keys(text)
    return el


def log_in(driver, site, user_no, password):
    """Types the numbers into the login form and presses Enter in the
    password field; lands on the マイページ."""
    driver.get(site.url("/login"))
    on_page(driver, "/security/login", LOGIN_H1)
    by_id(driver, "f-user_no").send_keys(user_no)
    field = by_id(driver, "f-password")
    field.send_keys(password)
    submit_by_enter(driver, field)
    on_page(driver, "/security/mypage", MYPAGE_H1)


def dd_of(driver, dt):
    """The <dd> that follows the <dt> with this text (first such list)."""
    return driver.find_element(
        By.XPATH, '//main//dt[normalize-space()="%s"]/following-sibling::dd[1]' % dt).text


def registered(driver, dt):
    """A registered value on the マイページ (its <dt> may carry a 公開 badge)."""
    return driver.find_element(
        By.XPATH, '//main//dl[contains(@class,"confirm-list")]//dt[starts-with(normalize-space(),'
                  '"%s")]/following-sibling::dd[1]' % dt).text


def focused(driver):
    """A short description of the focused element: id, else tag and text."""
    el = driver.switch_to.active_element
    return el.get_attribute("id") or "%s:%s" % (el.tag_name, el.text.strip())


def summary_in_page_order(driver):
    """The error summary's links point at fields of the page, in the order
    the fields come (a reader who follows them goes down the page)."""
    links = by_id(driver, "error-summary").find_elements(By.TAG_NAME, "a")
    targets = [urlparse(a.get_attribute("href")).fragment for a in links]
    assert targets, "an error summary without links"
    where = driver.execute_script(
        "var all = Array.prototype.slice.call(document.querySelectorAll('*'));"
        "return arguments[0].map(function (id) {"
        " return all.indexOf(document.getElementById(id)); });", targets)
    assert -1 not in where, dict(zip(targets, where))
    assert where == sorted(where), "summary order %s, page order %s" % (
        targets, [t for _, t in sorted(zip(where, targets))])
    return targets


def change_city(driver, city):
    """マイページ → 登録情報の変更 → (Enter in the field) → 確認 → 変更."""
    click_and_wait(driver, link(driver, "登録情報を変更する"))
    on_page(driver, "/security/mypage/edit", "登録情報の変更")
    assert by_id(driver, "f-corp_name").get_attribute("value") == wizard.CORP["corp_name"]
    # Enter in a text field means 変更内容を確認する (the hidden default
    # button), even though 住所検索 may come first in the form
    submit_by_enter(driver, retype(driver, "f-city", city))
    on_page(driver, "/security/mypage/edit/confirm", "登録情報の変更の確認")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.changes-table tbody tr")
    cells = [[c.text for c in r.find_elements(By.CSS_SELECTOR, "th, td")] for r in rows]
    assert len(cells) == 1, cells
    # at 1280 px the table's header says which is which; the cells hold the values
    assert cells[0][0] == "市区町村・町名" and cells[0][1:] == [wizard.CORP["city"], city], cells


def confirm_change(driver, city):
    click_and_wait(driver, main_button(driver, "この内容で変更する"))
    on_page(driver, "/security/mypage", MYPAGE_H1)
    assert "変更" in notice(driver)
    assert registered(driver, "市区町村・町名") == city


# --- 1. login: keyboard, error summary, Enter -----------------------------------

def test_login_by_keyboard_with_error_summary(chrome, site):
    email, user_no, decl_no, pw = declared(site)
    chrome.get(site.url("/login"))
    on_page(chrome, "/security/login", LOGIN_H1)
    assert js_ran(chrome)
    screenshots(chrome, "login")

    # Tab from the top of the page: 利用者番号, パスワード, then the button,
    # one after the other (the help texts between them are not stops)
    order = []
    for _ in range(30):
        ActionChains(chrome).send_keys(Keys.TAB).perform()
        order.append(focused(chrome))
        if order[-1] == "button:ログイン":
            break
    assert order[-3:] == ["f-user_no", "f-password", "button:ログイン"], order
    assert order[0] == "a:本文へ移動", order           # the skip link comes first

    # type, Enter in the password field: a wrong password
    chrome.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)   # back to パスワード
    chrome.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)   # 利用者番号
    assert focused(chrome) == "f-user_no"
    chrome.switch_to.active_element.send_keys(user_no, Keys.TAB)
    assert focused(chrome) == "f-password"
    field = chrome.switch_to.active_element
    field.send_keys(pw + "x")
    submit_by_enter(chrome, field)
    on_page(chrome, "/security/login", LOGIN_H1)
    summary = by_id(chrome, "error-summary")
    assert "利用者番号またはパスワードが正しくありません" in summary.text
    assert "利用者番号またはパスワードが正しくありません" in by_id(chrome, "e-password").text
    # site.js gives the summary the focus, so a screen reader reads it first
    assert focused(chrome) == "error-summary"
    # the number is kept, the password is not
    assert by_id(chrome, "f-user_no").get_attribute("value") == user_no
    assert by_id(chrome, "f-password").get_attribute("value") == ""
    summary_in_page_order(chrome)
    screenshots(chrome, "login-error")

    # the summary's link leads to the field, which takes the typing
    summary.find_element(By.TAG_NAME, "a").send_keys(Keys.ENTER)
    wait(chrome).until(lambda d: focused(d) in ("f-password", "f-user_no"))
    by_id(chrome, "f-password").send_keys(pw)
    submit_by_enter(chrome, by_id(chrome, "f-password"))
    on_page(chrome, "/security/mypage", MYPAGE_H1)


# --- 2. the マイページ, step-up and a change, with JavaScript -------------------

def test_mypage_stepup_and_change_with_javascript(chrome, site):
    email, user_no, decl_no, pw = declared(site)
    log_in(chrome, site, user_no, pw)
    assert dd_of(chrome, "宣言の段階") == "一つ星"
    assert dd_of(chrome, "状態") == "宣言済み・受理待ち"
    assert dd_of(chrome, "利用者番号") == user_no
    assert dd_of(chrome, "自己宣言ID") == decl_no
    assert registered(chrome, "事業者名") == wizard.CORP["corp_name"]
    assert registered(chrome, "担当者メールアドレス") == email
    assert "自己宣言の完了" in by_id(chrome, "main").find_element(
        By.CSS_SELECTOR, "table.history-table").text
    # the header says who is logged in and offers the way out
    assert chrome.find_element(By.CSS_SELECTOR, ".site-header .account-link").is_displayed()
    screenshots(chrome, "mypage")

    # ステップアップ: refused without the pledge, then through the confirm page
    click_and_wait(chrome, link(chrome, "二つ星へステップアップする"))
    on_page(chrome, "/security/mypage/stepup", "ステップアップ（二つ星）")
    by_id(chrome, "f-score").send_keys("80")
    click_and_wait(chrome, main_button(chrome, "入力した内容を確認する"))
    on_page(chrome, "/security/mypage/stepup", "ステップアップ（二つ星）")
    assert focused(chrome) == "error-summary"
    assert by_id(chrome, "e-pledge2").is_displayed() and by_id(chrome, "e-publish").is_displayed()
    assert by_id(chrome, "f-score").get_attribute("value") == "80"
    assert summary_in_page_order(chrome) == ["f-publish", "f-pledge2"]
    label(chrome, "f-pledge2").click()
    chrome.find_element(By.XPATH, '//fieldset[@id="f-publish"]//label[normalize-space()="自社ウェブサイト"]').click()
    screenshots(chrome, "stepup")
    click_and_wait(chrome, main_button(chrome, "入力した内容を確認する"))
    on_page(chrome, "/security/mypage/stepup/confirm", "ステップアップの内容確認")
    assert dd_of(chrome, "点数") == "80"
    assert dd_of(chrome, "情報セキュリティ基本方針 外部公開方法") == "自社ウェブサイト"
    screenshots(chrome, "stepup-confirm")
    click_and_wait(chrome, main_button(chrome, "この内容でステップアップする"))
    on_page(chrome, "/security/mypage", MYPAGE_H1)
    assert "ステップアップ" in notice(chrome)
    assert dd_of(chrome, "宣言の段階") == "二つ星"
    assert not chrome.find_elements(By.XPATH, '//main//a[normalize-space()="二つ星へステップアップする"]')
    assert site.wait_mail(email, 3, timeout=WAIT)

    # 市区町村・町名
    change_city(chrome, "文京区千駄木")
    screenshots(chrome, "edit-confirm")
    confirm_change(chrome, "文京区千駄木")


# --- 3. without JavaScript: login, a change, the logo ----------------------------

def test_login_change_and_logo_without_javascript(chrome_nojs, immediate_site):
    d, site = chrome_nojs, immediate_site
    email, user_no, decl_no, pw = declared(site)
    log_in(d, site, user_no, pw)
    assert not js_ran(d)
    assert dd_of(d, "状態") == "受理済み"
    change_city(d, "文京区向丘")
    confirm_change(d, "文京区向丘")
    logo_after_both_documents(d, site, "one-star", shots=False)


def test_logo_after_both_documents_with_javascript(chrome, immediate_site):
    email, user_no, decl_no, pw = declared(immediate_site)
    log_in(chrome, immediate_site, user_no, pw)
    logo_after_both_documents(chrome, immediate_site, "one-star", shots=True)


def logo_after_both_documents(d, site, artwork, shots):
    click_and_wait(d, d.find_element(
        By.XPATH, '//main//ul[contains(@class,"action-list")]//a[normalize-space()="ロゴマークダウンロード"]'))
    on_page(d, "/security/mypage/logo", "ロゴマークダウンロード")
    assert not d.find_elements(By.CSS_SELECTOR, "main a.download")
    assert "ダウンロードのボタンが表示されます" in main_text(d)
    if shots:
        screenshots(d, "logo-before")

    for title in ("SECURITY ACTIONロゴマーク使用手順", "SECURITY ACTIONロゴマーク使用ガイドライン"):
        click_and_wait(d, link(d, title))
        wait(d).until(lambda b: b.find_element(By.TAG_NAME, "h1").text == title)
        # 「戻る」, as the page says
        old = d.find_element(By.TAG_NAME, "html")
        d.back()
        wait(d).until(replaced(old))
        on_page(d, "/security/mypage/logo", "ロゴマークダウンロード")
    # 「戻る」 may show the page as it was (Chromium keeps even no-store
    # pages in its back/forward cache): the page's own button asks again
    if not d.find_elements(By.CSS_SELECTOR, "main a.download"):
        click_and_wait(d, link(d, "ダウンロードのボタンを表示する"))
        on_page(d, "/security/mypage/logo", "ロゴマークダウンロード")
    badges = d.find_elements(By.CSS_SELECTOR, "main .doc-list .badge-done")
    assert len(badges) == 2, main_text(d)
    downloads = d.find_elements(By.CSS_SELECTOR, "main a.download")
    assert downloads, main_text(d)
    if shots:
        screenshots(d, "logo-after")

    hrefs = {a.text: a.get_attribute("href") for a in downloads}
    png = [h for t, h in hrefs.items() if "PNG" in t]
    svg = [h for t, h in hrefs.items() if "SVG" in t]
    assert png and svg, hrefs
    for h in hrefs.values():
        assert urlparse(h).path.startswith("/security/mypage/logo/download/"), hrefs
    # headless downloads are awkward: fetch the link with the browser's cookies
    jar = requests.Session()
    for c in d.get_cookies():
        jar.cookies.set(c["name"], c["value"], domain=c["domain"], path=c.get("path", "/"))
    got = jar.get(png[0], timeout=WAIT, allow_redirects=False)
    assert got.status_code == 200, (got.status_code, got.text[:300])
    assert got.headers["Content-Type"] == "image/png" and got.content[:4] == b"\x89PNG"
    disposition = got.headers["Content-Disposition"]
    assert "attachment" in disposition and artwork in disposition, disposition
    got = jar.get(svg[0], timeout=WAIT, allow_redirects=False)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/svg+xml"
    # without the login cookie the same link opens nothing
    bare = requests.get(png[0], timeout=WAIT, allow_redirects=False)
    assert bare.status_code == 303


# --- 4. stop, on a declaration of its own -----------------------------------------

def test_stop_needs_the_box_and_leaves_a_page_that_says_so(chrome, site):
    email, user_no, decl_no, pw = declared(site)
    log_in(chrome, site, user_no, pw)
    click_and_wait(chrome, link(chrome, "自己宣言を停止する"))
    on_page(chrome, "/security/mypage/stop", "自己宣言の停止")
    click_and_wait(chrome, main_button(chrome, "自己宣言を停止する"))
    on_page(chrome, "/security/mypage/stop", "自己宣言の停止")
    assert focused(chrome) == "error-summary"
    assert by_id(chrome, "e-confirm").is_displayed()
    assert site.sql("SELECT state FROM declaration WHERE user_no = '%s'" % user_no) == [["declared"]]
    label(chrome, "f-confirm").click()
    click_and_wait(chrome, main_button(chrome, "自己宣言を停止する"))
    on_page(chrome, "/security/mypage", MYPAGE_H1)
    assert dd_of(chrome, "状態") == "停止"
    assert "停止しています" in main_text(chrome)
    # nothing left to change
    actions = [a.text for a in chrome.find_elements(By.CSS_SELECTOR, "main .action-list a")]
    for gone in ("二つ星へステップアップする", "登録情報を変更する", "自己宣言を停止する"):
        assert gone not in actions, actions


# --- 5. the secretariat's console ------------------------------------------------------

def admin_url(site, path):
    """A console URL carrying the Basic credentials, as a browser's login
    dialog would send them."""
    return "http://%s:%s@127.0.0.1:%d/security/admin%s" % (
        site.ADMIN_USER, site.ADMIN_PASSWORD, site.port, path)


def test_console_accepts_a_ticked_row(chrome, site):
    first = declared(site)
    second = declared(site)
    chrome.get(admin_url(site, "/"))
    on_page(chrome, "/security/admin/", "受理待ち一覧")
    assert site.ADMIN_USER in chrome.find_element(By.CSS_SELECTOR, ".admin-user").text
    rows = {r.find_element(By.CSS_SELECTOR, "th").text: r
            for r in chrome.find_elements(By.CSS_SELECTOR, "table.admin-table tbody tr")}
    assert first[2] in rows and second[2] in rows, list(rows)
    screenshots(chrome, "admin-queue")

    # tick the first one (its label is the whole cell) and accept the selection
    rows[first[2]].find_element(By.CSS_SELECTOR, "td.col-check label").click()
    assert rows[first[2]].find_element(By.CSS_SELECTOR, "input[name=ids]").is_selected()
    assert not rows[second[2]].find_element(By.CSS_SELECTOR, "input[name=ids]").is_selected()
    click_and_wait(chrome, main_button(chrome, "選択したものを受理する"))
    on_page(chrome, "/security/admin/", "受理待ち一覧")
    assert notice(chrome).startswith("1件を受理し"), notice(chrome)
    left = [r.find_element(By.CSS_SELECTOR, "th").text
            for r in chrome.find_elements(By.CSS_SELECTOR, "table.admin-table tbody tr")]
    assert first[2] not in left and second[2] in left, left
    assert site.sql("SELECT state FROM declaration WHERE user_no = '%s'" % first[1]) == [["accepted"]]
    assert site.sql("SELECT state FROM declaration WHERE user_no = '%s'" % second[1]) == [["declared"]]
    assert "申込受理" in harness.subject(site.wait_mail(first[0], 3, timeout=WAIT)[2])

    # the detail of the one still waiting
    click_and_wait(chrome, link(chrome, second[2]))
    assert re.fullmatch(r"/security/admin/declarations/\d+", path_of(chrome)), chrome.current_url
    on_page(chrome, path_of(chrome), "自己宣言の詳細")
    assert dd_of(chrome, "自己宣言ID") == second[2]
    assert dd_of(chrome, "状態") == "宣言済み・受理待ち"
    screenshots(chrome, "admin-detail")
