"""The public listing as the tests read it: a search followed through its
pages, and the listing's counts against its postings."""
import re

import requests

from htmlpage import Page


def search(site, **params):
    """Every result (following the pages) as (name, url) pairs, and the count."""
    out, url, count = [], site.url("/search"), None
    query = dict(params)
    while url:
        r = requests.get(url, params=query, timeout=10)
        assert r.status_code == 200, r.status_code
        page = Page(r.text)
        if count is None:
            m = re.search(r"検索結果\s*([\d,]+)件", page.text)
            count = int(m.group(1).replace(",", "")) if m else 0
        table = [el for el in page.by_tag("table")]
        for row in (table[0].links if table else []):
            out.append(row)
        nxt = [el for el in page.by_tag("a") if el.text == "次の20件"]
        url = site.base.split("/security")[0] + nxt[0].attrs["href"] if nxt else None
        query = None
    return out, count


def counts_follow_postings(site):
    """listing_count, as the store keeps it, against a count of the postings:
    every gram (and '', every listed row) in all and in each prefecture."""
    kept = {(g, p): int(n) for g, p, n in site.sql("SELECT gram, pref, n FROM listing_count"
                                                   " WHERE pref <> '#'") if int(n) != 0}
    want = {}
    for g, p in site.sql("SELECT gram, pref FROM listing_gram"):
        for key in ((g, p), (g, "")):
            want[key] = want.get(key, 0) + 1
    assert kept == want
    every = site.sql("SELECT declaration_id FROM listing_gram WHERE gram = '' ORDER BY 1")
    assert every == site.sql("SELECT declaration_id FROM public_listing ORDER BY 1")
