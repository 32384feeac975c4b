#!/usr/bin/python3
"""The stored matches over time, the member commands and the config checks.

- a changed notice (a later release moving it to another region) is matched
  again, and only it: the member that lost it has the match withdrawn, the
  one that gained it has a new match; when the notice comes back, the old
  match returns with its first_matched kept;
- a notice past its deadline has its matches withdrawn as "closed";
- --since limits the notices looked at;
- members import/list/show through the binary, bad rows reported by line;
- check-config and match report every taxonomy/member error as FILE:LINE.
"""
import copy
import json
import os

from matchutil import Env, FILES_2025, NOW_2025, OCDS, fail

HAMPSHIRE = "b8c14041-9e33-4f4c-8c08-398d0c8ada2c"


def amendment(env, name, date, region):
    """A later release of the Hampshire catering tender, delivered in region."""
    with open(os.path.join(OCDS, FILES_2025[0])) as f:
        pkg = json.load(f)
    rel = next(r for r in pkg["releases"] if r["id"].startswith(HAMPSHIRE))
    rel = copy.deepcopy(rel)
    rel["date"] = date
    rel["tag"] = ["tenderAmendment"]
    rel["tender"]["items"][0]["deliveryAddresses"][0]["region"] = region
    pkg["releases"] = [rel]
    pkg.pop("links", None)
    path = os.path.join(env.dir, name)
    with open(path, "w") as f:
        json.dump(pkg, f)
    return path


def status(env, member, notice):
    m = env.matches("--all").get((member, notice))
    return m and (m["status"], m["withdrawn_reason"], m["first_matched"], m["updated"])


def test_rematch():
    env = Env()
    try:
        env.ingest(FILES_2025, NOW_2025)
        first = json.loads(env.run("match", "--json", now=NOW_2025).stdout)
        if first["evaluated"] != first["eligible"] or first["added"] == 0:
            fail("first run: %r" % first)
        st = status(env, "hampshire-school-meals", HAMPSHIRE)
        if st is None or st[0] != "active" or st[2] != NOW_2025:
            fail("Hampshire catering should match hampshire-school-meals: %r" % (st,))
        if status(env, "midlands-catering", HAMPSHIRE) is not None:
            fail("midlands-catering should not match a South East notice yet")

        # the notice moves to the West Midlands: matched again, and only it
        t2 = "2025-01-24T14:00:00Z"
        env.run("ingest", amendment(env, "moved.json", "2025-01-24T13:00:00Z", "West Midlands"),
                now=t2)
        n = json.loads(env.run("match", "--json", now=t2).stdout)
        if n["evaluated"] != 1 or n["skipped"] != first["considered"] - 1:
            fail("only the changed notice should be matched again: %r" % n)
        if n["withdrawn"] != 1 or n["added"] != 1:
            fail("expected one withdrawn and one added match: %r" % n)
        st = status(env, "hampshire-school-meals", HAMPSHIRE)
        if st[:2] != ("withdrawn", "no longer matches") or st[3] != t2:
            fail("hampshire-school-meals after the move: %r" % (st,))
        if status(env, "midlands-catering", HAMPSHIRE)[:2] != ("active", None):
            fail("midlands-catering should now match the moved notice")
        active = env.matches()
        if ("hampshire-school-meals", HAMPSHIRE) in active:
            fail("`matches` without --all lists a withdrawn match")

        # and back: the old match returns with its first_matched
        t3 = "2025-01-24T16:00:00Z"
        env.run("ingest", amendment(env, "back.json", "2025-01-24T15:00:00Z", "South East"),
                now=t3)
        env.run("match", now=t3)
        st = status(env, "hampshire-school-meals", HAMPSHIRE)
        if st != ("active", None, NOW_2025, t3):
            fail("the returning match should keep first_matched %s: %r" % (NOW_2025, st))

        # --since: only notices with a release since then are looked at
        n = json.loads(env.run("match", "--since", "2025-01-24T15:00:00Z", "--json",
                               now=t3).stdout)
        if n["considered"] != 1:
            fail("--since should consider one notice: %r" % n)
        env.run("match", "--since", "yesterday", now=t3, expect=2)

        # past every deadline: everything is withdrawn as closed
        late = "2025-04-01T00:00:00Z"
        active = len(env.matches())
        n = json.loads(env.run("match", "--json", now=late).stdout)
        if n["eligible"] != 0 or n["withdrawn"] != active:
            fail("after the deadlines every match should be withdrawn: %r" % n)
        for (member, notice), m in env.matches("--all").items():
            if m["status"] != "withdrawn" or m["withdrawn_reason"] not in (
                    "closed", "no longer matches"):
                fail("%s %s: %r" % (member, notice, m))
        if env.matches():
            fail("no active matches should be left")
        if env.run("matches", now=late).stdout.strip():
            fail("`matches` should print nothing when none are active")

        # explain of an unknown id
        p = env.run("explain", "999999", now=late, expect=1)
        if "no opportunity 999999" not in p.stderr:
            fail("explain 999999: %s" % p.stderr)
        env.run("explain", "abc", now=late, expect=2)
        p = env.run("explain", "1", "--member", "nobody", now=late, expect=1)
        if "no member 'nobody'" not in p.stderr:
            fail("explain --member nobody: %s" % p.stderr)
    finally:
        env.cleanup()


