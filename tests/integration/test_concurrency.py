"""Many applicants at once (the days before a subsidy deadline): every one
gets through, nobody sees an error, nothing is lost, IDs stay unique."""
from concurrent.futures import ThreadPoolExecutor

from conftest import body, unique_email
from wizard import CORP, ONE_STAR, SOLE, TWO_STAR, declare, location, verify_link

APPLICANTS = 24


def apply_and_verify(site, n):
    email = unique_email()
    company, decl = (CORP, ONE_STAR) if n % 2 else (SOLE, TWO_STAR)
    b = declare(site, company, decl, email)
    link = verify_link(body(site.wait_mail(email, 1, timeout=60)[0]))
    r = b.open_link(link)
    assert location(r) == "/entry/complete", (r.status_code, r.text[:300])
    return email


def test_parallel_applicants_all_complete(site):
    print("site root:", site.root)
    before = int(site.status()["DeclarationsDeclared"])
    with ThreadPoolExecutor(max_workers=12) as pool:
        emails = list(pool.map(lambda n: apply_and_verify(site, n), range(APPLICANTS)))
    for email in emails:
        assert len(site.wait_mail(email, 2, timeout=60)) == 2
    rows = site.sql("SELECT user_no, declaration_no FROM declaration WHERE state = 'declared'")
    users = [r[0] for r in rows]
    decls = [r[1] for r in rows]
    assert len(set(users)) == len(users) and len(set(decls)) == len(decls)
    assert int(site.status()["DeclarationsDeclared"]) == before + APPLICANTS
    assert "database is locked" not in site.error_log()
