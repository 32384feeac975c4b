#!/usr/bin/python3
"""check-config says what will happen (issue #9 item 4): errors exit 1;
warnings (exit 0) when matching is not configured, when a source polls a
live service without 'contact', when the register has no members, and when
the service account cannot read a file the daemon reads.  `match` on a
configuration without [match] says "not configured", not "has errors".
"""
import os
import pwd
import shutil

from matchutil import BIN, Env, fail

import subprocess


def check(conf, *extra, expect=0):
    p = subprocess.run([BIN, "--config", conf, "check-config", *extra],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != expect:
        fail("check-config %s exited %d (expected %d):\n%s%s"
             % (" ".join(extra), p.returncode, expect, p.stdout, p.stderr))
    return p


def warnings(p):
    return [line for line in p.stderr.splitlines() if ": warning: " in line]


def main():
    env = Env()
    try:
        os.chmod(env.dir, 0o755)        # mkdtemp makes it 0700: let --user nobody in
        # a local feed: no live service, matching configured, ten members
        with open(env.conf, "a") as f:
            f.write("[source local]\ntype = feed\nurl = http://127.0.0.1:9/feed.xml\n")
        p = check(env.conf)
        if warnings(p) or "configuration OK (taxonomy and member register too)\n" not in p.stdout:
            fail("a complete configuration warned:\n" + p.stdout + p.stderr)

        # matching not configured: OK with a warning naming what to set; match says so too
        bare = os.path.join(env.dir, "bare.conf")
        with open(bare, "w") as f:
            f.write("[source local]\ntype = feed\nurl = http://127.0.0.1:9/feed.xml\n")
        p = check(bare)
        w = warnings(p)
        if len(w) != 1 or "matching is not configured" not in w[0] or "taxonomy" not in w[0] \
                or "members" not in w[0] or "1 warning" not in p.stdout:
            fail("no 'not configured' warning:\n" + p.stdout + p.stderr)
        m = subprocess.run([BIN, "--config", bare, "--state", env.state, "match"],
                           capture_output=True, text=True, timeout=60)
        if m.returncode != 1 or "not configured" not in m.stderr or "has errors" in m.stderr:
            fail("match without [match]: %d\n%s" % (m.returncode, m.stderr))

        # the live services without contact: one warning per source, at its line
        live = os.path.join(env.dir, "live.conf")
        with open(live, "w") as f:
            f.write("[source fts]\ntype = fts\n"
                    "[source cf]\ntype = contracts-finder\ncontact = mailto:x@example.org\n"
                    "[source cf2]\ntype = contracts-finder\n"
                    "[source off]\ntype = fts\nenabled = no\n")
        w = warnings(check(live))
        got = sorted(x.split(": warning:")[0] for x in w if "contact" in x)
        if got != [live + ":1", live + ":6"]:
            fail("contact warnings at %s:\n%s" % (got, "\n".join(w)))
        w = warnings(check(os.devnull))        # an empty file: the built-in pair
        if sum("without 'contact'" in x for x in w) != 2:
            fail("the built-in sources are not warned about:\n" + "\n".join(w))

        # no members
        empty = os.path.join(env.dir, "empty-members")
        os.makedirs(empty)
        with open(env.conf) as f:
            text = f.read()
        with open(env.conf, "w") as f:
            f.write(text.replace("members = members", "members = empty-members"))
        w = warnings(check(env.conf))
        if len(w) != 1 or "has no members" not in w[0]:
            fail("no 'no members' warning:\n" + "\n".join(w))
        with open(env.conf, "w") as f:
            f.write(text)

        # files the service account cannot read (judged by mode, owner, group)
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            print("SKIP: no 'nobody' account; readability not tested")
            print("ok")
            return
        if os.geteuid() == pwd.getpwnam("nobody").pw_uid:
            fail("the test runs as nobody")
        for name in os.listdir(env.members):
            os.chmod(os.path.join(env.members, name), 0o644)
        os.chmod(env.members, 0o755)
        for path in (env.conf, env.taxonomy):
            os.chmod(path, 0o644)
        p = check(env.conf, "--user", "nobody")
        if warnings(p):
            fail("world-readable files warned:\n" + p.stderr)
        secret = os.path.join(env.members, "care-brum.conf")
        os.chmod(secret, 0o600)                  # what `members import` under umask 077 did
        p = check(env.conf, "--user", "nobody")
        w = warnings(p)
        if len(w) != 1 or "nobody cannot read a member file" not in w[0] \
                or secret not in w[0] or "-rw-------" not in w[0]:
            fail("an unreadable member file is not warned about:\n" + p.stderr)
        os.chmod(secret, 0o644)
        os.chmod(env.members, 0o700)
        w = warnings(check(env.conf, "--user", "nobody"))
        if not any("the member register" in x and "drwx------" in x for x in w):
            fail("an unreadable member directory is not warned about:\n" + "\n".join(w))
        os.chmod(env.members, 0o755)
        os.chmod(env.conf, 0o600)
        w = warnings(check(env.conf, "--user", "nobody"))
        if not any("cannot read the configuration" in x for x in w):
            fail("an unreadable config is not warned about:\n" + "\n".join(w))
        os.chmod(env.conf, 0o644)
        w = warnings(check(env.conf, "--user", "no-such-account-here"))
        if len(w) != 1 or "no such account" not in w[0]:
            fail("--user with an unknown account:\n" + "\n".join(w))
        # errors still exit 1, warnings or not
        with open(env.conf, "a") as f:
            f.write("[filter]\nregions = Narnia\n")
        check(env.conf, "--user", "nobody", expect=1)
    finally:
        shutil.rmtree(env.dir, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
