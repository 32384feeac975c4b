#!/usr/bin/python3
"""Replay says what will happen (issue #9 item 4): it lists the notices whose
score changes (old -> new), and it tries a [filter] change too when the
candidate directory holds a bidbroker.conf (only its [filter] is used; what
the directory lacks, taxonomy or members, is the live one's).

Expectations are computed from the live matches and the stored notices, not
hard-coded: with a stricter candidate filter the lost matches are exactly
the live matches on notices the candidate filter refuses.
"""
import hashlib
import os
import re
import shutil

from matchutil import Env, FILES_2022, NOW_2022, fail


def digest(path):
    """The database's bytes (a read-only open may leave empty -wal/-shm files)."""
    with open(os.path.join(path, "bidbroker.db"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def in_north_east(o):
    return o["anywhere"] or any(r.startswith("UKC") or "UKC".startswith(r)
                                for r in o["regions"])


def under_10k(o):
    return o["value_max"] is None or o["value_max"] <= 10000


def pairs(report, key):
    return {(m["member"], x["opportunity"]) for m in report["members"] for x in m[key]}


def main():
    env = Env()
    try:
        env.ingest(FILES_2022, NOW_2022)
        env.run("match", now=NOW_2022)
        live = {(m["member"], m["opportunity"]) for m in env.json_lines("matches", "--json")}
        opps = {o["id"]: o for o in env.json_lines("list", "--json")}
        state = digest(env.state)

        # 1. a filter-only candidate: North East, at most £10,000
        cand = os.path.join(env.dir, "filter-only")
        os.makedirs(cand)
        with open(os.path.join(cand, "bidbroker.conf"), "w") as f:
            f.write("[filter]\nmax_value = 10,000\nregions = North East\n"
                    "keep_likely_over_cap = yes\n")
        rep = env.json_lines("replay", "--conf", cand, "--json", now=NOW_2022)[0]
        want_lost = {k for k in live if not (in_north_east(opps[k[1]]) and under_10k(opps[k[1]]))}
        if not want_lost or want_lost == live:
            fail("the filter change loses %d of %d matches: the test proves nothing"
                 % (len(want_lost), len(live)))
        if pairs(rep, "lost") != want_lost:
            fail("lost %s, expected %s" % (sorted(pairs(rep, "lost")), sorted(want_lost)))
        if pairs(rep, "gained") or pairs(rep, "rescored"):
            fail("a stricter filter gained or rescored: %s" % rep)
        for m in rep["members"]:
            for x in m["lost"]:
                if not x["reason"].startswith("the candidate [filter] drops it: "):
                    fail("lost without the filter named: %r" % x["reason"])
        if rep["candidate_eligible"] >= rep["eligible"]:
            fail("candidate_eligible %d, eligible %d" % (rep["candidate_eligible"],
                                                         rep["eligible"]))
        text = env.run("replay", "--conf", cand, now=NOW_2022).stdout
        if "Candidate [filter] from" not in text or "(was " not in text:
            fail("text replay does not show the filter change:\n" + text)

        if digest(env.state) != state:
            fail("replay changed the live state")

        # 2. a looser candidate than live: live keeps the North East only
        with open(env.conf) as f:
            conf = f.read()
        with open(env.conf, "w") as f:
            f.write(conf.replace("[match]", "regions = North East\n[match]"))
        env.run("match", now=NOW_2022)      # the live matches follow the live filter
        with open(os.path.join(cand, "bidbroker.conf"), "w") as f:
            f.write("[filter]\nmax_value = 25000\nkeep_likely_over_cap = yes\n")
        rep = env.json_lines("replay", "--conf", cand, "--json", now=NOW_2022)[0]
        gained = [x for m in rep["members"] for x in m["gained"]]
        if not gained or pairs(rep, "lost"):
            fail("dropping the region filter gained %d, lost %d" % (len(gained),
                                                                   len(pairs(rep, "lost"))))
        for x in gained:
            if x.get("live_filter") != "outside the filter regions":
                fail("gained %s without the live filter's reason" % x)
        with open(env.conf, "w") as f:
            f.write(conf)

        # 3. rescored: one member's own keyword raises a score it already had
        cand2 = os.path.join(env.dir, "member-edit")
        os.makedirs(cand2)
        shutil.copytree(env.members, os.path.join(cand2, "members"))
        with open(os.path.join(cand2, "members", "saltmarsh-surveys.conf"), "a") as f:
            f.write("keyword = saltmarsh\n")
        rep = env.json_lines("replay", "--conf", cand2, "--json", now=NOW_2022)[0]
        res = [x for m in rep["members"] if m["member"] == "saltmarsh-surveys"
               for x in m["rescored"]]
        if not res or rep["rescored"] != len(res):
            fail("no rescored notice listed: %s" % rep)
        for x in res:
            if not x["score"] > x["old_score"]:
                fail("rescored %s: %s -> %s" % (x["opportunity"], x["old_score"], x["score"]))
        text = env.run("replay", "--conf", cand2, now=NOW_2022).stdout
        if not re.search(r"~ %d  .*\(score \d+\.\d\d → \d+\.\d\d\)" % res[0]["opportunity"], text):
            fail("text replay does not show old → new:\n" + text)

        # a candidate [filter] with an error is refused, naming the line
        with open(os.path.join(cand, "bidbroker.conf"), "w") as f:
            f.write("[filter]\nregions = Narnia\n")
        p = env.run("replay", "--conf", cand, now=NOW_2022, expect=1)
        if "bidbroker.conf:2:" not in p.stderr:
            fail("candidate config error not reported:\n" + p.stderr)
    finally:
        env.cleanup()
    print("ok")


if __name__ == "__main__":
    main()
