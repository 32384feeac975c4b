"""An SMTP server on 127.0.0.1 for the outbox tests (aiosmtpd, Debian's
python3-aiosmtpd: run with /usr/bin/python3), and helpers that queue messages
in a state directory and run the real binary.

Sink(dir) listens on a free port with STARTTLS (a self-signed certificate
made at start with `openssl req`, written to dir/cert.pem for [mail] tls_ca)
required before AUTH (PLAIN or LOGIN, user "bb", password "s3cret"), and
keeps every message it accepted, byte for byte.  Faults are planned per
command: sink.plan["rcpt"] and sink.plan["data"] are lists consumed one per
RCPT / DATA command; an entry is None (accept), a reply ("451 4.3.0 later"),
"drop" (DATA only: keep the message, then close the connection without a
reply) or ("slow", SECONDS) (DATA only: keep it, wait, then 250).
"""
import asyncio
import atexit
import json
import logging
import os
import shutil
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from httputil import free_port
from aiosmtpd.smtp import AuthResult, LoginPassword
import warnings

warnings.filterwarnings("ignore", message="Session.login_data")

BIN = os.environ.get("BIDBROKER") or sys.exit("BIDBROKER is not set")
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
USER, PASSWORD = "bb", "s3cret"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


_CERT_DIR = None


