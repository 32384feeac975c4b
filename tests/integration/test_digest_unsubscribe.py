#!/usr/bin/python3
"""test_digest_unsubscribe.py — unsubscribing stops future digests.

The bundled 2022 notices and the shipped example members (conf/members),
DKIM keys from `bidbroker keygen`.  `bidbroker run` serves [http] on a free
127.0.0.1 port; the member's unsubscribe link (`bidbroker link M
unsubscribe`) gets the RFC 8058 one-click POST.  Then, with the daemon
stopped, the notices ingested and matched:
  - `digest --send` goes through every member as before but composes none
    for the unsubscribed one (it says "unsubscribed"; no digest row, nothing
    queued);
    `digest --member M --preview` says so too and prints no message;
  - after `members resubscribe M`, the next `digest --send` composes its
    digest again, with items (so there was something to stop);
  - /metrics counts the digests and their items.
Run with /usr/bin/python3; env BIDBROKER, TOP.
"""
import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matchutil import BIN, Env, OCDS, TOP, fail  # noqa: E402

DOMAIN = "brokerage.example.org"
NOW = "2022-10-24T12:00:00Z"            # a Monday; fixit-futures' day is Wednesday
MEMBER = "fixit-futures"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def digest_members(env):
    with sqlite3.connect(os.path.join(env.state, "bidbroker.db")) as c:
        return sorted(r[0] for r in c.execute("SELECT member FROM digest WHERE items > 0"))


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def with_daemon(env, port, fn):
    """bidbroker run (its log in run.log), fn(), stop; the log's text."""
    log = open(os.path.join(env.dir, "run.log"), "w+")
    proc = subprocess.Popen([BIN, "--config", env.conf, "run"], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        t0 = time.time()
        while "http: listening on" not in open(log.name).read():
            if proc.poll() is not None or time.time() - t0 > 15:
                fail("the daemon is not listening:\n" + open(log.name).read()[-3000:])
            time.sleep(0.05)
        fn()
    finally:
        proc.terminate()
        rc = proc.wait(20)
        text = open(log.name).read()
        log.close()
    if rc != 0 or "Sanitizer" in text or "runtime error" in text:
        fail("the daemon exited %d:\n%s" % (rc, text[-3000:]))
    return text


def unsubscribe_by_link(env, port):
    """The one-click POST to the member's link, served by the daemon."""
    url = env.run("link", MEMBER, "unsubscribe").stdout.strip()
    m = re.fullmatch(r"https://%s/(unsubscribe/[A-Za-z0-9_-]+)" % re.escape(DOMAIN), url)
    if m is None:
        fail("link printed %r" % url)

    def post():
        st, body = request(port, "POST", "/" + m.group(1), b"List-Unsubscribe=One-Click",
                           {"Content-Type": "application/x-www-form-urlencoded"})
        if st != 200 or body != b"unsubscribed\n":
            fail("one-click POST: %d %r" % (st, body))
    text = with_daemon(env, port, post)
    if "member %s unsubscribed (one-click)" % MEMBER not in text:
        fail("no log line of the unsubscription:\n" + text[-3000:])


def check_metrics(env, port):
    """/metrics counts the digests and their items as the store holds them."""
    with sqlite3.connect(os.path.join(env.state, "bidbroker.db")) as c:
        want = {"bidbroker_digests": c.execute("SELECT count(*) FROM digest").fetchone()[0],
                "bidbroker_digest_items":
                    c.execute("SELECT count(*) FROM digest_item").fetchone()[0],
                "bidbroker_members_unsubscribed": 0}
    if want["bidbroker_digest_items"] < 1:
        fail("no digest items to count")

    def get():
        st, body = request(port, "GET", "/metrics")
        text = body.decode()
        for k, v in want.items():
            if not re.search(r"^%s %d$" % (k, v), text, re.M):
                fail("/metrics: want %s %d:\n%s" % (k, v, text))
    with_daemon(env, port, get)


def main():
    env = Env(members=os.path.join(TOP, "conf", "members"))
    port = free_port()
    try:
        with open(env.conf) as f:            # the daemon's "listening" is a notice
            conf = f.read().replace("log_level = warning", "log_level = notice")
        with open(env.conf, "w") as f:
            # one source, disabled: the built-in pair would poll the live services
            f.write(conf + "[source off]\ntype = feed\nurl = http://127.0.0.1:9/\n"
                    "enabled = no\n"
                    "[http]\nlisten = 127.0.0.1:%d\npublic_url = https://%s/\n"
                    "[mail]\nfrom = digest@%s\nfrom_name = The Brokerage\n"
                    "templates = %s\n"
                    "[dkim]\ndomain = %s\ned25519_selector = ed\ned25519_key = dkim/ed.private\n"
                    "rsa_selector = rsa\nrsa_key = dkim/rsa.private\n"
                    % (port, DOMAIN, DOMAIN, os.path.join(TOP, "conf", "digest"), DOMAIN))
        for sel, extra in (("ed", []), ("rsa", ["--rsa"])):
            env.run("keygen", "--selector", sel, "--domain", DOMAIN, "--dir",
                    os.path.join(env.dir, "dkim"), *extra)
        # first, on an empty store: the daemon's own match pass (at today's
        # date) would withdraw the 2022 matches
        unsubscribe_by_link(env, port)
        env.run("ingest", os.path.join(OCDS, "cf-search-2022-10-20-page1.json"),
                os.path.join(OCDS, "cf-search-2022-10-22-page1.json"), now=NOW)
        env.run("match", now=NOW)

        p = env.run("digest", "--send", now=NOW)
        if not re.search(r"^%s \S+: unsubscribed" % MEMBER, p.stdout, re.M):
            fail("digest --send did not say the member unsubscribed:\n" + p.stdout)
        if MEMBER in digest_members(env):
            fail("a digest composed for the unsubscribed member:\n" + p.stdout)
        others = re.findall(r"^(\S+) \S+: (.*)$", p.stdout, re.M)
        if len(others) < 3 or any(m != MEMBER and "unsubscribed" in why for m, why in others):
            fail("the other members' digests:\n" + p.stdout)
        with sqlite3.connect(os.path.join(env.state, "bidbroker.db")) as c:
            # (the daemon's digest service may have noted an empty period for
            # it before the unsubscription: no message, nothing sent)
            n = c.execute("SELECT count(*) FROM digest WHERE member = ?"
                          " AND message_id IS NOT NULL", (MEMBER,)).fetchone()
        if n != (0,):
            fail("a digest row for the unsubscribed member: %s" % (n,))
        p = env.run("digest", "--member", MEMBER, "--preview", now=NOW)
        if "Subject:" in p.stdout or "unsubscribed" not in p.stdout + p.stderr:
            fail("preview for the unsubscribed member:\n" + p.stdout + p.stderr)

        p = env.run("members", "resubscribe", MEMBER)
        if "resubscribed %s" % MEMBER not in p.stdout:
            fail("resubscribe: " + p.stdout)
        p = env.run("digest", "--send", now=NOW)
        if not re.search(r"^%s \S+: composed \([1-9]" % MEMBER, p.stdout, re.M):
            fail("no digest after resubscribing:\n" + p.stdout)
        if MEMBER not in digest_members(env):
            fail("no digest row after resubscribing: %s" % digest_members(env))
        check_metrics(env, port)
    finally:
        env.cleanup()
    print("test_digest_unsubscribe: ok")


if __name__ == "__main__":
    main()
