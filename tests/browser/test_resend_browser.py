"""「確認メールを再送する」 in Chromium, with and without JavaScript (issue 9,
item 3): the expired link's page and the 受付確認 page each send a fresh
link by one button, without typing anything again; the address is shown
masked; the old link stops working."""
import re
import time

import pytest
from selenium.webdriver.common.by import By

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import WAIT, harness, screenshots, wizard
from .test_browser import on_page


def masked(addr):
    local, domain = addr.split("@")
    return local[0] + "*" * (len(local) - 1) + "@" + domain


def links(site, email, count):
    return [wizard.verify_link(harness.body(m)) for m in site.wait_mail(email, count)]


def age(site, email, seconds, expire=False):
    """As if the applicant had waited `seconds` since the last mail (and,
    with expire, as if its link had expired a minute ago)."""
    site.sql("UPDATE declaration_history SET at = at - %d WHERE declaration_id IN "
             "(SELECT id FROM declaration WHERE email = '%s')" % (seconds, email))
    site.sql("UPDATE declaration SET created_at = created_at - %d WHERE email = '%s'"
             % (seconds, email))
    if expire:
        site.sql("UPDATE declaration SET token_expires = %d WHERE email = '%s'"
                 % (int(time.time()) - 60, email))


def press(driver, css):
    """Clicks a form's button and waits for the page that answers (an
    inspector error while the old page goes away counts as gone)."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, css).click()

    def gone(d):
        try:
            old.is_enabled()
            return False
        except WebDriverException:           # stale, or the page is being replaced
            return True
    WebDriverWait(driver, WAIT).until(gone)
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_expired_link_and_accepted_page_resend(chromiums, site, js):
    driver = chromiums[js].fresh()
    email = "resend.%s@example.co.jp" % ("js" if js else "nojs")
    wizard.declare(site, wizard.CORP, wizard.ONE_STAR, email)   # typed once, on another device
    first = links(site, email, 1)[0]
    age(site, email, 120, expire=True)

    # the expired link: what was typed is kept; one button
    driver.get(first)
    on_page(driver, "/security/entry/verify", "リンクの有効期限が切れています")
    main = driver.find_element(By.ID, "main").text
    assert "入力した内容は保存されています" in main
    assert masked(email) in main and email not in driver.page_source
    if js:
        screenshots(driver, "entry-verify-expired-resend")
    press(driver, ".resend-form button[name=resend]")
    on_page(driver, "/security/entry/accepted", "受付確認")
    main = driver.find_element(By.ID, "main").text
    assert "確認メールを再送しました" in main
    assert masked(email) in main and email not in driver.page_source
    assert "次に再送できるのは" in main           # and when the next one is possible
    second = links(site, email, 2)[1]
    assert second != first
    driver.get(first)                            # the old link no longer works
    on_page(driver, "/security/entry/verify", "リンクが確認できません")

    # 「メールが届かない場合」 on the 受付確認 page: again, after the wait
    driver.get(site.url("/entry/accepted"))
    on_page(driver, "/security/entry/accepted", "受付確認")
    press(driver, ".resend-form button[name=resend]")   # too soon: refused, nothing sent
    assert "まだ再送できません" in driver.find_element(By.ID, "main").text
    time.sleep(1)
    assert len(site.mails_to(email)) == 2
    age(site, email, 300)
    driver.get(site.url("/entry/accepted"))
    if js:
        screenshots(driver, "entry-accepted-resend")
    press(driver, ".resend-form button[name=resend]")
    assert "確認メールを再送しました" in driver.find_element(By.ID, "main").text
    third = links(site, email, 3)[2]
    assert third not in (first, second)

    # the newest link completes the declaration with what was typed at first
    driver.get(third)
    on_page(driver, "/security/entry/verify", "自己宣言を完了する")
    press(driver, ".verify-form button[name=complete]")
    on_page(driver, "/security/entry/complete", "宣言完了")
    assert re.search(r"\d{10}", driver.find_element(By.ID, "user-no").text)
    assert site.sql("SELECT state, corp_name FROM declaration WHERE email = '%s'" % email) \
        == [["declared", wizard.CORP["corp_name"]]]
