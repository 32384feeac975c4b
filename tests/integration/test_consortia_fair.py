"""Fairness and staff preferences in consortium suggestions (issue #10 items
5 and 6), through `bidbroker match` and `explain --consortia`:

- rotation: two equal trainers (t1, t2) are proposed first in turn over the
  open training notices (a stored count per member, least-proposed first);
  `[consortium] rotate = no` proposes the same one every time;
- max_open_bids: a carer with max_open_bids = 1 is proposed in one open
  consortium and left out (busy) of the next;
- avoid forbids a pairing, works_with raises one (and says so);
- the member keys survive members show --json and the CSV round trip; bad
  values are refused naming FILE:LINE.

Notices: two real Contracts Finder notices "Support for Children Affected by
Parental Imprisonment" (open at 2022-10-24, training + care) and the open
notices that require training alone.
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
import matchutil as mu  # noqa: E402

PRISON = ["ab4881bb-a036-4c19-aad6-78df41b51226", "86071e7f-29f2-49db-80d1-d09674d0e87c"]


def member(env, mid, caps, extra=""):
    with open(os.path.join(env.members, mid + ".conf"), "w") as f:
        f.write("[member]\nid = %s\nname = %s\nemail = bids@%s.example\nregions = UK\n"
                "capabilities = %s\nconsortium = yes\n%s" % (mid, mid, mid, caps, extra))


def db(env, sql):
    c = sqlite3.connect(os.path.join(env.state, "bidbroker.db"))
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def explain(env, rid):
    return json.loads(env.run("explain", str(rid), "--consortia", "--json",
                              now=mu.NOW_2022).stdout)


def firsts(env, cap):
    """The member proposed first for each stored notice requiring only cap."""
    out = {}
    for (opp, doc) in db(env, "SELECT opportunity_id, doc FROM consortium"
                         " WHERE status = 'active' ORDER BY opportunity_id"):
        d = json.loads(doc)
        if d["consortium_search"]["required"] == [cap] and d["consortia"]:
            out[opp] = d["consortia"][0]["members"]
    return out


def set_conf(env, extra):
    with open(env.conf) as f:
        conf = f.read().split("[consortium]")[0]
    with open(env.conf, "w") as f:
        f.write(conf + extra)


def main():
    env = mu.Env(members=None, max_value=100000000)
    try:
        member(env, "t1", "training")
        member(env, "t2", "training")
        member(env, "carer", "care", "lead = yes\n")
        env.ingest(mu.FILES_2022, mu.NOW_2022)
        rids = [env.row_id(n) for n in PRISON]

        # rotation: the two equal trainers take turns
        env.run("match", now=mu.NOW_2022)
        got = firsts(env, "training")
        if len(got) < 4:
            mu.fail("too few training notices stored: %r" % got)
        order = [m[0] for _, m in sorted(got.items())]
        if any(a == b for a, b in zip(order, order[1:])):
            mu.fail("rotation: the same trainer twice in a row: %r" % order)
        counts = dict(db(env, "SELECT member_id, count FROM consortium_proposed"))
        if abs(counts.get("t1", 0) - counts.get("t2", 0)) > 1 or not counts.get("t2"):
            mu.fail("proposal counts: %r" % counts)
        j = explain(env, rids[0])
        if not any("near-equal" in r for r in j["consortia"][0]["reasons"]):
            mu.fail("rotation not explained: %r" % j["consortia"][0]["reasons"])
        # a second pass changes nothing, counts included
        env.run("match", now=mu.NOW_2022)
        if dict(db(env, "SELECT member_id, count FROM consortium_proposed")) != counts:
            mu.fail("an idle pass changed the counts")

        # rotate = no: always the first of equals
        set_conf(env, "[consortium]\nrotate = no\n")
        env.run("match", now=mu.NOW_2022)
        order = [m[0] for _, m in sorted(firsts(env, "training").items())]
        if set(order) != {"t1"}:
            mu.fail("rotate = no: %r" % order)

        # max_open_bids = 1: the carer is in one open consortium, busy for the next
        member(env, "carer", "care", "lead = yes\nmax_open_bids = 1\n")
        env.run("match", now=mu.NOW_2022)
        # (which one: the notices are recomputed in turn, and the carer's
        # other open suggestion counts while one is)
        js = [explain(env, rid) for rid in rids]
        busy = [k for k in (0, 1) if js[k]["verdict"] == "no cover"]
        if len(busy) != 1:
            mu.fail("max_open_bids = 1: %r" % [(j["verdict"], j["consortia"]) for j in js])
        j0, j1 = js[1 - busy[0]], js[busy[0]]
        if j0["verdict"] != "consortium" or "carer" not in j0["consortia"][0]["members"]:
            mu.fail("proposed notice: %r %r" % (j0["verdict"], j0["consortia"]))
        if j1["consortium_search"]["busy"] != ["carer"] or j1["missing"] != ["care"]:
            mu.fail("busy carer: %r %r %r" % (j1["verdict"], j1["missing"],
                                              j1["consortium_search"]))
        if len(db(env, "SELECT * FROM consortium_member WHERE member_id = 'carer'"
                  " AND role <> 'single'")) != 1:
            mu.fail("carer in more than one open consortium")
        out = env.run("explain", str(rids[busy[0]]), "--consortia", now=mu.NOW_2022).stdout
        if "max_open_bids reached: carer" not in out:
            mu.fail("text, busy:\n" + out)

        # avoid: the carer never with t1
        member(env, "carer", "care", "lead = yes\navoid = t1\n")
        env.run("match", now=mu.NOW_2022)
        for rid in rids:
            got = [c["members"] for c in explain(env, rid)["consortia"]]
            if got != [["carer", "t2"]]:
                mu.fail("avoid = t1: %r" % got)

        # works_with raises the pair (t1 first by index otherwise)
        member(env, "carer", "care", "lead = yes\nworks_with = t2\n")
        env.run("match", now=mu.NOW_2022)
        j = explain(env, rids[0])
        if [c["members"] for c in j["consortia"]] != [["carer", "t2"], ["carer", "t1"]] \
           or not j["consortia"][0]["score"] > j["consortia"][1]["score"] \
           or "carer and t2 have worked together (works_with): score raised 10 %" \
           not in j["consortia"][0]["reasons"]:
            mu.fail("works_with: %r" % j["consortia"])

        # the keys: shown, and through the spreadsheet
        member(env, "carer", "care", "lead = yes\nworks_with = t2\navoid = t1\n"
               "max_open_bids = 2\n")
        shown = json.loads(env.run("members", "show", "carer", "--json").stdout)
        if shown["works_with"] != ["t2"] or shown["avoid"] != ["t1"] \
           or shown["max_open_bids"] != 2:
            mu.fail("members show: %r" % shown)
        sheet = os.path.join(env.dir, "m.csv")
        with open(sheet, "w") as f:
            f.write(env.run("members", "export", "--csv").stdout)
        os.remove(os.path.join(env.members, "carer.conf"))
        env.run("members", "import", sheet)
        again = json.loads(env.run("members", "show", "carer", "--json").stdout)
        for k in ("works_with", "avoid", "max_open_bids"):
            if again[k] != shown[k]:
                mu.fail("CSV round trip lost %s: %r" % (k, again[k]))

        # bad values name the file and line
        member(env, "carer", "care", "max_open_bids = lots\nworks_with = carer\n")
        p = env.run("check-config", expect=1)
        err = p.stdout + p.stderr
        if "carer.conf:8: 'max_open_bids'" not in err or "carer.conf:9: 'works_with'" not in err:
            mu.fail("bad keys:\n" + err)
    finally:
        env.cleanup()
    print("ok")


if __name__ == "__main__":
    main()
