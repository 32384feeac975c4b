#!/usr/bin/env python3
"""test_http_post.py — /post, the anchors' HTML form (daemon/http/web.c).

`bidbroker run` with two [anchor] sections and tokens from `token issue`:
  - GET /post without a session: the sign-in page (CSP, no-store);
  - sign-in: an unknown token 401, a revoked one 403, the page says so;
    the good one 303 with a session cookie: HttpOnly, SameSite=Strict,
    Path=/post, Max-Age, no Secure without an https public_url; after a
    reload with public_url = https://... the cookie is Secure; the store
    keeps only the cookie's hash;
  - CSRF: a POST without the token or with a wrong one is 403 and changes
    nothing (posting, withdrawing, signing out); a POST whose Origin is
    another site is 403;
  - the form: errors beside their fields with what was typed kept (400),
    the same posting checked as the API checks it, then 303 to the
    confirmation page; the same form sent twice makes one posting;
  - XSS: hostile text in the title, description, lots and contact (by the
    form and by the API) appears escaped on every page: the error page,
    the confirmation page, the list;
  - another anchor's posting is 404 on its page and its withdraw button;
  - withdrawing from the list, after a page that asks; signing out ends the session (cookie
    cleared, the old cookie refused); a form sent after the session ended
    comes back on the sign-in page and again once signed in;
  - revoking the token ends its sessions;
  - failed sign-ins past 10 a minute from one address: 429 with Retry-After.
Run with /usr/bin/python3; env BIDBROKER.
"""
import html
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httputil import BIN, check, run_test  # noqa: E402

ANCHORS = """
[anchor council]
display_name = Test <b>City</b> Council
regions = B

[anchor other]
display_name = Other Trust
"""
FORM = "application/x-www-form-urlencoded"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RAW_MARKERS = (b"<script>alert", b"<img src=x", b"<b>City</b>")


def future(days=30):
    return time.strftime("%Y-%m-%dT12:00", time.gmtime(time.time() + days * 86400))


def token(d, *args):
    p = subprocess.run([BIN, "-c", d.conf, "token"] + list(args), capture_output=True,
                       text=True)
    check(p.returncode == 0, "token %r: %r" % (args, p))
    return p.stdout.strip()


def hidden(body, name):
    m = re.search(rb'name="%s" value="([^"]*)"' % name.encode(), body)
    return m.group(1).decode() if m else None


def no_raw_markup(body, where):
    for m in RAW_MARKERS:
        check(m not in body, "unescaped %r on %s:\n%s" % (m, where, body[:3000]))


class Browser:
    """A cookie jar over Daemon.request, like a browser's for one site."""

    def __init__(self, d):
        self.d = d
        self.cookie = None

    def req(self, method, path, form=None, headers=None):
        h = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h.setdefault("Content-Type", FORM)
        if self.cookie:
            h["Cookie"] = self.cookie
        st, hdr, raw = self.d.request(method, path, body=body, headers=h)
        sc = hdr.get("Set-Cookie")
        if sc:
            v = sc.split(";")[0]
            self.cookie = None if v.endswith("=") else v
        return st, hdr, raw

    def login(self, tok, **extra):
        return self.req("POST", "/post/login", dict({"token": tok}, **extra))


