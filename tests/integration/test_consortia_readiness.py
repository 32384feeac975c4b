"""The readiness checklist of consortium suggestions (issue #10 item 7), driving
the real binary: a real notice (CF "Ref 235 - RBKC Council Housing - Door Entry,
CCTV, Gates and Barriers ...", building-works and security, £1,560,000) whose
description, as buyers write it, asks for CHAS or SafeContractor, NICEIC, SIA
licences and insurance levels; a hand-built register whose accreditations are free text.
explain --consortia (JSON and text) lists what the notice asks for, who holds
each, and what is still missing with why; raising a member's cover makes the
pair ready; the digest's "Bid together" block says what is still needed;
check-config notes an accreditation no [check] recognises.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import matchutil as mu  # noqa: E402

NOTICE = "fe45eee8-d6d7-4e08-a878-bc73131baf52"
ASKS = ("Contractors must be CHAS or SafeContractor accredited and NICEIC registered, and "
        "staff monitoring "
        "CCTV must hold SIA licences. Public Liability insurance of £10,000,000 and "
        "Employer's Liability insurance of £5m are required. Bidders will sign a "
        "non-disclosure agreement.")


def member(env, mid, caps, acc):
    with open(os.path.join(env.members, mid + ".conf"), "w") as f:
        f.write("[member]\nid = %s\nname = %s\nemail = bids@%s.example\n"
                "regions = UKI\ncapabilities = %s\nconsortium = yes\n"
                "accreditations = %s\n" % (mid, mid, mid, caps, acc))


def notice_file(env):
    """The real release, its description with the asks appended."""
    src = os.path.join(mu.OCDS, mu.FILES_2022[1])
    with open(src, encoding="utf-8") as f:
        pkg = json.load(f)
    rel = [r for r in pkg["releases"] if r["id"].startswith(NOTICE)]
    if len(rel) != 1:
        mu.fail("fixture release %s not found" % NOTICE)
    rel[0]["tender"]["description"] += "\n" + ASKS
    pkg["releases"] = rel
    path = os.path.join(env.dir, "rbkc.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(pkg, f)
    return path


def explain(env, rid):
    return json.loads(env.run("explain", str(rid), "--consortia", "--json",
                              now=mu.NOW_2022).stdout)


def main():
    env = mu.Env(members=None, max_value=2000000)     # the notice: £1,560,000
    with open(env.conf, "a") as f:
        f.write("[http]\nlisten =\npublic_url = https://brokerage.example/\n"
                "[mail]\nfrom = digest@brokerage.example\ntemplates = %s\n"
                % os.path.join(mu.TOP, "conf", "digest"))
    try:
        member(env, "build-co", "building-works",
               "CHAS accredited, NICEIC, public liability £10m, employer's liability £10m")
        member(env, "guard-co", "security",
               "SIA Approved Contractor Scheme; Public Liability £5,000,000; "
               "Employers Liability £5m; BS 7858 vetting")
        env.run("ingest", notice_file(env), now=mu.NOW_2022)
        rid = env.row_id(NOTICE)

        j = explain(env, rid)
        asks = {a["check"]: a for a in j["asks"]}
        if sorted(asks) != ["chas", "employers-liability", "niceic", "public-liability",
                            "safecontractor", "sia"]:
            mu.fail("asks: %r" % sorted(asks))
        if asks["public-liability"]["level"] != 10000000 or \
           asks["employers-liability"]["level"] != 5000000 or asks["chas"]["level"] is not None:
            mu.fail("levels: %r" % asks)
        if asks["chas"]["or"] != ["safecontractor"] or asks["safecontractor"]["or"] != ["chas"] \
           or asks["niceic"]["or"] != []:
            mu.fail("either-or: %r" % asks)
        if asks["public-liability"]["scope"] != "each" or asks["sia"]["scope"] != "any" \
           or asks["sia"]["field"] != "description" or "SIA licences" not in asks["sia"]["text"]:
            mu.fail("ask details: %r" % asks["sia"])
        c = j["consortia"]
        if j["verdict"] != "consortium" or c[0]["members"] != ["build-co", "guard-co"]:
            mu.fail("consortium: %r %r" % (j["verdict"], c))
        rd = c[0]["readiness"]
        want_held = {"chas": ["build-co"], "safecontractor": [], "niceic": ["build-co"],
                     "sia": ["guard-co"],
                     "public-liability": ["build-co"],
                     "employers-liability": ["build-co", "guard-co"]}
        if rd["held"] != want_held:
            mu.fail("held: %r" % rd["held"])
        if rd["ready"] is not False or len(rd["missing"]) != 1:
            mu.fail("missing: %r" % rd)
        m = rd["missing"][0]
        if m["check"] != "public-liability" or m["members"] != ["guard-co"] \
           or m["why"] != "guard-co holds £5m" or m["level"] != 10000000:
            mu.fail("missing public liability: %r" % m)
        if rd["summary"] != "Still needed: Public liability insurance £10m (guard-co holds £5m)":
            mu.fail("summary: %r" % rd["summary"])

        # stored by the match pass; the digest's consortium block says what is missing
        env.run("match", now=mu.NOW_2022)
        stored = explain(env, rid)
        if stored["consortia_stored"] is None or \
           stored["consortia"][0]["readiness"]["summary"] != rd["summary"]:
            mu.fail("stored: %r" % stored["consortia_stored"])
        mail = env.run("digest", "--member", "guard-co", "--preview", now=mu.NOW_2022).stdout
        mail = " ".join(mail.replace("=\r\n", "").replace("=\n", "").split())
        if "Bid together (lead: build-co)" not in mail or \
           "- Still needed: Public liability insurance =C2=A3" not in mail and \
           "- Still needed: Public liability insurance £10m (guard-co holds £5m)" not in mail:
            mu.fail("digest:\n" + mail)

        out = env.run("explain", str(rid), "--consortia", now=mu.NOW_2022).stdout
        out = " ".join(out.split())             # as wrapped to the terminal
        for want in ("the notice asks for:", "[x] CHAS or SafeContractor held by build-co",
                     "[ ] Public liability insurance £10m",
                     "MISSING: guard-co holds £5m",
                     "Still needed: Public liability insurance £10m (guard-co holds £5m)"):
            if want not in out:
                mu.fail("text lacks %r:\n%s" % (want, out))

        # the security firm raises its cover: the pair is ready
        member(env, "guard-co", "security",
               "SIA Approved Contractor Scheme; Public Liability £10m; Employers Liability £5m")
        if explain(env, rid)["consortia_stored"]["stale"] is not True:
            mu.fail("a member's accreditations changed: the stored suggestion is not stale")
        env.run("match", now=mu.NOW_2022)
        rd = explain(env, rid)["consortia"][0]["readiness"]
        if rd["ready"] is not True or rd["missing"] != [] or \
           rd["summary"] != "Ready: the partners hold all 6 checks the notice asks for":
            mu.fail("ready: %r" % rd)

        # without the builder's CHAS and NICEIC nobody holds them
        member(env, "build-co", "building-works",
               "public liability £10m, employer's liability £10m, TrustMark")
        env.run("match", now=mu.NOW_2022)
        rd = explain(env, rid)["consortia"][0]["readiness"]
        if [x["check"] for x in rd["missing"]] != ["chas", "niceic"] or \
           rd["missing"][0]["why"] != "no partner holds any of them" or \
           rd["missing"][0]["label"] != "CHAS or SafeContractor" or \
           rd["missing"][1]["why"] != "no partner holds it" or rd["missing"][0]["members"] != []:
            mu.fail("no CHAS: %r" % rd["missing"])

        # a new [check] in the taxonomy: the stored suggestion is stale (the
        # checks are in the suggestions' fingerprint, not in the engine's)
        with open(env.taxonomy, "a") as f:
            f.write("\n[check bs7858]\nlabel = BS 7858 vetting\nregex = \\bBS\\s?7858\\b\n")
        if explain(env, rid)["consortia_stored"]["stale"] is not True:
            mu.fail("a new [check]: the stored suggestion is not stale")

        # check-config notes what no [check] recognises, keeps it, exits 0
        p = env.run("check-config")
        notes = [x for x in p.stderr.splitlines() if ": note: " in x]
        if len(notes) != 2 or "build-co.conf:1: note: accreditations 'TrustMark' is no " \
           "[check]" not in notes[0] or "1 accreditation of members" not in notes[1] \
           or "accreditation" in "".join(x for x in p.stderr.splitlines() if "warning" in x):
            mu.fail("check-config notes:\n" + p.stderr)
        shown = json.loads(env.run("members", "show", "build-co", "--json").stdout)
        if "TrustMark" not in shown["accreditations"]:
            mu.fail("accreditations not kept as written: %r" % shown["accreditations"])
        text = " ".join(env.run("members", "show", "build-co").stdout.split())
        if "checks held Public liability insurance £10m, Employer's liability insurance " \
           "£10m free text TrustMark" not in text:
            mu.fail("members show:\n" + text)
    finally:
        env.cleanup()
    lots()
    print("ok")


def lots():
    """Per lot: the lot's own asks and its best set's summary in the text."""
    env = mu.Env(members=None, max_value=100000)
    try:
        with open(os.path.join(mu.FIXTURES, "lots", "fts-lots-3-facilities-edited.json"),
                  encoding="utf-8") as f:
            pkg = json.load(f)
        lot3 = pkg["releases"][0]["tender"]["lots"][2]
        lot3["description"] += " Contractors must be Constructionline registered."
        path = os.path.join(env.dir, "lots.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(pkg, f)
        for mid, caps, acc in (("clean-co", "cleaning", "CHAS"),
                               ("build-co", "building-works", "Gas Safe")):
            with open(os.path.join(env.members, mid + ".conf"), "w") as f:
                f.write("[member]\nid = %s\nname = %s\nemail = b@%s.example\nregions = UKE\n"
                        "capabilities = %s\nconsortium = yes\naccreditations = %s\n"
                        % (mid, mid, mid, caps, acc))
        now = "2026-04-20T12:00:00Z"            # as test_consortia_lots.py
        env.run("ingest", path, now=now)
        rid = env.row_id("051234-2026")
        j = json.loads(env.run("explain", str(rid), "--consortia", "--json", now=now).stdout)
        lots = {lot["id"]: lot for lot in j["lots"]}
        if [a["check"] for a in lots["3"]["asks"]] != ["constructionline"] or lots["1"]["asks"]:
            mu.fail("lot asks: %r" % [(k, v["asks"]) for k, v in lots.items()])
        out = " ".join(env.run("explain", str(rid), "--consortia", now=now).stdout.split())
        if "single: build-co Still needed: Constructionline" not in out:
            mu.fail("lot text:\n" + out)
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
