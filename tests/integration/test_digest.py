#!/usr/bin/python3
"""test_digest.py - members' digests from the real binary.

The bundled 2022 notices and the shipped example members (conf/members), one
notice's title made hostile (<script>, CRLF + "Bcc:"); keys from `bidbroker
keygen`.  Checks:
  - `digest --preview` writes nothing (no digest row, no link key), and
    without the link key carries no one-click header;
  - `digest --send` composes each member's digest once; again: "composed
    before", and `digest --member M` prints the very same bytes (same
    Message-ID) as a preview does;
  - the message, parsed with Python's email package: multipart/alternative,
    text/plain then text/html, quoted-printable lines <= 76, CRLF only,
    RFC 2047 subject with the count and "£", the hostile title escaped in the
    HTML and no header injected, List-Unsubscribe with the signed https URL and
    a mailto, List-Unsubscribe-Post; both DKIM signatures verified by dkimpy
    with the keygen records, h= covering both unsubscribe headers;
  - the cap: max_items = 2 leaves the rest counted and they come next week;
  - a changed item: the deadline moved is said in the next digest, an
    unchanged one is not sent again;
  - feasibility: min_working_days drops a deadline too near, counted.
"""
import copy
import email
import email.policy
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

import dkim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matchutil import BIN, Env, OCDS, TOP, fail  # noqa: E402

DOMAIN = "brokerage.example.org"
# as a feed sends it: entities (ingest decodes them to "<script>"), CRLF
TITLE = ("&lt;script&gt;alert(1)&lt;/script&gt; x < y & z\r\nBcc: victim@example.org "
         "Remedial Works")
NOW = "2022-10-24T12:00:00Z"            # a Monday; fixit-futures' day is Wednesday
NEXT_WEEK = "2022-10-26T12:00:00Z"      # Wednesday, after 07:00: the next period
MEMBER = "fixit-futures"


def hostile_fixture(d):
    """The 20 Oct 2022 page with the Remedial Works tender's title hostile."""
    with open(os.path.join(OCDS, "cf-search-2022-10-20-page1.json")) as f:
        page = json.load(f)
    hit = [r for r in page["releases"] if "Remedial Works" in r.get("tender", {}).get("title", "")]
    if len(hit) != 1:
        fail("the fixture changed: %d Remedial Works releases" % len(hit))
    hit[0]["tender"]["title"] = TITLE
    path = os.path.join(d, "hostile.json")
    with open(path, "w") as f:
        json.dump(page, f)
    return path, hit[0]


def moved_fixture(d, release):
    """A later release of the same tender with its deadline moved a week on."""
    r = copy.deepcopy(release)
    r["date"] = "2022-10-25T10:00:00+01:00"
    r["tender"]["tenderPeriod"]["endDate"] = "2022-11-11T23:59:59Z"
    path = os.path.join(d, "moved.json")
    with open(path, "w") as f:
        json.dump({"uri": "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/"
                   "Search", "releases": [r]}, f)
    return path


