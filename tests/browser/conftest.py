"""Browser harness: headless Chromium, driven by Selenium through Debian's
chromedriver, against a real httpd with the module from the build tree.

The httpd comes from the integration harness (tests/integration/conftest.py,
class Site), loaded by path under its own module name so that it does not
clash with this file.  One Site on SQLite serves the whole browser module:
the browser tests check what the pages do in a browser (site.js, implicit
submission, focus), not the storage, which the integration tests cover on
both back ends.

Chromium runs as root here, hence --no-sandbox; the --disable-* flags keep
it from reaching for the network (updates, sync, QUIC probes), and every
browser gets a fresh profile in a temporary folder.  Two browsers are
started per module, one with JavaScript and one without; each test gets one
with its cookies cleared, and fails if the page logged a console error
(a script error, a Content-Security-Policy violation, a missing file).

Run alone with `python3 -m pytest -q tests/browser` (after `make`); the
screenshots for people to look at go to var/screenshots/.  SA_BACKENDS does
not apply here: the browser module always runs on SQLite.
"""
import base64
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.common.by import By
from selenium.webdriver.chrome.service import Service

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.normpath(os.path.join(HERE, "..", "integration"))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
SCREENSHOTS = os.path.join(TOP, "var", "screenshots")

CHROMIUM = os.environ.get("SA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SA_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=ja",
]
# Every wait in the browser tests uses this (seconds).
WAIT = 10

# axe-core, the accessibility checker, from npm at the version pinned in
# tests/browser/package.json (make deps installs it with npm ci).
AXE_JS = os.path.join(HERE, "node_modules", "axe-core", "axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _load(name, filename):
    """Imports tests/integration/<filename> as module <name>."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, os.path.join(INTEGRATION, filename))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# Plain modules here, not pytest plugins: their fixtures are not registered.
harness = _load("sa_integration_harness", "conftest.py")
wizard = _load("sa_integration_wizard", "wizard.py")


@pytest.fixture(scope="module")
def site():
    s = harness.Site("sqlite3").start()
    yield s
    s.stop()
    harness.check_error_log(s)


class Chromium:
    """One headless Chromium with its own profile, started on first use."""

    def __init__(self, js, logdir):
        self.js = js
        self.logdir = logdir
        self.profile = None
        self.driver = None

    def get(self):
        if self.driver is None:
            self.profile = tempfile.mkdtemp(prefix="sa-chromium-")
            opts = webdriver.ChromeOptions()
            opts.binary_location = CHROMIUM
            for a in CHROMIUM_ARGS + ["--user-data-dir=" + self.profile]:
                opts.add_argument(a)
            if not self.js:
                opts.add_experimental_option(
                    "prefs", {"profile.managed_default_content_settings.javascript": 2})
            opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
            service = Service(CHROMEDRIVER, log_path=os.path.join(
                self.logdir, "chromedriver-%s.log" % ("js" if self.js else "nojs")))
            self.driver = webdriver.Chrome(service=service, options=opts)
            self.driver.set_page_load_timeout(WAIT)
            self.driver.set_script_timeout(WAIT)
        return self.driver

    def fresh(self):
        """The browser with no cookies, on a blank page, its console log read."""
        d = self.get()
        d.get("about:blank")
        d.execute_cdp_cmd("Network.clearBrowserCookies", {})
        d.get_log("browser")                       # reading the log empties it
        return d

    def quit(self):
        if self.driver is not None:
            self.driver.quit()
            self.driver = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)


def console_errors(driver):
    """Console messages of level SEVERE since the last call, except the
    favicon, which the site does not have (Chromium asks for it anyway)."""
    return [e["message"] for e in driver.get_log("browser")
            if e.get("level") == "SEVERE" and "/favicon.ico" not in e.get("message", "")]


@pytest.fixture(scope="module")
def chromiums(site):
    made = {True: Chromium(True, site.run), False: Chromium(False, site.run)}
    yield made
    for c in made.values():
        c.quit()


@pytest.fixture
def chrome(chromiums):
    """Chromium with JavaScript, cookies cleared."""
    d = chromiums[True].fresh()
    yield d
    axe_check(d)
    errors = console_errors(d)
    assert not errors, "console errors: %r" % errors


@pytest.fixture
def chrome_nojs(chromiums):
    """Chromium with JavaScript switched off (content setting), cookies cleared."""
    d = chromiums[False].fresh()
    yield d
    axe_check(d)
    errors = console_errors(d)
    assert not errors, "console errors: %r" % errors


_axe_source = None
_axe_seen = set()


def replaced(old):
    """A wait condition: the document of element old was replaced.  Like
    EC.staleness_of, but a question asked while the new document comes in
    (chromedriver then answers "Node with given id does not belong to the
    document") is asked again instead of failing."""
    def done(_driver):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException:
            return False
    return done


def act_and_wait(driver, act):
    """Runs act() (a click, an Enter), waits until the page was replaced by
    the answer, and checks the new page with axe."""
    old = driver.find_element(By.TAG_NAME, "html")
    act()
    WebDriverWait(driver, WAIT, poll_frequency=0.1).until(replaced(old))
    axe_check(driver)


def click_and_wait(driver, el):
    act_and_wait(driver, el.click)


def axe_check(driver):
    """Runs axe-core on the page as it is now (rules of WCAG 2.0/2.1/2.2 A
    and AA and axe's best practices) and fails on any violation.  The same
    document in the same state is checked once per run; the checker is
    loaded through WebDriver, so it runs without the page's JavaScript too."""
    global _axe_source
    if _axe_source is None:
        assert os.path.exists(AXE_JS), "axe-core is missing: run make deps (%s)" % AXE_JS
        with open(AXE_JS, encoding="utf-8") as f:
            _axe_source = f.read()
    state = driver.execute_script(
        "return [location.pathname, document.documentElement.outerHTML,"
        " window.innerWidth, document.readyState];")
    key = hashlib.sha256(json.dumps(state[:3]).encode("utf-8")).hexdigest()
    if key in _axe_seen:
        return
    # a fresh copy every time: a run in a page whose own scripts are off
    # never clears axe's "already running" mark
    driver.execute_script(_axe_source)
    # Where the page's scripts are off, Chromium runs no timer callback, only
    # promise reactions: axe's timers become those for the length of the run.
    found = driver.execute_async_script(
        "var done = arguments[arguments.length - 1], w = window;"
        "var st = w.setTimeout, ct = w.clearTimeout, raf = w.requestAnimationFrame;"
        "function later(fn) { var a = [].slice.call(arguments, 2);"
        "  Promise.resolve().then(function () { fn.apply(null, a); }); return 0; }"
        "function restore() { w.setTimeout = st; w.clearTimeout = ct;"
        "  w.requestAnimationFrame = raf; }"
        "w.setTimeout = later; w.clearTimeout = function () {};"
        "w.requestAnimationFrame = function (fn) { return later(fn, 0); };"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]},"
        "                   resultTypes: ['violations']})"
        ".then(function (r) { restore(); done(r.violations.map(function (v) {"
        "  return [v.id, v.help, v.nodes.map(function (n) { return n.target.join(' '); })];"
        "})); }, function (e) { restore(); done([['axe-error', String(e), []]]); });", AXE_TAGS)
    assert not found, "axe-core on %s: %s" % (state[0], "; ".join(
        "%s (%s): %s" % (v[0], v[1], ", ".join(v[2][:5])) for v in found))
    _axe_seen.add(key)


