"""The wizard's session (PRODUCT.md 2): CSRF refusals, steps opened out of
order, Back and reload, the password kept only as a hash, double submit."""
import os
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import body, session_text, subject, unique_email
from htmlpage import Page
from wizard import (CORP, ONE_STAR, SOLE, TWO_STAR, Browser, agree, csrf, fill_company,
                    fill_declaration, location, submit, verify_link)

NOT_CHANGED = "何も変更していません"


def declaration_rows(site, email):
    return site.sql("SELECT id, state FROM declaration WHERE email = '%s'" % email)


def other_sessions_token(site):
    """A well-formed CSRF token that belongs to another visitor."""
    other = Browser(site)
    return csrf(other.get("/entry/").text)


def wrong_token(site, kind):
    return None if kind == "missing" else other_sessions_token(site)


def post_raw(b, path, data, token):
    data = dict(data)
    if token is not None:
        data["csrf"] = token
    r = b.s.post(b.site.url(path), data=data, allow_redirects=False, timeout=30)
    b.last = r
    return r


def assert_refused(r):
    assert r.status_code == 403, (r.status_code, r.headers.get("Location"), r.text[:300])
    assert NOT_CHANGED in r.text


# --- CSRF ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["missing", "wrong"])
def test_csrf_terms(site, kind):
    b = Browser(site)
    b.get("/entry/")
    assert_refused(post_raw(b, "/entry/", {"agree": "1"}, wrong_token(site, kind)))
    r = b.get("/entry/company")
    assert r.status_code == 303 and location(r) == "/entry/"


def test_csrf_terms_without_any_session(site):
    b = Browser(site)
    assert_refused(post_raw(b, "/entry/", {"agree": "1"}, None))
    r = b.get("/entry/company")
    assert r.status_code == 303 and location(r) == "/entry/"


@pytest.mark.parametrize("kind", ["missing", "wrong"])
def test_csrf_company(site, kind):
    b = Browser(site)
    agree(b)
    assert_refused(post_raw(b, "/entry/company", CORP, wrong_token(site, kind)))
    r = b.get("/entry/declaration")
    assert r.status_code == 303 and location(r) == "/entry/company"
    # and the form is still empty: nothing of the refused POST was kept
    page = Page(b.get("/entry/company").text)
    assert page.value("corp_name") in (None, "")
    assert not page.error_links()


@pytest.mark.parametrize("kind", ["missing", "wrong"])
def test_csrf_declaration(site, kind):
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    email = unique_email()
    assert_refused(post_raw(b, "/entry/declaration",
                            dict(ONE_STAR, email=email, email2=email), wrong_token(site, kind)))
    r = b.get("/entry/confirm")
    assert r.status_code == 303 and location(r) == "/entry/declaration"
    page = Page(b.get("/entry/declaration").text)
    assert page.value("email") in (None, "")


@pytest.mark.parametrize("kind", ["missing", "wrong"])
def test_csrf_confirm(site, kind):
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    email = unique_email()
    fill_declaration(b, ONE_STAR, email)
    assert_refused(post_raw(b, "/entry/confirm", {"submit": "1"}, wrong_token(site, kind)))
    time.sleep(0.5)
    assert declaration_rows(site, email) == []
    assert site.mails_to(email) == []
    # the draft is intact: the confirm page still shows it and can be submitted
    r = b.get("/entry/confirm")
    assert r.status_code == 200 and email in r.text
    submit(b)
    assert len(declaration_rows(site, email)) == 1


# --- out of order --------------------------------------------------------------

@pytest.mark.parametrize("path", ["/entry/company", "/entry/declaration", "/entry/confirm",
                                  "/entry/accepted", "/entry/complete"])
def test_fresh_browser_is_sent_to_the_terms(site, path):
    r = Browser(site).get(path)
    assert r.status_code == 303 and location(r) == "/entry/", (r.status_code, location(r))


@pytest.mark.parametrize("path", ["/entry/declaration", "/entry/confirm", "/entry/accepted",
                                  "/entry/complete"])
