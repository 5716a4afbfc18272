"""The business's own pages after login: the state, step-up, change of data
and of contact, stop, password change and the logo — each change by
POST→303→GET with its mail, and nothing of another business reachable."""
import re
import time

import pytest

from conftest import BACKENDS, body, subject
from htmlpage import Page
from wizard import CORP, ONE_STAR, Browser, csrf, declared, location, login

IMMEDIATE = "SecActionAcceptance immediate\n"


def row(site, user_no, cols):
    return site.sql("SELECT %s FROM declaration WHERE user_no = '%s'" % (cols, user_no))[0]


def history(site, user_no):
    return [r[0] for r in site.sql(
        "SELECT h.event FROM declaration_history h JOIN declaration d ON d.id = h.declaration_id "
        "WHERE d.user_no = '%s' ORDER BY h.id" % user_no)]


def mail_link(msg, path):
    m = re.search(r"(http://\S+%s\?t=[A-Za-z0-9_-]+)" % re.escape(path), body(msg))
    assert m, body(msg)
    return m.group(1)


def post_form(b, path, data):
    """POSTs the form of the page at path with its token; returns the 303."""
    r = b.post(path, data)
    assert r.status_code == 303, (path, r.status_code, r.text[:400])
    return r


@pytest.fixture(scope="module", params=BACKENDS)
def immediate(request):
    from conftest import Site, check_error_log
    s = Site(request.param, IMMEDIATE).start()
    yield s
    s.stop()
    check_error_log(s)


