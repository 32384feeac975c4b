#!/usr/bin/python3
# test: serial (it measures how long things take: run alone, see tests/run.sh)
"""The per-notice time budget of members' own rules (issue #14 item 5).

A member file with 300 pathological regexes ((a+)+b and friends: catastrophic
backtracking, each PCRE2 call stopped only by the match limit) and a hostile
notice whose title is a long run of 'a' without a 'b'.  Before the budget
that notice cost seconds of CPU per match run (2.4 s in the issue) and every
rule ran.  Now, with [match] rule_budget = 250ms (a budget a busy
machine cannot spend on ordinary notices: it is wall-clock time):

- `match` finishes and logs a warning naming the notice, the member, the
  rule that spent the budget and how many member regexes were skipped (many:
  the rules after it did not run — this, not a timer, shows the bound);
- `explain` of the hostile notice names the rule (text and JSON);
- the other members still match the ordinary notices, and the hostile
  member's rules do not stop anything else;
- the budget is configurable: check-config refuses `rule_budget = 0`.
"""
import copy
import json
import os
import re

from matchutil import Env, FILES_2025, NOW_2025, OCDS, fail

NRULES = 300


def hostile_page(path):
    with open(os.path.join(OCDS, FILES_2025[0]), encoding="utf-8") as f:
        page = json.load(f)
    # an open, low-value tender (the match filter passes it)
    r = copy.deepcopy(next(x for x in page["releases"]
                           if x["id"].startswith("25e4588a-6223-4869-ae53-d64966f9c274")))
    r["id"] = "ffffffff-0000-4000-8000-000000000001-1"
    r["ocid"] = "ocds-b5fd17-ffffffff-0000-4000-8000-000000000001"
    r["tender"]["title"] = "a" * 40 + "! b"
    r["tender"]["description"] = ("a" * 40 + "! b ") * 20
    page["releases"] = [r]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(page, f)


def main():
    env = Env()
    try:
        rules = "".join("regex = (?:a+)+b|zq%dq\n" % i for i in range(NRULES))
        with open(os.path.join(env.members, "hostile.conf"), "w") as f:
            f.write("[member]\nid = hostile\nname = Hostile Rules Ltd\n" + rules)
        with open(env.conf) as f:
            conf = f.read()
        with open(env.conf, "w") as f:
            f.write(conf.replace("[match]\n", "[match]\nrule_budget = 250ms\n", 1))

        # a baseline without the hostile member: what the others match
        base = Env()
        try:
            base.ingest(FILES_2025, NOW_2025)
            base.run("match", now=NOW_2025)
            want = set(base.matches())
        finally:
            base.cleanup()
        if not want:
            fail("the baseline matched nothing: the test proves nothing")

        hostile = os.path.join(env.dir, "hostile.json")
        hostile_page(hostile)
        env.ingest(FILES_2025, NOW_2025)
        env.run("ingest", hostile, now=NOW_2025)
        p = env.run("match", now=NOW_2025)
        warn = [ln for ln in p.stderr.splitlines() if "time budget" in ln]
        if len(warn) != 1:
            fail("want one budget warning from match, got:\n" + p.stderr)
        w = warn[0]
        m = re.search(r"notice (\d+) \(cf ffffffff-0000-4000-8000-000000000001\): member "
                      r"rules' time budget \(250 ms\) spent by member hostile's regex "
                      r"'\(\?:a\+\)\+b\|zq(\d+)q' \(\d+ ms\); it and (\d+) further member "
                      r"regexes were skipped for this notice", w)
        if not m:
            fail("the warning does not name the notice, the member and the rule:\n" + w)
        if int(m.group(3)) < NRULES // 2:
            fail("only %s member regexes skipped: the budget did not bound the work:\n%s"
                 % (m.group(3), w))
        row = int(m.group(1))

        got = {k for k in env.matches() if k[1] != "ffffffff-0000-4000-8000-000000000001"}
        if got - {k for k in got if k[0] == "hostile"} != want:
            fail("the other members' matches changed: missing %s, extra %s"
                 % (sorted(want - got), sorted(got - want)))

        p = env.run("explain", str(row), now=NOW_2025)
        text = " ".join(p.stdout.split())          # explain wraps to the terminal
        if not re.search(r"Time budget: member hostile's regex '\(\?:a\+\)\+b\|zq\d+q' spent "
                         r"this notice's member rule budget \(250 ms; it took \d+ ms\): it and "
                         r"\d+ further member regexes were skipped for this notice", text):
            fail("explain does not name the rule that spent the budget:\n" + p.stdout)
        j = json.loads(env.run("explain", str(row), "--json", now=NOW_2025).stdout)
        rb = j.get("rule_budget") or {}
        if rb.get("member") != "hostile" or not rb.get("rule", "").startswith("(?:a+)+b|zq") \
                or rb.get("budget_ms") != 250 or rb.get("skipped", 0) < NRULES // 2:
            fail("explain --json rule_budget: %r" % (rb,))
        # an ordinary notice: no budget note
        other = next(k for k in env.notice_ids() if k != row)
        j = json.loads(env.run("explain", str(other), "--json", now=NOW_2025).stdout)
        if j.get("rule_budget", "absent") is not None:
            fail("explain of an ordinary notice: rule_budget %r" % (j.get("rule_budget"),))

        with open(env.conf) as f:
            conf = f.read()
        with open(env.conf, "w") as f:
            f.write(conf.replace("rule_budget = 250ms", "rule_budget = 0s"))
        p = env.run("check-config", expect=1)
        if "rule_budget" not in p.stderr:
            fail("check-config accepted rule_budget = 0s:\n" + p.stderr)
        print("match budget OK")
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
