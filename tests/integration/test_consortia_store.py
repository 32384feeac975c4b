"""Consortium suggestions stored with the matches (issue #10 item 4):
`bidbroker match` computes and stores them for each open low-value notice it
evaluates; `explain --consortia` reads the stored one (and says so), says
when it is stale (a member file changed since, [consortium] changed since)
and the next `match` recomputes it; a re-run with nothing changed computes
nothing; the consortium_member rows name the lead and partners the digest
reads; a notice the filter drops has its suggestion withdrawn.

Notice: "Ref 235 - RBKC Council Housing - Door Entry, CCTV, Gates ..." (CF,
London, £1,560,000): building-works and security.  The filter's max_value is
raised so that it is eligible.
"""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
import matchutil as mu  # noqa: E402
from test_consortia import NOTICE, member  # noqa: E402


def explain(env, rid):
    return json.loads(env.run("explain", str(rid), "--consortia", "--json",
                              now=mu.NOW_2022).stdout)


def match(env):
    return json.loads(env.run("match", "--json", now=mu.NOW_2022).stdout)


def db_rows(env, sql, *args):
    db = sqlite3.connect(os.path.join(env.state, "bidbroker.db"))
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def set_max_value(env, value):
    with open(env.conf) as f:
        conf = f.read()
    conf = re.sub(r"max_value = \d+", "max_value = %d" % value, conf)
    with open(env.conf, "w") as f:
        f.write(conf)


def main():
    env = mu.Env(members=None, max_value=2000000)
    try:
        member(env, "build-co", "building-works", capacity=1000000, lead="yes")
        member(env, "guard-co", "security", capacity=600000)
        env.ingest(mu.FILES_2022, mu.NOW_2022)
        rid = env.row_id(NOTICE)

        # before any match: computed now, not stored
        j = explain(env, rid)
        if j["consortia_stored"] is not None or j["verdict"] != "consortium":
            mu.fail("before match: %r %r" % (j["consortia_stored"], j["verdict"]))
        out = env.run("explain", str(rid), "--consortia", now=mu.NOW_2022).stdout
        if "computed now: not stored" not in out:
            mu.fail("text before match:\n" + out)

        n = match(env)
        if n["consortia"] < 1:
            mu.fail("match stored no suggestion: %r" % n)
        j = explain(env, rid)
        s = j["consortia_stored"]
        if not s or s["status"] != "active" or s["stale"] or s["computed"] is None:
            mu.fail("stored: %r" % s)
        if [c["members"] for c in j["consortia"]] != [["build-co", "guard-co"]] \
           or j["consortia"][0]["lead"] != "build-co":
            mu.fail("stored consortia: %r" % j["consortia"])
        if j["consortia"][0]["contacts"]["guard-co"]["emails"] != ["bids@guard-co.example"]:
            mu.fail("contacts: %r" % j["consortia"][0]["contacts"])
        rows = db_rows(env, "SELECT rank, member_id, role FROM consortium_member"
                       " WHERE opportunity_id = ? ORDER BY member_id", rid)
        if rows != [(1, "build-co", "lead"), (1, "guard-co", "partner")]:
            mu.fail("consortium_member rows: %r" % rows)
        out = env.run("explain", str(rid), "--consortia", now=mu.NOW_2022).stdout
        if "stored by the match pass (computed " not in out or "1. build-co + guard-co" not in out:
            mu.fail("text, stored:\n" + out)

        # nothing changed: the next pass computes nothing
        n = match(env)
        if n["consortia"] != 0 or n["evaluated"] != 0:
            mu.fail("second pass recomputed: %r" % n)

        # a member file changes: the stored one is stale until the next pass
        member(env, "guard-co", "security", capacity=600000, regions="UKC")  # not London
        j = explain(env, rid)
        s = j["consortia_stored"]
        if not s["stale"] or "register" not in s["stale_why"] \
           or [c["members"] for c in j["consortia"]] != [["build-co", "guard-co"]]:
            mu.fail("stale: %r %r" % (s, j["consortia"]))
        out = env.run("explain", str(rid), "--consortia", now=mu.NOW_2022).stdout
        if "STALE" not in out or "run bidbroker match" not in out:
            mu.fail("text, stale:\n" + out)
        n = match(env)
        if n["consortia"] < 1:
            mu.fail("changed register, no recompute: %r" % n)
        j = explain(env, rid)
        if j["consortia_stored"]["stale"] or j["verdict"] != "no cover" \
           or j["missing"] != ["security"]:
            mu.fail("recomputed: %r %r %r" % (j["consortia_stored"], j["verdict"], j["missing"]))
        if db_rows(env, "SELECT * FROM consortium_member WHERE opportunity_id = ?", rid):
            mu.fail("no cover kept member rows")

        # [consortium] changes: stale, then recomputed (the matches unchanged)
        member(env, "guard-co", "security", capacity=600000)
        match(env)
        with open(env.conf, "a") as f:
            f.write("[consortium]\nk = 1\n")
        j = explain(env, rid)
        if not j["consortia_stored"]["stale"] or j["verdict"] != "consortium":
            mu.fail("[consortium] changed: %r %r" % (j["consortia_stored"], j["verdict"]))
        n = match(env)
        if n["consortia"] < 1 or n["added"] or n["changed"] or n["withdrawn"]:
            mu.fail("[consortium] changed, pass: %r" % n)
        j = explain(env, rid)
        if j["consortia_stored"]["stale"] or j["verdict"] != "no cover" \
           or j["consortium_search"]["why"] != "too many":
            mu.fail("k = 1 stored: %r %r" % (j["consortia_stored"], j["verdict"]))

        # the filter drops the notice: its suggestion is withdrawn
        set_max_value(env, 25000)
        match(env)
        st = db_rows(env, "SELECT status, withdrawn_reason FROM consortium"
                     " WHERE opportunity_id = ?", rid)
        if not st or st[0][0] != "withdrawn" or not st[0][1]:
            mu.fail("filtered notice: %r" % st)
        j = explain(env, rid)
        if j["consortia_stored"]["status"] != "withdrawn":
            mu.fail("explain of a withdrawn one: %r" % j["consortia_stored"])
    finally:
        env.cleanup()
    print("ok")


main()
