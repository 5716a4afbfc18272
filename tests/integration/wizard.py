"""Helpers that walk the wizard the way a browser does."""
import html
import re
import urllib.parse

import requests

CORP = {
    "kind": "corp", "corp_no": "7000012050002", "corp_name": "株式会社テスト情報",
    "corp_kana": "てすと じょうほう", "url": "https://www.example.co.jp/", "postal": "113-0021",
    "pref": "13", "city": "文京区本駒込", "street": "2-28-8", "building": "",
    "phone": "03-1234-5678", "jsic_major": "G", "jsic_middle": "39", "member": "no",
    "member_name": "", "ipa_info": "yes", "password": "Passw0rd!xyz", "password2": "Passw0rd!xyz",
}
SOLE = {
    "kind": "sole", "rep_name": "推進 太郎", "rep_kana": "ｽｲｼﾝ ﾀﾛｳ", "trade_name": "推進太郎事務所",
    "url": "", "postal": "１１３００２１", "pref": "27", "city": "大阪市北区", "street": "1-2-3",
    "building": "梅田ビル4F", "phone": "0612345678", "jsic_major": "L", "jsic_middle": "",
    "member": "yes", "member_name": "大阪商工会議所", "ipa_info": "no",
    "password": "Abcdef12345#", "password2": "Abcdef12345#",
}
ONE_STAR = {"level": "1", "purpose": "1", "pledge": "1", "contact_name": "山田 花子",
            "privacy": "1"}
TWO_STAR = {"level": "2", "purpose": "3", "score": "85", "publish": ["web", "other"],
            "pledge": "1", "contact_name": "推進 太郎", "privacy": "1", "survey": ["1", "8"]}


def csrf(page):
    m = re.search(r'<input[^>]*name="csrf"[^>]*>', page)
    assert m, "no CSRF field in page"
    v = re.search(r'value="([^"]*)"', m.group(0))
    return html.unescape(v.group(1))


class Browser:
    """A requests session that does not follow redirects by itself."""

    def __init__(self, site):
        self.site = site
        self.s = requests.Session()
        self.last = None

    def get(self, path, **kw):
        r = self.s.get(self.site.url(path) if path.startswith("/") else path,
                       allow_redirects=False, timeout=30, **kw)
        self.last = r
        return r

    def post(self, path, data, token=True, **kw):
        data = dict(data)
        if token is True:
            data["csrf"] = csrf(self.get(path).text)
        elif token:
            data["csrf"] = token
        r = self.s.post(self.site.url(path), data=data, allow_redirects=False, timeout=30, **kw)
        self.last = r
        return r

    def open_link(self, link):
        """Opens a mailed link as a person does: the page, then its one
        button when it has one (「自己宣言を完了する」).  Returns the last
        response: the POST's 303, or the page when there is no button."""
        r = self.get(link)
        m = re.search(r'<form[^>]*action="([^"]*/entry/verify)"', r.text)
        if r.status_code != 200 or not m:
            return r
        t = re.search(r'name="t" value="([^"]*)"', r.text).group(1)
        return self.post(html.unescape(m.group(1)).split("/security", 1)[1],
                         {"t": html.unescape(t), "complete": "1"}, token=csrf(r.text))

    def follow(self, r):
        """Follows one 303 and returns the page."""
        assert r.status_code == 303, (r.status_code, r.text[:500])
        return self.get(urllib.parse.urljoin(r.url, r.headers["Location"]))


def location(r):
    return r.headers.get("Location", "").split("/security", 1)[-1]


def agree(b, via=None):
    page = b.get("/entry/" + ("?via=" + via if via else "")).text
    kept = re.search(r'name="via" value="([^"]*)"', page)
    data = {"agree": "1", "via": html.unescape(kept.group(1)) if kept else ""}
    r = b.post("/entry/", data, token=csrf(page))
    assert location(r) == "/entry/company", r.status_code
    return r


def fill_company(b, values):
    r = b.post("/entry/company", values)
    assert r.status_code == 303
    return r


def fill_declaration(b, values, email):
    v = dict(values)
    v["email"] = v["email2"] = email
    r = b.post("/entry/declaration", v)
    assert r.status_code == 303
    return r


def submit(b):
    r = b.post("/entry/confirm", {"submit": "1"})
    assert location(r) == "/entry/accepted", (r.status_code, r.text[:300])
    return r


def declare(site, company, decl, email, via=None):
    """Walks from the terms to 受付確認; returns the browser."""
    b = Browser(site)
    agree(b, via)
    assert location(fill_company(b, company)) == "/entry/declaration"
    assert location(fill_declaration(b, decl, email)) == "/entry/confirm"
    submit(b)
    return b


def verify_link(msg_body):
    m = re.search(r"(http://\S+/entry/verify\?t=[A-Za-z0-9_-]+)", msg_body)
    assert m, msg_body
    return m.group(1)


def declared(site, company=None, decl=None, email=None):
    """A declaration through the mail link: returns (email, 利用者番号,
    自己宣言ID, password), read from the 完了 mail as its owner would."""
    company = company or CORP
    decl = decl or ONE_STAR
    email = email or "owner.%s@example.co.jp" % __import__("secrets").token_hex(4)
    b = declare(site, company, decl, email)
    import conftest
    link = verify_link(conftest.body(site.wait_mail(email)[0]))
    assert location(b.open_link(link)) == "/entry/complete"
    text = conftest.body(site.wait_mail(email, 2)[1])
    user_no = re.search(r"利用者番号：(\d{10})", text).group(1)
    decl_no = re.search(r"自己宣言ID：(\d{10})", text).group(1)
    return email, user_no, decl_no, company["password"]


def login(site, user_no, password):
    """A fresh browser logged in; asserts the login worked."""
    b = Browser(site)
    r = b.post("/login", {"user_no": user_no, "password": password})
    assert r.status_code == 303 and location(r) == "/mypage", (r.status_code, r.text[:400])
    return b