CSV = ("\ufeffid,name,email,cluster,postcode,regions,capabilities,keywords,exclusions,"
       "min_value,max_value,capacity,consortium,digest_day\r\n"
       "tea-urn,\"Tea Urn, CIC\",hi@teaurn.example,Digbeth,B5 5SE,West Midlands;WS,"
       "catering;events,\"\\bafternoon tea\\b;\\bbuffets?\\b\",\\bprison\\b,100,25000,"
       "30000,yes,fri\r\n"
       "bad-cap,Bad Cap,,,,UKG,gardening,,,,,,,\r\n"
       "bad-rx,Bad Regex,,,,UKG,catering,\"(?:oops\",,,,,,\r\n")


def test_members():
    env = Env(members=None)
    try:
        csv = os.path.join(env.dir, "members.csv")
        with open(csv, "w", newline="") as f:
            f.write(CSV)
        p = env.run("members", "import", csv, expect=1)
        if "1 created, 0 updated, 0 unchanged, 2 rejected" not in p.stdout:
            fail("import counts: %s" % p.stdout)
        for needle in ("%s:3: unknown capability 'gardening'" % csv,
                       "%s:4: regex '(?:oops' error at offset 7" % csv):
            if needle not in p.stderr:
                fail("import should report %r:\n%s" % (needle, p.stderr))
        p = env.run("members", "import", csv, expect=1)
        if "0 created, 0 updated, 1 unchanged, 2 rejected" not in p.stdout:
            fail("second import: %s" % p.stdout)
        lst = env.json_lines("members", "list", "--json")
        if [m["id"] for m in lst] != ["tea-urn"]:
            fail("members list: %r" % lst)
        m = lst[0]
        if (m["name"] != "Tea Urn, CIC" or m["regions"] != ["UKG", "PC:WS"]
                or m["capabilities"] != ["catering", "events"] or m["digest_day"] != "friday"
                or m["capacity"] != 30000 or not m["consortium"]
                or [r["text"] for r in m["rules"]] != ["\\bafternoon tea\\b", "\\bbuffets?\\b",
                                                       "\\bprison\\b"]):
            fail("imported member: %r" % m)
        text = env.run("members", "show", "tea-urn").stdout
        for words in ("Tea Urn, CIC", "catering (Catering and food)", "PC:WS", "friday"):
            if words not in text:
                fail("members show lacks %r:\n%s" % (words, text))
        env.run("members", "show", "nobody", expect=1)
        env.run("members", "frobnicate", expect=2)
        p = env.run("check-config")
        if "taxonomy and member register too" not in p.stdout:
            fail("check-config: %s" % p.stdout)
    finally:
        env.cleanup()


def test_config_errors():
    env = Env()
    try:
        bad_member = os.path.join(env.members, "care-brum.conf")
        with open(bad_member, "a") as f:
            f.write("capabilities = knitting\nmax_value = lots\n")
        with open(env.taxonomy, "a") as f:
            f.write("\n[capability knitting]\nregex = (?<bad\ncpv = 12x\n")
        n = sum(1 for _ in open(env.taxonomy))
        p = env.run("check-config", expect=1)
        for needle in ("%s:%d: regex '(?<bad' error at offset" % (env.taxonomy, n - 1),
                       "%s:%d: CPV prefix '12x' must be 2 to 8 digits" % (env.taxonomy, n)):
            if needle not in p.stderr:
                fail("check-config should report %r:\n%s" % (needle, p.stderr))
        # the taxonomy is broken, so the member file's errors are listed too
        if "%s:" % bad_member not in p.stderr or "'max_value' must be an amount" not in p.stderr:
            fail("check-config should list the member file's errors:\n%s" % p.stderr)
        p = env.run("match", now=NOW_2025, expect=1)
        if "check-config" not in p.stderr or "%s:" % env.taxonomy not in p.stderr:
            fail("match with a broken register: %s" % p.stderr)
    finally:
        env.cleanup()


def main():
    test_rematch()
    test_members()
    test_config_errors()
    print("match store OK")


if __name__ == "__main__":
    main()
