"""bidbroker backup FILE: a consistent copy of the store made while another
connection holds an open write transaction (as the daemon would), refused over
an existing file; restored into a fresh state directory (README, Operations:
stop, copy back, start) it lists the same opportunities and matches.
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matchutil import Env, FILES_2025, NOW_2025, fail  # noqa: E402


def main():
    env = Env()
    try:
        env.ingest(FILES_2025, NOW_2025)
        env.run("match", now=NOW_2025)
        rows = env.run("list", "--json").stdout
        matches = env.run("matches", "--json", "--all").stdout
        if rows.count("\n") < 50 or matches.count("\n") < 3:
            fail("setup: too few rows (%d) or matches (%d)" % (rows.count("\n"),
                                                               matches.count("\n")))
        db = os.path.join(env.state, "bidbroker.db")

        # a writer in the middle of a transaction, as the daemon storing a page
        w = sqlite3.connect(db, timeout=0, isolation_level=None)
        w.execute("BEGIN IMMEDIATE")
        w.execute("UPDATE opportunity SET title = 'UNCOMMITTED' WHERE id = 1")
        w.execute("DELETE FROM match")
        out = os.path.join(env.dir, "backup.db")
        p = env.run("backup", out)
        w.execute("ROLLBACK")
        w.close()
        if "backed up" not in p.stdout or not os.path.exists(out):
            fail("backup: %s %s" % (p.stdout, p.stderr))
        if os.stat(out).st_mode & 0o777 != 0o600:
            fail("backup mode %o, expected 600" % (os.stat(out).st_mode & 0o777))
        if os.path.exists(out + "-wal"):
            fail("the backup is not one self-contained file (a -wal beside it)")
        c = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
        if c.execute("SELECT count(*) FROM opportunity WHERE title = 'UNCOMMITTED'").fetchone()[0]:
            fail("the backup holds an uncommitted write")
        if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            fail("the backup fails integrity_check")
        c.close()

        # never over an existing file
        p = env.run("backup", out, expect=1)
        if "exists" not in p.stderr:
            fail("backup over an existing file: %s" % p.stderr)
        # a missing store is an error, and creates nothing
        p = env.run("--state", os.path.join(env.dir, "nowhere"), "backup",
                    os.path.join(env.dir, "b2.db"), expect=1)
        if os.path.exists(os.path.join(env.dir, "b2.db")):
            fail("a failed backup left a file")

        # restore into a fresh state directory: the same rows and matches
        fresh = os.path.join(env.dir, "restored")
        os.makedirs(fresh, mode=0o700)
        with open(out, "rb") as src, open(os.path.join(fresh, "bidbroker.db"), "wb") as dst:
            dst.write(src.read())
        if env.run("--state", fresh, "list", "--json").stdout != rows:
            fail("the restored store lists other opportunities")
        if env.run("--state", fresh, "matches", "--json", "--all").stdout != matches:
            fail("the restored store lists other matches")
        # and it works as a live store (matching again changes nothing)
        p = env.run("--state", fresh, "match", now=NOW_2025)
        if "0 new" not in p.stdout or "0 withdrawn" not in p.stdout:
            fail("re-matching the restored store: %s" % p.stdout)
    finally:
        env.cleanup()
    print("backup: ok")


if __name__ == "__main__":
    main()
