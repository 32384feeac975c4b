#!/usr/bin/python3
"""Integration: the same tender on Contracts Finder and Find a Tender (#8 item 7).

The fixtures hold no tender published on both services, so the Find a Tender
twins are real Find a Tender releases with only the fields that identify a
tender edited (tests/fixtures/README.md, "links/"):

- fts-twin-hampshire-catering.json: buyer, title (upper case, a dash) and
  deadline (30 minutes later) of the real Contracts Finder "Hampshire Primary
  Cluster 4 Catering Tender": linked by buyer + title + deadline, whichever
  file comes first; the Contracts Finder record is the canonical one, listed
  once as [cf+fts], matched once (explain of the Find a Tender record says
  "same tender as N"); show/list --json say "also"; the ingest
  summary counts 1 linked; a member matched on the Find a Tender record
  before the link keeps its first_matched on the canonical one;
- ...-3-days-later.json: the same with the deadline 3 days later: not linked;
- fts-twin-029179-2022-cited-by-cf.json: release id 029179-2022, which the real
  Contracts Finder "Provision of Accommodation Based Support Services for
  Victims of Domestic Abuse" cites as "Publication reference: 2022/S
  000-029179"; buyer and title are another tender's and the deadline 12 hours
  apart: linked by ids;
- a cancellation of the Find a Tender record closes the tender (the match on
  the Contracts Finder record is withdrawn);
- a store from before the links migrations opens, upgrades and links the pair
  it already holds.
"""
import json
import os
import sqlite3

from matchutil import FIXTURES, Env, NOW_2022, NOW_2025, OCDS, fail

LINKS = os.path.join(FIXTURES, "links")

CF_2025 = "cf-search-2025-01-20to23-page1.json"
CF_2022 = ["cf-search-2022-10-20-page1.json", "cf-search-2022-10-22-page1.json"]
TWIN = "fts-twin-hampshire-catering.json"
TWIN_LATE = "fts-twin-hampshire-catering-3-days-later.json"
TWIN_IDS = "fts-twin-029179-2022-cited-by-cf.json"
HAMPSHIRE = "b8c14041-9e33-4f4c-8c08-398d0c8ada2c"
SANDWELL = "07e9844f-6d88-43d3-ae74-b59472de03cb"
FTS_ID = "032703-2026"

MEMBER = """# serves both notices' regions: without linking it would match the tender twice
[member]
id = caterers-both
name = Caterers of Two Regions CIC
regions = South East, UKE
capabilities = catering
"""


def env_with_member():
    env = Env(members=None, max_value=50000)
    with open(os.path.join(env.members, "caterers-both.conf"), "w") as f:
        f.write(MEMBER)
    return env


def path(name):
    return os.path.join(LINKS if name.startswith("fts-twin") else OCDS, name)


def ingest(env, name, now, linked):
    out = env.run("ingest", path(name), now=now).stdout
    if (", %d linked\n" % linked) not in out:
        fail("ingest %s should report %d linked:\n%s" % (name, linked, out))


def rows(env, now):
    return env.json_lines("list", "--json", now=now)


def stored(env, notice_id, now):
    """show --json of a notice (its row id read from the store's file)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(env.state, "bidbroker.db"), uri=True)
    row = db.execute("SELECT id FROM opportunity WHERE notice_id = ?", (notice_id,)).fetchone()
    db.close()
    if row is None:
        fail("notice %s not stored" % notice_id)
    return json.loads(env.run("show", "--json", str(row[0]), now=now).stdout)


def check_linked(env, now, cf_id, fts_id, rule):
    listed = rows(env, now)
    cf = [r for r in listed if r["notice_id"] == cf_id]
    if len(cf) != 1 or [r for r in listed if r["notice_id"] == fts_id]:
        fail("list should show the tender once, as its CF record: %r"
             % [r["notice_id"] for r in listed if r["notice_id"] in (cf_id, fts_id)])
    also = cf[0]["also"]
    if len(also) != 1 or also[0]["source"] != "fts" or also[0]["notice_id"] != fts_id \
            or also[0]["rule"] != rule or also[0]["canonical"]:
        fail("list --json also of the CF record: %r" % also)
    for r in listed:
        if r["notice_id"] != cf_id and r["also"] != []:
            fail("only the linked tender has an 'also': %r" % r)
    fts = stored(env, fts_id, now)
    if fts["also"] != [{"id": cf[0]["id"], "source": "cf", "notice_id": cf_id, "rule": rule,
                        "canonical": True}]:
        fail("show --json also of the FTS record: %r" % fts["also"])
    for rid, other in ((fts["id"], "cf " + cf_id), (cf[0]["id"], "fts " + fts_id)):
        out = env.run("show", str(rid), now=now).stdout
        if "also published as %s (id " % other not in out:
            fail("show %d should say 'also published as %s':\n%s" % (rid, other, out))
    out = env.run("list", now=now).stdout
    if out.count("[cf+fts] ") != 1:
        fail("list should mark the linked tender [cf+fts] once:\n%s" % out)
    return cf[0]["id"], fts["id"]


def matches(env, *extra):
    """{(member, notice_id): match} (ids of duplicates too, which list omits)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(env.state, "bidbroker.db"), uri=True)
    ids = dict(db.execute("SELECT id, notice_id FROM opportunity"))
    db.close()
    return {(m["member"], ids[m["opportunity"]]): m
            for m in env.json_lines("matches", "--json", *extra)}


