"""The secretariat's console: access only through httpd's authentication,
the queue, acceptance (also in bulk, and twice at once), revocation,
lifting a lock, resending mails, search, CSV export and the audit log."""
import concurrent.futures
import csv
import io
import re
import time

import pytest
import requests

from conftest import BACKENDS, Site, body, check_error_log, subject
from htmlpage import Page
from wizard import Browser, csrf, declare, declared, location, login, CORP, ONE_STAR


class NoAuthSite(Site):
    """An administrator who forgot the authentication of /admin."""

    def write_conf(self):
        super().write_conf()
        text = open(self.conf, encoding="utf-8").read()
        text = re.sub(r'<Location "/security/admin">.*?</Location>', "", text, flags=re.S)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)


def admin_url(site, path):
    return site.url("/admin" + path)


def admin_post(site, a, page_path, action, data):
    """POSTs a console form with the page's token; returns the 303."""
    page = a.get(admin_url(site, page_path))
    assert page.status_code == 200, (page_path, page.status_code)
    data = dict(data, csrf=csrf(page.text))
    r = a.post(admin_url(site, action), data=data, allow_redirects=False)
    assert r.status_code in (200, 303), (action, r.status_code, r.text[:300])
    return r


def decl_id(site, user_no):
    return site.sql("SELECT id FROM declaration WHERE user_no = '%s'" % user_no)[0][0]


def audit(site, action):
    return site.sql("SELECT actor, action, declaration_id, reason FROM audit_log "
                    "WHERE action = '%s' ORDER BY id" % action)


def test_console_needs_httpds_authentication(site):
    assert requests.get(admin_url(site, "/")).status_code == 401
    bad = requests.get(admin_url(site, "/"), auth=(site.ADMIN_USER, "wrong"))
    assert bad.status_code == 401
    r = site.admin().get(admin_url(site, "/"))
    assert r.status_code == 200 and "受理待ち一覧" in r.text
    assert r.headers["Cache-Control"] == "no-store"
    assert "noindex" in r.headers["X-Robots-Tag"]
    assert site.ADMIN_USER in r.text


def test_forgotten_require_never_opens_the_console():
    s = NoAuthSite(BACKENDS[0]).start()
    try:
        for path in ("/", "/search", "/audit", "/declarations/1", "/search.csv"):
            assert requests.get(admin_url(s, path)).status_code == 403, path
        assert requests.post(admin_url(s, "/accept"), data={"ids": "1"}).status_code == 403
        assert "no REMOTE_USER" in s.error_log()
    finally:
        s.stop()


def test_accept_sends_mail_3_and_opens_the_logo(site):
    email, user_no, decl_no, pw = declared(site)
    a = site.admin()
    queue = a.get(admin_url(site, "/")).text
    assert decl_no in queue
    ident = decl_id(site, user_no)
    r = admin_post(site, a, "/declarations/%s" % ident, "/declarations/%s/accept" % ident, {})
    assert r.status_code == 303
    assert "受理しました" in a.get(site.url(location(r))).text
    assert site.sql("SELECT state FROM declaration WHERE id = %s" % ident) == [["accepted"]]
    msg = site.wait_mail(email, 3)[2]
    assert subject(msg) == "【SECURITY ACTION】申込受理のご連絡"
    text = body(msg)
    assert "一つ星を宣言しました" in text and "認定を受けました" in text   # the wording rule
    assert audit(site, "accept")[-1][:3] == [site.ADMIN_USER, "accept", ident]
    assert decl_no not in a.get(admin_url(site, "/")).text
    # the business can now get its logo
    b = login(site, user_no, pw)
    b.get("/mypage/logo/procedure")
    b.get("/mypage/logo/guideline")
    assert b.get("/mypage/logo/download/svg").status_code == 200