def message(env, *args, now):
    """The bytes `bidbroker digest ARGS` writes (CRLF kept)."""
    p = subprocess.run([BIN, "--config", env.conf, "--now", now, "digest", *args],
                       capture_output=True, timeout=120)
    if p.returncode != 0 or b"Sanitizer" in p.stderr or b"runtime error" in p.stderr:
        fail("digest %s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr.decode()))
    return p.stdout


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def records(env):
    txt = {}
    for sel, extra in (("ed", []), ("rsa", ["--rsa"])):
        p = env.run("keygen", "--selector", sel, "--domain", DOMAIN, "--dir",
                    os.path.join(env.dir, "dkim"), *extra)
        txt[sel] = "".join(re.findall(r'"([^"]*)"', p.stdout))
    return txt


def check_message(raw, txt):
    if b"\n" in raw.replace(b"\r\n", b"") or b"\r" in raw.replace(b"\r\n", b""):
        fail("a bare LF or CR in the message")
    head, _, body = raw.partition(b"\r\n\r\n")
    if re.search(rb"(?im)^bcc:", head):
        fail("a Bcc header was injected:\n" + head.decode())
    if not re.search(rb"(?m)^Subject: =\?UTF-8\?Q\?", head):
        fail("the subject is not RFC 2047 encoded:\n" + head.decode())
    msg = parse(raw)
    subject = str(msg["Subject"])
    if "£25,000" not in subject or not re.search(r"\b\d+ opportunit", subject):
        fail("subject without the count and £: %r" % subject)
    if msg.get_content_type() != "multipart/alternative":
        fail("not multipart/alternative: " + msg.get_content_type())
    parts = msg.get_payload()
    if [p.get_content_type() for p in parts] != ["text/plain", "text/html"]:
        fail("parts: %s" % [p.get_content_type() for p in parts])
    for line in body.split(b"\r\n"):
        if len(line) > 76 or line.endswith((b" ", b"\t")):
            fail("a body line of %d (or with trailing space): %r" % (len(line), line))
    html = parts[1].get_content()
    text = parts[0].get_content()
    if "<script>" in html or \
            "&lt;script&gt;alert(1)&lt;/script&gt; x &lt; y &amp; z Bcc: victim" not in html:
        fail("the hostile title is not escaped in the HTML")
    if "<script>alert(1)</script> x < y & z Bcc: victim" not in text or "\nBcc:" in text:
        fail("the hostile title is not on one line in the text part")
    lu = str(msg["List-Unsubscribe"])
    if not re.fullmatch(r"<https://%s/unsubscribe/[A-Za-z0-9_-]+>, <mailto:[^>]+>" %
                        re.escape(DOMAIN), lu):
        fail("List-Unsubscribe: %r" % lu)
    if str(msg["List-Unsubscribe-Post"]) != "List-Unsubscribe=One-Click":
        fail("List-Unsubscribe-Post: %r" % msg["List-Unsubscribe-Post"])
    if not re.search(r'href="https://%s/l/[A-Za-z0-9_-]+"' % re.escape(DOMAIN), html):
        fail("no signed interested link in the HTML")
    if str(msg["Message-ID"]) != "<digest.2022-10-19.%s@%s>" % (MEMBER, DOMAIN):
        fail("Message-ID: %r" % msg["Message-ID"])

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        for s, t in txt.items():
            if name.rstrip(".") == "%s._domainkey.%s" % (s, DOMAIN):
                return t.encode()
        return None

    sigs = [v for k, v in email.message_from_bytes(raw).items() if k.lower() == "dkim-signature"]
    if len(sigs) != 2:
        fail("%d DKIM signatures" % len(sigs))
    d = dkim.DKIM(raw)
    algs = set()
    for i in range(2):
        tags = dict(t.split("=", 1) for t in re.sub(r"\s+", "", sigs[i]).split(";") if t)
        algs.add(tags["a"])
        h = tags["h"].lower().split(":")
        for f in ("from", "to", "subject", "date", "message-id", "mime-version",
                  "content-type", "list-id", "list-unsubscribe", "list-unsubscribe-post"):
            if f not in h:
                fail("%s not signed by %s" % (f, tags["a"]))
        if not d.verify(idx=i, dnsfunc=dnsfunc):
            fail("the %s signature does not verify" % tags["a"])
    if algs != {"ed25519-sha256", "rsa-sha256"}:
        fail("signatures: %s" % algs)
    return msg


def counts(out, period):
    m = re.search(r"^%s %s: composed \((\d+) items?, (\d+) more waiting, (\d+) too close"
                  % (MEMBER, period), out, re.M)
    if not m:
        fail("digest --send said:\n" + out)
    return tuple(int(x) for x in m.groups())


def digest_rows(env):
    db = os.path.join(env.state, "bidbroker.db")
    with sqlite3.connect(db) as c:
        return c.execute("SELECT member, period, items, overflow, infeasible FROM digest"
                         " ORDER BY member, period").fetchall()


def main():
    env = Env(members=os.path.join(TOP, "conf", "members"))
    try:
        with open(env.conf, "a") as f:
            f.write("[http]\nlisten =\npublic_url = https://%s/\n"
                    "[mail]\nfrom = digest@%s\nfrom_name = The Brokerage\n"
                    "templates = %s\n"
                    "[dkim]\ndomain = %s\ned25519_selector = ed\ned25519_key = dkim/ed.private\n"
                    "rsa_selector = rsa\nrsa_key = dkim/rsa.private\n"
                    % (DOMAIN, DOMAIN, os.path.join(TOP, "conf", "digest"), DOMAIN))
        txt = records(env)
        env.run("check-config")
        hostile, release = hostile_fixture(env.dir)
        env.run("ingest", hostile, os.path.join(OCDS, "cf-search-2022-10-22-page1.json"), now=NOW)
        env.run("match", now=NOW)

        # a preview writes nothing, and without the link key has no one-click link
        pre = parse(message(env, "--member", MEMBER, "--preview", now=NOW))
        if digest_rows(env) or os.path.exists(os.path.join(env.state, "link.key")):
            fail("--preview wrote something")
        if pre["List-Unsubscribe-Post"] is not None or "mailto:" not in str(pre["List-Unsubscribe"]):
            fail("a preview without a link key: %r" % pre["List-Unsubscribe"])

        # --send: each member's digest once
        p = env.run("digest", "--send", now=NOW)
        total = counts(p.stdout, "2022-10-19")
        if total[0] < 5 or total[1:] != (0, 0):
            fail("digest --send said:\n" + p.stdout)
        first = digest_rows(env)
        # queued in the same transaction as recorded, then delivered into the
        # default transport (STATE/maildir): one file per digest, the same
        # bytes the store keeps, each Message-ID once
        with sqlite3.connect(os.path.join(env.state, "bidbroker.db")) as c:
            queued = c.execute("SELECT d.member, o.message_id, o.state, o.bytes FROM digest d"
                               " JOIN outbox o ON o.id = d.outbox_id"
                               " WHERE d.message_id IS NOT NULL").fetchall()
            composed = c.execute("SELECT count(*) FROM digest"
                                 " WHERE message_id IS NOT NULL").fetchone()[0]
        if not queued or len(queued) != composed or any(r[2] != "sent" for r in queued):
            fail("digests not queued and sent: %d composed, outbox %r"
                 % (composed, [r[:3] for r in queued]))
        newdir = os.path.join(env.state, "maildir", "new")
        files = sorted(os.listdir(newdir)) if os.path.isdir(newdir) else []
        if len(files) != composed:
            fail("maildir has %d messages for %d digests" % (len(files), composed))
        delivered = set()
        for fn in files:
            with open(os.path.join(newdir, fn), "rb") as f:
                delivered.add(f.read())
        if delivered != {bytes(r[3]) for r in queued}:
            fail("the maildir messages are not the bytes the outbox stored")
        again = env.run("digest", "--send", now=NOW).stdout
        if "%s 2022-10-19: composed before" % MEMBER not in again or digest_rows(env) != first:
            fail("a second --send composed again:\n" + again)
        if len(os.listdir(newdir)) != composed:
            fail("a second --send delivered again: %d messages" % len(os.listdir(newdir)))
        raw = message(env, "--member", MEMBER, now=NOW)
        raw2 = message(env, "--member", MEMBER, "--preview", now="2022-10-25T09:00:00Z")
        if raw != raw2:
            fail("the stored digest is not returned as it was")
        msg = check_message(raw, txt)
        text = msg.get_payload()[0].get_content()
        if "Value: value not stated" not in text or "Deadline: 4 Nov 2022 23:59 GMT" not in text:
            fail("item facts missing:\n" + text)
        if "Why it matched:" not in text or "no pre-qualification stage allowed" not in text:
            fail("why / below-threshold rule missing:\n" + text)

        # next week: nothing changed -> no digest (send_empty = no); the deadline
        # of one moved -> it comes back saying so
        env.run("ingest", moved_fixture(env.dir, release), now=NEXT_WEEK)
        env.run("match", now=NEXT_WEEK)
        nxt = parse(message(env, "--member", MEMBER, "--preview", now=NEXT_WEEK))
        t2 = nxt.get_payload()[0].get_content()
        if "Your digest: 1 opportunity under £25,000, 1 changed" != str(nxt["Subject"]):
            fail("next week's subject: %r" % nxt["Subject"])
        if "What changed: deadline moved to 11 Nov 2022 23:59 GMT (was 4 Nov 2022 23:59 GMT)" \
                not in t2:
            fail("the change is not said:\n" + t2)

        # the cap and feasibility, on a fresh state: two items, the rest counted and
        # sent the week after; a deadline within 6 working days dropped and counted
        shutil.rmtree(env.state)
        conf = open(env.conf).read().replace("[mail]\n", "[mail]\nmax_items = 2\n"
                                             "min_working_days = 6\n")
        with open(env.conf, "w") as f:
            f.write(conf)
        env.run("ingest", hostile, os.path.join(OCDS, "cf-search-2022-10-22-page1.json"), now=NOW)
        env.run("match", now=NOW)
        p = env.run("digest", "--send", "--member", MEMBER, now=NOW)
        # 31 Oct 2022 is 5 working days after Monday 24 Oct: too near for 6
        got = counts(p.stdout, "2022-10-19")
        if got != (2, total[0] - 3, 1):
            fail("cap/feasibility (of %d): %s\n%s" % (total[0], got, p.stdout))
        m = parse(message(env, "--member", MEMBER, now=NOW))
        body = m.get_payload()[0].get_content()
        if "%d more matched opportunities will come in your next digest" % got[1] not in body \
                or "1 matched opportunity closing in fewer than 6 working days" not in body:
            fail("overflow / infeasible not counted:\n" + body)
        p = env.run("digest", "--send", "--member", MEMBER, now=NEXT_WEEK)
        nxt = counts(p.stdout, "2022-10-26")
        # what waited comes now (or is too close by now); the too close stays too close
        if nxt[0] != min(2, got[1]) or sum(nxt) != got[1] + got[2] or nxt[2] < 1:
            fail("the overflow did not come the next week: %s\n%s" % (nxt, p.stdout))
        with sqlite3.connect(os.path.join(env.state, "bidbroker.db")) as c:
            n = c.execute("SELECT count(DISTINCT opportunity_id), count(*) FROM digest_item"
                          " WHERE member = ?", (MEMBER,)).fetchone()
        if n != (2 + nxt[0],) * 2:
            fail("digest_item rows: %s (each opportunity once)" % (n,))
    finally:
        env.cleanup()
    print("test_digest: ok")


if __name__ == "__main__":
    main()
