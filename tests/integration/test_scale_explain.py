"""Integration: the likely-over-cap verdict (#8 item 3) through the real binary.

Real Contracts Finder notices that state no value: "Soft Facilities Management
Services" (an above-threshold open procedure) is dropped by the filter with its
reason in explain (text and JSON), show and list --json; "PAS2035 Retrofit
Consultants Framework" sets up a framework; "Bradwell Boiler Replacement" has
no signal and stays.  With [filter] keep_likely_over_cap = yes the first is
kept, and explain still names the signal.
"""
from matchutil import Env, FILES_2022, NOW_2022, fail



def by_title(rows, prefix):
    for r in rows:
        if r["title"].startswith(prefix):
            return r
    fail("no notice titled %r" % prefix)


def main():
    env = Env()
    try:
        with open(env.conf) as fh:      # Env keeps them for the matching tests
            conf = fh.read()
        with open(env.conf, "w") as fh:
            fh.write(conf.replace("keep_likely_over_cap = yes", "keep_likely_over_cap = no"))
        env.ingest(FILES_2022, NOW_2022)
        rows = env.json_lines("list", "--json", now=NOW_2022)
        soft = by_title(rows, "Soft Facilities Management Services")
        pas = by_title(rows, "PAS2035 Retrofit Consultants Framework")
        boiler = by_title(rows, "Bradwell Boiler Replacement")
        if soft["value_stated"] or boiler["value_stated"]:
            fail("fixture notices state a value")
        if soft["likely_over_cap"] != \
                'above-threshold procedure ("Open procedure (above threshold)")':
            fail("list --json likely_over_cap: %r" % soft["likely_over_cap"])
        if "framework" not in (pas["likely_over_cap"] or ""):
            fail("PAS2035 framework not flagged: %r" % pas["likely_over_cap"])
        if boiler["likely_over_cap"] is not None:
            fail("boiler job flagged: %r" % boiler["likely_over_cap"])

        # explain --json: not eligible, with the reason and the signal
        j = env.json_lines("explain", str(soft["id"]), "--json", now=NOW_2022)[0]
        f = j["filter"]
        if f["eligible"] or f["reason"] != "likely over the value cap" or \
                "above-threshold procedure" not in (f["likely_over_cap"] or ""):
            fail("explain --json filter: %r" % f)
        j = env.json_lines("explain", str(boiler["id"]), "--json", now=NOW_2022)[0]
        if not j["filter"]["eligible"] or j["filter"]["likely_over_cap"] is not None:
            fail("explain --json filter of the boiler job: %r" % j["filter"])
        out = env.run("explain", str(soft["id"]), now=NOW_2022).stdout
        if "likely over the value cap" not in out or \
                "scale     likely over the value cap: above-threshold procedure" not in out:
            fail("explain text does not say why:\n" + out)
        out = env.run("show", str(soft["id"]), now=NOW_2022).stdout
        if "likely over the value cap: above-threshold procedure" not in out:
            fail("show does not say why:\n" + out)
        low = {r["id"] for r in env.json_lines("list", "--open", "--low-value", "--json",
                                               now=NOW_2022)}
        if soft["id"] in low or pas["id"] in low or boiler["id"] not in low:
            fail("list --low-value: soft FM %s, PAS2035 %s, boiler %s"
                 % (soft["id"] in low, pas["id"] in low, boiler["id"] in low))

        # kept when configured so; explain still names the signal
        with open(env.conf, "a") as fh:
            fh.write("[filter]\nkeep_likely_over_cap = yes\n")
        j = env.json_lines("explain", str(soft["id"]), "--json", now=NOW_2022)[0]
        if not j["filter"]["eligible"] or not j["filter"]["likely_over_cap"]:
            fail("keep_likely_over_cap = yes: %r" % j["filter"])
        out = env.run("explain", str(soft["id"]), now=NOW_2022).stdout
        if "(kept: keep_likely_over_cap = yes)" not in out:
            fail("explain text with keep_likely_over_cap = yes:\n" + out)
        low = {r["id"] for r in env.json_lines("list", "--open", "--low-value", "--json",
                                               now=NOW_2022)}
        if soft["id"] not in low:
            fail("kept notice missing from list --low-value")
    finally:
        env.cleanup()
    print("ok")


if __name__ == "__main__":
    main()
