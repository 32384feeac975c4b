"""Integration: one vocabulary for people (issue #9 item 3).

Regions: `[filter] regions` and `list --region` take the same forms as a
member's regions (ITL codes in any case, region names, postcode areas) and
refuse what they do not know, naming the accepted forms.  Money and times in
text output: "£12,000" (pence only when non-zero), "18 Nov 2022 23:59 GMT".
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from matchutil import Env, FILES_2022, NOW_2022, fail  # noqa: E402

ACCEPTED = "an ITL code"


def set_regions(env, value):
    with open(env.conf) as f:
        text = f.read()
    text = re.sub(r"regions = .*\n", "", text)
    text = text.replace("keep_value_not_stated = yes\n",
                        "keep_value_not_stated = yes\nregions = %s\n" % value)
    with open(env.conf, "w") as f:
        f.write(text)


def matched(env):
    env.run("match", now=NOW_2022)
    return {(m["member"], m["opportunity"]) for m in env.json_lines("matches", "--json")}


def reset_matches(env):
    os.remove(os.path.join(env.state, "bidbroker.db"))
    for suffix in ("-wal", "-shm"):
        p = os.path.join(env.state, "bidbroker.db" + suffix)
        if os.path.exists(p):
            os.remove(p)
    env.ingest(FILES_2022, NOW_2022)


def filter_regions(env):
    opps = {o["id"]: o for o in env.json_lines("list", "--json")}
    # the ITL code is the reference; the name and lower-case code must agree
    set_regions(env, "UKG")
    by_code = matched(env)
    if not by_code:
        fail("no matches at all with regions = UKG: the test proves nothing")
    placed = [k for k in by_code if not opps[k[1]]["anywhere"]]
    if not placed:
        fail("every UKG match is an 'anywhere' notice: the test proves nothing")
    for k in by_code:
        o = opps[k[1]]
        if not o["anywhere"] and not any(r.startswith("UKG") or "UKG".startswith(r)
                                         for r in o["regions"]):
            fail("regions = UKG kept %s with regions %s" % (k, o["regions"]))
    for form in ("West Midlands", "west  midlands", "ukg", "TLG"):
        reset_matches(env)
        set_regions(env, form)
        p = env.run("check-config")
        if "OK" not in p.stdout:
            fail("check-config with regions = %s: %s" % (form, p.stdout + p.stderr))
        got = matched(env)
        if got != by_code:
            fail("regions = %s matched %d pairs, UKG %d (only 'anywhere' kept?)"
                 % (form, len(got), len(by_code)))
    # unknown and foreign places are errors naming the line and the accepted forms
    for bad, why in (("Narnia", ACCEPTED), ("Isle of Man", "outside the UK"),
                     ("PC:ZZ", "postcode area")):
        set_regions(env, "UKG, " + bad)
        p = env.run("check-config", expect=1)
        if "bidbroker.conf:" not in p.stderr or bad not in p.stderr or why not in p.stderr:
            fail("check-config with regions = %s:\n%s" % (bad, p.stderr))
        if bad == "Narnia" and "West Midlands" not in p.stderr:
            fail("the error does not list the region names:\n" + p.stderr)
        env.run("match", now=NOW_2022, expect=1)
    set_regions(env, "UKG")


def list_region(env):
    def ids(*args):
        return [o["id"] for o in env.json_lines("list", "--json", *args, now=NOW_2022)]

    all_ids = ids()
    ukg = ids("--region", "UKG")
    if not ukg or len(ukg) == len(all_ids):
        fail("--region UKG kept %d of %d: the test proves nothing" % (len(ukg), len(all_ids)))
    for form in ("West Midlands", "ukg", "tlg", "WEST MIDLANDS"):
        got = ids("--region", form)
        if got != ukg:
            fail("--region %r kept %d rows, --region UKG %d" % (form, len(got), len(ukg)))
    # a postcode area: B (Birmingham) lies in UKG, so it keeps a subset of UKG
    b = ids("--region", "B")
    if not set(b) <= set(ukg):
        fail("--region B kept rows outside UKG")
    # two regions: the union
    both = ids("--region", "UKG", "--region", "London")
    if set(both) != set(ukg) | set(ids("--region", "UKI")):
        fail("--region UKG --region London is not the union")
    for bad, why in (("Narnia", ACCEPTED), ("UKZ9", ACCEPTED), ("PC:", "postcode area"),
                     ("", ACCEPTED)):
        p = env.run("list", "--region", bad, now=NOW_2022, expect=2)
        if p.stdout:
            fail("--region %r printed rows:\n%s" % (bad, p.stdout))
        if "--region" not in p.stderr or why not in p.stderr:
            fail("--region %r: the error does not name the accepted forms:\n%s"
                 % (bad, p.stderr))


def formats(env):
    p = env.run("list", now=NOW_2022)
    money = re.findall(r"£[0-9][0-9,.]*", p.stdout)
    if not money:
        fail("no amounts in list output:\n" + p.stdout)
    for m in money:
        if not re.fullmatch(r"£\d{1,3}(,\d{3})*(\.\d\d)?", m) or m.endswith(".00"):
            fail("amount %r is not in the one money format (£12,000 / £2,000.50)" % m)
    for line in p.stdout.splitlines()[1:]:
        if not re.match(r"\s*\d+ +(\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d (GMT|BST)|-) ", line):
            fail("list: the deadline is not UK local time with its zone: %r" % line)
    oid = env.json_lines("list", "--json")[0]["id"]
    p = env.run("show", str(oid), now=NOW_2022)
    for label in ("published", "updated"):
        line = next((x for x in p.stdout.splitlines() if x.startswith(label)), "")
        if not re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d (GMT|BST)$", line):
            fail("show: %r is not UK local time with its zone" % line)
    # JSON keeps ISO 8601 UTC
    o = env.json_lines("list", "--json")[0]
    if o["published"] and not o["published"].endswith("Z"):
        fail("JSON time is not UTC: %r" % o["published"])
    p = env.run("members", "show", "bromsgrove-print")
    for line in p.stdout.splitlines():
        if "£" in line and not re.search(r"£\d{1,3}(,\d{3})*(\.\d\d)?$", line.strip()):
            fail("members show: %r" % line)


def main():
    env = Env()
    try:
        env.ingest(FILES_2022, NOW_2022)
        filter_regions(env)
        list_region(env)
        formats(env)
    finally:
        env.cleanup()
    print("ok")


if __name__ == "__main__":
    main()