def test_double_accept_accepts_once_and_sends_one_mail(site):
    email, user_no, decl_no, pw = declared(site)
    ident = decl_id(site, user_no)
    staff = [site.admin(), site.admin()]
    tokens = [csrf(s.get(admin_url(site, "/declarations/%s" % ident)).text) for s in staff]

    def accept(i):
        return staff[i].post(admin_url(site, "/declarations/%s/accept" % ident),
                             data={"csrf": tokens[i]}, allow_redirects=False).status_code
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        assert list(pool.map(accept, [0, 1])) == [303, 303]
    time.sleep(2)
    accepted = [m for m in site.mails_to(email) if "申込受理" in subject(m)]
    assert len(accepted) == 1
    assert len([r for r in audit(site, "accept") if r[2] == ident]) == 1


def test_bulk_accept(site):
    made = [declared(site) for _ in range(3)]
    a = site.admin()
    ids = [decl_id(site, m[1]) for m in made]
    r = admin_post(site, a, "/", "/accept", {"ids": ids[:2], "selected": "1"})
    assert location(r).startswith("/admin/")
    states = dict(site.sql("SELECT id, state FROM declaration WHERE id IN (%s)" % ",".join(ids)))
    assert [states[i] for i in ids] == ["accepted", "accepted", "declared"]
    # the whole page of the queue, with its filter
    r = admin_post(site, a, "/?level=1", "/accept", {"level": "1", "page": "1"})
    assert site.sql("SELECT COUNT(*) FROM declaration WHERE state = 'declared'") == [["0"]]
    for m in made:
        site.wait_mail(m[0], 3)


def test_revoke_needs_a_reason_shown_to_the_business(site):
    email, user_no, decl_no, pw = declared(site)
    ident = decl_id(site, user_no)
    a = site.admin()
    r = admin_post(site, a, "/declarations/%s" % ident, "/declarations/%s/revoke" % ident,
                   {"reason": ""})
    assert r.status_code == 200 and Page(r.text).by_id("e-reason")
    assert site.sql("SELECT state FROM declaration WHERE id = %s" % ident) == [["declared"]]
    reason = "使用規約第5条に反するロゴマークの使用が確認されたため"
    r = admin_post(site, a, "/declarations/%s" % ident, "/declarations/%s/revoke" % ident,
                   {"reason": reason})
    assert r.status_code == 303
    assert site.sql("SELECT state, revoke_reason FROM declaration WHERE id = %s" % ident) == \
        [["revoked", reason]]
    msg = site.wait_mail(email, 3)[2]
    assert subject(msg) == "【SECURITY ACTION】自己宣言取消のお知らせ" and reason in body(msg)
    assert audit(site, "revoke")[-1][3] == reason
    page = login(site, user_no, pw).get("/mypage").text
    assert reason in page and "取消" in page


def test_lift_a_login_lock(new_site):
    site = new_site(BACKENDS[0], "SecActionLoginSlowAfter 50\nSecActionLoginLock 2 1h\n")
    email, user_no, decl_no, pw = declared(site)
    b = Browser(site)
    for _ in range(2):
        b.post("/login", {"user_no": user_no, "password": "Wrong-pass-1"})
    assert Browser(site).post("/login", {"user_no": user_no, "password": pw}).status_code == 429
    ident = decl_id(site, user_no)
    a = site.admin()
    page = a.get(admin_url(site, "/declarations/%s" % ident)).text
    assert "ログイン制限を解除する" in page
    admin_post(site, a, "/declarations/%s" % ident, "/declarations/%s/unlock" % ident, {})
    login(site, user_no, pw)
    assert audit(site, "unlock")[-1][2] == ident


