#!/usr/bin/python3
"""The CPV coverage table (conf/cpv-coverage.conf, issue #8 item 4): no silent
gaps.

- every CPV code used by a notice in tests/fixtures/ is placed (under a
  capability or out of scope with a reason);
- every CPV 2008 works and services code (divisions 45 to 98) is placed:
  `bidbroker taxonomy coverage` prints nothing and exits 0; so is every
  supplies code (`--all`);
- `taxonomy coverage CODE` says where a code goes and by which line, and a
  code no line places is reported (exit 1);
- a placement reaches `explain` as a CPV reason, and a broken coverage line
  is an error with its FILE:LINE in check-config.
"""
import glob
import json
import os

from matchutil import Env, OCDS, fail


def main():
    env = Env()
    try:
        env.run("ingest", *sorted(glob.glob(os.path.join(OCDS, "*.json"))))
        codes = sorted({c for o in env.json_lines("list", "--json") for c in o.get("cpv", [])})
        if len(codes) < 100:
            fail("expected the fixtures to use over 100 CPV codes, got %d" % len(codes))
        p = env.run("taxonomy", "coverage", "--json", *codes, expect=None)
        placed = [json.loads(line) for line in p.stdout.splitlines()]
        if len(placed) != len(codes):
            fail("taxonomy coverage --json gave %d objects for %d codes" % (len(placed), len(codes)))
        gaps = [j["code"] for j in placed if not j["placed"]]
        if gaps or p.returncode != 0:
            fail("CPV codes used by fixture notices that no coverage line places: %s" % gaps)
        for j in placed:
            if not j["capabilities"] and not j["out_of_scope"]:
                fail("placement without capability or reason: %r" % j)
            if not j["code"].startswith(j["prefix"]) or not j["file"].endswith("cpv-coverage.conf"):
                fail("bad placement: %r" % j)

        # the whole of divisions 45-98: nothing printed, exit 0
        p = env.run("taxonomy", "coverage")
        if p.stdout != "":
            fail("taxonomy coverage printed unplaced codes:\n" + p.stdout[:2000])
        if " 0 of " not in p.stderr:
            fail("taxonomy coverage summary: %r" % p.stderr)
        # supplies too: every code of the CPV 2008 list is placed
        p = env.run("taxonomy", "coverage", "--all")
        if p.stdout != "" or " 0 of 9454 " not in p.stderr:
            fail("taxonomy coverage --all: %r %r" % (p.stdout[:2000], p.stderr))

        # one code: where and why
        out = env.run("taxonomy", "coverage", "45331110-9").stdout
        for words in ("45331110", "Boiler installation work", "building-works",
                      "cpv-coverage.conf:"):
            if words not in out:
                fail("taxonomy coverage 45331110 lacks %r:\n%s" % (words, out))
        out = env.run("taxonomy", "coverage", "90912000").stdout
        if "out of scope: blast cleaning" not in out:
            fail("90912000 should be out of scope (blast cleaning):\n" + out)
        env.run("taxonomy", "coverage", "4533111", expect=2)

        # a coverage table with a gap: the gap is printed, exit 1
        cover = os.path.join(env.dir, "cpv-coverage.conf")
        with open(cover) as f:
            text = f.read()
        with open(cover, "w") as f:
            f.write(text.replace("\n98          out-of-scope:", "\n#98          out-of-scope:"))
        p = env.run("taxonomy", "coverage", expect=1)
        if not p.stdout.startswith("98000000  Other community, social and personal services"):
            fail("the unplaced division 98 code is not listed first:\n" + p.stdout[:500])
        p = env.run("taxonomy", "coverage", "98000000", expect=1)
        if "not placed" not in p.stdout:
            fail("taxonomy coverage 98000000 should say it is not placed:\n" + p.stdout)

        # the placement is what explain shows as the CPV reason
        with open(cover, "w") as f:
            f.write(text)
        boiler = [o for o in env.json_lines("list", "--json")
                  if o["title"] == "Bradwell Boiler Replacement"][0]
        j = json.loads(env.run("explain", str(boiler["id"]), "--json").stdout)
        bw = [r for r in j["requires"] if r["capability"] == "building-works"]
        if not bw or not any(x["kind"] == "cpv" and x["matched"] == "45331110" and x["rule"] == "45"
                             for x in bw[0]["reasons"]):
            fail("the boiler job should require building-works by CPV 45331110: %r" % j["requires"])

        # errors name the coverage file and line
        with open(cover, "w") as f:
            f.write(text + "9091 cleanin\n")
        p = env.run("check-config", expect=1)
        n = text.count("\n") + 1
        if "cpv-coverage.conf:%d: unknown capability 'cleanin'" % n not in p.stderr:
            fail("check-config should name cpv-coverage.conf:%d:\n%s" % (n, p.stderr))
    finally:
        env.cleanup()
    print("cpv coverage OK")


if __name__ == "__main__":
    main()
