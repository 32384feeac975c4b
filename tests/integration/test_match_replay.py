#!/usr/bin/python3
"""Replay: a known rule edit shows exactly the matches it gains and loses,
and replay leaves the live state untouched.

Live: the shipped taxonomy and the golden register, over the October 2022
notices at 2022-10-24 12:00Z.  Candidate (a copy of the conf directory) with
three edits:
  1. taxonomy, [capability security]: on_site = no (security treated as
     remote work, so a notice's "any region" stands again);
  2. member saltmarsh-surveys: its exclusion \\bRiver\\s+Exe\\b is removed;
  3. member saltmarsh-surveys: a new keyword 'habitat';
  4. member coventry-it: a new exclusion \\be-?signature\\b.
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

E_SIGNATURE = "c1e3c0a7-1cf6-40b1-b807-223e65b32e7e"

EXPECTED_LOST = {
    ("coventry-it", E_SIGNATURE):
        "'Corporate e-signature solution': the member now excludes e-signature (edit 4)",
}
EXPECTED_GAINED = {
    ("brum-facilities", GBC_LOCKING):
        "'GBC - Locking and Unlocking of GBC sites' ticks any region and gives a Guildford "
        "postcode: on-site security in the live taxonomy reaches only the South East; as "
        "remote work (edit 1) any region stands",
    ("north-east-stewards", GBC_LOCKING):
        "the same notice, for the other security member",
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
        edit(tax, "[capability security]\nlabel = Security, stewarding and keyholding\n"
             "on_site = yes\n", "[capability security]\nlabel = Security, stewarding and "
             "keyholding\non_site = no\n")
        edit(os.path.join(cand, "members", "coventry-it.conf"), "capabilities = it-support\n",
             "capabilities = it-support\nexclude_regex = \\be-?signature\\b\n")
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
        if j["gained"] != 5 or j["lost"] != 1:
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
        l = lost[("coventry-it", E_SIGNATURE)]
        if "excluded by" not in l["reason"]:
            fail("lost match reason: %r" % l["reason"])

        # the readable form says the same
        text = env.run("replay", "--conf", cand, now=NOW_2022).stdout
        for words in ("saltmarsh-surveys", "3 gained", "- %d" % env.row_id(E_SIGNATURE),
                      "+ %d" % env.row_id(BEAVERS_EXE), "5 gained, 1 lost"):
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