def run_checks(d):
    tok = token(d, "issue", "council")
    other_tok = token(d, "issue", "other")
    b = Browser(d)

    st, hdr, body = b.req("GET", "/post")
    check(st == 200 and b'name="token"' in body and b'for="f-token"' in body,
          "sign-in page: %d" % st)
    check("default-src 'none'" in hdr.get("Content-Security-Policy", "") and
          hdr.get("Cache-Control") == "no-store" and hdr.get("X-Frame-Options") == "DENY",
          "page headers: %r" % hdr)

    st, _, body = b.login("bbt_" + "1" * 64)
    check(st == 401 and b"not one we know" in body and b.cookie is None,
          "unknown token: %d" % st)
    st, hdr, body = b.login(tok)
    check(st == 303 and hdr["Location"] == "/post" and b.cookie, "sign-in: %d %r" % (st, hdr))
    attrs = [a.strip() for a in hdr["Set-Cookie"].split(";")]
    check("HttpOnly" in attrs and "SameSite=Strict" in attrs and "Path=/post" in attrs and
          "Max-Age=28800" in attrs and "Secure" not in attrs, "cookie attributes: %r" % attrs)
    value = b.cookie.split("=", 1)[1]
    check(re.fullmatch("[0-9a-f]{64}", value), "cookie value %r" % value)
    db = sqlite3.connect(os.path.join(d.dir, "state", "bidbroker.db"))
    dump = "\n".join(db.iterdump())
    check(value not in dump and tok not in dump, "a session or token in clear in the store")
    check(db.execute("SELECT count(*) FROM anchor_session").fetchone()[0] == 1,
          "one session stored")

    st, _, body = b.req("GET", "/post")
    check(st == 200 and b'id="f-title"' in body and b"Sign out" in body,
          "the form: %d" % st)
    no_raw_markup(body, "the form (display name)")
    check(b"Test &lt;b&gt;City&lt;/b&gt; Council" in body, "display name escaped")
    csrf, key = hidden(body, "csrf"), hidden(body, "form_key")
    check(csrf and key, "csrf and form_key fields")

    good = {"title": "Grounds maintenance", "description": "Grass and hedges.",
            "value": "£18,000", "deadline": future(), "postcode": "B1 1AA",
            "cpv": "77310000, 77311000", "lots": "Lot 1: grass\r\nLot 2: hedges",
            "contact": "buyer@example.org", "documents_url": "https://example.org/t/1"}

    # CSRF: missing, wrong; a POST from another site
    n_before = db.execute("SELECT count(*) FROM opportunity").fetchone()[0]
    st, _, _ = b.req("POST", "/post", dict(good, form_key=key))
    check(st == 403, "no csrf: %d" % st)
    st, _, _ = b.req("POST", "/post", dict(good, form_key=key, csrf="0" * 64))
    check(st == 403, "wrong csrf: %d" % st)
    st, _, _ = b.req("POST", "/post", dict(good, form_key=key, csrf=csrf),
                     headers={"Origin": "https://evil.example"})
    check(st == 403, "cross-site Origin: %d" % st)
    st, _, _ = b.req("POST", "/post/logout", {})
    check(st == 403, "logout without csrf: %d" % st)
    check(db.execute("SELECT count(*) FROM opportunity").fetchone()[0] == n_before,
          "a refused POST stored something")

    # errors beside the fields, input kept, hostile text escaped
    bad = dict(good, title=XSS, description=XSS + "\nline two", lots=XSS, contact=XSS,
               value="lots", postcode="M1 1AE", cpv="12", csrf=csrf, form_key=key)
    st, _, body = b.req("POST", "/post", bad)
    check(st == 400, "bad form: %d" % st)
    no_raw_markup(body, "the error page")
    for f in ("value", "postcode", "cpv"):
        check(re.search(rb'id="e-%s"><span class="error">' % f.encode(), body),
              "no error beside %s" % f)
    check(b'aria-invalid="true"' in body and b'href="#f-postcode"' in body,
          "error summary / aria")
    check(html.escape(XSS, quote=True).replace("&#x27;", "&#39;").encode() in body,
          "the typed title is not kept (escaped) in the form")
    check(b"line two</textarea>" in body, "the description's lines are not kept")
    check(hidden(body, "form_key") == key, "form_key changed on an error")

    # corrected: posted, confirmation page; the same form again: same posting
    ok = dict(bad, value="£18,000", postcode="b1 1aa", cpv="77310000")
    st, hdr, _ = b.req("POST", "/post", ok)
    check(st == 303 and re.fullmatch(r"/post/\d+\?posted", hdr.get("Location", "")),
          "post: %d %r" % (st, hdr))
    loc = hdr["Location"]
    oid = int(loc.split("/")[2].split("?")[0])
    st, hdr2, _ = b.req("POST", "/post", ok)
    check(st == 303 and hdr2["Location"] == loc, "double submit: %d %r" % (st, hdr2))
    # posted, then changed and sent with the same form_key (the back button)
    st, _, body = b.req("POST", "/post", dict(ok, title="Changed after posting"))
    check(st == 409 and ("posted already, as number %d" % oid).encode() in body and
          hidden(body, "form_key") not in (None, key) and
          b'value="Changed after posting"' in body, "changed resubmit: %d" % st)
    st, _, body = b.req("GET", loc)
    check(st == 200 and b"Posted" in body and b"What happens next" in body and
          ("<strong>%d</strong>" % oid).encode() in body and b"\xc2\xa318,000" in body,
          "confirmation: %d" % st)
    no_raw_markup(body, "the confirmation page")
    row = db.execute("SELECT title, value_max, postcodes, source FROM opportunity WHERE id = ?",
                     (oid,)).fetchone()
    check(row == (XSS, 1800000, '["B1 1AA"]', "anchor:council"), "stored %r" % (row,))

    # a posting by the API with a hostile title, on the list page
    st, _, raw = d.request("POST", "/api/v1/opportunities", body=json.dumps(
        {"title": "API " + XSS, "deadline": future() + ":00Z", "postcode": "B2 4QA"}),
        headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    check(st == 201, "API post: %d %r" % (st, raw))
    api_id = json.loads(raw)["id"]
    st, _, body = b.req("GET", "/post/mine")
    check(st == 200 and body.find(b"/post/%d\"" % api_id) < body.find(b"/post/%d\"" % oid),
          "list, newest first: %d" % st)
    no_raw_markup(body, "the list")
    st, _, body = b.req("GET", "/post/%d" % api_id)
    no_raw_markup(body, "the API posting's page")

    # another anchor sees none of it
    o = Browser(d)
    check(o.login(other_tok)[0] == 303, "other signs in")
    st, _, body = o.req("GET", "/post")
    ocsrf = hidden(body, "csrf")
    check(ocsrf != csrf, "CSRF tokens differ per session")
    st, _, _ = o.req("GET", "/post/%d" % oid)
    check(st == 404, "other's page: %d" % st)
    st, _, _ = o.req("POST", "/post/withdraw", {"id": oid, "csrf": ocsrf, "confirm": "yes"})
    check(st == 404, "other's withdraw: %d" % st)
    st, _, _ = b.req("POST", "/post/withdraw", {"id": oid, "csrf": ocsrf, "confirm": "yes"})
    check(st == 403, "withdraw with another session's csrf: %d" % st)
    st, _, raw = d.request("GET", "/api/v1/opportunities/%d" % oid,
                           headers={"Authorization": "Bearer " + tok})
    check(json.loads(raw)["status"] == "open", "withdrawn by someone else")

    # withdraw from the list: a page asks first
    st, _, body = b.req("POST", "/post/withdraw", {"id": oid, "csrf": csrf})
    check(st == 200 and b"Withdraw this posting?" in body and
          hidden(body, "confirm") == "yes", "withdraw asks: %d" % st)
    no_raw_markup(body, "the withdraw page")
    st, _, raw = d.request("GET", "/api/v1/opportunities/%d" % oid,
                           headers={"Authorization": "Bearer " + tok})
    check(json.loads(raw)["status"] == "open", "withdrawn before confirming")
    st, hdr, _ = b.req("POST", "/post/withdraw", {"id": oid, "csrf": csrf, "confirm": "yes"})
    check(st == 303 and hdr["Location"] == "/post/mine", "withdraw: %d %r" % (st, hdr))
    st, _, raw = d.request("GET", "/api/v1/opportunities/%d" % oid,
                           headers={"Authorization": "Bearer " + tok})
    check(json.loads(raw)["status"] == "withdrawn", "not withdrawn: %r" % raw)
    st, _, body = b.req("GET", "/post/mine")
    check(body.count(b'action="/post/withdraw"') == 1 and b"withdrawn" in body,
          "list after withdrawal")

    # https public_url: Secure cookies (after a reload)
    d.http_extra += "public_url = https://bids.example.org\n"
    d.write_conf()
    d.proc.send_signal(signal.SIGHUP)
    d.wait_listening(after=1)
    s = Browser(d)
    st, hdr, _ = s.login(tok)
    attrs = [a.strip() for a in hdr["Set-Cookie"].split(";")]
    check(st == 303 and "Secure" in attrs and "HttpOnly" in attrs,
          "cookie behind https: %r" % attrs)
    # behind a proxy the Host may be the daemon's own; the Origin is public_url's
    st, hdr, _ = Browser(d).req(
        "POST", "/post/login", {"token": tok}, headers={"Origin": "https://bids.example.org"})
    check(st == 303, "sign-in with public_url's Origin: %d" % st)
    st, _, _ = Browser(d).req("POST", "/post/login", {"token": tok},
                              headers={"Origin": "https://bids.example.org.evil.example"})
    check(st == 403, "sign-in from another origin: %d" % st)

    # sign out: cookie cleared, the old one refused
    old = b.cookie
    st, hdr, _ = b.req("POST", "/post/logout", {"csrf": csrf})
    check(st == 303 and "Max-Age=0" in hdr.get("Set-Cookie", "") and b.cookie is None,
          "logout: %d %r" % (st, hdr))
    b.cookie = old
    st, _, body = b.req("GET", "/post")
    check(st == 200 and b'name="token"' in body, "old cookie still signed in")

    # a form sent after the session ended is kept through the sign-in
    st, _, body = b.req("POST", "/post", dict(good, title="Kept title", csrf=csrf,
                                              form_key=key))
    check(st == 401 and b"what you typed" in body and
          hidden(body, "title") == "Kept title", "expired session form: %d" % st)
    b.cookie = None
    st, hdr, body = b.login(tok, title="Kept title", lots="a\r\nb", form_key=key)
    check(st == 200 and b.cookie and b'value="Kept title"' in body and
          b">a\nb</textarea>" in body, "form kept after sign-in: %d" % st)

    # revoking the token ends its sessions
    p = subprocess.run([BIN, "-c", d.conf, "token", "revoke", "council"],
                       capture_output=True, text=True)
    check(p.returncode == 0, "revoke: %r" % p)
    st, hdr, _ = b.req("GET", "/post/mine")
    check(st == 303 and hdr["Location"] == "/post", "revoked token's session: %d" % st)
    st, _, body = Browser(d).login(tok)
    check(st == 403 and b"no longer works" in body, "revoked token sign-in: %d" % st)

    # failed sign-ins from one address
    for i in range(12):
        st, hdr, _ = Browser(d).login("bbt_wrong%d" % i)
        if st == 429:
            break
        check(st == 401, "failed sign-in %d: %d" % (i, st))
    check(st == 429 and 1 <= int(hdr.get("Retry-After", "0")) <= 60,
          "sign-in rate: %d %r" % (st, hdr))
    log = d.logtext()
    check("anchor council signed in on /post" in log and "sign-in refused" in log,
          "log lines")
    db.close()


def main():
    return run_test("test_http_post", run_checks, extra=ANCHORS)


if __name__ == "__main__":
    sys.exit(main())
