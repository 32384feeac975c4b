#!/usr/bin/python3
"""Replay: a known rule edit shows exactly the matches it gains and loses,
and replay leaves the live state untouched.

Live: the shipped taxonomy and the golden register, over the October 2022
notices at 2022-10-24 12:00Z.  Candidate (a copy of the conf directory) with
three edits:
  1. the CPV coverage table places 797 (investigation and security services)
     out of scope instead of under security, and [capability security] loses
     the rule \\blocking\\s+and\\s+unlocking\\b;
  2. member saltmarsh-surveys: its exclusion \\bRiver\\s+Exe\\b is removed;
  3. member saltmarsh-surveys: a new keyword 'habitat'.
"""
import hashlib
import json
import os
import shutil

from matchutil import Env, FILES_2022, NOW_2022, compare, fail

GBC_LOCKING = "1cdbf0a9-314f-4c15-9b35-d30a59ea9367"
BEAVERS_EXE = "93533403-f258-43c5-a55c-c9509e5713b5"
HABITAT_AUDIT = "330953d1-5645-4615-8060-27fc82c79f73"
NUTRIENTS_BIRDS = "21c21591-9f65-4468-a4f4-a187ecc0411e"
SALTMARSH = "ad07167a-5d8c-46d8-b01c-f863fbd16e66"

EXPECTED_LOST = {
    ("brum-facilities", GBC_LOCKING):
        "'GBC - Locking and Unlocking of GBC sites' was security only through CPV "
        "79710000 and the locking-and-unlocking rule, both removed by edit 1",
    ("north-east-stewards", GBC_LOCKING):
        "the same notice, for the other security member",
}
EXPECTED_GAINED = {
    ("saltmarsh-surveys", BEAVERS_EXE):
        "'Assessment of wild living beaver populations on the River Exe...': the keyword "
        "'beaver' matched all along, the River Exe exclusion is gone (edit 2)",
    ("saltmarsh-surveys", HABITAT_AUDIT):
        "'Spatial Audit of External Partners Habitat Creation/Restoration Activity': "
        "'habitat' in the title (edit 3)",
    ("saltmarsh-surveys", NUTRIENTS_BIRDS):
        "'Assessing nutrient impacts on lakes from birds': its description speaks of "
        "habitat (edit 3)",
}


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    if old not in text:
        fail("%s does not contain %r: the shipped files changed, update this test" % (path, old))
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def digest(path):
    h = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        p = os.path.join(path, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def main():
    env = Env()
    try:
        env.ingest(FILES_2022, NOW_2022)
        env.run("match", now=NOW_2022)
        before = env.matches()
        state_before = digest(env.state)

        cand = os.path.join(env.dir, "candidate")
        os.makedirs(cand)
        shutil.copy(env.taxonomy, os.path.join(cand, "capabilities.conf"))
        shutil.copy(os.path.join(env.dir, "cpv-coverage.conf"), cand)
        shutil.copytree(env.members, os.path.join(cand, "members"))
        tax = os.path.join(cand, "capabilities.conf")
        # CPV 797 (investigation and security services) no longer means security
        edit(os.path.join(cand, "cpv-coverage.conf"), "797         security\n",
             "797         out-of-scope: tried in replay\n")
        edit(tax, "regex = \\blocking\\s+and\\s+unlocking\\b\n", "")
        sal = os.path.join(cand, "members", "saltmarsh-surveys.conf")
        edit(sal, "exclude_regex = \\bRiver\\s+Exe\\b\n", "keyword = habitat\n")

        ids = env.notice_ids()
        j = json.loads(env.run("replay", "--conf", cand, "--json", now=NOW_2022).stdout)
        gained, lost, reasons = {}, {}, {}
        for m in j["members"]:
            for g in m["gained"]:
                gained[(m["member"], ids[g["opportunity"]])] = g
            for l in m["lost"]:
                lost[(m["member"], ids[l["opportunity"]])] = l
        compare("replay: gained", gained.keys(), EXPECTED_GAINED)
        compare("replay: lost", lost.keys(), EXPECTED_LOST)
        if j["gained"] != 3 or j["lost"] != 2:
            fail("replay totals: %r" % j)
        # the saltmarsh notice stays matched, with a higher score (habitat too)
        if j["rescored"] != 1:
            fail("expected one rescored match (the saltmarsh mapping), got %r" % j["rescored"])
        # gained matches carry the candidate's reasons, lost ones the nearest miss
        g = gained[("saltmarsh-surveys", HABITAT_AUDIT)]
        if not any(r["kind"] == "member_rule" and r["rule"] == "habitat" for r in g["reasons"]):
            fail("gained match without its reason: %r" % g)
        if "title" not in g or "Habitat" not in g["title"]:
            fail("gained match without the notice title: %r" % g)
        l = lost[("brum-facilities", GBC_LOCKING)]
        if "no capability of yours" not in l["reason"]:
            fail("lost match reason: %r" % l["reason"])

        # the readable form says the same
        text = env.run("replay", "--conf", cand, now=NOW_2022).stdout
        for words in ("saltmarsh-surveys", "3 gained", "- %d" % env.row_id(GBC_LOCKING),
                      "+ %d" % env.row_id(BEAVERS_EXE), "3 gained, 2 lost"):
            if words not in text:
                fail("replay text lacks %r:\n%s" % (words, text))

        # replaying the live configuration itself changes nothing
        same = os.path.join(env.dir, "same")
        os.makedirs(same)
        shutil.copy(env.taxonomy, os.path.join(same, "capabilities.conf"))
        shutil.copy(os.path.join(env.dir, "cpv-coverage.conf"), same)
        shutil.copytree(env.members, os.path.join(same, "members"))
        j = json.loads(env.run("replay", "--conf", same, "--json", now=NOW_2022).stdout)
        if j["gained"] or j["lost"] or j["members"]:
            fail("replay of an identical configuration reports changes: %r" % j)

        # a broken candidate is refused with FILE:LINE
        edit(tax, "[capability catering]\n", "[capability catering]\nregex = (unclosed\n")
        p = env.run("replay", "--conf", cand, now=NOW_2022, expect=1)
        if "capabilities.conf:" not in p.stderr or "missing closing parenthesis" not in p.stderr:
            fail("broken candidate: %s" % p.stderr)
        p = env.run("replay", now=NOW_2022, expect=2)

        # nothing live was touched
        if digest(env.state) != state_before:
            fail("replay changed the state directory")
        if env.matches() != before:
            fail("replay changed the stored matches")
    finally:
        env.cleanup()
    print("replay OK")


if __name__ == "__main__":
    main()