def test_resend_a_fresh_confirmation_link_and_the_completion_mail(new_site):
    site = new_site(BACKENDS[0], "SecActionTokenLifetime 1s\n")
    email = "lost.link@example.co.jp"
    declare(site, CORP, ONE_STAR, email)
    old = re.search(r"(http://\S+/entry/verify\?t=\S+)", body(site.wait_mail(email)[0])).group(1)
    time.sleep(1.5)
    ident = site.sql("SELECT id FROM declaration WHERE email = '%s'" % email)[0][0]
    a = site.admin()
    admin_post(site, a, "/declarations/%s" % ident, "/declarations/%s/resend-received" % ident, {})
    new = re.search(r"(http://\S+/entry/verify\?t=\S+)", body(site.wait_mail(email, 2)[1])).group(1)
    assert new != old
    assert Browser(site).open_link(old).status_code == 404      # the old link is replaced
    assert location(Browser(site).open_link(new)) == "/entry/complete"
    site.wait_mail(email, 3)
    admin_post(site, a, "/declarations/%s" % ident, "/declarations/%s/resend-completed" % ident, {})
    again = site.wait_mail(email, 4)[3]
    assert "自己宣言完了のお知らせ" in subject(again)


def test_detail_shows_values_history_and_mail_delivery(site):
    email, user_no, decl_no, pw = declared(site)
    ident = decl_id(site, user_no)
    text = Page(site.admin().get(admin_url(site, "/declarations/%s" % ident)).text).text
    for want in (decl_no, user_no, email, CORP["phone"], "送信済み", "受付確認", "自己宣言完了"):
        assert want in text, want
    assert site.admin().get(admin_url(site, "/declarations/999999")).status_code == 404
    assert site.admin().get(admin_url(site, "/declarations/x1")).status_code == 404


def test_search_and_csv_export(site):
    email, user_no, decl_no, pw = declared(site)
    a = site.admin()
    for query in ("declaration_no=" + decl_no, "user_no=" + user_no, "email=" + email.upper(),
                  "name=テスト情報", "name=テストジョウホウ", "state=declared&level=1&pref=13"):
        page = a.get(admin_url(site, "/search?" + query)).text
        assert decl_no in page, query
    assert decl_no not in a.get(admin_url(site, "/search?name=存在しない名前")).text
    r = a.get(admin_url(site, "/search.csv?declaration_no=" + decl_no))
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=UTF-8"
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "内部ID" and len(rows) == 2
    assert decl_no in rows[1] and email in rows[1]
    assert audit(site, "export")[-1][0] == site.ADMIN_USER


def test_csv_neutralises_formulas(site):
    email = "formula@example.co.jp"
    declare(site, dict(CORP, corp_name="=1+2株式会社", street="+81-3-1234", building="@SUM(A1)"),
            ONE_STAR, email)
    r = site.admin().get(admin_url(site, "/search.csv?email=" + email))
    row = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1]
    assert "'=1+2株式会社" in row and "'+81-3-1234" in row and "'@SUM(A1)" in row
    assert not [c for c in row if c[:1] in ("=", "+", "@")]


def test_audit_log_is_append_only_and_viewable(site):
    email, user_no, decl_no, pw = declared(site)
    ident = decl_id(site, user_no)
    a = site.admin()
    admin_post(site, a, "/declarations/%s" % ident, "/declarations/%s/accept" % ident, {})
    page = a.get(admin_url(site, "/audit")).text
    assert site.ADMIN_USER in page and decl_no in page
    exported = a.get(admin_url(site, "/audit.csv")).content.decode("utf-8-sig")
    assert "accept" in exported
    import subprocess
    with pytest.raises(subprocess.CalledProcessError):
        site.sql("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(subprocess.CalledProcessError):
        site.sql("DELETE FROM audit_log")


def test_every_console_post_needs_its_token(site):
    email, user_no, decl_no, pw = declared(site)
    ident = decl_id(site, user_no)
    a = site.admin()
    a.get(admin_url(site, "/"))
    before = len(audit(site, "accept"))
    for action in ("/accept", "/declarations/%s/accept" % ident, "/declarations/%s/revoke" % ident,
                   "/declarations/%s/unlock" % ident, "/declarations/%s/resend-completed" % ident):
        r = a.post(admin_url(site, action), data={"ids": ident, "selected": "1", "reason": "x",
                                                   "csrf": "y" * 43}, allow_redirects=False)
        assert r.status_code == 403, action
    assert site.sql("SELECT state FROM declaration WHERE id = %s" % ident) == [["declared"]]
    assert len(audit(site, "accept")) == before
