#!/usr/bin/env python3
"""test_http_staff.py — the staff dashboard: GET /staff and /staff/TABLE.csv.

A known dataset: real Contracts Finder / Find a Tender notices ingested at
three fixed clocks (two weeks of October 2022 and one of November), matched
at two of them against the demo register (conf/members) plus a member with a
hostile name and cluster; an anchor posts an opportunity with a hostile title
through the API, matched at the real clock.  Every expected figure is worked
out here from the store's rows with plain Python (weeks by Europe/London
Mondays), never with the daemon's SQL, then checked against:
  - /staff?period=2022-10, 2022-Q4 and the current month: 200, the tables'
    rows (each <td>'s data-v) equal the figures, and equal the CSV of the same
    table parsed with Python's csv module (header = the documented columns);
  - the figures at the top (brokered value against [impact] target = 50000);
  - hostile titles and member names escaped in the page (no <script> from
    them), formula cells (= + - @) prefixed with ' in the CSV;
  - every <svg> parses with xml.etree, has <title>, <desc> and a viewBox;
  - consortium suggestions: two more postings (cleaning and catering in
    Birmingham, asking for ISO 45001 that no partner holds: its still_needed;
    minibus transport in Newcastle) are listed as consortium
    (the set proposed first, its lead) and no cover (what is missing), as
    the consortium table stores them;
  - access: loopback without a staff token; a proxied request (X-Forwarded-For)
    403; once `token issue --staff` made one: 401 (with WWW-Authenticate)
    without it, with an unknown token and with an anchor's token, 200 with it;
    after `token revoke --staff` the old token is 403 and loopback works again;
  - sign-in from a browser: without a token the 401 is a sign-in page (a form
    to /staff/login); a wrong token, an anchor's token, a cross-site Origin
    are refused; the staff token sets a session cookie (HttpOnly,
    SameSite=Strict, Path=/staff, a hash in the store, not the value) that
    opens the dashboard and its CSVs; an anchor's /post cookie opens
    nothing here; sign-out needs the page's CSRF token and ends the
    session; revoking the token ends every session; failed sign-ins per
    address are limited (429 with Retry-After);
  - 400 for bad periods, 404 for an unknown table, 405 for POST;
  - check-config names the line of a bad [impact] target.
Run with /usr/bin/python3; env BIDBROKER, TOP, FIXTURES.
"""
import csv
import datetime
import html.parser
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httputil import BIN, Daemon, TestFailure, check  # noqa: E402

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.environ.get("FIXTURES") or os.path.join(TOP, "tests", "fixtures")
OCDS = os.path.join(FIXTURES, "ocds")
UK = ZoneInfo("Europe/London")
TARGET = 50000 * 100                    # pence

HOSTILE_MEMBER = """[member]
id = zz-hostile
name = <script>alert("member")</script> & "Co"
email = bids@hostile.example
cluster = =HYPERLINK("http://evil.example")
postcode = B1 1AA
regions = England
capabilities = grounds
"""
HOSTILE_TITLE = '=1+2 <script>alert("title")</script> grounds maintenance of play areas'

# (files, ingest clock); a match runs at the clocks in MATCH_AT
INGESTS = [(["cf-search-2022-10-20-page1.json"], "2022-10-20T12:00:00Z"),
           (["cf-search-2022-10-22-page1.json"], "2022-10-24T12:00:00Z"),
           (["fts-release-032703-2026-UK4-below-threshold.json"], "2022-11-02T12:00:00Z")]
MATCH_AT = ["2022-10-20T13:00:00Z", "2022-10-24T13:00:00Z"]


# ---- the expected figures, from the store's rows ---------------------------------

def monday(t):
    """Unix time of the Monday 00:00 (UK) of the week holding t."""
    d = datetime.datetime.fromtimestamp(t, UK).date()
    m = d - datetime.timedelta(days=d.weekday())
    return int(datetime.datetime(m.year, m.month, m.day, tzinfo=UK).timestamp())


def ukdate(t):
    return datetime.datetime.fromtimestamp(t, UK).strftime("%Y-%m-%d")


