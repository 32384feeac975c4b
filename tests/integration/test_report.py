#!/usr/bin/env python3
"""test_report.py - awards, wins and `bidbroker report` on a known dataset,
driving the real binary: ingest real Contracts Finder award releases and the
edited Find a Tender UK4 -> UK6 -> UK7 procurement, match, confirm an alias,
report as text, CSV and JSON.  Every figure below was counted by hand from the
fixture files (the release, value and date of each award are listed where it
is used); member consent (report_name) is checked in all three formats.
"""
import csv
import io
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matchutil as mu  # noqa: E402

AWARDS = os.path.join(mu.FIXTURES, "awards")
CF = "cf-search-2022-10-20-page1.json"
UK4 = os.path.join(mu.OCDS, "fts-release-032703-2026-UK4-below-threshold.json")
UK6 = os.path.join(AWARDS, "fts-award-041234-2026-UK6-edited.json")
UK7 = os.path.join(AWARDS, "fts-contract-043210-2026-UK7-edited.json")

MEMBERS = {
    # by Companies House number, written without its leading zero (09438364)
    "oakheart": "name = Oakheart Social Enterprise\ncluster = Digbeth\n"
                "companies_house = 9438364\nreport_name = yes\nkeyword = oakheart\n",
    # by name: the published "SANDHILLS MANAGEMENT CONSULTANCY LTD"; not named
    "sandhills": "name = The Sandhills Management Consultancy C.I.C.\ncluster = Ladywood\n"
                 "keyword = sandhills\n",
    # by an alias staff confirm ("Anthony Consulting Ltd." is a near match)
    "anthony": "name = Anthony Consultancy\ncluster = Ladywood\nreport_name = yes\n"
               "keyword = anthony consultancy\n",
    # by charity number (GB-CHC 1123456); matches the Harrogate tender by keyword
    "greenheat": "name = Green Heat Co-operative\ncluster = Digbeth\n"
                 "charity_number = 1123456\nreport_name = yes\nkeyword = district heating\n",
}


def setup(env):
    for mid, body in MEMBERS.items():
        with open(os.path.join(env.members, mid + ".conf"), "w") as f:
            f.write("[member]\nid = %s\n%s" % (mid, body))
    with open(env.conf, "a") as f:
        f.write("[impact]\ntarget = 1,000,000\n"
                "[anchor harrogate]\ndisplay_name = Harrogate Town Council\n")


def report(env, *args):
    return env.run("report", *args, now="2026-12-01T12:00:00Z").stdout


def scope(j, kind, name=None):
    for s in j["scopes"]:
        if s["scope"] == kind and s["name"] == name:
            return s
    mu.fail("no scope %s %s in %s" % (kind, name, [(s["scope"], s["name"]) for s in j["scopes"]]))


def eq(what, got, want):
    if got != want:
        mu.fail("%s: got %r, want %r" % (what, got, want))


