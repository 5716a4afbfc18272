"""Every rule of 事業者情報入力 and 自己宣言入力 (PRODUCT.md 2.1, 2.2): one bad
field at a time.  A refused POST answers 303 back to the same step; the next
GET shows the error summary linking to the field, the message beside the
field in Japanese, everything else as typed, the passwords empty; nothing is
stored and the wizard does not move on."""
import re
import urllib.parse

import pytest

from conftest import unique_email
from htmlpage import Page, is_japanese
from wizard import (CORP, ONE_STAR, SOLE, TWO_STAR, Browser, agree, csrf, fill_company,
                    fill_declaration, location, submit)

MISSING = object()

COMPANY_TEXT = ["corp_no", "corp_name", "corp_kana", "rep_name", "rep_kana", "trade_name",
                "url", "postal", "city", "street", "building", "phone", "member_name"]
COMPANY_RADIO = ["kind", "member", "ipa_info"]
COMPANY_SELECT = ["pref", "jsic_major", "jsic_middle"]
DECL_TEXT = ["score", "contact_name", "email", "email2"]
DECL_CHECKED = ["level", "pledge", "privacy", "publish", "survey"]
DECL_SELECT = ["purpose"]

PW_65 = "Aa1!" + "b" * 61


def variant(base, changes):
    v = dict(base)
    for k, x in changes.items():
        if x is MISSING:
            v.pop(k, None)
        else:
            v[k] = x
    return v


def pw(p):
    return {"password": p, "password2": p}


# (id, base, changes, field the error belongs to)
COMPANY_CASES = [
    # characters a reader cannot see that reorder or hide public text
    ("corp_name-bidi-override", CORP, {"corp_name": "株式会社\u202eトステ"}, "corp_name"),
    ("city-zero-width", CORP, {"city": "文京区\u200b本駒込"}, "city"),
    ("rep_name-bom", SOLE, {"rep_name": "\ufeff推進 太郎"}, "rep_name"),
    ("trade_name-isolate", SOLE, {"trade_name": "推進\u2066太郎事務所"}, "trade_name"),
    ("street-line-separator", CORP, {"street": "2-28\u20288"}, "street"),
    ("kind-missing", CORP, {"kind": MISSING}, "kind"),
    ("kind-empty", SOLE, {"kind": ""}, "kind"),
    ("corp_no-check-digit", CORP, {"corp_no": "7000012050003"}, "corp_no"),
    ("corp_no-12-digits", CORP, {"corp_no": "700001205000"}, "corp_no"),
    ("corp_no-letters", CORP, {"corp_no": "70000120500AB"}, "corp_no"),
    ("corp_no-missing", CORP, {"corp_no": ""}, "corp_no"),
    ("corp_name-missing", CORP, {"corp_name": ""}, "corp_name"),
    ("corp_name-101-chars", CORP, {"corp_name": "株式会社" + "テ" * 97}, "corp_name"),
    ("corp_name-control-char", CORP, {"corp_name": "株式会社テスト\x07情報"}, "corp_name"),
    ("corp_kana-kanji", CORP, {"corp_kana": "テスト情報"}, "corp_kana"),
    ("corp_kana-legal-form", CORP, {"corp_kana": "カブシキガイシャテスト"}, "corp_kana"),
    ("corp_kana-missing", CORP, {"corp_kana": ""}, "corp_kana"),
    ("rep_name-missing", SOLE, {"rep_name": ""}, "rep_name"),
    ("rep_kana-latin", SOLE, {"rep_kana": "Taro"}, "rep_kana"),
    ("url-ftp", CORP, {"url": "ftp://x"}, "url"),
    ("url-javascript", SOLE, {"url": "javascript:alert(1)"}, "url"),
    ("postal-6-digits", CORP, {"postal": "113002"}, "postal"),
    ("pref-99", CORP, {"pref": "99"}, "pref"),
    ("pref-missing", SOLE, {"pref": ""}, "pref"),
    ("city-missing", CORP, {"city": ""}, "city"),
    ("street-missing", SOLE, {"street": ""}, "street"),
    ("phone-9-digits", CORP, {"phone": "031234567"}, "phone"),
    ("phone-letters", SOLE, {"phone": "03-ABCD-5678"}, "phone"),
    ("jsic_major-Z", CORP, {"jsic_major": "Z"}, "jsic_major"),
    ("jsic_middle-of-other-major", CORP, {"jsic_major": "G", "jsic_middle": "01"}, "jsic_middle"),
    ("member-yes-without-name", CORP, {"member": "yes", "member_name": ""}, "member_name"),
    ("member-missing", SOLE, {"member": MISSING}, "member"),
    ("ipa_info-missing", CORP, {"ipa_info": MISSING}, "ipa_info"),
    ("password-too-short", CORP, pw("Pw0!abcd"), "password"),
    ("password-no-upper", CORP, pw("passw0rd!xyz"), "password"),
    ("password-no-symbol", SOLE, pw("Passw0rdxyz1"), "password"),
    ("password-with-space", CORP, pw("Passw0rd !xyz"), "password"),
    ("password-65-chars", CORP, pw(PW_65), "password"),
    ("password-missing", CORP, pw(""), "password+password2"),
    ("password2-mismatch", CORP, {"password2": "Passw0rd!xyy"}, "password2"),
]