def period_bounds(name):
    y = int(name[:4])
    if len(name) == 4:
        m0, n = 1, 12
    elif name[5] == "Q":
        m0, n = (int(name[6]) - 1) * 3 + 1, 3
    else:
        m0, n = int(name[5:7]), 1
    m1, y1 = m0 + n, y
    if m1 > 12:
        m1, y1 = m1 - 12, y + 1
    return (int(datetime.datetime(y, m0, 1, tzinfo=UK).timestamp()),
            int(datetime.datetime(y1, m1, 1, tzinfo=UK).timestamp()))


def weeks(lo, hi):
    w, out = monday(lo), []
    while not out or w < hi:
        out.append(w)
        d = datetime.datetime.fromtimestamp(w, UK).date() + datetime.timedelta(days=7)
        w = int(datetime.datetime(d.year, d.month, d.day, tzinfo=UK).timestamp())
    return out


def money(p):
    return "%d.%02d" % (p // 100, p % 100)


def human(p):
    """human_money: £12,000 or £4,166.66"""
    return "£{:,}".format(p // 100) + (".%02d" % (p % 100) if p % 100 else "")


def guard(s):
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def still_needed(sets):
    """The first set's readiness summary when something asked is missing."""
    rd = sets[0].get("readiness") if sets else None
    return rd["summary"] if rd and rd.get("ready") is False else ""


class Store:
    """The store's rows, and the figures the dashboard should show, worked out
    with plain Python from docs/impact.md's definitions (tender-stage
    opportunities by publication date; a match "made" unless withdrawn as no
    longer matching; the other source's record of a linked tender left out)."""

    def __init__(self, path, register):
        db = sqlite3.connect(path)
        dup = {r[0] for r in db.execute("SELECT opportunity_id FROM link")}
        self.opps = {}
        for (i, src, stage, title, buyer, stated, vmax, pub, seen) in db.execute(
                "SELECT id, source, stage, title, buyer_name, value_stated, value_max,"
                " published, first_seen FROM opportunity"):
            self.opps[i] = dict(source=src, stage=stage, title=title or "", buyer=buyer or "",
                                value=vmax if stated else None, dup=i in dup,
                                date=pub if pub is not None else seen)
        self.matches = [(o, m, t) for (o, m, t, st, why) in db.execute(
            "SELECT opportunity_id, member_id, first_matched, status, withdrawn_reason"
            " FROM match") if not self.opps[o]["dup"]
            and (st == "active" or why is None or why != "no longer matches")]
        self.reasons = {(o, m): json.loads(r) for (o, m, r) in db.execute(
            "SELECT opportunity_id, member_id, reasons FROM match")}
        self.feedback = list(db.execute("SELECT member, opportunity_id, action, at FROM feedback"))
        self.deadline = dict(db.execute("SELECT id, deadline FROM opportunity"))
        self.consortia = [(o, v, json.loads(doc), o in {r[0] for r in db.execute(
            "SELECT opportunity_id FROM consortium_member")}) for (o, v, doc) in db.execute(
            "SELECT opportunity_id, verdict, doc FROM consortium WHERE status = 'active'")]
        db.close()
        self.register = register

    def in_range(self, lo, hi):
        """{opportunity: [(member, time)]} of the matches made in [lo, hi)."""
        out = {}
        for (o, m, t) in self.matches:
            if lo <= t < hi:
                out.setdefault(o, []).append((m, t))
        return out

    def value_of(self, opps):
        return sum(self.opps[o]["value"] or 0 for o in opps)

    def week_ranges(self, period):
        lo, hi = period_bounds(period)
        ws = weeks(lo, hi)
        return [(w, max(w, lo), min(ws[i + 1], hi) if i + 1 < len(ws) else hi)
                for i, w in enumerate(ws)]

    def found(self, period):
        rows = []
        for (w, lo, hi) in self.week_ranges(period):
            per = {}
            for o in self.opps.values():
                if o["stage"] == "tender" and not o["dup"] and lo <= o["date"] < hi:
                    r = per.setdefault(o["source"], [0, 0, 0])
                    r[0] += 1
                    if o["value"] is not None and o["value"] <= 25000 * 100:
                        r[1] += 1
                        r[2] += o["value"]
            rows += [[ukdate(w), src, str(a), str(b), money(c)]
                     for src, (a, b, c) in sorted(per.items())]
        return rows

    def brokered(self, period):
        rows = []
        for (w, lo, hi) in self.week_ranges(period):
            y = datetime.datetime.fromtimestamp(period_bounds(period)[0], UK).year
            ystart = int(datetime.datetime(y, 1, 1, tzinfo=UK).timestamp())
            week = self.in_range(lo, hi)
            cum = self.in_range(min(lo, ystart), hi)
            rows.append([ukdate(w), str(len(week)), money(self.value_of(week)),
                         money(self.value_of(cum)), money(TARGET)])
        return rows

    def opportunities(self, period):
        got = self.in_range(*period_bounds(period))
        out = []
        for o, ms in sorted(got.items(), key=lambda x: (min(t for _, t in x[1]), x[0])):
            op = self.opps[o]
            ids = sorted({m for m, _ in ms})
            out.append([str(o), guard(op["title"]), guard(op["buyer"]), guard(op["source"]),
                        money(op["value"]) if op["value"] is not None else "",
                        ukdate(min(t for _, t in ms)), str(len(ids)), " ".join(ids)])
        return out

    def members(self, period):
        lo, hi = period_bounds(period)
        rows = {mid: [mid, name, cluster, set(), 0, 0, None]
                for mid, (name, cluster) in self.register.items()}
        for o, ms in self.in_range(lo, hi).items():
            for (m, t) in ms:
                r = rows.setdefault(m, [m, "", "", set(), 0, 0, None])
                r[3].add(o)
                r[6] = max(t, r[6] or t)
        for (m, o, action, at) in self.feedback:
            if lo <= at < hi:
                r = rows.setdefault(m, [m, "", "", set(), 0, 0, None])
                r[4 if action == "interested" else 5] += 1
        out = sorted(rows.values(), key=lambda r: (-len(r[3]), r[0]))
        return [[guard(r[0]), guard(r[1]), guard(r[2]), str(len(r[3])),
                 money(self.value_of(r[3])), str(r[4]), str(r[5]),
                 ukdate(r[6]) if r[6] else ""] for r in out]

    def feedback_rules(self):
        counts = {}
        for (m, o, action, _) in self.feedback:
            seen = set()
            for r in self.reasons.get((o, m), []):
                if r["kind"] in ("cpv", "rule", "member_rule"):
                    seen.add((r["kind"], r["capability"] or "", r["rule"] or ""))
            for k in seen:
                c = counts.setdefault(k, [0, 0])
                c[0 if action == "interested" else 1] += 1
        out = sorted(counts.items(), key=lambda x: (-x[1][1], x[1][0], x[0]))
        return [[guard(cap), kind, guard(rule), str(y), str(n), "%.3f" % (y / (y + n))]
                for ((kind, cap, rule), (y, n)) in out]

    def consortia_rows(self, period):
        """Suggestions to act on: consortium (with a stored set) or no cover,
        of the period's opportunities, soonest deadline first."""
        lo, hi = period_bounds(period)
        rows = []
        for (o, verdict, doc, has_set) in self.consortia:
            op = self.opps[o]
            if not (lo <= op["date"] < hi) or verdict not in ("consortium", "no cover"):
                continue
            if verdict == "consortium" and not has_set:
                continue
            sets = doc.get("consortia") or []
            dl = self.deadline[o]
            rows.append(((dl is None, dl or 0, o), [
                str(o), guard(op["title"]), guard(op["buyer"]),
                money(op["value"]) if op["value"] is not None else "",
                ukdate(dl) if dl is not None else "", verdict, str(len(sets)),
                " ".join(sets[0]["members"]) if sets else "",
                sets[0]["lead"] if sets else "", " ".join(doc.get("missing") or []),
                guard(still_needed(sets))]))
        return [r for _, r in sorted(rows)]

    def gaps(self, period):
        return [r[0] for r in self.members(period) if r[3] == "0" and r[0] in self.register]

    def brokered_at(self):
        first = {}
        for (o, _, t) in self.matches:
            first[o] = min(t, first.get(o, t))
        return first


# ---- reading the page ----------------------------------------------------------------

class Tables(html.parser.HTMLParser):
    """Rows of each <table id="table-NAME">: the data-v of every <td>."""

    def __init__(self):
        super().__init__()
        self.tables, self.cur, self.row = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and (a.get("id") or "").startswith("table-"):
            self.cur = self.tables.setdefault(a["id"][6:], [])
        elif tag == "tr" and self.cur is not None:
            self.row = []
        elif tag == "td" and self.row is not None and "data-v" in a:
            self.row.append(a["data-v"])

    def handle_endtag(self, tag):
        if tag == "tr" and self.cur is not None and self.row:
            self.cur.append(self.row)
            self.row = None
        elif tag == "table":
            self.cur = None


def parse_csv(body):
    text = body.decode("utf-8")
    check("\r\n" in text or text == "", "CSV lines end with CRLF")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def get(d, path, headers=None):
    return d.request("GET", path, headers=headers or {})


def page(d, period, headers=None):
    st, hdr, body = get(d, "/staff" + ("?period=" + period if period else ""), headers)
    check(st == 200, "/staff %s: %d %r" % (period, st, body[:300]))
    check(hdr.get("Content-Type") == "text/html; charset=utf-8", "type %r" % hdr)
    check("default-src 'none'" in hdr.get("Content-Security-Policy", ""), "CSP %r" % hdr)
    return body.decode("utf-8")


def form_post(d, path, fields, headers=None):
    h = {"Content-Type": "application/x-www-form-urlencoded",
         "Origin": "http://127.0.0.1:%d" % d.port}
    h.update(headers or {})
    return d.request("POST", path, body=urllib.parse.urlencode(fields).encode(), headers=h)


def staff_signin(d, staff, tok):
    """The browser's way in: sign-in page, session cookie, sign-out."""
    st, hdr, body = get(d, "/staff")
    text = body.decode()
    check(st == 401 and 'action="/staff/login"' in text and 'name="token"' in text and
          'type="password"' in text, "no sign-in form: %d %s" % (st, text[-500:]))
    for wrong in ("bbt_" + "1" * 64, tok, ""):
        st, hdr, body = form_post(d, "/staff/login", {"token": wrong})
        check(st == 401 and "Set-Cookie" not in hdr and "not a staff token" in body.decode(),
              "sign-in with %r: %d %r" % (wrong[:12], st, hdr))
    st, hdr, _ = form_post(d, "/staff/login", {"token": staff},
                           {"Origin": "https://evil.example"})
    check(st == 403 and "Set-Cookie" not in hdr, "cross-site sign-in: %d" % st)
    st, hdr, _ = d.request("POST", "/staff/login", body=b"token=" + staff.encode(),
                           headers={"Content-Type": "text/plain"})
    check(st == 415, "sign-in not as a form: %d" % st)
    st, hdr, _ = form_post(d, "/staff/login", {"token": " " + staff + "\n"})
    cookie = hdr.get("Set-Cookie", "")
    check(st == 303 and hdr.get("Location") == "/staff", "sign-in: %d %r" % (st, hdr))
    attrs = [a.strip() for a in cookie.split(";")]
    check(re.fullmatch(r"bb_staff=[0-9a-f]{64}", attrs[0]) and "HttpOnly" in attrs and
          "SameSite=Strict" in attrs and "Path=/staff" in attrs and
          "Max-Age=28800" in attrs and "Secure" not in attrs, "cookie %r" % cookie)
    value = attrs[0].split("=", 1)[1]
    db = sqlite3.connect(os.path.join(d.dir, "state", "bidbroker.db"))
    rows = list(db.execute("SELECT hash, anchor FROM anchor_session"))
    db.close()
    check(("@staff" in [r[1] for r in rows]) and not any(value in str(r) for r in rows),
          "sessions stored: %r" % rows)
    jar = {"Cookie": attrs[0]}
    st, _, body = get(d, "/staff?period=2022-10", jar)
    text = body.decode()
    check(st == 200 and "Sign out" in text and 'action="/staff/logout"' in text,
          "dashboard with the session: %d" % st)
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', text)
    check(csrf, "no CSRF token on the dashboard")
    st, _, body = get(d, "/staff/members.csv?period=2022-10", jar)
    check(st == 200 and body.startswith(b"member,"), "CSV with the session: %d" % st)
    st, _, _ = get(d, "/staff", {"Cookie": "bb_staff=" + "a" * 64})
    check(st == 401, "a made-up session: %d" % st)
    # an anchor's /post session is nothing here, whatever its name
    st, hdr, _ = form_post(d, "/post/login", {"token": tok})
    pc = hdr.get("Set-Cookie", "").split(";")[0]
    check(st == 303 and pc.startswith("bb_session="), "anchor sign-in: %d %r" % (st, hdr))
    for c in (pc, "bb_staff=" + pc.split("=", 1)[1]):
        st, _, _ = get(d, "/staff", {"Cookie": c})
        check(st == 401, "an anchor's session %r on /staff: %d" % (c[:12], st))
    st, _, _ = form_post(d, "/staff/logout", {"csrf": "0" * 64}, jar)
    check(st == 403, "sign-out without the page's CSRF token: %d" % st)
    st, _, _ = get(d, "/staff", jar)
    check(st == 200, "the session ended by a forged sign-out: %d" % st)
    st, hdr, _ = form_post(d, "/staff/logout", {"csrf": csrf.group(1)}, jar)
    check(st == 303 and "Max-Age=0" in hdr.get("Set-Cookie", ""), "sign-out: %d %r" % (st, hdr))
    st, _, _ = get(d, "/staff", jar)
    check(st == 401, "the session still works after sign-out: %d" % st)
    # a new session, then the token revoked: the session ends with it
    st, hdr, _ = form_post(d, "/staff/login", {"token": staff})
    return {"Cookie": hdr.get("Set-Cookie", "").split(";")[0]}


def check_svgs(text):
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    check(len(svgs) >= 2, "charts on the page: %d" % len(svgs))
    ns = "{http://www.w3.org/2000/svg}"
    for s in svgs:
        try:
            root = ET.fromstring(s)
        except ET.ParseError as e:
            raise TestFailure("SVG not well-formed (%s): %s" % (e, s[:300]))
        check(root.get("viewBox") and root.get("width") == "100%", "viewBox: %r" % root.attrib)
        check(root.find(ns + "title") is not None and root.find(ns + "desc") is not None,
              "SVG without title/desc: %s" % s[:200])
        check(root.get("role") == "img" and root.get("aria-labelledby"), "aria: %r" % root.attrib)
    return svgs


TABLES = ("found", "brokered", "opportunities", "members", "feedback", "gaps", "wins",
          "consortia")


def check_period(d, store, period, expect_tables):
    text = page(d, period)
    t = Tables()
    t.feed(text)
    check(sorted(t.tables) == sorted(TABLES), "%s: tables %r" % (period, sorted(t.tables)))
    for name, want in expect_tables.items():
        got = t.tables.get(name)
        check(got == want, "%s: table %s\n got  %r\n want %r" % (period, name, got, want))
    for name in TABLES:
        st, hdr, body = get(d, "/staff/%s.csv?period=%s" % (name, period))
        check(st == 200 and hdr.get("Content-Type", "").startswith("text/csv"),
              "%s.csv: %d %r" % (name, st, hdr))
        check(("bidbroker-%s-%s.csv" % (name, period)) in hdr.get("Content-Disposition", ""),
              "disposition %r" % hdr)
        head, rows = parse_csv(body)
        check(rows == t.tables[name], "%s.csv differs from the HTML table:\n%r\n%r"
              % (name, rows, t.tables[name]))
    return text


def run():
    tmp = tempfile.mkdtemp(prefix="bb-staff-")
    members = os.path.join(tmp, "members")
    shutil.copytree(os.path.join(TOP, "conf", "members"), members)
    with open(os.path.join(members, "zz-hostile.conf"), "w") as f:
        f.write(HOSTILE_MEMBER)
    shutil.copy(os.path.join(TOP, "conf", "capabilities.conf"), tmp)
    shutil.copy(os.path.join(TOP, "conf", "cpv-coverage.conf"), tmp)
    extra = ("[filter]\nmax_value = 25000\nkeep_value_not_stated = yes\n"
             "[match]\ntaxonomy = %s\nmembers = %s\ncpv_reference = %s\n"
             "[impact]\ntarget = 50000\n[anchor council]\ndisplay_name = Test Council\n"
             % (os.path.join(tmp, "capabilities.conf"), members,
                os.path.join(FIXTURES, "reference", "ref-cpv2008-xterr-cpvCodes.json")))
    register = {}
    for fn in sorted(os.listdir(members)):
        with open(os.path.join(members, fn)) as f:
            kv = dict(re.findall(r"^(\w+) = (.*)$", f.read(), re.M))
        register[kv["id"]] = (kv["name"], kv.get("cluster", ""))

    # check-config: a bad [impact] target is named by its line
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[bidbroker]\nstate_dir = %s\n[impact]\ntarget = lots\n" % tmp)
    p = subprocess.run([BIN, "-c", bad, "check-config"], capture_output=True, text=True)
    if not (p.returncode == 1 and "bad.conf:4:" in p.stderr and "target" in p.stderr):
        sys.stderr.write("FAIL: check-config on a bad target: %d %s\n"
                         % (p.returncode, p.stderr))
        return 1

    d = Daemon(extra=extra)
    try:
        def bb(*args, now=None, check_rc=True):
            cmd = [BIN, "-c", d.conf] + (["--now", now] if now else []) + list(args)
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            check(not check_rc or p.returncode == 0, "%s: %s" % (cmd, p.stderr))
            check("Sanitizer" not in p.stderr and "runtime error" not in p.stderr,
                  "sanitizer report from %s:\n%s" % (cmd, p.stderr))
            return p

        bb("ingest", *[os.path.join(OCDS, f) for f in INGESTS[0][0]], now=INGESTS[0][1])
        bb("match", now=MATCH_AT[0])
        bb("ingest", *[os.path.join(OCDS, f) for f in INGESTS[1][0]], now=INGESTS[1][1])
        bb("match", now=MATCH_AT[1])
        bb("ingest", *[os.path.join(OCDS, f) for f in INGESTS[2][0]], now=INGESTS[2][1])

        # an anchor posts a hostile title; matched at the real clock
        tok = bb("token", "issue", "council").stdout.strip()
        deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))
        st, _, body = d.request("POST", "/api/v1/opportunities", body=json.dumps(
            {"title": HOSTILE_TITLE, "value": 5000, "deadline": deadline,
             "description": "Grounds maintenance: grass cutting and play area upkeep."}),
            headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
        check(st == 201, "posting: %d %r" % (st, body))
        posted = json.loads(body)["id"]
        # two that no one member covers: cleaning and catering in Birmingham
        # (a consortium), minibus transport in Newcastle (no member there)
        for title, desc, pc in (
                ("Community centre cleaning and catering",
                 "Daily cleaning of the community centre, and catering for its lunch club: "
                 "hot meals and buffets. Suppliers must hold ISO 45001.", "B5 5SE"),
                ("Minibus transport for day centre users",
                 "Door-to-door minibus transport for older people to a day centre.",
                 "NE1 4ST")):
            st, _, body = d.request("POST", "/api/v1/opportunities", body=json.dumps(
                {"title": title, "value": 20000, "deadline": deadline, "description": desc,
                 "postcode": pc}),
                headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
            check(st == 201, "posting %r: %d %r" % (title, st, body))
        bb("match")

        # members' clicks: every third October match, alternately interested
        # and not relevant, the hour after it was matched; one on the posting now
        db = sqlite3.connect(os.path.join(d.dir, "state", "bidbroker.db"))
        rows = sorted(db.execute("SELECT member_id, opportunity_id, first_matched FROM match"
                                 " WHERE first_matched < ?", (period_bounds("2022-11")[0],)))
        check(len(rows) >= 9, "the dataset should have some October matches: %d" % len(rows))
        for i, (m, o, t) in enumerate(rows[::3]):
            db.execute("INSERT INTO feedback (member, opportunity_id, action, at, first_at)"
                       " VALUES (?, ?, ?, ?, ?)",
                       (m, o, "interested" if i % 2 else "not-relevant", t + 3600, t + 3600))
        m = db.execute("SELECT member_id FROM match WHERE opportunity_id = ?",
                       (posted,)).fetchone()
        if m:
            db.execute("INSERT INTO feedback (member, opportunity_id, action, at, first_at)"
                       " VALUES (?, ?, 'interested', ?, ?)",
                       (m[0], posted, int(time.time()), int(time.time())))
        db.commit()
        db.close()

        store = Store(os.path.join(d.dir, "state", "bidbroker.db"), register)
        check(any(o == posted for (o, _, _) in store.matches),
              "the posted opportunity matched no member: the dataset needs it")
        check(len({monday(t) for t in store.brokered_at().values()
                   if t < period_bounds("2022-11")[0]}) == 2,
              "the dataset should broker in two October weeks")
        check(len(store.feedback_rules()) >= 3, "the dataset should have feedback per rule")
        now_period = datetime.datetime.now(UK).strftime("%Y-%m")
        check({r[5] for r in store.consortia_rows(now_period)} == {"consortium", "no cover"},
              "the dataset should have consortium and no-cover suggestions: %r"
              % store.consortia_rows(now_period))
        check(any(r[10].startswith("Still needed: ISO 45001") for r in
                  store.consortia_rows(now_period)),
              "the cleaning-and-catering set lacks the ISO 45001 it asks for: %r"
              % store.consortia_rows(now_period))

        # --- loopback, no staff token ----------------------------------------
        for period in ("2022-10", "2022-Q4", "2022-11", "2022"):
            text = check_period(d, store, period, {
                "found": store.found(period), "brokered": store.brokered(period),
                "opportunities": store.opportunities(period),
                "members": store.members(period), "feedback": store.feedback_rules(),
                "consortia": store.consortia_rows(period)})
            check_svgs(text)
            t = Tables()
            t.feed(text)
            check([r[0] for r in t.tables["gaps"]] == store.gaps(period),
                  "%s gaps: %r, want %r" % (period, t.tables["gaps"], store.gaps(period)))
        text = check_period(d, store, now_period,
                            {"opportunities": store.opportunities(now_period),
                             "consortia": store.consortia_rows(now_period)})
        default = page(d, "")
        check(default == text, "/staff without a period is not the current month's")
        check(HOSTILE_TITLE not in text and '<script>alert("' not in text,
              "a hostile text reached the page unescaped")
        check("=1+2 &lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in text,
              "the posted title is not shown escaped")
        check("&lt;script&gt;alert(&quot;member&quot;)&lt;/script&gt;" in text,
              "the member name is not shown escaped")
        check_svgs(text)
        _, rows = parse_csv(get(d, "/staff/opportunities.csv?period=" + now_period)[2])
        check(any(r[1] == "'" + HOSTILE_TITLE for r in rows),
              "the formula title is not guarded in the CSV: %r" % rows)
        _, rows = parse_csv(get(d, "/staff/members.csv?period=2022-10")[2])
        check(any(r[2] == "'=HYPERLINK(\"http://evil.example\")" for r in rows),
              "the formula cluster is not guarded: %r" % rows)
        check_svgs(page(d, now_period))

        # the figures at the top: value brokered this year against the year's target
        lo, hi = period_bounds(now_period)
        ystart = int(datetime.datetime(datetime.datetime.now(UK).year, 1, 1,
                                       tzinfo=UK).timestamp())
        cum = store.value_of(store.in_range(ystart, hi))
        text = page(d, now_period)
        want = "£{:,} of £50,000".format(cum // 100)
        check(cum > 0 and want in text, "summary lacks %r" % want)
        got = store.in_range(*period_bounds("2022-10"))
        want = "%s (%d opportunities) of %s for the period" % (
            human(store.value_of(got)), len(got), human(TARGET // 12))
        check(want in page(d, "2022-10"), "October's figures lack %r" % want)

        # the column header is the documented one
        head, _ = parse_csv(get(d, "/staff/brokered.csv?period=2022-10")[2])
        check(head == ["week", "opportunities", "value", "cumulative_value", "target"],
              "brokered.csv header %r" % head)

        # --- bad requests ------------------------------------------------------
        for bad_period in ("2022-13", "2022-Q5", "abc", "2022-1", "1989-01", "2022-10x",
                           "%3Cscript%3E", "2022-00"):
            st, hdr, body = get(d, "/staff?period=" + bad_period)
            check(st == 400 and b"<script>" not in body, "period %s: %d %r"
                  % (bad_period, st, body[:200]))
        st, _, _ = get(d, "/staff/nope.csv")
        check(st == 404, "unknown table: %d" % st)
        st, hdr, _ = d.request("POST", "/staff", body=b"", headers={})
        check(st == 405 and "GET" in hdr.get("Allow", ""), "POST /staff: %d" % st)

        # --- access --------------------------------------------------------------
        st, _, _ = get(d, "/staff", {"X-Forwarded-For": "203.0.113.9"})
        check(st == 403, "a proxied request without a staff token: %d" % st)
        staff = bb("token", "issue", "--staff").stdout.strip()
        check(re.fullmatch(r"bbt_[0-9a-f]{64}", staff), "staff token %r" % staff)
        db = sqlite3.connect(os.path.join(d.dir, "state", "bidbroker.db"))
        check(not any(staff in str(r) for r in db.execute("SELECT * FROM anchor_token")),
              "the store keeps the staff token in clear")
        db.close()
        st, hdr, _ = get(d, "/staff")
        check(st == 401 and hdr.get("WWW-Authenticate", "").startswith("Bearer"),
              "no token once one is issued: %d %r" % (st, hdr))
        st, _, _ = get(d, "/staff/found.csv")
        check(st == 401, "CSV without the token: %d" % st)
        for wrong in ("bbt_" + "0" * 64, tok, ""):
            st, _, _ = get(d, "/staff", {"Authorization": "Bearer " + wrong})
            check(st == 401, "token %r: %d" % (wrong[:12], st))
        st, _, _ = get(d, "/staff", {"Authorization": "Basic eDp5"})
        check(st == 401, "Basic auth: %d" % st)
        auth = {"Authorization": "Bearer " + staff}
        page(d, "2022-10", auth)
        st, _, body = get(d, "/staff/members.csv?period=2022-10", auth)
        check(st == 200 and body.startswith(b"member,"), "CSV with the token: %d" % st)
        st, _, _ = get(d, "/staff", dict(auth, **{"X-Forwarded-For": "203.0.113.9"}))
        check(st == 200, "a proxied request with the token: %d" % st)
        jar = staff_signin(d, staff, tok)
        st, _, _ = get(d, "/staff", jar)
        check(st == 200, "a second session: %d" % st)
        bb("token", "revoke", "--staff")
        st, _, _ = get(d, "/staff", auth)
        check(st == 403, "a revoked staff token: %d" % st)
        st, hdr, body = form_post(d, "/staff/login", {"token": staff})
        check(st == 403 and "revoked" in body.decode(), "sign-in with a revoked token: %d" % st)
        lst = bb("token", "list").stdout
        check("@staff" in lst and "revoked" in lst, "token list: %r" % lst)
        page(d, "2022-10")              # no valid staff token: loopback again
        staff2 = bb("token", "issue", "--staff").stdout.strip()
        st, _, _ = get(d, "/staff", jar)
        check(st == 401, "a session of a revoked token, once another exists: %d" % st)
        for i in range(12):             # failed sign-ins from one address: 10 a minute
            st, hdr, _ = form_post(d, "/staff/login", {"token": "bbt_" + "2" * 64})
            if st == 429:
                break
        check(st == 429 and int(hdr.get("Retry-After", "0")) > 0 and i <= 10,
              "failed sign-ins not limited: %d after %d" % (st, i + 1))
        st, _, _ = form_post(d, "/staff/login", {"token": staff2})
        check(st == 429, "a right token while the address is limited: %d" % st)

        d.finish()
    except TestFailure as e:
        sys.stderr.write("FAIL: %s\n--- log ---\n%s\n" % (e, d.logtext()[-3000:]))
        return 1
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_http_staff: ok")
    return 0


if __name__ == "__main__":
    sys.exit(run())
