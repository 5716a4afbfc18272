"""Privacy and hardening (PRODUCT.md 2, 7): the ?via= allow-list, escaping,
no personal data in logs or URLs, no-store and a Content-Security-Policy."""
import os
import re
import urllib.parse

import pytest
import requests

from conftest import body, unique_email
from htmlpage import Page
from wizard import (CORP, ONE_STAR, SOLE, TWO_STAR, Browser, agree, declare, fill_company,
                    fill_declaration, location, submit, verify_link)


def via_of(site, email):
    rows = site.sql("SELECT 'v:' || COALESCE(via, '') FROM declaration WHERE email = '%s'" % email)
    return [r[0][2:] for r in rows]


def test_allowed_via_is_recorded(site):
    email = unique_email()
    declare(site, CORP, ONE_STAR, email, via="it-hojo")
    assert via_of(site, email) == ["it-hojo"]


@pytest.mark.parametrize("via", ["evil", "it-hojo2", "IT-HOJO", "it-hojo<x>"])
def test_other_via_is_not_recorded(site, via):
    email = unique_email()
    declare(site, CORP, ONE_STAR, email, via=urllib.parse.quote(via))
    assert via_of(site, email) == [""]


# --- escaping ------------------------------------------------------------------

NASTY = "<script>alert(1)</script>&\"'"
RAW = "<script>alert(1)"


def test_markup_in_values_is_shown_escaped(site):
    b = Browser(site)
    agree(b)
    # a refused POST: the value comes back in its input
    r = b.post("/entry/company", dict(CORP, corp_name=NASTY, city=""))
    assert location(r) == "/entry/company"
    text = b.get("/entry/company").text
    assert RAW not in text
    assert Page(text).value("corp_name") == NASTY
    # accepted: the confirm page shows it as text
    fill_company(b, dict(CORP, corp_name=NASTY))
    email = unique_email()
    fill_declaration(b, dict(ONE_STAR, contact_name=NASTY), email)
    text = b.get("/entry/confirm").text
    assert RAW not in text
    assert "&lt;script&gt;" in text
    assert text.count(NASTY) == 0
    dds = [el.text for el in Page(text).by_tag("dd")]
    assert NASTY in dds
    # back on the form: in the value attribute, escaped
    text = b.get("/entry/company").text
    assert RAW not in text and Page(text).value("corp_name") == NASTY
    text = b.get("/entry/declaration").text
    assert RAW not in text and Page(text).value("contact_name") == NASTY


# --- no personal data in logs or URLs -----------------------------------------------

def test_no_personal_data_in_logs_or_locations(site):
    email = unique_email()
    phone = "03-9876-5432"
    password = "Pr1vate#" + os.urandom(4).hex()
    company = dict(CORP, phone=phone, street="9-87-65", password=password, password2=password)
    b = Browser(site)
    responses = []
    b.s.hooks["response"].append(lambda r, *a, **k: responses.append(r))
    agree(b)
    b.post("/entry/company", dict(company, city=""))           # refused once
    fill_company(b, company)
    b.post("/entry/declaration", dict(ONE_STAR, email=email, email2="x" + email))  # refused
    fill_declaration(b, ONE_STAR, email)
    b.get("/entry/confirm")
    submit(b)
    b.get("/entry/accepted")
    link = verify_link(body(site.wait_mail(email)[0]))
    token = link.split("t=", 1)[1]
    b.follow(b.open_link(link))
    b.open_link(link)
    site.wait_mail(email, 2)

    personal = [email, urllib.parse.quote(email), urllib.parse.quote_plus(email), phone,
                phone.replace("-", ""), password, urllib.parse.quote(password),
                urllib.parse.quote_plus(password), company["street"]]
    locations = [r.headers["Location"] for r in responses if "Location" in r.headers]
    assert len(locations) >= 6
    for loc in locations:
        u = urllib.parse.urlsplit(loc)
        assert loc.startswith("/security/"), loc      # a path: never the Host header
        assert not u.query and not u.fragment, loc
        assert re.fullmatch(r"[A-Za-z0-9/_.-]*", u.path), loc
        for s in personal + [token]:
            assert s not in loc, loc
    for r in responses:                     # no personal data in any URL requested
        for s in personal:
            assert s not in r.request.url, r.request.url
    logs = {}
    for name in ("access.log", "error.log"):
        path = os.path.join(site.run, name)
        logs[name] = open(path, encoding="utf-8", errors="replace").read() \
            if os.path.exists(path) else ""
    assert logs["access.log"], "no access log written"
    for name, text in logs.items():
        for s in personal + [token]:
            assert s not in text, (name, s)


# --- headers ---------------------------------------------------------------------------

def check_page_headers(r):
    assert r.headers.get("Cache-Control", "").replace(" ", "").split(",").count("no-store") == 1, \
        (r.url, r.status_code, r.headers.get("Cache-Control"))
    if r.headers.get("Content-Type", "").startswith("text/html"):
        csp = r.headers.get("Content-Security-Policy", "")
        assert "default-src" in csp or "script-src" in csp, (r.url, csp)
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, csp


def test_pages_are_no_store_with_a_csp(site):
    b = Browser(site)
    seen = []
    b.s.hooks["response"].append(lambda r, *a, **k: seen.append(r))
    email = unique_email()
    b.get("/")
    b.get("/privacy")
    b.get("/no-such-page")
    b.get("/entry/company")                               # 303
    b.get("/entry/verify?t=abc")                          # 404
    b.s.post(site.url("/entry/"), data={"agree": "1"}, allow_redirects=False)   # 403
    agree(b)
    fill_company(b, SOLE)
    b.get("/entry/declaration")
    fill_declaration(b, TWO_STAR, email)
    b.get("/entry/confirm")
    submit(b)
    b.get("/entry/accepted")
    link = verify_link(body(site.wait_mail(email)[0]))
    b.follow(b.open_link(link))
    b.open_link(link)
    statuses = {r.status_code for r in seen}
    assert {200, 303, 403, 404} <= statuses, statuses
    html = [r for r in seen if r.headers.get("Content-Type", "").startswith("text/html")]
    assert len(html) >= 10
    for r in seen:
        check_page_headers(r)
    status = requests.get("http://127.0.0.1:%d/secaction-status" % site.port, timeout=5)
    check_page_headers(status)


def test_redirects_never_carry_the_request_host(site):
    """A forged Host header does not make a redirect point elsewhere."""
    r = requests.get(site.url("/entry/company"), headers={"Host": "evil.example"},
                     allow_redirects=False, timeout=10)
    assert r.status_code == 303
    assert r.headers["Location"] == "/security/entry/"


def test_trace_is_off(site):
    r = requests.request("TRACE", site.url("/"), timeout=10)
    assert r.status_code == 405