def test_after_the_terms_later_steps_go_to_company(site, path):
    b = Browser(site)
    agree(b)
    r = b.get(path)
    assert r.status_code == 303 and location(r) == "/entry/company", (r.status_code, location(r))


def test_after_company_confirm_goes_to_declaration(site):
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    r = b.get("/entry/confirm")
    assert r.status_code == 303 and location(r) == "/entry/declaration"


def test_out_of_order_posts_go_to_the_first_unfinished_step(site):
    b = Browser(site)
    b.get("/entry/")
    token = csrf(b.get("/entry/").text)
    email = unique_email()
    r = post_raw(b, "/entry/declaration", dict(ONE_STAR, email=email, email2=email), token)
    assert r.status_code == 303 and location(r) == "/entry/"
    r = post_raw(b, "/entry/confirm", {"submit": "1"}, token)
    assert r.status_code == 303 and location(r) == "/entry/"
    assert declaration_rows(site, email) == []


# --- every POST answers 303 ----------------------------------------------------

def test_every_post_answers_303(site):
    b = Browser(site)
    seen = []
    b.s.hooks["response"].append(
        lambda r, *a, **k: seen.append((r.request.method, r.status_code)))
    email = unique_email()
    agree(b)
    b.post("/entry/company", dict(CORP, city=""))          # refused
    b.post("/entry/company", dict(CORP, back="1"))         # 使用規約確認へ戻る
    b.post("/entry/", {"agree": "1"})
    b.post("/entry/company", CORP)
    b.post("/entry/declaration", dict(ONE_STAR, email=email, email2="x@example.jp"))  # refused
    b.post("/entry/declaration", dict(ONE_STAR, email=email, email2=email, back="1"))
    b.post("/entry/company", dict(CORP, password="", password2=""))
    fill_declaration(b, ONE_STAR, email)
    b.post("/entry/confirm", {"change": "1"})
    b.post("/entry/company", dict(CORP, password="", password2=""))
    fill_declaration(b, ONE_STAR, email)
    submit(b)
    posts = [s for m, s in seen if m == "POST"]
    assert len(posts) == 13
    assert posts == [303] * len(posts), seen


# --- Back and reload -----------------------------------------------------------

FULL_CORP = dict(CORP, corp_kana="テストジョウホウ", building="本駒込ビル5F", member="yes",
                 member_name="東京商工会議所", ipa_info="no")


def check_company_values(page, values):
    for f in ("corp_no", "corp_name", "corp_kana", "url", "postal", "city", "street",
              "building", "phone", "member_name"):
        assert page.value(f) == values[f], (f, page.value(f))
    assert page.checked("kind") == [values["kind"]]
    assert page.checked("member") == [values["member"]]
    assert page.checked("ipa_info") == [values["ipa_info"]]
    assert page.selected("pref") == [values["pref"]]
    assert page.selected("jsic_major") == [values["jsic_major"]]
    assert page.selected("jsic_middle") == [values["jsic_middle"]]
    for name in ("password", "password2"):
        assert page.value(name) in (None, "")
    assert values["password"] not in page.source


def test_back_to_company_shows_the_values_and_keeps_the_password(site):
    b = Browser(site)
    agree(b)
    fill_company(b, FULL_CORP)
    got = b.get("/entry/company")
    assert got.status_code == 200
    page = Page(got.text)
    check_company_values(page, FULL_CORP)
    assert "設定済み" in page.text
    assert not page.error_links()
    # both password fields left empty: accepted, the password already set is kept
    r = b.post("/entry/company", dict(FULL_CORP, password="", password2=""))
    assert r.status_code == 303 and location(r) == "/entry/declaration"
    email = unique_email()
    fill_declaration(b, ONE_STAR, email)
    submit(b)
    rows = site.sql("SELECT password_hash FROM declaration WHERE email = '%s'" % email)
    assert len(rows) == 1
    assert rows[0][0].startswith("$2")
    assert bcrypt_verifies(FULL_CORP["password"], rows[0][0])
    assert not bcrypt_verifies("Wrong-Passw0rd!", rows[0][0])


