"""Lots respected (issue #10 item 1) on a Find a Tender notice of three lots
(tests/fixtures/lots/fts-lots-3-facilities-edited.json: the real Harrogate
UK4 release edited into lot 1 cleaning £40,000, lot 2 grounds £30,000, lot 3
building repairs £60,000, at most 2 lots awarded per supplier; £130,000 in
all, region UKE2).

With max_value £100,000 the notice is over the cap as a whole but its lots
are not, so the match pass takes it.  Each lot is matched on its own: the
cleaner matches lot 1, the gardener lot 2, a builder whose max_value is
£70,000 lot 3 (not the whole notice, at £130,000), a cleaner-and-gardener
lots 1 and 2.  The whole notice has no cover (building-works: the builder's
band is below £130,000); per lot, each has a single member; the bundle puts
one per lot.  Stored with the suggestion by `bidbroker match`, recomputed
when the register changes; the builder's lot-only match is stored with the
others, and the digests say which lots each member could bid for alone.  A
notice of one lot is unchanged: no lot keys.
"""
import email
import json
import os
import sqlite3
import sys
from email import policy

sys.path.insert(0, os.path.dirname(__file__))
import matchutil as mu  # noqa: E402

NOW = "2026-04-20T12:00:00Z"
LOTS = os.path.join(mu.FIXTURES, "lots", "fts-lots-3-facilities-edited.json")
ONE_LOT = os.path.join(mu.OCDS, "fts-release-032703-2026-UK4-below-threshold.json")


def member(env, mid, caps, extra=""):
    with open(os.path.join(env.members, mid + ".conf"), "w") as f:
        f.write("[member]\nid = %s\nname = %s\nemail = bids@%s.example\nregions = UKE\n"
                "capabilities = %s\nconsortium = yes\n%s" % (mid, mid, mid, caps, extra))


def explain(env, rid, *extra):
    return json.loads(env.run("explain", str(rid), "--json", *extra, now=NOW).stdout)


def by_id(lots):
    return {lot["id"]: lot for lot in lots}


def sets(lot):
    return [c["members"] for c in lot["consortia"]]


def digest_text(env, mid):
    """The text part of member mid's digest preview."""
    p = env.run("digest", "--member", mid, "--preview", now=NOW)
    msg = email.message_from_string(p.stdout, policy=policy.default)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_content()
    mu.fail("no text part in the digest of %s:\n%s" % (mid, p.stdout))


