"""explain --consortia on a real fixture notice (issue #10): "Ref 235 - RBKC
Council Housing - Door Entry, CCTV, Gates and ..." (CF, London, £1,560,000)
requires building-works and security.  With a builder and a security firm who
both bid in consortia it suggests the pair, each requirement mapped to its
member, a lead and reasons; a member covering both alone makes it single; without the security firm security is missing; capacities that
do not reach the value give no cover, for capacity; a member who does not bid
in consortia is left out of a pair; `lead = yes` makes a member the lead;
[consortium] k bounds the size.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import matchutil as mu  # noqa: E402

NOTICE = "fe45eee8-d6d7-4e08-a878-bc73131baf52"


def member(env, mid, caps, consortium="yes", capacity=None, regions="UKI", lead=None):
    with open(os.path.join(env.members, mid + ".conf"), "w") as f:
        f.write("[member]\nid = %s\nname = %s\nemail = bids@%s.example\n"
                "regions = %s\ncapabilities = %s\nconsortium = %s\n"
                % (mid, mid, mid, regions, caps, consortium))
        if capacity is not None:
            f.write("capacity = %d\n" % capacity)
        if lead is not None:
            f.write("lead = %s\n" % lead)


def explain(env, rid, *extra):
    return json.loads(env.run("explain", str(rid), "--consortia", "--json", *extra,
                              now=mu.NOW_2022).stdout)


def main():
    env = mu.Env(members=None)
    try:
        member(env, "build-co", "building-works", capacity=1000000)
        member(env, "guard-co", "security", capacity=600000)
        member(env, "far-guard", "security", regions="UKC")     # not London: never proposed
        env.ingest(mu.FILES_2022, mu.NOW_2022)
        rid = env.row_id(NOTICE)

        j = explain(env, rid)
        if j["consortium_search"]["required"] != ["building-works", "security"]:
            mu.fail("requirements: %r" % j["consortium_search"]["required"])
        if j["verdict"] != "consortium" or j["missing"] != []:
            mu.fail("pair: %r %r" % (j["verdict"], j["missing"]))
        c = j["consortia"]
        if len(c) != 1 or c[0]["members"] != ["build-co", "guard-co"]:
            mu.fail("consortia: %r" % c)
        if c[0]["covers"] != {"building-works": "build-co", "security": "guard-co"}:
            mu.fail("covers: %r" % c[0]["covers"])
        if c[0]["lead"] not in ("build-co", "guard-co") or not c[0]["score"] > 0:
            mu.fail("lead/score: %r" % c[0])
        reasons = " | ".join(c[0]["reasons"])
        for want in ("build-co covers building-works", "guard-co covers security",
                     "leads", "capacity £1,600,000 covers the value £1,560,000"):
            if want not in reasons:
                mu.fail("reasons lack %r: %s" % (want, reasons))

        # the text form says the same
        out = env.run("explain", str(rid), "--consortia", now=mu.NOW_2022).stdout
        if "Consortia (at most 3 members): consortium" not in out \
           or "1. build-co + guard-co" not in out:
            mu.fail("text:\n" + out)
        # without --consortia: no consortium keys
        plain = json.loads(env.run("explain", str(rid), "--json", now=mu.NOW_2022).stdout)
        if "consortia" in plain or "verdict" in plain:
            mu.fail("explain without --consortia has consortium keys")

        # lead = yes makes the security firm the lead, and says why
        member(env, "guard-co", "security", capacity=600000, lead="yes")
        j = explain(env, rid)
        if j["consortia"][0]["lead"] != "guard-co" or "guard-co leads: it may lead (lead = yes)" \
           not in " | ".join(j["consortia"][0]["reasons"]):
            mu.fail("lead = yes: %r" % j["consortia"][0])
        shown = json.loads(env.run("members", "show", "guard-co", "--json").stdout)
        if shown.get("lead") is not True:
            mu.fail("members show --json: lead %r" % shown.get("lead"))
        sheet = os.path.join(env.dir, "members.csv")
        with open(sheet, "w") as f:
            f.write(env.run("members", "export", "--csv").stdout)
        os.remove(os.path.join(env.members, "guard-co.conf"))
        env.run("members", "import", sheet)             # lead survives the sheet
        with open(os.path.join(env.members, "guard-co.conf")) as f:
            if "lead = yes" not in f.read():
                mu.fail("lead = yes lost by members export/import")

        # one member covering both: single.  It states no capacity, so it
        # dominates the builder and the security firm (it can do all they do):
        # the pair is not proposed beside it
        member(env, "both-co", "building-works,security", consortium="no")
        j = explain(env, rid)
        got = [x["members"] for x in j["consortia"]]
        if j["verdict"] != "single" or got != [["both-co"]] \
           or "both-co covers every requirement: building-works, security" \
           not in j["consortia"][0]["reasons"]:
            mu.fail("single: %r %r" % (j["verdict"], j["consortia"]))
        os.remove(os.path.join(env.members, "both-co.conf"))

        # capacity short of the value: no cover, for capacity
        member(env, "guard-co", "security", capacity=400000)
        j = explain(env, rid)
        if j["verdict"] != "no cover" or j["consortium_search"]["why"] != "capacity" \
           or j["consortia"] != []:
            mu.fail("capacity: %r %r" % (j["verdict"], j["consortium_search"]))

        # [consortium] k = 1: only single members; k = 5 is refused naming the line
        with open(env.conf) as f:
            conf = f.read()
        with open(env.conf, "a") as f:
            f.write("[consortium]\nk = 1\ntop = 2\n")
        member(env, "guard-co", "security", capacity=600000)
        j = explain(env, rid)
        if j["verdict"] != "no cover" or j["consortium_search"]["why"] != "too many" \
           or j["consortium_search"]["k"] != 1:
            mu.fail("k = 1: %r %r" % (j["verdict"], j["consortium_search"]))
        with open(env.conf, "w") as f:
            f.write(conf + "[consortium]\nk = 5\n")
        p = env.run("explain", str(rid), "--consortia", now=mu.NOW_2022, expect=None)
        if p.returncode == 0 or "bidbroker.conf:" not in p.stderr or "'k'" not in p.stderr:
            mu.fail("k = 5: exit %d, %s" % (p.returncode, p.stderr))
        with open(env.conf, "w") as f:
            f.write(conf)

        # a security firm that does not bid in consortia is left out
        member(env, "guard-co", "security", consortium="no", capacity=600000)
        j = explain(env, rid)
        if j["verdict"] != "no cover" or j["missing"] != ["security"] \
           or j["consortium_search"]["unwilling"] != 1:
            mu.fail("unwilling: %r %r %r" % (j["verdict"], j["missing"], j["consortium_search"]))
        out = env.run("explain", str(rid), "--consortia", now=mu.NOW_2022).stdout
        if "no cover (missing)" not in out or "security" not in out:
            mu.fail("text, no cover:\n" + out)
    finally:
        env.cleanup()
    print("ok")


if __name__ == "__main__":
    main()
