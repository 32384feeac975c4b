"""Shared by the test_match_*.py integration tests: a scratch directory with a
bidbroker.conf pointing at the shipped taxonomy, a member register and the CPV
2008 reference, and helpers that run the real binary.

Environment (set by tests/run.sh): BIDBROKER (the binary), FIXTURES
(tests/fixtures), TOP (the repository root).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("BIDBROKER") or sys.exit("BIDBROKER is not set")
TOP = os.environ.get("TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.environ.get("FIXTURES") or os.path.join(TOP, "tests", "fixtures")
OCDS = os.path.join(FIXTURES, "ocds")
TAXONOMY = os.path.join(TOP, "conf", "capabilities.conf")
CPVREF = os.path.join(FIXTURES, "reference", "ref-cpv2008-xterr-cpvCodes.json")
GOLDEN_MEMBERS = os.path.join(FIXTURES, "members-golden")

# The two clocks the golden scenarios run at, inside the fixtures' dates.
NOW_2022 = "2022-10-24T12:00:00Z"
NOW_2025 = "2025-01-24T12:00:00Z"
FILES_2022 = ["cf-search-2022-10-20-page1.json", "cf-search-2022-10-22-page1.json"]
FILES_2025 = ["cf-search-2025-01-20to23-page1.json"]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Locker:
    """A second process holding the store's write lock (BEGIN IMMEDIATE on
    DB) until stopped: the writer next to bidbroker in the lock tests."""

    def __init__(self, db):
        code = ("import sqlite3, sys\n"
                "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                "c.execute('BEGIN IMMEDIATE')\n"
                "c.execute(\"INSERT INTO meta (key, value) VALUES ('locker', 'x')\")\n"
                "print('locked', flush=True)\n"
                "sys.stdin.read()\n"
                "c.execute('ROLLBACK')\n")
        self.p = subprocess.Popen([sys.executable, "-c", code, db], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        if self.p.stdout.readline().strip() != "locked":
            fail("the locking process did not take the lock")

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


class Env:
    """A scratch directory: bidbroker.conf, state/, and a copy of a member
    register under members/ (so tests may edit it)."""

    def __init__(self, members=GOLDEN_MEMBERS, taxonomy=TAXONOMY, max_value=25000):
        self.dir = tempfile.mkdtemp(prefix="bb-match-")
        self.state = os.path.join(self.dir, "state")
        self.members = os.path.join(self.dir, "members")
        if members is not None:
            shutil.copytree(members, self.members)
        else:
            os.makedirs(self.members)
        self.taxonomy = os.path.join(self.dir, "capabilities.conf")
        shutil.copy(taxonomy, self.taxonomy)
        # the CPV coverage table the taxonomy names ([taxonomy] cpv_coverage)
        cover = os.path.join(os.path.dirname(taxonomy), "cpv-coverage.conf")
        if os.path.exists(cover):
            shutil.copy(cover, os.path.join(self.dir, "cpv-coverage.conf"))
        self.conf = os.path.join(self.dir, "bidbroker.conf")
        with open(self.conf, "w") as f:
            f.write("[bidbroker]\nstate_dir = state\nlog_level = warning\n"
                    "[filter]\nmax_value = %d\nkeep_value_not_stated = yes\n"
                    # these tests are about capability matching, not scale:
                    # keep the notices that are likely over the cap
                    "keep_likely_over_cap = yes\n"
                    "[match]\ntaxonomy = capabilities.conf\nmembers = members\n"
                    "cpv_reference = %s\n" % (max_value, CPVREF))

    def run(self, *args, now=None, expect=0, stdin=None):
        cmd = [BIN, "--config", self.conf]
        if now:
            cmd += ["--now", now]
        cmd += list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, input=stdin, timeout=120)
        if "runtime error" in p.stderr or "Sanitizer" in p.stderr:
            fail("sanitizer report from %s:\n%s" % (" ".join(cmd), p.stderr))
        if expect is not None and p.returncode != expect:
            fail("%s: exit %d (expected %d)\nstdout:\n%s\nstderr:\n%s"
                 % (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
        return p

    def ingest(self, files, now):
        self.run("ingest", *[os.path.join(OCDS, f) for f in files], now=now)

    def json_lines(self, *args, now=None):
        out = self.run(*args, now=now).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def notice_ids(self):
        """Store row id -> notice id, for every stored opportunity."""
        return {o["id"]: o["notice_id"] for o in self.json_lines("list", "--json")}

    def matches(self, *extra):
        """{(member, notice_id): match object} of the stored matches."""
        ids = self.notice_ids()
        return {(m["member"], ids[m["opportunity"]]): m
                for m in self.json_lines("matches", "--json", *extra)}

    def row_id(self, notice_id):
        for rid, nid in self.notice_ids().items():
            if nid == notice_id:
                return rid
        fail("notice %s is not stored" % notice_id)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def compare(what, got, expected):
    """Compare two sets of (member, notice) pairs; fail listing the difference.
    expected maps each pair to the reason we expect it (printed on failure)."""
    got = set(got)
    want = set(expected)
    if got != want:
        lines = ["%s differ:" % what]
        for k in sorted(want - got):
            lines.append("  missing  %s %s  (expected because: %s)" % (k[0], k[1], expected[k]))
        for k in sorted(got - want):
            lines.append("  extra    %s %s" % k)
        fail("\n".join(lines))
