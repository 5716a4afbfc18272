"""A real mail server (Debian's exim4-daemon-light) instead of
build/sa-sendmail: the module hands each mail to exim's sendmail interface
(`exim4 -C <conf> -i -f <sender> -- <recipient>`), exim queues it, and the
exim daemon of this test (listening on 127.0.0.1 only) delivers it into a
Maildir under the test's folder.  The applicant declares, reads the
受付確認 mail from that mailbox, opens its link, and finds the 完了 mail
with the numbers there too.  Runs on every backend of SA_BACKENDS.

Nothing of the system's exim is used: not its service, not its
configuration (/etc/exim4), not its spool.  Exim only trusts a -C file
for a non-root caller when it is listed in /etc/exim4/trusted_configs
(TRUSTED_CONFIG_LIST), which this test does not touch; so when httpd's
child (www-data) runs exim, exim gives up its root privilege ("exim user
lost privilege for using -C option", written to stderr — httpd's error
log) and works as www-data, which is why the config names www-data as
exim_user and owns the spool and the mailbox to it.  The daemon, started
by the test as root, delivers from that spool as www-data as well."""
import email
import email.policy
import glob
import os
import pwd
import re
import smtplib
import socket
import subprocess
import time

import pytest

from conftest import BACKENDS, RUN_DIR, Site, body, check_error_log, free_port, subject
from wizard import CORP, ONE_STAR, declare, location, verify_link

EXIM = "/usr/sbin/exim4"
DOMAIN = "example.co.jp"           # the test domain: every local part is accepted
SENDER = "security-action@localhost"

CONF = """\
# exim configuration of one test run: local delivery only, no DNS.
primary_hostname = mta.sa-test.invalid
qualify_domain = localhost
exim_user = {user}
exim_group = {group}
trusted_users = {user}
spool_directory = {root}/spool
log_file_path = {root}/log/%slog
pid_file_path = {root}/exim.pid
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = {port}
domainlist local_domains = {domain}
acl_smtp_rcpt = acl_rcpt
# a submission is only queued; the daemon's queue runner (-q1s) delivers it
queue_only = true
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
message_size_limit = 1M
timeout_frozen_after = 1h

begin acl
acl_rcpt:
  accept domains = +local_domains
  deny   message = relay not permitted

begin routers
# any recipient at the test domain; nothing else is routable (no dnslookup)
local_all:
  driver = accept
  domains = +local_domains
  transport = local_maildir
  no_more

begin transports
local_maildir:
  driver = appendfile
  directory = {root}/Maildir
  maildir_format
  create_directory
  user = {user}
  group = {group}
  mode = 0640
  envelope_to_add
  return_path_add
  delivery_date_add

begin retry
*   *   F,1h,1s
"""