def test_a_new_password_on_the_return_replaces_the_old_one(site):
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    r = b.post("/entry/company", dict(CORP, password="N3w-Passw0rd!", password2="N3w-Passw0rd!"))
    assert r.status_code == 303 and location(r) == "/entry/declaration"
    email = unique_email()
    fill_declaration(b, ONE_STAR, email)
    submit(b)
    h = site.sql("SELECT password_hash FROM declaration WHERE email = '%s'" % email)[0][0]
    assert bcrypt_verifies("N3w-Passw0rd!", h)
    assert not bcrypt_verifies(CORP["password"], h)


def test_one_password_field_alone_on_the_return_is_refused(site):
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    r = b.post("/entry/company", dict(CORP, password="N3w-Passw0rd!", password2=""))
    assert r.status_code == 303 and location(r) == "/entry/company"
    page = Page(b.get("/entry/company").text)
    assert ("#f-password2" in [h for h, _ in page.error_links()])


def bcrypt_verifies(password, hash_):
    """Checks a bcrypt hash with httpd's own htpasswd (apr_password_validate)."""
    with tempfile.NamedTemporaryFile("w", suffix=".htpasswd", delete=False) as f:
        f.write("u:%s\n" % hash_)
    try:
        return subprocess.run(["htpasswd", "-v", "-b", f.name, "u", password],
                              capture_output=True).returncode == 0
    finally:
        os.unlink(f.name)


def test_reload_gives_the_same_page_at_every_step(site):
    b = Browser(site)
    email = unique_email()

    def twice(path):
        one, two = b.get(path), b.get(path)
        assert one.status_code == two.status_code == 200, (path, one.status_code, two.status_code)
        assert one.text == two.text, path
        return one

    twice("/")
    twice("/entry/")
    agree(b)
    twice("/entry/")
    twice("/entry/company")
    fill_company(b, SOLE)
    twice("/entry/company")
    twice("/entry/declaration")
    fill_declaration(b, TWO_STAR, email)
    twice("/entry/declaration")
    twice("/entry/company")
    assert email in twice("/entry/confirm").text
    submit(b)
    assert email in twice("/entry/accepted").text
    mail = site.wait_mail(email)[0]
    r = b.open_link(verify_link(body(mail)))
    assert location(r) == "/entry/complete"
    twice("/entry/complete")


def test_reload_after_a_refused_post_keeps_the_values_and_errors(site):
    b = Browser(site)
    agree(b)
    r = b.post("/entry/company", dict(CORP, city=""))
    assert location(r) == "/entry/company"
    one = b.get("/entry/company").text
    two = b.get("/entry/company").text
    for text in (one, two):
        page = Page(text)
        assert [h for h, _ in page.error_links()] == ["#f-city"]
        assert page.value("corp_name") == CORP["corp_name"]


def test_change_on_confirm_goes_back_to_company_with_the_values(site):
    b = Browser(site)
    agree(b)
    fill_company(b, FULL_CORP)
    email = unique_email()
    fill_declaration(b, TWO_STAR, email)
    r = b.post("/entry/confirm", {"change": "1"})
    assert r.status_code == 303 and location(r) == "/entry/company"
    page = Page(b.follow(r).text)
    check_company_values(page, FULL_CORP)
    assert not page.error_links()
    page = Page(b.get("/entry/declaration").text)
    assert page.value("email") == email and page.value("email2") == email
    assert page.checked("level") == ["2"]
    assert sorted(page.checked("publish")) == sorted(TWO_STAR["publish"])
    assert sorted(page.checked("survey")) == sorted(TWO_STAR["survey"])
    assert page.value("score") == TWO_STAR["score"]
    assert page.value("contact_name") == TWO_STAR["contact_name"]
    assert declaration_rows(site, email) == []


