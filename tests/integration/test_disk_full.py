#!/usr/bin/python3
"""A full disk (issue #14: held, kept so).  The store lives on a 1.5 MB
tmpfs mounted in a private mount namespace (`unshare -rm`: nothing is
mounted outside this test).  A small page is ingested; then an 8 MB page
fills the disk:

- `ingest` exits 1 saying the disk is full and that nothing of that file was
  stored, naming the file;
- the store is intact (integrity_check "ok") and holds exactly what it held;
- once there is room again (the tmpfs grown), the same ingest stores every
  notice.
Skipped (exit 0, saying so) where no mount namespace can be made.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

BIN = os.environ.get("BIDBROKER") or sys.exit("BIDBROKER is not set")
TOP = os.environ.get("TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SMALL = os.path.join(TOP, "tests", "fixtures", "ocds", "cf-search-2025-01-20to23-page1.json")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def count(state):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "bidbroker.db"), uri=True)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        n = con.execute("SELECT count(*) FROM opportunity").fetchone()[0]
    finally:
        con.close()
    return ok, n


def ingest(state, path):
    return subprocess.run([BIN, "--state", state, "ingest", path], capture_output=True,
                          text=True, timeout=120)


def inside(mnt, big, total):
    """Run in the private mount namespace."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", mnt], check=True)
    state = os.path.join(mnt, "state")
    p = ingest(state, SMALL)
    if p.returncode != 0:
        fail("the small page did not fit:\n" + p.stderr)
    ok, before = count(state)
    p = ingest(state, big)
    if p.returncode != 1:
        fail("ingest on a full disk: exit %d, want 1\n%s" % (p.returncode, p.stderr))
    for want in ("disk is full", "nothing stored", big):
        if want not in p.stderr:
            fail("ingest on a full disk: %r not in the error:\n%s" % (want, p.stderr))
    ok, n = count(state)
    if ok != "ok" or n != before:
        fail("after the full disk: integrity %r, %d notices (want %d)" % (ok, n, before))
    subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
    p = ingest(state, big)
    if p.returncode != 0:
        fail("ingest with room again: exit %d\n%s" % (p.returncode, p.stderr))
    ok, n = count(state)
    if ok != "ok" or n != before + total:
        fail("with room again: integrity %r, %d notices (want %d)" % (ok, n, before + total))
    print("disk full: refused, nothing half-written, recovered")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--inside":
        return inside(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    tmp = tempfile.mkdtemp(prefix="bb-diskfull-")
    try:
        if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
            print("skipped: no private mount namespace here (unshare -rm)")
            return
        big = os.path.join(tmp, "big.json")
        out = subprocess.run([sys.executable, os.path.join(TOP, "tests", "bench", "big_ocds.py"),
                              big, "8"], capture_output=True, text=True, check=True).stdout
        total = int(out.split(": ", 1)[1].split()[0])
        mnt = os.path.join(tmp, "mnt")
        os.makedirs(mnt)
        p = subprocess.run(["unshare", "-rm", sys.executable, os.path.abspath(__file__),
                            "--inside", mnt, big, str(total)], env=os.environ, timeout=300)
        if p.returncode != 0:
            sys.exit(p.returncode)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
