"""Login, logout, the slow-down and lock of wrong passwords, and the
password reset by mail — as a business and as an attacker would try them."""
import hashlib
import re
import time

import pytest
import requests

from conftest import BACKENDS, body, subject
from htmlpage import Page
from wizard import Browser, csrf, declared, location, login

LOCKING = "SecActionLoginSlowAfter 50\nSecActionLoginLock 3 3s\n"


def login_cookie(b):
    return b.s.cookies.get("secaction_login")


def sessions_of(site, user_no):
    return int(site.sql("SELECT COUNT(*) FROM login_session s JOIN declaration d "
                        "ON d.id = s.declaration_id WHERE d.user_no = '%s'" % user_no)[0][0])


def test_login_with_the_numbers_of_the_mail(site):
    email, user_no, decl_no, pw = declared(site)
    b = Browser(site)
    page = b.get("/login")
    assert page.status_code == 200 and "利用者番号" in page.text
    r = b.post("/login", {"user_no": user_no, "password": pw})
    assert r.status_code == 303 and location(r) == "/mypage"
    raw = r.headers["Set-Cookie"]
    assert "secaction_login=" in raw and "HttpOnly" in raw and "SameSite=Lax" in raw
    value = login_cookie(b)
    # only the hash of the cookie's value is stored
    assert not site.sql("SELECT 1 FROM login_session WHERE id_hash = '%s'" % value)
    assert site.sql("SELECT 1 FROM login_session WHERE id_hash = '%s'"
                    % hashlib.sha256(value.encode()).hexdigest())
    # full-width digits and hyphens are accepted for the number
    wide = "".join(chr(ord(c) + 0xFEE0) for c in user_no[:4]) + "-" + user_no[4:]
    assert location(Browser(site).post("/login", {"user_no": wide, "password": pw})) == "/mypage"
    # a logged-in visitor of /login goes to the マイページ
    assert location(b.get("/login")) == "/mypage"


def test_session_id_changes_at_login(site):
    """A session value planted before the login (fixation) is never used."""
    email, user_no, decl_no, pw = declared(site)
    first = login(site, user_no, pw)
    planted = login_cookie(first)
    b = Browser(site)
    token = csrf(b.get("/login").text)
    b.s.cookies.set("secaction_login", planted, domain="127.0.0.1", path="/security")
    r = b.post("/login", {"user_no": user_no, "password": pw}, token=token)
    assert location(r) == "/mypage"
    assert login_cookie(b) != planted
    # the planted value no longer opens anything
    assert location(first.get("/mypage")) == "/login"


def test_wrong_password_and_unknown_number_say_the_same(site):
    email, user_no, decl_no, pw = declared(site)
    b = Browser(site)
    wrong = b.post("/login", {"user_no": user_no, "password": pw + "x"})
    unknown = b.post("/login", {"user_no": "1000000001" if user_no != "1000000001" else "1000000002",
                                "password": pw})
    for r in (wrong, unknown):
        assert r.status_code == 200
        page = Page(r.text)
        assert "利用者番号またはパスワードが正しくありません" in page.by_id("e-password").text
        assert pw not in r.text                              # the password is not echoed
    assert Page(wrong.text).value("user_no") == user_no      # the number is kept
    assert login_cookie(b) is None
    # a malformed number is explained beside the field
    r = b.post("/login", {"user_no": "12345", "password": pw})
    assert "10桁" in Page(r.text).by_id("e-user_no").text


def test_login_refuses_a_post_without_its_token(site):
    email, user_no, decl_no, pw = declared(site)
    b = Browser(site)
    b.get("/login")
    r = b.post("/login", {"user_no": user_no, "password": pw}, token=False)
    assert r.status_code == 403 and "何も変更していません" in r.text
    r = b.post("/login", {"user_no": user_no, "password": pw}, token="forged" * 7 + "x")
    assert r.status_code == 403
    assert login_cookie(b) is None


