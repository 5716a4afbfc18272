"""From TOP to 宣言完了, as an applicant does it, reading the mail files."""
import re

from conftest import body, subject, unique_email
from wizard import CORP, ONE_STAR, SOLE, TWO_STAR, Browser, declare, location, verify_link


def complete_by_link(site, b, email, level_name):
    mails = site.wait_mail(email)
    assert subject(mails[0]) == "【SECURITY ACTION】%s：自己宣言受付確認のお知らせ" % level_name
    link = verify_link(body(mails[0]))
    r = b.open_link(link)
    assert location(r) == "/entry/complete"
    page = b.follow(r).text
    user_no = re.search(r'id="user-no"[^>]*>(\d{10})<', page).group(1)
    decl_no = re.search(r'id="declaration-no"[^>]*>(\d{10})<', page).group(1)
    done = site.wait_mail(email, 2)[1]
    assert subject(done) == "【SECURITY ACTION】%s：自己宣言完了のお知らせ" % level_name
    text = body(done)
    assert "利用者番号：%s" % user_no in text
    assert "自己宣言ID：%s" % decl_no in text
    return link, user_no, decl_no


def test_corporation_one_star_from_top_to_complete(site):
    email = unique_email()
    b = Browser(site)
    top = b.get("/").text
    assert "自己宣言する" in top and "自己宣言状況確認（ログイン）" in top
    b = declare(site, CORP, ONE_STAR, email)
    page = b.get("/entry/accepted").text
    assert "【SECURITY ACTION】一つ星：自己宣言受付確認のお知らせ" in page
    assert email in page
    link, user_no, decl_no = complete_by_link(site, b, email, "一つ星")
    assert user_no != decl_no
    assert "申込受理のご連絡" in b.get("/entry/complete").text   # manual acceptance
    rows = site.sql("SELECT state, kind, corp_kana, level, user_no, declaration_no, password_hash "
                    "FROM declaration WHERE email = '%s'" % email)
    assert len(rows) == 1
    state, kind, kana, level, u, d, pw = rows[0]
    assert (state, kind, kana, level, u, d) == ("declared", "corp", "テストジョウホウ", "1", user_no, decl_no)
    assert pw.startswith("$2") and "Passw0rd" not in pw


def test_sole_proprietor_two_star_from_top_to_complete(site):
    email = unique_email()
    b = declare(site, SOLE, TWO_STAR, email)
    complete_by_link(site, b, email, "二つ星")
    rows = site.sql("SELECT rep_kana, postal, score, publish, survey, member_name, corp_no "
                    "FROM declaration WHERE email = '%s'" % email)
    assert rows == [["スイシンタロウ", "113-0021", "85", "web,other", "1,8", "大阪商工会議所", ""]]


def test_immediate_acceptance_accepts_on_the_mail_link(new_site, site):
    s = new_site(site.backend, "SecActionAcceptance immediate")
    email = unique_email()
    b = declare(s, CORP, ONE_STAR, email)
    link, user_no, _ = complete_by_link(s, b, email, "一つ星")
    assert s.sql("SELECT state FROM declaration WHERE user_no = '%s'" % user_no) == [["accepted"]]
    page = b.get("/entry/complete").text
    assert "すぐにダウンロードできます" in page and "申込受理のご連絡" not in page
    assert "ログインした後にダウンロードできます" in body(s.mails_to(email)[1])


def test_top_page_starts_no_session(site):
    b = Browser(site)
    r = b.get("/")
    assert r.status_code == 200
    assert "secaction_session" not in r.headers.get("Set-Cookie", "")


def test_unknown_page_and_method_get_japanese_pages(site):
    import requests
    r = requests.get(site.url("/no-such-page"), timeout=10)
    assert r.status_code == 404 and "ページが見つかりません" in r.text
    r = requests.delete(site.url("/entry/"), timeout=10)
    assert r.status_code == 405 and "この操作はできません" in r.text
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    r = requests.get(site.url("/entry"), allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].endswith("/security/entry/")
