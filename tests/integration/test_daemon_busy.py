# test: serial (it measures how long things take: run alone, see tests/run.sh)
"""test_daemon_busy.py — the daemon never exits on a locked store (issue #14).

`bidbroker run` polls a feed and stores it.  Then another process (Python's
sqlite3, BEGIN IMMEDIATE) holds the store's write lock for several times
busy_timeout (1 s here) while a reload makes the daemon poll again, with a
second feed to store and a matching pass to run.  The daemon stays up, logs
that the store is locked and that polling and matching wait and try again
(more than once, the wait growing), and once the lock is gone stores
everything (both feeds' notices, none lost) and matches.  Then SIGTERM:
exit 0.  Run with /usr/bin/python3; env BIDBROKER, FIXTURES.
"""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_daemon import Log, Notify, Server, fail, source, start, stop, wait_for, write  # noqa: E402
from matchutil import Locker  # noqa: E402

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

LOCK_S = 5


def stored(db, source):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return c.execute("SELECT count(*) FROM opportunity WHERE source = ?",
                         (source,)).fetchone()[0]
    finally:
        c.close()


def main():
    srv = Server()
    tmp = tempfile.mkdtemp(prefix="bb-busy-")
    proc = locker = None
    try:
        conf = os.path.join(tmp, "bidbroker.conf")
        state = os.path.join(tmp, "state")
        db = os.path.join(state, "bidbroker.db")
        os.mkdir(os.path.join(tmp, "members"))
        shutil.copy(os.path.join(TOP, "conf", "capabilities.conf"), tmp)
        shutil.copy(os.path.join(TOP, "conf", "cpv-coverage.conf"), tmp)
        write(os.path.join(tmp, "members", "test-cleaners.conf"),
              "[member]\nid = test-cleaners\nname = Test Cleaners\n"
              "email = bids@test-cleaners.example\ncapabilities = cleaning\n")
        head = ("[bidbroker]\nstate_dir = %s\nbusy_timeout = 1s\n\n"
                "[match]\ntaxonomy = %s\nmembers = %s\nmatch_delay = 0.2s\n\n"
                % (state, os.path.join(tmp, "capabilities.conf"),
                   os.path.join(tmp, "members")))
        write(conf, head + source("north", srv.port, "/north.atom"))
        sock = os.path.join(tmp, "notify.sock")
        notify = Notify(sock)
        proc = start(tmp, conf, {"NOTIFY_SOCKET": sock})
        log = Log(proc.stderr)
        notify.key("READY")
        notify.wait(lambda k, v: k == "STATUS" and v.startswith("polling 1 source, 2 notices"),
                    "STATUS with the 2 north notices")

        # the lock is taken, then a reload makes the daemon poll both feeds
        locker = Locker(db)
        locked_at = time.monotonic()
        write(conf, head + source("north", srv.port, "/north.atom")
              + source("south", srv.port, "/south.rss"))
        proc.send_signal(signal.SIGHUP)
        log.wait(r"configuration reloaded", "the reload")
        wait_for(lambda: srv.count("/south.rss") >= 1, "the south feed to be fetched")
        log.wait(r"database is locked.*polling waits 2 s and tries again",
                 "the first wait for the locked store")
        log.wait(r"polling waits 4 s and tries again", "a second, longer wait", timeout=15)
        log.wait(r"matching \(reload\): .*database is locked.*matching waits 2 s and tries again",
                 "matching waiting for the locked store")
        if proc.poll() is not None:
            fail("the daemon exited (%s) on a locked store; log:\n%s"
                 % (proc.returncode, log.text()))
        if stored(db, "feed:south") != 0:
            fail("south notices stored while the store was locked?")
        left = LOCK_S - (time.monotonic() - locked_at)
        if left > 0:
            time.sleep(left)
        locker.stop()
        locker = None

        # the lock is gone: everything is stored, nothing lost
        notify.wait(lambda k, v: k == "STATUS" and v.startswith("polling 2 sources, 5 notices"),
                    "STATUS with both feeds' 5 notices", timeout=80)
        log.wait(r"polling again after the store was locked", "the recovery line")
        log.wait(r"matched \((after the store was locked|new notices)\)", "matching after the lock")
        if stored(db, "feed:north") != 2 or stored(db, "feed:south") != 3:
            fail("stored north %d (want 2), south %d (want 3)"
                 % (stored(db, "feed:north"), stored(db, "feed:south")))
        if re.search(r"store error, stopping", log.text()):
            fail("the daemon said it stops on a locked store")
        stop(proc, signal.SIGTERM, "SIGTERM")
        proc = None
        print("ok: the daemon waited for a store locked %d s (busy_timeout 1 s), growing its "
              "wait, then stored both feeds and matched" % LOCK_S)
    finally:
        if locker is not None:
            locker.stop()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        srv.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
