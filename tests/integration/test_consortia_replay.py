"""replay shows the consortia a candidate change gains and loses (issue #10
item 6), per notice, as it does for matches: a candidate register with a
second trainer gains "carer + t2" on the two open training + care notices
(Support for Children Affected by Parental Imprisonment, CF), one without
the carer loses "carer + t1" (the verdict turns to no cover); replaying the
live register itself reports no consortium change.
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import matchutil as mu  # noqa: E402
from test_consortia_fair import PRISON, member  # noqa: E402


def replay(env, cand):
    return json.loads(env.run("replay", "--conf", cand, "--json", now=mu.NOW_2022).stdout)


def candidate(env, name):
    d = os.path.join(env.dir, name)
    shutil.copytree(env.members, os.path.join(d, "members"))
    return d


def main():
    env = mu.Env(members=None, max_value=100000000)
    try:
        member(env, "t1", "training")
        member(env, "carer", "care", "lead = yes\n")
        env.ingest(mu.FILES_2022, mu.NOW_2022)
        rids = sorted(env.row_id(n) for n in PRISON)

        same = candidate(env, "same")
        j = replay(env, same)
        if j["consortia"] != [] or j["consortia_gained"] or j["consortia_lost"]:
            mu.fail("identical candidate: %r" % j["consortia"])

        more = candidate(env, "more")
        # a trainer who names the work: a higher score, it displaces t1
        member(type("E", (), {"members": os.path.join(more, "members")}), "t2", "training",
               "keyword = imprisonment\n")
        j = replay(env, more)
        got = {c["opportunity"]: (c["live_verdict"], c["verdict"], c["gained"], c["lost"])
               for c in j["consortia"]}
        want = {r: ("consortium", "consortium", ["carer + t2"], ["carer + t1"]) for r in rids}
        if got != want or j["consortia_gained"] != 2 or j["consortia_lost"] != 2:
            mu.fail("a second trainer: %r" % got)
        text = env.run("replay", "--conf", more, now=mu.NOW_2022).stdout
        if "Consortia (explain --consortia):" not in text or "    + carer + t2" not in text \
           or "consortia: 2 gained, 2 lost" not in text:
            mu.fail("text:\n" + text)

        fewer = candidate(env, "fewer")
        os.remove(os.path.join(fewer, "members", "carer.conf"))
        j = replay(env, fewer)
        got = {c["opportunity"]: (c["live_verdict"], c["verdict"], c["gained"], c["lost"])
               for c in j["consortia"]}
        for r in rids:
            if got.get(r) != ("consortium", "no cover", [], ["carer + t1"]):
                mu.fail("without the carer, %d: %r" % (r, got.get(r)))
        if j["consortia_lost"] < 2:
            mu.fail("lost count: %r" % j["consortia_lost"])
    finally:
        env.cleanup()
    print("ok")


if __name__ == "__main__":
    main()