def port_open(port, host="127.0.0.1"):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class Exim:
    """An exim daemon of the test's own, with its config, spool, logs and
    Maildir under var/test/run-<pid>/mta-<port>."""

    def __init__(self):
        self.port = free_port()
        self.root = os.path.join(RUN_DIR, "mta-%d" % self.port)
        self.conf = os.path.join(self.root, "exim.conf")
        self.maildir = os.path.join(self.root, "Maildir")
        self.proc = None
        # httpd's children run as www-data when the tests run as root
        # (tests/genconf.py), as the caller otherwise
        self.user = "www-data" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        pw = pwd.getpwnam(self.user)
        for d in ("spool", "log", "Maildir"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONF.format(user=self.user, group=self.user, root=self.root, port=self.port,
                                domain=DOMAIN))
        os.chmod(self.conf, 0o644)
        if os.geteuid() == 0:
            for d in ("", "spool", "log", "Maildir"):
                os.chown(os.path.join(self.root, d), pw.pw_uid, pw.pw_gid)

    def sendmail(self):
        """The SecActionSendmail directive that points the site at this MTA
        (it comes after conf/httpd.conf.in's one, and the last one wins)."""
        return 'SecActionSendmail "%s" -C "%s"\n' % (EXIM, self.conf)

    def start(self):
        out = open(os.path.join(self.root, "daemon.stderr"), "ab")
        # -bdf: the daemon stays in the foreground, a child of this test,
        # so that stop() ends it; -q1s: a queue run every second
        self.proc = subprocess.Popen([EXIM, "-C", self.conf, "-bdf", "-q1s", "-oX", str(self.port)],
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        out.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("exim exited %s: %s" % (self.proc.returncode, self.logs()))
            if port_open(self.port):
                return self
            time.sleep(0.1)
        raise RuntimeError("exim does not listen on 127.0.0.1:%d: %s" % (self.port, self.logs()))

    def _pids(self):
        """Every exim process of this config (daemon, queue runners, deliveries)."""
        pids = []
        for d in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                if self.conf.encode() in open(d, "rb").read().split(b"\0"):
                    pids.append(int(d.split("/")[2]))
            except OSError:
                pass
        return pids

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        deadline = time.time() + 5
        while self._pids() and time.time() < deadline:
            time.sleep(0.1)
        for pid in self._pids():              # a queue runner that outlived the daemon
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass

    def logs(self):
        text = ""
        for path in sorted(glob.glob(os.path.join(self.root, "log", "*"))) + \
                [os.path.join(self.root, "daemon.stderr")]:
            try:
                text += open(path, encoding="utf-8", errors="replace").read()
            except OSError:
                pass
        return text[-4000:]

    def messages(self, addr=None):
        """Delivered messages (Maildir new/ and cur/), oldest first, parsed."""
        paths = glob.glob(os.path.join(self.maildir, "new", "*")) + \
            glob.glob(os.path.join(self.maildir, "cur", "*"))
        out = []
        for path in sorted(paths, key=lambda p: (os.path.getmtime(p), p)):
            with open(path, "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            if addr is None or addr in [a.addr_spec for a in msg["To"].addresses]:
                out.append((raw, msg))
        return out

    def wait(self, addr, count, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.messages(addr)
            if len(got) >= count:
                return got
            time.sleep(0.2)
        raise AssertionError("%d mail(s) to %s not in the Maildir after %ss; exim:\n%s"
                             % (count, addr, timeout, self.logs()))


@pytest.fixture(scope="module")
def mta():
    if not os.access(EXIM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail("%s missing: make deps installs exim4-daemon-light" % EXIM)
        pytest.skip("%s missing (make deps installs exim4-daemon-light)" % EXIM)
    m = Exim()
    try:
        m.start()
        yield m
    finally:
        m.stop()
    assert not m._pids(), "exim processes left: %s" % m._pids()
    assert not port_open(m.port), "something still listens on 127.0.0.1:%d" % m.port


@pytest.fixture(params=BACKENDS)
def mta_site(request, mta):
    s = Site(request.param, mta.sendmail()).start()
    yield s
    s.stop()
    check_error_log(s)


def test_daemon_listens_on_loopback_and_relays_nothing(mta):
    with smtplib.SMTP("127.0.0.1", mta.port, timeout=5) as smtp:
        code, banner = smtp.ehlo("client.sa-test.invalid")
        assert code == 250, banner
        assert smtp.mail(SENDER)[0] == 250
        code, text = smtp.rcpt("someone@elsewhere.example")
        assert code == 550 and b"relay not permitted" in text, (code, text)
    # bound to 127.0.0.1 alone, not to every address (127.0.0.2 is loopback too)
    assert not port_open(mta.port, "127.0.0.2")


def test_declaration_through_a_real_mta(mta_site, mta):
    site = mta_site
    addr = "mta.%s@%s" % (os.urandom(4).hex(), DOMAIN)
    b = declare(site, CORP, ONE_STAR, addr)

    # 受付確認, as exim delivered it
    (raw, msg), = mta.wait(addr, 1)
    assert subject(msg) == "【SECURITY ACTION】一つ星：自己宣言受付確認のお知らせ"
    assert msg["Return-Path"] == "<%s>" % SENDER          # the envelope sender: -f was taken
    assert msg["Envelope-To"] == addr
    assert "with local (Exim" in str(msg["Received"])      # the sendmail interface
    assert msg["Sender"] is None                           # a trusted caller's -f: no Sender:
    assert [a.addr_spec for a in msg["From"].addresses] == [SENDER]
    assert msg["Message-ID"] is not None and len(msg.get_all("Message-ID")) == 1
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    link = verify_link(body(msg))
    assert link.startswith(site.base + "/entry/verify?t="), link

    # the link read from the mailbox completes the declaration
    r = b.open_link(link)
    assert location(r) == "/entry/complete", (r.status_code, r.text[:300])
    page = b.get("/entry/complete").text
    user_no = re.search(r'id="user-no"[^>]*>(\d{10})<', page).group(1)

    # 完了, with both numbers, as stored
    got = mta.wait(addr, 2)
    assert len(got) == 2
    done = got[1][1]
    assert subject(done) == "【SECURITY ACTION】一つ星：自己宣言完了のお知らせ"
    text = body(done)
    numbers = (re.search(r"利用者番号：(\d{10})", text).group(1),
               re.search(r"自己宣言ID：(\d{10})", text).group(1))
    assert numbers[0] == user_no
    assert site.sql("SELECT user_no, declaration_no, state FROM declaration WHERE email = '%s'"
                    % addr) == [[numbers[0], numbers[1], "declared"]]

    # both went through exim, none through build/sa-sendmail, none waits in the outbox
    assert glob.glob(os.path.join(site.maildir, "*.eml")) == []
    deadline = time.time() + 5
    while time.time() < deadline:
        rows = site.sql("SELECT kind, attempts, sent_at IS NOT NULL, message = '' FROM outbox "
                        "WHERE recipient = '%s' ORDER BY id" % addr)
        if all(r[2] in ("1", "t") for r in rows):
            break
        time.sleep(0.2)
    assert [(r[0], r[2], r[3]) for r in rows] in (
        [("received", "1", "1"), ("completed", "1", "1")],
        [("received", "t", "t"), ("completed", "t", "t")]), rows
    time.sleep(1.5)                                        # one more queue run: still two, once each
    assert len(mta.messages(addr)) == 2