def match_results(env, now):
    """{(member, notice_id): (score, status)}, and the match counts."""
    n = json.loads(env.run("match", "--json", now=now).stdout)
    got = {k: (m["score"], m["status"]) for k, m in matches(env, "--all").items()}
    return n, got


def test_both_orders():
    results = []
    for order in ((CF_2025, TWIN), (TWIN, CF_2025)):
        env = env_with_member()
        try:
            ingest(env, order[0], NOW_2025, 0)
            ingest(env, order[1], NOW_2025, 1)
            cf_row, fts_row = check_linked(env, NOW_2025, HAMPSHIRE, FTS_ID,
                                           "buyer+title+deadline")
            f = env.json_lines("explain", str(fts_row), "--json", now=NOW_2025)[0]["filter"]
            if f["eligible"] or f["reason"] != "same tender as %d" % cf_row:
                fail("explain of the FTS record should say it is matched as %d: %r"
                     % (cf_row, f))
            n, got = match_results(env, NOW_2025)
            if n["duplicates"] != 1:
                fail("match should skip one duplicate: %r" % n)
            mine = {k: v for k, v in got.items() if k[1] in (HAMPSHIRE, FTS_ID)}
            if list(mine) != [("caterers-both", HAMPSHIRE)]:
                fail("the tender should be matched once, on its CF record: %r" % mine)
            results.append(sorted(got.items()))
            # idempotent: the same files again link nothing new, change nothing
            before = rows(env, NOW_2025)
            ingest(env, order[0], NOW_2025, 0)
            ingest(env, order[1], NOW_2025, 0)
            if rows(env, NOW_2025) != before:
                fail("re-ingesting changed the listing")
        finally:
            env.cleanup()
    if results[0] != results[1]:
        fail("CF-first and FTS-first should give the same matches:\n%r\n%r" % tuple(results))


def test_matched_before_link():
    """FTS first, matched; then CF arrives: the match moves to the CF record
    with its first_matched, the FTS one is withdrawn."""
    env = env_with_member()
    try:
        ingest(env, TWIN, NOW_2025, 0)
        env.run("match", now=NOW_2025)
        m = matches(env, "--all")
        if set(m) != {("caterers-both", FTS_ID)}:
            fail("the FTS record alone should match caterers-both: %r" % m)
        later = "2025-01-24T13:00:00Z"
        ingest(env, CF_2025, later, 1)
        n = json.loads(env.run("match", "--json", now=later).stdout)
        if n["duplicates"] != 1:
            fail("match counts: %r" % n)
        m = matches(env, "--all")
        cf_row = stored(env, HAMPSHIRE, later)["id"]
        old, new = m.get(("caterers-both", FTS_ID)), m.get(("caterers-both", HAMPSHIRE))
        if old is None or old["status"] != "withdrawn" or \
                old["withdrawn_reason"] != "same tender as %d" % cf_row:
            fail("the FTS record's match should be withdrawn as a duplicate: %r" % old)
        if new is None or new["status"] != "active" or new["first_matched"] != NOW_2025:
            fail("the CF record's match should keep first_matched %s: %r" % (NOW_2025, new))
        active = [k for k in matches(env) if k[1] in (HAMPSHIRE, FTS_ID)]
        if active != [("caterers-both", HAMPSHIRE)]:
            fail("one active match for the tender: %r" % active)
    finally:
        env.cleanup()


