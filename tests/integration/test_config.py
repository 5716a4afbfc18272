"""Configuration (PRODUCT.md 7): `apache2 -t` reports a bad directive or a
broken template with file and line; conf/secaction.conf documents every
directive of the module's table, with its default."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BACKENDS, TOP, Site, httpd_env

APACHE = "/usr/sbin/apache2"


@pytest.fixture
def config_test(tmp_path):
    """Runs `apache2 -t` on the Site configuration with extra directives;
    returns (returncode, output, conf path, conf text)."""
    made = []

    def run(extra=""):
        s = Site("sqlite3", extra)          # the check does not depend on the backend
        made.append(s)
        s.write_conf()
        r = subprocess.run([APACHE, "-t", "-f", s.conf], capture_output=True, text=True, env=httpd_env(),
                           timeout=60)
        text = open(s.conf, encoding="utf-8").read()
        return r.returncode, r.stdout + r.stderr, s.conf, text
    yield run
    for s in made:
        shutil.rmtree(s.root, ignore_errors=True)


def line_of(conf_text, needle):
    for n, line in enumerate(conf_text.splitlines(), 1):
        if line.strip() == needle:
            return n
    raise AssertionError("%r not in the configuration" % needle)


def test_good_configuration_passes(config_test):
    rc, out, conf, _ = config_test()
    assert rc == 0, out
    assert "Syntax OK" in out


@pytest.mark.parametrize("directive", [
    "SecActionTokenLifetime 0",
    "SecActionTokenLifetime 10x",
    "SecActionPasswordCost 99",
    "SecActionAcceptance sometimes",
    "SecActionSendmail relative/path",
    "SecActionBaseURL ftp://x",
    'SecActionViaAllow "bad value!"',
    "SecActionMailFrom not-an-address",
    "SecActionMailRetry 0",
    "SecActionTemplateDir /nonexistent/secaction-templates",
])
def test_bad_directive_fails_with_file_and_line(config_test, directive):
    rc, out, conf, text = config_test(directive)
    assert rc != 0, out
    n = line_of(text, directive)
    assert conf in out, out
    assert re.search(r"\bline %d\b" % n, out), (n, out)
    assert directive.split()[0] in out, out


def broken_templates(tmp_path, name, edit):
    """A copy of templates/ with one file edited; returns (dir, path, line)."""
    d = tmp_path / "templates"
    shutil.copytree(os.path.join(TOP, "templates"), d)
    path = d / name
    lines = path.read_text(encoding="utf-8").split("\n")
    line = edit(lines)
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(d), str(path), line


def unclose_h1(lines):
    for i, l in enumerate(lines):
        if "<h1>" in l and "</h1>" in l:
            lines[i] = l.replace("</h1>", "")
            return i + 1
    raise AssertionError("no <h1> in the template")


def drop_subject(lines):
    assert lines[0].startswith("Subject:")
    del lines[0]
    return 1


def unknown_sa_attribute(lines):
    for i, l in enumerate(lines):
        if 'sa:text="err.city"' in l:
            lines[i] = l.replace('sa:text="err.city"', 'sa:txet="err.city"')
            return i + 1
    raise AssertionError("no err.city")


@pytest.mark.parametrize("name,edit", [
    ("entry-company.xhtml", unclose_h1),
    ("entry-company.xhtml", unknown_sa_attribute),
    ("mail/received.txt", drop_subject),
    ("mail/completed.txt", drop_subject),
], ids=["company-unclosed-tag", "company-unknown-sa-attribute", "received-no-subject",
        "completed-no-subject"])
def test_broken_template_fails_with_file_and_line(config_test, tmp_path, name, edit):
    d, path, line = broken_templates(tmp_path, name, edit)
    rc, out, conf, _ = config_test('SecActionTemplateDir "%s"' % d)
    assert rc != 0, out
    assert path in out, out
    assert re.search(r"(:%d:|\bline %d\b)" % (line, line), out), (line, out)


# --- the sample configuration documents every directive -------------------------

def table_directives():
    src = open(os.path.join(TOP, "mod_secaction", "httpd", "sa_config.c"), encoding="utf-8").read()
    names = re.findall(r'AP_INIT_\w+\(\s*"(SecAction\w+)"', src)
    assert names, "no directives found in sa_config.c"
    return names


def sample():
    return open(os.path.join(TOP, "conf", "secaction.conf"), encoding="utf-8").read()


@pytest.mark.parametrize("name", table_directives())
def test_sample_documents_directive(name):
    lines = sample().splitlines()
    syntax = [i for i, l in enumerate(lines) if re.match(r"#%s(\s|$)" % name, l)]
    assert syntax, "no commented syntax line '#%s ...' in conf/secaction.conf" % name
    i = syntax[0]
    start = i
    while start > 0 and lines[start - 1].strip():
        start -= 1
    paragraph = lines[start:i]
    assert any("Default:" in l for l in paragraph), \
        "no 'Default:' line above #%s:\n%s" % (name, "\n".join(paragraph))
    assert any(name in l for l in paragraph), "the paragraph above #%s does not name it" % name


def test_sample_names_only_directives_of_the_table():
    known = set(table_directives())
    used = set(re.findall(r"\b(SecAction[A-Za-z]+)\b", sample()))
    assert used, "no SecAction* directive in the sample"
    assert used <= known, sorted(used - known)
    assert known <= used, sorted(known - used)


class NoSessionSite(Site):
    """A site whose administrator forgot "Session On" for the wizard."""

    def write_conf(self):
        super().write_conf()
        text = open(self.conf, encoding="utf-8").read().replace("Session On", "Session Off")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)


def test_missing_session_configuration_is_explained(tmp_path):
    import requests
    s = NoSessionSite("sqlite3").start()
    try:
        r = requests.get(s.url("/entry/"), timeout=10)
        assert r.status_code == 503 and "受付を停止" in r.text
        r = requests.post(s.url("/entry/"), data={"agree": "1"}, timeout=10)
        assert r.status_code == 503
        assert "Session On" in s.error_log()
    finally:
        s.stop()


@pytest.mark.skipif("pgsql" not in BACKENDS, reason="needs PostgreSQL")
def test_dbinit_refuses_a_database_it_cannot_search():
    """A PostgreSQL database in another encoding than UTF-8 would store the
    names but not fold or search them: sa-dbinit says so, with the fix."""
    import subprocess
    from conftest import PG_ADMIN, PG_PORT
    env = dict(os.environ, PGPASSWORD="secaction")
    psql = ["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "secaction", "-d", "postgres",
            "-qc"]
    subprocess.run(psql + ["DROP DATABASE IF EXISTS secaction_ascii"], env=env, check=True,
                   capture_output=True)
    subprocess.run(psql + ["CREATE DATABASE secaction_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' "
                           "LC_CTYPE 'C' TEMPLATE template0"], env=env, check=True)
    try:
        r = subprocess.run([os.path.join(TOP, "bin", "sa-dbinit"), "pgsql",
                            PG_ADMIN + " dbname=secaction_ascii"], capture_output=True, text=True)
        assert r.returncode != 0
        assert "UTF8" in r.stderr and "createdb -E UTF8" in r.stderr
    finally:
        subprocess.run(psql + ["DROP DATABASE IF EXISTS secaction_ascii"], env=env,
                       capture_output=True)
