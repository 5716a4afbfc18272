"""A PostgreSQL connection that the server dropped (a restart, a failover:
here its backends are terminated) is reconnected by apr-util's driver in
place, and mod_dbd keeps using it; the new server session has none of the
prepared statements.  The module prepares them again: after the two requests
a dropped connection fails, the wizard, the draft, the search and the mail
worker work again without restarting httpd."""
import re
import time

from wizard import CORP, Browser, agree, csrf, fill_company, location


def terminate_backends(site):
    site.psql(["-d", "postgres", "-c",
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
               " WHERE datname = '%s' AND pid <> pg_backend_pid()" % site.dbname])


def test_statements_are_prepared_again_on_a_reconnected_connection(new_site):
    site = new_site("pgsql")
    # each dropped connection fails the request it serves once (mod_dbd's
    # and mod_session_dbd's lines, ours for the outage page and the worker),
    # then warns that it was reconnected
    site.expected_log = ("AH", "SA0", "SA1")
    b = Browser(site)
    agree(b)
    fill_company(b, CORP)
    assert b.get("/entry/declaration").status_code == 200
    for _ in range(2):
        terminate_backends(site)
        answers = []
        deadline = time.time() + 30
        while time.time() < deadline and answers[-10:] != [200] * 10:
            answers.append(b.get("/entry/declaration").status_code)
        assert answers[-10:] == [200] * 10, answers
        # the request the dropped connection was reset for, and the one that
        # prepared its statements again; then every one
        assert len(answers) <= 12 and answers.count(503) <= 2, answers
    # the draft is still there, and a step is saved
    page = b.get("/entry/company")
    assert 'value="%s"' % CORP["corp_name"] in page.text
    r = b.post("/entry/company", dict(CORP), token=csrf(page.text))
    assert r.status_code == 303 and location(r) == "/entry/declaration"
    assert b.get("/search?q=テスト").status_code == 200
    log = site.error_log()
    assert re.search(r"SA140.*statements prepared again", log), log[-3000:]
    # the reconnected connections prepared every statement, none failed
    for m in re.finditer(r"(\d+) of (\d+) statements prepared again", log):
        assert m.group(1) == m.group(2), m.group(0)