DECL_CASES = [
    ("contact_name-rlm", ONE_STAR, {"contact_name": "山田\u200f花子"}, "contact_name"),
    ("level-missing", ONE_STAR, {"level": MISSING}, "level"),
    ("level-3", ONE_STAR, {"level": "3"}, "level"),
    ("purpose-missing", ONE_STAR, {"purpose": MISSING}, "purpose"),
    ("purpose-99", TWO_STAR, {"purpose": "99"}, "purpose"),
    ("score-101", TWO_STAR, {"score": "101"}, "score"),
    ("score-abc", TWO_STAR, {"score": "abc"}, "score"),
    ("publish-missing", TWO_STAR, {"publish": MISSING}, "publish"),
    ("publish-bogus", TWO_STAR, {"publish": ["web", "bogus"]}, "publish"),
    ("pledge-missing", ONE_STAR, {"pledge": MISSING}, "pledge"),
    ("pledge-missing-level2", TWO_STAR, {"pledge": MISSING}, "pledge"),
    ("contact_name-missing", ONE_STAR, {"contact_name": ""}, "contact_name"),
    ("email-no-domain", ONE_STAR, {"email": "taro@", "email2": "taro@"}, "email"),
    ("email-no-dot", ONE_STAR, {"email": "taro@example", "email2": "taro@example"}, "email"),
    ("email-full-width", TWO_STAR, {"email": "ｔａｒｏ＠example.com",
                                    "email2": "ｔａｒｏ＠example.com"}, "email"),
    ("email2-mismatch", ONE_STAR, {"email2": "other@example.co.jp"}, "email2"),
    ("privacy-missing", ONE_STAR, {"privacy": MISSING}, "privacy"),
    ("survey-99", TWO_STAR, {"survey": ["1", "99"]}, "survey"),
]


def declarations(site):
    return int(site.sql("SELECT COUNT(*) FROM declaration")[0][0])


def check_error_page(page, fields, password=None):
    """The error summary, the message beside each field, passwords empty.
    fields: "name", or "a+b" when one bad input makes two fields wrong."""
    fields = fields.split("+")
    links = page.error_links()
    assert page.by_class("error-summary"), "no error summary"
    # the window title says it first, for screen readers
    assert re.search(r"<title>エラー：", page.source), "title does not start with エラー："
    assert [h for h, _ in links] == ["#f-" + f for f in fields], links
    for field, (_, message) in zip(fields, links):
        assert message and is_japanese(message), links
        assert page.by_id("f-" + field) is not None, "the summary links to a missing #f-" + field
        beside = page.by_id("e-" + field)
        assert beside is not None, "no message beside the field (id e-%s)" % field
        assert message in beside.text, (message, beside.text)
        assert is_japanese(beside.text.replace("エラー：", "")), beside.text
    if password is not None:
        for name in ("password", "password2"):
            assert page.value(name) in (None, ""), "password field %s not empty" % name
        if password:
            assert password not in page.source


def expected_list(v):
    if v is None or v == "":
        return []
    return sorted(v if isinstance(v, list) else [v])


def check_company_kept(page, data, skip):
    for f in COMPANY_TEXT:
        if f in data and f not in skip:
            assert page.value(f) == data[f], (f, page.value(f), data[f])
    for f in COMPANY_RADIO:
        if f in data and f not in skip:
            assert page.checked(f) == expected_list(data[f]), (f, page.checked(f))
    for f in COMPANY_SELECT:
        if f in data and f not in skip:
            got = [x for x in page.selected(f) if x]
            assert got == expected_list(data[f]), (f, got)


def check_decl_kept(page, data, skip):
    for f in DECL_TEXT:
        if f in data and f not in skip:
            assert page.value(f) == data[f], (f, page.value(f), data[f])
    for f in DECL_CHECKED:
        if f not in skip:
            assert sorted(page.checked(f)) == expected_list(data.get(f)), (f, page.checked(f))
    for f in DECL_SELECT:
        if f in data and f not in skip:
            assert [x for x in page.selected(f) if x] == expected_list(data[f]), f


@pytest.mark.parametrize("base,changes,field", [c[1:] for c in COMPANY_CASES],
                         ids=[c[0] for c in COMPANY_CASES])
