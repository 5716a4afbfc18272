"""The mail link (PRODUCT.md 2, 2.4; README "Decisions"): once only, unknown
and expired tokens, the token kept only as its SHA-256, the IDs."""
import datetime
import hashlib
import re
import secrets
import time

import pytest

from conftest import BACKENDS, body, session_text, subject, unique_email
from htmlpage import Page
from wizard import CORP, ONE_STAR, SOLE, TWO_STAR, Browser, declare, location, verify_link


def link_of(site, email):
    return verify_link(body(site.wait_mail(email)[0]))


def ids_of(site, email):
    return site.sql("SELECT user_no, declaration_no, state FROM declaration "
                    "WHERE email = '%s'" % email)


def assert_entry_link(page_text, site):
    page = Page(page_text)
    hrefs = [el.attrs.get("href") for el in page.by_tag("a")]
    mount = site.base.split("127.0.0.1:%d" % site.port, 1)[1]
    assert mount + "/entry/" in hrefs, hrefs


def complete(site, email, company=CORP, decl=ONE_STAR):
    b = declare(site, company, decl, email)
    r = b.open_link(link_of(site, email))
    assert r.status_code == 303 and location(r) == "/entry/complete"
    page = b.follow(r).text
    user_no = re.search(r'id="user-no"[^>]*>(\d+)<', page).group(1)
    decl_no = re.search(r'id="declaration-no"[^>]*>(\d+)<', page).group(1)
    return b, user_no, decl_no


def test_second_click_says_already_complete(site):
    email = unique_email()
    b, user_no, decl_no = complete(site, email)
    link = link_of(site, email)
    site.wait_mail(email, 2)
    before = ids_of(site, email)
    assert before == [[user_no, decl_no, "declared"]]
    for browser in (b, Browser(site)):          # the same browser, or another one
        r = browser.open_link(link)
        assert r.status_code == 200, (r.status_code, r.headers.get("Location"))
        assert "すでに完了" in r.text
    assert ids_of(site, email) == before
    time.sleep(1.5)
    assert len(site.mails_to(email)) == 2


@pytest.mark.parametrize("query", [
    "t=" + "A" * 42 + "E",                       # well-formed, never issued
    "t=RANDOM",
    "t=abc",
    "",
    "t=",
    "t=" + "A" * 42 + "B",                       # non-canonical base64url
    "t=" + "A" * 43 + "A",                       # 44 characters
], ids=["well-formed-A", "random", "short", "no-t", "empty", "non-canonical", "too-long"])
def test_unknown_or_malformed_token_is_404(site, query):
    if query == "t=RANDOM":
        query = "t=" + secrets.token_urlsafe(32)
    b = Browser(site)
    r = b.get("/entry/verify" + ("?" + query if query else ""))
    assert r.status_code == 404, (query, r.status_code)
    assert "確認できません" in r.text
    assert_entry_link(r.text, site)


@pytest.mark.parametrize("backend", BACKENDS)
def test_expired_link(new_site, backend):
    site = new_site(backend, "SecActionTokenLifetime 2s")
    email = unique_email()
    b = declare(site, CORP, ONE_STAR, email)
    link = link_of(site, email)
    time.sleep(3)
    r = Browser(site).open_link(link)
    assert r.status_code == 410, (r.status_code, r.headers.get("Location"))
    assert "有効期限" in r.text
    assert_entry_link(r.text, site)
    r = b.open_link(link)                        # the applicant's own browser too
    assert r.status_code == 410
    # no IDs were issued; the retry thread marks it 期限切れ, once, with history
    deadline = time.time() + 10
    while time.time() < deadline:
        rows = site.sql("SELECT state, user_no, declaration_no FROM declaration "
                        "WHERE email = '%s'" % email)
        if rows[0][0] == "expired":
            break
        time.sleep(0.3)
    assert rows == [["expired", "", ""]]
    hist = site.sql("SELECT h.from_state, h.to_state, h.actor FROM declaration_history h "
                    "JOIN declaration d ON d.id = h.declaration_id WHERE d.email = '%s' "
                    "ORDER BY h.id" % email)
    assert hist == [["", "provisional", "applicant"], ["provisional", "expired", "system"]]
    assert int(site.status()["DeclarationsExpired"]) == 1
    assert Browser(site).open_link(link).status_code == 410   # still says expired
    mails = site.mails_to(email)
    assert len(mails) == 1 and "完了" not in subject(mails[0])


