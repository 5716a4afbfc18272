"""How pages and drafts travel: a page in one piece with its length, the
draft stored once-encoded and compact (drafts stored urlencoded before
still read), and many applicants at once on one SQLite file."""
import base64
import concurrent.futures
import urllib.parse

from conftest import body, unique_email
from htmlpage import Page
from wizard import (CORP, ONE_STAR, Browser, agree, declare, fill_company, location,
                    verify_link)
from test_session import FULL_CORP, check_company_values


def session_row(site, b):
    key = b.s.cookies.get("secaction_session")
    assert key, "no draft session cookie"
    rows = site.sql("SELECT value FROM session WHERE key = '%s'" % key)
    assert len(rows) == 1
    return key, rows[0][0]


def unpack(value):
    """The module's stored table: '*' and base64url of NUL-ended keys and values."""
    assert value.startswith("*"), value[:40]
    raw = base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4)).decode("utf-8")
    parts = raw.split("\0")
    assert parts[-1] == ""
    return list(zip(parts[0:-1:2], parts[1:-1:2]))


def test_pages_go_out_in_one_piece_with_their_length(site):
    b = Browser(site)
    for path in ("/", "/privacy", "/entry/"):
        r = b.get(path)
        assert r.status_code == 200
        assert "chunked" not in r.headers.get("Transfer-Encoding", "")
        assert int(r.headers["Content-Length"]) == len(r.content)
    agree(b)
    r = b.get("/entry/company")
    assert r.status_code == 200 and "chunked" not in r.headers.get("Transfer-Encoding", "")
    assert int(r.headers["Content-Length"]) == len(r.content)
    # a HEAD still answers without a body
    r = b.s.head(site.url("/entry/company"), allow_redirects=False)
    assert r.status_code == 200 and not r.content


def test_the_draft_is_stored_once_encoded_and_compact(site):
    b = Browser(site)
    agree(b)
    fill_company(b, FULL_CORP)
    _, value = session_row(site, b)
    entries = dict(urllib.parse.parse_qsl(value, keep_blank_values=True))
    packed = entries["secaction.company"]
    company = dict(unpack(packed))
    for f in ("corp_name", "corp_kana", "city", "building", "member_name", "phone"):
        assert company[f] == FULL_CORP[f], f
    assert "password" not in company and "password2" not in company
    # base64url passes mod_session's urlencoding unchanged: stored at 4/3 of
    # the UTF-8 bytes (urlencoded twice it was 3 to 5 times)
    raw = sum(len(k.encode()) + len(v.encode()) + 2 for k, v in unpack(packed))
    assert "secaction.company=" + packed in value
    assert len(packed) <= raw * 4 / 3 + 2
    # the Japanese text takes 4 bytes a character in the row, not 9 or 15
    assert "%25E6" not in value and "%E6" not in value


def test_a_draft_stored_urlencoded_before_still_reads(site):
    b = Browser(site)
    agree(b)
    fill_company(b, FULL_CORP)
    key, value = session_row(site, b)
    entries = urllib.parse.parse_qsl(value, keep_blank_values=True)
    legacy = []
    for k, v in entries:
        if v.startswith("*"):   # the form the module wrote before: urlencoded
            v = "&".join("%s=%s" % (urllib.parse.quote(a, safe="-_.~"),
                                    urllib.parse.quote(c, safe="-_.~")) for a, c in unpack(v))
        legacy.append((k, v))
    old = "&".join("%s=%s" % (urllib.parse.quote_plus(k, safe=".-*_"),
                              urllib.parse.quote_plus(v, safe=".-*_")) for k, v in legacy)
    assert "%2525" in old or "%25E6" in old
    site.sql("UPDATE session SET value = '%s' WHERE key = '%s'" % (old, key))
    got = b.get("/entry/company")
    assert got.status_code == 200
    check_company_values(Page(got.text), FULL_CORP)
    # and the run goes on from there to 宣言完了
    r = b.post("/entry/company", dict(FULL_CORP, password="", password2=""))
    assert location(r) == "/entry/declaration"


def one_applicant(site, n):
    email = unique_email()
    b = declare(site, CORP, ONE_STAR, email)
    link = verify_link(body(site.wait_mail(email, timeout=60)[0]))
    assert location(b.open_link(link)) == "/entry/complete"
    assert b.get("/entry/complete").status_code == 200
    return n


def test_many_applicants_at_once(site):
    """Every request of whole declarations by as many applicants at once as
    a child has threads less a few (tests/genconf.py: 32 on SQLite, 16 on
    PostgreSQL; beyond that mpm_event closes idle keep-alive connections,
    which a browser, unlike this client, sends again) succeeds; on SQLite
    no 'database is locked' (the error log is checked after the test)."""
    n = 24 if site.backend == "sqlite3" else 12
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        done = list(ex.map(lambda k: one_applicant(site, k), range(n)))
    assert len(done) == n
    assert "database is locked" not in site.error_log()