def main():
    env = mu.Env(members=None, max_value=35000)
    try:
        setup(env)
        env.ingest([CF], now="2022-10-24T12:00:00Z")
        env.run("ingest", UK4, now="2026-04-20T12:00:00Z")
        # the tender is open at 20 Apr 2026: greenheat is matched to it
        env.run("match", now="2026-04-20T12:00:00Z")
        env.run("ingest", UK6, UK7, now="2026-08-04T12:00:00Z")

        out = env.run("awards", "match", now="2026-12-01T12:00:00Z").stdout
        # the page's 53 award releases are 48 notices (four awardUpdates of
        # awards on the page fold into them) with 49 suppliers; plus the UK6
        # and UK7 suppliers: 51.  By identifier: Oakheart's 4 notices and the
        # UK6 and UK7 rows of Green Heat; by name: Sandhills' 6
        if "51 suppliers of stored awards, 12 won by members (6 by identifier, 0 by " \
           "confirmed alias, 6 by name)" not in out:
            mu.fail("awards match: %s" % out)
        sug = env.run("awards", "aliases", "suggest").stdout
        if "'Anthony Consulting Ltd.' (2 awards) may be member anthony" not in sug:
            mu.fail("no suggestion for Anthony Consulting Ltd.:\n" + sug)
        env.run("awards", "aliases", "add", "Anthony Consulting Ltd.", "anthony",
                now="2026-12-01T12:00:00Z")
        env.run("awards", "aliases", "add", "x", "nobody", expect=1)

        # --- October 2022 (Contracts Finder page of 20 Oct 2022) ----------------
        j = json.loads(report(env, "--period", "2022-10", "--format", "json"))
        # UK months: 1 Oct 2022 00:00 BST to 1 Nov 2022 00:00 GMT
        eq("period", j["period"], {"label": "2022-10", "from": "2022-09-30T23:00:00Z",
                                   "to": "2022-11-01T00:00:00Z"})
        o = scope(j, "overall")
        # tender-stage notices published in October: 33 of the page's 37
        # (4 were published in September); of low value (<= £35,000 here): 5,
        # worth £114,998: 21c21591 £24,999 (nutrient impacts on lakes), 552c8041
        # £30,000 (SEND), ad07167a £24,999 (saltmarsh mapping), c7ffea50 £20,000
        # (Regent Theatre ventilation), 37395d39 £15,000 (West Shetland imagery)
        eq("found", o["opportunities"]["found"], 33)
        eq("found by source", o["opportunities"]["by_source"], {"cf": 33})
        eq("low value", (o["opportunities"]["low_value"], o["opportunities"]["low_value_value"]),
           (5, 114998))
        # nothing matched in October 2022 (the members' rules and the dates)
        eq("brokered", (o["brokered"]["basis"], o["brokered"]["count"], o["brokered"]["value"]),
           ("matched", 0, 0))
        eq("target", o["brokered"]["target"], 83333.33)        # £1m / 12
        # awards decided in October 2022: 31 (of 50 award notices on the page)
        eq("awards", o["awards"]["count"], 31)
        # wins: Oakheart 1350 + 10800 + 10800 + 4050 (the awardUpdate of
        # b5796912: £4,050, not its award's £1,350); Sandhills 2700 + 1350 +
        # 1350 + 1350 + 3160 + 3950; Anthony 4900 (2 Oct; its £24,990 of 30 Sep
        # is September's) = 11 awards, £45,760
        eq("wins", (o["wins"]["count"], o["wins"]["value"]), (11, 45760))
        eq("wins direct", (o["wins"]["direct"], o["wins"]["after_tender"]), (11, 0))
        eq("not named", o["wins"]["not_named"], 6)               # Sandhills' six
        named = [(w["member"], w["value"], w["date"][:10]) for w in o["wins"]["named"]]
        eq("named wins", named, [("anthony", 4900, "2022-10-01"),
                                 ("oakheart", 1350, "2022-10-02"),
                                 ("oakheart", 10800, "2022-10-02"),
                                 ("oakheart", 10800, "2022-10-02"),
                                 ("oakheart", 4050, "2022-10-04")])
        eq("matched by", sorted({w["matched_by"] for w in o["wins"]["named"]}),
           ["alias", "companies_house"])
        # UK Research & Innovation's low-value awards in October: 18, £91,859;
        # members won 11 of them, £45,760 (49.8 %)
        ukri = [b for b in o["buyers"] if b["key"] == "UK RESEARCH & INNOVATION"][0]
        eq("ukri", (ukri["count"], ukri["value"], ukri["won_count"], ukri["won_value"]),
           (18, 91859, 11, 45760))
        lad = scope(j, "cluster", "Ladywood")
        eq("Ladywood wins", (lad["wins"]["count"], lad["wins"]["value"]), (7, 18760))
        dig = scope(j, "cluster", "Digbeth")
        eq("Digbeth wins", (dig["wins"]["count"], dig["wins"]["value"]), (4, 27000))
        text = json.dumps(j)
        for secret in ("sandhills", "SANDHILLS", "Sandhills"):
            if secret in text:
                mu.fail("a member without report_name is named in the JSON report: " + secret)

        # --- 2022-Q3: Anthony's £24,990 of 30 Sep 2022 ------------------------------
        j = json.loads(report(env, "--period", "2022-q3", "--format", "json",
                              "--cluster", "Ladywood"))
        eq("scopes", [(s["scope"], s["name"]) for s in j["scopes"]], [("cluster", "Ladywood")])
        lad = j["scopes"][0]
        eq("Ladywood Q3 wins", (lad["wins"]["count"], lad["wins"]["value"]), (1, 24990))
        eq("Q3 target", lad["brokered"]["target"], 250000)

        # --- 2026: the Harrogate procurement (UK4 tender, UK6 award, UK7 contract) --
        j = json.loads(report(env, "--period", "2026-Q2", "--format", "json"))
        o = scope(j, "overall")
        eq("Q2 found", o["opportunities"]["by_source"], {"fts": 1})
        eq("Q2 low", (o["opportunities"]["low_value"], o["opportunities"]["low_value_value"]),
           (1, 33721))
        # matched on 20 Apr 2026: £33,721 of £250,000 = 13.5 %
        eq("Q2 brokered", (o["brokered"]["count"], o["brokered"]["value"],
                           o["brokered"]["target"], round(o["brokered"]["share_of_target"], 1)),
           (1, 33721, 250000, 13.5))
        eq("Q2 alerted", o["members_alerted"], 1)
        eq("Q2 gaps", o["gap_opportunities"], 0)
        h = scope(j, "anchor", "harrogate")
        eq("anchor found", h["opportunities"]["found"], 1)
        eq("anchor brokered", h["brokered"]["value"], 33721)

        j = json.loads(report(env, "--period", "2026-Q3", "--format", "json"))
        o = scope(j, "overall")
        # UK6 and UK7 carry the same award: counted once, the UK7's £22,000
        eq("Q3 awards", (o["awards"]["count"], o["awards"]["value"]), (1, 22000))
        w = o["wins"]["named"]
        eq("Q3 win", [(x["member"], x["value"], x["matched_by"], x["tender"] is not None,
                       x["matched_at"], x["vcse"]) for x in w],
           [("greenheat", 22000, "charity_number", True, "2026-04-20T12:00:00Z", True)])
        eq("Q3 counts", (o["wins"]["after_tender"], o["wins"]["direct"],
                         o["wins"]["matched_before"]), (1, 0, 1))
        hb = [b for b in o["buyers"] if b["key"] == "Harrogate Town Council"][0]
        eq("Harrogate share", (hb["value"], hb["won_value"]), (22000, 22000))
        caps = {c["key"]: (c["count"], c["value"], c["members_count"], c["sme_count"],
                           c["vcse_count"]) for c in o["award_capabilities"]}
        eq("award capabilities", caps, {"(none)": (1, 22000, 1, 1, 1)})

        # --- what other helpers' tables add, once they are there: digests sent
        # (digest, digest_item), feedback, consortium suggestions.  The rows are
        # written as the digest, memberlinks and consortium helpers' migrations
        # define them (CREATE TABLE IF NOT EXISTS: the same tables when landed).
        hid = env.row_id("032703-2026")
        db = sqlite3.connect(os.path.join(env.state, "bidbroker.db"))
        db.executescript(DIGEST_TABLES + CONSORTIUM_TABLES)
        sent = 1776772800                                  # 2026-04-21T12:00:00Z
        db.execute("INSERT INTO digest (id, member, period, message_id, items, overflow,"
                   " infeasible, created) VALUES (1, 'greenheat', '2026-04-21', '<m@x>', 1,"
                   " 0, 0, ?)", (sent,))
        db.execute("INSERT INTO digest_item (digest_id, member, opportunity_id, kind, section,"
                   " value_stated, value_max, created) VALUES (1, 'greenheat', ?, 'new',"
                   " 'main', 1, 3372100, ?)", (hid, sent))
        db.execute("INSERT INTO feedback (member, opportunity_id, action, at, first_at)"
                   " VALUES ('greenheat', ?, 'interested', ?, ?)", (hid, sent + 3600, sent + 3600))
        # (the match run stored its own verdict for it: a single member covers it)
        db.execute("INSERT OR REPLACE INTO consortium (opportunity_id, verdict, doc,"
                   " content_hash, fingerprint, computed, updated)"
                   " VALUES (?, 'consortium', '{}', 'h', 'f', ?, ?)", (hid, sent, sent))
        db.execute("INSERT OR IGNORE INTO consortium_member (opportunity_id, rank, member_id,"
                   " role) VALUES (?, 1, 'greenheat', 'lead'), (?, 1, 'oakheart', 'partner')",
                   (hid, hid))
        db.commit()
        db.close()
        j = json.loads(report(env, "--period", "2026-Q2", "--format", "json"))
        o = scope(j, "overall")
        eq("Q2 sent", (o["brokered"]["basis"], o["brokered"]["count"], o["brokered"]["value"],
                       o["brokered"]["sent"], o["brokered"]["matched"]),
           ("sent", 1, 33721, 1, 1))
        eq("Q2 alerted (sent)", o["members_alerted"], 1)
        eq("Q2 feedback", o["feedback"], {"interested": 1})
        eq("Q2 consortia", o["consortium_suggestions"], 1)
        eq("Q2 consortia by cluster", (scope(j, "cluster", "Digbeth")["consortium_suggestions"],
                                       scope(j, "cluster", "Ladywood")["consortium_suggestions"]),
           (1, 0))
        j = json.loads(report(env, "--period", "2026-Q3", "--format", "json"))
        o = scope(j, "overall")
        eq("Q3 sent before", (o["wins"]["sent_before"], o["wins"]["named"][0]["sent_at"]),
           (1, "2026-04-21T12:00:00Z"))
        t = report(env, "--period", "2026-Q3")
        if "after tender #%d, matched to them, sent to them" % hid not in t:
            mu.fail("text report: the win was sent before:\n" + t)

        # --- month by month over 2026: the tender matched in April, won in July --
        j = json.loads(report(env, "--period", "2026", "--monthly", "--format", "json"))
        eq("months", [m["period"] for m in j["months"]],
           ["2026-%02d" % k for k in range(1, 13)])
        by = {m["period"]: scope(m, "overall") for m in j["months"]}
        eq("brokered by month", {k: v["brokered"]["value"] for k, v in by.items()
                                 if v["brokered"]["value"]}, {"2026-04": 33721})
        eq("wins by month", {k: (v["wins"]["count"], v["wins"]["value"]) for k, v in by.items()
                             if v["wins"]["count"]}, {"2026-07": (1, 22000)})
        eq("month target", by["2026-04"]["brokered"]["target"], 83333.33)
        eq("year", (scope(j, "overall")["brokered"]["target"],
                    scope(j, "overall")["wins"]["value"]), (1000000, 22000))
        t = report(env, "--period", "2026", "--monthly")
        line = [x for x in t.splitlines() if x.strip().startswith("2026-04")]
        if not line or "1, £33,721" not in line[0] or "£33,721 (3.4 %)" not in line[0]:
            mu.fail("monthly text: %r" % line)
        rows = list(csv.DictReader(io.StringIO(report(env, "--period", "2026", "--monthly",
                                                      "--format", "csv"))))
        apr = [r for r in rows if (r["period"], r["scope"], r["measure"]) ==
               ("2026-04", "overall", "brokered")]
        eq("csv April", (apr[0]["count"], apr[0]["value"]), ("1", "33721"))

        # the identifiers and consent are member keys (files, show, export)
        shown = json.loads(env.run("members", "show", "oakheart", "--json").stdout)
        eq("members show", (shown["companies_house"], shown["report_name"], shown["ppon"]),
           ("9438364", True, None))
        sheet = env.run("members", "export").stdout
        if "companies_house,charity_number,ppon,report_name" not in sheet.splitlines()[0] \
                or "9438364" not in sheet:
            mu.fail("members export lacks the identifier columns:\n" + sheet)

        # --- CSV: the data office's columns --------------------------------------
        rows = list(csv.DictReader(io.StringIO(report(env, "--period", "2026-Q3",
                                                      "--format", "csv"))))
        eq("csv columns", list(rows[0].keys()),
           ["period", "scope", "name", "measure", "key", "count", "value", "share", "basis"])

        def row(measure, key="", sc="overall", name=""):
            for r in rows:
                if (r["measure"], r["key"], r["scope"], r["name"]) == (measure, key, sc, name):
                    return r
            mu.fail("no CSV row %s %s %s %s" % (measure, key, sc, name))
        eq("csv wins", (row("wins")["count"], row("wins")["value"]), ("1", "22000"))
        eq("csv low wins share", row("low_value_wins")["share"], "100.0")
        eq("csv Digbeth", row("wins", sc="cluster", name="Digbeth")["value"], "22000")
        eq("csv Ladywood", row("wins", sc="cluster", name="Ladywood")["count"], "0")
        eq("csv win row", (row("win", "greenheat")["value"], row("win", "greenheat")["basis"]),
           ("22000", "after tender; matched; sent"))
        eq("csv target", row("target")["value"], "250000")
        eq("csv brokered basis", row("brokered")["basis"], "sent")
        rows = list(csv.DictReader(io.StringIO(report(env, "--period", "2022-10",
                                                      "--format", "csv"))))
        named = sorted(r["key"] for r in rows if r["measure"] == "win" and r["scope"] == "overall")
        eq("csv named wins", named, ["anthony", "oakheart", "oakheart", "oakheart", "oakheart"])
        eq("csv buyer share", row("buyer_low_value_won", "UK RESEARCH & INNOVATION")["share"],
           "49.8")

        # --- text ----------------------------------------------------------------
        t = report(env, "--period", "2022-10")
        for want in ("bidbroker report 2022-10", "Wins by members: 11, £45,760",
                     "UK RESEARCH & INNOVATION", "£45,760 of £91,859 (49.8 %), 11 of 18 awards",
                     "and 6 wins by members who have not agreed to be named",
                     "oakheart (OAKHEART SERVICES LTD.) won £4,050"):
            if want not in t:
                mu.fail("text report lacks %r:\n%s" % (want, t))
        if "andhills" in t.lower():
            mu.fail("text report names a member without report_name")

        # bad arguments
        for args, msg in ((("--period", "2026-Q5"), "is not a year"),
                          (("--format", "xml"), "is not text, csv or json"),
                          (("--cluster", "Nowhere"), "no member has cluster = Nowhere")):
            p = env.run("report", *args, expect=None)
            if p.returncode == 0 or msg not in p.stderr:
                mu.fail("report %s: exit %d, %s" % (args, p.returncode, p.stderr))
    finally:
        env.cleanup()

    # --- a gap: the same tender with no member that covers it --------------------
    env = mu.Env(members=None, max_value=35000)
    try:
        with open(os.path.join(env.members, "other.conf"), "w") as f:
            f.write("[member]\nid = other\nname = Other\ncluster = Digbeth\n"
                    "capabilities = cleaning\n")
        env.run("ingest", UK4, now="2026-04-20T12:00:00Z")
        env.run("match", now="2026-04-20T12:00:00Z")
        j = json.loads(report(env, "--period", "2026-Q2", "--format", "json"))
        o = scope(j, "overall")
        # no capability of the taxonomy fires on it (explain: "nothing")
        eq("gap", (o["gap_opportunities"], o["gaps"]),
           (1, [{"key": "(none)", "count": 1, "value": 33721}]))
        eq("gap brokered", o["brokered"]["count"], 0)
    finally:
        env.cleanup()
    print("ok")