def test_received_mail_states_the_validity(site):
    email = unique_email()
    declare(site, CORP, ONE_STAR, email)
    text = body(site.wait_mail(email)[0])
    assert "有効期限" in text
    assert re.search(r"24時間|1日間", text), text     # SecActionTokenLifetime default
    m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{1,2})時(\d{2})分（日本時間）", text)
    assert m, text
    jst = datetime.timezone(datetime.timedelta(hours=9))
    expires = datetime.datetime(*map(int, m.groups()), tzinfo=jst)
    expected = datetime.datetime.now(jst) + datetime.timedelta(hours=24)
    assert abs((expires - expected).total_seconds()) < 180, (expires, expected)


def test_token_is_stored_only_as_its_sha256(site):
    email = unique_email()
    declare(site, SOLE, TWO_STAR, email)
    link = link_of(site, email)
    token = link.split("t=", 1)[1]
    assert len(token) == 43
    rows = site.sql("SELECT * FROM declaration")
    rows += site.sql("SELECT h.* FROM declaration_history h JOIN declaration d "
                     "ON d.id = h.declaration_id")
    for row in rows:
        for cell in row:
            assert token not in cell
    digest = hashlib.sha256(token.encode("ascii")).hexdigest()
    assert site.sql("SELECT token_hash FROM declaration WHERE email = '%s'" % email) == [[digest]]
    assert token not in session_text(site)
    # the delivered mail that carried it is erased from the outbox
    sent = site.sql("SELECT LENGTH(o.message) FROM outbox o JOIN declaration d ON d.id = o.declaration_id "
                    "WHERE d.email = '%s' AND o.sent_at IS NOT NULL" % email)
    assert sent == [["0"]], sent


def test_ids_are_ten_digits_distinct_and_not_sequential(site):
    e1, e2 = unique_email(), unique_email()
    _, u1, d1 = complete(site, e1)
    _, u2, d2 = complete(site, e2, SOLE, TWO_STAR)
    for x in (u1, d1, u2, d2):
        assert re.fullmatch(r"[1-9]\d{9}", x), x
    assert len({u1, d1, u2, d2}) == 4
    assert abs(int(u1) - int(u2)) != 1 and abs(int(d1) - int(d2)) != 1
    assert abs(int(u1) - int(d1)) != 1 and abs(int(u2) - int(d2)) != 1
    assert ids_of(site, e1) == [[u1, d1, "declared"]]
    assert ids_of(site, e2) == [[u2, d2, "declared"]]


def test_opening_the_link_changes_nothing_until_the_button(site):
    """Mail scanners fetch links before people do: GET and HEAD of the link
    only show the button; its POST completes, once."""
    email = unique_email()
    declare(site, CORP, ONE_STAR, email)
    link = link_of(site, email)
    import requests
    assert requests.head(link, timeout=10).status_code == 200
    page = Browser(site).get(link)
    assert page.status_code == 200 and "自己宣言を完了する" in page.text
    assert Browser(site).get(link).status_code == 200
    assert ids_of(site, email) == [["", "", "provisional"]]
    time.sleep(1)
    assert len(site.mails_to(email)) == 1
    # the button's POST needs the page's token
    b = Browser(site)
    b.get(link)
    r = b.post("/entry/verify", {"t": link.split("t=", 1)[1], "complete": "1"}, token="x" * 43)
    assert r.status_code == 403 and ids_of(site, email) == [["", "", "provisional"]]
    r = b.open_link(link)
    assert location(r) == "/entry/complete"
    assert ids_of(site, email)[0][2] == "declared"
