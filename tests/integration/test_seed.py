"""bin/sa-seed: N accepted declarations through the module's own tables,
the same rows for the same seed, listed and counted as the store lists and
counts them, and found by the running site's search."""
import os
import subprocess

import pytest

from conftest import BACKENDS, TOP, Site
from listing import counts_follow_postings, search

ROWS = "SELECT declaration_no, name, pref, city, jsic_major, level FROM public_listing ORDER BY 1"


def seed(site, n, s):
    return subprocess.run([os.path.join(TOP, "bin", "sa-seed"), site.backend, site.dbparams,
                           str(n), "--seed", str(s)],
                          check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_seeded_declarations_are_listed_counted_and_found(new_site, backend):
    site = new_site(backend)
    assert "added 300 declarations" in seed(site, 300, 7)
    assert site.sql("SELECT state, COUNT(*) FROM declaration GROUP BY state") == [["accepted", "300"]]
    assert site.sql("SELECT COUNT(*) FROM public_listing") == [["300"]]
    counts_follow_postings(site)
    # the site finds a seeded business by two characters of its name's key
    no, text = site.sql("SELECT declaration_no, search_text FROM public_listing"
                        " ORDER BY declaration_id LIMIT 1")[0]
    got, count = search(site, q=text[:2])
    assert site.url("/d/" + no).split("/security")[1] in [u.split("/security")[1] for u, _ in got]
    assert count == len(got)
    assert search(site, go="1")[1] == 300
    # a second run adds to what is there, and the counts follow
    assert "added 50 declarations" in seed(site, 50, 8)
    assert search(site, go="1")[1] == 350
    counts_follow_postings(site)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_seed_gives_the_same_rows(backend):
    one, two = Site(backend), Site(backend)
    seed(one, 200, 3)
    seed(two, 200, 3)
    assert one.sql(ROWS) == two.sql(ROWS) and len(one.sql(ROWS)) == 200
    other = Site(backend)
    seed(other, 200, 4)
    assert other.sql(ROWS) != one.sql(ROWS)
