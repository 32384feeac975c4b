#!/usr/bin/env python3
"""test_http_member.py — what members do from their digest: the signed links
(GET/POST /l/TOKEN, GET/POST /unsubscribe/TOKEN) and /metrics.

`bidbroker run` with [http] and an [anchor]; an opportunity with a hostile
title posted through the API; links minted with `bidbroker link`:
  - GET /l/TOKEN shows the opportunity (title escaped, buyer, deadline) and a
    confirm button, and records nothing (mail scanners fetch links); HEAD too;
  - POST records it (feedback row), again is idempotent (one row, clicks 2),
    the other link's POST replaces it (the last click wins), and the switch
    button of the page (a sibling token) switches back;
  - a token with its member, action or opportunity changed, or cut short,
    is answered 400, an expired one (minted with --now in the past) 410, a
    token of the other kind 400, a genuine one for an opportunity not stored
    404: HTML pages, nothing recorded;
  - GET /unsubscribe/TOKEN shows a confirm button and writes nothing; the
    RFC 8058 one-click POST (List-Unsubscribe=One-Click) answers 200
    text/plain and unsubscribes, again is idempotent (how stays one-click);
    `members resubscribe` and the page's button (how = page) work;
    `members unsubscribe` records how = staff;
  - `bidbroker feedback --json` shows the answers and the unsubscribed;
  - /metrics: feedback, unsubscribed, requests by route and status,
    opportunities by status, polls and poll errors by source (a good and a
    failing feed source on local servers), reloads after SIGHUP.
Run with /usr/bin/python3; env BIDBROKER, TOP.
"""
import base64
import http.server
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httputil import BIN, Daemon, TestFailure, check  # noqa: E402
import feedserver  # noqa: E402

PUBLIC = "https://bids.example.org"
HOSTILE = "<script>alert('x')</script> & \"Grounds\" <b>maintenance</b>"