def test_unreadable_login_body_changes_nothing(site):
    email, user_no, decl_no, pw = declared(site)
    b = Browser(site)
    token = csrf(b.get("/login").text)
    r = b.s.post(site.url("/login"), data="user_no=%s&password=%s&csrf=%s" % (user_no, pw, token),
                 headers={"Content-Type": "text/plain"}, allow_redirects=False, timeout=10)
    assert r.status_code == 400 and "読み取れませんでした" in r.text
    r = b.s.post(site.url("/login"), data=b"user_no=%s&password=\xff\xfe&csrf=%s"
                 % (user_no.encode(), token.encode()),
                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 400
    assert login_cookie(b) is None and sessions_of(site, user_no) == 0


def test_logout_ends_the_session(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    assert sessions_of(site, user_no) == 1
    value = login_cookie(b)
    page = b.get("/login")                        # any page of the logged-in business
    r = b.s.post(site.url("/logout"), data={"csrf": "bogus"}, allow_redirects=False, timeout=10)
    assert r.status_code == 403                   # a forged logout is refused
    r = b.s.post(site.url("/logout"), data={"csrf": session_csrf(site, value)},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 303 and location(r) == "/logout"
    assert "ログアウトしました" in b.get("/logout").text
    assert sessions_of(site, user_no) == 0
    # the old cookie value opens nothing
    other = Browser(site)
    other.s.cookies.set("secaction_login", value, domain="127.0.0.1", path="/security")
    assert location(other.get("/mypage")) == "/login"
    assert page.status_code in (200, 303)


def session_csrf(site, cookie_value):
    return site.sql("SELECT csrf FROM login_session WHERE id_hash = '%s'"
                    % hashlib.sha256(cookie_value.encode()).hexdigest())[0][0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_lock_after_wrong_passwords_and_its_end(new_site, backend):
    site = new_site(backend, LOCKING)
    email, user_no, decl_no, pw = declared(site)
    b = Browser(site)
    for _ in range(2):
        assert b.post("/login", {"user_no": user_no, "password": "Wrong-pass-1"}).status_code == 200
    r = b.post("/login", {"user_no": user_no, "password": "Wrong-pass-1"})
    assert r.status_code == 429 and "一時的に止めています" in r.text
    assert "パスワードをお忘れの方" in r.text
    # while locked, even the right password does not log in
    r = b.post("/login", {"user_no": user_no, "password": pw})
    assert r.status_code == 429 and login_cookie(b) is None
    assert site.sql("SELECT login_locked_until > 0 FROM declaration WHERE user_no = '%s'"
                    % user_no)[0][0] in ("1", "t")
    time.sleep(3.5)
    # the owner's login after the lock works and clears the count
    login(site, user_no, pw)
    assert site.sql("SELECT login_failures, login_locked_until FROM declaration "
                    "WHERE user_no = '%s'" % user_no)[0] == ["0", "0"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_failures_slow_down(new_site, backend):
    site = new_site(backend, "SecActionLoginSlowAfter 2\n")
    email, user_no, decl_no, pw = declared(site)
    b = Browser(site)
    for _ in range(2):
        b.post("/login", {"user_no": user_no, "password": "Wrong-pass-1"})
    r = b.post("/login", {"user_no": user_no, "password": pw})
    assert r.status_code == 429 and "秒ほど待ってから" in r.text
    time.sleep(2.2)
    login(site, user_no, pw)


@pytest.mark.parametrize("backend", BACKENDS)
def test_idle_login_ends(new_site, backend):
    site = new_site(backend, "SecActionLoginIdle 2s\n")
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    time.sleep(2.5)
    assert location(b.get("/mypage")) == "/login"
    assert sessions_of(site, user_no) == 0


def reset_link(msg):
    m = re.search(r"(http://\S+/password-reset/set\?t=[A-Za-z0-9_-]+)", body(msg))
    assert m, body(msg)
    return m.group(1)


def request_reset(site, user_no, email):
    b = Browser(site)
    r = b.post("/password-reset", {"user_no": user_no, "email": email})
    assert r.status_code == 303 and location(r) == "/password-reset/sent"
    return b.follow(r).text


def test_password_reset_by_mail(site):
    email, user_no, decl_no, pw = declared(site)
    sent = request_reset(site, user_no, email.upper().replace("EXAMPLE", "example"))
    assert "お送りしました" in sent
    msg = site.wait_mail(email, 3)[2]
    assert subject(msg) == "【SECURITY ACTION】パスワード再設定のご案内"
    link = reset_link(msg)
    # opening the link (or a scanner's HEAD) changes nothing
    assert requests.head(link, timeout=10).status_code == 200
    b = Browser(site)
    page = b.get(link)
    assert page.status_code == 200 and "新しいパスワード" in page.text
    token = link.split("t=", 1)[1]
    new = "Neu-Passw0rd!"
    r = b.post(link.split("?", 1)[0].split("/security", 1)[1] + "?t=" + token,
               {"t": token, "password": new, "password2": new + "x"})
    assert r.status_code == 200 and "一致しません" in r.text          # refused beside the field
    r = b.s.post(site.url("/password-reset/set"),
                 data={"t": token, "password": new, "password2": new, "csrf": csrf(r.text)},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 303 and location(r) == "/password-reset/done"
    notice = site.wait_mail(email, 4)[3]
    assert subject(notice) == "【SECURITY ACTION】パスワード変更のお知らせ"
    login(site, user_no, new)
    assert Browser(site).post("/login", {"user_no": user_no, "password": pw}).status_code == 200
    # the link works once
    again = Browser(site).get(link)
    assert again.status_code == 410 and "使えません" in again.text


def test_reset_form_never_tells_whether_a_number_or_address_exists(site):
    email, user_no, decl_no, pw = declared(site)
    before = len(site.mails())
    pages = [request_reset(site, user_no, "someone.else@example.co.jp"),
             request_reset(site, "1000000001" if user_no != "1000000001" else "1000000002", email)]
    assert pages[0] == pages[1]
    time.sleep(2)
    assert len(site.mails()) == before


@pytest.mark.parametrize("backend", BACKENDS)
def test_reset_link_expires(new_site, backend):
    site = new_site(backend, "SecActionResetLifetime 1s\n")
    email, user_no, decl_no, pw = declared(site)
    request_reset(site, user_no, email)
    link = reset_link(site.wait_mail(email, 3)[2])
    time.sleep(1.5)
    r = Browser(site).get(link)
    assert r.status_code == 410
    unknown = Browser(site).get("/password-reset/set?t=" + "A" * 43)
    assert unknown.status_code == 404


# --- forms reached without a login refuse a POST without its token ------------

def refused_without_token(site, b, path, data):
    """POSTs data to path from browser b (which opened the form, so it holds
    the token cookie) with no token, a forged one and another visitor's
    real one: each answers 403 and says that nothing was changed."""
    other = csrf(Browser(site).get("/password-reset").text)
    for token in (False, "forged" * 7 + "x", other):
        r = b.post(path, data, token=token)
        assert r.status_code == 403, (path, token, r.status_code, r.text[:300])
        assert "何も変更していません" in r.text
        assert "Location" not in r.headers


def outbox_rows(site, user_no):
    return site.sql("SELECT o.kind FROM outbox o JOIN declaration d ON d.id = o.declaration_id"
                    " WHERE d.user_no = '%s' ORDER BY o.id" % user_no)


def links(site, user_no, purpose):
    return site.sql("SELECT l.used_at IS NULL FROM link_token l JOIN declaration d"
                    " ON d.id = l.declaration_id WHERE d.user_no = '%s' AND l.purpose = '%s'"
                    % (user_no, purpose))


def test_reset_request_needs_its_token(site):
    email, user_no, decl_no, pw = declared(site)
    mails = outbox_rows(site, user_no)
    b = Browser(site)
    assert b.get("/password-reset").status_code == 200
    refused_without_token(site, b, "/password-reset", {"user_no": user_no, "email": email})
    # no link was made and no mail was queued
    assert links(site, user_no, "reset") == []
    assert outbox_rows(site, user_no) == mails
    # the same request with the form's token does mail a link: only that one
    request_reset(site, user_no, email)
    site.wait_mail(email, 3)
    assert len(links(site, user_no, "reset")) == 1
    assert [m[0] for m in outbox_rows(site, user_no)] == [m[0] for m in mails] + ["reset"]
    time.sleep(1.5)
    assert len(site.mails_to(email)) == 3


def test_new_password_needs_its_token(site):
    email, user_no, decl_no, pw = declared(site)
    request_reset(site, user_no, email)
    link = reset_link(site.wait_mail(email, 3)[2])
    token = link.split("t=", 1)[1]
    hash_before = site.sql("SELECT password_hash FROM declaration WHERE user_no = '%s'" % user_no)
    b = Browser(site)
    assert b.get(link).status_code == 200
    new = "Neu-Passw0rd!"
    refused_without_token(site, b, "/password-reset/set",
                          {"t": token, "password": new, "password2": new})
    # the link is unused, the password the same, no 変更のお知らせ
    assert links(site, user_no, "reset") in ([["1"]], [["t"]])
    assert site.sql("SELECT password_hash FROM declaration WHERE user_no = '%s'"
                    % user_no) == hash_before
    assert Browser(site).post("/login", {"user_no": user_no, "password": new}).status_code == 200
    login(site, user_no, pw)
    time.sleep(1.5)
    assert len(site.mails_to(email)) == 3
    # the link still opens its form
    assert Browser(site).get(link).status_code == 200


def test_contact_confirmation_needs_its_token(site):
    email, user_no, decl_no, pw = declared(site)
    new = "csrf.%s@example.ne.jp" % user_no
    owner = login(site, user_no, pw)
    r = owner.post("/mypage/contact", {"declaration_no": decl_no, "contact_name": "佐藤 一郎",
                                       "email": new, "email2": new, "next": "1"})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    m = re.search(r"(http://\S+/contact/confirm\?t=[A-Za-z0-9_-]+)", body(site.wait_mail(new)[0]))
    assert m
    link = m.group(1)
    b = Browser(site)                              # opened from the new address's mailbox
    assert b.get(link).status_code == 200
    refused_without_token(site, b, "/contact/confirm", {"t": link.split("t=", 1)[1]})
    # the contact is the same, the link unused, the old address told nothing
    assert site.sql("SELECT contact_name, email FROM declaration WHERE user_no = '%s'"
                    % user_no) == [["山田 花子", email]]
    assert links(site, user_no, "contact") in ([["1"]], [["t"]])
    time.sleep(1.5)
    assert len(site.mails_to(email)) == 2
    assert Browser(site).get(link).status_code == 200
