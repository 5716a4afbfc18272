"""make test and make run from a checkout that httpd's children (www-data)
and the test PostgreSQL (postgres) cannot reach — a clone in root's home,
say: their files are staged into a runtime folder of the checkout's own
(tests/genconf.py runtime()), and no permission outside the checkout is
changed.  Runs only as root (otherwise there are no service accounts)."""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile

import pytest

from conftest import TOP, free_port

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="service accounts exist only for root")

# what a checkout needs to run the integration tests, with the built module
PARTS = ("bin", "conf", "data", "sql", "templates", "tests", os.path.join("mod_secaction", ".libs"),
         os.path.join("build", "sa-sendmail"))


def as_user(user, *cmd):
    return subprocess.run(["runuser", "-u", user, "--"] + list(cmd), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


@pytest.fixture
def private_checkout():
    """A copy of this checkout inside a folder only root may enter."""
    outer = tempfile.mkdtemp(prefix="sa-private-", dir="/tmp")
    os.chmod(outer, 0o700)
    top = os.path.join(outer, "checkout")
    for part in PARTS:
        src, dst = os.path.join(TOP, part), os.path.join(top, part)
        if os.path.isdir(src):
            shutil.copytree(src, dst, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    staged = "/var/tmp/secaction-%s" % hashlib.sha1(top.encode()).hexdigest()[:12]
    yield top, staged
    subprocess.run([os.path.join(top, "tests", "pg.sh"), "stop"], env=clean_env(top),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(outer, ignore_errors=True)
    shutil.rmtree(staged, ignore_errors=True)


def clean_env(top, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SA_RUNTIME_")}
    env.pop("SA_STAGE", None)
    env.update(extra)
    return env


def test_the_tests_pass_from_a_folder_others_cannot_enter(private_checkout):
    top, staged = private_checkout
    assert as_user("www-data", "test", "-x", top) != 0          # really out of reach
    mode_before = os.stat(os.path.dirname(top)).st_mode
    env = clean_env(top, SA_PG_PORT=str(free_port()), SA_BACKENDS="sqlite3,pgsql")
    subprocess.run([os.path.join(top, "tests", "pg.sh"), "start"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "tests/integration/test_flow.py", "-k",
                        "corporation_one_star_from_top_to_complete or top_page_starts_no_session"],
                       cwd=top, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "4 passed" in r.stdout, r.stdout[-2000:]
    # the service accounts' files went to the staged folder, readable by them
    assert os.path.isdir(os.path.join(staged, "pg", "data"))
    assert os.path.isdir(os.path.join(staged, "test"))
    assert as_user("www-data", "test", "-r", os.path.join(staged, "share", "templates",
                                                          "messages.txt")) == 0
    assert as_user("www-data", "test", "-x", os.path.join(staged, "share", "build",
                                                          "sa-sendmail")) == 0
    # and nothing outside the checkout changed its permissions
    assert os.stat(os.path.dirname(top)).st_mode == mode_before
    assert stat.S_IMODE(mode_before) == 0o700
