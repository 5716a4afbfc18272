"""The secretariat's console: access only through httpd's authentication,
the queue, acceptance (also in bulk, and twice at once), revocation,
lifting a lock, resending mails, search, CSV export and the audit log."""
import concurrent.futures
import csv
import glob
import io
import os
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
    assert [r[2] for r in audit(site, "resend")] == [ident, ident]


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
    import datetime
    today = (datetime.datetime.utcnow() + datetime.timedelta(hours=9)).strftime("%Y-%m-%d")
    for query in ("declaration_no=" + decl_no, "user_no=" + user_no, "email=" + email.upper(),
                  "name=テスト情報", "name=テストジョウホウ", "state=declared&level=1&pref=13",
                  "corp_no=" + CORP["corp_no"], "from=%s&to=%s" % (today, today)):
        page = a.get(admin_url(site, "/search?" + query)).text
        assert decl_no in page, query
    assert decl_no not in a.get(admin_url(site, "/search?name=存在しない名前")).text
    assert decl_no not in a.get(admin_url(site, "/search?to=2020-01-01")).text
    assert decl_no not in a.get(admin_url(site, "/search?pref=27")).text
    # by 自己宣言ID or 利用者番号 (statements of their own), the other filters still apply
    for query, found in (("declaration_no=%s&state=declared" % decl_no, "1件"),
                         ("declaration_no=%s&state=stopped" % decl_no, "0件"),
                         ("user_no=%s&pref=13" % user_no, "1件"), ("user_no=%s&pref=27" % user_no, "0件"),
                         ("declaration_no=%s&user_no=%s" % (decl_no, user_no), "1件"),
                         ("declaration_no=%s&user_no=1000000000" % decl_no, "0件")):
        page = a.get(admin_url(site, "/search?" + query)).text
        assert 'class="result-count">%s<' % found in page, query
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


# --- the CSV export's memory ----------------------------------------------------

BULK_ROWS = 200000
# every NOT NULL column of declaration (sql/*/001_init.sql, 002, 003), with
# distinct submission_key, user_no and declaration_no; about 350 bytes of CSV
# a row, so the whole export is some 70 MB
BULK_COLUMNS = ("submission_key, state, level, kind, corp_no, corp_name, corp_kana, url, postal,"
                " pref, city, street, building, phone, jsic_major, jsic_middle, member, ipa_info,"
                " purpose, contact_name, email, password_hash, user_no, declaration_no,"
                " created_at, declared_at, accepted_at, updated_at")
BULK_VALUES = ("'bulk-' || i, 'accepted', 1 + i % 2, 'corp', '7000012050002',"
               " '株式会社メモリ計測商事' || i, 'めもりけいそくしょうじ', 'https://www.example.co.jp/',"
               " '1130021', '13', '文京区本駒込', '2-28-' || i, 'テストビル' || (i % 50) || '階',"
               " '0312345678', 'G', '39', 'no', 'yes', '1', '山田 花子',"
               " 'bulk.' || i || '@example.co.jp', '$2b$04$notarealhashnotarealhashnotarealhashnotarealh',"
               " CAST(1000000000 + i AS TEXT), CAST(5000000000 + i AS TEXT),"
               " 1700000000 + i, 1700000000 + i, 1700000100 + i, 1700000100 + i")


def bulk_insert(site, n):
    """n accepted declarations in one statement (one transaction)."""
    if site.backend == "sqlite3":
        site.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
                 " INSERT INTO declaration (%s) SELECT %s FROM n" % (n, BULK_COLUMNS, BULK_VALUES))
    else:
        site.sql("INSERT INTO declaration (%s) SELECT %s FROM generate_series(1, %d) AS n(i)"
                 % (BULK_COLUMNS, BULK_VALUES, n))
        # what autovacuum does a little later: without statistics the planner
        # takes state = 'accepted' for rare, reads all 200,000 rows through
        # declaration_state and sorts them for every chunk (~0.3 s each)
        # instead of walking the primary key backwards (~1 ms)
        site.sql("ANALYZE declaration")


def httpd_children(site):
    """The pids of the httpd parent's child processes (the MPM's children)."""
    with open(os.path.join(site.run, "httpd.pid")) as f:
        parent = f.read().strip()
    exe = os.readlink("/proc/%s/exe" % parent)
    pids = set()
    for path in glob.glob("/proc/%s/task/*/children" % parent):
        try:
            with open(path) as f:
                pids.update(f.read().split())
        except OSError:
            pass
    out = []
    for pid in pids:
        try:
            if os.readlink("/proc/%s/exe" % pid) == exe:
                out.append(pid)
        except OSError:
            pass              # gone meanwhile
    return sorted(out)


def vm_rss_kb(pid):
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_rss_kb(site):
    """The largest VmRSS among the children (the one serving the export)."""
    rss = {pid: vm_rss_kb(pid) for pid in httpd_children(site)}
    assert rss, "no httpd child process found"
    return max(rss.values()), rss


@pytest.mark.parametrize("backend", BACKENDS)
def test_csv_export_memory_stays_flat(new_site, backend):
    """The whole export of 200,000 declarations streams: the child's memory
    stays near what a small export leaves, however many rows there are."""
    site = new_site(backend)
    started = time.time()
    bulk_insert(site, BULK_ROWS)
    inserted = time.time()
    assert site.sql("SELECT COUNT(*) FROM declaration WHERE state = 'accepted'") == \
        [[str(BULK_ROWS)]]
    a = site.admin()              # one keep-alive connection: one child serves both exports
    warm = a.get(admin_url(site, "/search.csv?state=accepted&user_no=1000000001"))
    assert warm.status_code == 200
    assert len(warm.content.decode("utf-8-sig").splitlines()) == 2
    base, base_all = children_rss_kb(site)
    samples = []
    lines = 0
    first = None
    tail = b""
    with a.get(admin_url(site, "/search.csv?state=accepted"), stream=True, timeout=120) as r:
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=UTF-8"
        assert "Content-Length" not in r.headers        # streamed, not built first
        next_sample = 20000
        for chunk in r.iter_content(chunk_size=65536):
            if first is None:
                first = chunk
            lines += chunk.count(b"\n")
            tail = chunk[-2:] if chunk else tail
            if lines >= next_sample:
                samples.append((lines, children_rss_kb(site)[0]))
                next_sample += 20000
    samples.append(("end", children_rss_kb(site)[0]))
    streamed = time.time()
    assert first.startswith(b"\xef\xbb\xbf"), first[:20]
    head = next(csv.reader(io.StringIO(first[3:].split(b"\r\n", 1)[0].decode("utf-8"))))
    assert head[:2] == ["内部ID", "状態"], head
    assert tail == b"\r\n"
    peak = max(kb for _, kb in samples)
    report = ("%s: %d rows inserted in %.1fs, exported in %.1fs (%d lines); child VmRSS after"
              " warm-up %.1f MB (children %s), peak %.1f MB, growth %.1f MB; samples (lines: MB) %s"
              % (backend, BULK_ROWS, inserted - started, streamed - inserted, lines, base / 1024.0,
                 base_all, peak / 1024.0, (peak - base) / 1024.0,
                 ", ".join("%s: %.1f" % (n, kb / 1024.0) for n, kb in samples)))
    print("\n" + report)
    assert lines == BULK_ROWS + 1, report
    # an ASan build holds up to its quarantine (16 MB, see httpd_env) of freed memory
    allowance = 30 * 1024 + (16 * 1024 if os.environ.get("SA_SANITIZE") == "1" else 0)
    assert peak - base < allowance, report
