#!/usr/bin/python3
"""Where the work is (issue #8 item 6), on real Contracts Finder notices that
tick "any region" and give a delivery postcode.

- "Bradwell Boiler Replacement" (building-works, on site), postcode ST5 7NJ in
  Staffordshire, ITL1 UKG (West Midlands): it reaches a West Midlands builder
  and one whose area is ST, not a London one;
- "PRJ1204 Dementia Navigation Service - City & Hackney" (care, on site),
  postcode E15 1DA: it does not reach a West-Midlands-only care member, but a
  London one;
- `explain` says which rule applied, in text and JSON, and `match` stores the
  same answer (the prefilter's region bitset includes the postcode's ITL1).
"""
import json
import os

from matchutil import Env, FILES_2022, NOW_2022, fail

BOILER = "Bradwell Boiler Replacement"
DEMENTIA = "PRJ1204 Dementia Navigation Service - City & Hackney"

MEMBERS = {
    "wm-builders": ("West Midlands", "building-works"),
    "st-builders": ("ST", "building-works"),
    "ldn-builders": ("London", "building-works"),
    "wm-care": ("West Midlands", "care"),
    "ldn-care": ("UKI", "care"),
}


def explain(env, rid):
    return json.loads(env.run("explain", str(rid), "--json", now=NOW_2022).stdout)


def main():
    env = Env(members=None)
    try:
        for mid, (regions, caps) in MEMBERS.items():
            with open(os.path.join(env.members, mid + ".conf"), "w") as f:
                f.write("[member]\nid = %s\nname = %s\nregions = %s\ncapabilities = %s\n"
                        % (mid, mid, regions, caps))
        env.ingest(FILES_2022, NOW_2022)
        ids = {o["title"]: o["id"] for o in env.json_lines("list", "--json")}

        j = explain(env, ids[BOILER])
        if not j["opportunity"].get("anywhere") or j["opportunity"].get("postcodes") != ["ST5 7NJ"]:
            fail("the boiler notice is no longer 'any region' + ST5 7NJ: %r" % j["opportunity"])
        matched = sorted(m["member"] for m in j["matches"])
        if matched != ["st-builders", "wm-builders"]:
            fail("the Staffordshire boiler job should reach the West Midlands and ST builders "
                 "only, got %r" % matched)
        miss = {m["member"]: m["reason"] for m in j["misses"]}
        if "postcode ST5 7NJ is outside your regions (UKI)" not in miss["ldn-builders"]:
            fail("the London builder's miss should name the postcode: %r" % miss)
        if "on-site work (building-works)" not in j["place"] or "ST5 7NJ" not in j["place"]:
            fail("explain should say the on-site rule applied: %r" % j["place"])
        wm = [m for m in j["matches"] if m["member"] == "wm-builders"][0]
        if not any(r["kind"] == "region" and r["matched"] == "ST5 7NJ" for r in wm["reasons"]):
            fail("the region reason should be the postcode: %r" % wm["reasons"])
        text = env.run("explain", str(ids[BOILER]), now=NOW_2022).stdout
        if "on-site work (building-works)" not in text:
            fail("explain text should say which region rule applied:\n" + text)

        j = explain(env, ids[DEMENTIA])
        matched = sorted(m["member"] for m in j["matches"])
        if matched != ["ldn-care"]:
            fail("the London dementia service should reach the London care member only, "
                 "got %r" % matched)
        if "on-site work (care)" not in j["place"]:
            fail("explain should say the on-site rule applied: %r" % j["place"])

        # match (prefilter, region bitset) stores the same answer as explain
        env.run("match", now=NOW_2022)
        stored = {(m["member"], m["opportunity"]) for m in env.json_lines("matches", "--json")}
        # (the dementia service is over the value cap, so only the boiler job is stored)
        for title, members in ((BOILER, ["st-builders", "wm-builders"]),):
            got = sorted(mid for mid, oid in stored if oid == ids[title])
            if got != members:
                fail("match stored %r for %r, explain says %r" % (got, title, members))
    finally:
        env.cleanup()
    print("on-site regions OK")


if __name__ == "__main__":
    main()