def test_back_from_company_to_terms_keeps_what_was_typed(site):
    b = Browser(site)
    agree(b)
    typed = {"kind": "sole", "rep_name": "途中 入力", "city": "大阪市北区", "pref": "27",
             "phone": "06-1234-5678", "member": "yes", "password": "Abcdef12345#",
             "password2": "Abcdef12345#"}
    r = b.post("/entry/company", dict(typed, back="1"))
    assert r.status_code == 303 and location(r) == "/entry/"
    terms = b.get("/entry/")
    assert terms.status_code == 200
    r = b.get("/entry/company")
    assert r.status_code == 200, (r.status_code, location(r))
    page = Page(r.text)
    assert page.value("rep_name") == "途中 入力"
    assert page.value("city") == "大阪市北区"
    assert page.value("phone") == "06-1234-5678"
    assert page.checked("kind") == ["sole"]
    assert page.checked("member") == ["yes"]
    assert page.selected("pref") == ["27"]
    assert page.value("password") in (None, "") and "Abcdef12345#" not in r.text
    assert not page.error_links()


def test_back_from_declaration_keeps_what_was_typed(site):
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    r = b.post("/entry/declaration", {"level": "2", "contact_name": "戻る 太郎", "score": "70",
                                      "back": "1"})
    assert r.status_code == 303 and location(r) == "/entry/company"
    page = Page(b.follow(r).text)
    assert page.value("corp_name") == CORP["corp_name"]
    page = Page(b.get("/entry/declaration").text)
    assert page.value("contact_name") == "戻る 太郎"
    assert page.value("score") == "70"
    assert page.checked("level") == ["2"]


# --- the password is never stored in plain text --------------------------------

def all_text(site, table):
    if table == "session":
        return session_text(site)
    return "\n".join("\t".join(row) for row in site.sql("SELECT * FROM %s" % table))


def test_password_never_in_plain_text_in_session_or_declaration(site):
    secret = "Zq9#" + os.urandom(6).hex() + "Xy"
    company = dict(CORP, password=secret, password2=secret)
    b = Browser(site)
    agree(b)
    # a refused POST (its values are kept for the next page) ...
    b.post("/entry/company", dict(company, city=""))
    assert secret not in all_text(site, "session")
    b.get("/entry/company")
    # ... an accepted one (only the hash is kept) ...
    fill_company(b, company)
    assert secret not in all_text(site, "session")
    # ... back from the declaration, then the submission
    b.post("/entry/declaration", {"back": "1"})
    b.post("/entry/company", dict(company, password="", password2=""))
    email = unique_email()
    fill_declaration(b, ONE_STAR, email)
    assert secret not in all_text(site, "session")
    submit(b)
    for table in ("session", "declaration", "declaration_history", "outbox"):
        assert secret not in all_text(site, table), table
    assert len(declaration_rows(site, email)) == 1


# --- double submit -----------------------------------------------------------------

def ready_to_submit(site):
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    email = unique_email()
    fill_declaration(b, ONE_STAR, email)
    token = csrf(b.get("/entry/confirm").text)
    return b, email, token


def received_mails(site, email):
    return [m for m in site.mails_to(email) if "受付確認" in subject(m)]


def test_double_submit_sequential(site):
    b, email, token = ready_to_submit(site)
    for _ in range(2):
        r = post_raw(b, "/entry/confirm", {"submit": "1"}, token)
        assert r.status_code == 303 and location(r) == "/entry/accepted", \
            (r.status_code, location(r), r.text[:300])
    assert len(declaration_rows(site, email)) == 1
    site.wait_mail(email)
    time.sleep(1.5)
    assert len(received_mails(site, email)) == 1
    assert b.get("/entry/accepted").status_code == 200


def test_double_submit_concurrent(site):
    b, email, token = ready_to_submit(site)
    barrier = threading.Barrier(2)
    results = [None, None]

    def fire(i):
        s = requests.Session()
        s.cookies.update(b.s.cookies)
        barrier.wait()
        try:
            results[i] = s.post(site.url("/entry/confirm"), data={"submit": "1", "csrf": token},
                                allow_redirects=False, timeout=30)
        except Exception as e:            # reported below
            results[i] = e

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert isinstance(r, requests.Response), r
        assert r.status_code < 500, (r.status_code, r.text[:500])
        assert r.status_code in (303, 403), (r.status_code, r.text[:300])
        if r.status_code == 303:
            assert location(r) == "/entry/accepted"
    assert any(r.status_code == 303 for r in results)
    assert len(declaration_rows(site, email)) == 1
    site.wait_mail(email)
    time.sleep(1.5)
    assert len(received_mails(site, email)) == 1