class GoodFeed(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = feedserver.good_feed()
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class BadFeed(GoodFeed):
    def do_GET(self):
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()


def cli(d, *args, now=None):
    argv = [BIN, "-c", d.conf] + (["--now", now] if now else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def mint(d, *args, now=None):
    p = cli(d, "link", *args, now=now)
    check(p.returncode == 0 and p.stdout.startswith(PUBLIC + "/"),
          "link %r: %d %r %r" % (args, p.returncode, p.stdout, p.stderr))
    return p.stdout.strip()[len(PUBLIC):]


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def tamper(path, what):
    """The token of path with one field changed (layout in linktoken.h:
    version | action | expires 8 | opportunity 8 | member length | member | MAC)."""
    head, tok = path.rsplit("/", 1)
    raw = bytearray(b64d(tok))
    if what == "action":
        raw[1] = 2 if raw[1] == 1 else 1
    elif what == "opportunity":
        raw[17] ^= 1
    elif what == "member":
        raw[19] ^= 1                   # the member id's first byte
    elif what == "mac":
        raw[-1] ^= 0x80
    elif what == "short":
        raw = raw[:-3]
    return head + "/" + b64e(bytes(raw))


def forge(d, member, opp, action, expires):
    """A token signed with the daemon's key, made here (the layout and MAC of
    linktoken.h: HMAC-SHA-512 truncated to 128 bits), for cases `bidbroker
    link` refuses to make."""
    import hashlib
    import hmac
    import struct
    with open(os.path.join(d.dir, "state", "link.key"), "rb") as f:
        key = f.read()
    body = (struct.pack(">BBqqB", 1, action, expires, opp, len(member)) + member.encode())
    return b64e(body + hmac.new(key, body, hashlib.sha512).digest()[:16])


def feedback_rows(db):
    return db.execute("SELECT member, opportunity_id, action, clicks FROM feedback "
                      "ORDER BY member, opportunity_id").fetchall()


def unsub_rows(db):
    return db.execute("SELECT member, how, resubscribed IS NOT NULL FROM unsubscribe "
                      "ORDER BY member").fetchall()


def html_page(st, hdr, body, want_status):
    text = body.decode()
    check(st == want_status, "status %d, want %d: %s" % (st, want_status, text[-600:]))
    check(hdr.get("Content-Type", "").startswith("text/html"), "not HTML: %r" % hdr)
    check("script-src" not in hdr.get("Content-Security-Policy", "x") and
          "default-src 'none'" in hdr.get("Content-Security-Policy", ""),
          "no CSP: %r" % hdr)
    # the URL holds the member's token: no Referer may carry it to another site
    check(hdr.get("Referrer-Policy") in ("no-referrer", "same-origin"),
          "Referrer-Policy: %r" % hdr)
    check("<script" not in text.lower() and 'name="viewport"' in text, "page: %s" % text)
    return text


def post_form(d, path, body="confirm=yes"):
    return d.request("POST", path, body=body.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})


def metric(text, line_prefix):
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def links(d, db, opp):
    yes = mint(d, "m1", str(opp), "interested")
    no = mint(d, "m1", str(opp), "not-relevant")
    check(yes.startswith("/l/") and no.startswith("/l/"), "paths %r %r" % (yes, no))

    # GET shows, escapes and records nothing; HEAD neither
    st, hdr, body = d.request("GET", yes)
    text = html_page(st, hdr, body, 200)
    check("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Grounds&quot; "
          "&lt;b&gt;maintenance&lt;/b&gt;" in text, "title not escaped:\n%s" % text)
    check("Test City Council" in text and "Deadline" in text and 'method="post"' in text,
          "page lacks buyer/deadline/button:\n%s" % text)
    st, _, _ = d.request("HEAD", yes)
    check(st == 200, "HEAD: %d" % st)
    check(feedback_rows(db) == [], "GET recorded: %r" % feedback_rows(db))

    # POST records; again: idempotent; the other link: last click wins
    st, hdr, body = post_form(d, yes)
    text = html_page(st, hdr, body, 200)
    check("recorded as interested" in text and "&lt;script&gt;" in text, "POST page:\n" + text)
    check(feedback_rows(db) == [("m1", opp, "interested", 1)], "row %r" % feedback_rows(db))
    st, hdr, body = post_form(d, yes)
    check(st == 200 and feedback_rows(db) == [("m1", opp, "interested", 2)],
          "again: %d %r" % (st, feedback_rows(db)))
    st, hdr, body = post_form(d, no)
    text = html_page(st, hdr, body, 200)
    check(feedback_rows(db) == [("m1", opp, "not-relevant", 3)], "switch %r" % feedback_rows(db))
    # the page's own switch button: a sibling token, relative to /l/
    m = re.search(r'<form method="post" action="([A-Za-z0-9_-]+)">', text)
    check(m is not None, "no switch button:\n" + text)
    st, hdr, body = post_form(d, "/l/" + m.group(1))
    check(st == 200 and feedback_rows(db) == [("m1", opp, "interested", 4)],
          "switch button: %d %r" % (st, feedback_rows(db)))
    st, hdr, body = d.request("GET", no)
    text = html_page(st, hdr, body, 200)
    check("You told us on" in text and "interesting" in text, "GET after: " + text)

    # tampered, cut short, expired, wrong kind: nothing recorded
    before = feedback_rows(db)
    for what in ("member", "action", "opportunity", "mac", "short"):
        bad = tamper(yes, what)
        check(bad != yes, "tamper %s changed nothing" % what)
        for method in ("GET", "POST"):
            st, hdr, body = (d.request("GET", bad) if method == "GET" else post_form(d, bad))
            text = html_page(st, hdr, body, 400)
            check("not valid" in text, "%s %s: %s" % (what, method, text))
    st, hdr, body = post_form(d, "/l/" + "A" * 40)
    html_page(st, hdr, body, 400)
    old = mint(d, "m1", str(opp), "interested", "--expires", "1d",
               now="2020-01-01T00:00:00Z")
    for method in ("GET", "POST"):
        st, hdr, body = d.request("GET", old) if method == "GET" else post_form(d, old)
        text = html_page(st, hdr, body, 410)
        check("expired" in text, "expired %s: %s" % (method, text))
    unsub = mint(d, "m1", "unsubscribe")
    st, hdr, body = post_form(d, "/l/" + unsub.rsplit("/", 1)[1])
    html_page(st, hdr, body, 400)
    st, hdr, body = post_form(d, "/unsubscribe/" + yes.rsplit("/", 1)[1])
    html_page(st, hdr, body, 400)
    check(feedback_rows(db) == before and unsub_rows(db) == [],
          "a refused link wrote: %r %r" % (feedback_rows(db), unsub_rows(db)))
    # a genuine token for an opportunity not stored, or for none
    ok = forge(d, "m1", opp, 1, int(time.time()) + 3600)
    check("/l/" + ok != yes and d.request("GET", "/l/" + ok)[0] == 200, "forge() is wrong")
    st, hdr, body = post_form(d, "/l/" + forge(d, "m1", 999999, 1, int(time.time()) + 3600))
    check("no longer listed" in html_page(st, hdr, body, 404), "missing opportunity")
    st, hdr, body = post_form(d, "/l/" + forge(d, "m1", 0, 1, int(time.time()) + 3600))
    html_page(st, hdr, body, 400)
    check(feedback_rows(db) == before, "a refused link wrote: %r" % feedback_rows(db))
    st, _, _ = d.request("PUT", yes)
    check(st == 405, "PUT: %d" % st)
    st, _, _ = d.request("GET", "/l/a/b")
    check(st == 404, "/l/a/b: %d" % st)


def unsubscribe(d, db):
    path = mint(d, "m1", "unsubscribe")
    check(path.startswith("/unsubscribe/"), "path %r" % path)
    st, hdr, body = d.request("GET", path)
    text = html_page(st, hdr, body, 200)
    check('method="post"' in text and "Unsubscribe" in text, "confirm page: " + text)
    check(unsub_rows(db) == [], "GET unsubscribed: %r" % unsub_rows(db))

    # RFC 8058 one-click: no page, no sign-in; idempotent
    for _ in range(2):
        st, hdr, body = post_form(d, path, "List-Unsubscribe=One-Click")
        check(st == 200 and hdr.get("Content-Type", "").startswith("text/plain"),
              "one-click: %d %r %r" % (st, hdr, body))
        check(unsub_rows(db) == [("m1", "one-click", 0)], "rows %r" % unsub_rows(db))
    st, hdr, body = d.request("GET", path)
    check("already unsubscribed" in html_page(st, hdr, body, 200), "GET after")

    p = cli(d, "members", "resubscribe", "m1")
    check(p.returncode == 0 and "resubscribed m1" in p.stdout, "resubscribe: %r" % (p,))
    check(unsub_rows(db) == [("m1", "one-click", 1)], "after resubscribe %r" % unsub_rows(db))
    st, hdr, body = post_form(d, path)          # the page's button
    text = html_page(st, hdr, body, 200)
    check("You are unsubscribed" in text and unsub_rows(db) == [("m1", "page", 0)],
          "page button: %r %s" % (unsub_rows(db), text))
    p = cli(d, "members", "unsubscribe", "m2")
    check(p.returncode == 0 and unsub_rows(db) == [("m1", "page", 0), ("m2", "staff", 0)],
          "staff: %r %r" % (p, unsub_rows(db)))

    p = cli(d, "feedback", "--json")
    check(p.returncode == 0, "feedback: %r" % (p,))
    j = json.loads(p.stdout)
    check([a["member"] for a in j["answers"]] == ["m1"] and
          j["answers"][0]["action"] == "interested" and j["answers"][0]["title"] == HOSTILE,
          "feedback answers: %r" % j)
    check(sorted((u["member"], u["how"]) for u in j["unsubscribed"]) ==
          [("m1", "page"), ("m2", "staff")], "feedback unsubscribed: %r" % j)
    p = cli(d, "feedback", "--member", "m2")
    check(p.returncode == 0 and "staff" in p.stdout and "interested" not in p.stdout,
          "feedback --member: %r" % (p,))
    p = cli(d, "link", "m1", "999999", "interested")
    check(p.returncode == 1 and "no opportunity 999999" in p.stderr, "unknown opp: %r" % (p,))
    p = cli(d, "link", "m1", "7", "maybe")
    check(p.returncode == 2, "bad action: %r" % (p,))


def metrics(d, db):
    deadline = time.time() + 12
    while True:
        st, _, body = d.request("GET", "/metrics")
        text = body.decode()
        good = metric(text, 'bidbroker_polls_total{source="good"}')
        bad = metric(text, 'bidbroker_poll_errors_total{source="bad"}')
        if (good or 0) >= 1 and (bad or 0) >= 1 or time.time() > deadline:
            break
        time.sleep(0.2)
    check(st == 200, "metrics %d" % st)
    want = {
        'bidbroker_feedback{action="interested"}': 1,
        'bidbroker_feedback{action="not-relevant"}': 0,
        "bidbroker_members_unsubscribed": 2,
        'bidbroker_opportunities_by_status{status="active"}':
            db.execute("SELECT count(*) FROM opportunity WHERE status = 'active'").fetchone()[0],
        'bidbroker_http_requests_total{route="link",status="410"}': 2,
        'bidbroker_http_requests_total{route="link",status="404"}': 1,
        'bidbroker_http_requests_total{route="unsubscribe",status="400"}': 1,
        'bidbroker_reloads_total{result="ok"}': 0,
        'bidbroker_source_failing{source="bad"}': 1,
        'bidbroker_source_failing{source="good"}': 0,
    }
    for k, v in want.items():
        check(metric(text, k) == v, "metrics %s = %r, want %r:\n%s" % (k, metric(text, k), v,
                                                                       text))
    check((metric(text, 'bidbroker_http_requests_total{route="link",status="400"}') or 0) >= 12,
          "link 400s:\n" + text)
    check((metric(text, 'bidbroker_polls_total{source="good"}') or 0) >= 1 and
          (metric(text, 'bidbroker_poll_requests_total{source="good"}') or 0) >= 1 and
          (metric(text, 'bidbroker_poll_notices_total{source="good"}') or 0) >= 1 and
          (metric(text, 'bidbroker_poll_errors_total{source="bad"}') or 0) >= 1,
          "poll metrics:\n" + text)
    for fam in ("bidbroker_matches", "bidbroker_engine_members"):
        check("# TYPE %s gauge" % fam in text, "no %s:\n%s" % (fam, text))

    d.proc.send_signal(signal.SIGHUP)
    d.wait_listening(after=1)
    st, _, body = d.request("GET", "/metrics")
    check(metric(body.decode(), 'bidbroker_reloads_total{result="ok"}') == 1,
          "reloads after SIGHUP:\n" + body.decode())


def main():
    good = feedserver.HandlerServer(GoodFeed)
    bad = feedserver.HandlerServer(BadFeed)
    extra = ("[anchor council]\ndisplay_name = Test City Council\n\n"
             "[source good]\ntype = feed\nurl = %s/feed.atom\n\n"
             "[source bad]\ntype = feed\nurl = %s/feed.atom\n" % (good.base, bad.base))
    d = Daemon(http_extra="public_url = %s\n" % PUBLIC, extra=extra)
    try:
        db = sqlite3.connect(os.path.join(d.dir, "state", "bidbroker.db"))
        p = cli(d, "token", "issue", "council")
        check(p.returncode == 0, "token: %r" % (p,))
        deadline = time.strftime("%Y-%m-%dT12:00:00Z", time.gmtime(time.time() + 30 * 86400))
        st, _, body = d.request("POST", "/api/v1/opportunities", body=json.dumps(
            {"title": HOSTILE, "value": 12000, "deadline": deadline}),
            headers={"Content-Type": "application/json",
                     "Authorization": "Bearer " + p.stdout.strip()})
        check(st == 201, "posting: %d %r" % (st, body))
        opp = json.loads(body)["id"]
        links(d, db, opp)
        unsubscribe(d, db)
        metrics(d, db)
        check(d.proc.poll() is None, "daemon died")
        db.close()
        d.finish()
    except TestFailure as e:
        sys.stderr.write("FAIL: %s\n--- log ---\n%s\n" % (e, d.logtext()[-3000:]))
        return 1
    finally:
        d.stop()
        good.stop()
        bad.stop()
    print("test_http_member: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
