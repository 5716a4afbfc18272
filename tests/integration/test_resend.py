"""「確認メールを再送する」 (issue 9, item 3): an expired or missing 受付確認
mail does not mean typing everything again.  The 仮申込み is kept for
SecActionProvisionalKeep after its link expired; the expired link's page
and the 受付確認 page offer a fresh link to the same address (a POST, with
a back-off between mails), the old link stops working, nothing is sent
twice and the address is only shown masked."""
import re
import threading
import time

import pytest

from conftest import BACKENDS, body, unique_email
from wizard import CORP, ONE_STAR, Browser, csrf, declare, location, verify_link


def masked(addr):
    local, domain = addr.split("@")
    return local[0] + "*" * (len(local) - 1) + "@" + domain


def text(page):
    return re.sub(r"<[^>]+>", "", page)


def links_of(site, email, count):
    return [verify_link(body(m)) for m in site.wait_mail(email, count)]


def age_mails(site, email, seconds):
    """Moves this declaration's mails `seconds` into the past, as if the
    applicant had waited (the back-off counts from the last mail)."""
    site.sql("UPDATE declaration_history SET at = at - %d WHERE declaration_id IN "
             "(SELECT id FROM declaration WHERE email = '%s')" % (seconds, email))
    site.sql("UPDATE declaration SET created_at = created_at - %d WHERE email = '%s'"
             % (seconds, email))


def history(site, email):
    return site.sql("SELECT h.event, h.from_state, h.to_state, h.actor FROM declaration_history h"
                    " JOIN declaration d ON d.id = h.declaration_id WHERE d.email = '%s'"
                    " ORDER BY h.id" % email)


def expired_page_form(page):
    m = re.search(r'<form[^>]*action="[^"]*(/entry/verify/resend)"', page)
    assert m, page[:2000]
    t = re.search(r'name="t" value="([^"]*)"', page[m.start():]).group(1)
    return t, csrf(page[m.start():])


def wait_expired(site, email):
    deadline = time.time() + 10
    while time.time() < deadline:
        if site.sql("SELECT state FROM declaration WHERE email = '%s'" % email) == [["expired"]]:
            return
        time.sleep(0.3)
    raise AssertionError("not expired")


@pytest.mark.parametrize("backend", BACKENDS)
def test_expired_link_offers_a_fresh_one_without_retyping(new_site, backend):
    site = new_site(backend, "SecActionTokenLifetime 2s")
    email = unique_email()
    b = declare(site, CORP, ONE_STAR, email)
    old = links_of(site, email, 1)[0]
    time.sleep(2.5)
    wait_expired(site, email)
    age_mails(site, email, 120)
    other = Browser(site)                        # the link opened on another device
    r = other.get(old)
    assert r.status_code == 410
    assert "確認メールを再送する" in r.text and "入力した内容は保存されています" in r.text
    assert masked(email) in r.text and email not in r.text
    t, token = expired_page_form(r.text)
    # a GET changes nothing
    assert other.get("/entry/verify/resend?t=" + t).status_code == 405
    assert len(site.mails_to(email)) == 1
    r = other.post("/entry/verify/resend", {"t": t, "resend": "1"}, token=token)
    assert r.status_code == 303 and location(r) == "/entry/accepted", (r.status_code, r.text[:500])
    page = other.follow(r).text
    assert "確認メールを再送しました" in page
    assert masked(email) in page and email not in page
    first, new = links_of(site, email, 2)
    assert first == old and new != old
    # the old link is dead, the new one completes with everything as typed
    assert Browser(site).get(old).status_code == 404
    assert location(b.open_link(new)) == "/entry/complete"
    assert site.sql("SELECT state, corp_name, city FROM declaration WHERE email = '%s'" % email) \
        == [["declared", CORP["corp_name"], CORP["city"]]]
    assert history(site, email) == [
        ["submit", "", "provisional", "applicant"], ["expire", "provisional", "expired", "system"],
        ["resend", "expired", "provisional", "applicant"],
        ["verify", "provisional", "declared", "applicant"]]
    # the same old form pressed again: the browser's own 受付確認 page, nothing sent
    r = other.post("/entry/verify/resend", {"t": t, "resend": "1"}, token=token)
    assert r.status_code == 303 and location(r) == "/entry/accepted"
    time.sleep(1)
    assert len(site.mails_to(email)) == 3        # 受付確認, the fresh one, 完了


