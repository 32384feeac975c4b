# test: serial (it measures how long things take: run alone, see tests/run.sh)
"""One poller per state directory (issue #14): `run` and `poll` hold
STATE/bidbroker.lock with flock for their whole life, the holder's PID in it.

- a second `run` on the same state directory exits 1 at once, naming the
  first one's PID and the lock file, and polls nothing;
- a `poll` next to the running daemon likewise; `list` and `match`, which do
  not poll, still run next to it;
- a lock held by another process (here Python's flock) stops `run` the same
  way, naming that process's PID;
- the daemon killed with SIGKILL leaves the file behind but not the lock: the
  next `poll` runs.
Run with /usr/bin/python3."""

import fcntl
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

TIMEOUT = 20



class Daemon:
    def __init__(self, conf):
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        self.p = subprocess.Popen([fs.BIDBROKER, "--config", conf, "run"], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        self.lines = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for raw in self.p.stderr:
            with self.lock:
                self.lines.append(raw.decode(errors="replace"))

    def text(self):
        with self.lock:
            return "".join(self.lines)

    def wait(self, pattern, what):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if re.search(pattern, self.text(), re.M):
                return
            check(self.p.poll() is None, "the daemon exited (%s) waiting for %s:\n%s"
                  % (self.p.returncode, what, self.text()))
            time.sleep(0.05)
        raise fs.TestFailure("the daemon's log never showed %s:\n%s" % (what, self.text()))

    def kill(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        self.p.wait(TIMEOUT)
        self.t.join(5)


def run(conf, *args, now=None):
    cmd = [fs.BIDBROKER, "--config", conf] + (["--now", now] if now else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    fs.check_sanitizers(p.stderr)
    return p


def check_refused(p, what, pid, lockfile):
    check(p.returncode == 1, "%s next to a poller: exit %d, want 1\n%s"
          % (what, p.returncode, p.stderr))
    check("pid %d" % pid in p.stderr and lockfile in p.stderr,
          "%s: the error should name pid %d and %s:\n%s" % (what, pid, lockfile, p.stderr))


def test_one_poller(d):
    lm = "Mon, 20 Jan 2025 10:00:00 GMT"
    with fs.FeedServer(feed=('"a"', lm, fs.good_feed())) as srv:
        conf = fs.write_config(d, [("buyer", "feed", srv.base + fs.FEED_PATH,
                                    dict(fs.FAST, interval="1h"))])
        state = os.path.join(d, "state")
        lockfile = os.path.join(state, "bidbroker.lock")
        first = Daemon(conf)
        try:
            first.wait(r"running \(pid", "the start line")
            first.wait(r"buyer feed: .*notices", "the first poll of buyer")
            with open(lockfile) as f:
                content = f.read()
            check(content == "%d run\n" % first.p.pid,
                  "%s holds %r, want the daemon's pid and command" % (lockfile, content))
            polled = len(srv.requests(fs.FEED_PATH))

            # a second daemon: refused at once, polls nothing
            t = time.monotonic()
            p = run(conf, "run")
            check_refused(p, "a second run", first.p.pid, lockfile)
            check(time.monotonic() - t < TIMEOUT / 2, "the second run waited for the lock")
            # poll: refused the same way
            p = run(conf, "poll", "--no-progress")
            check_refused(p, "poll", first.p.pid, lockfile)
            check(len(srv.requests(fs.FEED_PATH)) == polled,
                  "a refused run or poll fetched the feed")
            check(first.p.poll() is None, "the first daemon stopped")
            # commands that do not poll run next to the daemon
            p = run(conf, "list")
            check(p.returncode == 0 and p.stdout.strip(),
                  "list next to the daemon: exit %d\n%s" % (p.returncode, p.stderr))
            p = run(conf, "match")
            check(p.returncode in (0, 1) and "bidbroker.lock" not in p.stderr,
                  "match next to the daemon was refused:\n%s" % p.stderr)

            # kill -9: the kernel drops the lock, the file stays
            first.kill(signal.SIGKILL)
            check(os.path.exists(lockfile), "the lock file went away")
            p = run(conf, "poll", "--no-progress")
            check(p.returncode == 0, "poll after the daemon was killed: exit %d\n%s"
                  % (p.returncode, p.stderr))
        finally:
            first.kill(signal.SIGKILL)


def test_held_by_another_process(d):
    conf = fs.write_config(d, [("buyer", "feed", "http://127.0.0.1:9/feed.atom", dict(fs.FAST))])
    state = os.path.join(d, "state")
    os.makedirs(state)
    lockfile = os.path.join(state, "bidbroker.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys\n"
         "f = open(sys.argv[1], 'w')\n"
         "fcntl.flock(f, fcntl.LOCK_EX)\n"
         "f.write('%d poll\\n' % os.getpid()); f.flush()\n"
         "print('locked', flush=True)\n"
         "sys.stdin.read()\n", lockfile],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        check(holder.stdout.readline().strip() == "locked", "the holder did not lock")
        for args in (("run",), ("poll", "--no-progress")):
            p = run(conf, *args)
            check_refused(p, args[0], holder.pid, lockfile)
            check("poll" in p.stderr.split("pid %d" % holder.pid, 1)[1][:10],
                  "%s: the holder's command is not named:\n%s" % (args[0], p.stderr))
    finally:
        holder.stdin.close()
        holder.wait(TIMEOUT)
    # released: the lock can be taken again
    with open(lockfile, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)


if __name__ == "__main__":
    fs.main([test_held_by_another_process, test_one_poller])