def test_cancelled_on_other_source():
    """A cancellation of the Find a Tender record (a tenderCancellation
    release of its ocid, as UK12 notices are) closes the tender: the match on
    the Contracts Finder record is withdrawn, and explain says why."""
    env = env_with_member()
    try:
        ingest(env, CF_2025, NOW_2025, 0)
        ingest(env, TWIN, NOW_2025, 1)
        env.run("match", now=NOW_2025)
        if matches(env).get(("caterers-both", HAMPSHIRE)) is None:
            fail("the CF record should be matched before the cancellation")
        with open(path(TWIN)) as f:
            pkg = json.load(f)
        rel = pkg["releases"][0]
        rel["id"] = "032800-2026"
        rel["tag"] = ["tenderCancellation"]
        rel["date"] = "2025-01-24T12:30:00Z"
        cancel = os.path.join(env.dir, "cancel.json")
        with open(cancel, "w") as f:
            json.dump(pkg, f)
        later = "2025-01-24T13:00:00Z"
        out = env.run("ingest", cancel, now=later).stdout
        if ", 0 linked\n" not in out:
            fail("a cancellation is not linked:\n" + out)
        env.run("match", now=later)
        cf_row = stored(env, HAMPSHIRE, later)["id"]
        fts_row = stored(env, FTS_ID, later)["id"]
        m = matches(env, "--all").get(("caterers-both", HAMPSHIRE))
        want = "closed on the other source (%d)" % fts_row
        if m is None or m["status"] != "withdrawn" or m["withdrawn_reason"] != want:
            fail("the CF record's match should be withdrawn as %r: %r" % (want, m))
        f = env.json_lines("explain", str(cf_row), "--json", now=later)[0]["filter"]
        if f["eligible"] or f["reason"] != want:
            fail("explain of the CF record: %r" % f)
    finally:
        env.cleanup()


def test_near_miss():
    env = env_with_member()
    try:
        ingest(env, CF_2025, NOW_2025, 0)
        ingest(env, TWIN_LATE, NOW_2025, 0)
        listed = rows(env, NOW_2025)
        both = [r for r in listed if r["notice_id"] in (HAMPSHIRE, FTS_ID)]
        if len(both) != 2 or any(r["also"] for r in both):
            fail("deadlines 3 days apart: two tenders, not linked: %r" % both)
        if "[cf+fts]" in env.run("list", now=NOW_2025).stdout:
            fail("nothing should be marked [cf+fts]")
        n = json.loads(env.run("match", "--json", now=NOW_2025).stdout)
        if n["duplicates"] != 0:
            fail("no duplicates: %r" % n)
    finally:
        env.cleanup()


def test_ids():
    for order in ([TWIN_IDS] + CF_2022, CF_2022 + [TWIN_IDS]):
        env = env_with_member()
        try:
            p = env.run("ingest", *[path(f) for f in order], now=NOW_2022)
            if "total: 183 new, 0 updated, 18 unchanged, 0 rejected, 1 linked" not in p.stdout:
                fail("ingest summary:\n" + p.stdout)
            check_linked(env, NOW_2022, SANDWELL, "029179-2022", "ids")
        finally:
            env.cleanup()


V4_LINK_KEY = ("CREATE TABLE link_key (opportunity_id INTEGER PRIMARY KEY"
               " REFERENCES opportunity (id) ON DELETE CASCADE, source TEXT NOT NULL,"
               " title_key TEXT NOT NULL, buyer_key TEXT NOT NULL, deadline INTEGER);"
               "CREATE INDEX link_key_title ON link_key (title_key, deadline);")


def test_migration():
    """A store from before migration 4 (what migrations 1-3 made), and one at
    4 (its link_key without notice_id, no links yet), open, upgrade, and link
    the pair they already hold."""
    for downgrade in ("DROP TABLE link; DROP TABLE link_ref; DROP TABLE link_key;"
                      "PRAGMA user_version = 3;",
                      "DROP TABLE link_key; DELETE FROM link_ref; DELETE FROM link;"
                      + V4_LINK_KEY + "PRAGMA user_version = 4;"):
        migrate_from(downgrade)


def migrate_from(downgrade):
    env = env_with_member()
    try:
        env.run("ingest", path(CF_2025), path(TWIN), now=NOW_2025)
        db = sqlite3.connect(os.path.join(env.state, "bidbroker.db"))
        db.executescript(downgrade)
        db.close()
        p = env.run("list", now=NOW_2025, expect=None)
        if p.returncode == 0 and "[cf+fts]" in p.stdout:
            fail("an old store cannot know the link yet")
        ingest(env, TWIN, NOW_2025, 0)         # opens read-write: migrates
        db = sqlite3.connect(os.path.join(env.state, "bidbroker.db"))
        ver = db.execute("PRAGMA user_version").fetchone()[0]
        links = db.execute("SELECT rule FROM link").fetchall()
        db.close()
        if ver < 5 or links != [("buyer+title+deadline",)]:
            fail("after the upgrade: version %d, links %r" % (ver, links))
        check_linked(env, NOW_2025, HAMPSHIRE, FTS_ID, "buyer+title+deadline")
    finally:
        env.cleanup()


def main():
    test_both_orders()
    test_matched_before_link()
    test_cancelled_on_other_source()
    test_near_miss()
    test_ids()
    test_migration()
    print("links OK")


if __name__ == "__main__":
    main()
