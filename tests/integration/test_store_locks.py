#!/usr/bin/python3
# test: serial (it measures how long things take: run alone, see tests/run.sh)
"""Store locks and read-only commands (issues #14 items 2 and 4, #9).

- while another process holds the database's write lock (a Python sqlite3
  connection in BEGIN IMMEDIATE), the read-only commands list, show and
  matches succeed without waiting for it (they open the store read-only);
- match, which writes, waits busy_timeout ([bidbroker] busy_timeout) and then
  fails with a message saying the store was locked, having written nothing;
  once the lock is gone it runs;
- a read-only command on a state directory that does not exist fails,
  naming the path and what to do, and creates nothing.
"""
import os
import subprocess
import sys
import time

from matchutil import BIN, Env, FILES_2025, NOW_2025, Locker, fail

BUSY_S = 4


def timed(env, *args, expect=0):
    t = time.monotonic()
    p = env.run(*args, now=NOW_2025, expect=expect)
    return p, time.monotonic() - t


def test_lock():
    env = Env()
    try:
        with open(env.conf) as f:
            conf = f.read()
        with open(env.conf, "w") as f:
            f.write(conf.replace("[bidbroker]\n", "[bidbroker]\nbusy_timeout = %ds\n" % BUSY_S, 1))
        env.ingest(FILES_2025, NOW_2025)
        env.run("match", now=NOW_2025)
        ids = sorted(env.notice_ids())
        before = env.run("matches", "--json", "--all", now=NOW_2025).stdout

        lock = Locker(os.path.join(env.state, "bidbroker.db"))
        try:
            # readers neither wait for the writer nor fail
            for args in (("list", "--json"), ("show", str(ids[0])), ("matches", "--json")):
                p, took = timed(env, *args)
                if not p.stdout.strip():
                    fail("%s printed nothing under a held write lock" % (args,))
                if took >= BUSY_S:
                    fail("%s waited %.1f s for the write lock (busy_timeout %d s)"
                         % (args, took, BUSY_S))
            # a writer waits busy_timeout, then fails clearly
            p, took = timed(env, "match", expect=1)
            if took < BUSY_S - 0.5 or took > BUSY_S + 20:
                fail("match under a held lock took %.1f s (busy_timeout %d s)" % (took, BUSY_S))
            for word in ("locked", "busy_timeout", "bidbroker.db"):
                if word not in p.stderr:
                    fail("match under a held lock: %r not in the error:\n%s" % (word, p.stderr))
        finally:
            lock.stop()
        after = env.run("matches", "--json", "--all", now=NOW_2025).stdout
        if after != before:
            fail("a match run that could not take the lock changed the stored matches")
        env.run("match", now=NOW_2025)
    finally:
        env.cleanup()


def test_missing_store():
    env = Env()
    try:
        missing = os.path.join(env.dir, "nowhere", "x")
        for args in (("list",), ("show", "1"), ("matches",)):
            cmd = [BIN, "--config", env.conf, "--state", missing] + list(args)
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if p.returncode == 0:
                fail("%s on a missing store exited 0" % (args,))
            if os.path.join(missing, "bidbroker.db") not in p.stderr or "ingest" not in p.stderr:
                fail("%s on a missing store: the error should name the path and say "
                     "to run ingest or poll first:\n%s" % (args, p.stderr))
            if os.path.exists(os.path.join(env.dir, "nowhere")):
                fail("%s on a missing store created %s" % (args, os.path.join(env.dir, "nowhere")))
        # the same for an existing directory without a database: nothing created
        empty = os.path.join(env.dir, "empty")
        os.makedirs(empty)
        p = subprocess.run([BIN, "--config", env.conf, "--state", empty, "list"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode == 0 or os.listdir(empty):
            fail("list on an empty state directory: exit %d, created %r"
                 % (p.returncode, os.listdir(empty)))
    finally:
        env.cleanup()


def main():
    test_missing_store()
    test_lock()
    print("store locks OK")


if __name__ == "__main__":
    main()
