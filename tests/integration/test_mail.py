"""Mail (PRODUCT.md 2.3): subjects, headers, encoding, the link, header
injection, and delivery that survives a sendmail program that fails."""
import email
import email.policy
import glob
import os
import re
import time

import pytest

from conftest import BACKENDS, body, subject, unique_email
from htmlpage import Page
from wizard import (CORP, ONE_STAR, SOLE, TWO_STAR, Browser, agree, declare, fill_company,
                    fill_declaration, location,
                    submit, verify_link)

SENDER = "security-action@localhost"


def raw_mails(site):
    """(raw header block, parsed message) of every mail file."""
    out = []
    for path in sorted(glob.glob(os.path.join(site.maildir, "*.eml"))):
        data = open(path, "rb").read()
        head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
        out.append((head.decode("ascii", "replace"),
                    email.message_from_bytes(data, policy=email.policy.default)))
    return out


def raw_for(site, addr):
    return [(h, m) for h, m in raw_mails(site) if addr in str(m["To"])]


def check_headers(raw_head, msg, addr):
    assert msg["From"] is not None and msg["From"].addresses[0].addr_spec == SENDER, msg["From"]
    assert [a.addr_spec for a in msg["To"].addresses] == [addr]
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Date"] is not None and msg["Message-ID"] is not None
    m = re.search(r"^Subject:[ \t]*(.*)$", raw_head, re.M | re.I)
    assert m and m.group(1).startswith("=?UTF-8?B?"), raw_head
    assert all(ord(c) < 128 for c in raw_head), "raw 8-bit header"


@pytest.mark.parametrize("company,decl,level", [(CORP, ONE_STAR, "一つ星"),
                                                (SOLE, TWO_STAR, "二つ星")],
                         ids=["one-star", "two-star"])
def test_both_mails(site, company, decl, level):
    addr = unique_email()
    b = declare(site, company, decl, addr)
    site.wait_mail(addr)
    (head, msg), = raw_for(site, addr)
    assert subject(msg) == "【SECURITY ACTION】%s：自己宣言受付確認のお知らせ" % level
    check_headers(head, msg, addr)
    link = verify_link(body(msg))
    assert link.startswith(site.base + "/entry/verify?t="), (link, site.base)
    r = b.open_link(link)
    assert location(r) == "/entry/complete"
    site.wait_mail(addr, 2)
    (h1, m1), (h2, m2) = raw_for(site, addr)
    assert subject(m2) == "【SECURITY ACTION】%s：自己宣言完了のお知らせ" % level
    check_headers(h2, m2, addr)
    text = body(m2)
    page = b.get("/entry/complete").text
    user_no = re.search(r'id="user-no"[^>]*>(\d{10})<', page).group(1)
    assert user_no in text
    for line in text.splitlines():
        for url in re.findall(r"https?://\S+", line):
            assert url.startswith(site.base), url


INJECT = "山田 花子\r\nBcc: evil@example.com"


def check_no_injection(site):
    for head, msg in raw_mails(site):
        for line in head.splitlines():
            assert not line.lower().startswith("bcc:"), head
        assert msg["Bcc"] is None
        assert "evil@example.com" not in str(msg["To"]) + str(msg["Cc"] or "")


