"""The operators' status handler (PRODUCT.md 5): ?auto and the HTML page."""
import glob
import os
import time

import pytest
import requests

from conftest import BACKENDS, TOP, body, unique_email
from htmlpage import Page
from wizard import CORP, ONE_STAR, declare, location, verify_link

KEYS = ["DatabaseReachable", "SchemaVersion", "DeclarationsProvisional", "DeclarationsDeclared",
        "DeclarationsAccepted", "DeclarationsStopped", "DeclarationsRevoked",
        "DeclarationsExpired", "DeclarationsLastHour", "AcceptanceQueue", "AcceptanceOldestAge",
        "AcceptedLastHour", "AcceptedLastDay", "OutboxDepth", "OutboxOldestAge",
        "OutboxFailing"]
# figures that grow by themselves while something waits
AGES = ("AcceptanceOldestAge", "OutboxOldestAge")
STATES = {"DeclarationsProvisional": "provisional", "DeclarationsDeclared": "declared",
          "DeclarationsAccepted": "accepted", "DeclarationsStopped": "stopped",
          "DeclarationsRevoked": "revoked", "DeclarationsExpired": "expired"}


def status_url(site, auto=True):
    return "http://127.0.0.1:%d/secaction-status%s" % (site.port, "?auto" if auto else "")


def auto(site):
    r = requests.get(status_url(site), timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    lines = [l for l in r.text.splitlines() if l.strip()]
    pairs = [l.split(": ", 1) for l in lines]
    assert all(len(p) == 2 for p in pairs), r.text
    keys = [k for k, _ in pairs]
    assert sorted(keys) == sorted(KEYS) and len(keys) == len(set(keys)), keys
    out = {}
    for k, v in pairs:
        assert v.strip().lstrip("-").isdigit(), (k, v)
        out[k] = int(v)
    return out


def settled(site):
    """The figures once the outbox is empty (mail is sent right after a commit)."""
    deadline = time.time() + 10
    while True:
        st = auto(site)
        if st["OutboxDepth"] == 0 or time.time() > deadline:
            return st
        time.sleep(0.2)


def test_auto_has_exactly_the_documented_integer_keys(site):
    st = auto(site)
    assert st["DatabaseReachable"] == 1
    # the newest migration that bin/sa-dbinit applied
    newest = max(int(os.path.basename(f)[:3])
                 for f in glob.glob(os.path.join(TOP, "sql", "sqlite", "[0-9]*.sql")))
    assert st["SchemaVersion"] == newest
    for k in KEYS:
        assert st[k] >= 0, k


def test_empty_outbox_has_no_age_and_no_failures(site):
    st = settled(site)
    assert st["OutboxDepth"] == 0
    assert st["OutboxOldestAge"] == 0, st
    assert st["OutboxFailing"] == 0, st


def test_counts_follow_a_declaration(site):
    before = settled(site)
    email = unique_email()
    b = declare(site, CORP, ONE_STAR, email)
    mid = settled(site)
    assert mid["DeclarationsProvisional"] == before["DeclarationsProvisional"] + 1
    assert mid["DeclarationsDeclared"] == before["DeclarationsDeclared"]
    assert mid["DeclarationsLastHour"] == before["DeclarationsLastHour"] + 1
    assert mid["OutboxDepth"] == 0 and mid["OutboxFailing"] == 0
    link = verify_link(body(site.wait_mail(email)[0]))
    assert location(b.open_link(link)) == "/entry/complete"
    after = settled(site)
    assert after["DeclarationsProvisional"] == before["DeclarationsProvisional"]
    assert after["DeclarationsDeclared"] == before["DeclarationsDeclared"] + 1
    assert after["DeclarationsLastHour"] == before["DeclarationsLastHour"] + 1
    # manual acceptance (the default): the declaration now waits in the queue
    assert after["AcceptanceQueue"] == before["AcceptanceQueue"] + 1
    assert after["AcceptedLastHour"] == before["AcceptedLastHour"]
    assert after["AcceptedLastDay"] == before["AcceptedLastDay"]
    for k in ("DeclarationsAccepted", "DeclarationsStopped", "DeclarationsRevoked",
              "DeclarationsExpired"):
        assert after[k] == before[k], k
    # the figures are those of the database
    n = int(site.sql("SELECT COUNT(*) FROM declaration WHERE state = 'declared'")[0][0])
    assert after["DeclarationsDeclared"] == n
    q = int(site.sql("SELECT COUNT(*) FROM declaration WHERE state = 'declared'"
                     " OR (state = 'accepted' AND pending_level = 2)")[0][0])
    assert after["AcceptanceQueue"] == q


@pytest.mark.parametrize("backend", BACKENDS)
def test_acceptance_queue_of_a_completed_declaration(new_site, backend):
    site = new_site(backend)
    st = settled(site)
    assert (st["AcceptanceQueue"], st["AcceptanceOldestAge"]) == (0, 0), st
    assert (st["AcceptedLastHour"], st["AcceptedLastDay"]) == (0, 0), st
    email = unique_email()
    b = declare(site, CORP, ONE_STAR, email)
    assert settled(site)["AcceptanceQueue"] == 0          # 仮申込み waits for its mail link
    link = verify_link(body(site.wait_mail(email)[0]))
    assert location(b.open_link(link)) == "/entry/complete"
    st = settled(site)
    assert st["DeclarationsDeclared"] == 1
    assert st["AcceptanceQueue"] == 1, st
    assert 0 <= st["AcceptanceOldestAge"] <= 60, st
    # nothing was accepted (manual acceptance is the default)
    assert (st["AcceptedLastHour"], st["AcceptedLastDay"]) == (0, 0), st
    time.sleep(1.1)
    assert auto(site)["AcceptanceOldestAge"] >= 1


def row_number(page, *words):
    """The last number in the table row whose text contains all words."""
    for tr in page.by_tag("tr"):
        if all(w in tr.text for w in words):
            nums = [t for t in tr.text.split() if t.isdigit()]
            assert nums, tr.text
            return int(nums[-1])
    raise AssertionError("no row with %s" % (words,))


def test_html_page_shows_the_same_figures(site):
    email = unique_email()
    declare(site, CORP, ONE_STAR, email)
    st = settled(site)
    r = requests.get(status_url(site, auto=False), timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    page = Page(r.text)
    assert "接続できます" in page.text
    assert "稼働状況" in page.text and "Database" not in page.text
    for key, state in STATES.items():
        assert row_number(page, state) == st[key], state
    for key, words in (("AcceptanceQueue", ("受理待ち（",)),
                       ("AcceptedLastHour", ("1時間に受理",)),
                       ("AcceptedLastDay", ("1日に受理",))):
        assert row_number(page, *words) == st[key], key
    later = auto(site)
    # nothing moved meanwhile; ages only grew with the clock
    assert {k: v for k, v in later.items() if k not in AGES} == \
        {k: v for k, v in st.items() if k not in AGES}
    for k in AGES:
        assert st[k] <= later[k] <= st[k] + 10, k
    assert st["AcceptanceOldestAge"] <= row_number(page, "受理待ちのうち最も古い") \
        <= later["AcceptanceOldestAge"]
    numbers = [int(td.text) for td in page.by_tag("td") if td.text.isdigit()]
    assert st["DeclarationsLastHour"] in numbers
    assert st["SchemaVersion"] in numbers
