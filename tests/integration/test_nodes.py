"""Two httpd nodes on one PostgreSQL, as a real deployment runs: an
applicant whose requests alternate between the nodes completes, and with
the mail program failing on both and then recovering, every mail is
delivered exactly once (one worker works at a time: the database lease)."""
import glob
import os
import re
import time

import pytest

from conftest import BACKENDS, Site, body, check_error_log, httpd_env, unique_email
from wizard import CORP, ONE_STAR, Browser, csrf, location

pytestmark = pytest.mark.skipif("pgsql" not in BACKENDS, reason="needs PostgreSQL")


class SecondNode(Site):
    """Another httpd on the first node's database (and its own mail folder)."""

    def __init__(self, first):
        self._first = first
        super().__init__("pgsql")

    def _make_db(self):
        self.dbname = self._first.dbname
        self.dbparams = self._first.dbparams

    def stop(self):
        subprocess_stop(self)


def subprocess_stop(site):
    import subprocess
    subprocess.run(["/usr/sbin/apache2", "-f", site.conf, "-k", "stop"], check=False,
                   env=httpd_env())
    deadline = time.time() + 10
    while os.path.exists(os.path.join(site.run, "httpd.pid")) and time.time() < deadline:
        time.sleep(0.1)


@pytest.fixture
def nodes():
    first = Site("pgsql").start()
    second = SecondNode(first).start()
    yield first, second
    second.stop()
    first.stop()
    check_error_log(first)
    check_error_log(second)


class Alternating(Browser):
    """A browser whose every request goes to the other node (one cookie jar)."""

    def __init__(self, a, b):
        super().__init__(a)
        self.sites = [a, b]
        self.n = 0

    def _node(self):
        self.n += 1
        return self.sites[self.n % 2]

    def get(self, path, **kw):
        self.site = self._node()
        if not path.startswith("/"):           # an absolute link: same path, other node
            path = path.split("/security", 1)[1]
        elif path.startswith("/security/"):    # a Location header
            path = path[len("/security"):]
        return super().get(path, **kw)

    def post(self, path, data, token=True, **kw):
        self.site = self._node()
        return super().post(path, data, token, **kw)


def all_mails(*sites):
    return [p for s in sites for p in glob.glob(os.path.join(s.maildir, "*.eml"))]


def test_an_applicant_alternating_between_nodes_completes(nodes):
    a, b = nodes
    email = unique_email()
    br = Alternating(a, b)
    page = br.get("/entry/").text
    r = br.post("/entry/", {"agree": "1", "via": ""}, token=csrf(page))
    assert location(r) == "/entry/company"
    assert location(br.post("/entry/company", CORP)) == "/entry/declaration"
    decl = dict(ONE_STAR, email=email, email2=email)
    assert location(br.post("/entry/declaration", decl)) == "/entry/confirm"
    assert location(br.post("/entry/confirm", {"submit": "1"})) == "/entry/accepted"
    deadline = time.time() + 20
    while time.time() < deadline and not (a.mails_to(email) or b.mails_to(email)):
        time.sleep(0.2)
    msg = (a.mails_to(email) or b.mails_to(email))[0]
    link = re.search(r"(http://\S+/entry/verify\?t=\S+)", body(msg)).group(1)
    r = br.open_link(link)
    assert location(r) == "/entry/complete"
    assert "宣言完了" in br.follow(r).text


def test_every_mail_once_with_two_nodes_and_a_failing_mail_program(nodes):
    a, b = nodes
    a.set_mail_failing(True)
    b.set_mail_failing(True)
    emails = [unique_email() for _ in range(6)]
    for i, email in enumerate(emails):
        node = (a, b)[i % 2]
        br = Browser(node)
        page = br.get("/entry/").text
        br.post("/entry/", {"agree": "1", "via": ""}, token=csrf(page))
        br.post("/entry/company", CORP)
        br.post("/entry/declaration", dict(ONE_STAR, email=email, email2=email))
        assert location(br.post("/entry/confirm", {"submit": "1"})) == "/entry/accepted"
    time.sleep(3)
    assert all_mails(a, b) == []
    a.set_mail_failing(False)
    b.set_mail_failing(False)
    deadline = time.time() + 60
    while time.time() < deadline and len(all_mails(a, b)) < len(emails):
        time.sleep(0.5)
    time.sleep(3)        # a second sender would show up now
    files = all_mails(a, b)
    assert len(files) == len(emails), files
    got = sorted(str(m["To"]) for s in (a, b) for m in s.mails())
    assert got == sorted(emails)
    owners = a.sql("SELECT owner FROM worker_lease WHERE name = 'mail'")
    assert owners and owners[0][0]
