#!/usr/bin/python3
"""test_digest_daemon.py - the daemon's digest scheduler (daemon/digestsvc.c).

An Atom feed on 127.0.0.1 with today's dates; a grounds member whose
digest_day is today (London) and [mail] digest_time 00:00, so its slot has
passed.  `bidbroker poll` and `match` store and match the feed's entry; then
`bidbroker run`:
  - composes the member's digest on its timer (a digest row with the message,
    its item recorded), logged; the message verifies with dkimpy;
  - a restart composes no second digest for the period, however many passes;
  - a member without an email address gets none;
  - SIGTERM: exit 0.
Run with /usr/bin/python3; env BIDBROKER, TOP.
"""
import datetime
import http.server
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from zoneinfo import ZoneInfo

import dkim

BIN = os.environ["BIDBROKER"]
TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
DEADLINE = 30
DOMAIN = "brokerage.example.org"


def fail(msg, log=None):
    if log:
        msg += "\n--- daemon log ---\n" + log[-3000:]
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def atom():
    pub = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Council</title>'
            '<id>urn:test:feed</id><updated>%s</updated>'
            '<entry><id>urn:test:grounds-1</id><title>Grounds maintenance of community parks'
            '</title><updated>%s</updated><published>%s</published>'
            '<link href="https://example.org/grounds-1"/>'
            '<summary>Grass cutting, hedge trimming and litter picking in three parks.'
            '</summary><category term="77310000"/></entry></feed>' % (pub, pub, pub)).encode()


class Server:
    def __init__(self):
        body = atom()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def london_weekday():
    """Today's weekday in London (the digest's clock)."""
    return datetime.datetime.now(ZoneInfo("Europe/London")).strftime("%A").lower()


def run(args, conf):
    p = subprocess.run([BIN, "--config", conf, *args], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        fail("%s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def rows(state):
    db = os.path.join(state, "bidbroker.db")
    try:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT member, period, items, message FROM digest").fetchall()
    except sqlite3.OperationalError:
        return []


def wait_for(cond, what, logf):
    end = time.time() + DEADLINE
    while time.time() < end:
        if cond():
            return
        time.sleep(0.2)
    fail("timed out waiting for " + what, open(logf).read())


def main():
    srv = Server()
    d = tempfile.mkdtemp(prefix="bb-ddigest-")
    proc = None
    try:
        os.mkdir(os.path.join(d, "members"))
        shutil.copy(os.path.join(TOP, "conf", "capabilities.conf"), d)
        shutil.copy(os.path.join(TOP, "conf", "cpv-coverage.conf"), d)
        day = london_weekday()
        with open(os.path.join(d, "members", "test-grounds.conf"), "w") as f:
            f.write("[member]\nid = test-grounds\nname = Test Grounds\n"
                    "email = bids@test-grounds.example\ncapabilities = grounds\n"
                    "digest_day = %s\n" % day)
        with open(os.path.join(d, "members", "no-address.conf"), "w") as f:
            f.write("[member]\nid = no-address\nname = No Address\ncapabilities = grounds\n"
                    "digest_day = %s\n" % day)
        conf = os.path.join(d, "bidbroker.conf")
        with open(conf, "w") as f:
            f.write("[bidbroker]\nstate_dir = state\nlog_level = info\n"
                    "[match]\ntaxonomy = capabilities.conf\nmembers = members\n"
                    "match_delay = 0.2s\n"
                    "[http]\nlisten =\n"
                    "[mail]\nfrom = digest@%s\ndigest_time = 00:00\ninterval = 1s\n"
                    "templates = %s\n"
                    "[dkim]\ndomain = %s\ned25519_selector = ed\ned25519_key = dkim/ed.private\n"
                    "[source council]\ntype = feed\nurl = http://127.0.0.1:%d/feed.atom\n"
                    "interval = 1h\nmin_interval = 0.05s\n"
                    % (DOMAIN, os.path.join(TOP, "conf", "digest"), DOMAIN, srv.port))
        kg = run(["keygen", "--selector", "ed", "--domain", DOMAIN, "--dir",
                  os.path.join(d, "dkim")], conf)
        txt = "".join(re.findall(r'"([^"]*)"', kg.stdout)).encode()
        run(["poll", "--no-progress"], conf)
        run(["match"], conf)
        state = os.path.join(d, "state")
        logf = os.path.join(d, "daemon.log")
        proc = subprocess.Popen([BIN, "--config", conf, "run"], stdout=subprocess.DEVNULL,
                                stderr=open(logf, "w"))
        wait_for(lambda: len(rows(state)) == 1, "the digest to be composed", logf)
        member, period, items, message = rows(state)[0]
        if member != "test-grounds" or items != 1 or not message:
            fail("digest row: %r" % ((member, period, items),), open(logf).read())
        wait_for(lambda: "digest for test-grounds (%s): 1 item" % period in open(logf).read(),
                 "the digest to be logged", logf)
        ok = dkim.DKIM(bytes(message)).verify(
            dnsfunc=lambda name, timeout=5: txt if b"ed._domainkey" in
            (name if isinstance(name, bytes) else name.encode()) else None)
        if not ok:
            fail("the daemon's digest does not verify", open(logf).read())
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=DEADLINE) != 0:
            fail("exit status %d after SIGTERM" % proc.returncode, open(logf).read())

        # a restart: passes every second, no second digest for the period
        proc = subprocess.Popen([BIN, "--config", conf, "run"], stdout=subprocess.DEVNULL,
                                stderr=open(logf, "a"))
        wait_for(lambda: open(logf).read().count("digests for 2 members") == 2,
                 "the restarted scheduler", logf)
        time.sleep(3)
        if len(rows(state)) != 1 or rows(state)[0][3] != message:
            fail("a restart changed the digests: %r" % [r[:3] for r in rows(state)],
                 open(logf).read())
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=DEADLINE) != 0:
            fail("exit status %d after SIGTERM" % proc.returncode, open(logf).read())
        log = open(logf).read()
        for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if m in log:
                fail("sanitizer report", log)
        proc = None
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    print("ok: the daemon composes a due digest once, across a restart")


main()