def screenshot(driver, name):
    """Saves the whole page (not only the window) as var/screenshots/<name>.png
    (after axe-core found nothing wrong with it)."""
    axe_check(driver)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    data = base64.b64decode(shot["data"])
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    path = os.path.join(SCREENSHOTS, name + ".png")
    with open(path, "wb") as f:
        f.write(data)
    return path


# Widths of the screenshots for people: a small phone and a desktop window.
SHOT_WIDTHS = (375, 1280)


def screenshots(driver, name, widths=SHOT_WIDTHS):
    """Saves var/screenshots/<name>-<width>.png at each width (a phone-sized
    viewport is emulated with CDP, as Chromium's window cannot be that
    narrow), and fails if the page itself scrolls sideways at that width
    (wide tables must scroll inside their own box).  Returns the paths."""
    paths = []
    try:
        for w in widths:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": w, "height": 800, "deviceScaleFactor": 1, "mobile": w < 600})
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth;")
            assert overflow <= 0, "%s: the page is %d px wider than %d px" % (name, overflow, w)
            paths.append(screenshot(driver, "%s-%d" % (name, w)))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return paths


def declared(site, **kw):
    """wizard.declared() from here: it reads the mails with the integration
    harness, which it imports as `conftest` (the name pytest gives it when
    it runs tests/integration; alone, the browser suite must provide it)."""
    sys.modules.setdefault("conftest", harness)
    return wizard.declared(site, **kw)
