#!/usr/bin/python3
"""kill -9 during `ingest` and during `match` (issue #14: held, kept so).

An 8 MB Contracts Finder page (about 2,600 notices, one transaction) is
ingested and killed with SIGKILL at spread-out moments, several times; then
`match` likewise.  After every kill:

- SQLite's integrity_check is "ok";
- the store holds the whole file or none of it (never part of a file), and
  the stored matches are all of a run's or none;
and afterwards a complete ingest and match give exactly what a run never
killed gives: every notice once, the same matches.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time

from matchutil import BIN, Env, NOW_2025, TOP, fail

KILLS = 6


def db_state(state):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "bidbroker.db"), uri=True)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        n = con.execute("SELECT count(*) FROM opportunity").fetchone()[0]
        dup = con.execute("SELECT count(*) FROM (SELECT source, notice_id FROM opportunity"
                          " GROUP BY 1, 2 HAVING count(*) > 1)").fetchone()[0]
        has_match = con.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                " AND name = 'match'").fetchone()[0]
        m = con.execute("SELECT count(*) FROM match").fetchone()[0] if has_match else 0
    finally:
        con.close()
    return ok, n, dup, m


def killed(env, delay, *args):
    cmd = [BIN, "--config", env.conf, "--now", NOW_2025] + list(args)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait(60)
    return p.returncode


def main():
    env, ref = Env(), Env()
    try:
        big = os.path.join(env.dir, "big.json")
        out = subprocess.run([sys.executable, os.path.join(TOP, "tests", "bench", "big_ocds.py"),
                              big, "8"], capture_output=True, text=True, check=True).stdout
        total = int(out.split(": ", 1)[1].split()[0])

        # the reference: never killed
        ref.run("ingest", big, now=NOW_2025)
        ref.run("match", now=NOW_2025)
        want = ref.matches()
        if not want:
            fail("the reference matched nothing: the test proves nothing")

        env.run("ingest", os.path.join(TOP, "tests", "fixtures", "ocds",
                                       "cf-search-2022-10-20-page1.json"), now=NOW_2025)
        _, before, _, _ = db_state(env.state)
        seen = set()
        # spread over the 1-2 s an ingest of 8 MB takes (parse, then one transaction)
        for i in range(KILLS):
            killed(env, 0.15 + i * 0.3, "ingest", big)
            ok, n, dup, _ = db_state(env.state)
            seen.add(n)
            if ok != "ok" or dup:
                fail("after kill %d of ingest: integrity %r, %d duplicates" % (i + 1, ok, dup))
            if n not in (before, before + total):
                fail("after kill %d of ingest: %d notices, want %d or %d (all of the file or "
                     "none)" % (i + 1, n, before, before + total))
        if os.environ.get("VERBOSE"):
            print("ingest: notices after the kills %s" % sorted(seen))
        env.run("ingest", big, now=NOW_2025)
        ok, n, dup, _ = db_state(env.state)
        if ok != "ok" or dup or n != before + total:
            fail("after a complete ingest: integrity %r, %d duplicates, %d notices (want %d)"
                 % (ok, dup, n, before + total))

        full = None
        for i in range(KILLS):
            killed(env, 0.05 + i * 0.15, "match")
            ok, _, _, m = db_state(env.state)
            if ok != "ok":
                fail("after kill %d of match: integrity %r" % (i + 1, ok))
            seen.add(("match", m))
            if m and full is None:
                full = m
            if m not in (0, full):
                fail("after kill %d of match: %d stored matches, after an earlier one %s"
                     % (i + 1, m, full))
        if os.environ.get("VERBOSE"):
            print("match: stored matches after the kills %s" % sorted(x[1] for x in seen
                                                                      if type(x) is tuple))
        env.run("match", now=NOW_2025)
        big_ids = set(ref.notice_ids().values())
        got = {k for k in env.matches() if k[1] in big_ids}
        if got != set(want):
            fail("matches after the kills differ from a run never killed: missing %s, extra %s"
                 % (sorted(set(want) - got)[:5], sorted(got - set(want))[:5]))
        print("kill -9 during ingest and match: nothing lost, nothing half-written")
    finally:
        env.cleanup()
        ref.cleanup()


if __name__ == "__main__":
    main()