@pytest.mark.parametrize("where", ["contact_name", "contact_name-lf", "corp_name"])
def test_header_injection_is_rejected_or_neutralised(site, where):
    addr = unique_email()
    b = Browser(site)
    agree(b)
    company, decl = dict(CORP), dict(ONE_STAR, email=addr, email2=addr)
    if where == "corp_name":
        company["corp_name"] = "株式会社テスト\r\nBcc: evil@example.com"
    elif where == "contact_name-lf":
        decl["contact_name"] = "山田 花子\nBcc: evil@example.com"
    else:
        decl["contact_name"] = INJECT
    r = b.post("/entry/company", company)
    assert r.status_code == 303
    rejected = location(r) == "/entry/company"
    if not rejected:
        r = b.post("/entry/declaration", decl)
        assert r.status_code == 303
        rejected = location(r) == "/entry/declaration"
    if rejected:
        field = "corp_name" if where == "corp_name" else "contact_name"
        page = Page(b.get(location(r)).text)
        assert "#f-" + field in [h for h, _ in page.error_links()]
        assert site.sql("SELECT id FROM declaration WHERE email = '%s'" % addr) == []
    else:
        submit(b)
        msg = site.wait_mail(addr)[0]
        b.open_link(verify_link(body(msg)))
        site.wait_mail(addr, 2)
    time.sleep(0.5)
    check_no_injection(site)
    assert not glob.glob(os.path.join(site.maildir, "*evil*"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_sendmail_failing_then_recovering(new_site, backend):
    site = new_site(backend)
    site.set_mail_failing(True)
    addr = unique_email()
    b = declare(site, CORP, ONE_STAR, addr)
    page = b.get("/entry/accepted")
    assert page.status_code == 200 and addr in page.text
    assert site.sql("SELECT state FROM declaration WHERE email = '%s'" % addr) == \
        [["provisional"]]
    deadline = time.time() + 5
    while True:
        st = site.status()
        if st["OutboxDepth"] == "1" and st["OutboxFailing"] == "1":
            break
        assert time.time() < deadline, st
        time.sleep(0.2)
    assert int(st["OutboxOldestAge"]) >= 0
    assert site.mails() == []
    site.set_mail_failing(False)
    # no request to the site from here on: the retry thread delivers it
    got = site.wait_mail(addr, 1, timeout=15)
    assert subject(got[0]) == "【SECURITY ACTION】一つ星：自己宣言受付確認のお知らせ"
    deadline = time.time() + 5
    while site.status()["OutboxDepth"] != "0":
        assert time.time() < deadline, site.status()
        time.sleep(0.2)
    st = site.status()
    assert st["OutboxFailing"] == "0" and st["OutboxOldestAge"] == "0", st
    assert len(site.mails_to(addr)) == 1
    log = site.error_log()
    assert re.search(r"sendmail.*(not accepted|fail|refus|exit status)", log, re.I), log[-2000:]
    assert addr not in log
    assert addr.split("@")[0] not in log


def test_mail_links_never_follow_the_host_header(site):
    """Someone sending the wizard's requests with a forged Host must not be
    able to point the victim's verification link at another server."""
    email = unique_email()
    b = Browser(site)
    b.s.headers["Host"] = "evil.example"
    agree(b)
    fill_company(b, CORP)
    fill_declaration(b, ONE_STAR, email)
    submit(b)
    link = verify_link(body(site.wait_mail(email)[0]))
    assert link.startswith(site.base + "/entry/verify?t="), link
    assert "evil.example" not in link


def test_one_address_cannot_be_flooded_with_confirmation_mails(site):
    email = unique_email()
    for _ in range(3):
        declare(site, CORP, ONE_STAR, email)
    site.wait_mail(email, 3)
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    fill_declaration(b, ONE_STAR, email)
    r = b.post("/entry/confirm", {"submit": "1"})
    assert r.status_code == 429
    assert "入力した内容は保存されています" in r.text
    assert len(site.sql("SELECT id FROM declaration WHERE email = '%s'" % email)) == 3
    time.sleep(1)
    assert len(site.mails_to(email)) == 3
    assert b.get("/entry/confirm").status_code == 200      # the draft is still there


def test_a_tag_or_upper_case_is_the_same_mailbox(site):
    """The per-address limit counts the mailbox, not the spelling."""
    local = "hanako.%s" % unique_email().split("@")[0].split(".")[1]
    spellings = ["%s@example.co.jp" % local, "%s+a@example.co.jp" % local,
                 "%s@EXAMPLE.co.jp" % local.upper()]
    for email in spellings:
        declare(site, CORP, ONE_STAR, email)
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    fill_declaration(b, ONE_STAR, "%s+other@example.co.jp" % local)
    r = b.post("/entry/confirm", {"submit": "1"})
    assert r.status_code == 429


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_client_address_cannot_submit_without_end(new_site, backend):
    site = new_site(backend, "SecActionClientLimit 2\n")
    for n in range(2):
        declare(site, CORP, ONE_STAR, "client%d.%s" % (n, unique_email()))
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    fill_declaration(b, ONE_STAR, unique_email())
    r = b.post("/entry/confirm", {"submit": "1"})
    assert r.status_code == 429 and "接続元" in r.text
    assert b.get("/entry/confirm").status_code == 200      # the draft is kept
    # only a keyed hash of the address is stored, never the address
    keys = site.sql("SELECT DISTINCT client_key FROM declaration")
    assert len(keys) == 1 and len(keys[0][0]) == 64 and "127.0.0.1" not in keys[0][0]