def test_company_step_refuses_one_bad_field(site, base, changes, field):
    before = declarations(site)
    b = Browser(site)
    agree(b)
    data = variant(base, changes)
    r = b.post("/entry/company", data)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert location(r) == "/entry/company"
    got = b.get("/entry/company")
    assert got.status_code == 200
    page = Page(got.text)
    check_error_page(page, field, password=data.get("password", ""))
    check_company_kept(page, data, skip=set(changes) | set(field.split("+")))
    # nothing accepted: the next step is still out of reach, nothing stored
    r = b.get("/entry/declaration")
    assert r.status_code == 303 and location(r) == "/entry/company"
    assert declarations(site) == before


@pytest.mark.parametrize("value", [
    b"\xe6\xa0\xaa\xff\xfe\xe5\xbc",         # 株 + bytes that are no UTF-8
    b"\xe3\x81\xb2\x7f \xe5",                # a control character first, then a cut sequence
], ids=["bad-bytes", "control-then-cut"])
def test_company_step_refuses_invalid_utf8(site, value):
    """Bytes that are no UTF-8 are not a form a browser sends: the body
    cannot be read, so the page says so and nothing changes (also when a
    control character comes before them)."""
    before = declarations(site)
    b = Browser(site)
    agree(b)
    token = csrf(b.get("/entry/company").text)
    fields = dict(CORP, csrf=token)
    fields["corp_name"] = value
    body = urllib.parse.urlencode(fields).encode("ascii")
    r = b.s.post(site.url("/entry/company"), data=body, allow_redirects=False, timeout=30,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert "読み取れませんでした" in r.text and "何も変更していません" in r.text
    r = b.get("/entry/declaration")
    assert r.status_code == 303 and location(r) == "/entry/company"
    assert declarations(site) == before


@pytest.mark.parametrize("base,changes,field", [c[1:] for c in DECL_CASES],
                         ids=[c[0] for c in DECL_CASES])
def test_declaration_step_refuses_one_bad_field(site, base, changes, field):
    before = declarations(site)
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    email = unique_email()
    data = variant(dict(base, email=email, email2=email), changes)
    r = b.post("/entry/declaration", data)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert location(r) == "/entry/declaration"
    got = b.get("/entry/declaration")
    assert got.status_code == 200
    page = Page(got.text)
    check_error_page(page, field)
    check_decl_kept(page, data, skip=set(changes) | {field})
    r = b.get("/entry/confirm")
    assert r.status_code == 303 and location(r) == "/entry/declaration"
    assert declarations(site) == before
    assert not site.sql("SELECT id FROM declaration WHERE email = '%s'" % email)


# --- values that are normalised, not refused ------------------------------

def confirm_value(page, label):
    """The <dd> that follows the <dt> whose label (badges aside) is label."""
    els = page.elements
    for i, el in enumerate(els):
        if el.tag == "dt" and el.text.split(" ")[0] == label:
            for nxt in els[i + 1:]:
                if nxt.tag == "dd":
                    return nxt.text
    raise AssertionError("no %s on the confirm page" % label)


def to_confirm(site, company, decl=ONE_STAR):
    b = Browser(site)
    agree(b)
    r = fill_company(b, company)
    assert location(r) == "/entry/declaration", location(r)
    email = unique_email()
    assert location(fill_declaration(b, decl, email)) == "/entry/confirm"
    page = b.get("/entry/confirm")
    assert page.status_code == 200
    return b, Page(page.text), email


def test_corp_no_full_width_with_hyphens_is_accepted_and_stored_normalised(site):
    b, page, email = to_confirm(site, dict(CORP, corp_no="７０００-０１２０-５０００２"))
    assert confirm_value(page, "法人番号") == "7000012050002"
    submit(b)
    assert site.sql("SELECT corp_no FROM declaration WHERE email = '%s'" % email) == \
        [["7000012050002"]]


@pytest.mark.parametrize("typed,stored", [
    ("てすと じょうほう", "テストジョウホウ"),
    ("ﾃｽﾄ ｼﾞｮｳﾎｳ", "テストジョウホウ"),
    ("テスト　ジョウホウ", "テストジョウホウ"),
    ("  ぱーく ﾊﾟｰｸ  ", "パークパーク"),
], ids=["hiragana-space", "half-width", "ideographic-space", "long-vowel-mixed"])
def test_corp_kana_is_normalised_to_full_width_katakana(site, typed, stored):
    b, page, email = to_confirm(site, dict(CORP, corp_kana=typed))
    shown = confirm_value(page, "事業者名（全角カナ）")
    assert shown == stored
    assert " " not in shown and "\u3000" not in shown


def test_rep_kana_is_normalised_for_a_sole_proprietor(site):
    b, page, email = to_confirm(site, dict(SOLE, rep_kana="すいしん　ﾀﾛｳ"), TWO_STAR)
    assert confirm_value(page, "代表者名（全角カナ）") == "スイシンタロウ"