# As the digest helper's migration defines them (TEAM.md's agreed interface).
DIGEST_TABLES = """
CREATE TABLE IF NOT EXISTS digest (id INTEGER PRIMARY KEY, member TEXT NOT NULL,
  period TEXT NOT NULL, message_id TEXT, outbox_id INTEGER, items INTEGER NOT NULL,
  overflow INTEGER NOT NULL, infeasible INTEGER NOT NULL, message BLOB,
  created INTEGER NOT NULL, UNIQUE (member, period));
CREATE TABLE IF NOT EXISTS digest_item (digest_id INTEGER NOT NULL REFERENCES digest (id),
  member TEXT NOT NULL, opportunity_id INTEGER NOT NULL, kind TEXT NOT NULL,
  section TEXT NOT NULL, title TEXT, deadline INTEGER, value_stated INTEGER NOT NULL,
  value_max INTEGER, created INTEGER NOT NULL, PRIMARY KEY (digest_id, opportunity_id));
"""
# As the consortium helper's migration defines them.
CONSORTIUM_TABLES = """
CREATE TABLE IF NOT EXISTS consortium (opportunity_id INTEGER PRIMARY KEY
  REFERENCES opportunity (id) ON DELETE CASCADE, verdict TEXT, doc TEXT NOT NULL,
  content_hash TEXT NOT NULL, fingerprint TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active', withdrawn_reason TEXT,
  computed INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS consortium_member (opportunity_id INTEGER NOT NULL
  REFERENCES opportunity (id) ON DELETE CASCADE, rank INTEGER NOT NULL,
  member_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (opportunity_id, rank, member_id));
"""

if __name__ == "__main__":
    main()
