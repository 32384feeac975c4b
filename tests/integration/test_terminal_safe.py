#!/usr/bin/python3
"""Terminal-safe text (issue #14 item 5): what bidbroker prints for people
never carries a character that acts on a terminal or reorders what it shows.

A notice whose title carries U+202E (right-to-left override: "invoice
<U+202E>gpj.exe" shows as "invoice exe.jpg") and whose description carries
isolates, a right-to-left mark and a raw ESC sequence:

- `list`, `show` and `explain` print neither U+202E nor ESC (nor any other
  control or format character) raw: they show "<U+202E>";
- `members import` prints a changed name from the sheet with "<U+202E>";
- an error that quotes its input (a file with a raw ESC byte, a --region
  with U+202E, a configuration value with ESC) prints "<U+001B>", not the
  byte;
- `list --json` keeps the title as data: U+202E as is (valid JSON), control
  characters escaped by JSON itself.
"""
import copy
import json
import os
import re

from matchutil import BIN, Env, FILES_2025, NOW_2025, OCDS, fail

RLO = "\u202e"
# C0 (but \n), DEL, C1 and the format characters the helper neutralises
BAD = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e"
                 "\u2060-\u2064\u2066-\u206f\ufeff]")


def check_clean(what, text):
    m = BAD.search(text)
    if m:
        fail("%s printed %r raw:\n%r" % (what, m.group(0), text[max(0, m.start() - 60):
                                                               m.start() + 60]))


def main():
    env = Env()
    try:
        with open(os.path.join(OCDS, FILES_2025[0]), encoding="utf-8") as f:
            page = json.load(f)
        r = copy.deepcopy(next(x for x in page["releases"]
                               if x["id"].startswith("25e4588a-6223-4869-ae53-d64966f9c274")))
        r["id"] = "eeeeeeee-0000-4000-8000-000000000001-1"
        r["ocid"] = "ocds-b5fd17-eeeeeeee-0000-4000-8000-000000000001"
        r["tender"]["title"] = "Grounds invoice " + RLO + "gpj.exe \x1b[2J cleared"
        r["tender"]["description"] = ("Grounds maintenance \u2066isolated\u2069 \u200f "
                                      "\x1b]0;pwned\x07 and \x1b[31mred\x1b[0m")
        page["releases"] = [r]
        path = os.path.join(env.dir, "hostile.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(page, f)
        env.ingest(FILES_2025, NOW_2025)
        env.run("ingest", path, now=NOW_2025)
        row = env.row_id("eeeeeeee-0000-4000-8000-000000000001")

        p = env.run("list", now=NOW_2025)
        check_clean("list", p.stdout + p.stderr)
        if "<U+202E>" not in p.stdout:
            fail("list does not show the override as <U+202E>:\n" + p.stdout)
        p = env.run("show", str(row), now=NOW_2025)
        check_clean("show", p.stdout + p.stderr)
        for want in ("<U+202E>gpj.exe", "<U+2066>isolated<U+2069>", "<U+200F>"):
            if want not in " ".join(p.stdout.split()):
                fail("show does not show %s:\n%s" % (want, p.stdout))
        p = env.run("explain", str(row), now=NOW_2025)
        check_clean("explain", p.stdout + p.stderr)
        if "<U+202E>" not in p.stdout:
            fail("explain does not show the override as <U+202E>:\n" + p.stdout)

        # --json is data: U+202E kept, no raw control byte
        objs = [json.loads(x) for x in env.run("list", "--json", now=NOW_2025).stdout.split("\n")
                if x.strip()]
        o = next(x for x in objs if x["id"] == row)
        if RLO not in o["title"]:
            fail("list --json changed the title: %r" % o["title"])
        raw = env.run("list", "--json", now=NOW_2025).stdout
        if re.search("[\x00-\x09\x0b-\x1f]", raw):
            fail("list --json printed a raw control character")

        # errors that quote their input
        bad = os.path.join(env.dir, "bad.json")
        with open(bad, "wb") as f:
            f.write(b'{"releases": \x1b[31mX}')
        p = env.run("ingest", bad, now=NOW_2025, expect=1)
        check_clean("ingest's parse error", p.stderr)
        if "<U+001B>" not in p.stderr:
            fail("the parse error does not show the ESC as <U+001B>:\n" + p.stderr)
        p = env.run("list", "--region", RLO + "UKG", now=NOW_2025, expect=None)
        if p.returncode == 0:
            fail("list --region with U+202E was accepted")
        check_clean("list --region's error", p.stderr)
        if "<U+202E>UKG" not in p.stderr:
            fail("the --region error does not show <U+202E>:\n" + p.stderr)
        # members import prints its changes: they quote the sheet
        sheet = env.run("members", "export", "--csv").stdout
        lines = sheet.split("\n")
        lines[1] = lines[1].replace(",", "," + RLO + "Evil ", 1) if "," in lines[1] else lines[1]
        csvp = os.path.join(env.dir, "sheet.csv")
        with open(csvp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        p = env.run("members", "import", "--dry-run", csvp, expect=None)
        check_clean("members import", p.stdout + p.stderr)
        if "<U+202E>Evil" not in p.stdout + p.stderr:
            fail("members import does not show the changed name with <U+202E>:\n"
                 + p.stdout + p.stderr)

        with open(env.conf, "a") as f:
            f.write("[filter]\nmax_value = 1\x1b[31m\n")
        p = env.run("check-config", expect=1)
        check_clean("check-config", p.stdout + p.stderr)
        if "<U+001B>[31m" not in p.stderr:
            fail("check-config does not show the ESC as <U+001B>:\n" + p.stderr)
        print("terminal-safe text OK (%s)" % os.path.basename(BIN))
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