def main():
    env = mu.Env(members=None, max_value=100000)
    try:
        with open(env.conf, "a") as f:
            f.write("[mail]\nfrom = digest@example.org\ntemplates = %s\n"
                    % os.path.join(mu.TOP, "conf", "digest"))
        member(env, "clean-co", "cleaning")
        member(env, "green-co", "grounds")
        member(env, "tidy-co", "cleaning, grounds")
        member(env, "build-co", "building-works", "max_value = 70000\n")
        env.run("ingest", LOTS, ONE_LOT, now=NOW)
        rid = env.row_id("051234-2026")

        # the lots as stored (show --json)
        shown = json.loads(env.run("show", str(rid), "--json").stdout)
        got = [(lot["id"], lot["title"], lot["value"], lot["cpv"])
               for lot in shown["lots"]["lots"]]
        if got != [("1", "Lot 1: Cleaning of council buildings", 40000, ["90910000"]),
                   ("2", "Lot 2: Grounds maintenance", 30000, ["77314000"]),
                   ("3", "Lot 3: Building repairs", 60000, ["45453000"])] \
           or shown["lots"]["max_lots_awarded"] != 2:
            mu.fail("show lots: %r" % shown["lots"])

        text = env.run("show", str(rid)).stdout
        for want_line in ("lots           1: Lot 1: Cleaning of council buildings, £40,000, "
                          "CPV 90910000",
                          "               3: Lot 3: Building repairs, £60,000, CPV 45453000",
                          "lot limits     a supplier may bid for 3, may win 2"):
            if want_line not in text:
                mu.fail("show lacks %r:\n%s" % (want_line, text))

        # matching per lot
        j = explain(env, rid)
        if not j["filter"]["eligible"]:
            mu.fail("a lot under the cap: eligible, got %r" % j["filter"])
        whole = {m["member"] for m in j["matches"]}
        if whole != {"clean-co", "green-co", "tidy-co"}:
            mu.fail("whole notice matches: %r" % whole)
        lots = by_id(j["lots"])
        want = {"1": (["cleaning"], {("clean-co", True), ("tidy-co", True)}),
                "2": (["grounds"], {("green-co", True), ("tidy-co", True)}),
                "3": (["building-works"], {("build-co", True)})}
        for lid, (req, matches) in want.items():
            lot = lots[lid]
            r = [x["capability"] for x in lot["requires"] if x["required"]]
            m = {(x["member"], x["whole"]) for x in lot["matches"]}
            if r != req or m != matches:
                mu.fail("lot %s: requires %r matches %r" % (lid, r, m))
        if lots["3"]["value"] != 60000:
            mu.fail("lot 3 value: %r" % lots["3"])
        out = env.run("explain", str(rid), now=NOW).stdout
        for want_line in ("lot 3  Lot 3: Building repairs, £60,000",
                          "matches  build-co (the whole lot)"):
            if want_line not in out:
                mu.fail("text lacks %r:\n%s" % (want_line, out))

        # consortia: the whole, each lot, the bundle (tidy-co, as good as
        # clean-co on lot 1 and green-co on lot 2 but later, is dominated
        # there: docs/consortium.md)
        j = explain(env, rid, "--consortia")
        if j["verdict"] != "no cover" or j["missing"] != ["building-works"]:
            mu.fail("whole: %r %r" % (j["verdict"], j["missing"]))
        lots = by_id(j["lots"])
        if [lots[x]["verdict"] for x in "123"] != ["single"] * 3 \
           or sets(lots["1"]) != [["clean-co"]] or sets(lots["2"]) != [["green-co"]] \
           or sets(lots["3"]) != [["build-co"]]:
            mu.fail("per lot: %r" % [(x["id"], x["verdict"], sets(x)) for x in j["lots"]])
        if lots["1"]["requires"][0]["capability"] != "cleaning":
            mu.fail("merged lot lost its requirements: %r" % lots["1"])
        b = j["lot_bundle"]
        if [(x["id"], x["members"]) for x in b["lots"]] != \
           [("1", ["clean-co"]), ("2", ["green-co"]), ("3", ["build-co"])] \
           or b["uncovered"] != [] or b["limit"] != 2 or b["value"] != 130000:
            mu.fail("bundle: %r" % b)
        reasons = " | ".join(b["reasons"])
        for want_r in ("lot 3 (£60,000): build-co alone",
                       "one supplier may win at most 2 of the 3 lots",
                       "the whole notice has no cover; bidding lot by lot covers 3 of 3 lots"):
            if want_r not in reasons:
                mu.fail("bundle reasons lack %r: %s" % (want_r, reasons))
        out = env.run("explain", str(rid), "--consortia", now=NOW).stdout
        for want_line in ("Consortia per lot (each lot alone):", "single: build-co",
                          "Lot bundle (bids lot by lot, at most 2 lots per supplier):"):
            if want_line not in out:
                mu.fail("consortia text lacks %r:\n%s" % (want_line, out))

        # stored by the match pass, with the lots
        env.run("match", now=NOW)
        j = explain(env, rid, "--consortia")
        if not j["consortia_stored"] or j["consortia_stored"]["stale"] \
           or sets(by_id(j["lots"])["3"]) != [["build-co"]] or j["lot_bundle"] is None:
            mu.fail("stored: %r %r" % (j["consortia_stored"], j.get("lots")))
        db = sqlite3.connect(os.path.join(env.state, "bidbroker.db"))
        doc = json.loads(db.execute("SELECT doc FROM consortium WHERE opportunity_id = ?",
                                    (rid,)).fetchone()[0])
        db.close()
        # stored matches: build-co matches lot 3, not the whole notice: stored all
        # the same (with its lot's reasons), so its digest carries the notice
        stored = {m["member"] for m in env.json_lines("matches", "--json")
                  if m["opportunity"] == rid}
        if stored != {"clean-co", "green-co", "tidy-co", "build-co"}:
            mu.fail("stored matches: %r" % stored)
        txt = digest_text(env, "build-co")
        if "You could bid for lot 3 alone (£60,000, Lot 3: Building repairs)" not in txt:
            mu.fail("build-co's digest:\n" + txt)
        txt = digest_text(env, "tidy-co")
        for want_d in ("You could bid for lot 1 alone (£40,000, Lot 1: Cleaning of council "
                       "buildings)", "You could bid for lot 2 alone (£30,000, Lot 2: Grounds "
                       "maintenance)"):
            if want_d not in txt:
                mu.fail("tidy-co's digest lacks %r:\n%s" % (want_d, txt))
        if "lot 3" in txt:
            mu.fail("tidy-co's digest names lot 3:\n" + txt)
        if [x["id"] for x in doc["lots"]] != ["1", "2", "3"] \
           or doc["lot_bundle"]["members"] != ["clean-co", "green-co", "build-co"]:
            mu.fail("stored doc: %r" % doc.get("lot_bundle"))

        # the register changes: recomputed; only tidy-co for lots 1 and 2,
        # nobody for lot 3
        for mid in ("clean-co", "green-co", "build-co"):
            os.remove(os.path.join(env.members, mid + ".conf"))
        env.run("match", now=NOW)
        j = explain(env, rid, "--consortia")
        lots = by_id(j["lots"])
        b = j["lot_bundle"]
        if j["consortia_stored"]["stale"] or lots["3"]["verdict"] != "no cover" \
           or lots["3"]["missing"] != ["building-works"] \
           or [(x["id"], x["members"]) for x in b["lots"]] != [("1", ["tidy-co"]),
                                                              ("2", ["tidy-co"])] \
           or b["uncovered"] != ["3"] or "tidy-co bids for lots 1 and 2 (one supplier may " \
           "win at most 2)" not in b["reasons"]:
            mu.fail("recomputed: %r %r" % (lots["3"], b))
        stored = {m["member"] for m in env.json_lines("matches", "--json")
                  if m["opportunity"] == rid}
        if stored != {"tidy-co"}:
            mu.fail("stored matches after the change: %r" % stored)

        # a notice of one lot: as before, no lot keys
        one = env.row_id("032703-2026")
        j = explain(env, one, "--consortia")
        if "lots" in j or "lot_bundle" in j:
            mu.fail("one-lot notice has lot keys: %r" % sorted(j))
    finally:
        env.cleanup()


main()