def session_rows(site):
    return int(site.sql("SELECT COUNT(*) FROM session")[0][0])


def test_anonymous_gets_write_nothing(site):
    """Cookie-less visitors (crawlers, scanners, a flood) make the server
    store nothing: the wizard's session starts at the first accepted POST."""
    before = session_rows(site)
    for _ in range(50):
        for path in ("/entry/", "/entry/?via=it-hojo", "/entry/verify?t=" + "A" * 43,
                     "/entry/company", "/login", "/password-reset"):
            r = requests.get(site.url(path), allow_redirects=False, timeout=10)
            assert r.status_code in (200, 303, 404), (path, r.status_code)
    assert session_rows(site) == before
    # the terms page still works without a stored session, and its POST starts one
    b = Browser(site)
    agree(b)
    assert session_rows(site) == before + 1


def test_a_draft_that_cannot_be_saved_is_not_reported_as_saved(new_site):
    """With the database locked while the company step is sent, the answer
    is an outage page (not a CSRF refusal, not the next step) whose button
    sends the same values again."""
    import sqlite3
    site = new_site("sqlite3")
    # mod_session_dbd's and mod_session's own lines, and ours, for the lock
    site.expected_log = ("AH01857", "AH01822", "SA104")
    b = Browser(site)
    agree(b)
    token = csrf(b.get("/entry/company").text)
    lock = sqlite3.connect(site.dbfile, timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        r = b.post("/entry/company", CORP, token=token)
    finally:
        lock.rollback()
        lock.close()
    assert r.status_code == 503, (r.status_code, r.headers.get("Location"))
    assert "保存できませんでした" in r.text and "送信を受け付けられません" not in r.text
    page = Page(r.text)
    assert page.value("corp_name") == CORP["corp_name"]
    assert page.value("postal") == CORP["postal"]
    assert CORP["password"] not in r.text
    # the button sends the same form again, now that the database is back
    again = {a["name"]: a.get("value", "") for a in page.inputs if a.get("type") == "hidden"}
    again.update(password=CORP["password"], password2=CORP["password"])
    r = b.post("/entry/company", again, token=again.pop("csrf"))
    assert r.status_code == 303 and location(r) == "/entry/declaration"


def test_a_draft_that_cannot_be_read_is_an_outage_not_a_new_start(new_site):
    """When the draft's row cannot be read (here: its table refused to the
    module's database user, as a database going away does), every wizard
    page answers the outage page, and the draft is there again afterwards.
    mod_session's own fixups hook loads the session first and mod_session_dbd
    takes the cookie out of the request as it reads it: without the module's
    own earlier load, the handler's load found no cookie, a blank session,
    and the applicant was sent back to the terms (303 to /entry/)."""
    site = new_site("pgsql")
    # mod_session_dbd's and mod_session's lines for the refused SELECT, ours
    site.expected_log = ("SA045",)
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    page = b.get("/entry/declaration")
    assert page.status_code == 200
    token = csrf(page.text)
    site.psql(["-d", site.dbname, "-c", "REVOKE SELECT ON session FROM secaction"])
    try:
        answers = [b.get("/entry/company"), b.get("/entry/declaration"),
                   b.post("/entry/declaration", dict(ONE_STAR, email="a@example.co.jp",
                                                     email2="a@example.co.jp"), token=token)]
    finally:
        site.psql(["-d", site.dbname, "-c", "GRANT SELECT ON session TO secaction"])
    for r in answers:
        assert r.status_code == 503, (r.request.method, r.request.url, r.status_code,
                                      r.headers.get("Location"))
        assert "ただいま" in r.text
    # nothing was lost: the draft is read again once the table is back
    page = b.get("/entry/company")
    assert page.status_code == 200
    assert Page(page.text).value("corp_name") == CORP["corp_name"]