@pytest.mark.parametrize("backend", BACKENDS)
def test_accepted_page_resend_is_rate_limited(new_site, backend):
    site = new_site(backend)
    email = unique_email()
    b = declare(site, CORP, ONE_STAR, email)
    first = links_of(site, email, 1)[0]
    page = b.get("/entry/accepted").text
    assert "確認メールを再送する" in page
    assert "次に再送できるのは" in page and re.search(r"あと(\d\d?秒|1分)", text(page))
    # too soon: refused, and the page says until when
    r = b.s.post(site.url("/entry/resend"), data={"resend": "1", "csrf": csrf(page)},
                 allow_redirects=False, timeout=30)
    assert r.status_code == 303 and location(r) == "/entry/accepted"
    page = b.follow(r).text
    assert "まだ再送できません" in page and "次に再送できるのは" in page
    time.sleep(1)
    assert len(site.mails_to(email)) == 1
    # a minute later it works, once
    age_mails(site, email, 61)
    r = b.post("/entry/resend", {"resend": "1"}, token=csrf(page))
    assert location(r) == "/entry/accepted"
    page = b.follow(r).text
    assert "確認メールを再送しました" in page and masked(email) in page
    assert "次に再送できるのは" in page            # the next wait: twice as long
    assert "あと2分" in text(page)
    second = links_of(site, email, 2)[1]
    assert second != first
    assert Browser(site).get(first).status_code == 404
    assert Browser(site).get(second).status_code == 200
    r = b.post("/entry/resend", {"resend": "1"}, token=csrf(page))
    assert "まだ再送できません" in b.follow(r).text
    time.sleep(1)
    assert len(site.mails_to(email)) == 2
    # the mail says how long the data is kept after the link expires
    assert "7日間" in body(site.mails_to(email)[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_presses_at_once_send_one_mail(new_site, backend):
    site = new_site(backend)
    email = unique_email()
    b = declare(site, CORP, ONE_STAR, email)
    links_of(site, email, 1)
    age_mails(site, email, 120)
    token = csrf(b.get("/entry/accepted").text)
    results = []

    def press():
        r = b.s.post(site.url("/entry/resend"), data={"resend": "1", "csrf": token},
                     allow_redirects=False, timeout=30)
        results.append(r.status_code)
    threads = [threading.Thread(target=press) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # each press answers 303 (or, when mod_session_dbd was rewriting the
    # session at that moment, the page that says nothing was changed)
    assert 303 in results and set(results) <= {303, 403}, results
    time.sleep(2)
    assert len(site.mails_to(email)) == 2
    assert [h[0] for h in history(site, email)] == ["submit", "resend"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_unsent_mail_is_replaced_not_sent_twice(new_site, backend):
    site = new_site(backend)
    site.expected_log = ("SA011",)
    email = unique_email()
    site.set_mail_failing(True)
    b = declare(site, CORP, ONE_STAR, email)
    age_mails(site, email, 120)
    r = b.post("/entry/resend", {"resend": "1"}, token=csrf(b.get("/entry/accepted").text))
    assert location(r) == "/entry/accepted"
    assert site.sql("SELECT COUNT(*) FROM outbox o JOIN declaration d ON d.id = o.declaration_id"
                    " WHERE d.email = '%s' AND o.sent_at IS NULL" % email) == [["1"]]
    site.set_mail_failing(False)
    mails = site.wait_mail(email, 1, timeout=20)
    time.sleep(3)
    assert len(site.mails_to(email)) == 1
    assert location(Browser(site).open_link(verify_link(body(mails[0])))) == "/entry/complete"


@pytest.mark.parametrize("backend", BACKENDS)
def test_kept_only_for_the_configured_time(new_site, backend):
    site = new_site(backend, "SecActionProvisionalKeep 60s")
    email = unique_email()
    declare(site, CORP, ONE_STAR, email)
    old = links_of(site, email, 1)[0]
    age_mails(site, email, 3600)
    # the link expired half a minute ago: kept, a fresh one may be asked for
    site.sql("UPDATE declaration SET token_expires = %d WHERE email = '%s'"
             % (int(time.time()) - 30, email))
    r = Browser(site).get(old)
    assert r.status_code == 410 and "確認メールを再送する" in r.text
    t, token = expired_page_form(r.text)
    # two minutes ago: no longer kept; the page says to start again
    site.sql("UPDATE declaration SET token_expires = %d WHERE email = '%s'"
             % (int(time.time()) - 120, email))
    r = Browser(site).get(old)
    assert r.status_code == 410 and "確認メールを再送する" not in r.text
    assert "最初から" in r.text
    # the form of the earlier page pressed now: refused, nothing sent
    b = Browser(site)
    token = csrf(b.get("/login").text)           # this browser's anonymous CSRF token
    r = b.post("/entry/verify/resend", {"t": t, "resend": "1"}, token=token)
    assert r.status_code == 410 and "確認メールを再送する" not in r.text
    time.sleep(1)
    assert len(site.mails_to(email)) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_what_was_typed_is_erased_once_no_longer_kept(new_site, backend):
    site = new_site(backend, "SecActionTokenLifetime 2s\nSecActionProvisionalKeep 2s")
    email = unique_email()
    declare(site, CORP, ONE_STAR, email)
    old = links_of(site, email, 1)[0]
    deadline = time.time() + 20
    rows = []
    while time.time() < deadline:
        rows = site.sql("SELECT d.state, d.email, d.corp_name, d.phone, d.pref, d.level"
                        " FROM declaration d JOIN declaration_history h ON h.declaration_id = d.id"
                        " WHERE h.event = 'erase' AND d.created_at >= %d" % (int(time.time()) - 60))
        if rows:
            break
        time.sleep(0.3)
    assert rows == [["expired", "（消去済み）", "", "（消去済み）", CORP["pref"], "1"]]
    assert site.sql("SELECT COUNT(*) FROM declaration WHERE email = '%s'" % email) == [["0"]]
    hist = site.sql("SELECT h.event, h.from_state, h.to_state, h.actor FROM declaration_history h"
                    " JOIN declaration d ON d.id = h.declaration_id WHERE d.email = '（消去済み）'"
                    " ORDER BY h.id")
    assert hist == [["submit", "", "provisional", "applicant"],
                    ["expire", "provisional", "expired", "system"],
                    ["erase", "expired", "expired", "system"]]
    # the link now says to start again, with no resend
    r = Browser(site).get(old)
    assert r.status_code == 410 and "確認メールを再送する" not in r.text and "最初から" in r.text