def test_status_page_shows_the_declaration(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    page = b.get("/mypage")
    assert page.status_code == 200
    text = Page(page.text).text
    for want in (user_no, decl_no, "一つ星", "宣言済み", CORP["corp_name"], "文京区本駒込",
                 email, "自己宣言の完了"):
        assert want in text, want
    assert "no-store" in page.headers["Cache-Control"]


def test_pages_need_a_login(site):
    for path in ("/mypage", "/mypage/stepup", "/mypage/edit", "/mypage/contact", "/mypage/stop",
                 "/mypage/password", "/mypage/logo", "/mypage/logo/download/svg"):
        r = Browser(site).get(path)
        assert r.status_code == 303 and location(r) == "/login", path


def test_step_up_to_two_stars(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    # refused beside the fields, values kept
    r = post_form(b, "/mypage/stepup", {"score": "120", "next": "1"})
    page = Page(b.follow(r).text)
    assert page.by_id("e-score") and page.by_id("e-publish") and page.by_id("e-pledge2")
    assert page.value("score") == "120"
    r = post_form(b, "/mypage/stepup", {"score": "80", "publish": ["web", "other"],
                                        "pledge2": "1", "next": "1"})
    assert location(r) == "/mypage/stepup/confirm"
    assert "自社ウェブサイト" in b.follow(r).text
    r = post_form(b, "/mypage/stepup/confirm", {"submit": "1"})
    assert location(r) == "/mypage"
    assert "二つ星" in Page(b.follow(r).text).text
    # not yet accepted (manual): the level changes at once, the IDs stay
    assert row(site, user_no, "level, state, declaration_no") == ["2", "declared", decl_no]
    assert history(site, user_no)[-1] == "stepup"
    msg = site.wait_mail(email, 3)[2]
    assert subject(msg) == "【SECURITY ACTION】二つ星：ステップアップ受付のお知らせ"
    # a second step-up is not offered
    assert location(b.get("/mypage/stepup")) == "/mypage"


def test_step_up_of_an_accepted_declaration_is_accepted_at_once_in_immediate_mode(immediate):
    site = immediate
    email, user_no, decl_no, pw = declared(site)
    assert row(site, user_no, "state")[0] == "accepted"
    b = login(site, user_no, pw)
    post_form(b, "/mypage/stepup", {"publish": ["web"], "pledge2": "1", "next": "1"})
    post_form(b, "/mypage/stepup/confirm", {"submit": "1"})
    assert row(site, user_no, "level, state") == ["2", "accepted"]
    assert "ダウンロード" in body(site.wait_mail(email, 3)[2])


def test_change_of_registered_data(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    form = Page(b.get("/mypage/edit").text)
    assert form.value("corp_name") == CORP["corp_name"]
    data = {k: v for k, v in CORP.items() if k not in ("password", "password2", "kind")}
    data.update(city="文京区千駄木", phone="03-9999-0000", next="1")
    # a bad value is refused beside its field, the input kept, nothing stored
    bad = dict(data, phone="12")
    page = Page(b.follow(post_form(b, "/mypage/edit", bad)).text)
    assert page.by_id("e-phone") and page.value("city") == "文京区千駄木"
    assert row(site, user_no, "city")[0] == "文京区本駒込"
    r = post_form(b, "/mypage/edit", data)
    assert location(r) == "/mypage/edit/confirm"
    confirm = b.follow(r).text
    assert "文京区本駒込" in confirm and "文京区千駄木" in confirm
    r = post_form(b, "/mypage/edit/confirm", {"submit": "1"})
    assert location(r) == "/mypage"
    assert row(site, user_no, "city, phone") == ["文京区千駄木", "03-9999-0000"]
    assert "edit" in history(site, user_no)
    msg = site.wait_mail(email, 3)[2]
    assert subject(msg) == "【SECURITY ACTION】登録情報変更のお知らせ"
    assert "文京区千駄木" in body(msg)


def test_change_of_contact_through_the_mailed_link(site):
    email, user_no, decl_no, pw = declared(site)
    new = "sato.%s@example.ne.jp" % user_no     # not a substring of the old address
    b = login(site, user_no, pw)
    # the 自己宣言ID must be typed in
    r = post_form(b, "/mypage/contact", {"declaration_no": "1" * 10 if decl_no != "1" * 10 else "2" * 10,
                                         "contact_name": "佐藤 一郎", "email": new, "email2": new,
                                         "next": "1"})
    assert Page(b.follow(r).text).by_id("e-declaration_no")
    post_form(b, "/mypage/contact", {"declaration_no": decl_no, "contact_name": "佐藤 一郎",
                                     "email": new, "email2": new, "next": "1"})
    # nothing changes before the new address confirms
    assert row(site, user_no, "email")[0] == email
    msg = site.wait_mail(new, 1)[0]
    assert subject(msg) == "【SECURITY ACTION】担当者変更の確認"
    link = mail_link(msg, "/contact/confirm")
    other = Browser(site)                          # opened from the new address's mailbox
    page = other.get(link)
    assert page.status_code == 200 and "佐藤 一郎" in page.text
    assert row(site, user_no, "email")[0] == email   # the page alone changes nothing
    r = other.post("/contact/confirm", {"t": link.split("t=", 1)[1]}, token=csrf(page.text))
    assert r.status_code == 303 and location(r) == "/contact/done"
    assert row(site, user_no, "contact_name, email") == ["佐藤 一郎", new]
    told = site.wait_mail(email, 3)[2]
    assert subject(told) == "【SECURITY ACTION】担当者変更のお知らせ"
    assert new not in body(told)                   # the old address sees it masked
    # the link works once
    assert Browser(site).get(link).status_code == 410


@pytest.mark.parametrize("backend", BACKENDS)
def test_contact_link_expires(new_site, backend):
    site = new_site(backend, "SecActionContactLifetime 1s\n")
    email, user_no, decl_no, pw = declared(site)
    new = "late.%s@example.ne.jp" % user_no
    b = login(site, user_no, pw)
    post_form(b, "/mypage/contact", {"declaration_no": decl_no, "contact_name": "佐藤 一郎",
                                     "email": new, "email2": new, "next": "1"})
    link = mail_link(site.wait_mail(new, 1)[0], "/contact/confirm")
    time.sleep(1.5)
    assert Browser(site).get(link).status_code == 410
    assert row(site, user_no, "email")[0] == email


def test_stop_the_declaration(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    page = b.get("/mypage/stop").text
    assert "ロゴマーク" in page and "検索" in page
    r = post_form(b, "/mypage/stop", {"submit": "1"})
    assert Page(b.follow(r).text).by_id("e-confirm")      # the box must be ticked
    assert row(site, user_no, "state")[0] == "declared"
    r = post_form(b, "/mypage/stop", {"confirm": "1", "submit": "1"})
    assert location(r) == "/mypage"
    assert row(site, user_no, "state")[0] == "stopped"
    assert subject(site.wait_mail(email, 3)[2]) == "【SECURITY ACTION】自己宣言停止のお知らせ"
    # a stopped declaration can still log in and see its state, and change nothing
    b = login(site, user_no, pw)
    assert "停止" in Page(b.get("/mypage").text).text
    assert location(b.get("/mypage/edit")) == "/mypage"


def test_password_change_needs_the_current_one(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    other = login(site, user_no, pw)
    new = "Brand-New-Pw9"
    r = post_form(b, "/mypage/password", {"current": "Wrong-Pass-1", "password": new,
                                          "password2": new})
    page = b.follow(r)
    assert Page(page.text).by_id("e-current") and new not in page.text
    post_form(b, "/mypage/password", {"current": pw, "password": new, "password2": new})
    assert subject(site.wait_mail(email, 3)[2]) == "【SECURITY ACTION】パスワード変更のお知らせ"
    login(site, user_no, new)
    assert Browser(site).post("/login", {"user_no": user_no, "password": pw}).status_code == 200
    # the other session ended; this one goes on
    assert location(other.get("/mypage")) == "/login"
    assert b.get("/mypage").status_code == 200


def open_doc(b, which):
    r = b.get("/mypage/logo/" + which)
    assert r.status_code == 200, (which, r.status_code)
    return r


def test_logo_only_after_acceptance(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    page = b.get("/mypage/logo").text
    assert "受理" in page and "/mypage/logo/download/" not in page
    assert b.get("/mypage/logo/download/svg").status_code == 403


def test_logo_after_both_documents(immediate):
    site = immediate
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    assert "/mypage/logo/download/" not in b.get("/mypage/logo").text
    assert b.get("/mypage/logo/download/svg").status_code == 403
    doc = open_doc(b, "procedure")
    assert doc.headers["Content-Type"].startswith("text/html")
    assert b.get("/mypage/logo/download/png").status_code == 403      # one of two
    open_doc(b, "guideline")
    page = b.get("/mypage/logo").text
    assert "/mypage/logo/download/svg" in page
    svg = b.get("/mypage/logo/download/svg")
    assert svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml"
    assert "attachment" in svg.headers["Content-Disposition"]
    assert svg.content.lstrip().startswith(b"<")
    png = b.get("/mypage/logo/download/png")
    assert png.headers["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    # the record is the server's: another login starts again
    assert login(site, user_no, pw).get("/mypage/logo/download/svg").status_code == 403


def test_another_business_is_unreachable(site):
    a = declared(site)
    bb = declared(site)
    b = login(site, bb[1], bb[3])
    mine = b.get("/mypage").text
    assert bb[1] in mine and a[1] not in mine and a[0] not in mine
    for path in ("/mypage/" + a[1], "/mypage/declarations/1", "/mypage/logo/download/" + a[2]):
        assert b.get(path).status_code == 404, path
    # B's contact form refuses A's 自己宣言ID
    r = post_form(b, "/mypage/contact", {"declaration_no": a[2], "contact_name": "x y",
                                         "email": a[0], "email2": a[0], "next": "1"})
    assert Page(b.follow(r).text).by_id("e-declaration_no")


MYPAGE_POSTS = ["/mypage/stepup", "/mypage/stepup/confirm", "/mypage/edit",
                "/mypage/edit/confirm", "/mypage/contact", "/mypage/stop", "/mypage/password",
                "/logout"]


def test_every_post_needs_its_token_and_a_readable_body(site):
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    before = row(site, user_no, "version, state, level")
    for path in MYPAGE_POSTS:
        r = b.s.post(site.url(path), data={"confirm": "1", "submit": "1", "csrf": "x" * 43},
                     allow_redirects=False, timeout=10)
        assert r.status_code == 403 and "何も変更していません" in r.text, path
        r = b.s.post(site.url(path), data="confirm=1&submit=1",
                     headers={"Content-Type": "text/plain"}, allow_redirects=False, timeout=10)
        assert r.status_code in (400, 403), (path, r.status_code)
    assert row(site, user_no, "version, state, level") == before
    assert b.get("/mypage").status_code == 200            # still logged in


@pytest.mark.parametrize("backend", BACKENDS)
def test_wrong_current_passwords_count_like_wrong_logins(new_site, backend):
    """A stolen session cannot try passwords on the change form without limit."""
    site = new_site(backend, "SecActionLoginSlowAfter 50\nSecActionLoginLock 3 1h\n")
    email, user_no, decl_no, pw = declared(site)
    b = login(site, user_no, pw)
    new = "Brand-New-Pw9"
    for _ in range(2):
        r = post_form(b, "/mypage/password", {"current": "Wrong-Pass-1", "password": new,
                                              "password2": new})
        assert location(r) == "/mypage/password"
    r = post_form(b, "/mypage/password", {"current": "Wrong-Pass-1", "password": new,
                                          "password2": new})
    assert location(r) == "/login"
    assert location(b.get("/mypage")) == "/login"          # the session ended
    r = Browser(site).post("/login", {"user_no": user_no, "password": pw})
    assert r.status_code == 429                              # and the number is locked