def make_cert():
    """A self-signed certificate for 127.0.0.1 (P-256), made once per test run."""
    global _CERT_DIR
    if _CERT_DIR is None:
        _CERT_DIR = tempfile.mkdtemp(prefix="smtpsink-cert.")
        atexit.register(shutil.rmtree, _CERT_DIR, True)
        cert, key = os.path.join(_CERT_DIR, "cert.pem"), os.path.join(_CERT_DIR, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(_CERT_DIR, "cert.pem"), os.path.join(_CERT_DIR, "key.pem")


class Sink:
    def __init__(self, dir, tls=True, auth=True):
        self.dir = dir
        self.messages = []          # (mail_from, [rcpt], bytes)
        self.ehlo = []              # EHLO names
        self.auth = []              # (mechanism, tls?) of each AUTH
        self.data_started = threading.Event()
        self.plan = {"rcpt": [], "data": []}
        self.lock = threading.Lock()
        self.port = free_port()
        self.cert = None
        kw = {}
        if tls:
            self.cert, key = make_cert()
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.cert, key)
            kw.update(tls_context=ctx, require_starttls=True)
        if auth:
            kw.update(authenticator=self._authenticate, auth_required=True,
                      auth_require_tls=tls)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kw)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def _next(self, what):
        with self.lock:
            return self.plan[what].pop(0) if self.plan[what] else None

    def _authenticate(self, server, session, envelope, mechanism, data):
        with self.lock:
            self.auth.append((mechanism, session.ssl is not None))
        ok = (isinstance(data, LoginPassword) and data.login == USER.encode()
              and data.password == PASSWORD.encode())
        return AuthResult(success=ok, handled=False)     # False: aiosmtpd answers 535

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.ehlo.append(hostname)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        fault = self._next("rcpt")
        if fault:
            return fault
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = self._next("data")
        self.data_started.set()
        if isinstance(fault, str) and fault[0] in "45":
            return fault
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  bytes(envelope.original_content or envelope.content)))
        if fault == "drop":
            server.transport.abort()
            return "250 OK"                 # never reaches the client
        if isinstance(fault, tuple) and fault[0] == "slow":
            await asyncio.sleep(fault[1])
        return "250 2.0.0 queued"

    def wait_messages(self, n, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        fail("the sink received %d messages, expected %d" % (len(self.messages), n))


def run(args, state, conf=None, check=None, timeout=60):
    cmd = [BIN] + (["--config", conf] if conf else []) + ["--state", state] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check is not None and p.returncode != check:
        fail("%s: exit %d, expected %d\nstdout: %s\nstderr: %s"
             % (" ".join(args), p.returncode, check, p.stdout, p.stderr))
    return p


def message(n, rcpt="info@member%d.example", mid=None):
    """A small message, CRLF, with a dot-started line and a long line."""
    rcpt = rcpt % n if "%d" in rcpt else rcpt
    mid = mid or "<digest-%d.test@cluster.example.org>" % n
    lines = ["From: \"Cluster brokerage\" <digests@cluster.example.org>",
             "To: %s" % rcpt, "Subject: Weekly digest %d" % n, "Message-ID: %s" % mid,
             "Date: Wed, 02 Dec 2026 14:00:00 +0000", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8", "",
             "Digest %d." % n, ".a line starting with a dot", "x" * 70, ""]
    return rcpt, mid, "\r\n".join(lines).encode()


def enqueue(state, member, rcpt, mid, data, created=None):
    """Queue a message the way outbox_enqueue does (the store must exist)."""
    now = int(time.time()) if created is None else created
    db = sqlite3.connect(os.path.join(state, "bidbroker.db"), timeout=10)
    with db:
        cur = db.execute("INSERT INTO outbox (member, rcpt, message_id, bytes, state, attempts,"
                         " next_attempt, created, updated) VALUES (?, ?, ?, ?, 'queued', 0, ?,"
                         " ?, ?)", (member, rcpt, mid, data, now, now, now))
        rowid = cur.lastrowid
    db.close()
    return rowid


def make_due(state, i):
    """Message i's next attempt is now (the back-off has passed)."""
    db = sqlite3.connect(os.path.join(state, "bidbroker.db"), timeout=10)
    with db:
        db.execute("UPDATE outbox SET next_attempt = ? WHERE id = ?", (int(time.time()), i))
    db.close()


def outbox(state, conf=None):
    """The outbox as `bidbroker outbox --json` lists it: {id: row}."""
    p = run(["outbox", "--json"], state, conf, check=0)
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return {r["id"]: r for r in rows}


def write_conf(dir, sink=None, extra="", transport=None, listen=""):
    """A config with no sources polled, no HTTP server (or one on listen) and
    [mail] pointing at sink (STARTTLS, its certificate, AUTH) or at
    transport."""
    creds = os.path.join(dir, "smtp.credentials")
    with open(creds, "w") as f:
        f.write("%s:%s\n" % (USER, PASSWORD))
    os.chmod(creds, 0o600)
    mail = "[mail]\n"
    if sink is not None:
        mail += "transport = smtp://127.0.0.1:%d\ncredentials = %s\nhelo = bb.test.example\n" % (
            sink.port, creds)
        if sink.cert:
            mail += "tls_ca = %s\n" % sink.cert
        else:
            mail += "starttls = no\n"
    elif transport is not None:
        mail += "transport = %s\n" % transport
    mail += "retry = 1s\nretry_max = 2s\nconnect_timeout = 5s\n" + extra
    conf = os.path.join(dir, "bidbroker.conf")
    with open(conf, "w") as f:
        f.write("[source none]\ntype = feed\nurl = http://127.0.0.1:9/feed\nenabled = no\n\n"
                "[http]\nlisten = %s\n\n" % listen + mail)
    return conf


def wait_for(what, fn, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    fail("timed out waiting for " + what)


class Daemon:
    """`bidbroker run`, its output in dir/daemon.log."""

    def __init__(self, dir, conf, state):
        self.log = open(os.path.join(dir, "daemon.log"), "a")
        self.p = subprocess.Popen([BIN, "--config", conf, "--state", state, "run"],
                                  stdout=self.log, stderr=self.log)

    def kill(self, sig=signal.SIGKILL):
        self.p.send_signal(sig)
        return self.p.wait(timeout=10)


def make_store(state, conf):
    """The store, made by a --send that finds nothing to send."""
    run(["outbox", "--send"], state, conf, check=0)


def run_cases(cases):
    """Run (name, fn(dir)) cases, or those named on the command line, each in
    a directory of its own; a failure shows the end of dir/daemon.log."""
    only = sys.argv[1:]
    for name, fn in cases:
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as d:
            try:
                fn(d)
            except SystemExit:
                log = os.path.join(d, "daemon.log")
                if os.path.exists(log):
                    sys.stderr.write(open(log).read()[-3000:])
                raise
        print("ok  " + name)
